/* test_buf.c - common/buf.c (buffers, JSON and report escaping, atomic
 * writes), common/intern.c and common/util.c. */
#define _POSIX_C_SOURCE 200809L
#include "../../common/fl_common.h"
#include "../../ingest/fl_ingest.h"
#include "unit.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* escapes s[0..n) with fn into a fresh buffer and compares with want */
#define CHECK_ESCAPE(fn, in, inlen, want)                                     \
    do {                                                                      \
        fl_buf b_ = {0};                                                      \
        fn(&b_, in, inlen);                                                   \
        CHECK_MSG(b_.n == strlen(want) && memcmp(b_.p, want, b_.n) == 0,      \
                  "%s(\"%s\"): got '%s', want '%s'", #fn, in,                 \
                  b_.p ? b_.p : "", want);                                    \
        fl_buf_free(&b_);                                                     \
    } while (0)
#define CHECK_JSON(s, want) CHECK_ESCAPE(fl_buf_json_str, s, strlen(s), want)
#define CHECK_MD(s, want) CHECK_ESCAPE(fl_buf_md_text, s, strlen(s), want)

/* --------------------------------------------------------------- fl_buf */

static void buf_basics(void)
{
    fl_buf b = {0};
    fl_buf_puts(&b, "");
    CHECK_EQ(b.n, 0);
    REQUIRE(b.p != NULL);
    CHECK_EQ(b.p[0], '\0');
    fl_buf_puts(&b, "ab");
    fl_buf_putc(&b, 'c');
    fl_buf_put(&b, "d\0e", 3);
    CHECK_EQ(b.n, 6);
    CHECK(memcmp(b.p, "abcd\0e", 7) == 0); /* NUL-terminated after n */
    fl_buf_printf(&b, "-%d-%s", 42, "x");
    CHECK_EQ(b.n, 11);
    CHECK_STR(b.p + 6, "-42-x");
    /* printf longer than its stack buffer */
    char big[1000];
    memset(big, 'z', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    fl_buf_printf(&b, "[%s]", big);
    CHECK_EQ(b.n, 11 + 1001);
    CHECK_EQ(b.p[11], '[');
    CHECK_EQ(b.p[11 + 1000], ']');
    CHECK_EQ(b.p[b.n], '\0');
    CHECK(b.cap > b.n);
    /* growth through many small puts */
    for (int i = 0; i < 100000; i++)
        fl_buf_putc(&b, (char)('a' + i % 26));
    CHECK_EQ(b.n, 11 + 1001 + 100000);
    CHECK_EQ(b.p[b.n - 1], (char)('a' + 99999 % 26));
    CHECK_EQ(b.p[b.n], '\0');
    fl_buf_free(&b);
    CHECK(b.p == NULL);
    CHECK_EQ(b.n, 0);
    CHECK_EQ(b.cap, 0);
    fl_buf_free(&b);
}

static void json_num(void)
{
    static const struct {
        double v;
        const char *want;
    } cases[] = {
        {0.0, "0"},         {-0.0, "0"},          {1.5, "1.5"},
        {-2.25, "-2.25"},   {0.1, "0.1"},         {1234567, "1.23457e+06"},
        {123456, "123456"}, {1e-7, "1e-07"},
    };
    for (size_t i = 0; i < FL_ARRAY_LEN(cases); i++) {
        fl_buf b = {0};
        fl_buf_json_num(&b, cases[i].v);
        CHECK_STR(b.p, cases[i].want);
        fl_buf_free(&b);
    }
    static const double nulls[] = {NAN, INFINITY, -INFINITY};
    for (size_t i = 0; i < FL_ARRAY_LEN(nulls); i++) {
        fl_buf b = {0};
        fl_buf_json_num(&b, nulls[i]);
        CHECK_STR(b.p, "null");
        fl_buf_free(&b);
    }
}

/* --------------------------------------------------------- JSON strings */

static void json_str_escapes(void)
{
    CHECK_JSON("", "\"\"");
    CHECK_JSON("plain text 123", "\"plain text 123\"");
    CHECK_JSON("a\"b", "\"a\\\"b\"");
    CHECK_JSON("back\\slash", "\"back\\\\slash\"");
    CHECK_JSON("nl\ncr\rtab\t", "\"nl\\ncr\\rtab\\t\"");
    CHECK_JSON("\x01\x02\x1f", "\"\\u0001\\u0002\\u001f\"");
    CHECK_JSON("\b\f", "\"\\u0008\\u000c\"");
    CHECK_JSON("del\x7f", "\"del\\u007f\"");
    CHECK_JSON("</script><b>&amp;", "\"\\u003c/script\\u003e\\u003cb\\u003e"
                                    "\\u0026amp;\"");
    CHECK_JSON("it's /ok/", "\"it's /ok/\"");
    /* valid multibyte UTF-8 is kept as is */
    CHECK_JSON("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80",
               "\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\"");
    /* invalid bytes become \ufffd, one per bad byte */
    CHECK_JSON("a\xFF" "b", "\"a\\ufffdb\"");
    CHECK_JSON("\xC3", "\"\\ufffd\"");                     /* truncated */
    CHECK_JSON("\xC3(", "\"\\ufffd(\"");
    CHECK_JSON("\xC0\xAF", "\"\\ufffd\\ufffd\"");          /* overlong */
    CHECK_JSON("\xED\xA0\x80", "\"\\ufffd\\ufffd\\ufffd\""); /* surrogate */
    CHECK_JSON("\xF4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
    CHECK_JSON("\x80x\xC3\xA9", "\"\\ufffdx\xC3\xA9\"");
    /* an embedded NUL */
    CHECK_ESCAPE(fl_buf_json_str, "a\0b", 3, "\"a\\u0000b\"");
    /* appends to what is there */
    fl_buf b = {0};
    fl_buf_puts(&b, "{\"k\":");
    fl_buf_json_str(&b, "v", 1);
    fl_buf_putc(&b, '}');
    CHECK_STR(b.p, "{\"k\":\"v\"}");
    fl_buf_free(&b);
}

/* Property: whatever the bytes, the output is valid UTF-8 without raw
 * control or HTML-significant characters, and the JSON decoder reads back
 * the input (with invalid bytes as U+FFFD). */
static void json_str_round_trip(void)
{
    unit_rng r;
    unit_rng_seed(&r, 81);
    static const char *const pieces[] = {
        "a", "Z", " ", "\"", "\\", "/", "<", ">", "&", "\n", "\r", "\t",
        "\x01", "\x1f", "\x7f", "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80",
        "\xFF", "\xC3", "\xED\xA0\x80", "\xE0\x80\xAF", "\\u0041",
    };
    fl_decoder *dec = fl_decoder_new(FL_FORMAT_JSON);
    for (int iter = 0; iter < 3000; iter++) {
        char in[512];
        size_t n = 0;
        int k = (int)(unit_rng_u64(&r) % 40);
        for (int i = 0; i < k; i++) {
            const char *p = pieces[unit_rng_u64(&r) % FL_ARRAY_LEN(pieces)];
            size_t pl = strlen(p);
            memcpy(in + n, p, pl);
            n += pl;
        }
        fl_buf out = {0};
        fl_buf_json_str(&out, in, n);
        bool clean = fl_utf8_valid(out.p, out.n);
        for (size_t i = 0; i < out.n; i++) {
            unsigned char c = (unsigned char)out.p[i];
            if (c < 0x20 || c == 0x7f || c == '<' || c == '>' || c == '&')
                clean = false;
        }
        CHECK_MSG(clean, "unsafe output for input of %zu bytes: %s", n, out.p);
        /* expected text: invalid bytes replaced */
        fl_buf want = {0};
        for (size_t i = 0; i < n;) {
            size_t sl = fl_utf8_seq_len((const unsigned char *)in + i, n - i);
            if (!sl) {
                fl_buf_puts(&want, "\xEF\xBF\xBD");
                i++;
            } else {
                fl_buf_put(&want, in + i, sl);
                i += sl;
            }
        }
        fl_buf line = {0};
        fl_buf_puts(&line, "{\"ts\":\"2024-03-10T12:34:56Z\",\"service\":"
                           "\"api\",\"msg\":");
        fl_buf_put(&line, out.p, out.n);
        fl_buf_putc(&line, '}');
        fl_event ev;
        fl_bad_reason why;
        bool ok = fl_json_decode(dec, (fl_str){line.p, line.n}, &ev, &why);
        CHECK_MSG(ok, "escaped output not accepted (%s): %s",
                  ok ? "" : fl_bad_reason_name(why), line.p);
        if (ok)
            CHECK_MSG(ev.msg.n == want.n &&
                          (want.n == 0 || memcmp(ev.msg.p, want.p, want.n) == 0),
                      "round trip differs: %s", line.p);
        fl_buf_free(&out);
        fl_buf_free(&want);
        fl_buf_free(&line);
        if (unit_failures())
            break;
    }
    fl_decoder_destroy(dec);
}

/* ---------------------------------------------------------- report text */

/* Report text: nothing from a log may open HTML, a link or image, emphasis,
 * a code span or a table cell; control characters are made visible. */
static void md_text_escapes(void)
{
    CHECK_MD("plain text 123", "plain text 123");
    CHECK_MD("<script>alert(1)</script>",
             "&lt;script&gt;alert(1)&lt;/script&gt;");
    CHECK_MD("a & b", "a &amp; b");
    CHECK_MD("[click](http://evil.example/x)",
             "\\[click\\](http://evil.example/x)");
    CHECK_MD("![img](x.png)", "!\\[img\\](x.png)");
    CHECK_MD("*b* _i_ `c` |t| ~s~ \\", "\\*b\\* \\_i\\_ \\`c\\` \\|t\\| "
                                     "\\~s\\~ \\\\");
    CHECK_MD("\\[x]", "\\\\\\[x\\]"); /* a backslash cannot cancel the escape */
    CHECK_MD("line\nbreak\r\x01\x7f", "line\\x0abreak\\x0d\\x01\\x7f");
    CHECK_MD("tab\there", "tab\\x09here");
    CHECK_MD("caf\xC3\xA9 \xF0\x9F\x98\x80", "caf\xC3\xA9 \xF0\x9F\x98\x80");
    CHECK_MD("bad\xFF" "byte", "bad\xEF\xBF\xBD" "byte");
    CHECK_MD("\xC3", "\xEF\xBF\xBD");
    CHECK_ESCAPE(fl_buf_md_text, "a\0b", 3, "a\\x00b");
    /* nothing of an HTML tag or a Markdown link survives, whatever the
     * mix: no raw '<' or '>', every '[' and ']' escaped, no raw newline */
    const char *evil[] = {
        "<img src=x onerror=alert(1)>[x](javascript:alert(1))",
        "[a][b]\n[b]: http://evil.example",
        "\\\\[x](y) <a href='z'>",
        "<!-- comment --> <![CDATA[ x ]]>",
    };
    for (size_t k = 0; k < FL_ARRAY_LEN(evil); k++) {
        fl_buf b = {0};
        fl_buf_md_text(&b, evil[k], strlen(evil[k]));
        CHECK(strchr(b.p, '<') == NULL);
        CHECK(strchr(b.p, '>') == NULL);
        CHECK(strchr(b.p, '\n') == NULL);
        for (size_t i = 0; i < b.n; i++) {
            if (b.p[i] != '[' && b.p[i] != ']')
                continue;
            /* escaped when preceded by an odd number of backslashes */
            size_t bs = 0;
            while (bs < i && b.p[i - 1 - bs] == '\\')
                bs++;
            CHECK_MSG(bs % 2 == 1, "unescaped '%c' at %zu: %s", b.p[i], i,
                      b.p);
        }
        CHECK(fl_utf8_valid(b.p, b.n));
        fl_buf_free(&b);
    }
}

/* ----------------------------------------------------------- write_file */

static size_t dir_entries(const char *dir, char *first, size_t n)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    size_t k = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (k == 0 && first)
            snprintf(first, n, "%s", de->d_name);
        k++;
    }
    closedir(d);
    return k;
}

static char *read_all(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, k = 0;
    char *p = malloc(cap);
    size_t r;
    while ((r = fread(p + k, 1, cap - k, f)) > 0) {
        k += r;
        if (k == cap)
            p = realloc(p, cap *= 2);
    }
    fclose(f);
    *n = k;
    return p;
}

static void write_file_atomic(void)
{
    char dir[1024], path[1100], errstr[512] = "";
    snprintf(dir, sizeof dir, "%s/wf", unit_tmpdir());
    REQUIRE(mkdir(dir, 0700) == 0 || errno == EEXIST);
    snprintf(path, sizeof path, "%s/report.json", dir);

    fl_buf b = {0};
    for (int i = 0; i < 20000; i++)
        fl_buf_printf(&b, "%d,", i);
    fl_buf_put(&b, "\0tail", 5);
    CHECK_EQ(fl_buf_write_file(&b, path, errstr, sizeof errstr), FL_OK);
    size_t n = 0;
    char *got = read_all(path, &n);
    CHECK(got != NULL && n == b.n && memcmp(got, b.p, n) == 0);
    free(got);
    char name[256] = "";
    CHECK_EQ(dir_entries(dir, name, sizeof name), 1);
    CHECK_STR(name, "report.json");
    struct stat st;
    CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0644);

    /* overwrite with something shorter: the old content is gone whole */
    fl_buf c = {0};
    fl_buf_puts(&c, "short");
    CHECK_EQ(fl_buf_write_file(&c, path, errstr, sizeof errstr), FL_OK);
    got = read_all(path, &n);
    CHECK(got != NULL && n == 5 && memcmp(got, "short", 5) == 0);
    free(got);
    CHECK_EQ(dir_entries(dir, NULL, 0), 1);

    /* an empty buffer makes an empty file */
    fl_buf e = {0};
    CHECK_EQ(fl_buf_write_file(&e, path, errstr, sizeof errstr), FL_OK);
    got = read_all(path, &n);
    CHECK(got != NULL && n == 0);
    free(got);

    /* a directory that does not exist: an error naming the path */
    char bad[1200];
    snprintf(bad, sizeof bad, "%s/no/such/dir/out.json", dir);
    errstr[0] = '\0';
    CHECK_EQ(fl_buf_write_file(&c, bad, errstr, sizeof errstr), FL_ERR_IO);
    CHECK_MSG(strstr(errstr, bad) != NULL, "errstr \"%s\"", errstr);
    CHECK_EQ(dir_entries(dir, NULL, 0), 1);
    unlink(path);
    rmdir(dir);
    fl_buf_free(&b);
    fl_buf_free(&c);
}

/* ------------------------------------------------------------ interner */

static void intern_dense_stable(void)
{
    fl_intern *in = fl_intern_new(100000);
    char name[64];
    enum { N = 5000 };
    CHECK_EQ(fl_intern_count(in), 0);
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof name, "svc-%d", i);
        int32_t id = fl_intern_add(in, fl_str_c(name));
        CHECK_EQ(id, i); /* dense, in order of first sight */
        if (unit_failures())
            break;
    }
    CHECK_EQ(fl_intern_count(in), N);
    /* stable across all the growth, by add and by get */
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof name, "svc-%d", i);
        CHECK_EQ(fl_intern_get(in, fl_str_c(name)), i);
        CHECK_EQ(fl_intern_add(in, fl_str_c(name)), i);
        CHECK_STR(fl_intern_name(in, i), name);
        if (unit_failures())
            break;
    }
    CHECK_EQ(fl_intern_count(in), N);
    CHECK_EQ(fl_intern_get(in, fl_str_c("nope")), -1);
    CHECK_EQ(fl_intern_get(in, fl_str_c("svc-")), -1);
    CHECK_EQ(fl_intern_get(in, fl_str_c("svc-50000")), -1);
    CHECK_STR(fl_intern_name(in, -1), "?");
    CHECK_STR(fl_intern_name(in, N), "?");
    /* a borrowed range that is not NUL-terminated: only its bytes count */
    fl_str part = {"svc-12345678", 6};
    CHECK_EQ(fl_intern_get(in, part), 12);
    int32_t id = fl_intern_add(in, (fl_str){"cart-extra", 4});
    CHECK_EQ(id, N);
    CHECK_STR(fl_intern_name(in, id), "cart");
    /* case and bytes matter; empty is a name like any other */
    CHECK_EQ(fl_intern_add(in, fl_str_c("Cart")), N + 1);
    CHECK_EQ(fl_intern_add(in, fl_str_c("caf\xC3\xA9")), N + 2);
    CHECK_EQ(fl_intern_add(in, fl_str_c("")), N + 3);
    CHECK_EQ(fl_intern_get(in, fl_str_c("")), N + 3);
    CHECK_EQ(fl_intern_get(in, fl_str_c("cart")), N);
    fl_intern_destroy(in);
    fl_intern_destroy(NULL);
}

static void intern_cap(void)
{
    fl_intern *in = fl_intern_new(3);
    CHECK_EQ(fl_intern_add(in, fl_str_c("a")), 0);
    CHECK_EQ(fl_intern_add(in, fl_str_c("b")), 1);
    CHECK_EQ(fl_intern_add(in, fl_str_c("c")), 2);
    CHECK_EQ(fl_intern_add(in, fl_str_c("d")), -1); /* full */
    CHECK_EQ(fl_intern_add(in, fl_str_c("e")), -1);
    CHECK_EQ(fl_intern_count(in), 3);
    CHECK_EQ(fl_intern_get(in, fl_str_c("d")), -1);
    CHECK_EQ(fl_intern_add(in, fl_str_c("b")), 1); /* known names still map */
    CHECK_EQ(fl_intern_get(in, fl_str_c("c")), 2);
    fl_intern_destroy(in);

    /* a cap past the initial table size: growth and the cap together */
    in = fl_intern_new(200);
    char name[32];
    for (int i = 0; i < 300; i++) {
        snprintf(name, sizeof name, "n%d", i);
        CHECK_EQ(fl_intern_add(in, fl_str_c(name)), i < 200 ? i : -1);
    }
    CHECK_EQ(fl_intern_count(in), 200);
    CHECK_EQ(fl_intern_get(in, fl_str_c("n199")), 199);
    CHECK_EQ(fl_intern_get(in, fl_str_c("n200")), -1);
    fl_intern_destroy(in);

    in = fl_intern_new(0); /* 0 means 1 */
    CHECK_EQ(fl_intern_add(in, fl_str_c("only")), 0);
    CHECK_EQ(fl_intern_add(in, fl_str_c("more")), -1);
    fl_intern_destroy(in);
}

/* ------------------------------------------------------------------ util */

static void utf8_and_strings(void)
{
    CHECK(fl_utf8_valid("", 0));
    CHECK(fl_utf8_valid("ascii", 5));
    CHECK(fl_utf8_valid("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80", 9));
    CHECK(fl_utf8_valid("\xED\x9F\xBF", 3));     /* U+D7FF */
    CHECK(fl_utf8_valid("\xEE\x80\x80", 3));     /* U+E000 */
    CHECK(fl_utf8_valid("\xF4\x8F\xBF\xBF", 4)); /* U+10FFFF */
    CHECK(!fl_utf8_valid("\xED\xA0\x80", 3));    /* U+D800 */
    CHECK(!fl_utf8_valid("\xF4\x90\x80\x80", 4)); /* > U+10FFFF */
    CHECK(!fl_utf8_valid("\xC1\xBF", 2));
    CHECK(!fl_utf8_valid("\xE0\x9F\xBF", 3));
    CHECK(!fl_utf8_valid("\xF0\x8F\xBF\xBF", 4));
    CHECK(!fl_utf8_valid("\xF5\x80\x80\x80", 4));
    CHECK(!fl_utf8_valid("\xC3", 1));
    CHECK(!fl_utf8_valid("\xE2\x82", 2));
    CHECK(!fl_utf8_valid("\xC3\xA9", 1)); /* the length is honoured */
    CHECK(!fl_utf8_valid("a\x80", 2));
    CHECK_EQ(fl_utf8_seq_len((const unsigned char *)"\xF0\x9F\x98\x80", 4), 4);
    CHECK_EQ(fl_utf8_seq_len((const unsigned char *)"\xF0\x9F\x98\x80", 3), 0);
    CHECK_EQ(fl_utf8_seq_len((const unsigned char *)"A", 1), 1);

    CHECK(fl_str_eq(fl_str_c("api"), "api"));
    CHECK(!fl_str_eq(fl_str_c("api"), "apis"));
    CHECK(!fl_str_eq(fl_str_c("API"), "api"));
    CHECK(fl_str_eq_nocase(fl_str_c("API"), "api"));
    CHECK(fl_str_eq_nocase(fl_str_c("WaRn"), "warn"));
    CHECK(!fl_str_eq_nocase(fl_str_c("warn"), "warning"));
    CHECK(!fl_str_eq_nocase(fl_str_c("w@rn"), "warn"));
    CHECK_EQ(fl_str_c(NULL).n, 0);

    uint64_t h1 = fl_hash64("abc", 3, 0), h2 = fl_hash64("abc", 3, 0);
    CHECK_EQ_U64(h1, h2);
    CHECK(fl_hash64("abc", 3, 1) != h1);
    CHECK(fl_hash64("abd", 3, 0) != h1);
    CHECK(fl_hash64("ab", 2, 0) != h1);

    CHECK_STR(fl_err_str(FL_OK), "success");
    CHECK_STR(fl_err_str(FL_ERR_IO), "input/output error");
    CHECK_STR(fl_err_str((fl_err)99), "unknown error");
    char *d = fl_strndup("hello world", 5);
    CHECK_STR(d, "hello");
    free(d);
}

static const unit_test tests[] = {
    UNIT_TEST(buf_basics),          UNIT_TEST(json_num),
    UNIT_TEST(json_str_escapes),    UNIT_TEST(json_str_round_trip),
    UNIT_TEST(md_text_escapes),     UNIT_TEST(write_file_atomic),
    UNIT_TEST(intern_dense_stable), UNIT_TEST(intern_cap),
    UNIT_TEST(utf8_and_strings),
};
UNIT_SUITE(unit_suite_buf, "buf", tests);
