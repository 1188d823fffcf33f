/*
 * metric.c - metric series as signals: one detector per (service, metric
 * name), for gauges and counters that arrive as samples (Influx lines from
 * Telegraf, and any decoder that yields FL_EV_METRIC events).
 *
 * Semantics (issue 5):
 *   - each sample is one observation; a gauge is never turned into a
 *     per-bucket count or rate;
 *   - missing data is not zero: a bucket without samples is no
 *     observation, and a metric silent for longer than max_gap ends its
 *     open anomaly where its data stopped;
 *   - detection is causal: samples land in the bucket of their time (late
 *     ones are refused like late requests) and are fed, in time order
 *     (ties by value, so any arrival order gives the same result), when
 *     that bucket closes; `detected` is the end of that bucket.
 *
 * Detector: an EWMA baseline of level and spread (MET_MEMORY = 120 samples
 * of memory, winsorised at 3 sd) and a two-sided Gaussian CUSUM on the
 * standardised residual (cusum.c). The reference value is k = 1.5 sd: it
 * is tuned to shifts of 3 sd, because metrics wander far more than request
 * counts and a smaller shift is rarely worth an incident. The threshold h
 * comes from the same false-alarm budget as every other signal (one per
 * side per 60 days, or --arl), converted to samples with the metric's own
 * sampling interval measured during warm-up: a metric scraped every 10 s
 * gets a higher h than one sampled every 5 min. The spread has a floor
 * (floor_sd): the data's resolution (the smallest step seen between
 * consecutive samples) and 1% of the level, so a flat series does not
 * alarm on the least step it can take.
 *
 * Several mechanisms deal with real metrics not being the i.i.d. Gaussian
 * series the ARL formula assumes:
 *   - a daily profile (MET_SLOTS slots of 5 min): the level plus the
 *     slot's learned offset predicts each sample, once that predicts
 *     better than the level alone (season_learn). Traffic, queue depths
 *     and utilisation follow the day; without it every morning is a shift.
 *   - a weekly profile (hour of the week) added to it once two weeks of
 *     history show it predicts better still (week_learn): weekends differ.
 *   - the record: an alarm must also beat the largest CUSUM statistic the
 *     metric has reached since warm-up (including at its past alarms),
 *     decaying by e in 30 days. Autocorrelated, heavy-tailed series make
 *     in-control excursions far larger than h; the record calibrates the
 *     threshold on the metric's own behaviour, and is distribution-free:
 *     a stationary series sets about ln(n) records in n samples. The price:
 *     after a huge excursion a metric only alarms on a bigger one until
 *     the record has decayed.
 *   - the long-run variance: k and h are scaled by sqrt((1 + rho) /
 *     (1 - rho)) for the residuals' lag-1 autocorrelation rho, learned
 *     slowly and only in control (ac_factor, ac_learn).
 *
 * A monotone counter (never fell, rose on 90% of the steps of its first
 * warm-up) is judged by its rate per second, a fall to half or less being
 * a reset (observe).
 *
 * Tried and dropped (NAB two-halves cross-check, bench/nab/cv.py): a
 * CUSUM on the spread (the log-likelihood ratio of a doubled sd, Lorden's
 * h = ln ARL0, z^2 capped at 16, gated by its own record as the level's):
 * it catches a doubled spread, but real metrics are heavy-tailed and
 * bursty, and it cost half A 65.5 -> 49.5 and half B 68.1 -> 59.3 (more
 * than 100 extra detections, the tweets and known-cause series worst).
 * A change of spread is now judged by its own CUSUM on ln step^2 (see
 * spread_step), built so that bursts cannot drive it.
 * The residuals' lag-1 autocorrelation is corrected for (ac_factor): the
 * first attempt, an EWMA of u_t u_{t-1} at the baseline's memory, raised
 * NAB to 75.8 at a cap of 0.25 but read a fresh 2 sd shift as correlation
 * before the CUSUM alarmed (the detection-delay property failed). The
 * estimate kept learns slowly and only in control (see ac_factor);
 * `autocorrelation_estimate` (test_metric_props.c) checks a shift cannot
 * raise it.
 * Also tried: judging the first step of a flat series (no step seen, no
 * spread) against the floor before it sets the resolution, so that a
 * constant gauge that changes (a replica count) alarms. Sparse bursty
 * series (disk writes: zeros, then bursts) then alarm on every burst
 * instead of learning their scale from the first: NAB disk_write 48.7 ->
 * -55, half A 69.6 -> 66.7. So the first change of a constant series sets
 * its scale and does not alarm; later changes are judged at that scale.
 * Also tried: a log scale for gauges whose warm-up was positive and
 * right-skewed (sample skewness over 1), chosen once when the warm-up
 * ends: half A 69.6 -> 68.7, half B 68.1 -> 66.3 (the skewed NAB series
 * are spiky: on the log scale their spikes shrink and their dips grow).
 *
 * Warm-up is counted in samples (metric_warmup, 60 by default), not time:
 * sampling intervals differ by orders of magnitude between sources.
 * After an anomaly ends, a hold-off of one end window (in samples) passes
 * before the next may open. An anomaly ends when the last window of
 * samples averages within 1 sd of the baseline; a shift that lasts
 * `rebaseline` becomes the new level. Onset is the maximum-likelihood
 * change point under the observed shift, searched in hindsight over the
 * last MET_HIST samples (as refine_gauss in detect.c). Baseline and peak
 * are shown in the metric's unit, the profile's offset at detection time
 * added back.
 *
 * Bounded memory: at most max_metrics_per_service metrics per service and
 * max_metrics in all (a new one past a cap is refused and counted as
 * metric_limit), MET_HIST samples of history each, and at most
 * MET_PEND_MAX samples waiting per metric (MET_PEND_TOTAL in all).
 */
#include "detect_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MET_K 1.5            /* CUSUM reference value, in sd */
#define MET_REL_FLOOR 0.01   /* smallest spread, relative to the level */
#define DAY_NS (86400 * FL_NS_PER_SEC)
#define SLOT_NS (DAY_NS / MET_SLOTS)
#define WEEK_NS (7 * DAY_NS)
#define WSLOT_NS (WEEK_NS / MET_WSLOTS)
#define MET_SEASON_RATE 0.25 /* profile EWMA weight per day of visits */
#define MET_SEASON_GAIN 0.7  /* profile in use below this share of error */
#define MET_RECORD_TAU (30 * DAY_NS) /* the record decays by e in 30 days */
#define MET_AC_CAP 0.15     /* largest lag-1 autocorrelation corrected for */
#define MET_AC_MIN 30        /* pairs learned before the correction applies */
#define MET_SP_K 0.9         /* spread CUSUM reference, in y (0.65 ln 4) */
#define MET_SP_WIN 1.5       /* its increments winsorised at 1.5 sd of y */
#define MET_SP_ZERO 0.1      /* judged only while under 10% of steps are 0 */
#define MET_SP_ARL 100       /* its false-alarm budget: 100 x the level's */
#define MET_SP_LEN 30        /* fewest samples of evidence for a spread alarm */
#define MET_SP_MIN 120       /* steps learned before the spread is judged */
#define MET_SP_SD_MIN 0.6931 /* smallest sd of y: ln 2 (see spread_step) */
#define MET_SP_FAST 30       /* memory of the open anomaly's spread, samples */

static int name_cmp(const char *a, size_t an, const char *b, size_t bn)
{
    size_t n = an < bn ? an : bn;
    int c = n ? memcmp(a, b, n) : 0;
    if (c)
        return c;
    return an < bn ? -1 : an > bn;
}

uint32_t fl_det_metric_find(const svc_state *s, fl_str name, bool *found)
{
    uint32_t lo = 0, hi = s->nmets;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        const metric *m = s->mets[mid];
        int c = name_cmp(m->name, m->len, name.p, name.n);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

metric *fl_det_metric_new(fl_detect *d, svc_state *s, fl_str name)
{
    bool found;
    uint32_t pos = fl_det_metric_find(s, name, &found);
    if (found)
        return s->mets[pos];
    if (s->nmets == s->mets_cap) {
        s->mets_cap = s->mets_cap ? s->mets_cap * 2 : 4;
        s->mets = fl_realloc(s->mets, s->mets_cap * sizeof *s->mets);
    }
    metric *m = fl_calloc(1, sizeof *m);
    m->name = fl_strndup(name.p, name.n);
    m->len = (uint32_t)name.n;
    fl_gauss_init(&m->g);
    m->al.state = FL_DET_WARMUP;
    m->al.fast = NAN;
    m->first_ts = m->last_ts = m->record_t = FL_TIME_NONE;
    m->sp_start = FL_TIME_NONE;
    m->ac_u = NAN;
    memmove(s->mets + pos + 1, s->mets + pos,
            (s->nmets - pos) * sizeof *s->mets);
    s->mets[pos] = m;
    s->nmets++;
    d->nmets++;
    return m;
}

void fl_det_metrics_free(svc_state *s)
{
    for (uint32_t i = 0; i < s->nmets; i++) {
        free(s->mets[i]->name);
        free(s->mets[i]->pend);
        free(s->mets[i]);
    }
    free(s->mets);
    s->mets = NULL;
    s->nmets = s->mets_cap = 0;
}

void fl_det_metrics_params(fl_detect *d)
{
    uint32_t mw = d->conf.metric_warmup > MIN_OBS ? d->conf.metric_warmup
                                                  : MIN_OBS;
    d->gp_met = (fl_gauss_params){MET_K, 0, 2.0 / (MET_MEMORY + 1.0), mw};
}

fl_gauss_params fl_det_metric_params(const fl_detect *d, const metric *m)
{
    fl_gauss_params p = d->gp_met;
    p.h = m->h;
    return p;
}

/* The mean interval between the samples fed so far (0 before two). */
static double interval(const metric *m)
{
    return m->g.nobs > 1 ? (double)(m->last_ts - m->first_ts) /
                               (double)(m->g.nobs - 1)
                         : 0;
}

/* The threshold for the metric's sampling interval, measured over its
 * warm-up: the false-alarm budget in time divided by the interval. */
static double metric_arl(const fl_detect *d, const metric *m)
{
    double dt = interval(m);
    if (!(dt > 0))
        dt = (double)d->conf.bucket; /* all at one instant: assume a bucket */
    double horizon = d->conf.arl_buckets > 0
                         ? d->conf.arl_buckets * (double)d->conf.bucket
                         : 60.0 * (double)DAY_NS;
    double arl = horizon / dt;
    if (arl < 100)
        arl = 100;
    if (arl > 1e9)
        arl = 1e9;
    return arl;
}

static double floor_sd(const metric *m)
{
    double f = MET_REL_FLOOR * fabs(m->g.mean);
    if (m->res > f)
        f = m->res;
    return f > 1e-12 ? f : 1e-12;
}

/* Autocorrelated residuals. The ARL formula (cusum.c) assumes independent
 * residuals; real metrics wander. For an AR(1) residual u_t = rho u_{t-1}
 * + e_t of unit variance, the CUSUM's increments z - k are correlated, and
 * over the n samples of an excursion their sum has variance about
 * n (1 + rho) / (1 - rho) (the long-run variance: 1 + 2 sum_j rho^j), not
 * n. The CUSUM behaves like one on i.i.d. residuals whose sd is
 * f = sqrt((1 + rho) / (1 - rho)), so at the threshold h of the i.i.d.
 * budget its in-control run length collapses (ARL0 is exponential in
 * h / f^2 under Siegmund's approximation). The correction: judge z / f,
 * i.e. scale the reference and the threshold by f (k f, h f) and compare
 * the record in units of z / f. The baseline itself (level, spread,
 * winsorisation) still uses the raw sd.
 *
 * rho must not learn from the change the CUSUM is looking for: a fresh
 * shift of d sd makes consecutive residuals positively correlated (their
 * product is about d^2), and an estimate that followed it would raise f,
 * and so h, before the alarm (the previous attempt, with rho learned at
 * the baseline's memory of 120 samples, missed 2 sd shifts). So rho is
 *   - learned only while in control: both CUSUM sides at zero before the
 *     sample, no anomaly open, no hold-off; a pair (u_{t-1}, u_t) counts
 *     only when both samples were in control;
 *   - slow: the average of the first pairs, then an EWMA with a memory of
 *     MET_AC_MEMORY samples (days at 1-5 min), so even pairs that slip
 *     through before a CUSUM leaves zero move it by about d^2 / 2000;
 *   - robust: residuals winsorised at MET_AC_WIN sd and centred (the
 *     correlation of u - mean(u), so a baseline biased against a skewed
 *     series is not read as correlation);
 *   - seeded during warm-up (residuals from the warm-up's running mean);
 *   - capped at MET_AC_CAP: wandering series (rho near 1) would otherwise
 *     make the detector blind; their slow movements are the EWMA
 *     baseline's and the record's business. NAB (bench/nab, both halves)
 *     improves for every cap from 0.1 to 0.175 (docs/DETECTION.md); 0.15
 *     is the middle of that plateau, f <= 1.16. */
static double ac_factor(const metric *m)
{
    if (m->ac_n < MET_AC_MIN)
        return 1;
    double v = m->ac_xx - m->ac_x * m->ac_x;
    if (!(v > 1e-12))
        return 1;
    double rho = (m->ac_xy - m->ac_x * m->ac_x) / v;
    if (!(rho > 0))
        return 1;
    if (rho > MET_AC_CAP)
        rho = MET_AC_CAP;
    return sqrt((1 + rho) / (1 - rho));
}

/* Learns the lag-1 autocorrelation from the residual of deseasonalised
 * sample xd against the baseline before it moves (sd with the floor fl);
 * `calm`: the sample is in control. */
static void ac_learn(metric *m, double xd, double fl, bool calm)
{
    double sd = sqrt(m->g.var + fl * fl);
    double u = (xd - m->g.mean) / (sd > 0 ? sd : 1e-12);
    if (!(u < MET_AC_WIN))
        u = u > 0 || isnan(u) ? MET_AC_WIN : -MET_AC_WIN;
    if (u < -MET_AC_WIN)
        u = -MET_AC_WIN;
    if (calm && !isnan(m->ac_u)) {
        double w = 1.0 / (m->ac_n + 1.0);
        if (w < 1.0 / MET_AC_MEMORY)
            w = 1.0 / MET_AC_MEMORY;
        m->ac_x += w * (u - m->ac_x);
        m->ac_xy += w * (u * m->ac_u - m->ac_xy);
        m->ac_xx += w * (u * u - m->ac_xx);
        if (m->ac_n < MET_AC_MEMORY)
            m->ac_n++;
    }
    m->ac_u = calm ? u : NAN;
}

/* ----------------------------------------------------------- anomalies */

static double hist_x(const metric *m, uint64_t i) { return m->hist_x[i % MET_HIST]; }
static fl_time hist_t(const metric *m, uint64_t i) { return m->hist_t[i % MET_HIST]; }

/* The oldest sample index still in the history. */
static uint64_t hist_lo(const metric *m)
{
    return m->seen > MET_HIST ? m->seen - MET_HIST : 0;
}

/* Onset in hindsight: tau maximising sum_{i >= tau} llr_i under the
 * observed shift delta (re-estimated once from [tau, now]), searched from
 * where the CUSUM left zero to the newest sample; ties to the latest. */
static uint64_t refine(const metric *m, uint64_t from, double mean)
{
    uint64_t to = m->seen - 1;
    if (from < hist_lo(m))
        from = hist_lo(m);
    uint64_t tau = from;
    for (int round = 0; round < 2; round++) {
        double sum = 0;
        for (uint64_t i = tau; i <= to; i++)
            sum += hist_x(m, i) - mean;
        double delta = sum / (double)(to - tau + 1);
        double acc = 0, best = -1e300;
        uint64_t arg = to;
        for (uint64_t i = to + 1; i-- > from;) {
            acc += delta * (hist_x(m, i) - mean - delta / 2);
            if (acc > best) {
                best = acc;
                arg = i;
            }
        }
        tau = arg;
    }
    return tau;
}

static void end_metric(fl_detect *d, metric *m, fl_time end)
{
    alarm *al = &m->al;
    if (end < al->a.onset)
        end = al->a.onset;
    al->a.end = end;
    al->state = FL_DET_NORMAL;
    m->g.sp = m->g.sn = 0;
    m->hold = d->win;
    m->sp_open = false;
    m->sp_s = 0;
    m->sp_len = 0;
    m->sp_start = FL_TIME_NONE;
    d->cb(d->ud, FL_ANOMALY_END, &al->a);
}

static void open_metric(fl_detect *d, int32_t id, metric *m, bool up,
                        int64_t b, double z, double s_now)
{
    fl_time start = up ? m->g.sp_start : m->g.sn_start;
    uint64_t from = m->seen - 1;
    while (from > hist_lo(m) && start != FL_TIME_NONE &&
           hist_t(m, from - 1) >= start)
        from--;
    uint64_t tau = refine(m, from, m->g.mean);
    double sum = 0;
    for (uint64_t i = tau; i < m->seen; i++)
        sum += hist_x(m, i);
    double lvl = sum / (double)(m->seen - tau);

    alarm *al = &m->al;
    fl_anomaly *a = &al->a;
    memset(a, 0, sizeof *a);
    a->seq = d->seq++;
    a->service = id;
    a->signal = FL_SIG_METRIC;
    memcpy(a->metric, m->name, m->len + 1);
    a->dir = up ? FL_DIR_UP : FL_DIR_DOWN;
    fl_time w = d->conf.bucket;
    a->onset = hist_t(m, tau);
    a->detected = (b + 1) * w;
    if (a->onset > a->detected)
        a->onset = a->detected;
    a->end = FL_TIME_NONE;
    a->baseline = m->g.mean + s_now;
    a->peak = lvl + s_now;
    a->peak_at = m->last_ts;
    a->severity = fabs(z);
    for (int i = 0; i < FL_BLAME_MAX; i++)
        a->blame[i].service = -1;
    al->state = FL_DET_ALARM;
    al->win_n = al->win_pos = 0;
    al->fast = lvl;
    d->cb(d->ud, FL_ANOMALY_OPEN, a);
}

static uint32_t slot_of(fl_time t)
{
    fl_time tod = t % DAY_NS;
    if (tod < 0)
        tod += DAY_NS;
    return (uint32_t)(tod / SLOT_NS);
}

static uint32_t wslot_of(fl_time t)
{
    fl_time tow = t % WEEK_NS;
    if (tow < 0)
        tow += WEEK_NS;
    return (uint32_t)(tow / WSLOT_NS);
}

/* The weekly profile's learned offset for time t (in use or not). */
static double week_learned(const metric *m, fl_time t)
{
    uint32_t h = wslot_of(t);
    return m->week_n[h] ? m->week[h] : 0;
}

/* The profiles' offset for time t (0 until a profile is in use). */
static double season_at(const metric *m, fl_time t)
{
    uint32_t k = slot_of(t);
    double s = m->seasonal && m->season_n[k] ? m->season[k] : 0;
    return m->weekly ? s + week_learned(m, t) : s;
}

/* One profile slot (daily or weekly) learns residual r from its offset
 * off: winsorised at lim, the average of the slot's first visits, then an
 * EWMA moving MET_SEASON_RATE per period of visits whatever the sampling
 * interval dt (slot_ns: the slot's width); the new offset goes to
 * *off_out, and *n counts visits, saturating. */
static void profile_slot_learn(float *off_out, uint8_t *n, double off,
                               double r, double lim, double dt, fl_time slot_ns)
{
    if (r > lim)
        r = lim;
    if (r < -lim)
        r = -lim;
    double per_visit = MET_SEASON_RATE * dt / (double)slot_ns;
    if (!(per_visit < MET_SEASON_RATE))
        per_visit = MET_SEASON_RATE;
    double gma = *n < 255 ? 1.0 / (*n + 1) : 0;
    if (gma < per_visit)
        gma = per_visit;
    *off_out = (float)(off + gma * r);
    if (*n < 255)
        (*n)++;
}

/* The weekly profile (hour of the week): what the daily profile
 * leaves (rd, the sample less the slow level and the day's offset),
 * learned per hour of the week as the daily offsets are (the average
 * of the first visits, then MET_SEASON_RATE per week of visits, winsorised
 * at lim). Weekends and office hours differ from the average day in
 * traffic, queue and utilisation series; with the daily profile alone
 * every Saturday is a drop. It is added to the daily profile, for good,
 * once that is in use, two weeks have been seen (every slot visited, then
 * predicted once) and its squared prediction error, averaged over about a
 * week, is under MET_SEASON_GAIN of the daily profile's alone. In use, the
 * daily offsets and the slow level learn from the sample less the week's
 * offset. Tried and dropped: a weekly profile replacing the daily one
 * (offsets from the slow level, interpolated between half-hour slots):
 * NAB half A 69.6 -> 66.5 (a road-traffic series took it up and got
 * worse), half B unchanged. Known weakness: the daily offsets learn faster
 * than the weekly ones and absorb part of each weekend while the weekly
 * profile is not in use, so a weekend whose daily shape differs (not just
 * its level) can still alarm in the first weeks. */
static void week_learn(metric *m, fl_time t, double rd, double lim, double dt)
{
    uint32_t h = wslot_of(t);
    double off = m->week_n[h] ? m->week[h] : 0;
    if (!m->weekly) {
        double aw = dt > 0 ? dt / (double)WEEK_NS : 0;
        if (aw < 1.0 / (double)m->seen)
            aw = 1.0 / (double)m->seen;
        if (aw > 1)
            aw = 1;
        m->ms_d += aw * (rd * rd - m->ms_d);
        m->ms_w += aw * ((rd - off) * (rd - off) - m->ms_w);
    }
    profile_slot_learn(&m->week[h], &m->week_n[h], off, rd - off, lim, dt,
                       WSLOT_NS);
    if (!m->weekly && m->seasonal && t - m->first_ts >= 2 * WEEK_NS &&
        m->ms_w < MET_SEASON_GAIN * m->ms_d)
        m->weekly = true;
}

/* Learns the daily profile from sample x at t. Offsets are measured from
 * a slow level (an EWMA of the deseasonalised samples with a time constant
 * of a day, so it is the daily mean, not the hour's): each slot's offset
 * is the average of its first visits, then an EWMA that moves by
 * MET_SEASON_RATE per day of visits whatever the sampling rate, residuals
 * winsorised at 3 sd. It keeps learning through anomalies (what happens at
 * this time every day is not an anomaly; a one-off leaks into its slot at
 * a quarter of its size). The profile is put to use, for good, once it has
 * seen a day and a half and its squared prediction error (slow level plus
 * offset) is under MET_SEASON_GAIN of the recent level's alone (an EWMA of
 * x with the baseline's memory). */
static void season_learn(const fl_detect *d, metric *m, fl_time t, double x)
{
    uint32_t k = slot_of(t);
    double off = m->season_n[k] ? m->season[k] : 0;
    double dt = interval(m);
    double as = dt > 0 ? dt / (double)DAY_NS : 0;
    if (as < 1.0 / (double)m->seen)
        as = 1.0 / (double)m->seen; /* the mean of the first samples */
    if (as > 1)
        as = 1;
    double wk = m->weekly ? week_learned(m, t) : 0;
    m->lvl_s += as * (x - off - wk - m->lvl_s);
    double e = x - m->lvl_s - wk;
    if (!m->seasonal) {
        double a = d->gp_met.alpha;
        double ep = x - m->lvl_p;
        double es = m->season_n[k] ? e - off : ep;
        if (m->seen == 1) {
            m->lvl_p = x;
            ep = 0;
        }
        m->lvl_p += a * ep;
        m->ms_p += a * (ep * ep - m->ms_p);
        m->ms_s += a * (es * es - m->ms_s);
    }
    double sd = sqrt(m->g.var + floor_sd(m) * floor_sd(m));
    double lim = 3 * (m->ms_p > sd * sd ? sqrt(m->ms_p) : sd);
    profile_slot_learn(&m->season[k], &m->season_n[k], off, e - off, lim, dt,
                       SLOT_NS);
    if (!m->seasonal && t - m->first_ts >= DAY_NS + DAY_NS / 2 &&
        m->ms_s < MET_SEASON_GAIN * m->ms_p)
        m->seasonal = true;
    week_learn(m, t, e + wk - off, lim, dt);
}

/* ------------------------------------------------------------ counters */

/* Whether the samples of the first warm-up (all still in the history,
 * when it holds them) never fell and rose on at least 90% of the steps: a
 * monotone counter (bytes sent, requests served: Prometheus `*_total`,
 * Telegraf's net and disk counters) rather than a gauge. */
static bool looks_like_counter(const metric *m)
{
    uint64_t n = m->seen < MET_HIST ? m->seen : MET_HIST;
    if (n < 3 || m->seasonal)
        return false;
    uint64_t up = 0;
    for (uint64_t i = m->seen - n + 1; i < m->seen; i++) {
        double st = hist_x(m, i) - hist_x(m, i - 1);
        if (st < 0)
            return false;
        up += st > 0;
    }
    return up * 10 >= (n - 1) * 9;
}

/* Starts the metric's learning over (a new warm-up) from time t. */
static void relearn(metric *m, fl_time t)
{
    fl_gauss_init(&m->g);
    m->al.state = FL_DET_WARMUP;
    m->h = m->res = m->record = 0;
    m->record_t = FL_TIME_NONE;
    m->hold = 0;
    m->seen = 0;
    m->seasonal = false;
    m->lvl_s = m->lvl_p = m->ms_p = m->ms_s = 0;
    memset(m->season, 0, sizeof m->season);
    memset(m->season_n, 0, sizeof m->season_n);
    m->weekly = false;
    m->ms_d = m->ms_w = 0;
    memset(m->week, 0, sizeof m->week);
    memset(m->week_n, 0, sizeof m->week_n);
    m->ac_u = NAN;
    m->ac_xy = m->ac_xx = m->ac_x = 0;
    m->ac_n = 0;
    m->sp_l = m->sp_ll = m->sp_ly = m->sp_zero = 0;
    m->sp_m = m->sp_v = m->sp_s = m->sp_h = m->sp_record = m->sp_fast = 0;
    m->sp_n = m->sp_len = 0;
    m->sp_start = FL_TIME_NONE;
    m->sp_open = false;
    m->first_ts = m->last_ts = t;
}

/* ------------------------------------------------------------- spread */

/* A change of spread at the same level (a flapping dependency, a noisy
 * neighbour, retries that make a latency gauge jitter). The level CUSUM
 * barely sees it: the residuals keep their mean and the EWMA variance
 * (memory 120, winsorised) absorbs it within about a hundred samples. The
 * spread detector judges
 *
 *   y_t = ln (x_t - x_{t-1})^2   (deseasonalised samples)
 *
 * - the step, not the residual from the level: a level shift moves one
 *   step only, a slow drift or a lagging baseline none, so y sees the
 *   spread alone (for i.i.d. samples the step has twice their variance,
 *   for AR(1) 2 (1 - rho) times: a constant either way);
 * - the log: for any scale family a doubled sd shifts y by exactly ln 4
 *   whatever the law, and the log tames heavy tails (a 10 sd burst adds
 *   ln 100 = 4.6 to y, not 100 to z^2: the likelihood-ratio CUSUM on z^2
 *   tried before was driven by bursts and cost NAB 16 points on half A).
 *   For Gaussian samples y is ln chi-square(1) plus a constant: sd
 *   pi / sqrt 2 = 2.22, a right tail lighter than Gaussian (so Siegmund's
 *   ARL, which assumes Gaussian increments, is conservative for the upper
 *   CUSUM) and a heavy left tail (near-zero steps) that only pulls the
 *   statistic back to zero. Steps under half the resolution count as half
 *   the resolution;
 * - relative to the level: how the spread scales with the level is learned
 *   as the slope p in [0, 1] of y on l = ln level^2 (0 a constant spread,
 *   1/2 Poisson counts, 1 a constant relative spread), so a busier hour's
 *   wider spread is not a change; y is judged less p (l - mean l);
 * - learned, not assumed: mean and variance of y (Poisson, quantised and
 *   autocorrelated series have other laws than the Gaussian's) are the
 *   average of the first steps, then an EWMA with a memory of
 *   MET_SP_MEMORY samples, held while the statistic is past half its
 *   threshold or an anomaly is open, seeded during warm-up; the sd is at
 *   least ln 2, so a doubling is never more than 2 sd of y;
 * - one-sided CUSUM (only a rise: a calmer series is rarely an outage) on
 *   w = (y - mean) / sd winsorised at MET_SP_WIN = 1.5 (bounded
 *   influence: a burst of a few huge steps is the level detector's
 *   business, a spread change is many moderately larger steps), with the
 *   reference MET_SP_K = 0.9 in y (0.65 of the ln 4 of a doubling, so a
 *   spread wider by 1.6x or less does not accumulate) and h from
 *   Siegmund's ARL for k = 0.9 / sd at MET_SP_ARL = 100 times the level's
 *   budget (so on i.i.d. data it adds at most 1% to its false alarms;
 *   NAB: 10 times cost half A 0.4 points, 100 times none on either half);
 * - an alarm also needs MET_SP_LEN = 30 samples since the statistic left
 *   zero (spread is a property of many samples) and must beat its own
 *   record (the largest statistic reached, decaying as the level's):
 *   real series have in-control spread excursions beyond the formula's,
 *   and the record calibrates on the metric itself;
 * - not judged while 10% or more of the steps are zero (MET_SP_ZERO):
 *   sparse and zero-inflated series (zeros with bursts) have no scale
 *   family for y to shift in; their bursts are spread excursions by
 *   construction.
 *
 * For Gaussian samples the winsorised drift of a doubling over k / sd is
 * about 0.1 to 0.2 a sample: delays of 50 to 470 samples at the default
 * budget (test_metric_props.c, spread_change). A spread anomaly is
 * reported like a level one (signal metric, onset where the statistic
 * left zero, baseline the level, peak the sample farthest from it on the
 * side of the first, severity the largest |z|); the level keeps learning
 * and being judged meanwhile (a level alarm ends the spread anomaly and
 * opens its own). It ends when its recent excess of y (an EWMA with a
 * memory of MET_SP_FAST samples) is back under ln 2 (half a doubling);
 * a spread that stays wide for `rebaseline` becomes the new normal (the
 * mean of y moves by that excess; the level's EWMA variance has followed
 * meanwhile). NAB (standard, both halves) and what was tried on the way:
 * docs/DETECTION.md. */
static bool spread_step(const metric *m, double *y, bool *zero)
{
    if (m->seen < 2 || !(m->res > 0))
        return false;
    double dx = hist_x(m, m->seen - 1) - hist_x(m, m->seen - 2);
    double d2 = dx * dx, lo = 0.25 * m->res * m->res;
    *zero = !(d2 > lo);
    *y = log(d2 > lo ? d2 : lo);
    return isfinite(*y);
}

/* l = ln level^2 for a positive level (the prediction of the sample),
 * else the mean l learned so far (no leverage). */
static double spread_l(const metric *m, double pred)
{
    return pred > 0 && pred > m->res ? 2 * log(pred) : m->sp_l;
}

/* How the spread scales with the level: the slope p of y on l, in [0, 1]
 * (0 homoscedastic, 1/2 Poisson, 1 a constant relative spread). */
static double spread_slope(const metric *m)
{
    if (!(m->sp_ll > 1e-6))
        return 0;
    double p = m->sp_ly / m->sp_ll;
    return p > 0 ? (p < 1 ? p : 1) : 0;
}

/* The expected y at level-term l. */
static double spread_mean(const metric *m, double l)
{
    return m->sp_m + spread_slope(m) * (l - m->sp_l);
}

static double spread_sd(const metric *m)
{
    double sd = sqrt(m->sp_v);
    return sd > MET_SP_SD_MIN ? sd : MET_SP_SD_MIN;
}

static void spread_learn(metric *m, double y, double l, bool zero)
{
    if (m->sp_n == 0) {
        m->sp_m = y;
        m->sp_l = l;
        m->sp_v = m->sp_ll = m->sp_ly = 0;
    } else {
        double w = 1.0 / (m->sp_n + 1.0);
        if (w < 1.0 / MET_SP_MEMORY)
            w = 1.0 / MET_SP_MEMORY;
        double r = y - spread_mean(m, l);
        double ey = y - m->sp_m, el = l - m->sp_l;
        m->sp_m += w * ey;
        m->sp_l += w * el;
        m->sp_ll += w * (el * (l - m->sp_l) - m->sp_ll);
        m->sp_ly += w * (ey * (l - m->sp_l) - m->sp_ly);
        m->sp_v += w * (r * r - m->sp_v);
    }
    double wz = 1.0 / (m->sp_n + 1.0);
    if (wz < 1.0 / MET_SP_MEMORY)
        wz = 1.0 / MET_SP_MEMORY;
    m->sp_zero += wz * ((zero ? 1.0 : 0.0) - m->sp_zero);
    if (m->sp_n < MET_SP_MEMORY)
        m->sp_n++;
}

/* The spread CUSUM's threshold: its reference is ln 2 in y, k = ln 2 / sd
 * in units of the sd of y, and h follows from the ARL budget for that k
 * (recomputed as the learned sd moves). */
static double spread_h(const metric *m)
{
    return fl_cusum_h_for_arl(MET_SP_K / spread_sd(m), m->sp_h);
}

/* Opens a spread anomaly at sample xd (deseasonalised), z its residual. */
static void open_spread(fl_detect *d, int32_t id, metric *m, int64_t b,
                        double xd, double z, double s_now)
{
    alarm *al = &m->al;
    fl_anomaly *a = &al->a;
    memset(a, 0, sizeof *a);
    a->seq = d->seq++;
    a->service = id;
    a->signal = FL_SIG_METRIC;
    memcpy(a->metric, m->name, m->len + 1);
    a->dir = xd >= m->g.mean ? FL_DIR_UP : FL_DIR_DOWN;
    a->detected = (b + 1) * d->conf.bucket;
    a->onset = m->sp_start != FL_TIME_NONE && m->sp_start < a->detected
                   ? m->sp_start
                   : a->detected;
    a->end = FL_TIME_NONE;
    a->baseline = m->g.mean + s_now;
    a->peak = xd + s_now;
    a->peak_at = m->last_ts;
    a->severity = fabs(z);
    for (int i = 0; i < FL_BLAME_MAX; i++)
        a->blame[i].service = -1;
    al->state = FL_DET_ALARM;
    al->win_n = al->win_pos = 0;
    al->fast = xd;
    m->sp_open = true;
    /* the average excess of y over the excursion */
    m->sp_fast = spread_sd(m) * m->sp_s / (m->sp_len ? m->sp_len : 1) +
                 MET_SP_K;
    m->sp_len = 0;
    d->cb(d->ud, FL_ANOMALY_OPEN, a);
}

/* One sample while a spread anomaly is open (y valid when have_y). */
static void spread_open_step(fl_detect *d, metric *m, fl_time t, int64_t b,
                             double xd, double z, double s_now, bool have_y,
                             double y)
{
    fl_anomaly *a = &m->al.a;
    double shown = xd + s_now;
    bool up = a->dir == FL_DIR_UP;
    if ((up && shown > a->peak) || (!up && shown < a->peak)) {
        a->peak = shown;
        a->peak_at = t;
        d->cb(d->ud, FL_ANOMALY_UPDATE, a);
    }
    if (fabs(z) > a->severity)
        a->severity = fabs(z);
    if (!have_y)
        return;
    m->sp_fast += (y - m->sp_m - m->sp_fast) / MET_SP_FAST;
    if (m->sp_len < UINT32_MAX)
        m->sp_len++;
    if (m->sp_len < MET_SP_LEN)
        return;
    if (m->sp_fast < 0.5 * log(4.0)) {
        end_metric(d, m, t);
        return;
    }
    if ((b + 1) * d->conf.bucket - a->detected >= d->conf.rebaseline) {
        /* the wider spread has lasted: it is the new normal */
        m->sp_m += m->sp_fast;
        end_metric(d, m, (b + 1) * d->conf.bucket);
        m->hold = 0;
    }
}

static void feed(fl_detect *d, int32_t id, metric *m, fl_time t, double x,
                 int64_t b);

/* One sample, in time order, while bucket b closes. A counter is judged by
 * its rate per second between consecutive samples: its raw value only
 * climbs, and a climb is neither a drift nor an anomaly. A fall to at most
 * half its last value is a reset (the process restarted and counts from
 * zero): no rate for that step, the next counts from the new value. Any
 * smaller fall proves the series is not a counter after all (a gauge that
 * happened to rise through its whole warm-up): it becomes a gauge for good
 * and learns again from this sample. The choice is made once, when the
 * first warm-up ends; a counter then warms up again on its rates. */
static void observe(fl_detect *d, int32_t id, metric *m, fl_time t, double x,
                    int64_t b)
{
    if (m->kind == MET_COUNTER) {
        double prev = m->last_x;
        fl_time pt = m->last_ts;
        if (t <= pt)
            return; /* a second sample at one instant: no rate */
        if (x >= prev) {
            double rate = (x - prev) / ((double)(t - pt) / (double)FL_NS_PER_SEC);
            feed(d, id, m, t, rate, b);
            m->last_x = x;
            return;
        }
        if (x <= prev / 2) {
            m->last_x = x; /* reset */
            m->last_ts = t;
            return;
        }
        if (m->al.state == FL_DET_ALARM)
            end_metric(d, m, pt);
        m->kind = MET_GAUGE;
        relearn(m, t);
    }
    feed(d, id, m, t, x, b);
}

static void feed(fl_detect *d, int32_t id, metric *m, fl_time t, double x,
                 int64_t b)
{
    if (m->seen && m->kind != MET_COUNTER) {
        double step = fabs(x - m->last_x);
        if (step > 0 && (m->res == 0 || step < m->res))
            m->res = step;
    }
    m->last_x = x;
    double s_now = season_at(m, t);
    double xd = x - s_now;
    m->hist_t[m->seen % MET_HIST] = t;
    m->hist_x[m->seen % MET_HIST] = xd;
    m->seen++;
    if (m->first_ts == FL_TIME_NONE)
        m->first_ts = t;
    m->last_ts = t;

    alarm *al = &m->al;
    bool in_alarm = al->state == FL_DET_ALARM;
    fl_gauss_params gp = fl_det_metric_params(d, m);
    double fl = floor_sd(m);
    bool warm = al->state == FL_DET_WARMUP;
    bool calm = !in_alarm && m->hold == 0 && m->g.sp <= 0 && m->g.sn <= 0;
    double f = warm ? 1 : ac_factor(m); /* the long-run sd factor */
    ac_learn(m, xd, fl, calm && m->g.nobs > 1);
    gp.k *= f;
    gp.h *= f;
    double z;
    fl_cusum_result r = fl_gauss_update(&m->g, &gp, xd, fl, t,
                                        in_alarm && !m->sp_open, &z);
    double y = 0;
    bool zstep = false;
    bool have_y = spread_step(m, &y, &zstep);
    double sl = spread_l(m, m->g.mean + s_now);
    if (have_y) /* y relative to what the level predicts for it */
        y -= spread_mean(m, sl) - m->sp_m;
    if (have_y && !in_alarm && !warm && m->sp_n >= MET_SP_MIN &&
        m->sp_zero < MET_SP_ZERO) {
        double wz = (y - m->sp_m) / spread_sd(m);
        if (wz > MET_SP_WIN)
            wz = MET_SP_WIN;
        m->sp_s += wz - MET_SP_K / spread_sd(m);
        if (m->sp_s <= 0) {
            m->sp_s = 0;
            m->sp_len = 0;
            m->sp_start = FL_TIME_NONE;
        } else {
            if (m->sp_start == FL_TIME_NONE)
                m->sp_start = t;
            if (m->sp_len < UINT32_MAX)
                m->sp_len++;
        }
    }
    double sp_h = m->sp_s > 0 ? spread_h(m) : 0;
    if (have_y && !in_alarm && !(m->sp_s > 0.5 * sp_h))
        spread_learn(m, y + spread_mean(m, sl) - m->sp_m, sl, zstep);
    season_learn(d, m, t, x);
    if (al->state == FL_DET_WARMUP) {
        if (fl_gauss_warm(&m->g, &gp)) {
            if (m->kind == MET_UNDECIDED) {
                m->kind = looks_like_counter(m) ? MET_COUNTER : MET_GAUGE;
                if (m->kind == MET_COUNTER) {
                    relearn(m, t);
                    return;
                }
            }
            double arl = metric_arl(d, m);
            m->h = fl_cusum_h_for_arl(d->gp_met.k, arl);
            m->sp_h = MET_SP_ARL * arl;
            al->state = FL_DET_NORMAL;
            m->g.sp = m->g.sn = 0;
        }
        return;
    }
    if (!in_alarm || m->sp_open) {
        if (!in_alarm && m->hold) {
            m->hold--;
            m->g.sp = m->g.sn = 0;
            m->sp_s = 0;
            m->sp_len = 0;
            m->sp_start = FL_TIME_NONE;
            return;
        }
        /* the record: an alarm must also beat the largest statistic this
         * metric has reached (decaying over MET_RECORD_TAU), in units of
         * z / f like the threshold */
        double stat = (m->g.sp > m->g.sn ? m->g.sp : m->g.sn) / f;
        if (m->record_t != FL_TIME_NONE && t > m->record_t) {
            double decay = exp(-(double)(t - m->record_t) /
                               (double)MET_RECORD_TAU);
            m->record *= decay;
            m->sp_record *= decay;
        }
        m->record_t = t;
        bool beats = stat > m->record;
        if (beats)
            m->record = stat;
        bool sp_beats = !in_alarm && m->sp_s > m->sp_record;
        if (sp_beats)
            m->sp_record = m->sp_s;
        if (r != FL_CUSUM_NONE && beats) {
            /* a level shift during a spread anomaly: the level's own */
            if (m->sp_open) {
                end_metric(d, m, t);
                m->hold = 0;
            }
            open_metric(d, id, m, r == FL_CUSUM_UP, b, z, s_now);
        } else if (sp_beats && m->sp_s > sp_h && m->sp_len >= MET_SP_LEN) {
            open_spread(d, id, m, b, xd, z, s_now);
        } else if (m->sp_open) {
            spread_open_step(d, m, t, b, xd, z, s_now, have_y, y);
        }
        return;
    }
    fl_anomaly *a = &al->a;
    bool up = a->dir == FL_DIR_UP;
    al->fast = isnan(al->fast) ? xd : al->fast + 0.3 * (xd - al->fast);
    double shown = al->fast + s_now;
    if ((up && shown > a->peak) || (!up && shown < a->peak)) {
        a->peak = shown;
        a->peak_at = t;
        if (fabs(z) > a->severity)
            a->severity = fabs(z);
        d->cb(d->ud, FL_ANOMALY_UPDATE, a);
    }
    fl_time w = d->conf.bucket;
    if (fl_det_window_normal(d, al, z, up)) {
        uint64_t back = d->win <= m->seen ? m->seen - d->win : 0;
        end_metric(d, m, back >= hist_lo(m) ? hist_t(m, back) : t);
        return;
    }
    if ((b + 1) * w - a->detected >= d->conf.rebaseline &&
        al->win_n >= d->win) {
        /* the shift has lasted: it is the new normal */
        m->g.mean = al->fast;
        end_metric(d, m, (b + 1) * w);
        m->hold = 0;
    }
}

/* ------------------------------------------------------------- buckets */

static void pend_pop(fl_detect *d, metric *m, uint32_t n)
{
    m->pend_head += n;
    d->npend -= n;
    if (m->pend_head == m->npend) {
        m->pend_head = m->npend = 0;
    } else if (m->pend_head > m->npend / 2) {
        memmove(m->pend, m->pend + m->pend_head,
                (m->npend - m->pend_head) * sizeof *m->pend);
        m->npend -= m->pend_head;
        m->pend_head = 0;
    }
}

void fl_det_metrics_close(fl_detect *d, int32_t id, svc_state *s, int64_t b)
{
    fl_time w = d->conf.bucket;
    for (uint32_t i = 0; i < s->nmets; i++) {
        metric *m = s->mets[i];
        uint32_t k = m->pend_head;
        while (k < m->npend && fl_det_bucket(d, m->pend[k].ts) <= b) {
            observe(d, id, m, m->pend[k].ts, m->pend[k].x, b);
            k++;
        }
        uint32_t fed = k - m->pend_head;
        if (fed) {
            pend_pop(d, m, fed);
        } else if (m->al.state == FL_DET_ALARM && m->last_ts != FL_TIME_NONE &&
                   (b + 1) * w - m->last_ts > d->conf.max_gap) {
            /* silent while anomalous: the anomaly ends where data stopped */
            end_metric(d, m, m->last_ts);
        }
    }
}

void fl_det_metrics_gap(fl_detect *d, int32_t id, svc_state *s, int64_t to)
{
    (void)id;
    fl_time end = (d->closed_upto + 1) * d->conf.bucket;
    for (uint32_t i = 0; i < s->nmets; i++) {
        metric *m = s->mets[i];
        if (m->al.state == FL_DET_ALARM)
            end_metric(d, m, m->last_ts != FL_TIME_NONE && m->last_ts < end
                                 ? m->last_ts
                                 : end);
        m->g.sp = m->g.sn = 0;
        m->hold = 0;
        m->sp_s = 0;
        m->sp_len = 0;
        m->sp_start = FL_TIME_NONE;
        uint32_t k = m->pend_head;
        while (k < m->npend && fl_det_bucket(d, m->pend[k].ts) <= to)
            k++;
        if (k > m->pend_head)
            pend_pop(d, m, k - m->pend_head);
    }
}

int64_t fl_det_metrics_next(const fl_detect *d, const svc_state *s)
{
    int64_t best = INT64_MAX;
    for (uint32_t i = 0; i < s->nmets; i++) {
        const metric *m = s->mets[i];
        if (m->pend_head < m->npend) {
            int64_t b = fl_det_bucket(d, m->pend[m->pend_head].ts);
            if (b < best)
                best = b;
        }
    }
    return best;
}

/* ---------------------------------------------------------------- input */

bool fl_detect_metric(fl_detect *d, int32_t id, const fl_event *ev,
                      fl_bad_reason *why)
{
    fl_str name = ev->metric;
    if (name.n == 0 || name.n > FL_METRIC_NAME_MAX || !name.p ||
        memchr(name.p, '\0', name.n) || !isfinite(ev->value)) {
        *why = FL_BAD_VALUE;
        return false;
    }
    int64_t b = fl_det_bucket(d, ev->ts);
    if (!fl_det_admit(d, b, why))
        return false;
    svc_state *s = fl_det_svc(d, id);
    bool found;
    uint32_t pos = fl_det_metric_find(s, name, &found);
    metric *m;
    if (found) {
        m = s->mets[pos];
    } else {
        if (s->nmets >= d->conf.max_metrics_per_service ||
            d->nmets >= d->conf.max_metrics) {
            *why = FL_BAD_METRIC_LIMIT;
            return false;
        }
        m = fl_det_metric_new(d, s, name);
    }
    if (m->npend - m->pend_head >= MET_PEND_MAX || d->npend >= MET_PEND_TOTAL) {
        *why = FL_BAD_METRIC_LIMIT;
        return false;
    }
    if (m->npend == m->pend_cap) {
        if (m->pend_head) {
            memmove(m->pend, m->pend + m->pend_head,
                    (m->npend - m->pend_head) * sizeof *m->pend);
            m->npend -= m->pend_head;
            m->pend_head = 0;
        } else {
            m->pend_cap = m->pend_cap ? m->pend_cap * 2 : 8;
            m->pend = fl_realloc(m->pend, m->pend_cap * sizeof *m->pend);
        }
    }
    /* sorted by (time, value); arrivals are nearly in order */
    uint32_t j = m->npend;
    while (j > m->pend_head &&
           (m->pend[j - 1].ts > ev->ts ||
            (m->pend[j - 1].ts == ev->ts && m->pend[j - 1].x > ev->value)))
        j--;
    memmove(m->pend + j + 1, m->pend + j, (m->npend - j) * sizeof *m->pend);
    m->pend[j] = (msample){ev->ts, ev->value};
    m->npend++;
    d->npend++;
    return true;
}
