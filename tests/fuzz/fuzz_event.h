/*
 * fuzz_event.h - what every line decoder guarantees about an event it
 * accepts (the contract the pipeline relies on), and a strict comparison
 * of two events; shared by the decoders' fuzz targets, each of which adds
 * its own format's checks. Also the targets' common preamble: CHECK, the
 * sink, the input copied as a line, and reading strings byte by byte.
 * A target defines FUZZ_TARGET (its name, a string literal) before
 * including this.
 */
#ifndef FUZZ_EVENT_H
#define FUZZ_EVENT_H

#include "../../ingest/fl_ingest.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef FUZZ_TARGET
#error "define FUZZ_TARGET before including fuzz_event.h"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint64_t sink;

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, FUZZ_TARGET ": check failed: %s (%s:%d)\n", #cond, \
                    __FILE__, __LINE__);                                       \
            abort();                                                           \
        }                                                                      \
    } while (0)

/* The input as a line, as decoders need it: NUL-terminated at p[n], in an
 * exact-size copy so ASan's redzone is right after the terminator. NULL
 * when out of memory; the caller frees it. */
static inline char *fuzz_line_copy(const uint8_t *data, size_t size)
{
    char *buf = malloc(size + 1);
    if (!buf)
        return NULL;
    if (size)
        memcpy(buf, data, size);
    buf[size] = '\0';
    return buf;
}

/* Reads every byte of s (ASan sees a string pointing outside its buffer);
 * with text, s must also be valid UTF-8 without NUL bytes, as decoded
 * strings are. */
static inline uint64_t fuzz_touch(fl_str s, bool text)
{
    if (s.n == 0)
        return 0;
    CHECK(s.p != NULL);
    if (text) {
        CHECK(memchr(s.p, '\0', s.n) == NULL);
        CHECK(fl_utf8_valid(s.p, s.n));
    }
    return fl_hash64(s.p, s.n, s.n);
}

/* fuzz_touch on every string of ev. */
static inline uint64_t fuzz_touch_event(const fl_event *ev, bool text)
{
    uint64_t h = (uint64_t)ev->ts ^ (uint64_t)ev->kind;
    h ^= fuzz_touch(ev->service, text);
    h ^= fuzz_touch(ev->msg, text) * 3;
    h ^= fuzz_touch(ev->upstream, text) * 5;
    h ^= fuzz_touch(ev->version, text) * 7;
    h ^= fuzz_touch(ev->change_id, text) * 11;
    h ^= fuzz_touch(ev->author, text) * 13;
    h ^= fuzz_touch(ev->metric, text) * 17;
    return h;
}

/* NULL when ev keeps every guarantee of a request or change event, else
 * the guarantee it breaks. */
static inline const char *fuzz_event_problem(const fl_event *ev)
{
    if (!fl_time_in_range(ev->ts))
        return "time in range";
    if (!(ev->service.n >= 1 && ev->service.n <= 256))
        return "service of 1..256 bytes";
    for (size_t i = 0; i < ev->service.n; i++) {
        unsigned char c = (unsigned char)ev->service.p[i];
        if (c < 0x20 || c == 0x7f)
            return "no control characters in the service";
    }
    if (ev->kind == FL_EV_REQUEST) {
        if (!(ev->status == 0 || (ev->status >= 100 && ev->status <= 599)))
            return "status 0 or 100..599";
        if (!(isnan(ev->latency_ms) ||
              (ev->latency_ms >= 0 && ev->latency_ms <= 86400e3)))
            return "latency absent or 0..1 day";
        if (!(ev->level >= FL_LEVEL_NONE && ev->level <= FL_LEVEL_FATAL))
            return "level in range";
        if (ev->path.n > FL_PATH_MAX ||
            (ev->path.n && (memchr(ev->path.p, '?', ev->path.n) ||
                            memchr(ev->path.p, '#', ev->path.n))))
            return "path absent or 1..FL_PATH_MAX bytes without query";
        return NULL;
    }
    if (ev->kind == FL_EV_CHANGE) {
        if (!(ev->change_kind >= FL_CHANGE_DEPLOY &&
              ev->change_kind <= FL_CHANGE_FLAG))
            return "change kind in range";
        return NULL;
    }
    return "a request or a change";
}

/* Aborts (so libFuzzer keeps the input) when ev breaks a guarantee. */
#define FUZZ_CHECK_EVENT(target, ev)                                           \
    do {                                                                       \
        const char *problem_ = fuzz_event_problem(ev);                         \
        if (problem_) {                                                        \
            fprintf(stderr, "%s: event guarantee broken: %s (%s:%d)\n",       \
                    target, problem_, __FILE__, __LINE__);                     \
            abort();                                                           \
        }                                                                      \
    } while (0)

static inline bool fuzz_str_same(fl_str a, fl_str b)
{
    return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
}

/* Every field equal (NaN latencies equal each other). */
static inline bool fuzz_same_event(const fl_event *a, const fl_event *b)
{
    if (a->kind != b->kind || a->ts != b->ts || a->status != b->status ||
        a->level != b->level || a->change_kind != b->change_kind)
        return false;
    if (!(a->latency_ms == b->latency_ms ||
          (isnan(a->latency_ms) && isnan(b->latency_ms))))
        return false;
    return fuzz_str_same(a->service, b->service) &&
           fuzz_str_same(a->msg, b->msg) &&
           fuzz_str_same(a->upstream, b->upstream) &&
           fuzz_str_same(a->path, b->path) &&
           fuzz_str_same(a->version, b->version) &&
           fuzz_str_same(a->change_id, b->change_id) &&
           fuzz_str_same(a->author, b->author) &&
           fuzz_str_same(a->metric, b->metric);
}

#endif
