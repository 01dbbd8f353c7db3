// A whole topology planned once, as plain data: per host its daemon setting (bip), routes,
// firewall chains and rules, networks, images, containers with their wiring, and every host-script
// call with its exact arguments; plus every resource the deployment registers. It validates
// everything first, all problems at once. The deployment (deployTopology), the offline plan
// printer and its picture all read this one value; nothing reads generated commands back.
import { checkTopologyShape, nearest } from "./configShape";
import { ConnectivityCheckArgs, validateConnectivityCheck } from "./connectivityCheck";
import { CrossHostPlan, RoutedHostArgs, planCrossHostRoutedPair } from "./crossHostRoutedPair";
import { bipArgs } from "./host/dockerHost";
import { RoutedMeshHostArgs, RoutedPlan, planRoutedMesh, poolBip, routesArgs, routesTag } from "./routedMesh";
import { BridgePlan, planCustomBridgeNetwork } from "./customBridgeNetwork";
import { firewallArgs } from "./host/firewall";
import { scriptCommand } from "./host/scripts";
import { LinkPlan, linkHostNames, planLinkedContainerPair } from "./linkedContainerPair";
import { validateSharedNamespaceContainer } from "./sharedNamespaceContainer";
import { validateStandaloneContainer } from "./standaloneContainer";
import { imageResourceName } from "./containers";
import { ContainerSpec, effectiveMode } from "./spec";
import type {
    TopologyContainer,
    TopologyMeshHost,
    TopologyNetworkAttachment,
    TopologyRoutedSide,
    TopologySpec,
    TopologySwarmHost,
} from "./topologySpec";
import {
    Cidr,
    checkHostAddress,
    checkInterfaceCidr,
    checkSubnet,
    contains,
    formatCidr,
    formatIPv4,
    overlaps,
} from "./net";
import { HostArgs, hostEndpoint, validateHost } from "./host/host";
import { Publisher, checkPublishedPorts, checkUniqueNames } from "./spec";
import {
    SwarmPlan,
    gwbridgePoolProblem,
    planSwarmOverlayNetwork,
    swarmSteps,
    swarmTokenReads,
} from "./swarmOverlayNetwork";
import { Problems, ValidationError, checkDockerName, show } from "./validate";

export interface PlannedNetwork {
    /** The resource's name, e.g. `appnet-network`. */
    resource: string;
    name: string;
    /** The Linux bridge; undefined when Docker names it (`br-<network id>`). */
    bridgeName?: string;
    /** undefined: Docker picks one from its default pools. */
    subnet?: string;
    gateway?: string;
    ipRange?: string;
    internal: boolean;
    component: string;
    /** `overlay` for a SwarmOverlayNetwork's network (swarm-scoped, attachable); a bridge otherwise. */
    driver?: "overlay";
}

export interface PlannedContainer {
    resource: string;
    name: string;
    image: string;
    /** `bridge`, `host`, `none`, `custom` (on user-defined networks) or `container:<id of ...>`. */
    networkMode: string;
    networks: { name: string; aliases: string[]; ipv4Address?: string }[];
    /** Published ports, `0.0.0.0:8080->80/tcp`. */
    published: string[];
    /** Ports the container listens on (from its spec), `80/tcp`. */
    listens: string[];
    /** Extra /etc/hosts lines (mode hosts links), with what is known only at up in <...>. */
    hostsEntries: string[];
    command?: string[];
    restart: string;
    component: string;
    /** For a sidecar: the container whose network namespace it joins. */
    sharesNetnsOf?: string;
    /** On an adopting routed host: where it is declared, and its spec (a hand-made one of its name is imported when it matches). */
    adopt?: { field: string; spec: TopologyContainer };
}

export interface PlannedScript {
    resource: string;
    script: "bip" | "routes" | "firewall" | "probe" | "swarm";
    /** The arguments; undefined when they are only known during `up` (a container's address). */
    createArgs?: string[];
    deleteArgs?: string[];
    /** The exact command texts, when the arguments are known. */
    createText?: string;
    deleteText?: string;
    /** What the run is for, when its arguments are not known yet. */
    note?: string;
    /** `ssh root@192.168.100.200:22` or `local /bin/sh`. */
    via: string;
}

export interface HostPlan {
    name: string;
    endpoint: string;
    /** docker0's bip when a routed pair or mesh sets it, e.g. `172.18.0.1/16`. */
    bip?: string;
    /** Where the bip comes from: `RoutedMesh lan (pool 10.200.0.0/16)`, `CrossHostRoutedPair seed-pair`. */
    bipFrom?: string;
    /** docker0's subnet, when a bip is set. */
    docker0Subnet?: string;
    /** A `--bip` flag with this bip in the Docker unit or on dockerd's command line is kept where it is. */
    bipAdopt?: boolean;
    networks: PlannedNetwork[];
    images: string[];
    containers: PlannedContainer[];
    /** Host-script runs as up runs them: bip first, then routes, firewall, probes; then by name. */
    scripts: PlannedScript[];
    /** Static routes routes.sh adds: subnet via a peer's LAN address, and the component they are for. */
    /** `adopt`: a hand-made route to the subnet via the same gateway is taken over (and given back). */
    routes: { subnet: string; via: string; peer?: string; component?: string; adopt?: boolean }[];
    /** Paths opened between two bridges by firewall.sh (`connectTo`). */
    openings: { a: string; b: string; chain: string }[];
    /** Other firewall rules (subnet to subnet, nat returns). */
    firewallRules: { chain: string; rule: string }[];
}

/** One resource the deployment registers: its type token and name, and the host it acts on. */
export interface PlannedResource {
    type: string;
    name: string;
    host?: string;
}

export interface TopologyPlan {
    hosts: HostPlan[];
    links: { host: string; consumer: string; target: string; alias: string; mode: string }[];
    /** `toContainerOn`: the host of the container `to` names (its address is known at up); undefined when `to` is an address. */
    checks: {
        host: string;
        name: string;
        from: string;
        to: string;
        toContainerOn?: string;
        port?: number;
        expect: string;
    }[];
    /** Every resource deployTopology registers (components, providers, Docker objects, commands). */
    resources: PlannedResource[];
    /** The components' own plans, by component name, so deploying them does not plan them again. */
    componentPlans: Map<string, BridgePlan | LinkPlan | CrossHostPlan | RoutedPlan | SwarmPlan | true>;
}

/** A host as the components take it, with a placeholder for the key (plans never hold key material). */
export function hostArgsOf(t: TopologySpec, name: string): HostArgs {
    const h = (t.hosts ?? []).find((x) => x?.name === name);
    return { ...h, ssh: h?.ssh ? { ...h.ssh, privateKey: "(secret)" } : undefined } as HostArgs;
}

/**
 * Validates a topology (across components, then each component's own rules; every problem in
 * one ValidationError) and plans it. Pure: no resource, no connection, no file.
 */
export function planTopology(t: TopologySpec, stack?: string): TopologyPlan {
    const messages: string[] = [];
    const attempt = <T>(fn: () => T): T | undefined => {
        try {
            return fn();
        } catch (e) {
            if (!(e instanceof ValidationError)) {
                throw e;
            }
            messages.push(e.message);
            return undefined;
        }
    };
    // The shape first: with a wrong key or type anywhere, nothing else reads the topology (one
    // mistake, one message; no JavaScript error from a value of the wrong type).
    const shape = new Problems();
    checkTopologyShape(shape, t);
    shape.throwIfAny("topology", stack ?? "stack");
    attempt(() => validateTopology(t, stack));
    // A host whose own settings are wrong was reported at dockernet:hosts; its components are checked
    // with a stand-in (local) host, so that one mistake is not reported again under each of them.
    const hostOk = new Set(
        (t.hosts ?? [])
            .filter((h) => {
                const p = new Problems();
                validateHost(p, "host", hostArgsOf(t, h?.name));
                return p.empty;
            })
            .map((h) => h?.name),
    );
    const host = (name: string): HostArgs => (hostOk.has(name) ? hostArgsOf(t, name) : { name, local: {} });
    const spec = (c: TopologyContainer): ContainerSpec => c as ContainerSpec; // network names stay the topology's (a bridge's name is its network's)
    const plans = new Map<string, BridgePlan | LinkPlan | CrossHostPlan | RoutedPlan | SwarmPlan | true>();
    const keep = (name: string, p: BridgePlan | LinkPlan | CrossHostPlan | RoutedPlan | SwarmPlan | true | undefined) =>
        p !== undefined && plans.set(name, p);
    // A component on a host that is not declared was reported above; planning it would only add
    // "no connection details" for the same mistake.
    const declared = new Set((t.hosts ?? []).map((h) => h?.name));
    const on = (...hosts: unknown[]) => hosts.every((h) => declared.has(h as string));
    for (const b of (t.bridges ?? []).filter((x) => on(x.host))) {
        keep(
            b.name,
            attempt(() => planCustomBridgeNetwork(b.name, { ...b, host: host(b.host), networkName: b.name })),
        );
    }
    for (const r of (t.routedPairs ?? []).filter((x) => on(x.hostA?.host, x.hostB?.host))) {
        const side = (s: TopologyRoutedSide): RoutedHostArgs => ({
            ...s,
            host: host(s.host),
            containers: s.containers?.map(spec),
        });
        keep(
            r.name,
            attempt(() => planCrossHostRoutedPair(r.name, { ...r, hostA: side(r.hostA), hostB: side(r.hostB) })),
        );
    }
    for (const m of (t.meshes ?? []).filter((x) => on(...x.hosts.map((h) => h.host)))) {
        const side = (s: TopologyMeshHost): RoutedMeshHostArgs =>
            s && typeof s === "object" ? { ...s, host: host(s.host), containers: s.containers?.map(spec) } : s;
        keep(
            m.name,
            attempt(() =>
                planRoutedMesh(m.name, { ...m, hosts: Array.isArray(m.hosts) ? m.hosts.map(side) : m.hosts }),
            ),
        );
    }
    for (const w of (t.swarms ?? []).filter((x) => Array.isArray(x.hosts) && on(...x.hosts.map((h) => h?.host)))) {
        const side = (m: TopologySwarmHost) =>
            m && typeof m === "object" ? { ...m, host: host(m.host), containers: m.containers?.map(spec) } : m;
        keep(
            w.name,
            attempt(() => planSwarmOverlayNetwork(w.name, { ...w, hosts: w.hosts.map(side) })),
        );
    }
    for (const l of (t.links ?? []).filter((x) => on(x.host))) {
        keep(
            l.name,
            attempt(() =>
                planLinkedContainerPair(l.name, {
                    ...l,
                    host: host(l.host),
                    target: spec(l.target),
                    consumer: l.consumer && spec(l.consumer),
                    consumers: l.consumers?.map((c) => ({ ...c, container: spec(c.container) })),
                }),
            ),
        );
    }
    for (const c of (t.containers ?? []).filter((x) => on(x.host))) {
        keep(
            c.name,
            attempt(
                () => (
                    validateStandaloneContainer(c.name, { host: host(c.host), container: spec(standaloneSpec(c)) }),
                    true as const
                ),
            ),
        );
    }
    for (const s of (t.sharedNamespaces ?? []).filter((x) => on(x.host))) {
        keep(
            s.name,
            attempt(
                () => (
                    validateSharedNamespaceContainer(s.name, {
                        host: host(s.host),
                        primary: spec(s.primary),
                        sidecars: (s.sidecars ?? []).map(spec),
                    }),
                    true as const
                ),
            ),
        );
    }
    const refs = containerRefs(t);
    for (const c of (t.checks ?? []).filter((x) => on(x.host))) {
        // A check that names a container gets its address at up; any non-empty stand-in validates as
        // such. `from` and `to` were checked against the topology above (validateTopology): what
        // was refused there is not refused again here (one mistake, one message).
        const toAddress = checkHostAddress(c.to).ok ? c.to : ({} as ConnectivityCheckArgs["toAddress"]);
        keep(
            c.name,
            attempt(
                () => (
                    validateConnectivityCheck(c.name, {
                        host: host(c.host),
                        fromContainer: "checked",
                        toAddress,
                        port: c.port,
                        expect: c.expect,
                        attempts: c.attempts,
                    }),
                    true as const
                ),
            ),
        );
    }
    if (messages.length > 0) {
        throw new ValidationError(messages.join("\n"), []);
    }
    return { ...layout(t, plans, refs), componentPlans: plans };
}

/**
 * The containers a check may name, and their hosts: `<host>/<name>` for one on the check's own
 * host, `*\/<name>` for a routed pair's (reachable by address from the peer host too).
 */
function containerRefs(t: TopologySpec): Map<string, string> {
    const out = new Map<string, string>();
    for (const l of t.links ?? []) {
        for (const c of [l.target, ...linkConsumers(l)]) {
            out.set(`${l.host}/${c?.name}`, l.host);
        }
    }
    for (const s of t.sharedNamespaces ?? []) {
        out.set(`${s.host}/${s.primary?.name}`, s.host);
    }
    for (const c of t.containers ?? []) {
        out.set(`${c.host}/${c.name}`, c.host);
    }
    for (const side of routedSides(t)) {
        for (const c of side?.containers ?? []) {
            out.set(`${side.host}/${c.name}`, side.host).set(`*/${c.name}`, side.host);
        }
    }
    for (const w of t.swarms ?? []) {
        for (const m of Array.isArray(w.hosts) ? w.hosts : []) {
            for (const c of m?.containers ?? []) {
                out.set(`${m.host}/${c.name}`, m.host).set(`*/${c.name}`, m.host);
            }
        }
    }
    return out;
}

/** A standalone container's spec: the config entry without its `host`. */
export function standaloneSpec(c: { host: string } & TopologyContainer): TopologyContainer {
    const spec: Partial<typeof c> = { ...c };
    delete spec.host;
    return spec as TopologyContainer;
}

/** A link's consumer containers: `consumer`, then each of `consumers`. */
export function linkConsumers(l: {
    consumer?: TopologyContainer;
    consumers?: { container: TopologyContainer }[];
}): TopologyContainer[] {
    return [...(l.consumer ? [l.consumer] : []), ...(l.consumers ?? []).map((c) => c.container)];
}

/** Every host entry of the routed pairs and meshes, pairs first. */
function routedSides(t: TopologySpec): { host: string; containers?: TopologyContainer[] }[] {
    return [
        ...(t.routedPairs ?? []).flatMap((r) => [r.hostA, r.hostB]),
        ...(t.meshes ?? []).flatMap((m) => (Array.isArray(m.hosts) ? m.hosts : [])),
    ].filter((s) => s && typeof s === "object");
}

/** The host of the container a check's `to` names, or undefined when `to` is an address. */
function containerHostOf(refs: Map<string, string>, check: { host: string; to: string }): string | undefined {
    return refs.get(`${check.host}/${check.to}`) ?? refs.get(`*/${check.to}`);
}

/** Lays the validated plans out per host, in the order `up` registers them. */
function layout(
    t: TopologySpec,
    plans: Map<string, unknown>,
    refs: Map<string, string>,
): Omit<TopologyPlan, "componentPlans"> {
    const hosts = new Map<string, HostPlan>();
    const resources: PlannedResource[] = [];
    const endpointOf = (name: string) => hostEndpoint(hostArgsOf(t, name));
    for (const h of t.hosts ?? []) {
        hosts.set(h.name, {
            name: h.name,
            endpoint: endpointOf(h.name),
            networks: [],
            images: [],
            containers: [],
            scripts: [],
            routes: [],
            openings: [],
            firewallRules: [],
        });
    }
    const on = (name: string) => hosts.get(name)!;
    const viaOf = (name: string) => {
        const h = hostArgsOf(t, name);
        return h.ssh ? `ssh ${h.ssh.user ?? "root"}@${h.ssh.address}:${h.ssh.port ?? 22}` : "local /bin/sh";
    };
    const commandType = (name: string) =>
        hostArgsOf(t, name).ssh ? "command:remote:Command" : "command:local:Command";
    const component = (type: string, name: string) => resources.push({ type: `dockernet:index:${type}`, name });
    const script = (
        hostName: string,
        resource: string,
        kind: PlannedScript["script"],
        create?: string[],
        del?: string[],
        note?: string,
    ) => {
        on(hostName).scripts.push({
            resource,
            script: kind,
            createArgs: create,
            deleteArgs: del,
            createText: create && scriptCommand(kind, create),
            deleteText: del && scriptCommand(kind, del),
            note,
            via: viaOf(hostName),
        });
        resources.push({ type: commandType(hostName), name: resource, host: hostName });
    };
    const images = (hostName: string, prefix: string, specs: TopologyContainer[]) => {
        for (const image of [...new Set(specs.map((s) => s.image))]) {
            resources.push({
                type: "docker:index/remoteImage:RemoteImage",
                name: imageResourceName(prefix, image),
                host: hostName,
            });
            if (!on(hostName).images.includes(image)) {
                on(hostName).images.push(image);
            }
        }
    };
    const container = (
        hostName: string,
        resource: string,
        c: TopologyContainer,
        owner: string,
        wiring: Wiring = {},
    ) => {
        on(hostName).containers.push(plannedContainer(resource, c, owner, wiring));
        resources.push({ type: "docker:index/container:Container", name: resource, host: hostName });
    };
    const probe = (hostName: string, check: string, note: string) => {
        component("ConnectivityCheck", check);
        script(hostName, `${check}-probe`, "probe", undefined, undefined, note);
    };
    // One Docker provider per host with Docker objects (deployTopology).
    const docked = new Set([
        ...routedSides(t)
            .filter((s) => (s.containers ?? []).length > 0)
            .map((s) => s.host),
        ...[...(t.bridges ?? []), ...(t.links ?? []), ...(t.sharedNamespaces ?? []), ...(t.containers ?? [])].map(
            (x) => x.host,
        ),
        // a swarm's manager (its overlay is made there) and its members with containers
        ...(t.swarms ?? []).flatMap((w) => {
            const manager = (plans.get(w.name) as SwarmPlan).manager;
            return w.hosts.filter((m, i) => i === manager || (m.containers ?? []).length > 0).map((m) => m.host);
        }),
    ]);
    for (const h of t.hosts ?? []) {
        if (docked.has(h.name)) {
            resources.push({ type: "pulumi:providers:docker", name: `dockernet-${h.name}`, host: h.name });
        }
    }

    // Each host's daemon settings, owned once (DockerHost), then every pair's and mesh's per-host sets.
    const daemons = new Set<string>();
    const routed = (
        kind: string,
        name: string,
        plan: RoutedPlan,
        sides: { containers?: TopologyContainer[] }[],
        bipFrom: string,
        path: string,
    ) => {
        component(kind, name);
        const peerAt = new Map(plan.hosts.map((o) => [o.lanAddress.split("/")[0], o.hostName]));
        plan.hosts.forEach((hp, i) => {
            const h = on(hp.hostName);
            const prefix = `${name}-${hp.hostName}`;
            if (!daemons.has(hp.hostName)) {
                daemons.add(hp.hostName);
                component("DockerHost", hp.hostName);
                const args = hostArgsOf(t, hp.hostName);
                h.bip = hp.bip;
                h.bipFrom = hp.allocated ? bipFrom : `${kind} ${name}`;
                h.docker0Subnet = hp.subnet;
                if (hp.adopt) {
                    h.bipAdopt = true;
                }
                script(
                    hp.hostName,
                    `${hp.hostName}-bip`,
                    "bip",
                    bipArgs("create", hp.bip, args, hp.adopt),
                    bipArgs("delete", hp.bip, args, hp.adopt),
                );
            }
            const tag = routesTag(name, hp.hostName);
            script(
                hp.hostName,
                `${prefix}-routes`,
                "routes",
                routesArgs("create", tag, hp),
                routesArgs("delete", tag, hp),
            );
            for (const route of hp.routes) {
                const [subnet, via] = route.split("=");
                h.routes.push({
                    subnet,
                    via,
                    peer: peerAt.get(via),
                    component: `${kind}/${name}`,
                    ...(hp.adopt ? { adopt: true } : {}),
                });
            }
            script(
                hp.hostName,
                `${prefix}-firewall`,
                "firewall",
                firewallArgs("create", hp.firewallChain, hp.firewallRules),
                firewallArgs("delete", hp.firewallChain, hp.firewallRules),
            );
            absorbRules(h, hp.firewallChain, hp.firewallRules);
            const specs = sides[i].containers ?? [];
            if (specs.length > 0) {
                images(hp.hostName, prefix, specs);
                specs.forEach((c, j) => {
                    container(hp.hostName, `${prefix}-${c.name}`, c, `${kind}/${name}`);
                    if (hp.adopt) {
                        h.containers[h.containers.length - 1].adopt = {
                            field: `${path}.${hp.field}.containers[${j}]`,
                            spec: c,
                        };
                    }
                });
            }
        });
        for (const [a, b] of plan.probes) {
            probe(
                plan.hosts[a].hostName,
                `${name}-probe-${plan.hosts[a].hostName}-to-${plan.hosts[b].hostName}`,
                "its arguments include a container's address, known once the container runs",
            );
        }
    };
    (t.routedPairs ?? []).forEach((r, k) => {
        routed(
            "CrossHostRoutedPair",
            r.name,
            plans.get(r.name) as CrossHostPlan,
            [r.hostA, r.hostB],
            "",
            `routedPairs[${k}]`,
        );
    });
    (t.meshes ?? []).forEach((m, k) => {
        routed(
            "RoutedMesh",
            m.name,
            plans.get(m.name) as RoutedPlan,
            m.hosts,
            `RoutedMesh ${m.name} (pool ${m.pool?.subnet}, block /${m.pool?.size ?? 24})`,
            `meshes[${k}]`,
        );
    });
    for (const w of t.swarms ?? []) {
        const plan = plans.get(w.name) as SwarmPlan;
        component("SwarmOverlayNetwork", w.name);
        const owner = `SwarmOverlayNetwork/${w.name}`;
        const mgr = w.hosts[plan.manager];
        // The component's own layout (swarmSteps): the same resources in the same order.
        for (const step of swarmSteps(
            w.name,
            plan,
            w.hosts.map((m) => ({ hostName: m.host, address: m.address })),
        )) {
            const where = w.hosts[step.host].host;
            if (step.token) {
                script(
                    where,
                    step.name,
                    step.script,
                    undefined,
                    step.delete,
                    `its create carries the ${step.token} join token, read on the first manager during up (a secret)`,
                );
            } else {
                script(where, step.name, step.script, step.create(), step.delete);
            }
            if (step.host === plan.manager && step.name === `${w.name}-${mgr.host}-swarm`) {
                for (const t of swarmTokenReads(w.name, plan)) {
                    resources.push({ type: commandType(mgr.host), name: t.name, host: mgr.host });
                }
            }
        }
        resources.push({ type: "docker:index/network:Network", name: `${w.name}-network`, host: mgr.host });
        w.hosts.forEach((m, i) => {
            const specs = plan.containers.filter((c) => c.host === i).map((c) => c.spec as TopologyContainer);
            if (i === plan.manager || specs.length > 0) {
                on(m.host).networks.push({
                    resource: `${w.name}-network`,
                    name: plan.networkName,
                    subnet: plan.subnet,
                    gateway: plan.gateway,
                    internal: false,
                    component: owner,
                    driver: "overlay",
                });
            }
            if (specs.length > 0) {
                images(m.host, `${w.name}-${m.host}`, specs);
                specs.forEach((c) => container(m.host, `${w.name}-${m.host}-${c.name}`, c, owner));
            }
        });
    }
    for (const b of t.bridges ?? []) {
        const plan = plans.get(b.name) as BridgePlan;
        component("CustomBridgeNetwork", b.name);
        const owner = `CustomBridgeNetwork/${b.name}`;
        on(b.host).networks.push({
            resource: `${b.name}-network`,
            name: plan.networkName,
            bridgeName: plan.bridgeName,
            subnet: plan.subnet,
            gateway: plan.gateway,
            ipRange: plan.ipRange,
            internal: plan.internal,
            component: owner,
        });
        resources.push({ type: "docker:index/network:Network", name: `${b.name}-network`, host: b.host });
        if (plan.firewallChain) {
            script(
                b.host,
                `${b.name}-connect`,
                "firewall",
                firewallArgs("create", plan.firewallChain, plan.firewallRules),
                firewallArgs("delete", plan.firewallChain, plan.firewallRules),
            );
            absorbRules(on(b.host), plan.firewallChain, plan.firewallRules);
        }
    }
    for (const l of t.links ?? []) {
        const plan = plans.get(l.name) as LinkPlan;
        const owner = `LinkedContainerPair/${l.name}`;
        component("LinkedContainerPair", l.name);
        images(l.host, l.name, [l.target, ...plan.consumers.map((c) => c.spec as TopologyContainer)]);
        const aliases = [...new Set(plan.consumers.map((c) => c.alias))];
        let target: Wiring = {};
        const consumer = (alias: string): Wiring => {
            if (plan.mode === "hosts") {
                // What --link writes, with what only up knows in <...>.
                const t = l.target.name;
                return { hostsEntry: `<address of ${t}> ${linkHostNames(alias, `<id12 of ${t}>`, t)}` };
            }
            return plan.sharedNetwork === undefined ? { networks: [{ name: plan.networkName!, aliases: [] }] } : {};
        };
        if (plan.mode === "dns" && plan.sharedNetwork !== undefined) {
            target = { aliasOn: { index: plan.sharedNetwork, aliases } };
        } else if (plan.mode === "dns") {
            on(l.host).networks.push({
                resource: `${l.name}-network`,
                name: plan.networkName!,
                subnet: plan.subnet,
                internal: false,
                component: owner,
            });
            resources.push({ type: "docker:index/network:Network", name: `${l.name}-network`, host: l.host });
            target = { networks: [{ name: plan.networkName!, aliases }] };
        }
        container(l.host, `${l.name}-target`, l.target, owner, target);
        for (const c of plan.consumers) {
            container(l.host, c.resource, c.spec as TopologyContainer, owner, consumer(c.alias));
        }
    }
    for (const c of t.containers ?? []) {
        component("StandaloneContainer", c.name);
        images(c.host, c.name, [c]);
        container(c.host, `${c.name}-container`, standaloneSpec(c), `StandaloneContainer/${c.name}`);
    }
    for (const s of t.sharedNamespaces ?? []) {
        const owner = `SharedNamespaceContainer/${s.name}`;
        component("SharedNamespaceContainer", s.name);
        images(s.host, s.name, [s.primary, ...s.sidecars]);
        container(s.host, `${s.name}-primary`, s.primary, owner);
        for (const c of s.sidecars) {
            container(s.host, `${s.name}-sidecar-${c.name}`, c, owner, { sharesNetnsOf: s.primary.name });
        }
    }
    for (const c of t.checks ?? []) {
        const expect = c.expect ?? "reachable";
        if (containerHostOf(refs, c) !== undefined) {
            probe(
                c.host,
                c.name,
                `check ${c.name}: in ${c.from}, reach ${c.to}${c.port ? ` port ${c.port}` : ""}, expect ${expect}; the address is a container's, known once it runs`,
            );
        } else {
            component("ConnectivityCheck", c.name);
            script(c.host, `${c.name}-probe`, "probe", [
                c.from,
                c.to,
                c.port === undefined ? "-" : String(c.port),
                expect,
                String(c.attempts ?? 5),
            ]);
        }
    }

    // A stable order: containers as the stack file lists them, host scripts as up runs them.
    const specOrder = containerOrder(t);
    // A swarm's INPUT chains come before its memberships, and those keep swarmSteps' order (sort is stable).
    const swarmInput = (s: PlannedScript) =>
        s.script === "firewall" && (s.createArgs ?? []).some((x) => x.startsWith("input,"));
    const rank = (s: PlannedScript) =>
        swarmInput(s) ? 0.5 : { bip: 0, swarm: 1, routes: 2, firewall: 3, probe: 4 }[s.script];
    const inStepOrder = (s: PlannedScript) => s.script === "swarm" || swarmInput(s);
    for (const h of hosts.values()) {
        const at = (c: PlannedContainer) => specOrder.get(`${h.name}/${c.name}`) ?? Number.MAX_SAFE_INTEGER;
        h.containers.sort((a, b) => at(a) - at(b));
        h.scripts.sort(
            (a, b) =>
                rank(a) - rank(b) ||
                (inStepOrder(a) && inStepOrder(b) ? 0 : a.resource < b.resource ? -1 : a.resource > b.resource ? 1 : 0),
        );
    }
    const links = (t.links ?? []).flatMap((l) =>
        (plans.get(l.name) as LinkPlan).consumers.map((c) => ({
            host: l.host,
            consumer: c.spec.name,
            target: l.target.name,
            alias: c.alias,
            mode: l.mode ?? "dns",
        })),
    );
    const checks = (t.checks ?? []).map((c) => ({
        host: c.host,
        name: c.name,
        from: c.from,
        to: c.to,
        toContainerOn: containerHostOf(refs, c),
        port: c.port,
        expect: c.expect ?? "reachable",
    }));
    return { hosts: [...hosts.values()], links, checks, resources };
}

/** What a component adds to a container beyond its spec, as the plan shows it. */
interface Wiring {
    networks?: { name: string; aliases: string[] }[];
    /** Mode dns on a shared network: the aliases go on the target's network at `index`. */
    aliasOn?: { index: number; aliases: string[] };
    hostsEntry?: string;
    sharesNetnsOf?: string;
}

function plannedContainer(resource: string, c: TopologyContainer, component: string, wiring: Wiring): PlannedContainer {
    const networks = [
        ...(c.networks ?? []).map((n, i) => ({
            name: n.name,
            aliases: [...(n.aliases ?? []), ...(wiring.aliasOn?.index === i ? wiring.aliasOn.aliases : [])],
            ipv4Address: n.ipv4Address,
        })),
        ...(wiring.networks ?? []),
    ];
    const mode = effectiveMode(c as ContainerSpec);
    const publishes = mode === "bridge" || mode === "custom";
    return {
        resource,
        name: c.name,
        image: c.image,
        networkMode: wiring.sharesNetnsOf
            ? `container:<id of ${wiring.sharesNetnsOf}>`
            : networks.length > 0
              ? "custom"
              : mode,
        networks,
        published: publishes
            ? (c.ports ?? [])
                  .filter((p) => p.external !== undefined)
                  .map((p) => `${p.ip ?? "0.0.0.0"}:${p.external}->${p.internal}/${p.protocol ?? "tcp"}`)
            : [],
        listens: (c.ports ?? [])
            .filter((p) => p.external === undefined)
            .map((p) => `${p.internal}/${p.protocol ?? "tcp"}`),
        hostsEntries: wiring.hostsEntry ? [wiring.hostsEntry] : [],
        command: c.command,
        restart: c.restart ?? "unless-stopped",
        component,
        sharesNetnsOf: wiring.sharesNetnsOf,
    };
}

/** Firewall rules as the plan shows them: openings between two bridges, and the other rules. */
function absorbRules(h: HostPlan, chain: string, rules: string[]): void {
    for (const rule of rules) {
        const f = rule.split(",");
        if (f[0] === "accept" && f[1] !== "-" && f[2] !== "-" && f[3] === "-" && f[4] === "-") {
            const [a, b] = [f[1], f[2]].sort();
            if (!h.openings.some((o) => o.a === a && o.b === b)) {
                h.openings.push({ a, b, chain });
            }
        } else {
            h.firewallRules.push({ chain, rule });
        }
    }
}

/** `<host>/<container>` → its place in the stack file (links, shared namespaces, routed pairs). */
function containerOrder(t: TopologySpec): Map<string, number> {
    const keys: string[] = [];
    for (const l of t.links ?? []) {
        keys.push(...[l.target, ...linkConsumers(l)].map((c) => `${l.host}/${c.name}`));
    }
    for (const s of t.sharedNamespaces ?? []) {
        keys.push(`${s.host}/${s.primary.name}`, ...s.sidecars.map((c) => `${s.host}/${c.name}`));
    }
    for (const c of t.containers ?? []) {
        keys.push(`${c.host}/${c.name}`);
    }
    for (const side of routedSides(t)) {
        keys.push(...(side.containers ?? []).map((c) => `${side.host}/${c.name}`));
    }
    return new Map([...new Set(keys)].map((k, i) => [k, i]));
}

/** Validates references and overlaps across the whole topology (planTopology then runs each component's own checks). */
export function validateTopology(t: TopologySpec, stack = "stack"): void {
    const problems = new Problems();
    const hostNames = new Set<string>();
    const endpoints = new Map<string, string>();
    const duplicateHosts: { field: string; name: unknown }[] = [];
    (t.hosts ?? []).forEach((h, i) => {
        const asArgs = { ...h, ssh: h?.ssh ? { ...h.ssh, privateKey: "(secret)" } : undefined } as HostArgs;
        validateHost(problems, `hosts[${i}]`, asArgs);
        if (hostNames.has(h?.name)) {
            duplicateHosts.push({ field: `hosts[${i}].name`, name: h.name }); // reported with the unknown names
        }
        hostNames.add(h?.name);
        // The same machine under two names would slip past every per-host check.
        const at = h && typeof h === "object" ? hostEndpoint(asArgs) : undefined;
        if (at !== undefined && endpoints.has(at)) {
            const [f, v] = h.ssh
                ? ["ssh.address", h.ssh.address]
                : ["local.dockerHost", h.local?.dockerHost ?? "(default)"];
            problems.add(
                `hosts[${i}].${f}`,
                `${show(v)} reaches the same Docker host as ${show(endpoints.get(at))} (${at}); give each host once, under one name`,
            );
        } else if (at !== undefined) {
            endpoints.set(at, h.name);
        }
    });
    // An unknown host name is one mistake however many components use it: one message, at its
    // first use, naming the others.
    const unknownHosts = new Map<string, { name: unknown; fields: string[] }>();
    const refHost = (field: string, name: unknown) => {
        if (typeof name !== "string" || !hostNames.has(name)) {
            const entry = unknownHosts.get(show(name)) ?? { name, fields: [] };
            entry.fields.push(field);
            unknownHosts.set(show(name), entry);
        }
    };
    const reportUnknownHosts = () => {
        // A host renamed into another's name leaves the old name unknown wherever it was used: one
        // mistake, so one message, at the duplicate, naming what still uses the old name.
        for (const d of duplicateHosts) {
            const orphans = [...unknownHosts].map(([shown, u]) => `${shown} (used by ${u.fields.join(", ")})`);
            problems.add(
                d.field,
                `${show(d.name)} is listed twice; give each host once` +
                    (orphans.length > 0 ? `: was this one meant to be ${orphans.join(" or ")}?` : ""),
            );
        }
        if (duplicateHosts.length > 0) {
            return;
        }
        for (const [shown, { name, fields }] of unknownHosts) {
            const near =
                typeof name === "string"
                    ? nearest(
                          name,
                          [...hostNames].filter((h): h is string => typeof h === "string"),
                      )
                    : undefined;
            problems.add(
                fields[0],
                `${shown} is not one of the hosts (${[...hostNames].join(", ")}); ${near ? `did you mean ${near}? ` : ""}add it to dockernet:hosts or fix the name` +
                    (fields.length > 1 ? ` (also used by ${fields.slice(1).join(", ")})` : ""),
            );
        }
    };
    const bridgesByHost = new Map<string, Set<string>>();
    const subnetsByHost = new Map<
        string,
        { field: string; cidr: Cidr; kind: string; text: string; group?: string }[]
    >();
    // kind: the same LAN or bip declared again for one host (by several pairs) is one network.
    // group: a pair's or mesh's own entries are checked against each other by the component itself.
    const parsed = new Map<string, ReturnType<typeof checkSubnet>>(); // a mesh's subnets recur on every host
    const addSubnet = (
        host: string,
        field: string,
        text: string | undefined,
        iface: boolean,
        kind = "net",
        group?: string,
    ) => {
        if (text === undefined) {
            return;
        }
        const key = `${iface}|${text}`;
        const c = parsed.get(key) ?? (iface ? checkInterfaceCidr(text) : checkSubnet(text));
        parsed.set(key, c);
        if (!c.ok) {
            return; // the component reports it
        }
        const list = subnetsByHost.get(host) ?? [];
        for (const other of list) {
            if ((kind === "lan" || kind === "bip") && other.kind === kind && other.text === text) {
                continue;
            }
            if (group !== undefined && other.group === group) {
                continue;
            }
            if (overlaps(other.cidr, c.value)) {
                problems.add(
                    field,
                    `${show(text)} overlaps ${other.field} (${formatCidr(other.cidr.network, other.cidr.prefix)}) on host ${host}; give each network its own range`,
                );
            }
        }
        list.push({ field, cidr: c.value, kind, text, group });
        subnetsByHost.set(host, list);
    };
    // One bip per host, whoever declares it: a second, different one names the first.
    const bipOf = new Map<string, { field: string; text: string }>();
    const declareBip = (host: string, field: string, text: string) => {
        const first = bipOf.get(host);
        if (first && first.text !== text) {
            problems.add(
                field,
                `${show(text)} for host ${host} disagrees with ${first.field} ${show(first.text)}; a host has one bip: give both the same`,
            );
        } else if (!first) {
            bipOf.set(host, { field, text });
        }
    };
    const names = new Set<string>();
    const uniqueName = (field: string, name: unknown) => {
        if (checkDockerName(problems, field, name)) {
            if (names.has(name)) {
                problems.add(
                    field,
                    `${show(name)} names two items of this stack; Pulumi resource names must be unique`,
                );
            }
            names.add(name);
        }
    };
    // Routed pairs and meshes first: their LAN, own and peer subnets are what other networks must not overlap.
    const routed = (
        group: string,
        field: (j: number) => string,
        sides: { host: string; lanAddress: string; bip?: string }[],
        bipOfSide: (j: number) => string | undefined,
    ) => {
        const bips = sides.map((_, j) => bipOfSide(j));
        sides.forEach((side, j) => {
            refHost(`${field(j)}.host`, side?.host);
            if (!side || typeof side !== "object") {
                return;
            }
            const bipField = side.bip === undefined ? `${field(j)}.bip (from the pool: ${bips[j]})` : `${field(j)}.bip`;
            addSubnet(side.host, `${field(j)}.lanAddress`, side.lanAddress, true, "lan", group);
            addSubnet(side.host, bipField, bips[j], true, "bip", group);
            if (bips[j] !== undefined) {
                declareBip(side.host, bipField, bips[j]!);
            }
        });
        // Each host routes every peer's container subnet: nothing local may shadow it.
        sides.forEach((side, j) => {
            sides.forEach((peer, k) => {
                if (j !== k && side && peer && typeof side === "object" && typeof peer === "object") {
                    addSubnet(side.host, `${field(k)}.bip (routed to ${side.host})`, bips[k], true, "peer", group);
                }
            });
        });
    };
    (t.routedPairs ?? []).forEach((p, i) => {
        uniqueName(`routedPairs[${i}].name`, p.name);
        const sides = [p.hostA, p.hostB];
        routed(
            `pair ${i}`,
            (j) => `routedPairs[${i}].${j === 0 ? "hostA" : "hostB"}`,
            sides,
            (j) => sides[j]?.bip,
        );
    });
    (t.meshes ?? []).forEach((m, i) => {
        uniqueName(`meshes[${i}].name`, m.name);
        const sides = Array.isArray(m.hosts) ? m.hosts : [];
        const pool = m.pool && typeof m.pool === "object" ? checkSubnet(m.pool.subnet) : undefined;
        const size = m.pool?.size ?? 24;
        routed(
            `mesh ${i}`,
            (j) => `meshes[${i}].hosts[${j}]`,
            sides,
            (j) => {
                const side = sides[j];
                if (
                    side?.bip !== undefined ||
                    !pool?.ok ||
                    !Number.isInteger(size) ||
                    size <= pool.value.prefix ||
                    size > 30
                ) {
                    return side?.bip;
                }
                const lan = checkInterfaceCidr(side?.lanAddress);
                const got = lan.ok ? poolBip(pool.value, size, lan.value) : undefined;
                return got?.ok ? got.bip : undefined;
            },
        );
    });
    (t.bridges ?? []).forEach((b, i) => {
        uniqueName(`bridges[${i}].name`, b.name);
        refHost(`bridges[${i}].host`, b.host);
        bridgesByHost.set(b.host, (bridgesByHost.get(b.host) ?? new Set()).add(b.name));
        addSubnet(b.host, `bridges[${i}].subnet`, b.subnet, false);
    });
    const containersByHost = new Map<string, { field: string; name: string | undefined }[]>();
    const publishersByHost = new Map<string, Publisher[]>();
    /**
     * A fixed address (`ipv4Address`, `docker network connect --ip`) must be one Docker can give on
     * that bridge: inside its subnet, neither its network nor its broadcast address, not its gateway,
     * and no other container's there. Docker refuses each only when the container joins (moby's
     * IPAM: no subnet of the network holds it, or "Address already in use"); the plan refuses it first.
     */
    const checkFixedAddress = (host: string, field: string, n: TopologyNetworkAttachment | undefined) => {
        const bridge = (t.bridges ?? []).find((b) => b?.host === host && b?.name === n?.name);
        const subnet = checkSubnet(bridge?.subnet);
        const ip = checkHostAddress(n?.ipv4Address);
        if (n?.ipv4Address === undefined || !bridge || !subnet.ok || !ip.ok) {
            return; // no fixed address, or what is wrong with it is reported elsewhere
        }
        const s = subnet.value;
        const gw = bridge.gateway === undefined ? s.network + 1 : checkHostAddress(bridge.gateway);
        const gateway = typeof gw === "number" ? gw : gw.ok ? gw.value : undefined;
        const other = formatIPv4([s.network + 2, s.network + 3].find((a) => a !== gateway && a !== ip.value)!);
        const on = `bridge ${show(bridge.name)} (${formatCidr(s.network, s.prefix)})`;
        const where = `${field}.ipv4Address`;
        if (!contains(s, ip.value)) {
            problems.add(where, `${show(n.ipv4Address)} is outside ${on}; use an address inside it, e.g. ${other}`);
        } else if (ip.value === s.network || ip.value === s.broadcast) {
            const which = ip.value === s.network ? "network" : "broadcast";
            problems.add(where, `${show(n.ipv4Address)} is the ${which} address of ${on}; use another, e.g. ${other}`);
        } else if (ip.value === gateway) {
            problems.add(
                where,
                `${show(n.ipv4Address)} is the gateway of ${on} (the bridge's own address); use another, e.g. ${other}`,
            );
        } else {
            const key = `${host}/${bridge.name}/${ip.value}`;
            const first = fixedAddresses.get(key);
            if (first !== undefined) {
                problems.add(
                    where,
                    `${show(n.ipv4Address)} is already ${first}'s on ${on}; give each container its own address`,
                );
            } else {
                fixedAddresses.set(key, where);
            }
        }
    };
    /** Fixed addresses on each bridge: `<host>/<bridge>/<address>` → the field that has it. */
    const fixedAddresses = new Map<string, string>();
    const useContainer = (host: string, field: string, c: TopologyContainer | undefined) => {
        containersByHost.set(host, [...(containersByHost.get(host) ?? []), { field: `${field}.name`, name: c?.name }]);
        // A component checks its own containers' ports; here, containers of different components.
        const group = /^[a-zA-Z]+\[\d+\]/.exec(field)?.[0];
        publishersByHost.set(host, [...(publishersByHost.get(host) ?? []), { field, ports: c?.ports, group }]);
        (c?.networks ?? []).forEach((n, j) => checkFixedAddress(host, `${field}.networks[${j}]`, n));
        (c?.networks ?? []).forEach((n, j) => {
            // A bridge declared on a host that does not exist was reported there; not again here.
            if (
                !bridgesByHost.get(host)?.has(n.name) &&
                !(t.bridges ?? []).some((b) => b.name === n.name && !hostNames.has(b.host))
            ) {
                problems.add(
                    `${field}.networks[${j}].name`,
                    `${show(n.name)} is not a bridge on host ${host}; declare it in dockernet:bridges`,
                );
            }
        });
    };
    (t.links ?? []).forEach((l, i) => {
        uniqueName(`links[${i}].name`, l.name);
        refHost(`links[${i}].host`, l.host);
        useContainer(l.host, `links[${i}].target`, l.target);
        if (l.consumer !== undefined) {
            useContainer(l.host, `links[${i}].consumer`, l.consumer);
        }
        (l.consumers ?? []).forEach((c, j) =>
            useContainer(l.host, `links[${i}].consumers[${j}].container`, c.container),
        );
        addSubnet(l.host, `links[${i}].subnet`, l.subnet, false);
    });
    (t.sharedNamespaces ?? []).forEach((s, i) => {
        uniqueName(`sharedNamespaces[${i}].name`, s.name);
        refHost(`sharedNamespaces[${i}].host`, s.host);
        useContainer(s.host, `sharedNamespaces[${i}].primary`, s.primary);
        (s.sidecars ?? []).forEach((c, j) => useContainer(s.host, `sharedNamespaces[${i}].sidecars[${j}]`, c));
    });
    (t.containers ?? []).forEach((c, i) => {
        uniqueName(`containers[${i}].name`, c.name);
        refHost(`containers[${i}].host`, c.host);
        useContainer(c.host, `containers[${i}]`, c);
    });
    (t.routedPairs ?? []).forEach((p, i) => {
        for (const k of ["hostA", "hostB"] as const) {
            (p[k]?.containers ?? []).forEach((c, j) =>
                useContainer(p[k].host, `routedPairs[${i}].${k}.containers[${j}]`, c),
            );
        }
    });
    (t.meshes ?? []).forEach((m, i) => {
        (Array.isArray(m.hosts) ? m.hosts : []).forEach((h, k) =>
            (h?.containers ?? []).forEach((c, j) =>
                useContainer(h.host, `meshes[${i}].hosts[${k}].containers[${j}]`, c),
            ),
        );
    });
    const swarmOf = new Map<string, string>();
    (t.swarms ?? []).forEach((w, i) => {
        uniqueName(`swarms[${i}].name`, w.name);
        (Array.isArray(w.hosts) ? w.hosts : []).forEach((m, k) => {
            refHost(`swarms[${i}].hosts[${k}].host`, m?.host);
            const other = swarmOf.get(m?.host);
            if (other !== undefined && !other.startsWith(`swarms[${i}]`)) {
                problems.add(
                    `swarms[${i}].hosts[${k}].host`,
                    `${show(m.host)} is already in ${other}; a Docker host is in one swarm at most: declare its containers in that swarm`,
                );
            } else if (typeof m?.host === "string") {
                swarmOf.set(m.host, `swarms[${i}] (${show(w.name)})`);
            }
            addSubnet(m?.host, `swarms[${i}].subnet`, w.subnet, false);
            addSubnet(m?.host, `swarms[${i}].gwbridgeSubnet`, w.gwbridgeSubnet, false);
            if (w.gwbridgeSubnet === undefined) {
                // Routes this stack puts on the member to other hosts' containers.
                for (const peer of (subnetsByHost.get(m?.host) ?? []).filter((x) => x.kind === "peer")) {
                    const problem = gwbridgePoolProblem(
                        formatCidr(peer.cidr.network, peer.cidr.prefix),
                        `host ${m.host} (${peer.field})`,
                    );
                    if (problem) {
                        problems.add(`swarms[${i}].gwbridgeSubnet`, problem);
                    }
                }
            }
            // On the overlay, not on a bridge: only the names count here (unique per host).
            (m?.containers ?? []).forEach((c, j) =>
                containersByHost.set(m.host, [
                    ...(containersByHost.get(m.host) ?? []),
                    { field: `swarms[${i}].hosts[${k}].containers[${j}].name`, name: c?.name },
                ]),
            );
        });
    });
    for (const entries of containersByHost.values()) {
        checkUniqueNames(problems, entries);
    }
    for (const [host, publishers] of publishersByHost) {
        checkPublishedPorts(problems, publishers, `on host ${host}`);
    }
    // A check's `from` is a container on its host; its `to` an address, a container on its host, or
    // a routed container on exactly one other host (reached by address through the routes).
    const aliasesByHost = new Map<string, string[]>();
    const addAlias = (host: string, names: (string | undefined)[]) =>
        aliasesByHost.set(host, [
            ...(aliasesByHost.get(host) ?? []),
            ...names.filter((n): n is string => typeof n === "string"),
        ]);
    for (const l of t.links ?? []) {
        addAlias(l.host, [
            l.alias,
            ...(l.consumers ?? []).map((c) => c.alias),
            ...[l.target, ...linkConsumers(l)].flatMap((c) => (c?.networks ?? []).flatMap((n) => n.aliases ?? [])),
        ]);
    }
    for (const s of t.sharedNamespaces ?? []) {
        addAlias(
            s.host,
            (s.primary?.networks ?? []).flatMap((n) => n.aliases ?? []),
        );
    }
    for (const c of t.containers ?? []) {
        addAlias(
            c.host,
            (c.networks ?? []).flatMap((n) => n.aliases ?? []),
        );
    }
    const routedOn = new Map<string, Set<string>>();
    for (const side of routedSides(t)) {
        for (const c of side.containers ?? []) {
            routedOn.set(c?.name, (routedOn.get(c?.name) ?? new Set()).add(side.host));
        }
    }
    // A swarm's containers are reached by address on the overlay from the other members' containers.
    for (const w of t.swarms ?? []) {
        for (const m of Array.isArray(w.hosts) ? w.hosts : []) {
            for (const c of m?.containers ?? []) {
                routedOn.set(c?.name, (routedOn.get(c?.name) ?? new Set()).add(m.host));
            }
        }
    }
    (t.checks ?? []).forEach((c, i) => {
        uniqueName(`checks[${i}].name`, c.name);
        refHost(`checks[${i}].host`, c.host);
        if (!hostNames.has(c.host)) {
            return;
        }
        const here = (containersByHost.get(c.host) ?? [])
            .map((x) => x.name)
            .filter((n): n is string => typeof n === "string");
        // Names a container on the check's host resolves: containers, link aliases, network aliases.
        const resolvable = [...here, ...(aliasesByHost.get(c.host) ?? [])];
        if (!here.includes(c.from)) {
            const near = nearest(String(c.from), here);
            problems.add(
                `checks[${i}].from`,
                `${show(c.from)} is not a container on host ${c.host}; ${here.length > 0 ? `use one of: ${here.join(", ")}${near ? ` (did you mean ${near}?)` : ""}` : "declare the container on that host (a link, a shared namespace or a routed pair), then name it here"}`,
            );
        }
        if (checkHostAddress(c.to).ok || resolvable.includes(c.to)) {
            return;
        }
        const elsewhere = [...(routedOn.get(c.to) ?? [])].filter((h) => h !== c.host);
        if (elsewhere.length > 1) {
            problems.add(
                `checks[${i}].to`,
                `${show(c.to)} names containers on hosts ${elsewhere.join(" and ")}; give its address instead, or rename one of them`,
            );
        } else if (elsewhere.length === 0) {
            const reachable = [
                ...resolvable,
                ...[...routedOn].filter(([, hs]) => [...hs].some((h) => h !== c.host)).map(([n]) => n),
            ];
            const near = nearest(String(c.to), reachable);
            problems.add(
                `checks[${i}].to`,
                `${show(c.to)} is neither an IPv4 address nor a container reachable from ${c.host} (one on ${c.host}, or a routed one on another host); ${near ? `did you mean ${near}? ` : ""}give an address such as 172.18.0.2 or a container's name`,
            );
        }
    });
    reportUnknownHosts();
    problems.throwIfAny("topology", stack);
}
