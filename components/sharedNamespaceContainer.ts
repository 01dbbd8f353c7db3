// A primary container and sidecars sharing its network namespace: `docker run --net=container:<id>`.
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { planFor } from "./component";
import { addressOn, container, images, primaryNetwork, started } from "./containers";
import { dockerProvider, HostArgs, registeredArgs, validateHost } from "./host/host";
import { ContainerSpec, checkUniqueNames, listeningPorts, validateContainerSpec } from "./spec";
import { problemsFor, show } from "./validate";

/** Arguments of a SharedNamespaceContainer. */
export interface SharedNamespaceContainerArgs {
    /** The Docker host. Defaults to the Docker provider that reaches this component through `providers`. */
    host?: HostArgs;
    /** The container that owns the network namespace; any network mode (bridge, host, none, custom). */
    primary: ContainerSpec;
    /**
     * Containers started with `--net=container:<primary id>`: they share the primary's addresses,
     * ports and loopback. Their `ports` list what they listen on (never published); no network settings.
     */
    sidecars: ContainerSpec[];
}

/** Validates the arguments (every problem at once). Pure. */
export function validateSharedNamespaceContainer(name: string, args: SharedNamespaceContainerArgs): void {
    const problems = problemsFor("SharedNamespaceContainer", name, args, `{ primary, sidecars }`);
    if (args.host !== undefined) {
        validateHost(problems, "host", args.host);
    }
    validateContainerSpec(problems, "primary", args.primary);
    if (!Array.isArray(args.sidecars) || args.sidecars.length === 0) {
        problems.add("sidecars", `is ${show(args.sidecars)}; give at least one sidecar container`);
    } else {
        args.sidecars.forEach((s, i) => validateContainerSpec(problems, `sidecars[${i}]`, s, true));
        checkUniqueNames(problems, [
            { field: "primary.name", name: args.primary?.name },
            ...args.sidecars.map((s, i) => ({ field: `sidecars[${i}].name`, name: s?.name })),
        ]);
        // One namespace, one set of ports: a clash would fail at run time with "address in use".
        const owner = new Map<string, string>();
        for (const p of args.primary ? listeningPorts(args.primary) : []) {
            owner.set(p, "primary");
        }
        args.sidecars.forEach((s, i) => {
            (s?.ports ?? []).forEach((port, j) => {
                const key = `${port.internal}/${port.protocol ?? "tcp"}`;
                const first = owner.get(key);
                if (first !== undefined) {
                    problems.add(
                        `sidecars[${i}].ports[${j}]`,
                        `${key} is already taken by ${first} in the shared network namespace; choose another port`,
                    );
                } else {
                    owner.set(key, `sidecars[${i}]`);
                }
            });
        });
    }
    problems.throwIfAny("SharedNamespaceContainer", name);
}

/**
 * A primary container and sidecars in its network namespace (`--net=container:<primary id>`), e.g.
 * a Tomcat app with a log shipper that reaches it on 127.0.0.1.
 */
export class SharedNamespaceContainer extends pulumi.ComponentResource {
    public readonly primary: docker.Container;
    public readonly sidecars: docker.Container[];
    /** The primary's first address (empty in network mode host or none). */
    public readonly address: pulumi.Output<string>;
    /** The mode the sidecars run in: `container:<primary id>`. */
    public readonly sharedMode: pulumi.Output<string>;

    constructor(name: string, args: SharedNamespaceContainerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("dockernet:index:SharedNamespaceContainer", name, registeredArgs(args), opts);
        planFor(this, args, () => validateSharedNamespaceContainer(name, args));
        const provider = args.host ? dockerProvider(`${name}-provider`, args.host, this) : undefined;
        const childOpts = { parent: this, provider };
        const imgs = images(name, [args.primary, ...args.sidecars], childOpts);
        const component = `SharedNamespaceContainer/${name}`;
        this.primary = container(
            `${name}-primary`,
            args.primary,
            imgs.get(args.primary.image)!,
            component,
            {},
            childOpts,
        );
        // The id, not the name: the daemon stores the id, so a name would diff on every run, and a
        // new primary id is exactly what must replace the sidecars.
        this.sharedMode = pulumi.interpolate`container:${this.primary.id}`;
        this.sidecars = args.sidecars.map((s) =>
            container(
                `${name}-sidecar-${s.name}`,
                s,
                imgs.get(s.image)!,
                component,
                { networkMode: this.sharedMode },
                {
                    ...childOpts,
                    replaceOnChanges: ["networkMode"],
                },
            ),
        );
        this.address = addressOn(this.primary, primaryNetwork(args.primary));
        this.registerOutputs({
            started: pulumi.all([
                started(this.primary, args.primary),
                ...this.sidecars.map((c, i) => started(c, args.sidecars[i])),
            ]),
            address: this.address,
            sharedMode: this.sharedMode,
        });
    }
}
