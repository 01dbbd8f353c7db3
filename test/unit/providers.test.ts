// One Docker provider per host: deployTopology makes one for each host that has Docker objects
// and every component on that host uses it (one connection to each daemon, not one per
// component); a component given `host.dockerProvider` makes none of its own.
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { HostArgs, LinkedContainerPair, TopologySpec, deployTopology, newDockerProvider } from "../../components";
import { Recorder, settle } from "../support/mocks";

const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nunit\n-----END OPENSSH PRIVATE KEY-----\n";
const web = (name: string) => ({
    name,
    image: "lab/busybox:1",
    command: ["httpd", "-f", "-p", "80", "-h", "/www"],
    ports: [{ internal: 80 }],
});
const idle = (name: string) => ({ name, image: "lab/busybox:1", command: ["sleep", "86400"] });

/** Two routed hosts; h1 also has a bridge, a link on it and a shared namespace; h3 has only a check. */
const topology = (): TopologySpec => ({
    hosts: [
        { name: "h1", ssh: { address: "192.168.100.200" } },
        { name: "h2", ssh: { address: "192.168.100.201" } },
        { name: "h3", ssh: { address: "192.168.100.202" } },
    ],
    routedPairs: [
        {
            name: "pair",
            hostA: { host: "h1", lanAddress: "192.168.100.200/24", bip: "172.17.0.1/16", containers: [web("web_h1")] },
            hostB: { host: "h2", lanAddress: "192.168.100.201/24", bip: "172.18.0.1/16", containers: [web("web_h2")] },
        },
    ],
    bridges: [{ name: "appnet", host: "h1", subnet: "172.19.0.0/16" }],
    links: [
        {
            name: "app-link",
            host: "h1",
            alias: "api",
            target: { ...web("api_1"), networks: [{ name: "appnet" }] },
            consumer: { ...idle("api_client"), networks: [{ name: "appnet" }] },
        },
    ],
    sharedNamespaces: [{ name: "tomcat", host: "h1", primary: web("app"), sidecars: [idle("logs")] }],
    checks: [{ name: "from-h1", host: "h1", from: "api_client", to: "172.18.0.2", port: 80 }],
});

/** The provider URN a registration points at ("<urn>::<id>" -> urn). */
const providerUrn = (ref: string | undefined) => (ref ? ref.slice(0, ref.lastIndexOf("::")) : "");

describe("one Docker provider per host", () => {
    const rec = new Recorder();
    beforeAll(async () => {
        await rec.install(false);
        deployTopology(topology(), pulumi.secret(KEY));
        await settle();
    });

    test("deployTopology makes exactly one provider for each host with Docker objects, none for a host without any", () => {
        const providers = rec.ofType("pulumi:providers:docker");
        expect(providers.map((p) => p.name).sort()).toEqual(["dockernet-h1", "dockernet-h2"]);
        expect(providers.find((p) => p.name === "dockernet-h1")!.inputs.host).toBe("ssh://root@192.168.100.200:22");
        expect(providers.find((p) => p.name === "dockernet-h2")!.inputs.host).toBe("ssh://root@192.168.100.201:22");
    });

    test("every Docker object on a host, whichever component made it, goes through that host's provider", () => {
        const dockerObjects = rec.resources.filter((r) => r.type.startsWith("docker:"));
        const byProvider = new Map<string, string[]>();
        for (const r of dockerObjects) {
            const name = providerUrn(r.provider).split("::").pop()!;
            byProvider.set(name, [...(byProvider.get(name) ?? []), r.name]);
        }
        expect([...byProvider.keys()].sort()).toEqual(["dockernet-h1", "dockernet-h2"]);
        // h1: the routed side, the bridge, the link and the shared namespace (4 components).
        expect(byProvider.get("dockernet-h1")).toEqual(
            expect.arrayContaining([
                "pair-h1-web_h1",
                "appnet-network",
                "app-link-target",
                "app-link-consumer",
                "tomcat-primary",
                "tomcat-sidecar-logs",
            ]),
        );
        expect(byProvider.get("dockernet-h2")).toEqual(expect.arrayContaining(["pair-h2-web_h2"]));
        expect(byProvider.get("dockernet-h2")!.every((n) => n.startsWith("pair-h2-"))).toBe(true);
    });
});

test("a routed side without containers gets no provider (nothing would use it)", async () => {
    const rec = new Recorder();
    await rec.install(false);
    deployTopology(
        {
            hosts: [
                { name: "h1", ssh: { address: "192.168.100.200" } },
                { name: "h2", ssh: { address: "192.168.100.201" } },
            ],
            routedPairs: [
                {
                    name: "half",
                    hostA: {
                        host: "h1",
                        lanAddress: "192.168.100.200/24",
                        bip: "172.17.0.1/16",
                        containers: [web("web_h1")],
                    },
                    hostB: { host: "h2", lanAddress: "192.168.100.201/24", bip: "172.18.0.1/16" },
                },
            ],
        },
        pulumi.secret(KEY),
    );
    await settle();
    expect(rec.ofType("pulumi:providers:docker").map((p) => p.name)).toEqual(["dockernet-h1"]);
    expect(rec.ofType("command:remote:Command").some((c) => c.name.startsWith("half-h2-"))).toBe(true);
});

describe("HostArgs.dockerProvider", () => {
    const rec = new Recorder();
    const host: HostArgs = { name: "h1", ssh: { address: "192.168.100.200", privateKey: pulumi.secret(KEY) } };

    test("a component given a provider uses it and makes none; the provider is not in the component's inputs", async () => {
        await rec.install(false);
        const shared = newDockerProvider("shared", host, {});
        new LinkedContainerPair("a", {
            host: { ...host, dockerProvider: shared },
            target: web("t1"),
            consumer: idle("c1"),
            alias: "www",
        });
        new LinkedContainerPair("b", {
            host: { ...host, dockerProvider: shared },
            target: web("t2"),
            consumer: idle("c2"),
            alias: "www",
        });
        await settle();
        expect(rec.ofType("pulumi:providers:docker").map((p) => p.name)).toEqual(["shared"]);
        const urn = await new Promise<string>((resolve) => shared.urn.apply(resolve));
        const dockerObjects = rec.resources.filter((r) => r.type.startsWith("docker:"));
        expect(dockerObjects).toHaveLength(8);
        for (const r of dockerObjects) {
            expect({ name: r.name, provider: providerUrn(r.provider) }).toEqual({ name: r.name, provider: urn });
        }
        // The component's recorded inputs name the host; the key and the provider are not among them.
        expect(rec.named("a").inputs.host).toEqual({ name: "h1", ssh: { address: "192.168.100.200" } });
    });

    test("something other than a docker.Provider is refused, naming the field and the fix", async () => {
        await rec.install(false);
        const notAProvider = { host: "ssh://root@192.168.100.200", privateKey: KEY } as unknown as docker.Provider;
        let message = "";
        try {
            new LinkedContainerPair("bad", {
                host: { ...host, dockerProvider: notAProvider },
                target: web("t1"),
                consumer: idle("c1"),
                alias: "www",
            });
        } catch (e) {
            message = (e as Error).message;
        }
        await settle();
        expect(message).toContain("host.dockerProvider");
        expect(message).toContain("not a docker.Provider");
        expect(message).toContain("new docker.Provider");
        expect(message).not.toContain("PRIVATE KEY"); // only the kind of the wrong value is shown
        expect(
            rec.resources.filter((r) => r.type.startsWith("docker:") || r.type.startsWith("pulumi:providers:")),
        ).toEqual([]);
    });
});
