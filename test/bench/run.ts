// `npm run bench`: dockernet's cost under mocks, each measurement in a fresh child process.
//   overhead  N containers through dockernet components vs the same resources written by hand
//   scaling   resources and evaluation time of a CrossHostRoutedPair topology against hosts
//   mesh      a RoutedMesh of 2/10/50/200 hosts: resources per host, evaluation time and memory; the
//             same full mesh written as pairs beside it; `npm run plan` of the 200-host mesh
//   runtime   the stack program from node start to registered: compiled JS vs on-the-fly TypeScript
//   overhead-sourcemaps  (opt-in) overhead with source-map-support registered, as Pulumi's runner does
//   profile   (opt-in) where dockernet's extra time goes, from V8 CPU profiles of both cases
// Options: --reps N (5) --sizes 100,500,1000 --hosts 2,10,50
//          --only overhead,scaling,runtime (default) [,overhead-sourcemaps][,profile]
//          --host (also with an SSH host: raw with one provider, dockernet with one shared provider
//          (host.dockerProvider, as deployTopology does); with --diagnose also dockernet-host-own,
//          every component making its own provider) --quick (1 rep, small sizes)
//          --diagnose (also dockernet with PULUMI_NODEJS_SKIP_COMPONENT_INPUTS=1: what the components'
//          args, passed to super(), cost) --pool a.json,b.json (measure nothing; the paired ratios of
//          several overhead runs' JSON taken together) --combine-only (measure nothing; tables and plots again from
//          out/bench/<section>.json)
// Prints tables; writes out/bench/<section>.json and .md per section measured, then tables.md and
// bench.svg (+ bench.png when rsvg-convert is installed) from every section measured so far.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as Module from "module";
import * as os from "os";
import * as path from "path";
import type { ChildResult } from "./child";
import { argFlags, f0, f1, f2, machine, median, outDir, repoRoot, runChild, table } from "./common";
import { Chart, svgCharts, toPng } from "./plot";
import type { PlanResult } from "./planChild";
import type { RuntimeResult } from "./runtimeChild";

const JS = __dirname; // out/bench/js/test/bench
const flags = argFlags(process.argv.slice(2));
const quick = flags.has("quick");
const reps = Number(flags.get("reps") ?? (quick ? 1 : 5));
const sizes = (flags.get("sizes") ?? (quick ? "100" : "100,500,1000")).split(",").map(Number);
const hostCounts = (flags.get("hosts") ?? (quick ? "2,10" : "2,10,50")).split(",").map(Number);
const only = new Set((flags.get("only") ?? "overhead,scaling,mesh,runtime").split(","));
const meshHosts = (flags.get("mesh-hosts") ?? (quick ? "2,10" : "2,10,50,200")).split(",").map(Number);
const pairHosts = (flags.get("pair-hosts") ?? (quick ? "2,10" : "2,10,50")).split(",").map(Number);
const withHost = flags.has("host");
const diagnose = flags.has("diagnose");
const log = (s: string) => process.stderr.write(`${s}\n`);

/** What one section leaves in out/bench/<section>.json: enough to print its table and draw its charts again. */
interface SectionFile<T> {
    section: string;
    machine: { [k: string]: string };
    loadavgStart: number[];
    loadavgEnd: number[];
    reps: number;
    md: string;
    data: T;
}

interface OverheadData {
    sizes: number[];
    sourceMaps?: boolean;
    groups: string[][];
    runs: { case: string; size: number; runs: ChildResult[] }[];
}

interface ScalingData {
    hosts: number[];
    runs: { hosts: number; runs: ChildResult[] }[];
}

interface MeshData {
    runs: { kind: string; hosts: number; runs: ChildResult[] }[];
    plan: PlanResult[];
}

interface RuntimeData {
    runs: { mode: string; runs: RuntimeResult[] }[];
    tscBuildMs: number[];
}

const SECTIONS = ["overhead", "overhead-sourcemaps", "scaling", "mesh", "runtime", "profile"];

async function main(): Promise<void> {
    if (flags.has("pool")) {
        pool(String(flags.get("pool")).split(","));
        return;
    }
    ensureScriptsLink();
    log(
        `dockernet bench: ${reps} rep(s), node ${process.version}, ${os.availableParallelism()} CPU(s), load ${os.loadavg().map(f2).join(" ")}`,
    );
    for (const section of SECTIONS.filter((x) => only.has(x) && !flags.has("combine-only"))) {
        const loadavgStart = os.loadavg();
        const m = machine();
        const { md, data } =
            section === "overhead"
                ? await overhead(false)
                : section === "overhead-sourcemaps"
                  ? await overhead(true)
                  : section === "scaling"
                    ? await scaling()
                    : section === "mesh"
                      ? await mesh()
                      : section === "runtime"
                        ? await runtime()
                        : await profileSection();
        const file: SectionFile<unknown> = {
            section,
            machine: m,
            loadavgStart,
            loadavgEnd: os.loadavg(),
            reps,
            md,
            data,
        };
        fs.writeFileSync(path.join(outDir(), `${section}.json`), `${JSON.stringify(file, null, 1)}\n`);
        fs.writeFileSync(path.join(outDir(), `${section}.md`), `${sectionHeader(file)}\n\n${md}\n`);
        console.log(`\n${md}`);
    }
    combine();
}

/**
 * `--pool a.json,b.json,...`: the paired CPU and RSS ratios of several overhead runs taken together
 * (each case against its group's first case, repetition by repetition; the median of all pairs).
 */
function pool(files: string[]): void {
    const runs = files.map((f) => (JSON.parse(fs.readFileSync(f, "utf8")) as SectionFile<OverheadData>).data);
    const rows: string[][] = [];
    const cases = [...new Set(runs.flatMap((d) => d.groups.flatMap((g) => g.slice(1).map((c) => `${g[0]} ${c}`))))];
    for (const pair of cases) {
        const [base, c] = pair.split(" ");
        for (const size of [...new Set(runs.flatMap((d) => d.sizes))].sort((a, b) => a - b)) {
            const cpu: number[] = [];
            const rss: number[] = [];
            for (const d of runs) {
                const x = d.runs.find((r) => r.case === c && r.size === size);
                const y = d.runs.find((r) => r.case === base && r.size === size);
                x?.runs.forEach((v, i) => {
                    if (y?.runs[i]) {
                        cpu.push(v.evalCpuMs / y.runs[i].evalCpuMs);
                        rss.push(v.maxRssMb / y.runs[i].maxRssMb);
                    }
                });
            }
            if (cpu.length > 0) {
                rows.push([
                    c,
                    base,
                    String(size),
                    String(cpu.length),
                    f2(median(cpu)),
                    `${f2(Math.min(...cpu))}–${f2(Math.max(...cpu))}`,
                    f2(median(rss)),
                ]);
            }
        }
    }
    console.log(`pooled over ${files.length} run(s): ${files.join(", ")}\n`);
    console.log(
        table(["case", "against", "containers", "pairs", "paired CPU ratio", "range", "paired RSS ratio"], rows),
    );
}

/** tables.md and bench.svg (+ .png) from every section measured so far (each section's own machine line and date). */
function combine(): void {
    const out = outDir();
    const files = SECTIONS.map((x) => path.join(out, `${x}.json`))
        .filter((f) => fs.existsSync(f))
        .map((f) => JSON.parse(fs.readFileSync(f, "utf8")) as SectionFile<unknown>);
    // Tables are made again from the data, so a change to their layout needs no new measurement.
    for (const f of files) {
        f.md = f.section.startsWith("overhead")
            ? overheadTable(f.data as OverheadData)
            : f.section === "scaling"
              ? scalingTable(f.data as ScalingData)
              : f.section === "mesh"
                ? meshTable(f.data as MeshData)
                : f.section === "runtime"
                  ? runtimeTable(f.data as RuntimeData)
                  : f.md;
        fs.writeFileSync(path.join(out, `${f.section}.md`), `${sectionHeader(f)}\n\n${f.md}\n`);
    }
    fs.writeFileSync(
        path.join(out, "tables.md"),
        `${files.map((f) => `${sectionHeader(f)}\n\n${f.md}`).join("\n\n")}\n`,
    );
    const charts: Chart[] = [];
    for (const f of files) {
        if (f.section.startsWith("overhead")) {
            charts.push(...overheadCharts(f.data as OverheadData));
        } else if (f.section === "scaling") {
            charts.push(...scalingCharts(f.data as ScalingData));
        }
    }
    console.log("");
    if (charts.length > 0) {
        const svg = path.join(out, "bench.svg");
        const m = files[0].machine;
        fs.writeFileSync(
            svg,
            svgCharts(
                `dockernet benchmarks (${m.date.slice(0, 10)}, ${m.nproc} CPU, node ${m.node}, compiled JS)`,
                charts,
            ),
        );
        const png = toPng(svg);
        console.log(
            `plots: ${path.relative(repoRoot(), svg)}${png ? `, ${path.relative(repoRoot(), png)}` : " (no PNG: install librsvg2-bin for rsvg-convert)"}`,
        );
    }
    console.log(
        `tables: ${path.relative(repoRoot(), path.join(out, "tables.md"))} (sections: ${files.map((f) => f.section).join(", ")}; raw data in out/bench/<section>.json)`,
    );
}

function sectionHeader(f: SectionFile<unknown>): string {
    const m = f.machine;
    return (
        `<!-- ${f.section}: ${m.date}, ${m.nproc} CPU (${m.cpu}), ${m.memory}, kernel ${m.kernel}, node ${m.node}, ${m.os}, ` +
        `commit ${m.commit}${m.dirty ? ` + uncommitted changes (${m.dirty})` : ""}; load average ${f.loadavgStart.map(f2).join(" ")} -> ${f.loadavgEnd.map(f2).join(" ")} -->`
    );
}

/** `sourceMaps`: with source-map-support registered, as @pulumi/pulumi's runner has it under `pulumi up`. */
async function overhead(sourceMaps: boolean): Promise<{ md: string; data: OverheadData }> {
    // Each group is measured side by side: the first case is the baseline of the others.
    const groups = [
        ["raw", "dockernet", ...(diagnose ? ["dockernet-noinputs"] : [])],
        ...(withHost ? [["raw-host", "dockernet-host", ...(diagnose ? ["dockernet-host-own"] : [])]] : []),
    ];
    const runs = new Map<string, ChildResult[]>();
    for (let r = 0; r < reps; r++) {
        for (const size of sizes) {
            for (const group of groups) {
                // Alternate the order, so drift in the machine's load hits every case alike.
                for (const c of r % 2 === 0 ? group : [...group].reverse()) {
                    const { result } = await runChild<ChildResult>(
                        [path.join(JS, "child.js"), "overhead", c, String(size)],
                        { env: { BENCH_SOURCE_MAPS: sourceMaps ? "1" : "0" } },
                    );
                    runs.set(`${c}/${size}`, [...(runs.get(`${c}/${size}`) ?? []), result]);
                    log(
                        `  overhead${sourceMaps ? " (source maps)" : ""} rep ${r + 1}/${reps} ${c.padEnd(18)} N=${String(size).padStart(4)}: eval ${f0(result.evalMs)} ms (CPU ${f0(result.evalCpuMs)} ms), peak RSS ${f0(result.maxRssMb)} MB`,
                    );
                }
            }
        }
    }
    const data: OverheadData = {
        sizes,
        groups,
        sourceMaps,
        runs: [...runs].map(([k, v]) => ({ case: k.split("/")[0], size: Number(k.split("/")[1]), runs: v })),
    };
    return { md: overheadTable(data), data };
}

function overheadTable(data: OverheadData): string {
    const get = (c: string, size: number) => data.runs.find((x) => x.case === c && x.size === size)!.runs;
    const m = (xs: ChildResult[], k: keyof ChildResult) => median(xs.map((x) => x[k] as number));
    const rows: (string | number)[][] = [];
    for (const group of data.groups) {
        for (const size of data.sizes) {
            const base = get(group[0], size);
            for (const c of group) {
                const x = get(c, size);
                const paired = x.map((y, i) => y.evalCpuMs / base[i].evalCpuMs);
                rows.push([
                    c,
                    size,
                    x[0].resources - x[0].custom > 0
                        ? `${x[0].resources} (${x[0].resources - x[0].custom} comp.)`
                        : `${x[0].resources}`,
                    f0(m(x, "evalMs")),
                    f0(m(x, "evalCpuMs")),
                    f2(m(x, "evalMs") / m(base, "evalMs")),
                    f2(m(x, "evalCpuMs") / m(base, "evalCpuMs")),
                    f2(median(paired)),
                    f0(m(x, "maxRssMb")),
                    f2(m(x, "maxRssMb") / m(base, "maxRssMb")),
                ]);
            }
        }
    }
    const reps = data.runs[0].runs.length;
    const t = table(
        [
            "case",
            "containers",
            "resources",
            "eval wall ms",
            "eval CPU ms",
            "wall ratio",
            "CPU ratio",
            "paired CPU ratio",
            "peak RSS MB",
            "RSS ratio",
        ],
        rows,
    );
    return (
        `### Overhead${data.sourceMaps ? ", with source-map-support registered as under `pulumi up`" : ""}: dockernet components vs the same resources by hand (median of ${reps}, fresh process each, order alternating)\n\n${t}\n\n` +
        "eval = the program's constructors + waiting for every registration; ratios against the group's first case (ratio of medians; paired = median of per-repetition ratios)"
    );
}

function overheadCharts(data: OverheadData): Chart[] {
    const colors: { [c: string]: [string, boolean] } = {
        raw: ["#1f77b4", false],
        dockernet: ["#d62728", false],
        "dockernet-noinputs": ["#ff7f0e", true],
        "raw-host": ["#17becf", true],
        "dockernet-host": ["#9467bd", true],
        "dockernet-host-own": ["#8c564b", true],
    };
    const series = (c: string, k: keyof ChildResult, scale: number) => ({
        name: c,
        color: colors[c]?.[0] ?? "#7f7f7f",
        dashed: colors[c]?.[1] ?? false,
        points: data.sizes.map((s): [number, number] => [
            s,
            median(data.runs.find((x) => x.case === c && x.size === s)!.runs.map((x) => x[k] as number)) / scale,
        ]),
    });
    const all = data.groups.flat();
    const how = data.sourceMaps ? " (source maps on, as pulumi up)" : "";
    return [
        {
            title: `Evaluation CPU time vs containers${how}`,
            xLabel: "containers (N)",
            yLabel: "CPU seconds (median)",
            series: all.map((c) => series(c, "evalCpuMs", 1000)),
        },
        {
            title: `Peak RSS vs containers${how}`,
            xLabel: "containers (N)",
            yLabel: "MB (median)",
            series: all.map((c) => series(c, "maxRssMb", 1)),
        },
    ];
}

async function scaling(): Promise<{ md: string; data: ScalingData }> {
    const runs = new Map<number, ChildResult[]>();
    const scalingReps = Math.max(1, Math.min(reps, 3));
    for (let r = 0; r < scalingReps; r++) {
        for (const h of r % 2 === 0 ? hostCounts : [...hostCounts].reverse()) {
            const { result } = await runChild<ChildResult>([path.join(JS, "child.js"), "scaling", String(h)]);
            runs.set(h, [...(runs.get(h) ?? []), result]);
            log(
                `  scaling rep ${r + 1}/${scalingReps} hosts=${h}: ${result.resources} resources, eval ${f0(result.evalMs)} ms`,
            );
        }
    }
    const data: ScalingData = { hosts: hostCounts, runs: [...runs].map(([hosts, v]) => ({ hosts, runs: v })) };
    return { md: scalingTable(data), data };
}

async function mesh(): Promise<{ md: string; data: MeshData }> {
    const runs: MeshData["runs"] = [];
    const meshReps = Math.max(1, Math.min(reps, 3));
    const cases: [string, number[]][] = [
        ["mesh", meshHosts],
        ["mesh-bare", meshHosts],
        ["mesh-pairs", pairHosts],
    ];
    for (let r = 0; r < meshReps; r++) {
        for (const [kind, hs] of cases) {
            for (const h of r % 2 === 0 ? hs : [...hs].reverse()) {
                const { result } = await runChild<ChildResult>([path.join(JS, "child.js"), kind, String(h)], {
                    timeoutMs: 20 * 60000,
                });
                let entry = runs.find((x) => x.kind === kind && x.hosts === h);
                if (!entry) {
                    entry = { kind, hosts: h, runs: [] };
                    runs.push(entry);
                }
                entry.runs.push(result);
                log(
                    `  mesh rep ${r + 1}/${meshReps} ${kind} hosts=${h}: ${result.resources} resources, eval ${f0(result.evalMs)} ms, RSS ${f0(result.maxRssMb)} MB`,
                );
            }
        }
    }
    const plan: PlanResult[] = [];
    for (let r = 0; r < meshReps; r++) {
        const h = meshHosts[meshHosts.length - 1];
        const { result } = await runChild<PlanResult>([path.join(JS, "planChild.js"), String(h)]);
        plan.push(result);
        log(
            `  plan rep ${r + 1}/${meshReps} hosts=${h}: total ${f0(result.totalMs)} ms (plan ${f0(result.planMs)}, text ${f0(result.formatMs)}, pictures ${f0(result.pictureMs)})`,
        );
    }
    const data: MeshData = { runs, plan };
    return { md: meshTable(data), data };
}

function meshTable(data: MeshData): string {
    const get = (kind: string, h: number) => data.runs.find((x) => x.kind === kind && x.hosts === h)?.runs ?? [];
    const hosts = [...new Set(data.runs.map((x) => x.hosts))].sort((a, b) => a - b);
    const rows: (string | number)[][] = [];
    for (const kind of ["mesh", "mesh-bare", "mesh-pairs"]) {
        for (const h of hosts) {
            const rs = get(kind, h);
            if (rs.length === 0) {
                continue;
            }
            const cmds = rs[0].byType["command:remote:Command"] ?? 0;
            rows.push([
                kind,
                h,
                rs[0].resources,
                f2(rs[0].resources / h),
                cmds,
                f2(cmds / h),
                f0(median(rs.map((x) => x.evalMs))),
                f0(median(rs.map((x) => x.evalCpuMs))),
                f1(median(rs.map((x) => x.evalCpuMs)) / h),
                f0(median(rs.map((x) => x.maxRssMb))),
            ]);
        }
    }
    const t = table(
        [
            "program",
            "hosts",
            "resources",
            "resources/host",
            "host commands",
            "commands/host",
            "eval wall ms",
            "eval CPU ms",
            "CPU ms/host",
            "peak RSS MB",
        ],
        rows,
    );
    // Side by side at the largest size both were measured at: the mesh against the same mesh as pairs.
    const both = hosts.filter((h) => get("mesh-bare", h).length > 0 && get("mesh-pairs", h).length > 0).pop();
    let side = "";
    if (both !== undefined) {
        const m = get("mesh-bare", both);
        const p = get("mesh-pairs", both);
        side =
            `\nAt ${both} hosts, the full mesh as ${(both * (both - 1)) / 2} pairs against one RoutedMesh (both without containers): ` +
            `${p[0].resources} vs ${m[0].resources} resources (${f1(p[0].resources / m[0].resources)}x), ` +
            `eval CPU ${f0(median(p.map((x) => x.evalCpuMs)))} vs ${f0(median(m.map((x) => x.evalCpuMs)))} ms (${f1(median(p.map((x) => x.evalCpuMs)) / median(m.map((x) => x.evalCpuMs)))}x).`;
    }
    const pl = data.plan;
    const plan =
        pl.length === 0
            ? ""
            : `\n\n\`npm run plan\` of a ${pl[0].hosts}-host mesh (after its build; median of ${pl.length}): ${f0(median(pl.map((x) => x.totalMs)))} ms from node start ` +
              `(loading ${f0(median(pl.map((x) => x.loadMs)))}, read+validate+plan ${f0(median(pl.map((x) => x.planMs)))}, text ${f0(median(pl.map((x) => x.formatMs)))}, ` +
              `pictures ${f0(median(pl.map((x) => x.pictureMs)))}); ${pl[0].resources} planned resources, ${pl[0].lines} lines, peak RSS ${f0(median(pl.map((x) => x.maxRssMb)))} MB.`;
    return `### Mesh: one RoutedMesh via deployTopology (1 container per host unless bare, probes on), and the same full mesh as pairs\n\n${t}\n${side}${plan}`;
}

function scalingTable(data: ScalingData): string {
    const get = (h: number) => data.runs.find((x) => x.hosts === h)!.runs;
    const rows = data.hosts.map((h) => {
        const x = get(h);
        const ev = median(x.map((y) => y.evalMs));
        const cpu = median(x.map((y) => y.evalCpuMs));
        const cmd = x[0].byType["command:remote:Command"] ?? 0;
        return [
            h,
            h / 2,
            x[0].resources,
            x[0].custom,
            cmd,
            f2(x[0].resources / h),
            f0(ev),
            f0(cpu),
            f1(cpu / h),
            f0(median(x.map((y) => y.maxRssMb))),
        ];
    });
    const h0 = data.hosts[0];
    const h1 = data.hosts[data.hosts.length - 1];
    const slope = (get(h1)[0].resources - get(h0)[0].resources) / (h1 - h0);
    const icpt = get(h0)[0].resources - slope * h0;
    const linear = data.hosts.every((h) => get(h)[0].resources === Math.round(slope * h + icpt));
    const t = table(
        [
            "hosts",
            "pairs",
            "resources",
            "custom",
            "host commands",
            "resources/host",
            "eval wall ms",
            "eval CPU ms",
            "CPU ms/host",
            "peak RSS MB",
        ],
        rows,
    );
    const label = (type: string) =>
        type.startsWith("pulumi:providers:") ? `${type.slice(17)} provider` : type.replace(/^.*[:/]/, "");
    const types = Object.entries(get(h1)[0].byType)
        .map(([k, v]) => `${label(k)} ${f2(v / h1)}`)
        .join(", ");
    return (
        `### Scaling: hosts/2 disjoint CrossHostRoutedPairs via deployTopology, 1 container per host, probes on (median of ${get(h0).length})\n\n${t}\n\n` +
        `resources = ${f2(slope)} x hosts + ${f2(icpt)} (${linear ? "exactly linear" : "NOT linear"}); per host at ${h1} hosts: ${types}`
    );
}

function scalingCharts(data: ScalingData): Chart[] {
    const get = (h: number) => data.runs.find((x) => x.hosts === h)!.runs;
    return [
        {
            title: "Resources vs hosts (CrossHostRoutedPair)",
            xLabel: "hosts",
            yLabel: "resources",
            series: [
                {
                    name: "all resources",
                    color: "#2ca02c",
                    points: data.hosts.map((h): [number, number] => [h, get(h)[0].resources]),
                },
                {
                    name: "host commands",
                    color: "#9467bd",
                    points: data.hosts.map((h): [number, number] => [
                        h,
                        get(h)[0].byType["command:remote:Command"] ?? 0,
                    ]),
                },
            ],
        },
        {
            title: "Evaluation time and peak RSS vs hosts",
            xLabel: "hosts",
            yLabel: "CPU seconds / (MB/100)",
            series: [
                {
                    name: "eval CPU s (median)",
                    color: "#2ca02c",
                    points: data.hosts.map((h): [number, number] => [h, median(get(h).map((y) => y.evalCpuMs)) / 1000]),
                },
                {
                    name: "peak RSS MB / 100",
                    color: "#8c564b",
                    dashed: true,
                    points: data.hosts.map((h): [number, number] => [h, median(get(h).map((y) => y.maxRssMb)) / 100]),
                },
            ],
        },
    ];
}

async function runtime(): Promise<{ md: string; data: RuntimeData }> {
    const root = repoRoot();
    const env = { PULUMI_CONFIG: stackConfig(path.join(root, "stacks", "Pulumi.dev.yaml")), BENCH_STACK: "dev" };
    const compiledIndex = path.join(JS, "..", "..", "index.js");
    const warmCache = path.join(outDir(), "ts-node-cache");
    fs.rmSync(warmCache, { recursive: true, force: true });
    // One unmeasured run fills the warm cache, as a first `pulumi up` after a change would.
    await runChild<RuntimeResult>([path.join(JS, "runtimeChild.js"), "ts-node", "index.ts"], {
        env: { ...env, TS_NODE_CACHE_DIRECTORY: warmCache },
    });
    const modes: { label: string; mode: string; program: string; cache?: "cold" | "warm" }[] = [
        {
            label: "compiled JS (tsc ahead of time; Pulumi.yaml main: bin/, typescript: false)",
            mode: "compiled",
            program: compiledIndex,
        },
        {
            label: "compiled JS, ts-node still registered (main: bin/ with typescript: true)",
            mode: "compiled-tshook",
            program: compiledIndex,
        },
        {
            label: "ts-node 7 type-check, cold cache (pulumi up today, 1st run after a change)",
            mode: "ts-node",
            program: "index.ts",
            cache: "cold",
        },
        {
            label: "ts-node 7 type-check, warm cache (pulumi up today, unchanged sources)",
            mode: "ts-node",
            program: "index.ts",
            cache: "warm",
        },
        {
            label: "ts-node 7 transpile-only, cold (PULUMI_NODEJS_TRANSPILE_ONLY=true)",
            mode: "ts-node-transpile",
            program: "index.ts",
            cache: "cold",
        },
        { label: "swc require hook (no type check; not a Pulumi option)", mode: "swc", program: "index.ts" },
    ];
    const runs = new Map<string, RuntimeResult[]>();
    for (let r = 0; r < reps; r++) {
        for (const m of r % 2 === 0 ? modes : [...modes].reverse()) {
            const cacheDir =
                m.cache === "warm" ? warmCache : fs.mkdtempSync(path.join(os.tmpdir(), "dockernet-bench-tsnode-"));
            try {
                const { result } = await runChild<RuntimeResult>(
                    [path.join(JS, "runtimeChild.js"), m.mode, m.program],
                    { env: { ...env, TS_NODE_CACHE_DIRECTORY: cacheDir } },
                );
                runs.set(m.label, [...(runs.get(m.label) ?? []), result]);
                log(`  runtime rep ${r + 1}/${reps} ${m.label}: ${f0(result.totalMs)} ms`);
            } finally {
                if (m.cache !== "warm") {
                    fs.rmSync(cacheDir, { recursive: true, force: true });
                }
            }
        }
    }
    const tsc: number[] = [];
    for (let r = 0; r < Math.min(reps, 3); r++) {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dockernet-bench-tsc-"));
        const t0 = process.hrtime.bigint();
        const p = spawnSync(
            process.execPath,
            [path.join(root, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.build.json", "--outDir", dir],
            { cwd: root, encoding: "utf8" },
        );
        tsc.push(Number(process.hrtime.bigint() - t0) / 1e6);
        fs.rmSync(dir, { recursive: true, force: true });
        if (p.status !== 0) {
            log(
                `  (tsc -p tsconfig.build.json failed, build time not reported: ${(p.stdout + p.stderr).trim().slice(0, 300)})`,
            );
            tsc.length = 0;
            break;
        }
    }
    const data: RuntimeData = { runs: [...runs].map(([mode, v]) => ({ mode, runs: v })), tscBuildMs: tsc };
    return { md: runtimeTable(data), data };
}

function runtimeTable(data: RuntimeData): string {
    const base = median(data.runs[0].runs.map((x) => x.totalMs));
    const baseCpu = median(data.runs[0].runs.map((x) => x.cpuMs ?? 0));
    const rows = data.runs.map(({ mode, runs: x }) => {
        const mm = (k: keyof RuntimeResult) => median(x.map((y) => y[k] as number));
        const cpu = x[0].cpuMs === undefined ? "-" : f0(mm("cpuMs"));
        const cpuRatio = x[0].cpuMs === undefined ? "-" : f2(mm("cpuMs") / baseCpu);
        return [
            mode,
            f0(mm("totalMs")),
            cpu,
            f0(mm("hookMs")),
            f0(mm("programMs")),
            f0(mm("settleMs")),
            f0(mm("maxRssMb")),
            f2(mm("totalMs") / base),
            cpuRatio,
        ];
    });
    const t = table(
        [
            "how index.ts runs (stacks/Pulumi.dev.yaml, trivial mocks)",
            "node start→registered ms",
            "CPU ms",
            "TS hook ms",
            "require(program) ms",
            "settle ms",
            "peak RSS MB",
            "wall vs compiled",
            "CPU vs compiled",
        ],
        rows,
    );
    const tsc = data.tscBuildMs;
    const tscLine =
        tsc.length > 0
            ? `\`tsc -p tsconfig.build.json\` (the build compiled JS needs, once per change): median ${f0(median(tsc))} ms of ${tsc.length}`
            : "tsc build time: not measured";
    return `### Runtime: compiled vs on-the-fly TypeScript (median of ${data.runs[0].runs.length}, fresh process each, source-map-support registered first as Pulumi's runner does)\n\n${t}\n\n${tscLine}`;
}

async function profileSection(): Promise<{ md: string; data: string }> {
    const text = await profile(sizes[Math.min(1, sizes.length - 1)]);
    return { md: `### Profile\n\n\`\`\`\n${text}\n\`\`\``, data: text };
}

/**
 * The compiled tree lives in out/bench/js, where components/host/scripts.ts's lookup of the host
 * scripts (next to itself, or ../../../components/host/scripts) would miss: link them next to it.
 */
function ensureScriptsLink(): void {
    const link = path.join(JS, "..", "..", "components", "host", "scripts");
    const target = path.join(repoRoot(), "components", "host", "scripts");
    try {
        if (fs.realpathSync(link) === fs.realpathSync(target)) {
            return;
        }
    } catch {
        // missing: made below
    }
    fs.rmSync(link, { recursive: true, force: true });
    fs.symlinkSync(target, link, "dir");
}

/** A stack file's config as Pulumi hands it to a program (PULUMI_CONFIG: key → string or JSON text). */
export function stackConfig(file: string): string {
    // js-yaml comes with @pulumi/pulumi (no dependency of dockernet's own).
    const yaml = Module.createRequire(path.join(repoRoot(), "package.json"))("js-yaml") as {
        load(text: string): { config?: { [k: string]: unknown } };
    };
    const config = yaml.load(fs.readFileSync(file, "utf8")).config ?? {};
    return JSON.stringify(
        Object.fromEntries(Object.entries(config).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)])),
    );
}

/** CPU profiles of raw and dockernet at one size: SDK self time by function (difference), and dockernet's own functions (inclusive). */
async function profile(size: number): Promise<string> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dockernet-bench-prof-"));
    const self = new Map<string, Map<string, number>>();
    const incl = new Map<string, number>();
    const evals: { [c: string]: number } = {};
    for (const c of ["raw", "dockernet"]) {
        const d = path.join(dir, c);
        const { result } = await runChild<ChildResult>([path.join(JS, "child.js"), "overhead", c, String(size)], {
            nodeArgs: ["--cpu-prof", `--cpu-prof-dir=${d}`],
        });
        evals[c] = result.evalMs;
        const file = path.join(d, fs.readdirSync(d)[0]);
        const prof = JSON.parse(fs.readFileSync(file, "utf8")) as CpuProfile;
        self.set(c, selfTimes(prof));
        if (c === "dockernet") {
            for (const [k, v] of inclusiveTimes(prof, (url) => url.includes("/components/"))) {
                incl.set(k, v);
            }
        }
    }
    fs.rmSync(dir, { recursive: true, force: true });
    const raw = self.get("raw")!;
    const dn = self.get("dockernet")!;
    const keys = new Set([...raw.keys(), ...dn.keys()]);
    const diff = [...keys]
        .map((k): [string, number, number] => [k, raw.get(k) ?? 0, dn.get(k) ?? 0])
        .sort((a, b) => b[2] - b[1] - (a[2] - a[1]));
    const lines = [
        `CPU profile, N=${size} containers (whole process; eval ${f0(evals.raw)} ms raw, ${f0(evals.dockernet)} ms dockernet with the profiler on)`,
        "Self time, largest increases dockernet - raw (ms):",
        ...diff
            .slice(0, 14)
            .map(([k, a, b]) => `  ${f0(b - a).padStart(6)}  (${f0(a).padStart(5)} -> ${f0(b).padStart(5)})  ${k}`),
        "dockernet's own functions, inclusive time (ms; includes the SDK calls they make):",
        ...[...incl]
            .sort((a, b) => b[1] - a[1])
            .slice(0, 16)
            .map(([k, v]) => `  ${f0(v).padStart(6)}  ${k}`),
    ];
    return lines.join("\n");
}

interface CpuProfile {
    nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
    samples: number[];
    timeDeltas: number[];
}

function frameKey(cf: CpuProfile["nodes"][number]["callFrame"]): string {
    const url = cf.url
        .replace(/^file:\/\//, "")
        .replace(/.*node_modules\//, "")
        .replace(/.*out\/bench\/js\//, "");
    return `${cf.functionName || "(anonymous)"} ${url}:${cf.lineNumber + 1}`;
}

function selfTimes(p: CpuProfile): Map<string, number> {
    const byId = new Map(p.nodes.map((n) => [n.id, n]));
    const out = new Map<string, number>();
    p.samples.forEach((id, i) => {
        const k = frameKey(byId.get(id)!.callFrame);
        out.set(k, (out.get(k) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000);
    });
    return out;
}

function inclusiveTimes(p: CpuProfile, keep: (url: string) => boolean): Map<string, number> {
    const byId = new Map(p.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const n of p.nodes) {
        for (const c of n.children ?? []) {
            parent.set(c, n.id);
        }
    }
    const out = new Map<string, number>();
    p.samples.forEach((id, i) => {
        const seen = new Set<string>();
        for (let n: number | undefined = id; n !== undefined; n = parent.get(n)) {
            const cf = byId.get(n)!.callFrame;
            if (keep(cf.url)) {
                seen.add(frameKey(cf));
            }
        }
        for (const k of seen) {
            out.set(k, (out.get(k) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000);
        }
    });
    return out;
}

main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
});
