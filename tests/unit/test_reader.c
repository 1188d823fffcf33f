/* test_reader.c - ingest/reader.c: the reader thread hands out exactly the
 * lines, statuses and end that fl_source_next gives on the same input
 * (batches of any size, over-long lines, CRLF, truncated .zst), stops early
 * without hanging; and common/util.c's fl_decimal_fast is bit-exact with
 * strtod. */
#define _POSIX_C_SOURCE 200809L
#include "../../ingest/reader.h"
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

static unit_rng rng = {12345, false, 0};
static uint64_t rnd(void) { return unit_rng_u64(&rng); }

/* random lines: empty, short, CRLF, over the cap, blank; maybe no final
 * newline */
static char *make_input(size_t nlines, size_t max_line, bool final_nl,
                        size_t *out_n)
{
    size_t cap = nlines * (max_line * 2 + 4) + 16, n = 0;
    char *s = malloc(cap);
    for (size_t i = 0; i < nlines; i++) {
        uint64_t r = rnd();
        size_t len = (r & 7) == 0 ? max_line + 1 + (r >> 8) % max_line
                                  : (r >> 8) % (max_line + 1);
        for (size_t k = 0; k < len; k++)
            s[n++] = (char)('a' + (rnd() % 26));
        if ((r >> 4 & 3) == 0)
            s[n++] = '\r';
        if (i + 1 < nlines || final_nl)
            s[n++] = '\n';
    }
    *out_n = n;
    return s;
}

/* reads `data` through a plain source and through a reader over another
 * source on the same bytes, and compares every step */
static void compare(const void *data, size_t n, size_t max_line,
                    size_t batch, unsigned nbatch)
{
    fl_source *a = fl_source_open_mem("a", data, n, max_line);
    fl_source *b = fl_source_open_mem("b", data, n, max_line);
    REQUIRE(a && b);
    fl_reader *r = fl_reader_start(b, batch, nbatch);
    REQUIRE(r != NULL);
    for (size_t step = 0;; step++) {
        fl_str la = {NULL, 0}, lb = {NULL, 0};
        fl_line_status sa = fl_source_next(a, &la);
        fl_line_status sb = fl_reader_next(r, &lb);
        CHECK_MSG(sa == sb, "step %zu: status %d vs %d", step, sa, sb);
        if (sa != sb)
            break;
        if (sa == FL_LINE_OK) {
            CHECK_EQ(la.n, lb.n);
            CHECK(la.n == lb.n && memcmp(la.p, lb.p, la.n) == 0);
            CHECK_EQ(lb.p[lb.n], '\0');
        }
        if (sa == FL_LINE_EOF || sa == FL_LINE_ERROR) {
            if (sa == FL_LINE_ERROR)
                CHECK_MSG(strstr(fl_source_error(b), "truncated") != NULL,
                          "error: %s", fl_source_error(b));
            /* the end repeats */
            CHECK_EQ(fl_reader_next(r, &lb), sa);
            break;
        }
        CHECK_EQ_U64(fl_reader_line_no(r), fl_source_line_no(a));
    }
    CHECK_EQ_U64(fl_reader_line_no(r), fl_source_line_no(a));
    fl_reader_destroy(r);
    CHECK_EQ_U64(fl_source_line_no(b), fl_source_line_no(a));
    fl_source_destroy(a);
    fl_source_destroy(b);
}

static void same_lines_small_batches(void)
{
    size_t n;
    char *in = make_input(5000, 200, true, &n);
    compare(in, n, 200, 1, 2); /* batch forced up to max_line + header */
    compare(in, n, 200, 4096, 3);
    free(in);
    in = make_input(3000, 100, false, &n); /* last line without newline */
    compare(in, n, 100, 0, 0);
    free(in);
}

static void empty_and_blank(void)
{
    compare("", 0, 64, 0, 0);
    compare("\n\n\r\n", 4, 64, 0, 0);
    compare("x", 1, 64, 0, 0);
}

static void zstd_whole_and_truncated(void)
{
    size_t n;
    char *in = make_input(20000, 300, true, &n);
    size_t cap = ZSTD_compressBound(n);
    char *z = malloc(cap);
    size_t zn = ZSTD_compress(z, cap, in, n, 3);
    REQUIRE(!ZSTD_isError(zn));
    compare(z, zn, 300, 8192, 2);
    compare(z, zn * 2 / 3, 300, 8192, 2); /* ends inside the frame */
    free(z);
    free(in);
}

/* destroying a reader whose thread waits on a full ring returns */
static void early_stop(void)
{
    size_t n;
    char *in = make_input(20000, 100, true, &n);
    fl_source *s = fl_source_open_mem("s", in, n, 100);
    fl_reader *r = fl_reader_start(s, 1, 2);
    REQUIRE(r != NULL);
    fl_str l;
    for (int i = 0; i < 10; i++)
        CHECK(fl_reader_next(r, &l) != FL_LINE_EOF);
    fl_reader_destroy(r);
    fl_source_destroy(s);
    /* events mode, two decoders, all rings full */
    s = fl_source_open_mem("s", in, n, 100);
    fl_decoder *d[2] = {fl_decoder_new(FL_FORMAT_AUTO),
                        fl_decoder_new(FL_FORMAT_AUTO)};
    r = fl_reader_start_events(s, d, 2, fl_str_c("x"), 1, 2);
    REQUIRE(r != NULL);
    const fl_reader_item *it;
    for (int i = 0; i < 10; i++)
        CHECK(fl_reader_next_item(r, &it) == FL_LINE_OK);
    fl_reader_destroy(r);
    fl_decoder_destroy(d[0]);
    fl_decoder_destroy(d[1]);
    fl_source_destroy(s);
    free(in);
}

/* ---------------------------------------------------------- events mode */

static bool str_same(fl_str a, fl_str b)
{
    return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
}

static bool same_event(const fl_event *a, const fl_event *b)
{
    return a->kind == b->kind && a->ts == b->ts && a->status == b->status &&
           a->level == b->level && a->change_kind == b->change_kind &&
           (a->latency_ms == b->latency_ms ||
            (isnan(a->latency_ms) && isnan(b->latency_ms))) &&
           (a->value == b->value || (isnan(a->value) && isnan(b->value))) &&
           str_same(a->service, b->service) && str_same(a->msg, b->msg) &&
           str_same(a->upstream, b->upstream) &&
           str_same(a->version, b->version) &&
           str_same(a->change_id, b->change_id) &&
           str_same(a->author, b->author) && str_same(a->metric, b->metric);
}

/* a mix of formats and failures; escapes make the JSON decoder unescape
 * into its own scratch space, Influx lines yield several events */
static char *make_mixed(size_t nlines, size_t max_line, size_t *out_n)
{
    size_t cap = nlines * (max_line + 400), n = 0;
    char *s = malloc(cap);
    for (size_t i = 0; i < nlines; i++) {
        uint64_t r = rnd();
        long long ts = 1795305600LL + (long long)i;
        int k;
        switch (r % 9) {
        case 0:
            k = snprintf(s + n, cap - n,
                         "{\"ts\":%lld,\"service\":\"svc%u\",\"status\":%u,"
                         "\"latency_ms\":%u.%u,\"msg\":\"say \\\"hi\\\"\\n%u\"}\n",
                         ts, (unsigned)(r >> 8) % 50, 200 + (unsigned)(r >> 16) % 400,
                         (unsigned)(r >> 24) % 900, (unsigned)(r >> 32) % 10,
                         (unsigned)(r >> 40) % 1000);
            break;
        case 1:
            k = snprintf(s + n, cap - n,
                         "ts=%lld service=api%u level=error msg=\"x y\" latency_ms=3\n",
                         ts, (unsigned)(r >> 8) % 7);
            break;
        case 2:
            k = snprintf(s + n, cap - n,
                         "cpu,service=db%u,host=h usage=%u.5,idle=%ui,load=0.%u %lld000000000\n",
                         (unsigned)(r >> 8) % 5, (unsigned)(r >> 16) % 100,
                         (unsigned)(r >> 24) % 100, (unsigned)(r >> 32) % 100, ts);
            break;
        case 3:
            k = snprintf(s + n, cap - n, "{\"ts\":%lld,\"service\":\"x\"\n", ts);
            break;
        case 4:
            k = snprintf(s + n, cap - n, "%s\n", (r >> 8) & 1 ? "" : "  \t ");
            break;
        case 5: /* over the cap */
            memset(s + n, 'z', max_line + 5);
            k = (int)max_line + 5;
            s[n + (size_t)k++] = '\n';
            break;
        case 6:
            k = snprintf(s + n, cap - n,
                         "{\"ts\":%lld,\"kind\":\"deploy\",\"service\":\"svc1\","
                         "\"version\":\"v%u\",\"change_id\":\"c%u\",\"author\":\"a\"}\n",
                         ts, (unsigned)(r >> 8) % 9, (unsigned)(r >> 16) % 99);
            break;
        default:
            k = snprintf(s + n, cap - n,
                         "{\"@timestamp\":\"2026-11-22T00:00:%02uZ\",\"service\":"
                         "{\"name\":\"edge\"},\"http\":{\"response\":{\"status_code\":%u}},"
                         "\"message\":\"%.*s\"}\n",
                         (unsigned)(r >> 8) % 60, 200 + (unsigned)(r >> 16) % 300,
                         (int)((r >> 24) % (max_line / 2)),
                         "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz"
                         "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz"
                         "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz");
            break;
        }
        n += (size_t)k;
    }
    *out_n = n;
    return s;
}

/* What replay does reading in place, item by item, against the reader in
 * events mode on the same bytes with its own decoder. */
static void compare_events(const void *data, size_t n, size_t max_line,
                           size_t batch, unsigned nbatch, fl_format fmt,
                           unsigned ndec)
{
    fl_source *a = fl_source_open_mem("a", data, n, max_line);
    fl_source *b = fl_source_open_mem("b", data, n, max_line);
    fl_decoder *da = fl_decoder_new(fmt);
    fl_decoder *db[3] = {fl_decoder_new(fmt), fl_decoder_new(fmt),
                         fl_decoder_new(fmt)};
    fl_str fb = fl_str_c("fallback");
    REQUIRE(a && b && da && db[0]);
    fl_reader *r = fl_reader_start_events(b, db, ndec, fb, batch, nbatch);
    REQUIRE(r != NULL);
    size_t items = 0, events = 0, bad = 0;
    bool more = false; /* da has further events of its line */
    for (;;) {
        /* the reference item */
        fl_reader_item want;
        memset(&want, 0, sizeof want);
        fl_line_status sa = FL_LINE_OK;
        if (more && fl_decoder_more(da, &want.ev)) {
            want.counts_line = false;
        } else {
            more = false;
            for (;;) {
                fl_str line;
                sa = fl_source_next(a, &line);
                if (sa == FL_LINE_EOF || sa == FL_LINE_ERROR)
                    break;
                want.counts_line = true;
                if (sa == FL_LINE_TOO_LONG) {
                    want.bad = true;
                    want.why = FL_BAD_TOO_LONG;
                    sa = FL_LINE_OK; /* an item */
                    break;
                }
                size_t i = 0;
                while (i < line.n && (line.p[i] == ' ' || line.p[i] == '\t'))
                    i++;
                if (i == line.n)
                    continue;
                if (fl_decode_line(da, line, fb, &want.ev, &want.why)) {
                    more = true;
                } else {
                    want.bad = true;
                }
                sa = FL_LINE_OK;
                break;
            }
        }
        const fl_reader_item *got = NULL;
        fl_line_status sb = fl_reader_next_item(r, &got);
        CHECK_MSG(sa == sb, "item %zu: status %d vs %d", items, sa, sb);
        if (sa != sb || sa != FL_LINE_OK)
            break;
        REQUIRE(got != NULL);
        CHECK_EQ(got->counts_line, want.counts_line);
        CHECK_EQ(got->bad, want.bad);
        if (want.bad) {
            CHECK_EQ(got->why, want.why);
            bad++;
        } else {
            CHECK_MSG(same_event(&got->ev, &want.ev), "item %zu: events differ",
                      items);
            events++;
        }
        if (unit_failures())
            break;
        items++;
    }
    CHECK_EQ_U64(fl_reader_line_no(r), fl_source_line_no(a));
    CHECK_GT(events, 100);
    if (fmt == FL_FORMAT_AUTO && ndec == 1 && batch == 0)
        CHECK_GT(bad, 10); /* make_mixed's failures */
    fl_reader_destroy(r);
    fl_decoder_destroy(da);
    for (int i = 0; i < 3; i++)
        fl_decoder_destroy(db[i]);
    fl_source_destroy(a);
    fl_source_destroy(b);
}

static void events_same_as_in_place(void)
{
    size_t n;
    char *in = make_mixed(6000, 300, &n);
    for (unsigned nd = 1; nd <= 3; nd++) {
        compare_events(in, n, 300, 1, 2, FL_FORMAT_AUTO, nd);
        compare_events(in, n, 300, 0, 0, FL_FORMAT_AUTO, nd);
    }
    size_t cap = ZSTD_compressBound(n);
    char *z = malloc(cap);
    size_t zn = ZSTD_compress(z, cap, in, n, 1);
    REQUIRE(!ZSTD_isError(zn));
    for (unsigned nd = 1; nd <= 3; nd++) {
        compare_events(z, zn, 300, 2048, 3, FL_FORMAT_AUTO, nd);
        /* truncated: the same error after the same items */
        compare_events(z, zn / 2, 300, 2048, 3, FL_FORMAT_AUTO, nd);
    }
    free(z);
    free(in);
}

/* RFC 3164 times have no year: each takes the year that follows the
 * previous event's. Turn-taking decoders must hand that on: syslog lines
 * across New Year (some batches without any, JSON lines between), the
 * reference year set so that a decoder without the history would be
 * wrong after midnight. */
static void syslog_years_handed_on(void)
{
    size_t cap = 9000 * 120, n = 0;
    char *s = malloc(cap);
    /* Dec 31 in the first batch only, a run of JSON lines, then Jan 1:
     * every decoder but the first meets its first syslog line after
     * midnight, and only the handed-on history says 2026 */
    for (int i = 0; i < 3; i++)
        n += (size_t)snprintf(s + n, cap - n,
                              "Dec 31 23:59:%02d host app[1]: before %d\n", i, i);
    for (int i = 0; i < 200; i++)
        n += (size_t)snprintf(s + n, cap - n,
                              "{\"ts\":1767225600,\"service\":\"j\"}\n");
    for (int i = 0; i < 8000; i++) {
        int sec = i;
        if (i % 7 == 3) /* batches without a syslog line */
            n += (size_t)snprintf(s + n, cap - n,
                                  "{\"ts\":1767225600,\"service\":\"j\"}\n");
        else
            n += (size_t)snprintf(s + n, cap - n,
                                  "Jan %2d %02d:%02d:%02d host app[%d]: msg %d\n",
                                  1 + sec / 86400, sec / 3600 % 24, sec / 60 % 60,
                                  sec % 60, i % 100, i);
    }
    fl_pattern_set_reference_year(2025);
    for (unsigned nd = 1; nd <= 3; nd++) {
        compare_events(s, n, 200, 1, 2, FL_FORMAT_AUTO, nd);
        compare_events(s, n, 200, 1, 2, FL_FORMAT_SYSLOG, nd);
    }
    fl_pattern_set_reference_year(0);
    free(s);
}

static void decimal_fast_exact(void)
{
    char buf[64];
    for (int i = 0; i < 200000; i++) {
        uint64_t r = rnd();
        int digits = 1 + (int)(r % 15), dot = (int)((r >> 8) % (digits + 2));
        size_t k = 0;
        if ((r >> 20) & 1)
            buf[k++] = '-';
        for (int d = 0; d < digits; d++) {
            if (d == dot)
                buf[k++] = '.';
            buf[k++] = (char)('0' + rnd() % 10);
        }
        buf[k] = '\0';
        double want = strtod(buf, NULL), got = 0;
        REQUIRE(fl_decimal_fast(buf, k, &got));
        CHECK_MSG(memcmp(&want, &got, sizeof got) == 0, "%s: %.17g vs %.17g",
                  buf, got, want);
        if (memcmp(&want, &got, sizeof got) != 0)
            return;
    }
    double x = 1;
    CHECK(fl_decimal_fast("0.1", 3, &x) && x == 0.1);
    CHECK(fl_decimal_fast("-0", 2, &x) && x == 0 && signbit(x));
    CHECK(fl_decimal_fast("5.", 2, &x) && x == 5);
    CHECK(fl_decimal_fast(".5", 2, &x) && x == 0.5);
    /* not its form: the caller falls back to strtod */
    const char *no[] = {"", "-", ".", "1e5", "1.2.3", "+1", " 1", "1 ",
                        "0x10", "nan", "1234567890123456", "--1"};
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        CHECK_MSG(!fl_decimal_fast(no[i], strlen(no[i]), &x), "took \"%s\"",
                  no[i]);
}

static const unit_test tests[] = {
    UNIT_TEST(same_lines_small_batches),
    UNIT_TEST(empty_and_blank),
    UNIT_TEST(zstd_whole_and_truncated),
    UNIT_TEST(early_stop),
    UNIT_TEST(events_same_as_in_place),
    UNIT_TEST(syslog_years_handed_on),
    UNIT_TEST(decimal_fast_exact),
};
UNIT_SUITE(unit_suite_reader, "reader", tests);
