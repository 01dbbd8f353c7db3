// A model of @pulumi/command 1.2.1 (pulumi/pulumi-command tag v1.2.1; the rules below are the same
// at HEAD): remote.Command and local.Command. Files cited are under provider/pkg/provider/ there.
import { changedKeys, Model } from "./model";

const OUTPUTS = new Set(["stdout", "stderr", "assets", "archive"]);

/** The model of one of the two command types, `command:remote:Command` or `command:local:Command`. */
export function command(type: string): Model {
    return {
        check(inputs) {
            // common/inputs.go: addPreviousOutputInEnv defaults to true.
            return { addPreviousOutputInEnv: true, ...inputs };
        },

        async create(ctx, name, inputs) {
            // A non-zero exit fails the create and nothing is saved (the next `up` creates it again).
            const create = inputs.create as string | undefined;
            const r = create ? await ctx.command(type, name, inputs, create) : { stdout: "", stderr: "" };
            return { id: `${name}-${Date.now().toString(36)}`, state: { ...inputs, ...outputs(r) } };
        },

        diff(prior, news) {
            const changed = changedKeys(prior.inputs, news, { ignore: OUTPUTS });
            // common/inputs.go: only `triggers` carries provider:"replaceOnChanges"; a change to
            // create, delete, update, connection, environment, stdin, interpreter or dir is an
            // in-place Update.
            return { changed, replaces: changed.filter((k) => k === "triggers") };
        },

        async update(ctx, prior, news) {
            // Update runs the new `update` command if there is one, else the new `create`, over the
            // new connection; the old `delete` never runs. A failure leaves the previous state.
            const text = (news.update ?? news.create) as string | undefined;
            const r = text ? await ctx.command(type, prior.name, news, text) : { stdout: "", stderr: "" };
            return { ...news, ...outputs(r) };
        },

        async delete(ctx, prior) {
            // Delete uses only the stored state: its connection and its `delete` (nothing when unset).
            const del = prior.inputs.delete as string | undefined;
            if (del) {
                await ctx.command(type, prior.name, prior.inputs, del);
            }
        },

        // The provider never asks for delete-first: by default the new create runs, then the old delete.
        deleteBeforeReplace: () => false,
        forceNew: (k) => k === "triggers",
    };
}

/** stdout and stderr with the trailing newline trimmed, as the provider stores them. */
function outputs(r: { stdout: string; stderr: string }): { stdout: string; stderr: string } {
    return { stdout: r.stdout.replace(/\n$/, ""), stderr: r.stderr.replace(/\n$/, "") };
}
