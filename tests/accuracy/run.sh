#!/bin/sh
# tests/accuracy/run.sh - bench/accuracy.py (the accuracy harness users run on
# their own labelled incidents) against hand-made labels and result
# documents whose figures are known, plus one real replay; ends with
# "N passed, N failed".
#   sh tests/accuracy/run.sh [FAULTLINE]
set -u
cd "$(dirname "$0")/../.."
BIN=${1:-./build/rel/faultline}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
bad() { fail=$((fail + 1)); echo "not ok - $1"; }
ACC="python3 bench/accuracy.py"

# three labelled faults in a 10-hour span: A found at rank 1 (delay 60 s),
# B found at rank 2 (delay 120 s), C never detected; one incident (D) that
# no label explains, inside a quiet span of 4 h
cat > "$T/labels.json" <<'J'
{"incidents": [
  {"name": "A", "start": "2026-03-02T01:00:00Z", "end": "2026-03-02T01:30:00Z",
   "cause": {"kind": "deploy", "service": "cart", "ref": "v2.3.1"}},
  {"name": "B", "start": "2026-03-02T03:00:00+02:00", "end": "2026-03-02T01:20:00Z",
   "cause": {"kind": "service", "service": "postgres"}},
  {"name": "C", "start": "2026-03-02T08:00:00Z", "end": "2026-03-02T08:10:00Z",
   "cause": {"kind": "traffic_surge", "service": "frontend"}}],
 "quiet": [{"start": "2026-03-02T04:00:00Z", "end": "2026-03-02T08:00:00Z"}]}
J
cat > "$T/result.json" <<'J'
{"incidents": [
 {"id": "a", "start": "2026-03-02T00:59:30Z", "detected": "2026-03-02T01:01:00Z", "end": "2026-03-02T01:25:00Z",
  "causes": [{"rank": 1, "kind": "deploy", "service": "cart", "ref": "v2.3.1 chg-1", "score": 0.9},
             {"rank": 2, "kind": "service", "service": "cart", "score": 0.2}]},
 {"id": "b", "start": "2026-03-02T01:01:00Z", "detected": "2026-03-02T01:02:00Z", "end": null,
  "causes": [{"rank": 1, "kind": "deploy", "service": "payments", "ref": "v9", "score": 0.5},
             {"rank": 2, "kind": "service", "service": "postgres", "score": 0.4}]},
 {"id": "d", "start": "2026-03-02T05:00:00Z", "detected": "2026-03-02T05:01:00Z", "end": "2026-03-02T05:10:00Z",
  "causes": []}],
 "stats": {"lines": 1}}
J
out=$($ACC --json "$T/labels.json" "$T/result.json" 2>&1)
fig() { printf '%s' "$out" | python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
[ "$(fig labelled)" = 3 ] && [ "$(fig detected)" = 2 ] && ok "counts labelled and detected incidents" ||
    bad "counts labelled and detected incidents: $out"
[ "$(fig ac_at_1)" = 0.3333333333333333 ] && [ "$(fig ac_at_3)" = 0.6666666666666666 ] &&
    ok "AC@1 1/3 and AC@3 2/3 (an undetected incident is a miss)" || bad "AC@1/AC@3: $out"
[ "$(fig delay_p50_s)" = 60.0 ] && [ "$(fig delay_p90_s)" = 120.0 ] &&
    ok "detection delay p50 60 s, p90 120 s" || bad "delay: $out"
[ "$(fig false_incidents)" = 1 ] && [ "$(fig false_per_hour)" = 0.25 ] &&
    ok "one false incident in 4 quiet hours" || bad "false incidents: $out"
# without quiet spans: per hour over the whole labelled/reported span (00:59:30 .. 08:10)
grep -v '"quiet"' "$T/labels.json" | sed 's/}}],$/}}]}/' > "$T/noquiet.json"
out=$($ACC --json "$T/noquiet.json" "$T/result.json" 2>&1)
[ "$(fig false_incidents)" = 1 ] && [ "$(fig hours)" = 7.175 ] &&
    ok "without quiet spans, false incidents per hour of the whole span" || bad "no quiet: $out"
# the ref must match when the label gives one
sed 's/"ref": "v2.3.1"/"ref": "v2.3.2"/' "$T/labels.json" > "$T/ref.json"
out=$($ACC --json "$T/ref.json" "$T/result.json" 2>&1)
[ "$(fig ac_at_1)" = 0.0 ] && ok "a wrong ref is not a match" || bad "ref: $out"
# human output
out=$($ACC "$T/labels.json" "$T/result.json" 2>&1)
printf '%s\n' "$out" | grep -q "^AC@1: 33.3%  AC@3: 66.7%" &&
    printf '%s\n' "$out" | grep -q "^false incidents: 1 in 4.00 h = 0.25 per hour" &&
    ok "text output" || bad "text output: $out"
# bad input: reported on stderr, exit 1, never a traceback
for case in 'not json' '{"incidents": 3}' \
    '{"incidents": [{"start": "yesterday", "cause": {"kind": "deploy", "service": "x"}}]}' \
    '{"incidents": [{"start": "2026-03-02T01:00:00Z", "cause": {"kind": "oops", "service": "x"}}]}' \
    '{"incidents": [], "quiet": [{"start": "2026-03-02T02:00:00Z", "end": "2026-03-02T01:00:00Z"}]}'; do
    printf '%s' "$case" > "$T/bad.json"
    $ACC "$T/bad.json" "$T/result.json" > "$T/o" 2> "$T/e"
    rc=$?
    if [ $rc = 1 ] && grep -q "^accuracy.py: " "$T/e" && ! grep -q Traceback "$T/e"; then
        ok "rejects bad labels: $(head -c 40 "$T/bad.json")"
    else
        bad "rejects bad labels: $case (rc $rc): $(cat "$T/e")"
    fi
done
$ACC "$T/labels.json" > /dev/null 2>&1; [ $? = 2 ] && ok "odd argument count is a usage error" ||
    bad "odd argument count"
# a real replay: labels written from a generated scenario's truth
if [ -x "$BIN" ] && command -v zstd > /dev/null; then
    python3 tests/gen/scenario.py --kind bad_config --seed 5 --out "$T/sc" -q
    "$BIN" replay --json --deploys "$T/sc/deploys.jsonl" "$T/sc/logs-a.jsonl" "$T/sc/logs-b.jsonl" \
        > "$T/sc/result.json" 2>/dev/null
    python3 - "$T/sc/truth.json" > "$T/sc/labels.json" <<'P'
import json, sys
t = json.load(open(sys.argv[1]))
e = t["expected_top"]
print(json.dumps({"incidents": [{"start": t["fault_start"], "end": t["fault_end"],
    "cause": {"kind": e["kind"], "service": e["service"], "ref": e["ref_contains"]}}]}))
P
    out=$($ACC --json "$T/sc/labels.json" "$T/sc/result.json" 2>&1)
    [ "$(fig ac_at_1)" = 1.0 ] && [ "$(fig detected)" = 1 ] &&
        ok "a replay of a generated bad config scores AC@1 100%" || bad "replay: $out"
else
    bad "no faultline binary at $BIN (or no zstd)"
fi
echo "$pass passed, $fail failed"
[ $fail = 0 ]
