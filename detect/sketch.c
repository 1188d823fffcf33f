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
#include "fl_detect.h"

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

static int32_t clamp_index(const fl_sketch *s, int32_t idx)
{
    if (s->n == 0)
        return idx;
    /* keep the window within FL_SKETCH_MAX_BINS, counting the padding
     * ensure() adds (8 below, 9 above): the far tails collapse */
    int32_t hi = s->lo + (int32_t)s->n;
    if (idx < s->lo && hi - (idx - 8) > FL_SKETCH_MAX_BINS)
        return hi - FL_SKETCH_MAX_BINS + 8;
    if (idx >= hi && idx + 9 - s->lo > FL_SKETCH_MAX_BINS)
        return s->lo + FL_SKETCH_MAX_BINS - 9;
    return idx;
}

void fl_sketch_add(fl_sketch *s, double v)
{
    s->count++;
    if (!(v >= FL_SKETCH_MIN_VALUE)) {
        s->zeros++;
        return;
    }
    if (v > 1e300)
        v = 1e300; /* infinities count in the top bin, never as an index */
    int32_t idx = (int32_t)ceil(log(v) * s->inv_log_gamma);
    idx = clamp_index(s, idx);
    ensure(s, idx);
    s->bins[idx - s->lo]++;
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
