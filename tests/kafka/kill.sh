#!/bin/sh
# tests/kafka/kill.sh BUILD_DIR [KILLS] [SECONDS] - crash safety of
# `faultline consume`: SIGKILL at random points over one stream, restart
# from the state dir each time. Prints ok/not ok lines, figures, and a
# closing "N passed, N failed". `make test` runs 5 kills (tests/kafka/run.sh);
# bench/kill.sh runs 50.
#
# The stream (fixtures/bad_config, ~54k lines) is produced at a steady
# pace over SECONDS (default 4 per kill), so the consumer is reading
# near the head all along and the kills, at random times, land all over
# the stream (a stream produced at once is read in about a second, and
# kills would cluster at its start or end). Checked:
#   (1) the run after the last kill ends with the result document of a
#       clean replay of the same lines, byte for byte (incidents, ids,
#       causes, and the line/event counters: nothing lost, nothing
#       counted twice);
#   (2) after each kill, every report file in --report is complete (no
#       partial .md/.html; atomic writes leave at most a temp file);
set -u
B=${1:-build/rel}
KILLS=${2:-5}
DUR=${3:-$((KILLS * 4))}
. "$(dirname "$0")/lib.sh"
PROD=
cleanup_more() {
    [ -n "$PROD" ] && kill "$PROD" 2>/dev/null
}

start_mock logs:4 changes:1

K=fixtures/bad_config
"$FL" replay --json --quiet --deploys $K/deploys.jsonl $K/logs-a.jsonl.zst \
    $K/logs-b.jsonl.zst >"$T/replay.json"
python3 tests/kafka/lines.py $K/logs-a.jsonl.zst $K/logs-b.jsonl.zst >"$T/all.tsv"
TOTAL=$(wc -l <"$T/all.tsv")
kcat -P -b "$BROKERS" -t changes <$K/deploys.jsonl 2>"$T/kcat.err"
# the pacer: TOTAL lines evenly over DUR seconds, in 20 steps a second
paced "$T/all.tsv" "$DUR" | kcat -P -b "$BROKERS" -t logs -K '\t' -X linger.ms=20 2>>"$T/kcat.err" &
PROD=$!
T0=$(date +%s%N)

S="$T/state"
R="$T/reports"
FLAGS="--brokers $BROKERS --topics logs,changes --state-dir $S
    --checkpoint-every 100ms --idle-timeout 60s --report $R
    -X session.timeout.ms=6000 -X heartbeat.interval.ms=500"
# KILL_GROUP=fresh (default): each restart joins a new consumer group, so
# it starts from its checkpoint's offsets alone (joining takes ~3 s; the
# same group waits for the killed member's session to time out, ~11 s on
# the mock). KILL_GROUP=same: one group throughout, the checkpoint's
# offsets against the group's committed ones (each restart slower).
GMODE=${KILL_GROUP:-fresh}
group() { if [ "$GMODE" = same ]; then echo kill; else echo "kill$1"; fi; }
k=0
partial=0
tmpfiles=0
while [ $k -lt "$KILLS" ]; do
    k=$((k + 1))
    # shellcheck disable=SC2086
    FAULTLINE_KAFKA_TRACE=1 "$FL" consume $FLAGS --group "$(group $k)" >/dev/null 2>"$T/kill$k.err" &
    PID=$!
    # once it has its partitions (joining the group takes seconds: the
    # killed member must time out first), a random time 0.1-1.5 s later
    i=0
    while ! grep -q "trace: assign" "$T/kill$k.err" 2>/dev/null && [ $i -lt 600 ]; do sleep 0.05; i=$((i + 1)); done
    MS=$(awk -v s="$k$$" 'BEGIN{srand(s); printf "%d", 100 + 1400 * rand()}')
    sleep "$(awk -v m="$MS" 'BEGIN{printf "%.3f", m / 1000}')"
    kill -9 $PID 2>/dev/null
    wait $PID 2>/dev/null
    # what the next run restores
    rm -rf "$T/snap$k"
    [ -d "$S" ] && cp -r "$S" "$T/snap$k"
    echo "$(( ($(date +%s%N) - T0) / 1000000 ))" >"$T/when$k"
    # reports: complete files only
    for f in "$R"/*; do
        [ -f "$f" ] || continue
        case "$f" in
        *.tmp.*) tmpfiles=$((tmpfiles + 1)); rm -f "$f" ;;
        *.html) tail -c 8 "$f" | grep -q '</html>' || { partial=$((partial + 1)); echo "# partial: $f"; } ;;
        *.md) [ -s "$f" ] && [ "$(tail -c 1 "$f" | od -An -c | tr -d ' ')" = '\n' ] ||
            { partial=$((partial + 1)); echo "# partial: $f"; } ;;
        esac
    done
done
wait "$PROD"
PROD=
FAULTLINE_KAFKA_TRACE=1 "$FL" consume $FLAGS --group "$(group final)" --exit-on-idle 3 --json \
    >"$T/resumed.json" 2>"$T/resumed.err"
RC=$?
READ=$(grep -o "^faultline consume: [0-9]* messages" "$T/resumed.err" | grep -o "[0-9]*" || echo 0)
AT=""
k=0
while [ $k -lt "$KILLS" ]; do
    k=$((k + 1))
    n=$(sed -n 's/^faultline trace: resume logs\[[0-9]*\]@//p' "$T/kill$((k + 1)).err" 2>/dev/null |
        awk '{s+=$1} END{print s+0}')
    [ $k -eq "$KILLS" ] &&
        n=$(sed -n 's/^faultline trace: resume logs\[[0-9]*\]@//p' "$T/resumed.err" | awk '{s+=$1} END{print s+0}')
    AT="$AT $n"
done
echo "# $KILLS kills over ${DUR} s ($GMODE groups); lines of $TOTAL covered by the checkpoint each restart resumed from:$AT; the last run read $READ"
if [ $RC -eq 0 ] && cmp -s "$T/replay.json" "$T/resumed.json"; then
    ok "killed -9 $KILLS times over the stream, restarted from checkpoints: the result document equals a clean replay's byte for byte"
else
    bad "kill and restart" "exit $RC: $(diff "$T/replay.json" "$T/resumed.json" | head -c 600); $(grep -v '^%\|trace' "$T/resumed.err" | head -c 300)"
fi
if [ $partial -eq 0 ]; then
    ok "no partial report file after $KILLS kills ($(ls "$R" 2>/dev/null | wc -l) reports; $tmpfiles temp files left by kills mid-write)"
else
    bad "partial reports" "$partial partial report files"
fi

echo quit >&7
exec 7>&-
wait "$MOCK_PID" 2>/dev/null
MOCK_PID=
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
