#!/bin/sh
# bench/templates.sh - figures, not pass/fail: `faultline templates` (list
# and --assign) throughput and peak RSS on the same generated ~1M-line JSON
# input as bench/run.sh, and on the messages alone as raw lines.
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
lines=$(cat $B/big/logs-a.jsonl | wc -l)
python3 -c "
import json, sys
with open('$B/big/logs-a.jsonl', errors='replace') as f, open('$B/msgs.log', 'w') as o:
    for l in f:
        try: m = json.loads(l).get('msg')
        except Exception: m = None
        o.write((m or '') + '\n')
"
run() {
    label=$1
    shift
    /usr/bin/time -f "%e %M" -o $B/time.txt "$@" > $B/out.txt
    set -- $(cat $B/time.txt)
    awk -v l="$label" -v s="$1" -v rss="$2" -v n="$lines" \
        'BEGIN { printf "%-40s %8.2f s %12.0f lines/s %8.1f MiB peak RSS\n",
                 l, s, n / s, rss / 1024 }'
}
echo "input: $lines lines (logs-a.jsonl)"
run "templates (JSON, list)" $BIN templates --quiet $B/big/logs-a.jsonl
echo "  $(wc -l < $B/out.txt) templates"
run "templates --assign (JSON, two passes)" $BIN templates --quiet --assign $B/big/logs-a.jsonl
run "templates --format raw (messages only)" $BIN templates --quiet --format raw $B/msgs.log
