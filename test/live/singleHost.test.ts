// The seed's single-host scenarios, applied for real on lab host h1 over SSH, then checked by
// looking at real state: /etc/hosts, ping and HTTP between containers, addresses, isolation.
import * as pulumi from "@pulumi/pulumi";
import { ContainerSpec, CustomBridgeNetwork, LinkedContainerPair, SharedNamespaceContainer } from "../../components";
import { Engine } from "../support/engine";
import { inContainer, lab, onHost, sshHost } from "../support/lab";

const IMAGE = "lab/busybox:1";
const web = (name: string, extra: Partial<ContainerSpec> = {}): ContainerSpec => ({
    name,
    image: IMAGE,
    command: ["httpd", "-f", "-p", "80", "-h", "/www"],
    ports: [{ internal: 80 }],
    ...extra,
});
const idle = (name: string, extra: Partial<ContainerSpec> = {}): ContainerSpec => ({
    name,
    image: IMAGE,
    command: ["sleep", "86400"],
    ...extra,
});

interface Topology {
    byName: LinkedContainerPair;
    byAlias: LinkedContainerPair;
    dns: LinkedContainerPair;
    app: SharedNamespaceContainer;
    custom: CustomBridgeNetwork;
}

/** The seed's single-host examples; `targetRevision` changes the dns target so it is recreated. */
function program(targetRevision: string): Topology {
    const host = sshHost("h1");
    const custom = new CustomBridgeNetwork("custom", {
        host,
        subnet: "172.19.0.0/16",
        gateway: "172.19.0.1",
        bridgeName: "br-custom",
    });
    const byName = new LinkedContainerPair("link-name", {
        host,
        target: web("nginx_web1"),
        consumer: idle("nginx_web2"),
        mode: "hosts",
    });
    const byAlias = new LinkedContainerPair("link-alias", {
        host,
        target: web("nginx_web5"),
        consumer: idle("nginx_web3"),
        mode: "hosts",
        alias: "www",
    });
    const dns = new LinkedContainerPair("link-dns", {
        host,
        target: web("dns_web1", { env: { REVISION: targetRevision } }),
        consumer: idle("dns_web3"),
        alias: "www",
        // A second consumer of the same target, by an alias of its own.
        consumers: [{ container: idle("dns_web4"), alias: "web" }],
        mode: "dns",
        // Explicit, so Docker's automatic pool choice cannot take 172.19.0.0/16 before "custom" does.
        subnet: "172.21.0.0/24",
    });
    const app = new SharedNamespaceContainer("app", {
        host,
        primary: {
            name: "tomcat_app1",
            image: IMAGE,
            command: ["httpd", "-f", "-p", "8080", "-h", "/www"],
            ports: [{ internal: 8080, external: 18080 }],
        },
        sidecars: [idle("tomcat_app1_side")],
    });
    new SharedNamespaceContainer("hostmode", {
        host,
        primary: idle("host_box", { networkMode: "host" }),
        sidecars: [idle("host_box_side")],
    });
    new SharedNamespaceContainer("nonemode", {
        host,
        primary: idle("none_box", { networkMode: "none" }),
        sidecars: [idle("none_box_side")],
    });
    new LinkedContainerPair("on-custom", {
        host,
        target: web("custom_web1", { networks: [{ name: custom.name }] }),
        consumer: idle("custom_box", { networks: [{ name: custom.name }] }),
        mode: "hosts",
        alias: "cweb",
    });
    return { byName, byAlias, dns, app, custom };
}

const sh = async (container: string, cmd: string) => {
    const r = await inContainer("h1", container, cmd);
    return { ok: r.code === 0, out: r.stdout.trim(), err: r.stderr.trim() };
};
const idOf = async (name: string) => (await onHost("h1", `docker inspect --format '{{.Id}}' ${name}`)).trim();
const ipOf = async (name: string) =>
    (await onHost("h1", `docker inspect --format '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}' ${name}`))
        .trim()
        .split(" ")[0];

describe("single host (lab h1, real Docker over SSH)", () => {
    const engine = new Engine();

    beforeAll(async () => {
        await engine.up(() => program("1"));
    });

    afterAll(async () => {
        await engine.destroy();
        engine.dispose();
    });

    test("link by name (mode hosts): /etc/hosts has what --link writes and ping <name> works", async () => {
        const ip = await ipOf("nginx_web1");
        const id12 = (await idOf("nginx_web1")).slice(0, 12);
        const hosts = await sh("nginx_web2", "cat /etc/hosts");
        expect(hosts.out.split("\n")).toContain(`${ip}\tnginx_web1 ${id12}`);
        const ping = await sh("nginx_web2", "ping -c 1 -W 2 nginx_web1");
        expect(ping.ok).toBe(true);
        expect(ping.out).toContain(`bytes from ${ip}`);
    });

    test("link by alias www (mode hosts): wget http://www/ returns the target's page", async () => {
        const ip = await ipOf("nginx_web5");
        const id12 = (await idOf("nginx_web5")).slice(0, 12);
        expect((await sh("nginx_web3", "cat /etc/hosts")).out.split("\n")).toContain(`${ip}\twww ${id12} nginx_web5`);
        const page = await sh("nginx_web3", "timeout 5 wget -q -O - http://www/");
        expect(page.out).toBe("hello from h1");
    });

    test("link by alias www (mode dns) survives the target's recreation with a new IP, consumers untouched", async () => {
        expect((await sh("dns_web3", "timeout 5 wget -q -O - http://www/")).out).toBe("hello from h1");
        expect((await sh("dns_web4", "timeout 5 wget -q -O - http://web/")).out).toBe("hello from h1");
        const consumerId = await idOf("dns_web3");
        const secondId = await idOf("dns_web4");
        const oldTargetId = await idOf("dns_web1");
        const oldIp = await ipOf("dns_web1");
        // Hold the old address while the target is replaced, so the new one must differ.
        engine.afterReplaceDelete = async (name) => {
            if (name === "link-dns-target") {
                await onHost("h1", `docker run -d --name ip_holder --network link-dns-link ${IMAGE} sleep 600`);
            }
        };
        try {
            await engine.up(() => program("2"));
        } finally {
            engine.afterReplaceDelete = undefined;
            await onHost("h1", "docker rm -f ip_holder");
        }
        expect(engine.counts.replaced).toBe(1);
        expect(await idOf("dns_web1")).not.toBe(oldTargetId);
        expect(await ipOf("dns_web1")).not.toBe(oldIp);
        expect(await idOf("dns_web3")).toBe(consumerId);
        expect(await idOf("dns_web4")).toBe(secondId);
        const page = await sh("dns_web3", "timeout 5 wget -q -O - http://www/");
        expect(page.out).toBe("hello from h1");
        expect((await sh("dns_web4", "timeout 5 wget -q -O - http://web/")).out).toBe("hello from h1");
    });

    test("host mode sees the host's LAN interface; none mode has only lo", async () => {
        const hostIf = await sh("host_box", "ip -4 -o addr show");
        expect(hostIf.out).toContain(lab().hosts[0].lanAddress);
        expect(hostIf.out).toMatch(/\beth0\b/);
        const links = await sh("none_box", "ip -o link show | awk -F': ' '{print $2}'");
        expect(links.out.split("\n").map((l) => l.replace(/@.*/, ""))).toEqual(["lo"]);
    });

    test("container mode: the sidecar has the primary's addresses and reaches its port on 127.0.0.1", async () => {
        const addrs = (c: string) => sh(c, "ip -4 -o addr show | awk '{print $2, $4}' | sort");
        const primary = await addrs("tomcat_app1");
        expect(primary.out).toMatch(/eth0 172\.\d+\.\d+\.\d+\/\d+/);
        expect((await addrs("tomcat_app1_side")).out).toBe(primary.out);
        const page = await sh("tomcat_app1_side", "timeout 5 wget -q -O - http://127.0.0.1:8080/");
        expect(page.out).toBe("hello from h1");
        const mode = (
            await onHost("h1", "docker inspect --format '{{.HostConfig.NetworkMode}}' tomcat_app1_side")
        ).trim();
        expect(mode).toBe(`container:${await idOf("tomcat_app1")}`);
    });

    test("custom bridge 172.19.0.0/16: address inside, gateway and peer answer, docker0 is isolated", async () => {
        const ip = await ipOf("custom_box");
        expect(ip).toMatch(/^172\.19\.\d+\.\d+$/);
        expect((await onHost("h1", "ip -4 -o addr show br-custom")).trim()).toContain("172.19.0.1/16");
        expect((await sh("custom_box", "ping -c 1 -W 2 172.19.0.1")).ok).toBe(true);
        expect((await sh("custom_box", "ping -c 1 -W 2 cweb")).ok).toBe(true);
        expect((await sh("custom_box", "timeout 5 wget -q -O - http://cweb/")).out).toBe("hello from h1");
        // Observed, not assumed: the docker0 container answers its own bridge peers but not this one.
        const docker0Ip = await ipOf("nginx_web1");
        expect((await sh("nginx_web2", `ping -c 1 -W 2 ${docker0Ip}`)).ok).toBe(true);
        expect((await sh("custom_box", `ping -c 1 -W 2 ${docker0Ip}`)).ok).toBe(false);
        expect((await sh("custom_box", `timeout 3 wget -q -O - http://${docker0Ip}/`)).ok).toBe(false);
    });

    test("a second run of the unchanged program touches nothing", async () => {
        const before = (await onHost("h1", "docker ps -q --no-trunc | sort")).trim();
        await engine.up(() => program("2"));
        expect(engine.counts).toMatchObject({ created: 0, replaced: 0, updated: 0, deleted: 0 });
        expect((await onHost("h1", "docker ps -q --no-trunc | sort")).trim()).toBe(before);
    });

    test("destroy removes every container and network it made, and the bridge device", async () => {
        await engine.destroy();
        expect((await onHost("h1", "docker ps -aq --filter label=dockernet.component")).trim()).toBe("");
        expect((await onHost("h1", "docker network ls -q --filter label=dockernet.component")).trim()).toBe("");
        expect((await onHost("h1", "ip link show br-custom 2>&1 || true")).trim()).toMatch(/does not exist/);
        expect((await onHost("h1", "docker image inspect --format ok lab/busybox:1")).trim()).toBe("ok"); // keepLocally
    });
});

// Inputs and secrets in a container (issue 25): an env value given as a Pulumi secret and one
// computed from another resource's output reach the container as they are; the secret stays one in
// the container's registration, and no other resource or output of the component carries it.
describe("a container with a secret and a computed env value (lab h1)", () => {
    const engine = new Engine();
    const SECRET = "db-pass-lab-5c1e0d";
    afterAll(async () => {
        await engine.destroy().catch(() => undefined);
        engine.dispose();
    });

    test("up: the container's environment has both values; the secret appears nowhere but inside a secret", async () => {
        const pair = await engine.up(() => {
            const net = new CustomBridgeNetwork("envnet", { host: sshHost("h1"), subnet: "172.27.0.0/24" });
            return new LinkedContainerPair("envs", {
                host: sshHost("h1"),
                target: {
                    name: "env_web",
                    image: "lab/busybox:1",
                    command: ["httpd", "-f", "-p", "80", "-h", "/www"],
                    env: { DB_PASSWORD: pulumi.secret(SECRET), NET_ID: net.id.apply((id) => id.slice(0, 12)) },
                },
                consumer: { name: "env_box", image: "lab/busybox:1", command: ["sleep", "86400"] },
                mode: "hosts",
            });
        });
        const netId = (await onHost("h1", "docker network inspect --format '{{.Id}}' envnet")).trim().slice(0, 12);
        expect((await inContainer("h1", "env_web", 'echo "$DB_PASSWORD"; echo "$NET_ID"')).stdout).toBe(
            `${SECRET}\n${netId}\n`,
        );
        const container = engine.applied("envs-target")!;
        expect(container).toBeDefined();
        const others = [...engine.state.values()].filter((a) => a !== container);
        expect(others.filter((a) => JSON.stringify(a).includes(SECRET)).map((a) => a.name)).toEqual([]);
        const outputs = await new Promise((resolve) =>
            pulumi.all([pair.targetAddress, pair.hostsEntry]).apply(resolve),
        );
        expect(JSON.stringify(outputs)).not.toContain(SECRET);
    }, 300000);
});
