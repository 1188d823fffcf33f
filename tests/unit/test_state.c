/* test_state.c - checkpoints of the whole pipeline (fl_pipeline_pack /
 * fl_pipeline_unpack, with detect/state.c and rca/state.c underneath):
 *   - a pipeline restored at a cut point and fed the rest of the input
 *     gives the same result document, reports and incident notifications
 *     as one that never stopped (cuts in warm-up, before the fault, inside
 *     an open incident, at the end of input);
 *   - pack -> unpack -> pack gives identical bytes;
 *   - refusals say what and where (wrong configuration, used pipeline,
 *     wrong type);
 *   - 200 single-byte corruptions and truncations of a checkpoint either
 *     fail cleanly with a message or load a pipeline that then runs without
 *     crashing (the point of running this under ASan + UBSan); so do 400
 *     extreme, off-by-one or mistyped values put in the decoded tree.
 * Input: fixtures/bad_deploy_errors (both log files and the deploys),
 * merged by time the way replay merges inputs: a bad deploy of payments
 * at 09:37:55, an incident detected at 09:43:20 that is still open at the
 * end of the data. */
#define _POSIX_C_SOURCE 200809L
#include "../../cli/pipeline.h"
#include "../../common/fl_ckpt.h"
#include "unit.h"

#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>

#define FIXTURE_DIR "fixtures/bad_deploy_errors"

/* ------------------------------------------------------------ the input */

typedef struct {
    char **lines; /* NUL-terminated copies, in feeding order */
    size_t n, cap;
} input;

static void input_push(input *in, const char *p, size_t n)
{
    if (in->n == in->cap) {
        in->cap = in->cap ? in->cap * 2 : 4096;
        in->lines = realloc(in->lines, in->cap * sizeof *in->lines);
    }
    char *s = malloc(n + 1);
    memcpy(s, p, n);
    s[n] = '\0';
    in->lines[in->n++] = s;
}

static void input_free(input *in)
{
    for (size_t i = 0; i < in->n; i++)
        free(in->lines[i]);
    free(in->lines);
    memset(in, 0, sizeof *in);
}

static bool read_file_lines(const char *path, input *out)
{
    char err[256];
    fl_source *src = fl_source_open(path, 64 * 1024, err, sizeof err);
    if (!src) {
        unit_fail(__FILE__, __LINE__, "%s", err);
        return false;
    }
    fl_str line;
    fl_line_status st;
    while ((st = fl_source_next(src, &line)) != FL_LINE_EOF &&
           st != FL_LINE_ERROR)
        if (st == FL_LINE_OK && line.n)
            input_push(out, line.p, line.n);
    fl_source_destroy(src);
    return st == FL_LINE_EOF;
}

static fl_time line_time(fl_decoder *dec, const char *line)
{
    fl_event ev;
    fl_bad_reason why;
    if (!fl_decode_line(dec, fl_str_c(line), FL_STR_NULL, &ev, &why))
        return FL_TIME_NONE;
    return ev.ts;
}

/* The fixture's inputs merged by each file's head event time, as replay
 * merges them (lines without a time go first). */
static bool load_input(input *in)
{
    static const char *const files[] = {FIXTURE_DIR "/logs-a.jsonl.zst",
                                        FIXTURE_DIR "/logs-b.jsonl.zst",
                                        FIXTURE_DIR "/deploys.jsonl"};
    enum { NF = 3 };
    input f[NF] = {{0}};
    size_t at[NF] = {0};
    fl_time head[NF];
    bool ok = true;
    for (int k = 0; k < NF && ok; k++)
        ok = read_file_lines(files[k], &f[k]);
    fl_decoder *dec = fl_decoder_new(FL_FORMAT_AUTO);
    for (int k = 0; k < NF && ok; k++)
        head[k] = f[k].n ? line_time(dec, f[k].lines[0]) : FL_TIME_NONE;
    for (;;) {
        int best = -1;
        for (int k = 0; k < NF && ok; k++)
            if (at[k] < f[k].n && (best < 0 || head[k] < head[best]))
                best = k;
        if (best < 0)
            break;
        const char *s = f[best].lines[at[best]++];
        input_push(in, s, strlen(s));
        if (at[best] < f[best].n)
            head[best] = line_time(dec, f[best].lines[at[best]]);
    }
    fl_decoder_destroy(dec);
    for (int k = 0; k < NF; k++)
        input_free(&f[k]);
    return ok;
}

/* --------------------------------------------------------- the pipeline */

/* Incident notifications after the cut, as a running hash. */
typedef struct {
    uint64_t hash;
    unsigned calls;
} notes;

static void on_incident(void *ud, const fl_incident *inc)
{
    notes *n = ud;
    n->calls++;
    n->hash = fl_hash64(inc->id, strlen(inc->id), n->hash);
    uint64_t parts[4] = {inc->state, inc->ncauses, inc->nanoms, inc->rank_sig};
    n->hash = fl_hash64(parts, sizeof parts, n->hash);
}

static fl_pipeline *new_pipeline(notes *n)
{
    fl_pipeline_conf conf;
    fl_pipeline_conf_default(&conf);
    conf.on_incident = on_incident;
    conf.ud = n;
    return fl_pipeline_new(&conf);
}

static void feed(fl_pipeline *p, fl_decoder *dec, const input *in, size_t from,
                 size_t to)
{
    for (size_t i = from; i < to && i < in->n; i++) {
        fl_event ev;
        fl_bad_reason why;
        fl_pipeline_stats_mut(p)->lines++;
        if (fl_decode_line(dec, fl_str_c(in->lines[i]), FL_STR_NULL, &ev, &why))
            fl_pipeline_event(p, &ev);
        else
            fl_pipeline_bad(p, why);
    }
}

static void pack(const fl_pipeline *p, msgpack_sbuffer *sb)
{
    msgpack_sbuffer_init(sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    fl_pipeline_pack(p, &pk);
}

/* Scan, unpack and load buf into a fresh pipeline; NULL with err set when
 * refused. */
static fl_pipeline *load(const char *buf, size_t len, notes *n, char *err,
                         size_t errlen)
{
    err[0] = '\0';
    if (!fl_ckpt_scan(buf, len, err, errlen))
        return NULL;
    msgpack_unpacked up;
    msgpack_unpacked_init(&up);
    size_t off = 0;
    if (msgpack_unpack_next(&up, buf, len, &off) != MSGPACK_UNPACK_SUCCESS ||
        off != len) {
        snprintf(err, errlen, "checkpoint: not one msgpack value");
        msgpack_unpacked_destroy(&up);
        return NULL;
    }
    fl_pipeline *p = new_pipeline(n);
    bool ok = fl_pipeline_unpack(p, &up.data, err, errlen);
    msgpack_unpacked_destroy(&up);
    if (!ok) {
        fl_pipeline_destroy(p);
        return NULL;
    }
    return p;
}

/* The result document plus every incident's Markdown and HTML report. */
static void render(const fl_pipeline *p, fl_buf *b)
{
    fl_pipeline_result_json(p, b);
    const fl_rca *r = fl_pipeline_rca(p);
    for (uint32_t i = 0; i < fl_rca_count(r); i++) {
        fl_incident_markdown(b, r, fl_rca_get(r, i));
        fl_incident_html(b, r, fl_rca_get(r, i));
    }
}

static bool any_open_incident(const fl_pipeline *p)
{
    const fl_rca *r = fl_pipeline_rca(p);
    for (uint32_t i = 0; i < fl_rca_count(r); i++)
        if (fl_rca_get(r, i)->state == FL_INCIDENT_OPEN)
            return true;
    return false;
}

static bool same_bytes(const char *what, const char *a, size_t an,
                       const char *b, size_t bn)
{
    if (an == bn && memcmp(a, b, an) == 0)
        return true;
    size_t k = 0;
    while (k < an && k < bn && a[k] == b[k])
        k++;
    unit_fail(__FILE__, __LINE__,
              "%s differ: %zu vs %zu bytes, first difference at %zu: "
              "\"%.60s\" vs \"%.60s\"",
              what, an, bn, k, k < an ? a + k : "", k < bn ? b + k : "");
    return false;
}

/* -------------------------------------------------------------- tests */

static void restore_matches_uninterrupted(void)
{
    input in = {0};
    REQUIRE(load_input(&in));
    REQUIRE(in.n > 1000);
    fl_decoder *dec = fl_decoder_new(FL_FORMAT_AUTO);

    /* the reference: one run, never stopped */
    notes ref_notes = {0};
    fl_pipeline *ref = new_pipeline(&ref_notes);
    feed(ref, dec, &in, 0, in.n);
    fl_pipeline_finish(ref);
    fl_buf want = {0};
    render(ref, &want);
    CHECK(fl_rca_count(fl_pipeline_rca(ref)) >= 1);

    /* 10%: warm-up; 50%: before the bad deploy; 62%: just after the
     * incident opened; 73%, 90%: inside it; 100%: all events in, before
     * finish */
    static const double cuts[] = {0.10, 0.50, 0.62, 0.73, 0.90, 1.0};
    bool saw_open = false;
    for (size_t c = 0; c < FL_ARRAY_LEN(cuts); c++) {
        size_t cut = (size_t)(cuts[c] * (double)in.n);
        notes n1 = {0}, n2 = {0};
        fl_pipeline *p1 = new_pipeline(&n1);
        feed(p1, dec, &in, 0, cut);
        if (cuts[c] == 0.73) {
            CHECK_MSG(any_open_incident(p1),
                      "cut at 73%% should fall inside an open incident");
            saw_open = any_open_incident(p1);
        }
        msgpack_sbuffer b1;
        pack(p1, &b1);
        char err[512];
        fl_pipeline *p2 = load(b1.data, b1.size, &n2, err, sizeof err);
        CHECK_MSG(p2 != NULL, "cut %.0f%%: %s", cuts[c] * 100, err);
        if (!p2) {
            msgpack_sbuffer_destroy(&b1);
            fl_pipeline_destroy(p1);
            continue;
        }
        /* pack -> unpack -> pack: the same bytes */
        msgpack_sbuffer b2;
        pack(p2, &b2);
        same_bytes("re-packed checkpoint", b1.data, b1.size, b2.data, b2.size);
        msgpack_sbuffer_destroy(&b2);

        /* the rest of the input to both */
        n1 = (notes){0};
        n2 = (notes){0};
        feed(p1, dec, &in, cut, in.n);
        feed(p2, dec, &in, cut, in.n);
        fl_pipeline_finish(p1);
        fl_pipeline_finish(p2);
        fl_buf r1 = {0}, r2 = {0};
        render(p1, &r1);
        render(p2, &r2);
        char what[64];
        snprintf(what, sizeof what, "cut %.0f%%: restored vs uninterrupted",
                 cuts[c] * 100);
        same_bytes(what, r1.p, r1.n, r2.p, r2.n);
        snprintf(what, sizeof what, "cut %.0f%%: packed run vs reference",
                 cuts[c] * 100);
        same_bytes(what, want.p, want.n, r1.p, r1.n);
        CHECK_MSG(n1.calls == n2.calls && n1.hash == n2.hash,
                  "cut %.0f%%: incident notifications after the cut differ "
                  "(%u vs %u calls)", cuts[c] * 100, n1.calls, n2.calls);
        fl_buf_free(&r1);
        fl_buf_free(&r2);
        msgpack_sbuffer_destroy(&b1);
        fl_pipeline_destroy(p1);
        fl_pipeline_destroy(p2);
    }
    CHECK(saw_open);
    fl_buf_free(&want);
    fl_pipeline_destroy(ref);
    fl_decoder_destroy(dec);
    input_free(&in);
}

/* A finished pipeline round-trips too (a checkpoint at shutdown). */
static void restore_after_finish(void)
{
    input in = {0};
    REQUIRE(load_input(&in));
    fl_decoder *dec = fl_decoder_new(FL_FORMAT_AUTO);
    notes n1 = {0}, n2 = {0};
    fl_pipeline *p1 = new_pipeline(&n1);
    feed(p1, dec, &in, 0, in.n);
    fl_pipeline_finish(p1);
    msgpack_sbuffer b1;
    pack(p1, &b1);
    char err[512];
    fl_pipeline *p2 = load(b1.data, b1.size, &n2, err, sizeof err);
    CHECK_MSG(p2 != NULL, "%s", err);
    if (p2) {
        fl_buf r1 = {0}, r2 = {0};
        render(p1, &r1);
        render(p2, &r2);
        same_bytes("finished, restored", r1.p, r1.n, r2.p, r2.n);
        fl_buf_free(&r1);
        fl_buf_free(&r2);
        fl_pipeline_destroy(p2);
    }
    msgpack_sbuffer_destroy(&b1);
    fl_pipeline_destroy(p1);
    fl_decoder_destroy(dec);
    input_free(&in);
}

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static void refusals_say_where(void)
{
    input in = {0};
    REQUIRE(load_input(&in));
    fl_decoder *dec = fl_decoder_new(FL_FORMAT_AUTO);
    notes n = {0};
    fl_pipeline *p = new_pipeline(&n);
    feed(p, dec, &in, 0, in.n / 2);
    msgpack_sbuffer sb;
    pack(p, &sb);
    msgpack_unpacked up;
    msgpack_unpacked_init(&up);
    size_t off = 0;
    REQUIRE(msgpack_unpack_next(&up, sb.data, sb.size, &off) ==
            MSGPACK_UNPACK_SUCCESS);
    char err[512];

    /* into a pipeline that has seen events */
    CHECK(!fl_pipeline_unpack(p, &up.data, err, sizeof err));
    CHECK_MSG(strstr(err, "already seen events") != NULL, "got: %s", err);

    /* with other detector settings */
    fl_pipeline_conf conf;
    fl_pipeline_conf_default(&conf);
    conf.detect.bucket = 5 * FL_NS_PER_SEC;
    fl_pipeline *q = fl_pipeline_new(&conf);
    CHECK(!fl_pipeline_unpack(q, &up.data, err, sizeof err));
    CHECK_MSG(starts_with(err, "checkpoint: detect.conf:"), "got: %s", err);
    fl_pipeline_destroy(q);

    /* fewer services allowed than the checkpoint holds */
    fl_pipeline_conf_default(&conf);
    conf.detect.max_services = 2;
    q = fl_pipeline_new(&conf);
    CHECK(!fl_pipeline_unpack(q, &up.data, err, sizeof err));
    CHECK_MSG(starts_with(err, "checkpoint: names:"), "got: %s", err);
    fl_pipeline_destroy(q);

    /* not a map at all */
    msgpack_object nil;
    memset(&nil, 0, sizeof nil);
    nil.type = MSGPACK_OBJECT_NIL;
    q = new_pipeline(&n);
    CHECK(!fl_pipeline_unpack(q, &nil, err, sizeof err));
    CHECK_STR(err, "checkpoint: expected map of 5, got nil");
    fl_pipeline_destroy(q);

    /* a service's ring of the wrong size, named by its path: drop the last
     * slot of detect.svcs[0].ring in the object tree */
    msgpack_object *root = &up.data, *det = NULL, *svcs = NULL, *ring = NULL;
    for (uint32_t i = 0; i < root->via.map.size; i++)
        if (root->via.map.ptr[i].key.via.str.size == 6 &&
            memcmp(root->via.map.ptr[i].key.via.str.ptr, "detect", 6) == 0)
            det = &root->via.map.ptr[i].val;
    REQUIRE(det != NULL);
    for (uint32_t i = 0; i < det->via.map.size; i++)
        if (det->via.map.ptr[i].key.via.str.size == 4 &&
            memcmp(det->via.map.ptr[i].key.via.str.ptr, "svcs", 4) == 0)
            svcs = &det->via.map.ptr[i].val;
    REQUIRE(svcs != NULL && svcs->via.array.size > 0);
    msgpack_object *s0 = &svcs->via.array.ptr[0];
    for (uint32_t i = 0; i < s0->via.map.size; i++)
        if (s0->via.map.ptr[i].key.via.str.size == 4 &&
            memcmp(s0->via.map.ptr[i].key.via.str.ptr, "ring", 4) == 0)
            ring = &s0->via.map.ptr[i].val;
    REQUIRE(ring != NULL);
    uint32_t slots = ring->via.array.size;
    ring->via.array.size = slots - 1;
    q = new_pipeline(&n);
    CHECK(!fl_pipeline_unpack(q, &up.data, err, sizeof err));
    char want[128];
    snprintf(want, sizeof want,
             "checkpoint: detect.svcs[0].ring: expected array of %u..%u, got "
             "array of %u", slots, 2 * FL_DETECT_MAX_AHEAD, slots - 1);
    CHECK_STR(err, want);
    fl_pipeline_destroy(q);
    ring->via.array.size = slots;

    /* and the untouched tree still loads */
    q = new_pipeline(&n);
    CHECK_MSG(fl_pipeline_unpack(q, &up.data, err, sizeof err), "%s", err);
    fl_pipeline_destroy(q);

    msgpack_unpacked_destroy(&up);
    msgpack_sbuffer_destroy(&sb);
    fl_pipeline_destroy(p);
    fl_decoder_destroy(dec);
    input_free(&in);
}

static void scan_refuses_absurd_lengths(void)
{
    char err[256];
    /* array32 claiming 2^32 - 1 elements */
    const unsigned char huge[] = {0xdd, 0xff, 0xff, 0xff, 0xff, 0x01};
    CHECK(!fl_ckpt_scan(huge, sizeof huge, err, sizeof err));
    CHECK(strstr(err, "claims") != NULL);
    /* map16 of 2 with one pair */
    const unsigned char short_map[] = {0xde, 0x00, 0x02, 0xa1, 'a', 0x01};
    CHECK(!fl_ckpt_scan(short_map, sizeof short_map, err, sizeof err));
    /* str8 longer than the buffer */
    const unsigned char str[] = {0xd9, 0x20, 'a'};
    CHECK(!fl_ckpt_scan(str, sizeof str, err, sizeof err));
    /* 0xc1 is never valid */
    const unsigned char c1[] = {0xc1};
    CHECK(!fl_ckpt_scan(c1, sizeof c1, err, sizeof err));
    /* trailing bytes */
    const unsigned char two[] = {0x01, 0x02};
    CHECK(!fl_ckpt_scan(two, sizeof two, err, sizeof err));
    /* too deep */
    unsigned char deep[40];
    memset(deep, 0x91, sizeof deep);
    deep[sizeof deep - 1] = 0xc0;
    CHECK(!fl_ckpt_scan(deep, sizeof deep, err, sizeof err));
    /* fine */
    const unsigned char ok[] = {0x82, 0xa1, 'a', 0x93, 0x01, 0xcb, 0, 0, 0, 0,
                                0,    0,    0,   0,    0xc0, 0xa1, 'b', 0xc3};
    CHECK_MSG(fl_ckpt_scan(ok, sizeof ok, err, sizeof err), "%s", err);
}

static void corruptions_fail_cleanly(void)
{
    input in = {0};
    REQUIRE(load_input(&in));
    fl_decoder *dec = fl_decoder_new(FL_FORMAT_AUTO);
    notes n = {0};
    fl_pipeline *p = new_pipeline(&n);
    size_t cut = (size_t)(0.73 * (double)in.n);
    feed(p, dec, &in, 0, cut);
    msgpack_sbuffer sb;
    pack(p, &sb);
    fl_pipeline_destroy(p);

    static const unsigned char odd[] = {0x00, 0x01, 0x7f, 0x80, 0x90, 0xa0,
                                        0xc0, 0xc1, 0xc2, 0xca, 0xcb, 0xcc,
                                        0xcf, 0xd3, 0xd9, 0xdb, 0xdc, 0xdd,
                                        0xde, 0xdf, 0xe0, 0xff};
    unit_rng rng;
    unit_rng_seed(&rng, 20261121);
    unsigned refused = 0, loaded = 0, truncated = 0;
    char *buf = malloc(sb.size);
    for (int i = 0; i < 200; i++) {
        memcpy(buf, sb.data, sb.size);
        size_t len = sb.size;
        if (i % 4 == 3) {
            len = (size_t)(unit_rng_u64(&rng) % sb.size);
            truncated++;
        } else {
            size_t at = (size_t)(unit_rng_u64(&rng) % sb.size);
            unsigned char v;
            do
                v = unit_rng_bern(&rng, 0.5)
                        ? odd[unit_rng_u64(&rng) % sizeof odd]
                        : (unsigned char)unit_rng_u64(&rng);
            while (v == (unsigned char)buf[at]);
            buf[at] = (char)v;
        }
        char err[512];
        notes m = {0};
        fl_pipeline *q = load(buf, len, &m, err, sizeof err);
        if (!q) {
            refused++;
            CHECK_MSG(starts_with(err, "checkpoint: ") && strlen(err) > 14,
                      "mutation %d: refused without a message: \"%s\"", i, err);
            continue;
        }
        /* still valid: it must run on and render without trouble */
        loaded++;
        feed(q, dec, &in, cut, cut + 3000);
        fl_pipeline_finish(q);
        fl_buf out = {0};
        render(q, &out);
        CHECK(out.n > 0);
        fl_buf_free(&out);
        fl_pipeline_destroy(q);
    }
    printf("    %zu-byte checkpoint, 200 mutations (%u truncations): %u "
           "refused, %u loaded and ran\n",
           sb.size, truncated, refused, loaded);
    free(buf);
    msgpack_sbuffer_destroy(&sb);
    fl_decoder_destroy(dec);
    input_free(&in);
}

/* Every scalar of a decoded checkpoint is a place a hostile file can put
 * an absurd value: one at a time, replace a random one with an extreme or
 * off-by-one value (or another type) and load. Refusal needs a message;
 * acceptance must leave a pipeline that runs on without trouble. */
typedef struct {
    msgpack_object **v;
    size_t n, cap;
} leaves;

static void collect(leaves *l, msgpack_object *o)
{
    switch (o->type) {
    case MSGPACK_OBJECT_ARRAY:
        for (uint32_t i = 0; i < o->via.array.size; i++)
            collect(l, &o->via.array.ptr[i]);
        return;
    case MSGPACK_OBJECT_MAP:
        for (uint32_t i = 0; i < o->via.map.size; i++)
            collect(l, &o->via.map.ptr[i].val);
        return;
    default:
        if (l->n == l->cap) {
            l->cap = l->cap ? l->cap * 2 : 1024;
            l->v = realloc(l->v, l->cap * sizeof *l->v);
        }
        l->v[l->n++] = o;
    }
}

static void mutate(unit_rng *rng, msgpack_object *o)
{
    static const uint64_t big[] = {0,          1,          2,
                                   0x7fffffff, 0x80000000, 0xffffffff,
                                   INT64_MAX,  UINT64_MAX, 1ULL << 40};
    static const int64_t neg[] = {-1, -2, INT32_MIN, INT64_MIN, INT64_MIN + 1};
    static const double fl[] = {NAN, INFINITY, -INFINITY, 1e300, -1e300, 0.0};
    msgpack_object was = *o;
    switch (unit_rng_u64(rng) % 6) {
    case 0: /* off by one, same type */
        if (was.type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
            o->via.u64 = was.via.u64 + 1;
            return;
        }
        if (was.type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
            o->via.i64 = was.via.i64 == INT64_MIN ? INT64_MIN + 1
                                                  : was.via.i64 - 1;
            return;
        }
        /* fall through */
    case 1:
        o->type = MSGPACK_OBJECT_POSITIVE_INTEGER;
        o->via.u64 = big[unit_rng_u64(rng) % FL_ARRAY_LEN(big)];
        return;
    case 2:
        o->type = MSGPACK_OBJECT_NEGATIVE_INTEGER;
        o->via.i64 = neg[unit_rng_u64(rng) % FL_ARRAY_LEN(neg)];
        return;
    case 3:
        o->type = unit_rng_bern(rng, 0.5) ? MSGPACK_OBJECT_FLOAT64
                                          : MSGPACK_OBJECT_FLOAT32;
        o->via.f64 = fl[unit_rng_u64(rng) % FL_ARRAY_LEN(fl)];
        return;
    case 4:
        o->type = MSGPACK_OBJECT_NIL;
        return;
    default:
        o->type = MSGPACK_OBJECT_STR;
        o->via.str.ptr = "../x";
        o->via.str.size = unit_rng_bern(rng, 0.5) ? 4 : 0;
        return;
    }
}

static void hostile_values_checked(void)
{
    input in = {0};
    REQUIRE(load_input(&in));
    fl_decoder *dec = fl_decoder_new(FL_FORMAT_AUTO);
    notes n = {0};
    fl_pipeline *p = new_pipeline(&n);
    size_t cut = (size_t)(0.73 * (double)in.n);
    feed(p, dec, &in, 0, cut);
    msgpack_sbuffer sb;
    pack(p, &sb);
    fl_pipeline_destroy(p);
    msgpack_unpacked up;
    msgpack_unpacked_init(&up);
    size_t off = 0;
    REQUIRE(msgpack_unpack_next(&up, sb.data, sb.size, &off) ==
            MSGPACK_UNPACK_SUCCESS);
    leaves l = {0};
    collect(&l, &up.data);
    unit_rng rng;
    unit_rng_seed(&rng, 4242);
    unsigned refused = 0, loaded = 0;
    for (int i = 0; i < 400; i++) {
        msgpack_object *o = l.v[unit_rng_u64(&rng) % l.n];
        msgpack_object keep = *o;
        mutate(&rng, o);
        char err[512];
        notes m = {0};
        fl_pipeline *q = new_pipeline(&m);
        if (!fl_pipeline_unpack(q, &up.data, err, sizeof err)) {
            refused++;
            CHECK_MSG(starts_with(err, "checkpoint: ") && strlen(err) > 14,
                      "mutation %d: refused without a message: \"%s\"", i, err);
        } else {
            loaded++;
            feed(q, dec, &in, cut, cut + 3000);
            fl_pipeline_finish(q);
            fl_buf out = {0};
            render(q, &out);
            fl_buf_free(&out);
        }
        fl_pipeline_destroy(q);
        *o = keep;
    }
    printf("    %zu scalars, 400 hostile values: %u refused, %u loaded and "
           "ran\n", l.n, refused, loaded);
    free(l.v);
    msgpack_unpacked_destroy(&up);
    msgpack_sbuffer_destroy(&sb);
    fl_decoder_destroy(dec);
    input_free(&in);
}

static const unit_test tests[] = {
    UNIT_TEST(restore_matches_uninterrupted),
    UNIT_TEST(restore_after_finish),
    UNIT_TEST(refusals_say_where),
    UNIT_TEST(scan_refuses_absurd_lengths),
    UNIT_TEST(corruptions_fail_cleanly),
    UNIT_TEST(hostile_values_checked),
};

UNIT_SUITE(unit_suite_state, "state", tests);
