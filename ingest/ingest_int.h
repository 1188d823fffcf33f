/* ingest_int.h - declarations private to ingest/. */
#ifndef FL_INGEST_INT_H
#define FL_INGEST_INT_H
#include "fl_ingest.h"

#define FL_JSON_PATH_MAX 128

/* Text helpers shared by the JSON and logfmt scanners (inline: they sit on
 * the per-character hot path). */
static inline int fl_hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* The four hex digits at p (before end) as *out; false if fewer or not hex. */
static inline bool fl_hex4(const char *p, const char *end, unsigned *out)
{
    if (end - p < 4)
        return false;
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int h = fl_hexval(p[i]);
        if (h < 0)
            return false;
        v = v * 16 + (unsigned)h;
    }
    *out = v;
    return true;
}

/* Code point cp as UTF-8 at d (room for 4); returns the bytes written. */
static inline size_t fl_put_utf8(char *d, unsigned cp)
{
    if (cp < 0x80) {
        d[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        d[0] = (char)(0xC0 | (cp >> 6));
        d[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        d[0] = (char)(0xE0 | (cp >> 12));
        d[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        d[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    d[0] = (char)(0xF0 | (cp >> 18));
    d[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    d[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    d[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* The fields of the JSON mapping (json.c's key table maps dotted paths to
 * them). Other decoders (msgpack, OTLP) collect values into dec->v by
 * these and call fl_json_event, so every format validates alike. */
typedef enum {
    F_NONE = 0,
    F_TS,
    F_SERVICE,
    F_LEVEL,
    F_STATUS,
    F_LAT_MS,
    F_LAT_NS,
    F_MSG,
    F_KIND,
    F_VERSION,
    F_CHANGE_ID,
    F_AUTHOR,
    F_UPSTREAM,
    F_LAT_S, /* only through a field map (fields.c) */
    F_LAT_US,
    F_TRACE,
    F_PATH,
    F__COUNT
} field;
#define FL_JSON_FIELDS F__COUNT

typedef enum { V_NONE, V_STR, V_NUM, V_OTHER } vtype;

typedef struct {
    vtype t;
    fl_str s;   /* V_STR: unescaped text; V_NUM: the number's text */
    double num; /* V_NUM */
} value;

/* One decoder: the format chosen, scratch space for the current line, the
 * events a line yields beyond its first, and each format's own state
 * (compiled patterns and the like), created on first use. */
struct fl_decoder {
    fl_format fmt;
    char *scratch; /* unescaped strings of the current line */
    size_t scratch_cap, scratch_n;
    value v[FL_JSON_FIELDS];
    char path[FL_JSON_PATH_MAX + 1];
    fl_event *extra;   /* further events of the current line */
    uint32_t nextra, extra_cap, extra_pos;
    /* parts of the current line rejected while others made events (bad
     * records of an OTLP batch), by reason; nrej is their total */
    uint32_t rej[FL_BAD__COUNT], nrej;
    const fl_field_map *fields; /* the user's field names (borrowed), or NULL */
    void *state[FL_FORMAT__COUNT];
    /* called before a pattern state whose last-event time this batch has
     * not set is used for an RFC 3164 year (fl_decoder_history_hook) */
    void (*hist_fn)(void *ud, fl_decoder *dec);
    void *hist_ud;
};

/* A service name as every decoder takes it: 1 to 256 bytes, no control
 * characters, not only spaces. */
static inline bool fl_valid_service(fl_str s)
{
    if (s.n == 0 || s.n > 256)
        return false;
    bool visible = false;
    for (size_t i = 0; i < s.n; i++) {
        unsigned char c = (unsigned char)s.p[i];
        if (c < 0x20 || c == 0x7f)
            return false;
        if (c != ' ')
            visible = true;
    }
    return visible;
}

fl_format fl_decoder_format(const fl_decoder *dec);
/* A decoder for a format yielding several events per line (an Influx line
 * with several fields, an OTLP batch) returns the first and queues the
 * rest here; callers drain them with fl_decoder_more. */
void fl_decoder_push(fl_decoder *dec, const fl_event *ev);
/* Counts one rejected part of the current line (fl_decoder_rejected). */
void fl_decoder_reject(fl_decoder *dec, fl_bad_reason why);
/* Makes sure the scratch buffer holds at least n bytes (per line). */
void fl_decoder_scratch(fl_decoder *dec, size_t n);

/* The JSON decoder (json.c) and the raw one (decode.c). */
bool fl_json_decode_line(fl_decoder *dec, fl_str line, fl_str fallback,
                         fl_event *ev, fl_bad_reason *why);
bool fl_json_sniff(fl_str line);
/* msgpack.c and otlp.c */
bool fl_msgpack_decode_line(fl_decoder *dec, fl_str line, fl_str fallback,
                            fl_event *ev, fl_bad_reason *why);
void fl_msgpack_free_state(void *state);
bool fl_otlp_decode_line(fl_decoder *dec, fl_str line, fl_str fallback,
                         fl_event *ev, fl_bad_reason *why);
bool fl_otlp_sniff(fl_str line);
/* A number from a JSON number or a decimal string ("503"). */
bool fl_json_value_num(const value *v, double *out);
/* The field a dotted key path names ("service.name"), F_NONE if none. */
field fl_json_lookup(const char *path, size_t n);
/* A key's field for this decoder: through the user's field map when it
 * has one (fields.c), else the built-in names. */
field fl_field_map_lookup(const fl_field_map *m, const char *path, size_t n);
static inline field fl_field_of(const fl_decoder *dec, const char *path,
                                size_t n)
{
    return dec->fields ? fl_field_map_lookup(dec->fields, path, n)
                       : fl_json_lookup(path, n);
}
/* The values collected in dec->v (cleared by the caller before collecting)
 * as an event: time, service, change or request fields, each validated as
 * for a JSON line. False with *why when the values do not make an event. */
bool fl_json_event(fl_decoder *dec, fl_event *ev, fl_bad_reason *why);
/* The first half of fl_json_decode: a JSON object line's values into
 * dec->v (cleared first), without building the event (pattern.c merges a
 * syslog header into an inner JSON message this way). */
bool fl_json_scan(fl_decoder *dec, fl_str line, fl_bad_reason *why);

/* The JSON scanner's pieces, for decoders that walk a document themselves
 * (otlp.c). p..end is the text (NUL-terminated at end); strings that are
 * kept are unescaped into dec's scratch buffer, which must hold the text's
 * length (fl_decoder_scratch). The first failure is kept in why. */
typedef struct {
    const char *p, *end;
    fl_decoder *dec;
    fl_bad_reason why;
    bool failed;
} fl_jparser;
/* The scanner's steps, inline (they sit on every member and element):
 * a failure kept in ps (the first one wins), always false; */
static inline bool fl_jp_fail(fl_jparser *ps, fl_bad_reason why)
{
    if (!ps->failed) {
        ps->failed = true;
        ps->why = why;
    }
    return false;
}
/* whitespace skipped; */
static inline void fl_jp_ws(fl_jparser *ps)
{
    while (ps->p < ps->end &&
           (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
        ps->p++;
}
/* at an opening '{' or '[': past it and the whitespace after, true (and
 * past `close` too) when the container is empty; */
static inline bool fl_jp_open_empty(fl_jparser *ps, char close)
{
    ps->p++;
    fl_jp_ws(ps);
    if (ps->p < ps->end && *ps->p == close) {
        ps->p++;
        return true;
    }
    return false;
}
/* after a key: whitespace, the ':' and whitespace, else a failure; */
static inline bool fl_jp_colon(fl_jparser *ps)
{
    fl_jp_ws(ps);
    if (ps->p >= ps->end || *ps->p != ':')
        return fl_jp_fail(ps, FL_BAD_SYNTAX);
    ps->p++;
    fl_jp_ws(ps);
    return true;
}
/* after a member or element: whitespace, then 1 past a ',' (another
 * follows), 0 past `close` (the container ends), else -1 (a failure). */
static inline int fl_jp_next(fl_jparser *ps, char close)
{
    fl_jp_ws(ps);
    if (ps->p >= ps->end) {
        fl_jp_fail(ps, FL_BAD_SYNTAX);
        return -1;
    }
    if (*ps->p == ',') {
        ps->p++;
        return 1;
    }
    if (*ps->p == close) {
        ps->p++;
        return 0;
    }
    fl_jp_fail(ps, FL_BAD_SYNTAX);
    return -1;
}
/* At '"': the string, unescaped into *out when want. */
bool fl_jp_string(fl_jparser *ps, bool want, fl_str *out);
/* Any value at depth (objects and arrays are validated and skipped; v,
 * when not NULL, gets V_OTHER for them); scalars fill v. */
bool fl_jp_value(fl_jparser *ps, int depth, value *v);
/* At '[': fn for each element, at depth + 1; the commas, the closing
 * bracket and whitespace are checked here. */
typedef bool (*fl_jp_element_fn)(fl_jparser *ps, int depth, void *ctx);
bool fl_jp_array(fl_jparser *ps, int depth, fl_jp_element_fn fn, void *ctx);
/* The Influx line protocol decoder (influx.c). */
bool fl_influx_decode_line(fl_decoder *dec, fl_str line, fl_str fallback,
                           fl_event *ev, fl_bad_reason *why);
bool fl_influx_sniff(fl_str line);
void fl_influx_free(void *state);
/* logfmt (logfmt.c); fl_logfmt_scan fills dec->v only (cleared first). */
bool fl_logfmt_decode_line(fl_decoder *dec, fl_str line, fl_str fallback,
                           fl_event *ev, fl_bad_reason *why);
bool fl_logfmt_sniff(fl_str line);
bool fl_logfmt_scan(fl_decoder *dec, fl_str line, fl_bad_reason *why);
/* PCRE2 patterns (pattern.c): the syslog and nginx rows, and a decoder
 * bound to any pattern of the registry (FL_FORMAT_PATTERN). */
bool fl_syslog_decode_line(fl_decoder *dec, fl_str line, fl_str fallback,
                           fl_event *ev, fl_bad_reason *why);
bool fl_syslog_sniff(fl_str line);
bool fl_nginx_decode_line(fl_decoder *dec, fl_str line, fl_str fallback,
                          fl_event *ev, fl_bad_reason *why);
bool fl_nginx_sniff(fl_str line);
bool fl_pattern_decode_line(fl_decoder *dec, fl_str line, fl_str fallback,
                            fl_event *ev, fl_bad_reason *why);
void fl_pattern_free_state(void *state);
/* The registry index of a pattern name (the newest definition), -1 if
 * none; the state of a decoder bound to pattern `index`. */
int fl_pattern_find(const char *name);
void *fl_pattern_state_new(int index);
/* Pattern names for fl_format_names: the i-th defined name still in use
 * (redefinitions once), NULL past the last. */
const char *fl_pattern_name(int i);

#endif
