// What dockernet's plugin package serves to every Pulumi language: the component classes, the
// directory Pulumi's component analyzer reads them from (the one holding package.json and
// tsconfig.json, whether this runs as provider/*.ts or as bin/provider/*.js), and the provider that
// answers GetSchema and Construct.
import * as fs from "fs";
import * as path from "path";
import { ComponentProvider } from "@pulumi/pulumi/provider/experimental";
import {
    ConnectivityCheck,
    CrossHostRoutedPair,
    CustomBridgeNetwork,
    LinkedContainerPair,
    RoutedMesh,
    SharedNamespaceContainer,
    StandaloneContainer,
    SwarmOverlayNetwork,
    Topology,
} from "../components";

/** The components of the package schema, each a class the analyzer finds from the package entry. */
export const PACKAGE_COMPONENTS = [
    CustomBridgeNetwork,
    LinkedContainerPair,
    SharedNamespaceContainer,
    StandaloneContainer,
    CrossHostRoutedPair,
    RoutedMesh,
    SwarmOverlayNetwork,
    ConnectivityCheck,
    Topology,
];

/** The package's name in the schema and in its type tokens (`dockernet:index:RoutedMesh`). */
export const PACKAGE_NAME = "dockernet";

/** The repository root: the nearest directory up from here with PulumiPlugin.yaml. */
export function packageRoot(from: string = __dirname): string {
    for (let dir = from; ; dir = path.dirname(dir)) {
        if (fs.existsSync(path.join(dir, "PulumiPlugin.yaml"))) {
            return dir;
        }
        if (path.dirname(dir) === dir) {
            throw new Error(
                `dockernet's plugin: no PulumiPlugin.yaml in ${from} or above it; run the plugin from a checkout of the repository`,
            );
        }
    }
}

/**
 * Inputs the schema leaves out, with why: TypeScript callers keep them. `HostArgs.dockerProvider` is
 * a `docker.Provider` object, which the analyzer writes as a reference to a docker resource named
 * `docker` (a provider's place in a schema is `#/provider`, so code generation for the other
 * languages would fail on it); there, each component makes its host's provider from `ssh` or `local`.
 */
export const TYPESCRIPT_ONLY_INPUTS: Record<string, string[]> = { "dockernet:index:HostArgs": ["dockerProvider"] };

/**
 * Pulumi's component provider for dockernet. Its schema is the analyzer's less the TypeScript-only
 * inputs and less the analyzer's own `optional` marks on properties, which the package schema has
 * no key for (the `required` lists beside them say the same).
 */
export class DockernetProvider extends ComponentProvider {
    constructor() {
        super({ name: PACKAGE_NAME, dirname: packageRoot(), components: PACKAGE_COMPONENTS });
    }

    override async getSchema(): Promise<string> {
        const schema = JSON.parse(await super.getSchema());
        for (const [token, keys] of Object.entries(TYPESCRIPT_ONLY_INPUTS)) {
            const type = schema.types?.[token];
            if (!type?.properties) {
                throw new Error(
                    `dockernet's plugin: the analyzer's schema has no type ${token} to take ${keys.join(", ")} from`,
                );
            }
            for (const key of keys) {
                delete type.properties[key];
            }
        }
        return JSON.stringify(schema, (key, value) =>
            key === "optional" && typeof value === "boolean" ? undefined : value,
        );
    }
}
