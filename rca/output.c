/*
 * output.c - the result document's incident objects (CONTRACT.md) and the
 * Markdown postmortem. Every string that came from a log (service names,
 * versions, change ids, authors, evidence built from them) goes through
 * fl_buf_json_str or fl_buf_md_text; nothing from input is pasted raw.
 */
#include "rca_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void json_time(fl_buf *b, fl_time t)
{
    if (t == FL_TIME_NONE || t == INT64_MAX) {
        fl_buf_puts(b, "null");
        return;
    }
    char tmp[40];
    fl_time_format(t, tmp, sizeof tmp);
    fl_buf_json_str(b, tmp, strlen(tmp));
}

static void json_cstr(fl_buf *b, const char *s)
{
    fl_buf_json_str(b, s, strlen(s));
}

/* Rounds to 4 significant digits so tiny float noise never reaches the
 * document (it is compared byte for byte across runs and modes). */
static double tidy(double v)
{
    if (!isfinite(v) || v == 0)
        return v;
    double m = pow(10, 3 - floor(log10(fabs(v))));
    return round(v * m) / m;
}

void fl_incident_json(fl_buf *b, const fl_rca *r, const fl_incident *inc)
{
    fl_buf_puts(b, "{\"id\":");
    json_cstr(b, inc->id);
    fl_buf_puts(b, ",\"start\":");
    json_time(b, inc->start);
    fl_buf_puts(b, ",\"detected\":");
    json_time(b, inc->detected);
    fl_buf_puts(b, ",\"end\":");
    json_time(b, inc->end);
    fl_buf_puts(b, ",\"services\":[");
    for (uint32_t i = 0; i < inc->nservices; i++) {
        if (i)
            fl_buf_putc(b, ',');
        json_cstr(b, fl_rca_service_name(r, inc->services[i]));
    }
    fl_buf_puts(b, "],\"anomalies\":[");
    for (uint32_t i = 0; i < inc->nanoms; i++) {
        const fl_anomaly *a = &inc->anoms[i];
        if (i)
            fl_buf_putc(b, ',');
        fl_buf_puts(b, "{\"service\":");
        json_cstr(b, fl_rca_service_name(r, a->service));
        fl_buf_puts(b, ",\"signal\":");
        json_cstr(b, fl_signal_name(a->signal));
        fl_buf_puts(b, ",\"direction\":");
        json_cstr(b, a->dir == FL_DIR_UP ? "up" : "down");
        fl_buf_puts(b, ",\"onset\":");
        json_time(b, a->onset);
        fl_buf_puts(b, ",\"detected\":");
        json_time(b, a->detected);
        fl_buf_puts(b, ",\"end\":");
        json_time(b, a->end);
        fl_buf_puts(b, ",\"baseline\":");
        fl_buf_json_num(b, tidy(a->baseline));
        fl_buf_puts(b, ",\"peak\":");
        fl_buf_json_num(b, tidy(a->peak));
        fl_buf_puts(b, ",\"severity\":");
        fl_buf_json_num(b, tidy(a->severity));
        fl_buf_putc(b, '}');
    }
    fl_buf_puts(b, "],\"causes\":[");
    for (uint32_t i = 0; i < inc->ncauses; i++) {
        const fl_cause *c = &inc->causes[i];
        char ref[256];
        if (i)
            fl_buf_putc(b, ',');
        fl_buf_printf(b, "{\"rank\":%u,\"kind\":", i + 1);
        json_cstr(b, fl_cause_kind(c));
        fl_buf_puts(b, ",\"service\":");
        json_cstr(b, fl_rca_service_name(r, c->service));
        fl_buf_puts(b, ",\"ref\":");
        fl_cause_ref(c, ref, sizeof ref);
        json_cstr(b, ref);
        fl_buf_puts(b, ",\"at\":");
        json_time(b, c->at);
        fl_buf_puts(b, ",\"score\":");
        fl_buf_printf(b, "%.3f", c->score);
        fl_buf_puts(b, ",\"evidence\":[");
        for (uint32_t k = 0; k < c->nevidence; k++) {
            if (k)
                fl_buf_putc(b, ',');
            json_cstr(b, c->evidence[k]);
        }
        fl_buf_puts(b, "]}");
    }
    fl_buf_puts(b, "],\"ruled_out\":[");
    for (uint32_t i = 0; i < inc->nruled; i++) {
        if (i)
            fl_buf_putc(b, ',');
        json_cstr(b, inc->ruled_out[i]);
    }
    fl_buf_puts(b, "]}");
}

/* ------------------------------------------------------------ Markdown */

static void md(fl_buf *b, const char *s)
{
    fl_buf_md_text(b, s, strlen(s));
}

static void md_time(fl_buf *b, fl_time t)
{
    char tmp[40];
    if (t == FL_TIME_NONE) {
        fl_buf_puts(b, "ongoing");
        return;
    }
    fl_time_format(t, tmp, sizeof tmp);
    fl_buf_puts(b, tmp);
}

static const char *signal_label(fl_signal s)
{
    switch (s) {
    case FL_SIG_ERROR_RATE: return "error rate";
    case FL_SIG_LATENCY_P50: return "p50 latency";
    case FL_SIG_LATENCY_P95: return "p95 latency";
    case FL_SIG_LATENCY_P99: return "p99 latency";
    case FL_SIG_REQUEST_RATE: return "request rate";
    default: return "signal";
    }
}

static void md_value(fl_buf *b, fl_signal s, double v)
{
    if (!isfinite(v)) {
        fl_buf_puts(b, "n/a");
        return;
    }
    switch (s) {
    case FL_SIG_ERROR_RATE:
        fl_buf_printf(b, "%.2f%%", v * 100);
        break;
    case FL_SIG_REQUEST_RATE:
        fl_buf_printf(b, "%.1f/s", v);
        break;
    default:
        fl_buf_printf(b, "%.1f ms", v);
    }
}

typedef struct {
    fl_time t;
    int order;
    char text[400];
} tl_row;

static int tl_cmp(const void *x, const void *y)
{
    const tl_row *a = x, *b = y;
    if (a->t != b->t)
        return a->t < b->t ? -1 : 1;
    return a->order - b->order;
}

void fl_incident_markdown(fl_buf *b, const fl_rca *r, const fl_incident *inc)
{
    char dur[32], hms[16];
    const fl_cause *top = inc->ncauses ? &inc->causes[0] : NULL;
    const char *first_svc =
        inc->nservices ? fl_rca_service_name(r, inc->services[0]) : "?";

    /* ---- title and summary */
    fl_buf_puts(b, "# Incident ");
    fl_buf_puts(b, inc->id);
    fl_buf_puts(b, ": ");
    md(b, first_svc);
    if (inc->nservices > 1)
        fl_buf_printf(b, " and %u more service%s", inc->nservices - 1,
                      inc->nservices > 2 ? "s" : "");
    fl_buf_puts(b, " degraded\n\n## Summary\n\n");
    fl_buf_puts(b, "From ");
    md_time(b, inc->start);
    if (inc->end != FL_TIME_NONE) {
        fl_buf_puts(b, " to ");
        md_time(b, inc->end);
        fl_buf_printf(b, " (%s)",
                      fl_duration_human(inc->end - inc->start, dur, sizeof dur));
    } else {
        fl_buf_puts(b, ", still ongoing at the end of the data,");
    }
    fl_buf_puts(b, " ");
    for (uint32_t i = 0; i < inc->nservices && i < 6; i++) {
        if (i)
            fl_buf_puts(b, i + 1 == inc->nservices || i == 5 ? " and " : ", ");
        md(b, fl_rca_service_name(r, inc->services[i]));
    }
    fl_buf_printf(b, " %s degraded. ", inc->nservices > 1 ? "were" : "was");
    if (top) {
        char ref[256];
        fl_cause_ref(top, ref, sizeof ref);
        fl_buf_puts(b, "Most likely cause: **");
        md(b, fl_cause_kind(top));
        fl_buf_puts(b, "** ");
        if (ref[0]) {
            md(b, ref);
            fl_buf_puts(b, " ");
        }
        fl_buf_puts(b, "of ");
        md(b, fl_rca_service_name(r, top->service));
        fl_buf_printf(b, " (score %.2f).", top->score);
    } else {
        fl_buf_puts(b, "No cause could be ranked.");
    }
    fl_buf_printf(b, " Detected %s after onset.\n\n",
                  fl_duration_human(inc->detected - inc->start, dur, sizeof dur));

    /* ---- timeline */
    fl_buf_puts(b, "## Timeline (UTC)\n\n| time | event |\n|---|---|\n");
    uint32_t cap = inc->nanoms * 3 + 40;
    tl_row *rows = fl_calloc(cap, sizeof *rows);
    uint32_t n = 0;
    const fl_change *chs[32];
    fl_time to = inc->end != FL_TIME_NONE ? inc->end : inc->start + r->conf.lookback;
    uint32_t nch = fl_rca_changes_between(r, inc->start - 30 * 60 * FL_NS_PER_SEC,
                                          to, chs, 32);
    for (uint32_t i = 0; i < nch && n < cap; i++) {
        const fl_change *c = chs[i];
        tl_row *row = &rows[n++];
        row->t = c->ts;
        row->order = 0;
        snprintf(row->text, sizeof row->text, "%s %s%s%s%s of %s",
                 fl_change_kind_name(c->kind), c->version ? c->version : "",
                 c->version && c->change_id ? " " : "",
                 c->change_id ? c->change_id : "",
                 c->author ? "" : "", fl_rca_service_name(r, c->service));
    }
    fl_time peak_t = FL_TIME_NONE;
    const fl_anomaly *peak_a = NULL;
    for (uint32_t i = 0; i < inc->nanoms && n + 3 < cap; i++) {
        const fl_anomaly *a = &inc->anoms[i];
        const char *svc = fl_rca_service_name(r, a->service);
        tl_row *row = &rows[n++];
        row->t = a->onset;
        row->order = 1;
        snprintf(row->text, sizeof row->text, "%s %s begins to %s (estimated onset)",
                 svc, signal_label(a->signal), a->dir == FL_DIR_UP ? "rise" : "fall");
        row = &rows[n++];
        row->t = a->detected;
        row->order = 2;
        snprintf(row->text, sizeof row->text, "%s %s anomaly detected", svc,
                 signal_label(a->signal));
        if (a->end != FL_TIME_NONE) {
            row = &rows[n++];
            row->t = a->end;
            row->order = 4;
            snprintf(row->text, sizeof row->text, "%s %s back to baseline", svc,
                     signal_label(a->signal));
        }
        if (fl_anomaly_is_impact(a) && a->signal == FL_SIG_ERROR_RATE &&
            (!peak_a || a->peak > peak_a->peak)) {
            peak_a = a;
            peak_t = a->peak_at;
        }
    }
    if (peak_a && n < cap) {
        tl_row *row = &rows[n++];
        row->t = peak_t;
        row->order = 3;
        snprintf(row->text, sizeof row->text, "peak: %s error rate %.1f%%",
                 fl_rca_service_name(r, peak_a->service), peak_a->peak * 100);
    }
    qsort(rows, n, sizeof *rows, tl_cmp);
    for (uint32_t i = 0; i < n; i++) {
        fl_buf_puts(b, "| ");
        fl_buf_puts(b, fl_time_hms(rows[i].t, hms, sizeof hms));
        fl_buf_puts(b, " | ");
        md(b, rows[i].text);
        fl_buf_puts(b, " |\n");
    }
    free(rows);

    /* ---- impact */
    fl_buf_puts(b, "\n## Impact\n\n");
    fl_buf_printf(b, "- Duration: %s\n",
                  inc->end != FL_TIME_NONE
                      ? fl_duration_human(inc->end - inc->start, dur, sizeof dur)
                      : "ongoing");
    fl_buf_printf(b, "- Time to detect: %s\n",
                  fl_duration_human(inc->detected - inc->start, dur, sizeof dur));
    if (inc->end != FL_TIME_NONE)
        fl_buf_printf(b, "- Time to recover (from detection): %s\n",
                      fl_duration_human(inc->end - inc->detected, dur, sizeof dur));
    fl_buf_puts(b, "\n| service | signal | baseline | peak | onset | end | failed requests |\n"
                   "|---|---|---|---|---|---|---|\n");
    for (uint32_t i = 0; i < inc->nanoms; i++) {
        const fl_anomaly *a = &inc->anoms[i];
        fl_buf_puts(b, "| ");
        md(b, fl_rca_service_name(r, a->service));
        fl_buf_printf(b, " | %s | ", signal_label(a->signal));
        md_value(b, a->signal, a->baseline);
        fl_buf_puts(b, " | ");
        md_value(b, a->signal, a->peak);
        fl_buf_printf(b, " | %s | ", fl_time_hms(a->onset, hms, sizeof hms));
        if (a->end != FL_TIME_NONE)
            fl_buf_puts(b, fl_time_hms(a->end, hms, sizeof hms));
        else
            fl_buf_puts(b, "ongoing");
        if (a->signal == FL_SIG_ERROR_RATE)
            fl_buf_printf(b, " | %llu of %llu (%.0f above baseline) |\n",
                          (unsigned long long)a->errors,
                          (unsigned long long)a->requests,
                          FL_MAX(0, (double)a->errors - a->expected_errors));
        else
            fl_buf_puts(b, " | |\n");
    }

    /* ---- causes */
    fl_buf_puts(b, "\n## Likely causes\n\n");
    if (!inc->ncauses)
        fl_buf_puts(b, "None could be ranked.\n");
    for (uint32_t i = 0; i < inc->ncauses; i++) {
        const fl_cause *c = &inc->causes[i];
        char ref[256];
        fl_cause_ref(c, ref, sizeof ref);
        fl_buf_printf(b, "%u. **", i + 1);
        md(b, fl_cause_kind(c));
        fl_buf_puts(b, "** ");
        if (ref[0]) {
            md(b, ref);
            fl_buf_puts(b, " ");
        }
        fl_buf_puts(b, "of ");
        md(b, fl_rca_service_name(r, c->service));
        fl_buf_printf(b, " at %s, score %.2f\n", fl_time_hms(c->at, hms, sizeof hms),
                      c->score);
        for (uint32_t k = 0; k < c->nevidence; k++) {
            fl_buf_puts(b, "   - ");
            md(b, c->evidence[k]);
            fl_buf_putc(b, '\n');
        }
    }

    /* ---- ruled out */
    fl_buf_puts(b, "\n## Considered and ruled out\n\n");
    if (!inc->nruled)
        fl_buf_puts(b, "Nothing else was in the window.\n");
    for (uint32_t i = 0; i < inc->nruled; i++) {
        fl_buf_puts(b, "- ");
        md(b, inc->ruled_out[i]);
        fl_buf_putc(b, '\n');
    }
}
