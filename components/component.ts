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

const noMonitor = {};

/**
 * A map that lives for one program run: keyed by the resource monitor, a new one per run (and per
 * run under mocks), so what one run registers never leaks into the next.
 */
export function perProgramRun<V>(store: WeakMap<object, Map<string, V>>): Map<string, V> {
    const key = (pulumi.runtime.getMonitor() as object | undefined) ?? noMonitor;
    let m = store.get(key);
    if (!m) {
        m = new Map();
        store.set(key, m);
    }
    return m;
}
