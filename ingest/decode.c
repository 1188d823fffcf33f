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
    {"json", FL_FORMAT_JSON, fl_json_decode_line, fl_json_sniff, NULL},
    {"raw", FL_FORMAT_RAW, raw_decode, NULL, NULL},
};

bool fl_format_parse(const char *name, fl_format *out)
{
    if (strcmp(name, "auto") == 0) {
        *out = FL_FORMAT_AUTO;
        return true;
    }
    for (size_t i = 0; i < FL_ARRAY_LEN(formats); i++)
        if (strcmp(name, formats[i].name) == 0) {
            *out = formats[i].fmt;
            return true;
        }
    return false;
}

const char *fl_format_names(void)
{
    static char names[256];
    if (!names[0]) {
        size_t k = (size_t)snprintf(names, sizeof names, "auto");
        for (size_t i = 0; i < FL_ARRAY_LEN(formats) && k < sizeof names; i++)
            k += (size_t)snprintf(names + k, sizeof names - k, ", %s",
                                  formats[i].name);
    }
    return names;
}

fl_decoder *fl_decoder_new(fl_format fmt)
{
    fl_decoder *dec = fl_calloc(1, sizeof *dec);
    dec->fmt = fmt;
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

bool fl_decode_line(fl_decoder *dec, fl_str line, fl_str fallback_service,
                    fl_event *ev, fl_bad_reason *why)
{
    dec->nextra = dec->extra_pos = 0;
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
