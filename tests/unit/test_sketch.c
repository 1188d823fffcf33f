/* test_sketch.c - detect/sketch.c: quantiles within relative error alpha of
 * the exact sample quantile, merge, reset, zeros, bounded bins. */
#define _POSIX_C_SOURCE 200809L
#include "../../detect/fl_detect.h"
#include "../../detect/detect_int.h" /* inline indices */
#include "unit.h"

#include <stdlib.h>

#define ALPHA 0.01

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The sketch's rank definition: the lower order statistic at q (n-1). */
static double exact_quantile(const double *sorted, size_t n, double q)
{
    size_t rank = (size_t)floor(q * (double)(n - 1));
    return sorted[rank];
}

/* Checks quantiles of `s` against the exact ones of xs[0..n). */
static void check_accuracy(const char *what, const fl_sketch *s, double *xs,
                           size_t n)
{
    static const double qs[] = {0.0,  0.01, 0.1,  0.25,  0.5, 0.75,
                                0.9,  0.95, 0.99, 0.999, 1.0};
    qsort(xs, n, sizeof *xs, cmp_double);
    CHECK_EQ_U64(s->count, n);
    for (size_t i = 0; i < FL_ARRAY_LEN(qs); i++) {
        double want = exact_quantile(xs, n, qs[i]);
        double got = fl_sketch_quantile(s, qs[i]);
        double err = fabs(got - want) / want;
        CHECK_MSG(err <= ALPHA * (1 + 1e-9),
                  "%s: q=%g: sketch %.9g, exact %.9g, relative error %.5f > %g",
                  what, qs[i], got, want, err, ALPHA);
    }
}

typedef enum { D_LOGNORMAL, D_UNIFORM, D_BIMODAL } dist;

static double draw(unit_rng *r, dist d)
{
    switch (d) {
    case D_LOGNORMAL:
        return exp(log(40.0) + 0.8 * unit_rng_norm(r));
    case D_UNIFORM:
        return 1.0 + 999.0 * unit_rng_unif(r);
    case D_BIMODAL:
        /* fast cache hits around 2 ms, slow misses around 300 ms */
        if (unit_rng_bern(r, 0.7))
            return exp(log(2.0) + 0.3 * unit_rng_norm(r));
        return exp(log(300.0) + 0.4 * unit_rng_norm(r));
    }
    return 1;
}

static void accuracy_for(dist d, const char *what, size_t n, uint64_t seed)
{
    unit_rng r;
    unit_rng_seed(&r, seed);
    double *xs = malloc(n * sizeof *xs);
    fl_sketch s;
    fl_sketch_init(&s, ALPHA);
    for (size_t i = 0; i < n; i++) {
        xs[i] = draw(&r, d);
        fl_sketch_add(&s, xs[i]);
    }
    check_accuracy(what, &s, xs, n);
    fl_sketch_free(&s);
    free(xs);
}

static void quantiles_lognormal(void)
{
    accuracy_for(D_LOGNORMAL, "lognormal 1e5", 100000, 11);
    accuracy_for(D_LOGNORMAL, "lognormal 1e4", 10000, 12);
}

static void quantiles_uniform(void)
{
    accuracy_for(D_UNIFORM, "uniform 1e5", 100000, 21);
    accuracy_for(D_UNIFORM, "uniform 1e4", 10000, 22);
}

static void quantiles_bimodal(void)
{
    accuracy_for(D_BIMODAL, "bimodal 1e5", 100000, 31);
    accuracy_for(D_BIMODAL, "bimodal 1e4", 10000, 32);
}

static void quantiles_small_counts(void)
{
    /* every count from 1 to 60, with the rank floor(q (n-1)) */
    unit_rng r;
    unit_rng_seed(&r, 5);
    double xs[60];
    for (size_t n = 1; n <= 60; n++) {
        fl_sketch s;
        fl_sketch_init(&s, ALPHA);
        for (size_t i = 0; i < n; i++) {
            xs[i] = draw(&r, D_BIMODAL);
            fl_sketch_add(&s, xs[i]);
        }
        char what[32];
        snprintf(what, sizeof what, "n=%zu", n);
        check_accuracy(what, &s, xs, n);
        fl_sketch_free(&s);
        if (unit_failures())
            break;
    }
}

static void quantile_clamps_q(void)
{
    fl_sketch s;
    fl_sketch_init(&s, ALPHA);
    for (int i = 1; i <= 100; i++)
        fl_sketch_add(&s, i);
    CHECK_NEAR(fl_sketch_quantile(&s, -0.5), 1.0, 1.0 * ALPHA);
    CHECK_NEAR(fl_sketch_quantile(&s, 7.0), 100.0, 100.0 * ALPHA);
    CHECK_NEAR(fl_sketch_quantile(&s, 0.5), 50.0, 50.0 * ALPHA);
    fl_sketch_free(&s);
}

static void empty_is_nan(void)
{
    fl_sketch s;
    fl_sketch_init(&s, ALPHA);
    CHECK_NAN(fl_sketch_quantile(&s, 0.0));
    CHECK_NAN(fl_sketch_quantile(&s, 0.5));
    CHECK_NAN(fl_sketch_quantile(&s, 1.0));
    CHECK_EQ_U64(s.count, 0);
    fl_sketch_free(&s);
    fl_sketch_free(&s); /* idempotent */
}

static void merge_equals_single(void)
{
    unit_rng r;
    unit_rng_seed(&r, 41);
    fl_sketch a, b, all, fresh;
    fl_sketch_init(&a, ALPHA);
    fl_sketch_init(&b, ALPHA);
    fl_sketch_init(&all, ALPHA);
    fl_sketch_init(&fresh, ALPHA);
    /* a holds mid values, b both smaller and larger ones, so the merge has
     * to widen a's window on both sides; a few zeros on each side */
    for (int i = 0; i < 30000; i++) {
        double v = exp(log(50.0) + 0.3 * unit_rng_norm(&r));
        if (i % 1000 == 0)
            v = 0;
        fl_sketch_add(&a, v);
        fl_sketch_add(&all, v);
    }
    for (int i = 0; i < 20000; i++) {
        double v = i % 2 ? exp(log(0.05) + 0.5 * unit_rng_norm(&r))
                         : exp(log(5e4) + 0.5 * unit_rng_norm(&r));
        if (i % 777 == 0)
            v = 1e-6;
        fl_sketch_add(&b, v);
        fl_sketch_add(&all, v);
    }
    fl_sketch_merge(&fresh, &b); /* into an empty sketch */
    fl_sketch_merge(&a, &b);
    CHECK_EQ_U64(a.count, all.count);
    CHECK_EQ_U64(a.zeros, all.zeros);
    CHECK_EQ_U64(fresh.count, b.count);
    CHECK_EQ_U64(fresh.zeros, b.zeros);
    for (int i = 0; i <= 1000; i++) {
        double q = i / 1000.0;
        double x = fl_sketch_quantile(&a, q), y = fl_sketch_quantile(&all, q);
        CHECK_MSG(x == y, "merged q=%g: %.17g, single sketch %.17g", q, x, y);
        x = fl_sketch_quantile(&fresh, q);
        y = fl_sketch_quantile(&b, q);
        CHECK_MSG(x == y, "merged into empty q=%g: %.17g, source %.17g", q, x,
                  y);
        if (unit_failures() > 5)
            break;
    }
    /* merging an empty sketch changes nothing */
    fl_sketch empty;
    fl_sketch_init(&empty, ALPHA);
    double before = fl_sketch_quantile(&a, 0.9);
    fl_sketch_merge(&a, &empty);
    CHECK_EQ_U64(a.count, all.count);
    CHECK(fl_sketch_quantile(&a, 0.9) == before);
    fl_sketch_free(&a);
    fl_sketch_free(&b);
    fl_sketch_free(&all);
    fl_sketch_free(&fresh);
    fl_sketch_free(&empty);
}

static void reset_forgets(void)
{
    fl_sketch s;
    fl_sketch_init(&s, ALPHA);
    for (int i = 0; i < 5000; i++)
        fl_sketch_add(&s, 5.0 + (i % 7));
    for (int i = 0; i < 50; i++)
        fl_sketch_add(&s, 0); /* zeros are forgotten too */
    uint32_t cap = s.cap;
    fl_sketch_reset(&s);
    CHECK_EQ_U64(s.count, 0);
    CHECK_EQ_U64(s.zeros, 0);
    CHECK_NAN(fl_sketch_quantile(&s, 0.5));
    CHECK_EQ(s.cap, cap); /* keeps its memory */
    /* new values far from the old ones: nothing of the old data shows */
    for (int i = 0; i < 1000; i++)
        fl_sketch_add(&s, 1000.0);
    CHECK_EQ_U64(s.count, 1000);
    CHECK_NEAR(fl_sketch_quantile(&s, 0.0), 1000.0, 1000.0 * ALPHA);
    CHECK_NEAR(fl_sketch_quantile(&s, 0.5), 1000.0, 1000.0 * ALPHA);
    CHECK_NEAR(fl_sketch_quantile(&s, 1.0), 1000.0, 1000.0 * ALPHA);
    /* and values near the old ones again (same bins as before the reset) */
    fl_sketch_reset(&s);
    for (int i = 0; i < 10; i++)
        fl_sketch_add(&s, 6.0);
    CHECK_NEAR(fl_sketch_quantile(&s, 0.0), 6.0, 6.0 * ALPHA);
    CHECK_NEAR(fl_sketch_quantile(&s, 1.0), 6.0, 6.0 * ALPHA);
    fl_sketch_free(&s);
}

static void small_values_are_zero(void)
{
    fl_sketch s;
    fl_sketch_init(&s, ALPHA);
    /* 30 values under the floor (tiny, zero, negative, NaN), 70 at 10 ms */
    for (int i = 0; i < 10; i++)
        fl_sketch_add(&s, FL_SKETCH_MIN_VALUE / 2);
    for (int i = 0; i < 10; i++)
        fl_sketch_add(&s, 0.0);
    for (int i = 0; i < 5; i++)
        fl_sketch_add(&s, -3.0);
    for (int i = 0; i < 5; i++)
        fl_sketch_add(&s, NAN);
    for (int i = 0; i < 70; i++)
        fl_sketch_add(&s, 10.0);
    CHECK_EQ_U64(s.count, 100);
    CHECK_EQ_U64(s.zeros, 30);
    CHECK(fl_sketch_quantile(&s, 0.0) == 0.0);
    CHECK(fl_sketch_quantile(&s, 0.29) == 0.0); /* rank 28 */
    CHECK_NEAR(fl_sketch_quantile(&s, 0.31), 10.0, 10.0 * ALPHA); /* 30 */
    CHECK_NEAR(fl_sketch_quantile(&s, 1.0), 10.0, 10.0 * ALPHA);
    /* exactly the floor is a value, not a zero */
    fl_sketch_reset(&s);
    fl_sketch_add(&s, FL_SKETCH_MIN_VALUE);
    CHECK_EQ_U64(s.zeros, 0);
    CHECK_NEAR(fl_sketch_quantile(&s, 0.5), FL_SKETCH_MIN_VALUE,
               FL_SKETCH_MIN_VALUE * ALPHA);
    fl_sketch_free(&s);
}

static void huge_spread_bounded(void)
{
    /* 1e-3 .. 1e9 ms, log-uniform: about 1,400 bins, all within error */
    unit_rng r;
    unit_rng_seed(&r, 51);
    size_t n = 100000;
    double *xs = malloc(n * sizeof *xs);
    fl_sketch s;
    fl_sketch_init(&s, ALPHA);
    for (size_t i = 0; i < n; i++) {
        xs[i] = exp(log(1e-3) + unit_rng_unif(&r) * (log(1e9) - log(1e-3)));
        fl_sketch_add(&s, xs[i]);
    }
    CHECK_LE(s.n, FL_SKETCH_MAX_BINS);
    check_accuracy("log-uniform 1e-3..1e9", &s, xs, n);
    fl_sketch_free(&s);
    free(xs);
}

static void extreme_spread_capped(void)
{
    /* values 1e-3 .. 1e300 would need ~35,000 bins: the window is capped
     * and the tails collapse into the extreme bins */
    unit_rng r;
    unit_rng_seed(&r, 52);
    fl_sketch s;
    fl_sketch_init(&s, ALPHA);
    uint32_t max_n = 0;
    for (int i = 0; i < 50000; i++) {
        double v = exp(log(1e-3) + unit_rng_unif(&r) * (log(1e300) - log(1e-3)));
        fl_sketch_add(&s, v);
        if (s.n > max_n)
            max_n = s.n;
    }
    fl_sketch_add(&s, 1e308);
    CHECK_EQ_U64(s.count, 50001);
    CHECK_LE(max_n, FL_SKETCH_MAX_BINS);
    CHECK_LE(s.n, FL_SKETCH_MAX_BINS);
    CHECK_LE(s.cap, FL_SKETCH_MAX_BINS);
    double q = fl_sketch_quantile(&s, 0.5);
    CHECK(isfinite(q) && q > 0);
    fl_sketch_free(&s);
}

/* The window's cap holds wherever the newest value lands, including just
 * inside the cap (no clamping needed, but the 8-bin margin added by the
 * growth pushes the window past it). */
static void window_cap_edges(void)
{
    fl_sketch s;
    fl_sketch_init(&s, ALPHA);
    for (int off = FL_SKETCH_MAX_BINS - 24; off <= FL_SKETCH_MAX_BINS + 8;
         off++) {
        /* upwards: 1.0 is bin 0, then a value in bin `off - 8` */
        fl_sketch_reset(&s);
        fl_sketch_add(&s, 1.0);
        double v = pow(s.gamma, (double)(off - 8) - 0.5);
        fl_sketch_add(&s, v);
        CHECK_MSG(s.n <= FL_SKETCH_MAX_BINS,
                  "1.0 then %.6g (bin %d): %u bins > %d", v, off - 8, s.n,
                  FL_SKETCH_MAX_BINS);
        /* downwards */
        fl_sketch_reset(&s);
        fl_sketch_add(&s, 1e6);
        int32_t i0 = (int32_t)ceil(log(1e6) * s.inv_log_gamma);
        v = pow(s.gamma, (double)(i0 - off + 8) - 0.5);
        if (v >= FL_SKETCH_MIN_VALUE) {
            fl_sketch_add(&s, v);
            CHECK_MSG(s.n <= FL_SKETCH_MAX_BINS,
                      "1e6 then %.6g (bin %d): %u bins > %d", v,
                      i0 - off + 8, s.n, FL_SKETCH_MAX_BINS);
        }
        if (unit_failures() > 4)
            break;
    }
    fl_sketch_free(&s);
}

static void add_infinity_child(void)
{
    fl_sketch s;
    fl_sketch_init(&s, ALPHA);
    fl_sketch_add(&s, 1.0);
    fl_sketch_add(&s, INFINITY);
    CHECK_EQ_U64(s.count, 2);
    CHECK_LE(s.n, FL_SKETCH_MAX_BINS);
    CHECK(fl_sketch_quantile(&s, 0.0) > 0);
    fl_sketch_free(&s);
}

/* NaN and negatives count as zeros; +infinity (e.g. a latency computed as
 * x / 0 upstream) must not crash or hang the sketch either. */
static void add_infinity(void)
{
    char why[128];
    bool ok = unit_run_isolated(add_infinity_child, 1, why, sizeof why);
    CHECK_MSG(ok, "fl_sketch_add(1.0) then fl_sketch_add(INFINITY): %s", why);
}

static void single_value(void)
{
    static const double vs[] = {0.0011, 0.5, 1.0, 3.7, 123.456, 9.9e8};
    for (size_t i = 0; i < FL_ARRAY_LEN(vs); i++) {
        fl_sketch s;
        fl_sketch_init(&s, ALPHA);
        fl_sketch_add(&s, vs[i]);
        for (double q = 0; q <= 1.0; q += 0.25)
            CHECK_NEAR(fl_sketch_quantile(&s, q), vs[i], vs[i] * ALPHA);
        fl_sketch_free(&s);
    }
}


/* A value for the inline-index test: typical latencies, zeros (below the
 * first bin, NaN), and extremes far enough apart to hit the window cap. */
static double odd_value(uint64_t *st)
{
    *st ^= *st << 13;
    *st ^= *st >> 7;
    *st ^= *st << 17;
    double u = (double)(*st >> 11) / 9007199254740992.0;
    switch (*st % 6) {
    case 0:
        return 0.0;
    case 1:
        return u < 0.5 ? 1e-4 : NAN;
    case 2:
        return exp(-6.9 + u * 700.0); /* 1e-3 .. 1e300 */
    default:
        return 5.0 + 200.0 * u;
    }
}

/* fl_sketch_merge_indices (a ring slot's inline latencies) must leave the
 * destination exactly as merging the sketch built from the same values in
 * the same order: same window, bins, counts, so same quantiles and saved
 * bytes. Random batches of up to FL_SKETCH_INLINE_MAX values, including
 * zeros and spreads beyond FL_SKETCH_MAX_BINS, into destinations that are
 * empty, narrow or wide. */
static void merge_indices_equals_merge(void)
{
    uint64_t st = 0x9e3779b97f4a7c15ULL;
    for (int trial = 0; trial < 20000; trial++) {
        fl_sketch a, b, src;
        fl_sketch_init(&a, ALPHA);
        fl_sketch_init(&b, ALPHA);
        fl_sketch_init(&src, ALPHA);
        (void)odd_value(&st); /* a fresh draw for this trial's sizes */
        int pre = (int)(st % 5 == 0 ? 0 : st % 40);
        for (int i = 0; i < pre; i++) {
            double v = trial % 3 ? 5.0 + (double)(i * 37 % 200) : odd_value(&st);
            fl_sketch_add(&a, v);
            fl_sketch_add(&b, v);
        }
        int32_t idx[FL_SKETCH_INLINE_MAX];
        uint32_t k = (uint32_t)(st % (FL_SKETCH_INLINE_MAX + 1));
        for (uint32_t j = 0; j < k; j++) {
            double v = odd_value(&st);
            idx[j] = fl_sketch_index(&src, v);
            fl_sketch_add(&src, v);
        }
        fl_sketch_merge(&a, &src);
        fl_sketch_merge_indices(&b, idx, k);
        CHECK_EQ_U64(a.count, b.count);
        CHECK_EQ_U64(a.zeros, b.zeros);
        CHECK_EQ(a.n, b.n);
        if (a.n && a.n == b.n) {
            CHECK_EQ(a.lo, b.lo);
            CHECK_MSG(memcmp(a.bins, b.bins, a.n * sizeof *a.bins) == 0,
                      "trial %d: bins differ", trial);
        }
        fl_sketch_free(&a);
        fl_sketch_free(&b);
        fl_sketch_free(&src);
        if (unit_failures())
            return;
    }
}

static const unit_test tests[] = {
    UNIT_TEST(quantiles_lognormal),   UNIT_TEST(quantiles_uniform),
    UNIT_TEST(quantiles_bimodal),     UNIT_TEST(quantiles_small_counts),
    UNIT_TEST(quantile_clamps_q),     UNIT_TEST(empty_is_nan),
    UNIT_TEST(merge_equals_single),   UNIT_TEST(reset_forgets),
    UNIT_TEST(small_values_are_zero), UNIT_TEST(huge_spread_bounded),
    UNIT_TEST(extreme_spread_capped), UNIT_TEST(window_cap_edges),
    UNIT_TEST(single_value),          UNIT_TEST(add_infinity),
    UNIT_TEST(merge_indices_equals_merge),
};
UNIT_SUITE(unit_suite_sketch, "sketch", tests);
