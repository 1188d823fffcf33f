/* rca_int.h - declarations private to rca/. */
#ifndef FL_RCA_INT_H
#define FL_RCA_INT_H
#include "fl_rca.h"

/* Charts (series.c): per-bucket values of each service, kept for the
 * report. Requests the detector accepted are summed into chart bins of
 * FL_CHART_BIN; a bin is final once the watermark passes its end (so the
 * values do not depend on arrival order). Final bins go into a per-service
 * ring of the last FL_CHART_LEAD bins (the lead-in before an onset) and
 * into every open incident that has the service among its first
 * FL_CHART_SVCS services, at most FL_CHART_POINTS points each: when a
 * series is full, adjacent points merge (counts add, p95/p99 keep the
 * larger) and a point covers twice as many bins. Memory: about 1 KB per
 * service that sent requests (1.6 KB), about 8 KB per incident. */
#define FL_CHART_BIN (60 * FL_NS_PER_SEC)

/* The chart bin holding t (floor division: bins before the epoch too),
 * and a bin's slot in a ring of n. */
static inline int64_t fl_chart_bin_of(fl_time t)
{
    int64_t b = t / FL_CHART_BIN;
    return (t % FL_CHART_BIN < 0) ? b - 1 : b;
}
static inline uint32_t fl_chart_slot_of(int64_t bin, uint32_t n)
{
    int64_t m = bin % (int64_t)n;
    return (uint32_t)(m < 0 ? m + n : m);
}

/* Appends one formatted evidence line to a cause (up to
 * FL_EVIDENCE_MAX; rank.c). */
void fl_cause_evidence(fl_cause *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
#define FL_CHART_LEAD 20
#define FL_CHART_LIVE 4
#define FL_CHART_HIST 64
#define FL_CHART_SVCS 4
#define FL_CHART_POINTS 120
typedef struct {
    uint32_t req, err;
    float p95, p99; /* ms; NAN: no latency in the bin */
} fl_chart_pt;
typedef struct {
    int64_t bin; /* bin index (time / FL_CHART_BIN); -1: empty */
    uint32_t req, err;
    uint32_t hist[FL_CHART_HIST]; /* latency, log-spaced (series.c) */
} fl_chart_live;
/* Endpoints (endpoints.c): per service, up to FL_EP_MAX path templates
 * (fl_path_template) with request and error counts in the same bins as
 * the charts (live slots and lead ring indexed alike); slot FL_EP_MAX is
 * "<other>". A slot whose template had no request for FL_CHART_LEAD bins
 * below the watermark is reused. Which templates own the FL_EP_MAX slots
 * depends on arrival order only for a service with more than FL_EP_MAX
 * live templates (then consume and replay may split <other> differently;
 * the result document never depends on endpoints). About 10 KB per
 * service that sent a path; an incident's eps about 15 KB at most. */
#define FL_EP_MAX 32
#define FL_EP_LEN 96 /* bytes of a template, with its NUL */
typedef struct {
    uint32_t req, err;
} fl_ep_cnt;
typedef struct fl_ep_svc {
    uint32_t n; /* slots in use, the first n of tpl */
    char tpl[FL_EP_MAX][FL_EP_LEN];
    int64_t last_bin[FL_EP_MAX]; /* last bin with a request */
    uint64_t hash[FL_EP_MAX];    /* of tpl (not checkpointed: fl_ep_rehash) */
    fl_ep_cnt live[FL_CHART_LIVE][FL_EP_MAX + 1];
    fl_ep_cnt lead[FL_CHART_LEAD][FL_EP_MAX + 1];
} fl_ep_svc;
/* What an incident keeps per (service, template): requests and errors in
 * the bins before its onset (the lead-in) and from the onset on. */
typedef struct fl_ep_stat {
    int32_t service;
    char tpl[FL_EP_LEN];
    fl_ep_cnt before, during;
} fl_ep_stat;
#define FL_EP_INC_MAX (FL_CHART_SVCS * (FL_EP_MAX + 1))

typedef struct {
    fl_ep_svc *ep; /* NULL until the service sends a path */
    fl_chart_live live[FL_CHART_LIVE]; /* by bin % FL_CHART_LIVE */
    int64_t lead_bin[FL_CHART_LEAD];   /* by bin % FL_CHART_LEAD; -1 empty */
    fl_chart_pt lead[FL_CHART_LEAD];
} fl_chart_svc;
typedef struct fl_chart {
    int32_t service;
    uint32_t step;  /* bins per point, a power of two */
    int64_t bin0;   /* bin index of point 0 */
    uint32_t n;
    fl_chart_pt pts[FL_CHART_POINTS];
} fl_chart;

struct fl_rca {
    fl_rca_conf conf;
    const fl_intern *names;
    fl_incident_cb on_change;
    void *ud;
    fl_change **changes; /* sorted by time */
    uint32_t nchanges, changes_cap;
    fl_incident **incs; /* in opening order */
    uint32_t nincs, incs_cap;
    uint64_t *edges; /* open-addressing set of caller << 32 | callee, +1 */
    uint32_t nedges, edges_cap;
    fl_change **latest; /* per service id: its latest deploy/rollback with
                         * a version (version split), or NULL */
    uint32_t nlatest;
    struct fl_trace_slot {
        uint64_t hash; /* 0: empty */
        int32_t service;
        double latency_ms;
        fl_time ts;
    } *traces; /* FL_RCA_TRACE_SLOTS, allocated on first use */
    fl_anomaly *pending; /* surges not (yet) part of an incident */
    uint32_t npending, pending_cap;
    /* log-template evidence (rank_tpl.c): findings are recomputed only
     * while tpl_now (inside fl_rca_advance and fl_rca_finish), with data
     * before tpl_cutoff, so they depend on event time alone */
    struct fl_tplev *tplev;
    /* charts (series.c): per service id, allocated on its first request */
    fl_chart_svc **chart_svc;
    uint32_t nchart_svc;
    uint64_t chart_skipped; /* requests too far ahead of the watermark */
    int64_t chart_wb;       /* bins below this are final (not checkpointed:
                             * closing again is a no-op) */
    bool chart_wb_valid;
    bool tpl_now;
    fl_time tpl_cutoff;
};

/* rca.c: rebuilds rca->latest from the change index (after a restore). */
void fl_rca_index_versions(fl_rca *rca);
/* rca.c: whether `from` reaches `to` along caller -> callee edges within
 * RELATE_HOPS hops (from == to counts); `known` says whether the graph
 * has any edge at `from` at all. */
bool fl_rca_reaches(const fl_rca *rca, int32_t from, int32_t to, bool *known);
/* rank.c: (re)computes inc->causes and inc->ruled_out. */
void fl_rank_incident(fl_rca *rca, fl_incident *inc);
void fl_incident_clear_causes(fl_incident *inc);
bool fl_anomaly_is_impact(const fl_anomaly *a);
/* rank_tpl.c: refreshes inc->tpl (when r->tpl_now) and adds template
 * evidence to the causes just ranked. */
void fl_rank_templates(fl_rca *rca, fl_incident *inc);

/* series.c */
void fl_series_advance(fl_rca *rca, fl_time watermark);
void fl_series_finish(fl_rca *rca);
void fl_series_free(fl_rca *rca);
/* The service's chart state, allocated on first use (state.c restores). */
fl_chart_svc *fl_series_svc(fl_rca *rca, int32_t service);
/* Adds a final bin's point to a chart (merging when it is full). */
void fl_chart_put(fl_chart *c, int64_t bin, const fl_chart_pt *p);
/* endpoints.c: a final bin's endpoint counts (live slot `slot`, moving
 * to the lead ring) into the service's state and open incidents. */
void fl_ep_finalize(fl_rca *rca, int32_t service, uint32_t slot, int64_t bin);
/* endpoints.c: recomputes e->hash from e->tpl (after a restore). */
void fl_ep_rehash(fl_ep_svc *e);
/* endpoints.c: a new incident chart's lead-in bin (lead ring slot). */
void fl_ep_lead_in(fl_rca *rca, fl_incident *inc, int32_t service,
                   int64_t bin);
/* Lower bin bound of a latency histogram index, in ms. */
double fl_chart_hist_ms(uint32_t idx);

#endif
