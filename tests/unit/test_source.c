/* test_source.c - ingest/source.c: line splitting from files, .zst files
 * and memory, over-long lines, truncated archives, open errors. */
#define _POSIX_C_SOURCE 200809L
#include "../../ingest/fl_ingest.h"
#include "unit.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zstd.h>

/* ------------------------------------------------------------- helpers */

static char *tmp_path(const char *name)
{
    static char path[4][1024];
    static int k;
    k = (k + 1) % 4;
    snprintf(path[k], sizeof path[k], "%s/%s", unit_tmpdir(), name);
    return path[k];
}

static bool write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return false;
    bool ok = fwrite(data, 1, n, f) == n;
    return fclose(f) == 0 && ok;
}

/* zstd-compresses data into a malloc'd buffer */
static void *zcompress(const void *data, size_t n, size_t *out_n, int level)
{
    size_t cap = ZSTD_compressBound(n);
    void *out = malloc(cap);
    size_t r = ZSTD_compress(out, cap, data, n, level);
    if (ZSTD_isError(r)) {
        free(out);
        *out_n = 0;
        return NULL;
    }
    *out_n = r;
    return out;
}

typedef struct {
    char **lines;
    size_t n, cap;
    unsigned too_long, ok;
    fl_line_status last;
    char err[256];
} drained;

static void drained_free(drained *d)
{
    for (size_t i = 0; i < d->n; i++)
        free(d->lines[i]);
    free(d->lines);
    memset(d, 0, sizeof *d);
}

/* Reads the source to EOF or error. Too-long lines are recorded as NULL
 * entries so their position is known. */
static void drain(fl_source *src, drained *d)
{
    memset(d, 0, sizeof *d);
    for (;;) {
        fl_str line = {NULL, 0};
        fl_line_status st = fl_source_next(src, &line);
        d->last = st;
        if (st == FL_LINE_EOF)
            break;
        if (st == FL_LINE_ERROR) {
            snprintf(d->err, sizeof d->err, "%s", fl_source_error(src));
            break;
        }
        if (d->n == d->cap) {
            d->cap = d->cap ? 2 * d->cap : 64;
            d->lines = realloc(d->lines, d->cap * sizeof *d->lines);
        }
        if (st == FL_LINE_TOO_LONG) {
            d->too_long++;
            d->lines[d->n++] = NULL;
            continue;
        }
        d->ok++;
        /* NUL-terminated in place, and no embedded terminator */
        if (line.p[line.n] != '\0' || memchr(line.p, '\n', line.n))
            d->lines[d->n++] = strdup("<<bad termination>>");
        else
            d->lines[d->n++] = strndup(line.p, line.n);
    }
}

/* Checks the drained lines against the expected ones (NULL = too long). */
static void check_lines(const char *what, const drained *d,
                        const char *const *want, size_t nwant)
{
    CHECK_MSG(d->n == nwant, "%s: %zu lines, want %zu", what, d->n, nwant);
    for (size_t i = 0; i < d->n && i < nwant; i++) {
        bool same = (!want[i] && !d->lines[i]) ||
                    (want[i] && d->lines[i] && strcmp(want[i], d->lines[i]) == 0);
        CHECK_MSG(same, "%s: line %zu is \"%.60s\", want \"%.60s\"", what, i,
                  d->lines[i] ? d->lines[i] : "<too long>",
                  want[i] ? want[i] : "<too long>");
        if (unit_failures() > 10)
            return;
    }
}

/* Opens `data` three ways (plain file, .zst file, memory, zstd memory)
 * and checks each yields `want`. */
static void check_all_ways(const char *what, const char *data, size_t n,
                           size_t max_line, const char *const *want,
                           size_t nwant)
{
    char errstr[256];
    drained d;
    char label[128];

    char *p = tmp_path("plain.log");
    REQUIRE(write_file(p, data, n));
    fl_source *src = fl_source_open(p, max_line, errstr, sizeof errstr);
    REQUIRE(src != NULL);
    CHECK_EQ_U64(fl_source_size(src), n);
    drain(src, &d);
    snprintf(label, sizeof label, "%s (file)", what);
    check_lines(label, &d, want, nwant);
    CHECK_EQ(d.last, FL_LINE_EOF);
    CHECK_EQ_U64(fl_source_line_no(src), nwant);
    CHECK_EQ_U64(fl_source_bytes_read(src), n);
    /* EOF is sticky */
    fl_str line;
    CHECK_EQ(fl_source_next(src, &line), FL_LINE_EOF);
    fl_source_destroy(src);
    drained_free(&d);

    size_t zn;
    void *z = zcompress(data, n, &zn, 3);
    REQUIRE(z != NULL);
    char *zp = tmp_path("comp.log.zst");
    REQUIRE(write_file(zp, z, zn));
    src = fl_source_open(zp, max_line, errstr, sizeof errstr);
    REQUIRE(src != NULL);
    drain(src, &d);
    snprintf(label, sizeof label, "%s (.zst file)", what);
    check_lines(label, &d, want, nwant);
    CHECK_MSG(d.last == FL_LINE_EOF, "%s: ended with %d: %s", label, d.last,
              d.err);
    CHECK_EQ_U64(fl_source_bytes_read(src), zn);
    fl_source_destroy(src);
    drained_free(&d);

    src = fl_source_open_mem("mem", data, n, max_line);
    drain(src, &d);
    snprintf(label, sizeof label, "%s (memory)", what);
    check_lines(label, &d, want, nwant);
    CHECK_EQ(d.last, FL_LINE_EOF);
    CHECK_STR(fl_source_name(src), "mem");
    fl_source_destroy(src);
    drained_free(&d);

    src = fl_source_open_mem("zmem", z, zn, max_line);
    drain(src, &d);
    snprintf(label, sizeof label, "%s (zstd memory)", what);
    check_lines(label, &d, want, nwant);
    CHECK_EQ(d.last, FL_LINE_EOF);
    fl_source_destroy(src);
    drained_free(&d);
    free(z);
    unlink(p);
    unlink(zp);
}

/* --------------------------------------------------------------- tests */

static void split_lines(void)
{
    const char *data = "first\nsecond line\n\nfourth {\"json\":1}\n";
    const char *const want[] = {"first", "second line", "", "fourth {\"json\":1}"};
    check_all_ways("basic", data, strlen(data), 0, want, FL_ARRAY_LEN(want));
}

static void crlf_and_last_line(void)
{
    /* only a '\r' right before the newline goes: "c\r\rd" keeps its own */
    const char *data = "a\r\nb\r\n\r\nc\r\rd\nlast without newline";
    const char *const want[] = {"a", "b", "", "c\r\rd",
                                "last without newline"};
    check_all_ways("crlf", data, strlen(data), 0, want, FL_ARRAY_LEN(want));
    const char *data2 = "x\r\ny\r";
    const char *const want3[] = {"x", "y"};
    check_all_ways("final cr", data2, strlen(data2), 0, want3, 2);
    const char *data3 = "only";
    const char *const want4[] = {"only"};
    check_all_ways("single unterminated", data3, 4, 0, want4, 1);
    const char *data4 = "\n\n";
    const char *const want5[] = {"", ""};
    check_all_ways("empty lines", data4, 2, 0, want5, 2);
}

static void empty_input(void)
{
    check_all_ways("empty", "", 0, 0, NULL, 0);
    /* a .zst file with zero bytes is an empty input, not an error */
    char errstr[256];
    char *p = tmp_path("empty.zst");
    REQUIRE(write_file(p, "", 0));
    fl_source *src = fl_source_open(p, 0, errstr, sizeof errstr);
    REQUIRE(src != NULL);
    fl_str line;
    CHECK_EQ(fl_source_next(src, &line), FL_LINE_EOF);
    fl_source_destroy(src);
    unlink(p);
}

static void too_long_line_once(void)
{
    /* max_line 16: a 17-byte line is skipped, reported once, and the
     * lines around it arrive intact */
    const char *data = "short\n0123456789abcdefg\nafter\n"
                       "0123456789abcdef\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                       "xxxxxxxxxxxxxx\nend";
    const char *const want[] = {"short", NULL, "after", "0123456789abcdef",
                                NULL, "end"};
    check_all_ways("max_line 16", data, strlen(data), 16, want,
                   FL_ARRAY_LEN(want));
    /* an over-long last line without a newline */
    const char *data2 = "a\nbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    const char *const want2[] = {"a", NULL};
    check_all_ways("long tail", data2, strlen(data2), 16, want2, 2);
}

/* The cap is on the line as delivered: a CRLF line whose text is exactly
 * max_line bytes is as acceptable as the same line ending in LF. */
static void crlf_line_at_max_line(void)
{
    const char *data = "0123456789abcdef\r\n0123456789abcdef\n"
                       "0123456789abcdef\r";
    const char *const want[] = {"0123456789abcdef", "0123456789abcdef",
                                "0123456789abcdef"};
    check_all_ways("crlf at max_line 16", data, strlen(data), 16, want,
                   FL_ARRAY_LEN(want));
}

/* A line far longer than the whole buffer (5 MB, max_line 64 KiB): skipped
 * in bounded memory, reported once, the following lines still arrive. */
static void line_longer_than_buffer(void)
{
    size_t big = 5u << 20;
    size_t n = big + 1000;
    char *data = malloc(n);
    size_t k = 0;
    k += (size_t)sprintf(data + k, "before\n");
    memset(data + k, 'x', big);
    k += big;
    k += (size_t)sprintf(data + k, "\nafter 1\nafter 2\n");
    /* and one at the end without a newline */
    size_t n2 = k + big;
    data = realloc(data, n2 + 1);
    memset(data + k, 'y', big);
    k += big;
    const char *const want[] = {"before", NULL, "after 1", "after 2", NULL};
    check_all_ways("5 MB lines", data, k, 65536, want, FL_ARRAY_LEN(want));
    free(data);
}

static long max_rss_kib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* Bounded memory: a 256 MiB line without a newline, streamed through a
 * pipe (so nothing holds it but the source), costs the source one buffer,
 * not the line: the process's peak RSS grows by far less than the line. */
static void long_line_bounded_memory(void)
{
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        static char chunk[1 << 16];
        memset(chunk, 'x', sizeof chunk);
        bool ok = write(fds[1], "first\n", 6) == 6;
        for (int i = 0; ok && i < 4096; i++) /* 256 MiB */
            ok = write(fds[1], chunk, sizeof chunk) == (ssize_t)sizeof chunk;
        ok = ok && write(fds[1], "\nafter\n", 7) == 7;
        close(fds[1]);
        _exit(ok ? 0 : 1);
    }
    close(fds[1]);
    char path[64], errstr[256];
    snprintf(path, sizeof path, "/dev/fd/%d", fds[0]);
    long before = max_rss_kib();
    fl_source *src = fl_source_open(path, 65536, errstr, sizeof errstr);
    CHECK_MSG(src != NULL, "%s", errstr);
    if (src) {
        drained d;
        drain(src, &d);
        const char *const want[] = {"first", NULL, "after"};
        check_lines("256 MiB line through a pipe", &d, want, 3);
        CHECK_EQ(d.last, FL_LINE_EOF);
        CHECK_EQ(d.too_long, 1);
        drained_free(&d);
        fl_source_destroy(src);
    }
    long grew = max_rss_kib() - before;
    CHECK_MSG(grew < 64 * 1024, "peak RSS grew by %ld KiB reading a 256 MiB "
              "line", grew);
    close(fds[0]);
    int st;
    while (waitpid(pid, &st, 0) < 0)
        ;
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* Lines of every length across many buffer refills (plain and .zst),
 * including lines exactly max_line long. */
static void many_lines_across_refills(void)
{
    unit_rng r;
    unit_rng_seed(&r, 71);
    size_t nlines = 40000, max_line = 4096;
    char **want = calloc(nlines, sizeof *want);
    size_t cap = nlines * 200 + max_line * 64, k = 0;
    char *data = malloc(cap);
    for (size_t i = 0; i < nlines; i++) {
        size_t len = (size_t)(unit_rng_u64(&r) % 300);
        if (i % 997 == 0)
            len = max_line; /* exactly the cap: allowed */
        if (i % 1999 == 0)
            len = max_line + 1 + (size_t)(unit_rng_u64(&r) % 5000);
        if (k + len + 2 > cap) {
            nlines = i;
            break;
        }
        char *line = malloc(len + 1);
        for (size_t j = 0; j < len; j++)
            line[j] = (char)('a' + (i + j) % 26);
        line[len] = '\0';
        memcpy(data + k, line, len);
        k += len;
        data[k++] = '\n';
        if (len > max_line) {
            free(line);
            want[i] = NULL;
        } else {
            want[i] = line;
        }
    }
    check_all_ways("40k lines", data, k, max_line, (const char *const *)want,
                   nlines);
    for (size_t i = 0; i < nlines; i++)
        free(want[i]);
    free(want);
    free(data);
}

/* A .zst archive cut short: the complete lines before the damage, then an
 * error naming the file. */
static void truncated_zstd(void)
{
    size_t nlines = 60000;
    size_t cap = nlines * 40, k = 0;
    char *data = malloc(cap);
    for (size_t i = 0; i < nlines; i++)
        k += (size_t)snprintf(data + k, cap - k, "{\"line\":%zu,\"pad\":\"%zu\"}\n",
                              i, i * 7919 % 100003);
    size_t zn;
    char *z = zcompress(data, k, &zn, 1);
    REQUIRE(z != NULL);
    char *p = tmp_path("cut.jsonl.zst");
    REQUIRE(write_file(p, z, zn / 2));
    char errstr[256];
    fl_source *src = fl_source_open(p, 0, errstr, sizeof errstr);
    REQUIRE(src != NULL);
    size_t got = 0;
    bool all_complete = true;
    fl_line_status st;
    fl_str line;
    char expect[64];
    while ((st = fl_source_next(src, &line)) == FL_LINE_OK) {
        snprintf(expect, sizeof expect, "{\"line\":%zu,\"pad\":\"%zu\"}", got,
                 got * 7919 % 100003);
        if (!(line.n == strlen(expect) && memcmp(line.p, expect, line.n) == 0)) {
            if (all_complete)
                unit_fail(__FILE__, __LINE__,
                          "line %zu delivered as \"%.*s\", want \"%s\" (a "
                          "fragment of a line cut by the damage)",
                          got, (int)line.n, line.p, expect);
            all_complete = false;
        }
        got++;
    }
    CHECK(all_complete);
    CHECK_EQ(st, FL_LINE_ERROR);
    CHECK_GT(got, nlines / 10); /* the intact part came through */
    CHECK_LT(got, nlines);
    const char *err = fl_source_error(src);
    CHECK_MSG(err && strstr(err, p), "error \"%s\" does not name the file",
              err ? err : "");
    CHECK_MSG(err && (strstr(err, "truncated") || strstr(err, "zstd")),
              "error \"%s\" does not say what is wrong", err ? err : "");
    /* the error is sticky */
    CHECK_EQ(fl_source_next(src, &line), FL_LINE_ERROR);
    fl_source_destroy(src);

    /* corrupt data (not zstd at all) behind a .zst name */
    char *q = tmp_path("garbage.zst");
    REQUIRE(write_file(q, data, 1000));
    src = fl_source_open(q, 0, errstr, sizeof errstr);
    REQUIRE(src != NULL);
    st = fl_source_next(src, &line);
    CHECK_EQ(st, FL_LINE_ERROR);
    CHECK(strlen(fl_source_error(src)) > 0);
    fl_source_destroy(src);

    /* a zstd frame truncated in memory */
    src = fl_source_open_mem("zmem", z, zn - 10, 0);
    while ((st = fl_source_next(src, &line)) == FL_LINE_OK)
        ;
    CHECK_EQ(st, FL_LINE_ERROR);
    CHECK(strstr(fl_source_error(src), "zmem") != NULL);
    fl_source_destroy(src);

    unlink(p);
    unlink(q);
    free(z);
    free(data);
}

/* Two zstd frames back to back (as `cat a.zst b.zst` makes) read as one
 * stream. */
static void concatenated_frames(void)
{
    const char *a = "one\ntwo\n", *b = "three\nfour";
    size_t an, bn;
    char *za = zcompress(a, strlen(a), &an, 3);
    char *zb = zcompress(b, strlen(b), &bn, 3);
    REQUIRE(za && zb);
    char *both = malloc(an + bn);
    memcpy(both, za, an);
    memcpy(both + an, zb, bn);
    fl_source *src = fl_source_open_mem("cat", both, an + bn, 0);
    drained d;
    drain(src, &d);
    const char *const want[] = {"one", "two", "three", "four"};
    check_lines("two frames", &d, want, 4);
    CHECK_EQ(d.last, FL_LINE_EOF);
    drained_free(&d);
    fl_source_destroy(src);
    free(za);
    free(zb);
    free(both);
}

static void open_errors(void)
{
    char errstr[256] = "";
    char *p = tmp_path("does-not-exist.log");
    fl_source *src = fl_source_open(p, 0, errstr, sizeof errstr);
    CHECK(src == NULL);
    CHECK_MSG(strstr(errstr, p) != NULL, "errstr \"%s\" does not name %s",
              errstr, p);
    fl_source_destroy(src);
    errstr[0] = '\0';
    src = fl_source_open(unit_tmpdir(), 0, errstr, sizeof errstr);
    CHECK(src == NULL);
    CHECK(strstr(errstr, unit_tmpdir()) != NULL);
    fl_source_destroy(src);
}

static const unit_test tests[] = {
    UNIT_TEST(split_lines),
    UNIT_TEST(crlf_and_last_line),
    UNIT_TEST(empty_input),
    UNIT_TEST(too_long_line_once),
    UNIT_TEST(crlf_line_at_max_line),
    UNIT_TEST(line_longer_than_buffer),
    UNIT_TEST(long_line_bounded_memory),
    UNIT_TEST(many_lines_across_refills),
    UNIT_TEST(truncated_zstd),
    UNIT_TEST(concatenated_frames),
    UNIT_TEST(open_errors),
};
UNIT_SUITE(unit_suite_source, "source", tests);
