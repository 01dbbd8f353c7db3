// Plain recording mocks for unit tests: every registered resource is kept with its inputs, and
// outputs are made up (or left unknown in preview mode).
import * as pulumi from "@pulumi/pulumi";

export interface Registered {
    type: string;
    name: string;
    /** Inputs with secrets unwrapped to their values. */
    inputs: Record<string, any>;
    /** Inputs as the engine received them: secrets are `{ [SECRET_SIG]: ..., value }` wrappers. */
    raw: Record<string, any>;
    provider?: string;
    /** The `import` option's id, when the program gave one. */
    importId?: string;
}

const SECRET_SIG = "4dabf18193072939515e22adb298388d";

/** Replaces every secret wrapper in a value with the value it wraps. */
export function unwrapSecrets(v: any): any {
    if (Array.isArray(v)) {
        return v.map(unwrapSecrets);
    }
    if (v && typeof v === "object") {
        if (v[SECRET_SIG] === "1b47061264138c4ac30d75fd1eb44270") {
            return unwrapSecrets(v.value);
        }
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrapSecrets(x)]));
    }
    return v;
}

/** True when a raw input value (or one nested in it) is a secret wrapper. */
export function containsSecret(v: any): boolean {
    if (Array.isArray(v)) {
        return v.some(containsSecret);
    }
    if (v && typeof v === "object") {
        return v[SECRET_SIG] === "1b47061264138c4ac30d75fd1eb44270" || Object.values(v).some(containsSecret);
    }
    return false;
}

export class Recorder {
    readonly resources: Registered[] = [];
    private next = 1;

    /** Installs the mocks; `preview` makes every output of a resource unknown, as in `pulumi preview`. */
    async install(preview: boolean): Promise<void> {
        await settle(); // what the previous test registered must finish under the previous mocks
        this.resources.length = 0;
        await pulumi.runtime.setMocks(
            {
                newResource: (args) => {
                    this.resources.push({
                        type: args.type,
                        name: args.name,
                        inputs: unwrapSecrets(args.inputs),
                        raw: args.inputs,
                        provider: args.provider,
                        importId: args.id || undefined,
                    });
                    const n = this.next++;
                    const state: Record<string, unknown> = { ...unwrapSecrets(args.inputs) };
                    // In preview, computed outputs (addresses, image ids, stdout) are unknown, as in `pulumi preview`.
                    if (preview) {
                        return { id: undefined, state };
                    }
                    if (args.type === "docker:index/container:Container") {
                        state.networkDatas = [
                            {
                                networkName: args.inputs.networkMode ?? "bridge",
                                ipAddress: `172.17.0.${(n % 250) + 2}`,
                                ipPrefixLength: 16,
                                gateway: "172.17.0.1",
                                macAddress: "02:42:ac:11:00:02",
                            },
                        ];
                    }
                    if (args.type === "docker:index/remoteImage:RemoteImage") {
                        state.imageId = `sha256:${n.toString(16).padStart(64, "0")}`;
                    }
                    if (args.type.startsWith("command:")) {
                        state.stdout = "changed";
                        state.stderr = "";
                    }
                    return { id: preview ? undefined : `${args.name}-id-${n.toString(16).padStart(12, "0")}`, state };
                },
                call: (args) => args.inputs,
            },
            "dockernet",
            "unit",
            preview,
        );
    }

    ofType(type: string): Registered[] {
        return this.resources.filter((r) => r.type === type);
    }

    named(name: string): Registered {
        const r = this.resources.find((x) => x.name === name);
        if (!r) {
            throw new Error(`no resource named ${name}; have ${this.resources.map((x) => x.name).join(", ")}`);
        }
        return r;
    }
}

/** Resolves an output in a test; undefined when it is unknown (preview). */
export async function valueOf<T>(o: pulumi.Output<T>): Promise<T | undefined> {
    const internal = o as unknown as { isKnown: Promise<boolean>; promise(): Promise<T> };
    return (await internal.isKnown) ? internal.promise() : undefined;
}

/** True for a value the engine does not know yet (an input computed from an unknown output). */
export function isUnknown(v: unknown): boolean {
    return (
        v === undefined ||
        (typeof v === "object" && v !== null && (v as Record<string, unknown>).__pulumiUnknown === true) ||
        v === "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
    );
}

/** Lets the SDK finish registering what a program declared. */
export async function settle(): Promise<void> {
    const runtime = pulumi.runtime as unknown as { waitForRPCs?: () => Promise<void> };
    await new Promise((r) => setTimeout(r, 20));
    await runtime.waitForRPCs?.();
}

/** The message of the error `fn` throws; fails the test when it throws none. */
export function messageOf(fn: () => unknown): string {
    try {
        fn();
    } catch (e) {
        return (e as Error).message;
    }
    throw new Error("expected an error, got none");
}

/** The resource options a registration carried, as the SDK sends them to the engine. */
export interface RegistrationOptions {
    /** The resource's URN, as the monitor makes it. */
    urn: string;
    parent?: string;
    /** Which other resources (URNs) each input was computed from. */
    propertyDependencies: Record<string, string[]>;
    /** Every resource (URN) it depends on: dependsOn and the inputs' own. */
    dependencies: string[];
    deleteBeforeReplace?: boolean;
    replaceOnChanges: string[];
    ignoreChanges: string[];
    /** The aliases, readable: `urn <urn>`, or `parent <urn>` / `no parent` (with a name or type when given). */
    aliases?: string[];
    /** `retainOnDelete`: a delete drops it from the state and leaves the object. */
    retainOnDelete?: boolean;
}

/**
 * Calls `onRequest` with the options of every resource registered from now on, keyed
 * "<type>::<name>": the mocks API hands `newResource` only the inputs, while the real engine also
 * gets the parent and the options (deleteBeforeReplace, replaceOnChanges, ignoreChanges). Call it
 * right after `setMocks`, which installs the monitor this wraps.
 */
export function captureRequests(onRequest: (key: string, options: RegistrationOptions) => void): void {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the monitor is not part of the SDK's typed API
    const settings = require("@pulumi/pulumi/runtime/settings") as { getMonitor(): any };
    const monitor = settings.getMonitor();
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: any, callback: unknown) => {
        const deps = req.getPropertydependenciesMap().toArray() as [string, [string[]]][];
        onRequest(`${req.getType()}::${req.getName()}`, {
            urn: monitor.newUrn(req.getParent(), req.getType(), req.getName()),
            parent: req.getParent() || undefined,
            propertyDependencies: Object.fromEntries(deps.map(([k, v]) => [k, v[0] ?? []])),
            dependencies: req.getDependenciesList(),
            deleteBeforeReplace: req.getDeletebeforereplacedefined() ? req.getDeletebeforereplace() : undefined,
            retainOnDelete: req.hasRetainondelete?.() ? req.getRetainondelete() : undefined,
            replaceOnChanges: req.getReplaceonchangesList(),
            ignoreChanges: req.getIgnorechangesList(),
            aliases: req.getAliasesList().map((a: any) => {
                if (!a.hasSpec()) {
                    return `urn ${a.getUrn()}`;
                }
                const spec = a.getSpec();
                const where = spec.getNoparent()
                    ? "no parent"
                    : spec.getParenturn()
                      ? `parent ${spec.getParenturn()}`
                      : "same parent";
                return [where, spec.getName() && `name ${spec.getName()}`, spec.getType() && `type ${spec.getType()}`]
                    .filter(Boolean)
                    .join(", ");
            }),
        });
        return register(req, callback);
    };
}

/**
 * A Recorder installed before each test (not in preview), with every registration's options
 * captured by key `<type>::<name>`: the preamble of the tests that look at resource options.
 */
export function recordingWithOptions(): { rec: Recorder; options: Map<string, RegistrationOptions> } {
    const rec = new Recorder();
    const options = new Map<string, RegistrationOptions>();
    beforeEach(async () => {
        await rec.install(false);
        options.clear();
        captureRequests((k, o) => options.set(k, o));
    });
    afterEach(settle);
    return { rec, options };
}
