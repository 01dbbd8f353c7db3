// The public API is what the docs say it is (issue 25): every value the package root exports is named
// in docs/embedding.md's list, and the list of exports is pinned here, so adding or dropping one is a
// decision someone makes in review, not an accident of an `export`.
import * as fs from "fs";
import * as path from "path";
import * as dockernet from "../../components";

const EXPORTS = [
    "ConnectivityCheck", "CrossHostRoutedPair", "CustomBridgeNetwork", "DockerHost", "Expectation", "LinkMode",
    "LinkedContainerPair", "NetworkMode", "Protocol", "RestartPolicy", "RoutedMesh", "SharedNamespaceContainer",
    "StandaloneContainer", "SwarmOverlayNetwork", "SwarmRole", "Topology", "ValidationError", "deployTopology", "net",
    "newDockerProvider", "observeHosts", "planCrossHostRoutedPair", "planCustomBridgeNetwork",
    "planLinkedContainerPair", "planRoutedMesh", "planSwarmOverlayNetwork", "planTopology", "topologyFromConfig",
    "validateConnectivityCheck", "validateSharedNamespaceContainer", "validateStandaloneContainer",
]; // prettier-ignore

describe("the public API", () => {
    test("the package root exports exactly the pinned values", () => {
        // (Under the test transform a type's re-export is a key with no value: values only.)
        const values = Object.entries(dockernet).filter(([, v]) => v !== undefined);
        expect(values.map(([k]) => k).sort()).toEqual([...EXPORTS].sort());
    });

    test("docs/embedding.md names every one of them in its list", () => {
        const doc = fs.readFileSync(path.join(__dirname, "..", "..", "docs", "embedding.md"), "utf8");
        const list = doc.slice(doc.indexOf("## The public API"));
        expect(EXPORTS.filter((name) => !list.includes(`\`${name}`))).toEqual([]);
    });
});
