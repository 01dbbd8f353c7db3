// The bad-input catalog: hostile or wrong values in every string field of every component and of
// the topology, each refused before any Docker object or host command is declared. Every error
// must name the field, show the value JSON-escaped (so a newline or NUL is visible, not acted on)
// and say what to do instead. Counts go to the safety summary (test/support/summary.ts).
import * as pulumi from "@pulumi/pulumi";
import {
    ConnectivityCheck,
    CrossHostRoutedPair,
    CustomBridgeNetwork,
    HostArgs,
    LinkedContainerPair,
    RoutedMesh,
    SharedNamespaceContainer,
    TopologySpec,
    deployTopology,
} from "../../components";
import { Recorder, settle } from "../support/mocks";
import { record } from "../support/summary";

const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA-badinput-test-key\n-----END OPENSSH PRIVATE KEY-----\n";
const HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIbadinputhostkey";

/** A hostile fragment for every way a value could escape its quoting on a host. */
const HOSTILE: [string, string][] = [
    ["a semicolon", ";touch /tmp/pwned"],
    ["$()", "$(touch /tmp/pwned)"],
    ["backticks", "`touch /tmp/pwned`"],
    ["single quotes", "' ; touch /tmp/pwned ; '"],
    ["double quotes", '" ; touch /tmp/pwned ; "'],
    ["a newline", "\ntouch /tmp/pwned"],
    ["a NUL", "\u0000touch"],
];
/** Control characters only: for free text that never reaches a shell (command words, env values, labels). */
const CONTROL: [string, string][] = HOSTILE.filter(([label]) => label === "a newline" || label === "a NUL");

/** A fix is something to do, or a corrected example: every message must offer one. */
const FIX =
    /\b(use|give|choose|remove|write|add|drop|put|pick|declare|fix|publish|list|rename|pass|replace|name (a|another))\b|\be\.g\. /i;

const tally = { tried: 0, rejected: 0 };
afterAll(() => {
    record({ badInputsTried: tally.tried, badInputsRejected: tally.rejected });
    console.log(`bad-input catalog: ${tally.tried} cases tried, ${tally.rejected} rejected before any resource`);
});

const sshHost = (name = "h1", address = "192.168.100.200"): HostArgs => ({
    name,
    ssh: {
        address,
        port: 22,
        user: "root",
        privateKey: KEY,
        privateKeyPath: "/root/.ssh/id_ed25519",
        knownHostsPath: "/root/.ssh/known_hosts",
        hostKey: HOST_KEY,
    },
    restartCommand: "systemctl restart docker",
    logCommand: "journalctl -u docker -n 20 --no-pager",
});
const web = (name: string) => ({
    name,
    image: "lab/busybox:1",
    command: ["httpd", "-f", "-p", "80"],
    env: { GREETING: "hello" },
    labels: { team: "ops" },
    hostname: "web",
    ports: [{ internal: 80, external: 8080, ip: "192.168.100.200" }],
});

/** One component as the catalog drives it: a valid argument object, and how to declare it. */
interface Target {
    kind: string;
    args: () => any;
    make: (name: string, args: any) => unknown;
    /** Paths of string fields with their valid values; `control`: only control characters are refused. */
    fields: { path: string; field?: string; control?: boolean }[];
}

const hostFields = (prefix: string) =>
    [
        "name",
        "ssh.address",
        "ssh.user",
        "ssh.privateKeyPath",
        "ssh.knownHostsPath",
        "ssh.hostKey",
        "restartCommand",
        "logCommand",
    ].map((f) => ({
        path: `${prefix}${f}`,
    }));
const specFields = (prefix: string, sidecar = false) => [
    { path: `${prefix}name` },
    { path: `${prefix}image` },
    ...(sidecar ? [] : [{ path: `${prefix}hostname` }, { path: `${prefix}ports[0].ip` }]),
    { path: `${prefix}ports[0].protocol` },
    { path: `${prefix}restart` },
    { path: `${prefix}command[0]`, control: true },
    { path: `${prefix}env.GREETING`, control: true },
    { path: `${prefix}labels.team`, control: true },
];

const TARGETS: Target[] = [
    {
        kind: "CustomBridgeNetwork",
        args: () => ({
            host: sshHost(),
            networkName: "appnet",
            subnet: "172.19.0.0/16",
            gateway: "172.19.0.1",
            ipRange: "172.19.1.0/24",
            bridgeName: "br-app",
            connectTo: ["docker0"],
            labels: { team: "ops" },
        }),
        make: (name, args) => new CustomBridgeNetwork(name, args),
        fields: [
            ...["networkName", "subnet", "gateway", "ipRange", "bridgeName", "connectTo[0]"].map((path) => ({ path })),
            { path: "labels.team", control: true },
            ...hostFields("host."),
        ],
    },
    {
        kind: "CustomBridgeNetwork (local host)",
        args: () => ({
            host: { name: "local", local: { dockerHost: "unix:///var/run/docker.sock" } },
            networkName: "appnet",
            subnet: "172.19.0.0/16",
        }),
        make: (name, args) => new CustomBridgeNetwork(name, args),
        fields: [{ path: "host.local.dockerHost" }],
    },
    {
        kind: "LinkedContainerPair",
        args: () => ({
            host: sshHost(),
            target: {
                ...web("nginx_web1"),
                networkMode: "custom",
                networks: [{ name: "appnet", aliases: ["api"], ipv4Address: "172.19.0.10" }],
            },
            consumer: web("nginx_web3"),
            alias: "www",
            mode: "dns",
            networkName: "web-link",
            subnet: "172.20.0.0/24",
        }),
        make: (name, args) => new LinkedContainerPair(name, args),
        fields: [
            ...[
                "alias",
                "mode",
                "networkName",
                "subnet",
                "target.networkMode",
                "target.networks[0].name",
                "target.networks[0].aliases[0]",
                "target.networks[0].ipv4Address",
            ].map((path) => ({ path })),
            ...specFields("target."),
            ...specFields("consumer."),
            ...hostFields("host."),
        ],
    },
    {
        kind: "SharedNamespaceContainer",
        args: () => ({
            host: sshHost(),
            primary: { ...web("tomcat_app1"), ports: [{ internal: 8080, external: 8080, ip: "192.168.100.200" }] },
            sidecars: [
                {
                    name: "tomcat_app1_log",
                    image: "lab/busybox:1",
                    command: ["sleep", "3600"],
                    env: { GREETING: "hi" },
                    labels: { team: "ops" },
                    ports: [{ internal: 9000, protocol: "tcp" }],
                    restart: "always",
                },
            ],
        }),
        make: (name, args) => new SharedNamespaceContainer(name, args),
        fields: [...specFields("primary."), ...specFields("sidecars[0].", true), ...hostFields("host.")],
    },
    {
        kind: "CrossHostRoutedPair",
        args: () => ({
            hostA: {
                host: sshHost("h1", "192.168.100.200"),
                lanAddress: "192.168.100.200/24",
                bip: "172.17.0.1/16",
                containers: [{ ...web("web_h1"), ports: [{ internal: 80 }] }],
            },
            hostB: {
                host: sshHost("h2", "192.168.100.201"),
                lanAddress: "192.168.100.201/24",
                bip: "172.18.0.1/16",
                containers: [{ ...web("web_h2"), ports: [{ internal: 80 }] }],
            },
        }),
        make: (name, args) => new CrossHostRoutedPair(name, args),
        fields: [
            ...["hostA.lanAddress", "hostA.bip", "hostB.lanAddress", "hostB.bip"].map((path) => ({ path })),
            ...hostFields("hostA.host."),
            ...hostFields("hostB.host."),
            ...specFields("hostA.containers[0].").filter((f) => !f.path.endsWith("ports[0].ip")),
        ],
    },
    {
        kind: "RoutedMesh",
        args: () => ({
            hosts: [
                {
                    host: sshHost("h1", "192.168.100.200"),
                    lanAddress: "192.168.100.200/24",
                    containers: [{ ...web("web_h1"), ports: [{ internal: 80 }] }],
                },
                { host: sshHost("h2", "192.168.100.201"), lanAddress: "192.168.100.201/24", bip: "172.18.0.1/16" },
                {
                    host: sshHost("h3", "192.168.100.202"),
                    lanAddress: "192.168.100.202/24",
                    containers: [{ ...web("web_h3"), ports: [{ internal: 80 }] }],
                },
            ],
            pool: { subnet: "10.200.0.0/16", size: 24 },
        }),
        make: (name, args) => new RoutedMesh(name, args),
        fields: [
            ...["hosts[0].lanAddress", "hosts[1].bip", "hosts[2].lanAddress", "pool.subnet"].map((path) => ({ path })),
            ...hostFields("hosts[2].host."),
            ...specFields("hosts[0].containers[0].").filter((f) => !f.path.endsWith("ports[0].ip")),
        ],
    },
    {
        kind: "ConnectivityCheck",
        args: () => ({
            host: sshHost(),
            fromContainer: "web_h1",
            toAddress: "172.18.0.2",
            port: 80,
            expect: "reachable",
            attempts: 2,
        }),
        make: (name, args) => new ConnectivityCheck(name, args),
        fields: [{ path: "fromContainer" }, { path: "toAddress" }, { path: "expect" }, ...hostFields("host.")],
    },
];

/** A valid topology with one of everything; `n` keeps component names unique within a test. */
function topology(n: number): TopologySpec {
    const h = (name: string, address: string) => {
        // A topology host carries no key: deployTopology gets it once, as a secret.
        const { ssh, ...rest } = sshHost(name, address);
        return {
            ...rest,
            ssh: {
                address: ssh!.address,
                port: ssh!.port,
                user: ssh!.user,
                privateKeyPath: ssh!.privateKeyPath,
                knownHostsPath: ssh!.knownHostsPath,
                hostKey: ssh!.hostKey,
            },
        };
    };
    return {
        hosts: [
            h("h1", "192.168.100.200"),
            h("h2", "192.168.100.201"),
            h("h3", "192.168.100.202"),
            h("h4", "192.168.100.203"),
        ],
        bridges: [
            {
                name: `appnet${n}`,
                host: "h1",
                subnet: "172.19.0.0/16",
                bridgeName: `br-app${n}`,
                connectTo: ["docker0"],
            },
        ],
        links: [
            {
                name: `link${n}`,
                host: "h1",
                target: { name: "nginx_web1", image: "lab/busybox:1", networks: [{ name: `appnet${n}` }] },
                consumer: { name: "nginx_web3", image: "lab/busybox:1" },
                alias: "www",
            },
        ],
        routedPairs: [
            {
                name: `pair${n}`,
                hostA: {
                    host: "h1",
                    lanAddress: "192.168.100.200/24",
                    bip: "172.17.0.1/16",
                    containers: [{ name: "web_h1", image: "lab/busybox:1" }],
                },
                hostB: {
                    host: "h2",
                    lanAddress: "192.168.100.201/24",
                    bip: "172.18.0.1/16",
                    containers: [{ name: "web_h2", image: "lab/busybox:1" }],
                },
            },
        ],
        meshes: [
            {
                name: `mesh${n}`,
                pool: { subnet: "10.200.0.0/16" },
                hosts: [
                    {
                        host: "h3",
                        lanAddress: "192.168.100.202/24",
                        containers: [{ name: "web_h3", image: "lab/busybox:1" }],
                    },
                    { host: "h4", lanAddress: "192.168.100.203/24", bip: "172.24.0.1/16" },
                ],
            },
        ],
        checks: [{ name: `check${n}`, host: "h1", from: "nginx_web3", to: "nginx_web1", port: 80 }],
    };
}
/** Only hosts and checks: nothing is declared before the check, so a check's own problem is caught first. */
function checksOnly(n: number): TopologySpec {
    const t = topology(n);
    return { hosts: t.hosts, checks: t.checks };
}
const TOPOLOGY_FIELDS: { path: string; field?: string; base?: (n: number) => TopologySpec }[] = [
    ...[
        "name",
        "ssh.address",
        "ssh.user",
        "ssh.privateKeyPath",
        "ssh.knownHostsPath",
        "ssh.hostKey",
        "restartCommand",
        "logCommand",
    ].map((f) => ({ path: `hosts[0].${f}` })),
    { path: "bridges[0].name" },
    { path: "bridges[0].host" },
    { path: "bridges[0].subnet", field: "subnet" },
    { path: "bridges[0].bridgeName", field: "bridgeName" },
    { path: "bridges[0].connectTo[0]", field: "connectTo[0]" },
    { path: "links[0].name" },
    { path: "links[0].host" },
    { path: "links[0].target.name", field: "target.name" },
    { path: "links[0].target.networks[0].name" },
    { path: "routedPairs[0].name" },
    { path: "routedPairs[0].hostA.host" },
    { path: "routedPairs[0].hostA.bip", field: "hostA.bip" },
    { path: "routedPairs[0].hostB.lanAddress", field: "hostB.lanAddress" },
    { path: "meshes[0].name" },
    { path: "meshes[0].hosts[0].host" },
    { path: "meshes[0].hosts[0].lanAddress", field: "hosts[0].lanAddress" },
    { path: "meshes[0].hosts[1].bip", field: "hosts[1].bip" },
    { path: "meshes[0].pool.subnet", field: "pool.subnet" },
    { path: "checks[0].name" },
    { path: "checks[0].host" },
    { path: "checks[0].from", base: checksOnly },
    { path: "checks[0].to", base: checksOnly },
];

describe("hostile values in every string field are refused before any resource exists", () => {
    const rec = new Recorder();
    beforeEach(async () => rec.install(false));
    afterEach(settle);

    const cases = TARGETS.flatMap((t) => t.fields.map((f) => [t.kind, f.path, t, f] as const));
    test.each(cases)("%s.%s", async (_kind, _path, target, field) => {
        let i = 0;
        for (const [label, fragment] of field.control ? CONTROL : HOSTILE) {
            const args = target.args();
            const bad = `${get(args, field.path)}${fragment}`;
            set(args, field.path, bad);
            expectRefused(() => target.make(`bad${i++}`, args), field.field ?? field.path, bad, label);
        }
        await expectNothingDeclared(rec);
    });

    test.each(TOPOLOGY_FIELDS.map((f) => [f.path, f] as const))("topology %s", async (_path, field) => {
        let i = 0;
        for (const [label, fragment] of HOSTILE) {
            const t = (field.base ?? topology)(i++);
            const bad = `${get(t, field.path)}${fragment}`;
            set(t, field.path, bad);
            expectRefused(() => deployTopology(t, pulumi.secret(KEY)), field.field ?? field.path, bad, label);
        }
        await expectNothingDeclared(rec);
    });

    test("shell metacharacters in free text that never reaches a shell travel to Docker verbatim, as one word", async () => {
        const words = HOSTILE.filter(([label]) => !CONTROL.some(([c]) => c === label)).map(([, f]) => `x${f}`);
        new LinkedContainerPair("inert", {
            target: {
                name: "t1",
                image: "lab/busybox:1",
                command: ["sh", "-c", ...words],
                env: { A: words[0] },
                labels: { note: words[1] },
            },
            consumer: { name: "c1", image: "lab/busybox:1" },
            alias: "www",
        });
        await settle();
        const target = rec.named("inert-target");
        expect(target.inputs.command).toEqual(["sh", "-c", ...words]);
        expect(target.inputs.envs).toEqual([`A=${words[0]}`]);
        expect(target.inputs.labels).toContainEqual({ label: "note", value: words[1] });
        expect(rec.resources.filter((r) => r.type.startsWith("command:"))).toHaveLength(0);
    });
});

/** A case of the catalog: what is declared, and the field and value the error must name. */
interface Special {
    title: string;
    field: string;
    value: string;
    /** How the message shows a value that is not the user's text (a derived key such as `8080/tcp`). */
    shown?: string;
    make: (n: number) => unknown;
}

const bridge = (over: Record<string, unknown>) => (n: number) =>
    new CustomBridgeNetwork(`net${n}`, {
        host: sshHost(),
        networkName: `appnet${n}`,
        subnet: "172.19.0.0/16",
        ...over,
    });
const pair = (path: string, value: string) => (n: number) => {
    const args = TARGETS.find((t) => t.kind === "CrossHostRoutedPair")!.args();
    set(args, path, value);
    return new CrossHostRoutedPair(`pair${n}`, args);
};
const topo = (edit: (t: TopologySpec) => void) => (n: number) => {
    const t = topology(n);
    edit(t);
    return deployTopology(t, pulumi.secret(KEY));
};

const SPECIAL: Special[] = [
    // Interface names
    {
        title: "an over-long bridge name",
        field: "bridgeName",
        value: "br-much-too-long-name",
        make: bridge({ bridgeName: "br-much-too-long-name" }),
    },
    { title: "a wildcard bridge name", field: "bridgeName", value: "br-app+", make: bridge({ bridgeName: "br-app+" }) },
    {
        title: "a wildcard connectTo entry",
        field: "connectTo[0]",
        value: "veth+",
        make: bridge({ connectTo: ["veth+"] }),
    },
    {
        title: "an over-long connectTo entry",
        field: "connectTo[0]",
        value: "veth0123456789abc",
        make: bridge({ connectTo: ["veth0123456789abc"] }),
    },
    { title: "bridge name docker0", field: "bridgeName", value: "docker0", make: bridge({ bridgeName: "docker0" }) },
    { title: "bridge name lo", field: "bridgeName", value: "lo", make: bridge({ bridgeName: "lo" }) },
    { title: "connectTo lo", field: "connectTo[0]", value: "lo", make: bridge({ connectTo: ["lo"] }) },
    {
        title: "bridge name '-' (firewall.sh reads it as any interface)",
        field: "bridgeName",
        value: "-",
        make: bridge({ bridgeName: "-", connectTo: ["docker0"] }),
    },
    {
        title: "connectTo '-' (firewall.sh reads it as any interface)",
        field: "connectTo[0]",
        value: "-",
        make: bridge({ connectTo: ["-"] }),
    },
    {
        title: "a connectTo entry that starts with '-' (an option to iptables)",
        field: "connectTo[0]",
        value: "-j",
        make: bridge({ connectTo: ["-j"] }),
    },
    // bip
    {
        title: "bip equal to the network address",
        field: "hostB.bip",
        value: "172.18.0.0/16",
        make: pair("hostB.bip", "172.18.0.0/16"),
    },
    {
        title: "bip equal to the broadcast address",
        field: "hostB.bip",
        value: "172.18.255.255/16",
        make: pair("hostB.bip", "172.18.255.255/16"),
    },
    { title: "bip without a prefix", field: "hostB.bip", value: "172.18.0.1", make: pair("hostB.bip", "172.18.0.1") },
    { title: "bip in loopback", field: "hostA.bip", value: "127.1.0.1/16", make: pair("hostA.bip", "127.1.0.1/16") },
    {
        title: "bip IPv4-mapped IPv6",
        field: "hostA.bip",
        value: "::ffff:172.17.0.1/112",
        make: pair("hostA.bip", "::ffff:172.17.0.1/112"),
    },
    { title: "bip /31", field: "hostA.bip", value: "172.17.0.1/31", make: pair("hostA.bip", "172.17.0.1/31") },
    // Subnets
    {
        title: "a subnet with host bits",
        field: "subnet",
        value: "172.19.0.1/16",
        make: bridge({ subnet: "172.19.0.1/16" }),
    },
    { title: "subnet /0", field: "subnet", value: "0.0.0.0/0", make: bridge({ subnet: "0.0.0.0/0" }) },
    { title: "subnet /33", field: "subnet", value: "172.19.0.0/33", make: bridge({ subnet: "172.19.0.0/33" }) },
    {
        title: "a subnet with a leading-zero octet",
        field: "subnet",
        value: "172.019.0.0/16",
        make: bridge({ subnet: "172.019.0.0/16" }),
    },
    { title: "an IPv6 subnet", field: "subnet", value: "fd00::/64", make: bridge({ subnet: "fd00::/64" }) },
    {
        title: "an IPv4-mapped IPv6 subnet",
        field: "subnet",
        value: "::ffff:172.19.0.0/112",
        make: bridge({ subnet: "::ffff:172.19.0.0/112" }),
    },
    { title: "a loopback subnet", field: "subnet", value: "127.0.0.0/8", make: bridge({ subnet: "127.0.0.0/8" }) },
    {
        title: "a link-local subnet",
        field: "subnet",
        value: "169.254.0.0/16",
        make: bridge({ subnet: "169.254.0.0/16" }),
    },
    { title: "a multicast subnet", field: "subnet", value: "224.1.0.0/16", make: bridge({ subnet: "224.1.0.0/16" }) },
    {
        title: "a multicast link subnet",
        field: "subnet",
        value: "239.1.0.0/24",
        make: (n) =>
            new LinkedContainerPair(`lk${n}`, {
                target: web("nginx_web1"),
                consumer: web("nginx_web3"),
                alias: "www",
                subnet: "239.1.0.0/24",
            }),
    },
    // Gateways and addresses
    {
        title: "a gateway outside its subnet",
        field: "gateway",
        value: "172.20.0.1",
        make: bridge({ gateway: "172.20.0.1" }),
    },
    {
        title: "a gateway equal to the network address",
        field: "gateway",
        value: "172.19.0.0",
        make: bridge({ gateway: "172.19.0.0" }),
    },
    {
        title: "an IPv4-mapped gateway",
        field: "gateway",
        value: "::ffff:172.19.0.1",
        make: bridge({ gateway: "::ffff:172.19.0.1" }),
    },
    {
        title: "an ipRange outside the subnet",
        field: "ipRange",
        value: "172.20.0.0/24",
        make: bridge({ ipRange: "172.20.0.0/24" }),
    },
    {
        title: "an IPv6 LAN address",
        field: "hostA.lanAddress",
        value: "fe80::1/64",
        make: pair("hostA.lanAddress", "fe80::1/64"),
    },
    {
        title: "a link-local LAN address",
        field: "hostA.lanAddress",
        value: "169.254.10.2/16",
        make: pair("hostA.lanAddress", "169.254.10.2/16"),
    },
    {
        title: "a LAN address on another subnet than the peer's",
        field: "hostB.lanAddress",
        value: "192.168.101.201/24",
        make: pair("hostB.lanAddress", "192.168.101.201/24"),
    },
    {
        title: "an IPv4-mapped probe address",
        field: "toAddress",
        value: "::ffff:172.18.0.2",
        make: (n) =>
            new ConnectivityCheck(`probe${n}`, {
                host: sshHost(),
                fromContainer: "web_h1",
                toAddress: "::ffff:172.18.0.2",
            }),
    },
    // Hosts
    {
        title: "an SSH address that is an ssh option",
        field: "hostA.host.ssh.address",
        value: "-oProxyCommand",
        make: pair("hostA.host.ssh.address", "-oProxyCommand"),
    },
    {
        title: "a host name over 20 characters",
        field: "hostA.host.name",
        value: "a-very-long-host-name-1",
        make: pair("hostA.host.name", "a-very-long-host-name-1"),
    },
    {
        title: "a blank restart command",
        field: "hostA.host.restartCommand",
        value: "   ",
        make: pair("hostA.host.restartCommand", "   "),
    },
    {
        title: "an over-long log command",
        field: "hostA.host.logCommand",
        value: `journalctl ${"-n 1 ".repeat(60)}`,
        make: pair("hostA.host.logCommand", `journalctl ${"-n 1 ".repeat(60)}`),
    },
    {
        title: "a container name of shell quoting only",
        field: "hostA.containers[0].name",
        value: "'",
        make: pair("hostA.containers[0].name", "'"),
    },
    // Overlaps inside one component
    {
        title: "a host's own container subnet given as its peer's",
        field: "hostB.bip",
        value: "172.17.0.1/16",
        make: pair("hostB.bip", "172.17.0.1/16"),
    },
    {
        title: "a bip inside the peer's bip",
        field: "hostB.bip",
        value: "172.17.5.1/24",
        make: pair("hostB.bip", "172.17.5.1/24"),
    },
    {
        title: "a bip overlapping the LAN",
        field: "hostB.bip",
        value: "192.168.0.1/16",
        make: pair("hostB.bip", "192.168.0.1/16"),
    },
    {
        title: "a host's own LAN address given as its peer's",
        field: "hostB.lanAddress",
        value: "192.168.100.200/24",
        make: pair("hostB.lanAddress", "192.168.100.200/24"),
    },
    {
        title: "sidecar port clash with the primary",
        field: "sidecars[0].ports[0]",
        value: "8080/tcp",
        shown: "8080/tcp",
        make: (n) =>
            new SharedNamespaceContainer(`shared${n}`, {
                primary: { name: "tomcat_app1", image: "lab/busybox:1", ports: [{ internal: 8080 }] },
                sidecars: [{ name: "tomcat_app1_log", image: "lab/busybox:1", ports: [{ internal: 8080 }] }],
            }),
    },
    {
        title: "sidecar port clash between sidecars",
        field: "sidecars[1].ports[0]",
        value: "9000/udp",
        shown: "9000/udp",
        make: (n) =>
            new SharedNamespaceContainer(`shared${n}`, {
                primary: { name: "tomcat_app1", image: "lab/busybox:1" },
                sidecars: [
                    { name: "s1", image: "lab/busybox:1", ports: [{ internal: 9000, protocol: "udp" }] },
                    { name: "s2", image: "lab/busybox:1", ports: [{ internal: 9000, protocol: "udp" }] },
                ],
            }),
    },
    // TopologySpec level: across components and hosts
    {
        title: "topology: a bridge subnet overlapping a bip on the same host",
        field: "bridges[0].subnet",
        value: "172.17.128.0/24",
        make: topo((t) => (t.bridges![0].subnet = "172.17.128.0/24")),
    },
    {
        title: "topology: two bridges overlapping on one host",
        field: "bridges[1].subnet",
        value: "172.19.3.0/24",
        make: topo((t) => t.bridges!.push({ name: "second", host: "h1", subnet: "172.19.3.0/24" })),
    },
    {
        title: "topology: a link subnet overlapping a bridge",
        field: "links[0].subnet",
        value: "172.19.9.0/24",
        make: topo((t) => (t.links![0].subnet = "172.19.9.0/24")),
    },
    {
        title: "topology: a bridge subnet overlapping its host's LAN",
        field: "bridges[0].subnet",
        value: "192.168.100.0/24",
        make: topo((t) => (t.bridges![0].subnet = "192.168.100.0/24")),
    },
    {
        title: "topology: a bridge subnet overlapping the peer subnet routed to its host",
        field: "bridges[0].subnet",
        value: "172.18.4.0/24",
        make: topo((t) => (t.bridges![0].subnet = "172.18.4.0/24")),
    },
    {
        title: "topology: the same host name twice",
        field: "hosts[1].name",
        value: "h1",
        make: topo((t) => (t.hosts[1].name = "h1")),
    },
    {
        title: "topology: the same host under two names (its bridges then escape the per-host overlap check)",
        field: "hosts[4].ssh.address",
        value: "192.168.100.200",
        make: topo((t) => {
            t.hosts.push({ ...t.hosts[0], name: "h1b" });
            t.bridges!.push({ name: "appnet-again", host: "h1b", subnet: "172.19.0.0/16" });
        }),
    },
    {
        title: "topology: a pair and a mesh give one host two different bips",
        field: "meshes[0].hosts[1].bip",
        value: "172.24.0.1/16",
        make: topo((t) =>
            t.routedPairs!.push({
                name: "pair-h2-h4",
                hostA: { host: "h2", lanAddress: "192.168.100.201/24", bip: "172.18.0.1/16" },
                hostB: { host: "h4", lanAddress: "192.168.100.203/24", bip: "172.25.0.1/16" },
            }),
        ),
    },
    {
        title: "topology: a mesh pool that overlaps the LAN",
        field: "pool.subnet",
        value: "192.168.0.0/16",
        make: topo((t) => (t.meshes![0].pool = { subnet: "192.168.0.0/16" })),
    },
    {
        title: "topology: the same route twice (two pairs between the same hosts)",
        field: "routedPairs[1].hostA.bip",
        value: "172.17.0.1/16",
        make: topo((t) =>
            t.routedPairs!.push({
                ...t.routedPairs![0],
                name: "pair-again",
                hostA: { ...t.routedPairs![0].hostA, containers: [] },
                hostB: { ...t.routedPairs![0].hostB, containers: [] },
            }),
        ),
    },
    {
        title: "topology: a routed pair between a host and itself",
        field: "hostB.host",
        value: "h1",
        shown: "(h1)",
        make: topo((t) => {
            // Only the pair, so that nothing else is declared before it.
            t.bridges = [];
            t.links = [];
            t.checks = [];
            t.routedPairs![0].hostB = {
                ...t.routedPairs![0].hostB,
                host: "h1",
                lanAddress: "192.168.100.202/24",
                containers: [],
            };
        }),
    },
    {
        title: "topology: duplicate container names on one host",
        field: "sharedNamespaces[0].primary.name",
        value: "nginx_web1",
        make: topo(
            (t) =>
                (t.sharedNamespaces = [
                    {
                        name: "shared",
                        host: "h1",
                        primary: { name: "nginx_web1", image: "lab/busybox:1" },
                        sidecars: [{ name: "side", image: "lab/busybox:1" }],
                    },
                ]),
        ),
    },
    {
        title: "topology: a container on a bridge the host does not have",
        field: "links[0].target.networks[0].name",
        value: "nosuchnet",
        make: topo((t) => (t.links![0].target.networks = [{ name: "nosuchnet" }])),
    },
    {
        title: "topology: a bad link image after a valid bridge (nothing may be declared first)",
        field: "target.image",
        value: "lab/busybox:1;reboot",
        make: topo((t) => (t.links![0].target.image = "lab/busybox:1;reboot")),
    },
    {
        title: "topology: a bad check after valid components (nothing may be declared first)",
        field: "checks[0].from",
        value: "nginx_web3;reboot",
        make: topo((t) => (t.checks![0].from = "nginx_web3;reboot")),
    },
];

describe("the catalog of wrong values", () => {
    const rec = new Recorder();
    beforeEach(async () => rec.install(false));
    afterEach(settle);

    test.each(SPECIAL.map((s, i) => [s.title, s, i] as const))("%s", async (_title, s, i) => {
        expectRefused(() => s.make(i), s.field, s.value, s.title, s.shown);
        await expectNothingDeclared(rec);
    });
});

/**
 * Asserts that `make` throws one validation error naming `field`, showing `value` JSON-escaped and
 * offering a fix on that field's line; counts the case.
 */
function expectRefused(make: () => unknown, field: string, value: string, label: string, shown?: string): void {
    tally.tried++;
    let error: unknown;
    try {
        make();
    } catch (e) {
        error = e;
    }
    const message = error instanceof Error ? error.message : "";
    if (error instanceof Error && /^Invalid /.test(message)) {
        tally.rejected++;
    }
    const context = `${label}: ${field} = ${JSON.stringify(value)}\n${message || "(nothing was thrown)"}`;
    expect({ context, refused: error instanceof pulumi.ResourceError || error instanceof pulumi.RunError }).toEqual({
        context,
        refused: true,
    });
    const lines = message.split("\n").filter((l) => l.startsWith(` - ${field} `));
    const line = lines.find((l) => shows(l, value, shown)) ?? lines[0] ?? "";
    expect({ context, namesField: line !== "" }).toEqual({ context, namesField: true });
    expect({ context, showsValue: shows(line, value, shown) }).toEqual({ context, showsValue: true });
    expect({ context, offersFix: FIX.test(line) }).toEqual({ context, offersFix: true });
}

/** The value as JSON, or its first 64 characters (long values are cut in messages); `shown` for derived values. */
function shows(line: string, value: string, shown?: string): boolean {
    if (shown !== undefined) {
        return line.includes(shown);
    }
    return (
        line.includes(JSON.stringify(value)) ||
        (value.length > 64 && line.includes(JSON.stringify(value.slice(0, 64)).slice(0, -1)))
    );
}

async function expectNothingDeclared(rec: Recorder): Promise<void> {
    await settle();
    const declared = rec.resources.filter(
        (r) => r.type.startsWith("docker:") || r.type.startsWith("command:") || r.type.startsWith("pulumi:providers:"),
    );
    expect(declared.map((r) => `${r.type} ${r.name}`)).toEqual([]);
}

function get(obj: any, path: string): any {
    return steps(path).reduce((o, k) => o[k], obj);
}

function set(obj: any, path: string, value: unknown): void {
    const ks = steps(path);
    const parent = ks.slice(0, -1).reduce((o, k) => o[k], obj);
    parent[ks[ks.length - 1]] = value;
}

function steps(path: string): (string | number)[] {
    return path.split(/\.|(?=\[)/).map((k) => (k.startsWith("[") ? Number(k.slice(1, -1)) : k));
}
