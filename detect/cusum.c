/*
 * cusum.c - the two change detectors every signal is built on.
 *
 * Gaussian CUSUM. Residuals z_t = (x_t - m_t) / s_t are standardised
 * against an EWMA baseline (m, s). The upper statistic
 *     S+_t = max(0, S+_{t-1} + z_t - k)
 * (and S-_t symmetrically) drifts down by k per step while the series is in
 * control and up by (delta - k) after a shift of delta standard deviations.
 * An alarm at S > h has an in-control average run length (ARL0, the mean
 * number of samples between false alarms) that Siegmund (1985) approximates
 * for N(0,1) residuals as
 *     ARL0(k, h) = (exp(2 k b) - 2 k b - 1) / (2 k^2),   b = h + 1.166,
 * accurate to a few percent for k in [0.25, 1.5]. Rather than choosing h by
 * hand, faultline fixes the false-alarm budget: ARL0 per detector side,
 * from the configured time between false alarms divided by the bucket
 * width, and solves the formula for h by bisection (it is increasing in h).
 * With k = 0.5 and ARL0 = 518,400 buckets (60 days of 10 s buckets) h is
 * about 11.5; a shift of 3 sd is then caught in about 5 buckets. The onset
 * of a change is where S last left zero: the CUSUM's maximum-likelihood
 * estimate of the change point (Page 1954).
 *
 * The baseline is an EWMA of level and variance whose update uses the
 * residual winsorised at 3 sd, so one outlier cannot drag it. The level is
 * held while the CUSUM is past h/2, so a slow drift cannot be absorbed
 * before it alarms; both are frozen while an anomaly is open.
 *
 * Binomial LLR CUSUM. For e errors out of n requests, the log-likelihood
 * ratio of "error probability p1" against "baseline p0" is
 *     llr = e ln(p1/p0) + (n - e) ln((1 - p1)/(1 - p0)).
 * Its CUSUM S = max(0, S + llr) is Page's test for a rise from p0 to p1,
 * and Lorden (1971) bounds its ARL0 from below by e^h, so h = ln(ARL0)
 * keeps the same false-alarm budget. Three alternatives run side by side
 * (a 3x rise, a 10x rise, a 30x rise, each with an absolute floor); by the
 * union bound their combined false-alarm rate is at most three times one
 * test's, so each uses h = ln(3 ARL0). Because llr scales with the counts,
 * sparse services need several buckets of real failures while a busy one
 * with 5% failing crosses in one bucket. p0 is an EWMA of counts with a
 * weak prior (so a service with no history does not have p0 = 0), and p1 =
 * max(ratio p0, p0 + delta) is the smallest rise worth an alarm.
 */
#include "fl_detect.h"

#include <math.h>
#include <string.h>

#define SIEGMUND_B 1.166

double fl_cusum_arl(double k, double h)
{
    double b = h + SIEGMUND_B;
    double x = 2 * k * b;
    return (exp(x) - x - 1) / (2 * k * k);
}

double fl_cusum_h_for_arl(double k, double arl)
{
    double lo = 0, hi = 100;
    for (int i = 0; i < 200; i++) {
        double mid = (lo + hi) / 2;
        if (fl_cusum_arl(k, mid) < arl)
            lo = mid;
        else
            hi = mid;
    }
    return (lo + hi) / 2;
}

void fl_gauss_init(fl_gauss_cusum *g)
{
    memset(g, 0, sizeof *g);
    g->sp_start = g->sn_start = FL_TIME_NONE;
}

bool fl_gauss_warm(const fl_gauss_cusum *g, const fl_gauss_params *p)
{
    return g->nobs >= p->warmup;
}

fl_cusum_result fl_gauss_update(fl_gauss_cusum *g, const fl_gauss_params *p,
                                double x, double floor_sd, fl_time t,
                                bool frozen, double *z_out)
{
    *z_out = 0;
    if (!isfinite(x))
        return FL_CUSUM_NONE;
    if (g->nobs < p->warmup) {
        g->nobs++;
        g->wsum += x;
        g->wsum2 += x * x;
        g->mean = g->wsum / g->nobs;
        double v = g->wsum2 / g->nobs - g->mean * g->mean;
        g->var = v > 0 ? v : 0;
        return FL_CUSUM_NONE;
    }
    g->nobs++;
    double sd = sqrt(g->var + floor_sd * floor_sd);
    if (!(sd > 0))
        sd = 1e-9;
    double z = (x - g->mean) / sd;
    *z_out = z;
    double sp = g->sp + z - p->k;
    double sn = g->sn - z - p->k;
    if (sp > 0 && g->sp <= 0)
        g->sp_start = t;
    if (sn > 0 && g->sn <= 0)
        g->sn_start = t;
    g->sp = sp > 0 ? sp : 0;
    g->sn = sn > 0 ? sn : 0;
    if (!frozen) {
        double zc = z > 3 ? 3 : z < -3 ? -3 : z;
        double r = zc * sd;
        /* the spread is learned from every in-control sample (learning it
         * only while the CUSUM is calm would bias it low and shorten the
         * run length); the level is held while a CUSUM is past h/2, so a
         * slow drift cannot be absorbed before it alarms */
        double rv = x - g->mean;
        double lim = 3 * sqrt(g->var > 0 ? g->var : floor_sd * floor_sd + 1e-12);
        if (rv > lim)
            rv = lim;
        if (rv < -lim)
            rv = -lim;
        g->var = (1 - p->alpha) * (g->var + p->alpha * rv * rv);
        if (g->sp < p->h / 2 && g->sn < p->h / 2)
            g->mean += p->alpha * r;
    }
    if (g->sp > p->h)
        return FL_CUSUM_UP;
    if (g->sn > p->h)
        return FL_CUSUM_DOWN;
    return FL_CUSUM_NONE;
}

void fl_binom_init(fl_binom_cusum *b)
{
    memset(b, 0, sizeof *b);
    fl_binom_reset(b);
}

void fl_binom_reset(fl_binom_cusum *b)
{
    for (int j = 0; j < FL_BINOM_ALTS; j++) {
        b->s[j] = 0;
        b->s_start[j] = FL_TIME_NONE;
    }
    b->excess = 0;
}

double fl_binom_p0(const fl_binom_cusum *b, const fl_binom_params *p)
{
    double p0 = (b->ew_e + p->prior_p * p->prior_n) / (b->ew_n + p->prior_n);
    if (p0 < 1e-5)
        p0 = 1e-5;
    if (p0 > 0.9)
        p0 = 0.9;
    return p0;
}

double fl_binom_p1(const fl_binom_params *p, double p0, int alt)
{
    double p1 = p0 * p->ratio[alt];
    if (p1 < p0 + p->delta[alt])
        p1 = p0 + p->delta[alt];
    if (p1 > 0.99)
        p1 = 0.99;
    return p1;
}

double fl_binom_stat(const fl_binom_cusum *b, const fl_binom_params *p)
{
    double m = 0;
    for (int j = 0; j < FL_BINOM_ALTS; j++)
        if (b->s[j] > m)
            m = b->s[j];
    return m / p->h;
}

fl_time fl_binom_start(const fl_binom_cusum *b)
{
    int best = 0;
    for (int j = 1; j < FL_BINOM_ALTS; j++)
        if (b->s[j] > b->s[best])
            best = j;
    return b->s_start[best];
}

bool fl_binom_update(fl_binom_cusum *b, const fl_binom_params *p, uint64_t n,
                     uint64_t e, fl_time t, bool frozen)
{
    if (n == 0)
        return false;
    if (e > n)
        e = n;
    double p0 = fl_binom_p0(b, p);
    bool warm = b->nobs >= p->warmup;
    b->nobs++;
    bool fire = false, any = false;
    if (warm) {
        for (int j = 0; j < FL_BINOM_ALTS; j++) {
            double p1 = fl_binom_p1(p, p0, j);
            if (p1 <= p0)
                continue;
            double llr = (double)e * log(p1 / p0) +
                         (double)(n - e) * log((1 - p1) / (1 - p0));
            double s = b->s[j] + llr;
            if (s > 0 && b->s[j] <= 0)
                b->s_start[j] = t;
            b->s[j] = s > 0 ? s : 0;
            if (b->s[j] > 0)
                any = true;
            if (b->s[j] > p->h)
                fire = true;
        }
        if (any)
            b->excess += (double)e - (double)n * p0;
        else
            b->excess = 0;
    }
    bool quiet = true;
    for (int j = 0; j < FL_BINOM_ALTS; j++)
        if (b->s[j] >= p->h / 2)
            quiet = false;
    if (!frozen && quiet) {
        b->ew_n = (1 - p->alpha) * b->ew_n + (double)n;
        b->ew_e = (1 - p->alpha) * b->ew_e + (double)e;
    }
    return fire && b->excess >= p->min_excess;
}
