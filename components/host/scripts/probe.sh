#!/bin/sh
# dockernet probe.sh - can a container reach an address (and a TCP port)?
#
# Usage:
#   sh probe.sh <container> <address|name> <port|-> <reachable|isolated> <attempts>
#
# The probe runs in the container's network namespace but with the HOST's tools (nsenter), so
# it works whatever the image holds (nginx images have no ping): ping (or busybox ping) and a TCP
# connect through bash's /dev/tcp (or busybox nc). A name is first resolved the way the container
# resolves it: its own ping, else its hosts file, else Docker's DNS at 127.0.0.11.
# It tries up to <attempts> times, one second apart, until the outcome equals the expectation.
# Success: one line "seen=... from=... to=..." on stdout, exit 0. Mismatch: a line saying from,
# to, expected and seen on stderr, exit 1 (the deployment fails). Bad arguments: exit 2.
# It changes nothing on the host. Conventions as the other host scripts (lib/common.sh): POSIX sh,
# set -eu, the C locale, sbin on PATH, messages prefixed `dockernet probe.sh: `, exit 2 for bad
# arguments; it takes no lock and keeps no state, so it does not need the shared block.
set -eu
LC_ALL=C
export LC_ALL
case ":$PATH:" in *:/usr/sbin:*) ;; *) PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin ;; esac
export PATH

die() { echo "dockernet probe.sh: $*" >&2; exit 2; }

[ "$#" -eq 5 ] || die "usage: probe.sh <container> <address|name> <port|-> <reachable|isolated> <attempts>"
container=$1 target=$2 port=$3 expect=$4 attempts=$5

# Defence in depth: the TypeScript side validated these already.
case "$container" in ''|-*|*[!a-zA-Z0-9_.-]*) die "container '$container' is not a container name or id" ;; esac
case "$target" in ''|-*|*[!a-zA-Z0-9.-]*) die "address '$target' is not an IPv4 address or hostname" ;; esac
case "$port" in -) ;; ''|*[!0-9]*) die "port '$port' is not a number" ;; esac
case "$expect" in reachable|isolated) ;; *) die "expectation '$expect' is not reachable or isolated" ;; esac
case "$attempts" in ''|*[!0-9]*) die "attempts '$attempts' is not a number" ;; esac

pid=$(docker inspect --format '{{if .State.Running}}{{.State.Pid}}{{end}}' "$container" 2>/dev/null || true)
if [ -z "$pid" ] || [ "$pid" = 0 ]; then die "container '$container' is not running on $(hostname)"; fi
in_ns() { nsenter --target "$pid" --net -- "$@"; }

do_ping() {
	if command -v ping >/dev/null 2>&1; then in_ns ping "$@"; else in_ns busybox ping "$@"; fi
}

is_ipv4() {
	case "$1" in *[!0-9.]*|'') return 1 ;; esac
	[ "$(echo "$1" | tr -cd . | wc -c)" -eq 3 ]
}

# Resolve a name as the container would; prints the IPv4 address or nothing.
resolve() {
	out=$(docker exec "$container" ping -c 1 -W 1 "$1" 2>/dev/null | sed -n '1s/^PING [^ ]* (\([0-9.]*\)).*/\1/p') || true
	if [ -z "$out" ]; then
		hosts=$(docker inspect --format '{{.HostsPath}}' "$container" 2>/dev/null || true)
		[ -n "$hosts" ] && [ -r "$hosts" ] &&
			out=$(awk -v n="$1" '$1 ~ /^[0-9.]+$/ { for (i = 2; i <= NF; i++) if ($i == n) { print $1; exit } }' "$hosts")
	fi
	if [ -z "$out" ]; then
		out=$(in_ns busybox nslookup "$1" 127.0.0.11 2>/dev/null | awk '/^Address/ && $NF ~ /^[0-9.]+$/ && $NF != "127.0.0.11" { a = $NF } END { print a }') || true
	fi
	echo "$out"
}

tcp_open() {
	if command -v bash >/dev/null 2>&1; then
		# shellcheck disable=SC2016 # $0 and $1 are expanded by the inner bash, on purpose
		in_ns timeout 3 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2" 2>/dev/null
	else
		in_ns timeout 3 busybox nc -w 2 "$1" "$2" </dev/null >/dev/null 2>&1
	fi
}

# One try: reachable when ping answers and, with a port, a TCP connection opens.
try_once() {
	if ! do_ping -c 1 -W 2 "$address" >/dev/null 2>&1; then
		detail="no ping reply from $address"
		return 1
	fi
	if [ "$port" != "-" ]; then
		if ! tcp_open "$address" "$port"; then
			detail="ping answers but TCP $address:$port does not accept"
			return 1
		fi
		detail="ping and TCP $address:$port answer"
	else
		detail="ping answers"
	fi
	return 0
}

address=$target
if ! is_ipv4 "$target"; then
	address=$(resolve "$target")
	if [ -z "$address" ]; then
		if [ "$expect" = isolated ]; then
			echo "seen=isolated from=$container to=$target attempts=0 (the name does not resolve in the container)"
			exit 0
		fi
		echo "dockernet probe.sh: from $container ($(hostname)) to $target: expected $expect, seen unresolved (the container cannot resolve $target)" >&2
		exit 1
	fi
fi

to=$target
[ "$port" = "-" ] || to="$target:$port"
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
	echo "dockernet probe.sh: from $container ($(hostname)) to $to: expected $expect, seen $seen after $i attempt(s) ($detail)" >&2
	exit 1
fi
echo "seen=$seen from=$container to=$to attempts=$i ($detail)"
