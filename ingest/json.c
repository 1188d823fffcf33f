/*
 * json.c - the JSON line decoder.
 *
 * Why hand-written: the hot path must decode millions of lines per second
 * per core, and a log line needs at most a dozen fields out of it. The JSON
 * libraries Debian 12 packages for C (json-c, jansson) build a tree of
 * heap-allocated nodes per document; bench/json_bench measures json-c at a
 * fraction of this decoder's rate on the same lines (see README). yyjson is
 * not packaged for Debian 12 and simdjson is C++. This decoder is a strict
 * validating scanner (RFC 8259 grammar, UTF-8 checked, depth-limited) that
 * skips values it does not need and never allocates per line: strings
 * without escapes are returned in place, escaped ones are unescaped into a
 * scratch buffer the decoder owns and reuses.
 *
 * Field names are matched by their dotted path, so the Elastic Common Schema
 * works flat ("service.name": ...) and nested ({"service": {"name": ...}}).
 */
#include "ingest_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define JSON_MAX_DEPTH 64
#define PATH_MAX_LEN FL_JSON_PATH_MAX

/* the field enum lives in ingest_int.h (shared by formats) */

/* How to add a key: one row here (the dotted path as it appears flat). */
#define KEY(path, f) {path, sizeof(path) - 1, f}
static const struct {
    const char *path;
    size_t n; /* strlen(path), so a lookup compares lengths first */
    field f;
} keys[] = {
    KEY("ts", F_TS),
    KEY("time", F_TS),
    KEY("timestamp", F_TS),
    KEY("@timestamp", F_TS),
    KEY("service", F_SERVICE),
    KEY("service.name", F_SERVICE),
    KEY("level", F_LEVEL),
    KEY("log.level", F_LEVEL),
    KEY("severity", F_LEVEL),
    KEY("status", F_STATUS),
    KEY("status_code", F_STATUS),
    KEY("http.response.status_code", F_STATUS),
    KEY("latency_ms", F_LAT_MS),
    KEY("duration_ms", F_LAT_MS),
    KEY("event.duration", F_LAT_NS),
    KEY("msg", F_MSG),
    KEY("message", F_MSG),
    KEY("kind", F_KIND),
    KEY("version", F_VERSION),
    KEY("service.version", F_VERSION),
    KEY("change_id", F_CHANGE_ID),
    KEY("author", F_AUTHOR),
    KEY("upstream", F_UPSTREAM),
    KEY("peer.service", F_UPSTREAM),
    KEY("upstream_cluster", F_UPSTREAM),
    KEY("service.target.name", F_UPSTREAM), /* ECS 8.7: the callee */
    KEY("trace_id", F_TRACE),
    KEY("trace.id", F_TRACE),
    KEY("traceId", F_TRACE),
    KEY("path", F_PATH),
    KEY("url.path", F_PATH),
    KEY("http.target", F_PATH),
    KEY("http.route", F_PATH),
    KEY("request_path", F_PATH),
    KEY("uri", F_PATH),
};
#undef KEY

/* value and the decoder struct live in ingest_int.h (shared by formats) */

typedef fl_jparser parser; /* ingest_int.h */

static bool read_hex4(parser *ps, unsigned *out)
{
    if (!fl_hex4(ps->p, ps->end, out))
        return fl_jp_fail(ps, FL_BAD_SYNTAX);
    ps->p += 4;
    return true;
}

/* Parses a string at ps->p (which is at the opening quote). When `want`,
 * the unescaped text is returned in *out (in place when it has no escapes,
 * else in the scratch buffer). */
static bool parse_string(parser *ps, bool want, fl_str *out)
{
    ps->p++; /* opening quote */
    const char *s = ps->p;
    /* fast scan: plain ASCII without escapes */
    while (ps->p < ps->end) {
        unsigned char c = (unsigned char)*ps->p;
        if (c == '"') {
            if (want) {
                out->p = s;
                out->n = (size_t)(ps->p - s);
            }
            ps->p++;
            return true;
        }
        if (c == '\\' || c < 0x20 || c >= 0x80)
            break;
        ps->p++;
    }
    /* slow path: escapes, control characters, UTF-8 */
    fl_decoder *dec = ps->dec;
    char *d = NULL;
    if (want) {
        d = dec->scratch + dec->scratch_n;
        memcpy(d, s, (size_t)(ps->p - s));
        d += ps->p - s;
    }
    while (ps->p < ps->end) {
        unsigned char c = (unsigned char)*ps->p;
        if (c == '"') {
            ps->p++;
            if (want) {
                out->p = dec->scratch + dec->scratch_n;
                out->n = (size_t)(d - out->p);
                dec->scratch_n += out->n;
            }
            return true;
        }
        if (c < 0x20)
            return fl_jp_fail(ps, FL_BAD_SYNTAX);
        if (c >= 0x80) {
            size_t k = fl_utf8_seq_len((const unsigned char *)ps->p,
                                       (size_t)(ps->end - ps->p));
            if (!k)
                return fl_jp_fail(ps, FL_BAD_UTF8);
            if (want) {
                memcpy(d, ps->p, k);
                d += k;
            }
            ps->p += k;
            continue;
        }
        if (c != '\\') {
            if (want)
                *d++ = (char)c;
            ps->p++;
            continue;
        }
        ps->p++;
        if (ps->p >= ps->end)
            return fl_jp_fail(ps, FL_BAD_SYNTAX);
        char e = *ps->p++;
        char r;
        switch (e) {
        case '"': r = '"'; break;
        case '\\': r = '\\'; break;
        case '/': r = '/'; break;
        case 'b': r = '\b'; break;
        case 'f': r = '\f'; break;
        case 'n': r = '\n'; break;
        case 'r': r = '\r'; break;
        case 't': r = '\t'; break;
        case 'u': {
            unsigned cp;
            if (!read_hex4(ps, &cp))
                return false;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                unsigned hi = cp, lo;
                const char *save = ps->p;
                cp = 0xFFFD; /* a lone high surrogate */
                if (ps->end - ps->p >= 6 && ps->p[0] == '\\' && ps->p[1] == 'u') {
                    ps->p += 2;
                    if (!read_hex4(ps, &lo))
                        return false;
                    if (lo >= 0xDC00 && lo <= 0xDFFF)
                        cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                    else
                        ps->p = save; /* not a pair: that escape stands alone */
                }
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                cp = 0xFFFD;
            }
            /* \u0000 would end C strings early; keep it visible instead */
            if (cp == 0)
                cp = 0xFFFD;
            if (want)
                d += fl_put_utf8(d, cp);
            continue;
        }
        default:
            return fl_jp_fail(ps, FL_BAD_SYNTAX);
        }
        if (want)
            *d++ = r;
    }
    return fl_jp_fail(ps, FL_BAD_SYNTAX);
}

static bool parse_number(parser *ps, value *v)
{
    const char *s = ps->p;
    if (ps->p < ps->end && *ps->p == '-')
        ps->p++;
    if (ps->p >= ps->end)
        return fl_jp_fail(ps, FL_BAD_SYNTAX);
    if (*ps->p == '0') {
        ps->p++;
    } else if (*ps->p >= '1' && *ps->p <= '9') {
        while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
            ps->p++;
    } else {
        return fl_jp_fail(ps, FL_BAD_SYNTAX);
    }
    if (ps->p < ps->end && *ps->p == '.') {
        ps->p++;
        if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
            return fl_jp_fail(ps, FL_BAD_SYNTAX);
        while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
            ps->p++;
    }
    if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
        ps->p++;
        if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
            ps->p++;
        if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
            return fl_jp_fail(ps, FL_BAD_SYNTAX);
        while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
            ps->p++;
    }
    if (v) {
        v->t = V_NUM;
        v->s.p = s;
        v->s.n = (size_t)(ps->p - s);
        /* the line is NUL-terminated and the number's text is a valid JSON
         * number, so strtod stops exactly at its end */
        if (!fl_decimal_fast(s, v->s.n, &v->num))
            v->num = strtod(s, NULL);
    }
    return true;
}

static bool literal(parser *ps, const char *lit, size_t n)
{
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, lit, n) != 0)
        return fl_jp_fail(ps, FL_BAD_SYNTAX);
    ps->p += n;
    return true;
}

field fl_json_lookup(const char *path, size_t n)
{
    for (size_t i = 0; i < FL_ARRAY_LEN(keys); i++)
        if (keys[i].n == n && keys[i].path[0] == path[0] &&
            memcmp(keys[i].path, path, n) == 0)
            return keys[i].f;
    return F_NONE;
}

static bool parse_value(parser *ps, int depth, size_t plen);

/* Parses an object; plen is the length of the dotted path leading to it
 * (0 at top level), or SIZE_MAX when no key inside can matter. */
static bool parse_object(parser *ps, int depth, size_t plen)
{
    fl_decoder *dec = ps->dec;
    if (fl_jp_open_empty(ps, '}'))
        return true;
    for (;;) {
        fl_jp_ws(ps);
        if (ps->p >= ps->end || *ps->p != '"')
            return fl_jp_fail(ps, FL_BAD_SYNTAX);
        fl_str key = FL_STR_NULL;
        size_t mark = dec->scratch_n;
        if (!parse_string(ps, true, &key))
            return false;
        dec->scratch_n = mark; /* keys need not outlive this loop */
        size_t klen = SIZE_MAX;
        if (plen != SIZE_MAX && key.n > 0) {
            size_t need = plen + (plen ? 1 : 0) + key.n;
            if (need <= PATH_MAX_LEN) {
                if (plen)
                    dec->path[plen] = '.';
                memcpy(dec->path + plen + (plen ? 1 : 0), key.p, key.n);
                klen = need;
            }
        }
        if (!fl_jp_colon(ps))
            return false;
        if (!parse_value(ps, depth + 1, klen))
            return false;
        int more = fl_jp_next(ps, '}');
        if (more <= 0)
            return more == 0;
    }
}

bool fl_jp_array(fl_jparser *ps, int depth, fl_jp_element_fn fn, void *ctx)
{
    if (fl_jp_open_empty(ps, ']'))
        return true;
    for (;;) {
        fl_jp_ws(ps);
        if (!fn(ps, depth + 1, ctx))
            return false;
        int more = fl_jp_next(ps, ']');
        if (more <= 0)
            return more == 0;
    }
}

/* An element nobody keeps: validated and skipped. */
static bool skip_element(fl_jparser *ps, int depth, void *ctx)
{
    (void)ctx;
    return parse_value(ps, depth, SIZE_MAX);
}

static bool parse_array(parser *ps, int depth)
{
    return fl_jp_array(ps, depth, skip_element, NULL);
}

/* A string, literal or number at ps->p (not at end), into v when not NULL;
 * inline, as it sits on every value of a line. */
static inline bool parse_scalar(parser *ps, value *v)
{
    switch (*ps->p) {
    case '"': {
        fl_str s;
        if (!parse_string(ps, v != NULL, &s))
            return false;
        if (v) {
            v->t = V_STR;
            v->s = s;
        }
        return true;
    }
    case 't':
        if (v)
            v->t = V_OTHER;
        return literal(ps, "true", 4);
    case 'f':
        if (v)
            v->t = V_OTHER;
        return literal(ps, "false", 5);
    case 'n':
        if (v)
            v->t = V_NONE; /* null is absence */
        return literal(ps, "null", 4);
    default:
        return parse_number(ps, v);
    }
}

/* plen: length of this value's dotted path in dec->path, SIZE_MAX if it
 * cannot be a known field. */
static bool parse_value(parser *ps, int depth, size_t plen)
{
    if (depth > JSON_MAX_DEPTH)
        return fl_jp_fail(ps, FL_BAD_TOO_DEEP);
    if (ps->p >= ps->end)
        return fl_jp_fail(ps, FL_BAD_SYNTAX);
    field f = plen != SIZE_MAX && plen > 0 ? fl_field_of(ps->dec, ps->dec->path, plen)
                                           : F_NONE;
    value *v = f ? &ps->dec->v[f] : NULL;
    switch (*ps->p) {
    case '{':
        /* an object at a known key leaves it unset: {"service": {"name":
         * ...}} fills the key from inside */
        return parse_object(ps, depth, plen);
    case '[':
        return parse_array(ps, depth);
    default:
        return parse_scalar(ps, v);
    }
}

/* -------------------------------------------------------- event mapping */

static fl_level level_from_str(fl_str s)
{
    static const struct {
        const char *name;
        fl_level l;
    } names[] = {
        {"trace", FL_LEVEL_TRACE},   {"debug", FL_LEVEL_DEBUG},
        {"info", FL_LEVEL_INFO},     {"information", FL_LEVEL_INFO},
        {"notice", FL_LEVEL_INFO},   {"warn", FL_LEVEL_WARN},
        {"warning", FL_LEVEL_WARN},  {"error", FL_LEVEL_ERROR},
        {"err", FL_LEVEL_ERROR},     {"fatal", FL_LEVEL_FATAL},
        {"critical", FL_LEVEL_FATAL}, {"crit", FL_LEVEL_FATAL},
        {"emerg", FL_LEVEL_FATAL},   {"emergency", FL_LEVEL_FATAL},
        {"alert", FL_LEVEL_FATAL},   {"panic", FL_LEVEL_FATAL},
    };
    for (size_t i = 0; i < FL_ARRAY_LEN(names); i++)
        if (fl_str_eq_nocase(s, names[i].name))
            return names[i].l;
    return FL_LEVEL_NONE;
}

/* Numeric levels as bunyan/pino write them (10 trace .. 60 fatal). */
static fl_level level_from_num(double v)
{
    if (v >= 60)
        return FL_LEVEL_FATAL;
    if (v >= 50)
        return FL_LEVEL_ERROR;
    if (v >= 40)
        return FL_LEVEL_WARN;
    if (v >= 30)
        return FL_LEVEL_INFO;
    if (v >= 20)
        return FL_LEVEL_DEBUG;
    return FL_LEVEL_TRACE;
}

/* A number from a JSON number or a numeric string. */
bool fl_json_value_num(const value *v, double *out)
{
    if (v->t == V_NUM) {
        *out = v->num;
        return true;
    }
    if (v->t != V_STR || v->s.n == 0 || v->s.n > 40)
        return false;
    /* a decimal number and nothing else: strtod alone would also take hex,
     * "nan", "inf" and leading blanks */
    char c0 = v->s.p[0];
    if (!(c0 == '-' || (c0 >= '0' && c0 <= '9')))
        return false;
    /* the common short plain decimal, exactly as strtod reads it */
    if (fl_decimal_fast(v->s.p, v->s.n, out))
        return true;
    for (size_t i = 0; i < v->s.n; i++)
        if (!strchr("0123456789+-.eE", v->s.p[i]))
            return false;
    char tmp[48];
    memcpy(tmp, v->s.p, v->s.n);
    tmp[v->s.n] = '\0';
    char *end;
    double d = strtod(tmp, &end);
    if (*end != '\0' || !isfinite(d))
        return false;
    *out = d;
    return true;
}

/* A request's path: an absolute URI's path ("https://h/x?q" -> "/x"),
 * the query and fragment cut off; none when empty or longer than
 * FL_PATH_MAX (not an error: only the endpoint is lost). The bytes are
 * kept as sent (the report's templates mask and escape them). */
static fl_str request_path(fl_str s)
{
    const char *p = s.p, *end = s.p + s.n;
    const char *sch = s.n > 3 && s.p[0] != '/' ? memchr(p, ':', s.n) : NULL;
    if (sch && end - sch > 3 && sch[1] == '/' && sch[2] == '/') {
        p = memchr(sch + 3, '/', (size_t)(end - sch - 3));
        if (!p)
            return fl_str_c("/");
    }
    const char *q = p;
    while (q < end && *q != '?' && *q != '#')
        q++;
    size_t n = (size_t)(q - p);
    if (n == 0 || n > FL_PATH_MAX)
        return FL_STR_NULL;
    return (fl_str){p, n};
}

static bool parse_change_kind(fl_str s, fl_change_kind *k)
{
    if (fl_str_eq(s, "deploy"))
        *k = FL_CHANGE_DEPLOY;
    else if (fl_str_eq(s, "config"))
        *k = FL_CHANGE_CONFIG;
    else if (fl_str_eq(s, "rollback"))
        *k = FL_CHANGE_ROLLBACK;
    else if (fl_str_eq(s, "flag"))
        *k = FL_CHANGE_FLAG;
    else
        return false;
    return true;
}

bool fl_json_decode(fl_decoder *dec, fl_str line, fl_event *ev,
                    fl_bad_reason *why)
{
    return fl_json_scan(dec, line, why) && fl_json_event(dec, ev, why);
}

bool fl_json_scan(fl_decoder *dec, fl_str line, fl_bad_reason *why)
{
    fl_decoder_scratch(dec, line.n + 8);
    memset(dec->v, 0, sizeof dec->v);
    parser ps = {line.p, line.p + line.n, dec, FL_BAD_SYNTAX, false};
    fl_jp_ws(&ps);
    if (ps.p >= ps.end || *ps.p != '{') {
        *why = FL_BAD_SYNTAX;
        return false;
    }
    if (!parse_object(&ps, 1, 0)) {
        *why = ps.why;
        return false;
    }
    fl_jp_ws(&ps);
    if (ps.p != ps.end) {
        *why = FL_BAD_SYNTAX;
        return false;
    }
    return true;
}

bool fl_json_event(fl_decoder *dec, fl_event *ev, fl_bad_reason *why)
{
    const value *v = dec->v;
    memset(ev, 0, sizeof *ev);
    ev->latency_ms = NAN;
    ev->value = NAN;

    /* time */
    if (v[F_TS].t == V_NONE) {
        *why = FL_BAD_NO_TIMESTAMP;
        return false;
    }
    bool ok = false;
    if (v[F_TS].t == V_STR)
        ok = fl_time_parse(v[F_TS].s, &ev->ts);
    else if (v[F_TS].t == V_NUM) /* from its text: exact to the ns */
        ok = fl_time_parse(v[F_TS].s, &ev->ts) ||
             fl_time_from_epoch(v[F_TS].num, &ev->ts);
    if (!ok || !fl_time_in_range(ev->ts)) {
        *why = FL_BAD_TIMESTAMP;
        return false;
    }
    /* service */
    if (v[F_SERVICE].t != V_STR || !fl_valid_service(v[F_SERVICE].s)) {
        *why = FL_BAD_NO_SERVICE;
        return false;
    }
    ev->service = v[F_SERVICE].s;
    if (v[F_VERSION].t == V_STR)
        ev->version = v[F_VERSION].s;

    /* a change event? */
    if (v[F_KIND].t == V_STR && parse_change_kind(v[F_KIND].s, &ev->change_kind)) {
        ev->kind = FL_EV_CHANGE;
        if (v[F_CHANGE_ID].t == V_STR)
            ev->change_id = v[F_CHANGE_ID].s;
        if (v[F_AUTHOR].t == V_STR)
            ev->author = v[F_AUTHOR].s;
        if (v[F_MSG].t == V_STR)
            ev->msg = v[F_MSG].s;
        return true;
    }

    ev->kind = FL_EV_REQUEST;
    if (v[F_LEVEL].t == V_STR)
        ev->level = level_from_str(v[F_LEVEL].s);
    else if (v[F_LEVEL].t == V_NUM)
        ev->level = level_from_num(v[F_LEVEL].num);
    if (v[F_STATUS].t != V_NONE) {
        double st;
        if (!fl_json_value_num(&v[F_STATUS], &st) || !(st >= 100 && st <= 599) ||
            st != floor(st)) {
            *why = FL_BAD_VALUE;
            return false;
        }
        ev->status = (int)st;
    }
    double lat;
    if (v[F_LAT_MS].t != V_NONE) {
        if (!fl_json_value_num(&v[F_LAT_MS], &lat)) {
            *why = FL_BAD_VALUE;
            return false;
        }
        ev->latency_ms = lat;
    } else {
        /* the other units (a field map's latency_s and latency_us) */
        static const struct {
            field f;
            double to_ms;
        } units[] = {{F_LAT_S, 1e3}, {F_LAT_US, 1e-3}, {F_LAT_NS, 1e-6}};
        for (size_t i = 0; i < FL_ARRAY_LEN(units); i++) {
            if (v[units[i].f].t == V_NONE)
                continue;
            if (!fl_json_value_num(&v[units[i].f], &lat)) {
                *why = FL_BAD_VALUE;
                return false;
            }
            ev->latency_ms = lat * units[i].to_ms;
            break;
        }
    }
    /* a latency must be a duration a request could have taken: NaN,
     * negative or over a day is a broken producer */
    if (!isnan(ev->latency_ms) &&
        !(ev->latency_ms >= 0 && ev->latency_ms <= 86400e3)) {
        *why = FL_BAD_VALUE;
        return false;
    }
    if (v[F_MSG].t == V_STR)
        ev->msg = v[F_MSG].s;
    if (v[F_UPSTREAM].t == V_STR && fl_valid_service(v[F_UPSTREAM].s))
        ev->upstream = v[F_UPSTREAM].s;
    /* a trace id: only for learning call edges; ids longer than any
     * tracer's (W3C: 32 hex) are ignored, not an error */
    if (v[F_TRACE].t == V_STR && v[F_TRACE].s.n >= 1 && v[F_TRACE].s.n <= 64)
        ev->trace_id = v[F_TRACE].s;
    if (v[F_PATH].t == V_STR)
        ev->path = request_path(v[F_PATH].s);
    return true;
}

/* ------------------------------------------------ the scanner, exported */

bool fl_jp_string(fl_jparser *ps, bool want, fl_str *out)
{
    if (ps->p >= ps->end || *ps->p != '"')
        return fl_jp_fail(ps, FL_BAD_SYNTAX);
    return parse_string(ps, want, out);
}

bool fl_jp_value(fl_jparser *ps, int depth, value *v)
{
    if (depth > JSON_MAX_DEPTH)
        return fl_jp_fail(ps, FL_BAD_TOO_DEEP);
    if (ps->p >= ps->end)
        return fl_jp_fail(ps, FL_BAD_SYNTAX);
    switch (*ps->p) {
    case '{':
        if (v)
            v->t = V_OTHER;
        return parse_object(ps, depth, SIZE_MAX);
    case '[':
        if (v)
            v->t = V_OTHER;
        return parse_array(ps, depth);
    default:
        return parse_scalar(ps, v);
    }
}

bool fl_json_decode_line(fl_decoder *dec, fl_str line, fl_str fallback,
                         fl_event *ev, fl_bad_reason *why)
{
    (void)fallback;
    return fl_json_decode(dec, line, ev, why);
}

bool fl_json_sniff(fl_str line)
{
    size_t i = 0;
    while (i < line.n && (line.p[i] == ' ' || line.p[i] == '\t'))
        i++;
    return i < line.n && line.p[i] == '{';
}
