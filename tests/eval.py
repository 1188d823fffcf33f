#!/usr/bin/env python3
"""Score faultline against generated outage scenarios (standard library only).

    python3 tests/eval.py --faultline ./faultline --seeds 1,2,3 [--kinds all]
        [--workdir DIR] [--keep] [--jobs N] [--fixtures DIR]
        [--min-top1 X --min-top3 Y --max-fp-per-hour Z] [--results FILE]

For each kind and seed: tests/gen/scenario.py writes a scenario, zstd
compresses its two log files, and

    faultline replay --json --deploys DIR/deploys.jsonl DIR/logs-a.jsonl.zst DIR/logs-b.jsonl.zst

is run and its result document (CONTRACT.md) scored against truth.json:

- the matching incident is the one overlapping [fault_start, fault_end]
  (if several, the first detected at or after fault_start - 2 min);
- top-1: its rank-1 cause has the expected kind and service (and, when
  truth gives ref_contains, its ref contains that string); top-3: the
  expected cause is among ranks 1-3;
- acc: how many of truth's acceptable_top3 causes (kind and service) are
  among ranks 1-3 (e.g. surge_breaks_update wants both the deploy and the
  traffic surge there);
- detection delay: incident `detected` - fault_start, in seconds;
- false incidents: incidents not overlapping [fault_start - 2 min,
  fault_end + 2 min]; in quiet scenarios every incident is false; reported
  per hour of scenario time over all scenarios.

--fixtures DIR scores the pre-built fixtures (DIR/<kind>/) instead of
generating.  --min-top1/--min-top3 take a fraction (0.8) or a percentage (80).
Exit status: 1 when a threshold is given and not met, or a threshold is
given and a scenario could not be run or scored (crash, time-out, bad JSON),
or on a usage error; else 0.
"""

import argparse
import calendar
import concurrent.futures
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
GEN = os.path.join(HERE, "gen", "scenario.py")
MARGIN_S = 120.0
EARLY_S = 600.0


def parse_time(s):
    """RFC 3339 (any offset, any fraction) -> epoch seconds (float)."""
    if s is None:
        return None
    if isinstance(s, (int, float)):
        return float(s)
    s = s.strip()
    if s[-1] in "Zz":
        off = 0
    else:
        sign = 1 if s[-6] == "+" else -1
        off = sign * (int(s[-5:-3]) * 3600 + int(s[-2:]) * 60)
        s = s[:-6] + "Z"
    main = s[:-1]
    frac = 0.0
    if "." in main:
        main, f = main.split(".", 1)
        frac = float("0." + f) if f else 0.0
    main = main.replace("t", "T").replace(" ", "T")
    return calendar.timegm(time.strptime(main, "%Y-%m-%dT%H:%M:%S")) + frac - off


def pctl(xs, q):
    """The q-quantile (nearest rank) of a non-empty list."""
    xs = sorted(xs)
    i = min(len(xs) - 1, max(0, int(math.ceil(q * len(xs) - 1e-9)) - 1))
    return xs[i]


CALIB_EDGES = (0.0, 0.3, 0.5, 0.8, 1.0)


def calibration(pairs):
    """[(lo, hi, n, right)] over CALIB_EDGES for (score, right) pairs."""
    out = []
    for i in range(len(CALIB_EDGES) - 1):
        lo, hi = CALIB_EDGES[i], CALIB_EDGES[i + 1]
        sel = [ok for (sc, ok) in pairs if lo <= sc < hi or (hi >= 1.0 and sc >= hi)]
        out.append((lo, hi, len(sel), sum(1 for ok in sel if ok)))
    return out


def calibration_problems(buckets, min_n=5):
    """Why the buckets do not describe meaningful scores ([] when they do)."""
    bad = []
    rel = [(lo, right / n) for (lo, hi, n, right) in buckets if n >= min_n]
    top = buckets[-1]
    low = buckets[0]
    if top[2] >= min_n and top[3] / top[2] < 0.7:
        bad.append("only %.0f%% of causes scored >= %.1f are right" % (100.0 * top[3] / top[2], top[0]))
    if low[2] >= min_n and low[3] / low[2] > 0.3:
        bad.append("%.0f%% of causes scored < %.1f are right" % (100.0 * low[3] / low[2], low[1]))
    for (a, ra), (b, rb) in zip(rel, rel[1:]):
        if rb + 0.05 < ra:
            bad.append("reliability falls from %.0f%% (>= %.1f) to %.0f%% (>= %.1f)" % (100 * ra, a, 100 * rb, b))
    if not any(n >= min_n for (_, _, n, _) in buckets):
        bad.append("too few causes to judge")
    return bad


def list_kinds():
    out = subprocess.run([sys.executable, GEN, "--list"], check=True, stdout=subprocess.PIPE,
                         universal_newlines=True).stdout
    return [l.split()[0] for l in out.splitlines() if l.strip()]


def cause_matches(c, kind, service, ref_contains=None):
    if c.get("kind") != kind or c.get("service") != service:
        return False
    if ref_contains:
        return ref_contains in (c.get("ref") or "")
    return True


def ranked(causes):
    try:
        return sorted(causes or [], key=lambda c: (c.get("rank", 1 << 30)))
    except TypeError:
        return list(causes or [])


def faults_of(truth):
    """The faults a scenario injected: the main one, then truth's
    more_faults (e.g. two overlapping incidents), each with fault_start,
    fault_end, expected_top and acceptable_top3."""
    if truth.get("quiet") or not truth.get("fault_start"):
        return []
    return [truth] + list(truth.get("more_faults") or [])


def score_fault(f, spans, t_end):
    """Scores one fault against the incidents (start, end, detected, inc)."""
    r = {"matched": False, "top1": False, "top3": False, "expected_rank": None, "delay_s": None,
         "top": None, "alt_in_top3": 0, "overlapping": 0, "calib": []}
    fs = parse_time(f["fault_start"])
    fe = parse_time(f["fault_end"]) if f.get("fault_end") else t_end
    exp = f["expected_top"]
    acc = f.get("acceptable_top3") or []
    r["alt_total"] = len(acc)
    # an incident that was already raised long before the fault began (an
    # ongoing one from another cause) does not count as detecting it
    over = [x for x in spans if x[0] <= fe and x[1] >= fs and x[2] >= fs - EARLY_S]
    r["overlapping"] = len(over)
    if not over:
        return r
    late = [x for x in over if x[2] >= fs - MARGIN_S]
    # among the incidents overlapping the fault, the one that names its
    # cause best (two faults may overlap in time), then the first detected
    def rank_in(inc):
        for i, c in enumerate(ranked(inc.get("causes"))[:3]):
            if cause_matches(c, exp["kind"], exp["service"], exp.get("ref_contains")):
                return i
        return 3
    pick = min(late or over, key=lambda x: (rank_in(x[3]), x[2], x[0]))
    inc = pick[3]
    r["matched"] = True
    r["incident_id"] = inc.get("id")
    r["delay_s"] = pick[2] - fs
    causes = ranked(inc.get("causes"))
    if causes:
        c = causes[0]
        r["top"] = "%s:%s%s" % (c.get("kind"), c.get("service"),
                                (" " + c["ref"].split()[0]) if c.get("ref") else "")
    for i, c in enumerate(causes[:3]):
        if cause_matches(c, exp["kind"], exp["service"], exp.get("ref_contains")):
            r["expected_rank"] = i + 1
            break
    r["top1"] = r["expected_rank"] == 1
    r["top3"] = r["expected_rank"] is not None
    r["alt_in_top3"] = sum(1 for a in acc if any(cause_matches(c, a["kind"], a["service"]) for c in causes[:3]))
    # calibration: each listed cause's score and whether it is the true one
    for c in causes:
        if isinstance(c.get("score"), (int, float)):
            r["calib"].append((float(c["score"]),
                               cause_matches(c, exp["kind"], exp["service"], exp.get("ref_contains"))))
    return r


def score(truth, doc):
    """Score one result document against truth. Returns a dict: the main
    fault's result, `more` for further faults, `false` incidents."""
    r = {"incidents": 0, "false": 0, "matched": False, "top1": False, "top3": False,
         "expected_rank": None, "delay_s": None, "top": None, "alt_in_top3": 0,
         "overlapping": 0, "more": [], "calib": []}
    incs = doc.get("incidents") or []
    r["incidents"] = len(incs)
    t_end = parse_time(truth["end"]) if truth.get("end") else None
    faults = faults_of(truth)
    if not faults:
        r["false"] = len(incs)
        return r
    spans = []
    for inc in incs:
        s = parse_time(inc.get("start") or inc.get("detected"))
        e = parse_time(inc.get("end")) if inc.get("end") else (t_end if t_end is not None else float("inf"))
        d = parse_time(inc.get("detected")) if inc.get("detected") else s
        spans.append((s, e, d, inc))

    def near_any(s, e):
        for f in faults:
            fs = parse_time(f["fault_start"])
            fe = parse_time(f["fault_end"]) if f.get("fault_end") else t_end
            if s <= fe + MARGIN_S and e >= fs - MARGIN_S:
                return True
        return False
    r["false"] = sum(1 for (s, e, _, _) in spans if not near_any(s, e))
    r.update(score_fault(faults[0], spans, t_end))
    r["more"] = [score_fault(f, spans, t_end) for f in faults[1:]]
    return r


def run_one(args, kind, seed, base):
    """Generate (or locate), run and score one scenario. Returns a result dict."""
    res = {"kind": kind, "seed": seed, "error": None}
    if args.fixtures:
        d = os.path.join(args.fixtures, kind)
    else:
        d = os.path.join(base, "%s-%d" % (kind, seed))
        t0 = time.time()
        p = subprocess.run([sys.executable, GEN, "--kind", kind, "--seed", str(seed), "--out", d, "-q"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
        if p.returncode != 0:
            res["error"] = "generator failed: " + p.stderr.strip()[-300:]
            return res
        p = subprocess.run(["zstd", "-q", "-f", "--rm", os.path.join(d, "logs-a.jsonl"),
                            os.path.join(d, "logs-b.jsonl")],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
        if p.returncode != 0:
            res["error"] = "zstd failed: " + p.stderr.strip()[-300:]
            return res
        res["gen_s"] = time.time() - t0
    res["dir"] = d
    with open(os.path.join(d, "truth.json")) as f:
        truth = json.load(f)
    res["truth"] = truth
    cmd = [args.faultline, "replay", "--json"] + args.extra + [
        "--deploys", os.path.join(d, "deploys.jsonl"),
        os.path.join(d, "logs-a.jsonl.zst"), os.path.join(d, "logs-b.jsonl.zst")]
    t0 = time.time()
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=args.timeout)
    except subprocess.TimeoutExpired:
        res["error"] = "timed out after %ds" % args.timeout
        return res
    except OSError as e:
        res["error"] = "cannot run %s: %s" % (args.faultline, e)
        return res
    res["run_s"] = time.time() - t0
    res["rc"] = p.returncode
    if args.keep and not args.fixtures:
        with open(os.path.join(d, "result.json"), "wb") as f:
            f.write(p.stdout)
    if p.returncode != 0:
        res["error"] = "exit %d: %s" % (p.returncode, p.stderr.decode("utf-8", "replace").strip()[-300:])
        return res
    try:
        doc = json.loads(p.stdout.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        res["error"] = "stdout is not a JSON document: %s" % e
        return res
    stats = doc.get("stats") or {}
    res["lines"] = stats.get("lines")
    res["bad_lines"] = stats.get("bad_lines")
    try:
        res.update(score(truth, doc))
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        res["error"] = "cannot score the document: %r" % (e,)
    return res


def frac_arg(x):
    v = float(x)
    return v / 100.0 if v > 1.0 else v


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--faultline", required=True, help="path to the faultline binary")
    ap.add_argument("--seeds", default="1", help="comma-separated seeds (default 1)")
    ap.add_argument("--kinds", default="all", help="'all' or a comma-separated list")
    ap.add_argument("--workdir", help="where scenarios are generated (default: a temp dir)")
    ap.add_argument("--keep", action="store_true", help="keep generated dirs (and result.json in each)")
    ap.add_argument("--fixtures", help="score pre-built DIR/<kind>/ fixtures instead of generating")
    ap.add_argument("--jobs", type=int, default=2, help="scenarios run in parallel (default 2)")
    ap.add_argument("--timeout", type=int, default=600, help="seconds per faultline run")
    ap.add_argument("--extra", action="append", default=[], metavar="ARG",
                    help="extra argument passed to faultline replay (repeatable)")
    ap.add_argument("--min-top1", type=frac_arg)
    ap.add_argument("--min-top3", type=frac_arg)
    ap.add_argument("--max-fp-per-hour", type=float)
    ap.add_argument("--results", help="write per-scenario results as JSON to this file")
    ap.add_argument("--check-calibration", action="store_true",
                    help="fail unless scores mean something: causes scored >= 0.8 are right at least "
                         "70%% of the time, causes under 0.3 at most 30%%, and reliability does not fall "
                         "as the score rises (buckets with 5+ causes)")
    args = ap.parse_args()

    if not (os.path.isfile(args.faultline) and os.access(args.faultline, os.X_OK)):
        if shutil.which(args.faultline) is None:
            print("eval.py: %s is not an executable file" % args.faultline, file=sys.stderr)
            return 1
    else:
        args.faultline = os.path.abspath(args.faultline)
    if shutil.which("zstd") is None and not args.fixtures:
        print("eval.py: zstd is not on PATH", file=sys.stderr)
        return 1
    all_kinds = list_kinds()
    kinds = all_kinds if args.kinds == "all" else [k.strip() for k in args.kinds.split(",") if k.strip()]
    if args.fixtures and args.kinds == "all":
        # the committed fixtures cover the kinds that existed when they were
        # built; "all" means those
        kinds = [k for k in all_kinds if os.path.isdir(os.path.join(args.fixtures, k))]
    for k in kinds:
        if k not in all_kinds:
            print("eval.py: unknown kind %r (known: %s)" % (k, ", ".join(all_kinds)), file=sys.stderr)
            return 1
    try:
        seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    except ValueError:
        print("eval.py: --seeds wants integers, e.g. 1,2,3", file=sys.stderr)
        return 1
    if args.fixtures:
        seeds = [0]
        missing = [k for k in kinds if not os.path.isdir(os.path.join(args.fixtures, k))]
        if missing:
            print("eval.py: no fixtures for %s in %s" % (", ".join(missing), args.fixtures), file=sys.stderr)
            return 1

    made_tmp = False
    if args.fixtures:
        base = None
    elif args.workdir:
        base = os.path.abspath(args.workdir)
        os.makedirs(base, exist_ok=True)
    else:
        base = tempfile.mkdtemp(prefix="faultline-eval-")
        made_tmp = True

    jobs = [(k, s) for s in seeds for k in kinds]
    results = {}
    w0 = time.time()
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as ex:
        futs = {ex.submit(run_one, args, k, s, base): (k, s) for (k, s) in jobs}
        for fut in concurrent.futures.as_completed(futs):
            k, s = futs[fut]
            try:
                r = fut.result()
            except Exception as e:  # a bug here should not hide the other results
                r = {"kind": k, "seed": s, "error": "eval crashed: %r" % (e,)}
            results[(k, s)] = r
            print("  done %-22s seed %-5d %s" % (k, s, r.get("error") or ""), file=sys.stderr)
            if not args.keep and base and r.get("dir") and not args.fixtures:
                shutil.rmtree(r["dir"], ignore_errors=True)
    if made_tmp and not args.keep:
        shutil.rmtree(base, ignore_errors=True)

    # ---- table
    hdr = "%-22s %5s %4s %5s  %-34s %-6s %4s %4s %8s %9s %7s" % (
        "kind", "seed", "inc", "false", "rank-1 cause of matching incident", "result", "rank", "acc",
        "delay_s", "bad/want", "run_s")
    print(hdr)
    print("-" * len(hdr))
    n_fault = top1 = top3 = detected = 0
    delays, false_total, hours = [], 0, 0.0
    bad_total, bad_want, errors = 0, 0, 0
    quiet_false, quiet_hours = 0, 0.0
    per_kind = {}     # kind -> [faults, top1, top3, detected, delays, false, hours]
    calib = []        # (score, is the true cause) over every listed cause
    for (k, s) in jobs:
        r = results[(k, s)]
        truth = r.get("truth") or {}
        if args.fixtures:
            s = truth.get("seed", s)
        quiet = bool(truth.get("quiet"))
        pk = per_kind.setdefault(k, [0, 0, 0, 0, [], 0, 0.0])
        hours += truth.get("duration_s", 0) / 3600.0
        pk[6] += truth.get("duration_s", 0) / 3600.0
        cases = [] if quiet else [(r, truth)] + list(zip(r.get("more") or [], truth.get("more_faults") or []))
        if not quiet:
            n_fault += max(1, len(cases))
            pk[0] += max(1, len(cases))
        if r.get("error"):
            errors += 1
            print("%-22s %5d  ERROR: %s" % (k, s, r["error"][:200]))
            continue
        false_total += r["false"]
        pk[5] += r["false"]
        if quiet:
            quiet_false += r["false"]
            quiet_hours += truth.get("duration_s", 0) / 3600.0
        if r.get("bad_lines") is not None:
            bad_total += r["bad_lines"]
        bad_want += truth.get("malformed_lines", 0)
        if quiet:
            print("%-22s %5d %4d %5d  %-34s %-6s %4s %4s %8s %9s %7.1f" % (
                k, s, r["incidents"], r["false"], "-", "ok" if r["false"] == 0 else "FP", "-", "-", "-",
                "%s/%s" % (r.get("bad_lines"), truth.get("malformed_lines")), r.get("run_s", 0.0)))
            continue
        for ci, (c, f) in enumerate(cases):
            top1 += c["top1"]
            top3 += c["top3"]
            pk[1] += c["top1"]
            pk[2] += c["top3"]
            calib.extend(c.get("calib") or [])
            if c["matched"]:
                detected += 1
                pk[3] += 1
                delays.append(c["delay_s"])
                pk[4].append(c["delay_s"])
            result = "ok" if c["top1"] else ("top3" if c["top3"] else ("miss" if c["matched"] else "undet"))
            top = c["top"] or ("(no causes)" if c["matched"] else "-")
            rank = str(c["expected_rank"] or "-")
            acc = "%d/%d" % (c["alt_in_top3"], c.get("alt_total", 0)) if c["matched"] else "-"
            delay = "%.0f" % c["delay_s"] if c["delay_s"] is not None else "-"
            print("%-22s %5d %4s %5s  %-34s %-6s %4s %4s %8s %9s %7.1f" % (
                k if ci == 0 else "  +fault %d" % (ci + 1), s,
                r["incidents"] if ci == 0 else "", r["false"] if ci == 0 else "", top[:34], result, rank,
                acc, delay, "%s/%s" % (r.get("bad_lines"), truth.get("malformed_lines")) if ci == 0 else "",
                r.get("run_s", 0.0)))
            if c["matched"] and not c["top1"]:
                exp = f.get("expected_top") or {}
                print("%-22s %5s       expected %s:%s%s" % ("", "", exp.get("kind"), exp.get("service"),
                                                           (" " + exp["ref_contains"]) if exp.get("ref_contains") else ""))

    pct = lambda a, b: (100.0 * a / b) if b else 0.0
    fp_h = false_total / hours if hours else 0.0
    med = statistics.median(delays) if delays else None
    print()
    print("scenarios: %d (%d with a fault), errors: %d, wall time %.0fs" % (len(jobs), n_fault, errors, time.time() - w0))
    print("detected:  %d/%d (%.0f%%)" % (detected, n_fault, pct(detected, n_fault)))
    print("top-1:     %d/%d (%.1f%%)" % (top1, n_fault, pct(top1, n_fault)))
    print("top-3:     %d/%d (%.1f%%)" % (top3, n_fault, pct(top3, n_fault)))
    print("median detection delay: %s, p90: %s" % ("%.0f s" % med if med is not None else "-",
                                                 "%.0f s" % pctl(delays, 0.9) if delays else "-"))
    print("false incidents: %d in %.1f h = %.2f per hour (quiet scenarios: %d in %.1f h)" % (
        false_total, hours, fp_h, quiet_false, quiet_hours))
    print("stats.bad_lines total: %d (the generator wrote %d malformed lines)" % (bad_total, bad_want))

    print()
    print("%-22s %6s %7s %7s %7s %7s %7s %8s" % ("per kind", "faults", "AC@1", "AC@3", "det", "p50_s",
                                                 "p90_s", "false/h"))
    for k in kinds:
        pk = per_kind.get(k)
        if not pk:
            continue
        pc = lambda x: ("%6.0f%%" % pct(x, pk[0])) if pk[0] else "%7s" % "-"
        print("%-22s %6d %s %s %s %7s %7s %8.2f" % (
            k, pk[0], pc(pk[1]), pc(pk[2]), pc(pk[3]),
            "%.0f" % pctl(pk[4], 0.5) if pk[4] else "-", "%.0f" % pctl(pk[4], 0.9) if pk[4] else "-",
            pk[5] / pk[6] if pk[6] else 0.0))
    buckets = calibration(calib)
    print()
    print("calibration (every listed cause of a matched incident; right = the true cause):")
    for (lo, hi, n, right) in buckets:
        print("  score [%.1f, %.1f%s: %4d causes, %5.1f%% right" % (lo, hi, "]" if hi >= 1.0 else ")", n,
                                                                 pct(right, n)))

    if args.results:
        out = []
        for (k, s) in jobs:
            r = dict(results[(k, s)])
            r.pop("truth", None)
            out.append(r)
        with open(args.results, "w") as f:
            json.dump(out, f, indent=1)

    failed = []
    if args.min_top1 is not None and pct(top1, n_fault) / 100.0 < args.min_top1:
        failed.append("top-1 %.1f%% < %.1f%%" % (pct(top1, n_fault), 100 * args.min_top1))
    if args.min_top3 is not None and pct(top3, n_fault) / 100.0 < args.min_top3:
        failed.append("top-3 %.1f%% < %.1f%%" % (pct(top3, n_fault), 100 * args.min_top3))
    if args.max_fp_per_hour is not None and fp_h > args.max_fp_per_hour:
        failed.append("false incidents %.2f/h > %.2f/h" % (fp_h, args.max_fp_per_hour))
    if args.check_calibration:
        bad = calibration_problems(buckets)
        if bad:
            failed.append("calibration: " + "; ".join(bad))
    thresholds = any(x is not None for x in (args.min_top1, args.min_top3, args.max_fp_per_hour)) \
        or args.check_calibration
    if errors and thresholds:
        failed.append("%d scenario(s) could not be run or scored" % errors)
    if failed:
        print("FAILED: " + "; ".join(failed))
        return 1
    if thresholds:
        print("thresholds met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
