#!/bin/sh
# limits.sh - resource limits at full size (issue 8, item 4); prints
# figures, asserts nothing (tests/limits.sh is the short check in make
# test). Needs python3, zstd and GNU time (/usr/bin/time).
#
#   nice sh bench/limits.sh [BINARY]        (default ./faultline)
#
#   1. 1M distinct service names, one event each: max RSS with the default
#      detect.max_services (100000), and with a cap of 50000 for comparison;
#   2. zeros in a .zst (1 GiB and 4 GiB, no newline): time and max RSS;
#   3. a catastrophic user pattern (^\S+ (a+)+$) on lines of n a's and a
#      'b': milliseconds per line, for n from 30 to 60000.
set -u
BIN=${1:-./faultline}
export LC_ALL=C
T=$(mktemp -d "${TMPDIR:-/tmp}/faultline-limits.XXXXXX") || exit 2
trap 'rm -rf "$T"' EXIT

stats() { python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["stats"]))' "$1"; }
# run LABEL ARGS...: runs the binary under GNU time, prints label, wall
# time, max RSS and the stats
run() {
    label=$1
    shift
    /usr/bin/time -f '%e %M' -o "$T/time" "$BIN" "$@" >"$T/out.json" 2>"$T/err"
    rc=$?
    set -- $(tail -n 1 "$T/time")
    printf '%-44s exit %d  %6.2f s  max RSS %7.1f MiB\n' "$label" "$rc" "$1" \
        "$(echo "$2 / 1024" | bc -l)"
    echo "    $(stats "$T/out.json" 2>/dev/null | cut -c1-300)"
}

echo "== 1. 1M distinct service names"
python3 - "$T/svc1m.jsonl" <<'EOF'
import sys
t0 = 1784883600000
with open(sys.argv[1], "w") as f:
    for i in range(1000000):
        f.write('{"ts":%d,"service":"svc-%07d","status":200,"latency_ms":5}\n' % (t0 + i * 3, i))
EOF
run "default cap (detect.max_services 100000)" replay --json "$T/svc1m.jsonl"
printf 'detect:\n  max_services: 50000\n' >"$T/cap.yaml"
run "detect.max_services 50000" replay --json --config "$T/cap.yaml" "$T/svc1m.jsonl"
rm -f "$T/svc1m.jsonl"

echo "== 2. zeros in a .zst"
for g in 1 4; do
    head -c $((g << 30)) /dev/zero | zstd -q -1 -c >"$T/zeros.zst"
    run "$g GiB of zeros ($(wc -c <"$T/zeros.zst") bytes compressed)" replay --json "$T/zeros.zst"
done
rm -f "$T/zeros.zst"

echo "== 3. catastrophic pattern ^(?<ts>\\S+) (?<msg>(a+)+)\$, ms per hostile line"
cat >"$T/evil.yaml" <<'EOF'
patterns:
  - name: evil
    regex: '^(?<ts>\S+) (?<msg>(a+)+)$'
EOF
for n in 30 100 1000 10000 30000 60000; do
    lines=200
    python3 -c "
import sys
n, k = int(sys.argv[1]), int(sys.argv[2])
for i in range(k):
    print('2026-07-24T09:00:%02dZ ' % (i % 60) + 'a' * n + 'b')" $n $lines >"$T/evil.log"
    /usr/bin/time -f '%e %M' -o "$T/time" "$BIN" replay --json --config "$T/evil.yaml" \
        --format evil "$T/evil.log" >"$T/out.json" 2>"$T/err"
    set -- $(tail -n 1 "$T/time")
    lim=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["stats"]["by_reason"].get("pattern_limit", 0))' "$T/out.json")
    printf '  %6d a: %3d lines, pattern_limit %3d, %.2f ms per line (max RSS %d KiB)\n' \
        $n $lines "$lim" "$(echo "$1 * 1000 / $lines" | bc -l)" "$2"
done
