// The thin mapping of a validated ContainerSpec onto @pulumi/docker resources.
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { ContainerSpec, effectiveMode } from "./spec";

/** What a component decides about a container beyond its spec (links, aliases, shared namespaces). */
export interface ContainerWiring {
    /** Overrides the spec's mode, e.g. `container:<primary id>`. */
    networkMode?: pulumi.Input<string>;
    /** Extra /etc/hosts entries (mode hosts links). */
    hosts?: pulumi.Input<docker.types.input.ContainerHost>[];
    /** Extra user-defined networks (e.g. a link's dedicated network). */
    networks?: { name: pulumi.Input<string>; aliases?: string[] }[];
}

/**
 * One RemoteImage per distinct image, shared by the component's containers. `keepLocally`: a
 * destroy must never delete an image the user had before.
 */
export function images(
    prefix: string,
    specs: ContainerSpec[],
    opts: pulumi.CustomResourceOptions,
): Map<string, docker.RemoteImage> {
    const result = new Map<string, docker.RemoteImage>();
    for (const spec of specs) {
        if (!result.has(spec.image)) {
            const slug = spec.image.replace(/[^a-zA-Z0-9]+/g, "-").replace(/^-|-$/g, "");
            result.set(spec.image, new docker.RemoteImage(`${prefix}-image-${slug}`, { name: spec.image, keepLocally: true }, opts));
        }
    }
    return result;
}

/** A docker.Container for a spec. Named containers are deleted before their replacement is created. */
export function container(
    name: string,
    spec: ContainerSpec,
    image: docker.RemoteImage,
    component: string,
    wiring: ContainerWiring,
    opts: pulumi.CustomResourceOptions,
): docker.Container {
    const mode = effectiveMode(spec);
    const networks = [
        ...(spec.networks ?? []).map((n) => ({ name: n.name, aliases: n.aliases, ipv4Address: n.ipv4Address })),
        ...(wiring.networks ?? []),
    ];
    const networkMode: pulumi.Input<string> =
        wiring.networkMode ?? (networks.length > 0 ? networks[0].name : mode);
    const publishes = mode === "bridge" || mode === "custom";
    const ports = publishes
        ? (spec.ports ?? [])
              .filter((p) => p.external !== undefined)
              .map((p) => ({ internal: p.internal, external: p.external, protocol: p.protocol ?? "tcp", ip: p.ip ?? "0.0.0.0" }))
        : [];
    const labels = { ...(spec.labels ?? {}), "dockernet.component": component };
    return new docker.Container(
        name,
        {
            name: spec.name,
            image: image.imageId,
            command: spec.command,
            envs: Object.entries(spec.env ?? {}).map(([k, v]) => `${k}=${v}`),
            restart: spec.restart ?? "unless-stopped",
            hostname: spec.hostname,
            labels: Object.entries(labels).map(([label, value]) => ({ label, value })),
            networkMode,
            networksAdvanced: networks.length > 0 ? networks : undefined,
            hosts: wiring.hosts,
            ports: ports.length > 0 ? ports : undefined,
            mustRun: true,
        },
        { deleteBeforeReplace: true, ...opts },
    );
}

/** The container's first IPv4 address on the network it was attached to first. */
export function firstAddress(c: docker.Container): pulumi.Output<string> {
    return c.networkDatas.apply((d) => (d && d.length > 0 ? d[0].ipAddress : ""));
}
