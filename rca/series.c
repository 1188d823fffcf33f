/*
 * series.c - per-bucket values of each service for the report's charts
 * (error rate, latency p95/p99, request rate), captured as event time
 * moves on and kept per incident with bounded memory (layout and bounds in
 * rca_int.h).
 *
 * Only requests the detector accepted are counted, and a chart bin is read
 * only once the watermark has passed its end, so the values depend on the
 * events alone, not on the order they arrived in (consume and replay draw
 * the same charts). Each service has FL_CHART_LIVE open bins (by bin
 * index modulo FL_CHART_LIVE); a request whose slot still holds an older
 * bin that is not final is not charted (counted in chart_skipped). That
 * bounds the memory per service, and only happens when an input runs more
 * than FL_CHART_LIVE - 1 minutes ahead of the watermark (a consumer whose
 * partitions are that far apart): then consume may chart fewer points
 * than replay. The result document never depends on the charts.
 *
 * Latency quantiles come from a log-spaced histogram of FL_CHART_HIST
 * bins (each 1.22x the previous, from 0.5 ms to about 2 minutes; the value
 * is interpolated by rank inside its bin, so within about 10%): good
 * enough to draw, and 256 bytes per open bin.
 */
#include "rca_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define HIST_BASE 0.5
#define HIST_GROWTH 1.22
#define LEAD_BEFORE_ONSET 15 /* bins of lead-in drawn before the onset */

double fl_chart_hist_ms(uint32_t idx)
{
    return idx == 0 ? 0 : HIST_BASE * pow(HIST_GROWTH, (double)idx - 1);
}

static uint32_t hist_idx(double ms)
{
    if (!(ms >= HIST_BASE))
        return 0;
    double k = 1 + floor(log(ms / HIST_BASE) / log(HIST_GROWTH));
    return k >= FL_CHART_HIST - 1 ? FL_CHART_HIST - 1 : (uint32_t)k;
}

static float hist_quantile(const uint32_t *h, double q)
{
    uint64_t n = 0;
    for (uint32_t i = 0; i < FL_CHART_HIST; i++)
        n += h[i];
    if (!n)
        return NAN;
    uint64_t rank = (uint64_t)ceil(q * (double)n), seen = 0;
    if (rank < 1)
        rank = 1;
    for (uint32_t i = 0; i < FL_CHART_HIST; i++) {
        if (seen + h[i] >= rank) {
            double lo = fl_chart_hist_ms(i), hi = fl_chart_hist_ms(i + 1);
            double f = ((double)(rank - seen) - 0.5) / (double)h[i];
            return (float)(lo + f * (hi - lo));
        }
        seen += h[i];
    }
    return NAN;
}

static fl_chart_svc *svc_state(fl_rca *r, int32_t svc)
{
    if ((uint32_t)svc >= r->nchart_svc) {
        uint32_t n = (uint32_t)svc + 1;
        if (n < r->nchart_svc * 2)
            n = r->nchart_svc * 2;
        r->chart_svc = fl_realloc(r->chart_svc, n * sizeof *r->chart_svc);
        memset(r->chart_svc + r->nchart_svc, 0,
               (n - r->nchart_svc) * sizeof *r->chart_svc);
        r->nchart_svc = n;
    }
    fl_chart_svc *s = r->chart_svc[svc];
    if (!s) {
        s = r->chart_svc[svc] = fl_calloc(1, sizeof *s);
        for (uint32_t i = 0; i < FL_CHART_LIVE; i++)
            s->live[i].bin = -1;
        for (uint32_t i = 0; i < FL_CHART_LEAD; i++)
            s->lead_bin[i] = -1;
    }
    return s;
}

fl_chart_svc *fl_series_svc(fl_rca *r, int32_t svc)
{
    return svc_state(r, svc);
}

void fl_rca_sample(fl_rca *r, int32_t svc, fl_time ts, double lat, bool error)
{
    if (svc < 0 || ts == FL_TIME_NONE)
        return;
    int64_t bin = fl_chart_bin_of(ts);
    if (bin < 0)
        return;
    fl_chart_svc *s = svc_state(r, svc);
    fl_chart_live *l = &s->live[fl_chart_slot_of(bin, FL_CHART_LIVE)];
    if (l->bin != bin) {
        if (l->bin != -1) { /* an older bin not yet final holds the slot */
            r->chart_skipped++;
            return;
        }
        memset(l, 0, sizeof *l);
        l->bin = bin;
    }
    if (l->req < UINT32_MAX) {
        l->req++;
        l->err += error;
        if (!isnan(lat) && lat >= 0)
            l->hist[hist_idx(lat)]++;
    }
}

static void pt_merge(fl_chart_pt *a, const fl_chart_pt *b)
{
    a->req = a->req + b->req < a->req ? UINT32_MAX : a->req + b->req;
    a->err = a->err + b->err < a->err ? UINT32_MAX : a->err + b->err;
    if (a->err > a->req)
        a->err = a->req;
    a->p95 = fmaxf(a->p95, b->p95); /* NAN loses */
    a->p99 = fmaxf(a->p99, b->p99);
}

static const fl_chart_pt empty_pt = {0, 0, NAN, NAN};

void fl_chart_put(fl_chart *c, int64_t bin, const fl_chart_pt *p)
{
    if (bin < c->bin0)
        return;
    int64_t idx = (bin - c->bin0) / c->step;
    while (idx >= FL_CHART_POINTS) { /* full: halve the resolution */
        uint32_t n = 0;
        for (uint32_t i = 0; i < c->n; i += 2) {
            fl_chart_pt m = c->pts[i];
            if (i + 1 < c->n)
                pt_merge(&m, &c->pts[i + 1]);
            c->pts[n++] = m;
        }
        c->n = n;
        c->step *= 2;
        idx = (bin - c->bin0) / c->step;
    }
    while (c->n < idx)
        c->pts[c->n++] = empty_pt;
    if (idx < c->n) {
        pt_merge(&c->pts[idx], p);
    } else {
        c->pts[idx] = *p;
        c->n = (uint32_t)idx + 1;
    }
}

static fl_chart *chart_for(fl_rca *r, fl_incident *inc, int32_t svc, int64_t bin)
{
    for (uint32_t i = 0; i < inc->ncharts; i++)
        if (inc->charts[i].service == svc)
            return &inc->charts[i];
    bool member = false;
    for (uint32_t i = 0; i < inc->nservices && !member; i++)
        member = inc->services[i] == svc;
    if (!member || inc->ncharts >= FL_CHART_SVCS)
        return NULL;
    if (!inc->charts)
        inc->charts = fl_calloc(FL_CHART_SVCS, sizeof *inc->charts);
    fl_chart *c = &inc->charts[inc->ncharts++];
    memset(c, 0, sizeof *c);
    c->service = svc;
    c->step = 1;
    /* the lead-in: what the service's ring still holds from a little
     * before the incident's onset */
    int64_t from = fl_chart_bin_of(inc->start) - LEAD_BEFORE_ONSET;
    if (from < bin - (FL_CHART_LEAD - 1))
        from = bin - (FL_CHART_LEAD - 1);
    if (from > bin)
        from = bin;
    c->bin0 = from;
    const fl_chart_svc *s = r->chart_svc[svc];
    for (int64_t b = from; b < bin; b++) {
        uint32_t k = fl_chart_slot_of(b, FL_CHART_LEAD);
        if (s->lead_bin[k] == b) {
            fl_chart_put(c, b, &s->lead[k]);
            fl_ep_lead_in(r, inc, svc, b); /* endpoints.c */
        }
    }
    return c;
}

static void finalize(fl_rca *r, int32_t svc, fl_chart_live *l)
{
    fl_chart_svc *s = r->chart_svc[svc];
    fl_chart_pt p = {l->req, l->err, hist_quantile(l->hist, 0.95),
                     hist_quantile(l->hist, 0.99)};
    int64_t bin = l->bin;
    uint32_t k = fl_chart_slot_of(bin, FL_CHART_LEAD);
    s->lead_bin[k] = bin;
    s->lead[k] = p;
    l->bin = -1;
    for (uint32_t i = 0; i < r->nincs; i++) {
        fl_incident *inc = r->incs[i];
        if (inc->state != FL_INCIDENT_OPEN)
            continue;
        fl_chart *c = chart_for(r, inc, svc, bin);
        if (c)
            fl_chart_put(c, bin, &p);
    }
    /* the bin's endpoint counts, into the charts' incidents */
    fl_ep_finalize(r, svc, (uint32_t)(l - s->live), bin);
}

/* Final bins (ending at or before `limit_bin`'s start) of every service,
 * oldest first per service. */
static void close_bins(fl_rca *r, int64_t limit_bin)
{
    for (uint32_t svc = 0; svc < r->nchart_svc; svc++) {
        fl_chart_svc *s = r->chart_svc[svc];
        if (!s)
            continue;
        for (;;) {
            fl_chart_live *o = NULL;
            for (uint32_t i = 0; i < FL_CHART_LIVE; i++)
                if (s->live[i].bin != -1 && s->live[i].bin < limit_bin &&
                    (!o || s->live[i].bin < o->bin))
                    o = &s->live[i];
            if (!o)
                break;
            finalize(r, (int32_t)svc, o);
        }
    }
}

void fl_series_advance(fl_rca *r, fl_time wm)
{
    if (wm == FL_TIME_NONE || !r->nchart_svc)
        return;
    int64_t wb = fl_chart_bin_of(wm); /* bins below wb have ended */
    if (r->chart_wb_valid && wb <= r->chart_wb)
        return;
    r->chart_wb = wb;
    r->chart_wb_valid = true;
    close_bins(r, wb);
}

void fl_series_finish(fl_rca *r)
{
    close_bins(r, INT64_MAX);
}

void fl_series_free(fl_rca *r)
{
    for (uint32_t i = 0; i < r->nchart_svc; i++) {
        if (r->chart_svc[i])
            free(r->chart_svc[i]->ep);
        free(r->chart_svc[i]);
    }
    free(r->chart_svc);
    for (uint32_t i = 0; i < r->nincs; i++) {
        free(r->incs[i]->charts);
        free(r->incs[i]->eps);
    }
}
