#!/bin/bash
# Docker builds for the lab, from Debian's own packages. Each lab host runs the Docker it is given
# (lab.sh: DOCKERNET_LAB_DOCKER); this script makes each version's binaries available in a folder of
# its own, without installing anything system-wide and without touching the machine's apt sources:
#
#   20.10  bookworm's docker.io, as .ci/run installs it (the machine's own /usr/sbin/dockerd ...)
#   26.1   trixie's docker.io + docker-cli + containerd, downloaded and unpacked
#   28.5   forky's (or sid's) docker.io + docker-cli + containerd, downloaded and unpacked
#
# The download uses an apt configuration of its own (a sources file, lists and archives under the
# cache folder) pointing at the archive the machine's apt already uses for Debian, with the other
# suites. runc stays the machine's (bookworm's): newer suites' runc needs a newer glibc, and every
# line above runs with it. docker-init (tini) is the machine's too.
#
# Usage: dockers.sh root V      print the folder whose usr/ holds version V's binaries (fetching it
#                               once into the cache); for 20.10, "/"
#        dockers.sh fetch V...  fetch the versions now (CI does this before the live tests)
#        dockers.sh versions    the versions known here, newest last
#        dockers.sh newest      the newest known version (the lab's default)
# Cache: ${DOCKERNET_DOCKER_CACHE:-/var/cache/dockernet-lab/docker}
set -euo pipefail

PROG=dockers.sh
CACHE=${DOCKERNET_DOCKER_CACHE:-/var/cache/dockernet-lab/docker}
CACHE=${CACHE%/}
export PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin${PATH:+:$PATH}"

die() { echo "$PROG: error: $*" >&2; exit 1; }

# version line -> the Debian suites that carry it (tried in order) ; "system" = the machine's own
VERSIONS="20.10 26.1 28.5"
suites_of() {
    case $1 in
        20.10) echo system ;;
        26.1) echo trixie ;;
        28.5) echo "forky sid" ;;
        *) return 1 ;;
    esac
}

known() { suites_of "$1" >/dev/null 2>&1 || die "unknown Docker version '$1' (known: $VERSIONS)"; }

# The URI and keyring of the machine's own Debian archive entry (deb822 .sources or one-line lists):
# the same archive serves every suite. Prints "URI KEYRING" (KEYRING may be empty).
debian_archive() {
    local f uri="" key=""
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -r "$f" ] || continue
        # the first stanza whose Suites has the machine's codename and whose URI ends in /debian
        read -r uri key < <(awk -v code="$(codename)" '
            BEGIN { RS = ""; FS = "\n" }
            {
                u = ""; s = ""; k = ""
                for (i = 1; i <= NF; i++) {
                    if ($i ~ /^URIs:/) { u = $i; sub(/^URIs:[ \t]*/, "", u); sub(/[ \t].*$/, "", u) }
                    if ($i ~ /^Suites:/) { s = " " $i " " }
                    if ($i ~ /^Signed-By:/) { k = $i; sub(/^Signed-By:[ \t]*/, "", k) }
                }
                if (u ~ /\/debian\/?$/ && index(s, " " code " ") > 0) { print u, k; exit }
            }' "$f") || true
        [ -n "$uri" ] && break
    done
    if [ -z "$uri" ] && [ -r /etc/apt/sources.list ]; then
        uri=$(awk -v code="$(codename)" '$1 == "deb" && $0 !~ /\[/ && $3 == code && $2 ~ /\/debian\/?$/ { print $2; exit }' /etc/apt/sources.list) || true
    fi
    [ -n "$uri" ] || die "could not find the Debian archive in the machine's apt sources (/etc/apt/sources.list.d/*.sources, /etc/apt/sources.list)"
    echo "${uri%/} ${key:-/usr/share/keyrings/debian-archive-keyring.gpg}"
}

# shellcheck source=/dev/null
codename() { . /etc/os-release && echo "${VERSION_CODENAME:?no VERSION_CODENAME in /etc/os-release}"; }

APT_DIR="$CACHE/.apt"
apt_opts() {
    echo "-o Dir::Etc::SourceList=$APT_DIR/sources.list -o Dir::Etc::SourceParts=/dev/null" \
        "-o Dir::State::Lists=$APT_DIR/lists -o Dir::Cache=$APT_DIR/cache -o Dir::State::status=/dev/null" \
        "-o APT::Sandbox::User=root"
}

# apt lists for the newer suites, once per cache (refreshed when older than a day)
apt_lists() {
    local uri key
    mkdir -p "$APT_DIR/lists/partial" "$APT_DIR/cache/archives/partial"
    if [ -f "$APT_DIR/updated" ] && [ -n "$(find "$APT_DIR/updated" -mmin -1440 2>/dev/null)" ]; then return 0; fi
    read -r uri key < <(debian_archive)
    local suite
    for suite in trixie forky sid; do printf 'deb [signed-by=%s] %s %s main\n' "$key" "$uri" "$suite"; done >"$APT_DIR/sources.list"
    # shellcheck disable=SC2046 # apt_opts is a list of words
    apt-get $(apt_opts) update -qq >"$APT_DIR/update.log" 2>&1 || { cat "$APT_DIR/update.log" >&2; die "apt-get update of the other suites failed"; }
    touch "$APT_DIR/updated"
}

# "VERSION SUITE" of the newest build of package $1 whose version starts with $2 in suites $3
pick() {
    local pkg=$1 prefix=$2 suites=$3
    # shellcheck disable=SC2046
    apt-cache $(apt_opts) madison "$pkg" | awk -F'|' -v p="$prefix" -v ss=" $suites " '
        { gsub(/[ \t]/, "", $2); split($3, a, " "); split(a[2], b, "/"); s = b[1] }
        index($2, p) == 1 && index(ss, " " s " ") > 0 { print $2, s; exit }'
}

# the folder for version V, fetched and unpacked once
fetch_one() {
    local v=$1 suites dv suite cv tmp f
    suites=$(suites_of "$v")
    if [ "$suites" = system ]; then
        [ -x /usr/sbin/dockerd ] || die "Docker $v is the machine's own docker.io (bookworm): apt-get install docker.io"
        echo /
        return 0
    fi
    if [ -f "$CACHE/$v/ok" ]; then echo "$CACHE/$v/root"; return 0; fi
    mkdir -p "$CACHE"
    exec 7>>"$CACHE/.lock"
    flock -w 600 7 || die "another dockers.sh holds $CACHE/.lock"
    if [ -f "$CACHE/$v/ok" ]; then echo "$CACHE/$v/root"; return 0; fi
    apt_lists
    read -r dv suite < <(pick docker.io "$v." "$suites") || true
    [ -n "${dv:-}" ] || die "no docker.io $v.x in Debian's $suites (apt-cache madison docker.io with $APT_DIR/sources.list)"
    read -r cv _ < <(pick containerd "" "$suite") || true
    [ -n "${cv:-}" ] || die "no containerd in Debian's $suite"
    tmp="$CACHE/$v.tmp"
    rm -rf "$tmp"
    mkdir -p "$tmp/debs" "$tmp/root"
    # shellcheck disable=SC2046
    (cd "$tmp/debs" && apt-get $(apt_opts) download -qq "docker.io=$dv" "docker-cli=$dv" "containerd=$cv" >/dev/null 2>"$tmp/download.log") ||
        { cat "$tmp/download.log" >&2; die "downloading docker.io=$dv docker-cli=$dv containerd=$cv failed"; }
    for f in "$tmp"/debs/*.deb; do dpkg-deb -x "$f" "$tmp/root"; done
    for f in usr/sbin/dockerd usr/sbin/docker-proxy usr/bin/docker usr/bin/containerd usr/bin/containerd-shim-runc-v2; do
        [ -x "$tmp/root/$f" ] || die "$f is missing from docker.io=$dv / docker-cli / containerd=$cv"
    done
    rm -rf "$tmp/debs"
    printf 'docker.io %s (%s)\ncontainerd %s\n' "$dv" "$suite" "$cv" >"$tmp/VERSION"
    rm -rf "${CACHE:?}/$v"
    mv "$tmp" "$CACHE/$v"
    touch "$CACHE/$v/ok"
    echo "$CACHE/$v/root"
}

main() {
    local cmd=${1:-} v
    [ $# -gt 0 ] && shift
    case $cmd in
        root) [ $# -eq 1 ] || die "usage: $PROG root V"; known "$1"; fetch_one "$1" ;;
        fetch)
            [ $# -gt 0 ] || die "usage: $PROG fetch V..."
            for v in "$@"; do known "$v"; done
            for v in "$@"; do
                fetch_one "$v" >/dev/null
                if [ "$(suites_of "$v")" = system ]; then
                    echo "$PROG: Docker $v: the machine's $(dpkg-query -W -f='docker.io ${Version}' docker.io 2>/dev/null || echo docker.io)"
                else
                    echo "$PROG: Docker $v: $(head -n1 "$CACHE/$v/VERSION"), $(sed -n 2p "$CACHE/$v/VERSION")"
                fi
            done ;;
        versions) echo "$VERSIONS" ;;
        newest) echo "${VERSIONS##* }" ;;
        *) die "usage: $PROG root V | fetch V... | versions | newest" ;;
    esac
}

main "$@"
