// A whole topology as plain data: what a stack's config holds, read from the config with every
// wrong key reported at once. topologyPlan.ts validates and plans it; topology.ts deploys it.
import * as pulumi from "@pulumi/pulumi";
import { ContainerSpec } from "./spec";
import { Problems, show } from "./validate";

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

export interface TopologyMeshHost {
    host: string;
    lanAddress: string;
    /** Defaults to the mesh pool's block for this host (its number on the LAN). */
    bip?: string;
    containers?: TopologyContainer[];
}

export interface TopologyMesh {
    name: string;
    hosts: TopologyMeshHost[];
    pool?: { subnet: string; size?: number };
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
export interface TopologySpec {
    hosts: TopologyHost[];
    bridges?: TopologyBridge[];
    links?: TopologyLink[];
    sharedNamespaces?: TopologyShared[];
    routedPairs?: TopologyRoutedPair[];
    meshes?: TopologyMesh[];
    checks?: TopologyCheck[];
}

/** The config keys a stack may set (namespace `dockernet`), with their expected JSON types. */
export const CONFIG_KEYS: { [key: string]: "array" | "string" } = {
    hosts: "array",
    bridges: "array",
    links: "array",
    sharedNamespaces: "array",
    routedPairs: "array",
    meshes: "array",
    checks: "array",
    sshPrivateKey: "string",
    sshPrivateKeyPath: "string",
};

/**
 * Reads a topology from raw config values (key → JSON text, as Pulumi stores them): every key
 * of the wrong type, unknown, or missing is reported at once, naming the key.
 */
export function topologyFromConfig(raw: { [key: string]: string | undefined }, stack: string = pulumi.getStack?.() ?? "stack"): TopologySpec {
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
    return value as unknown as TopologySpec;
}

/** An SSH host needs the key: a stack without one stops before any change, saying how to set it. */
export function checkKeyGiven(t: TopologySpec, privateKey: unknown, stack: string = pulumi.getStack?.() ?? "stack"): void {
    if (privateKey === undefined && (t.hosts ?? []).some((h) => h?.ssh)) {
        const p = new Problems();
        p.add("config dockernet:sshPrivateKey", "is missing but SSH hosts are declared; set it with `pulumi config set --secret dockernet:sshPrivateKey < ~/.ssh/id_ed25519` (or set dockernet:sshPrivateKeyPath)");
        p.throwIfAny("topology", stack);
    }
}

