// `npm run plan -- --look`: what `adopt: true` would take over on the live hosts, what would be
// created, and what blocks adoption, from one read-only look per host (the same look the program
// takes for drift: components/host/observe.ts). The plan itself stays offline; only --look asks.
import {
    HostObservation,
    OBSERVE,
    adoptionProblems,
    hostArgsOf,
    parseObservation,
    shellQuote,
} from "../components/internal";
import { topologyFromConfig } from "../components";
import { net } from "../components";

const { contains, parseCidr, parseIPv4 } = net;
type Cidr = net.Cidr;
import { HostPlan, PlanOptions, StackPlan, loadStackConfig } from "./plan";
import { HostRunner, defaultRunner } from "./check";

/** One line of the look: what a declared object finds on its host. */
export interface AdoptionRow {
    host: string;
    object: string;
    /** adopt: taken over as it is; create: nothing there, made new; ours: dockernet's already; kept: a hand-made rule left as it is; blocks: up would stop here. */
    verdict: "adopt" | "create" | "ours" | "kept" | "blocks" | "error";
    detail: string;
}

/** Looks at every host of the stack (in parallel) and says what adoption would do there. */
export async function lookAdoption(plan: StackPlan, opts: PlanOptions & { run?: HostRunner }): Promise<AdoptionRow[]> {
    const cfg = loadStackConfig(opts.root, opts.stack, opts.configFile);
    const topology = topologyFromConfig(cfg.values, opts.stack);
    const run = opts.run ?? defaultRunner(cfg.values["dockernet:sshPrivateKeyPath"]);
    const at = new Date().toISOString();
    const looks = await Promise.all(
        plan.hosts.map(async (h) => {
            const r = await run(hostArgsOf(topology, h.name), `sh -c ${shellQuote(OBSERVE)}`);
            const o = r.code === 0 ? parseObservation(r.stdout, at) : undefined;
            return {
                h,
                o: o?.reachable ? o : undefined,
                why:
                    r.code === 0 ? "the answer was cut short" : (r.stderr.trim().split("\n").pop() ?? `exit ${r.code}`),
            };
        }),
    );
    return looks.flatMap(({ h, o, why }) =>
        o
            ? adoptionOf(h, o)
            : [{ host: h.name, object: "(host)", verdict: "error" as const, detail: `could not look: ${why}` }],
    );
}

/** What adoption would do on one host, from its plan and one look at it (pure). */
export function adoptionOf(h: HostPlan, o: HostObservation): AdoptionRow[] {
    const rows: AdoptionRow[] = [];
    const row = (object: string, verdict: AdoptionRow["verdict"], detail: string) =>
        rows.push({ host: h.name, object, verdict, detail });
    if (h.bip) {
        const flags = o.bipFlags ?? [];
        const where = (f: { where: string; value: string }) =>
            f.where === "running" ? `the running dockerd's --bip=${f.value}` : `the unit's --bip=${f.value}`;
        if (flags.length === 0) {
            row(
                "bip",
                o.bip === h.bip ? "ours" : "create",
                o.bip === h.bip
                    ? `daemon.json already has ${h.bip}`
                    : `set in daemon.json (${o.docker0 === h.bip ? "docker0 already has it: no restart" : "one Docker restart"})`,
            );
        } else if (flags.some((f) => f.value !== h.bip)) {
            row(
                "bip",
                "blocks",
                `${flags.map(where).join(" and ")}, declared ${h.bip}: a flag with another value is never adopted; declare bip ${flags[0].value}, or change the flag`,
            );
        } else if (h.bipAdopt) {
            row("bip", "adopt", `${flags.map(where).join(" and ")} kept where it is (recorded, no restart)`);
        } else {
            row(
                "bip",
                "blocks",
                `${flags.map(where).join(" and ")}: set adopt: true on the host to keep it where it is, or remove the flag`,
            );
        }
    }
    const routes = o.routes ?? [];
    for (const r of h.routes) {
        const line = routes.find((l) => l.split(" ")[0] === r.subnet);
        const object = `route ${r.subnet} via ${r.via}`;
        if (!line) {
            row(object, "create", "no route there now");
        } else if (/ proto (187|isis)( |$)/.test(line)) {
            row(object, "ours", line);
        } else if (!new RegExp(` via ${r.via.replace(/\./g, "\\.")}( |$)`).test(line)) {
            row(object, "blocks", `a hand-made route via another gateway: ${line}; remove it, or declare that gateway`);
        } else if (r.adopt) {
            row(object, "adopt", `${line} taken over in place (given back on delete)`);
        } else {
            row(
                object,
                "blocks",
                `a hand-made route: ${line}; set adopt: true on the host to take it over in place, or remove it`,
            );
        }
    }
    // Hand-made rules that already let a peer reach this host's containers: redundant once dockernet's chain does, and kept.
    const cidr = (text: string): Cidr | undefined => {
        const c = parseCidr(text.includes("/") ? text : `${text}/32`);
        return c.ok ? c.value : undefined;
    };
    const own = h.docker0Subnet ? cidr(h.docker0Subnet) : undefined;
    if (own) {
        for (const rule of o.acceptRules ?? []) {
            const src = /(?:^| )-s (\S+)/.exec(rule)?.[1];
            const dst = /(?:^| )-d (\S+)/.exec(rule)?.[1];
            // A plain "from these sources (to these destinations) accept": no interface, protocol, match or negation.
            if (!src || / -[iopm] | ! /.test(` ${rule} `)) {
                continue;
            }
            const s = cidr(src);
            const d = dst ? cidr(dst) : undefined;
            const peers = h.routes
                .map((r) => r.via)
                .filter((via) => {
                    const ip = parseIPv4(via);
                    return s !== undefined && ip.ok && contains(s, ip.value);
                });
            if (s && peers.length > 0 && (!dst || (d && d.network <= own.network && own.broadcast <= d.broadcast))) {
                row(
                    `rule ${rule}`,
                    "kept",
                    `already allows ${peers.join(", ")} to ${h.docker0Subnet}: redundant with dockernet's chain, kept (dockernet never deletes what it did not make)`,
                );
            }
        }
    }
    for (const c of h.containers) {
        const seen = o.containers?.get(c.name);
        const object = `container ${c.name}`;
        if (!seen) {
            row(object, "create", "no container of that name");
        } else if (seen.dockernet) {
            row(object, "ours", `made by dockernet (${seen.id.slice(0, 12)})`);
        } else if (!c.adopt) {
            row(
                object,
                "blocks",
                `a hand-made container of that name (${seen.id.slice(0, 12)}, ${seen.image}); set adopt: true on its routed host to import it, or remove or rename it`,
            );
        } else {
            const problems = adoptionProblems(c.adopt.field, h.name, c.adopt.spec, seen);
            if (problems.length === 0) {
                row(object, "adopt", `imported by id ${seen.id.slice(0, 12)} (not recreated; left running on destroy)`);
            } else {
                problems.forEach((p) => row(object, "blocks", `${p.field} ${p.message}`));
            }
        }
    }
    return rows;
}

/** The look as text: one line per object, grouped by host. */
export function formatAdoption(rows: AdoptionRow[]): string {
    const out = ["", "adoption, looked at on the hosts now (npm run plan -- --look; read-only):"];
    let host = "";
    for (const r of rows) {
        if (r.host !== host) {
            host = r.host;
            out.push(`  host ${host}`);
        }
        out.push(`    ${r.verdict.padEnd(7)} ${r.object}: ${r.detail}`);
    }
    const blocked = rows.filter((r) => r.verdict === "blocks" || r.verdict === "error").length;
    out.push(
        blocked === 0 ? "  nothing blocks adoption" : `  ${blocked} thing(s) block adoption: up would stop at them`,
    );
    return `${out.join("\n")}\n`;
}
