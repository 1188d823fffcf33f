/*
 * pipeline.c - the glue between stages: interns services, moves event time
 * forward (detect first, then rca), counts everything, renders outputs.
 */
#define _POSIX_C_SOURCE 200809L
#include "pipeline.h"

#include "../common/fl_ckpt.h"
#include "../rca/fl_tplev.h"

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
    fl_tplev *tpl; /* error-line templates, evidence for rca */
    fl_stats st;
    char *topology; /* rca.topology, added before the first event */
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
    if (what == FL_BUCKET_CLOSED) {
        fl_rca_advance(p->rca, fl_detect_watermark(p->det));
        return;
    }
    if (what == FL_ANOMALY_OPEN && (unsigned)a->signal < FL_SIG__COUNT)
        p->st.anomalies[a->signal]++;
    fl_rca_anomaly(p->rca, what, a);
}

fl_pipeline *fl_pipeline_new(const fl_pipeline_conf *conf)
{
    fl_pipeline *p = fl_calloc(1, sizeof *p);
    p->conf = *conf;
    p->services = fl_intern_new(conf->detect.max_services);
    p->det = fl_detect_new(&conf->detect, on_anomaly, p);
    p->rca = fl_rca_new(&conf->rca, p->services, conf->on_incident, conf->ud);
    p->tpl = fl_tplev_new();
    fl_rca_set_templates(p->rca, p->tpl);
    if (conf->topology && conf->topology[0])
        p->topology = fl_strndup(conf->topology, strlen(conf->topology));
    p->conf.topology = NULL; /* the copy above is the pipeline's */
    return p;
}

void fl_pipeline_destroy(fl_pipeline *p)
{
    if (!p)
        return;
    fl_detect_destroy(p->det);
    fl_rca_destroy(p->rca);
    fl_tplev_destroy(p->tpl);
    fl_intern_destroy(p->services);
    free(p->topology);
    free(p);
}

const fl_stats *fl_pipeline_stats(const fl_pipeline *p) { return &p->st; }
const fl_pipeline_conf *fl_pipeline_get_conf(const fl_pipeline *p) { return &p->conf; }
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

bool fl_pipeline_gate(fl_pipeline *p, fl_future_gate *g, const fl_event *ev)
{
    if (ev->kind == FL_EV_CHANGE ||
        fl_future_admit(g, p->conf.detect.max_future, ev->ts))
        return true;
    p->st.events++;
    drop(p, FL_BAD_FUTURE);
    return false;
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

/* rca.topology's edges, once, before the first event: not at creation,
 * so that a checkpoint restored into the new pipeline keeps its service
 * ids (the edges are then in the checkpoint already; adding them again
 * changes nothing). A name past detect.max_services is skipped. */
static void add_topology(fl_pipeline *p)
{
    const char *t = p->topology;
    while (t && *t) {
        const char *tab = strchr(t, '\t'), *nl = strchr(t, '\n');
        if (!tab || !nl || tab > nl)
            break;
        int32_t a = fl_intern_add(p->services, (fl_str){t, (size_t)(tab - t)});
        int32_t b = fl_intern_add(p->services,
                                  (fl_str){tab + 1, (size_t)(nl - tab - 1)});
        if (a >= 0 && b >= 0 && a != b)
            fl_rca_edge(p->rca, a, b);
        t = nl + 1;
    }
    free(p->topology);
    p->topology = NULL;
}

void fl_pipeline_add(fl_pipeline *p, const fl_event *ev)
{
    if (p->topology)
        add_topology(p);
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
        if (ev->trace_id.n) /* lines of one trace: call edges */
            fl_rca_trace(p->rca, ev->trace_id, svc, ev->latency_ms, ev->ts);
        if (ev->version.n) /* the version split of the latest deploy */
            fl_rca_request(p->rca, svc, ev->version, ev->ts, fl_event_is_error(ev));
        if (!fl_detect_request(p->det, svc, ev, up, &why)) {
            drop(p, why);
        } else {
            p->st.requests++;
            fl_rca_sample(p->rca, svc, ev->ts, ev->latency_ms,
                          fl_event_is_error(ev)); /* report charts */
            if (ev->path.n) /* the report's impact by endpoint */
                fl_rca_sample_path(p->rca, svc, ev->ts, ev->path,
                                   fl_event_is_error(ev));
            fl_tplev_add(p->tpl, svc, ev->ts, ev->msg, fl_event_is_error(ev));
        }
        break;
    }
    case FL_EV_METRIC:
        if (!fl_detect_metric(p->det, svc, ev, &why))
            drop(p, why);
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
                  "\"dropped_events\":%llu,\"read_errors\":%llu,"
                  "\"services\":%u,\"time_gaps\":%llu",
                  n ? "\n" : "", (unsigned long long)s->lines,
                  (unsigned long long)s->bad_lines, (unsigned long long)s->events,
                  (unsigned long long)s->requests, (unsigned long long)s->changes,
                  (unsigned long long)s->dropped,
                  (unsigned long long)s->read_errors, fl_intern_count(p->services),
                  (unsigned long long)fl_detect_gaps(p->det));
    /* error-log templates refused at the tracker's caps (rca/tplev.c);
     * only when there were some, so documents without stay as they were */
    if (fl_tplev_rejected(p->tpl))
        fl_buf_printf(b, ",\"log_templates_refused\":%llu",
                      (unsigned long long)fl_tplev_rejected(p->tpl));
    fl_buf_puts(b, ",\"by_reason\":{");
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


int fl_pipeline_write_report(const fl_pipeline *p, const fl_incident *inc,
                             const char *dir, char *errstr, size_t errlen)
{
    if (mkdir_p(dir) != 0) {
        snprintf(errstr, errlen, "%s: cannot create directory: %s", dir,
                 strerror(errno));
        return -1;
    }
    for (int html = 0; html < 2; html++) {
        char path[4200];
        fl_buf b = {0};
        if (html)
            fl_incident_html(&b, p->rca, inc);
        else
            fl_incident_markdown(&b, p->rca, inc);
        snprintf(path, sizeof path, "%s/%s.%s", dir, inc->id,
                 html ? "html" : "md");
        fl_err e = fl_buf_write_file(&b, path, errstr, errlen);
        fl_buf_free(&b);
        if (e != FL_OK)
            return -1;
    }
    /* the charts the Markdown links to (the HTML inlines them) */
    for (uint32_t k = 0; k < fl_incident_nchart(inc); k++) {
        char path[4200], name[64];
        fl_buf b = {0};
        fl_incident_svg(&b, p->rca, inc, k);
        fl_incident_svg_name(inc, k, name, sizeof name);
        snprintf(path, sizeof path, "%s/%s", dir, name);
        fl_err e = fl_buf_write_file(&b, path, errstr, errlen);
        fl_buf_free(&b);
        if (e != FL_OK)
            return -1;
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
    for (uint32_t i = 0; i < n; i++) {
        if (fl_pipeline_write_report(p, v[i], dir, errstr, errlen) != 0) {
            written = -1;
            break;
        }
        written++;
    }
    free(v);
    return written;
}

/* ----------------------------------------------------------- checkpoint */

/* The pipeline's checkpoint value, layout version 1 (conventions in
 * common/fl_ckpt.h):
 *   {"v": 1,
 *    "names": [string]   the service interner, in id order (re-adding them
 *                        in order gives the same ids; checked),
 *    "stats": {"lines", "bad_lines", "events", "requests", "changes",
 *              "dropped", "read_errors": u64,
 *              "bad": [u64 × ≤ FL_BAD__COUNT]  by fl_bad_reason (reasons
 *                     are only ever appended, so a shorter array is an
 *                     older build's and the rest are zero),
 *              "anomalies": [u64 × FL_SIG__COUNT]  opened, by signal},
 *    "detect": detect/state.c, "rca": rca/state.c,
 *    "tpl": rca/tplev.c (optional when read: added after layout 1)}
 * Names come first: detect and rca check every service id against them. */
#define PIPELINE_LAYOUT 1

static void pack_u64s(msgpack_packer *pk, const uint64_t *v, size_t n)
{
    msgpack_pack_array(pk, n);
    for (size_t i = 0; i < n; i++)
        msgpack_pack_uint64(pk, v[i]);
}

void fl_pipeline_pack(const fl_pipeline *p, msgpack_packer *pk)
{
    msgpack_pack_map(pk, 6);
    fl_pk_key(pk, "v");
    msgpack_pack_uint64(pk, PIPELINE_LAYOUT);
    fl_pk_key(pk, "names");
    uint32_t n = fl_intern_count(p->services);
    msgpack_pack_array(pk, n);
    for (uint32_t i = 0; i < n; i++) {
        fl_str s = fl_intern_str(p->services, (int32_t)i);
        fl_pk_str(pk, s.p, s.n);
    }
    const fl_stats *st = &p->st;
    fl_pk_key(pk, "stats");
    msgpack_pack_map(pk, 9);
    fl_pk_key(pk, "lines");
    msgpack_pack_uint64(pk, st->lines);
    fl_pk_key(pk, "bad_lines");
    msgpack_pack_uint64(pk, st->bad_lines);
    fl_pk_key(pk, "events");
    msgpack_pack_uint64(pk, st->events);
    fl_pk_key(pk, "requests");
    msgpack_pack_uint64(pk, st->requests);
    fl_pk_key(pk, "changes");
    msgpack_pack_uint64(pk, st->changes);
    fl_pk_key(pk, "dropped");
    msgpack_pack_uint64(pk, st->dropped);
    fl_pk_key(pk, "read_errors");
    msgpack_pack_uint64(pk, st->read_errors);
    fl_pk_key(pk, "bad");
    pack_u64s(pk, st->bad, FL_BAD__COUNT);
    fl_pk_key(pk, "anomalies");
    pack_u64s(pk, st->anomalies, FL_SIG__COUNT);
    fl_pk_key(pk, "detect");
    fl_detect_pack(p->det, pk);
    fl_pk_key(pk, "rca");
    fl_rca_pack(p->rca, pk);
    fl_pk_key(pk, "tpl");
    fl_tplev_pack(p->tpl, pk);
}

static bool unpack_stats(fl_rd *rd, const msgpack_object *o, fl_stats *st)
{
    static const char *const keys[] = {
        "lines",       "bad_lines", "events",    "requests", "changes",
        "dropped",     "read_errors", "bad",     "anomalies", NULL};
    const msgpack_object *it;
    uint32_t n;
    if (!fl_rd_map(rd, o, keys) || !fl_rd_f_u64(rd, o, "lines", &st->lines) ||
        !fl_rd_f_u64(rd, o, "bad_lines", &st->bad_lines) ||
        !fl_rd_f_u64(rd, o, "events", &st->events) ||
        !fl_rd_f_u64(rd, o, "requests", &st->requests) ||
        !fl_rd_f_u64(rd, o, "changes", &st->changes) ||
        !fl_rd_f_u64(rd, o, "dropped", &st->dropped) ||
        !fl_rd_f_u64(rd, o, "read_errors", &st->read_errors) ||
        !fl_rd_f_array(rd, o, "bad", 0, FL_BAD__COUNT, &it, &n))
        return false;
    for (uint32_t i = 0; i < n; i++) {
        size_t m = fl_rd_push(rd, ".bad[%u]", i);
        bool ok = fl_rd_uint(rd, &it[i], UINT64_MAX, &st->bad[i]);
        fl_rd_pop(rd, m);
        if (!ok)
            return false;
    }
    if (!fl_rd_f_array(rd, o, "anomalies", FL_SIG__COUNT, FL_SIG__COUNT, &it,
                       &n))
        return false;
    for (uint32_t i = 0; i < n; i++) {
        size_t m = fl_rd_push(rd, ".anomalies[%u]", i);
        bool ok = fl_rd_uint(rd, &it[i], UINT64_MAX, &st->anomalies[i]);
        fl_rd_pop(rd, m);
        if (!ok)
            return false;
    }
    return true;
}

bool fl_pipeline_unpack(fl_pipeline *p, const msgpack_object *o, char *errstr,
                        size_t errlen)
{
    static const char *const keys[] = {"v",      "names", "stats",
                                       "detect", "rca",   "tpl", NULL};
    fl_rd rd;
    fl_rd_init(&rd, "", errstr, errlen);
    if (fl_intern_count(p->services) || p->st.events)
        return fl_rd_fail(&rd, "the pipeline has already seen events");
    uint32_t v;
    /* "tpl" came after layout 1: a checkpoint without it still loads */
    bool has_tpl = o->type == MSGPACK_OBJECT_MAP && o->via.map.size == 6;
    static const char *const keys_v1[] = {"v",      "names", "stats",
                                          "detect", "rca",   NULL};
    if (!fl_rd_map(&rd, o, has_tpl ? keys : keys_v1) ||
        !fl_rd_f_u32(&rd, o, "v", UINT32_MAX, &v))
        return false;
    if (v != PIPELINE_LAYOUT)
        return fl_rd_fail(&rd, "layout version %u, this build reads %d", v,
                          PIPELINE_LAYOUT);
    const msgpack_object *names;
    uint32_t n;
    uint32_t cap = p->conf.detect.max_services ? p->conf.detect.max_services : 1;
    if (!fl_rd_f_array(&rd, o, "names", 0, UINT32_MAX, &names, &n))
        return false;
    if (n > cap) {
        size_t m = fl_rd_push(&rd, ".names");
        fl_rd_fail(&rd, "%u services, but this run tracks at most %u "
                        "(--max-services)", n, cap);
        fl_rd_pop(&rd, m);
        return false;
    }
    for (uint32_t i = 0; i < n; i++) {
        size_t m = fl_rd_push(&rd, ".names[%u]", i);
        const char *s = NULL;
        uint32_t len = 0;
        if (fl_rd_string(&rd, &names[i], FL_CKPT_STR_MAX, false, &s, &len) &&
            fl_intern_add(p->services, (fl_str){s, len}) != (int32_t)i)
            fl_rd_fail(&rd, "duplicate service name");
        fl_rd_pop(&rd, m);
        if (rd.failed)
            return false;
    }
    const msgpack_object *st = fl_rd_get(&rd, o, "stats");
    if (!st)
        return false;
    size_t m = fl_rd_push(&rd, ".stats");
    fl_stats stats;
    memset(&stats, 0, sizeof stats);
    bool ok = unpack_stats(&rd, st, &stats);
    fl_rd_pop(&rd, m);
    if (!ok)
        return false;
    p->st = stats;
    const msgpack_object *det = fl_rd_get(&rd, o, "detect");
    const msgpack_object *rca = fl_rd_get(&rd, o, "rca");
    if (!det || !rca)
        return false;
    if (has_tpl) {
        size_t mt = fl_rd_push(&rd, ".tpl");
        bool okt = fl_tplev_unpack(p->tpl, &rd, fl_rd_get(&rd, o, "tpl"), n);
        fl_rd_pop(&rd, mt);
        if (!okt)
            return false;
    }
    return fl_detect_unpack(p->det, det, n, errstr, errlen) &&
           fl_rca_unpack(p->rca, rca, errstr, errlen);
}
