/* test_metric_props.c - properties of the metric detector (detect/metric.c)
 * through the public interface (fl_detect_advance + fl_detect_metric), on
 * seeded synthetic series:
 *   - average run length: on long stationary series (i.i.d. Gaussian,
 *     log-normal, Poisson) the false alarms per N samples stay within the
 *     bound the configured ARL implies (two sides: N / ARL each);
 *   - detection delay: a level shift of k sd, k in {2, 3, 5}, up and down,
 *     is detected within a bound derived from the CUSUM's drift (k - 1.5)
 *     per sample, and the onset lands at the shift;
 *   - autocorrelation: the residuals' lag-1 correlation is learned on
 *     AR(1) series and a fresh shift does not raise it; AR(1) series stay
 *     within the false-alarm budget and still detect a large shift;
 *   - production behaviours: a slow drift the baseline can follow does not
 *     alarm and a steep one does not alarm repeatedly; a daily cycle that
 *     stops alarms; a weekly rhythm is learned; a level shift that lasts
 *     alarms once and then is the new normal; a counter that resets is not
 *     an incident storm, and a gauge that merely rose through its warm-up
 *     is not taken for one; a constant series raises nothing (its first
 *     change sets its scale), a later change of four steps alarms once;
 *     every anomaly carries its severity.
 *   - spread: a doubled or tripled spread at the same mean is detected
 *     within a bound derived from the spread CUSUM's drift, and a spread
 *     that stays doubled becomes the new normal (metric.c, spread_step);
 *     the run-length tests above bound level and spread alarms together. */
#define _POSIX_C_SOURCE 200809L
#include "../../detect/fl_detect.h"
#include "unit.h"

#include <math.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEC FL_NS_PER_SEC
#define MIN (60 * SEC)
#define HOUR (60 * MIN)
#define DAY (24 * HOUR)
#define T0 ((fl_time)1710028800 * SEC) /* 2024-03-10T00:00:00Z */
#define STEP (10 * SEC)                /* one sample per default bucket */

typedef struct {
    int opens, ends;
    fl_anomaly first;
    fl_anomaly last_open;
    double min_sev;
} pcap;

static void on_anom(void *ud, fl_anomaly_event what, const fl_anomaly *a)
{
    pcap *c = ud;
    if (!a)
        return;
    if (what == FL_ANOMALY_OPEN) {
        if (getenv("UNIT_VERBOSE"))
            printf("      open %s detected %+.0f min\n",
                   a->dir == FL_DIR_UP ? "up" : "down",
                   (double)(a->detected - T0) / (double)MIN);
        if (!c->opens)
            c->first = *a;
        c->last_open = *a;
        if (c->opens == 0 || a->severity < c->min_sev)
            c->min_sev = a->severity;
        c->opens++;
    } else if (what == FL_ANOMALY_END) {
        c->ends++;
    }
}

static fl_detect *det(pcap *c, uint32_t arl_buckets)
{
    fl_detect_conf conf;
    fl_detect_conf_default(&conf);
    conf.arl_buckets = arl_buckets;
    memset(c, 0, sizeof *c);
    return fl_detect_new(&conf, on_anom, c);
}

static void put(fl_detect *d, fl_time ts, double v)
{
    fl_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = FL_EV_METRIC;
    ev.ts = ts;
    ev.service = fl_str_c("svc");
    ev.metric = fl_str_c("m");
    ev.value = v;
    ev.latency_ms = NAN;
    fl_bad_reason why;
    fl_detect_advance(d, ts);
    fl_detect_metric(d, 0, &ev, &why);
}

static double poisson(unit_rng *r, double lambda)
{
    double l = exp(-lambda), p = 1;
    int k = 0;
    do {
        k++;
        p *= unit_rng_unif(r);
    } while (p > l);
    return k - 1;
}

/* ------------------------------------------------------- run length */

#define ARL_N 100000
#define ARL 2000 /* samples per side: arl_buckets at one sample a bucket */

/* Alarms on ARL_N stationary samples of kind 0 (Gaussian), 1 (log-normal,
 * sigma 1: strongly skewed) or 2 (Poisson, mean 3: small counts). */
static int stationary_alarms(int kind, uint64_t seed)
{
    pcap c;
    fl_detect *d = det(&c, ARL);
    unit_rng rng;
    unit_rng_seed(&rng, seed);
    fl_time t = T0;
    for (int i = 0; i < ARL_N; i++, t += STEP) {
        double v = kind == 0   ? 50 + 5 * unit_rng_norm(&rng)
                   : kind == 1 ? 10 * exp(unit_rng_norm(&rng))
                               : poisson(&rng, 3);
        put(d, t, v);
    }
    fl_detect_flush(d);
    fl_detect_destroy(d);
    return c.opens;
}

/* With ARL0 = 2000 samples per side the CUSUM alone would raise about
 * 2 * N / ARL0 = 100 false alarms in N = 100,000 samples (Siegmund's
 * formula is for Gaussian residuals; skewed and discrete ones are not
 * covered by it, hence the same bound, not a tighter one). The detector
 * must stay within that; it stays far below it, because an alarm must also
 * beat the metric's record statistic. */
static void run_length(void)
{
    const char *names[] = {"gaussian", "log-normal", "poisson"};
    for (int kind = 0; kind < 3; kind++) {
        for (uint64_t seed = 1; seed <= 2; seed++) {
            int n = stationary_alarms(kind, 100 * (uint64_t)kind + seed);
            if (getenv("UNIT_VERBOSE") || n > 2 * ARL_N / ARL)
                printf("    %s seed %d: %d alarms\n", names[kind], (int)seed, n);
            CHECK_LE(n, 2 * ARL_N / ARL);
        }
    }
    /* the default budget (60 days per side, here 518,400 samples): a
     * week of 10 s Gaussian samples raises at most one */
    pcap c;
    fl_detect *d = det(&c, 0);
    unit_rng rng;
    unit_rng_seed(&rng, 77);
    fl_time t = T0;
    for (int i = 0; i < 7 * 8640; i++, t += STEP)
        put(d, t, 1000 + 30 * unit_rng_norm(&rng));
    fl_detect_flush(d);
    CHECK_LE(c.opens, 1);
    fl_detect_destroy(d);
}

/* Alarms on ARL_N samples of a Gaussian AR(1) series x_t = rho x_{t-1} +
 * e_t (unit marginal variance), with ARL0 = ARL samples per side. */
static int ar1_alarms(double rho, uint64_t seed)
{
    pcap c;
    fl_detect *d = det(&c, ARL);
    unit_rng rng;
    unit_rng_seed(&rng, seed);
    fl_time t = T0;
    double x = 0, e_sd = sqrt(1 - rho * rho);
    for (int i = 0; i < ARL_N; i++, t += STEP) {
        x = rho * x + e_sd * unit_rng_norm(&rng);
        put(d, t, 200 + 10 * x);
    }
    fl_detect_flush(d);
    fl_detect_destroy(d);
    return c.opens;
}

/* Autocorrelated residuals: the CUSUM of an AR(1) residual with lag-1
 * correlation rho drifts like a random walk of variance (1 + rho) /
 * (1 - rho) per step, so at the threshold of i.i.d. data its in-control
 * run length collapses. The detector learns rho from in-control residuals
 * and scales its reference and threshold by the long-run sd factor
 * sqrt((1 + rho) / (1 - rho)) (rho capped at 0.15, see metric.c). On AR(1)
 * series at rho = 0.15 it stays within the i.i.d. budget 2 N / ARL0. */
static void autocorrelated_run_length(void)
{
    for (uint64_t seed = 1; seed <= 3; seed++) {
        int n = ar1_alarms(0.15, 500 + seed);
        if (getenv("UNIT_VERBOSE") || n > 2 * ARL_N / ARL)
            printf("    ar(1) 0.15 seed %d: %d alarms\n", (int)seed, n);
        CHECK_LE(n, 2 * ARL_N / ARL);
    }
}

/* The detector's learned lag-1 autocorrelation of metric "m" of service 0,
 * read from its checkpoint (detect/state.c: "ac_x", "ac_xy", "ac_xx");
 * NAN when absent. */
static const msgpack_object *mp_get(const msgpack_object *o, const char *key)
{
    if (!o || o->type != MSGPACK_OBJECT_MAP)
        return NULL;
    size_t n = strlen(key);
    for (uint32_t i = 0; i < o->via.map.size; i++) {
        const msgpack_object_kv *kv = &o->via.map.ptr[i];
        if (kv->key.type == MSGPACK_OBJECT_STR && kv->key.via.str.size == n &&
            memcmp(kv->key.via.str.ptr, key, n) == 0)
            return &kv->val;
    }
    return NULL;
}

static double mp_num(const msgpack_object *o)
{
    if (!o)
        return NAN;
    if (o->type == MSGPACK_OBJECT_FLOAT64 || o->type == MSGPACK_OBJECT_FLOAT32)
        return o->via.f64;
    if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
        return (double)o->via.u64;
    return NAN;
}

static double learned_rho(const fl_detect *d)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    fl_detect_pack(d, &pk);
    msgpack_unpacked up;
    msgpack_unpacked_init(&up);
    size_t off = 0;
    double rho = NAN;
    if (msgpack_unpack_next(&up, sb.data, sb.size, &off) ==
        MSGPACK_UNPACK_SUCCESS) {
        const msgpack_object *svcs = mp_get(&up.data, "svcs");
        if (svcs && svcs->type == MSGPACK_OBJECT_ARRAY && svcs->via.array.size) {
            const msgpack_object *mets = mp_get(&svcs->via.array.ptr[0], "mets");
            if (mets && mets->type == MSGPACK_OBJECT_ARRAY &&
                mets->via.array.size) {
                const msgpack_object *m = &mets->via.array.ptr[0];
                double x = mp_num(mp_get(m, "ac_x"));
                double xy = mp_num(mp_get(m, "ac_xy"));
                double xx = mp_num(mp_get(m, "ac_xx"));
                rho = (xy - x * x) / (xx - x * x);
            }
        }
    }
    msgpack_unpacked_destroy(&up);
    msgpack_sbuffer_destroy(&sb);
    return rho;
}

/* The autocorrelation estimate (metric.c, ac_learn) finds real
 * correlation, and a fresh shift cannot raise it before the alarm: it
 * learns slowly (memory of 2000 samples) and only while both CUSUM sides
 * are at zero. Learning it at the baseline's memory (120 samples) from
 * every sample would read a 2 sd shift held for 20 samples as a
 * correlation of about 0.5; here it stays within noise of zero. */
static void autocorrelation_estimate(void)
{
    const double rhos[] = {0, 0.3, 0.6};
    for (int i = 0; i < 3; i++) {
        pcap c;
        fl_detect *d = det(&c, 0);
        unit_rng rng;
        unit_rng_seed(&rng, 900 + (uint64_t)i);
        fl_time t = T0;
        double x = 0, e_sd = sqrt(1 - rhos[i] * rhos[i]);
        for (int k = 0; k < 6000; k++, t += STEP) {
            x = rhos[i] * x + e_sd * unit_rng_norm(&rng);
            put(d, t, 100 + 4 * x);
        }
        fl_detect_advance(d, t + STEP);
        double r = learned_rho(d);
        if (getenv("UNIT_VERBOSE"))
            printf("    ar(1) %.1f: learned %.3f\n", rhos[i], r);
        /* in-control selection (CUSUM at zero) biases it low, not high */
        CHECK(r > rhos[i] - 0.2 && r < rhos[i] + 0.1);
        fl_detect_destroy(d);
    }
    /* i.i.d., then a 2 sd shift held for 20 samples: not read as
     * correlation */
    for (uint64_t seed = 1; seed <= 3; seed++) {
        pcap c;
        fl_detect *d = det(&c, 0);
        unit_rng rng;
        unit_rng_seed(&rng, 950 + seed);
        fl_time t = T0;
        for (int k = 0; k < 3000; k++, t += STEP)
            put(d, t, 100 + 4 * unit_rng_norm(&rng));
        fl_detect_advance(d, t + STEP);
        double before = learned_rho(d);
        for (int k = 0; k < 20; k++, t += STEP)
            put(d, t, 108 + 4 * unit_rng_norm(&rng));
        fl_detect_advance(d, t + STEP);
        double after = learned_rho(d);
        if (getenv("UNIT_VERBOSE"))
            printf("    shift seed %d: learned %.3f -> %.3f\n", (int)seed,
                   before, after);
        CHECK(fabs(before) < 0.1);
        CHECK(after - before < 0.02);
        fl_detect_destroy(d);
    }
}

/* A strongly autocorrelated series is not made blind by the correction
 * (rho capped at 0.15, f <= 1.16) nor by its record: on AR(1) 0.5
 * (marginal sd 4), a shift of 5 marginal sd is detected, in the right
 * direction, within the i.i.d. delay bound for 5 sd with k and h scaled
 * by f = 1.16: 3 x (1.16 x 3.7 + 1.166) / (5 - 1.16 x 1.5) + 2 samples.
 * (It does not isolate the cap: AR(1) 0.5 is learned as about 0.35, and
 * f = 1.44 would pass too.) */
static void autocorrelated_shift(void)
{
    for (uint64_t seed = 1; seed <= 3; seed++) {
        for (int up = 0; up < 2; up++) {
            pcap c;
            fl_detect *d = det(&c, 0);
            unit_rng rng;
            unit_rng_seed(&rng, 970 + 2 * seed + (uint64_t)up);
            fl_time t = T0;
            double x = 0, rho = 0.5, e_sd = sqrt(1 - rho * rho);
            for (int k = 0; k < 3000; k++, t += STEP) {
                x = rho * x + e_sd * unit_rng_norm(&rng);
                put(d, t, 100 + 4 * x);
            }
            fl_time shift = t;
            int before = c.opens;
            for (int k = 0; k < 200; k++, t += STEP) {
                x = rho * x + e_sd * unit_rng_norm(&rng);
                put(d, t, 100 + (up ? 20 : -20) + 4 * x);
            }
            fl_detect_flush(d);
            double bound = 3 * (3.7 * 1.16 + 1.166) / (5 - 1.5 * 1.16) + 2;
            int dl = c.opens > before ? (int)((c.last_open.detected - shift) / STEP)
                                      : -1;
            if (getenv("UNIT_VERBOSE") || dl < 0 || dl > bound)
                printf("    ar(1) 0.5 seed %d %s: delay %d (bound %.0f)\n",
                       (int)seed, up ? "up" : "down", dl, bound);
            CHECK(dl >= 0);
            CHECK_LE(dl, bound);
            CHECK_EQ(c.last_open.dir, up ? FL_DIR_UP : FL_DIR_DOWN);
            fl_detect_destroy(d);
        }
    }
}

/* ------------------------------------------------------ detection delay */

/* Samples from the shift to the alarm, for a shift of k sd after 2000
 * in-control samples (-1: none within 500 samples). */
static int delay(double k, int up, uint64_t seed, fl_time *onset_err)
{
    pcap c;
    fl_detect *d = det(&c, 0);
    unit_rng rng;
    unit_rng_seed(&rng, seed);
    fl_time t = T0;
    for (int i = 0; i < 2000; i++, t += STEP)
        put(d, t, 100 + 4 * unit_rng_norm(&rng));
    fl_time shift = t;
    int opens_before = c.opens;
    for (int i = 0; i < 500; i++, t += STEP)
        put(d, t, 100 + (up ? 4 : -4) * k + 4 * unit_rng_norm(&rng));
    fl_detect_flush(d);
    int r = -1;
    if (c.opens > opens_before && c.last_open.dir == (up ? FL_DIR_UP : FL_DIR_DOWN)) {
        r = (int)((c.last_open.detected - shift) / STEP);
        *onset_err = c.last_open.onset - shift;
    }
    CHECK_EQ(opens_before, 0);
    fl_detect_destroy(d);
    return r;
}

/* Default ARL (518,400 samples a side at 10 s) and k = 1.5 give h of about
 * 3.7 (cusum.c); the CUSUM climbs by (shift - 1.5) a sample on average, so
 * the expected delay is (h + 1.166) / (shift - 1.5): about 10, 3.3 and 1.4
 * samples for shifts of 2, 3 and 5 sd. The bound allows three times that
 * plus two samples (noise, the baseline's own lag, the record). */
static void detection_delay(void)
{
    const double ks[] = {2, 3, 5};
    for (int i = 0; i < 3; i++) {
        double bound = 3 * (3.7 + 1.166) / (ks[i] - 1.5) + 2;
        for (int up = 0; up < 2; up++) {
            for (uint64_t seed = 1; seed <= 3; seed++) {
                fl_time oe = 0;
                int dl = delay(ks[i], up, seed * 31 + (uint64_t)i, &oe);
                if (dl < 0 || dl > bound)
                    printf("    shift %g sd %s seed %d: delay %d (bound %.0f)\n",
                           ks[i], up ? "up" : "down", (int)seed, dl, bound);
                CHECK(dl >= 0);
                CHECK_LE(dl, bound);
                /* the onset in hindsight is at the shift, give or take the
                 * delay itself */
                CHECK_LE(llabs(oe) / STEP, (long long)bound);
            }
        }
    }
}

/* ------------------------------------------------- production behaviours */

/* A slow drift: the EWMA baseline (memory 120 samples, alpha = 2/121)
 * trails a linear drift of r per sample by r (1 - alpha) / alpha, about
 * 60 r. The rule: a drift whose lag stays under the CUSUM's reference
 * (1.5 sd) is followed, not alarmed - the series is changing no faster than
 * the baseline learns; a steeper one may alarm, but at most once per
 * re-baselining horizon (2 h), never on every sample. */
static void slow_drift(void)
{
    pcap c;
    fl_detect *d = det(&c, 0);
    unit_rng rng;
    unit_rng_seed(&rng, 21);
    fl_time t = T0;
    /* 0.01 sd per sample: a lag of 0.6 sd; +86 sd over a day */
    for (int i = 0; i < 8640; i++, t += STEP)
        put(d, t, 100 + 2 * (0.01 * i + unit_rng_norm(&rng)));
    fl_detect_flush(d);
    CHECK_EQ(c.opens, 0);
    fl_detect_destroy(d);

    /* 0.1 sd per sample: a lag of 6 sd, a real ramp (+864 sd a day) */
    d = det(&c, 0);
    t = T0;
    for (int i = 0; i < 8640; i++, t += STEP)
        put(d, t, 100 + 2 * (i < 720 ? 0 : 0.1 * (i - 720)) +
                      2 * unit_rng_norm(&rng));
    fl_detect_flush(d);
    CHECK_GE(c.opens, 1);
    CHECK_LE(c.opens, 24 * HOUR / (2 * HOUR) + 1);
    fl_detect_destroy(d);
}

/* A daily cycle (1-min samples) learned over four days, then flat at its
 * daily mean (a job that stopped, a feed frozen): it alarms within three
 * hours of the stop, and nothing alarmed before. */
static void daily_cycle_stops(void)
{
    pcap c;
    fl_detect *d = det(&c, 0);
    unit_rng rng;
    unit_rng_seed(&rng, 23);
    fl_time stop = T0 + 4 * DAY + 3 * HOUR;
    for (fl_time t = T0; t < T0 + 5 * DAY; t += MIN) {
        double tod = (double)((t - T0) % DAY) / (double)DAY;
        double v = t < stop ? 500 + 200 * sin(6.283185307179586 * tod) : 500;
        put(d, t, v + 5 * unit_rng_norm(&rng));
    }
    fl_detect_flush(d);
    REQUIRE(c.opens >= 1);
    /* learning the cycle may alarm on day 1; nothing on days 2-4 */
    fl_time after = c.last_open.detected;
    CHECK_GE(after, stop);
    CHECK_LE(after, stop + 3 * HOUR);
    fl_detect_destroy(d);
}

/* A weekly rhythm (10-min samples, eight weeks): traffic lowest at
 * midnight (200), peaking at noon at 1000 on weekdays and at 600 at
 * weekends. The weekly profile (in use after two weeks, converged after a
 * few more: the daily offsets learn faster and soak up part of each
 * weekend at first) predicts the weekend: in weeks 6 to 8 at most one
 * alarm besides a weekday afternoon at 60% for an hour, which is caught
 * within half an hour. With the daily profile alone (the weekly one
 * disabled by hand) the same weeks raise 13. */
static void weekly_rhythm(void)
{
    pcap c;
    fl_detect *d = det(&c, 0);
    unit_rng rng;
    unit_rng_seed(&rng, 28);
    /* T0 is a Sunday; the dip is on Wednesday of the fifth week */
    fl_time dip = T0 + 7 * 7 * DAY + 3 * DAY + 14 * HOUR;
    int late = 0;
    fl_time caught = 0;
    for (fl_time t = T0; t < T0 + 56 * DAY; t += 10 * MIN) {
        int dow = (int)((t - T0) / DAY % 7); /* 0 Sunday .. 6 Saturday */
        double tod = (double)((t - T0) % DAY) / (double)DAY;
        double peak = dow == 0 || dow == 6 ? 400 : 800;
        double v = 200 + peak * (1 - cos(6.283185307179586 * tod)) / 2;
        if (t >= dip && t < dip + HOUR)
            v *= 0.6;
        int before = c.opens;
        put(d, t, v + 20 * unit_rng_norm(&rng));
        if (c.opens > before && t >= T0 + 35 * DAY) {
            if (c.last_open.detected >= dip && c.last_open.detected < dip + HOUR)
                caught = c.last_open.detected;
            else
                late++;
        }
    }
    fl_detect_flush(d);
    CHECK_LE(late, 1);
    CHECK(caught >= dip && caught <= dip + 30 * MIN);
    fl_detect_destroy(d);
}

/* A level shift that stays (a new deployment uses 30% more memory): one
 * alarm, then after re-baselining (2 h) the new level is normal - a day at
 * it raises nothing more. */
static void new_normal(void)
{
    pcap c;
    fl_detect *d = det(&c, 0);
    unit_rng rng;
    unit_rng_seed(&rng, 24);
    fl_time t = T0;
    for (int i = 0; i < 1440; i++, t += STEP)
        put(d, t, 1000 + 10 * unit_rng_norm(&rng));
    fl_time shift = t;
    for (int i = 0; i < 8640; i++, t += STEP)
        put(d, t, 1300 + 10 * unit_rng_norm(&rng));
    fl_detect_flush(d);
    CHECK_EQ(c.opens, 1);
    CHECK_EQ(c.ends, 1);
    CHECK_GE(c.first.detected, shift);
    CHECK_LE(c.first.detected, shift + MIN);
    CHECK_EQ(c.first.dir, FL_DIR_UP);
    fl_detect_destroy(d);
}

/* A monotone counter (bytes sent, 10 s scrapes, a noisy rate of about
 * 5000/s) that resets to 0 on a restart, twice a day, for three days: a
 * counter is judged by its rate (detect/metric.c differences a series
 * that never fell during warm-up), so the climb is not a drift and each
 * reset is one missing rate sample, not an incident; a halved rate is
 * still seen. */
static void counter_reset(void)
{
    pcap c;
    fl_detect *d = det(&c, 0);
    unit_rng rng;
    unit_rng_seed(&rng, 25);
    double v = 0;
    fl_time t = T0, slow = T0 + 2 * DAY + 6 * HOUR;
    for (; t < T0 + 3 * DAY; t += STEP) {
        if ((t - T0) % (12 * HOUR) == 5 * HOUR)
            v = 0; /* process restart */
        double rate = 5000 + 200 * unit_rng_norm(&rng);
        if (t >= slow && t < slow + HOUR)
            rate /= 2;
        v += rate * 10;
        put(d, t, v);
    }
    fl_detect_flush(d);
    CHECK_GE(c.opens, 1);
    CHECK_LE(c.opens, 2);
    CHECK_GE(c.last_open.detected, slow);
    CHECK_LE(c.last_open.detected, slow + 5 * MIN);
    CHECK_EQ(c.last_open.dir, FL_DIR_DOWN);
    fl_detect_destroy(d);
}

/* A gauge that rises through its whole warm-up (a disk filling for 8
 * hours at 5-min steps, then level) looks like a counter until its first
 * fall; a fall that is not to half is no reset, so from there it is a
 * gauge for good: a later drop to 40% (which a counter would take for a
 * reset) is an anomaly, caught within half an hour, and the fill and the
 * plateau raise nothing. */
static void rising_gauge_is_not_counter(void)
{
    pcap c;
    fl_detect *d = det(&c, 0);
    unit_rng rng;
    unit_rng_seed(&rng, 27);
    fl_time t = T0, drop = T0 + DAY + 20 * HOUR;
    for (int i = 0; i < 96; i++, t += 5 * MIN)
        put(d, t, 1000 + 20 * i + unit_rng_norm(&rng));
    for (; t < T0 + 2 * DAY; t += 5 * MIN)
        put(d, t, (t >= drop && t < drop + HOUR ? 0.4 : 1) *
                      (2920 + 3 * unit_rng_norm(&rng)));
    fl_detect_flush(d);
    REQUIRE_EQ(c.opens, 1);
    CHECK_GE(c.first.detected, drop);
    CHECK_LE(c.first.detected, drop + 30 * MIN);
    CHECK_EQ(c.first.dir, FL_DIR_DOWN);
    fl_detect_destroy(d);
}

/* Constant series: a gauge stuck at one value (a replica count, a config
 * flag, a zero error gauge) raises nothing while constant, however long.
 * Its first change has no scale to be judged at (a flat series has no
 * spread, and sparse bursty series such as disk writes must learn theirs
 * from their first burst): it sets the resolution and does not alarm.
 * A later change of four such steps does, once, with baseline and peak in
 * the metric's unit, and the new level is then normal. */
static void constant_series(void)
{
    const double from[] = {4, 0, 1e9};
    const double to[] = {5, 1, 1.2e9};
    for (int i = 0; i < 3; i++) {
        pcap c;
        fl_detect *d = det(&c, 0);
        fl_time t = T0, step = T0 + 2000 * STEP, jump = T0 + 4000 * STEP;
        double big = to[i] + 4 * (to[i] - from[i]);
        for (int k = 0; k < 8000; k++, t += STEP)
            put(d, t, t < step ? from[i] : t < jump ? to[i] : big);
        fl_detect_flush(d);
        CHECK_EQ(c.opens, 1);
        CHECK_GE(c.first.detected, jump);
        CHECK_LE(c.first.detected, jump + 3 * STEP);
        CHECK_EQ(c.first.dir, FL_DIR_UP);
        CHECK_NEAR(c.first.baseline, to[i], 0.05 * (to[i] - from[i]));
        CHECK_NEAR(c.first.peak, big, 0.05 * (to[i] - from[i]));
        fl_detect_destroy(d);
    }
}

/* Every metric anomaly carries a severity: the largest standardised
 * deviation seen while open (how far); onset to end says how long. */
static void severity(void)
{
    pcap c;
    fl_detect *d = det(&c, 0);
    unit_rng rng;
    unit_rng_seed(&rng, 26);
    fl_time t = T0;
    for (int i = 0; i < 1000; i++, t += STEP)
        put(d, t, 10 + unit_rng_norm(&rng));
    for (int i = 0; i < 30; i++, t += STEP)
        put(d, t, 18 + unit_rng_norm(&rng));
    for (int i = 0; i < 500; i++, t += STEP)
        put(d, t, 10 + unit_rng_norm(&rng));
    fl_detect_flush(d);
    REQUIRE_EQ(c.opens, 1);
    CHECK_GE(c.min_sev, 3);
    CHECK_LE(c.min_sev, 20);
    fl_detect_destroy(d);
}

/* ------------------------------------------------------------- spread */

/* Samples of mean 100, sd 4 for `before` samples, then sd 4 x factor for
 * `after`: the number of samples from the change to the first alarm (-1:
 * none); the alarms before the change in *early; the capture in *out. */
static int spread_run(double factor, int before, int after, uint64_t seed,
                      int *early, pcap *out)
{
    pcap c;
    fl_detect *d = det(&c, 0);
    unit_rng rng;
    unit_rng_seed(&rng, seed);
    fl_time t = T0;
    for (int i = 0; i < before; i++, t += STEP)
        put(d, t, 100 + 4 * unit_rng_norm(&rng));
    fl_time change = t;
    *early = c.opens;
    for (int i = 0; i < after; i++, t += STEP)
        put(d, t, 100 + 4 * factor * unit_rng_norm(&rng));
    fl_detect_flush(d);
    int r = -1;
    if (c.opens > *early)
        r = (int)((c.first.detected - change) / STEP);
    fl_detect_destroy(d);
    *out = c;
    return r;
}

/* A doubled spread at the same mean. The level's CUSUM sometimes catches
 * its first large residuals (k = 1.5 sd), but its EWMA variance then
 * absorbs the change; the spread CUSUM (metric.c, spread_step) is what
 * sees it for sure: y = ln step^2 shifts by ln 4, its reference is
 * 0.75 ln 4 and its increments are winsorised at 1.5 sd of y, so for
 * Gaussian samples (sd of y 2.22) the drift over k = 1.04 / 2.22 = 0.47
 * is about 0.1 to 0.2 a sample; with h about 19 (ARL0 100 x 518,400
 * samples at 10 s, k = 0.41) the expected delay is at most about
 * (19 + 1.166) / 0.1 = 200 samples (measured: 50 to 470 over these and
 * spread_new_normal's seeds). The bound allows 3 x 200 = 600. A tripled
 * spread: 200. No alarm before the change; the first after it within the
 * bound, its onset within the bound of the change. */
static void spread_change(void)
{
    const double fs[] = {2, 3};
    const int bound[] = {600, 200};
    for (int i = 0; i < 2; i++) {
        for (uint64_t seed = 1; seed <= 4; seed++) {
            int early;
            pcap c;
            int dl = spread_run(fs[i], 3000, 1500, 900 + seed, &early, &c);
            if (getenv("UNIT_VERBOSE") || dl < 0 || dl > bound[i])
                printf("    spread x%g seed %d: delay %d (bound %d), %d "
                       "before, %d after\n", fs[i], (int)seed, dl, bound[i],
                       early, c.opens - early);
            CHECK_EQ(early, 0);
            CHECK(dl >= 0);
            CHECK_LE(dl, bound[i]);
            CHECK_LE(llabs(c.first.onset - (T0 + 3000 * STEP)) / STEP,
                     (long long)bound[i]);
        }
    }
}

/* A spread that stays doubled becomes the new normal: after the change,
 * at most one level alarm and one spread alarm, the spread one ended
 * after the re-baselining horizon (2 h = 720 samples at 10 s); in the
 * rest of the day (from 3 h after the change on) nothing opens. */
static void spread_new_normal(void)
{
    for (uint64_t seed = 1; seed <= 4; seed++) {
        int early;
        pcap c;
        int dl = spread_run(2, 3000, 8640, 950 + seed, &early, &c);
        fl_time quiet = T0 + 3000 * STEP + 3 * HOUR;
        if (getenv("UNIT_VERBOSE") || c.opens > 2 ||
            c.last_open.detected > quiet)
            printf("    spread new normal seed %d: %d alarms, first after "
                   "%d, last at %+.0f min\n", (int)seed, c.opens, dl,
                   (double)(c.last_open.detected - T0 - 3000 * STEP) /
                       (double)MIN);
        CHECK_EQ(early, 0);
        CHECK(dl >= 0);
        CHECK_LE(dl, 600);
        CHECK_LE(c.opens, 2);
        CHECK_EQ(c.ends, c.opens);
        CHECK_LE(c.last_open.detected, quiet);
    }
}

static const unit_test tests[] = {
    UNIT_TEST(run_length),      UNIT_TEST(detection_delay),
    UNIT_TEST(autocorrelated_run_length), UNIT_TEST(autocorrelation_estimate),
    UNIT_TEST(autocorrelated_shift),
    UNIT_TEST(slow_drift),
    UNIT_TEST(daily_cycle_stops), UNIT_TEST(weekly_rhythm),
    UNIT_TEST(new_normal),
    UNIT_TEST(counter_reset),   UNIT_TEST(rising_gauge_is_not_counter),
    UNIT_TEST(constant_series), UNIT_TEST(severity),
    UNIT_TEST(spread_change),   UNIT_TEST(spread_new_normal),
};
UNIT_SUITE(unit_suite_metric_props, "metric_props", tests);
