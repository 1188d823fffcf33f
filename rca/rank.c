/*
 * rank.c - scoring candidate causes. The model (docs/ARCHITECTURE.md has
 * the prose version) combines four things an engineer checks by hand:
 *
 *   root(s)    how much service s looks like where the incident began:
 *              exp(-(onset_s - T0) / 90 s) * (0.5 + 0.5 * magnitude_s)
 *              * (1 - 0.8 * propagated_s), normalised so the likeliest
 *              service has 1. magnitude_s compares s's error-rate rise and
 *              latency ratio with the largest in the incident;
 *              propagated_s is the share of s's errors whose lines name
 *              another anomalous service as the failing upstream.
 *   change     time fit exp(-dt / 15 min) between the change and its
 *              service's onset (0 if the change came after it), times
 *              root(service) when that service is anomalous and 0.1 when it
 *              stayed healthy (a change nobody suffered from is not
 *              blamed). When a surge coincides, a change at the root
 *              service gets a 60 min time constant: its fault could lie
 *              latent until the load arrived.
 *   surge      a request-rate rise whose onset precedes the impact:
 *              fit exp(-dt / 10 min) * (0.3 + 0.7 * size), size 1 at 3x;
 *              discounted by half the best change at a root service (then
 *              the surge is the trigger and the change the cause).
 *   service    for root services: 0.85 * root * (1 - best change there)
 *              * (1 - 0.5 * best change at another root service)
 *              * (1 - 0.7 * surge): what is left when no recorded change
 *              or surge explains the anomaly.
 *
 * Additions (docs/RANKING.md has the full model and why): the call graph
 * marks a caller of an earlier anomalous callee as 75% propagated; the
 * latest change of a root service keeps a tail 0.5 exp(-dt / 2 h); a change
 * at a caller can explain its broken callee with a tight fit (90 s, deploys
 * halved); the service score subtracts twice its own change's score.
 *
 * Candidates scoring under 0.05 are listed as ruled out, with the reason.
 */
#include "rca_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdarg.h>
#include <string.h>

#define SLACK (60 * FL_NS_PER_SEC)          /* onset estimates are coarse */
#define TAU_ONSET (90.0 * FL_NS_PER_SEC)
#define ONSET_TIE (30 * FL_NS_PER_SEC)
#define TAU_CHANGE (15.0 * 60 * FL_NS_PER_SEC)
#define TAU_CHANGE_LATENT (60.0 * 60 * FL_NS_PER_SEC)
#define TAU_SURGE (10.0 * 60 * FL_NS_PER_SEC)
/* the latest change of a failing service keeps some weight for hours: a
 * leak or a cache that slowly fills shows long after the deploy */
#define LATENT_W 0.5
#define TAU_LATENT_TAIL (120.0 * 60 * FL_NS_PER_SEC)
/* a change at a caller breaks its callee as soon as the new requests
 * arrive: only a tight time fit counts */
#define CALLER_W 0.9
#define TAU_CALLER (90.0 * FL_NS_PER_SEC)
/* a deploy of a caller more often breaks the caller itself than what it
 * calls; flags and config changes switch request behaviour at once */
#define CALLER_DEPLOY_W 0.5
#define MIN_SCORE 0.05
#define GRAPH_PROPAGATED 0.75

typedef struct {
    int32_t service;
    fl_time onset, shown; /* the same: kept apart in case ordering ever
                           * needs a corrected onset */
    double err_excess, lat_ratio, drop;
    double mag, propagated, root;
    int32_t blamed; /* service most of its errors name */
    bool by_graph;  /* blamed from the call graph, not from its lines */
    const fl_anomaly *err, *main;
} svc_view;

typedef struct {
    fl_cause c;
    int32_t explains; /* the anomalous service whose trouble it explains */
    double sort_key;
    uint32_t order; /* push order: canonical, since inputs are */
} cand;

static void fmt_pct(char *b, size_t n, double v)
{
    v *= 100;
    if (v < 1)
        snprintf(b, n, "%.2f%%", v);
    else if (v < 10)
        snprintf(b, n, "%.1f%%", v);
    else
        snprintf(b, n, "%.0f%%", v);
}

static void fmt_ms(char *b, size_t n, double v)
{
    if (v < 10)
        snprintf(b, n, "%.1f ms", v);
    else if (v < 1000)
        snprintf(b, n, "%.0f ms", v);
    else
        snprintf(b, n, "%.2f s", v / 1000);
}

static void fmt_rate(char *b, size_t n, double v)
{
    if (v < 10)
        snprintf(b, n, "%.1f/s", v);
    else
        snprintf(b, n, "%.0f/s", v);
}

/* "error rate rose from 0.30% to 21%" and the like. */
static void describe(char *out, size_t n, const fl_anomaly *a)
{
    char x[32], y[32];
    const char *verb = a->dir == FL_DIR_UP ? "rose" : "fell";
    switch (a->signal) {
    case FL_SIG_ERROR_RATE:
        fmt_pct(x, sizeof x, a->baseline);
        fmt_pct(y, sizeof y, a->peak);
        snprintf(out, n, "error rate %s from %s to %s", verb, x, y);
        break;
    case FL_SIG_LATENCY_P50:
    case FL_SIG_LATENCY_P95:
    case FL_SIG_LATENCY_P99:
        fmt_ms(x, sizeof x, a->baseline);
        fmt_ms(y, sizeof y, a->peak);
        snprintf(out, n, "%s latency %s from %s to %s",
                 a->signal == FL_SIG_LATENCY_P50   ? "p50"
                 : a->signal == FL_SIG_LATENCY_P95 ? "p95"
                                                   : "p99",
                 verb, x, y);
        break;
    case FL_SIG_METRIC:
        snprintf(out, n, "%.96s %s from %.4g to %.4g", a->metric, verb,
                 a->baseline, a->peak);
        break;
    default:
        fmt_rate(x, sizeof x, a->baseline);
        fmt_rate(y, sizeof y, a->peak);
        if (a->baseline > 0 && a->dir == FL_DIR_UP)
            snprintf(out, n, "request rate %s from %s to %s (x%.1f)", verb, x,
                     y, a->peak / a->baseline);
        else
            snprintf(out, n, "request rate %s from %s to %s", verb, x, y);
    }
}

void fl_cause_evidence(fl_cause *c, const char *fmt, ...)
{
    if (c->nevidence >= FL_EVIDENCE_MAX)
        return;
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    c->evidence[c->nevidence++] = fl_strndup(tmp, strlen(tmp));
}

static void add_ruled(fl_incident *inc, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void add_ruled(fl_incident *inc, const char *fmt, ...)
{
    if (inc->nruled >= 32)
        return;
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    inc->ruled_out =
        fl_realloc(inc->ruled_out, (inc->nruled + 1) * sizeof *inc->ruled_out);
    inc->ruled_out[inc->nruled++] = fl_strndup(tmp, strlen(tmp));
}

static svc_view *view_of(svc_view *v, uint32_t nv, int32_t service)
{
    for (uint32_t i = 0; i < nv; i++)
        if (v[i].service == service)
            return &v[i];
    return NULL;
}

/* Describes a change as "deploy v2.3.1 (chg-1a2b) of cart". */
static void change_name(const fl_rca *r, const fl_change *ch, char *b, size_t n)
{
    const char *svc = fl_rca_service_name(r, ch->service);
    const char *kind = fl_change_kind_name(ch->kind);
    if (ch->version && ch->change_id)
        snprintf(b, n, "%s %s (%s) of %s", kind, ch->version, ch->change_id, svc);
    else if (ch->version)
        snprintf(b, n, "%s %s of %s", kind, ch->version, svc);
    else if (ch->change_id)
        snprintf(b, n, "%s %s of %s", kind, ch->change_id, svc);
    else
        snprintf(b, n, "%s of %s", kind, svc);
}

/* Version split: the errors of ch's service since ch, on ch's version and
 * on the others (two-proportion z statistic). +1 when the errors are
 * concentrated on the new version (z >= 4 and at least twice the rate),
 * -1 when both saw plenty of requests and fail alike (|z| < 1), else 0. */
#define VS_MIN_REQ 20
static int version_split(const fl_change *ch, double *p_new, double *p_old)
{
    double n1 = ch->vs[0], e1 = ch->vs[1], n0 = ch->vs[2], e0 = ch->vs[3];
    if (n1 < VS_MIN_REQ || n0 < VS_MIN_REQ)
        return 0;
    *p_new = e1 / n1;
    *p_old = e0 / n0;
    double p = (e1 + e0) / (n1 + n0);
    double se = sqrt(p * (1 - p) * (1 / n1 + 1 / n0));
    if (se <= 0)
        return 0;
    double z = (*p_new - *p_old) / se;
    if (z >= 4 && *p_new >= 2 * *p_old)
        return 1;
    if (fabs(z) < 1 && n1 >= 5 * VS_MIN_REQ && n0 >= 5 * VS_MIN_REQ)
        return -1;
    return 0;
}

/* True when no other change of ch's service lies in (ch->ts, until]. */
static bool latest_change(const fl_rca *r, const fl_change *ch, fl_time until)
{
    for (uint32_t i = 0; i < r->nchanges; i++) {
        const fl_change *o = r->changes[i];
        if (o != ch && o->service == ch->service && o->ts >= ch->ts &&
            o->ts <= until && (o->ts > ch->ts || o > ch))
            return false;
    }
    return true;
}

/* The failing callee a change at `caller` could explain: a root service
 * (root >= 0.5) that `caller` calls, none of whose other anomalous callers
 * is independent of `caller` (a callee failing for callers that did not
 * change is not explained by this one). NULL when there is none. */
static const svc_view *broken_callee(const fl_rca *r, const svc_view *v,
                                     uint32_t nv, int32_t caller)
{
    const svc_view *best = NULL;
    for (uint32_t i = 0; i < nv; i++) {
        const svc_view *R = &v[i];
        if (R->service == caller || R->root < 0.5 ||
            !fl_rca_calls(r, caller, R->service))
            continue;
        bool others = false;
        for (uint32_t k = 0; k < nv && !others; k++) {
            int32_t o = v[k].service;
            others = o != caller && o != R->service &&
                     fl_rca_calls(r, o, R->service) &&
                     !fl_rca_calls(r, caller, o) && !fl_rca_calls(r, o, caller);
        }
        if (!others && (!best || R->root > best->root))
            best = R;
    }
    return best;
}

static int cand_cmp(const void *x, const void *y)
{
    const cand *a = x, *b = y;
    if (a->sort_key != b->sort_key)
        return a->sort_key > b->sort_key ? -1 : 1;
    /* deterministic tie-break: earlier first, then kind, then the cause's
     * position in canonical order (set by the caller) */
    if (a->c.at != b->c.at)
        return a->c.at < b->c.at ? -1 : 1;
    if (a->c.type != b->c.type)
        return a->c.type < b->c.type ? -1 : 1;
    return a->order < b->order ? -1 : a->order > b->order;
}

/* A change's identity in the ranking's signature: its content, not its
 * address, so the signature means the same after a checkpoint restore. */
static int64_t change_ident(const fl_change *ch)
{
    int64_t head[3] = {ch->ts, ch->kind, ch->service};
    uint64_t h = fl_hash64(head, sizeof head, 0);
    const char *strs[3] = {ch->version, ch->change_id, ch->author};
    for (int i = 0; i < 3; i++) {
        const char *s = strs[i] ? strs[i] : "";
        h = fl_hash64(s, strlen(s) + 1, h);
    }
    return (int64_t)h;
}

void fl_rank_incident(fl_rca *r, fl_incident *inc)
{
    fl_incident_clear_causes(inc);
    char hms[16], dur[32], what[160], cname[200];

    /* ---- per-service view of the impact */
    svc_view *v = fl_calloc(inc->nanoms + 1, sizeof *v);
    uint32_t nv = 0;
    fl_time t0 = INT64_MAX;
    for (uint32_t i = 0; i < inc->nanoms; i++) {
        const fl_anomaly *a = &inc->anoms[i];
        if (!fl_anomaly_is_impact(a))
            continue;
        svc_view *s = view_of(v, nv, a->service);
        if (!s) {
            s = &v[nv++];
            s->service = a->service;
            s->onset = INT64_MAX;
            s->shown = a->onset;
            s->blamed = -1;
        }
        if (a->onset < s->shown)
            s->shown = a->onset;
        fl_time on = a->onset;
        if (on < s->onset)
            s->onset = on;
        if (on < t0)
            t0 = on;
        if (a->signal == FL_SIG_ERROR_RATE) {
            s->err = a;
            s->err_excess = FL_MAX(0, a->peak - a->baseline);
        } else if (a->signal == FL_SIG_REQUEST_RATE) {
            if (a->baseline > 0 && a->peak >= 0)
                s->drop = log(a->baseline / FL_MAX(a->peak, a->baseline / 100));
        } else if (a->baseline > 0 && a->peak > a->baseline) {
            double lr = log(a->peak / a->baseline);
            if (lr > s->lat_ratio)
                s->lat_ratio = lr;
        }
        /* the anomaly that best shows what happened to s */
        if (!s->main || a->signal == FL_SIG_ERROR_RATE ||
            (s->main->signal != FL_SIG_ERROR_RATE && a->severity > s->main->severity))
            s->main = a;
    }
    if (nv == 0) {
        free(v);
        return;
    }
    double max_err = 0, max_lat = 0, max_drop = 0;
    for (uint32_t i = 0; i < nv; i++) {
        max_err = FL_MAX(max_err, v[i].err_excess);
        max_lat = FL_MAX(max_lat, v[i].lat_ratio);
        max_drop = FL_MAX(max_drop, v[i].drop);
    }
    double max_root = 0;
    for (uint32_t i = 0; i < nv; i++) {
        svc_view *s = &v[i];
        double m = 0;
        if (max_err > 0)
            m = FL_MAX(m, s->err_excess / max_err);
        if (max_lat > 0)
            m = FL_MAX(m, s->lat_ratio / max_lat);
        if (max_drop > 0 && max_err == 0 && max_lat == 0)
            m = FL_MAX(m, s->drop / max_drop);
        s->mag = m;
        /* errors that name another anomalous service as the failing callee */
        if (s->err && s->err->errors > 0) {
            uint32_t best = 0;
            for (int k = 0; k < FL_BLAME_MAX; k++) {
                int32_t up = s->err->blame[k].service;
                uint32_t e = s->err->blame[k].errors;
                if (e > best && up >= 0 && up != s->service &&
                    view_of(v, nv, up)) {
                    best = e;
                    s->blamed = up;
                }
            }
            uint64_t total = s->err->errors;
            s->propagated = total ? FL_MIN(1.0, (double)best / (double)total) : 0;
        }
    }
    /* the call graph says the same when lines do not name the callee (or
     * named it only after the alarm): s calls a service whose trouble is at
     * least half the incident's worst and began no later than s's */
    for (uint32_t i = 0; i < nv; i++) {
        svc_view *s = &v[i];
        for (uint32_t k = 0; k < nv; k++) {
            const svc_view *o = &v[k];
            if (o != s && o->mag >= 0.5 && o->onset <= s->onset + ONSET_TIE &&
                fl_rca_calls(r, s->service, o->service)) {
                if (s->propagated < GRAPH_PROPAGATED) {
                    s->propagated = GRAPH_PROPAGATED;
                    s->blamed = o->service;
                    s->by_graph = true;
                }
            }
        }
    }
    for (uint32_t i = 0; i < nv; i++) {
        svc_view *s = &v[i];
        /* onsets are estimated to a bucket or two: closer than ONSET_TIE
         * says nothing about which came first */
        double dt = (double)FL_MAX(0, s->onset - t0 - ONSET_TIE);
        s->root = exp(-dt / TAU_ONSET) * (0.5 + 0.5 * s->mag) *
                  (1 - 0.8 * s->propagated);
        max_root = FL_MAX(max_root, s->root);
    }
    for (uint32_t i = 0; i < nv; i++)
        v[i].root = max_root > 0 ? v[i].root / max_root : 0;

    cand *cs = NULL;
    uint32_t ncs = 0, cap = 0;
#define PUSH_CAND()                                                         \
    do {                                                                    \
        if (ncs == cap) {                                                   \
            cap = cap ? cap * 2 : 8;                                        \
            cs = fl_realloc(cs, cap * sizeof *cs);                          \
        }                                                                   \
        memset(&cs[ncs], 0, sizeof cs[ncs]);                                \
        cs[ncs].order = ncs;                                                \
        ncs++;                                                              \
    } while (0)

    /* ---- traffic surge: where demand rose before the impact. Demand
     * spreads down the call graph within a bucket, so onsets tie; the
     * entry is the surging service that no other surging service calls
     * (edges from the logs), then the earliest, then the largest rise. */
    const fl_anomaly *surge = NULL;
    double surge_base = 0;
    uint32_t nsurging = 0;
    for (uint32_t i = 0; i < inc->nanoms; i++) {
        const fl_anomaly *a = &inc->anoms[i];
        if (fl_anomaly_is_impact(a) || a->signal != FL_SIG_REQUEST_RATE)
            continue;
        /* it must not come after the trouble it could explain: where the
         * graph knows the surging service, the trouble of the services its
         * traffic reaches (another part of the system may have failed
         * earlier, or its onset be estimated early); else any trouble */
        bool known = false, reaches = false;
        fl_time first = INT64_MAX;
        for (uint32_t k = 0; k < nv; k++)
            if (fl_rca_reaches(r, a->service, v[k].service, &known)) {
                reaches = true;
                first = FL_MIN(first, v[k].onset);
            }
        if (known && !reaches)
            continue; /* the other entry's noise is not this surge */
        if (a->onset > (known ? first : t0) + 2 * SLACK)
            continue;
        nsurging++;
        bool called = false;
        for (uint32_t k = 0; k < inc->nanoms && !called; k++) {
            const fl_anomaly *o = &inc->anoms[k];
            called = o != a && o->signal == FL_SIG_REQUEST_RATE &&
                     o->dir == FL_DIR_UP && o->service != a->service &&
                     fl_rca_calls(r, o->service, a->service);
        }
        if (called)
            continue;
        double ratio = a->baseline > 0 ? a->peak / a->baseline : 1;
        double size = FL_MIN(1.0, FL_MAX(0.0, (ratio - 1) / 2));
        double dt = (double)FL_MAX(0, t0 - a->onset);
        double base = exp(-dt / TAU_SURGE) * (0.3 + 0.7 * size);
        bool better = !surge || a->onset < surge->onset - ONSET_TIE ||
                      (a->onset <= surge->onset + ONSET_TIE &&
                       a->peak - a->baseline > surge->peak - surge->baseline);
        if (better) {
            surge = a;
            surge_base = base;
        }
    }

    /* ---- changes */
    double best_root_change = 0;
    for (uint32_t i = 0; i < r->nchanges; i++) {
        const fl_change *ch = r->changes[i];
        if (ch->ts < t0 - r->conf.lookback)
            continue;
        change_name(r, ch, cname, sizeof cname);
        fl_time_hms(ch->ts, hms, sizeof hms);
        svc_view *s = view_of(v, nv, ch->service);
        fl_time ref = s ? s->onset : t0;
        if (ch->ts > ref + SLACK) {
            if (inc->end == FL_TIME_NONE || ch->ts <= inc->end)
                add_ruled(inc, "%s at %s came after the onset (%s): a response, "
                               "not a cause",
                          cname, hms,
                          fl_duration_human(ch->ts - t0, dur, sizeof dur));
            continue;
        }
        double dt = (double)FL_MAX(0, ref - ch->ts);
        bool latent = surge && surge_base >= 0.5 && s && s->root >= 0.5;
        double fit = exp(-dt / (latent ? TAU_CHANGE_LATENT : TAU_CHANGE));
        /* the last change of a failing root service keeps a long tail */
        bool tail = false;
        if (s && s->root >= 0.5 && latest_change(r, ch, ref + SLACK)) {
            double ft = LATENT_W * exp(-dt / TAU_LATENT_TAIL);
            if (ft > fit) {
                fit = ft;
                tail = true;
            }
        }
        double loc = s ? s->root : 0.1;
        double kindw = ch->kind == FL_CHANGE_ROLLBACK ? 0.6 : 1.0;
        double score = fit * loc * kindw;
        /* errors concentrated on the new version say "this change" more
         * directly than time or place can; errors alike on every version
         * say the trouble is not in it */
        double p_new = 0, p_old = 0;
        int split = s && s->err ? version_split(ch, &p_new, &p_old) : 0;
        if (split > 0)
            score = FL_MAX(score, 0.9 * kindw);
        else if (split < 0)
            score *= 0.5;
        int32_t explains = s ? ch->service : -1;
        /* or the change made the service call a callee in a way that
         * breaks it: tight time fit, discounted by the callee's own
         * change */
        const svc_view *callee = broken_callee(r, v, nv, ch->service);
        double via = 0;
        if (callee && ch->ts <= callee->onset + SLACK) {
            double own = 0;
            for (uint32_t k = 0; k < r->nchanges; k++) {
                const fl_change *o = r->changes[k];
                if (o->service != callee->service || o->ts > callee->onset + SLACK ||
                    o->ts < t0 - r->conf.lookback)
                    continue;
                double odt = (double)FL_MAX(0, callee->onset - o->ts);
                own = FL_MAX(own, FL_MAX(exp(-odt / TAU_CHANGE),
                                         LATENT_W * exp(-odt / TAU_LATENT_TAIL)));
            }
            double cdt = (double)FL_MAX(0, callee->onset - ch->ts - ONSET_TIE);
            double cw = ch->kind == FL_CHANGE_FLAG || ch->kind == FL_CHANGE_CONFIG
                            ? CALLER_W
                            : CALLER_W * CALLER_DEPLOY_W;
            via = cw * exp(-cdt / TAU_CALLER) * callee->root * (1 - own) * kindw;
            if (via > score) {
                score = via;
                explains = callee->service;
            } else {
                via = 0;
            }
        }
        if (score < MIN_SCORE) {
            if (!s)
                add_ruled(inc, "%s at %s: %s stayed healthy", cname, hms,
                          fl_rca_service_name(r, ch->service));
            else if (fit < 0.2)
                add_ruled(inc, "%s at %s: %s before the onset, too early to "
                               "explain it", cname, hms,
                          fl_duration_human(ref - ch->ts, dur, sizeof dur));
            else
                add_ruled(inc, "%s at %s: %s's trouble came from elsewhere",
                          cname, hms, fl_rca_service_name(r, ch->service));
            continue;
        }
        PUSH_CAND();
        cs[ncs - 1].explains = explains;
        fl_cause *c = &cs[ncs - 1].c;
        c->type = FL_CAUSE_CHANGE;
        c->service = ch->service;
        c->change = ch;
        c->at = ch->ts;
        c->score = score;
        const char *svc = fl_rca_service_name(r, ch->service);
        if (via > 0) {
            const char *cn = fl_rca_service_name(r, callee->service);
            describe(what, sizeof what, callee->main);
            fl_cause_evidence(c, "%s at %s, %s before %s's %s", cname, hms,
                         fl_duration_human(callee->onset - ch->ts, dur, sizeof dur),
                         cn, what);
            fl_cause_evidence(c, "%s calls %s, where the incident began; no change "
                            "of %s explains it, and no caller that did not "
                            "change suffers from it", svc, cn, cn);
        } else if (s) {
            describe(what, sizeof what, s->main);
            fl_cause_evidence(c, "%s at %s, %s before %s's %s", cname, hms,
                         fl_duration_human(ref - ch->ts, dur, sizeof dur), svc,
                         what);
            if (s->root >= 0.999 && nv > 1)
                fl_cause_evidence(c, "%s is where the incident began: earliest and "
                                "strongest of the %u services whose errors or "
                                "latency rose", svc, nv);
            else if (s->root < 0.5)
                fl_cause_evidence(c, "but %s looks downstream of the trouble "
                                "(root likelihood %.2f)", svc, s->root);
            if (s->err && s->err->errors > s->err->expected_errors)
                fl_cause_evidence(c, "%.0f failed requests above baseline in %s",
                             (double)s->err->errors - s->err->expected_errors,
                             svc);
            if (split > 0)
                fl_cause_evidence(c, "errors concentrated on %s: %.1f%% of its "
                                "%u requests failed, %.2f%% on other versions",
                             ch->version, 100 * p_new, ch->vs[0], 100 * p_old);
            else if (split < 0)
                fl_cause_evidence(c, "but %s's other versions fail as often "
                                "(%.2f%% on %s, %.2f%% elsewhere)",
                             svc, 100 * p_new, ch->version, 100 * p_old);
            if (tail)
                fl_cause_evidence(c, "the last change of %s before its trouble: a "
                                "fault that builds up (a leak, a filling "
                                "cache) shows late", svc);
            if (latent) {
                describe(what, sizeof what, surge);
                fl_cause_evidence(c, "%s broke when traffic surged at %s (%s): the "
                                "change could not absorb the load", svc,
                             fl_rca_service_name(r, surge->service), what);
            }
        } else {
            fl_cause_evidence(c, "%s at %s, %s before the onset; %s itself stayed "
                            "healthy", cname, hms,
                         fl_duration_human(t0 - ch->ts, dur, sizeof dur), svc);
        }
        if (ch->author)
            fl_cause_evidence(c, "made by %s", ch->author);
        cs[ncs - 1].sort_key = score;
        if (explains >= 0 && view_of(v, nv, explains)->root >= 0.5 &&
            score > best_root_change)
            best_root_change = score;
    }

    /* ---- the surge as a cause */
    double surge_score = 0;
    if (surge) {
        surge_score = surge_base * (1 - 0.5 * best_root_change);
        if (surge_score >= MIN_SCORE) {
            PUSH_CAND();
            fl_cause *c = &cs[ncs - 1].c;
            c->type = FL_CAUSE_SURGE;
            c->service = surge->service;
            c->at = surge->onset;
            c->score = surge_score;
            describe(what, sizeof what, surge);
            fl_time_hms(surge->onset, hms, sizeof hms);
            fl_cause_evidence(c, "%s at %s: %s", fl_rca_service_name(r, surge->service),
                         hms, what);
            if (nsurging > 1)
                fl_cause_evidence(c, "%u services saw the surge; %s is where it "
                                "enters (no other surging service calls it)",
                             nsurging, fl_rca_service_name(r, surge->service));
            if (surge->onset <= t0)
                fl_cause_evidence(c, "the surge began %s before the first failure",
                             fl_duration_human(t0 - surge->onset, dur, sizeof dur));
            else
                fl_cause_evidence(c, "the surge began with the failures (%s after "
                                "the estimated onset)",
                             fl_duration_human(surge->onset - t0, dur, sizeof dur));
            for (uint32_t i = 0; i < nv; i++)
                if (v[i].root >= 0.999) {
                    describe(what, sizeof what, v[i].main);
                    fl_cause_evidence(c, "%s could not absorb it: %s",
                                 fl_rca_service_name(r, v[i].service), what);
                    break;
                }
            if (best_root_change > 0)
                fl_cause_evidence(c, "contributing: a recent change at the failing "
                                "service ranks as the likelier cause");
            cs[ncs - 1].sort_key = surge_score;
        }
    }

    /* ---- services no change explains */
    for (uint32_t i = 0; i < nv; i++) {
        svc_view *s = &v[i];
        if (s->root < 0.5)
            continue;
        double explained = 0, elsewhere = 0;
        for (uint32_t k = 0; k < ncs; k++) {
            if (cs[k].c.type != FL_CAUSE_CHANGE)
                continue;
            if (cs[k].explains == s->service)
                /* a recorded change of the service itself is the likelier
                 * story (most incidents follow a change): twice its score */
                explained = FL_MAX(explained, cs[k].c.service == s->service
                                                  ? 2 * cs[k].c.score
                                                  : cs[k].c.score);
            else
                elsewhere = FL_MAX(elsewhere, cs[k].c.score);
        }
        double score = 0.85 * s->root * FL_MAX(0.0, 1 - explained) *
                       (1 - 0.5 * elsewhere) * (1 - 0.7 * surge_base);
        const char *svc = fl_rca_service_name(r, s->service);
        if (score < MIN_SCORE)
            continue;
        PUSH_CAND();
        fl_cause *c = &cs[ncs - 1].c;
        c->type = FL_CAUSE_SERVICE;
        c->service = s->service;
        c->at = s->shown;
        c->score = score;
        describe(what, sizeof what, s->main);
        fl_time_hms(s->shown, hms, sizeof hms);
        fl_cause_evidence(c, "%s's %s from %s", svc, what, hms);
        if (nv > 1 && s->root >= 0.999)
            fl_cause_evidence(c, "%s's anomaly began first and is the strongest of the "
                            "%u services whose errors or latency rose", svc, nv);
        /* who suffers because of it */
        for (uint32_t k = 0; k < nv; k++) {
            if (v[k].blamed == s->service && v[k].by_graph) {
                fl_cause_evidence(c, "%s calls %s and its trouble began no earlier",
                             fl_rca_service_name(r, v[k].service), svc);
            } else if (v[k].blamed == s->service && v[k].err) {
                fl_cause_evidence(c, "%.0f%% of %s's errors name %s as the failing "
                                "upstream", 100 * v[k].propagated,
                             fl_rca_service_name(r, v[k].service), svc);
            }
        }
        if (explained == 0)
            fl_cause_evidence(c, "no recorded change to %s in the %s before", svc,
                         fl_duration_human(r->conf.lookback, dur, sizeof dur));
        cs[ncs - 1].sort_key = score;
    }

    qsort(cs, ncs, sizeof *cs, cand_cmp);
    uint32_t keep = FL_MIN(ncs, r->conf.max_causes);
    inc->causes = fl_calloc(keep + 1, sizeof *inc->causes);
    for (uint32_t i = 0; i < ncs; i++) {
        if (i < keep) {
            inc->causes[i] = cs[i].c;
        } else {
            for (uint32_t k = 0; k < cs[i].c.nevidence; k++)
                free(cs[i].c.evidence[k]);
        }
    }
    inc->ncauses = keep;
    /* the ranking's signature: kinds, services, refs and scores to 0.05 */
    uint64_t sig = keep;
    for (uint32_t i = 0; i < keep; i++) {
        const fl_cause *c = &inc->causes[i];
        int64_t parts[4] = {c->type, c->service,
                            c->change ? change_ident(c->change) : 0,
                            (int64_t)llround(c->score * 20)};
        sig = fl_hash64(parts, sizeof parts, sig);
    }
    inc->rank_sig = sig;
    fl_rank_templates(r, inc); /* rank_tpl.c: log-template evidence */
    free(cs);
    free(v);
#undef PUSH_CAND
}

const char *fl_cause_kind(const fl_cause *c)
{
    switch (c->type) {
    case FL_CAUSE_CHANGE: return fl_change_kind_name(c->change->kind);
    case FL_CAUSE_SURGE: return "traffic_surge";
    case FL_CAUSE_SERVICE: return "service";
    }
    return "service";
}

void fl_cause_ref(const fl_cause *c, char *buf, size_t n)
{
    buf[0] = '\0';
    if (c->type != FL_CAUSE_CHANGE)
        return;
    const fl_change *ch = c->change;
    if (ch->version && ch->change_id)
        snprintf(buf, n, "%s %s", ch->version, ch->change_id);
    else if (ch->version)
        snprintf(buf, n, "%s", ch->version);
    else if (ch->change_id)
        snprintf(buf, n, "%s", ch->change_id);
}
