#!/usr/bin/env python3
"""jsonl_to_logfmt.py - rewrite JSON log lines as logfmt, for the check that
`faultline replay --format auto` finds the same incidents in both forms.

    python3 tests/samples/jsonl_to_logfmt.py IN [OUT]

IN is JSON lines, plain or .zst (read through the zstd command); OUT
(default stdout) gets one logfmt line per input line, in the same order:
keys as they come, nested objects flattened to dotted keys (as faultline
reads ECS), numbers written as their JSON text, strings bare when they can
be (no blank, '=', '"', '\\' or control byte, not empty) and otherwise
quoted with JSON's escapes, null left out (absent in both forms), true and
false as words, arrays as their JSON text, quoted. A line that is not a
JSON object is copied as it is.
"""
import json
import subprocess
import sys


class Num(str):
    """A JSON number, kept as its text."""


def quote(s):
    if s and not any(c in s for c in ' ="\\') and all(ord(c) > 0x20 and ord(c) != 0x7f for c in s):
        return s
    out = ['"']
    for c in s:
        if c == '"':
            out.append('\\"')
        elif c == '\\':
            out.append('\\\\')
        elif c == '\n':
            out.append('\\n')
        elif c == '\r':
            out.append('\\r')
        elif c == '\t':
            out.append('\\t')
        elif ord(c) < 0x20 or ord(c) == 0x7f:
            out.append('\\u%04x' % ord(c))
        else:
            out.append(c)
    out.append('"')
    return ''.join(out)


def pairs(obj, prefix=''):
    for k, v in obj.items():
        key = prefix + k
        if v is None:
            continue
        if isinstance(v, dict):
            yield from pairs(v, key + '.')
        elif isinstance(v, Num):
            yield key, str(v)
        elif isinstance(v, bool):
            yield key, 'true' if v else 'false'
        elif isinstance(v, list):
            yield key, quote(json.dumps(v, ensure_ascii=False))
        else:
            yield key, quote(v)


def convert(line):
    try:
        obj = json.loads(line, parse_float=Num, parse_int=Num)
    except ValueError:
        return line
    if not isinstance(obj, dict):
        return line
    return ' '.join('%s=%s' % (quote(k) if k else '""', v) for k, v in pairs(obj))


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__.strip().splitlines()[2].strip())
    src = sys.argv[1]
    if src.endswith('.zst'):
        data = subprocess.run(['zstd', '-dc', src], check=True,
                              stdout=subprocess.PIPE).stdout
    else:
        with open(src, 'rb') as f:
            data = f.read()
    out = open(sys.argv[2], 'w', encoding='utf-8', errors='surrogateescape') if len(sys.argv) == 3 else sys.stdout
    for raw in data.decode('utf-8', errors='surrogateescape').split('\n'):
        if raw == '':
            continue
        out.write(convert(raw) + '\n')
    if out is not sys.stdout:
        out.close()


if __name__ == '__main__':
    main()
