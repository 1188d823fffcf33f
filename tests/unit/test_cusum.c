/* test_cusum.c - detect/cusum.c: Siegmund's ARL approximation and its
 * inverse, the Gaussian CUSUM's in-control run length, detection delay,
 * onset and winsorised baseline; the binomial LLR CUSUM. */
#define _POSIX_C_SOURCE 200809L
#include "../../detect/fl_detect.h"
#include "unit.h"

#include <stdio.h>

#define ARL_60D 518400.0 /* 60 days of 10 s buckets */

/* ------------------------------------------------------------ ARL and h */

static void h_inverts_arl(void)
{
    static const double ks[] = {0.25, 0.5, 0.75, 1.0, 1.5};
    static const double arls[] = {50, 100, 500, 1e4, ARL_60D, 1e8};
    for (size_t i = 0; i < FL_ARRAY_LEN(ks); i++)
        for (size_t j = 0; j < FL_ARRAY_LEN(arls); j++) {
            double h = fl_cusum_h_for_arl(ks[i], arls[j]);
            double back = fl_cusum_arl(ks[i], h);
            CHECK_MSG(h > 0 && fabs(back / arls[j] - 1) < 1e-9,
                      "k=%g arl=%g: h=%.9g, arl(k, h)=%.9g", ks[i], arls[j],
                      h, back);
        }
    /* increasing in h, and in arl */
    double prev = 0;
    for (double h = 0.5; h < 20; h += 0.5) {
        double a = fl_cusum_arl(0.5, h);
        CHECK_GT(a, prev);
        prev = a;
    }
    CHECK_LT(fl_cusum_h_for_arl(0.5, 500), fl_cusum_h_for_arl(0.5, 5000));
    /* known values: k = 0.5, h = 4 and 5 give one-sided ARL0 of about 336
     * and 930 (exact Markov-chain values; Siegmund is within a few %) */
    CHECK_RANGE(fl_cusum_arl(0.5, 4), 320, 355);
    CHECK_RANGE(fl_cusum_arl(0.5, 5), 880, 980);
    /* the detector's threshold: 60 days of 10 s buckets */
    CHECK_RANGE(fl_cusum_h_for_arl(0.5, ARL_60D), 11.0, 11.7);
}

/* ------------------------------------------------------- Gaussian CUSUM */

static fl_gauss_params gparams(double arl, double alpha, uint32_t warmup)
{
    fl_gauss_params p = {0.5, fl_cusum_h_for_arl(0.5, arl), alpha, warmup};
    return p;
}

static void warm_up(fl_gauss_cusum *g, const fl_gauss_params *p, unit_rng *r,
                    double mu, double sd)
{
    double z;
    for (uint32_t i = 0; i < p->warmup; i++)
        fl_gauss_update(g, p, mu + sd * unit_rng_norm(r), 0, 0, false, &z);
}

static void gauss_warmup_never_alarms(void)
{
    fl_gauss_params p = gparams(500, 0.01, 20);
    fl_gauss_cusum g;
    fl_gauss_init(&g);
    CHECK(!fl_gauss_warm(&g, &p));
    double z = 99;
    for (int i = 0; i < 19; i++) {
        CHECK_EQ(fl_gauss_update(&g, &p, i % 2 ? 1e6 : -1e6, 0, i, false, &z),
                 FL_CUSUM_NONE);
        CHECK(z == 0);
    }
    CHECK(!fl_gauss_warm(&g, &p));
    /* non-finite observations are ignored, also for the warm-up count */
    CHECK_EQ(fl_gauss_update(&g, &p, NAN, 0, 0, false, &z), FL_CUSUM_NONE);
    CHECK_EQ(fl_gauss_update(&g, &p, INFINITY, 0, 0, false, &z),
             FL_CUSUM_NONE);
    CHECK(!fl_gauss_warm(&g, &p));
    fl_gauss_update(&g, &p, 0, 0, 0, false, &z);
    CHECK(fl_gauss_warm(&g, &p));
    CHECK_EQ(g.nobs, 20);
    /* ten of -1e6, nine of +1e6 and a 0: the plain mean and variance */
    CHECK_NEAR(g.mean, -50000, 1e-3);
    CHECK_NEAR(g.var, 19e12 / 20 - 2.5e9, 1e3);
}

/* Mean in-control run lengths to an upper and to a lower alarm on N(0,1)
 * noise, k = 0.5, h for ARL0 = 500 per side, after a long warm-up; each
 * side restarts from zero after its alarm. `frozen` keeps the baseline the
 * warm-up learned; otherwise it goes on learning (small alpha). */
static void measure_arl0(bool frozen, double *up_arl, double *dn_arl,
                         double *var)
{
    unit_rng r;
    unit_rng_seed(&r, 101);
    fl_gauss_params p = gparams(500, 0.002, 5000);
    fl_gauss_cusum g;
    fl_gauss_init(&g);
    warm_up(&g, &p, &r, 0, 1);
    enum { RUNS = 1000 };
    double up_sum = 0, dn_sum = 0, var_sum = 0;
    int up_n = 0, dn_n = 0;
    long up_len = 0, dn_len = 0, steps = 0;
    double z;
    for (; steps < 4000000 && (up_n < RUNS || dn_n < RUNS); steps++) {
        fl_gauss_update(&g, &p, unit_rng_norm(&r), 0, steps, frozen, &z);
        var_sum += g.var;
        up_len++;
        dn_len++;
        if (g.sp > p.h) {
            up_sum += (double)up_len;
            up_n++;
            up_len = 0;
            g.sp = 0;
        }
        if (g.sn > p.h) {
            dn_sum += (double)dn_len;
            dn_n++;
            dn_len = 0;
            g.sn = 0;
        }
    }
    *up_arl = up_n ? up_sum / up_n : INFINITY;
    *dn_arl = dn_n ? dn_sum / dn_n : INFINITY;
    *var = var_sum / (double)steps;
}

/* With the baseline the warm-up learned (5000 samples) and then held, the
 * run length is Siegmund's: within a few % of 500 (sampling noise of 1000
 * runs is ~3%). This checks h and the CUSUM recursion. */
static void gauss_arl0_known_baseline(void)
{
    double up, dn, var;
    measure_arl0(true, &up, &dn, &var);
    CHECK_RANGE(up, 400, 625);
    CHECK_RANGE(dn, 400, 625);
    CHECK_RANGE(var, 0.95, 1.05);
}

/* The property as the detector runs it: the baseline keeps learning
 * (alpha = 0.002, so estimation noise in the mean is ~0.02 sd). Estimating
 * the baseline may shorten the run length somewhat; 0.5x..2x of 500. The
 * learned variance itself should stay near the true 1 (winsorising at 3 sd
 * alone costs ~1-3%). */
static void gauss_arl0_learned_baseline(void)
{
    double up, dn, var;
    measure_arl0(false, &up, &dn, &var);
    CHECK_RANGE(up, 250, 1000);
    CHECK_RANGE(dn, 250, 1000);
    CHECK_RANGE(var, 0.9, 1.1);
}

/* Detection delay of a 3 sd shift with h for ARL0 = 518,400 (h ~ 11.3):
 * Siegmund's expected delay is about (h + 1.166) / (delta - k). */
static void gauss_detection_delay(void)
{
    unit_rng r;
    unit_rng_seed(&r, 102);
    fl_gauss_params p = gparams(ARL_60D, 0.01, 1000);
    double expect = (p.h + 1.166) / (3.0 - p.k);
    enum { TRIALS = 400 };
    double sum = 0;
    int n = 0, never = 0;
    for (int t = 0; t < TRIALS; t++) {
        fl_gauss_cusum g;
        fl_gauss_init(&g);
        warm_up(&g, &p, &r, 100, 5);
        double z;
        for (int i = 0; i < 50; i++) /* in control, after warm-up */
            fl_gauss_update(&g, &p, 100 + 5 * unit_rng_norm(&r), 0, i, false,
                            &z);
        int d;
        for (d = 1; d <= 100; d++) {
            fl_cusum_result res = fl_gauss_update(
                &g, &p, 115 + 5 * unit_rng_norm(&r), 0, 50 + d, false, &z);
            if (res == FL_CUSUM_UP)
                break;
            CHECK_EQ(res, FL_CUSUM_NONE);
        }
        if (d > 100) {
            never++;
            continue;
        }
        sum += d;
        n++;
    }
    CHECK_EQ(never, 0);
    REQUIRE(n > 0);
    double mean = sum / n;
    CHECK_MSG(fabs(mean - expect) <= 1.5,
              "mean delay %.2f samples, Siegmund %.2f (h = %.3f)", mean,
              expect, p.h);
}

/* Onset: where S+ last left zero; for a big shift it is the change point or
 * a few samples before it (noise can lift S+ just before the change). */
static void gauss_onset(void)
{
    unit_rng r;
    unit_rng_seed(&r, 103);
    fl_gauss_params p = gparams(ARL_60D, 0.01, 500);
    enum { TRIALS = 1000 };
    const fl_time w = 10 * FL_NS_PER_SEC; /* sample i describes [i w, ...) */
    int exact_or_near = 0, exact = 0, within10 = 0;
    for (int t = 0; t < TRIALS; t++) {
        fl_gauss_cusum g;
        fl_gauss_init(&g);
        warm_up(&g, &p, &r, 0, 1);
        double z;
        int change = 200 + t % 17;
        fl_cusum_result res = FL_CUSUM_NONE;
        int i;
        for (i = 0; i < change + 100 && res != FL_CUSUM_UP; i++) {
            double x = unit_rng_norm(&r) + (i >= change ? 5.0 : 0.0);
            res = fl_gauss_update(&g, &p, x, 0, i * w, false, &z);
        }
        REQUIRE_EQ(res, FL_CUSUM_UP);
        CHECK_GE(i - 1, change); /* no alarm before the change */
        fl_time onset = g.sp_start;
        CHECK_MSG(onset <= change * w,
                  "trial %d: onset at sample %lld, after the change at %d", t,
                  (long long)(onset / w), change);
        if (onset >= (change - 3) * w && onset <= change * w)
            exact_or_near++;
        if (onset >= (change - 10) * w && onset <= change * w)
            within10++;
        if (onset == change * w)
            exact++;
        if (unit_failures())
            return;
    }
    /* In control S+ is above zero a good part of the time (k = 0.5), and
     * an excursion under way when the change comes drags the onset early
     * (why detect.c refines it); the excursions are short: about half the
     * onsets are exact, ~83% within 3 samples, ~97% within 10. */
    CHECK_MSG(exact >= TRIALS * 45 / 100,
              "onset exactly at the change in %d of %d", exact, TRIALS);
    CHECK_MSG(exact_or_near >= TRIALS * 78 / 100,
              "onset within 3 samples of the change in %d of %d trials",
              exact_or_near, TRIALS);
    CHECK_MSG(within10 >= TRIALS * 93 / 100,
              "onset within 10 samples of the change in %d of %d trials",
              within10, TRIALS);
}

static void gauss_downward_shift(void)
{
    unit_rng r;
    unit_rng_seed(&r, 104);
    fl_gauss_params p = gparams(ARL_60D, 0.01, 500);
    fl_gauss_cusum g;
    fl_gauss_init(&g);
    warm_up(&g, &p, &r, 50, 2);
    double z;
    fl_cusum_result res = FL_CUSUM_NONE;
    int i;
    for (i = 0; i < 100; i++) {
        res = fl_gauss_update(&g, &p, 50 + 2 * unit_rng_norm(&r), 0, i, false,
                              &z);
        CHECK_EQ(res, FL_CUSUM_NONE);
    }
    int d;
    for (d = 1; d <= 50; d++) {
        res = fl_gauss_update(&g, &p, 44 + 2 * unit_rng_norm(&r), 0, 100 + d,
                              false, &z);
        if (res != FL_CUSUM_NONE)
            break;
    }
    CHECK_EQ(res, FL_CUSUM_DOWN);
    CHECK_LE(d, 12);
    CHECK_LT(z, -1.0);
    CHECK_RANGE(g.sn_start, 95, 101);
    CHECK(g.sp < p.h);
}

/* One huge outlier moves the mean by at most alpha * 3 sd (winsorised). */
static void gauss_outlier_winsorised(void)
{
    unit_rng r;
    unit_rng_seed(&r, 105);
    /* with the usual threshold the outlier's own CUSUM jump freezes the
     * baseline; with an unreachable one, winsorising is all that holds it */
    static const double hs[] = {0, 1e12};
    for (size_t k = 0; k < FL_ARRAY_LEN(hs); k++) {
        fl_gauss_params p = gparams(ARL_60D, 0.05, 2000);
        if (hs[k] > 0)
            p.h = hs[k];
        fl_gauss_cusum g;
        fl_gauss_init(&g);
        warm_up(&g, &p, &r, 10, 2);
        double z;
        for (int i = 0; i < 200; i++)
            fl_gauss_update(&g, &p, 10 + 2 * unit_rng_norm(&r), 0, i, false,
                            &z);
        g.sp = g.sn = 0;
        double m0 = g.mean, v0 = g.var, sd = sqrt(v0);
        fl_gauss_update(&g, &p, 1e9, 0, 300, false, &z);
        CHECK_NEAR(z, (1e9 - m0) / sd, 1e-6 * fabs(z));
        CHECK_MSG(fabs(g.mean - m0) <= 3 * sd * p.alpha * (1 + 1e-9),
                  "h=%g: mean moved %.6g, bound 3 sd alpha = %.6g", p.h,
                  g.mean - m0, 3 * sd * p.alpha);
        CHECK_MSG(g.var <= (1 - p.alpha) * (v0 + p.alpha * 9 * sd * sd) *
                               (1 + 1e-9),
                  "h=%g: var %.6g -> %.6g", p.h, v0, g.var);
        if (hs[k] > 0) /* not frozen: moved by exactly the clipped step */
            CHECK_NEAR(g.mean - m0, 3 * sd * p.alpha, 1e-6 * sd);
        /* and a huge negative one */
        m0 = g.mean;
        sd = sqrt(g.var);
        g.sp = g.sn = 0;
        fl_gauss_update(&g, &p, -1e9, 0, 310, false, &z);
        CHECK(fabs(g.mean - m0) <= 3 * sd * p.alpha * (1 + 1e-9));
    }
}

static void gauss_frozen_and_floor(void)
{
    unit_rng r;
    unit_rng_seed(&r, 106);
    fl_gauss_params p = gparams(ARL_60D, 0.05, 100);
    fl_gauss_cusum g;
    fl_gauss_init(&g);
    warm_up(&g, &p, &r, 0, 1);
    double z, m0 = g.mean, v0 = g.var;
    for (int i = 0; i < 10; i++)
        fl_gauss_update(&g, &p, 2.0, 0, i, true, &z); /* frozen */
    CHECK(g.mean == m0);
    CHECK(g.var == v0);

    /* a perfectly flat series: floor_sd is the smallest spread assumed */
    fl_gauss_cusum f;
    fl_gauss_init(&f);
    for (int i = 0; i < 100; i++)
        fl_gauss_update(&f, &p, 7.0, 0.5, i, false, &z);
    CHECK(f.var == 0);
    for (int i = 0; i < 500; i++) /* +0.05: a tenth of the floor */
        CHECK_EQ(fl_gauss_update(&f, &p, 7.05, 0.5, 100 + i, true, &z),
                 FL_CUSUM_NONE);
    CHECK_NEAR(z, 0.1, 1e-9);
    /* without a floor the same tiny step alarms at once */
    fl_gauss_cusum f0;
    fl_gauss_init(&f0);
    for (int i = 0; i < 100; i++)
        fl_gauss_update(&f0, &p, 7.0, 0, i, false, &z);
    CHECK_EQ(fl_gauss_update(&f0, &p, 7.05, 0, 100, true, &z), FL_CUSUM_UP);
    /* a step of 4 floors (z = 4, S+ grows 3.5 a sample) alarms on the
     * sample that takes S+ past h ~ 11.3: the fourth */
    int d;
    fl_cusum_result res = FL_CUSUM_NONE;
    for (d = 1; d <= 20; d++) {
        res = fl_gauss_update(&f, &p, 9.0, 0.5, 600 + d, true, &z);
        if (res != FL_CUSUM_NONE)
            break;
    }
    CHECK_EQ(res, FL_CUSUM_UP);
    CHECK_EQ(d, 4);
    CHECK_EQ(f.sp_start, 601);
}

/* ------------------------------------------------------- binomial CUSUM */

static fl_binom_params bparams(void)
{
    fl_binom_params p = {
        .h = log(FL_BINOM_ALTS * ARL_60D),
        .ratio = {3.0, 10.0, 30.0},
        .delta = {0.02, 0.10, 0.30},
        .alpha = 2.0 / 361.0,
        .min_excess = 8,
        .prior_n = 100,
        .prior_p = 0.01,
        .warmup = 10,
    };
    return p;
}

static uint64_t binomial(unit_rng *r, uint64_t n, double p)
{
    uint64_t e = 0;
    for (uint64_t i = 0; i < n; i++)
        e += unit_rng_bern(r, p);
    return e;
}

#define BT(i) ((fl_time)(i) * 10 * FL_NS_PER_SEC)

static void binom_p1(void)
{
    fl_binom_params p = bparams();
    CHECK_NEAR(fl_binom_p1(&p, 0.001, 0), 0.021, 1e-12); /* delta wins */
    CHECK_NEAR(fl_binom_p1(&p, 0.001, 1), 0.101, 1e-12);
    CHECK_NEAR(fl_binom_p1(&p, 0.001, 2), 0.301, 1e-12);
    CHECK_NEAR(fl_binom_p1(&p, 0.05, 0), 0.15, 1e-12); /* ratio wins */
    CHECK_NEAR(fl_binom_p1(&p, 0.05, 1), 0.5, 1e-12);
    CHECK_NEAR(fl_binom_p1(&p, 0.05, 2), 0.99, 1e-12); /* capped */
    CHECK_NEAR(fl_binom_p1(&p, 0.5, 0), 0.99, 1e-12);
    CHECK_NEAR(fl_binom_p1(&p, 0.9, 0), 0.99, 1e-12);
    for (int j = 0; j < FL_BINOM_ALTS; j++)
        for (double p0 = 1e-5; p0 < 0.9; p0 *= 1.7) {
            double p1 = fl_binom_p1(&p, p0, j);
            CHECK(p1 <= 0.99);
            CHECK(p1 > p0);
            CHECK(p1 >= FL_MIN(0.99, p0 * p.ratio[j]) - 1e-15);
            CHECK(p1 >= FL_MIN(0.99, p0 + p.delta[j]) - 1e-15);
        }
}

static void binom_p0_prior(void)
{
    fl_binom_params p = bparams();
    fl_binom_cusum b;
    fl_binom_init(&b);
    CHECK_NEAR(fl_binom_p0(&b, &p), 0.01, 1e-12); /* no history: the prior */
    CHECK(fl_binom_stat(&b, &p) == 0);
    CHECK_EQ(fl_binom_start(&b), FL_TIME_NONE);
    /* no requests: nothing happens */
    CHECK(!fl_binom_update(&b, &p, 0, 0, BT(0), false));
    CHECK_EQ(b.nobs, 0);
    /* clamps */
    b.ew_n = 1e9;
    b.ew_e = 0;
    CHECK_NEAR(fl_binom_p0(&b, &p), 1e-5, 1e-15);
    b.ew_e = 1e9;
    CHECK_NEAR(fl_binom_p0(&b, &p), 0.9, 1e-12);
}

/* p0 learned at ~0.4% from 500 requests a bucket; then one bucket of 5,000
 * requests with 5% failing alarms at once. */
static void binom_outage_alarms_at_once(void)
{
    unit_rng r;
    unit_rng_seed(&r, 201);
    fl_binom_params p = bparams();
    fl_binom_cusum b;
    fl_binom_init(&b);
    int fired = 0;
    for (int i = 0; i < 600; i++)
        fired += fl_binom_update(&b, &p, 500, binomial(&r, 500, 0.004), BT(i),
                                 false);
    CHECK_EQ(fired, 0);
    double p0 = fl_binom_p0(&b, &p);
    CHECK_RANGE(p0, 0.003, 0.005);
    CHECK(fl_binom_update(&b, &p, 5000, 250, BT(600), false));
    CHECK_GT(fl_binom_stat(&b, &p), 1.0);
    CHECK_EQ(fl_binom_start(&b), BT(600));
    CHECK_NEAR(b.excess, 250 - 5000 * p0, 1e-6);
    /* the baseline is not dragged by the outage it is alarming on */
    CHECK_NEAR(fl_binom_p0(&b, &p), p0, 1e-12);
    fl_binom_reset(&b);
    CHECK(fl_binom_stat(&b, &p) == 0);
    CHECK_EQ(fl_binom_start(&b), FL_TIME_NONE);
    CHECK(b.excess == 0);
}

/* A quiet service: 3 requests a bucket. 2 failures of 3 is not an outage;
 * the statistic stays under h even without the min_excess guard. */
static void binom_quiet_service(void)
{
    fl_binom_params p = bparams();
    fl_binom_params p_noexcess = p;
    p_noexcess.min_excess = 0;
    fl_binom_cusum b, b2;
    fl_binom_init(&b);
    fl_binom_init(&b2);
    for (int i = 0; i < 600; i++) {
        CHECK(!fl_binom_update(&b, &p, 3, i % 200 == 0, BT(i), false));
        CHECK(!fl_binom_update(&b2, &p_noexcess, 3, i % 200 == 0, BT(i),
                               false));
    }
    CHECK(!fl_binom_update(&b, &p, 3, 2, BT(600), false));
    CHECK(!fl_binom_update(&b2, &p_noexcess, 3, 2, BT(600), false));
    CHECK_LT(fl_binom_stat(&b2, &p_noexcess), 1.0);
    CHECK_GT(fl_binom_stat(&b2, &p_noexcess), 0.0); /* it did move */
}

/* min_excess: a statistic over h with fewer excess errors than required
 * does not alarm; the same evidence without the guard does. */
static void binom_min_excess(void)
{
    fl_binom_params p = bparams();
    fl_binom_params p0x = p;
    p0x.min_excess = 0;
    fl_binom_cusum b, b2;
    fl_binom_init(&b);
    fl_binom_init(&b2);
    for (int i = 0; i < 600; i++) {
        fl_binom_update(&b, &p, 3, 0, BT(i), false);
        fl_binom_update(&b2, &p0x, 3, 0, BT(i), false);
    }
    bool f1 = fl_binom_update(&b, &p, 6, 6, BT(600), false);
    bool f2 = fl_binom_update(&b2, &p0x, 6, 6, BT(600), false);
    CHECK_GT(fl_binom_stat(&b, &p), 1.0); /* over h... */
    CHECK_LT(b.excess, p.min_excess);     /* ...with ~6 excess errors */
    CHECK(!f1);
    CHECK(f2);
    /* excess accumulates: the next such bucket crosses 8 */
    CHECK(fl_binom_update(&b, &p, 6, 6, BT(601), false));
    CHECK_GE(b.excess, p.min_excess);
    CHECK_EQ(fl_binom_start(&b), BT(600));
}

static void binom_warmup_and_clamp(void)
{
    fl_binom_params p = bparams();
    fl_binom_cusum b;
    fl_binom_init(&b);
    /* every request failing, but the first `warmup` buckets never alarm */
    for (uint32_t i = 0; i < p.warmup; i++)
        CHECK(!fl_binom_update(&b, &p, 1000, 1000, BT(i), false));
    CHECK_EQ(b.nobs, p.warmup);
    CHECK(fl_binom_stat(&b, &p) == 0);
    /* e > n is clamped to n */
    fl_binom_cusum c;
    fl_binom_init(&c);
    for (int i = 0; i < 600; i++)
        fl_binom_update(&c, &p, 100, 0, BT(i), false);
    fl_binom_cusum d = c;
    fl_binom_update(&c, &p, 100, 500, BT(600), false);
    fl_binom_update(&d, &p, 100, 100, BT(600), false);
    CHECK_NEAR(fl_binom_stat(&c, &p), fl_binom_stat(&d, &p), 1e-12);
    CHECK_NEAR(c.excess, d.excess, 1e-12);
}

/* Frozen: the baseline does not learn from buckets inside an anomaly. */
static void binom_frozen(void)
{
    fl_binom_params p = bparams();
    fl_binom_cusum b;
    fl_binom_init(&b);
    for (int i = 0; i < 100; i++)
        fl_binom_update(&b, &p, 100, 1, BT(i), false);
    double p0 = fl_binom_p0(&b, &p);
    for (int i = 0; i < 50; i++)
        fl_binom_update(&b, &p, 100, 1, BT(100 + i), true);
    CHECK(fl_binom_p0(&b, &p) == p0);
}

static const unit_test tests[] = {
    UNIT_TEST(h_inverts_arl),
    UNIT_TEST(gauss_warmup_never_alarms),
    UNIT_TEST(gauss_arl0_known_baseline),
    UNIT_TEST(gauss_arl0_learned_baseline),
    UNIT_TEST(gauss_detection_delay),
    UNIT_TEST(gauss_onset),
    UNIT_TEST(gauss_downward_shift),
    UNIT_TEST(gauss_outlier_winsorised),
    UNIT_TEST(gauss_frozen_and_floor),
    UNIT_TEST(binom_p1),
    UNIT_TEST(binom_p0_prior),
    UNIT_TEST(binom_outage_alarms_at_once),
    UNIT_TEST(binom_quiet_service),
    UNIT_TEST(binom_min_excess),
    UNIT_TEST(binom_warmup_and_clamp),
    UNIT_TEST(binom_frozen),
};
UNIT_SUITE(unit_suite_cusum, "cusum", tests);
