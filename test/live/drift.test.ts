// `npm run check` against real hosts: the lab stack applied, then drift injected by hand, one of each
// kind (a route deleted, a firewall chain flushed, bip changed in daemon.json, a container taken off
// its network). check must report every one and change nothing; check --repair must converge each
// through the same scripts (and docker network connect); a second check must be clean.
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { CheckRow, HostRunner, checkStack, defaultRunner, formatCheck } from "../../stacks/check";
import { loadStackConfig } from "../../stacks/plan";
import { Engine } from "../support/engine";
import { assertLabRoute } from "../support/exec";
import { onHost, restarts, snapshot } from "../support/lab";
import { record } from "../support/summary";

const ROOT = path.join(__dirname, "..", "..");

/** The check's own runner, refusing any address the lab LAN does not route (the lab's safety rule). */
const labRunner: HostRunner = (host, command) => {
    if (host.ssh) {
        assertLabRoute(host.ssh.address);
    }
    return defaultRunner("/var/tmp/dockernet-lab/id")(host, command);
};

const drifted = (rows: CheckRow[]) =>
    rows.filter((r) => r.verdict !== "ok").map((r) => `${r.host} ${r.object}: ${r.verdict}`);

describe("npm run check on the lab stack (h1 + h2)", () => {
    const engine = new Engine();
    const before: Record<string, Awaited<ReturnType<typeof snapshot>>> = {};

    const cfg = loadStackConfig(ROOT, "lab");
    const program = () => {
        pulumi.runtime.setAllConfig(cfg.values, cfg.secretKeys);
        jest.isolateModules(() => {
            // eslint-disable-next-line @typescript-eslint/no-require-imports -- a Pulumi program runs when it is loaded
            require(path.join(ROOT, "index"));
        });
    };

    beforeAll(async () => {
        for (const h of ["h1", "h2"]) {
            before[h] = await snapshot(h);
        }
        await engine.up(program, "lab");
    }, 300000);

    afterAll(async () => {
        await engine.destroy().catch(() => undefined);
        engine.dispose();
    });

    test("a healthy stack: every object as declared, the stack's checks pass, nothing changed", async () => {
        const restartsBefore = [restarts("h1"), restarts("h2")];
        const { rows } = await checkStack({ root: ROOT, stack: "lab", run: labRunner });
        console.log(formatCheck("lab", rows));
        expect(drifted(rows)).toEqual([]);
        const objects = rows.map((r) => `${r.host} ${r.object}`);
        expect(objects).toEqual(
            expect.arrayContaining([
                "h1 bip (daemon.json)",
                "h2 docker0 address",
                "h1 container api_1",
                "h2 container web_h2",
                "h1 check h1-reaches-h2-container",
            ]),
        );
        expect(rows.filter((r) => r.object.startsWith("routes ")).length).toBe(2);
        expect(rows.filter((r) => r.object.startsWith("firewall ")).length).toBe(3); // each host's pair chain, and appnet's
        expect([restarts("h1"), restarts("h2")]).toEqual(restartsBefore);
    }, 120000);

    test("four kinds of drift by hand: check reports each and changes nothing; --repair converges each; then clean", async () => {
        const chain = (await onHost("h2", "iptables -w -S | sed -n 's/^-N \\(DN-X-[0-9A-F]*\\)$/\\1/p'")).trim();
        await onHost("h1", "ip route del 172.18.0.0/16");
        await onHost("h2", `iptables -w -F ${chain}`);
        await onHost(
            "h2",
            "jq '.bip = \"172.30.0.1/16\"' /etc/docker/daemon.json > /etc/docker/daemon.json.new && mv /etc/docker/daemon.json.new /etc/docker/daemon.json",
        );
        await onHost("h1", "docker network disconnect appnet api_1");
        const injected = { h1: await snapshot("h1"), h2: await snapshot("h2") };

        const first = await checkStack({ root: ROOT, stack: "lab", run: labRunner });
        console.log(formatCheck("lab", first.rows));
        const kinds = drifted(first.rows);
        expect(kinds).toEqual(
            expect.arrayContaining([
                expect.stringMatching(/^h1 routes DN-R-[0-9A-F]{10}: drift$/),
                `h2 firewall ${chain}: drift`,
                "h2 bip (daemon.json): drift",
                "h1 container api_1: drift",
            ]),
        );
        expect(first.rows.find((r) => r.object === "container api_1")!.seen).toContain("not on appnet");
        // check changed nothing.
        expect({ h1: await snapshot("h1"), h2: await snapshot("h2") }).toEqual(injected);

        const repaired = await checkStack({ root: ROOT, stack: "lab", run: labRunner, repair: true });
        console.log(formatCheck("lab", repaired.rows));
        expect(repaired.rows.filter((r) => r.verdict === "repaired").map((r) => `${r.host} ${r.object}`)).toEqual(
            expect.arrayContaining([
                expect.stringMatching(/^h1 routes /),
                `h2 firewall ${chain}`,
                "h2 bip (daemon.json)",
                "h1 container api_1",
            ]),
        );

        const second = await checkStack({ root: ROOT, stack: "lab", run: labRunner });
        console.log(formatCheck("lab", second.rows));
        expect(drifted(second.rows)).toEqual([]);
    }, 300000);

    test("drift inside Pulumi: a healthy preview shows nothing; after drift the preview names it, up repairs it, the next up changes nothing", async () => {
        // Healthy: the program looks at both hosts and finds nothing: no step at all.
        expect(await engine.preview(program, "lab")).toEqual([]);
        await engine.up(program, "lab");
        expect(engine.counts).toMatchObject({ created: 0, replaced: 0, updated: 0, deleted: 0 });

        // A route deleted on h1 and h2's chain flushed, by hand.
        const chain = (await onHost("h2", "iptables -w -S | sed -n 's/^-N \\(DN-X-[0-9A-F]*\\)$/\\1/p'")).trim();
        await onHost("h1", "ip route del 172.18.0.0/16");
        await onHost("h2", `iptables -w -F ${chain}`);
        record({ faultsInjected: 1 });
        const steps = await engine.preview(program, "lab");
        console.log(
            `preview after drift:\n${steps.map((st) => `  ${st.op} ${st.name} [${st.changed?.join(", ")}]\n${String(st.inputs?.stdin ?? "").replace(/^/gm, "      ")}`).join("\n")}`,
        );
        const byName = new Map(steps.map((st) => [st.name, st]));
        const routes = steps.find((st) => /^seed-pair-h1-routes$/.test(st.name));
        const fw = steps.find((st) => /^seed-pair-h2-firewall$/.test(st.name));
        expect(routes).toMatchObject({ op: "update", changed: ["stdin"] });
        expect(String(routes!.inputs!.stdin)).toMatch(
            /drift seen on h1 .*\n.*no dockernet route to 172\.18\.0\.0\/16 via 192\.168\.100\.201/,
        );
        expect(fw).toMatchObject({ op: "update", changed: ["stdin"] });
        expect(String(fw!.inputs!.stdin)).toContain(`chain ${chain} in the filter table holds other rules`);
        // Nothing else is touched: only updates, only of stdin, only on the drifted hosts' scripts (and the probes that cross them).
        for (const st of steps) {
            expect({ name: st.name, op: st.op, changed: st.changed }).toEqual({
                name: st.name,
                op: "update",
                changed: ["stdin"],
            });
        }
        expect(byName.has("h1-bip") || byName.has("h2-bip")).toBe(false);
        // up repairs through the same scripts, restarts no Docker, and the check is clean.
        const restartsBefore = [restarts("h1"), restarts("h2")];
        await engine.up(program, "lab");
        expect(engine.counts.updated).toBe(steps.length);
        expect([restarts("h1"), restarts("h2")]).toEqual(restartsBefore);
        const after = await checkStack({ root: ROOT, stack: "lab", run: labRunner });
        expect(drifted(after.rows)).toEqual([]);
        // And then nothing: the drift message stays in the state, ignored while the hosts are healthy.
        expect(await engine.preview(program, "lab")).toEqual([]);
        await engine.up(program, "lab");
        expect(engine.counts).toMatchObject({ created: 0, replaced: 0, updated: 0, deleted: 0 });
        record({ faultsSurvived: 1 });
    }, 300000);

    test("teardown: routes and firewall byte-identical; daemon.json as it was (h2's was edited by hand: its values, not its bytes)", async () => {
        await engine.destroy();
        expect(await snapshot("h1")).toEqual(before.h1);
        const h2 = await snapshot("h2");
        expect({ routes: h2.routes, iptables: h2.iptables }).toEqual({
            routes: before.h2.routes,
            iptables: before.h2.iptables,
        });
        expect(JSON.parse(h2.daemonJson)).toEqual(JSON.parse(before.h2.daemonJson));
    }, 300000);
});
