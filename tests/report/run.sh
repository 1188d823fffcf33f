#!/bin/sh
# tests/report/run.sh - the postmortem report against hostile log strings,
# and the HTML page rendered in headless Chromium. Ends with "N passed,
# N failed".
#   sh tests/report/run.sh [FAULTLINE] [--browser] [--screenshot PNG]
#
# A generated bad deploy (scenario bad_deploy_errors seed 41: api) has its
# failing service renamed to a string carrying <script>, "><img onerror=...>
# (a service name with control characters is rejected by ingest: counted
# as missing_service), its error messages replaced by markup and
# javascript: links, and its deploy's version, change id and author made
# hostile too. The report must show each of them as text:
# - HTML: no tag, attribute or URL from a log survives (no <script, <img,
#   onerror= inside a tag, href/src), no control character but \n;
#   the Content-Security-Policy forbids scripts;
# - Markdown: no raw HTML tag, no link or image syntax from a log.
# Its request lines carry a path too: from the fault's start its errors go
# to a hostile one (markup, a javascript: URL, a control character), which
# also gets 1 in 10 of all other requests; the rest go to "/ok": the impact
# by endpoint must name the hostile endpoint first, as text.
# The charts (one SVG per affected service, inlined in the HTML and written
# as <id>-chartN.svg next to the Markdown) must carry the onset, detection
# and deploy lines, with the hostile names escaped inside them.
# With --browser (Debian `chromium`; not part of make test: too heavy for
# the shared machine), the page is rendered headless: no console message
# (a CSP violation or a script error is one), and --screenshot keeps a PNG.
set -u
cd "$(dirname "$0")/../.."
BIN=./build/rel/faultline
BROWSER=0
SHOT=
while [ $# -gt 0 ]; do
    case $1 in
    --browser) BROWSER=1 ;;
    --screenshot) SHOT=$2; shift ;;
    *) BIN=$1 ;;
    esac
    shift
done
T=${KEEP_DIR:-$(mktemp -d)}
[ -n "${KEEP_DIR:-}" ] || trap 'rm -rf "$T"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
bad() { fail=$((fail + 1)); echo "not ok - $1"; }

python3 tests/gen/scenario.py --kind bad_deploy_errors --seed 41 --out "$T/sc" -q
python3 - "$T/sc" <<'P'
import json, os, sys
d = sys.argv[1]
t = json.load(open(os.path.join(d, "truth.json")))
x = t["expected_top"]["service"]
EVIL_PATH = '/<script>alert(11)</script>/"><img src onerror alert(12)>/javascript:alert(13)/a\u0007b?q=<b>'
EVIL = x + '"><img src=x onerror=alert(1)><script>alert(2)</script>'
MSGS = ['<script>alert(3)</script> failed', '[click](javascript:alert(4)) ![i](javascript:alert(5))',
        '"><img src=x onerror=alert(6)>\u0000\u0008\u001f end', '<a href="javascript:alert(7)">x</a>']
for name in ("logs-a.jsonl", "logs-b.jsonl", "deploys.jsonl"):
    out = []
    n = 0
    k = 0
    for raw in open(os.path.join(d, name), "rb").read().split(b"\n"):
        try:
            o = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            out.append(raw)
            continue
        if o.get("service") == x and not o.get("kind"):
            # from the fault on, its errors are the hostile endpoint's; it
            # also gets 1 in 10 good requests throughout (a low before rate)
            k += 1
            late = o.get("ts", "")[:19] >= t["fault_start"][:19]
            o["path"] = EVIL_PATH if (late and o.get("level") == "error") or k % 10 == 0 else "/ok"
        if o.get("service") == x:
            o["service"] = EVIL
            if o.get("kind"):     # the change event
                o["version"] = "[v9](javascript:alert(8))<b>"
                o["change_id"] = "javascript:alert(9)"
                o["author"] = "<script>alert(10)</script>\u0007"
            elif o.get("level") == "error":
                o["msg"] = MSGS[n % len(MSGS)]
                n += 1
        if o.get("upstream") == x:
            o["upstream"] = EVIL
        out.append(json.dumps(o).encode("utf-8"))
    open(os.path.join(d, name), "wb").write(b"\n".join(out))
P
mkdir -p "$T/rep"
"$BIN" replay --report "$T/rep" --deploys "$T/sc/deploys.jsonl" "$T/sc/logs-a.jsonl" \
    "$T/sc/logs-b.jsonl" > "$T/out.txt" 2> "$T/err.txt"
rc=$?
[ $rc = 0 ] && ok "replay --report exits 0" || bad "replay --report exit $rc: $(head -3 "$T/err.txt")"
html=$(ls "$T/rep"/*.html 2>/dev/null | head -n 1)
md=$(ls "$T/rep"/*.md 2>/dev/null | head -n 1)
if [ -z "$html" ] || [ -z "$md" ]; then
    bad "reports written (found: $(ls "$T/rep" | tr '\n' ' '))"
else
    ok "reports written"
    # the hostile name reached the report (as text), else the test proves nothing
    grep -q 'onerror=alert(1)&gt;&lt;script&gt;' "$html" && ok "the hostile service name is shown, escaped" ||
        bad "the hostile service name is not in the HTML report"
    python3 - "$html" "$md" <<'P' && ok "HTML: no tag, attribute or URL from a log; CSP forbids scripts" || bad "HTML escaping"
import re, sys
h = open(sys.argv[1], encoding="utf-8").read()
bad = []
if re.search(r"<\s*script", h, re.I): bad.append("<script")
if re.search(r"<\s*img", h, re.I): bad.append("<img")
if re.search(r"<\s*a[\s>]", h, re.I): bad.append("<a")
if re.search(r"<[^>]*\bon\w+\s*=", h, re.I): bad.append("an on*= attribute inside a tag")
if re.search(r"<[^>]*\b(href|src)\s*=", h, re.I): bad.append("href/src in a tag")
if re.search(r"[\x00-\x08\x0b-\x1f\x7f]", h): bad.append("a control character")
if "script-src 'none'" not in h or "Content-Security-Policy" not in h: bad.append("no CSP")
if bad:
    print("HTML problems:", ", ".join(bad)); sys.exit(1)
P
    python3 - "$md" <<'P' && ok "Markdown: no raw tag, link or image from a log" || bad "Markdown escaping"
import re, sys
m = open(sys.argv[1], encoding="utf-8").read()
bad = []
if re.search(r"(?<!\\)<\s*(script|img|a|b)\b", m, re.I): bad.append("raw tag")
if re.search(r"(?<!\\)\]\((?i:javascript):", m): bad.append("link to javascript:")
if re.search(r"[\x00-\x08\x0b-\x1f\x7f]", m): bad.append("a control character")
if bad:
    print("Markdown problems:", ", ".join(bad)); sys.exit(1)
P
    # impact by endpoint (rca/endpoints.c, report.c): the table is there,
    # the hostile endpoint (errors only there) is the service's first row,
    # escaped, its control character masked, the query cut off
    python3 - "$html" "$md" <<'P' && ok "impact by endpoint: hostile endpoint first, escaped" || bad "impact by endpoint"
import re, sys
h = open(sys.argv[1], encoding="utf-8").read()
m = open(sys.argv[2], encoding="utf-8").read()
bad = []
if "| service | endpoint | requests during | error rate during | error rate before | extra errors |" not in m:
    bad.append("no endpoint table in the Markdown")
want = "/&lt;script&gt;alert(11)&lt;/script&gt;/&quot;&gt;&lt;img src onerror alert(12)&gt;/javascript:alert(13)/a?b"
i = h.find("Endpoints with the most errors")
tab = h[i:h.find("</table>", i)] if i >= 0 else ""
rows = re.findall(r"<tr><td>[^<]*onerror=alert\(1\)[^<]*</td><td>([^<]*)</td>", tab)
if not rows: bad.append("no endpoint row of the hostile service in the HTML")
elif rows[0] != want: bad.append("first endpoint row: %r" % rows[0])
if "q=&lt;b&gt;" in h or "/ok</td>" in h: bad.append("query kept, or /ok (no extra errors) listed")
if bad:
    print("endpoint problems:", "; ".join(bad)); sys.exit(1)
P
    # charts (rca/series.c, report.c): one <svg> per affected service with
    # the onset and detection lines and the deploy's marker, the hostile
    # strings escaped inside it; the same SVG files next to the Markdown,
    # linked from it, each well-formed XML with no script or link
    python3 - "$html" "$md" "$T/rep" <<'P' && ok "charts: an SVG per affected service, markers, escaped, files linked" || bad "charts"
import os, re, sys
import xml.etree.ElementTree as ET
h = open(sys.argv[1], encoding="utf-8").read()
m = open(sys.argv[2], encoding="utf-8").read()
d = sys.argv[3]
bad = []
svgs = re.findall(r"<svg\b.*?</svg>\n", h, re.S)
if len(svgs) < 2: bad.append("%d <svg> in the HTML, want one per affected service (2)" % len(svgs))
for s in svgs:
    if ">onset</text>" not in s or ">detected</text>" not in s: bad.append("an SVG without onset/detection lines")
    if len(re.findall(r"<polyline ", s)) < 3: bad.append("an SVG with fewer than 3 series drawn")
if not any("onerror=alert(1)&gt;" in s for s in svgs): bad.append("the hostile service name is not in any SVG")
if not any("deploy [v9](javascript:alert(8))&lt;b&gt;" in s for s in svgs): bad.append("no escaped deploy marker with the hostile version")
links = re.findall(r"!\[[^\n]*\]\(([A-Za-z0-9-]+\.svg)\)", m)
if len(links) != len(svgs): bad.append("%d SVG links in the Markdown, %d charts" % (len(links), len(svgs)))
for name in links:
    t = open(os.path.join(d, name), encoding="utf-8").read()
    try:
        root = ET.fromstring(t)
    except ET.ParseError as e:
        bad.append("%s: not well-formed: %s" % (name, e)); continue
    if not root.tag.endswith("svg"): bad.append(name + ": root is not svg")
    for el in root.iter():
        if el.tag.split("}")[-1] in ("script", "a", "foreignObject", "image"): bad.append(name + ": " + el.tag)
        for k in el.attrib:
            if k.lower().startswith("on") or "href" in k.lower(): bad.append(name + ": attribute " + k)
    if t not in h: bad.append(name + " is not the SVG inlined in the HTML")
if bad:
    print("chart problems:", "; ".join(bad[:6])); sys.exit(1)
P
fi
# a fault behind some endpoints only: cart fails (mid_graph_failure seed 1,
# no change recorded), so of the frontend's endpoints /cart (GET and POST)
# fails and the others do not: /cart must be the frontend's first row
python3 tests/gen/scenario.py --kind mid_graph_failure --seed 1 --out "$T/mg" -q
mkdir -p "$T/mgrep"
"$BIN" replay --report "$T/mgrep" --deploys "$T/mg/deploys.jsonl" "$T/mg/logs-a.jsonl" \
    "$T/mg/logs-b.jsonl" > /dev/null 2> "$T/mgerr.txt"
python3 - "$T/mg/truth.json" "$T"/mgrep/*.md <<'P' && ok "impact by endpoint: the failing endpoint first" || bad "impact by endpoint (mid_graph_failure)"
import json, re, sys
t = json.load(open(sys.argv[1]))
assert t["expected_top"]["service"] == "cart", t["expected_top"]
rows = []
for f in sys.argv[2:]:
    rows += re.findall(r"^\| frontend \| (/[^ ]*) \| \d+ \|", open(f, encoding="utf-8").read(), re.M)
if not rows or rows[0] != "/cart":
    print("frontend endpoint rows:", rows); sys.exit(1)
P
if [ $BROWSER = 1 ] && [ -n "$html" ]; then
    CHROME=$(command -v chromium || command -v chromium-browser || true)
    if [ -z "$CHROME" ]; then
        bad "--browser: no chromium on PATH (apt-get install chromium)"
    else
        shot=${SHOT:-$T/shot.png}
        # console messages (script errors, CSP violations) go to stderr as
        # "CONSOLE(...)" / ":CONSOLE:" lines with --enable-logging=stderr
        timeout 60 "$CHROME" --headless --no-sandbox --disable-gpu --hide-scrollbars \
            --user-data-dir="$T/chrome" --enable-logging=stderr --v=0 \
            --window-size=1100,1900 --screenshot="$shot" "file://$html" \
            > "$T/chrome.out" 2> "$T/chrome.err"
        crc=$?
        [ $crc = 0 ] && [ -s "$shot" ] && ok "chromium renders the page (screenshot $(wc -c < "$shot") bytes)" ||
            bad "chromium exit $crc: $(tail -3 "$T/chrome.err")"
        if grep -iE "CONSOLE|Refused to|Uncaught" "$T/chrome.err" > "$T/console.txt"; then
            bad "console messages: $(head -5 "$T/console.txt")"
        else
            ok "no console error or CSP violation"
        fi
    fi
fi
echo "$pass passed, $fail failed"
[ $fail = 0 ]
