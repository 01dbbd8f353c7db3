// Unit tests run programs under mocks with hosts that are not there (or are someone's servers):
// dockernet must not look at them for drift (components/host/observe.ts).
process.env.DOCKERNET_OBSERVE = "off";
