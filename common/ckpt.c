/*
 * ckpt.c - msgpack helpers for checkpoints (see fl_ckpt.h): writers, a
 * structural pre-scan of untrusted bytes, and a reader that checks every
 * type, length and range and says where it stopped.
 */
#include "fl_ckpt.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* -------------------------------------------------------------- writing */

void fl_pk_str(msgpack_packer *pk, const char *p, size_t n)
{
    msgpack_pack_str(pk, n);
    msgpack_pack_str_body(pk, p, n);
}

void fl_pk_key(msgpack_packer *pk, const char *key)
{
    fl_pk_str(pk, key, strlen(key));
}

void fl_pk_cstr_or_nil(msgpack_packer *pk, const char *s)
{
    if (s)
        fl_pk_str(pk, s, strlen(s));
    else
        msgpack_pack_nil(pk);
}

void fl_pk_bool(msgpack_packer *pk, bool v)
{
    if (v)
        msgpack_pack_true(pk);
    else
        msgpack_pack_false(pk);
}

/* ------------------------------------------------------------ pre-scan */

#define SCAN_DEPTH 32

static uint64_t be(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

bool fl_ckpt_scan(const void *buf, size_t len, char *errstr, size_t errlen)
{
    const unsigned char *p = buf;
    size_t off = 0;
    uint64_t left[SCAN_DEPTH + 1]; /* items still to read at each level */
    int depth = 0;
    uint64_t pending = 1;          /* items still to read, all levels */
    left[0] = 1;
    while (depth >= 0) {
        if (left[depth] == 0) {
            depth--;
            continue;
        }
        if (off >= len) {
            snprintf(errstr, errlen, "checkpoint: truncated at byte %zu", off);
            return false;
        }
        left[depth]--;
        pending--;
        unsigned c = p[off++];
        uint64_t skip = 0, items = 0;
        int hdr = 0; /* length bytes that follow the type byte */
        bool container = false;
        if (c <= 0x7f || c >= 0xe0 || c == 0xc0 || c == 0xc2 || c == 0xc3) {
            /* fixint, nil, bool */
        } else if (c >= 0x80 && c <= 0x8f) {
            items = 2 * (uint64_t)(c & 0x0f);
            container = true;
        } else if (c >= 0x90 && c <= 0x9f) {
            items = c & 0x0f;
            container = true;
        } else if (c >= 0xa0 && c <= 0xbf) {
            skip = c & 0x1f;
        } else {
            switch (c) {
            case 0xc4: case 0xd9: hdr = 1; break; /* bin8, str8 */
            case 0xc5: case 0xda: hdr = 2; break;
            case 0xc6: case 0xdb: hdr = 4; break;
            case 0xc7: hdr = 1; skip = 1; break; /* ext8: len, type */
            case 0xc8: hdr = 2; skip = 1; break;
            case 0xc9: hdr = 4; skip = 1; break;
            case 0xca: skip = 4; break;
            case 0xcb: skip = 8; break;
            case 0xcc: case 0xd0: skip = 1; break;
            case 0xcd: case 0xd1: skip = 2; break;
            case 0xce: case 0xd2: skip = 4; break;
            case 0xcf: case 0xd3: skip = 8; break;
            case 0xd4: skip = 2; break; /* fixext: type + data */
            case 0xd5: skip = 3; break;
            case 0xd6: skip = 5; break;
            case 0xd7: skip = 9; break;
            case 0xd8: skip = 17; break;
            case 0xdc: hdr = 2; container = true; break;
            case 0xdd: hdr = 4; container = true; break;
            case 0xde: hdr = 2; container = true; break;
            case 0xdf: hdr = 4; container = true; break;
            default:
                snprintf(errstr, errlen,
                         "checkpoint: invalid msgpack byte 0x%02x at %zu", c,
                         off - 1);
                return false;
            }
            if (hdr) {
                if (len - off < (size_t)hdr) {
                    snprintf(errstr, errlen, "checkpoint: truncated at byte %zu",
                             off);
                    return false;
                }
                uint64_t n = be(p + off, hdr);
                off += (size_t)hdr;
                if (container)
                    items = (c == 0xde || c == 0xdf) ? 2 * n : n;
                else
                    skip += n;
            }
        }
        if (container) {
            /* every element takes at least one byte */
            if (items > len - off || pending + items > len - off) {
                snprintf(errstr, errlen,
                         "checkpoint: container at byte %zu claims %" PRIu64
                         " elements, only %zu bytes follow",
                         off, items, len - off);
                return false;
            }
            if (items) {
                if (depth == SCAN_DEPTH) {
                    snprintf(errstr, errlen,
                             "checkpoint: nested deeper than %d at byte %zu",
                             SCAN_DEPTH, off);
                    return false;
                }
                left[++depth] = items;
                pending += items;
            }
        } else {
            if (skip > len - off) {
                snprintf(errstr, errlen, "checkpoint: truncated at byte %zu",
                         len);
                return false;
            }
            off += (size_t)skip;
        }
    }
    if (off != len) {
        snprintf(errstr, errlen,
                 "checkpoint: %zu bytes of garbage after the value", len - off);
        return false;
    }
    return true;
}

/* -------------------------------------------------------------- reading */

void fl_rd_init(fl_rd *rd, const char *root, char *errstr, size_t errlen)
{
    memset(rd, 0, sizeof *rd);
    rd->err = errstr;
    rd->errlen = errlen;
    if (errstr && errlen)
        errstr[0] = '\0';
    snprintf(rd->path, sizeof rd->path, "%s", root);
    rd->plen = strlen(rd->path);
}

bool fl_rd_fail(fl_rd *rd, const char *fmt, ...)
{
    if (rd->failed)
        return false;
    rd->failed = true;
    if (!rd->err || !rd->errlen)
        return false;
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(rd->err, rd->errlen, "checkpoint: %s%s%s",
             rd->path + (rd->path[0] == '.'), rd->path[0] ? ": " : "", msg);
    return false;
}

size_t fl_rd_push(fl_rd *rd, const char *fmt, ...)
{
    size_t mark = rd->plen;
    if (rd->plen < sizeof rd->path - 1) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(rd->path + rd->plen, sizeof rd->path - rd->plen, fmt, ap);
        va_end(ap);
        rd->plen = strlen(rd->path);
    }
    return mark;
}

void fl_rd_pop(fl_rd *rd, size_t mark)
{
    if (mark < sizeof rd->path) {
        rd->plen = mark;
        rd->path[mark] = '\0';
    }
}

void fl_rd_describe(const msgpack_object *o, char *buf, size_t n)
{
    switch (o->type) {
    case MSGPACK_OBJECT_NIL: snprintf(buf, n, "nil"); break;
    case MSGPACK_OBJECT_BOOLEAN:
        snprintf(buf, n, "boolean %s", o->via.boolean ? "true" : "false");
        break;
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        snprintf(buf, n, "integer %" PRIu64, o->via.u64);
        break;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        snprintf(buf, n, "integer %" PRId64, o->via.i64);
        break;
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64: snprintf(buf, n, "float %g", o->via.f64); break;
    case MSGPACK_OBJECT_STR:
        snprintf(buf, n, "string of %" PRIu32 " bytes", o->via.str.size);
        break;
    case MSGPACK_OBJECT_ARRAY:
        snprintf(buf, n, "array of %" PRIu32, o->via.array.size);
        break;
    case MSGPACK_OBJECT_MAP:
        snprintf(buf, n, "map of %" PRIu32, o->via.map.size);
        break;
    case MSGPACK_OBJECT_BIN:
        snprintf(buf, n, "binary of %" PRIu32 " bytes", o->via.bin.size);
        break;
    case MSGPACK_OBJECT_EXT: snprintf(buf, n, "extension"); break;
    default: snprintf(buf, n, "type %d", (int)o->type); break;
    }
}

static bool wrong(fl_rd *rd, const msgpack_object *o, const char *want)
{
    char got[64];
    fl_rd_describe(o, got, sizeof got);
    return fl_rd_fail(rd, "expected %s, got %s", want, got);
}

static bool key_is(const msgpack_object *k, const char *key)
{
    size_t n = strlen(key);
    return k->type == MSGPACK_OBJECT_STR && k->via.str.size == n &&
           memcmp(k->via.str.ptr, key, n) == 0;
}

bool fl_rd_map(fl_rd *rd, const msgpack_object *o, const char *const *keys)
{
    if (rd->failed)
        return false;
    uint32_t nkeys = 0;
    while (keys[nkeys])
        nkeys++;
    if (o->type != MSGPACK_OBJECT_MAP) {
        char want[32];
        snprintf(want, sizeof want, "map of %" PRIu32, nkeys);
        return wrong(rd, o, want);
    }
    const msgpack_object_map *m = &o->via.map;
    for (uint32_t i = 0; i < m->size; i++) {
        const msgpack_object *k = &m->ptr[i].key;
        if (k->type != MSGPACK_OBJECT_STR)
            return wrong(rd, k, "string keys");
        uint32_t j;
        for (j = 0; j < nkeys; j++)
            if (key_is(k, keys[j]))
                break;
        if (j == nkeys)
            return fl_rd_fail(rd, "unexpected key \"%.*s\"",
                              (int)FL_MIN(k->via.str.size, 40u), k->via.str.ptr);
        for (uint32_t q = 0; q < i; q++)
            if (key_is(&m->ptr[q].key, keys[j]))
                return fl_rd_fail(rd, "duplicate key \"%s\"", keys[j]);
    }
    for (uint32_t j = 0; j < nkeys; j++) {
        uint32_t i;
        for (i = 0; i < m->size; i++)
            if (key_is(&m->ptr[i].key, keys[j]))
                break;
        if (i == m->size)
            return fl_rd_fail(rd, "missing key \"%s\"", keys[j]);
    }
    return true;
}

bool fl_rd_array(fl_rd *rd, const msgpack_object *o, uint32_t min,
                 uint32_t max, const msgpack_object **items, uint32_t *n)
{
    if (rd->failed)
        return false;
    char want[48];
    if (min == max)
        snprintf(want, sizeof want, "array of %" PRIu32, min);
    else
        snprintf(want, sizeof want, "array of %" PRIu32 "..%" PRIu32, min, max);
    if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size < min ||
        o->via.array.size > max)
        return wrong(rd, o, want);
    *items = o->via.array.ptr;
    *n = o->via.array.size;
    return true;
}

bool fl_rd_int(fl_rd *rd, const msgpack_object *o, int64_t lo, int64_t hi,
               int64_t *out)
{
    if (rd->failed)
        return false;
    int64_t v = 0;
    if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
        if (o->via.u64 > INT64_MAX)
            return fl_rd_fail(rd, "integer %" PRIu64 " out of range [%" PRId64
                                  ", %" PRId64 "]", o->via.u64, lo, hi);
        v = (int64_t)o->via.u64;
    } else if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
        v = o->via.i64;
    } else {
        return wrong(rd, o, "integer");
    }
    if (v < lo || v > hi)
        return fl_rd_fail(rd, "integer %" PRId64 " out of range [%" PRId64
                              ", %" PRId64 "]", v, lo, hi);
    *out = v;
    return true;
}

bool fl_rd_uint(fl_rd *rd, const msgpack_object *o, uint64_t hi, uint64_t *out)
{
    if (rd->failed)
        return false;
    if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
        return wrong(rd, o, "non-negative integer");
    if (o->via.u64 > hi)
        return fl_rd_fail(rd, "integer %" PRIu64 " out of range [0, %" PRIu64 "]",
                          o->via.u64, hi);
    *out = o->via.u64;
    return true;
}

bool fl_rd_float(fl_rd *rd, const msgpack_object *o, double *out)
{
    if (rd->failed)
        return false;
    if (o->type != MSGPACK_OBJECT_FLOAT64 && o->type != MSGPACK_OBJECT_FLOAT32)
        return wrong(rd, o, "float");
    *out = o->via.f64;
    return true;
}

bool fl_rd_boolean(fl_rd *rd, const msgpack_object *o, bool *out)
{
    if (rd->failed)
        return false;
    if (o->type != MSGPACK_OBJECT_BOOLEAN)
        return wrong(rd, o, "boolean");
    *out = o->via.boolean;
    return true;
}

bool fl_rd_string(fl_rd *rd, const msgpack_object *o, uint32_t max,
                  bool nil_ok, const char **p, uint32_t *n)
{
    if (rd->failed)
        return false;
    if (nil_ok && o->type == MSGPACK_OBJECT_NIL) {
        *p = NULL;
        *n = 0;
        return true;
    }
    if (o->type != MSGPACK_OBJECT_STR)
        return wrong(rd, o, nil_ok ? "string or nil" : "string");
    if (o->via.str.size > max)
        return fl_rd_fail(rd, "string of %" PRIu32 " bytes, at most %" PRIu32,
                          o->via.str.size, max);
    *p = o->via.str.size ? o->via.str.ptr : "";
    *n = o->via.str.size;
    return true;
}

bool fl_rd_time(fl_rd *rd, const msgpack_object *o, bool none_ok, fl_time *out)
{
    if (rd->failed)
        return false;
    if (none_ok && o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER &&
        o->via.i64 == FL_TIME_NONE) {
        *out = FL_TIME_NONE;
        return true;
    }
    int64_t v = 0;
    if (!fl_rd_int(rd, o, -FL_CKPT_TIME_LIM, FL_CKPT_TIME_LIM, &v))
        return false;
    *out = v;
    return true;
}

/* -------------------------------------------------------- field readers */

const msgpack_object *fl_rd_get(fl_rd *rd, const msgpack_object *map,
                                const char *key)
{
    if (rd->failed)
        return NULL;
    if (map->type == MSGPACK_OBJECT_MAP)
        for (uint32_t i = 0; i < map->via.map.size; i++)
            if (key_is(&map->via.map.ptr[i].key, key))
                return &map->via.map.ptr[i].val;
    fl_rd_fail(rd, "missing key \"%s\"", key);
    return NULL;
}

#define FIELD(call)                                                         \
    do {                                                                    \
        const msgpack_object *v_ = fl_rd_get(rd, map, key);                 \
        if (!v_)                                                            \
            return false;                                                   \
        size_t m_ = fl_rd_push(rd, ".%s", key);                             \
        bool ok_ = (call);                                                  \
        fl_rd_pop(rd, m_);                                                  \
        return ok_;                                                         \
    } while (0)

bool fl_rd_f_array(fl_rd *rd, const msgpack_object *map, const char *key,
                   uint32_t min, uint32_t max, const msgpack_object **items,
                   uint32_t *n)
{
    FIELD(fl_rd_array(rd, v_, min, max, items, n));
}

bool fl_rd_f_int(fl_rd *rd, const msgpack_object *map, const char *key,
                 int64_t lo, int64_t hi, int64_t *out)
{
    FIELD(fl_rd_int(rd, v_, lo, hi, out));
}

static bool rd_i32(fl_rd *rd, const msgpack_object *o, int32_t lo, int32_t hi,
                   int32_t *out)
{
    int64_t v = 0;
    if (!fl_rd_int(rd, o, lo, hi, &v))
        return false;
    *out = (int32_t)v;
    return true;
}

bool fl_rd_f_i32(fl_rd *rd, const msgpack_object *map, const char *key,
                 int32_t lo, int32_t hi, int32_t *out)
{
    FIELD(rd_i32(rd, v_, lo, hi, out));
}

static bool rd_u32(fl_rd *rd, const msgpack_object *o, uint32_t hi,
                   uint32_t *out)
{
    uint64_t v = 0;
    if (!fl_rd_uint(rd, o, hi, &v))
        return false;
    *out = (uint32_t)v;
    return true;
}

bool fl_rd_f_u32(fl_rd *rd, const msgpack_object *map, const char *key,
                 uint32_t hi, uint32_t *out)
{
    FIELD(rd_u32(rd, v_, hi, out));
}

bool fl_rd_f_u64(fl_rd *rd, const msgpack_object *map, const char *key,
                 uint64_t *out)
{
    FIELD(fl_rd_uint(rd, v_, UINT64_MAX, out));
}

bool fl_rd_f_float(fl_rd *rd, const msgpack_object *map, const char *key,
                   double *out)
{
    FIELD(fl_rd_float(rd, v_, out));
}

bool fl_rd_f_bool(fl_rd *rd, const msgpack_object *map, const char *key,
                  bool *out)
{
    FIELD(fl_rd_boolean(rd, v_, out));
}

bool fl_rd_f_time(fl_rd *rd, const msgpack_object *map, const char *key,
                  bool none_ok, fl_time *out)
{
    FIELD(fl_rd_time(rd, v_, none_ok, out));
}

static bool rd_strdup(fl_rd *rd, const msgpack_object *o, bool nil_ok,
                      char **out)
{
    const char *p = NULL;
    uint32_t n = 0;
    if (!fl_rd_string(rd, o, FL_CKPT_STR_MAX, nil_ok, &p, &n))
        return false;
    *out = p ? fl_strndup(p, n) : NULL;
    return true;
}

bool fl_rd_f_strdup(fl_rd *rd, const msgpack_object *map, const char *key,
                    bool nil_ok, char **out)
{
    FIELD(rd_strdup(rd, v_, nil_ok, out));
}

static bool rd_u32s(fl_rd *rd, const msgpack_object *o, uint32_t n,
                    uint32_t *out)
{
    const msgpack_object *it;
    uint32_t got;
    if (!fl_rd_array(rd, o, n, n, &it, &got))
        return false;
    for (uint32_t i = 0; i < n; i++) {
        if (it[i].type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
            it[i].via.u64 <= UINT32_MAX) {
            out[i] = (uint32_t)it[i].via.u64; /* the common case, no path */
            continue;
        }
        size_t m = fl_rd_push(rd, "[%" PRIu32 "]", i);
        rd_u32(rd, &it[i], UINT32_MAX, &out[i]);
        fl_rd_pop(rd, m);
        return false;
    }
    return true;
}

bool fl_rd_f_u32s(fl_rd *rd, const msgpack_object *map, const char *key,
                  uint32_t n, uint32_t *out)
{
    FIELD(rd_u32s(rd, v_, n, out));
}

static bool rd_floats(fl_rd *rd, const msgpack_object *o, uint32_t n,
                      float *out, double *dout)
{
    const msgpack_object *it;
    uint32_t got;
    if (!fl_rd_array(rd, o, n, n, &it, &got))
        return false;
    for (uint32_t i = 0; i < n; i++) {
        /* floats are float32 (a float64 could be out of float's range) */
        if (it[i].type != MSGPACK_OBJECT_FLOAT32 &&
            (out || it[i].type != MSGPACK_OBJECT_FLOAT64)) {
            size_t m = fl_rd_push(rd, "[%" PRIu32 "]", i);
            wrong(rd, &it[i], out ? "float32" : "float");
            fl_rd_pop(rd, m);
            return false;
        }
        if (out)
            out[i] = (float)it[i].via.f64;
        else
            dout[i] = it[i].via.f64;
    }
    return true;
}

bool fl_rd_f_floats(fl_rd *rd, const msgpack_object *map, const char *key,
                    uint32_t n, float *out)
{
    FIELD(rd_floats(rd, v_, n, out, NULL));
}

bool fl_rd_f_doubles(fl_rd *rd, const msgpack_object *map, const char *key,
                     uint32_t n, double *out)
{
    FIELD(rd_floats(rd, v_, n, NULL, out));
}
