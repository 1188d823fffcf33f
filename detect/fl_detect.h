/*
 * fl_detect.h - the detect stage's contract. It owns event time: requests
 * land in per-service buckets; when the watermark (the furthest event time
 * seen, minus the allowed lateness) passes a bucket's end, every signal's
 * detector takes the bucket and may open, update or end an anomaly, which
 * is reported through a callback. Nothing here knows about incidents.
 *
 * Building blocks are public for tests: a quantile sketch with bounded
 * relative error, a two-sided Gaussian CUSUM whose threshold comes from a
 * target average run length, and a binomial log-likelihood-ratio CUSUM for
 * error counts.
 */
#ifndef FL_DETECT_H
#define FL_DETECT_H

#include "../common/fl_common.h"
#include "../ingest/fl_ingest.h"

/* --------------------------------------------------------------- sketch */

/* A DDSketch-style log-bucketed histogram: every quantile it returns is
 * within `alpha` relative error of a true sample quantile. Bins are a dense
 * window [lo, lo+n) that grows as values arrive; memory is proportional to
 * the spread of values (about 230 bins per decade at alpha = 1%). */
typedef struct {
    double gamma, inv_log_gamma;
    int32_t lo;      /* index of bins[0] */
    uint32_t n, cap; /* bins used / allocated */
    uint32_t *bins;
    uint64_t count;
    uint64_t zeros; /* values below the smallest bin */
} fl_sketch;

#define FL_SKETCH_MIN_VALUE 1e-3 /* ms; smaller values count as zero */
#define FL_SKETCH_MAX_BINS 4096

void fl_sketch_init(fl_sketch *s, double alpha);
void fl_sketch_free(fl_sketch *s);
void fl_sketch_reset(fl_sketch *s); /* keeps its memory */
void fl_sketch_add(fl_sketch *s, double v);
void fl_sketch_merge(fl_sketch *dst, const fl_sketch *src);
double fl_sketch_quantile(const fl_sketch *s, double q); /* NAN if empty */

/* ---------------------------------------------------------------- CUSUM */

/* Threshold h for a one-sided CUSUM on N(0,1) residuals with reference
 * value k such that the in-control average run length is `arl` samples
 * (Siegmund's approximation; derivation in detect/cusum.c). */
double fl_cusum_h_for_arl(double k, double arl);
/* The in-control ARL that Siegmund's approximation gives for (k, h). */
double fl_cusum_arl(double k, double h);

typedef enum {
    FL_DET_WARMUP, /* learning the baseline; never alarms */
    FL_DET_NORMAL,
    FL_DET_ALARM,
} fl_det_state;

/* EWMA baseline (level and spread) with a two-sided CUSUM on standardised
 * residuals. Observations are in a transformed space the caller chooses
 * (log latency, raw counts); `floor_sd` is the smallest spread assumed, so a
 * perfectly flat series does not alarm on a change nobody would care
 * about. */
typedef struct {
    double mean, var;
    double sp, sn;             /* upper and lower CUSUM statistics */
    fl_time sp_start, sn_start; /* when each last left zero */
    double wsum, wsum2;        /* warm-up accumulators */
    uint32_t nobs;
} fl_gauss_cusum;

typedef struct {
    double k;        /* reference value, in standard deviations */
    double h;        /* decision threshold */
    double alpha;    /* EWMA weight per observation */
    uint32_t warmup; /* observations before alarms are allowed */
} fl_gauss_params;

typedef enum {
    FL_CUSUM_NONE = 0,
    FL_CUSUM_UP,   /* sp crossed h */
    FL_CUSUM_DOWN, /* sn crossed h */
} fl_cusum_result;

void fl_gauss_init(fl_gauss_cusum *g);
/* Feeds one observation x with extra variance floor_sd^2; t is the start of
 * the bucket it describes (used for onset). Returns which side alarms.
 * `z_out` receives the standardised residual (0 during warm-up). `frozen`
 * stops baseline updates (the caller is inside an anomaly). */
fl_cusum_result fl_gauss_update(fl_gauss_cusum *g, const fl_gauss_params *p,
                                double x, double floor_sd, fl_time t,
                                bool frozen, double *z_out);
bool fl_gauss_warm(const fl_gauss_cusum *g, const fl_gauss_params *p);

/* Binomial log-likelihood-ratio CUSUM for errors out of requests: H0 the
 * baseline error probability p0 against FL_BINOM_ALTS alternatives
 * p1_j = max(ratio_j * p0, p0 + delta_j), run side by side (a small rise
 * needs a sensitive test, an outage a fast one). The statistic grows with
 * the evidence, so 2 failures of 3 requests barely move it while 5% of
 * 5,000 requests crosses at once. */
#define FL_BINOM_ALTS 3
typedef struct {
    double ew_n, ew_e; /* exponentially weighted request and error sums */
    double s[FL_BINOM_ALTS]; /* CUSUM of each alternative's LLR */
    fl_time s_start[FL_BINOM_ALTS];
    double excess;     /* errors above baseline since any s left zero */
    uint32_t nobs;     /* buckets with requests seen */
} fl_binom_cusum;

typedef struct {
    double h;          /* threshold per alternative (see cusum.c) */
    double ratio[FL_BINOM_ALTS];
    double delta[FL_BINOM_ALTS];
    double alpha;      /* EWMA weight per bucket */
    double min_excess; /* errors above baseline needed to alarm */
    double prior_n;    /* pseudo-requests of the prior on p0 */
    double prior_p;    /* prior error probability */
    uint32_t warmup;   /* buckets with requests before alarms */
} fl_binom_params;

void fl_binom_init(fl_binom_cusum *b);
double fl_binom_p0(const fl_binom_cusum *b, const fl_binom_params *p);
double fl_binom_p1(const fl_binom_params *p, double p0, int alt);
/* The largest statistic relative to h, and where it last left zero. */
double fl_binom_stat(const fl_binom_cusum *b, const fl_binom_params *p);
fl_time fl_binom_start(const fl_binom_cusum *b);
void fl_binom_reset(fl_binom_cusum *b);
/* Returns true when a statistic is over threshold with enough excess
 * errors. */
bool fl_binom_update(fl_binom_cusum *b, const fl_binom_params *p, uint64_t n,
                     uint64_t e, fl_time t, bool frozen);

/* -------------------------------------------------------------- signals */

typedef enum {
    FL_SIG_ERROR_RATE,
    FL_SIG_LATENCY_P50,
    FL_SIG_LATENCY_P95,
    FL_SIG_LATENCY_P99,
    FL_SIG_REQUEST_RATE,
    FL_SIG_METRIC, /* a named metric's samples (the anomaly carries the name) */
    FL_SIG__COUNT
} fl_signal;

/* "error_rate", ..., "metric" (the kind, for counters and labels). */
const char *fl_signal_name(fl_signal s);

typedef enum { FL_DIR_UP, FL_DIR_DOWN } fl_direction;

typedef enum {
    FL_ANOMALY_OPEN,   /* detected: first alarm */
    FL_ANOMALY_UPDATE, /* new peak */
    FL_ANOMALY_END,    /* back at baseline for end_hold */
    FL_BUCKET_CLOSED,  /* a bucket closed for every service; the anomaly
                        * pointer is NULL. Everything downstream that
                        * depends on time steps here, one bucket at a time,
                        * however far the watermark jumped */
} fl_anomaly_event;

#define FL_BLAME_MAX 4

/* Values are in display units: error_rate a fraction, latency in ms,
 * request_rate in requests per second, a metric in its own unit. */
typedef struct {
    uint32_t seq; /* unique per detector instance, in detection order */
    int32_t service;
    fl_signal signal;
    char metric[FL_METRIC_NAME_MAX + 1]; /* FL_SIG_METRIC: the metric's
                                          * name; "" for other signals */
    fl_direction dir;
    fl_time onset, detected, end; /* end is FL_TIME_NONE while ongoing */
    fl_time peak_at;
    double baseline, peak;
    double severity;   /* peak standardised deviation (or LLR/h) */
    uint64_t requests, errors; /* in the service from onset to end */
    double expected_errors;    /* at the baseline rate over the same span */
    struct {
        int32_t service;
        uint32_t errors;
    } blame[FL_BLAME_MAX]; /* errors whose line names a failing upstream */
} fl_anomaly;

typedef void (*fl_anomaly_cb)(void *ud, fl_anomaly_event what,
                              const fl_anomaly *a);

/* The signal's name as the result document shows it (CONTRACT.md): the
 * metric's name for a metric anomaly, fl_signal_name otherwise. */
const char *fl_anomaly_signal(const fl_anomaly *a);

/* ------------------------------------------------------------- detector */

typedef struct {
    fl_time bucket;       /* bucket width (default 10 s) */
    fl_time lateness;     /* allowed lateness (default 30 s) */
    fl_time warmup;       /* history before alarms (default 10 min) */
    fl_time end_hold;     /* back at baseline this long ends an anomaly */
    fl_time rebaseline;   /* a shift lasting this long becomes the norm */
    fl_time max_gap;      /* a silence longer than this restarts warm-up */
    fl_time max_future;   /* future-skew cap (default 15 min; 0 = none):
                           * see fl_future_admit */
    double arl_buckets;   /* target in-control ARL per detector side */
    double min_excess_errors;
    uint32_t max_services;
    /* metrics (detect/metric.c) */
    uint32_t metric_warmup;     /* samples before a metric may alarm */
    uint32_t max_metrics_per_service;
    uint32_t max_metrics;       /* over all services */
} fl_detect_conf;

void fl_detect_conf_default(fl_detect_conf *conf);

typedef struct fl_detect fl_detect;

fl_detect *fl_detect_new(const fl_detect_conf *conf, fl_anomaly_cb cb,
                         void *ud);
void fl_detect_destroy(fl_detect *det);
/* Most buckets an event may be ahead of the watermark (an input whose
 * clock runs hours ahead must not grow memory without bound). */
#define FL_DETECT_MAX_AHEAD 4096

/* Future skew, one gate per input (a replayed file, a Kafka partition).
 * An event too far ahead of the largest time the gate has let through is
 * refused (the caller counts it as FL_BAD_FUTURE) before it can move event
 * time: a producer whose clock runs hours ahead, or one garbage timestamp,
 * would otherwise drag the watermark forward (replay: stall its file
 * behind the merge) and make every honest event after it late.
 *
 * "Too far" is relative to the input's own cadence: more than
 * max(cap, FL_DETECT_FUTURE_GAPS x its typical spacing). The spacing is
 * learned from the steps between successive new maxima the gate let
 * through, as a running estimate in log2 space that follows shorter steps
 * fast (halfway each time: a stricter gate is the safe side) and longer
 * ones slowly (at most FL_FUTURE_LGAP_STEP per step, so sporadic jumps
 * barely loosen it). A log
 * stream with events every few ms keeps the cap as it is configured
 * (15 min); a metric sampled hourly may step an hour at a time (without
 * this, every sample of an hourly series after the first was "future").
 *
 * Time that really jumped (the input silent for long, then data again) is
 * told apart by consistency: a run of consecutive refusals, each within
 * the (cadence-scaled) cap of the refusal before it, is taken as the new
 * time once it holds FL_DETECT_FUTURE_CONFIRM events, or at least
 * FL_DETECT_FUTURE_MIN_RUN events spanning the cap or more (a sparse
 * series should not lose 31 samples after every gap); the refusals before
 * stay counted. Garbage timestamps mixed into good traffic never line up
 * that way (an honest event in between ends the run); a skewed producer
 * sharing an input with honest ones would need a run with nothing honest
 * between. The first event of an input sets its reference and the second
 * its first spacing (nothing is known before them); the gate is not
 * checkpointed, so a restarted consumer starts each partition afresh.
 * cap <= 0: no cap. */
#define FL_DETECT_FUTURE_CONFIRM 32
#define FL_DETECT_FUTURE_MIN_RUN 4
#define FL_DETECT_FUTURE_GAPS 16
#define FL_FUTURE_LGAP_STEP 0.125
typedef struct {
    fl_time seen;   /* largest time let through; FL_TIME_NONE before any */
    fl_time first;  /* time of the first refusal of the current run */
    fl_time last;   /* time of the latest refusal of the current run */
    uint32_t run;   /* consecutive refusals */
    uint32_t steps; /* steps learned into lgap */
    double lgap;    /* log2 of the typical spacing (ns), once steps > 0 */
} fl_future_gate;
#define FL_FUTURE_GATE_INIT {FL_TIME_NONE, FL_TIME_NONE, FL_TIME_NONE, 0, 0, 0.0}
bool fl_future_admit(fl_future_gate *g, fl_time cap, fl_time ts);


/* Adds one request. `svc` and `upstream` are interned ids (upstream -1 when
 * none). Returns false, with *why = FL_BAD_LATE, when the event's bucket is
 * already closed, FL_BAD_AHEAD when it is more than FL_DETECT_MAX_AHEAD
 * buckets past the watermark. Replay calls fl_detect_advance with the
 * event's time first; a consumer advances to the slowest input's time. */
bool fl_detect_request(fl_detect *det, int32_t svc, const fl_event *ev,
                       int32_t upstream, fl_bad_reason *why);
/* Adds one sample of a metric (ev->metric, ev->value) of service `svc`.
 * The sample lands in the bucket of its time, like a request (late and
 * too-far-ahead samples are refused the same way); when the bucket closes,
 * its samples are fed to the metric's detector in time order. Refuses with
 * FL_BAD_METRIC_LIMIT a new metric past the per-service or total cap (or a
 * sample past the pending-sample caps), FL_BAD_VALUE an empty or over-long
 * name or a value that is not finite. */
bool fl_detect_metric(fl_detect *det, int32_t svc, const fl_event *ev,
                      fl_bad_reason *why);
/* Metrics tracked so far, over all services. */
uint32_t fl_detect_metric_count(const fl_detect *det);
/* Moves event time to `t` (ignored when earlier than what was seen) and
 * closes every bucket that ends at or before t - lateness. */
void fl_detect_advance(fl_detect *det, fl_time t);
/* End of input: closes all buckets that hold data. Anomalies still open
 * stay open (end = none), as in a live system. */
void fl_detect_flush(fl_detect *det);
/* Everything before this time is final. FL_TIME_NONE before any event. */
fl_time fl_detect_watermark(const fl_detect *det);
const fl_detect_conf *fl_detect_get_conf(const fl_detect *det);
uint64_t fl_detect_gaps(const fl_detect *det);

/* ----------------------------------------------------------- checkpoint */

/* The detector's whole state (event time, every service's open buckets,
 * histories, baselines, CUSUMs and alarms with their open anomalies) as one
 * msgpack value; the layout is documented in detect/state.c. Unpack loads
 * it into a detector just made by fl_detect_new with the same
 * configuration, before any event. `nservices` is the size of the service
 * id space (the interner's count): every service id read must be below it.
 * Unpack checks every type, length, index and range it reads and returns
 * false with errstr set ("checkpoint: detect.svcs[3].ring: ...") instead of
 * trusting the bytes; after a failure the detector must only be destroyed.
 * The anomaly codec is shared with rca's checkpoint. */
struct msgpack_packer;
struct msgpack_object;
struct fl_rd;
void fl_detect_pack(const fl_detect *det, struct msgpack_packer *pk);
bool fl_detect_unpack(fl_detect *det, const struct msgpack_object *o,
                      uint32_t nservices, char *errstr, size_t errlen);
void fl_anomaly_pack(struct msgpack_packer *pk, const fl_anomaly *a);
bool fl_anomaly_unpack(struct fl_rd *rd, const struct msgpack_object *o,
                       uint32_t nservices, fl_anomaly *a);

#endif
