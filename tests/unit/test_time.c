/* test_time.c - common/time.c: RFC 3339 and epoch parsing, formatting,
 * durations, the accepted event-time range. */
#define _POSIX_C_SOURCE 200809L
#include "../../common/fl_common.h"
#include "unit.h"

#include <stdio.h>

#define S(x) ((fl_time)(x) * FL_NS_PER_SEC)
#define T0 1710074096LL /* 2024-03-10T12:34:56Z */

/* parses s; true on success */
static bool parse(const char *s, fl_time *out)
{
    *out = FL_TIME_NONE;
    return fl_time_parse(fl_str_c(s), out);
}

#define CHECK_PARSES(s, want)                                                 \
    do {                                                                      \
        fl_time t_;                                                           \
        bool ok_ = parse(s, &t_);                                             \
        CHECK_MSG(ok_, "fl_time_parse(\"%s\") failed", s);                    \
        if (ok_)                                                              \
            CHECK_MSG(t_ == (fl_time)(want),                                  \
                      "fl_time_parse(\"%s\") = %lld, want %lld", s,           \
                      (long long)t_, (long long)(want));                      \
    } while (0)

#define CHECK_REJECTS(s)                                                      \
    do {                                                                      \
        fl_time t_;                                                           \
        CHECK_MSG(!parse(s, &t_), "fl_time_parse(\"%s\") accepted it: %lld", \
                  s, (long long)t_);                                          \
    } while (0)

static void rfc3339_utc(void)
{
    CHECK_PARSES("2024-03-10T12:34:56Z", S(T0));
    CHECK_PARSES("2024-03-10t12:34:56z", S(T0));
    CHECK_PARSES("2024-03-10T12:34:56z", S(T0));
    CHECK_PARSES("2024-03-10 12:34:56Z", S(T0));
    CHECK_PARSES("2024-03-10T12:34:56+00:00", S(T0));
    CHECK_PARSES("2024-03-10T12:34:56-00:00", S(T0));
    CHECK_PARSES("2000-01-01T00:00:00Z", S(946684800));
    CHECK_PARSES("2099-12-31T23:59:59Z", S(4102444799LL));
    CHECK_PARSES("1970-01-01T00:00:00Z", 0); /* syntax fine; range is the
                                              * caller's business */
}

static void rfc3339_offsets(void)
{
    CHECK_PARSES("2024-03-10T14:34:56+02:00", S(T0));
    CHECK_PARSES("2024-03-10T07:04:56-05:30", S(T0));
    CHECK_PARSES("2024-03-11T00:34:56+12:00", S(T0)); /* crosses midnight */
    CHECK_PARSES("2024-03-09T23:34:56-13:00", S(T0));
    CHECK_PARSES("2024-03-10 14:34:56.5+02:00", S(T0) + 500000000);
    CHECK_PARSES("2024-03-10T12:38:56+00:04", S(T0));
}

static void rfc3339_fractions(void)
{
    static const struct {
        const char *s;
        fl_time frac;
    } cases[] = {
        {"2024-03-10T12:34:56.1Z", 100000000},
        {"2024-03-10T12:34:56.12Z", 120000000},
        {"2024-03-10T12:34:56.123Z", 123000000},
        {"2024-03-10T12:34:56.1234Z", 123400000},
        {"2024-03-10T12:34:56.12345Z", 123450000},
        {"2024-03-10T12:34:56.123456Z", 123456000},
        {"2024-03-10T12:34:56.1234567Z", 123456700},
        {"2024-03-10T12:34:56.12345678Z", 123456780},
        {"2024-03-10T12:34:56.123456789Z", 123456789},
        {"2024-03-10T12:34:56.1234567891Z", 123456789},
        {"2024-03-10T12:34:56.123456789999999Z", 123456789}, /* truncated */
        {"2024-03-10T12:34:56.000000001Z", 1},
        {"2024-03-10T12:34:56.999999999Z", 999999999},
        {"2024-03-10T12:34:56.0Z", 0},
        {"2024-03-10T12:34:56,25Z", 250000000}, /* ISO 8601 comma */
        {"2024-03-10T14:34:56.007+02:00", 7000000},
    };
    for (size_t i = 0; i < FL_ARRAY_LEN(cases); i++)
        CHECK_PARSES(cases[i].s, S(T0) + cases[i].frac);
    CHECK_REJECTS("2024-03-10T12:34:56.Z");  /* a dot needs digits */
    CHECK_REJECTS("2024-03-10T12:34:56.+02:00");
    CHECK_REJECTS("2024-03-10T12:34:56.12a3Z");
}

static void rfc3339_calendar(void)
{
    CHECK_PARSES("2024-02-29T23:59:59Z", S(1709251199));  /* leap year */
    CHECK_PARSES("2000-02-29T00:00:00Z", S(951782400));   /* 400 rule */
    CHECK_REJECTS("2023-02-29T00:00:00Z");               /* not leap */
    CHECK_REJECTS("2100-02-29T00:00:00Z");               /* 100 rule */
    CHECK_REJECTS("2024-02-30T00:00:00Z");
    CHECK_REJECTS("2024-04-31T00:00:00Z");
    CHECK_REJECTS("2024-06-31T00:00:00Z");
    CHECK_REJECTS("2024-09-31T00:00:00Z");
    CHECK_REJECTS("2024-11-31T00:00:00Z");
    CHECK_PARSES("2024-12-31T00:00:00Z", S(1735603200));
    CHECK_REJECTS("2024-00-10T00:00:00Z");
    CHECK_REJECTS("2024-13-10T00:00:00Z");
    CHECK_REJECTS("2024-03-00T00:00:00Z");
    CHECK_REJECTS("2024-03-32T00:00:00Z");
    CHECK_REJECTS("2024-03-10T24:00:00Z");
    CHECK_REJECTS("2024-03-10T12:60:00Z");
    CHECK_REJECTS("2024-03-10T12:00:61Z");
    CHECK_REJECTS("2024-03-10T99:00:00Z");
    /* a leap second folds into the second before */
    CHECK_PARSES("2016-12-31T23:59:60Z", S(1483228799));
}

static void rfc3339_malformed(void)
{
    CHECK_REJECTS("");
    CHECK_REJECTS("2024-03-10T12:34:56");        /* RFC 3339 needs an offset */
    CHECK_REJECTS("2024-03-10T12:34:56.123");    /* same, with a fraction */
    CHECK_REJECTS("2024-03-10");
    CHECK_REJECTS("2024-03-10T12:34Z");
    CHECK_REJECTS("2024-03-10T12:34:56Zjunk");   /* trailing garbage */
    CHECK_REJECTS("2024-03-10T12:34:56Z ");
    CHECK_REJECTS("2024-03-10T12:34:56+02:00x");
    CHECK_REJECTS("2024-03-10T12:34:56+02:0");
    CHECK_REJECTS("2024-03-10T12:34:56+0200");
    CHECK_REJECTS("2024-03-10T12:34:56+02");
    CHECK_REJECTS("2024-03-10T12:34:56+24:00");
    CHECK_REJECTS("2024-03-10T12:34:56+02:60");
    CHECK_REJECTS("2024-03-10T12:34:56 UTC");
    CHECK_REJECTS("2024-03-10X12:34:56Z");
    CHECK_REJECTS("2024/03/10T12:34:56Z");
    CHECK_REJECTS("2024-3-10T12:34:56Z");
    CHECK_REJECTS("2024-03-10T12:34:5Z");
    CHECK_REJECTS("20a4-03-10T12:34:56Z");
    CHECK_REJECTS("2024-03-10T12-34-56Z");
    CHECK_REJECTS("2024-03-10T12:34:56z+01:00");
    CHECK_REJECTS("-1710074096");
    CHECK_REJECTS("1710074096x");
    CHECK_REJECTS("17100.740.96");
    CHECK_REJECTS("1e9");
    CHECK_REJECTS("12345678901234567890123456789012345678901234567890");
    /* a prefix of the string must not be enough: the length is honoured */
    fl_time t;
    fl_str cut = {"2024-03-10T12:34:56Z", 19};
    CHECK(!fl_time_parse(cut, &t));
    fl_str cut2 = {"2024-03-10T12:34:56Zjunk", 20};
    CHECK(fl_time_parse(cut2, &t));
    CHECK_EQ(t, S(T0));
}

/* Epoch strings: the unit follows from the magnitude. */
static void epoch_string_units(void)
{
    fl_time t;
    CHECK(parse("1710074096", &t));
    CHECK_EQ(t, S(T0));
    CHECK(parse("1710074096.5", &t));
    CHECK_NEAR(t, S(T0) + 500000000, 1000);
    CHECK(parse("1710074096123", &t)); /* ms */
    CHECK_NEAR(t, S(T0) + 123000000, 1000);
    CHECK(parse("1710074096123456", &t)); /* us */
    CHECK_NEAR(t, S(T0) + 123456000, 1000);
    CHECK(parse("1710074096123456789", &t)); /* ns */
    CHECK_NEAR(t, S(T0) + 123456789, 1000);
    CHECK(parse("946684800", &t)); /* 9 digits: still seconds */
    CHECK_EQ(t, S(946684800));
    CHECK(parse("0", &t));
    CHECK_EQ(t, 0);
}

/* An integer epoch in ms/us/ns names an exact instant; it should come back
 * exact, and print with the milliseconds it was written with. */
static void epoch_string_exact(void)
{
    static const struct {
        const char *s;
        fl_time want;
    } cases[] = {
        {"1710074096123", S(T0) + 123000000},
        {"1710074096001", S(T0) + 1000000},
        {"1710074096999", S(T0) + 999000000},
        {"1710074096123456", S(T0) + 123456000},
        {"1710074096123456789", S(T0) + 123456789},
    };
    for (size_t i = 0; i < FL_ARRAY_LEN(cases); i++)
        CHECK_PARSES(cases[i].s, cases[i].want);
    fl_time t;
    char buf[32];
    CHECK(parse("1710074096123", &t));
    CHECK_STR(fl_time_format(t, buf, sizeof buf), "2024-03-10T12:34:56.123Z");
    CHECK(parse("1710074096001", &t));
    CHECK_STR(fl_time_format(t, buf, sizeof buf), "2024-03-10T12:34:56.001Z");
    CHECK(fl_time_from_epoch(1710074096123.0, &t));
    CHECK_EQ(t, S(T0) + 123000000);
}

static void from_epoch_magnitudes(void)
{
    fl_time t;
    CHECK(fl_time_from_epoch(1710074096.0, &t));
    CHECK_EQ(t, S(T0));
    CHECK(fl_time_from_epoch(1710074096.25, &t));
    CHECK_NEAR(t, S(T0) + 250000000, 1000); /* a double's precision */
    CHECK(fl_time_from_epoch(1710074096000.0, &t)); /* ms */
    CHECK_EQ(t, S(T0));
    CHECK(fl_time_from_epoch(1710074096000000.0, &t)); /* us */
    CHECK_EQ(t, S(T0));
    CHECK(fl_time_from_epoch(1710074096000000000.0, &t)); /* ns */
    CHECK_EQ(t, S(T0));
    /* the boundaries between units */
    CHECK(fl_time_from_epoch(1e11, &t)); /* the first millisecond value */
    CHECK_EQ(t, (fl_time)1e17);
    CHECK(fl_time_from_epoch(1e14, &t)); /* the first microsecond value */
    CHECK_EQ(t, (fl_time)1e17);
    CHECK(fl_time_from_epoch(1e17, &t)); /* the first nanosecond value */
    CHECK_EQ(t, (fl_time)1e17);
    CHECK(fl_time_from_epoch(99999999999.0 / 100, &t)); /* seconds */
    CHECK_NEAR(t, 999999999.99e9, 1e3);
    CHECK(fl_time_from_epoch(0, &t));
    CHECK_EQ(t, 0);
    /* seconds so large they overflow int64 nanoseconds */
    CHECK(!fl_time_from_epoch(99999999999.0, &t));
    CHECK(!fl_time_from_epoch(9.3e18, &t));
    CHECK(!fl_time_from_epoch(-1, &t));
    CHECK(!fl_time_from_epoch(NAN, &t));
    CHECK(!fl_time_from_epoch(INFINITY, &t));
    CHECK(!fl_time_from_epoch(-INFINITY, &t));
}

static void format_round_trip(void)
{
    char buf[32];
    CHECK_STR(fl_time_format(S(T0), buf, sizeof buf), "2024-03-10T12:34:56Z");
    CHECK_STR(fl_time_format(S(T0) + 123000000, buf, sizeof buf),
              "2024-03-10T12:34:56.123Z");
    CHECK_STR(fl_time_format(S(T0) + 7000000, buf, sizeof buf),
              "2024-03-10T12:34:56.007Z");
    /* below a millisecond: no fraction */
    CHECK_STR(fl_time_format(S(T0) + 999999, buf, sizeof buf),
              "2024-03-10T12:34:56Z");
    CHECK_STR(fl_time_format(S(946684800), buf, sizeof buf),
              "2000-01-01T00:00:00Z");
    CHECK_STR(fl_time_format(S(1709251199), buf, sizeof buf),
              "2024-02-29T23:59:59Z");
    CHECK_STR(fl_time_format(S(4102444799LL), buf, sizeof buf),
              "2099-12-31T23:59:59Z");
    CHECK_STR(fl_time_format(0, buf, sizeof buf), "1970-01-01T00:00:00Z");
    CHECK_STR(fl_time_format(-FL_NS_PER_SEC, buf, sizeof buf),
              "1969-12-31T23:59:59Z");
    CHECK_STR(fl_time_hms(S(T0) + 999000000, buf, sizeof buf), "12:34:56");

    /* parse(format(t)) == t for millisecond times across the range */
    unit_rng r;
    unit_rng_seed(&r, 1);
    for (int i = 0; i < 20000; i++) {
        int64_t span_ms = (FL_TIME_MAX - FL_TIME_MIN) / FL_NS_PER_MS;
        fl_time t = FL_TIME_MIN +
                    (fl_time)(unit_rng_u64(&r) % (uint64_t)span_ms) * FL_NS_PER_MS;
        if (i % 2)
            t -= t % FL_NS_PER_SEC; /* whole seconds: the short form */
        fl_time_format(t, buf, sizeof buf);
        fl_time back;
        bool ok = fl_time_parse(fl_str_c(buf), &back);
        CHECK_MSG(ok && back == t, "round trip of %lld via \"%s\" gave %lld",
                  (long long)t, buf, ok ? (long long)back : -1LL);
        if (unit_failures())
            break;
    }
}

static void duration_parse(void)
{
    static const struct {
        const char *s;
        fl_time want;
    } ok[] = {
        {"10s", S(10)},
        {"10", S(10)}, /* bare number: seconds */
        {"0", 0},
        {"500ms", 500 * FL_NS_PER_MS},
        {"2m", S(120)},
        {"2min", S(120)},
        {"1h", S(3600)},
        {"1.5h", S(5400)},
        {"3d", S(3 * 86400)},
        {"0.25s", 250 * FL_NS_PER_MS},
        {"1e3ms", S(1)},
    };
    for (size_t i = 0; i < FL_ARRAY_LEN(ok); i++) {
        fl_time t = -1;
        bool res = fl_duration_parse(ok[i].s, &t);
        CHECK_MSG(res && t == ok[i].want,
                  "fl_duration_parse(\"%s\") = %d, %lld; want %lld", ok[i].s,
                  res, (long long)t, (long long)ok[i].want);
    }
    static const char *const bad[] = {
        "", "s", "10x", "10 s", "10S", "10sec", "10ms5", "-1s", "-5",
        "inf", "nan", "1e300h", "10hh", "h", "1.5.h",
    };
    for (size_t i = 0; i < FL_ARRAY_LEN(bad); i++) {
        fl_time t = -1;
        CHECK_MSG(!fl_duration_parse(bad[i], &t),
                  "fl_duration_parse(\"%s\") accepted it: %lld", bad[i],
                  (long long)t);
    }
}

static void duration_human(void)
{
    char buf[32];
    CHECK_STR(fl_duration_human(S(47), buf, sizeof buf), "47 s");
    CHECK_STR(fl_duration_human(0, buf, sizeof buf), "0 s");
    CHECK_STR(fl_duration_human(S(200), buf, sizeof buf), "3 min 20 s");
    CHECK_STR(fl_duration_human(S(120), buf, sizeof buf), "2 min");
    CHECK_STR(fl_duration_human(S(3900), buf, sizeof buf), "1 h 5 min");
    CHECK_STR(fl_duration_human(S(7200), buf, sizeof buf), "2 h");
    CHECK_STR(fl_duration_human(S(59) + 600 * FL_NS_PER_MS, buf, sizeof buf),
              "1 min");
    CHECK_STR(fl_duration_human(-S(47), buf, sizeof buf), "-47 s");
}

static void in_range_edges(void)
{
    CHECK(fl_time_in_range(FL_TIME_MIN));
    CHECK(!fl_time_in_range(FL_TIME_MIN - 1));
    CHECK(fl_time_in_range(FL_TIME_MAX - 1));
    CHECK(!fl_time_in_range(FL_TIME_MAX));
    CHECK(!fl_time_in_range(0));
    CHECK(!fl_time_in_range(FL_TIME_NONE));
    CHECK(!fl_time_in_range(INT64_MAX));
    CHECK(fl_time_in_range(S(T0)));
    fl_time t;
    CHECK(parse("2000-01-01T00:00:00Z", &t) && fl_time_in_range(t));
    CHECK(parse("1999-12-31T23:59:59.999999999Z", &t) && !fl_time_in_range(t));
    CHECK(parse("2099-12-31T23:59:59.999999999Z", &t) && fl_time_in_range(t));
    CHECK(parse("2100-01-01T00:00:00Z", &t) && !fl_time_in_range(t));
    CHECK(parse("2100-01-01T01:00:00+01:00", &t) && !fl_time_in_range(t));
    CHECK(parse("2100-01-01T00:59:59+01:00", &t) && fl_time_in_range(t));
}

static const unit_test tests[] = {
    UNIT_TEST(rfc3339_utc),        UNIT_TEST(rfc3339_offsets),
    UNIT_TEST(rfc3339_fractions),  UNIT_TEST(rfc3339_calendar),
    UNIT_TEST(rfc3339_malformed),  UNIT_TEST(epoch_string_units),
    UNIT_TEST(epoch_string_exact), UNIT_TEST(from_epoch_magnitudes),
    UNIT_TEST(format_round_trip),  UNIT_TEST(duration_parse),
    UNIT_TEST(duration_human),     UNIT_TEST(in_range_edges),
};
UNIT_SUITE(unit_suite_time, "time", tests);
