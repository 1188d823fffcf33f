#!/usr/bin/env python3
"""nab.py - helpers for bench/nab/run.sh.

  nab.py lines CSV OUT      a NAB CSV (timestamp,value) as Influx lines:
                            nab,service=<file name without .csv> value=<v> <ns>
                            (timestamps are naive; read as UTC, as the
                            scorer reads them)
  nab.py collect DIR OUT    every anomaly's `detected` time from DIR/<cat>/
                            <file>.json (faultline's result documents) as the
                            scorer's detections file
"""
import calendar, csv, datetime as dt, json, os, sys


def lines(src, out):
    name = os.path.basename(src)[:-4]
    svc = name.replace("\\", "\\\\").replace(",", "\\,").replace(" ", "\\ ") \
              .replace("=", "\\=")
    with open(src, newline="") as f, open(out, "w") as o:
        for row in csv.DictReader(f):
            t = dt.datetime.fromisoformat(row["timestamp"].strip())
            ns = calendar.timegm(t.timetuple()) * 10**9 + t.microsecond * 1000
            o.write("nab,service=%s value=%s %d\n" % (svc, row["value"].strip(), ns))


def collect(d, out):
    det = {}
    for cat in sorted(os.listdir(d)):
        if not os.path.isdir(os.path.join(d, cat)):
            continue
        for fn in sorted(os.listdir(os.path.join(d, cat))):
            if not fn.endswith(".json"):
                continue
            doc = json.load(open(os.path.join(d, cat, fn)))
            ts = sorted({a["detected"] for inc in doc["incidents"]
                         for a in inc["anomalies"]})
            det["%s/%s.csv" % (cat, fn[:-5])] = ts
    json.dump(det, open(out, "w"), indent=1, sort_keys=True)
    return det


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "lines":
        lines(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 4 and sys.argv[1] == "collect":
        det = collect(sys.argv[2], sys.argv[3])
        print("detections: %d in %d files" %
              (sum(len(v) for v in det.values()), len(det)))
    else:
        sys.stderr.write(__doc__)
        sys.exit(1)
