// The dockernet stack program: reads the stack's config (stacks/Pulumi.<stack>.yaml) and declares
// the topology with dockernet's components. `npm run plan` evaluates this same program offline.
import * as fs from "fs";
import * as pulumi from "@pulumi/pulumi";
import { deployTopology, topologyFromConfig } from "./components";
import { expandHome, observeHosts } from "./components/internal";

const config = new pulumi.Config("dockernet");
const topology = topologyFromConfig(pulumi.runtime.allConfig());
const keyPath = config.get("sshPrivateKeyPath");
const privateKey =
    config.getSecret("sshPrivateKey") ??
    (keyPath ? pulumi.secret(fs.readFileSync(expandHome(keyPath), "utf8")) : undefined);
// A key given in plain text (not `pulumi config set --secret`) sits readable in the stack file.
const isSecret = (pulumi.runtime as unknown as { isConfigSecret?: (key: string) => boolean }).isConfigSecret;
if (
    pulumi.runtime.allConfig()["dockernet:sshPrivateKey"] !== undefined &&
    isSecret &&
    !isSecret("dockernet:sshPrivateKey")
) {
    pulumi.log.warn(
        `dockernet:sshPrivateKey is stored in plain text in Pulumi.${pulumi.getStack()}.yaml: anyone who reads the file has the key; ` +
            `store it encrypted with \`pulumi config set --secret dockernet:sshPrivateKey --stack ${pulumi.getStack()} < ~/.ssh/id_ed25519\``,
    );
}
// Every host looked at once, in parallel, before the resources are declared: drift shows in
// preview and up is repaired by up (components/host/observe.ts).
observeHosts(topology.hosts, keyPath);
const deployed = deployTopology(topology, privateKey);

const map = <T, U>(o: { [k: string]: T }, f: (v: T) => U) =>
    Object.fromEntries(Object.entries(o).map(([k, v]) => [k, f(v)]));

/** Container addresses, bridge names, links and probe results, for people and for embedding stacks. */
export const bridges = map(deployed.bridges, (b) => ({
    name: b.name,
    bridgeName: b.bridgeName,
    subnet: b.subnet,
    gateway: b.gateway,
}));
export const links = map(deployed.links, (l) => ({
    alias: l.alias,
    targetAddress: l.targetAddress,
    consumerAddress: l.consumerAddress,
    consumerAddresses: l.consumerAddresses,
    hostsEntry: l.hostsEntry,
    hostsEntries: l.hostsEntries,
}));
export const containers = map(deployed.containers, (c) => ({ address: c.address }));
export const sharedNamespaces = map(deployed.sharedNamespaces, (s) => ({
    address: s.address,
    sharedMode: s.sharedMode,
}));
export const routedPairs = map(deployed.routedPairs, (r) => ({
    addresses: r.addresses,
    subnets: r.subnets,
    probes: r.probes,
}));
export const meshes = map(deployed.meshes, (m) => ({
    addresses: m.addresses,
    subnets: m.subnets,
    bips: m.bips,
    probes: m.probes,
}));
export const swarms = map(deployed.swarms, (w) => ({ network: w.networkName, addresses: w.addresses }));
export const checks = map(deployed.checks, (c) => c.result);
