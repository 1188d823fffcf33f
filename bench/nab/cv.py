#!/usr/bin/env python3
"""cv.py - two-halves cross-check of faultline's NAB detections.

  cv.py DATA_DIR DETECTIONS.json

The shared NAB files are split into two fixed halves, stratified by
category: within each category the files are sorted by name and
alternate A, B, A, B... (so each half holds about half of every
category). Each file's score parts come from the shared scorer
(nab_score.py's score_file, the same rules), and the normalised score
(100 * (raw - null) / (perfect - null)) is printed per half, per category
and overall, for the three profiles. A change tuned while looking at half A
is judged on half B, and the other way round: report both.
"""
import csv, importlib.util, json, os, sys

SCORER = os.environ.get("NAB_SCORER", "/work/shared/tools/nab_score.py")


def load_scorer():
    spec = importlib.util.spec_from_file_location("nab_score", SCORER)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def halves(keys):
    by_cat = {}
    for k in sorted(keys):
        by_cat.setdefault(k.split("/")[0], []).append(k)
    half = {}
    for cat, files in by_cat.items():
        for i, k in enumerate(files):
            half[k] = "A" if i % 2 == 0 else "B"
    return half


def main():
    if len(sys.argv) != 3:
        sys.stderr.write(__doc__)
        sys.exit(1)
    data, detf = sys.argv[1], sys.argv[2]
    sc = load_scorer()
    windows = json.load(open(os.path.join(data, "windows.json")))
    dets = json.load(open(detf))
    half = halves(windows)
    parts = {}  # key -> {profile: (raw, null, nwin)}
    for key, wl in sorted(windows.items()):
        rows = list(csv.DictReader(open(os.path.join(data, key))))
        ts = [r["timestamp"] for r in rows]
        tdt = [sc.to_dt(t) for t in ts]
        det_rows = set()
        j = 0
        for d in sorted(sc.to_dt(x) for x in dets.get(key, [])):
            while j < len(tdt) and tdt[j] < d:
                j += 1
            if j < len(tdt):
                det_rows.add(j)
        wl2 = [(w[0].split(".")[0], w[1].split(".")[0]) for w in wl]
        parts[key] = {}
        for prof, (tpw, fpw, fnw) in sc.PROFILES.items():
            r, b = sc.score_file(ts, wl2, det_rows, tpw, fpw, fnw)
            parts[key][prof] = (r, b, len(wl) * tpw)

    def score(keys, prof):
        raw = sum(parts[k][prof][0] for k in keys)
        null = sum(parts[k][prof][1] for k in keys)
        perf = sum(parts[k][prof][2] for k in keys)
        return 100.0 * (raw - null) / (perf - null) if perf != null else 0.0

    profs = list(sc.PROFILES)
    short = {"standard": "std", "reward_low_FP_rate": "lowFP",
             "reward_low_FN_rate": "lowFN"}
    groups = [("all", sorted(parts)),
              ("half A", [k for k in sorted(parts) if half[k] == "A"]),
              ("half B", [k for k in sorted(parts) if half[k] == "B"])]
    cats = sorted({k.split("/")[0] for k in parts})
    for c in cats:
        for h in ("A", "B"):
            groups.append(("%s %s" % (c, h),
                           [k for k in sorted(parts)
                            if k.startswith(c + "/") and half[k] == h]))
    print("%-28s %5s %7s %7s %7s" % ("group", "files", "std", "lowFP", "lowFN"))
    for name, keys in groups:
        if not keys:
            continue
        print("%-28s %5d %s" % (name, len(keys), " ".join(
            "%7.1f" % score(keys, p) for p in profs)))
    if os.environ.get("NAB_CV_FILES"):
        for k in sorted(parts):
            print("%-60s %s %7.1f  dets=%d" % (k, half[k], score([k], "standard"),
                                               len(dets.get(k, []))))


if __name__ == "__main__":
    main()
