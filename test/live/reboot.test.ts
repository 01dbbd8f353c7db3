// Reboots and Docker restarts on lab hosts, with no `up` afterwards: what dockernet put in the
// kernel (routes, its iptables chains and jumps, the NAT exemption) must come back by itself,
// through the boot records and dockernet-restore.service that its host scripts install. A lab
// reboot (lab.sh reboot) stops dockerd, makes the kernel forget routes, rules, bridges and
// ip_forward as a boot does, then starts dockerd and the units enabled for it, as init would.
// Also: an SSH session cut in the middle of a bip change, and a daemon.json edited by someone else
// between two runs.
import * as fs from "fs";
import { ContainerSpec, CrossHostRoutedPair, CrossHostRoutedPairArgs } from "../../components";
import { Engine } from "../support/engine";
import { runOk } from "../support/exec";
import { LAB_DIR, LAB_SCRIPT, inContainer, onHost, onHostRaw, restarts, snapshot, sshHost } from "../support/lab";
import { record } from "../support/summary";

const IMAGE = "lab/busybox:1";
const web = (name: string): ContainerSpec => ({
    name,
    image: IMAGE,
    command: ["httpd", "-f", "-p", "80", "-h", "/www"],
    ports: [{ internal: 80 }],
});
const ADDR: Record<string, string> = { h1: "192.168.100.200", h2: "192.168.100.201" };

function pairArgs(bipB = "172.18.0.1/16"): CrossHostRoutedPairArgs {
    return {
        hostA: {
            host: sshHost("h1"),
            lanAddress: "192.168.100.200/24",
            bip: "172.17.0.1/16",
            containers: [web("web_h1")],
        },
        hostB: { host: sshHost("h2"), lanAddress: "192.168.100.201/24", bip: bipB, containers: [web("web_h2")] },
        preserveSourceIp: true,
    };
}

const ipOf = async (host: string, name: string) =>
    (await onHost(host, `docker inspect --format '{{.NetworkSettings.IPAddress}}' ${name}`)).trim();

/** One round of cross-host traffic: ping and HTTP both ways, and each server sees the client's own address. */
async function trafficFlows(): Promise<boolean> {
    try {
        const ip1 = await ipOf("h1", "web_h1");
        const ip2 = await ipOf("h2", "web_h2");
        if (!ip1 || !ip2) {
            return false;
        }
        const ok = await Promise.all([
            inContainer("h1", "web_h1", `ping -c 1 -W 1 ${ip2}`, 5000),
            inContainer("h2", "web_h2", `ping -c 1 -W 1 ${ip1}`, 5000),
            inContainer("h1", "web_h1", `timeout 2 wget -q -O - http://${ip2}/cgi-bin/ip`, 5000),
            inContainer("h2", "web_h2", `timeout 2 wget -q -O - http://${ip1}/cgi-bin/ip`, 5000),
        ]);
        const seen = (s: string) => s.trim().replace(/^\[::ffff:(.*)\]$/, "$1");
        return ok.every((r) => r.code === 0) && seen(ok[2].stdout) === ip1 && seen(ok[3].stdout) === ip2;
    } catch {
        return false;
    }
}

/** Polls until traffic flows; returns the time it first did (epoch seconds). */
async function waitForTraffic(limitSeconds: number): Promise<number> {
    const end = Date.now() + limitSeconds * 1000;
    while (Date.now() < end) {
        if (await trafficFlows()) {
            return Date.now() / 1000;
        }
        await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`cross-host traffic did not come back within ${limitSeconds} s`);
}

/** A line of a host's boot.log (`<epoch> docker-up`), as seconds. */
function bootTime(host: string, event: string): number {
    const log = fs.readFileSync(`${LAB_DIR}/${host}/boot.log`, "utf8");
    const line = log.split("\n").find((l) => l.endsWith(` ${event}`));
    if (!line) {
        throw new Error(`${host}/boot.log has no ${event} line:\n${log}`);
    }
    return Number(line.split(" ")[0]);
}

/** The `check` action of every host script the engine applied on a host: each must print ok. */
async function checksOn(engine: Engine, host: string): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const a of engine.state.values()) {
        if (
            a.type !== "command:remote:Command" ||
            a.name.includes("probe") ||
            (a.inputs.connection as { host: string }).host !== ADDR[host]
        ) {
            continue;
        }
        const check = String(a.inputs.create).replace(/(sh -c "\$DN_SCRIPT_TEXT" \w+\.sh )'create'/, "$1'check'");
        const r = await onHostRaw(host, check);
        out[a.name] = `${r.stdout.trim()}${r.code === 0 ? "" : ` (exit ${r.code}) ${r.stderr.trim()}`}`;
    }
    return out;
}

const allOk = (checks: Record<string, string>) => Object.fromEntries(Object.keys(checks).map((k) => [k, "ok"]));

describe("reboots and Docker restarts (lab h1 + h2): dockernet's kernel state comes back by itself", () => {
    const engine = new Engine();
    const before: Record<string, Awaited<ReturnType<typeof snapshot>>> = {};
    const figures: string[] = [];

    beforeAll(async () => {
        for (const h of ["h1", "h2"]) {
            before[h] = await snapshot(h);
        }
        await engine.up(() => new CrossHostRoutedPair("boot", pairArgs()));
        expect(await trafficFlows()).toBe(true);
    }, 300000);

    afterAll(async () => {
        await engine.destroy().catch(() => undefined);
        engine.dispose();
        console.log(`reboot figures:\n${figures.join("\n")}`);
    });

    test("the creates installed the restore: a boot record per routes and firewall set, the unit enabled for docker.service", async () => {
        for (const h of ["h1", "h2"]) {
            const files = await onHost(
                h,
                "ls /var/lib/dockernet/boot; readlink /etc/systemd/system/docker.service.wants/dockernet-restore.service",
            );
            expect(files).toMatch(/^firewall\.DN-X-[0-9A-F]{10}\.rec$/m);
            expect(files).toMatch(/^routes\.DN-R-[0-9A-F]{10}\.rec$/m);
            expect(files).toMatch(/^restore\.sh$/m);
            expect(files).toContain("/etc/systemd/system/dockernet-restore.service");
            const checks = await checksOn(engine, h);
            expect(Object.keys(checks)).toHaveLength(3); // bip, routes, firewall
            expect(checks).toEqual(allOk(checks));
        }
    }, 120000);

    test("h2 reboots: routes, chains and jumps come back with Docker, no `up`; traffic flows again", async () => {
        const applied = await snapshot("h2");
        record({ faultsInjected: 1 });
        await runOk(["bash", LAB_SCRIPT, "reboot", "h2"], { timeoutMs: 120000 });
        const up = bootTime("h2", "docker-up");
        const units = fs.readFileSync(`${LAB_DIR}/h2/units.log`, "utf8");
        expect(units).toMatch(/dockernet restore: routes\.DN-R-[0-9A-F]{10}: changed/);
        expect(units).toMatch(/dockernet restore: firewall\.DN-X-[0-9A-F]{10}: changed/);
        const flowing = await waitForTraffic(60);
        const checks = await checksOn(engine, "h2");
        expect(checks).toEqual(allOk(checks));
        const now = await snapshot("h2");
        expect(now.routes).toBe(applied.routes);
        expect(now.files).toBe(applied.files);
        const dn = (ipt: string) =>
            ipt
                .split("\n")
                .filter((l) => /DN-|dockernet/.test(l))
                .join("\n");
        expect(dn(now.iptables)).toBe(dn(applied.iptables));
        figures.push(
            `h2 reboot: Docker up → restore done ${(bootTime("h2", "units-done") - up).toFixed(2)} s; Docker up → traffic both ways ${(flowing - up).toFixed(2)} s`,
        );
        // A later `up` has nothing to do.
        const restartsBefore = [restarts("h1"), restarts("h2")];
        await engine.up(() => new CrossHostRoutedPair("boot", pairArgs()));
        expect(engine.counts).toMatchObject({ created: 0, replaced: 0, updated: 0, deleted: 0 });
        expect([restarts("h1"), restarts("h2")]).toEqual(restartsBefore);
        record({ faultsSurvived: 1 });
    }, 300000);

    test("both hosts reboot at once: each restores itself; traffic flows again", async () => {
        record({ faultsInjected: 1 });
        await runOk(["bash", LAB_SCRIPT, "reboot", "h1", "h2"], { timeoutMs: 120000 });
        const up = Math.max(bootTime("h1", "docker-up"), bootTime("h2", "docker-up"));
        const flowing = await waitForTraffic(60);
        for (const h of ["h1", "h2"]) {
            const checks = await checksOn(engine, h);
            expect(checks).toEqual(allOk(checks));
        }
        figures.push(`h1 + h2 reboot at once: later Docker up → traffic both ways ${(flowing - up).toFixed(2)} s`);
        record({ faultsSurvived: 1 });
    }, 300000);

    test("Docker restarted alone (systemctl restart docker): the restore runs again and traffic flows", async () => {
        record({ faultsInjected: 1 });
        const unitsBefore = fs.readFileSync(`${LAB_DIR}/h1/units.log`, "utf8").length;
        const t0 = Date.now() / 1000;
        await onHost("h1", "systemctl restart docker");
        const flowing = await waitForTraffic(60);
        // systemctl returned once Docker was up; the restore runs after it, in the background.
        const ranSince = () => fs.readFileSync(`${LAB_DIR}/h1/units.log`, "utf8").slice(unitsBefore);
        for (let i = 0; i < 300 && !/done dockernet-restore/.test(ranSince()); i++) {
            await new Promise((r) => setTimeout(r, 100));
        }
        const ran = ranSince();
        expect(ran).toMatch(/dockernet restore: routes\.DN-R-[0-9A-F]{10}: (un)?changed/);
        expect(ran).toMatch(/done dockernet-restore\.service: exit 0/);
        const checks = await checksOn(engine, "h1");
        expect(checks).toEqual(allOk(checks));
        figures.push(
            `h1 Docker restart: restart begun → traffic both ways ${(flowing - t0).toFixed(2)} s (restore said: ${ran.match(/dockernet restore: .*/g)?.join("; ")})`,
        );
        record({ faultsSurvived: 1 });
    }, 300000);

    test("an SSH session cut in the middle of a bip change: the up fails, h2 is left consistent, the next up converges", async () => {
        // `up` with a new bip for h2, and the ssh client of h2-bip killed while bip.sh waits for
        // Docker to come back: the connection is gone, as when a laptop loses its network.
        record({ faultsInjected: 1 });
        const restartsBefore = restarts("h2");
        let cut = false;
        engine.onRemoteCommand = (name, ssh) => {
            if (name !== "h2-bip") {
                return;
            }
            const poll = setInterval(() => {
                if (restarts("h2") > restartsBefore || ssh.exitCode !== null) {
                    clearInterval(poll);
                    cut = ssh.kill("SIGKILL");
                }
            }, 20);
        };
        let failure = "";
        try {
            await engine.up(() => new CrossHostRoutedPair("boot", pairArgs("172.19.0.1/16")));
        } catch (e) {
            failure = (e as Error).message;
        } finally {
            engine.onRemoteCommand = undefined;
        }
        expect(cut).toBe(true);
        expect(failure).toMatch(/h2-bip failed/);
        // Whatever bip.sh did after the cut, it holds the lock until it is done.
        await onHost("h2", "flock /run/lock/dockernet.lock true");
        const json = JSON.parse(await onHost("h2", "cat /etc/docker/daemon.json"));
        const docker0 = await onHost("h2", "ip -4 -o addr show docker0");
        const active = (await onHost("h2", "systemctl is-active docker")).trim();
        // Consistent: Docker runs, and docker0 has the bip daemon.json names (the old or the new).
        expect(active).toBe("active");
        expect(["172.18.0.1/16", "172.19.0.1/16"]).toContain(json.bip);
        expect(docker0).toContain(json.bip);
        expect(json["storage-driver"]).toBe("vfs");
        figures.push(
            `SSH cut during h2's bip change: up failed ("${failure.split("\n")[0].slice(0, 90)}"); h2 then had bip ${json.bip} in daemon.json and on docker0, Docker ${active}`,
        );
        // The next up converges: bip, h1's route to the new subnet, traffic, every check.
        await engine.up(() => new CrossHostRoutedPair("boot", pairArgs("172.19.0.1/16")));
        expect(JSON.parse(await onHost("h2", "cat /etc/docker/daemon.json")).bip).toBe("172.19.0.1/16");
        expect(await onHost("h1", "ip route show 172.19.0.0/16")).toMatch(/via 192\.168\.100\.201/);
        await waitForTraffic(60);
        for (const h of ["h1", "h2"]) {
            const checks = await checksOn(engine, h);
            expect(checks).toEqual(allOk(checks));
        }
        record({ faultsSurvived: 1 });
    }, 300000);

    test("daemon.json edited by someone else between two runs: their keys are kept when the bip moves", async () => {
        await onHost(
            "h2",
            `jq '. + {"log-opts": {"max-size": "10m"}, "debug": false}' /etc/docker/daemon.json > /tmp/dj && cat /tmp/dj > /etc/docker/daemon.json`,
        );
        await engine.up(() => new CrossHostRoutedPair("boot", pairArgs("172.20.0.1/16")));
        const json = JSON.parse(await onHost("h2", "cat /etc/docker/daemon.json"));
        expect(json).toMatchObject({
            bip: "172.20.0.1/16",
            "log-opts": { "max-size": "10m" },
            debug: false,
            "storage-driver": "vfs",
        });
        await waitForTraffic(60);
        // Back, then the hand edit undone by hand, so teardown can be compared with the snapshot.
        await engine.up(() => new CrossHostRoutedPair("boot", pairArgs()));
        await onHost(
            "h2",
            `jq 'del(."log-opts", .debug)' /etc/docker/daemon.json > /tmp/dj && cat /tmp/dj > /etc/docker/daemon.json`,
        );
    }, 300000);

    test("teardown: both hosts as before, the unit, its link and the boot records gone", async () => {
        await engine.destroy();
        for (const h of ["h1", "h2"]) {
            const now = await snapshot(h);
            expect({ h, routes: now.routes, iptables: now.iptables, files: now.files }).toEqual({
                h,
                routes: before[h].routes,
                iptables: before[h].iptables,
                files: before[h].files,
            });
            expect(JSON.parse(now.daemonJson)).toEqual(JSON.parse(before[h].daemonJson));
        }
    }, 300000);
});
