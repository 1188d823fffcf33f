#!/bin/sh
# bench/kill.sh [KILLS] [SECONDS] - crash safety at length: SIGKILL
# `faultline consume` KILLS times (default 50) over one paced stream
# (default 4 s per kill) and restart it from its state dir each time; see
# tests/kafka/kill.sh for what is checked. KILL_GROUP=same keeps one
# consumer group throughout (slower: each restart waits for the killed
# member's session to expire). Prints the figures and the checks.
set -eu
cd "$(dirname "$0")/.."
make -s build/rel/faultline build/rel/mock_cluster
KILLS=${1:-50}
S=$(date +%s)
nice sh tests/kafka/kill.sh build/rel "$KILLS" ${2:+"$2"} || true
echo "wall time: $(($(date +%s) - S)) s"
