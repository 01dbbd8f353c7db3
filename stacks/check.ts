// `npm run check -- --stack <name> [--repair]`: the live hosts against the plan. For each host it runs
// the host scripts' own `check` actions (bip, route sets, firewall chains), reads docker0's address
// and each declared container's state, networks and aliases, and re-runs the stack's declared
// connectivity checks. One table: host, object, declared, seen, verdict. Without --repair it never
// changes a host; with it, what drifted is converged through the same scripts' create actions (and
// `docker start` / `docker network connect` for a container), then checked again.
import { spawn } from "child_process";
import { HostArgs } from "../components";
import {
    TESTED_DOCKER,
    dockerSupportProblem,
    hostArgsOf,
    parseObservation,
    scriptCommand,
    shellQuote,
    sshArgv,
} from "../components/internal";
import { topologyFromConfig } from "../components";
import { HostPlan, PlanOptions, StackPlan, loadStackConfig, planStack } from "./plan";

/** One line of the report. */
export interface CheckRow {
    host: string;
    object: string;
    declared: string;
    seen: string;
    verdict: "ok" | "drift" | "error" | "repaired";
}

/** Runs a shell command on a host; resolves with its exit code and output. */
export type HostRunner = (host: HostArgs, command: string) => Promise<{ code: number; stdout: string; stderr: string }>;

/** How the check reaches hosts: ssh (the user's client, with the stack's key and known_hosts files) or a local shell. */
export function defaultRunner(keyPath: string | undefined): HostRunner {
    return (host, command) =>
        new Promise((resolve) => {
            let argv: string[];
            const env = { ...process.env };
            if (host.ssh) {
                argv = sshArgv(host.ssh, keyPath, command);
            } else {
                argv = ["sh", "-c", command];
                if (host.local?.dockerHost) {
                    env.DOCKER_HOST = host.local.dockerHost;
                }
            }
            const child = spawn(argv[0], argv.slice(1), { env, stdio: ["ignore", "pipe", "pipe"] });
            let stdout = "";
            let stderr = "";
            child.stdout.on("data", (d) => (stdout += d));
            child.stderr.on("data", (d) => (stderr += d));
            const timer = setTimeout(() => child.kill("SIGTERM"), 180000);
            child.on("close", (code) => {
                clearTimeout(timer);
                resolve({ code: code ?? 255, stdout, stderr });
            });
        });
}

/** Checks (and with `repair`, converges) every host of a stack. */
export async function checkStack(
    opts: PlanOptions & { repair?: boolean; run?: HostRunner },
): Promise<{ plan: StackPlan; rows: CheckRow[] }> {
    const plan = await planStack(opts);
    const cfg = loadStackConfig(opts.root, opts.stack, opts.configFile);
    const topology = topologyFromConfig(cfg.values, opts.stack);
    const run = opts.run ?? defaultRunner(cfg.values["dockernet:sshPrivateKeyPath"]);
    const rows: CheckRow[] = [];
    for (const h of plan.hosts) {
        const args = hostArgsOf(topology, h.name);
        rows.push(...(await checkHost(plan, h, args, run, !!opts.repair)));
    }
    rows.push(...(await checkProbes(plan, topology, run)));
    return { plan, rows };
}

/** The host's Docker: its version and firewall backend, and whether dockernet can manage its firewall there. */
async function checkDocker(h: HostPlan, host: HostArgs, run: HostRunner): Promise<CheckRow> {
    const r = await run(
        host,
        `echo "dockerversion $(docker version --format '{{.Server.Version}}' 2>/dev/null | head -n 1)"; ` +
            `echo "firewallbackend $(docker info --format '{{if .FirewallBackend}}{{.FirewallBackend.Driver}}{{end}}' 2>/dev/null | head -n 1)"; echo end`,
    );
    const o = parseObservation(r.stdout, "");
    const firewalled = h.scripts.some((s) => s.script === "firewall");
    const declared = firewalled
        ? `Docker ${TESTED_DOCKER.join(", ")} or another 20-28 line, iptables backend`
        : "any (no firewall rules here)";
    if (r.code !== 0 || !o.dockerVersion) {
        return {
            host: h.name,
            object: "docker",
            declared,
            seen: r.code !== 0 ? seenOf(r) : "Docker does not answer",
            verdict: "error",
        };
    }
    const seen = `${o.dockerVersion}${o.firewallBackend ? ` (${o.firewallBackend})` : ""}`;
    const why = firewalled ? dockerSupportProblem(h.name, o) : undefined;
    return {
        host: h.name,
        object: "docker",
        declared,
        seen: why ? `${seen}: ${why}` : seen,
        verdict: why ? "error" : "ok",
    };
}

async function checkHost(
    plan: StackPlan,
    h: HostPlan,
    host: HostArgs,
    run: HostRunner,
    repair: boolean,
): Promise<CheckRow[]> {
    const rows: CheckRow[] = [await checkDocker(h, host, run)];
    // The host scripts' own checks: bip, route sets, firewall chains (probes come last, separately).
    for (const s of h.scripts.filter((x) => x.script !== "probe" && x.createArgs)) {
        const args = s.createArgs!;
        const object =
            s.script === "bip"
                ? "bip (daemon.json)"
                : s.script === "routes"
                  ? `routes ${args[2]}`
                  : s.script === "swarm"
                    ? `swarm ${args[2]} ${args[4]}`
                    : `firewall ${args[2]}`;
        const declared =
            s.script === "bip"
                ? args[1]
                : s.script === "routes"
                  ? args.slice(3).join(" ") || "(none)"
                  : s.script === "swarm"
                    ? "member (dockernet's record)"
                    : `${args.slice(3).length} rule(s)`;
        const check = async () => run(host, scriptCommand(s.script, ["check", ...args.slice(1)]));
        let r = await check();
        const row: CheckRow = {
            host: h.name,
            object,
            declared,
            seen: seenOf(r),
            verdict: r.code === 0 ? "ok" : r.code === 1 ? "drift" : "error",
        };
        if (repair && row.verdict === "drift") {
            const fix = await run(host, scriptCommand(s.script, args));
            r = await check();
            row.seen = `${row.seen}; repaired: create ${fix.code === 0 ? fix.stdout.trim().split("\n").pop() : `failed (${seenOf(fix)})`}, then ${seenOf(r)}`;
            row.verdict = r.code === 0 ? "repaired" : "drift";
        }
        rows.push(row);
    }
    if (h.bip) {
        const r = await run(host, "ip -4 -o addr show dev docker0");
        const seen = /inet (\S+)/.exec(r.stdout)?.[1] ?? (r.code === 0 ? "(no address)" : seenOf(r));
        rows.push({
            host: h.name,
            object: "docker0 address",
            declared: h.bip,
            seen,
            verdict: seen === h.bip ? "ok" : r.code === 0 ? "drift" : "error",
        });
    }
    // Containers: running, in the declared mode, on the declared networks with their aliases.
    if (h.containers.length > 0) {
        const names = h.containers.map((c) => shellQuote(c.name)).join(" ");
        const r = await run(
            host,
            `for c in ${names}; do docker inspect --format '{{.Name}}|{{.State.Running}}|{{.HostConfig.NetworkMode}}|{{json .NetworkSettings.Networks}}' "$c" 2>/dev/null || echo "/$c|absent||"; done`,
        );
        const seen = new Map<
            string,
            { running: string; mode: string; networks: Record<string, { Aliases: string[] | null }> }
        >();
        for (const line of r.stdout.split("\n").filter(Boolean)) {
            const [name, running, mode, nets] = line.split("|");
            seen.set(name.replace(/^\//, ""), { running, mode, networks: nets ? JSON.parse(nets) : {} });
        }
        for (const c of h.containers) {
            const s = seen.get(c.name);
            const want =
                c.networks.length > 0
                    ? c.networks
                          .map((n) => `${n.name}${n.aliases.length ? ` (${n.aliases.join(", ")})` : ""}`)
                          .join("; ")
                    : c.networkMode.startsWith("container:")
                      ? c.networkMode
                      : c.networkMode === "bridge"
                        ? "bridge"
                        : `mode ${c.networkMode}`;
            if (!s || s.running === "absent") {
                rows.push({
                    host: h.name,
                    object: `container ${c.name}`,
                    declared: want,
                    seen: r.code === 0 ? "absent" : seenOf(r),
                    verdict: r.code === 0 ? "drift" : "error",
                });
                continue;
            }
            const problems: string[] = [];
            if (s.running !== "true") {
                problems.push("not running");
            }
            const missing: { net: string; aliases: string[] }[] = [];
            for (const n of c.networks) {
                const on = s.networks[n.name];
                const lacking = n.aliases.filter((a) => !(on?.Aliases ?? []).includes(a));
                if (!on || lacking.length > 0) {
                    missing.push({ net: n.name, aliases: n.aliases });
                    problems.push(on ? `on ${n.name} without alias ${lacking.join(", ")}` : `not on ${n.name}`);
                }
            }
            if (c.networks.length === 0 && c.networkMode === "bridge" && !s.networks.bridge) {
                problems.push("not on bridge (docker0)");
                missing.push({ net: "bridge", aliases: [] });
            }
            const row: CheckRow = {
                host: h.name,
                object: `container ${c.name}`,
                declared: want,
                seen: problems.length ? problems.join("; ") : "as declared",
                verdict: problems.length ? "drift" : "ok",
            };
            if (repair && problems.length > 0) {
                const steps = [
                    ...(s.running !== "true" ? [`docker start ${shellQuote(c.name)} >/dev/null`] : []),
                    ...missing.map(
                        (m) =>
                            `docker network disconnect ${shellQuote(m.net)} ${shellQuote(c.name)} >/dev/null 2>&1; docker network connect ${m.aliases.map((a) => `--alias ${shellQuote(a)} `).join("")}${shellQuote(m.net)} ${shellQuote(c.name)}`,
                    ),
                ];
                const fix = await run(host, steps.join(" && "));
                row.seen = `${row.seen}; repaired: ${fix.code === 0 ? steps.length + " docker call(s)" : `failed (${seenOf(fix)})`}`;
                row.verdict = fix.code === 0 ? "repaired" : "drift";
            }
            rows.push(row);
        }
    }
    return rows;
}

/** The stack's declared connectivity checks, run again (a container's address is read where it runs). */
async function checkProbes(
    plan: StackPlan,
    topology: ReturnType<typeof topologyFromConfig>,
    run: HostRunner,
): Promise<CheckRow[]> {
    const rows: CheckRow[] = [];
    for (const c of plan.checks) {
        const host = hostArgsOf(topology, c.host);
        let to = c.to;
        if (c.toContainerOn) {
            const r = await run(
                hostArgsOf(topology, c.toContainerOn),
                `docker inspect --format '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}' ${shellQuote(c.to)}`,
            );
            to = r.stdout.trim().split(/\s+/)[0] ?? "";
            if (r.code !== 0 || !to) {
                rows.push({
                    host: c.host,
                    object: `check ${c.name}`,
                    declared: `${c.from} -> ${c.to}: ${c.expect}`,
                    seen: `cannot read ${c.to}'s address on ${c.toContainerOn}: ${seenOf(r)}`,
                    verdict: "drift",
                });
                continue;
            }
        }
        const r = await run(
            host,
            scriptCommand("probe", [c.from, to, c.port === undefined ? "-" : String(c.port), c.expect, "3"]),
        );
        rows.push({
            host: c.host,
            object: `check ${c.name}`,
            declared: `${c.from} -> ${c.to}${c.port ? `:${c.port}` : ""}: ${c.expect}`,
            seen: seenOf(r),
            verdict: r.code === 0 ? "ok" : r.code === 1 ? "drift" : "error",
        });
    }
    return rows;
}

function seenOf(r: { code: number; stdout: string; stderr: string }): string {
    const text = `${r.stdout}\n${r.stderr}`.trim().split("\n").filter(Boolean);
    return r.code === 0 && text.length <= 1
        ? text[0] === "ok" || text.length === 0
            ? "as declared"
            : text[0]
        : text.join("; ") || `exit ${r.code}`;
}

/** The report as a table. */
export function formatCheck(stack: string, rows: CheckRow[]): string {
    const head = ["host", "object", "declared", "seen", "verdict"];
    const cells = rows.map((r) => [r.host, r.object, r.declared, r.seen, r.verdict]);
    const widths = head.map((h, i) => Math.min(60, Math.max(h.length, ...cells.map((c) => c[i].length))));
    const line = (c: string[]) => c.map((x, i) => (i === c.length - 1 ? x : x.padEnd(widths[i]))).join("  ");
    const drift = rows.filter((r) => r.verdict === "drift" || r.verdict === "error").length;
    const repaired = rows.filter((r) => r.verdict === "repaired").length;
    return [
        `dockernet check: stack ${stack}: ${rows.length} objects, ${drift} drifted${repaired ? `, ${repaired} repaired` : ""}`,
        line(head),
        ...cells.map(line),
        "",
    ].join("\n");
}
