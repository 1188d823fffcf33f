/*
 * fuzz_template.c - the template miner and the template-evidence tracker
 * on arbitrary bytes.
 *
 * The input is split on NUL bytes into messages; the first byte of each
 * picks a service (of 4, so the small caps below are hit). Every message is
 * mined (fl_tpl_add), matched (fl_tpl_match) and masked (fl_tpl_masked) by
 * a miner with small caps, and fed as an error line to a tracker. Promises
 * checked: a template's text never holds a byte of whitespace other than
 * single spaces, has at most max_tokens tokens and is no longer than the
 * message bound allows; a message that was mined is covered by the
 * template fl_tpl_match returns for it right after (unless evicted);
 * caps hold; ids equal the hash of the text. A broken promise aborts.
 */
#include "../../rca/fl_template.h"
#include "../../rca/fl_tplev.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "fuzz_template: check failed: %s (%s:%d)\n",       \
                    #cond, __FILE__, __LINE__);                                \
            abort();                                                           \
        }                                                                      \
    } while (0)

static void check_text(const fl_tpl_miner *m, int32_t h, uint32_t max_tokens,
                       size_t max_len)
{
    fl_buf b = {0};
    fl_tpl_text(m, h, &b);
    uint32_t ntok = b.n ? 1 : 0;
    for (size_t i = 0; i < b.n; i++) {
        char c = b.p[i];
        CHECK(c != '\n' && c != '\t' && c != '\r' && c != '\v' && c != '\f');
        if (c == ' ') {
            CHECK(i > 0 && i + 1 < b.n && b.p[i + 1] != ' ');
            ntok++;
        }
    }
    CHECK(ntok >= 1 && ntok <= max_tokens);
    /* masks only shorten or keep (a mask is 3 bytes for at least 1), a
     * wildcard is 3 bytes: bounded by 3x the message bound */
    CHECK(b.n <= 3 * max_len + 3);
    const char *svc = fl_tpl_service(m, h);
    CHECK(fl_tpl_id(m, h) ==
          fl_tpl_text_id(fl_str_c(svc), (fl_str){b.p ? b.p : "", b.n}));
    fl_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const svcs[] = {"a", "b", "c", "d"};
    fl_tpl_conf c;
    fl_tpl_conf_default(&c);
    c.max_per_service = 8;
    c.max_total = 20;
    c.max_services = 3;
    c.max_tokens = 12;
    c.max_msg = 200;
    fl_tpl_miner *m = fl_tpl_new(&c);
    fl_tplev *t = fl_tplev_new();
    fl_buf masked = {0};
    size_t i = 0;
    fl_time ts = (fl_time)1780000000 * FL_NS_PER_SEC;
    while (i < size) {
        size_t j = i;
        while (j < size && data[j] != 0)
            j++;
        if (j > i) {
            const char *svc = svcs[data[i] % 4];
            fl_str msg = {(const char *)data + i + 1, j - i - 1};
            int32_t h = fl_tpl_add(m, fl_str_c(svc), msg);
            if (h >= 0) {
                CHECK(fl_tpl_live(m, h));
                check_text(m, h, c.max_tokens, c.max_msg);
                int32_t k = fl_tpl_match(m, fl_str_c(svc), msg);
                CHECK(k >= 0);
                check_text(m, k, c.max_tokens, c.max_msg);
            }
            masked.n = 0;
            fl_tpl_masked(m, msg, &masked);
            CHECK(masked.n <= 3 * c.max_msg + 3);
            fl_tplev_add(t, data[i] % 4, ts, msg, true);
            ts += (fl_time)(data[i] % 7) * 20 * FL_NS_PER_SEC;
        }
        i = j + 1;
    }
    CHECK(fl_tpl_live_count(m) <= c.max_total);
    uint32_t live = 0;
    for (uint32_t k = 0; k < fl_tpl_capacity(m); k++)
        live += fl_tpl_live(m, (int32_t)k);
    CHECK(live == fl_tpl_live_count(m));
    fl_tpl_finding f[8];
    for (int32_t s = 0; s < 4; s++) {
        uint32_t n = fl_tplev_findings(t, s, ts - 600 * FL_NS_PER_SEC, INT64_MAX,
                                       f, 8);
        CHECK(n <= 8);
        for (uint32_t k = 0; k < n; k++)
            CHECK(strlen(f[k].text) <= FL_TPL_TEXT_MAX && f[k].service == s);
    }
    fl_buf_free(&masked);
    fl_tplev_destroy(t);
    fl_tpl_destroy(m);
    return 0;
}
