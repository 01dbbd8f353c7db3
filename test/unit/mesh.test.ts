// RoutedMesh and the one-owner-per-host model under plain mocks: bips from the pool, stable over
// any sequence of hosts added and removed (fast-check), resources per host constant, the route
// and firewall sets each host gets, every validation rule, and two components claiming one host.
import * as fc from "fast-check";
import {
    CrossHostRoutedPair,
    HostArgs,
    RoutedMesh,
    RoutedMeshArgs,
    TopologySpec,
    planRoutedMesh,
    planTopology,
} from "../../components";
import { Recorder, messageOf, settle } from "../support/mocks";

const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA-test-key\n-----END OPENSSH PRIVATE KEY-----\n";
const host = (name: string, address: string): HostArgs => ({ name, ssh: { address, privateKey: KEY } });
const web = (name: string) => ({
    name,
    image: "lab/busybox:1",
    command: ["httpd", "-f", "-p", "80"],
    ports: [{ internal: 80 }],
});
const member = (n: number, over: object = {}) => ({
    host: host(`h${n}`, `192.168.100.${n}`),
    lanAddress: `192.168.100.${n}/24`,
    ...over,
});
const mesh = (ns: number[], over: Partial<RoutedMeshArgs> = {}): RoutedMeshArgs => ({
    hosts: ns.map((n) => member(n, { containers: [web(`web_h${n}`)] })),
    pool: { subnet: "10.200.0.0/16" },
    ...over,
});

describe("RoutedMesh planning", () => {
    test("a host without a bip gets the pool block numbered by its address on the LAN; a given bip is kept", () => {
        const plan = planRoutedMesh("lan", {
            hosts: [member(200), member(201, { bip: "172.18.0.1/16" }), member(7)],
            pool: { subnet: "10.200.0.0/16", size: 24 },
        });
        expect(plan.hosts.map((h) => [h.hostName, h.bip, h.allocated])).toEqual([
            ["h200", "10.200.200.1/24", true],
            ["h201", "172.18.0.1/16", false],
            ["h7", "10.200.7.1/24", true],
        ]);
    });

    test("each host: one route per peer via the peer, and one chain accepting the LAN (plus per-peer rules with preserveSourceIp)", () => {
        const plan = planRoutedMesh("lan", mesh([1, 2, 3], { preserveSourceIp: true }));
        const h1 = plan.hosts[0];
        expect(h1.routes).toEqual(["10.200.2.0/24=192.168.100.2", "10.200.3.0/24=192.168.100.3"]);
        expect(h1.firewallRules).toEqual([
            "accept,-,-,192.168.100.0/24,10.200.1.0/24",
            "accept,-,-,10.200.2.0/24,10.200.1.0/24",
            "nat-return,10.200.1.0/24,10.200.2.0/24",
            "accept,-,-,10.200.3.0/24,10.200.1.0/24",
            "nat-return,10.200.1.0/24,10.200.3.0/24",
        ]);
        expect(h1.firewallChain).toMatch(/^DN-X-[0-9A-F]{10}$/);
        // A ring of probes: one per host, every host probed once.
        expect(plan.probes).toEqual([
            [0, 1],
            [1, 2],
            [2, 0],
        ]);
        expect(planRoutedMesh("two", mesh([1, 2])).probes).toEqual([
            [0, 1],
            [1, 0],
        ]);
        expect(planRoutedMesh("one", mesh([1])).probes).toEqual([]);
    });

    test("every problem at once, each naming its field, its value and the fix", () => {
        const m = messageOf(() =>
            planRoutedMesh("bad", {
                hosts: [
                    member(1),
                    member(2, { lanAddress: "192.168.101.2/24" }),
                    member(3, { bip: "10.200.1.1/24" }),
                    member(1, { host: host("h9", "192.168.100.9"), lanAddress: "192.168.100.1/24" }),
                ],
                pool: { subnet: "10.200.0.0/16", size: 24 },
                verify: true,
            }),
        );
        expect(m).toContain('Invalid RoutedMesh "bad"');
        expect(m).toContain(`hosts[1].lanAddress "192.168.101.2/24" is outside hosts[0]'s LAN 192.168.100.0/24`);
        expect(m).toContain(
            `hosts[2].bip "10.200.1.1/24" overlaps hosts[0].bip (from the pool: 10.200.1.1/24) 10.200.1.0/24`,
        );
        expect(m).toContain(`hosts[3].lanAddress "192.168.100.1/24" is hosts[0]'s LAN address too`);
        expect(m).toContain("verify is true but no host has containers to probe from");
        expect(messageOf(() => planRoutedMesh("p", { hosts: [member(1)] }))).toContain(
            `hosts[0].bip is missing; give one (e.g. "172.18.0.1/16") or a pool to take it from`,
        );
        expect(
            messageOf(() => planRoutedMesh("p", { hosts: [member(1)], pool: { subnet: "192.168.0.0/16" } })),
        ).toContain('pool.subnet "192.168.0.0/16" overlaps the LAN 192.168.100.0/24 of hosts[0]');
        expect(
            messageOf(() => planRoutedMesh("p", { hosts: [member(200)], pool: { subnet: "10.200.0.0/20", size: 24 } })),
        ).toContain(
            "hosts[0].bip is not given, and the pool 10.200.0.0/20 has 16 blocks of /24 while this host is number 200 on its LAN; give a bip, a larger pool or a longer size",
        );
        expect(
            messageOf(() => planRoutedMesh("p", { hosts: [member(1)], pool: { subnet: "10.200.0.0/16", size: 12 } })),
        ).toContain('pool.size 12 is not a block prefix for "10.200.0.0/16"; use 17 to 30');
        expect(messageOf(() => planRoutedMesh("p", { hosts: [] }))).toContain("hosts is []; give a list of hosts");
    });

    test("allocation is stable: over any sequence of hosts added and removed, no host's bip ever moves (fast-check)", () => {
        // A host: its number on the LAN, and maybe a bip of its own (outside the pool and the LAN).
        const hostArb = fc.record({
            n: fc.integer({ min: 1, max: 254 }),
            pinned: fc.option(fc.integer({ min: 16, max: 31 }), { nil: undefined }),
        });
        const stepArb = fc.oneof(fc.record({ add: hostArb }), fc.record({ remove: fc.nat() }));
        let states = 0;
        fc.assert(
            fc.property(
                fc.array(stepArb, { minLength: 1, maxLength: 40 }),
                fc.constantFrom(8, 12, 16),
                (steps, poolPrefix) => {
                    const size = poolPrefix + 8; // 256 blocks: every number on a /24 LAN fits
                    let present: { n: number; pinned?: number }[] = [];
                    let previous = new Map<number, string>();
                    for (const step of steps) {
                        if ("add" in step) {
                            const clash = present.some(
                                (p) =>
                                    p.n === step.add.n ||
                                    (step.add.pinned !== undefined && p.pinned === step.add.pinned),
                            );
                            if (clash) {
                                continue; // the same machine or the same pinned bip twice is a different test's error
                            }
                            present = [...present, step.add];
                        } else if (present.length > 0) {
                            present = present.filter((_, i) => i !== step.remove % present.length);
                        }
                        if (present.length === 0) {
                            previous = new Map();
                            continue;
                        }
                        const plan = planRoutedMesh("m", {
                            hosts: present.map((p) =>
                                member(p.n, p.pinned !== undefined ? { bip: `172.${p.pinned}.0.1/16` } : {}),
                            ),
                            pool: { subnet: `10.0.0.0/${poolPrefix}`, size },
                        });
                        states++;
                        const now = new Map(plan.hosts.map((h) => [Number(h.hostName.slice(1)), h.bip]));
                        for (const [n, bip] of now) {
                            if (previous.has(n)) {
                                expect({ n, bip }).toEqual({ n, bip: previous.get(n) });
                            }
                            const p = present.find((x) => x.n === n)!;
                            const block = 10 * 2 ** 24 + n * 2 ** (32 - size) + 1; // block number n of 10.0.0.0/poolPrefix, its first address
                            const dotted = [24, 16, 8, 0].map((b) => Math.floor(block / 2 ** b) % 256).join(".");
                            expect(bip).toBe(p.pinned !== undefined ? `172.${p.pinned}.0.1/16` : `${dotted}/${size}`);
                        }
                        expect(new Set(now.values()).size).toBe(now.size);
                        previous = now;
                    }
                },
            ),
            { numRuns: 300, seed: 20261129 },
        );
        expect(states).toBeGreaterThan(1000);
    });
});

describe("RoutedMesh and one owner per host under mocks", () => {
    const rec = new Recorder();
    beforeEach(async () => rec.install(false));
    afterEach(settle);

    test.each([2, 5, 12])(
        "resources per host are constant (%i hosts): a DockerHost's bip, one route set, one firewall set",
        async (n) => {
            new RoutedMesh("m", mesh(Array.from({ length: n }, (_, i) => i + 1)));
            await settle();
            const commands = rec.ofType("command:remote:Command").map((r) => r.name);
            expect(commands.filter((c) => /-(bip|routes|firewall)$/.test(c))).toHaveLength(3 * n);
            expect(commands.filter((c) => c.endsWith("-probe"))).toHaveLength(n);
            expect(rec.ofType("dockernet:index:DockerHost")).toHaveLength(n);
            expect(rec.ofType("docker:index/container:Container")).toHaveLength(n);
            const routes = rec.named("m-h1-routes").inputs.create as string;
            expect((routes.match(/'10\.200\.\d+\.0\/24=192\.168\.100\.\d+'/g) ?? []).length).toBe(n - 1);
        },
        30000,
    ); // 12 hosts under mocks take ~4 s alone, longer beside the other suites

    test("two pairs sharing a host share its DockerHost: one bip resource, aliased to where the first pair had it", async () => {
        const pair = (name: string, a: number, b: number) =>
            new CrossHostRoutedPair(name, {
                hostA: { ...member(a), bip: `172.${16 + a}.0.1/16` },
                hostB: { ...member(b), bip: "172.30.0.1/16" },
            });
        pair("p13", 1, 3);
        pair("p23", 2, 3);
        await settle();
        expect(
            rec
                .ofType("dockernet:index:DockerHost")
                .map((r) => r.name)
                .sort(),
        ).toEqual(["h1", "h2", "h3"]);
        expect(rec.ofType("command:remote:Command").filter((r) => r.name === "h3-bip")).toHaveLength(1);
    });

    test("a second, different bip for one host is refused naming both, and the second component makes nothing", async () => {
        new CrossHostRoutedPair("p13", {
            hostA: { ...member(1), bip: "172.17.0.1/16" },
            hostB: { ...member(3), bip: "172.22.0.1/16" },
        });
        await settle();
        const before = rec.resources.length;
        const m = messageOf(
            () => new RoutedMesh("m", { hosts: [member(2), member(3)], pool: { subnet: "10.200.0.0/16" } }),
        );
        expect(m).toContain(
            'RoutedMesh "m" hosts[1].bip "10.200.3.1/24" for host h3 disagrees with CrossHostRoutedPair "p13" hostB.bip "172.22.0.1/16"; a host has one bip: give both the same',
        );
        await settle();
        expect(rec.resources.slice(before).map((r) => r.type)).toEqual(["dockernet:index:RoutedMesh"]);
    });

    test("one name for two machines, or two names for one machine, is refused naming both", () => {
        new CrossHostRoutedPair("p", {
            hostA: { ...member(1), bip: "172.17.0.1/16" },
            hostB: { ...member(2), bip: "172.18.0.1/16" },
        });
        expect(
            messageOf(
                () =>
                    new CrossHostRoutedPair("q", {
                        hostA: { ...member(3), host: host("h1", "192.168.100.3"), bip: "172.17.0.1/16" },
                        hostB: { ...member(4), bip: "172.19.0.1/16" },
                    }),
            ),
        ).toContain(
            `CrossHostRoutedPair "q" hostA.host names host "h1" at ssh://root@192.168.100.3:22, but CrossHostRoutedPair "p" hostA.host has "h1" at ssh://root@192.168.100.1:22; one name is one machine`,
        );
        expect(
            messageOf(
                () =>
                    new CrossHostRoutedPair("r", {
                        hostA: { ...member(5), host: host("other", "192.168.100.2"), bip: "172.18.0.1/16" },
                        hostB: { ...member(6), bip: "172.20.0.1/16" },
                    }),
            ),
        ).toContain(
            `CrossHostRoutedPair "r" hostA.host reaches ssh://root@192.168.100.2:22 as "other", but CrossHostRoutedPair "p" hostB.host calls it "h2"; give one machine one name`,
        );
    });
});

describe("meshes in a topology", () => {
    const sshHost = (n: number) => ({ name: `h${n}`, ssh: { address: `192.168.100.${n}` } });
    const spec = (over: Partial<TopologySpec> = {}): TopologySpec => ({
        hosts: [1, 2, 3].map(sshHost),
        meshes: [
            {
                name: "lan",
                pool: { subnet: "10.200.0.0/16" },
                hosts: [1, 2, 3].map((n) => ({ host: `h${n}`, lanAddress: `192.168.100.${n}/24` })),
            },
        ],
        ...over,
    });

    test("per host: its bip (from the pool, owned by its DockerHost), its routes and rules", () => {
        const plan = planTopology(spec());
        const h2 = plan.hosts.find((h) => h.name === "h2")!;
        expect(h2.bip).toBe("10.200.2.1/24");
        expect(h2.bipFrom).toBe("RoutedMesh lan (pool 10.200.0.0/16, block /24)");
        expect(h2.routes).toEqual([
            { subnet: "10.200.1.0/24", via: "192.168.100.1", peer: "h1", component: "RoutedMesh/lan" },
            { subnet: "10.200.3.0/24", via: "192.168.100.3", peer: "h3", component: "RoutedMesh/lan" },
        ]);
        expect(plan.resources.filter((r) => r.type === "dockernet:index:DockerHost").map((r) => r.name)).toEqual([
            "h1",
            "h2",
            "h3",
        ]);
    });

    test("a pair and a mesh that give one host different bips: one error naming both", () => {
        const m = messageOf(() =>
            planTopology(
                spec({
                    routedPairs: [
                        {
                            name: "p",
                            hostA: { host: "h1", lanAddress: "192.168.100.1/24", bip: "172.17.0.1/16" },
                            hostB: { host: "h3", lanAddress: "192.168.100.3/24", bip: "172.23.0.1/16" },
                        },
                    ],
                    meshes: [
                        {
                            name: "lan",
                            pool: { subnet: "10.200.0.0/16" },
                            hosts: [
                                { host: "h2", lanAddress: "192.168.100.2/24" },
                                { host: "h3", lanAddress: "192.168.100.3/24" },
                            ],
                        },
                    ],
                }),
            ),
        );
        expect(m).toContain(
            'meshes[0].hosts[1].bip (from the pool: 10.200.3.1/24) "10.200.3.1/24" for host h3 disagrees with routedPairs[0].hostB.bip "172.23.0.1/16"; a host has one bip: give both the same',
        );
    });

    test("a bridge on a host may not overlap its pool block, nor a peer's block it routes", () => {
        const m = messageOf(() =>
            planTopology(spec({ bridges: [{ name: "b", host: "h1", subnet: "10.200.3.0/24" }] })),
        );
        expect(m).toContain(
            'bridges[0].subnet "10.200.3.0/24" overlaps meshes[0].hosts[2].bip (routed to h1) (10.200.3.0/24) on host h1',
        );
    });
});
