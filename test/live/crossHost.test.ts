// The seed's cross-host routing on lab hosts h1 and h2, applied for real over SSH and checked on
// the hosts: daemon.json and docker0, routes, firewall rules, ping and HTTP both ways, the
// source address the server sees, idempotence (no Docker restart on a re-run), a failed Docker
// restart rolled back, and teardown leaving each host exactly as it was.
import { ContainerSpec, CrossHostRoutedPair, CrossHostRoutedPairArgs, HostArgs } from "../../components";
import { Engine } from "../support/engine";
import { inContainer, onHost, onHostRaw, restarts, snapshot, sshHost } from "../support/lab";
import { record } from "../support/summary";

const IMAGE = "lab/busybox:1";
const web = (name: string): ContainerSpec => ({
    name,
    image: IMAGE,
    command: ["httpd", "-f", "-p", "80", "-h", "/www"],
    ports: [{ internal: 80 }],
});

function pairArgs(preserveSourceIp: boolean, h2: HostArgs = sshHost("h2")): CrossHostRoutedPairArgs {
    return {
        hostA: {
            host: sshHost("h1"),
            lanAddress: "192.168.100.200/24",
            bip: "172.17.0.1/16",
            containers: [web("web_h1")],
        },
        hostB: { host: h2, lanAddress: "192.168.100.201/24", bip: "172.18.0.1/16", containers: [web("web_h2")] },
        preserveSourceIp,
    };
}

const ipOf = async (host: string, name: string) =>
    (await onHost(host, `docker inspect --format '{{.NetworkSettings.IPAddress}}' ${name}`)).trim();
const fetch = async (host: string, container: string, url: string) => {
    const r = await inContainer(host, container, `timeout 5 wget -q -O - ${url}`);
    // busybox httpd reports IPv4 clients IPv4-mapped ("[::ffff:172.17.0.2]").
    return r.code === 0
        ? r.stdout.trim().replace(/^\[::ffff:(.*)\]$/, "$1")
        : `(failed: exit ${r.code} ${r.stderr.trim()})`;
};

describe("cross-host routed pair (lab h1 + h2)", () => {
    const engine = new Engine();
    const before: Record<string, Awaited<ReturnType<typeof snapshot>>> = {};
    let pair: CrossHostRoutedPair;

    beforeAll(async () => {
        for (const h of ["h1", "h2"]) {
            before[h] = await snapshot(h);
        }
        expect(before.h2.daemonJson).not.toContain("172.18.0.1/16"); // h2 starts with a different bip
    });

    afterAll(async () => {
        await engine.destroy().catch(() => undefined);
        engine.dispose();
    });

    test("up: bips set, routes and rules in place, containers reach each other by ping and HTTP both ways", async () => {
        pair = await engine.up(() => new CrossHostRoutedPair("seed", pairArgs(false)));
        const h2json = JSON.parse(await onHost("h2", "cat /etc/docker/daemon.json"));
        expect(h2json.bip).toBe("172.18.0.1/16");
        expect(h2json["storage-driver"]).toBe("vfs"); // the user's other keys are kept
        expect(await onHost("h2", "ip -4 -o addr show docker0")).toContain("172.18.0.1/16");
        expect(await onHost("h1", "ip -4 -o addr show docker0")).toContain("172.17.0.1/16");
        expect(await onHost("h1", "ip route show 172.18.0.0/16")).toMatch(
            /^172\.18\.0\.0\/16 via 192\.168\.100\.201 dev eth0 proto (187|isis)/,
        );
        expect(await onHost("h2", "ip route show 172.17.0.0/16")).toMatch(
            /^172\.17\.0\.0\/16 via 192\.168\.100\.200 dev eth0 proto (187|isis)/,
        );
        const rules = await onHost("h2", "iptables -w -S DOCKER-USER");
        expect(rules).toMatch(/-A DOCKER-USER .*-j DN-X-[0-9A-F]{10}/);

        const ip1 = await ipOf("h1", "web_h1");
        const ip2 = await ipOf("h2", "web_h2");
        expect(ip1).toMatch(/^172\.17\./);
        expect(ip2).toMatch(/^172\.18\./);
        expect((await inContainer("h1", "web_h1", `ping -c 1 -W 2 ${ip2}`)).code).toBe(0);
        expect((await inContainer("h2", "web_h2", `ping -c 1 -W 2 ${ip1}`)).code).toBe(0);
        expect(await fetch("h1", "web_h1", `http://${ip2}/`)).toBe("hello from h2");
        expect(await fetch("h2", "web_h2", `http://${ip1}/`)).toBe("hello from h1");
        // The component proved it too, at deployment time.
        const probes = await new Promise<string[]>((resolve) =>
            pair.probes.apply((p) => {
                resolve(p);
                return p;
            }),
        );
        expect(probes).toHaveLength(2);
        for (const p of probes) {
            expect(p).toMatch(/^seen=reachable from=web_h\d to=172\.1[78]\.\d+\.\d+:80/);
        }
    });

    test("without preserveSourceIp the server sees the peer host's LAN address", async () => {
        const ip2 = await ipOf("h2", "web_h2");
        expect(await fetch("h1", "web_h1", `http://${ip2}/cgi-bin/ip`)).toBe("192.168.100.200");
    });

    test("with preserveSourceIp the server sees the client container's own address", async () => {
        const restartsBefore = restarts("h2");
        await engine.up(() => new CrossHostRoutedPair("seed", pairArgs(true)));
        expect(restarts("h2")).toBe(restartsBefore); // only the firewall changed
        const ip1 = await ipOf("h1", "web_h1");
        const ip2 = await ipOf("h2", "web_h2");
        expect(await fetch("h1", "web_h1", `http://${ip2}/cgi-bin/ip`)).toBe(ip1);
        expect(await fetch("h2", "web_h2", `http://${ip1}/cgi-bin/ip`)).toBe(ip2);
    });

    test("a second run of every create script changes nothing and restarts no Docker", async () => {
        const restartsBefore = [restarts("h1"), restarts("h2")];
        const state = [await snapshot("h1"), await snapshot("h2")];
        await engine.up(() => new CrossHostRoutedPair("seed", pairArgs(true)));
        expect(engine.counts).toMatchObject({ created: 0, replaced: 0, updated: 0, deleted: 0 });
        // And each host script itself, run again by hand with the same arguments, reports "unchanged".
        let scripts = 0;
        for (const a of engine.state.values()) {
            if (a.type === "command:remote:Command" && !a.name.includes("probe")) {
                const host = String((a.inputs.connection as { host: string }).host) === "192.168.100.200" ? "h1" : "h2";
                const out = await onHost(host, String(a.inputs.create));
                expect(out.trim().split("\n").pop()).toBe("unchanged");
                scripts++;
            }
        }
        expect(scripts).toBe(6); // bip, routes, firewall on each host
        expect([restarts("h1"), restarts("h2")]).toEqual(restartsBefore);
        expect([await snapshot("h1"), await snapshot("h2")]).toEqual(state);
    });

    test("teardown: routes, firewall and daemon.json equal the snapshot taken before", async () => {
        await engine.destroy();
        for (const h of ["h1", "h2"]) {
            const now = await snapshot(h);
            expect(now.routes).toBe(before[h].routes);
            expect(now.iptables).toBe(before[h].iptables);
            expect(now.daemonJson).toBe(before[h].daemonJson);
        }
        expect(JSON.parse((await snapshot("h2")).daemonJson)["storage-driver"]).toBe("vfs");
        expect(await onHost("h2", "ip -4 -o addr show docker0")).toContain("172.17.0.1/16");
        expect(await onHost("h1", "docker ps -aq")).toBe("");
        expect(await onHost("h2", "docker ps -aq")).toBe("");
    });

    test("a Docker restart that fails leaves the old daemon.json, Docker running, and says so", async () => {
        // A restart command that fails (stopping Docker) whenever daemon.json carries the new bip.
        await onHost(
            "h2",
            `cat > /tmp/failing-restart <<'EOF'
if grep -q 172.18.0.1 /etc/docker/daemon.json; then systemctl stop docker; echo "injected failure" >&2; exit 1; fi
exec systemctl restart docker
EOF`,
        );
        const original = await onHost("h2", "cat /etc/docker/daemon.json");
        const failing: HostArgs = { ...sshHost("h2"), restartCommand: "sh /tmp/failing-restart" };
        const broken = new Engine();
        record({ faultsInjected: 1 });
        let message = "";
        try {
            await broken.up(() => new CrossHostRoutedPair("broken", pairArgs(false, failing)));
        } catch (e) {
            message = (e as Error).message;
        } finally {
            await broken.destroy().catch(() => undefined);
            broken.dispose();
            await onHost("h2", "rm -f /tmp/failing-restart");
        }
        expect(message).toMatch(/restored the previous daemon\.json/);
        expect(message).toMatch(/Docker is running again/);
        expect(await onHost("h2", "cat /etc/docker/daemon.json")).toBe(original);
        expect((await onHostRaw("h2", "docker info --format '{{.ID}}'")).code).toBe(0);
        expect(await onHost("h2", "ip -4 -o addr show docker0")).toContain("172.17.0.1/16");
        record({ faultsSurvived: 1 });
    });
});
