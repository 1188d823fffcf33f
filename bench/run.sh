#!/bin/sh
# bench/run.sh - `make bench`: figures, not pass/fail (docs/PERFORMANCE.md
# explains them). Inputs are generated deterministically into build/bench/
# (bench/gen.c) and kept for the next run; peers are Debian packages,
# installed here when missing (pcre2-utils, mtail, gojq, kcat).
#   1. throughput.sh  nginx and JSON replay next to pcre2grep, mtail, gojq;
#                     .zst against plain
#   2. fleet.sh       10 ... 10,000 services (scaling), 100,000 (memory)
#   3. kafka.sh       consume next to kcat -C       (BENCH_KAFKA=0 skips)
#   4. json_bench     the JSON decoder alone next to json-c
# Sizes: BENCH_LINES, BENCH_FLEET_LINES, BENCH_FLEET, BENCH_MEM_FLEET,
# BENCH_REPEAT (see each script). About 4 minutes on 2 idle cores.
set -eu
cd "$(dirname "$0")/.."
export FAULTLINE=${FAULTLINE:-./build/rel/faultline}
[ -x "$FAULTLINE" ] || { echo "bench: build first (make)" >&2; exit 1; }
sh bench/throughput.sh
echo
sh bench/fleet.sh
if [ "${BENCH_KAFKA:-1}" != 0 ]; then
    echo
    . bench/lib.sh
    if need kcat kcat; then sh bench/kafka.sh; else echo "kafka: kcat not installed, skipped"; fi
fi
if pkg-config --exists json-c 2>/dev/null && [ -f build/rel/libfaultline.a ]; then
    echo
    B=build/bench
    J=$(ls -t $B/json-*.jsonl 2>/dev/null | head -n 1)
    MP=msgpack-c
    pkg-config --exists msgpack-c 2>/dev/null || MP=msgpack
    cc -O2 -std=c11 -o $B/json_bench bench/json_bench.c build/rel/libfaultline.a \
        $(pkg-config --cflags --libs json-c libzstd libpcre2-8 yaml-0.1 $MP) -lm -lpthread
    echo "JSON decoder alone (bench/json_bench.c) on $J:"
    $B/json_bench "$J" 3
fi
