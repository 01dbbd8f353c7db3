#!/bin/sh
# dockernet bip.sh - set the address of Docker's default bridge ("bip" in daemon.json).
#
# Usage:
#   sh bip.sh create|delete|check <bip> [--daemon-json FILE] [--restart-cmd CMD]
#       [--log-cmd CMD] [--docker-check-cmd CMD] [--unit-cmd CMD]
#       [--state-dir DIR] [--lock FILE] [--lock-wait SECONDS] [--timeout SECONDS]
#       [--docker-pid-file FILE] [--adopt yes|no]
#   Options also accept the --opt=VALUE form.
#
#   <bip>               host address and prefix for docker0, e.g. 172.18.0.1/16
#   --daemon-json FILE  default /etc/docker/daemon.json (a symlink is followed)
#   --restart-cmd CMD   default `systemctl restart docker`; bounded by
#                       max(120, --timeout) seconds
#   --log-cmd CMD       default `journalctl -u docker -n 20 --no-pager`; its
#                       output ends the error message when Docker fails to return
#   --docker-check-cmd CMD  default `docker info --format {{.ID}}`; polled once a
#                       second until it succeeds or --timeout (default 30) expires
#   --unit-cmd CMD      default `systemctl cat docker`; a failure is ignored
#   --docker-pid-file FILE  where dockerd's pid is (default /run/docker.pid;
#                       when that names no running dockerd: `pidof dockerd`,
#                       unless this option was given)
#   --adopt yes|no      keep a --bip flag with the same value where it is
#                       (default no): see Adoption
#   --state-dir DIR     default /var/lib/dockernet
#   --lock FILE         default /run/lock/dockernet.lock, shared by all
#                       dockernet scripts; waited for up to --lock-wait (60) s
#   CMD values run with `sh -c`; they may only hold letters, digits, spaces and
#   _ . / : = , @ % + { } -   (no quoting, no shell operators).
#
# create: sets .bip in daemon.json (every other key is kept; the file is
#   rewritten by jq, so formatting may change) and restarts Docker, then waits
#   for it.  Refuses when daemon.json is not valid JSON, or when dockerd's
#   command line or its unit has a --bip flag (the flag wins over daemon.json).
#   If .bip already has the value: nothing is written, Docker is not restarted.
#   If Docker does not come back, the previous file is put back, Docker is
#   restarted again and the script fails (exit 3; 4 if Docker is still down).
# delete: puts back the value that was there before the FIRST create (or
#   removes .bip if there was none), the same way.  When the file has not been
#   touched by anyone else since, it is restored byte for byte (and removed if
#   create had created it).  If someone has changed .bip since, it is left
#   alone (warning on stderr) and only the record is dropped.
# check: exit 0 iff daemon.json's bip equals <bip> (for an adopted flag: iff
#   the flag is still there with <bip>).
#
# Adoption (--adopt yes).  A hand-made setup (the seed's) often passes the bip
#   as a flag: `--bip=172.18.0.1/16` in the unit's ExecStart.  With --adopt yes
#   and a flag of the same value (in the unit and, if there, on the running
#   dockerd's command line), create changes nothing on the host: no daemon.json
#   edit, no restart, no moment without docker0's address.  It records the
#   adoption in <state-dir>/adopted-bip.json, and delete only drops that record,
#   so the flag stays where the user put it.  Moving the flag into daemon.json
#   would cost one Docker restart (every container stops and starts); a user
#   who wants that removes the flag and runs up again: create then finds no
#   flag, writes the key (docker0 already has the address, so no restart) and
#   drops the adoption record.  A flag with another value is an error, adopt
#   or not.
#
# Files:
#   <daemon.json>.dockernet.bak   copy of daemon.json as it was before the
#                                 latest change; removed by a successful delete
#   <state-dir>/daemon-bip.json     record: file, value set, previous value
#   <state-dir>/adopted-bip.json    record of an adopted --bip flag (bip, where)
#   <state-dir>/daemon-bip.orig     daemon.json bytes before the first create
#   <state-dir>/daemon-bip.written  daemon.json bytes as dockernet last wrote them
#   (daemon-bip.orig/.written are kept only while a byte-exact restore is possible)
#   dockernet 0.2 named them bip.json, bip.orig, bip.written.  create and delete
#   move such a record to the names above first: a 0.2 stack can hold a second
#   bip resource for the same host whose delete (0.2 text) reads the old names,
#   and it must then find nothing to undo, since one DockerHost owns the bip now.
set -eu
DN_SCRIPT=bip.sh
umask 022

# shellcheck source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"

USAGE='usage: bip.sh create|delete|check <bip> [--daemon-json FILE] [--restart-cmd CMD] [--log-cmd CMD] [--docker-check-cmd CMD] [--unit-cmd CMD] [--state-dir DIR] [--lock FILE] [--lock-wait SECONDS] [--timeout SECONDS] [--docker-pid-file FILE] [--adopt yes|no]'

DAEMON_JSON=/etc/docker/daemon.json
RESTART_CMD='systemctl restart docker'
LOG_CMD='journalctl -u docker -n 20 --no-pager'
CHECK_CMD='docker info --format {{.ID}}'
UNIT_CMD='systemctl cat docker'
PID_FILE=/run/docker.pid
PID_FILE_GIVEN=0
TIMEOUT=30
ADOPT=no
BIP=
DN_HAVE_BIP=0

# ---------------------------------------------------------------- arguments
dn_take_action "$@"
shift
while [ $# -gt 0 ]; do
	case $1 in
	--*=* | --daemon-json | --restart-cmd | --log-cmd | --docker-check-cmd | --unit-cmd | --state-dir | --lock | --lock-wait | --timeout | --docker-pid-file | --adopt)
		dn_option_value "$@"
		shift "$DN_SHIFT"
		;;
	-*) dn_bad option "$1" "unknown option; $USAGE" ;;
	*)
		[ "$DN_HAVE_BIP" = 0 ] || dn_bad argument "$1" "only one <bip> is expected; $USAGE"
		BIP=$1
		DN_HAVE_BIP=1
		shift
		continue
		;;
	esac
	case $opt in
	--daemon-json) dn_check_path --daemon-json "$val" && DAEMON_JSON=$val ;;
	--restart-cmd) dn_check_cmd --restart-cmd "$val" && RESTART_CMD=$val ;;
	--log-cmd) dn_check_cmd --log-cmd "$val" && LOG_CMD=$val ;;
	--docker-check-cmd) dn_check_cmd --docker-check-cmd "$val" && CHECK_CMD=$val ;;
	--unit-cmd) dn_check_cmd --unit-cmd "$val" && UNIT_CMD=$val ;;
	--timeout) dn_check_seconds --timeout "$val" && TIMEOUT=$val ;;
	--docker-pid-file) dn_check_path --docker-pid-file "$val" && PID_FILE=$val && PID_FILE_GIVEN=1 ;;
	--adopt)
		case $val in yes | no) ADOPT=$val ;; *) dn_bad --adopt "$val" "expected yes or no" ;; esac
		;;
	*) dn_common_option "$opt" "$val" || dn_bad option "$opt" "unknown option; $USAGE" ;;
	esac
done
[ "$DN_HAVE_BIP" = 1 ] || dn_usage_error "missing <bip> (like 172.18.0.1/16); $USAGE"
dn_check_cidr '<bip>' "$BIP" host

for tool in jq mktemp; do
	command -v "$tool" >/dev/null 2>&1 || dn_die 3 "$tool is required but was not found"
done

# A symlinked daemon.json is edited where it points.
DJ=$DAEMON_JSON
if [ -L "$DJ" ]; then
	DJ=$(readlink -f -- "$DAEMON_JSON") || dn_die 3 "cannot resolve the symlink $DAEMON_JSON"
	case $DJ in
	/*[!A-Za-z0-9_./-]* | [!/]*) dn_die 3 "$DAEMON_JSON points to an unexpected path '$(dn_show "$DJ")'" ;;
	esac
fi
DJ_DIR=$(dirname -- "$DJ")
BAK=$DJ.dockernet.bak
REC=$DN_STATE_DIR/daemon-bip.json
REC_ORIG=$DN_STATE_DIR/daemon-bip.orig
REC_WRITTEN=$DN_STATE_DIR/daemon-bip.written
ADOPTED=$DN_STATE_DIR/adopted-bip.json
RESTART_BOUND=$TIMEOUT
[ "$RESTART_BOUND" -ge 120 ] || RESTART_BOUND=120
CHECK_BOUND=$TIMEOUT
[ "$CHECK_BOUND" -le 10 ] || CHECK_BOUND=10

# ---------------------------------------------------------------- cleanup
# Bookkeeping for rolling back when something fails unexpectedly.
TXN_RECORD=0 # 1 while the record was changed and daemon.json not yet switched
REC_SAVED=0  # 1 if the old record was saved in $DN_TMP/rec.*
undo_on_failure() {
	if [ "$1" -ne 0 ] && [ "$TXN_RECORD" = 1 ]; then
		record_rollback || true
	fi
}
dn_traps
trap 'dn_on_exit undo_on_failure' EXIT

# ---------------------------------------------------------------- helpers
# run_cmd SECONDS CMD: run CMD with `sh -c`, bounded, without our lock fd.
run_cmd() {
	if command -v timeout >/dev/null 2>&1; then
		timeout "$1" sh -c "$2" </dev/null 9>&-
	else
		sh -c "$2" </dev/null 9>&-
	fi
}

# load_current: snapshot daemon.json into $DN_TMP/cur (empty = `{}`), set
# CUR_EXISTS and CUR_MODE; die if it is not one valid JSON object.
load_current() {
	CUR_EXISTS=0
	CUR_MODE=0644
	: >"$DN_TMP/cur"
	if [ -e "$DJ" ]; then
		[ -f "$DJ" ] || dn_die 3 "$DJ is not a regular file"
		cat -- "$DJ" >"$DN_TMP/cur" || dn_die 3 "cannot read $DJ"
		CUR_EXISTS=1
		CUR_MODE=$(stat -c %a -- "$DJ") || dn_die 3 "cannot stat $DJ"
		if ! jq -s . <"$DN_TMP/cur" >/dev/null 2>"$DN_TMP/jq.err"; then
			dn_die 3 "$DJ is not valid JSON (comments are not allowed); fix the file by hand ($(dn_show "$(head -n 1 "$DN_TMP/jq.err")"))"
		fi
		jq -s -e 'length <= 1 and ((.[0] // {}) | type == "object")' <"$DN_TMP/cur" >/dev/null 2>&1 ||
			dn_die 3 "$DJ must hold a single JSON object; fix the file by hand"
	fi
}

# docker0_is CIDR: does docker0 have exactly this address now?
docker0_is() {
	[ "$(ip -4 -o addr show dev docker0 2>/dev/null | awk '$3 == "inet" { print $4; exit }')" = "$1" ]
}

# cur_bip_is VALUE: does the snapshot's .bip equal VALUE?
cur_bip_is() {
	jq -s -e --arg v "$1" '(.[0] // {}).bip == $v' <"$DN_TMP/cur" >/dev/null 2>&1
}
# cur_bip_text: the snapshot's .bip for messages.
cur_bip_text() {
	jq -s -r '(.[0] // {}) | if has("bip") then (.bip | if type == "string" then . else tojson end) else "(absent)" end' <"$DN_TMP/cur"
}

# find_bip_flags: look for --bip on the running dockerd's command line and in its unit.
# Each one found is a line "<value>\t<where>" in $DN_TMP/flags (value "" when it cannot be read).
# Dies if dockerd reads another config file than ours.
find_bip_flags() {
	: >"$DN_TMP/flags"
	pids=
	if [ -r "$PID_FILE" ]; then
		p=$(head -c 32 -- "$PID_FILE" 2>/dev/null | tr -cd '0-9') || p=
		if [ -n "$p" ] && [ "$(cat "/proc/$p/comm" 2>/dev/null || true)" = dockerd ]; then
			pids=$p
		fi
	fi
	if [ -z "$pids" ] && [ "$PID_FILE_GIVEN" = 0 ] && command -v pidof >/dev/null 2>&1; then
		pids=$(pidof dockerd 2>/dev/null || true)
	fi
	for p in $pids; do
		case $p in '' | *[!0-9]*) continue ;; esac
		tr '\0' '\n' <"/proc/$p/cmdline" >"$DN_TMP/cmdline" 2>/dev/null || continue
		# --bip=V or --bip V (the value is the next word)
		v=$(awk 'want { print; exit } /^--bip=/ { sub(/^--bip=/, ""); print; exit } /^--bip$/ { want = 1 }' "$DN_TMP/cmdline")
		if grep -Eq -e '^--bip(=|$)' "$DN_TMP/cmdline"; then
			printf '%s\tthe running dockerd (pid %s) was started with --bip=%s\n' "$(bip_word "$v")" "$p" "$(dn_show "$v")" >>"$DN_TMP/flags"
		fi
		cf=$(awk 'want { print; exit } /^--config-file=/ { sub(/^--config-file=/, ""); print; exit } /^--config-file$/ { want = 1 }' "$DN_TMP/cmdline")
		if [ -n "$cf" ]; then
			cf_real=$(readlink -f -- "$cf" 2>/dev/null || printf '%s' "$cf")
			dj_real=$(readlink -f -- "$DJ" 2>/dev/null || printf '%s' "$DJ")
			[ "$cf_real" = "$dj_real" ] ||
				dn_die 3 "the running dockerd (pid $p) reads its configuration from '$(dn_show "$cf")' (--config-file), not $DJ; pass that file as --daemon-json"
		fi
	done
	if unit=$(run_cmd 20 "$UNIT_CMD" 2>/dev/null); then
		line=$(printf '%s\n' "$unit" | grep -v '^[[:space:]]*[#;]' | grep -E -e "(^|[[:space:]=\"'])--bip([=[:space:]\"']|\$)" | tail -n 1 || true)
		if [ -n "$line" ]; then
			v=$(printf '%s\n' "$line" | sed -n "s/.*--bip[= ][\"']*\([^\"'[:space:]]*\).*/\1/p")
			printf '%s\tthe Docker service unit passes --bip=%s to dockerd (%s)\n' "$(bip_word "$v")" "$(dn_show "$v")" "$(dn_show "$line")" >>"$DN_TMP/flags"
		fi
	fi
}

# bip_word V: V when it is an address with prefix, else "" (a flag we cannot read).
bip_word() {
	case $1 in *[!0-9./]* | '') echo "" ;; *) echo "$1" ;; esac
}

# flags_are VALUE: every --bip flag found has VALUE (and there is at least one).
flags_are() {
	[ -s "$DN_TMP/flags" ] || return 1
	! awk -F '\t' -v v="$1" '$1 != v { bad = 1 } END { exit bad ? 0 : 1 }' "$DN_TMP/flags"
}

# refuse_or_adopt_flags: no --bip flag: return 1 (daemon.json is the way).  Flags with the
# declared value and --adopt yes: return 0 (adopt them).  Otherwise die, naming the flag.
refuse_or_adopt_flags() {
	find_bip_flags
	[ -s "$DN_TMP/flags" ] || return 1
	if [ "$ADOPT" = yes ] && flags_are "$BIP"; then
		return 0
	fi
	IFS=$(printf '\t') read -r fv where <"$DN_TMP/flags" || true
	if [ "$ADOPT" = yes ]; then
		awk -F '\t' -v v="$BIP" '$1 != v' "$DN_TMP/flags" >"$DN_TMP/flags.bad"
		IFS=$(printf '\t') read -r fv where <"$DN_TMP/flags.bad" || true
		[ -n "$fv" ] || fv='the value of the flag'
		dn_die 3 "$where, not the declared $BIP; adopt keeps only a flag with the declared value: declare bip $fv, or change the flag (then systemctl daemon-reload and restart Docker)"
	fi
	dn_die 3 "$where; that flag wins over daemon.json's \"bip\", so remove it from dockerd's command line (systemd unit or drop-in, /etc/default/docker, ...) first, or, when it has the declared value $BIP, set adopt: true on the host to keep it where it is (no restart)"
}

# adopt_flags: record the adopted flag; the host is not touched.
adopt_flags() {
	if [ -f "$ADOPTED" ] && jq -e --arg v "$BIP" '.bip == $v' "$ADOPTED" >/dev/null 2>&1; then
		return 0
	fi
	mkdir -p -- "$DN_STATE_DIR" || dn_die 3 "cannot create the state directory $DN_STATE_DIR"
	jq -R -s --arg v "$BIP" '{version: 1, bip: $v, where: (split("\n") | map(select(. != "") | split("\t")[1]))}' \
		<"$DN_TMP/flags" >"$DN_TMP/adopted.new" || dn_die 3 "cannot build $ADOPTED"
	dn_write_atomic "$DN_TMP/adopted.new" "$ADOPTED" 0600 || dn_die 3 "cannot write $ADOPTED"
	dn_say "adopted the --bip flag with $BIP where it is ($(cut -f 2 "$DN_TMP/flags" | head -n 1)); daemon.json untouched, Docker not restarted"
	DN_CHANGED=1
}

restart_docker() {
	dn_say "restarting Docker ($RESTART_CMD)"
	run_cmd "$RESTART_BOUND" "$RESTART_CMD" >&2
}

# wait_docker: poll CHECK_CMD until it succeeds (0) or TIMEOUT expires (1).
wait_docker() {
	wd_end=$(($(date +%s) + TIMEOUT))
	while :; do
		if run_cmd "$CHECK_BOUND" "$CHECK_CMD" >/dev/null 2>&1; then
			return 0
		fi
		[ "$(date +%s)" -lt "$wd_end" ] || return 1
		sleep 1
	done
}

# install_config NEW: make daemon.json hold file NEW, or remove it if NEW is "".
install_config() {
	if [ -n "$1" ]; then
		dn_write_atomic "$1" "$DJ" "$CUR_MODE"
	else
		rm -f -- "$DJ"
	fi
}

# record_save: keep a copy of the current record for rollback.
record_save() {
	for f in json orig written; do
		if [ -f "$DN_STATE_DIR/bip.$f" ]; then
			cp -p -- "$DN_STATE_DIR/bip.$f" "$DN_TMP/rec.$f" || return 1
		fi
	done
	REC_SAVED=1
}
# record_rollback: put the record back as record_save found it (create only).
record_rollback() {
	[ "$REC_SAVED" = 1 ] || return 0
	rm -f -- "$REC" "$REC_ORIG" "$REC_WRITTEN"
	for f in orig written json; do
		if [ -f "$DN_TMP/rec.$f" ]; then
			cp -p -- "$DN_TMP/rec.$f" "$DN_STATE_DIR/bip.$f" || return 1
		fi
	done
	if [ "${DIR_CREATED:-0}" = 1 ]; then
		rmdir -- "$DJ_DIR" 2>/dev/null || true
	fi
	dn_tidy_state_dir
	return 0
}
record_remove() {
	rm -f -- "$REC" "$REC_ORIG" "$REC_WRITTEN"
}

# switch_config NEW WHAT: back up daemon.json, install NEW ("" = remove the
# file), restart Docker and wait for it.  On failure put everything back,
# restart Docker again and die (3, or 4 when Docker stays down).
switch_config() {
	sc_new=$1
	sc_what=$2
	BAK_EXISTED=0
	if [ -f "$BAK" ]; then
		cp -p -- "$BAK" "$DN_TMP/oldbak" || dn_die 3 "cannot read $BAK"
		BAK_EXISTED=1
	fi
	if [ "$CUR_EXISTS" = 1 ]; then
		dn_write_atomic "$DN_TMP/cur" "$BAK" "$CUR_MODE" || dn_die 3 "cannot write the backup $BAK; nothing was changed"
	fi
	if ! install_config "$sc_new"; then
		restore_bak
		dn_die 3 "cannot write $DJ; nothing was changed"
	fi
	TXN_RECORD=0 # from here on failures are handled below, not by undo_on_failure
	if [ "${SKIP_RESTART:-0}" = 1 ]; then
		dn_say "docker0 already has the address Docker will use after $sc_what; not restarting Docker"
		return 0
	fi
	if restart_docker && wait_docker; then
		return 0
	fi
	dn_say "Docker did not come back after $sc_what; restoring the previous $DJ"
	if [ "$CUR_EXISTS" = 1 ]; then rb_new=$DN_TMP/cur; else rb_new=; fi
	if ! install_config "$rb_new"; then
		dn_die 4 "docker did not come back after $sc_what in $DJ, and restoring the previous file FAILED; the previous content is in $BAK - restore it by hand"
	fi
	record_rollback || dn_warn "could not restore the state record in $DN_STATE_DIR"
	restore_bak
	restart_docker || dn_warn "restarting Docker failed again"
	if wait_docker; then
		sc_state='Docker is running again'
		sc_rc=3
	else
		sc_state='Docker is STILL NOT running'
		sc_rc=4
	fi
	sc_log=$(run_cmd 30 "$LOG_CMD" 2>&1 | tail -n 60) || true
	dn_die "$sc_rc" "docker did not come back after $sc_what in $DJ; restored the previous daemon.json ($sc_state) - last daemon log lines:
$sc_log"
}
# restore_bak: put the backup file back as it was before this run.
restore_bak() {
	if [ "$BAK_EXISTED" = 1 ]; then
		dn_write_atomic "$DN_TMP/oldbak" "$BAK" "$(stat -c %a -- "$DN_TMP/oldbak")" || true
	else
		rm -f -- "$BAK"
	fi
}

# ---------------------------------------------------------------- actions
# migrate_record: a record under its 0.2 names moves to this version's (the .json last, so an
# interrupted move is finished by the next run); nothing happens when this version's exists.
migrate_record() {
	[ -f "$DN_STATE_DIR/bip.json" ] && [ ! -f "$REC" ] || return 0
	for mr_kind in orig written json; do
		if [ -f "$DN_STATE_DIR/bip.$mr_kind" ]; then
			mv -f -- "$DN_STATE_DIR/bip.$mr_kind" "$DN_STATE_DIR/daemon-bip.$mr_kind" ||
				dn_die 3 "cannot move $DN_STATE_DIR/bip.$mr_kind to daemon-bip.$mr_kind"
		fi
	done
}

do_check() {
	if [ -f "$ADOPTED" ]; then
		find_bip_flags
		if flags_are "$BIP"; then
			echo ok
			return 0
		fi
		if [ -s "$DN_TMP/flags" ]; then
			echo "differs: the adopted --bip flag now says $(cut -f 1 "$DN_TMP/flags" | tr '\n' ' ')(want $BIP)"
		else
			echo "differs: the adopted --bip flag ($BIP) is gone from dockerd's unit and command line"
		fi
		return 1
	fi
	load_current
	if cur_bip_is "$BIP"; then
		echo ok
		return 0
	fi
	if [ "$CUR_EXISTS" = 0 ]; then
		echo "differs: $DJ does not exist (want bip $BIP)"
	else
		echo "differs: bip in $DJ is $(dn_show "$(cur_bip_text)") (want $BIP)"
	fi
	return 1
}

do_create() {
	migrate_record
	load_current
	if refuse_or_adopt_flags; then
		adopt_flags
		return 0
	fi
	# No flag (any more): daemon.json is the way.  An adoption recorded before ends here
	# (the user took the flag out); it is dropped once daemon.json has the value.
	if cur_bip_is "$BIP"; then
		drop_adopted
		# Already there.  Keep the record's notion of "ours" in line.
		if [ -f "$REC" ] && ! jq -e --arg v "$BIP" '.set == $v' "$REC" >/dev/null 2>&1; then
			if ! jq --arg v "$BIP" '.set = $v' "$REC" >"$DN_TMP/rec.new" ||
				! dn_write_atomic "$DN_TMP/rec.new" "$REC" 0600; then
				dn_warn "could not update $REC"
			fi
		fi
		return 0
	fi

	mkdir -p -- "$DN_STATE_DIR" || dn_die 3 "cannot create the state directory $DN_STATE_DIR"
	DIR_CREATED=0
	record_save || dn_die 3 "cannot read the state record in $DN_STATE_DIR"
	TXN_RECORD=1
	if [ ! -f "$REC" ]; then
		# First change: remember what was there before, once.
		if [ ! -d "$DJ_DIR" ]; then
			mkdir -p -- "$DJ_DIR" || dn_die 3 "cannot create $DJ_DIR"
			DIR_CREATED=1
		fi
		if [ "$CUR_EXISTS" = 1 ]; then
			dn_write_atomic "$DN_TMP/cur" "$REC_ORIG" 0600 || dn_die 3 "cannot write $REC_ORIG"
			orig_exists=true
		else
			orig_exists=false
		fi
		if [ "$DIR_CREATED" = 1 ]; then dir_created=true; else dir_created=false; fi
		# docker0's address now, so delete can bring it back (see do_delete).
		eff=$(ip -4 -o addr show dev docker0 2>/dev/null | awk '$3 == "inet" { print $4; exit }') || eff=
		case "$eff" in *[!0-9./]*) eff= ;; esac
		jq -n --arg file "$DJ" --arg set "$BIP" --slurpfile c "$DN_TMP/cur" \
			--argjson origExists "$orig_exists" --argjson dirCreated "$dir_created" --arg eff "$eff" \
			'($c[0] // {}) as $d | {version: 1, file: $file, set: $set,
			  prevPresent: ($d | has("bip")), prev: $d.bip,
			  prevEffective: (if $eff == "" then null else $eff end),
			  origExists: $origExists, exact: true, dirCreated: $dirCreated}' \
			>"$DN_TMP/rec.new" || dn_die 3 "cannot build the state record"
	else
		record_validate
		# A byte-exact restore stays possible only while nobody else edited the file.
		exact=false
		if jq -e '.exact == true' "$REC" >/dev/null 2>&1 && written_matches; then
			exact=true
		fi
		jq --arg v "$BIP" --argjson exact "$exact" '.set = $v | .exact = $exact' "$REC" >"$DN_TMP/rec.new" ||
			dn_die 3 "cannot update the state record"
		if [ "$exact" = false ]; then
			rm -f -- "$REC_ORIG" "$REC_WRITTEN"
		fi
	fi
	dn_write_atomic "$DN_TMP/rec.new" "$REC" 0600 || dn_die 3 "cannot write $REC"

	jq -s --arg v "$BIP" '(.[0] // {}) | .bip = $v' <"$DN_TMP/cur" >"$DN_TMP/new" ||
		dn_die 3 "cannot compute the new $DJ"
	# docker0 already on this address (e.g. Docker's default 172.17.0.1/16): the key changes
	# nothing Docker runs with, so no restart, and none of the host's containers restart.
	SKIP_RESTART=0
	if docker0_is "$BIP"; then SKIP_RESTART=1; fi
	switch_config "$DN_TMP/new" "setting bip to $BIP"
	drop_adopted
	if jq -e '.exact == true' "$REC" >/dev/null 2>&1; then
		dn_write_atomic "$DN_TMP/new" "$REC_WRITTEN" 0600 || {
			dn_warn "could not write $REC_WRITTEN; delete will edit .bip instead of restoring the file byte for byte"
			if jq '.exact = false' "$REC" >"$DN_TMP/rec.new"; then
				dn_write_atomic "$DN_TMP/rec.new" "$REC" 0600 || true
			fi
			rm -f -- "$REC_ORIG" "$REC_WRITTEN"
		}
	fi
	DN_CHANGED=1
}

# record_validate: die unless the record is ours and about this daemon.json.
record_validate() {
	jq -e '.version == 1 and (.file | type == "string") and (.set | type == "string")
	       and (.prevPresent | type == "boolean") and (.exact | type == "boolean")' "$REC" >/dev/null 2>&1 ||
		dn_die 3 "the state record $REC is damaged; inspect it and remove it by hand"
	rec_file=$(jq -r '.file' "$REC")
	[ "$rec_file" = "$DJ" ] ||
		dn_die 3 "the state record $REC is about '$(dn_show "$rec_file")', not $DJ; use the matching --daemon-json or another --state-dir"
}

# written_matches: is daemon.json still exactly what dockernet last wrote?
written_matches() {
	[ "$CUR_EXISTS" = 1 ] && [ -f "$REC_WRITTEN" ] && cmp -s -- "$DN_TMP/cur" "$REC_WRITTEN"
}

# drop_adopted: forget an adoption record (the flag it named is gone).
drop_adopted() {
	if [ -f "$ADOPTED" ]; then
		rm -f -- "$ADOPTED" || dn_die 3 "cannot remove $ADOPTED"
	fi
}

do_delete() {
	migrate_record
	if [ -f "$ADOPTED" ]; then
		# The adopted flag stays where the user put it; only the record goes.
		dn_say "letting go of the adopted --bip flag ($(jq -r '.bip // "?"' "$ADOPTED" 2>/dev/null || true)); it stays where it is"
		drop_adopted
	fi
	if [ ! -f "$REC" ]; then
		rm -f -- "$REC_ORIG" "$REC_WRITTEN"
		dn_tidy_state_dir
		return 0
	fi
	record_validate
	load_current
	ours=$(jq -r '.set' "$REC")
	if ! cur_bip_is "$ours"; then
		dn_warn "bip in $DJ is now $(dn_show "$(cur_bip_text)"), not $ours as dockernet set it; leaving it alone and forgetting dockernet's record"
		record_remove
		rm -f -- "$BAK"
		dn_tidy_state_dir
		return 0
	fi
	DIR_CREATED=$(jq -r 'if .dirCreated == true then 1 else 0 end' "$REC")
	if jq -e '.exact == true' "$REC" >/dev/null 2>&1 && written_matches &&
		{ jq -e '.origExists == false' "$REC" >/dev/null 2>&1 || [ -f "$REC_ORIG" ]; }; then
		if jq -e '.origExists == true' "$REC" >/dev/null 2>&1; then
			cp -- "$REC_ORIG" "$DN_TMP/new" || dn_die 3 "cannot read $REC_ORIG"
			new=$DN_TMP/new
		else
			new=
		fi
	else
		jq -s --slurpfile r "$REC" '(.[0] // {}) | if $r[0].prevPresent then .bip = $r[0].prev else del(.bip) end' \
			<"$DN_TMP/cur" >"$DN_TMP/new" || dn_die 3 "cannot compute the restored $DJ"
		new=$DN_TMP/new
	fi
	if [ -n "$new" ] && [ "$CUR_EXISTS" = 1 ] &&
		[ "$(jq -S -s -c '.[0] // {}' <"$new")" = "$(jq -S -s -c '.[0] // {}' <"$DN_TMP/cur")" ]; then
		# Docker already runs with the previous settings: no restart; put the
		# previous bytes back if only the formatting differs.
		if ! cmp -s -- "$new" "$DN_TMP/cur"; then
			install_config "$new" || dn_die 3 "cannot write $DJ; nothing was changed"
			DN_CHANGED=1
		fi
		record_remove
		rm -f -- "$BAK"
		dn_tidy_state_dir
		return 0
	fi
	what=$(jq -r 'if .prevPresent then "setting bip back to " + (.prev | if type == "string" then . else tojson end) else "removing bip" end' "$REC")
	# Docker remembers the default bridge's last subnet in its own network store, so removing
	# bip alone would leave docker0 on dockernet's address. First put docker0 back on the
	# address it had before the first create (one restart with that bip), then remove the key.
	eff=$(jq -r '.prevEffective // empty' "$REC")
	if jq -e '.prevPresent == false' "$REC" >/dev/null 2>&1 && [ -n "$eff" ] && [ "$eff" != "$ours" ]; then
		jq -s --arg v "$eff" '(.[0] // {}) | .bip = $v' <"$DN_TMP/cur" >"$DN_TMP/step" ||
			dn_die 3 "cannot compute the intermediate $DJ"
		switch_config "$DN_TMP/step" "putting docker0 back on $eff"
		cp -- "$DN_TMP/step" "$DN_TMP/cur" || dn_die 3 "cannot copy the intermediate $DJ"
		CUR_EXISTS=1
	fi
	# Back to no bip while docker0 keeps the address it had before: nothing to restart for.
	SKIP_RESTART=0
	if jq -e '.prevPresent == false' "$REC" >/dev/null 2>&1 && [ "$eff" = "$ours" ] && docker0_is "$ours"; then
		SKIP_RESTART=1
	fi
	switch_config "$new" "$what"
	record_remove
	dn_tidy_state_dir
	rm -f -- "$BAK"
	if [ "$DIR_CREATED" = 1 ]; then
		rmdir -- "$DJ_DIR" 2>/dev/null || true
	fi
	DN_CHANGED=1
}

# ---------------------------------------------------------------- main
dn_tmp_init
dn_main
