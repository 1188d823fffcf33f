/*
 * fl_ckpt.h - helpers for checkpoint state in msgpack (msgpack-c 4.x):
 * small writers for the shapes every state.c uses, a structural pre-scan
 * of an untrusted buffer, and a validating reader that names the path of
 * whatever it refuses ("checkpoint: detect.svcs[3].ring: expected array of
 * 5..8192, got array of 9000").
 *
 * Conventions shared by every checkpoint layout:
 *   - a struct is a map with short string keys; the reader requires exactly
 *     the keys it knows (no missing, no extra ones);
 *   - a homogeneous sequence is an array whose length is checked;
 *   - integers are packed compactly (msgpack_pack_int64/uint64) and read
 *     back with a range; doubles are float64, floats float32 (NaN and
 *     infinities round-trip);
 *   - optional strings and references are nil when absent;
 *   - every layout starts with "v", its version number.
 * Packing never fails (the packer's buffer grows); reading stops at the
 * first problem and leaves one message in the caller's errstr.
 */
#ifndef FL_CKPT_H
#define FL_CKPT_H

#include "fl_common.h"

#include <msgpack.h>

/* Largest |time| (ns) a checkpoint may hold: 2112-08, comfortably past
 * FL_TIME_MAX, and small enough that a difference of two such times or a
 * sum with a configured duration cannot overflow int64. */
#define FL_CKPT_TIME_LIM 4500000000000000000LL
/* Longest string (service name, evidence, version) a checkpoint may hold. */
#define FL_CKPT_STR_MAX (1u << 20)

/* -------------------------------------------------------------- writing */

void fl_pk_key(msgpack_packer *pk, const char *key); /* a string */
void fl_pk_str(msgpack_packer *pk, const char *p, size_t n);
void fl_pk_cstr_or_nil(msgpack_packer *pk, const char *s); /* NULL: nil */
void fl_pk_bool(msgpack_packer *pk, bool v);

/* ------------------------------------------------------------ pre-scan */

/* Checks that buf holds exactly one well-formed msgpack value, nested at
 * most 32 deep, and that no container claims more elements than bytes
 * remain. Unpacking a buffer that passes cannot make msgpack-c allocate
 * more than a small multiple of len (a single corrupt array32 header could
 * otherwise ask for tens of gigabytes). */
bool fl_ckpt_scan(const void *buf, size_t len, char *errstr, size_t errlen);

/* -------------------------------------------------------------- reading */

typedef struct fl_rd {
    char *err;
    size_t errlen;
    bool failed;
    size_t plen;
    char path[256]; /* where the reader is, e.g. "detect.svcs[3].ring" */
} fl_rd;

void fl_rd_init(fl_rd *rd, const char *root, char *errstr, size_t errlen);
/* Records "checkpoint: <path>: <message>" (the first failure only) and
 * returns false. */
bool fl_rd_fail(fl_rd *rd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Appends a path segment (".key", "[3]"); returns the mark to pop to. */
size_t fl_rd_push(fl_rd *rd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void fl_rd_pop(fl_rd *rd, size_t mark);
/* "map of 3", "positive integer 7", ... for messages. */
void fl_rd_describe(const msgpack_object *o, char *buf, size_t n);

/* Value readers: check the type (and range) of o, at the current path. */
bool fl_rd_map(fl_rd *rd, const msgpack_object *o, const char *const *keys);
bool fl_rd_array(fl_rd *rd, const msgpack_object *o, uint32_t min,
                 uint32_t max, const msgpack_object **items, uint32_t *n);
bool fl_rd_int(fl_rd *rd, const msgpack_object *o, int64_t lo, int64_t hi,
               int64_t *out);
bool fl_rd_uint(fl_rd *rd, const msgpack_object *o, uint64_t hi,
                uint64_t *out);
bool fl_rd_float(fl_rd *rd, const msgpack_object *o, double *out);
bool fl_rd_boolean(fl_rd *rd, const msgpack_object *o, bool *out);
/* A string of at most max bytes; with nil_ok, nil gives *p = NULL. */
bool fl_rd_string(fl_rd *rd, const msgpack_object *o, uint32_t max,
                  bool nil_ok, const char **p, uint32_t *n);
/* A time: FL_TIME_NONE (when none_ok) or |t| <= FL_CKPT_TIME_LIM. */
bool fl_rd_time(fl_rd *rd, const msgpack_object *o, bool none_ok,
                fl_time *out);

/* Field readers: the value under `key` of a map fl_rd_map accepted. */
const msgpack_object *fl_rd_get(fl_rd *rd, const msgpack_object *map,
                                const char *key);
bool fl_rd_f_array(fl_rd *rd, const msgpack_object *map, const char *key,
                   uint32_t min, uint32_t max, const msgpack_object **items,
                   uint32_t *n);
bool fl_rd_f_int(fl_rd *rd, const msgpack_object *map, const char *key,
                 int64_t lo, int64_t hi, int64_t *out);
bool fl_rd_f_i32(fl_rd *rd, const msgpack_object *map, const char *key,
                 int32_t lo, int32_t hi, int32_t *out);
bool fl_rd_f_u32(fl_rd *rd, const msgpack_object *map, const char *key,
                 uint32_t hi, uint32_t *out);
bool fl_rd_f_u64(fl_rd *rd, const msgpack_object *map, const char *key,
                 uint64_t *out);
bool fl_rd_f_float(fl_rd *rd, const msgpack_object *map, const char *key,
                   double *out);
bool fl_rd_f_bool(fl_rd *rd, const msgpack_object *map, const char *key,
                  bool *out);
bool fl_rd_f_time(fl_rd *rd, const msgpack_object *map, const char *key,
                  bool none_ok, fl_time *out);
/* A string copied with fl_strndup (NULL for nil when nil_ok). */
bool fl_rd_f_strdup(fl_rd *rd, const msgpack_object *map, const char *key,
                    bool nil_ok, char **out);
/* Arrays of exactly n scalars. */
bool fl_rd_f_u32s(fl_rd *rd, const msgpack_object *map, const char *key,
                  uint32_t n, uint32_t *out);
bool fl_rd_f_floats(fl_rd *rd, const msgpack_object *map, const char *key,
                    uint32_t n, float *out);
bool fl_rd_f_doubles(fl_rd *rd, const msgpack_object *map, const char *key,
                     uint32_t n, double *out);

#endif
