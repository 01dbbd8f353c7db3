// Names that last: every resource the dev, lab, lab-mesh and prod stacks register, by type, name, parent and
// aliases, is pinned in test/unit/golden/. A refactor that moves a URN (a renamed child, a new
// parent, another type token) would make `pulumi up` replace containers and rerun host scripts,
// so it fails here; a move that is meant ships `aliases` for the old URNs, and the golden file
// shows them (the components moved under the Topology component carry "alias: no parent").
// DOCKERNET_UPDATE_GOLDEN=1 rewrites the files. The same run checks that what the program
// registers is exactly what planTopology planned (the offline plan and the picture print that
// plan): the only place the mocks meet the planner.
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { topologyFromConfig } from "../../components";
import { planTopology } from "../../components/topologyPlan";
import { loadStackConfig } from "../../stacks/plan";
import { captureRequests, Recorder, settle } from "../support/mocks";

const ROOT = path.join(__dirname, "..", "..");

async function namesOf(stack: string): Promise<{ names: string; registered: string[]; planned: string[] }> {
    const rec = new Recorder();
    await rec.install(true);
    const parents = new Map<string, string | undefined>();
    const aliases = new Map<string, string[]>();
    captureRequests((key, options) => {
        parents.set(key, options.parent);
        aliases.set(key, options.aliases ?? []);
    });
    const cfg = loadStackConfig(ROOT, stack);
    if (cfg.values["dockernet:sshPrivateKey"] === undefined) {
        cfg.values["dockernet:sshPrivateKey"] = "placeholder";
        cfg.secretKeys.push("dockernet:sshPrivateKey");
    }
    delete cfg.values["dockernet:sshPrivateKeyPath"];
    pulumi.runtime.setAllConfig(cfg.values, cfg.secretKeys);
    jest.isolateModules(() => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- a Pulumi program runs when it is loaded
        require(path.join(ROOT, "index"));
    });
    await settle();
    await new Promise((r) => setTimeout(r, 50));
    await settle();
    const lines = rec.resources.map((r) => {
        const parent = parents.get(`${r.type}::${r.name}`);
        const parentName = parent ? parent.slice(parent.lastIndexOf("::") + 2) : "(stack)";
        const parentType = parent ? parent.split("::")[2].split("$").pop() : "";
        const was = aliases.get(`${r.type}::${r.name}`) ?? [];
        return `${r.type} ${r.name} <- ${parentType ? `${parentType} ` : ""}${parentName}${was.length ? `  (alias: ${was.join("; ")})` : ""}`;
    });
    const planned = planTopology(topologyFromConfig(cfg.values, stack), stack).resources.map(
        (r) => `${r.type} ${r.name}`,
    );
    return {
        names: `${[...new Set(lines)].sort().join("\n")}\n`,
        // The Topology component itself is the deployment's, not the plan's.
        registered: rec.resources
            .filter((r) => r.type !== "dockernet:index:Topology")
            .map((r) => `${r.type} ${r.name}`)
            .sort(),
        planned: planned.sort(),
    };
}

describe.each(["dev", "lab", "lab-mesh", "lab-swarm", "prod"])("resource names of stack %s", (stack) => {
    test("every type, name and parent is as pinned, and they are exactly the planned resources", async () => {
        const file = path.join(__dirname, "golden", `names-${stack}.txt`);
        const { names, registered, planned } = await namesOf(stack);
        if (process.env.DOCKERNET_UPDATE_GOLDEN === "1") {
            fs.mkdirSync(path.dirname(file), { recursive: true });
            fs.writeFileSync(file, names);
        }
        expect(names.split("\n").length).toBeGreaterThan(15);
        expect(names).toBe(fs.readFileSync(file, "utf8"));
        // One to one: every planned resource is registered, and nothing else is.
        expect(registered).toEqual(planned);
    }, 60000);
});
