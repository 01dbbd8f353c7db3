// Arguments for firewall.sh: rules in a chain dockernet owns, jumped to from DOCKER-USER
// (filter) and nat POSTROUTING, and, for accept rules where Docker is 28 or later, from raw
// PREROUTING (its mirror). Docker never flushes DOCKER-USER, unlike its own chains.
import * as crypto from "crypto";

/**
 * A stable chain name for one owner on one host: `DN-<kind>-<10 hex>` (iptables allows 28
 * characters). The hash keeps names short and free of user text.
 */
export function chainName(kind: string, owner: string): string {
    const digest = crypto.createHash("sha256").update(owner).digest("hex").slice(0, 10).toUpperCase();
    return `DN-${kind}-${digest}`;
}

/** `accept,<in-if>,<out-if>,<src>,<dst>` (filter, and its raw mirror on Docker 28+) — `-` means any. */
export function acceptRule(inIf: string, outIf: string, src: string, dst: string): string {
    return `accept,${inIf},${outIf},${src},${dst}`;
}

/** `nat-return,<src>,<dst>`: skip Docker's MASQUERADE between two container subnets. */
export function natReturnRule(src: string, dst: string): string {
    return `nat-return,${src},${dst}`;
}

/** The argument list of one firewall.sh action. */
export function firewallArgs(action: "create" | "delete" | "check", chain: string, rules: string[]): string[] {
    return [action, "--chain", chain, ...rules];
}

/**
 * `input,<proto>,<port>,<src>`: traffic to the host itself (a chain jumped to from INPUT); port `-`
 * means any; `udp-ipsec` matches only what arrived inside IPsec.
 */
export function inputRule(proto: "tcp" | "udp" | "udp-ipsec" | "esp", port: string, src: string): string {
    return `input,${proto},${port},${src}`;
}
