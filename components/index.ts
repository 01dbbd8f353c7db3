// dockernet's public API: what embedding stacks import. Everything else in components/ is internal.

// The components, their arguments, and the pure functions that validate and plan them (every
// problem at once, before any resource exists).
export {
    CustomBridgeNetwork,
    CustomBridgeNetworkArgs,
    BridgePlan,
    planCustomBridgeNetwork,
} from "./customBridgeNetwork";
export {
    LinkConsumer,
    LinkMode,
    LinkedContainerPair,
    LinkedContainerPairArgs,
    LinkPlan,
    planLinkedContainerPair,
} from "./linkedContainerPair";
export {
    SharedNamespaceContainer,
    SharedNamespaceContainerArgs,
    validateSharedNamespaceContainer,
} from "./sharedNamespaceContainer";
export { StandaloneContainer, StandaloneContainerArgs, validateStandaloneContainer } from "./standaloneContainer";
export {
    CrossHostRoutedPair,
    CrossHostRoutedPairArgs,
    CrossHostPlan,
    RoutedHostArgs,
    planCrossHostRoutedPair,
} from "./crossHostRoutedPair";
export {
    BipPool,
    RoutedHostPlan,
    RoutedMesh,
    RoutedMeshArgs,
    RoutedMeshHostArgs,
    RoutedPlan,
    planRoutedMesh,
    poolBip,
} from "./routedMesh";
export {
    SwarmMemberArgs,
    SwarmOverlayNetwork,
    SwarmRole,
    SwarmOverlayNetworkArgs,
    SwarmPlan,
    planSwarmOverlayNetwork,
} from "./swarmOverlayNetwork";
export { DockerHost, DockerHostArgs, claimDockerHost } from "./host/dockerHost";
export { ConnectivityCheck, ConnectivityCheckArgs, Expectation, validateConnectivityCheck } from "./connectivityCheck";

// What a container is, and how a host is reached.
export { ContainerSpec, NetworkAttachmentSpec, NetworkMode, PortSpec, Protocol, RestartPolicy } from "./spec";
export { HostArgs, LocalHostArgs, SshConnectionArgs, SshHostArgs, hostEndpoint, newDockerProvider } from "./host/host";

// A whole stack's topology: its config, its plan (validated across components), its deployment.
export {
    TopologyBridge,
    TopologyCheck,
    TopologyContainer,
    TopologyHost,
    TopologyLink,
    TopologyLinkConsumer,
    TopologyStandalone,
    TopologyMesh,
    TopologyMeshHost,
    TopologyRoutedPair,
    TopologyRoutedSide,
    TopologyShared,
    TopologySpec,
    topologyFromConfig,
} from "./topologySpec";
export {
    HostPlan,
    PlannedContainer,
    PlannedNetwork,
    PlannedResource,
    PlannedScript,
    TopologyPlan,
    planTopology,
} from "./topologyPlan";
export { DeployedTopology, Topology, TopologyArgs, deployTopology } from "./topology";

// Errors, and the IPv4 math the components validate with.
export { Problem, ValidationError } from "./validate";
export * as net from "./net";
