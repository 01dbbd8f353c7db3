// Embedding dockernet in a larger stack: the platform team owns the Docker provider (one engine,
// reached over SSH), creates a network of its own, and drops two dockernet components in with
// no `host`, so the Docker provider reaches them through `providers`. A transform of its own
// stamps an owner label on everything it can and keeps a list of what it saw.
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { CustomBridgeNetwork, LinkedContainerPair } from "../../components";

/** The label the platform's transform puts on every labelled Docker object. */
export const OWNER_LABEL = "com.example.platform.owner";
export const OWNER = "payments-team";

export interface EmbeddingStack {
    provider: docker.Provider;
    monitoring: docker.Network;
    bridge: CustomBridgeNetwork;
    pair: LinkedContainerPair;
    /** Every resource the transform was called for, as `type/name`. */
    transformed: string[];
}

/** The platform's transform: records each resource, adds the owner label where there are labels. */
export function ownerLabel(transformed: string[]): pulumi.ResourceTransform {
    return (args) => {
        transformed.push(`${args.type}/${args.name}`);
        if (!args.custom || !Array.isArray(args.props.labels)) {
            return undefined;
        }
        return {
            props: { ...args.props, labels: [...args.props.labels, { label: OWNER_LABEL, value: OWNER }] },
            opts: args.opts,
        };
    };
}

export function embeddingStack(): EmbeddingStack {
    const provider = new docker.Provider("platform-docker", { host: "ssh://deploy@10.20.0.5:22" });
    // The platform's own resources, beside dockernet's.
    const monitoring = new docker.Network(
        "platform-monitoring",
        { name: "monitoring", driver: "bridge" },
        { provider },
    );

    const transformed: string[] = [];
    const opts: pulumi.ComponentResourceOptions = {
        providers: { docker: provider },
        transforms: [ownerLabel(transformed)],
    };
    const bridge = new CustomBridgeNetwork("payments", { subnet: "10.60.0.0/24", bridgeName: "br-payments" }, opts);
    const pair = new LinkedContainerPair(
        "payments-api",
        {
            target: {
                name: "payments_api",
                image: "nginx:1.27",
                ports: [{ internal: 80 }],
                networks: [{ name: bridge.name }],
            },
            consumer: {
                name: "payments_worker",
                image: "busybox:1.36",
                command: ["sleep", "86400"],
                networks: [{ name: bridge.name }],
            },
            alias: "api",
        },
        { ...opts, dependsOn: [bridge] },
    );
    return { provider, monitoring, bridge, pair, transformed };
}
