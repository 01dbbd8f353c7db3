// Running processes for the test harness: a bounded, captured spawn, and the guard that keeps
// every network conversation of the tests inside the lab.
import { ChildProcess, spawn, spawnSync } from "child_process";

export interface RunResult {
    code: number;
    stdout: string;
    stderr: string;
}

/** Runs a program (no shell) and captures its output; never throws for a non-zero exit. */
export function run(
    argv: string[],
    opts: { input?: string; timeoutMs?: number; onSpawn?: (child: ChildProcess) => void } = {},
): Promise<RunResult> {
    return new Promise((resolve, reject) => {
        const child = spawn(argv[0], argv.slice(1), { stdio: ["pipe", "pipe", "pipe"] });
        opts.onSpawn?.(child);
        let stdout = "";
        let stderr = "";
        const timer = setTimeout(() => {
            stderr += `\n[harness] ${argv[0]} timed out after ${opts.timeoutMs ?? 300000} ms`;
            child.kill("SIGKILL");
        }, opts.timeoutMs ?? 300000);
        child.stdout.on("data", (d) => (stdout += d.toString()));
        child.stderr.on("data", (d) => (stderr += d.toString()));
        child.on("error", (e) => {
            clearTimeout(timer);
            reject(e);
        });
        child.on("close", (code, signal) => {
            clearTimeout(timer);
            resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
        });
        // A program that exits without reading its input (a quick sh) closes the pipe first.
        child.stdin.on("error", () => undefined);
        child.stdin.end(opts.input ?? "");
    });
}

/** Like run, but throws with the program's stderr when it fails. */
export async function runOk(argv: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<string> {
    const r = await run(argv, opts);
    if (r.code !== 0) {
        throw new Error(
            `${argv.slice(0, 6).join(" ")}${argv.length > 6 ? " ..." : ""} exited ${r.code}: ${(r.stderr || r.stdout).trim()}`,
        );
    }
    return r.stdout;
}

const checkedRoutes = new Map<string, string>();

/**
 * Refuses to talk to an address unless the kernel would send it through the lab's own interface
 * (or loopback). Every SSH connection and Docker endpoint of the harness passes through here.
 */
export function assertLabRoute(address: string, labInterface = "dnlab0"): void {
    const known = checkedRoutes.get(address);
    if (known === labInterface || known === "lo") {
        return;
    }
    const r = spawnSync("ip", ["route", "get", address], { encoding: "utf8" });
    const dev = /\bdev (\S+)/.exec(r.stdout ?? "")?.[1];
    if (r.status !== 0 || (dev !== labInterface && dev !== "lo")) {
        throw new Error(
            `refusing to contact ${address}: it is routed via ${dev ?? "nothing"} (${(r.stdout || r.stderr || "").trim()}), ` +
                `not the lab interface ${labInterface}; only lab addresses may be targets`,
        );
    }
    checkedRoutes.set(address, dev);
}
