/*
 * state.c - the RCA stage's state for checkpoints: fl_rca_pack writes it as
 * one msgpack value, fl_rca_unpack reads it back into a fresh fl_rca whose
 * intern table has already been restored, refusing anything it would not
 * have produced itself.
 *
 * Layout, version 1 (maps with the keys shown; conventions in
 * common/fl_ckpt.h; anomalies use detect/state.c's anomaly layout):
 *
 *   rca       {"v": 1,
 *              "changes": [change]     in the index's (time) order,
 *              "incs": [incident]      in opening order,
 *              "pending": [anomaly]    surges not (yet) in an incident,
 *              "edges": [[caller, callee]]  sorted, so packing is canonical,
 *              "series": [svc_series] (optional, added later: the charts'
 *                                       per-service state, by service id)}
 *   svc_series {"svc": service,
 *              "live": [[bin, req, err, [u32 x FL_CHART_HIST]]] open bins,
 *              "lead": [[bin, req, err, p95, p99]]  final bins (lead-in),
 *              "ep": svc_ep (optional: only a service that sent a path)}
 *   svc_ep    {"tpl": [string] endpoint templates by slot (<= FL_EP_MAX),
 *              "last": [bin | -1] by slot,
 *              "live": [u32 x FL_CHART_LIVE x (FL_EP_MAX + 1) x 2],
 *              "lead": [u32 x FL_CHART_LEAD x (FL_EP_MAX + 1) x 2]}
 *              (req, err by bin slot, then endpoint slot; the last
 *              endpoint slot is <other>; slots past the templates are 0)
 *   change    {"ts": time, "kind": fl_change_kind, "svc": service,
 *              "version", "change_id", "author": string | nil,
 *              "vs": [requests, errors on the version, on others]}
 *   incident  {"id": string, "frozen": bool (id fixed and announced),
 *              "state": fl_incident_state, "start", "detected": time,
 *              "end": time | NONE, "anoms": [anomaly], "svcs": [service],
 *              "causes": [cause], "ruled": [string], "rank_sig": u64,
 *              "tpl": [finding] (optional: added later, see pack_tpl),
 *              "chart": [chart] (optional: added later, see pack_charts),
 *              "eps": [[svc, template, req, err before the onset, req,
 *                       err from it]] (optional, added later)}
 *   chart     {"svc": service, "step": bins per point (power of two),
 *              "bin0": bin index, "n": points,
 *              "req", "err": [u32 x n], "p95", "p99": [f32 x n] (NaN: none)}
 *   finding   {"svc", "new": bool, "first", "onset", "detected": time,
 *              "count": u64, "base", "peak": f64, "text": string}
 *   cause     {"type": fl_cause_type, "svc": service,
 *              "change": index into "changes" | nil, "at": time,
 *              "score": f64, "evidence": [string]}
 *
 * A cause's change is stored as its index and re-linked to the restored
 * change. What unpack checks beyond types: service ids below the interner's
 * count; enum values; times within FL_CKPT_TIME_LIM; changes in time order;
 * a change index exactly for change causes, in range; at least one anomaly
 * per incident and no more services than anomalies; at most max_causes
 * causes, FL_EVIDENCE_MAX evidence lines and 1024 ruled-out lines;
 * incident ids of 1-23 characters from [A-Za-z0-9-] (they name report
 * files); edges between two distinct known services, no duplicates, at
 * most FL_RCA_MAX_EDGES.
 */
#include "rca_int.h"

#include "../common/fl_ckpt.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define LAYOUT_VERSION 1
#define MAX_RULED 1024

/* --------------------------------------------------------------- packing */

static void pack_change(msgpack_packer *pk, const fl_change *c)
{
    msgpack_pack_map(pk, 7);
    fl_pk_key(pk, "vs");
    msgpack_pack_array(pk, 4);
    for (int i = 0; i < 4; i++)
        msgpack_pack_uint32(pk, c->vs[i]);
    fl_pk_key(pk, "ts");
    msgpack_pack_int64(pk, c->ts);
    fl_pk_key(pk, "kind");
    msgpack_pack_int64(pk, c->kind);
    fl_pk_key(pk, "svc");
    msgpack_pack_int64(pk, c->service);
    fl_pk_key(pk, "version");
    fl_pk_cstr_or_nil(pk, c->version);
    fl_pk_key(pk, "change_id");
    fl_pk_cstr_or_nil(pk, c->change_id);
    fl_pk_key(pk, "author");
    fl_pk_cstr_or_nil(pk, c->author);
}

static void pack_cause(msgpack_packer *pk, const fl_rca *r, const fl_cause *c)
{
    msgpack_pack_map(pk, 6);
    fl_pk_key(pk, "type");
    msgpack_pack_int64(pk, c->type);
    fl_pk_key(pk, "svc");
    msgpack_pack_int64(pk, c->service);
    fl_pk_key(pk, "change");
    uint32_t k = r->nchanges;
    if (c->change)
        for (k = 0; k < r->nchanges; k++)
            if (r->changes[k] == c->change)
                break;
    if (k < r->nchanges)
        msgpack_pack_uint64(pk, k);
    else
        msgpack_pack_nil(pk); /* never for a change cause: changes stay */
    fl_pk_key(pk, "at");
    msgpack_pack_int64(pk, c->at);
    fl_pk_key(pk, "score");
    msgpack_pack_double(pk, c->score);
    fl_pk_key(pk, "evidence");
    msgpack_pack_array(pk, c->nevidence);
    for (uint32_t i = 0; i < c->nevidence; i++)
        fl_pk_cstr_or_nil(pk, c->evidence[i]);
}

/* an incident's log-template findings (rank_tpl.c): "tpl", added to the
 * incident map after layout 1 was fixed; optional when read, so older
 * checkpoints still load (with no findings) */
static void pack_tpl(msgpack_packer *pk, const fl_incident *inc)
{
    msgpack_pack_array(pk, inc->ntpl);
    for (uint32_t i = 0; i < inc->ntpl; i++) {
        const fl_tpl_finding *f = &inc->tpl[i];
        msgpack_pack_map(pk, 9);
        fl_pk_key(pk, "svc");
        msgpack_pack_int64(pk, f->service);
        fl_pk_key(pk, "new");
        fl_pk_bool(pk, f->novel);
        fl_pk_key(pk, "first");
        msgpack_pack_int64(pk, f->first_seen);
        fl_pk_key(pk, "onset");
        msgpack_pack_int64(pk, f->onset);
        fl_pk_key(pk, "detected");
        msgpack_pack_int64(pk, f->detected);
        fl_pk_key(pk, "count");
        msgpack_pack_uint64(pk, f->count);
        fl_pk_key(pk, "base");
        msgpack_pack_double(pk, f->baseline);
        fl_pk_key(pk, "peak");
        msgpack_pack_double(pk, f->peak);
        fl_pk_key(pk, "text");
        fl_pk_str(pk, f->text, strlen(f->text));
    }
}

static bool unpack_tpl(fl_rd *rd, const msgpack_object *o, fl_incident *inc,
                       uint32_t nsvc)
{
    static const char *const keys[] = {"svc",   "new",   "first",
                                       "onset", "detected", "count",
                                       "base",  "peak",  "text", NULL};
    const msgpack_object *it;
    uint32_t n;
    if (!fl_rd_f_array(rd, o, "tpl", 0, FL_TPL_FINDINGS_MAX, &it, &n))
        return false;
    for (uint32_t i = 0; i < n; i++) {
        fl_tpl_finding *f = &inc->tpl[i];
        const msgpack_object *x = &it[i];
        const char *text = NULL;
        uint32_t tn = 0;
        size_t m = fl_rd_push(rd, ".tpl[%" PRIu32 "]", i);
        bool ok = fl_rd_map(rd, x, keys) &&
                  fl_rd_f_i32(rd, x, "svc", 0, (int32_t)nsvc - 1, &f->service) &&
                  fl_rd_f_bool(rd, x, "new", &f->novel) &&
                  fl_rd_f_time(rd, x, "first", false, &f->first_seen) &&
                  fl_rd_f_time(rd, x, "onset", false, &f->onset) &&
                  fl_rd_f_time(rd, x, "detected", false, &f->detected) &&
                  fl_rd_f_u64(rd, x, "count", &f->count) &&
                  fl_rd_f_float(rd, x, "base", &f->baseline) &&
                  fl_rd_f_float(rd, x, "peak", &f->peak);
        if (ok) {
            size_t m2 = fl_rd_push(rd, ".text");
            ok = fl_rd_string(rd, fl_rd_get(rd, x, "text"), FL_TPL_TEXT_MAX,
                              false, &text, &tn);
            fl_rd_pop(rd, m2);
        }
        if (ok && !(f->baseline >= 0 && f->peak >= 0 && f->baseline < 1e12 &&
                    f->peak < 1e12))
            ok = fl_rd_fail(rd, "rates out of range");
        fl_rd_pop(rd, m);
        if (!ok)
            return false;
        memcpy(f->text, text, tn);
        f->text[tn] = '\0';
        inc->ntpl = i + 1;
    }
    return true;
}


/* Charts (series.c): "chart" in an incident and "series" at the top were
 * added to layout 1 later; both are optional when read, so older
 * checkpoints still load (their reports simply have fewer points). */
static void pack_charts(msgpack_packer *pk, const fl_incident *inc)
{
    msgpack_pack_array(pk, inc->ncharts);
    for (uint32_t i = 0; i < inc->ncharts; i++) {
        const fl_chart *c = &inc->charts[i];
        msgpack_pack_map(pk, 8);
        fl_pk_key(pk, "svc");
        msgpack_pack_int64(pk, c->service);
        fl_pk_key(pk, "step");
        msgpack_pack_uint32(pk, c->step);
        fl_pk_key(pk, "bin0");
        msgpack_pack_int64(pk, c->bin0);
        fl_pk_key(pk, "n");
        msgpack_pack_uint32(pk, c->n);
        fl_pk_key(pk, "req");
        msgpack_pack_array(pk, c->n);
        for (uint32_t k = 0; k < c->n; k++)
            msgpack_pack_uint32(pk, c->pts[k].req);
        fl_pk_key(pk, "err");
        msgpack_pack_array(pk, c->n);
        for (uint32_t k = 0; k < c->n; k++)
            msgpack_pack_uint32(pk, c->pts[k].err);
        fl_pk_key(pk, "p95");
        msgpack_pack_array(pk, c->n);
        for (uint32_t k = 0; k < c->n; k++)
            msgpack_pack_float(pk, c->pts[k].p95);
        fl_pk_key(pk, "p99");
        msgpack_pack_array(pk, c->n);
        for (uint32_t k = 0; k < c->n; k++)
            msgpack_pack_float(pk, c->pts[k].p99);
    }
}

#define MAX_BIN (FL_CKPT_TIME_LIM / FL_CHART_BIN)

static bool lat_ok(float v)
{
    return isnan(v) || (v >= 0 && v < 1e12f);
}

static bool unpack_charts(fl_rd *rd, const msgpack_object *o, fl_incident *inc,
                          uint32_t nsvc)
{
    static const char *const keys[] = {"svc", "step", "bin0", "n", "req",
                                       "err", "p95",  "p99",  NULL};
    const msgpack_object *it;
    uint32_t n;
    if (!fl_rd_f_array(rd, o, "chart", 0, FL_CHART_SVCS, &it, &n))
        return false;
    if (n)
        inc->charts = fl_calloc(FL_CHART_SVCS, sizeof *inc->charts);
    for (uint32_t i = 0; i < n; i++) {
        fl_chart *c = &inc->charts[i];
        const msgpack_object *x = &it[i];
        int64_t bin0;
        uint32_t req[FL_CHART_POINTS], err[FL_CHART_POINTS];
        float p95[FL_CHART_POINTS], p99[FL_CHART_POINTS];
        size_t m = fl_rd_push(rd, ".chart[%" PRIu32 "]", i);
        bool ok = fl_rd_map(rd, x, keys) &&
                  fl_rd_f_i32(rd, x, "svc", 0, (int32_t)nsvc - 1, &c->service) &&
                  fl_rd_f_u32(rd, x, "step", 1u << 24, &c->step) &&
                  fl_rd_f_int(rd, x, "bin0", 0, MAX_BIN, &bin0) &&
                  fl_rd_f_u32(rd, x, "n", FL_CHART_POINTS, &c->n) &&
                  fl_rd_f_u32s(rd, x, "req", c->n, req) &&
                  fl_rd_f_u32s(rd, x, "err", c->n, err) &&
                  fl_rd_f_floats(rd, x, "p95", c->n, p95) &&
                  fl_rd_f_floats(rd, x, "p99", c->n, p99);
        if (ok && (c->step == 0 || (c->step & (c->step - 1))))
            ok = fl_rd_fail(rd, "step %" PRIu32 " is not a power of two", c->step);
        for (uint32_t k = 0; ok && k < i; k++)
            if (inc->charts[k].service == c->service)
                ok = fl_rd_fail(rd, "a second chart of service %" PRId32,
                                c->service);
        for (uint32_t k = 0; ok && k < c->n; k++) {
            if (err[k] > req[k] || !lat_ok(p95[k]) || !lat_ok(p99[k]))
                ok = fl_rd_fail(rd, "point %" PRIu32 " out of range", k);
            c->pts[k] = (fl_chart_pt){req[k], err[k], p95[k], p99[k]};
        }
        fl_rd_pop(rd, m);
        if (!ok)
            return false;
        c->bin0 = bin0;
        inc->ncharts = i + 1;
    }
    return true;
}

static void pack_svc_ep(msgpack_packer *pk, const fl_ep_svc *e);
static bool has_key(const msgpack_object *o, const char *key);

static void pack_series(msgpack_packer *pk, const fl_rca *r)
{
    uint32_t n = 0;
    for (uint32_t s = 0; s < r->nchart_svc; s++)
        n += r->chart_svc[s] != NULL;
    msgpack_pack_array(pk, n);
    for (uint32_t s = 0; s < r->nchart_svc; s++) {
        const fl_chart_svc *c = r->chart_svc[s];
        if (!c)
            continue;
        msgpack_pack_map(pk, c->ep ? 4 : 3);
        fl_pk_key(pk, "svc");
        msgpack_pack_int64(pk, s);
        if (c->ep) {
            fl_pk_key(pk, "ep");
            pack_svc_ep(pk, c->ep);
        }
        fl_pk_key(pk, "live"); /* slot order: canonical for the state */
        uint32_t k = 0;
        for (uint32_t i = 0; i < FL_CHART_LIVE; i++)
            k += c->live[i].bin != -1;
        msgpack_pack_array(pk, k);
        for (uint32_t i = 0; i < FL_CHART_LIVE; i++) {
            const fl_chart_live *l = &c->live[i];
            if (l->bin == -1)
                continue;
            msgpack_pack_array(pk, 4);
            msgpack_pack_int64(pk, l->bin);
            msgpack_pack_uint32(pk, l->req);
            msgpack_pack_uint32(pk, l->err);
            msgpack_pack_array(pk, FL_CHART_HIST);
            for (uint32_t h = 0; h < FL_CHART_HIST; h++)
                msgpack_pack_uint32(pk, l->hist[h]);
        }
        fl_pk_key(pk, "lead");
        k = 0;
        for (uint32_t i = 0; i < FL_CHART_LEAD; i++)
            k += c->lead_bin[i] != -1;
        msgpack_pack_array(pk, k);
        for (uint32_t i = 0; i < FL_CHART_LEAD; i++) {
            if (c->lead_bin[i] == -1)
                continue;
            msgpack_pack_array(pk, 5);
            msgpack_pack_int64(pk, c->lead_bin[i]);
            msgpack_pack_uint32(pk, c->lead[i].req);
            msgpack_pack_uint32(pk, c->lead[i].err);
            msgpack_pack_float(pk, c->lead[i].p95);
            msgpack_pack_float(pk, c->lead[i].p99);
        }
    }
}

/* Endpoints (endpoints.c): "ep" in a svc_series and "eps" in an incident
 * were added to layout 1 later, optional when read like the charts. */
#define EP_LIVE_N (FL_CHART_LIVE * (FL_EP_MAX + 1) * 2)
#define EP_LEAD_N (FL_CHART_LEAD * (FL_EP_MAX + 1) * 2)

static void pack_cnts(msgpack_packer *pk, const fl_ep_cnt *c, uint32_t n)
{
    msgpack_pack_array(pk, n * 2);
    for (uint32_t i = 0; i < n; i++) {
        msgpack_pack_uint32(pk, c[i].req);
        msgpack_pack_uint32(pk, c[i].err);
    }
}

static void pack_svc_ep(msgpack_packer *pk, const fl_ep_svc *e)
{
    msgpack_pack_map(pk, 4);
    fl_pk_key(pk, "tpl");
    msgpack_pack_array(pk, e->n);
    for (uint32_t i = 0; i < e->n; i++)
        fl_pk_str(pk, e->tpl[i], strlen(e->tpl[i]));
    fl_pk_key(pk, "last");
    msgpack_pack_array(pk, e->n);
    for (uint32_t i = 0; i < e->n; i++)
        msgpack_pack_int64(pk, e->last_bin[i]);
    fl_pk_key(pk, "live");
    pack_cnts(pk, &e->live[0][0], FL_CHART_LIVE * (FL_EP_MAX + 1));
    fl_pk_key(pk, "lead");
    pack_cnts(pk, &e->lead[0][0], FL_CHART_LEAD * (FL_EP_MAX + 1));
}

/* A template as fl_path_template writes it: 1..FL_EP_LEN-1 bytes of UTF-8
 * without control bytes (or "<other>"). */
static bool tpl_ok(const char *s, uint32_t n)
{
    if (n == 0 || n >= FL_EP_LEN || !fl_utf8_valid(s, n))
        return false;
    for (uint32_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return false;
    return true;
}

static bool rd_tpl(fl_rd *rd, const msgpack_object *o, char *out)
{
    const char *s;
    uint32_t n;
    if (!fl_rd_string(rd, o, FL_EP_LEN - 1, false, &s, &n))
        return false;
    if (!tpl_ok(s, n))
        return fl_rd_fail(rd, "not an endpoint template");
    memcpy(out, s, n);
    out[n] = '\0';
    return true;
}

static bool rd_cnts(fl_rd *rd, const msgpack_object *x, const char *key,
                    uint32_t rows, uint32_t used, fl_ep_cnt *out)
{
    uint32_t *v = fl_calloc(rows * (FL_EP_MAX + 1) * 2, sizeof *v);
    bool ok = fl_rd_f_u32s(rd, x, key, rows * (FL_EP_MAX + 1) * 2, v);
    for (uint32_t i = 0; ok && i < rows * (FL_EP_MAX + 1); i++) {
        uint32_t slot = i % (FL_EP_MAX + 1);
        out[i] = (fl_ep_cnt){v[2 * i], v[2 * i + 1]};
        if (out[i].err > out[i].req ||
            (slot >= used && slot < FL_EP_MAX && out[i].req))
            ok = fl_rd_fail(rd, "%s: endpoint count out of range", key);
    }
    free(v);
    return ok;
}

static bool unpack_svc_ep(fl_rd *rd, const msgpack_object *x, fl_ep_svc *e)
{
    static const char *const keys[] = {"tpl", "last", "live", "lead", NULL};
    const msgpack_object *it, *lt;
    uint32_t n, nl;
    if (!fl_rd_map(rd, x, keys) ||
        !fl_rd_f_array(rd, x, "tpl", 0, FL_EP_MAX, &it, &n) ||
        !fl_rd_f_array(rd, x, "last", n, n, &lt, &nl))
        return false;
    for (uint32_t i = 0; i < n; i++) {
        int64_t last;
        if (!rd_tpl(rd, &it[i], e->tpl[i]) ||
            !fl_rd_int(rd, &lt[i], -1, MAX_BIN, &last))
            return false;
        e->last_bin[i] = last;
        for (uint32_t k = 0; k < i; k++)
            if (strcmp(e->tpl[k], e->tpl[i]) == 0)
                return fl_rd_fail(rd, "endpoint template twice");
    }
    e->n = n;
    fl_ep_rehash(e);
    return rd_cnts(rd, x, "live", FL_CHART_LIVE, n, &e->live[0][0]) &&
           rd_cnts(rd, x, "lead", FL_CHART_LEAD, n, &e->lead[0][0]);
}

static void pack_inc_eps(msgpack_packer *pk, const fl_incident *inc)
{
    msgpack_pack_array(pk, inc->neps);
    for (uint32_t i = 0; i < inc->neps; i++) {
        const fl_ep_stat *s = &inc->eps[i];
        msgpack_pack_array(pk, 6);
        msgpack_pack_int64(pk, s->service);
        fl_pk_str(pk, s->tpl, strlen(s->tpl));
        msgpack_pack_uint32(pk, s->before.req);
        msgpack_pack_uint32(pk, s->before.err);
        msgpack_pack_uint32(pk, s->during.req);
        msgpack_pack_uint32(pk, s->during.err);
    }
}

static bool rd_u32(fl_rd *rd, const msgpack_object *o, uint32_t *out);

static bool unpack_inc_eps(fl_rd *rd, const msgpack_object *o,
                           fl_incident *inc, uint32_t nsvc)
{
    const msgpack_object *it, *e;
    uint32_t n, ne;
    if (!fl_rd_f_array(rd, o, "eps", 0, FL_EP_INC_MAX, &it, &n))
        return false;
    if (n)
        inc->eps = fl_calloc(FL_EP_INC_MAX, sizeof *inc->eps);
    for (uint32_t i = 0; i < n; i++) {
        fl_ep_stat *s = &inc->eps[i];
        int64_t svc;
        size_t m = fl_rd_push(rd, ".eps[%" PRIu32 "]", i);
        bool ok = fl_rd_array(rd, &it[i], 6, 6, &e, &ne) &&
                  fl_rd_int(rd, &e[0], 0, (int64_t)nsvc - 1, &svc) &&
                  rd_tpl(rd, &e[1], s->tpl) &&
                  rd_u32(rd, &e[2], &s->before.req) &&
                  rd_u32(rd, &e[3], &s->before.err) &&
                  rd_u32(rd, &e[4], &s->during.req) &&
                  rd_u32(rd, &e[5], &s->during.err);
        s->service = (int32_t)svc;
        if (ok && (s->before.err > s->before.req ||
                   s->during.err > s->during.req))
            ok = fl_rd_fail(rd, "more errors than requests");
        for (uint32_t k = 0; ok && k < i; k++)
            if (inc->eps[k].service == s->service &&
                strcmp(inc->eps[k].tpl, s->tpl) == 0)
                ok = fl_rd_fail(rd, "an endpoint twice");
        fl_rd_pop(rd, m);
        if (!ok)
            return false;
        inc->neps = i + 1;
    }
    return true;
}

static bool rd_u32(fl_rd *rd, const msgpack_object *o, uint32_t *out)
{
    uint64_t v;
    if (!fl_rd_uint(rd, o, UINT32_MAX, &v))
        return false;
    *out = (uint32_t)v;
    return true;
}

static bool unpack_svc_series(fl_rd *rd, fl_rca *r, const msgpack_object *x,
                              uint32_t nsvc)
{
    static const char *const keys[] = {"svc", "live", "lead", NULL};
    static const char *const keys_ep[] = {"svc", "live", "lead", "ep", NULL};
    int32_t svc;
    const msgpack_object *it, *e;
    uint32_t n, ne;
    bool ep = has_key(x, "ep");
    if (!fl_rd_map(rd, x, ep ? keys_ep : keys) ||
        !fl_rd_f_i32(rd, x, "svc", 0, (int32_t)nsvc - 1, &svc))
        return false;
    if ((uint32_t)svc < r->nchart_svc && r->chart_svc[svc])
        return fl_rd_fail(rd, "service %" PRId32 " twice", svc);
    fl_chart_svc *c = fl_series_svc(r, svc);
    if (ep) {
        c->ep = fl_calloc(1, sizeof *c->ep);
        size_t m = fl_rd_push(rd, ".ep");
        bool ok = unpack_svc_ep(rd, fl_rd_get(rd, x, "ep"), c->ep);
        fl_rd_pop(rd, m);
        if (!ok)
            return false;
    }
    if (!fl_rd_f_array(rd, x, "live", 0, FL_CHART_LIVE, &it, &n))
        return false;
    for (uint32_t i = 0; i < n; i++) {
        size_t m = fl_rd_push(rd, ".live[%" PRIu32 "]", i);
        const msgpack_object *h;
        uint32_t nh;
        int64_t bin;
        fl_chart_live l;
        bool ok = fl_rd_array(rd, &it[i], 4, 4, &e, &ne) &&
                  fl_rd_int(rd, &e[0], 0, MAX_BIN, &bin) &&
                  rd_u32(rd, &e[1], &l.req) && rd_u32(rd, &e[2], &l.err) &&
                  fl_rd_array(rd, &e[3], FL_CHART_HIST, FL_CHART_HIST, &h, &nh);
        for (uint32_t k = 0; ok && k < FL_CHART_HIST; k++)
            ok = rd_u32(rd, &h[k], &l.hist[k]);
        l.bin = bin;
        fl_chart_live *slot = ok ? &c->live[bin % FL_CHART_LIVE] : NULL;
        if (ok && (l.err > l.req || slot->bin != -1))
            ok = fl_rd_fail(rd, "more errors than requests, or a slot twice");
        fl_rd_pop(rd, m);
        if (!ok)
            return false;
        *slot = l;
    }
    if (!fl_rd_f_array(rd, x, "lead", 0, FL_CHART_LEAD, &it, &n))
        return false;
    for (uint32_t i = 0; i < n; i++) {
        size_t m = fl_rd_push(rd, ".lead[%" PRIu32 "]", i);
        int64_t bin;
        fl_chart_pt p;
        double p95 = 0, p99 = 0;
        bool ok = fl_rd_array(rd, &it[i], 5, 5, &e, &ne) &&
                  fl_rd_int(rd, &e[0], 0, MAX_BIN, &bin) &&
                  rd_u32(rd, &e[1], &p.req) && rd_u32(rd, &e[2], &p.err) &&
                  fl_rd_float(rd, &e[3], &p95) && fl_rd_float(rd, &e[4], &p99);
        p.p95 = (float)p95;
        p.p99 = (float)p99;
        uint32_t k = ok ? (uint32_t)(bin % FL_CHART_LEAD) : 0;
        if (ok && (p.err > p.req || !lat_ok(p.p95) || !lat_ok(p.p99) ||
                   c->lead_bin[k] != -1))
            ok = fl_rd_fail(rd, "out of range, or a slot twice");
        fl_rd_pop(rd, m);
        if (!ok)
            return false;
        c->lead_bin[k] = bin;
        c->lead[k] = p;
    }
    return true;
}

static bool has_key(const msgpack_object *o, const char *key)
{
    if (o->type != MSGPACK_OBJECT_MAP)
        return false;
    size_t n = strlen(key);
    for (uint32_t i = 0; i < o->via.map.size; i++) {
        const msgpack_object *k = &o->via.map.ptr[i].key;
        if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == n &&
            memcmp(k->via.str.ptr, key, n) == 0)
            return true;
    }
    return false;
}

static void pack_incident(msgpack_packer *pk, const fl_rca *r,
                          const fl_incident *inc)
{
    msgpack_pack_map(pk, inc->neps ? 14 : 13);
    if (inc->neps) {
        fl_pk_key(pk, "eps");
        pack_inc_eps(pk, inc);
    }
    fl_pk_key(pk, "tpl");
    pack_tpl(pk, inc);
    fl_pk_key(pk, "chart");
    pack_charts(pk, inc);
    fl_pk_key(pk, "id");
    fl_pk_str(pk, inc->id, strlen(inc->id));
    fl_pk_key(pk, "frozen");
    fl_pk_bool(pk, inc->id_frozen);
    fl_pk_key(pk, "state");
    msgpack_pack_int64(pk, inc->state);
    fl_pk_key(pk, "start");
    msgpack_pack_int64(pk, inc->start);
    fl_pk_key(pk, "detected");
    msgpack_pack_int64(pk, inc->detected);
    fl_pk_key(pk, "end");
    msgpack_pack_int64(pk, inc->end);
    fl_pk_key(pk, "anoms");
    msgpack_pack_array(pk, inc->nanoms);
    for (uint32_t i = 0; i < inc->nanoms; i++)
        fl_anomaly_pack(pk, &inc->anoms[i]);
    fl_pk_key(pk, "svcs");
    msgpack_pack_array(pk, inc->nservices);
    for (uint32_t i = 0; i < inc->nservices; i++)
        msgpack_pack_int64(pk, inc->services[i]);
    fl_pk_key(pk, "causes");
    msgpack_pack_array(pk, inc->ncauses);
    for (uint32_t i = 0; i < inc->ncauses; i++)
        pack_cause(pk, r, &inc->causes[i]);
    fl_pk_key(pk, "ruled");
    msgpack_pack_array(pk, inc->nruled);
    for (uint32_t i = 0; i < inc->nruled; i++)
        fl_pk_cstr_or_nil(pk, inc->ruled_out[i]);
    fl_pk_key(pk, "rank_sig");
    msgpack_pack_uint64(pk, inc->rank_sig);
}

static int u64_cmp(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return a < b ? -1 : a > b;
}

void fl_rca_pack(const fl_rca *r, msgpack_packer *pk)
{
    msgpack_pack_map(pk, 6);
    fl_pk_key(pk, "v");
    msgpack_pack_uint64(pk, LAYOUT_VERSION);
    fl_pk_key(pk, "changes");
    msgpack_pack_array(pk, r->nchanges);
    for (uint32_t i = 0; i < r->nchanges; i++)
        pack_change(pk, r->changes[i]);
    fl_pk_key(pk, "incs");
    msgpack_pack_array(pk, r->nincs);
    for (uint32_t i = 0; i < r->nincs; i++)
        pack_incident(pk, r, r->incs[i]);
    fl_pk_key(pk, "pending");
    msgpack_pack_array(pk, r->npending);
    for (uint32_t i = 0; i < r->npending; i++)
        fl_anomaly_pack(pk, &r->pending[i]);
    /* the edge set in key order (the table's order depends on its history) */
    uint64_t *keys = fl_malloc(((size_t)r->nedges + 1) * sizeof *keys);
    uint32_t n = 0;
    for (uint32_t i = 0; i < r->edges_cap && n < r->nedges; i++)
        if (r->edges[i])
            keys[n++] = r->edges[i] - 1;
    qsort(keys, n, sizeof *keys, u64_cmp);
    fl_pk_key(pk, "edges");
    msgpack_pack_array(pk, n);
    for (uint32_t i = 0; i < n; i++) {
        msgpack_pack_array(pk, 2);
        msgpack_pack_int64(pk, (int32_t)(uint32_t)(keys[i] >> 32));
        msgpack_pack_int64(pk, (int32_t)(uint32_t)keys[i]);
    }
    free(keys);
    fl_pk_key(pk, "series");
    pack_series(pk, r);
}

/* ------------------------------------------------------------- unpacking */

static bool unpack_change(fl_rd *rd, const msgpack_object *o, fl_change *c,
                          uint32_t nsvc)
{
    static const char *const keys[] = {"ts",        "kind",   "svc", "version",
                                       "change_id", "author", "vs",  NULL};
    int32_t kind;
    if (!fl_rd_map(rd, o, keys) || !fl_rd_f_time(rd, o, "ts", false, &c->ts) ||
        !fl_rd_f_i32(rd, o, "kind", FL_CHANGE_DEPLOY, FL_CHANGE_FLAG, &kind) ||
        !fl_rd_f_i32(rd, o, "svc", 0, (int32_t)nsvc - 1, &c->service) ||
        !fl_rd_f_strdup(rd, o, "version", true, &c->version) ||
        !fl_rd_f_strdup(rd, o, "change_id", true, &c->change_id) ||
        !fl_rd_f_strdup(rd, o, "author", true, &c->author) ||
        !fl_rd_f_u32s(rd, o, "vs", 4, c->vs))
        return false;
    if (c->vs[1] > c->vs[0] || c->vs[3] > c->vs[2])
        return fl_rd_fail(rd, "more errors than requests in the version split");
    c->kind = (fl_change_kind)kind;
    return true;
}

/* An array of strings under key: each fl_strndup'ed into out[*n] as read,
 * so a failure part-way leaves only counted strings to free. */
static bool unpack_strings(fl_rd *rd, const msgpack_object *map,
                           const char *key, uint32_t max, char **out,
                           uint32_t *nout)
{
    const msgpack_object *it;
    uint32_t n;
    if (!fl_rd_f_array(rd, map, key, 0, max, &it, &n))
        return false;
    for (uint32_t i = 0; i < n; i++) {
        size_t m = fl_rd_push(rd, ".%s[%" PRIu32 "]", key, i);
        const char *p = NULL;
        uint32_t len = 0;
        bool ok = fl_rd_string(rd, &it[i], FL_CKPT_STR_MAX, false, &p, &len);
        fl_rd_pop(rd, m);
        if (!ok)
            return false;
        out[(*nout)++] = fl_strndup(p, len);
    }
    return true;
}

static bool unpack_cause(fl_rd *rd, const fl_rca *r, const msgpack_object *o,
                         fl_cause *c, uint32_t nsvc)
{
    static const char *const keys[] = {"type", "svc",   "change",
                                       "at",   "score", "evidence", NULL};
    int32_t type;
    if (!fl_rd_map(rd, o, keys) ||
        !fl_rd_f_i32(rd, o, "type", FL_CAUSE_CHANGE, FL_CAUSE_SERVICE, &type) ||
        !fl_rd_f_i32(rd, o, "svc", 0, (int32_t)nsvc - 1, &c->service) ||
        !fl_rd_f_time(rd, o, "at", false, &c->at) ||
        !fl_rd_f_float(rd, o, "score", &c->score))
        return false;
    c->type = (fl_cause_type)type;
    const msgpack_object *ch = fl_rd_get(rd, o, "change");
    if (!ch)
        return false;
    size_t m = fl_rd_push(rd, ".change");
    if (c->type == FL_CAUSE_CHANGE) {
        uint64_t k;
        if (r->nchanges == 0)
            fl_rd_fail(rd, "a change cause, but no changes");
        else if (fl_rd_uint(rd, ch, r->nchanges - 1, &k))
            c->change = r->changes[k];
    } else if (ch->type != MSGPACK_OBJECT_NIL) {
        fl_rd_fail(rd, "a change index on a cause that is not a change");
    }
    fl_rd_pop(rd, m);
    if (rd->failed)
        return false;
    return unpack_strings(rd, o, "evidence", FL_EVIDENCE_MAX, c->evidence,
                          &c->nevidence);
}

static bool id_ok(const char *p, uint32_t n)
{
    if (n == 0 || n >= sizeof ((fl_incident *)0)->id)
        return false;
    for (uint32_t i = 0; i < n; i++) {
        char ch = p[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
              (ch >= '0' && ch <= '9') || ch == '-'))
            return false;
    }
    return true;
}

static bool unpack_incident(fl_rd *rd, const fl_rca *r,
                            const msgpack_object *o, fl_incident *inc,
                            uint32_t nsvc)
{
    const char *keys[16] = {
        "id",   "frozen", "state", "start",    "detected", "end",
        "anoms", "svcs",  "causes", "ruled",   "rank_sig"};
    uint32_t nk = 11;
    const char *id = NULL;
    uint32_t idn = 0;
    int32_t state;
    bool tpl = has_key(o, "tpl"), chart = has_key(o, "chart");
    bool eps = has_key(o, "eps");
    if (tpl)
        keys[nk++] = "tpl";
    if (chart)
        keys[nk++] = "chart";
    if (eps)
        keys[nk++] = "eps";
    keys[nk] = NULL;
    if (!fl_rd_map(rd, o, keys) || (tpl && !unpack_tpl(rd, o, inc, nsvc)))
        return false;
    size_t m = fl_rd_push(rd, ".id");
    if (fl_rd_string(rd, fl_rd_get(rd, o, "id"), 64, false, &id, &idn) &&
        !id_ok(id, idn))
        fl_rd_fail(rd, "not an incident id: \"%.*s\"", (int)idn, id);
    fl_rd_pop(rd, m);
    if (rd->failed)
        return false;
    memcpy(inc->id, id, idn);
    inc->id[idn] = '\0';
    if (!fl_rd_f_bool(rd, o, "frozen", &inc->id_frozen) ||
        !fl_rd_f_i32(rd, o, "state", FL_INCIDENT_OPEN, FL_INCIDENT_CLOSED,
                     &state) ||
        !fl_rd_f_time(rd, o, "start", false, &inc->start) ||
        !fl_rd_f_time(rd, o, "detected", false, &inc->detected) ||
        !fl_rd_f_time(rd, o, "end", true, &inc->end) ||
        !fl_rd_f_u64(rd, o, "rank_sig", &inc->rank_sig))
        return false;
    inc->state = (fl_incident_state)state;

    const msgpack_object *it;
    uint32_t n;
    if (!fl_rd_f_array(rd, o, "anoms", 1, UINT32_MAX, &it, &n))
        return false;
    inc->anoms = fl_calloc(n, sizeof *inc->anoms);
    inc->anoms_cap = n;
    for (uint32_t i = 0; i < n; i++) {
        m = fl_rd_push(rd, ".anoms[%" PRIu32 "]", i);
        bool ok = fl_anomaly_unpack(rd, &it[i], nsvc, &inc->anoms[i]);
        fl_rd_pop(rd, m);
        if (!ok)
            return false;
        inc->nanoms = i + 1;
    }

    if (!fl_rd_f_array(rd, o, "svcs", 0, inc->nanoms, &it, &n))
        return false;
    inc->services = fl_calloc((size_t)inc->nanoms + 1, sizeof *inc->services);
    for (uint32_t i = 0; i < n; i++) {
        int64_t s;
        m = fl_rd_push(rd, ".svcs[%" PRIu32 "]", i);
        bool ok = fl_rd_int(rd, &it[i], 0, (int64_t)nsvc - 1, &s);
        fl_rd_pop(rd, m);
        if (!ok)
            return false;
        inc->services[i] = (int32_t)s;
    }
    inc->nservices = n;
    if (chart && !unpack_charts(rd, o, inc, nsvc))
        return false;
    if (eps && !unpack_inc_eps(rd, o, inc, nsvc))
        return false;

    if (!fl_rd_f_array(rd, o, "causes", 0, r->conf.max_causes, &it, &n))
        return false;
    inc->causes = fl_calloc((size_t)n + 1, sizeof *inc->causes);
    inc->ncauses = n; /* zeroed causes hold nothing to free */
    for (uint32_t i = 0; i < n; i++) {
        m = fl_rd_push(rd, ".causes[%" PRIu32 "]", i);
        bool ok = unpack_cause(rd, r, &it[i], &inc->causes[i], nsvc);
        fl_rd_pop(rd, m);
        if (!ok)
            return false;
    }

    if (!fl_rd_f_array(rd, o, "ruled", 0, MAX_RULED, &it, &n))
        return false;
    inc->ruled_out = fl_calloc((size_t)n + 1, sizeof *inc->ruled_out);
    return unpack_strings(rd, o, "ruled", MAX_RULED, inc->ruled_out,
                          &inc->nruled);
}

bool fl_rca_unpack(fl_rca *r, const msgpack_object *o, char *errstr,
                   size_t errlen)
{
    static const char *const keys[] = {"v",       "changes", "incs",
                                       "pending", "edges",   "series", NULL};
    static const char *const keys_old[] = {"v",       "changes", "incs",
                                           "pending", "edges",   NULL};
    fl_rd rd;
    fl_rd_init(&rd, "rca", errstr, errlen);
    bool series = has_key(o, "series");
    if (r->nchanges || r->nincs || r->npending || r->nedges)
        return fl_rd_fail(&rd, "the RCA has already seen events");
    uint32_t nsvc = fl_intern_count(r->names);
    uint32_t v;
    if (!fl_rd_map(&rd, o, series ? keys : keys_old) ||
        !fl_rd_f_u32(&rd, o, "v", UINT32_MAX, &v))
        return false;
    if (v != LAYOUT_VERSION)
        return fl_rd_fail(&rd, "layout version %" PRIu32 ", this build reads "
                               "%d", v, LAYOUT_VERSION);

    /* changes first: causes refer to them by index */
    const msgpack_object *it;
    uint32_t n;
    if (!fl_rd_f_array(&rd, o, "changes", 0, UINT32_MAX / 2, &it, &n))
        return false;
    r->changes = fl_calloc((size_t)n + 1, sizeof *r->changes);
    r->changes_cap = n + 1;
    for (uint32_t i = 0; i < n; i++) {
        fl_change *c = fl_calloc(1, sizeof *c);
        r->changes[r->nchanges++] = c; /* owned by r from here */
        size_t m = fl_rd_push(&rd, ".changes[%" PRIu32 "]", i);
        bool ok = unpack_change(&rd, &it[i], c, nsvc);
        if (ok && i > 0 && c->ts < r->changes[i - 1]->ts)
            ok = fl_rd_fail(&rd, "out of time order");
        fl_rd_pop(&rd, m);
        if (!ok)
            return false;
    }

    if (!fl_rd_f_array(&rd, o, "incs", 0, UINT32_MAX / 2, &it, &n))
        return false;
    r->incs = fl_calloc((size_t)n + 1, sizeof *r->incs);
    r->incs_cap = n + 1;
    for (uint32_t i = 0; i < n; i++) {
        fl_incident *inc = fl_calloc(1, sizeof *inc);
        r->incs[r->nincs++] = inc; /* owned by r from here */
        size_t m = fl_rd_push(&rd, ".incs[%" PRIu32 "]", i);
        bool ok = unpack_incident(&rd, r, &it[i], inc, nsvc);
        fl_rd_pop(&rd, m);
        if (!ok)
            return false;
    }

    if (!fl_rd_f_array(&rd, o, "pending", 0, UINT32_MAX / 2, &it, &n))
        return false;
    r->pending = fl_calloc((size_t)n + 1, sizeof *r->pending);
    r->pending_cap = n + 1;
    for (uint32_t i = 0; i < n; i++) {
        size_t m = fl_rd_push(&rd, ".pending[%" PRIu32 "]", i);
        bool ok = fl_anomaly_unpack(&rd, &it[i], nsvc, &r->pending[i]);
        fl_rd_pop(&rd, m);
        if (!ok)
            return false;
        r->npending = i + 1;
    }

    if (!fl_rd_f_array(&rd, o, "edges", 0, FL_RCA_MAX_EDGES, &it, &n))
        return false;
    for (uint32_t i = 0; i < n; i++) {
        size_t m = fl_rd_push(&rd, ".edges[%" PRIu32 "]", i);
        const msgpack_object *pair;
        uint32_t two;
        int64_t from, to;
        if (fl_rd_array(&rd, &it[i], 2, 2, &pair, &two) &&
            fl_rd_int(&rd, &pair[0], 0, (int64_t)nsvc - 1, &from) &&
            fl_rd_int(&rd, &pair[1], 0, (int64_t)nsvc - 1, &to)) {
            if (from == to)
                fl_rd_fail(&rd, "an edge from a service to itself");
            else if (fl_rca_edge(r, (int32_t)from, (int32_t)to),
                     r->nedges != i + 1)
                fl_rd_fail(&rd, "duplicate edge");
        }
        fl_rd_pop(&rd, m);
        if (rd.failed)
            return false;
    }
    if (series) {
        if (!fl_rd_f_array(&rd, o, "series", 0, nsvc, &it, &n))
            return false;
        for (uint32_t i = 0; i < n; i++) {
            size_t m = fl_rd_push(&rd, ".series[%" PRIu32 "]", i);
            bool ok = unpack_svc_series(&rd, r, &it[i], nsvc);
            fl_rd_pop(&rd, m);
            if (!ok)
                return false;
        }
    }
    fl_rca_index_versions(r);
    return true;
}
