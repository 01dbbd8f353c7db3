// `npm run plan` of a big mesh, in a fresh process: node child.js-style, reports one JSON line.
//   node planChild.js <hosts>
// Writes a stack config with a <hosts>-host RoutedMesh (meshTopology) to a temporary file, then
// does what `npm run plan` does after its build: planStack (read, validate, plan), formatPlan (the
// text), renderSvg and renderMermaid (the pictures). Times each step and the whole from node start.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { performance } from "perf_hooks";
import { formatPlan, planStack } from "../../stacks/plan";
import { renderMermaid, renderSvg } from "../../stacks/picture";
import { report, repoRoot } from "./common";
import { meshTopology } from "./programs";

export interface PlanResult {
    hosts: number;
    /** Node start to here: loading the modules. */
    loadMs: number;
    planMs: number;
    formatMs: number;
    pictureMs: number;
    /** Node start to the pictures written: what a user waits for after the build. */
    totalMs: number;
    lines: number;
    resources: number;
    maxRssMb: number;
}

async function main(): Promise<void> {
    const loadMs = performance.now();
    const hosts = Number(process.argv[2]);
    const t = meshTopology(hosts);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dockernet-planbench-"));
    try {
        const file = path.join(dir, "Pulumi.meshbench.yaml");
        // YAML is a superset of JSON: each value as one JSON line.
        const config = [
            "config:",
            `  dockernet:sshPrivateKeyPath: ${path.join(dir, "id")}`,
            `  dockernet:hosts: ${JSON.stringify(t.hosts)}`,
            `  dockernet:meshes: ${JSON.stringify(t.meshes)}`,
        ];
        fs.writeFileSync(file, `${config.join("\n")}\n`);
        const t0 = performance.now();
        const plan = await planStack({ root: repoRoot(), stack: "meshbench", configFile: file });
        const t1 = performance.now();
        const text = formatPlan(plan);
        const t2 = performance.now();
        fs.writeFileSync(path.join(dir, "plan.svg"), renderSvg(plan));
        fs.writeFileSync(path.join(dir, "plan.mmd"), renderMermaid(plan));
        const t3 = performance.now();
        const result: PlanResult = {
            hosts,
            loadMs,
            planMs: t1 - t0,
            formatMs: t2 - t1,
            pictureMs: t3 - t2,
            totalMs: t3,
            lines: text.split("\n").length,
            resources: plan.resources.length,
            maxRssMb: process.resourceUsage().maxRSS / 1024,
        };
        report(result);
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

main().then(
    () => process.exit(0),
    (e) => {
        console.error(e instanceof Error ? e.stack : e);
        process.exit(1);
    },
);
