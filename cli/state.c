/*
 * state.c - the checkpoint container (format in state.h): msgpack inside
 * zstd inside a header with a version and a checksum, written atomically.
 * What goes inside is the pipeline's business (fl_pipeline_pack).
 */
#define _POSIX_C_SOURCE 200809L
#include "state.h"
#include "../common/fl_ckpt.h"

#include <errno.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zstd.h>

static const unsigned char MAGIC[8] = {'F', 'L', 'C', 'K', 'P', 'T', 0, 1};
#define HEADER_LEN 28
/* A checkpoint bigger than this is not one of ours (100k services take
 * well under it). */
#define MAX_PAYLOAD (1ULL << 30)
#define MAX_STATE (4ULL << 30)

void fl_state_offsets_add(fl_state_offsets *o, const char *topic,
                          int32_t partition, int64_t next_offset)
{
    o->topics = fl_realloc(o->topics, (o->n + 1) * sizeof *o->topics);
    o->partitions = fl_realloc(o->partitions, (o->n + 1) * sizeof *o->partitions);
    o->offsets = fl_realloc(o->offsets, (o->n + 1) * sizeof *o->offsets);
    o->topics[o->n] = fl_strndup(topic, strlen(topic));
    o->partitions[o->n] = partition;
    o->offsets[o->n] = next_offset;
    o->n++;
}

void fl_state_offsets_free(fl_state_offsets *o)
{
    for (size_t i = 0; i < o->n; i++)
        free(o->topics[i]);
    free(o->topics);
    free(o->partitions);
    free(o->offsets);
    memset(o, 0, sizeof *o);
}

int64_t fl_state_offsets_find(const fl_state_offsets *o, const char *topic,
                              int32_t partition)
{
    for (size_t i = 0; i < o->n; i++)
        if (o->partitions[i] == partition && strcmp(o->topics[i], topic) == 0)
            return o->offsets[i];
    return -1;
}

static void put_u32(unsigned char *b, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        b[i] = (unsigned char)(v >> (8 * i));
}

static void put_u64(unsigned char *b, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_u64(const unsigned char *b)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | b[i];
    return v;
}

static uint32_t get_u32(const unsigned char *b)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = v << 8 | b[i];
    return v;
}

static void path_of(const char *dir, char *out, size_t n)
{
    snprintf(out, n, "%s/checkpoint.fl", dir);
}

static void pack_str(msgpack_packer *pk, const char *s)
{
    size_t n = strlen(s);
    msgpack_pack_str(pk, n);
    msgpack_pack_str_body(pk, s, n);
}

bool fl_state_save(const char *dir, const fl_pipeline *p,
                   const fl_state_offsets *offs, char *errstr, size_t errlen)
{
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        snprintf(errstr, errlen, "%s: cannot create: %s", dir, strerror(errno));
        return false;
    }
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    const fl_pipeline_conf *conf = fl_pipeline_get_conf(p);
    msgpack_pack_map(&pk, 4);
    pack_str(&pk, "v");
    msgpack_pack_uint32(&pk, FL_STATE_VERSION);
    pack_str(&pk, "conf");
    msgpack_pack_array(&pk, 2);
    msgpack_pack_int64(&pk, conf->detect.bucket);
    msgpack_pack_int64(&pk, conf->detect.lateness);
    pack_str(&pk, "offsets");
    msgpack_pack_array(&pk, offs->n);
    for (size_t i = 0; i < offs->n; i++) {
        msgpack_pack_array(&pk, 3);
        pack_str(&pk, offs->topics[i]);
        msgpack_pack_int32(&pk, offs->partitions[i]);
        msgpack_pack_int64(&pk, offs->offsets[i]);
    }
    pack_str(&pk, "pipeline");
    fl_pipeline_pack(p, &pk);

    size_t bound = ZSTD_compressBound(sb.size);
    fl_buf out = {0};
    fl_buf_put(&out, MAGIC, sizeof MAGIC);
    unsigned char hdr[HEADER_LEN - 8] = {0};
    fl_buf_put(&out, hdr, sizeof hdr);
    size_t before = out.n;
    fl_buf_put(&out, "", 0);
    out.p = fl_realloc(out.p, before + bound + 1);
    out.cap = before + bound + 1;
    ZSTD_CCtx *cc = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(cc, ZSTD_c_compressionLevel, 3);
    ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 1);
    size_t zn = ZSTD_compress2(cc, out.p + before, bound, sb.data, sb.size);
    ZSTD_freeCCtx(cc);
    msgpack_sbuffer_destroy(&sb);
    if (ZSTD_isError(zn)) {
        snprintf(errstr, errlen, "checkpoint: zstd: %s", ZSTD_getErrorName(zn));
        fl_buf_free(&out);
        return false;
    }
    out.n = before + zn;
    put_u32((unsigned char *)out.p + 8, FL_STATE_VERSION);
    put_u64((unsigned char *)out.p + 12, zn);
    put_u64((unsigned char *)out.p + 20, fl_hash64(out.p + before, zn, 0));
    char path[4096];
    path_of(dir, path, sizeof path);
    fl_err e = fl_buf_write_file(&out, path, errstr, errlen);
    fl_buf_free(&out);
    return e == FL_OK;
}

/* Reads and checks the container; on success *msg holds the msgpack bytes. */
static fl_err read_checked(const char *path, char **msg, size_t *msg_n,
                           char *errstr, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(errstr, errlen, "%s: %s", path, strerror(errno));
        return errno == ENOENT ? FL_ERR_IO : FL_ERR_CONFIG;
    }
    unsigned char hdr[HEADER_LEN];
    if (fread(hdr, 1, HEADER_LEN, f) != HEADER_LEN) {
        fclose(f);
        snprintf(errstr, errlen, "%s: refused: truncated header", path);
        return FL_ERR_CONFIG;
    }
    if (memcmp(hdr, MAGIC, sizeof MAGIC) != 0) {
        fclose(f);
        snprintf(errstr, errlen, "%s: refused: not a faultline checkpoint", path);
        return FL_ERR_CONFIG;
    }
    uint32_t version = get_u32(hdr + 8);
    if (version != FL_STATE_VERSION) {
        fclose(f);
        snprintf(errstr, errlen, "%s: refused: format version %u, this build "
                                 "reads %u", path, version, FL_STATE_VERSION);
        return FL_ERR_CONFIG;
    }
    uint64_t n = get_u64(hdr + 12), sum = get_u64(hdr + 20);
    if (n == 0 || n > MAX_PAYLOAD) {
        fclose(f);
        snprintf(errstr, errlen, "%s: refused: payload length %llu is not "
                                 "plausible", path, (unsigned long long)n);
        return FL_ERR_CONFIG;
    }
    char *z = fl_malloc((size_t)n);
    size_t got = fread(z, 1, (size_t)n, f);
    int extra = fgetc(f);
    fclose(f);
    if (got != n || extra != EOF) {
        free(z);
        snprintf(errstr, errlen, "%s: refused: %s (header says %llu bytes of "
                                 "payload)", path,
                 got != n ? "truncated" : "trailing bytes",
                 (unsigned long long)n);
        return FL_ERR_CONFIG;
    }
    if (fl_hash64(z, (size_t)n, 0) != sum) {
        free(z);
        snprintf(errstr, errlen, "%s: refused: checksum mismatch (corrupt)", path);
        return FL_ERR_CONFIG;
    }
    unsigned long long size = ZSTD_getFrameContentSize(z, (size_t)n);
    if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN ||
        size > MAX_STATE) {
        free(z);
        snprintf(errstr, errlen, "%s: refused: bad zstd frame", path);
        return FL_ERR_CONFIG;
    }
    char *m = fl_malloc((size_t)size + 1);
    size_t dn = ZSTD_decompress(m, (size_t)size, z, (size_t)n);
    free(z);
    if (ZSTD_isError(dn) || dn != size) {
        free(m);
        snprintf(errstr, errlen, "%s: refused: zstd: %s", path,
                 ZSTD_isError(dn) ? ZSTD_getErrorName(dn) : "short frame");
        return FL_ERR_CONFIG;
    }
    *msg = m;
    *msg_n = dn;
    return FL_OK;
}

fl_err fl_state_verify_file(const char *path, char *errstr, size_t errlen)
{
    char *m;
    size_t n;
    fl_err e = read_checked(path, &m, &n, errstr, errlen);
    if (e == FL_OK)
        free(m);
    return e;
}

static const msgpack_object *map_get(const msgpack_object *o, const char *key)
{
    if (o->type != MSGPACK_OBJECT_MAP)
        return NULL;
    size_t kl = strlen(key);
    for (uint32_t i = 0; i < o->via.map.size; i++) {
        const msgpack_object *k = &o->via.map.ptr[i].key;
        if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == kl &&
            memcmp(k->via.str.ptr, key, kl) == 0)
            return &o->via.map.ptr[i].val;
    }
    return NULL;
}

static bool as_i64(const msgpack_object *o, int64_t *v)
{
    if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER && o->via.u64 <= INT64_MAX) {
        *v = (int64_t)o->via.u64;
        return true;
    }
    if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
        *v = o->via.i64;
        return true;
    }
    return false;
}

fl_err fl_state_load(const char *dir, fl_pipeline *p, fl_state_offsets *offs,
                     char *errstr, size_t errlen)
{
    char path[4096];
    path_of(dir, path, sizeof path);
    char *m;
    size_t n;
    fl_err e = read_checked(path, &m, &n, errstr, errlen);
    if (e != FL_OK)
        return e;
    msgpack_unpacked up;
    msgpack_unpacked_init(&up);
    size_t off = 0;
    e = FL_ERR_CONFIG;
    char why0[300];
    /* msgpack-c allocates a container's storage before checking the bytes
     * are there: scan the structure first so a corrupt length cannot ask
     * for gigabytes */
    if (!fl_ckpt_scan(m, n, why0, sizeof why0)) {
        snprintf(errstr, errlen, "%s: refused: %s", path, why0);
        goto out;
    }
    if (msgpack_unpack_next(&up, m, n, &off) != MSGPACK_UNPACK_SUCCESS || off != n) {
        snprintf(errstr, errlen, "%s: refused: payload is not one msgpack value",
                 path);
        goto out;
    }
    const msgpack_object *root = &up.data;
    const msgpack_object *v = map_get(root, "v"), *conf = map_get(root, "conf"),
                         *o = map_get(root, "offsets"),
                         *pl = map_get(root, "pipeline");
    int64_t ver, bucket, lateness;
    if (!v || !as_i64(v, &ver) || ver != FL_STATE_VERSION || !conf ||
        conf->type != MSGPACK_OBJECT_ARRAY || conf->via.array.size != 2 ||
        !as_i64(&conf->via.array.ptr[0], &bucket) ||
        !as_i64(&conf->via.array.ptr[1], &lateness) || !o ||
        o->type != MSGPACK_OBJECT_ARRAY || !pl) {
        snprintf(errstr, errlen, "%s: refused: not the layout this build "
                                 "writes", path);
        goto out;
    }
    const fl_pipeline_conf *pc = fl_pipeline_get_conf(p);
    if (bucket != pc->detect.bucket || lateness != pc->detect.lateness) {
        snprintf(errstr, errlen, "%s: refused: made with --bucket %.3gs "
                                 "--lateness %.3gs, this run uses %.3gs and "
                                 "%.3gs (start with a new --state-dir, or the "
                                 "same settings)", path, (double)bucket / 1e9,
                 (double)lateness / 1e9, (double)pc->detect.bucket / 1e9,
                 (double)pc->detect.lateness / 1e9);
        goto out;
    }
    fl_state_offsets tmp = {0};
    for (uint32_t i = 0; i < o->via.array.size; i++) {
        const msgpack_object *t = &o->via.array.ptr[i];
        int64_t part, next;
        if (t->type != MSGPACK_OBJECT_ARRAY || t->via.array.size != 3 ||
            t->via.array.ptr[0].type != MSGPACK_OBJECT_STR ||
            t->via.array.ptr[0].via.str.size == 0 ||
            t->via.array.ptr[0].via.str.size > 255 ||
            !as_i64(&t->via.array.ptr[1], &part) || part < 0 || part > INT32_MAX ||
            !as_i64(&t->via.array.ptr[2], &next) || next < 0) {
            fl_state_offsets_free(&tmp);
            snprintf(errstr, errlen, "%s: refused: offsets[%u] malformed", path, i);
            goto out;
        }
        char topic[256];
        memcpy(topic, t->via.array.ptr[0].via.str.ptr, t->via.array.ptr[0].via.str.size);
        topic[t->via.array.ptr[0].via.str.size] = '\0';
        fl_state_offsets_add(&tmp, topic, (int32_t)part, next);
    }
    char why[400];
    if (!fl_pipeline_unpack(p, pl, why, sizeof why)) {
        fl_state_offsets_free(&tmp);
        snprintf(errstr, errlen, "%s: refused: %s", path, why);
        goto out;
    }
    *offs = tmp;
    snprintf(errstr, errlen, "%s (%zu partition offset%s)", path, tmp.n,
             tmp.n == 1 ? "" : "s");
    e = FL_OK;
out:
    msgpack_unpacked_destroy(&up);
    free(m);
    return e;
}
