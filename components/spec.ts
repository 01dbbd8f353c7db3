// The one container description every component shares, and its validation.
import * as pulumi from "@pulumi/pulumi";
import { checkHostAddress, parseIPv4 } from "./net";
import { Problems, ValidationError, checkDockerName, checkHostname, checkPlainText, checkPort, show } from "./validate";

// The choices below are each an object of constants and a type of its values: TypeScript callers
// write the plain string ("tcp") with completion, and Pulumi's component analyzer reads them as
// enums for the other languages (issue 28).

/** A port's protocol. */
export const Protocol = { Tcp: "tcp", Udp: "udp" } as const;
export type Protocol = (typeof Protocol)[keyof typeof Protocol];
/** A container's restart policy (`docker run --restart`). */
export const RestartPolicy = {
    No: "no",
    OnFailure: "on-failure",
    Always: "always",
    UnlessStopped: "unless-stopped",
} as const;
export type RestartPolicy = (typeof RestartPolicy)[keyof typeof RestartPolicy];
/** How a container is networked: docker0, the host's own stack, loopback only, or only its `networks`. */
export const NetworkMode = { Bridge: "bridge", Host: "host", None: "none", Custom: "custom" } as const;
export type NetworkMode = (typeof NetworkMode)[keyof typeof NetworkMode];

/** A port a container listens on, and optionally publishes on the host (`docker run -p`). */
export interface PortSpec {
    /** The port inside the container. */
    internal: number;
    /** The host port it is published on (`-p external:internal`). Defaults to not published. */
    external?: number;
    /** `tcp` or `udp`. Defaults to `tcp`. */
    protocol?: Protocol;
    /** The host address to publish on (`-p ip:external:internal`). Defaults to every address. */
    ip?: string;
}

/** How a container sits on a user-defined network it joins: its aliases and its address there. */
export interface NetworkAttachmentOptions {
    /** DNS names other containers on that network resolve to this one. Defaults to none. */
    aliases?: string[];
    /** A fixed address inside the network's subnet (`--ip`). Defaults to one Docker assigns. */
    ipv4Address?: string;
}

/** A user-defined network a container joins (`docker run --network NAME --network-alias ALIAS`). */
export interface NetworkAttachmentSpec extends NetworkAttachmentOptions {
    /** The Docker network's name, e.g. `CustomBridgeNetwork.name`. */
    name: pulumi.Input<string>;
}

/** A container in `docker run` terms, but for the user-defined networks it joins. */
export interface ContainerSettings {
    /** The container name (`--name`); Docker's rule `[a-zA-Z0-9][a-zA-Z0-9_.-]*`, e.g. `nginx_web1`. */
    name: string;
    /** An image present on (or pullable by) the host, e.g. `nginx:1.27`. */
    image: string;
    /** The command and its arguments (the words after the image in `docker run`). Defaults to the image's. */
    command?: string[];
    /** Ports the container listens on, published or not. Defaults to none. */
    ports?: PortSpec[];
    /** Restart policy: `no`, `on-failure`, `always` or `unless-stopped`. Defaults to `unless-stopped`. */
    restart?: RestartPolicy;
    /** Docker labels. Defaults to none (dockernet adds `dockernet.component`). */
    labels?: { [key: string]: string };
    /**
     * `bridge` (docker0), `host` (the host's own stack), `none` (only loopback) or `custom`
     * (only the networks in `networks`). Defaults to `bridge`, or `custom` when `networks` is set.
     */
    networkMode?: NetworkMode;
    /** The container's hostname (`--hostname`). Defaults to Docker's (the short id). */
    hostname?: string;
}

/** A container, in `docker run` terms. Shared by every dockernet component. */
export interface ContainerSpec extends ContainerSettings {
    /**
     * Environment variables (`-e KEY=VALUE`). A value may be a computed one or a secret
     * (`cfg.requireSecret("db")`): a secret stays one in the container's state, and is checked only
     * when known, without ever being shown. Defaults to none.
     */
    env?: { [key: string]: pulumi.Input<string> };
    /** User-defined networks to join (network mode `custom`). Defaults to none. */
    networks?: NetworkAttachmentSpec[];
}

export const NETWORK_MODES: string[] = Object.values(NetworkMode);
const RESTART_POLICIES: string[] = Object.values(RestartPolicy);

/** Validates one container spec; `sidecar` applies the shared-namespace rules. */
export function validateContainerSpec(
    problems: Problems,
    field: string,
    spec: ContainerSpec | undefined,
    sidecar = false,
): void {
    if (spec === undefined || spec === null || typeof spec !== "object") {
        problems.add(field, `is ${show(spec)}; give a container such as { name: "nginx_web1", image: "nginx:1.27" }`);
        return;
    }
    checkDockerName(problems, `${field}.name`, spec.name);
    if (checkPlainText(problems, `${field}.image`, spec.image, 255)) {
        if (!/^[a-zA-Z0-9][a-zA-Z0-9_.:/@-]*$/.test(spec.image)) {
            problems.add(`${field}.image`, `${show(spec.image)} is not an image reference; use e.g. "nginx:1.27"`);
        }
    }
    (spec.command ?? []).forEach((word, i) => checkPlainText(problems, `${field}.command[${i}]`, word));
    for (const [key, value] of Object.entries(spec.env ?? {})) {
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
            problems.add(
                `${field}.env`,
                `key ${show(key)} is not an environment variable name; use [A-Za-z_][A-Za-z0-9_]*`,
            );
        }
        if (!isComputed(value)) {
            checkPlainText(problems, `${field}.env.${key}`, value);
        }
    }
    for (const [key, value] of Object.entries(spec.labels ?? {})) {
        checkPlainText(problems, `${field}.labels key`, key, 255);
        checkPlainText(problems, `${field}.labels.${key}`, value);
    }
    if (spec.restart !== undefined && !RESTART_POLICIES.includes(spec.restart)) {
        problems.add(
            `${field}.restart`,
            `${show(spec.restart)} is not a restart policy; use one of ${RESTART_POLICIES.join(", ")}`,
        );
    }
    if (spec.hostname !== undefined) {
        checkHostname(problems, `${field}.hostname`, spec.hostname);
    }
    validatePorts(problems, field, spec.ports ?? []);

    if (sidecar) {
        if (spec.networkMode !== undefined || spec.networks !== undefined) {
            problems.add(
                `${field}.networkMode`,
                `is set (${show(spec.networkMode ?? "custom")}); a sidecar always joins the primary's namespace (container:<primary id>), remove it`,
            );
        }
        (spec.ports ?? []).forEach((p, i) => {
            if (p.external !== undefined) {
                problems.add(
                    `${field}.ports[${i}].external`,
                    `is ${p.external}; Docker cannot publish ports of a container in another's namespace, publish it on the primary`,
                );
            }
        });
        if (spec.hostname !== undefined) {
            problems.add(`${field}.hostname`, `is set; a sidecar shares the primary's hostname, remove it`);
        }
        return;
    }

    const mode = effectiveMode(spec);
    if (!NETWORK_MODES.includes(mode)) {
        problems.add(
            `${field}.networkMode`,
            `${show(spec.networkMode)} is not a network mode; use bridge, host, none or custom ` +
                `(for container:<id> use SharedNamespaceContainer)`,
        );
    }
    if (mode === "custom" && (spec.networks ?? []).length === 0) {
        problems.add(`${field}.networks`, `is empty; network mode custom needs at least one network`);
    }
    if (mode !== "custom" && (spec.networks ?? []).length > 0) {
        problems.add(
            `${field}.networks`,
            `is set but networkMode is ${show(mode)}; use networkMode "custom" or drop networks`,
        );
    }
    if ((mode === "host" || mode === "none") && (spec.ports ?? []).some((p) => p.external !== undefined)) {
        problems.add(`${field}.ports`, `publish ports, but network mode ${mode} has no port mapping; remove external`);
    }
    (spec.networks ?? []).forEach((n, i) => {
        const nf = `${field}.networks[${i}]`;
        if (typeof n.name === "string") {
            checkDockerName(problems, `${nf}.name`, n.name);
        }
        (n.aliases ?? []).forEach((a, j) => checkHostname(problems, `${nf}.aliases[${j}]`, a));
        if (n.ipv4Address !== undefined) {
            const ip = checkHostAddress(n.ipv4Address);
            if (!ip.ok) {
                problems.add(`${nf}.ipv4Address`, ip.problem);
            }
        }
    });
}

/** The network mode a spec ends up with once defaults apply. */
export function effectiveMode(spec: ContainerSpec): string {
    return spec.networkMode ?? ((spec.networks ?? []).length > 0 ? "custom" : "bridge");
}

/** Every port a container listens on inside its namespace, as `80/tcp`. */
export function listeningPorts(spec: ContainerSpec): string[] {
    return (spec.ports ?? []).map((p) => `${p.internal}/${p.protocol ?? "tcp"}`);
}

/** Reports container names used twice on one host. */
export function checkUniqueNames(
    problems: Problems,
    entries: { field: string; name: string | undefined }[],
    scope = "on the same host; container names must be unique per host",
): void {
    const seen = new Map<string, string>();
    for (const { field, name } of entries) {
        if (typeof name !== "string") {
            continue;
        }
        const first = seen.get(name);
        if (first !== undefined) {
            problems.add(field, `${show(name)} is already used by ${first} ${scope}, choose another name`);
        } else {
            seen.set(name, field);
        }
    }
}

/** A container's published ports, for the one-host check; `group` is who checks the pair itself. */
export interface Publisher {
    /** The container's field, e.g. `links[0].target`. */
    field: string;
    ports: PortSpec[] | undefined;
    /** Pairs within one group are left to that group's own check (a component's, in a topology). */
    group?: string;
}

/**
 * Containers on one host publishing the same host port and protocol on overlapping addresses
 * (the same address, or either on every address): Docker starts the first and refuses the second
 * ("port is already allocated", moby's port mapper), so the plan refuses it, naming both.
 */
export function checkPublishedPorts(problems: Problems, publishers: Publisher[], where = "on the same host"): void {
    const seen: { field: string; owner: string; group?: string; ip: string; external: number; protocol: string }[] = [];
    for (const p of publishers) {
        (Array.isArray(p.ports) ? p.ports : []).forEach((port, i) => {
            if (!port || typeof port !== "object" || typeof port.external !== "number") {
                return;
            }
            const protocol = port.protocol ?? "tcp";
            const ip = port.ip ?? "0.0.0.0";
            const clash = seen.find(
                (s) =>
                    s.owner !== p.field &&
                    s.external === port.external &&
                    s.protocol === protocol &&
                    (s.ip === ip || s.ip === "0.0.0.0" || ip === "0.0.0.0"),
            );
            const field = `${p.field}.ports[${i}].external`;
            if (clash && !(p.group !== undefined && clash.group === p.group)) {
                problems.add(
                    field,
                    `${port.external}/${protocol} on ${ip === "0.0.0.0" ? "every address" : ip} is already published by ${clash.field} ${where}; Docker would refuse this container ("port is already allocated"): choose another external port`,
                );
            } else if (!clash) {
                seen.push({ field, owner: p.field, group: p.group, ip, external: port.external, protocol });
            }
        });
    }
}

function validatePorts(problems: Problems, field: string, ports: PortSpec[]): void {
    const seenInternal = new Set<string>();
    const seenExternal = new Set<string>();
    ports.forEach((p, i) => {
        const pf = `${field}.ports[${i}]`;
        checkPort(problems, `${pf}.internal`, p.internal);
        if (p.external !== undefined) {
            checkPort(problems, `${pf}.external`, p.external);
        }
        const proto = p.protocol ?? "tcp";
        if (proto !== "tcp" && proto !== "udp") {
            problems.add(`${pf}.protocol`, `${show(p.protocol)} is not a protocol; use "tcp" or "udp"`);
        }
        if (p.ip !== undefined) {
            // Every address, a host address, or loopback (`-p 127.0.0.1:8080:80`: only the host itself).
            const ip = checkHostAddress(p.ip);
            const loopback = parseIPv4(p.ip);
            if (!ip.ok && p.ip !== "0.0.0.0" && !(loopback.ok && loopback.value >>> 24 === 127)) {
                problems.add(`${pf}.ip`, ip.problem);
            }
        }
        const key = `${p.internal}/${proto}`;
        if (seenInternal.has(key)) {
            problems.add(`${pf}.internal`, `${key} is listed twice; list each port once`);
        }
        seenInternal.add(key);
        if (p.external !== undefined) {
            const ext = `${p.ip ?? "0.0.0.0"}:${p.external}/${proto}`;
            if (seenExternal.has(ext)) {
                problems.add(`${pf}.external`, `${ext} is published twice; pick another host port`);
            }
            seenExternal.add(ext);
        }
    });
}

/** A value given as an Output or a Promise: known (and checked) only during the deployment. */
export function isComputed(value: unknown): boolean {
    return pulumi.Output.isInstance(value) || value instanceof Promise;
}

/**
 * The `-e KEY=VALUE` list of a container: plain text when every value is, else one Output, secret
 * when any value is. A computed value is checked once known; what is wrong with it is said with its
 * field but never its value (it may be a secret).
 */
export function containerEnvs(container: string, env: ContainerSpec["env"]): pulumi.Input<string[]> {
    const entries = Object.entries(env ?? {});
    if (!entries.some(([, v]) => isComputed(v))) {
        return entries.map(([k, v]) => `${k}=${v}`);
    }
    // One apply over all the values, so a refusal is one failure, not one per value.
    return pulumi.all(entries.map(([, v]) => pulumi.output(v))).apply((values) =>
        values.map((text, i) => {
            const problem = computedEnvProblem(container, entries[i][0], text);
            if (problem !== undefined) {
                throw new ValidationError(problem, [{ field: `env.${entries[i][0]}`, message: problem }]);
            }
            return `${entries[i][0]}=${text}`;
        }),
    );
}

/** What is wrong with a computed env value once known, in words that never show it (it may be a secret). */
export function computedEnvProblem(container: string, key: string, text: unknown): string | undefined {
    if (typeof text !== "string" || text.length > 1024 || /[\u0000-\u001f\u007f]/.test(text)) {
        return `Invalid container ${show(container)}:\n - env.${key} (a computed value) is not a string of at most 1024 characters without control characters (newline, NUL, ...); its value is not shown, as it may be a secret`;
    }
    return undefined;
}
