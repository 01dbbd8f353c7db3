// Cross-host containers on Docker Swarm's overlay network: the path for teams that outgrow static
// routes (hosts on several subnets, hosts that come and go, names across hosts). A swarm over the
// given hosts (one manager, the rest workers, through swarm.sh), an attachable overlay network with
// subnet and gateway made through the manager, and containers on any member host that join it and
// reach each other by name through Docker's DNS.
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { planFor } from "./component";
import { addressOn, container, images } from "./containers";
import { checkDistinctHosts, dockerProvider, HostArgs, hostCommand, hostScript, registeredArgs, validateHost } from "./host/host";
import { observationOf } from "./host/observe";
import { checkHostAddress, checkSubnet, contains, formatIPv4, overlaps, parseCidr } from "./net";
import { ContainerSpec, checkUniqueNames, validateContainerSpec } from "./spec";
import { checkDockerName, problemsFor, show } from "./validate";

/** One host of the swarm. */
export interface SwarmMemberArgs {
    /** How to reach the host. */
    host: HostArgs;
    /** The host's address for swarm traffic between hosts (advertised, and listened on at 2377), e.g. its LAN address `192.168.100.200`. */
    address: string;
    /** `manager` or `worker`. Defaults: the first host manages, the others work. One manager in this version. */
    role?: "manager" | "worker";
    /**
     * Containers on this host, each on the overlay network (by name across every member host, and
     * by the aliases of a `networks` entry naming the overlay). Leave networkMode and networks out,
     * or give one networks entry with the overlay's name. Defaults to none.
     */
    containers?: ContainerSpec[];
}

/** Arguments of a SwarmOverlayNetwork. */
export interface SwarmOverlayNetworkArgs {
    /** The member hosts. */
    hosts: SwarmMemberArgs[];
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
}

/** What a SwarmOverlayNetwork resolves to. */
export interface SwarmPlan {
    networkName: string;
    subnet: string;
    gateway: string;
    encrypted: boolean;
    /** Index into hosts of the manager. */
    manager: number;
    roles: ("manager" | "worker")[];
    containers: { host: number; spec: ContainerSpec }[];
}

/** Validates the arguments (every problem at once) and resolves defaults. Pure. */
export function planSwarmOverlayNetwork(name: string, args: SwarmOverlayNetworkArgs): SwarmPlan {
    const problems = problemsFor("SwarmOverlayNetwork", name, args, `{ hosts: [{ host, address }], subnet: "10.30.0.0/24" }`);
    const networkName = args.networkName ?? name;
    checkDockerName(problems, args.networkName === undefined ? "name (used as networkName)" : "networkName", networkName);
    const hosts = Array.isArray(args.hosts) ? args.hosts : [];
    if (!Array.isArray(args.hosts) || hosts.length === 0) {
        problems.add("hosts", `is ${show(args.hosts)}; give at least one host, e.g. [{ host, address: "192.168.100.200" }]`);
    }
    hosts.forEach((m, i) => {
        validateHost(problems, `hosts[${i}].host`, m?.host);
        const a = checkHostAddress(m?.address);
        if (!a.ok) {
            problems.add(`hosts[${i}].address`, `${a.problem}; give the host's address for swarm traffic, e.g. its LAN address`);
        }
        if (m?.role !== undefined && m.role !== "manager" && m.role !== "worker") {
            problems.add(`hosts[${i}].role`, `${show(m.role)} is not a role; use "manager" or "worker"`);
        }
    });
    checkDistinctHosts(problems, hosts.map((m, i) => ({ field: `hosts[${i}].host`, host: m?.host })));
    const addresses = new Map<string, number>();
    hosts.forEach((m, i) => {
        const first = addresses.get(m?.address);
        if (first !== undefined) {
            problems.add(`hosts[${i}].address`, `${show(m.address)} is already hosts[${first}].address; each host has its own address`);
        } else if (typeof m?.address === "string") {
            addresses.set(m.address, i);
        }
    });
    const named = hosts.map((m, i) => (m?.role === "manager" ? i : -1)).filter((i) => i >= 0);
    if (named.length > 1) {
        problems.add(`hosts[${named[1]}].role`, `is "manager", but hosts[${named[0]}] manages already; this version runs one manager: make the others "worker"`);
    }
    const manager = named[0] ?? 0;
    if (named.length === 0 && hosts.length > 0 && hosts[0]?.role === "worker") {
        problems.add("hosts", "has no manager; give one host role \"manager\"");
    }
    const roles = hosts.map((_, i) => (i === manager ? "manager" : "worker") as "manager" | "worker");

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
            } else if (!contains(subnet.value, gw.value) || gw.value === subnet.value.network || gw.value === subnet.value.broadcast) {
                problems.add("gateway", `${show(args.gateway)} is not a host address inside subnet ${subnet.value.text}; use e.g. ${formatIPv4(subnet.value.network + 1)}`);
            }
        }
        hosts.forEach((m, i) => {
            const a = checkHostAddress(m?.address);
            if (a.ok && contains(subnet.value, a.value)) {
                problems.add("subnet", `${subnet.value.text} holds hosts[${i}].address ${m.address}; the overlay must not overlap the hosts' own network`);
            }
        });
    }
    if (args.encrypted !== undefined && typeof args.encrypted !== "boolean") {
        problems.add("encrypted", `${show(args.encrypted)} is not true or false`);
    }

    const containers: { host: number; spec: ContainerSpec }[] = [];
    const names: { field: string; name: string | undefined }[] = [];
    hosts.forEach((m, i) => {
        (m?.containers ?? []).forEach((spec, j) => {
            const field = `hosts[${i}].containers[${j}]`;
            const mode = spec?.networkMode;
            const nets = spec?.networks;
            if (mode !== undefined && mode !== "custom") {
                problems.add(`${field}.networkMode`, `is ${show(mode)}; containers of a SwarmOverlayNetwork are on the overlay: leave networkMode out`);
            }
            if (nets !== undefined && (nets.length !== 1 || nets[0]?.name !== networkName)) {
                problems.add(`${field}.networks`, `must be left out or be one entry naming the overlay ${show(networkName)} (for aliases)`);
            }
            const onOverlay: ContainerSpec = { ...spec, networkMode: "custom", networks: nets ?? [{ name: networkName }] };
            validateContainerSpec(problems, field, onOverlay);
            containers.push({ host: i, spec: onOverlay });
            names.push({ field: `${field}.name`, name: spec?.name });
        });
    });
    // Names resolve across every member host on the overlay: unique across the swarm, not per host.
    checkUniqueNames(problems, names);
    problems.throwIfAny("SwarmOverlayNetwork", name);
    return { networkName, subnet: subnet.ok ? subnet.value.text : String(args.subnet), gateway, encrypted: args.encrypted === true, manager, roles, containers };
}

/** swarm.sh's arguments for a member. */
export function swarmArgs(action: "create" | "delete", role: "manager" | "worker" | "peer", address: string, join?: string, token?: string, encrypted = false): string[] {
    return [action, "--role", role, "--advertise", address, ...(join ? ["--join", join] : []), ...(token ? ["--token", token] : []), ...(encrypted ? ["--encrypted", "yes"] : [])];
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
    public readonly members: pulumi.Resource[];

    constructor(name: string, args: SwarmOverlayNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
        super("dockernet:index:SwarmOverlayNetwork", name, registeredArgs(args), opts);
        const plan = planFor(this, args, () => planSwarmOverlayNetwork(name, args));
        // What the hosts show (the drift look, when it ran): the overlay must not overlap docker0 or a route there.
        const problems = problemsFor("SwarmOverlayNetwork", name, args, "");
        const overlay = parseCidr(plan.subnet);
        args.hosts.forEach((m, i) => {
            const o = observationOf(m.host);
            if (!o || !overlay.ok) {
                return;
            }
            for (const [what, text] of [["docker0", o.docker0], ...(o.routes ?? []).map((r) => ["the route", r] as [string, string])] as [string, string][]) {
                const c = parseCidr((text.split(" ")[0] ?? "").includes("/") ? text.split(" ")[0] : "");
                if (c.ok && overlaps(c.value, overlay.value)) {
                    problems.add("subnet", `${plan.subnet} overlaps ${what} ${text} on hosts[${i}] (${m.host.name}); choose a subnet free on every member host`);
                }
            }
        });
        try {
            problems.throwIfAny("SwarmOverlayNetwork", name);
        } catch (e) {
            throw new pulumi.ResourceError((e as Error).message, this);
        }
        this.networkName = plan.networkName;
        const hosts = args.hosts;
        const mgr = hosts[plan.manager];
        const managerSwarm = hostScript(
            `${name}-${mgr.host.name}-swarm`,
            mgr.host,
            { script: "swarm", create: swarmArgs("create", "manager", mgr.address, undefined, undefined, plan.encrypted), delete: swarmArgs("delete", "manager", mgr.address) },
            { parent: this },
        );
        // The join token, read on the manager: a secret in the state, never printed.
        const token = hostCommand(`${name}-join-token`, mgr.host, { create: "docker swarm join-token -q worker" }, { parent: this, dependsOn: [managerSwarm], additionalSecretOutputs: ["stdout"] });
        const memberOf: pulumi.Resource[] = hosts.map(() => managerSwarm);
        hosts.forEach((m, i) => {
            if (i === plan.manager) {
                return;
            }
            // The manager forgets the worker once it has left (delete order: the worker leaves first).
            const peer = hostScript(
                `${name}-${mgr.host.name}-peer-${m.host.name}`,
                mgr.host,
                { script: "swarm", create: swarmArgs("create", "peer", m.address), delete: swarmArgs("delete", "peer", m.address) },
                { parent: this, dependsOn: [managerSwarm] },
            );
            const join = `${mgr.address}:2377`;
            memberOf[i] = hostScript(
                `${name}-${m.host.name}-swarm`,
                m.host,
                {
                    script: "swarm",
                    // (no token when the manager failed: the worker is not made then)
                    create: pulumi.secret(token.stdout).apply((t) => swarmArgs("create", "worker", m.address, join, (t ?? "").trim(), plan.encrypted)),
                    delete: swarmArgs("delete", "worker", m.address, join),
                },
                { parent: this, dependsOn: [peer] },
            );
        });
        this.members = memberOf.filter((r, i) => i === plan.manager || r !== managerSwarm);

        const providers = hosts.map((m, i) =>
            i === plan.manager || (m.containers ?? []).length > 0 ? dockerProvider(`${name}-${m.host.name}-provider`, m.host, this) : undefined,
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
            { parent: this, provider: providers[plan.manager], dependsOn: [managerSwarm], deleteBeforeReplace: true, ignoreChanges: plan.encrypted ? ["options"] : [] },
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
                this.containers[spec.name] = container(`${prefix}-${spec.name}`, spec, imgs.get(spec.image)!, `SwarmOverlayNetwork/${name}`, {}, {
                    parent: this,
                    provider: providers[i],
                    dependsOn: [this.network, memberOf[i]],
                });
            }
        });
        const names = Object.keys(this.containers);
        this.addresses = pulumi
            .all(names.map((n) => addressOn(this.containers[n], plan.networkName)))
            .apply((a) => Object.fromEntries(names.map((n, k) => [n, a[k]])));
        this.registerOutputs({ networkName: plan.networkName, addresses: this.addresses });
    }
}
