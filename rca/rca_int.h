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
typedef struct {
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
/* Lower bin bound of a latency histogram index, in ms. */
double fl_chart_hist_ms(uint32_t idx);

#endif
