// Faults injected into the lab while dockernet works: an unreachable peer (sshd stopped), two
// applies on one host at once, and routes and rules flushed behind dockernet's back (a reboot).
import * as fs from "fs";
import { CrossHostRoutedPair, CrossHostRoutedPairArgs, CustomBridgeNetwork } from "../../components";
import { scriptCommand } from "../../components/host/scripts";
import { Engine } from "../support/engine";
import { LAB_SCRIPT, labHost, onHost, snapshot, sshHost } from "../support/lab";
import { runOk } from "../support/exec";
import { record } from "../support/summary";

const pair = (): CrossHostRoutedPairArgs => ({
    hostA: { host: sshHost("h1"), lanAddress: "192.168.100.200/24", bip: "172.17.0.1/16" },
    hostB: { host: sshHost("h2"), lanAddress: "192.168.100.201/24", bip: "172.18.0.1/16" },
});

/** Re-runs every create script an engine applied on a host, by hand, as after a reboot. */
async function rerunCreates(engine: Engine, host: string, address: string): Promise<string[]> {
    const outs: string[] = [];
    for (const a of engine.state.values()) {
        if (a.type === "command:remote:Command" && (a.inputs.connection as { host: string }).host === address && !a.name.includes("probe")) {
            outs.push((await onHost(host, String(a.inputs.create))).trim());
        }
    }
    return outs;
}

describe("faults (lab h1 + h2)", () => {
    const engine = new Engine();
    const before: Record<string, Awaited<ReturnType<typeof snapshot>>> = {};

    beforeAll(async () => {
        before.h1 = await snapshot("h1");
        before.h2 = await snapshot("h2");
    });
    afterAll(async () => {
        await engine.destroy().catch(() => undefined);
        engine.dispose();
    });

    test("the peer's sshd stopped: the deployment fails in bounded time naming the host; after it is back a re-run converges", async () => {
        const h2 = labHost("h2");
        const sshdPidFile = `${h2.holderPidFile.replace(/holder\.pid$/, "")}sshd.pid`;
        const pid = Number(fs.readFileSync(sshdPidFile, "utf8").trim());
        process.kill(pid, "SIGTERM"); // the lab's own sshd for h2, by its pid file
        record({ faultsInjected: 1 });
        const started = Date.now();
        let message = "";
        try {
            await engine.up(() => new CrossHostRoutedPair("fault", pair()));
        } catch (e) {
            message = (e as Error).message;
        } finally {
            // Bring h2's sshd back exactly as the lab runs it.
            await runOk(["bash", LAB_SCRIPT, "exec", "h2", "--", "/usr/sbin/sshd", "-f", `${sshdPidFile.replace(/sshd\.pid$/, "")}sshd_config`]);
        }
        const seconds = (Date.now() - started) / 1000;
        expect(message).toMatch(/\bh2-bip\b|fault-h2-\w+/); // the first resource on h2 to run: its DockerHost's bip, or the pair's
        expect(message).toMatch(/192\.168\.100\.201/);
        expect(message).toMatch(/Connection refused|connect to host/);
        expect(seconds).toBeLessThan(60);
        // h1's side went ahead; the re-run finishes h2 and leaves both consistent.
        await engine.up(() => new CrossHostRoutedPair("fault", pair()));
        expect(await onHost("h1", "ip route show 172.18.0.0/16")).toMatch(/via 192\.168\.100\.201/);
        expect(await onHost("h2", "ip route show 172.17.0.0/16")).toMatch(/via 192\.168\.100\.200/);
        expect(JSON.parse(await onHost("h2", "cat /etc/docker/daemon.json")).bip).toBe("172.18.0.1/16");
        record({ faultsSurvived: 1 });
    });

    test("routes and rules flushed behind our back (a reboot): re-running the creates restores exactly our state", async () => {
        const applied = { h1: await snapshot("h1"), h2: await snapshot("h2") };
        // What a reboot loses: the routes, and the chains dockernet made (Docker's own come back).
        await onHost("h1", "ip route del 172.18.0.0/16");
        await onHost("h2", "ip route del 172.17.0.0/16");
        for (const h of ["h1", "h2"]) {
            await onHost(h, `for c in $(iptables -w -S | sed -n 's/^-N \\(DN-[A-Z0-9-]*\\)$/\\1/p'); do iptables -w -D DOCKER-USER -m comment --comment "dockernet:$c" -j "$c"; iptables -w -F "$c"; iptables -w -X "$c"; done`);
        }
        expect((await snapshot("h1")).routes).not.toBe(applied.h1.routes);
        record({ faultsInjected: 1 });
        const outs = [...(await rerunCreates(engine, "h1", "192.168.100.200")), ...(await rerunCreates(engine, "h2", "192.168.100.201"))];
        expect(outs.filter((o) => o.endsWith("changed") && !o.endsWith("unchanged"))).toHaveLength(4); // routes + firewall, each host
        expect(outs.filter((o) => o.endsWith("unchanged"))).toHaveLength(2); // bip did not change
        expect(await snapshot("h1")).toEqual(applied.h1);
        expect(await snapshot("h2")).toEqual(applied.h2);
        record({ faultsSurvived: 1 });
    });

    test("two applies on one host at once are serialised by the lock and both land", async () => {
        const programA = scriptCommand("firewall", ["create", "--chain", "DN-T-AAAAAAAAAA", "accept,br-ta,docker0,-,-"]);
        const programB = scriptCommand("firewall", ["create", "--chain", "DN-T-BBBBBBBBBB", "accept,br-tb,docker0,-,-"]);
        // Hold the lock for 3 s first, so both creates must wait for it and then for each other.
        const holder = onHost("h1", "flock /run/lock/dockernet.lock sleep 3");
        record({ faultsInjected: 1 });
        await new Promise((r) => setTimeout(r, 500));
        const t0 = Date.now();
        const [a, b] = await Promise.all([onHost("h1", programA), onHost("h1", programB)]);
        await holder;
        expect(Date.now() - t0).toBeGreaterThanOrEqual(2000);
        expect([a.trim(), b.trim()]).toEqual(["changed", "changed"]);
        const rules = await onHost("h1", "iptables -w -S DOCKER-USER");
        expect(rules).toMatch(/-j DN-T-AAAAAAAAAA/);
        expect(rules).toMatch(/-j DN-T-BBBBBBBBBB/);
        for (const chain of ["DN-T-AAAAAAAAAA", "DN-T-BBBBBBBBBB"]) {
            expect((await onHost("h1", scriptCommand("firewall", ["delete", "--chain", chain]))).trim()).toBe("changed");
        }
        // And a component apply racing a hand-run script on the same host lands too.
        await Promise.all([
            engine.up(() => {
                new CrossHostRoutedPair("fault", pair());
                new CustomBridgeNetwork("fault-net", { host: sshHost("h1"), subnet: "172.29.0.0/24", bridgeName: "br-fault", connectTo: ["docker0"] });
            }),
            onHost("h1", scriptCommand("firewall", ["create", "--chain", "DN-T-CCCCCCCCCC", "accept,br-tc,docker0,-,-"])),
        ]);
        const after = await onHost("h1", "iptables -w -S");
        expect(after).toMatch(/-A DN-B-[0-9A-F]{10} -i br-fault -o docker0/);
        expect(after).toMatch(/-A DN-T-CCCCCCCCCC -i br-tc -o docker0/);
        await onHost("h1", scriptCommand("firewall", ["delete", "--chain", "DN-T-CCCCCCCCCC"]));
        record({ faultsSurvived: 1 });
    });

    test("teardown leaves both hosts as they were", async () => {
        await engine.destroy();
        expect(await snapshot("h1")).toEqual(before.h1);
        expect(await snapshot("h2")).toEqual(before.h2);
    });
});
