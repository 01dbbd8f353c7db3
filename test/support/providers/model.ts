// What the engine asks of a provider model: the four operations a Pulumi resource provider
// implements (create, diff, update, delete), for one resource type. A model states the real
// provider's rules (which inputs replace, which update in place, what is read back) and cites
// where they come from; test/support/PROVIDERS.md lists them in one table.
import { RunResult } from "../exec";

/** A Docker endpoint as the harness reaches it. */
export interface Endpoint {
    url: string;
    sshOpts: string[];
    /** The provider it came from: each provider keeps its own connection, as the real one does. */
    connection?: string;
}

/** A resource as the engine's state keeps it: its last inputs and the outputs the provider returned. */
export interface Applied {
    key: string;
    type: string;
    name: string;
    inputs: Record<string, unknown>;
    id: string;
    state: Record<string, unknown>;
    /** Where its Docker calls go: its provider's endpoint as of its last operation. */
    endpoint?: Endpoint;
    /** Its provider reference (`<urn>::<id>`), as the state keeps it. */
    provider?: string;
    options: RequestOptions;
    /**
     * The create failed after the object existed (a partial create, e.g. a container created but
     * not started). Pulumi keeps such a resource with its id and updates it on the next `up`
     * (pulumi/pulumi pkg/resource/deploy/step_generator.go: a resource with init errors is updated).
     */
    initError?: boolean;
}

/** The resource options the engine honours, as the SDK sends them in RegisterResourceRequest. */
export interface RequestOptions {
    urn?: string;
    parent?: string;
    /** Which other resources (URNs) each input was computed from. */
    propertyDependencies?: Record<string, string[]>;
    /** Undefined when the program did not say; the provider's default then applies. */
    deleteBeforeReplace?: boolean;
    replaceOnChanges: string[];
    ignoreChanges: string[];
    /** The aliases, as test/support/mocks.ts captureRequests writes them (`parent <urn>, name <old name>`). */
    aliases?: string[];
    /** `retainOnDelete`: the provider's Delete is not called; the object stays (pulumi/pulumi step.go DeleteStep.Apply). */
    retainOnDelete?: boolean;
}

/** What a diff found: the changed top-level inputs and, of those, the ones the provider replaces on. */
export interface Diff {
    changed: string[];
    replaces: string[];
}

/** How a model reaches a host: a shell next to a Docker endpoint, and host commands. */
export interface Context {
    /** One Docker Engine API request on the endpoint's daemon; the status and the body's text. */
    request(ep: Endpoint, method: string, path: string, body?: string): Promise<{ status: number; text: string }>;
    /** Runs a command resource's text where it runs (over its `connection`, or locally); throws on a non-zero exit. */
    command(type: string, name: string, inputs: Record<string, unknown>, text: string): Promise<RunResult>;
}

/** Thrown by a create that made the object and then failed: Pulumi keeps the object in state. */
export class PartialCreateError extends Error {
    constructor(
        message: string,
        readonly id: string,
        readonly state: Record<string, unknown>,
    ) {
        super(message);
    }
}

export interface Model {
    /** Applies the provider's input defaults (its Check), so a diff compares like with like. */
    check(inputs: Record<string, unknown>): Record<string, unknown>;
    create(
        ctx: Context,
        name: string,
        inputs: Record<string, unknown>,
        endpoint: Endpoint | undefined,
    ): Promise<{ id: string; state: Record<string, unknown> }>;
    diff(prior: Applied, news: Record<string, unknown>): Diff;
    /** Applies an in-place update; returns the new state. */
    update(ctx: Context, prior: Applied, news: Record<string, unknown>, diff: Diff): Promise<Record<string, unknown>>;
    delete(ctx: Context, prior: Applied): Promise<void>;
    /**
     * The provider's Read of an object by id alone, as an import runs it: the state it would store,
     * or undefined when no object has that id. Models without it cannot be imported.
     */
    read?(ctx: Context, id: string, endpoint: Endpoint | undefined): Promise<Record<string, unknown> | undefined>;
    /** Whether a replacement deletes first when the program does not say. */
    deleteBeforeReplace(inputs: Record<string, unknown>): boolean;
    /** Whether a change to this top-level input replaces the resource. */
    forceNew(key: string): boolean;
}

/** JSON with sorted keys and without empty values, so equal values compare equal. */
export function canonical(value: unknown): string {
    return JSON.stringify(value, (_k, v) => {
        if (v && typeof v === "object" && !Array.isArray(v)) {
            return Object.fromEntries(
                Object.keys(v)
                    .sort()
                    .filter((k) => v[k] !== undefined)
                    .map((k) => [k, v[k]]),
            );
        }
        return v;
    });
}

/** A Terraform set compares without order: its elements, canonical and sorted. */
export function canonicalSet(value: unknown): string {
    return Array.isArray(value) ? JSON.stringify(value.map(canonical).sort()) : canonical(value);
}

/**
 * The top-level inputs whose values differ between `olds` and `news`. `sets` compare without
 * order; a `computed` input the program leaves out keeps the old value (Terraform's
 * Optional+Computed), so it is no change.
 */
export function changedKeys(
    olds: Record<string, unknown>,
    news: Record<string, unknown>,
    rules: { sets?: Set<string>; computed?: Set<string>; ignore?: Set<string> } = {},
): string[] {
    const keys = new Set([...Object.keys(olds), ...Object.keys(news)]);
    const out: string[] = [];
    for (const k of keys) {
        if (rules.ignore?.has(k)) {
            continue;
        }
        if (isEmpty(news[k]) && rules.computed?.has(k)) {
            continue;
        }
        const same = rules.sets?.has(k)
            ? canonicalSet(emptyAsUndefined(olds[k])) === canonicalSet(emptyAsUndefined(news[k]))
            : canonical(emptyAsUndefined(olds[k])) === canonical(emptyAsUndefined(news[k]));
        if (!same) {
            out.push(k);
        }
    }
    return out.sort();
}

function isEmpty(v: unknown): boolean {
    return (
        v === undefined ||
        v === null ||
        (Array.isArray(v) && v.length === 0) ||
        (typeof v === "object" && v !== null && Object.keys(v).length === 0)
    );
}

/**
 * An absent input and the zero value Read stores for it (an empty list, map or string, false, 0)
 * are no change: Terraform's SDKv2 reads an attribute the configuration leaves out through the
 * state's level (helper/schema MultiLevelFieldReader.ReadFieldMerge), so it plans none.
 */
function emptyAsUndefined(v: unknown): unknown {
    return isEmpty(v) || v === "" || v === false || v === 0 ? undefined : v;
}
