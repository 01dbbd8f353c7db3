// A deployment-time proof: from a container, can an address (and TCP port) be reached?
import * as pulumi from "@pulumi/pulumi";
import { planFor } from "./component";
import { HostArgs, hostScript, registeredArgs, validateHost } from "./host/host";
import { checkHostAddress } from "./net";
import { Problems, checkPort, show } from "./validate";

/** What a probe must see. */
export const Expectation = { Reachable: "reachable", Isolated: "isolated" } as const;
export type Expectation = (typeof Expectation)[keyof typeof Expectation];

/** What a probe tries and expects, as a topology gives it too. */
export interface ProbeSettings {
    /** A TCP port that must accept a connection too. Defaults to ping only. */
    port?: number;
    /** `reachable` or `isolated`; a mismatch fails the deployment. Defaults to `reachable`. */
    expect?: Expectation;
    /** How many tries, one second apart, before the outcome counts. Defaults to 5. */
    attempts?: number;
}

/** Arguments of a ConnectivityCheck. */
export interface ConnectivityCheckArgs extends ProbeSettings {
    /** The host the `fromContainer` runs on. */
    host: HostArgs;
    /** The container (name or id) the probe runs in, e.g. `LinkedContainerPair.consumer.name`. */
    fromContainer: pulumi.Input<string>;
    /** The IPv4 address or name to reach, e.g. a peer container's address. */
    toAddress: pulumi.Input<string>;
}

/** Validates the plain arguments. Pure. */
export function validateConnectivityCheck(name: string, args: ConnectivityCheckArgs): void {
    const problems = new Problems();
    validateHost(problems, "host", args?.host);
    if (typeof args?.toAddress === "string") {
        const a = checkHostAddress(args.toAddress);
        if (!a.ok && !/^[a-zA-Z0-9]([a-zA-Z0-9.-]{0,252})$/.test(args.toAddress)) {
            problems.add("toAddress", `${a.problem}; or give a container name`);
        }
    }
    if (typeof args?.fromContainer === "string" && !/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(args.fromContainer)) {
        problems.add(
            "fromContainer",
            `${show(args.fromContainer)} is not a container name or id; use the container's name, e.g. "nginx_web1"`,
        );
    }
    if (args?.port !== undefined) {
        checkPort(problems, "port", args.port);
    }
    if (args?.expect !== undefined && args.expect !== "reachable" && args.expect !== "isolated") {
        problems.add("expect", `${show(args.expect)} is not an expectation; use "reachable" or "isolated"`);
    }
    if (
        args?.attempts !== undefined &&
        !(Number.isInteger(args.attempts) && args.attempts >= 1 && args.attempts <= 120)
    ) {
        problems.add("attempts", `${show(args.attempts)} is not a number of tries; use 1 to 120`);
    }
    problems.throwIfAny("ConnectivityCheck", name);
}

/**
 * Runs a probe inside a container on its host at deployment time; when what is seen differs from
 * `expect`, the deployment fails with a message saying from, to, expected and seen.
 */
export class ConnectivityCheck extends pulumi.ComponentResource {
    /** The probe's report, e.g. `seen=reachable from=web1 to=172.18.0.2:80 attempts=1 (...)`. */
    public readonly result: pulumi.Output<string>;

    constructor(name: string, args: ConnectivityCheckArgs, opts?: pulumi.ComponentResourceOptions) {
        super("dockernet:index:ConnectivityCheck", name, registeredArgs(args), opts);
        planFor(this, args, () => validateConnectivityCheck(name, args));
        const createArgs = pulumi
            .all([args.fromContainer, args.toAddress])
            .apply(([from, to]) => [
                from,
                to,
                args.port === undefined ? "-" : String(args.port),
                args.expect ?? "reachable",
                String(args.attempts ?? 5),
            ]);
        const probe = hostScript(`${name}-probe`, args.host, { script: "probe", create: createArgs }, { parent: this });
        this.result = probe.stdout;
        this.registerOutputs({ result: this.result });
    }
}
