// What the swarm live tests ask of lab hosts: names across an overlay, a host's swarm state, its
// Docker networks.
import { inContainer, onHost } from "./lab";

/**
 * Ping and HTTP by name from each host's `web_<host>` to every other's, each ordered pair: what
 * failed. Retried every 2 s up to `wait` ms (the swarm's gossip may lag a Docker restart).
 */
export async function nameFailures(hosts: string[], wait = 0): Promise<string[]> {
    const t0 = Date.now();
    for (;;) {
        const failed: string[] = [];
        for (const a of hosts) {
            for (const b of hosts.filter((x) => x !== a)) {
                const ping = await inContainer(a, `web_${a}`, `ping -c 1 -W 3 web_${b}`);
                const http = await inContainer(a, `web_${a}`, `timeout 5 wget -q -O - http://web_${b}/`);
                if (ping.code !== 0) {
                    failed.push(`${a} -> ${b} ping: ${ping.stdout.trim().split("\n")[0]} ${ping.stderr.trim()}`);
                }
                if (http.code !== 0 || http.stdout.trim() !== `hello from ${b}`) {
                    failed.push(`${a} -> ${b} http: ${http.stdout.trim()} ${http.stderr.trim()}`);
                }
            }
        }
        if (failed.length === 0 || Date.now() - t0 > wait) {
            return failed;
        }
        await new Promise((r) => setTimeout(r, 2000));
    }
}

/** `docker info`'s LocalNodeState: inactive, active, pending, ... */
export const swarmState = async (h: string): Promise<string> =>
    (await onHost(h, "docker info --format '{{.Swarm.LocalNodeState}}'")).trim();

/** The host's Docker networks by name, sorted. */
export const networks = async (h: string): Promise<string> =>
    (await onHost(h, "docker network ls --format '{{.Name}}' | sort")).trim();

/**
 * After a host's Docker restart: waits up to 60 s for Docker to start `web_<host>` again (its
 * restart policy). Docker sometimes leaves a container on an attachable overlay exited after a
 * daemon restart (moby/moby#32607, open: the start races the swarm's network attachment). Then this
 * says so and starts it, as an operator's `pulumi up --refresh` would (the provider reads the
 * stopped container, must_run becomes false, and the update starts it; the engine does not model
 * refresh). Returns whether Docker restarted it by itself.
 */
export async function restartedByDocker(host: string): Promise<boolean> {
    const running = async () =>
        (await onHost(host, `docker inspect -f '{{.State.Running}}' web_${host}`)).trim() === "true";
    const t0 = Date.now();
    while (Date.now() - t0 < 60000) {
        if (await running()) {
            return true;
        }
        await new Promise((r) => setTimeout(r, 2000));
    }
    const why = (await onHost(host, `docker inspect -f '{{.State.Status}} {{.State.Error}}' web_${host}`)).trim();
    console.log(
        `DOCKER LEFT web_${host} EXITED after its daemon restart (${why}; moby/moby#32607); started it as pulumi up --refresh would`,
    );
    await onHost(host, `docker start web_${host}`);
    expect(await running()).toBe(true);
    return false;
}
