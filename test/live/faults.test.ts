// Faults injected into the lab while dockernet works: an unreachable peer (sshd stopped) and two
// applies on one host at once. Reboots, Docker restarts and a cut SSH session: reboot.test.ts.
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
            await runOk([
                "bash",
                LAB_SCRIPT,
                "exec",
                "h2",
                "--",
                "/usr/sbin/sshd",
                "-f",
                `${sshdPidFile.replace(/sshd\.pid$/, "")}sshd_config`,
            ]);
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

    test("two applies on one host at once are serialised by the lock and both land", async () => {
        const programA = scriptCommand("firewall", [
            "create",
            "--chain",
            "DN-T-AAAAAAAAAA",
            "accept,br-ta,docker0,-,-",
        ]);
        const programB = scriptCommand("firewall", [
            "create",
            "--chain",
            "DN-T-BBBBBBBBBB",
            "accept,br-tb,docker0,-,-",
        ]);
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
            expect((await onHost("h1", scriptCommand("firewall", ["delete", "--chain", chain]))).trim()).toBe(
                "changed",
            );
        }
        // And a component apply racing a hand-run script on the same host lands too.
        await Promise.all([
            engine.up(() => {
                new CrossHostRoutedPair("fault", pair());
                new CustomBridgeNetwork("fault-net", {
                    host: sshHost("h1"),
                    subnet: "172.29.0.0/24",
                    bridgeName: "br-fault",
                    connectTo: ["docker0"],
                });
            }),
            onHost(
                "h1",
                scriptCommand("firewall", ["create", "--chain", "DN-T-CCCCCCCCCC", "accept,br-tc,docker0,-,-"]),
            ),
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
