// The Topology component: a whole stack's topology (topologySpec.ts), planned once
// (topologyPlan.ts), deployed as components under one parent: a Docker provider per host, then
// routed pairs and meshes (each host's DockerHost with them), bridges, links, shared namespaces, and checks last.
import * as fs from "fs";
import * as pulumi from "@pulumi/pulumi";
import { planFor, plannedArgs } from "./component";
import { expandHome } from "./host/endpoint";
import { Problems } from "./validate";
import { ConnectivityCheck } from "./connectivityCheck";
import { CrossHostRoutedPair, RoutedHostArgs } from "./crossHostRoutedPair";
import { CustomBridgeNetwork } from "./customBridgeNetwork";
import { HostArgs, newDockerProvider, registeredArgs } from "./host/host";
import { requireSupportedDocker, rethrowAsResourceError } from "./host/observe";
import { LinkedContainerPair } from "./linkedContainerPair";
import { RoutedMesh, RoutedMeshHostArgs, firewallAfter } from "./routedMesh";
import { SharedNamespaceContainer } from "./sharedNamespaceContainer";
import { StandaloneContainer } from "./standaloneContainer";
import { SwarmMemberArgs, SwarmOverlayNetwork } from "./swarmOverlayNetwork";
import { ContainerSpec, NetworkAttachmentSpec } from "./spec";
import { TopologyPlan, planTopology, standaloneSpec } from "./topologyPlan";
import {
    TopologyContainer,
    TopologyHost,
    TopologyMeshHost,
    TopologyRoutedSide,
    TopologySpec,
    TopologySwarmHost,
    checkKeyGiven,
} from "./topologySpec";

/** Arguments of a Topology. */
export interface TopologyArgs {
    /** The hosts and what runs on them: bridges, links, shared namespaces, routed pairs, checks. */
    spec: TopologySpec;
    /** The SSH private key for every SSH host (OpenSSH PEM text). Pass it as a secret. Defaults to none: a topology with SSH hosts then fails, saying how to set it. */
    sshPrivateKey?: pulumi.Input<string>;
}

/** What a deployed topology exposes as stack outputs: its components by name. */
export interface DeployedTopology {
    bridges: { [name: string]: CustomBridgeNetwork };
    links: { [name: string]: LinkedContainerPair };
    sharedNamespaces: { [name: string]: SharedNamespaceContainer };
    containers: { [name: string]: StandaloneContainer };
    routedPairs: { [name: string]: CrossHostRoutedPair };
    meshes: { [name: string]: RoutedMesh };
    swarms: { [name: string]: SwarmOverlayNetwork };
    checks: { [name: string]: ConnectivityCheck };
}

/**
 * A whole topology as one component: validated and planned once (planTopology), every problem
 * reported before any resource exists, then one Docker provider per host with Docker objects and
 * the components, all its children. Components keep their names; `aliases` carry the URNs they had
 * when deployTopology declared them at the top level (dockernet 0.1), so nothing is replaced.
 */
export class Topology extends pulumi.ComponentResource implements DeployedTopology {
    /** The custom bridge networks, by name. */
    get bridges(): { [name: string]: CustomBridgeNetwork } {
        return this.deployed().bridges;
    }
    /** The linked container pairs, by name. */
    get links(): { [name: string]: LinkedContainerPair } {
        return this.deployed().links;
    }
    /** The shared-namespace containers, by name. */
    get sharedNamespaces(): { [name: string]: SharedNamespaceContainer } {
        return this.deployed().sharedNamespaces;
    }
    /** The standalone containers, by name. */
    get containers(): { [name: string]: StandaloneContainer } {
        return this.deployed().containers;
    }
    /** The routed pairs, by name. */
    get routedPairs(): { [name: string]: CrossHostRoutedPair } {
        return this.deployed().routedPairs;
    }
    /** The routed meshes, by name. */
    get meshes(): { [name: string]: RoutedMesh } {
        return this.deployed().meshes;
    }
    /** The swarm overlay networks, by name. */
    get swarms(): { [name: string]: SwarmOverlayNetwork } {
        return this.deployed().swarms;
    }
    /** The connectivity checks, by name. */
    get checks(): { [name: string]: ConnectivityCheck } {
        return this.deployed().checks;
    }
    // The components are TypeScript objects with no type in a Pulumi package schema: getters (which
    // Pulumi's component analyzer passes over) read them from this method, which the constructor
    // points at this instance's own (issue 28).
    private deployed(): DeployedTopology {
        return {
            bridges: {},
            links: {},
            sharedNamespaces: {},
            containers: {},
            routedPairs: {},
            meshes: {},
            swarms: {},
            checks: {},
        };
    }

    constructor(name: string, args: TopologyArgs, opts?: pulumi.ComponentResourceOptions) {
        super("dockernet:index:Topology", name, registeredArgs(args), opts);
        const parts: DeployedTopology = this.deployed();
        this.deployed = () => parts;
        const t = args.spec;
        const privateKey = args.sshPrivateKey;
        // A host's key for its host scripts: the stack's; without one, the host's own key file
        // (ssh.privateKeyPath, which its Docker provider uses too), read here, at deployment (a
        // file that cannot be read stops the stack, naming it).
        const hostKey = (h: TopologyHost): string | undefined => {
            const file = h.ssh?.privateKeyPath;
            if (file === undefined) {
                return undefined;
            }
            try {
                return fs.readFileSync(expandHome(file), "utf8");
            } catch (e) {
                const p = new Problems();
                const i = t.hosts.indexOf(h);
                p.add(
                    `hosts[${i}].ssh.privateKeyPath`,
                    `${JSON.stringify(file)} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); give the path of the host's private key file, readable by whoever runs Pulumi`,
                );
                p.throwIfAny("topology", pulumi.getStack());
                return undefined;
            }
        };
        const plan: TopologyPlan = planFor(this, args, () => {
            const p = planTopology(t, pulumi.getStack());
            checkKeyGiven(t, privateKey, pulumi.getStack());
            return p;
        });
        // A host whose firewall dockernet changes must run a Docker it can manage: refused before
        // anything of the stack is made (one look per host, shared with the drift look).
        const firewalled = plan.hosts.filter((hp) => hp.scripts.some((s) => s.script === "firewall"));
        rethrowAsResourceError(this, () =>
            requireSupportedDocker(
                "Topology",
                name,
                firewalled.map((hp) => ({
                    field: `hosts[${t.hosts.findIndex((h) => h.name === hp.name)}]`,
                    host: t.hosts.find((h) => h.name === hp.name)!,
                })),
            ),
        );
        const planned = <A extends object>(component: string, a: A): A => {
            plannedArgs.set(a, plan.componentPlans.get(component));
            return a;
        };
        // Where the components were before they had this parent: the caller's parent, or the stack.
        const moved = { parent: this, aliases: [{ parent: opts?.parent ?? pulumi.rootStackResource }] };
        const given = Array.isArray(opts?.dependsOn)
            ? (opts.dependsOn as pulumi.Input<pulumi.Resource>[])
            : opts?.dependsOn
              ? [opts.dependsOn as pulumi.Input<pulumi.Resource>]
              : [];
        // One Docker provider per host that has Docker objects (the plan lists them), shared by
        // every component on it: one connection to each daemon instead of one per component.
        const docked = new Set(plan.resources.filter((r) => r.type === "pulumi:providers:docker").map((r) => r.host));
        const hosts = new Map<string, HostArgs>(
            t.hosts.map((h) => {
                const args: HostArgs = {
                    ...h,
                    ssh: h.ssh ? { ...h.ssh, privateKey: pulumi.secret(privateKey ?? hostKey(h)!) } : undefined,
                };
                const dockerProvider = docked.has(h.name)
                    ? newDockerProvider(`dockernet-${h.name}`, args, moved)
                    : undefined;
                return [h.name, { ...args, dockerProvider }];
            }),
        );
        const host = (name: string) => hosts.get(name)!;
        const spec = (c: TopologyContainer): ContainerSpec => ({
            ...c,
            networks: c.networks?.map((n): NetworkAttachmentSpec => ({ ...n, name: parts.bridges[n.name].name })),
        });
        // A routed host's firewall sets wait for the Docker networks declared on that host (Docker puts
        // each new network's MASQUERADE at the top of nat POSTROUTING, above rules made before it):
        // known once those components exist, below, so handed over as a promise.
        const networksOn = new Map<
            string,
            { promise: Promise<pulumi.Resource[]>; resolve: (r: pulumi.Resource[]) => void }
        >();
        for (const h of t.hosts) {
            let resolve!: (r: pulumi.Resource[]) => void;
            networksOn.set(h.name, { promise: new Promise((r) => (resolve = r)), resolve });
        }
        const ordered = <A extends object>(a: A): A => {
            firewallAfter.set(a, (hostName) => networksOn.get(hostName)?.promise ?? []);
            return a;
        };
        for (const r of t.routedPairs ?? []) {
            const side = (s: TopologyRoutedSide): RoutedHostArgs => ({
                ...s,
                host: host(s.host),
                containers: s.containers?.map(spec),
            });
            parts.routedPairs[r.name] = new CrossHostRoutedPair(
                r.name,
                ordered(planned(r.name, { ...r, hostA: side(r.hostA), hostB: side(r.hostB) })),
                { ...moved, dependsOn: given },
            );
        }
        for (const m of t.meshes ?? []) {
            const side = (s: TopologyMeshHost): RoutedMeshHostArgs => ({
                ...s,
                host: host(s.host),
                containers: s.containers?.map(spec),
            });
            parts.meshes[m.name] = new RoutedMesh(
                m.name,
                ordered(planned(m.name, { ...m, hosts: m.hosts.map(side) })),
                { ...moved, dependsOn: given },
            );
        }
        // Everything else on a host waits for that host's daemon settings (bip restarts Docker).
        const daemonChanges = (hostName: string) =>
            [...Object.values(parts.routedPairs), ...Object.values(parts.meshes)].flatMap(
                (r) => r.dockerHosts[hostName]?.changes ?? [],
            );
        const after = (hostName: string, more: pulumi.Resource[] = []) => ({
            ...moved,
            dependsOn: [...given, ...more, ...daemonChanges(hostName)],
        });
        for (const w of t.swarms ?? []) {
            const member = (m: TopologySwarmHost): SwarmMemberArgs => ({
                ...m,
                host: host(m.host),
                containers: m.containers?.map(spec),
            });
            // After every member host's daemon settings (a bip restarts Docker).
            parts.swarms[w.name] = new SwarmOverlayNetwork(
                w.name,
                planned(w.name, { ...w, hosts: w.hosts.map(member) }),
                {
                    ...moved,
                    dependsOn: [...given, ...w.hosts.flatMap((m) => daemonChanges(m.host))],
                },
            );
        }
        for (const b of t.bridges ?? []) {
            parts.bridges[b.name] = new CustomBridgeNetwork(
                b.name,
                planned(b.name, { ...b, host: host(b.host), networkName: b.name }),
                after(b.host),
            );
        }
        for (const l of t.links ?? []) {
            parts.links[l.name] = new LinkedContainerPair(
                l.name,
                planned(l.name, {
                    ...l,
                    host: host(l.host),
                    target: spec(l.target),
                    consumer: l.consumer && spec(l.consumer),
                    consumers: l.consumers?.map((c) => ({ ...c, container: spec(c.container) })),
                }),
                after(l.host),
            );
        }
        for (const s of t.sharedNamespaces ?? []) {
            parts.sharedNamespaces[s.name] = new SharedNamespaceContainer(
                s.name,
                planned(s.name, { host: host(s.host), primary: spec(s.primary), sidecars: s.sidecars.map(spec) }),
                after(s.host),
            );
        }
        for (const c of t.containers ?? []) {
            parts.containers[c.name] = new StandaloneContainer(
                c.name,
                planned(c.name, { host: host(c.host), container: spec(standaloneSpec(c)) }),
                after(c.host),
            );
        }
        for (const [hostName, n] of networksOn) {
            n.resolve([
                ...(t.bridges ?? []).filter((b) => b.host === hostName).map((b) => parts.bridges[b.name]),
                ...(t.links ?? [])
                    .filter((l) => l.host === hostName && (l.mode ?? "dns") === "dns")
                    .map((l) => parts.links[l.name]),
            ]);
        }
        // A check may name a container of this topology instead of an address (the plan says which host's).
        const addresses = new Map<string, pulumi.Output<string>>();
        for (const [l, pair] of (t.links ?? []).map((l) => [l, parts.links[l.name]] as const)) {
            addresses.set(`${l.host}/${l.target.name}`, pair.targetAddress);
            for (const [consumer, address] of Object.entries(pair.consumerAddresses)) {
                addresses.set(`${l.host}/${consumer}`, address);
            }
        }
        for (const s of t.sharedNamespaces ?? []) {
            addresses.set(`${s.host}/${s.primary.name}`, parts.sharedNamespaces[s.name].address);
        }
        for (const c of t.containers ?? []) {
            addresses.set(`${c.host}/${c.name}`, parts.containers[c.name].address);
        }
        const routedSides = [
            ...(t.routedPairs ?? []).flatMap((r) =>
                [r.hostA, r.hostB].map((side) => ({
                    side,
                    c: parts.routedPairs[r.name] as CrossHostRoutedPair | RoutedMesh,
                })),
            ),
            ...(t.meshes ?? []).flatMap((m) =>
                m.hosts.map((side) => ({ side, c: parts.meshes[m.name] as CrossHostRoutedPair | RoutedMesh })),
            ),
        ];
        for (const { side, c: owner } of routedSides) {
            for (const c of side.containers ?? []) {
                addresses.set(
                    `${side.host}/${c.name}`,
                    owner.addresses.apply((a) => a[c.name]),
                );
            }
        }
        for (const w of t.swarms ?? []) {
            for (const m of w.hosts) {
                for (const c of m.containers ?? []) {
                    addresses.set(
                        `${m.host}/${c.name}`,
                        parts.swarms[w.name].addresses.apply((a) => a[c.name]),
                    );
                }
            }
        }
        const allComponents = () => [
            ...Object.values(parts.swarms),
            ...Object.values(parts.links),
            ...Object.values(parts.sharedNamespaces),
            ...Object.values(parts.containers),
            ...Object.values(parts.routedPairs),
            ...Object.values(parts.meshes),
            ...Object.values(parts.bridges),
        ];
        for (const c of t.checks ?? []) {
            const to = plan.checks.find((x) => x.name === c.name)?.toContainerOn;
            parts.checks[c.name] = new ConnectivityCheck(
                c.name,
                planned(c.name, {
                    host: host(c.host),
                    fromContainer: c.from,
                    toAddress: to ? addresses.get(`${to}/${c.to}`)! : c.to,
                    port: c.port,
                    expect: c.expect,
                    attempts: c.attempts,
                }),
                after(c.host, allComponents()),
            );
        }
        this.registerOutputs({});
    }
}

/**
 * Declares a topology: a Topology component named `dockernet` (see Topology). `privateKey` is the
 * SSH key for every SSH host (a secret); `opts` are the Topology's, so `providers`, `transforms` and
 * `parent` reach every component through it.
 */
export function deployTopology(
    t: TopologySpec,
    privateKey: pulumi.Input<string> | undefined,
    opts?: pulumi.ComponentResourceOptions,
): DeployedTopology {
    return new Topology("dockernet", { spec: t, sshPrivateKey: privateKey }, opts);
}
