#!/bin/sh
# limits.sh - resource limits through the public interface (issue 8,
# item 4), the short version for `make test`; bench/limits.sh has the
# figures at full size (1M service names, RSS).
#
#   sh tests/limits.sh BINARY
#
#   - services past detect.max_services are counted (service_limit), one
#     per event, and nothing else changes;
#   - 1 GiB of zeros in a .zst (one line without a newline) is refused as
#     one line_too_long, exit 0, in bounded memory (RSS < 64 MiB when
#     /usr/bin/time is there and the binary is not a sanitizer build);
#   - a catastrophic user pattern (^(a+)+$ shape) on hostile lines: every
#     line counted as pattern_limit, none hangs (the per-line cost is in
#     bench/limits.sh and tests/unit/test_pattern.c).
#
# Prints "ok - NAME" / "not ok - NAME: WHY", then "N passed, N failed".
set -u
if [ $# -ne 1 ] || [ ! -x "$1" ]; then
    echo "usage: $0 BINARY" >&2
    exit 2
fi
BIN=$1
export LC_ALL=C
T=$(mktemp -d "${TMPDIR:-/tmp}/faultline-limits.XXXXXX") || exit 2
trap 'rm -rf "$T"' EXIT
passed=0
failed=0
ok() { echo "ok - $1"; passed=$((passed + 1)); }
not_ok() { echo "not ok - $1: $2"; failed=$((failed + 1)); }
# stat KEY FILE: a number from the result document's stats
stat() {
    python3 -c 'import json,sys
s = json.load(open(sys.argv[2]))["stats"]
k = sys.argv[1]
print(s["by_reason"].get(k, 0) if k not in s else s[k])' "$1" "$2"
}

# ---- services past the cap
python3 - "$T/svcs.jsonl" <<'EOF'
import sys
t0 = 1784883600000
with open(sys.argv[1], "w") as f:
    for i in range(5000):
        f.write('{"ts":%d,"service":"svc-%05d","status":200,"latency_ms":5}\n'
                % (t0 + i * 10, i))
EOF
printf 'detect:\n  max_services: 100\n' >"$T/cap.yaml"
"$BIN" replay --json --config "$T/cap.yaml" "$T/svcs.jsonl" >"$T/svcs.json" 2>"$T/svcs.err"
rc=$?
if [ $rc -eq 0 ] && [ "$(stat services "$T/svcs.json")" = 100 ] &&
    [ "$(stat service_limit "$T/svcs.json")" = 4900 ] &&
    [ "$(stat requests "$T/svcs.json")" = 100 ] &&
    [ "$(stat dropped_events "$T/svcs.json")" = 4900 ]; then
    ok "5000 services, cap 100: 100 tracked, 4900 events counted as service_limit"
else
    not_ok "service cap" "exit $rc, $(tail -c 400 "$T/svcs.json") $(head -c 400 "$T/svcs.err")"
fi

# ---- 1 GiB of zeros in a .zst
head -c 1073741824 /dev/zero | zstd -q -1 -c >"$T/zeros.jsonl.zst"
asan=0
if readelf --dyn-syms -W "$BIN" 2>/dev/null | grep -q __asan_init ||
    nm "$BIN" 2>/dev/null | grep -q __asan_init; then
    asan=1
fi
if [ -x /usr/bin/time ] && [ $asan -eq 0 ]; then
    /usr/bin/time -f '%M' -o "$T/rss" "$BIN" replay --json "$T/zeros.jsonl.zst" \
        >"$T/zeros.json" 2>"$T/zeros.err"
    rc=$?
    rss=$(tail -n 1 "$T/rss")
else
    "$BIN" replay --json "$T/zeros.jsonl.zst" >"$T/zeros.json" 2>"$T/zeros.err"
    rc=$?
    rss=0
fi
zsize=$(wc -c <"$T/zeros.jsonl.zst")
if [ $rc -eq 0 ] && [ "$(stat line_too_long "$T/zeros.json")" = 1 ] &&
    [ "$(stat events "$T/zeros.json")" = 0 ] && [ "$rss" -lt 65536 ]; then
    [ "$rss" -gt 0 ] && rss="max RSS $rss KiB" || rss="RSS not measured"
    ok "1 GiB of zeros ($zsize bytes of zstd): one line_too_long, exit 0, $rss"
else
    not_ok "1 GiB of zeros in a .zst" "exit $rc, RSS $rss KiB, $(tail -c 300 "$T/zeros.json") $(head -c 300 "$T/zeros.err")"
fi

# ---- a catastrophic pattern
cat >"$T/evil.yaml" <<'EOF'
patterns:
  - name: evil
    regex: '^(?<ts>\S+) (?<msg>(a+)+)$'
EOF
python3 -c '
for i in range(200):
    print("2026-07-24T09:%02d:%02dZ " % (i // 60, i % 60) + "a" * (25 + i % 30) + "b")
print("2026-07-24T09:59:59Z aaaa")' >"$T/evil.log"
"$BIN" replay --json --config "$T/evil.yaml" --format evil "$T/evil.log" \
    >"$T/evil.json" 2>"$T/evil.err"
rc=$?
if [ $rc -eq 0 ] && [ "$(stat pattern_limit "$T/evil.json")" = 200 ] &&
    [ "$(stat events "$T/evil.json")" = 1 ]; then
    ok "catastrophic pattern: 200 hostile lines counted as pattern_limit, the honest one decoded"
else
    not_ok "catastrophic pattern" "exit $rc, $(tail -c 300 "$T/evil.json") $(head -c 300 "$T/evil.err")"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
