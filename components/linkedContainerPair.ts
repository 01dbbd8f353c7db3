// Two containers, one reaching the other by a name: the declared form of `docker run --link`.
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { planFor } from "./component";
import { addressOn, container, images, primaryNetwork, started } from "./containers";
import { dockerProvider, HostArgs, registeredArgs, validateHost } from "./host/host";
import { checkSubnet } from "./net";
import { ContainerSpec, checkUniqueNames, effectiveMode, validateContainerSpec } from "./spec";
import { problemsFor, checkDockerName, checkHostname, show } from "./validate";

/** How a consumer reaches its target: Docker's DNS on a shared network, or an /etc/hosts line as `--link` writes. */
export type LinkMode = "dns" | "hosts";

/** Arguments of a LinkedContainerPair. */
export interface LinkedContainerPairArgs {
    /** The Docker host. Defaults to the Docker provider that reaches this component through `providers`. */
    host?: HostArgs;
    /** The container linked to (`docker run --name nginx_web1 ...`). */
    target: ContainerSpec;
    /** The container that reaches the target by `alias` (`docker run --link nginx_web1:www ...`). */
    consumer: ContainerSpec;
    /** The name the consumer uses for the target, e.g. `www`. Defaults to the target's name. */
    alias?: string;
    /**
     * `dns`: both containers join a dedicated user-defined bridge where the target carries `alias` as
     * a network alias; Docker's DNS keeps answering when the target is recreated with a new address.
     * `hosts`: the consumer's /etc/hosts gets `<target IP> <alias> <target id12> <target name>`,
     * what `--link` writes; a recreated target means the consumer is recreated too.
     * Defaults to `dns` (recommended).
     */
    mode?: LinkMode;
    /**
     * Mode `dns`: the dedicated network's name. Defaults to `<component name>-link`. When target and
     * consumer already share a network (their `networks`) and neither this nor `subnet` is set, the
     * alias goes on that network instead and no network is added.
     */
    networkName?: string;
    /** Mode `dns`: the dedicated network's subnet, e.g. `172.20.0.0/24`. Defaults to one Docker picks. */
    subnet?: string;
}

/** What a LinkedContainerPair resolves to once defaults apply. */
export interface LinkPlan {
    mode: "dns" | "hosts";
    alias: string;
    /** The dedicated network to create (mode dns, unless the containers share one). */
    networkName?: string;
    subnet?: string;
    /** Mode dns: the index in target.networks of a network the consumer shares, which gets the alias. */
    sharedNetwork?: number;
}

/** Validates the arguments (every problem at once) and resolves defaults. Pure. */
export function planLinkedContainerPair(name: string, args: LinkedContainerPairArgs): LinkPlan {
    const problems = problemsFor("LinkedContainerPair", name, args, `{ target, consumer }`);
    if (args.host !== undefined) {
        validateHost(problems, "host", args.host);
    }
    validateContainerSpec(problems, "target", args.target);
    validateContainerSpec(problems, "consumer", args.consumer);
    checkUniqueNames(problems, [
        { field: "target.name", name: args.target?.name },
        { field: "consumer.name", name: args.consumer?.name },
    ]);
    const mode = args.mode ?? "dns";
    if (mode !== "dns" && mode !== "hosts") {
        problems.add("mode", `${show(args.mode)} is not a link mode; use "dns" (survives the target's recreation) or "hosts" (like --link)`);
    }
    const alias = args.alias ?? args.target?.name;
    if (args.alias !== undefined) {
        checkHostname(problems, "alias", args.alias);
    } else if (typeof alias === "string" && mode === "dns" && !/^[a-zA-Z0-9.-]+$/.test(alias)) {
        // The target's name becomes a DNS alias; an underscore is fine for /etc/hosts, not for DNS.
        problems.add("alias", `is unset, so the target's name ${show(alias)} would be the DNS alias, and it is not a valid hostname; set alias, e.g. ${show(alias.replace(/[^a-zA-Z0-9.-]/g, "-"))}`);
    }
    for (const role of ["target", "consumer"] as const) {
        const spec = args[role];
        if (spec && typeof spec === "object") {
            const m = effectiveMode(spec);
            if (m === "host" || m === "none") {
                problems.add(`${role}.networkMode`, `is ${show(m)}; a link needs both containers on a bridge network, use "bridge" or "custom"`);
            }
        }
    }
    let networkName: string | undefined;
    let sharedNetwork: number | undefined;
    if (mode === "dns" && args.networkName === undefined && args.subnet === undefined) {
        const theirs = (args.consumer?.networks ?? []).map((n) => n.name);
        const i = (args.target?.networks ?? []).findIndex((n) => theirs.includes(n.name));
        sharedNetwork = i >= 0 ? i : undefined;
    }
    if (mode === "dns" && sharedNetwork === undefined) {
        networkName = args.networkName ?? `${name}-link`;
        checkDockerName(problems, args.networkName === undefined ? "name (used in networkName)" : "networkName", networkName);
        if (args.subnet !== undefined) {
            const s = checkSubnet(args.subnet);
            if (!s.ok) {
                problems.add("subnet", s.problem);
            }
        }
    } else if (mode !== "dns") {
        if (args.networkName !== undefined) {
            problems.add("networkName", `is set but mode is "hosts", which uses no dedicated network; drop it or use mode "dns"`);
        }
        if (args.subnet !== undefined) {
            problems.add("subnet", `is set but mode is "hosts", which uses no dedicated network; drop it or use mode "dns"`);
        }
    }
    problems.throwIfAny("LinkedContainerPair", name);
    return { mode: mode as "dns" | "hosts", alias: alias as string, networkName, subnet: args.subnet, sharedNetwork };
}

/**
 * A target container and a consumer that reaches it by `alias`, on one host:
 * `docker run --name nginx_web1 ...` and `docker run --name nginx_web3 --link nginx_web1:www ...`.
 */
export class LinkedContainerPair extends pulumi.ComponentResource {
    public readonly target: docker.Container;
    public readonly consumer: docker.Container;
    /** The target's address on the link (the dedicated network in mode dns, its first network in mode hosts). */
    public readonly targetAddress: pulumi.Output<string>;
    public readonly consumerAddress: pulumi.Output<string>;
    // The next three are known when the component is declared, so their Outputs are made when first
    // read (an Output costs the SDK a dozen promises, and most programs never read these; see
    // BENCHMARKS.md, overhead). They are enumerable properties of the instance, so a stack that
    // exports the component still exports them.
    /** The name the consumer uses for the target. */
    declare public readonly alias: pulumi.Output<string>;
    /** Mode dns: the network that carries the alias (the dedicated one, as created); mode hosts: undefined. */
    declare public readonly networkName: pulumi.Output<string | undefined>;
    /** Mode hosts: the /etc/hosts line the consumer gets; mode dns: undefined. */
    declare public readonly hostsEntry: pulumi.Output<string | undefined>;

    constructor(name: string, args: LinkedContainerPairArgs, opts?: pulumi.ComponentResourceOptions) {
        super("dockernet:index:LinkedContainerPair", name, registeredArgs(args), opts);
        const plan = planFor(this, args, () => planLinkedContainerPair(name, args));
        const provider = args.host ? dockerProvider(`${name}-provider`, args.host, this) : undefined;
        const childOpts = { parent: this, provider };
        const imgs = images(name, [args.target, args.consumer], childOpts);
        const component = `LinkedContainerPair/${name}`;
        let networkName: () => pulumi.Output<string | undefined> = () => pulumi.output(undefined);
        let registeredNetwork: pulumi.Input<string> | undefined = plan.networkName;
        let entry: pulumi.Output<string> | undefined;

        if (plan.mode === "dns" && plan.sharedNetwork !== undefined) {
            // They share a network already: the alias goes there (`--network-alias`), nothing is added.
            const i = plan.sharedNetwork;
            const shared = args.target.networks![i];
            const target = { ...args.target, networks: args.target.networks!.map((n, j) => (j === i ? { ...n, aliases: [...(n.aliases ?? []), plan.alias] } : n)) };
            this.target = container(`${name}-target`, target, imgs.get(args.target.image)!, component, {}, childOpts);
            this.consumer = container(`${name}-consumer`, args.consumer, imgs.get(args.consumer.image)!, component, {}, { ...childOpts, dependsOn: [this.target] });
            this.targetAddress = addressOn(this.target, shared.name);
            this.consumerAddress = addressOn(this.consumer, shared.name);
            networkName = () => pulumi.output(shared.name);
            registeredNetwork = shared.name;
        } else if (plan.mode === "dns") {
            const net = new docker.Network(
                `${name}-network`,
                {
                    name: plan.networkName,
                    driver: "bridge",
                    ipamConfigs: plan.subnet ? [{ subnet: plan.subnet }] : undefined,
                    labels: [{ label: "dockernet.component", value: component }],
                },
                { ...childOpts, deleteBeforeReplace: true },
            );
            this.target = container(`${name}-target`, args.target, imgs.get(args.target.image)!, component,
                { networks: [{ name: net.name, aliases: [plan.alias] }] }, childOpts);
            this.consumer = container(`${name}-consumer`, args.consumer, imgs.get(args.consumer.image)!, component,
                { networks: [{ name: net.name }] }, { ...childOpts, dependsOn: [this.target] });
            this.targetAddress = addressOn(this.target, plan.networkName!);
            this.consumerAddress = addressOn(this.consumer, plan.networkName!);
            networkName = () => net.name;
        } else {
            this.target = container(`${name}-target`, args.target, imgs.get(args.target.image)!, component, {}, childOpts);
            this.targetAddress = addressOn(this.target, primaryNetwork(args.target));
            // What --link writes: "<ip>\t<alias> <id12> <name>" (the name is repeated only when it differs).
            const names = pulumi
                .all([this.target.id, this.target.name])
                .apply(([id, targetName]) => linkHostNames(plan.alias, id.slice(0, 12), targetName));
            this.consumer = container(`${name}-consumer`, args.consumer, imgs.get(args.consumer.image)!, component,
                { hosts: [{ host: names, ip: this.targetAddress }] }, childOpts);
            this.consumerAddress = addressOn(this.consumer, primaryNetwork(args.consumer));
            entry = pulumi.interpolate`${this.targetAddress}\t${names}`;
        }
        const alias = plan.alias;
        lazyOutput(this, "alias", () => pulumi.output(alias));
        lazyOutput(this, "networkName", networkName);
        lazyOutput(this, "hostsEntry", () => entry ?? pulumi.output(undefined));
        this.registerOutputs({
            started: pulumi.all([started(this.target, args.target), started(this.consumer, args.consumer)]),
            alias,
            targetAddress: this.targetAddress,
            consumerAddress: this.consumerAddress,
            networkName: registeredNetwork,
            hostsEntry: entry,
        });
    }
}

/** Defines `obj[key]` as an enumerable property whose value is made on the first read, then kept. */
function lazyOutput<T>(obj: object, key: string, make: () => pulumi.Output<T>): void {
    let made: pulumi.Output<T> | undefined;
    Object.defineProperty(obj, key, { enumerable: true, get: () => (made ??= make()) });
}

/** The names --link puts on the target's /etc/hosts line: alias, short id (`id12`), and name when different. */
export function linkHostNames(alias: string, id12: string, targetName: string): string {
    const names = [alias, id12];
    if (targetName !== alias) {
        names.push(targetName);
    }
    return names.join(" ");
}
