/* test_template.c - the log-template miner (rca/template.c). */
#define _POSIX_C_SOURCE 200809L
#include "../../rca/fl_template.h"
#include "../../rca/fl_tplev.h"
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void masked_is(fl_tpl_miner *m, const char *in, const char *want,
                      int line)
{
    fl_buf b = {0};
    fl_tpl_masked(m, fl_str_c(in), &b);
    if (strcmp(b.p ? b.p : "", want) != 0)
        unit_fail(__FILE__, line, "mask(\"%s\") = \"%s\", want \"%s\"", in,
                  b.p ? b.p : "", want);
    fl_buf_free(&b);
}
#define MASKED(m, in, want) masked_is(m, in, want, __LINE__)

static void text_is(const fl_tpl_miner *m, int32_t h, const char *want,
                    int line)
{
    fl_buf b = {0};
    if (h < 0) {
        unit_fail(__FILE__, line, "no template (want \"%s\")", want);
        return;
    }
    fl_tpl_text(m, h, &b);
    if (strcmp(b.p ? b.p : "", want) != 0)
        unit_fail(__FILE__, line, "template \"%s\", want \"%s\"",
                  b.p ? b.p : "", want);
    fl_buf_free(&b);
}
#define TEXT(m, h, want) text_is(m, h, want, __LINE__)

static int32_t add(fl_tpl_miner *m, const char *svc, const char *msg)
{
    return fl_tpl_add(m, fl_str_c(svc), fl_str_c(msg));
}

static void masks(void)
{
    fl_tpl_miner *m = fl_tpl_new(NULL);
    MASKED(m, "connection refused to 10.0.0.7:5432",
           "connection refused to <*>:<*>");
    MASKED(m, "dial [2001:db8::1]:443 and fe80::1ff:fe23:4567:890a",
           "dial [<*>]:<*> and <*>");
    MASKED(m, "request 3f2a9c1e-7d0b-4e8f-9a1b-2c3d4e5f6a7b done",
           "request <*> done");
    MASKED(m, "took 12ms, then 1.5s, then 1m30.5s and 250us",
           "took <*>, then <*>, then <*> and <*>");
    MASKED(m, "ptr 0x7f3a9c id 3f2a9c1e77d0 word deadbeef",
           "ptr <*> id <*> word deadbeef");
    MASKED(m, "id=42 user=alice v2 http2 abc123 version 2.3.1",
           "id=<*> user=alice v2 http2 abc123 version <*>");
    MASKED(m, "at 2026-11-22T02:15:34.123Z: x", "at <*>: x");
    MASKED(m, "open \"/var/lib/data file\" failed", "open <*> failed");
    MASKED(m, "can't open 'a b'", "can't open <*>");
    MASKED(m, "  spaced\t\tout  ", "spaced out");
    MASKED(m, "wrote 512MB (12%)", "wrote <*> (<*>)");
    fl_tpl_destroy(m);
}

static void groups_and_generalises(void)
{
    fl_tpl_miner *m = fl_tpl_new(NULL);
    int32_t a = add(m, "api", "upstream cart returned 502 for /x");
    int32_t b = add(m, "api", "upstream search returned 503 for /y");
    CHECK_EQ(a, b);
    TEXT(m, a, "upstream <*> returned <*> for <*>");
    CHECK_EQ(fl_tpl_count(m, a), 2);
    /* a different first token is a different branch of the tree */
    int32_t c = add(m, "api", "Started container cart");
    int32_t d = add(m, "api", "Created container cart");
    CHECK_NE(c, d);
    /* too dissimilar in one leaf: separate */
    int32_t e = add(m, "api", "connection received: host=1.2.3.4 port=5");
    int32_t f = add(m, "api", "connection authorized: user=bob database=shop");
    CHECK_NE(e, f);
    /* other services never share a template */
    int32_t g = add(m, "db", "upstream cart returned 502 for /x");
    CHECK_NE(g, a);
    CHECK(fl_tpl_id(m, g) != fl_tpl_id(m, a));
    CHECK_EQ(fl_tpl_live_count(m), 6);
    /* a token count is a different template */
    int32_t h = add(m, "api", "upstream cart returned 502");
    CHECK_NE(h, a);
    fl_tpl_destroy(m);
}

static void ids_are_text_hashes(void)
{
    fl_tpl_miner *m = fl_tpl_new(NULL);
    int32_t a = add(m, "api", "user alice logged in from 10.0.0.1");
    uint64_t id1 = fl_tpl_id(m, a);
    CHECK_EQ_U64(id1, fl_tpl_text_id(fl_str_c("api"),
                                     fl_str_c("user alice logged in from <*>")));
    add(m, "api", "user bob logged in from 10.0.0.2");
    uint64_t id2 = fl_tpl_id(m, a);
    CHECK(id1 != id2); /* generalised: a new text, a new id */
    CHECK_EQ_U64(id2, fl_tpl_text_id(fl_str_c("api"),
                                     fl_str_c("user <*> logged in from <*>")));
    /* another miner, another order: the same final ids */
    fl_tpl_miner *m2 = fl_tpl_new(NULL);
    int32_t b = add(m2, "api", "user bob logged in from 10.9.9.9");
    add(m2, "api", "user carol logged in from 10.0.0.3");
    CHECK_EQ_U64(fl_tpl_id(m2, b), id2);
    fl_tpl_destroy(m2);
    fl_tpl_destroy(m);
}

static void match_finds_final_template(void)
{
    fl_tpl_miner *m = fl_tpl_new(NULL);
    const char *first = "cache miss for key product:1 in region eu";
    add(m, "s", first);
    add(m, "s", "cache miss for key product:2 in region us");
    add(m, "s", "timeout talking to broker kafka-1 after 3s");
    int32_t h = fl_tpl_match(m, fl_str_c("s"), fl_str_c(first));
    TEXT(m, h, "cache miss for key product:<*> in region <*>");
    CHECK_EQ(fl_tpl_count(m, h), 2); /* match does not learn */
    CHECK_EQ(fl_tpl_match(m, fl_str_c("other"), fl_str_c(first)), -1);
    CHECK_EQ(fl_tpl_match(m, fl_str_c("s"), fl_str_c("never seen before")), -1);
    fl_tpl_destroy(m);
}

static void caps_evict_least_recent(void)
{
    fl_tpl_conf c;
    fl_tpl_conf_default(&c);
    c.max_per_service = 3;
    c.max_total = 5;
    c.max_services = 2;
    fl_tpl_miner *m = fl_tpl_new(&c);
    int32_t t1 = add(m, "a", "alpha one");
    add(m, "a", "beta two");
    add(m, "a", "gamma three");
    add(m, "a", "alpha one"); /* alpha is now the most recent */
    add(m, "a", "delta four"); /* evicts beta, the least recently matched */
    CHECK_EQ(fl_tpl_live_count(m), 3);
    CHECK_EQ_U64(fl_tpl_get_stats(m)->evicted, 1);
    CHECK(fl_tpl_live(m, t1));
    CHECK_EQ(fl_tpl_match(m, fl_str_c("a"), fl_str_c("beta two")), -1);
    CHECK(fl_tpl_match(m, fl_str_c("a"), fl_str_c("gamma three")) >= 0);
    /* the total cap evicts across services */
    add(m, "b", "epsilon five");
    add(m, "b", "zeta six");
    CHECK_EQ(fl_tpl_live_count(m), 5);
    add(m, "b", "eta seven");
    CHECK_EQ(fl_tpl_live_count(m), 5);
    CHECK_EQ_U64(fl_tpl_get_stats(m)->evicted, 2);
    /* a third service is past the services cap: counted, not mined */
    CHECK_EQ(add(m, "c", "theta eight"), -1);
    CHECK_EQ_U64(fl_tpl_get_stats(m)->rejected, 1);
    /* a flood of distinct shapes stays within the caps */
    char msg[64];
    for (int i = 0; i < 5000; i++) {
        snprintf(msg, sizeof msg, "w%c%c x%c", 'a' + i % 26, 'a' + i / 26 % 26,
                 'a' + i / 676 % 26);
        add(m, i % 2 ? "a" : "b", msg);
    }
    CHECK_LE(fl_tpl_live_count(m), 5);
    CHECK_LE(fl_tpl_capacity(m), 6);
    fl_tpl_destroy(m);
}

static void long_and_empty_messages(void)
{
    fl_tpl_conf c;
    fl_tpl_conf_default(&c);
    c.max_tokens = 8;
    c.max_msg = 64;
    fl_tpl_miner *m = fl_tpl_new(&c);
    CHECK_EQ(add(m, "s", ""), -1);
    CHECK_EQ(add(m, "s", " \t "), -1);
    CHECK_EQ_U64(fl_tpl_get_stats(m)->empty, 2);
    int32_t h = add(m, "s", "a b c d e f g h i j k l");
    TEXT(m, h, "a b c d e f g <*>");
    size_t n = 1 << 20;
    char *big = malloc(n + 1);
    REQUIRE(big != NULL);
    for (size_t i = 0; i < n; i++)
        big[i] = i % 7 == 6 ? ' ' : 'x';
    big[n] = '\0';
    int32_t g = add(m, "s", big);
    REQUIRE(g >= 0);
    fl_buf b = {0};
    fl_tpl_text(m, g, &b);
    CHECK_LE(b.n, 64 + 8);
    fl_buf_free(&b);
    CHECK_GE(fl_tpl_get_stats(m)->truncated, 2);
    /* binary and control bytes are data, not a crash */
    const char bin[] = "a\x01\xff\xfe b\x7f c";
    CHECK(fl_tpl_add(m, fl_str_c("s"), (fl_str){bin, sizeof bin - 1}) >= 0);
    free(big);
    fl_tpl_destroy(m);
}

/* the same input gives the same templates, ids and counts */
static void deterministic(void)
{
    uint64_t sum[2] = {0, 0};
    for (int r = 0; r < 2; r++) {
        fl_tpl_miner *m = fl_tpl_new(NULL);
        char msg[128];
        uint64_t x = 12345;
        for (int i = 0; i < 3000; i++) {
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
            unsigned k = (unsigned)(x >> 33);
            snprintf(msg, sizeof msg, "%s %s %u after %ums",
                     (const char *[]){"GET", "read", "dial", "cache"}[k % 4],
                     (const char *[]){"alpha", "beta", "gamma"}[k / 4 % 3],
                     k % 1000, k % 77);
            add(m, k % 2 ? "x" : "y", msg);
        }
        for (uint32_t i = 0; i < fl_tpl_capacity(m); i++)
            if (fl_tpl_live(m, (int32_t)i))
                sum[r] += fl_tpl_id(m, (int32_t)i) * (fl_tpl_count(m, (int32_t)i) + i);
        fl_tpl_destroy(m);
    }
    CHECK_EQ_U64(sum[0], sum[1]);
}

/* ---------------------------------------------------- template evidence */

#define MINUTE (60 * FL_NS_PER_SEC)
static const fl_time T0 = (fl_time)29666666 * 60 * FL_NS_PER_SEC; /* on a minute */

/* an hour of history: an info line every 10 s and a known error every
 * minute, then from T0 + 60 min a new error template at 20/min and the
 * known one at 30/min */
static void feed_outage(fl_tplev *t, fl_time until)
{
    char msg[128];
    for (fl_time ts = T0; ts < until; ts += FL_NS_PER_SEC) {
        long k = (long)((ts - T0) / FL_NS_PER_SEC);
        if (k % 10 == 0)
            fl_tplev_add(t, 0, ts, fl_str_c("GET /x 200"), false);
        bool after = ts >= T0 + 60 * MINUTE;
        if (k % 60 == 0 || (after && k % 10 < 5)) {
            snprintf(msg, sizeof msg, "upstream cart returned 50%ld", k % 4);
            fl_tplev_add(t, 0, ts, fl_str_c(msg), true);
        }
        if (after && k % 10 < 3) {
            snprintf(msg, sizeof msg, "connection refused to 10.0.%ld.7:5432",
                     k % 200);
            fl_tplev_add(t, 0, ts + 1, fl_str_c(msg), true);
        }
    }
}

static void tplev_new_and_surging(void)
{
    fl_tplev *t = fl_tplev_new();
    feed_outage(t, T0 + 80 * MINUTE);
    fl_tpl_finding f[4];
    fl_time onset = T0 + 60 * MINUTE;
    uint32_t n = fl_tplev_findings(t, 0, onset, INT64_MAX, f, 4);
    REQUIRE_EQ(n, 2);
    /* most lines first: the new one (18/min for 20 min = 360), then the
     * surging one (30/min over the 5 min from the onset = 150) */
    CHECK(f[0].novel);
    CHECK(strcmp(f[0].text, "connection refused to <*>:<*>") == 0);
    CHECK_EQ(f[0].count, 20 * 18);
    CHECK_EQ(f[0].first_seen, onset + 1);
    CHECK(f[0].detected > onset && f[0].detected <= onset + MINUTE);
    CHECK(!f[1].novel);
    CHECK(strcmp(f[1].text, "upstream cart returned <*>") == 0);
    CHECK_EQ(f[1].count, 150);
    CHECK_NEAR(f[1].baseline, 1.0, 0.01);
    CHECK_NEAR(f[1].peak, 30.0, 0.01);
    /* no findings for an onset long before: nothing new, no jump */
    CHECK_EQ(fl_tplev_findings(t, 0, T0 + 40 * MINUTE, INT64_MAX, f, 4), 0);
    /* another service has no templates */
    CHECK_EQ(fl_tplev_findings(t, 1, onset, INT64_MAX, f, 4), 0);
    fl_tplev_destroy(t);
}

/* findings use only minutes before the cutoff: a tracker that has seen
 * more (a consumer whose partitions ran ahead) says the same */
static void tplev_cutoff_hides_the_future(void)
{
    fl_tplev *a = fl_tplev_new(), *b = fl_tplev_new();
    fl_time onset = T0 + 60 * MINUTE, cut = T0 + 63 * MINUTE + 20 * FL_NS_PER_SEC;
    feed_outage(a, cut);
    feed_outage(b, T0 + 75 * MINUTE);
    fl_tpl_finding fa[4], fb[4];
    uint32_t na = fl_tplev_findings(a, 0, onset, cut, fa, 4);
    uint32_t nb = fl_tplev_findings(b, 0, onset, cut, fb, 4);
    REQUIRE_EQ(na, nb);
    REQUIRE(na > 0);
    CHECK(memcmp(fa, fb, na * sizeof *fa) == 0);
    /* and with everything, b knows more */
    uint32_t nall = fl_tplev_findings(b, 0, onset, INT64_MAX, fb, 4);
    REQUIRE(nall > 0);
    CHECK_GT(fb[0].count, fa[0].count);
    fl_tplev_destroy(a);
    fl_tplev_destroy(b);
}

/* a template seen at the very start of a service's history is not "new" */
static void tplev_needs_history(void)
{
    fl_tplev *t = fl_tplev_new();
    for (int i = 0; i < 50; i++)
        fl_tplev_add(t, 0, T0 + i * FL_NS_PER_SEC, fl_str_c("boom 1"), true);
    fl_tpl_finding f[2];
    CHECK_EQ(fl_tplev_findings(t, 0, T0, INT64_MAX, f, 2), 0);
    fl_tplev_destroy(t);
}

/* a flood of distinct error messages stays within the caps */
static void tplev_bounded(void)
{
    fl_tplev *t = fl_tplev_new();
    char msg[64];
    for (int i = 0; i < 20000; i++) {
        snprintf(msg, sizeof msg, "err%c%c%c", 'a' + i % 26, 'a' + i / 26 % 26,
                 'a' + i / 676 % 26);
        fl_tplev_add(t, i % 5000, T0 + i * FL_NS_PER_SEC, fl_str_c(msg), true);
    }
    /* the first FL_TPLEV_TOTAL services fill the table and then replace
     * their own; the other 904 are refused each of the 4 rounds */
    CHECK_EQ(fl_tplev_rejected(t), (5000 - FL_TPLEV_TOTAL) * 4);
    fl_tpl_finding f[8];
    for (int s = 0; s < 100; s++)
        CHECK_LE(fl_tplev_findings(t, s, T0 + 300 * MINUTE, INT64_MAX, f, 8), 8);
    fl_tplev_destroy(t);
}

static const unit_test tests[] = {
    UNIT_TEST(masks),
    UNIT_TEST(groups_and_generalises),
    UNIT_TEST(ids_are_text_hashes),
    UNIT_TEST(match_finds_final_template),
    UNIT_TEST(caps_evict_least_recent),
    UNIT_TEST(long_and_empty_messages),
    UNIT_TEST(deterministic),
    UNIT_TEST(tplev_new_and_surging),
    UNIT_TEST(tplev_cutoff_hides_the_future),
    UNIT_TEST(tplev_needs_history),
    UNIT_TEST(tplev_bounded),
};
UNIT_SUITE(unit_suite_template, "template", tests);
