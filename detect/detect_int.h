/*
 * detect_int.h - declarations private to detect/: the detector's state,
 * shared by detect.c (which runs it) and state.c (which saves and restores
 * it for checkpoints). Nothing outside detect/ includes this.
 */
#ifndef FL_DETECT_INT_H
#define FL_DETECT_INT_H

#include "fl_detect.h"

#define HIST 720     /* per-service history of counts, in buckets */
#define XHIST 128    /* per-signal history of latency observations */
#define ZWIN_MAX 64  /* most buckets in an end window */
#define SKETCH_ALPHA 0.01
/* Smallest latency change worth a page: one standard unit of the CUSUM is
 * at least a 50% rise, so the reference value k = 0.5 ignores rises under
 * about 22% and a +45% wobble of p99 takes many minutes to accumulate. */
#define LAT_FLOOR 0.405465 /* ln 1.5 */
#define MIN_OBS 10   /* fewest observations a baseline is built from */
#define LAT_POOL 6   /* most buckets pooled for a sparse service's latency */
#define NSIG_REQ FL_SIG_METRIC /* signals computed from a service's requests */

/* Metrics (metric.c). */
#define MET_HIST 128       /* recent samples kept per metric (onset, level) */
#define MET_PEND_MAX 8192  /* samples waiting in open buckets, per metric */
#define MET_PEND_TOTAL (1u << 20) /* ... and over all metrics */
#define MET_UNDECIDED 0   /* metric kinds (metric.kind) */
#define MET_GAUGE 1
#define MET_COUNTER 2
#define MET_SLOTS 288      /* time-of-day slots of the daily profile (5 min) */
#define MET_WSLOTS 168     /* hour-of-week slots of the weekly profile */
#define MET_AC_MEMORY 2000 /* samples the residual autocorrelation remembers */
#define MET_AC_WIN 3.0     /* ... from residuals winsorised at 3 sd */
#define MET_SP_MEMORY 500 /* samples the spread baseline remembers */
#define MET_MEMORY 120     /* samples an EWMA baseline remembers (alpha =
                            * 2 / (MET_MEMORY + 1)) */
/* Sketch indices kept inline (sketch.c). A ring slot holds the first
 * FL_SKETCH_INLINE_MAX latencies of its bucket as bin indices instead of
 * in its sketch: in a large fleet most buckets of most services hold a few
 * requests, and merging a sparse sketch into the latency carry walked (and
 * resetting it cleared) every bin of a window spanning the values, ~230
 * bins per decade, out of cache. The indices replay exactly what the
 * sketch would have held (fl_sketch_merge_indices), so every quantile and
 * every saved state is the one the sketch gives. */
#define FL_SKETCH_INLINE_MAX 8
#define FL_SKETCH_ZERO INT32_MIN /* index of a value below the first bin */
/* The bin index of v in s (FL_SKETCH_ZERO below FL_SKETCH_MIN_VALUE),
 * before the window's clamping: fl_sketch_add(s, v) adds this index. */
int32_t fl_sketch_index(const fl_sketch *s, double v);
void fl_sketch_add_index(fl_sketch *s, int32_t idx);
/* dst += the sketch that adding idx[0..k) in order to an empty sketch
 * would build (k <= FL_SKETCH_INLINE_MAX): fl_sketch_merge's result. */
void fl_sketch_merge_indices(fl_sketch *dst, const int32_t *idx, uint32_t k);

typedef struct {
    int64_t idx; /* bucket index held; INT64_MIN when empty */
    uint32_t n, err;
    /* latencies: the first nlat as indices in lat_i while lat is empty,
     * all of them in lat from the one after (slot_lat_add, detect.c) */
    uint32_t nlat;
    int32_t lat_i[FL_SKETCH_INLINE_MAX];
    fl_sketch lat;
    struct {
        int32_t svc;
        uint32_t err;
    } up[FL_BLAME_MAX];
} slot;

typedef struct {
    fl_det_state state;
    fl_anomaly a;
    float win[ZWIN_MAX]; /* recent residuals while in alarm */
    uint32_t win_n;      /* observations in win (saturates at W) */
    uint32_t win_pos;
    double fast;         /* fast EWMA of the observation, for re-baselining */
} alarm;

/* One metric series of one service. Samples wait in `pend` (sorted by
 * time, then value) until their bucket closes; then each is one
 * observation of the metric's Gaussian CUSUM. */
typedef struct {
    fl_time ts;
    double x;
} msample;

typedef struct {
    char *name; /* NUL-terminated copy, 1..FL_METRIC_NAME_MAX bytes */
    uint32_t len;
    fl_gauss_cusum g;
    double h;          /* CUSUM threshold, fixed when warm-up ends */
    double res;        /* resolution: smallest step seen between samples */
    double last_x;     /* the last sample fed (a counter's: its raw value) */
    uint8_t kind;      /* MET_UNDECIDED until the first warm-up ends, then
                        * MET_GAUGE or MET_COUNTER (judged by its rate) */
    double record;     /* largest CUSUM statistic reached, decaying */
    /* lag-1 autocorrelation of the standardised residuals, learned slowly
     * and only while in control (metric.c, ac_learn) */
    double ac_u;       /* the last residual (winsorised), NaN: none yet */
    double ac_x, ac_xy, ac_xx; /* averages of u_t, u_t u_{t-1}, u_t^2 */
    uint32_t ac_n;     /* pairs learned (saturating at MET_AC_MEMORY) */
    fl_time record_t;  /* when record was last decayed (NONE: never) */
    /* spread: y = log of the squared step between consecutive samples
     * (metric.c, spread_step); its in-control mean and variance, a one-sided
     * CUSUM for a rise, its own record */
    double sp_m, sp_v; /* EWMA mean of y, variance of its residual */
    double sp_l, sp_ll, sp_ly; /* mean of l = ln level^2, its variance,
                                * its covariance with y */
    uint32_t sp_n;     /* y learned (saturating at MET_SP_MEMORY) */
    double sp_zero;    /* share of steps under half the resolution */
    double sp_s;       /* CUSUM of (y - sp_m) / sd - MET_SP_K */
    uint32_t sp_len;   /* samples since sp_s left zero (or since opening) */
    fl_time sp_start;  /* when sp_s last left zero (NONE: at zero) */
    double sp_h;       /* its ARL budget (samples), fixed when warm-up
                        * ends; the threshold follows from it (spread_h) */
    double sp_record;  /* largest sp_s reached, decaying with record */
    double sp_fast;    /* while a spread anomaly is open: recent y - sp_m */
    bool sp_open;      /* the open anomaly is a spread one */
    alarm al;
    fl_time first_ts, last_ts; /* first and last sample fed (NONE: none) */
    uint32_t hold;     /* samples before a new alarm may open */
    uint64_t seen;     /* samples fed; hist holds the last MET_HIST */
    fl_time hist_t[MET_HIST];
    double hist_x[MET_HIST]; /* deseasonalised samples */
    /* daily profile: the mean offset from the level per time-of-day slot,
     * used once it predicts better than the level alone */
    bool seasonal;
    double lvl_s;      /* slow (daily) level the offsets are measured from */
    double lvl_p;      /* a plain EWMA level, for the comparison */
    double ms_p, ms_s; /* mean squared error without / with the profile */
    float season[MET_SLOTS];
    uint8_t season_n[MET_SLOTS]; /* visits per slot (saturating) */
    /* weekly profile: what the daily one leaves, per hour of the week */
    bool weekly;
    double ms_d, ms_w; /* mean squared error without / with it */
    float week[MET_WSLOTS];
    uint8_t week_n[MET_WSLOTS]; /* samples per slot (saturating) */
    msample *pend;     /* pend[pend_head .. npend) wait, sorted */
    uint32_t npend, pend_head, pend_cap;
} metric;

typedef struct {
    /* hot: read for every service at every bucket close (one cache line) */
    bool started;
    bool lagging;         /* idle buckets from lag_from on are not yet
                           * closed (detect.c, "Idle buckets") */
    uint32_t ring_n;      /* slots in ring: grows when an input runs ahead */
    int64_t first_bucket;
    int64_t lag_from;
    int64_t last_data;    /* no bucket after this holds data (a hint: the
                           * ring slot decides) */
    slot *ring;
    metric **mets;   /* sorted by name (bytewise, then length) */
    uint32_t nmets, mets_cap;
    /* cold: touched when the service has data */
    /* Requests and errors of the last HIST closed buckets (hindsight onset,
     * anomaly totals), read and written only through fl_det_hist_* below.
     * Stored as u16 pairs (n, e of one bucket side by side: one cache line
     * per close) while every count fits; the first count above UINT16_MAX
     * moves the service to u32 pairs for good (hist32, allocated then), so
     * values are exact whatever the traffic (a restored checkpoint is
     * untrusted: e is checked as well). Saves 2,880 B per service. */
    uint16_t hist16[HIST][2];
    uint32_t (*hist32)[2]; /* NULL while the u16 pairs suffice */
    fl_sketch carry;     /* latency of buckets too sparse to judge alone */
    uint32_t carry_buckets;
    float xhist[4][XHIST]; /* observations of p50, p95, p99 (log ms) and
                           * request rate; NAN = no data */
    fl_gauss_cusum g[NSIG_REQ]; /* latency and request rate */
    fl_binom_cusum eb;
    alarm al[NSIG_REQ];
} svc_state;

struct fl_detect {
    fl_detect_conf conf;
    fl_anomaly_cb cb;
    void *ud;
    uint32_t ring_n;    /* initial slots per service */
    int64_t warm_buckets; /* history needed before a signal may alarm */
    uint32_t win;       /* buckets in an end window */
    fl_gauss_params gp_rate, gp_lat, gp_met;
    fl_binom_params bp;
    svc_state **svcs;
    bool eager;         /* close every bucket of every service at once
                         * (tests compare it with the lazy default) */
    uint8_t *idle;      /* per service: lagging with nothing to close
                         * (detect.c, "Idle buckets"); cleared by
                         * fl_det_svc and when caught up */
    uint32_t nsvcs, svcs_cap;
    fl_time frontier;
    int64_t closed_upto; /* last closed bucket index; INT64_MIN before any */
    int64_t min_bucket;  /* earliest bucket holding data before the first
                          * advance; INT64_MAX when none */
    uint32_t seq;
    uint64_t gaps;
    uint32_t nmets;    /* metrics over all services */
    uint32_t npend;    /* samples pending over all metrics */
};

static inline uint32_t fl_det_hist_n(const svc_state *s, uint64_t i)
{
    return s->hist32 ? s->hist32[i % HIST][0] : s->hist16[i % HIST][0];
}
static inline uint32_t fl_det_hist_e(const svc_state *s, uint64_t i)
{
    return s->hist32 ? s->hist32[i % HIST][1] : s->hist16[i % HIST][1];
}
/* Stores bucket i's counts, widening the history when needed. */
void fl_det_hist_set(svc_state *s, uint64_t i, uint32_t n, uint32_t e);
/* Clears the whole history (keeps its width). */
void fl_det_hist_clear(svc_state *s);

/* Moves a slot's inline latencies into its sketch (the same sketch adding
 * them one by one builds). */
static inline void fl_det_slot_spill(slot *sl)
{
    for (uint32_t j = 0; j < sl->nlat; j++)
        fl_sketch_add_index(&sl->lat, sl->lat_i[j]);
    sl->nlat = 0;
}

/* Closes the idle buckets a service has skipped (detect.c, "Idle
 * buckets") up to the last closed one: every service's state is then the
 * one closing each bucket in turn gives. Before reading or saving it. */
void fl_det_catch_up_all(fl_detect *d);

/* n empty slots (idx INT64_MIN, empty sketches). */
slot *fl_det_ring_new(uint32_t n);
/* Frees a ring of n slots and their sketches. */
void fl_det_ring_free(slot *ring, uint32_t n);
/* The state of service `id`, created (empty, in warm-up) on first use. */
svc_state *fl_det_svc(fl_detect *d, int32_t id);
/* The bucket holding time t (floor division). */
int64_t fl_det_bucket(const fl_detect *d, fl_time t);
/* Admits an event for bucket b (refusing late and too-far-ahead ones with
 * *why) and notes it for the time start. */
bool fl_det_admit(fl_detect *d, int64_t b, fl_bad_reason *why);
/* Pushes a standardised residual into an alarm's end window; true when
 * the window is full and its mean is back within 1 sd of the baseline. */
bool fl_det_window_normal(fl_detect *d, alarm *al, double z, bool up);

/* metric.c */
/* Closes bucket b for every metric of service id (in name order). */
void fl_det_metrics_close(fl_detect *d, int32_t id, svc_state *s, int64_t b);
/* A silence longer than max_gap ending at bucket `to`: open metric
 * anomalies end where the data stopped, CUSUMs restart. */
void fl_det_metrics_gap(fl_detect *d, int32_t id, svc_state *s, int64_t to);
/* The earliest bucket a pending sample of s is in, or INT64_MAX. */
int64_t fl_det_metrics_next(const fl_detect *d, const svc_state *s);
void fl_det_metrics_free(svc_state *s);
/* Inserts a new metric (name not present) at its sorted place; counts it. */
metric *fl_det_metric_new(fl_detect *d, svc_state *s, fl_str name);
/* The position name has, or would have, in s->mets; *found when present. */
uint32_t fl_det_metric_find(const svc_state *s, fl_str name, bool *found);
/* Sets d->gp_met from the configuration. */
void fl_det_metrics_params(fl_detect *d);
/* The CUSUM parameters of metric m (gp_met with the metric's threshold). */
fl_gauss_params fl_det_metric_params(const fl_detect *d, const metric *m);

#endif
