/*
 * pipeline.c - the glue between stages: interns services, moves event time
 * forward (detect first, then rca), counts everything, renders outputs.
 */
#define _POSIX_C_SOURCE 200809L
#include "pipeline.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct fl_pipeline {
    fl_pipeline_conf conf;
    fl_intern *services;
    fl_detect *det;
    fl_rca *rca;
    fl_stats st;
};

void fl_pipeline_conf_default(fl_pipeline_conf *c)
{
    memset(c, 0, sizeof *c);
    fl_detect_conf_default(&c->detect);
    fl_rca_conf_default(&c->rca);
    c->format = FL_FORMAT_AUTO;
    c->max_line = 64 * 1024;
}

static void on_anomaly(void *ud, fl_anomaly_event what, const fl_anomaly *a)
{
    fl_pipeline *p = ud;
    fl_rca_anomaly(p->rca, what, a);
}

fl_pipeline *fl_pipeline_new(const fl_pipeline_conf *conf)
{
    fl_pipeline *p = fl_calloc(1, sizeof *p);
    p->conf = *conf;
    p->services = fl_intern_new(conf->detect.max_services);
    p->det = fl_detect_new(&conf->detect, on_anomaly, p);
    p->rca = fl_rca_new(&conf->rca, p->services, NULL, NULL);
    return p;
}

void fl_pipeline_destroy(fl_pipeline *p)
{
    if (!p)
        return;
    fl_detect_destroy(p->det);
    fl_rca_destroy(p->rca);
    fl_intern_destroy(p->services);
    free(p);
}

const fl_stats *fl_pipeline_stats(const fl_pipeline *p) { return &p->st; }
fl_stats *fl_pipeline_stats_mut(fl_pipeline *p) { return &p->st; }
const fl_rca *fl_pipeline_rca(const fl_pipeline *p) { return p->rca; }

void fl_pipeline_bad(fl_pipeline *p, fl_bad_reason why)
{
    p->st.bad_lines++;
    p->st.bad[why]++;
}

static void drop(fl_pipeline *p, fl_bad_reason why)
{
    p->st.dropped++;
    p->st.bad[why]++;
}

static void advance(fl_pipeline *p, fl_time t)
{
    fl_detect_advance(p->det, t);
    fl_time wm = fl_detect_watermark(p->det);
    if (wm != FL_TIME_NONE)
        fl_rca_advance(p->rca, wm);
}

/* The first word of an error message that names another known service
 * ("connection refused to postgres:5432", "upstream cart returned 503"):
 * how a caller's log line says which callee failed when it has no
 * `upstream` field. Words are runs of [A-Za-z0-9_-]; only error lines pay
 * for the scan, and each word is one hash lookup. */
static int32_t service_in_message(fl_pipeline *p, fl_str msg, int32_t self)
{
    size_t i = 0, n = msg.n > 512 ? 512 : msg.n;
    while (i < n) {
        while (i < n && !(isalnum((unsigned char)msg.p[i]) || msg.p[i] == '_' ||
                          msg.p[i] == '-'))
            i++;
        size_t s = i;
        while (i < n && (isalnum((unsigned char)msg.p[i]) || msg.p[i] == '_' ||
                         msg.p[i] == '-'))
            i++;
        if (i - s >= 2) {
            int32_t id = fl_intern_get(p->services, (fl_str){msg.p + s, i - s});
            if (id >= 0 && id != self)
                return id;
        }
    }
    return -1;
}

void fl_pipeline_event(fl_pipeline *p, const fl_event *ev)
{
    if (ev->ts != FL_TIME_NONE)
        advance(p, ev->ts);
    fl_pipeline_add(p, ev);
}

void fl_pipeline_advance(fl_pipeline *p, fl_time t)
{
    advance(p, t);
}

void fl_pipeline_add(fl_pipeline *p, const fl_event *ev)
{
    p->st.events++;
    if (ev->ts == FL_TIME_NONE) {
        drop(p, FL_BAD_NO_TIMESTAMP);
        return;
    }
    int32_t svc = fl_intern_add(p->services, ev->service);
    if (svc < 0) {
        drop(p, FL_BAD_SERVICE_LIMIT);
        return;
    }
    fl_bad_reason why;
    switch (ev->kind) {
    case FL_EV_CHANGE:
        p->st.changes++;
        fl_rca_change(p->rca, ev, svc);
        break;
    case FL_EV_REQUEST: {
        int32_t up = -1;
        if (ev->upstream.n)
            up = fl_intern_get(p->services, ev->upstream);
        else if (ev->msg.n && fl_event_is_error(ev))
            up = service_in_message(p, ev->msg, svc);
        if (up >= 0)
            fl_rca_edge(p->rca, svc, up);
        if (!fl_detect_request(p->det, svc, ev, up, &why))
            drop(p, why);
        else
            p->st.requests++;
        break;
    }
    case FL_EV_METRIC:
        /* metric signals arrive with the Influx decoder (issue 4/5) */
        break;
    }
}

void fl_pipeline_finish(fl_pipeline *p)
{
    fl_detect_flush(p->det);
    fl_time wm = fl_detect_watermark(p->det);
    if (wm != FL_TIME_NONE)
        fl_rca_advance(p->rca, wm);
    fl_rca_finish(p->rca);
}

static int inc_cmp(const void *x, const void *y)
{
    const fl_incident *a = *(const fl_incident *const *)x;
    const fl_incident *b = *(const fl_incident *const *)y;
    if (a->start != b->start)
        return a->start < b->start ? -1 : 1;
    return strcmp(a->id, b->id);
}

static const fl_incident **sorted_incidents(const fl_pipeline *p, uint32_t *n)
{
    *n = fl_rca_count(p->rca);
    const fl_incident **v = fl_malloc((*n + 1) * sizeof *v);
    for (uint32_t i = 0; i < *n; i++)
        v[i] = fl_rca_get(p->rca, i);
    qsort(v, *n, sizeof *v, inc_cmp);
    return v;
}

void fl_pipeline_result_json(const fl_pipeline *p, fl_buf *b)
{
    uint32_t n;
    const fl_incident **v = sorted_incidents(p, &n);
    fl_buf_puts(b, "{\"incidents\":[");
    for (uint32_t i = 0; i < n; i++) {
        fl_buf_puts(b, i ? ",\n" : "\n");
        fl_incident_json(b, p->rca, v[i]);
    }
    free(v);
    const fl_stats *s = &p->st;
    fl_buf_printf(b,
                  "%s],\"stats\":{\"lines\":%llu,\"bad_lines\":%llu,"
                  "\"events\":%llu,\"requests\":%llu,\"changes\":%llu,"
                  "\"dropped_events\":%llu,\"services\":%u,\"time_gaps\":%llu,"
                  "\"by_reason\":{",
                  n ? "\n" : "", (unsigned long long)s->lines,
                  (unsigned long long)s->bad_lines, (unsigned long long)s->events,
                  (unsigned long long)s->requests, (unsigned long long)s->changes,
                  (unsigned long long)s->dropped, fl_intern_count(p->services),
                  (unsigned long long)fl_detect_gaps(p->det));
    bool first = true;
    for (int r = 0; r < FL_BAD__COUNT; r++) {
        if (!s->bad[r])
            continue;
        fl_buf_printf(b, "%s\"%s\":%llu", first ? "" : ",",
                      fl_bad_reason_name((fl_bad_reason)r),
                      (unsigned long long)s->bad[r]);
        first = false;
    }
    fl_buf_puts(b, "}}}\n");
}

static int mkdir_p(const char *dir)
{
    char tmp[4096];
    size_t n = strlen(dir);
    if (n == 0 || n >= sizeof tmp)
        return -1;
    memcpy(tmp, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (tmp[i] == '/' || tmp[i] == '\0') {
            char c = tmp[i];
            tmp[i] = '\0';
            if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
                return -1;
            tmp[i] = c;
        }
    }
    return 0;
}


int fl_pipeline_write_reports(const fl_pipeline *p, const char *dir,
                              char *errstr, size_t errlen)
{
    if (mkdir_p(dir) != 0) {
        snprintf(errstr, errlen, "%s: cannot create directory: %s", dir,
                 strerror(errno));
        return -1;
    }
    uint32_t n;
    const fl_incident **v = sorted_incidents(p, &n);
    int written = 0;
    for (uint32_t i = 0; i < n && written >= 0; i++) {
        for (int html = 0; html < 2; html++) {
            char path[4200];
            fl_buf b = {0};
            if (html)
                fl_incident_html(&b, p->rca, v[i]);
            else
                fl_incident_markdown(&b, p->rca, v[i]);
            snprintf(path, sizeof path, "%s/%s.%s", dir, v[i]->id,
                     html ? "html" : "md");
            fl_err e = fl_buf_write_file(&b, path, errstr, errlen);
            fl_buf_free(&b);
            if (e != FL_OK) {
                written = -1;
                break;
            }
        }
        if (written >= 0)
            written++;
    }
    free(v);
    return written;
}
