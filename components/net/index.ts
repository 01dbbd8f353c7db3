// Pure IPv4 math and validation; no Pulumi imports.
export * from "./ipv4";
