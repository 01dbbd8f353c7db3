#!/bin/bash
# The live tests on the older Docker lines and on a mixed lab (issue 23), after the full suite has
# run on the newest line (npm run test:live). Each run brings the lab up with the Docker lines it
# names (DOCKERNET_LAB_DOCKER; lab.sh rebuilds it when they differ) and takes it down after:
#   20.10, every host: single host, cross host, isolation, reboot
#   26.1, every host: single host, cross host, isolation (its iptables layout is 20.10's; the
#   reboot test's restore unit is the same on every line and runs on 20.10 and the newest)
#   h1 20.10, h2 26.1, h3 and h4 the newest: the routed mesh (every direction by ping and HTTP,
#   a host added, one removed under a ping loop, teardown byte-identical): the mesh on both older
#   lines at once, and beside the newest
# (CI's time: the full suite on the newest line takes about 45 minutes here, so the older lines
# get what differs between them, not all of it again.)
# Jest's own exit code stops this script at the first failing run.
set -euo pipefail
cd "$(dirname "$0")/../.."

BASIC=(test/live/singleHost.test.ts test/live/crossHost.test.ts test/live/isolation.test.ts)
NEWEST=$(bash test/lab/dockers.sh newest)

live() { # DOCKER-SPEC JEST-ARGS...
    local spec=$1
    shift
    echo
    echo "=== live tests with DOCKERNET_LAB_DOCKER=$spec: $*"
    DOCKERNET_LAB_DOCKER=$spec npx jest --selectProjects live --runInBand "$@"
}

live 20.10 --runTestsByPath "${BASIC[@]}" test/live/reboot.test.ts
live 26.1 --runTestsByPath "${BASIC[@]}"
live "h1=20.10,h2=26.1,h3=$NEWEST,h4=$NEWEST" --runTestsByPath test/live/mesh.test.ts
