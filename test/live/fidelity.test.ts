// What the real providers do and a docker-CLI engine did not, each checked on lab hosts through
// the provider models (test/support/PROVIDERS.md): a container's networks are connected after it
// is created, read-back lists them in no particular order, a container whose start fails stays in
// the state, a command's changed connection is an update and a provider's changed host moves
// nothing by itself (so dockernet makes both replacements).
import { ContainerSpec, CustomBridgeNetwork, LinkedContainerPair } from "../../components";
import { Engine } from "../support/engine";
import { inContainer, onHost, onHostRaw, snapshot, sshHost } from "../support/lab";

const IMAGE = "lab/busybox:1";
const web = (name: string, extra: Partial<ContainerSpec> = {}): ContainerSpec => ({
    name,
    image: IMAGE,
    command: ["httpd", "-f", "-p", "80", "-h", "/www"],
    ...extra,
});
const idle = (name: string, extra: Partial<ContainerSpec> = {}): ContainerSpec => ({
    name,
    image: IMAGE,
    command: ["sleep", "86400"],
    ...extra,
});
const ipOn = async (host: string, container: string, network: string) =>
    (
        await onHost(
            host,
            `docker inspect --format '{{(index .NetworkSettings.Networks "${network}").IPAddress}}' ${container}`,
        )
    ).trim();

describe("fidelity to the real providers (lab h1, h2)", () => {
    const engine = new Engine();

    afterAll(async () => {
        await engine.destroy().catch(() => undefined);
        engine.dispose();
    });

    test("a fixed address and an alias on a container's first custom network are applied", async () => {
        const program = () => {
            const host = sshHost("h1");
            const net = new CustomBridgeNetwork("fid-first-net", {
                host,
                subnet: "172.23.0.0/24",
                gateway: "172.23.0.1",
            });
            return new LinkedContainerPair("fid-first", {
                host,
                target: web("fid_web", {
                    networks: [{ name: net.name, ipv4Address: "172.23.0.50", aliases: ["api"] }],
                }),
                consumer: idle("fid_box", { networks: [{ name: net.name }] }),
                alias: "www",
            });
        };
        await engine.up(program);
        expect(await ipOn("h1", "fid_web", "fid-first-net")).toBe("172.23.0.50");
        for (const name of ["www", "api"]) {
            const r = await inContainer("h1", "fid_box", `timeout 5 wget -q -O - http://${name}/`);
            expect({ name, out: r.stdout.trim() }).toEqual({ name, out: "hello from h1" });
        }
        // Only the declared network: the provider disconnected the default bridge.
        expect(
            (
                await onHost(
                    "h1",
                    "docker inspect --format '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}' fid_web",
                )
            ).trim(),
        ).toBe("fid-first-net");
        await engine.up(program);
        expect(engine.counts).toMatchObject({ created: 0, replaced: 0, updated: 0, deleted: 0 });
    });

    test("addresses are taken by network name, whatever order read-back lists the networks in", async () => {
        const program = () => {
            const host = sshHost("h1");
            const a = new CustomBridgeNetwork("fid-a", { host, subnet: "172.24.0.0/24" });
            const b = new CustomBridgeNetwork("fid-b", { host, subnet: "172.25.0.0/24" });
            return new LinkedContainerPair("fid-two", {
                host,
                target: web("fid_two_web", { networks: [{ name: a.name }, { name: b.name }] }),
                consumer: idle("fid_two_box", { networks: [{ name: a.name }] }),
                mode: "hosts",
                alias: "two",
            });
        };
        const pair = await engine.up(program);
        const onA = await ipOn("h1", "fid_two_web", "fid-a");
        expect(onA).toMatch(/^172\.24\.0\./);
        const seen = await new Promise<string>((resolve) => pair.targetAddress.apply((v) => resolve(v)));
        expect(seen).toBe(onA);
        expect((await inContainer("h1", "fid_two_box", "cat /etc/hosts")).stdout).toContain(`${onA}\ttwo `);
        expect((await inContainer("h1", "fid_two_box", "timeout 5 wget -q -O - http://two/")).stdout.trim()).toBe(
            "hello from h1",
        );
        await engine.up(program);
        expect(engine.counts).toMatchObject({ created: 0, replaced: 0, updated: 0, deleted: 0 });
    });

    test("a container whose start fails fails the deployment by name; fixed, it converges and stays converged", async () => {
        const program = (command: string[]) => () =>
            new LinkedContainerPair("fid-exit", {
                host: sshHost("h1"),
                target: web("fid_exit_web"),
                consumer: idle("fid_exit_box", { command }),
                mode: "hosts",
            });
        await expect(engine.up(program(["/no/such/program"]))).rejects.toThrow(/fid_exit_box.*no such file/s);
        // The provider created it before the start failed: it stays in the state (a partial
        // create), so the next up or a destroy reaches it.
        expect((await onHost("h1", "docker inspect --format '{{.State.Status}}' fid_exit_box")).trim()).toBe("created");
        await engine.up(program(["sleep", "86400"]));
        expect(engine.counts).toMatchObject({ replaced: 1 });
        expect((await onHost("h1", "docker inspect --format '{{.State.Status}}' fid_exit_box")).trim()).toBe("running");
        await engine.up(program(["sleep", "86400"]));
        expect(engine.counts).toMatchObject({ created: 0, replaced: 0, updated: 0, deleted: 0 });
    });

    test("a changed restart policy updates the container in place: same container, new policy", async () => {
        const program = (restart: "no" | "on-failure" | "always" | "unless-stopped") => () =>
            new LinkedContainerPair("fid-restart", {
                host: sshHost("h1"),
                target: web("fid_restart_web", { restart }),
                consumer: idle("fid_restart_box"),
                mode: "hosts",
            });
        await engine.up(program("unless-stopped"));
        const id = (await onHost("h1", "docker inspect --format '{{.Id}}' fid_restart_web")).trim();
        await engine.up(program("always"));
        expect(engine.counts).toMatchObject({ created: 0, replaced: 0, updated: 1, deleted: 0 });
        expect(
            (
                await onHost(
                    "h1",
                    "docker inspect --format '{{.Id}} {{.HostConfig.RestartPolicy.Name}} {{.State.Status}}' fid_restart_web",
                )
            ).trim(),
        ).toBe(`${id} always running`);
    });

    test("moving a component to another host deletes on the old host first, then creates on the new one", async () => {
        // What the earlier tests made goes first: its containers' drops in Docker 28's raw table
        // would otherwise be in the snapshot and gone after the first up below (which deletes them).
        await engine.destroy();
        const h1Before = await snapshot("h1");
        const program = (hostName: string) => () => {
            const host = sshHost(hostName);
            const net = new CustomBridgeNetwork("fid-move-net", {
                host,
                subnet: "172.26.0.0/24",
                bridgeName: "br-fidmove",
                connectTo: ["docker0"],
            });
            return new LinkedContainerPair("fid-move", {
                host,
                target: web("fid_move_web", { networks: [{ name: net.name }] }),
                consumer: idle("fid_move_box", { networks: [{ name: net.name }] }),
                alias: "movweb",
            });
        };
        await engine.up(program("h1"));
        expect((await onHost("h1", "iptables -w -S DOCKER-USER")).trim()).toMatch(/-j DN-/);
        await engine.up(program("h2"));
        // Nothing of it is left on h1: containers, network, bridge device, firewall chain.
        expect((await onHost("h1", "docker ps -aq --filter name=fid_move")).trim()).toBe("");
        expect((await onHostRaw("h1", "ip link show br-fidmove")).code).not.toBe(0);
        expect((await snapshot("h1")).iptables).toBe(h1Before.iptables);
        // All of it is on h2, and it works there.
        expect((await onHost("h2", "docker ps --format '{{.Names}}' --filter name=fid_move | sort")).trim()).toBe(
            "fid_move_box\nfid_move_web",
        );
        expect((await onHost("h2", "iptables -w -S DOCKER-USER")).trim()).toMatch(/-j DN-/);
        expect((await inContainer("h2", "fid_move_box", "timeout 5 wget -q -O - http://movweb/")).stdout.trim()).toBe(
            "hello from h2",
        );
    });
});
