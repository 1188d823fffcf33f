/*
 * state.c - the detector's state for checkpoints: fl_detect_pack writes it
 * as one msgpack value, fl_detect_unpack reads it back into a fresh
 * detector and refuses anything it would not have produced itself.
 *
 * Version 5 added a metric's spread detector ("sp_*", metric.c:
 * spread_step), whose mean and variance of ln step^2 are learned over
 * hundreds of samples; a version-4 checkpoint is refused for the same
 * reason as below.
 * Version 4 added a metric's residual autocorrelation ("ac_*", metric.c:
 * ac_learn), learned over thousands of samples; a version-3 checkpoint
 * is refused (its metrics would restart that learning silently with the
 * wrong threshold), so a consumer upgraded across it starts from an empty
 * --state-dir.
 * Version 3 added a metric's kind (counters judged by their rate) and its
 * weekly profile; a version-2 checkpoint is refused like any foreign one
 * (the maps are exact, and a metric's kind cannot be inferred afterwards),
 * so a consumer upgraded across it starts from an empty --state-dir.
 *
 * Layout, version 5 (maps with exactly the keys shown, packed in this
 * order, read in any; "[x × n]" is an array of exactly n; conventions in
 * common/fl_ckpt.h):
 *
 *   detect   {"v": 4,
 *             "conf": {"bucket": ns, "ring": slots per service at start,
 *                      "win": buckets in an end window},   must match ours
 *             "frontier": time | FL_TIME_NONE (INT64_MIN),
 *             "closed": last closed bucket | INT64_MIN before any,
 *             "min_bucket": earliest bucket before the first advance
 *                           | INT64_MAX,
 *             "seq": next anomaly seq, "gaps": time gaps seen,
 *             "svcs": [nil | svc]  index = service id, length nsvcs}
 *   svc      {"started": bool, "first": first bucket,
 *             "ring": [nil | slot × ring_n]   nil = empty slot,
 *             "hist_n": [u32 × 720], "hist_e": [u32 × 720],
 *             "carry": sketch, "carry_n": pooled buckets (≤ 6),
 *             "xhist": [[f32 × 128] × 4]   log p50, p95, p99, request count,
 *             "g": [gauss × 5]   by request signal, "eb": binom,
 *             "al": [alarm × 5]  by request signal,
 *             "mets": [metric]   sorted by name, unique}
 *   metric   {"name": 1..255 bytes of UTF-8 without NUL, "g": gauss,
 *             "kind": 0 undecided (first warm-up), 1 gauge, 2 counter
 *                     (judged by its rate; added in layout 3),
 *             "h": f64 ≥ 0, "res": f64 ≥ 0, "al": alarm,
 *             "first", "last": time | NONE, "hold": u32 ≤ win,
 *             "last_x": f64, "record": f64 ≥ 0, "record_t": time | NONE,
 *             "seasonal": bool, "lvl_s", "lvl_p", "ms_p", "ms_s": f64,
 *             "season": [f32 × 288], "season_n": [u32 ≤ 255 × 288],
 *             "weekly": bool, "ms_d", "ms_w": f64,
 *             "week": [f32 × 168], "week_n": [u32 ≤ 255 × 168]
 *                     the weekly profile (added in layout 3),
 *             "ac_u": f64 in [-3, 3] | NaN (none), "ac_x": f64 in [-3, 3],
 *             "ac_xy": f64 in [-9, 9], "ac_xx": f64 in [0, 9],
 *             "ac_n": u32 ≤ 2000   the residuals' lag-1 autocorrelation
 *                     (added in layout 4),
 *             "sp_m", "sp_l", "sp_ly", "sp_fast": finite f64,
 *             "sp_v", "sp_ll": f64 in [0, 1e6), "sp_zero": f64 in [0, 1],
 *             "sp_s", "sp_record": f64 in [0, 1e9), "sp_h": f64 in
 *             [0, 1e12) (an ARL), "sp_n": u32 ≤ 500, "sp_len": u32,
 *             "sp_start": time | NONE, "sp_open": bool   the spread
 *                     detector (added in layout 5),
 *             "seen": u64 samples fed,
 *             "hist": [[time, f64] × min(seen, 128)]   oldest first,
 *             "pend": [[time, f64] × ≤ 8192]   waiting in open buckets,
 *                     sorted by (time, value)}
 *   slot     {"idx": bucket, "n": requests, "err": errors,
 *             "up": [[service | -1, errors] × 4], "lat": sketch}
 *   sketch   {"lo": index of bins[0], "count": u64, "zeros": u64,
 *             "bins": [u32 × n]}
 *   gauss    {"mean", "var", "sp", "sn": f64, "sp_at", "sn_at": time | NONE,
 *             "wsum", "wsum2": f64, "nobs": u32}
 *   binom    {"ew_n", "ew_e": f64, "s": [f64 × 3], "s_at": [time | NONE × 3],
 *             "excess": f64, "nobs": u32}
 *   alarm    {"state": fl_det_state, "a": anomaly, "win": [f32 × win],
 *             "win_n", "win_pos": u32, "fast": f64 (NaN allowed)}
 *   anomaly  {"seq", "svc", "sig", "metric" (the metric's name for a
 *             metric anomaly, "" for any other), "dir", "onset", "detected",
 *             "end" (NONE while open), "peak_at", "base", "peak", "sev",
 *             "req", "err", "exp", "blame": [[service | -1, errors] × 4]}
 *
 * What unpack checks beyond types: the configuration above; service ids
 * (svcs length, blame, anomaly) below the id space; bucket indices within
 * [0, FL_CKPT_TIME_LIM / bucket] (histories are indexed by bucket mod 720;
 * the closed bucket may be -1); event time consistent with the closed
 * bucket (closed in [bucket(frontier - lateness) - 1, bucket(frontier) - 1],
 * both or neither set); ring sizes between the initial size and
 * max(initial, 2 * FL_DETECT_MAX_AHEAD); each held slot in the position
 * its bucket maps to (idx mod ring size) and still open; sketch
 * windows of at most FL_SKETCH_MAX_BINS + 8 bins (ensure() may overshoot
 * the cap by its 8-bin margin) at |lo| <= 2^20; enum values; end-window
 * positions below the window; metrics: per-service and total caps of this
 * run, names sorted and unique, an open alarm naming its own metric and
 * service, samples finite, pending samples sorted and in open buckets,
 * pending counts within the caps.
 */
#include "detect_int.h"

#include "../common/fl_ckpt.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define LAYOUT_VERSION 5
#define SKETCH_MAX_N (FL_SKETCH_MAX_BINS + 8)
#define SKETCH_LO_LIM (1 << 20)

/* --------------------------------------------------------------- packing */

static void pack_pairs(msgpack_packer *pk, const int32_t *svc,
                       const uint32_t *err, size_t stride)
{
    msgpack_pack_array(pk, FL_BLAME_MAX);
    for (int i = 0; i < FL_BLAME_MAX; i++) {
        const int32_t *s = (const int32_t *)((const char *)svc + i * stride);
        const uint32_t *e = (const uint32_t *)((const char *)err + i * stride);
        msgpack_pack_array(pk, 2);
        msgpack_pack_int64(pk, *s);
        msgpack_pack_uint64(pk, *e);
    }
}

static void pack_sketch(msgpack_packer *pk, const fl_sketch *s)
{
    msgpack_pack_map(pk, 4);
    fl_pk_key(pk, "lo");
    msgpack_pack_int64(pk, s->lo);
    fl_pk_key(pk, "count");
    msgpack_pack_uint64(pk, s->count);
    fl_pk_key(pk, "zeros");
    msgpack_pack_uint64(pk, s->zeros);
    fl_pk_key(pk, "bins");
    msgpack_pack_array(pk, s->n);
    for (uint32_t i = 0; i < s->n; i++)
        msgpack_pack_uint64(pk, s->bins[i]);
}

void fl_anomaly_pack(msgpack_packer *pk, const fl_anomaly *a)
{
    msgpack_pack_map(pk, 16);
    fl_pk_key(pk, "seq");
    msgpack_pack_uint64(pk, a->seq);
    fl_pk_key(pk, "svc");
    msgpack_pack_int64(pk, a->service);
    fl_pk_key(pk, "sig");
    msgpack_pack_int64(pk, a->signal);
    fl_pk_key(pk, "metric");
    fl_pk_str(pk, a->metric, strlen(a->metric));
    fl_pk_key(pk, "dir");
    msgpack_pack_int64(pk, a->dir);
    fl_pk_key(pk, "onset");
    msgpack_pack_int64(pk, a->onset);
    fl_pk_key(pk, "detected");
    msgpack_pack_int64(pk, a->detected);
    fl_pk_key(pk, "end");
    msgpack_pack_int64(pk, a->end);
    fl_pk_key(pk, "peak_at");
    msgpack_pack_int64(pk, a->peak_at);
    fl_pk_key(pk, "base");
    msgpack_pack_double(pk, a->baseline);
    fl_pk_key(pk, "peak");
    msgpack_pack_double(pk, a->peak);
    fl_pk_key(pk, "sev");
    msgpack_pack_double(pk, a->severity);
    fl_pk_key(pk, "req");
    msgpack_pack_uint64(pk, a->requests);
    fl_pk_key(pk, "err");
    msgpack_pack_uint64(pk, a->errors);
    fl_pk_key(pk, "exp");
    msgpack_pack_double(pk, a->expected_errors);
    fl_pk_key(pk, "blame");
    pack_pairs(pk, &a->blame[0].service, &a->blame[0].errors,
               sizeof a->blame[0]);
}

static void pack_gauss(msgpack_packer *pk, const fl_gauss_cusum *g)
{
    msgpack_pack_map(pk, 9);
    fl_pk_key(pk, "mean");
    msgpack_pack_double(pk, g->mean);
    fl_pk_key(pk, "var");
    msgpack_pack_double(pk, g->var);
    fl_pk_key(pk, "sp");
    msgpack_pack_double(pk, g->sp);
    fl_pk_key(pk, "sn");
    msgpack_pack_double(pk, g->sn);
    fl_pk_key(pk, "sp_at");
    msgpack_pack_int64(pk, g->sp_start);
    fl_pk_key(pk, "sn_at");
    msgpack_pack_int64(pk, g->sn_start);
    fl_pk_key(pk, "wsum");
    msgpack_pack_double(pk, g->wsum);
    fl_pk_key(pk, "wsum2");
    msgpack_pack_double(pk, g->wsum2);
    fl_pk_key(pk, "nobs");
    msgpack_pack_uint64(pk, g->nobs);
}

static void pack_binom(msgpack_packer *pk, const fl_binom_cusum *b)
{
    msgpack_pack_map(pk, 6);
    fl_pk_key(pk, "ew_n");
    msgpack_pack_double(pk, b->ew_n);
    fl_pk_key(pk, "ew_e");
    msgpack_pack_double(pk, b->ew_e);
    fl_pk_key(pk, "s");
    msgpack_pack_array(pk, FL_BINOM_ALTS);
    for (int j = 0; j < FL_BINOM_ALTS; j++)
        msgpack_pack_double(pk, b->s[j]);
    fl_pk_key(pk, "s_at");
    msgpack_pack_array(pk, FL_BINOM_ALTS);
    for (int j = 0; j < FL_BINOM_ALTS; j++)
        msgpack_pack_int64(pk, b->s_start[j]);
    fl_pk_key(pk, "excess");
    msgpack_pack_double(pk, b->excess);
    fl_pk_key(pk, "nobs");
    msgpack_pack_uint64(pk, b->nobs);
}

static void pack_alarm(msgpack_packer *pk, const fl_detect *d, const alarm *al)
{
    msgpack_pack_map(pk, 6);
    fl_pk_key(pk, "state");
    msgpack_pack_int64(pk, al->state);
    fl_pk_key(pk, "a");
    fl_anomaly_pack(pk, &al->a);
    fl_pk_key(pk, "win");
    msgpack_pack_array(pk, d->win);
    for (uint32_t i = 0; i < d->win; i++)
        msgpack_pack_float(pk, al->win[i]);
    fl_pk_key(pk, "win_n");
    msgpack_pack_uint64(pk, al->win_n);
    fl_pk_key(pk, "win_pos");
    msgpack_pack_uint64(pk, al->win_pos);
    fl_pk_key(pk, "fast");
    msgpack_pack_double(pk, al->fast);
}

static void pack_slot(msgpack_packer *pk, const slot *sl)
{
    if (sl->idx == INT64_MIN) {
        msgpack_pack_nil(pk);
        return;
    }
    msgpack_pack_map(pk, 5);
    fl_pk_key(pk, "idx");
    msgpack_pack_int64(pk, sl->idx);
    fl_pk_key(pk, "n");
    msgpack_pack_uint64(pk, sl->n);
    fl_pk_key(pk, "err");
    msgpack_pack_uint64(pk, sl->err);
    fl_pk_key(pk, "up");
    pack_pairs(pk, &sl->up[0].svc, &sl->up[0].err, sizeof sl->up[0]);
    fl_pk_key(pk, "lat");
    if (sl->nlat) {
        /* inline latencies (detect_int.h): saved as the sketch they make,
         * so the layout and the bytes are those of the sketch alone */
        fl_sketch t;
        fl_sketch_init(&t, SKETCH_ALPHA);
        for (uint32_t j = 0; j < sl->nlat; j++)
            fl_sketch_add_index(&t, sl->lat_i[j]);
        pack_sketch(pk, &t);
        fl_sketch_free(&t);
    } else {
        pack_sketch(pk, &sl->lat);
    }
}

static void pack_samples(msgpack_packer *pk, const fl_time *t, const double *x,
                         size_t stride, uint32_t n)
{
    msgpack_pack_array(pk, n);
    for (uint32_t i = 0; i < n; i++) {
        msgpack_pack_array(pk, 2);
        msgpack_pack_int64(pk, *(const fl_time *)((const char *)t + i * stride));
        msgpack_pack_double(pk, *(const double *)((const char *)x + i * stride));
    }
}

static void pack_metric(msgpack_packer *pk, const fl_detect *d, const metric *m)
{
    msgpack_pack_map(pk, 46);
    fl_pk_key(pk, "name");
    fl_pk_str(pk, m->name, m->len);
    fl_pk_key(pk, "kind");
    msgpack_pack_uint64(pk, m->kind);
    fl_pk_key(pk, "g");
    pack_gauss(pk, &m->g);
    fl_pk_key(pk, "h");
    msgpack_pack_double(pk, m->h);
    fl_pk_key(pk, "res");
    msgpack_pack_double(pk, m->res);
    fl_pk_key(pk, "al");
    pack_alarm(pk, d, &m->al);
    fl_pk_key(pk, "first");
    msgpack_pack_int64(pk, m->first_ts);
    fl_pk_key(pk, "last");
    msgpack_pack_int64(pk, m->last_ts);
    fl_pk_key(pk, "hold");
    msgpack_pack_uint64(pk, m->hold);
    fl_pk_key(pk, "last_x");
    msgpack_pack_double(pk, m->last_x);
    fl_pk_key(pk, "record");
    msgpack_pack_double(pk, m->record);
    fl_pk_key(pk, "record_t");
    msgpack_pack_int64(pk, m->record_t);
    fl_pk_key(pk, "seasonal");
    fl_pk_bool(pk, m->seasonal);
    fl_pk_key(pk, "lvl_s");
    msgpack_pack_double(pk, m->lvl_s);
    fl_pk_key(pk, "lvl_p");
    msgpack_pack_double(pk, m->lvl_p);
    fl_pk_key(pk, "ms_p");
    msgpack_pack_double(pk, m->ms_p);
    fl_pk_key(pk, "ms_s");
    msgpack_pack_double(pk, m->ms_s);
    fl_pk_key(pk, "season");
    msgpack_pack_array(pk, MET_SLOTS);
    for (int i = 0; i < MET_SLOTS; i++)
        msgpack_pack_float(pk, m->season[i]);
    fl_pk_key(pk, "season_n");
    msgpack_pack_array(pk, MET_SLOTS);
    for (int i = 0; i < MET_SLOTS; i++)
        msgpack_pack_uint64(pk, m->season_n[i]);
    fl_pk_key(pk, "weekly");
    fl_pk_bool(pk, m->weekly);
    fl_pk_key(pk, "ms_d");
    msgpack_pack_double(pk, m->ms_d);
    fl_pk_key(pk, "ms_w");
    msgpack_pack_double(pk, m->ms_w);
    fl_pk_key(pk, "week");
    msgpack_pack_array(pk, MET_WSLOTS);
    for (int i = 0; i < MET_WSLOTS; i++)
        msgpack_pack_float(pk, m->week[i]);
    fl_pk_key(pk, "week_n");
    msgpack_pack_array(pk, MET_WSLOTS);
    for (int i = 0; i < MET_WSLOTS; i++)
        msgpack_pack_uint64(pk, m->week_n[i]);
    fl_pk_key(pk, "ac_u");
    msgpack_pack_double(pk, m->ac_u);
    fl_pk_key(pk, "ac_x");
    msgpack_pack_double(pk, m->ac_x);
    fl_pk_key(pk, "ac_xy");
    msgpack_pack_double(pk, m->ac_xy);
    fl_pk_key(pk, "ac_xx");
    msgpack_pack_double(pk, m->ac_xx);
    fl_pk_key(pk, "ac_n");
    msgpack_pack_uint64(pk, m->ac_n);
    const struct {
        const char *k;
        double v;
    } spf[] = {{"sp_m", m->sp_m},         {"sp_v", m->sp_v},
               {"sp_l", m->sp_l},         {"sp_ll", m->sp_ll},
               {"sp_ly", m->sp_ly},       {"sp_zero", m->sp_zero},
               {"sp_s", m->sp_s},         {"sp_h", m->sp_h},
               {"sp_record", m->sp_record}, {"sp_fast", m->sp_fast}};
    for (size_t i = 0; i < sizeof spf / sizeof spf[0]; i++) {
        fl_pk_key(pk, spf[i].k);
        msgpack_pack_double(pk, spf[i].v);
    }
    fl_pk_key(pk, "sp_n");
    msgpack_pack_uint64(pk, m->sp_n);
    fl_pk_key(pk, "sp_len");
    msgpack_pack_uint64(pk, m->sp_len);
    fl_pk_key(pk, "sp_start");
    msgpack_pack_int64(pk, m->sp_start);
    fl_pk_key(pk, "sp_open");
    fl_pk_bool(pk, m->sp_open);
    fl_pk_key(pk, "seen");
    msgpack_pack_uint64(pk, m->seen);
    fl_pk_key(pk, "hist");
    uint32_t n = m->seen < MET_HIST ? (uint32_t)m->seen : MET_HIST;
    msgpack_pack_array(pk, n);
    for (uint64_t i = m->seen - n; i < m->seen; i++) {
        msgpack_pack_array(pk, 2);
        msgpack_pack_int64(pk, m->hist_t[i % MET_HIST]);
        msgpack_pack_double(pk, m->hist_x[i % MET_HIST]);
    }
    fl_pk_key(pk, "pend");
    pack_samples(pk, &m->pend[m->pend_head].ts, &m->pend[m->pend_head].x,
                 sizeof *m->pend, m->npend - m->pend_head);
}

static void pack_svc(msgpack_packer *pk, const fl_detect *d, const svc_state *s)
{
    msgpack_pack_map(pk, 12);
    fl_pk_key(pk, "started");
    fl_pk_bool(pk, s->started);
    fl_pk_key(pk, "first");
    msgpack_pack_int64(pk, s->first_bucket);
    fl_pk_key(pk, "ring");
    msgpack_pack_array(pk, s->ring_n);
    for (uint32_t k = 0; k < s->ring_n; k++)
        pack_slot(pk, &s->ring[k]);
    fl_pk_key(pk, "hist_n");
    msgpack_pack_array(pk, HIST);
    for (int i = 0; i < HIST; i++)
        msgpack_pack_uint64(pk, fl_det_hist_n(s, (uint64_t)i));
    fl_pk_key(pk, "hist_e");
    msgpack_pack_array(pk, HIST);
    for (int i = 0; i < HIST; i++)
        msgpack_pack_uint64(pk, fl_det_hist_e(s, (uint64_t)i));
    fl_pk_key(pk, "carry");
    pack_sketch(pk, &s->carry);
    fl_pk_key(pk, "carry_n");
    msgpack_pack_uint64(pk, s->carry_buckets);
    fl_pk_key(pk, "xhist");
    msgpack_pack_array(pk, 4);
    for (int k = 0; k < 4; k++) {
        msgpack_pack_array(pk, XHIST);
        for (int i = 0; i < XHIST; i++)
            msgpack_pack_float(pk, s->xhist[k][i]);
    }
    fl_pk_key(pk, "g");
    msgpack_pack_array(pk, NSIG_REQ);
    for (int k = 0; k < NSIG_REQ; k++)
        pack_gauss(pk, &s->g[k]);
    fl_pk_key(pk, "eb");
    pack_binom(pk, &s->eb);
    fl_pk_key(pk, "al");
    msgpack_pack_array(pk, NSIG_REQ);
    for (int k = 0; k < NSIG_REQ; k++)
        pack_alarm(pk, d, &s->al[k]);
    fl_pk_key(pk, "mets");
    msgpack_pack_array(pk, s->nmets);
    for (uint32_t i = 0; i < s->nmets; i++)
        pack_metric(pk, d, s->mets[i]);
}

void fl_detect_pack(const fl_detect *d, msgpack_packer *pk)
{
    /* idle buckets closed lazily are closed now (no callback can happen:
     * detect.c, "Idle buckets"), so the saved state is the eager one and
     * the layout does not change; d is the caller's own, never const */
    fl_det_catch_up_all((fl_detect *)d);
    msgpack_pack_map(pk, 8);
    fl_pk_key(pk, "v");
    msgpack_pack_uint64(pk, LAYOUT_VERSION);
    fl_pk_key(pk, "conf");
    msgpack_pack_map(pk, 3);
    fl_pk_key(pk, "bucket");
    msgpack_pack_int64(pk, d->conf.bucket);
    fl_pk_key(pk, "ring");
    msgpack_pack_uint64(pk, d->ring_n);
    fl_pk_key(pk, "win");
    msgpack_pack_uint64(pk, d->win);
    fl_pk_key(pk, "frontier");
    msgpack_pack_int64(pk, d->frontier);
    fl_pk_key(pk, "closed");
    msgpack_pack_int64(pk, d->closed_upto);
    fl_pk_key(pk, "min_bucket");
    msgpack_pack_int64(pk, d->min_bucket);
    fl_pk_key(pk, "seq");
    msgpack_pack_uint64(pk, d->seq);
    fl_pk_key(pk, "gaps");
    msgpack_pack_uint64(pk, d->gaps);
    fl_pk_key(pk, "svcs");
    msgpack_pack_array(pk, d->nsvcs);
    for (uint32_t i = 0; i < d->nsvcs; i++) {
        if (d->svcs[i])
            pack_svc(pk, d, d->svcs[i]);
        else
            msgpack_pack_nil(pk);
    }
}

/* ------------------------------------------------------------- unpacking */

/* Reading context: the reader plus what the checks compare against. */
typedef struct {
    fl_rd *rd;
    fl_detect *d;
    uint32_t nservices;
    int64_t bmax; /* largest bucket index a checkpoint may hold */
} ctx;

static int64_t bucket_of(const fl_detect *d, fl_time t)
{
    int64_t b = t / d->conf.bucket;
    if (t < 0 && t % d->conf.bucket)
        b--;
    return b;
}

/* [[service | -1, errors] × FL_BLAME_MAX] */
static bool unpack_pairs(fl_rd *rd, const msgpack_object *map, const char *key,
                         uint32_t nservices, int32_t *svc, uint32_t *err,
                         size_t stride)
{
    const msgpack_object *it;
    uint32_t n;
    if (!fl_rd_f_array(rd, map, key, FL_BLAME_MAX, FL_BLAME_MAX, &it, &n))
        return false;
    size_t m = fl_rd_push(rd, ".%s", key);
    for (uint32_t i = 0; i < n && !rd->failed; i++) {
        size_t m2 = fl_rd_push(rd, "[%" PRIu32 "]", i);
        const msgpack_object *pair;
        uint32_t two;
        int64_t s;
        uint64_t e;
        if (fl_rd_array(rd, &it[i], 2, 2, &pair, &two) &&
            fl_rd_int(rd, &pair[0], -1, (int64_t)nservices - 1, &s) &&
            fl_rd_uint(rd, &pair[1], UINT32_MAX, &e)) {
            *(int32_t *)((char *)svc + i * stride) = (int32_t)s;
            *(uint32_t *)((char *)err + i * stride) = (uint32_t)e;
        }
        fl_rd_pop(rd, m2);
    }
    fl_rd_pop(rd, m);
    return !rd->failed;
}

static bool unpack_sketch(fl_rd *rd, const msgpack_object *map, const char *key,
                          fl_sketch *s)
{
    static const char *const keys[] = {"lo", "count", "zeros", "bins", NULL};
    const msgpack_object *o = fl_rd_get(rd, map, key);
    if (!o)
        return false;
    size_t m = fl_rd_push(rd, ".%s", key);
    int32_t lo;
    uint64_t count, zeros;
    const msgpack_object *bins;
    uint32_t n;
    if (fl_rd_map(rd, o, keys) &&
        fl_rd_f_i32(rd, o, "lo", -SKETCH_LO_LIM, SKETCH_LO_LIM, &lo) &&
        fl_rd_f_u64(rd, o, "count", &count) &&
        fl_rd_f_u64(rd, o, "zeros", &zeros) &&
        fl_rd_f_array(rd, o, "bins", 0, SKETCH_MAX_N, &bins, &n)) {
        fl_sketch_reset(s);
        if (n > s->cap) {
            free(s->bins);
            s->bins = fl_calloc(n, sizeof *s->bins);
            s->cap = n;
        }
        if (n && !fl_rd_f_u32s(rd, o, "bins", n, s->bins)) {
            fl_rd_pop(rd, m);
            return false;
        }
        s->lo = lo;
        s->n = n;
        s->count = count;
        s->zeros = zeros;
    }
    fl_rd_pop(rd, m);
    return !rd->failed;
}

bool fl_anomaly_unpack(fl_rd *rd, const msgpack_object *o, uint32_t nservices,
                       fl_anomaly *a)
{
    static const char *const keys[] = {
        "seq",  "svc",  "sig",  "metric", "dir", "onset", "detected", "end",
        "peak_at", "base", "peak", "sev", "req", "err", "exp", "blame", NULL};
    if (!fl_rd_map(rd, o, keys))
        return false;
    if (nservices == 0)
        return fl_rd_fail(rd, "an anomaly, but no services");
    int32_t sig, dir;
    memset(a, 0, sizeof *a);
    if (!fl_rd_f_u32(rd, o, "seq", UINT32_MAX, &a->seq) ||
        !fl_rd_f_i32(rd, o, "svc", 0, (int32_t)(nservices - 1), &a->service) ||
        !fl_rd_f_i32(rd, o, "sig", 0, FL_SIG__COUNT - 1, &sig) ||
        !fl_rd_f_i32(rd, o, "dir", FL_DIR_UP, FL_DIR_DOWN, &dir) ||
        !fl_rd_f_time(rd, o, "onset", false, &a->onset) ||
        !fl_rd_f_time(rd, o, "detected", false, &a->detected) ||
        !fl_rd_f_time(rd, o, "end", true, &a->end) ||
        !fl_rd_f_time(rd, o, "peak_at", false, &a->peak_at) ||
        !fl_rd_f_float(rd, o, "base", &a->baseline) ||
        !fl_rd_f_float(rd, o, "peak", &a->peak) ||
        !fl_rd_f_float(rd, o, "sev", &a->severity) ||
        !fl_rd_f_u64(rd, o, "req", &a->requests) ||
        !fl_rd_f_u64(rd, o, "err", &a->errors) ||
        !fl_rd_f_float(rd, o, "exp", &a->expected_errors) ||
        !unpack_pairs(rd, o, "blame", nservices, &a->blame[0].service,
                      &a->blame[0].errors, sizeof a->blame[0]))
        return false;
    a->signal = (fl_signal)sig;
    a->dir = (fl_direction)dir;
    const char *name;
    uint32_t len;
    const msgpack_object *mo = fl_rd_get(rd, o, "metric");
    if (!mo)
        return false;
    size_t m = fl_rd_push(rd, ".metric");
    bool ok = fl_rd_string(rd, mo, FL_METRIC_NAME_MAX, false, &name, &len);
    if (ok && (memchr(name, '\0', len) || !fl_utf8_valid(name, len)))
        ok = fl_rd_fail(rd, "not a metric name");
    else if (ok && (len > 0) != (a->signal == FL_SIG_METRIC))
        ok = fl_rd_fail(rd, len ? "a name, but not a metric anomaly"
                                : "a metric anomaly without a name");
    fl_rd_pop(rd, m);
    if (!ok)
        return false;
    memcpy(a->metric, name, len);
    a->metric[len] = '\0';
    return true;
}

static bool unpack_gauss(fl_rd *rd, const msgpack_object *o, fl_gauss_cusum *g)
{
    static const char *const keys[] = {"mean",  "var",  "sp",    "sn",   "sp_at",
                                       "sn_at", "wsum", "wsum2", "nobs", NULL};
    return fl_rd_map(rd, o, keys) && fl_rd_f_float(rd, o, "mean", &g->mean) &&
           fl_rd_f_float(rd, o, "var", &g->var) &&
           fl_rd_f_float(rd, o, "sp", &g->sp) &&
           fl_rd_f_float(rd, o, "sn", &g->sn) &&
           fl_rd_f_time(rd, o, "sp_at", true, &g->sp_start) &&
           fl_rd_f_time(rd, o, "sn_at", true, &g->sn_start) &&
           fl_rd_f_float(rd, o, "wsum", &g->wsum) &&
           fl_rd_f_float(rd, o, "wsum2", &g->wsum2) &&
           fl_rd_f_u32(rd, o, "nobs", UINT32_MAX, &g->nobs);
}

static bool unpack_binom(fl_rd *rd, const msgpack_object *map, const char *key,
                         fl_binom_cusum *b)
{
    static const char *const keys[] = {"ew_n", "ew_e",   "s",    "s_at",
                                       "excess", "nobs", NULL};
    const msgpack_object *o = fl_rd_get(rd, map, key);
    if (!o)
        return false;
    size_t m = fl_rd_push(rd, ".%s", key);
    const msgpack_object *at;
    uint32_t n;
    if (fl_rd_map(rd, o, keys) && fl_rd_f_float(rd, o, "ew_n", &b->ew_n) &&
        fl_rd_f_float(rd, o, "ew_e", &b->ew_e) &&
        fl_rd_f_doubles(rd, o, "s", FL_BINOM_ALTS, b->s) &&
        fl_rd_f_array(rd, o, "s_at", FL_BINOM_ALTS, FL_BINOM_ALTS, &at, &n) &&
        fl_rd_f_float(rd, o, "excess", &b->excess) &&
        fl_rd_f_u32(rd, o, "nobs", UINT32_MAX, &b->nobs)) {
        for (uint32_t j = 0; j < n && !rd->failed; j++) {
            size_t m2 = fl_rd_push(rd, ".s_at[%" PRIu32 "]", j);
            fl_rd_time(rd, &at[j], true, &b->s_start[j]);
            fl_rd_pop(rd, m2);
        }
    }
    fl_rd_pop(rd, m);
    return !rd->failed;
}

static bool unpack_alarm(ctx *c, const msgpack_object *o, alarm *al)
{
    static const char *const keys[] = {"state", "a",       "win",
                                       "win_n", "win_pos", "fast", NULL};
    fl_rd *rd = c->rd;
    const fl_detect *d = c->d;
    int32_t st;
    if (!fl_rd_map(rd, o, keys) ||
        !fl_rd_f_i32(rd, o, "state", FL_DET_WARMUP, FL_DET_ALARM, &st))
        return false;
    al->state = (fl_det_state)st;
    const msgpack_object *a = fl_rd_get(rd, o, "a");
    if (!a)
        return false;
    size_t m = fl_rd_push(rd, ".a");
    bool ok = fl_anomaly_unpack(rd, a, c->nservices, &al->a);
    fl_rd_pop(rd, m);
    memset(al->win, 0, sizeof al->win);
    return ok && fl_rd_f_floats(rd, o, "win", d->win, al->win) &&
           fl_rd_f_u32(rd, o, "win_n", d->win, &al->win_n) &&
           fl_rd_f_u32(rd, o, "win_pos", d->win - 1, &al->win_pos) &&
           fl_rd_f_float(rd, o, "fast", &al->fast);
}

static bool unpack_slot(ctx *c, const msgpack_object *o, slot *sl,
                        uint32_t pos, uint32_t ring_n)
{
    static const char *const keys[] = {"idx", "n", "err", "up", "lat", NULL};
    fl_rd *rd = c->rd;
    const fl_detect *d = c->d;
    if (o->type == MSGPACK_OBJECT_NIL)
        return true; /* empty: the fresh slot already is */
    int64_t idx;
    if (!fl_rd_map(rd, o, keys) ||
        !fl_rd_f_int(rd, o, "idx", 0, c->bmax, &idx))
        return false;
    /* an open bucket (after the closed one, or at or after the earliest
     * data before the first advance), where slot_for would have put it */
    if (d->closed_upto == INT64_MIN && d->min_bucket == INT64_MAX)
        return fl_rd_fail(rd, "bucket %" PRId64 " held before any data", idx);
    int64_t base = d->closed_upto != INT64_MIN ? d->closed_upto + 1
                                               : d->min_bucket;
    if (idx < base)
        return fl_rd_fail(rd, "bucket %" PRId64 " is closed (open buckets "
                              "start at %" PRId64 ")", idx, base);
    if ((uint64_t)idx % ring_n != pos)
        return fl_rd_fail(rd, "bucket %" PRId64 " in slot %" PRIu32
                              ", belongs in slot %" PRIu64,
                          idx, pos, (uint64_t)idx % ring_n);
    sl->idx = idx;
    sl->nlat = 0; /* restored latencies are in the sketch */
    return fl_rd_f_u32(rd, o, "n", UINT32_MAX, &sl->n) &&
           fl_rd_f_u32(rd, o, "err", UINT32_MAX, &sl->err) &&
           unpack_pairs(rd, o, "up", c->nservices, &sl->up[0].svc,
                        &sl->up[0].err, sizeof sl->up[0]) &&
           unpack_sketch(rd, o, "lat", &sl->lat);
}

/* [[time, f64] × min..max], each sample finite, into t/x (stride apart). */
static bool unpack_samples(fl_rd *rd, const msgpack_object *map,
                           const char *key, uint32_t min, uint32_t max,
                           fl_time *t, double *x, size_t stride, uint32_t *n)
{
    const msgpack_object *it;
    if (!fl_rd_f_array(rd, map, key, min, max, &it, n))
        return false;
    size_t m = fl_rd_push(rd, ".%s", key);
    for (uint32_t i = 0; i < *n && !rd->failed; i++) {
        size_t m2 = fl_rd_push(rd, "[%" PRIu32 "]", i);
        const msgpack_object *pair;
        uint32_t two;
        fl_time ts;
        double v;
        if (fl_rd_array(rd, &it[i], 2, 2, &pair, &two) &&
            fl_rd_time(rd, &pair[0], false, &ts) &&
            fl_rd_float(rd, &pair[1], &v)) {
            if (!isfinite(v)) {
                fl_rd_fail(rd, "sample value not finite");
            } else {
                *(fl_time *)((char *)t + i * stride) = ts;
                *(double *)((char *)x + i * stride) = v;
            }
        }
        fl_rd_pop(rd, m2);
    }
    fl_rd_pop(rd, m);
    return !rd->failed;
}

static bool unpack_metric(ctx *c, const msgpack_object *o, svc_state *s,
                          int32_t id)
{
    static const char *const keys[] = {
        "name",  "g",     "h",     "res",      "al",       "first",
        "last",  "hold",  "last_x", "record",  "record_t", "seasonal",
        "lvl_s", "lvl_p", "ms_p",  "ms_s",     "season",   "season_n",
        "seen",  "hist",  "pend",  "kind",  "weekly", "ms_d",  "ms_w",     "week",
        "week_n", "ac_u", "ac_x", "ac_xy", "ac_xx", "ac_n",
        "sp_m", "sp_v", "sp_l", "sp_ll", "sp_ly", "sp_zero", "sp_s", "sp_h",
        "sp_record", "sp_fast", "sp_n", "sp_len", "sp_start", "sp_open", NULL};
    fl_rd *rd = c->rd;
    fl_detect *d = c->d;
    const char *name;
    uint32_t len;
    if (!fl_rd_map(rd, o, keys))
        return false;
    const msgpack_object *no = fl_rd_get(rd, o, "name");
    if (!no)
        return false;
    size_t mk = fl_rd_push(rd, ".name");
    bool ok = fl_rd_string(rd, no, FL_METRIC_NAME_MAX, false, &name, &len);
    if (ok && (len == 0 || memchr(name, '\0', len) || !fl_utf8_valid(name, len)))
        ok = fl_rd_fail(rd, "not a metric name");
    if (ok && s->nmets) {
        const metric *prev = s->mets[s->nmets - 1];
        size_t k = prev->len < len ? prev->len : len;
        int cmp = k ? memcmp(prev->name, name, k) : 0;
        if (cmp > 0 || (cmp == 0 && prev->len >= len))
            ok = fl_rd_fail(rd, "names not sorted or not unique");
    }
    if (ok && d->nmets >= d->conf.max_metrics)
        ok = fl_rd_fail(rd, "more metrics than this run tracks (%" PRIu32 ")",
                        d->conf.max_metrics);
    fl_rd_pop(rd, mk);
    if (!ok)
        return false;
    metric *m = fl_det_metric_new(d, s, (fl_str){name, len});
    const msgpack_object *g = fl_rd_get(rd, o, "g");
    const msgpack_object *al = fl_rd_get(rd, o, "al");
    if (!g || !al)
        return false;
    size_t mg = fl_rd_push(rd, ".g");
    ok = unpack_gauss(rd, g, &m->g);
    fl_rd_pop(rd, mg);
    int64_t hold, kind;
    if (!ok || !fl_rd_f_int(rd, o, "kind", MET_UNDECIDED, MET_COUNTER, &kind) ||
        !fl_rd_f_float(rd, o, "h", &m->h) ||
        !fl_rd_f_float(rd, o, "res", &m->res) ||
        !fl_rd_f_time(rd, o, "first", true, &m->first_ts) ||
        !fl_rd_f_time(rd, o, "last", true, &m->last_ts) ||
        !fl_rd_f_int(rd, o, "hold", 0, d->win, &hold) ||
        !fl_rd_f_float(rd, o, "last_x", &m->last_x) ||
        !fl_rd_f_float(rd, o, "record", &m->record) ||
        !fl_rd_f_time(rd, o, "record_t", true, &m->record_t) ||
        !fl_rd_f_bool(rd, o, "seasonal", &m->seasonal) ||
        !fl_rd_f_float(rd, o, "lvl_s", &m->lvl_s) ||
        !fl_rd_f_float(rd, o, "lvl_p", &m->lvl_p) ||
        !fl_rd_f_float(rd, o, "ms_p", &m->ms_p) ||
        !fl_rd_f_float(rd, o, "ms_s", &m->ms_s) ||
        !fl_rd_f_floats(rd, o, "season", MET_SLOTS, m->season) ||
        !fl_rd_f_bool(rd, o, "weekly", &m->weekly) ||
        !fl_rd_f_float(rd, o, "ms_d", &m->ms_d) ||
        !fl_rd_f_float(rd, o, "ms_w", &m->ms_w) ||
        !fl_rd_f_floats(rd, o, "week", MET_WSLOTS, m->week) ||
        !fl_rd_f_float(rd, o, "ac_u", &m->ac_u) ||
        !fl_rd_f_float(rd, o, "ac_x", &m->ac_x) ||
        !fl_rd_f_float(rd, o, "ac_xy", &m->ac_xy) ||
        !fl_rd_f_float(rd, o, "ac_xx", &m->ac_xx) ||
        !fl_rd_f_u32(rd, o, "ac_n", MET_AC_MEMORY, &m->ac_n) ||
        !fl_rd_f_float(rd, o, "sp_m", &m->sp_m) ||
        !fl_rd_f_float(rd, o, "sp_v", &m->sp_v) ||
        !fl_rd_f_float(rd, o, "sp_l", &m->sp_l) ||
        !fl_rd_f_float(rd, o, "sp_ll", &m->sp_ll) ||
        !fl_rd_f_float(rd, o, "sp_ly", &m->sp_ly) ||
        !fl_rd_f_float(rd, o, "sp_zero", &m->sp_zero) ||
        !fl_rd_f_float(rd, o, "sp_s", &m->sp_s) ||
        !fl_rd_f_float(rd, o, "sp_h", &m->sp_h) ||
        !fl_rd_f_float(rd, o, "sp_record", &m->sp_record) ||
        !fl_rd_f_float(rd, o, "sp_fast", &m->sp_fast) ||
        !fl_rd_f_u32(rd, o, "sp_n", MET_SP_MEMORY, &m->sp_n) ||
        !fl_rd_f_u32(rd, o, "sp_len", UINT32_MAX, &m->sp_len) ||
        !fl_rd_f_time(rd, o, "sp_start", true, &m->sp_start) ||
        !fl_rd_f_bool(rd, o, "sp_open", &m->sp_open) ||
        !fl_rd_f_u64(rd, o, "seen", &m->seen))
        return false;
    if (!isfinite(m->sp_m) || !(m->sp_v >= 0 && m->sp_v < 1e6) ||
        !isfinite(m->sp_l) || !(m->sp_ll >= 0 && m->sp_ll < 1e6) ||
        !(fabs(m->sp_ly) < 1e6) || !(m->sp_zero >= 0 && m->sp_zero <= 1) ||
        !(m->sp_s >= 0 && m->sp_s < 1e9) || !(m->sp_h >= 0 && m->sp_h < 1e12) ||
        !(m->sp_record >= 0 && m->sp_record < 1e9) || !isfinite(m->sp_fast))
        return fl_rd_fail(rd, "spread state out of range");
    if (!(isnan(m->ac_u) || fabs(m->ac_u) <= MET_AC_WIN) ||
        !(fabs(m->ac_x) <= MET_AC_WIN) ||
        !(fabs(m->ac_xy) <= MET_AC_WIN * MET_AC_WIN) ||
        !(m->ac_xx >= 0 && m->ac_xx <= MET_AC_WIN * MET_AC_WIN))
        return fl_rd_fail(rd, "autocorrelation out of range");
    m->hold = (uint32_t)hold;
    m->kind = (uint8_t)kind;
    uint32_t visits[MET_SLOTS];
    if (!fl_rd_f_u32s(rd, o, "season_n", MET_SLOTS, visits))
        return false;
    for (int i = 0; i < MET_SLOTS; i++) {
        if (visits[i] > 255)
            return fl_rd_fail(rd, "season_n[%d]: %" PRIu32 " visits (at most "
                                  "255)", i, visits[i]);
        m->season_n[i] = (uint8_t)visits[i];
    }
    uint32_t wvisits[MET_WSLOTS];
    if (!fl_rd_f_u32s(rd, o, "week_n", MET_WSLOTS, wvisits))
        return false;
    for (int i = 0; i < MET_WSLOTS; i++) {
        if (wvisits[i] > 255)
            return fl_rd_fail(rd, "week_n[%d]: %" PRIu32 " samples (at most "
                                  "255)", i, wvisits[i]);
        m->week_n[i] = (uint8_t)wvisits[i];
    }
    if (!(m->record >= 0 && isfinite(m->record)))
        return fl_rd_fail(rd, "record out of range");
    if (!(m->h >= 0 && m->h < 1e6) || !(m->res >= 0 && isfinite(m->res)))
        return fl_rd_fail(rd, "threshold or resolution out of range");
    if ((m->first_ts == FL_TIME_NONE) != (m->last_ts == FL_TIME_NONE) ||
        (m->first_ts != FL_TIME_NONE && m->first_ts > m->last_ts))
        return fl_rd_fail(rd, "first and last sample times disagree");
    size_t ma = fl_rd_push(rd, ".al");
    ok = unpack_alarm(c, al, &m->al);
    if (ok && m->al.state == FL_DET_ALARM &&
        (m->al.a.signal != FL_SIG_METRIC || m->al.a.service != id ||
         strcmp(m->al.a.metric, m->name) != 0))
        ok = fl_rd_fail(rd, "an open anomaly of another signal");
    if (ok && m->sp_open && m->al.state != FL_DET_ALARM)
        ok = fl_rd_fail(rd, "a spread anomaly that is not open");
    fl_rd_pop(rd, ma);
    if (!ok)
        return false;
    /* history: the last min(seen, MET_HIST) samples, oldest first */
    uint32_t want = m->seen < MET_HIST ? (uint32_t)m->seen : MET_HIST;
    fl_time ht[MET_HIST];
    double hx[MET_HIST];
    uint32_t n;
    if (!unpack_samples(rd, o, "hist", want, want, ht, hx, sizeof ht[0],
                        &n))
        return false;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t at = m->seen - n + i;
        m->hist_t[at % MET_HIST] = ht[i];
        m->hist_x[at % MET_HIST] = hx[i];
    }
    /* pending samples: sorted, in buckets still open */
    const msgpack_object *pend;
    if (!fl_rd_f_array(rd, o, "pend", 0, MET_PEND_MAX, &pend, &n))
        return false;
    if (d->npend + n > MET_PEND_TOTAL)
        return fl_rd_fail(rd, "more pending samples than this run keeps");
    if (n) {
        m->pend = fl_calloc(n, sizeof *m->pend);
        m->pend_cap = n;
        if (!unpack_samples(rd, o, "pend", n, n, &m->pend[0].ts,
                            &m->pend[0].x, sizeof *m->pend, &n))
            return false;
    }
    m->npend = n;
    d->npend += n;
    size_t mp = fl_rd_push(rd, ".pend");
    int64_t base = d->closed_upto != INT64_MIN ? d->closed_upto + 1
                                               : d->min_bucket;
    for (uint32_t i = 0; i < n; i++) {
        int64_t b = bucket_of(d, m->pend[i].ts);
        if (d->closed_upto == INT64_MIN && d->min_bucket == INT64_MAX)
            ok = fl_rd_fail(rd, "a sample held before any data");
        else if (b < base || b > c->bmax)
            ok = fl_rd_fail(rd, "[%" PRIu32 "]: bucket %" PRId64 " is not open",
                            i, b);
        else if (i && (m->pend[i - 1].ts > m->pend[i].ts ||
                       (m->pend[i - 1].ts == m->pend[i].ts &&
                        m->pend[i - 1].x > m->pend[i].x)))
            ok = fl_rd_fail(rd, "[%" PRIu32 "]: not in time order", i);
        if (!ok)
            break;
    }
    fl_rd_pop(rd, mp);
    return ok;
}

static bool unpack_svc(ctx *c, const msgpack_object *o, int32_t id)
{
    static const char *const keys[] = {"started", "first", "ring",  "hist_n",
                                       "hist_e",  "carry", "carry_n", "xhist",
                                       "g",       "eb",    "al",      "mets",
                                       NULL};
    fl_rd *rd = c->rd;
    fl_detect *d = c->d;
    if (!fl_rd_map(rd, o, keys))
        return false;
    svc_state *s = fl_det_svc(d, id);
    const msgpack_object *ring, *xh, *g, *al;
    uint32_t ring_n, n;
    uint32_t ring_max = FL_MAX(d->ring_n, 2 * FL_DETECT_MAX_AHEAD);
    if (!fl_rd_f_bool(rd, o, "started", &s->started) ||
        !fl_rd_f_int(rd, o, "first", 0, c->bmax, &s->first_bucket) ||
        !fl_rd_f_array(rd, o, "ring", d->ring_n, ring_max, &ring, &ring_n))
        return false;
    if (ring_n != s->ring_n) {
        fl_det_ring_free(s->ring, s->ring_n);
        s->ring = fl_det_ring_new(ring_n);
        s->ring_n = ring_n;
    }
    for (uint32_t k = 0; k < ring_n; k++) {
        size_t m = fl_rd_push(rd, ".ring[%" PRIu32 "]", k);
        bool ok = unpack_slot(c, &ring[k], &s->ring[k], k, ring_n);
        fl_rd_pop(rd, m);
        if (!ok)
            return false;
        if (s->ring[k].idx > s->last_data)
            s->last_data = s->ring[k].idx;
    }
    uint32_t hn[HIST], he[HIST];
    if (!fl_rd_f_u32s(rd, o, "hist_n", HIST, hn) ||
        !fl_rd_f_u32s(rd, o, "hist_e", HIST, he))
        return false;
    /* the in-memory history is compact (detect_int.h); the saved one keeps
     * plain u32 counts, so the layout does not change */
    fl_det_hist_clear(s);
    for (int i = 0; i < HIST; i++)
        fl_det_hist_set(s, (uint64_t)i, hn[i], he[i]);
    if (!unpack_sketch(rd, o, "carry", &s->carry) ||
        !fl_rd_f_u32(rd, o, "carry_n", LAT_POOL, &s->carry_buckets) ||
        !fl_rd_f_array(rd, o, "xhist", 4, 4, &xh, &n))
        return false;
    for (uint32_t k = 0; k < 4; k++) {
        /* a one-key view so the array reader names the path */
        size_t m = fl_rd_push(rd, ".xhist[%" PRIu32 "]", k);
        const msgpack_object *it;
        uint32_t cnt;
        bool ok = fl_rd_array(rd, &xh[k], XHIST, XHIST, &it, &cnt);
        for (uint32_t i = 0; ok && i < XHIST; i++) {
            if (it[i].type != MSGPACK_OBJECT_FLOAT32) {
                size_t m2 = fl_rd_push(rd, "[%" PRIu32 "]", i);
                char got[64];
                fl_rd_describe(&it[i], got, sizeof got);
                fl_rd_fail(rd, "expected float32, got %s", got);
                fl_rd_pop(rd, m2);
                ok = false;
            } else {
                s->xhist[k][i] = (float)it[i].via.f64;
            }
        }
        fl_rd_pop(rd, m);
        if (!ok)
            return false;
    }
    if (!fl_rd_f_array(rd, o, "g", NSIG_REQ, NSIG_REQ, &g, &n))
        return false;
    for (uint32_t k = 0; k < NSIG_REQ; k++) {
        size_t m = fl_rd_push(rd, ".g[%" PRIu32 "]", k);
        bool ok = unpack_gauss(rd, &g[k], &s->g[k]);
        fl_rd_pop(rd, m);
        if (!ok)
            return false;
    }
    if (!unpack_binom(rd, o, "eb", &s->eb) ||
        !fl_rd_f_array(rd, o, "al", NSIG_REQ, NSIG_REQ, &al, &n))
        return false;
    for (uint32_t k = 0; k < NSIG_REQ; k++) {
        size_t m = fl_rd_push(rd, ".al[%" PRIu32 "]", k);
        bool ok = unpack_alarm(c, &al[k], &s->al[k]);
        fl_rd_pop(rd, m);
        if (!ok)
            return false;
    }
    const msgpack_object *mets;
    if (!fl_rd_f_array(rd, o, "mets", 0, d->conf.max_metrics_per_service,
                       &mets, &n))
        return false;
    for (uint32_t k = 0; k < n; k++) {
        size_t m = fl_rd_push(rd, ".mets[%" PRIu32 "]", k);
        bool ok = unpack_metric(c, &mets[k], s, id);
        fl_rd_pop(rd, m);
        if (!ok)
            return false;
    }
    return true;
}

static bool check_conf(fl_rd *rd, const fl_detect *d, const msgpack_object *o)
{
    static const char *const keys[] = {"bucket", "ring", "win", NULL};
    const msgpack_object *cf = fl_rd_get(rd, o, "conf");
    if (!cf)
        return false;
    size_t m = fl_rd_push(rd, ".conf");
    int64_t bucket;
    uint32_t ring_n, win;
    if (fl_rd_map(rd, cf, keys) &&
        fl_rd_f_int(rd, cf, "bucket", 1, INT64_MAX, &bucket) &&
        fl_rd_f_u32(rd, cf, "ring", UINT32_MAX, &ring_n) &&
        fl_rd_f_u32(rd, cf, "win", UINT32_MAX, &win)) {
        if (bucket != d->conf.bucket)
            fl_rd_fail(rd, "made with buckets of %" PRId64 " ns, this run "
                           "uses %" PRId64, bucket, (int64_t)d->conf.bucket);
        else if (ring_n != d->ring_n)
            fl_rd_fail(rd, "made with %" PRIu32 " open buckets per service "
                           "(--lateness), this run keeps %" PRIu32,
                       ring_n, d->ring_n);
        else if (win != d->win)
            fl_rd_fail(rd, "made with an end window of %" PRIu32 " buckets, "
                           "this run uses %" PRIu32, win, d->win);
    }
    fl_rd_pop(rd, m);
    return !rd->failed;
}

bool fl_detect_unpack(fl_detect *d, const msgpack_object *o,
                      uint32_t nservices, char *errstr, size_t errlen)
{
    static const char *const keys[] = {"v",   "conf", "frontier", "closed",
                                       "min_bucket", "seq", "gaps", "svcs",
                                       NULL};
    fl_rd rd;
    fl_rd_init(&rd, "detect", errstr, errlen);
    if (d->nsvcs || d->frontier != FL_TIME_NONE || d->closed_upto != INT64_MIN)
        return fl_rd_fail(&rd, "the detector has already seen events");
    ctx c = {&rd, d, nservices, FL_CKPT_TIME_LIM / d->conf.bucket};
    uint32_t v;
    if (!fl_rd_map(&rd, o, keys) ||
        !fl_rd_f_u32(&rd, o, "v", UINT32_MAX, &v))
        return false;
    if (v != LAYOUT_VERSION)
        return fl_rd_fail(&rd, "layout version %" PRIu32 ", this build reads "
                               "%d", v, LAYOUT_VERSION);
    if (!check_conf(&rd, d, o))
        return false;

    /* event time: both unset, or the closed bucket where advance leaves it
     * (flush may have closed up to the frontier's own bucket) */
    fl_time frontier;
    int64_t closed, minb;
    if (!fl_rd_f_time(&rd, o, "frontier", true, &frontier) ||
        !fl_rd_f_int(&rd, o, "closed", INT64_MIN, c.bmax, &closed) ||
        !fl_rd_f_int(&rd, o, "min_bucket", -1, INT64_MAX, &minb))
        return false;
    if (closed != INT64_MIN && closed < -1)
        return fl_rd_fail(&rd, "closed bucket %" PRId64 " out of range", closed);
    if (minb != INT64_MAX && minb > c.bmax)
        return fl_rd_fail(&rd, "min_bucket %" PRId64 " out of range", minb);
    if ((frontier == FL_TIME_NONE) != (closed == INT64_MIN))
        return fl_rd_fail(&rd, "frontier and closed bucket disagree");
    if (frontier != FL_TIME_NONE) {
        int64_t lo = bucket_of(d, frontier - d->conf.lateness) - 1;
        int64_t hi = bucket_of(d, frontier) - 1;
        if (closed < lo || closed > hi)
            return fl_rd_fail(&rd, "closed bucket %" PRId64 " inconsistent with "
                                   "the frontier (expected %" PRId64
                                   "..%" PRId64 ")", closed, lo, hi);
    }
    d->frontier = frontier;
    d->closed_upto = closed;
    d->min_bucket = minb;
    const msgpack_object *svcs;
    uint32_t n;
    if (!fl_rd_f_u32(&rd, o, "seq", UINT32_MAX, &d->seq) ||
        !fl_rd_f_u64(&rd, o, "gaps", &d->gaps) ||
        !fl_rd_f_array(&rd, o, "svcs", 0, nservices, &svcs, &n))
        return false;
    for (uint32_t i = 0; i < n; i++) {
        if (svcs[i].type == MSGPACK_OBJECT_NIL)
            continue;
        size_t m = fl_rd_push(&rd, ".svcs[%" PRIu32 "]", i);
        bool ok = unpack_svc(&c, &svcs[i], (int32_t)i);
        fl_rd_pop(&rd, m);
        if (!ok)
            return false;
    }
    return true;
}
