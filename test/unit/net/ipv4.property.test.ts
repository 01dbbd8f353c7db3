// Property tests for components/net/ipv4.ts, checked against brute force where that is cheap.
import fc from "fast-check";
import {
    Cidr,
    allocateSubnets,
    checkHostAddress,
    checkInterfaceCidr,
    checkSubnet,
    contains,
    formatCidr,
    formatIPv4,
    overlaps,
    parseCidr,
    parseIPv4,
} from "../../../components/net";

const STRICT_QUAD = /^\d{1,3}(\.\d{1,3}){3}$/;

const uint32 = fc.integer({ min: 0, max: 0xffffffff });
const prefixArb = fc.integer({ min: 0, max: 32 });

function mustCidr(text: string): Cidr {
    const c = parseCidr(text);
    if (!c.ok) {
        throw new Error(c.problem);
    }
    return c.value;
}

const cidrArb = fc.tuple(uint32, prefixArb).map(([a, p]) => mustCidr(formatCidr(a, p)));

/** Two CIDRs inside one /20, prefix 20..32, so overlaps are common and brute force is cheap. */
const nearbyCidrPair = fc
    .tuple(
        uint32,
        fc.integer({ min: 0, max: 4095 }),
        fc.integer({ min: 20, max: 32 }),
        fc.integer({ min: 0, max: 4095 }),
        fc.integer({ min: 20, max: 32 }),
    )
    .map(([base, offA, pA, offB, pB]) => {
        const block = base - (base % 4096);
        return [mustCidr(formatCidr(block + offA, pA)), mustCidr(formatCidr(block + offB, pB))] as const;
    });

/** An octet as text: canonical, zero-padded, or out of range. */
const octetText = fc.oneof(
    fc.integer({ min: 0, max: 255 }).map(String),
    fc.integer({ min: 0, max: 255 }).map((n) => n.toString().padStart(3, "0")),
    fc.integer({ min: 0, max: 999 }).map(String),
);

const quadText = fc.tuple(octetText, octetText, octetText, octetText).map((o) => o.join("."));

/** Characters that make a hit on the dotted-quad shape likely, plus hostile ones. */
const hostileChar = fc.constantFrom(
    ..."0123456789012345678901234567890123456789....".split(""),
    " ",
    "\t",
    "\n",
    "\r",
    "\u0000",
    "\u00a0",
    ";",
    "|",
    "&",
    "$",
    "`",
    "(",
    ")",
    "<",
    ">",
    "/",
    ":",
    "%",
    "x",
    "-",
    "+",
    "e",
    "\uff11", // fullwidth 1
    "\u0663", // arabic-indic 3
);

/** `s` with `ch` spliced in at position `at` (mod length + 1). */
function splice(s: string, at: number, ch: string): string {
    const i = at % (s.length + 1);
    return s.slice(0, i) + ch + s.slice(i);
}

const hostileString = fc.oneof(
    fc.string({ unit: hostileChar, maxLength: 20 }),
    fc.string({ unit: "binary", maxLength: 20 }),
    // A valid address with one hostile character spliced in somewhere.
    fc.tuple(uint32, fc.nat(), hostileChar).map(([n, at, ch]) => splice(formatIPv4(n), at, ch)),
);

const hostileCidr = fc.oneof(
    fc.tuple(hostileString, hostileString).map(([a, b]) => `${a}/${b}`),
    fc.tuple(uint32, prefixArb, fc.nat(), hostileChar).map(([n, p, at, ch]) => splice(formatCidr(n, p), at, ch)),
);

describe("parse / format round trips", () => {
    it("parseIPv4(formatIPv4(n)) === n for every address", () => {
        fc.assert(
            fc.property(uint32, (n) => {
                expect(parseIPv4(formatIPv4(n))).toEqual({ ok: true, value: n });
            }),
            { numRuns: 1000 },
        );
    });

    it("formatIPv4(parseIPv4(s)) === s whenever s parses, and canonical quads always parse", () => {
        fc.assert(
            fc.property(quadText, (s) => {
                const r = parseIPv4(s);
                const canonical = s.split(".").every((o) => String(Number(o)) === o && Number(o) <= 255);
                expect(r.ok).toBe(canonical);
                if (r.ok) {
                    expect(formatIPv4(r.value)).toBe(s);
                }
            }),
            { numRuns: 1000 },
        );
    });

    it("parseCidr(formatCidr(a, p)) keeps address and prefix, and its text round-trips", () => {
        fc.assert(
            fc.property(uint32, prefixArb, (a, p) => {
                const text = formatCidr(a, p);
                const c = mustCidr(text);
                expect(c.address).toBe(a);
                expect(c.prefix).toBe(p);
                expect(c.text).toBe(text);
                expect(formatCidr(c.address, c.prefix)).toBe(text);
            }),
            { numRuns: 1000 },
        );
    });

    it("a parsed CIDR's mask, network and broadcast agree", () => {
        fc.assert(
            fc.property(cidrArb, (c) => {
                expect(c.network).toBe((c.address & c.mask) >>> 0);
                expect(c.broadcast - c.network + 1).toBe(2 ** (32 - c.prefix));
                expect(c.network % 2 ** (32 - c.prefix)).toBe(0);
            }),
            { numRuns: 1000 },
        );
    });
});

describe("strictness", () => {
    it("any string parseIPv4 accepts is a plain dotted quad (no metacharacters can pass)", () => {
        fc.assert(
            fc.property(hostileString, (s) => {
                const r = parseIPv4(s);
                if (r.ok) {
                    expect(s).toMatch(STRICT_QUAD);
                    expect(formatIPv4(r.value)).toBe(s);
                }
            }),
            { numRuns: 5000 },
        );
    });

    it("any string parseCidr accepts is a plain dotted quad and a decimal prefix", () => {
        fc.assert(
            fc.property(hostileCidr, (s) => {
                const r = parseCidr(s);
                if (r.ok) {
                    expect(s).toMatch(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/);
                    expect(r.value.text).toBe(s);
                }
            }),
            { numRuns: 3000 },
        );
    });

    it("never throws, and problems never carry raw control characters", () => {
        const checks = [parseIPv4, parseCidr, checkSubnet, checkInterfaceCidr, checkHostAddress];
        fc.assert(
            fc.property(fc.oneof(fc.anything(), hostileString), (value) => {
                for (const check of checks) {
                    const r = check(value);
                    if (!r.ok) {
                        expect(typeof r.problem).toBe("string");

                        expect(r.problem).not.toMatch(/[\u0000-\u001f]/);
                    }
                }
            }),
            { numRuns: 2000 },
        );
    });
});

describe("contains / overlaps", () => {
    it("contains the network and broadcast, and not the addresses just outside", () => {
        fc.assert(
            fc.property(cidrArb, (c) => {
                expect(contains(c, c.network)).toBe(true);
                expect(contains(c, c.broadcast)).toBe(true);
                expect(contains(c, c.address)).toBe(true);
                if (c.network > 0) {
                    expect(contains(c, c.network - 1)).toBe(false);
                }
                if (c.broadcast < 0xffffffff) {
                    expect(contains(c, c.broadcast + 1)).toBe(false);
                }
            }),
            { numRuns: 1000 },
        );
    });

    it("contains(c, ip) matches the mask test", () => {
        fc.assert(
            fc.property(cidrArb, uint32, (c, ip) => {
                expect(contains(c, ip)).toBe((ip & c.mask) >>> 0 === c.network);
            }),
            { numRuns: 1000 },
        );
    });

    it("overlaps is symmetric", () => {
        fc.assert(
            fc.property(cidrArb, cidrArb, (a, b) => {
                expect(overlaps(a, b)).toBe(overlaps(b, a));
            }),
            { numRuns: 1000 },
        );
    });

    it("overlaps equals 'some address is in both' (brute force on small ranges)", () => {
        fc.assert(
            fc.property(nearbyCidrPair, ([a, b]) => {
                let shared = false;
                for (let ip = a.network; ip <= a.broadcast && !shared; ip++) {
                    shared = contains(b, ip);
                }
                expect(overlaps(a, b)).toBe(shared);
            }),
            { numRuns: 1000 },
        );
    });

    it("CIDRs either nest or are disjoint: overlap iff one holds the other's network", () => {
        fc.assert(
            fc.property(cidrArb, cidrArb, (a, b) => {
                const nested = contains(a, b.network) || contains(b, a.network);
                expect(overlaps(a, b)).toBe(nested);
                if (nested) {
                    const [outer, inner] = a.prefix <= b.prefix ? [a, b] : [b, a];
                    expect(contains(outer, inner.network) && contains(outer, inner.broadcast)).toBe(true);
                }
            }),
            { numRuns: 1000 },
        );
    });
});

describe("allocateSubnets", () => {
    const PRIVATE = [mustCidr("10.0.0.0/8"), mustCidr("172.16.0.0/12"), mustCidr("192.168.0.0/16")];

    /** A pool inside a private range, a prefix at most 8 bits longer, and taken ranges around it. */
    const scenario = fc
        .tuple(
            fc.constantFrom(...PRIVATE),
            fc.integer({ min: 0, max: 16 }),
            fc.nat(),
            fc.integer({ min: 0, max: 8 }),
            fc.integer({ min: 0, max: 12 }),
            fc.array(fc.tuple(fc.double({ min: -0.5, max: 1.5, noNaN: true }), fc.integer({ min: -2, max: 32 })), {
                maxLength: 6,
            }),
        )
        .map(([base, extra, pick, deeper, count, takenSpec]) => {
            const poolPrefix = Math.min(24, base.prefix + extra);
            const poolSize = 2 ** (32 - poolPrefix);
            const slots = 2 ** (poolPrefix - base.prefix);
            const poolNetwork = base.network + (pick % slots) * poolSize;
            const prefix = Math.min(30, poolPrefix + deeper);
            const taken = takenSpec.map(([where, p]) => {
                const at = Math.round(poolNetwork + where * poolSize);
                const addr = Math.min(0xffffffff, Math.max(0, at));
                return formatCidr(addr, Math.max(1, Math.min(32, poolPrefix + p)));
            });
            return { pool: formatCidr(poolNetwork, poolPrefix), prefix, count, taken };
        });

    /** Every aligned /prefix in the pool that misses all taken ranges, in address order. */
    function bruteForceFree(pool: Cidr, prefix: number, taken: Cidr[]): string[] {
        const size = 2 ** (32 - prefix);
        const free: string[] = [];
        for (let n = pool.network; n + size - 1 <= pool.broadcast; n += size) {
            const candidate = mustCidr(formatCidr(n, prefix));
            if (!taken.some((t) => overlaps(candidate, t))) {
                free.push(candidate.text);
            }
        }
        return free;
    }

    it("returns the first `count` free aligned subnets inside the pool, or says there is no room", () => {
        fc.assert(
            fc.property(scenario, ({ pool, prefix, count, taken }) => {
                const r = allocateSubnets(pool, prefix, count, taken);
                const poolCidr = mustCidr(pool);
                const takenCidrs = taken.map(mustCidr);
                const free = bruteForceFree(poolCidr, prefix, takenCidrs);
                if (!r.ok) {
                    expect(free.length).toBeLessThan(count);
                    const capacity = 2 ** (prefix - poolCidr.prefix);
                    expect(r.problem).toContain(
                        count > capacity
                            ? `count ${count} is more than pool ${pool} holds`
                            : `room for only ${free.length} free /${prefix}`,
                    );
                    return;
                }
                expect(r.value).toEqual(free.slice(0, count));

                const got = r.value.map((s) => {
                    const c = checkSubnet(s);
                    if (!c.ok) {
                        throw new Error(c.problem);
                    }
                    return c.value;
                });
                got.forEach((c, i) => {
                    expect(c.prefix).toBe(prefix);
                    expect(c.address).toBe(c.network); // aligned: no host bits
                    expect(c.network % 2 ** (32 - prefix)).toBe(0);
                    expect(contains(poolCidr, c.network) && contains(poolCidr, c.broadcast)).toBe(true);
                    for (const t of takenCidrs) {
                        expect(overlaps(c, t)).toBe(false);
                    }
                    for (const other of got.slice(i + 1)) {
                        expect(overlaps(c, other)).toBe(false);
                        expect(other.network).toBeGreaterThan(c.network); // address order
                    }
                });
            }),
            { numRuns: 500 },
        );
    });

    it("is deterministic: same input gives the same output, whatever the order of taken", () => {
        fc.assert(
            fc.property(scenario, fc.nat(), ({ pool, prefix, count, taken }, seed) => {
                const first = allocateSubnets(pool, prefix, count, taken);
                expect(allocateSubnets(pool, prefix, count, taken)).toEqual(first);
                const rotated = taken.map((_, i) => taken[(i + seed) % taken.length]);
                const reversed = [...rotated].reverse();
                const again = allocateSubnets(pool, prefix, count, reversed);
                // Only the room count in a problem could differ if order mattered; it must not.
                expect(again).toEqual(first);
            }),
            { numRuns: 500 },
        );
    });

    it("asking for fewer gives a prefix of asking for more", () => {
        fc.assert(
            fc.property(scenario, fc.integer({ min: 0, max: 12 }), ({ pool, prefix, count, taken }, fewer) => {
                const more = allocateSubnets(pool, prefix, count, taken);
                const less = allocateSubnets(pool, prefix, Math.min(fewer, count), taken);
                if (more.ok) {
                    expect(less).toEqual({ ok: true, value: more.value.slice(0, Math.min(fewer, count)) });
                }
            }),
            { numRuns: 300 },
        );
    });
});
