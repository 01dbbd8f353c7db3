// Two Docker hosts whose containers reach each other directly: each daemon gets its own bip
// subnet, each host routes the peer's container subnet via the peer's LAN address, and the
// firewall lets that traffic in. The seed's second half, made safe, owned and reversible.
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { planFor } from "./component";
import { ConnectivityCheck } from "./connectivityCheck";
import { addressOn, container, images, primaryNetwork, started } from "./containers";
import { acceptRule, chainName, firewallArgs, natReturnRule } from "./host/firewall";
import { checkDistinctHosts, dockerProvider, HostArgs, hostScript, registeredArgs, validateHost } from "./host/host";
import { Cidr, checkInterfaceCidr, contains, formatCidr, overlaps } from "./net";
import { ContainerSpec, checkUniqueNames, effectiveMode, validateContainerSpec } from "./spec";
import { problemsFor, show } from "./validate";

/** One side of a CrossHostRoutedPair. */
export interface RoutedHostArgs {
    /** How to reach the host. */
    host: HostArgs;
    /** The host's LAN address with prefix, e.g. `192.168.100.200/24`; the peer routes via it. */
    lanAddress: string;
    /** docker0's own address with prefix (daemon.json `bip`), e.g. `172.17.0.1/16`; never the network address. */
    bip: string;
    /** Containers on docker0 (network mode bridge) on this host. Defaults to none. */
    containers?: ContainerSpec[];
}

/** Arguments of a CrossHostRoutedPair. */
export interface CrossHostRoutedPairArgs {
    hostA: RoutedHostArgs;
    hostB: RoutedHostArgs;
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

/** What one host of the pair needs. Pure data; the plan printer and the resources both read it. */
export interface RoutedHostPlan {
    key: "A" | "B";
    hostName: string;
    bip: string;
    subnet: string;
    lanAddress: string;
    lanSubnet: string;
    routes: string[];
    firewallChain: string;
    firewallRules: string[];
}

export interface CrossHostPlan {
    hosts: [RoutedHostPlan, RoutedHostPlan];
    verify: boolean;
}

/** Validates the arguments (every problem at once) and computes each host's routes and rules. Pure. */
export function planCrossHostRoutedPair(name: string, args: CrossHostRoutedPairArgs): CrossHostPlan {
    const problems = problemsFor("CrossHostRoutedPair", name, args, `{ hostA, hostB }`);
    const sides = (["A", "B"] as const).map((k) => {
        const field = `host${k}`;
        const side = args[`host${k}`];
        if (side === undefined || side === null || typeof side !== "object") {
            problems.add(field, `is ${show(side)}; give { host, lanAddress: "192.168.100.200/24", bip: "172.17.0.1/16" }`);
            return undefined;
        }
        validateHost(problems, `${field}.host`, side.host);
        const lan = checkInterfaceCidr(side.lanAddress);
        if (!lan.ok) {
            problems.add(`${field}.lanAddress`, lan.problem.replace("a bip is the bridge's own address", "the LAN address is the host's own"));
        }
        const bip = checkInterfaceCidr(side.bip);
        if (!bip.ok) {
            problems.add(`${field}.bip`, bip.problem);
        }
        (side.containers ?? []).forEach((c, i) => {
            validateContainerSpec(problems, `${field}.containers[${i}]`, c);
            if (c && typeof c === "object" && effectiveMode(c) !== "bridge") {
                problems.add(`${field}.containers[${i}].networkMode`, `is ${show(effectiveMode(c))}; routed containers live on docker0, use "bridge"`);
            }
        });
        checkUniqueNames(problems, (side.containers ?? []).map((c, i) => ({ field: `${field}.containers[${i}].name`, name: c?.name })));
        return { k, field, side, lan: lan.ok ? lan.value : undefined, bip: bip.ok ? bip.value : undefined };
    });
    checkDistinctHosts(problems, sides.map((s) => ({ field: `${s?.field ?? "host"}.host`, host: s?.side.host })));

    const [a, b] = sides;
    if (a && b) {
        if (a.lan && b.lan && a.lan.address === b.lan.address) {
            problems.add("hostB.lanAddress", `${show(b.side.lanAddress)} is hostA's LAN address too; give hostB its own address (the pair needs two hosts)`);
        }
        for (const [me, peer] of [[a, b], [b, a]] as const) {
            if (me.lan && peer.lan && !contains(me.lan, peer.lan.address)) {
                problems.add(
                    `${peer.field}.lanAddress`,
                    `${show(peer.side.lanAddress)} is outside ${me.field}'s LAN ${subnetText(me.lan)}; a route's next hop must be on the same LAN, put both hosts on one subnet`,
                );
            }
        }
        if (a.bip && b.bip && overlaps(a.bip, b.bip)) {
            problems.add(
                "hostB.bip",
                `${show(b.side.bip)} overlaps hostA.bip ${subnetText(a.bip)}; each host needs its own container subnet, e.g. 172.18.0.1/16`,
            );
        }
        for (const s of [a, b]) {
            for (const l of [a, b]) {
                if (s.bip && l.lan && overlaps(s.bip, l.lan)) {
                    problems.add(`${s.field}.bip`, `${show(s.side.bip)} overlaps the LAN ${subnetText(l.lan)} of ${l.field}; choose a container subnet outside the LAN`);
                    break;
                }
            }
        }
        const names = [...(a.side.containers ?? []), ...(b.side.containers ?? [])];
        if (args.verify === true && ((a.side.containers ?? []).length === 0 || (b.side.containers ?? []).length === 0)) {
            problems.add("verify", `is true but ${names.length === 0 ? "neither host has" : "one host has no"} containers to probe from; add containers or drop verify`);
        }
    }
    if (args.preserveSourceIp !== undefined && typeof args.preserveSourceIp !== "boolean") {
        problems.add("preserveSourceIp", `${show(args.preserveSourceIp)} is not true or false`);
    }
    problems.throwIfAny("CrossHostRoutedPair", name);

    const plans = [a!, b!].map((me, i): RoutedHostPlan => {
        const peer = i === 0 ? b! : a!;
        const own = subnetText(me.bip!);
        const peerSubnet = subnetText(peer.bip!);
        const rules = [acceptRule("-", "-", subnetText(peer.lan!), own)];
        if (args.preserveSourceIp) {
            rules.push(acceptRule("-", "-", peerSubnet, own), natReturnRule(own, peerSubnet));
        }
        return {
            key: me.k,
            hostName: me.side.host.name,
            bip: me.bip!.text,
            subnet: own,
            lanAddress: me.lan!.text,
            lanSubnet: subnetText(me.lan!),
            routes: [`${peerSubnet}=${formatIp(peer.lan!)}`],
            firewallChain: chainName("X", `${name}/${me.side.host.name}`),
            firewallRules: rules,
        };
    });
    const haveContainers = (a!.side.containers ?? []).length > 0 && (b!.side.containers ?? []).length > 0;
    return { hosts: [plans[0], plans[1]], verify: args.verify ?? haveContainers };
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
     * should `dependsOn` them, since setting bip restarts Docker.
     */
    public readonly hostChanges: { [host: string]: pulumi.Resource[] };

    constructor(name: string, args: CrossHostRoutedPairArgs, opts?: pulumi.ComponentResourceOptions) {
        super("dockernet:index:CrossHostRoutedPair", name, registeredArgs(args), opts);
        const plan = planFor(this, args, () => planCrossHostRoutedPair(name, args));
        this.containers = {};
        this.hostChanges = {};
        const specsByName: { [name: string]: ContainerSpec } = {};
        const ready: pulumi.Resource[] = [];
        const sides = [args.hostA, args.hostB];
        const firstOf: (docker.Container | undefined)[] = [];
        plan.hosts.forEach((hp, i) => {
            const side = sides[i];
            const host = side.host;
            const prefix = `${name}-${hp.hostName}`;
            const bip = hostScript(`${prefix}-bip`, host, { script: "bip", create: bipArgs("create", hp.bip, host), delete: bipArgs("delete", hp.bip, host) }, { parent: this });
            const tag = routesTag(name, hp.hostName);
            const routes = hostScript(
                `${prefix}-routes`,
                host,
                { script: "routes", create: ["create", "--tag", tag, ...hp.routes], delete: ["delete", "--tag", tag, ...hp.routes] },
                { parent: this, dependsOn: [bip] },
            );
            const firewall = hostScript(
                `${prefix}-firewall`,
                host,
                { script: "firewall", create: firewallArgs("create", hp.firewallChain, hp.firewallRules), delete: firewallArgs("delete", hp.firewallChain, hp.firewallRules) },
                { parent: this, dependsOn: [bip] },
            );
            ready.push(routes, firewall);
            this.hostChanges[hp.hostName] = [bip, routes, firewall];
            const specs = side.containers ?? [];
            if (specs.length === 0) {
                firstOf.push(undefined);
                return;
            }
            const provider = dockerProvider(`${prefix}-provider`, host, this);
            const imgs = images(prefix, specs, { parent: this, provider, dependsOn: [bip] });
            const made = specs.map((spec) =>
                container(`${prefix}-${spec.name}`, spec, imgs.get(spec.image)!, `CrossHostRoutedPair/${name}`, {}, {
                    parent: this,
                    provider,
                    dependsOn: [bip],
                }),
            );
            made.forEach((c, j) => {
                this.containers[specs[j].name] = c;
                specsByName[specs[j].name] = specs[j];
            });
            firstOf.push(made[0]);
        });

        const probes: pulumi.Output<string>[] = [];
        if (plan.verify && firstOf[0] && firstOf[1]) {
            for (const [from, to, i] of [[firstOf[0], firstOf[1], 0], [firstOf[1], firstOf[0], 1]] as const) {
                const peerSpec = (i === 0 ? args.hostB : args.hostA).containers![0];
                const check = new ConnectivityCheck(
                    `${name}-probe-${plan.hosts[i].hostName}-to-${plan.hosts[1 - i].hostName}`,
                    {
                        host: sides[i].host,
                        fromContainer: from.name,
                        toAddress: addressOn(to, primaryNetwork(peerSpec)),
                        port: peerSpec.ports?.[0]?.internal,
                    },
                    { parent: this, dependsOn: [...ready, from, to] },
                );
                probes.push(check.result);
            }
        }
        const names = Object.keys(this.containers);
        this.addresses = pulumi
            .all(names.map((n) => addressOn(this.containers[n], primaryNetwork(specsByName[n]))))
            .apply((addrs) => Object.fromEntries(names.map((n, i) => [n, addrs[i]])));
        this.subnets = pulumi.output(Object.fromEntries(plan.hosts.map((h) => [h.hostName, h.subnet])));
        this.probes = pulumi.all(probes);
        this.registerOutputs({
            started: pulumi.all(names.map((n) => started(this.containers[n], specsByName[n]))),
            addresses: this.addresses,
            subnets: this.subnets,
            probes: this.probes,
        });
    }
}

/**
 * The routes.sh `--tag` of a pair on a host: a hash, like the chain names, so it is one-to-one
 * with the pair and host whatever characters the name holds.
 */
export function routesTag(pairName: string, hostName: string): string {
    return chainName("R", `${pairName}/${hostName}`);
}

/** The bip.sh argument list for one action, with the host's restart and log commands. */
export function bipArgs(action: "create" | "delete" | "check", bip: string, host: HostArgs): string[] {
    const out = [action, bip];
    if (host.restartCommand) {
        out.push("--restart-cmd", host.restartCommand);
    }
    if (host.logCommand) {
        out.push("--log-cmd", host.logCommand);
    }
    return out;
}

function subnetText(c: Cidr): string {
    return formatCidr(c.network, c.prefix);
}

function formatIp(c: Cidr): string {
    return c.text.split("/")[0];
}
