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

# dn_common_option OPT VALUE: the options every script takes (--state-dir, --lock, --lock-wait),
# checked and set; returns 1 for any other option.
dn_common_option() {
	case $1 in
	--state-dir) dn_check_path --state-dir "$2" && DN_STATE_DIR=$2 ;;
	--lock) dn_check_path --lock "$2" && DN_LOCK_FILE=$2 ;;
	--lock-wait) dn_check_seconds --lock-wait "$2" && DN_LOCK_WAIT=$2 ;;
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
}

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
		do_create
		dn_result
		;;
	delete)
		dn_lock -x
		do_delete
		dn_result
		;;
	esac
}
# ---- END dockernet common ----
