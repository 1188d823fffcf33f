/* rca_int.h - declarations private to rca/. */
#ifndef FL_RCA_INT_H
#define FL_RCA_INT_H
#include "fl_rca.h"

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

#endif
