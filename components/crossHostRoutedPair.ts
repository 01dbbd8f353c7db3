// Two Docker hosts whose containers reach each other directly: each daemon gets its own bip
// subnet, each host routes the peer's container subnet via the peer's LAN address, and the
// firewall lets that traffic in. The seed's second half, made safe, owned and reversible.
import * as pulumi from "@pulumi/pulumi";
import { HostArgs } from "./host/host";
import * as docker from "@pulumi/docker";
import { DockerHost } from "./host/dockerHost";
import { registeredArgs } from "./host/host";
import { HostParts, RoutedPlan, buildRoutedComponent, noHostParts, planRoutedHosts } from "./routedMesh";
import { ContainerSpec } from "./spec";
import { problemsFor } from "./validate";

// Older import paths of what moved to routedMesh.ts and host/dockerHost.ts.
export { RoutedHostPlan, routesTag } from "./routedMesh";
export { bipArgs } from "./host/dockerHost";

/** One side of a routed pair but for its host and containers: its LAN address, bip and adoption. */
export interface RoutedHostSettings {
    /** The host's LAN address with prefix, e.g. `192.168.100.200/24`; the peer routes via it. */
    lanAddress: string;
    /** docker0's own address with prefix (daemon.json `bip`), e.g. `172.17.0.1/16`; never the network address. */
    bip: string;
    /**
     * Take over what was made by hand for this host, instead of refusing it: a route to the peer's
     * container subnet via the peer's LAN address (the seed's `route add -net ... gw ...`) becomes
     * dockernet's in place, and is given back as it was when dockernet lets go of it; a `--bip` flag
     * with this side's bip in the Docker unit (the seed's ExecStart edit) is kept where it is, with
     * no restart; a container made by hand with a declared name (`docker run --name ...`) is
     * imported, not recreated, when it matches the declaration, and left running on destroy. A route
     * via another gateway, a flag with another value, or a container that differs is still an
     * error. Defaults to false.
     */
    adopt?: boolean;
}

/** One side of a CrossHostRoutedPair. */
export interface RoutedHostArgs extends RoutedHostSettings {
    /** How to reach the host. */
    host: HostArgs;
    /** Containers on docker0 (network mode bridge) on this host. Defaults to none. */
    containers?: ContainerSpec[];
}

/** How a routed pair treats its traffic and proves it, as a topology gives it too. */
export interface RoutedPairSettings {
    /**
     * Keep the client container's own address as the source between the two container subnets
     * (no masquerade: a nat RETURN before Docker's MASQUERADE, and an ACCEPT for the peer's
     * subnet). Defaults to false: the peer sees the host's LAN address, as in the seed.
     */
    preserveSourceIp?: boolean;
    /**
     * Prove the result at deployment: ping (and TCP to the first listening port) from the first
     * container on each side to the first on the other. Defaults to true when both sides have containers.
     */
    verify?: boolean;
}

/** Arguments of a CrossHostRoutedPair. */
export interface CrossHostRoutedPairArgs extends RoutedPairSettings {
    hostA: RoutedHostArgs;
    hostB: RoutedHostArgs;
}

/** A pair's plan: a routed mesh of two (`hosts[0]` is hostA). */
export type CrossHostPlan = RoutedPlan;

/** Validates the arguments (every problem at once) and computes each host's routes and rules. Pure. */
export function planCrossHostRoutedPair(name: string, args: CrossHostRoutedPairArgs): CrossHostPlan {
    const problems = problemsFor("CrossHostRoutedPair", name, args, `{ hostA, hostB }`);
    const plan = planRoutedHosts(
        problems,
        name,
        (["hostA", "hostB"] as const).map((field) => ({ field, side: args[field] })),
        { preserveSourceIp: args.preserveSourceIp, verify: args.verify },
    );
    problems.throwIfAny("CrossHostRoutedPair", name);
    return plan!;
}

/**
 * Two Docker hosts on one LAN whose containers reach each other by address: per host a bip,
 * a route to the peer's container subnet via the peer, and firewall rules in a chain of its own;
 * then the containers; then probes both ways. Resources grow with hosts, not hosts squared.
 */
export class CrossHostRoutedPair extends pulumi.ComponentResource {
    /** Container addresses by container name, both hosts. */
    public readonly addresses: pulumi.Output<{ [container: string]: string }>;
    /** Each host's container subnet, by host name. */
    public readonly subnets: pulumi.Output<{ [host: string]: string }>;
    /** The probes' reports (empty when verify is off). */
    public readonly probes: pulumi.Output<string[]>;
    /** The containers, by name. */
    public readonly containers: { [name: string]: docker.Container };
    /**
     * The host changes (bip, routes, firewall) by host name: other Docker objects on these hosts
     * should `dependsOn` them, since setting bip restarts Docker. TypeScript only (see HostParts).
     */
    get hostChanges(): { [host: string]: pulumi.Resource[] } {
        return this.hostParts().hostChanges;
    }
    /** Each host's DockerHost (its bip), by host name. TypeScript only (see HostParts). */
    get dockerHosts(): { [host: string]: DockerHost } {
        return this.hostParts().dockerHosts;
    }
    // A method (not a property holding a function) so the analyzer passes over it; the constructor
    // puts this instance's parts behind it.
    private hostParts(): HostParts {
        return noHostParts();
    }

    constructor(name: string, args: CrossHostRoutedPairArgs, opts?: pulumi.ComponentResourceOptions) {
        super("dockernet:index:CrossHostRoutedPair", name, registeredArgs(args), opts);
        const { outputs } = buildRoutedComponent(
            this,
            "CrossHostRoutedPair",
            name,
            args,
            () => planCrossHostRoutedPair(name, args),
            [args?.hostA, args?.hostB],
        );
        ({
            addresses: this.addresses,
            subnets: this.subnets,
            probes: this.probes,
            containers: this.containers,
        } = outputs);
        this.hostParts = () => outputs;
    }
}
