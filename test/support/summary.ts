// The safety summary of a test run: how many bad inputs, fuzz cases, live canary runs and
// injected faults the suites tried, and how many were rejected, inert or survived.
//
// Tests run in several jest workers (processes) and each test file has a module registry of its
// own, so every importer writes its own small JSON file into one directory; the summary adds
// them up. The directory is $DOCKERNET_SAFETY_DIR (the jest reporter test/support/summaryReporter.js
// sets a fresh one per run) or `<os tmpdir>/dockernet-safety`.
//
//   import { record } from "../support/summary";
//   record({ badInputsTried: 1, badInputsRejected: 1 });
//
// Print it with `node test/support/summaryReporter.js` (or let the reporter print it after a run).
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** Every count the summary knows. Absent counts are 0. */
export interface SafetyCounts {
    /** Bad inputs given to the components (test/unit/badInput.test.ts). */
    badInputsTried: number;
    /** ...of which validation rejected before any resource existed. */
    badInputsRejected: number;
    /** Generated values pushed through validation towards a host script (test/unit/fuzz.property.test.ts). */
    fuzzCases: number;
    /** ...rejected by validation. */
    fuzzRejected: number;
    /** ...accepted, and proven inert (allowed characters only, exact round trip through the shell). */
    fuzzInert: number;
    /** Host-script invocations with hostile arguments on a lab host (test/live/fuzz.test.ts). */
    liveCanaryRuns: number;
    /** Times a canary file was found afterwards: must stay 0. */
    canaryAppeared: number;
    /** Faults injected by fault-injection tests (failed restarts, dropped connections, ...). */
    faultsInjected: number;
    /** ...after which the host was left as it was (or correctly rolled back). */
    faultsSurvived: number;
}

export const COUNT_KEYS: (keyof SafetyCounts)[] = [
    "badInputsTried",
    "badInputsRejected",
    "fuzzCases",
    "fuzzRejected",
    "fuzzInert",
    "liveCanaryRuns",
    "canaryAppeared",
    "faultsInjected",
    "faultsSurvived",
];

/** Where the count files of this run go. */
export function summaryDir(): string {
    return process.env.DOCKERNET_SAFETY_DIR || path.join(os.tmpdir(), "dockernet-safety");
}

const mine: SafetyCounts = zero();
let myFile: string | undefined;

/** Adds to this process's (this test file's) counts and writes them out at once. */
export function record(delta: Partial<SafetyCounts>): void {
    for (const key of COUNT_KEYS) {
        const d = delta[key];
        if (d !== undefined) {
            if (!Number.isInteger(d) || d < 0) {
                throw new Error(`summary: ${key} must be a whole number, 0 or more (got ${JSON.stringify(d)})`);
            }
            mine[key] += d;
        }
    }
    const dir = summaryDir();
    fs.mkdirSync(dir, { recursive: true });
    // One file per importer: writers never share a file, so parallel workers cannot clobber each other.
    myFile ??= path.join(dir, `counts-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 10)}.json`);
    const tmp = `${myFile}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(mine));
    fs.renameSync(tmp, myFile);
}

/** The counts of every file in the directory, added up. Unreadable files are skipped. */
export function collect(dir = summaryDir()): SafetyCounts {
    const total = zero();
    if (!fs.existsSync(dir)) {
        return total;
    }
    for (const f of fs.readdirSync(dir)) {
        if (!/^counts-.*\.json$/.test(f)) {
            continue;
        }
        let parsed: Partial<SafetyCounts>;
        try {
            parsed = JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")) as Partial<SafetyCounts>;
        } catch {
            continue;
        }
        for (const key of COUNT_KEYS) {
            const v = parsed[key];
            if (typeof v === "number" && Number.isFinite(v)) {
                total[key] += v;
            }
        }
    }
    return total;
}

/** Removes the count files (not the directory's other files). */
export function reset(dir = summaryDir()): void {
    if (!fs.existsSync(dir)) {
        return;
    }
    for (const f of fs.readdirSync(dir)) {
        if (/^counts-.*\.json(\.tmp)?$/.test(f)) {
            fs.rmSync(path.join(dir, f), { force: true });
        }
    }
}

/** The one line the reporter prints. */
export function formatSummary(c: SafetyCounts): string {
    const canary = c.canaryAppeared === 0 ? "canary never appeared" : `CANARY APPEARED ${c.canaryAppeared} TIME(S)`;
    return (
        `dockernet safety summary: bad inputs tried ${c.badInputsTried}, rejected ${c.badInputsRejected}; ` +
        `fuzz cases ${c.fuzzCases} (rejected ${c.fuzzRejected}, inert ${c.fuzzInert}); ` +
        `live canary runs ${c.liveCanaryRuns}, ${canary}; ` +
        `faults injected ${c.faultsInjected}, survived ${c.faultsSurvived}`
    );
}

function zero(): SafetyCounts {
    return Object.fromEntries(COUNT_KEYS.map((k) => [k, 0])) as unknown as SafetyCounts;
}
