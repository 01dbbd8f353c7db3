// Adoption of the seed's hand-made cross-host setup (issue 16, routes): two lab hosts set up exactly
// as the seed's commands do it (bip in each daemon, `route add -net <peer subnet> gw <peer>`, a
// FORWARD rule, containers started with docker run), a ping loop between the hand-made containers,
// then the equivalent pair: without `adopt` it stops with a clear error and the hosts stay as made;
// with `adopt` the routes become dockernet's in place (the loop loses nothing), a re-run changes
// nothing, and destroy gives the hosts back exactly as they were made by hand, still talking.
import { CrossHostRoutedPair, CrossHostRoutedPairArgs } from "../../components";
import { Engine } from "../support/engine";
import { onHost, snapshot, sshHost, startPingLoop } from "../support/lab";
import { record } from "../support/summary";

const IMAGE = "lab/busybox:1";
const HAND: Record<string, { bip: string; peerSubnet: string; peer: string; own: string }> = {
    h1: { bip: "172.17.0.1/16", peerSubnet: "172.18.0.0/16", peer: "192.168.100.201", own: "172.17.0.0/16" },
    h2: { bip: "172.18.0.1/16", peerSubnet: "172.17.0.0/16", peer: "192.168.100.200", own: "172.18.0.0/16" },
};

function pairArgs(adopt: boolean): CrossHostRoutedPairArgs {
    return {
        hostA: { host: sshHost("h1"), lanAddress: "192.168.100.200/24", bip: HAND.h1.bip, adopt },
        hostB: { host: sshHost("h2"), lanAddress: "192.168.100.201/24", bip: HAND.h2.bip, adopt },
    };
}

describe("adopting the seed's hand-made routes (lab h1 + h2)", () => {
    const engine = new Engine();
    const before: Record<string, Awaited<ReturnType<typeof snapshot>>> = {};
    const handmade: Record<string, Awaited<ReturnType<typeof snapshot>>> = {};
    let peerAddress = "";
    const docker0Before: Record<string, string> = {};
    const docker0 = async (h: string) => (await onHost(h, "ip -4 -o addr show dev docker0 | awk '{ print $4 }'")).trim();

    beforeAll(async () => {
        for (const h of ["h1", "h2"]) {
            before[h] = await snapshot(h);
            docker0Before[h] = await docker0(h);
            const s = HAND[h];
            // The seed, by hand: bip for the daemon, a route to the peer's containers via the peer,
            // the FORWARD chain opened for the LAN, and a container.
            await onHost(h, `jq '.bip = "${s.bip}"' /etc/docker/daemon.json > /tmp/dj && cat /tmp/dj > /etc/docker/daemon.json && systemctl restart docker`);
            await onHost(h, `ip route add ${s.peerSubnet} via ${s.peer}`);
            await onHost(h, `iptables -w -I FORWARD -s 192.168.100.0/24 -d ${s.own} -j ACCEPT`);
            await onHost(h, `docker run -d --name hand_${h} ${IMAGE} httpd -f -p 80 -h /www >/dev/null`);
        }
        for (const h of ["h1", "h2"]) {
            handmade[h] = await snapshot(h);
        }
        peerAddress = (await onHost("h2", "docker inspect --format '{{.NetworkSettings.IPAddress}}' hand_h2")).trim();
        expect(peerAddress).toMatch(/^172\.18\./);
        expect((await onHost("h1", `docker exec hand_h1 ping -c 1 -W 2 ${peerAddress}`)).length).toBeGreaterThan(0);
    }, 300000);

    afterAll(async () => {
        await engine.destroy().catch(() => undefined);
        engine.dispose();
        for (const h of ["h1", "h2"]) {
            const s = HAND[h];
            await onHost(h, `docker rm -f hand_${h} >/dev/null 2>&1; iptables -w -D FORWARD -s 192.168.100.0/24 -d ${s.own} -j ACCEPT; ip route del ${s.peerSubnet} via ${s.peer}; true`);
            // Docker keeps the last default-bridge subnet in its own store: docker0 goes back to
            // where it was only through a restart with that bip, then one without the key.
            await onHost(h, `jq '.bip = "${docker0Before[h]}"' /etc/docker/daemon.json > /tmp/dj && cat /tmp/dj > /etc/docker/daemon.json && systemctl restart docker`);
            await onHost(h, `jq 'del(.bip)' /etc/docker/daemon.json > /tmp/dj && cat /tmp/dj > /etc/docker/daemon.json && systemctl restart docker`);
        }
        for (const h of ["h1", "h2"]) {
            const now = await snapshot(h);
            expect({ h, routes: now.routes, files: now.files }).toEqual({ h, routes: before[h].routes, files: before[h].files });
            expect(await docker0(h)).toBe(docker0Before[h]);
        }
    }, 300000);

    test("without adopt: a clear error naming the hand-made route and the fix; destroy leaves the hosts as made by hand", async () => {
        let message = "";
        try {
            await engine.up(() => new CrossHostRoutedPair("hand", pairArgs(false)));
        } catch (e) {
            message = (e as Error).message;
        }
        expect(message).toMatch(/a route to 172\.1[78]\.0\.0\/16 already exists and is not managed by dockernet: 172\.1[78]\.0\.0\/16 via 192\.168\.100\.20[01] dev eth0/);
        expect(message).toContain("set adopt to take over a hand-made route via the same gateway");
        await engine.destroy();
        for (const h of ["h1", "h2"]) {
            expect({ h, ...(await snapshot(h)) }).toEqual({ h, ...handmade[h] });
        }
    }, 300000);

    test("with adopt: the routes become dockernet's in place while the hand-made containers ping (no gap); a re-run changes nothing", async () => {
        const loop = await startPingLoop("h1", "hand_h1", peerAddress);
        await new Promise((r) => setTimeout(r, 1000));
        record({ faultsInjected: 1 });
        await engine.up(() => new CrossHostRoutedPair("hand", pairArgs(true)));
        await new Promise((r) => setTimeout(r, 1000));
        const seen = await loop.stop();
        console.log(`adopt: h1's hand_h1 pinging h2's hand_h2 every 0.2 s while up adopts the routes: ${seen.received} replies to ${seen.sent} pings, longest gap ${seen.longestGapS.toFixed(1)} s`);
        expect(seen.sent).toBeGreaterThan(5);
        expect(seen.received).toBe(seen.sent);
        expect(await onHost("h1", "ip -4 -o route show exact 172.18.0.0/16")).toMatch(/^172\.18\.0\.0\/16 via 192\.168\.100\.201 dev eth0 proto (187|isis) *$/m);
        expect(await onHost("h2", "ip -4 -o route show exact 172.17.0.0/16")).toMatch(/^172\.17\.0\.0\/16 via 192\.168\.100\.200 dev eth0 proto (187|isis) *$/m);
        expect(await onHost("h1", "cat /var/lib/dockernet/adopted-routes.*")).toMatch(/^172\.18\.0\.0\/16 172\.18\.0\.0\/16 via 192\.168\.100\.201 dev eth0/);
        // The hand-made FORWARD rule is kept (dockernet never deletes what it did not make).
        expect(await onHost("h2", "iptables -w -S FORWARD")).toContain("-A FORWARD -s 192.168.100.0/24 -d 172.18.0.0/16 -j ACCEPT");
        await engine.up(() => new CrossHostRoutedPair("hand", pairArgs(true)));
        expect(engine.counts).toMatchObject({ created: 0, replaced: 0, updated: 0, deleted: 0 });
        record({ faultsSurvived: 1 });
    }, 300000);

    test("destroy gives the routes back as made by hand: both hosts byte-identical to their hand-made state, the containers still talking", async () => {
        const loop = await startPingLoop("h1", "hand_h1", peerAddress);
        await new Promise((r) => setTimeout(r, 1000));
        await engine.destroy();
        await new Promise((r) => setTimeout(r, 1000));
        const seen = await loop.stop();
        console.log(`adopt: destroy while hand_h1 pings hand_h2: ${seen.received} replies to ${seen.sent} pings, longest gap ${seen.longestGapS.toFixed(1)} s`);
        expect(seen.received).toBe(seen.sent);
        for (const h of ["h1", "h2"]) {
            expect({ h, ...(await snapshot(h)) }).toEqual({ h, ...handmade[h] });
        }
    }, 300000);
});
