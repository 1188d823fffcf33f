# tests/kafka/lib.sh - shared by run.sh, faults.sh and kill.sh (sourced;
# set B first). Sets FL, MOCK, T (a temp dir, removed on exit unless
# KEEP is set), the pass/fail counters with ok/bad, and the mock-cluster
# helpers. A script with more to end on exit redefines cleanup_more.
FL=$B/faultline
MOCK=$B/mock_cluster
T=$(mktemp -d)
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
bad() { fail=$((fail + 1)); echo "not ok - $1: $2"; }
MOCK_PID=
cleanup_more() { :; }
cleanup() {
    cleanup_more
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
# paced FILE SECONDS: the lines of FILE evenly over SECONDS on stdout
paced() {
    python3 - "$1" "$2" <<'PY'
import sys, time
lines = open(sys.argv[1], "rb").read().splitlines(True)
dur = float(sys.argv[2])
t0 = time.time()
sent = 0
while sent < len(lines):
    due = min(len(lines), int(len(lines) * (time.time() - t0) / dur) + 1)
    if due > sent:
        sys.stdout.buffer.write(b"".join(lines[sent:due]))
        sys.stdout.buffer.flush()
        sent = due
    time.sleep(0.05)
PY
}
