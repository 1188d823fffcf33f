#!/bin/sh
# templates.sh - `faultline templates` against CONTRACT.md, through the
# public interface only (tests/cli/run.sh style).
#
#   sh tests/cli/templates.sh ./faultline
#
# Prints "ok - NAME" or "not ok - NAME: WHY" per test, then exactly
# "N passed, N failed"; exits 1 when anything failed. Needs python3 and zstd.
set -u

if [ $# -ne 1 ]; then
    echo "usage: $0 BINARY" >&2
    exit 2
fi
case $1 in
/*) BIN=$1 ;;
*) BIN=$(pwd)/$1 ;;
esac
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export LC_ALL=C
T=$(mktemp -d "${TMPDIR:-/tmp}/faultline-tpl.XXXXXX") || exit 2
trap 'rm -rf "$T"' EXIT
trap 'exit 130' INT TERM

passed=0
failed=0
check() {
    if [ -z "$2" ]; then
        echo "ok - $1"
        passed=$((passed + 1))
    else
        echo "not ok - $1: $2"
        failed=$((failed + 1))
    fi
}
run() {
    "$BIN" "$@" >"$T/out" 2>"$T/err"
    rc=$?
}
err1() { head -n 1 "$T/err" | cut -c 1-200; }

# a small mixed input: two services, a change event, a metric-less request,
# a bad line; "refused" lines name different hosts and ports
cat >"$T/in.jsonl" <<'EOF'
{"ts":"2026-01-01T00:00:00Z","service":"cart","level":"error","msg":"dial tcp 10.0.0.7:5432: connect: connection refused"}
{"ts":"2026-01-01T00:00:01Z","service":"cart","level":"info","msg":"order 1234 placed by alice in 12ms"}
{"ts":"2026-01-01T00:00:02Z","kind":"deploy","service":"cart","version":"v2"}
{"ts":"2026-01-01T00:00:03Z","service":"cart","level":"error","msg":"dial tcp 10.0.0.9:6379: connect: connection refused"}
this is not a log line
{"ts":"2026-01-01T00:00:04Z","service":"web","status":200,"latency_ms":3}
{"ts":"2026-01-01T00:00:05Z","service":"web","level":"info","msg":"order 99 placed by bob in 1.5s"}
{"ts":"2026-01-01T00:00:06Z","service":"cart","level":"info","msg":"order 77 placed by carol in 3ms"}
{"ts":"2026-01-01T00:00:07Z","service":"cart","level":"error","msg":"dial tcp [2001:db8::5]:443: connect: connection refused"}
EOF

run templates "$T/in.jsonl"
why=""
first=$(head -n 1 "$T/out")
if [ "$rc" -ne 0 ]; then
    why="exit $rc: $(err1)"
elif [ "$(printf '%s' "$first" | cut -f1,3,4)" != "$(printf '3\tcart\tdial tcp <*> connect: connection refused')" ]; then
    why="first line '$first'"
elif ! grep -q "$(printf '^2\t[0-9a-f]\\{16\\}\tcart\torder <\\*> placed by <\\*> in <\\*>$')" "$T/out"; then
    why="no 'order' template of cart with count 2: $(tr '\t\n' ' |' <"$T/out")"
elif ! grep -q "$(printf '^1\t[0-9a-f]\{16\}\tweb\torder <\\*> placed by bob in <\\*>$')" "$T/out"; then
    why="no 'order' template of web: $(tr '\t\n' ' |' <"$T/out")"
elif [ "$(wc -l <"$T/out")" -ne 3 ]; then
    why="$(wc -l <"$T/out") templates, want 3 (cart x2, web x1)"
fi
check "templates: count, id, service, template; most frequent first; masks" "$why"

run templates --assign "$T/in.jsonl"
why=""
if [ "$rc" -ne 0 ]; then
    why="exit $rc: $(err1)"
elif [ "$(wc -l <"$T/out")" -ne 8 ]; then
    why="$(wc -l <"$T/out") lines, want 8 (one per event; the bad line is not one)"
else
    got=$(cut -f2 "$T/out" | tr '\n' '|')
    # the IPv6 line generalises "<*>:<*>:" (IPv4) to "<*>", and that is
    # what the earlier lines print too; web's one line keeps "bob"
    want="dial tcp <*> connect: connection refused|order <*> placed by <*> in <*>||dial tcp <*> connect: connection refused||order <*> placed by bob in <*>|order <*> placed by <*> in <*>|dial tcp <*> connect: connection refused|"
    ids=$(cut -f1 "$T/out" | tr '\n' ' ')
    set -- $ids
    if [ "$got" != "$want" ]; then
        why="templates '$got'"
    elif [ "$1" != "$4" ] || [ "$1" != "$8" ] || [ "$2" != "$7" ] || [ "$3" != "-" ] || [ "$5" != "-" ]; then
        why="ids '$ids'"
    elif [ "$2" = "$6" ]; then
        why="the same text in two services shares an id: '$ids'"
    elif ! "$BIN" templates "$T/in.jsonl" 2>/dev/null | cut -f2 | grep -qx "$1"; then
        why="--assign id $1 is not in the listing"
    fi
fi
check "--assign: one line per event in input order, final template, '-' without a message" "$why"

# the first line is assigned the template as generalised by later lines
printf 'user alice logged in\nuser bob logged in\nuser carol logged in\n' >"$T/gen.log"
run templates --assign --format raw "$T/gen.log"
check "--assign prints each line's final template (two passes)" \
    "$([ "$rc" -eq 0 ] && [ "$(sort -u "$T/out" | wc -l)" -eq 1 ] && grep -q '	user <\*> logged in$' "$T/out" || echo "exit $rc: $(tr '\t\n' ' |' <"$T/out")")"

run templates --assign "$T/in.jsonl"
cp "$T/out" "$T/file.out"
"$BIN" templates --assign - <"$T/in.jsonl" >"$T/stdin.out" 2>"$T/err"
rc1=$?
zstd -q -c "$T/in.jsonl" >"$T/in.jsonl.zst"
"$BIN" templates --assign "$T/in.jsonl.zst" >"$T/zst.out" 2>"$T/err"
rc2=$?
why=""
if [ "$rc1" -ne 0 ] || [ "$rc2" -ne 0 ]; then
    why="exit $rc1 $rc2: $(err1)"
elif ! cmp -s "$T/file.out" "$T/zst.out"; then
    why=".zst differs from the plain file"
elif [ "$(cut -f2 "$T/file.out")" != "$(cut -f2 "$T/stdin.out")" ]; then
    why="stdin differs from the plain file"
fi
check "stdin and .zst give the same assignments as the plain file" "$why"

run templates "$T/in.jsonl"
cp "$T/out" "$T/a.out"
run templates "$T/in.jsonl"
check "output is byte-identical across runs" \
    "$(cmp -s "$T/a.out" "$T/out" || echo differs)"

run templates --json "$T/in.jsonl"
got=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
t = d["templates"]
print(len(t), t[0]["count"], t[0]["service"], t[0]["template"], d["stats"]["bad_lines"], d["stats"]["no_message"], d["stats"]["events"])
' "$T/out" 2>&1)
check "--json: templates and stats" \
    "$([ "$rc" -eq 0 ] && [ "$got" = "3 3 cart dial tcp <*> connect: connection refused 1 2 8" ] || echo "exit $rc: $got")"

run templates "$T/missing.jsonl"
check "an unreadable input: exit 2, one line naming it" \
    "$([ "$rc" -eq 2 ] && grep -q missing.jsonl "$T/err" || echo "exit $rc: $(err1)")"
run templates
check "no input: exit 1" "$([ "$rc" -eq 1 ] && [ -s "$T/err" ] || echo "exit $rc")"
run templates --no-such "$T/in.jsonl"
check "unknown option: exit 1" "$([ "$rc" -eq 1 ] && [ -s "$T/err" ] || echo "exit $rc")"
run templates --assign --json "$T/in.jsonl"
check "--assign with --json: exit 1" "$([ "$rc" -eq 1 ] || echo "exit $rc")"
run templates --help
check "--help: exit 0, names --assign" \
    "$([ "$rc" -eq 0 ] && grep -q -- --assign "$T/out" || echo "exit $rc")"

# hostile messages: escapes and control characters stay on one line
printf '%s\n' '{"ts":"2026-01-01T00:00:00Z","service":"x","msg":"a\u0001b <script>alert(1)</script>\nnext"}' \
    '{"ts":"2026-01-01T00:00:01Z","service":"x","msg":"'"$(head -c 100000 /dev/zero | tr '\0' 'a')"'"}' >"$T/hostile.jsonl"
run templates --assign --max-line 200000 "$T/hostile.jsonl"
check "control characters escaped, huge messages bounded, one line per event" \
    "$([ "$rc" -eq 0 ] && [ "$(wc -l <"$T/out")" -eq 2 ] && grep -q 'a\\x01b <script>' "$T/out" && [ "$(tail -n 1 "$T/out" | wc -c)" -lt 3000 ] || echo "exit $rc: $(head -c 300 "$T/out")")"

# templates as incident evidence: an hour of a healthy service, a deploy,
# then 40% of requests fail with a message never seen before (hostile
# text included) while an old error message keeps its rate
python3 - "$T/ev" <<'PY'
import json, os, random, sys
out = sys.argv[1]
os.makedirs(out, exist_ok=True)
r = random.Random(5)
t0 = 1784880000.0  # 2026-07-24T08:00:00Z
with open(out + "/logs.jsonl", "w") as f:
    for i in range(70 * 60 * 10):
        ts = t0 + i / 10.0
        bad = ts >= t0 + 3000 and r.random() < 0.4
        old = r.random() < 0.01
        ev = {"ts": ts, "service": "cart", "status": 500 if (bad or old) else 200,
              "latency_ms": round(r.uniform(5, 20), 1)}
        if bad:
            ev["msg"] = "<script>alert(1)</script> refused by 10.0.%d.7:5432" % r.randint(0, 9)
        elif old:
            ev["msg"] = "timeout after %dms" % r.randint(100, 900)
        f.write(json.dumps(ev) + "\n")
with open(out + "/deploys.jsonl", "w") as f:
    f.write(json.dumps({"ts": t0 + 2940, "kind": "deploy", "service": "cart",
                        "version": "v2.3.1", "change_id": "chg-1"}) + "\n")
PY
run replay --json --report "$T/ev/rep" --deploys "$T/ev/deploys.jsonl" "$T/ev/logs.jsonl"
got=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
inc = d["incidents"][0]
lt = [a for a in inc["anomalies"] if a["signal"] == "log_template"]
ev = [e for e in inc["causes"][0]["evidence"] if e.startswith("new since")]
print(len(d["incidents"]), len(lt), lt[0]["template"] if lt else "-", lt[0]["new"] if lt else "-",
      inc["causes"][0]["kind"], ev[0].split(":")[0] if ev else "-")
' "$T/out" 2>&1)
want="1 1 <script>alert(<*>)</script> refused by <*>:<*> True deploy new since deploy v2.3.1 of cart"
why=""
if [ "$rc" -ne 0 ]; then
    why="exit $rc: $(err1)"
elif [ "$got" != "$want" ]; then
    why="got '$got'"
elif grep -q "<script>" "$T/ev/rep/"*.html; then
    why="the HTML report holds a raw <script>"
elif ! grep -q "New and surging log templates" "$T/ev/rep/"*.md ||
     ! grep -q "&lt;script&gt;alert(&lt;\*&gt;)" "$T/ev/rep/"*.html; then
    why="no escaped template in the reports' template section"
fi
check "a template new since a deploy: log_template anomaly, evidence, escaped report section" "$why"

# the config's field names apply, as in replay
printf 'input:\n  fields: {msg: text, service: app}\n' >"$T/fields.yaml"
for i in 1 2 3; do
    echo "{\"ts\":\"2026-01-01T00:00:0${i}Z\",\"app\":\"api\",\"text\":\"user $i logged in\"}"
done >"$T/fields.jsonl"
got=$("$BIN" templates --config "$T/fields.yaml" "$T/fields.jsonl" 2>/dev/null | cut -f1,3,4)
check "templates honours the config's field names (msg: text, service: app)" \
    "$([ "$got" = "$(printf '3\tapi\tuser <*> logged in')" ] || echo "got '$got'")"

# grouping accuracy on the labelled sample (Loghub definition)
python3 "$ROOT/tests/tools/template_accuracy.py" --faultline "$BIN" --min 0.9 \
    "$ROOT"/tests/samples/templates/*.log >"$T/acc" 2>&1
rc=$?
check "grouping accuracy on tests/samples/templates >= 0.9 ($(tail -n 1 "$T/acc" | sed 's/.*accuracy //'))" \
    "$([ "$rc" -eq 0 ] || tail -n 2 "$T/acc" | tr '\n' ' ')"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
