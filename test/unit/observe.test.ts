// Drift seen by preview and up (components/host/observe.ts): what a host's answer means, which
// resources it reaches, and that a healthy host leaves every host script as it is.
import { CrossHostRoutedPair, CrossHostRoutedPairArgs, HostArgs } from "../../components";
import { HostObservation, driftCarrier, driftOf, observeHosts, parseObservation, rememberObservation } from "../../components/host/observe";
import { RegistrationOptions, Recorder, captureRequests, settle } from "../support/mocks";

const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA-test-key\n-----END OPENSSH PRIVATE KEY-----\n";
const host = (name: string, address: string): HostArgs => ({ name, ssh: { address, privateKey: KEY } });
const args = (): CrossHostRoutedPairArgs => ({
    hostA: { host: host("h1", "192.168.100.200"), lanAddress: "192.168.100.200/24", bip: "172.17.0.1/16" },
    hostB: { host: host("h2", "192.168.100.201"), lanAddress: "192.168.100.201/24", bip: "172.18.0.1/16" },
});
const seen = (over: Partial<HostObservation> = {}): HostObservation => ({ reachable: true, bip: "", docker0: "", records: new Map(), at: "2026-11-29T10:00:00.000Z", ...over });

describe("what a host's answer means", () => {
    test("parse: facts, each record's check, its differs lines; a cut-short answer is not an answer", () => {
        const o = parseObservation(
            "bip 172.18.0.1/16\ndocker0 172.18.0.1/16\nrec routes.DN-R-1 0\nrec firewall.DN-X-1 1\ndiffers firewall.DN-X-1 no jump to DN-X-1 in filter DOCKER-USER\nrec routes.old 3\nend\n",
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
        const o = seen({ bip: "172.30.0.1/16", docker0: "172.18.0.1/16", records: new Map([["routes.T", ["no dockernet route to 10.1.0.0/16 via 10.0.0.2"]], ["firewall.DN-X-A", []]]) });
        expect(driftOf("bip", ["create", "172.18.0.1/16"], o)).toEqual(['bip in /etc/docker/daemon.json is "172.30.0.1/16", declared 172.18.0.1/16']);
        expect(driftOf("bip", ["create", "172.18.0.1/16"], seen({ bip: "172.18.0.1/16", docker0: "172.18.0.1/16" }))).toEqual([]);
        expect(driftOf("routes", ["create", "--tag", "T", "10.1.0.0/16=10.0.0.2"], o)).toEqual(["no dockernet route to 10.1.0.0/16 via 10.0.0.2"]);
        expect(driftOf("firewall", ["create", "--chain", "DN-X-A", "accept,-,-,-,-"], o)).toEqual([]);
        expect(driftOf("firewall", ["create", "--chain", "DN-X-B"], o)).toEqual([expect.stringContaining("no boot record firewall.DN-X-B")]);
        expect(driftOf("probe", ["web", "10.1.0.2", "80", "reachable", "5"], o)).toEqual(["routes.T: no dockernet route to 10.1.0.0/16 via 10.0.0.2"]);
        // Nothing to compare: no observation, arguments only known later.
        expect(driftOf("routes", ["create", "--tag", "T"], undefined)).toBeUndefined();
        expect(driftOf("routes", { unknown: true }, o)).toBeUndefined();
    });

    test("the carrier: a drift is a new stdin each time it is seen; no drift ignores stdin, whatever it holds", () => {
        expect(driftCarrier("h1", "x-routes", ["a"], "T1")).toEqual({ stdin: "dockernet: drift seen on h1 at T1 (x-routes):\n  a\n", ignore: false });
        expect(driftCarrier("h1", "x-routes", ["a"], "T2").stdin).not.toBe(driftCarrier("h1", "x-routes", ["a"], "T1").stdin);
        expect(driftCarrier("h1", "x-routes", [], "T1")).toEqual({ ignore: true });
        expect(driftCarrier("h1", "x-routes", undefined, undefined)).toEqual({ ignore: true });
    });

    test("switched off (unit tests, DOCKERNET_OBSERVE=off): no host is contacted", () => {
        expect(process.env.DOCKERNET_OBSERVE).toBe("off");
        expect(() => observeHosts([{ name: "nowhere", ssh: { address: "203.0.113.9" } }])).not.toThrow();
    });
});

describe("a routed pair's host scripts under an observation", () => {
    const rec = new Recorder();
    const options = new Map<string, RegistrationOptions>();
    beforeEach(async () => {
        await rec.install(false);
        options.clear();
        captureRequests((k, o) => options.set(k, o));
    });
    afterEach(settle);
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
        const names = { t1: tagOf("seed-h1-routes"), t2: tagOf("seed-h2-routes"), c1: chainOf("seed-h1-firewall"), c2: chainOf("seed-h2-firewall") };
        // The pair registered with h2 showing no records: the sets would be reported missing, so
        // look again with h2's records as they are after a flush of its chain.
        await rec.install(false);
        options.clear();
        captureRequests((k, o) => options.set(k, o));
        rememberObservation(a.hostA.host, seen({ bip: "172.17.0.1/16", docker0: "172.17.0.1/16", records: new Map([[`routes.${names.t1}`, []], [`firewall.${names.c1}`, []]]) }));
        rememberObservation(a.hostB.host, seen({
            bip: "172.18.0.1/16",
            docker0: "172.18.0.1/16",
            records: new Map([[`routes.${names.t2}`, []], [`firewall.${names.c2}`, [`chain ${names.c2} in the filter table holds other rules (0 present, 2 wanted)`]]]),
        }));
        new CrossHostRoutedPair("seed", a);
        await settle();
        expect(String(rec.named("seed-h2-firewall").inputs.stdin)).toMatch(/^dockernet: drift seen on h2 at 2026-11-29T10:00:00\.000Z \(seed-h2-firewall\):\n {2}chain DN-X-[0-9A-F]{10} in the filter table holds other rules/);
        expect(opts("seed-h2-firewall").ignoreChanges).not.toContain("stdin");
        for (const n of ["h1-bip", "h2-bip", "seed-h1-routes", "seed-h2-routes", "seed-h1-firewall"]) {
            expect({ n, stdin: rec.named(n).inputs.stdin }).toEqual({ n, stdin: undefined });
            expect(opts(n).ignoreChanges).toContain("stdin");
        }
    });
});
