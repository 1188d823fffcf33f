/*
 * time.c - event-time parsing and formatting. Event time is int64
 * nanoseconds since the epoch, UTC. Parsing is hand-written because it runs
 * once per event and strptime/timegm are locale- and TZ-dependent and slow;
 * days_from_civil is Howard Hinnant's public-domain algorithm.
 */
#define _POSIX_C_SOURCE 200809L
#include "fl_common.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t yy = (int64_t)yoe + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)(yy + (*m <= 2));
}

static bool digits(const char *p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        v = v * 10 + (p[i] - '0');
    }
    *out = v;
    return true;
}

bool fl_time_from_epoch(double v, fl_time *out)
{
    if (!isfinite(v) || v < 0)
        return false;
    if (v == floor(v) && v < 9e18) {
        /* whole numbers in integers: 1710074096123 ms is exact */
        uint64_t iv = (uint64_t)v;
        uint64_t mult = iv < 100000000000ULL        ? 1000000000ULL
                        : iv < 100000000000000ULL   ? 1000000ULL
                        : iv < 100000000000000000ULL ? 1000ULL
                                                     : 1ULL;
        if (iv > (uint64_t)INT64_MAX / mult)
            return false;
        *out = (fl_time)(iv * mult);
        return true;
    }
    double ns;
    if (v < 1e11)
        ns = v * 1e9;
    else if (v < 1e14)
        ns = v * 1e6;
    else if (v < 1e17)
        ns = v * 1e3;
    else
        ns = v;
    if (ns >= 9.2e18)
        return false;
    *out = (fl_time)llround(ns);
    return true;
}

static const unsigned mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

bool fl_time_parse(fl_str s, fl_time *out)
{
    const char *p = s.p;
    size_t n = s.n;
    if (n == 0)
        return false;
    /* all digits (with an optional fraction): an epoch number, parsed in
     * integers so "1710074096123456789" stays exact to the nanosecond */
    if (n < 10 || p[4] != '-') {
        uint64_t ip = 0;
        size_t i = 0, nd = 0;
        while (i < n && p[i] >= '0' && p[i] <= '9') {
            if (++nd > 19)
                return false;
            ip = ip * 10 + (uint64_t)(p[i] - '0');
            i++;
        }
        if (nd == 0)
            return false;
        uint64_t frac = 0, fscale = 1; /* fraction as frac / fscale */
        if (i < n && p[i] == '.') {
            i++;
            size_t fd = 0;
            while (i < n && p[i] >= '0' && p[i] <= '9') {
                if (fd < 18) {
                    frac = frac * 10 + (uint64_t)(p[i] - '0');
                    fscale *= 10;
                }
                fd++;
                i++;
            }
            if (fd == 0)
                return false;
        }
        if (i != n)
            return false;
        /* the unit by magnitude, as fl_time_from_epoch */
        uint64_t mult = ip < 100000000000ULL        ? 1000000000ULL
                        : ip < 100000000000000ULL   ? 1000000ULL
                        : ip < 100000000000000000ULL ? 1000ULL
                                                     : 1ULL;
        if (ip > (uint64_t)INT64_MAX / mult)
            return false;
        uint64_t ns = ip * mult;
        /* the fraction's share of one unit, rounded to the nanosecond */
        if (frac)
            ns += (uint64_t)llround((double)frac / (double)fscale * (double)mult);
        if (ns > (uint64_t)INT64_MAX)
            return false;
        *out = (fl_time)ns;
        return true;
    }
    int y, mo, d, h, mi, sec;
    if (n < 19 || !digits(p, 4, &y) || p[4] != '-' || !digits(p + 5, 2, &mo) ||
        p[7] != '-' || !digits(p + 8, 2, &d) ||
        (p[10] != 'T' && p[10] != 't' && p[10] != ' ') ||
        !digits(p + 11, 2, &h) || p[13] != ':' || !digits(p + 14, 2, &mi) ||
        p[16] != ':' || !digits(p + 17, 2, &sec))
        return false;
    if (mo < 1 || mo > 12 || d < 1 || d > (int)mdays[mo - 1] || h > 23 ||
        mi > 59 || sec > 60)
        return false;
    if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return false;
    if (sec == 60)
        sec = 59; /* a leap second is folded into the second before */
    size_t i = 19;
    int64_t frac = 0;
    if (i < n && (p[i] == '.' || p[i] == ',')) {
        i++;
        int nd = 0;
        int64_t scale = 100000000;
        while (i < n && p[i] >= '0' && p[i] <= '9') {
            if (nd < 9) {
                frac += (p[i] - '0') * scale;
                scale /= 10;
            }
            nd++;
            i++;
        }
        if (nd == 0)
            return false;
    }
    int64_t offset = 0;
    if (i == n)
        return false; /* RFC 3339 requires an offset */
    if (p[i] == 'Z' || p[i] == 'z') {
        i++;
    } else if (p[i] == '+' || p[i] == '-') {
        int oh, om;
        if (i + 6 > n || !digits(p + i + 1, 2, &oh) || p[i + 3] != ':' ||
            !digits(p + i + 4, 2, &om) || oh > 23 || om > 59)
            return false;
        offset = (oh * 3600 + om * 60) * (p[i] == '-' ? -1 : 1);
        i += 6;
    } else {
        return false;
    }
    if (i != n)
        return false;
    int64_t days = days_from_civil(y, (unsigned)mo, (unsigned)d);
    int64_t secs = days * 86400 + h * 3600 + mi * 60 + sec - offset;
    if (secs < 0 || secs > 9000000000LL)
        return false;
    *out = secs * FL_NS_PER_SEC + frac;
    return true;
}

char *fl_time_format(fl_time t, char *buf, size_t n)
{
    int64_t secs = t / FL_NS_PER_SEC;
    int64_t rem = t % FL_NS_PER_SEC;
    if (rem < 0) {
        rem += FL_NS_PER_SEC;
        secs--;
    }
    int64_t days = secs / 86400;
    int64_t sod = secs % 86400;
    if (sod < 0) {
        sod += 86400;
        days--;
    }
    int y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    int ms = (int)(rem / FL_NS_PER_MS);
    if (ms)
        snprintf(buf, n, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", y, m, d,
                 (int)(sod / 3600), (int)(sod / 60 % 60), (int)(sod % 60), ms);
    else
        snprintf(buf, n, "%04d-%02u-%02uT%02d:%02d:%02dZ", y, m, d,
                 (int)(sod / 3600), (int)(sod / 60 % 60), (int)(sod % 60));
    return buf;
}

char *fl_time_hms(fl_time t, char *buf, size_t n)
{
    int64_t secs = t / FL_NS_PER_SEC;
    int64_t sod = secs % 86400;
    if (sod < 0)
        sod += 86400;
    snprintf(buf, n, "%02d:%02d:%02d", (int)(sod / 3600), (int)(sod / 60 % 60),
             (int)(sod % 60));
    return buf;
}

char *fl_duration_human(fl_time d, char *buf, size_t n)
{
    const char *sign = "";
    if (d < 0) {
        sign = "-";
        d = -d;
    }
    int64_t s = (d + FL_NS_PER_SEC / 2) / FL_NS_PER_SEC;
    if (s < 60)
        snprintf(buf, n, "%s%d s", sign, (int)s);
    else if (s < 3600 && s % 60)
        snprintf(buf, n, "%s%d min %d s", sign, (int)(s / 60), (int)(s % 60));
    else if (s < 3600)
        snprintf(buf, n, "%s%d min", sign, (int)(s / 60));
    else if ((s / 60) % 60)
        snprintf(buf, n, "%s%d h %d min", sign, (int)(s / 3600),
                 (int)(s / 60 % 60));
    else
        snprintf(buf, n, "%s%d h", sign, (int)(s / 3600));
    return buf;
}

bool fl_duration_parse(const char *s, fl_time *out)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || !isfinite(v) || v < 0)
        return false;
    double mult;
    if (*end == '\0' || strcmp(end, "s") == 0)
        mult = 1e9;
    else if (strcmp(end, "ms") == 0)
        mult = 1e6;
    else if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0)
        mult = 60e9;
    else if (strcmp(end, "h") == 0)
        mult = 3600e9;
    else if (strcmp(end, "d") == 0)
        mult = 86400e9;
    else
        return false;
    double ns = v * mult;
    if (ns > 9e18)
        return false;
    *out = (fl_time)llround(ns);
    return true;
}

fl_time fl_wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (fl_time)ts.tv_sec * FL_NS_PER_SEC + ts.tv_nsec;
}
