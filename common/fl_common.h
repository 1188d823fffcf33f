/*
 * fl_common.h - the small base every faultline module may use: byte strings,
 * time in nanoseconds, allocation that never returns NULL, a string interner,
 * a growable output buffer with JSON escaping, and the project's error enum.
 *
 * Nothing here depends on any other faultline module (see DESIGN: ingest ->
 * detect -> rca, with common/ underneath all three).
 */
#ifndef FL_COMMON_H
#define FL_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FL_VERSION "0.1.0"

/* ---------------------------------------------------------------- errors */

/* One error convention: functions return fl_err; FL_OK is 0. Constructors
 * that can fail take an `errstr` buffer and fill it with a one-line reason
 * that names what was wrong and where. */
typedef enum {
    FL_OK = 0,
    FL_ERR_USAGE,  /* bad option or value: exit status 1 */
    FL_ERR_CONFIG, /* bad configuration: exit status 1 */
    FL_ERR_IO,     /* input cannot be read: exit status 2 */
    FL_ERR_NOMEM,
    FL_ERR_INTERNAL,
} fl_err;

const char *fl_err_str(fl_err err);

/* ------------------------------------------------------------ allocation */

/* Allocation failure is not something faultline can recover from in the
 * middle of a bucket; these abort with a message instead of returning NULL. */
void *fl_malloc(size_t n);
void *fl_calloc(size_t count, size_t size);
void *fl_realloc(void *p, size_t n);
char *fl_strndup(const char *s, size_t n);

/* ----------------------------------------------------------- byte string */

/* A borrowed, not NUL-terminated byte range. Decoders hand these out pointing
 * into the caller's line buffer; they are valid until the next line. */
typedef struct {
    const char *p;
    size_t n;
} fl_str;

#define FL_STR_NULL ((fl_str){NULL, 0})
static inline fl_str fl_str_c(const char *s);
bool fl_str_eq(fl_str a, const char *lit);
bool fl_str_eq_nocase(fl_str a, const char *lit);

static inline fl_str fl_str_c(const char *s)
{
    fl_str r;
    r.p = s;
    r.n = 0;
    while (s && s[r.n])
        r.n++;
    return r;
}

/* 64-bit FNV-1a; stable across runs and machines (incident ids use it). */
uint64_t fl_hash64(const void *p, size_t n, uint64_t seed);

/* True when the bytes are valid UTF-8 (no overlongs, no surrogates). */
bool fl_utf8_valid(const char *p, size_t n);
/* Length (1..4) of the valid UTF-8 sequence at p, or 0 when invalid. */
size_t fl_utf8_seq_len(const unsigned char *p, size_t n);

/* The exact double of a short plain decimal ("-12.345": optional '-', at
 * least one digit, at most one '.', no exponent, at most 15 digits), as
 * strtod would give it (an integer below 2^53 divided by an exact power of
 * ten is correctly rounded). False when the text is not of that form:
 * callers then fall back to strtod. The hot paths' number parser. */
bool fl_decimal_fast(const char *p, size_t n, double *out);

/* ------------------------------------------------------------------ time */

/* Event time: nanoseconds since the Unix epoch, UTC. */
typedef int64_t fl_time;

#define FL_NS_PER_SEC 1000000000LL
#define FL_NS_PER_MS 1000000LL
#define FL_TIME_NONE INT64_MIN

/* Accepted event-time range. Anything outside is rejected as an absurd
 * timestamp (a clock at 1970 or 2100 is a broken producer, not an event). */
#define FL_TIME_MIN ((fl_time)946684800LL * FL_NS_PER_SEC)  /* 2000-01-01 */
#define FL_TIME_MAX ((fl_time)4102444800LL * FL_NS_PER_SEC) /* 2100-01-01 */

/* RFC 3339 (any offset, optional fraction, 'T' or ' ', 'Z' or 'z'), or a
 * string of digits taken as epoch s/ms/us/ns by magnitude. Returns false on
 * syntax errors; range is checked by the caller with fl_time_in_range. */
bool fl_time_parse(fl_str s, fl_time *out);
/* An epoch number of unknown unit: < 1e11 seconds, < 1e14 milliseconds,
 * < 1e17 microseconds, else nanoseconds. */
bool fl_time_from_epoch(double v, fl_time *out);
static inline bool fl_time_in_range(fl_time t)
{
    return t >= FL_TIME_MIN && t < FL_TIME_MAX;
}
/* "2026-07-24T10:02:11Z" (with ".123Z" only when the time has milliseconds);
 * buf needs 32 bytes. */
char *fl_time_format(fl_time t, char *buf, size_t n);
/* "10:02:11" UTC, for human text. buf needs 16 bytes. */
char *fl_time_hms(fl_time t, char *buf, size_t n);
/* "47 s", "3 min 20 s", "1 h 5 min": buf needs 32 bytes. */
char *fl_duration_human(fl_time d, char *buf, size_t n);
/* "10s", "500ms", "2m", "1h", "1.5h", a bare number is seconds. */
bool fl_duration_parse(const char *s, fl_time *out);
/* Monotonic wall clock in ns, for progress display only (never for events). */
fl_time fl_wall_now(void);

/* -------------------------------------------------------------- interner */

/* Maps byte strings to dense ids 0..n-1 and back. Names are copied once.
 * `cap` bounds how many distinct names are kept; past it, fl_intern returns
 * -1 and the caller counts an overflow. */
typedef struct fl_intern fl_intern;
fl_intern *fl_intern_new(uint32_t cap);
void fl_intern_destroy(fl_intern *in);
int32_t fl_intern_get(fl_intern *in, fl_str s);  /* -1 when absent */
int32_t fl_intern_add(fl_intern *in, fl_str s);  /* -1 when full */
const char *fl_intern_name(const fl_intern *in, int32_t id);
/* The name with its length (names may hold any bytes); FL_STR_NULL when id
 * is out of range. Re-adding names with fl_intern_add in id order rebuilds
 * a table with the same ids. */
fl_str fl_intern_str(const fl_intern *in, int32_t id);
uint32_t fl_intern_count(const fl_intern *in);

/* ---------------------------------------------------------------- buffer */

typedef struct {
    char *p;
    size_t n, cap;
} fl_buf;

void fl_buf_free(fl_buf *b);
void fl_buf_put(fl_buf *b, const void *p, size_t n);
void fl_buf_puts(fl_buf *b, const char *s);
void fl_buf_putc(fl_buf *b, char c);
void fl_buf_printf(fl_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* JSON string literal with quotes; control characters, quotes, backslash
 * and the HTML-significant '<', '>', '&' are escaped, invalid UTF-8 bytes
 * become U+FFFD. Safe to embed in HTML <script> or attribute contexts. */
void fl_buf_json_str(fl_buf *b, const char *p, size_t n);
/* A number as JSON: finite doubles with up to 6 significant digits, NaN
 * and infinities as null. */
void fl_buf_json_num(fl_buf *b, double v);
/* Text with HTML/Markdown-significant characters and control characters
 * escaped, invalid UTF-8 replaced; for reports. */
void fl_buf_md_text(fl_buf *b, const char *p, size_t n);
/* Text for HTML element content or a quoted attribute: & < > " ' escaped,
 * control characters dropped to U+FFFD, invalid UTF-8 replaced. */
void fl_buf_html_text(fl_buf *b, const char *p, size_t n);
/* Writes the buffer to path atomically (temp file, fsync, rename). */
fl_err fl_buf_write_file(const fl_buf *b, const char *path, char *errstr,
                         size_t errlen);

#define FL_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define FL_MIN(a, b) ((a) < (b) ? (a) : (b))
#define FL_MAX(a, b) ((a) > (b) ? (a) : (b))

#endif
