// The compiled stack commands (bin/stacks/cli.js), run as `npm run up` runs them, with a PATH
// that has no `pulumi`: up, preview and destroy stop with install instructions and a non-zero
// exit; plan works; and with a stand-in `pulumi` on PATH the commands reach it as documented.
// The project is compiled into a temporary copy, so this never writes the project's bin/ or out/.
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const ROOT = path.join(__dirname, "..", "..");
let copy: string;
let emptyBin: string;

beforeAll(() => {
    copy = fs.mkdtempSync(path.join(os.tmpdir(), "dockernet-cli-"));
    for (const entry of ["Pulumi.yaml", "package.json", "components", "stacks", "node_modules"]) {
        fs.symlinkSync(path.join(ROOT, entry), path.join(copy, entry));
    }
    execFileSync(
        process.execPath,
        [
            require.resolve("typescript/bin/tsc"),
            "-p",
            path.join(ROOT, "tsconfig.build.json"),
            "--outDir",
            path.join(copy, "bin"),
        ],
        { stdio: "pipe" },
    );
    emptyBin = fs.mkdtempSync(path.join(os.tmpdir(), "dockernet-path-"));
}, 120000);

afterAll(() => {
    fs.rmSync(copy, { recursive: true, force: true });
    fs.rmSync(emptyBin, { recursive: true, force: true });
});

/** Runs the compiled CLI with the given PATH; no shell, node by its absolute path. */
function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
    const r = spawnSync(process.execPath, [path.join(copy, "bin", "stacks", "cli.js"), ...args], {
        cwd: copy,
        encoding: "utf8",
        env: { HOME: emptyBin, PATH: emptyBin, ...env },
        timeout: 60000,
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe.each(["up", "preview", "destroy"])("%s without a pulumi CLI", (command) => {
    test("there is really no pulumi on the PATH the command gets", () => {
        expect(spawnSync("/bin/sh", ["-c", "command -v pulumi"], { env: { PATH: emptyBin } }).status).not.toBe(0);
    });

    test("stops with install instructions and exit 127, touching nothing", () => {
        const r = cli([command, "--stack", "lab"], { npm_lifecycle_event: command });
        expect(r.code).toBe(127);
        expect(r.stdout).toBe("");
        expect(r.stderr).toContain(
            `dockernet: \`npm run ${command}\` needs the Pulumi CLI, and there is no \`pulumi\` on PATH.`,
        );
        expect(r.stderr).toContain("https://www.pulumi.com/docs/install/");
        expect(r.stderr).toContain("curl -fsSL https://get.pulumi.com | sh");
        expect(r.stderr).toContain("npm run plan -- --stack <name>");
        expect(fs.existsSync(path.join(copy, ".pulumi-state"))).toBe(false);
    });
});

describe("the commands with a stand-in pulumi on PATH", () => {
    let fakeBin: string;
    let log: string;
    beforeAll(() => {
        fakeBin = fs.mkdtempSync(path.join(os.tmpdir(), "dockernet-fake-pulumi-"));
        log = path.join(fakeBin, "calls.log");
        // Records its arguments, working directory and the environment the CLI gave it.
        fs.writeFileSync(
            path.join(fakeBin, "pulumi"),
            `#!/bin/sh\nprintf '%s|%s|%s|%s\\n' "$*" "$PWD" "$PULUMI_BACKEND_URL" "\${PULUMI_CONFIG_PASSPHRASE-unset}" >> '${log}'\nexit "\${FAKE_PULUMI_EXIT:-0}"\n`,
            { mode: 0o755 },
        );
    });
    afterAll(() => fs.rmSync(fakeBin, { recursive: true, force: true }));
    beforeEach(() => fs.rmSync(log, { force: true }));

    const calls = () =>
        fs
            .readFileSync(log, "utf8")
            .trim()
            .split("\n")
            .map((l) => l.split("|"));

    test("up: selects (creating) the stack, then runs pulumi up on the project's local file backend", () => {
        const r = cli(["up", "--stack", "lab", "--yes"], { PATH: fakeBin });
        expect(r.code).toBe(0);
        const state = path.join(copy, ".pulumi-state");
        expect(calls()).toEqual([
            ["stack select --create lab", copy, `file://${state}`, ""],
            ["up --stack lab --yes", copy, `file://${state}`, ""],
        ]);
        expect(fs.readFileSync(path.join(state, ".gitignore"), "utf8")).toBe("*\n");
        expect(r.stderr).toContain("using an empty passphrase for the local backend");
    });

    test("a backend and passphrase of the user's own are left alone; extra options reach pulumi", () => {
        const r = cli(["preview", "--stack=dev", "--diff"], {
            PATH: fakeBin,
            PULUMI_BACKEND_URL: "file:///somewhere/else",
            PULUMI_CONFIG_PASSPHRASE: "s3cret",
        });
        expect(r.code).toBe(0);
        expect(calls()).toEqual([
            ["stack select --create dev", copy, "file:///somewhere/else", "s3cret"],
            ["preview --stack dev --diff", copy, "file:///somewhere/else", "s3cret"],
        ]);
        expect(r.stderr).not.toContain("empty passphrase");
    });

    test("pulumi's failure is the command's failure", () => {
        expect(cli(["destroy"], { PATH: fakeBin, FAKE_PULUMI_EXIT: "3" }).code).toBe(3);
    });

    test("an unknown stack stops before pulumi runs", () => {
        const r = cli(["up", "--stack", "nope"], { PATH: fakeBin });
        expect(r.code).toBe(2);
        expect(r.stderr).toContain(
            'stack "nope" has no stacks/Pulumi.nope.yaml; stacks here: dev, lab, lab-mesh, lab-swarm, prod',
        );
        expect(fs.existsSync(log)).toBe(false);
    });
});

describe("plan without a pulumi CLI", () => {
    test("prints the dev plan and writes the SVG and Mermaid pictures", () => {
        const out = fs.mkdtempSync(path.join(os.tmpdir(), "dockernet-out-"));
        const r = cli(["plan", "--stack", "dev", "--out-dir", out]);
        expect(r.stderr).toBe("");
        expect(r.code).toBe(0);
        expect(r.stdout).toContain("dockernet plan: stack dev (Pulumi.dev.yaml), worked out offline");
        expect(r.stdout).toContain("host local  (unix:///var/run/docker.sock)");
        expect(r.stdout).toContain(`pictures: ${path.join(out, "plan-dev.svg")}, ${path.join(out, "plan-dev.mmd")}\n`);
        expect(fs.readFileSync(path.join(out, "plan-dev.svg"), "utf8")).toContain("<svg ");
        expect(fs.readFileSync(path.join(out, "plan-dev.mmd"), "utf8")).toMatch(/^flowchart LR\n/);
        fs.rmSync(out, { recursive: true, force: true });
    }, 60000);

    test("a stack config of the wrong type fails with the key named and exit 1", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dockernet-bad-"));
        fs.writeFileSync(path.join(dir, "bad.yaml"), "config:\n  dockernet:hosts: local\n");
        const r = cli(["plan", "--stack", "bad", "--config-file", path.join(dir, "bad.yaml"), "--out-dir", dir]);
        expect(r.code).toBe(1);
        expect(r.stderr).toContain(
            'Invalid stack configuration "bad":\n - config dockernet:hosts must be a list (YAML sequence), got "local"',
        );
        expect(fs.existsSync(path.join(dir, "plan-bad.svg"))).toBe(false);
        fs.rmSync(dir, { recursive: true, force: true });
    }, 60000);

    test("wrong usage: exit 2 with the usage text", () => {
        const r = cli(["plan", "--stack"], { npm_lifecycle_event: "plan" });
        expect(r.code).toBe(2);
        expect(r.stderr).toContain("--stack needs a value");
        expect(r.stderr).toContain("usage: npm run <command> -- [--stack NAME]");
        expect(cli(["apply"]).stderr).toContain('unknown command "apply"');
        expect(cli(["plan", "--yes"]).stderr).toContain('plan does not take "--yes"');
    });
});

describe("the commands in the words of how they were called, with no raw error", () => {
    test("called as dockernet (npx, the installed bin): usage and hints say dockernet, not npm run", () => {
        const r = cli(["plan", "--stack"]);
        expect(r.code).toBe(2);
        expect(r.stderr).toContain("usage: dockernet <command> [--stack NAME] [options]");
        expect(r.stderr).not.toContain("npm run");
        const up = cli(["up", "--stack", "lab"]);
        expect(up.stderr).toContain("dockernet: `dockernet up` needs the Pulumi CLI");
        expect(up.stderr).toContain("dockernet plan --stack <name>");
    });

    test("--help anywhere before -- prints the usage and exits 0", () => {
        for (const args of [
            ["--help"],
            ["help"],
            ["plan", "--help"],
            ["plan", "--stack", "dev", "--help"],
            ["check", "-h"],
        ]) {
            const r = cli(args, { npm_lifecycle_event: "plan" });
            expect({
                args,
                code: r.code,
                usage: r.stdout.startsWith("usage: npm run <command>"),
                err: r.stderr,
            }).toEqual({ args, code: 0, usage: true, err: "" });
        }
    });

    test("outside a Pulumi project: one line saying where to run it, exit 2", () => {
        const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), "dockernet-noproject-"));
        const cliCopy = path.join(elsewhere, "cli");
        // The compiled commands alone, as an installed package's bin is, with no Pulumi.yaml above either.
        fs.cpSync(path.join(copy, "bin"), path.join(cliCopy, "bin"), { recursive: true });
        fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(cliCopy, "node_modules"));
        const r = spawnSync(
            process.execPath,
            [path.join(cliCopy, "bin", "stacks", "cli.js"), "plan", "--stack", "dev"],
            {
                cwd: elsewhere,
                encoding: "utf8",
                env: { HOME: emptyBin, PATH: emptyBin },
            },
        );
        expect({ code: r.status, stderr: r.stderr }).toEqual({
            code: 2,
            stderr: `dockernet: no Pulumi.yaml in ${elsewhere} or above it; run dockernet plan in a Pulumi project's directory (Pulumi.yaml, with the stack's config in Pulumi.dev.yaml)\n`,
        });
        fs.rmSync(elsewhere, { recursive: true, force: true });
    }, 60000);

    test("--out-dir where no directory can be: exit 1 naming it, no stack trace", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dockernet-outfile-"));
        fs.writeFileSync(path.join(dir, "afile"), "");
        const r = cli(["plan", "--stack", "dev", "--out-dir", path.join(dir, "afile", "sub")]);
        expect(r.code).toBe(1);
        expect(r.stderr).toBe(
            `dockernet plan: the pictures cannot be written to ${path.join(dir, "afile", "sub")} (ENOTDIR); give --out-dir a directory you can write, or leave it out (out/)\n`,
        );
        expect(r.stderr).not.toMatch(/\n\s+at /);
        fs.rmSync(dir, { recursive: true, force: true });
    }, 60000);
});
