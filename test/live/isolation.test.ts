// Opening Docker's isolation between a custom bridge and docker0 with connectTo (owned rules from
// DOCKER-USER), observed with real pings before, during and after; and ConnectivityCheck failing
// the deployment when what it sees differs from what it expects.
import {
    ConnectivityCheck,
    ContainerSpec,
    CustomBridgeNetwork,
    LinkedContainerPair,
    SharedNamespaceContainer,
} from "../../components";
import { Engine } from "../support/engine";
import { inContainer, onHost, snapshot, sshHost } from "../support/lab";

const IMAGE = "lab/busybox:1";
const idle = (name: string, extra: Partial<ContainerSpec> = {}): ContainerSpec => ({
    name,
    image: IMAGE,
    command: ["sleep", "86400"],
    ...extra,
});
const web = (name: string, extra: Partial<ContainerSpec> = {}): ContainerSpec => ({
    name,
    image: IMAGE,
    command: ["httpd", "-f", "-p", "80", "-h", "/www"],
    ports: [{ internal: 80 }],
    ...extra,
});

/** A custom bridge with one container, and a web server on docker0; `connect` opens the path. */
function program(connect: boolean, check?: { expect: "reachable" | "isolated" }) {
    const host = sshHost("h1");
    const net = new CustomBridgeNetwork("iso", {
        host,
        subnet: "172.19.0.0/16",
        bridgeName: "br-iso",
        connectTo: connect ? ["docker0"] : undefined,
    });
    const onCustom = new SharedNamespaceContainer("iso-client", {
        host,
        primary: idle("iso_client", { networks: [{ name: net.name }] }),
        sidecars: [idle("iso_client_side")],
    });
    const onDocker0 = new LinkedContainerPair("iso-web", {
        host,
        target: web("iso_web"),
        consumer: idle("iso_web_client"),
        mode: "hosts",
        alias: "web",
    });
    if (check) {
        new ConnectivityCheck(
            "iso-check",
            {
                host,
                fromContainer: "iso_client",
                toAddress: onDocker0.targetAddress,
                port: 80,
                expect: check.expect,
                attempts: 2,
            },
            { dependsOn: [net, onCustom, onDocker0] },
        );
    }
}

const webIp = async () =>
    (await onHost("h1", "docker inspect --format '{{.NetworkSettings.IPAddress}}' iso_web")).trim();
const pings = async () => (await inContainer("h1", "iso_client", `ping -c 1 -W 2 ${await webIp()}`)).code === 0;

describe("connectTo docker0 and ConnectivityCheck (lab h1)", () => {
    const engine = new Engine();
    let before: Awaited<ReturnType<typeof snapshot>>;

    beforeAll(async () => {
        before = await snapshot("h1");
    });
    afterAll(async () => {
        await engine.destroy().catch(() => undefined);
        engine.dispose();
    });

    test("isolated before: a container on the custom bridge cannot reach one on docker0", async () => {
        await engine.up(() => program(false));
        expect(await webIp()).toMatch(/^172\.17\./);
        expect(await pings()).toBe(false);
    });

    test("a ConnectivityCheck expecting reachable fails the deployment while the path is closed", async () => {
        await expect(engine.up(() => program(false, { expect: "reachable" }))).rejects.toThrow(
            /from iso_client \(h1\) to 172\.17\.\d+\.\d+:80: expected reachable, seen isolated/,
        );
    });

    test("reachable after connectTo, both ways; the rules live in a chain of their own", async () => {
        await engine.up(() => program(true));
        expect(await pings()).toBe(true);
        const clientIp = (
            await onHost(
                "h1",
                "docker inspect --format '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' iso_client",
            )
        ).trim();
        expect((await inContainer("h1", "iso_web", `ping -c 1 -W 2 ${clientIp}`)).code).toBe(0);
        expect(
            (await inContainer("h1", "iso_client", `timeout 5 wget -q -O - http://${await webIp()}/`)).stdout.trim(),
        ).toBe("hello from h1");
        const rules = await onHost("h1", "iptables -w -S");
        expect(rules).toMatch(/-A DOCKER-USER -m comment --comment "dockernet:DN-B-[0-9A-F]{10}" -j DN-B-[0-9A-F]{10}/);
        expect(rules).toMatch(/-A DN-B-[0-9A-F]{10} -i br-iso -o docker0 .*-j ACCEPT/);
        expect(rules).toMatch(/-A DN-B-[0-9A-F]{10} -i docker0 -o br-iso .*-j ACCEPT/);
    });

    test("a ConnectivityCheck expecting isolated fails the deployment while the path is open", async () => {
        await expect(engine.up(() => program(true, { expect: "isolated" }))).rejects.toThrow(
            /from iso_client \(h1\) to 172\.17\.\d+\.\d+:80: expected isolated, seen reachable/,
        );
    });

    test("isolated again once connectTo is removed, and a check expecting isolated then passes", async () => {
        // Like `pulumi up`, the removed rules are deleted at the end of the run, so the check that
        // proves the result runs in the next one.
        await engine.up(() => program(false));
        expect(await pings()).toBe(false);
        expect(await onHost("h1", "iptables -w -S")).not.toMatch(/DN-B-/);
        await engine.up(() => program(false, { expect: "isolated" }));
        expect(engine.applied("iso-check-probe")?.state.stdout).toMatch(
            /^seen=isolated from=iso_client to=172\.17\.\d+\.\d+:80/,
        );
    });

    test("teardown leaves h1 as it was", async () => {
        await engine.destroy();
        expect(await snapshot("h1")).toEqual(before);
    });
});
