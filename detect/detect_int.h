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

typedef struct {
    int64_t idx; /* bucket index held; INT64_MIN when empty */
    uint32_t n, err;
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

typedef struct {
    bool started;
    int64_t first_bucket;
    slot *ring;
    uint32_t hist_n[HIST], hist_e[HIST];
    fl_sketch carry;     /* latency of buckets too sparse to judge alone */
    uint32_t carry_buckets;
    float xhist[4][XHIST]; /* observations of p50, p95, p99 (log ms) and
                           * request rate; NAN = no data */
    fl_gauss_cusum g[FL_SIG__COUNT]; /* latency and request rate */
    fl_binom_cusum eb;
    alarm al[FL_SIG__COUNT];
    uint32_t ring_n; /* slots in ring: grows when an input runs ahead */
} svc_state;

struct fl_detect {
    fl_detect_conf conf;
    fl_anomaly_cb cb;
    void *ud;
    uint32_t ring_n;    /* initial slots per service */
    int64_t warm_buckets; /* history needed before a signal may alarm */
    uint32_t win;       /* buckets in an end window */
    fl_gauss_params gp_rate, gp_lat;
    fl_binom_params bp;
    svc_state **svcs;
    uint32_t nsvcs, svcs_cap;
    fl_time frontier;
    int64_t closed_upto; /* last closed bucket index; INT64_MIN before any */
    int64_t min_bucket;  /* earliest bucket holding data before the first
                          * advance; INT64_MAX when none */
    uint32_t seq;
    uint64_t gaps;
};

/* n empty slots (idx INT64_MIN, empty sketches). */
slot *fl_det_ring_new(uint32_t n);
/* Frees a ring of n slots and their sketches. */
void fl_det_ring_free(slot *ring, uint32_t n);
/* The state of service `id`, created (empty, in warm-up) on first use. */
svc_state *fl_det_svc(fl_detect *d, int32_t id);

#endif
