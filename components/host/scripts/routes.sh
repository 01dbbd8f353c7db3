#!/bin/sh
# dockernet routes.sh - static routes to peer hosts' container subnets.
#
# Usage:
#   sh routes.sh create|delete|check [--tag NAME] [--proto N] [--state-dir DIR]
#       [--lock FILE] [--lock-wait SECONDS] [--init auto|systemd|none]
#       [--unit-dir DIR] [<dest-cidr>=<via-ip> ...]
#   Options also accept the --opt=VALUE form.  IPv4 only.
#
#   <dest-cidr>=<via-ip>  e.g. 172.19.0.0/16=10.0.0.12 (network address, /1../32)
#   --tag NAME   which dockernet resource these routes belong to (default
#                `default`); [A-Za-z0-9_.-], 1-64 chars, not starting with `.`
#   --proto N    routing protocol number marking our routes (default 187;
#                5-255).  NOTE: iproute2 names 187 `isis` in rt_protos; a host
#                running an IS-IS daemon should get another number.
#   --state-dir DIR  default /var/lib/dockernet
#   --lock FILE  default /run/lock/dockernet.lock (shared by all dockernet scripts)
#   --init auto|systemd|none  how the boot record comes back (lib/common.sh,
#                "boot records"); auto = systemd when /run/systemd/system exists
#   --unit-dir DIR  where the systemd unit goes (default /etc/systemd/system)
#   --adopt yes|no  take over a hand-made route (default no): see Adoption
#
# Ownership model.  A host may carry routes of several dockernet resources, so
# "ours" has two levels:
#   * a route is dockernet's when it is in the main table with `proto N`;
#   * it belongs to a tag when <state-dir>/routes.<tag> lists it ("dst via"
#     lines).  One destination belongs to at most one tag.
# create converges the tag's routes to exactly the given set and touches
#   nothing else: it adds missing routes (`ip route add DST via GW proto N`),
#   replaces the tag's route when its gateway differs, and deletes routes the
#   tag recorded earlier but that are no longer given (only if they still go
#   via the recorded gateway).  A proto-N route to a given destination that no
#   tag records is adopted.  It refuses, changing nothing, when a given
#   destination already has a route that is not dockernet's (other proto, e.g.
#   a local Docker network) or that another tag records.  If an `ip` call
#   fails midway, everything this run did is undone.
# delete removes the tag's recorded routes (plus any given pair whose route is
#   proto N via the given gateway and not recorded by another tag), then drops
#   the record.  A route whose gateway changed since is left (warning).
# Adoption (--adopt yes).  A route to a given destination that is not
#   dockernet's but goes via the given gateway (exactly one such route, e.g.
#   the seed's `route add -net DST gw VIA`) is taken over in place with
#   `ip route replace ... proto N` (same metric: no moment without a route),
#   and its original line is kept in <state-dir>/adopted-routes.<tag>.  A
#   route via another gateway is still refused.  Whenever dockernet lets go of
#   an adopted route (delete, or a create that no longer wants it), the
#   original is put back with `ip route replace` (its own proto again).
# check exits 0 iff each given route exists exactly once as dockernet's with
#   the given gateway and no other route to that destination exists, no route
#   the tag recorded earlier is left over, and the record lists exactly these.
set -eu
DN_SCRIPT=routes.sh
umask 022

# shellcheck source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"

USAGE='usage: routes.sh create|delete|check [--tag NAME] [--proto N] [--state-dir DIR] [--lock FILE] [--lock-wait SECONDS] [--init auto|systemd|none] [--unit-dir DIR] [--adopt yes|no] [<dest-cidr>=<via-ip> ...]'

TAG=default
PROTO=187
ADOPT=no

# ---------------------------------------------------------------- arguments
dn_take_action "$@"
shift
PAIRS=
while [ $# -gt 0 ]; do
	case $1 in
	--*=* | --tag | --proto | --adopt | --state-dir | --lock | --lock-wait | --init | --unit-dir)
		dn_option_value "$@"
		shift "$DN_SHIFT"
		;;
	-*) dn_bad option "$1" "unknown option; $USAGE" ;;
	*)
		pair=$1
		shift
		case $pair in
		*=*=* | =* | *=) dn_bad '<dest-cidr>=<via-ip> pair' "$pair" "expected one '=' between a destination CIDR and a gateway" ;;
		*=*) ;;
		*) dn_bad '<dest-cidr>=<via-ip> pair' "$pair" "expected <dest-cidr>=<via-ip>, like 172.19.0.0/16=10.0.0.12" ;;
		esac
		dn_check_cidr '<dest-cidr>' "${pair%%=*}" net
		dn_is_ipv4 "${pair#*=}" || dn_bad '<via-ip>' "${pair#*=}" "expected an IPv4 address like 10.0.0.12"
		PAIRS="$PAIRS${pair%%=*} ${pair#*=}
"
		continue
		;;
	esac
	case $opt in
	--tag)
		case $val in
		'' | .* | *[!A-Za-z0-9_.-]*) dn_bad --tag "$val" "use 1-64 of A-Z a-z 0-9 _ . - (not starting with .)" ;;
		esac
		[ "${#val}" -le 64 ] || dn_bad --tag "$val" "at most 64 characters"
		TAG=$val
		;;
	--proto)
		case $val in 0*) dn_bad --proto "$val" "expected a number from 5 to 255" ;; esac
		if ! dn_is_uint "$val" || [ "$val" -lt 5 ] || [ "$val" -gt 255 ]; then
			dn_bad --proto "$val" "expected a number from 5 to 255 (0-4 mean unspec/redirect/kernel/boot/static)"
		fi
		PROTO=$val
		;;
	--adopt)
		case $val in yes | no) ADOPT=$val ;; *) dn_bad --adopt "$val" "expected yes or no" ;; esac
		;;
	*) dn_common_option "$opt" "$val" || dn_bad option "$opt" "unknown option; $USAGE" ;;
	esac
done
dup=$(printf '%s' "$PAIRS" | awk '{ n[$1]++ } n[$1] == 2 { print $1; exit }')
[ -z "$dup" ] || dn_bad '<dest-cidr>' "$dup" "given more than once"

command -v ip >/dev/null 2>&1 || dn_die 3 "ip (iproute2) is required but was not found"
case $(ip -V 2>&1 || true) in
*iproute2*) ;;
*) dn_die 3 "the ip command is not iproute2's (busybox ip lacks the needed route filters); install iproute2" ;;
esac

STATE_FILE=$DN_STATE_DIR/routes.$TAG
ADOPT_FILE=$DN_STATE_DIR/adopted-routes.$TAG
DN_BOOT_NAME=routes.$TAG
DN_BOOT_UNORDERED=1

dn_traps
# A run cut short (a signal: the SSH session killed, a timeout) undoes the routes it changed, as a
# failed `ip` call does; rollback is a no-op once the journal is empty or when nothing ran.
undo_on_exit() {
	if [ "$1" -ne 0 ] && [ -n "$DN_TMP" ] && [ -s "$DN_TMP/journal" ]; then
		rollback || dn_warn "undoing this run's route changes failed - inspect the routes by hand"
	fi
}
trap 'dn_on_exit undo_on_exit' EXIT

# ---------------------------------------------------------------- helpers
# count_lines TEXT: number of non-empty lines.
count_lines() {
	printf '%s\n' "$1" | awk 'NF { n++ } END { print n + 0 }'
}
# via_of LINE: the gateway of a route line (empty if none).
via_of() {
	printf '%s\n' "$1" | sed -n 's/^.* via \([^ ]*\).*$/\1/p' | head -n 1
}
# lookup FILE DST: the via recorded for DST in a "dst via" list.
lookup() {
	awk -v d="$2" '$1 == d { print $2; exit }' "$1"
}
# routes_all DST / routes_ours DST: main-table routes to exactly DST.
routes_all() {
	ip -4 -o route show table main exact "$1" 2>"$DN_TMP/ip.err" ||
		dn_die 3 "ip route show failed: $(dn_show "$(cat "$DN_TMP/ip.err")")"
}
routes_ours() {
	ip -4 -o route show table main exact "$1" proto "$PROTO" 2>"$DN_TMP/ip.err" ||
		dn_die 3 "ip route show failed: $(dn_show "$(cat "$DN_TMP/ip.err")")"
}
# foreign_line DST: one route to DST that is not proto N (for messages).
foreign_line() {
	if ip -N -4 -o route show table main exact "$1" >"$DN_TMP/numeric" 2>/dev/null; then
		grep -v -e " proto $PROTO\$" -e " proto $PROTO " "$DN_TMP/numeric" | head -n 1
	else
		routes_all "$1" | head -n 1
	fi
}
# other_owner DST: the other tag whose record lists DST, if any.
other_owner() {
	for oo_f in "$DN_STATE_DIR"/routes.*; do
		[ -f "$oo_f" ] || continue
		[ "$oo_f" != "$STATE_FILE" ] || continue
		if awk -v d="$1" '$1 == d { f = 1 } END { exit !f }' "$oo_f"; then
			echo "${oo_f##*/routes.}"
			return 0
		fi
	done
}

# load_state: the tag's record into $DN_TMP/have; validate it.
load_state() {
	: >"$DN_TMP/have"
	[ -f "$STATE_FILE" ] || return 0
	sort -- "$STATE_FILE" >"$DN_TMP/have" || dn_die 3 "cannot read $STATE_FILE"
	while read -r ls_d ls_v ls_rest; do
		if [ -n "$ls_rest" ] || ! (dn_check_cidr x "$ls_d" net) 2>/dev/null || ! dn_is_ipv4 "$ls_v"; then
			dn_die 3 "the state record $STATE_FILE is damaged (line '$(dn_show "$ls_d $ls_v $ls_rest")'); inspect it and fix or remove it by hand"
		fi
	done <"$DN_TMP/have"
}

# ip_words OP LINE: `ip -4 route OP` with a kept route line as its words.
ip_words() {
	# shellcheck disable=SC2086 # a kept route line is words
	ip -4 route "$1" $2 2>"$DN_TMP/ip.err"
}

# The journal of what this run changed, newest last: "add|del|replace DST VIA".
# rollback undoes it newest first.
journal() { echo "$1 $2 $3" >>"$DN_TMP/journal"; }
rollback() {
	[ -s "$DN_TMP/journal" ] || return 0
	rb_ok=0
	awk '{ l[NR] = $0 } END { for (i = NR; i > 0; i--) print l[i] }' "$DN_TMP/journal" >"$DN_TMP/undo"
	while read -r rb_op rb_d rb_v; do
		case $rb_op in
		add) ip -4 route del "$rb_d" via "$rb_v" proto "$PROTO" table main 2>/dev/null || rb_ok=1 ;;
		del) ip -4 route add "$rb_d" via "$rb_v" proto "$PROTO" table main 2>/dev/null || rb_ok=1 ;;
		replace) ip -4 route replace "$rb_d" via "$rb_v" proto "$PROTO" table main 2>/dev/null || rb_ok=1 ;;
		adopt) ip_words replace "$rb_v" || rb_ok=1 ;;
		giveback) ip -4 route replace "$rb_d" via "$rb_v" proto "$PROTO" table main 2>/dev/null || rb_ok=1 ;;
		esac
	done <"$DN_TMP/undo"
	: >"$DN_TMP/journal"
	return "$rb_ok"
}
# route_op OP DST VIA [OLD_VIA]: run `ip route OP`, journal it; on failure undo
# the run and die.
route_op() {
	if ip -4 route "$1" "$2" via "$3" proto "$PROTO" table main 2>"$DN_TMP/ip.err"; then
		case $1 in
		add) journal add "$2" "$3" ;;
		del) journal del "$2" "$3" ;;
		replace) journal replace "$2" "$4" ;;
		esac
		DN_CHANGED=1
		return 0
	fi
	ro_err=$(dn_show "$(tr '\n' ' ' <"$DN_TMP/ip.err")")
	if rollback; then
		dn_die 3 "ip route $1 $2 via $3 proto $PROTO failed: $ro_err; undid this run's changes"
	fi
	dn_die 4 "ip route $1 $2 via $3 proto $PROTO failed: $ro_err; undoing this run's earlier changes ALSO failed - inspect the routes by hand"
}

# adopted_line DST: the original line kept for an adopted DST (empty if not adopted).
adopted_line() {
	[ -f "$ADOPT_FILE" ] || return 0
	awk -v d="$1" '$1 == d { $1 = ""; sub(/^ /, ""); print; exit }' "$ADOPT_FILE"
}
# takeover DST VIA: replace the one hand-made route to DST (via VIA) by ours, same metric; keep its line.
takeover() {
	to_line=$(foreign_line "$1" | sed -e 's/ linkdown//g' -e 's/ dead//g' -e 's/[[:space:]]*$//')
	to_metric=$(printf '%s\n' "$to_line" | sed -n 's/.* metric \([0-9]*\).*/\1/p')
	if ip -4 route replace "$1" via "$2" proto "$PROTO" table main ${to_metric:+metric "$to_metric"} 2>"$DN_TMP/ip.err"; then
		echo "adopt $1 $to_line" >>"$DN_TMP/journal"
		printf '%s %s\n' "$1" "$to_line" >>"$DN_TMP/adopted.new"
		DN_CHANGED=1
		return 0
	fi
	to_err=$(dn_show "$(tr '\n' ' ' <"$DN_TMP/ip.err")")
	if rollback; then dn_die 3 "taking over the route to $1 failed: $to_err; undid this run's changes"; fi
	dn_die 4 "taking over the route to $1 failed: $to_err; undoing this run's earlier changes ALSO failed - inspect the routes by hand"
}
# giveback DST VIA: put the adopted DST's original route back in place of ours.
giveback() {
	gb_line=$(adopted_line "$1")
	if ip_words replace "$gb_line"; then
		echo "giveback $1 $2" >>"$DN_TMP/journal"
		echo "$1" >>"$DN_TMP/given.back"
		DN_CHANGED=1
		return 0
	fi
	gb_err=$(dn_show "$(tr '\n' ' ' <"$DN_TMP/ip.err")")
	if rollback; then dn_die 3 "giving back the adopted route to $1 ($(dn_show "$gb_line")) failed: $gb_err; undid this run's changes"; fi
	dn_die 4 "giving back the adopted route to $1 failed: $gb_err; undoing this run's earlier changes ALSO failed - inspect the routes by hand"
}
# write_adopted: the kept lines: those kept before (minus the given back) plus this run's.
write_adopted() {
	: >"$DN_TMP/adopted.all"
	if [ -f "$ADOPT_FILE" ]; then
		touch "$DN_TMP/given.back"
		awk 'NR == FNR { g[$1] = 1; next } !($1 in g)' "$DN_TMP/given.back" "$ADOPT_FILE" >"$DN_TMP/adopted.all"
	fi
	[ ! -f "$DN_TMP/adopted.new" ] || cat -- "$DN_TMP/adopted.new" >>"$DN_TMP/adopted.all"
	if [ -s "$DN_TMP/adopted.all" ]; then
		mkdir -p -- "$DN_STATE_DIR" && dn_write_atomic "$DN_TMP/adopted.all" "$ADOPT_FILE" 0644
	else
		rm -f -- "$ADOPT_FILE"
	fi
}

# write_state FILE: make FILE ("dst via" lines) the tag's record ("" = none).
write_state() {
	if [ ! -s "$1" ]; then
		rm -f -- "$STATE_FILE"
		dn_tidy_state_dir
		return 0
	fi
	mkdir -p -- "$DN_STATE_DIR" && dn_write_atomic "$1" "$STATE_FILE" 0644
}

# ---------------------------------------------------------------- actions
# load_wanted: the tag's record, and the given pairs sorted into $DN_TMP/want.
load_wanted() {
	load_state
	printf '%s' "$PAIRS" | sort >"$DN_TMP/want"
}

do_create() {
	load_wanted
	: >"$DN_TMP/plan"
	# Preflight: decide everything before touching anything.
	while read -r d v; do
		owner=$(other_owner "$d")
		[ -z "$owner" ] || dn_die 3 "a route to $d is managed by another dockernet resource (tag $owner); remove it there first or choose another subnet"
		all=$(routes_all "$d")
		ours=$(routes_ours "$d")
		n_all=$(count_lines "$all")
		n_ours=$(count_lines "$ours")
		if [ "$n_all" -gt "$n_ours" ]; then
			if [ "$ADOPT" = yes ] && [ "$n_ours" -eq 0 ] && [ "$n_all" -eq 1 ] && [ "$(via_of "$all")" = "$v" ]; then
				echo "2 takeover $d $v" >>"$DN_TMP/plan"
				continue
			fi
			if [ "$ADOPT" = yes ]; then
				dn_die 3 "a route to $d already exists and is not managed by dockernet: $(dn_show "$(foreign_line "$d")"); adoption takes over only a single route via the declared gateway $v: change or remove that route by hand, or declare its gateway"
			fi
			dn_die 3 "a route to $d already exists and is not managed by dockernet: $(dn_show "$(foreign_line "$d")"); remove it or choose another subnet (or set adopt to take over a hand-made route via the same gateway)"
		fi
		if [ "$n_ours" -gt 1 ]; then
			dn_die 3 "there are $n_ours routes to $d with proto $PROTO ($(dn_show "$(printf '%s' "$ours" | tr '\n' ';')")); remove the extra ones by hand"
		fi
		if [ "$n_ours" -eq 0 ]; then
			echo "3 add $d $v" >>"$DN_TMP/plan"
		else
			cur=$(via_of "$ours")
			[ "$cur" = "$v" ] || echo "2 replace $d $v $cur" >>"$DN_TMP/plan"
		fi
	done <"$DN_TMP/want"
	while read -r d v; do
		[ -z "$(lookup "$DN_TMP/want" "$d")" ] || continue
		ours=$(routes_ours "$d")
		[ -n "$ours" ] || continue
		if [ "$(count_lines "$ours")" -eq 1 ] && [ "$(via_of "$ours")" = "$v" ]; then
			if [ -n "$(adopted_line "$d")" ]; then echo "1 giveback $d $v" >>"$DN_TMP/plan"; else echo "1 del $d $v" >>"$DN_TMP/plan"; fi
		else
			dn_warn "the route to $d no longer goes via $v as recorded for tag $TAG ($(dn_show "$(printf '%s' "$ours" | tr '\n' ';')")); leaving it"
		fi
	done <"$DN_TMP/have"
	# Apply: deletions, then replacements, then additions.
	: >"$DN_TMP/journal"
	sort -k1,1n -s "$DN_TMP/plan" >"$DN_TMP/plan.sorted"
	while read -r _ op d v old; do
		case $op in
		takeover) takeover "$d" "$v" ;;
		giveback) giveback "$d" "$v" ;;
		*) route_op "$op" "$d" "$v" "$old" ;;
		esac
	done <"$DN_TMP/plan.sorted"
	if [ -s "$DN_TMP/adopted.new" ] || [ -s "$DN_TMP/given.back" ]; then
		if ! write_adopted; then
			if rollback; then dn_die 3 "cannot write $ADOPT_FILE; undid this run's changes"; fi
			dn_die 4 "cannot write $ADOPT_FILE, and undoing this run's changes failed - inspect the routes by hand"
		fi
	fi
	if ! cmp -s -- "$DN_TMP/want" "$DN_TMP/have"; then
		if ! write_state "$DN_TMP/want"; then
			if rollback; then dn_die 3 "cannot write $STATE_FILE; undid this run's changes"; fi
			dn_die 4 "cannot write $STATE_FILE, and undoing this run's changes failed - inspect the routes by hand"
		fi
	fi
	: >"$DN_TMP/journal" # done: nothing for undo_on_exit to undo
}

do_delete() {
	load_state
	cp -- "$DN_TMP/have" "$DN_TMP/gone"
	printf '%s' "$PAIRS" | while read -r d v; do
		[ -n "$d" ] || continue
		[ -z "$(lookup "$DN_TMP/have" "$d")" ] || continue
		[ -z "$(other_owner "$d")" ] || continue
		echo "$d $v"
	done >>"$DN_TMP/gone"
	: >"$DN_TMP/journal"
	while read -r d v; do
		ours=$(routes_ours "$d")
		[ -n "$ours" ] || continue
		if [ "$(count_lines "$ours")" -eq 1 ] && [ "$(via_of "$ours")" = "$v" ]; then
			if [ -n "$(adopted_line "$d")" ]; then giveback "$d" "$v"; else route_op del "$d" "$v"; fi
		else
			dn_warn "the route to $d does not go via $v as recorded ($(dn_show "$(printf '%s' "$ours" | tr '\n' ';')")); leaving it"
		fi
	done <"$DN_TMP/gone"
	if { [ -f "$STATE_FILE" ] && ! rm -f -- "$STATE_FILE"; } || ! rm -f -- "$ADOPT_FILE"; then
		if rollback; then dn_die 3 "cannot remove $STATE_FILE; undid this run's changes"; fi
		dn_die 4 "cannot remove $STATE_FILE, and undoing this run's changes failed - inspect the routes by hand"
	fi
	: >"$DN_TMP/journal"
	dn_tidy_state_dir
}

do_check() {
	load_wanted
	: >"$DN_TMP/diffs"
	while read -r d v; do
		all=$(routes_all "$d")
		ours=$(routes_ours "$d")
		n_all=$(count_lines "$all")
		n_ours=$(count_lines "$ours")
		if [ "$n_ours" -eq 0 ]; then
			echo "differs: no dockernet route to $d via $v" >>"$DN_TMP/diffs"
		elif [ "$n_ours" -gt 1 ]; then
			echo "differs: $n_ours routes to $d carry proto $PROTO" >>"$DN_TMP/diffs"
		elif [ "$(via_of "$ours")" != "$v" ]; then
			echo "differs: the route to $d goes via $(via_of "$ours"), want $v" >>"$DN_TMP/diffs"
		fi
		if [ "$n_all" -gt "$n_ours" ]; then
			echo "differs: a route to $d not managed by dockernet exists: $(dn_show "$(foreign_line "$d")")" >>"$DN_TMP/diffs"
		fi
	done <"$DN_TMP/want"
	while read -r d v; do
		[ -z "$(lookup "$DN_TMP/want" "$d")" ] || continue
		ours=$(routes_ours "$d")
		if [ -n "$ours" ] && [ "$(via_of "$ours")" = "$v" ]; then
			echo "differs: leftover route to $d via $v (recorded for tag $TAG, not wanted)" >>"$DN_TMP/diffs"
		fi
	done <"$DN_TMP/have"
	if ! cmp -s -- "$DN_TMP/want" "$DN_TMP/have"; then
		echo "differs: the record $STATE_FILE does not list exactly these routes" >>"$DN_TMP/diffs"
	fi
	dn_boot_check >>"$DN_TMP/diffs"
	if [ -s "$DN_TMP/diffs" ]; then
		cat -- "$DN_TMP/diffs"
		return 1
	fi
	echo ok
}

# ---------------------------------------------------------------- main
dn_tmp_init
dn_main
