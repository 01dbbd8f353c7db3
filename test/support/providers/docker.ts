// A model of @pulumi/docker: the Terraform docker provider (kreuzwerker/terraform-provider-docker
// v4.5.0, which pulumi/pulumi-docker v5 bridges: provider/go.mod replaces it with ../upstream, a
// submodule at that tag). Each resource makes the Docker Engine API calls the provider makes, in
// its order, with its request bodies (over `docker system dial-stdio` through SSH, as the
// provider's client reaches an ssh:// host, or to a unix socket), and keeps the state
// the provider's Read would. Files cited are under internal/provider/ of that repository.
import { changedKeys, Context, Endpoint, Model, PartialCreateError } from "./model";

interface ApiResult {
    status: number;
    body: any;
    text: string;
}

class DockerApiError extends Error {
    constructor(
        readonly call: string,
        readonly status: number,
        readonly text: string,
    ) {
        super(`Docker API ${call} answered ${status}: ${text.trim()}`);
    }
}

/**
 * One Docker Engine API call on the endpoint's daemon. Unversioned paths: the provider's client
 * negotiates the daemon's own API version (client.WithAPIVersionNegotiation in config.go).
 */
export async function api(
    ctx: Context,
    ep: Endpoint,
    method: string,
    path: string,
    body?: unknown,
): Promise<ApiResult> {
    const r = await ctx.request(ep, method, path, body === undefined ? undefined : JSON.stringify(body));
    let parsed: unknown = undefined;
    try {
        parsed = r.text.trim() ? JSON.parse(r.text) : undefined;
    } catch {
        parsed = undefined;
    }
    return { status: r.status, body: parsed, text: r.text };
}

async function ok(ctx: Context, ep: Endpoint, method: string, path: string, body?: unknown): Promise<any> {
    const r = await api(ctx, ep, method, path, body);
    if (r.status >= 300 && r.status !== 304) {
        throw new DockerApiError(`${method} ${path}`, r.status, r.body?.message ?? r.text);
    }
    return r.body;
}

/** Like helpers.go containsIgnorableErrorMessage: a case-insensitive substring of the error. */
function ignorable(e: unknown, ...texts: string[]): boolean {
    const m = (e instanceof DockerApiError ? e.text : String((e as Error)?.message ?? e)).toLowerCase();
    return texts.some((t) => m.includes(t.toLowerCase()));
}

// ---- docker_container (resource_docker_container.go, resource_docker_container_funcs.go) ----------

/** Inputs dockernet may set that the schema marks ForceNew (resource_docker_container.go). */
const CONTAINER_FORCE_NEW = new Set([
    "name",
    "image",
    "command",
    "entrypoints",
    "envs",
    "labels",
    "hosts",
    "hostname",
    "networkMode",
    "networksAdvanced",
    "ports",
    "stopSignal",
    "stopTimeout",
    "user",
    "workingDir",
    "dns",
    "privileged",
    "mounts",
    "volumes",
    "capabilities",
    "sysctls",
    "readOnly",
    "tty",
    "stdinOpen",
]);
/** Not ForceNew: changes go to resourceDockerContainerUpdate. */
const CONTAINER_UPDATABLE = new Set([
    "restart",
    "maxRetryCount",
    "mustRun",
    "start",
    "rm",
    "attach",
    "logs",
    "wait",
    "waitTimeout",
    "destroyGraceSeconds",
    "healthcheck",
    "init",
    "removeVolumes",
    "tmpfs",
    "memory",
    "memorySwap",
    "cpuShares",
    "cpuSet",
]);
/** TypeSet attributes: compared without order. */
const CONTAINER_SETS = new Set(["envs", "labels", "hosts", "networksAdvanced"]);
/** Optional+Computed: left out by the program, the state's value stands (command, entrypoint, hostname). */
const CONTAINER_COMPUTED = new Set(["command", "entrypoints", "hostname", "init"]);

export const container: Model = {
    check(inputs) {
        // Schema defaults (resource_docker_container.go): restart "no", must_run true, start true,
        // network_mode "bridge" (no DiffSuppressFunc), ports ip "0.0.0.0" and protocol "tcp".
        const ports = (inputs.ports as Record<string, unknown>[] | undefined)?.map((p) => ({
            ip: "0.0.0.0",
            protocol: "tcp",
            ...p,
        }));
        for (const k of Object.keys(inputs)) {
            if (!CONTAINER_FORCE_NEW.has(k) && !CONTAINER_UPDATABLE.has(k)) {
                throw new Error(
                    `the engine does not model docker.Container input ${k}; add its schema rule to test/support/providers/docker.ts`,
                );
            }
        }
        return {
            restart: "no",
            mustRun: true,
            start: true,
            networkMode: "bridge",
            ...inputs,
            ...(ports ? { ports } : {}),
        };
    },

    async create(ctx, name, inputs, ep) {
        const e = ep!;
        const image = String(inputs.image);
        // findImage (resource_docker_image_funcs.go): ImageList, then ImageInspect; a pull only when missing.
        await ok(ctx, e, "GET", "/images/json");
        const found = await api(ctx, e, "GET", `/images/${encodeURIComponent(image)}/json`);
        if (found.status !== 200) {
            throw new Error(
                `unable to find or pull image ${image} on ${e.url}: the lab reaches no registry, build it there first`,
            );
        }
        // resourceDockerContainerCreate: networks_advanced is not sent at create (the
        // NetworkingConfig is always empty); network_mode becomes HostConfig.NetworkMode; Init is
        // always sent (false when unset).
        const created = await ok(
            ctx,
            e,
            "POST",
            `/containers/create?name=${encodeURIComponent(String(inputs.name))}`,
            createBody(inputs),
        );
        const id = String(created.Id);
        const partial = (err: unknown): PartialCreateError =>
            new PartialCreateError(
                `docker.Container ${name} (${inputs.name}) was created but not completed: ${(err as Error).message}`,
                id,
                { ...inputs, id },
            );
        try {
            const networks = (inputs.networksAdvanced as NetworkAdvanced[] | undefined) ?? [];
            if (networks.length > 0) {
                // `if v, ok := d.GetOk("networks_advanced"); ok` then NetworkDisconnect("bridge", id,
                // false), ignoring "is not connected to the network bridge": whatever network_mode is.
                try {
                    await ok(ctx, e, "POST", "/networks/bridge/disconnect", { Container: id, Force: false });
                } catch (err) {
                    if (!ignorable(err, "is not connected to the network bridge")) {
                        throw err;
                    }
                }
                // One NetworkConnect per element, in the set's hash order, on the stopped container.
                // The daemon ignores a connect to the network it was created on ("Avoid duplicate
                // config", moby daemon/container_operations.go updateNetworkSettings): the aliases
                // and addresses of that element are lost, as with the real provider.
                for (const n of setOrder(networks, (x) => x.name)) {
                    await ok(ctx, e, "POST", `/networks/${encodeURIComponent(n.name)}/connect`, {
                        Container: id,
                        EndpointConfig: {
                            Aliases: n.aliases ?? [],
                            IPAMConfig: { IPv4Address: n.ipv4Address ?? "", IPv6Address: n.ipv6Address ?? "" },
                        },
                    });
                }
            }
            if (inputs.start !== false) {
                // ContainerStart; nothing waits for "running" and must_run is not consulted here.
                await ok(ctx, e, "POST", `/containers/${id}/start`);
            }
        } catch (err) {
            throw partial(err);
        }
        const state = await readContainer(ctx, e, id, inputs);
        if (!state) {
            throw partial(new Error("it was gone when read back"));
        }
        return { id, state };
    },

    diff(prior, news) {
        // The bridge diffs the new inputs against the state (with what Read stored), not the old inputs.
        const changed = changedKeys(prior.state, news, {
            sets: CONTAINER_SETS,
            computed: CONTAINER_COMPUTED,
            ignore: new Set(["id", "networkDatas", "exitCode", "bridge"]),
        });
        return { changed, replaces: changed.filter((k) => CONTAINER_FORCE_NEW.has(k)) };
    },

    async update(ctx, prior, news, diff) {
        const e = prior.endpoint!;
        // resourceDockerContainerUpdate: must_run false -> true (and start) starts the container;
        // one ContainerUpdate when the restart policy or a resource limit changed; every other
        // updatable field is only written to the state. No Read afterwards.
        if (
            diff.changed.includes("mustRun") &&
            prior.state.mustRun === false &&
            news.mustRun === true &&
            news.start !== false
        ) {
            await ok(ctx, e, "POST", `/containers/${prior.id}/start`);
        }
        if (
            diff.changed.some((k) =>
                ["restart", "maxRetryCount", "memory", "memorySwap", "cpuShares", "cpuSet"].includes(k),
            )
        ) {
            await ok(ctx, e, "POST", `/containers/${prior.id}/update`, {
                RestartPolicy: { Name: news.restart, MaximumRetryCount: news.maxRetryCount ?? 0 },
            });
        }
        return { ...prior.state, ...news };
    },

    async delete(ctx, prior) {
        const e = prior.endpoint!;
        const gone = (err: unknown) => ignorable(err, "No such container", "is already in progress");
        // resourceDockerContainerDelete: ContainerStop with destroy_grace_seconds (0 when unset),
        // ContainerRemove (Force, RemoveVolumes: remove_volumes, default true), ContainerWait not-running.
        const t = Number(prior.inputs.destroyGraceSeconds ?? 0);
        for (const [method, path] of [
            ["POST", `/containers/${prior.id}/stop?t=${t}`],
            ["DELETE", `/containers/${prior.id}?v=${prior.inputs.removeVolumes === false ? 0 : 1}&force=1`],
            ["POST", `/containers/${prior.id}/wait?condition=not-running`],
        ]) {
            try {
                await ok(ctx, e, method, path);
            } catch (err) {
                if (!gone(err)) {
                    throw err;
                }
            }
        }
    },

    /**
     * An import (the `import` option, `pulumi import`): the importer is ImportStatePassthroughContext
     * and the bridge then refreshes (pulumi-terraform-bridge pkg/tfbridge/provider.go Read), so this
     * is resourceDockerContainerRead with an empty state: fetchDockerContainer finds the container
     * only by its full id (ContainerList, exact ID equality); image is Config.Image (no sha256 in
     * the state to keep); what Read does not set (labels, envs, ports, networks_advanced, must_run,
     * start) stays unset, so a declaration that sets them diffs.
     */
    read: (ctx, id, ep) => readContainer(ctx, ep!, id, {}),
    deleteBeforeReplace: () => true, // pulumi-docker provider/resources.go: docker_container DeleteBeforeReplace: true
    forceNew: (k) => CONTAINER_FORCE_NEW.has(k),
};

interface NetworkAdvanced {
    name: string;
    aliases?: string[];
    ipv4Address?: string;
    ipv6Address?: string;
}

function createBody(inputs: Record<string, unknown>): unknown {
    const exposed: Record<string, object> = {};
    const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
    for (const p of (inputs.ports as
        { internal: number; external?: number; ip: string; protocol: string }[] | undefined) ?? []) {
        const key = `${p.internal}/${p.protocol}`;
        exposed[key] = {};
        if (p.external) {
            (bindings[key] ??= []).push({ HostIp: p.ip, HostPort: String(p.external) });
        }
    }
    const labels = Object.fromEntries(
        ((inputs.labels as { label: string; value: string }[]) ?? []).map((l) => [l.label, l.value]),
    );
    return {
        Hostname: inputs.hostname ?? "",
        Env: inputs.envs ?? [],
        Cmd: inputs.command,
        Image: inputs.image,
        Labels: labels,
        ExposedPorts: exposed,
        HostConfig: {
            NetworkMode: inputs.networkMode,
            RestartPolicy: { Name: inputs.restart, MaximumRetryCount: inputs.maxRetryCount ?? 0 },
            PortBindings: bindings,
            // extraHostsSetToContainerExtraHosts: host + ":" + ip
            ExtraHosts: ((inputs.hosts as { host: string; ip: string }[]) ?? []).map((h) => `${h.host}:${h.ip}`),
            Init: inputs.init ?? false,
            AutoRemove: inputs.rm ?? false,
        },
        NetworkingConfig: {},
    };
}

/**
 * resourceDockerContainerRead: ContainerList(all) to find it (gone: out of the state), then
 * ContainerInspect. What it reads back replaces the inputs in the state; labels and env are not
 * read (the state keeps the configuration); networks_advanced is never read back in practice.
 */
async function readContainer(
    ctx: Context,
    ep: Endpoint,
    id: string,
    inputs: Record<string, unknown>,
): Promise<Record<string, unknown> | undefined> {
    const list = (await ok(
        ctx,
        ep,
        "GET",
        `/containers/json?all=1&filters=${encodeURIComponent(JSON.stringify({ id: [id] }))}`,
    )) as { Id: string }[];
    if (!list.some((c) => c.Id === id)) {
        return undefined;
    }
    const info = await ok(ctx, ep, "GET", `/containers/${id}/json`);
    const state: Record<string, unknown> = { ...inputs, id };
    // Not running: exit_code is set and, when must_run was true, must_run becomes false (the next
    // plan's false -> true is an update that starts it).
    if (!info.State?.Running) {
        state.exitCode = info.State?.ExitCode;
        if (state.mustRun === true) {
            state.mustRun = false;
        }
    }
    state.name = String(info.Name).replace(/^\//, "");
    // image: Config.Image, or the container's image id when the configuration gave a sha256 id.
    state.image = String(inputs.image ?? "").startsWith("sha256:") ? info.Image : info.Config?.Image;
    state.command = info.Config?.Cmd ?? undefined;
    state.hostname = info.Config?.Hostname;
    state.restart = info.HostConfig?.RestartPolicy?.Name;
    state.networkMode = info.HostConfig?.NetworkMode; // raw, no normalisation
    // flattenExtraHosts: strings.Split(entry, ":"), [0] the host, [1] the address.
    const extra = (info.HostConfig?.ExtraHosts ?? []) as string[];
    state.hosts = extra.length > 0 ? extra.map((x) => ({ host: x.split(":")[0], ip: x.split(":")[1] })) : inputs.hosts;
    state.bridge = info.NetworkSettings?.Bridge ?? "";
    // flattenContainerNetworks ranges over the Go map NetworkSettings.Networks: no stable order.
    const declaredFirst =
        ((inputs.networksAdvanced as NetworkAdvanced[] | undefined) ?? [])[0]?.name ?? inputs.networkMode;
    state.networkDatas = mapOrder(
        Object.entries(info.NetworkSettings?.Networks ?? {}).map(([networkName, n]) => {
            const net = n as Record<string, string | number>;
            return {
                networkName,
                ipAddress: net.IPAddress,
                ipPrefixLength: net.IPPrefixLen,
                gateway: net.Gateway,
                macAddress: net.MacAddress,
            };
        }),
        (d) => d.networkName === declaredFirst,
    );
    return state;
}

// ---- docker_network (resource_docker_network.go, resource_docker_network_funcs.go) -------------

/** Every attribute is ForceNew and there is no Update function. */
const NETWORK_INPUTS = new Set([
    "name",
    "labels",
    "driver",
    "options",
    "internal",
    "attachable",
    "ingress",
    "ipv6",
    "ipamDriver",
    "ipamOptions",
    "ipamConfigs",
]);

export const network: Model = {
    check(inputs) {
        for (const k of Object.keys(inputs)) {
            if (!NETWORK_INPUTS.has(k)) {
                throw new Error(
                    `the engine does not model docker.Network input ${k}; add its schema rule to test/support/providers/docker.ts`,
                );
            }
        }
        return { ipamDriver: "default", ...inputs };
    },

    async create(ctx, _name, inputs, ep) {
        const e = ep!;
        const ipam = ((inputs.ipamConfigs as Record<string, string>[]) ?? []).map((c) => ({
            Subnet: c.subnet,
            IPRange: c.ipRange,
            Gateway: c.gateway,
            AuxAddress: c.auxAddress,
        }));
        // resourceDockerNetworkCreate: NetworkCreate with what is set, IPAM when a driver (always,
        // it has a default), a config or options is set.
        const created = await ok(ctx, e, "POST", "/networks/create", {
            Name: inputs.name,
            Driver: inputs.driver,
            Options: inputs.options,
            Internal: inputs.internal ?? false,
            Attachable: inputs.attachable ?? false,
            Ingress: inputs.ingress ?? false,
            EnableIPv6: inputs.ipv6,
            Labels: Object.fromEntries(
                ((inputs.labels as { label: string; value: string }[]) ?? []).map((l) => [l.label, l.value]),
            ),
            IPAM: { Driver: inputs.ipamDriver, Config: ipam, Options: inputs.ipamOptions },
        });
        const id = String(created.Id);
        const info = await ok(ctx, e, "GET", `/networks/${id}`);
        // resourceDockerNetworkRead: options are the daemon's Options map verbatim (with any
        // default-network-opts the daemon merged in); ipam_config through flattenIpamConfigSpec,
        // a set without empty fields.
        const state: Record<string, unknown> = {
            ...inputs,
            id,
            name: info.Name,
            driver: info.Driver,
            internal: info.Internal,
            attachable: info.Attachable,
            ingress: info.Ingress,
            ipv6: info.EnableIPv6,
            options: info.Options ?? {},
            labels: Object.entries(info.Labels ?? {}).map(([label, value]) => ({ label, value })),
            ipamDriver: info.IPAM?.Driver,
            ipamConfigs: ((info.IPAM?.Config ?? []) as Record<string, string>[]).map((c) =>
                dropEmpty({
                    subnet: c.Subnet,
                    gateway: c.Gateway,
                    ipRange: c.IPRange,
                }),
            ),
            scope: info.Scope,
        };
        return { id, state };
    },

    diff(prior, news) {
        const changed = changedKeys(prior.state, news, {
            sets: new Set(["labels", "ipamConfigs"]),
            computed: new Set(["driver", "options", "internal", "ipamConfigs"]),
            ignore: new Set(["id", "scope"]),
        });
        return { changed, replaces: changed };
    },

    async update(): Promise<Record<string, unknown>> {
        throw new Error("docker_network has no Update: every change replaces it");
    },

    async delete(ctx, prior) {
        // resourceDockerNetworkDelete: NetworkRemove, retried for 30 s while "has active endpoints".
        const deadline = Date.now() + 30000;
        for (;;) {
            const r = await api(ctx, prior.endpoint!, "DELETE", `/networks/${prior.id}`);
            if (r.status < 300 || r.status === 404) {
                return;
            }
            const message = r.body?.message ?? r.text;
            if (!/has active endpoints/i.test(message) || Date.now() > deadline) {
                throw new DockerApiError(`DELETE /networks/${prior.id}`, r.status, message);
            }
            await new Promise((res) => setTimeout(res, 2000));
        }
    },

    // pulumi-terraform-bridge nameRequiresDeleteBeforeReplace: an explicitly named network is replaced delete-first.
    deleteBeforeReplace: (inputs) => inputs.name !== undefined,
    forceNew: () => true,
};

// ---- docker_image, Pulumi's RemoteImage (resource_docker_image.go, resource_docker_image_funcs.go)

export const remoteImage: Model = {
    check(inputs) {
        return { ...inputs };
    },

    async create(ctx, _name, inputs, ep) {
        const name = String(inputs.name);
        // findImage: ImageList, ImageInspect; ImagePull only when the image is missing.
        await ok(ctx, ep!, "GET", "/images/json");
        const r = await api(ctx, ep!, "GET", `/images/${encodeURIComponent(name)}/json`);
        if (r.status !== 200) {
            throw new Error(
                `image ${name} is not on ${ep!.url} and the lab reaches no registry; build it there first (${r.body?.message ?? r.text})`,
            );
        }
        const imageId = String(r.body.Id);
        const repoDigest = ((r.body.RepoDigests ?? []) as string[])[0] ?? "";
        // The id is the image id followed by the name ("sha256:<hex>nginx:latest").
        return { id: `${imageId}${name}`, state: { ...inputs, imageId, repoDigest } };
    },

    diff(prior, news) {
        const changed = changedKeys(prior.inputs, news, { ignore: new Set(["imageId", "repoDigest"]) });
        // keep_locally and force_remove update in place; everything else is ForceNew.
        return { changed, replaces: changed.filter((k) => k !== "keepLocally" && k !== "forceRemove") };
    },

    async update(_ctx, prior, news) {
        return { ...prior.state, ...news };
    },

    async delete(ctx, prior) {
        // resourceDockerImageDelete: nothing when keep_locally; otherwise ImageRemove by name.
        if (prior.inputs.keepLocally) {
            return;
        }
        await ok(
            ctx,
            prior.endpoint!,
            "DELETE",
            `/images/${encodeURIComponent(String(prior.inputs.name))}?force=${prior.inputs.forceRemove ? 1 : 0}`,
        );
    },

    deleteBeforeReplace: () => false,
    forceNew: (k) => k !== "keepLocally" && k !== "forceRemove",
};

// ---- orders that are not the program's ---------------------------------------------------------

/**
 * A Go map's iteration order is random on every read; this returns a random order that never
 * puts the entry the program declared first at [0] (when there are two or more), so code that
 * takes `[0]` as "the network it was declared on" is caught every time, not by chance.
 */
export function mapOrder<T>(items: T[], declaredFirst: (x: T) => boolean): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
        const j = Math.floor(Math.random() * (i + 1));
        [out[i], out[j]] = [out[j], out[i]];
    }
    if (out.length > 1 && declaredFirst(out[0])) {
        out.push(out.shift()!);
    }
    return out;
}

/** A Terraform set's order: by a hash of the element, not the program's order. */
function setOrder<T>(items: T[], key: (x: T) => string): T[] {
    const hash = (s: string) => [...s].reduce((h, c) => Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0, 2166136261);
    return [...items].sort((a, b) => hash(key(a)) - hash(key(b)));
}

function dropEmpty(o: Record<string, unknown>): Record<string, unknown> {
    return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== "" && v !== null));
}
