// The SSH private key only ever travels as a secret: it is marked secret in every resource that
// carries it (the host-script commands' connection) and appears nowhere else: not in a command
// text, a Docker resource, a provider, a component's inputs or outputs, a stack output, the
// offline plan's text or pictures, nor in the host scripts (which never receive it).
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Writable } from "stream";
import * as pulumi from "@pulumi/pulumi";
import { CrossHostRoutedPair, LinkedContainerPair, TopologySpec, deployTopology } from "../../components";
import { computedEnvProblem } from "../../components/spec";
import { scriptText } from "../../components/host/scripts";
import { Recorder, Registered, containsSecret, settle, valueOf } from "../support/mocks";
import type * as Mocks from "../support/mocks";
import type * as Cli from "../../stacks/cli";

// Shaped like a real ed25519 key; the body lines are what must never leak.
const BODY = [
    "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW",
    "QyNTUxOQAAACBkb2NrZXJuZXQtc2VjcmV0cy10ZXN0LW5ldmVyLWxlYWstbWUAAAAJmRu",
    "ZG9ja2VybmV0LXNlY3JldHMtdGVzdC1rZXktbWF0ZXJpYWwtMDAwMDAwMDAwMDAwMDAwMA==",
];
const KEY = `-----BEGIN OPENSSH PRIVATE KEY-----\n${BODY.join("\n")}\n-----END OPENSSH PRIVATE KEY-----\n`;

/** Where the key shows in a text, if anywhere (any body line, raw or JSON-escaped). */
function leak(text: string): string | undefined {
    const hit = BODY.find((line) => text.includes(line) || text.includes(line.slice(8, 40)));
    return hit === undefined
        ? undefined
        : `key material ${JSON.stringify(hit.slice(0, 16))}... in ${JSON.stringify(text.slice(Math.max(0, text.indexOf(hit) - 80), text.indexOf(hit) + 20))}`;
}

const topology = (): TopologySpec => ({
    hosts: [
        {
            name: "h1",
            ssh: {
                address: "192.168.100.200",
                privateKeyPath: "/root/.ssh/id_ed25519",
                knownHostsPath: "/root/.ssh/known_hosts",
            },
        },
        { name: "h2", ssh: { address: "192.168.100.201" } },
    ],
    bridges: [{ name: "appnet", host: "h1", subnet: "172.19.0.0/16", bridgeName: "br-appnet", connectTo: ["docker0"] }],
    links: [
        {
            name: "app-link",
            host: "h1",
            alias: "api",
            target: { name: "api_1", image: "lab/busybox:1", networks: [{ name: "appnet" }] },
            consumer: { name: "client_1", image: "lab/busybox:1", networks: [{ name: "appnet" }] },
        },
    ],
    sharedNamespaces: [
        {
            name: "app",
            host: "h2",
            primary: { name: "tomcat_app1", image: "lab/busybox:1" },
            sidecars: [{ name: "tomcat_log", image: "lab/busybox:1" }],
        },
    ],
    routedPairs: [
        {
            name: "seed",
            preserveSourceIp: true,
            hostA: {
                host: "h1",
                lanAddress: "192.168.100.200/24",
                bip: "172.17.0.1/16",
                containers: [{ name: "web_h1", image: "lab/busybox:1", ports: [{ internal: 80 }] }],
            },
            hostB: {
                host: "h2",
                lanAddress: "192.168.100.201/24",
                bip: "172.18.0.1/16",
                containers: [{ name: "web_h2", image: "lab/busybox:1", ports: [{ internal: 80 }] }],
            },
        },
    ],
    checks: [{ name: "api-check", host: "h1", from: "client_1", to: "api_1", port: 80 }],
});

/**
 * Every registered resource's inputs as JSON: as the engine receives them with every secret
 * replaced by a marker (the key may only ever be inside a secret); and, for Docker resources,
 * providers and commands, also unwrapped (they must not carry the key at all, secret or not),
 * without the one place the key belongs: a command's connection.privateKey.
 */
function everythingButTheConnectionKey(resources: Registered[]): { resource: string; leak: string | undefined }[] {
    return resources.map((r) => {
        const inputs = {
            ...r.inputs,
            connection: r.inputs.connection ? { ...r.inputs.connection, privateKey: "(checked apart)" } : undefined,
        };
        const mustBeClean = /^(docker:|pulumi:providers:|command:)/.test(r.type) ? JSON.stringify(inputs) : "";
        return {
            resource: `${r.type} ${r.name}`,
            leak: leak(`${JSON.stringify(redactSecrets(r.raw))} ${mustBeClean}`),
        };
    });
}

/** A raw input value with every secret (Pulumi marks the whole enclosing object) replaced by a marker. */
function redactSecrets(v: any): any {
    if (Array.isArray(v)) {
        return v.map(redactSecrets);
    }
    if (v && typeof v === "object") {
        const wrapper = "value" in v && Object.keys(v).length === 2 && containsSecret({ ...v, value: null });
        return wrapper ? "[secret]" : Object.fromEntries(Object.entries(v).map(([k, x]) => [k, redactSecrets(x)]));
    }
    return v;
}

/** Captures what components register as their outputs, to search it once resolved. */
function captureComponentOutputs(): { outputs: unknown[]; restore: () => void } {
    const outputs: unknown[] = [];
    const proto = pulumi.ComponentResource.prototype as unknown as { registerOutputs(o?: unknown): void };
    const original = proto.registerOutputs;
    proto.registerOutputs = function (this: pulumi.ComponentResource, o?: unknown) {
        outputs.push(o);
        return original.call(this, o);
    };
    return { outputs, restore: () => (proto.registerOutputs = original) };
}

/** Resolves a value with Outputs inside to JSON text (unknowns, in preview, are left out). */
async function resolvedText(v: unknown): Promise<string> {
    return JSON.stringify((await valueOf(pulumi.output(v as pulumi.Input<unknown>))) ?? null);
}

describe.each([false, true])("the key under mocks (preview=%s)", (preview) => {
    const rec = new Recorder();
    beforeEach(async () => rec.install(preview));
    afterEach(settle);

    test("a topology: the key is secret in every connection and absent from everything else", async () => {
        const captured = captureComponentOutputs();
        try {
            const deployed = deployTopology(topology(), pulumi.secret(KEY));
            await settle();
            const commands = rec.ofType("command:remote:Command");
            expect(commands.length).toBeGreaterThanOrEqual(8); // bip, routes, firewall x2, connect, probes
            for (const c of commands) {
                expect({ name: c.name, secret: containsSecret(c.raw.connection) }).toEqual({
                    name: c.name,
                    secret: true,
                });
                expect({ name: c.name, key: c.inputs.connection.privateKey === KEY }).toEqual({
                    name: c.name,
                    key: true,
                });
                for (const part of ["create", "delete"]) {
                    expect(leak(String(c.inputs[part] ?? ""))).toBeUndefined();
                }
            }
            for (const found of everythingButTheConnectionKey(rec.resources)) {
                expect(found).toEqual({ resource: found.resource, leak: undefined });
            }
            expect(rec.resources.some((r) => r.type === "pulumi:providers:docker")).toBe(true);
            for (const o of captured.outputs) {
                expect(leak(await resolvedText(o))).toBeUndefined();
            }
            // What a stack would export: every public output of every component.
            for (const group of [
                deployed.bridges,
                deployed.links,
                deployed.sharedNamespaces,
                deployed.routedPairs,
                deployed.checks,
            ]) {
                for (const component of Object.values(group as Record<string, object>)) {
                    const fields = Object.fromEntries(
                        Object.entries(component).filter(([, v]) => pulumi.Output.isInstance(v)),
                    );
                    expect(leak(await resolvedText(fields))).toBeUndefined();
                }
            }
        } finally {
            captured.restore();
        }
    });

    test("no stack key: each SSH host's own privateKeyPath is its scripts' key, read at deployment and kept secret; an unreadable one stops the stack by its field", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dockernet-hostkey-"));
        try {
            const keyFile = path.join(dir, "id_ed25519");
            fs.writeFileSync(keyFile, KEY);
            const t = topology();
            t.hosts.forEach((h) => (h.ssh!.privateKeyPath = keyFile));
            deployTopology(t, undefined);
            await settle();
            const commands = rec.ofType("command:remote:Command");
            expect(commands.length).toBeGreaterThanOrEqual(8);
            for (const c of commands) {
                expect({
                    name: c.name,
                    secret: containsSecret(c.raw.connection),
                    key: c.inputs.connection.privateKey === KEY,
                }).toEqual({ name: c.name, secret: true, key: true });
            }
            for (const found of everythingButTheConnectionKey(rec.resources)) {
                expect(found).toEqual({ resource: found.resource, leak: undefined });
            }
            const missing = topology();
            missing.hosts.forEach((h) => (h.ssh!.privateKeyPath = path.join(dir, "nowhere")));
            expect(() => deployTopology(missing, undefined)).toThrow(
                `hosts[0].ssh.privateKeyPath ${JSON.stringify(path.join(dir, "nowhere"))} cannot be read (ENOENT); give the path of the host's private key file, readable by whoever runs Pulumi`,
            );
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    test("a secret and a computed env value: the container's envs are secret, the value reaches it and nothing else; a bad computed value is refused by its key, never shown", async () => {
        const DB = "db-pass-never-leak-7f3a9c";
        new LinkedContainerPair("envs", {
            host: { name: "h1", local: {} },
            target: {
                name: "api_1",
                image: "lab/busybox:1",
                env: { DB_PASSWORD: pulumi.secret(DB), TAG: pulumi.output("v1"), PLAIN: "x" },
            },
            consumer: { name: "client_1", image: "lab/busybox:1" },
            mode: "hosts",
        });
        await settle();
        const api = rec.ofType("docker:index/container:Container").find((c) => c.inputs.name === "api_1")!;
        expect(containsSecret(api.raw.envs)).toBe(preview ? containsSecret(api.raw.envs) : true);
        if (!preview) {
            expect([...api.inputs.envs].sort()).toEqual([`DB_PASSWORD=${DB}`, "PLAIN=x", "TAG=v1"]);
        }
        // Elsewhere (the component's own inputs) only inside a secret.
        for (const r of rec.resources.filter((x) => x !== api)) {
            expect({
                resource: `${r.type} ${r.name}`,
                leak: JSON.stringify(redactSecrets(r.raw)).includes(DB),
            }).toEqual({
                resource: `${r.type} ${r.name}`,
                leak: false,
            });
        }
        // Checked once known (the deployment fails with this, from inside the Output): the key, never the value.
        expect(computedEnvProblem("api_1", "DB_PASSWORD", `line1\n${DB}`)).toBe(
            'Invalid container "api_1":\n - env.DB_PASSWORD (a computed value) is not a string of at most 1024 characters without control characters (newline, NUL, ...); its value is not shown, as it may be a secret',
        );
        expect(computedEnvProblem("api_1", "DB_PASSWORD", DB)).toBeUndefined();
    });

    test("a key given as plain text is still kept only as a secret (command connections and component inputs)", async () => {
        new CrossHostRoutedPair("plain", {
            hostA: {
                host: { name: "h1", ssh: { address: "192.168.100.200", privateKey: KEY } },
                lanAddress: "192.168.100.200/24",
                bip: "172.17.0.1/16",
            },
            hostB: {
                host: { name: "h2", ssh: { address: "192.168.100.201", privateKey: KEY } },
                lanAddress: "192.168.100.201/24",
                bip: "172.18.0.1/16",
            },
        });
        await settle();
        const commands = rec.ofType("command:remote:Command");
        expect(commands).toHaveLength(6);
        for (const c of commands) {
            expect(containsSecret(c.raw.connection)).toBe(true);
        }
        for (const found of everythingButTheConnectionKey(rec.resources)) {
            expect(found).toEqual({ resource: found.resource, leak: undefined });
        }
    });
});

describe("the stack program (index.ts)", () => {
    test.each([
        ["dockernet:sshPrivateKey (a secret)", "secret"],
        ["dockernet:sshPrivateKeyPath (a key file)", "file"],
    ])("with %s: secret in every connection, absent from every stack output", async (_title, how) => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dockernet-secrets-"));
        try {
            const keyFile = path.join(dir, "id");
            fs.writeFileSync(keyFile, KEY, { mode: 0o600 });
            const t = topology();
            const config: Record<string, string> = {
                "dockernet:hosts": JSON.stringify(t.hosts),
                "dockernet:bridges": JSON.stringify(t.bridges),
                "dockernet:links": JSON.stringify(t.links),
                "dockernet:sharedNamespaces": JSON.stringify(t.sharedNamespaces),
                "dockernet:routedPairs": JSON.stringify(t.routedPairs),
                "dockernet:checks": JSON.stringify(t.checks),
                ...(how === "secret" ? { "dockernet:sshPrivateKey": KEY } : { "dockernet:sshPrivateKeyPath": keyFile }),
            };
            await jest.isolateModulesAsync(async () => {
                // The program's own module registry: its @pulumi/pulumi gets the mocks and the config.
                const isolated = (await import("@pulumi/pulumi")) as typeof pulumi;
                const mocks = (await import("../support/mocks")) as typeof Mocks;
                const rec = new mocks.Recorder();
                await rec.install(false);
                isolated.runtime.setAllConfig(config, how === "secret" ? ["dockernet:sshPrivateKey"] : []);
                const exported = (await import("../../index")) as Record<string, unknown>;
                await mocks.settle();
                const commands = rec.ofType("command:remote:Command");
                expect(commands.length).toBeGreaterThanOrEqual(8);
                for (const c of commands) {
                    expect({ name: c.name, secret: mocks.containsSecret(c.raw.connection) }).toEqual({
                        name: c.name,
                        secret: true,
                    });
                }
                for (const found of everythingButTheConnectionKey(rec.resources)) {
                    expect(found).toEqual({ resource: found.resource, leak: undefined });
                }
                expect(Object.keys(exported).sort()).toEqual([
                    "bridges",
                    "checks",
                    "containers",
                    "links",
                    "meshes",
                    "routedPairs",
                    "sharedNamespaces",
                    "swarms",
                ]);
                const text = JSON.stringify((await mocks.valueOf(isolated.output(exported as never))) ?? null);
                expect(text).toContain("172.18.0.0/16"); // the outputs were really resolved
                expect(leak(text)).toBeUndefined();
            });
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});

describe("the offline plan (npm run plan)", () => {
    /** Runs `plan --full` on a config file; returns what it printed and wrote, and the files it read. */
    async function planOf(
        configYaml: string,
        keyFile: string,
    ): Promise<{ code: number; printed: string; pictures: string; readKey: boolean }> {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dockernet-secrets-plan-"));
        const file = path.join(dir, "Pulumi.secrets.yaml");
        fs.writeFileSync(file, configYaml);
        let printed = "";
        const sink = () => new Writable({ write: (chunk, _enc, done) => ((printed += chunk.toString()), done()) });
        let readKey = false;
        const real = path.resolve(keyFile);
        const spies = (["readFileSync", "openSync", "createReadStream", "readFile"] as const).map((f) =>
            jest.spyOn(fs, f).mockImplementation(((...args: unknown[]) => {
                if (typeof args[0] === "string" && path.resolve(args[0]) === real) {
                    readKey = true;
                }
                return (jest.requireActual("fs") as Record<string, (...a: unknown[]) => unknown>)[f](...args);
            }) as never),
        );
        let code = -1;
        try {
            await jest.isolateModulesAsync(async () => {
                const { main } = (await import("../../stacks/cli")) as typeof Cli;
                code = await main(["plan", "--stack", "secrets", "--config-file", file, "--full", "--out-dir", dir], {
                    out: sink(),
                    err: sink(),
                });
            });
        } finally {
            spies.forEach((s) => s.mockRestore());
        }
        const pictures = fs
            .readdirSync(dir)
            .filter((f) => /\.(svg|mmd)$/.test(f))
            .map((f) => fs.readFileSync(path.join(dir, f), "utf8"))
            .join("\n");
        fs.rmSync(dir, { recursive: true, force: true });
        return { code, printed, pictures, readKey };
    }

    const yamlOf = (extra: string) => {
        const t = topology();
        return `config:\n${extra}${(["hosts", "bridges", "links", "sharedNamespaces", "routedPairs", "checks"] as const)
            .map((k) => `  dockernet:${k}: ${JSON.stringify(t[k])}\n`)
            .join("")}`;
    };

    test("with a key file: the plan never reads it, and never prints or draws key material", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dockernet-secrets-key-"));
        const keyFile = path.join(dir, "id");
        fs.writeFileSync(keyFile, KEY, { mode: 0o600 });
        try {
            const r = await planOf(yamlOf(`  dockernet:sshPrivateKeyPath: ${keyFile}\n`), keyFile);
            expect(r.printed).toContain("bip.sh");
            expect(r.code).toBe(0);
            expect(r.pictures).not.toBe("");
            expect(r.readKey).toBe(false);
            expect(leak(r.printed)).toBeUndefined();
            expect(leak(r.pictures)).toBeUndefined();
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    }, 60000);

    test("even with the key pasted in plain text into the config, the plan prints and draws none of it", async () => {
        const r = await planOf(yamlOf(`  dockernet:sshPrivateKey: ${JSON.stringify(KEY)}\n`), "/nonexistent/id");
        expect(r.code).toBe(0);
        expect(r.printed).toContain("bip.sh");
        expect(leak(r.printed)).toBeUndefined();
        expect(leak(r.pictures)).toBeUndefined();
        expect(r.printed).toContain("note: dockernet:sshPrivateKey is in plain text in");
    }, 60000);
});

test("the stack program warns when the key is in the config as plain text, and not when it is a secret", async () => {
    for (const secret of [false, true]) {
        await jest.isolateModulesAsync(async () => {
            const isolated = (await import("@pulumi/pulumi")) as typeof pulumi;
            const mocks = (await import("../support/mocks")) as typeof Mocks;
            await new mocks.Recorder().install(false);
            isolated.runtime.setAllConfig(
                {
                    "dockernet:hosts": JSON.stringify([{ name: "h1", ssh: { address: "192.168.100.200" } }]),
                    "dockernet:sshPrivateKey": KEY,
                },
                secret ? ["dockernet:sshPrivateKey"] : [],
            );
            const warnings: string[] = [];
            const spy = jest.spyOn(isolated.log, "warn").mockImplementation(async (m: string) => void warnings.push(m));
            await import("../../index");
            await mocks.settle();
            spy.mockRestore();
            expect({
                secret,
                warned: warnings.some((w) => w.startsWith("dockernet:sshPrivateKey is stored in plain text")),
            }).toEqual({ secret, warned: !secret });
            expect(leak(warnings.join("\n"))).toBeUndefined();
        });
    }
});

describe("the host scripts", () => {
    test.each(["bip", "routes", "firewall", "probe", "swarm"])(
        "%s.sh never touches private key material (it never receives it)",
        (script) => {
            const text = scriptText(script);
            expect(text).not.toMatch(
                /PRIVATE KEY|private.?key|id_(rsa|ed25519|ecdsa|dsa)\b|\.ssh\/|ssh-agent|SSH_AUTH_SOCK|identity/i,
            );
            expect(leak(text)).toBeUndefined();
        },
    );
});
