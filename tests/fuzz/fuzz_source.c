/*
 * fuzz_source.c - the whole line source over arbitrary bytes.
 *
 * The input is a file's contents: fl_source_open_mem detects a zstd frame
 * by its magic and decompresses, else reads plain lines. A small max_line
 * makes the too-long path (skipping to the next newline in bounded memory)
 * common. Every line is decoded with the auto decoder, as replay does. What
 * the source promises about a line it returns is checked; a broken promise
 * aborts.
 */
#include "../../ingest/fl_ingest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_LINE 256
/* a zstd frame can expand a few bytes into gigabytes; stop after this many
 * lines so one input cannot stall the fuzzer */
#define FUZZ_MAX_LINES 200000

static volatile uint64_t sink;

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "fuzz_source: check failed: %s (%s:%d)\n", #cond,  \
                    __FILE__, __LINE__);                                       \
            abort();                                                           \
        }                                                                      \
    } while (0)

static fl_decoder *dec;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!dec)
        dec = fl_decoder_new(FL_FORMAT_AUTO);
    bool zst = size >= 4 && data[0] == 0x28 && data[1] == 0xB5 &&
               data[2] == 0x2F && data[3] == 0xFD;
    fl_source *src = fl_source_open_mem("fuzz", data, size, FUZZ_MAX_LINE);
    CHECK(src != NULL);
    CHECK(strcmp(fl_source_name(src), "fuzz") == 0);
    CHECK(fl_source_size(src) == size);

    uint64_t lines = 0, calls = 0;
    for (;;) {
        /* a stale value must not survive: fl_ingest.h promises an empty
         * line with FL_LINE_TOO_LONG */
        fl_str line = {"stale", 5};
        fl_line_status ls = fl_source_next(src, &line);
        calls++;
        CHECK(fl_source_bytes_read(src) <= size);
        if (ls == FL_LINE_EOF)
            break;
        if (ls == FL_LINE_ERROR) {
            /* only decompression can fail on a memory block */
            CHECK(zst);
            const char *err = fl_source_error(src);
            CHECK(err != NULL && err[0] != '\0');
            CHECK(fl_source_next(src, &line) == FL_LINE_ERROR);
            break;
        }
        lines++;
        CHECK(fl_source_line_no(src) == lines);
        if (ls == FL_LINE_TOO_LONG) {
            CHECK(line.n == 0);
            sink ^= lines;
        } else {
            CHECK(ls == FL_LINE_OK);
            CHECK(line.p != NULL);
            CHECK(line.n <= FUZZ_MAX_LINE);
            CHECK(line.p[line.n] == '\0');
            CHECK(memchr(line.p, '\n', line.n) == NULL);
            if (!zst)
                /* plain lines are handed out in place of a copy: a plain
                 * line's bytes appear in the input */
                CHECK(line.n <= size);
            sink ^= fl_hash64(line.p, line.n, lines);
            fl_event ev;
            fl_bad_reason why;
            if (fl_decode_line(dec, line, fl_str_c("fuzz"), &ev, &why)) {
                sink ^= fl_hash64(ev.service.p, ev.service.n, 1);
                if (ev.msg.n)
                    sink ^= fl_hash64(ev.msg.p, ev.msg.n, 2);
                if (ev.version.n)
                    sink ^= fl_hash64(ev.version.p, ev.version.n, 3);
                if (ev.change_id.n)
                    sink ^= fl_hash64(ev.change_id.p, ev.change_id.n, 4);
                if (ev.author.n)
                    sink ^= fl_hash64(ev.author.p, ev.author.n, 5);
                if (ev.upstream.n)
                    sink ^= fl_hash64(ev.upstream.p, ev.upstream.n, 6);
            } else {
                CHECK((unsigned)why < FL_BAD__COUNT);
            }
        }
        if (calls >= FUZZ_MAX_LINES)
            break;
    }
    /* a plain input of n bytes has at most n + 1 lines (n newlines and a
     * last line without one) */
    if (!zst)
        CHECK(lines <= size + 1);
    fl_source_destroy(src);
    return 0;
}
