/* test_influx.c - ingest/influx.c: the Influx line protocol as Telegraf
 * and the InfluxDB docs write it (escapes, every field type, tags naming
 * the service and the series), one event per numeric field, every
 * rejection with its reason, and the sniffer `--format auto` uses. */
#define _POSIX_C_SOURCE 200809L
#include "../../ingest/fl_ingest.h"
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>

#define MAXEV 64

typedef struct {
    bool ok;
    fl_bad_reason why;
    int n;
    fl_event ev[MAXEV];
} decoded;

/* Decodes a copy of line (NUL-terminated at n, as sources guarantee) with
 * the Influx decoder (or `auto`), draining every event of the line. */
static decoded dec_line(fl_format fmt, const char *line, const char *fallback)
{
    static fl_decoder *decs[FL_FORMAT__COUNT];
    static char buf[70000];
    if (!decs[fmt])
        decs[fmt] = fl_decoder_new(fmt);
    decoded d;
    memset(&d, 0, sizeof d);
    size_t n = strlen(line);
    memcpy(buf, line, n + 1);
    fl_event ev;
    d.ok = fl_decode_line(decs[fmt], (fl_str){buf, n},
                          fallback ? fl_str_c(fallback) : FL_STR_NULL, &ev,
                          &d.why);
    if (d.ok) {
        d.ev[d.n++] = ev;
        while (fl_decoder_more(decs[fmt], &ev))
            if (d.n < MAXEV)
                d.ev[d.n++] = ev;
            else
                d.n++;
    }
    return d;
}

static decoded influx(const char *line)
{
    return dec_line(FL_FORMAT_INFLUX, line, "fallback");
}

static void check_metric(const fl_event *ev, fl_time ts, const char *svc,
                         const char *name, double v)
{
    CHECK_EQ(ev->kind, FL_EV_METRIC);
    CHECK_EQ(ev->ts, ts);
    CHECK_FLSTR(ev->service, svc);
    CHECK_FLSTR(ev->metric, name);
    CHECK_NEAR(ev->value, v, fabs(v) * 1e-12);
    CHECK_NAN(ev->latency_ms);
    CHECK_EQ(ev->status, 0);
}

static void check_reject(const char *line, fl_bad_reason why)
{
    decoded d = influx(line);
    CHECK_MSG(!d.ok, "accepted: %s", line);
    CHECK_MSG(d.ok || d.why == why, "%s: reason %s, expected %s", line,
              fl_bad_reason_name(d.why), fl_bad_reason_name(why));
}

/* ------------------------------------------------------------- samples */

/* What Telegraf's cpu, mem, system, disk and net plugins write. */
static void telegraf_lines(void)
{
    fl_time ts = 1700000000000000000LL;
    decoded d = influx("cpu,cpu=cpu-total,host=web01 usage_idle=98.2,"
                       "usage_user=1.2,usage_system=0.6 1700000000000000000");
    REQUIRE(d.ok);
    REQUIRE_EQ(d.n, 3);
    check_metric(&d.ev[0], ts, "web01", "cpu.usage_idle{cpu=cpu-total}", 98.2);
    check_metric(&d.ev[1], ts, "web01", "cpu.usage_user{cpu=cpu-total}", 1.2);
    check_metric(&d.ev[2], ts, "web01", "cpu.usage_system{cpu=cpu-total}", 0.6);

    d = influx("mem,host=web01 available=8123456512i,total=16000000000i,"
               "used_percent=41.5 1700000000000000000");
    REQUIRE(d.ok);
    REQUIRE_EQ(d.n, 3);
    check_metric(&d.ev[0], ts, "web01", "mem.available", 8123456512.0);
    check_metric(&d.ev[1], ts, "web01", "mem.total", 16e9);
    check_metric(&d.ev[2], ts, "web01", "mem.used_percent", 41.5);

    /* unsigned integers and a string field (ignored) */
    d = influx("system,host=web01 uptime=3600u,uptime_format=\" 1:00\","
               "n_cpus=8i 1700000000000000000");
    REQUIRE(d.ok);
    REQUIRE_EQ(d.n, 2);
    check_metric(&d.ev[0], ts, "web01", "system.uptime", 3600);
    check_metric(&d.ev[1], ts, "web01", "system.n_cpus", 8);

    /* tags in the name sorted by key; host left out, it is the service */
    d = influx("disk,path=/,device=sda1,fstype=ext4,host=db1,mode=rw "
               "used_percent=63.2 1700000000000000000");
    REQUIRE(d.ok);
    REQUIRE_EQ(d.n, 1);
    check_metric(&d.ev[0], ts, "db1",
                 "disk.used_percent{device=sda1,fstype=ext4,mode=rw,path=/}",
                 63.2);

    /* a service tag names the service; host then names the series */
    d = influx("http_response,host=h1,service=checkout,method=GET "
               "response_time=0.012,http_response_code=200i,"
               "result=\"success\" 1700000000000000000");
    REQUIRE(d.ok);
    REQUIRE_EQ(d.n, 2);
    check_metric(&d.ev[0], ts, "checkout",
                 "http_response.response_time{host=h1,method=GET}", 0.012);
    check_metric(&d.ev[1], ts, "checkout",
                 "http_response.http_response_code{host=h1,method=GET}", 200);

    /* NAB as bench/nab/run.sh writes it */
    d = influx("nab,service=nyc_taxi value=10844 1404172800000000000");
    REQUIRE(d.ok);
    REQUIRE_EQ(d.n, 1);
    check_metric(&d.ev[0], 1404172800000000000LL, "nyc_taxi", "nab.value",
                 10844);
}

/* Examples from the InfluxDB line protocol reference. */
static void reference_examples(void)
{
    decoded d = influx("weather,location=us-midwest temperature=82 "
                       "1465839830100400200");
    REQUIRE(d.ok);
    REQUIRE_EQ(d.n, 1);
    /* no service or host tag: the fallback (replay: the file name) */
    check_metric(&d.ev[0], 1465839830100400200LL, "fallback",
                 "weather.temperature{location=us-midwest}", 82);

    d = influx("myMeasurement,tag1=value1,tag2=value2 fieldKey=\"fieldValue\","
               "x=1 1556813561098000000");
    REQUIRE(d.ok);
    REQUIRE_EQ(d.n, 1);
    check_metric(&d.ev[0], 1556813561098000000LL, "fallback",
                 "myMeasurement.x{tag1=value1,tag2=value2}", 1);

    d = influx("home,room=Living\\ Room temp=21.1,hum=35.9,co=0i "
               "1641024000000000000");
    REQUIRE(d.ok);
    REQUIRE_EQ(d.n, 3);
    check_metric(&d.ev[0], 1641024000000000000LL, "fallback",
                 "home.temp{room=Living Room}", 21.1);
    check_metric(&d.ev[2], 1641024000000000000LL, "fallback",
                 "home.co{room=Living Room}", 0);

    d = influx("myMeasurement,tagKey=tag\\,value fieldKey=1i,s=\"\\\"string\\\" "
               "within a string\" 1556813561098000000");
    REQUIRE(d.ok);
    REQUIRE_EQ(d.n, 1);
    check_metric(&d.ev[0], 1556813561098000000LL, "fallback",
                 "myMeasurement.fieldKey{tagKey=tag,value}", 1);

    d = influx("my\\ Measurement,host=a fieldKey=\"Launch 🚀\",v=2 "
               "1556813561098000000");
    REQUIRE(d.ok);
    REQUIRE_EQ(d.n, 1);
    check_metric(&d.ev[0], 1556813561098000000LL, "a", "my Measurement.v", 2);
}

/* ------------------------------------------------------------ escaping */

static void escapes(void)
{
    /* measurement: comma and space; tag keys, values and field keys:
     * comma, equals and space; a double backslash is one backslash; any
     * other backslash is literal */
    decoded d = influx("a\\,b\\ c,k\\=1=v\\,2\\ 3,host=h f\\ \\=x\\,=5 "
                       "1700000000000000000");
    REQUIRE(d.ok);
    REQUIRE_EQ(d.n, 1);
    CHECK_FLSTR(d.ev[0].metric, "a,b c.f =x,{k=1=v,2 3}");
    d = influx("m\\\\x,host=h\\\\y f\\q=1 1700000000000000000");
    REQUIRE(d.ok);
    CHECK_FLSTR(d.ev[0].service, "h\\y");
    CHECK_FLSTR(d.ev[0].metric, "m\\x.f\\q");
    /* string values hold commas, spaces, '=' and escaped quotes without
     * ending the field set */
    d = influx("m,host=h s=\"a, b=c \\\" d\\\\\",v=3 1700000000000000000");
    REQUIRE(d.ok);
    REQUIRE_EQ(d.n, 1);
    CHECK_FLSTR(d.ev[0].metric, "m.v");
    CHECK_EQ(d.ev[0].value, 3);
    /* an escaped backslash before the closing quote */
    d = influx("m,host=h s=\"x\\\\\" 1700000000000000000");
    CHECK(!d.ok && d.why == FL_BAD_VALUE); /* parsed; only a string field */
    /* leading blanks, extra spaces between sections, trailing blanks */
    d = influx("  m,host=h   v=1   1700000000000000000 \t");
    REQUIRE(d.ok);
    CHECK_FLSTR(d.ev[0].metric, "m.v");
}

/* --------------------------------------------------------------- types */

static void field_types(void)
{
    static const struct {
        const char *v;
        double want;
    } cases[] = {
        {"1", 1},          {"-1.5", -1.5},     {"1e+78", 1e78},
        {"-1.234456e+78", -1.234456e78},       {".5", 0.5},
        {"1.", 1},         {"3E-2", 0.03},     {"0", 0},
        {"12i", 12},       {"-12i", -12},      {"0i", 0},
        {"9223372036854775807i", 9223372036854775807.0},
        {"-9223372036854775808i", -9223372036854775808.0},
        {"12u", 12},       {"18446744073709551615u", 18446744073709551615.0},
        {"t", 1},          {"T", 1},           {"true", 1},
        {"True", 1},       {"TRUE", 1},        {"f", 0},
        {"F", 0},          {"false", 0},       {"False", 0},
        {"FALSE", 0},
    };
    for (size_t i = 0; i < FL_ARRAY_LEN(cases); i++) {
        char line[256];
        snprintf(line, sizeof line, "m,host=h v=%s 1700000000000000000",
                 cases[i].v);
        decoded d = influx(line);
        CHECK_MSG(d.ok, "refused %s (%s)", cases[i].v,
                  fl_bad_reason_name(d.why));
        if (d.ok)
            CHECK_MSG(d.ev[0].value == cases[i].want, "%s gave %.17g",
                      cases[i].v, d.ev[0].value);
    }
}

static void timestamps(void)
{
    /* nanoseconds, and other epoch units by magnitude */
    decoded d = influx("m,host=h v=1 1700000000123456789");
    REQUIRE(d.ok);
    CHECK_EQ(d.ev[0].ts, 1700000000123456789LL);
    d = influx("m,host=h v=1 1700000000123");
    REQUIRE(d.ok);
    CHECK_EQ(d.ev[0].ts, 1700000000123000000LL);
    d = influx("m,host=h v=1 1700000000");
    REQUIRE(d.ok);
    CHECK_EQ(d.ev[0].ts, 1700000000000000000LL);
}

/* ------------------------------------------------------------- service */

static void service_choice(void)
{
    decoded d = influx("m,service=api,host=h v=1 1700000000000000000");
    REQUIRE(d.ok);
    CHECK_FLSTR(d.ev[0].service, "api");
    CHECK_FLSTR(d.ev[0].metric, "m.v{host=h}");
    d = influx("m,host=h v=1 1700000000000000000");
    REQUIRE(d.ok);
    CHECK_FLSTR(d.ev[0].service, "h");
    CHECK_FLSTR(d.ev[0].metric, "m.v");
    d = influx("m v=1 1700000000000000000");
    REQUIRE(d.ok);
    CHECK_FLSTR(d.ev[0].service, "fallback");
    /* no tag and no fallback */
    d = dec_line(FL_FORMAT_INFLUX, "m v=1 1700000000000000000", NULL);
    CHECK(!d.ok && d.why == FL_BAD_NO_SERVICE);
    /* a service tag that is not a usable name */
    char line[600];
    snprintf(line, sizeof line, "m,service=%0300d v=1 1700000000000000000", 7);
    check_reject(line, FL_BAD_NO_SERVICE);
    check_reject("m,service=\\  v=1 1700000000000000000", FL_BAD_NO_SERVICE);
}

/* -------------------------------------------------- several per line */

static void many_fields(void)
{
    char line[20000];
    size_t k = (size_t)snprintf(line, sizeof line, "m,host=h ");
    for (int i = 0; i < 300; i++)
        k += (size_t)snprintf(line + k, sizeof line - k, "%sf%d=%di",
                              i ? "," : "", i, i);
    snprintf(line + k, sizeof line - k, " 1700000000000000000");
    static fl_decoder *dec;
    if (!dec)
        dec = fl_decoder_new(FL_FORMAT_INFLUX);
    fl_event ev;
    fl_bad_reason why;
    REQUIRE(fl_decode_line(dec, (fl_str){line, strlen(line)}, FL_STR_NULL,
                           &ev, &why));
    CHECK_FLSTR(ev.metric, "m.f0");
    int n = 1;
    while (fl_decoder_more(dec, &ev)) {
        char want[32];
        snprintf(want, sizeof want, "m.f%d", n);
        CHECK_FLSTR(ev.metric, want);
        CHECK_EQ(ev.value, n);
        CHECK_FLSTR(ev.service, "h");
        n++;
    }
    CHECK_EQ(n, 300);
    /* the next line replaces the queue */
    REQUIRE(fl_decode_line(dec, fl_str_c("x,host=y a=1,b=2 1700000000000000000"),
                           FL_STR_NULL, &ev, &why));
    CHECK_FLSTR(ev.metric, "x.a");
    REQUIRE(fl_decoder_more(dec, &ev));
    CHECK_FLSTR(ev.metric, "x.b");
    CHECK(!fl_decoder_more(dec, &ev));
    /* a refused line leaves nothing queued */
    CHECK(!fl_decode_line(dec, fl_str_c("x,host=y a=1,b=2"), FL_STR_NULL, &ev,
                          &why));
    CHECK(!fl_decoder_more(dec, &ev));
}

/* ----------------------------------------------------------- rejections */

static void rejections(void)
{
    const char *syntax[] = {
        "",
        "   ",
        "# a comment",
        "m",
        "m,host=h",
        "m,host=h 1700000000000000000",
        ",host=h v=1 1700000000000000000",     /* no measurement */
        " ,a=b v=1 1700000000000000000",
        "m,host v=1 1700000000000000000",       /* tag without '=' */
        "m,host= v=1 1700000000000000000",      /* empty tag value */
        "m,=h v=1 1700000000000000000",         /* empty tag key */
        "m,host=h, v=1 1700000000000000000",    /* trailing comma */
        "m,host=h v 1700000000000000000",       /* field without '=' */
        "m,host=h v= 1700000000000000000",      /* empty field value */
        "m,host=h =1 1700000000000000000",      /* empty field key */
        "m,host=h v=1, 1700000000000000000",    /* trailing comma */
        "m,host=h v=1,,w=2 1700000000000000000",
        "m,host=h v=\"open 1700000000000000000",   /* unterminated string */
        "m,host=h v=\"a\"b 1700000000000000000",   /* junk after a string */
        "m,host=h v=abc 1700000000000000000",
        "m,host=h v=1x 1700000000000000000",
        "m,host=h v=1.2.3 1700000000000000000",
        "m,host=h v=--1 1700000000000000000",
        "m,host=h v=+1 1700000000000000000",
        "m,host=h v=1e 1700000000000000000",
        "m,host=h v=nan 1700000000000000000",
        "m,host=h v=inf 1700000000000000000",
        "m,host=h v=0x10 1700000000000000000",
        "m,host=h v=1.5i 1700000000000000000",
        "m,host=h v=-1u 1700000000000000000",
        "m,host=h v=i 1700000000000000000",
        "m,host=h v=yes 1700000000000000000",
        "m,host=h v=1 1700000000000000000 extra",
        "m,host=h v=1 17000000000x",
        "m,host=h v=1 1.5",
        "m,host=h\tv=1 1700000000000000000",
    };
    for (size_t i = 0; i < FL_ARRAY_LEN(syntax); i++)
        check_reject(syntax[i], FL_BAD_SYNTAX);

    check_reject("m,host=h v=1", FL_BAD_NO_TIMESTAMP);
    check_reject("m,host=h v=1   ", FL_BAD_NO_TIMESTAMP);
    check_reject("m,host=h v=1 -1700000000000000000", FL_BAD_TIMESTAMP);
    check_reject("m,host=h v=1 0", FL_BAD_TIMESTAMP);
    check_reject("m,host=h v=1 946684799", FL_BAD_TIMESTAMP); /* 1999 */
    check_reject("m,host=h v=1 17000000000000000000000", FL_BAD_TIMESTAMP);
    check_reject("m,host=h v=1 4102444800000000000", FL_BAD_TIMESTAMP); /* 2100 */

    check_reject("m,host=h v=9223372036854775808i 1700000000000000000",
                 FL_BAD_VALUE);
    check_reject("m,host=h v=-9223372036854775809i 1700000000000000000",
                 FL_BAD_VALUE);
    check_reject("m,host=h v=18446744073709551616u 1700000000000000000",
                 FL_BAD_VALUE);
    check_reject("m,host=h v=1e400 1700000000000000000", FL_BAD_VALUE);
    check_reject("m,host=h s=\"only a string\" 1700000000000000000",
                 FL_BAD_VALUE);
    /* a metric name longer than FL_METRIC_NAME_MAX bytes */
    char line[4000];
    snprintf(line, sizeof line, "m,host=h %0256d=1 1700000000000000000", 0);
    check_reject(line, FL_BAD_VALUE);
    snprintf(line, sizeof line, "m,host=h,t=%0250d v=1 1700000000000000000", 0);
    check_reject(line, FL_BAD_VALUE);
    /* just under the limit: "m." + 253 bytes */
    snprintf(line, sizeof line, "m,host=h %0253d=1 1700000000000000000", 0);
    decoded d = influx(line);
    REQUIRE(d.ok);
    CHECK_EQ(d.ev[0].metric.n, FL_METRIC_NAME_MAX);
    /* more tags than the decoder keeps */
    size_t k = (size_t)snprintf(line, sizeof line, "m");
    for (int i = 0; i < 257 && k < sizeof line - 64; i++)
        k += (size_t)snprintf(line + k, sizeof line - k, ",t%d=x", i);
    snprintf(line + k, sizeof line - k, " v=1 1700000000000000000");
    check_reject(line, FL_BAD_VALUE);

    /* invalid UTF-8 anywhere */
    check_reject("m,host=h\xff v=1 1700000000000000000", FL_BAD_UTF8);
    check_reject("m,host=h v=1,s=\"\xc3\x28\" 1700000000000000000", FL_BAD_UTF8);
}

/* --------------------------------------------------------------- auto */

static void sniffing(void)
{
    fl_format f;
    CHECK(fl_format_parse("influx", &f) && f == FL_FORMAT_INFLUX);
    CHECK(strstr(fl_format_names(), "influx") != NULL);

    const char *yes[] = {
        "cpu,cpu=cpu0,host=web01 usage_user=1.2 1700000000000000000",
        "mem,host=a used_percent=41.5,available=8123456512i 1700000000000000000",
        "nab,service=x value=1 1404172800000000000",
        "weather temperature=82 1465839830100400200",
        "my\\ m,host=a v=1 1700000000000000000 ",
    };
    for (size_t i = 0; i < FL_ARRAY_LEN(yes); i++) {
        decoded d = dec_line(FL_FORMAT_AUTO, yes[i], "fb");
        CHECK_MSG(d.ok && d.ev[0].kind == FL_EV_METRIC, "auto: %s -> %s",
                  yes[i], d.ok ? "not a metric" : fl_bad_reason_name(d.why));
    }
    /* JSON, logfmt, access logs and text are not Influx */
    const char *no[] = {
        "{\"ts\":1700000000,\"service\":\"a\",\"msg\":\"x=1 1700000000000000000\"}",
        "ts=2024-03-10T12:00:00Z service=api level=info latency_ms=12 "
        "1700000000000000000",
        "level=info msg=x 1700000000000000000",
        "10.0.0.1 - - [10/Mar/2024:12:00:00 +0000] \"GET /api HTTP/1.1\" "
        "200 512",
        "connection refused to db:5432",
        "error x=1 1700000000",            /* not a 19-digit timestamp */
        "cpu,host=a usage=1",              /* no timestamp: --format influx */
        "cpu,host=a usage=1 1700000000000",
        "cpu,host=a  1700000000000000000",
        "cpu,host=a =1 1700000000000000000",
        "cpu,host=a x= 1700000000000000000",
        "\"q\" v=1 1700000000000000000",
        "# c v=1 1700000000000000000",
        "<14>Mar 10 12:00:00 host app: v=1 1700000000000000000",
        "",
    };
    for (size_t i = 0; i < FL_ARRAY_LEN(no); i++) {
        char buf[512];
        snprintf(buf, sizeof buf, "%s", no[i]);
        decoded d = dec_line(FL_FORMAT_AUTO, buf, "fb");
        CHECK_MSG(!d.ok || d.ev[0].kind != FL_EV_METRIC, "auto took as "
                  "Influx: %s", no[i]);
    }
}

/* The strings of every event of a line stay valid (and unchanged) until
 * the next line is decoded, however many events the line held. */
static void strings_stable(void)
{
    static fl_decoder *dec;
    if (!dec)
        dec = fl_decoder_new(FL_FORMAT_INFLUX);
    fl_event ev[4];
    fl_bad_reason why;
    const char *line = "a\\ b,host=h\\,1,x=y c=1,d=2,e=3 1700000000000000000";
    char *copy = strdup(line);
    REQUIRE(fl_decode_line(dec, (fl_str){copy, strlen(copy)}, FL_STR_NULL,
                           &ev[0], &why));
    for (int i = 1; i < 3; i++)
        REQUIRE(fl_decoder_more(dec, &ev[i]));
    CHECK_FLSTR(ev[0].metric, "a b.c{x=y}");
    CHECK_FLSTR(ev[1].metric, "a b.d{x=y}");
    CHECK_FLSTR(ev[2].metric, "a b.e{x=y}");
    for (int i = 0; i < 3; i++)
        CHECK_FLSTR(ev[i].service, "h,1");
    free(copy);
}

static const unit_test tests[] = {
    UNIT_TEST(telegraf_lines), UNIT_TEST(reference_examples),
    UNIT_TEST(escapes),        UNIT_TEST(field_types),
    UNIT_TEST(timestamps),     UNIT_TEST(service_choice),
    UNIT_TEST(many_fields),    UNIT_TEST(rejections),
    UNIT_TEST(sniffing),       UNIT_TEST(strings_stable),
};
UNIT_SUITE(unit_suite_influx, "influx", tests);
