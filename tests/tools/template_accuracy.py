#!/usr/bin/env python3
"""template_accuracy.py - grouping accuracy of `faultline templates --assign`
on labelled logs (the Loghub / Drain definition: a line is correct when the
set of lines grouped with it equals the set of lines of its ground-truth
template).

    python3 tests/tools/template_accuracy.py --faultline ./faultline \
        [--min 0.9] tests/samples/templates/*.log

Each FILE.log needs FILE.truth next to it (one ground-truth label per
line). Lines of different files never share a group (each file is one
service). Prints per-file and overall accuracy; with --min, exits 1 when
the overall accuracy is below it.
"""
import argparse
import collections
import os
import subprocess
import sys


def grouping_accuracy(pred, truth):
    """pred, truth: equal-length label lists. Returns correct lines / lines."""
    assert len(pred) == len(truth)
    by_pred = collections.defaultdict(set)
    by_truth = collections.defaultdict(set)
    for i, (p, t) in enumerate(zip(pred, truth)):
        by_pred[p].add(i)
        by_truth[t].add(i)
    correct = 0
    for p, members in by_pred.items():
        ts = {truth[i] for i in members}
        if len(ts) == 1 and by_truth[next(iter(ts))] == members:
            correct += len(members)
    return correct / len(pred) if pred else 1.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--faultline", required=True)
    ap.add_argument("--min", type=float)
    ap.add_argument("--show-errors", action="store_true",
                    help="print the ground-truth groups that were split or merged")
    ap.add_argument("logs", nargs="+")
    a = ap.parse_args()
    allp, allt = [], []
    for path in a.logs:
        truth_path = os.path.splitext(path)[0] + ".truth"
        with open(truth_path) as fh:
            truth = fh.read().split("\n")[:-1]
        out = subprocess.run([a.faultline, "templates", "--assign", "--quiet",
                              "--format", "raw", path],
                             capture_output=True, text=True, check=True).stdout
        rows = out.split("\n")[:-1]
        if len(rows) != len(truth):
            print("%s: %d lines assigned, %d labelled" % (path, len(rows), len(truth)))
            return 1
        pred = [r.split("\t", 1)[0] for r in rows]
        acc = grouping_accuracy(pred, truth)
        name = os.path.basename(path)
        print("%-12s %5d lines %3d templates (truth %3d)  accuracy %.4f" % (
            name, len(pred), len(set(pred)), len(set(truth)), acc))
        if a.show_errors:
            tpl = dict((r.split("\t", 1)[0], r.split("\t", 1)[1]) for r in rows)
            groups = collections.defaultdict(collections.Counter)
            for p, t in zip(pred, truth):
                groups[t][p] += 1
            for t, c in sorted(groups.items()):
                owners = {t2 for p in c for t2, c2 in groups.items() if p in c2}
                if len(c) > 1 or len(owners) > 1:
                    print("   %s -> %s" % (t, "; ".join("%d x %s" % (k, tpl[p]) for p, k in c.most_common())))
        allp += [name + "\t" + p for p in pred]
        allt += [name + "\t" + t for t in truth]
    acc = grouping_accuracy(allp, allt)
    print("overall      %5d lines %3d templates (truth %3d)  grouping accuracy %.4f"
          % (len(allp), len(set(allp)), len(set(allt)), acc))
    if a.min is not None and acc < a.min:
        print("below the required %.2f" % a.min)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
