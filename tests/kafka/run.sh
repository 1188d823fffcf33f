#!/bin/sh
# tests/kafka/run.sh BUILD_DIR - faultline consume against a mock Kafka
# cluster in a separate process, over real TCP, with kcat (an independent
# client) producing the fixtures. Prints ok/not ok lines and a closing
# "N passed, N failed".
#   (a) consume's incidents equal replay's on the same files
#   (b) killed with SIGKILL at a random point and restarted with its state
#       dir, it ends with the same incidents, and no id a clean run lacks
#   (c) all brokers down for 10 s, then up: consumption resumes, nothing lost
#   (d) malformed messages are counted and offsets move past them
#   (e) /metrics passes promtool; /healthz answers; SIGTERM exits 0 quickly
#   (f) --deploys as a msgpack stream gives the same incidents
set -u
B=${1:-build/rel}
FL=$B/faultline
MOCK=$B/mock_cluster
T=$(mktemp -d)
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
bad() { fail=$((fail + 1)); echo "not ok - $1: $2"; }
MOCK_PID=
cleanup() {
    [ -n "$MOCK_PID" ] && kill "$MOCK_PID" 2>/dev/null
    exec 7>&- 2>/dev/null
    [ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT

# start_mock TOPIC:PARTS... : sets BROKERS; commands go to fd 7
start_mock() {
    rm -f "$T/mc.in" "$T/mc.out"
    mkfifo "$T/mc.in"
    : >"$T/mc.out"
    "$MOCK" 3 "$@" <"$T/mc.in" >"$T/mc.out" 2>"$T/mc.err" &
    MOCK_PID=$!
    exec 7>"$T/mc.in"
    i=0
    while [ ! -s "$T/mc.out" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    BROKERS=$(head -n 1 "$T/mc.out")
}
stop_mock() {
    echo quit >&7
    exec 7>&-
    wait "$MOCK_PID" 2>/dev/null
    MOCK_PID=
}
# mock_cmd CMD: sends a command and waits for its answer
mock_cmd() {
    n=$(wc -l <"$T/mc.out")
    echo "$1" >&7
    i=0
    while [ "$(wc -l <"$T/mc.out")" -le "$n" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
}
produce() { # produce TOPIC FILE...: lines merged in event-time order,
    # keyed by service, as a log shipper sends them (COMPRESS=none for
    # small uncompressed batches)
    t=$1
    shift
    python3 tests/kafka/lines.py "$@" |
        kcat -P -b "$BROKERS" -t "$t" -K '\t' -z "${COMPRESS:-zstd}" 2>"$T/kcat.err"
}
incidents() { # incidents FILE: a canonical summary of the incidents
    python3 -c "
import json,sys
d=json.load(open(sys.argv[1]))
for i in d['incidents']:
    c=i['causes'][0] if i['causes'] else {}
    print(i['id'], i['start'], i['end'], c.get('kind'), c.get('service'), c.get('ref'))
" "$1"
}

K=fixtures/bad_config
"$FL" replay --json --quiet --deploys $K/deploys.jsonl $K/logs-a.jsonl.zst \
    $K/logs-b.jsonl.zst >"$T/replay.json"

# ---- (a) + (e): consume == replay; metrics; healthz
start_mock logs:4 changes:1 incidents:1 junk:1
produce logs $K/logs-a.jsonl.zst $K/logs-b.jsonl.zst
produce changes $K/deploys.jsonl
"$FL" consume --brokers "$BROKERS" --topics logs,changes --group a \
    --exit-on-idle 2 --idle-timeout 2s --json --output-topic incidents \
    --http 127.0.0.1:0 >"$T/consume.json" 2>"$T/consume.err" &
PID=$!
i=0
while ! grep -q "port [0-9]" "$T/consume.err" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
PORT=$(grep -o "port [0-9]*" "$T/consume.err" | head -n 1 | cut -d' ' -f2)
i=0
while [ $i -lt 100 ]; do
    curl -s "http://127.0.0.1:$PORT/metrics" >"$T/metrics.txt"
    grep -q '^faultline_lines_total [1-9]' "$T/metrics.txt" && break
    sleep 0.1
    i=$((i + 1))
done
HZ=$(curl -s -o /dev/null -w "%{http_code}" "http://127.0.0.1:$PORT/healthz")
wait $PID
RC=$?
if [ $RC -eq 0 ] && cmp -s "$T/replay.json" "$T/consume.json"; then
    ok "consume --json equals replay --json byte for byte"
else
    bad "consume equals replay" "exit $RC; $(diff "$T/replay.json" "$T/consume.json" | head -c 300)"
fi
if promtool check metrics <"$T/metrics.txt" >"$T/promtool.out" 2>&1 &&
    grep -q '^faultline_lines_total [1-9]' "$T/metrics.txt" &&
    grep -q '^faultline_partition_lag_messages{topic="logs",partition="0"}' "$T/metrics.txt" &&
    grep -q '^process_resident_memory_bytes [1-9]' "$T/metrics.txt"; then
    ok "/metrics passes promtool check metrics and carries lines, lag, RSS"
else
    bad "/metrics" "$(head -c 400 "$T/promtool.out") $(head -c 200 "$T/metrics.txt")"
fi
[ "$HZ" = 200 ] && ok "/healthz answers 200" || bad "/healthz" "got $HZ"
N_OUT=$(kcat -C -b "$BROKERS" -t incidents -e -q -f '%k\n' 2>/dev/null | sort -u | wc -l)
N_INC=$(incidents "$T/replay.json" | wc -l)
if [ "$N_OUT" -eq "$N_INC" ] && [ "$N_INC" -gt 0 ]; then
    ok "output topic carries the incidents keyed by id ($N_OUT)"
else
    bad "output topic" "$N_OUT keys for $N_INC incidents"
fi

# ---- (d): malformed messages are counted, offsets move past them
printf '%s\n' 'not json at all' '{"ts":"2026-07-24T09:00:00Z"' \
    '{"ts":"1970-01-01T00:00:00Z","service":"x"}' '{}' >"$T/garbage.txt"
produce junk "$T/garbage.txt"
for run in 1 2; do
    "$FL" consume --brokers "$BROKERS" --topics junk --group d --state-dir "$T/sd" \
        --exit-on-idle 1 --idle-timeout 1s --json --quiet >"$T/junk$run.json" 2>/dev/null
done
J1=$(python3 -c "import json;d=json.load(open('$T/junk1.json'));print(d['stats']['bad_lines'], d['stats']['lines'])")
J2=$(python3 -c "import json;d=json.load(open('$T/junk2.json'));print(d['stats']['bad_lines'], d['stats']['lines'])")
[ "$J1" = "4 4" ] && [ "$J2" = "4 4" ] &&
    ok "malformed messages counted (4 of 4); a restart resumes past them (state restored, no new lines)" ||
    bad "malformed messages" "first run bad/lines $J1, second run $J2"

# ---- (f): --deploys as a msgpack stream (change events as msgpack maps)
python3 -c "
import sys
sys.path.insert(0, 'tests/formats')
from equivalence import read_records, msgpack_obj
sys.stdout.buffer.write(b''.join(msgpack_obj(r) for r in read_records([sys.argv[1]])))
" $K/deploys.jsonl >"$T/deploys.msgpack"
"$FL" consume --brokers "$BROKERS" --topics logs --group f --deploys "$T/deploys.msgpack" \
    --exit-on-idle 2 --idle-timeout 2s --json --quiet >"$T/consume-mp.json" 2>"$T/consume-mp.err"
RC=$?
if [ $RC -eq 0 ] && [ -s "$T/deploys.msgpack" ] &&
    [ "$(incidents "$T/replay.json")" = "$(incidents "$T/consume-mp.json")" ]; then
    ok "consume --deploys FILE.msgpack gives replay's incidents"
else
    bad "consume --deploys msgpack" "exit $RC; $(head -c 200 "$T/consume-mp.err"); $(incidents "$T/consume-mp.json" | head -c 200)"
fi
stop_mock

# ---- (b): SIGKILL at a random point, restart from the state dir
start_mock logs:4 changes:1
COMPRESS=none produce logs $K/logs-a.jsonl.zst $K/logs-b.jsonl.zst
produce changes $K/deploys.jsonl
S="$T/state"
WANT_LINES=$(python3 -c "import json;print(json.load(open('$T/replay.json'))['stats']['lines'])")
KILLS=${KAFKA_KILLS:-3}
AT=""
k=0
kill_ok=true
while [ $k -lt "$KILLS" ]; do
    k=$((k + 1))
    # small fetches: consumption takes seconds, so the kill lands mid-stream;
    # a long idle timeout: a throttled partition that waits a while for its
    # next fetch must not be taken for idle (its later events would then
    # count as late in this run and not in a clean one)
    "$FL" consume --brokers "$BROKERS" --topics logs,changes --group b \
        --state-dir "$S" --checkpoint-every 100ms --idle-timeout 60s \
        -X message.max.bytes=4000 -X fetch.max.bytes=4000 \
        -X max.partition.fetch.bytes=2000 --http 127.0.0.1:0 >/dev/null 2>"$T/kill$k.err" &
    PID=$!
    i=0
    while ! grep -q "port [0-9]" "$T/kill$k.err" && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
    KPORT=$(grep -o "port [0-9]*" "$T/kill$k.err" | head -n 1 | cut -d' ' -f2)
    # wait until this run has read a random share of what is left after
    # the lines it resumed with (restored counters start the metric there)
    L0=""
    i=0
    while [ -z "$L0" ] && [ $i -lt 100 ]; do
        L0=$(curl -s "http://127.0.0.1:$KPORT/metrics" | sed -n 's/^faultline_lines_total //p')
        sleep 0.05
        i=$((i + 1))
    done
    GOAL=$(awk -v s="$k$$" -v w="$WANT_LINES" -v l0="${L0:-0}" \
        'BEGIN{srand(s); printf "%d", l0 + (w - l0) * (0.1 + 0.4 * rand())}')
    i=0
    while [ $i -lt 400 ]; do
        L=$(curl -s "http://127.0.0.1:$KPORT/metrics" | sed -n 's/^faultline_lines_total //p')
        [ -n "$L" ] && [ "$L" -ge "$GOAL" ] && break
        sleep 0.05
        i=$((i + 1))
    done
    kill -9 $PID 2>/dev/null
    wait $PID 2>/dev/null
    AT="$AT ${L:-0}"
done
"$FL" consume --brokers "$BROKERS" --topics logs,changes --group b \
    --state-dir "$S" --exit-on-idle 2 --idle-timeout 2s --json \
    >"$T/resumed.json" 2>"$T/resumed.err"
RC=$?
READ=$(grep -o "^faultline consume: [0-9]* messages" "$T/resumed.err" | grep -o "[0-9]*" || echo 0)
incidents "$T/replay.json" >"$T/want.txt"
incidents "$T/resumed.json" >"$T/got.txt" 2>/dev/null
if [ $RC -eq 0 ] && cmp -s "$T/want.txt" "$T/got.txt" && [ "$READ" -lt "$WANT_LINES" ]; then
    ok "killed -9 $KILLS times (at lines$AT of $WANT_LINES), restarted from checkpoints: same incidents as a clean run, no other id; the last run read $READ lines"
else
    bad "kill and restart" "exit $RC, last run read $READ of $WANT_LINES: $(head -c 300 "$T/got.txt") vs $(head -c 300 "$T/want.txt"); $(grep -v '^%' "$T/resumed.err" | head -c 300)"
fi
stop_mock

# ---- (c): all brokers down 10 s mid-stream, then up
start_mock logs:4 changes:1
produce logs $K/logs-a.jsonl.zst
produce changes $K/deploys.jsonl
"$FL" consume --brokers "$BROKERS" --topics logs,changes --group c \
    --exit-on-idle 4 --idle-timeout 3s --json --quiet \
    >"$T/down.json" 2>"$T/down.err" &
PID=$!
sleep 5 # joined the group and reading
mock_cmd alldown
sleep 10
mock_cmd allup
produce logs $K/logs-b.jsonl.zst
T0=$(date +%s)
wait $PID
RC=$?
LINES=$(python3 -c "import json;d=json.load(open('$T/down.json'));print(d['stats']['lines'])" 2>/dev/null)
WANT=$(python3 -c "import json;d=json.load(open('$T/replay.json'));print(d['stats']['lines'])")
if [ $RC -eq 0 ] && [ "$LINES" = "$WANT" ]; then
    ok "all brokers down 10 s: resumed, $LINES of $WANT lines, exit 0"
else
    bad "brokers down" "exit $RC, $LINES of $WANT lines"
fi
stop_mock

# ---- SIGTERM: stop, checkpoint, commit, exit 0 within seconds
start_mock logs:2
produce logs $K/logs-a.jsonl.zst
"$FL" consume --brokers "$BROKERS" --topics logs --group e --state-dir "$T/st2" \
    --quiet >/dev/null 2>&1 &
PID=$!
sleep 2
T0=$(date +%s%N)
kill -TERM $PID
wait $PID
RC=$?
MS=$((($(date +%s%N) - T0) / 1000000))
if [ $RC -eq 0 ] && [ $MS -lt 5000 ] && [ -s "$T/st2/checkpoint.fl" ]; then
    ok "SIGTERM: exit 0 in ${MS} ms with a checkpoint written"
else
    bad "SIGTERM" "exit $RC after ${MS} ms; checkpoint: $(ls -la "$T/st2" 2>&1 | tail -n 1)"
fi
stop_mock

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
