/*
 * decode_bench.c - decoding alone, per format: reads a file through the
 * same source and decoders replay uses (lines, or a msgpack stream object
 * by object), decodes every line with one decoder of the format named, and
 * drains the extra events a line may hold (Influx fields, OTLP records).
 * No pipeline. Prints one row: lines, events, bad, seconds, lines/s, MB/s.
 *
 *   bench/decode_bench FORMAT FILE [repeats]
 *
 * The best of `repeats` runs is printed (the machine is shared).
 */
#define _POSIX_C_SOURCE 200809L
#include "../ingest/fl_ingest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double now(void)
{
    return (double)fl_wall_now() / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: decode_bench FORMAT FILE [repeats]\n");
        return 1;
    }
    fl_format fmt;
    if (!fl_format_parse(argv[1], &fmt)) {
        fprintf(stderr, "decode_bench: unknown format %s\n", argv[1]);
        return 1;
    }
    int repeats = argc > 3 ? atoi(argv[3]) : 3;
    double best = 1e30;
    uint64_t lines = 0, events = 0, bad = 0, bytes = 0, sink = 0;
    for (int r = 0; r < repeats; r++) {
        char err[300];
        fl_source *src = fl_source_open(argv[2], 1u << 20, err, sizeof err);
        if (!src) {
            fprintf(stderr, "decode_bench: %s\n", err);
            return 2;
        }
        fl_msgpack_stream *ms = NULL;
        fl_format f = fmt;
        if (fmt == FL_FORMAT_MSGPACK) {
            ms = fl_msgpack_stream_new(src, 1u << 20);
        }
        fl_decoder *dec = fl_decoder_new(f);
        lines = events = bad = 0;
        double t0 = now();
        for (;;) {
            fl_str line;
            fl_bad_reason why;
            fl_line_status ls = ms ? fl_msgpack_stream_next(ms, &line, &why)
                                   : fl_source_next(src, &line);
            if (ls == FL_LINE_EOF || ls == FL_LINE_ERROR)
                break;
            lines++;
            if (ls != FL_LINE_OK) {
                bad++;
                continue;
            }
            fl_event ev;
            if (fl_decode_line(dec, line, fl_str_c("bench"), &ev, &why)) {
                do {
                    events++;
                    sink += ev.service.n + (uint64_t)ev.status;
                } while (fl_decoder_more(dec, &ev));
            } else {
                bad++;
            }
            while (fl_decoder_rejected(dec, &why))
                bad++;
        }
        double t = now() - t0;
        bytes = fl_source_bytes_read(src);
        if (t < best)
            best = t;
        fl_decoder_destroy(dec);
        fl_msgpack_stream_destroy(ms);
        fl_source_destroy(src);
    }
    printf("%llu %llu %llu %.3f %.0f %.1f %llu\n", (unsigned long long)lines,
           (unsigned long long)events, (unsigned long long)bad, best,
           (double)lines / best, (double)bytes / best / 1e6,
           (unsigned long long)(sink & 1));
    return 0;
}
