#!/usr/bin/env node
// `npm run plan|check|preview|up|destroy` run the compiled commands. This builds them first, but
// only when a source changed since the last build this script made (a full tsc build takes 4-15 s;
// planning takes about one): it compares the newest source file with bin/.build-stamp, and says so
// on stderr when it builds. `npm run build` always builds.
const fs = require("fs");
const path = require("path");
const { spawnSync } = require("child_process");

const root = path.join(__dirname, "..");
const stamp = path.join(root, "bin", ".build-stamp");
const sources = ["index.ts", "components", "stacks", "provider", "tsconfig.json", "tsconfig.build.json", "package.json"];

function newest(p) {
    const st = fs.statSync(p);
    if (!st.isDirectory()) {
        return st.mtimeMs;
    }
    return fs.readdirSync(p).reduce((m, e) => Math.max(m, newest(path.join(p, e))), 0);
}

const last = fs.existsSync(stamp) ? fs.statSync(stamp).mtimeMs : 0;
const changed = sources.map((f) => path.join(root, f)).filter((f) => fs.existsSync(f)).some((f) => newest(f) > last);
if (changed) {
    process.stderr.write("dockernet: building the commands (a source changed since the last build)...\n");
    const started = new Date();
    const r = spawnSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", path.join(root, "tsconfig.build.json")], {
        stdio: "inherit",
    });
    if (r.status !== 0) {
        process.exit(r.status ?? 1);
    }
    // Stamped with the build's start: a source saved during the build is newer, and builds next time.
    fs.writeFileSync(stamp, "");
    fs.utimesSync(stamp, started, started);
}
