// Drift, seen by `pulumi preview` and `pulumi up`. A remote command runs only when its inputs change
// (pulumi-command has no Read that looks at the host), so a route deleted by hand or a chain
// flushed by a reboot that did not restore it would leave `up` saying "no changes". So, while the
// program is evaluated (in preview and in up alike), dockernet looks at each host once: the bip in
// daemon.json, docker0's address, and every host script's `check` of what it recorded
// (/var/lib/dockernet/boot/*.rec). A host script resource whose host differs gets the difference
// in its `stdin` (which the script does not read): a change to stdin is an in-place update in
// pulumi-command (only `triggers` replaces), the preview shows what drifted, and the update runs
// the resource's create again, which converges the host. On a host that is as declared, the
// resource ignores changes to stdin, so a healthy `up` changes nothing, and the message of a drift
// repaired earlier stays in the state until the next one (each carries the time it was seen).
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { perProgramRun } from "../component";
import { expandHome, hostEndpoint } from "./endpoint";
import type { HostArgs, LocalHostArgs, SshConnectionArgs } from "./host";

/** A host as observation needs it (no key text: the ssh client reads the key file). */
export interface ObservedHost {
    name: string;
    ssh?: SshConnectionArgs;
    local?: LocalHostArgs;
}
const endpoint = (h: ObservedHost) => hostEndpoint(h as HostArgs);

/** What one look at a host saw. */
export interface HostObservation {
    /** False when the host could not be asked (then nothing is concluded about it). */
    reachable: boolean;
    /** Why it could not be asked. */
    error?: string;
    /** `bip` in /etc/docker/daemon.json ("" when absent). */
    bip: string;
    /** The bip of an adopted `--bip` flag (bip.sh --adopt yes: /var/lib/dockernet/adopted-bip.json; "" when none). */
    bipAdopted?: string;
    /** docker0's IPv4 address and prefix ("" when absent). */
    docker0: string;
    /** Each boot record's `check`: record name (e.g. `routes.DN-R-…`) → its `differs:` lines ([] = as recorded). */
    records: Map<string, string[]>;
    /** When it was seen (ISO time), carried in each drift message so every new drift is a new value. */
    at: string;
    /** The host's containers by name (all of them, running or not), for adoption (`adopt: true`). */
    containers?: Map<string, SeenContainer>;
    /** `--bip` flags dockerd runs with or its unit passes (`running` / `unit`, the value). */
    bipFlags?: { where: "running" | "unit"; value: string }[];
    /** The main table's IPv4 routes but the kernel's own, as `ip -o route` prints them. */
    routes?: string[];
    /** ACCEPT rules in filter FORWARD and DOCKER-USER, as `iptables -S` prints them. */
    acceptRules?: string[];
    /** The subnet of Docker's docker_gwbridge network, when it exists (a swarm member's). */
    gwbridge?: string;
    /** The daemon's version (`docker version`'s Server.Version, e.g. `28.5.2+dfsg4`); "" when Docker did not answer. */
    dockerVersion?: string;
    /** Its firewall backend (`docker info`'s FirewallBackend.Driver, API 1.49+: `iptables`, `nftables`, `+firewalld`); "" before 28.1. */
    firewallBackend?: string;
}

/** A container as `docker inspect` shows it: what adoption compares with a declaration. */
export interface SeenContainer {
    /** The full 64-hex id (the Docker provider's import id). */
    id: string;
    /** Config.Image: the image as `docker run` was given it. */
    image: string;
    /** HostConfig.NetworkMode, raw (`default` for a plain `docker run` on Docker 20.10). */
    networkMode: string;
    /** HostConfig.RestartPolicy.Name (`no` when none was given). */
    restart: string;
    running: boolean;
    /** Config.Cmd. */
    command: string[] | null;
    /** The networks it is on, by name, sorted. */
    networks: string[];
    /** It carries dockernet's `dockernet.component` label: dockernet made it. */
    dockernet: boolean;
}

/** The read-only program each host runs: one line per fact, then each record's check. */
export const OBSERVE = `set -u
PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin
bip=$(sed -n 's/.*"bip"[[:space:]]*:[[:space:]]*"\\([^"]*\\)".*/\\1/p' /etc/docker/daemon.json 2>/dev/null | head -n 1)
echo "bip \${bip}"
adopted=$(sed -n 's/.*"bip"[[:space:]]*:[[:space:]]*"\\([^"]*\\)".*/\\1/p' /var/lib/dockernet/adopted-bip.json 2>/dev/null | head -n 1)
echo "bipadopted \${adopted}"
echo "docker0 $(ip -4 -o addr show dev docker0 2>/dev/null | awk '{ print $4; exit }')"
t=$(mktemp) || exit 3
for rec in /var/lib/dockernet/boot/*.rec; do
	[ -f "$rec" ] || continue
	n=$(basename "$rec" .rec)
	sed '2s/^set -- create /set -- check /' "$rec" >"$t"
	out=$(DN_BOOT_RESTORE=1 sh "$t" </dev/null 2>&1)
	echo "rec $n $?"
	printf '%s\\n' "$out" | sed -n "s/^differs: /differs $n /p"
done
rm -f "$t"
pid=$(cat /run/docker.pid 2>/dev/null)
if [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ]; then
	tr '\\0' '\\n' <"/proc/$pid/cmdline" | awk 'w { print "bipflag running " $0; exit } /^--bip=/ { sub(/^--bip=/, ""); print "bipflag running " $0; exit } /^--bip$/ { w = 1 }'
fi
systemctl cat docker 2>/dev/null | grep -v '^[[:space:]]*[#;]' | grep -e '--bip' | tail -n 1 | sed -n "s/.*--bip[= ][\\"']*\\([^\\"'[:space:]]*\\).*/bipflag unit \\1/p"
ip -4 -o route show table main 2>/dev/null | grep -v ' proto kernel' | sed 's/^/route /'
for c in FORWARD DOCKER-USER; do iptables -w -S "$c" 2>/dev/null | grep -e '-j ACCEPT' | sed 's/^/rule /'; done
if command -v docker >/dev/null 2>&1; then
	echo "dockerversion $(docker version --format '{{.Server.Version}}' 2>/dev/null | head -n 1)"
	echo "firewallbackend $(docker info --format '{{if .FirewallBackend}}{{.FirewallBackend.Driver}}{{end}}' 2>/dev/null | head -n 1)"
	ids=$(docker ps -aq --no-trunc 2>/dev/null)
	gw=$(docker network inspect docker_gwbridge --format '{{range .IPAM.Config}}{{.Subnet}} {{end}}' 2>/dev/null)
	[ -z "$gw" ] || echo "gwbridge $gw"
	[ -z "$ids" ] || docker inspect --format 'ctr	{{.Name}}	{{.Id}}	{{.Config.Image}}	{{.HostConfig.NetworkMode}}	{{.HostConfig.RestartPolicy.Name}}	{{.State.Running}}	{{json .Config.Cmd}}	{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}	{{index .Config.Labels "dockernet.component"}}' $ids 2>/dev/null
fi
echo end
`;

/** Parses what OBSERVE printed. */
export function parseObservation(stdout: string, at: string): HostObservation {
    const o: HostObservation = { reachable: true, bip: "", docker0: "", records: new Map(), at };
    let ended = false;
    for (const line of stdout.split("\n")) {
        if (line.startsWith("ctr\t")) {
            const [, n, id, image, networkMode, restart, running, cmd, nets, component] = line.split("\t");
            let command: string[] | null = null;
            try {
                command = JSON.parse(cmd ?? "null") as string[] | null;
            } catch {
                command = null;
            }
            (o.containers ??= new Map()).set((n ?? "").replace(/^\//, ""), {
                id: id ?? "",
                image: image ?? "",
                networkMode: networkMode ?? "",
                restart: restart ?? "",
                running: running === "true",
                command,
                networks: (nets ?? "")
                    .split(" ")
                    .filter((x) => x !== "")
                    .sort(),
                dockernet: (component ?? "") !== "" && component !== "<no value>",
            });
            continue;
        }
        const [kind, name, ...rest] = line.split(" ");
        if (kind === "bipflag" && (name === "running" || name === "unit")) {
            (o.bipFlags ??= []).push({ where: name, value: rest.join(" ") });
            continue;
        }
        if (kind === "route" || kind === "rule") {
            const list = kind === "route" ? (o.routes ??= []) : (o.acceptRules ??= []);
            list.push(line.slice(kind.length + 1).trim());
            continue;
        }
        if (kind === "bip") {
            o.bip = name ?? "";
        } else if (kind === "bipadopted") {
            o.bipAdopted = name ?? "";
        } else if (kind === "docker0") {
            o.docker0 = name ?? "";
        } else if (kind === "gwbridge") {
            o.gwbridge = name ?? "";
        } else if (kind === "dockerversion") {
            o.dockerVersion = name ?? "";
        } else if (kind === "firewallbackend") {
            o.firewallBackend = name ?? "";
        } else if (kind === "rec" && name) {
            o.records.set(name, rest[0] === "0" ? [] : rest[0] === "1" ? [] : [`check exited ${rest[0]}`]);
        } else if (kind === "differs" && name) {
            o.records.get(name)?.push(rest.join(" "));
        } else if (kind === "end") {
            ended = true;
        }
    }
    if (!ended) {
        return { ...o, reachable: false, error: "the host's answer was cut short" };
    }
    return o;
}

/** The Docker lines dockernet is proven on (docs/docker-versions.md), oldest first. */
export const TESTED_DOCKER = ["20.10", "26.1", "28.5"];

/**
 * Why dockernet cannot change this host's firewall for routed or bridge-to-bridge traffic, or
 * undefined when it can. Its rules are iptables chains entered from Docker's DOCKER-USER and raw
 * PREROUTING (firewall.sh). Docker's nftables backend (28.2+ by DOCKER_FIREWALL_BACKEND, 29+ by
 * "firewall-backend" in daemon.json) makes no DOCKER-USER and filters in tables of its own (moby
 * daemon/libnetwork/internal/nftables), so those rules would never see the traffic; Docker 29 is not
 * in Debian yet, and nothing of it is proven here.
 */
export function dockerSupportProblem(hostName: string, o: HostObservation): string | undefined {
    const v = o.dockerVersion ?? "";
    const major = Number(/^(\d+)\./.exec(v)?.[1] ?? NaN);
    if ((o.firewallBackend ?? "").startsWith("nftables")) {
        // 29 has the daemon.json key; 28 only the environment variable (a 28 dockerd refuses to
        // start with a daemon.json key it does not know).
        const fix =
            major >= 29
                ? `Set "firewall-backend": "iptables" in ${hostName}'s /etc/docker/daemon.json`
                : `Remove DOCKER_FIREWALL_BACKEND=nftables from Docker's environment on ${hostName} (its systemd unit or a drop-in, /etc/default/docker)`;
        return (
            `runs Docker ${v || "(version unknown)"} with the nftables firewall backend; Docker then makes no DOCKER-USER chain and filters in its own nftables tables, ` +
            `so dockernet's iptables rules would never see the traffic. ${fix} and restart Docker, then run again; nothing was changed`
        );
    }
    if (major >= 29) {
        return (
            `runs Docker ${v}, which dockernet does not support yet (it is proven on Docker ${TESTED_DOCKER.join(", ")}; ` +
            `see docs/docker-versions.md in dockernet for what Docker 29 support needs). Run Docker 28.5 on ${hostName}; nothing was changed`
        );
    }
    return undefined;
}

/**
 * Looks at the hosts (once per run) and throws, naming each host's field, when a host's Docker is one
 * whose firewall dockernet cannot manage (dockerSupportProblem). Called before a component makes
 * anything. A host that could not be looked at (unreachable, or DOCKERNET_OBSERVE=off) is not judged:
 * the look's warning says so, and nothing stops its firewall scripts there.
 */
export function requireSupportedDocker(
    kind: string,
    name: string,
    hosts: { field: string; host: ObservedHost }[],
): void {
    observeHosts(hosts.map((h) => h.host)); // nothing when switched off: then only what was remembered counts
    const problems: string[] = [];
    for (const { field, host } of hosts) {
        const o = observationOf(host);
        const why = o ? dockerSupportProblem(host.name, o) : undefined;
        if (why) {
            problems.push(` - ${field} ${host.name} ${why}`);
        }
    }
    if (problems.length > 0) {
        throw new UnsupportedDockerError(`Unsupported Docker for ${kind} "${name}":\n${problems.join("\n")}`);
    }
}

/** A host runs a Docker whose firewall dockernet cannot manage (requireSupportedDocker). */
export class UnsupportedDockerError extends Error {}

/** Runs `check`; an UnsupportedDockerError it throws becomes the component's ResourceError. */
export function rethrowAsResourceError(component: pulumi.Resource, check: () => void): void {
    try {
        check();
    } catch (e) {
        throw e instanceof UnsupportedDockerError ? new pulumi.ResourceError(e.message, component) : e;
    }
}

/** Which hosts were looked at in this program run, by endpoint (one registry per run, like DockerHost's). */
const runs = new WeakMap<object, Map<string, HostObservation>>();

/**
 * Test hooks: a guard every address is checked with before it is contacted (the live tests confine
 * it to the lab), and the command prefix a local host is looked at through (the live tests' local
 * host is a lab host, entered with nsenter).
 */
interface Hooks {
    guard?: (address: string) => void;
    localPrefix?: string[];
}
// Kept on the global object: a test may load the program in a fresh module registry
// (jest.isolateModules), whose copy of this module must obey the same hooks.
const HOOKS = Symbol.for("dockernet.observe.hooks");
const hooksNow = (): Hooks => (globalThis as Record<symbol, Hooks | undefined>)[HOOKS] ?? {};
export function setObservationHooks(h: Hooks): void {
    (globalThis as Record<symbol, Hooks | undefined>)[HOOKS] = h;
}

/** Whether looking at hosts is switched off (DOCKERNET_OBSERVE=off: unit tests, the offline plan). */
export function observationOff(): boolean {
    return process.env.DOCKERNET_OBSERVE === "off";
}

/**
 * Looks at each host once per program run (in parallel, one ssh session each, with the user's ssh
 * client, key file and known_hosts as the Docker provider uses them). Hosts seen already in this run
 * are not asked again. A host that cannot be asked is noted once with a warning and left alone.
 */
export function observeHosts(hosts: ObservedHost[], keyPath?: string): void {
    if (observationOff()) {
        return;
    }
    const seen = perProgramRun(runs);
    const todo = hosts.filter((h) => !seen.has(endpoint(h)));
    if (todo.length === 0) {
        return;
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dockernet-observe-"));
    try {
        fs.writeFileSync(path.join(dir, "observe.sh"), OBSERVE);
        const lines: string[] = [];
        todo.forEach((h, i) => {
            const argv = observeArgv(h, keyPath);
            lines.push(
                `${argv.map(q).join(" ")} <${q(path.join(dir, "observe.sh"))} >${q(path.join(dir, `${i}.out`))} 2>${q(path.join(dir, `${i}.err`))}; echo $? >${q(path.join(dir, `${i}.rc`))} &`,
            );
        });
        lines.push("wait");
        const r = spawnSync("sh", ["-c", lines.join("\n")], { stdio: "ignore", timeout: 60000 });
        const at = new Date().toISOString();
        todo.forEach((h, i) => {
            const read = (ext: string) =>
                fs.existsSync(path.join(dir, `${i}.${ext}`))
                    ? fs.readFileSync(path.join(dir, `${i}.${ext}`), "utf8")
                    : "";
            const rc = read("rc").trim();
            let o: HostObservation;
            if (r.error || rc !== "0") {
                const why = read("err").trim().split("\n").pop() || (r.error ? r.error.message : `exit ${rc || "?"}`);
                o = { reachable: false, error: why, bip: "", docker0: "", records: new Map(), at };
                pulumi.log.warn(
                    `dockernet could not look at host ${h.name} for drift (${why}); this preview shows only configuration changes for its host scripts`,
                );
            } else {
                o = parseObservation(read("out"), at);
            }
            seen.set(endpoint(h), o);
        });
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/**
 * Records what a host showed, for this program run, as if observeHosts had looked (for an embedding
 * stack that looks at its hosts by other means, and for tests).
 */
export function rememberObservation(host: ObservedHost, o: HostObservation): void {
    const seen = perProgramRun(runs);
    seen.set(endpoint(host), o);
}

/** The observation of a host in this program run, if it was looked at and answered. */
export function observationOf(host: ObservedHost): HostObservation | undefined {
    const o = perProgramRun(runs).get(endpoint(host));
    return o?.reachable ? o : undefined;
}

function observeArgv(h: ObservedHost, keyPath?: string): string[] {
    if (!h.ssh) {
        return [...(hooksNow().localPrefix ?? []), "sh", "-s"];
    }
    hooksNow().guard?.(h.ssh.address);
    return sshArgv(h.ssh, keyPath, "sh -s");
}

/**
 * The ssh client's argv that runs `command` on a host the way the Docker provider reaches it (the
 * key file, known_hosts), never asking anything (BatchMode): for the drift look and `npm run check`.
 */
export function sshArgv(s: SshConnectionArgs, keyPath: string | undefined, command: string): string[] {
    const key = s.privateKeyPath ?? keyPath;
    return [
        "ssh",
        "-o",
        "BatchMode=yes",
        "-o",
        "ConnectTimeout=10",
        "-o",
        "LogLevel=ERROR",
        ...(key ? ["-i", expandHome(key), "-o", "IdentitiesOnly=yes"] : []),
        ...(s.knownHostsPath
            ? ["-o", `UserKnownHostsFile=${expandHome(s.knownHostsPath)}`, "-o", "StrictHostKeyChecking=yes"]
            : []),
        "-p",
        String(s.port ?? 22),
        `${s.user ?? "root"}@${s.address}`,
        command,
    ];
}

const q = (w: string) => `'${w.replace(/'/g, `'\\''`)}'`;

/**
 * The drift a host script resource's host shows, from its (plain) arguments: [] when the host is as
 * the resource made it, undefined when there is nothing to compare (no observation, arguments not
 * known yet, or a script with no host state).
 */
export function driftOf(script: string, args: unknown, o: HostObservation | undefined): string[] | undefined {
    if (o && script === "probe") {
        // A probe proves a path after the host state it crosses is in place: when that state
        // drifted on its host, the probe runs again after the repair (it depends on it). Its
        // arguments (a container's address) may be known only during up; they do not matter here.
        return [...o.records].flatMap(([rec, lines]) => lines.map((l) => `${rec}: ${l}`));
    }
    if (!o || !Array.isArray(args) || !args.every((a) => typeof a === "string")) {
        return undefined;
    }
    const a = args as string[];
    const opt = (name: string) => {
        const i = a.indexOf(name);
        return i >= 0 ? a[i + 1] : a.find((x) => x.startsWith(`${name}=`))?.slice(name.length + 1);
    };
    if (script === "bip") {
        const bip = a[1];
        const out: string[] = [];
        // An adopted --bip flag carries the value instead of daemon.json (bip.sh --adopt yes).
        const adopted = opt("--adopt") === "yes" && o.bipAdopted === bip;
        if (!adopted && o.bip !== bip) {
            out.push(`bip in /etc/docker/daemon.json is ${o.bip ? `"${o.bip}"` : "absent"}, declared ${bip}`);
        }
        if (o.docker0 && o.docker0 !== bip) {
            out.push(`docker0 has ${o.docker0}, declared ${bip}`);
        }
        return out;
    }
    const record =
        script === "routes"
            ? `routes.${opt("--tag") ?? "default"}`
            : script === "firewall"
              ? `firewall.${opt("--chain")}`
              : undefined;
    if (!record) {
        return undefined;
    }
    const lines = o.records.get(record);
    return lines === undefined
        ? [`no boot record ${record} on the host (made by hand, by an older dockernet, or removed)`]
        : lines;
}

/** The stdin that carries a drift into the plan, and whether a healthy host ignores stdin changes. */
export function driftCarrier(
    host: string,
    resource: string,
    drift: string[] | undefined,
    at: string | undefined,
): { stdin?: string; ignore: boolean } {
    if (!drift || drift.length === 0) {
        // Nothing seen (or nothing to see): whatever stdin holds from an earlier drift stays.
        return { ignore: true };
    }
    return {
        stdin: `dockernet: drift seen on ${host} at ${at} (${resource}):\n${drift.map((d) => `  ${d}`).join("\n")}\n`,
        ignore: false,
    };
}
