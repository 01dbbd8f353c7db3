// `npm run bench:live` (root, lab up): the seed's two-host topology, from the same empty state to
// verified connectivity, three ways, alternating their order each repetition:
//   dockernet  Engine.up of a CrossHostRoutedPair (fresh node process; its probes verify), then a
//              no-op second up, then destroy (liveChild.ts)
//   raw        the seed's commands over SSH, one session per host, both hosts at once, then the same
//              ping + wget checks both ways (the fastest a hand-written script can be)
//   raw-seq    the same commands one SSH call each, in the seed's order, as typed by hand
// Between runs everything is put back (containers, routes, DOCKER-USER rules, daemon.json + a
// Docker restart) and the hosts are compared with the snapshot taken at the start.
// Coordination: holds /run/dnlab.lock (the lock lab.sh up/down take, so a live suite's setup waits)
// during each repetition, and starts one only when no jest live run is going and the hosts are
// as at the start; never runs lab.sh down unless --lab-up brought the lab up itself.
// Options: --reps N (5) --lab-up --flows dockernet,raw,raw-seq
//          --wait SECONDS (600: how long to wait for a running live suite to finish)
//          --ssh-reuse (every ssh of both sides, here and in the child, goes through one
//          multiplexed connection per host: what is SSH handshakes, what is the work)
import { spawn, spawnSync, ChildProcess } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { performance } from "perf_hooks";
import { lab, onHost, restarts, snapshot } from "../support/lab";
import { argFlags, f0, f2, machine, median, outDir, repoRoot, table } from "./common";
import type { ConvergedReport, DestroyedReport, NoopReport } from "./liveChild";
import { verifyBoth } from "./liveShared";

const flags = argFlags(process.argv.slice(2));
const reps = Number(flags.get("reps") ?? 5);
const flowNames = (flags.get("flows") ?? "dockernet,raw,raw-seq").split(",");
const waitMs = Number(flags.get("wait") ?? 600) * 1000;
const sshReuse = flags.has("ssh-reuse");
const LOCK = "/run/dnlab.lock";
const HOSTS = ["h1", "h2"] as const;
const BIPS: { [h: string]: string } = { h1: "172.17.0.1/16", h2: "172.18.0.1/16" };
const log = (s: string) => process.stderr.write(`${s}\n`);

interface Baseline {
    [host: string]: { routes: string; iptables: string; daemonJson: string; docker0: string; stateFiles: string[] };
}

interface FlowRun {
    flow: string;
    rep: number;
    convergeMs: number;
    restarts: { [h: string]: number };
    verify: string;
    reset: string;
    resetMs: number;
    dockernet?: {
        converged: ConvergedReport;
        noop: NoopReport;
        destroyed: DestroyedReport;
        spawnToConvergedMs: number;
    };
}

async function main(): Promise<void> {
    const root = repoRoot();
    const labScript = path.join(root, "test", "lab", "lab.sh");
    let startedLab = false;
    if (!fs.existsSync(path.join(process.env.DOCKERNET_LAB_DIR ?? "/var/tmp/dockernet-lab", "lab.json"))) {
        if (!flags.has("lab-up")) {
            throw new Error(
                "the lab is not up: run `npm run lab:up` (root), or pass --lab-up to let this benchmark bring it up and down",
            );
        }
        run("bash", [labScript, "up", "2"]);
        startedLab = true;
    }
    const status = spawnSync("bash", [labScript, "status"], { encoding: "utf8" });
    if (status.status !== 0) {
        throw new Error(`the lab is not healthy; not benchmarking on it:\n${status.stdout}${status.stderr}`);
    }
    const mux = sshReuse ? sshMultiplexing() : undefined;
    const runs: FlowRun[] = [];
    try {
        // The lab lock is held for one repetition at a time (~30-60 s), never near the 300 s
        // lab.sh up/down waits for it; between repetitions a live suite may take the lab, and the
        // next repetition waits until it is done and the hosts are back to the baseline.
        let baseline: Baseline | undefined;
        for (let rep = 0; rep < reps; rep++) {
            const lock = await lockedAndIdle();
            try {
                if (!baseline) {
                    await assertEmpty();
                    await warmUp();
                    baseline = await takeBaseline();
                    log(
                        `live bench: lab ${lab().labDir}, ${reps} rep(s)${sshReuse ? ", SSH multiplexed" : ""}; ${LOCK} held during each repetition`,
                    );
                } else {
                    await assertBaseline(baseline);
                }
                for (const flow of rep % 2 === 0 ? flowNames : [...flowNames].reverse()) {
                    const r = await runFlow(flow, rep, baseline);
                    runs.push(r);
                    log(
                        `  rep ${rep + 1} ${flow.padEnd(9)} converged+verified in ${f0(r.convergeMs)} ms (restarts ${JSON.stringify(r.restarts)}), verify: ${r.verify}, reset: ${r.reset} (${f0(r.resetMs)} ms)`,
                    );
                }
            } finally {
                lock.stdin?.end();
            }
        }
    } finally {
        mux?.close();
        if (startedLab && liveJestProcesses().length === 0) {
            run("bash", [labScript, "down"]);
        }
    }
    summarize(runs, sshReuse);
}

// ---- the three ways ---------------------------------------------------------------------------

async function runFlow(flow: string, rep: number, baseline: Baseline): Promise<FlowRun> {
    const before = Object.fromEntries(HOSTS.map((h) => [h, restarts(h)]));
    let convergeMs = 0;
    let dockernet: FlowRun["dockernet"];
    let ips: { [h: string]: string } = {};
    let verify = "ping+wget ok";
    try {
        if (flow === "dockernet") {
            const r = await dockernetFlow();
            convergeMs = r.spawnToConvergedMs;
            dockernet = r;
            ips = { h1: r.converged.addresses.web_h1, h2: r.converged.addresses.web_h2 };
            const probesOk =
                r.converged.probes.length === 2 && r.converged.probes.every((p) => p.startsWith("seen=reachable"));
            verify = `probes ${probesOk ? "ok" : JSON.stringify(r.converged.probes)}, independent ping+wget ${r.noop.verified ? "ok" : `FAILED: ${r.noop.verifyWhy.join("; ")}`}`;
            if (!probesOk || !r.noop.verified) {
                throw new Error(`dockernet: connectivity not verified: ${verify} (${JSON.stringify(ips)})`);
            }
        } else {
            const t = performance.now();
            ips = flow === "raw" ? await rawParallel() : await rawSequential();
            const why: string[] = [];
            const ok = await verifyBoth(ips, flow === "raw", why);
            convergeMs = performance.now() - t;
            if (!ok) {
                throw new Error(
                    `${flow}: the seed's commands did not give connectivity (${JSON.stringify(ips)}): ${why.join("; ")}`,
                );
            }
        }
    } catch (e) {
        // Never leave the hosts changed: put them back, then fail.
        await resetHosts(baseline, dockernet?.destroyed).catch((r) =>
            log(`  reset after the failure failed too: ${(r as Error).message}`),
        );
        throw e;
    }
    // dockernet: its restarts up to convergence (the child went on to a no-op up and destroy).
    const restartsDuring = dockernet
        ? dockernet.converged.restarts
        : Object.fromEntries(HOSTS.map((h) => [h, restarts(h) - before[h]]));
    const tr = performance.now();
    const reset = await resetHosts(baseline, flow === "dockernet" ? dockernet!.destroyed : undefined);
    return {
        flow,
        rep,
        convergeMs,
        restarts: restartsDuring,
        verify,
        reset,
        resetMs: performance.now() - tr,
        dockernet,
    };
}

/** Runs liveChild.js; the time from spawn to its CONVERGED line is the convergence time. */
function dockernetFlow(): Promise<NonNullable<FlowRun["dockernet"]>> {
    return new Promise((resolve, reject) => {
        const start = performance.now();
        const child = spawn(process.execPath, [path.join(__dirname, "liveChild.js")], {
            cwd: repoRoot(),
            stdio: ["ignore", "pipe", "pipe"],
        });
        let buf = "";
        let err = "";
        let converged: ConvergedReport | undefined;
        let spawnToConvergedMs = 0;
        let noop: NoopReport | undefined;
        let destroyed: DestroyedReport | undefined;
        child.stdout!.on("data", (d) => {
            buf += d.toString();
            let nl: number;
            while ((nl = buf.indexOf("\n")) >= 0) {
                const line = buf.slice(0, nl);
                buf = buf.slice(nl + 1);
                if (line.startsWith("CONVERGED ")) {
                    spawnToConvergedMs = performance.now() - start;
                    converged = JSON.parse(line.slice(10));
                } else if (line.startsWith("NOOP ")) {
                    noop = JSON.parse(line.slice(5));
                } else if (line.startsWith("DESTROYED ")) {
                    destroyed = JSON.parse(line.slice(10));
                }
            }
        });
        child.stderr!.on("data", (d) => (err += d.toString()));
        child.on("error", reject);
        child.on("close", (code) => {
            if (code !== 0 || !converged || !noop || !destroyed) {
                reject(
                    new Error(
                        `liveChild exited ${code}${destroyed ? ` (destroy ${destroyed.error ?? "ok"})` : " before destroy"}:\n${err.trim()}`,
                    ),
                );
                return;
            }
            resolve({ converged, noop, destroyed, spawnToConvergedMs });
        });
    });
}

/** The seed's commands for one host, as one shell script. */
function seedScript(host: string): string {
    const info = lab();
    const peer = info.hosts.find((h) => h.name !== host && HOSTS.includes(h.name as "h1"))!;
    const own = subnetOf(BIPS[host]);
    const peerSubnet = subnetOf(BIPS[peer.name]);
    const lanNet = info.lanCidr;
    const steps: string[] = [];
    if (host === "h2") {
        // h1 keeps Docker's default 172.17.0.1/16; h2 moves to 172.18.0.1/16 (edit daemon.json, restart).
        steps.push(
            `jq '.bip = "${BIPS.h2}"' /etc/docker/daemon.json > /etc/docker/daemon.json.new && mv /etc/docker/daemon.json.new /etc/docker/daemon.json`,
        );
        steps.push("systemctl restart docker");
    }
    steps.push(`ip route add ${peerSubnet} via ${peer.lanAddress}`);
    steps.push(`iptables -I DOCKER-USER -s ${lanNet} -d ${own} -j ACCEPT`);
    steps.push(`docker run -d --name web_${host} lab/busybox:1 httpd -f -p 80 -h /www >/dev/null`);
    steps.push(`docker inspect -f '{{.NetworkSettings.IPAddress}}' web_${host}`);
    return steps.join("\n");
}

async function rawParallel(): Promise<{ [h: string]: string }> {
    const out = await Promise.all(HOSTS.map((h) => onHost(h, `set -e\n${seedScript(h)}`)));
    return { h1: out[0].trim(), h2: out[1].trim() };
}

async function rawSequential(): Promise<{ [h: string]: string }> {
    // The seed's order: configure h2's bip, then routes, then firewall, then containers; one SSH call each.
    const s = { h1: seedScript("h1").split("\n"), h2: seedScript("h2").split("\n") };
    await onHost("h2", s.h2[0]); // edit daemon.json
    await onHost("h2", s.h2[1]); // systemctl restart docker
    const h2 = s.h2.slice(2);
    for (let i = 0; i < s.h1.length - 1; i++) {
        await onHost("h1", s.h1[i]);
        await onHost("h2", h2[i]);
    }
    const ip1 = (await onHost("h1", s.h1[s.h1.length - 1])).trim();
    const ip2 = (await onHost("h2", h2[h2.length - 1])).trim();
    return { h1: ip1, h2: ip2 };
}

// ---- state: empty, baseline, reset ------------------------------------------------------------

/** Refuses to start on hosts that hold anything (someone else's containers, routes or bip). */
async function assertEmpty(): Promise<void> {
    const problems: string[] = [];
    for (const h of HOSTS) {
        const containers = (await onHost(h, "docker ps -aq")).trim();
        if (containers) {
            problems.push(`${h} has containers (${containers.split("\n").length})`);
        }
        const dj = (await onHost(h, "cat /etc/docker/daemon.json 2>/dev/null || true")).trim();
        if (/"bip"/.test(dj)) {
            problems.push(`${h} daemon.json has a bip: ${dj}`);
        }
        const routes = (await onHost(h, "ip route show | grep -e '^172\\.' | grep -v 'proto kernel' || true")).trim();
        if (routes) {
            problems.push(`${h} has routes to container subnets: ${routes}`);
        }
        const rules = (
            await onHost(h, "iptables -S DOCKER-USER 2>/dev/null | grep -v -e '^-N' -e '-j RETURN$' || true")
        ).trim();
        if (rules) {
            problems.push(`${h} has DOCKER-USER rules: ${rules}`);
        }
    }
    if (problems.length > 0) {
        throw new Error(
            `the lab hosts are not in an empty state, so someone may be using them; not touching them:\n - ${problems.join("\n - ")}`,
        );
    }
}

/** Docker 28 makes its raw table with a host's first container and keeps it: one run first, so a reset compares dockernet's part alone. */
async function warmUp(): Promise<void> {
    for (const h of HOSTS) {
        await onHost(h, `docker run --rm ${lab().image} true`);
    }
}

async function takeBaseline(): Promise<Baseline> {
    const b: Baseline = {};
    for (const h of HOSTS) {
        b[h] = { ...(await snapshot(h)), docker0: await docker0(h), stateFiles: await stateFiles(h) };
    }
    return b;
}

/** The files in dockernet's state directory on a host (names checked, so they can be quoted safely). */
async function stateFiles(h: string): Promise<string[]> {
    const out = await onHost(h, "ls -A /var/lib/dockernet 2>/dev/null || true");
    return out.split("\n").filter((f) => /^[A-Za-z0-9._-]+$/.test(f));
}

async function docker0(h: string): Promise<string> {
    return (await onHost(h, "ip -4 -o addr show dev docker0 | awk '{print $4}'")).trim();
}

/**
 * Puts both hosts back to the baseline: containers gone, routes and rules gone (the seed's, and
 * dockernet's own chains if a destroy left them), daemon.json byte for byte, Docker restarted when
 * docker0 is not as it was. Returns what it had to do beyond what the flow cleaned itself.
 */
async function resetHosts(baseline: Baseline, destroyed?: DestroyedReport): Promise<string> {
    const fixed: string[] = [];
    if (destroyed?.error) {
        fixed.push(`destroy failed: ${destroyed.error.split("\n")[0]}`);
    }
    await Promise.all(
        HOSTS.map(async (h) => {
            const peer = lab().hosts.find((x) => x.name !== h && HOSTS.includes(x.name as "h1"))!;
            const own = subnetOf(BIPS[h]);
            const peerSubnet = subnetOf(BIPS[peer.name]);
            const lanNet = lab().lanCidr;
            const script = [
                // (docker rm -f succeeds for a missing container too, so look first)
                `docker inspect web_${h} >/dev/null 2>&1 && docker rm -f web_${h} >/dev/null && echo container:web_${h}`,
                `while ip route del ${peerSubnet} via ${peer.lanAddress} 2>/dev/null; do echo route:${peerSubnet}; done`,
                `while iptables -D DOCKER-USER -s ${lanNet} -d ${own} -j ACCEPT 2>/dev/null; do echo rule:DOCKER-USER; done`,
                // dockernet's own chains (DN-X-*), if a destroy left any
                "for c in $(iptables-save | grep -o 'DN-X-[0-9A-F]*' | sort -u); do echo chain:$c; " +
                    "while iptables -D DOCKER-USER -m comment --comment dockernet:$c -j $c 2>/dev/null; do :; done; " +
                    "while iptables -t nat -D POSTROUTING -m comment --comment dockernet:$c -j $c 2>/dev/null; do :; done; " +
                    "iptables -F $c 2>/dev/null; iptables -X $c 2>/dev/null; iptables -t nat -F $c 2>/dev/null; iptables -t nat -X $c 2>/dev/null; done",
                "true",
            ].join("\n");
            const removed = (await onHost(h, script)).trim().split("\n").filter(Boolean);
            const b64 = Buffer.from(baseline[h].daemonJson).toString("base64");
            const restore = `echo ${b64} | base64 -d > /etc/docker/daemon.json.bench && mv /etc/docker/daemon.json.bench /etc/docker/daemon.json`;
            if ((await docker0(h)) !== baseline[h].docker0) {
                // Docker keeps docker0's last subnet in its own network store: removing bip is not
                // enough. Restart once with the old address as bip, then with the original file.
                fixed.push(`${h}: docker0 put back on ${baseline[h].docker0} (2 Docker restarts)`);
                await onHost(
                    h,
                    `echo ${b64} | base64 -d | jq --arg b '${baseline[h].docker0}' '.bip = $b' > /etc/docker/daemon.json.bench && mv /etc/docker/daemon.json.bench /etc/docker/daemon.json && systemctl restart docker`,
                );
                await onHost(h, `${restore} && systemctl restart docker`);
            } else if (
                (await onHost(h, "cat /etc/docker/daemon.json 2>/dev/null || echo '(none)'")) !== baseline[h].daemonJson
            ) {
                fixed.push(`${h}: daemon.json restored (1 Docker restart)`);
                await onHost(h, `${restore} && systemctl restart docker`);
            }
            if (removed.length > 0 && destroyed) {
                fixed.push(`${h}: left by destroy: ${removed.join(", ")}`);
            }
        }),
    );
    // dockernet's state records (bip, routes, firewall) must be gone too; report and remove new ones.
    for (const h of HOSTS) {
        const now = await stateFiles(h);
        const extra = now.filter((f) => !baseline[h].stateFiles.includes(f));
        if (extra.length > 0) {
            fixed.push(`${h}: state records left in /var/lib/dockernet: ${extra.join(" ")}`);
            await onHost(h, `cd /var/lib/dockernet && rm -f -- ${extra.map((f) => `'${f}'`).join(" ")}`);
        }
    }
    // Compare with the baseline; never go on from a different state.
    for (const h of HOSTS) {
        const now = { ...(await snapshot(h)), docker0: await docker0(h) };
        for (const k of ["routes", "iptables", "daemonJson", "docker0"] as const) {
            if (now[k] !== baseline[h][k]) {
                throw new Error(
                    `reset failed: ${h} ${k} differs from the start:\n--- start\n${baseline[h][k]}\n--- now\n${now[k]}`,
                );
            }
        }
        const left = (await onHost(h, "docker ps -aq")).trim();
        if (left) {
            throw new Error(`reset failed: ${h} still has containers: ${left}`);
        }
    }
    return fixed.length === 0 ? "clean" : fixed.join("; ");
}

// ---- coordination -----------------------------------------------------------------------------

/** Processes running jest's live project (or `npm run test:live`), other than this one. */
function liveJestProcesses(): string[] {
    const found: string[] = [];
    for (const pid of fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
        if (Number(pid) === process.pid) {
            continue;
        }
        let cmd = "";
        try {
            cmd = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ").trim();
        } catch {
            continue;
        }
        if ((/\bjest\b/.test(cmd) && /\blive\b/.test(cmd)) || /test:live/.test(cmd)) {
            found.push(`pid ${pid}: ${cmd.slice(0, 100)}`);
        }
    }
    return found;
}

/** Waits (up to --wait) until no live suite runs, then takes the lab lock and checks again under it. */
async function lockedAndIdle(): Promise<ChildProcess> {
    const until = Date.now() + waitMs;
    for (;;) {
        const status = spawnSync("bash", [path.join(repoRoot(), "test", "lab", "lab.sh"), "status"], {
            encoding: "utf8",
        });
        if (status.status !== 0) {
            throw new Error(`the lab is not healthy; not benchmarking on it:\n${status.stdout}${status.stderr}`);
        }
        let busy = liveJestProcesses();
        if (busy.length === 0) {
            const lock = await takeLock();
            busy = liveJestProcesses();
            if (busy.length === 0) {
                return lock;
            }
            lock.stdin?.end();
        }
        if (Date.now() > until) {
            throw new Error(
                `a live test run is using the lab (${busy.join("; ")}); gave up waiting after ${waitMs / 1000} s`,
            );
        }
        log(`  waiting for a live test run to finish (${busy[0]})`);
        await new Promise((r) => setTimeout(r, 10000));
    }
}

/** Before a repetition: the hosts must be as the baseline (someone else's run may have changed them). */
async function assertBaseline(baseline: Baseline): Promise<void> {
    for (const h of HOSTS) {
        const now = { ...(await snapshot(h)), docker0: await docker0(h) };
        for (const k of ["routes", "iptables", "daemonJson", "docker0"] as const) {
            if (now[k] !== baseline[h][k]) {
                throw new Error(
                    `${h} ${k} is not as at the start of the benchmark (changed by someone else meanwhile?); stopping:\n--- start\n${baseline[h][k]}\n--- now\n${now[k]}`,
                );
            }
        }
        if ((await onHost(h, "docker ps -aq")).trim()) {
            throw new Error(`${h} has containers again (someone else's?); stopping`);
        }
    }
}

/** Holds /run/dnlab.lock (lab.sh's) until the returned process's stdin is closed. */
function takeLock(): Promise<ChildProcess> {
    return new Promise((resolve, reject) => {
        const p = spawn("flock", ["-w", "600", LOCK, "sh", "-c", "echo locked; exec cat >/dev/null"], {
            stdio: ["pipe", "pipe", "pipe"],
        });
        let err = "";
        p.stderr!.on("data", (d) => (err += d.toString()));
        p.stdout!.once("data", (d) =>
            d.toString().startsWith("locked") ? resolve(p) : reject(new Error(`unexpected: ${d}`)),
        );
        p.on("error", reject);
        p.on("close", (code) => reject(new Error(`could not take ${LOCK} (flock exited ${code}): ${err.trim()}`)));
    });
}

/**
 * Puts an `ssh` first on PATH (this process and its children) that multiplexes every connection
 * to a host over one master connection; close() ends the masters.
 */
function sshMultiplexing(): { close(): void } {
    const dir = fs.mkdtempSync("/tmp/dnbench-ssh-");
    const real = spawnSync("sh", ["-c", "command -v ssh"], { encoding: "utf8" }).stdout.trim();
    fs.mkdirSync(path.join(dir, "bin"));
    fs.writeFileSync(
        path.join(dir, "bin", "ssh"),
        `#!/bin/sh\nexec ${real} -o ControlMaster=auto -o ControlPath=${dir}/cm-%C -o ControlPersist=60 "$@"\n`,
        { mode: 0o755 },
    );
    process.env.PATH = `${path.join(dir, "bin")}:${process.env.PATH}`;
    return {
        close() {
            for (const f of fs.readdirSync(dir).filter((x) => x.startsWith("cm-"))) {
                spawnSync(real, ["-o", `ControlPath=${path.join(dir, f)}`, "-O", "exit", "dnbench"], {
                    stdio: "ignore",
                });
            }
            fs.rmSync(dir, { recursive: true, force: true });
        },
    };
}

function run(cmd: string, args: string[]): void {
    const r = spawnSync(cmd, args, { stdio: "inherit" });
    if (r.status !== 0) {
        throw new Error(`${cmd} ${args.join(" ")} exited ${r.status}`);
    }
}

function subnetOf(bip: string): string {
    const [addr, prefix] = bip.split("/");
    const n = addr.split(".").reduce((a, o) => a * 256 + Number(o), 0);
    const mask = Number(prefix) === 0 ? 0 : (0xffffffff << (32 - Number(prefix))) >>> 0;
    const net = (n & mask) >>> 0;
    return `${[24, 16, 8, 0].map((s) => (net >>> s) & 255).join(".")}/${prefix}`;
}

// ---- report -----------------------------------------------------------------------------------

function summarize(runs: FlowRun[], reuse: boolean): void {
    const flows = [...new Set(runs.map((r) => r.flow))];
    const med = (flow: string) => median(runs.filter((r) => r.flow === flow).map((r) => r.convergeMs));
    const base = med("raw");
    const rows = flows.map((f) => {
        const rs = runs.filter((r) => r.flow === f);
        const rst = rs[0].restarts;
        return [
            f,
            rs.length,
            f0(med(f)),
            f0(Math.min(...rs.map((r) => r.convergeMs))),
            f0(Math.max(...rs.map((r) => r.convergeMs))),
            `h1 ${rst.h1}, h2 ${rst.h2}`,
            f2(med(f) / base),
        ];
    });
    const t1 = table(
        ["way (empty → verified)", "runs", "median ms", "min ms", "max ms", "Docker restarts", "vs raw"],
        rows,
    );

    const dn = runs.filter((r) => r.dockernet).map((r) => r.dockernet!);
    const lines: string[] = [];
    if (dn.length > 0) {
        lines.push(
            `dockernet in-process: node start→program ${f0(median(dn.map((d) => d.converged.bootMs)))} ms (median), Engine.up ${f0(median(dn.map((d) => d.converged.upMs)))} ms`,
        );
        // Where the time goes: each resource's apply time in the first up (median over runs).
        const names = [...new Set(dn.flatMap((d) => d.converged.timeline.map((t) => `${t.type}::${t.name}`)))];
        const phase = names
            .map((k) => {
                const xs = dn
                    .map((d) => d.converged.timeline.find((t) => `${t.type}::${t.name}` === k))
                    .filter((x): x is NonNullable<typeof x> => !!x);
                return [
                    k.split("::")[1],
                    k.split("::")[0].replace(/^.*[:/]/, ""),
                    f0(median(xs.map((x) => x.startMs))),
                    f0(median(xs.map((x) => x.durationMs))),
                    f0(median(xs.map((x) => x.startMs + x.durationMs))),
                ];
            })
            .sort((a, b) => Number(a[2]) - Number(b[2]));
        const t2 = table(["resource", "type", "starts at ms", "apply ms", "done at ms"], phase);
        const noop = dn.map((d) => d.noop);
        const perHost = (h: string) =>
            noop.map((n) => n.rerun.filter((x) => x.host === h).reduce((a, x) => a + x.ms, 0));
        const t3 = table(
            ["no-op second Engine.up", "median", "all runs"],
            [
                ["up time ms", f0(median(noop.map((n) => n.upMs))), noop.map((n) => f0(n.upMs)).join(", ")],
                [
                    "created / replaced / updated / deleted",
                    "",
                    noop
                        .map((n) => `${n.counts.created}/${n.counts.replaced}/${n.counts.updated}/${n.counts.deleted}`)
                        .join(", "),
                ],
                ["unchanged", "", noop.map((n) => n.counts.unchanged).join(", ")],
                ["Docker restarts h1/h2", "", noop.map((n) => `${n.restarts.h1}/${n.restarts.h2}`).join(", ")],
                ["host commands run by the engine", "", noop.map((n) => n.commandsRun.length).join(", ")],
                [
                    "host script time h1 (engine) ms",
                    "0",
                    noop
                        .map((n) =>
                            f0(
                                n.commandsRun
                                    .filter((c) => c.name.includes("-h1-"))
                                    .reduce((a, c) => a + c.durationMs, 0),
                            ),
                        )
                        .join(", "),
                ],
                [
                    "host script time h2 (engine) ms",
                    "0",
                    noop
                        .map((n) =>
                            f0(
                                n.commandsRun
                                    .filter((c) => c.name.includes("-h2-"))
                                    .reduce((a, c) => a + c.durationMs, 0),
                            ),
                        )
                        .join(", "),
                ],
                ["re-run of h1's scripts by hand ms", f0(median(perHost("h1"))), perHost("h1").map(f0).join(", ")],
                ["re-run of h2's scripts by hand ms", f0(median(perHost("h2"))), perHost("h2").map(f0).join(", ")],
                [
                    "restarts caused by the re-run h1/h2",
                    "",
                    noop.map((n) => `${n.rerunRestarts.h1}/${n.rerunRestarts.h2}`).join(", "),
                ],
            ],
        );
        const scripts = table(
            ["script re-run (idempotent create)", "host", "median ms", "stdout"],
            [...new Set(noop.flatMap((n) => n.rerun.map((x) => `${x.host}|${x.name}`)))].map((k) => {
                const [h, name] = k.split("|");
                const xs = noop.flatMap((n) => n.rerun.filter((x) => x.host === h && x.name === name));
                return [
                    name,
                    h,
                    f0(median(xs.map((x) => x.ms))),
                    `${xs[0].stdout}${xs.some((x) => x.code !== 0) ? " (FAILED)" : ""}`,
                ];
            }),
        );
        lines.push(
            "",
            "dockernet's first up, per resource (median over runs; ms from the start of Engine.up):",
            t2,
            "",
            t3,
            "",
            scripts,
        );
        lines.push(
            "",
            `destroy (not timed in the comparison): median ${f0(median(dn.map((d) => d.destroyed.destroyMs)))} ms, restarts ${dn.map((d) => `${d.destroyed.restarts.h1}/${d.destroyed.restarts.h2}`).join(", ")}; resets: ${runs
                .filter((r) => r.flow === "dockernet")
                .map((r) => r.reset)
                .join(" | ")}`,
        );
    }
    const how = reuse
        ? "SSH connections multiplexed (one master per host, both sides)"
        : "plain SSH: a new connection per host command (as Pulumi's command provider does); Docker API calls over kept-alive `docker system dial-stdio` connections per Docker provider (as the real provider's client)";
    const text = `Live convergence: the seed's two-host topology, empty → verified (ping + HTTP both ways); ${how}\n${t1}\n${lines.join("\n")}`;
    console.log(`\n${text}`);
    const m = machine();
    const out = outDir();
    const suffix = reuse ? "-ssh-reuse" : "";
    fs.writeFileSync(path.join(out, `live${suffix}.json`), `${JSON.stringify({ machine: m, runs }, null, 1)}\n`);
    fs.writeFileSync(
        path.join(out, `live${suffix}.md`),
        `${Object.entries(m)
            .map(([k, v]) => `${k}: ${v}`)
            .join(", ")}\n\n${text}\n`,
    );
    console.log(
        `\nresults: ${path.relative(repoRoot(), path.join(out, `live${suffix}.json`))}, ${path.relative(repoRoot(), path.join(out, `live${suffix}.md`))}; ${runs.length} runs`,
    );
}

main().catch((e) => {
    console.error(`bench:live: ${e instanceof Error ? e.message : e}`);
    process.exit(1);
});
