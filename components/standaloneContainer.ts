// One container with no partner, in any network mode: `docker run --net=host ...`, `--net=none`, a
// container on docker0 alone, or one on user-defined networks (`--network mynetwork`).
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { planFor } from "./component";
import { addressOn, container, images, primaryNetwork, started } from "./containers";
import { dockerProvider, HostArgs, registeredArgs, validateHost } from "./host/host";
import { ContainerSpec, effectiveMode, validateContainerSpec } from "./spec";
import { problemsFor } from "./validate";

/** Arguments of a StandaloneContainer. */
export interface StandaloneContainerArgs {
    /** The Docker host. Defaults to the Docker provider that reaches this component through `providers`. */
    host?: HostArgs;
    /** The container, in any network mode (bridge, host, none, custom). */
    container: ContainerSpec;
}

/** Validates the arguments (every problem at once). Pure. */
export function validateStandaloneContainer(name: string, args: StandaloneContainerArgs): void {
    const problems = problemsFor("StandaloneContainer", name, args, `{ container: { name, image } }`);
    if (args.host !== undefined) {
        validateHost(problems, "host", args.host);
    }
    validateContainerSpec(problems, "container", args.container);
    problems.throwIfAny("StandaloneContainer", name);
}

/** A container on its own: `<name>-container` and its image, on the host's Docker. */
export class StandaloneContainer extends pulumi.ComponentResource {
    public readonly container: docker.Container;
    /** Its address: on docker0 (bridge), on its first network (custom); empty in modes host and none (it has none of its own). */
    public readonly address: pulumi.Output<string>;

    constructor(name: string, args: StandaloneContainerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("dockernet:index:StandaloneContainer", name, registeredArgs(args), opts);
        planFor(this, args, () => validateStandaloneContainer(name, args));
        const provider = args.host ? dockerProvider(`${name}-provider`, args.host, this) : undefined;
        const childOpts = { parent: this, provider };
        const imgs = images(name, [args.container], childOpts);
        this.container = container(
            `${name}-container`,
            args.container,
            imgs.get(args.container.image)!,
            `StandaloneContainer/${name}`,
            {},
            childOpts,
        );
        const mode = effectiveMode(args.container);
        this.address =
            mode === "host" || mode === "none"
                ? pulumi.output("")
                : addressOn(this.container, primaryNetwork(args.container));
        this.registerOutputs({ started: started(this.container, args.container), address: this.address });
    }
}
