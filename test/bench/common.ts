// Shared helpers of the benchmarks: where things are, child processes that report one JSON line,
// statistics, and plain-text tables.
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** The repository root (the directory whose package.json is dockernet's), from sources or compiled output. */
export function repoRoot(): string {
    for (let dir = __dirname; ; dir = path.dirname(dir)) {
        const pkg = path.join(dir, "package.json");
        if (
            fs.existsSync(pkg) &&
            JSON.parse(fs.readFileSync(pkg, "utf8")).name === "dockernet" &&
            fs.existsSync(path.join(dir, "components"))
        ) {
            return dir;
        }
        if (path.dirname(dir) === dir) {
            throw new Error(`cannot find the dockernet repository above ${__dirname}`);
        }
    }
}

export const RESULT_TAG = "BENCH_RESULT ";

/** Prints the one result line a child reports to its parent. */
export function report(value: unknown): void {
    process.stdout.write(`${RESULT_TAG}${JSON.stringify(value)}\n`);
}

export interface ChildRun<T> {
    result: T;
    /** Spawn to exit, as the parent saw it. */
    wallMs: number;
    stderr: string;
}

/** Runs `node <args>` in a fresh process and returns the JSON it reported; throws with its stderr on failure. */
export function runChild<T>(
    args: string[],
    opts: { env?: NodeJS.ProcessEnv; cwd?: string; nodeArgs?: string[]; timeoutMs?: number } = {},
): Promise<ChildRun<T>> {
    return new Promise((resolve, reject) => {
        const t0 = process.hrtime.bigint();
        const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), ...args], {
            cwd: opts.cwd ?? repoRoot(),
            env: { ...process.env, ...(opts.env ?? {}) },
            stdio: ["ignore", "pipe", "pipe"],
        });
        let stdout = "";
        let stderr = "";
        const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 600000);
        child.stdout.on("data", (d) => (stdout += d.toString()));
        child.stderr.on("data", (d) => (stderr += d.toString()));
        child.on("error", reject);
        child.on("close", (code) => {
            clearTimeout(timer);
            const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
            const line = stdout.split("\n").find((l) => l.startsWith(RESULT_TAG));
            if (code !== 0 || !line) {
                reject(new Error(`node ${args.join(" ")} exited ${code}:\n${stderr.trim() || stdout.trim()}`));
                return;
            }
            resolve({ result: JSON.parse(line.slice(RESULT_TAG.length)) as T, wallMs, stderr });
        });
    });
}

export function median(xs: number[]): number {
    const s = [...xs].sort((a, b) => a - b);
    const m = Math.floor(s.length / 2);
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function min(xs: number[]): number {
    return Math.min(...xs);
}

export function max(xs: number[]): number {
    return Math.max(...xs);
}

/** A fixed-width text table (also valid Markdown). */
export function table(header: string[], rows: (string | number)[][]): string {
    const cells = [header, ...rows.map((r) => r.map(String))];
    const width = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
    const line = (r: string[]) =>
        `| ${r.map((c, i) => (i === 0 ? c.padEnd(width[i]) : c.padStart(width[i]))).join(" | ")} |`;
    return [
        line(header),
        `|${width.map((w, i) => (i === 0 ? "-".repeat(w + 2) : `${"-".repeat(w + 1)}:`)).join("|")}|`,
        ...cells.slice(1).map(line),
    ].join("\n");
}

export const f0 = (x: number) => x.toFixed(0);
export const f1 = (x: number) => x.toFixed(1);
export const f2 = (x: number) => x.toFixed(2);

/** The machine the figures come from. */
export function machine(): { [k: string]: string } {
    const cpus = os.cpus();
    return {
        date: new Date().toISOString(),
        nproc: String(os.availableParallelism?.() ?? cpus.length),
        cpu: cpus[0]?.model ?? "?",
        memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
        kernel: os.release(),
        node: process.version,
        os: readOsName(),
        ...gitState(),
    };
}

/** The commit measured, and whether the measured sources (components/, index.ts) had uncommitted changes. */
function gitState(): { commit: string; dirty: string } {
    const git = (args: string[]) => spawnSync("git", args, { cwd: repoRoot(), encoding: "utf8" }).stdout?.trim() ?? "";
    const changed = git(["status", "--porcelain", "--", "components", "index.ts"]).split("\n").filter(Boolean).length;
    return {
        commit: git(["rev-parse", "--short", "HEAD"]) || "?",
        dirty: changed > 0 ? `${changed} file(s) in components/ or index.ts` : "",
    };
}

function readOsName(): string {
    try {
        return /^PRETTY_NAME="?([^"\n]*)"?/m.exec(fs.readFileSync("/etc/os-release", "utf8"))?.[1] ?? "?";
    } catch {
        return "?";
    }
}

/** out/bench under the repository (gitignored); created on demand. */
export function outDir(): string {
    const dir = path.join(repoRoot(), "out", "bench");
    fs.mkdirSync(dir, { recursive: true });
    return dir;
}

/** Parses `--key value` / `--flag` arguments. */
export function argFlags(argv: string[]): Map<string, string> {
    const m = new Map<string, string>();
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (!a.startsWith("--")) {
            continue;
        }
        const eq = a.indexOf("=");
        if (eq > 0) {
            m.set(a.slice(2, eq), a.slice(eq + 1));
        } else if (i + 1 < argv.length && !argv[i + 1].startsWith("--")) {
            m.set(a.slice(2), argv[++i]);
        } else {
            m.set(a.slice(2), "true");
        }
    }
    return m;
}
