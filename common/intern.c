/*
 * intern.c - a string interner: open addressing over FNV-1a hashes, names
 * copied once into the table, ids dense so per-service state can live in a
 * plain array. Bounded by `cap` so a flood of distinct names cannot grow
 * memory without limit; the caller counts what did not fit.
 */
#include "fl_common.h"

#include <stdlib.h>
#include <string.h>

/* A lookup is a few dependent memory reads, each a cache miss once a fleet
 * of names outgrows the cache (one per event on the hot path): the slot
 * holds the upper half of the hash as a tag besides the id, so a probe
 * past another name rarely reads further, and a name's pointer, length
 * and lower hash half sit together in one entry (slot, entry, name: three
 * reads, not five). */
typedef struct {
    uint32_t tag; /* hash >> 32 */
    int32_t id;   /* -1: empty */
} islot;

typedef struct {
    char *name;   /* NUL-terminated copy */
    uint32_t len;
    uint32_t hlo; /* (uint32_t)hash: the slot position, for grow */
} ientry;

struct fl_intern {
    uint32_t cap;     /* most names kept */
    uint32_t count;   /* names kept */
    uint32_t nslots;  /* power of two, > 2 * count */
    islot *slots;
    ientry *ents;     /* per id */
    uint32_t ents_cap;
};

static islot *slots_new(uint32_t n)
{
    islot *sl = fl_malloc(n * sizeof *sl);
    for (uint32_t i = 0; i < n; i++)
        sl[i] = (islot){0, -1};
    return sl;
}

fl_intern *fl_intern_new(uint32_t cap)
{
    fl_intern *in = fl_calloc(1, sizeof *in);
    in->cap = cap ? cap : 1;
    in->nslots = 64;
    in->slots = slots_new(in->nslots);
    return in;
}

void fl_intern_destroy(fl_intern *in)
{
    if (!in)
        return;
    for (uint32_t i = 0; i < in->count; i++)
        free(in->ents[i].name);
    free(in->ents);
    free(in->slots);
    free(in);
}

static int32_t lookup(const fl_intern *in, fl_str s, uint64_t h, uint32_t *slot)
{
    uint32_t mask = in->nslots - 1;
    uint32_t i = (uint32_t)h & mask;
    uint32_t tag = (uint32_t)(h >> 32);
    for (;;) {
        islot sl = in->slots[i];
        if (sl.id < 0) {
            *slot = i;
            return -1;
        }
        if (sl.tag == tag) {
            const ientry *e = &in->ents[sl.id];
            if (e->hlo == (uint32_t)h && e->len == s.n &&
                memcmp(e->name, s.p, s.n) == 0) {
                *slot = i;
                return sl.id;
            }
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
    islot *slots = slots_new(n);
    for (uint32_t i = 0; i < in->nslots; i++) {
        islot sl = in->slots[i];
        if (sl.id < 0)
            continue;
        uint32_t k = in->ents[sl.id].hlo & (n - 1);
        while (slots[k].id >= 0)
            k = (k + 1) & (n - 1);
        slots[k] = sl;
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
    if (in->count == in->ents_cap) {
        in->ents_cap = in->ents_cap ? in->ents_cap * 2 : 16;
        in->ents = fl_realloc(in->ents, in->ents_cap * sizeof *in->ents);
    }
    id = (int32_t)in->count++;
    in->ents[id] = (ientry){fl_strndup(s.p, s.n), (uint32_t)s.n, (uint32_t)h};
    in->slots[slot] = (islot){(uint32_t)(h >> 32), id};
    if (in->count * 2 >= in->nslots)
        grow(in);
    return id;
}

const char *fl_intern_name(const fl_intern *in, int32_t id)
{
    if (id < 0 || (uint32_t)id >= in->count)
        return "?";
    return in->ents[id].name;
}

fl_str fl_intern_str(const fl_intern *in, int32_t id)
{
    if (id < 0 || (uint32_t)id >= in->count)
        return FL_STR_NULL;
    return (fl_str){in->ents[id].name, in->ents[id].len};
}

uint32_t fl_intern_count(const fl_intern *in)
{
    return in->count;
}
