/*
 * tplev.c - error-line templates per service with first-seen times and
 * per-minute counts (fl_tplev.h), for template evidence in RCA.
 *
 * Checkpoint layout (conventions in common/fl_ckpt.h), version 1:
 *   {"v": 1, "first": [[service, time]]   each service's first event,
 *    "rejected": u64,
 *    "tpls": [{"svc": service, "text": string, "first": time,
 *              "newest": minute, "total": u64, "slots": [u32 × RING]}]}
 * in table order, so packing the same state twice gives the same bytes.
 */
#define _POSIX_C_SOURCE 200809L
#include "fl_tplev.h"

#include "../common/fl_ckpt.h"
#include "fl_template.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define MIN_NS (60 * FL_NS_PER_SEC)
#define HISTORY_MIN 30     /* service history before a template is "new" */
#define NEW_WINDOW_MIN 15  /* first seen this close to the onset: new */
#define NEW_MIN_LINES 10
#define SURGE_BASE_MIN 30
#define SURGE_WIN_MIN 5
#define SURGE_RATIO 10.0
#define SURGE_MIN_LINES 20
#define NBUCKET 8192 /* > 2 * FL_TPLEV_TOTAL */

typedef struct {
    uint64_t hash;
    int32_t svc;
    bool live;
    fl_time first;
    int64_t newest; /* minute index of the newest slot */
    uint64_t total;
    uint32_t slot[FL_TPLEV_RING];
    char text[FL_TPL_TEXT_MAX + 1];
    int32_t next;
} tpl;

struct fl_tplev {
    fl_tpl_miner *masker; /* its masks only; it learns nothing */
    tpl *v;
    uint32_t n, cap;
    int32_t bucket[NBUCKET];
    fl_time *first; /* per service: first event, FL_TIME_NONE */
    uint32_t *per;  /* per service: live templates */
    int32_t (*idx)[FL_TPLEV_PER_SERVICE]; /* per service: their slots */
    uint32_t nsvc;
    uint64_t rejected;
    fl_buf scratch;
};

fl_tplev *fl_tplev_new(void)
{
    fl_tplev *t = fl_calloc(1, sizeof *t);
    fl_tpl_conf c;
    fl_tpl_conf_default(&c);
    c.max_total = 1;
    c.max_services = 1;
    c.max_msg = 1024;
    t->masker = fl_tpl_new(&c);
    for (uint32_t i = 0; i < NBUCKET; i++)
        t->bucket[i] = -1;
    return t;
}

void fl_tplev_destroy(fl_tplev *t)
{
    if (!t)
        return;
    fl_tpl_destroy(t->masker);
    free(t->v);
    free(t->first);
    free(t->per);
    free(t->idx);
    fl_buf_free(&t->scratch);
    free(t);
}

uint64_t fl_tplev_rejected(const fl_tplev *t) { return t->rejected; }

static void grow_svcs(fl_tplev *t, int32_t svc)
{
    if ((uint32_t)svc < t->nsvc)
        return;
    uint32_t n = t->nsvc ? t->nsvc : 16;
    while (n <= (uint32_t)svc)
        n *= 2;
    t->first = fl_realloc(t->first, n * sizeof *t->first);
    t->per = fl_realloc(t->per, n * sizeof *t->per);
    t->idx = fl_realloc(t->idx, n * sizeof *t->idx);
    for (uint32_t i = t->nsvc; i < n; i++) {
        t->first[i] = FL_TIME_NONE;
        t->per[i] = 0;
    }
    t->nsvc = n;
}

static int64_t minute_of(fl_time ts)
{
    return ts >= 0 ? ts / MIN_NS : -((-ts + MIN_NS - 1) / MIN_NS);
}

static int32_t lookup(const fl_tplev *t, int32_t svc, uint64_t h,
                      const char *text)
{
    for (int32_t i = t->bucket[h % NBUCKET]; i >= 0; i = t->v[i].next)
        if (t->v[i].hash == h && t->v[i].svc == svc &&
            strcmp(t->v[i].text, text) == 0)
            return i;
    return -1;
}

static void unlink_tpl(fl_tplev *t, int32_t i)
{
    int32_t *pp = &t->bucket[t->v[i].hash % NBUCKET];
    while (*pp >= 0 && *pp != i)
        pp = &t->v[*pp].next;
    if (*pp == i)
        *pp = t->v[i].next;
    t->v[i].live = false;
    int32_t svc = t->v[i].svc;
    for (uint32_t k = 0; k < t->per[svc]; k++)
        if (t->idx[svc][k] == i) {
            t->idx[svc][k] = t->idx[svc][--t->per[svc]];
            break;
        }
}

static void link_tpl(fl_tplev *t, int32_t i)
{
    tpl *x = &t->v[i];
    x->next = t->bucket[x->hash % NBUCKET];
    t->bucket[x->hash % NBUCKET] = i;
    t->idx[x->svc][t->per[x->svc]++] = i;
}

/* the service's stalest template: oldest newest minute, fewest lines,
 * smallest hash (a scan of at most FL_TPLEV_PER_SERVICE) */
static int32_t stalest(const fl_tplev *t, int32_t svc)
{
    int32_t best = -1;
    for (uint32_t k = 0; k < t->per[svc]; k++) {
        int32_t i = t->idx[svc][k];
        const tpl *x = &t->v[i];
        if (best < 0) {
            best = i;
            continue;
        }
        const tpl *b = &t->v[best];
        if (x->newest < b->newest ||
            (x->newest == b->newest &&
             (x->total < b->total ||
              (x->total == b->total && x->hash < b->hash))))
            best = i;
    }
    return best;
}

static void bump(tpl *x, int64_t mi)
{
    if (mi > x->newest) {
        int64_t gap = mi - x->newest;
        if (gap >= FL_TPLEV_RING)
            memset(x->slot, 0, sizeof x->slot);
        else
            for (int64_t m = x->newest + 1; m <= mi; m++)
                x->slot[((m % FL_TPLEV_RING) + FL_TPLEV_RING) % FL_TPLEV_RING] = 0;
        x->newest = mi;
    }
    if (mi > x->newest - FL_TPLEV_RING) {
        uint32_t *s = &x->slot[((mi % FL_TPLEV_RING) + FL_TPLEV_RING) % FL_TPLEV_RING];
        if (*s < UINT32_MAX)
            (*s)++;
    }
}

void fl_tplev_add(fl_tplev *t, int32_t svc, fl_time ts, fl_str msg,
                  bool is_error)
{
    if (svc < 0 || ts == FL_TIME_NONE)
        return;
    grow_svcs(t, svc);
    if (t->first[svc] == FL_TIME_NONE || ts < t->first[svc])
        t->first[svc] = ts;
    if (!is_error || msg.n == 0)
        return;
    t->scratch.n = 0;
    fl_tpl_masked(t->masker, msg, &t->scratch);
    if (t->scratch.n == 0)
        return;
    size_t n = FL_MIN(t->scratch.n, (size_t)FL_TPL_TEXT_MAX);
    while (n > 0 && n < t->scratch.n &&
           ((unsigned char)t->scratch.p[n] & 0xC0) == 0x80)
        n--; /* cut on a UTF-8 boundary */
    t->scratch.p[n] = '\0';
    uint64_t h = fl_hash64(t->scratch.p, n, (uint64_t)svc * 0x9e3779b97f4a7c15ULL);
    int64_t mi = minute_of(ts);
    int32_t i = lookup(t, svc, h, t->scratch.p);
    if (i < 0) {
        if (t->per[svc] >= FL_TPLEV_PER_SERVICE ||
            (t->n >= FL_TPLEV_TOTAL && t->per[svc] > 0)) {
            i = stalest(t, svc); /* its slot is reused */
            unlink_tpl(t, i);
        } else if (t->n >= FL_TPLEV_TOTAL) {
            t->rejected++; /* full, and this service has none to give */
            return;
        } else {
            if (t->n == t->cap) {
                t->cap = t->cap ? 2 * t->cap : 64;
                t->v = fl_realloc(t->v, t->cap * sizeof *t->v);
            }
            i = (int32_t)t->n++;
        }
        tpl *x = &t->v[i];
        memset(x, 0, sizeof *x);
        x->hash = h;
        x->svc = svc;
        x->live = true;
        x->first = ts;
        x->newest = mi;
        memcpy(x->text, t->scratch.p, n + 1);
        link_tpl(t, i);
    }
    tpl *x = &t->v[i];
    if (ts < x->first)
        x->first = ts;
    x->total++;
    bump(x, mi);
}

/* lines in minutes [a, b) that the ring still holds */
static uint64_t count_in(const tpl *x, int64_t a, int64_t b)
{
    if (a < x->newest - FL_TPLEV_RING + 1)
        a = x->newest - FL_TPLEV_RING + 1;
    if (b > x->newest + 1)
        b = x->newest + 1;
    uint64_t s = 0;
    for (int64_t m = a; m < b; m++)
        s += x->slot[((m % FL_TPLEV_RING) + FL_TPLEV_RING) % FL_TPLEV_RING];
    return s;
}

/* end of the first minute in [a, b) at which the running count from a
 * reaches need; FL_TIME_NONE if it never does */
static fl_time reached(const tpl *x, int64_t a, int64_t b, uint64_t need)
{
    uint64_t s = 0;
    for (int64_t m = a; m < b; m++) {
        s += count_in(x, m, m + 1);
        if (s >= need)
            return (m + 1) * MIN_NS;
    }
    return FL_TIME_NONE;
}

static int finding_cmp(const void *p, const void *q)
{
    const fl_tpl_finding *a = p, *b = q;
    if (a->count != b->count)
        return a->count > b->count ? -1 : 1;
    return strcmp(a->text, b->text);
}

uint32_t fl_tplev_findings(const fl_tplev *t, int32_t svc, fl_time onset,
                           fl_time cutoff, fl_tpl_finding *out, uint32_t max)
{
    if (svc < 0 || (uint32_t)svc >= t->nsvc || t->first[svc] == FL_TIME_NONE ||
        onset == FL_TIME_NONE || max == 0)
        return 0;
    int64_t cm = cutoff == INT64_MAX ? INT64_MAX / 2 : minute_of(cutoff);
    int64_t om = minute_of(onset);
    fl_tpl_finding *all = NULL;
    uint32_t n = 0, cap = 0;
    for (uint32_t i = 0; i < t->n; i++) {
        const tpl *x = &t->v[i];
        if (!x->live || x->svc != svc)
            continue;
        int64_t fm = minute_of(x->first);
        if (fm >= cm)
            continue; /* not seen before the cutoff */
        fl_tpl_finding f;
        memset(&f, 0, sizeof f);
        f.service = svc;
        f.first_seen = x->first;
        bool novel = x->first >= onset - NEW_WINDOW_MIN * MIN_NS &&
                     x->first <= onset + NEW_WINDOW_MIN * MIN_NS &&
                     x->first - t->first[svc] >= HISTORY_MIN * MIN_NS;
        if (novel) {
            uint64_t after = count_in(x, cm, INT64_MAX / 2);
            uint64_t cnt = x->total - FL_MIN(after, x->total);
            if (cnt < NEW_MIN_LINES)
                continue;
            f.novel = true;
            f.onset = x->first;
            f.count = cnt;
            f.detected = reached(x, fm, FL_MIN(cm, fm + FL_TPLEV_RING),
                                 NEW_MIN_LINES);
            if (f.detected == FL_TIME_NONE)
                f.detected = x->first;
            f.baseline = 0;
            int64_t w = FL_MIN(cm, fm + SURGE_WIN_MIN);
            f.peak = (double)count_in(x, fm, w) / (double)FL_MAX(w - fm, 1);
        } else if (x->first < onset - SURGE_BASE_MIN * MIN_NS) {
            int64_t w = FL_MIN(cm, om + SURGE_WIN_MIN);
            if (w <= om)
                continue;
            uint64_t base = count_in(x, om - SURGE_BASE_MIN, om);
            uint64_t win = count_in(x, om, w);
            double br = (double)base / SURGE_BASE_MIN;
            double pr = (double)win / (double)(w - om);
            if (win < SURGE_MIN_LINES || pr < SURGE_RATIO * FL_MAX(br, 0.1))
                continue;
            f.onset = onset;
            f.count = win;
            f.baseline = br;
            f.peak = pr;
            f.detected = reached(x, om, w, SURGE_MIN_LINES);
            if (f.detected == FL_TIME_NONE)
                f.detected = onset;
        } else {
            continue;
        }
        memcpy(f.text, x->text, sizeof f.text);
        if (n == cap) {
            cap = cap ? 2 * cap : 8;
            all = fl_realloc(all, cap * sizeof *all);
        }
        all[n++] = f;
    }
    if (n > 1)
        qsort(all, n, sizeof *all, finding_cmp);
    uint32_t k = FL_MIN(n, max);
    if (k)
        memcpy(out, all, k * sizeof *out);
    free(all);
    return k;
}

/* ----------------------------------------------------------- checkpoint */

#define LAYOUT 1

void fl_tplev_pack(const fl_tplev *t, msgpack_packer *pk)
{
    msgpack_pack_map(pk, 4);
    fl_pk_key(pk, "v");
    msgpack_pack_uint64(pk, LAYOUT);
    uint32_t nf = 0;
    for (uint32_t i = 0; i < t->nsvc; i++)
        nf += t->first[i] != FL_TIME_NONE;
    fl_pk_key(pk, "first");
    msgpack_pack_array(pk, nf);
    for (uint32_t i = 0; i < t->nsvc; i++)
        if (t->first[i] != FL_TIME_NONE) {
            msgpack_pack_array(pk, 2);
            msgpack_pack_int64(pk, i);
            msgpack_pack_int64(pk, t->first[i]);
        }
    fl_pk_key(pk, "rejected");
    msgpack_pack_uint64(pk, t->rejected);
    uint32_t nl = 0;
    for (uint32_t i = 0; i < t->n; i++)
        nl += t->v[i].live;
    fl_pk_key(pk, "tpls");
    msgpack_pack_array(pk, nl);
    for (uint32_t i = 0; i < t->n; i++) {
        const tpl *x = &t->v[i];
        if (!x->live)
            continue;
        msgpack_pack_map(pk, 6);
        fl_pk_key(pk, "svc");
        msgpack_pack_int64(pk, x->svc);
        fl_pk_key(pk, "text");
        fl_pk_str(pk, x->text, strlen(x->text));
        fl_pk_key(pk, "first");
        msgpack_pack_int64(pk, x->first);
        fl_pk_key(pk, "newest");
        msgpack_pack_int64(pk, x->newest);
        fl_pk_key(pk, "total");
        msgpack_pack_uint64(pk, x->total);
        fl_pk_key(pk, "slots");
        msgpack_pack_array(pk, FL_TPLEV_RING);
        for (uint32_t k = 0; k < FL_TPLEV_RING; k++)
            msgpack_pack_uint32(pk, x->slot[k]);
    }
}

bool fl_tplev_unpack(fl_tplev *t, fl_rd *rd, const msgpack_object *o,
                     uint32_t nsvc)
{
    static const char *const keys[] = {"v", "first", "rejected", "tpls", NULL};
    static const char *const tkeys[] = {"svc",    "text",  "first",
                                        "newest", "total", "slots", NULL};
    int64_t v;
    const msgpack_object *it;
    uint32_t n;
    if (!fl_rd_map(rd, o, keys) || !fl_rd_f_int(rd, o, "v", LAYOUT, LAYOUT, &v) ||
        !fl_rd_f_u64(rd, o, "rejected", &t->rejected) ||
        !fl_rd_f_array(rd, o, "first", 0, nsvc, &it, &n))
        return false;
    for (uint32_t i = 0; i < n; i++) {
        const msgpack_object *pair;
        uint32_t two;
        int64_t s;
        fl_time ts;
        size_t m = fl_rd_push(rd, ".first[%" PRIu32 "]", i);
        bool ok = fl_rd_array(rd, &it[i], 2, 2, &pair, &two) &&
                  fl_rd_int(rd, &pair[0], 0, (int64_t)nsvc - 1, &s) &&
                  fl_rd_time(rd, &pair[1], false, &ts);
        fl_rd_pop(rd, m);
        if (!ok)
            return false;
        grow_svcs(t, (int32_t)s);
        t->first[s] = ts;
    }
    if (!fl_rd_f_array(rd, o, "tpls", 0, FL_TPLEV_TOTAL, &it, &n))
        return false;
    for (uint32_t i = 0; i < n; i++) {
        size_t m = fl_rd_push(rd, ".tpls[%" PRIu32 "]", i);
        const msgpack_object *x = &it[i];
        int32_t svc;
        const char *text = NULL;
        uint32_t tn = 0;
        fl_time first;
        int64_t newest;
        uint64_t total;
        tpl y;
        memset(&y, 0, sizeof y);
        bool ok = fl_rd_map(rd, x, tkeys) &&
                  fl_rd_f_i32(rd, x, "svc", 0, (int32_t)nsvc - 1, &svc) &&
                  fl_rd_f_time(rd, x, "first", false, &first) &&
                  fl_rd_f_int(rd, x, "newest", -minute_of(FL_CKPT_TIME_LIM),
                              minute_of(FL_CKPT_TIME_LIM), &newest) &&
                  fl_rd_f_u64(rd, x, "total", &total) &&
                  fl_rd_f_u32s(rd, x, "slots", FL_TPLEV_RING, y.slot);
        if (ok) {
            size_t m2 = fl_rd_push(rd, ".text");
            ok = fl_rd_string(rd, fl_rd_get(rd, x, "text"), FL_TPL_TEXT_MAX,
                              false, &text, &tn);
            fl_rd_pop(rd, m2);
        }
        if (ok) {
            grow_svcs(t, svc);
            if (t->per[svc] >= FL_TPLEV_PER_SERVICE)
                ok = fl_rd_fail(rd, "more than %d templates of service %d",
                                FL_TPLEV_PER_SERVICE, (int)svc);
        }
        if (ok) {
            memcpy(y.text, text, tn);
            y.text[tn] = '\0';
            y.hash = fl_hash64(y.text, tn, (uint64_t)svc * 0x9e3779b97f4a7c15ULL);
            if (tn == 0 || strlen(y.text) != tn || lookup(t, svc, y.hash, y.text) >= 0)
                ok = fl_rd_fail(rd, "empty, NUL-holding or duplicate template");
        }
        fl_rd_pop(rd, m);
        if (!ok)
            return false;
        y.svc = svc;
        y.live = true;
        y.first = first;
        y.newest = newest;
        y.total = total;
        if (t->n == t->cap) {
            t->cap = t->cap ? 2 * t->cap : 64;
            t->v = fl_realloc(t->v, t->cap * sizeof *t->v);
        }
        int32_t idx = (int32_t)t->n++;
        t->v[idx] = y;
        link_tpl(t, idx);
    }
    return true;
}
