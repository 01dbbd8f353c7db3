#!/bin/sh
# dockernet routes.sh - static routes to peer hosts' container subnets.
#
# Usage:
#   sh routes.sh create|delete|check [--tag NAME] [--proto N] [--state-dir DIR]
#       [--lock FILE] [--lock-wait SECONDS] [<dest-cidr>=<via-ip> ...]
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
# check exits 0 iff each given route exists exactly once as dockernet's with
#   the given gateway and no other route to that destination exists, no route
#   the tag recorded earlier is left over, and the record lists exactly these.
set -eu
DN_SCRIPT=routes.sh
umask 022

# ---- BEGIN dockernet common (identical in every script; test/scripts/run.sh checks) ----
# Exit codes: 0 ok | 1 check: host differs from the created state
#             2 invalid usage or argument (nothing was looked at or changed)
#             3 refused or failed; the host is as it was (partial changes
#               were rolled back)
#             4 failed and the rollback did not fully succeed (or, bip.sh:
#               Docker did not come back even with the restored file)
# stdout: create/delete print exactly one line, `changed` or `unchanged`
#         (`changed` = the host's configuration changed; updates of
#         dockernet's own records alone do not count);
#         check prints `ok`, or one `differs: ...` line per difference.
# stderr: messages, each prefixed `dockernet <script>: `.
LC_ALL=C
export LC_ALL
# iptables and ip live in sbin, which a non-login SSH PATH may lack.
case ":$PATH:" in *:/usr/sbin:*) ;; *) PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin ;; esac
export PATH
DN_LOCK_FILE=/run/lock/dockernet.lock
DN_LOCK_WAIT=60
DN_STATE_DIR=/var/lib/dockernet
DN_TMP=
DN_CHANGED=0

dn_say() { printf 'dockernet %s: %s\n' "$DN_SCRIPT" "$*" >&2; }
dn_warn() { dn_say "warning: $*"; }
# dn_die CODE MESSAGE: print MESSAGE to stderr and exit with CODE.
dn_die() {
	dn_code=$1
	shift
	dn_say "$*"
	exit "$dn_code"
}
dn_usage_error() { dn_die 2 "$*"; }

# dn_show VALUE: VALUE made safe for an error message (printable, at most 80 chars).
dn_show() {
	printf '%s' "$1" | tr -c ' -~' '?' | cut -c 1-80
}

# dn_bad NAME VALUE WHY: reject an argument, naming it.
dn_bad() { dn_usage_error "invalid $1 '$(dn_show "$2")': $3"; }

# dn_is_uint VALUE: 1 to 6 decimal digits.
dn_is_uint() {
	case $1 in '' | *[!0-9]*) return 1 ;; esac
	[ "${#1}" -le 6 ]
}

# dn_is_ipv4 VALUE: dotted quad, no leading zeros, each octet <= 255.
dn_is_ipv4() {
	case $1 in '' | *[!0-9.]* | .* | *. | *..*) return 1 ;; esac
	dn_rest=$1
	dn_n=0
	while [ -n "$dn_rest" ]; do
		dn_oct=${dn_rest%%.*}
		case $dn_rest in *.*) dn_rest=${dn_rest#*.} ;; *) dn_rest= ;; esac
		dn_n=$((dn_n + 1))
		case $dn_oct in 0 | [1-9] | [1-9][0-9] | [1-9][0-9][0-9]) ;; *) return 1 ;; esac
		[ "$dn_oct" -le 255 ] || return 1
	done
	[ "$dn_n" -eq 4 ]
}

# dn_ipv4_int ADDRESS (already validated, so no octal-looking octets).
dn_ipv4_int() {
	dn_o1=${1%%.*}
	dn_a=${1#*.}
	dn_o2=${dn_a%%.*}
	dn_a=${dn_a#*.}
	dn_o3=${dn_a%%.*}
	dn_o4=${dn_a#*.}
	echo $((((dn_o1 * 256 + dn_o2) * 256 + dn_o3) * 256 + dn_o4))
}

# dn_check_cidr NAME VALUE MODE: validate an IPv4 CIDR a.b.c.d/n (n 0..32).
#   MODE net:  must be a network address (no host bits) with n >= 1
#   MODE host: must be a host address inside its network (as Docker's bip)
dn_check_cidr() {
	case $2 in */*) ;; *) dn_bad "$1" "$2" "expected an IPv4 CIDR like 172.18.0.0/16" ;; esac
	dn_addr=${2%/*}
	dn_len=${2#*/}
	dn_is_ipv4 "$dn_addr" || dn_bad "$1" "$2" "expected an IPv4 CIDR like 172.18.0.0/16"
	case $dn_len in [0-9] | [1-2][0-9] | 3[0-2]) ;; *) dn_bad "$1" "$2" "prefix length must be 0 to 32 (no leading zeros)" ;; esac
	dn_host=$(($(dn_ipv4_int "$dn_addr") % (1 << (32 - dn_len))))
	if [ "$3" = net ]; then
		[ "$dn_len" -ge 1 ] || dn_bad "$1" "$2" "a /0 prefix is not allowed"
		[ "$dn_host" -eq 0 ] || dn_bad "$1" "$2" "host bits are set; use the network address"
	else
		if [ "$dn_len" -lt 1 ] || [ "$dn_len" -gt 30 ]; then
			dn_bad "$1" "$2" "prefix length must be 1 to 30"
		fi
		if [ "$dn_host" -eq 0 ] || [ "$dn_host" -eq $(((1 << (32 - dn_len)) - 1)) ]; then
			dn_bad "$1" "$2" "must be a host address inside the subnet (like 172.18.0.1/16), not the network or broadcast address"
		fi
	fi
}

# dn_check_path NAME VALUE: absolute path of safe characters, no `..` component.
dn_check_path() {
	case $2 in
	/*) ;;
	*) dn_bad "$1" "$2" "must be an absolute path" ;;
	esac
	case $2 in
	*[!A-Za-z0-9_./-]*) dn_bad "$1" "$2" "only letters, digits and _ . / - are allowed" ;;
	*/../* | */.. | */./* | */.) dn_bad "$1" "$2" "must not contain . or .. components" ;;
	esac
	[ "${#2}" -le 1024 ] || dn_bad "$1" "$2" "too long"
}

# dn_check_cmd NAME VALUE: a command line for `sh -c` made of words of safe
# characters only (no quotes, ; | & $ ` ( ) < > \ * ? [ ] ~ # ! or newlines).
dn_check_cmd() {
	case $2 in
	'' | *[!A-Za-z0-9\ _./:=,@%+{}-]*)
		dn_bad "$1" "$2" "only letters, digits, spaces and _ . / : = , @ % + { } - are allowed"
		;;
	esac
	[ "${#2}" -le 1024 ] || dn_bad "$1" "$2" "too long"
}

# dn_check_seconds NAME VALUE: integer 1..3600.
dn_check_seconds() {
	case $2 in 0*) dn_bad "$1" "$2" "expected whole seconds from 1 to 3600" ;; esac
	if ! dn_is_uint "$2" || [ "$2" -gt 3600 ]; then
		dn_bad "$1" "$2" "expected whole seconds from 1 to 3600"
	fi
}

# dn_tmp_init: private scratch directory, removed on exit.
dn_tmp_init() {
	DN_TMP=$(mktemp -d "${TMPDIR:-/tmp}/dockernet.XXXXXX") || dn_die 3 "cannot create a temporary directory"
}

# dn_lock MODE: take the per-host dockernet lock (MODE -x exclusive, -s shared)
# on file descriptor 9, waiting up to DN_LOCK_WAIT seconds.  Commands we run
# must get `9>&-` so a daemon they start cannot keep holding the lock.
dn_lock() {
	command -v flock >/dev/null 2>&1 || dn_die 3 "flock (util-linux) is required but was not found"
	dn_ldir=$(dirname -- "$DN_LOCK_FILE")
	[ -d "$dn_ldir" ] || mkdir -p -- "$dn_ldir" 2>/dev/null || dn_die 3 "cannot create the lock directory $dn_ldir"
	(: >>"$DN_LOCK_FILE") 2>/dev/null || dn_die 3 "cannot open the lock file $DN_LOCK_FILE"
	exec 9>>"$DN_LOCK_FILE"
	flock "$1" -w "$DN_LOCK_WAIT" 9 ||
		dn_die 3 "gave up after waiting ${DN_LOCK_WAIT} s for the dockernet lock $DN_LOCK_FILE: another dockernet operation is still running on this host; retry later"
}

# dn_write_atomic SRC DEST MODE: replace DEST by a copy of SRC with octal
# MODE, atomically (temporary file in DEST's directory, then mv).
dn_write_atomic() {
	dn_wtmp=$(mktemp "$(dirname -- "$2")/.$(basename -- "$2").dockernet.XXXXXX") || return 1
	if cat -- "$1" >"$dn_wtmp" && chmod "$3" "$dn_wtmp" && mv -f -- "$dn_wtmp" "$2"; then
		return 0
	fi
	rm -f -- "$dn_wtmp"
	return 1
}

# dn_tidy_state_dir: remove the state directory once nothing is left in it.
dn_tidy_state_dir() { rmdir -- "$DN_STATE_DIR" 2>/dev/null || true; }

# dn_result: print the stdout protocol line.
dn_result() {
	if [ "$DN_CHANGED" = 1 ]; then echo changed; else echo unchanged; fi
}
# ---- END dockernet common ----

USAGE='usage: routes.sh create|delete|check [--tag NAME] [--proto N] [--state-dir DIR] [--lock FILE] [--lock-wait SECONDS] [<dest-cidr>=<via-ip> ...]'

TAG=default
PROTO=187

# ---------------------------------------------------------------- arguments
[ $# -ge 1 ] || dn_usage_error "missing action; $USAGE"
ACTION=$1
shift
case $ACTION in
create | delete | check) ;;
*) dn_bad action "$ACTION" "expected create, delete or check; $USAGE" ;;
esac
PAIRS=
while [ $# -gt 0 ]; do
	case $1 in
	--*=*)
		opt=${1%%=*}
		val=${1#*=}
		shift
		;;
	--tag | --proto | --state-dir | --lock | --lock-wait)
		[ $# -ge 2 ] || dn_usage_error "option $1 needs a value"
		opt=$1
		val=$2
		shift 2
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
	--state-dir) dn_check_path --state-dir "$val" && DN_STATE_DIR=$val ;;
	--lock) dn_check_path --lock "$val" && DN_LOCK_FILE=$val ;;
	--lock-wait) dn_check_seconds --lock-wait "$val" && DN_LOCK_WAIT=$val ;;
	*) dn_bad option "$opt" "unknown option; $USAGE" ;;
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

on_exit() {
	rc=$?
	trap - EXIT
	[ -z "$DN_TMP" ] || rm -rf -- "$DN_TMP"
	exit "$rc"
}
trap on_exit EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

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
do_create() {
	load_state
	printf '%s' "$PAIRS" | sort >"$DN_TMP/want"
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
			dn_die 3 "a route to $d already exists and is not managed by dockernet: $(dn_show "$(foreign_line "$d")"); remove it or choose another subnet"
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
			echo "1 del $d $v" >>"$DN_TMP/plan"
		else
			dn_warn "the route to $d no longer goes via $v as recorded for tag $TAG ($(dn_show "$(printf '%s' "$ours" | tr '\n' ';')")); leaving it"
		fi
	done <"$DN_TMP/have"
	# Apply: deletions, then replacements, then additions.
	: >"$DN_TMP/journal"
	sort -k1,1n -s "$DN_TMP/plan" >"$DN_TMP/plan.sorted"
	while read -r _ op d v old; do
		route_op "$op" "$d" "$v" "$old"
	done <"$DN_TMP/plan.sorted"
	if ! cmp -s -- "$DN_TMP/want" "$DN_TMP/have"; then
		if ! write_state "$DN_TMP/want"; then
			if rollback; then dn_die 3 "cannot write $STATE_FILE; undid this run's changes"; fi
			dn_die 4 "cannot write $STATE_FILE, and undoing this run's changes failed - inspect the routes by hand"
		fi
	fi
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
			route_op del "$d" "$v"
		else
			dn_warn "the route to $d does not go via $v as recorded ($(dn_show "$(printf '%s' "$ours" | tr '\n' ';')")); leaving it"
		fi
	done <"$DN_TMP/gone"
	if [ -f "$STATE_FILE" ] && ! rm -f -- "$STATE_FILE"; then
		if rollback; then dn_die 3 "cannot remove $STATE_FILE; undid this run's changes"; fi
		dn_die 4 "cannot remove $STATE_FILE, and undoing this run's changes failed - inspect the routes by hand"
	fi
	dn_tidy_state_dir
}

do_check() {
	load_state
	printf '%s' "$PAIRS" | sort >"$DN_TMP/want"
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
	if [ -s "$DN_TMP/diffs" ]; then
		cat -- "$DN_TMP/diffs"
		return 1
	fi
	echo ok
}

# ---------------------------------------------------------------- main
dn_tmp_init
case $ACTION in
check)
	dn_lock -s
	do_check
	;;
create)
	dn_lock -x
	do_create
	dn_result
	;;
delete)
	dn_lock -x
	do_delete
	dn_result
	;;
esac
