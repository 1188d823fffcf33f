/*
 * otlp.c - OpenTelemetry log records as OTLP/JSON: what the Collector's
 * Kafka exporter writes with `encoding: otlp_json` (one document per
 * message) and what its file exporter writes (one per line):
 *
 *   {"resourceLogs":[{"resource":{"attributes":[{"key":"service.name",
 *     "value":{"stringValue":"cart"}}]},"scopeLogs":[{"scope":{...},
 *     "logRecords":[{"timeUnixNano":"1710074096123456789",
 *     "severityNumber":17,"severityText":"ERROR","body":{"stringValue":
 *     "..."},"attributes":[...]}]}]}]}
 *
 * Each log record is one event; a document may hold thousands. The walk is
 * streaming over json.c's scanner (fl_jp_*): nothing is built, values are
 * unescaped only when kept, into the decoder's scratch buffer (at most the
 * document's length), and the events go to the decoder's reusable queue
 * (fl_decoder_push). Field names are accepted in lowerCamelCase, as the
 * Collector writes them, and as the proto field names, which proto3 JSON
 * parsers also accept.
 *
 * Mapping (then validated exactly as a JSON line, fl_json_event):
 *   time       timeUnixNano (string or number); when absent or 0,
 *              observedTimeUnixNano
 *   service    resource attribute service.name; else the record's own
 *              service.name attribute
 *   version    resource attribute service.version
 *   level      severityNumber 1-4 trace, 5-8 debug, 9-12 info, 13-16 warn,
 *              17-20 error, 21-24 fatal (also as the enum's name,
 *              "SEVERITY_NUMBER_ERROR"); without one, severityText as a
 *              JSON level ("ERROR", "Information", "warn", ...)
 *   msg        body.stringValue
 *   status     attribute http.response.status_code (or the older
 *              http.status_code); intValue may be a string
 *   latency    attribute http.server.request.duration in seconds (the
 *              stable semantic convention's unit); http.server.duration,
 *              duration, duration_ms, latency_ms in milliseconds
 *   upstream   attribute peer.service; else server.address
 *   path       attribute http.route (already a template); else url.path
 *              or http.target (the query is cut off)
 *   trace_id   traceId (hex, as the JSON encoding writes it); an empty or
 *              all-zero id (the spec's "unset") is none
 * A record that does not make an event (no time, no service, a status
 * outside 100..599, ...) is counted by its reason (fl_decoder_rejected)
 * while the batch's good records still make events; a document none of
 * whose records makes one returns the first record's reason (bad_value for
 * a document without records) and the others' through
 * fl_decoder_rejected. A document that is not valid OTLP/JSON is one bad
 * line (syntax, too_deep, ...).
 */
#include "ingest_int.h"

#include <math.h>
#include <string.h>

typedef fl_jparser parser;

/* -------------------------------------------------- walking the document */

typedef struct {
    const char *name;
    size_t n;
    int id;
} member;
#define MEMBER(name, id) {name, sizeof(name) - 1, id}
#define MEMBERS_END {NULL, 0, 0}

static int member_id(fl_str key, const member *tab)
{
    for (; tab->name; tab++)
        if (tab->n == key.n && memcmp(tab->name, key.p, key.n) == 0)
            return tab->id;
    return -1;
}

/* key == literal, lengths first */
#define KEY_IS(k, lit) ((k).n == sizeof(lit) - 1 && memcmp((k).p, lit, (k).n) == 0)

/* Called with the cursor on the value of a known member; must consume it. */
typedef bool (*member_fn)(parser *ps, int id, int depth, void *ctx);
typedef fl_jp_element_fn element_fn;

static bool is_null(parser *ps)
{
    if (ps->end - ps->p >= 4 && memcmp(ps->p, "null", 4) == 0) {
        ps->p += 4; /* proto3 JSON: null is the field's default */
        return true;
    }
    return false;
}

/* An object: fn for each member in tab, other members skipped. */
static bool each_member(parser *ps, int depth, const member *tab,
                        member_fn fn, void *ctx)
{
    fl_decoder *dec = ps->dec;
    fl_jp_ws(ps);
    if (is_null(ps))
        return true;
    if (ps->p >= ps->end || *ps->p != '{')
        return fl_jp_fail(ps, FL_BAD_SYNTAX);
    if (fl_jp_open_empty(ps, '}'))
        return true;
    for (;;) {
        fl_jp_ws(ps);
        size_t mark = dec->scratch_n;
        fl_str key;
        if (!fl_jp_string(ps, true, &key))
            return false;
        int id = member_id(key, tab);
        dec->scratch_n = mark; /* names need not outlive the lookup */
        if (!fl_jp_colon(ps))
            return false;
        if (id < 0 ? !fl_jp_value(ps, depth + 1, NULL)
                   : !fn(ps, id, depth + 1, ctx))
            return false;
        int more = fl_jp_next(ps, '}');
        if (more <= 0)
            return more == 0;
    }
}

/* An array (or null): fn for each element. */
static bool each_element(parser *ps, int depth, element_fn fn, void *ctx)
{
    fl_jp_ws(ps);
    if (is_null(ps))
        return true;
    if (ps->p >= ps->end || *ps->p != '[')
        return fl_jp_fail(ps, FL_BAD_SYNTAX);
    return fl_jp_array(ps, depth, fn, ctx);
}

/* ------------------------------------------------------------ AnyValue */

enum { AV_STRING, AV_INT, AV_DOUBLE };
static const member anyvalue_members[] = {
    MEMBER("stringValue", AV_STRING), MEMBER("string_value", AV_STRING),
    MEMBER("intValue", AV_INT),       MEMBER("int_value", AV_INT),
    MEMBER("doubleValue", AV_DOUBLE), MEMBER("double_value", AV_DOUBLE),
    MEMBERS_END,
};

static bool anyvalue_member(parser *ps, int id, int depth, void *ctx)
{
    value *v = ctx;
    value tmp = {V_NONE, FL_STR_NULL, 0};
    if (!fl_jp_value(ps, depth, &tmp))
        return false;
    /* stringValue: a string. intValue, doubleValue: a number, which
     * proto3 JSON writes as a string for int64 ("503") and may write as
     * "NaN" or "Infinity" for doubles (no field takes those) */
    double x;
    if (id == AV_STRING) {
        v->t = tmp.t == V_STR ? V_STR : V_OTHER;
        v->s = tmp.s;
    } else if (tmp.t == V_NUM) {
        *v = tmp;
    } else if (tmp.t == V_STR && fl_json_value_num(&tmp, &x)) {
        v->t = V_NUM;
        v->num = x;
        v->s = tmp.s; /* the digits, for exact times */
    } else {
        v->t = V_OTHER;
    }
    return true;
}

/* An AnyValue into *v: strings and numbers; bool, bytes, arrays and
 * kvlists are V_OTHER (present, but no field takes them). */
static bool anyvalue(parser *ps, int depth, value *v)
{
    v->t = V_OTHER;
    fl_jp_ws(ps);
    if (ps->p < ps->end && *ps->p != '{' && *ps->p != 'n')
        return fl_jp_fail(ps, FL_BAD_SYNTAX);
    return each_member(ps, depth, anyvalue_members, anyvalue_member, v);
}

/* ------------------------------------------------------------ KeyValue */

typedef struct {
    fl_str key;
    value val;
} keyvalue;

enum { KV_KEY, KV_VALUE };
static const member kv_members[] = {
    MEMBER("key", KV_KEY), MEMBER("value", KV_VALUE), MEMBERS_END,
};

static bool kv_member(parser *ps, int id, int depth, void *ctx)
{
    keyvalue *kv = ctx;
    if (id == KV_KEY) {
        if (ps->p >= ps->end || *ps->p != '"')
            return fl_jp_fail(ps, FL_BAD_SYNTAX);
        return fl_jp_string(ps, true, &kv->key);
    }
    return anyvalue(ps, depth, &kv->val);
}

/* Reads one {"key": ..., "value": {...}}, in either order. */
static bool keyvalue_read(parser *ps, int depth, keyvalue *kv)
{
    kv->key = FL_STR_NULL;
    kv->val.t = V_NONE;
    return each_member(ps, depth, kv_members, kv_member, kv);
}

/* ------------------------------------------------------------ resource */

typedef struct {
    value service, version;
} resource;

static bool resource_attr(parser *ps, int depth, void *ctx)
{
    resource *r = ctx;
    keyvalue kv;
    if (!keyvalue_read(ps, depth, &kv))
        return false;
    if (KEY_IS(kv.key, "service.name"))
        r->service = kv.val;
    else if (KEY_IS(kv.key, "service.version"))
        r->version = kv.val;
    return true;
}

static const member resource_members[] = {MEMBER("attributes", 0), MEMBERS_END};

static bool resource_member(parser *ps, int id, int depth, void *ctx)
{
    (void)id;
    return each_element(ps, depth, resource_attr, ctx);
}

/* ---------------------------------------------------------- log record */

typedef struct {
    value time, observed, sev_num, sev_text, body;
    value service, status, latency_ms, peer, server, trace;
    value route, path; /* http.route; url.path or http.target */
} record;

typedef struct {
    fl_bad_reason first_why; /* of the first record that made no event */
    uint32_t nbad;
} batch;

/* (the batch a ResourceLogs element belongs to, with its resource) */
typedef struct {
    batch *b;
    resource *res;
} scope_ctx;

static void set_latency(value *out, const value *v, double to_ms)
{
    double x;
    if (v->t == V_NONE)
        return;
    if (fl_json_value_num(v, &x)) {
        out->t = V_NUM;
        out->num = x * to_ms;
        out->s = FL_STR_NULL;
    } else {
        out->t = V_OTHER; /* refused as bad_value */
    }
}

static bool record_attr(parser *ps, int depth, void *ctx)
{
    record *r = ctx;
    keyvalue kv;
    if (!keyvalue_read(ps, depth, &kv))
        return false;
    fl_str k = kv.key;
    if (KEY_IS(k, "http.response.status_code") ||
        KEY_IS(k, "http.status_code"))
        r->status = kv.val;
    else if (KEY_IS(k, "http.server.request.duration"))
        set_latency(&r->latency_ms, &kv.val, 1e3);
    else if (KEY_IS(k, "http.server.duration") ||
             KEY_IS(k, "duration") || KEY_IS(k, "duration_ms") ||
             KEY_IS(k, "latency_ms"))
        set_latency(&r->latency_ms, &kv.val, 1);
    else if (KEY_IS(k, "peer.service"))
        r->peer = kv.val;
    else if (KEY_IS(k, "server.address"))
        r->server = kv.val;
    else if (KEY_IS(k, "service.name"))
        r->service = kv.val;
    else if (KEY_IS(k, "http.route"))
        r->route = kv.val;
    else if (KEY_IS(k, "url.path") || KEY_IS(k, "http.target"))
        r->path = kv.val;
    return true;
}

enum { R_TIME, R_OBSERVED, R_SEV_NUM, R_SEV_TEXT, R_BODY, R_ATTRS, R_TRACE };
static const member record_members[] = {
    MEMBER("timeUnixNano", R_TIME),
    MEMBER("time_unix_nano", R_TIME),
    MEMBER("observedTimeUnixNano", R_OBSERVED),
    MEMBER("observed_time_unix_nano", R_OBSERVED),
    MEMBER("severityNumber", R_SEV_NUM),
    MEMBER("severity_number", R_SEV_NUM),
    MEMBER("severityText", R_SEV_TEXT),
    MEMBER("severity_text", R_SEV_TEXT),
    MEMBER("body", R_BODY),
    MEMBER("attributes", R_ATTRS),
    MEMBER("traceId", R_TRACE),
    MEMBER("trace_id", R_TRACE),
    MEMBERS_END,
};

static bool record_member(parser *ps, int id, int depth, void *ctx)
{
    record *r = ctx;
    switch (id) {
    case R_TIME: return fl_jp_value(ps, depth, &r->time);
    case R_OBSERVED: return fl_jp_value(ps, depth, &r->observed);
    case R_SEV_NUM: return fl_jp_value(ps, depth, &r->sev_num);
    case R_SEV_TEXT: return fl_jp_value(ps, depth, &r->sev_text);
    case R_BODY: return anyvalue(ps, depth, &r->body);
    case R_TRACE: return fl_jp_value(ps, depth, &r->trace);
    default: return each_element(ps, depth, record_attr, r);
    }
}

/* An OTel severity number (1..24) as a level name fl_json_event knows. */
static const char *severity_name(const value *v)
{
    static const char *const names[] = {"trace", "debug", "info",
                                        "warn",  "error", "fatal"};
    double x;
    if (v->t == V_STR && v->s.n > 16 &&
        memcmp(v->s.p, "SEVERITY_NUMBER_", 16) == 0) {
        /* the enum's name: SEVERITY_NUMBER_ERROR, ..._ERROR2 */
        fl_str rest = {v->s.p + 16, v->s.n - 16};
        if (rest.n && rest.p[rest.n - 1] >= '2' && rest.p[rest.n - 1] <= '4')
            rest.n--;
        for (size_t i = 0; i < FL_ARRAY_LEN(names); i++)
            if (fl_str_eq_nocase(rest, names[i]))
                return names[i];
        return NULL;
    }
    if (!fl_json_value_num(v, &x) || x != floor(x) || x < 1 || x > 24)
        return NULL;
    return names[((int)x - 1) / 4];
}

/* "0", "000": an unset time in proto3 */
static bool time_unset(const value *v)
{
    if (v->t != V_STR && v->t != V_NUM)
        return v->t == V_NONE;
    if (v->s.n == 0)
        return false;
    for (size_t i = 0; i < v->s.n; i++)
        if (v->s.p[i] != '0')
            return false;
    return true;
}

static bool log_record(parser *ps, int depth, void *ctx)
{
    scope_ctx *sc = ctx;
    fl_decoder *dec = ps->dec;
    record r;
    memset(&r, 0, sizeof r);
    if (!each_member(ps, depth, record_members, record_member, &r))
        return false;

    memset(dec->v, 0, sizeof dec->v);
    value *v = dec->v;
    v[F_TS] = time_unset(&r.time) ? r.observed : r.time;
    if (time_unset(&v[F_TS]))
        v[F_TS].t = V_NONE;
    v[F_SERVICE] = sc->res->service.t != V_NONE ? sc->res->service : r.service;
    v[F_VERSION] = sc->res->version;
    const char *lvl = severity_name(&r.sev_num);
    if (lvl) {
        v[F_LEVEL].t = V_STR;
        v[F_LEVEL].s = fl_str_c(lvl);
    } else if (r.sev_text.t == V_STR) {
        v[F_LEVEL] = r.sev_text;
    }
    v[F_MSG] = r.body;
    v[F_STATUS] = r.status;
    v[F_LAT_MS] = r.latency_ms;
    v[F_UPSTREAM] = r.peer.t == V_STR ? r.peer : r.server;
    if (r.trace.t == V_STR && !time_unset(&r.trace)) /* all zeros: unset */
        v[F_TRACE] = r.trace;
    v[F_PATH] = r.route.t == V_STR ? r.route : r.path;

    fl_event ev;
    fl_bad_reason why;
    if (fl_json_event(dec, &ev, &why)) {
        fl_decoder_push(dec, &ev);
    } else {
        if (!sc->b->nbad++)
            sc->b->first_why = why;
        fl_decoder_reject(dec, why);
    }
    return true;
}

static const member scope_members[] = {
    MEMBER("logRecords", 0), MEMBER("log_records", 0), MEMBERS_END,
};

static bool scope_member(parser *ps, int id, int depth, void *ctx)
{
    (void)id;
    return each_element(ps, depth, log_record, ctx);
}

static bool scope_logs(parser *ps, int depth, void *ctx)
{
    return each_member(ps, depth, scope_members, scope_member, ctx);
}

/* -------------------------------------------------------- ResourceLogs */

enum { RL_RESOURCE, RL_SCOPES };
static const member rl_members[] = {
    MEMBER("resource", RL_RESOURCE),
    MEMBER("scopeLogs", RL_SCOPES),
    MEMBER("scope_logs", RL_SCOPES),
    MEMBERS_END,
};

/* First pass: the resource alone (it usually comes first, so this stops
 * early; if it follows the records, their batch is skipped over once). */
static bool rl_find_resource(parser *ps, int id, int depth, void *ctx)
{
    resource *res = ctx;
    if (id == RL_RESOURCE) {
        if (!each_member(ps, depth, resource_members, resource_member, res))
            return false;
        return false; /* found: stop here, without a failure */
    }
    return fl_jp_value(ps, depth, NULL);
}

typedef struct {
    batch *b;
    resource res;
} rl_ctx;

static bool rl_member(parser *ps, int id, int depth, void *ctx)
{
    rl_ctx *rc = ctx;
    if (id == RL_RESOURCE) /* read by the first pass */
        return fl_jp_value(ps, depth, NULL);
    scope_ctx sc = {rc->b, &rc->res};
    return each_element(ps, depth, scope_logs, &sc);
}

static bool resource_logs(parser *ps, int depth, void *ctx)
{
    rl_ctx rc = {ctx, {{V_NONE, FL_STR_NULL, 0}, {V_NONE, FL_STR_NULL, 0}}};
    /* first pass on a copy of the cursor, cut short at the resource */
    parser look = *ps;
    if (!each_member(&look, depth, rl_members, rl_find_resource, &rc.res) &&
        look.failed) {
        *ps = look; /* a real error, not the early stop */
        return false;
    }
    /* the resource's strings stay in the scratch buffer (shared) */
    return each_member(ps, depth, rl_members, rl_member, &rc);
}

/* ------------------------------------------------------------ document */

static const member doc_members[] = {
    MEMBER("resourceLogs", 0), MEMBER("resource_logs", 0), MEMBERS_END,
};

static bool doc_member(parser *ps, int id, int depth, void *ctx)
{
    (void)id;
    return each_element(ps, depth, resource_logs, ctx);
}

bool fl_otlp_decode(fl_decoder *dec, fl_str line, fl_event *ev,
                    fl_bad_reason *why)
{
    dec->nextra = dec->extra_pos = 0;
    memset(dec->rej, 0, sizeof dec->rej);
    dec->nrej = 0;
    fl_decoder_scratch(dec, line.n + 8);
    parser ps = {line.p, line.p + line.n, dec, FL_BAD_SYNTAX, false};
    batch b = {FL_BAD_VALUE, 0};
    fl_jp_ws(&ps);
    if (ps.p >= ps.end || *ps.p != '{' ||
        !each_member(&ps, 1, doc_members, doc_member, &b)) {
        *why = ps.failed ? ps.why : FL_BAD_SYNTAX;
        goto reject_whole;
    }
    fl_jp_ws(&ps);
    if (ps.p != ps.end) {
        *why = FL_BAD_SYNTAX;
        goto reject_whole;
    }
    if (dec->nextra == 0) {
        /* the return value counts the first bad record; the others stay
         * in dec->rej */
        *why = b.nbad ? b.first_why : FL_BAD_VALUE;
        if (b.nbad) {
            dec->rej[b.first_why]--;
            dec->nrej--;
        }
        return false;
    }
    *ev = dec->extra[0];
    dec->extra_pos = 1;
    return true;
reject_whole: /* a broken document is one bad line, whatever it held */
    dec->nextra = 0;
    memset(dec->rej, 0, sizeof dec->rej);
    dec->nrej = 0;
    return false;
}

bool fl_otlp_decode_line(fl_decoder *dec, fl_str line, fl_str fallback,
                         fl_event *ev, fl_bad_reason *why)
{
    (void)fallback;
    return fl_otlp_decode(dec, line, ev, why);
}

/* A JSON object whose first key is "resourceLogs". */
bool fl_otlp_sniff(fl_str line)
{
    size_t i = 0;
    while (i < line.n && (line.p[i] == ' ' || line.p[i] == '\t'))
        i++;
    if (i >= line.n || line.p[i] != '{')
        return false;
    i++;
    while (i < line.n && (line.p[i] == ' ' || line.p[i] == '\t' ||
                          line.p[i] == '\r' || line.p[i] == '\n'))
        i++;
    static const char *const keys[] = {"\"resourceLogs\"", "\"resource_logs\""};
    for (size_t k = 0; k < FL_ARRAY_LEN(keys); k++) {
        size_t n = strlen(keys[k]);
        if (line.n - i >= n && memcmp(line.p + i, keys[k], n) == 0)
            return true;
    }
    return false;
}
