// The offline plan of the real stacks (stacks/Pulumi.dev.yaml, stacks/Pulumi.lab.yaml): the stack
// program itself runs under recording mocks, and the plan shows per host the Docker objects and
// the exact host-script calls, and draws every host, bridge and container. It starts no process
// and opens no connection, so it needs no `pulumi` on PATH.
import { routesTag } from "../../components/crossHostRoutedPair";
import * as child_process from "child_process";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { scriptCommand, scriptText } from "../../components/host/scripts";
import type * as Plan from "../../stacks/plan";
import type * as Picture from "../../stacks/picture";

const ROOT = path.join(__dirname, "..", "..");

interface Planned {
    plan: Plan.StackPlan;
    text: string;
    full: string;
    svg: string;
    mermaid: string;
    /** Processes started and connections opened while planning. */
    touched: string[];
}

/** Plans a stack in a module registry of its own (the program runs once per load, like under Pulumi). */
async function planOf(stack: string, configFile?: string): Promise<Planned> {
    let result: Planned | undefined;
    const touched: string[] = [];
    const spies = [
        ...(["spawn", "spawnSync", "exec", "execSync", "execFile", "execFileSync", "fork"] as const).map((f) =>
            jest.spyOn(child_process, f).mockImplementation(((...args: unknown[]) => {
                touched.push(`${f} ${String(args[0])}`);
                throw new Error(`the plan must not start processes (${f} ${String(args[0])})`);
            }) as never),
        ),
        jest.spyOn(net.Socket.prototype, "connect").mockImplementation(function (this: net.Socket, ...args: unknown[]) {
            touched.push(`connect ${JSON.stringify(args[0])}`);
            throw new Error("the plan must not open connections");
        } as never),
    ];
    const savedPath = process.env.PATH;
    process.env.PATH = withoutPulumi(savedPath ?? "");
    try {
        await jest.isolateModulesAsync(async () => {
            const { planStack, formatPlan } = (await import("../../stacks/plan")) as typeof Plan;
            const { renderSvg, renderMermaid } = (await import("../../stacks/picture")) as typeof Picture;
            const plan = await planStack({ root: ROOT, stack, configFile });
            result = {
                plan,
                text: formatPlan(plan),
                full: formatPlan(plan, true),
                svg: renderSvg(plan),
                mermaid: renderMermaid(plan),
                touched,
            };
        });
    } finally {
        process.env.PATH = savedPath;
        spies.forEach((s) => s.mockRestore());
    }
    return result!;
}

/** PATH without any directory that holds a `pulumi`. */
function withoutPulumi(p: string): string {
    return p
        .split(path.delimiter)
        .filter((d) => d && !fs.existsSync(path.join(d, "pulumi")))
        .join(path.delimiter);
}

/** True when an SVG text element shows `name` as a word of its own. */
function drawn(svg: string, name: string): boolean {
    return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].some((m) => m[1].split(/[\s·(),]+/).includes(name));
}

/** The section of the plan text for one host. */
function hostSection(text: string, host: string): string {
    const start = text.indexOf(`\nhost ${host}  (`);
    expect(start).toBeGreaterThanOrEqual(0);
    const next = text.slice(start + 1).search(/\n(host |links and checks)/);
    return next < 0 ? text.slice(start) : text.slice(start, start + 1 + next);
}

/** Every host, bridge and container name a stack file declares, read straight from its YAML. */
function declaredNames(stack: string): { hosts: string[]; bridges: string[]; containers: string[] } {
    const doc = yaml.load(fs.readFileSync(path.join(ROOT, "stacks", `Pulumi.${stack}.yaml`), "utf8")) as {
        config: Record<string, any[]>;
    };
    const c = doc.config;
    const containers = [
        ...(c["dockernet:links"] ?? []).flatMap((l) => [
            l.target.name,
            ...(l.consumer ? [l.consumer.name] : []),
            ...(l.consumers ?? []).map((x: { container: { name: string } }) => x.container.name),
        ]),
        ...(c["dockernet:containers"] ?? []).map((x) => x.name),
        ...(c["dockernet:sharedNamespaces"] ?? []).flatMap((s) => [
            s.primary.name,
            ...s.sidecars.map((x: { name: string }) => x.name),
        ]),
        ...(c["dockernet:routedPairs"] ?? []).flatMap((p) =>
            [...(p.hostA.containers ?? []), ...(p.hostB.containers ?? [])].map((x: { name: string }) => x.name),
        ),
    ];
    const bridges = [
        ...(c["dockernet:bridges"] ?? []).flatMap((b) => [b.name, ...(b.bridgeName ? [b.bridgeName] : [])]),
        // A dns link adds a network of its own unless its containers already share one.
        ...(c["dockernet:links"] ?? [])
            .filter((l) => (l.mode ?? "dns") === "dns")
            .filter(
                (l) =>
                    l.networkName ||
                    l.subnet ||
                    !(l.target.networks ?? []).some((n: { name: string }) =>
                        (l.consumer?.networks ?? []).some((m: { name: string }) => m.name === n.name),
                    ),
            )
            .map((l) => l.networkName ?? `${l.name}-link`),
    ];
    return { hosts: (c["dockernet:hosts"] ?? []).map((h) => h.name), bridges, containers };
}

describe("offline plan of the dev stack", () => {
    let p: Planned;
    beforeAll(async () => {
        p = await planOf("dev");
    }, 60000);

    test("runs the stack program without starting a process or opening a connection", () => {
        expect(p.touched).toEqual([]);
        expect(p.plan.resources.some((r) => r.type === "dockernet:index:LinkedContainerPair")).toBe(true);
    });

    test("shows the local host's networks with subnet, gateway and bridge name", () => {
        const local = hostSection(p.text, "local");
        expect(local).toContain("(unix:///var/run/docker.sock)");
        expect(local).toMatch(/mynetwork +bridge br-mynetwork {2}subnet 172\.19\.0\.0\/16 {2}gateway 172\.19\.0\.1/);
        expect(local).toContain("docker0                Docker's default bridge (bip left as it is)");
    });

    test("shows containers with image, network mode, networks and aliases, ports and /etc/hosts lines", () => {
        const local = hostSection(p.text, "local");
        // The seed's two --link consumers of one nginx_web1: by name, and by the alias www.
        expect(local).toContain("/etc/hosts += <address of nginx_web1> nginx_web1 <id12 of nginx_web1>");
        expect(local).toContain("/etc/hosts += <address of nginx_web1> www <id12 of nginx_web1> nginx_web1");
        expect(local).toMatch(/api_1 +image busybox:1\.36 {2}network mode custom/);
        expect(local).toContain("networks: mynetwork (alias api)");
        expect(local).toContain("publishes 0.0.0.0:8080->80/tcp");
        expect(local).toMatch(/container_docker +image busybox:1\.36 {2}network mode container:<id of tomcat_app1>/);
        expect(local).toMatch(/nginx_host +image busybox:1\.36 {2}network mode host/);
        expect(local).toMatch(/nginx_none +image busybox:1\.36 {2}network mode none/);
        expect(local).toMatch(/nginx2 +image busybox:1\.36 {2}network mode custom {2}\[StandaloneContainer\/nginx2\]/);
    });

    test("shows the host scripts with their arguments, known or not", () => {
        const local = hostSection(p.text, "local");
        expect(local).toContain("over local /bin/sh;");
        expect(local).toContain("create: probe.sh 'nginx_web3' 'www' '80' 'reachable' '5'");
        // This probe's target is a container address, which exists only once the container runs.
        expect(local).toMatch(
            /mynetwork-isolated-from-docker0-probe\n {6}create: probe\.sh <arguments known only during up>/,
        );
        expect(local).not.toMatch(/bip\.sh|routes\.sh|firewall\.sh/);
    });

    test("--full prints the exact command text the host receives", () => {
        const exact = scriptCommand("probe", ["nginx_web3", "www", "80", "reachable", "5"]);
        expect(exact).toContain(fs.readFileSync(path.join(ROOT, "components/host/scripts/probe.sh"), "utf8"));
        expect(p.full).toContain(`--- create, exact command text ---\n${exact}`);
        expect(p.plan.hosts[0].scripts.find((s) => s.resource === "www-answers-probe")?.createText).toBe(exact);
    });

    test("the SVG draws every host, bridge and container the stack file declares", () => {
        const names = declaredNames("dev");
        for (const name of [...names.hosts, ...names.bridges, ...names.containers]) {
            expect({ name, drawn: drawn(p.svg, name) }).toEqual({ name, drawn: true });
        }
        expect(p.svg).toMatch(/^<\?xml[^]*<svg [^]*<\/svg>\n$/);
        expect(p.svg).toContain("www (/etc/hosts)");
        expect(p.svg).toContain("nginx_web1 (/etc/hosts)");
        expect(p.svg).toContain("api (DNS)");
    });

    test("the Mermaid flowchart has the host, its networks, containers and links", () => {
        expect(p.mermaid.startsWith("flowchart LR\n")).toBe(true);
        expect(p.mermaid).toContain('subgraph host__local["local · unix:///var/run/docker.sock"]');
        expect(p.mermaid).toContain(
            'subgraph net__local__mynetwork["mynetwork · bridge br-mynetwork · 172.19.0.0/16 · gw 172.19.0.1"]',
        );
        expect(p.mermaid).toContain('c__local__nginx_web3 -->|"www (/etc/hosts)"| c__local__nginx_web1');
        expect(p.mermaid).toContain('c__local__nginx_web2 -->|"nginx_web1 (/etc/hosts)"| c__local__nginx_web1');
        expect(p.mermaid).toContain('c__local__container_docker ===|"shares netns"| c__local__tomcat_app1');
        for (const name of declaredNames("dev").containers) {
            expect(p.mermaid).toContain(`c__local__${name}["${name}<br/>`);
        }
    });
});

describe("offline plan of the lab stack", () => {
    let p: Planned;
    beforeAll(async () => {
        p = await planOf("lab");
    }, 60000);

    test("runs the stack program without starting a process or opening a connection, and never reads the key", () => {
        expect(p.touched).toEqual([]);
        expect(p.text).toContain("note: dockernet:sshPrivateKeyPath /var/tmp/dockernet-lab/id: not read by the plan");
    });

    test("h2 gets bip 172.18.0.1/16, a route to h1's containers and its firewall chain", () => {
        const h2 = hostSection(p.text, "h2");
        expect(h2).toContain("(ssh://root@192.168.100.201:22)");
        expect(h2).toContain("over ssh root@192.168.100.201:22");
        expect(h2).toContain("create: bip.sh 'create' '172.18.0.1/16'");
        expect(h2).toContain("delete: bip.sh 'delete' '172.18.0.1/16'");
        expect(h2).toContain(
            `create: routes.sh 'create' '--tag' '${routesTag("seed-pair", "h2")}' '172.17.0.0/16=192.168.100.200'`,
        );
        expect(h2).toMatch(
            /create: firewall\.sh 'create' '--chain' 'DN-X-[0-9A-F]{10}' 'accept,-,-,192\.168\.100\.0\/24,172\.18\.0\.0\/16'/,
        );
        expect(h2).toContain(
            "docker0                bip 172.18.0.1/16 (set by bip.sh, owned by DockerHost h2; CrossHostRoutedPair seed-pair), subnet 172.18.0.0/16",
        );
        expect(h2).toContain("172.17.0.0/16          via 192.168.100.200 (h1)  [CrossHostRoutedPair/seed-pair]");
        expect(h2).toMatch(/DN-X-[0-9A-F]{10} +accept 192\.168\.100\.0\/24 -> 172\.18\.0\.0\/16/);
        expect(h2).toMatch(/DN-X-[0-9A-F]{10} +keep source 172\.18\.0\.0\/16 -> 172\.17\.0\.0\/16 \(no masquerade\)/);
        expect(h2).not.toContain("appnet");
    });

    test("h1 routes 172.18.0.0/16 via h2, keeps bip 172.17.0.1/16 and opens appnet to docker0", () => {
        const h1 = hostSection(p.text, "h1");
        expect(h1).toContain("create: bip.sh 'create' '172.17.0.1/16'");
        expect(h1).toContain(
            `create: routes.sh 'create' '--tag' '${routesTag("seed-pair", "h1")}' '172.18.0.0/16=192.168.100.201'`,
        );
        expect(h1).toContain(
            `delete: routes.sh 'delete' '--tag' '${routesTag("seed-pair", "h1")}' '172.18.0.0/16=192.168.100.201'`,
        );
        expect(h1).toMatch(
            /create: firewall\.sh 'create' '--chain' 'DN-B-[0-9A-F]{10}' 'accept,br-appnet,docker0,-,-' 'accept,docker0,br-appnet,-,-'/,
        );
        expect(h1).toContain("opened: br-appnet <-> docker0");
        expect(h1).toMatch(/api_1 +image lab\/busybox:1 {2}network mode custom/);
        expect(h1).toContain("networks: appnet (alias api)"); // they share appnet: no network of the link's own
        // bip first, probes last: the order up runs them in.
        const order = [...h1.matchAll(/create: (\w+)\.sh/g)].map((m) => m[1]);
        expect(order[0]).toBe("bip");
        expect(order.slice(-3)).toEqual(["probe", "probe", "probe"]);
    });

    test("the firewall rules hang off DOCKER-USER: the script the plan shows is the one that says so", () => {
        const text = p.plan.hosts
            .find((h) => h.name === "h1")!
            .scripts.find((s) => s.resource === "seed-pair-h1-firewall")!.createText!;
        // firewall.sh as sent: the file with lib/common.sh in place of its source line.
        expect(text).toContain(scriptText("firewall"));
        expect(scriptText("firewall")).toContain(
            fs
                .readFileSync(path.join(ROOT, "components/host/scripts/firewall.sh"), "utf8")
                .split("# shellcheck source=lib/common.sh\n")[0],
        );
        expect(text).toContain("DOCKER-USER");
    });

    test("the SVG draws every host, bridge and container, the routes both ways and the opened path", () => {
        const names = declaredNames("lab");
        for (const name of [...names.hosts, ...names.bridges, ...names.containers]) {
            expect({ name, drawn: drawn(p.svg, name) }).toEqual({ name, drawn: true });
        }
        expect(p.svg).toContain("h1: 172.18.0.0/16 via 192.168.100.201");
        expect(p.svg).toContain("h2: 172.17.0.0/16 via 192.168.100.200");
        expect(p.svg).toMatch(/stroke-dasharray="6 4" marker-start/);
        expect(p.mermaid).toContain('net__h1__docker0 ==>|"route 172.18.0.0/16 via 192.168.100.201"| net__h2__docker0');
        expect(p.mermaid).toMatch(/net__h1__appnet <-\.->\|"opened \(DN-B-[0-9A-F]{10}\)"\| net__h1__docker0/);
    });

    test("the checks are drawn: from -> to and what they must see", () => {
        expect(p.svg).toContain("check h1-reaches-h2-container: web_h1 -&gt; web_h2 (on h2):80 must be reachable");
        expect(p.svg).toContain("check appnet-reaches-docker0: api_client -&gt; web_h1:80 must be reachable");
        expect(p.mermaid).toContain('c__h1__web_h1 -.->|"check h1-reaches-h2-container :80: reachable"| c__h2__web_h2');
        expect(p.mermaid).toContain(
            'c__h1__api_client -.->|"check appnet-reaches-docker0 :80: reachable"| c__h1__web_h1',
        );
    });
});

describe("offline plan of the lab-mesh stack (four hosts, one RoutedMesh)", () => {
    let p: Planned;
    beforeAll(async () => {
        p = await planOf("lab-mesh");
    }, 60000);

    test("per host: its bip from the pool, a route to each of the three peers, its rules; one route set, one firewall set", () => {
        for (const [h, n] of [
            ["h1", 200],
            ["h2", 201],
            ["h3", 202],
            ["h4", 203],
        ] as const) {
            const text = hostSection(p.text, h);
            expect(text).toContain(
                `docker0                bip 10.200.${n}.1/24 (set by bip.sh, owned by DockerHost ${h}; RoutedMesh lab-mesh (pool 10.200.0.0/16, block /24)), subnet 10.200.${n}.0/24`,
            );
            for (const peer of [200, 201, 202, 203].filter((x) => x !== n)) {
                expect(text).toContain(
                    `10.200.${peer}.0/24        via 192.168.100.${peer} (h${peer - 199})  [RoutedMesh/lab-mesh]`,
                );
            }
            expect(text).toContain(`accept 192.168.100.0/24 -> 10.200.${n}.0/24`);
            expect(text.match(/^ {4}lab-mesh-h\d-(routes|firewall)$/gm)).toEqual([
                `    lab-mesh-${h}-routes`,
                `    lab-mesh-${h}-firewall`,
            ]);
        }
        expect(p.text).toContain("24 resources in 9 components, 4 host(s)");
    });
});

describe("offline plan: what it cannot know", () => {
    test("a secure: value is replaced by a placeholder, and the plan says so", async () => {
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "dockernet-plan-")), "Pulumi.sec.yaml");
        const lab = yaml.load(fs.readFileSync(path.join(ROOT, "stacks/Pulumi.lab.yaml"), "utf8")) as {
            config: Record<string, unknown>;
        };
        const config = {
            "dockernet:hosts": lab.config["dockernet:hosts"],
            "dockernet:routedPairs": lab.config["dockernet:routedPairs"],
            "dockernet:sshPrivateKey": { secure: "v1:AAAABBBBCCCC" },
        };
        fs.writeFileSync(file, yaml.dump({ config }));
        const p = await planOf("sec", file);
        fs.rmSync(path.dirname(file), { recursive: true, force: true });
        expect(p.text).toContain(
            "note: dockernet:sshPrivateKey is a secret (secure: in Pulumi.sec.yaml); the offline plan cannot decrypt it and used a placeholder",
        );
        expect(p.text).not.toContain("v1:AAAABBBBCCCC");
        expect(hostSection(p.text, "h2")).toContain("create: bip.sh 'create' '172.18.0.1/16'");
    }, 60000);
});
