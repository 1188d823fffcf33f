/* test_pattern.c - ingest/pattern.c: the nginx, apache and syslog built-ins
 * against the sample lines in tests/samples/ (written from the nginx
 * log_format and Apache mod_log_config documentation and the RFC 3164 and
 * RFC 5424 examples), their time formats, the sniffers `auto` uses, user
 * patterns (the registry, named groups, service rules, compile errors),
 * every rejection reason, and the cost bound on a catastrophic pattern. */
#define _POSIX_C_SOURCE 200809L
#include "../../ingest/fl_ingest.h"
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* test_logfmt.c */
void unit_sample_check(fl_decoder *d, const char *name, const char *fallback,
                       unsigned *nlines);

#define T0_NS ((fl_time)1710074096 * FL_NS_PER_SEC) /* 2024-03-10T12:34:56Z */

static fl_decoder *new_named(const char *name)
{
    fl_format f;
    if (!fl_format_parse(name, &f))
        return NULL;
    return fl_decoder_new(f);
}

static bool dec1(fl_decoder *d, const char *line, const char *fallback,
                 fl_event *ev, fl_bad_reason *why)
{
    memset(ev, 0xA5, sizeof *ev);
    *why = FL_BAD__COUNT;
    return fl_decode_line(d, fl_str_c(line), fl_str_c(fallback), ev, why);
}

#define CHECK_REJECT(d, line, reason)                                         \
    do {                                                                      \
        fl_event ev_;                                                         \
        fl_bad_reason why_;                                                   \
        bool ok_ = dec1(d, line, "fb", &ev_, &why_);                          \
        CHECK_MSG(!ok_ && why_ == (reason), "want %s, got %s: %s",            \
                  fl_bad_reason_name(reason),                                 \
                  ok_ ? "accepted" : fl_bad_reason_name(why_), line);         \
    } while (0)

static double ms_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) * 1e3 +
           (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/* ------------------------------------------------------ golden samples */

static void samples(void)
{
    fl_pattern_set_reference_year(2024);
    static const struct {
        const char *format, *file;
        unsigned lines;
        bool all_sniffed; /* apache: the nginx regex is a superset;
                           * rsyslog's files have no PRI to sniff */
    } s[] = {
        {"nginx", "nginx_combined", 8, true},
        {"apache", "apache_common", 8, true},
        {"syslog", "syslog_rfc3164", 9, false},
        {"syslog", "syslog_rfc5424", 8, true},
        {"syslog", "syslog_inner", 9, true},
    };
    for (size_t i = 0; i < FL_ARRAY_LEN(s); i++) {
        fl_decoder *d = new_named(s[i].format);
        REQUIRE(d != NULL);
        unsigned n = 0;
        unit_sample_check(d, s[i].file, s[i].file, &n);
        CHECK_EQ(n, s[i].lines);
        fl_decoder_destroy(d);
        /* auto decides per line: the same results */
        if (!s[i].all_sniffed)
            continue;
        d = fl_decoder_new(FL_FORMAT_AUTO);
        unit_sample_check(d, s[i].file, s[i].file, NULL);
        fl_decoder_destroy(d);
    }
    fl_pattern_set_reference_year(0);
}

/* ------------------------------------------------------------- nginx */

static void nginx_fields(void)
{
    fl_decoder *d = new_named("nginx");
    REQUIRE(d != NULL);
    fl_event ev;
    fl_bad_reason why;
    /* the nginx documentation's combined format, plus $request_time */
    REQUIRE(dec1(d,
                 "203.0.113.7 - - [10/Mar/2024:12:34:56 +0000] \"GET "
                 "/cart/items?x=1 HTTP/1.1\" 503 42 \"-\" \"curl/8\" 1.250",
                 "file", &ev, &why));
    CHECK_EQ(ev.kind, FL_EV_REQUEST);
    CHECK_EQ(ev.ts, T0_NS);
    CHECK_FLSTR(ev.service, "cart");
    CHECK_EQ(ev.status, 503);
    CHECK(ev.latency_ms == 1250);
    CHECK_FLSTR(ev.msg, "GET /cart/items?x=1 HTTP/1.1");
    CHECK_FLSTR(ev.path, "/cart/items"); /* the request's, without query */
    CHECK_EQ(ev.level, FL_LEVEL_NONE);
    CHECK(fl_event_is_error(&ev));
    CHECK_EQ(ev.upstream.n, 0);
    CHECK_NAN(ev.value);
    /* offsets east and west, every month name */
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr",
                                         "May", "Jun", "Jul", "Aug",
                                         "Sep", "Oct", "Nov", "Dec"};
    for (int m = 0; m < 12; m++) {
        char line[256];
        snprintf(line, sizeof line,
                 "1.2.3.4 - - [01/%s/2024:00:00:00 +0530] \"GET /a HTTP/1.1\" "
                 "200 1",
                 months[m]);
        REQUIRE(dec1(d, line, "f", &ev, &why));
        static const int mdays[] = {0,   31,  60,  91,  121, 152,
                                    182, 213, 244, 274, 305, 335};
        fl_time want = ((fl_time)1704067200 + (fl_time)mdays[m] * 86400 -
                        (5 * 3600 + 30 * 60)) *
                       FL_NS_PER_SEC;
        CHECK_MSG(ev.ts == want, "%s: %lld vs %lld", months[m],
                  (long long)ev.ts, (long long)want);
    }
    REQUIRE(dec1(d, "1.2.3.4 - - [10/Mar/2024:05:34:56 -0700] \"GET /a "
                    "HTTP/1.1\" 200 1", "f", &ev, &why));
    CHECK_EQ(ev.ts, T0_NS);
    /* lower-case month names are read too; a fraction of a second */
    REQUIRE(dec1(d, "1.2.3.4 - - [10/mar/2024:12:34:56.125 +0000] \"GET /a "
                    "HTTP/1.1\" 200 1", "f", &ev, &why));
    CHECK_EQ(ev.ts, T0_NS + 125000000);
    /* service: the first path segment, else the fallback */
    static const struct {
        const char *path, *service;
    } paths[] = {
        {"/", "fb"},
        {"/?x=1", "fb"},
        {"/api", "api"},
        {"/api/", "api"},
        {"/api;jsessionid=1", "api"},
        {"/api#frag", "api"},
        {"//double", "fb"},
        {"/v1.2_x~y-z/q", "v1.2_x~y-z"},
        {"/%2e%2e/etc", "fb"},
        {"/../etc", "fb"},
        {"/caf\xC3\xA9/x", "fb"},
        {"*", "fb"},
        {"https://example.com/shop/x", "shop"},
        {"http://example.com", "fb"},
        {"/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
         "fb"}, /* 65 bytes */
    };
    for (size_t i = 0; i < FL_ARRAY_LEN(paths); i++) {
        char line[512];
        snprintf(line, sizeof line,
                 "1.2.3.4 - - [10/Mar/2024:12:34:56 +0000] \"GET %s HTTP/1.1\" "
                 "200 1",
                 paths[i].path);
        bool ok = dec1(d, line, "fb", &ev, &why);
        CHECK_MSG(ok, "%s: %s", paths[i].path, fl_bad_reason_name(why));
        if (ok)
            CHECK_MSG(ev.service.n == strlen(paths[i].service) &&
                          memcmp(ev.service.p, paths[i].service,
                                 ev.service.n) == 0,
                      "%s: service %.*s, want %s", paths[i].path,
                      (int)ev.service.n, ev.service.p, paths[i].service);
    }
    /* request times: integer seconds, and "-" (no upstream) is absent */
    REQUIRE(dec1(d, "1.2.3.4 - - [10/Mar/2024:12:34:56 +0000] \"GET /a "
                    "HTTP/1.1\" 200 1 \"-\" \"-\" 2", "f", &ev, &why));
    CHECK(ev.latency_ms == 2000);
    REQUIRE(dec1(d, "1.2.3.4 - - [10/Mar/2024:12:34:56 +0000] \"GET /a "
                    "HTTP/1.1\" 200 1 \"-\" \"-\" -", "f", &ev, &why));
    CHECK_NAN(ev.latency_ms);
    /* "1.5x" is not a request time: an extra field, ignored */
    REQUIRE(dec1(d, "1.2.3.4 - - [10/Mar/2024:12:34:56 +0000] \"GET /a "
                    "HTTP/1.1\" 200 1 \"-\" \"-\" 1.5x", "f", &ev, &why));
    CHECK_NAN(ev.latency_ms);
    /* no fallback and nothing in the path: no service */
    CHECK(!dec1(d, "1.2.3.4 - - [10/Mar/2024:12:34:56 +0000] \"GET / "
                   "HTTP/1.1\" 200 1", "", &ev, &why));
    CHECK_EQ(why, FL_BAD_NO_SERVICE);
    fl_decoder_destroy(d);
}

/* A request line as long as the default --max-line allows decodes under
 * the limits (linear patterns need few match-limit units per byte). */
static void nginx_long_line(void)
{
    fl_decoder *d = new_named("nginx");
    REQUIRE(d != NULL);
    size_t cap = 65536;
    char *line = malloc(cap + 1);
    size_t k = (size_t)snprintf(line, cap,
                                "1.2.3.4 - - [10/Mar/2024:12:34:56 +0000] "
                                "\"GET /big/");
    while (k < cap - 200) {
        bool esc = k % 7 == 0;
        line[k++] = esc ? '\\' : 'a';
        if (esc)
            line[k++] = '"';
    }
    k += (size_t)snprintf(line + k, cap - k,
                          " HTTP/1.1\" 200 1 \"-\" \"agent\" 0.5");
    fl_event ev;
    fl_bad_reason why;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    bool ok = fl_decode_line(d, (fl_str){line, k}, fl_str_c("f"), &ev, &why);
    double ms = ms_since(&t0);
    CHECK_MSG(ok, "rejected: %s", fl_bad_reason_name(why));
    if (ok) {
        CHECK_FLSTR(ev.service, "big");
        CHECK(ev.latency_ms == 500);
        CHECK_GT(ev.msg.n, 60000);
    }
    CHECK_LT(ms, 50.0);
    free(line);
    fl_decoder_destroy(d);
}

/* ------------------------------------------------------------- syslog */

static void syslog_fields(void)
{
    fl_decoder *d = new_named("syslog");
    REQUIRE(d != NULL);
    fl_event ev;
    fl_bad_reason why;
    /* severity -> level, for every severity (facility 16, local0) */
    static const fl_level want[8] = {
        FL_LEVEL_FATAL, FL_LEVEL_FATAL, FL_LEVEL_FATAL, FL_LEVEL_ERROR,
        FL_LEVEL_WARN,  FL_LEVEL_INFO,  FL_LEVEL_INFO,  FL_LEVEL_DEBUG,
    };
    for (int sev = 0; sev < 8; sev++) {
        char line[160];
        snprintf(line, sizeof line,
                 "<%d>1 2024-03-10T12:34:56Z host app 1 - - hello", 128 + sev);
        REQUIRE(dec1(d, line, "f", &ev, &why));
        CHECK_EQ(ev.level, want[sev]);
        CHECK_EQ(ev.ts, T0_NS);
        CHECK_FLSTR(ev.service, "app");
        CHECK_FLSTR(ev.msg, "hello");
        CHECK_EQ(fl_event_is_error(&ev), sev <= 3);
    }
    /* the smallest and largest priorities */
    REQUIRE(dec1(d, "<0>1 2024-03-10T12:34:56Z h a - - - x", "f", &ev, &why));
    CHECK_EQ(ev.level, FL_LEVEL_FATAL);
    REQUIRE(dec1(d, "<191>1 2024-03-10T12:34:56Z h a - - - x", "f", &ev, &why));
    CHECK_EQ(ev.level, FL_LEVEL_DEBUG);
    CHECK_REJECT(d, "<192>1 2024-03-10T12:34:56Z h a - - - x", FL_BAD_VALUE);
    CHECK_REJECT(d, "<1000>1 2024-03-10T12:34:56Z h a - - - x", FL_BAD_SYNTAX);
    CHECK_REJECT(d, "<>1 2024-03-10T12:34:56Z h a - - - x", FL_BAD_SYNTAX);
    /* structured data with escapes; the BOM is not part of the message */
    REQUIRE(dec1(d, "<14>1 2024-03-10T12:34:56Z h a - - [x@1 k=\"a\\\"]b\"]"
                    "[y@1] \xEF\xBB\xBFmsg", "f", &ev, &why));
    CHECK_FLSTR(ev.msg, "msg");
    /* inner JSON: its fields win, the header fills the gaps */
    REQUIRE(dec1(d, "<11>1 2024-03-10T12:34:56Z h hdr - - - {\"service\":\"in\","
                    "\"level\":\"warn\",\"status\":502}", "f", &ev, &why));
    CHECK_FLSTR(ev.service, "in");
    CHECK_EQ(ev.level, FL_LEVEL_WARN);
    CHECK_EQ(ev.status, 502);
    CHECK_EQ(ev.ts, T0_NS);
    CHECK_EQ(ev.msg.n, 0);
    /* inner logfmt with an escaped message (in the scratch buffer) */
    REQUIRE(dec1(d, "<14>Mar 10 12:34:56 h app[1]: level=error "
                    "msg=\"a\\tb\" latency_ms=5", "f", &ev, &why));
    CHECK_FLSTR(ev.service, "app");
    CHECK_FLSTR(ev.msg, "a\tb");
    CHECK(ev.latency_ms == 5);
    CHECK_EQ(ev.level, FL_LEVEL_ERROR);
    /* inner change event */
    REQUIRE(dec1(d, "<14>1 2024-03-10T12:34:56Z h ci - - - {\"kind\":\"config\","
                    "\"service\":\"api\",\"change_id\":\"c7\"}", "f", &ev, &why));
    CHECK_EQ(ev.kind, FL_EV_CHANGE);
    CHECK_EQ(ev.change_kind, FL_CHANGE_CONFIG);
    CHECK_FLSTR(ev.change_id, "c7");
    /* an inner message with a bad time is a bad time */
    CHECK_REJECT(d, "<14>1 2024-03-10T12:34:56Z h a - - - {\"ts\":\"soon\"}",
                 FL_BAD_TIMESTAMP);
    /* NIL app-name: the fallback; none: no service */
    REQUIRE(dec1(d, "<14>1 2024-03-10T12:34:56Z h - - - - x", "topic", &ev,
                 &why));
    CHECK_FLSTR(ev.service, "topic");
    CHECK(!dec1(d, "<14>1 2024-03-10T12:34:56Z h - - - - x", "", &ev, &why));
    CHECK_EQ(why, FL_BAD_NO_SERVICE);
    /* RFC 3339 times in files rsyslog writes (no PRI, no level) */
    REQUIRE(dec1(d, "2024-03-10T13:34:56.5+01:00 host sshd[9]: hi", "f", &ev,
                 &why));
    CHECK_EQ(ev.ts, T0_NS + 500000000);
    CHECK_FLSTR(ev.service, "sshd");
    CHECK_EQ(ev.level, FL_LEVEL_NONE);
    fl_decoder_destroy(d);
}

/* RFC 3164 has no year: the one closest to the previous event's time, for
 * the first event closest to 1 July of the reference year. */
static void syslog_years(void)
{
    fl_event ev;
    fl_bad_reason why;
    fl_pattern_set_reference_year(2023);
    fl_decoder *d = new_named("syslog");
    REQUIRE(d != NULL);
    REQUIRE(dec1(d, "<14>Dec 31 23:59:59 h a: x", "f", &ev, &why));
    CHECK_EQ(ev.ts, (fl_time)1704067199 * FL_NS_PER_SEC); /* 2023-12-31 */
    REQUIRE(dec1(d, "<14>Jan  1 00:00:01 h a: x", "f", &ev, &why));
    CHECK_EQ(ev.ts, (fl_time)1704067201 * FL_NS_PER_SEC); /* 2024-01-01 */
    REQUIRE(dec1(d, "<14>Dec 31 23:59:58 h a: late line", "f", &ev, &why));
    CHECK_EQ(ev.ts, (fl_time)1704067198 * FL_NS_PER_SEC); /* back: 2023 */
    /* Feb 29: only leap years are candidates (2024 here) */
    REQUIRE(dec1(d, "<14>Feb 29 12:00:00 h a: x", "f", &ev, &why));
    CHECK_EQ(ev.ts, (fl_time)1709208000 * FL_NS_PER_SEC);
    /* fractions; zero-padded days */
    REQUIRE(dec1(d, "<14>Mar 01 00:00:00.25 h a: x", "f", &ev, &why));
    CHECK_EQ(ev.ts, (fl_time)1709251200 * FL_NS_PER_SEC + 250000000);
    fl_decoder_destroy(d);

    /* a new decoder starts from the reference again */
    fl_pattern_set_reference_year(2030);
    d = new_named("syslog");
    REQUIRE(dec1(d, "<14>Jan  1 00:00:00 h a: x", "f", &ev, &why));
    CHECK_EQ(ev.ts, (fl_time)1893456000 * FL_NS_PER_SEC); /* 2030-01-01 */
    fl_decoder_destroy(d);
    fl_pattern_set_reference_year(2025);
    d = new_named("syslog");
    CHECK_REJECT(d, "<14>Feb 29 12:00:00 h a: x", FL_BAD_TIMESTAMP);
    CHECK_REJECT(d, "<14>Foo 10 12:00:00 h a: x", FL_BAD_TIMESTAMP);
    CHECK_REJECT(d, "<14>Mar 10 24:00:00 h a: x", FL_BAD_TIMESTAMP);
    CHECK_REJECT(d, "<14>Mar 32 12:00:00 h a: x", FL_BAD_TIMESTAMP);
    fl_decoder_destroy(d);
    /* without a reference year, the wall clock's year (or a neighbour) */
    fl_pattern_set_reference_year(0);
    d = new_named("syslog");
    REQUIRE(dec1(d, "<14>Jul  1 00:00:00 h a: x", "f", &ev, &why));
    fl_time now = (fl_time)time(NULL) * FL_NS_PER_SEC;
    CHECK_LT(llabs(ev.ts - now), (long long)366 * 86400 * FL_NS_PER_SEC);
    fl_decoder_destroy(d);
}

/* ------------------------------------------------------------ sniffers */

static void sniffers(void)
{
    fl_format f;
    CHECK(fl_format_parse("nginx", &f) && f == FL_FORMAT_NGINX);
    CHECK(fl_format_parse("syslog", &f) && f == FL_FORMAT_SYSLOG);
    CHECK(fl_format_parse("apache", &f) && f >= FL_FORMAT_PATTERN_BASE);
    const char *names = fl_format_names();
    CHECK(strstr(names, "nginx") && strstr(names, "syslog") &&
          strstr(names, "apache"));

    fl_decoder *a = fl_decoder_new(FL_FORMAT_AUTO);
    fl_event ev;
    fl_bad_reason why;
    static const struct {
        const char *line;
        bool decoded; /* else rejected, but not as unknown_format */
    } yes[] = {
        {"<34>Oct 11 22:14:15 mymachine su: x", true},
        {"<1>", false},
        {"<999>garbage", false},
        {"127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" "
         "200 1", true},
        {"::1 - - [10/Oct/2000:13:55:36 -0700] \"GET /x HTTP/1.0\" 200 1",
         true},
        {"host.example-1.com - - [x] \"", false},
    };
    static const char *const no[] = {
        "<a>text",
        "<>",
        "< 1>",
        "<1234>x",
        "127.0.0.1 frank [10/Oct/2000:13:55:36 -0700] \"GET /\" 200 1",
        "127.0.0.1 - frank 10/Oct/2000:13:55:36 -0700 \"GET /\" 200 1",
        "127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] GET / 200 1",
        " 127.0.0.1 - - [x] \"GET /\" 200 1",
        "- - - [x] y",
        "Oct 11 22:14:15 host app: no PRI, so not sniffed",
    };
    for (size_t i = 0; i < FL_ARRAY_LEN(yes); i++) {
        why = FL_BAD__COUNT;
        bool ok = dec1(a, yes[i].line, "fb", &ev, &why);
        CHECK_MSG(ok == yes[i].decoded && (ok || why != FL_BAD_UNKNOWN_FORMAT),
                  "%s: %s", yes[i].line, ok ? "ok" : fl_bad_reason_name(why));
    }
    for (size_t i = 0; i < FL_ARRAY_LEN(no); i++) {
        why = FL_BAD__COUNT;
        CHECK_MSG(!dec1(a, no[i], "fb", &ev, &why) &&
                      why == FL_BAD_UNKNOWN_FORMAT,
                  "sniffed: %s (%s)", no[i], fl_bad_reason_name(why));
    }
    /* JSON and logfmt lines are not taken by these sniffers */
    REQUIRE(dec1(a, "{\"ts\":1710074096,\"service\":\"s\"}", "fb", &ev, &why));
    CHECK_FLSTR(ev.service, "s");
    REQUIRE(dec1(a, "ts=1710074096 service=l", "fb", &ev, &why));
    CHECK_FLSTR(ev.service, "l");
    /* one auto decoder switches between formats line by line */
    REQUIRE(dec1(a, "<14>1 2024-03-10T12:34:56Z h app - - - x", "fb", &ev,
                 &why));
    CHECK_FLSTR(ev.service, "app");
    REQUIRE(dec1(a, "1.2.3.4 - - [10/Mar/2024:12:34:56 +0000] \"GET /n "
                    "HTTP/1.1\" 200 1", "fb", &ev, &why));
    CHECK_FLSTR(ev.service, "n");
    fl_decoder_destroy(a);
}

/* ------------------------------------------------------- user patterns */

static void user_patterns(void)
{
    char err[256];
    /* every field a group can fill */
    REQUIRE(fl_pattern_define(
        "t_app",
        "^(?<ts>\\S+) (?<level>\\w+) (?<service>[\\w-]+|-) st=(?<status>\\d+) "
        "dur=(?<latency_ms>[\\d.]+) up=(?<upstream>\\S+) v=(?<version>\\S+) "
        "(?<msg>.*)$",
        "fixed", err, sizeof err));
    fl_format f;
    REQUIRE(fl_format_parse("t_app", &f));
    CHECK_GE(f, FL_FORMAT_PATTERN_BASE);
    CHECK(strstr(fl_format_names(), "t_app") != NULL);
    fl_decoder *d = fl_decoder_new(f);
    fl_event ev;
    fl_bad_reason why;
    REQUIRE(dec1(d, "2024-03-10T12:34:56Z ERROR api st=502 dur=12.5 up=db "
                    "v=v3 upstream connect failed", "fb", &ev, &why));
    CHECK_EQ(ev.ts, T0_NS);
    CHECK_EQ(ev.level, FL_LEVEL_ERROR);
    CHECK_FLSTR(ev.service, "api");
    CHECK_EQ(ev.status, 502);
    CHECK(ev.latency_ms == 12.5);
    CHECK_FLSTR(ev.upstream, "db");
    CHECK_FLSTR(ev.version, "v3");
    CHECK_FLSTR(ev.msg, "upstream connect failed");
    /* the capture wins over the fixed service, "-" is absent */
    REQUIRE(dec1(d, "2024-03-10T12:34:56Z info - st=200 dur=1 up=- v=- x",
                 "fb", &ev, &why));
    CHECK_FLSTR(ev.service, "fixed");
    CHECK_EQ(ev.upstream.n, 0);
    CHECK_EQ(ev.version.n, 0);
    /* the shared validation */
    CHECK_REJECT(d, "2024-03-10T12:34:56Z info a st=999 dur=1 up=x v=1 m",
                 FL_BAD_VALUE);
    CHECK_REJECT(d, "2024-03-10T12:34:56Z info a st=200 dur=1.2.3 up=x v=1 m",
                 FL_BAD_VALUE);
    CHECK_REJECT(d, "1999-03-10T12:34:56Z info a st=200 dur=1 up=x v=1 m",
                 FL_BAD_TIMESTAMP);
    CHECK_REJECT(d, "no match", FL_BAD_SYNTAX);
    CHECK_REJECT(d, "2024-03-10T12:34:56Z info a st=200 dur=1 up=x v=1 \xFF",
                 FL_BAD_UTF8);
    fl_decoder *old = d;

    /* redefinition: decoders made after it use the new pattern, the old
     * decoder keeps its own */
    REQUIRE(fl_pattern_define("t_app", "^(?<ts>\\S+) (?<msg>.*)$", NULL, err,
                              sizeof err));
    REQUIRE(fl_format_parse("t_app", &f));
    d = fl_decoder_new(f);
    REQUIRE(dec1(d, "2024-03-10T12:34:56Z hello", "fb", &ev, &why));
    CHECK_FLSTR(ev.service, "fb");
    CHECK_FLSTR(ev.msg, "hello");
    REQUIRE(dec1(old, "2024-03-10T12:34:56Z info api st=200 dur=1 up=x v=1 m",
                 "fb", &ev, &why));
    CHECK_FLSTR(ev.service, "api");
    fl_decoder_destroy(d);
    fl_decoder_destroy(old);
    /* fl_format_names lists a redefined name once */
    const char *names = fl_format_names();
    const char *first = strstr(names, "t_app");
    CHECK(first && !strstr(first + 1, "t_app"));

    /* other names of the JSON keys, latency_s, numeric levels, a change */
    REQUIRE(fl_pattern_define(
        "t_keys",
        "^(?<time>\\d+) (?<severity>\\S+) (?<latency_s>\\S+) (?<kind>\\w+) "
        "(?<change_id>\\S+) (?<author>\\S+) (?<message>.*)$",
        "svc", err, sizeof err));
    REQUIRE(fl_format_parse("t_keys", &f));
    d = fl_decoder_new(f);
    REQUIRE(dec1(d, "1710074096 50 0.25 other - - m", "fb", &ev, &why));
    CHECK_EQ(ev.ts, T0_NS);
    CHECK_EQ(ev.level, FL_LEVEL_ERROR);
    CHECK(ev.latency_ms == 250);
    CHECK_FLSTR(ev.msg, "m");
    CHECK_FLSTR(ev.service, "svc");
    REQUIRE(dec1(d, "1710074096 info - deploy chg-1 bo v2 out", "fb", &ev,
                 &why));
    CHECK_EQ(ev.kind, FL_EV_CHANGE);
    CHECK_EQ(ev.change_kind, FL_CHANGE_DEPLOY);
    CHECK_FLSTR(ev.change_id, "chg-1");
    CHECK_FLSTR(ev.author, "bo");
    CHECK_REJECT(d, "1710074096 info 1s other - - m", FL_BAD_VALUE);
    CHECK_REJECT(d, "1710074096 info -1 other - - m", FL_BAD_VALUE);
    fl_decoder_destroy(d);

    /* a built-in's regex with a fixed service (the config's per-file nginx) */
    REQUIRE(fl_pattern_regex("nginx") != NULL);
    CHECK(fl_pattern_regex("no_such") == NULL);
    REQUIRE(fl_pattern_define("t_web", fl_pattern_regex("nginx"), "web", err,
                              sizeof err));
    REQUIRE(fl_format_parse("t_web", &f));
    d = fl_decoder_new(f);
    REQUIRE(dec1(d, "1.2.3.4 - - [10/Mar/2024:12:34:56 +0000] \"GET /cart "
                    "HTTP/1.1\" 200 1", "fb", &ev, &why));
    CHECK_FLSTR(ev.service, "web");
    fl_decoder_destroy(d);
    /* a decoder made for FL_FORMAT_PATTERN without a pattern decodes
     * nothing */
    d = fl_decoder_new(FL_FORMAT_PATTERN);
    CHECK_REJECT(d, "x", FL_BAD_UNKNOWN_FORMAT);
    fl_decoder_destroy(d);
    d = fl_decoder_new((fl_format)(FL_FORMAT_PATTERN_BASE + 100000));
    CHECK_REJECT(d, "x", FL_BAD_UNKNOWN_FORMAT);
    fl_decoder_destroy(d);
}

static void define_errors(void)
{
    char err[256];
    /* compile errors carry PCRE2's message and the offset */
    CHECK(!fl_pattern_define("t_bad", "^(?<ts>\\S+", NULL, err, sizeof err));
    CHECK_MSG(strstr(err, "t_bad") && strstr(err, "offset 10") &&
                  strstr(err, "missing closing parenthesis"),
              "%s", err);
    CHECK(!fl_pattern_define("t_bad", "(?<ts>x)[", NULL, err, sizeof err));
    CHECK_MSG(strstr(err, "offset 9") && strstr(err, "missing terminating ]"),
              "%s", err);
    CHECK(!fl_pattern_define("t_bad", "(?<ts>x)\\C", NULL, err, sizeof err));
    CHECK_MSG(strstr(err, "offset"), "%s", err);
    CHECK(!fl_pattern_define("t_bad", "(?<ts>\xFF)", NULL, err, sizeof err));
    CHECK_MSG(strstr(err, "UTF-8"), "%s", err);
    /* no time group */
    CHECK(!fl_pattern_define("t_bad", "^(?<msg>.*)$", NULL, err, sizeof err));
    CHECK_MSG(strstr(err, "ts"), "%s", err);
    /* names */
    CHECK(!fl_pattern_define("", "(?<ts>x)", NULL, err, sizeof err));
    CHECK(!fl_pattern_define("a b", "(?<ts>x)", NULL, err, sizeof err));
    CHECK(!fl_pattern_define(NULL, "(?<ts>x)", NULL, err, sizeof err));
    CHECK(!fl_pattern_define("json", "(?<ts>x)", NULL, err, sizeof err));
    CHECK_MSG(strstr(err, "built-in"), "%s", err);
    CHECK(!fl_pattern_define("logfmt", "(?<ts>x)", NULL, err, sizeof err));
    CHECK(!fl_pattern_define("raw", "(?<ts>x)", NULL, err, sizeof err));
    CHECK(!fl_pattern_define("auto", "(?<ts>x)", NULL, err, sizeof err));
    CHECK(!fl_pattern_define("t_bad", NULL, NULL, err, sizeof err));
    /* fixed services must be usable names */
    CHECK(!fl_pattern_define("t_bad", "(?<ts>x)", "", err, sizeof err));
    CHECK(!fl_pattern_define("t_bad", "(?<ts>x)", "a\tb", err, sizeof err));
    CHECK(!fl_pattern_define("t_bad", "(?<ts>x)", "   ", err, sizeof err));
    CHECK(!fl_pattern_define("t_bad", "(?<ts>x)", "\xC3", err, sizeof err));
    /* none of these defined anything */
    fl_format f;
    CHECK(!fl_format_parse("t_bad", &f));
    /* duplicate names ((?J)) and branch resets: the first set one */
    REQUIRE(fl_pattern_define("t_dup",
                              "(?J)^(?:a(?<ts>\\d+)|b(?<ts>\\d+)) (?<msg>.*)$",
                              "s", err, sizeof err));
    REQUIRE(fl_format_parse("t_dup", &f));
    fl_decoder *d = fl_decoder_new(f);
    fl_event ev;
    fl_bad_reason why;
    REQUIRE(dec1(d, "b1710074096 x", "fb", &ev, &why));
    CHECK_EQ(ev.ts, T0_NS);
    fl_decoder_destroy(d);
}

/* ------------------------------------------------------------- limits */

/* ^(a+)+$ on a 30 KB line that cannot match: exponential backtracking,
 * stopped by the match limit in well under 50 ms and counted as
 * pattern_limit. Run in a child with a timeout: without limits it would
 * not finish at all. */
static void catastrophic_child(void)
{
    char err[256];
    if (!fl_pattern_define("t_evil", "^(?<ts>(a+)+)$", "s", err, sizeof err)) {
        unit_fail(__FILE__, __LINE__, "define: %s", err);
        return;
    }
    fl_format f;
    REQUIRE(fl_format_parse("t_evil", &f));
    fl_decoder *d = fl_decoder_new(f);
    size_t n = 30000;
    char *line = malloc(n + 2);
    memset(line, 'a', n);
    line[n] = 'b';
    line[n + 1] = '\0';
    double worst = 0;
    for (int i = 0; i < 5; i++) {
        fl_event ev;
        fl_bad_reason why = FL_BAD__COUNT;
        struct timespec t0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        bool ok = fl_decode_line(d, (fl_str){line, n + 1}, fl_str_c("s"), &ev,
                                 &why);
        double ms = ms_since(&t0);
        if (ms > worst)
            worst = ms;
        CHECK(!ok);
        CHECK_EQ(why, FL_BAD_PATTERN_LIMIT);
    }
    printf("    catastrophic ^(a+)+$ on 30 KB: worst of 5 %.2f ms\n", worst);
    CHECK_LT(worst, 50.0);
    /* the same decoder still works on a line that matches */
    line[n] = '\0';
    fl_event ev;
    fl_bad_reason why;
    CHECK(!fl_decode_line(d, (fl_str){line, n}, fl_str_c("s"), &ev, &why));
    CHECK_EQ(why, FL_BAD_TIMESTAMP); /* matched: "aaa..." is no time */
    free(line);
    fl_decoder_destroy(d);

    /* nested quantifiers in a group that must backtrack deeply: the JIT
     * stack or the depth limit ends it, also counted */
    REQUIRE(fl_pattern_define("t_deep", "^(?<ts>(?:a|b)*+c|(?:(a|aa))*d)$",
                              "s", err, sizeof err));
    REQUIRE(fl_format_parse("t_deep", &f));
    d = fl_decoder_new(f);
    line = malloc(60001);
    memset(line, 'a', 60000);
    line[60000] = '\0';
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    why = FL_BAD__COUNT;
    CHECK(!fl_decode_line(d, (fl_str){line, 60000}, fl_str_c("s"), &ev, &why));
    double ms = ms_since(&t0);
    CHECK_MSG(why == FL_BAD_PATTERN_LIMIT || why == FL_BAD_SYNTAX, "%s",
              fl_bad_reason_name(why));
    CHECK_LT(ms, 50.0);
    free(line);
    fl_decoder_destroy(d);
}

/* The limits leave room for honest patterns: a non-possessive group
 * repeated over a whole 64 KiB line still matches. */
static void limits_allow_long_lines(void)
{
    char err[256];
    REQUIRE(fl_pattern_define("t_long", "^(?<ts>\\S+) (?<msg>(?:a|b)*)$", "s",
                              err, sizeof err));
    fl_format f;
    REQUIRE(fl_format_parse("t_long", &f));
    fl_decoder *d = fl_decoder_new(f);
    size_t n = 65000;
    char *line = malloc(n + 32);
    int k = snprintf(line, 32, "1710074096 ");
    memset(line + k, 'a', n);
    line[k + n] = '\0';
    fl_event ev;
    fl_bad_reason why = FL_BAD__COUNT;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    bool ok = fl_decode_line(d, (fl_str){line, (size_t)k + n}, fl_str_c("s"),
                             &ev, &why);
    double ms = ms_since(&t0);
    CHECK_MSG(ok, "rejected: %s", fl_bad_reason_name(why));
    if (ok)
        CHECK_EQ(ev.msg.n, n);
    CHECK_LT(ms, 50.0);
    free(line);
    fl_decoder_destroy(d);
}

static void catastrophic_pattern(void)
{
    char why[128];
    CHECK_MSG(unit_run_isolated(catastrophic_child, 20, why, sizeof why), "%s",
              why);
    CHECK_STR(fl_bad_reason_name(FL_BAD_PATTERN_LIMIT), "pattern_limit");
}

static const unit_test tests[] = {
    UNIT_TEST(samples),         UNIT_TEST(nginx_fields),
    UNIT_TEST(nginx_long_line), UNIT_TEST(syslog_fields),
    UNIT_TEST(syslog_years),    UNIT_TEST(sniffers),
    UNIT_TEST(user_patterns),   UNIT_TEST(define_errors),
    UNIT_TEST(limits_allow_long_lines), UNIT_TEST(catastrophic_pattern),
};
UNIT_SUITE(unit_suite_pattern, "pattern", tests);
