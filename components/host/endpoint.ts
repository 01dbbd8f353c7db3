// What a host's arguments say about where it is, worked out with nothing else: the lowest layer of
// host/, imported by host.ts (the resources) and observe.ts (the look) alike.
import * as os from "os";
import type { HostArgs } from "./host";

/** The Docker endpoint URL of a host: `ssh://root@192.168.100.200:22` or a unix socket. */
export function hostEndpoint(host: HostArgs): string {
    if (host.ssh) {
        return `ssh://${host.ssh.user ?? "root"}@${host.ssh.address}:${host.ssh.port ?? 22}`;
    }
    return host.local?.dockerHost ?? "unix:///var/run/docker.sock";
}

/** `~/x` → `<home>/x` (a key or known_hosts path as people write it); other paths as they are. */
export function expandHome(p: string): string {
    return p === "~" || p.startsWith("~/") ? `${os.homedir()}${p.slice(1)}` : p;
}
