/*
 * sketch.c - quantiles with bounded relative error (the DDSketch idea:
 * Masson, Rim, Lee, VLDB 2019). A value v > 0 goes to bin
 * i = ceil(log(v) / log(gamma)) with gamma = (1 + a) / (1 - a); every value
 * in bin i lies in (gamma^(i-1), gamma^i], and reporting 2 gamma^i /
 * (gamma + 1) for it is within relative error a of any of them. The bins
 * are a dense window that only grows to cover the values seen, capped at
 * FL_SKETCH_MAX_BINS (beyond it the extreme bins absorb the tail, which
 * only loosens accuracy for values 10^17 apart).
 */
#include "detect_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void fl_sketch_init(fl_sketch *s, double alpha)
{
    memset(s, 0, sizeof *s);
    s->gamma = (1 + alpha) / (1 - alpha);
    s->inv_log_gamma = 1.0 / log(s->gamma);
}

void fl_sketch_free(fl_sketch *s)
{
    free(s->bins);
    s->bins = NULL;
    s->n = s->cap = 0;
}

void fl_sketch_reset(fl_sketch *s)
{
    if (s->n)
        memset(s->bins, 0, s->n * sizeof *s->bins);
    s->n = 0;
    s->count = 0;
    s->zeros = 0;
}

/* The window [*lo, *lo + *n) ensure() grows to for index idx (the same
 * arithmetic, without the bins): the inline values of a sparse ring slot
 * replay it to get the indices a sketch of them would hold. */
static void grow_window(int32_t *lo, uint32_t *n, int32_t idx)
{
    if (*n == 0) {
        *lo = idx - 8;
        *n = 16;
        return;
    }
    int32_t hi = *lo + (int32_t)*n;
    if (idx >= *lo && idx < hi)
        return;
    int32_t nlo = idx < *lo ? idx - 8 : *lo;
    int32_t nhi = idx >= hi ? idx + 9 : hi;
    *lo = nlo;
    *n = (uint32_t)(nhi - nlo);
}

static void ensure(fl_sketch *s, int32_t idx)
{
    if (s->n == 0) {
        if (s->cap < 16) {
            s->cap = 16;
            free(s->bins);
            s->bins = fl_calloc(s->cap, sizeof *s->bins);
        }
        s->lo = idx - 8;
        s->n = 16;
        return;
    }
    int32_t hi = s->lo + (int32_t)s->n; /* exclusive */
    if (idx >= s->lo && idx < hi)
        return;
    int32_t nlo = idx < s->lo ? idx - 8 : s->lo;
    int32_t nhi = idx >= hi ? idx + 9 : hi;
    uint32_t nn = (uint32_t)(nhi - nlo);
    if (nn > s->cap) {
        uint32_t cap = s->cap ? s->cap : 16;
        while (cap < nn)
            cap *= 2;
        uint32_t *b = fl_calloc(cap, sizeof *b);
        memcpy(b + (s->lo - nlo), s->bins, s->n * sizeof *b);
        free(s->bins);
        s->bins = b;
        s->cap = cap;
    } else {
        memmove(s->bins + (s->lo - nlo), s->bins, s->n * sizeof *s->bins);
        if (s->lo > nlo)
            memset(s->bins, 0, (size_t)(s->lo - nlo) * sizeof *s->bins);
        memset(s->bins + (s->lo - nlo) + s->n, 0,
               (nn - (uint32_t)(s->lo - nlo) - s->n) * sizeof *s->bins);
    }
    s->lo = nlo;
    s->n = nn;
}

static int32_t clamp_window(int32_t lo, uint32_t n, int32_t idx)
{
    if (n == 0)
        return idx;
    /* keep the window within FL_SKETCH_MAX_BINS, counting the padding
     * ensure() adds (8 below, 9 above): the far tails collapse */
    int32_t hi = lo + (int32_t)n;
    if (idx < lo && hi - (idx - 8) > FL_SKETCH_MAX_BINS)
        return hi - FL_SKETCH_MAX_BINS + 8;
    if (idx >= hi && idx + 9 - lo > FL_SKETCH_MAX_BINS)
        return lo + FL_SKETCH_MAX_BINS - 9;
    return idx;
}

static int32_t clamp_index(const fl_sketch *s, int32_t idx)
{
    return clamp_window(s->lo, s->n, idx);
}

int32_t fl_sketch_index(const fl_sketch *s, double v)
{
    if (!(v >= FL_SKETCH_MIN_VALUE))
        return FL_SKETCH_ZERO;
    if (v > 1e300)
        v = 1e300; /* infinities count in the top bin, never as an index */
    return (int32_t)ceil(log(v) * s->inv_log_gamma);
}

void fl_sketch_add_index(fl_sketch *s, int32_t idx)
{
    s->count++;
    if (idx == FL_SKETCH_ZERO) {
        s->zeros++;
        return;
    }
    idx = clamp_index(s, idx);
    ensure(s, idx);
    s->bins[idx - s->lo]++;
}

void fl_sketch_add(fl_sketch *s, double v)
{
    fl_sketch_add_index(s, fl_sketch_index(s, v));
}

void fl_sketch_merge_indices(fl_sketch *dst, const int32_t *idx, uint32_t k)
{
    /* the bins a sketch built by adding idx[0..k) in order would hold:
     * its window, replayed, clamps each index as fl_sketch_add would */
    int32_t c[FL_SKETCH_INLINE_MAX];
    int32_t lo = 0;
    uint32_t n = 0, m = 0;
    uint64_t zeros = 0;
    if (k > FL_SKETCH_INLINE_MAX)
        k = FL_SKETCH_INLINE_MAX; /* callers hold at most this many */
    for (uint32_t j = 0; j < k; j++) {
        if (idx[j] == FL_SKETCH_ZERO) {
            zeros++;
            continue;
        }
        int32_t x = clamp_window(lo, n, idx[j]);
        grow_window(&lo, &n, x);
        /* insertion sort: fl_sketch_merge walks the bins upwards */
        uint32_t p = m++;
        while (p > 0 && c[p - 1] > x) {
            c[p] = c[p - 1];
            p--;
        }
        c[p] = x;
    }
    dst->count += k;
    dst->zeros += zeros;
    for (uint32_t j = 0; j < m;) {
        uint32_t e = j + 1;
        while (e < m && c[e] == c[j])
            e++;
        int32_t x = clamp_index(dst, c[j]);
        ensure(dst, x);
        dst->bins[x - dst->lo] += e - j;
        j = e;
    }
}

void fl_sketch_merge(fl_sketch *dst, const fl_sketch *src)
{
    dst->count += src->count;
    dst->zeros += src->zeros;
    for (uint32_t i = 0; i < src->n; i++) {
        if (!src->bins[i])
            continue;
        int32_t idx = clamp_index(dst, src->lo + (int32_t)i);
        ensure(dst, idx);
        dst->bins[idx - dst->lo] += src->bins[i];
    }
}

double fl_sketch_quantile(const fl_sketch *s, double q)
{
    if (s->count == 0)
        return NAN;
    if (q < 0)
        q = 0;
    if (q > 1)
        q = 1;
    /* the rank of the lower of the two order statistics around q */
    uint64_t rank = (uint64_t)floor(q * (double)(s->count - 1));
    if (rank < s->zeros)
        return 0;
    uint64_t seen = s->zeros;
    for (uint32_t i = 0; i < s->n; i++) {
        seen += s->bins[i];
        if (seen > rank) {
            int32_t idx = s->lo + (int32_t)i;
            return 2.0 * pow(s->gamma, idx) / (s->gamma + 1.0);
        }
    }
    return 2.0 * pow(s->gamma, s->lo + (int32_t)s->n - 1) / (s->gamma + 1.0);
}
