#define _GNU_SOURCE
/*
 * fuzz_json.c - the JSON line decoder on arbitrary bytes.
 *
 * The input is one line. It goes to the JSON decoder on its own
 * (fl_json_decode), through fl_decode_line with the auto and raw decoders,
 * and the results are cross-checked. Every string of a decoded event is
 * read byte by byte so ASan sees a string that points outside the line or
 * the decoder's scratch space. What the decoder promises about an event it
 * accepts is checked too; a broken promise aborts.
 */
#define FUZZ_TARGET "fuzz_json"
#include "fuzz_event.h"
#include "../../ingest/fl_ingest.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What fl_json_decode guarantees about an event it accepts (and
 * fuzz_touch_event(ev, true): its strings are valid UTF-8 without NUL bytes;
 * raw NULs are a syntax error, \u0000 becomes U+FFFD). */
static void check_json_event(const fl_event *ev)
{
    FUZZ_CHECK_EVENT("fuzz_json", ev);
}

static fl_decoder *dec_json, *dec_auto, *dec_raw, *dec_map;
static fl_field_map *fields;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!dec_json) {
        /* kept across inputs, as a source's decoder is kept across lines:
         * the scratch buffer is reused and must not leak stale state */
        dec_json = fl_decoder_new(FL_FORMAT_JSON);
        dec_auto = fl_decoder_new(FL_FORMAT_AUTO);
        dec_raw = fl_decoder_new(FL_FORMAT_RAW);
        /* the user's field names (config `fields`): the same guarantees */
        fields = fl_field_map_new();
        char e[200];
        static const char *const m[][2] = {
            {"service", "app.name"}, {"latency_s", "t"}, {"status", "code"},
            {"ts", "when"},          {"msg", "a.b.c"},   {"upstream", "ts"}};
        for (size_t k = 0; k < sizeof m / sizeof m[0]; k++)
            CHECK(fl_field_map_add(fields, m[k][0], m[k][1], e, sizeof e));
        dec_map = fl_decoder_new(FL_FORMAT_JSON);
        fl_decoder_set_fields(dec_map, fields);
    }
    /* decoders need the line NUL-terminated at p[n]; an exact-size copy
     * keeps ASan's redzone right after the terminator */
    char *buf = fuzz_line_copy(data, size);
    if (!buf)
        return 0;
    fl_str line = {buf, size};

    fl_event ev_json, ev_auto, ev_raw;
    fl_bad_reason why_json = FL_BAD__COUNT, why_auto = FL_BAD__COUNT;
    bool ok_json = fl_json_decode(dec_json, line, &ev_json, &why_json);
    if (ok_json) {
        check_json_event(&ev_json);
        sink ^= fuzz_touch_event(&ev_json, true);
    } else {
        CHECK((unsigned)why_json < FL_BAD__COUNT);
        CHECK(strcmp(fl_bad_reason_name(why_json), "unknown") != 0);
    }

    fl_event ev_map;
    fl_bad_reason why_map = FL_BAD__COUNT;
    if (fl_decode_line(dec_map, line, fl_str_c("fuzz"), &ev_map, &why_map)) {
        check_json_event(&ev_map);
        sink ^= fuzz_touch_event(&ev_map, true);
    } else {
        CHECK((unsigned)why_map < FL_BAD__COUNT);
        /* the map changes which keys count, never whether it is JSON */
        if (!ok_json && (why_json == FL_BAD_SYNTAX || why_json == FL_BAD_UTF8))
            CHECK(why_map == why_json);
    }

    bool ok_auto =
        fl_decode_line(dec_auto, line, fl_str_c("fuzz"), &ev_auto, &why_auto);
    if (ok_auto)
        sink ^= fuzz_touch_event(&ev_auto, true);
    else
        CHECK((unsigned)why_auto < FL_BAD__COUNT);

    /* auto hands a line whose first non-blank byte is '{' to the JSON
     * decoder and rejects everything else as an unknown format */
    size_t i = 0;
    while (i < size && (buf[i] == ' ' || buf[i] == '\t'))
        i++;
    /* auto decodes a '{' line as JSON unless it is an OTLP batch (its
     * sniffer comes first); other lines may be any other format now, so
     * only the reason's range is checked for them */
    if (i < size && buf[i] == '{' && !memmem(buf, size, "resourceLogs", 12) &&
        !memmem(buf, size, "resource_logs", 13)) { /* OTLP's two spellings */
        CHECK(ok_auto == ok_json);
        if (ok_json)
            CHECK(fuzz_same_event(&ev_json, &ev_auto));
        else
            CHECK(why_auto == why_json);
    } else if (!ok_auto) {
        CHECK((unsigned)why_auto < FL_BAD__COUNT);
    }

    /* raw: any valid UTF-8 line is a bare message of the fallback service */
    fl_bad_reason why_raw = FL_BAD__COUNT;
    bool ok_raw =
        fl_decode_line(dec_raw, line, fl_str_c("fuzz"), &ev_raw, &why_raw);
    CHECK(ok_raw == fl_utf8_valid(buf, size));
    if (ok_raw) {
        CHECK(ev_raw.msg.p == buf && ev_raw.msg.n == size);
        sink ^= fuzz_touch_event(&ev_raw, false);
    } else {
        CHECK(why_raw == FL_BAD_UTF8);
    }

    /* the accepted event's strings must stay readable until the next call
     * on the same decoder, even after other decoders ran */
    if (ok_json)
        sink ^= fuzz_touch_event(&ev_json, true);

    free(buf);
    return 0;
}
