/*
 * fuzz_time.c - timestamp and duration parsing on arbitrary bytes.
 *
 * fl_time_parse gets the input as a borrowed (not NUL-terminated) fl_str,
 * so ASan catches reads past its end; fl_duration_parse gets a
 * NUL-terminated copy. A parsed time in the accepted range must survive
 * fl_time_format -> fl_time_parse to the millisecond (the format keeps
 * milliseconds); a broken round trip aborts.
 */
#include "../../common/fl_common.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint64_t sink;

static void fail(const char *what, const uint8_t *data, size_t size, fl_time t,
                 const char *formatted, fl_time back)
{
    fprintf(stderr,
            "fuzz_time: %s\n  input (%zu bytes): '%.*s'\n  parsed: %" PRId64
            "\n  formatted: '%s'\n  parsed back: %" PRId64 "\n",
            what, size, (int)(size > 200 ? 200 : size), (const char *)data, t,
            formatted ? formatted : "", back);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fl_str s = {(const char *)data, size};
    fl_time t = 0;
    if (fl_time_parse(s, &t)) {
        char buf[32], hms[16];
        /* formatting must be safe for anything the parser returns */
        fl_time_format(t, buf, sizeof buf);
        fl_time_hms(t, hms, sizeof hms);
        sink ^= (uint64_t)strlen(buf) ^ (uint64_t)strlen(hms);
        if (fl_time_in_range(t)) {
            fl_time back = FL_TIME_NONE;
            if (!fl_time_parse(fl_str_c(buf), &back))
                fail("formatted time does not parse", data, size, t, buf, back);
            /* in range means t > 0: truncating division is the floor */
            fl_time want = t / FL_NS_PER_MS * FL_NS_PER_MS;
            if (back != want)
                fail("time does not round-trip to the millisecond", data, size,
                     t, buf, back);
            /* and the formatted form is a fixed point */
            char again[32];
            fl_time_format(back, again, sizeof again);
            if (strcmp(again, buf) != 0)
                fail("formatting is not stable", data, size, t, again, back);
        }
    }

    char *z = malloc(size + 1);
    if (!z)
        return 0;
    if (size)
        memcpy(z, data, size);
    z[size] = '\0';
    fl_time d = 0;
    if (fl_duration_parse(z, &d)) {
        char human[32];
        if (d < 0)
            fail("duration parsed negative", data, size, d, NULL, 0);
        fl_duration_human(d, human, sizeof human);
        sink ^= (uint64_t)strlen(human);
    }
    free(z);

    /* an epoch number of unknown unit, from the first 8 bytes */
    if (size >= sizeof(double)) {
        double v;
        memcpy(&v, data, sizeof v);
        fl_time e = 0;
        if (fl_time_from_epoch(v, &e) && fl_time_in_range(e)) {
            char buf[32];
            fl_time_format(e, buf, sizeof buf);
            sink ^= (uint64_t)strlen(buf);
        }
    }
    return 0;
}
