/*
 * rank_tpl.c - log templates as evidence (fl_tplev.h): which error
 * templates of an incident's services are new around their onset or
 * surged at it. They are evidence on the causes of their service and
 * `log_template` anomalies of the incident; they never open an incident
 * and never change a score (so the ranking is the one the metric signals
 * give; measured with tests/eval.py before and after).
 *
 * Findings are refreshed only while RCA steps event time (inside
 * fl_rca_advance and fl_rca_finish), with the data of the minutes before
 * the watermark, so they depend on event time alone and consume agrees
 * with replay; between refreshes the stored findings are used.
 */
#define _POSIX_C_SOURCE 200809L
#include "fl_tplev.h"
#include "rca_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fl_rca_set_templates(fl_rca *r, struct fl_tplev *t) { r->tplev = t; }

/* 12431 -> "12,431" */
static void thousands(char *b, size_t n, uint64_t v)
{
    char raw[32];
    int len = snprintf(raw, sizeof raw, "%llu", (unsigned long long)v);
    size_t o = 0;
    for (int i = 0; i < len && o + 2 < n; i++) {
        if (i && (len - i) % 3 == 0)
            b[o++] = ',';
        b[o++] = raw[i];
    }
    b[o] = '\0';
}

/* the earliest impact onset of a service in the incident */
static fl_time service_onset(const fl_incident *inc, int32_t svc)
{
    fl_time o = FL_TIME_NONE;
    for (uint32_t i = 0; i < inc->nanoms; i++) {
        const fl_anomaly *a = &inc->anoms[i];
        if (a->service == svc && fl_anomaly_is_impact(a) &&
            (o == FL_TIME_NONE || a->onset < o))
            o = a->onset;
    }
    return o;
}

static void refresh(const fl_rca *r, fl_incident *inc)
{
    inc->ntpl = 0;
    for (uint32_t s = 0; s < inc->nservices && inc->ntpl < FL_TPL_FINDINGS_MAX;
         s++) {
        int32_t svc = inc->services[s];
        fl_time onset = service_onset(inc, svc);
        if (onset == FL_TIME_NONE)
            continue;
        uint32_t room = FL_MIN(3u, FL_TPL_FINDINGS_MAX - inc->ntpl);
        inc->ntpl += fl_tplev_findings(r->tplev, svc, onset, r->tpl_cutoff,
                                       &inc->tpl[inc->ntpl], room);
    }
}

/* A template first seen at t is "new since" the latest change of its
 * service at or before t; an older change of the same service gets no such
 * evidence (a newer change came in between). */
static bool latest_change_before(const fl_rca *r, const fl_change *ch,
                                 fl_time t)
{
    for (uint32_t i = 0; i < r->nchanges; i++) {
        const fl_change *o = r->changes[i];
        if (o != ch && o->service == ch->service && o->ts > ch->ts && o->ts <= t)
            return false;
    }
    return true;
}

static void describe_change(const fl_change *ch, char *b, size_t n)
{
    const char *what = ch->version ? ch->version : ch->change_id;
    snprintf(b, n, "%s%s%s", fl_change_kind_name(ch->kind), what ? " " : "",
             what ? what : "");
}

void fl_rank_templates(fl_rca *r, fl_incident *inc)
{
    if (r->tplev && r->tpl_now)
        refresh(r, inc);
    char cnt[40], what[300];
    for (uint32_t i = 0; i < inc->ncauses; i++) {
        fl_cause *c = &inc->causes[i];
        if (c->type == FL_CAUSE_SURGE)
            continue;
        const char *svc = fl_rca_service_name(r, c->service);
        uint32_t shown = 0, more = 0;
        for (uint32_t k = 0; k < inc->ntpl; k++) {
            const fl_tpl_finding *f = &inc->tpl[k];
            if (f->service != c->service)
                continue;
            if (c->type == FL_CAUSE_CHANGE &&
                !(f->novel && f->first_seen >= c->change->ts &&
                  latest_change_before(r, c->change, f->first_seen)))
                continue;
            if (shown == 2) {
                more++;
                continue;
            }
            thousands(cnt, sizeof cnt, f->count);
            if (c->type == FL_CAUSE_CHANGE) {
                describe_change(c->change, what, sizeof what);
                fl_cause_evidence(c, "new since %s of %s: \"%s\" \u00d7%s", what, svc,
                         f->text, cnt);
            } else if (f->novel) {
                fl_cause_evidence(c, "new log template in %s at the onset: \"%s\" \u00d7%s",
                         svc, f->text, cnt);
            } else {
                fl_cause_evidence(c, "log template surged in %s at the onset (%.1f/min to "
                            "%.1f/min): \"%s\" \u00d7%s in 5 min",
                         svc, f->baseline, f->peak, f->text, cnt);
            }
            shown++;
        }
        if (more)
            fl_cause_evidence(c, "and %u more new or surging log template%s in %s", more,
                     more == 1 ? "" : "s", svc);
    }
}
