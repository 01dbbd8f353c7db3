// A whole topology as plain data: what a stack's config holds, read from the config with every
// wrong key reported at once. topologyPlan.ts validates and plans it; topology.ts deploys it.
import * as pulumi from "@pulumi/pulumi";
import type { ProbeSettings } from "./connectivityCheck";
import type { RoutedHostSettings, RoutedPairSettings } from "./crossHostRoutedPair";
import type { BridgeSettings } from "./customBridgeNetwork";
import type { HostBase, LocalHostArgs, SshConnectionArgs } from "./host/host";
import type { LinkSettings } from "./linkedContainerPair";
import type { RoutedMeshHostSettings, RoutedMeshSettings } from "./routedMesh";
import type { SwarmMemberSettings, SwarmSettings } from "./swarmOverlayNetwork";
import type { ContainerSettings, NetworkAttachmentOptions } from "./spec";
import { nearest, topologyKeys } from "./configShape";
import { Problems, show } from "./validate";

/** A host in config: HostArgs without the key text, which comes from one secret (dockernet:sshPrivateKey). */
export interface TopologyHost extends HostBase {
    /** Reach the host over SSH. */
    ssh?: SshConnectionArgs;
    /** The host is the machine running Pulumi. */
    local?: LocalHostArgs;
}

/** A user-defined network a container joins, named by the bridge's `name` in this topology. */
export interface TopologyNetworkAttachment extends NetworkAttachmentOptions {
    /** The `name` of one of this topology's bridges on the same host. */
    name: string;
}

/** A container in config: networks are named by the bridge's `name` in the topology. */
export interface TopologyContainer extends ContainerSettings {
    /** Environment variables (`-e KEY=VALUE`). Defaults to none. */
    env?: { [key: string]: string };
    /** User-defined networks to join, by the `name` of a bridge of this topology on the same host. Defaults to none. */
    networks?: TopologyNetworkAttachment[];
}

/** A custom bridge network (CustomBridgeNetwork) on one host. */
export interface TopologyBridge extends BridgeSettings {
    /** The component's name, which is also the Docker network's name; containers join it by this name. */
    name: string;
    /** The `name` of the host (in dockernet:hosts) it is on. */
    host: string;
}

/** A target and a consumer reaching it by an alias (LinkedContainerPair) on one host. */
export interface TopologyLink extends LinkSettings {
    /** The component's name. */
    name: string;
    /** The `name` of the host (in dockernet:hosts) it is on. */
    host: string;
    /** The container reached, by its name or `alias`. */
    target: TopologyContainer;
    /** The container that reaches the target by `alias`. Give it, `consumers`, or both. */
    consumer?: TopologyContainer;
    /** More containers that reach the same target, each by its own alias (defaults: `alias`, then the target's name). */
    consumers?: TopologyLinkConsumer[];
}

/** One more consumer of a link's target. */
export interface TopologyLinkConsumer {
    /** The consumer container. */
    container: TopologyContainer;
    /** The name it uses for the target. Defaults to the link's `alias`, then to the target's name. */
    alias?: string;
}

/** A primary container and sidecars in its network namespace (SharedNamespaceContainer). */
export interface TopologyShared {
    /** The component's name. */
    name: string;
    /** The `name` of the host (in dockernet:hosts) it is on. */
    host: string;
    /** The container whose network namespace the sidecars join. */
    primary: TopologyContainer;
    /** Containers in `container:<primary id>` mode. */
    sidecars: TopologyContainer[];
}

/** A container on its own (StandaloneContainer), in any network mode. */
export interface TopologyStandalone extends TopologyContainer {
    /** The `name` of the host (in dockernet:hosts) it runs on. */
    host: string;
}

/** One side of a routed pair: RoutedHostArgs with the host by name. */
export interface TopologyRoutedSide extends RoutedHostSettings {
    /** The `name` of the host (in dockernet:hosts). */
    host: string;
    /** Containers on docker0 (network mode bridge) on this host. Defaults to none. */
    containers?: TopologyContainer[];
}

/** Two hosts whose containers reach each other through routes (CrossHostRoutedPair). */
export interface TopologyRoutedPair extends RoutedPairSettings {
    /** The component's name. */
    name: string;
    hostA: TopologyRoutedSide;
    hostB: TopologyRoutedSide;
}

/** One host of a mesh: RoutedMeshHostArgs with the host by name. */
export interface TopologyMeshHost extends RoutedMeshHostSettings {
    /** The `name` of the host (in dockernet:hosts). */
    host: string;
    /** Containers on docker0 (network mode bridge) on this host. Defaults to none. */
    containers?: TopologyContainer[];
}

/** Hosts on one LAN whose containers all reach each other through routes (RoutedMesh). */
export interface TopologyMesh extends RoutedMeshSettings {
    /** The component's name. */
    name: string;
    /** The hosts, all on one LAN subnet. */
    hosts: TopologyMeshHost[];
}

/** One host of a swarm: SwarmMemberArgs with the host by name. */
export interface TopologySwarmHost extends SwarmMemberSettings {
    /** The `name` of the host (in dockernet:hosts). */
    host: string;
    /** Containers on this host, on the overlay (by name across every member host). Defaults to none. */
    containers?: TopologyContainer[];
}

/** Hosts in a Docker Swarm whose containers reach each other by name on an attachable overlay (SwarmOverlayNetwork). */
export interface TopologySwarm extends SwarmSettings {
    /** The component's name (and the overlay network's, unless networkName is given). */
    name: string;
    /** The member hosts; the first manages unless one has role manager. */
    hosts: TopologySwarmHost[];
}

/** A deployment-time probe (ConnectivityCheck) from a container of this topology. */
export interface TopologyCheck extends ProbeSettings {
    /** The component's name. */
    name: string;
    /** The `name` of the host the probe runs on. */
    host: string;
    /** The container the probe runs in. */
    from: string;
    /** An address, or the name of a container of this topology (its first address is used). */
    to: string;
}

/** Everything one stack declares. */
export interface TopologySpec {
    /** The Docker hosts, each once. */
    hosts: TopologyHost[];
    /** Custom bridge networks. */
    bridges?: TopologyBridge[];
    /** Containers reaching each other by name or alias. */
    links?: TopologyLink[];
    /** Containers sharing a network namespace. */
    sharedNamespaces?: TopologyShared[];
    /** Containers on their own, in any network mode (`docker run --net=host ...`). */
    containers?: TopologyStandalone[];
    /** Two hosts routed to each other (the seed's cross-host setup). */
    routedPairs?: TopologyRoutedPair[];
    /** Many hosts on one LAN routed to each other. */
    meshes?: TopologyMesh[];
    /** Hosts in a Docker Swarm with an overlay network (across subnets, names across hosts). */
    swarms?: TopologySwarm[];
    /** Probes that must see `reachable` or `isolated`. */
    checks?: TopologyCheck[];
}

/** The config keys a stack may set (namespace `dockernet`), with their expected JSON types. */
export const CONFIG_KEYS: { [key: string]: "array" | "string" } = {
    // Every TopologySpec key is a list (from the generated schema: a new one needs no edit here).
    ...Object.fromEntries(topologyKeys().map((k) => [k, "array" as const])),
    sshPrivateKey: "string",
    sshPrivateKeyPath: "string",
};

/**
 * Reads a topology from raw config values (key → JSON text, as Pulumi stores them): every key
 * of the wrong type, unknown, or missing is reported at once, naming the key.
 */
export function topologyFromConfig(
    raw: { [key: string]: string | undefined },
    stack: string = pulumi.getStack?.() ?? "stack",
): TopologySpec {
    const problems = new Problems();
    const value: { [key: string]: unknown } = {};
    for (const [fullKey, text] of Object.entries(raw)) {
        if (!fullKey.startsWith("dockernet:") || text === undefined) {
            continue;
        }
        const key = fullKey.slice("dockernet:".length);
        const type = CONFIG_KEYS[key];
        if (!type) {
            const near = nearest(key, Object.keys(CONFIG_KEYS));
            problems.add(
                `config ${fullKey}`,
                `is not a dockernet setting; ${near ? `did you mean dockernet:${near}? ` : ""}use one of: ${Object.keys(
                    CONFIG_KEYS,
                )
                    .map((k) => `dockernet:${k}`)
                    .join(", ")}`,
            );
            continue;
        }
        if (type === "string") {
            continue; // the key settings: read by the program (index.ts), not part of the topology
        }
        let parsed: unknown;
        try {
            parsed = JSON.parse(text);
        } catch {
            parsed = text;
        }
        if (!Array.isArray(parsed)) {
            problems.add(
                `config ${fullKey}`,
                `must be a list (YAML sequence), got ${typeof parsed === "string" ? show(parsed) : typeof parsed}; see stacks/Pulumi.dev.yaml`,
            );
            continue;
        }
        value[key] = parsed;
    }
    if (raw["dockernet:hosts"] === undefined) {
        problems.add(
            "config dockernet:hosts",
            `is missing; it is required: list the Docker hosts, e.g. [{ name: local, local: {} }]`,
        );
    }
    problems.throwIfAny("stack configuration", stack);
    return value as unknown as TopologySpec;
}

/** How to give a stack its SSH key: with the Pulumi CLI, or in the stack file without it. */
export function keyMissing(stack: string): string {
    return (
        `is missing but SSH hosts are declared; set it with \`pulumi config set --secret dockernet:sshPrivateKey --stack ${stack} < ~/.ssh/id_ed25519\`, ` +
        `or without the Pulumi CLI add \`dockernet:sshPrivateKeyPath: ~/.ssh/id_ed25519\` under config: in stacks/Pulumi.${stack}.yaml, ` +
        `or give each SSH host its own \`ssh.privateKeyPath\``
    );
}

/**
 * The SSH hosts that need the stack's key: those without a key file of their own (`ssh.privateKeyPath`,
 * which the Docker provider's ssh client uses, and the host scripts too, read as a secret, when the
 * stack gives no key).
 */
export function hostsNeedingStackKey(t: TopologySpec): string[] {
    return (t.hosts ?? []).filter((h) => h?.ssh && !h.ssh.privateKeyPath).map((h) => h.name);
}

/** An SSH host needs a key: a stack without one stops before any change, saying how to set it. */
export function checkKeyGiven(
    t: TopologySpec,
    privateKey: unknown,
    stack: string = pulumi.getStack?.() ?? "stack",
): void {
    if (privateKey === undefined && hostsNeedingStackKey(t).length > 0) {
        const p = new Problems();
        p.add("config dockernet:sshPrivateKey", keyMissing(stack));
        p.throwIfAny("topology", stack);
    }
}
