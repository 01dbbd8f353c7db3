// SwarmOverlayNetwork (issue 15): validation (every problem at once, by path) and the resources it
// declares: one swarm.sh membership per host, the join token as a secret, the manager forgetting
// each worker after it leaves, the overlay through the manager, containers on the overlay.
import { HostArgs, SwarmOverlayNetwork, SwarmOverlayNetworkArgs, planSwarmOverlayNetwork } from "../../components";
import { swarmSteps } from "../../components/swarmOverlayNetwork";
import { planTopology } from "../../components/topologyPlan";
import { containsSecret, messageOf, recordingWithOptions, settle } from "../support/mocks";

const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA-test-key\n-----END OPENSSH PRIVATE KEY-----\n";
const host = (name: string, address: string): HostArgs => ({ name, ssh: { address, privateKey: KEY } });
const web = (name: string) => ({ name, image: "lab/busybox:1", command: ["httpd", "-f", "-p", "80"] });
const args = (over: Partial<SwarmOverlayNetworkArgs> = {}): SwarmOverlayNetworkArgs => ({
    hosts: [
        { host: host("h1", "192.168.100.200"), address: "192.168.100.200", containers: [web("web_h1")] },
        { host: host("h2", "192.168.100.201"), address: "192.168.100.201", containers: [web("web_h2")] },
        { host: host("h3", "10.9.0.5"), address: "10.9.0.5" },
    ],
    subnet: "10.30.0.0/24",
    ...over,
});

describe("planSwarmOverlayNetwork", () => {
    test("defaults: the first host manages, the gateway is the first address, containers are on the overlay", () => {
        const p = planSwarmOverlayNetwork("ovl", args());
        expect(p).toMatchObject({
            networkName: "ovl",
            subnet: "10.30.0.0/24",
            gateway: "10.30.0.1",
            encrypted: false,
            manager: 0,
            roles: ["manager", "worker", "worker"],
        });
        expect(p.containers.map((c) => [c.host, c.spec.networkMode, c.spec.networks])).toEqual([
            [0, "custom", [{ name: "ovl" }]],
            [1, "custom", [{ name: "ovl" }]],
        ]);
    });

    test("every problem at once, each by its path with the value and the fix", () => {
        const a = args({ subnet: "10.30.0.5/24", gateway: "10.40.0.1", encrypted: "yes" as unknown as boolean });
        a.hosts[1] = {
            ...a.hosts[1],
            address: "192.168.100.200",
            role: "manager",
            containers: [{ ...web("web_h1"), networkMode: "host" }],
        };
        a.hosts[2] = { ...a.hosts[2], role: "manager" as const };
        const m = messageOf(() => planSwarmOverlayNetwork("ovl", a));
        expect(m).toContain(
            'hosts[1].address "192.168.100.200" is already hosts[0].address; each host has its own address',
        );
        expect(m).toContain(
            'hosts[2].role is "manager", making 2 managers (hosts[1], hosts[2]); an even number of managers rides out no more managers down than one fewer would (Raft needs a majority): give 1, 3 or 5 managers',
        );
        expect(m).toContain('subnet "10.30.0.5/24" has host bits set; use 10.30.0.0/24');
        expect(m).toContain('encrypted "yes" is not true or false');
        expect(m).toContain(
            'hosts[1].containers[0].networkMode is "host"; containers of a SwarmOverlayNetwork are on the overlay: leave networkMode out',
        );
        expect(m).toContain(
            'hosts[1].containers[0].name "web_h1" is already used by hosts[0].containers[0].name in the swarm; names resolve on every member host, so they must be unique across the swarm',
        );
    });

    test("the overlay may not hold a member's own address; a gateway outside the subnet is refused", () => {
        expect(messageOf(() => planSwarmOverlayNetwork("ovl", args({ subnet: "192.168.100.0/24" })))).toContain(
            "subnet 192.168.100.0/24 holds hosts[0].address 192.168.100.200; the overlay must not overlap the hosts' own network",
        );
        expect(messageOf(() => planSwarmOverlayNetwork("ovl", args({ gateway: "10.40.0.1" })))).toContain(
            'gateway "10.40.0.1" is not a host address inside subnet 10.30.0.0/24',
        );
    });
});

describe("SwarmOverlayNetwork resources", () => {
    const { rec, options } = recordingWithOptions();

    test("memberships, the secret token, the manager forgetting each worker, the overlay through the manager, the containers on it", async () => {
        new SwarmOverlayNetwork("ovl", args());
        await settle();
        expect(rec.named("ovl-h1-swarm").inputs.create).toMatch(
            /swarm\.sh 'create' '--role' 'manager' '--advertise' '192\.168\.100\.200' <\/dev\/null\n$/,
        );
        expect(rec.named("ovl-join-token").inputs.create).toBe("docker swarm join-token -q worker");
        // The worker's create carries the token: a secret.
        expect(containsSecret(rec.named("ovl-h2-swarm").raw.create)).toBe(true);
        expect(rec.named("ovl-h2-swarm").inputs.delete).toMatch(
            /'delete' '--role' 'worker' '--advertise' '192\.168\.100\.201' '--join' '192\.168\.100\.200:2377'/,
        );
        expect(rec.named("ovl-h1-peer-h3").inputs.delete).toMatch(
            /'delete' '--role' 'peer' '--advertise' '10\.9\.0\.5'/,
        );
        const net = rec.named("ovl-network");
        expect(net.inputs).toMatchObject({
            name: "ovl",
            driver: "overlay",
            attachable: true,
            ipamConfigs: [{ subnet: "10.30.0.0/24", gateway: "10.30.0.1" }],
        });
        expect(net.provider).toContain("ovl-h1-provider");
        expect(rec.named("ovl-h2-web_h2").inputs).toMatchObject({
            name: "web_h2",
            networkMode: "bridge",
            networksAdvanced: [{ name: "ovl" }],
        });
        expect(rec.named("ovl-h2-web_h2").provider).toContain("ovl-h2-provider");
        // h3 has no containers: no provider of its own.
        expect(rec.resources.filter((r) => r.name === "ovl-h3-provider")).toHaveLength(0);
    });

    test("encrypted: every membership tries the kernel first; the network carries the option and a label, and ignores the options read back", async () => {
        new SwarmOverlayNetwork("ovl", args({ encrypted: true }));
        await settle();
        expect(rec.named("ovl-h1-swarm").inputs.create).toContain("'--encrypted' 'yes'");
        expect(rec.named("ovl-h2-swarm").inputs.create).toContain("'--encrypted' 'yes'");
        expect(rec.named("ovl-network").inputs.options).toEqual({ encrypted: "" });
        expect(rec.named("ovl-network").inputs.labels).toContainEqual({ label: "dockernet.encrypted", value: "true" });
        expect(options.get("docker:index/network:Network::ovl-network")!.ignoreChanges).toEqual(["options"]);
    });
    // The names (last URN part) of what a resource comes after.
    const after = (type: string, name: string) =>
        options
            .get(`${type}::${name}`)!
            .dependencies.map((u) => u.split("::").pop())
            .sort();
    const CMD = "command:remote:Command";

    test("ports: each member's INPUT chain accepts what Swarm needs from the other members only (the same for any role), before any join", async () => {
        new SwarmOverlayNetwork("ovl", args());
        await settle();
        // The command's arguments (after the script's text).
        const argv = (n: string) =>
            ((c: string) => c.slice(c.lastIndexOf("firewall.sh '")))(rec.named(n).inputs.create as string);
        const h1 = argv("ovl-h1-swarm-ports");
        // The first manager: 2377 from each other member, gossip and VXLAN from each.
        for (const a of ["192.168.100.201", "10.9.0.5"]) {
            for (const r of [
                `input,tcp,2377,${a}`,
                `input,tcp,7946,${a}`,
                `input,udp,7946,${a}`,
                `input,udp,4789,${a}`,
            ]) {
                expect(h1).toContain(`'${r}'`);
            }
        }
        expect(h1).not.toContain("192.168.100.200");
        expect(h1).not.toContain("esp");
        // A worker's rules are a manager's: a refused role change can never have cut 2377 first.
        const h2 = argv("ovl-h2-swarm-ports");
        expect(h2).toMatch(
            /firewall\.sh 'create' '--chain' 'DN-S-[0-9A-F]{10}' 'input,tcp,2377,192\.168\.100\.200' 'input,tcp,7946,192\.168\.100\.200'/,
        );
        expect(rec.named("ovl-h2-swarm-ports").inputs.delete).toContain("firewall.sh 'delete' '--chain'");
        // The first manager's init after its own ports; each join after every member's ports.
        expect(after(CMD, "ovl-h1-swarm")).toEqual(["ovl-h1-swarm-ports"]);
        expect(after(CMD, "ovl-h3-swarm")).toEqual(
            expect.arrayContaining([
                "ovl-h1-swarm-ports",
                "ovl-h2-swarm-ports",
                "ovl-h3-swarm-ports",
                "ovl-h1-peer-h3",
                "ovl-join-token",
            ]),
        );
    });

    test("ports: encrypted, ESP and VXLAN only as it comes out of IPsec (never cleartext 4789, which Docker drops for an encrypted overlay)", async () => {
        new SwarmOverlayNetwork("ovl", args({ encrypted: true }));
        await settle();
        const c = rec.named("ovl-h3-swarm-ports").inputs.create as string;
        expect(c).toContain("'input,esp,-,192.168.100.201' 'input,udp-ipsec,4789,192.168.100.201'");
        expect(c.slice(c.lastIndexOf("firewall.sh '"))).not.toContain("'input,udp,4789,");
    });

    test("ports: none with openPorts false; a bad openPorts is named", async () => {
        new SwarmOverlayNetwork("ovl2", args({ openPorts: false }));
        await settle();
        expect(rec.resources.filter((r) => r.name.endsWith("-swarm-ports"))).toHaveLength(0);
        expect(after(CMD, "ovl2-h1-swarm")).toEqual([]);
        expect(
            messageOf(() => planSwarmOverlayNetwork("ovl", args({ openPorts: "yes" as unknown as boolean }))),
        ).toContain('openPorts "yes" is not true or false');
    });

    test("three managers: the others join as managers through the rest, one after another; workers join through any manager", async () => {
        const a = args();
        a.hosts = [
            { ...a.hosts[0], role: "manager" },
            { ...a.hosts[1], role: "manager" },
            { ...a.hosts[2], role: "manager" },
            { host: host("h4", "192.168.100.203"), address: "192.168.100.203" },
        ];
        expect(planSwarmOverlayNetwork("ovl", a)).toMatchObject({
            manager: 0,
            managers: [0, 1, 2],
            roles: ["manager", "manager", "manager", "worker"],
        });
        new SwarmOverlayNetwork("ovl", a);
        await settle();
        expect(rec.named("ovl-manager-token").inputs.create).toBe("docker swarm join-token -q manager");
        expect(rec.named("ovl-h2-swarm").inputs.delete).toMatch(
            /'--role' 'manager' '--advertise' '192\.168\.100\.201' '--join' '192\.168\.100\.200:2377,10\.9\.0\.5:2377'/,
        );
        expect(containsSecret(rec.named("ovl-h2-swarm").raw.create)).toBe(true);
        expect(after(CMD, "ovl-h2-swarm")).toContain("ovl-manager-token");
        expect(after(CMD, "ovl-h3-swarm")).toEqual(expect.arrayContaining(["ovl-h2-swarm", "ovl-manager-token"]));
        expect(rec.named("ovl-h4-swarm").inputs.delete).toMatch(
            /'--role' 'worker' '--advertise' '192\.168\.100\.203' '--join' '192\.168\.100\.200:2377,192\.168\.100\.201:2377,10\.9\.0\.5:2377'/,
        );
        expect(after(CMD, "ovl-h4-swarm")).toContain("ovl-join-token");
        expect(after(CMD, "ovl-h4-swarm")).not.toContain("ovl-h3-swarm");
        // Every member accepts 2377 from the others, whatever its role.
        expect(rec.named("ovl-h3-swarm-ports").inputs.create).toContain("'input,tcp,2377,192.168.100.203'");
        expect(rec.named("ovl-h4-swarm-ports").inputs.create).toContain("'input,tcp,2377,10.9.0.5'");
    });

    test("a host in two swarms is refused: in one program, and in a stack (plan time)", async () => {
        new SwarmOverlayNetwork("one", args());
        const b = args({ subnet: "10.31.0.0/24" });
        b.hosts = [b.hosts[2], { host: host("h4", "192.168.100.203"), address: "192.168.100.203" }];
        b.hosts[0] = { ...b.hosts[0], containers: [] };
        expect(messageOf(() => new SwarmOverlayNetwork("two", b))).toContain(
            'hosts[0].host is host h3, already in SwarmOverlayNetwork "one" (hosts[2]); a Docker host is in one swarm at most: declare its containers in that swarm',
        );
        await settle();
        const hosts = [
            { name: "h1", ssh: { address: "192.168.100.200" } },
            { name: "h2", ssh: { address: "192.168.100.201" } },
        ];
        const m = messageOf(() =>
            planTopology({
                hosts,
                swarms: [
                    {
                        name: "a",
                        subnet: "10.30.0.0/24",
                        hosts: [
                            { host: "h1", address: "192.168.100.200" },
                            { host: "h2", address: "192.168.100.201" },
                        ],
                    },
                    { name: "b", subnet: "10.31.0.0/24", hosts: [{ host: "h2", address: "192.168.100.201" }] },
                ],
            }),
        );
        expect(m).toContain(
            'swarms[1].hosts[0].host "h2" is already in swarms[0] ("a"); a Docker host is in one swarm at most',
        );
    });

    test("an even number of managers is refused, naming them", () => {
        const a = args();
        a.hosts[1] = { ...a.hosts[1], role: "manager" };
        a.hosts[0] = { ...a.hosts[0], role: "manager" };
        expect(messageOf(() => planSwarmOverlayNetwork("ovl", a))).toContain(
            'hosts[1].role is "manager", making 2 managers (hosts[0], hosts[1])',
        );
    });
});

describe("docker_gwbridge's subnet", () => {
    test("validated by path: a network address, off the overlay and the hosts' own addresses", () => {
        expect(messageOf(() => planSwarmOverlayNetwork("ovl", args({ gwbridgeSubnet: "10.33.0.1/24" })))).toContain(
            'gwbridgeSubnet "10.33.0.1/24" has host bits set; use 10.33.0.0/24',
        );
        expect(messageOf(() => planSwarmOverlayNetwork("ovl", args({ gwbridgeSubnet: "10.30.0.0/16" })))).toContain(
            "gwbridgeSubnet 10.30.0.0/16 overlaps subnet 10.30.0.0/24; docker_gwbridge and the overlay need ranges of their own",
        );
        expect(messageOf(() => planSwarmOverlayNetwork("ovl", args({ gwbridgeSubnet: "10.9.0.0/24" })))).toContain(
            "gwbridgeSubnet 10.9.0.0/24 holds hosts[2].address 10.9.0.5; choose a range off the hosts' own network",
        );
    });

    test("every member's init or join carries it; leaving needs no subnet", () => {
        const a = args({ gwbridgeSubnet: "10.33.0.0/24" });
        const plan = planSwarmOverlayNetwork("ovl", a);
        const steps = swarmSteps(
            "ovl",
            plan,
            a.hosts.map((m) => ({ hostName: m.host.name, address: m.address })),
        );
        const joins = steps.filter((st) => st.script === "swarm" && !st.name.includes("-peer-"));
        expect(joins.map((st) => st.name)).toEqual(["ovl-h1-swarm", "ovl-h2-swarm", "ovl-h3-swarm"]);
        for (const st of joins) {
            expect(st.create("SWMTKN-1-x").join(" ")).toContain("--gwbridge-subnet 10.33.0.0/24");
            expect(st.delete.join(" ")).not.toContain("gwbridge");
        }
    });

    test("in a stack, it must not overlap what else is declared on a member host (a routed peer's bip here)", () => {
        const m = messageOf(() =>
            planTopology({
                hosts: [
                    { name: "h1", ssh: { address: "192.168.100.200" } },
                    { name: "h2", ssh: { address: "192.168.100.201" } },
                ],
                routedPairs: [
                    {
                        name: "rp",
                        hostA: { host: "h1", lanAddress: "192.168.100.200/24", bip: "172.18.1.1/24" },
                        hostB: { host: "h2", lanAddress: "192.168.100.201/24", bip: "172.18.2.1/24" },
                    },
                ],
                swarms: [
                    {
                        name: "ovl",
                        subnet: "10.30.0.0/24",
                        gwbridgeSubnet: "172.18.0.0/16",
                        hosts: [
                            { host: "h1", address: "192.168.100.200" },
                            { host: "h2", address: "192.168.100.201" },
                        ],
                    },
                ],
            }),
        );
        expect(m).toContain('swarms[0].gwbridgeSubnet "172.18.0.0/16" overlaps');
        expect(m).toContain("on host h1; give each network its own range");
    });

    test("left out on a host this stack routes to other hosts' containers inside Docker's default pools: refused, since Docker would not look at the routes", () => {
        const spec = (gwbridgeSubnet?: string, bip2 = "172.18.2.1/24") => ({
            hosts: [
                { name: "h1", ssh: { address: "192.168.100.200" } },
                { name: "h2", ssh: { address: "192.168.100.201" } },
            ],
            routedPairs: [
                {
                    name: "rp",
                    hostA: { host: "h1", lanAddress: "192.168.100.200/24", bip: "172.18.1.1/24" },
                    hostB: { host: "h2", lanAddress: "192.168.100.201/24", bip: bip2 },
                },
            ],
            swarms: [
                {
                    name: "ovl",
                    subnet: "10.30.0.0/24",
                    gwbridgeSubnet,
                    hosts: [
                        { host: "h1", address: "192.168.100.200" },
                        { host: "h2", address: "192.168.100.201" },
                    ],
                },
            ],
        });
        const m = messageOf(() => planTopology(spec()));
        expect(m).toContain(
            "swarms[0].gwbridgeSubnet is not given, and host h1 (routedPairs[0].hostB.bip (routed to h1)) routes 172.18.2.0/24, inside Docker's default address pools (172.17.0.0/16 to 172.31.0.0/16, 192.168.0.0/16), from which Docker picks docker_gwbridge's subnet without looking at the host's routes; give gwbridgeSubnet a range free on every member host, e.g. \"10.33.0.0/24\"",
        );
        expect(m).toContain("host h2 (routedPairs[0].hostA.bip (routed to h2)) routes 172.18.1.0/24");
        // Declared, or routes outside the pools: accepted.
        expect(() => planTopology(spec("10.33.0.0/24"))).not.toThrow();
        expect(() =>
            planTopology({
                ...spec(),
                routedPairs: [
                    {
                        ...spec().routedPairs[0],
                        hostA: { ...spec().routedPairs[0].hostA, bip: "10.41.1.1/24" },
                        hostB: { ...spec().routedPairs[0].hostB, bip: "10.41.2.1/24" },
                    },
                ],
            }),
        ).not.toThrow();
    });
});
