// The lab as the live tests see it: lab.json written by `test/lab/lab.sh up`, host arguments for
// the components, and inspection of a host's real state over SSH.
import * as fs from "fs";
import * as path from "path";
import { HostArgs } from "../../components";
import { assertLabRoute, run, RunResult } from "./exec";

export interface LabHost {
    name: string;
    netns: string;
    lanAddress: string;
    sshPort: number;
    user: string;
    dockerSocket: string;
    holderPidFile: string;
    restartsLog: string;
    dockerdLog: string;
    /** The Docker line the lab gave the host (DOCKERNET_LAB_DOCKER), e.g. "28.5". */
    dockerLine: string;
    /** Its daemon's version as it says, e.g. "28.5.2+dfsg4". */
    dockerVersion: string;
}

export interface LabInfo {
    labDir: string;
    lanCidr: string;
    runnerAddress: string;
    privateKeyPath: string;
    knownHostsPath: string;
    image: string;
    hosts: LabHost[];
}

export const LAB_DIR = process.env.DOCKERNET_LAB_DIR ?? "/var/tmp/dockernet-lab";
export const LAB_SCRIPT = path.join(__dirname, "..", "lab", "lab.sh");

/** Reads lab.json; throws (never skips) when the lab is not up. */
export function lab(): LabInfo {
    const file = path.join(LAB_DIR, "lab.json");
    if (!fs.existsSync(file)) {
        throw new Error(`the lab is not up (${file} missing): run "npm run lab:up" as root`);
    }
    return JSON.parse(fs.readFileSync(file, "utf8")) as LabInfo;
}

export function labHost(name: string): LabHost {
    const h = lab().hosts.find((x) => x.name === name);
    if (!h) {
        throw new Error(
            `lab host ${name} is not up (hosts: ${lab()
                .hosts.map((x) => x.name)
                .join(", ")})`,
        );
    }
    return h;
}

/** The major version of a lab host's Docker (20, 26, 28), as the lab started it. */
export function dockerMajor(name: string): number {
    return Number(labHost(name).dockerVersion.split(".")[0]);
}

/** The public host key of a lab host, from the lab's known_hosts. */
export function hostKey(h: LabHost): string {
    const line = fs
        .readFileSync(lab().knownHostsPath, "utf8")
        .split("\n")
        .find((l) => l.split(" ")[0].split(",").includes(h.lanAddress));
    if (!line) {
        throw new Error(`no host key for ${h.lanAddress} in ${lab().knownHostsPath}`);
    }
    return line.split(" ").slice(1, 3).join(" ");
}

/** HostArgs that reach a lab host over real SSH, the way a user's stack reaches a server. */
export function sshHost(name: string): HostArgs {
    const info = lab();
    const h = labHost(name);
    return {
        name,
        ssh: {
            address: h.lanAddress,
            port: h.sshPort,
            user: h.user,
            privateKey: fs.readFileSync(info.privateKeyPath, "utf8"),
            privateKeyPath: info.privateKeyPath,
            knownHostsPath: info.knownHostsPath,
            hostKey: hostKey(h),
        },
    };
}

/** Runs a shell command on a lab host over SSH and returns its result (no throw). */
export async function onHostRaw(name: string, command: string, timeoutMs = 120000): Promise<RunResult> {
    const info = lab();
    const h = labHost(name);
    assertLabRoute(h.lanAddress);
    return run(
        [
            "ssh",
            "-i",
            info.privateKeyPath,
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            `UserKnownHostsFile=${info.knownHostsPath}`,
            "-o",
            "StrictHostKeyChecking=yes",
            "-o",
            "BatchMode=yes",
            "-o",
            "ConnectTimeout=10",
            "-o",
            "LogLevel=ERROR",
            "-p",
            String(h.sshPort),
            `${h.user}@${h.lanAddress}`,
            command,
        ],
        { timeoutMs },
    );
}

/** Runs a shell command on a lab host over SSH; throws with its stderr when it fails. */
export async function onHost(name: string, command: string, timeoutMs = 120000): Promise<string> {
    const r = await onHostRaw(name, command, timeoutMs);
    if (r.code !== 0) {
        throw new Error(`on ${name}: ${command} → exit ${r.code}: ${(r.stderr || r.stdout).trim()}`);
    }
    return r.stdout;
}

/** Runs a command inside a container on a lab host (`docker exec`), no throw. */
export function inContainer(host: string, container: string, command: string, timeoutMs = 60000): Promise<RunResult> {
    return onHostRaw(host, `docker exec ${container} sh -c ${quote(command)}`, timeoutMs);
}

/** The state of a host that dockernet must leave as it found it. */
export async function snapshot(
    name: string,
): Promise<{ routes: string; iptables: string; daemonJson: string; files: string }> {
    const routes = await onHost(
        name,
        "ip route show table all | grep -v -e 'proto kernel' -e '^local ' -e '^broadcast ' -e '^multicast ' -e 'fe80::' | sort",
    );
    const iptables = await onHost(
        name,
        // raw too where anything is in it (Docker 28+ drops routed traffic there; dockernet's
        // mirror). An empty raw table (its two built-in chains, policy ACCEPT) is left out: Docker 28
        // makes it with a host's first container and keeps it after the last, and it filters
        // nothing; what dockernet puts there is chains and rules, which count. (Listing a table that
        // does not exist would make it on legacy iptables, so it is read from iptables-save.)
        "raw=$(iptables-save | sed -n '/^[*]raw$/,/^COMMIT$/p' | grep -v -e '^[*]raw$' -e '^COMMIT$' -e '^#' -e '^:PREROUTING ACCEPT' -e '^:OUTPUT ACCEPT'); " +
            "for t in filter nat ${raw:+raw}; do iptables-save -t $t | grep -v '^#' | sed -e 's/\\[[0-9]*:[0-9]*\\]/[0:0]/'; done",
    );
    const daemonJson = await onHost(name, "cat /etc/docker/daemon.json 2>/dev/null || echo '(none)'");
    // The host's unit files (dockernet-restore.service and its link) and dockernet's own state.
    const files = await onHost(
        name,
        "find /etc/systemd/system /var/lib/dockernet -printf '%p %y %m %l\\n' | sort; find /etc/systemd/system /var/lib/dockernet -type f -exec cksum {} + | sort -k3",
    );
    return { routes, iptables, daemonJson, files };
}

/** How many times Docker has been restarted on a lab host (the lab's systemctl shim counts). */
export function restarts(name: string): number {
    const file = labHost(name).restartsLog;
    return fs.existsSync(file)
        ? fs
              .readFileSync(file, "utf8")
              .split("\n")
              .filter((l) => l.trim()).length
        : 0;
}

export function quote(word: string): string {
    return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A ping loop (5 per second) from a container to an address, in the container's network namespace, until stopped. */
export async function startPingLoop(
    host: string,
    container: string,
    to: string,
): Promise<{ stop: () => Promise<{ sent: number; received: number; longestGapS: number }> }> {
    const log = `${LAB_DIR}/${host}/ping-loop.log`;
    const pidFile = `${LAB_DIR}/${host}/ping-loop.pid`;
    await onHost(
        host,
        // busybox's ping (busybox-static, which the lab needs anyway), in the container's network namespace.
        `pid=$(docker inspect --format '{{.State.Pid}}' ${container}); nohup nsenter -t "$pid" -n busybox ping -i 0.2 -W 1 ${to} >${log} 2>&1 </dev/null & echo $! >${pidFile}`,
    );
    return {
        stop: async () => {
            // SIGINT: ping flushes what it printed (its output to a file is buffered) and exits.
            await onHost(host, `kill -INT "$(cat ${pidFile})"; rm -f ${pidFile}`);
            await new Promise((r) => setTimeout(r, 300));
            const seqs = fs
                .readFileSync(log, "utf8")
                .split("\n")
                .map((l) => /seq=(\d+)/.exec(l)?.[1])
                .filter((s): s is string => s !== undefined)
                .map(Number);
            fs.rmSync(log, { force: true });
            let longest = 0;
            for (let i = 1; i < seqs.length; i++) {
                longest = Math.max(longest, seqs[i] - seqs[i - 1] - 1);
            }
            return {
                sent: seqs.length === 0 ? 0 : seqs[seqs.length - 1] + 1,
                received: seqs.length,
                longestGapS: longest * 0.2,
            };
        },
    };
}

/**
 * An HTTP loop inside `container` on `host` (its own busybox wget under `timeout 2` (this busybox's wget -T crashes), one request
 * every 0.2 s) against `url`, until stop() counts the answered and the failed requests and the
 * longest run of failures. It runs under `docker exec -d` and stops by a file it looks for; stop()
 * waits for its last line and removes its files from the container.
 */
export async function startHttpLoop(
    host: string,
    container: string,
    url: string,
): Promise<{ stop: () => Promise<{ sent: number; answered: number; longestFailS: number }> }> {
    const dir = "/tmp/dockernet-http-loop";
    await onHost(
        host,
        `docker exec ${container} sh -c 'rm -rf ${dir}; mkdir -p ${dir}' && ` +
            `docker exec -d ${container} sh -c 'while [ ! -e ${dir}/stop ]; do if timeout 2 wget -q -O /dev/null ${url}; then echo ok; else echo fail; fi >>${dir}/log; usleep 200000; done; echo end >>${dir}/log'`,
    );
    return {
        stop: async () => {
            const out = await onHost(
                host,
                `docker exec ${container} sh -c 'touch ${dir}/stop; i=0; while ! grep -q "^end$" ${dir}/log 2>/dev/null && [ $i -lt 50 ]; do usleep 100000; i=$((i+1)); done; cat ${dir}/log; rm -rf ${dir}'`,
            );
            const lines = out.split("\n").filter((l) => l === "ok" || l === "fail");
            let run = 0;
            let longest = 0;
            for (const l of lines) {
                run = l === "fail" ? run + 1 : 0;
                longest = Math.max(longest, run);
            }
            return {
                sent: lines.length,
                answered: lines.filter((l) => l === "ok").length,
                longestFailS: longest * 0.2,
            };
        },
    };
}

/**
 * What a test file must leave behind on every lab host, so that the next file starts from the lab
 * as lab.sh made it: sshd answering, Docker running, no swarm, INPUT accepting. A file that leaves
 * one of these behind (a fault injected and not undone because an assertion failed first) gets the
 * failure, and the host is put right here, so one failing file cannot make every later one fail.
 */
export async function labLeftClean(): Promise<string[]> {
    if (!fs.existsSync(path.join(LAB_DIR, "lab.json"))) {
        return [];
    }
    const problems: string[] = [];
    for (const h of lab().hosts) {
        const r = await onHostRaw(
            h.name,
            [
                "if ! timeout 20 docker info >/dev/null 2>&1; then echo 'Docker was not answering (started it)'; systemctl start docker >/dev/null 2>&1; fi",
                "s=$(timeout 20 docker info --format '{{.Swarm.LocalNodeState}}' 2>/dev/null)",
                'if [ -n "$s" ] && [ "$s" != inactive ]; then echo "it was in a swarm ($s; left it)"; timeout 60 docker swarm leave --force >/dev/null 2>&1; fi',
                "if [ \"$(iptables -w -S INPUT | head -n 1)\" != '-P INPUT ACCEPT' ]; then echo 'INPUT did not accept (set it to ACCEPT)'; iptables -w -P INPUT ACCEPT; fi",
                "true",
            ].join("\n"),
            180000,
        );
        if (r.code !== 0) {
            problems.push(`${h.name}: not reachable over SSH (exit ${r.code}: ${(r.stderr || r.stdout).trim()})`);
        }
        for (const line of r.stdout.split("\n").filter((l) => l.trim())) {
            problems.push(`${h.name}: ${line.trim()}`);
        }
    }
    return problems;
}
