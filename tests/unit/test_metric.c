/* test_metric.c - detect/metric.c: metric series as signals. Samples go
 * through fl_detect_advance + fl_detect_metric (as replay feeds them) and
 * anomalies are captured from the callback:
 *   - a level shift up or down opens one anomaly named after the metric,
 *     detected causally, with onset, baseline and peak where they belong;
 *   - steady noise and a daily cycle open none; silence is not zero;
 *   - warm-up is counted in samples; late, too-far-ahead, capped and bad
 *     samples are refused with their reason;
 *   - the order samples arrive in within the lateness does not matter;
 *   - through the pipeline, the result document names the metric;
 *   - checkpoints: restored mid-stream gives the same document, re-packs to
 *     the same bytes, and corrupted ones fail cleanly or run safely. */
#define _POSIX_C_SOURCE 200809L
#include "../../cli/pipeline.h"
#include "../../common/fl_ckpt.h"
#include "../../detect/fl_detect.h"
#include "unit.h"

#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>

#define SEC FL_NS_PER_SEC
#define MIN (60 * SEC)
#define HOUR (60 * MIN)
#define DAY (24 * HOUR)
#define T0 ((fl_time)1710072000 * SEC) /* 2024-03-10T12:00:00Z */

/* ------------------------------------------------------------ capture */

#define CAP_MAX 2048

typedef struct {
    int n;
    fl_anomaly_event what[CAP_MAX];
    fl_anomaly a[CAP_MAX];
} capture;

static void on_anomaly(void *ud, fl_anomaly_event what, const fl_anomaly *a)
{
    capture *c = ud;
    if (!a || c->n >= CAP_MAX)
        return;
    c->what[c->n] = what;
    c->a[c->n] = *a;
    c->n++;
}

static int opens(const capture *c)
{
    int k = 0;
    for (int i = 0; i < c->n; i++)
        k += c->what[i] == FL_ANOMALY_OPEN;
    return k;
}

static const fl_anomaly *first_open(const capture *c)
{
    for (int i = 0; i < c->n; i++)
        if (c->what[i] == FL_ANOMALY_OPEN)
            return &c->a[i];
    return NULL;
}

static void print_capture(const capture *c)
{
    for (int i = 0; i < c->n; i++) {
        if (c->what[i] == FL_ANOMALY_UPDATE)
            continue;
        const fl_anomaly *a = &c->a[i];
        printf("      %s %s svc %d %s onset %+.0f s detected %+.0f s base %.4g "
               "peak %.4g\n",
               c->what[i] == FL_ANOMALY_OPEN ? "open" : "end ",
               fl_anomaly_signal(a), a->service,
               a->dir == FL_DIR_UP ? "up" : "down",
               (double)(a->onset - T0) / SEC, (double)(a->detected - T0) / SEC,
               a->baseline, a->peak);
    }
}

static fl_detect *new_det(capture *c, const fl_detect_conf *conf)
{
    fl_detect_conf def;
    if (!conf) {
        fl_detect_conf_default(&def);
        conf = &def;
    }
    memset(c, 0, sizeof *c);
    return fl_detect_new(conf, on_anomaly, c);
}

static fl_event metric_event(fl_time ts, const char *name, double v)
{
    fl_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = FL_EV_METRIC;
    ev.ts = ts;
    ev.service = fl_str_c("svc");
    ev.metric = fl_str_c(name);
    ev.value = v;
    ev.latency_ms = NAN;
    return ev;
}

/* Replay order: time first, then the sample. */
static bool sample(fl_detect *d, int32_t svc, const char *name, fl_time ts,
                   double v, fl_bad_reason *why)
{
    fl_event ev = metric_event(ts, name, v);
    fl_bad_reason w;
    fl_detect_advance(d, ts);
    return fl_detect_metric(d, svc, &ev, why ? why : &w);
}

/* A gauge every `step` from `from` for `n` samples: level + N(0, sd). */
static fl_time gauge(fl_detect *d, unit_rng *rng, const char *name,
                     fl_time from, fl_time step, int n, double level,
                     double sd)
{
    fl_time t = from;
    for (int i = 0; i < n; i++, t += step)
        sample(d, 0, name, t, level + sd * unit_rng_norm(rng), NULL);
    return t;
}

/* ---------------------------------------------------------------- tests */

static void shift_up_and_down(void)
{
    for (int dir = 0; dir < 2; dir++) {
        capture c;
        fl_detect *d = new_det(&c, NULL);
        unit_rng rng;
        unit_rng_seed(&rng, 7 + (uint64_t)dir);
        fl_time shift = gauge(d, &rng, "cpu.busy", T0, 10 * SEC, 720, 100, 2);
        gauge(d, &rng, "cpu.busy", shift, 10 * SEC, 120, dir ? 70 : 130, 2);
        fl_detect_flush(d);
        CHECK_EQ(opens(&c), 1);
        const fl_anomaly *a = first_open(&c);
        REQUIRE(a != NULL);
        CHECK_EQ(a->signal, FL_SIG_METRIC);
        CHECK_STR(a->metric, "cpu.busy");
        CHECK_STR(fl_anomaly_signal(a), "cpu.busy");
        CHECK_EQ(a->service, 0);
        CHECK_EQ(a->dir, dir ? FL_DIR_DOWN : FL_DIR_UP);
        /* causal: detected at the end of a bucket holding shifted data,
         * within a minute; onset at the shift (hindsight) */
        CHECK_GT(a->detected, shift);
        CHECK_LE(a->detected, shift + MIN);
        CHECK_RANGE((double)(a->onset - shift) / SEC, -20, 20);
        CHECK_NEAR(a->baseline, 100, 3);
        CHECK_NEAR(a->peak, dir ? 70 : 130, 5);
        if (unit_failures())
            print_capture(&c);
        fl_detect_destroy(d);
    }
    /* other signals keep their names */
    fl_anomaly a;
    memset(&a, 0, sizeof a);
    a.signal = FL_SIG_LATENCY_P99;
    CHECK_STR(fl_anomaly_signal(&a), "latency_p99");
    CHECK_STR(fl_signal_name(FL_SIG_METRIC), "metric");
}

/* A day of noisy gauges at 10 s: no anomaly, and a metric-only service
 * opens no request-rate anomaly from its empty buckets. */
static void quiet_day(void)
{
    capture c;
    fl_detect *d = new_det(&c, NULL);
    unit_rng rng;
    unit_rng_seed(&rng, 11);
    for (fl_time t = T0; t < T0 + DAY; t += 10 * SEC) {
        sample(d, 0, "mem.used", t, 5e9 + 2e7 * unit_rng_norm(&rng), NULL);
        sample(d, 0, "load", t + SEC, fabs(1 + 0.3 * unit_rng_norm(&rng)),
               NULL);
        sample(d, 1, "queue.depth", t + 2 * SEC,
               (double)(unit_rng_u64(&rng) % 4), NULL);
    }
    fl_detect_flush(d);
    CHECK_EQ(opens(&c), 0);
    CHECK_EQ(fl_detect_metric_count(d), 3);
    if (opens(&c))
        print_capture(&c);
    fl_detect_destroy(d);
}

/* A daily cycle (1-min samples, 6 days) is learned: after the first two
 * days nothing alarms, and an hour-long +60 on day 5 is caught. */
static void daily_cycle(void)
{
    capture c;
    fl_detect *d = new_det(&c, NULL);
    unit_rng rng;
    unit_rng_seed(&rng, 5);
    fl_time bump = T0 + 4 * DAY + 6 * HOUR;
    for (fl_time t = T0; t < T0 + 6 * DAY; t += MIN) {
        double tod = (double)((t - T0) % DAY) / (double)DAY;
        double v = 200 + 100 * sin(6.283185307179586 * tod) + 4 * unit_rng_norm(&rng);
        if (t >= bump && t < bump + HOUR)
            v += 60;
        sample(d, 0, "requests.active", t, v, NULL);
    }
    fl_detect_flush(d);
    int late_opens = 0;
    const fl_anomaly *caught = NULL;
    for (int i = 0; i < c.n; i++) {
        if (c.what[i] != FL_ANOMALY_OPEN || c.a[i].detected < T0 + 2 * DAY)
            continue;
        if (c.a[i].detected >= bump && c.a[i].detected < bump + HOUR)
            caught = &c.a[i];
        else
            late_opens++;
    }
    CHECK_EQ(late_opens, 0);
    CHECK(caught != NULL);
    if (caught) {
        CHECK_EQ(caught->dir, FL_DIR_UP);
        CHECK_LE(caught->detected, bump + 10 * MIN);
    }
    if (unit_failures())
        print_capture(&c);
    fl_detect_destroy(d);
}

/* Missing data is not zero: a metric silent for 40 minutes (another keeps
 * time moving) and back at its level opens nothing; a silence of hours is
 * a time gap, not a drop. */
static void silence_is_not_zero(void)
{
    capture c;
    fl_detect *d = new_det(&c, NULL);
    unit_rng rng;
    unit_rng_seed(&rng, 3);
    fl_time t = T0;
    for (; t < T0 + 2 * HOUR; t += 10 * SEC) {
        sample(d, 0, "a", t, 50 + unit_rng_norm(&rng), NULL);
        sample(d, 0, "b", t, 10 + unit_rng_norm(&rng), NULL);
    }
    for (; t < T0 + 2 * HOUR + 40 * MIN; t += 10 * SEC)
        sample(d, 0, "b", t, 10 + unit_rng_norm(&rng), NULL);
    for (; t < T0 + 3 * HOUR; t += 10 * SEC) {
        sample(d, 0, "a", t, 50 + unit_rng_norm(&rng), NULL);
        sample(d, 0, "b", t, 10 + unit_rng_norm(&rng), NULL);
    }
    /* everything silent for 5 hours */
    t += 5 * HOUR;
    for (fl_time e = t + HOUR; t < e; t += 10 * SEC) {
        sample(d, 0, "a", t, 50 + unit_rng_norm(&rng), NULL);
        sample(d, 0, "b", t, 10 + unit_rng_norm(&rng), NULL);
    }
    fl_detect_flush(d);
    CHECK_EQ(opens(&c), 0);
    CHECK_EQ(fl_detect_gaps(d), 1);
    if (opens(&c))
        print_capture(&c);
    fl_detect_destroy(d);
}

/* An anomalous metric that stops reporting (others go on) ends where its
 * data stopped once max_gap has passed. */
static void silence_ends_anomaly(void)
{
    capture c;
    fl_detect *d = new_det(&c, NULL);
    unit_rng rng;
    unit_rng_seed(&rng, 4);
    fl_time t = T0, last_a = 0;
    for (; t < T0 + 4 * HOUR; t += 10 * SEC) {
        if (t < T0 + 2 * HOUR + 10 * MIN) {
            double v = t < T0 + 2 * HOUR ? 50 : 90;
            sample(d, 0, "a", t, v + unit_rng_norm(&rng), NULL);
            last_a = t;
        }
        sample(d, 0, "b", t, 10 + unit_rng_norm(&rng), NULL);
    }
    fl_detect_flush(d);
    REQUIRE_EQ(opens(&c), 1);
    const fl_anomaly *end = NULL;
    for (int i = 0; i < c.n; i++)
        if (c.what[i] == FL_ANOMALY_END)
            end = &c.a[i];
    REQUIRE(end != NULL);
    CHECK_EQ(end->end, last_a);
    fl_detect_destroy(d);
}

/* Warm-up counts samples, not time: at 5-minute steps the first 60
 * samples (5 hours) never alarm, even on a spike. */
static void warmup_in_samples(void)
{
    capture c;
    fl_detect *d = new_det(&c, NULL);
    unit_rng rng;
    unit_rng_seed(&rng, 9);
    fl_time t = T0;
    for (int i = 0; i < 300; i++, t += 5 * MIN) {
        double v = 20 + unit_rng_norm(&rng);
        if (i == 30 || i == 250)
            v = 80;
        sample(d, 0, "temp", t, v, NULL);
    }
    fl_detect_flush(d);
    REQUIRE_EQ(opens(&c), 1);
    CHECK_EQ(first_open(&c)->onset, T0 + 250 * 5 * MIN);
    fl_detect_destroy(d);
}

static void refusals(void)
{
    capture c;
    fl_detect_conf conf;
    fl_detect_conf_default(&conf);
    conf.max_metrics_per_service = 3;
    conf.max_metrics = 5;
    fl_detect *d = new_det(&c, &conf);
    fl_bad_reason why;
    fl_time t = T0;
    CHECK(sample(d, 0, "a", t, 1, &why));
    CHECK(sample(d, 0, "b", t, 1, &why));
    CHECK(sample(d, 0, "c", t, 1, &why));
    CHECK(!sample(d, 0, "d", t, 1, &why) && why == FL_BAD_METRIC_LIMIT);
    CHECK(sample(d, 0, "a", t + SEC, 2, &why)); /* known ones go on */
    CHECK(sample(d, 1, "a", t, 1, &why));
    CHECK(sample(d, 1, "b", t, 1, &why));
    CHECK(!sample(d, 2, "a", t, 1, &why) && why == FL_BAD_METRIC_LIMIT);
    CHECK_EQ(fl_detect_metric_count(d), 5);
    /* values and names */
    CHECK(!sample(d, 0, "a", t, NAN, &why) && why == FL_BAD_VALUE);
    CHECK(!sample(d, 0, "a", t, INFINITY, &why) && why == FL_BAD_VALUE);
    CHECK(!sample(d, 0, "", t, 1, &why) && why == FL_BAD_VALUE);
    char longname[FL_METRIC_NAME_MAX + 2];
    memset(longname, 'x', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    CHECK(!sample(d, 0, longname, t, 1, &why) && why == FL_BAD_VALUE);
    fl_event ev = metric_event(t, "a", 1);
    ev.metric = (fl_str){"a\0b", 3};
    CHECK(!fl_detect_metric(d, 0, &ev, &why) && why == FL_BAD_VALUE);
    /* late: its bucket has closed; too far ahead */
    fl_detect_advance(d, t + 10 * MIN);
    CHECK(!sample(d, 0, "a", t + MIN, 1, &why) && why == FL_BAD_LATE);
    ev = metric_event(t + 10 * MIN + (FL_DETECT_MAX_AHEAD + 10) * 10 * SEC,
                      "a", 1);
    CHECK(!fl_detect_metric(d, 0, &ev, &why) && why == FL_BAD_AHEAD);
    fl_detect_destroy(d);
}

/* Samples of one bucket arriving in any order (within the lateness) give
 * the same anomalies: a bucket's samples are fed sorted by (time, value). */
static void arrival_order(void)
{
    capture c[2];
    fl_detect *d[2];
    for (int k = 0; k < 2; k++) {
        d[k] = new_det(&c[k], NULL);
        unit_rng rng;
        unit_rng_seed(&rng, 21);
        fl_time t = T0;
        for (int i = 0; i < 600; i++, t += 10 * SEC) {
            double v[4];
            for (int j = 0; j < 4; j++)
                v[j] = (i > 500 ? 40 : 20) + unit_rng_norm(&rng);
            for (int j = 0; j < 4; j++) {
                int jj = k ? 3 - j : j; /* reversed in the second */
                fl_event ev = metric_event(t + jj * 2 * SEC, "m", v[jj]);
                fl_bad_reason why;
                fl_detect_advance(d[k], t);
                CHECK(fl_detect_metric(d[k], 0, &ev, &why));
            }
            /* two samples at the same instant */
            fl_event e1 = metric_event(t + SEC, "m", v[0] + 1);
            fl_event e2 = metric_event(t + SEC, "m", v[1] - 1);
            fl_bad_reason why;
            CHECK(fl_detect_metric(d[k], 0, k ? &e2 : &e1, &why));
            CHECK(fl_detect_metric(d[k], 0, k ? &e1 : &e2, &why));
        }
        fl_detect_flush(d[k]);
    }
    REQUIRE_EQ(c[0].n, c[1].n);
    CHECK_GE(opens(&c[0]), 1);
    for (int i = 0; i < c[0].n; i++) {
        CHECK_EQ(c[0].what[i], c[1].what[i]);
        CHECK_EQ(c[0].a[i].onset, c[1].a[i].onset);
        CHECK_EQ(c[0].a[i].detected, c[1].a[i].detected);
        CHECK_EQ(c[0].a[i].end, c[1].a[i].end);
        CHECK(c[0].a[i].peak == c[1].a[i].peak);
        CHECK(c[0].a[i].baseline == c[1].a[i].baseline);
    }
    fl_detect_destroy(d[0]);
    fl_detect_destroy(d[1]);
}

/* ---------------------------------------------------- through pipeline */

typedef struct {
    char **lines;
    size_t n;
} lines;

/* Two hosts' Telegraf-style lines for 3 hours at 10 s; web1's cpu jumps
 * at +2 h, and a deploy of web1 lands a minute before. */
static lines make_lines(void)
{
    lines l = {NULL, 0};
    size_t cap = 4096;
    l.lines = malloc(cap * sizeof *l.lines);
    unit_rng rng;
    unit_rng_seed(&rng, 77);
    char buf[512];
    for (fl_time t = T0; t < T0 + 3 * HOUR; t += 10 * SEC) {
        for (int h = 0; h < 2; h++) {
            double cpu = 20 + 2 * unit_rng_norm(&rng);
            if (h == 0 && t >= T0 + 2 * HOUR)
                cpu += 45;
            snprintf(buf, sizeof buf,
                     "cpu,cpu=cpu-total,host=web%d usage_user=%.3f,"
                     "usage_idle=%.3f %lld",
                     h + 1, cpu, 100 - cpu, (long long)(t + h * SEC));
            if (l.n == cap)
                l.lines = realloc(l.lines, (cap *= 2) * sizeof *l.lines);
            l.lines[l.n++] = strdup(buf);
        }
        if (t == T0 + 2 * HOUR - MIN) {
            snprintf(buf, sizeof buf,
                     "{\"ts\":%lld,\"kind\":\"deploy\",\"service\":\"web1\","
                     "\"version\":\"v2\"}", (long long)(t / SEC));
            if (l.n == cap)
                l.lines = realloc(l.lines, (cap *= 2) * sizeof *l.lines);
            l.lines[l.n++] = strdup(buf);
        }
    }
    return l;
}

static void lines_free(lines *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->lines[i]);
    free(l->lines);
}

static void feed(fl_pipeline *p, fl_decoder *dec, const lines *l, size_t from,
                 size_t to)
{
    for (size_t i = from; i < to && i < l->n; i++) {
        fl_event ev;
        fl_bad_reason why;
        fl_pipeline_stats_mut(p)->lines++;
        if (fl_decode_line(dec, fl_str_c(l->lines[i]), FL_STR_NULL, &ev,
                           &why)) {
            do
                fl_pipeline_event(p, &ev);
            while (fl_decoder_more(dec, &ev));
        } else {
            fl_pipeline_bad(p, why);
        }
    }
}

static fl_pipeline *new_pipeline(void)
{
    fl_pipeline_conf conf;
    fl_pipeline_conf_default(&conf);
    return fl_pipeline_new(&conf);
}

static void pipeline_names_the_metric(void)
{
    lines l = make_lines();
    fl_decoder *dec = fl_decoder_new(FL_FORMAT_AUTO);
    fl_pipeline *p = new_pipeline();
    feed(p, dec, &l, 0, l.n);
    fl_pipeline_finish(p);
    fl_buf b = {0};
    fl_pipeline_result_json(p, &b);
    fl_buf_putc(&b, '\0');
    CHECK_MSG(strstr(b.p, "\"signal\":\"cpu.usage_user{cpu=cpu-total}\"") &&
                  strstr(b.p, "\"signal\":\"cpu.usage_idle{cpu=cpu-total}\""),
              "result: %.600s", b.p);
    CHECK(strstr(b.p, "\"service\":\"web1\"") != NULL);
    CHECK(strstr(b.p, "\"kind\":\"deploy\"") != NULL);
    CHECK(strstr(b.p, "\"service\":\"web2\"") == NULL);
    const fl_stats *st = fl_pipeline_stats(p);
    CHECK_EQ(st->bad_lines, 0);
    CHECK_EQ(st->dropped, 0);
    CHECK_EQ(st->anomalies[FL_SIG_METRIC], 2);
    CHECK_EQ(fl_rca_count(fl_pipeline_rca(p)), 1);
    fl_buf_free(&b);
    fl_pipeline_destroy(p);
    fl_decoder_destroy(dec);
    lines_free(&l);
}

/* ---------------------------------------------------------- checkpoints */

static void pack(const fl_pipeline *p, msgpack_sbuffer *sb)
{
    msgpack_sbuffer_init(sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    fl_pipeline_pack(p, &pk);
}

static fl_pipeline *load(const char *buf, size_t len, char *err, size_t errlen)
{
    err[0] = '\0';
    if (!fl_ckpt_scan(buf, len, err, errlen))
        return NULL;
    msgpack_unpacked up;
    msgpack_unpacked_init(&up);
    size_t off = 0;
    if (msgpack_unpack_next(&up, buf, len, &off) != MSGPACK_UNPACK_SUCCESS) {
        snprintf(err, errlen, "not msgpack");
        msgpack_unpacked_destroy(&up);
        return NULL;
    }
    fl_pipeline *p = new_pipeline();
    bool ok = fl_pipeline_unpack(p, &up.data, err, errlen);
    msgpack_unpacked_destroy(&up);
    if (!ok) {
        fl_pipeline_destroy(p);
        return NULL;
    }
    return p;
}

static void result(const fl_pipeline *p, fl_buf *b)
{
    fl_pipeline_result_json(p, b);
}

static void checkpoint_roundtrip(void)
{
    lines l = make_lines();
    fl_decoder *dec = fl_decoder_new(FL_FORMAT_AUTO);
    fl_pipeline *ref = new_pipeline();
    feed(ref, dec, &l, 0, l.n);
    fl_pipeline_finish(ref);
    fl_buf want = {0};
    result(ref, &want);
    /* 10%: warm-up; 50%: learned; 68%: inside the anomaly (pending
     * samples, an open alarm); 100% */
    static const double cuts[] = {0.01, 0.10, 0.50, 0.68, 1.0};
    for (size_t k = 0; k < FL_ARRAY_LEN(cuts); k++) {
        size_t cut = (size_t)(cuts[k] * (double)l.n);
        fl_pipeline *p1 = new_pipeline();
        feed(p1, dec, &l, 0, cut);
        msgpack_sbuffer b1, b2;
        pack(p1, &b1);
        char err[512];
        fl_pipeline *p2 = load(b1.data, b1.size, err, sizeof err);
        CHECK_MSG(p2 != NULL, "cut %.0f%%: %s", cuts[k] * 100, err);
        if (p2) {
            pack(p2, &b2);
            CHECK_MSG(b1.size == b2.size && memcmp(b1.data, b2.data, b1.size) == 0,
                      "cut %.0f%%: re-packed checkpoint differs",
                      cuts[k] * 100);
            msgpack_sbuffer_destroy(&b2);
            feed(p2, dec, &l, cut, l.n);
            fl_pipeline_finish(p2);
            fl_buf got = {0};
            result(p2, &got);
            CHECK_MSG(got.n == want.n && memcmp(got.p, want.p, got.n) == 0,
                      "cut %.0f%%: restored run differs", cuts[k] * 100);
            fl_buf_free(&got);
            fl_pipeline_destroy(p2);
        }
        msgpack_sbuffer_destroy(&b1);
        fl_pipeline_destroy(p1);
    }
    fl_buf_free(&want);
    fl_pipeline_destroy(ref);
    fl_decoder_destroy(dec);
    lines_free(&l);
}

/* Finds map[key] in a decoded checkpoint tree (NULL when absent). */
static msgpack_object *get(msgpack_object *map, const char *key)
{
    if (!map || map->type != MSGPACK_OBJECT_MAP)
        return NULL;
    for (uint32_t i = 0; i < map->via.map.size; i++) {
        msgpack_object_kv *kv = &map->via.map.ptr[i];
        if (kv->key.type == MSGPACK_OBJECT_STR &&
            kv->key.via.str.size == strlen(key) &&
            memcmp(kv->key.via.str.ptr, key, strlen(key)) == 0)
            return &kv->val;
    }
    return NULL;
}

/* The metrics of the first service that has any. */
static msgpack_object *metrics_of(msgpack_object *root)
{
    msgpack_object *svcs = get(get(root, "detect"), "svcs");
    if (!svcs || svcs->type != MSGPACK_OBJECT_ARRAY)
        return NULL;
    for (uint32_t i = 0; i < svcs->via.array.size; i++) {
        msgpack_object *m = get(&svcs->via.array.ptr[i], "mets");
        if (m && m->type == MSGPACK_OBJECT_ARRAY && m->via.array.size >= 2)
            return m;
    }
    return NULL;
}

/* Targeted corruptions of the metric state are refused with a message
 * that names where. */
static void checkpoint_refusals(void)
{
    lines l = make_lines();
    fl_decoder *dec = fl_decoder_new(FL_FORMAT_AUTO);
    fl_pipeline *p = new_pipeline();
    feed(p, dec, &l, 0, (size_t)(0.68 * (double)l.n));
    msgpack_sbuffer sb;
    pack(p, &sb);
    for (int kind = 0; kind < 8; kind++) {
        msgpack_unpacked up;
        msgpack_unpacked_init(&up);
        size_t off = 0;
        REQUIRE(msgpack_unpack_next(&up, sb.data, sb.size, &off) ==
                MSGPACK_UNPACK_SUCCESS);
        msgpack_object *mets = metrics_of(&up.data);
        REQUIRE(mets != NULL);
        msgpack_object *m0 = &mets->via.array.ptr[0];
        msgpack_object *m1 = &mets->via.array.ptr[1];
        const char *expect = "mets";
        switch (kind) {
        case 0: { /* names out of order */
            msgpack_object tmp = *m0;
            *m0 = *m1;
            *m1 = tmp;
            break;
        }
        case 1: /* a visit count past 255 */
            get(m0, "season_n")->via.array.ptr[3].via.u64 = 300;
            break;
        case 2: /* a history longer than the samples seen */
            get(m0, "seen")->via.u64 = 5;
            break;
        case 3: /* a hold-off longer than an end window */
            get(m0, "hold")->via.u64 = 1000;
            break;
        case 4: { /* an empty name */
            msgpack_object *nm = get(m0, "name");
            nm->via.str.size = 0;
            break;
        }
        case 5: /* a negative record */
            get(m0, "record")->via.f64 = -1;
            break;
        case 6: { /* the anomaly of a metric named for another signal */
            msgpack_object *a = get(get(m0, "al"), "a");
            get(a, "sig")->via.u64 = FL_SIG_ERROR_RATE;
            get(a, "metric")->via.str.size = 1;
            expect = "metric";
            break;
        }
        case 7: { /* a pending sample in a closed bucket */
            msgpack_object *pend = NULL;
            for (uint32_t i = 0; i < mets->via.array.size && !pend; i++) {
                msgpack_object *pp = get(&mets->via.array.ptr[i], "pend");
                if (pp->via.array.size)
                    pend = pp;
            }
            REQUIRE(pend != NULL);
            msgpack_object *ts = &pend->via.array.ptr[0].via.array.ptr[0];
            ts->via.u64 -= (uint64_t)HOUR;
            expect = "pend";
            break;
        }
        }
        fl_pipeline *q = new_pipeline();
        char err[512] = "";
        bool ok = fl_pipeline_unpack(q, &up.data, err, sizeof err);
        CHECK_MSG(!ok, "corruption %d accepted", kind);
        CHECK_MSG(strstr(err, expect) != NULL, "corruption %d: %s", kind, err);
        fl_pipeline_destroy(q);
        msgpack_unpacked_destroy(&up);
    }
    msgpack_sbuffer_destroy(&sb);
    fl_pipeline_destroy(p);
    fl_decoder_destroy(dec);
    lines_free(&l);
}

/* Byte flips and truncations either fail cleanly or load a pipeline that
 * runs the rest of the input without crashing (ASan + UBSan build). */
static void checkpoint_corruptions(void)
{
    lines l = make_lines();
    fl_decoder *dec = fl_decoder_new(FL_FORMAT_AUTO);
    fl_pipeline *p = new_pipeline();
    size_t cut = (size_t)(0.68 * (double)l.n);
    feed(p, dec, &l, 0, cut);
    msgpack_sbuffer sb;
    pack(p, &sb);
    unit_rng rng;
    unit_rng_seed(&rng, 99);
    char *buf = malloc(sb.size);
    int loaded = 0;
    for (int i = 0; i < 150; i++) {
        memcpy(buf, sb.data, sb.size);
        size_t len = sb.size;
        if (i % 10 == 9) {
            len = unit_rng_u64(&rng) % sb.size;
        } else {
            size_t at = unit_rng_u64(&rng) % sb.size;
            buf[at] = (char)(unit_rng_u64(&rng) & 0xff);
        }
        char err[512];
        fl_pipeline *q = load(buf, len, err, sizeof err);
        if (!q) {
            CHECK(err[0] != '\0');
            continue;
        }
        loaded++;
        feed(q, dec, &l, cut, cut + 400);
        fl_pipeline_finish(q);
        fl_buf b = {0};
        result(q, &b);
        fl_buf_free(&b);
        fl_pipeline_destroy(q);
    }
    CHECK_GT(loaded, 0); /* some flips land in values any reader accepts */
    free(buf);
    msgpack_sbuffer_destroy(&sb);
    fl_pipeline_destroy(p);
    fl_decoder_destroy(dec);
    lines_free(&l);
}

static const unit_test tests[] = {
    UNIT_TEST(shift_up_and_down),       UNIT_TEST(quiet_day),
    UNIT_TEST(daily_cycle),             UNIT_TEST(silence_is_not_zero),
    UNIT_TEST(silence_ends_anomaly),    UNIT_TEST(warmup_in_samples),
    UNIT_TEST(refusals),                UNIT_TEST(arrival_order),
    UNIT_TEST(pipeline_names_the_metric), UNIT_TEST(checkpoint_roundtrip),
    UNIT_TEST(checkpoint_refusals),     UNIT_TEST(checkpoint_corruptions),
};
UNIT_SUITE(unit_suite_metric, "metric", tests);
