/*
 * detect.c - buckets, watermark and the per-(service, signal) detectors.
 *
 * Time. Every request lands in bucket floor(ts / width) of its service. The
 * frontier is the largest event time seen; the watermark is frontier minus
 * the allowed lateness. A bucket closes once the watermark passes its end;
 * an event for a closed bucket is late: counted and dropped, never merged
 * into a later bucket. Open buckets live in a small per-service ring (the
 * lateness spans at most ceil(lateness / width) + 1 of them).
 *
 * Signals per service and closed bucket:
 *   request_rate   requests per bucket; Gaussian CUSUM on counts with a
 *                  Poisson floor on the variance plus 25% relative slack
 *                  (traffic wobbles by 20% over minutes with nothing
 *                  wrong);
 *                  both directions (a surge; traffic that vanishes).
 *   error_rate     errors out of requests; binomial LLR CUSUM (counts
 *                  matter: 2 of 3 failing is not an outage).
 *   latency_pXX    log of the bucket's quantile from the sketch, when the
 *                  bucket holds enough requests for that quantile to mean
 *                  something; Gaussian CUSUM with a 50% relative floor;
 *                  rises only (faster is never an incident).
 *
 * Anomaly lifecycle (an enum, not flags): WARMUP -> NORMAL -> ALARM ->
 * NORMAL. Onset is where the CUSUM last left zero; `detected` is the end of
 * the bucket whose data crossed the threshold (causal). An anomaly ends
 * when a trailing window of end_hold looks like the baseline again (mean
 * residual under 1 sd, or a window LLR that favours p0); its end is that
 * window's start. A shift that lasts `rebaseline` becomes the new normal.
 */
#include "detect_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const signal_names[FL_SIG__COUNT] = {
    [FL_SIG_ERROR_RATE] = "error_rate",
    [FL_SIG_LATENCY_P50] = "latency_p50",
    [FL_SIG_LATENCY_P95] = "latency_p95",
    [FL_SIG_LATENCY_P99] = "latency_p99",
    [FL_SIG_REQUEST_RATE] = "request_rate",
    [FL_SIG_METRIC] = "metric",
};

const char *fl_signal_name(fl_signal s)
{
    return (unsigned)s < FL_SIG__COUNT ? signal_names[s] : "unknown";
}

const char *fl_anomaly_signal(const fl_anomaly *a)
{
    if (a->signal == FL_SIG_METRIC && a->metric[0])
        return a->metric;
    return fl_signal_name(a->signal);
}

void fl_detect_conf_default(fl_detect_conf *c)
{
    c->bucket = 10 * FL_NS_PER_SEC;
    c->lateness = 30 * FL_NS_PER_SEC;
    c->warmup = 10 * 60 * FL_NS_PER_SEC;
    c->end_hold = 2 * 60 * FL_NS_PER_SEC;
    c->rebaseline = 2 * 3600 * FL_NS_PER_SEC;
    c->max_gap = 3600 * FL_NS_PER_SEC;
    c->max_future = 15 * 60 * FL_NS_PER_SEC;
    c->arl_buckets = 0; /* derived: 60 days of buckets */
    c->min_excess_errors = 8;
    c->max_services = 100000; /* ~9 KB each: 1M names < 1 GiB (config.c) */
    c->metric_warmup = 60;
    c->max_metrics_per_service = 64;
    c->max_metrics = 16384;
}

static const double lat_q[FL_SIG__COUNT] = {
    [FL_SIG_LATENCY_P50] = 0.50,
    [FL_SIG_LATENCY_P95] = 0.95,
    [FL_SIG_LATENCY_P99] = 0.99,
};
/* Fewest requests in a bucket for its quantile to be worth a look. */
static const uint32_t lat_min_n[FL_SIG__COUNT] = {
    [FL_SIG_LATENCY_P50] = 5,
    [FL_SIG_LATENCY_P95] = 10,
    [FL_SIG_LATENCY_P99] = 20,
};

fl_detect *fl_detect_new(const fl_detect_conf *conf, fl_anomaly_cb cb, void *ud)
{
    fl_detect *d = fl_calloc(1, sizeof *d);
    d->conf = *conf;
    d->cb = cb;
    d->ud = ud;
    fl_time w = conf->bucket;
    d->ring_n = (uint32_t)((conf->lateness + w - 1) / w) + 2;
    d->win = (uint32_t)((conf->end_hold + w - 1) / w);
    if (d->win < 2)
        d->win = 2;
    if (d->win > ZWIN_MAX)
        d->win = ZWIN_MAX;
    double arl = conf->arl_buckets > 0
                     ? conf->arl_buckets
                     : (double)(60LL * 86400 * FL_NS_PER_SEC) / (double)w;
    /* warm-up is measured in time (warm_buckets since the service's first
     * request) and needs at least MIN_OBS observations: a sparse signal
     * observes less often than every bucket */
    d->warm_buckets = conf->warmup / w;
    uint32_t warm = MIN_OBS;
    double per_bucket = (double)w / (double)FL_NS_PER_SEC;
    /* baselines remember about 30 min of traffic and latency */
    double alpha = 2.0 / (1800.0 / per_bucket + 1.0);
    if (alpha > 0.5)
        alpha = 0.5;
    d->gp_rate = (fl_gauss_params){0.5, fl_cusum_h_for_arl(0.5, arl), alpha,
                                   warm};
    d->gp_lat = d->gp_rate;
    fl_det_metrics_params(d); /* metric.c */
    /* error rates: an hour of memory, ARL0 >= e^h */
    d->bp = (fl_binom_params){
        .h = log(FL_BINOM_ALTS * arl),
        .ratio = {3.0, 10.0, 30.0},
        .delta = {0.02, 0.10, 0.30},
        .alpha = 2.0 / (3600.0 / per_bucket + 1.0),
        .min_excess = conf->min_excess_errors,
        .prior_n = 100,
        .prior_p = 0.01,
        .warmup = warm,
    };
    d->frontier = FL_TIME_NONE;
    d->closed_upto = INT64_MIN;
    d->min_bucket = INT64_MAX;
    return d;
}

void fl_detect_destroy(fl_detect *d)
{
    if (!d)
        return;
    for (uint32_t i = 0; i < d->nsvcs; i++) {
        svc_state *s = d->svcs[i];
        if (!s)
            continue;
        fl_det_ring_free(s->ring, s->ring_n);
        fl_sketch_free(&s->carry);
        fl_det_metrics_free(s);
        free(s->hist32);
        free(s);
    }
    free(d->svcs);
    free(d->idle);
    free(d);
}

const fl_detect_conf *fl_detect_get_conf(const fl_detect *d) { return &d->conf; }
uint64_t fl_detect_gaps(const fl_detect *d) { return d->gaps; }
uint32_t fl_detect_metric_count(const fl_detect *d) { return d->nmets; }

fl_time fl_detect_watermark(const fl_detect *d)
{
    if (d->closed_upto == INT64_MIN)
        return FL_TIME_NONE;
    return (d->closed_upto + 1) * d->conf.bucket;
}

static int64_t bucket_of(const fl_detect *d, fl_time t)
{
    int64_t b = t / d->conf.bucket;
    if (t < 0 && t % d->conf.bucket)
        b--;
    return b;
}

int64_t fl_det_bucket(const fl_detect *d, fl_time t) { return bucket_of(d, t); }

slot *fl_det_ring_new(uint32_t n)
{
    slot *ring = fl_calloc(n, sizeof *ring);
    for (uint32_t k = 0; k < n; k++) {
        ring[k].idx = INT64_MIN;
        fl_sketch_init(&ring[k].lat, SKETCH_ALPHA);
    }
    return ring;
}

void fl_det_ring_free(slot *ring, uint32_t n)
{
    if (!ring)
        return;
    for (uint32_t k = 0; k < n; k++)
        fl_sketch_free(&ring[k].lat);
    free(ring);
}

svc_state *fl_det_svc(fl_detect *d, int32_t id)
{
    if ((uint32_t)id >= d->svcs_cap) {
        uint32_t cap = d->svcs_cap ? d->svcs_cap : 64;
        while (cap <= (uint32_t)id)
            cap *= 2;
        d->svcs = fl_realloc(d->svcs, cap * sizeof *d->svcs);
        memset(d->svcs + d->svcs_cap, 0, (cap - d->svcs_cap) * sizeof *d->svcs);
        d->idle = fl_realloc(d->idle, cap);
        memset(d->idle + d->svcs_cap, 0, cap - d->svcs_cap);
        d->svcs_cap = cap;
    }
    if ((uint32_t)id >= d->nsvcs)
        d->nsvcs = (uint32_t)id + 1;
    d->idle[id] = 0; /* new data or metrics: close_bucket looks again */
    svc_state *s = d->svcs[id];
    if (!s) {
        s = fl_calloc(1, sizeof *s);
        s->ring_n = d->ring_n;
        s->ring = fl_det_ring_new(s->ring_n);
        s->last_data = INT64_MIN;
        for (int k = 0; k < NSIG_REQ; k++) {
            fl_gauss_init(&s->g[k]);
            s->al[k].state = FL_DET_WARMUP;
        }
        fl_binom_init(&s->eb);
        fl_sketch_init(&s->carry, SKETCH_ALPHA);
        d->svcs[id] = s;
    }
    return s;
}

void fl_det_hist_set(svc_state *s, uint64_t i, uint32_t n, uint32_t e)
{
    if (!s->hist32 && (n > UINT16_MAX || e > UINT16_MAX)) {
        s->hist32 = fl_calloc(HIST, sizeof *s->hist32);
        for (int k = 0; k < HIST; k++) {
            s->hist32[k][0] = s->hist16[k][0];
            s->hist32[k][1] = s->hist16[k][1];
        }
    }
    if (s->hist32) {
        s->hist32[i % HIST][0] = n;
        s->hist32[i % HIST][1] = e;
    } else {
        s->hist16[i % HIST][0] = (uint16_t)n;
        s->hist16[i % HIST][1] = (uint16_t)e;
    }
}

void fl_det_hist_clear(svc_state *s)
{
    if (s->hist32)
        memset(s->hist32, 0, HIST * sizeof *s->hist32);
    memset(s->hist16, 0, sizeof s->hist16);
}

/* ------------------------------------------------------- anomaly helpers */

static void hist_sum(const fl_detect *d, const svc_state *s, int64_t from,
                     int64_t to, uint64_t *n, uint64_t *e)
{
    *n = *e = 0;
    if (to - from >= HIST)
        from = to - HIST + 1;
    if (from < s->first_bucket)
        from = s->first_bucket;
    (void)d;
    for (int64_t b = from; b <= to; b++) {
        *n += fl_det_hist_n(s, (uint64_t)b);
        *e += fl_det_hist_e(s, (uint64_t)b);
    }
}

static void blame_add(fl_anomaly *a, int32_t svc, uint32_t err)
{
    int free_i = -1, min_i = 0;
    for (int i = 0; i < FL_BLAME_MAX; i++) {
        if (a->blame[i].errors && a->blame[i].service == svc) {
            a->blame[i].errors += err;
            return;
        }
        if (!a->blame[i].errors && free_i < 0)
            free_i = i;
        if (a->blame[i].errors < a->blame[min_i].errors)
            min_i = i;
    }
    int i = free_i >= 0 ? free_i : min_i;
    if (free_i < 0 && a->blame[i].errors >= err)
        return;
    a->blame[i].service = svc;
    a->blame[i].errors = err;
}

/* Onset in hindsight. The CUSUM's own onset (where S last left zero) is
 * the change point under the *assumed* shift; on a noisy series S often
 * wanders above zero before the real change, dragging the onset early.
 * With the alarm in hand we know the size of the shift, so the onset is
 * re-estimated as the maximum-likelihood change point under the *observed*
 * post-change level: tau maximising sum_{t >= tau} llr_t, searched between
 * the CUSUM's onset and the alarm, the level re-estimated from [tau, now]
 * once more. Ties go to the latest tau (nearest the first evidence). */
static int64_t refine_binom(const svc_state *s, int64_t from, int64_t to,
                            double p0)
{
    if (to - from >= HIST)
        from = to - HIST + 1;
    if (from < s->first_bucket)
        from = s->first_bucket;
    int64_t tau = from;
    for (int round = 0; round < 2; round++) {
        uint64_t n = 0, e = 0;
        for (int64_t b = tau; b <= to; b++) {
            n += fl_det_hist_n(s, (uint64_t)b);
            e += fl_det_hist_e(s, (uint64_t)b);
        }
        if (!n)
            return tau;
        double p1 = (double)e / (double)n;
        if (p1 <= p0)
            return tau;
        if (p1 > 0.999)
            p1 = 0.999;
        double a = log(p1 / p0), c = log((1 - p1) / (1 - p0));
        double sum = 0, best = -1e300;
        int64_t arg = to;
        for (int64_t b = to; b >= from; b--) {
            double bn = fl_det_hist_n(s, (uint64_t)b),
                   be = fl_det_hist_e(s, (uint64_t)b);
            sum += be * a + (bn - be) * c;
            if (sum > best) {
                best = sum;
                arg = b;
            }
        }
        tau = arg;
    }
    return tau;
}

/* The same for a Gaussian signal, from its history of observations. */
static int64_t refine_gauss(const float *xs, uint32_t cap, int64_t from,
                            int64_t to, double mean)
{
    if (to - from >= (int64_t)cap)
        from = to - (int64_t)cap + 1;
    int64_t tau = from;
    for (int round = 0; round < 2; round++) {
        double sum = 0;
        int k = 0;
        for (int64_t b = tau; b <= to; b++) {
            float x = xs[(uint64_t)b % cap];
            if (!isnan(x)) {
                sum += x - mean;
                k++;
            }
        }
        if (!k)
            return tau;
        double delta = sum / k;
        double acc = 0, best = -1e300;
        int64_t arg = to;
        for (int64_t b = to; b >= from; b--) {
            float x = xs[(uint64_t)b % cap];
            if (!isnan(x))
                acc += delta * (x - mean - delta / 2);
            if (acc > best) {
                best = acc;
                arg = b;
            }
        }
        tau = arg;
    }
    return tau;
}

static void open_anomaly(fl_detect *d, svc_state *s, int32_t id, fl_signal sig,
                         fl_direction dir, fl_time onset, int64_t b,
                         double base, double val, double sev, double p0)
{
    alarm *al = &s->al[sig];
    memset(&al->a, 0, sizeof al->a);
    fl_anomaly *a = &al->a;
    a->seq = d->seq++;
    a->service = id;
    a->signal = sig;
    a->dir = dir;
    fl_time w = d->conf.bucket;
    if (onset == FL_TIME_NONE || onset > b * w)
        onset = b * w;
    a->onset = onset;
    a->detected = (b + 1) * w;
    a->end = FL_TIME_NONE;
    a->baseline = base;
    a->peak = val;
    a->peak_at = b * w;
    a->severity = sev;
    hist_sum(d, s, bucket_of(d, onset), b, &a->requests, &a->errors);
    a->expected_errors = (double)a->requests * p0;
    for (int i = 0; i < FL_BLAME_MAX; i++)
        a->blame[i].service = -1;
    al->state = FL_DET_ALARM;
    al->win_n = al->win_pos = 0;
    al->fast = NAN;
    d->cb(d->ud, FL_ANOMALY_OPEN, a);
}

static void end_anomaly(fl_detect *d, svc_state *s, fl_signal sig, fl_time end)
{
    alarm *al = &s->al[sig];
    if (end < al->a.onset)
        end = al->a.onset;
    al->a.end = end;
    al->state = FL_DET_NORMAL;
    d->cb(d->ud, FL_ANOMALY_END, &al->a);
}

/* Pushes a residual into the end window; true when the window is full and
 * its mean says the signal is back at baseline. */
bool fl_det_window_normal(fl_detect *d, alarm *al, double z, bool up)
{
    al->win[al->win_pos] = (float)z;
    al->win_pos = (al->win_pos + 1) % d->win;
    if (al->win_n < d->win)
        al->win_n++;
    if (al->win_n < d->win)
        return false;
    double sum = 0;
    for (uint32_t i = 0; i < d->win; i++)
        sum += al->win[i];
    double mean = sum / d->win;
    return up ? mean < 1.0 : mean > -1.0;
}

/* ------------------------------------------------------- closing buckets */

static void gauss_signal(fl_detect *d, svc_state *s, int32_t id, fl_signal sig,
                         const fl_gauss_params *gp, double x, double floor_sd,
                         int64_t b, bool both_ways, double (*display)(double),
                         double per, const float *xs)
{
    alarm *al = &s->al[sig];
    fl_gauss_cusum *g = &s->g[sig];
    fl_time w = d->conf.bucket;
    double z;
    bool in_alarm = al->state == FL_DET_ALARM;
    fl_cusum_result r =
        fl_gauss_update(g, gp, x, floor_sd, b * w, in_alarm, &z);
    if (al->state == FL_DET_WARMUP) {
        if (fl_gauss_warm(g, gp) && b - s->first_bucket >= d->warm_buckets) {
            al->state = FL_DET_NORMAL;
            g->sp = g->sn = 0;
        }
        return;
    }
    double val = display(x) * per;
    if (!in_alarm) {
        if (r == FL_CUSUM_UP || (both_ways && r == FL_CUSUM_DOWN)) {
            bool up = r == FL_CUSUM_UP;
            fl_time start = up ? g->sp_start : g->sn_start;
            int64_t from = start == FL_TIME_NONE ? b : bucket_of(d, start);
            fl_time onset = refine_gauss(xs, XHIST, from, b, g->mean) * w;
            /* the level since onset, smoothed from here on: a peak is a
             * sustained value, not one noisy bucket */
            double sum = 0;
            int k = 0;
            for (int64_t t = bucket_of(d, onset); t <= b; t++) {
                float xv = xs[(uint64_t)t % XHIST];
                if (!isnan(xv) && b - t < XHIST) {
                    sum += xv;
                    k++;
                }
            }
            double lvl = k ? sum / k : x;
            open_anomaly(d, s, id, sig, up ? FL_DIR_UP : FL_DIR_DOWN, onset,
                         b, display(g->mean) * per, display(lvl) * per,
                         fabs(z), 0);
            al->fast = lvl;
        } else if (r == FL_CUSUM_DOWN) {
            g->sn = 0; /* a drop we do not alarm on: start afresh */
        }
        return;
    }
    fl_anomaly *a = &al->a;
    bool up = a->dir == FL_DIR_UP;
    al->fast = isnan(al->fast) ? x : al->fast + 0.3 * (x - al->fast);
    val = display(al->fast) * per;
    if ((up && val > a->peak) || (!up && val < a->peak)) {
        a->peak = val;
        a->peak_at = b * w;
        if (fabs(z) > a->severity)
            a->severity = fabs(z);
        d->cb(d->ud, FL_ANOMALY_UPDATE, a);
    }
    if (fl_det_window_normal(d, al, z, up)) {
        end_anomaly(d, s, sig, (b + 1 - (int64_t)d->win) * w);
        g->sp = g->sn = 0;
        return;
    }
    if ((b + 1) * w - a->detected >= d->conf.rebaseline) {
        /* the shift has lasted: it is the new normal */
        g->mean = al->fast;
        g->sp = g->sn = 0;
        end_anomaly(d, s, sig, (b + 1) * w);
    }
}

static double ident(double x) { return x; }
static double expo(double x) { return exp(x); }

static void error_signal(fl_detect *d, svc_state *s, int32_t id, int64_t b,
                         const slot *sl)
{
    alarm *al = &s->al[FL_SIG_ERROR_RATE];
    fl_binom_cusum *eb = &s->eb;
    uint64_t n = sl ? sl->n : 0, e = sl ? sl->err : 0;
    fl_time w = d->conf.bucket;
    bool in_alarm = al->state == FL_DET_ALARM;
    double p0 = fl_binom_p0(eb, &d->bp);
    bool fire = fl_binom_update(eb, &d->bp, n, e, b * w, in_alarm);
    if (al->state == FL_DET_WARMUP) {
        if (eb->nobs >= d->bp.warmup && b - s->first_bucket >= d->warm_buckets) {
            al->state = FL_DET_NORMAL;
            fl_binom_reset(eb);
        }
        return;
    }
    if (!in_alarm) {
        if (fire) {
            fl_time start = fl_binom_start(eb);
            int64_t from = start == FL_TIME_NONE ? b : bucket_of(d, start);
            int64_t onset_b = refine_binom(s, from, b, p0);
            /* peak: the error rate since onset, not one noisy bucket */
            uint64_t hn, he;
            hist_sum(d, s, onset_b, b, &hn, &he);
            double rate = hn ? (double)he / (double)hn : 0;
            open_anomaly(d, s, id, FL_SIG_ERROR_RATE, FL_DIR_UP, onset_b * w,
                         b, p0, rate, fl_binom_stat(eb, &d->bp), p0);
            al->a.requests = hn;
            al->a.errors = he;
            al->a.expected_errors = (double)hn * p0;
            if (sl)
                for (int i = 0; i < FL_BLAME_MAX; i++)
                    if (sl->up[i].err)
                        blame_add(&al->a, sl->up[i].svc, sl->up[i].err);
        }
        return;
    }
    fl_anomaly *a = &al->a;
    a->requests += n;
    a->errors += e;
    a->expected_errors += (double)n * a->baseline;
    if (sl)
        for (int i = 0; i < FL_BLAME_MAX; i++)
            if (sl->up[i].err)
                blame_add(a, sl->up[i].svc, sl->up[i].err);
    /* the peak is judged over a window, so one unlucky bucket of a quiet
     * service does not read as "100% failing" */
    uint64_t wn, we;
    hist_sum(d, s, b - (int64_t)d->win + 1, b, &wn, &we);
    if (wn >= 20 || b - bucket_of(d, a->onset) >= (int64_t)d->win) {
        double wr = wn ? (double)we / (double)wn : 0;
        if (wr > a->peak) {
            a->peak = wr;
            a->peak_at = b * w;
            double st = fl_binom_stat(eb, &d->bp);
            if (st > a->severity)
                a->severity = st;
            d->cb(d->ud, FL_ANOMALY_UPDATE, a);
        }
    }
    /* back to normal when the last window's evidence favours the baseline
     * over the most sensitive alternative */
    if (b - bucket_of(d, a->detected) + 1 >= (int64_t)d->win && wn > 0) {
        double p1 = fl_binom_p1(&d->bp, a->baseline, 0);
        double wllr = (double)we * log(p1 / a->baseline) +
                      (double)(wn - we) * log((1 - p1) / (1 - a->baseline));
        if (wllr <= 0) {
            end_anomaly(d, s, FL_SIG_ERROR_RATE,
                        (b + 1 - (int64_t)d->win) * w);
            fl_binom_reset(eb);
        }
    }
}

static void close_service_bucket(fl_detect *d, int32_t id, svc_state *s,
                                 int64_t b)
{
    slot *sl = &s->ring[(uint64_t)b % s->ring_n];
    bool has = sl->idx == b;
    uint32_t n = has ? sl->n : 0, e = has ? sl->err : 0;
    fl_det_hist_set(s, (uint64_t)b, n, e);
    double per = (double)FL_NS_PER_SEC / (double)d->conf.bucket;

    /* request rate: Poisson floor plus 25% relative slack */
    {
        fl_gauss_cusum *g = &s->g[FL_SIG_REQUEST_RATE];
        double m = g->mean > 1 ? g->mean : 1;
        double var = g->var > m ? g->var : m;
        double floor_sd = sqrt(var - g->var + 0.0625 * m * m);
        s->xhist[3][(uint64_t)b % XHIST] = (float)n;
        gauss_signal(d, s, id, FL_SIG_REQUEST_RATE, &d->gp_rate, (double)n,
                     floor_sd, b, true, ident, per, s->xhist[3]);
    }
    error_signal(d, s, id, b, has ? sl : NULL);
    /* latency: a sparse service's buckets are pooled (up to LAT_POOL of
     * them) until the tail quantiles have enough samples to mean something;
     * a busy service is judged bucket by bucket */
    const fl_sketch *lat = NULL;
    uint64_t lat_n = has ? sl->lat.count + sl->nlat : 0;
    if (has && lat_n >= lat_min_n[FL_SIG_LATENCY_P99] &&
        s->carry.count == 0) {
        fl_det_slot_spill(sl); /* (inline values are fewer: no-op) */
        lat = &sl->lat;
    } else if (has || s->carry.count) {
        if (has && sl->nlat)
            fl_sketch_merge_indices(&s->carry, sl->lat_i, sl->nlat);
        else if (has)
            fl_sketch_merge(&s->carry, &sl->lat);
        s->carry_buckets++;
        if (s->carry.count >= lat_min_n[FL_SIG_LATENCY_P99] ||
            s->carry_buckets >= LAT_POOL)
            lat = &s->carry;
    }
    for (int sig = FL_SIG_LATENCY_P50; sig <= FL_SIG_LATENCY_P99; sig++) {
        float *xs = s->xhist[sig - FL_SIG_LATENCY_P50];
        if (!lat || lat->count < lat_min_n[sig]) {
            xs[(uint64_t)b % XHIST] = NAN;
            continue;
        }
        double q = fl_sketch_quantile(lat, lat_q[sig]);
        if (!(q >= FL_SKETCH_MIN_VALUE))
            q = FL_SKETCH_MIN_VALUE;
        xs[(uint64_t)b % XHIST] = (float)log(q);
        gauss_signal(d, s, id, (fl_signal)sig, &d->gp_lat, log(q), LAT_FLOOR,
                     b, false, expo, 1.0, xs);
    }
    if (lat == &s->carry) {
        fl_sketch_reset(&s->carry);
        s->carry_buckets = 0;
    }
    if (has) {
        sl->idx = INT64_MIN;
        sl->n = sl->err = 0;
        sl->nlat = 0;
        fl_sketch_reset(&sl->lat);
        memset(sl->up, 0, sizeof sl->up);
    }
}

/* Idle buckets. Closing a bucket without data for every started service
 * cost ~1 us per service per bucket (the state of a large fleet is out of
 * cache), so a fleet of mostly quiet services ran at a third of the rate
 * of a small one. A run of buckets without data is therefore closed lazily
 * when the closes provably cannot call back (open, update or end an
 * anomaly): the service is marked lagging and its skipped buckets are
 * closed, by the same close_service_bucket in the same order, when it
 * next has data in a closing bucket (before that bucket), before a gap
 * jump, and before the state is saved. The state after catching up is
 * bit for bit the eager one (same operations, same order, no input from
 * other services in between), and no callback is moved since none can
 * happen. The condition, checked on the current state when the first idle
 * bucket closes, and kept by every idle close (so checked once per run):
 *   - the latency carry holds fewer requests than any quantile needs
 *     (lat_min_n): an idle bucket then feeds no latency CUSUM (it writes
 *     NAN to the latency history, counts the carry's buckets and may
 *     empty it: the carry never grows without data);
 *   - error_rate is not in alarm: with no requests fl_binom_update changes
 *     nothing and cannot fire; warm-up may end (no callback);
 *   - request_rate is not in alarm and its mean is at most k (0.5 request
 *     per bucket): the sd of close_service_bucket is at least
 *     sqrt(1.0625) (its floor uses max(mean, 1)), so a zero's residual z
 *     is in [-k/1.03, 0]: sp and sn can only fall (sn - z - k < sn), no
 *     side reaches h, and the mean only decays (mean += alpha * z * sd),
 *     so the condition still holds at the next idle bucket. In warm-up the
 *     mean is wsum / nobs, which a zero lowers too.
 * A busy service whose traffic vanishes (mean above k) is closed every
 * bucket as before, so its drop is detected at the same bucket. */
static bool idle_is_silent(const fl_detect *d, const svc_state *s)
{
    return s->carry.count < lat_min_n[FL_SIG_LATENCY_P50] &&
           s->al[FL_SIG_REQUEST_RATE].state != FL_DET_ALARM &&
           s->al[FL_SIG_ERROR_RATE].state != FL_DET_ALARM &&
           s->g[FL_SIG_REQUEST_RATE].mean <= d->gp_rate.k;
}

static void catch_up(fl_detect *d, int32_t id, svc_state *s, int64_t to)
{
    if (!s->lagging)
        return;
    s->lagging = false;
    d->idle[id] = 0;
    for (int64_t b = s->lag_from; b <= to; b++)
        close_service_bucket(d, id, s, b);
}

void fl_det_catch_up_all(fl_detect *d)
{
    for (uint32_t i = 0; i < d->nsvcs; i++)
        if (d->svcs[i])
            catch_up(d, (int32_t)i, d->svcs[i], d->closed_upto);
}

static void close_bucket(fl_detect *d, int64_t b)
{
    for (uint32_t i = 0; i < d->nsvcs; i++) {
        if (d->idle[i])
            continue; /* lagging, no metrics, nothing since: not touched */
        svc_state *s = d->svcs[i];
        if (!s)
            continue;
        if (s->started && s->first_bucket <= b) {
            bool has = s->last_data >= b &&
                       s->ring[(uint64_t)b % s->ring_n].idx == b;
            if (!has && !d->eager && (s->lagging || idle_is_silent(d, s))) {
                if (!s->lagging) {
                    s->lagging = true;
                    s->lag_from = b;
                }
                /* skip this service outright until fl_det_svc sees it,
                 * unless a later open bucket already holds its data */
                d->idle[i] = s->nmets == 0 && s->last_data <= b;
            } else {
                catch_up(d, (int32_t)i, s, b - 1);
                close_service_bucket(d, (int32_t)i, s, b);
            }
        }
        if (s->nmets)
            fl_det_metrics_close(d, (int32_t)i, s, b);
    }
    d->closed_upto = b;
    d->cb(d->ud, FL_BUCKET_CLOSED, NULL);
}

/* A silence longer than max_gap: data is missing, not zero. Open anomalies
 * end where the data stopped and every CUSUM starts afresh. */
static void jump_gap(fl_detect *d, int64_t to)
{
    d->gaps++;
    fl_det_catch_up_all(d);
    fl_time end = (d->closed_upto + 1) * d->conf.bucket;
    for (uint32_t i = 0; i < d->nsvcs; i++) {
        svc_state *s = d->svcs[i];
        if (!s)
            continue;
        for (int k = 0; k < NSIG_REQ; k++) {
            if (s->al[k].state == FL_DET_ALARM)
                end_anomaly(d, s, (fl_signal)k, end);
            s->g[k].sp = s->g[k].sn = 0;
        }
        fl_det_metrics_gap(d, (int32_t)i, s, to);
        fl_binom_reset(&s->eb);
        for (uint32_t k = 0; k < s->ring_n; k++)
            if (s->ring[k].idx != INT64_MIN && s->ring[k].idx <= to) {
                s->ring[k].idx = INT64_MIN;
                s->ring[k].n = s->ring[k].err = 0;
                s->ring[k].nlat = 0;
                fl_sketch_reset(&s->ring[k].lat);
                memset(s->ring[k].up, 0, sizeof s->ring[k].up);
            }
        if (s->started && s->first_bucket <= to)
            s->first_bucket = to + 1;
        fl_det_hist_clear(s);
    }
    d->closed_upto = to;
}

/* The earliest bucket after closed_upto that holds data, or INT64_MAX. */
static int64_t next_data_bucket(const fl_detect *d)
{
    int64_t best = INT64_MAX;
    for (uint32_t i = 0; i < d->nsvcs; i++) {
        const svc_state *s = d->svcs[i];
        if (!s)
            continue;
        for (uint32_t k = 0; k < s->ring_n; k++)
            if (s->ring[k].idx != INT64_MIN && s->ring[k].idx > d->closed_upto &&
                s->ring[k].idx < best)
                best = s->ring[k].idx;
        if (s->nmets) {
            int64_t m = fl_det_metrics_next(d, s);
            if (m < best)
                best = m;
        }
    }
    return best;
}

void fl_detect_advance(fl_detect *d, fl_time t)
{
    if (d->frontier != FL_TIME_NONE && t <= d->frontier)
        return;
    d->frontier = t;
    fl_time wm = t - d->conf.lateness;
    int64_t last = bucket_of(d, wm) - 1; /* buckets ending at or before wm */
    if (d->closed_upto == INT64_MIN) {
        /* time starts here, or where the earliest data already added is
         * (a consumer may add events before it knows every input's time) */
        d->closed_upto = FL_MIN(last, d->min_bucket == INT64_MAX
                                          ? last
                                          : d->min_bucket - 1);
    }
    int64_t max_gap = d->conf.max_gap / d->conf.bucket;
    int64_t next = INT64_MIN; /* earliest held bucket, recomputed lazily */
    while (d->closed_upto < last) {
        if (last - d->closed_upto > max_gap) {
            /* a long stretch ahead: if no data sits in the next max_gap
             * buckets it is a silence (data missing, not zero): jump to
             * just before the next data */
            if (next <= d->closed_upto)
                next = next_data_bucket(d);
            int64_t nd = next == INT64_MAX || next > last ? last + 1 : next;
            if (nd - d->closed_upto - 1 > max_gap) {
                jump_gap(d, nd - 1);
                continue;
            }
        }
        close_bucket(d, d->closed_upto + 1);
    }
}

void fl_detect_flush(fl_detect *d)
{
    if (d->frontier == FL_TIME_NONE)
        return;
    /* close every complete bucket; the one holding the last event is
     * partial and would read as a traffic drop */
    int64_t last = bucket_of(d, d->frontier) - 1;
    while (d->closed_upto < last)
        close_bucket(d, d->closed_upto + 1);
}

/* The open slot for bucket b. Open buckets span (closed_upto, b]; in
 * replay that is at most lateness/width + 2 buckets, but a Kafka partition
 * may run ahead of the slowest one, so the ring doubles as needed
 * (re-placing held buckets), up to FL_DETECT_MAX_AHEAD buckets. */
static slot *slot_for(fl_detect *d, svc_state *s, int64_t b)
{
    int64_t lo = d->closed_upto == INT64_MIN ? FL_MIN(b, d->min_bucket)
                                             : d->closed_upto + 1;
    if (b - lo >= (int64_t)s->ring_n) {
        uint32_t n = s->ring_n;
        while ((int64_t)n <= b - lo)
            n *= 2;
        slot *ring = fl_det_ring_new(n);
        for (uint32_t k = 0; k < s->ring_n; k++) {
            if (s->ring[k].idx == INT64_MIN) {
                fl_sketch_free(&s->ring[k].lat);
                continue;
            }
            slot *dst = &ring[(uint64_t)s->ring[k].idx % n];
            fl_sketch_free(&dst->lat);
            *dst = s->ring[k]; /* moves the sketch's bins */
        }
        free(s->ring);
        s->ring = ring;
        s->ring_n = n;
    }
    return &s->ring[(uint64_t)b % s->ring_n];
}

/* The cap scaled to the input's cadence (see fl_detect.h). */
static fl_time future_cap(const fl_future_gate *g, fl_time cap)
{
    if (g->steps == 0)
        return cap;
    double scaled = FL_DETECT_FUTURE_GAPS * exp2(g->lgap);
    if (scaled > 9.0e18 / 2) /* spacing beyond any real timestamp range */
        return INT64_MAX / 2;
    return (fl_time)scaled > cap ? (fl_time)scaled : cap;
}

static void future_learn(fl_future_gate *g, fl_time step)
{
    double l = log2((double)step);
    if (g->steps++ == 0) {
        g->lgap = l;
        return;
    }
    /* down fast, up slowly: a shorter spacing only makes the gate
     * stricter, a longer one loosens it, so one long step (a burst of
     * garbage, a pause) must not open it */
    double d = l - g->lgap;
    if (d < 0)
        g->lgap += 0.5 * d;
    else
        g->lgap += FL_FUTURE_LGAP_STEP * (d > 1.0 ? 1.0 : d);
}

bool fl_future_admit(fl_future_gate *g, fl_time cap, fl_time ts)
{
    if (ts == FL_TIME_NONE)
        return true; /* the caller counts it as missing a timestamp */
    if (cap <= 0)
        return true;
    if (g->seen == FL_TIME_NONE) {
        g->seen = ts;
        return true;
    }
    fl_time lim = future_cap(g, cap);
    /* the input's second step and on are judged; its first step (nothing
     * known of its cadence yet) is learned */
    if (ts <= g->seen || ts - g->seen <= lim || g->steps == 0) {
        if (ts > g->seen) {
            future_learn(g, ts - g->seen);
            g->seen = ts;
        }
        g->run = 0;
        return true;
    }
    /* ahead by more than the cap: part of one consistent jump? */
    if (g->run == 0 || (ts > g->last ? ts - g->last : g->last - ts) > lim) {
        g->run = 0;
        g->first = ts;
    }
    g->last = ts;
    g->run++;
    fl_time span = g->last > g->first ? g->last - g->first : 0;
    if (g->run >= FL_DETECT_FUTURE_CONFIRM ||
        (g->run >= FL_DETECT_FUTURE_MIN_RUN && span >= cap)) {
        g->run = 0;
        g->seen = ts > g->first ? ts : g->first;
        return true;
    }
    return false;
}

bool fl_det_admit(fl_detect *d, int64_t b, fl_bad_reason *why)
{
    if (d->closed_upto != INT64_MIN && b <= d->closed_upto) {
        *why = FL_BAD_LATE;
        return false;
    }
    int64_t base = d->closed_upto != INT64_MIN ? d->closed_upto
                   : d->min_bucket != INT64_MAX  ? d->min_bucket
                                                 : b;
    if (b - base > FL_DETECT_MAX_AHEAD) {
        *why = FL_BAD_AHEAD;
        return false;
    }
    if (d->closed_upto == INT64_MIN && b < d->min_bucket)
        d->min_bucket = b;
    return true;
}

bool fl_detect_request(fl_detect *d, int32_t id, const fl_event *ev,
                       int32_t upstream, fl_bad_reason *why)
{
    int64_t b = bucket_of(d, ev->ts);
    if (!fl_det_admit(d, b, why))
        return false;
    svc_state *s = fl_det_svc(d, id);
    if (!s->started) {
        s->started = true;
        s->first_bucket = b;
    } else if (b < s->first_bucket) {
        s->first_bucket = b;
    }
    slot *sl = slot_for(d, s, b);
    if (b > s->last_data)
        s->last_data = b;
    if (sl->idx != b) {
        sl->idx = b;
        sl->n = sl->err = 0;
        sl->nlat = 0;
        fl_sketch_reset(&sl->lat);
        memset(sl->up, 0, sizeof sl->up);
    }
    sl->n++;
    bool err = fl_event_is_error(ev);
    if (err) {
        sl->err++;
        if (upstream >= 0 && upstream != id) {
            int i;
            for (i = 0; i < FL_BLAME_MAX; i++)
                if (sl->up[i].err && sl->up[i].svc == upstream)
                    break;
            if (i == FL_BLAME_MAX)
                for (i = 0; i < FL_BLAME_MAX; i++)
                    if (!sl->up[i].err)
                        break;
            if (i < FL_BLAME_MAX) {
                sl->up[i].svc = upstream;
                sl->up[i].err++;
            }
        }
    }
    if (!isnan(ev->latency_ms)) {
        /* a bucket's first few latencies stay inline (detect_int.h,
         * FL_SKETCH_INLINE_MAX); the next one moves them to the sketch */
        int32_t li = fl_sketch_index(&sl->lat, ev->latency_ms);
        if (sl->lat.count == 0 && sl->nlat < FL_SKETCH_INLINE_MAX) {
            sl->lat_i[sl->nlat++] = li;
        } else {
            fl_det_slot_spill(sl);
            fl_sketch_add_index(&sl->lat, li);
        }
    }
    return true;
}
