/*
 * config.c - the configuration file: one key table, a YAML reader on
 * libyaml's event API, the writer behind `faultline config --defaults`, the
 * reference behind docs/CONFIG.md, and the `config` command.
 *
 * Why events and not libyaml's document API: events carry the line of
 * every key and value, nothing is built that is not kept, and an alias is
 * seen (and refused) instead of being expanded.
 *
 * The reader is strict: an unknown section or key, a duplicate, a value of
 * the wrong type or outside its range, an alias, a tag or a second document
 * is an error naming the file and line. Values are checked against the
 * table as they are read; formats are resolved once the file's patterns are
 * known (a pattern may be named before it is defined).
 */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <errno.h>
#include <fnmatch.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#define MAX_FILE_BYTES (1u << 20) /* a configuration file, not a data set */
#define MAX_ENTRIES    1000       /* per list section */
#define NSLOTS         4          /* keys of a list entry */
#define SHOW_MAX       48         /* bytes of a value quoted in a message */
#define TOPOLOGY_MAX_EDGES 1024   /* rca.topology */

/* Scalar values live here; pc first, so a key's offset in it is also its
 * offset in the fl_pipeline_conf it is applied to. */
typedef struct {
    fl_pipeline_conf pc;
    fl_time false_alarm_every;
} vals;
_Static_assert(offsetof(vals, pc) == 0, "pc first");

#define V(field) offsetof(vals, field), sizeof(((vals *)0)->field)
#define SLOT(i)  (i), 0

#define NS_MS FL_NS_PER_MS
#define NS_S  FL_NS_PER_SEC
#define NS_M  (60 * FL_NS_PER_SEC)
#define NS_H  (3600 * FL_NS_PER_SEC)
#define NS_D  (86400 * FL_NS_PER_SEC)

/* ---------------------------------------------------------- the table */

typedef enum {
    SEC_INPUT,
    SEC_DETECT,
    SEC_RCA,
    SEC_FILES,
    SEC_TOPICS,
    SEC_PATTERNS,
    SEC__COUNT
} sec_id;

static const struct {
    const char *name;
    bool list;
    const char *help;
    const char *example; /* list sections: one entry, as YAML lines */
} sections[SEC__COUNT] = {
    [SEC_INPUT] = {"input", false, "Input defaults for every file and topic.",
                   NULL},
    [SEC_DETECT] = {"detect", false,
                    "Anomaly detection: buckets, event time, baselines and "
                    "thresholds.",
                    NULL},
    [SEC_RCA] = {"rca", false,
                 "Grouping anomalies into incidents and ranking their causes.",
                 NULL},
    [SEC_FILES] = {"files", true,
                   "Defaults per input file (replay): the first entry whose "
                   "glob matches a file's path gives its format and/or "
                   "service.",
                   "- glob: \"*/nginx/access.log*\"\n"
                   "  format: nginx\n"
                   "  service: frontend\n"
                   "- glob: \"billing-*.jsonl\"\n"
                   "  fields: {service: app.name, latency_s: resp.time}\n"},
    [SEC_TOPICS] = {"topics", true,
                    "Defaults per Kafka topic (consume): the first entry "
                    "matching a message's topic gives its format and/or "
                    "service.",
                    "- topic: edge-logs\n"
                    "  format: haproxy\n"
                    "  service: edge\n"},
    [SEC_PATTERNS] = {"patterns", true,
                      "Line formats of your own: a PCRE2 regular expression "
                      "whose named groups are the event's fields. Use the "
                      "name as a format (in `format` above or `--format`).",
                      "- name: haproxy\n"
                      "  regex: '^(?<ts>\\S+) (?<service>[\\w-]+) "
                      "(?<status>\\d{3}) (?<latency_ms>\\d+) (?<msg>.*)$'\n"},
};

const fl_config_key fl_config_keys[] = {
    /* input */
    {"input", "format", FL_CT_FORMAT, "auto", 1, 64,
     "Format of every input that no `files`/`topics` entry and no "
     "`--format` option decides: `auto` (decided per line), a built-in "
     "format, or the name of a pattern from `patterns`.",
     0, V(pc.format)},
    {"input", "max_line", FL_CT_COUNT, "65536", 64, 1073741824,
     "Longest line (or Kafka message) in bytes; longer ones are rejected and "
     "counted (`--max-line`).",
     0, V(pc.max_line)},
    {"input", "fields", FL_CT_FIELDS, NULL, 0, 0,
     "Which of your keys carry the event's fields, for JSON, logfmt and "
     "msgpack records: a mapping from a field (`ts`, `service`, `level`, "
     "`status`, `latency_ms`, `latency_s`, `latency_us`, `latency_ns`, "
     "`msg`, `upstream`, `version`, `kind`, `change_id`, `author`, "
     "`trace_id`, `path`) to a key, "
     "dotted for nested objects (`app.name` is `{\"app\": {\"name\": ..}}` "
     "and the flat key `\"app.name\"`). The latency field's name gives the "
     "unit. A field you map is read only from your key (its built-in names "
     "such as `service` or `duration_ms` stop counting); the others keep "
     "theirs. E.g. `{service: app.name, latency_s: resp.time}`.",
     0, 0, 0},
    /* detect */
    {"detect", "bucket", FL_CT_DURATION, "10s", 100 * NS_MS, NS_H,
     "Width of the time buckets every signal is computed over (`--bucket`). "
     "A checkpoint made with another width is refused.",
     0, V(pc.detect.bucket)},
    {"detect", "lateness", FL_CT_DURATION, "30s", 0, NS_H,
     "How far behind the latest event time an event may arrive and still "
     "count; a bucket closes once event time is this far past its end "
     "(`--lateness`).",
     0, V(pc.detect.lateness)},
    {"detect", "warmup", FL_CT_DURATION, "10m", 0, 7 * NS_D,
     "History a service's signal needs before it may alarm (`--warmup`).", 0,
     V(pc.detect.warmup)},
    {"detect", "end_hold", FL_CT_DURATION, "2m", 10 * NS_S, NS_H,
     "An anomaly ends when a trailing window this long looks like the "
     "baseline again.",
     0, V(pc.detect.end_hold)},
    {"detect", "rebaseline", FL_CT_DURATION, "2h", NS_M, 30 * NS_D,
     "A shift that lasts this long becomes the new normal: its anomaly ends "
     "and the baseline follows.",
     0, V(pc.detect.rebaseline)},
    {"detect", "max_gap", FL_CT_DURATION, "1h", NS_M, 30 * NS_D,
     "A silence longer than this is missing data, not zero traffic: the "
     "detectors of the silent period restart their warm-up.",
     0, V(pc.detect.max_gap)},
    {"detect", "false_alarm_every", FL_CT_DURATION, "60d", NS_H, 3650 * NS_D,
     "False-alarm budget: the mean time between false alarms targeted for "
     "one detector (a service's signal, one direction). Thresholds are "
     "solved from it; longer is less sensitive.",
     0, V(false_alarm_every)},
    {"detect", "min_excess_errors", FL_CT_NUMBER, "8", 1, 1000000,
     "Errors above the baseline's expectation needed before an error-rate "
     "alarm may fire, however unlikely the rise.",
     0, V(pc.detect.min_excess_errors)},
    {"detect", "max_services", FL_CT_COUNT, "100000", 1, 10000000,
     "Most services tracked; events of further services are counted as "
     "dropped (`service_limit`). Each tracked service holds about 9 KB of "
     "detector state: the default keeps a flood of distinct names (1M) "
     "under 1 GiB of memory (bench/limits.sh).",
     0, V(pc.detect.max_services)},
    {"detect", "max_future", FL_CT_DURATION, "15m", 0, 30 * NS_D,
     "Future-skew cap: a request or metric further ahead of its input's "
     "latest event time than this (or than 16 times the input's typical "
     "spacing, if longer: an hourly metric steps an hour at a time) is "
     "refused and counted as `future`, so a producer whose clock runs ahead "
     "cannot drag the watermark. Time that really jumped is accepted after "
     "a consistent run of 32 events, or of 4 spanning the cap. 0 turns the "
     "cap off.",
     0, V(pc.detect.max_future)},
    /* rca */
    {"rca", "lookback", FL_CT_DURATION, "2h", NS_M, 30 * NS_D,
     "How long before an incident's onset a change is still a candidate "
     "cause (`--lookback`).",
     0, V(pc.rca.lookback)},
    {"rca", "join", FL_CT_DURATION, "5m", 10 * NS_S, NS_D,
     "Anomalies whose onset is this close to an open incident's active span "
     "join it; an incident closes this long after its last anomaly ended.",
     0, V(pc.rca.join)},
    {"rca", "surge_window", FL_CT_DURATION, "30m", 0, NS_D,
     "A traffic rise starting up to this long before an incident can "
     "explain it.",
     0, V(pc.rca.surge_window)},
    {"rca", "max_causes", FL_CT_COUNT, "5", 1, 100,
     "Ranked causes kept per incident.", 0, V(pc.rca.max_causes)},
    {"rca", "topology", FL_CT_TOPOLOGY, NULL, 0, 0,
     "Known calls between services: a mapping from a caller to the list of "
     "services it calls (`{frontend: [api], api: [cart, search]}`). These "
     "edges are in the call graph from the start, next to those learned "
     "from the logs (upstream fields, traces, service names in errors), and "
     "split or join incidents the same way. At most 1024 edges.",
     0, 0, 0},
    /* files: slot 0 the match, 1 the format, 2 the service */
    {"files", "glob", FL_CT_GLOB, NULL, 1, 1024,
     "fnmatch(3) pattern (`*`, `?`, `[...]`; `*` also matches `/`). With a "
     "`/` it is matched against the path as given on the command line, "
     "without one against the file's base name. Stdin is `-`.",
     FL_CONFIG_REQUIRED, SLOT(0)},
    {"files", "format", FL_CT_FORMAT, NULL, 1, 64,
     "Format of the matching files; beats `input.format`, and `--format` "
     "beats it.",
     0, SLOT(1)},
    {"files", "service", FL_CT_SERVICE, NULL, 1, 256,
     "Service of the lines that name none. With a pattern format (`nginx`, "
     "`syslog`, `apache`, yours) it also beats the pattern's own `service` "
     "and the first segment of a `path` group. Without it: the file's base "
     "name up to its first dot.",
     0, SLOT(2)},
    {"files", "fields", FL_CT_FIELDS, NULL, 0, 0,
     "Field names of the matching files, as `input.fields` (whose mappings "
     "still apply unless this one maps the same field).",
     0, SLOT(3)},
    /* topics */
    {"topics", "topic", FL_CT_TOPIC, NULL, 1, 249,
     "A topic name, or an fnmatch(3) pattern over topic names.",
     FL_CONFIG_REQUIRED, SLOT(0)},
    {"topics", "format", FL_CT_FORMAT, NULL, 1, 64,
     "Format of the topic's messages; beats `input.format`, and `--format` "
     "beats it.",
     0, SLOT(1)},
    {"topics", "service", FL_CT_SERVICE, NULL, 1, 256,
     "Service of the messages that name none; with a pattern format, as for "
     "`files`. Without it: the topic's name.",
     0, SLOT(2)},
    {"topics", "fields", FL_CT_FIELDS, NULL, 0, 0,
     "Field names of the topic's messages, as `input.fields` (whose "
     "mappings still apply unless this one maps the same field).",
     0, SLOT(3)},
    /* patterns */
    {"patterns", "name", FL_CT_NAME, NULL, 1, 64,
     "The format's name, for `format` and `--format`: letters, digits, `_`, "
     "`-` and `.`, starting with a letter. `nginx` and `syslog`, built-in "
     "patterns, may be redefined; other built-in formats may not.",
     FL_CONFIG_REQUIRED, SLOT(0)},
    {"patterns", "regex", FL_CT_REGEX, NULL, 1, 8192,
     "PCRE2 regular expression matched against each line; a line it does "
     "not match is a bad line. Its named groups are the event's fields: "
     "`ts` (required), `service`, `level`, `status`, `latency_ms` or "
     "`latency_s`, `msg`, `upstream`, `version`, any other JSON key, `path` "
     "(its first segment names the service when nothing else does) and "
     "`pri` (a syslog priority).",
     FL_CONFIG_REQUIRED, SLOT(1)},
    {"patterns", "service", FL_CT_SERVICE, NULL, 1, 256,
     "Service of the lines whose `service` group captured nothing (or that "
     "have none); it beats a `path` group's first segment and the input's "
     "file base name or topic. A `files`/`topics` entry's `service` beats "
     "it.",
     0, SLOT(2)},
};
const size_t fl_config_nkeys = FL_ARRAY_LEN(fl_config_keys);

#define NKEYS FL_ARRAY_LEN(fl_config_keys)
_Static_assert(FL_ARRAY_LEN(fl_config_keys) <= 64, "set mask is 64 bits");

/* ------------------------------------------------------------ a config */

typedef struct {
    char *v[NSLOTS];
    int line[NSLOTS];
    int line0; /* the entry's first line */
} entry;

typedef struct {
    entry *e;
    size_t n, cap;
} entry_list;

typedef struct {
    const char *match; /* borrowed from the entry */
    bool base_only;    /* glob without '/': matched against base names */
    bool derived;      /* d.format is a pattern made for this entry */
    fl_source_defaults d;
} rule;

struct fl_config {
    char *name;
    unsigned flags;
    vals v;
    uint64_t set;     /* bit i: fl_config_keys[i] given in the file */
    int line[NKEYS];  /* where each scalar key was given */
    char *str[NKEYS]; /* scalar keys of string type (input.format) */
    entry_list lists[SEC__COUNT];
    rule *files, *topics;
    size_t nfiles, ntopics;
    fl_field_map *fields;  /* input.fields; NULL when not given */
    fl_field_map **maps;   /* the entries' own (merged with input.fields) */
    size_t nmaps;
};

static int sec_of(const char *name)
{
    for (int i = 0; i < SEC__COUNT; i++)
        if (strcmp(sections[i].name, name) == 0)
            return i;
    return -1;
}

static int key_index(int sec, const char *name)
{
    for (size_t i = 0; i < NKEYS; i++)
        if (strcmp(fl_config_keys[i].section, sections[sec].name) == 0 &&
            strcmp(fl_config_keys[i].name, name) == 0)
            return (int)i;
    return -1;
}

/* ------------------------------------------------------ small helpers */

/* A duration the way the file writes it, exact: the largest unit that
 * divides it ("90s", "2m", "1500ms"). Config durations are whole ms. */
static void dur_str(fl_time ns, char *buf, size_t n)
{
    static const struct {
        const char *u;
        int64_t ns;
    } units[] = {
        {"d", NS_D}, {"h", NS_H}, {"m", NS_M}, {"s", NS_S}, {"ms", NS_MS}};
    if (ns == 0) {
        snprintf(buf, n, "0s");
        return;
    }
    for (size_t i = 0; i < FL_ARRAY_LEN(units); i++)
        if (ns % units[i].ns == 0) {
            snprintf(buf, n, "%lld%s", (long long)(ns / units[i].ns),
                     units[i].u);
            return;
        }
    snprintf(buf, n, "%.9gs", (double)ns / 1e9);
}

/* A value quoted in a message: at most SHOW_MAX bytes (cut at a character
 * boundary), control characters as '?', so the message stays one line. */
static const char *shown(const char *s, size_t n, char *buf, size_t cap)
{
    size_t o = 0, i = 0;
    while (i < n && o + 8 < cap) {
        unsigned char ch = (unsigned char)s[i];
        size_t len = ch < 0x80
                         ? 1
                         : fl_utf8_seq_len((const unsigned char *)s + i, n - i);
        if (len == 0)
            len = 1;
        if (o + len > SHOW_MAX) {
            memcpy(buf + o, "...", 3);
            o += 3;
            break;
        }
        if (len == 1 && (ch < 0x20 || ch == 0x7f || ch >= 0x80)) {
            buf[o++] = '?';
        } else {
            memcpy(buf + o, s + i, len);
            o += len;
        }
        i += len;
    }
    buf[o] = '\0';
    return buf;
}

static const char *type_what(fl_config_type t)
{
    switch (t) {
    case FL_CT_DURATION: return "a duration (e.g. 10s, 500ms, 2m, 1h, 1d)";
    case FL_CT_COUNT: return "a whole number";
    case FL_CT_NUMBER: return "a number";
    case FL_CT_FORMAT: return "a format name";
    case FL_CT_GLOB: return "a glob";
    case FL_CT_TOPIC: return "a topic name or glob";
    case FL_CT_SERVICE: return "a service name";
    case FL_CT_NAME: return "a name";
    case FL_CT_REGEX: return "a regular expression";
    case FL_CT_FIELDS: return "a mapping of fields to keys";
    case FL_CT_TOPOLOGY: return "a mapping of callers to lists of callees";
    }
    return "a value";
}

static const char *type_name(fl_config_type t)
{
    switch (t) {
    case FL_CT_DURATION: return "duration";
    case FL_CT_COUNT: return "integer";
    case FL_CT_NUMBER: return "number";
    case FL_CT_FORMAT: return "format";
    case FL_CT_GLOB: return "glob";
    case FL_CT_TOPIC: return "topic or glob";
    case FL_CT_SERVICE: return "service";
    case FL_CT_NAME: return "name";
    case FL_CT_REGEX: return "PCRE2 regex";
    case FL_CT_FIELDS: return "mapping";
    case FL_CT_TOPOLOGY: return "mapping";
    }
    return "value";
}

static bool is_string_type(fl_config_type t)
{
    return t != FL_CT_DURATION && t != FL_CT_COUNT && t != FL_CT_NUMBER;
}

/* "100ms to 1h", "1 to 100", "1 to 256 bytes" */
static void range_str(const fl_config_key *k, char *buf, size_t n)
{
    char a[32], b[32];
    switch (k->type) {
    case FL_CT_DURATION:
        dur_str(k->min, a, sizeof a);
        dur_str(k->max, b, sizeof b);
        snprintf(buf, n, "%s to %s", a, b);
        break;
    case FL_CT_COUNT:
    case FL_CT_NUMBER:
        snprintf(buf, n, "%lld to %lld", (long long)k->min, (long long)k->max);
        break;
    case FL_CT_FORMAT:
        snprintf(buf, n, "auto, a built-in format, or a pattern's name");
        break;
    case FL_CT_FIELDS:
        snprintf(buf, n, "field: key path of 1 to 128 bytes");
        break;
    case FL_CT_TOPOLOGY:
        snprintf(buf, n, "service: [service, ...], at most %d edges",
                 TOPOLOGY_MAX_EDGES);
        break;
    default:
        snprintf(buf, n, "%lld to %lld bytes", (long long)k->min,
                 (long long)k->max);
    }
}

/* Service names as the decoders accept them: printable, some visible. */
static bool service_ok(const char *s)
{
    bool visible = false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p < 0x20 || *p == 0x7f)
            return false;
        if (*p != ' ')
            visible = true;
    }
    return visible;
}

static bool pattern_name_ok(const char *s)
{
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
              (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' || *s == '.'))
            return false;
    return true;
}

/* ---------------------------------------------------------- the reader */

typedef struct {
    yaml_parser_t yp;
    yaml_event_t ev;
    bool have_ev;
    const char *data;
    size_t n;
    fl_config *c;
    char *err;
    size_t errlen;
} reader;

static bool fail(reader *r, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static bool fail(reader *r, int line, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (line > 0)
        snprintf(r->err, r->errlen, "%s:%d: %s", r->c->name, line, msg);
    else
        snprintf(r->err, r->errlen, "%s: %s", r->c->name, msg);
    return false;
}

static int ev_line(const reader *r)
{
    return (int)r->ev.start_mark.line + 1;
}

static bool next(reader *r)
{
    if (r->have_ev)
        yaml_event_delete(&r->ev);
    r->have_ev = false;
    if (yaml_parser_parse(&r->yp, &r->ev)) {
        r->have_ev = true;
        return true;
    }
    const yaml_parser_t *y = &r->yp;
    int line;
    if (y->error == YAML_READER_ERROR) {
        line = 1;
        for (size_t i = 0; i < y->problem_offset && i < r->n; i++)
            line += r->data[i] == '\n';
    } else {
        line = (int)y->problem_mark.line + 1;
    }
    if (y->error == YAML_MEMORY_ERROR)
        return fail(r, line, "out of memory reading YAML");
    const char *problem = y->problem ? y->problem : "unknown error";
    if (y->error == YAML_READER_ERROR && y->problem_value != -1)
        return fail(r, line, "invalid YAML: %s (#%X)", problem,
                    (unsigned)y->problem_value);
    if (y->context)
        return fail(r, line, "invalid YAML: %s %s", problem, y->context);
    return fail(r, line, "invalid YAML: %s", problem);
}

static const char *ev_kind(const yaml_event_t *e)
{
    switch (e->type) {
    case YAML_MAPPING_START_EVENT: return "a mapping";
    case YAML_SEQUENCE_START_EVENT: return "a list";
    case YAML_ALIAS_EVENT: return "an alias";
    case YAML_SCALAR_EVENT: return "a single value";
    default: return "something else";
    }
}

static bool is_null(const yaml_event_t *e)
{
    if (e->type != YAML_SCALAR_EVENT ||
        e->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return false;
    const char *v = (const char *)e->data.scalar.value;
    return e->data.scalar.length == 0 || strcmp(v, "~") == 0 ||
           strcmp(v, "null") == 0 || strcmp(v, "Null") == 0 ||
           strcmp(v, "NULL") == 0;
}

/* Tags and aliases are refused wherever they appear; anchors are harmless
 * without aliases and ignored. */
static bool no_tag_or_alias(reader *r)
{
    const yaml_event_t *e = &r->ev;
    const yaml_char_t *tag = NULL;
    char sh[64];
    if (e->type == YAML_ALIAS_EVENT) {
        const char *a = (const char *)e->data.alias.anchor;
        return fail(r, ev_line(r), "aliases (*%s) are not supported",
                    shown(a, strlen(a), sh, sizeof sh));
    }
    if (e->type == YAML_SCALAR_EVENT)
        tag = e->data.scalar.tag;
    else if (e->type == YAML_MAPPING_START_EVENT)
        tag = e->data.mapping_start.tag;
    else if (e->type == YAML_SEQUENCE_START_EVENT)
        tag = e->data.sequence_start.tag;
    if (tag) {
        return fail(
            r, ev_line(r), "tags (%s) are not supported",
            shown((const char *)tag, strlen((const char *)tag), sh, sizeof sh));
    }
    return true;
}

static const char *sec_list(int sec, char *buf, size_t n)
{
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < NKEYS && o < n; i++)
        if (strcmp(fl_config_keys[i].section, sections[sec].name) == 0)
            o += (size_t)snprintf(buf + o, n - o, "%s%s", o ? ", " : "",
                                  fl_config_keys[i].name);
    return buf;
}

static const char *all_sections(char *buf, size_t n)
{
    size_t o = 0;
    for (int i = 0; i < SEC__COUNT && o < n; i++)
        o += (size_t)snprintf(buf + o, n - o, "%s%s", i ? ", " : "",
                              sections[i].name);
    return buf;
}

/* The value event of key k: checks its shape and type and returns its
 * text (NUL-terminated, in the event) in *out. */
static bool scalar_value(reader *r, const fl_config_key *k, const char **out)
{
    const yaml_event_t *e = &r->ev;
    if (!no_tag_or_alias(r))
        return false;
    if (e->type != YAML_SCALAR_EVENT)
        return fail(r, ev_line(r), "%s.%s: expected %s, got %s", k->section,
                    k->name, type_what(k->type), ev_kind(e));
    if (is_null(e))
        return fail(r, ev_line(r), "%s.%s: no value given (expected %s)",
                    k->section, k->name, type_what(k->type));
    const char *v = (const char *)e->data.scalar.value;
    size_t n = e->data.scalar.length;
    if (memchr(v, '\0', n))
        return fail(r, ev_line(r), "%s.%s: the value holds a NUL character",
                    k->section, k->name);
    *out = v;
    return true;
}

/* Converts text to key k's type, range-checked. Used for the file's
 * values and for the table's defaults alike. On error, writes the reason
 * (without file and line) to why. */
static bool convert(const fl_config_key *k, const char *v, vals *dst, char *why,
                    size_t whylen)
{
    char sh[64], rg[96];
    size_t n = strlen(v);
    shown(v, n, sh, sizeof sh);
    range_str(k, rg, sizeof rg);
    switch (k->type) {
    case FL_CT_DURATION: {
        fl_time t;
        /* digits, then a unit: no sign, spaces, hex, inf or nan */
        size_t num = strspn(v, "0123456789.eE+-");
        const char *unit = v + num;
        bool unit_ok = *unit == '\0' || strcmp(unit, "s") == 0 ||
                       strcmp(unit, "ms") == 0 || strcmp(unit, "m") == 0 ||
                       strcmp(unit, "min") == 0 || strcmp(unit, "h") == 0 ||
                       strcmp(unit, "d") == 0;
        bool lead_ok = (v[0] >= '0' && v[0] <= '9') || v[0] == '.';
        if (!lead_ok || !unit_ok || !fl_duration_parse(v, &t)) {
            snprintf(why, whylen,
                     "%s.%s: invalid duration '%s' (use e.g. 10s, "
                     "500ms, 2m, 1h, 1d)",
                     k->section, k->name, sh);
            return false;
        }
        if (t < k->min || t > k->max) {
            snprintf(why, whylen, "%s.%s: %s is out of range (%s)", k->section,
                     k->name, sh, rg);
            return false;
        }
        if (t % NS_MS) {
            snprintf(why, whylen, "%s.%s: %s is finer than a millisecond",
                     k->section, k->name, sh);
            return false;
        }
        memcpy((char *)dst + k->off, &t, sizeof t);
        return true;
    }
    case FL_CT_COUNT: {
        unsigned long long x = 0;
        bool ok = n > 0 && n <= 19;
        for (size_t i = 0; ok && i < n; i++)
            ok = v[i] >= '0' && v[i] <= '9';
        if (ok)
            x = strtoull(v, NULL, 10);
        if (!ok) {
            snprintf(why, whylen, "%s.%s: expected a whole number, got '%s'",
                     k->section, k->name, sh);
            return false;
        }
        if (x < (unsigned long long)k->min || x > (unsigned long long)k->max) {
            snprintf(why, whylen, "%s.%s: %s is out of range (%s)", k->section,
                     k->name, sh, rg);
            return false;
        }
        if (k->size == sizeof(uint32_t)) {
            uint32_t u = (uint32_t)x;
            memcpy((char *)dst + k->off, &u, sizeof u);
        } else {
            uint64_t u = (uint64_t)x;
            _Static_assert(sizeof(size_t) == sizeof(uint64_t), "64-bit size_t");
            memcpy((char *)dst + k->off, &u, sizeof u);
        }
        return true;
    }
    case FL_CT_NUMBER: {
        char *end;
        errno = 0;
        double d = n ? strtod(v, &end) : 0;
        /* decimal notation only: no hex, inf or nan, no leading space */
        bool ok = n > 0 && *end == '\0' && isfinite(d) &&
                  strspn(v, "0123456789.eE+-") == n;
        if (!ok) {
            snprintf(why, whylen, "%s.%s: expected a number, got '%s'",
                     k->section, k->name, sh);
            return false;
        }
        if (d < (double)k->min || d > (double)k->max) {
            snprintf(why, whylen, "%s.%s: %s is out of range (%s)", k->section,
                     k->name, sh, rg);
            return false;
        }
        memcpy((char *)dst + k->off, &d, sizeof d);
        return true;
    }
    default: break;
    }
    /* strings: length and content; formats are resolved later */
    if ((int64_t)n < k->min || (int64_t)n > k->max) {
        snprintf(why, whylen, "%s.%s: '%s' is %zu bytes long (%s)", k->section,
                 k->name, sh, n, rg);
        return false;
    }
    bool ok = true;
    switch (k->type) {
    case FL_CT_SERVICE: ok = service_ok(v); break;
    case FL_CT_NAME:
    case FL_CT_FORMAT: ok = pattern_name_ok(v); break;
    case FL_CT_GLOB:
    case FL_CT_TOPIC:
        for (const unsigned char *p = (const unsigned char *)v; *p && ok; p++)
            ok = *p >= 0x20 && *p != 0x7f;
        break;
    default: break;
    }
    if (!ok) {
        const char *what =
            k->type == FL_CT_SERVICE ? "a service name needs a visible "
                                       "character and no control characters"
            : k->type == FL_CT_GLOB || k->type == FL_CT_TOPIC
                ? "control characters are not allowed"
                : "use letters, digits, '_', '-' and '.', starting with a "
                  "letter";
        snprintf(why, whylen, "%s.%s: invalid %s '%s' (%s)", k->section,
                 k->name, type_name(k->type), sh, what);
        return false;
    }
    return true;
}

static bool set_scalar(reader *r, int ki)
{
    const fl_config_key *k = &fl_config_keys[ki];
    const char *v;
    char why[512];
    if (!scalar_value(r, k, &v))
        return false;
    if (!convert(k, v, &r->c->v, why, sizeof why))
        return fail(r, ev_line(r), "%s", why);
    if (is_string_type(k->type)) {
        free(r->c->str[ki]);
        r->c->str[ki] = fl_strndup(v, strlen(v));
    }
    r->c->set |= 1ull << ki;
    r->c->line[ki] = ev_line(r);
    return true;
}

/* A key of a section or entry: a plain scalar. */
static bool key_text(reader *r, const char *where, const char **out)
{
    if (!no_tag_or_alias(r))
        return false;
    if (r->ev.type != YAML_SCALAR_EVENT)
        return fail(r, ev_line(r), "expected a key in %s, got %s", where,
                    ev_kind(&r->ev));
    const char *v = (const char *)r->ev.data.scalar.value;
    if (memchr(v, '\0', r->ev.data.scalar.length))
        return fail(r, ev_line(r), "a key in %s holds a NUL character", where);
    *out = v;
    return true;
}

/* The value of a `fields` key: a mapping of event fields to key paths,
 * each checked (fl_field_map_add) where it is written. Kept as text, one
 * "field\tpath\n" per mapping (paths hold no control characters), and
 * turned into maps once the file is read (map_from_text). */
static bool parse_fields(reader *r, const fl_config_key *k, char **out)
{
    char sh[64], why[512];
    if (!no_tag_or_alias(r))
        return false;
    if (r->ev.type != YAML_MAPPING_START_EVENT)
        return fail(r, ev_line(r),
                    "%s.%s: expected a mapping of fields to keys (e.g. "
                    "{service: app.name}), got %s",
                    k->section, k->name, ev_kind(&r->ev));
    fl_field_map *m = fl_field_map_new();
    fl_buf text = {0};
    bool ok = true;
    while (ok) {
        if (!(ok = next(r)))
            break;
        if (r->ev.type == YAML_MAPPING_END_EVENT)
            break;
        const char *target;
        char where[64];
        snprintf(where, sizeof where, "%s.%s", k->section, k->name);
        if (!(ok = key_text(r, where, &target)))
            break;
        char *t = fl_strndup(target, strlen(target));
        int tline = ev_line(r);
        const char *path = NULL;
        if (!next(r)) {
            ok = false;
        } else if (!no_tag_or_alias(r)) {
            ok = false;
        } else if (r->ev.type != YAML_SCALAR_EVENT || is_null(&r->ev)) {
            ok = fail(r, ev_line(r), "%s.%s.%s: expected a key path, got %s",
                      k->section, k->name, shown(t, strlen(t), sh, sizeof sh),
                      is_null(&r->ev) ? "nothing" : ev_kind(&r->ev));
        } else {
            path = (const char *)r->ev.data.scalar.value;
            if (memchr(path, '\0', r->ev.data.scalar.length))
                ok = fail(r, ev_line(r), "%s.%s: a key path holds a NUL",
                          k->section, k->name);
        }
        if (ok) {
            /* a field given twice: the YAML mapping's duplicate key */
            size_t before = fl_field_map_size(m);
            if (!fl_field_map_add(m, t, path, why, sizeof why)) {
                for (char *q = why; *q; q++) /* the message stays one line */
                    if ((unsigned char)*q < 0x20 || *q == 0x7f)
                        *q = '?';
                ok = fail(r, tline, "%s.%s: %s", k->section, k->name, why);
            }
            else if (fl_field_map_size(m) == before)
                ok = fail(r, tline, "%s.%s: field '%s' given twice (or "
                          "with another latency unit)",
                          k->section, k->name,
                          shown(t, strlen(t), sh, sizeof sh));
            else
                fl_buf_printf(&text, "%s\t%s\n", t, path);
        }
        free(t);
    }
    fl_field_map_free(m);
    if (ok) {
        *out = fl_strndup(text.p ? text.p : "", text.n);
    }
    fl_buf_free(&text);
    return ok;
}

/* A map from parse_fields' text, over base (may be NULL). */
static fl_field_map *map_from_text(const fl_field_map *base, const char *t)
{
    fl_field_map *m = fl_field_map_new();
    char why[256];
    fl_field_map_copy(m, base);
    while (t && *t) {
        const char *tab = strchr(t, '\t'), *nl = strchr(t, '\n');
        if (!tab || !nl || tab > nl)
            break; /* not reached: the text is parse_fields' own */
        char *target = fl_strndup(t, (size_t)(tab - t));
        char *path = fl_strndup(tab + 1, (size_t)(nl - tab - 1));
        fl_field_map_add(m, target, path, why, sizeof why);
        free(target);
        free(path);
        t = nl + 1;
    }
    return m;
}

/* The value of rca.topology: a mapping of caller -> callee or list of
 * callees, every name a valid service name. Kept as text, one
 * "caller\tcallee\n" per edge (names hold no control characters), and
 * handed to the pipeline (fl_config_apply), which adds the edges before
 * its first event. */
static bool topo_name(reader *r, const char *what, const char **out)
{
    char sh[64];
    if (!no_tag_or_alias(r))
        return false;
    if (r->ev.type != YAML_SCALAR_EVENT || is_null(&r->ev))
        return fail(r, ev_line(r), "rca.topology: expected a service name "
                    "as %s, got %s", what,
                    is_null(&r->ev) ? "nothing" : ev_kind(&r->ev));
    const char *v = (const char *)r->ev.data.scalar.value;
    size_t n = r->ev.data.scalar.length;
    if (n > 256 || memchr(v, '\0', n) || !service_ok(v))
        return fail(r, ev_line(r), "rca.topology: not a service name: '%s'",
                    shown(v, n, sh, sizeof sh));
    *out = v;
    return true;
}

static bool parse_topology(reader *r, const fl_config_key *k, char **out)
{
    (void)k;
    if (!no_tag_or_alias(r))
        return false;
    if (r->ev.type != YAML_MAPPING_START_EVENT)
        return fail(r, ev_line(r),
                    "rca.topology: expected a mapping of callers to lists of "
                    "callees (e.g. {api: [cart, search]}), got %s",
                    ev_kind(&r->ev));
    fl_buf text = {0};
    uint32_t nedges = 0;
    bool ok = true;
    while (ok && (ok = next(r))) {
        if (r->ev.type == YAML_MAPPING_END_EVENT)
            break;
        const char *v;
        if (!(ok = topo_name(r, "a caller", &v)))
            break;
        char *caller = fl_strndup(v, strlen(v));
        if (!(ok = next(r)) || !(ok = no_tag_or_alias(r))) {
            free(caller);
            break;
        }
        bool seq = r->ev.type == YAML_SEQUENCE_START_EVENT;
        if (seq && !(ok = next(r))) {
            free(caller);
            break;
        }
        while (ok && !(seq && r->ev.type == YAML_SEQUENCE_END_EVENT)) {
            if (!(ok = topo_name(r, "a callee", &v)))
                break;
            if (strcmp(v, caller) == 0) {
                ok = fail(r, ev_line(r), "rca.topology: %s calls itself",
                          caller);
                break;
            }
            if (++nedges > TOPOLOGY_MAX_EDGES) {
                ok = fail(r, ev_line(r), "rca.topology: more than %d edges",
                          TOPOLOGY_MAX_EDGES);
                break;
            }
            fl_buf_printf(&text, "%s\t%s\n", caller, v);
            if (!seq)
                break;
            ok = next(r);
        }
        free(caller);
    }
    if (ok)
        *out = fl_strndup(text.p ? text.p : "", text.n);
    fl_buf_free(&text);
    return ok;
}

static bool parse_map(reader *r, int sec)
{
    char where[64], known[256], sh[64];
    snprintf(where, sizeof where, "section %s", sections[sec].name);
    if (is_null(&r->ev))
        return true; /* "detect:" with nothing under it */
    if (!no_tag_or_alias(r))
        return false;
    if (r->ev.type != YAML_MAPPING_START_EVENT)
        return fail(r, ev_line(r),
                    "section %s must be a mapping of keys "
                    "(%s), got %s",
                    sections[sec].name, sec_list(sec, known, sizeof known),
                    ev_kind(&r->ev));
    for (;;) {
        if (!next(r))
            return false;
        if (r->ev.type == YAML_MAPPING_END_EVENT)
            return true;
        const char *name;
        if (!key_text(r, where, &name))
            return false;
        int ki = key_index(sec, name);
        if (ki < 0)
            return fail(r, ev_line(r),
                        "unknown key '%s' in section %s "
                        "(known: %s)",
                        shown(name, strlen(name), sh, sizeof sh),
                        sections[sec].name, sec_list(sec, known, sizeof known));
        if (r->c->set & (1ull << ki))
            return fail(r, ev_line(r),
                        "duplicate key '%s' in section %s "
                        "(first at line %d)",
                        name, sections[sec].name, r->c->line[ki]);
        if (fl_config_keys[ki].type == FL_CT_FIELDS ||
            fl_config_keys[ki].type == FL_CT_TOPOLOGY) {
            int line = ev_line(r);
            char *t = NULL;
            if (!next(r) ||
                !(fl_config_keys[ki].type == FL_CT_FIELDS
                      ? parse_fields(r, &fl_config_keys[ki], &t)
                      : parse_topology(r, &fl_config_keys[ki], &t)))
                return false;
            free(r->c->str[ki]);
            r->c->str[ki] = t;
            r->c->set |= 1ull << ki;
            r->c->line[ki] = line;
            continue;
        }
        if (!next(r) || !set_scalar(r, ki))
            return false;
    }
}

static bool parse_entry(reader *r, int sec, entry *en)
{
    char where[64], known[256], sh[64], why[512];
    snprintf(where, sizeof where, "a %s entry", sections[sec].name);
    en->line0 = ev_line(r);
    for (;;) {
        if (!next(r))
            return false;
        if (r->ev.type == YAML_MAPPING_END_EVENT)
            break;
        const char *name;
        if (!key_text(r, where, &name))
            return false;
        int ki = key_index(sec, name);
        if (ki < 0)
            return fail(r, ev_line(r), "unknown key '%s' in %s (known: %s)",
                        shown(name, strlen(name), sh, sizeof sh), where,
                        sec_list(sec, known, sizeof known));
        const fl_config_key *k = &fl_config_keys[ki];
        size_t slot = k->off;
        if (en->v[slot])
            return fail(r, ev_line(r),
                        "duplicate key '%s' in %s (first at "
                        "line %d)",
                        name, where, en->line[slot]);
        if (k->type == FL_CT_FIELDS) {
            en->line[slot] = ev_line(r);
            if (!next(r) || !parse_fields(r, k, &en->v[slot]))
                return false;
            continue;
        }
        const char *v;
        if (!next(r) || !scalar_value(r, k, &v))
            return false;
        if (!convert(k, v, &r->c->v /* unused for strings */, why, sizeof why))
            return fail(r, ev_line(r), "%s", why);
        en->v[slot] = fl_strndup(v, strlen(v));
        en->line[slot] = ev_line(r);
    }
    for (size_t i = 0; i < NKEYS; i++) {
        const fl_config_key *k = &fl_config_keys[i];
        if (strcmp(k->section, sections[sec].name) == 0 &&
            (k->flags & FL_CONFIG_REQUIRED) && !en->v[k->off])
            return fail(r, en->line0, "%s: missing key '%s'", where, k->name);
    }
    if (sec != SEC_PATTERNS && !en->v[1] && !en->v[2] && !en->v[3])
        return fail(r, en->line0,
                    "%s sets nothing: give it 'format', 'service' "
                    "and/or 'fields'",
                    where);
    return true;
}

static const char *first_key(int sec)
{
    for (size_t i = 0; i < NKEYS; i++)
        if (strcmp(fl_config_keys[i].section, sections[sec].name) == 0)
            return fl_config_keys[i].name;
    return "";
}

static bool parse_list(reader *r, int sec)
{
    char known[256];
    if (is_null(&r->ev))
        return true;
    if (!no_tag_or_alias(r))
        return false;
    if (r->ev.type != YAML_SEQUENCE_START_EVENT)
        return fail(r, ev_line(r),
                    "section %s must be a list of entries "
                    "('- %s: ...'), got %s",
                    sections[sec].name, first_key(sec), ev_kind(&r->ev));
    entry_list *l = &r->c->lists[sec];
    for (;;) {
        if (!next(r))
            return false;
        if (r->ev.type == YAML_SEQUENCE_END_EVENT)
            return true;
        if (!no_tag_or_alias(r))
            return false;
        if (r->ev.type != YAML_MAPPING_START_EVENT)
            return fail(r, ev_line(r),
                        "each entry of %s must be a mapping "
                        "(%s), got %s",
                        sections[sec].name, sec_list(sec, known, sizeof known),
                        ev_kind(&r->ev));
        if (l->n == MAX_ENTRIES)
            return fail(r, ev_line(r), "too many entries in %s (at most %d)",
                        sections[sec].name, MAX_ENTRIES);
        if (l->n == l->cap) {
            l->cap = l->cap ? 2 * l->cap : 8;
            l->e = fl_realloc(l->e, l->cap * sizeof *l->e);
        }
        entry *en = &l->e[l->n++];
        memset(en, 0, sizeof *en);
        if (!parse_entry(r, sec, en))
            return false;
    }
}

static bool parse_sections(reader *r)
{
    int seen[SEC__COUNT] = {0};
    char names[128], sh[64];
    for (;;) {
        if (!next(r))
            return false;
        if (r->ev.type == YAML_MAPPING_END_EVENT)
            return true;
        const char *name;
        if (!key_text(r, "the top level", &name))
            return false;
        int sec = sec_of(name);
        if (sec < 0)
            return fail(r, ev_line(r), "unknown section '%s' (known: %s)",
                        shown(name, strlen(name), sh, sizeof sh),
                        all_sections(names, sizeof names));
        if (seen[sec])
            return fail(r, ev_line(r),
                        "duplicate section '%s' (first at line "
                        "%d)",
                        name, seen[sec]);
        seen[sec] = ev_line(r);
        if (!next(r))
            return false;
        if (!(sections[sec].list ? parse_list(r, sec) : parse_map(r, sec)))
            return false;
    }
}

static bool parse_stream(reader *r)
{
    char names[128];
    if (!next(r)) /* stream start */
        return false;
    if (!next(r))
        return false;
    if (r->ev.type == YAML_STREAM_END_EVENT)
        return true; /* an empty file: all defaults */
    if (!next(r))    /* the document's content */
        return false;
    if (!is_null(&r->ev)) {
        if (!no_tag_or_alias(r))
            return false;
        if (r->ev.type != YAML_MAPPING_START_EVENT)
            return fail(r, ev_line(r),
                        "expected sections (%s) at the top "
                        "level, got %s",
                        all_sections(names, sizeof names), ev_kind(&r->ev));
        if (!parse_sections(r))
            return false;
    }
    if (!next(r)) /* document end */
        return false;
    if (!next(r))
        return false;
    if (r->ev.type != YAML_STREAM_END_EVENT)
        return fail(r, ev_line(r), "only one YAML document is allowed");
    return true;
}

/* ------------------------------------------ patterns, formats, rules */

static int pattern_index(const fl_config *c, const char *name)
{
    const entry_list *l = &c->lists[SEC_PATTERNS];
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->e[i].v[0], name) == 0)
            return (int)i;
    return -1;
}

/* What ingest/pattern.c refuses to redefine: every built-in format but the
 * two that are themselves patterns (nginx, syslog). */
static bool builtin_format(const char *name)
{
    fl_format f;
    return strcmp(name, "auto") == 0 ||
           (fl_format_parse(name, &f) && (int)f < FL_FORMAT_PATTERN_BASE &&
            f != FL_FORMAT_NGINX && f != FL_FORMAT_SYSLOG);
}

static bool register_patterns(reader *r)
{
    fl_config *c = r->c;
    const entry_list *l = &c->lists[SEC_PATTERNS];
    for (size_t i = 0; i < l->n; i++) {
        const entry *en = &l->e[i];
        int first = pattern_index(c, en->v[0]);
        if (first != (int)i)
            return fail(r, en->line[0],
                        "patterns.name: '%s' is defined twice "
                        "(first at line %d)",
                        en->v[0], l->e[first].line[0]);
        if (builtin_format(en->v[0]))
            return fail(r, en->line[0],
                        "patterns.name: '%s' is a built-in "
                        "format's name",
                        en->v[0]);
    }
    if (c->flags & FL_CONFIG_NO_REGISTER)
        return true;
    for (size_t i = 0; i < l->n; i++) {
        const entry *en = &l->e[i];
        char why[512] = "";
        if (!fl_pattern_define(en->v[0], en->v[1], en->v[2], why, sizeof why))
            return fail(r, en->line[1], "patterns.regex: %s", why);
    }
    return true;
}

/* A format name: built in, registered, or (without registering) one of
 * this file's patterns. */
static bool resolve_format(const fl_config *c, const char *name, fl_format *f)
{
    if (fl_format_parse(name, f))
        return true;
    if ((c->flags & FL_CONFIG_NO_REGISTER) && pattern_index(c, name) >= 0) {
        *f = FL_FORMAT_AUTO; /* stands in: nothing decodes with it */
        return true;
    }
    return false;
}

static bool bad_format(reader *r, int line, const char *key, const char *name)
{
    char sh[64];
    return fail(r, line,
                "%s: unknown format '%s' (this build decodes %s; or "
                "define it under patterns)",
                key, shown(name, strlen(name), sh, sizeof sh),
                fl_format_names());
}

/* A pattern format decides the service itself: a `service` capture, else
 * the pattern's fixed service, else a `path` group's first segment, and
 * only then the input's fallback. An entry's service must beat the last
 * two, so such an entry gets a pattern of its own: the same regex with the
 * entry's service fixed ("_files.2", "_topics.1"; users' names start with
 * a letter). Entries with the same format and service share one. */
static bool derive_pattern(reader *r, int sec, size_t i, rule *rules)
{
    fl_config *c = r->c;
    rule *ru = &rules[i];
    const entry *en = &c->lists[sec].e[i];
    if ((c->flags & FL_CONFIG_NO_REGISTER) || !ru->d.has_format ||
        !ru->d.service ||
        !(ru->d.format == FL_FORMAT_NGINX || ru->d.format == FL_FORMAT_SYSLOG ||
          (int)ru->d.format >= FL_FORMAT_PATTERN_BASE))
        return true;
    /* earlier entries of this list, and the files list for topics */
    const rule *lists[2] = {rules, sec == SEC_TOPICS ? c->files : NULL};
    size_t counts[2] = {i, sec == SEC_TOPICS ? c->nfiles : 0};
    for (int l = 0; l < 2; l++)
        for (size_t j = 0; j < counts[l]; j++) {
            const rule *o = &lists[l][j];
            if (o->derived && strcmp(o->d.service, ru->d.service) == 0 &&
                strcmp(o->d.format_name, ru->d.format_name) == 0) {
                ru->d.format = o->d.format;
                ru->derived = true;
                return true;
            }
        }
    const char *regex = fl_pattern_regex(ru->d.format_name);
    if (!regex)
        return true;
    char name[32], why[512] = "";
    snprintf(name, sizeof name, "_%s.%zu", sections[sec].name, i + 1);
    if (!fl_pattern_define(name, regex, ru->d.service, why, sizeof why) ||
        !fl_format_parse(name, &ru->d.format))
        return fail(r, en->line[2], "%s.service: %s", sections[sec].name, why);
    ru->derived = true;
    return true;
}

static bool build_rules(reader *r, int sec, rule **out, size_t *nout)
{
    fl_config *c = r->c;
    const entry_list *l = &c->lists[sec];
    *out = fl_calloc(l->n + 1, sizeof **out);
    *nout = l->n;
    char key[32];
    snprintf(key, sizeof key, "%s.format", sections[sec].name);
    for (size_t i = 0; i < l->n; i++) {
        const entry *en = &l->e[i];
        rule *ru = &(*out)[i];
        ru->match = en->v[0];
        ru->base_only = sec == SEC_FILES && !strchr(en->v[0], '/');
        ru->d.service = en->v[2];
        ru->d.fields = c->fields;
        if (en->v[3]) { /* the entry's names over input.fields */
            c->maps = fl_realloc(c->maps, (c->nmaps + 1) * sizeof *c->maps);
            c->maps[c->nmaps] = map_from_text(c->fields, en->v[3]);
            ru->d.fields = c->maps[c->nmaps++];
        }
        if (en->v[1]) {
            ru->d.format_name = en->v[1];
            ru->d.has_format = true;
            if (!resolve_format(c, en->v[1], &ru->d.format))
                return bad_format(r, en->line[1], key, en->v[1]);
        }
        if (!derive_pattern(r, sec, i, *out))
            return false;
    }
    return true;
}

static bool finish_parse(reader *r)
{
    fl_config *c = r->c;
    if (!register_patterns(r))
        return false;
    int ff = key_index(SEC_INPUT, "fields");
    if ((c->set & (1ull << ff)) && c->str[ff] && c->str[ff][0])
        c->fields = map_from_text(NULL, c->str[ff]);
    int fi = key_index(SEC_INPUT, "format");
    if (c->set & (1ull << fi)) {
        if (!resolve_format(c, c->str[fi], &c->v.pc.format))
            return bad_format(r, c->line[fi], "input.format", c->str[fi]);
    }
    return build_rules(r, SEC_FILES, &c->files, &c->nfiles) &&
           build_rules(r, SEC_TOPICS, &c->topics, &c->ntopics);
}

/* An empty configuration: every value at the table's default. */
static fl_config *config_new(const char *name, unsigned flags)
{
    fl_config *c = fl_calloc(1, sizeof *c);
    c->name = fl_strndup(name, strlen(name));
    for (char *p = c->name; *p; p++) /* messages stay on one line */
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
    c->flags = flags;
    fl_pipeline_conf_default(&c->v.pc);
    for (size_t i = 0; i < NKEYS; i++) {
        const fl_config_key *k = &fl_config_keys[i];
        char why[256];
        if (!k->def || sections[sec_of(k->section)].list)
            continue;
        if (k->type == FL_CT_FORMAT) {
            if (!fl_format_parse(k->def, &c->v.pc.format))
                abort(); /* the table's default must be a format */
            continue;
        }
        if (!convert(k, k->def, &c->v, why, sizeof why)) {
            fprintf(stderr, "faultline: bad default in config.c: %s\n", why);
            abort();
        }
    }
    return c;
}

fl_config *fl_config_parse(const char *name, const void *data, size_t n,
                           unsigned flags, char *errstr, size_t errlen)
{
    reader r;
    memset(&r, 0, sizeof r);
    r.c = config_new(name, flags);
    r.data = data;
    r.n = n;
    r.err = errstr;
    r.errlen = errlen;
    if (errlen)
        errstr[0] = '\0';
    if (n > MAX_FILE_BYTES) {
        fail(&r, 0,
             "too large for a configuration file (more than %u "
             "bytes)",
             MAX_FILE_BYTES);
        fl_config_free(r.c);
        return NULL;
    }
    if (!yaml_parser_initialize(&r.yp)) {
        fail(&r, 0, "out of memory");
        fl_config_free(r.c);
        return NULL;
    }
    yaml_parser_set_input_string(&r.yp, (const unsigned char *)data, n);
    bool ok = parse_stream(&r);
    if (r.have_ev)
        yaml_event_delete(&r.ev);
    yaml_parser_delete(&r.yp);
    if (ok)
        ok = finish_parse(&r);
    if (!ok) {
        fl_config_free(r.c);
        return NULL;
    }
    return r.c;
}

fl_config *fl_config_load(const char *path, unsigned flags, char *errstr,
                          size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(errstr, errlen, "%s: cannot read the configuration file: %s",
                 path, strerror(errno));
        for (char *p = errstr; *p; p++) /* one line, whatever the path */
            if ((unsigned char)*p < 0x20 || *p == 0x7f)
                *p = '?';
        return NULL;
    }
    size_t cap = 4096, n = 0;
    char *buf = fl_malloc(cap);
    for (;;) {
        if (n == cap) {
            if (cap > MAX_FILE_BYTES)
                break;
            cap *= 2;
            buf = fl_realloc(buf, cap);
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    int err = ferror(f) ? errno : 0;
    fclose(f);
    if (err) {
        snprintf(errstr, errlen, "%s: cannot read the configuration file: %s",
                 path, strerror(err));
        for (char *p = errstr; *p; p++)
            if ((unsigned char)*p < 0x20 || *p == 0x7f)
                *p = '?';
        free(buf);
        return NULL;
    }
    fl_config *c = fl_config_parse(path, buf, n, flags, errstr, errlen);
    free(buf);
    return c;
}

void fl_config_free(fl_config *c)
{
    if (!c)
        return;
    for (int s = 0; s < SEC__COUNT; s++) {
        for (size_t i = 0; i < c->lists[s].n; i++)
            for (int j = 0; j < NSLOTS; j++)
                free(c->lists[s].e[i].v[j]);
        free(c->lists[s].e);
    }
    for (size_t i = 0; i < NKEYS; i++)
        free(c->str[i]);
    free(c->files);
    free(c->topics);
    fl_field_map_free(c->fields);
    for (size_t i = 0; i < c->nmaps; i++)
        fl_field_map_free(c->maps[i]);
    free(c->maps);
    free(c->name);
    free(c);
}

/* ----------------------------------------------------------- using it */

void fl_config_apply(const fl_config *c, fl_pipeline_conf *conf)
{
    if (!c)
        return;
    for (size_t i = 0; i < NKEYS; i++) {
        const fl_config_key *k = &fl_config_keys[i];
        if (!(c->set & (1ull << i)) || k->size == 0 ||
            k->off + k->size > sizeof *conf)
            continue;
        memcpy((char *)conf + k->off, (const char *)&c->v + k->off, k->size);
    }
    int ti = key_index(SEC_RCA, "topology");
    if ((c->set & (1ull << ti)) && c->str[ti] && c->str[ti][0])
        conf->topology = c->str[ti]; /* copied by fl_pipeline_new */
}

void fl_config_finish(fl_config *c, fl_pipeline_conf *conf,
                      bool format_from_cli)
{
    if (!c)
        return;
    int fa = key_index(SEC_DETECT, "false_alarm_every");
    if (c->set & (1ull << fa))
        conf->detect.arl_buckets =
            (double)c->v.false_alarm_every / (double)conf->detect.bucket;
    if (format_from_cli) {
        for (size_t i = 0; i < c->nfiles; i++)
            c->files[i].d.has_format = false;
        for (size_t i = 0; i < c->ntopics; i++)
            c->topics[i].d.has_format = false;
    }
}

const fl_field_map *fl_config_fields(const fl_config *c)
{
    return c ? c->fields : NULL;
}

const fl_source_defaults *fl_config_for_file(const fl_config *c,
                                             const char *path)
{
    if (!c || !path)
        return NULL;
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    for (size_t i = 0; i < c->nfiles; i++)
        if (fnmatch(c->files[i].match, c->files[i].base_only ? base : path,
                    0) == 0)
            return &c->files[i].d;
    return NULL;
}

const fl_source_defaults *fl_config_for_topic(const fl_config *c,
                                              const char *topic)
{
    if (!c || !topic)
        return NULL;
    for (size_t i = 0; i < c->ntopics; i++)
        if (fnmatch(c->topics[i].match, topic, 0) == 0)
            return &c->topics[i].d;
    return NULL;
}

/* ---------------------------------------------------------- the writer */

/* A YAML double-quoted scalar; everything YAML would not take raw is
 * escaped, so any string the reader accepted reads back the same. */
static void yaml_quoted(fl_buf *b, const char *s)
{
    fl_buf_putc(b, '"');
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '"' || ch == '\\') {
            fl_buf_putc(b, '\\');
            fl_buf_putc(b, (char)ch);
            i++;
        } else if (ch >= 0x20 && ch < 0x7f) {
            fl_buf_putc(b, (char)ch);
            i++;
        } else if (ch < 0x80) {
            fl_buf_printf(b, "\\x%02X", ch);
            i++;
        } else {
            size_t len = fl_utf8_seq_len((const unsigned char *)s + i, n - i);
            if (len == 0) { /* cannot happen: YAML input is valid UTF-8 */
                fl_buf_puts(b, "\\uFFFD");
                i++;
                continue;
            }
            uint32_t cp = len == 2   ? (ch & 0x1fu)
                          : len == 3 ? (ch & 0x0fu)
                                     : (ch & 0x07u);
            for (size_t j = 1; j < len; j++)
                cp = (cp << 6) | ((unsigned char)s[i + j] & 0x3fu);
            /* U+2028 and U+2029 are line breaks to YAML: escaped */
            bool printable = (cp >= 0xa0 && cp <= 0xd7ff && cp != 0x2028 &&
                              cp != 0x2029) ||
                             (cp >= 0xe000 && cp <= 0xfffd && cp != 0xfeff) ||
                             cp >= 0x10000;
            if (printable)
                fl_buf_put(b, s + i, len);
            else
                fl_buf_printf(b, "\\u%04X", (unsigned)cp);
            i += len;
        }
    }
    fl_buf_putc(b, '"');
}

/* Text as comment lines of at most 76 columns: the first line starts
 * with `first`, the others with `cont` (both end in "# " or so). */
static void comment2(fl_buf *b, const char *first, const char *cont,
                     const char *text)
{
    const char *p = text, *prefix = first;
    while (*p) {
        size_t width = 76 - strlen(prefix), n = strlen(p);
        if (n > width) {
            /* the last space within the width outside `code` */
            size_t cut = 0;
            bool code = false;
            for (size_t i = 0; i < n && (i <= width || !cut); i++) {
                if (p[i] == '`')
                    code = !code;
                else if (p[i] == ' ' && !code)
                    cut = i;
            }
            n = cut ? cut : n;
        }
        fl_buf_printf(b, "%s%.*s\n", prefix, (int)n, p);
        p += n;
        while (*p == ' ')
            p++;
        prefix = cont;
    }
}

static void comment(fl_buf *b, const char *indent, const char *text)
{
    char pre[16];
    snprintf(pre, sizeof pre, "%s# ", indent);
    comment2(b, pre, pre, text);
}

/* A fields value (parse_fields' text) as a YAML flow mapping. */
static void fields_text(fl_buf *b, const char *t)
{
    fl_buf_putc(b, '{');
    for (bool first = true; t && *t; first = false) {
        const char *tab = strchr(t, '\t'), *nl = strchr(t, '\n');
        if (!tab || !nl)
            break;
        char *path = fl_strndup(tab + 1, (size_t)(nl - tab - 1));
        fl_buf_printf(b, "%s%.*s: ", first ? "" : ", ", (int)(tab - t), t);
        yaml_quoted(b, path);
        free(path);
        t = nl + 1;
    }
    fl_buf_putc(b, '}');
}

/* A topology value (parse_topology's text, edges grouped by caller in
 * the order written) as a YAML flow mapping of flow sequences. */
static void topology_text(fl_buf *b, const char *t)
{
    fl_buf_putc(b, '{');
    const char *prev = NULL;
    size_t prevn = 0;
    bool any = false;
    while (t && *t) {
        const char *tab = strchr(t, '\t'), *nl = strchr(t, '\n');
        if (!tab || !nl || tab > nl)
            break;
        size_t cn = (size_t)(tab - t);
        char *callee = fl_strndup(tab + 1, (size_t)(nl - tab - 1));
        if (!prev || prevn != cn || memcmp(prev, t, cn) != 0) {
            char *caller = fl_strndup(t, cn);
            fl_buf_puts(b, any ? "], " : "");
            yaml_quoted(b, caller);
            fl_buf_puts(b, ": [");
            free(caller);
            prev = t;
            prevn = cn;
        } else {
            fl_buf_puts(b, ", ");
        }
        yaml_quoted(b, callee);
        free(callee);
        any = true;
        t = nl + 1;
    }
    fl_buf_puts(b, any ? "]}" : "}");
}

static void value_text(const fl_config *c, size_t ki, fl_buf *b)
{
    const fl_config_key *k = &fl_config_keys[ki];
    const char *src = (const char *)&c->v + k->off;
    char tmp[64];
    switch (k->type) {
    case FL_CT_DURATION: {
        fl_time t;
        memcpy(&t, src, sizeof t);
        dur_str(t, tmp, sizeof tmp);
        fl_buf_puts(b, tmp);
        break;
    }
    case FL_CT_COUNT: {
        unsigned long long x;
        if (k->size == sizeof(uint32_t)) {
            uint32_t u;
            memcpy(&u, src, sizeof u);
            x = u;
        } else {
            uint64_t u;
            memcpy(&u, src, sizeof u);
            x = u;
        }
        fl_buf_printf(b, "%llu", x);
        break;
    }
    case FL_CT_NUMBER: {
        double d;
        memcpy(&d, src, sizeof d);
        /* the shortest form that reads back the same */
        for (int prec = 1; prec <= 17; prec++) {
            snprintf(tmp, sizeof tmp, "%.*g", prec, d);
            if (strtod(tmp, NULL) == d)
                break;
        }
        fl_buf_puts(b, tmp);
        break;
    }
    case FL_CT_FIELDS:
        fields_text(b, c->str[ki]);
        break;
    case FL_CT_TOPOLOGY:
        topology_text(b, c->str[ki]);
        break;
    default: {
        const char *s = c->str[ki] ? c->str[ki] : k->def;
        if (strcasecmp(s, "null") == 0) /* a word YAML would read as null */
            yaml_quoted(b, s);
        else
            fl_buf_puts(b, s); /* format names are plain words */
    }
    }
}

void fl_config_write(const fl_config *c, bool comments, fl_buf *b)
{
    fl_config *empty = NULL;
    if (!c)
        c = empty = config_new("defaults", FL_CONFIG_NO_REGISTER);
    if (comments) {
        comment(b, "",
                "faultline configuration file (YAML). Every key is "
                "optional: one left out keeps the default shown here. "
                "Options on the command line override this file. "
                "Reference: docs/CONFIG.md or `faultline config "
                "--reference`; check a file with `faultline config "
                "--check FILE`.");
    }
    for (int s = 0; s < SEC__COUNT; s++) {
        if (comments) {
            fl_buf_putc(b, '\n');
            comment(b, "", sections[s].help);
        }
        if (!sections[s].list) {
            fl_buf_printf(b, "%s:\n", sections[s].name);
            for (size_t i = 0; i < NKEYS; i++) {
                const fl_config_key *k = &fl_config_keys[i];
                if (strcmp(k->section, sections[s].name) != 0)
                    continue;
                if (comments) {
                    char rg[96] = "";
                    if (!is_string_type(k->type))
                        range_str(k, rg, sizeof rg);
                    size_t hn = strlen(k->help) + strlen(rg) + 16;
                    char *h = fl_malloc(hn);
                    snprintf(h, hn, "%s%s%s%s", k->help,
                             rg[0] ? " Range: " : "", rg, rg[0] ? "." : "");
                    comment(b, "  ", h);
                    free(h);
                }
                fl_buf_printf(b, "  %s: ", k->name);
                value_text(c, i, b);
                fl_buf_putc(b, '\n');
            }
            continue;
        }
        const entry_list *l = &c->lists[s];
        if (comments) {
            for (size_t i = 0; i < NKEYS; i++) {
                const fl_config_key *k = &fl_config_keys[i];
                if (strcmp(k->section, sections[s].name) != 0)
                    continue;
                char *h;
                size_t hn = strlen(k->help) + strlen(k->name) + 32;
                h = fl_malloc(hn);
                snprintf(h, hn, "%s%s: %s", k->name,
                         k->flags & FL_CONFIG_REQUIRED ? " (required)" : "",
                         k->help);
                comment2(b, "# - ", "#   ", h);
                free(h);
            }
        }
        if (l->n == 0) {
            fl_buf_printf(b, "%s: []\n", sections[s].name);
            if (comments && sections[s].example) {
                fl_buf_printf(b, "# for example:\n# %s:\n", sections[s].name);
                const char *p = sections[s].example;
                while (*p) {
                    size_t n = strcspn(p, "\n");
                    fl_buf_printf(b, "#   %.*s\n", (int)n, p);
                    p += n + (p[n] == '\n');
                }
            }
            continue;
        }
        fl_buf_printf(b, "%s:\n", sections[s].name);
        for (size_t e = 0; e < l->n; e++) {
            bool first = true;
            for (size_t i = 0; i < NKEYS; i++) {
                const fl_config_key *k = &fl_config_keys[i];
                if (strcmp(k->section, sections[s].name) != 0 ||
                    !l->e[e].v[k->off])
                    continue;
                fl_buf_printf(b, "  %s %s: ", first ? "-" : " ", k->name);
                if (k->type == FL_CT_FIELDS)
                    fields_text(b, l->e[e].v[k->off]);
                else
                    yaml_quoted(b, l->e[e].v[k->off]);
                fl_buf_putc(b, '\n');
                first = false;
            }
        }
    }
    fl_config_free(empty);
}

/* -------------------------------------------------------- the reference */

/* Markdown table cells: '|' would end the cell. */
static void md_cell(fl_buf *b, const char *s)
{
    for (; *s; s++) {
        if (*s == '|')
            fl_buf_putc(b, '\\');
        fl_buf_putc(b, *s);
    }
}

/* The first sentence of a help text. */
static void first_sentence(fl_buf *b, const char *s)
{
    const char *end = strstr(s, ". ");
    size_t n = end ? (size_t)(end - s) + 1 : strlen(s);
    char *t = fl_strndup(s, n);
    md_cell(b, t);
    free(t);
}

static void default_cell(fl_buf *b, const fl_config_key *k)
{
    if (k->def)
        fl_buf_printf(b, "`%s`", k->def);
    else if (k->flags & FL_CONFIG_REQUIRED)
        fl_buf_puts(b, "required");
    else
        fl_buf_puts(b, "none");
}

static const char readme_example[] =
    "input:\n"
    "  format: auto\n"
    "detect:\n"
    "  bucket: 10s\n"
    "  false_alarm_every: 30d\n"
    "rca:\n"
    "  lookback: 4h\n"
    "files:\n"
    "  - glob: \"*/haproxy/*.log*\"\n"
    "    format: haproxy\n"
    "  - glob: \"worker-*.log\"\n"
    "    format: raw\n"
    "    service: worker\n"
    "topics:\n"
    "  - topic: edge-logs\n"
    "    format: haproxy\n"
    "    service: edge\n"
    "patterns:\n"
    "  - name: haproxy\n"
    "    regex: '^(?<ts>\\S+) (?<service>[\\w-]+) (?<status>\\d{3}) "
    "(?<latency_ms>\\d+) (?<msg>.*)$'\n";

/* For tests: the README's example must be a valid file. */
const char *fl_config_readme_example(void);
const char *fl_config_readme_example(void)
{
    return readme_example;
}

/* The reference's opening: paragraphs and list items, wrapped at 76. */
static const struct {
    const char *first, *cont, *text;
} intro[] = {
    {"", "",
     "`faultline replay --config FILE` and `faultline consume --config FILE` "
     "read a YAML file with up to six sections: `input`, `detect` and `rca` "
     "hold settings, `files` and `topics` give a format and/or a service per "
     "input file (by glob) and per Kafka topic, and `patterns` defines line "
     "formats of your own. Every key is optional."},
    {NULL, NULL, NULL},
    {"- ", "  ",
     "**Precedence**: an option on the command line beats the file "
     "(`--bucket 5s` beats `detect.bucket`). For an input's format: "
     "`--format`, then the first matching `files`/`topics` entry, then "
     "`input.format`."},
    {"- ", "  ",
     "**Errors** are one line on stderr, `FILE:LINE: reason`, and exit "
     "status 1: unknown sections and keys (the message lists the known "
     "ones), duplicate keys, values of the wrong type or out of range (the "
     "message gives the range), unknown formats, regexes that do not "
     "compile. YAML aliases, tags and a second document are refused."},
    {"- ", "  ",
     "**Durations**: a number and a unit, `ms`, `s`, `m` (or `min`), `h` "
     "or `d` (`90s`, `1.5h`); a bare number is seconds; whole "
     "milliseconds."},
    {"- ", "  ",
     "`faultline config --defaults` prints every key with its default and "
     "help as a file that reads back as the defaults; `faultline config "
     "--check FILE` validates a file (patterns included) and exits 0 or 1."},
};

static void put_intro(fl_buf *b)
{
    for (size_t i = 0; i < FL_ARRAY_LEN(intro); i++) {
        if (intro[i].text)
            comment2(b, intro[i].first, intro[i].cont, intro[i].text);
        else
            fl_buf_putc(b, '\n');
    }
}

void fl_config_reference(fl_buf *b, bool readme)
{
    if (readme) {
        fl_buf_puts(b, "<!-- generated by `make docs` (`faultline config "
                       "--reference=readme`)\n"
                       "     from the key table in cli/config.c -->\n"
                       "## Configuration file\n\n");
        put_intro(b);
        fl_buf_puts(b, "\n```yaml\n");
        fl_buf_puts(b, readme_example);
        fl_buf_puts(b, "```\n\n| key | default | meaning |\n|---|---|---|\n");
        for (size_t i = 0; i < NKEYS; i++) {
            const fl_config_key *k = &fl_config_keys[i];
            bool list = sections[sec_of(k->section)].list;
            fl_buf_printf(b, "| `%s%s.%s` | ", k->section, list ? "[]" : "",
                          k->name);
            default_cell(b, k);
            fl_buf_puts(b, " | ");
            first_sentence(b, k->help);
            fl_buf_puts(b, " |\n");
        }
        fl_buf_puts(b, "\nEvery key's type, range and full description:\n"
                       "[docs/CONFIG.md](docs/CONFIG.md).\n");
        return;
    }
    fl_buf_puts(b, "# The configuration file\n\n"
                   "<!-- generated by `faultline config --reference` (`make "
                   "docs`) from the key\n"
                   "     table in cli/config.c: edit that, not this file -->"
                   "\n\n");
    put_intro(b);
    for (int s = 0; s < SEC__COUNT; s++) {
        fl_buf_printf(b, "\n## %s%s\n\n", sections[s].name,
                      sections[s].list ? " (a list of entries)" : "");
        comment2(b, "", "", sections[s].help);
        fl_buf_putc(b, '\n');
        fl_buf_puts(b, "| key | type | default | allowed | meaning |\n"
                       "|---|---|---|---|---|\n");
        for (size_t i = 0; i < NKEYS; i++) {
            const fl_config_key *k = &fl_config_keys[i];
            if (strcmp(k->section, sections[s].name) != 0)
                continue;
            char rg[96];
            range_str(k, rg, sizeof rg);
            fl_buf_printf(b, "| `%s` | %s | ", k->name, type_name(k->type));
            default_cell(b, k);
            fl_buf_puts(b, " | ");
            md_cell(b, rg);
            fl_buf_puts(b, " | ");
            md_cell(b, k->help);
            fl_buf_puts(b, " |\n");
        }
        if (sections[s].example) {
            /* the entry, indented under its section */
            fl_buf_printf(b, "\nFor example:\n\n```yaml\n%s:\n",
                          sections[s].name);
            const char *p = sections[s].example;
            while (*p) {
                size_t n = strcspn(p, "\n");
                fl_buf_printf(b, "  %.*s\n", (int)n, p);
                p += n + (p[n] == '\n');
            }
            fl_buf_puts(b, "```\n");
        }
    }
    fl_buf_puts(b, "\n## The defaults\n\n"
                   "`faultline config --defaults` prints this with every "
                   "key's help as comments.\n\n```yaml\n");
    fl_config_write(NULL, false, b);
    fl_buf_puts(b, "```\n");
}

/* ---------------------------------------------------- faultline config */

static void usage_config(FILE *out)
{
    fprintf(
        out,
        "usage: faultline config --defaults | --check FILE | --reference\n"
        "\n"
        "The configuration file replay and consume read with --config FILE:\n"
        "YAML with the sections input, detect, rca (settings), files, topics\n"
        "(format and service per input glob and per Kafka topic) and patterns\n"
        "(line formats of your own). Options on the command line override it.\n"
        "\n"
        "  --defaults          print every key with its default and help, as "
        "a\n"
        "                      file that reads back as the defaults\n"
        "  --check FILE        validate FILE (patterns are compiled): exit 0,\n"
        "                      or 1 with one line 'FILE:LINE: reason'\n"
        "  --reference         the reference as Markdown (docs/CONFIG.md)\n"
        "  --reference=readme  the shorter section README.md carries\n"
        "  --help              this text\n");
}

int fl_cmd_config(int argc, char **argv)
{
    const char *a = argc > 1 ? argv[1] : NULL;
    if (!a) {
        fprintf(stderr,
                "faultline config: say what to do: --defaults, --check "
                "FILE or --reference (see 'faultline config --help')\n");
        return 1;
    }
    int want_args = 2;
    fl_buf b = {0};
    int rc = 0;
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
        usage_config(stdout);
        return 0;
    } else if (strcmp(a, "--defaults") == 0) {
        fl_config_write(NULL, true, &b);
    } else if (strcmp(a, "--reference") == 0 ||
               strcmp(a, "--reference=md") == 0) {
        fl_config_reference(&b, false);
    } else if (strcmp(a, "--reference=readme") == 0) {
        fl_config_reference(&b, true);
    } else if (strcmp(a, "--check") == 0 || strncmp(a, "--check=", 8) == 0) {
        const char *path = a[7] == '=' ? a + 8 : argc > 2 ? argv[2] : NULL;
        want_args = a[7] == '=' ? 2 : 3;
        if (!path || !*path) {
            fprintf(stderr, "faultline config: --check needs a file (see "
                            "'faultline config --help')\n");
            return 1;
        }
        if (argc > want_args) {
            fprintf(stderr,
                    "faultline config: unexpected argument '%s' (see "
                    "'faultline config --help')\n",
                    argv[want_args]);
            return 1;
        }
        char errstr[1024];
        fl_config *c = fl_config_load(path, 0, errstr, sizeof errstr);
        if (!c) {
            fprintf(stderr, "%s\n", errstr);
            return 1;
        }
        fl_config_free(c);
        printf("%s: ok\n", path);
        return 0;
    } else {
        fprintf(stderr,
                "faultline config: unknown option '%s' (see "
                "'faultline config --help')\n",
                a);
        return 1;
    }
    if (argc > want_args) {
        fprintf(stderr,
                "faultline config: unexpected argument '%s' (see "
                "'faultline config --help')\n",
                argv[want_args]);
        fl_buf_free(&b);
        return 1;
    }
    if (b.n && fwrite(b.p, 1, b.n, stdout) != b.n)
        rc = 2;
    if (fflush(stdout) != 0)
        rc = 2;
    fl_buf_free(&b);
    return rc;
}
