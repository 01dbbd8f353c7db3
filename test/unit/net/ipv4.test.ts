// Example-based tests for every rule and message of components/net/ipv4.ts.
import {
    Check,
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
    specialRange,
} from "../../../components/net";

/** The problem of a failed check; fails the test if the check passed. */
function problemOf<T>(c: Check<T>): string {
    if (c.ok) {
        throw new Error(`expected a problem, got ${JSON.stringify(c.value)}`);
    }
    return c.problem;
}

function valueOf<T>(c: Check<T>): T {
    if (!c.ok) {
        throw new Error(`expected a value, got problem: ${c.problem}`);
    }
    return c.value;
}

function cidr(text: string): Cidr {
    return valueOf(parseCidr(text));
}

const ip = (text: string): number => valueOf(parseIPv4(text));

describe("parseIPv4", () => {
    it.each([
        ["0.0.0.0", 0],
        ["10.0.0.1", 0x0a000001],
        ["172.18.0.1", 0xac120001],
        ["192.168.1.254", 0xc0a801fe],
        ["255.255.255.255", 0xffffffff],
    ])("parses %s", (text, n) => {
        expect(parseIPv4(text)).toEqual({ ok: true, value: n });
    });

    it("rejects a leading zero as ambiguous and offers the decimal reading", () => {
        expect(problemOf(parseIPv4("010.0.0.1"))).toBe(
            `"010.0.0.1" has a leading zero in an octet (ambiguous: octal or decimal); write 10.0.0.1`,
        );
        expect(problemOf(parseIPv4("10.0.0.01"))).toContain("write 10.0.0.1");
        expect(problemOf(parseIPv4("192.168.001.001"))).toContain("write 192.168.1.1");
    });

    it("names IPv6 and asks for IPv4", () => {
        expect(problemOf(parseIPv4("::1"))).toBe(
            `"::1" is an IPv6 address; an IPv4 address is expected (e.g. 172.18.0.1)`,
        );
        expect(problemOf(parseIPv4("fe80::1"))).toContain("is an IPv6 address");
        expect(problemOf(parseIPv4("2001:db8::1/64"))).toContain("is an IPv6 address");
    });

    it("names IPv4-mapped IPv6 and suggests the IPv4 form", () => {
        const p = problemOf(parseIPv4("::ffff:10.0.0.1"));
        expect(p).toContain(`"::ffff:10.0.0.1"`);
        expect(p).toContain("IPv4-mapped IPv6");
        expect(p).toContain("10.0.0.1");
        expect(problemOf(parseIPv4("::ffff:0a00:0001"))).toContain("write the IPv4 form 10.0.0.1");
    });

    it("rejects a prefix length and suggests the bare address", () => {
        expect(problemOf(parseIPv4("172.18.0.1/16"))).toBe(
            `"172.18.0.1/16" has a prefix length, but an IPv4 address without one is expected; write 172.18.0.1`,
        );
    });

    it("says which whitespace form was meant", () => {
        expect(problemOf(parseIPv4(" 10.0.0.1"))).toBe(
            `" 10.0.0.1" is not an IPv4 address (it has leading or trailing whitespace); write 10.0.0.1`,
        );
        expect(problemOf(parseIPv4("10.0.0.1\n"))).toContain(`"10.0.0.1\\n"`);
        expect(problemOf(parseIPv4("10.0.0.1\n"))).toContain("write 10.0.0.1");
        expect(problemOf(parseIPv4("\t"))).toContain("whitespace");
    });

    it.each([
        ["", "(it is empty)"],
        [" ", "is not an IPv4 address"],
        ["1.2.3", "exactly four decimal octets"],
        ["1.2.3.4.5", "exactly four decimal octets"],
        ["1..2.3", "exactly four decimal octets"],
        ["1234.1.1.1", "exactly four decimal octets"],
        ["256.1.1.1", "octet 256 is over 255"],
        ["1.2.3.999", "octet 999 is over 255"],
        ["0x7f.0.0.1", "hex is not accepted"],
        ["0X7F000001", "hex is not accepted"],
        ["2130706433", "exactly four decimal octets"],
        ["localhost", "only the digits 0-9 and dots"],
        ["1.2.3.4;rm -rf /", "only the digits 0-9 and dots"],
        ["1.2.3.4 && reboot", "only the digits 0-9 and dots"],
        ["$(reboot)", "only the digits 0-9 and dots"],
        ["`id`.1.1.1", "only the digits 0-9 and dots"],
        ["1.2.3.4|nc", "only the digits 0-9 and dots"],
        ["1.2.3.4\nrm", "control character"],
        ["1.2.3.4\u0000", "control character"],
        ["-1.2.3.4", "only the digits 0-9 and dots"],
        ["+1.2.3.4", "only the digits 0-9 and dots"],
        ["１.2.3.4", "only the digits 0-9 and dots"],
        ["1.2.3.4%eth0", "only the digits 0-9 and dots"],
    ])("rejects %j (%s)", (text, detail) => {
        const p = problemOf(parseIPv4(text));
        expect(p).toContain("is not an IPv4 address");
        expect(p).toContain(detail);
        expect(p.startsWith(JSON.stringify(text))).toBe(true);
        expect(p).toContain("172.18.0.1");
    });

    it("shows newlines and NUL escaped, never raw", () => {
        for (const text of ["1.2.3.4\nrm -rf /", "1.2.3.4\u0000", "\r\n", "1.2.3.4\u001b[31m"]) {
            const p = problemOf(parseIPv4(text));
            expect(p).toContain(JSON.stringify(text));

            expect(p).not.toMatch(/[\u0000-\u001f]/);
        }
    });

    it("truncates a huge value in the message", () => {
        const p = problemOf(parseIPv4("9".repeat(10000)));
        expect(p.length).toBeLessThan(300);
        expect(p).toContain("10000 characters");
    });

    it.each([
        [undefined, "is missing; give an IPv4 address such as 172.18.0.1"],
        [null, "is missing; give an IPv4 address such as 172.18.0.1"],
        [167772161, "must be a string, not a number (167772161)"],
        [true, "must be a string, not a boolean (true)"],
        [{}, "must be a string, not an object"],
        [["10.0.0.1"], "must be a string, not an array"],
    ])("rejects non-string %p", (value, message) => {
        const p = problemOf(parseIPv4(value));
        expect(p).toContain(message);
        expect(p).toContain("172.18.0.1");
    });
});

describe("formatIPv4 / formatCidr", () => {
    it("formats", () => {
        expect(formatIPv4(0)).toBe("0.0.0.0");
        expect(formatIPv4(0xac120001)).toBe("172.18.0.1");
        expect(formatIPv4(0xffffffff)).toBe("255.255.255.255");
        expect(formatCidr(0xac120000, 16)).toBe("172.18.0.0/16");
        expect(formatCidr(0, 0)).toBe("0.0.0.0/0");
    });

    it.each([-1, 2 ** 32, 1.5, NaN, Infinity])("throws on out-of-range address %p", (n) => {
        expect(() => formatIPv4(n)).toThrow(RangeError);
    });

    it.each([-1, 33, 1.5, NaN])("throws on out-of-range prefix %p", (p) => {
        expect(() => formatCidr(0, p)).toThrow(RangeError);
    });
});

describe("parseCidr", () => {
    it("parses and computes the range, keeping host bits", () => {
        expect(parseCidr("172.18.0.1/16")).toEqual({
            ok: true,
            value: {
                address: 0xac120001,
                prefix: 16,
                network: 0xac120000,
                broadcast: 0xac12ffff,
                mask: 0xffff0000,
                text: "172.18.0.1/16",
            },
        });
    });

    it("accepts /0 and /32 (policy is left to the checks)", () => {
        expect(cidr("10.0.0.0/0")).toMatchObject({ network: 0, broadcast: 0xffffffff, mask: 0 });
        expect(cidr("10.0.0.7/32")).toMatchObject({ network: 0x0a000007, broadcast: 0x0a000007, mask: 0xffffffff });
    });

    it("rejects /33 with the 0..32 range", () => {
        const p = problemOf(parseCidr("10.0.0.0/33"));
        expect(p).toContain(`"10.0.0.0/33" has prefix /33`);
        expect(p).toContain("0 to 32");
    });

    it("rejects a missing prefix and suggests one", () => {
        expect(problemOf(parseCidr("10.0.0.0"))).toBe(`"10.0.0.0" has no prefix length; write it as 10.0.0.0/16`);
        expect(problemOf(parseCidr("192.168.1.0"))).toContain("write it as 192.168.1.0/24");
    });

    it.each([
        ["10.0.0.0/", "no valid prefix length"],
        ["10.0.0.0/abc", "no valid prefix length"],
        ["10.0.0.0/+8", "no valid prefix length"],
        ["10.0.0.0/-8", "no valid prefix length"],
        ["10.0.0.0/ 8", "no valid prefix length"],
        ["10.0.0.0/8;id", "no valid prefix length"],
        ["10.0.0.0/8/8", `more than one "/"`],
    ])("rejects %j (%s)", (text, detail) => {
        const p = problemOf(parseCidr(text));
        expect(p).toContain(JSON.stringify(text));
        expect(p).toContain(detail);
        expect(p).toMatch(/write/);
    });

    it("rejects a leading zero in the prefix and suggests the plain one", () => {
        expect(problemOf(parseCidr("10.0.0.0/08"))).toBe(
            `"10.0.0.0/08" has a leading zero in the prefix length; write 10.0.0.0/8`,
        );
    });

    it("reports an address problem with the prefix kept in the fix", () => {
        expect(problemOf(parseCidr("010.0.0.0/16"))).toBe(
            `"010.0.0.0/16" has a leading zero in an octet (ambiguous: octal or decimal); write 10.0.0.0/16`,
        );
        expect(problemOf(parseCidr("256.0.0.0/8"))).toContain("octet 256 is over 255");
    });

    it("rejects whitespace around a CIDR and suggests the trimmed one", () => {
        expect(problemOf(parseCidr("10.0.0.0/16\n"))).toBe(
            `"10.0.0.0/16\\n" is not an IPv4 CIDR (it has leading or trailing whitespace); write 10.0.0.0/16`,
        );
    });

    it("names IPv6 and IPv4-mapped CIDRs", () => {
        expect(problemOf(parseCidr("fd00::/64"))).toBe(
            `"fd00::/64" is an IPv6 address; an IPv4 CIDR is expected (e.g. 172.18.0.0/16)`,
        );
        expect(problemOf(parseCidr("::ffff:10.0.0.0/120"))).toContain("write the IPv4 form 10.0.0.0/24");
    });

    it("rejects non-strings", () => {
        expect(problemOf(parseCidr(undefined))).toBe("is missing; give an IPv4 CIDR such as 172.18.0.0/16");
        expect(problemOf(parseCidr(16))).toContain("must be a string");
    });
});

describe("checkSubnet", () => {
    it.each(["172.18.0.0/16", "10.0.0.0/8", "192.168.1.0/24", "10.0.0.0/30", "8.0.0.0/7", "172.16.0.0/12"])(
        "accepts %s",
        (text) => {
            expect(valueOf(checkSubnet(text)).text).toBe(text);
        },
    );

    it("rejects host bits and gives the network", () => {
        expect(problemOf(checkSubnet("172.19.0.1/16"))).toBe(`"172.19.0.1/16" has host bits set; use 172.19.0.0/16`);
        expect(problemOf(checkSubnet("10.1.2.3/8"))).toContain("use 10.0.0.0/8");
    });

    it("rejects /0 as covering everything", () => {
        expect(problemOf(checkSubnet("0.0.0.0/0"))).toBe(
            `"0.0.0.0/0" has prefix /0, which would cover every address; use a private range such as 172.18.0.0/16`,
        );
    });

    it.each(["10.0.0.0/31", "10.0.0.0/32", "10.0.0.0/33", "10.0.0.0/99"])("rejects prefix of %s", (text) => {
        const p = problemOf(checkSubnet(text));
        expect(p).toContain(`${JSON.stringify(text)} has prefix /${text.split("/")[1]}`);
        expect(p).toContain("an IPv4 prefix is 1 to 30 here");
        expect(p).toContain("10.0.0.0/16");
    });

    it("rejects a missing prefix and suggests a network", () => {
        expect(problemOf(checkSubnet("172.18.0.0"))).toBe(
            `"172.18.0.0" has no prefix length; write it as 172.18.0.0/16`,
        );
        expect(problemOf(checkSubnet("10.1.2.0"))).toContain("write it as 10.1.2.0/24");
        expect(problemOf(checkSubnet("10.1.2.3"))).toContain("add one, e.g. 10.1.0.0/16");
    });

    it.each([
        ["127.0.0.0/16", "is inside loopback (127.0.0.0/8)"],
        ["127.0.0.0/8", "is inside loopback (127.0.0.0/8)"],
        ["169.254.0.0/16", "is inside link-local (169.254.0.0/16)"],
        ["224.0.0.0/24", "is inside multicast (224.0.0.0/4)"],
        ["240.0.0.0/8", "is inside reserved (240.0.0.0/4)"],
        ["255.255.255.252/30", "is inside reserved (240.0.0.0/4)"],
        ["0.0.0.0/8", "is inside this-network (0.0.0.0/8)"],
        ["0.0.0.0/1", "overlaps this-network (0.0.0.0/8)"],
        ["126.0.0.0/7", "overlaps loopback (127.0.0.0/8)"],
        ["169.0.0.0/8", "overlaps link-local (169.254.0.0/16)"],
        ["192.0.0.0/2", "overlaps multicast (224.0.0.0/4)"],
    ])("rejects special range %s", (text, detail) => {
        expect(problemOf(checkSubnet(text))).toBe(
            `${JSON.stringify(text)} ${detail}; use a private range such as 172.18.0.0/16`,
        );
    });

    it("rejects loopback before complaining about host bits", () => {
        expect(problemOf(checkSubnet("127.0.0.1/16"))).toContain("loopback");
    });

    it("names IPv6 and rejects non-strings", () => {
        expect(problemOf(checkSubnet("fd00::/8"))).toContain("an IPv4 subnet is expected (e.g. 172.18.0.0/16)");
        expect(problemOf(checkSubnet(undefined))).toBe("is missing; give an IPv4 subnet such as 172.18.0.0/16");
        expect(problemOf(checkSubnet(42))).toContain("must be a string, not a number (42)");
    });
});

describe("checkInterfaceCidr", () => {
    it.each(["172.18.0.1/16", "172.18.255.254/16", "10.0.0.2/30", "192.168.1.1/24"])("accepts %s", (text) => {
        expect(valueOf(checkInterfaceCidr(text)).text).toBe(text);
    });

    it("rejects the network address and explains a bip", () => {
        expect(problemOf(checkInterfaceCidr("172.18.0.0/16"))).toBe(
            `"172.18.0.0/16" is the network address of 172.18.0.0/16; a bip is the bridge's own address, use 172.18.0.1/16`,
        );
    });

    it("rejects the broadcast address", () => {
        expect(problemOf(checkInterfaceCidr("172.18.255.255/16"))).toBe(
            `"172.18.255.255/16" is the broadcast address of 172.18.0.0/16; use 172.18.0.1/16`,
        );
        expect(problemOf(checkInterfaceCidr("10.0.0.3/30"))).toContain("use 10.0.0.1/30");
    });

    it("rejects a missing prefix and suggests one", () => {
        expect(problemOf(checkInterfaceCidr("172.18.0.1"))).toBe(
            `"172.18.0.1" has no prefix length; write it as 172.18.0.1/16`,
        );
        expect(problemOf(checkInterfaceCidr("192.168.1.5"))).toContain("write it as 192.168.1.5/24");
        expect(problemOf(checkInterfaceCidr("172.18.0.0"))).toContain("add one, e.g. 172.18.0.1/16");
    });

    it("rejects prefixes outside 1..30", () => {
        expect(problemOf(checkInterfaceCidr("172.18.0.1/0"))).toContain("would cover every address");
        expect(problemOf(checkInterfaceCidr("172.18.0.1/32"))).toContain("an IPv4 prefix is 1 to 30 here");
        expect(problemOf(checkInterfaceCidr("172.18.0.1/33"))).toContain(`"172.18.0.1/33" has prefix /33`);
    });

    it.each([
        ["127.0.0.1/8", "loopback (127.0.0.0/8)"],
        ["169.254.1.1/16", "link-local (169.254.0.0/16)"],
        ["239.0.0.1/24", "multicast (224.0.0.0/4)"],
        ["250.0.0.1/24", "reserved (240.0.0.0/4)"],
        ["0.0.0.1/24", "this-network (0.0.0.0/8)"],
    ])("rejects special range %s", (text, name) => {
        const p = problemOf(checkInterfaceCidr(text));
        expect(p).toContain(JSON.stringify(text));
        expect(p).toContain(name);
        expect(p).toContain("use a private range such as 172.18.0.1/16");
    });

    it("rejects malformed input like parseCidr does", () => {
        expect(problemOf(checkInterfaceCidr("172.018.0.1/16"))).toContain("write 172.18.0.1/16");
        expect(problemOf(checkInterfaceCidr("::1"))).toContain("an IPv4 address with prefix length is expected");
        expect(problemOf(checkInterfaceCidr(undefined))).toContain("is missing");
    });
});

describe("checkHostAddress", () => {
    it.each(["192.168.1.10", "10.0.0.1", "172.18.0.1", "8.8.8.8", "1.1.1.1", "223.255.255.254"])("accepts %s", (t) => {
        expect(checkHostAddress(t)).toEqual({ ok: true, value: ip(t) });
    });

    it.each([
        ["127.0.0.1", "is inside loopback (127.0.0.0/8)"],
        ["169.254.169.254", "is inside link-local (169.254.0.0/16)"],
        ["224.0.0.1", "is inside multicast (224.0.0.0/4)"],
        ["240.0.0.1", "is inside reserved (240.0.0.0/4)"],
        ["0.0.0.0", "is inside this-network (0.0.0.0/8)"],
        ["255.255.255.255", "is broadcast (255.255.255.255), not a host address"],
    ])("rejects %s", (text, detail) => {
        expect(problemOf(checkHostAddress(text))).toBe(
            `${JSON.stringify(text)} ${detail}; use an address in a private range such as 172.18.0.1`,
        );
    });

    it("rejects the parse failures of parseIPv4 with the same messages", () => {
        for (const t of ["010.0.0.1", "::1", "::ffff:10.0.0.1", "10.0.0.1/24", " 10.0.0.1", "1.2.3"]) {
            expect(checkHostAddress(t)).toEqual(parseIPv4(t));
        }
        expect(problemOf(checkHostAddress(undefined))).toBe("is missing; give an IPv4 address such as 172.18.0.1");
    });
});

describe("contains / overlaps", () => {
    it("contains the network, broadcast and everything between, nothing outside", () => {
        const c = cidr("172.18.0.0/16");
        expect(contains(c, ip("172.18.0.0"))).toBe(true);
        expect(contains(c, ip("172.18.128.7"))).toBe(true);
        expect(contains(c, ip("172.18.255.255"))).toBe(true);
        expect(contains(c, ip("172.17.255.255"))).toBe(false);
        expect(contains(c, ip("172.19.0.0"))).toBe(false);
    });

    it("uses the range, not the written address", () => {
        expect(contains(cidr("172.18.0.1/16"), ip("172.18.0.0"))).toBe(true);
    });

    it("handles /0 and /32", () => {
        expect(contains(cidr("0.0.0.0/0"), 0xffffffff)).toBe(true);
        expect(contains(cidr("10.0.0.1/32"), ip("10.0.0.1"))).toBe(true);
        expect(contains(cidr("10.0.0.1/32"), ip("10.0.0.2"))).toBe(false);
    });

    it.each([
        ["172.16.0.0/12", "172.18.0.0/16", true],
        ["172.18.0.0/16", "172.19.0.0/16", false],
        ["10.0.0.0/24", "10.0.0.255/32", true],
        ["10.0.0.0/24", "10.0.1.0/24", false],
        ["0.0.0.0/0", "255.255.255.255/32", true],
        ["192.168.1.0/25", "192.168.1.128/25", false],
    ])("overlaps(%s, %s) = %p", (a, b, expected) => {
        expect(overlaps(cidr(a), cidr(b))).toBe(expected);
        expect(overlaps(cidr(b), cidr(a))).toBe(expected);
    });
});

describe("specialRange", () => {
    it.each([
        ["127.0.0.1", "loopback (127.0.0.0/8)"],
        ["169.254.0.1", "link-local (169.254.0.0/16)"],
        ["224.0.0.251", "multicast (224.0.0.0/4)"],
        ["240.0.0.1", "reserved (240.0.0.0/4)"],
        ["0.1.2.3", "this-network (0.0.0.0/8)"],
        ["255.255.255.255", "broadcast (255.255.255.255)"],
    ])("names %s", (text, name) => {
        expect(specialRange(ip(text))).toBe(name);
    });

    it("returns undefined for ordinary addresses and ranges", () => {
        expect(specialRange(ip("10.0.0.1"))).toBeUndefined();
        expect(specialRange(ip("126.255.255.255"))).toBeUndefined();
        expect(specialRange(ip("128.0.0.0"))).toBeUndefined();
        expect(specialRange(ip("223.255.255.255"))).toBeUndefined();
        expect(specialRange(cidr("172.16.0.0/12"))).toBeUndefined();
    });

    it("prefers the most specific containing range, else the first it overlaps", () => {
        expect(specialRange(cidr("240.0.0.0/4"))).toBe("reserved (240.0.0.0/4)");
        expect(specialRange(cidr("255.255.255.255/32"))).toBe("broadcast (255.255.255.255)");
        expect(specialRange(cidr("128.0.0.0/1"))).toBe("link-local (169.254.0.0/16)");
        expect(specialRange(cidr("0.0.0.0/0"))).toBe("this-network (0.0.0.0/8)");
    });
});

describe("allocateSubnets", () => {
    it("takes the first free subnets in address order", () => {
        expect(allocateSubnets("172.16.0.0/12", 16, 3, ["172.17.0.0/16", "172.18.5.0/24", "172.20.0.1"])).toEqual({
            ok: true,
            value: ["172.16.0.0/16", "172.19.0.0/16", "172.21.0.0/16"],
        });
    });

    it("treats a taken CIDR with host bits as its whole range", () => {
        expect(valueOf(allocateSubnets("192.168.0.0/16", 24, 2, ["192.168.0.1/23"]))).toEqual([
            "192.168.2.0/24",
            "192.168.3.0/24",
        ]);
    });

    it("skips past a taken range larger than the subnet size", () => {
        expect(valueOf(allocateSubnets("10.0.0.0/8", 24, 1, ["10.0.0.0/9"]))).toEqual(["10.128.0.0/24"]);
    });

    it("returns nothing for count 0 and the whole pool when prefix equals it", () => {
        expect(valueOf(allocateSubnets("10.0.0.0/8", 24, 0, []))).toEqual([]);
        expect(valueOf(allocateSubnets("10.0.0.0/8", 8, 1, []))).toEqual(["10.0.0.0/8"]);
    });

    it("is deterministic regardless of taken order", () => {
        const a = allocateSubnets("172.16.0.0/12", 20, 5, ["172.16.16.0/20", "172.16.64.0/18"]);
        const b = allocateSubnets("172.16.0.0/12", 20, 5, ["172.16.64.0/18", "172.16.16.0/20"]);
        expect(a).toEqual(b);
    });

    it("says when the pool runs out", () => {
        expect(problemOf(allocateSubnets("172.18.0.0/24", 26, 4, ["172.18.0.64/26"]))).toBe(
            "pool 172.18.0.0/24 has room for only 3 free /26 subnet(s) outside taken, but 4 are needed; " +
                "use a larger pool or a longer prefix",
        );
        expect(problemOf(allocateSubnets("172.18.0.0/16", 24, 300, []))).toContain("holds (256 /24 subnets)");
    });

    it("prefixes pool, prefix, count and taken problems with what they are about", () => {
        expect(problemOf(allocateSubnets("172.18.0.1/16", 24, 1, []))).toBe(
            `pool "172.18.0.1/16" has host bits set; use 172.18.0.0/16`,
        );
        expect(problemOf(allocateSubnets("127.0.0.0/8", 24, 1, []))).toContain("pool ");
        expect(problemOf(allocateSubnets("172.18.0.0/16", 8, 1, []))).toBe(
            "prefix 8 does not fit pool 172.18.0.0/16; use a prefix from 16 to 30",
        );
        expect(problemOf(allocateSubnets("172.18.0.0/16", 31, 1, []))).toContain("from 16 to 30");
        expect(problemOf(allocateSubnets("172.18.0.0/16", 24.5, 1, []))).toContain("prefix 24.5");
        expect(problemOf(allocateSubnets("172.18.0.0/16", 24, -1, []))).toContain("count -1");
        expect(problemOf(allocateSubnets("172.18.0.0/16", 24, 1.5, []))).toContain("count 1.5");
        expect(problemOf(allocateSubnets("172.18.0.0/16", 24, 1, ["10.0.0.0/8", "bad"]))).toBe(
            `taken[1] "bad" is not an IPv4 address (only the digits 0-9 and dots are allowed); write it like 172.18.0.1`,
        );
        expect(problemOf(allocateSubnets("172.18.0.0/16", 24, 1, ["fd00::/8"]))).toContain("taken[0]");
    });
});
