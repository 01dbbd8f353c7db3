// Two routed components on shared lab hosts: two components claiming one host's bip (agreeing ones
// share it, removing one keeps it; disagreeing ones are refused naming both), and a stack deployed
// by dockernet 0.2.0 with two pairs sharing a host moving to this version with no Docker restart
// and no gap in a ping loop.
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import * as path from "path";
import {
    ContainerSpec,
    CrossHostRoutedPair,
    CrossHostRoutedPairArgs,
    newDockerProvider,
    planCrossHostRoutedPair,
} from "../../components";
import { container, images } from "../../components/containers";
import { firewallArgs } from "../../components/host/firewall";
import { hostScript } from "../../components/host/host";
import { commandWithText } from "../../components/host/scripts";
import { routesTag } from "../../components/routedMesh";
import { Engine } from "../support/engine";
import { inContainer, onHost, restarts, snapshot, sshHost, startPingLoop } from "../support/lab";

const IMAGE = "lab/busybox:1";
const web = (name: string): ContainerSpec => ({
    name,
    image: IMAGE,
    command: ["httpd", "-f", "-p", "80", "-h", "/www"],
    ports: [{ internal: 80 }],
});
const LAN = { h1: "192.168.100.200", h2: "192.168.100.201", h3: "192.168.100.202", h4: "192.168.100.203" } as const;
type H = keyof typeof LAN;

const ipOf = async (host: string, name: string) =>
    (await onHost(host, `docker inspect --format '{{.NetworkSettings.IPAddress}}' ${name}`)).trim();

describe("one owner per host setting (lab h1..h3)", () => {
    const engine = new Engine();
    const before: Record<string, Awaited<ReturnType<typeof snapshot>>> = {};
    const pair = (name: string, a: H, b: H, bipB = "172.22.0.1/16") =>
        new CrossHostRoutedPair(name, {
            hostA: {
                host: sshHost(a),
                lanAddress: `${LAN[a]}/24`,
                bip: a === "h1" ? "172.17.0.1/16" : "172.18.0.1/16",
            },
            hostB: { host: sshHost(b), lanAddress: `${LAN[b]}/24`, bip: bipB },
        });

    beforeAll(async () => {
        for (const h of ["h1", "h2", "h3"]) {
            before[h] = await snapshot(h);
        }
    });

    afterAll(async () => {
        await engine.destroy().catch(() => undefined);
        engine.dispose();
    });

    test("two pairs sharing h3 share its bip; removing one keeps h3's bip and the other pair's route", async () => {
        await engine.up(() => [pair("p13", "h1", "h3"), pair("p23", "h2", "h3")]);
        expect(JSON.parse(await onHost("h3", "cat /etc/docker/daemon.json")).bip).toBe("172.22.0.1/16");
        expect([...engine.state.keys()].filter((k) => /::h3-bip$/.test(k))).toHaveLength(1);
        const restartsH3 = restarts("h3");
        await engine.up(() => [pair("p23", "h2", "h3")]);
        expect(restarts("h3")).toBe(restartsH3);
        expect(JSON.parse(await onHost("h3", "cat /etc/docker/daemon.json")).bip).toBe("172.22.0.1/16");
        expect(await onHost("h2", "ip -4 route show 172.22.0.0/16")).toContain(`via ${LAN.h3}`);
        expect(await snapshot("h1")).toEqual(before.h1);
    }, 300000);

    test("a second pair giving h3 another bip is refused before any change, naming both", async () => {
        const states = [...engine.state.keys()].sort();
        const h3 = await snapshot("h3");
        await expect(
            engine.up(() => [pair("p23", "h2", "h3"), pair("p13", "h1", "h3", "172.23.0.1/16")]),
        ).rejects.toThrow(
            /CrossHostRoutedPair "p13" hostB\.bip "172\.23\.0\.1\/16" for host h3 disagrees with CrossHostRoutedPair "p23" hostB\.bip "172\.22\.0\.1\/16"/,
        );
        expect([...engine.state.keys()].sort()).toEqual(states);
        expect(await snapshot("h3")).toEqual(h3);
    }, 300000);

    test("teardown leaves h1..h3 byte-identical", async () => {
        await engine.destroy();
        for (const h of ["h1", "h2", "h3"]) {
            expect({ h, ...(await snapshot(h)) }).toEqual({ h, ...before[h] });
        }
    }, 300000);
});

/**
 * What dockernet 0.2.0 registered for a CrossHostRoutedPair: the resources this version makes, under
 * the same names, except each host's bip, which was the pair's own `<pair>-<host>-bip` running
 * 0.2.0's bip.sh (test/scripts/fixtures/bip-0.2.0.sh).
 */
function legacyPair(name: string, args: CrossHostRoutedPairArgs): void {
    const text = fs.readFileSync(path.join(__dirname, "..", "scripts", "fixtures", "bip-0.2.0.sh"), "utf8");
    const plan = planCrossHostRoutedPair(name, args);
    const sides = [args.hostA, args.hostB];
    plan.hosts.forEach((hp, i) => {
        const host = sides[i].host;
        const s = host.ssh!;
        const prefix = `${name}-${hp.hostName}`;
        // As 0.2.0's hostScript made it (components/host/host.ts), with 0.2.0's script text.
        const bip = new command.remote.Command(
            `${prefix}-bip`,
            {
                connection: {
                    host: s.address,
                    port: s.port ?? 22,
                    user: s.user ?? "root",
                    privateKey: pulumi.secret(s.privateKey),
                    hostKey: s.hostKey,
                    dialErrorLimit: 3,
                    perDialTimeout: 10,
                },
                create: commandWithText("bip", text, ["create", hp.bip]),
                delete: commandWithText("bip", text, ["delete", hp.bip]),
                triggers: [s.address, String(s.port ?? 22), s.user ?? "root"],
                addPreviousOutputInEnv: false,
            },
            { deleteBeforeReplace: true },
        );
        const tag = routesTag(name, hp.hostName);
        hostScript(
            `${prefix}-routes`,
            host,
            {
                script: "routes",
                create: ["create", "--tag", tag, ...hp.routes],
                delete: ["delete", "--tag", tag, ...hp.routes],
            },
            { dependsOn: [bip] },
        );
        hostScript(
            `${prefix}-firewall`,
            host,
            {
                script: "firewall",
                create: firewallArgs("create", hp.firewallChain, hp.firewallRules),
                delete: firewallArgs("delete", hp.firewallChain, hp.firewallRules),
            },
            { dependsOn: [bip] },
        );
        const specs = sides[i].containers ?? [];
        if (specs.length > 0) {
            const provider = newDockerProvider(`${prefix}-provider`, host, {});
            const imgs = images(prefix, specs, { provider, dependsOn: [bip] });
            specs.forEach((spec) =>
                container(
                    `${prefix}-${spec.name}`,
                    spec,
                    imgs.get(spec.image)!,
                    `CrossHostRoutedPair/${name}`,
                    {},
                    { provider, dependsOn: [bip] },
                ),
            );
        }
    });
}

describe("migration from dockernet 0.2.0: two pairs that share a host (lab h1..h3)", () => {
    const engine = new Engine();
    const before: Record<string, Awaited<ReturnType<typeof snapshot>>> = {};
    const pairs = (): [string, CrossHostRoutedPairArgs][] => [
        [
            "p13",
            {
                hostA: {
                    host: sshHost("h1"),
                    lanAddress: `${LAN.h1}/24`,
                    bip: "172.17.0.1/16",
                    containers: [web("web_h1")],
                },
                hostB: {
                    host: sshHost("h3"),
                    lanAddress: `${LAN.h3}/24`,
                    bip: "172.22.0.1/16",
                    containers: [web("web_h3")],
                },
                verify: false,
            },
        ],
        [
            "p23",
            {
                hostA: { host: sshHost("h2"), lanAddress: `${LAN.h2}/24`, bip: "172.18.0.1/16" },
                hostB: { host: sshHost("h3"), lanAddress: `${LAN.h3}/24`, bip: "172.22.0.1/16" },
            },
        ],
    ];

    beforeAll(async () => {
        for (const h of ["h1", "h2", "h3"]) {
            before[h] = await snapshot(h);
        }
    });

    afterAll(async () => {
        await engine.destroy().catch(() => undefined);
        engine.dispose();
    });

    test("0.2.0's resources, then this version: no Docker restart, no gap in a ping loop, the bip kept and owned once; teardown leaves the hosts as they were", async () => {
        await engine.up(() => pairs().forEach(([n, a]) => legacyPair(n, a)));
        expect([...engine.state.keys()].filter((k) => k.endsWith("-bip")).sort()).toEqual([
            "command:remote:Command::p13-h1-bip",
            "command:remote:Command::p13-h3-bip",
            "command:remote:Command::p23-h2-bip",
            "command:remote:Command::p23-h3-bip",
        ]);
        expect(await onHost("h3", "ls /var/lib/dockernet")).toContain("bip.json"); // 0.2.0's record
        const ip3 = await ipOf("h3", "web_h3");
        expect((await inContainer("h1", "web_h1", `ping -c 1 -W 2 ${ip3}`)).code).toBe(0);

        const restartsBefore = Object.fromEntries(["h1", "h2", "h3"].map((h) => [h, restarts(h)]));
        const loop = await startPingLoop("h1", "web_h1", ip3);
        await new Promise((r) => setTimeout(r, 1000));
        engine.operations.length = 0;
        await engine.up(() => pairs().map(([n, a]) => new CrossHostRoutedPair(n, a)));
        await new Promise((r) => setTimeout(r, 1000));
        const seen = await loop.stop();
        console.log(
            `mesh: migrating from 0.2.0 while h1 pings h3 every 0.2 s: ${seen.received} replies to ${seen.sent} pings, longest gap ${seen.longestGapS.toFixed(1)} s`,
        );
        expect(seen.received).toBeGreaterThan(5);
        expect(seen.longestGapS).toBe(0);
        for (const h of ["h1", "h2", "h3"]) {
            expect({ h, restarts: restarts(h) }).toEqual({ h, restarts: restartsBefore[h] });
        }
        // Each host's first bip resource became its DockerHost's (an update: the new create moved
        // 0.2.0's record and restarted nothing); the second one for h3 was deleted and, finding no
        // 0.2.0 record any more, changed nothing.
        expect(engine.operations.map((o) => `${o.op} ${o.name}`).sort()).toEqual([
            "delete p23-h3-bip",
            "update h1-bip",
            "update h2-bip",
            "update h3-bip",
        ]);
        expect(JSON.parse(await onHost("h3", "cat /etc/docker/daemon.json")).bip).toBe("172.22.0.1/16");
        expect((await onHost("h3", "ls /var/lib/dockernet")).split("\n")).toContain("daemon-bip.json");
        expect(await onHost("h3", "ls /var/lib/dockernet")).not.toMatch(/^bip\.json$/m);
        expect(await onHost("h2", "ip -4 route show 172.22.0.0/16")).toContain(`via ${LAN.h3}`);

        await engine.destroy();
        for (const h of ["h1", "h2", "h3"]) {
            expect({ h, ...(await snapshot(h)) }).toEqual({ h, ...before[h] });
        }
    }, 300000);
});
