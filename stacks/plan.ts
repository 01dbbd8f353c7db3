// The offline plan: what `npm run up` would do to each host, worked out with no Pulumi CLI. It
// reads the stack's config (stacks/Pulumi.<stack>.yaml) into a topology and prints the result of
// planTopology, the same value deployTopology maps onto resources: per host the Docker networks,
// images and containers, the exact host-script calls, and the routes and firewall rules they make.
// Nothing here opens a connection or starts a process: no SSH, no Docker socket, no network.
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import {
    HostPlan,
    PlannedContainer,
    PlannedNetwork,
    PlannedResource,
    PlannedScript,
    TopologyPlan,
    ValidationError,
    planTopology,
    topologyFromConfig,
} from "../components";
import { expandHome, hostsNeedingStackKey, keyMissing, shellQuote } from "../components/internal";

export type { HostPlan, PlannedContainer, PlannedNetwork, PlannedResource, PlannedScript };

export interface PlanOptions {
    /** The project directory: Pulumi.yaml and the stack config directory. */
    root: string;
    /** The stack name, e.g. `dev`. */
    stack: string;
    /** The stack's config file (like `pulumi up --config-file`). Defaults to `<stackConfigDir>/Pulumi.<stack>.yaml`. */
    configFile?: string;
}

export interface StackPlan extends Omit<TopologyPlan, "componentPlans"> {
    project: string;
    stack: string;
    configFile: string;
    /** Things the reader must know: placeholders used for secrets, files not read. */
    notes: string[];
}

/** A plan that cannot be made, with a message for the user (no stack trace needed). */
export class PlanError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "PlanError";
    }
}

/** The stack's config as the Pulumi language host would hand it to the program. */
export interface LoadedConfig {
    project: string;
    file: string;
    /** `dockernet:hosts` → JSON text, as `pulumi.runtime.allConfig()` returns it. */
    values: Record<string, string>;
    secretKeys: string[];
    notes: string[];
}

const SECRET_PLACEHOLDER = (key: string) => `[secret ${key}: not decrypted by the offline plan]`;

/** Reads Pulumi.yaml and the stack's config file into config values; secure values become placeholders. */
export function loadStackConfig(root: string, stack: string, configFile?: string): LoadedConfig {
    const projectFile = path.join(root, "Pulumi.yaml");
    if (!fs.existsSync(projectFile)) {
        throw new PlanError(`${projectFile} not found; run the plan from the dockernet project`);
    }
    const project = (yaml.load(fs.readFileSync(projectFile, "utf8")) ?? {}) as {
        name?: string;
        stackConfigDir?: string;
    };
    const projectName = project.name ?? "dockernet";
    const configDir = path.join(root, project.stackConfigDir ?? ".");
    const file = configFile ? path.resolve(configFile) : path.join(configDir, `Pulumi.${stack}.yaml`);
    if (!fs.existsSync(file)) {
        const known = fs.existsSync(configDir)
            ? fs
                  .readdirSync(configDir)
                  .map((f) => /^Pulumi\.(.+)\.ya?ml$/.exec(f)?.[1])
                  .filter((s): s is string => !!s)
                  .sort()
            : [];
        throw new PlanError(
            `stack ${JSON.stringify(stack)} has no config file ${path.relative(process.cwd(), file) || file}; ` +
                `stacks here: ${known.join(", ") || "(none)"}. Pick one with --stack, or create ${path.relative(root, file)}`,
        );
    }
    let doc: unknown;
    try {
        doc = yaml.load(fs.readFileSync(file, "utf8"));
    } catch (e) {
        throw new PlanError(`${file} is not valid YAML: ${(e as Error).message}`);
    }
    const config = doc === null || doc === undefined ? {} : (doc as { config?: unknown }).config;
    if (config !== undefined && config !== null && (typeof config !== "object" || Array.isArray(config))) {
        throw new PlanError(`${file}: "config" must be a mapping of keys such as dockernet:hosts to values`);
    }
    const values: Record<string, string> = {};
    const secretKeys: string[] = [];
    const notes: string[] = [];
    for (const [rawKey, raw] of Object.entries((config ?? {}) as Record<string, unknown>)) {
        const key = rawKey.includes(":") ? rawKey : `${projectName}:${rawKey}`;
        if (raw === null || raw === undefined) {
            continue;
        }
        let secret = false;
        const replace = (v: unknown): unknown => {
            if (
                v !== null &&
                typeof v === "object" &&
                !Array.isArray(v) &&
                Object.keys(v).length === 1 &&
                "secure" in v
            ) {
                secret = true;
                return SECRET_PLACEHOLDER(key);
            }
            if (Array.isArray(v)) {
                return v.map(replace);
            }
            if (v !== null && typeof v === "object") {
                return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, replace(x)]));
            }
            return v;
        };
        const value = replace(raw);
        values[key] =
            typeof value === "string" ? value : typeof value === "object" ? JSON.stringify(value) : String(value);
        if (secret) {
            secretKeys.push(key);
            notes.push(
                `${key} is a secret (secure: in ${path.basename(file)}); the offline plan cannot decrypt it and used a placeholder`,
            );
        }
    }
    return { project: projectName, file, values, secretKeys, notes };
}

/**
 * Runs the stack program under recording mocks (preview mode) and reads back, per host, what
 * `up` would create and run. Throws PlanError with the program's own message when it fails.
 */
export async function planStack(opts: PlanOptions): Promise<StackPlan> {
    if (!/^[A-Za-z0-9_.-]+$/.test(opts.stack)) {
        throw new PlanError(
            `stack name ${JSON.stringify(opts.stack)} is not valid; use letters, digits, '-', '_' and '.'`,
        );
    }
    const cfg = loadStackConfig(opts.root, opts.stack, opts.configFile);
    const notes = [...cfg.notes];
    const keyPath = cfg.values["dockernet:sshPrivateKeyPath"];
    if (keyPath !== undefined && cfg.values["dockernet:sshPrivateKey"] === undefined) {
        // The program would read the key file; the plan never reads key material.
        cfg.values["dockernet:sshPrivateKey"] = SECRET_PLACEHOLDER(`key file ${keyPath}`);
        cfg.secretKeys.push("dockernet:sshPrivateKey");
        notes.push(
            `dockernet:sshPrivateKeyPath ${keyPath}: not read by the plan (a placeholder key is used); ` +
                (fs.existsSync(expandHome(keyPath))
                    ? "the file exists here"
                    : "the file does not exist on this machine, so `up` from here would fail until it does"),
        );
    }
    if (cfg.values["dockernet:sshPrivateKey"] !== undefined && !cfg.secretKeys.includes("dockernet:sshPrivateKey")) {
        notes.push(
            `dockernet:sshPrivateKey is in plain text in ${path.basename(cfg.file)}: anyone who reads the file has the key; ` +
                `store it encrypted with \`pulumi config set --secret dockernet:sshPrivateKey --stack ${opts.stack} < ~/.ssh/id_ed25519\`, or use dockernet:sshPrivateKeyPath`,
        );
    }

    let plan: TopologyPlan;
    try {
        const topology = topologyFromConfig(cfg.values, opts.stack);
        plan = planTopology(topology, opts.stack);
        // The plan needs no key (it reads none); without one, `up` would stop, and the plan says so.
        const stackKey = cfg.values["dockernet:sshPrivateKey"] ?? cfg.values["dockernet:sshPrivateKeyPath"];
        if (stackKey === undefined && hostsNeedingStackKey(topology).length > 0) {
            notes.push(
                `config dockernet:sshPrivateKey ${keyMissing(opts.stack)}; until then \`up\` stops before any change`,
            );
        }
    } catch (e) {
        if (e instanceof ValidationError) {
            throw new PlanError(
                `stack ${opts.stack}: the program stops before any change (as \`pulumi preview\` and \`up\` would):\n${e.message}`,
            );
        }
        throw e;
    }
    return {
        project: cfg.project,
        stack: opts.stack,
        configFile: cfg.file,
        notes,
        hosts: plan.hosts,
        links: plan.links,
        checks: plan.checks,
        resources: plan.resources,
    };
}

/** The plan as text, host by host. `full` adds the whole command texts. */
export function formatPlan(plan: StackPlan, full = false): string {
    const out: string[] = [];
    out.push(
        `dockernet plan: stack ${plan.stack} (${path.basename(plan.configFile)}), worked out offline: no host, Docker engine or network was contacted`,
    );
    const components = plan.resources.filter((r) => r.type.startsWith("dockernet:index:")).length;
    const providers = plan.resources.filter((r) => r.type.startsWith("pulumi:providers:")).length;
    out.push(
        `  ${plan.resources.length - components - providers} resources in ${components} components, ${plan.hosts.length} host(s)`,
    );
    for (const note of plan.notes) {
        out.push(`  note: ${note}`);
    }
    for (const h of plan.hosts) {
        out.push("");
        out.push(`host ${h.name}  (${h.endpoint})`);
        out.push("  networks");
        out.push(
            `    ${pad("docker0", 22)} ${h.bip ? `bip ${h.bip} (set by bip.sh, owned by DockerHost ${h.name}; ${h.bipFrom}), subnet ${h.docker0Subnet}` : "Docker's default bridge (bip left as it is)"}`,
        );
        if (h.bipAdopt) {
            out.push(
                `    ${pad("", 22)} adopt: a --bip=${h.bip} flag in the Docker unit or on dockerd's command line is kept where it is (recorded, no restart, left in place on delete); a flag with another value is still an error`,
            );
        }
        for (const n of h.networks) {
            const parts = [
                n.driver === "overlay"
                    ? "overlay (swarm-scoped, attachable; made on the manager)"
                    : `bridge ${n.bridgeName ?? "(Docker names it br-<id>)"}`,
                `subnet ${n.subnet ?? "(Docker picks)"}`,
                `gateway ${n.gateway ?? "(first address)"}`,
            ];
            if (n.ipRange) {
                parts.push(`ip-range ${n.ipRange}`);
            }
            if (n.internal) {
                parts.push("internal (no traffic in or out)");
            }
            out.push(`    ${pad(n.name, 22)} ${parts.join("  ")}${n.component ? `  [${n.component}]` : ""}`);
        }
        for (const o of h.openings) {
            out.push(`    ${pad("", 22)} opened: ${o.a} <-> ${o.b} (firewall chain ${o.chain}, from DOCKER-USER)`);
        }
        if (h.routes.length > 0) {
            out.push("  routes (routes.sh: main table, proto 187, one set per pair or mesh)");
            for (const r of h.routes) {
                out.push(
                    `    ${pad(r.subnet, 22)} via ${r.via}${r.peer ? ` (${r.peer})` : ""}${r.component ? `  [${r.component}]` : ""}`,
                );
                if (r.adopt) {
                    out.push(
                        `    ${pad("", 22)} adopt: a hand-made route to ${r.subnet} via ${r.via} is taken over in place, given back on delete; via another gateway it is still an error`,
                    );
                }
            }
        }
        if (h.firewallRules.length > 0) {
            out.push(
                "  firewall rules (firewall.sh: chains of their own, jumped to from DOCKER-USER and nat POSTROUTING, and from raw PREROUTING where Docker is 28 or later)",
            );
            for (const r of h.firewallRules) {
                out.push(`    ${pad(r.chain, 22)} ${ruleText(r.rule)}`);
            }
        }
        if (h.images.length > 0) {
            out.push("  images (pulled when missing, kept on destroy)");
            for (const i of h.images) {
                out.push(`    ${i}`);
            }
        }
        if (h.containers.length > 0) {
            out.push("  containers");
        }
        for (const c of h.containers) {
            out.push(
                `    ${pad(c.name, 22)} image ${c.image}  network mode ${c.networkMode}${c.component ? `  [${c.component}]` : ""}`,
            );
            const detail: string[] = [];
            if (c.networks.length > 0) {
                detail.push(
                    `networks: ${c.networks.map((nw) => `${nw.name}${nw.aliases.length ? ` (alias ${nw.aliases.join(", ")})` : ""}${nw.ipv4Address ? ` ip ${nw.ipv4Address}` : ""}`).join("; ")}`,
                );
            }
            const fixed = c.networks.find((nw) => nw.ipv4Address)?.ipv4Address;
            detail.push(
                `ip: ${fixed ?? (c.networkMode === "host" ? "the host's own" : c.networkMode === "none" ? "none (loopback only)" : c.sharesNetnsOf ? `that of ${c.sharesNetnsOf}` : "assigned by Docker at up")}`,
            );
            if (c.published.length > 0) {
                detail.push(`publishes ${c.published.join(", ")}`);
            }
            if (c.listens.length > 0) {
                detail.push(`listens ${c.listens.join(", ")}`);
            }
            for (const e of c.hostsEntries) {
                detail.push(`/etc/hosts += ${e}`);
            }
            if (c.command) {
                detail.push(`command ${c.command.join(" ")}`);
            }
            detail.push(`restart ${c.restart ?? "unless-stopped"}`);
            for (const d of detail) {
                out.push(`    ${pad("", 22)} ${d}`);
            }
        }
        if (h.scripts.length > 0) {
            out.push(
                `  host scripts, as up runs them (bip first, probes last), over ${h.scripts[0].via}; each command carries the script's text (--full shows it)`,
            );
        }
        for (const s of h.scripts) {
            out.push(`    ${s.resource}`);
            out.push(
                `      create: ${s.createArgs ? callText(s.script, s.createArgs) : s.createText === undefined ? `${s.script}.sh <arguments known only during up>` : "(see --full)"}`,
            );
            if (s.deleteArgs) {
                out.push(`      delete: ${callText(s.script, s.deleteArgs)}`);
            } else if (s.script === "probe") {
                out.push("      delete: (nothing; a probe leaves nothing behind)");
            }
            if (s.note) {
                out.push(`      (${s.note})`);
            }
            if (full) {
                out.push(`      --- create, exact command text ---`);
                out.push(s.createText ?? "(known only during up)");
                if (s.deleteText) {
                    out.push(`      --- delete, exact command text ---`);
                    out.push(s.deleteText);
                }
                out.push(`      --- end ---`);
            }
        }
    }
    if (plan.links.length + plan.checks.length > 0) {
        out.push("");
        out.push("links and checks");
        for (const l of plan.links) {
            out.push(
                `  ${l.host}: ${l.consumer} -> ${l.target} as "${l.alias}" (${l.mode === "hosts" ? "/etc/hosts, like --link" : "Docker DNS on a shared network"})`,
            );
        }
        for (const c of plan.checks) {
            out.push(
                `  ${c.host}: check ${c.name}: from ${c.from} to ${c.to}${c.port ? `:${c.port}` : ""}, expect ${c.expect}`,
            );
        }
    }
    return out.join("\n") + "\n";
}

/** A firewall.sh rule in words: `accept,-,-,192.168.100.0/24,172.17.0.0/16` → `accept 192.168.100.0/24 -> 172.17.0.0/16`. */
function ruleText(rule: string): string {
    const f = rule.split(",");
    if (f[0] === "nat-return") {
        return `keep source ${f[1]} -> ${f[2]} (no masquerade)`;
    }
    const end = (iface: string, net: string) =>
        [iface !== "-" ? `dev ${iface}` : "", net !== "-" ? net : iface === "-" ? "any" : ""].filter(Boolean).join(" ");
    return `accept ${end(f[1], f[3])} -> ${end(f[2], f[4])}`;
}

/** `bip.sh 'create' '172.18.0.1/16'`: a host-script call as its words, quoted as they travel. */
export function callText(script: string, args: string[]): string {
    return [`${script}.sh`, ...args.map(shellQuote)].join(" ");
}

function pad(s: string, width: number): string {
    return s.length >= width ? s : s + " ".repeat(width - s.length);
}
