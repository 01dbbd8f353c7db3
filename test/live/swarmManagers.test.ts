// Several managers (issue 15): h1, h2 and h3 manage the swarm. With the first manager's Docker down,
// the swarm keeps its Raft quorum and a new worker joins through the next manager; two managers
// removed at once step down one after the other (demote, then leave) and the swarm goes on with the
// rest; destroy leaves every host as it was. docker_gwbridge gets the declared subnet; left out on
// a host that routes into Docker's default pools, the up is refused before anything changes.
import { ContainerSpec, SwarmMemberArgs, SwarmOverlayNetwork } from "../../components";
import { Engine } from "../support/engine";
import { onHost, onHostRaw, snapshot, sshHost } from "../support/lab";
import { nameFailures, networks, restartedByDocker, swarmState } from "../support/overlay";
import { record } from "../support/summary";

const IMAGE = "lab/busybox:1";
const HOSTS = ["h1", "h2", "h3", "h4"];
const ADDR: Record<string, string> = {
    h1: "192.168.100.200",
    h2: "192.168.100.201",
    h3: "192.168.100.202",
    h4: "192.168.100.203",
};
const web = (h: string): ContainerSpec => ({
    name: `web_${h}`,
    image: IMAGE,
    command: ["httpd", "-f", "-p", "80", "-h", "/www"],
});
/** h1..h3 in `managers` manage; h3 has no container. */
const member =
    (managers: string[]) =>
    (h: string): SwarmMemberArgs => ({
        host: sshHost(h),
        address: ADDR[h],
        role: managers.includes(h) ? "manager" : "worker",
        containers: h === "h3" ? [] : [web(h)],
    });
const program = (hosts: string[], managers: string[]) => () =>
    new SwarmOverlayNetwork("mgrs", {
        hosts: hosts.map(member(managers)),
        subnet: "10.32.0.0/24",
        gwbridgeSubnet: "10.33.0.0/24",
    });

const nodes = async (h: string) =>
    (await onHost(h, "docker node ls --format '{{.Hostname}} {{.Status}} {{.ManagerStatus}}' | sort")).trim();

describe("SwarmOverlayNetwork with three managers on lab hosts h1-h4", () => {
    const engine = new Engine();
    const before: Record<string, Awaited<ReturnType<typeof snapshot>>> = {};
    const networksBefore: Record<string, string> = {};

    beforeAll(async () => {
        for (const h of HOSTS) {
            before[h] = await snapshot(h);
            networksBefore[h] = await networks(h);
            expect(await swarmState(h)).toBe("inactive");
        }
    }, 120000);

    afterAll(async () => {
        await onHostRaw("h1", "systemctl start docker");
        await engine.destroy().catch(() => undefined);
        engine.dispose();
        for (const h of HOSTS) {
            await onHostRaw(h, "docker swarm leave --force >/dev/null 2>&1; true");
        }
    }, 300000);

    test("h1, h2, h3 manage: one leader, two reachable; names resolve across the managers' containers; a re-run changes nothing", async () => {
        const t0 = Date.now();
        await engine.up(program(["h1", "h2", "h3"], ["h1", "h2", "h3"]));
        console.log(
            `swarm managers: three managers converged from empty in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
        );
        expect(await nodes("h2")).toBe("h1 Ready Leader\nh2 Ready Reachable\nh3 Ready Reachable");
        for (const h of ["h1", "h2", "h3"]) {
            expect(
                await onHost(
                    h,
                    "docker network inspect docker_gwbridge --format '{{range .IPAM.Config}}{{.Subnet}}{{end}} {{index .Options \"com.docker.network.bridge.name\"}}'",
                ),
            ).toBe("10.33.0.0/24 docker_gwbridge\n");
        }
        expect(await nameFailures(["h1", "h2"])).toEqual([]);
        await engine.up(program(["h1", "h2", "h3"], ["h1", "h2", "h3"]));
        expect(engine.counts).toMatchObject({ created: 0, replaced: 0, updated: 0, deleted: 0 });
    }, 600000);

    test("the first manager's Docker down: the swarm keeps its quorum, and a new worker joins through the next manager", async () => {
        await onHost("h1", "systemctl stop docker");
        record({ faultsInjected: 1 });
        try {
            const t0 = Date.now();
            await engine.up(program(["h1", "h2", "h3", "h4"], ["h1", "h2", "h3"]));
            console.log(
                `swarm managers: with h1 (the first manager) down, h4 joined in ${((Date.now() - t0) / 1000).toFixed(1)} s; nodes seen from h2:\n${await nodes("h2")}`,
            );
            expect(await swarmState("h4")).toBe("active");
            expect(await nodes("h2")).toMatch(
                /^h1 (Down|Unknown) Unreachable\nh2 Ready (Leader|Reachable)\nh3 Ready (Leader|Reachable)\nh4 Ready$/,
            );
            expect(await nameFailures(["h2", "h4"], 60000)).toEqual([]);
        } finally {
            await onHost("h1", "systemctl start docker");
        }
        await restartedByDocker("h1");
        // h1's container comes back with its Docker (restart policy); names across all, once gossip has it.
        const t1 = Date.now();
        const failed = await nameFailures(["h1", "h2", "h4"], 120000);
        console.log(
            `swarm managers: after h1 came back, names across h1, h2, h4 resolved ${((Date.now() - t1) / 1000).toFixed(1)} s later${failed.length ? `; still failing: ${failed.join("; ")}` : ""}`,
        );
        expect(failed).toEqual([]);
        expect(await nodes("h1")).toMatch(
            /^h1 Ready (Leader|Reachable)\nh2 Ready (Leader|Reachable)\nh3 Ready (Leader|Reachable)\nh4 Ready$/,
        );
        await engine.up(program(["h1", "h2", "h3", "h4"], ["h1", "h2", "h3"]));
        expect(engine.counts).toMatchObject({ created: 0, replaced: 0, deleted: 0 });
        record({ faultsSurvived: 1 });
    }, 600000);

    test("h2 and h3 removed at once: each steps down (demoted) and leaves, one after the other; h1 and h4 go on; h2 and h3 are as before", async () => {
        const t0 = Date.now();
        const from = engine.operations.length;
        await engine.up(program(["h1", "h4"], ["h1"]));
        const deletes = engine.operations
            .slice(from)
            .filter((o) => o.op === "delete")
            .map((o) => o.name);
        console.log(
            `swarm managers: two managers removed in ${((Date.now() - t0) / 1000).toFixed(1)} s; deletes in order: ${deletes.join(", ")}`,
        );
        // h3 joined after h2, so it steps down first.
        expect(deletes.indexOf("mgrs-h3-swarm")).toBeLessThan(deletes.indexOf("mgrs-h2-swarm"));
        // What used h2's provider went before it (the reverse of the state's order).
        expect(deletes.indexOf("mgrs-h2-web_h2")).toBeLessThan(deletes.indexOf("mgrs-h2-provider"));
        expect(await nodes("h1")).toBe("h1 Ready Leader\nh4 Ready");
        for (const h of ["h2", "h3"]) {
            expect({ h, state: await swarmState(h), networks: await networks(h), ...(await snapshot(h)) }).toEqual({
                h,
                state: "inactive",
                networks: networksBefore[h],
                ...before[h],
            });
        }
        expect(await nameFailures(["h1", "h4"], 60000)).toEqual([]);
        await engine.up(program(["h1", "h4"], ["h1"]));
        expect(engine.counts).toMatchObject({ created: 0, replaced: 0, updated: 0, deleted: 0 });
    }, 600000);

    test("destroy: every host out of the swarm and byte-identical to before", async () => {
        await engine.destroy();
        for (const h of HOSTS) {
            expect({ h, state: await swarmState(h), networks: await networks(h), ...(await snapshot(h)) }).toEqual({
                h,
                state: "inactive",
                networks: networksBefore[h],
                ...before[h],
            });
        }
    }, 600000);

    test("docker_gwbridge's subnet left out on a host that routes into Docker's default pools: refused before any change; declared, the route stays alone", async () => {
        // A route to another host's containers inside 172.17-31.x, as a routed peer leaves it.
        await onHost("h4", "ip route add 172.18.0.0/16 via 192.168.100.200");
        const h4 = await snapshot("h4");
        const pools = (gwbridgeSubnet?: string) => () =>
            new SwarmOverlayNetwork("pools", {
                hosts: [
                    { host: sshHost("h4"), address: ADDR.h4 },
                    { host: sshHost("h1"), address: ADDR.h1 },
                ],
                subnet: "10.34.0.0/24",
                gwbridgeSubnet,
            });
        const second = new Engine();
        try {
            let message = "";
            try {
                await second.up(pools());
            } catch (e) {
                message = (e as Error).message;
            }
            console.log(
                `swarm managers: gwbridgeSubnet left out on h4 with 172.18.0.0/16 routed: ${message.split("\n").slice(0, 2).join(" ")}`,
            );
            expect(message).toContain(
                "gwbridgeSubnet is not given, and hosts[0] (h4) routes 172.18.0.0/16, inside Docker's default address pools",
            );
            expect(second.operations).toEqual([]);
            expect(await snapshot("h4")).toEqual(h4);
            await second.up(pools("10.35.0.0/24"));
            expect(
                await onHost(
                    "h4",
                    "docker network inspect docker_gwbridge --format '{{range .IPAM.Config}}{{.Subnet}}{{end}}'",
                ),
            ).toBe("10.35.0.0/24\n");
            expect(await onHost("h4", "ip -4 route show 172.18.0.0/16")).toBe(
                "172.18.0.0/16 via 192.168.100.200 dev eth0 \n",
            );
            await second.destroy();
            expect({ swarm: await swarmState("h4"), ...(await snapshot("h4")) }).toEqual({ swarm: "inactive", ...h4 });
        } finally {
            second.dispose();
            await onHostRaw("h4", "ip route del 172.18.0.0/16 via 192.168.100.200");
        }
    }, 600000);
});
