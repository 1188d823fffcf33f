/*
 * output.c - the result document's incident objects (CONTRACT.md). Every
 * string that came from a log (service names, versions, change ids,
 * authors, evidence built from them) goes through fl_buf_json_str.
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

/* The incident's new and surging log templates (rank_tpl.c) as
 * `log_template` anomalies, with the template text in "template". */
static void fl_tpl_findings_json(fl_buf *b, const fl_rca *r,
                                 const fl_incident *inc, bool comma)
{
    for (uint32_t i = 0; i < inc->ntpl; i++) {
        const fl_tpl_finding *f = &inc->tpl[i];
        if (comma || i)
            fl_buf_putc(b, ',');
        fl_buf_puts(b, "{\"service\":");
        json_cstr(b, fl_rca_service_name(r, f->service));
        fl_buf_puts(b, ",\"signal\":\"log_template\",\"direction\":\"up\","
                       "\"onset\":");
        json_time(b, f->onset);
        fl_buf_puts(b, ",\"detected\":");
        json_time(b, f->detected);
        fl_buf_puts(b, ",\"end\":null,\"baseline\":");
        fl_buf_json_num(b, tidy(f->baseline));
        fl_buf_puts(b, ",\"peak\":");
        fl_buf_json_num(b, tidy(f->peak));
        fl_buf_printf(b, ",\"template\":");
        json_cstr(b, f->text);
        fl_buf_printf(b, ",\"new\":%s,\"count\":%llu,\"first_seen\":",
                      f->novel ? "true" : "false", (unsigned long long)f->count);
        json_time(b, f->first_seen);
        fl_buf_putc(b, '}');
    }
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
        json_cstr(b, fl_anomaly_signal(a));
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
    fl_tpl_findings_json(b, r, inc, inc->nanoms > 0);
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

