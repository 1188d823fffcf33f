/* test_template.c - the log-template miner (rca/template.c). */
#define _POSIX_C_SOURCE 200809L
#include "../../rca/fl_template.h"
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

static const unit_test tests[] = {
    UNIT_TEST(masks),
    UNIT_TEST(groups_and_generalises),
    UNIT_TEST(ids_are_text_hashes),
    UNIT_TEST(match_finds_final_template),
    UNIT_TEST(caps_evict_least_recent),
    UNIT_TEST(long_and_empty_messages),
    UNIT_TEST(deterministic),
};
UNIT_SUITE(unit_suite_template, "template", tests);
