#!/usr/bin/env python3
"""Poison and hostile input (issue 8, item 3), through the public interface.

    python3 tests/poison/run.py --faultline BIN [--kind KIND] [--seed N]
        [--rate 0.01] [--big 2] [--workdir DIR] [--keep]

tests/gen/scenario.py writes a clean scenario; this script mixes ~1%
garbage into copies of its two log files, at seeded random places (never in
a file's first 20 lines: an input's first event is its future-skew
reference, see detect/fl_detect.h), and replays both with --json. Kinds
injected, each with the outcome that is right for it:

  random       random bytes (first byte 0xff, no newline)  unknown_format
               or invalid_utf8 (the auto sniffer decides which; the sum of
               the two is checked exactly)
  truncated    an honest line of the file cut short          syntax
  deep         JSON nested 3000 deep                         too_deep
  utf8         a JSON log whose msg holds invalid UTF-8      invalid_utf8
  huge         a 10 MiB line (--big of them)                 line_too_long
  nan          latency_ms "NaN" / -5 / 1e300 / "Infinity"   bad_value
  bare_nan     latency_ms: NaN (not JSON)                    syntax
  ts1970       a timestamp in 1970 (and epoch 0)             bad_timestamp
  ts2100       a timestamp in 2100                           bad_timestamp
  msgpack4g    a 5-byte msgpack header declaring 4 Gi        unknown_format
               (a line of a JSON file; a msgpack stream is covered by
               the unit test msgpack/hostile_header_mid_stream)
  future       an honest-looking line 2 h ahead of the file  future (dropped
               (a producer whose clock runs ahead)           event, never
                                                             moves time)
  late         an honest-looking line 10 min behind          late (dropped
                                                             event)

Checks: exit status 0 both times and no sanitizer report; every injected
record is counted exactly once under its reason (the poisoned run's
by_reason minus the clean run's equals what was injected, and so do
lines, bad_lines, events and dropped_events); the incidents are identical
to the clean run's (so the good records gave the same answer: no
garbage timestamp dragged the watermark, nothing honest became late).

Prints "ok - NAME" / "not ok - NAME: WHY", then "N passed, N failed".
"""

import argparse
import datetime as dt
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GEN = os.path.join(ROOT, "tests", "gen", "scenario.py")

KINDS = ["random", "truncated", "deep", "utf8", "nan", "bare_nan", "ts1970",
         "ts2100", "msgpack4g", "future", "late"]
REASON = {
    "truncated": "syntax", "deep": "too_deep", "utf8": "invalid_utf8",
    "huge": "line_too_long", "nan": "bad_value", "bare_nan": "syntax",
    "ts1970": "bad_timestamp", "ts2100": "bad_timestamp",
    "msgpack4g": "unknown_format", "future": "future", "late": "late",
}
DROPPED = {"future", "late"}  # decoded events refused later (not bad lines)


def line_time(raw):
    """Event time of an honest generator line (datetime, UTC) or None."""
    try:
        o = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(o, dict):
        return None
    v = None
    for k in ("ts", "time", "timestamp", "@timestamp"):
        if k in o:
            v = o[k]
            break
    if v is None:
        return None
    if isinstance(v, (int, float)):
        return dt.datetime.fromtimestamp(v / 1000.0, dt.timezone.utc)
    try:
        return dt.datetime.fromisoformat(v.replace("Z", "+00:00")).astimezone(dt.timezone.utc)
    except ValueError:
        return None


def rfc3339(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (t.microsecond // 1000)


def log_line(ts, **extra):
    o = {"ts": ts, "service": "api", "level": "info", "status": 200,
         "latency_ms": 5.0, "msg": "GET /v1/home 200"}
    o.update(extra)
    return json.dumps(o, separators=(",", ":")).encode()


def garbage(kind, rng, honest, now):
    """One garbage record (bytes, no newline) of `kind`."""
    if kind == "random":
        n = rng.randint(1, 300)
        return bytes([0xFF]) + bytes(rng.choice([b for b in range(256) if b not in (10, 13)])
                                     for _ in range(n))
    if kind == "truncated":
        return honest[: rng.randint(10, len(honest) - 5)]
    if kind == "deep":
        d = 3000
        return (b'{"a":' * d) + b"1" + (b"}" * d) if rng.random() < 0.5 else \
            (b'{"a":[' * d) + b"1" + (b"]}" * d)
    if kind == "utf8":
        bad = rng.choice([b"\xff\xfe", b"\xc3\x28", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80",
                          b"\xe2\x82"])
        return log_line(rfc3339(now), msg="x").replace(b'"msg":"x"', b'"msg":"bad ' + bad + b'"')
    if kind == "huge":
        return b'{"ts":"' + rfc3339(now).encode() + b'","msg":"' + b"A" * (10 << 20) + b'"}'
    if kind == "nan":
        v = rng.choice(['"NaN"', "-5", "1e300", '"Infinity"', "-1e-3", "1e999"])
        return log_line(rfc3339(now)).replace(b'"latency_ms":5.0', b'"latency_ms":' + v.encode())
    if kind == "bare_nan":
        return log_line(rfc3339(now)).replace(b'"latency_ms":5.0', b'"latency_ms":NaN')
    if kind == "ts1970":
        return rng.choice([log_line("1970-01-01T00:00:%02dZ" % rng.randint(0, 59)),
                           log_line(0), log_line(1000)])
    if kind == "ts2100":
        return rng.choice([log_line("2100-01-01T00:00:00Z"),
                          log_line("2100-06-%02dT12:00:00+02:00" % rng.randint(1, 28)),
                          log_line(4102444800000)])
    if kind == "msgpack4g":
        return rng.choice([b"\xdb\xff\xff\xff\xff", b"\xdf\xff\xff\xff\xff",
                           b"\xdd\xff\xff\xff\xff", b"\xc6\xff\xff\xff\xff"])
    if kind == "future":
        return log_line(rfc3339(now + dt.timedelta(hours=2, seconds=rng.uniform(0, 60))))
    if kind == "late":
        return log_line(rfc3339(now - dt.timedelta(minutes=10, seconds=rng.uniform(0, 60))))
    raise ValueError(kind)


def poison(src, dst, rng, rate, big, counts):
    with open(src, "rb") as f:
        lines = f.read().split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    out = []
    now = None
    huge_at = set(rng.sample(range(20, len(lines)), big)) if big else set()
    for i, raw in enumerate(lines):
        t = line_time(raw)
        if t is not None:
            now = t
        out.append(raw)
        if i < 20 or now is None:
            continue
        kinds = []
        if i in huge_at:
            kinds.append("huge")
        if rng.random() < rate:
            kinds.append(rng.choice(KINDS))
        for k in kinds:
            out.append(garbage(k, rng, raw if len(raw) > 20 else b'{"ts":"2026-01-01T00:00:00Z"',
                               now))
            counts[k] = counts.get(k, 0) + 1
    with open(dst, "wb") as f:
        f.write(b"\n".join(out) + b"\n")


def replay(binary, d, files, out):
    cmd = [binary, "replay", "--json", "--deploys", os.path.join(d, "deploys.jsonl")] + \
        [os.path.join(d, f) for f in files]
    t0 = time.monotonic()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    secs = time.monotonic() - t0
    with open(out, "wb") as f:
        f.write(p.stdout)
    return p.returncode, p.stdout, p.stderr.decode(errors="replace"), secs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--faultline", required=True)
    ap.add_argument("--kind", default="bad_deploy_errors")
    ap.add_argument("--seed", type=int, default=31)
    ap.add_argument("--rate", type=float, default=0.01)
    ap.add_argument("--big", type=int, default=2, help="10 MiB lines per file")
    ap.add_argument("--minutes", type=float, default=70.0)
    ap.add_argument("--workdir")
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    binary = os.path.abspath(a.faultline)
    work = a.workdir or tempfile.mkdtemp(prefix="faultline-poison.")
    os.makedirs(work, exist_ok=True)
    passed = failed = 0

    def check(name, cond, why=""):
        nonlocal passed, failed
        if cond:
            print("ok - " + name)
            passed += 1
        else:
            print("not ok - %s: %s" % (name, why))
            failed += 1

    try:
        d = os.path.join(work, "scenario")
        subprocess.run([sys.executable, GEN, "--kind", a.kind, "--seed", str(a.seed),
                        "--minutes", str(a.minutes), "--out", d, "-q"], check=True)
        rng = random.Random("poison/%d" % a.seed)
        counts = {}
        for f in ("logs-a.jsonl", "logs-b.jsonl"):
            poison(os.path.join(d, f), os.path.join(d, "poisoned-" + f), rng, a.rate,
                   a.big, counts)
        injected = sum(counts.values())
        honest = sum(1 for f in ("logs-a.jsonl", "logs-b.jsonl")
                     for _ in open(os.path.join(d, f), "rb"))
        print("# %s seed %d: %d lines, %d garbage records injected (%.2f%%): %s" % (
            a.kind, a.seed, honest, injected, 100.0 * injected / honest,
            ", ".join("%s %d" % kv for kv in sorted(counts.items()))))

        rc0, out0, err0, s0 = replay(binary, d, ["logs-a.jsonl", "logs-b.jsonl"],
                                     os.path.join(work, "clean.json"))
        rc1, out1, err1, s1 = replay(binary, d, ["poisoned-logs-a.jsonl", "poisoned-logs-b.jsonl"],
                                     os.path.join(work, "poisoned.json"))
        print("# replay: clean %.1f s, poisoned %.1f s" % (s0, s1))
        sanitizer = ("AddressSanitizer", "runtime error", "LeakSanitizer")
        check("clean replay exits 0", rc0 == 0, "exit %d: %s" % (rc0, err0[-500:]))
        check("poisoned replay exits 0, no sanitizer report",
              rc1 == 0 and not any(s in err1 for s in sanitizer),
              "exit %d: %s" % (rc1, err1[-1500:]))
        if rc0 != 0 or rc1 != 0:
            raise SystemExit
        clean, pois = json.loads(out0), json.loads(out1)
        st0, st1 = clean["stats"], pois["stats"]
        r0, r1 = st0.get("by_reason", {}), st1.get("by_reason", {})
        print("# clean by_reason:    %s" % json.dumps(r0, sort_keys=True))
        print("# poisoned by_reason: %s" % json.dumps(r1, sort_keys=True))

        want = {}
        for k, n in counts.items():
            if k != "random":
                want[REASON[k]] = want.get(REASON[k], 0) + n
        delta = {r: r1.get(r, 0) - r0.get(r, 0) for r in set(r0) | set(r1)}
        delta = {r: n for r, n in delta.items() if n}
        nrand = counts.get("random", 0)
        # random bytes: unknown_format or invalid_utf8, the two summed
        fixed = {r: n for r, n in delta.items() if r not in ("unknown_format", "invalid_utf8")}
        fixed_want = {r: n for r, n in want.items() if r not in ("unknown_format", "invalid_utf8")}
        check("each reason counted exactly as injected", fixed == fixed_want,
              "got %s, injected %s" % (fixed, fixed_want))
        got_ui = delta.get("unknown_format", 0) + delta.get("invalid_utf8", 0)
        want_ui = want.get("unknown_format", 0) + want.get("invalid_utf8", 0) + nrand
        check("random bytes, invalid UTF-8 and msgpack headers counted once "
              "(unknown_format + invalid_utf8 = %d)" % want_ui,
              got_ui == want_ui and delta.get("invalid_utf8", 0) >= want.get("invalid_utf8", 0),
              "got %d (%s)" % (got_ui, delta))
        ndrop = sum(counts.get(k, 0) for k in DROPPED)
        check("lines +%d, bad_lines +%d, events +%d, dropped_events +%d" % (
            injected, injected - ndrop, ndrop, ndrop),
            st1["lines"] - st0["lines"] == injected and
            st1["bad_lines"] - st0["bad_lines"] == injected - ndrop and
            st1["events"] - st0["events"] == ndrop and
            st1["dropped_events"] - st0["dropped_events"] == ndrop and
            st1["requests"] == st0["requests"],
            "clean %s, poisoned %s" % (st0, st1))
        check("the good records give the same incidents (%d)" % len(clean["incidents"]),
              clean["incidents"] == pois["incidents"] and
              (len(clean["incidents"]) > 0 or a.kind.startswith("quiet")),
              "clean %d incidents, poisoned %d; first difference in %s" % (
                  len(clean["incidents"]), len(pois["incidents"]),
                  next((json.dumps(x)[:300] for x, y in zip(clean["incidents"], pois["incidents"])
                        if x != y), "the count")))
    except SystemExit:
        pass
    finally:
        if not a.keep and not a.workdir:
            shutil.rmtree(work, ignore_errors=True)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
