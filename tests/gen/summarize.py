#!/usr/bin/env python3
"""Per-minute summary of a generated scenario (standard library only).

    python3 tests/gen/summarize.py DIR [--service S ...] [--every N] [--check]

Decodes every log dialect scenario.py writes (plain or .zst via the zstd
CLI), and prints per service and minute: requests, error %, median latency.
--check verifies the file-level invariants instead (time overlap of the two
files, out-of-order tolerance, malformed line count matching truth.json) and
exits 1 if one fails.
"""

import argparse
import calendar
import json
import os
import subprocess
import sys
import time


def parse_ts(v):
    if isinstance(v, (int, float)):
        if v > 1e17:
            return v / 1e9
        if v > 1e11:
            return v / 1e3
        return float(v)
    s = v
    if s.endswith("Z"):
        s = s[:-1] + "+00:00"
    main, off = s[:-6], s[-6:]
    frac = 0.0
    if "." in main:
        main, f = main.split(".", 1)
        frac = float("0." + f)
    sign = 1 if off[0] == "+" else -1
    return calendar.timegm(time.strptime(main, "%Y-%m-%dT%H:%M:%S")) + frac - sign * (
        int(off[1:3]) * 3600 + int(off[4:6]) * 60)


def get(d, dotted):
    if dotted in d:
        return d[dotted]
    cur = d
    for p in dotted.split("."):
        if not isinstance(cur, dict) or p not in cur:
            return None
        cur = cur[p]
    return cur


def decode(line):
    """-> (ts, service, is_error, latency_ms or None, is_request) or None if bad."""
    try:
        d = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(d, dict):
        return None
    ts = None
    for k in ("ts", "@timestamp", "time", "timestamp"):
        if k in d:
            ts = parse_ts(d[k])
            break
    svc = get(d, "service.name") or d.get("service")
    if isinstance(svc, dict):
        svc = svc.get("name")
    status = d.get("status", get(d, "http.response.status_code"))
    level = d.get("level", get(d, "log.level"))
    lat = d.get("latency_ms", d.get("duration_ms"))
    if lat is None:
        ns = get(d, "event.duration")
        if ns is not None:
            lat = ns / 1e6
    err = status >= 500 if status is not None else level in ("error", "fatal", "critical")
    return ts, svc, err, lat, (status is not None or lat is not None)


def read_lines(path):
    if path.endswith(".zst"):
        data = subprocess.run(["zstd", "-dc", path], check=True, stdout=subprocess.PIPE).stdout
    else:
        with open(path, "rb") as f:
            data = f.read()
    return data.split(b"\n")[:-1] if data.endswith(b"\n") else data.split(b"\n")


def find(dirpath, base):
    for cand in (base, base + ".zst"):
        p = os.path.join(dirpath, cand)
        if os.path.exists(p):
            return p
    raise SystemExit("no %s in %s" % (base, dirpath))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--service", action="append")
    ap.add_argument("--every", type=int, default=1, help="print every N-th minute")
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    with open(os.path.join(a.dir, "truth.json")) as f:
        truth = json.load(f)
    t0 = parse_ts(truth["start"])
    bad = 0
    spans = []
    worst_ooo = 0.0
    stats = {}   # (svc, minute) -> [n, err, [lat]]
    for base in ("logs-a.jsonl", "logs-b.jsonl"):
        hi = None
        lo_ts, hi_ts = None, None
        for line in read_lines(find(a.dir, base)):
            r = decode(line)
            if r is None:
                bad += 1
                continue
            ts, svc, err, lat, isreq = r
            if hi is not None and hi - ts > worst_ooo:
                worst_ooo = hi - ts
            hi = ts if hi is None or ts > hi else hi
            lo_ts = ts if lo_ts is None or ts < lo_ts else lo_ts
            hi_ts = ts if hi_ts is None or ts > hi_ts else hi_ts
            if not isreq:
                continue
            st = stats.setdefault((svc, int((ts - t0) // 60)), [0, 0, []])
            st[0] += 1
            st[1] += err
            if lat is not None:
                st[2].append(lat)
        spans.append((lo_ts, hi_ts))
    if a.check:
        ok = True
        overlap = min(spans[0][1], spans[1][1]) - max(spans[0][0], spans[1][0])
        print("files overlap %.0f s of %d; worst out-of-order %.2f s; bad lines %d (truth %d)" % (
            overlap, truth["duration_s"], worst_ooo, bad, truth["malformed_lines"]))
        if overlap < 0.9 * truth["duration_s"] or worst_ooo > 5.0 or bad != truth["malformed_lines"]:
            ok = False
        print("OK" if ok else "FAILED")
        return 0 if ok else 1
    svcs = a.service or truth["services"]
    minutes = max(m for _, m in stats) + 1
    marks = {}
    for key in ("cause_at", "fault_start", "fault_end"):
        if truth.get(key):
            marks.setdefault(int((parse_ts(truth[key]) - t0) // 60), []).append(key)
    print("minute  " + "".join("%-24s" % s for s in svcs))
    for m in range(0, minutes, a.every):
        row = "%5d   " % m
        for s in svcs:
            st = stats.get((s, m))
            if not st:
                row += "%-24s" % "-"
                continue
            lats = sorted(st[2])
            p50 = lats[len(lats) // 2] if lats else 0.0
            row += "%-24s" % ("%4d %5.1f%% %7.1fms" % (st[0], 100.0 * st[1] / st[0], p50))
        print(row + ("  <- " + ",".join(marks[m]) if m in marks else ""))
    print("bad lines: %d (truth says %d)" % (bad, truth["malformed_lines"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
