#!/bin/sh
# bench/throughput.sh - faultline's whole replay pipeline (decode, bucket,
# detect, group, rank, render) next to the tools users would otherwise
# reach for, in the same run, on the same generated files:
#   nginx combined + $request_time: pcre2grep -c with faultline's own
#     full-line nginx regex (the floor of the matching work), and mtail
#     -one_shot counting requests and 5xx per service with a latency
#     histogram (bench/peers/nginx.mtail);
#   JSON lines (~180 bytes): gojq computing per-service request and error
#     counts;
#   the same files as .zst (zstd -3): faultline only, against its plain rate.
# Figures, not pass/fail. Environment:
#   BENCH_LINES (2000000)  lines per file
#   BENCH_SERVICES (100)   services in the files
#   BENCH_SLOW_LINES (400000) lines mtail and gojq read: a prefix of the same
#                          file, same mix (they run at ~1/20 of the speed)
#   BENCH_REPEAT (3)       runs per tool; the fastest counts
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
BIN=${FAULTLINE:-./build/rel/faultline}
LINES=${BENCH_LINES:-2000000}
SVCS=${BENCH_SERVICES:-100}
SLOW=${BENCH_SLOW_LINES:-400000}
REP=${BENCH_REPEAT:-3}
[ "$SLOW" -le "$LINES" ] || SLOW=$LINES

cc -O2 -std=c11 -o "$B/gen" bench/gen.c
N=$B/nginx-$LINES-$SVCS.log
J=$B/json-$LINES-$SVCS.jsonl
D=$B/deploys-$SVCS.jsonl
[ -s "$N" ] || "$B/gen" nginx "$LINES" "$SVCS" >"$N"
[ -s "$J" ] || "$B/gen" json "$LINES" "$SVCS" >"$J"
"$B/gen" deploys "$SVCS" "$(awk -v l="$LINES" 'BEGIN { s = int(l / 500); print (s > 3600 ? s : 3600) }')" >"$D"
[ -s "$N.zst" ] || zstd -q -3 -T2 -f "$N" -o "$N.zst"
[ -s "$J.zst" ] || zstd -q -3 -T2 -f "$J" -o "$J.zst"
head -n "$SLOW" "$N" >"$B/nginx-slow.log"
head -n "$SLOW" "$J" >"$B/json-slow.jsonl"
NB=$(wc -c <"$N")
JB=$(wc -c <"$J")
NSB=$(wc -c <"$B/nginx-slow.log")
JSB=$(wc -c <"$B/json-slow.jsonl")
# nginx lines by config; the deploys file stays auto-detected JSON
printf 'files:\n  - glob: "*.log*"\n    format: nginx\n' >"$B/nginx.yaml"

# faultline's built-in nginx regex (ingest/pattern.c), as pcre2grep reads it
RE='^(?<remote_addr>\S++) (?<ident>\S++) (?<remote_user>\S++) \[(?<ts>[^\]]++)\] "(?<msg>(?:(?<method>[A-Z]{1,20}+) (?<path>[^ "\\]++))?(?:[^"\\]++|\\.)*+)" (?<status>\d{3}+) (?:\d++|-)(?: "(?:[^"\\]++|\\.)*+" "(?:[^"\\]++|\\.)*+")?(?: (?<latency_s>\d++(?:\.\d++)?+)(?= |$))?(?: .*)?$'

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'); $(load)"
echo "inputs: $LINES lines x2 over $SVCS services; best of $REP runs (mtail, gojq: 1 run on the first $SLOW lines)"
echo
header "nginx ($((NB / 1000000)) MB)"
measure "faultline replay nginx" "$LINES" "$NB" "$REP" \
    "$BIN" replay --json --quiet --config "$B/nginx.yaml" --deploys "$D" "$N"
cp "$B/out.txt" "$B/nginx.json"
measure "faultline replay nginx.zst" "$LINES" "$NB" "$REP" \
    "$BIN" replay --json --quiet --config "$B/nginx.yaml" --deploys "$D" "$N.zst"
cmp -s "$B/out.txt" "$B/nginx.json" || echo "  !! .zst result differs from plain"
if need pcre2grep pcre2-utils; then
    measure "pcre2grep -c (same regex)" "$LINES" "$NB" "$REP" pcre2grep -c "$RE" "$N"
    [ "$(cat "$B/out.txt")" = "$LINES" ] || echo "  !! pcre2grep matched $(cat "$B/out.txt") lines"
fi
if need mtail mtail; then
    measure "mtail -one_shot" "$SLOW" "$NSB" 1 \
        sh -c 'exec mtail -one_shot -one_shot_format prometheus -logs "$1" \
            -progs bench/peers -address 127.0.0.1 -port 0 2>"$2"' mtail \
        "$B/nginx-slow.log" "$B/mtail.err"
    got=$(awk '/^requests\{/ { s += $2 } END { print s + 0 }' "$B/out.txt")
    [ "$got" = "$SLOW" ] || echo "  !! mtail counted $got requests"
fi
echo
header "JSON lines ($((JB / 1000000)) MB, $((JB / LINES)) B/line)"
measure "faultline replay json" "$LINES" "$JB" "$REP" \
    "$BIN" replay --json --quiet --deploys "$D" "$J"
cp "$B/out.txt" "$B/json.json"
measure "faultline replay json.zst" "$LINES" "$JB" "$REP" \
    "$BIN" replay --json --quiet --deploys "$D" "$J.zst"
cmp -s "$B/out.txt" "$B/json.json" || echo "  !! .zst result differs from plain"
if need gojq gojq; then
    measure "gojq per-service counts" "$SLOW" "$JSB" 1 \
        gojq -n -c 'reduce inputs as $l ({}; .[$l.service].requests += 1
            | if ($l.status // 0) >= 500 then .[$l.service].errors += 1 else . end)' \
        "$B/json-slow.jsonl"
fi
python3 - "$B/nginx.json" "$B/json.json" "$LINES" <<'PY'
import json, sys
for path in sys.argv[1:3]:
    d = json.load(open(path))
    st = d["stats"]
    top = d["incidents"][0]["causes"][0] if d["incidents"] and d["incidents"][0]["causes"] else {}
    print(f"  {path}: {st['lines']} lines, {st['bad_lines']} bad, "
          f"{len(d['incidents'])} incidents, top cause {top.get('kind', '-')} "
          f"{top.get('service', '')} {top.get('ref', '')}")
PY
echo
echo "ratios (lines/s):"
ratio "nginx: faultline / pcre2grep -c" "faultline replay nginx" "pcre2grep -c (same regex)" 0.6
ratio "nginx: faultline / mtail -one_shot" "faultline replay nginx" "mtail -one_shot" 15
ratio "nginx: faultline .zst / plain" "faultline replay nginx.zst" "faultline replay nginx" 0.9
ratio "json:  faultline / gojq" "faultline replay json" "gojq per-service counts" 10
ratio "json:  faultline .zst / plain" "faultline replay json.zst" "faultline replay json" 0.9
