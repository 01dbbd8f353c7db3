// The thin mapping of a validated ContainerSpec onto @pulumi/docker resources.
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { SeenContainer } from "./host/observe";
import { ContainerSpec, containerEnvs, effectiveMode } from "./spec";
import { show } from "./validate";

/** What a component decides about a container beyond its spec (links, aliases, shared namespaces). */
export interface ContainerWiring {
    /** Overrides the spec's mode, e.g. `container:<primary id>`. */
    networkMode?: pulumi.Input<string>;
    /** Extra /etc/hosts entries (mode hosts links). */
    hosts?: pulumi.Input<docker.types.input.ContainerHost>[];
    /** Extra user-defined networks (e.g. a link's dedicated network). */
    networks?: { name: pulumi.Input<string>; aliases?: string[] }[];
    /** A container made by hand with the declared name, taken over by import (see adoptionProblems). */
    adopted?: SeenContainer;
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
            result.set(
                spec.image,
                new docker.RemoteImage(
                    imageResourceName(prefix, spec.image),
                    { name: spec.image, keepLocally: true },
                    opts,
                ),
            );
        }
    }
    return result;
}

/** The name of a component's RemoteImage for an image: `<prefix>-image-<image as a slug>`. */
export function imageResourceName(prefix: string, image: string): string {
    return `${prefix}-image-${image.replace(/[^a-zA-Z0-9]+/g, "-").replace(/^-|-$/g, "")}`;
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
    // With networks, the mode stays "bridge": the provider creates the container on its mode's
    // network, disconnects "bridge", then connects each networksAdvanced entry with its aliases and
    // address. Named as the mode, the first network would be joined at create without them, and the
    // daemon ignores a second connect to it (kreuzwerker/terraform-provider-docker
    // resource_docker_container_funcs.go resourceDockerContainerCreate; moby updateNetworkSettings).
    const networkMode: pulumi.Input<string> = wiring.networkMode ?? (networks.length > 0 ? "bridge" : mode);
    const publishes = mode === "bridge" || mode === "custom";
    const ports = publishes
        ? (spec.ports ?? [])
              .filter((p) => p.external !== undefined)
              .map((p) => ({
                  internal: p.internal,
                  external: p.external,
                  protocol: p.protocol ?? "tcp",
                  ip: p.ip ?? "0.0.0.0",
              }))
        : [];
    const labels = { ...(spec.labels ?? {}), "dockernet.component": component };
    const adopted = wiring.adopted;
    if (adopted) {
        // Imported as it is: what the provider reads back on import is declared the way it reads it
        // (the image as `docker run` named it, the network mode raw), and nothing it does not read
        // (labels: dockernet's own label would force a replacement). Left running on delete.
        return new docker.Container(
            name,
            {
                name: spec.name,
                image: spec.image,
                command: spec.command,
                restart: spec.restart ?? "unless-stopped",
                networkMode: adopted.networkMode,
                mustRun: true,
            },
            {
                deleteBeforeReplace: true,
                ...opts,
                dependsOn: [image, ...dependsOnList(opts.dependsOn)],
                import: adopted.id,
                retainOnDelete: true,
            },
        );
    }
    return new docker.Container(
        name,
        {
            name: spec.name,
            image: image.imageId,
            command: spec.command,
            envs: containerEnvs(spec.name, spec.env),
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

function dependsOnList(d: pulumi.CustomResourceOptions["dependsOn"]): pulumi.Input<pulumi.Resource>[] {
    if (d === undefined) {
        return [];
    }
    return Array.isArray(d) ? d : [d as pulumi.Input<pulumi.Resource>];
}

/**
 * Why a container made by hand (`seen`) cannot be adopted as `spec` declares it: one line per
 * differing field, named by its path under `field`; [] when it can. A container on docker0 is
 * imported (Pulumi's `import` option) as the Docker provider reads it back, so its image, network,
 * restart policy, command and state must be what is declared; what the provider never reads back
 * on import (env, labels, published ports, hostname) cannot be declared on it, since Pulumi would
 * have to replace it (kreuzwerker/terraform-provider-docker resourceDockerContainerRead; all of
 * them ForceNew).
 */
export function adoptionProblems(
    field: string,
    host: string,
    spec: ContainerSpec,
    seen: SeenContainer,
): { field: string; message: string }[] {
    const out: { field: string; message: string }[] = [];
    const it = `the container ${spec.name} on ${host} (made by hand)`;
    const add = (f: string, message: string) => out.push({ field: `${field}.${f}`, message });
    if (seen.image !== spec.image) {
        add("image", `is ${show(spec.image)}, but ${it} runs ${show(seen.image)}; declare that image`);
    }
    const mode = effectiveMode(spec);
    const onBridge =
        (seen.networkMode === "default" || seen.networkMode === "bridge") &&
        seen.networks.length === 1 &&
        seen.networks[0] === "bridge";
    if (mode !== "bridge" || !onBridge) {
        add(
            "networkMode",
            `is ${show(mode)}, but ${it} has network mode ${show(seen.networkMode)} on ${seen.networks.length > 0 ? seen.networks.join(", ") : "no network"}; adoption takes containers on docker0 (bridge) only`,
        );
    }
    const restart = spec.restart ?? "unless-stopped";
    if (seen.restart !== restart) {
        add(
            "restart",
            `is ${show(restart)}${spec.restart === undefined ? " (the default)" : ""}, but ${it} has ${show(seen.restart)}; declare restart ${show(seen.restart)}`,
        );
    }
    if (spec.command !== undefined && JSON.stringify(spec.command) !== JSON.stringify(seen.command)) {
        add(
            "command",
            `is ${show(spec.command)}, but ${it} runs ${show(seen.command)}; declare that command or leave command out`,
        );
    }
    if (!seen.running) {
        add("name", `${it} is not running; start it (docker start ${spec.name}) before adopting it`);
    }
    const unread: [keyof ContainerSpec, string][] = [
        ["env", "env"],
        ["labels", "labels"],
        ["hostname", "hostname"],
    ];
    for (const [k, f] of unread) {
        const v = spec[k];
        if (v !== undefined && !(typeof v === "object" && Object.keys(v as object).length === 0)) {
            add(
                f,
                `is set, but the Docker provider does not read ${f} back when it imports ${it}, so Pulumi would replace it; leave ${f} out to adopt it`,
            );
        }
    }
    if ((spec.ports ?? []).some((p) => p.external !== undefined)) {
        add(
            "ports",
            `publishes a port, but the Docker provider does not read ports back when it imports ${it}, so Pulumi would replace it; leave the external ports out to adopt it`,
        );
    }
    return out;
}

/**
 * The network whose address stands for a container: its first declared network, else its mode's
 * own network (`bridge`; `host` and `none` have no address of their own).
 */
export function primaryNetwork(spec: ContainerSpec): pulumi.Input<string> {
    const networks = spec.networks ?? [];
    return networks.length > 0 ? networks[0].name : effectiveMode(spec);
}

/**
 * The container's IPv4 address on a network, by the network's name: the provider reads
 * `networkDatas` from a Go map, in no particular order (flattenContainerNetworks), so the first
 * entry is not the first network. Empty when the container has no address there.
 */
export function addressOn(c: docker.Container, network: pulumi.Input<string>): pulumi.Output<string> {
    const pick = (datas: docker.types.output.ContainerNetworkData[] | undefined, net: string) =>
        (datas ?? []).find((x) => x.networkName === net)?.ipAddress ?? "";
    // A plain name needs no pulumi.all (one Output fewer per address).
    return typeof network === "string"
        ? c.networkDatas.apply((datas) => pick(datas, network))
        : pulumi.all([c.networkDatas, network]).apply(([datas, net]) => pick(datas, net));
}

/**
 * Fails the deployment, naming the container, when it had stopped by the time the provider read
 * it back after starting it. The provider's create succeeds for such a container and stores
 * `mustRun: false` (resourceDockerContainerRead); the next `up` then starts it again through an
 * in-place update, which leaves `mustRun: true`, so nothing diffs for ever. A container that dies
 * later than the read-back is not seen here; the connectivity checks see what it breaks.
 */
export function started(c: docker.Container, spec: ContainerSpec): pulumi.Output<string> {
    return pulumi.all([c.mustRun, c.exitCode]).apply(([mustRun, exitCode]) => {
        const problem = stoppedAtReadBack(spec.name, mustRun, exitCode);
        if (problem) {
            throw new pulumi.ResourceError(problem, c);
        }
        return spec.name;
    });
}

/** What `started` says of a container the provider read back as stopped; undefined when it ran. */
export function stoppedAtReadBack(
    name: string,
    mustRun: boolean | undefined,
    exitCode: number | undefined,
): string | undefined {
    return mustRun === false
        ? `container ${name} exited right after it started (exit code ${exitCode ?? "unknown"}); ` +
              `\`docker logs ${name}\` on its host says why. Fix its command or image; the next up starts it again`
        : undefined;
}
