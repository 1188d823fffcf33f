#!/bin/sh
# tests/kafka/run.sh BUILD_DIR - faultline consume against a mock Kafka
# cluster in a separate process, over real TCP, with kcat (an independent
# client) producing the fixtures. Prints ok/not ok lines and a closing
# "N passed, N failed".
#   (a) consume's incidents equal replay's on the same files
#   (b) killed with SIGKILL at random points over one stream and restarted
#       with its state dir: tests/kafka/kill.sh (KAFKA_KILLS, default 5)
#   (c) all brokers down for 10 s, then up: consumption resumes, nothing lost
#   (broker faults and consumer churn: tests/kafka/faults.sh, run apart)
#   (d) malformed messages are counted and offsets move past them
#   (e) /metrics passes promtool; /healthz answers; SIGTERM exits 0 quickly
#   (f) --deploys as a msgpack stream gives the same incidents
#   (g) -X secrets appear in no output; /metrics binds to loopback
set -u
B=${1:-build/rel}
. "$(dirname "$0")/lib.sh"

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
while ! grep -q "healthz on port [0-9]" "$T/consume.err" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
PORT=$(grep -o "healthz on port [0-9][0-9]*" "$T/consume.err" | head -n 1 | cut -d' ' -f4)
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

# ---- (b): SIGKILL at random points over one stream (tests/kafka/kill.sh)
sh tests/kafka/kill.sh "$B" "${KAFKA_KILLS:-5}" >"$T/kill.out" 2>&1
grep '^#' "$T/kill.out"
while read -r line; do
    case "$line" in
    "ok - "*) ok "${line#ok - }" ;;
    "not ok - "*) r=${line#not ok - }; bad "${r%%: *}" "${r#*: }" ;;
    esac
done <"$T/kill.out"

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

# ---- (g): secrets given with -X appear nowhere; /metrics on loopback
SEC1=FLSECRET-pw-7c1e9a
SEC2=FLSECRET-kp-52b0d4
SEC3=FLSECRET-xx-e38f11
start_mock logs:1 incidents:1
produce logs $K/logs-a.jsonl.zst $K/logs-b.jsonl.zst
# librdkafka's own debug output on (configuration, security, group): the
# most it could ever print
"$FL" consume --brokers "$BROKERS" --topics logs --group f --state-dir "$T/sst" \
    --report "$T/srep" --output-topic incidents --http :0 --json \
    --deploys $K/deploys.jsonl --exit-on-idle 2 --idle-timeout 2s \
    -X sasl.username=faultline -X "sasl.password=$SEC1" -X "ssl.key.password=$SEC2" \
    -X debug=conf,security,generic,cgrp >"$T/sec.out" 2>"$T/sec.err" &
PID=$!
i=0
while ! grep -q "healthz on port [0-9]" "$T/sec.err" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
SPORT=$(grep -o "healthz on port [0-9][0-9]*" "$T/sec.err" | head -n 1 | cut -d' ' -f4)
# --http :PORT without an address listens on loopback only
LISTEN=$(ss -ltnH "sport = :$SPORT" 2>/dev/null | awk '{print $4}' | sort -u | tr '\n' ' ')
curl -s "http://127.0.0.1:$SPORT/metrics" >"$T/sec.metrics"
wait $PID
SRC=$?
kcat -C -b "$BROKERS" -t incidents -e -q >"$T/sec.topic" 2>/dev/null
# error paths: a property librdkafka does not know, and a TLS key it
# cannot load, each with a secret beside it
"$FL" consume --brokers "$BROKERS" --topics logs --group f2 \
    -X "my.secret.key=$SEC3" >/dev/null 2>"$T/sec.err2"
E2=$?
"$FL" consume --brokers "$BROKERS" --topics logs --group f3 -X security.protocol=ssl \
    -X ssl.key.location=/nonexistent/key.pem -X "ssl.key.password=$SEC2" \
    -X "sasl.password=$SEC1" >/dev/null 2>"$T/sec.err3"
E3=$?
stop_mock
LEAKS=$(grep -rl -e "$SEC1" -e "$SEC2" -e "$SEC3" "$T/sec.out" "$T/sec.err" "$T/srep" \
    "$T/sec.metrics" "$T/sec.topic" "$T/sst" "$T/sec.err2" "$T/sec.err3" 2>/dev/null | tr '\n' ' ')
NREP=$(ls "$T/srep" 2>/dev/null | wc -l)
if [ $SRC -eq 0 ] && [ -z "$LEAKS" ] && [ "$NREP" -gt 0 ] && [ -s "$T/sec.topic" ] &&
    grep -q '^faultline_lines_total ' "$T/sec.metrics" && [ $E2 -eq 1 ] && [ $E3 -eq 1 ] &&
    grep -q 'sasl.password' "$T/sec.err"; then
    ok "-X secrets appear in no log (librdkafka debug on), error message, report ($NREP files), /metrics, output topic or state"
else
    bad "-X secrets" "exit $SRC/$E2/$E3, leaked into: ${LEAKS:-nothing}; $NREP reports; topic $(wc -c <"$T/sec.topic") bytes; metrics $(grep -c . "$T/sec.metrics") lines; $(head -c 200 "$T/sec.err2") $(head -c 200 "$T/sec.err3")"
fi
case "$LISTEN" in
"127.0.0.1:$SPORT ") ok "--http :PORT listens on loopback only ($LISTEN)" ;;
*) bad "--http on loopback" "listening on '$LISTEN'" ;;
esac

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
