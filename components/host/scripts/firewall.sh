#!/bin/sh
# dockernet firewall.sh - iptables chains owned by dockernet.
#
# Usage:
#   sh firewall.sh create|delete|check --chain NAME [--state-dir DIR]
#       [--lock FILE] [--lock-wait SECONDS] [--init auto|systemd|none]
#       [--unit-dir DIR] [--docker-version-cmd CMD] [<rule> ...]
#   Options also accept the --opt=VALUE form.  IPv4 (iptables) only.
#
#   NAME  ^DN-[A-Z0-9-]{1,20}$ - the chain this resource owns (one per table).
#   <rule> is one of (any field may be `-` for "any"):
#     accept,<in-if>,<out-if>,<src-cidr>,<dst-cidr>
#         filter table, chain NAME, jumped to from the top of DOCKER-USER:
#         -A NAME [-s SRC] [-d DST] [-i IN] [-o OUT] -m comment
#            --comment "dockernet:NAME" -j ACCEPT
#         and its mirror in the raw table, chain NAME, jumped to from the top
#         of raw PREROUTING (routing has not happened there, so no -o):
#         -A NAME [-s SRC] [-d DST] [-i IN] -m comment
#            --comment "dockernet:NAME" -j ACCEPT
#         Docker 28 and later append `-A PREROUTING -d <container>/32
#         ! -i <bridge> -j DROP` to raw PREROUTING for every container on a
#         bridge (direct routing to containers is dropped unless allowed);
#         ACCEPT in raw ends the raw table for the declared traffic only, so
#         those drops never see it, and the filter rule above still decides.
#         A RETURN would resume PREROUTING at Docker's drops, hence ACCEPT.
#         The mirror is made only where Docker drops such traffic: when
#         --docker-version-cmd says 28 or later, or, when it cannot answer,
#         when the raw table is already in use.  Older Docker never gets a raw
#         table from dockernet; a host upgraded to 28 under a stack shows the
#         mirror missing in check, and create adds it.
#     input,<proto>,<port>,<src-cidr>
#         filter table, chain NAME, jumped to from the top of INPUT instead
#         (traffic to the host itself, e.g. the ports Docker Swarm needs):
#         -A NAME [-s SRC] -p PROTO [-m PROTO --dport PORT] -m comment
#            --comment "dockernet:NAME" -j ACCEPT
#         PROTO is tcp, udp, udp-ipsec or esp; PORT 1-65535 (tcp, udp) or -
#         (any; esp has no ports).  udp-ipsec matches only what arrived
#         inside IPsec (-m policy --dir in --pol ipsec): the decrypted VXLAN
#         of an encrypted overlay, never its cleartext look-alike.  A chain holds accept rules or input rules, not both;
#         delete needs the same kind of rules as create, to find the jump.
#     nat-return,<src-cidr>,<dst-cidr>
#         nat table, chain NAME, jumped to from the top of POSTROUTING, so
#         the matching packets leave nat processing before Docker's
#         MASQUERADE rules and keep their source address.  The rule's target
#         is ACCEPT, not RETURN: RETURN from a user chain only resumes
#         POSTROUTING at its next rule, where MASQUERADE would still match.
#   Interfaces: [A-Za-z0-9_.-]{1,15}, not `.`/`..`, not starting with `-`,
#   no `+` wildcard.
#   CIDRs: a.b.c.d/n with no host bits, or a.b.c.d (= /32); 0.0.0.0/0 = `-`.
#   Rules keep the given order.  --chain is also accepted by delete/check.
#   --docker-version-cmd CMD  default `docker version --format {{.Server.Version}}`
#   (bounded to 10 s; letters, digits, spaces and _ . / : = , @ % + { } - only).
#   --init auto|systemd|none, --unit-dir DIR: how the boot record comes back
#   (lib/common.sh, "boot records"; auto = systemd when /run/systemd/system
#   exists; units go to /etc/systemd/system by default).
#
# Every rule and every jump carries -m comment --comment "dockernet:NAME";
# every iptables call uses -w; the `iptables`/`iptables-restore` on PATH are
# used (nft or legacy).  Changes to a table are applied with one
# `iptables-restore --noflush` transaction, so each table changes atomically;
# if a later table fails, the ones already changed are put back.
#
# create: makes chain NAME in each table that has rules (and removes it from a
#   table that no longer has any), fills it when its rules (`iptables -S
#   NAME`, no counters) differ from the wanted list, and makes sure exactly one
#   jump to it sits in the leading block of dockernet jumps at the top of
#   DOCKER-USER (INPUT for input rules) / nat POSTROUTING (several dockernet chains can share the top
#   without moving each other; any other rule above it makes it move to #1).
#   If DOCKER-USER does not exist (Docker not started yet) it is created, and
#   `-A FORWARD -j DOCKER-USER` is added if FORWARD has no jump to it (Docker
#   adopts both); <state-dir>/firewall.docker-user records that.
# delete: removes the jumps and the chain in every table, and the raw table
#   itself when create made it and nothing else is in it (raw_cleanup).  It
#   refuses if a rule dockernet did not make refers to the chain.  The
#   DOCKER-USER chain/jump that create made are removed when the last
#   dockernet jump is gone from it, unless Docker has started meanwhile
#   (its DOCKER chain exists) and now owns them.
# check: exit 0 iff the chains hold exactly the wanted rules and the jumps
#   are in place (and DOCKER-USER is reachable from FORWARD).
set -eu
DN_SCRIPT=firewall.sh
umask 022

# shellcheck source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"

USAGE='usage: firewall.sh create|delete|check --chain NAME [--state-dir DIR] [--lock FILE] [--lock-wait SECONDS] [--init auto|systemd|none] [--unit-dir DIR] [--docker-version-cmd CMD] [accept,<in-if>,<out-if>,<src-cidr>,<dst-cidr> | input,<proto>,<port>,<src-cidr> | nat-return,<src-cidr>,<dst-cidr> ...]'

CHAIN=
DOCKER_VERSION_CMD='docker version --format {{.Server.Version}}'

# ---------------------------------------------------------------- arguments
dn_take_action "$@"
shift

# check_iface NAME VALUE: interface name or `-`.
check_iface() {
	[ "$2" = - ] && return 0
	case $2 in
	'' | . | .. | -* | *[!A-Za-z0-9_.-]*) dn_bad "$1" "$2" "expected an interface name ([A-Za-z0-9_.-], not . or .. or starting with -, no + wildcard) or -" ;;
	esac
	[ "${#2}" -le 15 ] || dn_bad "$1" "$2" "interface names have at most 15 characters"
}
# cidr_arg NAME VALUE: print the iptables form of a CIDR field ("" = any).
cidr_arg() {
	case $2 in
	- | 0.0.0.0/0) return 0 ;;
	*/*) dn_check_cidr "$1" "$2" net ;;
	*) dn_is_ipv4 "$2" || dn_bad "$1" "$2" "expected an IPv4 CIDR like 172.18.0.0/16, an address, or -" ;;
	esac
	case $2 in */*) echo "$2" ;; *) echo "$2/32" ;; esac
}

RULES=
while [ $# -gt 0 ]; do
	case $1 in
	--*=* | --chain | --state-dir | --lock | --lock-wait | --init | --unit-dir | --docker-version-cmd)
		dn_option_value "$@"
		shift "$DN_SHIFT"
		;;
	-*) dn_bad option "$1" "unknown option; $USAGE" ;;
	*)
		case $1 in
		*[!A-Za-z0-9_./,-]*) dn_bad '<rule>' "$1" "only letters, digits and _ . / , - are allowed" ;;
		esac
		RULES="$RULES$1
"
		shift
		continue
		;;
	esac
	case $opt in
	--chain)
		case $val in
		DN-*) ;;
		*) dn_bad --chain "$val" "must match ^DN-[A-Z0-9-]{1,20}\$" ;;
		esac
		case ${val#DN-} in
		'' | *[!A-Z0-9-]*) dn_bad --chain "$val" "must match ^DN-[A-Z0-9-]{1,20}\$" ;;
		esac
		[ "${#val}" -le 23 ] || dn_bad --chain "$val" "must match ^DN-[A-Z0-9-]{1,20}\$"
		CHAIN=$val
		;;
	--docker-version-cmd) dn_check_cmd --docker-version-cmd "$val" && DOCKER_VERSION_CMD=$val ;;
	*) dn_common_option "$opt" "$val" || dn_bad option "$opt" "unknown option; $USAGE" ;;
	esac
done
[ -n "$CHAIN" ] || dn_usage_error "missing --chain NAME; $USAGE"
COMMENT=dockernet:$CHAIN
MARKER=$DN_STATE_DIR/firewall.docker-user
DN_BOOT_NAME=firewall.$CHAIN

dn_traps
dn_tmp_init

# Wanted rules, in restore syntax: $DN_TMP/filter.want and $DN_TMP/nat.want.
# FHOOK: the filter chain's parent, DOCKER-USER (accept rules) or INPUT (input rules).
FHOOK=
: >"$DN_TMP/filter.want"
: >"$DN_TMP/nat.want"
: >"$DN_TMP/raw.want"
printf '%s' "$RULES" >"$DN_TMP/rules"
while IFS= read -r rule; do
	kind=${rule%%,*}
	fields=${rule#*,}
	[ "$kind" != "$rule" ] || dn_bad '<rule>' "$rule" "expected accept,<in-if>,<out-if>,<src-cidr>,<dst-cidr>, input,<proto>,<port>,<src-cidr> or nat-return,<src-cidr>,<dst-cidr>"
	n=$(printf '%s\n' "$fields" | awk -F, '{ print NF }')
	case $kind in
	accept)
		[ "$n" -eq 4 ] || dn_bad '<rule>' "$rule" "accept takes 4 fields: accept,<in-if>,<out-if>,<src-cidr>,<dst-cidr>"
		in_if=${fields%%,*}
		fields=${fields#*,}
		out_if=${fields%%,*}
		fields=${fields#*,}
		src=${fields%%,*}
		dst=${fields#*,}
		[ "$FHOOK" != INPUT ] || dn_bad '<rule>' "$rule" "a chain holds accept rules (forwarded traffic) or input rules (traffic to the host), not both; give them two chains"
		FHOOK=DOCKER-USER
		check_iface '<in-if>' "$in_if"
		check_iface '<out-if>' "$out_if"
		src=$(cidr_arg '<src-cidr>' "$src") || exit 2
		dst=$(cidr_arg '<dst-cidr>' "$dst") || exit 2
		line="-A $CHAIN"
		[ -z "$src" ] || line="$line -s $src"
		[ -z "$dst" ] || line="$line -d $dst"
		[ "$in_if" = - ] || line="$line -i $in_if"
		[ "$out_if" = - ] || line="$line -o $out_if"
		echo "$line -m comment --comment \"$COMMENT\" -j ACCEPT" >>"$DN_TMP/filter.want"
		line="-A $CHAIN"
		[ -z "$src" ] || line="$line -s $src"
		[ -z "$dst" ] || line="$line -d $dst"
		[ "$in_if" = - ] || line="$line -i $in_if"
		echo "$line -m comment --comment \"$COMMENT\" -j ACCEPT" >>"$DN_TMP/raw.want"
		;;
	input)
		[ "$n" -eq 3 ] || dn_bad '<rule>' "$rule" "input takes 3 fields: input,<proto>,<port>,<src-cidr>"
		[ "$FHOOK" != DOCKER-USER ] || dn_bad '<rule>' "$rule" "a chain holds accept rules (forwarded traffic) or input rules (traffic to the host), not both; give them two chains"
		FHOOK=INPUT
		proto=${fields%%,*}
		fields=${fields#*,}
		port=${fields%%,*}
		src=$(cidr_arg '<src-cidr>' "${fields#*,}") || exit 2
		line="-A $CHAIN"
		[ -z "$src" ] || line="$line -s $src"
		case $proto in
		tcp | udp | udp-ipsec)
			p=${proto%-ipsec}
			line="$line -p $p"
			[ "$proto" = "$p" ] || line="$line -m policy --dir in --pol ipsec"
			if [ "$port" != - ]; then
				case $port in '' | *[!0-9]* | 0*) dn_bad '<port>' "$port" "expected a port 1-65535 or -" ;; esac
				if [ "${#port}" -gt 5 ] || [ "$port" -gt 65535 ]; then dn_bad '<port>' "$port" "expected a port 1-65535 or -"; fi
				line="$line -m $p --dport $port"
			fi
			;;
		esp)
			[ "$port" = - ] || dn_bad '<port>' "$port" "esp has no ports; give -"
			line="$line -p esp"
			;;
		*) dn_bad '<proto>' "$proto" "expected tcp, udp, udp-ipsec or esp" ;;
		esac
		echo "$line -m comment --comment \"$COMMENT\" -j ACCEPT" >>"$DN_TMP/filter.want"
		;;
	nat-return)
		[ "$n" -eq 2 ] || dn_bad '<rule>' "$rule" "nat-return takes 2 fields: nat-return,<src-cidr>,<dst-cidr>"
		src=$(cidr_arg '<src-cidr>' "${fields%%,*}") || exit 2
		dst=$(cidr_arg '<dst-cidr>' "${fields#*,}") || exit 2
		line="-A $CHAIN"
		[ -z "$src" ] || line="$line -s $src"
		[ -z "$dst" ] || line="$line -d $dst"
		echo "$line -m comment --comment \"$COMMENT\" -j ACCEPT" >>"$DN_TMP/nat.want"
		;;
	*) dn_bad '<rule>' "$rule" "the rule type must be accept, input or nat-return" ;;
	esac
done <"$DN_TMP/rules"
[ -n "$FHOOK" ] || FHOOK=DOCKER-USER

for tool in iptables iptables-restore iptables-save; do
	command -v "$tool" >/dev/null 2>&1 || dn_die 3 "$tool is required but was not found"
done
RESTORE_WAIT=
if iptables-restore --help 2>&1 | grep -q -e '--wait'; then
	RESTORE_WAIT=-w
fi

# ---------------------------------------------------------------- tables
# docker_major: the major version of this host's Docker daemon, or "" when it does not answer.
docker_major() {
	if command -v timeout >/dev/null 2>&1; then
		dm_v=$(timeout 10 sh -c "$DOCKER_VERSION_CMD" </dev/null 2>/dev/null 9>&- | head -n 1) || dm_v=
	else
		dm_v=$(sh -c "$DOCKER_VERSION_CMD" </dev/null 2>/dev/null 9>&- | head -n 1) || dm_v=
	fi
	dm_v=${dm_v%%.*}
	case $dm_v in '' | *[!0-9]*) echo "" ;; *) echo "$dm_v" ;; esac
}
# The tables this run looks at: filter and nat always; raw when rules are wanted there or the
# raw table exists already (a mirror left from before is found and removed).  Listing a table
# that does not exist would create it (legacy iptables), so its existence is read from
# iptables-save, which lists only the tables in use.
# The daemon's version is asked before the lock (it does not change with dockernet's own runs);
# what the raw table holds is read under it (choose_tables, first thing in each action), since a
# delete running just before may have removed the table.
raw_in_use() { iptables-save 2>/dev/null | grep -qx '[*]raw'; }
DOCKER_MAJOR=
if [ -s "$DN_TMP/raw.want" ] && [ "$ACTION" != delete ]; then DOCKER_MAJOR=$(docker_major); fi
choose_tables() {
	RAW_WAS_IN_USE=0
	if raw_in_use; then RAW_WAS_IN_USE=1; fi
	if [ -n "$DOCKER_MAJOR" ]; then
		[ "$DOCKER_MAJOR" -ge 28 ] || : >"$DN_TMP/raw.want"
	elif [ "$RAW_WAS_IN_USE" = 0 ]; then
		: >"$DN_TMP/raw.want"
	fi
	TABLES="filter nat"
	if [ -s "$DN_TMP/raw.want" ] || [ "$RAW_WAS_IN_USE" = 1 ]; then TABLES="$TABLES raw"; fi
}
RAW_MARKER=$DN_STATE_DIR/firewall.raw-table

# ---------------------------------------------------------------- helpers
parent_of() {
	case $1 in
	filter) echo "$FHOOK" ;;
	raw) echo PREROUTING ;;
	*) echo POSTROUTING ;;
	esac
}
# norm: iptables -S lines without quotes and trailing blanks (quoting of
# comments differs between iptables versions).
norm() { sed -e 's/"//g' -e 's/[[:space:]]*$//'; }

# analyze TABLE: read the table and leave in $DN_TMP:
#   T.dump  `iptables -S` of the table    T.norm  the same, normalized
#   T.raw   our chain's rules as printed   T.cur   the same, normalized
#   T.want  wanted rules                   T.wantn the same, normalized
#   T.jpos  positions (1-based) of our jumps in the parent chain
#   T.exists  present iff our chain exists
#   T.lead    present iff every rule above our first jump is a dockernet jump
analyze() {
	a_t=$1
	a_p=$(parent_of "$a_t")
	iptables -w -t "$a_t" -S >"$DN_TMP/$a_t.dump" 2>"$DN_TMP/ipt.err" ||
		dn_die 3 "iptables -t $a_t -S failed: $(dn_show "$(tr '\n' ' ' <"$DN_TMP/ipt.err")")"
	norm <"$DN_TMP/$a_t.dump" >"$DN_TMP/$a_t.norm"
	norm <"$DN_TMP/$a_t.want" >"$DN_TMP/$a_t.wantn"
	awk -v c="$CHAIN" '$1 == "-A" && $2 == c' "$DN_TMP/$a_t.dump" >"$DN_TMP/$a_t.raw"
	norm <"$DN_TMP/$a_t.raw" >"$DN_TMP/$a_t.cur"
	rm -f -- "$DN_TMP/$a_t.exists" "$DN_TMP/$a_t.lead"
	if grep -qxF -e "-N $CHAIN" "$DN_TMP/$a_t.dump"; then
		: >"$DN_TMP/$a_t.exists"
	fi
	awk -v p="$a_p" -v j="-A $a_p -m comment --comment $COMMENT -j $CHAIN" '
		$1 == "-A" && $2 == p {
			n++
			if ($0 == j) { print n > jpos; if (!seen) { seen = 1; lead = ok } }
			else if ($0 !~ ("^-A " p " -m comment --comment dockernet:DN-[A-Z0-9-]+ -j DN-[A-Z0-9-]+$")) ok = 0
		}
		BEGIN { ok = 1 }
		END { if (seen && lead) print "" > leadf }
	' jpos="$DN_TMP/$a_t.jpos" leadf="$DN_TMP/$a_t.lead" "$DN_TMP/$a_t.norm"
	[ -f "$DN_TMP/$a_t.jpos" ] || : >"$DN_TMP/$a_t.jpos"
}
njumps() { awk 'END { print NR }' "$DN_TMP/$1.jpos"; }
has_want() { [ -s "$DN_TMP/$1.want" ]; }
exists() { [ -f "$DN_TMP/$1.exists" ]; }
rules_match() { cmp -s -- "$DN_TMP/$1.cur" "$DN_TMP/$1.wantn"; }
jump_ok() { [ "$(njumps "$1")" -eq 1 ] && [ -f "$DN_TMP/$1.lead" ]; }
in_state() {
	if has_want "$1"; then
		exists "$1" && rules_match "$1" && jump_ok "$1"
	else
		! exists "$1" && [ "$(njumps "$1")" -eq 0 ]
	fi
}
jump_spec() { echo "$(parent_of "$1") -m comment --comment \"$COMMENT\" -j $CHAIN"; }
docker_user_exists() { grep -qxF -e '-N DOCKER-USER' "$DN_TMP/filter.dump"; }
forward_jump_exists() {
	awk '$1 == "-A" && $2 == "FORWARD" && $(NF - 1) == "-j" && $NF == "DOCKER-USER" { f = 1 } END { exit !f }' "$DN_TMP/filter.norm"
}
# foreign_refs TABLE: rules, other than our jumps, that jump/goto our chain.
foreign_refs() {
	awk -v c="$CHAIN" -v j="-A $(parent_of "$1") -m comment --comment $COMMENT -j $CHAIN" '
		$1 == "-A" && $0 != j { for (i = 3; i < NF; i++) if (($i == "-j" || $i == "-g") && $(i + 1) == c) { print; break } }
	' "$DN_TMP/$1.norm"
}

# restore TABLE FILE: apply FILE with iptables-restore --noflush.
restore() {
	iptables-restore $RESTORE_WAIT --noflush <"$2" 2>"$DN_TMP/ipt.err"
}
restore_err() { dn_show "$(tr '\n' ' ' <"$DN_TMP/ipt.err")"; }

# plan_converge TABLE: write $DN_TMP/T.apply, the transaction taking TABLE
# to the wanted state, and $DN_TMP/T.undo, the one putting it back.
plan_converge() {
	p_t=$1
	p_p=$(parent_of "$p_t")
	p_j=$(jump_spec "$p_t")
	{
		echo "*$p_t"
		if [ "$p_t" = filter ] && has_want filter && [ "$FHOOK" = DOCKER-USER ]; then
			if ! docker_user_exists; then
				echo ':DOCKER-USER - [0:0]'
				: >"$DN_TMP/boot.chain"
			fi
			if ! forward_jump_exists; then
				echo '-A FORWARD -j DOCKER-USER'
				: >"$DN_TMP/boot.jump"
			fi
		fi
		if has_want "$p_t"; then
			if ! exists "$p_t" || ! rules_match "$p_t"; then
				echo ":$CHAIN - [0:0]"
				cat -- "$DN_TMP/$p_t.want"
			fi
			if ! jump_ok "$p_t"; then
				while read -r _; do echo "-D $p_j"; done <"$DN_TMP/$p_t.jpos"
				echo "-I $p_p 1 ${p_j#"$p_p "}"
			fi
		else
			while read -r _; do echo "-D $p_j"; done <"$DN_TMP/$p_t.jpos"
			if exists "$p_t"; then
				echo "-F $CHAIN"
				echo "-X $CHAIN"
			fi
		fi
		echo COMMIT
	} >"$DN_TMP/$p_t.apply"
	{
		echo "*$p_t"
		if has_want "$p_t"; then
			echo "-D $p_j"
		fi
		if exists "$p_t"; then
			echo ":$CHAIN - [0:0]"
			cat -- "$DN_TMP/$p_t.raw"
		elif has_want "$p_t"; then
			echo "-F $CHAIN"
			echo "-X $CHAIN"
		fi
		while read -r u_pos; do echo "-I $p_p $u_pos ${p_j#"$p_p "}"; done <"$DN_TMP/$p_t.jpos"
		if [ "$p_t" = filter ]; then
			[ ! -f "$DN_TMP/boot.jump" ] || echo '-D FORWARD -j DOCKER-USER'
			[ ! -f "$DN_TMP/boot.chain" ] || echo '-X DOCKER-USER'
		fi
		echo COMMIT
	} >"$DN_TMP/$p_t.undo"
}

# apply_tables TABLE...: apply each table's plan; if one fails, undo the ones
# already applied and die.
apply_tables() {
	at_done=
	for at_t in "$@"; do
		if restore "$at_t" "$DN_TMP/$at_t.apply"; then
			at_done="$at_t $at_done"
			DN_CHANGED=1
			continue
		fi
		at_err=$(restore_err)
		at_ok=1
		for at_u in $at_done; do
			restore "$at_u" "$DN_TMP/$at_u.undo" || at_ok=0
		done
		if [ "$at_ok" = 1 ]; then
			dn_die 3 "iptables-restore for the $at_t table failed: $at_err; nothing was changed"
		fi
		dn_die 4 "iptables-restore for the $at_t table failed: $at_err; putting back the ${at_done% } table FAILED too - inspect chain $CHAIN by hand"
	done
}

# bootstrap_cleanup: drop the DOCKER-USER chain/jump that create made, once no
# rule is left in DOCKER-USER and Docker has not adopted them.
bootstrap_cleanup() {
	[ -f "$MARKER" ] || return 0
	analyze filter
	if grep -qxF -e '-N DOCKER' "$DN_TMP/filter.dump" || grep -qxF -e '-N DOCKER-FORWARD' "$DN_TMP/filter.dump"; then
		rm -f -- "$MARKER"
		dn_tidy_state_dir
		return 0
	fi
	if awk '$1 == "-A" && $2 == "DOCKER-USER" { f = 1 } END { exit !f }' "$DN_TMP/filter.norm"; then
		return 0
	fi
	{
		echo '*filter'
		if grep -qx 'jump' "$MARKER" && grep -qxF -e '-A FORWARD -j DOCKER-USER' "$DN_TMP/filter.norm"; then
			echo '-D FORWARD -j DOCKER-USER'
		fi
		if grep -qx 'chain' "$MARKER" && docker_user_exists &&
			! grep -e '-j DOCKER-USER$' -e '-g DOCKER-USER$' "$DN_TMP/filter.norm" | grep -qvxF -e '-A FORWARD -j DOCKER-USER'; then
			echo '-X DOCKER-USER'
		fi
		echo COMMIT
	} >"$DN_TMP/boot.apply"
	if [ "$(wc -l <"$DN_TMP/boot.apply")" -gt 2 ]; then
		if ! restore filter "$DN_TMP/boot.apply"; then
			dn_warn "could not remove the DOCKER-USER chain/jump dockernet had created: $(restore_err)"
			return 0
		fi
		DN_CHANGED=1
	fi
	rm -f -- "$MARKER"
	dn_tidy_state_dir
}

# raw_cleanup: the raw table a create made (no table was in use before it: Docker 28 with
# allow-direct-routing, or before its first container) is removed again once nothing is in it.
# While a dockernet chain is there, it waits for the last one; once a rule of someone else's is
# there (Docker's drops), the table is theirs.  Removing a table takes nft (nf_tables iptables);
# where there is none, the empty table stays and says so.
raw_cleanup() {
	[ -f "$RAW_MARKER" ] || return 0
	iptables-save -t raw 2>/dev/null | grep -v -e '^#' -e '^[*]raw$' -e '^COMMIT$' >"$DN_TMP/raw.left" || true
	if grep -v -e '^:PREROUTING ACCEPT' -e '^:OUTPUT ACCEPT' -e '^:DN-' "$DN_TMP/raw.left" | grep -q -v 'dockernet:DN-'; then
		rm -f -- "$RAW_MARKER"
		dn_tidy_state_dir
		return 0
	fi
	grep -q 'dockernet:DN-' "$DN_TMP/raw.left" && return 0
	if command -v nft >/dev/null 2>&1 && iptables -V 2>/dev/null | grep -q nf_tables; then
		if nft delete table ip raw 2>"$DN_TMP/nft.err"; then
			DN_CHANGED=1
		else
			dn_warn "could not remove the empty raw table dockernet made: $(dn_show "$(tr '\n' ' ' <"$DN_TMP/nft.err")")"
		fi
	else
		dn_warn "the raw table dockernet made is empty now but stays (removing a table takes nft on an nf_tables iptables); it filters nothing"
	fi
	rm -f -- "$RAW_MARKER"
	dn_tidy_state_dir
}

# ---------------------------------------------------------------- actions
do_create() {
	choose_tables
	for t in $TABLES; do analyze "$t"; done
	todo=
	for t in $TABLES; do
		if ! in_state "$t" || { [ "$t" = filter ] && has_want filter && [ "$FHOOK" = DOCKER-USER ] && ! forward_jump_exists; }; then
			todo="$todo $t"
		fi
	done
	if [ -n "$todo" ]; then
		for t in $todo; do plan_converge "$t"; done
		# shellcheck disable=SC2086 # word splitting of the table list is wanted
		apply_tables $todo
		if [ "$RAW_WAS_IN_USE" = 0 ] && has_want raw; then
			if ! mkdir -p -- "$DN_STATE_DIR" || ! printf 'made by firewall.sh create\n' >"$RAW_MARKER"; then
				dn_warn "could not write $RAW_MARKER; delete will leave the raw table it created"
			fi
		fi
		if [ -f "$DN_TMP/boot.chain" ] || [ -f "$DN_TMP/boot.jump" ]; then
			{
				[ ! -f "$DN_TMP/boot.chain" ] || echo chain
				[ ! -f "$DN_TMP/boot.jump" ] || echo jump
				[ ! -f "$MARKER" ] || cat -- "$MARKER"
			} | sort -u >"$DN_TMP/marker"
			if ! mkdir -p -- "$DN_STATE_DIR" || ! dn_write_atomic "$DN_TMP/marker" "$MARKER" 0644; then
				dn_warn "could not write $MARKER; delete will leave the DOCKER-USER chain it created"
			fi
		fi
	fi
	has_want filter || bootstrap_cleanup
	has_want raw || raw_cleanup
}

do_delete() {
	choose_tables
	: >"$DN_TMP/filter.want"
	: >"$DN_TMP/nat.want"
	: >"$DN_TMP/raw.want"
	for t in $TABLES; do analyze "$t"; done
	todo=
	for t in $TABLES; do
		refs=$(foreign_refs "$t")
		[ -z "$refs" ] || dn_die 3 "chain $CHAIN ($t table) is used by a rule dockernet did not make: $(dn_show "$(printf '%s' "$refs" | head -n 1)"); remove that rule first"
		in_state "$t" || todo="$todo $t"
	done
	if [ -n "$todo" ]; then
		for t in $todo; do plan_converge "$t"; done
		# shellcheck disable=SC2086 # word splitting of the table list is wanted
		apply_tables $todo
	fi
	bootstrap_cleanup
	raw_cleanup
}

do_check() {
	choose_tables
	for t in $TABLES; do analyze "$t"; done
	: >"$DN_TMP/diffs"
	for t in $TABLES; do
		p=$(parent_of "$t")
		nj=$(njumps "$t")
		if has_want "$t"; then
			if ! exists "$t"; then
				echo "differs: chain $CHAIN is missing from the $t table"
			elif ! rules_match "$t"; then
				echo "differs: chain $CHAIN in the $t table holds other rules ($(awk 'END { print NR }' "$DN_TMP/$t.cur") present, $(awk 'END { print NR }' "$DN_TMP/$t.wantn") wanted)"
			fi
			if [ "$nj" -eq 0 ]; then
				echo "differs: no jump to $CHAIN in $t $p"
			elif [ "$nj" -gt 1 ]; then
				echo "differs: $nj jumps to $CHAIN in $t $p (want 1)"
			elif [ ! -f "$DN_TMP/$t.lead" ]; then
				echo "differs: the jump to $CHAIN is rule $(cat "$DN_TMP/$t.jpos") of $t $p, below a rule that is not a dockernet jump"
			fi
		else
			if exists "$t"; then
				echo "differs: chain $CHAIN exists in the $t table, where no rules are wanted"
			fi
			if [ "$nj" -gt 0 ]; then
				echo "differs: $nj jumps to $CHAIN in $t $p, where no rules are wanted"
			fi
		fi
	done >"$DN_TMP/diffs"
	if has_want filter && [ "$FHOOK" = DOCKER-USER ] && ! forward_jump_exists; then
		echo "differs: FORWARD does not jump to DOCKER-USER" >>"$DN_TMP/diffs"
	fi
	dn_boot_check >>"$DN_TMP/diffs"
	if [ -s "$DN_TMP/diffs" ]; then
		cat -- "$DN_TMP/diffs"
		return 1
	fi
	echo ok
}

# ---------------------------------------------------------------- main
dn_main
