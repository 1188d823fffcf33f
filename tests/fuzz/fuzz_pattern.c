/*
 * fuzz_pattern.c - the PCRE2 pattern formats on arbitrary bytes: the nginx,
 * apache and syslog built-ins, and two user patterns (one with every kind
 * of named group, one whose message part backtracks catastrophically on
 * lines that do not match).
 *
 * The input is one line. Every decoder gets it; an accepted event is
 * checked against what fl_json_event promises and each of its strings is
 * read byte by byte (ASan: a capture outside the line, a converted time
 * outside the decoder's state). A rejection has a named reason, and
 * pattern_limit only comes from the catastrophic pattern. With `auto`, a
 * line the syslog sniffer takes decodes exactly as the syslog decoder
 * decodes it, and an access-log-shaped line as the nginx decoder does.
 * Decoders that are compared are made fresh per input: RFC 3164 years
 * depend on the previous event, and the two would have seen different
 * ones. A broken promise aborts.
 */
#define FUZZ_TARGET "fuzz_pattern"
#include "fuzz_event.h"
#include "../../ingest/ingest_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t touch_event(const fl_event *ev)
{
    uint64_t h = (uint64_t)ev->ts ^ (uint64_t)ev->kind;
    h ^= fuzz_touch(ev->service, false);
    h ^= fuzz_touch(ev->msg, false) * 3;
    h ^= fuzz_touch(ev->upstream, false) * 5;
    h ^= fuzz_touch(ev->version, false) * 7;
    h ^= fuzz_touch(ev->change_id, false) * 11;
    h ^= fuzz_touch(ev->author, false) * 13;
    return h;
}

static void check_event(const fl_event *ev)
{
    FUZZ_CHECK_EVENT("fuzz_pattern", ev);
    /* every string is valid UTF-8: lines are checked before matching, and
     * captures of a UTF-mode pattern end on character boundaries */
    CHECK(fl_utf8_valid(ev->service.p, ev->service.n));
    CHECK(fl_utf8_valid(ev->msg.p, ev->msg.n));
    CHECK(fl_utf8_valid(ev->upstream.p, ev->upstream.n));
    CHECK(fl_utf8_valid(ev->version.p, ev->version.n));
}

/* Decodes and checks; returns whether the line was accepted. */
static bool run(fl_decoder *d, fl_str line, fl_event *ev, fl_bad_reason *why,
                bool may_hit_limit)
{
    *why = FL_BAD__COUNT;
    bool ok = fl_decode_line(d, line, fl_str_c("fuzz"), ev, why);
    if (ok) {
        check_event(ev);
        sink ^= touch_event(ev);
    } else {
        CHECK((unsigned)*why < FL_BAD__COUNT);
        CHECK(strcmp(fl_bad_reason_name(*why), "unknown") != 0);
        CHECK(may_hit_limit || *why != FL_BAD_PATTERN_LIMIT);
    }
    return ok;
}

static fl_format fmt_apache, fmt_all, fmt_evil;
static fl_decoder *dec_apache, *dec_all, *dec_evil;

static fl_format must_define(const char *name, const char *re,
                             const char *svc)
{
    char err[256];
    fl_format f;
    if (!fl_pattern_define(name, re, svc, err, sizeof err) ||
        !fl_format_parse(name, &f)) {
        fprintf(stderr, "fuzz_pattern: %s\n", err);
        abort();
    }
    return f;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!dec_apache) {
        fl_pattern_set_reference_year(2024); /* deterministic years */
        CHECK(fl_format_parse("apache", &fmt_apache));
        fmt_all = must_define(
            "fz_all",
            "^(?:<(?<pri>\\d+)>)?(?<ts>[^|]*)\\|(?<service>[^|]*)\\|"
            "(?<level>[^|]*)\\|(?<status>[^|]*)\\|(?<latency_s>[^|]*)\\|"
            "(?<latency_ms>[^|]*)\\|(?<path>[^|]*)\\|(?<kind>[^|]*)\\|"
            "(?<version>[^|]*)\\|(?<upstream>[^|]*)\\|(?<msg>.*)$",
            NULL);
        fmt_evil = must_define(
            "fz_evil", "^(?<ts>\\S+) (?<msg>(?:\\w+\\s?)+)$", "evil");
        dec_apache = fl_decoder_new(fmt_apache);
        dec_all = fl_decoder_new(fmt_all);
        dec_evil = fl_decoder_new(fmt_evil);
    }
    char *buf = fuzz_line_copy(data, size);
    if (!buf)
        return 0;
    fl_str line = {buf, size};

    fl_event ev, ev2;
    fl_bad_reason why, why2;
    run(dec_apache, line, &ev, &why, false);
    run(dec_all, line, &ev, &why, false);
    run(dec_evil, line, &ev, &why, true);

    /* fresh decoders for the comparisons */
    fl_decoder *sys = fl_decoder_new(FL_FORMAT_SYSLOG);
    fl_decoder *ngx = fl_decoder_new(FL_FORMAT_NGINX);
    fl_decoder *aut = fl_decoder_new(FL_FORMAT_AUTO);
    bool ok_sys = run(sys, line, &ev, &why, false);
    if (fl_syslog_sniff(line)) {
        bool ok = run(aut, line, &ev2, &why2, false);
        CHECK(ok == ok_sys);
        if (ok)
            CHECK(fuzz_same_event(&ev, &ev2));
        else
            CHECK(why == why2);
    }
    bool ok_ngx = run(ngx, line, &ev, &why, false);
    if (fl_nginx_sniff(line) && !fl_syslog_sniff(line) &&
        !fl_influx_sniff(line) && !fl_msgpack_sniff(line)) {
        fl_decoder_destroy(aut);
        aut = fl_decoder_new(FL_FORMAT_AUTO);
        bool ok = run(aut, line, &ev2, &why2, false);
        CHECK(ok == ok_ngx);
        if (ok)
            CHECK(fuzz_same_event(&ev, &ev2));
        else
            CHECK(why == why2);
    }
    if (!fl_utf8_valid(buf, size)) {
        /* every pattern checks UTF-8 before it matches */
        CHECK(!ok_sys && !ok_ngx);
    }
    fl_decoder_destroy(sys);
    fl_decoder_destroy(ngx);
    fl_decoder_destroy(aut);
    free(buf);
    return 0;
}
