/* test_logfmt.c - ingest/logfmt.c: the go-logfmt grammar, the JSON key
 * mapping shared with json.c, every rejection reason, the sniffer that
 * `auto` uses, and the sample lines of tests/samples/logfmt.log against
 * tests/samples/logfmt.expected. Also the golden-file helper the pattern
 * tests use (unit_sample_check). */
#define _POSIX_C_SOURCE 200809L
#include "../../ingest/fl_ingest.h"
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* test_pattern.c uses it too */
void unit_sample_check(fl_decoder *d, const char *name, const char *fallback,
                       unsigned *nlines);

#define T0_NS ((fl_time)1710074096 * FL_NS_PER_SEC) /* 2024-03-10T12:34:56Z */
#define BASE "ts=2024-03-10T12:34:56Z service=api"

static fl_decoder *dec;

static bool decode(const char *line, fl_event *ev, fl_bad_reason *why)
{
    memset(ev, 0xA5, sizeof *ev); /* no field may be left unset */
    *why = FL_BAD__COUNT;
    return fl_logfmt_decode(dec, fl_str_c(line), ev, why);
}

#define DECODE_OK(line, ev)                                                   \
    do {                                                                      \
        fl_bad_reason why_;                                                   \
        if (!decode(line, &(ev), &why_)) {                                    \
            unit_fail(__FILE__, __LINE__, "rejected (%s): %s",                \
                      fl_bad_reason_name(why_), line);                        \
            return;                                                           \
        }                                                                     \
    } while (0)

#define CHECK_REJECT(line, reason)                                            \
    do {                                                                      \
        fl_event ev_;                                                         \
        fl_bad_reason why_;                                                   \
        bool ok_ = decode(line, &ev_, &why_);                                 \
        CHECK_MSG(!ok_ && why_ == (reason), "want %s, got %s: %s",            \
                  fl_bad_reason_name(reason),                                 \
                  ok_ ? "accepted" : fl_bad_reason_name(why_), line);         \
    } while (0)

/* ------------------------------------------------------ golden samples */

static const char *level_name(fl_level l)
{
    static const char *const n[] = {"none", "trace", "debug", "info",
                                    "warn", "error", "fatal"};
    return (unsigned)l < FL_ARRAY_LEN(n) ? n[l] : "?";
}

static void put_str(fl_buf *b, fl_str s)
{
    for (size_t i = 0; i < s.n; i++) {
        unsigned char c = (unsigned char)s.p[i];
        if (c == '\n')
            fl_buf_puts(b, "\\n");
        else if (c < 0x20)
            fl_buf_printf(b, "\\x%02x", c);
        else
            fl_buf_putc(b, (char)c);
    }
}

static void put_time(fl_buf *b, fl_time t)
{
    time_t secs = (time_t)(t / FL_NS_PER_SEC);
    struct tm tm;
    gmtime_r(&secs, &tm);
    fl_buf_printf(b, "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  (long long)(t % FL_NS_PER_SEC));
}

/* One decoded line as the .expected files write it. */
static void describe(fl_buf *b, bool ok, const fl_event *ev, fl_bad_reason why)
{
    b->n = 0;
    if (!ok) {
        fl_buf_printf(b, "reject %s", fl_bad_reason_name(why));
        return;
    }
    if (ev->kind == FL_EV_METRIC) {
        fl_buf_puts(b, "metric ts=");
        put_time(b, ev->ts);
        fl_buf_puts(b, " service=");
        put_str(b, ev->service);
        fl_buf_puts(b, " name=");
        put_str(b, ev->metric);
        fl_buf_printf(b, " value=%.17g", ev->value);
        return;
    }
    if (ev->kind == FL_EV_CHANGE) {
        fl_buf_puts(b, "change ts=");
        put_time(b, ev->ts);
        fl_buf_puts(b, " service=");
        put_str(b, ev->service);
        fl_buf_printf(b, " kind=%s version=", fl_change_kind_name(ev->change_kind));
        put_str(b, ev->version);
        fl_buf_puts(b, " change_id=");
        put_str(b, ev->change_id);
        fl_buf_puts(b, " author=");
        put_str(b, ev->author);
        return;
    }
    fl_buf_puts(b, "ok ts=");
    put_time(b, ev->ts);
    fl_buf_puts(b, " service=");
    put_str(b, ev->service);
    fl_buf_printf(b, " level=%s status=%d latency_ms=", level_name(ev->level),
                  ev->status);
    if (isnan(ev->latency_ms))
        fl_buf_puts(b, "-");
    else
        fl_buf_printf(b, "%.9g", ev->latency_ms);
    fl_buf_puts(b, " msg=\"");
    put_str(b, ev->msg);
    fl_buf_printf(b, "\" error=%s", fl_event_is_error(ev) ? "yes" : "no");
}

static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, k = 0;
    char *p = malloc(cap + 1);
    size_t r;
    while ((r = fread(p + k, 1, cap - k, f)) > 0) {
        k += r;
        if (k == cap) {
            cap *= 2;
            p = realloc(p, cap + 1);
        }
    }
    fclose(f);
    p[k] = '\0';
    *n = k;
    return p;
}

/* Decodes every line of tests/samples/NAME.log with d (fallback service
 * as replay gives it: the file's base name) and compares each result with
 * the same line of tests/samples/NAME.expected. */
void unit_sample_check(fl_decoder *d, const char *name, const char *fallback,
                       unsigned *nlines)
{
    char lp[256], ep[256];
    snprintf(lp, sizeof lp, "tests/samples/%s.log", name);
    snprintf(ep, sizeof ep, "tests/samples/%s.expected", name);
    size_t ln, en;
    char *log = slurp(lp, &ln), *want = slurp(ep, &en);
    CHECK_MSG(log && want, "cannot read %s or %s (run from the repository "
              "root)", lp, ep);
    fl_buf b = {0};
    char *lsave = NULL, *esave = NULL;
    char *l = log ? strtok_r(log, "\n", &lsave) : NULL;
    char *e = want ? strtok_r(want, "\n", &esave) : NULL;
    unsigned n = 0;
    for (; l && e; l = strtok_r(NULL, "\n", &lsave),
                   e = strtok_r(NULL, "\n", &esave)) {
        n++;
        fl_event ev;
        fl_bad_reason why = FL_BAD__COUNT;
        memset(&ev, 0xA5, sizeof ev);
        bool ok = fl_decode_line(d, fl_str_c(l), fl_str_c(fallback), &ev, &why);
        describe(&b, ok, &ev, why);
        fl_buf_putc(&b, '\0');
        CHECK_MSG(strcmp(b.p, e) == 0, "%s line %u:\n      want %s\n      got  %s",
                  lp, n, e, b.p);
        /* a line's further events, then its rejected parts (an OTLP
         * batch's bad records): one expected line each, starting "+ " */
        for (int part = 0;; part++) {
            bool more = ok && fl_decoder_more(d, &ev);
            bool rej = !more && fl_decoder_rejected(d, &why);
            if (!more && !rej)
                break;
            describe(&b, more, &ev, why);
            fl_buf_putc(&b, '\0');
            e = strtok_r(NULL, "\n", &esave);
            CHECK_MSG(e && e[0] == '+' && e[1] == ' ' && strcmp(b.p, e + 2) == 0,
                      "%s line %u, part %d:\n      want %s\n      got  + %s", lp,
                      n, part + 2, e ? e : "(nothing)", b.p);
            if (!e)
                break;
        }
    }
    CHECK_MSG(!l && !e, "%s: %s has more lines", name, l ? "the log" : "expected");
    if (nlines)
        *nlines = n;
    fl_buf_free(&b);
    free(log);
    free(want);
}

static void samples_body(void)
{
    unsigned n = 0;
    unit_sample_check(dec, "logfmt", "logfmt", &n);
    CHECK_EQ(n, 16);
}

/* ------------------------------------------------------------- mapping */

static void simple_keys_body(void)
{
    fl_event ev;
    DECODE_OK("ts=2024-03-10T12:34:56.250Z service=api level=info status=200 "
              "latency_ms=12.5 msg=\"GET /x\" upstream=db version=v1.2",
              ev);
    CHECK_EQ(ev.kind, FL_EV_REQUEST);
    CHECK_EQ(ev.ts, T0_NS + 250000000);
    CHECK_FLSTR(ev.service, "api");
    CHECK_EQ(ev.level, FL_LEVEL_INFO);
    CHECK_EQ(ev.status, 200);
    CHECK(ev.latency_ms == 12.5);
    CHECK_FLSTR(ev.msg, "GET /x");
    CHECK_FLSTR(ev.upstream, "db");
    CHECK_FLSTR(ev.version, "v1.2");
    CHECK(!fl_event_is_error(&ev));
    CHECK_NAN(ev.value);
    CHECK_EQ(ev.change_id.n, 0);
    CHECK_EQ(ev.metric.n, 0);
    CHECK_EQ(ev.trace_id.n, 0);
    /* a trace id (call edges from traces shared across services) */
    DECODE_OK("ts=2024-03-10T12:34:56Z service=api trace_id=4bf92f3577b34da6 "
              "latency_ms=3", ev);
    CHECK_FLSTR(ev.trace_id, "4bf92f3577b34da6");

    /* the other names of the same fields */
    DECODE_OK("time=1710074096 service=api duration_ms=7 message=hello", ev);
    CHECK_EQ(ev.ts, T0_NS);
    CHECK(ev.latency_ms == 7);
    CHECK_FLSTR(ev.msg, "hello");
    DECODE_OK("timestamp=1710074096123 service=api", ev);
    CHECK_EQ(ev.ts, T0_NS + 123000000);
    DECODE_OK("ts=1710074096.5 service=api status=503", ev);
    CHECK_EQ(ev.ts, T0_NS + 500000000);
    CHECK(fl_event_is_error(&ev));
    /* ECS names work as flat keys, as in JSON */
    DECODE_OK("@timestamp=2024-03-10T12:34:56Z service.name=api "
              "log.level=ERROR event.duration=2500000", ev);
    CHECK_FLSTR(ev.service, "api");
    CHECK_EQ(ev.level, FL_LEVEL_ERROR);
    CHECK(ev.latency_ms == 2.5);
    /* levels: names, and numbers as bunyan writes them */
    DECODE_OK(BASE " level=critical", ev);
    CHECK_EQ(ev.level, FL_LEVEL_FATAL);
    CHECK(fl_event_is_error(&ev));
    DECODE_OK(BASE " level=40", ev);
    CHECK_EQ(ev.level, FL_LEVEL_WARN);
    DECODE_OK(BASE " level=\"60\"", ev); /* quoted: a word, as JSON's "60" */
    CHECK_EQ(ev.level, FL_LEVEL_NONE);
    DECODE_OK(BASE " level=verbose", ev);
    CHECK_EQ(ev.level, FL_LEVEL_NONE);
    /* status 5xx is the error; without one, the level decides */
    DECODE_OK(BASE " level=error status=200", ev);
    CHECK(!fl_event_is_error(&ev));
}

static void change_events_body(void)
{
    fl_event ev;
    static const struct {
        const char *kind;
        fl_change_kind k;
    } kinds[] = {{"deploy", FL_CHANGE_DEPLOY},
                 {"config", FL_CHANGE_CONFIG},
                 {"rollback", FL_CHANGE_ROLLBACK},
                 {"flag", FL_CHANGE_FLAG}};
    for (size_t i = 0; i < FL_ARRAY_LEN(kinds); i++) {
        char line[256];
        snprintf(line, sizeof line,
                 BASE " kind=%s version=v2 change_id=chg-9 author=\"Bo Li\" "
                 "msg=\"raise pool\"",
                 kinds[i].kind);
        DECODE_OK(line, ev);
        CHECK_EQ(ev.kind, FL_EV_CHANGE);
        CHECK_EQ(ev.change_kind, kinds[i].k);
        CHECK_FLSTR(ev.version, "v2");
        CHECK_FLSTR(ev.change_id, "chg-9");
        CHECK_FLSTR(ev.author, "Bo Li");
        CHECK_FLSTR(ev.msg, "raise pool");
    }
    /* an unknown kind is an ordinary line */
    DECODE_OK(BASE " kind=restart", ev);
    CHECK_EQ(ev.kind, FL_EV_REQUEST);
}

/* The same keys in JSON and in logfmt make the same event. */
static void same_as_json_body(void)
{
    static const struct {
        const char *json, *logfmt;
    } pairs[] = {
        {"{\"ts\":\"2024-03-10T12:34:56Z\",\"service\":\"api\",\"level\":"
         "\"warn\",\"status\":404,\"latency_ms\":3.25,\"msg\":\"not found\","
         "\"upstream\":\"db\"}",
         "ts=2024-03-10T12:34:56Z service=api level=warn status=404 "
         "latency_ms=3.25 msg=\"not found\" upstream=db"},
        {"{\"time\":1710074096,\"service\":\"api\",\"level\":50}",
         "time=1710074096 service=api level=50"},
        {"{\"ts\":\"2024-03-10T12:34:56Z\",\"kind\":\"rollback\",\"service\":"
         "\"api\",\"version\":\"v1\",\"change_id\":\"c1\",\"author\":\"ci\"}",
         "ts=2024-03-10T12:34:56Z kind=rollback service=api version=v1 "
         "change_id=c1 author=ci"},
        {"{\"ts\":\"2024-03-10T12:34:56Z\",\"service\":\"api\",\"status\":"
         "\"503\",\"duration_ms\":\"12\"}",
         "ts=2024-03-10T12:34:56Z service=api status=503 duration_ms=12"},
    };
    fl_decoder *j = fl_decoder_new(FL_FORMAT_JSON);
    for (size_t i = 0; i < FL_ARRAY_LEN(pairs); i++) {
        fl_event a, b;
        fl_bad_reason wa, wb;
        bool oka = fl_json_decode(j, fl_str_c(pairs[i].json), &a, &wa);
        bool okb = decode(pairs[i].logfmt, &b, &wb);
        CHECK_MSG(oka && okb, "pair %zu: json %s, logfmt %s", i,
                  oka ? "ok" : fl_bad_reason_name(wa),
                  okb ? "ok" : fl_bad_reason_name(wb));
        if (!oka || !okb)
            continue;
        CHECK_EQ(a.kind, b.kind);
        CHECK_EQ(a.ts, b.ts);
        CHECK_EQ(a.status, b.status);
        CHECK_EQ(a.level, b.level);
        CHECK_EQ(a.change_kind, b.change_kind);
        CHECK((isnan(a.latency_ms) && isnan(b.latency_ms)) ||
              a.latency_ms == b.latency_ms);
        CHECK(a.service.n == b.service.n &&
              memcmp(a.service.p, b.service.p, a.service.n) == 0);
        CHECK(a.msg.n == b.msg.n &&
              (a.msg.n == 0 || memcmp(a.msg.p, b.msg.p, a.msg.n) == 0));
        CHECK(a.upstream.n == b.upstream.n);
        CHECK(a.version.n == b.version.n);
        CHECK(a.change_id.n == b.change_id.n);
        CHECK(a.author.n == b.author.n);
    }
    fl_decoder_destroy(j);
}

/* ------------------------------------------------------------- grammar */

static void grammar_body(void)
{
    fl_event ev;
    /* separators: any whitespace, leading and trailing too */
    DECODE_OK("\t ts=2024-03-10T12:34:56Z\t\tservice=api   msg=x  ", ev);
    CHECK_FLSTR(ev.msg, "x");
    /* a bare key, `key=` and `key=""` carry no value */
    DECODE_OK(BASE " msg", ev);
    CHECK_EQ(ev.msg.n, 0);
    DECODE_OK(BASE " msg=", ev);
    CHECK_EQ(ev.msg.n, 0);
    DECODE_OK(BASE " msg=\"\"", ev);
    CHECK_EQ(ev.msg.n, 0);
    DECODE_OK(BASE " status= level=error", ev); /* empty: absent */
    CHECK_EQ(ev.status, 0);
    CHECK(fl_event_is_error(&ev));
    /* unknown keys (any bytes but '=' and '"') are skipped */
    DECODE_OK(BASE " \xC6\x92=2h3s a.b-c/d=1 !x=? flag", ev);
    CHECK_FLSTR(ev.service, "api");
    /* the last of repeated keys wins */
    DECODE_OK(BASE " msg=first msg=second service=web", ev);
    CHECK_FLSTR(ev.msg, "second");
    CHECK_FLSTR(ev.service, "web");
    /* a quoted value may be followed directly by the next key (go-logfmt) */
    DECODE_OK(BASE " msg=\"a b\"status=500", ev);
    CHECK_FLSTR(ev.msg, "a b");
    CHECK_EQ(ev.status, 500);
    /* quotes: spaces, '=' and tabs inside; escapes */
    DECODE_OK(BASE " msg=\"k=v \tx\"", ev);
    CHECK_FLSTR(ev.msg, "k=v \tx");
    DECODE_OK(BASE " msg=\"q\\\" b\\\\ s\\/ a\\' \\b\\f\\n\\r\\t\"", ev);
    CHECK_FLSTR(ev.msg, "q\" b\\ s/ a' \b\f\n\r\t");
    DECODE_OK(BASE " msg=\"caf\\u00e9 \\u20ac \\ud83d\\ude00\"", ev);
    CHECK_FLSTR(ev.msg, "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
    /* lone surrogates and \u0000 become U+FFFD, the next escape stays */
    DECODE_OK(BASE " msg=\"\\ud800\\u0041 \\udc00 \\u0000\"", ev);
    CHECK_FLSTR(ev.msg, "\xEF\xBF\xBD" "A \xEF\xBF\xBD \xEF\xBF\xBD");
    /* UTF-8 as is */
    DECODE_OK(BASE " msg=\"\xE6\x97\xA5\xE6\x9C\xAC\" upstream=\xC3\xA9t\xC3\xA9",
              ev);
    CHECK_FLSTR(ev.msg, "\xE6\x97\xA5\xE6\x9C\xAC");
    CHECK_FLSTR(ev.upstream, "\xC3\xA9t\xC3\xA9");
    /* values without escapes point into the line */
    const char *line = BASE " msg=\"plain\"";
    fl_bad_reason why;
    REQUIRE(fl_logfmt_decode(dec, fl_str_c(line), &ev, &why));
    CHECK(ev.msg.p > line && ev.msg.p < line + strlen(line));
    /* a service, like a JSON one, needs a visible character */
    DECODE_OK("ts=2024-03-10T12:34:56Z service=\" a \"", ev);
    CHECK_FLSTR(ev.service, " a ");
}

/* Escaped values live in the scratch buffer: each line's own, never a
 * previous line's. */
static void scratch_reuse_body(void)
{
    fl_event a, b;
    fl_bad_reason why;
    char l1[] = BASE " msg=\"one\\ttwo\" upstream=\"d\\u00e9\"";
    char l2[] = BASE " msg=\"x\\ny\"";
    REQUIRE(fl_logfmt_decode(dec, fl_str_c(l1), &a, &why));
    CHECK_FLSTR(a.msg, "one\ttwo");
    CHECK_FLSTR(a.upstream, "d\xC3\xA9");
    REQUIRE(fl_logfmt_decode(dec, fl_str_c(l2), &b, &why));
    CHECK_FLSTR(b.msg, "x\ny");
    CHECK_EQ(b.upstream.n, 0);
    /* a long line grows the scratch buffer */
    size_t body = 100000;
    char *line = malloc(body * 2 + 64);
    size_t k = (size_t)sprintf(line, BASE " msg=\"");
    for (size_t i = 0; i < body; i++) {
        line[k++] = '\\';
        line[k++] = 'n';
    }
    line[k++] = '"';
    line[k] = '\0';
    REQUIRE(fl_logfmt_decode(dec, (fl_str){line, k}, &a, &why));
    CHECK_EQ(a.msg.n, body);
    CHECK(a.msg.n == body && a.msg.p[0] == '\n' && a.msg.p[body - 1] == '\n');
    free(line);
}

/* ---------------------------------------------------------- rejections */

static void rejects_body(void)
{
    /* syntax */
    CHECK_REJECT(BASE " msg=\"unterminated", FL_BAD_SYNTAX);
    CHECK_REJECT(BASE " msg=\"trailing backslash\\", FL_BAD_SYNTAX);
    CHECK_REJECT(BASE " msg=\"bad \\x escape\"", FL_BAD_SYNTAX);
    CHECK_REJECT(BASE " msg=\"bad \\u12G4\"", FL_BAD_SYNTAX);
    CHECK_REJECT(BASE " msg=\"short \\u12\"", FL_BAD_SYNTAX);
    CHECK_REJECT(BASE " msg=\"ctrl \x01 byte\"", FL_BAD_SYNTAX);
    CHECK_REJECT(BASE " msg=\"new\nline\"", FL_BAD_SYNTAX);
    CHECK_REJECT(BASE " msg=a=b", FL_BAD_SYNTAX);
    CHECK_REJECT(BASE " msg=a\"b", FL_BAD_SYNTAX);
    CHECK_REJECT(BASE " =value", FL_BAD_SYNTAX);
    CHECK_REJECT(BASE " =", FL_BAD_SYNTAX);
    CHECK_REJECT(BASE " a\"b=1", FL_BAD_SYNTAX);
    CHECK_REJECT(BASE " \"quoted\"", FL_BAD_SYNTAX);
    /* UTF-8, anywhere in the line */
    CHECK_REJECT(BASE " msg=\"\xFF\"", FL_BAD_UTF8);
    CHECK_REJECT(BASE " \xC0\xAF=1", FL_BAD_UTF8);
    CHECK_REJECT(BASE " msg=\xED\xA0\x80", FL_BAD_UTF8); /* a surrogate */
    CHECK_REJECT(BASE " msg=\xE2\x82", FL_BAD_UTF8);     /* truncated */
    /* time */
    CHECK_REJECT("service=api msg=x", FL_BAD_NO_TIMESTAMP);
    CHECK_REJECT("ts= service=api", FL_BAD_NO_TIMESTAMP);
    CHECK_REJECT("ts service=api", FL_BAD_NO_TIMESTAMP);
    CHECK_REJECT("", FL_BAD_NO_TIMESTAMP);
    CHECK_REJECT("ts=yesterday service=api", FL_BAD_TIMESTAMP);
    CHECK_REJECT("ts=2024-03-10 service=api", FL_BAD_TIMESTAMP);
    CHECK_REJECT("ts=2024-02-30T00:00:00Z service=api", FL_BAD_TIMESTAMP);
    CHECK_REJECT("ts=1999-12-31T23:59:59Z service=api", FL_BAD_TIMESTAMP);
    CHECK_REJECT("ts=2100-01-01T00:00:00Z service=api", FL_BAD_TIMESTAMP);
    CHECK_REJECT("ts=0 service=api", FL_BAD_TIMESTAMP);
    CHECK_REJECT("ts=-1710074096 service=api", FL_BAD_TIMESTAMP);
    /* service */
    CHECK_REJECT("ts=2024-03-10T12:34:56Z msg=x", FL_BAD_NO_SERVICE);
    CHECK_REJECT("ts=2024-03-10T12:34:56Z service=", FL_BAD_NO_SERVICE);
    CHECK_REJECT("ts=2024-03-10T12:34:56Z service=\"   \"", FL_BAD_NO_SERVICE);
    CHECK_REJECT("ts=2024-03-10T12:34:56Z service=\"a\\tb\"", FL_BAD_NO_SERVICE);
    CHECK_REJECT("ts=2024-03-10T12:34:56Z service=\"a\\u007fb\"",
                 FL_BAD_NO_SERVICE);
    /* values */
    CHECK_REJECT(BASE " status=abc", FL_BAD_VALUE);
    CHECK_REJECT(BASE " status=99", FL_BAD_VALUE);
    CHECK_REJECT(BASE " status=600", FL_BAD_VALUE);
    CHECK_REJECT(BASE " status=200.5", FL_BAD_VALUE);
    CHECK_REJECT(BASE " status=0x1f4", FL_BAD_VALUE);
    CHECK_REJECT(BASE " latency_ms=-1", FL_BAD_VALUE);
    CHECK_REJECT(BASE " latency_ms=nan", FL_BAD_VALUE);
    CHECK_REJECT(BASE " latency_ms=inf", FL_BAD_VALUE);
    CHECK_REJECT(BASE " latency_ms=1e300", FL_BAD_VALUE);
    CHECK_REJECT(BASE " latency_ms=12ms", FL_BAD_VALUE);
    CHECK_REJECT(BASE " event.duration=x", FL_BAD_VALUE);
}

/* ---------------------------------------------------- auto and sniffer */

static void auto_and_sniffer(void)
{
    fl_format f;
    CHECK(fl_format_parse("logfmt", &f) && f == FL_FORMAT_LOGFMT);
    CHECK(strstr(fl_format_names(), "logfmt") != NULL);

    fl_decoder *a = fl_decoder_new(FL_FORMAT_AUTO);
    fl_decoder *l = fl_decoder_new(FL_FORMAT_LOGFMT);
    fl_str fb = fl_str_c("fallback");
    fl_event ev;
    fl_bad_reason why;
    static const char *const yes[] = {
        /* the first key is a known one */
        "ts=2024-03-10T12:34:56Z service=api",
        "level=info msg=started",
        "msg=\"one pair only\"",
        "  service=api",
        /* or two pairs anywhere */
        "at=info method=GET path=/ status=200",
        "hello a=1 b=2",
        "a=\"x y\" b=",
    };
    static const char *const no[] = {
        "plain text line",
        "a=1",
        "unknown=1 and words",
        "x = y",
        "=1 =2",
        "\"a=1 b=2\"",
        "",
        "   ",
        "GET /search?q=a&b=c HTTP/1.1",
    };
    for (size_t i = 0; i < FL_ARRAY_LEN(yes); i++) {
        why = FL_BAD__COUNT;
        bool ok = fl_decode_line(a, fl_str_c(yes[i]), fb, &ev, &why);
        /* decoded as logfmt: rejected for a missing field, not the format */
        CHECK_MSG(ok || why != FL_BAD_UNKNOWN_FORMAT, "not sniffed: %s", yes[i]);
        fl_event ev2;
        fl_bad_reason why2 = FL_BAD__COUNT;
        bool ok2 = fl_decode_line(l, fl_str_c(yes[i]), fb, &ev2, &why2);
        CHECK_EQ(ok, ok2);
        if (!ok)
            CHECK_EQ(why, why2);
    }
    for (size_t i = 0; i < FL_ARRAY_LEN(no); i++) {
        why = FL_BAD__COUNT;
        CHECK_MSG(!fl_decode_line(a, fl_str_c(no[i]), fb, &ev, &why) &&
                      why == FL_BAD_UNKNOWN_FORMAT,
                  "sniffed: \"%s\" (%s)", no[i], fl_bad_reason_name(why));
    }
    /* a whole line through auto */
    REQUIRE(fl_decode_line(a, fl_str_c(BASE " level=error msg=boom"), fb, &ev,
                           &why));
    CHECK_FLSTR(ev.service, "api");
    CHECK_FLSTR(ev.msg, "boom");
    CHECK(fl_event_is_error(&ev));
    /* JSON still goes to JSON */
    REQUIRE(fl_decode_line(a, fl_str_c("{\"ts\":1710074096,\"service\":\"j\","
                                       "\"msg\":\"a=1 b=2\"}"),
                           fb, &ev, &why));
    CHECK_FLSTR(ev.service, "j");
    /* logfmt by name rejects what is not logfmt */
    why = FL_BAD__COUNT;
    CHECK(!fl_decode_line(l, fl_str_c("{\"ts\":1710074096}"), fb, &ev, &why));
    CHECK_EQ(why, FL_BAD_SYNTAX);
    fl_decoder_destroy(a);
    fl_decoder_destroy(l);
}

/* Decoding cost is linear: a 64 KiB line of pairs in well under a
 * millisecond per KiB even in a sanitizer build. */
static void long_line_body(void)
{
    size_t cap = 65536;
    char *line = malloc(cap + 1);
    size_t k = (size_t)snprintf(line, cap, BASE " ");
    while (k + 16 < cap)
        k += (size_t)snprintf(line + k, cap - k, "k%zu=\"v v\" ", k);
    line[k] = '\0';
    fl_event ev;
    fl_bad_reason why;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    bool ok = fl_logfmt_decode(dec, (fl_str){line, k}, &ev, &why);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    CHECK(ok);
    double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
                (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    CHECK_LT(ms, 50.0);
    free(line);
}

#define WITH_DECODER(name)                                                    \
    static void name(void)                                                    \
    {                                                                         \
        dec = fl_decoder_new(FL_FORMAT_LOGFMT);                               \
        name##_body();                                                        \
        fl_decoder_destroy(dec);                                              \
        dec = NULL;                                                           \
    }
WITH_DECODER(samples)
WITH_DECODER(simple_keys)
WITH_DECODER(change_events)
WITH_DECODER(same_as_json)
WITH_DECODER(grammar)
WITH_DECODER(scratch_reuse)
WITH_DECODER(rejects)
WITH_DECODER(long_line)

static const unit_test tests[] = {
    UNIT_TEST(samples),       UNIT_TEST(simple_keys),
    UNIT_TEST(change_events), UNIT_TEST(same_as_json),
    UNIT_TEST(grammar),       UNIT_TEST(scratch_reuse),
    UNIT_TEST(rejects),       UNIT_TEST(auto_and_sniffer),
    UNIT_TEST(long_line),
};
UNIT_SUITE(unit_suite_logfmt, "logfmt", tests);
