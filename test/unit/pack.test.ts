// The package as a user gets it: `npm pack` (which builds first: prepack), installed into a scratch
// project next to the project's own @pulumi/pulumi (a peer dependency: one copy of the SDK), then
// the README's embedding example compiled against it with tsc and run under Pulumi's mocks, and
// `npx dockernet plan` run in that project. The install prefers npm's cache (what `npm ci` fetched
// for this repository) and asks the npm registry only for what is not there (package metadata).
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const ROOT = path.join(__dirname, "..", "..");

function run(cmd: string, args: string[], cwd: string, timeoutMs = 240000): string {
    const r = spawnSync(cmd, args, {
        cwd,
        encoding: "utf8",
        timeout: timeoutMs,
        env: {
            ...process.env,
            npm_config_fund: "false",
            npm_config_audit: "false",
            npm_config_update_notifier: "false",
        },
    });
    if (r.status !== 0) {
        throw new Error(
            `${cmd} ${args.join(" ")} (in ${cwd}) exited ${r.status}${r.signal ? ` (${r.signal})` : ""}:\n${r.stdout}\n${r.stderr}`,
        );
    }
    return r.stdout;
}

/** The first ```ts block after a README heading. */
function readmeExample(heading: string): string {
    const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
    const at = readme.indexOf(`\n${heading}\n`);
    expect(at).toBeGreaterThan(0);
    const m = /```ts\n([\s\S]*?)```/.exec(readme.slice(at));
    expect(m).not.toBeNull();
    return m![1];
}

describe("the packed package in a scratch project", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dockernet-pack-"));
    let tarball = "";
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    test("npm pack builds first and ships the JavaScript, the host scripts, the schema and LICENSE, and no sources or tests", () => {
        const out = JSON.parse(run("npm", ["pack", "--json", "--pack-destination", dir], ROOT)) as {
            filename: string;
            files: { path: string }[];
        }[];
        tarball = path.join(dir, out[0].filename);
        const files = out[0].files.map((f) => f.path);
        for (const f of [
            "bin/components/index.js",
            "bin/components/index.d.ts",
            "bin/stacks/cli.js",
            "components/host/scripts/bip.sh",
            "components/host/scripts/lib/common.sh",
            "stacks/dockernet.schema.json",
            "LICENSE",
            "README.md",
            "package.json",
        ]) {
            expect({ f, shipped: files.includes(f) }).toEqual({ f, shipped: true });
        }
        expect(files.filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))).toEqual([]);
        expect(files.filter((f) => f.startsWith("test/"))).toEqual([]);
    }, 240000);

    test("installed beside the project's own SDK, the README's embedding example compiles and registers its resources", () => {
        const project = path.join(dir, "consumer");
        fs.mkdirSync(project);
        const sdk = JSON.parse(
            fs.readFileSync(path.join(ROOT, "node_modules", "@pulumi", "pulumi", "package.json"), "utf8"),
        ).version;
        const docker = JSON.parse(
            fs.readFileSync(path.join(ROOT, "node_modules", "@pulumi", "docker", "package.json"), "utf8"),
        ).version;
        fs.writeFileSync(
            path.join(project, "package.json"),
            JSON.stringify(
                {
                    name: "consumer",
                    private: true,
                    dependencies: { "@pulumi/pulumi": sdk, "@pulumi/docker": docker, dockernet: `file:${tarball}` },
                },
                null,
                2,
            ),
        );
        run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts"], project, 300000);
        // One copy of the SDK: dockernet's peer dependency is the project's own.
        expect(
            fs.existsSync(path.join(project, "node_modules", "dockernet", "node_modules", "@pulumi", "pulumi")),
        ).toBe(false);

        fs.writeFileSync(path.join(project, "index.ts"), readmeExample("## Embedding"));
        fs.writeFileSync(
            path.join(project, "tsconfig.json"),
            JSON.stringify({
                compilerOptions: {
                    target: "ES2022",
                    module: "commonjs",
                    strict: true,
                    esModuleInterop: true,
                    skipLibCheck: true,
                    outDir: "out",
                    types: [],
                },
                include: ["index.ts"],
            }),
        );
        run(process.execPath, [path.join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", "."], project);
        // Run it as `pulumi up` would load it, with mocks in place of the engine.
        fs.writeFileSync(
            path.join(project, "run.js"),
            [
                'const pulumi = require("@pulumi/pulumi");',
                "const seen = [];",
                'pulumi.runtime.setMocks({ newResource: (a) => { seen.push(`${a.type} ${a.name}`); return { id: `${a.name}-id`, state: a.inputs }; }, call: (a) => a.inputs }, "consumer", "dev", false).then(async () => {',
                '    require("./out/index.js");',
                "    for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 25));",
                "    console.log(JSON.stringify(seen.sort()));",
                "});",
            ].join("\n"),
        );
        const seen = JSON.parse(run(process.execPath, ["run.js"], project).trim().split("\n").pop()!) as string[];
        expect(seen).toEqual(
            expect.arrayContaining([
                "dockernet:index:CustomBridgeNetwork payments",
                "docker:index/network:Network payments-network",
                "dockernet:index:LinkedContainerPair payments-api",
                "docker:index/container:Container payments-api-target",
                "docker:index/container:Container payments-api-consumer",
            ]),
        );
    }, 400000);

    test("npx dockernet plan works in the user's project, reading its own stack file", () => {
        const project = path.join(dir, "consumer");
        fs.writeFileSync(path.join(project, "Pulumi.yaml"), "name: consumer\nruntime: nodejs\n");
        fs.writeFileSync(
            path.join(project, "Pulumi.dev.yaml"),
            'config:\n  dockernet:hosts:\n    - { name: local, local: {} }\n  dockernet:bridges:\n    - { name: appnet, host: local, subnet: "172.19.0.0/16" }\n',
        );
        const out = run(
            path.join(project, "node_modules", ".bin", "dockernet"),
            ["plan", "--stack", "dev", "--out-dir", path.join(dir, "pictures")],
            project,
        );
        expect(out).toContain("dockernet plan: stack dev (Pulumi.dev.yaml), worked out offline");
        expect(out).toContain("appnet                 bridge br-appnet  subnet 172.19.0.0/16  gateway 172.19.0.1");
        expect(fs.existsSync(path.join(dir, "pictures", "plan-dev.svg"))).toBe(true);
    }, 120000);
});
