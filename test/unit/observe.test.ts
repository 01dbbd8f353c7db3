// Drift seen by preview and up (components/host/observe.ts): what a host's answer means, which
// resources it reaches, and that a healthy host leaves every host script as it is.
import { CrossHostRoutedPair, CrossHostRoutedPairArgs, CustomBridgeNetwork, HostArgs } from "../../components";
import {
    HostObservation,
    SeenContainer,
    dockerSupportProblem,
    driftCarrier,
    driftOf,
    observeHosts,
    parseObservation,
    rememberObservation,
} from "../../components/host/observe";
import { captureRequests, messageOf, recordingWithOptions, settle } from "../support/mocks";

const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA-test-key\n-----END OPENSSH PRIVATE KEY-----\n";
const host = (name: string, address: string): HostArgs => ({ name, ssh: { address, privateKey: KEY } });
const args = (): CrossHostRoutedPairArgs => ({
    hostA: { host: host("h1", "192.168.100.200"), lanAddress: "192.168.100.200/24", bip: "172.17.0.1/16" },
    hostB: { host: host("h2", "192.168.100.201"), lanAddress: "192.168.100.201/24", bip: "172.18.0.1/16" },
});
const seen = (over: Partial<HostObservation> = {}): HostObservation => ({
    reachable: true,
    bip: "",
    docker0: "",
    records: new Map(),
    at: "2026-11-29T10:00:00.000Z",
    ...over,
});

describe("what a host's answer means", () => {
    test("parse: facts, each record's check, its differs lines; a cut-short answer is not an answer", () => {
        const o = parseObservation(
            "bip 172.18.0.1/16\nbipadopted \ndocker0 172.18.0.1/16\nrec routes.DN-R-1 0\nrec firewall.DN-X-1 1\ndiffers firewall.DN-X-1 no jump to DN-X-1 in filter DOCKER-USER\nrec routes.old 3\nend\n",
            "t",
        );
        expect(o).toMatchObject({ reachable: true, bip: "172.18.0.1/16", docker0: "172.18.0.1/16" });
        expect([...o.records]).toEqual([
            ["routes.DN-R-1", []],
            ["firewall.DN-X-1", ["no jump to DN-X-1 in filter DOCKER-USER"]],
            ["routes.old", ["check exited 3"]],
        ]);
        expect(parseObservation("bip \ndocker0 \n", "t")).toMatchObject({ reachable: false });
    });

    test("drift per script: bip against daemon.json and docker0, a set against its record, a missing record, a probe against its host", () => {
        const o = seen({
            bip: "172.30.0.1/16",
            docker0: "172.18.0.1/16",
            records: new Map([
                ["routes.T", ["no dockernet route to 10.1.0.0/16 via 10.0.0.2"]],
                ["firewall.DN-X-A", []],
            ]),
        });
        expect(driftOf("bip", ["create", "172.18.0.1/16"], o)).toEqual([
            'bip in /etc/docker/daemon.json is "172.30.0.1/16", declared 172.18.0.1/16',
        ]);
        expect(
            driftOf("bip", ["create", "172.18.0.1/16"], seen({ bip: "172.18.0.1/16", docker0: "172.18.0.1/16" })),
        ).toEqual([]);
        // An adopted --bip flag carries the value: daemon.json has none, and that is no drift.
        const flag = seen({ bip: "", bipAdopted: "172.18.0.1/16", docker0: "172.18.0.1/16" });
        expect(driftOf("bip", ["create", "172.18.0.1/16", "--adopt", "yes"], flag)).toEqual([]);
        expect(driftOf("bip", ["create", "172.18.0.1/16"], flag)).toEqual([
            "bip in /etc/docker/daemon.json is absent, declared 172.18.0.1/16",
        ]);
        expect(
            driftOf(
                "bip",
                ["create", "172.18.0.1/16", "--adopt", "yes"],
                seen({ bipAdopted: "172.18.0.1/16", docker0: "172.19.0.1/16" }),
            ),
        ).toEqual(["docker0 has 172.19.0.1/16, declared 172.18.0.1/16"]);
        expect(driftOf("routes", ["create", "--tag", "T", "10.1.0.0/16=10.0.0.2"], o)).toEqual([
            "no dockernet route to 10.1.0.0/16 via 10.0.0.2",
        ]);
        expect(driftOf("firewall", ["create", "--chain", "DN-X-A", "accept,-,-,-,-"], o)).toEqual([]);
        expect(driftOf("firewall", ["create", "--chain", "DN-X-B"], o)).toEqual([
            expect.stringContaining("no boot record firewall.DN-X-B"),
        ]);
        expect(driftOf("probe", ["web", "10.1.0.2", "80", "reachable", "5"], o)).toEqual([
            "routes.T: no dockernet route to 10.1.0.0/16 via 10.0.0.2",
        ]);
        // Nothing to compare: no observation, arguments only known later.
        expect(driftOf("routes", ["create", "--tag", "T"], undefined)).toBeUndefined();
        expect(driftOf("routes", { unknown: true }, o)).toBeUndefined();
    });

    test("the carrier: a drift is a new stdin each time it is seen; no drift ignores stdin, whatever it holds", () => {
        expect(driftCarrier("h1", "x-routes", ["a"], "T1")).toEqual({
            stdin: "dockernet: drift seen on h1 at T1 (x-routes):\n  a\n",
            ignore: false,
        });
        expect(driftCarrier("h1", "x-routes", ["a"], "T2").stdin).not.toBe(
            driftCarrier("h1", "x-routes", ["a"], "T1").stdin,
        );
        expect(driftCarrier("h1", "x-routes", [], "T1")).toEqual({ ignore: true });
        expect(driftCarrier("h1", "x-routes", undefined, undefined)).toEqual({ ignore: true });
    });

    test("containers: one tab-separated line each, with the id, image, raw network mode, restart, state, command, networks and dockernet's label", () => {
        const id = "a".repeat(64);
        const o = parseObservation(
            `bip \nbipadopted \ndocker0 172.17.0.1/16\nctr\t/nginx\t${id}\tlab/busybox:1\tdefault\tno\ttrue\t["httpd","-f"]\tbridge \t<no value>\n` +
                `ctr\t/web\t${"b".repeat(64)}\tsha256:1234\tbridge\tunless-stopped\tfalse\tnull\tbridge lan \tRoutedMesh/m\nend\n`,
            "t",
        );
        expect(o.containers?.get("nginx")).toEqual({
            id,
            image: "lab/busybox:1",
            networkMode: "default",
            restart: "no",
            running: true,
            command: ["httpd", "-f"],
            networks: ["bridge"],
            dockernet: false,
        });
        expect(o.containers?.get("web")).toMatchObject({
            running: false,
            command: null,
            networks: ["bridge", "lan"],
            dockernet: true,
        });
    });

    test("switched off (unit tests, DOCKERNET_OBSERVE=off): no host is contacted", () => {
        expect(process.env.DOCKERNET_OBSERVE).toBe("off");
        expect(() => observeHosts([{ name: "nowhere", ssh: { address: "203.0.113.9" } }])).not.toThrow();
    });
});

describe("a routed pair's host scripts under an observation", () => {
    const { rec, options } = recordingWithOptions();
    const opts = (name: string) => options.get(`command:remote:Command::${name}`)!;

    test("healthy hosts: no stdin, and every host script ignores stdin changes (a healthy up changes nothing)", async () => {
        const a = args();
        rememberObservation(a.hostA.host, seen({ bip: "172.17.0.1/16", docker0: "172.17.0.1/16" }));
        rememberObservation(a.hostB.host, seen({ bip: "172.18.0.1/16", docker0: "172.18.0.1/16" }));
        const pair = new CrossHostRoutedPair("seed", a);
        await settle();
        expect(pair).toBeDefined();
        for (const n of ["h1-bip", "h2-bip"]) {
            expect(rec.named(n).inputs.stdin).toBeUndefined();
            expect(opts(n).ignoreChanges).toContain("stdin");
        }
    });

    test("a flushed chain on h2: its firewall set carries the drift in stdin (an update), nothing else on h2 or h1 does", async () => {
        const a = args();
        rememberObservation(a.hostA.host, seen({ bip: "172.17.0.1/16", docker0: "172.17.0.1/16" }));
        const h2 = seen({ bip: "172.18.0.1/16", docker0: "172.18.0.1/16" });
        rememberObservation(a.hostB.host, h2);
        new CrossHostRoutedPair("seed", a);
        await settle();
        const chainOf = (n: string) => /'--chain' '(DN-X-[0-9A-F]{10})'/.exec(String(rec.named(n).inputs.create))![1];
        const tagOf = (n: string) => /'--tag' '(DN-R-[0-9A-F]{10})'/.exec(String(rec.named(n).inputs.create))![1];
        const names = {
            t1: tagOf("seed-h1-routes"),
            t2: tagOf("seed-h2-routes"),
            c1: chainOf("seed-h1-firewall"),
            c2: chainOf("seed-h2-firewall"),
        };
        // The pair registered with h2 showing no records: the sets would be reported missing, so
        // look again with h2's records as they are after a flush of its chain.
        await rec.install(false);
        options.clear();
        captureRequests((k, o) => options.set(k, o));
        rememberObservation(
            a.hostA.host,
            seen({
                bip: "172.17.0.1/16",
                docker0: "172.17.0.1/16",
                records: new Map([
                    [`routes.${names.t1}`, []],
                    [`firewall.${names.c1}`, []],
                ]),
            }),
        );
        rememberObservation(
            a.hostB.host,
            seen({
                bip: "172.18.0.1/16",
                docker0: "172.18.0.1/16",
                records: new Map([
                    [`routes.${names.t2}`, []],
                    [
                        `firewall.${names.c2}`,
                        [`chain ${names.c2} in the filter table holds other rules (0 present, 2 wanted)`],
                    ],
                ]),
            }),
        );
        new CrossHostRoutedPair("seed", a);
        await settle();
        expect(String(rec.named("seed-h2-firewall").inputs.stdin)).toMatch(
            /^dockernet: drift seen on h2 at 2026-11-29T10:00:00\.000Z \(seed-h2-firewall\):\n {2}chain DN-X-[0-9A-F]{10} in the filter table holds other rules/,
        );
        expect(opts("seed-h2-firewall").ignoreChanges).not.toContain("stdin");
        for (const n of ["h1-bip", "h2-bip", "seed-h1-routes", "seed-h2-routes", "seed-h1-firewall"]) {
            expect({ n, stdin: rec.named(n).inputs.stdin }).toEqual({ n, stdin: undefined });
            expect(opts(n).ignoreChanges).toContain("stdin");
        }
    });
});

describe("adopting hand-made containers (adopt: true): imported when they match, refused naming each field when not", () => {
    const { rec, options } = recordingWithOptions();
    const ID = "c0ffee".padEnd(64, "0");
    const hand = (over: Partial<SeenContainer> = {}): SeenContainer => ({
        id: ID,
        image: "lab/busybox:1",
        networkMode: "default",
        restart: "no",
        running: true,
        command: ["httpd", "-f", "-p", "80"],
        networks: ["bridge"],
        dockernet: false,
        ...over,
    });
    const adoptArgs = (restart?: "no" | "always"): CrossHostRoutedPairArgs => {
        const a = args();
        const web = (n: string) => ({
            name: n,
            image: "lab/busybox:1",
            command: ["httpd", "-f", "-p", "80"],
            ports: [{ internal: 80 }],
            ...(restart ? { restart } : {}),
        });
        return {
            hostA: { ...a.hostA, adopt: true, containers: [web("web_h1")] },
            hostB: { ...a.hostB, adopt: true, containers: [web("web_h2")] },
        };
    };

    test("a matching hand-made container is imported by its full id, declared as the provider reads it back, and kept on delete", async () => {
        const a = adoptArgs("no");
        rememberObservation(
            a.hostA.host,
            seen({ bip: "172.17.0.1/16", docker0: "172.17.0.1/16", containers: new Map([["web_h1", hand()]]) }),
        );
        rememberObservation(a.hostB.host, seen({ bip: "172.18.0.1/16", docker0: "172.18.0.1/16" }));
        new CrossHostRoutedPair("seed", a);
        await settle();
        const c = rec.named("seed-h1-web_h1");
        expect(c.importId).toBe(ID);
        expect(c.inputs).toMatchObject({
            name: "web_h1",
            image: "lab/busybox:1",
            networkMode: "default",
            restart: "no",
        });
        expect(c.inputs.labels).toBeUndefined();
        expect(options.get("docker:index/container:Container::seed-h1-web_h1")!.retainOnDelete).toBe(true);
        // h2 has no hand-made web_h2: declared as new (dockernet's label, the image by id), deleted on destroy.
        const fresh = rec.named("seed-h2-web_h2");
        expect(fresh.importId).toBeUndefined();
        expect(fresh.inputs.labels).toContainEqual({ label: "dockernet.component", value: "CrossHostRoutedPair/seed" });
        expect(options.get("docker:index/container:Container::seed-h2-web_h2")!.retainOnDelete).toBeFalsy();
    });

    test("a container dockernet made (its label) is not imported again", async () => {
        const a = adoptArgs("no");
        rememberObservation(
            a.hostA.host,
            seen({
                containers: new Map([["web_h1", hand({ dockernet: true, image: "sha256:1", networkMode: "bridge" })]]),
            }),
        );
        rememberObservation(a.hostB.host, seen());
        new CrossHostRoutedPair("seed", a);
        await settle();
        expect(rec.named("seed-h1-web_h1").importId).toBeUndefined();
    });

    test("a mismatch names each differing field by its path, the value and the fix, and nothing is made", async () => {
        const a = adoptArgs();
        rememberObservation(a.hostA.host, seen());
        rememberObservation(
            a.hostB.host,
            seen({ containers: new Map([["web_h2", hand({ image: "nginx:1", command: ["nginx"], running: false })]]) }),
        );
        const m = messageOf(() => new CrossHostRoutedPair("seed", a));
        expect(m).toContain(
            'hostB.containers[0].image is "lab/busybox:1", but the container web_h2 on h2 (made by hand) runs "nginx:1"; declare that image',
        );
        expect(m).toContain(
            'hostB.containers[0].restart is "unless-stopped" (the default), but the container web_h2 on h2 (made by hand) has "no"; declare restart "no"',
        );
        expect(m).toContain("hostB.containers[0].command is");
        expect(m).toContain("is not running; start it (docker start web_h2) before adopting it");
        await settle();
        expect(rec.resources.map((r) => r.type)).toEqual(["dockernet:index:CrossHostRoutedPair"]);
    });

    test("published ports, env, labels or a hostname cannot be adopted (the provider does not read them back on import)", () => {
        const a = adoptArgs("no");
        a.hostA.containers = [
            { ...a.hostA.containers![0], ports: [{ internal: 80, external: 8080 }], env: { A: "1" } },
        ];
        rememberObservation(a.hostA.host, seen({ containers: new Map([["web_h1", hand()]]) }));
        rememberObservation(a.hostB.host, seen());
        const m = messageOf(() => new CrossHostRoutedPair("seed", a));
        expect(m).toContain(
            "hostA.containers[0].ports publishes a port, but the Docker provider does not read ports back",
        );
        expect(m).toContain("hostA.containers[0].env is set, but the Docker provider does not read env back");
    });
});

describe("the Docker each host runs: a firewall dockernet cannot manage is refused before anything is made", () => {
    const { rec } = recordingWithOptions();

    test("parse: the daemon's version and firewall backend; empty where an older Docker has none", () => {
        const o = parseObservation("bip \ndockerversion 28.5.2+dfsg4\nfirewallbackend iptables\nend\n", "t");
        expect(o).toMatchObject({ dockerVersion: "28.5.2+dfsg4", firewallBackend: "iptables" });
        expect(parseObservation("bip \ndockerversion 20.10.24+dfsg1\nfirewallbackend \nend\n", "t")).toMatchObject({
            dockerVersion: "20.10.24+dfsg1",
            firewallBackend: "",
        });
    });

    test("20.10, 26.1, 28.x with iptables are supported; nftables (any version) and 29 are refused with the fix", () => {
        for (const v of ["20.10.24+dfsg1", "26.1.5+dfsg1", "28.0.4", "28.5.2+dfsg4", ""]) {
            expect(
                dockerSupportProblem(
                    "h1",
                    seen({ dockerVersion: v, firewallBackend: v.startsWith("28") ? "iptables" : "" }),
                ),
            ).toBeUndefined();
        }
        expect(
            dockerSupportProblem("h1", seen({ dockerVersion: "28.5.2", firewallBackend: "iptables+firewalld" })),
        ).toBeUndefined();
        const nft = dockerSupportProblem("h1", seen({ dockerVersion: "28.5.2+dfsg4", firewallBackend: "nftables" }));
        expect(nft).toContain("runs Docker 28.5.2+dfsg4 with the nftables firewall backend");
        // 28 has no daemon.json key for it (a 28 dockerd would refuse to start with one): the environment is the fix there.
        expect(nft).toContain(
            "Remove DOCKER_FIREWALL_BACKEND=nftables from Docker's environment on h1 (its systemd unit or a drop-in, /etc/default/docker) and restart Docker",
        );
        expect(nft).not.toContain("daemon.json");
        const nft29 = dockerSupportProblem(
            "h1",
            seen({ dockerVersion: "29.1.0", firewallBackend: "nftables+firewalld" }),
        );
        expect(nft29).toContain("nftables firewall backend");
        expect(nft29).toContain(
            `Set "firewall-backend": "iptables" in h1's /etc/docker/daemon.json and restart Docker`,
        );
        const v29 = dockerSupportProblem("h2", seen({ dockerVersion: "29.1.0", firewallBackend: "iptables" }));
        expect(v29).toContain(
            "runs Docker 29.1.0, which dockernet does not support yet (it is proven on Docker 20.10, 26.1, 28.5",
        );
        expect(v29).toContain("Run Docker 28.5 on h2; nothing was changed");
    });

    test("a routed pair with one host on Docker 29: one error naming the host's field, and not one resource made", async () => {
        const a = args();
        rememberObservation(a.hostA.host, seen({ dockerVersion: "28.5.2+dfsg4", firewallBackend: "iptables" }));
        rememberObservation(a.hostB.host, seen({ dockerVersion: "29.0.1", firewallBackend: "iptables" }));
        const m = messageOf(() => new CrossHostRoutedPair("seed", a));
        expect(m).toContain('Unsupported Docker for CrossHostRoutedPair "seed":');
        expect(m).toContain(" - hostB.host h2 runs Docker 29.0.1, which dockernet does not support yet");
        expect(m).not.toContain("h1 runs");
        await settle();
        expect(rec.resources.map((r) => r.type)).toEqual(["dockernet:index:CrossHostRoutedPair"]);
    });

    test("connectTo on a host with the nftables backend is refused; the same network without connectTo is not", async () => {
        const h = host("h3", "192.168.100.202");
        rememberObservation(h, seen({ dockerVersion: "28.5.2+dfsg4", firewallBackend: "nftables" }));
        const m = messageOf(
            () => new CustomBridgeNetwork("web", { host: h, subnet: "10.50.0.0/24", connectTo: ["docker0"] }),
        );
        expect(m).toContain(
            'Unsupported Docker for CustomBridgeNetwork "web":\n - host h3 runs Docker 28.5.2+dfsg4 with the nftables firewall backend',
        );
        expect(() => new CustomBridgeNetwork("plain", { host: h, subnet: "10.51.0.0/24" })).not.toThrow();
        await settle();
        expect(rec.resources.filter((r) => r.type === "docker:index/network:Network").map((r) => r.name)).toEqual([
            "plain-network",
        ]);
    });
});
