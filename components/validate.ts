// Pure validation helpers shared by every component. No Pulumi imports: these run before any
// resource exists and are unit-tested directly.

/** One problem with one input field, phrased so a user can fix it without reading code. */
export interface Problem {
    field: string;
    message: string;
}

/**
 * Collects every problem of one component's arguments, so the user sees them all at once.
 * `field` paths read like the user's own code: `target.name`, `hostB.bip`, `sidecars[1].ports[0]`.
 */
export class Problems {
    readonly list: Problem[] = [];

    add(field: string, message: string): void {
        this.list.push({ field, message });
    }

    get empty(): boolean {
        return this.list.length === 0;
    }

    /** The one error text: `Invalid CustomBridgeNetwork "web":\n - subnet "..." has host bits set; use ...`. */
    format(kind: string, name: string): string {
        const lines = this.list.map((p) => ` - ${p.field} ${p.message}`);
        return `Invalid ${kind} "${name}":\n${lines.join("\n")}`;
    }

    /** Throws a single error listing every problem; does nothing when there are none. */
    throwIfAny(kind: string, name: string): void {
        if (!this.empty) {
            throw new ValidationError(this.format(kind, name), this.list);
        }
    }
}

/**
 * Starts a component's validation: arguments that are not an object stop it at once, saying what
 * to give (`example`); otherwise an empty collector for the rest.
 */
export function problemsFor(kind: string, name: string, args: unknown, example: string): Problems {
    const problems = new Problems();
    if (args === undefined || args === null || typeof args !== "object") {
        problems.add("args", `is ${show(args)}; give ${example}`);
        problems.throwIfAny(kind, name);
    }
    return problems;
}

/** Thrown by the pure validators; components re-throw it as a `pulumi.ResourceError`. */
export class ValidationError extends Error {
    constructor(
        message: string,
        readonly problems: Problem[],
    ) {
        super(message);
        this.name = "ValidationError";
    }
}

/** Shows a user's value so that newlines, NUL and quotes are visible rather than acted on. */
export function show(value: unknown): string {
    if (typeof value === "string") {
        return JSON.stringify(value);
    }
    if (value === undefined) {
        return "undefined";
    }
    try {
        return JSON.stringify(value) ?? String(value);
    } catch {
        return String(value);
    }
}

// Docker's own rule for container and network names (daemon/names: RestrictedNameChars).
const DOCKER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
// RFC 1123 label; Docker DNS aliases and /etc/hosts names follow it.
const HOSTNAME_LABEL = /^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/;
// Linux interface names: at most 15 bytes (IFNAMSIZ - 1); we allow a conservative set and no `+`
// (iptables reads a trailing `+` as a wildcard).
const IFNAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,14}$/;

/** Docker's container/network name rule: `nginx_web1` is valid, `-web` and `web 1` are not. */
export function checkDockerName(problems: Problems, field: string, value: unknown): value is string {
    if (typeof value !== "string" || value.length === 0) {
        problems.add(field, `is ${show(value)}; give a name such as "nginx_web1"`);
        return false;
    }
    if (value.length > 128 || !DOCKER_NAME.test(value)) {
        const hint = suggestName(value);
        problems.add(
            field,
            `${show(value)} is not a valid Docker name (allowed: [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most 128 characters)` +
                (hint ? `; use ${show(hint)}` : `; use letters, digits, '_', '.' or '-', e.g. "nginx_web1"`),
        );
        return false;
    }
    return true;
}

/** A DNS name as Docker's embedded DNS and /etc/hosts accept it: dot-separated RFC 1123 labels. */
export function checkHostname(problems: Problems, field: string, value: unknown): value is string {
    if (typeof value !== "string" || value.length === 0) {
        problems.add(field, `is ${show(value)}; give a hostname such as "www"`);
        return false;
    }
    const ok = value.length <= 253 && value.split(".").every((label) => HOSTNAME_LABEL.test(label));
    if (!ok) {
        const hint =
            value
                .replace(/[^a-zA-Z0-9.-]+/g, "-")
                .replace(/^[-.]+|[-.]+$/g, "")
                .slice(0, 63) || undefined;
        problems.add(
            field,
            `${show(value)} is not a valid hostname (letters, digits and '-', dot-separated labels of at most 63)` +
                (hint ? `; use ${show(hint)}` : `; use e.g. "www"`),
        );
        return false;
    }
    return true;
}

/** A Linux interface name that iptables and iproute2 take literally. */
export function checkInterfaceName(problems: Problems, field: string, value: unknown): value is string {
    if (typeof value !== "string" || !IFNAME.test(value)) {
        const extra =
            typeof value === "string" && value.includes("+")
                ? " ('+' is an iptables wildcard)"
                : typeof value === "string" && value.length > 15
                  ? ` (${value.length} characters; Linux allows 15)`
                  : "";
        problems.add(
            field,
            `${show(value)} is not a usable interface name${extra}; use a letter or digit then at most 14 of [a-zA-Z0-9_.-], e.g. "br-web"`,
        );
        return false;
    }
    return true;
}

/** A TCP/UDP port number. */
export function checkPort(problems: Problems, field: string, value: unknown): value is number {
    if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > 65535) {
        problems.add(field, `${show(value)} is not a port; use a whole number from 1 to 65535`);
        return false;
    }
    return true;
}

/**
 * A free-text value that will reach a shell or a Docker label: printable characters only, no
 * newline or NUL. (Values still travel single-quoted; this keeps logs and `ps` readable too.)
 */
export function checkPlainText(problems: Problems, field: string, value: unknown, max = 1024): value is string {
    if (typeof value !== "string") {
        problems.add(field, `must be a string, got ${show(value)}`);
        return false;
    }

    if (value.length > max || /[\u0000-\u001f\u007f]/.test(value)) {
        problems.add(
            field,
            `${show(value)} has a control character (newline, NUL, ...) or is over ${max} characters; remove it`,
        );
        return false;
    }
    return true;
}

/**
 * A command line that dockernet runs on a host itself (e.g. the Docker restart command). Only a
 * conservative character set: no quotes, `$`, backticks, `;`, `|`, `&`, redirections or newlines.
 */
export function checkHostCommand(problems: Problems, field: string, value: unknown): value is string {
    if (typeof value !== "string" || !/^[a-zA-Z0-9 _./:=,@%+-]{1,200}$/.test(value) || value.trim() === "") {
        problems.add(
            field,
            `${show(value)} is not allowed; a host command may use letters, digits, spaces and _./:=,@%+- only ` +
                `(e.g. "systemctl restart docker"); put anything more complex in a script on the host and name it here`,
        );
        return false;
    }
    return true;
}

/** Turns a near-miss into a valid name: `web 1` → `web_1`, `-web` → `web`. */
function suggestName(value: string): string | undefined {
    const fixed = value
        .replace(/[^a-zA-Z0-9_.-]+/g, "_")
        .replace(/^[^a-zA-Z0-9]+/, "")
        .slice(0, 128); // the limit the message states
    return fixed.length > 0 && fixed !== value ? fixed : undefined;
}
