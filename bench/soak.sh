#!/bin/sh
# bench/soak.sh [SECONDS] [RATE] - `faultline consume` under a steady
# stream for a long time; prints RSS after warm-up, at the end, and the
# growth. Figures, not pass/fail (CI does not run it: an hour).
#
#   SECONDS  duration of the stream (default 3600)
#   RATE     messages per second produced (default 20000: twice a 10k/s
#            production stream; consume itself reaches ~240k/s on the
#            mock, see bench/kafka.sh, so this is a soak, not a flood)
#   WARMUP   seconds before the reference RSS is taken (default 10% of
#            SECONDS, at least 30)
#
# The stream is generated, not a fixture played in a loop: event time is
# the wall clock (a looped fixture would go back in time and be counted
# late), 24 services over 4 partitions, varied messages (the template
# miner sees new variable parts all the time), an error burst in one
# service every few minutes (anomalies and incidents open and close), and
# a deploy event now and then. The consumer checkpoints every 10 s into a
# state dir and serves /metrics; RSS is read from /proc every 5 s.
set -eu
cd "$(dirname "$0")/.."
DUR=${1:-3600}
RATE=${2:-20000}
WARMUP=${WARMUP:-$((DUR / 10 > 30 ? DUR / 10 : 30))}
BIN=${FAULTLINE:-build/rel/faultline}
MOCK=build/rel/mock_cluster
make -s build/rel/mock_cluster build/rel/faultline
T=$(mktemp -d)
GEN=
FL=
cleanup() {
    [ -n "$GEN" ] && kill "$GEN" 2>/dev/null
    [ -n "$FL" ] && kill "$FL" 2>/dev/null
    echo quit >&7 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
mkfifo "$T/mc.in"
: >"$T/mc.out"
"$MOCK" 3 logs:4 changes:1 <"$T/mc.in" >"$T/mc.out" 2>/dev/null &
exec 7>"$T/mc.in"
while [ ! -s "$T/mc.out" ]; do sleep 0.1; done
B=$(head -n 1 "$T/mc.out")

python3 - "$DUR" "$RATE" <<'PY' | kcat -P -b "$B" -t logs -K '\t' -z zstd 2>/dev/null &
import sys, time, random, datetime
dur, rate = float(sys.argv[1]), float(sys.argv[2])
rnd = random.Random(7)
svcs = ["svc%02d" % i for i in range(24)]
ops = ["GET /api/items/%d", "POST /api/orders/%d", "GET /health", "user %d logged in",
       "cache miss for key k%d", "query took %d rows", "retrying request %d"]
out = sys.stdout
start = time.time()
sent = 0
chunk = max(1, int(rate / 50))
while True:
    now = time.time()
    if now - start >= dur:
        break
    due = int((now - start) * rate)
    if sent >= due:
        time.sleep(0.005)
        continue
    lines = []
    for _ in range(min(chunk, due - sent)):
        s = svcs[rnd.randrange(len(svcs))]
        # every 300 s one service fails for 60 s
        burst = int(now - start) % 300 < 60 and s == svcs[int((now - start) // 300) % len(svcs)]
        err = rnd.random() < (0.4 if burst else 0.005)
        lat = rnd.lognormvariate(3.0, 0.4) * (4 if burst else 1)
        ts = datetime.datetime.fromtimestamp(now, datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        msg = ops[rnd.randrange(len(ops))].replace("%d", str(rnd.randrange(100000)))
        lines.append('%s\t{"ts":"%s","service":"%s","level":"%s","status":%d,"latency_ms":%.1f,"msg":"%s"}\n'
                     % (s, ts, s, "error" if err else "info", 503 if err else 200, lat, msg))
    out.write("".join(lines))
    out.flush()
    sent += len(lines)
PY
GEN=$!
python3 - "$DUR" <<'PY' | kcat -P -b "$B" -t changes 2>/dev/null &
import sys, time, datetime
dur = float(sys.argv[1]); start = time.time(); n = 0
while time.time() - start < dur:
    ts = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
    print('{"ts":"%s","kind":"deploy","service":"svc%02d","version":"v%d","change_id":"c%d"}' % (ts, n % 24, n, n), flush=True)
    n += 1
    time.sleep(240)
PY
"$BIN" consume --brokers "$B" --topics logs,changes --group soak \
    --state-dir "$T/state" --checkpoint-every 10s --idle-timeout 30s \
    --http 127.0.0.1:0 --quiet >/dev/null 2>"$T/fl.err" &
FL=$!
rss() { awk '/^VmRSS/{print $2}' "/proc/$FL/status" 2>/dev/null || echo 0; }
S0=$(date +%s)
WARM=""
MAX=0
while :; do
    sleep 5
    kill -0 "$FL" 2>/dev/null || { echo "consume exited early:"; cat "$T/fl.err"; exit 1; }
    R=$(rss)
    E=$(($(date +%s) - S0))
    [ "$R" -gt "$MAX" ] && MAX=$R
    if [ -z "$WARM" ] && [ "$E" -ge "$WARMUP" ]; then
        WARM=$R
        echo "after warm-up (${E} s): RSS $R KiB"
    fi
    [ "$E" -ge "$DUR" ] && break
done
sleep 5 # let the consumer catch up with the last messages
END=$(rss)
PORT=$(ls -l /proc/$FL/fd 2>/dev/null >/dev/null; ss -ltnp 2>/dev/null | awk -v p="pid=$FL," '$0 ~ p {n=split($4,a,":"); print a[n]; exit}')
M=""
[ -n "$PORT" ] && M=$(curl -s "http://127.0.0.1:$PORT/metrics")
LINES=$(printf '%s\n' "$M" | sed -n 's/^faultline_lines_total //p')
LAG=$(printf '%s\n' "$M" | awk '/^faultline_partition_lag_messages/{s+=$2} END{print s+0}')
INC=$(printf '%s\n' "$M" | sed -n 's/^faultline_incidents_total //p')
CK=$(printf '%s\n' "$M" | sed -n 's/^faultline_checkpoints_total //p')
kill -TERM "$FL"
wait "$FL" || true
FL=
echo "duration ${DUR} s at ${RATE} messages/s: ${LINES:-?} lines consumed, lag at end ${LAG:-?}, ${INC:-?} incidents, ${CK:-?} checkpoints"
echo "RSS at end: $END KiB (max $MAX KiB)"
awk -v a="$WARM" -v b="$END" 'BEGIN{printf "RSS growth after warm-up: %.1f%%\n", (b - a) * 100 / a}'
