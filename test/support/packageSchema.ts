// The rules of a Pulumi package schema that the component analyzer's output must follow, written
// from Pulumi's documentation of the schema (pulumi.com/docs/iac/build-with-pulumi/schema): the
// keys each object may have, type tokens, property types, `$ref` targets that resolve (in this
// schema, in Pulumi's built-in types, or in a declared dependency's schema at its version), required
// lists that name declared properties, and enum values of the enum's type. Pulumi's metaschema
// (pulumi/pulumi pkg/codegen/schema/pulumi.json) is not installable from the registries CI uses, so
// these rules, checked against its text (keys, the token and version patterns, the reference forms),
// stand in for it; they are stricter in one way: no key the metaschema does not describe.

const TOP_KEYS = new Set([
    "name",
    "displayName",
    "version",
    "description",
    "keywords",
    "homepage",
    "license",
    "attribution",
    "repository",
    "logoUrl",
    "pluginDownloadURL",
    "configurationDocsUrl",
    "validateCredentialsOnNew",
    "publisher",
    "namespace",
    "meta",
    "allowedPackageNames",
    "language",
    "config",
    "types",
    "provider",
    "resources",
    "functions",
    "parameterization",
    "dependencies",
]);
const RESOURCE_KEYS = new Set([
    "description",
    "properties",
    "required",
    "type",
    "inputProperties",
    "requiredInputs",
    "stateInputs",
    "listInputs",
    "aliases",
    "deprecationMessage",
    "isComponent",
    "methods",
    "isOverlay",
    "overlaySupportedLanguages",
    "language",
]);
const OBJECT_TYPE_KEYS = new Set([
    "description",
    "properties",
    "required",
    "type",
    "language",
    "isOverlay",
    "overlaySupportedLanguages",
]);
const ENUM_TYPE_KEYS = new Set(["description", "enum", "type", "language", "isOverlay", "overlaySupportedLanguages"]);
const PROPERTY_KEYS = new Set([
    "type",
    "items",
    "additionalProperties",
    "$ref",
    "oneOf",
    "discriminator",
    "plain",
    "description",
    "const",
    "default",
    "defaultInfo",
    "deprecationMessage",
    "language",
    "secret",
    "replaceOnChanges",
    "willReplaceOnChanges",
]);
const PRIMITIVES = new Set(["boolean", "integer", "number", "string", "array", "object"]);
const BUILTIN_REFS = new Set(["pulumi.json#/Any", "pulumi.json#/Archive", "pulumi.json#/Asset", "pulumi.json#/Json"]);
const NAME = /^[a-zA-Z][-a-zA-Z0-9_]*$/;
const TOKEN = /^[a-zA-Z][-a-zA-Z0-9_]*:([^0-9][a-zA-Z0-9._/-]*)?:[^0-9][a-zA-Z0-9._/-]*$/;
const SEMVER = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

/** Every way `schema` breaks the rules, one line each with its JSON path; empty when it follows them. */
export function schemaProblems(schema: any): string[] {
    const problems: string[] = [];
    const say = (where: string, what: string) => problems.push(`${where}: ${what}`);
    const keys = (where: string, o: object, allowed: Set<string>) =>
        Object.keys(o)
            .filter((k) => !allowed.has(k))
            .forEach((k) => say(where, `unknown key ${JSON.stringify(k)}`));
    const deps = new Map<string, string>(
        ((schema.dependencies ?? []) as { name: string; version: string }[]).map((d) => [d.name, d.version]),
    );

    keys("$", schema, TOP_KEYS);
    if (!NAME.test(schema.name ?? "")) say("$.name", `${JSON.stringify(schema.name)} is not a package name`);
    if (schema.version !== undefined && !SEMVER.test(schema.version))
        say("$.version", `${JSON.stringify(schema.version)} is not a semantic version`);

    const ref = (where: string, target: string): void => {
        if (BUILTIN_REFS.has(target)) return;
        const local = /^#\/types\/(.+)$/.exec(target);
        if (local) {
            if (!schema.types?.[local[1]]) say(where, `$ref ${target} names no type of this schema`);
            return;
        }
        const external = /^(?:https?:\/\/[^#]*)?\/([^/]+)\/v([^/]+)\/schema\.json#\/(resources|types)\/(.+)$/.exec(
            target,
        );
        if (!external) {
            say(
                where,
                `$ref ${target} is neither a type of this schema, a built-in type, nor a dependency's resource or type`,
            );
            return;
        }
        const [, pkg, version, , token] = external;
        if (deps.get(pkg) !== version) say(where, `$ref ${target} names ${pkg} v${version}, not a declared dependency`);
        if (!TOKEN.test(decodeURIComponent(token)) || !decodeURIComponent(token).startsWith(`${pkg}:`))
            say(where, `$ref ${target}: ${decodeURIComponent(token)} is not a token of ${pkg}`);
    };
    const property = (where: string, p: any): void => {
        if (!p || typeof p !== "object") {
            say(where, "is not a property definition");
            return;
        }
        keys(where, p, PROPERTY_KEYS);
        const kinds = ["type", "$ref", "oneOf"].filter((k) => p[k] !== undefined);
        if (kinds.length !== 1)
            say(where, `has ${kinds.join(" and ") || "none"} of type, $ref and oneOf; it needs exactly one`);
        if (p.$ref !== undefined) ref(where, p.$ref);
        if (p.type !== undefined && !PRIMITIVES.has(p.type))
            say(where, `type ${JSON.stringify(p.type)} is not one of ${[...PRIMITIVES].join(", ")}`);
        if (p.type === "array" && p.items) property(`${where}.items`, p.items);
        if (p.type === "array" && !p.items) say(where, "is an array with no items");
        if (p.type !== "array" && p.items !== undefined) say(where, `has items but type ${p.type}`);
        if (p.additionalProperties !== undefined && p.type === "object")
            property(`${where}.additionalProperties`, p.additionalProperties);
        if (p.additionalProperties !== undefined && p.type !== "object")
            say(where, `has additionalProperties but type ${p.type}`);
        (p.oneOf ?? []).forEach((o: any, i: number) => property(`${where}.oneOf[${i}]`, o));
    };
    const properties = (where: string, props: any, required: any, requiredKey: string) => {
        for (const [k, p] of Object.entries(props ?? {})) property(`${where}.${k}`, p);
        for (const k of required ?? [])
            if (!(k in (props ?? {})))
                say(`${where.replace(/\.[^.]+$/, "")}.${requiredKey}`, `names ${k}, which is not declared`);
    };

    for (const [token, r] of Object.entries<any>(schema.resources ?? {})) {
        const where = `$.resources[${JSON.stringify(token)}]`;
        if (!TOKEN.test(token) || !token.startsWith(`${schema.name}:`))
            say(where, `${token} is not a resource token of ${schema.name}`);
        keys(where, r, RESOURCE_KEYS);
        properties(`${where}.inputProperties`, r.inputProperties, r.requiredInputs, "requiredInputs");
        properties(`${where}.properties`, r.properties, r.required, "required");
    }
    for (const [token, t] of Object.entries<any>(schema.types ?? {})) {
        const where = `$.types[${JSON.stringify(token)}]`;
        if (!TOKEN.test(token) || !token.startsWith(`${schema.name}:`))
            say(where, `${token} is not a type token of ${schema.name}`);
        if (t.enum !== undefined) {
            keys(where, t, ENUM_TYPE_KEYS);
            if (!["string", "integer", "number", "boolean"].includes(t.type))
                say(where, `an enum of type ${JSON.stringify(t.type)}`);
            const js = t.type === "integer" ? "number" : t.type;
            (t.enum as any[]).forEach((m, i) => {
                keys(`${where}.enum[${i}]`, m, new Set(["name", "value", "description", "deprecationMessage"]));
                if (typeof m.value !== js)
                    say(`${where}.enum[${i}]`, `value ${JSON.stringify(m.value)} is not a ${t.type}`);
                if (m.name !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(m.name))
                    say(`${where}.enum[${i}]`, `name ${JSON.stringify(m.name)} is not an identifier`);
            });
        } else {
            keys(where, t, OBJECT_TYPE_KEYS);
            if (t.type !== "object") say(where, `type ${JSON.stringify(t.type)}: a type is an object or an enum`);
            properties(`${where}.properties`, t.properties, t.required, "required");
        }
    }
    return problems;
}
