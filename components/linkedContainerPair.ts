// Two containers, one reaching the other by a name: the declared form of `docker run --link`.
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { planFor } from "./component";
import { addressOn, container, images, primaryNetwork, started } from "./containers";
import { dockerProvider, HostArgs, registeredArgs, validateHost } from "./host/host";
import { checkSubnet } from "./net";
import { ContainerSpec, checkPublishedPorts, checkUniqueNames, effectiveMode, validateContainerSpec } from "./spec";
import { problemsFor, checkDockerName, checkHostname, show } from "./validate";

/** How a consumer reaches its target: Docker's DNS on a shared network, or an /etc/hosts line as `--link` writes. */
export const LinkMode = { Dns: "dns", Hosts: "hosts" } as const;
export type LinkMode = (typeof LinkMode)[keyof typeof LinkMode];

/** One more consumer of a link's target. */
export interface LinkConsumer {
    /** The consumer container. */
    container: ContainerSpec;
    /** The name it uses for the target. Defaults to the link's `alias`, then to the target's name. */
    alias?: string;
}

/** How a link's consumers reach its target, as a topology gives it too. */
export interface LinkSettings {
    /** The name the consumer uses for the target, e.g. `www`, and the default for each of `consumers`. Defaults to the target's name. */
    alias?: string;
    /**
     * `dns`: both containers join a dedicated user-defined bridge where the target carries `alias` as
     * a network alias; Docker's DNS keeps answering when the target is recreated with a new address.
     * `hosts`: the consumer's /etc/hosts gets `<target IP> <alias> <target id12> <target name>`,
     * what `--link` writes; a recreated target means the consumer is recreated too.
     * Defaults to `dns` (recommended).
     */
    mode?: LinkMode;
    /** Mode `dns`: the dedicated network's subnet, e.g. `172.20.0.0/24`. Defaults to one Docker picks. */
    subnet?: string;
}

/** Arguments of a LinkedContainerPair. */
export interface LinkedContainerPairArgs extends LinkSettings {
    /** The Docker host. Defaults to the Docker provider that reaches this component through `providers`. */
    host?: HostArgs;
    /** The container linked to (`docker run --name nginx_web1 ...`). */
    target: ContainerSpec;
    /** The container that reaches the target by `alias` (`docker run --link nginx_web1:www ...`). Give it, `consumers`, or both. */
    consumer?: ContainerSpec;
    /**
     * More containers that reach the same target, each by its own alias, as the seed links
     * nginx_web2 (`--link nginx_web1`) and nginx_web3 (`--link nginx_web1:www`) to one nginx_web1.
     * Their resources are `<name>-consumer-<container name>`. Defaults to none.
     */
    consumers?: LinkConsumer[];
    /**
     * Mode `dns`: the dedicated network's name. Defaults to `<component name>-link`. When target and
     * consumer already share a network (their `networks`) and neither this nor `subnet` is set, the
     * alias goes on that network instead and no network is added.
     */
    networkName?: string;
}

/** What a LinkedContainerPair resolves to once defaults apply. */
export interface LinkPlan {
    mode: LinkMode;
    /** The first consumer's alias. */
    alias: string;
    /** Every consumer in order (`consumer` first): its resource name, container spec and alias. */
    consumers: { resource: string; spec: ContainerSpec; alias: string }[];
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
    const mode = args.mode ?? "dns";
    if (mode !== "dns" && mode !== "hosts") {
        problems.add(
            "mode",
            `${show(args.mode)} is not a link mode; use "dns" (survives the target's recreation) or "hosts" (like --link)`,
        );
    }
    if (args.alias !== undefined) {
        checkHostname(problems, "alias", args.alias);
    }
    // Every consumer, `consumer` first, with where it sits in the args.
    const given: { field: string; spec: ContainerSpec; alias?: string; aliasField: string; resource: string }[] = [];
    if (args.consumer !== undefined) {
        given.push({
            field: "consumer",
            spec: args.consumer,
            alias: args.alias,
            aliasField: "alias",
            resource: `${name}-consumer`,
        });
    }
    if (args.consumers !== undefined && !Array.isArray(args.consumers)) {
        problems.add(
            "consumers",
            `is ${show(args.consumers)}; give a list such as [{ container: { name: "nginx_web2", image: "nginx:1.27" } }]`,
        );
    }
    (Array.isArray(args.consumers) ? args.consumers : []).forEach((c, i) => {
        if (c === null || typeof c !== "object" || c.container === undefined) {
            problems.add(`consumers[${i}]`, `is ${show(c)}; give { container: { name, image }, alias? }`);
            return;
        }
        if (c.alias !== undefined) {
            checkHostname(problems, `consumers[${i}].alias`, c.alias);
        }
        given.push({
            field: `consumers[${i}].container`,
            spec: c.container,
            alias: c.alias ?? args.alias,
            aliasField: c.alias !== undefined ? `consumers[${i}].alias` : "alias",
            resource: `${name}-consumer-${c.container?.name}`,
        });
    });
    if (given.length === 0) {
        problems.add(
            "consumer",
            `is missing; give the container that reaches the target (consumer), or several (consumers)`,
        );
    }
    for (const g of given) {
        validateContainerSpec(problems, g.field, g.spec);
    }
    checkUniqueNames(problems, [
        { field: "target.name", name: args.target?.name },
        ...given.map((g) => ({ field: `${g.field}.name`, name: g.spec?.name })),
    ]);
    checkPublishedPorts(problems, [
        { field: "target", ports: args.target?.ports },
        ...given.map((g) => ({ field: g.field, ports: g.spec?.ports })),
    ]);
    const consumers = given.map((g) => ({
        resource: g.resource,
        spec: g.spec,
        alias: (g.alias ?? args.target?.name) as string,
        aliasField: g.aliasField,
        explicit: g.alias !== undefined,
    }));
    for (const c of consumers) {
        if (!c.explicit && typeof c.alias === "string" && mode === "dns" && !/^[a-zA-Z0-9.-]+$/.test(c.alias)) {
            // The target's name becomes a DNS alias; an underscore is fine for /etc/hosts, not for DNS.
            problems.add(
                c.aliasField,
                `is unset, so the target's name ${show(c.alias)} would be the DNS alias, and it is not a valid hostname; set alias, e.g. ${show(c.alias.replace(/[^a-zA-Z0-9.-]/g, "-"))}`,
            );
            break;
        }
    }
    for (const [role, spec] of [["target", args.target], ...given.map((g) => [g.field, g.spec] as const)] as const) {
        if (spec && typeof spec === "object") {
            const m = effectiveMode(spec);
            if (m === "host" || m === "none") {
                problems.add(
                    `${role}.networkMode`,
                    `is ${show(m)}; a link needs both containers on a bridge network, use "bridge" or "custom"`,
                );
            }
        }
    }
    let networkName: string | undefined;
    let sharedNetwork: number | undefined;
    if (mode === "dns" && args.networkName === undefined && args.subnet === undefined && given.length > 0) {
        // A network of the target's that every consumer is on already carries the aliases.
        const i = (args.target?.networks ?? []).findIndex((n) =>
            given.every((g) => (g.spec?.networks ?? []).some((m) => m.name === n.name)),
        );
        sharedNetwork = i >= 0 ? i : undefined;
    }
    if (mode === "dns" && sharedNetwork === undefined) {
        networkName = args.networkName ?? `${name}-link`;
        checkDockerName(
            problems,
            args.networkName === undefined ? "name (used in networkName)" : "networkName",
            networkName,
        );
        if (args.subnet !== undefined) {
            const s = checkSubnet(args.subnet);
            if (!s.ok) {
                problems.add("subnet", s.problem);
            }
        }
    } else if (mode !== "dns") {
        if (args.networkName !== undefined) {
            problems.add(
                "networkName",
                `is set but mode is "hosts", which uses no dedicated network; drop it or use mode "dns"`,
            );
        }
        if (args.subnet !== undefined) {
            problems.add(
                "subnet",
                `is set but mode is "hosts", which uses no dedicated network; drop it or use mode "dns"`,
            );
        }
    }
    problems.throwIfAny("LinkedContainerPair", name);
    return {
        mode: mode as LinkMode,
        alias: consumers[0].alias,
        consumers: consumers.map(({ resource, spec, alias }) => ({ resource, spec, alias })),
        networkName,
        subnet: args.subnet,
        sharedNetwork,
    };
}

/**
 * A target container and a consumer that reaches it by `alias`, on one host:
 * `docker run --name nginx_web1 ...` and `docker run --name nginx_web3 --link nginx_web1:www ...`.
 */
export class LinkedContainerPair extends pulumi.ComponentResource {
    public readonly target: docker.Container;
    /** The first consumer (`consumer`, or else `consumers[0]`). */
    public readonly consumer: docker.Container;
    /** Every consumer by container name, `consumer` and `consumers` alike. */
    public readonly consumers: { [name: string]: docker.Container };
    /** The target's address on the link (the dedicated network in mode dns, its first network in mode hosts). */
    public readonly targetAddress: pulumi.Output<string>;
    /** The first consumer's address. */
    public readonly consumerAddress: pulumi.Output<string>;
    /** Every consumer's address on the link, by container name. */
    public readonly consumerAddresses: { [name: string]: pulumi.Output<string> };
    // The next four are known when the component is declared, so their Outputs are made when first
    // read (an Output costs the SDK a dozen promises, and most programs never read these; see
    // BENCHMARKS.md, overhead). They are enumerable properties of the instance, so a stack that
    // exports the component still exports them.
    /** The name the first consumer uses for the target. */
    declare public readonly alias: pulumi.Output<string>;
    /** Mode dns: the network that carries the alias (the dedicated one, as created); mode hosts: undefined. */
    declare public readonly networkName: pulumi.Output<string | undefined>;
    /** Mode hosts: the /etc/hosts line the first consumer gets; mode dns: undefined. */
    declare public readonly hostsEntry: pulumi.Output<string | undefined>;
    /** Mode hosts: each consumer's /etc/hosts line, by container name (`172.17.0.2\twww <id12> nginx_web1`); mode dns: {}. */
    declare public readonly hostsEntries: pulumi.Output<{ [consumer: string]: string }>;

    constructor(name: string, args: LinkedContainerPairArgs, opts?: pulumi.ComponentResourceOptions) {
        super("dockernet:index:LinkedContainerPair", name, registeredArgs(args), opts);
        const plan = planFor(this, args, () => planLinkedContainerPair(name, args));
        const provider = args.host ? dockerProvider(`${name}-provider`, args.host, this) : undefined;
        const childOpts = { parent: this, provider };
        const imgs = images(name, [args.target, ...plan.consumers.map((c) => c.spec)], childOpts);
        const component = `LinkedContainerPair/${name}`;
        const aliases = [...new Set(plan.consumers.map((c) => c.alias))];
        let networkName: () => pulumi.Output<string | undefined> = () => pulumi.output(undefined);
        let registeredNetwork: pulumi.Input<string> | undefined = plan.networkName;
        const entries: { [consumer: string]: pulumi.Output<string> } = {};
        const made: docker.Container[] = [];
        let consumerNetwork: pulumi.Input<string> | undefined;

        if (plan.mode === "dns" && plan.sharedNetwork !== undefined) {
            // They share a network already: the aliases go there (`--network-alias`), nothing is added.
            const i = plan.sharedNetwork;
            const shared = args.target.networks![i];
            const target = {
                ...args.target,
                networks: args.target.networks!.map((n, j) =>
                    j === i ? { ...n, aliases: [...(n.aliases ?? []), ...aliases] } : n,
                ),
            };
            this.target = container(`${name}-target`, target, imgs.get(args.target.image)!, component, {}, childOpts);
            for (const c of plan.consumers) {
                made.push(
                    container(
                        c.resource,
                        c.spec,
                        imgs.get(c.spec.image)!,
                        component,
                        {},
                        { ...childOpts, dependsOn: [this.target] },
                    ),
                );
            }
            this.targetAddress = addressOn(this.target, shared.name);
            consumerNetwork = shared.name;
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
            this.target = container(
                `${name}-target`,
                args.target,
                imgs.get(args.target.image)!,
                component,
                { networks: [{ name: net.name, aliases }] },
                childOpts,
            );
            for (const c of plan.consumers) {
                made.push(
                    container(
                        c.resource,
                        c.spec,
                        imgs.get(c.spec.image)!,
                        component,
                        { networks: [{ name: net.name }] },
                        { ...childOpts, dependsOn: [this.target] },
                    ),
                );
            }
            this.targetAddress = addressOn(this.target, plan.networkName!);
            consumerNetwork = plan.networkName!;
            networkName = () => net.name;
        } else {
            this.target = container(
                `${name}-target`,
                args.target,
                imgs.get(args.target.image)!,
                component,
                {},
                childOpts,
            );
            this.targetAddress = addressOn(this.target, primaryNetwork(args.target));
            for (const c of plan.consumers) {
                // What --link writes: "<ip>\t<alias> <id12> <name>" (the name is repeated only when it differs).
                const names = pulumi
                    .all([this.target.id, this.target.name])
                    .apply(([id, targetName]) => linkHostNames(c.alias, id.slice(0, 12), targetName));
                made.push(
                    container(
                        c.resource,
                        c.spec,
                        imgs.get(c.spec.image)!,
                        component,
                        { hosts: [{ host: names, ip: this.targetAddress }] },
                        childOpts,
                    ),
                );
                entries[c.spec.name] = pulumi.interpolate`${this.targetAddress}\t${names}`;
            }
        }
        this.consumers = Object.fromEntries(plan.consumers.map((c, i) => [c.spec.name, made[i]]));
        this.consumer = made[0];
        const addressOf = (i: number) => addressOn(made[i], consumerNetwork ?? primaryNetwork(plan.consumers[i].spec));
        this.consumerAddress = addressOf(0);
        this.consumerAddresses = Object.fromEntries(
            plan.consumers.map((c, i) => [c.spec.name, i === 0 ? this.consumerAddress : addressOf(i)]),
        );
        const alias = plan.alias;
        const first = plan.consumers[0].spec.name;
        lazyOutput(this, "alias", () => pulumi.output(alias));
        lazyOutput(this, "networkName", networkName);
        lazyOutput(this, "hostsEntry", () => entries[first] ?? pulumi.output(undefined));
        lazyOutput(this, "hostsEntries", () => pulumi.output(entries));
        this.registerOutputs({
            started: pulumi.all([
                started(this.target, args.target),
                ...plan.consumers.map((c, i) => started(made[i], c.spec)),
            ]),
            alias,
            targetAddress: this.targetAddress,
            consumerAddress: this.consumerAddress,
            ...(plan.consumers.length > 1 ? { consumerAddresses: pulumi.all(this.consumerAddresses) } : {}),
            networkName: registeredNetwork,
            hostsEntry: entries[first],
            ...(plan.consumers.length > 1 && plan.mode === "hosts" ? { hostsEntries: entries } : {}),
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
