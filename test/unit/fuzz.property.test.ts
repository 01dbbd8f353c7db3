// Fuzzing every string that reaches a host script. Each generated value, a mix of valid-looking
// values and hostile fragments spliced into them (shell metacharacters, quotes, newlines, NUL,
// globs, unicode, very long runs), is either rejected by validation, or provably inert: the host
// script's argument list holds only what that script accepts for the position, and the command
// text that travels to the host (scriptCommand) splits back, by POSIX rules, into exactly those
// arguments. A sample also goes through real shells (dash, bash) in the exact transport form.
import { spawnSync } from "child_process";
import fc from "fast-check";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    ConnectivityCheck,
    ConnectivityCheckArgs,
    CrossHostRoutedPair,
    CrossHostRoutedPairArgs,
    CustomBridgeNetwork,
    CustomBridgeNetworkArgs,
    HostArgs,
    ValidationError,
    planCrossHostRoutedPair,
    planCustomBridgeNetwork,
    validateConnectivityCheck,
} from "../../components";
import { bipArgs, routesTag } from "../../components/crossHostRoutedPair";
import { firewallArgs } from "../../components/host/firewall";
import { scriptCommand, scriptText } from "../../components/host/scripts";
import { Recorder, settle } from "../support/mocks";
import { record } from "../support/summary";

type Script = "bip" | "routes" | "firewall" | "probe";
const MARK = "DOCKERNET_SCRIPT_EOF";
const SEED = Number(process.env.DOCKERNET_FUZZ_SEED ?? 20250101);
const RUNS = Number(process.env.DOCKERNET_FUZZ_RUNS ?? 1200);

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "dockernet-fuzz-"));
const CANARY = path.join(scratch, "canary");
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

const counts = { cases: 0, rejected: 0, inert: 0, shell: 0 };
const byProperty: string[] = [];
/** Accepted argument lists kept for the real-shell round trip (at most `SAMPLE_PER` per property). */
const sample: { script: Script; args: string[] }[] = [];
const SAMPLE_PER = 40;
/** Raw (unvalidated) strings kept for the real-shell round trip of the transport alone. */
const rawSample: string[] = [];
afterAll(() => {
    record({ fuzzCases: counts.cases, fuzzRejected: counts.rejected, fuzzInert: counts.inert });
    console.log(
        `fuzz: ${counts.cases} generated cases: ${counts.rejected} rejected by validation, ${counts.inert} accepted and proven inert; ` +
            `${counts.shell} argument lists round-tripped through real shells\n${byProperty.join("\n")}`,
    );
});

// ------------------------------------------------------------------------------------------------
// Generators

const FRAGMENTS = [
    ";",
    "$(",
    ")",
    "`",
    "'",
    '"',
    "\n",
    "\u0000",
    "|",
    "&",
    ">",
    "<",
    " ",
    "*",
    "?",
    "~",
    "{",
    "}",
    "\\",
    "$IFS",
    "${IFS}",
    "'\\''",
    "\r",
    "\t",
    "#",
    "!",
    "[",
    "]",
    "=",
    ",",
    "/",
    "-",
    "--",
    "+",
    ".",
    "..",
    "%",
    "é",
    "\uff1b",
    "\u202e",
    "\u00a0",
    "\ud83d\ude00",
    MARK,
    `\n${MARK}\n`,
    `$(touch ${CANARY})`,
    `;touch ${CANARY}`,
    `\`touch ${CANARY}\``,
    `' ; touch ${CANARY} ; '`,
    `\ntouch ${CANARY}\n`,
];
const EDGE = ["", " ", "-", "--", ".", "..", "+", "0", "-j", "--chain=DN-X", "-oProxyCommand", "lo", "docker0", "eth+"];

/** A valid-looking value with hostile fragments spliced in, or raw/long/edge strings. */
function hostile(valid: fc.Arbitrary<string>): fc.Arbitrary<string> {
    const fragment = fc.constantFrom(...FRAGMENTS);
    const spliced = fc
        .tuple(valid, fc.array(fc.tuple(fragment, fc.nat()), { minLength: 1, maxLength: 3 }))
        .map(([v, inserts]) =>
            inserts.reduce((s, [f, at]) => s.slice(0, at % (s.length + 1)) + f + s.slice(at % (s.length + 1)), v),
        );
    const long = fc
        .tuple(valid, fc.integer({ min: 100, max: 4000 }), fragment)
        .map(([v, n, f]) => v + f.repeat(Math.ceil(n / f.length)));
    return fc.oneof(
        { weight: 6, arbitrary: valid },
        { weight: 5, arbitrary: spliced },
        { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
        { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom(..."0123456789./:-"), maxLength: 24 }) },
        { weight: 1, arbitrary: long },
        { weight: 1, arbitrary: fc.constantFrom(...EDGE) },
    );
}

const octet = fc.oneof(
    { weight: 8, arbitrary: fc.integer({ min: 0, max: 255 }).map(String) },
    { weight: 1, arbitrary: fc.constantFrom("256", "010", "00", "1e2") },
);
const ipv4 = fc.tuple(octet, octet, octet, octet).map((o) => o.join("."));
const prefixText = fc.oneof(
    { weight: 8, arbitrary: fc.integer({ min: 0, max: 33 }).map(String) },
    { weight: 1, arbitrary: fc.constantFrom("08", "", "16 ", "-1") },
);
/** Private-looking bips (most pass validation), plus anything IPv4-shaped. */
const bipLike = fc.oneof(
    fc
        .tuple(
            fc.constantFrom(10, 172, 192),
            fc.integer({ min: 0, max: 255 }),
            fc.integer({ min: 0, max: 255 }),
            fc.integer({ min: 0, max: 255 }),
            fc.integer({ min: 8, max: 30 }),
        )
        .map(
            ([a, b, c, d, p]) =>
                `${a}.${a === 172 ? 20 + (b % 12) : a === 192 ? 168 : b}.${a === 192 ? 200 + (c % 50) : c}.${d}/${p}`,
        ),
    fc.tuple(ipv4, prefixText).map(([a, p]) => `${a}/${p}`),
);
const lanLike = fc.oneof(
    fc
        .tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 16, max: 30 }))
        .map(([d, p]) => `192.168.100.${d}/${p}`),
    fc.tuple(ipv4, prefixText).map(([a, p]) => `${a}/${p}`),
);
const ifnameLike = fc.stringMatching(/^[a-z][a-z0-9_.-]{0,16}$/);
const containerLike = fc.stringMatching(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,24}$/);
const addressLike = fc.oneof(ipv4, fc.stringMatching(/^[a-z][a-z0-9.-]{0,20}$/));
const commandLike = fc.oneof(
    fc.constantFrom("systemctl restart docker", "service docker restart", "/usr/local/bin/docker-restart --now"),
    fc.stringMatching(/^[a-z][a-z0-9 _./:=,@%+-]{0,40}$/),
);
const nameLike = fc.stringMatching(/^[a-zA-Z0-9][a-zA-Z0-9_. -]{0,20}$/);
const hostNameLike = fc.stringMatching(/^[a-z][a-z0-9-]{0,22}$/);

// ------------------------------------------------------------------------------------------------
// What each host script accepts, position by position (a TypeScript reading of the scripts' own
// argument checks: components/host/scripts/*.sh). An argument list that passes is one the script
// takes as given; the real scripts are exercised with hostile arguments in test/live/fuzz.test.ts.

const PRINTABLE = /^[\x20-\x7e]*$/;

const accepts = {
    ipv4(s: string): boolean {
        if (!/^[0-9.]+$/.test(s) || s.startsWith(".") || s.endsWith(".") || s.includes("..")) {
            return false;
        }
        const o = s.split(".");
        return o.length === 4 && o.every((x) => /^(0|[1-9][0-9]{0,2})$/.test(x) && Number(x) <= 255);
    },
    cidr(s: string, mode: "net" | "host"): boolean {
        if (!s.includes("/")) {
            return false;
        }
        const addr = s.slice(0, s.lastIndexOf("/"));
        const len = s.slice(s.indexOf("/") + 1);
        if (!accepts.ipv4(addr) || !/^([0-9]|[1-2][0-9]|3[0-2])$/.test(len)) {
            return false;
        }
        const n = Number(len);
        const value = addr.split(".").reduce((a, x) => a * 256 + Number(x), 0);
        const host = value % 2 ** (32 - n);
        return mode === "net" ? n >= 1 && host === 0 : n >= 1 && n <= 30 && host !== 0 && host !== 2 ** (32 - n) - 1;
    },
    path: (s: string) => /^\/[A-Za-z0-9_./-]*$/.test(s) && !/\/\.\.?(\/|$)/.test(s) && s.length <= 1024,
    cmd: (s: string) => /^[A-Za-z0-9 _./:=,@%+{}-]+$/.test(s) && s.length <= 1024,
    seconds: (s: string) => /^[1-9][0-9]{0,5}$/.test(s) && Number(s) <= 3600,
    iface: (s: string) =>
        s === "-" || (/^[A-Za-z0-9_.-]{1,15}$/.test(s) && s !== "." && s !== ".." && !s.startsWith("-")),
    fwCidr: (s: string) =>
        s === "-" || s === "0.0.0.0/0" || (s.includes("/") ? accepts.cidr(s, "net") : accepts.ipv4(s)),
};

/** Splits `--opt=value` / `--opt value` / positionals the way the scripts' argument loops do. */
function options(
    args: string[],
    takesValue: string[],
    positional: (a: string) => boolean,
    option: (opt: string, val: string) => boolean,
): boolean {
    for (let i = 0; i < args.length; i++) {
        const a = args[i];
        if (a.startsWith("--") && a.includes("=")) {
            if (!option(a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1))) {
                return false;
            }
        } else if (takesValue.includes(a)) {
            if (i + 1 >= args.length || !option(a, args[++i])) {
                return false;
            }
        } else if (a.startsWith("-") || !positional(a)) {
            return false;
        }
    }
    return true;
}

const scriptAccepts: Record<Script, (args: string[]) => boolean> = {
    bip(args) {
        if (!["create", "delete", "check"].includes(args[0])) {
            return false;
        }
        const bips: string[] = [];
        const ok = options(
            args.slice(1),
            [
                "--daemon-json",
                "--restart-cmd",
                "--log-cmd",
                "--docker-check-cmd",
                "--unit-cmd",
                "--state-dir",
                "--lock",
                "--lock-wait",
                "--timeout",
                "--docker-pid-file",
            ],
            (a) => bips.push(a) === 1,
            (opt, val) =>
                ["--restart-cmd", "--log-cmd", "--docker-check-cmd", "--unit-cmd"].includes(opt)
                    ? accepts.cmd(val)
                    : ["--daemon-json", "--state-dir", "--lock", "--docker-pid-file"].includes(opt)
                      ? accepts.path(val)
                      : ["--lock-wait", "--timeout"].includes(opt) && accepts.seconds(val),
        );
        return ok && bips.length === 1 && accepts.cidr(bips[0], "host");
    },
    routes(args) {
        if (!["create", "delete", "check"].includes(args[0])) {
            return false;
        }
        const dests: string[] = [];
        const ok = options(
            args.slice(1),
            ["--tag", "--proto", "--state-dir", "--lock", "--lock-wait"],
            (pair) => {
                const parts = pair.split("=");
                if (parts.length !== 2 || parts[0] === "" || parts[1] === "") {
                    return false;
                }
                dests.push(parts[0]);
                return accepts.cidr(parts[0], "net") && accepts.ipv4(parts[1]);
            },
            (opt, val) =>
                opt === "--tag"
                    ? /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}$/.test(val)
                    : opt === "--proto"
                      ? /^[1-9][0-9]{0,5}$/.test(val) && Number(val) >= 5 && Number(val) <= 255
                      : opt === "--lock-wait"
                        ? accepts.seconds(val)
                        : (opt === "--state-dir" || opt === "--lock") && accepts.path(val),
        );
        return ok && new Set(dests).size === dests.length;
    },
    firewall(args) {
        if (!["create", "delete", "check"].includes(args[0])) {
            return false;
        }
        let chain = "";
        const rules: string[] = [];
        const ok = options(
            args.slice(1),
            ["--chain", "--state-dir", "--lock", "--lock-wait"],
            (rule) => /^[A-Za-z0-9_./,-]*$/.test(rule) && rules.push(rule) > 0,
            (opt, val) => {
                if (opt === "--chain") {
                    chain = val;
                    return /^DN-[A-Z0-9-]{1,20}$/.test(val);
                }
                return opt === "--lock-wait"
                    ? accepts.seconds(val)
                    : (opt === "--state-dir" || opt === "--lock") && accepts.path(val);
            },
        );
        return (
            ok &&
            chain !== "" &&
            rules.every((rule) => {
                const [kind, ...fields] = rule.split(",");
                if (kind === "accept") {
                    return (
                        fields.length === 4 &&
                        accepts.iface(fields[0]) &&
                        accepts.iface(fields[1]) &&
                        accepts.fwCidr(fields[2]) &&
                        accepts.fwCidr(fields[3])
                    );
                }
                return (
                    kind === "nat-return" &&
                    fields.length === 2 &&
                    accepts.fwCidr(fields[0]) &&
                    accepts.fwCidr(fields[1])
                );
            })
        );
    },
    probe(args) {
        const [container, target, port, expect, attempts] = args;
        return (
            args.length === 5 &&
            /^[a-zA-Z0-9_.][a-zA-Z0-9_.-]*$/.test(container) &&
            /^[a-zA-Z0-9.][a-zA-Z0-9.-]*$/.test(target) &&
            (port === "-" || /^[0-9]+$/.test(port)) &&
            ["reachable", "isolated"].includes(expect) &&
            /^[0-9]+$/.test(attempts)
        );
    },
};

// ------------------------------------------------------------------------------------------------
// The transport, read back by POSIX shell rules

type Token = { word: string } | { op: string };

/**
 * Splits shell text into words and operators by the POSIX token rules, refusing anything that a
 * shell would expand or treat as a command of its own (unquoted `$`, backticks, globs, `~`,
 * comments, `;&|()`, expansions inside double quotes): what comes back is literal text only.
 */
function splitPosix(src: string): Token[] {
    const out: Token[] = [];
    let word: string | undefined;
    let quoted = false;
    const flush = () => {
        if (word !== undefined) {
            out.push({ word });
        }
        word = undefined;
        quoted = false;
    };
    let i = 0;
    while (i < src.length) {
        const c = src[i];
        if (c === " " || c === "\t") {
            flush();
            i++;
        } else if (c === "\n") {
            flush();
            out.push({ op: "\n" });
            i++;
        } else if (c === "'") {
            const end = src.indexOf("'", i + 1);
            if (end < 0) {
                throw new Error(`unterminated single quote at ${i}`);
            }
            word = (word ?? "") + src.slice(i + 1, end);
            quoted = true;
            i = end + 1;
        } else if (c === "\\") {
            if (i + 1 >= src.length) {
                throw new Error("backslash at the end of the text");
            }
            if (src[i + 1] !== "\n") {
                word = (word ?? "") + src[i + 1];
                quoted = true;
            }
            i += 2;
        } else if (c === '"') {
            let j = i + 1;
            let text = "";
            for (; j < src.length && src[j] !== '"'; j++) {
                if (src[j] === "$" || src[j] === "`") {
                    throw new Error(`expansion inside double quotes at ${j}`);
                }
                if (src[j] === "\\" && j + 1 < src.length && '$`"\\\n'.includes(src[j + 1])) {
                    j++;
                    if (src[j] === "\n") {
                        continue;
                    }
                }
                text += src[j];
            }
            if (j >= src.length) {
                throw new Error(`unterminated double quote at ${i}`);
            }
            word = (word ?? "") + text;
            quoted = true;
            i = j + 1;
        } else if (c === "$" || c === "`") {
            throw new Error(`unquoted expansion ${JSON.stringify(c)} at ${i}`);
        } else if ("*?[".includes(c)) {
            throw new Error(`unquoted glob ${JSON.stringify(c)} at ${i}`);
        } else if ((c === "~" || c === "#") && word === undefined) {
            throw new Error(`unquoted ${JSON.stringify(c)} at the start of a word at ${i}`);
        } else if (";&|()".includes(c)) {
            throw new Error(`control operator ${JSON.stringify(c)} at ${i}`);
        } else if (c === "<" || c === ">") {
            if (word !== undefined && !quoted && /^[0-9]+$/.test(word)) {
                throw new Error(`file descriptor redirection at ${i}`);
            }
            flush();
            const two = src.slice(i, i + 2);
            const op = ["<<", ">>", "<&", ">&", "<>", ">|"].includes(two) ? two : c;
            out.push({ op });
            i += op.length;
        } else {
            word = (word ?? "") + c;
            i++;
        }
    }
    flush();
    return out;
}

/** The exact prefix of every host-script command: the script as a quoted here-document in DN_SCRIPT_TEXT, then `sh -c` of it. */
function transportHead(script: Script, body = scriptText(script)): string {
    return `DN_SCRIPT_TEXT="$(cat <<'${MARK}'\n${body}${body.endsWith("\n") ? "" : "\n"}${MARK}\n)"\nexport DN_SCRIPT_TEXT\nsh -c "$DN_SCRIPT_TEXT" `;
}

/** Reads a scriptCommand text back into its arguments, or throws saying why it is not inert. */
function transportArgs(command: string, script: Script): string[] {
    const head = transportHead(script);
    if (!command.startsWith(head)) {
        throw new Error("the command does not start with the script as a quoted here-document");
    }
    const tokens = splitPosix(command.slice(head.length));
    const words = tokens.map((t) => ("word" in t ? t.word : undefined));
    const ops = tokens.map((t) => ("op" in t ? t.op : undefined));
    const n = tokens.length;
    const shape =
        n >= 4 &&
        words[0] === `${script}.sh` &&
        words.slice(1, n - 3).every((w) => w !== undefined) &&
        ops[n - 3] === "<" &&
        words[n - 2] === "/dev/null" &&
        ops[n - 1] === "\n";
    if (!shape) {
        throw new Error(`unexpected shape after the here-document: ${JSON.stringify(tokens.slice(0, 8))}`);
    }
    return words.slice(1, n - 3) as string[];
}

/** Asserts one host-script call is inert; keeps a sample for the real shells. */
function proveInert(script: Script, args: string[], origin: string, kept: { n: number }): void {
    const bad = args.find((a) => !PRINTABLE.test(a));
    if (bad !== undefined) {
        throw new Error(`${origin}: ${script}.sh would get a control or non-ASCII character: ${JSON.stringify(bad)}`);
    }
    if (!scriptAccepts[script](args)) {
        throw new Error(
            `${origin}: validation passed but ${script}.sh would refuse ${JSON.stringify(args)} (a deploy-time failure)`,
        );
    }
    const back = transportArgs(scriptCommand(script, args), script);
    if (JSON.stringify(back) !== JSON.stringify(args)) {
        throw new Error(`${origin}: ${JSON.stringify(args)} travels as ${JSON.stringify(back)}`);
    }
    if (kept.n < SAMPLE_PER) {
        kept.n++;
        sample.push({ script, args });
    }
}

// ------------------------------------------------------------------------------------------------
// The plans, and every host-script call they lead to

const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA-fuzz-key\n-----END OPENSSH PRIVATE KEY-----\n";
const host = (name: string, address: string, over: Partial<HostArgs> = {}): HostArgs => ({
    name,
    ssh: { address, privateKey: KEY },
    ...over,
});
const pairArgs = (): CrossHostRoutedPairArgs => ({
    hostA: { host: host("h1", "192.168.100.200"), lanAddress: "192.168.100.200/24", bip: "172.17.0.1/16" },
    hostB: { host: host("h2", "192.168.100.201"), lanAddress: "192.168.100.201/24", bip: "172.18.0.1/16" },
    preserveSourceIp: true,
});

/** The routes.sh tag CrossHostRoutedPair derives (the mocks test below holds it to the component). */

/** Every host-script call of a routed pair: bip, routes and firewall, create and delete, per host. */
function pairCalls(name: string, args: CrossHostRoutedPairArgs): { script: Script; args: string[] }[] | "rejected" {
    let plan;
    try {
        plan = planCrossHostRoutedPair(name, args);
    } catch (e) {
        if (e instanceof ValidationError) {
            return "rejected";
        }
        throw e;
    }
    return plan.hosts.flatMap((hp, i) => {
        const h = (i === 0 ? args.hostA : args.hostB).host;
        const tag = routesTag(name, hp.hostName);
        return (["create", "delete"] as const).flatMap((action) => [
            { script: "bip" as const, args: bipArgs(action, hp.bip, h) },
            { script: "routes" as const, args: [action, "--tag", tag, ...hp.routes] },
            { script: "firewall" as const, args: firewallArgs(action, hp.firewallChain, hp.firewallRules) },
        ]);
    });
}

function bridgeCalls(name: string, args: CustomBridgeNetworkArgs): { script: Script; args: string[] }[] | "rejected" {
    let plan;
    try {
        plan = planCustomBridgeNetwork(name, args);
    } catch (e) {
        if (e instanceof ValidationError) {
            return "rejected";
        }
        throw e;
    }
    // The bridge name is also the Linux device name Docker creates.
    if (!/^[^\s/:]{1,15}$/.test(plan.bridgeName) || plan.bridgeName === "." || plan.bridgeName === "..") {
        throw new Error(`bridge name ${JSON.stringify(plan.bridgeName)} is not a Linux interface name`);
    }
    // Rules name this bridge and its peers; "-" would mean any interface, "+" a wildcard.
    for (const rule of plan.firewallRules) {
        const [, inIf, outIf] = rule.split(",");
        for (const iface of [inIf, outIf]) {
            if (iface === "-" || iface.includes("+")) {
                throw new Error(
                    `rule ${JSON.stringify(rule)} matches any interface: bridgeName/connectTo ${JSON.stringify(iface)} became a wildcard`,
                );
            }
        }
    }
    return plan.firewallChain
        ? (["create", "delete"] as const).map((action) => ({
              script: "firewall" as const,
              args: firewallArgs(action, plan.firewallChain!, plan.firewallRules),
          }))
        : [];
}

function probeCalls(name: string, args: ConnectivityCheckArgs): { script: Script; args: string[] }[] | "rejected" {
    try {
        validateConnectivityCheck(name, args);
    } catch (e) {
        if (e instanceof ValidationError) {
            return "rejected";
        }
        throw e;
    }
    const a = [
        args.fromContainer as string,
        args.toAddress as string,
        args.port === undefined ? "-" : String(args.port),
        args.expect ?? "reachable",
        String(args.attempts ?? 5),
    ];
    return [{ script: "probe", args: a }];
}

/** Runs one property over `arb`, counting each case as rejected or inert. */
function fuzz<T>(
    title: string,
    arb: fc.Arbitrary<T>,
    calls: (v: T) => { script: Script; args: string[] }[] | "rejected",
    runs = RUNS,
): void {
    test(`${title} (${runs} cases)`, () => {
        const kept = { n: 0 };
        const mine = { cases: 0, rejected: 0, inert: 0 };
        try {
            fc.assert(
                fc.property(arb, (v) => {
                    counts.cases++;
                    mine.cases++;
                    const result = calls(v);
                    if (result === "rejected") {
                        counts.rejected++;
                        mine.rejected++;
                        return;
                    }
                    for (const c of result) {
                        proveInert(c.script, c.args, title, kept);
                    }
                    counts.inert++;
                    mine.inert++;
                }),
                { seed: SEED + [...title].reduce((h, ch) => (h * 31 + ch.charCodeAt(0)) >>> 0, 0), numRuns: runs },
            );
        } finally {
            byProperty.push(`  ${title}: ${mine.cases} cases, ${mine.rejected} rejected, ${mine.inert} inert`);
        }
    });
}

const withPair = (edit: (a: CrossHostRoutedPairArgs, v: string) => void) => (v: string) => {
    const a = pairArgs();
    edit(a, v);
    return pairCalls("fuzz", a);
};
const withHostA = (over: (v: string) => Partial<HostArgs>) =>
    withPair((a, v) => (a.hostA.host = host("h1", "192.168.100.200", over(v))));
const bridgeHost = { name: "h1", local: {} };

describe("every string that reaches a host script is rejected or inert", () => {
    fuzz(
        "bip → bip.sh, and as a subnet → the peer's routes and both firewalls",
        hostile(bipLike),
        withPair((a, v) => (a.hostA.bip = v)),
    );
    fuzz(
        "the peer's bip → routes.sh next to the LAN",
        hostile(bipLike),
        withPair((a, v) => (a.hostB.bip = v)),
    );
    fuzz(
        "lanAddress → the peer's routes.sh (via) and firewall.sh (source subnet)",
        hostile(lanLike),
        withPair((a, v) => (a.hostB.lanAddress = v)),
    );
    fuzz(
        "restartCommand → bip.sh --restart-cmd",
        hostile(commandLike),
        withHostA((v) => ({ restartCommand: v })),
    );
    fuzz(
        "logCommand → bip.sh --log-cmd",
        hostile(commandLike),
        withHostA((v) => ({ logCommand: v })),
    );
    fuzz(
        "host name → routes.sh --tag and the firewall chain",
        hostile(hostNameLike),
        withPair((a, v) => (a.hostA.host = host(v, "192.168.100.200"))),
    );
    fuzz("bridgeName → firewall.sh interfaces", hostile(ifnameLike), (v) =>
        bridgeCalls("fuzznet", { host: bridgeHost, subnet: "172.19.0.0/16", bridgeName: v, connectTo: ["docker0"] }),
    );
    fuzz("connectTo → firewall.sh interfaces", hostile(ifnameLike), (v) =>
        bridgeCalls("fuzznet", { host: bridgeHost, subnet: "172.19.0.0/16", bridgeName: "br-fuzz", connectTo: [v] }),
    );
    fuzz("networkName → the default bridge name → firewall.sh", hostile(containerLike), (v) =>
        bridgeCalls("fuzznet", { host: bridgeHost, networkName: v, subnet: "172.19.0.0/16", connectTo: ["docker0"] }),
    );
    fuzz(
        "probe fromContainer and toAddress → probe.sh",
        fc.tuple(hostile(containerLike), hostile(addressLike)),
        ([from, to]) =>
            probeCalls("fuzzprobe", {
                host: host("h1", "192.168.100.200"),
                fromContainer: from,
                toAddress: to,
                port: 80,
                expect: "isolated",
                attempts: 2,
            }),
    );
    fuzz(
        "any string without NUL travels through scriptCommand as exactly one argument (validation bypassed)",
        hostile(fc.string({ maxLength: 20 })).filter((s) => !s.includes("\u0000")),
        (v) => {
            const back = transportArgs(scriptCommand("routes", ["check", v, "x"]), "routes");
            if (JSON.stringify(back) !== JSON.stringify(["check", v, "x"])) {
                throw new Error(`${JSON.stringify(v)} travels as ${JSON.stringify(back)}`);
            }
            rawSample.push(v);
            return [];
        },
    );
});

describe("the component name reaches routes.sh as its --tag", () => {
    // The name of a CrossHostRoutedPair is not validated; it becomes part of the routes tag.
    fuzz("component name → routes.sh --tag", hostile(nameLike), (v) => pairCalls(v, pairArgs()), 300);

    test("two pairs with different names get different routes tags (a shared tag lets one pair's create delete the other's routes)", () => {
        expect(routesTag("web app", "h1")).not.toBe(routesTag("web_app", "h1"));
    });
});

describe("the sample, in the exact transport form, through real shells", () => {
    test.each(["dash", "bash"])("%s gives back exactly the arguments, and no canary appears", (shell) => {
        const cases = [
            ...sample,
            ...rawSample
                .filter(shellSafe)
                .slice(0, 300)
                .map((v) => ({ script: "routes" as const, args: ["check", v, "x"] })),
        ];
        expect(cases.length).toBeGreaterThanOrEqual(200);
        const back = throughShell(shell, cases);
        expect(back).toHaveLength(cases.length);
        cases.forEach((c, i) => expect({ i, got: back[i] }).toEqual({ i, got: [`${c.script}.sh`, ...c.args] }));
        expect(fs.existsSync(CANARY)).toBe(false);
        counts.shell += cases.length;
    });
});

/** Text a file and a pipe carry unchanged: well-formed UTF-16, no record separator (the framing below). */
function shellSafe(s: string): boolean {
    return !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]|\u001e/.test(s);
}

/**
 * Runs each call's exact scriptCommand text in `shell`, with the here-document's body swapped for
 * a program that prints its $0 and arguments NUL-separated: the same quoting, the same `sh -c`.
 */
function throughShell(shell: string, cases: { script: Script; args: string[] }[]): string[][] {
    const printer = `printf '%s\\0' "$0" "$@"\n`;
    const text = cases
        .map((c) => {
            const command = scriptCommand(c.script, c.args);
            return `${transportHead(c.script, printer)}${command.slice(transportHead(c.script).length)}printf '\\036'\n`;
        })
        .join("");
    const file = path.join(scratch, `transport-${shell}.sh`);
    fs.writeFileSync(file, text);
    const r = spawnSync(shell, [file], {
        cwd: scratch,
        encoding: "latin1",
        maxBuffer: 64 * 1024 * 1024,
        timeout: 60000,
    });
    if (r.status !== 0) {
        throw new Error(`${shell} ${file} exited ${r.status}: ${r.stderr}`);
    }
    const utf8 = Buffer.from(r.stdout, "latin1").toString("utf8");
    return utf8
        .split("\u001e")
        .slice(0, -1)
        .map((rec) => rec.split("\u0000").slice(0, -1));
}

describe("the components send exactly the planned calls (the plans above are the components' own)", () => {
    const rec = new Recorder();
    beforeEach(async () => rec.install(false));
    afterEach(settle);

    test("CrossHostRoutedPair, CustomBridgeNetwork and ConnectivityCheck under mocks", async () => {
        let n = 0;
        await fc.assert(
            fc.asyncProperty(
                hostile(bipLike),
                hostile(commandLike),
                nameLike,
                hostile(ifnameLike),
                hostile(containerLike),
                async (bip, cmd, name, iface, from) => {
                    const i = n++;
                    const pair = pairArgs();
                    pair.hostA.bip = bip;
                    // Hosts of their own per case: one program run gives one machine one bip (DockerHost).
                    const [hA, hB] = [`a${i}`, `b${i}`];
                    pair.hostA.host = host(hA, `10.1.${Math.floor(i / 250)}.${(i % 250) + 1}`);
                    pair.hostB.host = host(hB, `10.2.${Math.floor(i / 250)}.${(i % 250) + 1}`, { restartCommand: cmd });
                    const pairName = `${name}${i}`;
                    const expected = new Map<string, string>();
                    const planned = pairCalls(pairName, pair);
                    if (planned !== "rejected") {
                        new CrossHostRoutedPair(pairName, pair);
                        planned.forEach((c, j) => {
                            const hostName = j < 6 ? hA : hB;
                            const owner = c.script === "bip" ? hostName : `${pairName}-${hostName}`; // the bip is the host's DockerHost's
                            expected.set(`${owner}-${c.script} ${c.args[0]}`, scriptCommand(c.script, c.args));
                        });
                    }
                    const bridge: CustomBridgeNetworkArgs = {
                        host: bridgeHost,
                        networkName: `net${i}`,
                        subnet: "172.19.0.0/16",
                        bridgeName: iface,
                        connectTo: ["docker0"],
                    };
                    const bridgePlanned = (() => {
                        try {
                            return bridgeCalls(`net${i}`, bridge);
                        } catch {
                            return "rejected" as const; // a wildcard interface: reported by the property above
                        }
                    })();
                    if (bridgePlanned !== "rejected") {
                        new CustomBridgeNetwork(`net${i}`, bridge);
                        bridgePlanned.forEach((c) =>
                            expected.set(`net${i}-connect ${c.args[0]}`, scriptCommand(c.script, c.args)),
                        );
                    }
                    const check: ConnectivityCheckArgs = {
                        host: host("h1", "192.168.100.200"),
                        fromContainer: from,
                        toAddress: "172.18.0.2",
                        port: 80,
                        attempts: 2,
                    };
                    const probePlanned = probeCalls(`probe${i}`, check);
                    if (probePlanned !== "rejected") {
                        new ConnectivityCheck(`probe${i}`, check);
                        expected.set(`probe${i}-probe create`, scriptCommand("probe", probePlanned[0].args));
                    }
                    await settle();
                    const seen = new Map<string, string>();
                    for (const r of rec.resources.filter((x) => x.type.startsWith("command:"))) {
                        seen.set(`${r.name} create`, r.inputs.create);
                        if (r.inputs.delete !== undefined) {
                            seen.set(`${r.name} delete`, r.inputs.delete);
                        }
                    }
                    rec.resources.length = 0;
                    expect([...seen.keys()].sort()).toEqual([...expected.keys()].sort());
                    for (const [k, v] of expected) {
                        expect({ k, same: seen.get(k) === v }).toEqual({ k, same: true });
                    }
                },
            ),
            { seed: SEED, numRuns: 60 },
        );
        // 60 programs under mocks take ~4 s on a quiet 2-core machine: jest's 5 s default is too close.
    }, 60000);
});
