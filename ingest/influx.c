/*
 * influx.c - the Influx line protocol, as Telegraf writes it (to Kafka, to
 * files):
 *
 *     measurement[,tag=value...] field=value[,field=value...] [timestamp]
 *
 * Escapes (InfluxDB line protocol reference): in the measurement, tag keys,
 * tag values and field keys a backslash before ',', '=', ' ' or '\' stands
 * for that character (any other backslash is literal); in a string field
 * value, \" and \\ stand for '"' and '\'. Field values: float (1, -1.5,
 * 1e+78), integer (12i), unsigned (12u), boolean (t, T, true, True, TRUE,
 * f, ...), string ("..."). The timestamp is Unix nanoseconds; other epoch
 * units are recognised by magnitude, as everywhere in faultline.
 *
 * Events. Every numeric field is one FL_EV_METRIC event (the first returned,
 * the rest queued with fl_decoder_push); booleans are numeric, 1 and 0 (a
 * health flag that flips is worth noticing); string fields are ignored.
 *   service   the `service` tag, else the `host` tag, else the fallback
 *             (replay: the file name; consume: the topic);
 *   metric    `measurement.field`, followed by the line's other tags in
 *             braces, sorted by key, when it has any:
 *                 cpu,cpu=cpu0,host=web1 usage_user=3.5
 *             is metric `cpu.usage_user{cpu=cpu0}` of service web1. Tags
 *             name distinct series (a core, a disk, an interface), and
 *             mixing those samples would make one meaningless series; the
 *             lp_tag that named the service is left out (it is the service).
 * Names are unescaped into the decoder's scratch and stay valid until the
 * next line. A name longer than FL_METRIC_NAME_MAX bytes, more than
 * MAX_TAGS tags or more than MAX_FIELDS numeric fields make the line a bad
 * value; so does a line without a numeric field.
 *
 * Rejections: invalid UTF-8; a syntax error anywhere (a `#` comment line
 * included: it carries nothing; a NUL byte too); no timestamp (missing_timestamp: faultline
 * runs on event time, and a receiver's clock is not that); a timestamp out
 * of 2000..2099; no usable service; an integer out of range or a float
 * that overflows (bad_value).
 *
 * Sniffing for `--format auto` is deliberately narrow: a measurement token
 * with no '=' before the first unescaped ',' or ' ' (logfmt's first token
 * is key=value), a `key=value` after the first space, and a line ending in
 * a 19-digit timestamp (what Telegraf writes). Other Influx lines decode
 * with `--format influx`.
 */
#include "ingest_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TAGS 256
#define MAX_FIELDS 1024

typedef struct {
    fl_str key, val; /* raw (escaped) spans, then unescaped into scratch */
} lp_tag;

typedef struct {
    fl_str key; /* raw span */
    double v;
} lp_field;

typedef struct {
    lp_tag *tags;
    uint32_t ntags, tags_cap;
    lp_field *fields;
    uint32_t nfields, fields_cap;
    uint32_t *order; /* tags sorted by key, for the name's suffix */
} influx_state;

void fl_influx_free(void *state)
{
    influx_state *st = state;
    if (!st)
        return;
    free(st->tags);
    free(st->fields);
    free(st->order);
    free(st);
}

static influx_state *state_of(fl_decoder *dec)
{
    influx_state *st = dec->state[FL_FORMAT_INFLUX];
    if (!st) {
        st = fl_calloc(1, sizeof *st);
        dec->state[FL_FORMAT_INFLUX] = st;
    }
    return st;
}

/* ------------------------------------------------------------- scanning */

/* The end of an identifier (measurement, tag key or value, field key)
 * starting at p: the first unescaped byte of `stops` (or end). */
static const char *scan_ident(const char *p, const char *end, const char *stops)
{
    while (p < end) {
        if (*p == '\\' && p + 1 < end) {
            p += 2;
            continue;
        }
        if (*p && strchr(stops, *p))
            return p;
        p++;
    }
    return p;
}

/* Unescapes an identifier into d; returns the bytes written. */
static size_t unescape_ident(fl_str s, char *d)
{
    size_t k = 0;
    for (size_t i = 0; i < s.n; i++) {
        char c = s.p[i];
        if (c == '\\' && i + 1 < s.n &&
            (s.p[i + 1] == ',' || s.p[i + 1] == '=' || s.p[i + 1] == ' ' ||
             s.p[i + 1] == '\\')) {
            c = s.p[++i];
        }
        d[k++] = c;
    }
    return k;
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* Booleans as the reference spells them. */
static int parse_bool(fl_str t)
{
    static const char *const yes[] = {"t", "T", "true", "True", "TRUE"};
    static const char *const no[] = {"f", "F", "false", "False", "FALSE"};
    for (size_t i = 0; i < FL_ARRAY_LEN(yes); i++) {
        if (fl_str_eq(t, yes[i]))
            return 1;
        if (fl_str_eq(t, no[i]))
            return 0;
    }
    return -1;
}

typedef enum { NUM_OK, NUM_SYNTAX, NUM_RANGE } num_status;

/* An unquoted field value: integer (-12i), unsigned (12u) or float
 * (-1.5, 1e+78, .5, 1.); booleans are handled by the caller. */
static num_status parse_num(fl_str t, double *out)
{
    const char *p = t.p, *end = t.p + t.n;
    if (t.n == 0)
        return NUM_SYNTAX;
    char last = end[-1];
    if (last == 'i' || last == 'u') {
        bool neg = p < end - 1 && *p == '-' && last == 'i';
        const char *q = p + neg;
        if (q >= end - 1)
            return NUM_SYNTAX;
        uint64_t v = 0;
        bool over = false;
        for (; q < end - 1; q++) {
            if (!is_digit(*q))
                return NUM_SYNTAX;
            unsigned dg = (unsigned)(*q - '0');
            if (v > (UINT64_MAX - dg) / 10)
                over = true;
            else
                v = v * 10 + dg;
        }
        if (over)
            return NUM_RANGE;
        if (last == 'i') {
            uint64_t lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
            if (v > lim)
                return NUM_RANGE;
            *out = neg ? -(double)v : (double)v;
        } else {
            *out = (double)v;
        }
        return NUM_OK;
    }
    /* float: -?(digits[.digits*]|.digits)([eE][+-]?digits)? */
    const char *q = p;
    if (*q == '-')
        q++;
    size_t mant = 0;
    while (q < end && is_digit(*q)) {
        q++;
        mant++;
    }
    if (q < end && *q == '.') {
        q++;
        while (q < end && is_digit(*q)) {
            q++;
            mant++;
        }
    }
    if (mant == 0)
        return NUM_SYNTAX;
    if (q < end && (*q == 'e' || *q == 'E')) {
        q++;
        if (q < end && (*q == '+' || *q == '-'))
            q++;
        size_t ed = 0;
        while (q < end && is_digit(*q)) {
            q++;
            ed++;
        }
        if (ed == 0)
            return NUM_SYNTAX;
    }
    if (q != end)
        return NUM_SYNTAX;
    /* the grammar above leaves strtod no choice but to stop exactly at
     * end, which is ',', ' ' or the line's NUL; copy to be independent of
     * what follows anyway */
    char tmp[64];
    double d;
    if (t.n < sizeof tmp) {
        memcpy(tmp, p, t.n);
        tmp[t.n] = '\0';
        d = strtod(tmp, NULL);
    } else {
        char *big = fl_strndup(p, t.n);
        d = strtod(big, NULL);
        free(big);
    }
    if (!isfinite(d))
        return NUM_RANGE;
    *out = d;
    return NUM_OK;
}

static void push_tag(influx_state *st, fl_str k, fl_str v)
{
    if (st->ntags == st->tags_cap) {
        st->tags_cap = st->tags_cap ? st->tags_cap * 2 : 16;
        st->tags = fl_realloc(st->tags, st->tags_cap * sizeof *st->tags);
        st->order = fl_realloc(st->order, st->tags_cap * sizeof *st->order);
    }
    st->tags[st->ntags++] = (lp_tag){k, v};
}

static void push_field(influx_state *st, fl_str k, double v)
{
    if (st->nfields == st->fields_cap) {
        st->fields_cap = st->fields_cap ? st->fields_cap * 2 : 16;
        st->fields = fl_realloc(st->fields, st->fields_cap * sizeof *st->fields);
    }
    st->fields[st->nfields++] = (lp_field){k, v};
}

static int str_cmp(fl_str a, fl_str b)
{
    size_t n = a.n < b.n ? a.n : b.n;
    int c = n ? memcmp(a.p, b.p, n) : 0;
    if (c)
        return c;
    return a.n < b.n ? -1 : a.n > b.n;
}

/* --------------------------------------------------------------- decode */

bool fl_influx_decode_line(fl_decoder *dec, fl_str line, fl_str fallback,
                           fl_event *ev, fl_bad_reason *why)
{
    influx_state *st = state_of(dec);
    st->ntags = st->nfields = 0;
    if (!fl_utf8_valid(line.p, line.n)) {
        *why = FL_BAD_UTF8;
        return false;
    }
    if (memchr(line.p, '\0', line.n)) { /* no name may hold one */
        *why = FL_BAD_SYNTAX;
        return false;
    }
    const char *p = line.p, *end = line.p + line.n;
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    *why = FL_BAD_SYNTAX;
    if (p == end || *p == '#')
        return false;

    /* measurement */
    const char *q = scan_ident(p, end, ", ");
    fl_str meas = {p, (size_t)(q - p)};
    if (meas.n == 0)
        return false;
    p = q;
    /* tags */
    while (p < end && *p == ',') {
        p++;
        q = scan_ident(p, end, "=, ");
        if (q == p || q == end || *q != '=')
            return false;
        fl_str k = {p, (size_t)(q - p)};
        p = q + 1;
        q = scan_ident(p, end, ", ");
        if (q == p)
            return false;
        if (st->ntags == MAX_TAGS) {
            *why = FL_BAD_VALUE;
            return false;
        }
        push_tag(st, k, (fl_str){p, (size_t)(q - p)});
        p = q;
    }
    if (p == end || *p != ' ')
        return false;
    while (p < end && *p == ' ')
        p++;
    /* fields */
    bool range = false;
    for (;;) {
        q = scan_ident(p, end, "=, ");
        if (q == p || q == end || *q != '=')
            return false;
        fl_str k = {p, (size_t)(q - p)};
        p = q + 1;
        if (p == end)
            return false;
        if (*p == '"') {
            p++;
            while (p < end && *p != '"')
                p += (*p == '\\' && p + 1 < end) ? 2 : 1;
            if (p >= end)
                return false;
            p++; /* the closing quote */
        } else {
            q = p;
            while (q < end && *q != ',' && *q != ' ')
                q++;
            fl_str t = {p, (size_t)(q - p)};
            double v = 0;
            int b = parse_bool(t);
            num_status ns = b >= 0 ? NUM_OK : parse_num(t, &v);
            if (b >= 0)
                v = b;
            if (ns == NUM_SYNTAX)
                return false;
            if (ns == NUM_RANGE || st->nfields == MAX_FIELDS)
                range = true;
            else
                push_field(st, k, v);
            p = q;
        }
        if (p < end && *p == ',') {
            p++;
            continue;
        }
        break;
    }
    if (p < end && *p != ' ')
        return false;
    while (p < end && *p == ' ')
        p++;
    /* timestamp */
    if (p == end) {
        *why = FL_BAD_NO_TIMESTAMP;
        return false;
    }
    q = p;
    if (q < end && *q == '-')
        q++;
    const char *digits = q;
    while (q < end && is_digit(*q))
        q++;
    if (q == digits)
        return false;
    fl_str ts_text = {p, (size_t)(q - p)};
    while (q < end && (*q == ' ' || *q == '\t'))
        q++;
    if (q != end)
        return false;
    fl_time ts;
    if (*ts_text.p == '-' || !fl_time_parse(ts_text, &ts) ||
        !fl_time_in_range(ts)) {
        *why = FL_BAD_TIMESTAMP;
        return false;
    }
    if (range || st->nfields == 0) {
        *why = FL_BAD_VALUE;
        return false;
    }

    /* scratch: every tag unescaped, the name suffix, one name per field */
    size_t need = line.n + (size_t)st->nfields * FL_METRIC_NAME_MAX;
    fl_decoder_scratch(dec, need);
    char *s = dec->scratch;
    size_t k = 0;
    int svc_tag = -1, host_tag = -1;
    for (uint32_t i = 0; i < st->ntags; i++) {
        lp_tag *t = &st->tags[i];
        size_t n = unescape_ident(t->key, s + k);
        t->key = (fl_str){s + k, n};
        k += n;
        n = unescape_ident(t->val, s + k);
        t->val = (fl_str){s + k, n};
        k += n;
        if (svc_tag < 0 && fl_str_eq(t->key, "service"))
            svc_tag = (int)i;
        if (host_tag < 0 && fl_str_eq(t->key, "host"))
            host_tag = (int)i;
    }
    fl_str service = fallback;
    int used = svc_tag >= 0 ? svc_tag : host_tag;
    if (used >= 0)
        service = st->tags[used].val;
    if (!fl_valid_service(service)) {
        *why = FL_BAD_NO_SERVICE;
        return false;
    }
    /* the suffix: other tags sorted by key (then value), as Telegraf
     * already sorts them; insertion sort, tags are few */
    uint32_t no = 0;
    for (uint32_t i = 0; i < st->ntags; i++) {
        if ((int)i == used)
            continue;
        uint32_t j = no++;
        while (j > 0) {
            const lp_tag *a = &st->tags[st->order[j - 1]], *b = &st->tags[i];
            int c = str_cmp(a->key, b->key);
            if (c < 0 || (c == 0 && str_cmp(a->val, b->val) <= 0))
                break;
            st->order[j] = st->order[j - 1];
            j--;
        }
        st->order[j] = i;
    }
    char mbuf[FL_METRIC_NAME_MAX + 1];
    size_t mlen = unescape_ident(meas, s + k);
    if (mlen > FL_METRIC_NAME_MAX) {
        *why = FL_BAD_VALUE;
        return false;
    }
    memcpy(mbuf, s + k, mlen);
    size_t suffix_len = 0;
    char sbuf[FL_METRIC_NAME_MAX + 1];
    if (no) {
        size_t n = 1;
        for (uint32_t i = 0; i < no; i++) {
            const lp_tag *t = &st->tags[st->order[i]];
            n += t->key.n + 1 + t->val.n + 1;
        }
        if (mlen + n > FL_METRIC_NAME_MAX) {
            *why = FL_BAD_VALUE;
            return false;
        }
        sbuf[suffix_len++] = '{';
        for (uint32_t i = 0; i < no; i++) {
            const lp_tag *t = &st->tags[st->order[i]];
            if (i)
                sbuf[suffix_len++] = ',';
            memcpy(sbuf + suffix_len, t->key.p, t->key.n);
            suffix_len += t->key.n;
            sbuf[suffix_len++] = '=';
            memcpy(sbuf + suffix_len, t->val.p, t->val.n);
            suffix_len += t->val.n;
        }
        sbuf[suffix_len++] = '}';
    }
    /* names: measurement '.' field suffix; field keys are unescaped into a
     * bounded buffer first (a key longer than a name cannot fit anyway) */
    uint32_t out = 0;
    for (uint32_t i = 0; i < st->nfields; i++) {
        lp_field *f = &st->fields[i];
        if (f->key.n > 2 * (FL_METRIC_NAME_MAX + 1)) {
            *why = FL_BAD_VALUE;
            return false;
        }
        char kbuf[2 * (FL_METRIC_NAME_MAX + 1)];
        size_t kn = unescape_ident(f->key, kbuf);
        size_t n = mlen + 1 + kn + suffix_len;
        if (n > FL_METRIC_NAME_MAX) {
            *why = FL_BAD_VALUE;
            return false;
        }
        char *d = s + k;
        memcpy(d, mbuf, mlen);
        d[mlen] = '.';
        memcpy(d + mlen + 1, kbuf, kn);
        memcpy(d + mlen + 1 + kn, sbuf, suffix_len);
        k += n;
        fl_event e;
        memset(&e, 0, sizeof e);
        e.kind = FL_EV_METRIC;
        e.ts = ts;
        e.service = service;
        e.latency_ms = NAN;
        e.metric = (fl_str){d, n};
        e.value = f->v;
        if (out++ == 0)
            *ev = e;
        else
            fl_decoder_push(dec, &e);
    }
    dec->scratch_n = k;
    return true;
}

/* ---------------------------------------------------------------- sniff */

bool fl_influx_sniff(fl_str line)
{
    const char *p = line.p, *end = line.p + line.n;
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    if (p == end || strchr("{[<\"#", *p))
        return false;
    /* measurement: no unescaped '=' before the first ',' or ' ' */
    const char *q = p;
    while (q < end && *q != ',' && *q != ' ') {
        if (*q == '=')
            return false;
        q += (*q == '\\' && q + 1 < end) ? 2 : 1;
    }
    if (q == p || q >= end)
        return false;
    if (*q == ',') {
        q = scan_ident(q, end, " ");
        if (q >= end)
            return false;
    }
    while (q < end && *q == ' ')
        q++;
    /* a field key, '=', and a value */
    const char *k = q;
    while (q < end && *q != '=' && *q != ' ' && *q != ',')
        q += (*q == '\\' && q + 1 < end) ? 2 : 1;
    if (q == k || q + 1 >= end || *q != '=' || q[1] == ' ' || q[1] == ',')
        return false;
    /* ends in " " + 19 digits */
    const char *e = end;
    while (e > q && (e[-1] == ' ' || e[-1] == '\t'))
        e--;
    if (e - q < 21)
        return false;
    for (int i = 1; i <= 19; i++)
        if (!is_digit(e[-i]))
            return false;
    return e[-20] == ' ';
}
