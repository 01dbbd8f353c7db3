// `npm run plan -- --look` (stacks/adoption.ts): what one look at a host means for each declared
// object of an adopting (or not adopting) routed host. Pure: the look is given as text.
import { parseObservation } from "../../components/host/observe";
import { planTopology, TopologyPlan } from "../../components/topologyPlan";
import { TopologySpec } from "../../components";
import { adoptionOf } from "../../stacks/adoption";

const ID = "d".repeat(64);
function planFor(adopt: boolean): TopologyPlan {
    const spec: TopologySpec = {
        hosts: [
            { name: "h1", ssh: { address: "192.168.100.200" } },
            { name: "h2", ssh: { address: "192.168.100.201" } },
        ],
        routedPairs: [
            {
                name: "hand",
                hostA: { host: "h1", lanAddress: "192.168.100.200/24", bip: "172.17.0.1/16", adopt },
                hostB: {
                    host: "h2",
                    lanAddress: "192.168.100.201/24",
                    bip: "172.18.0.1/16",
                    adopt,
                    containers: [{ name: "nginx", image: "lab/busybox:1", restart: "no", command: ["httpd", "-f"] }],
                },
            },
        ],
    };
    return planTopology(spec);
}
const h2Look = (over = "") =>
    parseObservation(
        "bip \nbipadopted \ndocker0 172.18.0.1/16\nbipflag running 172.18.0.1/16\nbipflag unit 172.18.0.1/16\n" +
            "route 172.17.0.0/16 via 192.168.100.200 dev eth0 \nroute 10.9.0.0/16 via 192.168.100.1 dev eth0 proto static \n" +
            "rule -A FORWARD -s 192.168.100.0/24 -j ACCEPT\nrule -A FORWARD -s 10.0.0.0/8 -d 172.18.5.0/24 -j ACCEPT\nrule -A FORWARD -i eth1 -s 192.168.100.0/24 -j ACCEPT\n" +
            `ctr\t/nginx\t${ID}\tlab/busybox:1\tdefault\tno\ttrue\t["httpd","-f"]\tbridge \t<no value>\n${over}end\n`,
        "t",
    );
const h2 = (p: TopologyPlan) => p.hosts.find((h) => h.name === "h2")!;

describe("the adoption look", () => {
    test("the observation reads dockerd's and the unit's --bip, the routes and the ACCEPT rules", () => {
        const o = h2Look();
        expect(o.bipFlags).toEqual([
            { where: "running", value: "172.18.0.1/16" },
            { where: "unit", value: "172.18.0.1/16" },
        ]);
        expect(o.routes).toEqual([
            "172.17.0.0/16 via 192.168.100.200 dev eth0",
            "10.9.0.0/16 via 192.168.100.1 dev eth0 proto static",
        ]);
        expect(o.acceptRules).toHaveLength(3);
    });

    test("with adopt: the flag, the route and the container are adopted; the plain FORWARD rule is kept and reported, the narrower or interface-bound ones are not", () => {
        const rows = adoptionOf(h2(planFor(true)), h2Look());
        expect(rows.map((r) => `${r.verdict} ${r.object}`)).toEqual([
            "adopt bip",
            "adopt route 172.17.0.0/16 via 192.168.100.200",
            "kept rule -A FORWARD -s 192.168.100.0/24 -j ACCEPT",
            "adopt container nginx",
        ]);
        expect(rows[2].detail).toBe(
            "already allows 192.168.100.200 to 172.18.0.0/16: redundant with dockernet's chain, kept (dockernet never deletes what it did not make)",
        );
        expect(rows[3].detail).toContain(`imported by id ${ID.slice(0, 12)}`);
    });

    test("without adopt: each hand-made thing blocks, with the fix", () => {
        const rows = adoptionOf(h2(planFor(false)), h2Look());
        expect(rows.filter((r) => r.verdict === "blocks").map((r) => r.detail)).toEqual([
            "the running dockerd's --bip=172.18.0.1/16 and the unit's --bip=172.18.0.1/16: set adopt: true on the host to keep it where it is, or remove the flag",
            "a hand-made route: 172.17.0.0/16 via 192.168.100.200 dev eth0; set adopt: true on the host to take it over in place, or remove it",
            `a hand-made container of that name (${ID.slice(0, 12)}, lab/busybox:1); set adopt: true on its routed host to import it, or remove or rename it`,
        ]);
    });

    test("what adopt never takes: a flag of another value, a route via another gateway, a mismatched container (by its config path)", () => {
        const o = parseObservation(
            "bip \ndocker0 172.19.0.1/16\nbipflag unit 172.19.0.1/16\nroute 172.17.0.0/16 via 192.168.100.9 dev eth0 \n" +
                `ctr\t/nginx\t${ID}\tnginx:1\tdefault\tno\ttrue\tnull\tbridge \t\nend\n`,
            "t",
        );
        const rows = adoptionOf(h2(planFor(true)), o).filter((r) => r.verdict === "blocks");
        expect(rows.map((r) => r.detail)).toEqual([
            "the unit's --bip=172.19.0.1/16, declared 172.18.0.1/16: a flag with another value is never adopted; declare bip 172.19.0.1/16, or change the flag",
            "a hand-made route via another gateway: 172.17.0.0/16 via 192.168.100.9 dev eth0; remove it, or declare that gateway",
            'routedPairs[0].hostB.containers[0].image is "lab/busybox:1", but the container nginx on h2 (made by hand) runs "nginx:1"; declare that image',
            'routedPairs[0].hostB.containers[0].command is ["httpd","-f"], but the container nginx on h2 (made by hand) runs null; declare that command or leave command out',
        ]);
    });

    test("dockernet's own route and container are ours; nothing there is a create", () => {
        const o = parseObservation(
            `bip 172.18.0.1/16\ndocker0 172.18.0.1/16\nroute 172.17.0.0/16 via 192.168.100.200 dev eth0 proto 187 \nctr\t/nginx\t${ID}\tsha256:1\tbridge\tno\ttrue\tnull\tbridge \tCrossHostRoutedPair/hand\nend\n`,
            "t",
        );
        expect(adoptionOf(h2(planFor(true)), o).map((r) => `${r.verdict} ${r.object}`)).toEqual([
            "ours bip",
            "ours route 172.17.0.0/16 via 192.168.100.200",
            "ours container nginx",
        ]);
        const empty = parseObservation("bip \ndocker0 172.17.0.1/16\nend\n", "t");
        expect(adoptionOf(h2(planFor(true)), empty).map((r) => `${r.verdict} ${r.object}: ${r.detail}`)).toEqual([
            "create bip: set in daemon.json (one Docker restart)",
            "create route 172.17.0.0/16 via 192.168.100.200: no route there now",
            "create container nginx: no container of that name",
        ]);
    });
});
