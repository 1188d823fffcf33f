/*
 * intern.c - a string interner: open addressing over FNV-1a hashes, names
 * copied once into the table, ids dense so per-service state can live in a
 * plain array. Bounded by `cap` so a flood of distinct names cannot grow
 * memory without limit; the caller counts what did not fit.
 */
#include "fl_common.h"

#include <stdlib.h>
#include <string.h>

struct fl_intern {
    uint32_t cap;     /* most names kept */
    uint32_t count;   /* names kept */
    uint32_t nslots;  /* power of two, > 2 * count */
    int32_t *slots;   /* id or -1 */
    uint64_t *hashes; /* per id */
    char **names;     /* per id, NUL-terminated copies */
    uint32_t *lens;   /* per id */
    uint32_t names_cap;
};

fl_intern *fl_intern_new(uint32_t cap)
{
    fl_intern *in = fl_calloc(1, sizeof *in);
    in->cap = cap ? cap : 1;
    in->nslots = 64;
    in->slots = fl_malloc(in->nslots * sizeof *in->slots);
    memset(in->slots, 0xff, in->nslots * sizeof *in->slots);
    return in;
}

void fl_intern_destroy(fl_intern *in)
{
    if (!in)
        return;
    for (uint32_t i = 0; i < in->count; i++)
        free(in->names[i]);
    free(in->names);
    free(in->lens);
    free(in->hashes);
    free(in->slots);
    free(in);
}

static int32_t lookup(const fl_intern *in, fl_str s, uint64_t h, uint32_t *slot)
{
    uint32_t mask = in->nslots - 1;
    uint32_t i = (uint32_t)h & mask;
    for (;;) {
        int32_t id = in->slots[i];
        if (id < 0) {
            *slot = i;
            return -1;
        }
        if (in->hashes[id] == h && in->lens[id] == s.n &&
            memcmp(in->names[id], s.p, s.n) == 0) {
            *slot = i;
            return id;
        }
        i = (i + 1) & mask;
    }
}

int32_t fl_intern_get(fl_intern *in, fl_str s)
{
    uint32_t slot;
    return lookup(in, s, fl_hash64(s.p, s.n, 0), &slot);
}

static void grow(fl_intern *in)
{
    uint32_t n = in->nslots * 2;
    int32_t *slots = fl_malloc(n * sizeof *slots);
    memset(slots, 0xff, n * sizeof *slots);
    for (uint32_t id = 0; id < in->count; id++) {
        uint32_t i = (uint32_t)in->hashes[id] & (n - 1);
        while (slots[i] >= 0)
            i = (i + 1) & (n - 1);
        slots[i] = (int32_t)id;
    }
    free(in->slots);
    in->slots = slots;
    in->nslots = n;
}

int32_t fl_intern_add(fl_intern *in, fl_str s)
{
    uint64_t h = fl_hash64(s.p, s.n, 0);
    uint32_t slot;
    int32_t id = lookup(in, s, h, &slot);
    if (id >= 0)
        return id;
    if (in->count >= in->cap)
        return -1;
    if (in->count == in->names_cap) {
        in->names_cap = in->names_cap ? in->names_cap * 2 : 16;
        in->names = fl_realloc(in->names, in->names_cap * sizeof *in->names);
        in->lens = fl_realloc(in->lens, in->names_cap * sizeof *in->lens);
        in->hashes = fl_realloc(in->hashes, in->names_cap * sizeof *in->hashes);
    }
    id = (int32_t)in->count++;
    in->names[id] = fl_strndup(s.p, s.n);
    in->lens[id] = (uint32_t)s.n;
    in->hashes[id] = h;
    in->slots[slot] = id;
    if (in->count * 2 >= in->nslots)
        grow(in);
    return id;
}

const char *fl_intern_name(const fl_intern *in, int32_t id)
{
    if (id < 0 || (uint32_t)id >= in->count)
        return "?";
    return in->names[id];
}

fl_str fl_intern_str(const fl_intern *in, int32_t id)
{
    if (id < 0 || (uint32_t)id >= in->count)
        return FL_STR_NULL;
    return (fl_str){in->names[id], in->lens[id]};
}

uint32_t fl_intern_count(const fl_intern *in)
{
    return in->count;
}
