# bench/lib.sh - shared by the bench scripts (sourced, POSIX sh).
#
# measure LABEL LINES BYTES REPEAT CMD...: runs CMD REPEAT times (stdout to
# $B/out.txt), keeps the fastest run, prints one table row (wall seconds,
# lines/s, MB/s, peak RSS, CPU seconds) and stores its lines/s in
# $B/res/LABEL for ratios. The machine may be shared: the best of several
# runs is the least disturbed one; CPU seconds show the work itself.

B=${B:-build/bench}
mkdir -p "$B/res"

header() {
    printf '%-30s %9s %8s %12s %8s %9s %7s\n' "$1" lines "wall s" "lines/s" \
        "MB/s" "RSS MiB" "CPU s"
}

measure() {
    label=$1 nl=$2 nb=$3 rep=$4
    shift 4
    best=""
    i=0
    while [ "$i" -lt "$rep" ]; do
        /usr/bin/time -f "%e %M %U %S" -o "$B/time.txt" "$@" >"$B/out.txt"
        t=$(tail -n 1 "$B/time.txt")
        best=$(printf '%s\n%s\n' "$best" "$t" | awk 'NF { if (!b || $1 < b) { b = $1; l = $0 } } END { print l }')
        i=$((i + 1))
    done
    echo "$best" | awk -v l="$label" -v n="$nl" -v b="$nb" '{
        s = $1 > 0 ? $1 : 0.005
        printf "%-30s %9d %8.2f %12.0f %8.1f %9.1f %7.2f\n", l, n, $1, n / s,
               b / s / 1e6, $2 / 1024, $3 + $4
    }'
    echo "$best" | awk -v n="$nl" '{ s = $1 > 0 ? $1 : 0.005; printf "%.0f\n", n / s }' \
        >"$B/res/$(echo "$label" | tr ' /.' '___')"
    echo "$best" | awk '{ print $2 }' >"$B/res/$(echo "$label" | tr ' /.' '___').rss"
    echo "$best" | awk -v n="$nl" '{ c = $3 + $4; printf "%.0f\n", n / (c > 0 ? c : 0.005) }' \
        >"$B/res/$(echo "$label" | tr ' /.' '___').cpu"
}

rate() { cat "$B/res/$(echo "$1" | tr ' /.' '___')" 2>/dev/null || echo 0; }
cpu_rate() { cat "$B/res/$(echo "$1" | tr ' /.' '___').cpu" 2>/dev/null || echo 0; }
rss_kb() { cat "$B/res/$(echo "$1" | tr ' /.' '___').rss"; }

# ratio "TEXT" A B TARGET: prints rate(A) / rate(B) by wall time, with the
# target (a minimum) and whether it is met, and the same ratio by CPU time
# (lines per CPU second: the work, whatever else the machine runs)
ratio() {
    awk -v t="$1" -v a="$(rate "$2")" -v b="$(rate "$3")" -v want="$4" \
        -v ca="$(cpu_rate "$2")" -v cb="$(cpu_rate "$3")" 'BEGIN {
        if (!(a > 0 && b > 0)) { printf "  %-40s  (not measured)\n", t; exit }
        r = a / b
        printf "  %-40s %6.2fx  target >= %-4s %-8s (by CPU s: %.2fx)\n", t, r,
               want, (r >= want ? "met" : "NOT met"), (cb > 0 ? ca / cb : 0)
    }'
}

# installs a Debian package for a peer when its command is missing
need() {
    command -v "$1" >/dev/null 2>&1 && return 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "installing $2 (peer)..." >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null 2>&1 ||
            { apt-get update -qq >/dev/null 2>&1 &&
              DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null 2>&1; } || true
    fi
    command -v "$1" >/dev/null 2>&1
}

load() { uptime | sed 's/.*load average/load average/'; }
