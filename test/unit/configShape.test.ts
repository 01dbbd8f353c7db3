// A stack config a user cannot get silently wrong: a catalog of config mistakes, each with the one
// exact message it must give (full path, value, fix), through the same path `npm run plan` and the
// stack program take (topologyFromConfig, then planTopology). No mistake is accepted silently, none
// gives a raw JavaScript error, and one mistake gives one message. The JSON Schema the check reads
// is generated from the TypeScript types, and is up to date.
import * as fs from "fs";
import * as path from "path";
import { TopologySpec, ValidationError, planTopology, topologyFromConfig } from "../../components";
import { nearest } from "../../components/configShape";
import { schemaFiles } from "../../scripts/schema";

const web = (name: string) => ({
    name,
    image: "lab/busybox:1",
    command: ["httpd", "-f", "-p", "80"],
    ports: [{ internal: 80 }],
});

/** A valid topology with one of everything (hosts h1..h4 on one LAN). */
function base(): TopologySpec {
    return {
        hosts: [1, 2, 3, 4].map((n) => ({ name: `h${n}`, ssh: { address: `192.168.100.${199 + n}`, user: "root" } })),
        bridges: [
            { name: "appnet", host: "h1", subnet: "172.19.0.0/16", gateway: "172.19.0.1", connectTo: ["docker0"] },
        ],
        links: [
            {
                name: "link",
                host: "h1",
                mode: "dns",
                alias: "www",
                target: { ...web("nginx_web1"), networks: [{ name: "appnet" }] },
                consumer: { name: "nginx_web3", image: "lab/busybox:1", networks: [{ name: "appnet" }] },
            },
        ],
        sharedNamespaces: [
            {
                name: "tomcat",
                host: "h1",
                primary: web("tomcat_app1"),
                sidecars: [{ name: "container_docker", image: "lab/busybox:1", command: ["sleep", "86400"] }],
            },
        ],
        routedPairs: [
            {
                name: "pair",
                preserveSourceIp: true,
                hostA: {
                    host: "h1",
                    lanAddress: "192.168.100.200/24",
                    bip: "172.17.0.1/16",
                    containers: [web("web_h1")],
                },
                hostB: {
                    host: "h2",
                    lanAddress: "192.168.100.201/24",
                    bip: "172.18.0.1/16",
                    containers: [web("web_h2")],
                },
            },
        ],
        meshes: [
            {
                name: "mesh",
                pool: { subnet: "10.200.0.0/16", size: 24 },
                hosts: [
                    { host: "h3", lanAddress: "192.168.100.202/24", containers: [web("web_h3")] },
                    { host: "h4", lanAddress: "192.168.100.203/24", containers: [web("web_h4")] },
                ],
            },
        ],
        checks: [{ name: "check", host: "h1", from: "web_h1", to: "web_h2", port: 80, expect: "reachable" }],
    };
}

/** The stack's config values as Pulumi hands them to the program: each key's JSON text. */
function asConfig(t: Record<string, unknown>): { [key: string]: string } {
    return Object.fromEntries(
        Object.entries(t).map(([k, v]) => [`dockernet:${k}`, typeof v === "string" ? v : JSON.stringify(v)]),
    );
}

/** The problem lines a config gives (`- field message`), or [] when it is accepted; a non-ValidationError fails the test. */
function problemsOf(config: { [key: string]: string }): string[] {
    try {
        planTopology(topologyFromConfig(config, "cat"), "cat");
        return [];
    } catch (e) {
        if (!(e instanceof ValidationError)) {
            throw new Error(`a raw JavaScript error reached the user: ${(e as Error).stack}`);
        }
        return e.message
            .split("\n")
            .filter((l) => l.startsWith(" - "))
            .map((l) => l.slice(3));
    }
}

type Edit = (t: any) => void; // the catalog writes what a user's YAML could hold

/** [title, edit of the base topology, the one exact message]. */
const CATALOG: [string, Edit, string][] = [
    // Misspelled keys, at every depth
    [
        "a misspelled optional key (preserveSourceIP)",
        (t) => {
            t.routedPairs[0].preserveSourceIP = true;
            delete t.routedPairs[0].preserveSourceIp;
        },
        "routedPairs[0].preserveSourceIP is not a setting of a routed pair; did you mean preserveSourceIp? remove it or use one of: hostA, hostB, name, preserveSourceIp, verify",
    ],
    [
        "a misspelled container key (comand)",
        (t) => {
            t.links[0].target.comand = t.links[0].target.command;
            delete t.links[0].target.command;
        },
        "links[0].target.comand is not a setting of a container; did you mean command? remove it or use one of: command, env, hostname, image, labels, name, networkMode, networks, ports, restart",
    ],
    [
        "a misspelled required key (lanAdress)",
        (t) => {
            t.routedPairs[0].hostB.lanAdress = t.routedPairs[0].hostB.lanAddress;
            delete t.routedPairs[0].hostB.lanAddress;
        },
        "routedPairs[0].hostB.lanAdress is not a setting of a side of a routed pair; did you mean lanAddress? (lanAddress is required and missing)",
    ],
    [
        "a misspelled port key (interal)",
        (t) => {
            t.links[0].target.ports = [{ interal: 80 }];
        },
        "links[0].target.ports[0].interal is not a setting of a port; did you mean internal? (internal is required and missing)",
    ],
    [
        "a key in the wrong case (BridgeName)",
        (t) => {
            t.bridges[0].BridgeName = "br-app";
        },
        "bridges[0].BridgeName is not a setting of a bridge; did you mean bridgeName? remove it or use one of: bridgeName, connectTo, gateway, host, internal, ipRange, name, subnet",
    ],
    [
        "a misspelled mesh key (hots)",
        (t) => {
            t.meshes[0].hots = t.meshes[0].hosts;
            delete t.meshes[0].hosts;
        },
        "meshes[0].hots is not a setting of a mesh; did you mean hosts? (hosts is required and missing)",
    ],
    [
        "a misspelled pool key (sise)",
        (t) => {
            t.meshes[0].pool = { subnet: "10.200.0.0/16", sise: 24 };
        },
        "meshes[0].pool.sise is not a setting of a pool; did you mean size? remove it or use one of: size, subnet",
    ],
    [
        "a misspelled ssh key (adress)",
        (t) => {
            t.hosts[0].ssh = { adress: "192.168.100.200" };
        },
        "hosts[0].ssh.adress is not a setting of ssh; did you mean address? (address is required and missing)",
    ],
    [
        "a key the config never takes (privateKey on a host: the key is one secret)",
        (t) => {
            t.hosts[0].ssh.privateKey = "-----BEGIN";
        },
        "hosts[0].ssh.privateKey is not a setting of ssh; remove it or use one of: address, hostKey, knownHostsPath, port, privateKeyPath, user",
    ],
    [
        "an unknown check key (expected)",
        (t) => {
            t.checks[0].expected = "isolated";
        },
        "checks[0].expected is not a setting of a check; did you mean expect? remove it or use one of: attempts, expect, from, host, name, port, to",
    ],
    [
        "an unknown sidecar key with no near match",
        (t) => {
            t.sharedNamespaces[0].sidecars[0].volumes = ["/data"];
        },
        "sharedNamespaces[0].sidecars[0].volumes is not a setting of a container; remove it or use one of: command, env, hostname, image, labels, name, networkMode, networks, ports, restart",
    ],
    [
        "an unknown network-attachment key (alias)",
        (t) => {
            t.links[0].target.networks = [{ name: "appnet", alias: ["api"] }];
        },
        "links[0].target.networks[0].alias is not a setting of a container's network; did you mean aliases? remove it or use one of: aliases, ipv4Address, name",
    ],
    // Wrong types, named by path, with an example
    [
        "ports as a number",
        (t) => {
            t.links[0].target.ports = 80;
        },
        "links[0].target.ports is a number (80); give a list, e.g. [{ internal: 80 }]",
    ],
    [
        "command as one string",
        (t) => {
            t.sharedNamespaces[0].sidecars[0].command = "sleep 86400";
        },
        'sharedNamespaces[0].sidecars[0].command is a string ("sleep 86400"); give a list, e.g. ["..."]',
    ],
    [
        "a port number in quotes",
        (t) => {
            t.links[0].target.ports = [{ internal: "80" }];
        },
        'links[0].target.ports[0].internal is a string ("80"); give a number, e.g. 80 (80 without quotes)',
    ],
    [
        "a boolean in quotes",
        (t) => {
            t.routedPairs[0].preserveSourceIp = "true";
        },
        'routedPairs[0].preserveSourceIp is a string ("true"); give true or false (true without quotes)',
    ],
    [
        "env as a list",
        (t) => {
            t.links[0].target.env = ["A=1"];
        },
        "links[0].target.env is a list; give an object, e.g. { ... }",
    ],
    [
        "an env value that is a number",
        (t) => {
            t.links[0].target.env = { RETRIES: 3 };
        },
        'links[0].target.env.RETRIES is a number (3); give a string, e.g. "..."',
    ],
    [
        "hostA as a string",
        (t) => {
            t.routedPairs[0].hostA = "h1";
        },
        'routedPairs[0].hostA is a string ("h1"); give a side of a routed pair, e.g. { bip: "...", host: "...", lanAddress: "..." }',
    ],
    [
        "a host list entry that is a string",
        (t) => {
            t.hosts[3] = "h4";
        },
        'hosts[3] is a string ("h4"); give a host, e.g. { name: "..." }',
    ],
    [
        "sidecars as an object",
        (t) => {
            t.sharedNamespaces[0].sidecars = { name: "x", image: "y" };
        },
        'sharedNamespaces[0].sidecars is an object; give a list, e.g. [{ image: "...", name: "..." }]',
    ],
    [
        "connectTo as a string",
        (t) => {
            t.bridges[0].connectTo = "docker0";
        },
        'bridges[0].connectTo is a string ("docker0"); give a list, e.g. ["..."]',
    ],
    [
        "a null container",
        (t) => {
            t.links[0].consumer = null;
        },
        'links[0].consumer is null; give a container, e.g. { image: "...", name: "..." }',
    ],
    [
        "a check port as a string",
        (t) => {
            t.checks[0].port = "http";
        },
        'checks[0].port is a string ("http"); give a number, e.g. 80',
    ],
    [
        "a pool size as a string",
        (t) => {
            t.meshes[0].pool.size = "/24";
        },
        'meshes[0].pool.size is a string ("/24"); give a number, e.g. 24',
    ],
    [
        "internal as a boolean",
        (t) => {
            t.bridges[0].internal = "yes";
        },
        'bridges[0].internal is a string ("yes"); give true or false',
    ],
    // Enumerated values
    [
        "a misspelled link mode (dnss)",
        (t) => {
            t.links[0].mode = "dnss";
        },
        'links[0].mode "dnss" is not one of dns, hosts; use one of them (did you mean dns?)',
    ],
    [
        "a misspelled network mode (hots)",
        (t) => {
            t.sharedNamespaces[0].primary.networkMode = "hots";
        },
        'sharedNamespaces[0].primary.networkMode "hots" is not one of bridge, host, none, custom; use one of them (did you mean host?)',
    ],
    [
        "a restart policy Docker does not have",
        (t) => {
            t.links[0].consumer.restart = "sometimes";
        },
        'links[0].consumer.restart "sometimes" is not one of no, on-failure, always, unless-stopped; use one of them',
    ],
    [
        "a check expectation in capitals",
        (t) => {
            t.checks[0].expect = "Reachable";
        },
        'checks[0].expect "Reachable" is not one of reachable, isolated; use one of them (did you mean reachable?)',
    ],
    [
        "a protocol Docker does not publish",
        (t) => {
            t.links[0].target.ports = [{ internal: 80, protocol: "sctp" }];
        },
        'links[0].target.ports[0].protocol "sctp" is not one of tcp, udp; use one of them',
    ],
    // Missing required keys
    [
        "a container without an image",
        (t) => {
            delete t.links[0].consumer.image;
        },
        'links[0].consumer.image is missing; give it (An image present on (or pullable by) the host, e.g. `nginx:1.27`), e.g. "..."',
    ],
    [
        "a bridge without a subnet",
        (t) => {
            delete t.bridges[0].subnet;
        },
        'bridges[0].subnet is missing; give it (The subnet, a network address with prefix, e.g. `172.19.0.0/16`), e.g. "..."',
    ],
    [
        "a check without from",
        (t) => {
            delete t.checks[0].from;
        },
        'checks[0].from is missing; give it (The container the probe runs in), e.g. "..."',
    ],
    [
        "a mesh host without lanAddress",
        (t) => {
            delete t.meshes[0].hosts[1].lanAddress;
        },
        'meshes[0].hosts[1].lanAddress is missing; give it (The host\'s LAN address with prefix, e.g. `192.168.100.200/24`), e.g. "..."',
    ],
    // References resolved against what is declared on that host
    [
        "a check from a container that is not on its host",
        (t) => {
            t.checks[0].from = "web_h2";
        },
        'checks[0].from "web_h2" is not a container on host h1; use one of: nginx_web1, nginx_web3, tomcat_app1, container_docker, web_h1 (did you mean web_h1?)',
    ],
    [
        "a check from a name no container has",
        (t) => {
            t.checks[0].from = "nginx";
        },
        'checks[0].from "nginx" is not a container on host h1; use one of: nginx_web1, nginx_web3, tomcat_app1, container_docker, web_h1',
    ],
    [
        "a check to a link alias on its host is accepted; to an alias on another host is not",
        (t) => {
            t.checks[0].host = "h2";
            t.checks[0].from = "web_h2";
            t.checks[0].to = "www";
        },
        'checks[0].to "www" is neither an IPv4 address nor a container reachable from h2 (one on h2, or a routed one on another host); give an address such as 172.18.0.2 or a container\'s name',
    ],
    [
        "a check from a misspelled container",
        (t) => {
            t.checks[0].from = "web_h11";
        },
        'checks[0].from "web_h11" is not a container on host h1; use one of: nginx_web1, nginx_web3, tomcat_app1, container_docker, web_h1 (did you mean web_h1?)',
    ],
    [
        "a check to a misspelled container (web_h9)",
        (t) => {
            t.checks[0].to = "web_h9";
        },
        'checks[0].to "web_h9" is neither an IPv4 address nor a container reachable from h1 (one on h1, or a routed one on another host); did you mean web_h1? give an address such as 172.18.0.2 or a container\'s name',
    ],
    [
        "a check to a name two hosts have",
        (t) => {
            t.meshes[0].hosts[0].containers = [web("web_h2")];
        },
        'checks[0].to "web_h2" names containers on hosts h2 and h3; give its address instead, or rename one of them',
    ],
    [
        "one container name twice in one mesh",
        (t) => {
            t.meshes[0].hosts[1].containers = [web("web_h3")];
        },
        'hosts[1].containers[0].name "web_h3" is also hosts[0].containers[0].name; give each container of one pair or mesh its own name (its addresses are listed by name)',
    ],
    [
        "a container on a network its host does not have",
        (t) => {
            t.links[0].target.networks = [{ name: "appnte" }];
        },
        'links[0].target.networks[0].name "appnte" is not a bridge on host h1; declare it in dockernet:bridges',
    ],
    [
        "a component on a host that is not declared",
        (t) => {
            t.bridges[0].host = "h9";
        },
        'bridges[0].host "h9" is not one of the hosts (h1, h2, h3, h4); did you mean h1? add it to dockernet:hosts or fix the name',
    ],
    [
        "a host renamed in dockernet:hosts while five components still use the old name",
        (t) => {
            t.hosts[0].name = "hx1";
        },
        'routedPairs[0].hostA.host "h1" is not one of the hosts (hx1, h2, h3, h4); did you mean hx1? add it to dockernet:hosts or fix the name (also used by bridges[0].host, links[0].host, sharedNamespaces[0].host, checks[0].host)',
    ],
    [
        "a bip that overlaps the LAN: blamed once, the LAN addresses not at all",
        (t) => {
            t.routedPairs[0].hostB.bip = "192.168.0.1/16";
        },
        'hostB.bip "192.168.0.1/16" overlaps the LAN 192.168.100.0/24 of hostA; choose a container subnet outside the LAN',
    ],
    // Links with many consumers, and containers on their own
    [
        "a link with neither consumer nor consumers",
        (t) => {
            delete t.links[0].consumer;
        },
        "consumer is missing; give the container that reaches the target (consumer), or several (consumers)",
    ],
    [
        "a consumers entry without its container",
        (t) => {
            t.links[0].consumers = [{ alias: "web" }];
        },
        'links[0].consumers[0].container is missing; give it (The consumer container), e.g. { image: "...", name: "..." }',
    ],
    [
        "a consumers entry given as a bare container",
        (t) => {
            t.links[0].consumers = [{ name: "nginx_web2", image: "lab/busybox:1" }];
        },
        "links[0].consumers[0] has name, image, which belong inside container; write { container: { name, image } }",
    ],
    [
        "a container on its own without a host",
        (t) => {
            t.containers = [{ name: "nginx_host", image: "lab/busybox:1", networkMode: "host" }];
        },
        'containers[0].host is missing; give it (The `name` of the host (in dockernet:hosts) it runs on), e.g. "..."',
    ],
    [
        "a container on its own whose name another container on its host has",
        (t) => {
            t.containers = [{ name: "web_h1", host: "h1", image: "lab/busybox:1" }];
        },
        "routedPairs[0].hostA.containers[0].name",
    ],
    // Values each component checks (one message each, under "Invalid <Component> "<name>"", not one per component that uses the value)
    [
        "a bip equal to the network address",
        (t) => {
            t.routedPairs[0].hostB.bip = "172.18.0.0/16";
        },
        'hostB.bip "172.18.0.0/16" is the network address of 172.18.0.0/16; a bip is the bridge\'s own address, use 172.18.0.1/16',
    ],
    [
        "a pair and a mesh that give one host two bips",
        (t) => {
            t.meshes[0].hosts[0].host = "h2";
            t.meshes[0].hosts[0].lanAddress = "192.168.100.201/24";
            t.meshes[0].hosts[0].containers = [web("web_m2")];
        },
        'meshes[0].hosts[0].bip (from the pool: 10.200.201.1/24) "10.200.201.1/24" for host h2 disagrees with routedPairs[0].hostB.bip "172.18.0.1/16"; a host has one bip: give both the same',
    ],
    // One mistake, one message: no knock-on, no repeat per component (issue 25).
    [
        "a host renamed into another host's name",
        (t) => {
            t.hosts[1].name = "h1";
        },
        'hosts[1].name "h1" is listed twice; give each host once: was this one meant to be "h2" (used by routedPairs[0].hostB.host)?',
    ],
    [
        "a host with both ssh and local, used by four components",
        (t) => {
            t.hosts[0].local = {};
        },
        "hosts[0] must set exactly one of ssh and local (got both)",
    ],
    [
        "a container name over Docker's 128 characters",
        (t) => {
            t.links[0].target.name = "a".repeat(130);
        },
        `target.name "${"a".repeat(130)}" is not a valid Docker name (allowed: [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most 128 characters); use "${"a".repeat(128)}"`,
    ],
    // What Docker refuses only when a container starts or joins, caught by the plan (issue 25).
    [
        "a fixed address outside its bridge's subnet",
        (t) => {
            t.links[0].target.networks[0].ipv4Address = "172.20.0.5";
        },
        'links[0].target.networks[0].ipv4Address "172.20.0.5" is outside bridge "appnet" (172.19.0.0/16); use an address inside it, e.g. 172.19.0.2',
    ],
    [
        "a fixed address equal to the bridge's gateway",
        (t) => {
            t.links[0].target.networks[0].ipv4Address = "172.19.0.1";
        },
        'links[0].target.networks[0].ipv4Address "172.19.0.1" is the gateway of bridge "appnet" (172.19.0.0/16) (the bridge\'s own address); use another, e.g. 172.19.0.2',
    ],
    [
        "a fixed address equal to the bridge's broadcast address",
        (t) => {
            t.links[0].target.networks[0].ipv4Address = "172.19.255.255";
        },
        'links[0].target.networks[0].ipv4Address "172.19.255.255" is the broadcast address of bridge "appnet" (172.19.0.0/16); use another, e.g. 172.19.0.2',
    ],
    [
        "the same fixed address on two containers of one bridge",
        (t) => {
            t.links[0].target.networks[0].ipv4Address = "172.19.0.10";
            t.containers = [
                {
                    name: "other",
                    host: "h1",
                    image: "lab/busybox:1",
                    networks: [{ name: "appnet", ipv4Address: "172.19.0.10" }],
                },
            ];
        },
        'containers[0].networks[0].ipv4Address "172.19.0.10" is already links[0].target.networks[0].ipv4Address\'s on bridge "appnet" (172.19.0.0/16); give each container its own address',
    ],
    [
        "one host port published by containers of two components on one host",
        (t) => {
            t.links[0].target.ports = [{ internal: 80, external: 8080 }];
            t.routedPairs[0].hostA.containers[0].ports = [{ internal: 80, external: 8080 }];
        },
        'routedPairs[0].hostA.containers[0].ports[0].external 8080/tcp on every address is already published by links[0].target.ports[0].external on host h1; Docker would refuse this container ("port is already allocated"): choose another external port',
    ],
    [
        "one host port published by a link's target and its consumer",
        (t) => {
            t.links[0].target.ports = [{ internal: 80, external: 8080, ip: "127.0.0.1" }];
            t.links[0].consumer.ports = [{ internal: 81, external: 8080 }];
        },
        'consumer.ports[0].external 8080/tcp on every address is already published by target.ports[0].external on the same host; Docker would refuse this container ("port is already allocated"): choose another external port',
    ],
];

describe("the config-mistake catalog: each mistake gives its one exact message", () => {
    test("the catalog holds at least 60 mistakes, and the base config is accepted", () => {
        expect(CATALOG.length).toBeGreaterThanOrEqual(60);
        expect(problemsOf(asConfig(base() as never))).toEqual([]);
    });

    test.each(CATALOG.map(([title, edit, line]) => [title, edit, line] as const))("%s", (_title, edit, line) => {
        const t = base();
        edit(t);
        const got = problemsOf(asConfig(t as never));
        if (line.includes(" ")) {
            expect(got).toEqual([line]);
        } else {
            // A mistake the catalog names by field only (its message is pinned elsewhere): still one message.
            expect(got).toHaveLength(1);
            expect(got[0].startsWith(`${line} `)).toBe(true);
        }
    });

    test("an SSH host on loopback with a port (a VM's forwarded sshd) is accepted, as localhost is", () => {
        for (const address of ["127.0.0.1", "localhost"]) {
            const t = base();
            (t.hosts as any)[3].ssh = { address, port: 2222, user: "vagrant" };
            expect({ address, problems: problemsOf(asConfig(t as never)) }).toEqual({ address, problems: [] });
        }
    });

    test("top-level keys: a misspelled one gets a did-you-mean, a value that is not a list is named", () => {
        expect(problemsOf({ ...asConfig(base() as never), "dockernet:routedPair": "[]" })).toEqual([
            "config dockernet:routedPair is not a dockernet setting; did you mean dockernet:routedPairs? use one of: dockernet:bridges, dockernet:checks, dockernet:containers, dockernet:hosts, dockernet:links, dockernet:meshes, dockernet:routedPairs, dockernet:sharedNamespaces, dockernet:swarms, dockernet:sshPrivateKey, dockernet:sshPrivateKeyPath",
        ]);
        expect(problemsOf({ ...asConfig(base() as never), "dockernet:bridges": "appnet" })).toEqual([
            'config dockernet:bridges must be a list (YAML sequence), got "appnet"; see stacks/Pulumi.dev.yaml',
        ]);
    });

    test("a field left out in code as undefined is absent, as in YAML", () => {
        const t = base() as unknown as { bridges: Record<string, unknown>[] };
        t.bridges[0].gateway = undefined;
        t.bridges[0].ipRange = undefined;
        expect(() => planTopology(t as unknown as TopologySpec, "cat")).not.toThrow();
    });

    test("every stack file in stacks/ is accepted", () => {
        const dir = path.join(__dirname, "..", "..", "stacks");
        for (const f of fs.readdirSync(dir).filter((x) => /^Pulumi\..+\.yaml$/.test(x))) {
            // eslint-disable-next-line @typescript-eslint/no-require-imports -- js-yaml is a dependency of the plan command
            const doc = require("js-yaml").load(fs.readFileSync(path.join(dir, f), "utf8")) as {
                config: Record<string, unknown>;
            };
            const config = Object.fromEntries(
                Object.entries(doc.config).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]),
            );
            expect({ f, problems: problemsOf(config) }).toEqual({ f, problems: [] });
        }
    });
});

describe("one source for the config's shape", () => {
    test("components/topologySchema.ts and stacks/dockernet.schema.json are what `npm run schema` makes from the types", () => {
        const root = path.join(__dirname, "..", "..");
        for (const [file, text] of Object.entries(schemaFiles())) {
            expect({ file, upToDate: fs.readFileSync(path.join(root, file), "utf8") === text }).toEqual({
                file,
                upToDate: true,
            });
        }
    }, 60000);

    test("the editors' schema takes every dockernet key the program takes, and no other dockernet key", () => {
        const schema = JSON.parse(schemaFiles()[path.join("stacks", "dockernet.schema.json")]);
        const config = schema.properties.config;
        const pattern = new RegExp(Object.keys(config.patternProperties)[0]);
        for (const key of Object.keys(config.properties)) {
            expect({ key, refused: pattern.test(key) }).toEqual({ key, refused: false });
        }
        expect(pattern.test("dockernet:routedPair")).toBe(true);
        expect(pattern.test("aws:region")).toBe(false);
    });

    test("did-you-mean: case, one typo, a swap; nothing for a different word", () => {
        expect(nearest("BridgeName", ["bridgeName", "subnet"])).toBe("bridgeName");
        expect(nearest("comand", ["command", "image"])).toBe("command");
        expect(nearest("lanAdress", ["lanAddress", "bip"])).toBe("lanAddress");
        expect(nearest("volumes", ["command", "image", "labels"])).toBeUndefined();
    });
});
