// A host upgraded from Docker 20.10 to 28 under a running stack (issue 23): a routed pair between
// h3 (Debian bookworm's 20.10) and h4 (the newest line), applied and proven; then h3's Docker is
// upgraded in place, as a package upgrade does it (Docker stops, the binaries change, Docker starts
// on the same /var/lib/docker and daemon.json). Docker 28 drops routed traffic to h3's containers
// in raw PREROUTING, but dockernet's restore unit runs after every Docker start and its firewall.sh
// create, now seeing 28, adds the raw mirror: traffic flows with no `up`. Where that did not happen
// (taken away here by hand), `npm run check` names the missing raw chain and `up` repairs it through
// the drift look, restarting no Docker. h3 ends on the newest line.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ContainerSpec, CrossHostRoutedPair, CrossHostRoutedPairArgs } from "../../components";
import { HostRunner, checkStack, defaultRunner, formatCheck } from "../../stacks/check";
import { assertLabRoute, run } from "../support/exec";
import { Engine } from "../support/engine";
import { LAB_SCRIPT, inContainer, lab, labHost, onHost, restarts, snapshot, sshHost } from "../support/lab";
import { record } from "../support/summary";

const IMAGE = "lab/busybox:1";
const web = (name: string): ContainerSpec => ({
    name,
    image: IMAGE,
    command: ["httpd", "-f", "-p", "80", "-h", "/www"],
    ports: [{ internal: 80 }],
});
const pairArgs = (): CrossHostRoutedPairArgs => ({
    hostA: { host: sshHost("h3"), lanAddress: "192.168.100.202/24", bip: "172.23.0.1/16", containers: [web("web_h3")] },
    hostB: { host: sshHost("h4"), lanAddress: "192.168.100.203/24", bip: "172.24.0.1/16", containers: [web("web_h4")] },
});
const ROOT = path.join(__dirname, "..", "..");
const labRunner: HostRunner = (host, command) => {
    if (host.ssh) {
        assertLabRoute(host.ssh.address);
    }
    return defaultRunner(lab().privateKeyPath)(host, command);
};

/** The same pair as a stack file, for `npm run check`. */
function stackFile(): string {
    const ssh = (a: string) =>
        `{ address: ${a}, user: root, privateKeyPath: ${lab().privateKeyPath}, knownHostsPath: ${lab().knownHostsPath} }`;
    const side = (key: string, h: string, lan: string, bip: string) =>
        `      ${key}:\n        host: ${h}\n        lanAddress: ${lan}\n        bip: ${bip}\n` +
        `        containers:\n          - { name: web_${h}, image: "${IMAGE}", command: ["httpd", "-f", "-p", "80", "-h", "/www"], ports: [{ internal: 80 }] }\n`;
    const text =
        `config:\n  dockernet:hosts:\n    - name: h3\n      ssh: ${ssh("192.168.100.202")}\n    - name: h4\n      ssh: ${ssh("192.168.100.203")}\n` +
        `  dockernet:routedPairs:\n    - name: up\n${side("hostA", "h3", "192.168.100.202/24", "172.23.0.1/16")}${side("hostB", "h4", "192.168.100.203/24", "172.24.0.1/16")}`;
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "dockernet-upgrade-")), "Pulumi.upgrade.yaml");
    fs.writeFileSync(file, text);
    return file;
}

async function switchDocker(host: string, line: string, fresh: boolean): Promise<void> {
    const r = await run(["bash", LAB_SCRIPT, "docker", host, line, ...(fresh ? ["--fresh"] : [])], {
        timeoutMs: 180000,
    });
    if (r.code !== 0) {
        throw new Error(`lab.sh docker ${host} ${line} failed: ${r.stderr || r.stdout}`);
    }
}

const ipOf = async (host: string, name: string) =>
    (await onHost(host, `docker inspect --format '{{.NetworkSettings.IPAddress}}' ${name}`)).trim();
/** Ping and HTTP from each side's container to the other's: "reachable" or what failed. */
async function bothWays(): Promise<string[]> {
    const out: string[] = [];
    for (const [from, to] of [
        ["h3", "h4"],
        ["h4", "h3"],
    ]) {
        const ip = await ipOf(to, `web_${to}`);
        const ping = await inContainer(from, `web_${from}`, `ping -c 1 -W 2 ${ip}`);
        const http = await inContainer(from, `web_${from}`, `timeout 5 wget -q -O - http://${ip}/`);
        out.push(
            `${from}->${to} ping ${ping.code === 0 ? "reachable" : "isolated"}, http ${http.code === 0 ? http.stdout.trim() : "failed"}`,
        );
    }
    return out;
}
const REACHABLE = ["h3->h4 ping reachable, http hello from h4", "h4->h3 ping reachable, http hello from h3"];

describe("a host upgraded from Docker 20.10 to the newest line under a running routed pair (lab h3 + h4)", () => {
    const engine = new Engine();
    const newest = labHost("h3").dockerLine;
    let h4Before: Awaited<ReturnType<typeof snapshot>>;
    let configFile = "";

    beforeAll(async () => {
        expect(newest).not.toBe("20.10"); // the full suite's lab runs the newest line
        await switchDocker("h3", "20.10", true);
        expect(labHost("h3").dockerVersion).toMatch(/^20\.10\./);
        // Docker 28 makes its raw table with a host's first container and keeps it (empty) after the
        // last one: run one on h4 first, so what the snapshot compares is dockernet's part alone.
        await onHost("h4", `docker run --rm ${IMAGE} true`);
        h4Before = await snapshot("h4");
        configFile = stackFile();
    }, 300000);

    afterAll(async () => {
        await engine.destroy().catch(() => undefined);
        engine.dispose();
        fs.rmSync(path.dirname(configFile), { recursive: true, force: true });
        if (labHost("h3").dockerLine !== newest) {
            await switchDocker("h3", newest, true);
        }
        expect({ h4: await snapshot("h4") }).toEqual({ h4: h4Before });
    }, 300000);

    test("20.10 and the newest line side by side: up, ping and HTTP both ways; only the newer host gets a raw chain", async () => {
        await engine.up(() => new CrossHostRoutedPair("up", pairArgs()));
        expect(await bothWays()).toEqual(REACHABLE);
        // No dockernet chain in h3's raw table (the table itself may be there: an earlier test's
        // containers on h3's Docker 28 made it, and a Docker downgrade leaves the kernel's tables).
        expect(await onHost("h3", "iptables-save | sed -n '/^[*]raw/,/^COMMIT/p' | grep -c DN- || true")).toBe("0\n");
        expect((await onHost("h4", "iptables -w -t raw -S PREROUTING | sed -n 2p")).trim()).toMatch(
            /^-A PREROUTING -m comment --comment "?dockernet:DN-X-[0-9A-F]{10}"? -j DN-X-[0-9A-F]{10}$/,
        );
    }, 300000);

    test("h3 upgraded in place: the restore unit adds the raw mirror, traffic flows with no up; without it, npm run check names the missing raw chain and up repairs it with no Docker restart", async () => {
        await switchDocker("h3", newest, false);
        expect(labHost("h3").dockerVersion).toMatch(new RegExp(`^${newest.replace(".", "\\.")}\\.`));
        record({ faultsInjected: 1 });
        // Docker started the containers again (restart unless-stopped) and dropped direct routing to them.
        expect(await onHost("h3", "iptables -w -t raw -S PREROUTING")).toMatch(
            /-A PREROUTING -d 172\.23\.\d+\.\d+\/32 ! -i docker0 -j DROP/,
        );
        expect(await bothWays()).toEqual(REACHABLE);
        const chain = /-j (DN-X-[0-9A-F]{10})/.exec(await onHost("h3", "iptables -w -t raw -S PREROUTING"))![1];
        expect(
            await onHost(
                "h3",
                `grep -c 'done dockernet-restore.service: exit 0' ${labHost("h3").restartsLog.replace(/restarts\.log$/, "units.log")}`,
            ),
        ).not.toBe("0\n");
        const clean = await checkStack({ root: ROOT, stack: "upgrade", configFile, run: labRunner });
        expect(clean.rows.filter((r) => r.verdict !== "ok")).toEqual([]);

        // As if no restore had run after the upgrade: the mirror taken away by hand.
        await onHost(
            "h3",
            `iptables -w -t raw -D PREROUTING -m comment --comment dockernet:${chain} -j ${chain} && iptables -w -t raw -F ${chain} && iptables -w -t raw -X ${chain}`,
        );
        const broken = await bothWays();
        console.log(
            `upgrade: h3 on ${labHost("h3").dockerVersion} without dockernet's raw mirror: ${broken.join("; ")}`,
        );
        expect(broken[1]).toBe("h4->h3 ping isolated, http failed");

        const { rows } = await checkStack({ root: ROOT, stack: "upgrade", configFile, run: labRunner });
        console.log(`upgrade: npm run check after the upgrade:\n${formatCheck("upgrade", rows)}`);
        expect(
            rows.filter((r) => r.verdict !== "ok").map((r) => `${r.host} ${r.object.split(" ")[0]}: ${r.seen}`),
        ).toEqual([
            expect.stringMatching(
                /^h3 firewall: differs: chain DN-X-[0-9A-F]{10} is missing from the raw table; differs: no jump to DN-X-[0-9A-F]{10} in raw PREROUTING$/,
            ),
        ]);
        expect(rows.find((r) => r.host === "h3" && r.object === "docker")!.seen).toMatch(
            /^28\.5\.\d+\S* \(iptables\)$/,
        );

        const restartsBefore = { h3: restarts("h3"), h4: restarts("h4") };
        await engine.up(() => new CrossHostRoutedPair("up", pairArgs()));
        expect(engine.counts).toMatchObject({ created: 0, replaced: 0, deleted: 0 });
        expect({ h3: restarts("h3") - restartsBefore.h3, h4: restarts("h4") - restartsBefore.h4 }).toEqual({
            h3: 0,
            h4: 0,
        });
        expect(await bothWays()).toEqual(REACHABLE);
        const after = await checkStack({ root: ROOT, stack: "upgrade", configFile, run: labRunner });
        expect(after.rows.filter((r) => r.verdict !== "ok")).toEqual([]);
        record({ faultsSurvived: 1 });
    }, 300000);

    test("destroy: h3 and h4 without a trace of the pair (h4 exactly as before)", async () => {
        await engine.destroy();
        expect(await onHost("h3", "iptables-save | grep -c DN-X || true")).toBe("0\n");
        expect(await onHost("h3", "ip -4 route show proto 187")).toBe("");
        expect({ h4: await snapshot("h4") }).toEqual({ h4: h4Before });
    }, 300000);
});

// Docker's nftables firewall backend (what Docker 29 offers in daemon.json; Docker 28.5 takes it from
// DOCKER_FIREWALL_BACKEND): Docker makes no DOCKER-USER there, so dockernet refuses the host, naming
// it, before anything is made; `npm run check` says the same. Set on h4 by a unit drop-in, as a user
// would, and taken away again.
describe("a host whose Docker uses the nftables firewall backend is refused before anything changes (lab h3 + h4)", () => {
    const engine = new Engine();
    const DROPIN = "/etc/systemd/system/docker.service.d/firewall-backend.conf";
    const before: Record<string, Awaited<ReturnType<typeof snapshot>>> = {};
    let configFile = "";

    beforeAll(async () => {
        await onHost(
            "h4",
            `mkdir -p ${path.dirname(DROPIN)} && printf '[Service]\\nEnvironment=DOCKER_FIREWALL_BACKEND=nftables\\n' >${DROPIN} && systemctl daemon-reload && systemctl restart docker`,
        );
        for (const h of ["h3", "h4"]) {
            before[h] = await snapshot(h);
        }
        configFile = stackFile();
    }, 300000);

    afterAll(async () => {
        await engine.destroy().catch(() => undefined);
        engine.dispose();
        fs.rmSync(path.dirname(configFile), { recursive: true, force: true });
        await onHost(
            "h4",
            `rm -f ${DROPIN}; rmdir ${path.dirname(DROPIN)}; systemctl daemon-reload; systemctl restart docker`,
        );
        expect(await onHost("h4", "docker info --format '{{.FirewallBackend.Driver}}'")).toBe("iptables\n");
    }, 300000);

    test("Docker says nftables; up stops with the host's field, the version and the fix; no resource is made and both hosts are as before", async () => {
        expect(await onHost("h4", "docker info --format '{{.FirewallBackend.Driver}}'")).toBe("nftables\n");
        let message = "";
        try {
            await engine.up(() => new CrossHostRoutedPair("up", pairArgs()));
        } catch (e) {
            message = (e as Error).message;
        }
        console.log(`nftables: up stopped with: ${message}`);
        expect(message).toContain('Unsupported Docker for CrossHostRoutedPair "up":');
        expect(message).toMatch(
            / - hostB\.host h4 runs Docker 28\.5\.\d+\S* with the nftables firewall backend; Docker then makes no DOCKER-USER chain/,
        );
        expect(message).toContain("Remove DOCKER_FIREWALL_BACKEND=nftables from Docker's environment on h4");
        expect(message).not.toContain("h3 runs");
        expect(engine.counts).toMatchObject({ created: 0, updated: 0, replaced: 0 });
        for (const h of ["h3", "h4"]) {
            expect({ h, ...(await snapshot(h)) }).toEqual({ h, ...before[h] });
        }
        const { rows } = await checkStack({ root: ROOT, stack: "upgrade", configFile, run: labRunner });
        const docker = rows.find((r) => r.host === "h4" && r.object === "docker")!;
        expect(docker.verdict).toBe("error");
        expect(docker.seen).toMatch(/^28\.5\.\d+\S* \(nftables\): runs Docker/);
    }, 300000);
});
