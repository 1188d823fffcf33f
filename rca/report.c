/*
 * report.c - the postmortem report. It is built once as a small document
 * model (headings, paragraphs of plain and strong text, tables, lists) and
 * rendered twice: Markdown and one self-contained HTML page. Text in the
 * model is raw; each renderer escapes every piece of it for its own
 * syntax, so a service called "<script>" or "[x](javascript:...)" is shown,
 * never obeyed. The HTML carries a Content-Security-Policy that forbids
 * scripts and any network access.
 */
#include "rca_int.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FL_CLAMP(v, lo, hi) ((v) < (lo) ? (lo) : (v) > (hi) ? (hi) : (v))

/* ------------------------------------------------------------- the model */

typedef enum { BL_H1, BL_H2, BL_PARA, BL_TABLE, BL_LIST, BL_OLIST, BL_CHART } bl_kind;

typedef struct {
    bool strong;
    char *text;
} span;

typedef struct {
    span *v;
    uint32_t n;
} spans;

typedef struct {
    spans head;
    char **sub;
    uint32_t nsub;
} item;

typedef struct {
    bl_kind kind;
    spans text;     /* headings, paragraphs */
    char **cells;   /* tables: ncols * nrows, row 0 is the header */
    uint32_t ncols, nrows;
    item *items;    /* lists */
    uint32_t nitems;
    uint32_t chart; /* charts: index into inc->charts (text: the caption) */
} block;

typedef struct {
    block *v;
    uint32_t n;
} doc;

static char *vfmt(const char *f, va_list ap)
{
    char tmp[1024];
    vsnprintf(tmp, sizeof tmp, f, ap);
    return fl_strndup(tmp, strlen(tmp));
}

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    char *s = vfmt(f, ap);
    va_end(ap);
    return s;
}

static block *add_block(doc *d, bl_kind k)
{
    d->v = fl_realloc(d->v, (d->n + 1) * sizeof *d->v);
    block *b = &d->v[d->n++];
    memset(b, 0, sizeof *b);
    b->kind = k;
    return b;
}

static void spans_add(spans *s, bool strong, char *text)
{
    s->v = fl_realloc(s->v, (s->n + 1) * sizeof *s->v);
    s->v[s->n].strong = strong;
    s->v[s->n].text = text;
    s->n++;
}

static void heading(doc *d, bl_kind k, char *text)
{
    spans_add(&add_block(d, k)->text, false, text);
}

static block *table(doc *d, uint32_t ncols)
{
    block *b = add_block(d, BL_TABLE);
    b->ncols = ncols;
    return b;
}

static void row(block *t, ...)
{
    va_list ap;
    va_start(ap, t);
    t->cells = fl_realloc(t->cells, (t->nrows + 1) * t->ncols * sizeof *t->cells);
    for (uint32_t i = 0; i < t->ncols; i++) {
        char *c = va_arg(ap, char *);
        t->cells[t->nrows * t->ncols + i] = c ? c : fl_strndup("", 0);
    }
    t->nrows++;
    va_end(ap);
}

static item *list_item(block *l)
{
    l->items = fl_realloc(l->items, (l->nitems + 1) * sizeof *l->items);
    item *it = &l->items[l->nitems++];
    memset(it, 0, sizeof *it);
    return it;
}

static void item_sub(item *it, char *text)
{
    it->sub = fl_realloc(it->sub, (it->nsub + 1) * sizeof *it->sub);
    it->sub[it->nsub++] = text;
}

static void spans_free(spans *s)
{
    for (uint32_t i = 0; i < s->n; i++)
        free(s->v[i].text);
    free(s->v);
}

static void doc_free(doc *d)
{
    for (uint32_t i = 0; i < d->n; i++) {
        block *b = &d->v[i];
        spans_free(&b->text);
        for (uint32_t k = 0; k < b->ncols * b->nrows; k++)
            free(b->cells[k]);
        free(b->cells);
        for (uint32_t k = 0; k < b->nitems; k++) {
            spans_free(&b->items[k].head);
            for (uint32_t j = 0; j < b->items[k].nsub; j++)
                free(b->items[k].sub[j]);
            free(b->items[k].sub);
        }
        free(b->items);
    }
    free(d->v);
}

/* ------------------------------------------------------------- content */

static const char *signal_label(const fl_anomaly *a)
{
    if (a->signal == FL_SIG_METRIC)
        return fl_anomaly_signal(a);
    switch (a->signal) {
    case FL_SIG_ERROR_RATE: return "error rate";
    case FL_SIG_LATENCY_P50: return "p50 latency";
    case FL_SIG_LATENCY_P95: return "p95 latency";
    case FL_SIG_LATENCY_P99: return "p99 latency";
    case FL_SIG_REQUEST_RATE: return "request rate";
    default: return "signal";
    }
}

static char *value_text(const fl_anomaly *a, double v)
{
    if (!isfinite(v))
        return fmt("n/a");
    switch (a->signal) {
    case FL_SIG_METRIC: return fmt("%.4g", v);
    case FL_SIG_ERROR_RATE: return fmt("%.2f%%", v * 100);
    case FL_SIG_REQUEST_RATE: return fmt("%.1f/s", v);
    default: return fmt("%.1f ms", v);
    }
}

static char *hms(fl_time t)
{
    char b[16];
    fl_time_hms(t, b, sizeof b);
    return fl_strndup(b, strlen(b));
}

typedef struct {
    fl_time t;
    int order;
    char *text;
} tl_row;

static int tl_cmp(const void *x, const void *y)
{
    const tl_row *a = x, *b = y;
    if (a->t != b->t)
        return a->t < b->t ? -1 : 1;
    return a->order - b->order;
}

/* "a, b, c" -> "a, b and c" for a list of n names. (A name that itself
 * contains ", " only reads oddly; nothing breaks.) */
static void and_last(fl_buf *b, uint32_t n)
{
    if (n < 2)
        return;
    for (size_t i = b->n; i-- > 1;)
        if (b->p[i - 1] == ',' && b->p[i] == ' ') {
            fl_buf t = {0};
            fl_buf_put(&t, b->p, i - 1);
            fl_buf_puts(&t, " and");
            fl_buf_put(&t, b->p + i, b->n - i);
            fl_buf_free(b);
            *b = t;
            return;
        }
}

/* ---- new and surging log templates (rank_tpl.c): error-line templates
 * first seen around an onset, or whose rate jumped at it */
static void templates_section(doc *d, const fl_rca *r, const fl_incident *inc)
{
    heading(d, BL_H2, fmt("New and surging log templates"));
    if (!inc->ntpl) {
        spans_add(&add_block(d, BL_PARA)->text, false,
                  fmt("No error-log template was new or surged around the "
                      "onset (only error lines that carry a message are "
                      "tracked)."));
        return;
    }
    block *t = table(d, 5);
    row(t, fmt("service"), fmt("template"), fmt("what"), fmt("lines"),
        fmt("first seen"));
    for (uint32_t i = 0; i < inc->ntpl; i++) {
        const fl_tpl_finding *f = &inc->tpl[i];
        row(t, fmt("%s", fl_rca_service_name(r, f->service)),
            fmt("%s", f->text),
            f->novel ? fmt("new")
                     : fmt("surged from %.1f/min to %.1f/min", f->baseline,
                           f->peak),
            fmt("%llu%s", (unsigned long long)f->count,
                f->novel ? "" : " in 5 min"),
            hms(f->first_seen));
    }
}

/* Errors above what the before-onset rate predicts for the during
 * requests (with no requests before: all errors during). */
static double ep_extra(const fl_ep_stat *e)
{
    double rate = e->before.req ? (double)e->before.err / e->before.req : 0;
    return (double)e->during.err - rate * (double)e->during.req;
}

static int ep_cmp(const void *x, const void *y)
{
    const fl_ep_stat *a = *(const fl_ep_stat *const *)x;
    const fl_ep_stat *b = *(const fl_ep_stat *const *)y;
    double ea = ep_extra(a), eb = ep_extra(b);
    if (ea != eb)
        return ea > eb ? -1 : 1;
    if (a->during.err != b->during.err)
        return a->during.err > b->during.err ? -1 : 1;
    return strcmp(a->tpl, b->tpl);
}

static char *ep_rate(fl_ep_cnt c)
{
    return c.req ? fmt("%.1f%% (%u of %u)", 100.0 * c.err / c.req, c.err, c.req)
                 : fmt("no requests");
}

#define EP_ROWS 5 /* endpoints shown per service */

/* Impact by endpoint (endpoints.c): per charted service, the endpoints
 * with the most errors above their before-onset rate. */
static void endpoints_table(doc *d, const fl_rca *r, const fl_incident *inc)
{
    if (!inc->neps)
        return;
    const fl_ep_stat **v = fl_calloc(inc->neps, sizeof *v);
    block *t = NULL;
    for (uint32_t c = 0; c < inc->ncharts; c++) {
        int32_t svc = inc->charts[c].service;
        uint32_t n = 0;
        for (uint32_t i = 0; i < inc->neps; i++)
            if (inc->eps[i].service == svc && inc->eps[i].during.req &&
                ep_extra(&inc->eps[i]) >= 0.5)
                v[n++] = &inc->eps[i];
        if (!n)
            continue;
        qsort(v, n, sizeof *v, ep_cmp);
        if (!t) {
            spans_add(&add_block(d, BL_PARA)->text, false,
                      fmt("Endpoints with the most errors above their rate "
                          "before the onset (ids in paths masked as <*>):"));
            t = table(d, 6);
            row(t, fmt("service"), fmt("endpoint"), fmt("requests during"),
                fmt("error rate during"), fmt("error rate before"),
                fmt("extra errors"));
        }
        for (uint32_t i = 0; i < n && i < EP_ROWS; i++)
            row(t, fmt("%s", fl_rca_service_name(r, svc)),
                fmt("%s", v[i]->tpl), fmt("%u", v[i]->during.req),
                ep_rate(v[i]->during), ep_rate(v[i]->before),
                fmt("%.0f", ep_extra(v[i])));
    }
    free(v);
}

static void build(doc *d, const fl_rca *r, const fl_incident *inc)
{
    char dur[32], ts[40], ref[256];
    const fl_cause *top = inc->ncauses ? &inc->causes[0] : NULL;
    const char *first_svc =
        inc->nservices ? fl_rca_service_name(r, inc->services[0]) : "?";
    /* degraded services (errors, latency, vanished traffic) apart from
     * those that only saw more traffic */
    fl_buf bad = {0}, busy = {0};
    uint32_t nbad = 0, nbusy = 0;
    const char *first_bad = first_svc;
    for (uint32_t i = 0; i < inc->nservices; i++) {
        bool impact = false;
        for (uint32_t k = 0; k < inc->nanoms && !impact; k++)
            impact = inc->anoms[k].service == inc->services[i] &&
                     fl_anomaly_is_impact(&inc->anoms[k]);
        fl_buf *list = impact ? &bad : &busy;
        uint32_t *cnt = impact ? &nbad : &nbusy;
        if (impact && !nbad)
            first_bad = fl_rca_service_name(r, inc->services[i]);
        fl_buf_printf(list, "%s%s", *cnt ? ", " : "",
                      fl_rca_service_name(r, inc->services[i]));
        (*cnt)++;
    }
    and_last(&bad, nbad);
    and_last(&busy, nbusy);
    if (nbad > 1)
        heading(d, BL_H1, fmt("Incident %s: %s and %u more service%s degraded",
                              inc->id, first_bad, nbad - 1, nbad > 2 ? "s" : ""));
    else
        heading(d, BL_H1, fmt("Incident %s: %s degraded", inc->id, first_bad));

    /* ---- summary: status-page ready */
    heading(d, BL_H2, fmt("Summary"));
    block *p = add_block(d, BL_PARA);
    fl_time_format(inc->start, ts, sizeof ts);
    if (inc->end != FL_TIME_NONE) {
        char te[40];
        fl_time_format(inc->end, te, sizeof te);
        spans_add(&p->text, false,
                  fmt("From %s to %s (%s) ", ts, te,
                      fl_duration_human(inc->end - inc->start, dur, sizeof dur)));
    } else {
        spans_add(&p->text, false,
                  fmt("From %s, still ongoing at the end of the data, ", ts));
    }
    spans_add(&p->text, false,
              fmt("%s %s degraded%s%s%s. ", bad.p ? bad.p : "",
                  nbad > 1 ? "were" : "was", nbusy ? " (traffic rose at " : "",
                  nbusy ? busy.p : "", nbusy ? ")" : ""));
    fl_buf_free(&bad);
    fl_buf_free(&busy);
    if (top) {
        fl_cause_ref(top, ref, sizeof ref);
        spans_add(&p->text, false, fmt("Most likely cause: "));
        spans_add(&p->text, true,
                  fmt("%s%s%s of %s", fl_cause_kind(top), ref[0] ? " " : "", ref,
                      fl_rca_service_name(r, top->service)));
        spans_add(&p->text, false, fmt(" (score %.2f). ", top->score));
    } else {
        spans_add(&p->text, false, fmt("No cause could be ranked. "));
    }
    spans_add(&p->text, false,
              fmt("Detected %s after onset.",
                  fl_duration_human(inc->detected - inc->start, dur, sizeof dur)));

    /* ---- timeline: changes, per-service onsets, detection, peak, recovery */
    heading(d, BL_H2, fmt("Timeline (UTC)"));
    uint32_t cap = inc->nservices * 2 + 48, n = 0;
    tl_row *rows = fl_calloc(cap, sizeof *rows);
    const fl_change *chs[32];
    fl_time to = inc->end != FL_TIME_NONE ? inc->end : inc->start + r->conf.lookback;
    uint32_t nch = fl_rca_changes_between(r, inc->start - 30 * 60 * FL_NS_PER_SEC,
                                          to, chs, 32);
    for (uint32_t i = 0; i < nch; i++) {
        const fl_change *c = chs[i];
        rows[n++] = (tl_row){c->ts, 0,
                             fmt("%s %s%s%s of %s%s%s", fl_change_kind_name(c->kind),
                                 c->version ? c->version : "",
                                 c->version && c->change_id ? " " : "",
                                 c->change_id ? c->change_id : "",
                                 fl_rca_service_name(r, c->service),
                                 c->author ? " by " : "", c->author ? c->author : "")};
    }
    const fl_anomaly *first = NULL, *peak = NULL;
    for (uint32_t k = 0; k < inc->nservices; k++) {
        int32_t svc = inc->services[k];
        fl_time on = INT64_MAX, end = INT64_MIN;
        bool ongoing = false;
        fl_buf sigs = {0};
        for (uint32_t i = 0; i < inc->nanoms; i++) {
            const fl_anomaly *a = &inc->anoms[i];
            if (a->service != svc)
                continue;
            if (a->onset < on)
                on = a->onset;
            if (a->end == FL_TIME_NONE)
                ongoing = true;
            else if (a->end > end)
                end = a->end;
            fl_buf_printf(&sigs, "%s%s %s", sigs.n ? ", " : "",
                          signal_label(a),
                          a->dir == FL_DIR_UP ? "up" : "down");
            if (fl_anomaly_is_impact(a) && a->detected == inc->detected &&
                (!first || a->seq < first->seq))
                first = a;
            if (a->signal == FL_SIG_ERROR_RATE && (!peak || a->peak > peak->peak))
                peak = a;
        }
        rows[n++] = (tl_row){on, 1,
                             fmt("%s departs from baseline (estimated onset): %s",
                                 fl_rca_service_name(r, svc), sigs.p ? sigs.p : "")};
        fl_buf_free(&sigs);
        if (!ongoing)
            rows[n++] = (tl_row){end, 4,
                                 fmt("%s back at baseline", fl_rca_service_name(r, svc))};
    }
    if (first)
        rows[n++] = (tl_row){inc->detected, 2,
                             fmt("first alarm: %s %s", fl_rca_service_name(r, first->service),
                                 signal_label(first))};
    if (peak)
        rows[n++] = (tl_row){peak->peak_at, 3,
                             fmt("peak: %s error rate %.1f%% (baseline %.2f%%)",
                                 fl_rca_service_name(r, peak->service), peak->peak * 100,
                                 peak->baseline * 100)};
    if (inc->end != FL_TIME_NONE)
        rows[n++] = (tl_row){inc->end, 5, fmt("incident over")};
    qsort(rows, n, sizeof *rows, tl_cmp);
    block *t = table(d, 2);
    row(t, fmt("time"), fmt("event"));
    for (uint32_t i = 0; i < n; i++)
        row(t, hms(rows[i].t), rows[i].text);
    free(rows);

    /* ---- impact */
    heading(d, BL_H2, fmt("Impact"));
    block *l = add_block(d, BL_LIST);
    spans_add(&list_item(l)->head, false,
              fmt("Duration: %s", inc->end != FL_TIME_NONE
                                      ? fl_duration_human(inc->end - inc->start, dur, sizeof dur)
                                      : "ongoing"));
    spans_add(&list_item(l)->head, false,
              fmt("Time to detect: %s",
                  fl_duration_human(inc->detected - inc->start, dur, sizeof dur)));
    if (inc->end != FL_TIME_NONE)
        spans_add(&list_item(l)->head, false,
                  fmt("Time to recover (from detection): %s",
                      fl_duration_human(inc->end - inc->detected, dur, sizeof dur)));
    spans_add(&list_item(l)->head, false,
              fmt("Services affected: %u", inc->nservices));
    t = table(d, 7);
    row(t, fmt("service"), fmt("signal"), fmt("baseline"), fmt("peak"), fmt("onset"),
        fmt("end"), fmt("failed requests"));
    for (uint32_t i = 0; i < inc->nanoms; i++) {
        const fl_anomaly *a = &inc->anoms[i];
        char *failed = a->signal == FL_SIG_ERROR_RATE
                           ? fmt("%llu of %llu (%.0f above baseline)",
                                 (unsigned long long)a->errors,
                                 (unsigned long long)a->requests,
                                 FL_MAX(0, (double)a->errors - a->expected_errors))
                           : NULL;
        row(t, fmt("%s", fl_rca_service_name(r, a->service)),
            fmt("%s %s", signal_label(a), a->dir == FL_DIR_UP ? "up" : "down"),
            value_text(a, a->baseline), value_text(a, a->peak),
            hms(a->onset), a->end != FL_TIME_NONE ? hms(a->end) : fmt("ongoing"),
            failed);
    }
    endpoints_table(d, r, inc);

    /* ---- charts (series.c; SVG below) */
    if (inc->ncharts) {
        heading(d, BL_H2, fmt("Charts"));
        for (uint32_t k = 0; k < inc->ncharts; k++) {
            block *c = add_block(d, BL_CHART);
            c->chart = k;
            spans_add(&c->text, false,
                      fmt("error rate, latency and request rate of %s",
                          fl_rca_service_name(r, inc->charts[k].service)));
        }
    }

    templates_section(d, r, inc);

    /* ---- causes */
    heading(d, BL_H2, fmt("Likely causes"));
    if (!inc->ncauses)
        spans_add(&add_block(d, BL_PARA)->text, false, fmt("None could be ranked."));
    l = add_block(d, BL_OLIST);
    for (uint32_t i = 0; i < inc->ncauses; i++) {
        const fl_cause *c = &inc->causes[i];
        fl_cause_ref(c, ref, sizeof ref);
        item *it = list_item(l);
        spans_add(&it->head, true,
                  fmt("%s%s%s of %s", fl_cause_kind(c), ref[0] ? " " : "", ref,
                      fl_rca_service_name(r, c->service)));
        char b16[16];
        spans_add(&it->head, false,
                  fmt(" at %s, score %.2f", fl_time_hms(c->at, b16, sizeof b16),
                      c->score));
        for (uint32_t k = 0; k < c->nevidence; k++)
            item_sub(it, fmt("%s", c->evidence[k]));
    }

    /* ---- ruled out */
    heading(d, BL_H2, fmt("Considered and ruled out"));
    if (!inc->nruled)
        spans_add(&add_block(d, BL_PARA)->text, false,
                  fmt("Nothing else was in the window."));
    l = add_block(d, BL_LIST);
    for (uint32_t i = 0; i < inc->nruled; i++)
        spans_add(&list_item(l)->head, false, fmt("%s", inc->ruled_out[i]));
}


/* ------------------------------------------------------------- charts */

/* One SVG per charted service (inc->charts, series.c): three panels
 * sharing the time axis (error rate, latency p95/p99, request rate), a
 * dashed line at the onset, a solid one at detection, and a grey line per
 * change of an affected service, labelled. Every label is escaped; the
 * same markup is a standalone file next to the Markdown and inlined in
 * the HTML. Deterministic: only integers and fixed-precision numbers. */
#define SVG_W 760
#define SVG_L 64   /* left margin (axis labels) */
#define SVG_R 12
#define SVG_TOP 30 /* title */
#define SVG_PH 110 /* panel height */
#define SVG_GAP 34
#define SVG_LABEL_MAX 48

static void svg_text(fl_buf *b, const char *s)
{
    /* at most SVG_LABEL_MAX bytes, cut before a UTF-8 continuation byte */
    size_t n = strlen(s);
    bool cut = false;
    if (n > SVG_LABEL_MAX) {
        n = SVG_LABEL_MAX;
        while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
            n--;
        cut = true;
    }
    fl_buf_html_text(b, s, n);
    if (cut)
        fl_buf_puts(b, "\xe2\x80\xa6");
}

typedef struct {
    fl_time t0, t1;
    double x0, x1;
} svg_axis;

static double svg_x(const svg_axis *ax, fl_time t)
{
    if (ax->t1 <= ax->t0)
        return ax->x0;
    double f = (double)(t - ax->t0) / (double)(ax->t1 - ax->t0);
    return ax->x0 + FL_CLAMP(f, 0, 1) * (ax->x1 - ax->x0);
}

static double chart_val(const fl_chart *c, uint32_t i, int what)
{
    const fl_chart_pt *p = &c->pts[i];
    switch (what) {
    case 0: return p->req ? 100.0 * p->err / p->req : NAN;
    case 1: return p->p95;
    case 2: return p->p99;
    default: return p->req / (c->step * (double)FL_CHART_BIN / FL_NS_PER_SEC);
    }
}

static void svg_nice(fl_buf *b, double v)
{
    if (v >= 100)
        fl_buf_printf(b, "%.0f", v);
    else if (v >= 10)
        fl_buf_printf(b, "%.1f", v);
    else
        fl_buf_printf(b, "%.2f", v);
}

/* a panel: frame, y labels, one polyline per series (broken where a point
 * has no value) */
static void svg_panel(fl_buf *b, const fl_chart *c, const svg_axis *ax,
                      double top, const char *title, const char *unit,
                      const int *what, const char *const *colour, int nwhat)
{
    double max = 0;
    for (int w = 0; w < nwhat; w++)
        for (uint32_t i = 0; i < c->n; i++) {
            double v = chart_val(c, i, what[w]);
            if (isfinite(v) && v > max)
                max = v;
        }
    if (what[0] == 0 && max < 1)
        max = 1; /* error rate: at least 0..1% */
    if (max <= 0)
        max = 1;
    max *= 1.08;
    fl_buf_printf(b, "<rect x=\"%d\" y=\"%.0f\" width=\"%d\" height=\"%d\" "
                     "fill=\"#fbfcfd\" stroke=\"#c9ced6\"/>\n",
                  SVG_L, top, SVG_W - SVG_L - SVG_R, SVG_PH);
    fl_buf_printf(b, "<text x=\"%d\" y=\"%.0f\" class=\"t\">%s (%s)</text>\n",
                  SVG_L, top - 6, title, unit);
    fl_buf_printf(b, "<text x=\"%d\" y=\"%.0f\" class=\"a\" text-anchor=\"end\">",
                  SVG_L - 4, top + 10);
    svg_nice(b, max);
    fl_buf_printf(b, "</text>\n<text x=\"%d\" y=\"%.0f\" class=\"a\" "
                     "text-anchor=\"end\">0</text>\n",
                  SVG_L - 4, top + SVG_PH);
    double step_t = (double)c->step * FL_CHART_BIN;
    for (int w = 0; w < nwhat; w++) {
        bool open = false;
        for (uint32_t i = 0; i < c->n; i++) {
            double v = chart_val(c, i, what[w]);
            if (!isfinite(v)) {
                if (open)
                    fl_buf_puts(b, "\"/>\n");
                open = false;
                continue;
            }
            /* a point is drawn at the middle of the time it covers */
            fl_time t = ax->t0 + (fl_time)(step_t * (i + 0.5));
            double x = svg_x(ax, t), y = top + SVG_PH - v / max * SVG_PH;
            if (!open)
                fl_buf_printf(b, "<polyline fill=\"none\" stroke=\"%s\" "
                                 "stroke-width=\"1.6\" points=\"",
                              colour[w]);
            fl_buf_printf(b, "%s%.1f,%.1f", open ? " " : "", x, y);
            open = true;
        }
        if (open)
            fl_buf_puts(b, "\"/>\n");
    }
}

static void svg_vline(fl_buf *b, double x, double top, double bottom,
                      const char *colour, const char *dash)
{
    fl_buf_printf(b, "<line x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\" "
                     "stroke=\"%s\" stroke-width=\"1.2\"%s%s%s/>\n",
                  x, top, x, bottom, colour, dash ? " stroke-dasharray=\"" : "",
                  dash ? dash : "", dash ? "\"" : "");
}

uint32_t fl_incident_nchart(const fl_incident *inc)
{
    return inc->ncharts;
}

void fl_incident_svg_name(const fl_incident *inc, uint32_t k, char *buf,
                          size_t n)
{
    snprintf(buf, n, "%s-chart%u.svg", inc->id, k + 1);
}

bool fl_incident_svg(fl_buf *b, const fl_rca *r, const fl_incident *inc,
                     uint32_t k)
{
    if (k >= inc->ncharts)
        return false;
    const fl_chart *c = &inc->charts[k];
    svg_axis ax = {c->bin0 * FL_CHART_BIN,
                   (c->bin0 + (int64_t)FL_MAX(c->n, 1) * c->step) * FL_CHART_BIN,
                   SVG_L, SVG_W - SVG_R};
    int height = SVG_TOP + 3 * SVG_PH + 2 * SVG_GAP + 64;
    const char *name = fl_rca_service_name(r, c->service);
    fl_buf_printf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" "
                     "viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" "
                     "role=\"img\" class=\"chart\">\n",
                  SVG_W, height, SVG_W, height);
    fl_buf_puts(b, "<title>");
    svg_text(b, name);
    fl_buf_puts(b, "</title>\n<style>text{font:11px sans-serif;fill:#1d2330}"
                   ".t{font-weight:bold}.a{fill:#5b6475}.m{font-size:10px}"
                   "</style>\n");
    fl_buf_printf(b, "<text x=\"%d\" y=\"16\" class=\"t\" style=\"font-size:13px\">",
                  SVG_L);
    svg_text(b, name);
    fl_buf_printf(b, "</text>\n");
    double top[3];
    for (int i = 0; i < 3; i++)
        top[i] = SVG_TOP + 14 + i * (SVG_PH + SVG_GAP);
    static const int w_err[] = {0}, w_lat[] = {1, 2}, w_req[] = {3};
    static const char *const c_err[] = {"#c0392b"},
                             *const c_lat[] = {"#d68910", "#7d3c98"},
                             *const c_req[] = {"#2e86c1"};
    svg_panel(b, c, &ax, top[0], "error rate", "%", w_err, c_err, 1);
    svg_panel(b, c, &ax, top[1], "latency p95 (orange), p99 (purple)", "ms",
              w_lat, c_lat, 2);
    svg_panel(b, c, &ax, top[2], "request rate", "per second", w_req, c_req, 1);
    double y0 = top[0], y1 = top[2] + SVG_PH;
    /* changes of the incident's services within the drawn span */
    const fl_change *chs[16];
    uint32_t nch = fl_rca_changes_between(r, ax.t0, ax.t1, chs, 16), shown = 0;
    for (uint32_t i = 0; i < nch; i++) {
        const fl_change *ch = chs[i];
        bool mine = false;
        for (uint32_t s = 0; s < inc->nservices && !mine; s++)
            mine = inc->services[s] == ch->service;
        if (!mine)
            continue;
        double x = svg_x(&ax, ch->ts);
        svg_vline(b, x, y0, y1, "#6c7689", "2,2");
        fl_buf_printf(b, "<text x=\"%.1f\" y=\"%.0f\" class=\"m\">",
                      x + 3, y0 + 11 + (shown % 4) * 12.0);
        char lab[160];
        snprintf(lab, sizeof lab, "%s %s", fl_change_kind_name(ch->kind),
                 ch->version ? ch->version : ch->change_id ? ch->change_id : "");
        svg_text(b, lab);
        fl_buf_puts(b, " (");
        svg_text(b, fl_rca_service_name(r, ch->service));
        fl_buf_puts(b, ")</text>\n");
        shown++;
    }
    double xo = svg_x(&ax, inc->start), xd = svg_x(&ax, inc->detected);
    svg_vline(b, xo, y0, y1, "#c0392b", "6,3");
    svg_vline(b, xd, y0, y1, "#1d2330", NULL);
    fl_buf_printf(b, "<text x=\"%.1f\" y=\"%.0f\" class=\"m\" "
                     "text-anchor=\"end\" style=\"fill:#c0392b\">onset</text>\n",
                  xo - 3, y1 - 4);
    fl_buf_printf(b, "<text x=\"%.1f\" y=\"%.0f\" class=\"m\">detected</text>\n",
                  xd + 3, y1 - 4);
    /* time axis */
    char hm[16];
    double ya = y1 + 16;
    for (int i = 0; i <= 4; i++) {
        fl_time t = ax.t0 + (ax.t1 - ax.t0) / 4 * i;
        fl_time_hms(t, hm, sizeof hm);
        fl_buf_printf(b, "<text x=\"%.1f\" y=\"%.0f\" class=\"a\" "
                         "text-anchor=\"%s\">%s</text>\n",
                      svg_x(&ax, t), ya,
                      i == 0 ? "start" : i == 4 ? "end" : "middle", hm);
    }
    fl_buf_printf(b, "<text x=\"%d\" y=\"%.0f\" class=\"a\">UTC; one point per "
                     "%u min</text>\n</svg>\n",
                  SVG_L, ya + 16, c->step * (unsigned)(FL_CHART_BIN / (60 * FL_NS_PER_SEC)));
    return true;
}

/* ------------------------------------------------------------ Markdown */

static void md_spans(fl_buf *b, const spans *s)
{
    for (uint32_t i = 0; i < s->n; i++) {
        if (s->v[i].strong)
            fl_buf_puts(b, "**");
        fl_buf_md_text(b, s->v[i].text, strlen(s->v[i].text));
        if (s->v[i].strong)
            fl_buf_puts(b, "**");
    }
}

void fl_incident_markdown(fl_buf *b, const fl_rca *r, const fl_incident *inc)
{
    doc d = {0};
    build(&d, r, inc);
    for (uint32_t i = 0; i < d.n; i++) {
        const block *bl = &d.v[i];
        switch (bl->kind) {
        case BL_H1: fl_buf_puts(b, "# "); md_spans(b, &bl->text); break;
        case BL_H2: fl_buf_puts(b, "## "); md_spans(b, &bl->text); break;
        case BL_PARA: md_spans(b, &bl->text); break;
        case BL_CHART: {
            char name[64];
            fl_incident_svg_name(inc, bl->chart, name, sizeof name);
            fl_buf_puts(b, "![");
            md_spans(b, &bl->text);
            fl_buf_printf(b, "](%s)", name); /* [A-Za-z0-9-] and .svg */
            break;
        }
        case BL_TABLE:
            for (uint32_t rr = 0; rr < bl->nrows; rr++) {
                for (uint32_t c = 0; c < bl->ncols; c++) {
                    const char *cell = bl->cells[rr * bl->ncols + c];
                    fl_buf_puts(b, "| ");
                    fl_buf_md_text(b, cell, strlen(cell));
                    fl_buf_putc(b, ' ');
                }
                fl_buf_puts(b, "|\n");
                if (rr == 0) {
                    for (uint32_t c = 0; c < bl->ncols; c++)
                        fl_buf_puts(b, "|---");
                    fl_buf_puts(b, "|\n");
                }
            }
            b->n--; /* the blank line below ends the table */
            break;
        case BL_LIST:
        case BL_OLIST:
            for (uint32_t k = 0; k < bl->nitems; k++) {
                if (bl->kind == BL_OLIST)
                    fl_buf_printf(b, "%u. ", k + 1);
                else
                    fl_buf_puts(b, "- ");
                md_spans(b, &bl->items[k].head);
                fl_buf_putc(b, '\n');
                for (uint32_t j = 0; j < bl->items[k].nsub; j++) {
                    fl_buf_puts(b, "   - ");
                    fl_buf_md_text(b, bl->items[k].sub[j], strlen(bl->items[k].sub[j]));
                    fl_buf_putc(b, '\n');
                }
            }
            if (bl->nitems)
                b->n--;
            break;
        }
        fl_buf_puts(b, "\n\n");
    }
    b->p[--b->n] = '\0'; /* one trailing newline */
    doc_free(&d);
}

/* ---------------------------------------------------------------- HTML */

static void html_text(fl_buf *b, const char *s)
{
    fl_buf_html_text(b, s, strlen(s));
}

static void html_spans(fl_buf *b, const spans *s)
{
    for (uint32_t i = 0; i < s->n; i++) {
        if (s->v[i].strong)
            fl_buf_puts(b, "<strong>");
        html_text(b, s->v[i].text);
        if (s->v[i].strong)
            fl_buf_puts(b, "</strong>");
    }
}

static const char html_head[] =
    "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
    "style-src 'unsafe-inline'; img-src data:; script-src 'none'; "
    "base-uri 'none'; form-action 'none'\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    "<style>\n"
    "body{font:15px/1.45 system-ui,sans-serif;max-width:62em;margin:2em auto;"
    "padding:0 1em;color:#1d2330}\n"
    "h1{font-size:1.45em;border-bottom:2px solid #c0392b;padding-bottom:.3em}\n"
    "h2{font-size:1.15em;margin-top:1.6em}\n"
    "table{border-collapse:collapse;width:100%;font-size:.92em}\n"
    "th,td{border:1px solid #d5d9e0;padding:.25em .5em;text-align:left;"
    "vertical-align:top}\n"
    "th{background:#f3f5f8}\n"
    "ol>li{margin-bottom:.6em}\nli ul{color:#434b5c}\n"
    "figure{margin:1em 0}figure svg{max-width:100%;height:auto}"
    "figcaption{font-size:.9em;color:#5b6475}\n"
    "</style>\n";

void fl_incident_html(fl_buf *b, const fl_rca *r, const fl_incident *inc)
{
    doc d = {0};
    build(&d, r, inc);
    fl_buf_puts(b, html_head);
    fl_buf_puts(b, "<title>");
    if (d.n && d.v[0].kind == BL_H1)
        html_spans(b, &d.v[0].text);
    fl_buf_puts(b, "</title>\n</head>\n<body>\n");
    for (uint32_t i = 0; i < d.n; i++) {
        const block *bl = &d.v[i];
        switch (bl->kind) {
        case BL_H1:
        case BL_H2: {
            const char *tag = bl->kind == BL_H1 ? "h1" : "h2";
            fl_buf_printf(b, "<%s>", tag);
            html_spans(b, &bl->text);
            fl_buf_printf(b, "</%s>\n", tag);
            break;
        }
        case BL_PARA:
            fl_buf_puts(b, "<p>");
            html_spans(b, &bl->text);
            fl_buf_puts(b, "</p>\n");
            break;
        case BL_CHART:
            fl_buf_puts(b, "<figure>\n");
            fl_incident_svg(b, r, inc, bl->chart);
            fl_buf_puts(b, "<figcaption>");
            html_spans(b, &bl->text);
            fl_buf_puts(b, "</figcaption>\n</figure>\n");
            break;
        case BL_TABLE:
            fl_buf_puts(b, "<table>\n");
            for (uint32_t rr = 0; rr < bl->nrows; rr++) {
                const char *tag = rr == 0 ? "th" : "td";
                fl_buf_puts(b, "<tr>");
                for (uint32_t c = 0; c < bl->ncols; c++) {
                    fl_buf_printf(b, "<%s>", tag);
                    html_text(b, bl->cells[rr * bl->ncols + c]);
                    fl_buf_printf(b, "</%s>", tag);
                }
                fl_buf_puts(b, "</tr>\n");
            }
            fl_buf_puts(b, "</table>\n");
            break;
        case BL_LIST:
        case BL_OLIST:
            if (!bl->nitems)
                break;
            fl_buf_puts(b, bl->kind == BL_OLIST ? "<ol>\n" : "<ul>\n");
            for (uint32_t k = 0; k < bl->nitems; k++) {
                fl_buf_puts(b, "<li>");
                html_spans(b, &bl->items[k].head);
                if (bl->items[k].nsub) {
                    fl_buf_puts(b, "\n<ul>\n");
                    for (uint32_t j = 0; j < bl->items[k].nsub; j++) {
                        fl_buf_puts(b, "<li>");
                        html_text(b, bl->items[k].sub[j]);
                        fl_buf_puts(b, "</li>\n");
                    }
                    fl_buf_puts(b, "</ul>\n");
                }
                fl_buf_puts(b, "</li>\n");
            }
            fl_buf_puts(b, bl->kind == BL_OLIST ? "</ol>\n" : "</ul>\n");
            break;
        }
    }
    fl_buf_puts(b, "</body>\n</html>\n");
    doc_free(&d);
}
