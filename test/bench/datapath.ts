// `npm run bench:datapath` (root, lab up with at least 2 hosts): the data path between two lab hosts,
// four ways, in one run, on the same hosts:
//   host          h1's namespace to h2's (the physical baseline: a veth pair through the lab switch)
//   routed        container to container through a CrossHostRoutedPair (bip, routes, firewall)
//   overlay       container to container on a SwarmOverlayNetwork (VXLAN)
//   encrypted     the same overlay with encrypted: true (ESP), where the kernel can
// For each: round-trip time (busybox ping, 200 packets 20 ms apart: median and p99) and bulk
// throughput (a 200 MB file fetched over HTTP with busybox wget, 3 times: median MB/s), as ratios
// to host; and convergence from empty (Engine.up until its probes or the first answered ping).
// Between the ways each deployment is destroyed and the hosts compared with the snapshot at start.
// Options: --mb N (200) --pings N (200)
import { performance } from "perf_hooks";
import { CrossHostRoutedPair, SwarmOverlayNetwork } from "../../components";
import { setObservationHooks } from "../../components/host/observe";
import { Engine } from "../support/engine";
import { assertLabRoute } from "../support/exec";
import { onHost, onHostRaw, snapshot, sshHost } from "../support/lab";
import { argFlags, f2, machine, median, outDir, table } from "./common";
import * as fs from "fs";
import * as path from "path";

setObservationHooks({ guard: (address) => assertLabRoute(address) });
const flags = argFlags(process.argv.slice(2));
const MB = Number(flags.get("mb") ?? 200);
const PINGS = Number(flags.get("pings") ?? 200);
const IMAGE = "lab/busybox:1";
const log = (s: string) => process.stderr.write(`${s}\n`);
const web = (name: string) => ({
    name,
    image: IMAGE,
    command: ["httpd", "-f", "-p", "80", "-h", "/www"],
    ports: [{ internal: 80 }],
});

interface Way {
    way: string;
    convergeS?: number;
    rttMedianMs?: number;
    rttP99Ms?: number;
    mbPerS?: number;
    note?: string;
}

/** ping from `where` (a shell prefix on h1) to an address: the per-packet times in ms. */
async function rtts(run: (cmd: string) => Promise<string>, to: string): Promise<number[]> {
    const out = await run(`busybox ping -c ${PINGS} -i 0.02 -W 2 ${to} 2>&1 || true`);
    return [...out.matchAll(/time=([0-9.]+) ms/g)].map((m) => Number(m[1]));
}

function p99(xs: number[]): number {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.ceil(s.length * 0.99) - 1)];
}

/** Fetches `url` 3 times with `run`; the median MB/s (wall time of each fetch, measured here). */
async function throughput(run: (cmd: string) => Promise<string>, url: string): Promise<number> {
    const rates: number[] = [];
    for (let i = 0; i < 3; i++) {
        const t0 = performance.now();
        const out = await run(`busybox wget -q -O /dev/null ${url} && echo fetched`);
        const s = (performance.now() - t0) / 1000;
        if (!out.includes("fetched")) {
            throw new Error(`the ${MB} MB fetch of ${url} failed: ${out}`);
        }
        rates.push(MB / s);
    }
    return median(rates);
}

async function measureContainers(way: string, addressOfH2: string, convergeS: number): Promise<Way> {
    // The file, inside h2's container; fetched and pinged from inside h1's.
    await onHost("h2", `docker exec web_h2 dd if=/dev/zero of=/www/big bs=1M count=${MB} 2>/dev/null`);
    const inH1 = (cmd: string) =>
        onHost("h1", `docker exec web_h1 sh -c '${cmd.replace(/'/g, "'\\''").replace(/busybox /g, "")}'`);
    const r = await rtts(inH1, addressOfH2);
    const mbPerS = await throughput(inH1, `http://${addressOfH2}/big`);
    return {
        way,
        convergeS,
        rttMedianMs: median(r),
        rttP99Ms: p99(r),
        mbPerS,
        note: `${r.length}/${PINGS} pings answered`,
    };
}

async function main(): Promise<void> {
    const hosts = ["h1", "h2"];
    const before: Record<string, unknown> = {};
    for (const h of hosts) {
        before[h] = await snapshot(h);
    }
    const ways: Way[] = [];

    // host: a file in h2's own /tmp, served by busybox httpd in h2's namespace, fetched from h1's.
    log("host to host");
    await onHost(
        "h2",
        `mkdir -p /tmp/dnbench && dd if=/dev/zero of=/tmp/dnbench/big bs=1M count=${MB} 2>/dev/null && ` +
            `{ nohup busybox httpd -f -p 8099 -h /tmp/dnbench </dev/null >/dev/null 2>&1 & echo $! >/tmp/dnbench.pid; }`,
    );
    try {
        const inH1 = (cmd: string) => onHost("h1", cmd);
        const r = await rtts(inH1, "192.168.100.201");
        const mbPerS = await throughput(inH1, "http://192.168.100.201:8099/big");
        ways.push({
            way: "host",
            rttMedianMs: median(r),
            rttP99Ms: p99(r),
            mbPerS,
            note: `${r.length}/${PINGS} pings answered`,
        });
    } finally {
        // The httpd this benchmark started, by its pid.
        await onHostRaw("h2", 'kill "$(cat /tmp/dnbench.pid)"; rm -rf /tmp/dnbench /tmp/dnbench.pid');
    }

    log("routed");
    {
        const engine = new Engine();
        const t0 = performance.now();
        // Converged: up returns once its probes (ping and HTTP both ways) have passed.
        await engine.up(
            () =>
                new CrossHostRoutedPair("bench", {
                    hostA: {
                        host: sshHost("h1"),
                        lanAddress: "192.168.100.200/24",
                        bip: "172.17.0.1/16",
                        containers: [web("web_h1")],
                    },
                    hostB: {
                        host: sshHost("h2"),
                        lanAddress: "192.168.100.201/24",
                        bip: "172.18.0.1/16",
                        containers: [web("web_h2")],
                    },
                }),
        );
        const convergeS = (performance.now() - t0) / 1000;
        const address = (await onHost("h2", "docker inspect --format '{{.NetworkSettings.IPAddress}}' web_h2")).trim();
        ways.push(await measureContainers("routed", address, convergeS));
        await engine.destroy();
        engine.dispose();
    }

    for (const encrypted of [false, true]) {
        const way = encrypted ? "encrypted" : "overlay";
        log(way);
        const engine = new Engine();
        const t0 = performance.now();
        try {
            await engine.up(
                () =>
                    new SwarmOverlayNetwork("bench", {
                        hosts: [
                            { host: sshHost("h1"), address: "192.168.100.200", containers: [web("web_h1")] },
                            { host: sshHost("h2"), address: "192.168.100.201", containers: [web("web_h2")] },
                        ],
                        subnet: "10.30.0.0/24",
                        encrypted,
                    }),
            );
            // Converged: the first ping by name that is answered.
            while ((await onHostRaw("h1", "docker exec web_h1 ping -c 1 -W 1 web_h2")).code !== 0) {
                if (performance.now() - t0 > 120000) {
                    throw new Error("the overlay did not pass a ping within 120 s");
                }
            }
            const convergeS = (performance.now() - t0) / 1000;
            const address = (
                await onHost(
                    "h2",
                    "docker inspect --format '{{(index .NetworkSettings.Networks \"bench\").IPAddress}}' web_h2",
                )
            ).trim();
            ways.push(await measureContainers(way, address, convergeS));
        } catch (e) {
            const why = (e as Error).message.split("\n")[0];
            ways.push({ way, note: `not measured: ${why.replace(/^.*?swarm\.sh: /, "")}` });
        } finally {
            await engine.destroy();
            engine.dispose();
        }
    }

    const host = ways[0];
    const rows = ways.map((w) => [
        w.way,
        w.convergeS === undefined ? "–" : f2(w.convergeS),
        w.rttMedianMs === undefined ? "–" : `${w.rttMedianMs.toFixed(3)} (${f2(w.rttMedianMs / host.rttMedianMs!)}×)`,
        w.rttP99Ms === undefined ? "–" : `${w.rttP99Ms.toFixed(3)} (${f2(w.rttP99Ms / host.rttP99Ms!)}×)`,
        w.mbPerS === undefined ? "–" : `${w.mbPerS.toFixed(0)} (${f2(w.mbPerS / host.mbPerS!)}×)`,
        w.note ?? "",
    ]);
    const text =
        `data path h1 -> h2, ${new Date().toISOString()}, ${PINGS} pings 20 ms apart, ${MB} MB over HTTP 3 times; ratios to host to host\n` +
        table(["way", "converge s", "RTT median ms", "RTT p99 ms", "MB/s", "note"], rows) +
        `\nmachine: ${JSON.stringify(machine())}\n`;
    process.stdout.write(text);
    fs.writeFileSync(path.join(outDir(), "datapath.md"), text);
    fs.writeFileSync(path.join(outDir(), "datapath.json"), JSON.stringify(ways, null, 2));
    for (const h of hosts) {
        const now = (await snapshot(h)) as unknown as Record<string, string>;
        const was = before[h] as Record<string, string>;
        const differs = Object.keys(was).filter((k) => now[k] !== was[k]);
        if (differs.length > 0) {
            throw new Error(
                `host ${h} is not as it was before the benchmark: ${differs.map((k) => `${k}:\n--- before\n${was[k]}\n--- now\n${now[k]}`).join("\n")}`,
            );
        }
    }
}

main().then(
    () => process.exit(0),
    (e) => {
        log(`datapath benchmark failed: ${(e as Error).stack ?? e}`);
        process.exit(1);
    },
);
