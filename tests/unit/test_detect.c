/* test_detect.c - detect/detect.c end to end: synthetic request streams
 * through fl_detect_advance + fl_detect_request, anomalies captured from
 * the callback. */
#define _POSIX_C_SOURCE 200809L
#include "../../detect/fl_detect.h"
#include "../../detect/detect_int.h" /* bucket counts, for the lateness test */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>

#define SEC FL_NS_PER_SEC
#define MIN (60 * SEC)
#define T_BASE ((fl_time)1710072000 * SEC) /* 2024-03-10T12:00:00Z */

/* ------------------------------------------------------------ capture */

#define CAP_MAX 4096

typedef struct {
    fl_anomaly_event what[CAP_MAX];
    fl_anomaly a[CAP_MAX];
    int n;
} capture;

static void on_anomaly(void *ud, fl_anomaly_event what, const fl_anomaly *a)
{
    capture *c = ud;
    if (!a) /* a bucket closed: no anomaly attached */
        return;
    if (c->n < CAP_MAX) {
        c->what[c->n] = what;
        c->a[c->n] = *a;
    }
    c->n++;
}

static int count_opens(const capture *c, int sig)
{
    int k = 0;
    for (int i = 0; i < c->n && i < CAP_MAX; i++)
        if (c->what[i] == FL_ANOMALY_OPEN && (sig < 0 || (int)c->a[i].signal == sig))
            k++;
    return k;
}

static const fl_anomaly *find(const capture *c, fl_anomaly_event what,
                              int sig, uint32_t seq, bool any_seq)
{
    for (int i = 0; i < c->n && i < CAP_MAX; i++)
        if (c->what[i] == what && (sig < 0 || (int)c->a[i].signal == sig) &&
            (any_seq || c->a[i].seq == seq))
            return &c->a[i];
    return NULL;
}

static void print_anomalies(const capture *c)
{
    static const char *const whats[] = {"open", "update", "end"};
    for (int i = 0; i < c->n && i < CAP_MAX; i++) {
        const fl_anomaly *a = &c->a[i];
        if (c->what[i] == FL_ANOMALY_UPDATE)
            continue;
        printf("      %s #%u svc %d %s %s onset %+.0f s detected %+.0f s end "
               "%+.0f s baseline %.4g peak %.4g\n",
               whats[c->what[i]], a->seq, a->service, fl_signal_name(a->signal),
               a->dir == FL_DIR_UP ? "up" : "down",
               (double)(a->onset - T_BASE) / SEC,
               (double)(a->detected - T_BASE) / SEC,
               a->end == FL_TIME_NONE ? -1.0 : (double)(a->end - T_BASE) / SEC,
               a->baseline, a->peak);
    }
}

/* ---------------------------------------------------------- simulation */

typedef struct {
    fl_time until;   /* phase end, from T_BASE */
    double rate;     /* requests per second */
    double err_p;    /* probability that a request fails (status 500) */
    double lat_mult; /* latency multiplier */
} phase;

typedef struct {
    fl_detect *det;
    unit_rng rng;
    fl_time t; /* time of the last event */
    uint64_t sent, refused;
} sim;

static void sim_init(sim *s, fl_detect *det, uint64_t seed)
{
    s->det = det;
    unit_rng_seed(&s->rng, seed);
    s->t = T_BASE;
    s->sent = s->refused = 0;
}

static fl_event request_event(fl_time ts, const char *svc, bool err, double lat)
{
    fl_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = FL_EV_REQUEST;
    ev.ts = ts;
    ev.service = fl_str_c(svc);
    ev.status = err ? 503 : 200;
    ev.level = err ? FL_LEVEL_ERROR : FL_LEVEL_INFO;
    ev.latency_ms = lat;
    ev.value = NAN;
    return ev;
}

/* Poisson arrivals for one service through the phases; lognormal latency
 * with median 50 ms and sigma 0.4. */
static void sim_run(sim *s, int32_t svc, const phase *ph, size_t nph)
{
    fl_time t = s->t;
    for (size_t i = 0; i < nph; i++) {
        fl_time end = T_BASE + ph[i].until;
        if (ph[i].rate <= 0) {
            t = end; /* silence */
            continue;
        }
        for (;;) {
            t += (fl_time)(unit_rng_exp(&s->rng, ph[i].rate) * (double)SEC);
            if (t >= end) {
                t = end;
                break;
            }
            bool err = unit_rng_bern(&s->rng, ph[i].err_p);
            double lat = exp(log(50.0) + 0.4 * unit_rng_norm(&s->rng)) *
                         ph[i].lat_mult;
            fl_event ev = request_event(t, "api", err, lat);
            fl_bad_reason why = FL_BAD__COUNT;
            fl_detect_advance(s->det, t);
            if (fl_detect_request(s->det, svc, &ev, -1, &why))
                s->sent++;
            else
                s->refused++;
        }
    }
    s->t = t;
}

static fl_detect *new_detector(capture *c)
{
    fl_detect_conf conf;
    fl_detect_conf_default(&conf);
    memset(c, 0, sizeof *c);
    return fl_detect_new(&conf, on_anomaly, c);
}

/* -------------------------------------------------------------- tests */

/* 30 min at 0.3% errors, 5 min at 20%, then normal again. */
static void error_rate_incident(void)
{
    capture *c = malloc(sizeof *c);
    fl_detect *det = new_detector(c);
    sim s;
    sim_init(&s, det, 301);
    const fl_time change = 30 * MIN, recover = 35 * MIN;
    const phase ph[] = {
        {change, 50, 0.003, 1},
        {recover, 50, 0.20, 1},
        {55 * MIN, 50, 0.003, 1},
    };
    sim_run(&s, 0, ph, FL_ARRAY_LEN(ph));
    fl_detect_flush(det);
    CHECK_EQ(s.refused, 0);
    CHECK_EQ(count_opens(c, -1), 1);
    CHECK_EQ(count_opens(c, FL_SIG_ERROR_RATE), 1);
    const fl_anomaly *o = find(c, FL_ANOMALY_OPEN, FL_SIG_ERROR_RATE, 0, true);
    if (o) {
        CHECK_EQ(o->service, 0);
        CHECK_EQ(o->dir, FL_DIR_UP);
        CHECK_RANGE(o->onset, T_BASE + change - 30 * SEC,
                    T_BASE + change + 30 * SEC);
        CHECK_GT(o->detected, o->onset);
        CHECK_GT(o->detected, T_BASE + change); /* causal */
        CHECK_LE(o->detected, T_BASE + change + 2 * MIN);
        CHECK_EQ(o->end, FL_TIME_NONE);
        CHECK_RANGE(o->baseline, 0.001, 0.006);
        const fl_anomaly *e = find(c, FL_ANOMALY_END, FL_SIG_ERROR_RATE,
                                   o->seq, false);
        CHECK_MSG(e != NULL, "the error_rate anomaly never ended");
        if (e) {
            CHECK_RANGE(e->end, T_BASE + recover - 30 * SEC,
                        T_BASE + recover + 5 * MIN);
            CHECK_RANGE(e->peak, 0.15, 0.25);
            CHECK_EQ(e->onset, o->onset);
            /* 5 min at 50/s and 20%: about 3,000 errors in the span */
            CHECK_RANGE((double)e->errors, 2400, 4000);
            CHECK_GT(e->requests, 14000);
            CHECK_LT(e->expected_errors, 0.1 * (double)e->errors);
        }
    }
    if (unit_failures())
        print_anomalies(c);
    fl_detect_destroy(det);
    free(c);
}

/* Two hours of stationary traffic: no anomaly at all, for a busy and a
 * sparse service alike. */
static void quiet_two_hours(void)
{
    capture *c = malloc(sizeof *c);
    fl_detect *det = new_detector(c);
    /* interleave the two services in 10 s slices, well within the
     * allowed lateness */
    sim a, b;
    sim_init(&a, det, 302);
    sim_init(&b, det, 303);
    for (fl_time m = 1; m <= 720; m++) {
        phase pa = {m * 10 * SEC, 50, 0.003, 1};
        phase pb = {m * 10 * SEC, 0.5, 0.003, 1};
        sim_run(&a, 0, &pa, 1);
        sim_run(&b, 1, &pb, 1);
    }
    fl_detect_flush(det);
    CHECK_EQ(a.refused, 0);
    CHECK_EQ(b.refused, 0);
    CHECK_GT(a.sent, 340000);
    CHECK_EQ(c->n, 0);
    if (c->n)
        print_anomalies(c);
    fl_detect_destroy(det);
    free(c);
}

/* Lateness: an event whose bucket the watermark has closed is refused. */
static void late_event_refused(void)
{
    capture *c = malloc(sizeof *c);
    fl_detect *det = new_detector(c);
    fl_bad_reason why;
    CHECK_EQ(fl_detect_watermark(det), FL_TIME_NONE);
    const fl_detect_conf *conf = fl_detect_get_conf(det);
    CHECK_EQ(conf->lateness, 30 * SEC);
    CHECK_EQ(conf->bucket, 10 * SEC);

    fl_time t = T_BASE + 1000 * SEC;
    fl_event ev = request_event(t, "api", false, 10);
    fl_detect_advance(det, t);
    CHECK(fl_detect_request(det, 0, &ev, -1, &why));
    /* buckets ending at or before t - 30 s are closed */
    CHECK_EQ(fl_detect_watermark(det), T_BASE + 970 * SEC);

    ev.ts = T_BASE + 965 * SEC; /* inside [960, 970): closed */
    why = FL_BAD__COUNT;
    CHECK(!fl_detect_request(det, 0, &ev, -1, &why));
    CHECK_EQ(why, FL_BAD_LATE);
    ev.ts = T_BASE + 970 * SEC - 1;
    why = FL_BAD__COUNT;
    CHECK(!fl_detect_request(det, 0, &ev, -1, &why));
    CHECK_EQ(why, FL_BAD_LATE);
    ev.ts = T_BASE + 100 * SEC; /* long ago */
    why = FL_BAD__COUNT;
    CHECK(!fl_detect_request(det, 0, &ev, -1, &why));
    CHECK_EQ(why, FL_BAD_LATE);
    /* within the lateness: accepted */
    ev.ts = T_BASE + 970 * SEC;
    CHECK(fl_detect_request(det, 0, &ev, -1, &why));
    ev.ts = T_BASE + 985 * SEC;
    CHECK(fl_detect_request(det, 0, &ev, -1, &why));
    /* an earlier advance does not move time back */
    fl_detect_advance(det, T_BASE + 500 * SEC);
    CHECK_EQ(fl_detect_watermark(det), T_BASE + 970 * SEC);
    /* moving on 20 s closes two more buckets */
    fl_detect_advance(det, t + 20 * SEC);
    CHECK_EQ(fl_detect_watermark(det), T_BASE + 990 * SEC);
    ev.ts = T_BASE + 985 * SEC;
    CHECK(!fl_detect_request(det, 0, &ev, -1, &why));
    CHECK_EQ(why, FL_BAD_LATE);
    /* a late event for a service never seen is refused too */
    CHECK(!fl_detect_request(det, 7, &ev, -1, &why));
    CHECK_EQ(why, FL_BAD_LATE);
    CHECK_EQ(c->n, 0);
    fl_detect_destroy(det);
    free(c);
}

/* Lateness, observed in the buckets themselves: an event older than the
 * newest but within the lateness lands in its own (still open) bucket,
 * not the current one; once that bucket closed, a later arrival for it is
 * refused as late and the closed count does not change. */
static void lateness_lands_in_its_bucket(void)
{
    capture *c = malloc(sizeof *c);
    fl_detect *det = new_detector(c);
    fl_bad_reason why = FL_BAD__COUNT;
    fl_time t0 = T_BASE + 1000 * SEC; /* a bucket start */
    int64_t b0 = t0 / (10 * SEC);
    for (int i = 0; i < 5; i++) {
        fl_event ev = request_event(t0 + SEC + i, "api", false, 10);
        fl_detect_advance(det, ev.ts);
        CHECK(fl_detect_request(det, 0, &ev, -1, &why));
    }
    fl_event ev = request_event(t0 + 15 * SEC, "api", false, 10);
    fl_detect_advance(det, ev.ts);
    CHECK(fl_detect_request(det, 0, &ev, -1, &why)); /* bucket b0 + 1 */
    /* 13 s behind the newest event, inside the 30 s lateness: bucket b0 */
    for (int i = 0; i < 3; i++) {
        ev = request_event(t0 + 2 * SEC, "api", false, 10);
        CHECK(fl_detect_request(det, 0, &ev, -1, &why));
    }
    fl_detect_advance(det, t0 + 50 * SEC); /* closes b0 and b0 + 1 */
    const svc_state *s = det->svcs[0];
    REQUIRE(s != NULL);
    CHECK_EQ(s->hist_n[(uint64_t)b0 % HIST], 8);
    CHECK_EQ(s->hist_n[(uint64_t)(b0 + 1) % HIST], 1);
    /* now too late for b0: refused, counted by the caller, not merged */
    ev = request_event(t0 + 5 * SEC, "api", false, 10);
    why = FL_BAD__COUNT;
    CHECK(!fl_detect_request(det, 0, &ev, -1, &why));
    CHECK_EQ(why, FL_BAD_LATE);
    CHECK_EQ(s->hist_n[(uint64_t)b0 % HIST], 8);
    CHECK_EQ(s->hist_n[(uint64_t)(b0 + 1) % HIST], 1);
    fl_detect_destroy(det);
    free(c);
}

/* Future skew: an event more than max_future (15 min) ahead of the
 * largest time its input's gate let through is refused as "future" and
 * does not move time; honest events interleaved with a producer 2 h ahead
 * all land, the skewed ones never do; a real jump (32 consecutive events
 * that agree) is taken. */
static fl_future_gate gate = FL_FUTURE_GATE_INIT;

static bool feed_at(fl_detect *det, fl_time ts, fl_bad_reason *why)
{
    if (!fl_future_admit(&gate, fl_detect_get_conf(det)->max_future, ts)) {
        *why = FL_BAD_FUTURE;
        return false;
    }
    fl_detect_advance(det, ts);
    fl_event ev = request_event(ts, "api", false, 10);
    return fl_detect_request(det, 0, &ev, -1, why);
}

static void future_skew_capped(void)
{
    capture *c = malloc(sizeof *c);
    fl_detect *det = new_detector(c);
    gate = (fl_future_gate)FL_FUTURE_GATE_INIT;
    CHECK_EQ(fl_detect_get_conf(det)->max_future, 15 * MIN);
    fl_bad_reason why = FL_BAD__COUNT;
    fl_time t = T_BASE;
    CHECK(feed_at(det, t, &why));
    /* within the cap: taken, and it moves time */
    CHECK(feed_at(det, t + 14 * MIN, &why));
    t += 14 * MIN;
    CHECK_EQ(fl_detect_watermark(det), t - 30 * SEC);
    /* honest events every second, a producer 2 h ahead every other one */
    unsigned honest = 0, skewed_refused = 0;
    for (int i = 0; i < 2000; i++) {
        t += SEC / 2;
        if (i % 2) {
            why = FL_BAD__COUNT;
            if (!feed_at(det, t + 2 * 60 * MIN, &why) && why == FL_BAD_FUTURE)
                skewed_refused++;
        } else if (feed_at(det, t, &why)) {
            honest++;
        }
    }
    CHECK_EQ(honest, 1000);
    CHECK_EQ(skewed_refused, 1000);
    /* the watermark followed the honest clock only */
    fl_time last_honest = t - SEC / 2;
    CHECK_EQ(fl_detect_watermark(det),
             (last_honest - 30 * SEC) / (10 * SEC) * (10 * SEC));
    /* 100 garbage timestamps in a row, each far from the one before: no
     * consistent jump, all refused */
    unsigned garbage = 0;
    for (int i = 0; i < 100; i++)
        if (!feed_at(det, t + (fl_time)(i + 1) * 60 * MIN, &why) &&
            why == FL_BAD_FUTURE)
            garbage++;
    CHECK_EQ(garbage, 100);
    /* every input silent for 3 h, then data again: the first 31 events
     * are refused, the 32nd confirms the jump, and time moves on */
    fl_time j = t + 3 * 60 * MIN;
    unsigned refused = 0;
    for (int i = 0; i < FL_DETECT_FUTURE_CONFIRM - 1; i++)
        if (!feed_at(det, j + i * SEC, &why) && why == FL_BAD_FUTURE)
            refused++;
    CHECK_EQ(refused, FL_DETECT_FUTURE_CONFIRM - 1);
    CHECK(feed_at(det, j + 40 * SEC, &why));
    CHECK(feed_at(det, j + 41 * SEC, &why));
    CHECK(fl_detect_watermark(det) >= j);
    fl_detect_destroy(det);

    /* the cap follows the input's cadence: a metric sampled hourly steps an
     * hour at a time and every sample lands; after a 3-day hole it resumes
     * once FL_DETECT_FUTURE_MIN_RUN samples span the cap; a garbage time a
     * day ahead of that hourly series is still refused */
    fl_future_gate hourly = FL_FUTURE_GATE_INIT;
    fl_time cap = 15 * MIN, h = T_BASE;
    unsigned taken = 0;
    for (int i = 0; i < 200; i++, h += 60 * MIN)
        taken += fl_future_admit(&hourly, cap, h);
    CHECK_EQ(taken, 200);
    CHECK(!fl_future_admit(&hourly, cap, h + 24 * 60 * 60 * MIN));
    h += 3 * 24 * 60 * MIN;
    unsigned lost = 0;
    for (int i = 0; i < 10; i++, h += 60 * MIN)
        lost += !fl_future_admit(&hourly, cap, h);
    CHECK_EQ(lost, FL_DETECT_FUTURE_MIN_RUN - 1);
    CHECK(fl_future_admit(&hourly, cap, h));

    /* max_future 0: no cap */
    fl_detect_conf conf;
    fl_detect_conf_default(&conf);
    conf.max_future = 0;
    det = fl_detect_new(&conf, on_anomaly, c);
    gate = (fl_future_gate)FL_FUTURE_GATE_INIT;
    CHECK(feed_at(det, T_BASE, &why));
    CHECK(feed_at(det, T_BASE + 2 * 60 * MIN, &why));
    fl_detect_destroy(det);
    free(c);
}

/* Traffic drops to zero for 10 minutes: a request_rate anomaly, down. */
static void request_rate_drop(void)
{
    capture *c = malloc(sizeof *c);
    fl_detect *det = new_detector(c);
    sim s;
    sim_init(&s, det, 304);
    const fl_time drop = 30 * MIN, back = 40 * MIN;
    const phase ph[] = {
        {drop, 50, 0.003, 1},
        {back, 0, 0, 1},
        {55 * MIN, 50, 0.003, 1},
    };
    sim_run(&s, 0, ph, FL_ARRAY_LEN(ph));
    fl_detect_flush(det);
    CHECK_EQ(count_opens(c, FL_SIG_REQUEST_RATE), 1);
    CHECK_EQ(count_opens(c, -1), 1);
    const fl_anomaly *o =
        find(c, FL_ANOMALY_OPEN, FL_SIG_REQUEST_RATE, 0, true);
    if (o) {
        CHECK_EQ(o->dir, FL_DIR_DOWN);
        CHECK_RANGE(o->onset, T_BASE + drop - 30 * SEC,
                    T_BASE + drop + 30 * SEC);
        CHECK_GT(o->detected, T_BASE + drop);
        CHECK_LE(o->detected, T_BASE + drop + 2 * MIN);
        CHECK_RANGE(o->baseline, 45, 55); /* requests per second */
        CHECK_LT(o->peak, 10);
        const fl_anomaly *e =
            find(c, FL_ANOMALY_END, FL_SIG_REQUEST_RATE, o->seq, false);
        CHECK_MSG(e != NULL, "the request_rate anomaly never ended");
        if (e)
            CHECK_RANGE(e->end, T_BASE + back - 30 * SEC,
                        T_BASE + back + 5 * MIN);
    }
    if (unit_failures())
        print_anomalies(c);
    fl_detect_destroy(det);
    free(c);
}

/* Latency 5x for 10 minutes: a latency_p95 anomaly, up. */
static void latency_p95_rise(void)
{
    capture *c = malloc(sizeof *c);
    fl_detect *det = new_detector(c);
    sim s;
    sim_init(&s, det, 305);
    const fl_time change = 30 * MIN, back = 40 * MIN;
    const phase ph[] = {
        {change, 50, 0.003, 1},
        {back, 50, 0.003, 5},
        {55 * MIN, 50, 0.003, 1},
    };
    sim_run(&s, 0, ph, FL_ARRAY_LEN(ph));
    fl_detect_flush(det);
    CHECK_EQ(count_opens(c, FL_SIG_LATENCY_P95), 1);
    CHECK_EQ(count_opens(c, FL_SIG_ERROR_RATE), 0);
    CHECK_EQ(count_opens(c, FL_SIG_REQUEST_RATE), 0);
    const fl_anomaly *o =
        find(c, FL_ANOMALY_OPEN, FL_SIG_LATENCY_P95, 0, true);
    if (o) {
        double p95 = 50.0 * exp(0.4 * 1.6448536); /* ~96.6 ms */
        CHECK_EQ(o->dir, FL_DIR_UP);
        CHECK_RANGE(o->onset, T_BASE + change - 30 * SEC,
                    T_BASE + change + 30 * SEC);
        CHECK_GT(o->detected, T_BASE + change);
        CHECK_LE(o->detected, T_BASE + change + 2 * MIN);
        CHECK_RANGE(o->baseline, 0.9 * p95, 1.1 * p95);
        CHECK_RANGE(o->peak, 4 * o->baseline, 6 * o->baseline);
        const fl_anomaly *e =
            find(c, FL_ANOMALY_END, FL_SIG_LATENCY_P95, o->seq, false);
        CHECK_MSG(e != NULL, "the latency_p95 anomaly never ended");
        if (e)
            CHECK_RANGE(e->end, T_BASE + back - 30 * SEC,
                        T_BASE + back + 5 * MIN);
    }
    /* seq numbers are unique, in detection order */
    uint32_t next = 0;
    for (int i = 0; i < c->n && i < CAP_MAX; i++)
        if (c->what[i] == FL_ANOMALY_OPEN)
            CHECK_EQ(c->a[i].seq, next++);
    if (unit_failures())
        print_anomalies(c);
    fl_detect_destroy(det);
    free(c);
}

/* A silence longer than max_gap is missing data, not a traffic drop. */
static void long_gap_is_not_a_drop(void)
{
    capture *c = malloc(sizeof *c);
    fl_detect *det = new_detector(c);
    sim s;
    sim_init(&s, det, 306);
    const phase ph[] = {
        {30 * MIN, 50, 0.003, 1},
        {30 * MIN + 2 * 3600 * SEC, 0, 0, 1},
        {30 * MIN + 2 * 3600 * SEC + 20 * MIN, 50, 0.003, 1},
    };
    sim_run(&s, 0, ph, FL_ARRAY_LEN(ph));
    fl_detect_flush(det);
    CHECK_EQ(fl_detect_gaps(det), 1);
    CHECK_EQ(count_opens(c, -1), 0);
    if (unit_failures())
        print_anomalies(c);
    fl_detect_destroy(det);
    free(c);
}

static void signal_names(void)
{
    CHECK_STR(fl_signal_name(FL_SIG_ERROR_RATE), "error_rate");
    CHECK_STR(fl_signal_name(FL_SIG_LATENCY_P50), "latency_p50");
    CHECK_STR(fl_signal_name(FL_SIG_LATENCY_P95), "latency_p95");
    CHECK_STR(fl_signal_name(FL_SIG_LATENCY_P99), "latency_p99");
    CHECK_STR(fl_signal_name(FL_SIG_REQUEST_RATE), "request_rate");
    CHECK_STR(fl_signal_name(FL_SIG__COUNT), "unknown");
    fl_detect_conf conf;
    fl_detect_conf_default(&conf);
    CHECK_EQ(conf.bucket, 10 * SEC);
    CHECK_EQ(conf.lateness, 30 * SEC);
    CHECK_EQ(conf.warmup, 10 * MIN);
    /* flushing a detector that saw nothing is harmless */
    capture *c = malloc(sizeof *c);
    fl_detect *det = new_detector(c);
    fl_detect_flush(det);
    CHECK_EQ(fl_detect_watermark(det), FL_TIME_NONE);
    CHECK_EQ(c->n, 0);
    fl_detect_destroy(det);
    fl_detect_destroy(NULL);
    free(c);
}

static const unit_test tests[] = {
    UNIT_TEST(signal_names),         UNIT_TEST(late_event_refused),
    UNIT_TEST(future_skew_capped),
    UNIT_TEST(lateness_lands_in_its_bucket),
    UNIT_TEST(error_rate_incident),  UNIT_TEST(quiet_two_hours),
    UNIT_TEST(request_rate_drop),    UNIT_TEST(latency_p95_rise),
    UNIT_TEST(long_gap_is_not_a_drop),
};
UNIT_SUITE(unit_suite_detect, "detect", tests);
