#!/usr/bin/env python3
"""tests/kafka/ownership.py DIR "END0 END1 ..." - reads the FAULTLINE_KAFKA_TRACE
lines of DIR/churn*.*.err (one file per consumer run) and prints the number
of ownership periods, then the problems found: a commit while the
partition was not owned, a period not contiguous, a gap (offsets nobody
read), an overlap (read twice), or a partition not read to its end."""
import glob, re, sys
d, ends = sys.argv[1], [int(x) for x in sys.argv[2].split()]
periods, bad = {}, []
for path in sorted(glob.glob(d + "/churn*.*.err")):
    owned = set()
    for line in open(path, errors="replace"):
        m = re.match(r"faultline trace: (assign|revoke|revoke-lost|commit|skip-unowned) (\S+)\[(\d+)\](.*)", line)
        if not m:
            continue
        what, tp, p, rest = m.group(1), m.group(2), int(m.group(3)), m.group(4)
        key = (tp, p)
        if what == "assign":
            owned.add(key)
        elif what.startswith("revoke"):
            f = dict(kv.split("=") for kv in rest.split())
            first, nxt, cnt, jumps = (int(f[k]) for k in ("first", "next", "count", "jumps"))
            if cnt:
                periods.setdefault(key, []).append((first, nxt, cnt, jumps, path))
            owned.discard(key)
        elif what == "commit" and key not in owned:
            bad.append("commit of %s[%d] not owned in %s" % (tp, p, path))
for p, end in enumerate(ends):
    ps = sorted(periods.get(("logs", p), []))
    at = 0
    for first, nxt, cnt, jumps, path in ps:
        if jumps or cnt != nxt - first:
            bad.append("logs[%d] period %d-%d not contiguous" % (p, first, nxt))
        if first > at:
            bad.append("logs[%d] gap %d-%d" % (p, at, first))
        if first < at:
            bad.append("logs[%d] read twice %d-%d" % (p, first, min(at, nxt)))
        at = max(at, nxt)
    if at != end:
        bad.append("logs[%d] read to %d of %d" % (p, at, end))
n = sum(len(v) for v in periods.values())
print("%d %s" % (n, "; ".join(bad[:5])))
