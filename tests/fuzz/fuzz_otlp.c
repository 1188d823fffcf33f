/*
 * fuzz_otlp.c - the OTLP/JSON log decoder on arbitrary bytes.
 *
 * The input is one document (one line or Kafka message). It goes to
 * fl_otlp_decode, and to fl_decode_line with the auto decoder, which must
 * give the same result whenever the OTLP sniffer claims the line. Every
 * event of an accepted document is checked against what the decoder
 * promises and read byte by byte (ASan sees a string pointing outside the
 * line or the scratch space), after all of them were drained. The OTLP
 * walk uses json.c's scanner, so its strictness must match: a line the
 * JSON decoder refuses as malformed JSON is never an OTLP document.
 */
#define FUZZ_TARGET "fuzz_otlp"
#include "fuzz_event.h"
#include "../../ingest/ingest_int.h" /* fl_otlp_sniff */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t check_event(const fl_event *ev)
{
    CHECK(ev->kind == FL_EV_REQUEST); /* OTLP records are never changes */
    FUZZ_CHECK_EVENT("fuzz_otlp", ev);
    uint64_t h = (uint64_t)ev->ts ^ (uint64_t)ev->status;
    h ^= fuzz_touch(ev->service, true);
    h ^= fuzz_touch(ev->msg, true) * 3;
    h ^= fuzz_touch(ev->upstream, true) * 5;
    h ^= fuzz_touch(ev->version, true) * 7;
    return h;
}

static fl_decoder *dec_otlp, *dec_auto, *dec_json;
static fl_event *evs;
static size_t evs_cap;

/* Decodes and drains; returns the number of events (0: rejected). */
static size_t decode_all(fl_decoder *d, bool via_auto, fl_str line,
                         fl_bad_reason *why)
{
    fl_event ev;
    bool ok = via_auto ? fl_decode_line(d, line, fl_str_c("fuzz"), &ev, why)
                       : fl_otlp_decode(d, line, &ev, why);
    if (!ok)
        return 0;
    size_t n = 0;
    do {
        if (n == evs_cap) {
            evs_cap = evs_cap ? 2 * evs_cap : 64;
            evs = realloc(evs, evs_cap * sizeof *evs);
            CHECK(evs != NULL);
        }
        evs[n++] = ev;
    } while (fl_decoder_more(d, &ev));
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!dec_otlp) {
        dec_otlp = fl_decoder_new(FL_FORMAT_OTLP);
        dec_auto = fl_decoder_new(FL_FORMAT_AUTO);
        dec_json = fl_decoder_new(FL_FORMAT_JSON);
    }
    char *buf = fuzz_line_copy(data, size);
    if (!buf)
        return 0;
    fl_str line = {buf, size};

    fl_bad_reason why = FL_BAD__COUNT, why_auto = FL_BAD__COUNT;
    size_t n = decode_all(dec_otlp, false, line, &why);
    if (n) {
        /* all events are readable once the queue was drained */
        uint64_t h = 0;
        for (size_t i = 0; i < n; i++)
            h ^= check_event(&evs[i]);
        sink ^= h;
    } else {
        CHECK((unsigned)why < FL_BAD__COUNT);
    }
    uint64_t first_ts = n ? (uint64_t)evs[0].ts : 0;

    if (fl_otlp_sniff(line)) {
        size_t na = decode_all(dec_auto, true, line, &why_auto);
        CHECK(na == n);
        if (n)
            CHECK((uint64_t)evs[0].ts == first_ts);
        else
            CHECK(why_auto == why);
    }

    /* the same scanner: malformed JSON is no document */
    fl_event ev;
    fl_bad_reason why_json = FL_BAD__COUNT;
    if (!fl_json_decode(dec_json, line, &ev, &why_json) &&
        (why_json == FL_BAD_SYNTAX || why_json == FL_BAD_UTF8 ||
         why_json == FL_BAD_TOO_DEEP))
        CHECK(n == 0);

    free(buf);
    return 0;
}
