// A routed mesh on four lab hosts, applied for real and checked on the hosts: bips from the pool,
// every direction by ping and HTTP with the client container's own source address, a fourth host
// added with no Docker restart or container replacement on the others, a host removed while a ping
// loop between two remaining hosts runs (its longest gap reported), a no-op re-run, and teardown
// leaving every host byte-identical to its snapshot. (meshOwners.test.ts: one owner per host setting,
// and the move from dockernet 0.2.0.) The compatibility runs (test/lab/compat.sh) run this file on
// 20.10, on 26.1 and on a lab of mixed Docker lines.
import { ContainerSpec, RoutedMesh, RoutedMeshArgs } from "../../components";
import { Engine } from "../support/engine";
import { inContainer, onHost, onHostRaw, restarts, snapshot, sshHost, startPingLoop } from "../support/lab";

const IMAGE = "lab/busybox:1";
const web = (name: string): ContainerSpec => ({
    name,
    image: IMAGE,
    command: ["httpd", "-f", "-p", "80", "-h", "/www"],
    ports: [{ internal: 80 }],
});
const LAN = { h1: "192.168.100.200", h2: "192.168.100.201", h3: "192.168.100.202", h4: "192.168.100.203" } as const;
type H = keyof typeof LAN;

function meshArgs(hosts: H[]): RoutedMeshArgs {
    return {
        hosts: hosts.map((h) => ({ host: sshHost(h), lanAddress: `${LAN[h]}/24`, containers: [web(`web_${h}`)] })),
        pool: { subnet: "10.200.0.0/16", size: 24 },
        preserveSourceIp: true,
    };
}

const ipOf = async (host: string, name: string) =>
    (await onHost(host, `docker inspect --format '{{.NetworkSettings.IPAddress}}' ${name}`)).trim();
const fetchFrom = async (host: string, container: string, url: string) => {
    const r = await inContainer(host, container, `timeout 5 wget -q -O - ${url}`);
    return r.code === 0
        ? r.stdout.trim().replace(/^\[::ffff:(.*)\]$/, "$1")
        : `(failed: exit ${r.code} ${r.stderr.trim()})`;
};

/** Every ordered pair of hosts: ping and HTTP container to container, and the source the server saw. Returns the directions checked. */
async function allDirections(hosts: H[]): Promise<number> {
    const ips = Object.fromEntries(await Promise.all(hosts.map(async (h) => [h, await ipOf(h, `web_${h}`)] as const)));
    for (const h of hosts) {
        expect(ips[h]).toMatch(new RegExp(`^10\\.200\\.${LAN[h].split(".")[3]}\\.\\d+$`)); // docker0 on the host's pool block
    }
    let n = 0;
    for (const from of hosts) {
        for (const to of hosts.filter((x) => x !== from)) {
            expect({
                from,
                to,
                ping: (await inContainer(from, `web_${from}`, `ping -c 1 -W 2 ${ips[to]}`)).code,
            }).toEqual({ from, to, ping: 0 });
            expect({ from, to, http: await fetchFrom(from, `web_${from}`, `http://${ips[to]}/`) }).toEqual({
                from,
                to,
                http: `hello from ${to}`,
            });
            // preserveSourceIp: the server sees the client container's own address, not its host's.
            expect({ from, to, source: await fetchFrom(from, `web_${from}`, `http://${ips[to]}/cgi-bin/ip`) }).toEqual({
                from,
                to,
                source: ips[from],
            });
            n++;
        }
    }
    return n;
}

describe("routed mesh (lab h1..h4)", () => {
    const engine = new Engine();
    const before: Record<string, Awaited<ReturnType<typeof snapshot>>> = {};
    const all: H[] = ["h1", "h2", "h3", "h4"];

    beforeAll(async () => {
        for (const h of all) {
            before[h] = await snapshot(h);
        }
    });

    afterAll(async () => {
        await engine.destroy().catch(() => undefined);
        engine.dispose();
    });

    test("three hosts: bips from the pool, 6 directions by ping and HTTP, source addresses kept; resources per host constant", async () => {
        const mesh = await engine.up(() => new RoutedMesh("lan", meshArgs(["h1", "h2", "h3"])));
        expect(mesh.bips).toEqual({ h1: "10.200.200.1/24", h2: "10.200.201.1/24", h3: "10.200.202.1/24" });
        for (const h of ["h1", "h2", "h3"] as H[]) {
            const last = LAN[h].split(".")[3];
            expect(JSON.parse(await onHost(h, "cat /etc/docker/daemon.json")).bip).toBe(`10.200.${last}.1/24`);
            expect(await onHost(h, "ip -4 -o addr show docker0")).toContain(`10.200.${last}.1/24`);
            // One route set: a route to each peer's block, via the peer.
            const routes = await onHost(h, "ip -4 route show proto 187");
            for (const p of (["h1", "h2", "h3"] as H[]).filter((x) => x !== h)) {
                expect(routes).toContain(`10.200.${LAN[p].split(".")[3]}.0/24 via ${LAN[p]}`);
            }
            expect(routes.trim().split("\n")).toHaveLength(2);
        }
        expect(await allDirections(["h1", "h2", "h3"])).toBe(6);
        // Per host: its DockerHost's bip, one route set, one firewall set (plus a container, its image and one probe of the ring).
        const commands = [...engine.state.keys()].filter((k) => k.includes("command:remote:Command"));
        for (const h of ["h1", "h2", "h3"]) {
            expect(
                commands.filter((k) => new RegExp(`::(${h}-bip|lan-${h}-routes|lan-${h}-firewall)$`).test(k)),
            ).toHaveLength(3);
        }
    }, 300000);

    test("a fourth host: 12 directions; the others see no Docker restart and no container replaced, only route and firewall updates", async () => {
        const restartsBefore = Object.fromEntries(all.map((h) => [h, restarts(h)]));
        engine.operations.length = 0;
        await engine.up(() => new RoutedMesh("lan", meshArgs(all)));
        for (const h of ["h1", "h2", "h3"]) {
            expect({ h, restarts: restarts(h) }).toEqual({ h, restarts: restartsBefore[h] });
        }
        const touchedOld = engine.operations.filter(
            (o) => /^(lan-)?h[123]-/.test(o.name) && !o.name.includes("-probe-"),
        );
        expect(touchedOld.filter((o) => o.op !== "update")).toEqual([]);
        expect(touchedOld.map((o) => o.name).sort()).toEqual([
            "lan-h1-firewall",
            "lan-h1-routes",
            "lan-h2-firewall",
            "lan-h2-routes",
            "lan-h3-firewall",
            "lan-h3-routes",
        ]);
        expect(
            engine.operations
                .filter((o) => o.type === "docker:index/container:Container")
                .map((o) => `${o.op} ${o.name}`),
        ).toEqual(["create lan-h4-web_h4"]);
        expect(await allDirections(all)).toBe(12);
    }, 300000);

    test("removing a host: the remaining 6 directions keep working throughout (no gap in a ping loop), and the removed host is as it was", async () => {
        const loop = await startPingLoop("h1", "web_h1", await ipOf("h3", "web_h3"));
        await new Promise((r) => setTimeout(r, 1000));
        const restartsBefore = Object.fromEntries(all.map((h) => [h, restarts(h)]));
        await engine.up(() => new RoutedMesh("lan", meshArgs(["h1", "h3", "h4"])));
        await new Promise((r) => setTimeout(r, 1000));
        const seen = await loop.stop();
        console.log(
            `mesh: removing h2 while h1 pings h3 every 0.2 s: ${seen.received} replies to ${seen.sent} pings, longest gap ${seen.longestGapS.toFixed(1)} s`,
        );
        expect(seen.received).toBeGreaterThan(5);
        expect(seen.longestGapS).toBe(0);
        for (const h of ["h1", "h3", "h4"]) {
            expect({ h, restarts: restarts(h) }).toEqual({ h, restarts: restartsBefore[h] });
        }
        expect(await snapshot("h2")).toEqual(before.h2);
        expect(await allDirections(["h1", "h3", "h4"])).toBe(6);
        expect(await onHost("h1", "ip -4 route show proto 187")).not.toContain("10.200.201.0/24");
    }, 300000);

    test("a re-run changes nothing and restarts nothing; teardown leaves every host byte-identical", async () => {
        const restartsBefore = Object.fromEntries(all.map((h) => [h, restarts(h)]));
        await engine.up(() => new RoutedMesh("lan", meshArgs(["h1", "h3", "h4"])));
        expect(engine.counts).toMatchObject({ created: 0, replaced: 0, updated: 0, deleted: 0 });
        for (const h of all) {
            expect({ h, restarts: restarts(h) }).toEqual({ h, restarts: restartsBefore[h] });
        }
        await engine.destroy();
        for (const h of all) {
            expect({ h, ...(await snapshot(h)) }).toEqual({ h, ...before[h] });
        }
        const leftovers = await onHostRaw("h1", "ls /var/lib/dockernet 2>/dev/null");
        expect(leftovers.stdout.trim()).toBe("");
    }, 300000);
});
