// Live canary fuzz on lab host h1: the real host scripts get hostile arguments that BYPASS the
// TypeScript validation, so the scripts' own argument checks are what stands between the payload
// and a root shell. Every payload tries to create a canary file. The runs are read-only (`check`
// actions, probe.sh with a container that does not exist, temp paths for state, lock and
// daemon.json) or must be refused before any change (`create`, exit 2). Afterwards: no canary,
// no create accepted, and h1's routes, iptables and daemon.json exactly as before, Docker not
// restarted. A sample also runs through the exact transport text (`scriptCommand`).
import * as zlib from "zlib";
import { scriptCommand, scriptText, shellQuote } from "../../components/host/scripts";
import { onHost, restarts, snapshot } from "../support/lab";
import { record } from "../support/summary";

type Script = "bip" | "routes" | "firewall" | "probe";
const HOST = "h1";
const DIR = "/tmp/dnfuzz"; // h1's /tmp is a tmpfs of its own (test/lab/lab.sh)
const CANARY = `${DIR}/canary`;
const DIRECT_RUNS = 10500;
const TRANSPORT_RUNS = 240;

/** Each tries to create the canary (absolute, or relative to the batch's working directory). */
const PAYLOADS = [
    `$(touch ${CANARY})`,
    `;touch ${CANARY}`,
    `\`touch ${CANARY}\``,
    `' ; touch ${CANARY} ; '`,
    `'$(touch ${CANARY})'`,
    `"$(touch ${CANARY})"`,
    `"; touch ${CANARY}; "`,
    `\ntouch ${CANARY}\n`,
    `\r\ntouch ${CANARY}`,
    `&& touch ${CANARY}`,
    `|| touch ${CANARY}`,
    `| touch ${CANARY}`,
    `& touch ${CANARY} &`,
    `>${CANARY}`,
    `>>${CANARY}`,
    `;touch\${IFS}${CANARY}`,
    `$(touch\${IFS}${CANARY})`,
    `;IFS=,;touch,${CANARY}`,
    `\${PATH:+$(touch ${CANARY})}`,
    `$((0))$(touch ${CANARY})`,
    `;{touch,${CANARY}}`,
    `;/???/???/t?uch ${CANARY}`,
    `;/*/bin/touch ${CANARY}`,
    `*;touch ${CANARY}`,
    `[a];touch ${CANARY}`,
    `~;touch ${CANARY}`,
    `\\;touch ${CANARY}`,
    `'\\''; touch ${CANARY}; '\\''`,
    `\`;touch ${CANARY};\``,
    `#\ntouch ${CANARY}`,
    `!$(touch ${CANARY})`,
    `;touch canary`,
    `$(touch canary)`,
    `\nDOCKERNET_SCRIPT_EOF\ntouch ${CANARY}\n`,
    `\nDNFUZZ\ntouch ${CANARY}\n`,
    `\uff1btouch ${CANARY}`,
    `\u202e;touch ${CANARY}`,
    `é$(touch ${CANARY})`,
    `${"A".repeat(5000)};touch ${CANARY}`,
];
/** What no script accepts in any position: a shell metacharacter or anything but printable ASCII. */
const REFUSED = /[^\x20-\x7e]|[;$`'"|&<>*?~()[\]!#\\]/;

const DJ_CHECK = `${DIR}/daemon.json`;
const DJ_CREATE = `${DIR}/daemon-create.json`;
const SAFE_BIP = "172.31.254.1/24"; // what DJ_CREATE already holds: even an accepted create would change nothing
const common = (s: string) => [
    "--state-dir",
    `${DIR}/state-${s}`,
    "--lock",
    `${DIR}/lock/dockernet.lock`,
    "--lock-wait",
    "5",
];

/** The valid argument lists each hostile value is spliced into; `slots` are the positions fuzzed. */
const BASES: { script: Script; action?: "check" | "create"; args: string[]; slots: number[] }[] = [
    ...(["check", "create"] as const).map((action) => ({
        script: "bip" as const,
        action,
        args: [
            action,
            action === "create" ? SAFE_BIP : "172.17.0.1/16",
            "--daemon-json",
            action === "create" ? DJ_CREATE : DJ_CHECK,
            ...common("bip"),
            "--timeout",
            "5",
            "--restart-cmd",
            "true",
            "--log-cmd",
            "true",
            "--docker-check-cmd",
            "true",
            "--unit-cmd",
            "true",
            "--docker-pid-file",
            `${DIR}/no-such.pid`,
        ],
        slots: action === "create" ? range(1, 22) : range(0, 22),
    })),
    ...(["check", "create"] as const).map((action) => ({
        script: "routes" as const,
        action,
        args: [action, "--tag", "dnfuzz", "--proto", "250", ...common("routes"), "10.254.0.0/16=192.168.100.201"],
        slots: action === "create" ? range(1, 12) : range(0, 12),
    })),
    ...(["check", "create"] as const).map((action) => ({
        script: "firewall" as const,
        action,
        args: [
            action,
            "--chain",
            "DN-FUZZ-1",
            ...common("firewall"),
            "accept,br-dnfuzz,docker0,-,-",
            "nat-return,10.254.0.0/16,10.253.0.0/16",
        ],
        slots: action === "create" ? range(1, 11) : range(0, 11),
    })),
    { script: "probe", args: ["dnfuzz-no-such-container", "10.254.0.2", "80", "reachable", "1"], slots: range(0, 5) },
];

/** Valid calls: the scripts must run to the end of their read-only check (exit 0 or 1, never 2). */
const CONTROLS: { script: Script; args: string[] }[] = BASES.filter((b) => b.action === "check").map((b) => ({
    script: b.script,
    args: b.args,
}));

interface Call {
    id: string;
    script: Script;
    args: string[];
    hostile: boolean;
    create: boolean;
}

describe("host scripts on lab host h1 with hostile arguments that bypass validation", () => {
    let before: Awaited<ReturnType<typeof snapshot>>;
    let restartsBefore: number;
    const tally = { runs: 0, canary: 0 };
    const started = Date.now();

    beforeAll(async () => {
        before = await snapshot(HOST);
        restartsBefore = restarts(HOST);
        const scripts = (["bip", "routes", "firewall", "probe"] as const)
            .map((s) => `printf '%s' ${b64(gzip(scriptText(s)))} | base64 -d | gunzip > ${DIR}/${s}.sh`)
            .join(" && ");
        await onHost(
            HOST,
            `rm -rf ${DIR} && mkdir -p ${DIR}/cwd ${DIR}/lock && ${scripts} && ` +
                `{ cat /etc/docker/daemon.json 2>/dev/null || echo '{}'; } > ${DJ_CHECK} && ` +
                `echo '{"bip": "${SAFE_BIP}"}' > ${DJ_CREATE}`,
        );
    });

    afterAll(async () => {
        record({ liveCanaryRuns: tally.runs, canaryAppeared: tally.canary });
        console.log(
            `live fuzz on ${HOST}: ${tally.runs} hostile script runs, canary ${tally.canary === 0 ? "never appeared" : `APPEARED ${tally.canary} time(s)`}, ${((Date.now() - started) / 1000).toFixed(1)} s`,
        );
        await onHost(HOST, `rm -rf ${DIR}`).catch(() => undefined);
    });

    test("every payload tries to make the canary and holds something no script accepts; the detector sees a canary", async () => {
        for (const p of PAYLOADS) {
            expect({ p, refused: REFUSED.test(p) }).toEqual({ p, refused: true });
            expect(p.includes("canary")).toBe(true);
        }
        await onHost(HOST, `touch ${DIR}/cwd/canary`);
        const probe = { canary: 0 };
        await expect(expectNoCanary(probe)).rejects.toThrow();
        expect(probe.canary).toBe(1);
        await onHost(HOST, `rm -f ${DIR}/cwd/canary`);
    });

    test(`${DIRECT_RUNS} direct runs (sh <script>.sh ...), in 4 batches of one ssh session each: all refused with exit 2`, async () => {
        const calls = generate(DIRECT_RUNS, 1);
        const batches = [0, 1, 2, 3].map((k) => calls.filter((_, i) => i % 4 === k));
        const results = await Promise.all(
            batches.map((batch, k) =>
                runBatch(
                    `direct-${k}`,
                    "sh",
                    [...(k === 0 ? controls("c") : []), ...batch]
                        .map(
                            (c) =>
                                `sh ${DIR}/${c.script}.sh ${c.args.map(shellQuote).join(" ")} >/dev/null 2>&1; echo "${c.id} $?"\n`,
                        )
                        .join(""),
                ),
            ),
        );
        const codes = new Map(results.flatMap((r) => [...r]));
        tally.runs += calls.length;
        expectOutcomes([...controls("c"), ...calls], codes);
        await expectNoCanary(tally);
        console.log(
            `direct: ${calls.length} hostile runs (${calls.filter((c) => c.create).length} of them create), ${CONTROLS.length} controls`,
        );
    });

    test.each(["sh", "bash"])(
        `${TRANSPORT_RUNS} check runs through the exact scriptCommand text, read by %s: all refused`,
        async (shell) => {
            const calls = generate(TRANSPORT_RUNS * 3, shell === "sh" ? 2 : 3)
                .filter((c) => !c.create)
                .slice(0, TRANSPORT_RUNS);
            expect(calls).toHaveLength(TRANSPORT_RUNS);
            const text = [
                "exec 3>&1 >/dev/null 2>&1\n",
                ...[...controls(`t${shell}`), ...calls].map(
                    (c) => `${scriptCommand(c.script, c.args)}echo "${c.id} $?" >&3\n`,
                ),
            ].join("");
            const codes = await runBatch(`transport-${shell}`, shell, text);
            tally.runs += calls.length;
            expectOutcomes([...controls(`t${shell}`), ...calls], codes);
            await expectNoCanary(tally);
        },
    );

    test("h1 is exactly as before: routes, iptables, daemon.json, and Docker was not restarted", async () => {
        const after = await snapshot(HOST);
        expect(after.routes).toBe(before.routes);
        expect(after.iptables).toBe(before.iptables);
        expect(after.daemonJson).toBe(before.daemonJson);
        expect(restarts(HOST)).toBe(restartsBefore);
        // The create runs used temp paths only; they must not have written there either.
        const leftovers = `cat ${DJ_CREATE}; for d in ${DIR}/state-bip ${DIR}/state-routes ${DIR}/state-firewall; do if [ -e "$d" ]; then echo "$d:"; ls -A "$d"; fi; done`;
        expect((await onHost(HOST, leftovers)).trim()).toBe(`{"bip": "${SAFE_BIP}"}`);
        // How long the runs took is printed (afterAll), not asserted: a time bound is a benchmark's
        // figure, and it moved with the host's Docker (firewall.sh asks the daemon's version).
    });
});

/** `count` hostile calls, deterministic for a seed: a payload spliced into one slot of a valid call. */
function generate(count: number, seed: number): Call[] {
    const rand = mulberry32(seed);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
    const calls: Call[] = [];
    for (let i = 0; i < count; i++) {
        const base = BASES[i % BASES.length];
        const args = [...base.args];
        const slot = pick(base.slots);
        const payload = pick(PAYLOADS);
        const valid = args[slot];
        const at = pick([0, valid.length, Math.floor(rand() * (valid.length + 1))]);
        let bad = rand() < 0.1 ? payload : valid.slice(0, at) + payload + valid.slice(at);
        if (rand() < 0.15) {
            bad += pick(PAYLOADS); // two payloads in one value
        }
        if (slot > 0 && args[slot - 1].startsWith("--") && rand() < 0.2) {
            args.splice(slot - 1, 2, `${args[slot - 1]}=${bad}`); // the --opt=value form
        } else {
            args[slot] = bad;
        }
        calls.push({ id: `s${seed}-${i}`, script: base.script, args, hostile: true, create: base.action === "create" });
    }
    return calls;
}

function controls(prefix: string): Call[] {
    return CONTROLS.map((c, i) => ({
        id: `${prefix}-control-${i}`,
        script: c.script,
        args: c.args,
        hostile: false,
        create: false,
    }));
}

/** Uploads a batch file (compressed, in pieces that fit a command line) and runs it in ONE ssh session. */
async function runBatch(name: string, shell: string, text: string): Promise<Map<string, number>> {
    const file = `${DIR}/${name}.sh`;
    const packed = b64(gzip(text));
    const pieces = packed.match(/.{1,90000}/g) ?? [];
    await onHost(HOST, `: > ${file}.b64`);
    for (const piece of pieces) {
        await onHost(HOST, `printf '%s' ${piece} >> ${file}.b64`);
    }
    const out = await onHost(
        HOST,
        `base64 -d ${file}.b64 | gunzip > ${file} && cd ${DIR}/cwd && ${shell} ${file}`,
        170000,
    );
    const codes = new Map<string, number>();
    for (const line of out.split("\n")) {
        const m = /^(\S+) (\d+)$/.exec(line);
        if (m) {
            codes.set(m[1], Number(m[2]));
        }
    }
    return codes;
}

/** Hostile calls: exit 2 (refused before anything was looked at or changed). Controls: 0 or 1. */
function expectOutcomes(calls: Call[], codes: Map<string, number>): void {
    const missing = calls.filter((c) => !codes.has(c.id)).map((c) => c.id);
    expect(missing.slice(0, 10)).toEqual([]);
    const wrong = calls
        .filter((c) => (c.hostile ? codes.get(c.id) !== 2 : ![0, 1].includes(codes.get(c.id)!)))
        .map((c) => ({
            id: c.id,
            script: c.script,
            args: c.args.map((a) => (a.length > 80 ? `${a.slice(0, 80)}...` : a)),
            exit: codes.get(c.id),
        }));
    expect(wrong.slice(0, 10)).toEqual([]);
    expect(calls.filter((c) => c.create && codes.get(c.id) === 0)).toEqual([]);
}

async function expectNoCanary(tally: { canary: number }): Promise<void> {
    // Absolute payloads aim at /tmp/dnfuzz/canary, relative ones at the batch's working directory.
    const found = (
        await onHost(
            HOST,
            `find /tmp -xdev -name '*canary*' 2>/dev/null; ls -d /canary /root/canary 2>/dev/null; ls -A ${DIR}/cwd`,
        )
    ).trim();
    if (found !== "") {
        tally.canary++;
    }
    expect(found).toBe("");
}

function gzip(text: string): Buffer {
    return zlib.gzipSync(Buffer.from(text, "utf8"), { level: 9 });
}

function b64(data: Buffer): string {
    return data.toString("base64");
}

function range(from: number, to: number): number[] {
    return Array.from({ length: to - from }, (_, i) => from + i);
}

function mulberry32(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}
