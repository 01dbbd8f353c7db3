// A whole topology as plain data (what a stack's config holds), its validation across
// components (names, references, overlapping subnets per host), and its deployment.
import * as pulumi from "@pulumi/pulumi";
import { plannedArgs } from "./component";
import { ConnectivityCheck } from "./connectivityCheck";
import { CrossHostRoutedPair, RoutedHostArgs } from "./crossHostRoutedPair";
import { CustomBridgeNetwork } from "./customBridgeNetwork";
import { HostArgs, newDockerProvider } from "./host/host";
import { LinkedContainerPair } from "./linkedContainerPair";
import { SharedNamespaceContainer } from "./sharedNamespaceContainer";
import { ContainerSpec, NetworkAttachmentSpec } from "./spec";
import { TopologyPlan, planTopology } from "./topologyPlan";
import { Problems, ValidationError, show } from "./validate";

/** A host in config: HostArgs without the key text, which comes from one secret. */
export interface TopologyHost {
    name: string;
    ssh?: { address: string; port?: number; user?: string; privateKeyPath?: string; knownHostsPath?: string; hostKey?: string };
    local?: { dockerHost?: string };
    restartCommand?: string;
    logCommand?: string;
}

/** A container in config: networks are named by the bridge's `name` in the topology. */
export interface TopologyContainer extends Omit<ContainerSpec, "networks"> {
    networks?: { name: string; aliases?: string[]; ipv4Address?: string }[];
}

export interface TopologyBridge {
    name: string;
    host: string;
    subnet: string;
    gateway?: string;
    ipRange?: string;
    bridgeName?: string;
    internal?: boolean;
    connectTo?: string[];
}

export interface TopologyLink {
    name: string;
    host: string;
    target: TopologyContainer;
    consumer: TopologyContainer;
    alias?: string;
    mode?: string;
    subnet?: string;
}

export interface TopologyShared {
    name: string;
    host: string;
    primary: TopologyContainer;
    sidecars: TopologyContainer[];
}

export interface TopologyRoutedSide {
    host: string;
    lanAddress: string;
    bip: string;
    containers?: TopologyContainer[];
}

export interface TopologyRoutedPair {
    name: string;
    hostA: TopologyRoutedSide;
    hostB: TopologyRoutedSide;
    preserveSourceIp?: boolean;
    verify?: boolean;
}

export interface TopologyCheck {
    name: string;
    host: string;
    /** The container the probe runs in. */
    from: string;
    /** An address, or the name of a container of this topology (its first address is used). */
    to: string;
    port?: number;
    expect?: string;
    attempts?: number;
}

/** Everything one stack declares. */
export interface Topology {
    hosts: TopologyHost[];
    bridges?: TopologyBridge[];
    links?: TopologyLink[];
    sharedNamespaces?: TopologyShared[];
    routedPairs?: TopologyRoutedPair[];
    checks?: TopologyCheck[];
}

/** The config keys a stack may set (namespace `dockernet`), with their expected JSON types. */
export const CONFIG_KEYS: { [key: string]: "array" | "string" } = {
    hosts: "array",
    bridges: "array",
    links: "array",
    sharedNamespaces: "array",
    routedPairs: "array",
    checks: "array",
    sshPrivateKey: "string",
    sshPrivateKeyPath: "string",
};

/**
 * Reads a topology from raw config values (key → JSON text, as Pulumi stores them): every key
 * of the wrong type, unknown, or missing is reported at once, naming the key.
 */
export function topologyFromConfig(raw: { [key: string]: string | undefined }, stack: string = pulumi.getStack?.() ?? "stack"): Topology {
    const problems = new Problems();
    const value: { [key: string]: unknown } = {};
    for (const [fullKey, text] of Object.entries(raw)) {
        if (!fullKey.startsWith("dockernet:") || text === undefined) {
            continue;
        }
        const key = fullKey.slice("dockernet:".length);
        const type = CONFIG_KEYS[key];
        if (!type) {
            problems.add(`config ${fullKey}`, `is not a dockernet setting; known keys: ${Object.keys(CONFIG_KEYS).map((k) => `dockernet:${k}`).join(", ")}`);
            continue;
        }
        if (type === "string") {
            value[key] = text;
            continue;
        }
        let parsed: unknown;
        try {
            parsed = JSON.parse(text);
        } catch {
            parsed = text;
        }
        if (!Array.isArray(parsed)) {
            problems.add(`config ${fullKey}`, `must be a list (YAML sequence), got ${typeof parsed === "string" ? show(parsed) : typeof parsed}; see stacks/Pulumi.dev.yaml`);
            continue;
        }
        value[key] = parsed;
    }
    if (raw["dockernet:hosts"] === undefined) {
        problems.add("config dockernet:hosts", `is missing; it is required: list the Docker hosts, e.g. [{ name: local, local: {} }]`);
    }
    problems.throwIfAny("stack configuration", stack);
    return value as unknown as Topology;
}

/** An SSH host needs the key: a stack without one stops before any change, saying how to set it. */
export function checkKeyGiven(t: Topology, privateKey: unknown, stack: string = pulumi.getStack?.() ?? "stack"): void {
    if (privateKey === undefined && (t.hosts ?? []).some((h) => h?.ssh)) {
        const p = new Problems();
        p.add("config dockernet:sshPrivateKey", "is missing but SSH hosts are declared; set it with `pulumi config set --secret dockernet:sshPrivateKey < ~/.ssh/id_ed25519` (or set dockernet:sshPrivateKeyPath)");
        p.throwIfAny("topology", stack);
    }
}

/** What a deployed topology exposes as stack outputs. */
export interface DeployedTopology {
    bridges: { [name: string]: CustomBridgeNetwork };
    links: { [name: string]: LinkedContainerPair };
    sharedNamespaces: { [name: string]: SharedNamespaceContainer };
    routedPairs: { [name: string]: CrossHostRoutedPair };
    checks: { [name: string]: ConnectivityCheck };
}

/**
 * Declares a validated topology with the components. `privateKey` is the SSH key for every SSH
 * host (a secret); `opts` reach every component (e.g. `providers`, `transforms`).
 */
export function deployTopology(
    t: Topology,
    privateKey: pulumi.Input<string> | undefined,
    opts?: pulumi.ComponentResourceOptions,
): DeployedTopology {
    let plan: TopologyPlan;
    try {
        // Cross-component rules and every component's own rules, all reported at once, once.
        plan = planTopology(t, pulumi.getStack());
        checkKeyGiven(t, privateKey);
    } catch (e) {
        throw e instanceof ValidationError ? new pulumi.RunError(e.message) : e;
    }
    const planned = <A extends object>(name: string, args: A): A => {
        plannedArgs.set(args, plan.componentPlans.get(name));
        return args;
    };
    // One Docker provider per host that has Docker objects, shared by every component on it: one
    // connection to each daemon instead of one per component. It gets the options that would have
    // reached it as a component's child (parent, protect, retainOnDelete, transforms).
    const docked = new Set([
        ...(t.routedPairs ?? []).flatMap((r) => [r.hostA, r.hostB]).filter((s) => (s.containers ?? []).length > 0).map((s) => s.host),
        ...[...(t.bridges ?? []), ...(t.links ?? []), ...(t.sharedNamespaces ?? [])].map((x) => x.host),
    ]);
    const providerOpts: pulumi.CustomResourceOptions = {
        parent: opts?.parent,
        protect: opts?.protect,
        retainOnDelete: opts?.retainOnDelete,
        transforms: opts?.transforms,
        transformations: opts?.transformations,
    };
    const hosts = new Map<string, HostArgs>(
        t.hosts.map((h) => {
            const args: HostArgs = { ...h, ssh: h.ssh ? { ...h.ssh, privateKey: pulumi.secret(privateKey!) } : undefined };
            const dockerProvider = docked.has(h.name) ? newDockerProvider(`dockernet-${h.name}`, args, providerOpts) : undefined;
            return [h.name, { ...args, dockerProvider }];
        }),
    );
    const host = (name: string) => hosts.get(name)!;
    const out: DeployedTopology = { bridges: {}, links: {}, sharedNamespaces: {}, routedPairs: {}, checks: {} };
    const spec = (c: TopologyContainer): ContainerSpec => ({
        ...c,
        networks: c.networks?.map((n): NetworkAttachmentSpec => ({ ...n, name: out.bridges[n.name].name })),
    });
    for (const r of t.routedPairs ?? []) {
        const side = (s: TopologyRoutedSide): RoutedHostArgs => ({ ...s, host: host(s.host), containers: s.containers?.map(spec) });
        out.routedPairs[r.name] = new CrossHostRoutedPair(r.name, planned(r.name, { ...r, hostA: side(r.hostA), hostB: side(r.hostB) }), opts);
    }
    // Everything else on a host waits for that host's changes (bip restarts Docker).
    const given = Array.isArray(opts?.dependsOn) ? (opts.dependsOn as pulumi.Input<pulumi.Resource>[]) : opts?.dependsOn ? [opts.dependsOn as pulumi.Input<pulumi.Resource>] : [];
    const after = (hostName: string, more: pulumi.Resource[] = []) => ({
        ...opts,
        dependsOn: [
            ...given,
            ...more,
            ...Object.values(out.routedPairs).flatMap((r) => r.hostChanges[hostName] ?? []),
        ],
    });
    for (const b of t.bridges ?? []) {
        out.bridges[b.name] = new CustomBridgeNetwork(b.name, planned(b.name, { ...b, host: host(b.host), networkName: b.name }), after(b.host));
    }
    for (const l of t.links ?? []) {
        out.links[l.name] = new LinkedContainerPair(l.name, planned(l.name, { ...l, host: host(l.host), target: spec(l.target), consumer: spec(l.consumer) }), after(l.host));
    }
    for (const s of t.sharedNamespaces ?? []) {
        out.sharedNamespaces[s.name] = new SharedNamespaceContainer(s.name, planned(s.name, { host: host(s.host), primary: spec(s.primary), sidecars: s.sidecars.map(spec) }), after(s.host));
    }
    // A check may name a container of this topology instead of an address.
    const addresses = new Map<string, pulumi.Output<string>>();
    for (const [l, pair] of (t.links ?? []).map((l) => [l, out.links[l.name]] as const)) {
        addresses.set(`${l.host}/${l.target.name}`, pair.targetAddress);
        addresses.set(`${l.host}/${l.consumer.name}`, pair.consumerAddress);
    }
    for (const s of t.sharedNamespaces ?? []) {
        addresses.set(`${s.host}/${s.primary.name}`, out.sharedNamespaces[s.name].address);
    }
    for (const r of t.routedPairs ?? []) {
        for (const side of [r.hostA, r.hostB]) {
            for (const c of side.containers ?? []) {
                addresses.set(`${side.host}/${c.name}`, out.routedPairs[r.name].addresses.apply((a) => a[c.name]));
            }
        }
    }
    // A routed pair's containers are reachable by address from the peer host too.
    const routed = new Map<string, pulumi.Output<string>>();
    for (const r of t.routedPairs ?? []) {
        for (const side of [r.hostA, r.hostB]) {
            for (const c of side.containers ?? []) {
                routed.set(c.name, addresses.get(`${side.host}/${c.name}`)!);
            }
        }
    }
    const allComponents = () => [...Object.values(out.links), ...Object.values(out.sharedNamespaces), ...Object.values(out.routedPairs), ...Object.values(out.bridges)];
    for (const c of t.checks ?? []) {
        out.checks[c.name] = new ConnectivityCheck(
            c.name,
            planned(c.name, { host: host(c.host), fromContainer: c.from, toAddress: addresses.get(`${c.host}/${c.to}`) ?? routed.get(c.to) ?? c.to, port: c.port, expect: c.expect, attempts: c.attempts }),
            after(c.host, allComponents()),
        );
    }
    return out;
}
