// The one internal entry: what dockernet's own stack program (index.ts) and commands (stacks/) use
// beyond the public API in index.ts. Embedding stacks use the package root; what is here may change
// in any release.
export { adoptionProblems } from "./containers";
export { expandHome } from "./host/endpoint";
export {
    HostObservation,
    OBSERVE,
    TESTED_DOCKER,
    dockerSupportProblem,
    observeHosts,
    parseObservation,
    sshArgv,
} from "./host/observe";
export { scriptCommand, shellQuote } from "./host/scripts";
export { hostArgsOf } from "./topologyPlan";
export { hostsNeedingStackKey, keyMissing } from "./topologySpec";
