// One measurement in a fresh process, under pulumi.runtime.setMocks with a trivial newResource:
//   node child.js overhead <raw|dockernet|raw-host|dockernet-host> <containers>
//   node child.js scaling <hosts>
//   node child.js mesh|mesh-bare|mesh-pairs <hosts>   (a RoutedMesh; bare: no containers; pairs: the same mesh as pairs)
// Reports one JSON line: evaluation time (declare + wait for every registration), peak RSS, counts.
// Every case loads the same modules, so the figures compare declarations, not module loading.
import * as Module from "module";
import { performance } from "perf_hooks";
import * as pulumi from "@pulumi/pulumi";
import { report } from "./common";
import {
    deployRouted,
    deploySpec,
    dockernetContainers,
    fakeSshHost,
    meshAsPairsTopology,
    meshTopology,
    rawContainers,
    sharedProviderHost,
} from "./programs";

// Programs here declare hosts that do not exist: never look at them for drift (components/host/observe.ts).
process.env.DOCKERNET_OBSERVE = "off";

export interface ChildResult {
    kind: string;
    size: number;
    /** Node start to this module's first line: loading @pulumi/pulumi, @pulumi/docker, dockernet. */
    loadMs: number;
    /** The program's synchronous part (constructors). */
    declareMs: number;
    /** From the end of the program until the SDK has no registration in flight. */
    settleMs: number;
    /** declareMs + settleMs. */
    evalMs: number;
    /** CPU time (user + system, all threads incl. GC) spent during evalMs: steadier than wall time on a busy machine. */
    evalCpuMs: number;
    maxRssMb: number;
    heapUsedMb: number;
    cpuUserMs: number;
    cpuSystemMs: number;
    resources: number;
    custom: number;
    byType: { [type: string]: number };
}

async function main(): Promise<void> {
    const loadMs = performance.now();
    if (process.env.BENCH_SOURCE_MAPS === "1") {
        // As @pulumi/pulumi/cmd/run/index.js does for every program under `pulumi up`.
        Module.createRequire(require.resolve("@pulumi/pulumi/package.json"))("source-map-support/register");
    }
    const [measure, ...rest] = process.argv.slice(2);
    const variant = measure === "overhead" ? rest[0] : measure.startsWith("mesh") ? measure : "routed";
    const size = Number(measure === "overhead" ? rest[1] : rest[0]);
    if (!Number.isInteger(size) || size <= 0) {
        throw new Error(
            `usage: child.js overhead <case> <containers> | scaling <hosts> (got ${process.argv.slice(2).join(" ")})`,
        );
    }
    const byType: { [type: string]: number } = {};
    let resources = 0;
    let custom = 0;
    await pulumi.runtime.setMocks(
        {
            newResource: (args) => {
                resources++;
                if (args.custom !== false) {
                    custom++;
                }
                byType[args.type] = (byType[args.type] ?? 0) + 1;
                return { id: `${args.name}_id`, state: args.inputs };
            },
            call: (args) => args.inputs,
        },
        "dockernet",
        "bench",
        false,
    );

    const program = pick(measure, variant, size);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    program();
    const t1 = performance.now();
    await settle(() => resources);
    const t2 = performance.now();
    const cpu = process.cpuUsage(cpu0);
    const ru = process.resourceUsage();
    const result: ChildResult = {
        kind: variant,
        size,
        loadMs,
        declareMs: t1 - t0,
        settleMs: t2 - t1,
        evalMs: t2 - t0,
        evalCpuMs: (cpu.user + cpu.system) / 1000,
        maxRssMb: ru.maxRSS / 1024,
        heapUsedMb: process.memoryUsage().heapUsed / 2 ** 20,
        cpuUserMs: ru.userCPUTime / 1000,
        cpuSystemMs: ru.systemCPUTime / 1000,
        resources,
        custom,
        byType,
    };
    report(result);
}

function pick(measure: string, variant: string, n: number): () => void {
    if (measure === "scaling") {
        return () => deployRouted(n);
    }
    if (measure === "mesh" || measure === "mesh-bare") {
        return () => deploySpec(meshTopology(n, measure === "mesh-bare"));
    }
    if (measure === "mesh-pairs") {
        return () => deploySpec(meshAsPairsTopology(n));
    }
    if (measure !== "overhead") {
        throw new Error(`unknown measurement ${measure}`);
    }
    switch (variant) {
        case "raw":
            return () => rawContainers(n);
        case "dockernet":
            return () => dockernetContainers(n);
        case "raw-host":
            return () => rawContainers(n, fakeSshHost("h1"));
        case "dockernet-noinputs":
            // The SDK's own switch: component args are not sent to the engine (what super(type, name, {}, opts) does).
            process.env.PULUMI_NODEJS_SKIP_COMPONENT_INPUTS = "1";
            return () => dockernetContainers(n);
        case "dockernet-host":
            // One provider for the host, shared by every component (host.dockerProvider), as deployTopology does.
            return () => dockernetContainers(n, sharedProviderHost(fakeSshHost("h1")));
        case "dockernet-host-own":
            // Every component makes its own provider from `host` (no dockerProvider given).
            return () => dockernetContainers(n, fakeSshHost("h1"));
        default:
            throw new Error(`unknown overhead case ${variant}`);
    }
}

/** Waits until the SDK has no RPC in flight and no registration arrived meanwhile (test/support/mocks.ts settle(), looped). */
export async function settle(count: () => number): Promise<void> {
    const runtime = pulumi.runtime as unknown as { waitForRPCs: () => Promise<void> };
    for (;;) {
        const before = count();
        await runtime.waitForRPCs();
        await new Promise((r) => setImmediate(r));
        if (count() === before) {
            await runtime.waitForRPCs();
            if (count() === before) {
                return;
            }
        }
    }
}

main().then(
    () => process.exit(0),
    (e) => {
        console.error(e instanceof Error ? e.stack : e);
        process.exit(1);
    },
);
