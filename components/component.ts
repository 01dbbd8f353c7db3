// What every component's constructor does first.
import * as pulumi from "@pulumi/pulumi";
import { ValidationError } from "./validate";

/**
 * Component arguments a topology has already validated and planned (planTopology), with their
 * plan: a component built from them uses that plan instead of making it again.
 */
export const plannedArgs = new WeakMap<object, unknown>();

/**
 * Runs a component's pure validation and planning in its constructor: every problem comes back
 * at once, as a ResourceError that points at the component, before it has any child.
 */
export function planFor<T>(component: pulumi.Resource, args: object, plan: () => T): T {
    if (args && plannedArgs.has(args)) {
        return plannedArgs.get(args) as T;
    }
    try {
        return plan();
    } catch (e) {
        throw e instanceof ValidationError ? new pulumi.ResourceError(e.message, component) : e;
    }
}
