#!/usr/bin/env node
// `npm run plan|preview|up|destroy -- --stack <name>`: the stack commands of this project.
// plan works offline with no Pulumi CLI; the others run the Pulumi CLI on a local file backend
// inside the project (unless PULUMI_BACKEND_URL says otherwise), and stop with install
// instructions when there is no `pulumi` on PATH.
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

export const USAGE = `usage: npm run <command> -- [--stack NAME] [options]        (NAME defaults to dev)
  plan      what up would do, host by host, worked out offline (no Pulumi CLI, nothing contacted);
            writes out/plan-NAME.svg and out/plan-NAME.mmd (and .png when rsvg-convert is installed)
              --full              print the whole host-script command texts
              --config-file FILE  a stack config file other than stacks/Pulumi.NAME.yaml
              --out-dir DIR       where the pictures go (default: out/)
              --look              then look at the hosts (read-only, over SSH): what adopt: true
                                  takes over, what is created, what blocks adoption; exit 1 if blocked
  check     the live hosts against the plan: bip, docker0, routes, firewall chains, containers'
            networks and aliases, and the stack's checks run again; one table; exit 1 on drift.
            Changes nothing unless --repair (converge what drifted through the same scripts).
              --repair            --config-file FILE
  preview   pulumi preview --stack NAME
  up        pulumi up --stack NAME          (asks before changing anything; --yes skips the question)
  destroy   pulumi destroy --stack NAME     (asks before deleting anything; --yes skips the question)
            other options after -- go to pulumi as they are, e.g. --diff, --refresh, --config-file FILE
  Backend: file://<project>/.pulumi-state unless PULUMI_BACKEND_URL is set.`;

/**
 * How the user called the commands, so every message says it their way: `npm run plan -- ...` in
 * this project (npm names the script it runs), or `dockernet plan ...` (npx, or the installed bin).
 */
export type Invocation = "npm" | "bin";
export function invocation(env: NodeJS.ProcessEnv = process.env): Invocation {
    return ["plan", "check", "preview", "up", "destroy"].includes(env.npm_lifecycle_event ?? "") ? "npm" : "bin";
}

/** `command` and its arguments as the user would type them. */
export function typed(how: Invocation, command: string, args = ""): string {
    return how === "npm"
        ? `npm run ${command}${args ? ` -- ${args}` : ""}`
        : `dockernet ${command}${args ? ` ${args}` : ""}`;
}

/** The usage text, in the words of how the commands were called. */
export function usage(how: Invocation): string {
    return how === "npm"
        ? USAGE
        : USAGE.replace(
              "usage: npm run <command> -- [--stack NAME] [options]        (NAME defaults to dev)",
              "usage: dockernet <command> [--stack NAME] [options]        (NAME defaults to dev)",
          ).replace("            other options after -- go to pulumi", "            other options go to pulumi");
}

export const INSTALL_HINT = (command: string, how: Invocation = "npm") =>
    [
        `dockernet: \`${typed(how, command)}\` needs the Pulumi CLI, and there is no \`pulumi\` on PATH.`,
        `  Install it: https://www.pulumi.com/docs/install/ , for example`,
        `      curl -fsSL https://get.pulumi.com | sh`,
        `  then open a new shell (the installer adds ~/.pulumi/bin to PATH) and run it again.`,
        `  Without Pulumi you can still see what ${command} would do: ${typed(how, "plan", "--stack <name>")}`,
    ].join("\n");

/** Exit codes: 0 done, 1 failed, 2 wrong usage, 127 no pulumi CLI. */
export const EXIT = { ok: 0, failed: 1, usage: 2, noPulumi: 127 } as const;

export interface Parsed {
    command: string;
    stack: string;
    full: boolean;
    /** check: converge what drifted. */
    repair?: boolean;
    /** plan: look at the hosts for adoption. */
    look?: boolean;
    configFile?: string;
    outDir?: string;
    /** Arguments passed on to pulumi as they are. */
    passThrough: string[];
}

/** Parses the command line; throws UsageError with a message for the user. */
export function parseArgs(argv: string[]): Parsed {
    const [command, ...rest] = argv;
    if (!command || !["plan", "check", "preview", "up", "destroy"].includes(command)) {
        throw new UsageError(command ? `unknown command ${JSON.stringify(command)}` : "no command given");
    }
    const out: Parsed = { command, stack: "dev", full: false, passThrough: [] };
    for (let i = 0; i < rest.length; i++) {
        const arg = rest[i];
        const [flag, inline] =
            arg.startsWith("--") && arg.includes("=")
                ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)]
                : [arg, undefined];
        const value = () => {
            const v = inline ?? rest[++i];
            if (v === undefined || v === "") {
                throw new UsageError(`${flag} needs a value`);
            }
            return v;
        };
        if (flag === "--stack" || flag === "-s") {
            out.stack = value();
        } else if (flag === "--full" && command === "plan") {
            out.full = true;
        } else if (flag === "--repair" && command === "check") {
            out.repair = true;
        } else if (flag === "--look" && command === "plan") {
            out.look = true;
        } else if (flag === "--config-file" && (command === "plan" || command === "check")) {
            out.configFile = value();
        } else if (flag === "--out-dir" && command === "plan") {
            out.outDir = value();
        } else if (flag === "--") {
            out.passThrough.push(...rest.slice(i + 1));
            break;
        } else if (command === "plan" || command === "check") {
            throw new UsageError(`${command} does not take ${JSON.stringify(arg)}`);
        } else {
            out.passThrough.push(arg);
        }
    }
    if (!/^[A-Za-z0-9_.-]+$/.test(out.stack)) {
        throw new UsageError(
            `stack name ${JSON.stringify(out.stack)} is not valid; use letters, digits, '-', '_' and '.'`,
        );
    }
    return out;
}

export class UsageError extends Error {}

/** The first executable `name` on a PATH string, or undefined. */
export function findOnPath(name: string, pathVar = process.env.PATH ?? ""): string | undefined {
    for (const dir of pathVar.split(path.delimiter).filter(Boolean)) {
        const candidate = path.join(dir, name);
        try {
            if (fs.statSync(candidate).isFile()) {
                fs.accessSync(candidate, fs.constants.X_OK);
                return candidate;
            }
        } catch {
            // not here
        }
    }
    return undefined;
}

/** The project directory: the nearest parent of `from` holding Pulumi.yaml. */
export function projectRoot(from = __dirname): string {
    let dir = path.resolve(from);
    while (!fs.existsSync(path.join(dir, "Pulumi.yaml"))) {
        const up = path.dirname(dir);
        if (up === dir) {
            throw new Error(`no Pulumi.yaml above ${from}`);
        }
        dir = up;
    }
    return dir;
}

/** Runs one command; resolves to the process exit code. Output goes to the given streams. */
export async function main(
    argv: string[],
    io: { out: NodeJS.WritableStream; err: NodeJS.WritableStream } = { out: process.stdout, err: process.stderr },
    how: Invocation = invocation(),
): Promise<number> {
    // Asked for help anywhere before a `--` (what follows it is pulumi's): the usage on stdout, success.
    const ours = argv.includes("--") ? argv.slice(0, argv.indexOf("--")) : argv;
    if (argv[0] === "help" || ours.some((a) => a === "--help" || a === "-h")) {
        io.out.write(`${usage(how)}\n`);
        return EXIT.ok;
    }
    let args: Parsed;
    try {
        args = parseArgs(argv);
    } catch (e) {
        if (e instanceof UsageError) {
            io.err.write(`dockernet: ${e.message}\n${usage(how)}\n`);
            return EXIT.usage;
        }
        throw e;
    }
    // The project whose stacks these are: the one the command runs in (an installed `npx dockernet`
    // plans its user's project), else the one this file belongs to.
    const root = (() => {
        for (const from of [process.cwd(), __dirname]) {
            try {
                return projectRoot(from);
            } catch {
                // not in a Pulumi project from there
            }
        }
        return undefined;
    })();
    if (root === undefined) {
        io.err.write(
            `dockernet: no Pulumi.yaml in ${process.cwd()} or above it; run ${typed(how, args.command)} in a Pulumi project's directory (Pulumi.yaml, with the stack's config in Pulumi.${args.stack}.yaml)\n`,
        );
        return EXIT.usage;
    }
    if (args.command === "plan") {
        return plan(root, args, io);
    }
    if (args.command === "check") {
        return check(root, args, io);
    }
    return runPulumi(root, args, io, how);
}

async function plan(
    root: string,
    args: Parsed,
    io: { out: NodeJS.WritableStream; err: NodeJS.WritableStream },
): Promise<number> {
    // Loaded here, so the pulumi commands never load the SDK or the program.
    const { PlanError, formatPlan, planStack } = await import("./plan");
    const { renderMermaid, renderSvg } = await import("./picture");
    try {
        const result = await planStack({ root, stack: args.stack, configFile: args.configFile });
        io.out.write(formatPlan(result, args.full));
        const outDir = path.resolve(args.outDir ?? path.join(root, "out"));
        const svg = path.join(outDir, `plan-${args.stack}.svg`);
        const mmd = path.join(outDir, `plan-${args.stack}.mmd`);
        try {
            fs.mkdirSync(outDir, { recursive: true });
            fs.writeFileSync(svg, renderSvg(result));
            fs.writeFileSync(mmd, renderMermaid(result));
        } catch (e) {
            const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
            io.err.write(
                `dockernet plan: the pictures cannot be written to ${outDir} (${code}); give --out-dir a directory you can write, or leave it out (out/)\n`,
            );
            return EXIT.failed;
        }
        const written = [svg, mmd];
        const rsvg = findOnPath("rsvg-convert");
        if (rsvg) {
            const png = path.join(outDir, `plan-${args.stack}.png`);
            if (spawnSync(rsvg, ["-o", png, svg], { stdio: "ignore" }).status === 0) {
                written.push(png);
            }
        }
        io.out.write(`\npictures: ${written.map(shortPath).join(", ")}\n`);
        if (args.look) {
            io.err.write(`dockernet plan: looking at ${result.hosts.length} host(s) over SSH, read-only...\n`);
            const { formatAdoption, lookAdoption } = await import("./adoption");
            const rows = await lookAdoption(result, { root, stack: args.stack, configFile: args.configFile });
            io.out.write(formatAdoption(rows));
            return rows.some((r) => r.verdict === "blocks" || r.verdict === "error") ? EXIT.failed : EXIT.ok;
        }
        return EXIT.ok;
    } catch (e) {
        if (e instanceof PlanError) {
            io.err.write(`dockernet plan: ${e.message}\n`);
            return EXIT.failed;
        }
        throw e;
    }
}

async function check(
    root: string,
    args: Parsed,
    io: { out: NodeJS.WritableStream; err: NodeJS.WritableStream },
): Promise<number> {
    const { PlanError } = await import("./plan");
    const { checkStack, formatCheck } = await import("./check");
    io.err.write(
        `dockernet check: looking at the stack's hosts over SSH${args.repair ? " (and repairing what drifted)" : ", read-only"}...\n`,
    );
    try {
        const { rows } = await checkStack({
            root,
            stack: args.stack,
            configFile: args.configFile,
            repair: args.repair,
        });
        io.out.write(formatCheck(args.stack, rows));
        return rows.some((r) => r.verdict === "drift" || r.verdict === "error") ? EXIT.failed : EXIT.ok;
    } catch (e) {
        if (e instanceof PlanError) {
            io.err.write(`dockernet check: ${e.message}\n`);
            return EXIT.failed;
        }
        throw e;
    }
}

async function runPulumi(
    root: string,
    args: Parsed,
    io: { out: NodeJS.WritableStream; err: NodeJS.WritableStream },
    how: Invocation,
): Promise<number> {
    const configDir = path.join(
        root,
        /^stackConfigDir:\s*(\S+)/m.exec(fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8"))?.[1] ?? ".",
    );
    const givenConfig = args.passThrough.some((a) => a === "--config-file" || a.startsWith("--config-file="));
    if (!givenConfig && !fs.existsSync(path.join(configDir, `Pulumi.${args.stack}.yaml`))) {
        const known = fs
            .readdirSync(configDir)
            .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
            .filter((s): s is string => !!s)
            .sort();
        io.err.write(
            `dockernet: stack ${JSON.stringify(args.stack)} has no ${path.join(path.relative(root, configDir), `Pulumi.${args.stack}.yaml`)}; stacks here: ${known.join(", ")}\n`,
        );
        return EXIT.usage;
    }
    const pulumi = findOnPath("pulumi");
    if (!pulumi) {
        io.err.write(`${INSTALL_HINT(args.command, how)}\n`);
        const home = process.env.HOME ? path.join(process.env.HOME, ".pulumi", "bin", "pulumi") : undefined;
        if (home && fs.existsSync(home)) {
            io.err.write(
                `  (${home} exists: it is installed but not on PATH; export PATH="$HOME/.pulumi/bin:$PATH")\n`,
            );
        }
        return EXIT.noPulumi;
    }
    const env: NodeJS.ProcessEnv = { ...process.env };
    if (!env.PULUMI_BACKEND_URL) {
        const state = path.join(root, ".pulumi-state");
        fs.mkdirSync(state, { recursive: true });
        // The state is per machine and may hold encrypted secrets: never commit it.
        fs.writeFileSync(path.join(state, ".gitignore"), "*\n");
        env.PULUMI_BACKEND_URL = `file://${state}`;
        if (env.PULUMI_CONFIG_PASSPHRASE === undefined && env.PULUMI_CONFIG_PASSPHRASE_FILE === undefined) {
            env.PULUMI_CONFIG_PASSPHRASE = "";
            io.err.write(
                "dockernet: PULUMI_CONFIG_PASSPHRASE is unset: using an empty passphrase for the local backend (set it to protect the stack's secrets)\n",
            );
        }
    }
    io.err.write(`dockernet: stack ${args.stack}, backend ${env.PULUMI_BACKEND_URL}\n`);
    const select = await run(pulumi, ["stack", "select", "--create", args.stack], root, env);
    if (select !== 0) {
        io.err.write(`dockernet: \`pulumi stack select --create ${args.stack}\` failed (exit ${select})\n`);
        return select;
    }
    return run(pulumi, [args.command, "--stack", args.stack, ...args.passThrough], root, env);
}

/** A path relative to the working directory when it lies below it, else absolute. */
function shortPath(file: string): string {
    const rel = path.relative(process.cwd(), file);
    return rel && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel : file;
}

/** Runs pulumi in the foreground; Ctrl-C goes to pulumi, which cancels cleanly, not to us. */
function run(file: string, argv: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<number> {
    return new Promise((resolve) => {
        const ignore = () => undefined;
        process.on("SIGINT", ignore);
        const child = spawn(file, argv, { cwd, env, stdio: "inherit" });
        child.on("error", (e) => {
            process.off("SIGINT", ignore);
            process.stderr.write(`dockernet: could not run ${file}: ${e.message}\n`);
            resolve(EXIT.failed);
        });
        child.on("close", (code, signal) => {
            process.off("SIGINT", ignore);
            resolve(code ?? (signal ? 128 + 2 : EXIT.failed));
        });
    });
}

if (require.main === module) {
    // `npm run plan | head`: the reader went away; stop quietly, as other command-line tools do.
    process.stdout.on("error", (e: NodeJS.ErrnoException) => {
        if (e.code === "EPIPE") {
            process.exit(0);
        }
        throw e;
    });
    main(process.argv.slice(2)).then(
        (code) => (process.exitCode = code),
        (e) => {
            // What nobody foresaw: its message, not a stack trace (DOCKERNET_DEBUG=1 shows the trace).
            const text =
                e instanceof Error
                    ? process.env.DOCKERNET_DEBUG === "1"
                        ? (e.stack ?? e.message)
                        : e.message
                    : String(e);
            process.stderr.write(`dockernet: ${text}\n`);
            process.exitCode = EXIT.failed;
        },
    );
}
