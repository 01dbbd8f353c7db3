// One owner per host setting. What a host's Docker daemon carries for dockernet (its bip) is
// managed by exactly one resource per host: a DockerHost. Components that need a host's container
// subnet claim it (claimDockerHost); the first claim makes the DockerHost (at the top of the stack),
// later claims must agree with it, and removing one claimant never touches a setting another still
// declares.
import * as pulumi from "@pulumi/pulumi";
import { perProgramRun } from "../component";
import { checkInterfaceCidr, formatCidr } from "../net";
import { Problems, ValidationError, show } from "../validate";
import { HostArgs, hostEndpoint, hostScript, registeredArgs, validateHost } from "./host";

/** Arguments of a DockerHost. */
export interface DockerHostArgs {
    /** How to reach the host. */
    host: HostArgs;
    /** docker0's own address with prefix (daemon.json `bip`), e.g. `172.18.0.1/16`. Defaults to leaving the daemon's bip alone. */
    bip?: string;
    /**
     * Keep a `--bip` flag with the same value where it is (the Docker unit's ExecStart or dockerd's
     * command line, as the seed sets it) instead of refusing it: nothing on the host changes (no
     * restart), the adoption is recorded in /var/lib/dockernet, and letting go leaves the flag in
     * place. A flag with another value is still an error. Defaults to false.
     */
    adopt?: boolean;
}

/**
 * A Docker host's daemon settings, owned once: today its `bip` (bip.sh; setting it restarts
 * Docker). Routed pairs and meshes claim one per host; other Docker objects on the host should
 * `dependsOn` its `changes`.
 */
export class DockerHost extends pulumi.ComponentResource {
    public readonly hostName: string;
    /** The bip as given, e.g. `172.18.0.1/16`; undefined when the daemon's own is kept. */
    public readonly bip?: string;
    /** docker0's subnet, e.g. `172.18.0.0/16`, when a bip is set. */
    public readonly subnet?: string;
    /** The resources that change the daemon (and restart it): depend on these. */
    public readonly changes: pulumi.Resource[];

    constructor(name: string, args: DockerHostArgs, opts?: DockerHostOptions) {
        const { bipAliases, claim, ...componentOpts } = opts ?? {};
        super("dockernet:index:DockerHost", name, registeredArgs(args), componentOpts);
        const problems = new Problems();
        validateHost(problems, "host", args?.host);
        let subnet: string | undefined;
        if (args?.bip !== undefined) {
            const c = checkInterfaceCidr(args.bip);
            if (!c.ok) {
                problems.add("bip", c.problem);
            } else {
                subnet = formatCidr(c.value.network, c.value.prefix);
            }
        }
        if (args?.adopt !== undefined && typeof args.adopt !== "boolean") {
            problems.add(
                "adopt",
                `${show(args.adopt)} is not true or false; set true to keep a --bip flag of the same value where it is`,
            );
        }
        if (!problems.empty) {
            throw new pulumi.ResourceError(problems.format("DockerHost", name), this);
        }
        // Registered before any child exists: a second owner of this host is an error naming both.
        try {
            register(
                args.host,
                this,
                claim ?? { by: `DockerHost ${show(name)} bip`, bip: args.bip, adopt: args.adopt },
            );
        } catch (e) {
            throw e instanceof ValidationError ? new pulumi.ResourceError(e.message, this) : e;
        }
        this.hostName = args.host.name;
        this.bip = args.bip;
        this.subnet = subnet;
        this.changes = [];
        if (args.bip !== undefined) {
            const adopt = args.adopt === true;
            this.changes.push(
                hostScript(
                    `${name}-bip`,
                    args.host,
                    {
                        script: "bip",
                        create: bipArgs("create", args.bip, args.host, adopt),
                        delete: bipArgs("delete", args.bip, args.host, adopt),
                    },
                    { parent: this, aliases: bipAliases },
                ),
            );
        }
        this.registerOutputs({ bip: args.bip, subnet });
    }
}

/** A DockerHost's options: a component's, plus where its bip resource used to be and who claimed it. */
export interface DockerHostOptions extends pulumi.ComponentResourceOptions {
    /** Earlier URNs of the bip resource (a dockernet 0.2 pair's own), adopted in place. */
    bipAliases?: pulumi.Input<pulumi.URN | pulumi.Alias>[];
    /** The claim that made it (claimDockerHost); errors name it. Defaults to the DockerHost itself. */
    claim?: DockerHostClaim;
}

/** The bip.sh argument list for one action, with the host's restart and log commands (and `--adopt yes`). */
export function bipArgs(action: "create" | "delete" | "check", bip: string, host: HostArgs, adopt = false): string[] {
    const out = [action, bip, ...(adopt ? ["--adopt", "yes"] : [])];
    if (host.restartCommand) {
        out.push("--restart-cmd", host.restartCommand);
    }
    if (host.logCommand) {
        out.push("--log-cmd", host.logCommand);
    }
    return out;
}

/** Who claims a host's settings, as an error names it: `CrossHostRoutedPair "p" hostB.bip`. */
export interface DockerHostClaim {
    /** The claimant's kind and name and the field, e.g. `RoutedMesh "lan" hosts[2].bip`. */
    by: string;
    /** undefined: the claimant leaves the daemon's bip alone. */
    bip?: string;
    /** A `--bip` flag with the same value is kept where it is (DockerHostArgs.adopt). */
    adopt?: boolean;
}

interface Entry {
    host: HostArgs;
    endpoint: string;
    daemon: DockerHost;
    first: DockerHostClaim;
}

// One registry per program run (perProgramRun).
const registries = new WeakMap<object, Map<string, Entry>>();
const registry = (): Map<string, Entry> => perProgramRun(registries);

/**
 * The DockerHost that owns `host`'s settings in this program, made by the first claim at the top
 * of the stack (no parent), named after the host: its URN depends on the host alone, so removing
 * or moving any claimant, the first included, never replaces it while another claimant remains. A
 * later claim must name the same machine and the same bip; otherwise the error names both claims.
 * `bipAliases`: where the first claimant's own bip resource used to be (dockernet 0.2), so it is
 * adopted in place instead of replaced.
 */
export function claimDockerHost(
    host: HostArgs,
    claim: DockerHostClaim,
    opts: { bipAliases?: pulumi.Input<pulumi.URN | pulumi.Alias>[] } = {},
): DockerHost {
    const found = conflict(host, claim);
    if (found) {
        return found;
    }
    return new DockerHost(
        host.name,
        { host, bip: claim.bip, adopt: claim.adopt },
        { bipAliases: opts.bipAliases, claim },
    );
}

/**
 * Checks claims on several hosts at once without making anything (throws naming both sides of the
 * first disagreement, and of claims among themselves): a component checks all its hosts before
 * it makes its first resource, so a refused claim changes nothing.
 */
export function checkClaims(claims: { host: HostArgs; claim: DockerHostClaim }[]): void {
    const problems = new Problems();
    const mine = new Map<string, DockerHostClaim>();
    for (const { host, claim } of claims) {
        try {
            conflict(host, claim);
        } catch (e) {
            if (!(e instanceof ValidationError)) {
                throw e;
            }
            e.problems.forEach((p) => problems.add(p.field, p.message));
        }
        const earlier = mine.get(host.name);
        if (earlier && earlier.bip !== claim.bip) {
            problems.add(
                claim.by,
                `${show(claim.bip)} for host ${host.name} disagrees with ${earlier.by} ${show(earlier.bip)}; a host has one bip: give both the same`,
            );
        } else if (earlier && adoptDisagrees(earlier, claim)) {
            problems.add(adoptField(claim.by), adoptMessage(host, claim, earlier));
        }
        mine.set(host.name, earlier ?? claim);
    }
    if (!problems.empty) {
        throw new ValidationError(
            problems.format("host settings", claims.map((c) => c.host.name).join(", ")),
            problems.list,
        );
    }
}

/** The DockerHost already owning `host` when the claim agrees with it; throws naming both when it does not. */
function conflict(host: HostArgs, claim: DockerHostClaim): DockerHost | undefined {
    const reg = registry();
    const endpoint = hostEndpoint(host);
    const byName = reg.get(`name:${host.name}`);
    const byEndpoint = reg.get(`at:${endpoint}`);
    const hostField = (by: string) => by.replace(/\.bip$/, ".host");
    const bipText = (c: DockerHostClaim) => (c.bip === undefined ? "(the daemon's own bip)" : show(c.bip));
    const problems = new Problems();
    if (byName && byName.endpoint !== endpoint) {
        problems.add(
            hostField(claim.by),
            `names host ${show(host.name)} at ${endpoint}, but ${hostField(byName.first.by)} has ${show(host.name)} at ${byName.endpoint}; one name is one machine`,
        );
    } else if (byEndpoint && byEndpoint.host.name !== host.name) {
        problems.add(
            hostField(claim.by),
            `reaches ${endpoint} as ${show(host.name)}, but ${hostField(byEndpoint.first.by)} calls it ${show(byEndpoint.host.name)}; give one machine one name`,
        );
    } else if (byName && byName.first.bip !== claim.bip) {
        problems.add(
            claim.by,
            `${bipText(claim)} for host ${host.name} disagrees with ${byName.first.by} ${bipText(byName.first)}; a host has one bip: give both the same`,
        );
    } else if (byName && adoptDisagrees(byName.first, claim)) {
        problems.add(adoptField(claim.by), adoptMessage(host, claim, byName.first));
    }
    if (!problems.empty) {
        throw new ValidationError(problems.format("host settings", host.name), problems.list);
    }
    return byName?.daemon;
}

/** Two claims of one bip that disagree on adopting a --bip flag (the bip resource is one: it adopts or not). */
function adoptDisagrees(a: DockerHostClaim, b: DockerHostClaim): boolean {
    return a.bip !== undefined && a.bip === b.bip && (a.adopt === true) !== (b.adopt === true);
}
const adoptField = (by: string) => by.replace(/\.bip$/, ".adopt");
function adoptMessage(host: HostArgs, claim: DockerHostClaim, first: DockerHostClaim): string {
    const text = (c: DockerHostClaim) => (c.adopt === true ? "true" : "false (unset)");
    return `${text(claim)} for host ${host.name} disagrees with ${adoptField(first.by)} ${text(first)}; the host's bip is adopted or not: give both the same adopt`;
}

/** Records `daemon` as the owner of `host` in this program; a second owner is an error naming both. */
function register(host: HostArgs, daemon: DockerHost, claim: DockerHostClaim): void {
    if (conflict(host, claim) !== undefined) {
        const p = new Problems();
        p.add(
            claim.by,
            `claims host ${host.name}, which ${registry().get(`name:${host.name}`)!.first.by} already owns; declare a host's DockerHost once, before the components that use the host (they then share it)`,
        );
        throw new ValidationError(p.format("host settings", host.name), p.list);
    }
    const endpoint = hostEndpoint(host);
    const entry: Entry = { host, endpoint, daemon, first: claim };
    registry().set(`name:${host.name}`, entry).set(`at:${endpoint}`, entry);
}
