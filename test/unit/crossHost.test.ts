// CrossHostRoutedPair, ConnectivityCheck and CustomBridgeNetwork.connectTo under plain mocks, in
// normal and preview mode: what runs on each host, in which order, and every validation rule.
import {
    ConnectivityCheck,
    CrossHostRoutedPair,
    CrossHostRoutedPairArgs,
    CustomBridgeNetwork,
    HostArgs,
    planCrossHostRoutedPair,
} from "../../components";
import { scriptCommand } from "../../components/host/scripts";
import { Recorder, isUnknown, messageOf, settle } from "../support/mocks";

const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA-test-key\n-----END OPENSSH PRIVATE KEY-----\n";
const host = (name: string, address: string): HostArgs => ({ name, ssh: { address, privateKey: KEY } });
const web = (name: string) => ({
    name,
    image: "lab/busybox:1",
    command: ["httpd", "-f", "-p", "80"],
    ports: [{ internal: 80 }],
});

function args(over: Partial<CrossHostRoutedPairArgs> = {}): CrossHostRoutedPairArgs {
    return {
        hostA: {
            host: host("h1", "192.168.100.200"),
            lanAddress: "192.168.100.200/24",
            bip: "172.17.0.1/16",
            containers: [web("web_h1")],
        },
        hostB: {
            host: host("h2", "192.168.100.201"),
            lanAddress: "192.168.100.201/24",
            bip: "172.18.0.1/16",
            containers: [web("web_h2")],
        },
        ...over,
    };
}

describe.each([false, true])("CrossHostRoutedPair (preview=%s)", (preview) => {
    const rec = new Recorder();
    beforeEach(async () => rec.install(preview));
    afterEach(settle);

    test("per host: bip, then routes and firewall, then containers, then probes both ways", async () => {
        new CrossHostRoutedPair("seed", args({ preserveSourceIp: true }));
        await settle();
        const cmd = (n: string) => rec.named(n).inputs.create as string;
        expect(cmd("h2-bip")).toContain("sh -c \"$DN_SCRIPT_TEXT\" bip.sh 'create' '172.18.0.1/16' </dev/null");
        expect(cmd("seed-h1-routes")).toMatch(
            /routes\.sh 'create' '--tag' 'DN-R-[0-9A-F]{10}' '172\.18\.0\.0\/16=192\.168\.100\.201'/,
        );
        expect(cmd("seed-h2-routes")).toContain("'172.17.0.0/16=192.168.100.200'");
        const fw = cmd("seed-h1-firewall");
        expect(fw).toMatch(
            /firewall\.sh 'create' '--chain' 'DN-X-[0-9A-F]{10}' 'accept,-,-,192\.168\.100\.0\/24,172\.17\.0\.0\/16' 'accept,-,-,172\.18\.0\.0\/16,172\.17\.0\.0\/16' 'nat-return,172\.17\.0\.0\/16,172\.18\.0\.0\/16'/,
        );
        expect(rec.named("h1-bip").inputs.delete).toContain("bip.sh 'delete' '172.17.0.1/16'");
        // Connections carry the key as given, to the right address.
        expect(rec.named("seed-h2-routes").inputs.connection).toMatchObject({
            host: "192.168.100.201",
            port: 22,
            user: "root",
        });
        expect(rec.named("seed-h1-web_h1").inputs.name).toBe("web_h1");
        expect(rec.named("seed-h1-web_h1").inputs.networkMode).toBe("bridge");
        expect(
            rec
                .ofType("dockernet:index:ConnectivityCheck")
                .map((r) => r.name)
                .sort(),
        ).toEqual(["seed-probe-h1-to-h2", "seed-probe-h2-to-h1"]);
        const probe = rec.named("seed-probe-h1-to-h2-probe").inputs.create;
        if (preview) {
            expect(isUnknown(probe)).toBe(true); // the peer's address is not known before it exists
        } else {
            expect(probe).toMatch(/probe\.sh 'web_h1' '172\.17\.0\.\d+' '80' 'reachable' '5'/);
        }
    });

    test("resources grow with hosts, not hosts squared: one route set and one rule set per host", async () => {
        new CrossHostRoutedPair("p", args());
        await settle();
        expect(rec.ofType("command:remote:Command").filter((r) => /-(bip|routes|firewall)$/.test(r.name))).toHaveLength(
            6,
        );
    });

    test("ConnectivityCheck runs probe.sh with the expectation; a bad value is refused first", async () => {
        new ConnectivityCheck("c", {
            host: host("h1", "192.168.100.200"),
            fromContainer: "web_h1",
            toAddress: "172.18.0.2",
            port: 80,
            expect: "isolated",
            attempts: 1,
        });
        await settle();
        expect(rec.named("c-probe").inputs.create).toContain("probe.sh 'web_h1' '172.18.0.2' '80' 'isolated' '1'");
        expect(rec.named("c-probe").inputs.delete).toBeUndefined();
        expect(
            () =>
                new ConnectivityCheck("d", {
                    host: host("h1", "192.168.100.200"),
                    fromContainer: "x;y",
                    toAddress: "$(id)",
                    expect: "maybe" as never,
                }),
        ).toThrow(
            /toAddress "\$\(id\)"[\s\S]*fromContainer "x;y" is not a container name[\s\S]*expect "maybe" is not an expectation/,
        );
    });

    test("CustomBridgeNetwork.connectTo opens both directions in a chain of its own", async () => {
        new CustomBridgeNetwork("appnet", {
            host: host("h1", "192.168.100.200"),
            subnet: "172.19.0.0/16",
            bridgeName: "br-appnet",
            connectTo: ["docker0"],
        });
        await settle();
        expect(rec.named("appnet-connect").inputs.create).toMatch(
            /firewall\.sh 'create' '--chain' 'DN-B-[0-9A-F]{10}' 'accept,br-appnet,docker0,-,-' 'accept,docker0,br-appnet,-,-'/,
        );
        expect(rec.named("appnet-connect").inputs.delete).toMatch(/firewall\.sh 'delete' '--chain' 'DN-B-/);
    });
});

describe("CrossHostRoutedPair validation (before any resource exists)", () => {
    test("bip equal to the network or broadcast address", () => {
        const m = messageOf(() =>
            planCrossHostRoutedPair("p", args({ hostB: { ...args().hostB, bip: "172.18.0.0/16" } })),
        );
        expect(m).toContain(
            'hostB.bip "172.18.0.0/16" is the network address of 172.18.0.0/16; a bip is the bridge\'s own address, use 172.18.0.1/16',
        );
        const b = messageOf(() =>
            planCrossHostRoutedPair("p", args({ hostA: { ...args().hostA, bip: "172.17.255.255/16" } })),
        );
        expect(b).toContain('hostA.bip "172.17.255.255/16" is the broadcast address');
    });

    test("bip overlapping the peer's or the LAN", () => {
        expect(
            messageOf(() => planCrossHostRoutedPair("p", args({ hostB: { ...args().hostB, bip: "172.17.5.1/24" } }))),
        ).toContain('hostB.bip "172.17.5.1/24" overlaps hostA.bip 172.17.0.0/16');
        expect(
            messageOf(() => planCrossHostRoutedPair("p", args({ hostB: { ...args().hostB, bip: "192.168.0.1/16" } }))),
        ).toContain('hostB.bip "192.168.0.1/16" overlaps the LAN 192.168.100.0/24');
    });

    test("the same host twice", () => {
        const m = messageOf(() =>
            planCrossHostRoutedPair(
                "p",
                args({
                    hostB: { ...args().hostB, host: host("h1", "192.168.100.200"), lanAddress: "192.168.100.200/24" },
                }),
            ),
        );
        expect(m).toContain("hostB.host is the same host as hostA.host");
        expect(m).toContain('hostB.lanAddress "192.168.100.200/24" is hostA\'s LAN address too');
    });

    test("a LAN address outside the peer's LAN subnet", () => {
        const m = messageOf(() =>
            planCrossHostRoutedPair("p", args({ hostB: { ...args().hostB, lanAddress: "192.168.101.201/24" } })),
        );
        expect(m).toContain('hostB.lanAddress "192.168.101.201/24" is outside hostA\'s LAN 192.168.100.0/24');
    });

    test("IPv6 where IPv4 is expected", () => {
        const m = messageOf(() =>
            planCrossHostRoutedPair(
                "p",
                args({ hostA: { ...args().hostA, bip: "fd00::1/64", lanAddress: "fe80::1/64" } }),
            ),
        );
        expect(m).toContain('hostA.bip "fd00::1/64"');
        expect(m).toContain("IPv6");
        expect(m).toContain('hostA.lanAddress "fe80::1/64"');
    });

    test.each([
        ["semicolon", "h1;reboot"],
        ["command substitution", "$(touch /tmp/pwned)"],
        ["backticks", "`id`"],
        ["single quote", "h1'"],
        ["double quote", 'h1"'],
        ["newline", "h1\nrm -rf /"],
        ["NUL", "h1\u0000x"],
    ])("shell metacharacters (%s) in every string field are rejected", (_label, bad) => {
        const fields: [string, CrossHostRoutedPairArgs][] = [
            [
                "hostA.host.name",
                args({ hostA: { ...args().hostA, host: { ...host("h1", "192.168.100.200"), name: bad } } }),
            ],
            ["hostA.host.ssh.address", args({ hostA: { ...args().hostA, host: host("h1", bad) } })],
            ["hostA.lanAddress", args({ hostA: { ...args().hostA, lanAddress: bad } })],
            ["hostB.bip", args({ hostB: { ...args().hostB, bip: bad } })],
            [
                "hostA.host.restartCommand",
                args({ hostA: { ...args().hostA, host: { ...host("h1", "192.168.100.200"), restartCommand: bad } } }),
            ],
            [
                "hostA.containers[0].name",
                args({ hostA: { ...args().hostA, containers: [{ ...web("x"), name: bad }] } }),
            ],
            [
                "hostA.containers[0].image",
                args({ hostA: { ...args().hostA, containers: [{ ...web("x"), image: bad }] } }),
            ],
        ];
        for (const [field, a] of fields) {
            const m = messageOf(() => planCrossHostRoutedPair("p", a));
            expect(m).toContain(field);
            expect(m).toContain(JSON.stringify(bad).slice(1, -1).slice(0, 8));
        }
    });

    test("routed containers must be on docker0", () => {
        expect(
            messageOf(() =>
                planCrossHostRoutedPair(
                    "p",
                    args({ hostA: { ...args().hostA, containers: [{ ...web("x"), networkMode: "host" }] } }),
                ),
            ),
        ).toContain('hostA.containers[0].networkMode is "host"; routed containers live on docker0');
    });
});

test("host scripts travel as a quoted here-document (kept in DN_SCRIPT_TEXT) with single-quoted arguments and no stdin", () => {
    const text = scriptCommand("routes", ["create", "--tag", "x", "it's"]);
    expect(text.startsWith(`DN_SCRIPT_TEXT="$(cat <<'DOCKERNET_SCRIPT_EOF'\n#!/bin/sh\n`)).toBe(true);
    expect(
        text.endsWith(
            `\nDOCKERNET_SCRIPT_EOF\n)"\nexport DN_SCRIPT_TEXT\nsh -c "$DN_SCRIPT_TEXT" routes.sh 'create' '--tag' 'x' 'it'\\''s' </dev/null\n`,
        ),
    ).toBe(true);
});

describe("adopt: hand-made routes via the same gateway are taken over, a --bip flag of the same value kept", () => {
    const rec = new Recorder();
    beforeEach(async () => rec.install(false));
    afterEach(settle);

    test("a host with adopt runs routes.sh --adopt yes (create and delete); a host without it does not", async () => {
        new CrossHostRoutedPair("seed", args({ hostA: { ...args().hostA, adopt: true } }));
        await settle();
        expect(rec.named("seed-h1-routes").inputs.create).toMatch(
            /routes\.sh 'create' '--tag' 'DN-R-[0-9A-F]{10}' '--adopt' 'yes' '172\.18\.0\.0\/16=192\.168\.100\.201'/,
        );
        expect(rec.named("seed-h1-routes").inputs.delete).toMatch(
            /routes\.sh 'delete' '--tag' 'DN-R-[0-9A-F]{10}' '--adopt' 'yes' /,
        );
        expect(rec.named("seed-h2-routes").inputs.create).not.toContain("'--adopt'");
        // The host's bip (owned by its DockerHost) adopts a --bip flag of the same value too.
        expect(rec.named("h1-bip").inputs.create).toMatch(/bip\.sh 'create' '172\.17\.0\.1\/16' '--adopt' 'yes'/);
        expect(rec.named("h1-bip").inputs.delete).toMatch(/bip\.sh 'delete' '172\.17\.0\.1\/16' '--adopt' 'yes'/);
        expect(rec.named("h2-bip").inputs.create).not.toContain("'--adopt'");
    });

    test("two components sharing a host must agree on adopting its bip; the error names both fields", async () => {
        new CrossHostRoutedPair("seed", args({ hostA: { ...args().hostA, adopt: true } }));
        await settle();
        const m = messageOf(
            () =>
                new CrossHostRoutedPair("other", {
                    hostA: { ...args().hostA, adopt: false },
                    hostB: {
                        host: host("h3", "192.168.100.202"),
                        lanAddress: "192.168.100.202/24",
                        bip: "172.19.0.1/16",
                    },
                }),
        );
        expect(m).toContain(
            'CrossHostRoutedPair "other" hostA.adopt false (unset) for host h1 disagrees with CrossHostRoutedPair "seed" hostA.adopt true; the host\'s bip is adopted or not: give both the same adopt',
        );
    });

    test("adopt must be true or false, named by its path", () => {
        expect(
            messageOf(
                () =>
                    new CrossHostRoutedPair(
                        "seed",
                        args({ hostB: { ...args().hostB, adopt: "yes" as unknown as boolean } }),
                    ),
            ),
        ).toContain(
            'hostB.adopt "yes" is not true or false; set true to take over hand-made routes via the same gateways and keep a --bip flag of the same value',
        );
    });
});
