#!/bin/sh
# bench/fleet.sh - scaling with the number of services and memory per
# service: the same number of JSON lines over the same hour, spread over
# 10 ... 10,000 services (throughput and peak RSS), then a large fleet for
# memory alone. Bytes per (service, signal) = the RSS a service adds over
# the smallest fleet, divided by its request signals (error_rate,
# latency_p50/p95/p99, request_rate). Figures, not pass/fail. Environment:
#   BENCH_FLEET_LINES (1000000)      lines per run
#   BENCH_FLEET ("10 100 1000 10000") fleets for throughput
#   BENCH_MEM_FLEET (100000)         the memory-only fleet (0: skip)
#   BENCH_REPEAT (3)                 runs per fleet; the fastest counts
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
BIN=${FAULTLINE:-./build/rel/faultline}
LINES=${BENCH_FLEET_LINES:-1000000}
FLEET=${BENCH_FLEET:-"10 100 1000 10000"}
MEMF=${BENCH_MEM_FLEET:-100000}
REP=${BENCH_REPEAT:-3}
SIGS=5

cc -O2 -std=c11 -o "$B/gen" bench/gen.c
echo "fleet: $LINES JSON lines over one hour, by number of services; $(load)"
header "services"
first=""
for s in $FLEET $MEMF; do
    [ "$s" -gt 0 ] || continue
    f=$B/fleet-$LINES-$s.jsonl
    [ -s "$f" ] || "$B/gen" json "$LINES" "$s" >"$f"
    "$B/gen" deploys "$s" 3600 >"$B/fleet-deploys-$s.jsonl"
    rep=$REP
    case " $FLEET " in *" $s "*) ;; *) rep=1 ;; esac # memory run: once
    measure "$s services" "$LINES" "$(wc -c <"$f")" "$rep" \
        "$BIN" replay --json --quiet --deploys "$B/fleet-deploys-$s.jsonl" "$f"
    seen=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['stats']['services'])" "$B/out.txt")
    [ -n "$first" ] || first=$s
    echo "$s $seen $(rss_kb "$s services")" >>"$B/fleet.tmp"
done
echo
echo "scaling (lines/s relative to $first services; target within +-10% up to 10,000):"
for s in $FLEET; do
    awk -v s="$s" -v a="$(rate "$s services")" -v b="$(rate "$first services")" \
        -v ca="$(cpu_rate "$s services")" -v cb="$(cpu_rate "$first services")" \
        'BEGIN { printf "  %6d services: %5.2fx  (by CPU s: %5.2fx)\n", s, a / b, ca / cb }'
done
echo "memory (peak RSS; bytes per (service, signal) over the $first-service run):"
awk -v sigs=$SIGS 'NR == 1 { s0 = $2; r0 = $3 }
    { per = $2 > s0 ? ($3 - r0) * 1024 / (($2 - s0) * sigs) : 0
      printf "  %6d services (%d seen): %7.1f MiB", $1, $2, $3 / 1024
      if (per > 0) printf ", %6.0f B per (service, signal)", per
      printf "\n" }' "$B/fleet.tmp"
rm -f "$B/fleet.tmp"
echo "  targets: <= 64 MiB at 1,000 services; <= 4096 B per (service, signal); <= 1024 MiB at 100,000"
