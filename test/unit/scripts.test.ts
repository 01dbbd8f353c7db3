// The host scripts as they are sent: bip.sh, routes.sh and firewall.sh keep their shared block in
// one file (lib/common.sh) and source it when run from a file; the text a command carries has that
// block in place of the source line, so a host runs one self-contained script.
import * as fs from "fs";
import * as path from "path";
import { scriptCommand, scriptPath, scriptText } from "../../components/host/scripts";

const lib = fs.readFileSync(path.join(path.dirname(scriptPath("bip")), "lib", "common.sh"), "utf8");
const block = lib.slice(lib.indexOf("# ---- BEGIN dockernet common"));

describe.each(["bip", "routes", "firewall", "swarm"])("%s.sh as sent", (script) => {
    const file = fs.readFileSync(scriptPath(script), "utf8");
    const sent = scriptText(script);

    test("is the file with the shared block in place of its source line, and nothing else changed", () => {
        expect(file).not.toContain("# ---- BEGIN dockernet common");
        expect(sent.split(block)).toHaveLength(2);
        expect(sent).not.toContain('lib/common.sh"');
        const [before, after] = sent.split(block);
        expect(file).toBe(`${before}# shellcheck source=lib/common.sh\n. "$(dirname "$0")/lib/common.sh"\n${after}`);
    });

    test("a command carries the assembled text, not a path to the library", () => {
        const command = scriptCommand(script, ["check"]);
        expect(command).toContain(block);
        expect(command).not.toContain('lib/common.sh"');
    });
});

test("probe.sh has no shared block and is sent as it is", () => {
    expect(scriptText("probe")).toBe(fs.readFileSync(scriptPath("probe"), "utf8"));
});
