#!/bin/sh
# run.sh - the command line against CONTRACT.md, through the public
# interface only (arguments, stdin, stdout, stderr, exit status, files).
#
#   sh tests/cli/run.sh ./faultline
#   sh tests/cli/run.sh build/asan/faultline
#
# Prints "ok - NAME" or "not ok - NAME: WHY" per test, then exactly
# "N passed, N failed"; exits 1 when anything failed. Needs python3 (to read
# the JSON document) and zstd (to make plain and compressed variants).
set -u

if [ $# -ne 1 ]; then
    echo "usage: $0 BINARY" >&2
    exit 2
fi
case $1 in
/*) BIN=$1 ;;
*) BIN=$(pwd)/$1 ;;
esac
if [ ! -x "$BIN" ]; then
    echo "$0: $1: not an executable" >&2
    exit 2
fi
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
FIX=$ROOT/fixtures/bad_config
export LC_ALL=C

T=$(mktemp -d "${TMPDIR:-/tmp}/faultline-cli.XXXXXX") || exit 2
trap 'rm -rf "$T"' EXIT
trap 'exit 130' INT TERM

passed=0
failed=0
ok() {
    echo "ok - $1"
    passed=$((passed + 1))
}
not_ok() {
    echo "not ok - $1: $2"
    failed=$((failed + 1))
}
# check NAME WHY-IF-EMPTY...: "ok" when WHY is empty
check() {
    if [ -z "$2" ]; then ok "$1"; else not_ok "$1" "$2"; fi
}

# run ARGS...: runs the binary; stdout in $T/out, stderr in $T/err, status
# in $rc. Tests that read stdin redirect it themselves.
run() {
    "$BIN" "$@" >"$T/out" 2>"$T/err"
    rc=$?
}
# lines FILE: number of lines, a last line without newline included
lines() { awk 'END { print NR }' "$1"; }
# first line of stderr, for messages
err1() { head -n 1 "$T/err" | cut -c 1-200; }
# json FILE EXPR: prints the Python expression EXPR evaluated with d = the
# document in FILE (prints "ERROR: ..." when FILE is not valid JSON)
json() {
    python3 - "$1" "$2" <<'EOF'
import json, sys
try:
    with open(sys.argv[1], "rb") as f:
        d = json.loads(f.read().decode("utf-8"))
except Exception as e:
    print("ERROR: invalid JSON: %s" % e)
    sys.exit(0)
print(eval(sys.argv[2]))
EOF
}
# expect_usage_error NAME ARGS...: exit 1, nothing on stdout, exactly one
# line on stderr
expect_usage_error() {
    name=$1
    shift
    run "$@" </dev/null
    why=""
    if [ "$rc" -ne 1 ]; then
        why="exit $rc, want 1"
    elif [ "$(lines "$T/err")" -ne 1 ]; then
        why="$(lines "$T/err") lines on stderr, want 1"
    elif [ -s "$T/out" ]; then
        why="output on stdout"
    fi
    check "$name" "$why"
}

# ------------------------------------------------------------ test data

A_ZST=$FIX/logs-a.jsonl.zst
B_ZST=$FIX/logs-b.jsonl.zst
DEPLOYS=$FIX/deploys.jsonl
for f in "$A_ZST" "$B_ZST" "$DEPLOYS"; do
    if [ ! -f "$f" ]; then
        echo "$0: missing fixture $f" >&2
        exit 2
    fi
done
if ! zstd -qdc "$A_ZST" >"$T/logs-a.jsonl" ||
    ! zstd -qdc "$B_ZST" >"$T/logs-b.jsonl"; then
    echo "$0: zstd cannot decompress the fixtures" >&2
    exit 2
fi
GOOD='{"ts":"2026-07-24T09:00:00Z","service":"api","level":"info","status":200,"latency_ms":5}'
printf '%s\n' "$GOOD" >"$T/one.jsonl"

# the fixture replayed with --deploys and .zst logs: the reference document
"$BIN" replay --json --deploys "$DEPLOYS" "$A_ZST" "$B_ZST" \
    >"$T/ref.json" 2>"$T/ref.err"
ref_rc=$?

# ------------------------------------------------------ version and help

run --version
why=""
if [ "$rc" -ne 0 ]; then
    why="exit $rc"
elif ! grep -Eq '^faultline [0-9]+\.[0-9]+\.[0-9]+' "$T/out"; then
    why="stdout is '$(head -n 1 "$T/out")', want 'faultline X.Y.Z'"
elif [ -s "$T/err" ]; then
    why="output on stderr: $(err1)"
fi
check "--version prints the version" "$why"

run --help
why=""
if [ "$rc" -ne 0 ]; then
    why="exit $rc"
elif ! grep -q replay "$T/out" || ! grep -q demo "$T/out"; then
    why="stdout does not list the replay and demo commands"
elif [ -s "$T/err" ]; then
    why="output on stderr: $(err1)"
fi
check "--help lists the commands" "$why"

# help_options NAME CMD REQUIRED...: CMD --help exits 0 on stdout; every
# long option it lists (but --help) shows a [default] in its description
# (which may wrap onto indented continuation lines); the REQUIRED options
# are all listed
help_options() {
    name=$1
    cmd=$2
    shift 2
    run "$cmd" --help
    why=""
    if [ "$rc" -ne 0 ]; then
        why="exit $rc"
    elif [ -s "$T/err" ]; then
        why="output on stderr: $(err1)"
    else
        # one line per option: "--name<TAB>description joined"
        awk '
            /^ +-/ { if (o != "") print o "\t" d; sub(/^ +/, "");
                     o = $1; d = $0; next }
            /^      *[^ ]/ && o != "" { d = d " " $0; next }
            { if (o != "") print o "\t" d; o = "" }
            END { if (o != "") print o "\t" d }
        ' "$T/out" >"$T/opts"
        if [ ! -s "$T/opts" ]; then
            why="no options listed"
        fi
        while IFS= read -r l; do
            o=${l%%"$(printf '\t')"*}
            case $o in
            --help | -[!-]*) continue ;;
            esac
            case $l in
            *\[*\]*) ;;
            *) why="$why${why:+; }$o has no [default]" ;;
            esac
        done <"$T/opts"
        for o in "$@"; do
            grep -q -- "^$o$(printf '\t')" "$T/opts" ||
                why="$why${why:+; }$o not listed"
        done
    fi
    check "$name" "$why"
}
help_options "replay --help lists every option with its default" replay \
    --format --deploys --json --report --bucket --lateness --warmup \
    --lookback --max-line --quiet --help
help_options "demo --help lists every option with its default" demo \
    --report --json --help
# consume is optional in this build; when it is there, the same rule
if "$BIN" consume --help >/dev/null 2>&1; then
    help_options "consume --help lists every option with its default" \
        consume --brokers --topics --group --help
fi

# the defaults --help shows are the ones in effect
if [ "$ref_rc" -eq 0 ]; then
    run replay --json --format auto --bucket 10s --lateness 30s \
        --warmup 10m --lookback 2h --max-line 65536 \
        --deploys "$DEPLOYS" "$A_ZST" "$B_ZST"
    why=""
    if [ "$rc" -ne 0 ]; then
        why="exit $rc: $(err1)"
    elif ! cmp -s "$T/out" "$T/ref.json"; then
        why="the documented defaults given explicitly change the document"
    fi
    check "the defaults in replay --help are the defaults in effect" "$why"
else
    not_ok "the defaults in replay --help are the defaults in effect" \
        "reference replay failed (exit $ref_rc)"
fi

# ----------------------------------------------------------- usage errors

expect_usage_error "unknown command: exit 1, one line on stderr" frobnicate
expect_usage_error "unknown option: exit 1, one line on stderr" \
    replay --bogus "$T/one.jsonl"
expect_usage_error "unknown short option: exit 1, one line on stderr" \
    replay -x "$T/one.jsonl"
expect_usage_error "option missing its value: exit 1, one line on stderr" \
    replay "$T/one.jsonl" --bucket
expect_usage_error "--deploys missing its value: exit 1, one line on stderr" \
    replay "$T/one.jsonl" --deploys
expect_usage_error "bad duration (--bucket 10x): exit 1, one line on stderr" \
    replay --bucket 10x "$T/one.jsonl"
expect_usage_error "bad duration (--lookback -5m): exit 1, one line on stderr" \
    replay --lookback -5m "$T/one.jsonl"
expect_usage_error "bucket out of range (--bucket 2h): exit 1, one line" \
    replay --bucket 2h "$T/one.jsonl"
expect_usage_error "bad --max-line: exit 1, one line on stderr" \
    replay --max-line 12ab "$T/one.jsonl"
expect_usage_error "bad --format: exit 1, one line on stderr" \
    replay --format xml "$T/one.jsonl"
expect_usage_error "no input files: exit 1, one line on stderr" replay
expect_usage_error "options but no input files: exit 1, one line on stderr" \
    replay --json --quiet
expect_usage_error "stdin given twice: exit 1, one line on stderr" \
    replay - -
expect_usage_error "demo unknown option: exit 1, one line on stderr" \
    demo --bogus

# bare `faultline`: a usage error (the usage text may follow on stderr)
run
why=""
[ "$rc" -eq 1 ] || why="exit $rc, want 1"
[ -s "$T/err" ] || why="$why${why:+; }nothing on stderr"
[ -s "$T/out" ] && why="$why${why:+; }output on stdout"
check "no command: exit 1, usage on stderr" "$why"

# the one line names what was wrong
msg_names() {
    name=$1
    want=$2
    shift 2
    run "$@" </dev/null
    if grep -qF -- "$want" "$T/err"; then
        ok "$name"
    else
        not_ok "$name" "stderr '$(err1)' does not name '$want'"
    fi
}
msg_names "unknown command message names it" frobnicate frobnicate
msg_names "unknown option message names it" --bogus replay --bogus "$T/one.jsonl"
msg_names "unknown short option message names it" -x replay -x "$T/one.jsonl"
msg_names "unknown bundled short options message names the first" -x \
    replay -xyz "$T/one.jsonl"
msg_names "missing value message names the option" --bucket \
    replay "$T/one.jsonl" --bucket
msg_names "bad duration message names the value" 10x \
    replay --bucket 10x "$T/one.jsonl"
msg_names "bad format message names the value" xml \
    replay --format xml "$T/one.jsonl"

# a usage error writes nothing: no report directory appears
run replay --report "$T/usage-report" --bucket 10x "$T/one.jsonl"
if [ -e "$T/usage-report" ]; then
    not_ok "a usage error creates no report directory" "$T/usage-report exists"
else
    ok "a usage error creates no report directory"
fi

# ------------------------------------------------------- unreadable inputs

# expect_io_error NAME PATH ARGS...: exit 2, one line on stderr naming PATH
expect_io_error() {
    name=$1
    path=$2
    shift 2
    run "$@" </dev/null
    why=""
    if [ "$rc" -ne 2 ]; then
        why="exit $rc, want 2"
    elif [ "$(lines "$T/err")" -ne 1 ]; then
        why="$(lines "$T/err") lines on stderr, want 1"
    elif ! grep -qF -- "$path" "$T/err"; then
        why="stderr '$(err1)' does not name $path"
    elif [ -s "$T/out" ]; then
        why="output on stdout"
    fi
    check "$name" "$why"
}
expect_io_error "missing input file: exit 2, one line naming it" \
    "$T/nope.jsonl" replay --json "$T/nope.jsonl"
expect_io_error "missing file among good ones: exit 2, one line naming it" \
    "$T/nope.jsonl" replay --json "$T/one.jsonl" "$T/nope.jsonl"
expect_io_error "missing --deploys file: exit 2, one line naming it" \
    "$T/nope-deploys.jsonl" replay --json --deploys "$T/nope-deploys.jsonl" \
    "$T/one.jsonl"
mkdir "$T/adir"
expect_io_error "a directory as input: exit 2, one line naming it" \
    "$T/adir" replay --json "$T/adir"
# a .zst that is not zstd at all cannot be read at all (CONTRACT: exit 2)
cp "$T/one.jsonl" "$T/notzstd.jsonl.zst"
expect_io_error "a .zst file that is not zstd: exit 2, one line naming it" \
    "$T/notzstd.jsonl.zst" replay --json "$T/notzstd.jsonl.zst"

# a truncated archive: the lines before the damage count, one warning
head -c 100000 "$A_ZST" >"$T/trunc.jsonl.zst"
run replay --json "$T/trunc.jsonl.zst"
why=""
if [ "$rc" -ne 0 ] && [ "$rc" -ne 2 ]; then
    why="exit $rc, want 0 (partly read) or 2"
elif [ "$(lines "$T/err")" -ne 1 ]; then
    why="$(lines "$T/err") lines on stderr, want 1"
elif ! grep -qF "$T/trunc.jsonl.zst" "$T/err"; then
    why="stderr '$(err1)' does not name the file"
elif [ "$rc" -eq 0 ]; then
    n=$(json "$T/out" 'd["stats"]["events"]')
    case $n in
    ERROR*) why=$n ;;
    0) why="no events from the readable part" ;;
    esac
fi
check "truncated .zst: one line naming it, readable part used" "$why"

# ------------------------------------------------------------- bad lines

{
    echo 'garbage'
    echo 'this is not a log line at all'
    printf '\377\376 invalid utf-8 \300\257\n'
    printf '\000\000\037\213\010 binary\n'
    echo '{"ts":"2026-07'
    echo '{"ts":"2026-07-24T09:00:00Z","service":"api",'
    echo '{"ts":"2026-07-24T09:00:00Z","service":"api"} trailing'
    echo '{}'
    echo '[1,2,3]'
    echo '{"service":"api","msg":"no time"}'
    echo '{"ts":"2026-07-24T09:00:00Z","msg":"no service"}'
    echo '{"ts":"1970-01-01T00:00:00Z","service":"api"}'
    echo '{"ts":"2026-07-24T09:00:00Z","service":"api","status":999}'
    echo 'ts=2026-07-24T09:00:00Z service=api status=999'
    printf '{"ts":"2026-07-24T09:00:00Z","service":"a\377"}\r\n'
    printf 'last line without newline'
} >"$T/garbage.jsonl"
n=$(lines "$T/garbage.jsonl")
run replay --json "$T/garbage.jsonl"
why=""
if [ "$rc" -ne 0 ]; then
    why="exit $rc: $(err1)"
elif [ -s "$T/err" ]; then
    why="output on stderr: $(err1)"
else
    got=$(json "$T/out" '"%d %d %d %d" % (d["stats"]["lines"], d["stats"]["bad_lines"], d["stats"]["events"], len(d["incidents"]))')
    [ "$got" = "$n $n 0 0" ] ||
        why="lines bad_lines events incidents = $got, want $n $n 0 0"
fi
check "only garbage lines: exit 0, every line counted bad" "$why"

# blank lines are neither events nor errors; CRLF is a line ending
{
    printf '\n   \n\t\n'
    printf '%s\r\n' "$GOOD"
    printf '\n'
    printf '%s\n' "$GOOD" | sed 's/09:00:00/09:00:01/'
    printf '\r\n'
} >"$T/blank.jsonl"
run replay --json "$T/blank.jsonl"
got=$(json "$T/out" '"%d %d %d" % (d["stats"]["lines"], d["stats"]["bad_lines"], d["stats"]["events"])')
check "blank lines are skipped, CRLF lines decode" \
    "$([ "$rc" -eq 0 ] && [ "$got" = "2 0 2" ] || echo "exit $rc, lines bad_lines events = $got, want 2 0 2")"

# empty stdin
run replay --json - </dev/null
got=$(json "$T/out" '"%d %d" % (d["stats"]["lines"], len(d["incidents"]))')
check "empty stdin: exit 0, no lines, no incidents" \
    "$([ "$rc" -eq 0 ] && [ "$got" = "0 0" ] || echo "exit $rc, lines incidents = $got")"

# ---------------------------------------------------- the result document

why=""
if [ "$ref_rc" -ne 0 ]; then
    why="exit $ref_rc: $(head -n 1 "$T/ref.err")"
elif [ -s "$T/ref.err" ]; then
    why="output on stderr: $(head -n 1 "$T/ref.err")"
else
    got=$(json "$T/ref.json" '"ok" if isinstance(d, dict) and isinstance(d.get("incidents"), list) and isinstance(d.get("stats"), dict) and all(k in d["stats"] for k in ("lines", "bad_lines", "events")) else "keys %s" % sorted(d)')
    [ "$got" = ok ] || why=$got
fi
check "--json prints valid JSON with incidents and stats" "$why"

# the incident objects carry the contract's fields
got=$(json "$T/ref.json" '
[
 "%s: %s" % (i.get("id"), k)
 for i in d["incidents"]
 for k in ("id", "start", "detected", "end", "services", "anomalies", "causes")
 if k not in i
] + [
 "%s: ranks %s" % (i["id"], [c.get("rank") for c in i["causes"]])
 for i in d["incidents"]
 if [c.get("rank") for c in i["causes"]] != list(range(1, len(i["causes"]) + 1))
] + [
 "%s: score %s" % (i["id"], c.get("score"))
 for i in d["incidents"] for c in i["causes"]
 if not (isinstance(c.get("score"), (int, float)) and 0 <= c["score"] <= 1)
] + (["no incident in bad_config"] if not d["incidents"] else [])')
check "incidents have id, times, services, anomalies and ranked causes" \
    "$([ "$got" = "[]" ] || echo "$got")"

"$BIN" replay --json --deploys "$DEPLOYS" "$A_ZST" "$B_ZST" >"$T/ref2.json" 2>/dev/null
check "--json is byte-identical across runs" \
    "$(cmp -s "$T/ref.json" "$T/ref2.json" || echo "two runs differ")"

# same_doc NAME FILE: the run ($rc, $T/err) succeeded quietly and FILE is
# byte-identical to the reference; else say whether the incidents or only
# the stats differ
same_doc() {
    if [ "$rc" -ne 0 ] || [ -s "$T/err" ]; then
        not_ok "$1" "exit $rc, stderr: $(err1)"
        return
    fi
    if cmp -s "$2" "$T/ref.json"; then
        ok "$1"
        return
    fi
    d=$(python3 - "$2" "$T/ref.json" <<'EOF'
import json, sys
try:
    a, b = (json.load(open(p)) for p in sys.argv[1:3])
except Exception as e:
    print("invalid JSON: %s" % e)
    sys.exit(0)
out = []
if a.get("incidents") != b.get("incidents"):
    out.append("incidents differ")
sa, sb = a.get("stats", {}), b.get("stats", {})
for k in sorted(set(sa) | set(sb)):
    if sa.get(k) != sb.get(k):
        out.append("stats.%s %s vs %s" % (k, sa.get(k), sb.get(k)))
print("; ".join(out) or "same content, different bytes")
EOF
)
    not_ok "$1" "$d"
}

# ----------------------------------------- .zst, plain and stdin agree

run replay --json --deploys "$DEPLOYS" "$T/logs-a.jsonl" "$T/logs-b.jsonl"
same_doc "plain files give the same document as .zst" "$T/out"
"$BIN" replay --json --deploys "$DEPLOYS" - "$B_ZST" <"$T/logs-a.jsonl" \
    >"$T/out" 2>"$T/err"
rc=$?
same_doc "plain stdin (-) gives the same document as the file" "$T/out"
zstd -qdc "$A_ZST" | "$BIN" replay --json --deploys "$DEPLOYS" - "$B_ZST" \
    >"$T/out" 2>"$T/err"
rc=$?
same_doc "a pipe on stdin gives the same document as the file" "$T/out"

# ---------------------------------------------------------- input order

run replay --json --deploys "$DEPLOYS" "$B_ZST" "$A_ZST"
[ "$rc" -eq 0 ] || echo '{}' >"$T/out"
got=$(python3 - "$T/out" "$T/ref.json" <<'EOF'
import json, sys
try:
    a, b = (json.load(open(p)) for p in sys.argv[1:3])
except Exception as e:
    print("invalid JSON: %s" % e)
    sys.exit(0)
if a.get("incidents") != b["incidents"]:
    print("incidents differ: %s vs %s" % ([i["id"] for i in a.get("incidents", [])],
                                          [i["id"] for i in b["incidents"]]))
EOF
)
check "log files in either order give the same incidents" "$got"

# ----------------------------------------------------------------- reports

RD=$T/reports/nested
run replay --json --report "$RD" --deploys "$DEPLOYS" "$A_ZST" "$B_ZST"
why=""
if [ "$rc" -ne 0 ]; then
    why="exit $rc: $(err1)"
elif ! cmp -s "$T/out" "$T/ref.json"; then
    why="--report changes the --json document"
else
    # run a second time into the same directory: reports are replaced
    "$BIN" replay --quiet --report "$RD" --deploys "$DEPLOYS" "$A_ZST" \
        "$B_ZST" >/dev/null 2>&1 || why="second run into the same directory failed"
    ls -A "$RD" >"$T/files" 2>/dev/null
    got=$(python3 - "$T/ref.json" "$T/files" "$RD" <<'EOF'
import json, os, re, sys
d = json.load(open(sys.argv[1]))
ids = [i["id"] for i in d["incidents"]]
files = open(sys.argv[2]).read().split()
out = []
for i in ids:
    p = os.path.join(sys.argv[3], i + ".md")
    if i + ".md" not in files:
        out.append("no %s.md" % i)
    elif os.path.getsize(p) == 0:
        out.append("%s.md is empty" % i)
    elif i not in open(p, encoding="utf-8", errors="replace").read():
        out.append("%s.md does not name its incident" % i)
mds = [f for f in files if f.endswith(".md")]
if len(mds) != len(ids):
    out.append("%d .md files for %d incidents" % (len(mds), len(ids)))
# anything but <id>.md / <id>.html / <id>-chartN.svg (temp files, dot
# files) is left over
extra = [f for f in files
         if not any(f == i + ext for i in ids for ext in (".md", ".html"))
         and not any(re.fullmatch(re.escape(i) + r"-chart[1-9][0-9]*\.svg", f) for i in ids)]
if extra:
    out.append("left in DIR: %s" % " ".join(extra))
if not ids:
    out.append("no incidents to report")
print("; ".join(out))
EOF
)
    why="$why${why:+${got:+; }}$got"
fi
check "--report DIR: one <id>.md per incident, ids as in --json, no temp files" "$why"

# ---------------------------------------------------- inline change events

cat "$T/logs-a.jsonl" "$DEPLOYS" >"$T/inline.jsonl"
run replay --json "$T/inline.jsonl" "$T/logs-b.jsonl"
got=$(python3 - "$T/out" "$T/ref.json" <<'EOF'
import json, sys
try:
    a, b = (json.load(open(p)) for p in sys.argv[1:3])
except Exception as e:
    print("invalid JSON: %s" % e)
    sys.exit(0)
def top(d):
    return [(c["kind"], c["service"], c.get("ref"))
            for i in d["incidents"] for c in i["causes"][:1]]
if not top(b):
    print("the reference has no cause")
elif top(a) != top(b):
    print("top causes %s, with --deploys %s" % (top(a), top(b)))
EOF
)
check "change events inside a log file give the same top cause as --deploys" "$got"

# ----------------------------------------------------------------- progress

run replay --quiet --json --deploys "$DEPLOYS" "$A_ZST" "$B_ZST"
check "--quiet: nothing on stderr" \
    "$([ "$rc" -eq 0 ] && [ ! -s "$T/err" ] || echo "exit $rc, stderr: $(err1)")"
run replay --json --deploys "$DEPLOYS" "$A_ZST" "$B_ZST"
check "stderr not a terminal: no progress on stderr" \
    "$([ "$rc" -eq 0 ] && [ ! -s "$T/err" ] || echo "exit $rc, stderr: $(err1)")"
run replay --quiet --report "$T/quiet-reports" --deploys "$DEPLOYS" "$A_ZST" "$B_ZST"
check "--quiet --report: nothing on stderr" \
    "$([ "$rc" -eq 0 ] && [ ! -s "$T/err" ] || echo "exit $rc, stderr: $(err1)")"

# with a terminal on stderr (util-linux script gives the command a pty),
# --quiet still prints nothing there; stdout goes to a file
if script -qec true /dev/null >/dev/null 2>&1 </dev/null; then
    script -qec "'$BIN' replay --quiet --json --deploys '$DEPLOYS' '$A_ZST' '$B_ZST' >'$T/tty.json'" \
        /dev/null >"$T/tty.out" 2>&1 </dev/null
    why=""
    if [ -s "$T/tty.out" ]; then
        why="terminal got: $(od -c "$T/tty.out" | head -n 2 | tr -s ' ' | tr '\n' ' ')"
    elif ! cmp -s "$T/tty.json" "$T/ref.json"; then
        why="document differs when stderr is a terminal"
    fi
    check "--quiet with a terminal on stderr: nothing on it" "$why"
else
    ok "--quiet with a terminal on stderr: nothing on it # SKIP no script(1)"
fi

# --------------------------------------------------------- very long lines

# big_line FILE: 10 MiB of 'x' without a newline
big_line() { head -c 10485760 /dev/zero | tr '\0' x >"$1"; }
big_line "$T/big"
{
    cat "$T/big"
    echo
    for s in 1 2 3 4 5; do
        printf '%s\n' "$GOOD" | sed "s/09:00:00/09:00:0$s/"
    done
} >"$T/long.jsonl"
# long_check NAME ARGS...: 6 lines, 5 events, line_too_long counted once
long_check() {
    name=$1
    shift
    run "$@"
    why=""
    if [ "$rc" -ne 0 ]; then
        why="exit $rc: $(err1)"
    else
        got=$(json "$T/out" '"%d %d %d %d" % (d["stats"]["lines"], d["stats"]["events"], d["stats"]["bad_lines"], d["stats"].get("by_reason", {}).get("line_too_long", 0))')
        [ "$got" = "6 5 1 1" ] ||
            why="lines events bad_lines line_too_long = $got, want 6 5 1 1"
    fi
    check "$name" "$why"
}
long_check "10 MiB line then good lines: good lines counted, too long once" \
    replay --json "$T/long.jsonl"
zstd -q -1 -c "$T/long.jsonl" >"$T/long.jsonl.zst"
long_check "10 MiB line then good lines, .zst: same counts" \
    replay --json "$T/long.jsonl.zst"
# a pipe, not a file: stdin has no size and cannot seek
# shellcheck disable=SC2002
cat "$T/long.jsonl" | "$BIN" replay --json - >"$T/out2" 2>"$T/err"
got=$(json "$T/out2" '"%d %d %d %d" % (d["stats"]["lines"], d["stats"]["events"], d["stats"]["bad_lines"], d["stats"].get("by_reason", {}).get("line_too_long", 0))')
check "10 MiB line then good lines through a pipe: same counts" \
    "$([ "$got" = "6 5 1 1" ] || echo "lines events bad_lines line_too_long = $got, want 6 5 1 1")"
{
    for s in 1 2 3 4 5; do
        printf '%s\n' "$GOOD" | sed "s/09:00:00/09:00:0$s/"
    done
    cat "$T/big"
} >"$T/long-last.jsonl"
long_check "good lines then a 10 MiB last line without newline" \
    replay --json "$T/long-last.jsonl"
rm -f "$T/big" "$T/long.jsonl" "$T/long.jsonl.zst" "$T/long-last.jsonl"

# --max-line's default (65536): a line of exactly that many bytes is read
python3 -c "
import sys
head = sys.argv[1][:-1] + ',\"pad\":\"'
line = head + 'p' * (65536 - len(head) - 2) + '\"}'
sys.stdout.write(line + '\n' + line[:-1] + ' }' + '\n')
" "$GOOD" >"$T/edge.jsonl"
run replay --json "$T/edge.jsonl"
got=$(json "$T/out" '"%d %d %d" % (d["stats"]["lines"], d["stats"]["events"], d["stats"].get("by_reason", {}).get("line_too_long", 0))')
check "a 65536-byte line is read, a 65537-byte line is too long" \
    "$([ "$rc" -eq 0 ] && [ "$got" = "2 1 1" ] || echo "exit $rc, lines events line_too_long = $got, want 2 1 1")"

# ---------------------------------------------------- the user's field names

cat >"$T/app.jsonl" <<'EOF2'
{"when":"2026-07-24T10:00:00Z","app":{"name":"billing"},"service":"ignored","resp":{"time":0.5},"code":503}
{"when":"2026-07-24T10:00:01Z","app":{"name":"billing"},"resp":{"time":"0.25"},"code":200}
EOF2
printf 'files:\n  - glob: "app.jsonl"\n    fields: {ts: when, service: app.name, latency_s: resp.time, status: code}\n' >"$T/fields.yaml"
run replay --json --config "$T/fields.yaml" "$T/app.jsonl"
got=$(json "$T/out" '"%d %d %d" % (d["stats"]["events"], d["stats"]["bad_lines"], d["stats"]["services"])')
run replay --json "$T/app.jsonl"
got2=$(json "$T/out" '"%d %s" % (d["stats"]["bad_lines"], sorted(d["stats"]["by_reason"]))')
check "config fields: a files entry's key names decode the file (without it: rejected)" \
    "$([ "$got" = "2 0 1" ] && [ "$got2" = "2 ['missing_timestamp']" ] || echo "with: events bad services = $got; without: $got2")"
printf 'input:\n  fields: {service: app.name, colour: x}\n' >"$T/badfields.yaml"
run replay --json --config "$T/badfields.yaml" "$T/app.jsonl"
check "config fields: an unknown field is FILE:LINE: reason, exit 1" \
    "$([ "$rc" -eq 1 ] && grep -q "badfields.yaml:2: input.fields: unknown field 'colour'" "$T/err" || echo "exit $rc: $(err1)")"

# -------------------------------------------------------------------- demo

mkdir "$T/cwd"
(cd "$T/cwd" && "$BIN" demo --report "$T/demo-report" >"$T/out" 2>"$T/err" </dev/null)
rc=$?
why=""
if [ "$rc" -ne 0 ]; then
    why="exit $rc: $(err1)"
elif ! ls "$T/demo-report"/*.md >/dev/null 2>&1; then
    why="no .md report in $T/demo-report"
elif ! grep -qF "$T/demo-report" "$T/out"; then
    why="stdout does not say where the report is"
elif [ -n "$(ls -A "$T/cwd")" ]; then
    why="wrote into the working directory: $(ls -A "$T/cwd")"
elif [ -s "$T/err" ]; then
    why="output on stderr: $(err1)"
fi
check "demo --report DIR: exit 0, report written there" "$why"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
