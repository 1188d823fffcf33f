/*
 * endpoints.c - requests and errors by endpoint (request path template)
 * for the report's impact by endpoint: which endpoints of an affected
 * service fail more during the incident than before its onset.
 *
 * A request's path becomes a template (fl_path_template: ids masked) and
 * is counted in the service's chart bin (series.c) under that template's
 * slot. The counts follow the charts' model exactly: they live in the
 * same FL_CHART_LIVE open bins, become final when the watermark passes a
 * bin's end (then they move to the FL_CHART_LEAD ring and into every open
 * incident charting the service), so they depend on event time, not on
 * arrival order (bounds and the one exception in rca_int.h).
 *
 * An incident keeps, per charted service and template, the requests and
 * errors of the final bins before its onset (the lead-in the ring still
 * holds, at most 15 bins, as the charts draw) and of those from the onset
 * on; the report ranks endpoints by the errors above what the before rate
 * predicts.
 */
#include "rca_int.h"

#include <string.h>

static bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
           (c >= 'A' && c <= 'F');
}

/* Whether a path segment is an id (a value, not a name); *plain: all its
 * bytes are printable ASCII (copied as they are). */
static bool variable_segment(const char *s, size_t n, bool *plain)
{
    *plain = true;
    if (n == 0)
        return false;
    size_t digits = 0, hex = 0, alpha = 0, dash = 0, other = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if ((unsigned char)c < 0x21 || (unsigned char)c > 0x7e)
            *plain = false;
        if (c >= '0' && c <= '9')
            digits++;
        else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
            alpha++;
        else if (c == '-')
            dash++;
        else if (c == '@' || c == '=')
            return true; /* an e-mail address, a key=value */
        else if (c != '_' && c != '.' && c != '~')
            other++;
        if (is_hex(c))
            hex++;
    }
    if (digits == n)
        return true;
    /* hex ids and UUIDs: 8+ hex digits, nothing but hex and dashes, and
     * at least one digit (so "deadbeef-cafe" words stay) */
    if (hex >= 8 && hex + dash == n && digits > 0)
        return true;
    /* long tokens mixing letters and digits (base64ish ids, hashes) */
    if (n >= 16 && digits > 0 && alpha > 0 && other == 0)
        return true;
    /* a number with a unit or extension: "123.json", "42-abc" stays */
    return false;
}

size_t fl_path_template(fl_str path, char *out, size_t cap)
{
    const char *p = path.p, *end = path.p + path.n;
    size_t k = 0;
    if (cap < 8) {
        if (cap)
            out[0] = '\0';
        return 0;
    }
    /* an absolute URI: from the path on */
    if (path.n > 3 && p[0] != '/') {
        const char *sch = memchr(p, ':', path.n);
        if (sch && end - sch > 3 && sch[1] == '/' && sch[2] == '/') {
            p = memchr(sch + 3, '/', (size_t)(end - sch - 3));
            if (!p)
                p = end;
        }
    }
    const char *stop = p;
    while (stop < end && *stop != '?' && *stop != '#' && *stop != ';')
        stop++;
    bool cut = false;
    while (p < stop && !cut) {
        if (*p == '/') {
            if (k + 1 >= cap - 3) {
                cut = true;
                break;
            }
            out[k++] = '/';
            p++;
            continue;
        }
        const char *s = p;
        while (p < stop && *p != '/')
            p++;
        size_t n = (size_t)(p - s);
        bool plain;
        if (variable_segment(s, n, &plain)) {
            if (k + 3 >= cap - 3) {
                cut = true;
                break;
            }
            memcpy(out + k, "<*>", 3);
            k += 3;
            continue;
        }
        if (plain && k + n < cap - 3) { /* the common case */
            memcpy(out + k, s, n);
            k += n;
            continue;
        }
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)s[i];
            size_t clen = 1; /* a UTF-8 character is copied whole */
            if (c >= 0xf0)
                clen = 4;
            else if (c >= 0xe0)
                clen = 3;
            else if (c >= 0xc0)
                clen = 2;
            if (clen > n - i)
                clen = n - i;
            if (k + clen >= cap - 3) {
                cut = true;
                break;
            }
            if (clen == 1) {
                out[k++] = (c < 0x20 || c == 0x7f || c >= 0x80) ? '?' : (char)c;
            } else {
                bool ok = true; /* continuation bytes, else '?' */
                for (size_t j = 1; j < clen; j++)
                    ok = ok && ((unsigned char)s[i + j] & 0xc0) == 0x80;
                if (ok) {
                    memcpy(out + k, s + i, clen);
                    k += clen;
                    i += clen - 1;
                } else {
                    out[k++] = '?';
                }
            }
        }
    }
    if (cut) {
        memcpy(out + k, "...", 3);
        k += 3;
    }
    if (k == 0)
        out[k++] = '/';
    out[k] = '\0';
    return k;
}

/* FNV-1a: templates are short, and this runs once per request */
static uint64_t tpl_hash(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
    return h;
}

void fl_ep_rehash(fl_ep_svc *e)
{
    for (uint32_t i = 0; i < e->n; i++)
        e->hash[i] = tpl_hash(e->tpl[i], strlen(e->tpl[i]));
}

/* The template's slot, taking a free or stale one; FL_EP_MAX: <other>. */
static uint32_t ep_slot(const fl_rca *r, fl_ep_svc *e, const char *tpl,
                        size_t n)
{
    uint64_t h = tpl_hash(tpl, n);
    for (uint32_t i = 0; i < e->n; i++)
        if (e->hash[i] == h && strcmp(e->tpl[i], tpl) == 0)
            return i;
    uint32_t i = e->n;
    if (i == FL_EP_MAX) {
        /* reuse a template silent for the whole lead ring below the
         * watermark: no live or lead bin still counts it */
        for (i = 0; i < FL_EP_MAX; i++)
            if (r->chart_wb_valid &&
                e->last_bin[i] < r->chart_wb - FL_CHART_LEAD)
                break;
        if (i == FL_EP_MAX)
            return FL_EP_MAX;
        for (uint32_t b = 0; b < FL_CHART_LIVE; b++)
            e->live[b][i] = (fl_ep_cnt){0, 0};
        for (uint32_t b = 0; b < FL_CHART_LEAD; b++)
            e->lead[b][i] = (fl_ep_cnt){0, 0};
    } else {
        e->n++;
    }
    memcpy(e->tpl[i], tpl, n + 1);
    e->hash[i] = h;
    e->last_bin[i] = -1;
    return i;
}

void fl_rca_sample_path(fl_rca *r, int32_t svc, fl_time ts, fl_str path,
                        bool error)
{
    if (svc < 0 || ts == FL_TIME_NONE || !path.n ||
        (uint32_t)svc >= r->nchart_svc || !r->chart_svc[svc])
        return;
    int64_t bin = fl_chart_bin_of(ts);
    fl_chart_svc *s = r->chart_svc[svc];
    uint32_t ls = fl_chart_slot_of(bin, FL_CHART_LIVE);
    if (bin < 0 || s->live[ls].bin != bin)
        return; /* fl_rca_sample did not chart it either */
    if (!s->ep)
        s->ep = fl_calloc(1, sizeof *s->ep);
    char tpl[FL_EP_LEN];
    size_t n = fl_path_template(path, tpl, sizeof tpl);
    uint32_t i = ep_slot(r, s->ep, tpl, n);
    fl_ep_cnt *c = &s->ep->live[ls][i];
    if (c->req < UINT32_MAX) {
        c->req++;
        c->err += error;
    }
    if (i < FL_EP_MAX && bin > s->ep->last_bin[i])
        s->ep->last_bin[i] = bin;
}

/* Adds counts to the incident's entry of (svc, tpl). */
static void inc_add(fl_incident *inc, int32_t svc, const char *tpl,
                    const fl_ep_cnt *c, bool during)
{
    if (!c->req && !c->err)
        return;
    fl_ep_stat *st = NULL;
    for (uint32_t i = 0; i < inc->neps && !st; i++)
        if (inc->eps[i].service == svc && strcmp(inc->eps[i].tpl, tpl) == 0)
            st = &inc->eps[i];
    if (!st) {
        if (inc->neps >= FL_EP_INC_MAX)
            return;
        if (!inc->eps)
            inc->eps = fl_calloc(FL_EP_INC_MAX, sizeof *inc->eps);
        st = &inc->eps[inc->neps++];
        memset(st, 0, sizeof *st);
        st->service = svc;
        memcpy(st->tpl, tpl, strlen(tpl) + 1);
    }
    fl_ep_cnt *d = during ? &st->during : &st->before;
    d->req = d->req + c->req < d->req ? UINT32_MAX : d->req + c->req;
    d->err = d->err + c->err < d->err ? UINT32_MAX : d->err + c->err;
    if (d->err > d->req)
        d->err = d->req;
}

static void inc_add_row(fl_incident *inc, int32_t svc, const fl_ep_svc *e,
                        const fl_ep_cnt *row, int64_t bin)
{
    bool during = bin >= fl_chart_bin_of(inc->start);
    for (uint32_t i = 0; i < e->n; i++)
        inc_add(inc, svc, e->tpl[i], &row[i], during);
    inc_add(inc, svc, "<other>", &row[FL_EP_MAX], during);
}

static bool charted(const fl_incident *inc, int32_t svc)
{
    for (uint32_t i = 0; i < inc->ncharts; i++)
        if (inc->charts[i].service == svc)
            return true;
    return false;
}

void fl_ep_lead_in(fl_rca *r, fl_incident *inc, int32_t svc, int64_t bin)
{
    const fl_ep_svc *e = r->chart_svc[svc]->ep;
    if (e)
        inc_add_row(inc, svc, e, e->lead[fl_chart_slot_of(bin, FL_CHART_LEAD)], bin);
}

void fl_ep_finalize(fl_rca *r, int32_t svc, uint32_t slot, int64_t bin)
{
    fl_ep_svc *e = r->chart_svc[svc]->ep;
    if (!e)
        return;
    fl_ep_cnt *row = e->lead[fl_chart_slot_of(bin, FL_CHART_LEAD)];
    memcpy(row, e->live[slot], sizeof e->live[slot]);
    memset(e->live[slot], 0, sizeof e->live[slot]);
    for (uint32_t i = 0; i < r->nincs; i++) {
        fl_incident *inc = r->incs[i];
        if (inc->state == FL_INCIDENT_OPEN && charted(inc, svc))
            inc_add_row(inc, svc, e, row, bin);
    }
}
