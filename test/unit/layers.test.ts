// The import graph (issue 26): no file of the library or its commands reaches itself through what it
// imports at run time (type-only imports are erased and do not count), and the stack program and the
// commands (index.ts, stacks/, provider/) import the package root or its one internal entry
// (components/internal.ts), never a file behind them.
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";

const ROOT = path.join(__dirname, "..", "..");

function sources(): string[] {
    const out = ["index.ts"];
    const walk = (dir: string) => {
        for (const e of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
            const rel = path.join(dir, e.name);
            if (e.isDirectory()) walk(rel);
            else if (rel.endsWith(".ts")) out.push(rel);
        }
    };
    ["components", "stacks", "provider"].forEach(walk);
    return out;
}

/** A file's run-time imports of other files of the project, as paths from the root. */
function runtimeImports(file: string): { specifier: string; target: string }[] {
    const text = fs.readFileSync(path.join(ROOT, file), "utf8");
    const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, false);
    const out: { specifier: string; target: string }[] = [];
    for (const node of sf.statements) {
        let spec: ts.Expression | undefined;
        if (ts.isImportDeclaration(node) && !node.importClause?.isTypeOnly) spec = node.moduleSpecifier;
        if (ts.isExportDeclaration(node) && !node.isTypeOnly) spec = node.moduleSpecifier;
        if (!spec || !ts.isStringLiteral(spec) || !spec.text.startsWith(".")) continue;
        const base = path.normalize(path.join(path.dirname(file), spec.text));
        const target = [`${base}.ts`, path.join(base, "index.ts")].find((f) => fs.existsSync(path.join(ROOT, f)));
        if (target) out.push({ specifier: spec.text, target });
    }
    return out;
}

describe("the import graph", () => {
    const graph = new Map(sources().map((f) => [f, runtimeImports(f)]));

    test("has no cycle of run-time imports", () => {
        const cycles: string[] = [];
        const state = new Map<string, "open" | "done">();
        const visit = (f: string, trail: string[]) => {
            if (state.get(f) === "done") return;
            if (state.get(f) === "open") {
                cycles.push([...trail.slice(trail.indexOf(f)), f].join(" -> "));
                return;
            }
            state.set(f, "open");
            for (const i of graph.get(f) ?? []) visit(i.target, [...trail, f]);
            state.set(f, "done");
        };
        [...graph.keys()].forEach((f) => visit(f, []));
        expect(cycles).toEqual([]);
        expect(graph.size).toBeGreaterThan(30); // the walk found the sources ...
        expect(graph.get("components/host/observe.ts")!.map((i) => i.target)).toContain("components/host/endpoint.ts"); // ... and their imports
    });

    test("index.ts, stacks/ and provider/ import the package root or components/internal.ts only", () => {
        const past = [...graph]
            .filter(([f]) => !f.startsWith("components"))
            .flatMap(([f, imports]) =>
                imports
                    .filter(
                        (i) =>
                            i.target.startsWith("components") &&
                            !["components/index.ts", "components/internal.ts"].includes(i.target),
                    )
                    .map((i) => `${f}: ${i.specifier}`),
            );
        expect(past).toEqual([]);
    });
});
