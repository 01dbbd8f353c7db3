// A whole topology as plain data (what a stack's config holds), its validation across
// components (names, references, overlapping subnets per host), and its deployment.
import * as pulumi from "@pulumi/pulumi";
import { ConnectivityCheck, validateConnectivityCheck } from "./connectivityCheck";
import { CrossHostRoutedPair, RoutedHostArgs, planCrossHostRoutedPair } from "./crossHostRoutedPair";
import { CustomBridgeNetwork, planCustomBridgeNetwork } from "./customBridgeNetwork";
import { HostArgs, hostEndpoint, newDockerProvider, validateHost } from "./host/host";
import { LinkedContainerPair, planLinkedContainerPair } from "./linkedContainerPair";
import { Cidr, checkInterfaceCidr, checkSubnet, formatCidr, overlaps } from "./net";
import { SharedNamespaceContainer, validateSharedNamespaceContainer } from "./sharedNamespaceContainer";
import { ContainerSpec, NetworkAttachmentSpec, checkUniqueNames } from "./spec";
import { Problems, ValidationError, checkDockerName, show } from "./validate";

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
export function topologyFromConfig(raw: { [key: string]: string | undefined }): Topology {
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
    problems.throwIfAny("stack configuration", pulumi.getStack?.() ?? "stack");
    return value as unknown as Topology;
}

/** Validates references and overlaps across the whole topology (each component checks itself too). */
export function validateTopology(t: Topology): void {
    const problems = new Problems();
    const hostNames = new Set<string>();
    const endpoints = new Map<string, string>();
    (t.hosts ?? []).forEach((h, i) => {
        const asArgs = { ...h, ssh: h?.ssh ? { ...h.ssh, privateKey: "(secret)" } : undefined } as HostArgs;
        validateHost(problems, `hosts[${i}]`, asArgs);
        if (hostNames.has(h?.name)) {
            problems.add(`hosts[${i}].name`, `${show(h.name)} is listed twice; give each host once`);
        }
        hostNames.add(h?.name);
        // The same machine under two names would slip past every per-host check.
        const at = h && typeof h === "object" ? hostEndpoint(asArgs) : undefined;
        if (at !== undefined && endpoints.has(at)) {
            const [f, v] = h.ssh ? ["ssh.address", h.ssh.address] : ["local.dockerHost", h.local?.dockerHost ?? "(default)"];
            problems.add(`hosts[${i}].${f}`, `${show(v)} reaches the same Docker host as ${show(endpoints.get(at))} (${at}); give each host once, under one name`);
        } else if (at !== undefined) {
            endpoints.set(at, h.name);
        }
    });
    const refHost = (field: string, name: unknown) => {
        if (typeof name !== "string" || !hostNames.has(name)) {
            problems.add(field, `${show(name)} is not one of the hosts (${[...hostNames].join(", ")}); add it to dockernet:hosts or fix the name`);
        }
    };
    const bridgesByHost = new Map<string, Set<string>>();
    const subnetsByHost = new Map<string, { field: string; cidr: Cidr; kind: string; text: string }[]>();
    // kind: the same LAN or bip declared again for one host (by several pairs) is one network.
    const addSubnet = (host: string, field: string, text: string | undefined, iface: boolean, kind = "net") => {
        if (text === undefined) {
            return;
        }
        const c = iface ? checkInterfaceCidr(text) : checkSubnet(text);
        if (!c.ok) {
            return; // the component reports it
        }
        const list = subnetsByHost.get(host) ?? [];
        for (const other of list) {
            if ((kind === "lan" || kind === "bip") && other.kind === kind && other.text === text) {
                continue;
            }
            if (overlaps(other.cidr, c.value)) {
                problems.add(field, `${show(text)} overlaps ${other.field} (${formatCidr(other.cidr.network, other.cidr.prefix)}) on host ${host}; give each network its own range`);
            }
        }
        list.push({ field, cidr: c.value, kind, text });
        subnetsByHost.set(host, list);
    };
    const names = new Set<string>();
    const uniqueName = (field: string, name: unknown) => {
        if (checkDockerName(problems, field, name)) {
            if (names.has(name)) {
                problems.add(field, `${show(name)} names two items of this stack; Pulumi resource names must be unique`);
            }
            names.add(name);
        }
    };
    // Routed pairs first: their LAN, own and peer subnets are what other networks must not overlap.
    (t.routedPairs ?? []).forEach((p, i) => {
        uniqueName(`routedPairs[${i}].name`, p.name);
        for (const k of ["hostA", "hostB"] as const) {
            const side = p[k];
            refHost(`routedPairs[${i}].${k}.host`, side?.host);
            if (side) {
                addSubnet(side.host, `routedPairs[${i}].${k}.lanAddress`, side.lanAddress, true, "lan");
                addSubnet(side.host, `routedPairs[${i}].${k}.bip`, side.bip, true, "bip");
            }
        }
        if (p.hostA && p.hostB) {
            // Each host routes the peer's container subnet: nothing local may shadow it.
            addSubnet(p.hostA.host, `routedPairs[${i}].hostB.bip (routed to ${p.hostA.host})`, p.hostB.bip, true, "peer");
            addSubnet(p.hostB.host, `routedPairs[${i}].hostA.bip (routed to ${p.hostB.host})`, p.hostA.bip, true, "peer");
        }
    });
    (t.bridges ?? []).forEach((b, i) => {
        uniqueName(`bridges[${i}].name`, b.name);
        refHost(`bridges[${i}].host`, b.host);
        bridgesByHost.set(b.host, (bridgesByHost.get(b.host) ?? new Set()).add(b.name));
        addSubnet(b.host, `bridges[${i}].subnet`, b.subnet, false);
    });
    const containersByHost = new Map<string, { field: string; name: string | undefined }[]>();
    const useContainer = (host: string, field: string, c: TopologyContainer | undefined) => {
        containersByHost.set(host, [...(containersByHost.get(host) ?? []), { field: `${field}.name`, name: c?.name }]);
        (c?.networks ?? []).forEach((n, j) => {
            if (!bridgesByHost.get(host)?.has(n.name)) {
                problems.add(`${field}.networks[${j}].name`, `${show(n.name)} is not a bridge on host ${host}; declare it in dockernet:bridges`);
            }
        });
    };
    (t.links ?? []).forEach((l, i) => {
        uniqueName(`links[${i}].name`, l.name);
        refHost(`links[${i}].host`, l.host);
        useContainer(l.host, `links[${i}].target`, l.target);
        useContainer(l.host, `links[${i}].consumer`, l.consumer);
        addSubnet(l.host, `links[${i}].subnet`, l.subnet, false);
    });
    (t.sharedNamespaces ?? []).forEach((s, i) => {
        uniqueName(`sharedNamespaces[${i}].name`, s.name);
        refHost(`sharedNamespaces[${i}].host`, s.host);
        useContainer(s.host, `sharedNamespaces[${i}].primary`, s.primary);
        (s.sidecars ?? []).forEach((c, j) => useContainer(s.host, `sharedNamespaces[${i}].sidecars[${j}]`, c));
    });
    (t.routedPairs ?? []).forEach((p, i) => {
        for (const k of ["hostA", "hostB"] as const) {
            (p[k]?.containers ?? []).forEach((c, j) => useContainer(p[k].host, `routedPairs[${i}].${k}.containers[${j}]`, c));
        }
    });
    for (const entries of containersByHost.values()) {
        checkUniqueNames(problems, entries);
    }
    (t.checks ?? []).forEach((c, i) => {
        uniqueName(`checks[${i}].name`, c.name);
        refHost(`checks[${i}].host`, c.host);
    });
    problems.throwIfAny("topology", pulumi.getStack?.() ?? "stack");
}

/**
 * Runs every component's own validation on the topology before any of them is created, so one
 * bad entry stops the stack before the first host is touched; all messages come in one error.
 */
export function validateComponents(t: Topology): void {
    const hosts = new Map((t.hosts ?? []).map((h) => [h.name, { ...h, ssh: h.ssh ? { ...h.ssh, privateKey: "(secret)" } : undefined } as HostArgs]));
    const spec = (c: TopologyContainer): ContainerSpec => c as ContainerSpec; // network names stay strings here
    const { attempt, throwIfAny } = validationCollector();
    for (const b of t.bridges ?? []) {
        attempt(() => planCustomBridgeNetwork(b.name, { ...b, host: hosts.get(b.host), networkName: b.name }));
    }
    for (const r of t.routedPairs ?? []) {
        const side = (s: TopologyRoutedSide): RoutedHostArgs => ({ ...s, host: hosts.get(s.host)!, containers: s.containers?.map(spec) });
        attempt(() => planCrossHostRoutedPair(r.name, { ...r, hostA: side(r.hostA), hostB: side(r.hostB) }));
    }
    for (const l of t.links ?? []) {
        attempt(() => planLinkedContainerPair(l.name, { ...l, host: hosts.get(l.host), target: spec(l.target), consumer: spec(l.consumer) }));
    }
    for (const s of t.sharedNamespaces ?? []) {
        attempt(() => validateSharedNamespaceContainer(s.name, { host: hosts.get(s.host), primary: spec(s.primary), sidecars: (s.sidecars ?? []).map(spec) }));
    }
    // A check may name one of the topology's containers; that name becomes its address at up.
    const containers = new Set([
        ...(t.links ?? []).flatMap((l) => [l.target?.name, l.consumer?.name]),
        ...(t.sharedNamespaces ?? []).map((s) => s.primary?.name),
        ...(t.routedPairs ?? []).flatMap((r) => [...(r.hostA?.containers ?? []), ...(r.hostB?.containers ?? [])].map((c) => c?.name)),
    ]);
    for (const c of t.checks ?? []) {
        const toAddress = containers.has(c.to) ? pulumi.output(c.to) : c.to;
        attempt(() => validateConnectivityCheck(c.name, { host: hosts.get(c.host)!, fromContainer: c.from, toAddress, port: c.port, expect: c.expect, attempts: c.attempts }));
    }
    throwIfAny();
}

/**
 * Runs validations one after another and gathers what they reject: `attempt` keeps a
 * ValidationError's message (any other error goes straight through), and `throwIfAny` throws
 * them all as one ValidationError, in order.
 */
function validationCollector(): { attempt: (fn: () => unknown) => void; throwIfAny: () => void } {
    const messages: string[] = [];
    return {
        attempt: (fn) => {
            try {
                fn();
            } catch (e) {
                if (!(e instanceof ValidationError)) {
                    throw e;
                }
                messages.push(e.message);
            }
        },
        throwIfAny: () => {
            if (messages.length > 0) {
                throw new ValidationError(messages.join("\n"), []);
            }
        },
    };
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
    try {
        // Cross-component rules and every component's own rules, all reported at once.
        const { attempt, throwIfAny } = validationCollector();
        attempt(() => validateTopology(t));
        attempt(() => validateComponents(t));
        throwIfAny();
        if (privateKey === undefined && t.hosts.some((h) => h.ssh)) {
            const p = new Problems();
            p.add("config dockernet:sshPrivateKey", "is missing but SSH hosts are declared; set it with `pulumi config set --secret dockernet:sshPrivateKey < ~/.ssh/id_ed25519` (or set dockernet:sshPrivateKeyPath)");
            p.throwIfAny("topology", pulumi.getStack());
        }
    } catch (e) {
        throw e instanceof ValidationError ? new pulumi.RunError(e.message) : e;
    }
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
        out.routedPairs[r.name] = new CrossHostRoutedPair(r.name, { ...r, hostA: side(r.hostA), hostB: side(r.hostB) }, opts);
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
        out.bridges[b.name] = new CustomBridgeNetwork(b.name, { ...b, host: host(b.host), networkName: b.name }, after(b.host));
    }
    for (const l of t.links ?? []) {
        out.links[l.name] = new LinkedContainerPair(l.name, { ...l, host: host(l.host), target: spec(l.target), consumer: spec(l.consumer) }, after(l.host));
    }
    for (const s of t.sharedNamespaces ?? []) {
        out.sharedNamespaces[s.name] = new SharedNamespaceContainer(s.name, { host: host(s.host), primary: spec(s.primary), sidecars: s.sidecars.map(spec) }, after(s.host));
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
            { host: host(c.host), fromContainer: c.from, toAddress: addresses.get(`${c.host}/${c.to}`) ?? routed.get(c.to) ?? c.to, port: c.port, expect: c.expect, attempts: c.attempts },
            after(c.host, allComponents()),
        );
    }
    return out;
}
