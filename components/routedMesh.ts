// Docker hosts on one LAN whose containers reach each other directly: every host's daemon gets its
// own bip subnet (given, or a block of a pool), every host routes each peer's container subnet via
// the peer's LAN address, and the firewall lets that traffic in. The seed's second half for any
// number of hosts; CrossHostRoutedPair is the same thing for two, in the seed's shape.
//
// Resources per host are constant: the host's DockerHost (its bip, shared with every other
// component that needs it), one route set (routes.sh, one tag), one firewall set (firewall.sh, one
// chain), its containers. A change of peers is an in-place update of the route and firewall sets,
// whose scripts converge the host to the full declared set; the daemon is not restarted.
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { planFor } from "./component";
import { ConnectivityCheck } from "./connectivityCheck";
import { addressOn, adoptionProblems, container, images, primaryNetwork, started } from "./containers";
import { DockerHost, checkClaims, claimDockerHost } from "./host/dockerHost";
import { acceptRule, chainName, firewallArgs, natReturnRule } from "./host/firewall";
import { checkDistinctHosts, dockerProvider, HostArgs, hostScript, registeredArgs, validateHost } from "./host/host";
import {
    observationOf,
    observationOff,
    observeHosts,
    requireSupportedDocker,
    SeenContainer,
    UnsupportedDockerError,
} from "./host/observe";
import { Cidr, checkInterfaceCidr, checkSubnet, contains, formatCidr, formatIPv4, overlaps } from "./net";
import { ContainerSpec, checkPublishedPorts, checkUniqueNames, effectiveMode, validateContainerSpec } from "./spec";
import { Problems, ValidationError, problemsFor, show } from "./validate";

/** One host of a mesh but for the host and its containers: its LAN address, bip and adoption. */
export interface RoutedMeshHostSettings {
    /** The host's LAN address with prefix, e.g. `192.168.100.200/24`; peers route via it. */
    lanAddress: string;
    /** docker0's own address with prefix, e.g. `172.18.0.1/16`. Defaults to a block of `pool`. */
    bip?: string;
    /**
     * Take over what was made by hand for this host, instead of refusing it: a route to a peer's
     * container subnet via that peer's LAN address (the seed's `route add -net ... gw ...`) becomes
     * dockernet's in place, and is given back as it was when dockernet lets go of it; a `--bip` flag
     * with this host's bip in the Docker unit (the seed's ExecStart edit) is kept where it is, with
     * no restart; a container made by hand with a declared name (`docker run --name ...`) is
     * imported, not recreated, when it matches the declaration, and left running on destroy. A route
     * via another gateway, a flag with another value, or a container that differs is still an
     * error. Defaults to false.
     */
    adopt?: boolean;
}

/** One host of a RoutedMesh. */
export interface RoutedMeshHostArgs extends RoutedMeshHostSettings {
    /** How to reach the host. */
    host: HostArgs;
    /** Containers on docker0 (network mode bridge) on this host. Defaults to none. */
    containers?: ContainerSpec[];
}

/** Where hosts without a `bip` get one. */
export interface BipPool {
    /** The pool, e.g. `10.200.0.0/16`. */
    subnet: string;
    /** The prefix of each host's block, e.g. 24 (the default): 256 blocks of /24 in a /16. */
    size?: number;
}

/** How a mesh finds bips, treats its traffic and proves it, as a topology gives it too. */
export interface RoutedMeshSettings {
    /**
     * Where a host without a `bip` gets one: block number N of the pool, N being the host's
     * number on the LAN (192.168.100.201/24 → block 201: 10.200.201.1/24 in 10.200.0.0/16). It
     * depends on that host alone, so adding or removing hosts never moves another host's bip.
     */
    pool?: BipPool;
    /** Keep containers' own source addresses between hosts (no masquerade). Defaults to false. */
    preserveSourceIp?: boolean;
    /**
     * Prove the result at deployment: a ring of probes, each host with containers to the next
     * (ping, and TCP to the first listening port), so verification stays one probe per host.
     * Defaults to true when at least two hosts have containers.
     */
    verify?: boolean;
}

/** Arguments of a RoutedMesh. */
export interface RoutedMeshArgs extends RoutedMeshSettings {
    /** The hosts, all on one LAN (one subnet: a route's next hop must be on-link). */
    hosts: RoutedMeshHostArgs[];
}

/** What one host of a mesh (or pair) needs. Pure data; the plan printer and the resources read it. */
export interface RoutedHostPlan {
    /** Where the host sits in the args: `hostA`, `hosts[2]`. */
    field: string;
    hostName: string;
    bip: string;
    subnet: string;
    /** True when the bip came from the pool. */
    allocated: boolean;
    lanAddress: string;
    lanSubnet: string;
    /** `<peer subnet>=<peer LAN address>`, one per peer, in host order. */
    routes: string[];
    /** Hand-made routes via the same gateway are taken over (routes.sh --adopt yes), and a --bip flag of the same value kept (bip.sh --adopt yes). */
    adopt: boolean;
    firewallChain: string;
    firewallRules: string[];
}

/** A routed mesh's (or pair's) plan: per host, and the probes as `[from, to]` indexes into hosts. */
export interface RoutedPlan {
    hosts: RoutedHostPlan[];
    verify: boolean;
    probes: [number, number][];
}

/** A host as the shared checks see it: where it is in the args, and what was given. */
export interface RoutedMember {
    field: string;
    side: RoutedMeshHostArgs;
}

/**
 * The hand-made containers each adopting host's declared containers take over (by name), from one
 * look at the host: a container with a declared name that dockernet did not make (no
 * `dockernet.component` label) is imported when it matches, and a mismatch is an error naming each
 * differing field before anything is made. An adopting host that cannot be looked at is an error
 * too (adoption needs to know); with the look switched off (DOCKERNET_OBSERVE=off) containers are
 * declared as new, with a warning.
 */
function adoptContainers(
    kind: string,
    name: string,
    plan: RoutedPlan,
    sides: RoutedMeshHostArgs[],
): Map<string, SeenContainer>[] {
    const problems = new Problems();
    const out = plan.hosts.map((hp, i) => {
        const found = new Map<string, SeenContainer>();
        const specs = sides[i].containers ?? [];
        if (!hp.adopt || specs.length === 0) {
            return found;
        }
        const host = sides[i].host;
        if (!observationOf(host) && observationOff()) {
            pulumi.log.warn(
                `${kind} ${show(name)} ${hp.field}.adopt: looking at hosts is switched off (DOCKERNET_OBSERVE=off), so hand-made containers on ${host.name} cannot be found; its containers are declared as new`,
            );
            return found;
        }
        observeHosts([host]); // once per host per program run (already seen: nothing)
        const seen = observationOf(host);
        if (!seen) {
            problems.add(
                `${hp.field}.adopt`,
                `cannot look at host ${host.name} for hand-made containers with the declared names; adoption needs that look: check the host's SSH access (the Docker provider's key and known_hosts), or set adopt to false`,
            );
            return found;
        }
        specs.forEach((spec, j) => {
            const c = seen.containers?.get(spec.name);
            if (!c || c.dockernet) {
                return; // not there, or dockernet's own: declared as usual
            }
            const bad = adoptionProblems(`${hp.field}.containers[${j}]`, host.name, spec, c);
            bad.forEach((p) => problems.add(p.field, p.message));
            if (bad.length === 0) {
                found.set(spec.name, c);
            }
        });
        return found;
    });
    if (!problems.empty) {
        throw new ValidationError(problems.format(kind, name), problems.list);
    }
    return out;
}

/** A routed host's routes.sh arguments: its tag, `--adopt yes` when it adopts, its routes. */
export function routesArgs(action: "create" | "delete", tag: string, hp: RoutedHostPlan): string[] {
    return [action, "--tag", tag, ...(hp.adopt ? ["--adopt", "yes"] : []), ...hp.routes];
}

/** The bip a pool gives a host: block N of `pool`, N the host's number on its LAN. */
export function poolBip(
    pool: Cidr,
    size: number,
    lan: Cidr,
): { ok: true; bip: string } | { ok: false; slot: number; blocks: number } {
    const slot = lan.address - lan.network;
    const blocks = 2 ** (size - pool.prefix);
    if (slot >= blocks) {
        return { ok: false, slot, blocks };
    }
    const block = pool.network + slot * 2 ** (32 - size);
    return { ok: true, bip: `${formatIPv4(block + 1)}/${size}` };
}

/**
 * Checks the hosts of a mesh or pair (every problem into `problems`) and plans each host's bip,
 * routes and firewall rules. `pool` undefined: every host must give its bip.
 */
export function planRoutedHosts(
    problems: Problems,
    name: string,
    members: RoutedMember[],
    options: { pool?: BipPool; poolField?: string; preserveSourceIp?: boolean; verify?: boolean },
): RoutedPlan | undefined {
    let pool: { cidr: Cidr; size: number } | undefined;
    if (options.pool !== undefined) {
        const f = options.poolField ?? "pool";
        if (options.pool === null || typeof options.pool !== "object") {
            problems.add(f, `is ${show(options.pool)}; give { subnet: "10.200.0.0/16", size: 24 }`);
        } else {
            const c = checkSubnet(options.pool.subnet);
            const size = options.pool.size ?? 24;
            if (!c.ok) {
                problems.add(`${f}.subnet`, c.problem);
            } else if (!Number.isInteger(size) || size < c.value.prefix + 1 || size > 30) {
                problems.add(
                    `${f}.size`,
                    `${show(options.pool.size)} is not a block prefix for ${show(options.pool.subnet)}; use ${Math.min(c.value.prefix + 1, 30)} to 30, e.g. 24`,
                );
            } else {
                pool = { cidr: c.value, size };
            }
        }
    }
    const checked = members.map(({ field, side }) => {
        if (side === undefined || side === null || typeof side !== "object") {
            problems.add(
                field,
                `is ${show(side)}; give { host, lanAddress: "192.168.100.200/24", bip: "172.17.0.1/16" }`,
            );
            return undefined;
        }
        validateHost(problems, `${field}.host`, side.host);
        const lan = checkInterfaceCidr(side.lanAddress);
        if (!lan.ok) {
            problems.add(
                `${field}.lanAddress`,
                lan.problem.replace("a bip is the bridge's own address", "the LAN address is the host's own"),
            );
        }
        let bip: Cidr | undefined;
        let allocated = false;
        if (side.bip === undefined && options.pool !== undefined) {
            if (pool && lan.ok) {
                const got = poolBip(pool.cidr, pool.size, lan.value);
                if (got.ok) {
                    const c = checkInterfaceCidr(got.bip);
                    bip = c.ok ? c.value : undefined;
                    allocated = true;
                } else {
                    problems.add(
                        `${field}.bip`,
                        `is not given, and the pool ${formatCidr(pool.cidr.network, pool.cidr.prefix)} has ${got.blocks} blocks of /${pool.size} while this host is number ${got.slot} on its LAN; give a bip, a larger pool or a longer size`,
                    );
                }
            }
        } else {
            const c = checkInterfaceCidr(side.bip);
            if (!c.ok) {
                problems.add(
                    `${field}.bip`,
                    side.bip === undefined && options.poolField !== undefined
                        ? `is missing; give one (e.g. "172.18.0.1/16") or a ${options.poolField} to take it from`
                        : c.problem,
                );
            } else {
                bip = c.value;
            }
        }
        (side.containers ?? []).forEach((c, i) => {
            validateContainerSpec(problems, `${field}.containers[${i}]`, c);
            if (c && typeof c === "object" && effectiveMode(c) !== "bridge") {
                problems.add(
                    `${field}.containers[${i}].networkMode`,
                    `is ${show(effectiveMode(c))}; routed containers live on docker0, use "bridge"`,
                );
            }
        });
        checkUniqueNames(
            problems,
            (side.containers ?? []).map((c, i) => ({ field: `${field}.containers[${i}].name`, name: c?.name })),
        );
        checkPublishedPorts(
            problems,
            (side.containers ?? []).map((c, i) => ({ field: `${field}.containers[${i}]`, ports: c?.ports })),
        );
        if (side.adopt !== undefined && typeof side.adopt !== "boolean") {
            problems.add(
                `${field}.adopt`,
                `${show(side.adopt)} is not true or false; set true to take over hand-made routes via the same gateways and keep a --bip flag of the same value`,
            );
        }
        return { field, side, lan: lan.ok ? lan.value : undefined, bip, allocated };
    });
    checkDistinctHosts(
        problems,
        members.map((m) => ({ field: `${m.field}.host`, host: m.side?.host })),
    );
    // The component's outputs (containers, addresses) are by container name: one name, one container.
    const named = new Map<string, string>();
    members.forEach(({ field, side }) =>
        (side && typeof side === "object" ? (side.containers ?? []) : []).forEach((c, i) => {
            const first = typeof c?.name === "string" ? named.get(c.name) : undefined;
            if (first !== undefined && !first.startsWith(`${field}.`)) {
                problems.add(
                    `${field}.containers[${i}].name`,
                    `${show(c.name)} is also ${first}; give each container of one pair or mesh its own name (its addresses are listed by name)`,
                );
            } else if (typeof c?.name === "string" && first === undefined) {
                named.set(c.name, `${field}.containers[${i}].name`);
            }
        }),
    );

    const bipField = (s: { field: string; allocated: boolean; bip?: Cidr }) =>
        s.allocated ? `${s.field}.bip (from the pool: ${s.bip!.text})` : `${s.field}.bip`;
    const valid = checked.filter((s): s is NonNullable<typeof s> => s !== undefined);
    const lanAt = new Map<number, string>();
    for (const s of valid) {
        if (!s.lan) {
            continue;
        }
        const first = lanAt.get(s.lan.address);
        if (first !== undefined) {
            problems.add(
                `${s.field}.lanAddress`,
                `${show(s.side.lanAddress)} is ${first}'s LAN address too; give ${s.field} its own address (each host needs its own)`,
            );
        }
        lanAt.set(s.lan.address, first ?? s.field);
        const outside = valid.find((o) => o !== s && o.lan && !contains(o.lan, s.lan!.address));
        if (outside) {
            problems.add(
                `${s.field}.lanAddress`,
                `${show(s.side.lanAddress)} is outside ${outside.field}'s LAN ${subnetText(outside.lan!)}; a route's next hop must be on the same LAN, put all hosts on one subnet`,
            );
        }
    }
    // Each LAN once, named by the first host on it.
    const lanByText = new Map<string, (typeof valid)[number]>();
    for (const s of valid.filter((x) => x.lan)) {
        if (!lanByText.has(subnetText(s.lan!))) {
            lanByText.set(subnetText(s.lan!), s);
        }
    }
    const lans = [...lanByText.values()];
    if (pool) {
        for (const l of lans) {
            if (overlaps(pool.cidr, l.lan!)) {
                problems.add(
                    `${options.poolField ?? "pool"}.subnet`,
                    `${show(options.pool!.subnet)} overlaps the LAN ${subnetText(l.lan!)} of ${l.field}; choose a pool outside the LAN`,
                );
                break;
            }
        }
    }
    valid.forEach((s, j) => {
        if (!s.bip) {
            return;
        }
        const other = valid.slice(0, j).find((o) => o.bip && overlaps(o.bip, s.bip!));
        if (other) {
            problems.add(
                bipField(s),
                `${show(s.bip.text)} overlaps ${bipField(other)} ${subnetText(other.bip!)}; each host needs its own container subnet${s.allocated ? ", give one of them another bip" : ", e.g. 172.18.0.1/16"}`,
            );
        }
        if (!s.allocated) {
            const l = lans.find((x) => overlaps(s.bip!, x.lan!));
            if (l) {
                problems.add(
                    `${s.field}.bip`,
                    `${show(s.side.bip)} overlaps the LAN ${subnetText(l.lan!)} of ${l.field}; choose a container subnet outside the LAN`,
                );
            }
        }
    });
    const withContainers = valid.filter((s) => (s.side.containers ?? []).length > 0).length;
    if (options.verify === true && withContainers < 2) {
        problems.add(
            "verify",
            `is true but ${withContainers === 0 ? "no host has" : "only one host has"} containers to probe from; add containers or drop verify`,
        );
    }
    if (options.preserveSourceIp !== undefined && typeof options.preserveSourceIp !== "boolean") {
        problems.add("preserveSourceIp", `${show(options.preserveSourceIp)} is not true or false`);
    }
    if (!problems.empty || valid.length !== members.length) {
        return undefined;
    }

    const hosts = valid.map((me): RoutedHostPlan => {
        const own = subnetText(me.bip!);
        const peers = valid.filter((p) => p !== me);
        const rules = [...new Set(valid.map((s) => subnetText(s.lan!)))].map((lan) => acceptRule("-", "-", lan, own));
        if (options.preserveSourceIp) {
            for (const p of peers) {
                rules.push(acceptRule("-", "-", subnetText(p.bip!), own), natReturnRule(own, subnetText(p.bip!)));
            }
        }
        return {
            field: me.field,
            hostName: me.side.host.name,
            bip: me.bip!.text,
            subnet: own,
            allocated: me.allocated,
            lanAddress: me.lan!.text,
            lanSubnet: subnetText(me.lan!),
            routes: peers.map((p) => `${subnetText(p.bip!)}=${formatIPv4(p.lan!.address)}`),
            adopt: me.side.adopt === true,
            firewallChain: chainName("X", `${name}/${me.side.host.name}`),
            firewallRules: rules,
        };
    });
    const ring = valid.map((s, i) => ((s.side.containers ?? []).length > 0 ? i : -1)).filter((i) => i >= 0);
    const verify = options.verify ?? ring.length >= 2;
    const probes: [number, number][] =
        !verify || ring.length < 2
            ? []
            : ring.length === 2
              ? [
                    [ring[0], ring[1]],
                    [ring[1], ring[0]],
                ]
              : ring.map((from, k) => [from, ring[(k + 1) % ring.length]]);
    return { hosts, verify, probes };
}

/** Validates a mesh's arguments (every problem at once) and plans each host. Pure. */
export function planRoutedMesh(name: string, args: RoutedMeshArgs): RoutedPlan {
    const problems = problemsFor(
        "RoutedMesh",
        name,
        args,
        `{ hosts: [{ host, lanAddress }, ...], pool: { subnet: "10.200.0.0/16" } }`,
    );
    if (!Array.isArray(args.hosts) || args.hosts.length === 0) {
        problems.add(
            "hosts",
            `is ${show(args.hosts)}; give a list of hosts, e.g. [{ host, lanAddress: "192.168.100.200/24" }]`,
        );
        problems.throwIfAny("RoutedMesh", name);
    }
    const plan = planRoutedHosts(
        problems,
        name,
        args.hosts.map((side, i) => ({ field: `hosts[${i}]`, side })),
        {
            pool: args.pool,
            poolField: "pool",
            preserveSourceIp: args.preserveSourceIp,
            verify: args.verify,
        },
    );
    problems.throwIfAny("RoutedMesh", name);
    return plan!;
}

/**
 * What a host's firewall sets of a routed component must wait for, by host name, keyed by the
 * component's args: a Topology sets it for its own pairs and meshes (the Docker networks it declares
 * on that host).
 */
export const firewallAfter = new WeakMap<object, (host: string) => pulumi.Input<pulumi.Resource[]>>();

/** What building a routed mesh or pair made, for the component's outputs. */
export interface RoutedResources {
    containers: { [name: string]: docker.Container };
    hostChanges: { [host: string]: pulumi.Resource[] };
    daemons: { [host: string]: DockerHost };
    addresses: pulumi.Output<{ [container: string]: string }>;
    subnets: pulumi.Output<{ [host: string]: string }>;
    probes: pulumi.Output<string[]>;
    started: pulumi.Output<string[]>;
}

/**
 * Makes a planned mesh's resources as children of `component`: per host its DockerHost claim, its
 * route set and firewall set (after the bip), a Docker provider, images and containers; then the
 * probes. Names are `<name>-<host>-routes`, `-firewall`, `-<container>`, `<name>-probe-<a>-to-<b>`.
 */
export function buildRouted(
    component: pulumi.ComponentResource,
    kind: string,
    name: string,
    sides: RoutedMeshHostArgs[],
    plan: RoutedPlan,
    after?: (host: string) => pulumi.Input<pulumi.Resource[]>,
): RoutedResources {
    const containers: { [name: string]: docker.Container } = {};
    const hostChanges: { [host: string]: pulumi.Resource[] } = {};
    const daemons: { [host: string]: DockerHost } = {};
    const specsByName: { [name: string]: ContainerSpec } = {};
    const ready: pulumi.Resource[] = [];
    const firstOf: (docker.Container | undefined)[] = [];
    const claimOf = (i: number) => ({
        host: sides[i].host,
        claim: {
            by: `${kind} ${show(name)} ${plan.hosts[i].field}.bip`,
            bip: plan.hosts[i].bip,
            adopt: plan.hosts[i].adopt,
        },
    });
    let adoptedByHost: Map<string, SeenContainer>[];
    try {
        // Every host's Docker and claim first, and what adoption would take: a refused one leaves nothing made.
        requireSupportedDocker(
            kind,
            name,
            plan.hosts.map((hp, i) => ({ field: `${hp.field}.host`, host: sides[i].host })),
        );
        checkClaims(plan.hosts.map((_, i) => claimOf(i)));
        adoptedByHost = adoptContainers(kind, name, plan, sides);
    } catch (e) {
        throw e instanceof ValidationError || e instanceof UnsupportedDockerError
            ? new pulumi.ResourceError(e.message, component)
            : e;
    }
    plan.hosts.forEach((hp, i) => {
        const host = sides[i].host;
        const prefix = `${name}-${hp.hostName}`;
        // A 0.2 pair had its own `<pair>-<host>-bip`: the first claimant's is adopted in place.
        const bipAliases = kind === "CrossHostRoutedPair" ? [{ name: `${prefix}-bip`, parent: component }] : undefined;
        const daemon = claimDockerHost(host, claimOf(i).claim, { bipAliases });
        daemons[hp.hostName] = daemon;
        const tag = routesTag(name, hp.hostName);
        const routes = hostScript(
            `${prefix}-routes`,
            host,
            { script: "routes", create: routesArgs("create", tag, hp), delete: routesArgs("delete", tag, hp) },
            { parent: component, dependsOn: daemon.changes },
        );
        const firewall = hostScript(
            `${prefix}-firewall`,
            host,
            {
                script: "firewall",
                create: firewallArgs("create", hp.firewallChain, hp.firewallRules),
                delete: firewallArgs("delete", hp.firewallChain, hp.firewallRules),
            },
            // After the host's own Docker networks, where a Topology says which (firewallAfter): Docker
            // inserts each new network's MASQUERADE at the top of nat POSTROUTING, which would push this
            // set's jump below it.
            {
                parent: component,
                dependsOn: after
                    ? pulumi.output(after(hp.hostName)).apply((more) => [...daemon.changes, ...more])
                    : daemon.changes,
            },
        );
        ready.push(routes, firewall);
        hostChanges[hp.hostName] = [...daemon.changes, routes, firewall];
        const specs = sides[i].containers ?? [];
        if (specs.length === 0) {
            firstOf.push(undefined);
            return;
        }
        const provider = dockerProvider(`${prefix}-provider`, host, component);
        const imgs = images(prefix, specs, { parent: component, provider, dependsOn: daemon.changes });
        specs.forEach((spec) => {
            const adopted = adoptedByHost[i].get(spec.name);
            containers[spec.name] = container(
                `${prefix}-${spec.name}`,
                spec,
                imgs.get(spec.image)!,
                `${kind}/${name}`,
                { adopted },
                {
                    parent: component,
                    provider,
                    dependsOn: daemon.changes,
                },
            );
            specsByName[spec.name] = spec;
        });
        firstOf.push(containers[specs[0].name]);
    });

    const probes = plan.probes.map(([a, b]) => {
        const from = firstOf[a]!;
        const to = firstOf[b]!;
        const peerSpec = sides[b].containers![0];
        return new ConnectivityCheck(
            `${name}-probe-${plan.hosts[a].hostName}-to-${plan.hosts[b].hostName}`,
            {
                host: sides[a].host,
                fromContainer: from.name,
                toAddress: addressOn(to, primaryNetwork(peerSpec)),
                port: peerSpec.ports?.[0]?.internal,
            },
            { parent: component, dependsOn: [...ready, from, to] },
        ).result;
    });
    const names = Object.keys(containers);
    return {
        containers,
        hostChanges,
        daemons,
        addresses: pulumi
            .all(names.map((n) => addressOn(containers[n], primaryNetwork(specsByName[n]))))
            .apply((addrs) => Object.fromEntries(names.map((n, i) => [n, addrs[i]]))),
        subnets: pulumi.output(Object.fromEntries(plan.hosts.map((h) => [h.hostName, h.subnet]))),
        probes: pulumi.all(probes),
        started: pulumi.all(names.map((n) => started(containers[n], specsByName[n]))),
    };
}

/**
 * A routed component's per-host resources, for TypeScript callers only: a resource list and
 * dockernet's own DockerHost have no type in a Pulumi package schema, so the classes give them as
 * getters (which Pulumi's component analyzer passes over), not as properties (which it must type).
 */
export interface HostParts {
    hostChanges: { [host: string]: pulumi.Resource[] };
    dockerHosts: { [host: string]: DockerHost };
}
export const noHostParts = (): HostParts => ({ hostChanges: {}, dockerHosts: {} });

/** What a routed pair and a routed mesh both publish. */
export interface RoutedOutputs extends HostParts {
    addresses: pulumi.Output<{ [container: string]: string }>;
    subnets: pulumi.Output<{ [host: string]: string }>;
    probes: pulumi.Output<string[]>;
    containers: { [name: string]: docker.Container };
}

/**
 * What a routed pair and a routed mesh are alike: the plan, the resources (buildRouted) and the
 * outputs, for the component `self` (`kind` is its type token's last part). Each class extends
 * ComponentResource itself, so Pulumi's component analyzer finds it (issue 28).
 */
export function buildRoutedComponent(
    self: pulumi.ComponentResource,
    kind: "RoutedMesh" | "CrossHostRoutedPair",
    name: string,
    args: object,
    makePlan: () => RoutedPlan,
    sides: RoutedMeshHostArgs[],
    extraOutputs: (plan: RoutedPlan) => pulumi.Inputs = () => ({}),
): { plan: RoutedPlan; outputs: RoutedOutputs } {
    const plan = planFor(self, args, makePlan);
    const made = buildRouted(self, kind, name, sides, plan, firewallAfter.get(args));
    const outputs: RoutedOutputs = {
        addresses: made.addresses,
        subnets: made.subnets,
        probes: made.probes,
        containers: made.containers,
        hostChanges: made.hostChanges,
        dockerHosts: made.daemons,
    };
    self["registerOutputs"]({
        started: made.started,
        addresses: made.addresses,
        subnets: made.subnets,
        ...extraOutputs(plan),
        probes: made.probes,
    });
    return { plan, outputs };
}

/**
 * Hosts on one LAN whose containers reach each other by address: per host a bip (given or from the
 * pool, owned by the host's DockerHost), one route set to every peer's container subnet, one
 * firewall set; then the containers; then a ring of probes. Resources grow with hosts.
 */
export class RoutedMesh extends pulumi.ComponentResource {
    /** Container addresses by container name, all hosts. */
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
    /** Each host's bip (given or allocated), by host name. */
    public readonly bips: { [host: string]: string };

    constructor(name: string, args: RoutedMeshArgs, opts?: pulumi.ComponentResourceOptions) {
        super("dockernet:index:RoutedMesh", name, registeredArgs(args), opts);
        const bipsOf = (plan: RoutedPlan) => Object.fromEntries(plan.hosts.map((h) => [h.hostName, h.bip]));
        const { plan, outputs } = buildRoutedComponent(
            this,
            "RoutedMesh",
            name,
            args,
            () => planRoutedMesh(name, args),
            args?.hosts,
            (p) => ({ bips: bipsOf(p) }),
        );
        ({
            addresses: this.addresses,
            subnets: this.subnets,
            probes: this.probes,
            containers: this.containers,
        } = outputs);
        this.hostParts = () => outputs;
        this.bips = bipsOf(plan);
    }
}

/**
 * The routes.sh `--tag` of a mesh or pair on a host: a hash, like the chain names, so it is
 * one-to-one with the component and host whatever characters the name holds.
 */
export function routesTag(meshName: string, hostName: string): string {
    return chainName("R", `${meshName}/${hostName}`);
}

function subnetText(c: Cidr): string {
    return formatCidr(c.network, c.prefix);
}
