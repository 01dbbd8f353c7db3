// dockernet for every Pulumi language (issue 28): Pulumi's component analyzer (the SDK's
// `ComponentProvider`, which `pulumi package add` runs through provider/index.ts) reads every public
// component off its class, and the package schema it makes is the checked-in golden copy
// (provider/schema.json: a change to any component's arguments shows in review) and follows the
// rules of Pulumi's package schema. DOCKERNET_UPDATE_GOLDEN=1 rewrites the golden copy.
import * as fs from "fs";
import * as path from "path";
import { DockernetProvider, PACKAGE_COMPONENTS } from "../../provider/package";
import { schemaProblems } from "../support/packageSchema";
import { Plugin } from "../support/plugin";

const GOLDEN = path.join(__dirname, "..", "..", "provider", "schema.json");

describe("the package schema Pulumi's component analyzer makes of dockernet", () => {
    let schema: any;
    let text = "";

    beforeAll(async () => {
        schema = JSON.parse(await new DockernetProvider().getSchema());
        text = `${JSON.stringify(schema, null, 2)}\n`;
        if (process.env.DOCKERNET_UPDATE_GOLDEN === "1") {
            fs.writeFileSync(GOLDEN, text);
        }
    }, 120000);

    test("every public component is in it, as a component resource", () => {
        expect(Object.keys(schema.resources).sort()).toEqual(
            PACKAGE_COMPONENTS.map((c) => `dockernet:index:${c.name}`).sort(),
        );
        for (const r of Object.values<any>(schema.resources)) {
            expect(r.isComponent).toBe(true);
        }
        expect(PACKAGE_COMPONENTS).toHaveLength(9);
    });

    test("it is the checked-in golden copy (provider/schema.json)", () => {
        expect(text).toBe(fs.readFileSync(GOLDEN, "utf8"));
    });

    test("it follows the package schema's rules: names, tokens, types, required lists, references", () => {
        expect(schemaProblems(schema)).toEqual([]);
    });

    test("the rules catch what breaks them (a control: a dangling reference, an unknown key, a required input not declared, an enum value of another type)", () => {
        const broken = JSON.parse(text);
        const pair = broken.resources["dockernet:index:CrossHostRoutedPair"];
        pair.inputProperties.hostA.$ref = "#/types/dockernet:index:Nowhere";
        pair.inputProperties.verify.optional = true;
        pair.requiredInputs.push("hostC");
        broken.types["dockernet:index:Protocol"].enum[0].value = 6;
        expect(schemaProblems(broken)).toEqual([
            '$.resources["dockernet:index:CrossHostRoutedPair"].inputProperties.hostA: $ref #/types/dockernet:index:Nowhere names no type of this schema',
            '$.resources["dockernet:index:CrossHostRoutedPair"].inputProperties.verify: unknown key "optional"',
            '$.resources["dockernet:index:CrossHostRoutedPair"].requiredInputs: names hostC, which is not declared',
            '$.types["dockernet:index:Protocol"].enum[0]: value 6 is not a string',
        ]);
    });

    test("the choices are enums with their values, and TypeScript's string values are those values", () => {
        const enums = Object.fromEntries(
            Object.entries<any>(schema.types)
                .filter(([, t]) => t.enum)
                .map(([token, t]) => [token.split(":")[2], t.enum.map((m: { value: string }) => m.value)]),
        );
        expect(enums).toEqual({
            Protocol: ["tcp", "udp"],
            RestartPolicy: ["no", "on-failure", "always", "unless-stopped"],
            NetworkMode: ["bridge", "host", "none", "custom"],
            LinkMode: ["dns", "hosts"],
            Expectation: ["reachable", "isolated"],
            SwarmRole: ["manager", "worker"],
        });
    });
});

describe("the plugin, started as Pulumi's nodejs language host starts it (PulumiPlugin.yaml's main, TypeScript on the fly)", () => {
    const plugin = new Plugin();
    afterAll(() => plugin.stop(), 30000);

    test("prints its port, answers GetSchema with the golden schema and Configure taking secrets, resources and output values", async () => {
        await plugin.start();
        expect(await plugin.schema()).toEqual(JSON.parse(fs.readFileSync(GOLDEN, "utf8")));
        expect(await plugin.configure()).toEqual({ acceptSecrets: true, acceptResources: true, acceptOutputs: true });
        expect(plugin.stderr).toBe("");
    }, 180000);
});
