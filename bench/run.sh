#!/bin/sh
# bench/run.sh - figures, not pass/fail: replay throughput and peak RSS on a
# generated 1M-line JSON input, and the JSON decoder against json-c.
# Inputs are generated deterministically into build/bench/.
set -eu
cd "$(dirname "$0")/.."
B=build/bench
mkdir -p $B
BIN=${FAULTLINE:-./faultline}
if [ ! -f $B/big/logs-a.jsonl ]; then
    echo "generating ~1M lines (scenario bad_deploy_errors, scale 20)..."
    python3 tests/gen/scenario.py --kind bad_deploy_errors --seed 7 --scale 20 \
        --out $B/big -q
fi
cat $B/big/logs-a.jsonl $B/big/logs-b.jsonl > $B/all.jsonl
[ -f $B/big/logs-a.jsonl.zst ] || zstd -q -3 -k $B/big/logs-a.jsonl $B/big/logs-b.jsonl
lines=$(cat $B/big/logs-a.jsonl $B/big/logs-b.jsonl | wc -l)
bytes=$(cat $B/big/logs-a.jsonl $B/big/logs-b.jsonl | wc -c)
echo "input: $lines lines, $bytes bytes in two overlapping files"
run() {
    label=$1
    shift
    /usr/bin/time -f "%e %M" -o $B/time.txt "$@" > $B/out.json
    set -- $(cat $B/time.txt)
    awk -v l="$label" -v s="$1" -v rss="$2" -v n="$lines" -v b="$bytes" \
        'BEGIN { printf "%-34s %8.2f s %12.0f lines/s %8.1f MB/s %8.1f MiB peak RSS\n",
                 l, s, n / s, b / s / 1e6, rss / 1024 }'
}
run "replay plain (2 files, merged)" $BIN replay --json --quiet \
    --deploys $B/big/deploys.jsonl $B/big/logs-a.jsonl $B/big/logs-b.jsonl
run "replay .zst (2 files, merged)" $BIN replay --json --quiet \
    --deploys $B/big/deploys.jsonl $B/big/logs-a.jsonl.zst $B/big/logs-b.jsonl.zst
python3 -c "import json,sys; d=json.load(open('$B/out.json')); print('incidents:', len(d['incidents']), 'top cause:', d['incidents'][0]['causes'][0]['kind'] if d['incidents'] else '-')"
cc -O2 -std=c11 -o $B/json_bench bench/json_bench.c build/rel/libfaultline.a \
    $(pkg-config --cflags --libs json-c libzstd libpcre2-8 yaml-0.1) \
    $(pkg-config --libs msgpack-c 2>/dev/null || pkg-config --libs msgpack) -lm -lpthread
$B/json_bench $B/all.jsonl 3
