// How long the stack program (index.ts) takes from `node` start to every resource registered,
// by how its TypeScript becomes JavaScript:
//   node runtimeChild.js compiled <index.js>      tsc output ahead of time (Pulumi.yaml `main: bin/`)
//   node runtimeChild.js compiled-tshook <index.js>  the same, with ts-node registered as
//        `typescript: true` does (Pulumi registers it whatever `main` is)
//   node runtimeChild.js ts-node <index.ts>       what `pulumi up` does here: runtime nodejs,
//        typescript: true -> @pulumi/pulumi's vendored ts-node 7.0.1 with the project's typescript,
//        type-checking (tsconfig has no noCheck); TS_NODE_CACHE_DIRECTORY picks cold or warm cache
//   node runtimeChild.js ts-node-transpile <index.ts>   the same with PULUMI_NODEJS_TRANSPILE_ONLY=true
//   node runtimeChild.js swc <index.ts>           a require hook around @swc/core (jest's transform here)
// Like Pulumi's runner, every mode registers source-map-support first. Mocks are trivial; the
// stack's config comes from PULUMI_CONFIG (set by the parent).
// Nothing is imported at the top: loading is part of what is measured.
import * as fs from "fs";
import * as Module from "module";
import * as path from "path";
import { performance } from "perf_hooks";
import { report } from "./common";

// Programs here declare hosts that do not exist: never look at them for drift (components/host/observe.ts).
process.env.DOCKERNET_OBSERVE = "off";

export interface RuntimeResult {
    mode: string;
    /** Node start to this file's first line. */
    bootMs: number;
    /** Setting up the TypeScript hook (loading typescript / ts-node / swc). */
    hookMs: number;
    /** Loading @pulumi/pulumi and installing the mocks. */
    sdkMs: number;
    /** require(program): compiling (if any), loading dockernet and declaring the resources. */
    programMs: number;
    /** Until every registration is done. */
    settleMs: number;
    /** Node start to settled. */
    totalMs: number;
    /** CPU time of the whole process (user + system, all threads) until settled: steadier on a busy machine. */
    cpuMs: number;
    maxRssMb: number;
    resources: number;
}

async function main(): Promise<void> {
    const bootMs = performance.now();
    const [mode, program] = process.argv.slice(2);
    if (!mode || !program) {
        throw new Error("usage: runtimeChild.js <compiled|ts-node|ts-node-transpile|swc> <program>");
    }
    // @pulumi/pulumi/cmd/run/index.js registers source-map-support before it loads any program.
    Module.createRequire(require.resolve("@pulumi/pulumi/package.json"))("source-map-support/register");
    const t0 = performance.now();
    await installHook(mode);
    const t1 = performance.now();
    const pulumi = await import("@pulumi/pulumi");
    let resources = 0;
    await pulumi.runtime.setMocks(
        {
            newResource: (args) => {
                resources++;
                return { id: `${args.name}_id`, state: args.inputs };
            },
            call: (args) => args.inputs,
        },
        "dockernet",
        process.env.BENCH_STACK ?? "dev",
        false,
    );
    const t2 = performance.now();
    await import(path.resolve(program));
    const t3 = performance.now();
    const runtime = pulumi.runtime as unknown as { waitForRPCs: () => Promise<void> };
    for (let before = -1; before !== resources;) {
        before = resources;
        await runtime.waitForRPCs();
        await new Promise((r) => setImmediate(r));
    }
    const t4 = performance.now();
    const result: RuntimeResult = {
        mode,
        bootMs,
        hookMs: t1 - t0,
        sdkMs: t2 - t1,
        programMs: t3 - t2,
        settleMs: t4 - t3,
        totalMs: t4,
        cpuMs: (process.cpuUsage().user + process.cpuUsage().system) / 1000,
        maxRssMb: process.resourceUsage().maxRSS / 1024,
        resources,
    };
    report(result);
}

async function installHook(mode: string): Promise<void> {
    switch (mode) {
        case "compiled":
            return;
        case "ts-node":
        case "ts-node-transpile":
            return registerTsNodeLikePulumi(mode === "ts-node-transpile");
        case "compiled-tshook":
            // Pulumi registers ts-node whenever `typescript: true`, even when `main` points at JS.
            return registerTsNodeLikePulumi(false);
        case "swc":
            return registerSwc();
        default:
            throw new Error(`unknown mode ${mode}`);
    }
}

/** What @pulumi/pulumi/cmd/run/run.js does for `runtime: { name: nodejs, options: { typescript: true } }` (CommonJS project). */
async function registerTsNodeLikePulumi(transpileOnly: boolean): Promise<void> {
    const req = Module.createRequire(path.join(process.cwd(), "package.json"));
    const pulumiDir = path.dirname(req.resolve("@pulumi/pulumi/package.json"));
    let tsnodeRequire = "ts-node";
    try {
        req.resolve("ts-node");
    } catch {
        tsnodeRequire = path.join(pulumiDir, "vendor", "ts-node@7.0.1");
    }
    const typescriptRequire = req.resolve("typescript");
    const ts = req(typescriptRequire) as {
        version: string;
        parseConfigFileTextToJson(p: string, t: string): { config?: { compilerOptions?: object } };
    };
    const tsconfig = "tsconfig.json";
    const compilerOptions =
        ts.parseConfigFileTextToJson(tsconfig, fs.readFileSync(tsconfig, "utf8")).config?.compilerOptions ?? {};
    const [major, minor] = ts.version.split(".").map(Number);
    const useNodeNext = major > 4 || (major === 4 && minor >= 7);
    const tsn = req(tsnodeRequire) as { register(o: object): void };
    tsn.register({
        compiler: typescriptRequire,
        transpileOnly: transpileOnly ? true : (compilerOptions as { noCheck?: boolean }).noCheck,
        project: tsconfig,
        skipProject: false,
        compilerOptions: {
            target: "ES2020",
            module: useNodeNext ? "nodenext" : "commonjs",
            moduleResolution: useNodeNext ? "nodenext" : "node",
            sourceMap: "true",
            ...compilerOptions,
        },
    });
}

/** A minimal require hook: each .ts file through @swc/core's transformSync (the options jest.config.js uses). */
async function registerSwc(): Promise<void> {
    const swc = await import("@swc/core");
    const extensions = (Module as unknown as { _extensions: { [ext: string]: (m: unknown, filename: string) => void } })
        ._extensions;
    extensions[".ts"] = (m, filename) => {
        const out = swc.transformSync(fs.readFileSync(filename, "utf8"), {
            filename,
            jsc: { parser: { syntax: "typescript" }, target: "es2022" },
            module: { type: "commonjs" },
            sourceMaps: "inline",
        });
        (m as { _compile(code: string, filename: string): void })._compile(out.code, filename);
    };
}

main().then(
    () => process.exit(0),
    (e) => {
        console.error(e instanceof Error ? e.stack : e);
        process.exit(1);
    },
);
