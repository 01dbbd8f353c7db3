// dockernet's public API: what embedding stacks import. Everything else in components/ is internal.

// The components, their arguments, and the pure functions that validate and plan them (every
// problem at once, before any resource exists).
export {
    CustomBridgeNetwork,
    CustomBridgeNetworkArgs,
    BridgePlan,
    BridgeSettings,
    planCustomBridgeNetwork,
} from "./customBridgeNetwork";
export {
    LinkConsumer,
    LinkMode,
    LinkedContainerPair,
    LinkedContainerPairArgs,
    LinkPlan,
    LinkSettings,
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
    RoutedHostSettings,
    RoutedPairSettings,
    planCrossHostRoutedPair,
} from "./crossHostRoutedPair";
export {
    BipPool,
    RoutedHostPlan,
    RoutedMesh,
    RoutedMeshArgs,
    RoutedMeshHostArgs,
    RoutedMeshHostSettings,
    RoutedMeshSettings,
    RoutedPlan,
    planRoutedMesh,
} from "./routedMesh";
export {
    SwarmMemberArgs,
    SwarmMemberSettings,
    SwarmSettings,
    SwarmOverlayNetwork,
    SwarmRole,
    SwarmOverlayNetworkArgs,
    SwarmPlan,
    planSwarmOverlayNetwork,
} from "./swarmOverlayNetwork";
export { DockerHost, DockerHostArgs } from "./host/dockerHost";
export {
    ConnectivityCheck,
    ConnectivityCheckArgs,
    Expectation,
    ProbeSettings,
    validateConnectivityCheck,
} from "./connectivityCheck";

// What a container is, and how a host is reached.
export {
    ContainerSettings,
    ContainerSpec,
    NetworkAttachmentOptions,
    NetworkAttachmentSpec,
    NetworkMode,
    PortSpec,
    Protocol,
    RestartPolicy,
} from "./spec";
export { HostArgs, HostBase, LocalHostArgs, SshConnectionArgs, SshHostArgs, newDockerProvider } from "./host/host";
// Every host looked at once, in parallel, for drift, before the components are declared.
export { observeHosts } from "./host/observe";

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
    TopologyNetworkAttachment,
    TopologyRoutedPair,
    TopologyRoutedSide,
    TopologyShared,
    TopologySpec,
    TopologySwarm,
    TopologySwarmHost,
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
