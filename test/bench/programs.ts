// The programs the benchmarks evaluate: the same containers declared through dockernet's
// components and as raw @pulumi/docker resources, and a many-host CrossHostRoutedPair topology.
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import {
    ContainerSpec,
    CrossHostRoutedPair,
    HostArgs,
    LinkedContainerPair,
    SharedNamespaceContainer,
    TopologySpec,
    deployTopology,
    newDockerProvider,
} from "../../components";

export const IMAGE = "lab/busybox:1";

export const web = (name: string): ContainerSpec => ({
    name,
    image: IMAGE,
    command: ["httpd", "-f", "-p", "80", "-h", "/www"],
    ports: [{ internal: 80 }],
});
export const idle = (name: string): ContainerSpec => ({ name, image: IMAGE, command: ["sleep", "86400"] });

/** A host argument that reaches nothing (mocks never dial it); it makes each component create its own Docker provider. */
export function fakeSshHost(name: string, address = "192.0.2.10"): HostArgs {
    return {
        name,
        ssh: { address, privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nbench\n-----END OPENSSH PRIVATE KEY-----\n" },
    };
}

/** The host with one Docker provider made for it, which every component on it then uses. */
export function sharedProviderHost(host: HostArgs): HostArgs {
    return { ...host, dockerProvider: newDockerProvider(`${host.name}-docker`, host, {}) };
}

/**
 * N containers through dockernet (N a multiple of 4): N/4 LinkedContainerPair (mode dns, the
 * default: a dedicated network, target with alias `www`, consumer) and N/4 SharedNamespaceContainer
 * (primary + one sidecar). Each component has one RemoteImage (one image), so N/2 images, N/4 networks.
 */
export function dockernetContainers(n: number, host?: HostArgs): number {
    const q = n / 4;
    for (let i = 0; i < q; i++) {
        new LinkedContainerPair(`lp${i}`, { host, target: web(`t${i}`), consumer: idle(`c${i}`), alias: "www" });
    }
    for (let i = 0; i < q; i++) {
        new SharedNamespaceContainer(`sn${i}`, { host, primary: web(`p${i}`), sidecars: [idle(`s${i}`)] });
    }
    return n;
}

/**
 * The same custom resources, with the same inputs, written by hand against @pulumi/docker: what
 * dockernetContainers declares minus the component layer (validation, component resources, outputs).
 * With `host`, one Docker provider for all of them (what a hand-written stack would have).
 */
export function rawContainers(n: number, host?: HostArgs): number {
    const q = n / 4;
    const provider = host
        ? new docker.Provider("raw-provider", { host: `ssh://root@${host.ssh!.address}:22` })
        : undefined;
    const base = (spec: ContainerSpec, image: docker.RemoteImage, component: string) => ({
        name: spec.name,
        image: image.imageId,
        command: spec.command,
        envs: [],
        restart: "unless-stopped",
        labels: [{ label: "dockernet.component", value: component }],
        mustRun: true,
    });
    for (let i = 0; i < q; i++) {
        const name = `lp${i}`;
        const component = `LinkedContainerPair/${name}`;
        const opts: pulumi.CustomResourceOptions = { provider };
        const image = new docker.RemoteImage(`${name}-image-lab-busybox-1`, { name: IMAGE, keepLocally: true }, opts);
        const net = new docker.Network(
            `${name}-network`,
            { name: `${name}-link`, driver: "bridge", labels: [{ label: "dockernet.component", value: component }] },
            { ...opts, deleteBeforeReplace: true },
        );
        const target = new docker.Container(
            `${name}-target`,
            {
                ...base(web(`t${i}`), image, component),
                networkMode: net.name,
                networksAdvanced: [{ name: net.name, aliases: ["www"] }],
            },
            { deleteBeforeReplace: true, ...opts },
        );
        new docker.Container(
            `${name}-consumer`,
            { ...base(idle(`c${i}`), image, component), networkMode: net.name, networksAdvanced: [{ name: net.name }] },
            { deleteBeforeReplace: true, ...opts, dependsOn: [target] },
        );
    }
    for (let i = 0; i < q; i++) {
        const name = `sn${i}`;
        const component = `SharedNamespaceContainer/${name}`;
        const opts: pulumi.CustomResourceOptions = { provider };
        const image = new docker.RemoteImage(`${name}-image-lab-busybox-1`, { name: IMAGE, keepLocally: true }, opts);
        const primary = new docker.Container(
            `${name}-primary`,
            { ...base(web(`p${i}`), image, component), networkMode: "bridge" },
            { deleteBeforeReplace: true, ...opts },
        );
        new docker.Container(
            `${name}-sidecar-s${i}`,
            { ...base(idle(`s${i}`), image, component), networkMode: pulumi.interpolate`container:${primary.id}` },
            { deleteBeforeReplace: true, ...opts, replaceOnChanges: ["networkMode"] },
        );
    }
    return n;
}

/**
 * A topology of `hosts` SSH hosts (an even number) as hosts/2 disjoint CrossHostRoutedPairs
 * (h0-h1, h2-h3, ...), one web container per host, probes on. LAN 10.0.0.0/16 (host i at
 * 10.0.0.(i+1)), bips 172.16.i.1/24: non-overlapping and inside 172.16.0.0/12. Declared through
 * deployTopology, the path a stack program takes.
 */
export function routedTopology(hosts: number): TopologySpec {
    if (hosts % 2 !== 0 || hosts < 2 || hosts > 250) {
        throw new Error(`routedTopology: hosts must be an even number 2..250 (got ${hosts})`);
    }
    const t: TopologySpec = { hosts: [], routedPairs: [] };
    for (let i = 0; i < hosts; i++) {
        t.hosts.push({ name: `h${i}`, ssh: { address: `10.0.0.${i + 1}`, user: "root" } });
    }
    for (let p = 0; p < hosts / 2; p++) {
        const side = (i: number) => ({
            host: `h${i}`,
            lanAddress: `10.0.0.${i + 1}/16`,
            bip: `172.16.${i}.1/24`,
            containers: [
                {
                    name: `web_h${i}`,
                    image: IMAGE,
                    command: ["httpd", "-f", "-p", "80", "-h", "/www"],
                    ports: [{ internal: 80 }],
                },
            ],
        });
        t.routedPairs!.push({ name: `pair${p}`, hostA: side(2 * p), hostB: side(2 * p + 1) });
    }
    return t;
}

export function deployRouted(hosts: number): void {
    deployTopology(
        routedTopology(hosts),
        pulumi.secret("-----BEGIN OPENSSH PRIVATE KEY-----\nbench\n-----END OPENSSH PRIVATE KEY-----\n"),
    );
}

/** The seed's two-host topology on the lab (h1 172.17.0.1/16, h2 172.18.0.1/16, httpd on each), probes on. */
export function seedPair(h1: HostArgs, h2: HostArgs, lan1: string, lan2: string): CrossHostRoutedPair {
    return new CrossHostRoutedPair("seed-pair", {
        hostA: { host: h1, lanAddress: lan1, bip: "172.17.0.1/16", containers: [web("web_h1")] },
        hostB: { host: h2, lanAddress: lan2, bip: "172.18.0.1/16", containers: [web("web_h2")] },
    });
}

/**
 * A full mesh of `hosts` SSH hosts on one LAN (10.0.0.0/16, host i at 10.0.(i+1)/16 as a
 * number) through deployTopology: one RoutedMesh, bips from the pool 172.16.0.0/12 in /24
 * blocks, one web container per host unless `bare`, probes on (a ring).
 */
export function meshTopology(hosts: number, bare = false): TopologySpec {
    const t: TopologySpec = {
        hosts: lanHosts(hosts),
        meshes: [{ name: "mesh", pool: { subnet: "172.16.0.0/12", size: 24 }, hosts: [] }],
    };
    for (let i = 0; i < hosts; i++) {
        t.meshes![0].hosts.push({
            host: `h${i}`,
            lanAddress: `${lanAddress(i)}/16`,
            containers: bare ? undefined : [webSpec(i)],
        });
    }
    return t;
}

/** The same full mesh written as one CrossHostRoutedPair per pair of hosts (hosts·(hosts−1)/2 pairs), no containers. */
export function meshAsPairsTopology(hosts: number): TopologySpec {
    const t: TopologySpec = { hosts: lanHosts(hosts), routedPairs: [] };
    const side = (i: number) => ({
        host: `h${i}`,
        lanAddress: `${lanAddress(i)}/16`,
        bip: `172.${16 + Math.floor((i + 1) / 256)}.${(i + 1) % 256}.1/24`,
    });
    for (let a = 0; a < hosts; a++) {
        for (let b = a + 1; b < hosts; b++) {
            t.routedPairs!.push({ name: `p${a}-${b}`, hostA: side(a), hostB: side(b) });
        }
    }
    return t;
}

function lanAddress(i: number): string {
    return `10.0.${Math.floor((i + 1) / 256)}.${(i + 1) % 256}`;
}

function lanHosts(hosts: number): TopologySpec["hosts"] {
    return Array.from({ length: hosts }, (_, i) => ({ name: `h${i}`, ssh: { address: lanAddress(i), user: "root" } }));
}

function webSpec(i: number) {
    return {
        name: `web_h${i}`,
        image: IMAGE,
        command: ["httpd", "-f", "-p", "80", "-h", "/www"],
        ports: [{ internal: 80 }],
    };
}

export function deploySpec(t: TopologySpec): void {
    deployTopology(t, pulumi.secret("-----BEGIN OPENSSH PRIVATE KEY-----\nbench\n-----END OPENSSH PRIVATE KEY-----\n"));
}
