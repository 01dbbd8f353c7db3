// Jest reporter (and CLI) that prints the dockernet safety summary at the end of a run.
//
// Jest loads reporters with a plain require (no transform), so this file is JavaScript; the
// counting and formatting live in summary.ts, compiled here in memory with the project's own
// TypeScript, so there is one source of truth.
//
//   jest.config.js:  reporters: ["default", "<rootDir>/test/support/summaryReporter.js"]
//   by hand:         node test/support/summaryReporter.js [--reset] [DIR]
"use strict";
const fs = require("fs");
const os = require("os");
const path = require("path");
const Module = require("module");

function loadSummary() {
    const file = path.join(__dirname, "summary.ts");
    const ts = require("typescript");
    const { outputText } = ts.transpileModule(fs.readFileSync(file, "utf8"), {
        compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
        fileName: file,
    });
    const m = new Module(file, module);
    m.filename = file;
    m.paths = Module._nodeModulePaths(__dirname);
    m._compile(outputText, file);
    return m.exports;
}

class SummaryReporter {
    constructor() {
        this.summary = loadSummary();
        // A fresh directory per run, unless the caller chose one: workers inherit the variable.
        this.owned = !process.env.DOCKERNET_SAFETY_DIR;
        if (this.owned) {
            process.env.DOCKERNET_SAFETY_DIR = fs.mkdtempSync(path.join(os.tmpdir(), "dockernet-safety-"));
        }
        this.dir = process.env.DOCKERNET_SAFETY_DIR;
    }

    onRunStart() {
        // DOCKERNET_SAFETY_ACCUMULATE=1: several jest runs add up (npm test: unit, then live).
        if (!this.owned && process.env.DOCKERNET_SAFETY_ACCUMULATE !== "1") {
            this.summary.reset(this.dir);
        }
    }

    onRunComplete() {
        process.stdout.write(`\n${this.summary.formatSummary(this.summary.collect(this.dir))}\n`);
        if (this.owned) {
            fs.rmSync(this.dir, { recursive: true, force: true });
        }
    }

    getLastError() {
        return undefined;
    }
}

module.exports = SummaryReporter;

if (require.main === module) {
    const args = process.argv.slice(2);
    const summary = loadSummary();
    const dir = args.find((a) => a !== "--reset") || summary.summaryDir();
    process.stdout.write(`${summary.formatSummary(summary.collect(dir))}\n`);
    if (args.includes("--reset")) {
        summary.reset(dir);
    }
}
