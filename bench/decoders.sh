#!/bin/sh
# bench/decoders.sh - figures, not pass/fail: per input format, 1M
# records generated deterministically (bench/gen_formats.py, from the same
# scenario as bench/run.sh) and timed
#   decode   decoding alone (bench/decode_bench: source + decoder, no
#            pipeline), best of 3
#   replay   `faultline replay --json --quiet` on the file: the whole job
# and, on the same nginx file in the same run, `pcre2grep -c` with a
# full-line pattern equivalent to faultline's nginx pattern (what a regex
# engine alone costs per line). Lines/s count input lines (an OTLP line is
# a document of 1..7 records); MB/s the file's bytes.
#
#   sh bench/decoders.sh            (FAULTLINE=./faultline, N=1000000)
set -eu
cd "$(dirname "$0")/.."
B=build/bench
D=$B/formats
BIN=${FAULTLINE:-./faultline}
N=${N:-1000000}
mkdir -p $B
if [ ! -f $B/big/logs-a.jsonl ]; then
    echo "generating the scenario (bad_deploy_errors, seed 7, scale 20)..."
    python3 tests/gen/scenario.py --kind bad_deploy_errors --seed 7 --scale 20 \
        --out $B/big -q
fi
if [ ! -f $D/.n-$N ]; then
    echo "writing $N records in every format into $D (once)..."
    rm -rf $D
    python3 bench/gen_formats.py $B/big $D "$N"
    touch $D/.n-$N
fi
if ! command -v pcre2grep >/dev/null 2>&1; then
    echo "installing pcre2-utils (pcre2grep)..."
    apt-get install -y -q pcre2-utils >/dev/null 2>&1 ||
        sudo apt-get install -y -q pcre2-utils >/dev/null 2>&1 || true
fi
LIBS="$(pkg-config --libs rdkafka libpcre2-8 libzstd libmicrohttpd yaml-0.1) \
$(pkg-config --libs msgpack-c 2>/dev/null || pkg-config --libs msgpack) -lm -lpthread"
cc -O2 -std=c11 -o $B/decode_bench bench/decode_bench.c build/rel/libfaultline.a $LIBS

printf '%-18s %9s %9s %7s | %11s %8s | %11s %8s\n' format lines events bad \
    "decode l/s" "MB/s" "replay l/s" "MB/s"
row() { # row NAME DECODE_FORMAT FILE [replay args...]
    name=$1 fmt=$2 f=$3
    shift 3
    set -- $($B/decode_bench "$fmt" "$f" 3) "$@"
    lines=$1 events=$2 bad=$3 dl=$5 dm=$6
    shift 7
    bytes=$(wc -c <"$f")
    /usr/bin/time -f "%e" -o $B/time.txt "$BIN" replay --json --quiet "$@" "$f" >/dev/null
    s=$(cat $B/time.txt)
    awk -v n="$name" -v l="$lines" -v e="$events" -v b="$bad" -v dl="$dl" \
        -v dm="$dm" -v s="$s" -v by="$bytes" 'BEGIN {
        if (s <= 0) s = 0.01
        printf "%-18s %9d %9d %7d | %11.0f %8.1f | %11.0f %8.1f\n",
               n, l, e, b, dl, dm, l / s, by / s / 1e6 }'
}
row json json $D/json --format json
row json-auto auto $D/json
row ecs json $D/ecs --format json
row logfmt logfmt $D/logfmt --format logfmt
row msgpack msgpack $D/msgpack --format msgpack
row fluentbit msgpack $D/fluentbit --format msgpack
row otlp otlp $D/otlp
row syslog5424_json syslog $D/syslog5424_json --format syslog
row syslog3164 syslog $D/syslog3164 --format syslog
row nginx nginx $D/nginx --format nginx
row influx influx $D/influx --format influx

# nginx next to pcre2grep -c: faultline's nginx regex (ingest/pattern.c),
# written out, on the same file
QSTR='"(?:[^"\\]++|\\.)*+"'
RE='^(?<remote_addr>\S++) (?<ident>\S++) (?<remote_user>\S++) \[(?<ts>[^\]]++)\] "(?<msg>(?:(?<method>[A-Z]{1,20}+) (?<path>[^ "\\]++))?(?:[^"\\]++|\\.)*+)" (?<status>\d{3}+) (?:\d++|-)(?: '"$QSTR $QSTR"')?(?: (?<latency_s>\d++(?:\.\d++)?+)(?= |$))?(?: .*)?$'
f=$D/nginx
lines=$(wc -l <"$f")
bytes=$(wc -c <"$f")
best=
for i in 1 2 3; do
    /usr/bin/time -f "%e" -o $B/time.txt pcre2grep -c "$RE" "$f" >$B/pcre2grep.out
    t=$(cat $B/time.txt)
    best=$(awk -v a="${best:-1e9}" -v b="$t" 'BEGIN { print (b < a ? b : a) }')
done
set -- $($B/decode_bench nginx "$f" 3)
echo
echo "nginx, $lines lines, $bytes bytes, same file:"
awk -v m="$(cat $B/pcre2grep.out)" -v s="$best" -v l="$lines" -v by="$bytes" \
    -v dl="$5" -v ev="$2" 'BEGIN {
    if (s <= 0) s = 0.01
    printf "  %-34s %11.0f lines/s %8.1f MB/s (%d events)\n",
           "faultline nginx decode", dl, dl * by / l / 1e6, ev
    printf "  %-34s %11.0f lines/s %8.1f MB/s (%d matched)\n",
           "pcre2grep -c (same regex, JIT)", l / s, by / s / 1e6, m }'
