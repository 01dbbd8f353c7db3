// The single-host components under plain mocks, in normal and preview mode: what they register,
// and every validation rule, each failing before any resource exists.
import * as pulumi from "@pulumi/pulumi";
import {
    ContainerSpec,
    CustomBridgeNetwork,
    LinkedContainerPair,
    LinkedContainerPairArgs,
    SharedNamespaceContainer,
    planCustomBridgeNetwork,
    planLinkedContainerPair,
    validateSharedNamespaceContainer,
} from "../../components";
import { Recorder, isUnknown, settle, valueOf } from "../support/mocks";

const web = (name: string, extra: Partial<ContainerSpec> = {}): ContainerSpec => ({
    name,
    image: "lab/busybox:1",
    command: ["httpd", "-f", "-p", "80", "-h", "/www"],
    ports: [{ internal: 80 }],
    ...extra,
});

/** Asserts that `fn` throws one error naming every given fragment (field, value, fix). */
function expectProblems(fn: () => unknown, ...fragments: string[]): void {
    let message = "";
    try {
        fn();
    } catch (e) {
        message = (e as Error).message;
    }
    expect(message).not.toBe("");
    for (const f of fragments) {
        expect(message).toContain(f);
    }
}

describe.each([false, true])("single-host components (preview=%s)", (preview) => {
    const rec = new Recorder();
    beforeEach(async () => rec.install(preview));
    afterEach(settle);

    test("CustomBridgeNetwork declares the bridge with subnet, gateway and a known bridge name", async () => {
        const net = new CustomBridgeNetwork("appnet", { subnet: "172.19.0.0/16", gateway: "172.19.0.1" });
        await settle();
        const n = rec.named("appnet-network");
        expect(n.type).toBe("docker:index/network:Network");
        expect(n.inputs.name).toBe("appnet");
        expect(n.inputs.driver).toBe("bridge");
        expect(n.inputs.ipamConfigs).toEqual([{ subnet: "172.19.0.0/16", gateway: "172.19.0.1" }]);
        expect(n.inputs.options).toEqual({ "com.docker.network.bridge.name": "br-appnet" });
        expect(await valueOf(net.bridgeName)).toBe("br-appnet");
        expect(await valueOf(net.gateway)).toBe("172.19.0.1");
        expect(rec.ofType("command:remote:Command")).toHaveLength(0);
    });

    test("CustomBridgeNetwork defaults the gateway to the subnet's first address", async () => {
        const net = new CustomBridgeNetwork("n2", { subnet: "10.20.0.0/24" });
        expect(await valueOf(net.gateway)).toBe("10.20.0.1");
    });

    test("LinkedContainerPair mode dns: a dedicated network, the alias on the target", async () => {
        const pair = new LinkedContainerPair("web", {
            target: web("nginx_web1"),
            consumer: web("nginx_web3"),
            alias: "www",
        });
        await settle();
        const net = rec.named("web-network");
        expect(net.inputs.name).toBe("web-link");
        const target = rec.named("web-target");
        expect(target.inputs.name).toBe("nginx_web1");
        // Created in mode bridge, which the provider disconnects before connecting web-link with the alias.
        expect(target.inputs.networkMode).toBe("bridge");
        expect(target.inputs.networksAdvanced).toEqual([{ name: "web-link", aliases: ["www"] }]);
        const consumer = rec.named("web-consumer");
        expect(consumer.inputs.networksAdvanced).toEqual([{ name: "web-link" }]);
        expect(consumer.inputs.hosts).toBeUndefined();
        expect(await valueOf(pair.alias)).toBe("www");
    });

    test("LinkedContainerPair mode dns on a network both already share puts the alias there", async () => {
        const net = new CustomBridgeNetwork("shared", { subnet: "172.19.0.0/16" });
        new LinkedContainerPair("api", {
            target: web("api_1", { networks: [{ name: net.name }] }),
            consumer: web("api_client", { networks: [{ name: net.name }] }),
            alias: "api",
        });
        await settle();
        expect(rec.ofType("docker:index/network:Network").map((r) => r.name)).toEqual(["shared-network"]);
        expect(rec.named("api-target").inputs.networksAdvanced).toEqual([{ name: "shared", aliases: ["api"] }]);
        expect(rec.named("api-consumer").inputs.networksAdvanced).toEqual([{ name: "shared" }]);
    });

    test("LinkedContainerPair mode hosts: the consumer's /etc/hosts gets what --link writes", async () => {
        const pair = new LinkedContainerPair("link", {
            target: web("nginx_web1"),
            consumer: web("nginx_web2"),
            mode: "hosts",
        });
        await settle();
        const consumer = rec.named("link-consumer");
        expect(rec.ofType("docker:index/network:Network")).toHaveLength(0);
        if (preview) {
            // The target's id and address are unknown until it exists.
            expect(await valueOf(pair.hostsEntry)).toBeUndefined();
        } else {
            expect(consumer.inputs.hosts).toEqual(
                [{ host: "nginx_web1 link-target-", ip: expect.any(String) }].map((h) => ({
                    ...h,
                    host: expect.stringMatching(/^nginx_web1 link-target-/),
                })),
            );
            expect(await valueOf(pair.hostsEntry)).toMatch(/^172\.17\.0\.\d+\tnginx_web1 \S{12}$/);
        }
    });

    test("LinkedContainerPair alias, networkName and hostsEntry in every mode, as a stack export sees them", async () => {
        const bridge = new CustomBridgeNetwork("outs-shared", { subnet: "172.20.0.0/16" });
        const pairs = {
            dedicated: new LinkedContainerPair("outs-dns", {
                target: web("o_t1"),
                consumer: web("o_c1"),
                alias: "www",
            }),
            shared: new LinkedContainerPair("outs-shared-link", {
                target: web("o_t2", { networks: [{ name: bridge.name }] }),
                consumer: web("o_c2", { networks: [{ name: bridge.name }] }),
                alias: "api",
            }),
            hosts: new LinkedContainerPair("outs-hosts", {
                target: web("o_t3"),
                consumer: web("o_c3"),
                mode: "hosts",
                alias: "db",
            }),
        };
        await settle();
        for (const pair of Object.values(pairs)) {
            // Made on first read, kept after, and own enumerable keys: exporting the component exports them.
            expect(Object.keys(pair)).toEqual(
                expect.arrayContaining(["alias", "networkName", "hostsEntry", "targetAddress", "consumerAddress"]),
            );
            expect(pair.alias).toBe(pair.alias);
            expect(pulumi.Output.isInstance(pair.networkName)).toBe(true);
        }
        expect(await valueOf(pairs.dedicated.alias)).toBe("www");
        expect(await valueOf(pairs.shared.alias)).toBe("api");
        expect(await valueOf(pairs.hosts.alias)).toBe("db");
        expect(await valueOf(pairs.hosts.networkName)).toBeUndefined();
        expect(await valueOf(pairs.dedicated.hostsEntry)).toBeUndefined();
        expect(await valueOf(pairs.shared.hostsEntry)).toBeUndefined();
        if (!preview) {
            expect(await valueOf(pairs.dedicated.networkName)).toBe("outs-dns-link");
            expect(await valueOf(pairs.shared.networkName)).toBe("outs-shared");
            expect(await valueOf(pairs.hosts.hostsEntry)).toMatch(/^172\.17\.0\.\d+\tdb \S{12} o_t3$/);
        }
    });

    test("LinkedContainerPair hosts entry with an alias names alias, short id and target", async () => {
        const pair = new LinkedContainerPair("alias", {
            target: web("nginx_web1"),
            consumer: web("nginx_web3"),
            mode: "hosts",
            alias: "www",
        });
        if (!preview) {
            expect(await valueOf(pair.hostsEntry)).toMatch(/^172\.17\.0\.\d+\twww \S{12} nginx_web1$/);
        } else {
            expect(await valueOf(pair.hostsEntry)).toBeUndefined();
        }
    });

    test("LinkedContainerPair with the seed's two consumers of one target: by name and by alias, in both modes", async () => {
        const hosts = new LinkedContainerPair("seed", {
            target: web("nginx_web1"),
            consumers: [{ container: web("nginx_web2") }, { container: web("nginx_web3"), alias: "www" }],
            mode: "hosts",
        });
        new LinkedContainerPair("seed-dns", {
            target: web("dns_web1"),
            consumers: [
                { container: web("dns_web2"), alias: "web1" },
                { container: web("dns_web3"), alias: "www" },
            ],
        });
        await settle();
        expect(Object.keys(hosts.consumers)).toEqual(["nginx_web2", "nginx_web3"]);
        expect(rec.ofType("docker:index/container:Container").map((r) => r.name)).toEqual(
            expect.arrayContaining([
                "seed-target",
                "seed-consumer-nginx_web2",
                "seed-consumer-nginx_web3",
                "seed-dns-target",
                "seed-dns-consumer-dns_web2",
                "seed-dns-consumer-dns_web3",
            ]),
        );
        // Mode dns: one network, the target carries both aliases, both consumers join it.
        expect(rec.named("seed-dns-target").inputs.networksAdvanced).toEqual([
            expect.objectContaining({ aliases: ["web1", "www"] }),
        ]);
        expect(rec.named("seed-dns-consumer-dns_web3").inputs.networksAdvanced).toHaveLength(1);
        if (!preview) {
            const entries = (await valueOf(hosts.hostsEntries)) as Record<string, string>;
            expect(entries.nginx_web2).toMatch(/^172\.17\.0\.\d+\tnginx_web1 \S{12}$/);
            expect(entries.nginx_web3).toMatch(/^172\.17\.0\.\d+\twww \S{12} nginx_web1$/);
            expect(await valueOf(hosts.hostsEntry)).toBe(entries.nginx_web2);
        }
    });

    test("SharedNamespaceContainer puts sidecars in container:<primary id>, replaced with it", async () => {
        const shared = new SharedNamespaceContainer("app", {
            primary: web("tomcat_app1", { ports: [{ internal: 8080, external: 8080 }] }),
            sidecars: [{ name: "tomcat_app1_probe", image: "lab/busybox:1", command: ["sleep", "3600"] }],
        });
        await settle();
        const side = rec.named("app-sidecar-tomcat_app1_probe");
        if (preview) {
            expect(isUnknown(side.inputs.networkMode)).toBe(true); // unknown until the primary exists
            expect(await valueOf(shared.sharedMode)).toBeUndefined();
        } else {
            expect(side.inputs.networkMode).toMatch(/^container:app-primary-id-/);
        }
        expect(side.inputs.ports).toBeUndefined();
        expect(rec.named("app-primary").inputs.ports).toEqual([
            { internal: 8080, external: 8080, protocol: "tcp", ip: "0.0.0.0" },
        ]);
    });

    test("network modes host and none map to Docker's modes and publish nothing", async () => {
        new SharedNamespaceContainer("h", {
            primary: web("hostweb", { networkMode: "host" }),
            sidecars: [{ name: "hostside", image: "lab/busybox:1" }],
        });
        new SharedNamespaceContainer("n", {
            primary: web("noneweb", { networkMode: "none" }),
            sidecars: [{ name: "noneside", image: "lab/busybox:1" }],
        });
        await settle();
        expect(rec.named("h-primary").inputs.networkMode).toBe("host");
        expect(rec.named("n-primary").inputs.networkMode).toBe("none");
        expect(rec.named("n-primary").inputs.ports).toBeUndefined();
    });

    test("a validation error registers nothing but the component itself", async () => {
        expect(() => new CustomBridgeNetwork("bad", { subnet: "172.19.0.1/16" })).toThrow(
            /subnet "172.19.0.1\/16" has host bits set; use 172.19.0.0\/16/,
        );
        await settle();
        expect(rec.resources.filter((r) => r.type.startsWith("docker:") || r.type.startsWith("command:"))).toHaveLength(
            0,
        );
    });

    test("errors are ResourceErrors pointing at the component", () => {
        expect(() => new LinkedContainerPair("bad", { target: web("-x"), consumer: web("y") })).toThrow(
            pulumi.ResourceError,
        );
    });
});

/** The message a LinkedContainerPair's planning gives for these args. */
function messageOfLink(args: Partial<LinkedContainerPairArgs>): string {
    try {
        planLinkedContainerPair("l", args as LinkedContainerPairArgs);
        return "";
    } catch (e) {
        return (e as Error).message;
    }
}

describe("validation rules (pure, all problems at once)", () => {
    test("Docker's name rule: nginx_web1 is valid, leading '-' and spaces are not", () => {
        expect(() =>
            planLinkedContainerPair("p", { target: web("nginx_web1"), consumer: web("nginx_web2"), mode: "hosts" }),
        ).not.toThrow();
        expectProblems(
            () => planLinkedContainerPair("p", { target: web("-web"), consumer: web("web 2"), mode: "hosts" }),
            'Invalid LinkedContainerPair "p"',
            'target.name "-web" is not a valid Docker name',
            'use "web"',
            'consumer.name "web 2" is not a valid Docker name',
            'use "web_2"',
        );
    });

    test("aliases must be valid hostnames", () => {
        expectProblems(
            () => planLinkedContainerPair("p", { target: web("a"), consumer: web("b"), alias: "w_w" }),
            'alias "w_w" is not a valid hostname',
            'use "w-w"',
        );
        expectProblems(
            () => planLinkedContainerPair("p", { target: web("a"), consumer: web("b"), alias: "www;reboot" }),
            'alias "www;reboot"',
        );
        expectProblems(
            () => planLinkedContainerPair("p", { target: web("nginx_web1"), consumer: web("b") }),
            "alias is unset",
            '"nginx_web1"',
            'e.g. "nginx-web1"',
        );
    });

    test("link mode must be dns or hosts; a link needs bridge networking", () => {
        expectProblems(
            () => planLinkedContainerPair("p", { target: web("a"), consumer: web("b"), mode: "legacy" as never }),
            'mode "legacy" is not a link mode',
            '"dns"',
            '"hosts"',
        );
        expectProblems(
            () =>
                planLinkedContainerPair("p", {
                    target: web("a", { networkMode: "host" }),
                    consumer: web("b"),
                    alias: "a",
                }),
            'target.networkMode is "host"; a link needs both containers on a bridge network',
        );
    });

    test("a link needs a consumer; consumers need their own names and valid aliases", () => {
        expect(messageOfLink({ target: web("t") })).toContain(
            "consumer is missing; give the container that reaches the target (consumer), or several (consumers)",
        );
        const m = messageOfLink({
            target: web("t"),
            consumers: [{ container: web("c") }, { container: web("c"), alias: "bad alias" }],
            mode: "hosts",
        });
        expect(m).toContain(
            'consumers[1].container.name "c" is already used by consumers[0].container.name on the same host',
        );
        expect(m).toContain('consumers[1].alias "bad alias"');
    });

    test("target and consumer need different names", () => {
        expectProblems(
            () => planLinkedContainerPair("p", { target: web("same"), consumer: web("same"), alias: "www" }),
            'consumer.name "same" is already used by target.name',
        );
    });

    test("subnets must not carry host bits, and /0, /33 and IPv6 are refused", () => {
        expectProblems(
            () => planCustomBridgeNetwork("n", { subnet: "172.19.0.1/16" }),
            'subnet "172.19.0.1/16" has host bits set; use 172.19.0.0/16',
        );
        expectProblems(() => planCustomBridgeNetwork("n", { subnet: "0.0.0.0/0" }), "subnet", "/0");
        expectProblems(() => planCustomBridgeNetwork("n", { subnet: "10.0.0.0/33" }), 'subnet "10.0.0.0/33"', "/33");
        expectProblems(() => planCustomBridgeNetwork("n", { subnet: "fd00::/64" }), 'subnet "fd00::/64"', "IPv6");
        expectProblems(
            () => planCustomBridgeNetwork("n", { subnet: "172.19.0.0" }),
            'subnet "172.19.0.0" has no prefix length',
        );
    });

    test("the gateway lies inside the subnet and is neither its network nor broadcast address", () => {
        expectProblems(
            () => planCustomBridgeNetwork("n", { subnet: "172.19.0.0/16", gateway: "172.20.0.1" }),
            'gateway "172.20.0.1" is outside subnet 172.19.0.0/16',
            "e.g. 172.19.0.1",
        );
        expectProblems(
            () => planCustomBridgeNetwork("n", { subnet: "172.19.0.0/16", gateway: "172.19.0.0" }),
            'gateway "172.19.0.0" is the network address',
            "use 172.19.0.1",
        );
        expectProblems(
            () => planCustomBridgeNetwork("n", { subnet: "172.19.0.0/16", gateway: "172.19.255.255" }),
            'gateway "172.19.255.255" is the broadcast address',
        );
        expectProblems(
            () => planCustomBridgeNetwork("n", { subnet: "172.19.0.0/16", ipRange: "172.20.0.0/24" }),
            'ipRange "172.20.0.0/24" is not inside subnet',
        );
    });

    test("bridge names: at most 15 characters, no wildcard, not docker0 or lo", () => {
        expectProblems(
            () => planCustomBridgeNetwork("n", { subnet: "172.19.0.0/16", bridgeName: "br-much-too-long-name" }),
            'bridgeName "br-much-too-long-name"',
            "Linux allows 15",
        );
        expectProblems(
            () => planCustomBridgeNetwork("n", { subnet: "172.19.0.0/16", bridgeName: "br+" }),
            "'+' is an iptables wildcard",
        );
        expectProblems(
            () => planCustomBridgeNetwork("n", { subnet: "172.19.0.0/16", bridgeName: "docker0" }),
            'bridgeName "docker0" belongs to Docker\'s default bridge',
        );
        expectProblems(() => planCustomBridgeNetwork("n", { subnet: "172.19.0.0/16", bridgeName: "lo" }), "loopback");
        expect(planCustomBridgeNetwork("a-very-long-network-name", { subnet: "172.19.0.0/16" }).bridgeName).toBe(
            "br-a-very-long-",
        );
    });

    test("connectTo needs the host, valid distinct bridges, and not an internal network", () => {
        expectProblems(
            () => planCustomBridgeNetwork("n", { subnet: "172.19.0.0/16", connectTo: ["docker0"] }),
            "host is missing",
            "connectTo changes the host's firewall",
        );
        const host = { name: "h1", local: {} };
        expectProblems(
            () =>
                planCustomBridgeNetwork("n", {
                    host,
                    subnet: "172.19.0.0/16",
                    connectTo: ["docker0", "docker0", "br-n", "eth+"],
                    internal: true,
                }),
            'connectTo[1] "docker0" is listed twice',
            'connectTo[2] "br-n" is this network\'s own bridge',
            "connectTo[3]",
            "connectTo is set on an internal network",
        );
        const plan = planCustomBridgeNetwork("n", { host, subnet: "172.19.0.0/16", connectTo: ["docker0"] });
        expect(plan.firewallRules).toEqual(["accept,br-n,docker0,-,-", "accept,docker0,br-n,-,-"]);
        expect(plan.firewallChain).toMatch(/^DN-B-[0-9A-F]{10}$/);
    });

    test("sidecars: a port clash with the primary, published ports and network settings are refused", () => {
        expectProblems(
            () =>
                validateSharedNamespaceContainer("s", {
                    primary: web("tomcat_app1", { ports: [{ internal: 8080 }] }),
                    sidecars: [
                        { name: "side1", image: "lab/busybox:1", ports: [{ internal: 8080 }] },
                        {
                            name: "side2",
                            image: "lab/busybox:1",
                            ports: [{ internal: 9000, external: 9000 }],
                            networkMode: "bridge",
                        },
                    ],
                }),
            'Invalid SharedNamespaceContainer "s"',
            "sidecars[0].ports[0] 8080/tcp is already taken by primary",
            "sidecars[1].ports[0].external is 9000",
            "publish it on the primary",
            "sidecars[1].networkMode is set",
        );
        expectProblems(
            () => validateSharedNamespaceContainer("s", { primary: web("p"), sidecars: [] }),
            "sidecars is []",
            "at least one sidecar",
        );
    });

    test("container fields: network mode, restart policy, ports, env", () => {
        expectProblems(
            () =>
                planLinkedContainerPair("p", {
                    target: web("a", {
                        networkMode: "container:x" as never,
                        restart: "sometimes" as never,
                        ports: [{ internal: 0 }, { internal: 80, protocol: "sctp" as never }],
                    }),
                    consumer: web("b", { env: { "BAD-KEY": "v", OK: "line\nbreak" } }),
                    alias: "a",
                }),
            'target.networkMode "container:x" is not a network mode',
            "SharedNamespaceContainer",
            'target.restart "sometimes" is not a restart policy',
            "target.ports[0].internal 0 is not a port",
            'target.ports[1].protocol "sctp"',
            'consumer.env key "BAD-KEY"',
            'consumer.env.OK "line\\nbreak" has a control character',
        );
    });

    test("custom mode needs networks; networks need custom mode", () => {
        expectProblems(
            () =>
                planLinkedContainerPair("p", {
                    target: web("a", { networkMode: "custom" }),
                    consumer: web("b"),
                    alias: "a",
                }),
            "target.networks is empty",
        );
        expectProblems(
            () =>
                planLinkedContainerPair("p", {
                    target: web("a", { networkMode: "bridge", networks: [{ name: "x" }] }),
                    consumer: web("b"),
                    alias: "a",
                }),
            'target.networks is set but networkMode is "bridge"',
        );
    });
});
