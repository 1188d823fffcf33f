/*
 * fuzz_msgpack.c - the msgpack decoder and stream reader on arbitrary bytes.
 *
 * The input is used three ways:
 *   1. as one object (a Kafka message): fl_msgpack_decode, and
 *      fl_decode_line with the auto decoder, which must agree with it
 *      whenever fl_msgpack_sniff claims the bytes;
 *   2. as a file of concatenated objects, through fl_msgpack_stream with a
 *      generous and a tiny size cap. Every object the stream hands out must
 *      be exactly what msgpack-c's own unpacker reads at that offset (the
 *      differential check of the framing), and is decoded;
 *   3. the stream's objects and rejections must account for every byte:
 *      each call makes progress and the stream ends.
 * Accepted events are checked against what the decoder promises, and every
 * string is read byte by byte so ASan sees one pointing outside the input
 * or the scratch space. msgpack-c is only ever given objects the stream
 * found complete and within the cap, so its allocations stay bounded.
 */
#define FUZZ_TARGET "fuzz_msgpack"
#include "fuzz_event.h"
#include "../../ingest/fl_ingest.h"

#include <math.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void check_event(const fl_event *ev)
{
    FUZZ_CHECK_EVENT("fuzz_msgpack", ev);
    /* kept strings are valid UTF-8 without NULs (NUL becomes U+FFFD) */
    uint64_t h = (uint64_t)ev->ts;
    h ^= fuzz_touch(ev->service, true);
    h ^= fuzz_touch(ev->msg, true) * 3;
    h ^= fuzz_touch(ev->upstream, true) * 5;
    h ^= fuzz_touch(ev->version, true) * 7;
    h ^= fuzz_touch(ev->change_id, true) * 11;
    h ^= fuzz_touch(ev->author, true) * 13;
    sink ^= h;
}

static bool same_event(const fl_event *a, const fl_event *b)
{
    return a->kind == b->kind && a->ts == b->ts && a->status == b->status &&
           a->level == b->level && a->service.n == b->service.n &&
           memcmp(a->service.p, b->service.p, a->service.n) == 0 &&
           a->msg.n == b->msg.n &&
           (a->latency_ms == b->latency_ms ||
            (isnan(a->latency_ms) && isnan(b->latency_ms)));
}

static fl_decoder *dec_mp, *dec_auto, *dec_stream;

static void run_stream(const uint8_t *data, size_t size, size_t cap)
{
    fl_source *src = fl_source_open_mem("fuzz", data, size, cap);
    fl_msgpack_stream *ms = fl_msgpack_stream_new(src, cap);
    msgpack_unpacked up;
    msgpack_unpacked_init(&up);
    uint64_t calls = 0;
    for (;;) {
        fl_str obj;
        fl_bad_reason why = FL_BAD__COUNT;
        fl_line_status st = fl_msgpack_stream_next(ms, &obj, &why);
        CHECK(++calls <= size + 2); /* every call consumes a byte at least */
        if (st == FL_LINE_EOF)
            break;
        CHECK(st != FL_LINE_ERROR); /* memory sources do not fail */
        if (st == FL_LINE_BAD) {
            CHECK(why == FL_BAD_SYNTAX || why == FL_BAD_TOO_DEEP ||
                  why == FL_BAD_TOO_LONG || why == FL_BAD_TRUNCATED);
            continue;
        }
        CHECK(st == FL_LINE_OK);
        CHECK(obj.n >= 1 && obj.n <= cap);
        CHECK(obj.p[obj.n] == '\0');
        /* the object is a copy of input bytes that msgpack-c reads whole */
        size_t off = 0;
        CHECK(msgpack_unpack_next(&up, obj.p, obj.n, &off) ==
              MSGPACK_UNPACK_SUCCESS);
        CHECK(off == obj.n);
        CHECK(up.data.type == MSGPACK_OBJECT_MAP ||
              up.data.type == MSGPACK_OBJECT_ARRAY);
        fl_event ev;
        if (fl_msgpack_decode(dec_stream, obj, &ev, &why))
            check_event(&ev);
        else
            CHECK((unsigned)why < FL_BAD__COUNT);
    }
    CHECK(fl_msgpack_stream_objects(ms) <= size);
    msgpack_unpacked_destroy(&up);
    fl_msgpack_stream_destroy(ms);
    fl_source_destroy(src);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!dec_mp) {
        dec_mp = fl_decoder_new(FL_FORMAT_MSGPACK);
        dec_auto = fl_decoder_new(FL_FORMAT_AUTO);
        dec_stream = fl_decoder_new(FL_FORMAT_MSGPACK);
    }
    char *buf = fuzz_line_copy(data, size);
    if (!buf)
        return 0;
    fl_str line = {buf, size};

    /* 1. one object */
    fl_event ev, ev_auto;
    fl_bad_reason why = FL_BAD__COUNT, why_auto = FL_BAD__COUNT;
    bool ok = fl_msgpack_decode(dec_mp, line, &ev, &why);
    if (ok)
        check_event(&ev);
    else
        CHECK((unsigned)why < FL_BAD__COUNT);
    bool sniffed = fl_msgpack_sniff(line);
    if (ok)
        CHECK(sniffed || (size && (uint8_t)buf[0] >= 0xdc)); /* a map/array */
    bool ok_auto = fl_decode_line(dec_auto, line, fl_str_c("fuzz"), &ev_auto,
                                  &why_auto);
    if (sniffed) {
        CHECK(ok_auto == ok);
        if (ok)
            CHECK(same_event(&ev, &ev_auto));
        else
            CHECK(why_auto == why);
        CHECK(fl_decoder_binary(dec_auto, buf, size));
    }
    if (ok_auto)
        sink ^= (uint64_t)ev_auto.ts;
    if (ok) /* still readable after the other decoders ran */
        check_event(&ev);
    if (ok || (why != FL_BAD_SYNTAX && why != FL_BAD_TRUNCATED &&
               why != FL_BAD_TOO_DEEP)) {
        /* the decoder walked it as one sound object: the scanner and
         * msgpack-c must agree that it is exactly that */
        msgpack_unpacked up;
        msgpack_unpacked_init(&up);
        size_t off = 0;
        CHECK(msgpack_unpack_next(&up, buf, size, &off) ==
              MSGPACK_UNPACK_SUCCESS);
        CHECK(off == size);
        msgpack_unpacked_destroy(&up);
        if (fl_msgpack_stream_sniff(buf, size)) {
            fl_source *src = fl_source_open_mem("one", buf, size, size);
            fl_msgpack_stream *ms = fl_msgpack_stream_new(src, size);
            fl_str obj;
            fl_bad_reason w2;
            CHECK(fl_msgpack_stream_next(ms, &obj, &w2) == FL_LINE_OK);
            CHECK(obj.n == size);
            CHECK(fl_msgpack_stream_next(ms, &obj, &w2) == FL_LINE_EOF);
            fl_msgpack_stream_destroy(ms);
            fl_source_destroy(src);
        }
    }

    /* 2, 3. a stream, with room and with a tiny cap */
    run_stream(data, size, 65536);
    run_stream(data, size, 24);

    free(buf);
    return 0;
}
