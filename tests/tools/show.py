#!/usr/bin/env python3
"""Pretty-prints a faultline result document (stdin) for a person."""
import json, sys
d = json.load(sys.stdin)
for i in d["incidents"]:
    print(i["id"], i["start"], "detected", i["detected"], "end", i["end"], i["services"])
    for a in i["anomalies"]:
        print("    %-9s %-12s %-4s onset %s det %s end %s  %.4g -> %.4g  sev %.3g" % (
            a["service"], a["signal"], a.get("direction", ""), a["onset"][11:19],
            a["detected"][11:19], (a["end"] or "null")[11:19], a["baseline"], a["peak"],
            a.get("severity", 0)))
    for c in i["causes"]:
        print("  #%d %-13s %-9s %-22s %.3f" % (c["rank"], c["kind"], c["service"], c["ref"], c["score"]))
        for e in c["evidence"]:
            print("        -", e)
    for r in i.get("ruled_out", []):
        print("  ruled out:", r)
print("stats:", json.dumps(d["stats"]))
