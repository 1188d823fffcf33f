/*
 * fuzz_logfmt.c - the logfmt line decoder on arbitrary bytes.
 *
 * The input is one line. It goes to the logfmt decoder on its own
 * (fl_logfmt_decode) and through fl_decode_line with a logfmt decoder, and
 * the two must agree. Every string of an accepted event is read byte by
 * byte so ASan sees one that points outside the line or the decoder's
 * scratch space, and what the decoder promises about an event is checked.
 * An accepted event is then written back as canonical logfmt (every value
 * quoted and escaped) and decoded again: it must come back the same. With
 * `auto`, a line the logfmt sniffer takes and no earlier sniffer claims
 * must decode as the logfmt decoder decodes it. A broken promise aborts.
 */
#define FUZZ_TARGET "fuzz_logfmt"
#include "fuzz_event.h"
#include "../../ingest/ingest_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What fl_json_event guarantees, for logfmt lines too. */
static void check_event(const fl_event *ev)
{
    FUZZ_CHECK_EVENT("fuzz_logfmt", ev);
    CHECK(ev->metric.n == 0 && isnan(ev->value));
}

/* key="value" with every byte that needs it escaped. */
static void put_quoted(fl_buf *b, const char *key, fl_str s)
{
    if (s.n == 0)
        return;
    fl_buf_printf(b, " %s=\"", key);
    for (size_t i = 0; i < s.n; i++) {
        unsigned char c = (unsigned char)s.p[i];
        if (c == '"' || c == '\\')
            fl_buf_printf(b, "\\%c", c);
        else if (c == '\n')
            fl_buf_puts(b, "\\n");
        else if (c < 0x20 && c != '\t')
            fl_buf_printf(b, "\\u%04x", c);
        else
            fl_buf_putc(b, (char)c);
    }
    fl_buf_putc(b, '"');
}

/* The event as canonical logfmt: it must decode to the same event. */
static void round_trip(fl_decoder *dec, const fl_event *ev)
{
    static const char *const levels[] = {NULL,   "trace", "debug", "info",
                                         "warn", "error", "fatal"};
    fl_buf b = {0};
    fl_buf_printf(&b, "ts=%lld", (long long)ev->ts);
    put_quoted(&b, "service", ev->service);
    put_quoted(&b, "msg", ev->msg);
    put_quoted(&b, "version", ev->version);
    if (ev->kind == FL_EV_CHANGE) {
        fl_buf_printf(&b, " kind=%s", fl_change_kind_name(ev->change_kind));
        put_quoted(&b, "change_id", ev->change_id);
        put_quoted(&b, "author", ev->author);
    } else {
        if (ev->level)
            fl_buf_printf(&b, " level=%s", levels[ev->level]);
        if (ev->status)
            fl_buf_printf(&b, " status=%d", ev->status);
        if (!isnan(ev->latency_ms))
            fl_buf_printf(&b, " latency_ms=%.17g", ev->latency_ms);
        put_quoted(&b, "upstream", ev->upstream);
    }
    fl_buf_putc(&b, '\0');
    fl_event again;
    fl_bad_reason why = FL_BAD__COUNT;
    bool ok = fl_logfmt_decode(dec, (fl_str){b.p, b.n - 1}, &again, &why);
    if (!ok)
        fprintf(stderr, "fuzz_logfmt: round trip rejected (%s): %s\n",
                fl_bad_reason_name(why), b.p);
    CHECK(ok);
    CHECK(fuzz_same_event(ev, &again));
    fl_buf_free(&b);
}

static fl_decoder *dec_lf, *dec_line, *dec_auto, *dec_rt;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!dec_lf) {
        /* kept across inputs, as a source's decoder is kept across lines */
        dec_lf = fl_decoder_new(FL_FORMAT_LOGFMT);
        dec_line = fl_decoder_new(FL_FORMAT_LOGFMT);
        dec_auto = fl_decoder_new(FL_FORMAT_AUTO);
        dec_rt = fl_decoder_new(FL_FORMAT_LOGFMT);
    }
    /* NUL-terminated, exact size: ASan's redzone right after the NUL */
    char *buf = fuzz_line_copy(data, size);
    if (!buf)
        return 0;
    fl_str line = {buf, size};

    fl_event ev, ev2, ev_auto;
    fl_bad_reason why = FL_BAD__COUNT, why2 = FL_BAD__COUNT;
    bool ok = fl_logfmt_decode(dec_lf, line, &ev, &why);
    if (ok) {
        check_event(&ev);
        sink ^= fuzz_touch_event(&ev, true);
    } else {
        CHECK((unsigned)why < FL_BAD__COUNT);
        /* a logfmt line fails only for these reasons */
        CHECK(why == FL_BAD_SYNTAX || why == FL_BAD_UTF8 ||
              why == FL_BAD_NO_TIMESTAMP || why == FL_BAD_TIMESTAMP ||
              why == FL_BAD_NO_SERVICE || why == FL_BAD_VALUE);
        if (!fl_utf8_valid(buf, size))
            CHECK(why == FL_BAD_UTF8);
    }

    /* the format's row decodes the same */
    bool ok2 = fl_decode_line(dec_line, line, fl_str_c("fuzz"), &ev2, &why2);
    CHECK(ok == ok2);
    if (ok)
        CHECK(fuzz_same_event(&ev, &ev2));
    else
        CHECK(why == why2);

    /* auto: a logfmt-looking line nothing earlier in the table claims */
    if (fl_logfmt_sniff(line) && !fl_json_sniff(line) &&
        !fl_syslog_sniff(line) && !fl_nginx_sniff(line) &&
        !fl_influx_sniff(line) && !fl_msgpack_sniff(line) &&
        !fl_otlp_sniff(line)) {
        fl_bad_reason wa = FL_BAD__COUNT;
        bool oka = fl_decode_line(dec_auto, line, fl_str_c("fuzz"), &ev_auto,
                                  &wa);
        CHECK(oka == ok);
        if (ok)
            CHECK(fuzz_same_event(&ev, &ev_auto));
        else
            CHECK(wa == why);
    }

    if (ok) {
        round_trip(dec_rt, &ev);
        /* the first event's strings are still readable: other decoders
         * ran, not this one */
        sink ^= fuzz_touch_event(&ev, true);
    }
    free(buf);
    return 0;
}
