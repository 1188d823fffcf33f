/*
 * fields.c - the user's field names: which keys of their JSON, logfmt and
 * msgpack records carry the event's fields ("my service is in app.name,
 * my latency in resp_time, in seconds").
 *
 * A map holds up to one dotted key path per target field. Looking a key up
 * through a map: the user's path first; then the built-in names (json.c's
 * table) except those of a target the map gives a path for, so a record
 * holding both "service" and the user's "app.name" is read from
 * "app.name" whatever the key order. The latency targets are one group
 * (mapping latency_s retires latency_ms, duration_ms and event.duration).
 *
 * Decoders without a map (the default) call fl_json_lookup directly: the
 * hot path gains one pointer test (ingest_int.h, fl_field_of).
 */
#include "ingest_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAP_MAX 32 /* entries; one per target, so far more than needed */

struct fl_field_map {
    struct {
        char *path;
        size_t n;
        field f;
    } e[MAP_MAX];
    size_t n;
    uint32_t retired; /* bit f: the built-in names of field f do not apply */
};

/* The targets a path can be mapped to, as the config names them. */
static const struct {
    const char *name;
    field f;
} targets[] = {
    {"ts", F_TS},
    {"service", F_SERVICE},
    {"level", F_LEVEL},
    {"status", F_STATUS},
    {"latency_ms", F_LAT_MS},
    {"latency_s", F_LAT_S},
    {"latency_us", F_LAT_US},
    {"latency_ns", F_LAT_NS},
    {"msg", F_MSG},
    {"upstream", F_UPSTREAM},
    {"version", F_VERSION},
    {"kind", F_KIND},
    {"change_id", F_CHANGE_ID},
    {"author", F_AUTHOR},
    {"trace_id", F_TRACE},
    {"path", F_PATH},
};
_Static_assert(F__COUNT <= 32, "retired is a 32-bit mask");

static uint32_t group_of(field f)
{
    const uint32_t lat = 1u << F_LAT_MS | 1u << F_LAT_S | 1u << F_LAT_US |
                         1u << F_LAT_NS;
    return (lat >> f) & 1u ? lat : 1u << f;
}

const char *fl_field_targets(void)
{
    static char names[256];
    if (!names[0]) {
        size_t k = 0;
        for (size_t i = 0; i < FL_ARRAY_LEN(targets); i++)
            k += (size_t)snprintf(names + k, sizeof names - k, "%s%s",
                                  i ? ", " : "", targets[i].name);
    }
    return names;
}

fl_field_map *fl_field_map_new(void)
{
    return fl_calloc(1, sizeof(fl_field_map));
}

void fl_field_map_free(fl_field_map *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++)
        free(m->e[i].path);
    free(m);
}

bool fl_field_map_add(fl_field_map *m, const char *target, const char *path,
                      char *errstr, size_t errlen)
{
    field f = F_NONE;
    for (size_t i = 0; i < FL_ARRAY_LEN(targets); i++)
        if (strcmp(targets[i].name, target) == 0)
            f = targets[i].f;
    if (f == F_NONE) {
        snprintf(errstr, errlen, "unknown field '%.64s' (known: %s)", target,
                 fl_field_targets());
        return false;
    }
    size_t n = strlen(path);
    if (n == 0 || n > FL_JSON_PATH_MAX) {
        snprintf(errstr, errlen,
                 "the key path of '%s' must be 1 to %d bytes long", target,
                 FL_JSON_PATH_MAX);
        return false;
    }
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)path[i] < 0x20 || path[i] == 0x7f) {
            snprintf(errstr, errlen,
                     "the key path of '%s' holds a control character",
                     target);
            return false;
        }
    if (!fl_utf8_valid(path, n)) {
        snprintf(errstr, errlen, "the key path of '%s' is not UTF-8", target);
        return false;
    }
    /* a later mapping of the same target (or another latency unit)
     * replaces the earlier one: a files entry's over the input section's */
    size_t i = 0;
    while (i < m->n && !((group_of(m->e[i].f) >> f) & 1u))
        i++;
    if (i == m->n) {
        if (m->n == MAP_MAX) { /* cannot happen: one entry per target */
            snprintf(errstr, errlen, "too many field mappings");
            return false;
        }
        m->n++;
    } else {
        free(m->e[i].path);
    }
    m->e[i].path = fl_strndup(path, n);
    m->e[i].n = n;
    m->e[i].f = f;
    m->retired |= group_of(f);
    return true;
}

bool fl_field_map_copy(fl_field_map *dst, const fl_field_map *src)
{
    char why[200];
    for (size_t i = 0; src && i < src->n; i++) {
        const char *name = NULL;
        for (size_t t = 0; t < FL_ARRAY_LEN(targets); t++)
            if (targets[t].f == src->e[i].f)
                name = targets[t].name;
        if (!name || !fl_field_map_add(dst, name, src->e[i].path, why,
                                       sizeof why))
            return false;
    }
    return true;
}

size_t fl_field_map_size(const fl_field_map *m)
{
    return m ? m->n : 0;
}

field fl_field_map_lookup(const fl_field_map *m, const char *path, size_t n)
{
    for (size_t i = 0; i < m->n; i++)
        if (m->e[i].n == n && memcmp(m->e[i].path, path, n) == 0)
            return m->e[i].f;
    field f = fl_json_lookup(path, n);
    return (m->retired >> f) & 1u ? F_NONE : f;
}

void fl_decoder_set_fields(fl_decoder *dec, const fl_field_map *m)
{
    dec->fields = m && m->n ? m : NULL;
}
