#!/bin/sh
# run.sh - faultline on the NAB subset (/work/shared/data/nab, see its
# README.md): each CSV becomes Influx lines
#     nab,service=<file name without .csv> value=<value> <epoch ns>
# replayed with `faultline replay --json --format influx FILE` (default
# settings, one process per file); every anomaly's `detected` time is a
# detection; the scorer prints the standard, low-FP and low-FN scores.
#
#   sh bench/nab/run.sh [FAULTLINE] [DATA_DIR]
# Work files go to build/nab/ (lines, result documents, detections.json).
# Then bench/nab/cv.py prints the scores per fixed half (A, B: files
# alternating within each category) and per category; NAB_CV_FILES=1 adds
# one line per file.
set -eu
cd "$(dirname "$0")/../.."
FL=${1:-./faultline}
DATA=${2:-/work/shared/data/nab}
SCORER=${NAB_SCORER:-/work/shared/tools/nab_score.py}
OUT=build/nab
rm -rf "$OUT"
mkdir -p "$OUT/lines" "$OUT/results"
n=0
for csv in "$DATA"/*/*.csv; do
    cat=$(basename "$(dirname "$csv")")
    name=$(basename "$csv" .csv)
    mkdir -p "$OUT/lines/$cat" "$OUT/results/$cat"
    lp="$OUT/lines/$cat/$name.lp"
    python3 bench/nab/nab.py lines "$csv" "$lp"
    "$FL" replay --json --format influx "$lp" >"$OUT/results/$cat/$name.json"
    n=$((n + 1))
done
echo "nab: $n files replayed"
python3 bench/nab/nab.py collect "$OUT/results" "$OUT/detections.json"
python3 "$SCORER" --data "$DATA" --windows "$DATA/windows.json" \
    --detections "$OUT/detections.json"
# the two-halves cross-check (bench/nab/cv.py): per half, per category
python3 bench/nab/cv.py "$DATA" "$OUT/detections.json"
