// `npm run check` with a stand-in for the hosts: what it asks each host, how it reads the answers,
// that it changes nothing unless told to repair, and what it sends when it repairs. (The live
// drift test runs it against the lab.)
import * as path from "path";
import { HostArgs } from "../../components";
import { HostRunner, checkStack, formatCheck } from "../../stacks/check";
import { parseArgs } from "../../stacks/cli";

const ROOT = path.join(__dirname, "..", "..");

/** A fake fleet: answers by what the command is; records every command per host. */
function fleet(
    drift: { routes?: boolean; container?: boolean },
    docker: Record<string, string> = { h1: "20.10.24+dfsg1 ", h2: "28.5.2+dfsg4 iptables" },
) {
    const sent: { host: string; command: string }[] = [];
    const run: HostRunner = async (host: HostArgs, command: string) => {
        sent.push({ host: host.name, command });
        if (command.startsWith('echo "dockerversion')) {
            const [version, backend] = docker[host.name].split(" ");
            return { code: 0, stdout: `dockerversion ${version}\nfirewallbackend ${backend}\nend\n`, stderr: "" };
        }
        if (command.includes("routes.sh 'check'")) {
            return drift.routes && host.name === "h1"
                ? { code: 1, stdout: "differs: no dockernet route to 172.18.0.0/16 via 192.168.100.201\n", stderr: "" }
                : { code: 0, stdout: "ok\n", stderr: "" };
        }
        if (/(bip|firewall)\.sh 'check'/.test(command)) {
            return { code: 0, stdout: "ok\n", stderr: "" };
        }
        if (/\.sh '(create)'/.test(command)) {
            if (command.includes("routes.sh")) {
                drift.routes = false;
            }
            return { code: 0, stdout: "changed\n", stderr: "" };
        }
        if (command.startsWith("ip -4 -o addr show dev docker0")) {
            return {
                code: 0,
                stdout: `5: docker0    inet ${host.name === "h1" ? "172.17.0.1/16" : "172.18.0.1/16"} brd x scope global docker0\n`,
                stderr: "",
            };
        }
        if (command.startsWith("for c in")) {
            const names = [...command.matchAll(/'([^']+)'/g)].map((m) => m[1]).filter((n) => !n.includes("{{"));
            const lines = names.map((n) => {
                const nets =
                    n === "api_1"
                        ? drift.container
                            ? {}
                            : { appnet: { Aliases: ["api"] } }
                        : n === "api_client"
                          ? { appnet: { Aliases: [] } }
                          : { bridge: { Aliases: null } };
                return `/${n}|true|${n.startsWith("api") ? "bridge" : "bridge"}|${JSON.stringify(nets)}`;
            });
            return { code: 0, stdout: `${lines.join("\n")}\n`, stderr: "" };
        }
        if (command.startsWith("docker network disconnect")) {
            drift.container = false;
            return { code: 0, stdout: "", stderr: "" };
        }
        if (command.startsWith("docker inspect")) {
            return { code: 0, stdout: "172.18.0.2 \n", stderr: "" };
        }
        if (command.includes("probe.sh")) {
            return { code: 0, stdout: "seen=reachable from=x to=y\n", stderr: "" };
        }
        return { code: 127, stdout: "", stderr: `unexpected: ${command.slice(0, 80)}` };
    };
    return { run, sent };
}

describe("npm run check, offline with a stand-in fleet", () => {
    test("healthy: every object ok, and only reads were sent (no create, no docker change)", async () => {
        const f = fleet({});
        const { rows } = await checkStack({ root: ROOT, stack: "lab", run: f.run });
        expect(rows.filter((r) => r.verdict !== "ok")).toEqual([]);
        expect(rows.map((r) => `${r.host} ${r.object}`)).toEqual(
            expect.arrayContaining([
                "h1 bip (daemon.json)",
                "h2 bip (daemon.json)",
                "h1 docker0 address",
                "h1 container api_1",
                "h2 container web_h2",
                "h1 check appnet-reaches-docker0",
                "h1 check h1-reaches-h2-container",
            ]),
        );
        expect(f.sent.filter((s) => /'create'|network (dis)?connect|docker start/.test(s.command))).toEqual([]);
        expect(rows.filter((r) => r.object === "docker").map((r) => `${r.host}: ${r.seen} ${r.verdict}`)).toEqual([
            "h1: 20.10.24+dfsg1 ok",
            "h2: 28.5.2+dfsg4 (iptables) ok",
        ]);
        expect(formatCheck("lab", rows).split("\n")[0]).toBe(
            `dockernet check: stack lab: ${rows.length} objects, 0 drifted`,
        );
    });

    test("a host on Docker with the nftables backend, or Docker 29: an error row naming the version and the fix; nothing sent but reads", async () => {
        const f = fleet({}, { h1: "29.0.1 iptables", h2: "28.5.2+dfsg4 nftables" });
        const { rows } = await checkStack({ root: ROOT, stack: "lab", run: f.run });
        const docker = rows.filter((r) => r.object === "docker");
        expect(docker.map((r) => r.verdict)).toEqual(["error", "error"]);
        expect(docker[0].seen).toContain("29.0.1 (iptables): runs Docker 29.0.1, which dockernet does not support yet");
        expect(docker[1].seen).toContain(
            "28.5.2+dfsg4 (nftables): runs Docker 28.5.2+dfsg4 with the nftables firewall backend; Docker then makes no DOCKER-USER chain",
        );
        expect(formatCheck("lab", rows).split("\n")[0]).toBe(
            `dockernet check: stack lab: ${rows.length} objects, 2 drifted`,
        );
        expect(f.sent.filter((s) => /'create'|network (dis)?connect|docker start/.test(s.command))).toEqual([]);
    });

    test("drift is reported with what was seen; --repair sends the create and the network connect, then checks again", async () => {
        const f = fleet({ routes: true, container: true });
        const { rows } = await checkStack({ root: ROOT, stack: "lab", run: f.run });
        const bad = rows.filter((r) => r.verdict !== "ok");
        expect(bad.map((r) => `${r.host} ${r.object}: ${r.seen}`)).toEqual([
            expect.stringMatching(
                /^h1 routes DN-R-[0-9A-F]{10}: differs: no dockernet route to 172\.18\.0\.0\/16 via 192\.168\.100\.201$/,
            ),
            "h1 container api_1: not on appnet",
        ]);
        expect(formatCheck("lab", rows).split("\n")[0]).toBe(
            `dockernet check: stack lab: ${rows.length} objects, 2 drifted`,
        );

        const r2 = await checkStack({ root: ROOT, stack: "lab", run: f.run, repair: true });
        expect(r2.rows.filter((r) => r.verdict !== "ok").map((r) => `${r.host} ${r.object}: ${r.verdict}`)).toEqual([
            expect.stringMatching(/^h1 routes .*: repaired$/),
            "h1 container api_1: repaired",
        ]);
        expect(f.sent.some((s) => s.host === "h1" && s.command.includes("routes.sh 'create' '--tag'"))).toBe(true);
        expect(
            f.sent.some(
                (s) => s.host === "h1" && s.command.includes("docker network connect --alias 'api' 'appnet' 'api_1'"),
            ),
        ).toBe(true);
    });

    test("the command line: check takes --repair and --config-file, nothing else", () => {
        expect(parseArgs(["check", "--stack", "lab", "--repair"])).toMatchObject({
            command: "check",
            stack: "lab",
            repair: true,
        });
        expect(() => parseArgs(["check", "--full"])).toThrow('check does not take "--full"');
    });
});
