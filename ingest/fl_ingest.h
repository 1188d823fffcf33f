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
    /* changes */
    fl_change_kind change_kind;
    fl_str change_id, author;
    /* metrics */
    fl_str metric;
    double value;
} fl_event;

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

/* --------------------------------------------------------------- decoder */

/* How to add a format: a value here, a row in the table in
 * ingest/decode.c (name, decode, sniff for auto), one file with the
 * decoder, a fuzz target in tests/fuzz/. */
typedef enum {
    FL_FORMAT_AUTO,
    FL_FORMAT_JSON,
    FL_FORMAT_RAW,
    FL_FORMAT__COUNT
} fl_format;

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

/* The JSON decoder on its own, for tests, fuzzing and benchmarks. */
bool fl_json_decode(fl_decoder *dec, fl_str line, fl_event *ev,
                    fl_bad_reason *why);

#endif
