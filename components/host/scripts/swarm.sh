#!/bin/sh
# dockernet swarm.sh - a host's membership of a Docker Swarm that dockernet made.
#
# Usage:
#   sh swarm.sh create|delete|check --role manager|worker|peer [--advertise ADDR]
#       [--join ADDR[,ADDR...]] [--token TOKEN] [--encrypted yes|no] [--gwbridge-subnet CIDR] [--timeout SECONDS]
#       [--state-dir DIR] [--lock FILE] [--lock-wait SECONDS]
#   Options also accept the --opt=VALUE form.
#
#   --role manager  create: `docker swarm init --advertise-addr ADDR --listen-addr ADDR:2377`;
#                   with --join, this host joins as one more manager instead (TOKEN is then
#                   the manager join token), and delete demotes it (`docker node demote`,
#                   waiting until it no longer manages) before it leaves, so the swarm's
#                   managers keep their quorum
#   --role worker   create: `docker swarm join --token TOKEN --advertise-addr ADDR
#                   --listen-addr ADDR:2377 MANAGER:2377`
#   --join LIST     the managers to join through, MANAGER[:2377][,MANAGER[:2377]...]: each is
#                   tried in turn until one answers, so a join works while a manager is down
#   --role peer     on the manager, for the worker whose address is ADDR: create does
#                   nothing; delete waits (up to --timeout) until that node is down, then
#                   `docker node rm`s it, so a host that left is not listed for ever
#   --encrypted yes    the swarm carries an encrypted overlay: create first proves this
#                   host's kernel can do what Docker needs for it (an ESP state with
#                   rfc4106(gcm(aes)), tried in a private network namespace, `unshare -n`),
#                   and refuses, changing nothing, when it cannot: Docker would create the
#                   network anyway and drop its traffic without a word
#   --gwbridge-subnet CIDR  the subnet of the docker_gwbridge network the init or join makes (it
#                   carries containers' traffic off the overlay, NATed), instead of the /16 Docker
#                   would pick from its default pools: create makes docker_gwbridge first with
#                   that subnet (the options Docker gives it: bridge name docker_gwbridge, no icc,
#                   masquerade) and removes it again when the init or join fails; one there
#                   already with another subnet is an error (the subnet is fixed while the host is
#                   in the swarm: remove the host from the swarm, then add it back)
#   --timeout SECONDS  bound of each docker swarm call and of the wait (default 60)
#   --state-dir DIR default /var/lib/dockernet;  --lock FILE default /run/lock/dockernet.lock
#
# Ownership.  create records the membership it made in <state-dir>/swarm.json (role,
#   node id, the manager it joined, and whether Docker's docker_gwbridge network was made
#   by the join).  A host that is already in a swarm dockernet did not make there is
#   refused (exit 3, nothing changed): dockernet never takes a swarm over.  create with
#   the record matching the host's node: `unchanged`.
# delete (manager, worker): only with the record, and only while the host is still that
#   node: `docker swarm leave` (a manager that joined is demoted first; the manager that made
#   the swarm leaves with `--force`, last), then docker_gwbridge is removed
#   when the join made it and nothing uses it, so the host is as before (routes, iptables).
#   Docker's own FORWARD jump to DOCKER-USER can end up twice while the host is in the swarm:
#   each network Docker creates (ingress, docker_gwbridge, the overlay on a worker) ensures the
#   jump by a check, a delete and an insert with no lock between them (libnetwork's
#   arrangeUserFilterRule and IPTable.EnsureJumpRule, Docker 20.10), so two at once can insert it
#   twice. create records how many there were (userJumps); delete removes copies beyond that,
#   never the last one.
# check: ok iff the host is the recorded node, active in the swarm, managing iff its role is manager,
#   and docker_gwbridge has the declared --gwbridge-subnet (peer: always ok).
# A membership survives reboots and Docker restarts by itself (Docker keeps it).
set -eu
DN_SCRIPT=swarm.sh
umask 022

# shellcheck source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"

USAGE='usage: swarm.sh create|delete|check --role manager|worker|peer [--advertise ADDR] [--join ADDR[,ADDR...]] [--token TOKEN] [--encrypted yes|no] [--gwbridge-subnet CIDR] [--timeout SECONDS] [--state-dir DIR] [--lock FILE] [--lock-wait SECONDS]'

ROLE=
ADVERTISE=
JOIN=
TOKEN=
TIMEOUT=60
ENCRYPTED=no
GWSUB=

# ---------------------------------------------------------------- arguments
dn_take_action "$@"
shift
while [ $# -gt 0 ]; do
	case $1 in
	--*=* | --role | --advertise | --join | --token | --encrypted | --gwbridge-subnet | --timeout | --state-dir | --lock | --lock-wait)
		dn_option_value "$@"
		shift "$DN_SHIFT"
		;;
	*) dn_bad argument "$1" "unexpected; $USAGE" ;;
	esac
	case $opt in
	--role)
		case $val in manager | worker | peer) ROLE=$val ;; *) dn_bad --role "$val" "expected manager, worker or peer" ;; esac
		;;
	--advertise) dn_is_ipv4 "$val" || dn_bad --advertise "$val" "expected this host's IPv4 address, like 192.168.100.200"; ADVERTISE=$val ;;
	--join)
		JOIN=
		for j in $(printf '%s' "$val" | tr ',' ' '); do
			dn_is_ipv4 "${j%:2377}" || dn_bad --join "$val" "expected the managers' IPv4 addresses, like 192.168.100.200:2377,192.168.100.201:2377"
			JOIN="$JOIN${JOIN:+ }${j%:2377}"
		done
		[ -n "$JOIN" ] || dn_bad --join "$val" "expected the managers' IPv4 addresses, like 192.168.100.200:2377"
		;;
	--token)
		case $val in SWMTKN-1-*) ;; *) dn_bad --token "(hidden)" "expected a swarm join token (SWMTKN-1-...)" ;; esac
		case $val in *[!A-Za-z0-9-]*) dn_bad --token "(hidden)" "a join token has only letters, digits and -" ;; esac
		TOKEN=$val
		;;
	--encrypted)
		case $val in yes | no) ENCRYPTED=$val ;; *) dn_bad --encrypted "$val" "expected yes or no" ;; esac
		;;
	--gwbridge-subnet) dn_check_cidr --gwbridge-subnet "$val" net && GWSUB=$val ;;
	--timeout) dn_check_seconds --timeout "$val" && TIMEOUT=$val ;;
	*) dn_common_option "$opt" "$val" || dn_bad option "$opt" "unknown option; $USAGE" ;;
	esac
done
[ -n "$ROLE" ] || dn_usage_error "missing --role; $USAGE"
case $ROLE in
manager | peer)
	[ -n "$ADVERTISE" ] || dn_usage_error "--role $ROLE needs --advertise ADDR; $USAGE"
	[ "$ROLE" = manager ] || [ -z "$JOIN" ] || dn_usage_error "--role peer takes no --join; $USAGE"
	[ "$ACTION" != create ] || [ -z "$JOIN" ] || [ -n "$TOKEN" ] || dn_usage_error "--role manager --join create needs --token; $USAGE"
	;;
worker)
	if [ -z "$ADVERTISE" ] || [ -z "$JOIN" ]; then dn_usage_error "--role worker needs --advertise ADDR and --join ADDR; $USAGE"; fi
	[ "$ACTION" != create ] || [ -n "$TOKEN" ] || dn_usage_error "--role worker create needs --token; $USAGE"
	;;
esac
for tool in docker jq timeout; do
	command -v "$tool" >/dev/null 2>&1 || dn_die 3 "$tool is required but was not found"
done

REC=$DN_STATE_DIR/swarm.json

# swarm_state: "<LocalNodeState> <NodeID> <ControlAvailable>" of this host's daemon (empty when
# Docker does not answer; callers go through state_words).
swarm_state() {
	timeout 20 docker info --format '{{.Swarm.LocalNodeState}} {{.Swarm.NodeID}} {{.Swarm.ControlAvailable}}' 9>&- 2>"$DN_TMP/info.err" || true
}

# state_words: sets STATE, NODE_ID and CONTROL from swarm_state, or dies naming why Docker did not say.
state_words() {
	sw=$(swarm_state)
	STATE=$(printf '%s' "$sw" | cut -d ' ' -f 1)
	NODE_ID=$(printf '%s' "$sw" | cut -d ' ' -f 2)
	CONTROL=$(printf '%s' "$sw" | cut -d ' ' -f 3)
	[ -n "$STATE" ] || dn_die 3 "cannot ask Docker for its swarm state: $(head -c 300 "$DN_TMP/info.err")"
}

# bounded DESCRIPTION CMD...: run a docker call bounded by --timeout; its stderr goes to $DN_TMP/err.
bounded() {
	b_what=$1
	shift
	if timeout "$TIMEOUT" "$@" 9>&- >"$DN_TMP/out" 2>"$DN_TMP/err"; then
		return 0
	else
		b_rc=$?
	fi
	if [ "$b_rc" = 124 ]; then
		printf '%s\n' "no answer within $TIMEOUT s" >>"$DN_TMP/err"
	fi
	B_ERR="$b_what failed: $(tr '\n' ' ' <"$DN_TMP/err" | head -c 400)"
	return 1
}

gwbridge_exists() { docker network inspect docker_gwbridge >/dev/null 2>&1 9>&-; }
# gwbridge_subnet: docker_gwbridge's subnet(s), space-separated.
gwbridge_subnet() { docker network inspect docker_gwbridge --format '{{range .IPAM.Config}}{{.Subnet}} {{end}}' 9>&- 2>/dev/null | sed 's/ *$//'; }
# gwbridge_differs: the declared --gwbridge-subnet (if any) is not docker_gwbridge's: says why.
gwbridge_differs() {
	[ -n "$GWSUB" ] && gwbridge_exists || return 1
	have=$(gwbridge_subnet)
	[ "$have" != "$GWSUB" ] || return 1
	echo "docker_gwbridge has subnet ${have:-(none)}, declared $GWSUB"
}

write_record() {
	mkdir -p -- "$DN_STATE_DIR" || return 1
	jq -n --arg role "$ROLE" --arg node "$1" --arg join "$(printf '%s' "$JOIN" | tr ' ' ',')" --arg adv "$ADVERTISE" --argjson gw "$2" --arg uj "$3" \
		'{version: 1, role: $role, nodeId: $node, advertise: $adv, joined: $join, gwbridgeMade: $gw, userJumps: (if $uj == "" then null else ($uj | tonumber) end)}' >"$DN_TMP/rec" &&
		dn_write_atomic "$DN_TMP/rec" "$REC" 0600
}

# user_jumps: how many times FORWARD jumps to DOCKER-USER as Docker writes it (`-A FORWARD -j
# DOCKER-USER`); nothing when there is no iptables, and exit 1 when it cannot be read.
user_jumps() {
	command -v iptables >/dev/null 2>&1 || return 0
	uj_rules=$(iptables -w -S FORWARD 9>&- 2>"$DN_TMP/ipt.err") || return 1
	printf '%s\n' "$uj_rules" | grep -cxF -e '-A FORWARD -j DOCKER-USER' || true
}

# tidy_user_jumps: after leaving, removes the copies of Docker's FORWARD jump to DOCKER-USER that
# Docker's racing network creations added while the host was in the swarm (see Ownership): down to
# as many as create saw, and never below one.
tidy_user_jumps() {
	tj_want=$(jq -r '.userJumps // empty' "$REC" 2>/dev/null) || tj_want=
	case $tj_want in '' | *[!0-9]*) return 0 ;; esac
	[ "$tj_want" -ge 1 ] || tj_want=1
	if ! tj_have=$(user_jumps); then
		dn_warn "could not read FORWARD to look for a second copy of Docker's jump to DOCKER-USER: $(tr '\n' ' ' <"$DN_TMP/ipt.err")"
		return 0
	fi
	[ -n "$tj_have" ] || return 0
	while [ "$tj_have" -gt "$tj_want" ]; do
		if ! iptables -w -D FORWARD -j DOCKER-USER 9>&- 2>"$DN_TMP/ipt.err"; then
			dn_warn "could not remove a second copy of Docker's FORWARD jump to DOCKER-USER: $(tr '\n' ' ' <"$DN_TMP/ipt.err")"
			return 0
		fi
		DN_CHANGED=1
		tj_have=$((tj_have - 1))
	done
}

do_check() {
	if [ "$ROLE" = peer ]; then
		echo ok
		return 0
	fi
	if [ ! -f "$REC" ]; then
		echo "differs: no record of a dockernet swarm membership ($REC)"
		return 1
	fi
	state_words
	want=$(jq -r '.nodeId' "$REC")
	if [ "$STATE" != active ] || [ "$NODE_ID" != "$want" ]; then
		echo "differs: the host is $STATE in the swarm as node ${NODE_ID:-(none)}; dockernet made node $want"
		return 1
	fi
	if why=$(control_differs); then
		echo "differs: $why"
		return 1
	fi
	if why=$(gwbridge_differs); then
		echo "differs: $why"
		return 1
	fi
	echo ok
}

# control_differs: the node no longer has the role dockernet gave it (demoted or promoted by hand,
# or a removal stopped half way): says how.
control_differs() {
	if [ "$ROLE" = manager ] && [ "$CONTROL" != true ]; then
		echo "node $NODE_ID no longer manages the swarm (demoted?); dockernet made it a manager"
	elif [ "$ROLE" = worker ] && [ "$CONTROL" = true ]; then
		echo "node $NODE_ID manages the swarm (promoted?); dockernet made it a worker"
	else
		return 1
	fi
}

# can_encrypt: can this kernel hold the ESP state Docker's encrypted overlay makes? Tried where
# it touches nothing: a network namespace of its own that ends with the command.
can_encrypt() {
	command -v unshare >/dev/null 2>&1 || dn_die 3 "unshare (util-linux) is required to check the kernel for encrypted overlays"
	key=0x$(printf '%040d' 0)
	if unshare -n ip xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x100 reqid 1 mode transport \
		aead 'rfc4106(gcm(aes))' "$key" 64 9>&- >"$DN_TMP/xfrm" 2>&1; then
		return 0
	fi
	dn_die 3 "this host's kernel ($(uname -r)) cannot carry an encrypted overlay: adding an ESP state with rfc4106(gcm(aes)) fails ($(tr '\n' ' ' <"$DN_TMP/xfrm" | head -c 200)); Docker would create the network and drop its traffic silently. Use encrypted: false, or a kernel with ESP (CONFIG_INET_ESP) and GCM (CONFIG_CRYPTO_GCM)"
}

# drop_made_gwbridge: a failed init or join takes away the docker_gwbridge this create made.
drop_made_gwbridge() {
	[ -n "$made_gw" ] || return 0
	timeout "$TIMEOUT" docker network rm docker_gwbridge >/dev/null 2>&1 9>&- || dn_warn "could not remove the docker_gwbridge network this create made"
}

do_create() {
	[ "$ROLE" != peer ] || return 0
	[ "$ENCRYPTED" = no ] || can_encrypt
	state_words
	state=$STATE node=$NODE_ID
	if [ "$state" != inactive ]; then
		if [ -f "$REC" ] && [ "$(jq -r '.nodeId' "$REC")" = "$node" ] && [ "$(jq -r '.role' "$REC")" = "$ROLE" ] && [ "$state" = active ]; then
			if [ "$ROLE" = manager ] && [ -z "$(jq -r '.joined' "$REC")" ] && [ -n "$JOIN" ]; then
				dn_die 3 "this host made the swarm (its first manager); it cannot join it in place as another manager: keep it first among the managers, or remove the whole swarm and declare it anew"
			fi
			if [ "$ROLE" = manager ] && [ -n "$(jq -r '.joined' "$REC")" ] && [ -z "$JOIN" ]; then
				dn_die 3 "this host joined the swarm as a manager; it cannot become the manager that made it in place: keep the first manager first, or remove the whole swarm and declare it anew"
			fi
			if why=$(control_differs); then
				dn_die 3 "$why; remove the host from the swarm, then add it back (or give it its role again by hand)"
			fi
			if why=$(gwbridge_differs); then
				dn_die 3 "$why; its subnet is fixed while the host is in the swarm: remove the host from the swarm, then add it back"
			fi
			return 0
		fi
		if [ -f "$REC" ] && [ "$(jq -r '.nodeId' "$REC")" = "$node" ]; then
			dn_die 3 "this host is node $node of dockernet's swarm as a $(jq -r '.role' "$REC") ($state); it cannot become a $ROLE in place: remove the host from the swarm, then add it back"
		fi
		dn_die 3 "this host is already in a swarm (state $state, node ${node:-?}) that dockernet did not make here; dockernet does not take a swarm over: leave it first (docker swarm leave), or remove this host from the declaration"
	fi
	if gwbridge_exists; then gw=false; else gw=true; fi
	made_gw=
	uj=$(user_jumps) || uj=
	if [ -n "$GWSUB" ]; then
		if [ "$gw" = false ]; then
			if why=$(gwbridge_differs); then
				dn_die 3 "$why; it is not in use by a swarm here: remove it (docker network rm docker_gwbridge) or declare its subnet"
			fi
		else
			bounded "docker network create docker_gwbridge --subnet $GWSUB" docker network create --subnet "$GWSUB" \
				--opt com.docker.network.bridge.name=docker_gwbridge --opt com.docker.network.bridge.enable_icc=false \
				--opt com.docker.network.bridge.enable_ip_masquerade=true docker_gwbridge || dn_die 3 "$B_ERR"
			made_gw=1
		fi
	fi
	if [ -z "$JOIN" ]; then
		if ! bounded "docker swarm init --advertise-addr $ADVERTISE" docker swarm init --advertise-addr "$ADVERTISE" --listen-addr "$ADVERTISE:2377"; then
			drop_made_gwbridge
			dn_die 3 "$B_ERR"
		fi
	else
		errs=
		for m in $JOIN; do
			if bounded "joining the swarm through the manager $m:2377" docker swarm join --token "$TOKEN" --advertise-addr "$ADVERTISE" --listen-addr "$ADVERTISE:2377" "$m:2377"; then
				errs=
				break
			fi
			errs="$errs${errs:+; }$B_ERR"
			# A join cut short can leave the node half in (pending): take it out again.
			if [ "$(swarm_state | cut -d ' ' -f 1)" != inactive ]; then
				timeout "$TIMEOUT" docker swarm leave --force >/dev/null 2>&1 9>&- || true
			fi
		done
		if [ -n "$errs" ]; then
			drop_made_gwbridge
			dn_die 3 "$errs; this host was left out of the swarm"
		fi
	fi
	DN_CHANGED=1
	NODE_ID=$(swarm_state | cut -d ' ' -f 2)
	if [ -z "$NODE_ID" ] || ! write_record "$NODE_ID" "$gw" "$uj"; then
		# Undo the init or join: a manager that joined steps down first, so the others keep their quorum.
		if [ "$ROLE" = manager ] && [ -n "$JOIN" ] && [ -n "$NODE_ID" ]; then
			timeout "$TIMEOUT" docker node demote "$NODE_ID" >/dev/null 2>&1 9>&- || true
		fi
		timeout "$TIMEOUT" docker swarm leave --force >/dev/null 2>&1 9>&- || true
		drop_made_gwbridge
		if [ -z "$NODE_ID" ]; then
			dn_die 3 "Docker did not tell this host's node id after the ${JOIN:+join}${JOIN:-init} ($(head -c 300 "$DN_TMP/info.err")); left the swarm again"
		fi
		dn_die 3 "cannot write $REC; left the swarm again"
	fi
	dn_say "$ROLE of the swarm as node $NODE_ID (advertising $ADVERTISE)"
}

# demote_self: a manager that joined steps down to a worker first, so it leaves the other managers
# their quorum (a manager leaving with --force would count as a lost manager for ever).
demote_self() {
	[ "$CONTROL" = true ] || return 0
	bounded "docker node demote $NODE_ID" docker node demote "$NODE_ID" ||
		dn_die 3 "$B_ERR; this host is still a manager of the swarm (do the other managers have a quorum?)"
	DN_CHANGED=1
	end=$(($(date +%s) + TIMEOUT))
	while :; do
		state_words
		[ "$CONTROL" = true ] || break
		[ "$(date +%s)" -lt "$end" ] || dn_die 3 "node $NODE_ID still manages $TIMEOUT s after its demotion; try again"
		sleep 1
	done
}

# leave_swarm [--force]: `docker swarm leave`, asked again (three times in all) while Docker answers
# "context deadline exceeded". Docker gives its swarm node 15 s to stop (daemon/cluster noderunner.go,
# Stop) and, when they run out, answers so with the host still in the swarm (swarm.go, Leave returns
# before it clears the state); asked again, it waits for the same node once more.
leave_swarm() {
	ls_try=1
	while :; do
		if bounded "docker swarm leave${1:+ $1}" docker swarm leave "$@"; then
			return 0
		fi
		case $B_ERR in *"context deadline exceeded"*) ;; *) return 1 ;; esac
		[ "$ls_try" -lt 3 ] || return 1
		state_words
		[ "$STATE" != inactive ] || return 0
		ls_try=$((ls_try + 1))
		sleep 2
	done
}

forget_peer() {
	state_words
	[ "$STATE" = active ] && [ "$CONTROL" = true ] || return 0 # not a manager (any more): nothing to tidy
	# The worker's node: the one whose address is ADVERTISE.
	node=
	for id in $(timeout 20 docker node ls -q 9>&- 2>/dev/null); do
		case $id in *[!A-Za-z0-9]*) continue ;; esac
		if [ "$(timeout 20 docker node inspect "$id" --format '{{.Status.Addr}} {{.Spec.Role}}' 9>&- 2>/dev/null)" = "$ADVERTISE worker" ]; then
			node=$id
			break
		fi
	done
	[ -n "$node" ] || return 0
	end=$(($(date +%s) + TIMEOUT))
	while :; do
		st=$(timeout 20 docker node inspect "$node" --format '{{.Status.State}}' 9>&- 2>/dev/null) || st=
		[ "$st" != down ] || break
		[ "$(date +%s)" -lt "$end" ] ||
			dn_die 3 "the worker at $ADVERTISE (node $node) is still ${st:-unknown} in the swarm after $TIMEOUT s; it has not left (is its host reachable?)"
		sleep 1
	done
	bounded "docker node rm $node" docker node rm "$node" || dn_die 3 "$B_ERR"
	DN_CHANGED=1
}

do_delete() {
	if [ "$ROLE" = peer ]; then
		forget_peer
		return 0
	fi
	[ -f "$REC" ] || return 0
	state_words
	if [ "$STATE" != inactive ] && [ "$NODE_ID" = "$(jq -r '.nodeId' "$REC")" ]; then
		if [ "$(jq -r '.role + "/" + .joined' "$REC")" = manager/ ]; then
			# The manager that made the swarm leaves last, when the others have gone: --force ends it.
			leave_swarm --force || dn_die 3 "$B_ERR"
		else
			demote_self
			leave_swarm || dn_die 3 "$B_ERR"
		fi
		DN_CHANGED=1
	elif [ "$STATE" != inactive ]; then
		dn_warn "this host is now node ${NODE_ID:-?} of another swarm; leaving that alone and forgetting dockernet's record"
	fi
	if jq -e '.gwbridgeMade == true' "$REC" >/dev/null 2>&1 && gwbridge_exists &&
		[ "$(docker network inspect docker_gwbridge --format '{{len .Containers}}' 9>&- 2>/dev/null)" = 0 ]; then
		bounded "docker network rm docker_gwbridge" docker network rm docker_gwbridge || dn_warn "$B_ERR"
	fi
	tidy_user_jumps
	rm -f -- "$REC"
	dn_tidy_state_dir
}

# ---------------------------------------------------------------- main
dn_tmp_init
dn_traps
dn_main
