// dockernet's plugin (provider/index.ts) driven over Pulumi's provider protocol, with no Pulumi CLI:
// the plugin is started as Pulumi's nodejs language host starts a plugin (the SDK's run-plugin,
// TypeScript compiled by ts-node on the fly) with the address of an engine service this side
// serves (logs, the root resource), prints its port, and is asked for its schema and to construct
// components. For Construct this side also serves the resource monitor: each call is handed to the
// monitor the test engine installed (test/support/engine.ts), which applies the resources for real.
import { ChildProcess, spawn } from "child_process";
import * as path from "path";

/* eslint-disable @typescript-eslint/no-require-imports -- the SDK's generated gRPC stubs, and the grpc-js they were made with */
const sdk = (m: string) =>
    require(require.resolve(m, { paths: [path.dirname(require.resolve("@pulumi/pulumi/package.json"))] }));
const grpc = sdk("@grpc/grpc-js");
const provrpc = require("@pulumi/pulumi/proto/provider_grpc_pb");
const provproto = require("@pulumi/pulumi/proto/provider_pb");
const resrpc = require("@pulumi/pulumi/proto/resource_grpc_pb");
const resproto = require("@pulumi/pulumi/proto/resource_pb");
const enginerpc = require("@pulumi/pulumi/proto/engine_grpc_pb");
const engineproto = require("@pulumi/pulumi/proto/engine_pb");
const rpc = require("@pulumi/pulumi/runtime/rpc");
const settings = require("@pulumi/pulumi/runtime/settings");
const structproto = sdk("google-protobuf/google/protobuf/struct_pb");
const emptyproto = sdk("google-protobuf/google/protobuf/empty_pb");

const ROOT = path.join(__dirname, "..", "..");

/** A value the caller marks secret: sent as Pulumi's engine sends a secret to a provider that takes output values. */
export class Secret {
    constructor(readonly value: unknown) {}
}

/** `value` as the engine marshals component inputs: plain JSON, with each Secret an output value marked secret. */
function marshal(value: unknown): unknown {
    if (value instanceof Secret) {
        return { [rpc.specialSigKey]: rpc.specialOutputValueSig, value: marshal(value.value), secret: true };
    }
    if (Array.isArray(value)) {
        return value.map(marshal);
    }
    if (value && typeof value === "object") {
        return Object.fromEntries(
            Object.entries(value)
                .filter(([, v]) => v !== undefined)
                .map(([k, v]) => [k, marshal(v)]),
        );
    }
    return value;
}

/** Whether a value on the wire is a secret: Pulumi's secret, or an output value marked secret. */
export function isWireSecret(v: unknown): boolean {
    const o = v as Record<string, unknown> | null;
    return (
        !!o &&
        typeof o === "object" &&
        (o[rpc.specialSigKey] === rpc.specialSecretSig ||
            (o[rpc.specialSigKey] === rpc.specialOutputValueSig && o.secret === true))
    );
}

function listen(server: any): Promise<number> {
    return new Promise((resolve, reject) =>
        server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err: Error | null, port: number) =>
            err ? reject(err) : resolve(port),
        ),
    );
}

function unary<T>(client: any, method: string, req: unknown): Promise<T> {
    return new Promise((resolve, reject) =>
        client[method](req, (err: Error | null, res: T) => (err ? reject(err) : resolve(res))),
    );
}

/** One message the plugin logged to the engine. */
export interface PluginLog {
    severity: number;
    message: string;
}

/** A running plugin and the engine service it logs to. */
export class Plugin {
    readonly logs: PluginLog[] = [];
    /** Every RegisterResource the plugin sent to the monitor, as its inputs' wire JSON. */
    readonly registrations: { type: string; name: string; object: unknown }[] = [];
    private child?: ChildProcess;
    private client: any;
    private readonly servers: any[] = [];
    stderr = "";

    /** Starts the plugin as the language host does and waits for the port it prints. */
    async start(timeoutMs = 120000): Promise<void> {
        const engine = new grpc.Server();
        engine.addService(enginerpc.EngineService, {
            log: (call: any, cb: any) => {
                this.logs.push({ severity: call.request.getSeverity(), message: call.request.getMessage() });
                cb(null, new emptyproto.Empty());
            },
            getRootResource: (_call: any, cb: any) => cb(null, new engineproto.GetRootResourceResponse()),
            setRootResource: (_call: any, cb: any) => cb(null, new engineproto.SetRootResourceResponse()),
        });
        const enginePort = await listen(engine);
        this.servers.push(engine);
        const runPlugin = path.join(path.dirname(require.resolve("@pulumi/pulumi/package.json")), "cmd", "run-plugin");
        const child = spawn(process.execPath, [runPlugin, "provider/index.ts", `127.0.0.1:${enginePort}`], {
            cwd: ROOT,
            stdio: ["ignore", "pipe", "pipe"],
        });
        this.child = child;
        child.stderr!.on("data", (d) => (this.stderr += d.toString()));
        const port = await new Promise<number>((resolve, reject) => {
            let out = "";
            const timer = setTimeout(
                () => reject(new Error(`the plugin printed no port in ${timeoutMs} ms; stderr: ${this.stderr}`)),
                timeoutMs,
            );
            child.stdout!.on("data", (d) => {
                out += d.toString();
                const m = /^(\d+)\s*$/m.exec(out);
                if (m) {
                    clearTimeout(timer);
                    resolve(Number(m[1]));
                }
            });
            child.once("exit", (code) => {
                clearTimeout(timer);
                reject(new Error(`the plugin exited (${code}) before printing its port; stderr: ${this.stderr}`));
            });
        });
        this.client = new provrpc.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    }

    /** GetSchema, as `pulumi package add` asks it. */
    async schema(): Promise<any> {
        const req = new provproto.GetSchemaRequest();
        req.setVersion(0);
        const res: any = await unary(this.client, "getSchema", req);
        return JSON.parse(res.getSchema());
    }

    /** Configure, as the engine calls it before any Construct. */
    async configure(): Promise<{ acceptSecrets: boolean; acceptResources: boolean; acceptOutputs: boolean }> {
        const req = new provproto.ConfigureRequest();
        req.setArgs(structproto.Struct.fromJavaScript({}));
        req.setAcceptsecrets(true);
        req.setAcceptresources(true);
        const res: any = await unary(this.client, "configure", req);
        return {
            acceptSecrets: res.getAcceptsecrets(),
            acceptResources: res.getAcceptresources(),
            acceptOutputs: res.getAcceptoutputs(),
        };
    }

    /**
     * Construct, with this side serving the resource monitor: call it inside `Engine.up`, whose
     * monitor then receives every registration. Returns the component's URN and its outputs.
     */
    async construct(
        type: string,
        name: string,
        inputs: Record<string, unknown>,
        project: string,
        stack: string,
    ): Promise<{ urn: string; state: any }> {
        const monitor = settings.getMonitor();
        const forward = (method: string, reply: (r: any) => any) => (call: any, cb: any) =>
            monitor[method](call.request, (err: Error | null, res: any) => (err ? cb(err) : cb(null, reply(res))));
        const server = new grpc.Server();
        server.addService(resrpc.ResourceMonitorService, {
            supportsFeature: forward("supportsFeature", (r) => {
                const res = new resproto.SupportsFeatureResponse();
                res.setHassupport(r.getHassupport());
                return res;
            }),
            registerResource: (call: any, cb: any) => {
                this.registrations.push({
                    type: call.request.getType(),
                    name: call.request.getName(),
                    object: call.request.getObject()?.toJavaScript(),
                });
                monitor.registerResource(call.request, (err: Error | null, res: any) =>
                    err ? cb(err) : cb(null, res),
                );
            },
            registerResourceOutputs: forward("registerResourceOutputs", () => new emptyproto.Empty()),
            readResource: forward("readResource", (r) => r),
            invoke: forward("invoke", (r) => r),
            registerPackage: forward("registerPackage", (r) => r),
        });
        const port = await listen(server);
        this.servers.push(server);
        const req = new provproto.ConstructRequest();
        req.setProject(project);
        req.setStack(stack);
        req.setDryrun(false);
        req.setParallel(8);
        req.setMonitorendpoint(`127.0.0.1:${port}`);
        req.setType(type);
        req.setName(name);
        req.setInputs(structproto.Struct.fromJavaScript(marshal(inputs)));
        req.setAcceptsOutputValues(true);
        const res: any = await unary(this.client, "construct", req);
        return { urn: res.getUrn(), state: rpc.deserializeProperties(res.getState()) };
    }

    /** Stops the plugin (by its own process handle) and the servers this side started. */
    async stop(): Promise<void> {
        this.client?.close();
        if (this.child && this.child.exitCode === null) {
            const exited = new Promise((resolve) => this.child!.once("exit", resolve));
            this.child.kill();
            await exited;
        }
        await Promise.all(this.servers.map((s) => new Promise((resolve) => s.tryShutdown(resolve))));
    }
}
/* eslint-enable @typescript-eslint/no-require-imports */
