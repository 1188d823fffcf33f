#!/bin/sh
# valgrind.sh - valgrind memcheck over the end-to-end runs of the release
# binary (issue 8): every committed fixture replayed with --json and
# --report, the demo, the poisoned input kinds (a short
# scenario with 1% garbage, see tests/poison/run.py) and the hostile .zst
# cases. Each run must exit as it does natively with no memcheck error and
# no definite or possible leak (--error-exitcode=99 --leak-check=full).
#
#   sh tests/valgrind.sh [BINARY]       (default build/rel/faultline)
#   make valgrind
#
# Prints "ok - NAME" / "not ok - NAME: WHY", then "N passed, N failed".
# Slow (valgrind runs ~30x slower): not part of `make test`.
set -u
BIN=${1:-build/rel/faultline}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export LC_ALL=C
if ! command -v valgrind >/dev/null; then
    echo "valgrind.sh: valgrind is not installed (apt-get install valgrind)" >&2
    exit 2
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/faultline-vg.XXXXXX") || exit 2
trap 'rm -rf "$T"' EXIT
passed=0
failed=0
n=0
VG="valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,possible --show-leak-kinds=definite,possible --track-fds=no -q"

# vg NAME WANT_RC ARGS...
vg() {
    name=$1
    want=$2
    shift 2
    n=$((n + 1))
    $VG "$BIN" "$@" >"$T/out.$n" 2>"$T/err.$n"
    rc=$?
    if [ "$rc" -eq "$want" ] && ! grep -q '^==[0-9]*== ' "$T/err.$n"; then
        echo "ok - $name"
        passed=$((passed + 1))
    else
        echo "not ok - $name: exit $rc (want $want)"
        grep '^==[0-9]*== ' "$T/err.$n" | head -30
        failed=$((failed + 1))
    fi
}

for d in "$ROOT"/fixtures/*/; do
    k=$(basename "$d")
    [ -f "$d/deploys.jsonl" ] || continue
    vg "replay $k --json --report" 0 replay --json --report "$T/rep-$k" \
        --deploys "$d/deploys.jsonl" "$d"/logs-*.jsonl.zst
done
vg "demo" 0 demo

# hostile inputs: 1% garbage of every kind in a short scenario
python3 "$ROOT/tests/gen/scenario.py" --kind bad_config --seed 3 --minutes 30 \
    --out "$T/sc" -q
python3 - "$ROOT" "$T/sc" <<'EOF'
import random, sys
sys.path.insert(0, sys.argv[1] + "/tests/poison")
import run as poison
d = sys.argv[2]
counts = {}
rng = random.Random(3)
for f in ("logs-a.jsonl", "logs-b.jsonl"):
    poison.poison(d + "/" + f, d + "/p-" + f, rng, 0.01, 1, counts)
EOF
vg "replay of 1% garbage (every poison kind)" 0 replay --json \
    --deploys "$T/sc/deploys.jsonl" "$T/sc/p-logs-a.jsonl" "$T/sc/p-logs-b.jsonl"
head -c 268435456 /dev/zero | zstd -q -1 -c >"$T/zeros.zst"
vg "256 MiB of zeros in a .zst" 0 replay --json "$T/zeros.zst"
head -c 50000 "$ROOT/fixtures/quiet/logs-a.jsonl.zst" >"$T/cut.jsonl.zst"
vg "a .zst cut short (lines before the damage kept)" 0 replay --json "$T/cut.jsonl.zst"
printf 'not zstd at all\n' >"$T/bad.zst"
vg "a .zst that is not zstd (exit 2)" 2 replay --json "$T/bad.zst"
printf '\337\377\377\377\377' >"$T/h.mp"
vg "a 5-byte msgpack header declaring 4 Gi entries" 0 replay --json "$T/h.mp"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
