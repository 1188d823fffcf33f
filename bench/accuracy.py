#!/usr/bin/env python3
"""Score faultline's result documents against your own labelled incidents.

    python3 bench/accuracy.py LABELS RESULT [LABELS RESULT ...] [--json]

RESULT is what `faultline replay --json` (or a consumer's collected
incidents, wrapped as {"incidents": [...]}) printed for some input; LABELS
says what really happened in that input. Several pairs are pooled (e.g. one
per archived outage). Prints AC@1, AC@3, detection delay p50/p90 and false
incidents per hour, so a change to the ranking is judged by numbers.

LABELS is one JSON object (all times RFC 3339, any offset):

    {
      "incidents": [
        {"name": "checkout outage 2026-03-02",          (optional)
         "start": "2026-03-02T14:05:00Z",               when the fault began
         "end":   "2026-03-02T14:40:00Z",               (optional: open-ended)
         "cause": {"kind": "deploy", "service": "cart",
                   "ref": "v2.3.1"}}                    (ref optional: a substring
                                                         of the cause's ref)
      ],
      "quiet": [{"start": "...", "end": "..."}]         (optional) spans known to
                                                         hold no incident
    }

`kind` is a cause kind of CONTRACT.md: deploy, config, rollback, flag,
traffic_surge (service: where the traffic enters) or service.

Scoring, the same as tests/eval.py uses for generated scenarios:
- a labelled incident is found when a result incident overlaps
  [start, end]; among several, the one ranking the labelled cause best,
  then the first detected;
- AC@1: its rank-1 cause has the labelled kind and service (and ref, when
  given); AC@3: the labelled cause is among ranks 1-3; both over all
  labelled incidents (an undetected one counts as a miss);
- detection delay: the incident's `detected` minus the labelled start;
- false incidents: result incidents overlapping no labelled incident
  (with 2 min of margin either side). Per hour over the `quiet` spans when
  given (counting incidents that start inside them), else over the time
  from the earliest to the latest labelled or reported time.

Exit status: 0 when scored; 1 on a usage error or a labels/result file that
cannot be read or does not have the shape above (the reason on stderr).
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
import eval as fl_eval  # noqa: E402  (tests/eval.py: parse_time, score_fault, pctl)

KINDS = ("deploy", "config", "rollback", "flag", "traffic_surge", "service")


class LabelError(Exception):
    pass


def load_json(path, what):
    try:
        with open(path, "rb") as f:
            return json.loads(f.read().decode("utf-8"))
    except OSError as e:
        raise LabelError("%s: cannot read %s: %s" % (path, what, e.strerror))
    except (UnicodeDecodeError, ValueError) as e:
        raise LabelError("%s: %s is not JSON: %s" % (path, what, e))


def time_of(path, where, v, required=True):
    if v is None and not required:
        return None
    if not isinstance(v, str):
        raise LabelError("%s: %s: want an RFC 3339 time, got %s" % (path, where, json.dumps(v)[:60]))
    try:
        return fl_eval.parse_time(v)
    except (ValueError, IndexError):
        raise LabelError("%s: %s: not an RFC 3339 time: %r" % (path, where, v[:60]))


def read_labels(path):
    d = load_json(path, "labels")
    if not isinstance(d, dict) or not isinstance(d.get("incidents"), list):
        raise LabelError("%s: want an object with an \"incidents\" array" % path)
    faults = []
    for i, inc in enumerate(d["incidents"]):
        where = "incidents[%d]" % i
        if not isinstance(inc, dict):
            raise LabelError("%s: %s: want an object" % (path, where))
        s = time_of(path, where + ".start", inc.get("start"))
        e = time_of(path, where + ".end", inc.get("end"), required=False)
        if e is not None and e < s:
            raise LabelError("%s: %s: end is before start" % (path, where))
        c = inc.get("cause")
        if not isinstance(c, dict) or c.get("kind") not in KINDS or not isinstance(c.get("service"), str):
            raise LabelError("%s: %s.cause: want {\"kind\": one of %s, \"service\": NAME[, \"ref\": TEXT]}"
                             % (path, where, "/".join(KINDS)))
        ref = c.get("ref")
        if ref is not None and not isinstance(ref, str):
            raise LabelError("%s: %s.cause.ref: want a string" % (path, where))
        faults.append({"name": str(inc.get("name") or where), "start": s, "end": e,
                       "expected_top": {"kind": c["kind"], "service": c["service"], "ref_contains": ref}})
    quiet = []
    q = d.get("quiet", [])
    if not isinstance(q, list):
        raise LabelError("%s: \"quiet\" wants an array of {start, end}" % path)
    for i, w in enumerate(q):
        where = "quiet[%d]" % i
        if not isinstance(w, dict):
            raise LabelError("%s: %s: want {start, end}" % (path, where))
        s = time_of(path, where + ".start", w.get("start"))
        e = time_of(path, where + ".end", w.get("end"))
        if e <= s:
            raise LabelError("%s: %s: end is not after start" % (path, where))
        quiet.append((s, e))
    return faults, quiet


def read_result(path):
    d = load_json(path, "result document")
    if not isinstance(d, dict) or not isinstance(d.get("incidents"), list):
        raise LabelError("%s: want faultline's result document (an object with \"incidents\")" % path)
    spans = []
    for i, inc in enumerate(d["incidents"]):
        where = "incidents[%d]" % i
        if not isinstance(inc, dict):
            raise LabelError("%s: %s: want an object" % (path, where))
        s = time_of(path, where + ".start", inc.get("start"))
        det = time_of(path, where + ".detected", inc.get("detected"), required=False)
        e = time_of(path, where + ".end", inc.get("end"), required=False)
        if inc.get("causes") is not None and not isinstance(inc.get("causes"), list):
            raise LabelError("%s: %s.causes: want an array" % (path, where))
        spans.append((s, e, det if det is not None else s, inc))
    return spans


def score_pair(labels_path, result_path):
    faults, quiet = read_labels(labels_path)
    spans = read_result(result_path)
    times = [f["start"] for f in faults] + [f["end"] for f in faults if f["end"] is not None]
    times += [x[0] for x in spans] + [x[1] for x in spans if x[1] is not None]
    t_last = max(times) if times else 0.0
    # open-ended incidents and labels run to the last time seen
    spans = [(s, e if e is not None else max(t_last, s), d, inc) for (s, e, d, inc) in spans]
    cases = []
    for f in faults:
        fe = f["end"] if f["end"] is not None else max(t_last, f["start"])
        tf = {"fault_start": f["start"], "fault_end": fe, "expected_top": f["expected_top"]}
        r = fl_eval.score_fault(tf, spans, fe)
        r["name"] = f["name"]
        cases.append(r)
    m = fl_eval.MARGIN_S

    def labelled(s, e):
        for f in faults:
            fe = f["end"] if f["end"] is not None else max(t_last, f["start"])
            if s <= fe + m and e >= f["start"] - m:
                return True
        return False
    false = [x for x in spans if not labelled(x[0], x[1])]
    if quiet:
        hours = sum(e - s for (s, e) in quiet) / 3600.0
        n_false = sum(1 for x in false if any(qs <= x[0] <= qe for (qs, qe) in quiet))
    else:
        hours = (max(times) - min(times)) / 3600.0 if times else 0.0
        n_false = len(false)
    return cases, n_false, hours


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="+", metavar="LABELS RESULT", help="pairs of labels and result files")
    ap.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    a = ap.parse_args(argv)
    if len(a.files) % 2:
        ap.error("want pairs: LABELS RESULT [LABELS RESULT ...]")
    cases, n_false, hours = [], 0, 0.0
    try:
        for i in range(0, len(a.files), 2):
            c, f, h = score_pair(a.files[i], a.files[i + 1])
            cases += c
            n_false += f
            hours += h
    except LabelError as e:
        print("accuracy.py: %s" % e, file=sys.stderr)
        return 1
    n = len(cases)
    top1 = sum(1 for c in cases if c["top1"])
    top3 = sum(1 for c in cases if c["top3"])
    det = [c["delay_s"] for c in cases if c["matched"]]
    out = {
        "labelled": n, "detected": len(det),
        "ac_at_1": top1 / n if n else None, "ac_at_3": top3 / n if n else None,
        "delay_p50_s": fl_eval.pctl(det, 0.5) if det else None,
        "delay_p90_s": fl_eval.pctl(det, 0.9) if det else None,
        "false_incidents": n_false, "hours": round(hours, 3),
        "false_per_hour": n_false / hours if hours > 0 else None,
        "incidents": [{"name": c["name"], "detected": c["matched"], "rank": c["expected_rank"],
                       "top": c["top"], "delay_s": c["delay_s"]} for c in cases],
    }
    if a.json:
        print(json.dumps(out, indent=1, sort_keys=True))
        return 0
    for c in out["incidents"]:
        print("%-40s %-8s %-36s %s" % (c["name"][:40],
                                         ("rank %d" % c["rank"]) if c["rank"] else
                                         ("missed" if c["detected"] else "undetected"),
                                         (c["top"] or "-")[:36],
                                         ("%.0f s" % c["delay_s"]) if c["delay_s"] is not None else "-"))
    f = lambda x, fmt: (fmt % x) if x is not None else "-"
    print("labelled incidents: %d, detected: %d" % (n, len(det)))
    print("AC@1: %s  AC@3: %s" % (f(out["ac_at_1"] and 100 * out["ac_at_1"], "%.1f%%") if n else "-",
                                  f(out["ac_at_3"] and 100 * out["ac_at_3"], "%.1f%%") if n else "-"))
    print("detection delay p50: %s  p90: %s" % (f(out["delay_p50_s"], "%.0f s"), f(out["delay_p90_s"], "%.0f s")))
    print("false incidents: %d in %.2f h = %s per hour" % (n_false, hours, f(out["false_per_hour"], "%.2f")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
