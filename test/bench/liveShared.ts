// What both sides of the live benchmark share: the seed's connectivity check.
import { onHostRaw } from "../support/lab";

/**
 * ping + wget from each host's web container to the other's address, up to 5 tries a second
 * apart (like dockernet's probe.sh). `ips` maps h1/h2 to web_h1/web_h2's addresses. (`timeout`, not
 * wget's own -T: the lab image's busybox 1.35 wget segfaults with -T.)
 */
export async function verifyBoth(
    ips: { [host: string]: string },
    parallel: boolean,
    why: string[] = [],
): Promise<boolean> {
    const check = (from: "h1" | "h2") => {
        const to = ips[from === "h1" ? "h2" : "h1"];
        const cmd =
            `ok=1; for i in 1 2 3 4 5; do if docker exec web_${from} ping -c 1 -W 1 ${to} >/tmp/bench-ping 2>&1 && ` +
            `docker exec web_${from} timeout 3 wget -q -O - http://${to}/ >/tmp/bench-wget 2>&1; then ok=0; break; fi; sleep 1; done; ` +
            `[ $ok = 0 ] || { cat /tmp/bench-ping /tmp/bench-wget 2>/dev/null | tail -n 5; }; rm -f /tmp/bench-ping /tmp/bench-wget; exit $ok`;
        return onHostRaw(from, cmd).then((r) => {
            if (r.code !== 0) {
                why.push(`${from} -> ${to}: ${(r.stdout + r.stderr).trim().replace(/\n/g, " | ")}`);
            }
            return r.code === 0;
        });
    };
    if (parallel) {
        return (await Promise.all([check("h1"), check("h2")])).every(Boolean);
    }
    return (await check("h1")) && (await check("h2"));
}
