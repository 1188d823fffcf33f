#!/bin/sh
# bench/kafka.sh - consume throughput next to `kcat -C` reading the same
# topic to /dev/null in the same run, and the latency from an event's
# arrival in Kafka to its incident on the output topic. Figures, not
# pass/fail. The mock cluster runs as a separate process on loopback.
set -eu
cd "$(dirname "$0")/.."
BIN=${FAULTLINE:-./faultline}
MOCK=build/rel/mock_cluster
make -s build/rel/mock_cluster
T=$(mktemp -d)
trap 'echo quit >&7 2>/dev/null; rm -rf "$T"' EXIT
mkfifo "$T/mc.in"
: >"$T/mc.out"
"$MOCK" 3 logs:8 changes:1 incidents:1 <"$T/mc.in" >"$T/mc.out" 2>/dev/null &
exec 7>"$T/mc.in"
while [ ! -s "$T/mc.out" ]; do sleep 0.1; done
B=$(head -n 1 "$T/mc.out")

# ---- throughput: ~300k messages (the mock keeps ~100k per partition)
K=fixtures
FILES=""
for k in bad_config bad_deploy_errors failing_dependency surge_breaks_update \
    two_deploys_one_bad; do
    FILES="$FILES $K/$k/logs-a.jsonl.zst $K/$k/logs-b.jsonl.zst"
done
python3 tests/kafka/lines.py $FILES >"$T/msgs.tsv"
N=$(wc -l <"$T/msgs.tsv")
kcat -P -b "$B" -t logs -K '\t' -z zstd <"$T/msgs.tsv"
echo "topic logs: $N messages in 8 partitions"
S=$(date +%s%N)
kcat -C -b "$B" -t logs -e -q -o beginning >/dev/null
E=$(date +%s%N)
KC=$(awk -v n="$N" -v ns="$((E - S))" 'BEGIN{printf "%.0f", n / (ns / 1e9)}')
echo "kcat -C to /dev/null:        $KC messages/s (wall, including connect)"
"$BIN" consume --brokers "$B" --topics logs --group bench --exit-on-idle 1 \
    --idle-timeout 1s --json >/dev/null 2>"$T/fl.err"
FL=$(grep -o "[0-9]* messages/s" "$T/fl.err" | cut -d' ' -f1)
echo "faultline consume:           $FL messages/s (first to last message)"
awk -v a="$FL" -v b="$KC" 'BEGIN{printf "ratio faultline / kcat:      %.2f\n", a / b}'

# ---- latency: event arrival to incident message
K=fixtures/bad_config
"$BIN" replay --json --quiet --deploys $K/deploys.jsonl $K/logs-a.jsonl.zst \
    $K/logs-b.jsonl.zst >"$T/replay.json"
DET=$(python3 -c "import json,datetime;d=json.load(open('$T/replay.json'));print(d['incidents'][0]['detected'])")
python3 tests/kafka/lines.py $K/logs-a.jsonl.zst $K/logs-b.jsonl.zst >"$T/all.tsv"
# split where event time reaches detection + lateness (30 s): the first
# line past the cut is the one that lets the alarm's bucket close
python3 - "$T/all.tsv" "$DET" "$T/before.tsv" "$T/after.tsv" <<'PY'
import sys, json, datetime
path, det, before, after = sys.argv[1:]
cut = datetime.datetime.fromisoformat(det.replace("Z", "+00:00")).timestamp() + 30
b, a = open(before, "wb"), open(after, "wb")
for line in open(path, "rb"):
    payload = line.split(b"\t", 1)[1]
    t = None
    try:
        o = json.loads(payload)
        for k in ("ts", "time", "timestamp", "@timestamp"):
            v = o.get(k)
            if isinstance(v, (int, float)):
                t = v / 1e3
            elif isinstance(v, str):
                t = datetime.datetime.fromisoformat(v.replace("Z", "+00:00")).timestamp()
            if t is not None:
                break
    except Exception:
        pass
    (b if t is None or t < cut else a).write(line)
PY
kcat -P -b "$B" -t changes $K/deploys.jsonl
kcat -P -b "$B" -t logs2 -K '\t' <"$T/before.tsv" 2>/dev/null || true
"$BIN" consume --brokers "$B" --topics logs2,changes --group lat \
    --output-topic incidents --idle-timeout 1s --quiet >/dev/null 2>&1 &
PID=$!
sleep 8 # joined and caught up with everything before the cut
T0=$(date +%s%3N)
head -n 20 "$T/after.tsv" | kcat -P -b "$B" -t logs2 -K '\t'
TS=$(kcat -C -b "$B" -t incidents -o beginning -c 1 -e -q -f '%T\n' 2>/dev/null | head -n 1)
i=0
while [ -z "$TS" ] && [ $i -lt 100 ]; do
    sleep 0.1
    TS=$(kcat -C -b "$B" -t incidents -o beginning -c 1 -e -q -f '%T\n' 2>/dev/null | head -n 1)
    i=$((i + 1))
done
kill -TERM $PID
wait $PID || true
if [ -n "$TS" ]; then
    echo "latency, the line that closes the alarm's bucket produced -> incident message created: $((TS - T0)) ms"
else
    echo "latency: no incident message seen"
fi
