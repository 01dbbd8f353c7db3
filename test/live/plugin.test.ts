// dockernet for every Pulumi language (issue 28), proven on real hosts: the plugin (provider/index.ts,
// started as Pulumi's nodejs language host starts it) is asked over gRPC to construct a
// CrossHostRoutedPair, as the engine asks it when a Python, Go, C# or YAML program declares one.
// The test engine serves the resource monitor, so every resource the plugin registers is applied for
// real: afterwards each host routes to the other's container subnet and the containers answer each
// other, and the SSH key, sent as a secret, was a secret in every registration.
import * as fs from "fs";
import { Engine } from "../support/engine";
import { inContainer, lab, labHost, onHost, snapshot } from "../support/lab";
import { Plugin, Secret, isWireSecret } from "../support/plugin";

const IMAGE = "lab/busybox:1";
const web = (name: string) => ({
    name,
    image: IMAGE,
    command: ["httpd", "-f", "-p", "80", "-h", "/www"],
    ports: [{ internal: 80 }],
});

/** A lab host as another language's program declares it: plain data, the key text a secret. */
function host(name: string) {
    const h = labHost(name);
    return {
        name,
        ssh: {
            address: h.lanAddress,
            port: h.sshPort,
            user: h.user,
            privateKey: new Secret(fs.readFileSync(lab().privateKeyPath, "utf8")),
            privateKeyPath: lab().privateKeyPath,
            knownHostsPath: lab().knownHostsPath,
        },
    };
}

/** What a registration's inputs hold once every secret in them is taken out. */
function withoutSecrets(v: unknown): unknown {
    if (Array.isArray(v)) {
        return v.map(withoutSecrets);
    }
    if (v && typeof v === "object") {
        return isWireSecret(v)
            ? "[secret]"
            : Object.fromEntries(Object.entries(v).map(([k, x]) => [k, withoutSecrets(x)]));
    }
    return v;
}

describe("the plugin constructs a CrossHostRoutedPair over gRPC, applied for real (lab h1 + h2)", () => {
    const engine = new Engine();
    const plugin = new Plugin();
    const before: Record<string, Awaited<ReturnType<typeof snapshot>>> = {};

    beforeAll(async () => {
        for (const h of ["h1", "h2"]) {
            before[h] = await snapshot(h);
        }
        await plugin.start();
    }, 180000);

    afterAll(async () => {
        await engine.destroy().catch(() => undefined);
        engine.dispose();
        await plugin.stop();
    }, 300000);

    test("Construct: the component's URN and outputs come back; routes in place; ping and HTTP both ways; the key a secret in every registration", async () => {
        expect((await plugin.configure()).acceptOutputs).toBe(true);
        const inputs = {
            hostA: {
                host: host("h1"),
                lanAddress: "192.168.100.200/24",
                bip: "172.17.0.1/16",
                containers: [web("web_h1")],
            },
            hostB: {
                host: host("h2"),
                lanAddress: "192.168.100.201/24",
                bip: "172.18.0.1/16",
                containers: [web("web_h2")],
            },
        };
        const result = await engine.up(() =>
            plugin.construct("dockernet:index:CrossHostRoutedPair", "viaplugin", inputs, "dockernet", "live"),
        );
        console.log(
            `plugin: Construct returned ${result.urn} with ${JSON.stringify(result.state)}; ${plugin.registrations.length} registrations; engine ${JSON.stringify(engine.counts)}`,
        );

        expect(result.urn).toBe("urn:pulumi:live::dockernet::dockernet:index:CrossHostRoutedPair::viaplugin");
        expect(Object.keys(result.state.addresses).sort()).toEqual(["web_h1", "web_h2"]);
        expect(result.state.subnets).toEqual({ h1: "172.17.0.0/16", h2: "172.18.0.0/16" });
        expect(engine.counts.created).toBeGreaterThan(0);
        expect(plugin.logs.filter((l) => l.severity >= 3)).toEqual([]); // no error logged

        expect(await onHost("h1", "ip -4 route show 172.18.0.0/16")).toMatch(
            /^172\.18\.0\.0\/16 via 192\.168\.100\.201 /,
        );
        expect(await onHost("h2", "ip -4 route show 172.17.0.0/16")).toMatch(
            /^172\.17\.0\.0\/16 via 192\.168\.100\.200 /,
        );
        for (const [from, to] of [
            ["h1", "h2"],
            ["h2", "h1"],
        ]) {
            const ip = result.state.addresses[`web_${to}`];
            expect({ from, to, ping: (await inContainer(from, `web_${from}`, `ping -c 1 -W 2 ${ip}`)).code }).toEqual({
                from,
                to,
                ping: 0,
            });
            const http = await inContainer(from, `web_${from}`, `timeout 5 wget -q -O - http://${ip}/`);
            expect({ from, to, http: http.stdout.trim() }).toEqual({ from, to, http: `hello from ${to}` });
        }

        const keyLine = fs.readFileSync(lab().privateKeyPath, "utf8").split("\n")[1];
        expect(keyLine.length).toBeGreaterThan(20);
        const commands = plugin.registrations.filter((r) => r.type === "command:remote:Command");
        expect(commands.length).toBeGreaterThan(0);
        expect(JSON.stringify(plugin.registrations)).toContain(keyLine); // it was sent ...
        expect(JSON.stringify(plugin.registrations.map((r) => withoutSecrets(r.object)))).not.toContain(keyLine); // ... only as a secret
    }, 300000);

    test("destroy: both hosts as before", async () => {
        await engine.destroy();
        for (const h of ["h1", "h2"]) {
            expect({ h, ...(await snapshot(h)) }).toEqual({ h, ...before[h] });
        }
    }, 300000);
});
