// What every component's constructor does first.
import * as pulumi from "@pulumi/pulumi";
import { ValidationError } from "./validate";

/**
 * Runs a component's pure validation and planning in its constructor: every problem comes back
 * at once, as a ResourceError that points at the component, before it has any child.
 */
export function planFor<T>(component: pulumi.Resource, plan: () => T): T {
    try {
        return plan();
    } catch (e) {
        throw e instanceof ValidationError ? new pulumi.ResourceError(e.message, component) : e;
    }
}
