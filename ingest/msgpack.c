/*
 * msgpack.c - msgpack records: one object per Kafka message, or a file of
 * concatenated objects (Fluent Bit's file output with format msgpack, a
 * capture of a forward stream).
 *
 * What is a record: a map with the same keys as the JSON forms (flat dotted
 * keys or nested maps, matched by dotted path exactly as json.c does), or
 * Fluent Bit's event [TIMESTAMP, MAP] (before 2.1) or
 * [[TIMESTAMP, METADATA], MAP] (2.1 and later), or Fluentd's forward
 * "message mode" [TAG, TIMESTAMP, MAP(, OPTION)]. TIMESTAMP is an integer
 * or float epoch (unit by magnitude, as for JSON), Fluentd's EventTime
 * (ext type 0: big-endian uint32 seconds + uint32 nanoseconds) or the
 * msgpack timestamp extension (type -1, 4, 8 or 12 bytes). A time key in
 * the map wins over TIMESTAMP: it is the application's own event time,
 * while TIMESTAMP is often when the shipper read the line.
 *
 * Hostile input: msgpack lengths are declared up front, so 5 bytes can
 * claim a 4 GiB string or an array of 4 billion elements, and a library
 * unpacker (msgpack-c's included) allocates what a header claims before
 * it has seen the data. Nothing here allocates by a header. In a stream,
 * a structural scanner (mp_scan: incremental, bounded depth) finds where
 * each object ends, and an object over the size cap (--max-line) is
 * skipped without being held; only a complete object is then walked, in
 * place. The walk checks every length against the bytes there are and
 * counts depth as the scanner does, so a single object (a Kafka message)
 * is walked first and scanned only to say why it failed (truncated, too
 * deep, an invalid byte). The walk never allocates: strings are returned
 * where they lie (one holding NUL bytes is copied to the decoder's scratch
 * with U+FFFD for each NUL, as JSON's \u0000), numbers used as times are
 * formatted into a small per-decoder buffer, and the values go through
 * json.c's mapping (fl_json_event), so validation is the same for every
 * format. msgpack-c itself serves the tests and the fuzz target as the
 * reference the framing is checked against.
 *
 * fl_ckpt_scan (common/ckpt.c) does the same check for checkpoints but
 * wants exactly one value filling a buffer and reports by message, while a
 * stream needs to find the end of the first of many values as bytes
 * arrive, to skip an oversized object without holding it, and to count
 * each rejection by reason; hence a scanner of its own here.
 */
#include "ingest_int.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Containers nested deeper than this are refused (too_deep). msgpack-c
 * stops at 32; records nest a handful of levels. */
#define MP_MAX_DEPTH 24

/* ----------------------------------------------------------- the scanner */

typedef enum {
    MP_MORE, /* all bytes consumed, the object is not complete */
    MP_DONE, /* the object ended; *used says where */
    MP_BAD,  /* a byte that is no msgpack type (0xc1) */
    MP_DEEP, /* nested deeper than MP_MAX_DEPTH */
} mp_res;

typedef struct {
    uint64_t left[MP_MAX_DEPTH + 1]; /* items still to start, per level */
    int depth;
    uint64_t skip;     /* payload bytes still to pass */
    uint64_t acc;      /* length field being read */
    unsigned need;     /* length bytes still to read */
    unsigned mult;     /* length field: 0 payload, 1 array, 2 map */
    unsigned extra;    /* payload bytes beyond the length (ext type) */
    uint64_t total;    /* bytes of this object so far */
} mp_scan;

static void mp_scan_init(mp_scan *s)
{
    s->depth = 0;
    s->left[0] = 1;
    s->skip = s->acc = 0;
    s->need = s->mult = s->extra = 0;
    s->total = 0;
}

/* The item just finished: closes the containers it completed. True when
 * that was the whole object. */
static bool mp_item_done(mp_scan *s)
{
    while (s->left[s->depth] == 0) {
        if (s->depth == 0)
            return true;
        s->depth--;
    }
    return false;
}

/* A container of `items` elements starts. */
static mp_res mp_open(mp_scan *s, uint64_t items)
{
    if (s->depth >= MP_MAX_DEPTH)
        return MP_DEEP;
    if (items == 0)
        return mp_item_done(s) ? MP_DONE : MP_MORE;
    s->left[++s->depth] = items;
    return MP_MORE;
}

static mp_res mp_payload(mp_scan *s, uint64_t n)
{
    s->skip = n;
    if (n == 0)
        return mp_item_done(s) ? MP_DONE : MP_MORE;
    return MP_MORE;
}

/* Consumes up to n bytes of the object being scanned; *used says how many
 * (all of them unless the object ended or was refused). Resumable: the
 * next call goes on where this one stopped. */
static mp_res mp_scan_feed(mp_scan *s, const unsigned char *p, size_t n,
                           size_t *used)
{
    size_t i = 0;
    mp_res r = MP_MORE;
    while (i < n && r == MP_MORE) {
        if (s->skip) {
            uint64_t k = FL_MIN(s->skip, (uint64_t)(n - i));
            i += (size_t)k;
            s->skip -= k;
            if (s->skip == 0 && mp_item_done(s))
                r = MP_DONE;
            continue;
        }
        if (s->need) {
            s->acc = s->acc << 8 | p[i++];
            if (--s->need)
                continue;
            if (s->mult)
                r = mp_open(s, s->acc * s->mult);
            else
                r = mp_payload(s, s->acc + s->extra);
            continue;
        }
        unsigned c = p[i++];
        s->left[s->depth]--;
        unsigned hdr = 0, mult = 0, extra = 0;
        uint64_t fixed = 0;
        if (c <= 0x7f || c >= 0xe0 || c == 0xc0 || c == 0xc2 || c == 0xc3) {
            r = mp_item_done(s) ? MP_DONE : MP_MORE; /* fixints, nil, bool */
            continue;
        } else if (c <= 0x8f) {
            r = mp_open(s, 2 * (uint64_t)(c & 0x0f));
            continue;
        } else if (c <= 0x9f) {
            r = mp_open(s, c & 0x0f);
            continue;
        } else if (c <= 0xbf) {
            r = mp_payload(s, c & 0x1f);
            continue;
        }
        switch (c) {
        case 0xc4: case 0xd9: hdr = 1; break; /* bin8, str8 */
        case 0xc5: case 0xda: hdr = 2; break;
        case 0xc6: case 0xdb: hdr = 4; break;
        case 0xc7: hdr = 1; extra = 1; break; /* ext8: length, type, data */
        case 0xc8: hdr = 2; extra = 1; break;
        case 0xc9: hdr = 4; extra = 1; break;
        case 0xca: fixed = 4; break;
        case 0xcb: fixed = 8; break;
        case 0xcc: case 0xd0: fixed = 1; break;
        case 0xcd: case 0xd1: fixed = 2; break;
        case 0xce: case 0xd2: fixed = 4; break;
        case 0xcf: case 0xd3: fixed = 8; break;
        case 0xd4: fixed = 2; break; /* fixext: type + data */
        case 0xd5: fixed = 3; break;
        case 0xd6: fixed = 5; break;
        case 0xd7: fixed = 9; break;
        case 0xd8: fixed = 17; break;
        case 0xdc: hdr = 2; mult = 1; break;
        case 0xdd: hdr = 4; mult = 1; break;
        case 0xde: hdr = 2; mult = 2; break;
        case 0xdf: hdr = 4; mult = 2; break;
        default: /* 0xc1: never used */
            r = MP_BAD;
            continue;
        }
        if (hdr) {
            s->need = hdr;
            s->acc = 0;
            s->mult = mult;
            s->extra = extra;
        } else {
            r = mp_payload(s, fixed);
        }
    }
    s->total += i;
    *used = i;
    return r;
}

/* Scans a buffer that should hold exactly one object. */
static bool mp_scan_one(const unsigned char *p, size_t n, fl_bad_reason *why)
{
    mp_scan s;
    mp_scan_init(&s);
    size_t used;
    switch (mp_scan_feed(&s, p, n, &used)) {
    case MP_DONE:
        if (used == n)
            return true;
        *why = FL_BAD_SYNTAX; /* bytes after the object */
        return false;
    case MP_MORE: *why = FL_BAD_TRUNCATED; return false;
    case MP_DEEP: *why = FL_BAD_TOO_DEEP; return false;
    case MP_BAD: break;
    }
    *why = FL_BAD_SYNTAX;
    return false;
}

/* ----------------------------------------------------- reading in place */

typedef enum {
    MT_NIL, MT_BOOL, MT_UINT, MT_INT, MT_FLOAT, MT_STR, MT_BIN, MT_EXT,
    MT_ARRAY, MT_MAP,
} mp_type;

typedef struct {
    mp_type t;
    uint64_t u;        /* MT_UINT; lengths of containers, strings, ext */
    int64_t i;         /* MT_INT (negative) */
    double f;          /* MT_FLOAT */
    int8_t ext;        /* MT_EXT: its type */
    const unsigned char *data; /* MT_STR, MT_BIN, MT_EXT payload */
} mp_item;

typedef struct {
    const unsigned char *p, *end;
} mp_cur;

static uint64_t be(const unsigned char *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

static bool take(mp_cur *c, uint64_t n, const unsigned char **out)
{
    if (n > (uint64_t)(c->end - c->p))
        return false;
    *out = c->p;
    c->p += n;
    return true;
}

/* Reads one item's header (and a scalar's payload; a string's, binary's or
 * extension's data is returned in place). Containers' elements follow. The
 * object was scanned already, so failures here mean a bug, not bad input;
 * they are still checked. */
static bool mp_read(mp_cur *c, mp_item *it)
{
    const unsigned char *q;
    if (c->p >= c->end)
        return false;
    unsigned b = *c->p++;
    memset(it, 0, sizeof *it);
    if (b <= 0x7f) {
        it->t = MT_UINT;
        it->u = b;
        return true;
    }
    if (b >= 0xe0) {
        it->t = MT_INT;
        it->i = (int8_t)b;
        return true;
    }
    if (b <= 0x8f) {
        it->t = MT_MAP;
        it->u = b & 0x0f;
        return true;
    }
    if (b <= 0x9f) {
        it->t = MT_ARRAY;
        it->u = b & 0x0f;
        return true;
    }
    if (b <= 0xbf) {
        it->t = MT_STR;
        it->u = b & 0x1f;
        return take(c, it->u, &it->data);
    }
    unsigned hdr = 0;
    switch (b) {
    case 0xc0: it->t = MT_NIL; return true;
    case 0xc2: case 0xc3: it->t = MT_BOOL; it->u = b & 1; return true;
    case 0xc4: case 0xc5: case 0xc6:
    case 0xd9: case 0xda: case 0xdb:
        it->t = b <= 0xc6 ? MT_BIN : MT_STR;
        hdr = b <= 0xc6 ? 1u << (b - 0xc4) : 1u << (b - 0xd9);
        if (!take(c, hdr, &q))
            return false;
        it->u = be(q, hdr);
        return take(c, it->u, &it->data);
    case 0xc7: case 0xc8: case 0xc9:
        hdr = 1u << (b - 0xc7);
        if (!take(c, hdr, &q))
            return false;
        it->t = MT_EXT;
        it->u = be(q, hdr);
        if (!take(c, 1, &q))
            return false;
        it->ext = (int8_t)q[0];
        return take(c, it->u, &it->data);
    case 0xca: {
        if (!take(c, 4, &q))
            return false;
        uint32_t w = (uint32_t)be(q, 4);
        float f;
        memcpy(&f, &w, 4);
        it->t = MT_FLOAT;
        it->f = f;
        return true;
    }
    case 0xcb: {
        if (!take(c, 8, &q))
            return false;
        uint64_t w = be(q, 8);
        memcpy(&it->f, &w, 8);
        it->t = MT_FLOAT;
        return true;
    }
    case 0xcc: case 0xcd: case 0xce: case 0xcf:
        hdr = 1u << (b - 0xcc);
        if (!take(c, hdr, &q))
            return false;
        it->t = MT_UINT;
        it->u = be(q, hdr);
        return true;
    case 0xd0: case 0xd1: case 0xd2: case 0xd3: {
        hdr = 1u << (b - 0xd0);
        if (!take(c, hdr, &q))
            return false;
        uint64_t w = be(q, hdr);
        /* sign-extend from hdr bytes */
        if (hdr < 8 && (w >> (8 * hdr - 1)) & 1)
            w |= ~(uint64_t)0 << (8 * hdr);
        int64_t v;
        memcpy(&v, &w, 8);
        if (v >= 0) {
            it->t = MT_UINT;
            it->u = (uint64_t)v;
        } else {
            it->t = MT_INT;
            it->i = v;
        }
        return true;
    }
    case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8:
        if (!take(c, 1, &q))
            return false;
        it->t = MT_EXT;
        it->ext = (int8_t)q[0];
        it->u = 1u << (b - 0xd4);
        return take(c, it->u, &it->data);
    case 0xdc: case 0xdd: case 0xde: case 0xdf:
        hdr = b == 0xdc || b == 0xde ? 2 : 4;
        if (!take(c, hdr, &q))
            return false;
        it->t = b <= 0xdd ? MT_ARRAY : MT_MAP;
        it->u = be(q, hdr);
        return true;
    }
    return false; /* 0xc1 */
}

/* Skips the n elements of the depth-th open container. Depth counts as
 * the scanner's does: a container may open while fewer than MP_MAX_DEPTH
 * are open, so whatever the walk accepts the scan accepts too. */
static bool mp_skip_items(mp_cur *c, uint64_t n, int depth)
{
    for (uint64_t k = 0; k < n; k++) {
        mp_item it;
        if (!mp_read(c, &it))
            return false;
        if (it.t != MT_ARRAY && it.t != MT_MAP)
            continue;
        if (depth >= MP_MAX_DEPTH ||
            !mp_skip_items(c, it.t == MT_MAP ? 2 * it.u : it.u, depth + 1))
            return false;
    }
    return true;
}

/* --------------------------------------------------------- the decoder */

/* Per decoder: the text of numbers kept as values (a time must be parsed
 * from its digits to stay exact to the nanosecond), one slot per field
 * plus one for the record's own TIMESTAMP. */
#define SLOT_RECORD_TS FL_JSON_FIELDS
typedef struct {
    char num[FL_JSON_FIELDS + 1][48];
} mp_state;

typedef struct {
    fl_decoder *dec;
    mp_state *st;
    mp_cur c;
    fl_bad_reason why;
    bool failed;
} walker;

static bool wfail(walker *w, fl_bad_reason why)
{
    if (!w->failed) {
        w->failed = true;
        w->why = why;
    }
    return false;
}

/* A msgpack string as an event string: valid UTF-8, NULs replaced. */
static bool keep_string(walker *w, const unsigned char *p, size_t n,
                        fl_str *out)
{
    const char *s = (const char *)p;
    if (!fl_utf8_valid(s, n))
        return wfail(w, FL_BAD_UTF8);
    if (!memchr(s, '\0', n)) {
        out->p = s;
        out->n = n;
        return true;
    }
    fl_decoder *dec = w->dec;
    char *d = dec->scratch + dec->scratch_n, *d0 = d;
    for (size_t i = 0; i < n; i++) {
        if (s[i]) {
            *d++ = s[i];
        } else { /* U+FFFD */
            *d++ = (char)0xEF;
            *d++ = (char)0xBF;
            *d++ = (char)0xBD;
        }
    }
    out->p = d0;
    out->n = (size_t)(d - d0);
    dec->scratch_n += out->n;
    return true;
}

/* A time from an extension: Fluentd's EventTime (type 0) or the msgpack
 * timestamp (type -1). */
static bool ext_time(const mp_item *it, uint64_t *sec, uint32_t *nsec)
{
    const unsigned char *d = it->data;
    if (it->ext == 0 && it->u == 8) {
        *sec = be(d, 4);
        *nsec = (uint32_t)be(d + 4, 4);
    } else if (it->ext == -1 && it->u == 4) {
        *sec = be(d, 4);
        *nsec = 0;
    } else if (it->ext == -1 && it->u == 8) {
        uint64_t v = be(d, 8);
        *nsec = (uint32_t)(v >> 34);
        *sec = v & 0x3ffffffffULL;
    } else if (it->ext == -1 && it->u == 12) {
        *nsec = (uint32_t)be(d, 4);
        uint64_t s = be(d + 4, 8);
        if (s >> 63)
            return false; /* before 1970: outside any accepted range */
        *sec = s;
    } else {
        return false;
    }
    return *nsec < 1000000000u;
}

/* Decimal digits of v at the end of buf[0..cap): returns the first. */
static char *u64_text(uint64_t v, char *buf, size_t cap)
{
    char *p = buf + cap;
    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return p;
}

/* Fills v from a scalar item; `slot` is where number text may go. Only
 * times need a number's text (fl_time_parse keeps it exact to the ns);
 * other fields take the number. */
static bool set_value(walker *w, value *v, const mp_item *it, unsigned slot)
{
    char *txt = w->st->num[slot];
    size_t cap = sizeof w->st->num[slot];
    bool want_text = slot == F_TS || slot == SLOT_RECORD_TS;
    uint64_t sec;
    uint32_t nsec;
    switch (it->t) {
    case MT_NIL:
        v->t = V_NONE;
        return true;
    case MT_STR:
    case MT_BIN: /* old encoders wrote all strings as raw/bin */
        v->t = V_STR;
        return keep_string(w, it->data, (size_t)it->u, &v->s);
    case MT_UINT:
        v->t = V_NUM;
        v->num = (double)it->u;
        v->s.p = txt;
        v->s.n = 0;
        if (want_text) {
            v->s.p = u64_text(it->u, txt, cap);
            v->s.n = (size_t)(txt + cap - v->s.p);
        }
        return true;
    case MT_INT: /* negative: no time, status or duration */
        v->t = V_NUM;
        v->num = (double)it->i;
        v->s.p = txt;
        v->s.n = 0;
        return true;
    case MT_FLOAT:
        /* NaN or infinity is no time, status or duration */
        if (!isfinite(it->f)) {
            v->t = V_OTHER;
            return true;
        }
        v->t = V_NUM;
        v->num = it->f;
        v->s.p = txt;
        v->s.n = 0;
        if (want_text && it->f >= 0 && it->f < 9e18) {
            /* as decimal text, so a time is exact to what the double
             * holds: 1710074096.25 * 1e9 in floating point is off by
             * 128 ns, "1710074096.250000000" parsed is not */
            double ip = floor(it->f);
            uint64_t whole = (uint64_t)ip;
            uint64_t frac = (uint64_t)llround((it->f - ip) * 1e9);
            if (frac >= 1000000000u) {
                whole++;
                frac -= 1000000000u;
            }
            v->s.n = (size_t)snprintf(txt, cap, "%" PRIu64 ".%09" PRIu64,
                                      whole, frac);
        }
        return true;
    case MT_EXT:
        if (!ext_time(it, &sec, &nsec)) {
            v->t = V_OTHER;
            return true;
        }
        v->t = V_NUM;
        v->num = (double)sec + nsec / 1e9;
        v->s.p = txt;
        v->s.n = (size_t)snprintf(txt, cap, "%" PRIu64 ".%09" PRIu32, sec,
                                  nsec);
        return true;
    default:
        v->t = V_OTHER;
        return true;
    }
}

/* The pairs of a map whose header was read; plen as in json.c (length of
 * the dotted path in dec->path, SIZE_MAX when no key inside can matter). */
static bool walk_map(walker *w, uint64_t pairs, int depth, size_t plen)
{
    fl_decoder *dec = w->dec;
    for (uint64_t k = 0; k < pairs; k++) {
        mp_item key, val;
        if (!mp_read(&w->c, &key))
            return wfail(w, FL_BAD_SYNTAX);
        size_t klen = SIZE_MAX;
        if (key.t == MT_MAP || key.t == MT_ARRAY) {
            /* a container as a key: legal msgpack, never a field */
            if (depth >= MP_MAX_DEPTH ||
                !mp_skip_items(&w->c, key.u * (key.t == MT_MAP ? 2 : 1),
                               depth + 1))
                return wfail(w, FL_BAD_SYNTAX);
        } else if ((key.t == MT_STR || key.t == MT_BIN) && plen != SIZE_MAX &&
                   key.u > 0) {
            size_t need = plen + (plen ? 1 : 0) + (size_t)key.u;
            if (need <= FL_JSON_PATH_MAX) {
                if (plen)
                    dec->path[plen] = '.';
                memcpy(dec->path + plen + (plen ? 1 : 0), key.data,
                       (size_t)key.u);
                klen = need;
            }
        }
        if (!mp_read(&w->c, &val))
            return wfail(w, FL_BAD_SYNTAX);
        if ((val.t == MT_MAP || val.t == MT_ARRAY) && depth >= MP_MAX_DEPTH)
            return wfail(w, FL_BAD_TOO_DEEP);
        if (val.t == MT_MAP) {
            /* {"service": {"name": ...}} fills service.name from inside */
            if (!walk_map(w, val.u, depth + 1, klen))
                return false;
            continue;
        }
        if (val.t == MT_ARRAY) {
            if (!mp_skip_items(&w->c, val.u, depth + 1))
                return wfail(w, FL_BAD_SYNTAX);
            continue;
        }
        field f = klen != SIZE_MAX ? fl_field_of(dec, dec->path, klen) : F_NONE;
        if (f != F_NONE && !set_value(w, &dec->v[f], &val, (unsigned)f))
            return false;
    }
    return true;
}

/* The record of an array: Fluent Bit's [time, map] or [[time, meta...],
 * map], Fluentd's message mode [tag, time, map(, option)]. Leaves the
 * cursor after the map's header (read into *rec), the time in *ts, and
 * how many elements follow the map in *after. */
static bool record_array(walker *w, uint64_t n, mp_item *ts, mp_item *rec,
                         uint64_t *after)
{
    mp_item it;
    if (n < 2 || n > 4 || !mp_read(&w->c, &it))
        return false;
    *after = n >= 3 ? n - 3 : 0;
    if (n >= 3) {
        if (it.t != MT_STR || !mp_read(&w->c, &it))
            return false;
    } else if (it.t == MT_ARRAY) {
        uint64_t rest = it.u;
        if (rest == 0 || !mp_read(&w->c, &it) ||
            !mp_skip_items(&w->c, rest - 1, 2))
            return false;
    }
    if (it.t == MT_ARRAY || it.t == MT_MAP)
        return false;
    *ts = it;
    return mp_read(&w->c, rec) && rec->t == MT_MAP;
}

/* Walks one record; false when it is no record (or w failed). */
static bool walk_record(walker *w, value *rec_ts)
{
    mp_item top, ts, rec;
    uint64_t after;
    if (!mp_read(&w->c, &top))
        return false;
    if (top.t == MT_MAP)
        return walk_map(w, top.u, 1, 0);
    if (top.t != MT_ARRAY || !record_array(w, top.u, &ts, &rec, &after))
        return false; /* a scalar, or an array of another shape */
    return set_value(w, rec_ts, &ts, SLOT_RECORD_TS) &&
           walk_map(w, rec.u, 2, 0) && mp_skip_items(&w->c, after, 1);
}

bool fl_msgpack_decode(fl_decoder *dec, fl_str obj, fl_event *ev,
                       fl_bad_reason *why)
{
    const unsigned char *p = (const unsigned char *)obj.p;
    mp_state *st = dec->state[FL_FORMAT_MSGPACK];
    if (!st) {
        st = fl_calloc(1, sizeof *st);
        dec->state[FL_FORMAT_MSGPACK] = st;
    }
    /* a NUL becomes 3 bytes: the most a kept string can grow */
    fl_decoder_scratch(dec, 3 * obj.n + 8);
    memset(dec->v, 0, sizeof dec->v);
    walker w = {dec, st, {p, p + obj.n}, FL_BAD_SYNTAX, false};
    value rec_ts = {V_NONE, FL_STR_NULL, 0};
    /* The walk reads every header with bounds checks and allocates
     * nothing, so it may go first; only when it fails does the scanner say
     * why (truncated, too deep, an invalid byte before anything else). */
    if (!walk_record(&w, &rec_ts) || w.failed || w.c.p != w.c.end) {
        if (obj.n == 0)
            *why = FL_BAD_SYNTAX;
        else if (mp_scan_one(p, obj.n, why)) /* sound, but no record */
            *why = w.failed ? w.why : FL_BAD_SYNTAX;
        return false;
    }
    if (dec->v[F_TS].t == V_NONE)
        dec->v[F_TS] = rec_ts;
    return fl_json_event(dec, ev, why);
}

bool fl_msgpack_decode_line(fl_decoder *dec, fl_str line, fl_str fallback,
                            fl_event *ev, fl_bad_reason *why)
{
    (void)fallback;
    return fl_msgpack_decode(dec, line, ev, why);
}

void fl_msgpack_free_state(void *state)
{
    free(state);
}

/* A map or an array header: what a record starts with. 0x80-0x9f never
 * start UTF-8 text; 0xdc-0xdf do (U+0700..U+07FF), but then the next byte
 * is a continuation byte (0x80-0xbf), which no array16/32 or map16/32
 * header of a plausible record has (it would claim over 32767 elements). */
static bool record_start(const unsigned char *p, size_t n)
{
    if (n == 0)
        return false;
    if (p[0] >= 0x80 && p[0] <= 0x9f)
        return true;
    if (p[0] >= 0xdc && p[0] <= 0xdf)
        return n >= 2 && !(p[1] >= 0x80 && p[1] <= 0xbf);
    return false;
}

bool fl_msgpack_sniff(fl_str line)
{
    const unsigned char *p = (const unsigned char *)line.p;
    if (!record_start(p, line.n))
        return false;
    if (p[0] <= 0x9f)
        return true;
    /* 0xdc-0xdf could still be Latin-1 text ("Über"): only when the whole
     * message is one msgpack object */
    fl_bad_reason why;
    return mp_scan_one(p, line.n, &why);
}

bool fl_msgpack_stream_sniff(const void *p, size_t n)
{
    return record_start(p, n);
}

/* ------------------------------------------------------------- streams */

struct fl_msgpack_stream {
    fl_source *src;
    size_t max_obj;
    unsigned char *buf;
    size_t cap;        /* one byte more is allocated, for a NUL */
    size_t start;      /* where the current object (or damage) starts */
    size_t pos, end;   /* scanned up to pos; data up to end */
    mp_scan sc;
    bool in_obj;       /* scanning an object */
    bool skipping;     /* the current object is over the cap: drop bytes */
    bool damaged;      /* skipping bytes that start no record (counted) */
    bool eof, err;
    size_t nul_at;     /* where a NUL was written after the last object */
    unsigned char nul_saved;
    bool nul_set;
    uint64_t objects;  /* objects and rejections handed out */
};

fl_msgpack_stream *fl_msgpack_stream_new(fl_source *src, size_t max_obj)
{
    fl_msgpack_stream *ms = fl_calloc(1, sizeof *ms);
    ms->src = src;
    ms->max_obj = max_obj ? max_obj : 65536;
    /* an object up to the cap plus room to read behind it (the source
     * has a buffer of its own; reads are copies from it) */
    ms->cap = 2 * ms->max_obj + ((size_t)64 << 10);
    ms->buf = fl_malloc(ms->cap + 1);
    return ms;
}

void fl_msgpack_stream_destroy(fl_msgpack_stream *ms)
{
    if (!ms)
        return;
    free(ms->buf);
    free(ms);
}

uint64_t fl_msgpack_stream_objects(const fl_msgpack_stream *ms)
{
    return ms->objects;
}

static fl_line_status stream_bad(fl_msgpack_stream *ms, fl_bad_reason r,
                                 fl_bad_reason *why)
{
    ms->objects++;
    *why = r;
    return FL_LINE_BAD;
}

/* Wants more bytes before going on: none left, or a lone 0xdc-0xdf whose
 * next byte decides whether it starts a record. */
static bool stream_starved(const fl_msgpack_stream *ms)
{
    if (ms->pos == ms->end)
        return true;
    /* a lone 0xdc-0xdf, or its count not all here yet */
    return !ms->in_obj && !ms->eof && ms->buf[ms->pos] >= 0xdc &&
           ms->buf[ms->pos] <= 0xdf &&
           ms->end - ms->pos < (ms->buf[ms->pos] & 1 ? 5u : 3u);
}

/* A record header (array16/32, map16/32) whose count alone needs more
 * bytes than the cap (every element takes at least one byte, every map
 * entry two): its length in bytes, else 0. Such a header (5 bytes can
 * declare 4 Gi entries) is refused on sight and the stream resynchronises
 * right after it, instead of scanning on to the end of the input looking
 * for an object that cannot fit: what follows is not lost. */
static size_t impossible_header(const unsigned char *p, size_t n, size_t cap)
{
    if (n < 3 || p[0] < 0xdc || p[0] > 0xdf)
        return 0;
    size_t hl = p[0] & 1 ? 5 : 3;
    if (n < hl)
        return 0;
    uint64_t count = hl == 3 ? (uint64_t)p[1] << 8 | p[2]
                             : (uint64_t)p[1] << 24 | (uint64_t)p[2] << 16 |
                                   (uint64_t)p[3] << 8 | p[4];
    uint64_t min = hl + count * (p[0] >= 0xde ? 2 : 1);
    return min > cap ? hl : 0;
}

fl_line_status fl_msgpack_stream_next(fl_msgpack_stream *ms, fl_str *obj,
                                      fl_bad_reason *why)
{
    if (ms->nul_set) {
        ms->buf[ms->nul_at] = ms->nul_saved;
        ms->nul_set = false;
    }
    for (;;) {
        if (stream_starved(ms) && !ms->eof) {
            /* keep the current object's bytes (never more than the cap),
             * drop everything before it */
            size_t keep = ms->in_obj && !ms->skipping ? ms->start : ms->pos;
            memmove(ms->buf, ms->buf + keep, ms->end - keep);
            ms->end -= keep;
            ms->pos -= keep;
            ms->start = ms->in_obj && !ms->skipping ? 0 : ms->pos;
            ptrdiff_t r = fl_source_read(ms->src, ms->buf + ms->end,
                                         ms->cap - ms->end);
            if (r < 0)
                ms->eof = ms->err = true;
            else if (r == 0)
                ms->eof = true;
            else
                ms->end += (size_t)r;
            continue;
        }
        if (ms->pos == ms->end) { /* and at the end of the input */
            if (ms->in_obj) {
                /* the input ends inside an object */
                bool too_long = ms->skipping;
                ms->in_obj = ms->skipping = false;
                ms->start = ms->pos;
                return stream_bad(ms, too_long ? FL_BAD_TOO_LONG
                                               : FL_BAD_TRUNCATED, why);
            }
            return ms->err ? FL_LINE_ERROR : FL_LINE_EOF;
        }
        if (!ms->in_obj) {
            if (!record_start(ms->buf + ms->pos, ms->end - ms->pos)) {
                /* not a record: damage (or a stray scalar) up to the next
                 * byte that starts one, counted once */
                ms->pos++;
                ms->start = ms->pos;
                if (!ms->damaged) {
                    ms->damaged = true;
                    return stream_bad(ms, FL_BAD_SYNTAX, why);
                }
                continue;
            }
            size_t hl = impossible_header(ms->buf + ms->pos,
                                          ms->end - ms->pos, ms->max_obj);
            if (hl) {
                ms->pos += hl;
                ms->start = ms->pos;
                ms->damaged = true; /* what follows up to a record: same */
                return stream_bad(ms, FL_BAD_TOO_LONG, why);
            }
            ms->in_obj = true;
            ms->skipping = false;
            ms->start = ms->pos;
            mp_scan_init(&ms->sc);
        }
        size_t used;
        mp_res res = mp_scan_feed(&ms->sc, ms->buf + ms->pos,
                                  ms->end - ms->pos, &used);
        ms->pos += used;
        if (res == MP_MORE) {
            if (!ms->skipping && ms->sc.total > ms->max_obj)
                ms->skipping = true; /* over the cap: scan on, keep nothing */
            continue;
        }
        ms->in_obj = false;
        if (res == MP_BAD || res == MP_DEEP) {
            /* framing is lost: resynchronise at the next record start */
            ms->start = ms->pos;
            ms->damaged = true;
            return stream_bad(ms, res == MP_BAD ? FL_BAD_SYNTAX
                                                : FL_BAD_TOO_DEEP, why);
        }
        /* MP_DONE */
        ms->damaged = false;
        if (ms->skipping || ms->sc.total > ms->max_obj) {
            ms->skipping = false;
            ms->start = ms->pos;
            return stream_bad(ms, FL_BAD_TOO_LONG, why);
        }
        obj->p = (const char *)ms->buf + ms->start;
        obj->n = ms->pos - ms->start;
        ms->start = ms->pos;
        /* decoders may rely on a NUL after the object: lend one */
        ms->nul_at = ms->pos;
        ms->nul_saved = ms->buf[ms->pos];
        ms->buf[ms->pos] = '\0';
        ms->nul_set = true;
        ms->objects++;
        return FL_LINE_OK;
    }
}

bool fl_decoder_binary(const fl_decoder *dec, const void *p, size_t n)
{
    if (dec->fmt == FL_FORMAT_MSGPACK)
        return true;
    return dec->fmt == FL_FORMAT_AUTO &&
           fl_msgpack_sniff((fl_str){(const char *)p, n});
}
