/*
 * fuzz_influx.c - the Influx line protocol decoder on arbitrary bytes, and
 * the metric detector on whatever it accepts.
 *
 * The input is one line. The Influx decoder must either refuse it with a
 * named reason or yield events that keep its promises: each a metric with
 * a time in range, a usable service name (1..256 bytes, no control
 * characters), a metric name of 1..FL_METRIC_NAME_MAX bytes of UTF-8
 * without NUL, and a finite value; every string is read byte by byte so
 * ASan sees one pointing outside the line or the decoder's scratch, and
 * they must still be intact after the whole line's events are drained.
 * With `auto`, a line the Influx sniffer takes (and that starts with a
 * printable ASCII byte other than '{', which no earlier sniffer claims)
 * must decode exactly as the Influx decoder decodes it. The accepted
 * events then go through a fresh detector (samples, advance, flush) with
 * small caps, so metric.c meets names, values and times it did not choose.
 * A broken promise aborts.
 */
#define FUZZ_TARGET "fuzz_influx"
#include "fuzz_event.h"
#include "../../detect/fl_detect.h"
#include "../../ingest/ingest_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXEV 2048

static uint64_t touch(fl_str s)
{
    CHECK(s.n > 0 && s.p != NULL);
    CHECK(memchr(s.p, '\0', s.n) == NULL);
    CHECK(fl_utf8_valid(s.p, s.n));
    return fl_hash64(s.p, s.n, s.n);
}

static void check_event(const fl_event *ev)
{
    CHECK(ev->kind == FL_EV_METRIC);
    CHECK(fl_time_in_range(ev->ts));
    CHECK(ev->service.n >= 1 && ev->service.n <= 256);
    for (size_t i = 0; i < ev->service.n; i++) {
        unsigned char c = (unsigned char)ev->service.p[i];
        CHECK(c >= 0x20 && c != 0x7f);
    }
    CHECK(ev->metric.n >= 1 && ev->metric.n <= FL_METRIC_NAME_MAX);
    CHECK(isfinite(ev->value));
    CHECK(isnan(ev->latency_ms));
    sink ^= touch(ev->service) ^ touch(ev->metric) * 3 ^ (uint64_t)ev->ts;
}

static void on_anomaly(void *ud, fl_anomaly_event what, const fl_anomaly *a)
{
    (void)ud;
    if (!a)
        return;
    CHECK(a->signal == FL_SIG_METRIC);
    size_t n = strlen(a->metric);
    CHECK(n >= 1 && n <= FL_METRIC_NAME_MAX);
    CHECK(strcmp(fl_anomaly_signal(a), a->metric) == 0);
    CHECK(a->onset <= a->detected);
    CHECK(what != FL_ANOMALY_END || a->end >= a->onset);
    sink ^= fl_hash64(a->metric, n, (uint64_t)a->detected);
}

static fl_decoder *dec_influx, *dec_auto;
static fl_event evs[MAXEV];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!dec_influx) {
        /* kept across inputs, as a source's decoder is kept across lines */
        dec_influx = fl_decoder_new(FL_FORMAT_INFLUX);
        dec_auto = fl_decoder_new(FL_FORMAT_AUTO);
    }
    /* NUL-terminated at p[n], in an exact-size copy (ASan redzone) */
    char *buf = fuzz_line_copy(data, size);
    if (!buf)
        return 0;
    fl_str line = {buf, size};

    fl_event ev;
    fl_bad_reason why = FL_BAD__COUNT;
    int n = 0;
    bool ok = fl_decode_line(dec_influx, line, fl_str_c("fuzz"), &ev, &why);
    if (ok) {
        do {
            check_event(&ev);
            if (n < MAXEV)
                evs[n] = ev;
            n++;
        } while (fl_decoder_more(dec_influx, &ev));
        /* every event's strings intact once the line is drained */
        for (int i = 0; i < n && i < MAXEV; i++)
            check_event(&evs[i]);
    } else {
        CHECK((unsigned)why < FL_BAD__COUNT);
        CHECK(strcmp(fl_bad_reason_name(why), "unknown") != 0);
        CHECK(!fl_decoder_more(dec_influx, &ev));
    }

    /* auto agrees on the lines the sniffer claims */
    size_t i = 0;
    while (i < size && (buf[i] == ' ' || buf[i] == '\t'))
        i++;
    if (fl_influx_sniff(line) && i < size && buf[i] > 0x20 && buf[i] < 0x7f &&
        buf[i] != '{') {
        fl_event ea;
        fl_bad_reason wa = FL_BAD__COUNT;
        bool oka = fl_decode_line(dec_auto, line, fl_str_c("fuzz"), &ea, &wa);
        CHECK(oka == ok);
        if (!ok) {
            CHECK(wa == why);
        } else {
            int k = 0;
            do {
                CHECK(k < n);
                if (k < MAXEV) {
                    CHECK(ea.ts == evs[k].ts && ea.kind == evs[k].kind);
                    CHECK(ea.value == evs[k].value);
                    CHECK(fuzz_str_same(ea.service, evs[k].service));
                    CHECK(fuzz_str_same(ea.metric, evs[k].metric));
                }
                k++;
            } while (fl_decoder_more(dec_auto, &ea));
            CHECK(k == n);
        }
    }

    /* the detector on the accepted events (their strings live in
     * dec_influx's scratch, untouched by dec_auto's run) */
    if (ok) {
        fl_detect_conf conf;
        fl_detect_conf_default(&conf);
        conf.max_metrics_per_service = 4;
        conf.max_metrics = 8;
        conf.metric_warmup = 10;
        fl_detect *d = fl_detect_new(&conf, on_anomaly, NULL);
        int nk = n < MAXEV ? n : MAXEV;
        /* each event several times, a step apart, so warm-up ends and the
         * CUSUM runs; the value varies with the round */
        for (int round = 0; round < 40; round++)
            for (int k = 0; k < nk && k < 64; k++) {
                fl_event e = evs[k];
                e.ts += (fl_time)round * 10 * FL_NS_PER_SEC;
                if (round >= 30)
                    e.value = e.value * 2 + 1;
                if (!fl_time_in_range(e.ts))
                    continue;
                fl_bad_reason w;
                fl_detect_advance(d, e.ts);
                if (!fl_detect_metric(d, (int32_t)(k % 3), &e, &w))
                    CHECK(w == FL_BAD_LATE || w == FL_BAD_METRIC_LIMIT ||
                          w == FL_BAD_VALUE || w == FL_BAD_AHEAD);
            }
        fl_detect_flush(d);
        CHECK(fl_detect_metric_count(d) <= 8);
        fl_detect_destroy(d);
    }
    free(buf);
    return 0;
}
