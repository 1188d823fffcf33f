#!/bin/sh
# bench/fixture_md5.sh [BIN] - md5 of `replay --json` over every fixture
# directory (and the plain-file and stdin forms of one): the result documents
# must not move when the hot path changes. Compare two runs with diff.
set -eu
cd "$(dirname "$0")/.."
BIN=${1:-./build/rel/faultline}
for d in fixtures/*/; do
    [ -f "$d/deploys.jsonl" ] || continue
    printf '%s ' "$(basename "$d")"
    "$BIN" replay --json --quiet --deploys "$d/deploys.jsonl" "$d"/logs-*.jsonl.zst | md5sum | cut -d' ' -f1
done
# one fixture through plain files and stdin as well (the reader's other paths)
d=fixtures/bad_deploy_errors
t=$(mktemp -d)
zstd -q -d -o "$t/logs-a.jsonl" "$d/logs-a.jsonl.zst"
zstd -q -d -o "$t/logs-b.jsonl" "$d/logs-b.jsonl.zst"
printf 'plain '
"$BIN" replay --json --quiet --deploys "$d/deploys.jsonl" "$t/logs-a.jsonl" "$t/logs-b.jsonl" | md5sum | cut -d' ' -f1
printf 'stdin '
"$BIN" replay --json --quiet --deploys "$d/deploys.jsonl" - < "$t/logs-a.jsonl" | md5sum | cut -d' ' -f1
rm -rf "$t"
