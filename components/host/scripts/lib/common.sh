# dockernet lib/common.sh - what bip.sh, routes.sh and firewall.sh share: exit codes, argument
# checks, the per-host lock and the result line. Each script sources it when run from a file;
# components/host/scripts.ts puts this text in place of that source line when a script is sent,
# so what a host runs is one self-contained script. It expects DN_SCRIPT and the caller's `set -eu`.
# ---- BEGIN dockernet common (lib/common.sh; sent inside each script in place of its source line) ----
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
# Boot records (see dn_boot_stage): what a create applied comes back after a reboot or a Docker
# restart. DN_BOOT_NAME is set by routes.sh / firewall.sh (bip.sh's daemon.json persists itself).
DN_INIT=auto
DN_UNIT_DIR=/etc/systemd/system
DN_UNIT=dockernet-restore.service
DN_BOOT_NAME=
DN_BOOT_UNORDERED=0
DN_BOOT_STAGED=0
DN_REST_ARGS=

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
# dn_option_value ARG...: an option and its value, from `--opt=value` or from `--opt value`: sets
# opt and val, and DN_SHIFT to the number of arguments they took.
dn_option_value() {
	case $1 in
	--*=*)
		opt=${1%%=*}
		val=${1#*=}
		DN_SHIFT=1
		;;
	*)
		[ $# -ge 2 ] || dn_usage_error "option $1 needs a value"
		opt=$1
		val=$2
		DN_SHIFT=2
		;;
	esac
}

# dn_common_option OPT VALUE: the options every script takes (--state-dir, --lock, --lock-wait,
# --init auto|systemd|none: how boot records come back, --unit-dir: where systemd units live),
# checked and set; returns 1 for any other option.
dn_common_option() {
	case $1 in
	--state-dir) dn_check_path --state-dir "$2" && DN_STATE_DIR=$2 ;;
	--lock) dn_check_path --lock "$2" && DN_LOCK_FILE=$2 ;;
	--lock-wait) dn_check_seconds --lock-wait "$2" && DN_LOCK_WAIT=$2 ;;
	--unit-dir) dn_check_path --unit-dir "$2" && DN_UNIT_DIR=$2 ;;
	--init)
		case $2 in auto | systemd | none) DN_INIT=$2 ;; *) dn_bad --init "$2" "expected auto, systemd or none" ;; esac
		;;
	*) return 1 ;;
	esac
}

# dn_take_action ARG...: the first argument is the action (create, delete or check): sets ACTION.
# The caller shifts it off.
dn_take_action() {
	[ $# -ge 1 ] || dn_usage_error "missing action; $USAGE"
	case $1 in
	create | delete | check) ACTION=$1 ;;
	*) dn_bad action "$1" "expected create, delete or check; $USAGE" ;;
	esac
	shift
	# Quoted for the boot record; no fork for a word without a single quote (most of them).
	for dn_a in "$@"; do
		case $dn_a in
		*\'*) DN_REST_ARGS="$DN_REST_ARGS $(dn_quote "$dn_a")" ;;
		*) DN_REST_ARGS="$DN_REST_ARGS '$dn_a'" ;;
		esac
	done
}

# dn_quote WORD: WORD as one single-quoted shell word.
dn_quote() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }

# dn_traps: however the script ends, $DN_TMP is removed; a signal exits with 128 plus its number.
# A script that must undo its own work on failure sets its EXIT trap to `dn_on_exit HOOK` after
# this: HOOK runs first, given the exit code.
dn_traps() {
	trap dn_on_exit EXIT
	trap 'exit 129' HUP
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

dn_on_exit() {
	rc=$?
	trap - EXIT
	[ $# -eq 0 ] || "$1" "$rc" || true
	[ "$rc" -eq 0 ] || [ "$DN_BOOT_STAGED" = 0 ] || dn_boot_revert || true
	[ -z "$DN_TMP" ] || rm -rf -- "$DN_TMP"
	exit "$rc"
}

# dn_main: runs the script's action: check under a shared lock; create and delete under the
# exclusive lock, then the result line. Each script defines do_check, do_create and do_delete.
dn_main() {
	case $ACTION in
	check)
		dn_lock -s
		do_check
		;;
	create)
		dn_lock -x
		dn_boot_stage save
		do_create
		DN_BOOT_STAGED=0
		dn_result
		;;
	delete)
		dn_lock -x
		dn_boot_stage drop
		do_delete
		DN_BOOT_STAGED=0
		dn_result
		;;
	esac
}

# ---- boot records
# The kernel keeps neither routes nor iptables rules across a reboot, and Docker rebuilds its own
# chains when it starts. So a create also writes a boot record, <state-dir>/boot/<name>.rec: the
# whole script as it was sent with its arguments (`set -- create ...` in front of the text), and
# <state-dir>/boot/restore.sh runs every record again. With systemd (--init auto finds
# /run/systemd/system), dockernet-restore.service, a oneshot WantedBy=docker.service and ordered
# after it, runs restore.sh each time Docker starts: at boot and after every Docker restart. Without
# systemd nothing runs it by itself: create says so once, and the host's boot scripts can run it.
# A delete drops its record; the last one out removes restore.sh, the unit and its link.
# Record first, host second: a record is staged before do_create / do_delete and put back as it
# was when they fail (dn_on_exit), so a record never names a change the host did not keep.

dn_boot_dir() { echo "$DN_STATE_DIR/boot"; }
dn_init_kind() {
	if [ "$DN_INIT" != auto ]; then echo "$DN_INIT"; elif [ -d /run/systemd/system ]; then echo systemd; else echo none; fi
}

# dn_self_text: the whole script as sent (DN_SCRIPT_TEXT, set by the command dockernet sends), or,
# when run from a file, that file with lib/common.sh in place of its source line.
dn_self_text() {
	if [ -n "${DN_SCRIPT_TEXT:-}" ]; then
		printf '%s\n' "$DN_SCRIPT_TEXT"
		return 0
	fi
	dn_lib=$(dirname -- "$0")/lib/common.sh
	[ -f "$0" ] && [ -f "$dn_lib" ] || return 1
	awk -v lib="$dn_lib" '
		/^# shellcheck source=lib\/common\.sh$/ { next }
		$1 == "." && $0 ~ /\/lib\/common\.sh/ {
			on = 0
			while ((getline l < lib) > 0) { if (l ~ /^# ---- BEGIN dockernet common/) on = 1; if (on) print l }
			close(lib); next
		}
		{ print }' "$0"
}

# dn_boot_record FILE: write this create's boot record to FILE.
dn_boot_record() {
	{
		echo "# dockernet boot record: $DN_SCRIPT create, run again by restore.sh after Docker starts"
		echo "set -- create$DN_REST_ARGS"
		dn_self_text
	} >"$1"
}

# dn_boot_stage save|drop: write (create) or remove (delete) this resource's record, keeping the
# previous one in $DN_TMP for dn_boot_revert, then bring restore.sh and the unit in line.
dn_boot_stage() {
	[ -n "$DN_BOOT_NAME" ] || return 0
	[ "${DN_BOOT_RESTORE:-}" != 1 ] || return 0 # restore.sh running a record: it is the record
	dn_bdir=$(dn_boot_dir)
	dn_rec=$dn_bdir/$DN_BOOT_NAME.rec
	rm -f -- "$DN_TMP/boot.old"
	[ ! -f "$dn_rec" ] || cp -p -- "$dn_rec" "$DN_TMP/boot.old" || dn_die 3 "cannot read the boot record $dn_rec"
	DN_BOOT_STAGED=1
	if [ "$1" = save ]; then
		dn_boot_record "$DN_TMP/boot.new" || dn_die 3 "cannot assemble the boot record (is the script text available?)"
		if ! cmp -s -- "$DN_TMP/boot.new" "$dn_rec" && ! dn_boot_same "$dn_rec" "$DN_TMP/boot.new"; then
			if ! mkdir -p -- "$dn_bdir" || ! dn_write_atomic "$DN_TMP/boot.new" "$dn_rec" 0600; then
				dn_die 3 "cannot write the boot record $dn_rec; nothing was changed"
			fi
		fi
	elif [ -f "$dn_rec" ]; then
		rm -f -- "$dn_rec" || dn_die 3 "cannot remove the boot record $dn_rec; nothing was changed"
	fi
	dn_boot_sync || dn_die 3 "cannot bring the boot restore ($DN_UNIT) in line with the records; nothing was changed"
}

# dn_boot_args FILE: a record's arguments (its `set --` line), one per line; sorted when their
# order means nothing (routes.sh sets DN_BOOT_UNORDERED=1; a firewall chain's rules keep theirs).
dn_boot_args() {
	sed -n '2s/^set -- //p' -- "$1" | tr ' ' '\n' | if [ "$DN_BOOT_UNORDERED" = 1 ]; then sort; else cat; fi
}

# dn_boot_same OLD NEW: the two records have the same text and the same arguments.
dn_boot_same() {
	[ -f "$1" ] || return 1
	[ "$(sed 1,2d -- "$1" | cksum)" = "$(sed 1,2d -- "$2" | cksum)" ] && [ "$(dn_boot_args "$1")" = "$(dn_boot_args "$2")" ]
}

# dn_boot_revert: put the staged record back as it was (on a failed create or delete).
dn_boot_revert() {
	DN_BOOT_STAGED=0
	dn_rec=$(dn_boot_dir)/$DN_BOOT_NAME.rec
	if [ -f "$DN_TMP/boot.old" ]; then
		mkdir -p -- "$(dn_boot_dir)" && dn_write_atomic "$DN_TMP/boot.old" "$dn_rec" 0600
	else
		rm -f -- "$dn_rec"
	fi
	dn_boot_sync
}

dn_restore_text() {
	cat <<'DN_RESTORE'
#!/bin/sh
# dockernet restore.sh - written by dockernet's host scripts next to its boot records; run by
# dockernet-restore.service each time Docker starts (or by the host's boot scripts without systemd).
# Each record is a create dockernet applied (routes, firewall chains), run again as it was sent:
# it converges the kernel to what was applied and changes nothing when it is already so.
rc=0
for rec in "$(dirname -- "$0")"/*.rec; do
	[ -f "$rec" ] || continue
	if out=$(DN_BOOT_RESTORE=1 sh "$rec" </dev/null); then
		echo "dockernet restore: $(basename -- "$rec" .rec): $out"
	else
		echo "dockernet restore: $(basename -- "$rec" .rec): failed" >&2
		rc=1
	fi
done
exit "$rc"
DN_RESTORE
}

dn_unit_text() {
	cat <<DN_UNIT_EOF
# Written by dockernet's host scripts; removed with the last dockernet routes or firewall set.
[Unit]
Description=dockernet: put back routes and firewall chains after Docker starts
After=docker.service network-online.target
Wants=network-online.target

[Service]
Type=oneshot
ExecStart=/bin/sh $(dn_boot_dir)/restore.sh

[Install]
WantedBy=docker.service
DN_UNIT_EOF
}

# dn_put FILE MODE TEXT-FUNCTION: FILE holds the function's output (written only when it differs);
# sets dn_changed_unit=1 when written.
dn_put() {
	"$3" >"$DN_TMP/put" || return 1
	cmp -s -- "$DN_TMP/put" "$1" && return 0
	dn_changed_unit=1
	dn_write_atomic "$DN_TMP/put" "$1" "$2"
}

# dn_boot_sync: restore.sh and (with systemd) the unit and its docker.service.wants link exist
# exactly while at least one record does.
dn_boot_sync() {
	dn_bdir=$(dn_boot_dir)
	dn_unit_file=$DN_UNIT_DIR/$DN_UNIT
	dn_wants=$DN_UNIT_DIR/docker.service.wants
	dn_changed_unit=0
	dn_fresh=0
	if ls -- "$dn_bdir"/*.rec >/dev/null 2>&1; then
		[ -f "$dn_bdir/restore.sh" ] || dn_fresh=1
		dn_put "$dn_bdir/restore.sh" 0755 dn_restore_text || return 1
		if [ "$(dn_init_kind)" = systemd ]; then
			dn_put "$dn_unit_file" 0644 dn_unit_text || return 1
			if [ ! -d "$dn_wants" ]; then
				mkdir -p -- "$dn_wants" && : >"$dn_bdir/made-wants-dir" || return 1
			fi
			if [ "$(readlink -- "$dn_wants/$DN_UNIT" 2>/dev/null)" != "$dn_unit_file" ]; then
				ln -sfn -- "$dn_unit_file" "$dn_wants/$DN_UNIT" || return 1
				dn_changed_unit=1
			fi
		elif [ "${dn_fresh:-0}" = 1 ]; then
			dn_warn "this host does not run systemd: nothing will run $dn_bdir/restore.sh at boot by itself, so dockernet's routes and firewall chains will not come back after a reboot until the next create; run it from the host's boot scripts after Docker starts (e.g. /etc/rc.local)"
		fi
	else
		rm -f -- "$dn_bdir/restore.sh" || return 1
		if [ -L "$dn_wants/$DN_UNIT" ]; then rm -f -- "$dn_wants/$DN_UNIT" || return 1; dn_changed_unit=1; fi
		if [ -f "$dn_bdir/made-wants-dir" ]; then
			rmdir -- "$dn_wants" 2>/dev/null || true
			rm -f -- "$dn_bdir/made-wants-dir"
		fi
		if [ -f "$dn_unit_file" ] && head -n 1 -- "$dn_unit_file" | grep -q '^# Written by dockernet'; then
			rm -f -- "$dn_unit_file" || return 1
			dn_changed_unit=1
		fi
		rmdir -- "$dn_bdir" 2>/dev/null || true
	fi
	if [ "$dn_changed_unit" = 1 ] && [ "$(dn_init_kind)" = systemd ]; then
		systemctl daemon-reload 9>&- >/dev/null 2>&1 ||
			dn_warn "systemctl daemon-reload failed: $DN_UNIT takes effect at the next boot"
	fi
	return 0
}

# dn_boot_check: the `differs:` lines for this resource's record and the restore unit.
dn_boot_check() {
	[ -n "$DN_BOOT_NAME" ] || return 0
	dn_rec=$(dn_boot_dir)/$DN_BOOT_NAME.rec
	if [ ! -f "$dn_rec" ]; then
		echo "differs: no boot record $dn_rec (this would not come back after a reboot)"
		return 0
	fi
	echo "x" >"$DN_TMP/boot.want"
	echo "set -- create$DN_REST_ARGS" >>"$DN_TMP/boot.want"
	if [ "$(dn_boot_args "$dn_rec")" != "$(dn_boot_args "$DN_TMP/boot.want")" ]; then
		echo "differs: the boot record $dn_rec is for other arguments ($(dn_show "$(sed -n 2p -- "$dn_rec")"))"
	fi
	[ -f "$(dn_boot_dir)/restore.sh" ] || echo "differs: $(dn_boot_dir)/restore.sh is missing"
	if [ "$(dn_init_kind)" = systemd ]; then
		[ -f "$DN_UNIT_DIR/$DN_UNIT" ] || echo "differs: $DN_UNIT_DIR/$DN_UNIT is missing"
		[ -L "$DN_UNIT_DIR/docker.service.wants/$DN_UNIT" ] || echo "differs: $DN_UNIT is not enabled (no link in $DN_UNIT_DIR/docker.service.wants)"
	fi
	return 0
}
# ---- END dockernet common ----
