// Cross-host containers on Docker Swarm's overlay network: the path for teams that outgrow static
// routes (hosts on several subnets, hosts that come and go, names across hosts). A swarm over the
// given hosts (managers and workers, through swarm.sh; the ports Swarm needs opened in each member's
// INPUT through a dockernet chain), an attachable overlay network with
// subnet and gateway made through the manager, and containers on any member host that join it and
// reach each other by name through Docker's DNS.
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { perProgramRun, planFor } from "./component";
import { addressOn, container, images } from "./containers";
import { chainName, firewallArgs, inputRule } from "./host/firewall";
import {
    checkDistinctHosts,
    dockerProvider,
    HostArgs,
    hostCommand,
    hostEndpoint,
    hostScript,
    registeredArgs,
    validateHost,
} from "./host/host";
import { observationOf, observeHosts, requireSupportedDocker, rethrowAsResourceError } from "./host/observe";
import { checkHostAddress, checkSubnet, contains, formatIPv4, overlaps, parseCidr } from "./net";
import { ContainerSpec, checkPublishedPorts, checkUniqueNames, validateContainerSpec } from "./spec";
import { checkDockerName, problemsFor, show } from "./validate";

/** A swarm member's role. */
export const SwarmRole = { Manager: "manager", Worker: "worker" } as const;
export type SwarmRole = (typeof SwarmRole)[keyof typeof SwarmRole];

/** A swarm member but for its host and containers: its address and role. */
export interface SwarmMemberSettings {
    /** The host's address for swarm traffic between hosts (advertised, and listened on at 2377), e.g. its LAN address `192.168.100.200`. */
    address: string;
    /**
     * `manager` or `worker`. Defaults: the first host manages, the others work. Give 1, 3 or 5
     * managers (Raft keeps working while a majority of them is up: 3 ride out one down, 5 two). The
     * first manager makes the swarm; the others join it as managers.
     */
    role?: SwarmRole;
}

/** One host of the swarm. */
export interface SwarmMemberArgs extends SwarmMemberSettings {
    /** How to reach the host. */
    host: HostArgs;
    /**
     * Containers on this host, each on the overlay network (by name across every member host, and
     * by the aliases of a `networks` entry naming the overlay). Leave networkMode and networks out,
     * or give one networks entry with the overlay's name. Defaults to none.
     */
    containers?: ContainerSpec[];
}

/** A swarm overlay network but for its hosts: the network, its subnet and the member ports. */
export interface SwarmSettings {
    /** The overlay network's Docker name. Defaults to the component's name. */
    networkName?: string;
    /** The overlay's subnet, e.g. `10.30.0.0/24`. */
    subnet: string;
    /** The overlay's gateway inside the subnet. Defaults to the subnet's first address. */
    gateway?: string;
    /**
     * IPsec (ESP) between hosts for the overlay's traffic (`--opt encrypted`). Docker needs ESP and
     * the `rfc4106(gcm(aes))` algorithm in every member's kernel; where they are missing Docker still
     * creates the network, and the traffic is silently dropped. Defaults to false.
     */
    encrypted?: boolean;
    /**
     * Open the ports Swarm needs between the members in each member's INPUT, through a chain of
     * dockernet's own (firewall.sh, jumped to from the top of INPUT), accepting only from the other
     * members' addresses: 2377/tcp, 7946/tcp+udp and 4789/udp (encrypted: ESP, and 4789/udp only
     * as it comes out of IPsec). On a host whose INPUT accepts everything they change nothing; on
     * one that filters with iptables (a DROP policy, ufw) they are what lets the swarm form.
     * Removed with the member. Defaults to true; false leaves INPUT to you.
     */
    openPorts?: boolean;
    /**
     * The subnet of each member's `docker_gwbridge`, the bridge that takes the overlay's containers
     * out of the host (NATed), e.g. `10.33.0.0/24`. Left out, Docker picks a /16 from its default
     * pools (172.17-31.x, then 192.168.x) when the host first joins, knowing nothing of what dockernet
     * routes elsewhere. Given, dockernet makes docker_gwbridge with it before the join, and the
     * subnet is checked against everything else declared on the member host.
     */
    gwbridgeSubnet?: string;
}

/** Arguments of a SwarmOverlayNetwork. */
export interface SwarmOverlayNetworkArgs extends SwarmSettings {
    /** The member hosts. */
    hosts: SwarmMemberArgs[];
}

/** What a SwarmOverlayNetwork resolves to. */
export interface SwarmPlan {
    networkName: string;
    subnet: string;
    gateway: string;
    encrypted: boolean;
    /** Index into hosts of the manager that makes the swarm (the first manager). */
    manager: number;
    /** Indexes of all managers, the first one first. */
    managers: number[];
    roles: SwarmRole[];
    openPorts: boolean;
    gwbridgeSubnet?: string;
    containers: { host: number; spec: ContainerSpec }[];
}

/** Validates the arguments (every problem at once) and resolves defaults. Pure. */
export function planSwarmOverlayNetwork(name: string, args: SwarmOverlayNetworkArgs): SwarmPlan {
    const problems = problemsFor(
        "SwarmOverlayNetwork",
        name,
        args,
        `{ hosts: [{ host, address }], subnet: "10.30.0.0/24" }`,
    );
    const networkName = args.networkName ?? name;
    checkDockerName(
        problems,
        args.networkName === undefined ? "name (used as networkName)" : "networkName",
        networkName,
    );
    const hosts = Array.isArray(args.hosts) ? args.hosts : [];
    if (!Array.isArray(args.hosts) || hosts.length === 0) {
        problems.add(
            "hosts",
            `is ${show(args.hosts)}; give at least one host, e.g. [{ host, address: "192.168.100.200" }]`,
        );
    }
    hosts.forEach((m, i) => {
        validateHost(problems, `hosts[${i}].host`, m?.host);
        const a = checkHostAddress(m?.address);
        if (!a.ok) {
            problems.add(
                `hosts[${i}].address`,
                `${a.problem}; give the host's address for swarm traffic, e.g. its LAN address`,
            );
        }
        if (m?.role !== undefined && m.role !== "manager" && m.role !== "worker") {
            problems.add(`hosts[${i}].role`, `${show(m.role)} is not a role; use "manager" or "worker"`);
        }
    });
    checkDistinctHosts(
        problems,
        hosts.map((m, i) => ({ field: `hosts[${i}].host`, host: m?.host })),
    );
    const addresses = new Map<string, number>();
    hosts.forEach((m, i) => {
        const first = addresses.get(m?.address);
        if (first !== undefined) {
            problems.add(
                `hosts[${i}].address`,
                `${show(m.address)} is already hosts[${first}].address; each host has its own address`,
            );
        } else if (typeof m?.address === "string") {
            addresses.set(m.address, i);
        }
    });
    const named = hosts.map((m, i) => (m?.role === "manager" ? i : -1)).filter((i) => i >= 0);
    const managers = named.length > 0 ? named : [0];
    if (named.length === 0 && hosts.length > 0 && hosts[0]?.role === "worker") {
        problems.add("hosts", 'has no manager; give one host role "manager"');
    }
    if (managers.length % 2 === 0) {
        const list = managers.map((i) => `hosts[${i}]`).join(", ");
        problems.add(
            `hosts[${managers[managers.length - 1]}].role`,
            `is "manager", making ${managers.length} managers (${list}); an even number of managers rides out no more managers down than one fewer would (Raft needs a majority): give 1, 3 or 5 managers`,
        );
    }
    const manager = managers[0];
    const roles = hosts.map((_, i) => (managers.includes(i) ? "manager" : "worker") as SwarmRole);

    const subnet = checkSubnet(args.subnet);
    let gateway = args.gateway ?? "";
    if (!subnet.ok) {
        problems.add("subnet", subnet.problem);
    } else {
        if (args.gateway === undefined) {
            gateway = formatIPv4(subnet.value.network + 1);
        } else {
            const gw = checkHostAddress(args.gateway);
            if (!gw.ok) {
                problems.add("gateway", gw.problem);
            } else if (
                !contains(subnet.value, gw.value) ||
                gw.value === subnet.value.network ||
                gw.value === subnet.value.broadcast
            ) {
                problems.add(
                    "gateway",
                    `${show(args.gateway)} is not a host address inside subnet ${subnet.value.text}; use e.g. ${formatIPv4(subnet.value.network + 1)}`,
                );
            }
        }
        hosts.forEach((m, i) => {
            const a = checkHostAddress(m?.address);
            if (a.ok && contains(subnet.value, a.value)) {
                problems.add(
                    "subnet",
                    `${subnet.value.text} holds hosts[${i}].address ${m.address}; the overlay must not overlap the hosts' own network`,
                );
            }
        });
    }
    if (args.gwbridgeSubnet !== undefined) {
        const gw = checkSubnet(args.gwbridgeSubnet);
        if (!gw.ok) {
            problems.add("gwbridgeSubnet", gw.problem);
        } else {
            if (subnet.ok && overlaps(subnet.value, gw.value)) {
                problems.add(
                    "gwbridgeSubnet",
                    `${gw.value.text} overlaps subnet ${subnet.value.text}; docker_gwbridge and the overlay need ranges of their own`,
                );
            }
            hosts.forEach((m, i) => {
                const a = checkHostAddress(m?.address);
                if (a.ok && contains(gw.value, a.value)) {
                    problems.add(
                        "gwbridgeSubnet",
                        `${gw.value.text} holds hosts[${i}].address ${m.address}; choose a range off the hosts' own network`,
                    );
                }
            });
        }
    }
    for (const key of ["encrypted", "openPorts"] as const) {
        if (args[key] !== undefined && typeof args[key] !== "boolean") {
            problems.add(key, `${show(args[key])} is not true or false`);
        }
    }

    const containers: { host: number; spec: ContainerSpec }[] = [];
    const names: { field: string; name: string | undefined }[] = [];
    hosts.forEach((m, i) => {
        checkPublishedPorts(
            problems,
            (m?.containers ?? []).map((spec, j) => ({ field: `hosts[${i}].containers[${j}]`, ports: spec?.ports })),
        );
        (m?.containers ?? []).forEach((spec, j) => {
            const field = `hosts[${i}].containers[${j}]`;
            const mode = spec?.networkMode;
            const nets = spec?.networks;
            if (mode !== undefined && mode !== "custom") {
                problems.add(
                    `${field}.networkMode`,
                    `is ${show(mode)}; containers of a SwarmOverlayNetwork are on the overlay: leave networkMode out`,
                );
            }
            if (nets !== undefined && (nets.length !== 1 || nets[0]?.name !== networkName)) {
                problems.add(
                    `${field}.networks`,
                    `must be left out or be one entry naming the overlay ${show(networkName)} (for aliases)`,
                );
            }
            const onOverlay: ContainerSpec = {
                ...spec,
                networkMode: "custom",
                networks: nets ?? [{ name: networkName }],
            };
            validateContainerSpec(problems, field, onOverlay);
            containers.push({ host: i, spec: onOverlay });
            names.push({ field: `${field}.name`, name: spec?.name });
        });
    });
    // Names resolve across every member host on the overlay: unique across the swarm, not per host.
    checkUniqueNames(
        problems,
        names,
        "in the swarm; names resolve on every member host, so they must be unique across the swarm",
    );
    problems.throwIfAny("SwarmOverlayNetwork", name);
    return {
        networkName,
        subnet: subnet.ok ? subnet.value.text : String(args.subnet),
        gateway,
        encrypted: args.encrypted === true,
        manager,
        managers,
        roles,
        openPorts: args.openPorts !== false,
        gwbridgeSubnet: args.gwbridgeSubnet,
        containers,
    };
}

/**
 * Docker's default local address pools (the daemon's defaults: a /16 each from 172.17 to 172.31,
 * then 192.168.0.0/16 in /20s). A bridge network created without a subnet, docker_gwbridge
 * included, gets the first range there that no Docker network of the host holds: the host's
 * routes are not looked at. Seen on the lab's Docker: with `172.18.0.0/16 via <peer>` in the
 * table, `docker network create` took 172.18.0.0/16 and the host had two routes for it.
 */
const DOCKER_POOLS = [...Array.from({ length: 15 }, (_, k) => `172.${17 + k}.0.0/16`), "192.168.0.0/16"]
    .map((t) => parseCidr(t))
    .flatMap((c) => (c.ok ? [c.value] : []));

/**
 * Without a declared gwbridgeSubnet: the problem of a route on a member host (to another host's
 * containers) inside Docker's default pools, where Docker could put docker_gwbridge over it.
 */
export function gwbridgePoolProblem(route: string, where: string): string | undefined {
    const c = parseCidr(route);
    if (!c.ok || !DOCKER_POOLS.some((p) => overlaps(p, c.value))) {
        return undefined;
    }
    return `is not given, and ${where} routes ${route}, inside Docker's default address pools (172.17.0.0/16 to 172.31.0.0/16, 192.168.0.0/16), from which Docker picks docker_gwbridge's subnet without looking at the host's routes; give gwbridgeSubnet a range free on every member host, e.g. "10.33.0.0/24"`;
}

// The swarm each host is in, per program run: a Docker host is in one swarm at most, and swarm.sh
// keeps one record per host.
const swarmOfHost = new WeakMap<object, Map<string, string>>();
const swarmsByHost = (): Map<string, string> => perProgramRun(swarmOfHost);

/** swarm.sh's arguments for a member. */
export function swarmArgs(
    action: "create" | "delete",
    role: "manager" | "worker" | "peer",
    address: string,
    join?: string,
    token?: string,
    encrypted = false,
    gwbridgeSubnet?: string,
): string[] {
    return [
        action,
        "--role",
        role,
        "--advertise",
        address,
        ...(join ? ["--join", join] : []),
        ...(token ? ["--token", token] : []),
        ...(encrypted ? ["--encrypted", "yes"] : []),
        ...(gwbridgeSubnet ? ["--gwbridge-subnet", gwbridgeSubnet] : []),
    ];
}

/**
 * firewall.sh's rules on member `i`: what Swarm needs from each other member, by its address.
 * 2377/tcp on every member, managers or not: the rules then never depend on a role, so a refused
 * role change (swarm.sh refuses one in place) cannot have cut a manager's Raft port first; nothing
 * listens there on a worker. Encrypted, VXLAN is accepted only as it comes out of IPsec, next to
 * ESP itself: Docker drops cleartext VXLAN of an encrypted overlay, and an ACCEPT of plain
 * 4789/udp placed above that drop would let it through.
 */
export function swarmPortRules(plan: Pick<SwarmPlan, "encrypted">, addresses: string[], i: number): string[] {
    return addresses.flatMap((a, j) =>
        j === i
            ? []
            : [
                  inputRule("tcp", "2377", a),
                  inputRule("tcp", "7946", a),
                  inputRule("udp", "7946", a),
                  ...(plan.encrypted
                      ? [inputRule("esp", "-", a), inputRule("udp-ipsec", "4789", a)]
                      : [inputRule("udp", "4789", a)]),
              ],
    );
}

/**
 * One host resource of a swarm. The component makes exactly these, and `npm run plan` prints them:
 * one layout for both.
 */
export interface SwarmStep {
    /** The resource name. */
    name: string;
    /** Index into hosts of the host it runs on. */
    host: number;
    script: "swarm" | "firewall";
    /** The create arguments, given the join token when `token` names one. */
    create: (token?: string) => string[];
    delete: string[];
    /** The join token its create carries (read on the first manager during up, a secret). */
    token?: "worker" | "manager";
    /** The names of the steps (and token reads) it comes after. */
    after: string[];
}

/** The token reads: `docker swarm join-token -q <role>` on the first manager, by resource name. */
export function swarmTokenReads(name: string, plan: SwarmPlan): { name: string; role: "worker" | "manager" }[] {
    return [
        { name: `${name}-join-token`, role: "worker" },
        ...(plan.managers.length > 1 ? [{ name: `${name}-manager-token`, role: "manager" as const }] : []),
    ];
}

/**
 * The host resources of a swarm in the order they are made (deleted in reverse): each member's
 * ports, the first manager's init, then per other member a peer on the first manager (which
 * forgets the node once it has left) and its join (managers one after another, so a removal
 * demotes them one at a time).
 */
export function swarmSteps(name: string, plan: SwarmPlan, hosts: { hostName: string; address: string }[]): SwarmStep[] {
    const steps: SwarmStep[] = [];
    const addresses = hosts.map((h) => h.address);
    const ports = plan.openPorts && hosts.length > 1 ? hosts.map((h) => `${name}-${h.hostName}-swarm-ports`) : [];
    hosts.forEach((h, i) => {
        if (ports.length > 0) {
            const chain = chainName("S", `${name}/${h.hostName}`);
            const rules = swarmPortRules(plan, addresses, i);
            steps.push({
                name: ports[i],
                host: i,
                script: "firewall",
                create: () => firewallArgs("create", chain, rules),
                delete: firewallArgs("delete", chain, rules),
                after: [],
            });
        }
    });
    const lead = hosts[plan.manager];
    const leader = `${name}-${lead.hostName}-swarm`;
    steps.push({
        name: leader,
        host: plan.manager,
        script: "swarm",
        create: () =>
            swarmArgs("create", "manager", lead.address, undefined, undefined, plan.encrypted, plan.gwbridgeSubnet),
        delete: swarmArgs("delete", "manager", lead.address),
        after: ports.length > 0 ? [ports[plan.manager]] : [],
    });
    const tokens = swarmTokenReads(name, plan);
    let previousManager: string | undefined;
    hosts.forEach((h, i) => {
        if (i === plan.manager) {
            return;
        }
        const role = plan.roles[i];
        // Every manager but itself (a worker: all of them), first manager first.
        const through = plan.managers
            .filter((k) => k !== i)
            .map((k) => `${addresses[k]}:2377`)
            .join(",");
        const peer = `${name}-${lead.hostName}-peer-${h.hostName}`;
        steps.push({
            name: peer,
            host: plan.manager,
            script: "swarm",
            create: () => swarmArgs("create", "peer", h.address),
            delete: swarmArgs("delete", "peer", h.address),
            after: [leader],
        });
        const member = `${name}-${h.hostName}-swarm`;
        steps.push({
            name: member,
            host: i,
            script: "swarm",
            create: (token) =>
                swarmArgs("create", role, h.address, through, token, plan.encrypted, plan.gwbridgeSubnet),
            delete: swarmArgs("delete", role, h.address, through),
            token: role,
            after: [
                peer,
                ...ports,
                tokens.find((t) => t.role === role)!.name,
                ...(role === "manager" && previousManager ? [previousManager] : []),
            ],
        });
        if (role === "manager") {
            previousManager = member;
        }
    });
    return steps;
}

/**
 * A swarm over the given hosts and an attachable overlay network on it, with containers on any
 * member host joined to it by name. Destroy leaves every host as it was: containers and network
 * gone, each worker out of the swarm and forgotten by the manager, the manager out, and the
 * docker_gwbridge network a join made removed.
 */
export class SwarmOverlayNetwork extends pulumi.ComponentResource {
    public readonly networkName: string;
    public readonly network: docker.Network;
    /** The containers by name. */
    public readonly containers: { [name: string]: docker.Container };
    /** Each container's address on the overlay, by name. */
    public readonly addresses: pulumi.Output<{ [name: string]: string }>;
    /** What makes and keeps each member in the swarm: depend on these for anything that needs the swarm. */
    get members(): pulumi.Resource[] {
        return this.memberResources();
    }
    // A method the constructor points at this instance's members: a resource list has no type in a
    // Pulumi package schema, and the component analyzer passes over getters and methods (issue 28).
    private memberResources(): pulumi.Resource[] {
        return [];
    }

    constructor(name: string, args: SwarmOverlayNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
        super("dockernet:index:SwarmOverlayNetwork", name, registeredArgs(args), opts);
        const plan = planFor(this, args, () => planSwarmOverlayNetwork(name, args));
        // What the hosts show (the drift look, when it ran): the overlay must not overlap docker0 or a route there.
        const problems = problemsFor("SwarmOverlayNetwork", name, args, "");
        observeHosts(args.hosts.map((m) => m.host)); // once per host per program run; nothing when switched off
        rethrowAsResourceError(this, () =>
            requireSupportedDocker(
                "SwarmOverlayNetwork",
                name,
                args.hosts.map((m, i) => ({ field: `hosts[${i}].host`, host: m.host })),
            ),
        );
        const ranges = [
            ["subnet", plan.subnet],
            ...(plan.gwbridgeSubnet ? [["gwbridgeSubnet", plan.gwbridgeSubnet]] : []),
        ] as [string, string][];
        args.hosts.forEach((m, i) => {
            const o = observationOf(m.host);
            if (!o) {
                return;
            }
            if (!plan.gwbridgeSubnet) {
                // Before a join (no docker_gwbridge yet): any route in Docker's pools could end up
                // under the /16 Docker picks. After it: only a route docker_gwbridge overlaps.
                const gw = parseCidr(o.gwbridge ?? "");
                for (const r of o.routes ?? []) {
                    const dest = parseCidr(r.split(" ")[0] ?? "");
                    if (gw.ok && !(dest.ok && overlaps(dest.value, gw.value))) {
                        continue;
                    }
                    const problem = gwbridgePoolProblem(r.split(" ")[0] ?? "", `hosts[${i}] (${m.host.name})`);
                    if (problem) {
                        problems.add(
                            "gwbridgeSubnet",
                            gw.ok ? `${problem} (docker_gwbridge there has ${o.gwbridge})` : problem,
                        );
                    }
                }
            }
            for (const [field, range] of ranges) {
                const ours = parseCidr(range);
                for (const [what, text] of [
                    ["docker0", o.docker0],
                    ...(o.routes ?? []).map((r) => ["the route", r] as [string, string]),
                ] as [string, string][]) {
                    const c = parseCidr((text.split(" ")[0] ?? "").includes("/") ? text.split(" ")[0] : "");
                    if (ours.ok && c.ok && overlaps(c.value, ours.value)) {
                        problems.add(
                            field,
                            `${range} overlaps ${what} ${text} on hosts[${i}] (${m.host.name}); choose a range free on every member host`,
                        );
                    }
                }
            }
        });
        const claimed = swarmsByHost();
        args.hosts.forEach((m, i) => {
            const other = claimed.get(hostEndpoint(m.host));
            if (other !== undefined) {
                problems.add(
                    `hosts[${i}].host`,
                    `is host ${m.host.name}, already in ${other}; a Docker host is in one swarm at most: declare its containers in that swarm`,
                );
            }
        });
        if (problems.list.length === 0) {
            args.hosts.forEach((m, i) =>
                claimed.set(hostEndpoint(m.host), `SwarmOverlayNetwork "${name}" (hosts[${i}])`),
            );
        }
        try {
            problems.throwIfAny("SwarmOverlayNetwork", name);
        } catch (e) {
            throw new pulumi.ResourceError((e as Error).message, this);
        }
        this.networkName = plan.networkName;
        const hosts = args.hosts;
        const mgr = hosts[plan.manager];
        // The steps in order, each after the ones it names (deletes run in the reverse order).
        const made = new Map<string, pulumi.Resource>();
        const tokens = new Map<string, pulumi.Output<string>>();
        const memberOf: pulumi.Resource[] = [];
        for (const step of swarmSteps(
            name,
            plan,
            hosts.map((m) => ({ hostName: m.host.name, address: m.address })),
        )) {
            const m = hosts[step.host];
            const read = step.token && tokens.get(step.token);
            // (no token when the first manager failed: the member is not made then)
            const create = read ? read.apply((t) => step.create((t ?? "").trim())) : step.create();
            const r = hostScript(
                step.name,
                m.host,
                { script: step.script, create, delete: step.delete },
                { parent: this, dependsOn: step.after.map((n) => made.get(n)!) },
            );
            made.set(step.name, r);
            if (step.name === `${name}-${m.host.name}-swarm`) {
                memberOf[step.host] = r;
            }
            if (step.host === plan.manager && step.name === `${name}-${m.host.name}-swarm`) {
                // The join tokens, read on the first manager: secrets in the state, never printed.
                for (const t of swarmTokenReads(name, plan)) {
                    const c = hostCommand(
                        t.name,
                        mgr.host,
                        { create: `docker swarm join-token -q ${t.role}` },
                        { parent: this, dependsOn: [r], additionalSecretOutputs: ["stdout"] },
                    );
                    made.set(t.name, c);
                    tokens.set(t.role, pulumi.secret(c.stdout));
                }
            }
        }
        const managerSwarm = memberOf[plan.manager];
        this.memberResources = () => memberOf;

        const providers = hosts.map((m, i) =>
            i === plan.manager || (m.containers ?? []).length > 0
                ? dockerProvider(`${name}-${m.host.name}-provider`, m.host, this)
                : undefined,
        );
        this.network = new docker.Network(
            `${name}-network`,
            {
                name: plan.networkName,
                driver: "overlay",
                attachable: true,
                ipamConfigs: [{ subnet: plan.subnet, gateway: plan.gateway }],
                options: plan.encrypted ? { encrypted: "" } : undefined,
                // The label carries `encrypted` as well: the options the provider reads back hold the
                // daemon's own keys (vxlanid_list), so they are ignored below, and a change of
                // `encrypted` must still replace the network (labels are ForceNew).
                labels: [
                    { label: "dockernet.component", value: `SwarmOverlayNetwork/${name}` },
                    ...(plan.encrypted ? [{ label: "dockernet.encrypted", value: "true" }] : []),
                ],
            },
            {
                parent: this,
                provider: providers[plan.manager],
                dependsOn: [managerSwarm],
                deleteBeforeReplace: true,
                ignoreChanges: plan.encrypted ? ["options"] : [],
            },
        );
        this.containers = {};
        hosts.forEach((m, i) => {
            const specs = plan.containers.filter((c) => c.host === i).map((c) => c.spec);
            if (specs.length === 0) {
                return;
            }
            const prefix = `${name}-${m.host.name}`;
            const imgs = images(prefix, specs, { parent: this, provider: providers[i], dependsOn: [memberOf[i]] });
            for (const spec of specs) {
                this.containers[spec.name] = container(
                    `${prefix}-${spec.name}`,
                    spec,
                    imgs.get(spec.image)!,
                    `SwarmOverlayNetwork/${name}`,
                    {},
                    {
                        parent: this,
                        provider: providers[i],
                        dependsOn: [this.network, memberOf[i]],
                    },
                );
            }
        });
        const names = Object.keys(this.containers);
        this.addresses = pulumi
            .all(names.map((n) => addressOn(this.containers[n], plan.networkName)))
            .apply((a) => Object.fromEntries(names.map((n, k) => [n, a[k]])));
        this.registerOutputs({ networkName: plan.networkName, addresses: this.addresses });
    }
}
