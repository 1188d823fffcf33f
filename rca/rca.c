/*
 * rca.c - grouping anomalies into incidents and keeping the change index.
 *
 * An incident opens on an impact anomaly (errors or latency rising, traffic
 * vanishing); a request-rate rise alone is context, not an incident: it is
 * kept aside and attached as a candidate cause when an incident opens near
 * it. Anomalies whose onset falls within `join` of an open incident's
 * active span join it, across services. An incident closes (and is ranked
 * for good) once all its anomalies have ended and the watermark is `join`
 * past the last end, so a late-detected sibling can still join.
 */
#include "rca_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fl_rca_conf_default(fl_rca_conf *c)
{
    c->lookback = 2 * 3600 * FL_NS_PER_SEC;
    c->join = 5 * 60 * FL_NS_PER_SEC;
    c->surge_window = 30 * 60 * FL_NS_PER_SEC;
    c->max_causes = 5;
}

/* Errors and latency rising are impact; so is traffic that mostly
 * vanishes (to a third or less: clients cannot reach the service). A surge,
 * or a milder dip (traffic wanders by half over minutes in quiet services),
 * is context: it can explain an incident but does not make one. */
bool fl_anomaly_is_impact(const fl_anomaly *a)
{
    if (a->signal != FL_SIG_REQUEST_RATE)
        return true;
    return a->dir == FL_DIR_DOWN && a->peak <= a->baseline / 3;
}

fl_rca *fl_rca_new(const fl_rca_conf *conf, const fl_intern *names,
                   fl_incident_cb on_change, void *ud)
{
    fl_rca *r = fl_calloc(1, sizeof *r);
    r->conf = *conf;
    r->names = names;
    r->on_change = on_change;
    r->ud = ud;
    return r;
}

void fl_incident_clear_causes(fl_incident *inc)
{
    for (uint32_t i = 0; i < inc->ncauses; i++)
        for (uint32_t k = 0; k < inc->causes[i].nevidence; k++)
            free(inc->causes[i].evidence[k]);
    free(inc->causes);
    inc->causes = NULL;
    inc->ncauses = 0;
    for (uint32_t i = 0; i < inc->nruled; i++)
        free(inc->ruled_out[i]);
    free(inc->ruled_out);
    inc->ruled_out = NULL;
    inc->nruled = 0;
}

void fl_rca_destroy(fl_rca *r)
{
    if (!r)
        return;
    for (uint32_t i = 0; i < r->nchanges; i++) {
        free(r->changes[i]->version);
        free(r->changes[i]->change_id);
        free(r->changes[i]->author);
        free(r->changes[i]);
    }
    free(r->changes);
    free(r->latest);
    free(r->traces);
    fl_series_free(r);
    for (uint32_t i = 0; i < r->nincs; i++) {
        fl_incident *inc = r->incs[i];
        fl_incident_clear_causes(inc);
        free(inc->anoms);
        free(inc->services);
        free(inc);
    }
    free(r->incs);
    free(r->pending);
    free(r->edges);
    free(r);
}

const char *fl_rca_service_name(const fl_rca *r, int32_t id)
{
    return fl_intern_name(r->names, id);
}

uint64_t fl_rca_changes_seen(const fl_rca *r) { return r->nchanges; }
uint32_t fl_rca_count(const fl_rca *r) { return r->nincs; }
const fl_incident *fl_rca_get(const fl_rca *r, uint32_t i)
{
    return i < r->nincs ? r->incs[i] : NULL;
}

static char *dup_str(fl_str s)
{
    return s.n ? fl_strndup(s.p, s.n) : NULL;
}

/* Re-ranks an open incident and tells the sink when the ranked causes
 * changed (a new candidate, a new order, a new top score bracket). */
static void rerank(fl_rca *r, fl_incident *inc)
{
    uint64_t before = inc->rank_sig;
    fl_rank_incident(r, inc);
    if (inc->rank_sig != before && inc->id_frozen && r->on_change)
        r->on_change(r->ud, inc);
}

void fl_rca_change(fl_rca *r, const fl_event *ev, int32_t service)
{
    fl_change *c = fl_calloc(1, sizeof *c);
    c->ts = ev->ts;
    c->kind = ev->change_kind;
    c->service = service;
    c->version = dup_str(ev->version);
    c->change_id = dup_str(ev->change_id);
    c->author = dup_str(ev->author);
    if (r->nchanges == r->changes_cap) {
        r->changes_cap = r->changes_cap ? r->changes_cap * 2 : 32;
        r->changes = fl_realloc(r->changes, r->changes_cap * sizeof *r->changes);
    }
    /* keep sorted by time; inputs are nearly sorted, so insert from the end */
    uint32_t i = r->nchanges++;
    while (i > 0 && (r->changes[i - 1]->ts > c->ts ||
                     (r->changes[i - 1]->ts == c->ts &&
                      strcmp(fl_intern_name(r->names, r->changes[i - 1]->service),
                             fl_intern_name(r->names, c->service)) > 0))) {
        r->changes[i] = r->changes[i - 1];
        i--;
    }
    r->changes[i] = c;
    fl_rca_index_versions(r);
    /* an open incident may gain a candidate: re-rank it */
    for (uint32_t k = 0; k < r->nincs; k++)
        if (r->incs[k]->state == FL_INCIDENT_OPEN &&
            c->ts <= r->incs[k]->start + r->conf.join)
            rerank(r, r->incs[k]);
}

/* The latest change of each service: a versioned deploy or rollback is the
 * one whose version split is counted; any later change ends counting for
 * it (then the service's version mix has another cause). */
void fl_rca_index_versions(fl_rca *r)
{
    for (uint32_t i = 0; i < r->nlatest; i++)
        r->latest[i] = NULL;
    for (uint32_t i = 0; i < r->nchanges; i++) {
        fl_change *c = r->changes[i];
        if (c->service < 0)
            continue;
        if ((uint32_t)c->service >= r->nlatest) {
            uint32_t n = (uint32_t)c->service + 1;
            n = FL_MAX(n, r->nlatest * 2);
            r->latest = fl_realloc(r->latest, n * sizeof *r->latest);
            for (uint32_t k = r->nlatest; k < n; k++)
                r->latest[k] = NULL;
            r->nlatest = n;
        }
        r->latest[c->service] = c; /* in time order: the last wins */
    }
}

void fl_rca_request(fl_rca *r, int32_t svc, fl_str version, fl_time ts,
                    bool error)
{
    if (svc < 0 || (uint32_t)svc >= r->nlatest || !version.n)
        return;
    fl_change *c = r->latest[svc];
    if (!c || !c->version ||
        (c->kind != FL_CHANGE_DEPLOY && c->kind != FL_CHANGE_ROLLBACK) ||
        ts < c->ts || ts > c->ts + r->conf.lookback)
        return;
    bool mine = strlen(c->version) == version.n &&
                memcmp(c->version, version.p, version.n) == 0;
    uint32_t *v = &c->vs[mine ? 0 : 2];
    if (v[0] < UINT32_MAX) {
        v[0]++;
        v[1] += error;
    }
}

void fl_rca_trace(fl_rca *r, fl_str id, int32_t svc, double lat, fl_time ts)
{
    if (svc < 0 || !id.n || isnan(lat))
        return;
    if (!r->traces)
        r->traces = fl_calloc(FL_RCA_TRACE_SLOTS, sizeof *r->traces);
    uint64_t h = fl_hash64(id.p, id.n, 0x7472616365ULL) | 1;
    struct fl_trace_slot *s = &r->traces[h % FL_RCA_TRACE_SLOTS];
    if (s->hash == h && s->service != svc &&
        llabs(s->ts - ts) <= 60 * FL_NS_PER_SEC && s->latency_ms != lat) {
        if (lat > s->latency_ms)
            fl_rca_edge(r, svc, s->service);
        else
            fl_rca_edge(r, s->service, svc);
    }
    s->hash = h;
    s->service = svc;
    s->latency_ms = lat;
    s->ts = ts;
}

static uint64_t edge_key(int32_t caller, int32_t callee)
{
    /* +1 so that 0 marks an empty slot */
    return (((uint64_t)(uint32_t)caller << 32) | (uint32_t)callee) + 1;
}

static bool edge_find(const fl_rca *r, uint64_t key, uint32_t *slot)
{
    uint32_t mask = r->edges_cap - 1;
    uint32_t i = (uint32_t)fl_hash64(&key, sizeof key, 0) & mask;
    while (r->edges[i]) {
        if (r->edges[i] == key) {
            *slot = i;
            return true;
        }
        i = (i + 1) & mask;
    }
    *slot = i;
    return false;
}

void fl_rca_edge(fl_rca *r, int32_t caller, int32_t callee)
{
    if (caller < 0 || callee < 0 || caller == callee)
        return;
    uint64_t key = edge_key(caller, callee);
    uint32_t slot;
    if (r->edges_cap && edge_find(r, key, &slot))
        return;
    if (r->nedges >= FL_RCA_MAX_EDGES)
        return;
    if ((r->nedges + 1) * 2 > r->edges_cap) {
        uint32_t cap = r->edges_cap ? r->edges_cap * 2 : 64;
        uint64_t *old = r->edges;
        uint32_t oldcap = r->edges_cap;
        r->edges = fl_calloc(cap, sizeof *r->edges);
        r->edges_cap = cap;
        for (uint32_t i = 0; i < oldcap; i++)
            if (old[i]) {
                edge_find(r, old[i], &slot);
                r->edges[slot] = old[i];
            }
        free(old);
    }
    edge_find(r, key, &slot);
    r->edges[slot] = key;
    r->nedges++;
}

bool fl_rca_calls(const fl_rca *r, int32_t caller, int32_t callee)
{
    uint32_t slot;
    return r->edges_cap && edge_find(r, edge_key(caller, callee), &slot);
}

uint32_t fl_rca_changes_between(const fl_rca *r, fl_time from, fl_time to,
                                const fl_change **out, uint32_t max)
{
    uint32_t k = 0;
    for (uint32_t i = 0; i < r->nchanges && k < max; i++)
        if (r->changes[i]->ts >= from && r->changes[i]->ts <= to)
            out[k++] = r->changes[i];
    return k;
}

/* ------------------------------------------------------------ incidents */

static fl_time active_until(const fl_incident *inc)
{
    fl_time t = inc->start;
    for (uint32_t i = 0; i < inc->nanoms; i++) {
        const fl_anomaly *a = &inc->anoms[i];
        if (a->end == FL_TIME_NONE)
            return INT64_MAX;
        if (a->end > t)
            t = a->end;
    }
    return t;
}

/* The canonical order of anomalies in an incident: onset, then service
 * name, signal, direction. Arrival order (which differs between a replay's
 * merge and Kafka partitions) must never show in the result. */
static int anomaly_cmp(const fl_rca *r, const fl_anomaly *a, const fl_anomaly *b)
{
    if (a->onset != b->onset)
        return a->onset < b->onset ? -1 : 1;
    int c = strcmp(fl_intern_name(r->names, a->service),
                   fl_intern_name(r->names, b->service));
    if (c)
        return c;
    if (a->signal != b->signal)
        return a->signal < b->signal ? -1 : 1;
    if ((c = strcmp(a->metric, b->metric)) != 0)
        return c;
    if (a->dir != b->dir)
        return a->dir < b->dir ? -1 : 1;
    return a->detected < b->detected ? -1 : a->detected > b->detected;
}

static void add_anomaly(const fl_rca *r, fl_incident *inc, const fl_anomaly *a)
{
    if (inc->nanoms == inc->anoms_cap) {
        inc->anoms_cap = inc->anoms_cap ? inc->anoms_cap * 2 : 8;
        inc->anoms = fl_realloc(inc->anoms, inc->anoms_cap * sizeof *inc->anoms);
    }
    uint32_t i = inc->nanoms++;
    while (i > 0 && anomaly_cmp(r, &inc->anoms[i - 1], a) > 0) {
        inc->anoms[i] = inc->anoms[i - 1];
        i--;
    }
    inc->anoms[i] = *a;
}

static fl_anomaly *find_anomaly(fl_incident *inc, uint32_t seq)
{
    for (uint32_t i = 0; i < inc->nanoms; i++)
        if (inc->anoms[i].seq == seq)
            return &inc->anoms[i];
    return NULL;
}

typedef struct {
    int32_t service;
    fl_time onset;
    const char *name;
} svc_onset;

static int by_service_onset(const void *pa, const void *pb)
{
    const svc_onset *a = pa, *b = pb;
    if (a->service != b->service)
        return a->service < b->service ? -1 : 1;
    return a->onset < b->onset ? -1 : a->onset > b->onset;
}

/* earliest onset first, ties by name (names are unique: a total order) */
static int by_onset_name(const void *pa, const void *pb)
{
    const svc_onset *a = pa, *b = pb;
    if (a->onset != b->onset)
        return a->onset < b->onset ? -1 : 1;
    return strcmp(a->name, b->name);
}

/* start, detected, end, services (earliest onset first) and the id */
static void summarise(fl_rca *r, fl_incident *inc)
{
    inc->start = INT64_MAX;
    inc->detected = INT64_MAX;
    fl_time end = INT64_MIN;
    bool ongoing = false;
    const fl_anomaly *first = NULL;
    for (uint32_t i = 0; i < inc->nanoms; i++) {
        const fl_anomaly *a = &inc->anoms[i];
        if (a->onset < inc->start)
            inc->start = a->onset;
        if (fl_anomaly_is_impact(a)) {
            if (a->detected < inc->detected)
                inc->detected = a->detected;
            if (!first) /* anomalies are in canonical order */
                first = a;
        }
        if (a->end == FL_TIME_NONE)
            ongoing = true;
        else if (a->end > end)
            end = a->end;
    }
    if (inc->detected == INT64_MAX)
        inc->detected = inc->start;
    inc->end = ongoing ? FL_TIME_NONE : end;
    /* services by earliest onset, ties by name: sorted, not compared
     * pairwise, since a fleet-wide incident holds thousands of anomalies
     * and this runs on every update of one of them */
    free(inc->services);
    inc->services = fl_malloc((inc->nanoms + 1) * sizeof *inc->services);
    inc->nservices = 0;
    svc_onset *so = fl_malloc((inc->nanoms + 1) * sizeof *so);
    for (uint32_t i = 0; i < inc->nanoms; i++) {
        so[i].service = inc->anoms[i].service;
        so[i].onset = inc->anoms[i].onset;
        so[i].name = NULL;
    }
    qsort(so, inc->nanoms, sizeof *so, by_service_onset);
    uint32_t m = 0;
    for (uint32_t i = 0; i < inc->nanoms; i++)
        if (m == 0 || so[m - 1].service != so[i].service) {
            so[m] = so[i]; /* the earliest onset of its service */
            so[m].name = fl_intern_name(r->names, so[m].service);
            m++;
        }
    qsort(so, m, sizeof *so, by_onset_name);
    for (uint32_t i = 0; i < m; i++)
        inc->services[i] = so[i].service;
    inc->nservices = m;
    free(so);
    if (first && !inc->id_frozen) {
        /* content-derived id: the same input yields the same id, and
         * re-processing after a crash cannot mint a new one. It is frozen
         * once announced, so a later anomaly with an earlier onset cannot
         * rename an incident consumers already hold */
        const char *svc = fl_intern_name(r->names, first->service);
        const char *sig = fl_anomaly_signal(first);
        uint64_t h = fl_hash64(svc, strlen(svc), 0);
        h = fl_hash64(sig, strlen(sig), h);
        h = fl_hash64(&first->onset, sizeof first->onset, h);
        snprintf(inc->id, sizeof inc->id, "inc-%012llx",
                 (unsigned long long)(h & 0xffffffffffffULL));
    }
}

static void attach_pending(fl_rca *r, fl_incident *inc, fl_time onset)
{
    uint32_t k = 0;
    for (uint32_t i = 0; i < r->npending; i++) {
        fl_anomaly *p = &r->pending[i];
        bool near = p->onset >= onset - r->conf.surge_window &&
                    p->onset <= onset + r->conf.join &&
                    (p->end == FL_TIME_NONE || p->end >= onset - r->conf.join);
        if (near)
            add_anomaly(r, inc, p);
        else
            r->pending[k++] = *p;
    }
    r->npending = k;
    r->tpl_now = false;
}

static fl_incident *open_incident(fl_rca *r, const fl_anomaly *a)
{
    fl_incident *inc = fl_calloc(1, sizeof *inc);
    inc->state = FL_INCIDENT_OPEN;
    add_anomaly(r, inc, a);
    attach_pending(r, inc, a->onset);
    if (r->nincs == r->incs_cap) {
        r->incs_cap = r->incs_cap ? r->incs_cap * 2 : 16;
        r->incs = fl_realloc(r->incs, r->incs_cap * sizeof *r->incs);
    }
    r->incs[r->nincs++] = inc;
    return inc;
}

static bool id_taken(const fl_rca *r, const fl_incident *inc, const char *id)
{
    for (uint32_t i = 0; i < r->nincs; i++)
        if (r->incs[i] != inc && strcmp(r->incs[i]->id, id) == 0)
            return true;
    return false;
}

/* Two incidents with the same first anomaly cannot happen within one run
 * (an anomaly belongs to one incident), but keep ids unique regardless. */
static void ensure_unique_id(fl_rca *r, fl_incident *inc)
{
    if (!id_taken(r, inc, inc->id))
        return;
    char base[24];
    memcpy(base, inc->id, sizeof base);
    base[16] = '\0';
    for (unsigned n = 2; n < 1000000; n++) {
        snprintf(inc->id, sizeof inc->id, "%.16s-%u", base, n);
        if (!id_taken(r, inc, inc->id))
            return;
    }
}

#define RELATE_HOPS 4

/* Marks in `mark` (indexed by service id, n entries) every service that
 * `svc` reaches along call edges within RELATE_HOPS hops, callers to
 * callees when `down`, else callees to callers. Each hop scans the edge
 * set once: O(RELATE_HOPS * edges), edges bounded by FL_RCA_MAX_EDGES. */
static void reach(const fl_rca *r, int32_t svc, bool down, uint8_t *mark,
                  uint32_t n)
{
    mark[svc] = 1; /* 1: in the current frontier, 2: reached before */
    for (int hop = 0; hop < RELATE_HOPS; hop++) {
        bool grew = false;
        for (uint32_t i = 0; i < r->edges_cap; i++) {
            if (!r->edges[i])
                continue;
            uint64_t k = r->edges[i] - 1;
            uint32_t from = (uint32_t)(k >> 32), to = (uint32_t)k;
            if (!down) {
                uint32_t t = from;
                from = to;
                to = t;
            }
            if (from < n && to < n && mark[from] == 1 &&
                mark[to] == 0) {
                mark[to] = 3; /* reached in this hop */
                grew = true;
            }
        }
        for (uint32_t i = 0; i < n; i++)
            mark[i] = mark[i] == 1 ? 2 : mark[i] == 3 ? 1 : mark[i];
        if (!grew)
            break;
    }
}

bool fl_rca_reaches(const fl_rca *r, int32_t from, int32_t to, bool *known)
{
    uint32_t n = 0;
    *known = false;
    for (uint32_t i = 0; i < r->edges_cap; i++) {
        if (!r->edges[i])
            continue;
        uint64_t k = r->edges[i] - 1;
        uint32_t a = (uint32_t)(k >> 32), b = (uint32_t)k;
        n = FL_MAX(n, FL_MAX(a, b) + 1);
        *known = *known || (int32_t)a == from;
    }
    if (from == to)
        return true;
    if (!*known || from < 0 || to < 0 || (uint32_t)from >= n || (uint32_t)to >= n)
        return false;
    uint8_t *mark = fl_calloc(n, 1);
    reach(r, from, true, mark, n);
    bool hit = mark[to] != 0;
    free(mark);
    return hit;
}

/* Whether an anomaly of `svc` belongs with `inc` as far as the call graph
 * can tell: the same service, or one that `svc` reaches along calls (a
 * callee, a callee's callee: where its trouble may come from) or that
 * reaches `svc` (callers it may hurt), within RELATE_HOPS hops. Two
 * failures at the same time in parts of the system that do not call each
 * other (siblings sharing a healthy callee included) are two incidents,
 * each with its own causes. When the graph knows nothing of `svc` (no
 * upstream fields, no names in errors), time alone decides, as before. */
static bool related(const fl_rca *r, const fl_incident *inc, int32_t svc)
{
    uint32_t n = 0;
    bool known = false;
    for (uint32_t i = 0; i < r->edges_cap; i++) {
        if (!r->edges[i])
            continue;
        uint64_t k = r->edges[i] - 1;
        uint32_t from = (uint32_t)(k >> 32), to = (uint32_t)k;
        n = FL_MAX(n, FL_MAX(from, to) + 1);
        known = known || (int32_t)from == svc || (int32_t)to == svc;
    }
    if (!known)
        return true;
    for (uint32_t i = 0; i < inc->nanoms; i++)
        if (inc->anoms[i].service == svc)
            return true;
    uint8_t *down = fl_calloc(n, 1), *up = fl_calloc(n, 1);
    reach(r, svc, true, down, n);
    reach(r, svc, false, up, n);
    bool rel = false;
    for (uint32_t i = 0; i < inc->nanoms && !rel; i++) {
        int32_t o = inc->anoms[i].service;
        rel = o >= 0 && (uint32_t)o < n && (down[o] || up[o]);
    }
    free(down);
    free(up);
    return rel;
}

void fl_rca_anomaly(fl_rca *r, fl_anomaly_event what, const fl_anomaly *a)
{
    /* an update to an anomaly we already hold? */
    if (what != FL_ANOMALY_OPEN) {
        for (uint32_t i = r->nincs; i-- > 0;) {
            fl_incident *inc = r->incs[i];
            if (inc->state != FL_INCIDENT_OPEN)
                continue;
            fl_anomaly *mine = find_anomaly(inc, a->seq);
            if (mine) {
                *mine = *a;
                summarise(r, inc);
                return;
            }
        }
        for (uint32_t i = 0; i < r->npending; i++)
            if (r->pending[i].seq == a->seq) {
                r->pending[i] = *a;
                if (!fl_anomaly_is_impact(a))
                    return;
                /* context that became impact (traffic fell further):
                 * handle it as a new anomaly */
                r->pending[i] = r->pending[--r->npending];
                break;
            }
        if (!fl_anomaly_is_impact(a))
            return;
        bool known = false;
        for (uint32_t i = 0; i < r->nincs && !known; i++)
            known = find_anomaly(r->incs[i], a->seq) != NULL;
        if (known || what == FL_ANOMALY_END)
            return;
    }
    /* a new anomaly: join an open incident it overlaps */
    for (uint32_t i = 0; i < r->nincs; i++) {
        fl_incident *inc = r->incs[i];
        if (inc->state != FL_INCIDENT_OPEN)
            continue;
        fl_time until = active_until(inc);
        if (a->onset <= (until == INT64_MAX ? until : until + r->conf.join) &&
            a->onset >= inc->start - r->conf.join &&
            related(r, inc, a->service)) {
            add_anomaly(r, inc, a);
            summarise(r, inc);
            rerank(r, inc);
            return;
        }
    }
    if (!fl_anomaly_is_impact(a)) {
        if (r->npending == r->pending_cap) {
            r->pending_cap = r->pending_cap ? r->pending_cap * 2 : 16;
            r->pending =
                fl_realloc(r->pending, r->pending_cap * sizeof *r->pending);
        }
        r->pending[r->npending++] = *a;
        return;
    }
    fl_incident *inc = open_incident(r, a);
    summarise(r, inc);
    fl_rank_incident(r, inc);
}

/* Fixes the id (canonical over the anomalies of the bucket that opened the
 * incident, whatever order they arrived in) and announces the incident. */
static void freeze(fl_rca *r, fl_incident *inc)
{
    if (inc->id_frozen)
        return;
    summarise(r, inc);
    ensure_unique_id(r, inc);
    inc->id_frozen = true;
    fl_rank_incident(r, inc);
    if (r->on_change && inc->state == FL_INCIDENT_OPEN)
        r->on_change(r->ud, inc);
}

static void close_incident(fl_rca *r, fl_incident *inc)
{
    freeze(r, inc);
    summarise(r, inc);
    fl_rank_incident(r, inc);
    inc->state = FL_INCIDENT_CLOSED;
    if (r->on_change)
        r->on_change(r->ud, inc);
}

void fl_rca_advance(fl_rca *r, fl_time wm)
{
    fl_series_advance(r, wm); /* chart bins that ended, before any closes */
    r->tpl_now = true; /* template findings may refresh (rank_tpl.c) */
    r->tpl_cutoff = wm;
    for (uint32_t i = 0; i < r->nincs; i++) {
        fl_incident *inc = r->incs[i];
        if (inc->state != FL_INCIDENT_OPEN)
            continue;
        freeze(r, inc);
        fl_time until = active_until(inc);
        if (until != INT64_MAX && wm >= until + r->conf.join)
            close_incident(r, inc);
    }
    /* surges that never met an incident are forgotten once too old */
    uint32_t k = 0;
    for (uint32_t i = 0; i < r->npending; i++) {
        fl_anomaly *p = &r->pending[i];
        if (p->end != FL_TIME_NONE && p->end + r->conf.surge_window < wm)
            continue;
        r->pending[k++] = *p;
    }
    r->npending = k;
    r->tpl_now = false;
}

void fl_rca_finish(fl_rca *r)
{
    fl_series_finish(r);
    r->tpl_now = true;
    r->tpl_cutoff = INT64_MAX; /* all of the input */
    for (uint32_t i = 0; i < r->nincs; i++) {
        fl_incident *inc = r->incs[i];
        if (inc->state == FL_INCIDENT_OPEN) {
            freeze(r, inc);
            summarise(r, inc);
            fl_rank_incident(r, inc);
            if (inc->end != FL_TIME_NONE) {
                inc->state = FL_INCIDENT_CLOSED;
                if (r->on_change)
                    r->on_change(r->ud, inc);
            }
        }
    }
    r->tpl_now = false;
}
