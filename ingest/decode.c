/*
 * decode.c - choosing a decoder per line, and the names of everything the
 * ingest stage counts. `auto` decides per line from its first byte; formats
 * other than JSON arrive with the formats issue and plug in here.
 */
#include "ingest_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Indexed by fl_bad_reason; these names appear in stats and /metrics. */
static const char *const bad_names[FL_BAD__COUNT] = {
    [FL_BAD_SYNTAX] = "syntax",
    [FL_BAD_UTF8] = "invalid_utf8",
    [FL_BAD_TOO_DEEP] = "too_deep",
    [FL_BAD_TOO_LONG] = "line_too_long",
    [FL_BAD_NO_TIMESTAMP] = "missing_timestamp",
    [FL_BAD_TIMESTAMP] = "bad_timestamp",
    [FL_BAD_NO_SERVICE] = "missing_service",
    [FL_BAD_VALUE] = "bad_value",
    [FL_BAD_UNKNOWN_FORMAT] = "unknown_format",
    [FL_BAD_LATE] = "late",
    [FL_BAD_SERVICE_LIMIT] = "service_limit",
    [FL_BAD_AHEAD] = "too_far_ahead",
    [FL_BAD_METRIC_LIMIT] = "metric_limit",
    [FL_BAD_PATTERN_LIMIT] = "pattern_limit",
    [FL_BAD_TRUNCATED] = "truncated",
    [FL_BAD_FUTURE] = "future",
};

const char *fl_bad_reason_name(fl_bad_reason r)
{
    return (unsigned)r < FL_BAD__COUNT ? bad_names[r] : "unknown";
}

const char *fl_change_kind_name(fl_change_kind k)
{
    switch (k) {
    case FL_CHANGE_DEPLOY: return "deploy";
    case FL_CHANGE_CONFIG: return "config";
    case FL_CHANGE_ROLLBACK: return "rollback";
    case FL_CHANGE_FLAG: return "flag";
    }
    return "deploy";
}

static bool raw_decode(fl_decoder *dec, fl_str line, fl_str fallback,
                       fl_event *ev, fl_bad_reason *why)
{
    (void)dec;
    if (!fl_utf8_valid(line.p, line.n)) {
        *why = FL_BAD_UTF8;
        return false;
    }
    memset(ev, 0, sizeof *ev);
    ev->kind = FL_EV_REQUEST;
    ev->ts = FL_TIME_NONE;
    ev->service = fallback;
    ev->msg = line;
    ev->latency_ms = NAN;
    ev->value = NAN;
    return true;
}

/* The formats, in the order `auto` tries their sniffers (first match
 * decodes the line). A NULL sniffer: only chosen by name. */
static const struct {
    const char *name;
    fl_format fmt;
    bool (*decode)(fl_decoder *, fl_str, fl_str, fl_event *, fl_bad_reason *);
    bool (*sniff)(fl_str line);
    void (*free_state)(void *state);
} formats[] = {
    /* binary: a first byte no text line has */
    {"msgpack", FL_FORMAT_MSGPACK, fl_msgpack_decode_line, fl_msgpack_sniff,
     fl_msgpack_free_state},
    /* before json: an OTLP document is a JSON object too */
    {"otlp", FL_FORMAT_OTLP, fl_otlp_decode_line, fl_otlp_sniff, NULL},
    {"json", FL_FORMAT_JSON, fl_json_decode_line, fl_json_sniff, NULL},
    {"influx", FL_FORMAT_INFLUX, fl_influx_decode_line, fl_influx_sniff,
     fl_influx_free},
    {"syslog", FL_FORMAT_SYSLOG, fl_syslog_decode_line, fl_syslog_sniff,
     fl_pattern_free_state},
    {"nginx", FL_FORMAT_NGINX, fl_nginx_decode_line, fl_nginx_sniff,
     fl_pattern_free_state},
    /* after every format with a sniffer of its own shape: a line with two
     * key=value pairs anywhere is logfmt to its sniffer */
    {"logfmt", FL_FORMAT_LOGFMT, fl_logfmt_decode_line, fl_logfmt_sniff,
     NULL},
    {"raw", FL_FORMAT_RAW, raw_decode, NULL, NULL},
    /* no name: reached through a pattern's name (fl_format_parse) */
    {NULL, FL_FORMAT_PATTERN, fl_pattern_decode_line, NULL,
     fl_pattern_free_state},
};

bool fl_format_parse(const char *name, fl_format *out)
{
    if (strcmp(name, "auto") == 0) {
        *out = FL_FORMAT_AUTO;
        return true;
    }
    for (size_t i = 0; i < FL_ARRAY_LEN(formats); i++)
        if (formats[i].name && strcmp(name, formats[i].name) == 0) {
            *out = formats[i].fmt;
            return true;
        }
    int pat = fl_pattern_find(name); /* "apache", the config's patterns */
    if (pat >= 0) {
        *out = (fl_format)(FL_FORMAT_PATTERN_BASE + pat);
        return true;
    }
    return false;
}

const char *fl_format_names(void)
{
    /* rebuilt on each call: the configuration may define patterns */
    static char names[1024];
    size_t k = (size_t)snprintf(names, sizeof names, "auto");
    for (size_t i = 0; i < FL_ARRAY_LEN(formats) && k < sizeof names; i++)
        if (formats[i].name)
            k += (size_t)snprintf(names + k, sizeof names - k, ", %s",
                                  formats[i].name);
    const char *pn;
    for (int i = 0; (pn = fl_pattern_name(i)) != NULL && k < sizeof names;
         i++) {
        fl_format f;
        if (fl_format_parse(pn, &f) && f >= FL_FORMAT_PATTERN_BASE)
            k += (size_t)snprintf(names + k, sizeof names - k, ", %s", pn);
    }
    return names;
}

fl_decoder *fl_decoder_new(fl_format fmt)
{
    fl_decoder *dec = fl_calloc(1, sizeof *dec);
    dec->fmt = fmt;
    if ((int)fmt >= FL_FORMAT_PATTERN_BASE) { /* bound to one pattern */
        dec->fmt = FL_FORMAT_PATTERN;
        dec->state[FL_FORMAT_PATTERN] =
            fl_pattern_state_new((int)fmt - FL_FORMAT_PATTERN_BASE);
    }
    return dec;
}

void fl_decoder_destroy(fl_decoder *dec)
{
    if (!dec)
        return;
    for (size_t i = 0; i < FL_ARRAY_LEN(formats); i++)
        if (formats[i].free_state && dec->state[formats[i].fmt])
            formats[i].free_state(dec->state[formats[i].fmt]);
    free(dec->scratch);
    free(dec->extra);
    free(dec);
}

fl_format fl_decoder_format(const fl_decoder *dec)
{
    return dec->fmt;
}

void fl_decoder_scratch(fl_decoder *dec, size_t n)
{
    if (dec->scratch_cap < n) {
        dec->scratch_cap = n > 4096 ? n : 4096;
        free(dec->scratch);
        dec->scratch = fl_malloc(dec->scratch_cap);
    }
    dec->scratch_n = 0;
}

void fl_decoder_push(fl_decoder *dec, const fl_event *ev)
{
    if (dec->nextra == dec->extra_cap) {
        dec->extra_cap = dec->extra_cap ? dec->extra_cap * 2 : 8;
        dec->extra = fl_realloc(dec->extra, dec->extra_cap * sizeof *dec->extra);
    }
    dec->extra[dec->nextra++] = *ev;
}

bool fl_decoder_more(fl_decoder *dec, fl_event *ev)
{
    if (dec->extra_pos >= dec->nextra)
        return false;
    *ev = dec->extra[dec->extra_pos++];
    return true;
}

void fl_decoder_reject(fl_decoder *dec, fl_bad_reason why)
{
    dec->rej[why]++;
    dec->nrej++;
}

bool fl_decoder_rejected(fl_decoder *dec, fl_bad_reason *why)
{
    if (!dec->nrej)
        return false;
    for (int r = 0; r < FL_BAD__COUNT; r++)
        if (dec->rej[r]) {
            dec->rej[r]--;
            dec->nrej--;
            *why = (fl_bad_reason)r;
            return true;
        }
    dec->nrej = 0; /* not reached: the counts add up to nrej */
    return false;
}

bool fl_decode_line(fl_decoder *dec, fl_str line, fl_str fallback_service,
                    fl_event *ev, fl_bad_reason *why)
{
    dec->nextra = dec->extra_pos = 0;
    if (dec->nrej) { /* not drained by the caller: forget them */
        memset(dec->rej, 0, sizeof dec->rej);
        dec->nrej = 0;
    }
    for (size_t i = 0; i < FL_ARRAY_LEN(formats); i++) {
        bool chosen = dec->fmt == FL_FORMAT_AUTO
                          ? formats[i].sniff && formats[i].sniff(line)
                          : formats[i].fmt == dec->fmt;
        if (chosen)
            return formats[i].decode(dec, line, fallback_service, ev, why);
    }
    *why = FL_BAD_UNKNOWN_FORMAT;
    return false;
}
