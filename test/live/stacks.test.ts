// The stack program itself (index.ts) with the dev and lab stacks' own config files, applied for
// real in the lab. The dev stack targets "the local Docker engine": here that is lab host h1's
// engine (its socket) and h1's namespaces for local commands, and the images become the lab's
// image because the lab reaches no registry. Those are the only changes to the stack files.
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { loadStackConfig } from "../../stacks/plan";
import { Engine } from "../support/engine";
import { lab, labHost, onHost, snapshot } from "../support/lab";

const ROOT = path.join(__dirname, "..", "..");

/** Runs index.ts (fresh, as `pulumi up` would load it) with a stack's config; returns its exports. */
async function upStack(engine: Engine, stack: string, rewrite: (values: Record<string, string>) => void): Promise<Record<string, unknown>> {
    const cfg = loadStackConfig(ROOT, stack);
    rewrite(cfg.values);
    return engine.up(() => {
        pulumi.runtime.setAllConfig(cfg.values, cfg.secretKeys);
        let exports: Record<string, unknown> = {};
        jest.isolateModules(() => {
            // eslint-disable-next-line @typescript-eslint/no-require-imports -- a Pulumi program runs when it is loaded
            exports = require(path.join(ROOT, "index"));
        });
        return exports;
    }, stack);
}

/** A stack output (a plain object of Outputs, or an Output) resolved to its value. */
const valueOf = <T>(o: unknown) => new Promise<T>((resolve) => pulumi.output(o as pulumi.Input<T>).apply((v) => { resolve(v as T); return v; }));

describe("stack dev (the seed's single-host scenarios) on lab host h1 as the local engine", () => {
    const h1 = labHost("h1");
    const holder = fs.readFileSync(h1.holderPidFile, "utf8").trim();
    const engine = new Engine({ localCommandPrefix: ["nsenter", "-t", holder, "--net", "--mount", "--uts"] });
    let before: Awaited<ReturnType<typeof snapshot>>;

    afterAll(async () => {
        await engine.destroy().catch(() => undefined);
        engine.dispose();
    });

    test("up applies every declared object and the stack's own probes pass", async () => {
        before = await snapshot("h1");
        const out = await upStack(engine, "dev", (v) => {
            v["dockernet:hosts"] = JSON.stringify([{ name: "local", local: { dockerHost: h1.dockerSocket } }]);
            for (const key of Object.keys(v)) {
                v[key] = v[key].replace(/busybox:1\.36/g, lab().image);
            }
        });
        const checks = await valueOf<Record<string, string>>(out.checks);
        expect(checks["www-answers"]).toMatch(/^seen=reachable from=nginx_web3 to=www:80/);
        expect(checks["appnet-isolated-from-docker0"]).toMatch(/^seen=isolated from=api_client/);
        const names = (await onHost("h1", "docker ps --format '{{.Names}}' | sort")).trim().split("\n");
        expect(names).toEqual(
            ["api_1", "api_client", "host_box", "host_box_side", "nginx_web1", "nginx_web2", "nginx_web3", "nginx_web4", "none_box", "none_box_side", "tomcat_app1", "tomcat_app1_probe"].sort(),
        );
        const links = await valueOf<Record<string, { hostsEntry?: string }>>(out.links);
        expect(links["web-by-name"].hostsEntry).toMatch(/^172\.17\.\d+\.\d+\tnginx_web1 [0-9a-f]{12}$/);
        expect((await onHost("h1", "docker exec nginx_web2 cat /etc/hosts")).split("\n")).toContain(links["web-by-name"].hostsEntry);
        // The published port of the dns-linked web server answers on the host.
        expect((await onHost("h1", "timeout 5 busybox wget -q -O - http://127.0.0.1:8080/")).trim()).toBe("hello from h1");
    });

    test("destroy leaves h1 as it was", async () => {
        await engine.destroy();
        expect(await snapshot("h1")).toEqual(before);
        expect((await onHost("h1", "docker ps -aq")).trim()).toBe("");
    });
});

describe("stack lab (cross-host pair and an opened custom bridge) on h1 and h2", () => {
    const engine = new Engine();
    const before: Record<string, Awaited<ReturnType<typeof snapshot>>> = {};

    afterAll(async () => {
        await engine.destroy().catch(() => undefined);
        engine.dispose();
    });

    test("up: the pair and the bridge come up and every probe of the stack passes", async () => {
        before.h1 = await snapshot("h1");
        before.h2 = await snapshot("h2");
        const out = await upStack(engine, "lab", () => undefined);
        const checks = await valueOf<Record<string, string>>(out.checks);
        expect(checks["appnet-reaches-docker0"]).toMatch(/^seen=reachable from=api_client to=172\.17\.\d+\.\d+:80/);
        expect(checks["h1-reaches-h2-container"]).toMatch(/^seen=reachable from=web_h1 to=172\.18\.\d+\.\d+:80/);
        const pairs = await valueOf<Record<string, { probes: string[]; subnets: Record<string, string> }>>(out.routedPairs);
        expect(pairs["seed-pair"].subnets).toEqual({ h1: "172.17.0.0/16", h2: "172.18.0.0/16" });
        expect(pairs["seed-pair"].probes).toHaveLength(2);
        for (const p of pairs["seed-pair"].probes) {
            expect(p).toMatch(/^seen=reachable/);
        }
    });

    test("destroy leaves both hosts as they were", async () => {
        await engine.destroy();
        expect(await snapshot("h1")).toEqual(before.h1);
        expect(await snapshot("h2")).toEqual(before.h2);
    });
});

describe("stack lab-mesh (one RoutedMesh over four lab hosts, bips from the pool) on h1..h4", () => {
    const engine = new Engine();
    const hosts = ["h1", "h2", "h3", "h4"];
    const before: Record<string, Awaited<ReturnType<typeof snapshot>>> = {};

    afterAll(async () => {
        await engine.destroy().catch(() => undefined);
        engine.dispose();
    });

    test("up: each host on its pool block, the ring of probes passes, and a re-run changes nothing", async () => {
        for (const h of hosts) {
            before[h] = await snapshot(h);
        }
        const out = await upStack(engine, "lab-mesh", () => undefined);
        const meshes = await valueOf<Record<string, { bips: Record<string, string>; probes: string[] }>>(out.meshes);
        expect(meshes["lab-mesh"].bips).toEqual({ h1: "10.200.200.1/24", h2: "10.200.201.1/24", h3: "10.200.202.1/24", h4: "10.200.203.1/24" });
        expect(meshes["lab-mesh"].probes).toHaveLength(4);
        for (const p of meshes["lab-mesh"].probes) {
            expect(p).toMatch(/^seen=reachable from=web_h\d to=10\.200\.20\d\.\d+:80/);
        }
        for (const [i, h] of hosts.entries()) {
            expect(await onHost(h, "ip -4 -o addr show docker0")).toContain(`10.200.${200 + i}.1/24`);
            expect((await onHost(h, "ip -4 route show proto 187")).trim().split("\n")).toHaveLength(3);
        }
        await upStack(engine, "lab-mesh", () => undefined);
        expect(engine.counts).toMatchObject({ created: 0, replaced: 0, updated: 0, deleted: 0 });
    }, 300000);

    test("destroy leaves the four hosts as they were", async () => {
        await engine.destroy();
        for (const h of hosts) {
            expect({ h, ...(await snapshot(h)) }).toEqual({ h, ...before[h] });
        }
    }, 300000);
});
