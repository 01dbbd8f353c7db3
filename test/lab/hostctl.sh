#!/bin/bash
# Host-side helper of the dockernet test lab (see lab.sh). lab.sh copies this file to
# $LAB/bin/hostctl; inside each lab host's mount namespace it is bind-mounted over
# /usr/bin/systemctl and /usr/bin/journalctl, and it is the host's init script:
#   hostctl init LAB HOST        holder: set up the host's mounts, start dockerd + sshd, sleep forever
#   hostctl reboot               what a reboot does to the host's kernel and Docker, then its boot
#   systemctl restart docker ... shim: start/stop/restart/is-active/status/cat/show docker
#   journalctl -u docker -n 20   shim: last lines of the host's dockerd.log
# Like systemd, the shim starts the units enabled in /etc/systemd/system/docker.service.wants
# (their ExecStart, in name order, as Type=oneshot) each time it has started dockerd: at boot and
# after every start or restart of docker. Each host has its own /etc/systemd/system, and
# /run/systemd/system (systemd is "running") unless $LAB/hN/no-systemd exists.
# It only ever runs inside a lab host's own network + mount namespace.
set -u

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
ENV_FILE=/run/dnlab.env

die() { echo "$(basename "$0"): $*" >&2; exit 1; }

load_env() {
    # shellcheck source=/dev/null
    [ -r "$ENV_FILE" ] && . "$ENV_FILE"
    if [ -z "${LAB:-}" ] || [ -z "${HOST:-}" ]; then die "not inside a dockernet lab host ($ENV_FILE missing)"; fi
    HDIR="$LAB/$HOST"
}

# true if PID is a live (non-zombie) process
pid_alive() {
    local state
    [ -n "${1:-}" ] && [ -r "/proc/$1/stat" ] || return 1
    state=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
    [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

# pid of a live process from a pid file, or nothing
live_pid() {
    local pid
    [ -r "$1" ] || return 1
    pid=$(tr -dc '0-9' <"$1")
    pid_alive "$pid" || return 1
    echo "$pid"
}

dockerd_pid() { live_pid /run/docker.pid; }

docker_answers() { timeout 5 docker -H unix:///run/docker.sock info >/dev/null 2>&1; }

# close every descriptor but 0-2 (and bash's own 255) in this shell: a daemon started from here must
# not keep a caller's pipes or our lock open
close_fds() {
    local fd
    for fd in "/proc/$BASHPID/fd"/*; do
        fd=${fd##*/}
        case $fd in 0|1|2|255) ;; *) eval "exec $fd>&-" 2>/dev/null || true ;; esac
    done
}

# The host's unit files, as systemd reads them: the unit (/lib/systemd/system/docker.service, each
# host's own copy, bind-mounted; /etc/systemd/system/docker.service replaces it when present), then
# the drop-ins in /etc/systemd/system/docker.service.d/*.conf in name order.
unit_files() {
    local f
    if [ -f /etc/systemd/system/docker.service ]; then echo /etc/systemd/system/docker.service; else echo /lib/systemd/system/docker.service; fi
    for f in /etc/systemd/system/docker.service.d/*.conf; do [ -f "$f" ] && echo "$f"; done
}

# dockerd's flags from the unit's effective ExecStart (an empty `ExecStart=` resets the list, as in
# systemd), without the binary and the fd:// socket (the lab gives dockerd its own sockets): what a
# user adds to ExecStart, like the seed's --bip=172.18.0.1/16, reaches the lab's dockerd.
unit_flags() {
    local line
    line=$(unit_files | while read -r f; do cat "$f"; done | awk '
        /^[[:space:]]*[#;]/ { next }
        /^ExecStart=/ { v = substr($0, 11); sub(/^[-@+!:]+/, "", v); last = v }
        END { print last }')
    # shellcheck disable=SC2086 # ExecStart is split into words, as systemd does
    set -- $line
    [ $# -gt 0 ] && shift # the binary
    while [ $# -gt 0 ]; do
        case $1 in
            -H|--host) if [ "${2:-}" = fd:// ]; then shift; else echo "$1"; fi ;;
            -H=fd://|--host=fd://|-Hfd://) ;;
            *) echo "$1" ;;
        esac
        shift
    done
}

# The unit's Environment= assignments (each file in order, later wins, an empty `Environment=`
# resets, as in systemd), one NAME=VALUE a line; quotes around a whole assignment are dropped. A
# drop-in with `Environment=DOCKER_FIREWALL_BACKEND=nftables` reaches the host's dockerd this way.
unit_env() {
    unit_files | while read -r f; do cat "$f"; done | awk '
        /^[[:space:]]*[#;]/ { next }
        /^Environment=/ {
            v = substr($0, 13)
            if (v == "") { n = 0; next }
            k = split(v, w, /[[:space:]]+/)
            for (i = 1; i <= k; i++) { a = w[i]; gsub(/^"|"$/, "", a); if (a ~ /^[A-Za-z_][A-Za-z0-9_]*=/) e[++n] = a }
        }
        END { for (i = 1; i <= n; i++) print e[i] }'
}

# dockerd's command line: the lab's sockets and pid file, then the unit's own flags (no --bip, no
# --storage-driver there unless a test puts them in the unit: dockernet keeps them in daemon.json).
start_dockerd() {
    if dockerd_pid >/dev/null; then return 0; fi
    rm -f /run/docker.pid
    local flags=() envs=()
    mapfile -t flags < <(unit_flags)
    mapfile -t envs < <(unit_env)
    local i pid spawned
    # detached (own session, re-parented once this subshell ends), log appended; env -i and setsid
    # exec in place, so $! is dockerd's own pid
    spawned=$(
        close_fds
        env -i PATH="$PATH" HOME=/root LANG=C.UTF-8 "${envs[@]}" \
            setsid /usr/sbin/dockerd \
            --host unix:///run/docker.sock \
            --host "unix://$HDIR/docker.sock" \
            --pidfile /run/docker.pid \
            "${flags[@]}" \
            </dev/null >>"$HDIR/dockerd.log" 2>&1 &
        echo $!
    )
    for ((i = 0; i < 300; i++)); do
        if ! pid_alive "$spawned"; then
            echo "dockerd (pid $spawned) exited during start; last log lines:" >&2
            tail -n 15 "$HDIR/dockerd.log" >&2
            return 1
        fi
        if pid=$(dockerd_pid) && docker_answers; then
            echo "$pid" >"$HDIR/dockerd.pid"
            return 0
        fi
        sleep 0.1
    done
    echo "dockerd (pid $spawned) did not answer within 30s; last log lines:" >&2
    tail -n 15 "$HDIR/dockerd.log" >&2
    return 1
}

stop_dockerd() {
    local pid i
    pid=$(dockerd_pid) || { rm -f "$HDIR/dockerd.pid"; return 0; }
    kill -TERM "$pid" 2>/dev/null
    for ((i = 0; i < 300; i++)); do
        if ! pid_alive "$pid"; then
            rm -f "$HDIR/dockerd.pid"
            return 0
        fi
        sleep 0.1
    done
    echo "dockerd (pid $pid) did not exit within 30s" >&2
    return 1
}

# The units enabled for docker.service, run once each after dockerd has started (systemd pulls in
# a unit's Wants= on every start job of docker.service, and After=docker.service orders it after
# Docker is up). Each ExecStart line runs without a shell, as systemd runs it; output and exit code
# go to $HDIR/units.log. `systemctl start/restart docker` returns once Docker is up, without
# waiting for them (systemctl waits for the job it asked for, not for the units that job pulls
# in), so they run in the background: a caller holding dockernet's lock (bip.sh restarting
# Docker) is not waited for by its own restore.
start_wanted_units() {
    (
        close_fds
        exec </dev/null >/dev/null 2>&1
        run_wanted_units
    ) &
}

run_wanted_units() {
    local link unit line rc
    for link in /etc/systemd/system/docker.service.wants/*.service; do
        [ -e "$link" ] || continue
        unit=$(readlink -f "$link")
        while IFS= read -r line; do
            case $line in ExecStart=*) ;; *) continue ;; esac
            line=${line#ExecStart=}
            echo "$(date +%s.%N) start $(basename "$link"): $line" >>"$HDIR/units.log"
            # shellcheck disable=SC2086 # an ExecStart line is split into words, as systemd does
            (close_fds; env -i PATH="$PATH" LANG=C.UTF-8 $line </dev/null >>"$HDIR/units.log" 2>&1)
            rc=$?
            echo "$(date +%s.%N) done $(basename "$link"): exit $rc" >>"$HDIR/units.log"
        done <"$unit"
    done
}

with_lock() { # serialise start/stop/restart of one host's dockerd
    exec 8>>"$HDIR/docker.lock"
    flock -w 90 8 || die "could not lock $HDIR/docker.lock"
}

# The lab's docker.service as Debian's docker.io ships it (each host starts with this copy).
unit_file_text() {
    cat <<'EOF'
[Unit]
Description=Docker Application Container Engine
Documentation=https://docs.docker.com
After=network-online.target firewalld.service containerd.service
Wants=network-online.target
Requires=docker.socket

[Service]
Type=notify
ExecStart=/usr/sbin/dockerd -H fd://
ExecReload=/bin/kill -s HUP $MAINPID
TimeoutSec=0
RestartSec=2
Restart=always
LimitNOFILE=infinity
LimitNPROC=infinity
LimitCORE=infinity
TasksMax=infinity
Delegate=yes
KillMode=process

[Install]
WantedBy=multi-user.target
EOF
}

# `systemctl cat docker`: each unit file with its path, as systemd prints them.
unit_text() {
    local f first=yes
    while read -r f; do
        [ $first = yes ] || echo
        first=no
        echo "# $f"
        cat "$f"
    done < <(unit_files)
}

cmd_systemctl() {
    local args=() a props=() value=no quiet=no
    while [ $# -gt 0 ]; do
        a=$1; shift
        case $a in
            --no-pager|--no-block|--no-ask-password|--system|--full|-l|--no-legend) ;;
            -q|--quiet) quiet=yes ;;
            --value) value=yes ;;
            -p|--property) props+=("${1:-}"); shift ;;
            --property=*) props+=("${a#--property=}") ;;
            -p*) props+=("${a#-p}") ;;
            -*) ;; # other options are accepted and ignored
            *) args+=("$a") ;;
        esac
    done
    local verb=${args[0]:-}
    case $verb in
        is-system-running) echo running; return 0 ;;
        daemon-reload|daemon-reexec|reset-failed) return 0 ;;
        "") die "this lab shim knows only the docker unit (verbs: start stop restart is-active status cat show)" ;;
    esac
    local unit=${args[1]:-}
    case $unit in
        docker|docker.service) ;;
        *) echo "Unit ${unit:-?}.service not found (dockernet lab systemctl shim knows only docker)." >&2; return 5 ;;
    esac
    load_env
    local pid old
    case $verb in
        start)
            with_lock
            if dockerd_pid >/dev/null; then return 0; fi
            start_dockerd || { echo "Job for docker.service failed." >&2; return 1; }
            start_wanted_units ;;
        stop)
            with_lock
            stop_dockerd || return 1 ;;
        restart|try-restart|reload-or-restart|force-reload)
            with_lock
            old=$(dockerd_pid) || old=none
            stop_dockerd || { echo "Job for docker.service failed: dockerd did not stop." >&2; return 1; }
            if ! start_dockerd; then
                echo "$(date -Iseconds) restart $HOST FAILED (old pid $old)" >>"$HDIR/restarts.log"
                echo "Job for docker.service failed because dockerd did not come back; see 'journalctl -u docker'." >&2
                return 1
            fi
            echo "$(date -Iseconds) restart $HOST pid $old -> $(dockerd_pid)" >>"$HDIR/restarts.log"
            start_wanted_units ;;
        reload)
            pid=$(dockerd_pid) || { echo "docker.service is not active, cannot reload." >&2; return 1; }
            kill -HUP "$pid" ;;
        is-active)
            if dockerd_pid >/dev/null; then [ $quiet = yes ] || echo active; return 0; fi
            [ $quiet = yes ] || echo inactive; return 3 ;;
        is-enabled) [ $quiet = yes ] || echo enabled; return 0 ;;
        enable|disable) return 0 ;;
        cat) unit_text ;;
        status)
            if pid=$(dockerd_pid); then
                printf '● docker.service - Docker Application Container Engine\n     Active: active (running)\n   Main PID: %s (dockerd)\n\n' "$pid"
                tail -n 10 "$HDIR/dockerd.log"
                return 0
            fi
            printf '○ docker.service - Docker Application Container Engine\n     Active: inactive (dead)\n\n'
            tail -n 10 "$HDIR/dockerd.log"
            return 3 ;;
        show)
            pid=$(dockerd_pid) || pid=0
            [ ${#props[@]} -gt 0 ] || props=(Id MainPID ActiveState SubState ExecStart)
            local p name
            for p in "${props[@]}"; do
                for name in ${p//,/ }; do
                    local v
                    case $name in
                        Id|Names) v=docker.service ;;
                        MainPID|ExecMainPID) v=$pid ;;
                        ActiveState) if [ "$pid" != 0 ]; then v=active; else v=inactive; fi ;;
                        SubState) if [ "$pid" != 0 ]; then v=running; else v=dead; fi ;;
                        LoadState) v=loaded ;;
                        UnitFileState) v=enabled ;;
                        FragmentPath) v=/lib/systemd/system/docker.service ;;
                        ExecStart) v="{ path=/usr/sbin/dockerd ; argv[]=/usr/sbin/dockerd -H fd:// $(unit_flags | tr '\n' ' ')}" ;;
                        *) v= ;;
                    esac
                    if [ $value = yes ]; then echo "$v"; else echo "$name=$v"; fi
                done
            done ;;
        *) die "verb '$verb' is not supported by the dockernet lab systemctl shim" ;;
    esac
}

cmd_journalctl() {
    local n=all unit="" follow=no a
    while [ $# -gt 0 ]; do
        a=$1; shift
        case $a in
            -u|--unit) unit=${1:-}; shift ;;
            --unit=*) unit=${a#--unit=} ;;
            -u*) unit=${a#-u} ;;
            -n|--lines) n=${1:-10}; shift ;;
            --lines=*) n=${a#--lines=} ;;
            -n*) n=${a#-n} ;;
            -e|--pager-end) [ "$n" = all ] && n=1000 ;;
            -f|--follow) follow=yes ;;
            -S|--since|-U|--until|-o|--output|-p|--priority|-b|--boot) case $a in -b|--boot) ;; *) shift ;; esac ;;
            *) ;;
        esac
    done
    case $unit in
        ""|docker|docker.service) ;;
        *) echo "-- No entries --"; return 0 ;;
    esac
    load_env
    local log="$HDIR/dockerd.log"
    [ -s "$log" ] || { echo "-- No entries --"; return 0; }
    if [ $follow = yes ]; then
        if [ "$n" = all ]; then n=10; fi
        exec tail -n "$n" -f "$log"
    fi
    if [ "$n" = all ]; then cat "$log"; else tail -n "$n" "$log"; fi
}

# What a reboot does to this host, then its boot: dockerd stops (its containers with it), the kernel
# forgets every route but the LAN's connected one, every iptables rule and chain, the bridges and
# ip_forward; /run starts empty for Docker and the lock. Then init starts dockerd and the units
# enabled for it, as at boot. $HDIR/boot.log gets `down`, `docker-up` and `units-done` times.
cmd_reboot() {
    load_env
    with_lock
    echo "$(date +%s.%N) down" >"$HDIR/boot.log"
    stop_dockerd || return 1
    local r tb link
    ip -4 route show | grep -v ' proto kernel ' | while IFS= read -r r; do
        # shellcheck disable=SC2086 # a route line is words
        ip route del $r 2>/dev/null || true
    done
    for tb in filter nat mangle raw; do
        iptables -w -t "$tb" -F 2>/dev/null || true
        iptables -w -t "$tb" -X 2>/dev/null || true
    done
    iptables -w -P FORWARD ACCEPT
    for link in $(ip -o link show | awk -F': ' '{ print $2 }' | sed 's/@.*//'); do
        case $link in lo | eth0) ;; *) ip link del "$link" 2>/dev/null || true ;; esac
    done
    sysctl -qw net.ipv4.ip_forward=0
    rm -rf /run/docker /run/containerd /run/lock/dockernet.lock
    start_dockerd || { echo "reboot: dockerd did not start" >&2; return 1; }
    echo "$(date +%s.%N) docker-up" >>"$HDIR/boot.log"
    exec 8>&- # the host's start/stop lock: what runs after Docker at boot does not hold it
    run_wanted_units # at boot nobody waits; here the reboot's caller waits, to report when they ended
    echo "$(date +%s.%N) units-done" >>"$HDIR/boot.log"
}

# The host's Docker build (lab.sh: DOCKERNET_LAB_DOCKER; test/lab/dockers.sh made the folder): its
# binaries bind-mounted over the machine's in this host's own mount namespace, so the host's dockerd,
# containerd, shim, docker-proxy and docker CLI (also at /usr/local/bin/docker where the machine has
# one, which PATH finds first) are that version's. runc and docker-init stay the machine's. A root of
# "/" is the machine's own docker.io: only its CLI goes over /usr/local/bin/docker.
bind_docker_build() {
    local root f
    root=$(cat "$HDIR/docker-root" 2>/dev/null) || root=/
    root=${root%/}
    for f in usr/sbin/dockerd usr/sbin/docker-proxy usr/bin/containerd usr/bin/containerd-shim-runc-v2 usr/bin/docker; do
        [ -x "$root/$f" ] || { echo "init: $root/$f is missing" >&2; return 1; }
        [ -e "/$f" ] || { echo "init: /$f is missing on this machine (the lab binds over it; apt-get install docker.io)" >&2; return 1; }
        [ -z "$root" ] || mount --bind "$root/$f" "/$f" || return 1
    done
    if [ -e /usr/local/bin/docker ]; then mount --bind "$root/usr/bin/docker" /usr/local/bin/docker || return 1; fi
}

# Another Docker build on this host, as a package upgrade does it: Docker stops (its containers
# with it), the binaries are swapped, Docker starts on the same /var/lib/docker and daemon.json, and
# the units enabled for it run. With "fresh", /var/lib/docker is emptied first (a host whose Docker
# is older than its data cannot read it: for going back, or a clean start).
cmd_switch_docker() {
    local root=$1 version=$2 fresh=$3 f
    load_env
    with_lock
    stop_dockerd || return 1
    for f in /usr/sbin/dockerd /usr/sbin/docker-proxy /usr/bin/containerd /usr/bin/containerd-shim-runc-v2 /usr/bin/docker /usr/local/bin/docker; do
        while findmnt -rn --mountpoint "$f" >/dev/null 2>&1; do umount "$f" || return 1; done
    done
    if [ "$fresh" = fresh ]; then
        find /var/lib/docker -mindepth 1 -maxdepth 1 -exec rm -rf {} + || return 1
        rm -rf /run/docker /run/containerd
    fi
    echo "$root" >"$HDIR/docker-root"
    echo "$version" >"$HDIR/docker-version"
    bind_docker_build || return 1
    echo "$(date -Iseconds) docker $version ($fresh)" >>"$HDIR/restarts.log"
    start_dockerd || { echo "switch-docker: dockerd $version did not start" >&2; return 1; }
    start_wanted_units
}

# Runs as the host's holder: net namespace already entered, fresh private mount namespace.
cmd_init() {
    LAB=$1 HOST=$2
    HDIR="$LAB/$HOST"
    local self="$LAB/bin/hostctl"
    echo $$ >"$HDIR/holder.pid"
    close_fds # do not pass on whatever descriptors the caller of `lab.sh up` had open
    set -e
    hostname "$HOST" # own UTS namespace
    mount --make-rprivate /
    mount --bind "$HDIR/etc-docker" /etc/docker
    mount --bind "$HDIR/var-lib-docker" /var/lib/docker
    mount --bind "$HDIR/var-lib-dockernet" /var/lib/dockernet # dockernet's own state, per host as on real hosts
    mount --bind "$HDIR/etc-systemd-system" /etc/systemd/system # the host's own units
    # the host's own docker.service (the seed edits ExecStart there), over the machine's
    [ -f "$HDIR/docker.service" ] || unit_file_text >"$HDIR/docker.service"
    [ -f /lib/systemd/system/docker.service ] || { echo "init: /lib/systemd/system/docker.service (Debian's docker.io) is missing; the lab binds each host's copy over it" >&2; exit 1; }
    mount --bind "$HDIR/docker.service" /lib/systemd/system/docker.service
    mount -t tmpfs -o mode=755,size=256m "dnlab-$HOST-run" /run
    mount -t tmpfs -o mode=1777,size=256m "dnlab-$HOST-tmp" /tmp # a host's own /tmp
    mkdir -p /run/sshd /run/lock
    chmod 755 /run/sshd
    [ -e "$HDIR/no-systemd" ] || mkdir -p /run/systemd/system # as sd_booted() sees a systemd host
    printf 'LAB=%q\nHOST=%q\n' "$LAB" "$HOST" >"$ENV_FILE"
    mount --bind "$self" /usr/bin/systemctl
    mount --bind "$self" /usr/bin/journalctl
    bind_docker_build || { echo "init: could not put the host's Docker build in place" >&2; exit 1; }
    set +e
    start_dockerd || { echo "init: dockerd failed" >&2; exit 1; }
    start_wanted_units
    /usr/sbin/sshd -f "$HDIR/sshd_config" -E "$HDIR/sshd.log" || { echo "init: sshd failed" >&2; exit 1; }
    echo "$(date -Iseconds) up" >"$HDIR/ready"
    exec sleep infinity
}

case $(basename "$0") in
    systemctl) cmd_systemctl "$@"; exit ;;
    journalctl) cmd_journalctl "$@"; exit ;;
esac
case ${1:-} in
    init) shift; [ $# -eq 2 ] || die "usage: hostctl init LAB HOST"; cmd_init "$@" ;;
    reboot) shift; cmd_reboot ;;
    switch-docker) shift; [ $# -eq 3 ] || die "usage: hostctl switch-docker ROOT VERSION fresh|keep"; cmd_switch_docker "$@" ;;
    systemctl) shift; cmd_systemctl "$@" ;;
    journalctl) shift; cmd_journalctl "$@" ;;
    *) die "usage: hostctl init LAB HOST | reboot | systemctl ... | journalctl ..." ;;
esac
