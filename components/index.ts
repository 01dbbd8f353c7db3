// dockernet's public API: what embedding stacks import.
export * from "./customBridgeNetwork";
export * from "./linkedContainerPair";
export * from "./sharedNamespaceContainer";
export * from "./spec";
export { HostArgs, LocalHostArgs, SshHostArgs, hostEndpoint, newDockerProvider } from "./host/host";
export { Problem, ValidationError } from "./validate";
export * as net from "./net";
export * from "./crossHostRoutedPair";
export * from "./connectivityCheck";
export * from "./topology";
