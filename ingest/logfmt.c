/*
 * logfmt.c - the logfmt line decoder: `ts=... service=api level=error
 * msg="upstream timed out" status=502 latency_ms=31.5`.
 *
 * Grammar as github.com/go-logfmt reads it: pairs separated by whitespace
 * (any byte <= ' '); a key is a run of bytes > ' ' other than '=' and '"';
 * `key` alone, `key=` and `key=""` carry no value; a bare value runs to the
 * next whitespace and may not hold '=' or '"'; a quoted value takes JSON's
 * backslash escapes (\" \\ \/ \' \b \f \n \r \t \uXXXX with surrogate
 * pairs). Stricter than go-logfmt where it would pass garbage on: the line
 * must be valid UTF-8 (go-logfmt substitutes U+FFFD) and a quoted value may
 * not hold raw control bytes other than tab.
 *
 * Keys are the JSON decoder's (json.c's table: ts/time/timestamp, service,
 * level, status, latency_ms/duration_ms, msg/message, upstream, kind,
 * version, change_id, author, and the dotted ECS names), collected into
 * dec->v as text and turned into an event by fl_json_event, so a logfmt
 * line is validated exactly as the same keys in JSON would be. A number in
 * `level` counts as a number (bunyan's 50 is error), as in JSON. The last
 * of repeated keys wins. Nothing is allocated per line: values without
 * escapes point into the line, escaped ones are unescaped into the
 * decoder's scratch buffer.
 */
#include "ingest_int.h"

#include <stdlib.h>
#include <string.h>

/* A quoted value at *pp (at the opening quote). Returns its text, in place
 * when it has no escapes, else unescaped into the scratch buffer (escapes
 * never lengthen the text, so the line's length is enough room). */
static bool quoted(fl_decoder *dec, const char **pp, const char *end,
                   fl_str *out)
{
    const char *p = *pp + 1, *s = p;
    while (p < end && *p != '"' && *p != '\\') {
        if ((unsigned char)*p < 0x20 && *p != '\t')
            return false;
        p++;
    }
    if (p < end && *p == '"') {
        *out = (fl_str){s, (size_t)(p - s)};
        *pp = p + 1;
        return true;
    }
    char *d0 = dec->scratch + dec->scratch_n, *d = d0;
    memcpy(d, s, (size_t)(p - s));
    d += p - s;
    while (p < end) {
        unsigned char c = (unsigned char)*p;
        if (c == '"') {
            *out = (fl_str){d0, (size_t)(d - d0)};
            dec->scratch_n += out->n;
            *pp = p + 1;
            return true;
        }
        if (c < 0x20 && c != '\t')
            return false;
        if (c != '\\') {
            *d++ = (char)c;
            p++;
            continue;
        }
        if (++p >= end)
            return false;
        char e = *p++;
        switch (e) {
        case '"': *d++ = '"'; break;
        case '\\': *d++ = '\\'; break;
        case '/': *d++ = '/'; break;
        case '\'': *d++ = '\''; break;
        case 'b': *d++ = '\b'; break;
        case 'f': *d++ = '\f'; break;
        case 'n': *d++ = '\n'; break;
        case 'r': *d++ = '\r'; break;
        case 't': *d++ = '\t'; break;
        case 'u': {
            unsigned cp, lo;
            if (!fl_hex4(p, end, &cp))
                return false;
            p += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                unsigned hi = cp;
                cp = 0xFFFD; /* a lone high surrogate */
                if (end - p >= 6 && p[0] == '\\' && p[1] == 'u' &&
                    fl_hex4(p + 2, end, &lo) && lo >= 0xDC00 && lo <= 0xDFFF) {
                    cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                    p += 6;
                }
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                cp = 0xFFFD;
            }
            if (cp == 0) /* keep C strings whole, as json.c does */
                cp = 0xFFFD;
            d += fl_put_utf8(d, cp);
            break;
        }
        default:
            return false;
        }
    }
    return false; /* unterminated */
}

/* A decimal number and nothing else ("50", "-1.5e3"). */
static bool numeric(fl_str s, double *out)
{
    if (s.n == 0 || s.n > 40)
        return false;
    char c0 = s.p[0];
    if (!(c0 == '-' || (c0 >= '0' && c0 <= '9')))
        return false;
    char tmp[48];
    for (size_t i = 0; i < s.n; i++) {
        if (!strchr("0123456789+-.eE", s.p[i]))
            return false;
        tmp[i] = s.p[i];
    }
    tmp[s.n] = '\0';
    char *e;
    *out = strtod(tmp, &e);
    return *e == '\0';
}

bool fl_logfmt_scan(fl_decoder *dec, fl_str line, fl_bad_reason *why)
{
    memset(dec->v, 0, sizeof dec->v);
    if (!fl_utf8_valid(line.p, line.n)) {
        *why = FL_BAD_UTF8;
        return false;
    }
    fl_decoder_scratch(dec, line.n + 8);
    const char *p = line.p, *end = line.p + line.n;
    for (;;) {
        while (p < end && (unsigned char)*p <= ' ')
            p++;
        if (p == end)
            break;
        const char *k = p;
        while (p < end && (unsigned char)*p > ' ' && *p != '=' && *p != '"')
            p++;
        fl_str key = {k, (size_t)(p - k)};
        if (key.n == 0 || (p < end && *p == '"')) { /* `=x`, `a"b` */
            *why = FL_BAD_SYNTAX;
            return false;
        }
        value val = {V_NONE, FL_STR_NULL, 0};
        bool bare = false;
        if (p < end && *p == '=') {
            p++;
            if (p < end && *p == '"') {
                if (!quoted(dec, &p, end, &val.s)) {
                    *why = FL_BAD_SYNTAX;
                    return false;
                }
            } else {
                const char *s = p;
                while (p < end && (unsigned char)*p > ' ') {
                    if (*p == '=' || *p == '"') {
                        *why = FL_BAD_SYNTAX;
                        return false;
                    }
                    p++;
                }
                val.s = (fl_str){s, (size_t)(p - s)};
                bare = true;
            }
            if (val.s.n)
                val.t = V_STR;
        }
        field f = fl_field_of(dec, key.p, key.n);
        if (f == F_NONE)
            continue;
        /* a number in `level` is a numeric level, as in JSON */
        if (f == F_LEVEL && bare && val.t == V_STR && numeric(val.s, &val.num))
            val.t = V_NUM;
        dec->v[f] = val;
    }
    return true;
}

bool fl_logfmt_decode(fl_decoder *dec, fl_str line, fl_event *ev,
                      fl_bad_reason *why)
{
    return fl_logfmt_scan(dec, line, why) && fl_json_event(dec, ev, why);
}

bool fl_logfmt_decode_line(fl_decoder *dec, fl_str line, fl_str fallback,
                           fl_event *ev, fl_bad_reason *why)
{
    (void)fallback; /* as JSON: a logfmt line names its service */
    return fl_logfmt_decode(dec, line, ev, why);
}

/* Skips one value (bare or quoted) at p; returns where it ends. */
static const char *skip_value(const char *p, const char *end)
{
    if (p < end && *p == '"') {
        for (p++; p < end && *p != '"'; p++)
            if (*p == '\\' && p + 1 < end)
                p++;
        return p < end ? p + 1 : p;
    }
    while (p < end && (unsigned char)*p > ' ')
        p++;
    return p;
}

/* For auto: the first token is `key=` with a key of the JSON table, or the
 * line has at least two key=value pairs. One pass, no allocation. */
bool fl_logfmt_sniff(fl_str line)
{
    const char *p = line.p, *end = line.p + line.n;
    int pairs = 0;
    for (bool first = true;; first = false) {
        while (p < end && (unsigned char)*p <= ' ')
            p++;
        if (p == end)
            return false;
        const char *k = p;
        while (p < end && (unsigned char)*p > ' ' && *p != '=' && *p != '"')
            p++;
        if (p < end && *p == '=' && p > k) {
            if (first && fl_json_lookup(k, (size_t)(p - k)) != F_NONE)
                return true;
            if (++pairs == 2)
                return true;
            p = skip_value(p + 1, end);
        } else {
            p = skip_value(p, end); /* a word, or a stray quoted part */
        }
    }
}
