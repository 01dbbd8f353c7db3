// Pure IPv4 arithmetic and validation. No Pulumi imports: these run before any resource exists.
//
// Addresses are unsigned 32-bit integers held in plain JS numbers (0 .. 2^32-1). Bitwise operators
// yield signed 32-bit results, so every bitwise result is passed through `>>> 0`.
//
// Problems are sentence fragments ("<value> has host bits set; use ...") that the caller prefixes
// with the field name. User values are always shown JSON-escaped so a newline or NUL is visible.
import { Address4, Address6 } from "ip-address";

/** The outcome of a check: the parsed value, or one problem phrased for the user. */
export type Check<T> = { ok: true; value: T } | { ok: false; problem: string };

/** An IPv4 address with a prefix length, and the range it denotes. */
export interface Cidr {
    /** The address as written; may have host bits set (e.g. a bridge's own address). */
    address: number;
    /** Prefix length, 0..32. */
    prefix: number;
    /** First address of the range (`address` with host bits cleared). */
    network: number;
    /** Last address of the range. */
    broadcast: number;
    /** Netmask as an unsigned 32-bit number. */
    mask: number;
    /** Normalised `a.b.c.d/p` of `address` (not of `network`). */
    text: string;
}

/**
 * Parses a strict dotted-quad IPv4 address: four decimal octets 0..255, no leading zeros,
 * no whitespace, no prefix. Rejects IPv6 (naming IPv4-mapped forms), hex and short forms.
 * Accepts `unknown` so a missing or non-string input gets a clear problem instead of a crash.
 */
export function parseIPv4(text: unknown): Check<number> {
    return parseAddressAs(text, "address");
}

/**
 * Parses `a.b.c.d/p` with prefix 0..32. Host bits are allowed (see `checkSubnet` and
 * `checkInterfaceCidr` for the policies a field needs).
 */
export function parseCidr(text: unknown): Check<Cidr> {
    return parseCidrAs(text, "cidr");
}

/**
 * Formats an unsigned 32-bit number as a dotted quad.
 * @throws RangeError if `n` is not an integer in 0..2^32-1 (a programming error, not user input).
 */
export function formatIPv4(n: number): string {
    if (!isUint32(n)) {
        throw new RangeError(`formatIPv4: ${n} is not an unsigned 32-bit integer`);
    }
    return [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff].join(".");
}

/**
 * Formats `a.b.c.d/p`. The address is printed as given; it is not masked.
 * @throws RangeError if the address or prefix is out of range.
 */
export function formatCidr(network: number, prefix: number): string {
    if (!isPrefix(prefix)) {
        throw new RangeError(`formatCidr: ${prefix} is not a prefix length 0..32`);
    }
    return `${formatIPv4(network)}/${prefix}`;
}

/**
 * Checks a network such as a Docker subnet or pool: prefix 1..30, no host bits set,
 * and not touching loopback, link-local, multicast, reserved or this-network ranges.
 */
export function checkSubnet(text: unknown): Check<Cidr> {
    const parsed = parseOrdinary(text, "subnet");
    if (!parsed.ok) {
        return parsed;
    }
    const c = parsed.value;
    if (c.address !== c.network) {
        return fail(`${shown(text)} has host bits set; use ${formatCidr(c.network, c.prefix)}`);
    }
    return parsed;
}

/**
 * Checks an interface address with its prefix, e.g. a Docker `bip` (`172.18.0.1/16`):
 * prefix 1..30, neither the network nor the broadcast address, and not in a special range.
 */
export function checkInterfaceCidr(text: unknown): Check<Cidr> {
    const parsed = parseOrdinary(text, "interface");
    if (!parsed.ok) {
        return parsed;
    }
    const c = parsed.value;
    const net = formatCidr(c.network, c.prefix);
    const first = formatCidr(c.network + 1, c.prefix);
    if (c.address === c.network) {
        return fail(`${shown(text)} is the network address of ${net}; a bip is the bridge's own address, use ${first}`);
    }
    if (c.address === c.broadcast) {
        return fail(`${shown(text)} is the broadcast address of ${net}; use ${first}`);
    }
    return parsed;
}

/**
 * Checks a unicast host address (a LAN address, a gateway, a container's fixed IP):
 * a strict dotted quad outside loopback, link-local, multicast, reserved, this-network
 * and the limited broadcast address.
 */
export function checkHostAddress(text: unknown): Check<number> {
    const parsed = parseAddressAs(text, "address");
    if (!parsed.ok) {
        return parsed;
    }
    const special = specialProblem(parsed.value, parsed.value, "address");
    if (special !== undefined) {
        return fail(`${shown(text)} ${special}`);
    }
    return parsed;
}

/** True if `ip` lies inside `c` (network and broadcast included). */
export function contains(c: Cidr, ip: number): boolean {
    return ip >= c.network && ip <= c.broadcast;
}

/** True if the two ranges share at least one address. */
export function overlaps(a: Cidr, b: Cidr): boolean {
    return a.network <= b.broadcast && b.network <= a.broadcast;
}

/**
 * Names the reserved range a range or address touches, e.g. `"loopback (127.0.0.0/8)"`,
 * or undefined if none. A range wholly inside one gets the most specific containing range;
 * otherwise the first overlapping one in address order.
 */
export function specialRange(c: Cidr | number): string | undefined {
    const [lo, hi] = typeof c === "number" ? [c, c] : [c.network, c.broadcast];
    return findSpecial(lo, hi)?.name;
}

/**
 * Picks the first `count` subnets of size `/prefix` inside `pool` (in address order) that
 * overlap none of `taken`. Deterministic: the same input always gives the same output.
 * `pool` must pass `checkSubnet`; `taken` entries may be CIDRs (host bits ignored: the whole
 * range counts as taken) or bare addresses (taken as /32).
 */
export function allocateSubnets(
    pool: string,
    prefix: number,
    count: number,
    taken: readonly string[],
): Check<string[]> {
    const p = checkSubnet(pool);
    if (!p.ok) {
        return fail(`pool ${p.problem}`);
    }
    const range = p.value;
    const poolText = formatCidr(range.network, range.prefix);
    if (!Number.isInteger(prefix) || prefix < range.prefix || prefix > MAX_PREFIX) {
        return fail(
            `prefix ${shown(prefix)} does not fit pool ${poolText}; use a prefix from ${range.prefix} to ${MAX_PREFIX}`,
        );
    }
    const size = 2 ** (32 - prefix);
    const capacity = 2 ** (prefix - range.prefix);
    if (!Number.isInteger(count) || count < 0) {
        return fail(`count ${shown(count)} is not a number of subnets; use a whole number, 0 or more`);
    }
    if (count > capacity) {
        return fail(
            `count ${count} is more than pool ${poolText} holds (${capacity} /${prefix} subnets); ` +
                `use a larger pool or a longer prefix`,
        );
    }
    if (!Array.isArray(taken)) {
        return fail(`taken ${shown(taken)} must be a list of CIDRs such as ["172.17.0.0/16"]`);
    }
    const blocked: [number, number][] = [];
    for (let i = 0; i < taken.length; i++) {
        const t = parseTaken(taken[i]);
        if (!t.ok) {
            return fail(`taken[${i}] ${t.problem}`);
        }
        blocked.push(t.value);
    }

    // Walk the pool in aligned steps; when a candidate hits a taken range, jump past that range
    // instead of stepping, so a huge pool with a few large taken ranges stays cheap.
    const found: string[] = [];
    let cursor = range.network;
    while (found.length < count && cursor + size - 1 <= range.broadcast) {
        const end = cursor + size - 1;
        let blockedUntil = -1;
        for (const [lo, hi] of blocked) {
            if (lo <= end && cursor <= hi) {
                blockedUntil = Math.max(blockedUntil, hi);
            }
        }
        if (blockedUntil < 0) {
            found.push(formatCidr(cursor, prefix));
            cursor += size;
        } else {
            cursor = Math.ceil((blockedUntil + 1) / size) * size;
        }
    }
    if (found.length < count) {
        return fail(
            `pool ${poolText} has room for only ${found.length} free /${prefix} subnet(s) outside taken, ` +
                `but ${count} are needed; use a larger pool or a longer prefix`,
        );
    }
    return { ok: true, value: found };
}

// ---------------------------------------------------------------------------------------------
// Helpers

/** What a field expects; picks the noun, the example and the range policy of messages. */
type Kind = "address" | "cidr" | "subnet" | "interface";

const NOUN: Record<Kind, string> = {
    address: "an IPv4 address",
    cidr: "an IPv4 CIDR",
    subnet: "an IPv4 subnet",
    interface: "an IPv4 address with prefix length",
};

const EXAMPLE: Record<Kind, string> = {
    address: "172.18.0.1",
    cidr: "172.18.0.0/16",
    subnet: "172.18.0.0/16",
    interface: "172.18.0.1/16",
};

// Docker needs a network address, a gateway and a broadcast address, so /31 and /32 leave no
// hosts; /0 would swallow every route.
const MIN_PREFIX = 1;
const MAX_PREFIX = 30;

// The only shape we accept before ip-address converts it; also the gate that keeps shell
// metacharacters, whitespace and control characters out. `\d` without the u flag is ASCII only.
const DOTTED = /^\d{1,3}(\.\d{1,3}){3}$/;

/** Longest user value shown in a message, so a pasted blob does not flood the error. */
const SHOWN_MAX = 64;

interface SpecialRange {
    name: string;
    network: number;
    broadcast: number;
}

// In address order, so "first overlapping" is well defined.
const SPECIAL_RANGES: SpecialRange[] = [
    special("this-network (0.0.0.0/8)", 0x00000000, 8),
    special("loopback (127.0.0.0/8)", 0x7f000000, 8),
    special("link-local (169.254.0.0/16)", 0xa9fe0000, 16),
    special("multicast (224.0.0.0/4)", 0xe0000000, 4),
    special("reserved (240.0.0.0/4)", 0xf0000000, 4),
    special("broadcast (255.255.255.255)", 0xffffffff, 32),
];

function special(name: string, network: number, prefix: number): SpecialRange {
    return { name, network, broadcast: network + 2 ** (32 - prefix) - 1 };
}

function findSpecial(lo: number, hi: number): (SpecialRange & { inside: boolean }) | undefined {
    let best: SpecialRange | undefined;
    for (const r of SPECIAL_RANGES) {
        const inside = r.network <= lo && hi <= r.broadcast;
        if (inside && (best === undefined || r.broadcast - r.network < best.broadcast - best.network)) {
            best = r;
        }
    }
    if (best !== undefined) {
        return { ...best, inside: true };
    }
    const hit = SPECIAL_RANGES.find((r) => r.network <= hi && lo <= r.broadcast);
    return hit === undefined ? undefined : { ...hit, inside: false };
}

/** The reason-and-fix tail of a special-range problem, or undefined if the range is ordinary. */
function specialProblem(lo: number, hi: number, kind: Kind): string | undefined {
    const s = findSpecial(lo, hi);
    if (s === undefined) {
        return undefined;
    }
    const fix =
        kind === "address"
            ? `use an address in a private range such as ${EXAMPLE.address}`
            : `use a private range such as ${EXAMPLE[kind]}`;
    if (lo === hi && s.network === s.broadcast) {
        return `is ${s.name}, not a host address; ${fix}`;
    }
    return `${s.inside ? "is inside" : "overlaps"} ${s.name}; ${fix}`;
}

function fail<T>(problem: string): Check<T> {
    return { ok: false, problem };
}

function shown(value: unknown): string {
    if (typeof value !== "string") {
        return typeof value === "number" ? String(value) : typeof value;
    }
    if (value.length > SHOWN_MAX) {
        return `${JSON.stringify(value.slice(0, SHOWN_MAX))}... (${value.length} characters)`;
    }
    return JSON.stringify(value);
}

function isUint32(n: number): boolean {
    return Number.isInteger(n) && n >= 0 && n <= 0xffffffff;
}

function isPrefix(p: number): boolean {
    return Number.isInteger(p) && p >= 0 && p <= 32;
}

function maskOf(prefix: number): number {
    // `x << 32` is `x << 0` in JS, so /0 needs its own case.
    return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

function makeCidr(address: number, prefix: number): Cidr {
    const mask = maskOf(prefix);
    const network = (address & mask) >>> 0;
    const broadcast = (network | ~mask) >>> 0;
    return { address, prefix, network, broadcast, mask, text: formatCidr(address, prefix) };
}

/** Problem for undefined/null/non-string input, or undefined if it is a string. */
function typeProblem(value: unknown, kind: Kind): string | undefined {
    if (value === undefined || value === null) {
        return `is missing; give ${NOUN[kind]} such as ${EXAMPLE[kind]}`;
    }
    if (typeof value !== "string") {
        return `must be a string, not ${describeType(value)}; give ${NOUN[kind]} such as "${EXAMPLE[kind]}"`;
    }
    return undefined;
}

function describeType(value: unknown): string {
    if (Array.isArray(value)) {
        return "an array";
    }
    if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") {
        return `a ${typeof value} (${String(value)})`;
    }
    return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

/** A rejected address: why, and the corrected address when one is unambiguous. */
type AddressDiagnosis = { ok: true; value: number } | { ok: false; why: string; fixed?: number };

function diagnoseAddress(s: string): AddressDiagnosis {
    if (s === "") {
        return { ok: false, why: "is not an IPv4 address (it is empty)" };
    }
    if (DOTTED.test(s)) {
        const octets = s.split(".");
        const values = octets.map(Number);
        if (octets.some((o) => o.length > 1 && o.startsWith("0"))) {
            // inet_aton reads 010 as 8, most humans as 10: refuse rather than guess, but the
            // decimal reading is the likely intent, so offer it.
            const decimal = values.every((v) => v <= 255) ? fromOctets(values) : undefined;
            return { ok: false, why: "has a leading zero in an octet (ambiguous: octal or decimal)", fixed: decimal };
        }
        const over = values.find((v) => v > 255);
        if (over !== undefined) {
            return { ok: false, why: `is not an IPv4 address (octet ${over} is over 255)` };
        }
        if (!Address4.isValid(s)) {
            return { ok: false, why: "is not an IPv4 address" };
        }
        return { ok: true, value: Number(new Address4(s).bigInt()) };
    }
    if (s.trim() !== s) {
        const inner = diagnoseAddress(s.trim());
        return {
            ok: false,
            why: "is not an IPv4 address (it has leading or trailing whitespace)",
            fixed: inner.ok ? inner.value : undefined,
        };
    }

    if (/[\u0000-\u001f\u007f]/.test(s)) {
        return { ok: false, why: "is not an IPv4 address (it contains a control character)" };
    }
    if (/0x/i.test(s)) {
        return { ok: false, why: "is not an IPv4 address (hex is not accepted, only decimal octets)" };
    }
    if (/^[\d.]+$/.test(s)) {
        return { ok: false, why: "is not an IPv4 address (it needs exactly four decimal octets)" };
    }
    return { ok: false, why: "is not an IPv4 address (only the digits 0-9 and dots are allowed)" };
}

function fromOctets(values: number[]): number {
    return values.reduce((acc, v) => acc * 256 + v, 0);
}

/** A CIDR of a kind, outside the special ranges: where checkSubnet and checkInterfaceCidr start. */
function parseOrdinary(text: unknown, kind: "subnet" | "interface"): Check<Cidr> {
    const parsed = parseCidrAs(text, kind);
    if (!parsed.ok) {
        return parsed;
    }
    const special = specialProblem(parsed.value.network, parsed.value.broadcast, kind);
    return special === undefined ? parsed : fail(`${shown(text)} ${special}`);
}

/** Describes an IPv6 input, or undefined if `s` is not valid IPv6 at all. */
function inspectIPv6(s: string): { mapped?: number; prefix?: number } | undefined {
    if (!s.includes(":") || !Address6.isValid(s)) {
        return undefined;
    }
    try {
        const a = new Address6(s);
        if (!a.isMapped4()) {
            return {};
        }
        const prefix = s.includes("/") && a.subnetMask >= 96 ? a.subnetMask - 96 : undefined;
        return { mapped: Number(a.to4().bigInt()), prefix };
    } catch {
        return undefined;
    }
}

function ipv6Problem(text: string, kind: Kind): string | undefined {
    const v6 = inspectIPv6(text);
    if (v6 === undefined) {
        return undefined;
    }
    if (v6.mapped === undefined) {
        return `${shown(text)} is an IPv6 address; ${NOUN[kind]} is expected (e.g. ${EXAMPLE[kind]})`;
    }
    const fix =
        kind === "address"
            ? formatIPv4(v6.mapped)
            : v6.prefix !== undefined
              ? formatCidr(v6.mapped, v6.prefix)
              : suggestCidr(v6.mapped, kind);
    return `${shown(text)} is an IPv4-mapped IPv6 address; write the IPv4 form ${fix}`;
}

/** The first checks of every parse: a string, and not IPv6; the problem, or undefined. */
function shapeProblem(text: unknown, kind: Kind): string | undefined {
    return typeProblem(text, kind) ?? ipv6Problem(text as string, kind);
}

function parseAddressAs(text: unknown, kind: Kind): Check<number> {
    const shape = shapeProblem(text, kind);
    if (shape !== undefined) {
        return fail(shape);
    }
    const s = text as string;
    // Only a real "address/prefix" gets the prefix message; "1.2.3.4;rm -rf /" is just invalid.
    const withPrefix = /^([\d.]+)\/\d{1,2}$/.exec(s);
    const head = withPrefix === null ? undefined : diagnoseAddress(withPrefix[1]);
    if (head?.ok) {
        return fail(
            `${shown(s)} has a prefix length, but ${NOUN.address} without one is expected; write ${formatIPv4(head.value)}`,
        );
    }
    const d = diagnoseAddress(s);
    if (d.ok) {
        return { ok: true, value: d.value };
    }
    const fix = d.fixed !== undefined ? `write ${formatIPv4(d.fixed)}` : `write it like ${EXAMPLE.address}`;
    return fail(`${shown(s)} ${d.why}; ${fix}`);
}

function parseCidrAs(text: unknown, kind: Kind): Check<Cidr> {
    const shape = shapeProblem(text, kind);
    if (shape !== undefined) {
        return fail(shape);
    }
    const s = text as string;
    const generic = `write it like ${EXAMPLE[kind]}`;
    if (s.trim() !== s && s.trim() !== "") {
        const inner = parseCidrAs(s.trim(), kind);
        const fix = inner.ok ? `write ${inner.value.text}` : generic;
        return fail(`${shown(s)} is not ${NOUN[kind]} (it has leading or trailing whitespace); ${fix}`);
    }
    const parts = s.split("/");
    if (parts.length > 2) {
        return fail(`${shown(s)} is not ${NOUN[kind]} (it has more than one "/"); ${generic}`);
    }
    const [addrText, prefixText] = parts;
    const addr = diagnoseAddress(addrText);
    const prefixOk = prefixText !== undefined && /^(0|[1-9]\d?)$/.test(prefixText) && Number(prefixText) <= 32;

    if (!addr.ok) {
        const fix =
            addr.fixed !== undefined ? `write ${formatIPv4(addr.fixed)}${prefixOk ? `/${prefixText}` : ""}` : generic;
        return fail(`${shown(s)} ${addr.why}; ${fix}`);
    }
    if (prefixText === undefined) {
        const suggestion = suggestCidr(addr.value, kind);
        const same = suggestion.startsWith(`${formatIPv4(addr.value)}/`);
        return fail(
            `${shown(s)} has no prefix length; ${same ? `write it as ${suggestion}` : `add one, e.g. ${suggestion}`}`,
        );
    }
    if (!/^\d+$/.test(prefixText)) {
        return fail(
            `${shown(s)} has no valid prefix length after "/" (a number is expected); ` +
                `write it like ${suggestCidr(addr.value, kind)}`,
        );
    }
    if (prefixText.length > 1 && prefixText.startsWith("0")) {
        const p = Number(prefixText);
        const fix = p <= 32 ? `write ${formatCidr(addr.value, p)}` : generic;
        return fail(`${shown(s)} has a leading zero in the prefix length; ${fix}`);
    }
    const prefix = Number(prefixText);
    const shownPrefix = prefixText.length > 4 ? `${prefixText.slice(0, 4)}...` : prefixText;
    if (kind === "cidr") {
        if (prefix > 32) {
            return fail(
                `${shown(s)} has prefix /${shownPrefix}; an IPv4 prefix is 0 to 32, e.g. ${suggestCidr(addr.value, kind)}`,
            );
        }
    } else if (prefix === 0) {
        return fail(
            `${shown(s)} has prefix /0, which would cover every address; use a private range such as ${EXAMPLE[kind]}`,
        );
    } else if (prefix < MIN_PREFIX || prefix > MAX_PREFIX) {
        const why = prefix <= 32 ? " (a /31 or /32 leaves no room for a gateway and hosts)" : "";
        return fail(
            `${shown(s)} has prefix /${shownPrefix}; an IPv4 prefix is ${MIN_PREFIX} to ${MAX_PREFIX} here${why}, ` +
                `e.g. ${suggestCidr(addr.value, kind)}`,
        );
    }
    return { ok: true, value: makeCidr(addr.value, prefix) };
}

/**
 * A concrete, valid example built from the user's own address where possible, so the fix reads
 * as "what you meant": /24 for 192.168.x.x, /16 otherwise; falls back to the generic example.
 */
function suggestCidr(address: number, kind: Kind): string {
    const prefix = address >>> 16 === 0xc0a8 ? 24 : 16;
    const c = makeCidr(address, prefix);
    if (findSpecial(c.network, c.broadcast) !== undefined) {
        return EXAMPLE[kind];
    }
    if (kind === "subnet") {
        // Keep the address if it is already a network at the default or /24 (10.1.2.0 -> /24);
        // otherwise offer the network it falls in.
        for (const p of [prefix, 24]) {
            if ((address & maskOf(p)) >>> 0 === address) {
                return formatCidr(address, p);
            }
        }
        return formatCidr(c.network, prefix);
    }
    if (kind === "interface" && (address === c.network || address === c.broadcast)) {
        return formatCidr(c.network + 1, prefix);
    }
    return formatCidr(address, prefix);
}

/** One `taken` entry as an inclusive [first, last] range; a bare address counts as /32. */
function parseTaken(value: unknown): Check<[number, number]> {
    if (typeof value === "string" && !value.includes("/") && !value.includes(":")) {
        const ip = parseIPv4(value);
        return ip.ok ? { ok: true, value: [ip.value, ip.value] } : ip;
    }
    const c = parseCidr(value);
    return c.ok ? { ok: true, value: [c.value.network, c.value.broadcast] } : c;
}
