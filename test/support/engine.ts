// Engine-backed mocks: a Pulumi program runs under `pulumi.runtime.setMocks`, and every resource it
// registers is applied for real — Docker objects on the host's own engine (through the docker CLI,
// locally or over SSH), host commands over real SSH — and the real ids, addresses and stdout come
// back as the resource's outputs. A small state keeps what was applied, so a second run of a
// program behaves like a second `pulumi up` (unchanged inputs: untouched; changed: replaced,
// delete first; gone: deleted), and `destroy()` deletes everything in reverse order.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { assertLabRoute, run, RunResult } from "./exec";
import { unwrapSecrets } from "./mocks";

/** A Docker endpoint as the harness reaches it. */
interface Endpoint {
    url: string;
    sshOpts: string[];
    /** The provider it came from: each provider keeps its own connection, as the real one does. */
    connection?: string;
}

interface Applied {
    key: string;
    type: string;
    name: string;
    inputs: Record<string, unknown>;
    inputsJson: string;
    id: string;
    state: Record<string, unknown>;
    endpoint?: Endpoint;
}

export interface EngineOptions {
    /** Where `command.local.Command` runs: a prefix such as `nsenter -t PID --net --mount`; required to run local commands. */
    localCommandPrefix?: string[];
    /** The endpoint for Docker resources registered without an explicit provider. */
    defaultDockerHost?: string;
    /** The interface every remote address must route through. Defaults to `dnlab0`. */
    labInterface?: string;
}

export interface RunCounts {
    created: number;
    replaced: number;
    unchanged: number;
    deleted: number;
}

/** A record of one resource operation, in the order it happened. */
export interface Operation {
    op: "create" | "delete" | "read";
    type: string;
    name: string;
}

export class Engine {
    readonly state = new Map<string, Applied>();
    readonly operations: Operation[] = [];
    counts: RunCounts = { created: 0, replaced: 0, unchanged: 0, deleted: 0 };
    private order: string[] = [];
    private seen = new Set<string>();
    private pending = new Set<Promise<unknown>>();
    private errors: Error[] = [];
    private providers = new Map<string, Endpoint>();
    private tmp = fs.mkdtempSync(path.join(os.tmpdir(), "dockernet-engine-"));
    /** The SSH master connections the Docker calls opened, one per provider: its control path and the ssh arguments that reach it. */
    private masters = new Map<string, { control: string; target: string[] }>();
    private masterCount = 0;
    private readonly closeAtExit = () => {
        this.closeConnections();
        fs.rmSync(this.tmp, { recursive: true, force: true });
    };

    /** Test hook: runs right after a replaced resource's delete, before its replacement is created. */
    afterReplaceDelete?: (name: string) => Promise<void>;

    constructor(private readonly options: EngineOptions = {}) {
        // A safety net for plain node (the benchmarks); under jest, tests call dispose(), and a master
        // nobody closes still exits by itself after ControlPersist's 30 s of idleness.
        process.once("exit", this.closeAtExit);
    }

    /** Runs a Pulumi program against the real hosts, like `pulumi up`; returns what the program returned. */
    async up<T>(program: () => T | Promise<T>, stack = "live"): Promise<T> {
        this.seen = new Set();
        this.errors = [];
        this.failed = this.newFailureSignal();
        this.counts = { created: 0, replaced: 0, unchanged: 0, deleted: 0 };
        this.providers.clear();
        await pulumi.runtime.setMocks(this.mocks(), "dockernet", stack, false);
        let result: T;
        try {
            result = await program();
            await this.settle();
        } catch (e) {
            await this.settle().catch(() => undefined);
            throw this.errors[0] ?? e;
        }
        if (this.errors.length > 0) {
            throw this.errors[0];
        }
        // What the program no longer declares is deleted, newest first.
        for (const key of [...this.order].reverse()) {
            if (!this.seen.has(key)) {
                await this.remove(key);
                this.counts.deleted++;
            }
        }
        return result;
    }

    /** Deletes everything this engine applied, newest first; keeps going past failures and reports them all. */
    async destroy(): Promise<void> {
        const failures: string[] = [];
        for (const key of [...this.order].reverse()) {
            try {
                await this.remove(key);
            } catch (e) {
                failures.push(`${key}: ${(e as Error).message}`);
                this.order = this.order.filter((k) => k !== key);
                this.state.delete(key);
            }
        }
        if (failures.length > 0) {
            throw new Error(`destroy left errors:\n${failures.join("\n")}`);
        }
    }

    /** Closes the engine's SSH master connections and removes its temporary files (keys, control sockets). */
    dispose(): void {
        this.closeConnections();
        process.removeListener("exit", this.closeAtExit);
        fs.rmSync(this.tmp, { recursive: true, force: true });
    }

    /** Asks each SSH master this engine started to exit, through its own control socket (never by name). */
    closeConnections(): void {
        for (const { control, target } of this.masters.values()) {
            spawnSync("ssh", ["-o", `ControlPath=${control}`, "-O", "exit", ...target], { stdio: "ignore", timeout: 10000 });
        }
        this.masters.clear();
    }

    /** The outputs of an applied resource by its logical name. */
    applied(name: string): Applied | undefined {
        return [...this.state.values()].find((a) => a.name === name);
    }

    private generation = 0;

    private mocks(): pulumi.runtime.Mocks {
        const generation = ++this.generation;
        return {
            // A registration still in flight from an earlier (failed) run never applies anything.
            newResource: (args) =>
                generation === this.generation ? this.track(this.register(args)) : Promise.resolve({ id: undefined, state: {} }),
            call: async (args) => {
                throw new Error(`engine-backed mocks do not implement the function ${args.token}`);
            },
        };
    }

    private signalFailure: () => void = () => undefined;
    private failed: Promise<void> = this.newFailureSignal();

    private newFailureSignal(): Promise<void> {
        return new Promise((resolve) => (this.signalFailure = resolve));
    }

    /**
     * A failure is recorded and `up` reports it (like `pulumi up`); the SDK gets an empty, unapplied
     * result rather than a rejection, because a rejected resource rejects every one of its outputs
     * and outputs nobody reads would surface as unhandled rejections in the test runner.
     */
    private track(p: Promise<pulumi.runtime.MockResourceResult>): Promise<pulumi.runtime.MockResourceResult> {
        const tracked = p.catch((e): pulumi.runtime.MockResourceResult => {
            this.errors.push(e as Error);
            this.signalFailure();
            return { id: undefined, state: {} };
        });
        this.pending.add(tracked);
        tracked.finally(() => this.pending.delete(tracked)).catch(() => undefined);
        return tracked;
    }

    /** Waits until no registration is in flight, including ones that start while waiting. */
    private async settle(): Promise<void> {
        // The SDK keeps a promise chain of every RPC in flight (registrations wait on their inputs
        // inside it); drain it, then make sure nothing new started meanwhile.
        // A failed registration can leave its dependents waiting forever (like `pulumi up`, which
        // stops at the first error), so an error ends the wait.
        const runtime = pulumi.runtime as unknown as { waitForRPCs?: () => Promise<void> };
        for (;;) {
            await Promise.race([runtime.waitForRPCs?.().catch(() => undefined), this.failed]);
            if (this.errors.length > 0) {
                // What is still in flight now resolves without applying anything; let it drain so
                // it cannot reach the next run's mocks (bounded, in case something still waits).
                await Promise.race([
                    Promise.allSettled([...this.pending]).then(() => runtime.waitForRPCs?.()),
                    new Promise((r) => setTimeout(r, 30000)),
                ]).catch(() => undefined);
                return;
            }
            await new Promise((r) => setTimeout(r, 50));
            if (this.pending.size === 0) {
                await new Promise((r) => setTimeout(r, 100));
                if (this.pending.size === 0) {
                    return;
                }
            }
            await Promise.allSettled([...this.pending]);
        }
    }

    private async register(args: pulumi.runtime.MockResourceArgs): Promise<pulumi.runtime.MockResourceResult> {
        const key = `${args.type}::${args.name}`;
        trace(`register ${key}`);
        if (this.errors.length > 0) {
            // Like `pulumi up`: after the first failure nothing new starts.
            throw new Error(`${key} not applied: the deployment stopped at an earlier error`);
        }
        if (this.seen.has(key)) {
            throw new Error(`duplicate resource ${key}`);
        }
        this.seen.add(key);
        const inputs = unwrapSecrets(args.inputs) as Record<string, unknown>;
        if (args.custom === false) {
            // A component: nothing to apply on a host, and not counted as a change.
            return { id: undefined, state: {} };
        }
        const endpoint = args.type.startsWith("docker:") ? this.endpointFor(args.provider) : undefined;
        const inputsJson = stableJson({ inputs, endpoint });
        const prior = this.state.get(key);
        if (prior && prior.inputsJson === inputsJson) {
            this.counts.unchanged++;
            if (args.type === "pulumi:providers:docker") {
                this.rememberProvider(args, prior.id);
            }
            return { id: prior.id, state: prior.state };
        }
        if (prior) {
            // Every input of the resources we drive forces a replacement; dockernet asks for
            // delete-before-replace on all of them (fixed names, host scripts).
            await this.remove(key);
            this.counts.replaced++;
            await this.afterReplaceDelete?.(args.name);
        } else {
            this.counts.created++;
        }
        const { id, state } = await this.create(args.type, args.name, inputs, endpoint);
        if (args.type === "pulumi:providers:docker") {
            this.rememberProvider(args, id);
        }
        this.state.set(key, { key, type: args.type, name: args.name, inputs, inputsJson, id, state, endpoint });
        this.order.push(key);
        this.operations.push({ op: "create", type: args.type, name: args.name });
        trace(`created ${key} id=${id.slice(0, 24)}`);
        return { id, state };
    }

    private rememberProvider(args: pulumi.runtime.MockResourceArgs, id: string): void {
        const inputs = args.inputs as { host?: string; sshOpts?: string[] | string };
        // Provider configuration travels JSON-encoded when it is not a string.
        const sshOpts = typeof inputs.sshOpts === "string" ? (JSON.parse(inputs.sshOpts) as string[]) : (inputs.sshOpts ?? []);
        const endpoint = { url: inputs.host ?? this.defaultHost(), sshOpts, connection: args.name };
        this.providers.set(args.name, endpoint);
        this.providers.set(id, endpoint);
    }

    private defaultHost(): string {
        return this.options.defaultDockerHost ?? "unix:///var/run/docker.sock";
    }

    private endpointFor(providerRef: string | undefined): Endpoint {
        if (!providerRef) {
            return { url: this.defaultHost(), sshOpts: [] };
        }
        // A provider reference is "<urn>::<id>"; the urn ends with "::<name>".
        const id = providerRef.slice(providerRef.lastIndexOf("::") + 2);
        const urn = providerRef.slice(0, providerRef.lastIndexOf("::"));
        const name = urn.slice(urn.lastIndexOf("::") + 2);
        const known = this.providers.get(id) ?? this.providers.get(name);
        if (!known) {
            if (urn.includes("pulumi:providers:docker::default")) {
                return { url: this.defaultHost(), sshOpts: [] };
            }
            throw new Error(`unknown provider ${providerRef}`);
        }
        return known;
    }

    private async create(
        type: string,
        name: string,
        inputs: Record<string, unknown>,
        endpoint: Endpoint | undefined,
    ): Promise<{ id: string; state: Record<string, unknown> }> {
        switch (type) {
            case "pulumi:providers:docker":
                return { id: `provider-${name}`, state: inputs };
            case "pulumi:providers:command":
                return { id: `provider-${name}`, state: inputs };
            case "docker:index/remoteImage:RemoteImage":
                return this.createImage(inputs, endpoint!);
            case "docker:index/network:Network":
                return this.createNetwork(inputs, endpoint!);
            case "docker:index/container:Container":
                return this.createContainer(inputs, endpoint!);
            case "command:remote:Command":
            case "command:local:Command":
                return this.createCommand(type, name, inputs);
            default:
                if (type.startsWith("docker:") || type.startsWith("command:")) {
                    throw new Error(`engine-backed mocks cannot apply ${type} (${name})`);
                }
                // Anything else (e.g. an embedding stack's own resources) is recorded, not applied.
                return { id: `${name}-id`, state: inputs };
        }
    }

    private async remove(key: string): Promise<void> {
        const a = this.state.get(key);
        if (!a) {
            return;
        }
        switch (a.type) {
            case "docker:index/container:Container":
                await this.docker(a.endpoint!, ["rm", "-f", a.id]);
                break;
            case "docker:index/network:Network":
                await this.docker(a.endpoint!, ["network", "rm", a.id]);
                break;
            case "command:remote:Command":
            case "command:local:Command": {
                const del = a.inputs.delete as string | undefined;
                if (del) {
                    await this.runCommand(a.type, a.name, a.inputs, del);
                }
                break;
            }
            default:
                break; // images are kept (keepLocally), providers hold nothing
        }
        this.state.delete(key);
        this.order = this.order.filter((k) => k !== key);
        this.operations.push({ op: "delete", type: a.type, name: a.name });
        trace(`deleted ${key}`);
    }

    // ---- Docker -------------------------------------------------------------------------------

    private async createImage(inputs: Record<string, unknown>, ep: Endpoint) {
        const name = String(inputs.name);
        const r = await this.dockerRun(ep, ["image", "inspect", "--format", "{{.Id}}", name]);
        if (r.code !== 0) {
            throw new Error(
                `image ${name} is not on ${ep.url} and the lab reaches no registry; build it there first (${r.stderr.trim()})`,
            );
        }
        const imageId = r.stdout.trim();
        return { id: `${imageId}${name}`, state: { ...inputs, imageId, repoDigest: imageId } };
    }

    private async createNetwork(inputs: Record<string, unknown>, ep: Endpoint) {
        const argv = ["network", "create", "--driver", String(inputs.driver ?? "bridge")];
        if (inputs.internal) {
            argv.push("--internal");
        }
        for (const c of (inputs.ipamConfigs as Record<string, string>[] | undefined) ?? []) {
            if (c.subnet) argv.push("--subnet", c.subnet);
            if (c.gateway) argv.push("--gateway", c.gateway);
            if (c.ipRange) argv.push("--ip-range", c.ipRange);
        }
        for (const [k, v] of Object.entries((inputs.options as Record<string, string>) ?? {})) {
            argv.push("--opt", `${k}=${v}`);
        }
        for (const l of (inputs.labels as { label: string; value: string }[]) ?? []) {
            argv.push("--label", `${l.label}=${l.value}`);
        }
        argv.push(String(inputs.name));
        const id = (await this.docker(ep, argv)).trim();
        const info = JSON.parse(await this.docker(ep, ["network", "inspect", id]))[0];
        const ipamConfigs = (info.IPAM?.Config ?? []).map((c: Record<string, string>) => ({
            subnet: c.Subnet,
            gateway: c.Gateway,
            ipRange: c.IPRange,
        }));
        return { id, state: { ...inputs, name: info.Name, ipamConfigs, options: info.Options, scope: info.Scope } };
    }

    private async createContainer(inputs: Record<string, unknown>, ep: Endpoint) {
        const networks = (inputs.networksAdvanced as { name: string; aliases?: string[]; ipv4Address?: string }[]) ?? [];
        const mode = String(inputs.networkMode ?? "bridge");
        const argv = ["create", "--name", String(inputs.name), "--restart", String(inputs.restart ?? "no"), "--network", mode];
        if (inputs.hostname) argv.push("--hostname", String(inputs.hostname));
        for (const e of (inputs.envs as string[]) ?? []) argv.push("--env", e);
        for (const l of (inputs.labels as { label: string; value: string }[]) ?? []) argv.push("--label", `${l.label}=${l.value}`);
        for (const h of (inputs.hosts as { host: string; ip: string }[]) ?? []) argv.push("--add-host", `${h.host}:${h.ip}`);
        for (const p of (inputs.ports as { internal: number; external?: number; protocol?: string; ip?: string }[]) ?? []) {
            argv.push("--publish", `${p.ip ?? "0.0.0.0"}:${p.external ?? ""}:${p.internal}/${p.protocol ?? "tcp"}`);
        }
        const first = networks.find((n) => n.name === mode);
        for (const a of first?.aliases ?? []) argv.push("--network-alias", a);
        if (first?.ipv4Address) argv.push("--ip", first.ipv4Address);
        argv.push(String(inputs.image), ...((inputs.command as string[]) ?? []));
        const connects = networks
            .filter((x) => x !== first)
            .map((n) => {
                const connect = ["network", "connect"];
                for (const a of n.aliases ?? []) connect.push("--alias", a);
                if (n.ipv4Address) connect.push("--ip", n.ipv4Address);
                return [...connect, n.name];
            });
        // create, connect, start and inspect in one call, as the real provider does them over one
        // connection; whatever fails after the create removes the container again.
        const d = this.dockerWord(ep);
        const script = [
            `id=$(${d} ${argv.map(quote).join(" ")}) || exit 1`,
            `printf '%s\\n' "$id"`,
            `if ${[...connects.map((c) => `${d} ${c.map(quote).join(" ")} "$id" >/dev/null`), `${d} start "$id" >/dev/null`].join(" && ")}; then`,
            `  ${d} inspect "$id" && exit 0`,
            `fi`,
            `${d} rm -f "$id" >/dev/null 2>&1`,
            `exit 1`,
        ].join("\n");
        const r = await this.dockerShell(ep, script);
        const newline = r.stdout.indexOf("\n");
        const id = newline > 0 ? r.stdout.slice(0, newline).trim() : "";
        let info: { [k: string]: any } | undefined;
        try {
            info = r.code === 0 ? JSON.parse(r.stdout.slice(newline + 1))[0] : undefined;
        } catch {
            info = undefined;
        }
        if (!info) {
            // The script removes the container when a step fails; this covers a connection that
            // broke after the create, or an answer that is not what inspect prints.
            if (/^[0-9a-f]{12,64}$/.test(id)) {
                await this.docker(ep, ["rm", "-f", id]).catch(() => undefined);
            }
            throw new Error(`docker create/start of ${inputs.name} on ${ep.url} failed (exit ${r.code}): ${r.stderr.trim() || r.stdout.trim()}`);
        }
        if (inputs.mustRun && !info.State?.Running) {
            await this.docker(ep, ["rm", "-f", id]).catch(() => undefined);
            throw new Error(`container ${inputs.name} is not running after start (${info.State?.Status}, exit ${info.State?.ExitCode})`);
        }
        const networkDatas = Object.entries(info.NetworkSettings?.Networks ?? {}).map(([networkName, n]) => {
            const net = n as Record<string, string | number>;
            return {
                networkName,
                ipAddress: net.IPAddress,
                ipPrefixLength: net.IPPrefixLen,
                gateway: net.Gateway,
                macAddress: net.MacAddress,
            };
        });
        // Docker lists networks by name; keep the order they were asked for, first network first.
        networkDatas.sort((a, b) => rank(a.networkName) - rank(b.networkName));
        function rank(n: string): number {
            const i = networks.findIndex((x) => x.name === n);
            return i < 0 ? (n === mode ? -1 : 1000) : i;
        }
        return {
            id,
            state: {
                ...inputs,
                name: String(info.Name).replace(/^\//, ""),
                networkMode: info.HostConfig?.NetworkMode,
                networkDatas,
                hostname: info.Config?.Hostname,
            },
        };
    }

    /** Runs the docker CLI against an endpoint; throws with its stderr on failure. */
    async docker(ep: Endpoint, argv: string[]): Promise<string> {
        const r = await this.dockerRun(ep, argv);
        if (r.code !== 0) {
            throw new Error(`docker ${argv.slice(0, 3).join(" ")} on ${ep.url} failed: ${r.stderr.trim() || r.stdout.trim()}`);
        }
        return r.stdout;
    }

    private dockerRun(ep: Endpoint, argv: string[]): Promise<RunResult> {
        return this.dockerShell(ep, `exec ${this.dockerWord(ep)} ${argv.map(quote).join(" ")}`);
    }

    /** How a shell on the Docker endpoint's side names the docker CLI. */
    private dockerWord(ep: Endpoint): string {
        return ep.url.startsWith("unix://") ? `docker -H ${quote(ep.url)}` : "docker";
    }

    /**
     * Runs a shell script next to the Docker endpoint: locally for unix://, over SSH for ssh://.
     * SSH goes through one master connection per provider, standing in for the real provider's
     * client, which reuses its connections instead of dialling for every API call (it may open a
     * few for concurrent calls; the master carries any number).
     */
    private dockerShell(ep: Endpoint, script: string): Promise<RunResult> {
        if (ep.url.startsWith("unix://")) {
            return run(["sh", "-c", script], { timeoutMs: 120000 });
        }
        const m = /^ssh:\/\/(?:([^@]+)@)?([^:/]+)(?::(\d+))?$/.exec(ep.url);
        if (!m) {
            throw new Error(`unsupported Docker endpoint ${ep.url}`);
        }
        assertLabRoute(m[2], this.options.labInterface);
        const target = [...ep.sshOpts, "-p", m[3] ?? "22", `${m[1] ?? "root"}@${m[2]}`];
        // One master per provider and way of reaching the host (its ssh options included). The
        // socket is named by a counter, not ssh's %C hash, so its path stays short under any TMPDIR.
        const key = JSON.stringify([ep.connection ?? "default", target]);
        let master = this.masters.get(key);
        if (!master) {
            master = { control: path.join(this.tmp, `m${++this.masterCount}`), target };
            this.masters.set(key, master);
        }
        const mux = ["-o", "ControlMaster=auto", "-o", `ControlPath=${master.control}`, "-o", "ControlPersist=30"];
        return run(["ssh", ...baseSshOptions(), ...mux, ...master.target, script], { timeoutMs: 120000 });
    }

    // ---- Commands -----------------------------------------------------------------------------

    private async createCommand(type: string, name: string, inputs: Record<string, unknown>) {
        const create = inputs.create as string | undefined;
        let stdout = "";
        let stderr = "";
        if (create) {
            const r = await this.runCommand(type, name, inputs, create);
            stdout = r.stdout;
            stderr = r.stderr;
        }
        return { id: `${name}-${Date.now().toString(36)}`, state: { ...inputs, stdout: stdout.replace(/\n$/, ""), stderr: stderr.replace(/\n$/, "") } };
    }

    private async runCommand(type: string, name: string, inputs: Record<string, unknown>, text: string): Promise<RunResult> {
        let r: RunResult;
        if (type === "command:local:Command") {
            if (!this.options.localCommandPrefix) {
                throw new Error(`command.local.Command ${name}: this engine has no localCommandPrefix; refusing to change the test runner's own host`);
            }
            const interpreter = (inputs.interpreter as string[] | undefined) ?? ["/bin/sh", "-c"];
            r = await run([...this.options.localCommandPrefix, ...interpreter, text], { timeoutMs: 300000 });
        } else {
            const c = inputs.connection as { host: string; port?: number; user?: string; privateKey?: string; hostKey?: string };
            assertLabRoute(c.host, this.options.labInterface);
            const keyFile = path.join(this.tmp, `key-${name}`);
            fs.writeFileSync(keyFile, ensureNewline(String(c.privateKey ?? "")), { mode: 0o600 });
            const opts = [...baseSshOptions(), "-i", keyFile, "-o", "IdentitiesOnly=yes", "-p", String(c.port ?? 22)];
            if (c.hostKey) {
                const kh = path.join(this.tmp, `known-${name}`);
                const hostPart = (c.port ?? 22) === 22 ? c.host : `[${c.host}]:${c.port}`;
                fs.writeFileSync(kh, `${hostPart} ${c.hostKey}\n`);
                opts.push("-o", `UserKnownHostsFile=${kh}`, "-o", "StrictHostKeyChecking=yes");
            } else {
                opts.push("-o", "UserKnownHostsFile=/dev/null", "-o", "StrictHostKeyChecking=no");
            }
            try {
                r = await run(["ssh", ...opts, `${c.user ?? "root"}@${c.host}`, text], { timeoutMs: 300000 });
            } finally {
                fs.rmSync(keyFile, { force: true });
            }
        }
        if (r.code !== 0) {
            throw new Error(`${type} ${name} failed (exit ${r.code}): ${r.stderr.trim()}${r.stdout.trim() ? `\nstdout: ${r.stdout.trim()}` : ""}`);
        }
        return r;
    }
}

/** DOCKERNET_ENGINE_LOG=<file> records every operation with a timestamp, for debugging a live run. */
function trace(line: string): void {
    if (process.env.DOCKERNET_ENGINE_LOG) {
        fs.appendFileSync(process.env.DOCKERNET_ENGINE_LOG, `${new Date().toISOString()} ${line}\n`);
    }
}

function baseSshOptions(): string[] {
    return ["-o", "BatchMode=yes", "-o", "ConnectTimeout=10", "-o", "LogLevel=ERROR", "-o", "ServerAliveInterval=10"];
}

function quote(word: string): string {
    return /^[a-zA-Z0-9_./:=@%+,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

function ensureNewline(s: string): string {
    return s.endsWith("\n") ? s : `${s}\n`;
}

/** JSON with sorted keys, so equal inputs compare equal. */
export function stableJson(value: unknown): string {
    return JSON.stringify(value, (_k, v) =>
        v && typeof v === "object" && !Array.isArray(v)
            ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]]))
            : v,
    );
}
