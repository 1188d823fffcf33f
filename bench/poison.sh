#!/bin/sh
# poison.sh - the poison test (tests/poison/run.py) over every scenario
# kind and several seeds, at 1% garbage with two 10 MiB lines per file;
# prints each run's injected counts and checks, then a total. The short
# version (one kind, one seed, ASan build) runs in make test.
#
#   nice sh bench/poison.sh [BINARY] [SEEDS]     (default ./faultline "41 42")
set -u
BIN=${1:-./faultline}
SEEDS=${2:-41 42}
cd "$(dirname "$0")/.." || exit 2
runs=0
bad=0
for kind in $(python3 tests/gen/scenario.py --list | awk '{print $1}'); do
    for seed in $SEEDS; do
        out=$(python3 tests/poison/run.py --faultline "$BIN" --kind "$kind" --seed "$seed")
        runs=$((runs + 1))
        echo "$out" | grep -q '^not ok' && bad=$((bad + 1))
        echo "$out" | grep -E '^# .*injected|^not ok|passed, '
    done
done
echo "poison: $runs scenario runs, $bad with a failed check"
[ "$bad" -eq 0 ]
