#!/usr/bin/env python3
"""Prints log lines as a shipper would send them to Kafka: merged across
files in event-time order, each as "service<TAB>line" for `kcat -K '\\t'`
(keyed by service, so one service's lines stay in one partition, in order).
Lines that cannot be parsed keep their place with an empty key."""
import datetime, io, json, subprocess, sys

def read(path):
    if path.endswith(".zst"):
        data = subprocess.run(["zstd", "-dc", path], check=True, capture_output=True).stdout
    else:
        data = open(path, "rb").read()
    return data.split(b"\n")

def ts_of(obj):
    for k in ("ts", "time", "timestamp", "@timestamp"):
        v = obj.get(k)
        if isinstance(v, (int, float)):
            return v / 1e3 if v > 1e11 else float(v)
        if isinstance(v, str):
            try:
                return datetime.datetime.fromisoformat(v.replace("Z", "+00:00")).timestamp()
            except ValueError:
                return None
    return None

def service_of(obj):
    s = obj.get("service") or obj.get("service.name")
    if isinstance(s, dict):
        s = s.get("name")
    return s if isinstance(s, str) else ""

rows = []
for fi, path in enumerate(sys.argv[1:]):
    last = 0.0
    for li, line in enumerate(read(path)):
        if not line.strip():
            continue
        key, t = "", None
        try:
            obj = json.loads(line)
            if isinstance(obj, dict):
                t, key = ts_of(obj), service_of(obj)
        except (ValueError, UnicodeDecodeError):
            pass
        if t is None:
            t = last  # keep malformed lines where they were
        last = t
        rows.append((t, fi, li, key, line))
rows.sort(key=lambda r: (r[0], r[1], r[2]))
out = sys.stdout.buffer
for t, fi, li, key, line in rows:
    out.write(key.encode().replace(b"\t", b" ") + b"\t" + line + b"\n")
