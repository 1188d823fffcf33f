#!/usr/bin/env python3
"""equivalence.py - one generated outage, encoded in every input format
faultline reads, must yield the same incidents as its JSON form.

    python3 tests/formats/equivalence.py --faultline ./faultline [--keep DIR]

The scenario (tests/gen/scenario.py) is read into records, keeping the lines
faultline's JSON decoder accepts (the generator also writes broken lines on
purpose; no other format could carry those). Each format is then written
from the records, and compared with a JSON reference written from the same
records *reduced to what that format carries* (CARRIES below): a format that
has no upstream field is compared with JSON without upstream, nginx's
one-second timestamps with JSON timestamps cut to the second, and so on.
Where a format carries everything, its reference is the full JSON form.
Equal means the `incidents` arrays of `faultline replay --json` are equal,
byte for byte once re-serialised (ids, times, anomalies, causes, scores).

The full JSON form must itself find the scenario's incident with the
expected top cause, so the comparisons are about a real incident.

Influx carries metrics, not request logs, so it has an equivalence of its
own: per-service series derived from the same records (requests, errors,
mean latency per 10 s) written the way Telegraf does (`service` tag,
integer fields, nanosecond timestamps) and written again in other spellings
the line protocol defines as the same data (the `host` tag naming the
service, fields in another order, floats and unsigned integers for the
integers, a string field, which carries no signal, and millisecond
timestamps). Both must give the same incidents, and at least one.

Prints one "ok"/"not ok" line per comparison and "N passed, N failed".
"""
import argparse
import datetime as dt
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

# what each format carries, of: ts precision, level, status, latency, msg,
# upstream, version, change events in the stream
FULL = {"level", "status", "latency", "msg", "upstream", "version"}
CARRIES = {
    "json": FULL,
    "ecs": FULL,                     # upstream as service.target.name
    "logfmt": FULL,
    "msgpack": FULL,                 # plain maps; deploys as a msgpack file
    "fluentbit": FULL,               # [EventTime, map], [[EventTime, {}], map]
    "otlp": FULL,                    # latency in seconds (semconv)
    "syslog5424_json": FULL,         # the message is the JSON record
    "syslog5424_logfmt": FULL,       # the message is the logfmt record
    "syslog3164": {"level", "msg"},  # severity from PRI, message text
    "nginx": {"status", "latency", "msg"},  # no level, upstream, version
}

# ----------------------------------------------------------- reading JSON

TS_KEYS = ("ts", "time", "timestamp", "@timestamp")


def flatten(d, prefix="", out=None):
    out = {} if out is None else out
    for k, v in d.items():
        key = prefix + "." + k if prefix else k
        if isinstance(v, dict):
            flatten(v, key, out)
        else:
            out[key] = v
    return out


def first(d, *keys):
    for k in keys:
        if k in d and d[k] is not None:
            return d[k]
    return None


def parse_ts(v):
    """ns since the epoch, from RFC 3339 text or an epoch number."""
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        x = float(v)
        if x > 1e17:
            return int(v)
        if x > 1e14:
            return int(round(x * 1e3))
        if x > 1e11:
            return int(round(x * 1e6))
        return int(round(x * 1e9))
    if not isinstance(v, str):
        return None
    s = v.strip()
    try:
        if s.endswith("Z") or s.endswith("z"):
            s = s[:-1] + "+00:00"
        frac = 0
        if "." in s:
            head, rest = s.split(".", 1)
            digits = ""
            while rest and rest[0].isdigit():
                digits, rest = digits + rest[0], rest[1:]
            frac = int((digits + "000000000")[:9])
            s = head + rest
        t = dt.datetime.fromisoformat(s)
        if t.tzinfo is None:
            t = t.replace(tzinfo=dt.timezone.utc)
        return int(t.timestamp()) * 10**9 + frac
    except ValueError:
        return None


def read_records(paths):
    """Records from JSON lines, in file order: dicts with ts (ns), service
    and the fields present."""
    recs = []
    for path in paths:
        with open(path, "rb") as f:
            for raw in f:
                try:
                    d = json.loads(raw.decode("utf-8"))
                except (UnicodeDecodeError, ValueError):
                    continue
                if not isinstance(d, dict):
                    continue
                d = flatten(d)
                ts = parse_ts(first(d, *TS_KEYS))
                svc = first(d, "service", "service.name")
                if ts is None or not isinstance(svc, str) or not svc.strip():
                    continue
                r = {"ts": ts, "service": svc}
                kind = d.get("kind")
                if kind in ("deploy", "config", "rollback", "flag"):
                    r["kind"] = kind
                    for k in ("version", "change_id", "author"):
                        if isinstance(d.get(k), str):
                            r[k] = d[k]
                    recs.append(r)
                    continue
                lvl = first(d, "level", "log.level", "severity")
                if isinstance(lvl, str):
                    r["level"] = lvl.lower()
                st = first(d, "status", "status_code",
                           "http.response.status_code")
                if st is not None:
                    if not isinstance(st, int) or not 100 <= st <= 599:
                        continue
                    r["status"] = st
                lat = first(d, "latency_ms", "duration_ms")
                if lat is None and d.get("event.duration") is not None:
                    lat = d["event.duration"] / 1e6
                if lat is not None:
                    if not isinstance(lat, (int, float)) or not 0 <= lat <= 86400e3:
                        continue
                    r["latency"] = float(lat)
                msg = first(d, "msg", "message")
                if isinstance(msg, str):
                    r["msg"] = msg
                up = first(d, "upstream", "peer.service")
                if isinstance(up, str) and up:
                    r["upstream"] = up
                ver = first(d, "version", "service.version")
                if isinstance(ver, str):
                    r["version"] = ver
                recs.append(r)
    return recs


# ------------------------------------------------------------- encodings

def rfc3339(ns):
    s, f = divmod(ns, 10**9)
    t = dt.datetime.fromtimestamp(s, dt.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S") + ".%09dZ" % f


def json_line(r):
    d = {"ts": rfc3339(r["ts"]), "service": r["service"]}
    for k in ("kind", "change_id", "author", "level", "status"):
        if k in r:
            d[k] = r[k]
    if "latency" in r:
        d["latency_ms"] = r["latency"]
    for k in ("msg", "upstream", "version"):
        if k in r:
            d[k] = r[k]
    return json.dumps(d, separators=(",", ":"))


def ecs_line(r):
    d = {"@timestamp": rfc3339(r["ts"]),
         "service": {"name": r["service"]}}
    if "version" in r:
        d["service"]["version"] = r["version"]
    if "upstream" in r:
        d["service"]["target"] = {"name": r["upstream"]}
    if "level" in r:
        d["log"] = {"level": r["level"]}
    if "status" in r:
        d["http"] = {"response": {"status_code": r["status"]}}
    if "latency" in r:
        d["event"] = {"duration": int(round(r["latency"] * 1e6))}
    if "msg" in r:
        d["message"] = r["msg"]
    return json.dumps(d, separators=(",", ":"))


def ecs_reduce(r):
    if "latency" in r:
        r = dict(r, latency=int(round(r["latency"] * 1e6)) / 1e6)
    return r


def lf_value(v):
    s = str(v)
    if s and all(c > " " and c not in '="\\' for c in s):
        return s
    return json.dumps(s)  # go-logfmt quoting: JSON's escapes


def logfmt_line(r):
    parts = [("ts", rfc3339(r["ts"])), ("service", r["service"])]
    for k in ("kind", "change_id", "author", "level", "status"):
        if k in r:
            parts.append((k, r[k]))
    if "latency" in r:
        parts.append(("latency_ms", repr(r["latency"])))
    for k in ("msg", "upstream", "version"):
        if k in r:
            parts.append((k, r[k]))
    return " ".join("%s=%s" % (k, lf_value(v)) for k, v in parts)


# a minimal msgpack writer (the spec's encodings, smallest form)
def mp(v):
    if v is None:
        return b"\xc0"
    if v is True:
        return b"\xc3"
    if v is False:
        return b"\xc2"
    if isinstance(v, int):
        if 0 <= v < 128:
            return bytes([v])
        if -32 <= v < 0:
            return struct.pack("b", v)
        if 0 <= v < 2**16:
            return b"\xcd" + struct.pack(">H", v)
        if 0 <= v < 2**32:
            return b"\xce" + struct.pack(">I", v)
        if 0 <= v < 2**64:
            return b"\xcf" + struct.pack(">Q", v)
        return b"\xd3" + struct.pack(">q", v)
    if isinstance(v, float):
        return b"\xcb" + struct.pack(">d", v)
    if isinstance(v, str):
        b = v.encode("utf-8")
        n = len(b)
        if n < 32:
            return bytes([0xA0 | n]) + b
        if n < 256:
            return b"\xd9" + bytes([n]) + b
        return b"\xda" + struct.pack(">H", n) + b
    if isinstance(v, EventTime):
        return b"\xd7\x00" + struct.pack(">II", v.s, v.ns)
    if isinstance(v, (list, tuple)):
        n = len(v)
        head = bytes([0x90 | n]) if n < 16 else b"\xdc" + struct.pack(">H", n)
        return head + b"".join(mp(x) for x in v)
    if isinstance(v, dict):
        n = len(v)
        head = bytes([0x80 | n]) if n < 16 else b"\xde" + struct.pack(">H", n)
        return head + b"".join(mp(k) + mp(x) for k, x in v.items())
    raise TypeError(type(v))


class EventTime:
    """Fluent Bit's EventTime: msgpack ext type 0, seconds and ns."""

    def __init__(self, ns):
        self.s, self.ns = divmod(ns, 10**9)


def plain_map(r, ts):
    d = {"ts": ts, "service": r["service"]}
    for k in ("kind", "change_id", "author", "level", "status"):
        if k in r:
            d[k] = r[k]
    if "latency" in r:
        d["latency_ms"] = r["latency"]
    for k in ("msg", "upstream", "version"):
        if k in r:
            d[k] = r[k]
    return d


def msgpack_obj(r):
    return mp(plain_map(r, rfc3339(r["ts"])))


def fluentbit_obj(r, i):
    body = plain_map(r, None)
    del body["ts"]
    if i % 3 == 2:  # Fluent Bit >= 2.1: [[time, metadata], record]
        return mp([[EventTime(r["ts"]), {}], body])
    return mp([EventTime(r["ts"]), body])


SEV_NUM = {"trace": 1, "debug": 5, "info": 9, "warn": 13, "warning": 13,
           "error": 17, "fatal": 21, "critical": 21}


def otlp_doc(recs):
    """One OTLP/JSON document: consecutive records of one service share a
    resourceLogs element (the order stays the records' order)."""
    rls = []
    for r in recs:
        lr = {"timeUnixNano": str(r["ts"]),
              "observedTimeUnixNano": str(r["ts"] + 1000)}
        if "level" in r:
            lr["severityText"] = r["level"].upper()
            if r["level"] in SEV_NUM:
                lr["severityNumber"] = SEV_NUM[r["level"]]
        if "msg" in r:
            lr["body"] = {"stringValue": r["msg"]}
        attrs = []
        if "status" in r:
            attrs.append({"key": "http.response.status_code",
                          "value": {"intValue": str(r["status"])}})
        if "latency" in r:
            attrs.append({"key": "http.server.request.duration",
                          "value": {"doubleValue": r["latency"] / 1000.0}})
        if "upstream" in r:
            attrs.append({"key": "peer.service",
                          "value": {"stringValue": r["upstream"]}})
        if attrs:
            lr["attributes"] = attrs
        res = [{"key": "service.name",
                "value": {"stringValue": r["service"]}}]
        if "version" in r:
            res.append({"key": "service.version",
                        "value": {"stringValue": r["version"]}})
        key = json.dumps(res)
        if rls and rls[-1][0] == key:
            rls[-1][1].append(lr)
        else:
            rls.append((key, [lr]))
    doc = {"resourceLogs": [
        {"resource": {"attributes": json.loads(k)},
         "scopeLogs": [{"scope": {"name": "faultline-test"},
                        "logRecords": lrs}]} for k, lrs in rls]}
    return json.dumps(doc, separators=(",", ":"))


def otlp_reduce(r):
    if "latency" in r:
        r = dict(r, latency=(r["latency"] / 1000.0) * 1000.0)
    return r


PRI_OF = {"trace": 7, "debug": 7, "info": 6, "notice": 5, "warn": 4,
          "warning": 4, "error": 3, "err": 3, "fatal": 2, "critical": 2}
LEVEL_OF_SEV = {7: "debug", 6: "info", 5: "info", 4: "warn", 3: "error",
                2: "fatal"}
HOST = "web-1.example.net"


def syslog5424(r, body):
    sev = PRI_OF.get(r.get("level", "info"), 6)
    return "<%d>1 %s %s %s 4242 - - %s" % (16 * 8 + sev, rfc3339(r["ts"]),
                                           HOST, r["service"], body)


def syslog3164(r):
    sev = PRI_OF.get(r.get("level", "info"), 6)
    s, f = divmod(r["ts"], 10**9)
    t = dt.datetime.fromtimestamp(s, dt.timezone.utc)
    stamp = "%s %2d %s.%06d" % (t.strftime("%b"), t.day,
                                t.strftime("%H:%M:%S"), f // 1000)
    return "<%d>%s %s %s[4242]: %s" % (16 * 8 + sev, stamp, HOST,
                                       r["service"], r.get("msg", "-"))


def syslog3164_reduce(r):
    sev = PRI_OF.get(r.get("level", "info"), 6)
    out = {"ts": r["ts"] // 1000 * 1000, "service": r["service"],
           "level": LEVEL_OF_SEV[sev], "msg": r.get("msg", "-")}
    return out


def nginx_parts(r):
    """(request line, path) of a record: its message when it is "METHOD
    /path ...", else a GET of /<service>."""
    words = r.get("msg", "").split()
    if len(words) >= 2 and words[0].isalpha() and words[0].isupper() \
            and words[1].startswith("/") and '"' not in words[1] \
            and "\\" not in words[1]:
        return "%s %s HTTP/1.1" % (words[0], words[1])
    return "GET /%s HTTP/1.1" % r["service"]


def nginx_line(r):
    s = r["ts"] // 10**9
    t = dt.datetime.fromtimestamp(s, dt.timezone.utc)
    lat = "%.3f" % (r["latency"] / 1000.0) if "latency" in r else "-"
    return '10.1.2.3 - - [%s] "%s" %d 512 "-" "curl/8.5.0" %s' % (
        t.strftime("%d/%b/%Y:%H:%M:%S +0000"), nginx_parts(r), r["status"],
        lat)


def nginx_reduce(r):
    out = {"ts": r["ts"] // 10**9 * 10**9, "service": r["service"],
           "status": r["status"], "msg": nginx_parts(r)}
    if "latency" in r:
        out["latency"] = float("%.3f" % (r["latency"] / 1000.0)) * 1000.0
    return out


def reduce_to(fmt, r):
    """The record as a JSON line carrying what fmt carries."""
    if "kind" in r:
        return r
    if fmt == "ecs":
        return ecs_reduce(r)
    if fmt == "otlp":
        return otlp_reduce(r)
    if fmt == "syslog3164":
        return syslog3164_reduce(r)
    if fmt == "nginx":
        return nginx_reduce(r)
    keep = CARRIES[fmt] | {"ts", "service"}
    return {k: v for k, v in r.items() if k in keep}


# ----------------------------------------------------------------- runs

def write(path, data):
    with open(path, "wb") as f:
        f.write(data)
    return path


def lines(items):
    return ("\n".join(items) + "\n").encode("utf-8")


def encode(fmt, logs, changes, d):
    """Writes fmt's files into d; returns the replay arguments."""
    allrecs = sorted(logs + changes, key=lambda r: r["ts"])  # stable
    deploys_json = write(os.path.join(d, "deploys.jsonl"),
                         lines(json_line(r) for r in changes))
    if fmt == "json":
        return [write(os.path.join(d, "all.jsonl"),
                      lines(json_line(r) for r in allrecs))]
    if fmt == "ecs":
        return ["--deploys", deploys_json,
                write(os.path.join(d, "ecs.json"),
                      lines(ecs_line(r) for r in logs))]
    if fmt == "logfmt":
        return [write(os.path.join(d, "all.logfmt"),
                      lines(logfmt_line(r) for r in allrecs))]
    if fmt == "msgpack":
        dep = write(os.path.join(d, "deploys.msgpack"),
                    b"".join(msgpack_obj(r) for r in changes))
        return ["--deploys", dep,
                write(os.path.join(d, "logs.msgpack"),
                      b"".join(msgpack_obj(r) for r in logs))]
    if fmt == "fluentbit":
        return [write(os.path.join(d, "fluentbit.msgpack"),
                      b"".join(fluentbit_obj(r, i)
                               for i, r in enumerate(allrecs)))]
    if fmt == "otlp":
        docs, i = [], 0
        while i < len(logs):
            n = 1 + i % 7  # documents of 1..7 records
            docs.append(otlp_doc(logs[i:i + n]))
            i += n
        return ["--deploys", deploys_json,
                write(os.path.join(d, "otlp.json"), lines(docs))]
    if fmt == "syslog5424_json":
        return [write(os.path.join(d, "syslog"),
                      lines(syslog5424(r, json_line(r)) for r in allrecs))]
    if fmt == "syslog5424_logfmt":
        return [write(os.path.join(d, "syslog"),
                      lines(syslog5424(r, logfmt_line(r)) for r in allrecs))]
    if fmt == "syslog3164":
        return ["--format", "syslog", "--deploys", deploys_json,
                write(os.path.join(d, "messages"),
                      lines(syslog3164(r) for r in logs))]
    if fmt == "nginx":
        # one access log per service; the service comes from the config's
        # files entries (nginx lines do not name it); only requests with a
        # status are access-log lines
        svcs = sorted({r["service"] for r in logs})
        conf = ["files:"]
        args = ["--config", os.path.join(d, "nginx.yaml"), "--deploys",
                deploys_json]
        for s in svcs:
            conf += ['  - glob: "access-%s.log"' % s, "    format: nginx",
                     "    service: %s" % json.dumps(s)]
            args.append(write(os.path.join(d, "access-%s.log" % s),
                              lines(nginx_line(r) for r in logs
                                    if r["service"] == s and "status" in r)))
        write(args[1], lines(conf))
        return args
    raise ValueError(fmt)


def reference(fmt, logs, changes, d):
    """The JSON reference for fmt: its records reduced to what it carries,
    split into files as fmt's are (merging ties alike)."""
    if fmt == "nginx":
        args = ["--deploys", os.path.join(d, "deploys.jsonl")]
        for s in sorted({r["service"] for r in logs}):
            args.append(write(os.path.join(d, "ref-%s.jsonl" % s),
                              lines(json_line(reduce_to(fmt, r)) for r in logs
                                    if r["service"] == s and "status" in r)))
        return args
    recs = sorted(logs + changes, key=lambda r: r["ts"])
    return [write(os.path.join(d, "ref.jsonl"),
                  lines(json_line(reduce_to(fmt, r)) for r in recs))]


def replay(faultline, args):
    p = subprocess.run([faultline, "replay", "--json", "--quiet"] + args,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode != 0:
        raise RuntimeError("exit %d: %s" % (p.returncode,
                                             p.stderr.decode()[-300:]))
    return json.loads(p.stdout)


def describe(doc):
    return "; ".join("%s..%s %s top=%s" % (
        i["start"], i["end"], ",".join(i["services"]),
        i["causes"][0]["kind"] + ":" + i["causes"][0].get("ref", "")
        if i["causes"] else "-") for i in doc["incidents"]) or "none"


# ---------------------------------------------------------------- influx

def influx_series(logs):
    """Per service and 10 s bucket: requests, errors, mean latency."""
    b = {}
    for r in logs:
        if "kind" in r:
            continue
        k = (r["service"], r["ts"] // 10**10)
        s = b.setdefault(k, [0, 0, 0.0, 0])
        s[0] += 1
        if r.get("status", 0) >= 500 or (
                "status" not in r and r.get("level") in ("error", "fatal")):
            s[1] += 1
        if "latency" in r:
            s[2] += r["latency"]
            s[3] += 1
    return sorted(b.items(), key=lambda kv: (kv[0][1], kv[0][0]))


def influx_telegraf(series):
    out = []
    for (svc, t10), (n, e, lsum, lnum) in series:
        mean = lsum / lnum if lnum else 0.0
        out.append("http,service=%s,region=eu\\ west requests=%di,errors=%di,"
                   "latency_mean=%s %d" % (svc, n, e, repr(mean),
                                          (t10 + 1) * 10**10))
    return out


def influx_respelled(series):
    out = []
    for (svc, t10), (n, e, lsum, lnum) in series:
        mean = lsum / lnum if lnum else 0.0
        out.append('http,region=eu\\ west,host=%s latency_mean=%s,'
                   'note="a, b=c",errors=%du,requests=%s %d' % (
                       svc, repr(mean), e, "%d.0" % n,
                       (t10 + 1) * 10**4))  # epoch milliseconds
    return out


# ------------------------------------------------------------------ main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--faultline", default="./faultline")
    ap.add_argument("--kind", default="bad_deploy_errors")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--scale", default="0.5", help="request rates (speed)")
    ap.add_argument("--keep", help="keep the files in this directory")
    ap.add_argument("--only", help="comma-separated formats")
    a = ap.parse_args()
    faultline = os.path.abspath(a.faultline)
    work = a.keep or tempfile.mkdtemp(prefix="fl-formats-")
    os.makedirs(work, exist_ok=True)
    passed = failed = 0

    def result(ok, name, detail=""):
        nonlocal passed, failed
        if ok:
            passed += 1
            print("ok %s%s" % (name, " - " + detail if detail else ""))
        else:
            failed += 1
            print("not ok %s%s" % (name, " - " + detail if detail else ""))
        sys.stdout.flush()

    try:
        # RFC 3164 times have no year: the scenario runs three days ago, so
        # the year a reader infers (the wall clock's) is the right one
        day = dt.datetime.now(dt.timezone.utc).date() - dt.timedelta(days=3)
        start = "%sT09:00:00Z" % day.isoformat()
        sc = os.path.join(work, "scenario")
        subprocess.run([sys.executable, os.path.join(ROOT, "tests/gen/scenario.py"),
                        "--kind", a.kind, "--seed", str(a.seed), "--scale",
                        a.scale, "--start",
                        start, "--out", sc, "-q"], check=True)
        with open(os.path.join(sc, "truth.json")) as f:
            truth = json.load(f)
        recs = read_records(sorted(
            os.path.join(sc, n) for n in os.listdir(sc)
            if n.startswith("logs-") and n.endswith(".jsonl")))
        recs.sort(key=lambda r: r["ts"])  # stable: file order within a time
        changes = read_records([os.path.join(sc, "deploys.jsonl")])
        changes = [r for r in changes if "kind" in r]
        logs = [r for r in recs if "kind" not in r]

        # the full JSON form: a real incident, the expected top cause
        jd = os.path.join(work, "json-full")
        os.makedirs(jd, exist_ok=True)
        full = replay(faultline, encode("json", logs, changes, jd))
        top = truth.get("expected_top") or {}
        got = full["incidents"][0]["causes"][0] if full["incidents"] and \
            full["incidents"][0]["causes"] else {}
        result(bool(full["incidents"]) and got.get("kind") == top.get("kind")
               and got.get("service") == top.get("service"),
               "json form finds the incident", describe(full))

        formats = list(CARRIES)
        if a.only:
            formats = a.only.split(",")
        for fmt in formats:
            d = os.path.join(work, fmt)
            os.makedirs(d, exist_ok=True)
            try:
                args = encode(fmt, logs, changes, d)
                got = replay(faultline, args)
                if CARRIES[fmt] == FULL and fmt not in ("ecs", "otlp"):
                    ref, what = full, "the full JSON form"
                else:
                    ref = replay(faultline, reference(fmt, logs, changes, d))
                    what = {"ecs": "JSON with latency as whole ns",
                            "otlp": "JSON with latency via seconds"}.get(
                        fmt, "JSON with only %s" % ", ".join(
                            sorted(CARRIES[fmt] | {"ts", "service"})))
                same = json.dumps(got["incidents"], sort_keys=True) == \
                    json.dumps(ref["incidents"], sort_keys=True)
                events_ok = got["stats"]["events"] == ref["stats"]["events"]
                detail = "vs %s: %d incident(s), %d events" % (
                    what, len(got["incidents"]), got["stats"]["events"])
                if not same or not events_ok:
                    detail += "\n#   got: %s (%s)\n#   want: %s (%s)" % (
                        describe(got), got["stats"], describe(ref),
                        ref["stats"])
                result(same and events_ok and bool(ref["incidents"]),
                       fmt, detail)
            except (RuntimeError, ValueError, OSError) as e:
                result(False, fmt, str(e))

        if not a.only or "influx" in a.only:
            d = os.path.join(work, "influx")
            os.makedirs(d, exist_ok=True)
            series = influx_series(logs)
            ta = write(os.path.join(d, "telegraf.influx"),
                       lines(influx_telegraf(series)))
            tb = write(os.path.join(d, "respelled.influx"),
                       lines(influx_respelled(series)))
            ga = replay(faultline, ["--format", "influx", ta])
            gb = replay(faultline, ["--format", "influx", tb])
            same = json.dumps(ga["incidents"], sort_keys=True) == \
                json.dumps(gb["incidents"], sort_keys=True)
            metric = any(an["signal"].startswith("http.")
                         for i in ga["incidents"] for an in i["anomalies"])
            result(same and metric and ga["stats"]["bad_lines"] == 0 and
                   gb["stats"]["bad_lines"] == 0,
                   "influx", "Telegraf's spelling vs another spelling of the "
                   "same series: %d incident(s) (%s), bad lines %d/%d" % (
                       len(ga["incidents"]), describe(ga),
                       ga["stats"]["bad_lines"], gb["stats"]["bad_lines"]))
    finally:
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)
    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
