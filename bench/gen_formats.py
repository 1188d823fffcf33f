#!/usr/bin/env python3
"""gen_formats.py - deterministic inputs for bench/decoders.sh: the first
N records of a generated scenario's JSON logs written in every format
faultline reads (with the encoders of tests/formats/equivalence.py), plus
Telegraf-style Influx lines. One file per format in OUT.

    python3 bench/gen_formats.py SCENARIO_DIR OUT [N]
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "formats"))
import equivalence as eq  # noqa: E402


def main():
    sc, out = sys.argv[1], sys.argv[2]
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 1000000
    os.makedirs(out, exist_ok=True)
    recs = eq.read_records(sorted(
        os.path.join(sc, f) for f in os.listdir(sc)
        if f.startswith("logs-") and f.endswith(".jsonl")))
    recs = [r for r in recs if "kind" not in r]
    recs.sort(key=lambda r: r["ts"])
    while len(recs) < n:  # repeat, an hour later each time, to reach n
        recs += [dict(r, ts=r["ts"] + 3600 * 10**9) for r in recs[:n - len(recs)]]
    recs = recs[:n]

    def put(name, data):
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)

    put("json", eq.lines(eq.json_line(r) for r in recs))
    put("ecs", eq.lines(eq.ecs_line(r) for r in recs))
    put("logfmt", eq.lines(eq.logfmt_line(r) for r in recs))
    put("msgpack", b"".join(eq.msgpack_obj(r) for r in recs))
    put("fluentbit", b"".join(eq.fluentbit_obj(r, i) for i, r in enumerate(recs)))
    docs, i = [], 0
    while i < len(recs):  # 1..7 records per document
        k = 1 + i % 7
        docs.append(eq.otlp_doc(recs[i:i + k]))
        i += k
    put("otlp", eq.lines(docs))
    put("syslog5424_json",
        eq.lines(eq.syslog5424(r, eq.json_line(r)) for r in recs))
    put("syslog3164", eq.lines(eq.syslog3164(r) for r in recs))
    put("nginx", eq.lines(eq.nginx_line(dict(r, status=r.get("status", 200)))
                          for r in recs))
    # Telegraf: cpu and mem of 200 hosts every 10 s, ns timestamps
    t0 = recs[0]["ts"] // 10**10 * 10**10
    lines, k = [], 0
    while len(lines) < n:
        t = t0 + (k // 200) * 10**10
        h = k % 200
        if k % 2:
            lines.append("cpu,cpu=cpu-total,host=web-%03d usage_user=%.3f,"
                         "usage_system=%.3f,usage_idle=%.3f %d" % (
                             h, (k * 7) % 100 / 3.0, (k * 3) % 50 / 7.0,
                             50 + (k % 40), t))
        else:
            lines.append("mem,host=web-%03d used_percent=%.4f,available=%di,"
                         "active=%du %d" % (h, (k % 97) / 1.3,
                                            8 * 2**30 - k, 2**30 + k, t))
        k += 1
    put("influx", eq.lines(lines))


if __name__ == "__main__":
    main()
