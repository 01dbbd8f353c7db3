// dockernet embedded in a larger program (test/examples/embedding.ts): the embedder's Docker
// provider, given through `providers`, reaches every Docker child of the components, and its
// `transforms` run on every child.
//
// `transforms` are carried out by the Pulumi engine, not by the SDK: the SDK registers each
// transform as a callback and sends the tokens with the resource; the engine calls them for
// that resource and all its descendants. Plain `setMocks` declares the feature unsupported
// (the SDK then refuses the option), so these tests put the engine's step into the mock
// monitor: for each registration, call the resource's own and its ancestors' transform
// callbacks through the SDK's real callback server, in the engine's order, and register the
// transformed properties. Transforms are otherwise untouched and run exactly as under `pulumi up`.
import * as pulumi from "@pulumi/pulumi";
import * as resproto from "@pulumi/pulumi/proto/resource_pb";
import { EmbeddingStack, OWNER, OWNER_LABEL, embeddingStack } from "../examples/embedding";
import { Recorder, settle } from "../support/mocks";

type Callback = { getToken(): string };
type TransformFn = (request: Uint8Array) => Promise<resproto.TransformResponse>;

/** Makes the mock monitor run `transforms` the way the engine does (own first, then the ancestors'). */
function runTransformsLikeTheEngine(): void {
    const store = (
        globalThis as unknown as {
            globalStore: { supportsTransforms: boolean; callbacks?: { _callbacks: Map<string, TransformFn> } };
        }
    ).globalStore;
    store.supportsTransforms = true;
    const monitor = pulumi.runtime.getMonitor() as unknown as {
        registerResource(
            req: resproto.RegisterResourceRequest,
            cb: (err: unknown, resp?: resproto.RegisterResourceResponse) => void,
        ): void;
    };
    const original = monitor.registerResource.bind(monitor);
    const byUrn = new Map<string, Callback[]>();
    monitor.registerResource = (req, cb) => {
        const transforms: Callback[] = [
            ...(req.getTransformsList() as Callback[]),
            ...(byUrn.get(req.getParent()) ?? []),
        ];
        (async () => {
            let props = req.getObject();
            for (const t of transforms) {
                const fn = store.callbacks?._callbacks.get(t.getToken());
                if (!fn) {
                    throw new Error(`transform callback ${t.getToken()} is not registered`);
                }
                const request = new resproto.TransformRequest();
                request.setType(req.getType());
                request.setName(req.getName());
                request.setCustom(req.getCustom());
                request.setParent(req.getParent());
                request.setProperties(props);
                request.setOptions(new resproto.TransformResourceOptions());
                props = (await fn(request.serializeBinary())).getProperties() ?? props;
            }
            req.setObject(props);
        })().then(
            () =>
                original(req, (err, resp) => {
                    if (resp) {
                        byUrn.set(resp.getUrn(), transforms);
                    }
                    cb(err, resp);
                }),
            (err) => cb(err),
        );
    };
}

describe.each([false, true])("embedding dockernet in a larger program (preview=%s)", (preview) => {
    const rec = new Recorder();
    let stack: EmbeddingStack;
    let providerUrn: string;

    beforeAll(async () => {
        await rec.install(preview);
        runTransformsLikeTheEngine();
        stack = embeddingStack();
        providerUrn = await new Promise<string>((resolve) => stack.provider.urn.apply(resolve));
        await settle();
    });
    afterAll(settle);

    /** The resources registered under the two dockernet components (their children, at any depth). */
    const children = () =>
        rec.resources.filter(
            (r) =>
                r.name !== "payments" &&
                r.name !== "payments-api" &&
                (r.name.startsWith("payments-") || r.name.startsWith("payments_")),
        );

    test("the embedder's own resources sit beside dockernet's", () => {
        expect(rec.named("platform-docker").type).toBe("pulumi:providers:docker");
        expect(rec.named("platform-monitoring").inputs).toMatchObject({ name: "monitoring", driver: "bridge" });
        expect(rec.named("payments").type).toBe("dockernet:index:CustomBridgeNetwork");
        expect(rec.named("payments-api").type).toBe("dockernet:index:LinkedContainerPair");
    });

    test("the provider given through `providers` reaches every Docker child, and no other provider is made", () => {
        const dockerChildren = children().filter((r) => r.type.startsWith("docker:"));
        expect(dockerChildren.map((r) => r.type).sort()).toEqual([
            "docker:index/container:Container",
            "docker:index/container:Container",
            "docker:index/network:Network", // the pair's containers share the bridge: no network of the link's own
            "docker:index/remoteImage:RemoteImage",
            "docker:index/remoteImage:RemoteImage",
        ]);
        for (const r of dockerChildren) {
            // A provider reference is "<provider urn>::<provider id>".
            expect({ name: r.name, provider: r.provider?.slice(0, r.provider.lastIndexOf("::")) }).toEqual({
                name: r.name,
                provider: providerUrn,
            });
        }
        expect(rec.ofType("pulumi:providers:docker").map((r) => r.name)).toEqual(["platform-docker"]);
    });

    test("the transform ran on both components and on every child of theirs", () => {
        const expected = [
            "dockernet:index:CustomBridgeNetwork/payments",
            "dockernet:index:LinkedContainerPair/payments-api",
            ...children().map((r) => `${r.type}/${r.name}`),
        ].sort();
        expect([...new Set(stack.transformed)].sort()).toEqual(expected);
        // ...and on nothing of the embedder's own.
        expect(stack.transformed.some((t) => t.includes("platform-"))).toBe(false);
    });

    test("every child with labels carries the transform's mark as registered", () => {
        const labelled = children().filter(
            (r) => r.type === "docker:index/container:Container" || r.type === "docker:index/network:Network",
        );
        expect(labelled).toHaveLength(3);
        for (const r of labelled) {
            expect({ name: r.name, labels: r.inputs.labels }).toEqual({
                name: r.name,
                labels: expect.arrayContaining([
                    { label: "dockernet.component", value: expect.any(String) },
                    { label: OWNER_LABEL, value: OWNER },
                ]),
            });
        }
        expect(rec.named("platform-monitoring").inputs.labels).toBeUndefined();
    });

    test("the components still do their own work: bridge name, subnet, alias", () => {
        expect(rec.named("payments-network").inputs).toMatchObject({
            name: "payments",
            ipamConfigs: [{ subnet: "10.60.0.0/24", gateway: "10.60.0.1" }],
            options: { "com.docker.network.bridge.name": "br-payments" },
        });
        expect(rec.named("payments-api-target").inputs.networksAdvanced).toEqual([
            { name: "payments", aliases: ["api"] },
        ]);
    });
});

describe("why the engine's step is emulated", () => {
    test("plain setMocks declares transforms unsupported, so the SDK would refuse the option", async () => {
        await new Recorder().install(false);
        expect(
            (globalThis as unknown as { globalStore: { supportsTransforms: boolean } }).globalStore.supportsTransforms,
        ).toBe(false);
    });
});
