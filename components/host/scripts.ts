// The host scripts (POSIX sh files beside this module) and how a call to one is written.
import * as fs from "fs";
import * as path from "path";

const MARK = "DOCKERNET_SCRIPT_EOF";
const cache = new Map<string, string>();

/** The line (with its shellcheck directive) by which a script sources the shared block from a file. */
const SOURCE_LINE = '# shellcheck source=lib/common.sh\n. "$(dirname "$0")/lib/common.sh"\n';

/**
 * The text of a host script as it is sent, e.g. `bip` → components/host/scripts/bip.sh with the
 * shared block (lib/common.sh, from its BEGIN line) in place of the line that sources it: one
 * self-contained script, so a host needs nothing installed and a delete runs the text that created.
 */
export function scriptText(script: string): string {
    let text = cache.get(script);
    if (text === undefined) {
        text = fs.readFileSync(scriptPath(script), "utf8");
        if (text.includes(SOURCE_LINE)) {
            const lib = fs.readFileSync(path.join(path.dirname(scriptPath(script)), "lib", "common.sh"), "utf8");
            const block = lib.slice(lib.indexOf("# ---- BEGIN dockernet common"));
            text = text.replace(SOURCE_LINE, () => block);
        }
        if (text.split("\n").includes(MARK)) {
            throw new Error(`host script ${script}.sh contains the line ${MARK}, which ends its here-document early`);
        }
        cache.set(script, text);
    }
    return text;
}

/**
 * Where a host script lives: beside this file in the sources, or, from a compiled tree (bin/, the
 * benchmarks' out/bench/js/), in the package's components/host/scripts above it.
 */
export function scriptPath(script: string): string {
    const candidates = [path.join(__dirname, "scripts", `${script}.sh`)];
    for (let up = path.join(__dirname, "..", ".."); candidates.length < 5; up = path.join(up, "..")) {
        candidates.push(path.join(up, "..", "components", "host", "scripts", `${script}.sh`));
    }
    const found = candidates.find((p) => fs.existsSync(p));
    if (!found) {
        throw new Error(`host script ${script}.sh not found (looked in ${candidates.join(", ")})`);
    }
    return found;
}

/** Single-quotes one shell word; the only character needing care inside single quotes is `'` itself. */
export function shellQuote(word: string): string {
    return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * The command line that runs a host script with arguments: the script travels in a quoted
 * here-document (nothing in it is expanded) into DN_SCRIPT_TEXT, which becomes `sh -c`'s program;
 * the arguments follow as single-quoted words. The script keeps its own text from DN_SCRIPT_TEXT
 * in its boot record (lib/common.sh), so what runs again after a reboot is exactly what ran. Not
 * `sh -s`: a command in the script that reads stdin would eat the rest of the script. Nothing
 * needs to be installed on the host beforehand, and the text is exactly what the plan shows.
 */
export function scriptCommand(script: string, args: string[]): string {
    return commandWithText(script, scriptText(script), args);
}

/** scriptCommand with the script's text given (e.g. an older version's, in tests of upgrades). */
export function commandWithText(script: string, text: string, args: string[]): string {
    const words = args.map(shellQuote).join(" ");
    return (
        `DN_SCRIPT_TEXT="$(cat <<'${MARK}'\n${text}${text.endsWith("\n") ? "" : "\n"}${MARK}\n)"\n` +
        `export DN_SCRIPT_TEXT\nsh -c "$DN_SCRIPT_TEXT" ${script}.sh ${words} </dev/null\n`
    );
}
