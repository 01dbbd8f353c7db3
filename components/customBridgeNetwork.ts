// A user-defined Docker bridge network with a known subnet, gateway and Linux bridge name, and
// (optionally) an opening of Docker's isolation towards other bridges through owned firewall rules.
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { planFor } from "./component";
import { dockerProvider, HostArgs, hostScript, registeredArgs, validateHost } from "./host/host";
import { chainName, firewallArgs } from "./host/firewall";
import { requireSupportedDocker, rethrowAsResourceError } from "./host/observe";
import { checkHostAddress, checkSubnet, contains, formatIPv4 } from "./net";
import { problemsFor, checkDockerName, checkInterfaceName, checkPlainText, show } from "./validate";

/** A custom bridge network's addresses, bridge and openings, as a topology gives them too. */
export interface BridgeSettings {
    /** The subnet, a network address with prefix, e.g. `172.19.0.0/16`. */
    subnet: string;
    /** The bridge's own address inside the subnet, e.g. `172.19.0.1`. Defaults to the subnet's first address. */
    gateway?: string;
    /** A sub-range Docker assigns container addresses from (`--ip-range`). Defaults to the whole subnet. */
    ipRange?: string;
    /**
     * The Linux bridge name (`com.docker.network.bridge.name`, at most 15 characters), so firewall
     * rules can name it. Defaults to `br-` and the network name, cut to 15 characters.
     */
    bridgeName?: string;
    /** No traffic in or out of the subnet (`--internal`). Defaults to false. */
    internal?: boolean;
    /**
     * Linux bridges this network may exchange traffic with, both ways, e.g. `["docker0"]` or another
     * CustomBridgeNetwork's `bridgeName`: the safe form of deleting Docker's isolation DROP rules.
     * Defaults to none (Docker's isolation stays).
     */
    connectTo?: string[];
}

/** Arguments of a CustomBridgeNetwork (`docker network create --driver bridge --subnet --gateway`). */
export interface CustomBridgeNetworkArgs extends BridgeSettings {
    /**
     * The Docker host. Required when `connectTo` is set (the firewall rules run there). Defaults to
     * the Docker provider that reaches this component through `providers` (or the ambient one).
     */
    host?: HostArgs;
    /** The Docker network name. Defaults to the component's name. */
    networkName?: string;
    /** Docker labels on the network. Defaults to none (dockernet adds `dockernet.component`). */
    labels?: { [key: string]: string };
}

/** What a CustomBridgeNetwork resolves to once its defaults are applied. */
export interface BridgePlan {
    networkName: string;
    subnet: string;
    gateway: string;
    ipRange?: string;
    bridgeName: string;
    internal: boolean;
    connectTo: string[];
    firewallChain?: string;
    firewallRules: string[];
}

/** Validates the arguments (every problem at once) and resolves defaults. Pure. */
export function planCustomBridgeNetwork(name: string, args: CustomBridgeNetworkArgs): BridgePlan {
    const problems = problemsFor("CustomBridgeNetwork", name, args, `at least { subnet: "172.19.0.0/16" }`);
    const networkName = args.networkName ?? name;
    checkDockerName(
        problems,
        args.networkName === undefined ? "name (used as networkName)" : "networkName",
        networkName,
    );
    if (args.host !== undefined) {
        validateHost(problems, "host", args.host);
    }

    const subnet = checkSubnet(args.subnet);
    if (!subnet.ok) {
        problems.add("subnet", subnet.problem);
    }
    let gateway = args.gateway;
    if (subnet.ok) {
        if (gateway === undefined) {
            gateway = formatIPv4(subnet.value.network + 1);
        } else {
            const gw = checkHostAddress(gateway);
            if (!gw.ok) {
                problems.add("gateway", gw.problem);
            } else if (!contains(subnet.value, gw.value)) {
                problems.add(
                    "gateway",
                    `${show(gateway)} is outside subnet ${subnet.value.text}; use an address inside it, e.g. ${formatIPv4(subnet.value.network + 1)}`,
                );
            } else if (gw.value === subnet.value.network || gw.value === subnet.value.broadcast) {
                const which = gw.value === subnet.value.network ? "network" : "broadcast";
                problems.add(
                    "gateway",
                    `${show(gateway)} is the ${which} address of ${subnet.value.text}; use ${formatIPv4(subnet.value.network + 1)}`,
                );
            }
        }
        if (args.ipRange !== undefined) {
            const range = checkSubnet(args.ipRange);
            if (!range.ok) {
                problems.add("ipRange", range.problem);
            } else if (!(
                contains(subnet.value, range.value.network) && contains(subnet.value, range.value.broadcast)
            )) {
                problems.add(
                    "ipRange",
                    `${show(args.ipRange)} is not inside subnet ${subnet.value.text}; use a range inside it`,
                );
            }
        }
    }

    const bridgeName = args.bridgeName ?? defaultBridgeName(networkName);
    if (checkInterfaceName(problems, "bridgeName", bridgeName) && ["docker0", "lo"].includes(bridgeName)) {
        problems.add(
            "bridgeName",
            `${show(bridgeName)} belongs to ${bridgeName === "lo" ? "the loopback interface" : "Docker's default bridge"}; choose another name, e.g. "br-${networkName.slice(0, 12)}"`,
        );
    }
    for (const [key, value] of Object.entries(args.labels ?? {})) {
        checkPlainText(problems, `labels.${key}`, value);
    }

    const connectTo = args.connectTo ?? [];
    const seen = new Set<string>();
    connectTo.forEach((peer, i) => {
        if (!checkInterfaceName(problems, `connectTo[${i}]`, peer)) {
            return;
        }
        if (peer === "lo") {
            problems.add(
                `connectTo[${i}]`,
                `"lo" is the loopback interface, not a bridge; name a Docker bridge such as "docker0"`,
            );
        } else if (peer === bridgeName) {
            problems.add(`connectTo[${i}]`, `${show(peer)} is this network's own bridge; name another bridge`);
        } else if (seen.has(peer)) {
            problems.add(`connectTo[${i}]`, `${show(peer)} is listed twice; list each bridge once`);
        }
        seen.add(peer);
    });
    if (connectTo.length > 0 && args.internal) {
        problems.add(
            "connectTo",
            `is set on an internal network; an internal network is cut off by design, drop internal or connectTo`,
        );
    }
    if (connectTo.length > 0 && args.host === undefined) {
        problems.add(
            "host",
            `is missing; connectTo changes the host's firewall, so give the host ({ name, ssh } or { name, local })`,
        );
    }
    problems.throwIfAny("CustomBridgeNetwork", name);

    const firewallChain = connectTo.length > 0 ? chainName("B", `${args.host?.name}/${networkName}`) : undefined;
    const firewallRules = connectTo.flatMap((peer) => [
        `accept,${bridgeName},${peer},-,-`,
        `accept,${peer},${bridgeName},-,-`,
    ]);
    return {
        networkName,
        subnet: (subnet as { value: { text: string } }).value.text,
        gateway: gateway as string,
        ipRange: args.ipRange,
        bridgeName,
        internal: args.internal ?? false,
        connectTo,
        firewallChain,
        firewallRules,
    };
}

/**
 * A user-defined bridge network, the declared form of
 * `docker network create --driver bridge --subnet 172.19.0.0/16 --gateway 172.19.0.1 NAME`.
 */
export class CustomBridgeNetwork extends pulumi.ComponentResource {
    /** The Docker network id. */
    public readonly id: pulumi.Output<string>;
    /** The Docker network name, to put in a ContainerSpec's `networks`. */
    public readonly name: pulumi.Output<string>;
    /** The Linux bridge device, e.g. `br-web`. */
    public readonly bridgeName: pulumi.Output<string>;
    public readonly subnet: pulumi.Output<string>;
    public readonly gateway: pulumi.Output<string>;
    /** The Docker network resource, for `dependsOn`. */
    public readonly network: docker.Network;

    constructor(name: string, args: CustomBridgeNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
        super("dockernet:index:CustomBridgeNetwork", name, registeredArgs(args), opts);
        const plan = planFor(this, args, () => planCustomBridgeNetwork(name, args));
        if (plan.connectTo.length > 0 && args.host) {
            // connectTo's rules are firewall.sh's: a Docker whose firewall it cannot manage is refused first.
            rethrowAsResourceError(this, () =>
                requireSupportedDocker("CustomBridgeNetwork", name, [{ field: "host", host: args.host! }]),
            );
        }
        const provider = args.host ? dockerProvider(`${name}-provider`, args.host, this) : undefined;
        const options = { "com.docker.network.bridge.name": plan.bridgeName };
        this.network = new docker.Network(
            `${name}-network`,
            {
                name: plan.networkName,
                driver: "bridge",
                internal: plan.internal,
                ipamConfigs: [{ subnet: plan.subnet, gateway: plan.gateway, ipRange: plan.ipRange }],
                options,
                // The options again as a label: the daemon reads back its default-network-opts
                // merged into `options` (kreuzwerker resource_docker_network_funcs.go
                // resourceDockerNetworkRead), so `options` is ignored in diffs; a change to what
                // dockernet sets still replaces the network through this label (labels are ForceNew).
                labels: Object.entries({
                    ...(args.labels ?? {}),
                    "dockernet.component": `CustomBridgeNetwork/${name}`,
                    "dockernet.options": JSON.stringify(options),
                }).map(([label, value]) => ({ label, value })),
            },
            { parent: this, provider, deleteBeforeReplace: true, ignoreChanges: ["options"] },
        );
        if (plan.firewallChain && args.host) {
            hostScript(
                `${name}-connect`,
                args.host,
                {
                    script: "firewall",
                    create: firewallArgs("create", plan.firewallChain, plan.firewallRules),
                    delete: firewallArgs("delete", plan.firewallChain, plan.firewallRules),
                },
                { parent: this, dependsOn: [this.network] },
            );
        }
        this.id = this.network.id;
        this.name = this.network.name;
        this.bridgeName = pulumi.output(plan.bridgeName);
        this.subnet = pulumi.output(plan.subnet);
        this.gateway = pulumi.output(plan.gateway);
        this.registerOutputs({
            id: this.id,
            name: this.name,
            bridgeName: this.bridgeName,
            subnet: this.subnet,
            gateway: this.gateway,
        });
    }
}

/** `br-` plus the network name, cut to Linux's 15 characters. */
export function defaultBridgeName(networkName: string): string {
    return `br-${networkName.replace(/[^a-zA-Z0-9_.-]/g, "")}`.slice(0, 15);
}
