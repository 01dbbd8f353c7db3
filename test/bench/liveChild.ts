// The dockernet side of the live convergence benchmark, in a fresh process (node start counts):
// Engine.up of the seed's two-host CrossHostRoutedPair on the lab, then a second (no-op) up, then
// the host scripts re-run by hand (their idempotent path), then destroy. One tagged line per phase
// on stdout; the parent (live.ts) takes the time it sees "CONVERGED" as the end of convergence.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { performance } from "perf_hooks";
import { setObservationHooks } from "../../components/host/observe";
import { Engine } from "../support/engine";
import { assertLabRoute } from "../support/exec";
import { lab, onHostRaw, restarts, sshHost } from "../support/lab";
import { valueOf } from "../support/mocks";
import { verifyBoth } from "./liveShared";
import { seedPair } from "./programs";

// The program's look at hosts for drift reaches only the lab.
setObservationHooks({ guard: (address) => assertLabRoute(address) });

export interface Timed {
    type: string;
    name: string;
    /** Offset from the start of Engine.up, ms. */
    startMs: number;
    durationMs: number;
}

export interface ConvergedReport {
    bootMs: number;
    upMs: number;
    counts: Engine["counts"];
    probes: string[];
    addresses: { [container: string]: string };
    restarts: { [host: string]: number };
    timeline: Timed[];
}

export interface NoopReport {
    upMs: number;
    counts: Engine["counts"];
    restarts: { [host: string]: number };
    /** Commands the engine ran during the no-op up (none expected). */
    commandsRun: Timed[];
    /** Each host script's create re-run over SSH by hand: what re-running them costs per host. */
    rerun: { host: string; name: string; ms: number; stdout: string; code: number }[];
    rerunRestarts: { [host: string]: number };
    /** The raw side's ping + wget check, run after convergence (not timed). */
    verified: boolean;
    verifyWhy: string[];
}

export interface DestroyedReport {
    destroyMs: number;
    error?: string;
    restarts: { [host: string]: number };
}

const HOSTS = ["h1", "h2"];

async function main(): Promise<void> {
    const bootMs = performance.now();
    const traceFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "dockernet-bench-trace-")), "engine.log");
    process.env.DOCKERNET_ENGINE_LOG = traceFile;
    const info = lab();
    const lan = (name: string) =>
        `${info.hosts.find((h) => h.name === name)!.lanAddress}/${info.lanCidr.split("/")[1]}`;
    const program = () => seedPair(sshHost("h1"), sshHost("h2"), lan("h1"), lan("h2"));
    const restartCounts = () => Object.fromEntries(HOSTS.map((h) => [h, restarts(h)]));
    const delta = (a: { [h: string]: number }, b: { [h: string]: number }) =>
        Object.fromEntries(HOSTS.map((h) => [h, b[h] - a[h]]));

    const engine = new Engine();
    try {
        // 1. From empty to verified: the probes (ping + TCP 80 both ways) are part of the deployment.
        const r0 = restartCounts();
        const upStart = Date.now();
        const t0 = performance.now();
        const pair = await engine.up(program);
        const probes = (await valueOf(pair.probes)) ?? [];
        const addresses = (await valueOf(pair.addresses)) ?? {};
        const upMs = performance.now() - t0;
        const converged: ConvergedReport = {
            bootMs,
            upMs,
            counts: { ...engine.counts },
            probes,
            addresses,
            restarts: delta(r0, restartCounts()),
            timeline: timeline(traceFile, upStart),
        };
        console.log(`CONVERGED ${JSON.stringify(converged)}`);
        const verifyWhy: string[] = [];
        const verified = await verifyBoth({ h1: addresses.web_h1, h2: addresses.web_h2 }, true, verifyWhy);

        // 2. The same program again: nothing may change, no command may run, Docker must not restart.
        const r1 = restartCounts();
        const noopStart = Date.now();
        const t1 = performance.now();
        await engine.up(program);
        const noopMs = performance.now() - t1;
        const noopCounts = { ...engine.counts };
        const noopRestarts = delta(r1, restartCounts());
        const commandsRun = timeline(traceFile, noopStart).filter((x) => x.type.startsWith("command:"));
        // 3. What a re-run of the host scripts costs (their idempotent path), per host.
        const byAddress = new Map(info.hosts.map((h) => [h.lanAddress, h.name]));
        const rerun: NoopReport["rerun"] = [];
        const r2 = restartCounts();
        await Promise.all(
            HOSTS.map(async (host) => {
                for (const a of engine.state.values()) {
                    const conn = a.inputs.connection as { host?: string } | undefined;
                    if (a.type !== "command:remote:Command" || byAddress.get(conn?.host ?? "") !== host) {
                        continue;
                    }
                    const t = performance.now();
                    const r = await onHostRaw(host, String(a.inputs.create));
                    rerun.push({
                        host,
                        name: a.name,
                        ms: performance.now() - t,
                        stdout: r.stdout.trim().split("\n")[0] ?? "",
                        code: r.code,
                    });
                }
            }),
        );
        const noop: NoopReport = {
            upMs: noopMs,
            counts: noopCounts,
            restarts: noopRestarts,
            commandsRun,
            rerun,
            rerunRestarts: delta(r2, restartCounts()),
            verified,
            verifyWhy,
        };
        console.log(`NOOP ${JSON.stringify(noop)}`);
    } finally {
        // 4. Back to empty, the product's own way (the parent checks and finishes the reset).
        const r3 = restartCounts();
        const t3 = performance.now();
        let error: string | undefined;
        try {
            await engine.destroy();
        } catch (e) {
            error = (e as Error).message;
        }
        const destroyed: DestroyedReport = {
            destroyMs: performance.now() - t3,
            error,
            restarts: delta(r3, restartCounts()),
        };
        console.log(`DESTROYED ${JSON.stringify(destroyed)}`);
        engine.dispose();
        fs.rmSync(path.dirname(traceFile), { recursive: true, force: true });
    }
}

/** Per resource applied (created, or updated in place) since `since` (epoch ms): when it was registered and how long applying it took, from the engine's trace. */
function timeline(file: string, since: number): Timed[] {
    if (!fs.existsSync(file)) {
        return [];
    }
    const registered = new Map<string, number>();
    const out: Timed[] = [];
    for (const line of fs.readFileSync(file, "utf8").split("\n")) {
        const m = /^(\S+) (register|created|updated) (\S+)/.exec(line);
        if (!m) {
            continue;
        }
        const at = Date.parse(m[1]);
        if (at < since) {
            continue;
        }
        if (m[2] === "register") {
            registered.set(m[3], at);
        } else {
            const start = registered.get(m[3]) ?? at;
            const [type, name] = m[3].split("::");
            out.push({ type, name, startMs: start - since, durationMs: at - start });
        }
    }
    return out;
}

main().then(
    () => process.exit(0),
    (e) => {
        console.error(e instanceof Error ? e.stack : e);
        process.exit(1);
    },
);
