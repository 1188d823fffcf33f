#!/bin/sh
# tests/rca/topology.sh - call edges from the configuration alone
# (rca.topology). A generated `overlapping` scenario (a bad deploy in the
# shop, a bad config of admin, 1-4 min apart) with every upstream field,
# trace id and naming error message removed: the logs teach no edge, so
# time merges the two into one incident. With the shop's call graph given
# as rca.topology, the two incidents split again, each with its cause
# first; with a topology where admin calls cart, they join again.
# Ends with "N passed, N failed".   sh tests/rca/topology.sh [FAULTLINE]
set -u
cd "$(dirname "$0")/../.."
BIN=${1:-./build/rel/faultline}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0
fail=0
python3 tests/gen/scenario.py --kind overlapping --seed 41 --out "$T/sc" -q
python3 - "$T/sc" <<'P'
import json, os, sys
d = sys.argv[1]
for name in ("logs-a.jsonl", "logs-b.jsonl"):
    out = []
    for raw in open(os.path.join(d, name), "rb").read().split(b"\n"):
        try:
            o = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            continue
        o.pop("upstream", None)
        o.pop("service.target.name", None)
        if isinstance(o.get("service"), dict):
            o["service"].pop("target", None)
        for k in ("msg", "message"):
            if k in o and o.get("level") == "error":
                o[k] = "request failed"
        for k in ("trace_id", "trace.id", "trace"):
            o.pop(k, None)
        out.append(json.dumps(o))
    open(os.path.join(d, "bare-" + name), "w").write("\n".join(out) + "\n")
P
cat > "$T/shop.yaml" <<'Y'
rca:
  topology:
    frontend: [api]
    api: [cart, search, payments]
    cart: postgres
    payments: [postgres]
    search: [cache]
    admin: [postgres]
Y
cat > "$T/joined.yaml" <<'Y'
rca:
  topology: {admin: [cart]}
Y
for mode in none shop joined; do
    cfg=
    [ $mode = none ] || cfg="--config $T/$mode.yaml"
    # shellcheck disable=SC2086
    "$BIN" replay --json $cfg --deploys "$T/sc/deploys.jsonl" "$T/sc/bare-logs-a.jsonl" \
        "$T/sc/bare-logs-b.jsonl" > "$T/$mode.json" 2> "$T/$mode.err" ||
        echo "exit $? $(head -c 300 "$T/$mode.err")" > "$T/$mode.json"
done
got=$(python3 - "$T/sc/truth.json" "$T/none.json" "$T/shop.json" "$T/joined.json" <<'P'
import json, sys
t = json.load(open(sys.argv[1]))
want = {(t["expected_top"]["kind"], t["expected_top"]["service"]),
        (t["more_faults"][0]["expected_top"]["kind"], t["more_faults"][0]["expected_top"]["service"])}
def incs(p):
    try:
        return json.load(open(p))["incidents"]
    except ValueError:
        return None
none, shop, joined = (incs(p) for p in sys.argv[2:5])
out = []
out.append("merged" if none is not None and len(none) == 1 else "notmerged:%s" % (none if none is None else len(none)))
tops = {(i["causes"][0]["kind"], i["causes"][0]["service"]) for i in shop or [] if i["causes"]}
out.append("split" if shop is not None and len(shop) == 2 and want <= tops else "nosplit:%s" % sorted(tops))
out.append("joined" if joined is not None and len(joined) == 1 else "notjoined:%s" % (joined if joined is None else len(joined)))
print(" ".join(out))
P
)
case $got in
"merged "*) pass=$((pass + 1)); echo "ok - no edge in the logs: time merges the two faults" ;;
*) fail=$((fail + 1)); echo "not ok - without topology (the test's premise): $got" ;;
esac
case $got in
*" split "*) pass=$((pass + 1)); echo "ok - rca.topology alone: two incidents, each cause ranked first" ;;
*) fail=$((fail + 1)); echo "not ok - rca.topology split: $got" ;;
esac
case $got in
*" joined") pass=$((pass + 1)); echo "ok - a topology edge admin -> cart joins them" ;;
*) fail=$((fail + 1)); echo "not ok - rca.topology join: $got" ;;
esac
echo "$pass passed, $fail failed"
[ $fail = 0 ]
