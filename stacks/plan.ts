// The offline plan: what `npm run up` would do to each host, worked out with no Pulumi CLI.
// It evaluates the stack program itself (bin/index.js, or index.ts under jest) under recording
// mocks in preview mode, with the config of stacks/Pulumi.<stack>.yaml, and reads the recorded
// resources back per host: Docker networks, images and containers, and the exact host-script
// calls. Nothing here opens a connection: no SSH, no Docker socket, no network.
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import * as pulumi from "@pulumi/pulumi";
import { HostArgs, Topology, TopologyContainer, hostEndpoint, topologyFromConfig } from "../components";
import { checkInterfaceCidr, formatCidr } from "../components/net";
import { scriptCommand, scriptPath, scriptText, shellQuote } from "../components/host/scripts";

export interface PlanOptions {
    /** The project directory: Pulumi.yaml and the stack config directory. */
    root: string;
    /** The stack name, e.g. `dev`. */
    stack: string;
    /** The stack's config file (like `pulumi up --config-file`). Defaults to `<stackConfigDir>/Pulumi.<stack>.yaml`. */
    configFile?: string;
    /** The program module. Defaults to the `index` beside this file's directory (bin/index.js, or index.ts). */
    program?: string;
}

/** What the program registered, as the engine would have received it. */
export interface Recorded {
    type: string;
    name: string;
    custom: boolean;
    inputs: Record<string, unknown>;
    /** Provider reference (`<urn>::<id>`), empty for the default provider. */
    provider: string;
}

export interface PlannedNetwork {
    resource: string;
    name: string;
    /** The Linux bridge; undefined when Docker names it (`br-<network id>`). */
    bridgeName?: string;
    /** undefined: Docker picks one from its default pools. */
    subnet?: string;
    gateway?: string;
    ipRange?: string;
    internal: boolean;
    component?: string;
}

export interface PlannedContainer {
    resource: string;
    name: string;
    image: string;
    /** `bridge`, `host`, `none`, a network name, or `container:<...>`. */
    networkMode: string;
    networks: { name: string; aliases: string[]; ipv4Address?: string }[];
    /** Published ports, `0.0.0.0:8080->80/tcp`. */
    published: string[];
    /** Ports the container listens on (from its spec), `80/tcp`. */
    listens: string[];
    /** Extra /etc/hosts lines (mode hosts links). */
    hostsEntries: string[];
    command?: string[];
    restart?: string;
    component?: string;
    /** For a sidecar: the container whose network namespace it joins. */
    sharesNetnsOf?: string;
}

export interface PlannedScript {
    resource: string;
    /** `bip`, `routes`, `firewall`, `probe`, or `?` when the body matches no script file. */
    script: string;
    /** The arguments; undefined when they are only known during `up` (they hold a resource output). */
    createArgs?: string[];
    deleteArgs?: string[];
    createText?: string;
    deleteText?: string;
    /** Why arguments are unknown, or what the run is for. */
    note?: string;
    /** `ssh root@192.168.100.200:22` or `local sh`. */
    via: string;
}

export interface HostPlan {
    name: string;
    endpoint: string;
    /** docker0's bip when a host script sets it, e.g. `172.18.0.1/16`. */
    bip?: string;
    /** docker0's subnet, when a bip is set. */
    docker0Subnet?: string;
    networks: PlannedNetwork[];
    images: string[];
    containers: PlannedContainer[];
    scripts: PlannedScript[];
    /** Static routes routes.sh adds: subnet via a peer's LAN address. */
    routes: { subnet: string; via: string; peer?: string }[];
    /** Paths opened between two bridges by firewall.sh (`connectTo`). */
    openings: { a: string; b: string; chain: string }[];
    /** Other firewall rules (subnet to subnet, nat returns). */
    firewallRules: { chain: string; rule: string }[];
}

export interface StackPlan {
    project: string;
    stack: string;
    configFile: string;
    /** Things the reader must know: placeholders used for secrets, files not read. */
    notes: string[];
    hosts: HostPlan[];
    links: { host: string; consumer: string; target: string; alias: string; mode: string }[];
    checks: { host: string; name: string; from: string; to: string; port?: number; expect: string }[];
    resources: Recorded[];
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
    const project = (yaml.load(fs.readFileSync(projectFile, "utf8")) ?? {}) as { name?: string; stackConfigDir?: string };
    const projectName = project.name ?? "dockernet";
    const configDir = path.join(root, project.stackConfigDir ?? ".");
    const file = configFile ? path.resolve(configFile) : path.join(configDir, `Pulumi.${stack}.yaml`);
    if (!fs.existsSync(file)) {
        const known = fs.existsSync(configDir)
            ? fs.readdirSync(configDir).map((f) => /^Pulumi\.(.+)\.ya?ml$/.exec(f)?.[1]).filter((s): s is string => !!s)
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
            if (v !== null && typeof v === "object" && !Array.isArray(v) && Object.keys(v).length === 1 && "secure" in v) {
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
        values[key] = typeof value === "string" ? value : typeof value === "object" ? JSON.stringify(value) : String(value);
        if (secret) {
            secretKeys.push(key);
            notes.push(`${key} is a secret (secure: in ${path.basename(file)}); the offline plan cannot decrypt it and used a placeholder`);
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
        throw new PlanError(`stack name ${JSON.stringify(opts.stack)} is not valid; use letters, digits, '-', '_' and '.'`);
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
                (fs.existsSync(keyPath) ? "the file exists here" : "the file does not exist on this machine, so `up` from here would fail until it does"),
        );
    }

    const recorded: Recorded[] = [];
    const providerInputs = new Map<string, Record<string, unknown>>();
    let n = 0;
    await pulumi.runtime.setMocks(
        {
            newResource: (args) => {
                recorded.push({ type: args.type, name: args.name, custom: args.custom ?? true, inputs: args.inputs, provider: args.provider ?? "" });
                if (args.type.startsWith("pulumi:providers:")) {
                    // A known id lets docker resources' provider references be traced to a host.
                    const id = `plan-provider-${++n}`;
                    providerInputs.set(id, args.inputs);
                    return { id, state: { ...args.inputs } };
                }
                // As in a preview: outputs are the inputs; everything computed stays unknown.
                return { id: undefined, state: { ...args.inputs } };
            },
            call: (args) => args.inputs,
        },
        cfg.project,
        opts.stack,
        true,
    );
    pulumi.runtime.setAllConfig(cfg.values, cfg.secretKeys);

    const program = opts.program ?? path.join(__dirname, "..", "index");
    const failures: unknown[] = [];
    const onRejection = (e: unknown) => failures.push(e);
    process.on("unhandledRejection", onRejection);
    try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- a Pulumi program runs when it is loaded, as under the language host
        require(program);
    } catch (e) {
        failures.push(e);
    }
    try {
        // Also after a failure: what the program had started must not leak into a later run.
        await settle(recorded);
    } catch (e) {
        failures.push(e);
    } finally {
        process.off("unhandledRejection", onRejection);
    }
    if (failures.length > 0) {
        throw new PlanError(`stack ${opts.stack}: the program stops before any change (as \`pulumi preview\` and \`up\` would):\n${failures.map(errorText).join("\n")}`);
    }

    const topology = topologyFromConfig(pulumi.runtime.allConfig());
    return {
        project: cfg.project,
        stack: opts.stack,
        configFile: cfg.file,
        notes,
        ...readBack(topology, recorded, providerInputs),
        resources: recorded,
    };
}

/** Groups the recorded resources by host and makes them readable. Pure. */
export function readBack(
    topology: Topology,
    recorded: Recorded[],
    providerInputs: Map<string, Record<string, unknown>>,
): Pick<StackPlan, "hosts" | "links" | "checks"> {
    const hosts = new Map<string, HostPlan>();
    const hostPlan = (name: string, endpoint: string) => {
        let h = hosts.get(name);
        if (!h) {
            h = { name, endpoint, networks: [], images: [], containers: [], scripts: [], routes: [], openings: [], firewallRules: [] };
            hosts.set(name, h);
        }
        return h;
    };
    const endpoints = new Map<string, string>();
    for (const h of topology.hosts ?? []) {
        const args = { ...h, ssh: h.ssh ? { ...h.ssh, privateKey: "" } : undefined } as HostArgs;
        endpoints.set(hostEndpoint(args), h.name);
        hostPlan(h.name, hostEndpoint(args));
    }
    const locals = (topology.hosts ?? []).filter((h) => h.local);
    const specs = containerSpecs(topology);

    const hostOfDocker = (r: Recorded): HostPlan => {
        const id = r.provider ? r.provider.slice(r.provider.lastIndexOf("::") + 2) : "";
        const endpoint = plain(providerInputs.get(id)?.host);
        if (typeof endpoint === "string") {
            return hostPlan(endpoints.get(endpoint) ?? endpoint, endpoint);
        }
        return hostPlan("(default Docker provider)", "DOCKER_HOST of whoever runs pulumi");
    };
    const hostOfCommand = (r: Recorded): { host: HostPlan; via: string } => {
        if (r.type === "command:remote:Command") {
            const c = plain(r.inputs.connection) as { host?: unknown; port?: unknown; user?: unknown } | undefined;
            const user = typeof c?.user === "string" ? c.user : "root";
            const port = typeof c?.port === "number" ? c.port : 22;
            const address = typeof c?.host === "string" ? c.host : "?";
            const endpoint = `ssh://${user}@${address}:${port}`;
            return { host: hostPlan(endpoints.get(endpoint) ?? endpoint, endpoint), via: `ssh ${user}@${address}:${port}` };
        }
        const local = locals.length === 1 ? locals[0].name : "local";
        return { host: hostPlan(local, locals.length === 1 ? hostEndpoint({ name: local, local: locals[0].local }) : "the machine running pulumi"), via: "local /bin/sh" };
    };

    for (const r of recorded) {
        const inputs = plainDeep(r.inputs) as Record<string, unknown>;
        const component = labelsOf(inputs)["dockernet.component"];
        if (r.type === "docker:index/network:Network") {
            const ipam = (Array.isArray(inputs.ipamConfigs) ? inputs.ipamConfigs[0] : undefined) as Record<string, unknown> | undefined;
            const options = (inputs.options ?? {}) as Record<string, unknown>;
            hostOfDocker(r).networks.push({
                resource: r.name,
                name: text(inputs.name, "(name known at up)"),
                bridgeName: known(options["com.docker.network.bridge.name"]),
                subnet: known(ipam?.subnet),
                gateway: known(ipam?.gateway),
                ipRange: known(ipam?.ipRange),
                internal: inputs.internal === true,
                component,
            });
        } else if (r.type === "docker:index/remoteImage:RemoteImage") {
            const h = hostOfDocker(r);
            const name = text(inputs.name, "(image known at up)");
            if (!h.images.includes(name)) {
                h.images.push(name);
            }
        } else if (r.type === "docker:index/container:Container") {
            const h = hostOfDocker(r);
            h.containers.push(containerOf(r.name, inputs, component, h.name, specs, topology));
        } else if (r.type === "command:remote:Command" || r.type === "command:local:Command") {
            const { host, via } = hostOfCommand(r);
            const s = scriptOf(r.name, inputs, via, topology);
            host.scripts.push(s);
            absorbScript(host, s);
        }
    }
    // A stable order: containers as the stack file lists them, host scripts as up runs them
    // (bip first, probes last), then by name.
    const specIndex = new Map([...specs.keys()].map((k, i) => [k, i]));
    const rank: { [script: string]: number } = { bip: 0, routes: 1, firewall: 2, probe: 3 };
    for (const h of hosts.values()) {
        const at = (c: PlannedContainer) => specIndex.get(`${h.name}/${c.name}`) ?? Number.MAX_SAFE_INTEGER;
        h.containers.sort((a, b) => at(a) - at(b));
        h.scripts.sort((a, b) => (rank[a.script] ?? 4) - (rank[b.script] ?? 4) || (a.resource < b.resource ? -1 : a.resource > b.resource ? 1 : 0));
    }
    // Routes name the peer by its LAN address; say which host that is.
    const byAddress = new Map<string, string>();
    for (const h of topology.hosts ?? []) {
        if (h.ssh) {
            byAddress.set(h.ssh.address, h.name);
        }
    }
    for (const p of topology.routedPairs ?? []) {
        for (const side of [p.hostA, p.hostB]) {
            byAddress.set(String(side?.lanAddress).split("/")[0], side?.host);
        }
    }
    for (const h of hosts.values()) {
        for (const route of h.routes) {
            route.peer = byAddress.get(route.via);
        }
    }

    const links = (topology.links ?? []).map((l) => ({
        host: l.host,
        consumer: l.consumer?.name,
        target: l.target?.name,
        alias: l.alias ?? l.target?.name,
        mode: l.mode ?? "dns",
    }));
    const checks = (topology.checks ?? []).map((c) => ({ host: c.host, name: c.name, from: c.from, to: c.to, port: c.port, expect: c.expect ?? "reachable" }));
    return { hosts: [...hosts.values()].filter((h) => h.networks.length + h.containers.length + h.scripts.length + h.images.length > 0 || endpoints.has(h.endpoint)), links, checks };
}

/** The plan as text, host by host. `full` adds the whole command texts. */
export function formatPlan(plan: StackPlan, full = false): string {
    const out: string[] = [];
    out.push(`dockernet plan: stack ${plan.stack} (${path.basename(plan.configFile)}), worked out offline: no host, Docker engine or network was contacted`);
    out.push(`  ${plan.resources.filter((r) => r.custom && !r.type.startsWith("pulumi:providers:")).length} resources in ${plan.resources.filter((r) => !r.custom).length} components, ${plan.hosts.length} host(s)`);
    for (const note of plan.notes) {
        out.push(`  note: ${note}`);
    }
    for (const h of plan.hosts) {
        out.push("");
        out.push(`host ${h.name}  (${h.endpoint})`);
        out.push("  networks");
        out.push(`    ${pad("docker0", 22)} ${h.bip ? `bip ${h.bip} (set by bip.sh), subnet ${h.docker0Subnet}` : "Docker's default bridge (bip left as it is)"}`);
        for (const n of h.networks) {
            const parts = [
                `bridge ${n.bridgeName ?? "(Docker names it br-<id>)"}`,
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
            out.push(`    ${pad(c.name, 22)} image ${c.image}  network mode ${c.networkMode}${c.component ? `  [${c.component}]` : ""}`);
            const detail: string[] = [];
            if (c.networks.length > 0) {
                detail.push(
                    `networks: ${c.networks.map((nw) => `${nw.name}${nw.aliases.length ? ` (alias ${nw.aliases.join(", ")})` : ""}${nw.ipv4Address ? ` ip ${nw.ipv4Address}` : ""}`).join("; ")}`,
                );
            }
            const fixed = c.networks.find((nw) => nw.ipv4Address)?.ipv4Address;
            detail.push(`ip: ${fixed ?? (c.networkMode === "host" ? "the host's own" : c.networkMode === "none" ? "none (loopback only)" : c.sharesNetnsOf ? `that of ${c.sharesNetnsOf}` : "assigned by Docker at up")}`);
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
            out.push(`  host scripts, as up runs them (bip first, probes last), over ${h.scripts[0].via}; each command carries the script's text (--full shows it)`);
        }
        for (const s of h.scripts) {
            out.push(`    ${s.resource}`);
            out.push(`      create: ${s.createArgs ? callText(s.script, s.createArgs) : s.createText === undefined ? `${s.script}.sh <arguments known only during up>` : "(see --full)"}`);
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
            out.push(`  ${l.host}: ${l.consumer} -> ${l.target} as "${l.alias}" (${l.mode === "hosts" ? "/etc/hosts, like --link" : "Docker DNS on a shared network"})`);
        }
        for (const c of plan.checks) {
            out.push(`  ${c.host}: check ${c.name}: from ${c.from} to ${c.to}${c.port ? `:${c.port}` : ""}, expect ${c.expect}`);
        }
    }
    return out.join("\n") + "\n";
}

/** `bip.sh 'create' '172.18.0.1/16'`: a host-script call as its words, quoted as they travel. */
export function callText(script: string, args: string[]): string {
    return [`${script}.sh`, ...args.map(shellQuote)].join(" ");
}

/**
 * Reads a host-script command back into the script and its arguments: the script is the file whose
 * text the here-document carries, the arguments are the single-quoted words outside it. The result
 * counts only if writing it again (`scriptCommand`) gives exactly the same command text.
 */
export function parseScriptCommand(command: string): { script: string; args: string[] } | undefined {
    const m = /<<'DOCKERNET_SCRIPT_EOF'\n([\s\S]*?\n)DOCKERNET_SCRIPT_EOF\n/.exec(command);
    if (!m) {
        return undefined;
    }
    const outside = command.slice(0, m.index) + command.slice(m.index + m[0].length);
    const args = [...outside.matchAll(/'((?:[^']|'\\'')*)'/g)].map((w) => w[1].replace(/'\\''/g, "'"));
    const script = scriptNamed(m[1]);
    return script !== undefined && scriptCommand(script, args) === command ? { script, args } : undefined;
}

function scriptNamed(body: string): string | undefined {
    const dir = path.dirname(scriptPath("bip"));
    for (const file of fs.readdirSync(dir).filter((f) => f.endsWith(".sh")).sort()) {
        const name = file.slice(0, -3);
        const text = scriptText(name);
        if (body === (text.endsWith("\n") ? text : `${text}\n`)) {
            return name;
        }
    }
    return undefined;
}

function scriptOf(resource: string, inputs: Record<string, unknown>, via: string, topology: Topology): PlannedScript {
    const create = known(inputs.create);
    const del = known(inputs.delete);
    const c = create !== undefined ? parseScriptCommand(create) : undefined;
    const d = del !== undefined ? parseScriptCommand(del) : undefined;
    let script = c?.script ?? d?.script ?? "?";
    let note: string | undefined;
    if (create === undefined) {
        // Only probes take resource outputs (a container's address) as arguments.
        const check = (topology.checks ?? []).find((k) => `${k.name}-probe` === resource);
        script = script === "?" ? "probe" : script;
        note = check
            ? `check ${check.name}: in ${check.from}, reach ${check.to}${check.port ? ` port ${check.port}` : ""}, expect ${check.expect ?? "reachable"}; the address is a container's, known once it runs`
            : "its arguments include a container's address, known once the container runs";
    } else if (!c) {
        note = "could not read this command back into a host script and its arguments; --full shows its exact text";
    }
    return { resource, script, createArgs: c?.args, deleteArgs: d?.args, createText: create, deleteText: del, note, via };
}

function absorbScript(h: HostPlan, s: PlannedScript): void {
    const a = s.createArgs;
    if (!a) {
        return;
    }
    if (s.script === "bip" && a[0] === "create" && a[1]) {
        const c = checkInterfaceCidr(a[1]);
        h.bip = a[1];
        h.docker0Subnet = c.ok ? formatCidr(c.value.network, c.value.prefix) : undefined;
    }
    if (s.script === "routes" && a[0] === "create") {
        for (const w of a.slice(1)) {
            const m = /^(\d+\.\d+\.\d+\.\d+\/\d+)=(\d+\.\d+\.\d+\.\d+)$/.exec(w);
            if (m) {
                h.routes.push({ subnet: m[1], via: m[2] });
            }
        }
    }
    if (s.script === "firewall" && a[0] === "create") {
        const chain = a[a.indexOf("--chain") + 1] ?? "?";
        for (const rule of a.filter((w) => /^(accept|nat-return),/.test(w))) {
            const f = rule.split(",");
            if (f[0] === "accept" && f[1] !== "-" && f[2] !== "-" && f[3] === "-" && f[4] === "-") {
                const [x, y] = [f[1], f[2]].sort();
                if (!h.openings.some((o) => o.a === x && o.b === y)) {
                    h.openings.push({ a: x, b: y, chain });
                }
            } else {
                h.firewallRules.push({ chain, rule });
            }
        }
    }
}

function containerOf(
    resource: string,
    inputs: Record<string, unknown>,
    component: string | undefined,
    host: string,
    specs: Map<string, TopologyContainer>,
    topology: Topology,
): PlannedContainer {
    const name = text(inputs.name, "(name known at up)");
    const spec = specs.get(`${host}/${name}`);
    const shared = (topology.sharedNamespaces ?? []).find((s) => s.host === host && (s.sidecars ?? []).some((x) => x?.name === name));
    const link = (topology.links ?? []).find((l) => l.host === host && l.consumer?.name === name);
    const networks = (Array.isArray(inputs.networksAdvanced) ? inputs.networksAdvanced : []).map((x) => {
        const nw = x as Record<string, unknown>;
        return {
            name: text(nw.name, "(network known at up)"),
            aliases: (Array.isArray(nw.aliases) ? nw.aliases : []).map((a) => text(a, "?")),
            ipv4Address: known(nw.ipv4Address),
        };
    });
    const declared = known(inputs.networkMode) ?? (shared ? `container:<id of ${shared.primary?.name}>` : "(known at up)");
    // On user-defined networks a container is created in mode bridge, which the provider then
    // disconnects: what the user declared (and gets) is mode custom.
    const mode = declared === "bridge" && networks.length > 0 ? "custom" : declared;
    const published = (Array.isArray(inputs.ports) ? inputs.ports : []).map((x) => {
        const p = x as Record<string, unknown>;
        return `${p.ip ?? "0.0.0.0"}:${p.external}->${p.internal}/${p.protocol ?? "tcp"}`;
    });
    const hostsEntries = (Array.isArray(inputs.hosts) ? inputs.hosts : []).map((x) => {
        const e = x as Record<string, unknown>;
        const target = link?.target?.name ?? "the target";
        const alias = link?.alias ?? target;
        const names = known(e.host) ?? [alias, `<id12 of ${target}>`, ...(alias !== target ? [target] : [])].join(" ");
        return `${known(e.ip) ?? `<address of ${target}>`} ${names}`;
    });
    return {
        resource,
        name,
        image: known(inputs.image) ?? spec?.image ?? "(image known at up)",
        networkMode: mode,
        networks,
        published,
        listens: (spec?.ports ?? []).filter((p) => p.external === undefined).map((p) => `${p.internal}/${p.protocol ?? "tcp"}`),
        hostsEntries,
        command: Array.isArray(inputs.command) ? inputs.command.map((w) => text(w, "?")) : undefined,
        restart: known(inputs.restart),
        component,
        sharesNetnsOf: mode.startsWith("container:") ? shared?.primary?.name : undefined,
    };
}

function containerSpecs(t: Topology): Map<string, TopologyContainer> {
    const out = new Map<string, TopologyContainer>();
    const add = (host: string, c: TopologyContainer | undefined) => c && out.set(`${host}/${c.name}`, c);
    for (const l of t.links ?? []) {
        add(l.host, l.target);
        add(l.host, l.consumer);
    }
    for (const s of t.sharedNamespaces ?? []) {
        add(s.host, s.primary);
        (s.sidecars ?? []).forEach((c) => add(s.host, c));
    }
    for (const p of t.routedPairs ?? []) {
        for (const side of [p.hostA, p.hostB]) {
            (side?.containers ?? []).forEach((c) => add(side.host, c));
        }
    }
    return out;
}

function labelsOf(inputs: Record<string, unknown>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const l of Array.isArray(inputs.labels) ? inputs.labels : []) {
        const { label, value } = l as { label?: unknown; value?: unknown };
        if (typeof label === "string" && typeof value === "string") {
            out[label] = value;
        }
    }
    return out;
}

const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

function isUnknown(v: unknown): boolean {
    return v === UNKNOWN || (typeof v === "object" && v !== null && (v as Record<string, unknown>).__pulumiUnknown === true);
}

/** Unwraps a secret as the mocks see it (`{ <sig>: <secret sig>, value }`). */
function plain(v: unknown): unknown {
    if (typeof v === "object" && v !== null && (v as Record<string, unknown>)[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig) {
        return (v as Record<string, unknown>).value;
    }
    return v;
}

function plainDeep(v: unknown): unknown {
    const p = plain(v);
    if (Array.isArray(p)) {
        return p.map(plainDeep);
    }
    if (typeof p === "object" && p !== null && !isUnknown(p)) {
        return Object.fromEntries(Object.entries(p).map(([k, x]) => [k, plainDeep(x)]));
    }
    return p;
}

function known(v: unknown): string | undefined {
    return typeof v === "string" && !isUnknown(v) ? v : undefined;
}

function text(v: unknown, otherwise: string): string {
    return known(v) ?? (typeof v === "number" ? String(v) : otherwise);
}

function pad(s: string, width: number): string {
    return s.length >= width ? s : s + " ".repeat(width - s.length);
}

function errorText(e: unknown): string {
    if (e instanceof Error) {
        // A ResourceError's message is the component's own validation text; the stack trace adds nothing for the user.
        return e.message;
    }
    return String(e);
}

/** Waits until the program's registrations have all reached the mocks. */
async function settle(recorded: Recorded[]): Promise<void> {
    const runtime = pulumi.runtime as unknown as { waitForRPCs: () => Promise<void> };
    let seen = -1;
    while (seen !== recorded.length) {
        seen = recorded.length;
        await new Promise((r) => setTimeout(r, 25));
        await runtime.waitForRPCs();
    }
}
