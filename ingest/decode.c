/*
 * decode.c - choosing a decoder per line, and the names of everything the
 * ingest stage counts. `auto` decides per line from its first byte; formats
 * other than JSON arrive with the formats issue and plug in here.
 */
#include "ingest_int.h"

#include <math.h>
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

bool fl_format_parse(const char *name, fl_format *out)
{
    if (strcmp(name, "auto") == 0)
        *out = FL_FORMAT_AUTO;
    else if (strcmp(name, "json") == 0)
        *out = FL_FORMAT_JSON;
    else if (strcmp(name, "raw") == 0)
        *out = FL_FORMAT_RAW;
    else
        return false;
    return true;
}

bool fl_decode_line(fl_decoder *dec, fl_str line, fl_str fallback_service,
                    fl_event *ev, fl_bad_reason *why)
{
    fl_format fmt = fl_decoder_format(dec);
    if (fmt == FL_FORMAT_RAW) {
        if (!fl_utf8_valid(line.p, line.n)) {
            *why = FL_BAD_UTF8;
            return false;
        }
        memset(ev, 0, sizeof *ev);
        ev->kind = FL_EV_REQUEST;
        ev->ts = FL_TIME_NONE;
        ev->service = fallback_service;
        ev->msg = line;
        ev->latency_ms = NAN;
        ev->value = NAN;
        return true;
    }
    if (fmt == FL_FORMAT_JSON)
        return fl_json_decode(dec, line, ev, why);
    /* auto: skip leading blanks and look at the first byte */
    size_t i = 0;
    while (i < line.n && (line.p[i] == ' ' || line.p[i] == '\t'))
        i++;
    if (i < line.n && line.p[i] == '{')
        return fl_json_decode(dec, line, ev, why);
    *why = FL_BAD_UNKNOWN_FORMAT;
    return false;
}
