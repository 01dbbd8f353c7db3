#!/bin/sh
# dockernet probe: can a container reach an address (and TCP port)?
#
#   probe.sh <container> <address> <port|-> <reachable|isolated> <attempts>
#
# Runs ping (and, with a port, a TCP connect) inside <container> with `docker exec`, up to
# <attempts> times one second apart, until the outcome equals the expectation. Prints one line
# "seen=<reachable|isolated> from=... to=..." on success; on a mismatch prints what was expected
# and what was seen to stderr and exits 1, so the deployment fails. Changes nothing on the host.
set -eu

die() { echo "dockernet probe: $*" >&2; exit 2; }

[ "$#" -eq 5 ] || die "usage: probe.sh <container> <address> <port|-> <reachable|isolated> <attempts>"
container=$1 address=$2 port=$3 expect=$4 attempts=$5

# Defence in depth: the TypeScript side validated these already.
case "$container" in ''|-*|*[!a-zA-Z0-9_.-]*) die "container '$container' is not a container name or id" ;; esac
case "$address" in ''|-*|*[!a-zA-Z0-9.-]*) die "address '$address' is not an IPv4 address or hostname" ;; esac
case "$port" in -) ;; ''|*[!0-9]*) die "port '$port' is not a number" ;; esac
case "$expect" in reachable|isolated) ;; *) die "expectation '$expect' is not reachable or isolated" ;; esac
case "$attempts" in ''|*[!0-9]*) die "attempts '$attempts' is not a number" ;; esac

# One try: reachable when ping answers and, with a port, a TCP connection opens.
try_once() {
    if ! docker exec "$container" ping -c 1 -W 2 "$address" >/dev/null 2>&1; then
        detail="no ping reply from $address"
        return 1
    fi
    if [ "$port" != "-" ]; then
        if ! docker exec "$container" nc -z -w 2 "$address" "$port" >/dev/null 2>&1; then
            detail="ping answers but TCP $address:$port does not accept"
            return 1
        fi
    fi
    detail="ping answers"
    [ "$port" = "-" ] || detail="ping and TCP $address:$port answer"
    return 0
}

docker inspect --format '{{.State.Running}}' "$container" 2>/dev/null | grep -qx true ||
    die "container '$container' is not running on this host"

to=$address
[ "$port" = "-" ] || to="$address:$port"
i=0
seen=isolated
detail=""
while [ "$i" -lt "$attempts" ]; do
    i=$((i + 1))
    if try_once; then seen=reachable; else seen=isolated; fi
    [ "$seen" = "$expect" ] && break
    [ "$i" -lt "$attempts" ] && sleep 1
done

if [ "$seen" != "$expect" ]; then
    echo "dockernet probe: from $container ($(hostname)) to $to: expected $expect, seen $seen after $i attempt(s) ($detail)" >&2
    exit 1
fi
echo "seen=$seen from=$container to=$to attempts=$i ($detail)"
