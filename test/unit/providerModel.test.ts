// The provider models' diff rules (test/support/PROVIDERS.md), without a host: which changes
// replace, which update in place, and what read-back does to the next diff. Also the component
// choices they force: options ignored on networks (the daemon merges its defaults into them),
// `started` failing a deployment by name when a container had stopped at read-back.
import { stoppedAtReadBack } from "../../components/containers";
import { diffWithOptions, MODELS } from "../support/engine";
import { mapOrder } from "../support/providers/docker";
import { Applied, RequestOptions } from "../support/providers/model";

const none: RequestOptions = { replaceOnChanges: [], ignoreChanges: [] };
const applied = (type: string, inputs: Record<string, unknown>, state: Record<string, unknown> = inputs): Applied => ({
    key: `${type}::x`,
    type,
    name: "x",
    inputs: MODELS[type].check(inputs),
    id: "id",
    state: MODELS[type].check(state),
    options: none,
});
const diff = (type: string, prior: Applied, news: Record<string, unknown>, options = none) =>
    diffWithOptions(MODELS[type], prior, MODELS[type].check(news), options);

describe("docker.Network model", () => {
    const T = "docker:index/network:Network";
    const inputs = {
        name: "appnet",
        driver: "bridge",
        options: { "com.docker.network.bridge.name": "br-appnet" },
        ipamConfigs: [{ subnet: "172.19.0.0/16", gateway: "172.19.0.1" }],
    };
    // What Read stores on a daemon with "default-network-opts" (Docker 24+): the options merged.
    const readBack = { ...inputs, options: { ...inputs.options, "com.docker.network.driver.mtu": "1400" } };

    test("options read back with daemon defaults replace the network on every up unless ignored", () => {
        const prior = applied(T, inputs, readBack);
        expect(diff(T, prior, inputs)).toEqual({ changed: ["options"], replaces: ["options"] });
        expect(diff(T, prior, inputs, { ...none, ignoreChanges: ["options"] })).toEqual({ changed: [], replaces: [] });
    });

    test("everything replaces (no Update); an ipam config without a gateway matches its read-back", () => {
        const prior = applied(T, inputs);
        expect(diff(T, prior, { ...inputs, labels: [{ label: "a", value: "b" }] }).replaces).toEqual(["labels"]);
        const noGateway = { name: "n", ipamConfigs: [{ subnet: "10.1.0.0/24", gateway: undefined }] };
        expect(
            diff(
                T,
                applied(T, noGateway, { name: "n", ipamConfigs: [{ subnet: "10.1.0.0/24" }], attachable: false }),
                noGateway,
            ),
        ).toEqual({ changed: [], replaces: [] });
    });
});

describe("docker.Container model", () => {
    const T = "docker:index/container:Container";
    const inputs = {
        name: "web",
        image: "sha256:1",
        command: ["sleep", "1"],
        networkMode: "bridge",
        restart: "unless-stopped",
        mustRun: true,
    };

    test("restart updates in place; command, networkMode and networks replace", () => {
        const prior = applied(T, inputs);
        expect(diff(T, prior, { ...inputs, restart: "always" })).toEqual({ changed: ["restart"], replaces: [] });
        expect(diff(T, prior, { ...inputs, command: ["sleep", "2"] }).replaces).toEqual(["command"]);
        expect(diff(T, prior, { ...inputs, networkMode: "host" }).replaces).toEqual(["networkMode"]);
        expect(diff(T, prior, { ...inputs, networksAdvanced: [{ name: "n" }] }).replaces).toEqual(["networksAdvanced"]);
    });

    test("a container read back stopped (mustRun false) is an update, not a replacement", () => {
        expect(diff(T, applied(T, inputs, { ...inputs, mustRun: false }), inputs)).toEqual({
            changed: ["mustRun"],
            replaces: [],
        });
    });

    test("networkDatas come back in an order that never starts with the network declared first", () => {
        const datas = ["a", "b", "c"].map((networkName) => ({ networkName }));
        for (let i = 0; i < 50; i++) {
            expect(mapOrder(datas, (d) => d.networkName === "a")[0].networkName).not.toBe("a");
        }
    });
});

describe("command models", () => {
    const T = "command:remote:Command";
    const inputs = {
        create: "sh bip.sh create",
        delete: "sh bip.sh delete",
        connection: { host: "192.168.100.200", port: 22 },
        triggers: ["192.168.100.200", "22", "root"],
    };

    test("a changed create, delete or connection is an update; only triggers replace", () => {
        const prior = applied(T, inputs);
        expect(diff(T, prior, { ...inputs, create: "sh bip.sh create 2" })).toEqual({
            changed: ["create"],
            replaces: [],
        });
        expect(diff(T, prior, { ...inputs, connection: { host: "192.168.100.201", port: 22 } })).toEqual({
            changed: ["connection"],
            replaces: [],
        });
        expect(diff(T, prior, { ...inputs, triggers: ["192.168.100.201", "22", "root"] }).replaces).toEqual([
            "triggers",
        ]);
    });
});

describe("started: a container stopped at read-back fails the deployment by name", () => {
    test("mustRun false names the container, its exit code and where to look; a running one passes", () => {
        expect(stoppedAtReadBack("dead_box", false, 3)).toBe(
            "container dead_box exited right after it started (exit code 3); `docker logs dead_box` on its host says why. Fix its command or image; the next up starts it again",
        );
        expect(stoppedAtReadBack("alive_box", true, undefined)).toBeUndefined();
        expect(stoppedAtReadBack("unknown_box", undefined, undefined)).toBeUndefined();
    });
});
