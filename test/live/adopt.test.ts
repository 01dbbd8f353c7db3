// Adoption of the seed's hand-made cross-host setup (issue 16): two lab hosts set up exactly as the
// seed's commands do it (h2's bip as a --bip flag in the Docker unit's ExecStart, daemon-reload and
// a restart; h1 on Docker's default 172.17; `route add` to the peer's subnet via the peer; the
// seed's `iptables -A FORWARD -s 192.168.100.0/24 -j ACCEPT`; containers started with docker run),
// a ping loop and an HTTP loop between the hand-made containers, then the equivalent pair: without
// `adopt` it stops with a clear error and the hosts stay as made; with `adopt` the routes become
// dockernet's in place, the flag is kept where it is, the containers are imported (not recreated),
// the loops lose nothing, a re-run changes nothing, and destroy gives the hosts back exactly as they
// were made by hand, the containers still running and talking.
//
// On Docker 28 the seed's commands alone carry no traffic: Docker drops routed packets to container
// addresses in raw PREROUTING (`-d <container> ! -i docker0 -j DROP`) and in its DOCKER chain
// (`! -i docker0 -o docker0 -j DROP`, reached through DOCKER-FORWARD before the seed's appended
// FORWARD rule). A user on 28 who follows Docker's documentation adds what it says: the ACCEPT in
// DOCKER-USER (which FORWARD enters first) and "allow-direct-routing": true in daemon.json (28.2+),
// with a restart. That is the hand-made setup adopted there.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CrossHostRoutedPair, CrossHostRoutedPairArgs } from "../../components";
import { AdoptionRow, formatAdoption, lookAdoption } from "../../stacks/adoption";
import { HostRunner, defaultRunner } from "../../stacks/check";
import { planStack } from "../../stacks/plan";
import { assertLabRoute } from "../support/exec";
import { Engine } from "../support/engine";
import {
    dockerMajor,
    onHost,
    onHostRaw,
    restarts,
    snapshot,
    sshHost,
    startHttpLoop,
    startPingLoop,
} from "../support/lab";
import { record } from "../support/summary";

const IMAGE = "lab/busybox:1";
const COMMAND = ["httpd", "-f", "-p", "80", "-h", "/www"];
const HAND: Record<string, { bip: string; peerSubnet: string; peer: string; container: string }> = {
    h1: { bip: "172.17.0.1/16", peerSubnet: "172.18.0.0/16", peer: "192.168.100.201", container: "nginx_h1" },
    h2: { bip: "172.18.0.1/16", peerSubnet: "172.17.0.0/16", peer: "192.168.100.200", container: "nginx_h2" },
};
const UNIT = "/lib/systemd/system/docker.service";
/** What a user on Docker 28 adds to the seed's commands (see above), per host. */
const on28 = (h: string) => dockerMajor(h) >= 28;
const USER_RULE = "-s 192.168.100.0/24 -j ACCEPT";

function pairArgs(adopt: boolean, withContainers: boolean): CrossHostRoutedPairArgs {
    const side = (h: "h1" | "h2", lan: string) => ({
        host: sshHost(h),
        lanAddress: lan,
        bip: HAND[h].bip,
        adopt,
        ...(withContainers
            ? {
                  containers: [
                      {
                          name: HAND[h].container,
                          image: IMAGE,
                          command: COMMAND,
                          restart: "no" as const,
                          ports: [{ internal: 80 }],
                      },
                  ],
              }
            : {}),
    });
    return { hostA: side("h1", "192.168.100.200/24"), hostB: side("h2", "192.168.100.201/24") };
}

const ROOT = path.join(__dirname, "..", "..");
const labRunner: HostRunner = (host, command) => {
    if (host.ssh) {
        assertLabRoute(host.ssh.address);
    }
    return defaultRunner("/var/tmp/dockernet-lab/id")(host, command);
};

/** The same pair as a stack file, for `npm run plan -- --look` (lookAdoption). */
function stackFile(adopt: boolean): string {
    const ssh = (a: string) =>
        `{ address: ${a}, user: root, privateKeyPath: /var/tmp/dockernet-lab/id, knownHostsPath: /var/tmp/dockernet-lab/known_hosts }`;
    const side = (h: "h1" | "h2", lan: string) =>
        `      ${h === "h1" ? "hostA" : "hostB"}:\n        host: ${h}\n        lanAddress: ${lan}\n        bip: ${HAND[h].bip}\n        adopt: ${adopt}\n` +
        `        containers:\n          - { name: ${HAND[h].container}, image: "${IMAGE}", command: [${COMMAND.map((w) => JSON.stringify(w)).join(", ")}], restart: "no", ports: [{ internal: 80 }] }\n`;
    const text =
        `config:\n  dockernet:hosts:\n    - name: h1\n      ssh: ${ssh("192.168.100.200")}\n    - name: h2\n      ssh: ${ssh("192.168.100.201")}\n` +
        `  dockernet:routedPairs:\n    - name: hand\n${side("h1", "192.168.100.200/24")}${side("h2", "192.168.100.201/24")}`;
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "dockernet-adopt-")), `Pulumi.hand-${adopt}.yaml`);
    fs.writeFileSync(file, text);
    return file;
}

async function look(adopt: boolean): Promise<AdoptionRow[]> {
    const configFile = stackFile(adopt);
    const opts = { root: ROOT, stack: `hand-${adopt}`, configFile };
    const rows = await lookAdoption(await planStack(opts), { ...opts, run: labRunner });
    console.log(`adopt: npm run plan -- --look (adopt ${adopt}):${formatAdoption(rows)}`);
    fs.rmSync(path.dirname(configFile), { recursive: true, force: true });
    return rows;
}
const verdicts = (rows: AdoptionRow[]) => rows.map((r) => `${r.host} ${r.object.split(":")[0]}: ${r.verdict}`);

describe("adopting the seed's hand-made setup: unit --bip, routes, FORWARD rule, containers (lab h1 + h2)", () => {
    const engine = new Engine();
    const before: Record<string, Awaited<ReturnType<typeof snapshot>>> = {};
    const handmade: Record<string, Awaited<ReturnType<typeof snapshot>>> = {};
    const unitBefore: Record<string, string> = {};
    const daemonJsonBefore: Record<string, string> = {};
    const docker0Before: Record<string, string> = {};
    const containerBefore: Record<string, string> = {};
    let peerAddress = "";
    const docker0 = async (h: string) =>
        (await onHost(h, "ip -4 -o addr show dev docker0 | awk '{ print $4 }'")).trim();
    // id, start time and state: the same after up and destroy means never recreated nor restarted.
    const containerOf = async (h: string) =>
        (
            await onHost(
                h,
                `docker inspect --format '{{.Id}} {{.State.StartedAt}} {{.State.Running}}' ${HAND[h].container}`,
            )
        ).trim();
    const unitOf = async (h: string) => onHost(h, `cat ${UNIT}`);

    beforeAll(async () => {
        for (const h of ["h1", "h2"]) {
            before[h] = await snapshot(h);
            docker0Before[h] = await docker0(h);
            unitBefore[h] = await unitOf(h);
            daemonJsonBefore[h] = await onHost(h, "cat /etc/docker/daemon.json");
        }
        // Docker 28: allow-direct-routing in daemon.json (h2's restart below applies it; h1 restarts for it).
        for (const h of ["h1", "h2"].filter(on28)) {
            await onHost(
                h,
                `jq '."allow-direct-routing" = true' /etc/docker/daemon.json >/tmp/dj && cat /tmp/dj >/etc/docker/daemon.json${h === "h1" ? " && systemctl restart docker" : ""}`,
            );
        }
        // The seed, by hand. 192.168.100.201's daemon gets --bip=172.18.0.1/16 in its unit's ExecStart
        // (written in place: the lab's unit file is a bind mount), then daemon-reload and a restart.
        await onHost(
            "h2",
            `sed 's|^ExecStart=.*dockerd -H fd://$|& --bip=${HAND.h2.bip}|' ${UNIT} >/tmp/unit && cat /tmp/unit >${UNIT} && systemctl daemon-reload && systemctl restart docker`,
        );
        expect(await unitOf("h2")).toContain(`--bip=${HAND.h2.bip}`);
        expect(await docker0("h2")).toBe(HAND.h2.bip);
        for (const h of ["h1", "h2"]) {
            const s = HAND[h];
            await onHost(h, `ip route add ${s.peerSubnet} via ${s.peer}`);
            await onHost(h, "iptables -w -A FORWARD -s 192.168.100.0/24 -j ACCEPT");
            if (on28(h)) {
                await onHost(h, `iptables -w -I DOCKER-USER ${USER_RULE}`);
            }
            await onHost(h, `docker run -d --name ${s.container} ${IMAGE} ${COMMAND.join(" ")} >/dev/null`);
        }
        for (const h of ["h1", "h2"]) {
            handmade[h] = await snapshot(h);
            containerBefore[h] = await containerOf(h);
        }
        peerAddress = (
            await onHost("h2", `docker inspect --format '{{.NetworkSettings.IPAddress}}' ${HAND.h2.container}`)
        ).trim();
        expect(peerAddress).toMatch(/^172\.18\./);
        expect(
            (await onHost("h1", `docker exec ${HAND.h1.container} ping -c 1 -W 2 ${peerAddress}`)).length,
        ).toBeGreaterThan(0);
    }, 300000);

    afterAll(async () => {
        await engine.destroy().catch(() => undefined);
        engine.dispose();
        for (const h of ["h1", "h2"]) {
            const s = HAND[h];
            await onHost(
                h,
                `docker rm -f ${s.container} >/dev/null 2>&1; iptables -w -D FORWARD -s 192.168.100.0/24 -j ACCEPT; iptables -w -D DOCKER-USER ${USER_RULE} 2>/dev/null; ip route del ${s.peerSubnet} via ${s.peer}; true`,
            );
            if ((await onHost(h, "cat /etc/docker/daemon.json")) !== daemonJsonBefore[h]) {
                await onHost(
                    h,
                    `cat >/etc/docker/daemon.json <<'EOF'\n${daemonJsonBefore[h]}EOF\nsystemctl restart docker`,
                );
            }
        }
        // The unit as it was; Docker keeps the last default-bridge subnet in its own store, so
        // docker0 goes back only through a restart with the old bip, then one without the key.
        await onHost("h2", `cat >${UNIT} <<'EOF'\n${unitBefore.h2}EOF\nsystemctl daemon-reload`);
        for (const h of ["h1", "h2"]) {
            if ((await docker0(h)) !== docker0Before[h]) {
                await onHost(
                    h,
                    `jq '.bip = "${docker0Before[h]}"' /etc/docker/daemon.json > /tmp/dj && cat /tmp/dj > /etc/docker/daemon.json && systemctl restart docker`,
                );
                await onHost(
                    h,
                    `jq 'del(.bip)' /etc/docker/daemon.json > /tmp/dj && cat /tmp/dj > /etc/docker/daemon.json && systemctl restart docker`,
                );
            }
        }
        for (const h of ["h1", "h2"]) {
            const now = await snapshot(h);
            expect({ h, routes: now.routes, files: now.files, unit: await unitOf(h) }).toEqual({
                h,
                routes: before[h].routes,
                files: before[h].files,
                unit: unitBefore[h],
            });
            expect(await docker0(h)).toBe(docker0Before[h]);
        }
    }, 300000);

    test("npm run plan -- --look: what adopt takes over, the hand-made rule kept, and without adopt what blocks; read-only", async () => {
        const withAdopt = verdicts(await look(true));
        const userRule = (h: string) => (on28(h) ? [`${h} rule -A DOCKER-USER ${USER_RULE}: kept`] : []);
        expect(withAdopt).toEqual([
            "h1 bip: create",
            "h1 route 172.18.0.0/16 via 192.168.100.201: adopt",
            "h1 rule -A FORWARD -s 192.168.100.0/24 -j ACCEPT: kept",
            ...userRule("h1"),
            "h1 container nginx_h1: adopt",
            "h2 bip: adopt",
            "h2 route 172.17.0.0/16 via 192.168.100.200: adopt",
            "h2 rule -A FORWARD -s 192.168.100.0/24 -j ACCEPT: kept",
            ...userRule("h2"),
            "h2 container nginx_h2: adopt",
        ]);
        const without = await look(false);
        expect(verdicts(without).filter((v) => v.endsWith(": blocks"))).toEqual([
            "h1 route 172.18.0.0/16 via 192.168.100.201: blocks",
            "h1 container nginx_h1: blocks",
            "h2 bip: blocks",
            "h2 route 172.17.0.0/16 via 192.168.100.200: blocks",
            "h2 container nginx_h2: blocks",
        ]);
        expect(without.find((r) => r.host === "h2" && r.object === "bip")!.detail).toContain(
            "the running dockerd's --bip=172.18.0.1/16 and the unit's --bip=172.18.0.1/16: set adopt: true on the host",
        );
        for (const h of ["h1", "h2"]) {
            expect({ h, ...(await snapshot(h)) }).toEqual({ h, ...handmade[h] });
        }
    }, 300000);

    test("without adopt: a clear error naming what was made by hand and the fix; destroy leaves the hosts as made by hand", async () => {
        let message = "";
        try {
            await engine.up(() => new CrossHostRoutedPair("hand", pairArgs(false, false)));
        } catch (e) {
            message = (e as Error).message;
        }
        console.log(`adopt: without adopt, up stopped with: ${message}`);
        // Whichever host script fails first: h2's bip (the unit's flag) or a host's route.
        // (the flag as the running dockerd carries it, or as the unit passes it)
        const flag =
            /(the running dockerd \(pid \d+\) was started with|the Docker service unit passes) --bip=172\.18\.0\.1\/16/;
        const route =
            /a route to 172\.1[78]\.0\.0\/16 already exists and is not managed by dockernet: 172\.1[78]\.0\.0\/16 via 192\.168\.100\.20[01] dev eth0/;
        expect(flag.test(message) || route.test(message)).toBe(true);
        expect(
            message.includes("set adopt: true on the host to keep it where it is") ||
                message.includes("set adopt to take over a hand-made route via the same gateway"),
        ).toBe(true);
        await engine.destroy();
        for (const h of ["h1", "h2"]) {
            expect({ h, ...(await snapshot(h)) }).toEqual({ h, ...handmade[h] });
            expect(await containerOf(h)).toBe(containerBefore[h]);
        }
    }, 300000);

    test("with adopt: routes taken over in place, the unit's flag kept, the containers imported, while they ping and serve (no loss); a re-run changes nothing", async () => {
        const restartsBefore = { h1: restarts("h1"), h2: restarts("h2") };
        const opsBefore = engine.operations.length;
        const ping = await startPingLoop("h1", HAND.h1.container, peerAddress);
        const http = await startHttpLoop("h1", HAND.h1.container, `http://${peerAddress}/`);
        await new Promise((r) => setTimeout(r, 1000));
        record({ faultsInjected: 1 });
        await engine.up(() => new CrossHostRoutedPair("hand", pairArgs(true, true)));
        await new Promise((r) => setTimeout(r, 1000));
        const pinged = await ping.stop();
        const served = await http.stop();
        console.log(
            `adopt: while up adopted h2's unit --bip, both routes and both containers, h1's ${HAND.h1.container} pinged h2's ${HAND.h2.container} every 0.2 s: ` +
                `${pinged.received} replies to ${pinged.sent} pings (longest gap ${pinged.longestGapS.toFixed(1)} s); HTTP: ${served.answered} of ${served.sent} answered; ` +
                `Docker restarts: h1 ${restarts("h1") - restartsBefore.h1}, h2 ${restarts("h2") - restartsBefore.h2}; operations: ${engine.operations
                    .slice(opsBefore)
                    .map((o) => `${o.op} ${o.name}`)
                    .join(", ")}`,
        );
        expect(pinged.sent).toBeGreaterThan(5);
        expect(pinged.received).toBe(pinged.sent);
        expect(served.sent).toBeGreaterThan(3);
        expect(served.answered).toBe(served.sent);
        // Nothing restarted: the flag stays in the unit, daemon.json on h2 has no bip, dockerd is the same.
        expect({ h1: restarts("h1") - restartsBefore.h1, h2: restarts("h2") - restartsBefore.h2 }).toEqual({
            h1: 0,
            h2: 0,
        });
        expect(await unitOf("h2")).toContain(`--bip=${HAND.h2.bip}`);
        expect(await onHost("h2", "jq -r '.bip // \"(absent)\"' /etc/docker/daemon.json")).toBe("(absent)\n");
        expect(await onHost("h2", "cat /var/lib/dockernet/adopted-bip.json")).toMatch(/"bip": "172\.18\.0\.1\/16"/);
        // The containers were imported, not recreated: same id, same start.
        for (const h of ["h1", "h2"]) {
            expect(await containerOf(h)).toBe(containerBefore[h]);
            expect(engine.operations.slice(opsBefore)).toContainEqual(
                expect.objectContaining({ op: "import", name: `hand-${h}-${HAND[h].container}` }),
            );
        }
        expect(await onHost("h1", "ip -4 -o route show exact 172.18.0.0/16")).toMatch(
            /^172\.18\.0\.0\/16 via 192\.168\.100\.201 dev eth0 proto (187|isis) *$/m,
        );
        expect(await onHost("h2", "ip -4 -o route show exact 172.17.0.0/16")).toMatch(
            /^172\.17\.0\.0\/16 via 192\.168\.100\.200 dev eth0 proto (187|isis) *$/m,
        );
        // The hand-made FORWARD rule is kept (dockernet never deletes what it did not make).
        expect(await onHost("h2", "iptables -w -S FORWARD")).toContain("-A FORWARD -s 192.168.100.0/24 -j ACCEPT");
        await engine.up(() => new CrossHostRoutedPair("hand", pairArgs(true, true)));
        expect(engine.counts).toMatchObject({ created: 0, replaced: 0, updated: 0, deleted: 0, imported: 0 });
        record({ faultsSurvived: 1 });
    }, 300000);

    test("destroy gives everything back as made by hand: both hosts byte-identical, the flag in the unit, the containers running as they were and still talking", async () => {
        const ping = await startPingLoop("h1", HAND.h1.container, peerAddress);
        await new Promise((r) => setTimeout(r, 1000));
        const opsBefore = engine.operations.length;
        await engine.destroy();
        await new Promise((r) => setTimeout(r, 1000));
        const seen = await ping.stop();
        console.log(
            `adopt: destroy while ${HAND.h1.container} pings ${HAND.h2.container}: ${seen.received} replies to ${seen.sent} pings, longest gap ${seen.longestGapS.toFixed(1)} s`,
        );
        expect(seen.received).toBe(seen.sent);
        expect(
            engine.operations
                .slice(opsBefore)
                .filter((o) => o.type === "docker:index/container:Container")
                .map((o) => `${o.op}${o.retained ? " (retained)" : ""}`),
        ).toEqual(["delete (retained)", "delete (retained)"]);
        for (const h of ["h1", "h2"]) {
            expect({ h, ...(await snapshot(h)) }).toEqual({ h, ...handmade[h] });
            expect(await containerOf(h)).toBe(containerBefore[h]);
        }
        expect(await unitOf("h2")).toContain(`--bip=${HAND.h2.bip}`);
    }, 300000);

    test("what moving the flag into daemon.json instead would have cost (done by hand here, measured): a Docker restart, and the seed's containers stay down", async () => {
        const ping = await startPingLoop("h1", HAND.h1.container, peerAddress);
        await new Promise((r) => setTimeout(r, 1000));
        const t0 = Date.now();
        // The move: the value into daemon.json, the flag out of the unit, daemon-reload, one restart.
        await onHost(
            "h2",
            `cp /etc/docker/daemon.json /tmp/dj.orig && jq '.bip = "${HAND.h2.bip}"' /etc/docker/daemon.json >/tmp/dj && cat /tmp/dj >/etc/docker/daemon.json && ` +
                `sed 's| --bip=${HAND.h2.bip}||' ${UNIT} >/tmp/unit && cat /tmp/unit >${UNIT} && systemctl daemon-reload && systemctl restart docker`,
        );
        const restartS = (Date.now() - t0) / 1000;
        await new Promise((r) => setTimeout(r, 3000));
        const seen = await ping.stop();
        const state = (await onHost("h2", `docker inspect --format '{{.State.Status}}' ${HAND.h2.container}`)).trim();
        // (ping's log has replies only: the loop's count ends at the last reply, so ask once more)
        const after = await onHostRaw("h1", `docker exec ${HAND.h1.container} ping -c 3 -W 1 ${peerAddress}`);
        console.log(
            `adopt: moving h2's flag into daemon.json instead: the restart took ${restartS.toFixed(1)} s; the ping loop's replies stopped after ${seen.received}; ` +
                `3 s after the restart h2's hand-made ${HAND.h2.container} (restart policy "no", as docker run leaves it) is ${state}, and a ping to it gets ${after.code === 0 ? "a reply" : "no reply"}`,
        );
        expect(state).toBe("exited");
        expect(after.code).not.toBe(0);
        // Put h2 back as it was made: the flag in the unit, no key in daemon.json, the container up.
        await onHost(
            "h2",
            `cat /tmp/dj.orig >/etc/docker/daemon.json && ` +
                `sed 's|^ExecStart=.*dockerd -H fd://$|& --bip=${HAND.h2.bip}|' ${UNIT} >/tmp/unit && cat /tmp/unit >${UNIT} && systemctl daemon-reload && systemctl restart docker && docker start ${HAND.h2.container} >/dev/null`,
        );
        expect({ h2: await snapshot("h2") }).toEqual({ h2: handmade.h2 });
    }, 300000);
});
