// Stack config of the wrong shape fails before any resource exists, with a message naming the
// key: read directly (topologyFromConfig) and when the stack program runs through the plan.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { topologyFromConfig } from "../../components";
import type * as Plan from "../../stacks/plan";
import { messageOf } from "../support/mocks";

const ROOT = path.join(__dirname, "..", "..");

/** The problem lines of a validation message (its first line names the stack, which differs). */
function problems(message: string): string[] {
    return message.split("\n").filter((l) => l.startsWith(" - "));
}

/** Runs the stack program through the plan with a config file holding `config`; resolves to the error text. */
async function planError(config: string): Promise<string> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dockernet-config-"));
    const file = path.join(dir, "Pulumi.broken.yaml");
    fs.writeFileSync(file, config);
    let message = "";
    await jest.isolateModulesAsync(async () => {
        const { planStack, PlanError } = (await import("../../stacks/plan")) as typeof Plan;
        try {
            await planStack({ root: ROOT, stack: "broken", configFile: file });
        } catch (e) {
            expect(e).toBeInstanceOf(PlanError);
            message = (e as Error).message;
        }
    });
    fs.rmSync(dir, { recursive: true, force: true });
    return message;
}

const CASES: { title: string; raw: { [key: string]: string }; yaml: string; expected: string[] }[] = [
    {
        title: "dockernet:hosts as a string",
        raw: { "dockernet:hosts": "local" },
        yaml: "config:\n  dockernet:hosts: local\n",
        expected: ['config dockernet:hosts must be a list (YAML sequence), got "local"'],
    },
    {
        title: "dockernet:hosts as a mapping",
        raw: { "dockernet:hosts": JSON.stringify({ name: "local", local: {} }) },
        yaml: "config:\n  dockernet:hosts:\n    name: local\n    local: {}\n",
        expected: ["config dockernet:hosts must be a list (YAML sequence), got object"],
    },
    {
        title: "dockernet:hosts missing",
        raw: { "dockernet:bridges": "[]" },
        yaml: "config:\n  dockernet:bridges: []\n",
        expected: ["config dockernet:hosts is missing; it is required"],
    },
    {
        title: "a key dockernet does not know, beside a list given as a number",
        raw: { "dockernet:hosts": '[{"name":"local","local":{}}]', "dockernet:host": "[]", "dockernet:links": "3" },
        yaml: "config:\n  dockernet:hosts:\n    - { name: local, local: {} }\n  dockernet:host: []\n  dockernet:links: 3\n",
        expected: [
            "config dockernet:host is not a dockernet setting; did you mean dockernet:hosts? use one of: dockernet:bridges,",
            "config dockernet:links must be a list (YAML sequence), got number",
        ],
    },
];

describe.each(CASES)("config: $title", ({ raw, yaml, expected }) => {
    test("topologyFromConfig fails naming the key", () => {
        const message = messageOf(() => topologyFromConfig(raw));
        expect(message).toMatch(/^Invalid stack configuration "[^"]*":\n/);
        for (const e of expected) {
            expect(message).toContain(e);
        }
    });

    test("the stack program, run through the plan, fails the same way", async () => {
        const viaPlan = await planError(yaml);
        expect(viaPlan).toContain('Invalid stack configuration "broken":');
        expect(problems(viaPlan)).toEqual(problems(messageOf(() => topologyFromConfig(raw))));
    }, 30000);
});

test("a well-formed config reads back as the topology", () => {
    const t = topologyFromConfig({
        "dockernet:hosts": '[{"name":"local","local":{}}]',
        "dockernet:sshPrivateKeyPath": "/k",
        "other:key": "ignored",
    });
    // The key settings are the program's (index.ts reads them); the topology is the rest.
    expect(t).toEqual({ hosts: [{ name: "local", local: {} }] });
});
