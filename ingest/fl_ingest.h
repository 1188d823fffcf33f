/*
 * fl_ingest.h - the ingest stage's contract: sources that yield lines from
 * files, zstd archives, stdin or memory without ever holding a whole file;
 * decoders that turn one line into one fl_event without allocating; and the
 * reasons a line can be rejected (every rejection is counted by reason).
 *
 * Ownership: an fl_event's strings borrow from the line they were decoded
 * from (or from the decoder's scratch space for unescaped JSON strings); they
 * stay valid until the next call on the same source or decoder.
 * Threads: nothing here is shared; use one source and one decoder per thread.
 */
#ifndef FL_INGEST_H
#define FL_INGEST_H

#include "../common/fl_common.h"

#include <stddef.h>
#include <stdio.h>

/* ------------------------------------------------------------ the event */

typedef enum {
    FL_EV_REQUEST, /* a log line about one unit of work (request or log) */
    FL_EV_CHANGE,  /* deploy, config change, rollback, feature flag */
    FL_EV_METRIC,  /* one sample of a named metric */
} fl_event_kind;

typedef enum {
    FL_LEVEL_NONE = 0,
    FL_LEVEL_TRACE,
    FL_LEVEL_DEBUG,
    FL_LEVEL_INFO,
    FL_LEVEL_WARN,
    FL_LEVEL_ERROR,
    FL_LEVEL_FATAL, /* fatal, critical, emergency, alert */
} fl_level;

typedef enum {
    FL_CHANGE_DEPLOY,
    FL_CHANGE_CONFIG,
    FL_CHANGE_ROLLBACK,
    FL_CHANGE_FLAG,
} fl_change_kind;

const char *fl_change_kind_name(fl_change_kind k);

typedef struct {
    fl_event_kind kind;
    fl_time ts;
    fl_str service;
    /* requests and logs */
    int status;        /* HTTP status, 0 when absent */
    fl_level level;
    double latency_ms; /* NAN when absent */
    fl_str msg;
    fl_str upstream;   /* the callee a caller's line names, if any */
    fl_str version;    /* changes: new version; logs: serving version */
    fl_str trace_id;   /* logs: a trace id (trace_id, trace.id, traceId),
                        * 1..64 bytes; used to learn call edges */
    fl_str path;       /* requests: the request path without its query
                        * (path, url.path, http.target, http.route,
                        * request_path, uri; an access log's request
                        * line), 1..FL_PATH_MAX bytes; used for the
                        * report's impact by endpoint */
    /* changes */
    fl_change_kind change_kind;
    fl_str change_id, author;
    /* metrics */
    fl_str metric;     /* 1..FL_METRIC_NAME_MAX bytes of valid UTF-8 */
    double value;      /* finite */
} fl_event;

/* Longest request path an event keeps (a longer one is dropped, not an
 * error: the event still counts, only without an endpoint). */
#define FL_PATH_MAX 2048

/* Longest metric name an event may carry (decoders reject longer ones;
 * detect keeps names inline in anomaly records). */
#define FL_METRIC_NAME_MAX 255

/* A request is an error when its status is 5xx or, without a status, when
 * its level is error or worse (CONTRACT.md). */
static inline bool fl_event_is_error(const fl_event *ev)
{
    if (ev->status)
        return ev->status >= 500 && ev->status <= 599;
    return ev->level >= FL_LEVEL_ERROR;
}

/* ------------------------------------------------------- bad-line reasons */

/* How to add one: append before FL_BAD__COUNT and give it a name below in
 * ingest/decode.c; stats and /metrics pick it up from the table. */
typedef enum {
    FL_BAD_SYNTAX,          /* not valid JSON (or the format chosen) */
    FL_BAD_UTF8,            /* invalid UTF-8 */
    FL_BAD_TOO_DEEP,        /* nesting deeper than the decoder allows */
    FL_BAD_TOO_LONG,        /* longer than --max-line */
    FL_BAD_NO_TIMESTAMP,    /* no time field */
    FL_BAD_TIMESTAMP,       /* time field unparseable or outside 2000..2099 */
    FL_BAD_NO_SERVICE,      /* no service field, or not a usable name */
    FL_BAD_VALUE,           /* a known field with an impossible value */
    FL_BAD_UNKNOWN_FORMAT,  /* auto could not tell what the line is */
    FL_BAD_LATE,            /* older than the allowed lateness */
    FL_BAD_SERVICE_LIMIT,   /* a new service past the tracked-services cap */
    FL_BAD_AHEAD,           /* too far ahead of the slowest input's time */
    FL_BAD_METRIC_LIMIT,    /* a new metric past the tracked-metrics caps */
    FL_BAD_PATTERN_LIMIT,   /* a regex pattern hit its match/depth/stack cap */
    FL_BAD_TRUNCATED,       /* input ends inside a msgpack object */
    FL_BAD_FUTURE,          /* more than detect.max_future ahead of event time */
    FL_BAD__COUNT
} fl_bad_reason;

const char *fl_bad_reason_name(fl_bad_reason r);

/* ---------------------------------------------------------------- source */

/* A line source: a regular file, a .zst file (streaming decompression),
 * stdin ("-"), or a caller-owned memory block (plain or zstd). Lines are
 * returned without the trailing newline (and without a trailing '\r'),
 * NUL-terminated in place; lines longer than max_line are skipped whole and
 * reported through fl_source_next's return value. */
typedef struct fl_source fl_source;

typedef enum {
    FL_LINE_OK,
    FL_LINE_TOO_LONG, /* a line was skipped; *line is empty */
    FL_LINE_EOF,
    FL_LINE_ERROR,    /* read or decompression error; see fl_source_error */
    FL_LINE_BAD,      /* msgpack streams only: an object was rejected */
} fl_line_status;

fl_source *fl_source_open(const char *path, size_t max_line, char *errstr,
                          size_t errlen);
fl_source *fl_source_open_mem(const char *name, const void *data, size_t n,
                              size_t max_line);
void fl_source_destroy(fl_source *src);
fl_line_status fl_source_next(fl_source *src, fl_str *line);
const char *fl_source_name(const fl_source *src);
const char *fl_source_error(const fl_source *src);
/* Bytes consumed from the underlying file so far (compressed bytes for .zst)
 * and its size when known (0 for stdin and pipes). For progress display. */
uint64_t fl_source_bytes_read(const fl_source *src);
uint64_t fl_source_size(const fl_source *src);
uint64_t fl_source_line_no(const fl_source *src);
size_t fl_source_max_line(const fl_source *src);
/* Raw bytes instead of lines, for inputs that are not line-based (msgpack
 * streams): up to n bytes (decompressed for .zst). Returns how many, 0 at
 * the end of the input, -1 on a read or decompression error (the message in
 * fl_source_error). Do not mix with fl_source_next on one source, except
 * that fl_source_peek may come first. */
ptrdiff_t fl_source_read(fl_source *src, void *dst, size_t n);
/* The bytes buffered ahead (at least one unless the input is empty or
 * unreadable), without consuming them: what an input starts with. */
fl_str fl_source_peek(fl_source *src);

/* --------------------------------------------------------------- decoder */

/* How to add a format: a value here, a row in the table in
 * ingest/decode.c (name, decode, sniff for auto), one file with the
 * decoder, a fuzz target in tests/fuzz/. */
typedef enum {
    FL_FORMAT_AUTO,
    FL_FORMAT_JSON,
    FL_FORMAT_RAW,
    FL_FORMAT_INFLUX,
    FL_FORMAT_LOGFMT,  /* key=value pairs (logfmt.c) */
    FL_FORMAT_SYSLOG,  /* RFC 3164 / RFC 5424 (a built-in pattern, pattern.c) */
    FL_FORMAT_NGINX,   /* combined access log (a built-in pattern, pattern.c) */
    FL_FORMAT_PATTERN, /* a pattern of the registry chosen by name (below) */
    FL_FORMAT_MSGPACK, /* msgpack records (msgpack.c) */
    FL_FORMAT_OTLP,    /* OTLP/JSON log batches (otlp.c) */
    FL_FORMAT__COUNT
} fl_format;

/* Named PCRE2 patterns (pattern.c) are formats too: fl_format_parse
 * returns FL_FORMAT_PATTERN_BASE + the pattern's index for the name of a
 * pattern that has no row of its own ("apache", or one the configuration
 * defined), and fl_decoder_new turns that value into a FL_FORMAT_PATTERN
 * decoder bound to the pattern. Such values are never stored. */
#define FL_FORMAT_PATTERN_BASE 256

/* Parses a --format value; false for names this build does not decode. */
bool fl_format_parse(const char *name, fl_format *out);
/* "auto, json, raw": the names this build decodes, for messages. */
const char *fl_format_names(void);

typedef struct fl_decoder fl_decoder;

fl_decoder *fl_decoder_new(fl_format fmt);
void fl_decoder_destroy(fl_decoder *dec);
/* Decodes one line. Returns true and fills *ev, or false and sets *why.
 * `line` must be NUL-terminated at line.p[line.n] (sources guarantee it).
 * `fallback_service` names the service for formats that lack one (raw). */
bool fl_decode_line(fl_decoder *dec, fl_str line, fl_str fallback_service,
                    fl_event *ev, fl_bad_reason *why);
/* Further events of the line last decoded, in order (a line may hold
 * several: an Influx line with several fields). False when none remain. */
bool fl_decoder_more(fl_decoder *dec, fl_event *ev);

/* Parts of the line last decoded that were rejected on their own while
 * the rest of it was decoded or rejected as a whole: a bad log record in an
 * OTLP batch whose other records make events. Each call hands out one such
 * part's reason; false when none remain. Callers count them as bad lines
 * (by reason) after each fl_decode_line, whatever it returned, so every
 * bad record is counted once and none silently dropped. */
bool fl_decoder_rejected(fl_decoder *dec, fl_bad_reason *why);
/* A decoder's state carried from line to line: the pattern decoders'
 * (syslog, nginx, a named pattern) last event time, from which an RFC 3164
 * time gets its year. Several decoders taking turns over one input's
 * batches (ingest/reader.c) hand it on so each decodes exactly as one
 * decoder would: at a batch's start fl_decoder_history_begin marks every
 * state as inherited; the hook runs before an inherited state would be
 * used (it gets the previous batch's history and applies it); at the end
 * fl_decoder_history_out gives this batch's history from the previous. */
#define FL_DEC_HISTORY 3
typedef struct {
    fl_time prev[FL_DEC_HISTORY];
} fl_dec_history;
void fl_dec_history_init(fl_dec_history *h); /* as a new decoder's */
void fl_decoder_history_hook(fl_decoder *dec,
                             void (*fn)(void *ud, fl_decoder *dec), void *ud);
void fl_decoder_history_begin(fl_decoder *dec);
/* Inherited states take `in` (and count as set from here on). */
void fl_decoder_history_apply(fl_decoder *dec, const fl_dec_history *in);
/* Each state's last time if this batch set it, else `in`'s. */
void fl_decoder_history_out(const fl_decoder *dec, const fl_dec_history *in,
                            fl_dec_history *out);

/* The JSON decoder on its own, for tests, fuzzing and benchmarks. */
bool fl_json_decode(fl_decoder *dec, fl_str line, fl_event *ev,
                    fl_bad_reason *why);
/* One msgpack object (msgpack.c): a map with the JSON keys, Fluent Bit's
 * [time, map] or [[time, metadata], map], or Fluentd's [tag, time, map].
 * obj need not be NUL-terminated. */
bool fl_msgpack_decode(fl_decoder *dec, fl_str obj, fl_event *ev,
                       fl_bad_reason *why);
/* True when a line (a Kafka message) is a msgpack record under `auto`: it
 * starts with a map or array header; never true for JSON or UTF-8 text.
 * Such a message is binary: keep its trailing bytes (0x0a is data). */
bool fl_msgpack_sniff(fl_str line);
/* True when the decoder takes this Kafka message as binary msgpack
 * (format msgpack, or auto and fl_msgpack_sniff): its trailing '\n' and
 * '\r' bytes are data, not line ends to strip. */
bool fl_decoder_binary(const fl_decoder *dec, const void *p, size_t n);
/* One OTLP/JSON document (otlp.c), {"resourceLogs": [...]}: each log
 * record is one event, the first in *ev, the rest via fl_decoder_more. */
bool fl_otlp_decode(fl_decoder *dec, fl_str line, fl_event *ev,
                    fl_bad_reason *why);

/* A file of concatenated msgpack objects, read object by object through
 * fl_source_read in bounded memory (a buffer of 2 * max_obj + 64 KiB).
 * An object larger than max_obj is skipped whole without being held;
 * bytes that start no record are skipped to the next map or array header
 * and counted once per stretch. */
typedef struct fl_msgpack_stream fl_msgpack_stream;
fl_msgpack_stream *fl_msgpack_stream_new(fl_source *src, size_t max_obj);
void fl_msgpack_stream_destroy(fl_msgpack_stream *ms);
/* FL_LINE_OK: *obj is one complete object (decode it with a
 * FL_FORMAT_MSGPACK decoder), valid and followed by a NUL until the next
 * call. FL_LINE_BAD: one object or stretch rejected, *why says why
 * (line_too_long, truncated, syntax, too_deep). FL_LINE_EOF, or
 * FL_LINE_ERROR after the source failed (fl_source_error). */
fl_line_status fl_msgpack_stream_next(fl_msgpack_stream *ms, fl_str *obj,
                                      fl_bad_reason *why);
/* Objects handed out so far, rejected ones included. */
uint64_t fl_msgpack_stream_objects(const fl_msgpack_stream *ms);
/* True when an input starting with these bytes is a msgpack stream (its
 * first byte is a map or array header that no UTF-8 text starts with). */
bool fl_msgpack_stream_sniff(const void *p, size_t n);
/* The logfmt decoder on its own (logfmt.c): key=value pairs, values bare
 * or double-quoted with JSON's backslash escapes (go-logfmt), keys as the
 * JSON simple keys. */
bool fl_logfmt_decode(fl_decoder *dec, fl_str line, fl_event *ev,
                      fl_bad_reason *why);

/* --------------------------------------------------------- field maps */

/* The user's field names (fields.c; the config's `fields` keys): which
 * dotted key path of a JSON, logfmt or msgpack record carries which event
 * field. Targets: ts, service, level, status, latency_ms, latency_s,
 * latency_us, latency_ns (the unit is the target's), msg, upstream,
 * version, kind, change_id, author. A mapped target's built-in names stop
 * applying (all four latency targets are one group); other built-in names
 * still do. Paths match flat and nested keys alike ("app.name" is
 * {"app.name": ..} and {"app": {"name": ..}}). OTLP records and patterns
 * name their fields themselves and ignore maps. */
typedef struct fl_field_map fl_field_map;
fl_field_map *fl_field_map_new(void);
void fl_field_map_free(fl_field_map *m);
/* Maps path to target (replacing an earlier path of the same target).
 * False with a reason (no file or line) for an unknown target or a path
 * that is empty, over 128 bytes, not UTF-8 or holds control characters. */
bool fl_field_map_add(fl_field_map *m, const char *target, const char *path,
                      char *errstr, size_t errlen);
/* Adds every mapping of src (NULL: none) to dst. */
bool fl_field_map_copy(fl_field_map *dst, const fl_field_map *src);
size_t fl_field_map_size(const fl_field_map *m);
/* "ts, service, ...": the targets, for messages and docs. */
const char *fl_field_targets(void);
/* The map (borrowed: it must outlive the decoder; NULL or empty: the
 * built-in names only) a decoder reads records with. */
void fl_decoder_set_fields(fl_decoder *dec, const fl_field_map *m);

/* ------------------------------------------------------------ patterns */

/* The pattern registry (pattern.c): a pattern is a PCRE2 regex whose named
 * groups are event fields (ts, service, status, latency_ms, latency_s,
 * level, pri, msg, method, path, upstream, version, and any other JSON
 * simple key); other names are ignored. Built in: "nginx", "apache",
 * "syslog". Defining a name again replaces it for decoders created after.
 * `fixed_service` (may be NULL) names the service of every line whose
 * pattern has no `service` capture. Compile errors: false, with PCRE2's
 * message and offset in errstr. Call before creating decoders; not
 * thread-safe against decoding. */
bool fl_pattern_define(const char *name, const char *regex,
                       const char *fixed_service, char *errstr,
                       size_t errlen);
/* The regex source of a defined pattern (to derive one from a built-in,
 * e.g. nginx with a fixed service), NULL when there is none. */
const char *fl_pattern_regex(const char *name);
/* Timestamps without a year (RFC 3164 "Oct 11 22:14:15"): a decoder's
 * first one takes this year; later ones the year that keeps them at most
 * 31 days before the decoder's previous event. 0 (the default): the wall
 * clock's year, or the year before for a time over 31 days ahead of it.
 * Set it for replays of old archives that must stay byte-identical. */
void fl_pattern_set_reference_year(int year);

#endif
