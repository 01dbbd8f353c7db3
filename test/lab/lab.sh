#!/bin/bash
# dockernet test lab: builds, on this one machine, a small LAN of N (1..4) "real" Docker hosts for
# dockernet's live tests. A switch network namespace dnlab-sw holds bridge `lan`; host hI is network
# namespace dnlab-hI with eth0 = 192.168.100.(199+I)/24 on that bridge and no default route; the test
# runner stays in the root namespace and reaches the LAN through veth dnlab0 (192.168.100.1/24). Each
# host also has its own mount (and UTS) namespace, kept alive by a holder process, in which per-host
# folders under the lab dir are bind-mounted over /etc/docker and /var/lib/docker, /run and /tmp are fresh
# tmpfses, and shims stand in for `systemctl` / `journalctl` (systemd is not running). Each host runs its
# own dockerd (vfs storage, default docker0 172.17.0.1/16, config in /etc/docker/daemon.json) of the
# Docker line it is given: DOCKERNET_LAB_DOCKER is one version for every host ("28.5", the default is
# the newest test/lab/dockers.sh knows) and/or per-host ones ("20.10,h3=28.5", "h1=20.10,h2=26.1,h3=28.5"),
# each build from Debian's packages, bind-mounted over the machine's binaries in the host's own mount
# namespace,
# and an sshd on its LAN address that accepts root with the lab key. Every host gets the image
# lab/busybox:1 (docker import of busybox-static; /www/index.html says "hello from hI"). The lab is
# described in $LAB/lab.json. Nothing is started in the machine's own network namespace, no route
# but dnlab0's own /24 is added there, and `down` stops only what pid files and the lab's own
# namespaces say the lab started.
#
# Usage: lab.sh up [N] | down | status | exec hN -- cmd args... | reboot hN...
# Lab dir: ${DOCKERNET_LAB_DIR:-/var/tmp/dockernet-lab}
set -euo pipefail

LAB=${DOCKERNET_LAB_DIR:-/var/tmp/dockernet-lab}
LAB=${LAB%/}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PROG="lab.sh"
SW=dnlab-sw
NS_PREFIX=dnlab-h
LAN_PREFIX=192.168.100
LAN_CIDR=192.168.100.0/24
RUNNER_IF=dnlab0
RUNNER_ADDR=192.168.100.1
IMAGE=lab/busybox:1
MARKER=.dockernet-lab
LOCK_FILE=/run/dnlab.lock
MAX_HOSTS=4
export PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin${PATH:+:$PATH}"
unset DOCKER_HOST DOCKER_CONTEXT DOCKER_TLS_VERIFY DOCKER_CERT_PATH

say() { echo "$PROG: $*"; }
warn() { echo "$PROG: $*" >&2; }
die() { echo "$PROG: error: $*" >&2; exit 1; }

need_root() {
    if [ "$(id -u)" != 0 ]; then
        echo "$PROG: must be run as root (it creates network namespaces, veths and mounts); nothing was changed." >&2
        exit 1
    fi
}

check_lab_path() {
    case $LAB in
        /*) ;;
        *) die "DOCKERNET_LAB_DIR must be an absolute path (got '$LAB')" ;;
    esac
    [[ $LAB =~ ^/[A-Za-z0-9._/-]+$ ]] || die "DOCKERNET_LAB_DIR may only contain [A-Za-z0-9._/-] (got '$LAB')"
    # unix socket paths ($LAB/hN/docker.sock) must stay well under 108 bytes
    [ ${#LAB} -le 80 ] || die "DOCKERNET_LAB_DIR is too long (${#LAB} > 80 chars): docker socket paths would not fit"
}

# --- small helpers -------------------------------------------------------------------------------

DOCKERS="$HERE/dockers.sh"
declare -A WANT_DOCKER=() # host number -> Docker line, from DOCKERNET_LAB_DOCKER (want_dockers)

# DOCKERNET_LAB_DOCKER for N hosts: "V" for all, "hI=V" for one, comma-separated, later wins
want_dockers() {
    local n=$1 spec=${DOCKERNET_LAB_DOCKER:-} def item i v known
    known=" $(bash "$DOCKERS" versions) "
    def=$(bash "$DOCKERS" newest)
    local -A per=()
    IFS=, read -ra items <<<"$spec"
    for item in "${items[@]}"; do
        item=${item//[[:space:]]/}
        [ -n "$item" ] || continue
        if [[ $item =~ ^h([1-9])=(.+)$ ]]; then
            i=${BASH_REMATCH[1]} v=${BASH_REMATCH[2]}
            [ "$i" -le "$n" ] || die "DOCKERNET_LAB_DOCKER names h$i, but the lab has $n host(s) (got '$spec')"
            per[$i]=$v
        else
            v=$item def=$item
        fi
        [[ $known == *" $v "* ]] || die "DOCKERNET_LAB_DOCKER: '$v' is not a Docker line the lab knows (known:$known; got '$spec')"
    done
    for ((i = 1; i <= n; i++)); do WANT_DOCKER[$i]=${per[$i]:-$def}; done
}

hd() { echo "$LAB/h$1"; }
lan_addr() { echo "$LAN_PREFIX.$((199 + $1))"; }
dk() { local i=$1; shift; docker -H "unix://$(hd "$i")/docker.sock" "$@"; }

pid_alive() {
    local state
    [ -n "${1:-}" ] && [ -r "/proc/$1/stat" ] || return 1
    state=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
    [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

read_pid() { # print the pid in file $1 if it names a live process
    local pid
    [ -r "$1" ] || return 1
    pid=$(tr -dc '0-9' <"$1" 2>/dev/null) || return 1
    pid_alive "$pid" || return 1
    echo "$pid"
}

cmdline_has() { # pid string
    [ -r "/proc/$1/cmdline" ] && tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -qF -- "$2"
}

# The holder of host i: its pid file names a live process whose /run/dnlab.env says this lab + host.
holder_pid() {
    local i=$1 pid envf
    pid=$(read_pid "$(hd "$i")/holder.pid") || return 1
    envf="/proc/$pid/root/run/dnlab.env"
    [ -r "$envf" ] || return 1
    grep -qx "HOST=h$i" "$envf" && grep -qx "LAB=$LAB" "$envf" || return 1
    echo "$pid"
}

ns_exists() { [ -e "/run/netns/$1" ]; }
ns_id() { echo "net:[$(stat -L -c %i "/run/netns/$1")]"; }

host_ids_present() { # host numbers that have a lab dir entry or a namespace
    {
        ip netns list 2>/dev/null | awk '{print $1}' | sed -n "s/^${NS_PREFIX}\([1-9][0-9]*\)$/\1/p"
        if [ -d "$LAB" ]; then
            find "$LAB" -mindepth 1 -maxdepth 1 -type d -name 'h[1-9]*' -printf '%f\n' 2>/dev/null | sed -n 's/^h\([1-9][0-9]*\)$/\1/p'
        fi
    } | sort -un
}

# --- teardown ------------------------------------------------------------------------------------

MY_NS_MNT=$(readlink /proc/self/ns/mnt)
MY_NS_NET=$(readlink /proc/self/ns/net)

ancestors() { # this process and its ancestors: never killed
    local p=$$
    while [ -n "$p" ] && [ "$p" != 0 ]; do
        echo "$p"
        p=$(awk '/^PPid:/{print $2}' "/proc/$p/status" 2>/dev/null) || break
    done
}

# pids of processes in any of the given namespaces (ids like net:[123] / mnt:[456]) + their descendants
members_of() {
    local nsset=" $* " path id pid ppid
    [ -n "${*:-}" ] || return 0
    local -A keep=()
    while read -r path id; do
        if [[ $nsset == *" $id "* ]]; then
            pid=${path#/proc/}
            keep[${pid%%/*}]=1
        fi
    done < <(find /proc/[0-9]*/ns/net /proc/[0-9]*/ns/mnt -maxdepth 0 -printf '%p %l\n' 2>/dev/null)
    # add descendants (container processes live in their own namespaces under containerd-shims)
    local changed=yes
    while [ $changed = yes ]; do
        changed=no
        while read -r pid ppid; do
            if [ -n "${keep[$ppid]:-}" ] && [ -z "${keep[$pid]:-}" ]; then keep[$pid]=1; changed=yes; fi
        done < <(ps -e -o pid=,ppid=)
    done
    local anc
    anc=" $(ancestors | tr '\n' ' ') "
    for pid in "${!keep[@]}"; do
        [ "$pid" -gt 1 ] || continue
        [[ $anc == *" $pid "* ]] && continue
        pid_alive "$pid" && echo "$pid"
    done
    return 0
}

# container processes of host i: their root mount is a (vfs) dir under $LAB/hI/var-lib-docker/, even
# when their containerd-shim is already gone and they were re-parented
container_pids_of() {
    local i=$1 f pid anc
    anc=" $(ancestors | tr '\n' ' ') "
    while read -r f; do
        pid=${f#/proc/}
        pid=${pid%/mountinfo}
        if ! [[ $pid =~ ^[0-9]+$ ]] || [ "$pid" -le 1 ]; then continue; fi
        [[ $anc == *" $pid "* ]] && continue
        pid_alive "$pid" && echo "$pid"
    done < <(grep -l -s -F " $(hd "$i")/var-lib-docker/" /proc/[0-9]*/mountinfo)
    return 0
}

wait_gone() { # seconds pids...
    local secs=$1 p left i
    shift
    for ((i = 0; i < secs * 10; i++)); do
        left=""
        for p in "$@"; do pid_alive "$p" && left="$left $p"; done
        [ -z "$left" ] && return 0
        sleep 0.1
    done
    return 1
}

kill_and_wait() { # seconds pids... : TERM, wait, then KILL
    local secs=$1 p
    shift
    [ $# -gt 0 ] || return 0
    for p in "$@"; do kill -TERM "$p" 2>/dev/null || true; done
    wait_gone "$secs" "$@" && return 0
    for p in "$@"; do pid_alive "$p" && { warn "pid $p did not stop, sending SIGKILL"; kill -KILL "$p" 2>/dev/null || true; }; done
    wait_gone 5 "$@" || true
}

stop_host() {
    local i=$1 d ns=${NS_PREFIX}$1 holder="" dpid="" spid="" cpid="" ids=() id
    d=$(hd "$i")
    holder=$(holder_pid "$i") || holder=""
    # dockerd: pid file in the host's /run (through the holder) or its mirror; must be OUR dockerd
    for f in ${holder:+/proc/$holder/root/run/docker.pid} "$d/dockerd.pid"; do
        if dpid=$(read_pid "$f") && cmdline_has "$dpid" "unix://$d/docker.sock"; then break; fi
        dpid=""
    done
    if spid=$(read_pid "$d/sshd.pid") && cmdline_has "$spid" "$d/sshd_config"; then :; else spid=""; fi
    if [ -n "$holder" ] && cpid=$(read_pid "/proc/$holder/root/run/docker/containerd/containerd.pid"); then :; else cpid=""; fi

    # the namespaces that are this host's: from its netns name and from the processes found above
    ns_exists "$ns" && ids+=("$(ns_id "$ns")")
    for p in $holder $dpid $spid; do
        for n in net mnt; do
            id=$(readlink "/proc/$p/ns/$n" 2>/dev/null) || continue
            [ "$id" = "$MY_NS_MNT" ] || [ "$id" = "$MY_NS_NET" ] && continue # never the machine's own
            ids+=("$id")
        done
    done

    # fast path: kill running containers while dockerd still answers (else dockerd waits 10s+ each)
    if [ -n "$dpid" ] && [ -S "$d/docker.sock" ]; then
        local running
        running=$(timeout 10 docker -H "unix://$d/docker.sock" ps -q 2>/dev/null || true)
        if [ -n "$running" ]; then
            # shellcheck disable=SC2086
            timeout 20 docker -H "unix://$d/docker.sock" kill $running >/dev/null 2>&1 || true
        fi
    fi
    [ -n "$spid" ] && kill_and_wait 5 "$spid"
    [ -n "$dpid" ] && kill_and_wait 30 "$dpid"
    [ -n "$cpid" ] && pid_alive "$cpid" && kill_and_wait 10 "$cpid"

    # stragglers in this host's namespaces (started by our dockerd/sshd), then the holder
    local rest=() p
    while read -r p; do
        [ -n "$p" ] && [ "$p" != "$holder" ] && rest+=("$p")
    done < <({ if [ ${#ids[@]} -gt 0 ]; then members_of "${ids[@]}"; fi; container_pids_of "$i"; } | sort -un)
    if [ ${#rest[@]} -gt 0 ]; then
        warn "h$i: stopping ${#rest[@]} leftover process(es): ${rest[*]}"
        kill_and_wait 5 "${rest[@]}"
    fi
    [ -n "$holder" ] && kill_and_wait 5 "$holder"
    # anything that slipped in meanwhile
    rest=()
    while read -r p; do
        [ -n "$p" ] && rest+=("$p")
    done < <({ if [ ${#ids[@]} -gt 0 ]; then members_of "${ids[@]}"; fi; container_pids_of "$i"; } | sort -un)
    if [ ${#rest[@]} -gt 0 ]; then kill_and_wait 3 "${rest[@]}"; fi
    return 0
}

safe_remove_lab() {
    [ -e "$LAB" ] || return 0
    local real
    real=$(realpath -e "$LAB")
    case $real in
        / | /bin | /boot | /dev | /etc | /home | /lib | /lib64 | /opt | /proc | /root | /run | /sbin | /srv | /sys | /tmp | /usr | /var | /var/tmp | /var/lib | /work | /work/*/*.git)
            warn "refusing to remove '$real': not a lab directory"; return 1 ;;
    esac
    if [ ! -d "$real" ]; then warn "refusing to remove '$real': not a directory"; return 1; fi
    if [ ! -f "$real/$MARKER" ] && [ -n "$(ls -A "$real")" ]; then
        warn "refusing to remove '$real': it has no $MARKER marker, so it is not a lab this script made"
        return 1
    fi
    # mounts under the lab dir in this (root) mount namespace: unmount, deepest first
    local m
    while read -r m; do
        [ -n "$m" ] || continue
        umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || warn "could not unmount $m"
    done < <(findmnt -rn -o TARGET | awk -v p="$real/" 'index($0, p) == 1' | sort -r)
    rm -rf --one-file-system "$real"
}

do_down() {
    local i n
    # every host slot, present or not: a lost lab dir may still leave containers of a known host
    local pids=()
    for i in $( { seq 1 "$MAX_HOSTS"; host_ids_present; } | sort -un); do
        stop_host "$i" & pids+=($!)
    done
    for i in "${pids[@]}"; do wait "$i" || true; done
    # processes anyone left in the switch namespace (ours)
    if ns_exists "$SW"; then
        local rest=() p
        while read -r p; do [ -n "$p" ] && rest+=("$p"); done < <(members_of "$(ns_id "$SW")")
        if [ ${#rest[@]} -gt 0 ]; then kill_and_wait 3 "${rest[@]}"; fi
    fi
    for n in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^(${NS_PREFIX}[1-9][0-9]*|$SW)$" || true); do
        ip netns delete "$n" 2>/dev/null || warn "could not delete netns $n"
    done
    if ip link show "$RUNNER_IF" >/dev/null 2>&1; then ip link delete "$RUNNER_IF" || warn "could not delete $RUNNER_IF"; fi
    safe_remove_lab
}

# --- health --------------------------------------------------------------------------------------

# health N verbose: 0 if a lab with N hosts (N="" = as in lab.json) is up and answering
health() {
    local want=$1 verbose=$2 ok=0 n i d holder addr
    local -a msgs=()
    if [ ! -f "$LAB/lab.json" ]; then
        [ "$verbose" = yes ] && echo "dockernet lab: DOWN (no $LAB/lab.json)"
        return 3
    fi
    n=$(jq -r '.hosts | length' "$LAB/lab.json" 2>/dev/null) || n=0
    [[ $n =~ ^[1-9]$ ]] || { msgs+=("lab.json unreadable"); ok=1; n=0; }
    if [ -n "$want" ] && [ "$n" != "$want" ]; then msgs+=("lab has $n host(s), wanted $want"); ok=1; fi
    if ! ns_exists "$SW"; then msgs+=("netns $SW missing"); ok=1; fi
    if ! ip -4 -o addr show dev "$RUNNER_IF" 2>/dev/null | grep -q " $RUNNER_ADDR/24 "; then
        msgs+=("$RUNNER_IF missing or without $RUNNER_ADDR/24"); ok=1
    elif ! ip -o link show dev "$RUNNER_IF" | grep -q 'state UP'; then
        msgs+=("$RUNNER_IF is not up"); ok=1
    fi
    for ((i = 1; i <= n; i++)); do
        d=$(hd "$i")
        addr=$(lan_addr "$i")
        local line="h$i $addr:" bad=0
        if ! ns_exists "${NS_PREFIX}$i"; then line+=" netns missing"; bad=1; fi
        if ! holder=$(holder_pid "$i"); then line+=" holder dead"; bad=1; fi
        if ! timeout 10 docker -H "unix://$d/docker.sock" image inspect "$IMAGE" >/dev/null 2>&1; then
            if timeout 10 docker -H "unix://$d/docker.sock" version >/dev/null 2>&1; then line+=" image $IMAGE missing"; else line+=" dockerd not answering"; fi
            bad=1
        fi
        if ! read_pid "$d/sshd.pid" >/dev/null; then line+=" sshd dead"; bad=1
        elif ! ip route get "$addr" 2>/dev/null | grep -q "dev $RUNNER_IF"; then line+=" not routed via $RUNNER_IF"; bad=1
        elif ! timeout 3 bash -c "exec 3<>/dev/tcp/$addr/22" 2>/dev/null; then line+=" ssh port closed"; bad=1
        fi
        if [ -n "${WANT_DOCKER[$i]:-}" ] && [ "$(cat "$d/docker-version" 2>/dev/null)" != "${WANT_DOCKER[$i]}" ]; then
            line+=" runs Docker $(cat "$d/docker-version" 2>/dev/null || echo '?'), wanted ${WANT_DOCKER[$i]}"; bad=1
        fi
        if [ $bad = 0 ]; then line+=" ok (Docker $(cat "$d/docker-version" 2>/dev/null || echo '?'), holder $holder, dockerd $(cat "$d/dockerd.pid" 2>/dev/null || echo ?), restarts $(wc -l <"$d/restarts.log" 2>/dev/null || echo 0))"; else ok=1; fi
        msgs+=("$line")
    done
    for i in $(host_ids_present); do
        if [ "$i" -gt "$n" ]; then msgs+=("stray host h$i (netns or dir) beyond the lab's $n"); ok=1; fi
    done
    if [ "$verbose" = yes ]; then
        if [ $ok = 0 ]; then echo "dockernet lab: UP, $n host(s), dir $LAB"; else echo "dockernet lab: UNHEALTHY, dir $LAB"; fi
        printf '  %s\n' "${msgs[@]}"
    fi
    return $ok
}

# --- bring-up ------------------------------------------------------------------------------------

check_lan_free() {
    local conflicts
    conflicts=$({
        ip -4 route show table all root "$LAN_CIDR"
        ip -4 route show table all match "$LAN_CIDR"
    } 2>/dev/null | grep -v '^default' | grep -Ev "dev $RUNNER_IF( |$)" | sort -u || true)
    if [ -n "$conflicts" ]; then
        die "$LAN_CIDR is already routed in the root network namespace by something other than $RUNNER_IF; refusing to build the lab:
$conflicts"
    fi
    conflicts=$(ip -4 -o addr show 2>/dev/null | grep -F " $LAN_PREFIX." | grep -v "^[0-9]*: $RUNNER_IF " || true)
    [ -z "$conflicts" ] || die "an interface other than $RUNNER_IF already has an address in $LAN_CIDR; refusing:
$conflicts"
}

check_tools() {
    local t missing=()
    for t in ip nsenter unshare setsid dockerd docker sshd ssh ssh-keygen jq flock busybox findmnt tar timeout; do
        command -v "$t" >/dev/null 2>&1 || missing+=("$t")
    done
    [ ${#missing[@]} -eq 0 ] || die "missing tools: ${missing[*]} (apt-get install docker.io iptables busybox-static openssh-server jq)"
}

write_host_files() {
    local i=$1 d addr
    d=$(hd "$i")
    addr=$(lan_addr "$i")
    mkdir -p "$d/etc-docker" "$d/var-lib-docker" "$d/var-lib-dockernet" "$d/etc-systemd-system"
    chmod 711 "$d/var-lib-docker"
    printf '%s\n' '{"storage-driver": "vfs", "log-level": "info"}' >"$d/etc-docker/daemon.json"
    echo "${WANT_DOCKER[$i]}" >"$d/docker-version"
    bash "$DOCKERS" root "${WANT_DOCKER[$i]}" >"$d/docker-root"
    : >"$d/restarts.log"
    : >"$d/dockerd.log"
    ssh-keygen -q -t ed25519 -N '' -C "dnlab-h$i" -f "$d/ssh_host_ed25519_key"
    cat >"$d/sshd_config" <<EOF
# dockernet lab: sshd of host h$i (runs in netns ${NS_PREFIX}$i, own mount namespace)
Port 22
ListenAddress $addr:22
AddressFamily inet
HostKey $d/ssh_host_ed25519_key
PidFile $d/sshd.pid
PermitRootLogin prohibit-password
PubkeyAuthentication yes
AuthorizedKeysFile $LAB/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
UseDNS no
X11Forwarding no
PrintMotd no
AllowTcpForwarding yes
AllowStreamLocalForwarding yes
MaxSessions 100
MaxStartups 100:30:200
LogLevel INFO
Subsystem sftp /usr/lib/openssh/sftp-server
EOF
}

build_image_tars() {
    local n=$1 i r="$LAB/img/rootfs" a
    mkdir -p "$r/bin" "$r/www" "$r/etc" "$r/tmp" "$r/root"
    chmod 1777 "$r/tmp"
    cp /bin/busybox "$r/bin/busybox"
    for a in $(busybox --list); do
        [ "$a" = busybox ] || ln -sf busybox "$r/bin/$a"
    done
    for a in sh ping ip ifconfig httpd wget nc cat hostname sleep ls route netstat echo grep; do
        [ -e "$r/bin/$a" ] || die "busybox lacks applet $a"
    done
    printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$r/etc/passwd"
    printf 'root:x:0:\nnogroup:x:65534:\n' >"$r/etc/group"
    # /cgi-bin/ip answers with the client's address as the server sees it (source-IP tests)
    mkdir -p "$r/www/cgi-bin"
    cat >"$r/www/cgi-bin/ip" <<'CGI'
#!/bin/sh
printf 'Content-Type: text/plain\r\n\r\n%s\n' "$REMOTE_ADDR"
CGI
    chmod 755 "$r/www/cgi-bin/ip"
    for ((i = 1; i <= n; i++)); do
        printf 'hello from h%s\n' "$i" >"$r/www/index.html"
        tar -C "$r" --numeric-owner --owner=0 --group=0 -cf "$LAB/img/h$i.tar" .
    done
}

import_image() {
    local i=$1
    if dk "$i" image inspect "$IMAGE" >/dev/null 2>&1; then return 0; fi
    dk "$i" import --change 'CMD ["/bin/sh"]' --change 'ENV PATH=/bin' \
        --message "dockernet lab image for h$i" "$LAB/img/h$i.tar" "$IMAGE" >/dev/null
}

start_holder() {
    local i=$1 d
    d=$(hd "$i")
    rm -f "$d/holder.pid" "$d/ready"
    # own session, stdio to files, lock fd closed: the holder outlives this script
    setsid -f nsenter --net="/run/netns/${NS_PREFIX}$i" \
        unshare --mount --uts --propagation private \
        /bin/bash "$LAB/bin/hostctl" init "$LAB" "h$i" \
        </dev/null >"$d/holder.log" 2>&1 9>&-
}

wait_ready() {
    local i=$1 d k
    d=$(hd "$i")
    for ((k = 0; k < 600; k++)); do
        [ -f "$d/ready" ] && return 0
        if [ "$k" -gt 20 ] && ! holder_pid "$i" >/dev/null && [ ! -f "$d/ready" ]; then break; fi
        sleep 0.1
    done
    warn "host h$i did not come up; holder.log:"
    sed 's/^/    /' "$d/holder.log" >&2 || true
    warn "last lines of $d/dockerd.log:"
    tail -n 20 "$d/dockerd.log" 2>/dev/null | sed 's/^/    /' >&2 || true
    return 1
}

write_lab_json() {
    local n=$1 i d hosts="[]"
    for ((i = 1; i <= n; i++)); do
        d=$(hd "$i")
        hosts=$(jq -c --arg name "h$i" --arg netns "${NS_PREFIX}$i" --arg addr "$(lan_addr "$i")" --arg d "$d" \
            --arg line "$(cat "$d/docker-version")" --arg server "$(dk "$i" version --format '{{.Server.Version}}')" \
            '. + [{name: $name, netns: $netns, lanAddress: $addr, sshPort: 22, user: "root",
                   dockerLine: $line, dockerVersion: $server,
                   dockerSocket: ("unix://" + $d + "/docker.sock"), holderPidFile: ($d + "/holder.pid"),
                   restartsLog: ($d + "/restarts.log"), dockerdLog: ($d + "/dockerd.log")}]' <<<"$hosts")
    done
    jq -n --arg lab "$LAB" --arg cidr "$LAN_CIDR" --arg runner "$RUNNER_ADDR" --arg image "$IMAGE" \
        --argjson hosts "$hosts" \
        '{labDir: $lab, lanCidr: $cidr, runnerAddress: $runner, privateKeyPath: ($lab + "/id"),
          knownHostsPath: ($lab + "/known_hosts"), image: $image, hosts: $hosts}' >"$LAB/lab.json.tmp"
    mv "$LAB/lab.json.tmp" "$LAB/lab.json"
}

ssh_lab() { # i cmd...
    local i=$1
    shift
    ssh -i "$LAB/id" -o UserKnownHostsFile="$LAB/known_hosts" -o StrictHostKeyChecking=yes \
        -o BatchMode=yes -o ConnectTimeout=5 -o LogLevel=ERROR "root@$(lan_addr "$i")" "$@"
}

summary() {
    local n=$1 i
    say "lab is UP with $n host(s) in $LAB (lab.json: $LAB/lab.json)"
    echo "  runner $RUNNER_IF $RUNNER_ADDR/24 -> switch $SW/lan"
    for ((i = 1; i <= n; i++)); do
        echo "  h$i  netns ${NS_PREFIX}$i  $(lan_addr "$i")  Docker $(cat "$(hd "$i")/docker-version")  ssh root@$(lan_addr "$i")  DOCKER_HOST=unix://$(hd "$i")/docker.sock"
    done
    echo "  ssh -i $LAB/id -o UserKnownHostsFile=$LAB/known_hosts root@$(lan_addr 1) docker ps"
    echo "  bash $HERE/lab.sh exec h1 -- docker ps"
}

do_up() {
    local n=$1 i t0
    t0=$(date +%s)
    if health "$n" no && cmp -s "$HERE/hostctl.sh" "$LAB/bin/hostctl"; then
        say "lab already up and healthy with $n host(s); leaving it as it is"
        summary "$n"
        return 0
    fi
    check_tools
    check_lan_free
    local v
    for v in $(printf '%s\n' "${WANT_DOCKER[@]}" | sort -u); do
        bash "$DOCKERS" root "$v" >/dev/null || die "Docker $v could not be made ready (test/lab/dockers.sh fetch $v)"
    done
    if [ -e "$LAB" ] && { [ ! -d "$LAB" ] || { [ ! -f "$LAB/$MARKER" ] && [ -n "$(ls -A "$LAB")" ]; }; }; then
        die "$LAB exists and is not a lab directory (no $MARKER); set DOCKERNET_LAB_DIR or remove it"
    fi
    if [ -e "$LAB" ] || ip netns list 2>/dev/null | grep -qE "^(${NS_PREFIX}[0-9]+|$SW)( |$)" || ip link show "$RUNNER_IF" >/dev/null 2>&1; then
        say "cleaning up a previous/stale lab first"
        do_down
    fi

    say "building lab with $n host(s) in $LAB"
    mkdir -p "$LAB"
    chmod 700 "$LAB"
    echo "dockernet test lab; removed by 'lab.sh down'" >"$LAB/$MARKER"
    mkdir -p "$LAB/bin" "$LAB/img"
    install -m 755 "$HERE/hostctl.sh" "$LAB/bin/hostctl"
    ssh-keygen -q -t ed25519 -N '' -C dockernet-lab -f "$LAB/id"
    cp "$LAB/id.pub" "$LAB/authorized_keys"
    chmod 600 "$LAB/authorized_keys"
    # the host mount namespaces bind-mount over /var/lib/docker: the mount point must exist
    if [ ! -d /var/lib/docker ]; then mkdir -p /var/lib/docker; chmod 711 /var/lib/docker; fi
    if [ ! -d /var/lib/dockernet ]; then mkdir -p /var/lib/dockernet; fi # mount point only

    # switch
    ip netns add "$SW"
    ip -n "$SW" link set lo up
    ip -n "$SW" link add lan type bridge
    ip -n "$SW" link set lan up
    # hosts
    for ((i = 1; i <= n; i++)); do
        ip netns add "${NS_PREFIX}$i"
        ip -n "$SW" link add "p-h$i" type veth peer name eth0 netns "${NS_PREFIX}$i"
        ip -n "$SW" link set "p-h$i" master lan up
        ip -n "${NS_PREFIX}$i" link set lo up
        ip -n "${NS_PREFIX}$i" addr add "$(lan_addr "$i")/24" dev eth0
        ip -n "${NS_PREFIX}$i" link set eth0 up
        write_host_files "$i"
    done
    # runner's leg: root-ns end dnlab0, no IPv6 (so no link-local route either)
    ip link add "$RUNNER_IF" type veth peer name p-runner netns "$SW"
    sysctl -q -w "net.ipv6.conf.$RUNNER_IF.disable_ipv6=1" 2>/dev/null || true
    ip addr add "$RUNNER_ADDR/24" dev "$RUNNER_IF"
    ip -n "$SW" link set p-runner master lan up
    ip link set "$RUNNER_IF" up

    for ((i = 1; i <= n; i++)); do start_holder "$i"; done
    build_image_tars "$n"
    local failed=0
    for ((i = 1; i <= n; i++)); do wait_ready "$i" || failed=1; done
    if [ $failed = 1 ]; then
        warn "lab did not come up; tearing it down (run with the logs above to debug)"
        do_down || true
        exit 1
    fi
    : >"$LAB/known_hosts"
    for ((i = 1; i <= n; i++)); do
        echo "$(lan_addr "$i") $(cut -d' ' -f1,2 "$(hd "$i")/ssh_host_ed25519_key.pub")" >>"$LAB/known_hosts"
    done
    local pids=()
    for ((i = 1; i <= n; i++)); do import_image "$i" & pids+=($!); done
    for i in "${pids[@]}"; do wait "$i" || failed=1; done
    [ $failed = 0 ] || { warn "docker import failed"; do_down || true; exit 1; }
    rm -rf "$LAB/img/rootfs" # the tars stay: lab.sh docker --fresh imports them again
    write_lab_json "$n"
    # end-to-end check over the LAN: ssh in, talk to that host's own dockerd
    for ((i = 1; i <= n; i++)); do
        local name
        name=$(ssh_lab "$i" 'docker info --format "{{.Name}}"') || { warn "ssh/docker check of h$i failed"; failed=1; continue; }
        [ "$name" = "h$i" ] || { warn "h$i: ssh reached a dockerd named '$name'"; failed=1; }
    done
    [ $failed = 0 ] || { warn "lab checks failed; tearing down"; do_down || true; exit 1; }
    health "$n" no || { health "$n" yes >&2 || true; warn "lab is not healthy after up"; exit 1; }
    summary "$n"
    say "up took $(($(date +%s) - t0))s"
}

lock() {
    exec 9>>"$LOCK_FILE"
    flock -w 300 9 || die "another lab.sh up/down holds $LOCK_FILE"
}

usage() {
    cat <<EOF
usage: $PROG up [N]            build (or keep) a lab of N Docker hosts (1..$MAX_HOSTS, default 2), each
                               running the Docker line DOCKERNET_LAB_DOCKER gives it (default: the
                               newest; e.g. 28.5, or h1=20.10,h2=26.1,h3=28.5)
       $PROG down              remove everything the lab made
       $PROG status            show whether the lab is up; exit 0 only if healthy
       $PROG exec hN -- cmd... run cmd in host hN's network + mount namespaces
       $PROG reboot hN...      reboot hosts at once (hostctl reboot: kernel state lost, init boots)
       $PROG docker hN V [--fresh]  switch host hN to Docker line V in place, as an upgrade does
                               (--fresh: its /var/lib/docker emptied first, the lab image imported again)
lab dir: \${DOCKERNET_LAB_DIR:-/var/tmp/dockernet-lab} (now $LAB)
EOF
}

main() {
    local cmd=${1:-}
    [ $# -gt 0 ] && shift
    case $cmd in
        up)
            need_root
            check_lab_path
            local n=${1:-2}
            if ! [[ $n =~ ^[1-9]$ ]] || [ "$n" -gt $MAX_HOSTS ]; then die "N must be 1..$MAX_HOSTS (got '$n')"; fi
            [ $# -le 1 ] || die "usage: $PROG up [N]"
            want_dockers "$n"
            lock
            do_up "$n" ;;
        down)
            need_root
            check_lab_path
            lock
            do_down
            say "lab is down" ;;
        status)
            need_root
            check_lab_path
            health "" yes ;;
        exec)
            need_root
            check_lab_path
            local h=${1:-} i pid
            [[ $h =~ ^h([1-9])$ ]] || die "usage: $PROG exec hN -- cmd args..."
            i=${BASH_REMATCH[1]}
            shift
            [ "${1:-}" = "--" ] && shift
            pid=$(holder_pid "$i") || die "host h$i is not up (no live holder in $(hd "$i")/holder.pid)"
            [ $# -gt 0 ] || set -- /bin/bash
            exec nsenter -t "$pid" --net --mount --uts -- "$@" ;;
        docker)
            need_root
            check_lab_path
            local h=${1:-} v=${2:-} mode=keep i pid root n
            if ! [[ $h =~ ^h([1-9])$ ]] || [ -z "$v" ]; then die "usage: $PROG docker hN V [--fresh]"; fi
            i=${BASH_REMATCH[1]}
            [ "${3:-}" = --fresh ] && mode=fresh
            [[ " $(bash "$DOCKERS" versions) " == *" $v "* ]] || die "'$v' is not a Docker line the lab knows ($(bash "$DOCKERS" versions))"
            pid=$(holder_pid "$i") || die "host h$i is not up"
            root=$(bash "$DOCKERS" root "$v") || die "Docker $v could not be made ready"
            lock
            nsenter -t "$pid" --net --mount --uts -- "$LAB/bin/hostctl" switch-docker "$root" "$v" "$mode" || die "h$i: switching to Docker $v failed (see $(hd "$i")/dockerd.log)"
            [ "$mode" = keep ] || import_image "$i"
            n=$(jq -r '.hosts | length' "$LAB/lab.json")
            write_lab_json "$n"
            say "h$i runs Docker $v ($(dk "$i" version --format '{{.Server.Version}}'))" ;;
        reboot)
            need_root
            check_lab_path
            [ $# -gt 0 ] || die "usage: $PROG reboot hN..."
            local h i pid pids=() rc=0
            for h in "$@"; do
                [[ $h =~ ^h([1-9])$ ]] || die "usage: $PROG reboot hN..."
                i=${BASH_REMATCH[1]}
                pid=$(holder_pid "$i") || die "host h$i is not up"
                nsenter -t "$pid" --net --mount --uts -- "$LAB/bin/hostctl" reboot &
                pids+=($!)
            done
            for pid in "${pids[@]}"; do wait "$pid" || rc=1; done
            return $rc ;;
        -h|--help|help) usage ;;
        *) usage >&2; exit 2 ;;
    esac
}

main "$@"
