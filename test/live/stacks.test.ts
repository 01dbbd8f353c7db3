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
import { setObservationHooks } from "../../components/host/observe";
import { assertLabRoute } from "../support/exec";

const ROOT = path.join(__dirname, "..", "..");

/** Runs index.ts (fresh, as `pulumi up` would load it) with a stack's config; returns its exports. */
async function upStack(
    engine: Engine,
    stack: string,
    rewrite: (values: Record<string, string>) => void,
): Promise<Record<string, unknown>> {
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
const valueOf = <T>(o: unknown) =>
    new Promise<T>((resolve) =>
        pulumi.output(o as pulumi.Input<T>).apply((v) => {
            resolve(v as T);
            return v;
        }),
    );

describe("stack dev (the seed's single-host scenarios) on lab host h1 as the local engine", () => {
    const h1 = labHost("h1");
    const holder = fs.readFileSync(h1.holderPidFile, "utf8").trim();
    const engine = new Engine({ localCommandPrefix: ["nsenter", "-t", holder, "--net", "--mount", "--uts"] });
    let before: Awaited<ReturnType<typeof snapshot>>;
    let lastOut: Record<string, unknown> = {};
    // The local host is h1: the program looks at it for drift where its commands run.
    beforeAll(() =>
        setObservationHooks({
            guard: (a) => assertLabRoute(a),
            localPrefix: ["nsenter", "-t", holder, "--net", "--mount", "--uts"],
        }),
    );

    afterAll(async () => {
        setObservationHooks({ guard: (a) => assertLabRoute(a) });
        await engine.destroy().catch(() => undefined);
        engine.dispose();
    });

    test("up applies every declared object and the stack's own probes pass", async () => {
        before = await snapshot("h1");
        const out = (lastOut = await upStack(engine, "dev", (v) => {
            v["dockernet:hosts"] = JSON.stringify([{ name: "local", local: { dockerHost: h1.dockerSocket } }]);
            for (const key of Object.keys(v)) {
                v[key] = v[key].replace(/busybox:1\.36/g, lab().image);
            }
        }));
        const checks = await valueOf<Record<string, string>>(out.checks);
        expect(checks["www-answers"]).toMatch(/^seen=reachable from=nginx_web3 to=www:80/);
        expect(checks["nginx-web1-by-name"]).toMatch(/^seen=reachable from=nginx_web2 to=172\.17\.\d+\.\d+:80/);
        expect(checks["api-answers"]).toMatch(/^seen=reachable from=api_client to=api:80/);
        expect(checks["mynetwork-isolated-from-docker0"]).toMatch(/^seen=isolated from=nginx2/);
        const names = (await onHost("h1", "docker ps --format '{{.Names}}' | sort")).trim().split("\n");
        expect(names).toEqual(
            [
                "api_1",
                "api_client",
                "container_docker",
                "nginx2",
                "nginx_host",
                "nginx_none",
                "nginx_web1",
                "nginx_web2",
                "nginx_web3",
                "tomcat_app1",
            ].sort(),
        );
        // The published port of the dns-linked web server answers on the host.
        expect((await onHost("h1", "timeout 5 busybox wget -q -O - http://127.0.0.1:8080/")).trim()).toBe(
            "hello from h1",
        );
    });

    test("as the seed shows it: --link by name and by alias write these /etc/hosts lines, and both names answer", async () => {
        const ip1 = (await onHost("h1", "docker inspect --format '{{.NetworkSettings.IPAddress}}' nginx_web1")).trim();
        const id12 = (await onHost("h1", "docker inspect --format '{{.Id}}' nginx_web1")).trim().slice(0, 12);
        // The seed: "172.17.0.2	nginx_web1 efbc8e14781b" and "172.17.0.2	www efbc8e14781b nginx_web1".
        expect((await onHost("h1", "docker exec nginx_web2 cat /etc/hosts")).split("\n")).toContain(
            `${ip1}\tnginx_web1 ${id12}`,
        );
        expect((await onHost("h1", "docker exec nginx_web3 cat /etc/hosts")).split("\n")).toContain(
            `${ip1}\twww ${id12} nginx_web1`,
        );
        // Only the containers made with the link get the line (the seed's note).
        expect(await onHost("h1", "docker exec tomcat_app1 cat /etc/hosts")).not.toContain("nginx_web1");
        const links = await valueOf<Record<string, { hostsEntries: Record<string, string> }>>(lastOut.links);
        expect(links["seed-links"].hostsEntries).toEqual({
            nginx_web2: `${ip1}\tnginx_web1 ${id12}`,
            nginx_web3: `${ip1}\twww ${id12} nginx_web1`,
        });
        expect((await onHost("h1", "docker exec nginx_web2 ping -c 1 -W 2 nginx_web1")).split("\n")[0]).toContain(
            `(${ip1})`,
        );
        expect((await onHost("h1", "docker exec nginx_web3 wget -q -O - http://www/")).trim()).toBe("hello from h1");
    });

    test("as the seed shows it: container_docker lives in tomcat_app1's network namespace; host and none modes; mynetwork and nginx2", async () => {
        const netns = async (c: string) =>
            (await onHost("h1", `readlink /proc/$(docker inspect --format '{{.State.Pid}}' ${c})/ns/net`)).trim();
        expect(await netns("container_docker")).toBe(await netns("tomcat_app1"));
        const tomcatIp = (
            await onHost("h1", "docker inspect --format '{{.NetworkSettings.IPAddress}}' tomcat_app1")
        ).trim();
        // container_docker's server (port 80) answers on tomcat_app1's address: one namespace.
        expect((await onHost("h1", `docker exec nginx_web2 wget -q -O - http://${tomcatIp}:80/`)).trim()).toBe(
            "hello from h1",
        );
        // --net=host: the host's own namespace (h1's); --net=none: loopback only.
        expect(await netns("nginx_host")).toBe((await onHost("h1", "readlink /proc/self/ns/net")).trim());
        expect(
            (
                await onHost(
                    "h1",
                    "docker exec nginx_none cat /proc/net/dev | awk -F: 'NR > 2 { gsub(/ /, \"\", $1); print $1 }'",
                )
            )
                .trim()
                .split("\n"),
        ).toEqual(["lo"]);
        // mynetwork: the seed's subnet and gateway, and nginx2 on it.
        expect(
            (
                await onHost(
                    "h1",
                    "docker network inspect mynetwork --format '{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}}'",
                )
            ).trim(),
        ).toBe("172.19.0.0/16 172.19.0.1");
        expect(
            (
                await onHost(
                    "h1",
                    "docker inspect --format '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' nginx2",
                )
            ).trim(),
        ).toMatch(/^172\.19\.\d+\.\d+$/);
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
        const pairs = await valueOf<Record<string, { probes: string[]; subnets: Record<string, string> }>>(
            out.routedPairs,
        );
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
        expect(meshes["lab-mesh"].bips).toEqual({
            h1: "10.200.200.1/24",
            h2: "10.200.201.1/24",
            h3: "10.200.202.1/24",
            h4: "10.200.203.1/24",
        });
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

describe("stack lab-swarm (a SwarmOverlayNetwork over three lab hosts) on h1..h3", () => {
    const engine = new Engine();
    const hosts = ["h1", "h2", "h3"];
    const before: Record<string, Awaited<ReturnType<typeof snapshot>>> = {};

    afterAll(async () => {
        await engine.destroy().catch(() => undefined);
        engine.dispose();
    });

    test("up through index.ts: the swarm, the overlay, a container on each host with its overlay address, the stack's check over the overlay; a re-run changes nothing", async () => {
        for (const h of hosts) {
            before[h] = await snapshot(h);
        }
        const out = await upStack(engine, "lab-swarm", () => undefined);
        const swarms = await valueOf<Record<string, { network: string; addresses: Record<string, string> }>>(
            out.swarms,
        );
        expect(swarms.ovl.network).toBe("ovl");
        expect(Object.keys(swarms.ovl.addresses).sort()).toEqual(["web_h1", "web_h2", "web_h3"]);
        for (const a of Object.values(swarms.ovl.addresses)) {
            expect(a).toMatch(/^10\.30\.0\.\d+$/);
        }
        const checks = await valueOf<Record<string, string>>(out.checks);
        expect(checks["h1-to-h3-on-overlay"]).toMatch(/^seen=reachable from=web_h1 to=10\.30\.0\.\d+:80/);
        expect(await onHost("h1", "docker node ls --format '{{.Hostname}}' | sort")).toBe("h1\nh2\nh3\n");
        await upStack(engine, "lab-swarm", () => undefined);
        expect(engine.counts).toMatchObject({ created: 0, replaced: 0, updated: 0, deleted: 0 });
    }, 300000);

    test("destroy leaves the three hosts as they were, out of any swarm", async () => {
        await engine.destroy();
        for (const h of hosts) {
            expect({
                h,
                ...(await snapshot(h)),
                swarm: (await onHost(h, "docker info --format '{{.Swarm.LocalNodeState}}'")).trim(),
            }).toEqual({ h, ...before[h], swarm: "inactive" });
        }
    }, 300000);
});
