/*
 * fl_rca.h - the RCA stage's contract. It consumes anomaly records (from
 * detect/) and change records (deploys, config changes, rollbacks, flags),
 * groups anomalies that overlap in time into incidents, ranks candidate
 * causes with scores in [0, 1] and evidence a person can check, and renders
 * the result document and postmortem reports.
 *
 * Ownership: the RCA keeps copies of everything it is given; incidents it
 * returns stay valid until fl_rca_destroy. Service ids refer to the intern
 * table passed to fl_rca_new, which must outlive it.
 */
#ifndef FL_RCA_H
#define FL_RCA_H

#include "../common/fl_common.h"
#include "../detect/fl_detect.h"
#include "../ingest/fl_ingest.h"

typedef struct {
    fl_time ts;
    fl_change_kind kind;
    int32_t service;
    char *version, *change_id, *author;
    /* version split (deploys and rollbacks with a version): the service's
     * requests from the change until its next change, by whether the line
     * names this version: requests and errors on it, then on others */
    uint32_t vs[4];
} fl_change;

typedef enum {
    FL_CAUSE_CHANGE,  /* kind is the change's kind */
    FL_CAUSE_SURGE,   /* traffic_surge */
    FL_CAUSE_SERVICE, /* service: no recorded change explains it */
} fl_cause_type;

#define FL_EVIDENCE_MAX 6

typedef struct {
    fl_cause_type type;
    int32_t service;
    const fl_change *change; /* FL_CAUSE_CHANGE */
    fl_time at;
    double score;
    uint32_t nevidence;
    char *evidence[FL_EVIDENCE_MAX];
} fl_cause;

/* A log template that is new at an incident or surged at its onset
 * (rca/tplev.c): a `log_template` anomaly in the result document and
 * evidence on the causes of its service. */
#define FL_TPL_TEXT_MAX 200
typedef struct {
    int32_t service;
    bool novel;         /* first seen near the onset; else surged */
    fl_time first_seen; /* the template's first line */
    fl_time onset;      /* novel: first_seen; surged: the service's onset */
    fl_time detected;   /* end of the minute its count passed the bar */
    uint64_t count;     /* novel: lines since first seen; surged: lines in
                         * the 5 min from onset */
    double baseline, peak; /* lines per minute before and after onset */
    char text[FL_TPL_TEXT_MAX + 1];
} fl_tpl_finding;
#define FL_TPL_FINDINGS_MAX 8

typedef enum {
    FL_INCIDENT_OPEN,
    FL_INCIDENT_CLOSED, /* all anomalies ended and the join window passed */
} fl_incident_state;

typedef struct {
    char id[24];
    fl_incident_state state;
    fl_time start, detected, end; /* end FL_TIME_NONE while ongoing */
    fl_anomaly *anoms;
    uint32_t nanoms, anoms_cap;
    int32_t *services; /* earliest onset first */
    uint32_t nservices;
    fl_cause *causes;  /* rank order */
    uint32_t ncauses;
    char **ruled_out;  /* what was considered and why it was not blamed */
    uint32_t nruled;
    uint64_t rank_sig; /* hash of the ranked causes, to notice re-ranking */
    bool id_frozen;    /* the id is fixed (and the incident announced) at
                        * the first bucket close after it opened */
    fl_tpl_finding tpl[FL_TPL_FINDINGS_MAX]; /* new and surging templates */
    uint32_t ntpl;
    struct fl_chart *charts; /* per-bucket series of affected services,
                              * for the report's charts (rca_int.h) */
    uint32_t ncharts;
    struct fl_ep_stat *eps; /* requests and errors by endpoint of the
                             * charted services (rca_int.h), before and
                             * from the onset */
    uint32_t neps;
} fl_incident;

typedef struct {
    fl_time lookback;    /* changes this long before onset are candidates */
    fl_time join;        /* anomalies this close in time share an incident */
    fl_time surge_window; /* a surge this long before onset can explain it */
    uint32_t max_causes;
} fl_rca_conf;

void fl_rca_conf_default(fl_rca_conf *conf);

typedef struct fl_rca fl_rca;

/* Called when an incident opens (at the end of the bucket that opened it,
 * once its id is fixed), when its ranked causes change, and when it ends
 * (consumers publish each; replay only needs the final state). */
typedef void (*fl_incident_cb)(void *ud, const fl_incident *inc);

fl_rca *fl_rca_new(const fl_rca_conf *conf, const fl_intern *services,
                   fl_incident_cb on_change, void *ud);
void fl_rca_destroy(fl_rca *rca);
void fl_rca_change(fl_rca *rca, const fl_event *ev, int32_t service);
/* A call edge seen in the logs: `caller`'s line names `callee` (an
 * upstream field, or a failing service named in an error message). Kept in
 * a bounded set (FL_RCA_MAX_EDGES); used to tell where traffic enters and
 * which way failures propagate. */
#define FL_RCA_MAX_EDGES 65536
void fl_rca_edge(fl_rca *rca, int32_t caller, int32_t callee);
bool fl_rca_calls(const fl_rca *rca, int32_t caller, int32_t callee);
/* A request line carrying a trace id. Two lines of the same trace from
 * different services within a minute make a call edge, from the one with
 * the longer latency (a caller's includes its callee's) to the other. The
 * last line per trace is kept in a fixed table of FL_RCA_TRACE_SLOTS
 * (hashed, overwritten on collision): bounded memory, and an edge only
 * needs to be seen once. Not checkpointed: lines in flight at a restart
 * only delay an edge. */
#define FL_RCA_TRACE_SLOTS 4096
void fl_rca_trace(fl_rca *rca, fl_str trace_id, int32_t service,
                  double latency_ms, fl_time ts);
/* A request of `service` whose line names the version serving it: counted
 * for the version split of the service's latest versioned change (the
 * ranking compares error rates on the new version and on the others). */
void fl_rca_request(fl_rca *rca, int32_t service, fl_str version, fl_time ts,
                    bool error);
void fl_rca_anomaly(fl_rca *rca, fl_anomaly_event what, const fl_anomaly *a);
/* A request the detector accepted (so it is not late): counted into the
 * service's chart bin (error rate, latency p95/p99, request rate) for the
 * report's charts. latency_ms NAN when the line has none. */
void fl_rca_sample(fl_rca *rca, int32_t service, fl_time ts,
                   double latency_ms, bool error);
/* The same request's path (after fl_rca_sample): counted by endpoint
 * template for the report's impact by endpoint. */
void fl_rca_sample_path(fl_rca *rca, int32_t service, fl_time ts,
                        fl_str path, bool error);
/* The endpoint template of a request path, written to out (NUL-ended,
 * at most cap - 1 bytes; cap >= 8): the query, fragment and ";params"
 * cut off, each variable segment replaced by "<*>" (all digits; 8+ hex
 * digits, dashes allowed, as in UUIDs; 16+ characters mixing letters and
 * digits; anything with '@' or '='), control bytes as '?', an
 * absolute URI's scheme and host dropped; too long: cut at a character
 * boundary and ended with "...". Returns the length. */
size_t fl_path_template(fl_str path, char *out, size_t cap);
/* Event time has reached `watermark`: incidents whose anomalies all ended
 * more than `join` ago are ranked and closed. */
void fl_rca_advance(fl_rca *rca, fl_time watermark);
/* End of input: ranks everything still open (ongoing ones keep end none). */
void fl_rca_finish(fl_rca *rca);

/* Where log-template evidence comes from (rca/tplev.c); NULL: none. */
struct fl_tplev;
void fl_rca_set_templates(fl_rca *rca, struct fl_tplev *t);

uint32_t fl_rca_count(const fl_rca *rca);
const fl_incident *fl_rca_get(const fl_rca *rca, uint32_t i);
uint64_t fl_rca_changes_seen(const fl_rca *rca);
const char *fl_cause_kind(const fl_cause *c);
/* "v2.3.1 chg-1a2b3c" for changes, "" otherwise. */
void fl_cause_ref(const fl_cause *c, char *buf, size_t n);

/* Output. JSON follows CONTRACT.md; the Markdown report is one page per
 * incident; every string that came from a log is escaped. */
void fl_incident_json(fl_buf *b, const fl_rca *rca, const fl_incident *inc);
void fl_incident_markdown(fl_buf *b, const fl_rca *rca, const fl_incident *inc);
/* The same report as one self-contained HTML page: no scripts, no network,
 * a Content-Security-Policy that forbids both. */
void fl_incident_html(fl_buf *b, const fl_rca *rca, const fl_incident *inc);
const char *fl_rca_service_name(const fl_rca *rca, int32_t id);
/* Charts of the incident's affected services (error rate, latency p95/p99,
 * request rate, change markers, onset and detection lines) as standalone
 * SVG documents: k < fl_incident_nchart(inc). The HTML report inlines
 * them; the Markdown links each as an image named by fl_incident_svg_name
 * ("<id>-chart<k+1>.svg", written next to the .md). */
uint32_t fl_incident_nchart(const fl_incident *inc);
bool fl_incident_svg(fl_buf *b, const fl_rca *rca, const fl_incident *inc,
                     uint32_t k);
void fl_incident_svg_name(const fl_incident *inc, uint32_t k, char *buf,
                          size_t n);
/* Changes within [from, to], for timelines. */
uint32_t fl_rca_changes_between(const fl_rca *rca, fl_time from, fl_time to,
                                const fl_change **out, uint32_t max);

/* Checkpoints: the whole RCA state (changes, incidents with their causes
 * and evidence, pending surges, call edges) as one msgpack value (layout
 * in rca/state.c), and back into an fl_rca just made by fl_rca_new whose
 * intern table already holds the checkpoint's names. Unpack checks every
 * type, length, index and range and returns false with errstr set instead
 * of trusting the bytes; after a failure the RCA must only be destroyed. */
struct msgpack_packer;
struct msgpack_object;
void fl_rca_pack(const fl_rca *rca, struct msgpack_packer *pk);
bool fl_rca_unpack(fl_rca *rca, const struct msgpack_object *o, char *errstr,
                   size_t errlen);

#endif
