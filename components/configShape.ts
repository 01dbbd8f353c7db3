// The shape of a topology, checked before anything else reads it: every key at any depth must be
// one the config types declare (a misspelling gets a did-you-mean), every value the declared type
// (the full path, the value and an example of what to give), every required key present, every
// enumerated value one of its choices. The shape comes from the TypeScript types themselves, through
// the generated JSON Schema (topologySchema.ts, `npm run schema`): one source. One mistake gives one
// message: a value of the wrong type is not looked into, and a misspelled required key is reported
// once, as the misspelling.
import { TOPOLOGY_SCHEMA } from "./topologySchema";
import { Problems, show } from "./validate";

/** The subset of JSON Schema the generator emits for the config types. */
interface Schema {
    type?: "object" | "array" | "string" | "number" | "integer" | "boolean";
    properties?: { [key: string]: Schema };
    required?: readonly string[];
    additionalProperties?: boolean | Schema;
    items?: Schema;
    enum?: readonly (string | number | boolean)[];
    $ref?: string;
    description?: string;
}

const DEFINITIONS = (TOPOLOGY_SCHEMA as unknown as { definitions: { [name: string]: Schema } }).definitions;

/** What a definition is, in words, for "is not a setting of <what>". */
const WHAT: { [definition: string]: string } = {
    TopologyHost: "a host",
    TopologyContainer: "a container",
    TopologyNetworkAttachment: "a container's network",
    PortSpec: "a port",
    TopologyBridge: "a bridge",
    TopologyLink: "a link",
    TopologyShared: "a shared namespace",
    TopologyRoutedPair: "a routed pair",
    TopologyRoutedSide: "a side of a routed pair",
    TopologyMesh: "a mesh",
    TopologyMeshHost: "a host of a mesh",
    BipPool: "a pool",
    TopologyCheck: "a check",
    TopologyLinkConsumer: "a link consumer",
    TopologyStandalone: "a container",
    LocalHostArgs: "local",
};

/** Checks a whole topology (plain data, as config or code gives it) against the config types. */
export function checkTopologyShape(problems: Problems, value: unknown): void {
    check(problems, "", value, TOPOLOGY_SCHEMA as unknown as Schema, "the stack's config");
}

/** Checks one `dockernet:<key>` value; `path` is how messages name it (e.g. `links`). */
export function checkConfigValue(problems: Problems, key: string, value: unknown): void {
    const schema = (TOPOLOGY_SCHEMA as unknown as Schema).properties?.[key];
    if (schema) {
        check(problems, key, value, schema, key);
    }
}

/** The dockernet config keys the topology types declare. */
export function topologyKeys(): string[] {
    return Object.keys((TOPOLOGY_SCHEMA as unknown as Schema).properties ?? {});
}

function resolve(schema: Schema): { schema: Schema; name?: string } {
    if (schema.$ref) {
        const name = schema.$ref.replace("#/definitions/", "");
        const def = DEFINITIONS[name];
        if (!def) {
            throw new Error(`configShape: no definition ${name}`);
        }
        return { schema: { ...def, description: schema.description ?? def.description }, name };
    }
    return { schema };
}

function check(problems: Problems, path: string, value: unknown, raw: Schema, what: string): void {
    const { schema, name } = resolve(raw);
    const here = name ? (WHAT[name] ?? what) : what;
    if (schema.enum) {
        if (!schema.enum.includes(value as string)) {
            const choices = schema.enum.map(String);
            const near = typeof value === "string" ? nearest(value, choices) : undefined;
            problems.add(
                path,
                `${show(value)} is not one of ${choices.join(", ")}; use one of them${near ? ` (did you mean ${near}?)` : ""}`,
            );
        }
        return;
    }
    switch (schema.type) {
        case "string":
            if (typeof value !== "string") {
                problems.add(path, `is ${kind(value)}; give a string, e.g. ${example(schema)}`);
            }
            return;
        case "number":
        case "integer":
            if (typeof value !== "number" || !Number.isFinite(value)) {
                problems.add(
                    path,
                    `is ${kind(value)}; give a number, e.g. ${example(schema, 0, lastKey(path))}${typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value)) ? ` (${value} without quotes)` : ""}`,
                );
            }
            return;
        case "boolean":
            if (typeof value !== "boolean") {
                problems.add(
                    path,
                    `is ${kind(value)}; give true or false${value === "true" || value === "false" ? ` (${value} without quotes)` : ""}`,
                );
            }
            return;
        case "array":
            if (!Array.isArray(value)) {
                problems.add(path, `is ${kind(value)}; give a list, e.g. ${example(schema)}`);
                return;
            }
            value.forEach((item, i) => check(problems, `${path}[${i}]`, item, schema.items ?? {}, here));
            return;
        case "object":
            if (value === null || typeof value !== "object" || Array.isArray(value)) {
                problems.add(
                    path,
                    `is ${kind(value)}; give ${here === what && !name ? "an object" : here}, e.g. ${example(schema)}`,
                );
                return;
            }
            checkObject(problems, path, value as Record<string, unknown>, schema, here);
            return;
        default:
            return; // no type: anything (not emitted for the config types)
    }
}

function checkObject(
    problems: Problems,
    path: string,
    value: Record<string, unknown>,
    schema: Schema,
    what: string,
): void {
    const props = schema.properties ?? {};
    const known = Object.keys(props);
    const at = (key: string) => (path ? `${path}.${key}` : key);
    const missing = (schema.required ?? []).filter((k) => value[k] === undefined);
    const claimed = new Set<string>();
    // Keys written one level too high (a container's fields where { container: {...} } belongs):
    // one message saying where they go.
    const unknown = Object.keys(value).filter((k) => !props[k] && value[k] !== undefined);
    if (unknown.length > 0 && typeof schema.additionalProperties !== "object") {
        for (const k of missing) {
            const inner = resolve(props[k] ?? {}).schema;
            if (inner.type === "object" && inner.properties && unknown.every((u) => inner.properties![u])) {
                const others = known
                    .filter((x) => x !== k && value[x] !== undefined)
                    .map((x) => `, ${x}`)
                    .join("");
                problems.add(
                    path,
                    `has ${unknown.join(", ")}, which belong inside ${k}; write { ${k}: { ${unknown.join(", ")} }${others} }`,
                );
                return;
            }
        }
    }
    for (const [key, v] of Object.entries(value)) {
        if (v === undefined) {
            continue; // a field left out in code (`{ gateway: undefined }`) is absent, as in YAML
        }
        if (props[key]) {
            check(problems, at(key), v, props[key], key);
            continue;
        }
        if (typeof schema.additionalProperties === "object") {
            check(problems, at(key), v, schema.additionalProperties, key);
            continue;
        }
        const near = nearest(key, known);
        if (near && missing.includes(near)) {
            // One mistake, one message: the misspelling of a required key says both.
            claimed.add(near);
            problems.add(
                at(key),
                `is not a setting of ${what}; did you mean ${near}? (${near} is required and missing)`,
            );
        } else {
            problems.add(
                at(key),
                `is not a setting of ${what}; ${near ? `did you mean ${near}? ` : ""}remove it or use one of: ${known.join(", ")}`,
            );
        }
    }
    for (const key of missing.filter((k) => !claimed.has(k))) {
        const doc = props[key]?.description ?? resolve(props[key] ?? {}).schema.description;
        problems.add(
            at(key),
            `is missing; give it${doc ? ` (${firstSentence(doc)})` : ""}, e.g. ${example(props[key] ?? {}, 0, key)}`,
        );
    }
}

/**
 * The closest of `choices` to `word`, if any is close: the same but for case, within a small edit
 * distance (adjacent letters swapped count as one edit), or one is the other with a few letters
 * added (`alias` → `aliases`).
 */
export function nearest(word: string, choices: readonly string[]): string | undefined {
    const lower = word.toLowerCase();
    let best: string | undefined;
    let bestD = Infinity;
    for (const c of choices) {
        const cl = c.toLowerCase();
        let d = cl === lower ? 0 : distance(lower, cl);
        if (
            d > 0 &&
            lower.length >= 3 &&
            (cl.startsWith(lower) || lower.startsWith(cl)) &&
            Math.abs(cl.length - lower.length) <= 3
        ) {
            d = Math.min(d, 1);
        }
        if (d < bestD) {
            bestD = d;
            best = c;
        }
    }
    return bestD <= Math.min(2, Math.max(1, Math.floor(word.length / 3))) ? best : undefined;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps. */
function distance(a: string, b: string): number {
    const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
        Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
    );
    for (let i = 1; i <= a.length; i++) {
        for (let j = 1; j <= b.length; j++) {
            const cost = a[i - 1] === b[j - 1] ? 0 : 1;
            d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
            if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
                d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
            }
        }
    }
    return d[a.length][b.length];
}

/** A value as its kind, for "is <kind>": `a number (80)`, `a string ("sleep 86400")`, `a list`, `null`. */
function kind(v: unknown): string {
    if (v === null) {
        return "null";
    }
    if (Array.isArray(v)) {
        return "a list";
    }
    switch (typeof v) {
        case "string":
            return `a string (${show(v)})`;
        case "number":
            return `a number (${v})`;
        case "boolean":
            return `${v}`;
        case "object":
            return "an object";
        default:
            return show(v);
    }
}

/** Example numbers by field name, where a plain 1 would mislead. */
const NUMBER_EXAMPLES: { [field: string]: number } = { internal: 80, external: 8080, port: 80, size: 24, attempts: 5 };

/** A short example of a value of `schema`: required keys only, one item per list. */
function example(raw: Schema, depth = 0, field = ""): string {
    const { schema } = resolve(raw);
    if (schema.enum) {
        return JSON.stringify(schema.enum[0]);
    }
    switch (schema.type) {
        case "string":
            return '"..."';
        case "number":
        case "integer":
            return String(NUMBER_EXAMPLES[field] ?? 1);
        case "boolean":
            return "true";
        case "array":
            return depth > 2 ? "[...]" : `[${example(schema.items ?? {}, depth + 1)}]`;
        case "object": {
            const req = schema.required ?? [];
            if (depth > 2 || req.length === 0) {
                return "{ ... }";
            }
            return `{ ${req.map((k) => `${k}: ${example(schema.properties?.[k] ?? {}, depth + 1, k)}`).join(", ")} }`;
        }
        default:
            return "...";
    }
}

function lastKey(path: string): string {
    return /([A-Za-z0-9_]+)(\[\d+\])*$/.exec(path)?.[1] ?? "";
}

function firstSentence(doc: string): string {
    const s = doc.split(/(?<!\be\.g\.|\bi\.e\.)(?<=[.;])\s/)[0].replace(/[.;]$/, "");
    return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}
