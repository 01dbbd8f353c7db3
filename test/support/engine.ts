// Engine-backed mocks: a Pulumi program runs under `pulumi.runtime.setMocks`, and every resource it
// registers is applied for real through a model of its provider (test/support/providers/): Docker
// objects with the Docker Engine API calls @pulumi/docker makes, commands over real SSH as
// @pulumi/command runs them. A state keeps what was applied, so a second run of a program is a
// second `pulumi up`: each resource is diffed by its provider's rules (unchanged, updated in place,
// or replaced, delete-first when the resource or its provider asks), what the program no longer
// declares is deleted, and `destroy()` deletes everything in reverse order.
// The rules, with the provider source each comes from, are listed in test/support/PROVIDERS.md.
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { Duplex } from "stream";
import { assertLabRoute, run, RunResult } from "./exec";
import { captureRequests, unwrapSecrets } from "./mocks";
import { command } from "./providers/command";
import * as docker from "./providers/docker";
import {
    Applied,
    changedKeys,
    Context,
    Diff,
    Endpoint,
    Model,
    PartialCreateError,
    RequestOptions,
} from "./providers/model";

export type { Applied, Endpoint };

const MODELS: Record<string, Model> = {
    "docker:index/container:Container": docker.container,
    "docker:index/network:Network": docker.network,
    "docker:index/remoteImage:RemoteImage": docker.remoteImage,
    "command:remote:Command": command("command:remote:Command"),
    "command:local:Command": command("command:local:Command"),
};

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
    /** Updated in place: the provider's Update ran (for a command, its new create). */
    updated: number;
    unchanged: number;
    deleted: number;
    /** Imported (the `import` option): read from the host, not created. */
    imported: number;
}

/** A step `pulumi preview` shows: what `up` would do to one resource, and with which new inputs. */
export interface PlannedStep {
    op: "create" | "update" | "replace" | "delete" | "import";
    type: string;
    name: string;
    /** For an update or a replacement: the inputs that changed. */
    changed?: string[];
    /** The inputs the program gave (not for a delete). */
    inputs?: Record<string, unknown>;
}

/** A record of one resource operation, in the order it happened. */
export interface Operation {
    op: "create" | "update" | "delete" | "import";
    type: string;
    name: string;
    /** A delete of a resource with retainOnDelete: dropped from the state, the object left. */
    retained?: boolean;
    /** For an update or a replacement: the inputs that changed. */
    changed?: string[];
}

export class Engine {
    readonly state = new Map<string, Applied>();
    readonly operations: Operation[] = [];
    counts: RunCounts = { created: 0, replaced: 0, updated: 0, unchanged: 0, deleted: 0, imported: 0 };
    private order: string[] = [];
    private seen = new Set<string>();
    private pending = new Set<Promise<unknown>>();
    private errors: Error[] = [];
    private providers = new Map<string, Endpoint>();
    private tmp = fs.mkdtempSync(path.join(os.tmpdir(), "dockernet-engine-"));
    /** The Docker API connection pools, one per provider (and endpoint). */
    private agents = new Map<string, http.Agent>();
    /** The `ssh ... docker system dial-stdio` processes those pools started. */
    private dialers = new Set<ChildProcess>();
    private providerGeneration = 0;
    /** Resources deleted ahead of a replacement they depend on: their next create is the other half of a replacement. */
    private deletedAhead = new Set<string>();
    /** The resource options of each registration, as the SDK sent them to the monitor. */
    private requests = new Map<string, RequestOptions>();
    private readonly closeAtExit = () => {
        this.closeConnections();
        fs.rmSync(this.tmp, { recursive: true, force: true });
    };

    /**
     * Test hook: called with each remote command's ssh client as it starts (e.g. to kill it: the
     * SSH connection cut while the script runs, which pulumi-command reports as a failed create
     * or update).
     */
    onRemoteCommand?: (name: string, ssh: ChildProcess) => void;

    /** Test hook: runs right after a replaced resource's delete, before its replacement is created. */
    afterReplaceDelete?: (name: string) => Promise<void>;

    constructor(private readonly options: EngineOptions = {}) {
        // A safety net for plain node (the benchmarks); under jest, tests call dispose().
        process.once("exit", this.closeAtExit);
    }

    /** Runs a Pulumi program against the real hosts, like `pulumi up`; returns what the program returned. */
    async up<T>(program: () => T | Promise<T>, stack = "live"): Promise<T> {
        this.seen = new Set();
        this.errors = [];
        this.failed = this.newFailureSignal();
        this.counts = { created: 0, replaced: 0, updated: 0, unchanged: 0, deleted: 0, imported: 0 };
        this.requests.clear();
        this.deletedAhead.clear();
        await pulumi.runtime.setMocks(this.mocks(), "dockernet", stack, false);
        captureRequests((key, options) => this.requests.set(key, options));
        // An error the program raises inside an Output (e.g. a component's check of what the
        // provider read back) reaches the language host as an unhandled rejection, and `pulumi up`
        // fails with it; here too.
        const programError = (reason: unknown) => {
            this.errors.push(reason instanceof Error ? reason : new Error(String(reason)));
            this.signalFailure();
        };
        process.on("unhandledRejection", programError);
        let result: T;
        try {
            result = await program();
            await this.settle();
        } catch (e) {
            await this.settle().catch(() => undefined);
            throw this.errors[0] ?? e;
        } finally {
            process.removeListener("unhandledRejection", programError);
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

    /**
     * Runs a program like `pulumi preview`: the program is evaluated (dry run), each registration is
     * diffed against the state by its provider's rules, and nothing is applied or stored. Returns
     * the steps `up` would take (same steps left out), deletes of what the program no longer declares
     * included. Aliases are not followed here.
     */
    async preview(program: () => unknown, stack = "live"): Promise<PlannedStep[]> {
        this.seen = new Set();
        this.errors = [];
        this.failed = this.newFailureSignal();
        this.requests.clear();
        this.planned = [];
        await pulumi.runtime.setMocks(this.mocks(), "dockernet", stack, true);
        captureRequests((key, options) => this.requests.set(key, options));
        const steps = this.planned;
        try {
            await program();
            await this.settle();
        } finally {
            this.planned = undefined;
        }
        if (this.errors.length > 0) {
            throw this.errors[0];
        }
        for (const key of [...this.order].reverse()) {
            if (!this.seen.has(key)) {
                const a = this.state.get(key)!;
                steps.push({ op: "delete", type: a.type, name: a.name });
            }
        }
        return steps;
    }

    /** While previewing: the steps found so far. */
    private planned?: PlannedStep[];

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

    /** Closes the engine's Docker API connections and removes its temporary files (keys). */
    dispose(): void {
        this.closeConnections();
        process.removeListener("exit", this.closeAtExit);
        fs.rmSync(this.tmp, { recursive: true, force: true });
    }

    /** Closes the Docker API connections: each pool, and the dial-stdio processes it started (by their handles, never by name). */
    closeConnections(): void {
        for (const agent of this.agents.values()) {
            agent.destroy();
        }
        this.agents.clear();
        for (const child of this.dialers) {
            child.kill();
        }
        this.dialers.clear();
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
                generation === this.generation
                    ? this.track(this.register(args))
                    : Promise.resolve({ id: undefined, state: {} }),
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
                let timer: NodeJS.Timeout | undefined;
                await Promise.race([
                    Promise.allSettled([...this.pending]).then(() => runtime.waitForRPCs?.()),
                    new Promise((r) => (timer = setTimeout(r, 30000))),
                ]).catch(() => undefined);
                clearTimeout(timer);
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
        const options: RequestOptions = this.requests.get(key) ?? { replaceOnChanges: [], ignoreChanges: [] };
        if (args.type.startsWith("pulumi:providers:")) {
            if (this.planned) {
                const old = this.state.get(key);
                return { id: old?.id ?? `provider-${args.name}`, state: inputs };
            }
            return this.registerProvider(key, args, inputs, options);
        }
        const model = MODELS[args.type];
        if (!model) {
            if (args.type.startsWith("docker:") || args.type.startsWith("command:")) {
                throw new Error(`engine-backed mocks cannot apply ${args.type} (${args.name})`);
            }
            // Anything else (e.g. an embedding stack's own resources) is recorded, not applied.
            return { id: `${args.name}-id`, state: inputs };
        }
        const endpoint = args.type.startsWith("docker:") ? this.endpointFor(args.provider) : undefined;
        const news = model.check(inputs);
        if (this.planned) {
            const old = this.state.get(key);
            if (!old && args.id) {
                return this.importResource(model, key, args, news, endpoint, options, true);
            }
            if (!old) {
                this.planned.push({ op: "create", type: args.type, name: args.name, inputs: news });
                return { id: undefined, state: news };
            }
            const d = diffWithOptions(model, old, news, options);
            if (d.changed.length > 0 || old.initError) {
                this.planned.push({
                    op: d.replaces.length > 0 ? "replace" : "update",
                    type: args.type,
                    name: args.name,
                    changed: d.changed,
                    inputs: news,
                });
            }
            return { id: old.id, state: { ...old.state, ...news } };
        }
        this.adoptAlias(key, args, options);
        let prior = this.state.get(key);
        if (prior) {
            // A provider updated in place (same id) now reaches its new endpoint; a resource moved to
            // another provider whose DiffConfig asks for no replacement (the docker provider marks no
            // key ForcesProviderReplace: pulumi-terraform-bridge pkg/tfbridge/provider.go DiffConfig)
            // is diffed as usual against the new one (pulumi/pulumi step_generator.go providerChanged).
            prior = { ...prior, endpoint: prior.provider ? this.endpointFor(prior.provider) : prior.endpoint };
        }
        if (!prior && args.id) {
            return this.importResource(model, key, args, news, endpoint, options, false);
        }
        if (!prior) {
            if (!this.deletedAhead.delete(key)) {
                this.counts.created++;
            }
            const applied = await this.createResource(model, key, args, news, endpoint, options);
            return { id: applied.id, state: applied.state };
        }
        const diff = diffWithOptions(model, prior, news, options);
        if (diff.changed.length === 0 && !prior.initError) {
            this.counts.unchanged++;
            // A Same step keeps the state and takes the new provider reference.
            this.state.set(key, { ...prior, endpoint, provider: args.provider, options });
            return { id: prior.id, state: prior.state };
        }
        if (diff.replaces.length > 0) {
            this.counts.replaced++;
            trace(`replacing ${key} (${diff.replaces.join(", ")})`);
            const first = options.deleteBeforeReplace ?? model.deleteBeforeReplace(news);
            if (first) {
                this.state.set(key, prior);
                await this.deleteDependents(prior);
                await this.remove(key, diff.replaces);
                await this.afterReplaceDelete?.(args.name);
                const applied = await this.createResource(model, key, args, news, endpoint, options);
                return { id: applied.id, state: applied.state };
            }
            // Create-before-delete: the new object exists before the old one's delete runs, from
            // the old state (pulumi/pulumi step_generator.go: a replacement is create, then delete).
            const old = prior;
            this.state.delete(key);
            // (the old one is deleted below, through its own provider)
            this.order = this.order.filter((k) => k !== key);
            const applied = await this.createResource(model, key, args, news, endpoint, options);
            await this.deleteApplied(model, old, diff.replaces);
            return { id: applied.id, state: applied.state };
        }
        // An in-place update (also what Pulumi does for a resource whose create failed part-way).
        this.counts.updated++;
        const state = await model.update(this.context, { ...prior, endpoint }, news, diff);
        const updated: Applied = {
            ...prior,
            inputs: news,
            state,
            endpoint,
            provider: args.provider,
            options,
            initError: false,
        };
        this.state.set(key, updated);
        this.operations.push({ op: "update", type: args.type, name: args.name, changed: diff.changed });
        trace(`updated ${key} (${diff.changed.join(", ")})`);
        return { id: updated.id, state: updated.state };
    }

    /**
     * The `import` option on a resource the state does not hold yet, as the Pulumi engine (3.174 and
     * later) runs it (pulumi/pulumi pkg/resource/deploy/step_generator.go GenerateSteps: isImport;
     * step.go ImportStep.Apply; continueStepsFromImport, continueStepsFromDiff): the provider's Read
     * of the id alone, in preview too (no Create); a missing object is "resource '<id>' does not
     * exist". The imported state is then the old state of an ordinary diff against the declared
     * inputs: no change, the import is all; an in-place change, an update follows in the same run;
     * a change the provider replaces on is refused while the program still names the id ("may not
     * be replaced", one `key: old => new` line each; a warning in preview, an error in up, after
     * the import step has put the object in the state).
     */
    private async importResource(
        model: Model,
        key: string,
        args: pulumi.runtime.MockResourceArgs,
        news: Record<string, unknown>,
        endpoint: Endpoint | undefined,
        options: RequestOptions,
        preview: boolean,
    ): Promise<pulumi.runtime.MockResourceResult> {
        const id = String(args.id);
        if (!model.read) {
            throw new Error(`the engine does not model importing ${args.type} (${args.name}); add a read to its model`);
        }
        const read = await model.read(this.context, id, endpoint);
        if (!read) {
            throw new Error(`${preview ? "" : "step application failed: "}resource '${id}' does not exist`);
        }
        const imported: Applied = {
            key,
            type: args.type,
            name: args.name,
            inputs: read,
            id,
            state: read,
            endpoint,
            provider: args.provider,
            options,
        };
        const d = diffWithOptions(model, imported, news, options);
        const replaceMessage = () =>
            "previously-imported resources that still specify an ID may not be replaced; please remove the `import` declaration from your program;\n" +
            d.replaces
                .map((k) => `${k}: ${JSON.stringify(imported.state[k] ?? null)} => ${JSON.stringify(news[k] ?? null)}`)
                .join("\n");
        if (preview) {
            this.planned!.push({ op: "import", type: args.type, name: args.name, inputs: news });
            if (d.replaces.length > 0) {
                pulumi.log.warn(replaceMessage());
                this.planned!.push({
                    op: "replace",
                    type: args.type,
                    name: args.name,
                    changed: d.changed,
                    inputs: news,
                });
            } else if (d.changed.length > 0) {
                this.planned!.push({
                    op: "update",
                    type: args.type,
                    name: args.name,
                    changed: d.changed,
                    inputs: news,
                });
            }
            return { id, state: { ...read, ...news } };
        }
        this.counts.imported++;
        this.record(imported);
        this.operations.push({ op: "import", type: args.type, name: args.name });
        trace(`imported ${key} id=${id.slice(0, 24)}`);
        if (d.replaces.length > 0) {
            throw new Error(replaceMessage());
        }
        if (d.changed.length === 0) {
            return { id, state: read };
        }
        this.counts.updated++;
        const state = await model.update(this.context, imported, news, d);
        const updated: Applied = { ...imported, inputs: news, state };
        this.state.set(key, updated);
        this.operations.push({ op: "update", type: args.type, name: args.name, changed: d.changed });
        trace(`updated ${key} after its import (${d.changed.join(", ")})`);
        return { id, state };
    }

    private async createResource(
        model: Model,
        key: string,
        args: pulumi.runtime.MockResourceArgs,
        news: Record<string, unknown>,
        endpoint: Endpoint | undefined,
        options: RequestOptions,
    ): Promise<Applied> {
        let result: { id: string; state: Record<string, unknown> };
        try {
            result = await model.create(this.context, args.name, news, endpoint);
        } catch (e) {
            if (e instanceof PartialCreateError) {
                // The object exists: Pulumi keeps it (with its id) so a later up or destroy reaches it.
                this.record({
                    key,
                    type: args.type,
                    name: args.name,
                    inputs: news,
                    id: e.id,
                    state: e.state,
                    endpoint,
                    provider: args.provider,
                    options,
                    initError: true,
                });
            }
            throw e;
        }
        const applied: Applied = {
            key,
            type: args.type,
            name: args.name,
            inputs: news,
            id: result.id,
            state: result.state,
            endpoint,
            provider: args.provider,
            options,
        };
        this.record(applied);
        this.operations.push({ op: "create", type: args.type, name: args.name });
        trace(`created ${key} id=${result.id.slice(0, 24)}`);
        return applied;
    }

    private record(a: Applied): void {
        this.state.set(a.key, a);
        this.order = this.order.filter((k) => k !== a.key);
        this.order.push(a.key);
    }

    /**
     * A provider resource holds nothing on a host; its configuration decides where its resources'
     * calls go. A changed configuration updates it in place, keeping its id, so its resources stay
     * where they are (the docker provider's DiffConfig replaces on no key: pulumi-docker
     * provider/resources.go sets no ForcesProviderReplace; pulumi/pulumi providers/registry.go
     * Update keeps the id). With `replaceOnChanges` on a changed key it is replaced under a new id;
     * delete-first, every resource that uses it is deleted first, through it, newest first
     * (step_generator.go calculateDependentReplacements: "If the resource's provider is in the
     * replace set, we must replace this resource"), and is created anew when it registers.
     */
    /**
     * A resource registered under a new name that one of its aliases names in the state is that
     * resource, renamed: it is diffed against it (Same or Update), never created anew, and the old
     * name is not deleted. pulumi/pulumi pkg/resource/deploy/step_generator.go generateSteps: the
     * URN first, then each alias in order; the first old resource found is taken (and recorded as
     * aliased), the other olds an alias also names stay olds, deleted when nothing registers them.
     * Keys here are type::name (parents are not modelled), so only aliases that name another
     * name or type move anything.
     */
    private adoptAlias(key: string, args: pulumi.runtime.MockResourceArgs, options: RequestOptions): void {
        if (this.state.has(key)) {
            return;
        }
        for (const alias of options.aliases ?? []) {
            const name = /(?:^|, )name ([^,]+)/.exec(alias)?.[1];
            const type = /(?:^|, )type ([^,]+)/.exec(alias)?.[1] ?? args.type;
            const old = name || type !== args.type ? `${type}::${name ?? args.name}` : undefined;
            const prior = old !== undefined && old !== key && !this.seen.has(old) ? this.state.get(old) : undefined;
            if (prior) {
                trace(`${key} is ${old}, renamed (alias)`);
                this.state.delete(old!);
                this.state.set(key, { ...prior, key, name: args.name, type: args.type });
                this.order = this.order.map((k) => (k === old ? key : k));
                this.seen.add(old!);
                return;
            }
        }
    }

    private async registerProvider(
        key: string,
        args: pulumi.runtime.MockResourceArgs,
        inputs: Record<string, unknown>,
        options: RequestOptions,
    ): Promise<pulumi.runtime.MockResourceResult> {
        const prior = this.state.get(key);
        let id = prior?.id ?? `provider-${args.name}`;
        if (!prior) {
            this.counts.created++;
        } else {
            const changed = changedKeys(prior.inputs, inputs);
            const replacing = changed.filter((k) =>
                options.replaceOnChanges.some((p) => p === "*" || p === k || p.startsWith(`${k}.`)),
            );
            if (changed.length === 0) {
                this.counts.unchanged++;
            } else if (replacing.length === 0) {
                this.counts.updated++;
                this.operations.push({ op: "update", type: args.type, name: args.name, changed });
            } else {
                this.counts.replaced++;
                if (options.deleteBeforeReplace) {
                    for (const k of [...this.order].reverse()) {
                        const a = this.state.get(k);
                        if (a?.provider && a.provider.endsWith(`::${prior.id}`)) {
                            await this.deleteAhead(a, "provider");
                        }
                    }
                }
                id = `provider-${args.name}-${++this.providerGeneration}`;
                this.operations.push({ op: "delete", type: args.type, name: args.name, changed: replacing });
                this.operations.push({ op: "create", type: args.type, name: args.name });
            }
        }
        if (args.type === "pulumi:providers:docker") {
            this.rememberProvider(args, id);
        }
        const provider: Applied = { key, type: args.type, name: args.name, inputs, id, state: inputs, options };
        if (prior && prior.id === id) {
            // Same or updated in place: it keeps its place in the state, before the resources that
            // use it, so a delete of those comes first (deletes run in the reverse of the old
            // snapshot's order: pulumi/pulumi pkg/resource/deploy/step_generator.go GenerateDeletes).
            this.state.set(key, provider);
        } else {
            this.record(provider);
        }
        return { id, state: inputs };
    }

    private rememberProvider(args: pulumi.runtime.MockResourceArgs, id: string): void {
        const inputs = args.inputs as { host?: string; sshOpts?: string[] | string };
        // Provider configuration travels JSON-encoded when it is not a string.
        const sshOpts =
            typeof inputs.sshOpts === "string" ? (JSON.parse(inputs.sshOpts) as string[]) : (inputs.sshOpts ?? []);
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

    /**
     * Before a resource is deleted to be replaced, the resources whose replace-on-change inputs were
     * computed from it are deleted first, newest first, and created again when they register
     * (pulumi/pulumi step_generator.go calculateDependentReplacements: a dependent is replaced
     * when its diff against the replaced resource's unknown outputs requires it).
     */
    private async deleteDependents(replaced: Applied): Promise<void> {
        const urn = replaced.options.urn;
        if (!urn) {
            return;
        }
        for (const k of [...this.order].reverse()) {
            const a = this.state.get(k);
            const model = a && MODELS[a.type];
            const deps = a?.options.propertyDependencies ?? {};
            if (
                a &&
                model &&
                Object.entries(deps).some(([input, urns]) => urns.includes(urn) && model.forceNew(input))
            ) {
                await this.deleteAhead(a, `(depends on ${replaced.name})`);
            }
        }
    }

    /**
     * Deletes a resource ahead of a replacement it must follow (its dependents first): the first
     * half of its own replacement, whose create comes when it registers.
     */
    private async deleteAhead(a: Applied, why: string): Promise<void> {
        await this.deleteDependents(a);
        await this.remove(a.key, [why]);
        this.counts.replaced++;
        this.deletedAhead.add(a.key);
    }

    /** Deletes a resource through its model, from its stored state. */
    private async remove(key: string, changed?: string[]): Promise<void> {
        const a = this.state.get(key);
        if (!a) {
            return;
        }
        const model = MODELS[a.type];
        if (model) {
            // Deleted through the provider its state names (pulumi/pulumi step.go: DeleteStep.Provider is old.Provider).
            await this.deleteApplied(
                model,
                { ...a, endpoint: a.provider ? this.endpointFor(a.provider) : a.endpoint },
                changed,
            );
        } else {
            this.operations.push({ op: "delete", type: a.type, name: a.name });
        }
        this.state.delete(key);
        this.order = this.order.filter((k) => k !== key);
        trace(`deleted ${key}`);
    }

    private async deleteApplied(model: Model, a: Applied, changed?: string[]): Promise<void> {
        if (a.options.retainOnDelete) {
            // pulumi/pulumi step.go DeleteStep.Apply: with RetainOnDelete the provider's Delete is not called.
            this.operations.push({ op: "delete", type: a.type, name: a.name, changed, retained: true });
            trace(`retained ${a.key} (retainOnDelete): dropped from the state, left on its host`);
            return;
        }
        await model.delete(this.context, a);
        this.operations.push({ op: "delete", type: a.type, name: a.name, changed });
    }

    /** What the provider models use to reach hosts. */
    private readonly context: Context = {
        request: (ep, method, apiPath, body) => this.dockerRequest(ep, method, apiPath, body),
        command: (type, name, inputs, text) => this.runCommand(type, name, inputs, text),
    };

    /**
     * One HTTP request to the Docker Engine API of an endpoint, carried as the real provider carries
     * it: to a unix socket, or over SSH through `docker system dial-stdio` on the host, one `ssh`
     * per pooled connection, kept alive between calls (the Docker client's connection helper,
     * which the provider's client uses for ssh:// hosts). One pool per provider.
     */
    private dockerRequest(
        ep: Endpoint,
        method: string,
        apiPath: string,
        body?: string,
    ): Promise<{ status: number; text: string }> {
        let agent: http.Agent;
        let socketPath: string | undefined;
        if (ep.url.startsWith("unix://")) {
            socketPath = ep.url.slice("unix://".length);
            agent = this.agentFor(`unix ${socketPath}`, () => new http.Agent({ keepAlive: true }));
        } else {
            const m = /^ssh:\/\/(?:([^@]+)@)?([^:/]+)(?::(\d+))?$/.exec(ep.url);
            if (!m) {
                throw new Error(`unsupported Docker endpoint ${ep.url}`);
            }
            assertLabRoute(m[2], this.options.labInterface);
            const argv = [
                "ssh",
                ...baseSshOptions(),
                ...ep.sshOpts,
                "-p",
                m[3] ?? "22",
                `${m[1] ?? "root"}@${m[2]}`,
                "docker",
                "system",
                "dial-stdio",
            ];
            agent = this.agentFor(
                JSON.stringify([ep.connection ?? "default", argv]),
                () => new DialStdioAgent(argv, this.dialers),
            );
        }
        return new Promise((resolve, reject) => {
            const req = http.request(
                {
                    agent,
                    socketPath,
                    host: "docker",
                    method,
                    path: apiPath,
                    headers:
                        body === undefined
                            ? {}
                            : { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) },
                },
                (res) => {
                    let text = "";
                    res.setEncoding("utf8");
                    res.on("data", (d) => (text += d));
                    res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
                    res.on("error", reject);
                },
            );
            req.setTimeout(120000, () =>
                req.destroy(new Error(`Docker API ${method} ${apiPath} on ${ep.url}: no answer in 120 s`)),
            );
            req.on("error", (e) =>
                reject(
                    new Error(
                        `Docker API ${method} ${apiPath} on ${ep.url}: ${e.message}${DialStdioAgent.lastError(agent)}`,
                    ),
                ),
            );
            req.end(body);
        });
    }

    private agentFor(key: string, make: () => http.Agent): http.Agent {
        let agent = this.agents.get(key);
        if (!agent) {
            agent = make();
            this.agents.set(key, agent);
        }
        return agent;
    }

    // ---- Commands -----------------------------------------------------------------------------

    private async runCommand(
        type: string,
        name: string,
        inputs: Record<string, unknown>,
        text: string,
    ): Promise<RunResult> {
        let r: RunResult;
        if (type === "command:local:Command") {
            if (!this.options.localCommandPrefix) {
                throw new Error(
                    `command.local.Command ${name}: this engine has no localCommandPrefix; refusing to change the test runner's own host`,
                );
            }
            const interpreter = (inputs.interpreter as string[] | undefined) ?? ["/bin/sh", "-c"];
            r = await run([...this.options.localCommandPrefix, ...interpreter, text], { timeoutMs: 300000 });
        } else {
            const c = inputs.connection as {
                host: string;
                port?: number;
                user?: string;
                privateKey?: string;
                hostKey?: string;
            };
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
                const onSpawn = this.onRemoteCommand
                    ? (child: ChildProcess) => this.onRemoteCommand?.(name, child)
                    : undefined;
                // pulumi-command writes `stdin` to the session's standard input (remote/command.go).
                r = await run(["ssh", ...opts, `${c.user ?? "root"}@${c.host}`, text], {
                    timeoutMs: 300000,
                    onSpawn,
                    input: (inputs.stdin as string | undefined) ?? "",
                });
            } finally {
                fs.rmSync(keyFile, { force: true });
            }
        }
        if (r.code !== 0) {
            throw new Error(
                `${type} ${name} failed (exit ${r.code}): ${r.stderr.trim()}${r.stdout.trim() ? `\nstdout: ${r.stdout.trim()}` : ""}`,
            );
        }
        return r;
    }
}

/**
 * The provider's diff, then the resource options on top of it, as the Pulumi engine applies them
 * (pulumi/pulumi pkg/resource/deploy/step_generator.go): `ignoreChanges` keeps an input's old
 * value, `replaceOnChanges` turns a change into a replacement.
 */
export function diffWithOptions(
    model: Model,
    prior: Applied,
    news: Record<string, unknown>,
    options: RequestOptions,
): Diff {
    const ignored = (k: string) =>
        options.ignoreChanges.some((p) => p === k || p.startsWith(`${k}.`) || p.startsWith(`${k}[`));
    const replacing = (k: string) =>
        options.replaceOnChanges.some((p) => p === "*" || p === k || p.startsWith(`${k}.`) || p.startsWith(`${k}[`));
    const effective = { ...news };
    for (const k of Object.keys(prior.inputs).concat(Object.keys(news))) {
        if (ignored(k)) {
            effective[k] = prior.state[k] ?? prior.inputs[k];
        }
    }
    const d = model.diff(prior, effective);
    const changed = d.changed.filter((k) => !ignored(k));
    const replaces = changed.filter((k) => d.replaces.includes(k) || replacing(k));
    return { changed, replaces };
}

export { MODELS };

/**
 * An http.Agent whose connections are `ssh <host> docker system dial-stdio` processes: HTTP goes
 * to the host's Docker socket through the process's stdin and stdout, as with the Docker client's
 * ssh connection helper. Kept alive, so sequential calls reuse one connection.
 */
class DialStdioAgent extends http.Agent {
    private static errors = new WeakMap<http.Agent, string>();

    constructor(
        private readonly argv: string[],
        private readonly children: Set<ChildProcess>,
    ) {
        super({ keepAlive: true });
    }

    /** The last ssh error text of an agent's connections, for an error message. */
    static lastError(agent: http.Agent): string {
        const e = DialStdioAgent.errors.get(agent);
        return e ? ` (ssh: ${e})` : "";
    }

    createConnection(): Duplex {
        const child = spawn(this.argv[0], this.argv.slice(1), { stdio: ["pipe", "pipe", "pipe"] });
        this.children.add(child);
        let stderr = "";
        child.stderr.on("data", (d) => {
            stderr += d.toString();
            DialStdioAgent.errors.set(this, stderr.trim().slice(-300));
        });
        child.on("exit", () => this.children.delete(child));
        const socket = Duplex.from({ readable: child.stdout, writable: child.stdin });
        // What http.Agent asks of a socket when it keeps one alive.
        const self = () => socket;
        Object.assign(socket, { setKeepAlive: self, setNoDelay: self, setTimeout: self, ref: self, unref: self });
        socket.on("close", () => child.kill());
        socket.on("error", () => child.kill());
        return socket;
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

function ensureNewline(s: string): string {
    return s.endsWith("\n") ? s : `${s}\n`;
}
