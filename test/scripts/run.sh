#!/usr/bin/env bash
# $BSH/$RSH/$FSH hold a shell command of one or two words (SC2086); single
# quotes hold code for other shells (SC2016); rules are comma lists (SC2054).
# shellcheck disable=SC2086,SC2016,SC2054
# test/scripts/run.sh - test harness for components/host/scripts/*.sh
#
#   sudo bash test/scripts/run.sh            # all suites
#   sudo bash test/scripts/run.sh bip fw     # some suites: static bip routes fw
#
# Needs root, iproute2, iptables (nft and, if present, legacy), jq, flock;
# The shellcheck and busybox tools are used when present.
#
# Safety: the machine's own network namespace, /etc/docker and dockerd are
# never touched.  routes.sh and firewall.sh only ever run inside throwaway
# network namespaces (`ip netns exec dnscr-...`); bip.sh only ever gets files
# under a mktemp directory and fake restart/check/log/unit commands (and a
# PATH whose systemctl/docker/journalctl are stubs that record any call).
# Everything made here is removed on exit.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
S=$ROOT/components/host/scripts
SUITES=${*:-static bip routes fw boot swarm}

if [ "$(id -u)" != 0 ]; then
	echo "run.sh: must run as root (it creates network namespaces)" >&2
	exit 2
fi
for tool in ip iptables iptables-restore jq flock; do
	command -v "$tool" >/dev/null 2>&1 || {
		echo "run.sh: $tool is required" >&2
		exit 2
	}
done

T=$(mktemp -d /tmp/dnscr-test.XXXXXX)
chmod 755 "$T"
CANARY=$T/pwned
NSS=()
PIDS=()
cleanup() {
	local p n
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	for n in "${NSS[@]}"; do ip netns del "$n" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Stubs: a default command leaking into a test must not reach the real system.
mkdir -p "$T/stub"
for c in systemctl docker journalctl dockerd; do
	printf '#!/bin/sh\necho "%s $*" >>%s/LEAKED\nexit 1\n' "$c" "$T" >"$T/stub/$c"
	chmod +x "$T/stub/$c"
done
export PATH="$T/stub:$PATH"

# Shells the scripts are run with.  busybox's standalone shell prefers its own
# applets (its `ip` is not iproute2), so routes.sh runs under dash and bash.
SHELLS_ALL=(dash bash)
if command -v busybox >/dev/null 2>&1; then SHELLS_ALL+=("busybox sh"); fi

# ------------------------------------------------------------------ reporting
PASS=0
FAIL=0
FAILED=()
SECTION=
section() {
	SECTION=$1
	printf '\n== %s\n' "$1"
}
pass() {
	PASS=$((PASS + 1))
	printf '  ok   %s\n' "$1"
}
fail() {
	FAIL=$((FAIL + 1))
	FAILED+=("[$SECTION] $1")
	printf '  FAIL %s\n' "$1"
	if [ -n "${2:-}" ]; then printf '%s\n' "$2" | sed 's/^/         /' | head -n 40; fi
}
# t NAME CMD...: pass if CMD succeeds.
t() {
	local name=$1
	shift
	if "$@" >/dev/null; then pass "$name"; else fail "$name" "$(last_run)"; fi
}
last_run() { printf 'rc=%s\nstdout: %s\nstderr: %s' "${RC:-}" "${OUT:-}" "${ERR:-}"; }

# run CMD...: run, keeping stdout in OUT, stderr in ERR, exit code in RC.
run() {
	local ef="$T/stderr.$BASHPID"
	OUT=$("$@" 2>"$ef")
	RC=$?
	ERR=$(cat "$ef")
	rm -f "$ef"
}
last_line() { printf '%s\n' "$OUT" | tail -n 1; }
# expect NAME RC [LAST_STDOUT_LINE]: check the last run.
expect() {
	local name=$1 rc=$2 line=${3-}
	if [ "$RC" != "$rc" ]; then
		fail "$name (exit $RC, want $rc)" "$(last_run)"
	elif [ $# -ge 3 ] && [ "$(last_line)" != "$line" ]; then
		fail "$name (stdout '$(last_line)', want '$line')" "$(last_run)"
	else
		pass "$name"
	fi
}
err_has() { # NAME TEXT: stderr of the last run contains TEXT
	if [[ $ERR == *"$2"* ]]; then pass "$1"; else fail "$1 (stderr lacks '$2')" "$(last_run)"; fi
}
out_has() {
	if [[ $OUT == *"$2"* ]]; then pass "$1"; else fail "$1 (stdout lacks '$2')" "$(last_run)"; fi
}
same() { # NAME A B: two snapshots are equal
	if [ "$2" == "$3" ]; then pass "$1"; else fail "$1" "$(diff <(printf '%s\n' "$2") <(printf '%s\n' "$3"))"; fi
}
no_canary() {
	if [ -e "$CANARY" ]; then
		fail "$1: canary file appeared - injection executed!"
		rm -f "$CANARY"
	else
		pass "$1: canary absent"
	fi
}

# new_ns NAME: make a throwaway network namespace with lo up; its name is
# left in NEWNS (not printed: it must be recorded for cleanup in this shell).
NSN=0
new_ns() {
	NSN=$((NSN + 1))
	NEWNS="dnscr-$1-$$-$NSN"
	ip netns add "$NEWNS" || return 1
	NSS+=("$NEWNS")
	ip netns exec "$NEWNS" ip link set lo up
}

# ------------------------------------------------------------------ static
suite_static() {
	section "static checks"
	local f
	# What a host runs: each script with lib/common.sh in place of the line that sources it
	# (components/host/scripts.ts scriptText does the same when a command is built).
	for f in bip routes firewall swarm; do
		awk -v lib="$S/lib/common.sh" '
			$0 == "# shellcheck source=lib/common.sh" { next }
			$0 == ". \"$(dirname \"$0\")/lib/common.sh\"" {
				while ((getline l < lib) > 0) { if (l ~ /^# ---- BEGIN dockernet common/) on = 1; if (on) print l }
				next
			}
			{ print }' "$S/$f.sh" >"$T/sent-$f.sh"
		t "$f.sh sources lib/common.sh once, and holds no copy of it" \
			bash -c '[ "$(grep -c "lib/common.sh\"\$" "$1")" = 1 ] && ! grep -q "BEGIN dockernet common" "$1"' _ "$S/$f.sh"
		t "$f.sh as sent holds the shared block once" \
			bash -c '[ "$(grep -c "^# ---- BEGIN dockernet common" "$1")" = 1 ] && [ "$(grep -c "^# ---- END dockernet common" "$1")" = 1 ]' _ "$T/sent-$f.sh"
	done
	if command -v shellcheck >/dev/null 2>&1; then
		for f in bip routes firewall swarm; do
			run shellcheck -s sh -x -P SCRIPTDIR "$S/$f.sh"
			expect "shellcheck -s sh -x $f.sh (with lib/common.sh)" 0
			run shellcheck -s sh "$T/sent-$f.sh"
			expect "shellcheck -s sh $f.sh as sent" 0
		done
		run shellcheck "$ROOT/test/scripts/run.sh"
		expect "shellcheck test/scripts/run.sh" 0
	else
		echo "  (shellcheck not installed: skipped)"
	fi
	for f in "$S"/bip.sh "$S"/routes.sh "$S"/firewall.sh "$S"/swarm.sh; do
		t "$(basename "$f") starts with #!/bin/sh and set -eu" \
			bash -c '[ "$(head -n 1 "$1")" = "#!/bin/sh" ] && grep -qx "set -eu" "$1" && ! grep -q "set -x" "$1"' _ "$f"
	done
	for f in bip routes firewall swarm; do
		run sh "$S/$f.sh"
		expect "$f.sh without arguments: usage error" 2
		run sh "$S/$f.sh" frobnicate
		expect "$f.sh bad action: usage error" 2
		err_has "$f.sh error is prefixed" "dockernet $f.sh: "
	done
}

# ------------------------------------------------------------------ bip.sh
BAD_BIP=10.255.255.1/24 # the fake dockerd refuses to start with this bip
cat >"$T/fake-restart.sh" <<'EOF'
#!/bin/sh
# fake "systemctl restart docker": DAEMON_JSON UP_FLAG LOG [SLEEP]
echo restart >>"$3"
rm -f "$2"
[ -z "${4:-}" ] || sleep "$4"
if [ -f "$1" ] && ! jq -e . "$1" >/dev/null 2>&1; then exit 1; fi
if [ -f "$1" ] && jq -e '.bip == "10.255.255.1/24"' "$1" >/dev/null 2>&1; then exit 1; fi
touch "$2"
EOF

# bip_env: a fresh fake Docker host in $B.
bip_env() {
	B=$(mktemp -d "$T/bip.XXXXXX")
	mkdir "$B/etc"
	DJ=$B/etc/daemon.json
	printf '[Service]\nExecStart=/usr/bin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock\n' >"$B/unit"
	printf 'Nov 28 07:00:00 host dockerd[42]: failed to start daemon: fake daemon log line\n' >"$B/log"
	: >"$B/restarts"
	touch "$B/up"
	BIP_SLEEP=
}
restarts() { wc -l <"$B/restarts" | tr -d ' '; }
# bip ACTION [ARGS...]: run bip.sh against $B (ARGS override the defaults).
bip() { bip_script "$S/bip.sh" "$@"; }
# bip020 ACTION [ARGS...]: the same with bip.sh as dockernet 0.2.0 sent it (a fixture).
bip020() { bip_script "$ROOT/test/scripts/fixtures/bip-0.2.0.sh" "$@"; }
bip_script() {
	local script=$1 action=$2
	shift 2
	run $BSH "$script" "$action" \
		--daemon-json "$DJ" \
		--restart-cmd "sh $T/fake-restart.sh $DJ $B/up $B/restarts $BIP_SLEEP" \
		--docker-check-cmd "test -f $B/up" \
		--log-cmd "cat $B/log" \
		--unit-cmd "cat $B/unit" \
		--state-dir "$B/state" --lock "$B/lock" --timeout 2 \
		--docker-pid-file "$B/docker.pid" "$@"
}
# bip_opts: the same options, for background runs.
bip_bg() { # OUTFILE ARGS...
	local o=$1 action=$2
	shift 2
	$BSH "$S/bip.sh" "$action" --daemon-json "$DJ" \
		--restart-cmd "sh $T/fake-restart.sh $DJ $B/up $B/restarts $BIP_SLEEP" \
		--docker-check-cmd "test -f $B/up" --log-cmd "cat $B/log" --unit-cmd "cat $B/unit" \
		--state-dir "$B/state" --lock "$B/lock" --timeout 5 --docker-pid-file "$B/docker.pid" \
		"$@" >"$o" 2>"$o.err"
	echo "$?" >"$o.rc"
}
# snap: the files of the fake host that scripts may change (names, modes, bytes).
bip_snap() {
	(
		cd "$B" || exit 1
		find etc state -print 2>/dev/null | sort | while read -r f; do
			if [ -f "$f" ]; then
				printf '%s %s %s\n' "$f" "$(stat -c %a "$f")" "$(sha256sum <"$f" | cut -c 1-16)"
			else
				printf '%s %s\n' "$f" "$(stat -c %a "$f")"
			fi
		done
	)
}
jbip() { jq -r '.bip // "(absent)"' "$DJ"; }

ORIG_JSON='{
    "storage-driver": "vfs",
    "log-opts": { "max-size": "10m", "labels": ["a", "b"] },
  "default-address-pools": [{"base": "10.200.0.0/16", "size": 24}],
  "bip": "172.17.5.1/24",
  "debug": false,
  "features": {"buildkit": true, "nested": {"deeper": [1, 2.5, null]}}
}
'

suite_bip_shell() {
	BSH=$1
	section "bip.sh ($BSH)"
	local s0 s1

	# --- create / create again / check / delete / delete again
	bip_env
	printf '%s' "$ORIG_JSON" >"$DJ"
	chmod 644 "$DJ"
	cp "$DJ" "$B/orig"
	s0=$(bip_snap)
	bip create 172.18.0.1/16
	expect "create sets bip" 0 changed
	t "  bip is 172.18.0.1/16" test "$(jbip)" = 172.18.0.1/16
	t "  other keys kept (incl. nested)" cmp -s <(jq -S 'del(.bip)' "$B/orig") <(jq -S 'del(.bip)' "$DJ")
	t "  mode stays 0644" test "$(stat -c %a "$DJ")" = 644
	t "  Docker restarted once" test "$(restarts)" = 1
	t "  backup daemon.json.dockernet.bak = previous file" cmp -s "$B/orig" "$DJ.dockernet.bak"
	t "  state record written" test -f "$B/state/daemon-bip.json"
	t "  stdout is just the protocol line" test "$OUT" = changed
	s1=$(bip_snap)
	bip create 172.18.0.1/16
	expect "create again" 0 unchanged
	t "  no restart" test "$(restarts)" = 1
	same "  no file changed" "$s1" "$(bip_snap)"
	bip check 172.18.0.1/16
	expect "check (in state)" 0 ok
	bip check 172.19.0.1/16
	expect "check (other bip)" 1
	out_has "  says what differs" "differs: bip in $DJ is 172.18.0.1/16 (want 172.19.0.1/16)"
	same "  check changed nothing" "$s1" "$(bip_snap)"
	bip delete 172.18.0.1/16
	expect "delete" 0 changed
	t "  daemon.json byte-identical to the original" cmp -s "$B/orig" "$DJ"
	same "  host files as before create (no .bak, no record)" "$s0" "$(bip_snap)"
	t "  Docker restarted" test "$(restarts)" = 2
	bip delete 172.18.0.1/16
	expect "delete again" 0 unchanged
	t "  no restart" test "$(restarts)" = 2
	bip check 172.18.0.1/16
	expect "check after delete" 1

	# --- a record left by dockernet 0.2.0 (bip.json, .orig, .written): this version's create takes it
	#     over, so the 0.2.0 delete of a second resource for the host (left in a 0.2 stack whose two
	#     pairs shared the host) finds nothing to undo, and this version's delete restores the original
	bip_env
	printf '%s' "$ORIG_JSON" >"$DJ"
	cp "$DJ" "$B/orig"
	s0=$(bip_snap)
	bip020 create 172.18.0.1/16
	expect "0.2.0 create" 0 changed
	t "  0.2.0 record written" test -f "$B/state/bip.json"
	bip create 172.18.0.1/16
	expect "this version's create over a 0.2.0 record" 0 unchanged
	t "  no restart" test "$(restarts)" = 1
	t "  record moved to its new names" bash -c 'test -f "$1/daemon-bip.json" -a -f "$1/daemon-bip.orig" -a -f "$1/daemon-bip.written" -a ! -e "$1/bip.json" -a ! -e "$1/bip.orig" -a ! -e "$1/bip.written"' _ "$B/state"
	bip020 delete 172.18.0.1/16
	expect "a leftover 0.2.0 delete" 0 unchanged
	t "  bip kept" test "$(jbip)" = 172.18.0.1/16
	t "  no restart" test "$(restarts)" = 1
	bip delete 172.18.0.1/16
	expect "this version's delete" 0 changed
	t "  daemon.json byte-identical to the original" cmp -s "$B/orig" "$DJ"
	same "  host files as before the 0.2.0 create" "$s0" "$(bip_snap)"

	# --- two creates with different values: delete restores the ORIGINAL
	bip create 172.18.0.1/16
	expect "create A" 0 changed
	bip create 172.20.0.1/16
	expect "create B (other value)" 0 changed
	t "  bip is B" test "$(jbip)" = 172.20.0.1/16
	bip delete 172.20.0.1/16
	expect "delete after two creates" 0 changed
	t "  original bip 172.17.5.1/24 restored" test "$(jbip)" = 172.17.5.1/24
	t "  byte-identical to the original" cmp -s "$B/orig" "$DJ"
	same "  host files as before" "$s0" "$(bip_snap)"

	# --- back to the original value by hand of dockernet: delete has nothing to restore
	bip create 172.18.0.1/16 >/dev/null
	bip create 172.17.5.1/24
	expect "create with the original value after another" 0 changed
	local r0
	r0=$(restarts)
	bip delete 172.17.5.1/24
	expect "  delete: the previous settings are in force, only the formatting differs" 0 changed
	t "  no restart" test "$(restarts)" = "$r0"
	t "  byte-identical to the original" cmp -s "$B/orig" "$DJ"
	same "  host files as before" "$s0" "$(bip_snap)"

	# --- a record about another daemon.json is not used
	bip create 172.18.0.1/16 >/dev/null
	bip delete 172.18.0.1/16 --daemon-json "$B/etc/other.json"
	expect "record about another daemon.json: refused" 3
	err_has "  explains" "is about '$DJ', not $B/etc/other.json"
	bip delete 172.18.0.1/16 >/dev/null

	# --- someone edits another key in between: .bip is restored by jq, edit kept
	bip create 172.18.0.1/16 >/dev/null
	jq '.debug = true' "$DJ" >"$B/x" && cat "$B/x" >"$DJ"
	bip create 172.21.0.1/16
	expect "create B after a foreign edit" 0 changed
	bip delete 172.21.0.1/16
	expect "delete after a foreign edit" 0 changed
	t "  original bip restored" test "$(jbip)" = 172.17.5.1/24
	t "  the foreign edit is kept" test "$(jq -r .debug "$DJ")" = true
	t "  other keys kept" cmp -s <(jq -S 'del(.bip, .debug)' "$B/orig") <(jq -S 'del(.bip, .debug)' "$DJ")
	t "  no record left" test ! -e "$B/state/daemon-bip.json"

	# --- someone changed .bip since: delete leaves it
	bip_env
	printf '%s' "$ORIG_JSON" >"$DJ"
	bip create 172.18.0.1/16 >/dev/null
	jq '.bip = "172.22.0.1/16"' "$DJ" >"$B/x" && cat "$B/x" >"$DJ"
	cp "$DJ" "$B/edited"
	bip delete 172.18.0.1/16
	expect "delete when bip is no longer ours" 0 unchanged
	err_has "  says so on stderr" "leaving it alone"
	t "  file untouched" cmp -s "$B/edited" "$DJ"
	t "  record and backup removed" test ! -e "$B/state/daemon-bip.json" -a ! -e "$DJ.dockernet.bak"
	t "  no restart" test "$(restarts)" = 1

	# --- no daemon.json at all; then no /etc/docker either
	bip_env
	s0=$(bip_snap)
	bip create 172.18.0.1/16
	expect "create without daemon.json" 0 changed
	t "  file made, mode 0644" test "$(stat -c %a "$DJ")" = 644 -a "$(jq -c . "$DJ")" = '{"bip":"172.18.0.1/16"}'
	bip create 172.18.0.1/16
	expect "create again" 0 unchanged
	bip delete 172.18.0.1/16
	expect "delete" 0 changed
	t "  daemon.json removed again" test ! -e "$DJ"
	same "  host files as before" "$s0" "$(bip_snap)"
	DJ=$B/etc/docker/daemon.json
	bip create 172.18.0.1/16
	expect "create without the directory" 0 changed
	bip delete 172.18.0.1/16
	expect "delete" 0 changed
	t "  directory removed again" test ! -e "$B/etc/docker"

	# --- mode 0600 and symlinked daemon.json are kept
	bip_env
	printf '{"debug": true}\n' >"$B/etc/real.json"
	chmod 600 "$B/etc/real.json"
	ln -s real.json "$DJ"
	cp "$B/etc/real.json" "$B/orig"
	bip create 172.18.0.1/16
	expect "create through a symlink" 0 changed
	t "  symlink kept, target edited, mode 0600 kept" \
		test -L "$DJ" -a "$(jq -r .bip "$B/etc/real.json")" = 172.18.0.1/16 -a "$(stat -c %a "$B/etc/real.json")" = 600
	bip delete 172.18.0.1/16
	expect "delete through a symlink" 0 changed
	t "  target byte-identical, still a symlink" cmp -s "$B/orig" "$B/etc/real.json"
	t "  still a symlink" test -L "$DJ"

	# --- invalid JSON
	local bad
	for bad in '{\n  // Docker settings\n  "debug": true\n}\n' '{"debug": true,}\n' '{"a": 1}\n{"b": 2}\n' '["not", "an", "object"]\n'; do
		bip_env
		printf '%b' "$bad" >"$DJ"
		cp "$DJ" "$B/orig"
		s0=$(bip_snap)
		bip create 172.18.0.1/16
		expect "create with daemon.json $(printf '%s' "$bad" | head -c 22 | tr '\n' ' ')...: refused" 3
		if [[ $bad == *'"a": 1'* || $bad == *'not'* ]]; then
			err_has "  explains" "must hold a single JSON object"
		else
			err_has "  explains" "is not valid JSON (comments are not allowed); fix the file by hand"
		fi
		t "  file byte-identical" cmp -s "$B/orig" "$DJ"
		same "  nothing else written" "$s0" "$(bip_snap)"
		t "  no restart" test "$(restarts)" = 0
	done
	bip check 172.18.0.1/16
	expect "check with invalid JSON: error, not 'differs'" 3

	# --- a --bip flag in the unit or on the running dockerd
	bip_env
	printf '{"debug": true}\n' >"$DJ"
	cp "$DJ" "$B/orig"
	printf '[Service]\n# ExecStart=/usr/bin/dockerd --bip=10.1.0.1/16 (a comment)\nExecStart=/usr/bin/dockerd -H fd://\n' >"$B/unit"
	bip create 172.18.0.1/16
	expect "commented-out --bip in the unit is ignored" 0 changed
	bip delete 172.18.0.1/16 >/dev/null
	local unitline
	for unitline in 'ExecStart=/usr/bin/dockerd -H fd:// --bip=172.18.0.1/16' 'ExecStart=/usr/bin/dockerd --bip 10.1.0.1/16 -H fd://' 'Environment=DOCKER_OPTS=--bip=10.1.0.1/16'; do
		printf '[Service]\n%s\n' "$unitline" >"$B/unit"
		s0=$(bip_snap)
		bip create 172.18.0.1/16
		expect "unit with '$unitline': refused" 3
		err_has "  says the flag wins" "wins over daemon.json"
		same "  nothing changed" "$s0" "$(bip_snap)"
	done
	bip create 172.18.0.1/16 --unit-cmd false
	expect "a failing unit command is ignored" 0 changed
	bip delete 172.18.0.1/16 --unit-cmd false >/dev/null
	printf '#!/bin/sh\nsleep 60 &\np=$!\ntrap "kill $p; exit 0" TERM\nwait $p\n' >"$B/dockerd"
	chmod +x "$B/dockerd"
	"$B/dockerd" --bip=10.1.0.1/16 -H fd:// &
	PIDS+=($!)
	echo $! >"$B/docker.pid"
	sleep 0.2
	s0=$(bip_snap)
	bip create 172.18.0.1/16
	expect "running dockerd with --bip: refused" 3
	err_has "  names the pid and the flag" "(pid $(cat "$B/docker.pid")) was started with --bip=10.1.0.1/16"
	same "  nothing changed" "$s0" "$(bip_snap)"
	kill "$(cat "$B/docker.pid")"
	"$B/dockerd" --config-file /etc/docker/other.json &
	PIDS+=($!)
	echo $! >"$B/docker.pid"
	sleep 0.2
	bip create 172.18.0.1/16
	expect "dockerd reading another --config-file: refused" 3
	err_has "  explains" "(--config-file), not $DJ"
	kill "$(cat "$B/docker.pid")"
	echo 999999999 >"$B/docker.pid"
	printf '[Service]\nExecStart=/usr/bin/dockerd -H fd://\n' >"$B/unit"
	bip create 172.18.0.1/16
	expect "stale pid file is ignored" 0 changed

	# --- adoption of a --bip flag with the declared value (--adopt yes)
	bip_env
	printf '{"debug": true}\n' >"$DJ"
	printf '[Service]\nExecStart=/usr/bin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock --bip=172.18.0.1/16\n' >"$B/unit"
	s0=$(bip_snap)
	bip create 172.18.0.1/16
	expect "the seed's unit flag without adopt: refused" 3
	err_has "  names the unit line" "--bip=172.18.0.1/16"
	err_has "  says adopt exists" "set adopt: true"
	same "  nothing changed" "$s0" "$(bip_snap)"
	bip create 172.18.0.1/16 --adopt yes
	expect "adopt yes, same value: adopted" 0 changed
	err_has "  says where the flag stays" "adopted the --bip flag with 172.18.0.1/16 where it is"
	t "  daemon.json untouched" test "$(cat "$DJ")" = '{"debug": true}'
	t "  no restart" test "$(restarts)" = 0
	t "  adoption recorded" jq -e '.bip == "172.18.0.1/16" and (.where | length) == 1' "$B/state/adopted-bip.json"
	s1=$(bip_snap)
	bip create 172.18.0.1/16 --adopt yes
	expect "adopt again" 0 unchanged
	same "  nothing changed" "$s1" "$(bip_snap)"
	bip check 172.18.0.1/16
	expect "check of the adopted flag" 0 ok
	printf '[Service]\nExecStart=/usr/bin/dockerd -H fd:// --bip 10.1.0.1/16\n' >"$B/unit"
	bip check 172.18.0.1/16
	expect "check: adopted flag changed by hand" 1
	out_has "  says what it says now" "now says 10.1.0.1/16"
	s1=$(bip_snap)
	bip create 172.18.0.1/16 --adopt yes
	expect "adopt yes, other value: refused" 3
	err_has "  names both values" "passes --bip=10.1.0.1/16 to dockerd (ExecStart=/usr/bin/dockerd -H fd:// --bip 10.1.0.1/16), not the declared 172.18.0.1/16"
	same "  nothing changed" "$s1" "$(bip_snap)"
	printf '[Service]\nExecStart=/usr/bin/dockerd -H fd:// --bip=172.18.0.1/16\n' >"$B/unit"
	bip delete 172.18.0.1/16
	expect "delete of the adopted flag" 0
	err_has "  says it stays" "it stays where it is"
	same "  host as before adoption (no state left)" "$s0" "$(bip_snap)"
	t "  unit untouched" grep -q -- '--bip=172.18.0.1/16' "$B/unit"
	t "  no restart" test "$(restarts)" = 0
	# the user takes the flag out later: create moves the value into daemon.json, drops the record
	bip create 172.18.0.1/16 --adopt yes >/dev/null 2>&1
	printf '[Service]\nExecStart=/usr/bin/dockerd -H fd://\n' >"$B/unit"
	bip check 172.18.0.1/16
	expect "check: adopted flag gone" 1
	out_has "  says it is gone" "is gone from dockerd's unit and command line"
	bip create 172.18.0.1/16 --adopt yes
	expect "flag gone: daemon.json gets the value" 0 changed
	t "  bip in daemon.json" test "$(jbip)" = 172.18.0.1/16
	t "  adoption record dropped" test ! -e "$B/state/adopted-bip.json"
	bip delete 172.18.0.1/16 >/dev/null
	t "  delete then removes the key" test "$(jbip)" = "(absent)"
	# a running dockerd with the flag (and none in the unit)
	"$B/dockerd" -H fd:// --bip 172.18.0.1/16 &
	PIDS+=($!)
	echo $! >"$B/docker.pid"
	sleep 0.2
	s0=$(bip_snap)
	bip create 172.18.0.1/16 --adopt yes
	expect "running dockerd's --bip with adopt: adopted" 0 changed
	bip delete 172.18.0.1/16
	expect "and let go" 0
	same "  nothing left" "$s0" "$(bip_snap)"
	kill "$(cat "$B/docker.pid")"
	bip create 172.18.0.1/16 --adopt maybe
	expect "--adopt maybe: usage error" 2

	# --- Docker does not come back
	bip_env
	printf '%s' "$ORIG_JSON" >"$DJ"
	cp "$DJ" "$B/orig"
	s0=$(bip_snap)
	bip create 172.18.0.1/16 --restart-cmd false
	expect "restart-cmd fails (Docker still answers)" 3
	err_has "  says it restored" "docker did not come back after setting bip to 172.18.0.1/16 in $DJ; restored the previous daemon.json (Docker is running again)"
	err_has "  includes the daemon log" "fake daemon log line"
	t "  file byte-identical" cmp -s "$B/orig" "$DJ"
	same "  no record, no backup left" "$s0" "$(bip_snap)"
	bip create 172.18.0.1/16 --restart-cmd false --docker-check-cmd false
	expect "restart-cmd fails and Docker stays down" 4
	err_has "  says Docker is STILL NOT running" "restored the previous daemon.json (Docker is STILL NOT running) - last daemon log lines:"
	t "  file byte-identical" cmp -s "$B/orig" "$DJ"
	same "  no record, no backup left" "$s0" "$(bip_snap)"
	touch "$B/up"
	bip create "$BAD_BIP"
	expect "dockerd refuses the new bip; restored one works" 3
	err_has "  says Docker is running again" "(Docker is running again)"
	t "  file byte-identical" cmp -s "$B/orig" "$DJ"
	t "  restarted twice (new, then restored)" test "$(restarts)" = 2
	t "  Docker is up" test -f "$B/up"
	same "  no record, no backup left" "$s0" "$(bip_snap)"
	local t0
	t0=$(date +%s)
	bip create 172.18.0.1/16 --restart-cmd true --docker-check-cmd "test -f $B/never"
	expect "restart succeeds but Docker never answers" 4
	t "  waited for --timeout, twice" test $(($(date +%s) - t0)) -ge 2
	t "  file byte-identical" cmp -s "$B/orig" "$DJ"
	# a delete whose restart fails keeps the record, so it can be retried
	bip create 172.18.0.1/16 >/dev/null
	cp "$DJ" "$B/created"
	bip delete 172.18.0.1/16 --restart-cmd false --docker-check-cmd false
	expect "delete whose restart fails" 4
	t "  daemon.json back to the created state" cmp -s "$B/created" "$DJ"
	t "  record kept" test -f "$B/state/daemon-bip.json"
	bip delete 172.18.0.1/16
	expect "delete retried" 0 changed
	t "  original restored" cmp -s "$B/orig" "$DJ"

	# --- the lock
	bip_env
	printf '{}\n' >"$DJ"
	BIP_SLEEP=1
	bip_bg "$B/o1" create 172.18.0.1/16 &
	local p1=$!
	bip_bg "$B/o2" create 172.18.0.1/16 &
	local p2=$!
	wait "$p1" "$p2"
	t "two concurrent identical creates: both exit 0" test "$(cat "$B/o1.rc")$(cat "$B/o2.rc")" = 00
	t "  one changed, one unchanged" test "$(sort "$B/o1" "$B/o2" | tr '\n' ' ')" = "changed unchanged "
	t "  one restart" test "$(restarts)" = 1
	t "  final bip right" test "$(jbip)" = 172.18.0.1/16
	bip_bg "$B/o1" create 172.19.0.1/16 &
	p1=$!
	bip_bg "$B/o2" create 172.20.0.1/16 &
	p2=$!
	wait "$p1" "$p2"
	t "two concurrent creates, different values: both changed" test "$(cat "$B/o1" "$B/o2" | tr '\n' ' ')" = "changed changed "
	t "  restarts serialised (3 in all)" test "$(restarts)" = 3
	t "  final bip is one of them, record says so" \
		bash -c '[ "$(jq -r .bip "$1")" = "$(jq -r .set "$2")" ] && [[ $(jq -r .bip "$1") == 172.19.0.1/16 || $(jq -r .bip "$1") == 172.20.0.1/16 ]]' _ "$DJ" "$B/state/daemon-bip.json"
	BIP_SLEEP=
	bip delete 172.19.0.1/16
	expect "  delete restores the original" 0 changed
	t "  original (no bip) back" test "$(jq -c . "$DJ")" = '{}'
	flock "$B/lock" sleep 3 &
	PIDS+=($!)
	sleep 0.3
	bip create 172.18.0.1/16 --lock-wait 1
	expect "lock held elsewhere: gives up after --lock-wait" 3
	err_has "  clear message" "gave up after waiting 1 s for the dockernet lock"
	t "  nothing changed" test "$(jq -c . "$DJ")" = '{}'
	t0=$(date +%s)
	bip create 172.18.0.1/16
	expect "lock held elsewhere: waits, then runs" 0 changed
	t "  it waited" test $(($(date +%s) - t0)) -ge 1

	# --- argument validation / injection
	bip_env
	printf '{}\n' >"$DJ"
	s0=$(bip_snap)
	local a
	for a in "172.18.0.1/16;touch $CANARY" "\$(touch $CANARY)" "\`touch $CANARY\`" "172.18.0.1/16 && touch $CANARY" \
		"172.18.0.1/16
touch $CANARY" "172.18.0.1/16|touch $CANARY" 300.1.1.1/16 172.18.0.1/33 172.18.0.1 172.18.0.0/16 172.18.255.255/16 \
		0172.18.0.1/16 172.018.0.1/16 172.18.0.1/016 172.18.0.1/31 ' 172.18.0.1/16' ''; do
		bip create "$a"
		expect "bip '$(printf '%s' "$a" | tr '\n' '~')' rejected" 2
		err_has "  names the argument" "invalid <bip>"
	done
	for a in "--daemon-json=$B/x;touch $CANARY" "--daemon-json=etc/daemon.json" "--daemon-json=$B/../x" \
		"--restart-cmd=true; touch $CANARY" "--restart-cmd=true \$(touch $CANARY)" "--restart-cmd=true && touch $CANARY" \
		"--restart-cmd=true | touch $CANARY" "--restart-cmd=touch $CANARY >x" "--log-cmd=\`touch $CANARY\`" \
		"--docker-check-cmd=test -f '$CANARY'" "--unit-cmd=cat x
touch $CANARY" "--state-dir=\$(touch $CANARY)" "--lock=$B/l;touch $CANARY" "--timeout=1;touch $CANARY" \
		"--timeout=0" "--timeout=3601" "--timeout=010" "--lock-wait=x" "--docker-pid-file=\$(touch $CANARY)"; do
		bip create 172.18.0.1/16 "$a"
		expect "option '$(printf '%s' "$a" | tr '\n' '~')' rejected" 2
		err_has "  names the option" "invalid ${a%%=*} '"
	done
	bip create 172.18.0.1/16 --bogus x
	expect "unknown option rejected" 2
	bip create 172.18.0.1/16 172.19.0.1/16
	expect "two <bip> rejected" 2
	bip create 172.18.0.1/16 --timeout
	expect "option without value rejected" 2
	no_canary "bip injection attempts"
	same "  nothing changed by rejected calls" "$s0" "$(bip_snap)"
	t "  no restart" test "$(restarts)" = 0
	bip create 172.18.0.1/16 "--restart-cmd=sh $T/fake-restart.sh $DJ $B/up $B/restarts" "--docker-check-cmd=test -f $B/up"
	expect "the --opt=VALUE form works" 0 changed
}

# ------------------------------------------------------------------ routes.sh
routes_snap() {
	ip netns exec "$RNS" ip -4 -N route show table all
	find "$R/state" -type f 2>/dev/null | sort | while read -r f; do
		echo "== $f"
		cat "$f"
	done
}
rt() { run ip netns exec "$RNS" $RSH "$S/routes.sh" "$@" --state-dir "$R/state" --lock "$R/lock"; }
rts() { ip netns exec "$RNS" ip -4 -N route show table main proto "${2:-187}" exact "$1"; }

suite_routes_shell() {
	RSH=$1
	section "routes.sh ($RSH)"
	R=$(mktemp -d "$T/routes.XXXXXX")
	new_ns rt || {
		fail "cannot create a network namespace"
		return
	}
	RNS=$NEWNS
	local nsx="ip netns exec $RNS"
	$nsx ip link add v0 type veth peer name v1
	$nsx ip link set v0 up
	$nsx ip link set v1 up
	$nsx ip addr add 10.9.0.1/24 dev v0
	$nsx ip addr add 172.30.0.1/16 dev v1 # like a local Docker network
	$nsx ip route add 192.0.2.0/24 via 10.9.0.2 proto static
	local s0 s1
	s0=$(routes_snap)

	rt create --tag a 172.18.0.0/16=10.9.0.2 172.19.0.0/16=10.9.0.3 10.50.1.7/32=10.9.0.2
	expect "create (3 routes)" 0 changed
	t "  172.18.0.0/16 via 10.9.0.2 proto 187" test "$(rts 172.18.0.0/16)" = "172.18.0.0/16 via 10.9.0.2 dev v0 "
	t "  172.19.0.0/16 via 10.9.0.3 proto 187" test "$(rts 172.19.0.0/16)" = "172.19.0.0/16 via 10.9.0.3 dev v0 "
	t "  10.50.1.7/32 via 10.9.0.2 proto 187" test "$(rts 10.50.1.7/32)" = "10.50.1.7 via 10.9.0.2 dev v0 "
	t "  record routes.a" test -f "$R/state/routes.a"
	s1=$(routes_snap)
	rt create --tag a 172.18.0.0/16=10.9.0.2 172.19.0.0/16=10.9.0.3 10.50.1.7/32=10.9.0.2
	expect "create again" 0 unchanged
	same "  routes and record unchanged" "$s1" "$(routes_snap)"
	rt create --tag a 10.50.1.7/32=10.9.0.2 172.19.0.0/16=10.9.0.3 172.18.0.0/16=10.9.0.2
	expect "create again, other order" 0 unchanged
	same "  routes and record unchanged" "$s1" "$(routes_snap)"
	rt check --tag a 172.18.0.0/16=10.9.0.2 172.19.0.0/16=10.9.0.3 10.50.1.7/32=10.9.0.2
	expect "check" 0 ok
	same "  check changed nothing" "$s1" "$(routes_snap)"
	rt check --tag a 172.18.0.0/16=10.9.0.3 172.19.0.0/16=10.9.0.3 10.50.1.7/32=10.9.0.2
	expect "check, other gateway" 1
	out_has "  says what differs" "differs: the route to 172.18.0.0/16 goes via 10.9.0.2, want 10.9.0.3"
	rt check --tag a 172.18.0.0/16=10.9.0.2
	expect "check, fewer routes" 1
	out_has "  names a leftover" "differs: leftover route to 172.19.0.0/16 via 10.9.0.3"

	rt create --tag b 172.21.0.0/16=10.9.0.3
	expect "second tag b" 0 changed
	rt create --tag a 172.18.0.0/16=10.9.0.2 172.19.0.0/16=10.9.0.3 10.50.1.7/32=10.9.0.2
	expect "tag a again: b's route not touched" 0 unchanged
	t "  b's route there" test -n "$(rts 172.21.0.0/16)"
	s1=$(routes_snap)
	rt create --tag b 172.21.0.0/16=10.9.0.3 172.18.0.0/16=10.9.0.2
	expect "tag b claims a's destination: refused" 3
	err_has "  names the owner" "a route to 172.18.0.0/16 is managed by another dockernet resource (tag a)"
	same "  nothing changed" "$s1" "$(routes_snap)"

	rt create --tag a 172.18.0.0/16=10.9.0.2 172.30.0.0/16=10.9.0.2
	expect "destination with a local (proto kernel) route: refused" 3
	err_has "  names the foreign route" "a route to 172.30.0.0/16 already exists and is not managed by dockernet: 172.30.0.0/16 dev v1 proto 2"
	err_has "  says what to do" "remove it or choose another subnet"
	same "  nothing changed" "$s1" "$(routes_snap)"
	rt create --tag a 192.0.2.0/24=10.9.0.2 172.18.0.0/16=10.9.0.2
	expect "destination with a proto static route: refused" 3
	err_has "  names it" "a route to 192.0.2.0/24 already exists and is not managed by dockernet: 192.0.2.0/24 via 10.9.0.2 dev v0 proto 4"
	same "  nothing changed" "$s1" "$(routes_snap)"

	rt create --tag a 172.18.0.0/16=10.9.0.3 172.20.0.0/16=10.9.0.2
	expect "converge: replace a gateway, add one, drop two" 0 changed
	t "  172.18.0.0/16 now via 10.9.0.3" test "$(rts 172.18.0.0/16)" = "172.18.0.0/16 via 10.9.0.3 dev v0 "
	t "  172.20.0.0/16 added" test "$(rts 172.20.0.0/16)" = "172.20.0.0/16 via 10.9.0.2 dev v0 "
	t "  172.19.0.0/16 and 10.50.1.7 removed" test -z "$(rts 172.19.0.0/16)$(rts 10.50.1.7/32)"
	t "  b's route kept" test -n "$(rts 172.21.0.0/16)"
	rt check --tag a 172.18.0.0/16=10.9.0.3 172.20.0.0/16=10.9.0.2
	expect "  check" 0 ok

	s1=$(routes_snap)
	rt create --tag a 172.18.0.0/16=10.9.0.3 172.22.0.0/16=10.9.0.2 172.23.0.0/16=10.99.0.1
	expect "an add fails midway (unreachable gateway)" 3
	err_has "  says it undid" "undid this run's changes"
	same "  routes and record as before (earlier add and delete undone)" "$s1" "$(routes_snap)"
	rt create --tag a 172.18.0.0/16=10.99.0.1
	expect "a replace fails after a delete" 3
	same "  routes and record as before" "$s1" "$(routes_snap)"

	$nsx ip route add 172.24.0.0/16 via 10.9.0.2 proto 187
	rt create --tag c 172.24.0.0/16=10.9.0.2
	expect "an unrecorded proto-187 route is adopted" 0 unchanged
	rt check --tag c 172.24.0.0/16=10.9.0.2
	expect "  check" 0 ok
	rt delete --tag c
	expect "  delete removes it" 0 changed
	t "  gone" test -z "$(rts 172.24.0.0/16)"

	rt create --tag d 172.25.0.0/16=10.9.0.2 >/dev/null
	$nsx ip route replace 172.25.0.0/16 via 10.9.0.3 proto 187
	rt delete --tag d
	expect "delete when the gateway was changed by hand" 0 unchanged
	err_has "  warns" "does not go via 10.9.0.2 as recorded"
	t "  route left" test -n "$(rts 172.25.0.0/16)"
	$nsx ip route del 172.25.0.0/16 proto 187

	rt create --tag p 172.26.0.0/16=10.9.0.2 --proto 200
	expect "--proto 200" 0 changed
	t "  route has proto 200" test -n "$(rts 172.26.0.0/16 200)" -a -z "$(rts 172.26.0.0/16)"
	rt check --tag p 172.26.0.0/16=10.9.0.2 --proto 200
	expect "  check" 0 ok
	rt delete --tag p --proto 200
	expect "  delete" 0 changed

	rt delete --tag a 172.18.0.0/16=10.9.0.3 172.20.0.0/16=10.9.0.2
	expect "delete tag a" 0 changed
	t "  a's routes gone" test -z "$(rts 172.18.0.0/16)$(rts 172.20.0.0/16)"
	t "  b's route kept" test -n "$(rts 172.21.0.0/16)"
	rt delete --tag a
	expect "delete tag a again" 0 unchanged
	rt check --tag a 172.18.0.0/16=10.9.0.3
	expect "check after delete" 1
	rt delete --tag b
	expect "delete tag b" 0 changed
	same "routes and state exactly as before the tests" "$s0" "$(routes_snap)"
	rt delete --tag zz 172.30.0.0/16=10.9.0.2 192.0.2.0/24=10.9.0.2
	expect "delete never removes routes that are not dockernet's" 0 unchanged
	same "  routes unchanged" "$s0" "$(routes_snap)"

	# concurrency: two tags and one tag twice, at once
	local i pa=() pb=()
	for i in 1 2 3 4 5 6; do
		pa+=("172.3$i.0.0/16=10.9.0.2")
		pb+=("10.6$i.0.0/16=10.9.0.3")
	done
	(rt create --tag e "${pa[@]}" && echo "$RC $OUT" >"$R/oe") &
	local p1=$!
	(rt create --tag f "${pb[@]}" && echo "$RC $OUT" >"$R/of") &
	local p2=$!
	wait "$p1" "$p2"
	t "two concurrent creates (tags e, f): both changed" test "$(cat "$R/oe" "$R/of" | tr '\n' ' ')" = "0 changed 0 changed "
	rt check --tag e "${pa[@]}"
	expect "  tag e complete" 0 ok
	rt check --tag f "${pb[@]}"
	expect "  tag f complete" 0 ok
	(rt create --tag e "${pa[@]:0:3}" && echo "$RC $OUT" >"$R/o1") &
	p1=$!
	(rt create --tag e "${pa[@]:3:3}" && echo "$RC $OUT" >"$R/o2") &
	p2=$!
	wait "$p1" "$p2"
	rt check --tag e "${pa[@]:0:3}"
	local c1=$RC
	rt check --tag e "${pa[@]:3:3}"
	t "two concurrent creates of one tag: exactly one set is in place" test "$c1$RC" = 01 -o "$c1$RC" = 10
	rt delete --tag e
	rt delete --tag f
	same "  all cleaned up" "$s0" "$(routes_snap)"

	# argument validation / injection
	local a
	for a in "172.18.0.0/16;touch $CANARY=10.9.0.2" "172.18.0.0/16=10.9.0.2;touch $CANARY" "\$(touch $CANARY)=10.9.0.2" \
		"172.18.0.0/16=\`touch $CANARY\`" "172.18.0.1/16=10.9.0.2" "172.18.0.0/16" "172.18.0.0/16=10.9.0.2=1" \
		"=10.9.0.2" "172.18.0.0/16=" "0.0.0.0/0=10.9.0.2" "172.18.0.0/16=10.9.0.256" "fd00::/64=10.9.0.2" \
		"172.18.0.0/16=10.9.0.2
touch $CANARY"; do
		rt create --tag x "$a"
		expect "pair '$(printf '%s' "$a" | tr '\n' '~')' rejected" 2
		err_has "  names the argument" "invalid <"
	done
	for a in "--tag=../x" "--tag=a b" "--tag=.hidden" "--tag=a;touch $CANARY" "--tag=" "--proto=4" "--proto=256" \
		"--proto=187;touch $CANARY" "--proto=0187" "--state-dir=\$(touch $CANARY)" "--lock=rel/lock"; do
		rt create "$a" 172.18.0.0/16=10.9.0.2
		expect "option '$a' rejected" 2
		err_has "  names the option" "invalid ${a%%=*} '"
	done
	rt create --tag x 172.18.0.0/16=10.9.0.2 172.18.0.0/16=10.9.0.3
	expect "the same destination twice rejected" 2
	no_canary "routes injection attempts"
	same "  nothing changed" "$s0" "$(routes_snap)"
}

# ------------------------------------------------------------------ firewall.sh
fw_snap() { ip netns exec "$FNS" env PATH="$FPATH" iptables-save | grep -v '^#' | sed 's/\[[0-9:]*\]//'; }
# Docker's version is asked only where a test says what it is (--docker-version-cmd); elsewhere
# "false" stands for a Docker that does not answer, so the machine's own docker is never asked.
fw() {
	case " $* " in *" --docker-version-cmd "*) ;; *) set -- "$@" --docker-version-cmd false ;; esac
	run ip netns exec "$FNS" env PATH="$FPATH" $FSH "$S/firewall.sh" "$@" --state-dir "$F/state" --lock "$F/lock"
}
ipt() { ip netns exec "$FNS" env PATH="$FPATH" iptables -w "$@"; }

suite_fw() {
	FSH=$1
	local backend=$2
	section "firewall.sh ($FSH, iptables $backend)"
	F=$(mktemp -d "$T/fw.XXXXXX")
	FPATH=$PATH
	if [ "$backend" = legacy ]; then
		mkdir "$F/bin"
		ln -s "$(command -v iptables-legacy)" "$F/bin/iptables"
		ln -s "$(command -v iptables-legacy-restore)" "$F/bin/iptables-restore"
		ln -s "$(command -v iptables-legacy-save)" "$F/bin/iptables-save"
		FPATH=$F/bin:$PATH
	fi
	new_ns fw || {
		fail "cannot create a network namespace"
		return
	}
	FNS=$NEWNS
	local R1=(accept,eth0,-,10.1.0.0/16,- accept,-,br-x,-,172.18.0.5 accept,-,-,10.2.0.0/16,172.18.0.0/16 nat-return,172.18.0.0/16,10.2.0.0/16)
	local s0 s1

	# --- a host where Docker has not started: no DOCKER-USER yet
	ipt -A INPUT -i lo -j ACCEPT
	ipt -t nat -A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE
	s0=$(fw_snap)
	fw create --chain DN-T1 "${R1[@]}"
	expect "create before Docker ran" 0 changed
	t "  DOCKER-USER made, FORWARD jumps to it" test "$(ipt -S FORWARD | tail -n 1)" = "-A FORWARD -j DOCKER-USER"
	t "  jump to DN-T1 is DOCKER-USER #1" test "$(ipt -S DOCKER-USER | sed -n 2p)" = '-A DOCKER-USER -m comment --comment "dockernet:DN-T1" -j DN-T1'
	t "  nat jump is POSTROUTING #1" test "$(ipt -t nat -S POSTROUTING | sed -n 2p)" = '-A POSTROUTING -m comment --comment "dockernet:DN-T1" -j DN-T1'
	same "  filter chain DN-T1" "$(ipt -S DN-T1)" '-N DN-T1
-A DN-T1 -s 10.1.0.0/16 -i eth0 -m comment --comment "dockernet:DN-T1" -j ACCEPT
-A DN-T1 -d 172.18.0.5/32 -o br-x -m comment --comment "dockernet:DN-T1" -j ACCEPT
-A DN-T1 -s 10.2.0.0/16 -d 172.18.0.0/16 -m comment --comment "dockernet:DN-T1" -j ACCEPT'
	same "  nat chain DN-T1" "$(ipt -t nat -S DN-T1)" '-N DN-T1
-A DN-T1 -s 172.18.0.0/16 -d 10.2.0.0/16 -m comment --comment "dockernet:DN-T1" -j ACCEPT'
	s1=$(fw_snap)
	fw create --chain DN-T1 "${R1[@]}"
	expect "create again" 0 unchanged
	same "  iptables-save unchanged" "$s1" "$(fw_snap)"
	fw check --chain DN-T1 "${R1[@]}"
	expect "check" 0 ok
	fw check --chain DN-T1 accept,eth0,-,10.1.0.0/16,-
	expect "check with other rules" 1
	out_has "  says what differs" "differs: chain DN-T1 in the filter table holds other rules (3 present, 1 wanted)"
	out_has "  and about nat" "differs: chain DN-T1 exists in the nat table, where no rules are wanted"
	same "  check changed nothing" "$s1" "$(fw_snap)"
	fw delete --chain DN-T1
	expect "delete" 0 changed
	same "  iptables-save as before (DOCKER-USER and FORWARD jump removed too)" "$s0" "$(fw_snap)"
	t "  marker removed" test ! -e "$F/state/firewall.docker-user"
	fw delete --chain DN-T1
	expect "delete again" 0 unchanged
	fw check --chain DN-T1 "${R1[@]}"
	expect "check after delete" 1

	# --- the nat table fails: the filter table is put back
	mkdir -p "$F/failnat"
	cat >"$F/failnat/iptables-restore" <<EOF
#!/bin/sh
in=\$(cat)
case \$in in '*nat'*) echo "fake nat failure" >&2; exit 1 ;; esac
printf '%s\n' "\$in" | PATH="$FPATH" iptables-restore "\$@"
EOF
	chmod +x "$F/failnat/iptables-restore"
	run ip netns exec "$FNS" env PATH="$F/failnat:$FPATH" $FSH "$S/firewall.sh" create --chain DN-T1 "${R1[@]}" --docker-version-cmd false --state-dir "$F/state" --lock "$F/lock"
	expect "nat table change fails" 3
	err_has "  explains" "iptables-restore for the nat table failed: fake nat failure"
	same "  filter table put back (incl. DOCKER-USER bootstrap)" "$s0" "$(fw_snap)"

	# --- a Docker-like host
	ipt -N DOCKER
	ipt -N DOCKER-USER
	ipt -A DOCKER-USER -s 192.0.2.0/24 -j DROP
	ipt -A DOCKER-USER -j RETURN
	ipt -I FORWARD 1 -j DOCKER-USER
	ipt -A FORWARD -o docker0 -j DOCKER
	s0=$(fw_snap)
	fw create --chain DN-T1 "${R1[@]}"
	expect "create on a Docker host" 0 changed
	t "  jump is DOCKER-USER #1, user rules kept below" test "$(ipt -S DOCKER-USER | tr '\n' '|')" = '-N DOCKER-USER|-A DOCKER-USER -m comment --comment "dockernet:DN-T1" -j DN-T1|-A DOCKER-USER -s 192.0.2.0/24 -j DROP|-A DOCKER-USER -j RETURN|'
	t "  FORWARD not touched" test "$(ipt -S FORWARD | grep -c DOCKER-USER)" = 1
	t "  no marker (DOCKER-USER was there)" test ! -e "$F/state/firewall.docker-user"
	s1=$(fw_snap)
	fw create --chain DN-T1 "${R1[@]}"
	expect "create again" 0 unchanged
	same "  iptables-save unchanged" "$s1" "$(fw_snap)"

	ipt -I DOCKER-USER 1 -s 198.51.100.1/32 -j DROP
	fw check --chain DN-T1 "${R1[@]}"
	expect "a foreign rule above the jump: check differs" 1
	out_has "  says so" "differs: the jump to DN-T1 is rule 2 of filter DOCKER-USER"
	fw create --chain DN-T1 "${R1[@]}"
	expect "  create moves the jump back to #1" 0 changed
	t "  jump #1, foreign rule kept" test "$(ipt -S DOCKER-USER | sed -n '2p;3p' | tr '\n' '|')" = '-A DOCKER-USER -m comment --comment "dockernet:DN-T1" -j DN-T1|-A DOCKER-USER -s 198.51.100.1/32 -j DROP|'
	ipt -t nat -I POSTROUTING 1 -s 172.19.0.0/16 ! -o br-y -j MASQUERADE
	fw check --chain DN-T1 "${R1[@]}"
	expect "Docker inserted MASQUERADE above the nat jump: check differs" 1
	fw create --chain DN-T1 "${R1[@]}"
	expect "  create moves it back" 0 changed
	t "  nat jump #1" test "$(ipt -t nat -S POSTROUTING | sed -n 2p)" = '-A POSTROUTING -m comment --comment "dockernet:DN-T1" -j DN-T1'
	ipt -A DOCKER-USER -m comment --comment dockernet:DN-T1 -j DN-T1
	fw check --chain DN-T1 "${R1[@]}"
	expect "a duplicate jump: check differs" 1
	out_has "  says so" "2 jumps to DN-T1"
	fw create --chain DN-T1 "${R1[@]}"
	expect "  create leaves one" 0 changed
	t "  exactly one" test "$(ipt -S DOCKER-USER | grep -c -- '-j DN-T1')" = 1
	ipt -A DN-T1 -j DROP
	fw check --chain DN-T1 "${R1[@]}"
	expect "a rule added to our chain: check differs" 1
	fw create --chain DN-T1 "${R1[@]}"
	expect "  create refills the chain" 0 changed
	fw check --chain DN-T1 "${R1[@]}"
	expect "  check" 0 ok

	fw create --chain DN-T2 accept,eth1,-,-,- accept,-,-,10.9.0.0/24,-
	expect "second chain DN-T2" 0 changed
	fw create --chain DN-T1 "${R1[@]}"
	expect "DN-T1 again: two dockernet jumps share the top" 0 unchanged
	fw check --chain DN-T1 "${R1[@]}"
	expect "  check DN-T1" 0 ok
	fw check --chain DN-T2 accept,eth1,-,-,- accept,-,-,10.9.0.0/24,-
	expect "  check DN-T2" 0 ok
	local t2
	t2=$(ipt -S DN-T2)
	fw create --chain DN-T1 accept,eth0,-,10.1.0.0/16,-
	expect "DN-T1 without nat rules" 0 changed
	t "  nat chain and jump removed" test -z "$(ipt -t nat -S | grep DN-T1)"
	fw check --chain DN-T1 accept,eth0,-,10.1.0.0/16,-
	expect "  check" 0 ok
	fw delete --chain DN-T1
	expect "delete DN-T1" 0 changed
	same "  DN-T2 untouched" "$t2" "$(ipt -S DN-T2)"
	t "  DN-T1 gone everywhere" test -z "$(ipt -S | grep DN-T1)$(ipt -t nat -S | grep DN-T1)"

	fw create --chain DN-T3 nat-return,172.18.0.0/16,-
	ipt -t nat -A OUTPUT -j DN-T3
	s1=$(fw_snap)
	fw delete --chain DN-T3
	expect "delete when another rule uses the chain: refused" 3
	err_has "  names the rule" "chain DN-T3 (nat table) is used by a rule dockernet did not make: -A OUTPUT -j DN-T3"
	same "  nothing changed" "$s1" "$(fw_snap)"
	ipt -t nat -D OUTPUT -j DN-T3
	fw delete --chain DN-T3
	expect "  then delete works" 0 changed
	fw delete --chain DN-T2
	expect "delete DN-T2" 0 changed
	ipt -D DOCKER-USER -s 198.51.100.1/32 -j DROP
	ipt -t nat -D POSTROUTING -s 172.19.0.0/16 ! -o br-y -j MASQUERADE
	same "iptables-save exactly as before (Docker's DOCKER-USER kept)" "$s0" "$(fw_snap)"

	# --- nat-return really skips Docker's MASQUERADE
	local nsx="ip netns exec $FNS"
	$nsx ip link add v0 type veth peer name v1
	$nsx ip link set v0 up
	$nsx ip link set v1 up
	$nsx ip addr add 10.77.0.1/24 dev v0
	$nsx ip addr add 172.17.0.1/16 dev lo
	$nsx ip route add 10.78.0.0/24 dev v0 src 172.17.0.1
	$nsx ip route add 10.79.0.0/24 dev v0 src 172.17.0.1
	fw create --chain DN-NAT nat-return,172.17.0.0/16,10.78.0.0/24
	expect "create a nat-return rule" 0 changed
	ipt -t nat -Z
	$nsx bash -c 'echo x >/dev/udp/10.78.0.2/9; echo x >/dev/udp/10.79.0.2/9' 2>/dev/null
	sleep 0.2
	local masq ours
	masq=$(ipt -t nat -L POSTROUTING -v -n -x | awk '$3 == "MASQUERADE" { print $1 }')
	ours=$(ipt -t nat -L DN-NAT -v -n -x | awk '$3 == "ACCEPT" { print $1 }')
	t "  a packet to 10.78.0.0/24 skips MASQUERADE, one to 10.79.0.0/24 does not" test "$ours/$masq" = 1/1
	fw delete --chain DN-NAT >/dev/null

	# --- Docker 28's raw drops: accept rules are mirrored into raw PREROUTING, only where Docker drops
	local RR=(accept,eth0,docker0,10.20.0.0/16,172.17.0.0/16 accept,-,-,10.30.0.0/16,-)
	t "  (no raw table in use yet)" test -z "$(ip netns exec "$FNS" env PATH="$FPATH" iptables-save | grep -x '[*]raw')"
	s0=$(fw_snap)
	fw create --chain DN-R1 "${RR[@]}" --docker-version-cmd "echo 20.10.24+dfsg1"
	expect "Docker 20.10: create" 0 changed
	t "  no raw table made" test -z "$(ip netns exec "$FNS" env PATH="$FPATH" iptables-save | grep -x '[*]raw')"
	fw check --chain DN-R1 "${RR[@]}" --docker-version-cmd "echo 20.10.24+dfsg1"
	expect "  check" 0 ok
	fw check --chain DN-R1 "${RR[@]}" --docker-version-cmd "echo 28.5.2+dfsg4"
	expect "  the host's Docker upgraded to 28: check differs" 1
	out_has "    says the raw chain is missing" "differs: chain DN-R1 is missing from the raw table"
	out_has "    and its jump" "differs: no jump to DN-R1 in raw PREROUTING"
	ipt -t raw -A PREROUTING -d 172.17.0.2/32 ! -i docker0 -j DROP
	fw create --chain DN-R1 "${RR[@]}" --docker-version-cmd "echo 28.5.2+dfsg4"
	expect "  create on 28 adds the mirror" 0 changed
	same "  raw PREROUTING: our jump first, Docker's drop kept below" "$(ipt -t raw -S PREROUTING)" '-P PREROUTING ACCEPT
-A PREROUTING -m comment --comment "dockernet:DN-R1" -j DN-R1
-A PREROUTING -d 172.17.0.2/32 ! -i docker0 -j DROP'
	same "  raw chain DN-R1: the accept rules without -o" "$(ipt -t raw -S DN-R1)" '-N DN-R1
-A DN-R1 -s 10.20.0.0/16 -d 172.17.0.0/16 -i eth0 -m comment --comment "dockernet:DN-R1" -j ACCEPT
-A DN-R1 -s 10.30.0.0/16 -m comment --comment "dockernet:DN-R1" -j ACCEPT'
	fw check --chain DN-R1 "${RR[@]}" --docker-version-cmd "echo 28.5.2+dfsg4"
	expect "  check on 28" 0 ok
	ipt -t raw -I PREROUTING 1 -d 172.17.0.3/32 ! -i docker0 -j DROP
	fw check --chain DN-R1 "${RR[@]}" --docker-version-cmd "echo 28.5.2+dfsg4"
	expect "  a drop inserted above the jump: check differs" 1
	out_has "    says so" "differs: the jump to DN-R1 is rule 2 of raw PREROUTING"
	fw create --chain DN-R1 "${RR[@]}" --docker-version-cmd "false"
	expect "  Docker does not answer, the raw table is in use: create moves the jump back" 0 changed
	t "    jump #1" test "$(ipt -t raw -S PREROUTING | sed -n 2p)" = '-A PREROUTING -m comment --comment "dockernet:DN-R1" -j DN-R1'
	fw create --chain DN-R1 "${RR[@]}" --docker-version-cmd "echo 26.1.5"
	expect "  back on Docker 26: create removes the mirror" 0 changed
	t "    raw chain and jump gone" test -z "$(ipt -t raw -S | grep DN-R1)"
	fw create --chain DN-R1 "${RR[@]}" --docker-version-cmd "echo 28.5.2"
	expect "  28 again" 0 changed
	fw delete --chain DN-R1
	expect "  delete (no version asked)" 0 changed
	t "  every DN-R1 gone from filter and raw" test -z "$(ipt -S | grep DN-R1)$(ipt -t raw -S | grep DN-R1)"
	ipt -t raw -D PREROUTING -d 172.17.0.3/32 ! -i docker0 -j DROP
	ipt -t raw -D PREROUTING -d 172.17.0.2/32 ! -i docker0 -j DROP
	fw create --chain DN-R1 "${RR[@]}" --docker-version-cmd "echo 28.5.2"
	expect "  the raw mirror really lets routed traffic past a drop" 0 changed
	ipt -t raw -A PREROUTING -d 172.17.0.9/32 ! -i docker0 -j DROP
	ipt -t raw -Z
	# a packet from 10.30.0.1 leaves r0 and arrives on r1, as a routed packet from a peer arrives
	$nsx ip link add r0 type veth peer name r1
	$nsx ip link set r0 up
	$nsx ip link set r1 up
	$nsx ip addr add 10.30.0.1/24 dev r1
	$nsx ip route add 172.17.0.9/32 dev r0 src 10.30.0.1
	$nsx ip neigh replace 172.17.0.9 lladdr "$($nsx cat /sys/class/net/r1/address)" dev r0
	$nsx bash -c 'echo x >/dev/udp/172.17.0.9/9' 2>/dev/null
	sleep 0.2
	local dropped passed
	passed=$(ipt -t raw -L DN-R1 -v -n -x | awk '$3 == "ACCEPT" && $8 == "10.30.0.0/16" { print $1 }')
	dropped=$(ipt -t raw -L PREROUTING -v -n -x | awk '$3 == "DROP" { print $1 }')
	t "  a packet from a declared source passes raw before Docker's drop (ours/drop = 1/0)" test "$passed/$dropped" = 1/0
	fw delete --chain DN-R1 >/dev/null
	ipt -t raw -D PREROUTING -d 172.17.0.9/32 ! -i docker0 -j DROP
	$nsx ip link del r0

	# --- Docker 28 with no raw table yet (allow-direct-routing, or before its first container):
	# the table create makes goes again with the last chain, where nft can remove it
	local fns=$FNS
	new_ns fwraw || fail "cannot create a network namespace"
	FNS=$NEWNS
	ipt -A INPUT -i lo -j ACCEPT
	ipt -t nat -A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE
	s0=$(fw_snap)
	fw create --chain DN-R2 "${RR[@]}" --docker-version-cmd "echo 28.5.2"
	expect "  no raw table before: create on 28 makes it" 0 changed
	t "    and records that it did" test -f "$F/state/firewall.raw-table"
	fw create --chain DN-R3 accept,-,-,10.40.0.0/16,- --docker-version-cmd "echo 28.5.2"
	expect "    a second chain in it" 0 changed
	fw delete --chain DN-R2
	expect "    delete the first: the table stays for the second" 0 changed
	t "      raw DN-R3 still there" test -n "$(ipt -t raw -S DN-R3)"
	fw delete --chain DN-R3
	expect "    delete the last" 0 changed
	if [ "$backend" = nft ] && command -v nft >/dev/null 2>&1; then
		same "    iptables-save exactly as before: the raw table is gone (nft)" "$s0" "$(fw_snap)"
	else
		err_has "    the empty raw table stays, and delete says so" "the raw table dockernet made is empty now but stays"
		same "    the rest exactly as before" "$s0" "$(fw_snap | awk '/^[*]raw$/ { skip = 1 } !skip { print } skip && /^COMMIT$/ { skip = 0 }')"
	fi
	t "    the record is gone" test ! -e "$F/state/firewall.raw-table"
	fw create --chain DN-R2 "${RR[@]}" --docker-version-cmd "echo 28.5.2"
	ipt -t raw -A PREROUTING -d 172.17.0.2/32 ! -i docker0 -j DROP
	fw delete --chain DN-R2
	expect "    Docker's drops came after: delete leaves the table to Docker" 0 changed
	t "      Docker's drop kept, the record gone" test "$(ipt -t raw -S PREROUTING | sed -n 2p)/$(test -e "$F/state/firewall.raw-table" && echo kept)" = "-A PREROUTING -d 172.17.0.2/32 ! -i docker0 -j DROP/"
	FNS=$fns

	# --- input rules: a chain jumped to from INPUT (traffic to the host), for hosts that filter it
	local RI=(input,tcp,2377,192.168.100.201 input,udp,4789,192.168.100.201 input,esp,-,192.168.100.0/24 input,udp-ipsec,4789,192.168.100.202 input,tcp,-,-)
	ipt -A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
	ipt -A INPUT -p tcp --dport 22 -j ACCEPT
	ipt -P INPUT DROP
	s0=$(fw_snap)
	fw create --chain DN-IN1 "${RI[@]}"
	expect "create input rules" 0 changed
	t "  the jump is INPUT #1, the host's own rules kept below" test "$(ipt -S INPUT | sed -n '2p;3p' | tr '\n' '|')" = '-A INPUT -m comment --comment "dockernet:DN-IN1" -j DN-IN1|-A INPUT -i lo -j ACCEPT|'
	same "  chain DN-IN1" "$(ipt -S DN-IN1)" '-N DN-IN1
-A DN-IN1 -s 192.168.100.201/32 -p tcp -m tcp --dport 2377 -m comment --comment "dockernet:DN-IN1" -j ACCEPT
-A DN-IN1 -s 192.168.100.201/32 -p udp -m udp --dport 4789 -m comment --comment "dockernet:DN-IN1" -j ACCEPT
-A DN-IN1 -s 192.168.100.0/24 -p esp -m comment --comment "dockernet:DN-IN1" -j ACCEPT
-A DN-IN1 -s 192.168.100.202/32 -p udp -m policy --dir in --pol ipsec -m udp --dport 4789 -m comment --comment "dockernet:DN-IN1" -j ACCEPT
-A DN-IN1 -p tcp -m comment --comment "dockernet:DN-IN1" -j ACCEPT'
	t "  no jump from DOCKER-USER, FORWARD untouched" test -z "$(ipt -S DOCKER-USER | grep DN-IN1)$(ipt -S FORWARD | grep DN-IN1)"
	t "  the policy stays DROP" test "$(ipt -S INPUT | head -n 1)" = "-P INPUT DROP"
	s1=$(fw_snap)
	fw create --chain DN-IN1 "${RI[@]}"
	expect "  create again" 0 unchanged
	same "  iptables-save unchanged" "$s1" "$(fw_snap)"
	fw check --chain DN-IN1 "${RI[@]}"
	expect "  check" 0 ok
	ipt -I INPUT 1 -s 198.51.100.1/32 -j DROP
	fw check --chain DN-IN1 "${RI[@]}"
	expect "  a foreign rule above the jump: check differs" 1
	out_has "    says so" "differs: the jump to DN-IN1 is rule 2 of filter INPUT"
	fw create --chain DN-IN1 "${RI[@]}"
	expect "    create moves the jump back to #1" 0 changed
	ipt -D INPUT -s 198.51.100.1/32 -j DROP
	fw create --chain DN-IN1 input,tcp,7946,192.168.100.202
	expect "  other input rules: the chain is refilled" 0 changed
	same "    chain DN-IN1" "$(ipt -S DN-IN1)" '-N DN-IN1
-A DN-IN1 -s 192.168.100.202/32 -p tcp -m tcp --dport 7946 -m comment --comment "dockernet:DN-IN1" -j ACCEPT'
	fw create --chain DN-IN2 accept,eth0,-,-,- input,udp,7946,-
	expect "  accept and input rules in one chain: refused" 2
	err_has "    says why" "a chain holds accept rules (forwarded traffic) or input rules (traffic to the host), not both"
	for a in input,icmp,-,- input,tcp,0,- input,tcp,65536,- input,tcp,022,- input,esp,50,- input,udp,,- input,tcp,1 "input,tcp,1;x,-" input,esp-ipsec,-,- input,tcp-ipsec,1,-; do
		fw create --chain DN-IN2 "$a"
		expect "  input rule '$a' rejected" 2
	done
	fw delete --chain DN-IN1 input,tcp,7946,192.168.100.202
	expect "  delete" 0 changed
	same "  iptables-save exactly as before (policy DROP, own rules)" "$s0" "$(fw_snap)"
	ipt -P INPUT ACCEPT
	ipt -D INPUT -p tcp --dport 22 -j ACCEPT
	ipt -D INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT

	# --- argument validation / injection
	s0=$(fw_snap)
	local a
	for a in dn-x DN- DN-ABCDEFGHIJKLMNOPQRSTU "DN-X;touch $CANARY" DN-x 'DN-X Y' "\$(touch $CANARY)" DOCKER-USER; do
		fw create --chain "$a" accept,-,-,-,-
		expect "chain '$a' rejected" 2
		err_has "  names the option" "invalid --chain '"
	done
	for a in accept,eth0+,-,-,- accept,.,-,-,- accept,..,-,-,- accept,abcdefghijklmnop,-,-,- accept,eth0,-,10.0.0.1/8,- \
		accept,eth0,-,- accept,-,-,-,-,- drop,-,-,-,- nat-return,-,-,- nat-return,1.2.3.4/33,- "accept,eth0;touch $CANARY,-,-,-" \
		"accept,\$(touch $CANARY),-,-,-" "accept,-,-,-,-
nat-return,-,-" "nat-return,\`touch $CANARY\`,-" accept "accept,-,-,1.2.3.4.5,-" "accept,-,-,!10.0.0.0/8,-" accept,--help,-,-,- ""; do
		fw create --chain DN-X "$a"
		expect "rule '$(printf '%s' "$a" | tr '\n' '~')' rejected" 2
		err_has "  names the argument" "invalid <"
	done
	fw create accept,-,-,-,-
	expect "missing --chain rejected" 2
	for a in "--state-dir=\$(touch $CANARY)" "--lock=$F/l;touch $CANARY" "--lock-wait=1;x"; do
		fw create --chain DN-X accept,-,-,-,- "$a"
		expect "option '$a' rejected" 2
	done
	no_canary "firewall injection attempts"
	same "  nothing changed" "$s0" "$(fw_snap)"

	# --- the lock is shared with the other scripts
	flock "$F/lock" sleep 3 &
	PIDS+=($!)
	sleep 0.3
	fw create --chain DN-X accept,-,-,-,- --lock-wait 1
	expect "lock held: gives up" 3
	err_has "  clear message" "gave up after waiting 1 s for the dockernet lock"
	same "  nothing changed" "$s0" "$(fw_snap)"
}

# ------------------------------------------------------------------ main
root_state() {
	ip route show table all 2>&1
	ip -6 route show table all 2>&1
	iptables-save 2>&1 | grep -v '^#' | sed 's/\[[0-9:]*\]//'
	ls -lA --time-style=+%s /etc/docker 2>&1
}
ROOT_BEFORE=$(root_state)

# ------------------------------------------------------------------ boot records
# What a create leaves for the next boot: its record, restore.sh, and with systemd the
# dockernet-restore.service unit and its docker.service.wants link (under a scratch --unit-dir,
# with a systemctl on PATH that only logs). A "reboot" here flushes the namespace's routes and
# iptables; restore.sh must bring back exactly what the creates made.
boot_snap() { # the state dir and unit dir, names and contents
	(cd "$B" && find state units -print 2>/dev/null | sort && find state units -type f -exec cksum {} + 2>/dev/null | sort -k3)
}
bt() { # SCRIPT ARGS...: run a script in the boot namespace with the boot options
	local sc=$1
	shift
	[ "$sc" != firewall ] || set -- "$@" --docker-version-cmd false # the machine's docker is never asked
	run ip netns exec "$BNS" env PATH="$B/bin:$PATH" $BSH "$S/$sc.sh" "$@" --state-dir "$B/state" --lock "$B/lock" --unit-dir "$B/units" ${BINIT:+--init "$BINIT"}
}
kern_snap() { ip netns exec "$BNS" sh -c 'ip -4 route show proto 187; iptables-save | grep -v "^#" | sed "s/\[[0-9:]*\]//"'; }

suite_boot_shell() {
	BSH=$1
	section "boot records ($BSH)"
	B=$(mktemp -d "$T/boot.XXXXXX")
	mkdir -p "$B/bin" "$B/units"
	printf '#!/bin/sh\necho "systemctl $*" >>%s/systemctl.log\n' "$B" >"$B/bin/systemctl"
	chmod +x "$B/bin/systemctl"
	new_ns boot || {
		fail "cannot create a network namespace"
		return
	}
	BNS=$NEWNS
	local nsx="ip netns exec $BNS" k0 k1 rec fwrules
	$nsx ip link add v0 type veth peer name v1
	$nsx ip link set v0 up
	$nsx ip link set v1 up
	$nsx ip addr add 10.9.0.1/24 dev v0
	# the tables exist once a rule was in them (as on any host running Docker)
	$nsx sh -c 'for tb in filter nat; do iptables -w -t $tb -A OUTPUT -j ACCEPT && iptables -w -t $tb -D OUTPUT -j ACCEPT; done'
	k0=$(kern_snap)
	fwrules=(accept,-,-,172.18.0.0/16,172.17.0.0/16 nat-return,172.17.0.0/16,172.18.0.0/16)
	BINIT=systemd

	bt routes create --tag b1 172.18.0.0/16=10.9.0.2
	expect "routes create (systemd)" 0 changed
	rec=$B/state/boot/routes.b1.rec
	t "  record routes.b1.rec, runnable: set -- create ... then the whole script" \
		bash -c '[ "$(sed -n 2p "$1")" = "set -- create '"'"'--tag'"'"' '"'"'b1'"'"' '"'"'172.18.0.0/16=10.9.0.2'"'"' '"'"'--state-dir'"'"' '"'"'$2/state'"'"' '"'"'--lock'"'"' '"'"'$2/lock'"'"' '"'"'--unit-dir'"'"' '"'"'$2/units'"'"' '"'"'--init'"'"' '"'"'systemd'"'"'" ] && grep -q "^# ---- BEGIN dockernet common" "$1" && ! grep -q "lib/common.sh\"" "$1"' _ "$rec" "$B"
	t "  restore.sh written, executable" test -x "$B/state/boot/restore.sh"
	t "  unit written, ExecStart runs restore.sh" grep -qx "ExecStart=/bin/sh $B/state/boot/restore.sh" "$B/units/dockernet-restore.service"
	t "  unit ordered after docker.service, wanted by it" bash -c 'grep -qx "After=docker.service network-online.target" "$1" && grep -qx "WantedBy=docker.service" "$1"' _ "$B/units/dockernet-restore.service"
	t "  enabled: docker.service.wants link" test "$(readlink "$B/units/docker.service.wants/dockernet-restore.service")" = "$B/units/dockernet-restore.service"
	t "  systemctl daemon-reload ran once" test "$(grep -c 'daemon-reload' "$B/systemctl.log")" = 1
	bt firewall create --chain DN-B1 "${fwrules[@]}"
	expect "firewall create" 0 changed
	t "  record firewall.DN-B1.rec" test -f "$B/state/boot/firewall.DN-B1.rec"
	t "  unit unchanged: no second daemon-reload" test "$(grep -c 'daemon-reload' "$B/systemctl.log")" = 1
	bt routes check --tag b1 172.18.0.0/16=10.9.0.2
	expect "routes check" 0 ok
	bt firewall check --chain DN-B1 "${fwrules[@]}"
	expect "firewall check" 0 ok
	k1=$(kern_snap)

	# A reboot: the kernel forgets routes and rules.
	$nsx ip route flush proto 187
	$nsx sh -c 'for tb in filter nat; do iptables -w -t $tb -F; iptables -w -t $tb -X; done'
	bt routes check --tag b1 172.18.0.0/16=10.9.0.2
	expect "after the reboot, routes check sees the loss" 1
	run ip netns exec "$BNS" env PATH="$B/bin:$PATH" sh "$B/state/boot/restore.sh"
	expect "restore.sh" 0
	out_has "  says what it restored" "dockernet restore: routes.b1: changed"
	same "  routes, chains and jumps exactly as the creates made them" "$k1" "$(kern_snap)"
	bt firewall check --chain DN-B1 "${fwrules[@]}"
	expect "  firewall check after restore" 0 ok
	local b1
	b1=$(boot_snap)
	run ip netns exec "$BNS" env PATH="$B/bin:$PATH" sh "$B/state/boot/restore.sh"
	expect "restore.sh again" 0
	out_has "  changes nothing" "dockernet restore: firewall.DN-B1: unchanged"
	same "  records untouched by a restore" "$b1" "$(boot_snap)"

	# Drift in the boot side shows in check.
	rm -f "$B/units/docker.service.wants/dockernet-restore.service"
	bt routes check --tag b1 172.18.0.0/16=10.9.0.2
	expect "unit link removed by hand: check differs" 1
	out_has "  names it" "dockernet-restore.service is not enabled"
	bt routes create --tag b1 172.18.0.0/16=10.9.0.2
	expect "  create puts the link back (host unchanged)" 0 unchanged
	t "  link back" test -L "$B/units/docker.service.wants/dockernet-restore.service"
	mv "$rec" "$B/rec.aside"
	bt routes check --tag b1 172.18.0.0/16=10.9.0.2
	expect "record removed by hand: check differs" 1
	out_has "  names it" "no boot record $rec"
	mv "$B/rec.aside" "$rec"
	bt routes check --tag b1 172.18.0.0/16=10.9.0.3
	expect "check with another gateway" 1
	out_has "  the record is for other arguments" "is for other arguments"

	# A failed create keeps the previous record; a refused first create leaves none.
	$nsx ip route add 172.20.0.0/16 via 10.9.0.9 proto static
	b1=$(boot_snap)
	bt routes create --tag b1 172.18.0.0/16=10.9.0.2 172.20.0.0/16=10.9.0.2
	expect "create refused (a foreign route)" 3
	same "  the record is the previous one" "$b1" "$(boot_snap)"
	bt routes create --tag b2 172.20.0.0/16=10.9.0.2
	expect "a first create refused" 3
	t "  leaves no record" test ! -e "$B/state/boot/routes.b2.rec"
	same "  boot side unchanged" "$b1" "$(boot_snap)"
	$nsx ip route del 172.20.0.0/16 via 10.9.0.9 proto static

	# Teardown: the last delete removes restore.sh, the unit, the link and the wants dir it made.
	bt routes delete --tag b1 172.18.0.0/16=10.9.0.2
	expect "routes delete" 0 changed
	t "  its record gone, the unit stays for the firewall set" bash -c '[ ! -e "$1/state/boot/routes.b1.rec" ] && [ -f "$1/units/dockernet-restore.service" ]' _ "$B"
	local reloads
	reloads=$(grep -c 'daemon-reload' "$B/systemctl.log")
	bt firewall delete --chain DN-B1
	expect "firewall delete" 0 changed
	t "  state dir gone" test ! -e "$B/state"
	t "  unit dir as before (empty)" test -z "$(ls -A "$B/units")"
	t "  daemon-reload after the unit went" test "$(grep -c 'daemon-reload' "$B/systemctl.log")" = $((reloads + 1))
	same "  kernel as before" "$k0" "$(kern_snap)"

	# A docker.service.wants that was there before stays, with what else it holds.
	mkdir -p "$B/units/docker.service.wants"
	ln -s /dev/null "$B/units/docker.service.wants/other.service"
	bt routes create --tag b3 172.18.0.0/16=10.9.0.2
	bt routes delete --tag b3
	t "  a wants dir that was there stays, with its other link" test -L "$B/units/docker.service.wants/other.service"
	rm -rf "$B/units/docker.service.wants"

	# Without systemd: records and restore.sh, no unit, and create says what that means.
	BINIT=none
	bt routes create --tag b4 172.18.0.0/16=10.9.0.2
	expect "create without systemd" 0 changed
	err_has "  warns that nothing runs restore.sh at boot" "does not run systemd: nothing will run $B/state/boot/restore.sh at boot"
	t "  no unit written" test -z "$(ls -A "$B/units")"
	bt routes check --tag b4 172.18.0.0/16=10.9.0.2
	expect "  check ok without a unit" 0 ok
	bt routes create --tag b4 172.18.0.0/16=10.9.0.2
	t "  the warning once, not on every create" test -z "$ERR"
	bt routes delete --tag b4
	expect "  delete" 0 changed
	t "  state dir gone" test ! -e "$B/state"
	BINIT=
	same "kernel as before" "$k0" "$(kern_snap)"
}

# ------------------------------------------------------------------ route adoption
# routes.sh --adopt yes: a hand-made route (the seed's `route add -net ... gw ...`) via the same
# gateway is taken over in place and given back, exactly, when dockernet lets go of it.
suite_adopt_shell() {
	RSH=$1
	section "routes.sh adoption ($RSH)"
	R=$(mktemp -d "$T/adopt.XXXXXX")
	new_ns ad || {
		fail "cannot create a network namespace"
		return
	}
	RNS=$NEWNS
	local nsx="ip netns exec $RNS" s0 line0
	$nsx ip link add v0 type veth peer name v1
	$nsx ip link set v0 up
	$nsx ip link set v1 up
	$nsx ip addr add 10.9.0.1/24 dev v0
	$nsx ip route add 172.18.0.0/16 via 10.9.0.2 # by hand: proto boot (ip prints none)
	$nsx ip route add 172.19.0.0/16 via 10.9.0.2 metric 50
	s0=$($nsx ip -N -4 route show table main)
	line0=$($nsx ip -N -4 -o route show table main exact 172.18.0.0/16)

	rt create --tag a 172.18.0.0/16=10.9.0.2
	expect "without --adopt a hand-made route is refused" 3
	err_has "  and the error says adopt would take it over" "set adopt to take over a hand-made route via the same gateway"
	same "  nothing changed" "$s0" "$($nsx ip -N -4 route show table main)"

	rt create --tag a --adopt yes 172.18.0.0/16=10.9.0.3
	expect "adopt with another gateway: refused" 3
	err_has "  names the declared gateway" "only a single route via the declared gateway 10.9.0.3"
	same "  nothing changed" "$s0" "$($nsx ip -N -4 route show table main)"

	rt create --tag a --adopt yes 172.18.0.0/16=10.9.0.2 172.19.0.0/16=10.9.0.2
	expect "adopt: both routes taken over" 0 changed
	t "  172.18.0.0/16 is now one route, dockernet's" test "$($nsx ip -N -4 -o route show table main exact 172.18.0.0/16)" = "172.18.0.0/16 via 10.9.0.2 dev v0 proto 187 "
	t "  172.19.0.0/16 kept its metric 50" test "$($nsx ip -N -4 -o route show table main exact 172.19.0.0/16)" = "172.19.0.0/16 via 10.9.0.2 dev v0 proto 187 metric 50 "
	t "  the original lines are kept" grep -qx "172.18.0.0/16 ${line0% }" "$R/state/adopted-routes.a"
	rt check --tag a --adopt yes 172.18.0.0/16=10.9.0.2 172.19.0.0/16=10.9.0.2
	expect "  check" 0 ok
	rt create --tag a --adopt yes 172.18.0.0/16=10.9.0.2 172.19.0.0/16=10.9.0.2
	expect "  create again" 0 unchanged

	rt create --tag a --adopt yes 172.18.0.0/16=10.9.0.2
	expect "a create that no longer wants 172.19.0.0/16" 0 changed
	t "  gives it back: proto and metric as made by hand" test "$($nsx ip -N -4 -o route show table main exact 172.19.0.0/16)" = "172.19.0.0/16 via 10.9.0.2 dev v0 metric 50 "
	t "  the kept line for it is gone" bash -c '! grep -q "^172.19.0.0/16 " "$1"' _ "$R/state/adopted-routes.a"

	rt delete --tag a --adopt yes 172.18.0.0/16=10.9.0.2
	expect "delete" 0 changed
	same "  every route exactly as made by hand" "$s0" "$($nsx ip -N -4 route show table main)"
	t "  state gone" test ! -e "$R/state/adopted-routes.a"
}

# ------------------------------------------------------------------ swarm.sh
# A fake docker for swarm.sh: its swarm state in $W (state, node, gw: docker_gwbridge exists,
# calls: every call), `join` fails when $W/manager-down or $W/down-<its manager ADDR:2377> exists,
# a manager token (SWMTKN-1-mgr...) joins as a manager, `node demote` takes control away.
cat >"$T/fake-docker.sh" <<'EOF'
#!/bin/sh
W=$FAKE_SWARM
echo "$*" >>"$W/calls"
case "$1 $2" in
"info --format") echo "$(cat "$W/state") $(cat "$W/node") $(cat "$W/control")" ;;
"swarm init")
	[ "$(cat "$W/state")" = inactive ] || { echo "Error response from daemon: This node is already part of a swarm." >&2; exit 1; }
	[ ! -e "$W/init-fails" ] || { echo "Error response from daemon: init failed (fake)" >&2; exit 1; }
	echo active >"$W/state"; echo nodeM >"$W/node"; echo true >"$W/control"; touch "$W/gw" ;;
"swarm join")
	for a; do last=$a; done
	if [ -e "$W/manager-down" ] || [ -e "$W/down-$last" ]; then echo "Error response from daemon: rpc error: code = Unavailable desc = connection refused" >&2; exit 1; fi
	echo active >"$W/state"; echo nodeW >"$W/node"; touch "$W/gw"
	case "$*" in *SWMTKN-1-mgr*) echo true >"$W/control" ;; *) echo false >"$W/control" ;; esac ;;
"node demote") echo false >"$W/control" ;;
"swarm leave")
	if [ -s "$W/leave-slow" ] && [ "$(cat "$W/leave-slow")" -gt 0 ]; then
		echo $(($(cat "$W/leave-slow") - 1)) >"$W/leave-slow"
		echo "Error response from daemon: context deadline exceeded" >&2
		exit 1
	fi
	echo inactive >"$W/state"; echo "" >"$W/node"; echo false >"$W/control" ;;
"network inspect") [ -e "$W/gw" ] || exit 1; case "$*" in *Containers*) echo 0 ;; *IPAM*) echo "$(cat "$W/gwsub" 2>/dev/null || echo 172.18.0.0/16) " ;; esac ;;
"network create")
	[ ! -e "$W/gw" ] || { echo "Error response from daemon: network with name docker_gwbridge already exists" >&2; exit 1; }
	while [ $# -gt 0 ]; do [ "$1" != --subnet ] || echo "$2" >"$W/gwsub"; shift; done
	touch "$W/gw" ;;
"network rm") rm -f "$W/gw" "$W/gwsub" ;;
"node ls") [ ! -e "$W/peer" ] || echo nodeP ;;
"node inspect")
	[ -e "$W/peer" ] || exit 1
	case "$*" in *Addr*) echo "10.9.0.7 worker" ;; *State*) cat "$W/peer" ;; esac ;;
"node rm") rm -f "$W/peer" ;;
*) echo "fake docker: unexpected $*" >&2; exit 1 ;;
esac
EOF
chmod +x "$T/fake-docker.sh"
# A fake iptables for swarm.sh: FORWARD's rules in $W/forward (`-S FORWARD`, and `-D FORWARD -j
# DOCKER-USER` removing the first copy), every call in $W/calls; it fails when $W/ipt-fails exists.
cat >"$T/fake-iptables.sh" <<'EOF'
#!/bin/sh
W=$FAKE_SWARM
echo "iptables $*" >>"$W/calls"
[ ! -e "$W/ipt-fails" ] || { echo "iptables: Permission denied (fake)" >&2; exit 4; }
[ "$1" != -w ] || shift
case "$*" in
"-S FORWARD") cat "$W/forward" ;;
"-D FORWARD -j DOCKER-USER")
	n=$(grep -nxF -e '-A FORWARD -j DOCKER-USER' "$W/forward" | head -n 1 | cut -d : -f 1)
	[ -n "$n" ] || { echo "iptables: Bad rule (does a matching rule exist in that chain?)." >&2; exit 1; }
	sed "${n}d" "$W/forward" >"$W/forward.new" && mv "$W/forward.new" "$W/forward" ;;
*) echo "fake iptables: unexpected $*" >&2; exit 1 ;;
esac
EOF
chmod +x "$T/fake-iptables.sh"

suite_swarm_shell() {
	SSH_=$1
	section "swarm.sh ($SSH_)"
	W=$(mktemp -d "$T/swarm.XXXXXX")
	mkdir -p "$W/bin"
	ln -s "$T/fake-docker.sh" "$W/bin/docker"
	ln -s "$T/fake-iptables.sh" "$W/bin/iptables"
	printf '%s\n' '-P FORWARD DROP' '-A FORWARD -j DOCKER-USER' '-A FORWARD -j DOCKER-ISOLATION-STAGE-1' >"$W/forward"
	echo inactive >"$W/state"
	: >"$W/node"
	echo false >"$W/control"
	sw() { FAKE_SWARM=$W PATH="$W/bin:$PATH" run $SSH_ "$S/swarm.sh" "$@" --state-dir "$W/st" --lock "$W/lock" --timeout 5; }
	local s0
	sw create
	expect "no --role: usage error" 2
	sw create --role worker --advertise 10.9.0.7 --join 10.9.0.1 --token 'SWMTKN-1-x;touch /tmp/x'
	expect "a token that is not one: usage error" 2
	err_has "  without echoing it" "invalid --token '(hidden)'"
	sw create --role manager --advertise 10.9.0.300
	expect "a bad address: usage error" 2

	echo active >"$W/state"; echo nodeX >"$W/node"
	sw create --role manager --advertise 10.9.0.1
	expect "a swarm dockernet did not make: refused" 3
	err_has "  says it does not take it over" "dockernet does not take a swarm over: leave it first (docker swarm leave)"
	t "  nothing was called but the look" bash -c '! grep -q "^swarm" "$1"' _ "$W/calls"
	sw delete --role manager --advertise 10.9.0.1
	expect "  delete without a record leaves that swarm alone" 0 unchanged
	t "  still in it" test "$(cat "$W/state")" = active

	echo inactive >"$W/state"; : >"$W/node"; : >"$W/calls"
	sw create --role manager --advertise 10.9.0.1
	expect "manager: init" 0 changed
	t "  record names the node and that the join made docker_gwbridge" jq -e '.role == "manager" and .nodeId == "nodeM" and .gwbridgeMade == true' "$W/st/swarm.json"
	t "  init advertised and listened on the address" grep -qx "swarm init --advertise-addr 10.9.0.1 --listen-addr 10.9.0.1:2377" "$W/calls"
	sw create --role manager --advertise 10.9.0.1
	expect "  again: unchanged" 0 unchanged
	sw check --role manager --advertise 10.9.0.1
	expect "  check" 0 ok
	sw create --role manager --advertise 10.9.0.1 --join 10.9.0.2:2377 --token SWMTKN-1-mgrabc
	expect "  the swarm's maker now declared to join as another manager: refused" 3
	err_has "    says why" "this host made the swarm (its first manager); it cannot join it in place as another manager"
	sw create --role worker --advertise 10.9.0.1 --join 10.9.0.2 --token SWMTKN-1-abc
	expect "  the same node as a worker: refused" 3
	echo ready >"$W/peer"
	( sleep 1; echo down >"$W/peer" ) &
	PIDS+=($!)
	sw delete --role peer --advertise 10.9.0.7
	expect "peer: waits until the worker is down, then removes its node" 0 changed
	t "  node removed" test ! -e "$W/peer"
	echo 2 >"$W/leave-slow"; : >"$W/calls"
	sw delete --role manager --advertise 10.9.0.1
	expect "manager: delete, Docker's node stop running out of time twice" 0 changed
	t "  left with --force, asked three times" test "$(grep -cx "swarm leave --force" "$W/calls")" = 3
	t "  docker_gwbridge the init made is removed" test ! -e "$W/gw"
	t "  record and state dir gone" test ! -e "$W/st"
	sw check --role manager --advertise 10.9.0.1
	expect "  check after delete" 1

	touch "$W/manager-down"; : >"$W/calls"
	sw create --role worker --advertise 10.9.0.7 --join 10.9.0.1:2377 --token SWMTKN-1-abc
	expect "worker: manager down: refused" 3
	err_has "  names the manager" "joining the swarm through the manager 10.9.0.1:2377 failed: Error response from daemon: rpc error"
	t "  no record" test ! -e "$W/st/swarm.json"
	t "  the token is in no message" bash -c '! grep -q "SWMTKN" "$1"' _ <(printf '%s' "$ERR")
	rm -f "$W/manager-down"
	sw create --role worker --advertise 10.9.0.7 --join 10.9.0.1 --token SWMTKN-1-abc
	expect "worker: join" 0 changed
	t "  joined through the manager's 2377" grep -q "swarm join --token SWMTKN-1-abc --advertise-addr 10.9.0.7 --listen-addr 10.9.0.7:2377 10.9.0.1:2377" "$W/calls"
	t "  the record counts Docker's FORWARD jumps to DOCKER-USER" jq -e '.userJumps == 1' "$W/st/swarm.json"
	# Docker's racing network creations (EnsureJumpRule: check, delete, insert, unlocked) put its jump in twice.
	f0=$(cat "$W/forward")
	sed -i '2i -A FORWARD -j DOCKER-USER' "$W/forward"
	sw delete --role worker --advertise 10.9.0.7 --join 10.9.0.1
	expect "worker: delete" 0 changed
	t "  left without --force" grep -qx "swarm leave" "$W/calls"
	t "  out" test "$(cat "$W/state")" = inactive
	same "  the second copy of Docker's jump removed, FORWARD as at the join" "$f0" "$(cat "$W/forward")"
	sed -i '2i -A FORWARD -j DOCKER-USER' "$W/forward"
	f2=$(cat "$W/forward")
	sw create --role worker --advertise 10.9.0.7 --join 10.9.0.1 --token SWMTKN-1-abc
	expect "worker: join where FORWARD already jumps to DOCKER-USER twice" 0 changed
	t "  the record counts two" jq -e '.userJumps == 2' "$W/st/swarm.json"
	sw delete --role worker --advertise 10.9.0.7 --join 10.9.0.1
	expect "  delete" 0 changed
	same "  both kept: only copies beyond the join's count go" "$f2" "$(cat "$W/forward")"
	echo '-P FORWARD ACCEPT' >"$W/forward"
	sw create --role worker --advertise 10.9.0.7 --join 10.9.0.1 --token SWMTKN-1-abc
	expect "worker: join where FORWARD has no jump to DOCKER-USER" 0 changed
	printf '%s\n' '-A FORWARD -j DOCKER-USER' >>"$W/forward"
	sw delete --role worker --advertise 10.9.0.7 --join 10.9.0.1
	expect "  delete" 0 changed
	t "  the one jump Docker made meanwhile is left: the last copy is Docker's, never taken" grep -qxF -e '-A FORWARD -j DOCKER-USER' "$W/forward"
	printf '%s\n' '-P FORWARD DROP' '-A FORWARD -j DOCKER-USER' '-A FORWARD -j DOCKER-ISOLATION-STAGE-1' >"$W/forward"
	sw create --role worker --advertise 10.9.0.7 --join 10.9.0.1 --token SWMTKN-1-abc
	expect "worker: join" 0 changed
	sed -i '2i -A FORWARD -j DOCKER-USER' "$W/forward"
	touch "$W/ipt-fails"
	sw delete --role worker --advertise 10.9.0.7 --join 10.9.0.1
	expect "  iptables failing at the delete: the host still leaves" 0 changed
	err_has "    and says what it could not check" "could not read FORWARD to look for a second copy of Docker's jump to DOCKER-USER"
	t "  out" test "$(cat "$W/state")" = inactive
	rm -f "$W/ipt-fails"
	printf '%s\n' '-P FORWARD DROP' '-A FORWARD -j DOCKER-USER' '-A FORWARD -j DOCKER-ISOLATION-STAGE-1' >"$W/forward"

	# Several managers: a join tries each in turn; a manager that joined is demoted before it leaves.
	touch "$W/down-10.9.0.1:2377"; : >"$W/calls"
	sw create --role worker --advertise 10.9.0.7 --join 10.9.0.1:2377,10.9.0.2:2377 --token SWMTKN-1-abc
	expect "worker: the first manager down, the second answers" 0 changed
	t "  tried the first, then joined through the second" test "$(grep '^swarm join' "$W/calls" | awk '{ print $NF }' | tr '\n' ' ')" = "10.9.0.1:2377 10.9.0.2:2377 "
	t "  the record names the managers" jq -e '.joined == "10.9.0.1,10.9.0.2"' "$W/st/swarm.json"
	echo 3 >"$W/leave-slow"; : >"$W/calls"
	sw delete --role worker --advertise 10.9.0.7 --join 10.9.0.1:2377,10.9.0.2:2377
	expect "  delete, Docker's node stop running out of time three times: fails" 3
	err_has "    says Docker's answer" "docker swarm leave failed: Error response from daemon: context deadline exceeded"
	t "    asked three times, no more" test "$(grep -cx "swarm leave" "$W/calls")" = 3
	t "    still in, record kept" bash -c '[ "$(cat "$1/state")" = active ] && [ -e "$1/st/swarm.json" ]' _ "$W"
	echo 0 >"$W/leave-slow"
	sw delete --role worker --advertise 10.9.0.7 --join 10.9.0.1:2377,10.9.0.2:2377
	expect "  delete again" 0 changed
	touch "$W/down-10.9.0.2:2377"
	sw create --role worker --advertise 10.9.0.7 --join 10.9.0.1:2377,10.9.0.2:2377 --token SWMTKN-1-abc
	expect "worker: every manager down: refused" 3
	err_has "  names each manager tried" "joining the swarm through the manager 10.9.0.1:2377 failed: Error response from daemon: rpc error: code = Unavailable desc = connection refused ; joining the swarm through the manager 10.9.0.2:2377 failed"
	t "  out, no record" bash -c '[ "$(cat "$1/state")" = inactive ] && [ ! -e "$1/st/swarm.json" ]' _ "$W"
	rm -f "$W/down-10.9.0.1:2377" "$W/down-10.9.0.2:2377"
	sw create --role manager --advertise 10.9.0.8 --join 10.9.0.1:2377
	expect "manager --join without a token: usage error" 2
	sw create --role peer --advertise 10.9.0.8 --join 10.9.0.1:2377
	expect "peer with --join: usage error" 2
	: >"$W/calls"
	sw create --role manager --advertise 10.9.0.8 --join 10.9.0.1:2377 --token SWMTKN-1-mgrabc
	expect "manager --join: joins as one more manager" 0 changed
	t "  a join, no init" bash -c 'grep -q "^swarm join --token SWMTKN-1-mgrabc --advertise-addr 10.9.0.8" "$1" && ! grep -q "^swarm init" "$1"' _ "$W/calls"
	t "  record: a manager that joined" jq -e '.role == "manager" and .joined == "10.9.0.1"' "$W/st/swarm.json"
	sw create --role manager --advertise 10.9.0.8 --join 10.9.0.1:2377 --token SWMTKN-1-mgrabc
	expect "  again: unchanged" 0 unchanged
	echo false >"$W/control"
	sw check --role manager --advertise 10.9.0.8 --join 10.9.0.1:2377
	expect "  demoted by hand: check differs" 1
	out_has "    says so" "no longer manages the swarm (demoted?); dockernet made it a manager"
	sw create --role manager --advertise 10.9.0.8 --join 10.9.0.1:2377 --token SWMTKN-1-mgrabc
	expect "    and create refuses, not unchanged" 3
	echo true >"$W/control"
	sw create --role manager --advertise 10.9.0.8
	expect "  now declared the first manager (no --join): refused, not ignored" 3
	err_has "    says why" "this host joined the swarm as a manager; it cannot become the manager that made it in place"
	: >"$W/calls"
	sw delete --role manager --advertise 10.9.0.8 --join 10.9.0.1:2377
	expect "  delete" 0 changed
	t "  demoted itself, then left without --force" test "$(grep -e '^node demote' -e '^swarm leave' "$W/calls" | tr '\n' '|')" = "node demote nodeW|swarm leave|"
	t "  out" test "$(cat "$W/state")" = inactive

	# --gwbridge-subnet: docker_gwbridge made first with the declared subnet, and only then the init.
	sw create --role manager --advertise 10.9.0.1 --gwbridge-subnet 10.99.0.1/24
	expect "a gwbridge subnet with host bits: usage error" 2
	: >"$W/calls"
	sw create --role manager --advertise 10.9.0.1 --gwbridge-subnet 10.99.0.0/24
	expect "manager with --gwbridge-subnet: init" 0 changed
	t "  docker_gwbridge made with it (Docker's options), before the init" test "$(grep -e '^network create' -e '^swarm init' "$W/calls" | tr '\n' '|')" = "network create --subnet 10.99.0.0/24 --opt com.docker.network.bridge.name=docker_gwbridge --opt com.docker.network.bridge.enable_icc=false --opt com.docker.network.bridge.enable_ip_masquerade=true docker_gwbridge|swarm init --advertise-addr 10.9.0.1 --listen-addr 10.9.0.1:2377|"
	t "  recorded as made by dockernet" jq -e '.gwbridgeMade == true' "$W/st/swarm.json"
	sw check --role manager --advertise 10.9.0.1 --gwbridge-subnet 10.99.0.0/24
	expect "  check" 0 ok
	sw check --role manager --advertise 10.9.0.1 --gwbridge-subnet 10.98.0.0/24
	expect "  check with another subnet: differs" 1
	out_has "    says so" "differs: docker_gwbridge has subnet 10.99.0.0/24, declared 10.98.0.0/24"
	sw create --role manager --advertise 10.9.0.1 --gwbridge-subnet 10.98.0.0/24
	expect "  another subnet while in the swarm: refused, not ignored" 3
	err_has "    says how" "docker_gwbridge has subnet 10.99.0.0/24, declared 10.98.0.0/24; its subnet is fixed while the host is in the swarm: remove the host from the swarm, then add it back"
	sw delete --role manager --advertise 10.9.0.1
	expect "  delete" 0 changed
	t "  docker_gwbridge gone" test ! -e "$W/gw"
	touch "$W/init-fails"; : >"$W/calls"
	sw create --role manager --advertise 10.9.0.1 --gwbridge-subnet 10.99.0.0/24
	expect "the init fails" 3
	t "  the docker_gwbridge it made is removed again" bash -c '[ ! -e "$1/gw" ] && grep -qx "network rm docker_gwbridge" "$1/calls"' _ "$W"
	rm -f "$W/init-fails"
	touch "$W/gw"; echo 172.18.0.0/16 >"$W/gwsub"; : >"$W/calls"
	sw create --role manager --advertise 10.9.0.1 --gwbridge-subnet 10.99.0.0/24
	expect "a docker_gwbridge of another subnet is there already: refused" 3
	err_has "  names both" "docker_gwbridge has subnet 172.18.0.0/16, declared 10.99.0.0/24; it is not in use by a swarm here: remove it (docker network rm docker_gwbridge) or declare its subnet"
	t "  nothing made" bash -c '! grep -q -e "^swarm" -e "^network create" -e "^network rm" "$1"' _ "$W/calls"
	rm -f "$W/gw" "$W/gwsub"
}

for suite in $SUITES; do
	case $suite in
	static) suite_static ;;
	swarm) for sh in dash bash; do suite_swarm_shell "$sh"; done ;;
	bip) for sh in "${SHELLS_ALL[@]}"; do suite_bip_shell "$sh"; done ;;
	boot) for sh in dash bash; do suite_boot_shell "$sh"; done ;;
	routes)
		suite_routes_shell dash
		suite_routes_shell bash
		suite_adopt_shell dash
		suite_adopt_shell bash
		if command -v busybox >/dev/null 2>&1 && [ "$(busybox sh -c 'command -v ip')" = ip ]; then
			section "routes.sh (busybox sh, whose ip is busybox's)"
			RSH="busybox sh"
			new_ns rtb
			RNS=$NEWNS
			R=$(mktemp -d "$T/routes.XXXXXX")
			rt create --tag a 172.18.0.0/16=10.9.0.2
			expect "refuses busybox ip clearly" 3
			err_has "  says so" "install iproute2"
		fi
		;;
	fw)
		for sh in dash "busybox sh"; do
			command -v "${sh%% *}" >/dev/null 2>&1 || continue
			suite_fw "$sh" nft
			new_ns probe
			if command -v iptables-legacy >/dev/null 2>&1 && ip netns exec "$NEWNS" iptables-legacy -S >/dev/null 2>&1; then
				suite_fw "$sh" legacy
			fi
		done
		;;
	*)
		echo "run.sh: unknown suite $suite (static bip routes fw boot swarm)" >&2
		exit 2
		;;
	esac
done

section "safety"
if [ -e "$T/LEAKED" ]; then
	fail "a default command reached the stubs: $(tr '\n' ';' <"$T/LEAKED")"
else
	pass "no default systemctl/docker/journalctl command was run"
fi
ROOT_AFTER=$(root_state)
if [ "$ROOT_BEFORE" == "$ROOT_AFTER" ]; then
	pass "the machine's own routes, iptables and /etc/docker are unchanged"
else
	# Not counted as a failure: other processes (e.g. a lab dockerd) may
	# change the root namespace while this runs; none of ours runs there.
	echo "  note: the root namespace changed during the run (not by these tests, which run in netns):"
	diff <(printf '%s\n' "$ROOT_BEFORE") <(printf '%s\n' "$ROOT_AFTER") | head -n 20 | sed 's/^/         /'
fi

printf '\n%d passed, %d failed\n' "$PASS" "$FAIL"
if [ "$FAIL" -gt 0 ]; then
	printf '  %s\n' "${FAILED[@]}"
	exit 1
fi
