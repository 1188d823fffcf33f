/* test_ckpt_file.c - the checkpoint file as it lies on disk (cli/state.c:
 * magic, version, length, FNV-1a 64 checksum, zstd frame, msgpack).
 *
 * A real checkpoint is made by replaying fixtures/bad_deploy_errors into a
 * pipeline and saving it with fl_state_save; it must load back. Then 1,000
 * seeded random corruptions of the file bytes (250 each of: one byte
 * changed; several bytes changed, scattered or in a run; truncated to a
 * random length; bytes appended or inserted) are written over it and
 * loaded with fl_state_load: every one must be refused (none loaded) with a
 * message that names the file. Unlike test_state.c's corruptions (which
 * damage the msgpack behind the container to exercise the decoders), these
 * go through the container's own checks; the count of refusals per check
 * is printed.
 *
 * Why FNV-1a 64 is enough here: the checksum guards against accidental
 * damage (torn writes, bit rot, a stray edit), not an adversary who can
 * write the state dir (they could write a valid checkpoint). A change of
 * any one byte always changes an FNV-1a hash (each step, xor with a byte
 * then multiply by an odd prime mod 2^64, is a bijection of the state, so
 * two inputs differing in one byte never meet again), and the final
 * avalanche is a bijection too; for random multi-byte damage the chance of
 * a collision is 2^-64, and zstd's own content checksum (XXH64, 32 bits
 * kept) sits behind it. Length changes are caught before the hash. */
#define _POSIX_C_SOURCE 200809L
#include "../../cli/cli.h"
#include "../../cli/state.h"
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define FIXTURE_DIR "fixtures/bad_deploy_errors"

static bool read_all(const char *path, unsigned char **p, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    size_t cap = 1 << 16, len = 0;
    unsigned char *b = malloc(cap);
    size_t r;
    while ((r = fread(b + len, 1, cap - len, f)) > 0) {
        len += r;
        if (len == cap)
            b = realloc(b, cap *= 2);
    }
    fclose(f);
    *p = b;
    *n = len;
    return true;
}

static bool write_all(const char *path, const unsigned char *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return false;
    bool ok = fwrite(p, 1, n, f) == n;
    return fclose(f) == 0 && ok;
}

static fl_pipeline *replayed_pipeline(void)
{
    static const char *const files[] = {FIXTURE_DIR "/logs-a.jsonl.zst",
                                        FIXTURE_DIR "/logs-b.jsonl.zst",
                                        FIXTURE_DIR "/deploys.jsonl"};
    fl_pipeline_conf conf;
    fl_pipeline_conf_default(&conf);
    fl_pipeline *p = fl_pipeline_new(&conf);
    fl_source *srcs[3];
    char err[300];
    for (int i = 0; i < 3; i++) {
        srcs[i] = fl_source_open(files[i], conf.max_line, err, sizeof err);
        if (!srcs[i]) {
            unit_fail(__FILE__, __LINE__, "%s", err);
            for (int k = 0; k < i; k++)
                fl_source_destroy(srcs[k]);
            fl_pipeline_destroy(p);
            return NULL;
        }
    }
    int rc = fl_replay_sources(p, srcs, 3, FL_FORMAT_AUTO, NULL, false);
    for (int i = 0; i < 3; i++)
        fl_source_destroy(srcs[i]);
    CHECK_EQ(rc, 0);
    return p;
}

static fl_pipeline *fresh_pipeline(void)
{
    fl_pipeline_conf conf;
    fl_pipeline_conf_default(&conf);
    return fl_pipeline_new(&conf);
}

/* "PATH: refused: WHAT (...)" -> WHAT's first few words, for the tally */
static void reason_of(const char *err, char *out, size_t n)
{
    const char *r = strstr(err, "refused: ");
    r = r ? r + 9 : err;
    size_t k = strcspn(r, "(:0123456789\"");
    if (k >= n)
        k = n - 1;
    memcpy(out, r, k);
    while (k && out[k - 1] == ' ')
        k--;
    out[k] = '\0';
}

enum { KINDS = 4, MAX_TALLY = 32 };

/* 250 of each kind; FL_CKPT_CORRUPTIONS=N runs N in all (a longer run by
 * hand: FL_CKPT_CORRUPTIONS=100000 ./build/rel/unit_tests ckpt_file) */
static int per_kind(void)
{
    const char *e = getenv("FL_CKPT_CORRUPTIONS");
    long v = e ? strtol(e, NULL, 10) : 0;
    return v >= KINDS && v <= 100000000 ? (int)(v / KINDS) : 250;
}

static void disk_corruptions_all_refused(void)
{
    fl_pipeline *p = replayed_pipeline();
    REQUIRE(p != NULL);
    char dir[600], path[700], err[1024];
    snprintf(dir, sizeof dir, "%s/ckpt-file", unit_tmpdir());
    snprintf(path, sizeof path, "%s/checkpoint.fl", dir);
    fl_state_offsets offs = {0};
    fl_state_offsets_add(&offs, "logs", 0, 123456);
    fl_state_offsets_add(&offs, "logs", 1, 654321);
    CHECK_MSG(fl_state_save(dir, p, &offs, err, sizeof err), "%s", err);
    fl_state_offsets_free(&offs);
    fl_pipeline_destroy(p);

    unsigned char *orig;
    size_t n;
    REQUIRE(read_all(path, &orig, &n));
    REQUIRE(n > 64);
    /* the intact file loads (else every refusal below would be vacuous) */
    fl_pipeline *q = fresh_pipeline();
    fl_state_offsets got = {0};
    CHECK_MSG(fl_state_load(dir, q, &got, err, sizeof err) == FL_OK, "%s", err);
    CHECK_EQ(fl_state_offsets_find(&got, "logs", 1), 654321);
    fl_state_offsets_free(&got);
    fl_pipeline_destroy(q);

    const int nper = per_kind();
    unit_rng rng;
    unit_rng_seed(&rng, 20261122);
    size_t cap = n + 8192;
    unsigned char *buf = malloc(cap);
    unsigned refused[KINDS] = {0}, loaded = 0, named = 0;
    char tally_name[MAX_TALLY][64];
    unsigned tally_n[MAX_TALLY] = {0}, ntally = 0;
    for (int i = 0; i < KINDS * nper; i++) {
        int kind = i % KINDS;
        size_t len = n;
        memcpy(buf, orig, n);
        switch (kind) {
        case 0: { /* one byte: a bit flip or any other value */
            size_t at = unit_rng_u64(&rng) % n;
            if (unit_rng_bern(&rng, 0.5))
                buf[at] ^= (unsigned char)(1u << (unit_rng_u64(&rng) % 8));
            else
                buf[at] = (unsigned char)(buf[at] + 1 + unit_rng_u64(&rng) % 255);
            break;
        }
        case 1: /* several bytes: scattered, or a run overwritten */
            if (unit_rng_bern(&rng, 0.5)) {
                int k = 2 + (int)(unit_rng_u64(&rng) % 31);
                for (int j = 0; j < k; j++)
                    buf[unit_rng_u64(&rng) % n] ^=
                        (unsigned char)(1 + unit_rng_u64(&rng) % 255);
            } else {
                size_t run = 2 + unit_rng_u64(&rng) % 63;
                size_t at = unit_rng_u64(&rng) % (n - run);
                for (size_t j = 0; j < run; j++)
                    buf[at + j] = (unsigned char)unit_rng_u64(&rng);
            }
            break;
        case 2: /* truncated anywhere, including to nothing */
            len = unit_rng_u64(&rng) % n;
            break;
        default: { /* extended: bytes appended, or inserted */
            size_t k = 1 + unit_rng_u64(&rng) % 4096;
            size_t at = unit_rng_bern(&rng, 0.5) ? n : unit_rng_u64(&rng) % n;
            memmove(buf + at + k, buf + at, n - at);
            for (size_t j = 0; j < k; j++)
                buf[at + j] = (unsigned char)unit_rng_u64(&rng);
            len = n + k;
        }
        }
        if (len == n && memcmp(buf, orig, n) == 0) { /* a no-op: redraw */
            i--;
            continue;
        }
        REQUIRE(write_all(path, buf, len));
        q = fresh_pipeline();
        got = (fl_state_offsets){0};
        err[0] = '\0';
        fl_err e = fl_state_load(dir, q, &got, err, sizeof err);
        if (e == FL_OK) {
            loaded++;
            CHECK_MSG(false, "corruption %d (kind %d, %zu bytes) was loaded", i,
                      kind, len);
            fl_state_offsets_free(&got);
        } else {
            refused[kind]++;
            if (strncmp(err, path, strlen(path)) == 0 && strlen(err) > strlen(path) + 4)
                named++;
            else
                CHECK_MSG(false, "corruption %d: the message does not name the "
                                 "file: \"%s\"", i, err);
            char r[64];
            reason_of(err, r, sizeof r);
            unsigned t;
            for (t = 0; t < ntally; t++)
                if (strcmp(tally_name[t], r) == 0)
                    break;
            if (t == ntally && ntally < MAX_TALLY)
                memcpy(tally_name[ntally++], r, sizeof r);
            if (t < ntally)
                tally_n[t]++;
        }
        fl_pipeline_destroy(q);
    }
    unsigned total = refused[0] + refused[1] + refused[2] + refused[3];
    CHECK_EQ(total, KINDS * nper);
    CHECK_EQ(loaded, 0);
    CHECK_EQ(named, KINDS * nper);
    printf("    %zu-byte checkpoint file, %d corruptions: %u refused (one byte "
           "%u, several bytes %u, truncated %u, extended %u), %u loaded\n",
           n, KINDS * nper, total, refused[0], refused[1], refused[2],
           refused[3], loaded);
    for (unsigned t = 0; t < ntally; t++)
        printf("      %4u  %s\n", tally_n[t], tally_name[t]);
    free(buf);
    free(orig);
}

static const unit_test tests[] = {
    UNIT_TEST(disk_corruptions_all_refused),
};

UNIT_SUITE(unit_suite_ckpt_file, "ckpt_file", tests);
