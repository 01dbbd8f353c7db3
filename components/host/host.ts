// How dockernet reaches a Docker host: over SSH or on the machine running Pulumi. One input type,
// validated like everything else, that yields the host's Docker provider and runs its host scripts.
import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { checkHostAddress, parseIPv4 } from "../net";
import { Problems, checkHostCommand, checkHostname, checkPlainText, checkPort, show } from "../validate";
import {
    dockerSupportProblem,
    driftCarrier,
    driftOf,
    observationOf,
    observeHosts,
    UnsupportedDockerError,
} from "./observe";
import { scriptCommand } from "./scripts";
export { hostEndpoint } from "./endpoint";
import { hostEndpoint } from "./endpoint";

/** A host reached over SSH (`docker -H ssh://user@address:port`, host scripts via SSH). */
export interface SshHostArgs extends SshConnectionArgs {
    /** The private key (OpenSSH PEM text) for host scripts. Pass it as a Pulumi secret. */
    privateKey: pulumi.Input<string>;
}

/** How a host is reached over SSH, but for the key: a topology's hosts share the stack's key. */
export interface SshConnectionArgs {
    /** The address sshd listens on, e.g. `192.168.100.200`. */
    address: string;
    /** The SSH port. Defaults to 22. */
    port?: number;
    /** The login user; it must be root or able to run docker, ip and iptables. Defaults to `root`. */
    user?: string;
    /**
     * The same key as a file, for the Docker provider (which runs the `ssh` client and takes no key
     * text). Defaults to the ssh agent and ~/.ssh/config of whoever runs Pulumi.
     */
    privateKeyPath?: string;
    /** The host's public key (`ssh-ed25519 AAAA...`), checked on every host-script connection. Defaults to not checked. */
    hostKey?: string;
    /** A known_hosts file for the Docker provider's ssh client. Defaults to the client's own. */
    knownHostsPath?: string;
}

/** A host that is the machine running Pulumi. */
export interface LocalHostArgs {
    /** The Docker endpoint. Defaults to `unix:///var/run/docker.sock`. */
    dockerHost?: string;
}

/** What every Docker host has, however it is reached: its name and the commands for its Docker. */
export interface HostBase {
    /** A short stable name for the host, used in resource names, e.g. `h1`. */
    name: string;
    /** The command that restarts Docker on this host. Defaults to `systemctl restart docker`. */
    restartCommand?: string;
    /** The command that prints the Docker daemon's recent log. Defaults to `journalctl -u docker -n 20 --no-pager`. */
    logCommand?: string;
}

/** A Docker host, reached either over SSH or locally. Exactly one of `ssh` and `local` is set. */
export interface HostArgs extends HostBase {
    /** Reach the host over SSH. */
    ssh?: SshHostArgs;
    /** The host is the machine running Pulumi. */
    local?: LocalHostArgs;
    /**
     * The Docker provider for this host's Docker objects, e.g. one shared by every component on the
     * host (deployTopology makes one per host, `dockernet-<host name>`), so the daemon is reached
     * through one provider instead of one per component. It must point at this same host.
     * Defaults to a provider the component makes from `ssh` or `local`.
     */
    dockerProvider?: docker.Provider;
}

/**
 * A component's args as it registers them: the SDK records a component's inputs in the state, so
 * SSH private keys (`privateKey`, a Topology's `sshPrivateKey`) are left out (the commands that
 * use a key get it as a secret; a component's inputs need not carry it at all, and leaving it out
 * spares a secret Output per component), and so is a shared Docker provider (a resource of its own).
 */
export function registeredArgs(args: unknown): pulumi.Inputs {
    const walk = (v: unknown): unknown => {
        if (Array.isArray(v)) {
            return v.map(walk);
        }
        if (v && typeof v === "object" && !pulumi.Output.isInstance(v) && !pulumi.Resource.isInstance(v)) {
            return Object.fromEntries(
                Object.entries(v)
                    .filter(([k]) => k !== "dockerProvider" && k !== "privateKey" && k !== "sshPrivateKey")
                    .map(([k, x]) => [k, walk(x)]),
            );
        }
        return v;
    };
    return (walk(args) ?? {}) as pulumi.Inputs;
}

/** Checks one host's connection details; `field` is where it sits in the component's args. */
export function validateHost(problems: Problems, field: string, host: HostArgs | undefined): void {
    if (host === undefined || host === null || typeof host !== "object") {
        problems.add(
            field,
            `is ${show(host)}; give { name: "h1", ssh: { address, privateKey } } or { name: "local", local: {} }`,
        );
        return;
    }
    if (checkHostname(problems, `${field}.name`, host.name) && host.name.length > 20) {
        problems.add(`${field}.name`, `${show(host.name)} is over 20 characters; use a short name such as "h1"`);
    }
    if ((host.ssh === undefined) === (host.local === undefined)) {
        problems.add(field, `must set exactly one of ssh and local (got ${host.ssh ? "both" : "neither"})`);
    }
    if (host.ssh !== undefined) {
        const s = host.ssh;
        const addr = checkHostAddress(s.address);
        const isName =
            typeof s.address === "string" &&
            /[a-zA-Z]/.test(s.address) &&
            s.address.length <= 253 &&
            s.address.split(".").every((label) => /^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/.test(label));
        // Loopback is a place sshd listens too (a VM's forwarded port, 127.0.0.1:2222), as `localhost` is.
        const ip = parseIPv4(s.address);
        const loopback = ip.ok && ip.value >>> 24 === 127;
        if (!addr.ok && !isName && !loopback) {
            problems.add(`${field}.ssh.address`, `${addr.problem}; or a DNS name such as "server1.example.com"`);
        }
        if (s.port !== undefined) {
            checkPort(problems, `${field}.ssh.port`, s.port);
        }
        if (s.user !== undefined && !/^[a-z_][a-z0-9_-]{0,31}$/.test(s.user)) {
            problems.add(`${field}.ssh.user`, `${show(s.user)} is not a login name; use e.g. "root"`);
        }
        if (s.privateKey === undefined) {
            problems.add(
                `${field}.ssh.privateKey`,
                `is missing; pass the key text as a secret (pulumi config set --secret)`,
            );
        }
        for (const key of ["privateKeyPath", "knownHostsPath"] as const) {
            const v = s[key];
            if (
                v !== undefined &&
                checkPlainText(problems, `${field}.ssh.${key}`, v) &&
                !/^[a-zA-Z0-9_./~-]+$/.test(v)
            ) {
                problems.add(
                    `${field}.ssh.${key}`,
                    `${show(v)} has characters a path should not need; use [a-zA-Z0-9_./~-]`,
                );
            }
        }
        if (s.hostKey !== undefined && !/^(ssh|ecdsa)-[a-z0-9-]+ [A-Za-z0-9+/=]+$/.test(s.hostKey)) {
            problems.add(
                `${field}.ssh.hostKey`,
                `${show(s.hostKey)} is not a public key line; use "ssh-ed25519 AAAA..." (no host name)`,
            );
        }
    }
    if (
        host.local?.dockerHost !== undefined &&
        !/^(unix:\/\/\/[a-zA-Z0-9_./-]+|tcp:\/\/[a-zA-Z0-9.-]+:\d+)$/.test(host.local.dockerHost)
    ) {
        problems.add(
            `${field}.local.dockerHost`,
            `${show(host.local.dockerHost)} is not a Docker endpoint; use "unix:///var/run/docker.sock"`,
        );
    }
    if (host.restartCommand !== undefined) {
        checkHostCommand(problems, `${field}.restartCommand`, host.restartCommand);
    }
    if (host.logCommand !== undefined) {
        checkHostCommand(problems, `${field}.logCommand`, host.logCommand);
    }
    if (host.dockerProvider !== undefined && !docker.Provider.isInstance(host.dockerProvider)) {
        // Only its kind: the wrong object could be one that holds a key.
        const kind =
            host.dockerProvider === null
                ? "null"
                : typeof host.dockerProvider === "object"
                  ? `an object (${(host.dockerProvider as object).constructor?.name ?? "no constructor"})`
                  : `a ${typeof host.dockerProvider}`;
        problems.add(
            `${field}.dockerProvider`,
            `is ${kind}, not a docker.Provider; pass a \`new docker.Provider(...)\` for this host or leave it out`,
        );
    }
}

/** Reports the same host given twice (by address or name) within one component. */
export function checkDistinctHosts(problems: Problems, entries: { field: string; host: HostArgs | undefined }[]): void {
    const seen = new Map<string, string>();
    for (const { field, host } of entries) {
        if (!host) {
            continue;
        }
        for (const key of [`name:${host.name}`, `at:${hostEndpoint(host)}`]) {
            const first = seen.get(key);
            if (first !== undefined) {
                problems.add(
                    field,
                    `is the same host as ${first} (${key.replace(/^\w+:/, "")}); give two different hosts`,
                );
                break;
            }
            seen.set(key, field);
        }
    }
}

/** The Docker provider for a host: its `dockerProvider`, or a new one, a child of `parent`. */
export function dockerProvider(name: string, host: HostArgs, parent: pulumi.Resource): docker.Provider {
    if (host.dockerProvider) {
        return host.dockerProvider;
    }
    return newDockerProvider(name, host, { parent });
}

/** A Docker provider that reaches the host (`ssh://...` with the key and known_hosts files, or the local endpoint). */
export function newDockerProvider(name: string, host: HostArgs, opts: pulumi.CustomResourceOptions): docker.Provider {
    const sshOpts: string[] = [];
    if (host.ssh?.privateKeyPath) {
        sshOpts.push("-i", host.ssh.privateKeyPath, "-o", "IdentitiesOnly=yes");
    }
    if (host.ssh?.knownHostsPath) {
        sshOpts.push("-o", `UserKnownHostsFile=${host.ssh.knownHostsPath}`, "-o", "StrictHostKeyChecking=yes");
    }
    // A changed `host` is another daemon: the provider is replaced, delete-first, which replaces
    // every Docker object on it through the old one first (pulumi/pulumi step_generator.go
    // calculateDependentReplacements). Left to itself the docker provider would be updated in place
    // and its objects would stay on the old host, unmanaged (no key ForcesProviderReplace in
    // pulumi-docker provider/resources.go).
    const options: pulumi.CustomResourceOptions = { ...opts, replaceOnChanges: ["host"], deleteBeforeReplace: true };
    return new docker.Provider(
        name,
        { host: hostEndpoint(host), sshOpts: sshOpts.length > 0 ? sshOpts : undefined },
        options,
    );
}

/** What a host script run is: which script, and the (already validated) arguments of create and delete. */
export interface HostScriptRun {
    script: "bip" | "routes" | "firewall" | "probe" | "swarm";
    create: pulumi.Input<string[]>;
    /** Arguments for the delete action; undefined for scripts that leave nothing behind (probes). */
    delete?: pulumi.Input<string[]>;
}

/**
 * Runs a host script on a host as a command resource: command.remote.Command over SSH, or
 * command.local.Command. pulumi-command replaces a command only when its `triggers` change; any
 * other change is an update that runs the new create and never the old delete. So:
 * - new arguments are an update, and each script's create converges the host to them (routes.sh
 *   per tag, firewall.sh per chain, bip.sh keeps the value from before its first create);
 * - another machine (address, port or user) is in `triggers`: a replacement, delete-first, so the
 *   old host's delete runs, over the old connection, before the new host's create.
 */
export function hostScript(
    name: string,
    host: HostArgs,
    run: HostScriptRun,
    opts: pulumi.CustomResourceOptions,
): command.remote.Command | command.local.Command {
    const create = pulumi.output(run.create).apply((a) => scriptCommand(run.script, a));
    const del = run.delete ? pulumi.output(run.delete).apply((a) => scriptCommand(run.script, a)) : undefined;
    // What the host shows now (observe.ts): a drift goes into stdin, an update that converges it.
    observeHosts([host]); // once per host per program run; nothing when switched off
    const seen = observationOf(host);
    const unsupported = run.script === "firewall" && seen ? dockerSupportProblem(host.name, seen) : undefined;
    if (unsupported) {
        // The components refuse such a host before making anything; this stops any other path.
        throw new UnsupportedDockerError(`Unsupported Docker for ${name}: host ${host.name} ${unsupported}`);
    }
    const carrier = driftCarrier(host.name, name, driftOf(run.script, run.create, seen), seen?.at);
    const ignoreChanges = carrier.ignore ? [...(opts.ignoreChanges ?? []), "stdin"] : opts.ignoreChanges;
    const options: pulumi.CustomResourceOptions = { deleteBeforeReplace: true, ...opts, ignoreChanges };
    return hostCommand(name, host, { create, delete: del, stdin: carrier.stdin }, options);
}

/**
 * A command on a host as a command resource: command.remote.Command over SSH (its key a secret,
 * the machine in `triggers`, so another machine is a replacement), or command.local.Command.
 */
export function hostCommand(
    name: string,
    host: HostArgs,
    run: { create: pulumi.Input<string>; delete?: pulumi.Input<string>; stdin?: pulumi.Input<string> },
    options: pulumi.CustomResourceOptions,
): command.remote.Command | command.local.Command {
    if (host.ssh) {
        const s = host.ssh;
        return new command.remote.Command(
            name,
            {
                connection: {
                    host: s.address,
                    port: s.port ?? 22,
                    user: s.user ?? "root",
                    privateKey: pulumi.secret(s.privateKey),
                    hostKey: s.hostKey,
                    dialErrorLimit: 3,
                    perDialTimeout: 10,
                },
                create: run.create,
                delete: run.delete,
                stdin: run.stdin,
                triggers: [s.address, String(s.port ?? 22), s.user ?? "root"],
                addPreviousOutputInEnv: false,
            },
            options,
        );
    }
    return new command.local.Command(
        name,
        {
            create: run.create,
            delete: run.delete,
            stdin: run.stdin,
            addPreviousOutputInEnv: false,
            interpreter: ["/bin/sh", "-c"],
        },
        options,
    );
}
