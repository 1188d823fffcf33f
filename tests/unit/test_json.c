/* test_json.c - ingest/json.c and ingest/decode.c: field mapping, ECS,
 * levels, error classification, change events, escapes, and every
 * rejection reason. */
#define _POSIX_C_SOURCE 200809L
#include "../../ingest/fl_ingest.h"
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>

#define T0_NS ((fl_time)1710074096 * FL_NS_PER_SEC) /* 2024-03-10T12:34:56Z */
#define TS "\"ts\":\"2024-03-10T12:34:56Z\""
#define SVC "\"service\":\"api\""
#define BASE TS "," SVC

static fl_decoder *dec;

static bool decode(const char *line, fl_event *ev, fl_bad_reason *why)
{
    memset(ev, 0xA5, sizeof *ev); /* no field may be left unset */
    *why = FL_BAD__COUNT;
    return fl_json_decode(dec, fl_str_c(line), ev, why);
}

/* Decodes a line that must be accepted; returns false (after recording the
 * failure) when it was not. */
#define DECODE_OK(line, ev)                                                   \
    do {                                                                      \
        fl_bad_reason why_;                                                   \
        if (!decode(line, &(ev), &why_)) {                                    \
            unit_fail(__FILE__, __LINE__, "rejected (%s): %s",                \
                      fl_bad_reason_name(why_), line);                        \
            return;                                                           \
        }                                                                     \
    } while (0)

#define CHECK_REJECT(line, reason)                                            \
    do {                                                                      \
        fl_event ev_;                                                         \
        fl_bad_reason why_;                                                   \
        bool ok_ = decode(line, &ev_, &why_);                                 \
        CHECK_MSG(!ok_ && why_ == (reason),                                   \
                  "want %s, got %s: %s", fl_bad_reason_name(reason),          \
                  ok_ ? "accepted" : fl_bad_reason_name(why_), line);         \
    } while (0)

static void setup(void)
{
    dec = fl_decoder_new(FL_FORMAT_JSON);
}

static void teardown(void)
{
    fl_decoder_destroy(dec);
    dec = NULL;
}

/* ------------------------------------------------------------- mapping */

static void simple_keys_body(void)
{
    fl_event ev;
    DECODE_OK("{\"ts\":\"2024-03-10T12:34:56.250Z\",\"service\":\"api\","
              "\"level\":\"info\",\"status\":200,\"latency_ms\":12.5,"
              "\"msg\":\"GET /x\",\"upstream\":\"db\",\"version\":\"v1.2\"}",
              ev);
    CHECK_EQ(ev.kind, FL_EV_REQUEST);
    CHECK_EQ(ev.ts, T0_NS + 250000000);
    CHECK_FLSTR(ev.service, "api");
    CHECK_EQ(ev.level, FL_LEVEL_INFO);
    CHECK_EQ(ev.status, 200);
    CHECK(ev.latency_ms == 12.5);
    CHECK_FLSTR(ev.msg, "GET /x");
    CHECK_FLSTR(ev.upstream, "db");
    CHECK_FLSTR(ev.version, "v1.2");
    CHECK(!fl_event_is_error(&ev));
    CHECK_NAN(ev.value);
    CHECK_EQ(ev.change_id.n, 0);
    CHECK_EQ(ev.author.n, 0);
    CHECK_EQ(ev.metric.n, 0);

    /* only the required fields: everything else absent */
    DECODE_OK("{" BASE "}", ev);
    CHECK_EQ(ev.ts, T0_NS);
    CHECK_FLSTR(ev.service, "api");
    CHECK_EQ(ev.status, 0);
    CHECK_EQ(ev.level, FL_LEVEL_NONE);
    CHECK_NAN(ev.latency_ms);
    CHECK_EQ(ev.msg.n, 0);
    CHECK_EQ(ev.upstream.n, 0);
    CHECK_EQ(ev.version.n, 0);

    /* whitespace everywhere JSON allows it */
    DECODE_OK(" \t{ \"ts\" :\t\"2024-03-10T12:34:56Z\" ,\r\n \"service\" : "
              "\"api\" , \"status\" : 503 } \t",
              ev);
    CHECK_EQ(ev.status, 503);
    /* other spellings of the same fields */
    DECODE_OK("{" BASE ",\"status_code\":404,\"duration_ms\":3,"
              "\"severity\":\"warning\",\"upstream_cluster\":\"cart\"}",
              ev);
    CHECK_EQ(ev.status, 404);
    CHECK(ev.latency_ms == 3);
    CHECK_EQ(ev.level, FL_LEVEL_WARN);
    CHECK_FLSTR(ev.upstream, "cart");
    /* an upstream that is not a usable name is dropped, not fatal */
    DECODE_OK("{" BASE ",\"upstream\":\"\"}", ev);
    CHECK_EQ(ev.upstream.n, 0);
    CHECK_EQ(ev.path.n, 0);

    /* the request path, by every key, without query or fragment; an
     * absolute URI's path; empty or too long: none (not an error) */
    static const struct {
        const char *json, *path;
    } paths[] = {
        {"\"path\":\"/a/1\"", "/a/1"},
        {"\"url\":{\"path\":\"/b?x=1\"}", "/b"},
        {"\"url.path\":\"/b2#f\"", "/b2"},
        {"\"http.target\":\"/c?q\"", "/c"},
        {"\"http\":{\"route\":\"/d/{id}\"}", "/d/{id}"},
        {"\"request_path\":\"/e\"", "/e"},
        {"\"uri\":\"https://h.example:8080/f/g?x\"", "/f/g"},
        {"\"uri\":\"http://h.example\"", "/"},
        {"\"path\":\"/x://y\"", "/x://y"},
        {"\"path\":\"\"", NULL},
        {"\"path\":\"?only\"", NULL},
        {"\"path\":7", NULL},
    };
    for (size_t i = 0; i < FL_ARRAY_LEN(paths); i++) {
        char line[256];
        snprintf(line, sizeof line, "{" BASE ",%s}", paths[i].json);
        DECODE_OK(line, ev);
        if (paths[i].path)
            CHECK_FLSTR(ev.path, paths[i].path);
        else
            CHECK_MSG(ev.path.n == 0, "%s: path %.*s", line, (int)ev.path.n,
                      ev.path.p);
    }
    char *lng = malloc(FL_PATH_MAX + 64);
    REQUIRE(lng != NULL);
    int k = snprintf(lng, 64, "{" BASE ",\"path\":\"/");
    memset(lng + k, 'a', FL_PATH_MAX);
    snprintf(lng + k + FL_PATH_MAX, 8, "\"}");
    DECODE_OK(lng, ev);
    CHECK_EQ(ev.path.n, 0); /* FL_PATH_MAX + 1 bytes */
    free(lng);
}

static void time_keys_body(void)
{
    fl_event ev;
    static const char *const lines[] = {
        "{\"time\":\"2024-03-10T12:34:56Z\"," SVC "}",
        "{\"timestamp\":\"2024-03-10T12:34:56Z\"," SVC "}",
        "{\"@timestamp\":\"2024-03-10T12:34:56Z\"," SVC "}",
        "{\"ts\":\"2024-03-10T14:34:56+02:00\"," SVC "}",
        "{\"ts\":\"2024-03-10 12:34:56z\"," SVC "}",
        "{\"ts\":1710074096," SVC "}",
        "{\"ts\":\"1710074096\"," SVC "}",
        "{\"ts\":1710074096000," SVC "}",
        "{\"ts\":1710074096000000," SVC "}",
        "{\"ts\":1710074096000000000," SVC "}",
        "{\"ts\":1.710074096e9," SVC "}",
        "{" SVC ",\"@timestamp\":\"2024-03-10T12:34:56Z\"}",
    };
    for (size_t i = 0; i < FL_ARRAY_LEN(lines); i++) {
        DECODE_OK(lines[i], ev);
        CHECK_MSG(ev.ts == T0_NS, "%s: ts %lld", lines[i], (long long)ev.ts);
    }
    /* epoch milliseconds as a number */
    DECODE_OK("{\"ts\":1710074096123," SVC "}", ev);
    CHECK_NEAR(ev.ts, T0_NS + 123000000, 1000);
    DECODE_OK("{\"ts\":1710074096.5," SVC "}", ev);
    CHECK_NEAR(ev.ts, T0_NS + 500000000, 1000);
}

static void ecs_nested_and_flat_body(void)
{
    fl_event ev;
    DECODE_OK("{\"@timestamp\":\"2024-03-10T12:34:56Z\","
              "\"service\":{\"name\":\"checkout\",\"version\":\"2.0.1\"},"
              "\"http\":{\"request\":{\"method\":\"GET\"},"
              "\"response\":{\"status_code\":503}},"
              "\"event\":{\"duration\":12000000,\"dataset\":\"x\"},"
              "\"log\":{\"level\":\"ERROR\"},\"message\":\"boom\","
              "\"peer\":{\"service\":\"payments\"}}",
              ev);
    CHECK_FLSTR(ev.service, "checkout");
    CHECK_FLSTR(ev.version, "2.0.1");
    CHECK_EQ(ev.status, 503);
    CHECK_NEAR(ev.latency_ms, 12.0, 1e-12);
    CHECK_EQ(ev.level, FL_LEVEL_ERROR);
    CHECK_FLSTR(ev.msg, "boom");
    CHECK_FLSTR(ev.upstream, "payments");
    CHECK(fl_event_is_error(&ev));

    DECODE_OK("{\"@timestamp\":\"2024-03-10T12:34:56Z\","
              "\"service.name\":\"checkout\",\"service.version\":\"2.0.1\","
              "\"http.response.status_code\":503,"
              "\"event.duration\":12000000,\"log.level\":\"warn\","
              "\"peer.service\":\"payments\"}",
              ev);
    CHECK_FLSTR(ev.service, "checkout");
    CHECK_FLSTR(ev.version, "2.0.1");
    CHECK_EQ(ev.status, 503);
    CHECK_NEAR(ev.latency_ms, 12.0, 1e-12);
    CHECK_EQ(ev.level, FL_LEVEL_WARN);
    CHECK_FLSTR(ev.upstream, "payments");

    /* mixed: a nested object under a flat prefix */
    DECODE_OK("{" TS ",\"service\":{\"name\":\"a\"},"
              "\"http.response\":{\"status_code\":502}}",
              ev);
    CHECK_FLSTR(ev.service, "a");
    CHECK_EQ(ev.status, 502);
    /* the same names at other paths are not these fields */
    DECODE_OK("{" BASE ",\"x\":{\"status\":500,\"ts\":\"junk\"},"
              "\"http\":{\"status_code\":500},\"svc\":{\"service\":\"b\"}}",
              ev);
    CHECK_EQ(ev.status, 0);
    CHECK_FLSTR(ev.service, "api");
    /* keys inside arrays never map */
    DECODE_OK("{" BASE ",\"list\":[{\"status\":500},{\"service\":\"z\"}]}",
              ev);
    CHECK_EQ(ev.status, 0);
    CHECK_FLSTR(ev.service, "api");
    /* event.duration is nanoseconds; latency_ms wins when both appear */
    DECODE_OK("{" BASE ",\"event.duration\":2500000}", ev);
    CHECK_NEAR(ev.latency_ms, 2.5, 1e-12);
    DECODE_OK("{" BASE ",\"event.duration\":2500000,\"latency_ms\":7}", ev);
    CHECK(ev.latency_ms == 7);
    /* a deep object on a known prefix: "service" with no name inside */
    CHECK_REJECT("{" TS ",\"service\":{\"id\":\"api\"}}", FL_BAD_NO_SERVICE);
}

static void message_keys_body(void)
{
    fl_event ev;
    DECODE_OK("{" BASE ",\"message\":\"via message\"}", ev);
    CHECK_FLSTR(ev.msg, "via message");
    DECODE_OK("{" BASE ",\"msg\":\"via msg\"}", ev);
    CHECK_FLSTR(ev.msg, "via msg");
    DECODE_OK("{" BASE ",\"msg\":\"first\",\"message\":\"second\"}", ev);
    CHECK_FLSTR(ev.msg, "second");
    DECODE_OK("{" BASE ",\"message\":\"\"}", ev);
    CHECK_EQ(ev.msg.n, 0);
    /* a message that is not a string is no message */
    DECODE_OK("{" BASE ",\"msg\":42}", ev);
    CHECK_EQ(ev.msg.n, 0);
}

static void status_values_body(void)
{
    fl_event ev;
    DECODE_OK("{" BASE ",\"status\":\"503\"}", ev);
    CHECK_EQ(ev.status, 503);
    DECODE_OK("{" BASE ",\"status_code\":\"404\"}", ev);
    CHECK_EQ(ev.status, 404);
    DECODE_OK("{" BASE ",\"status\":100}", ev);
    CHECK_EQ(ev.status, 100);
    DECODE_OK("{" BASE ",\"status\":599}", ev);
    CHECK_EQ(ev.status, 599);
    DECODE_OK("{" BASE ",\"status\":5.03e2}", ev);
    CHECK_EQ(ev.status, 503);
    DECODE_OK("{" BASE ",\"status\":null}", ev); /* null is absence */
    CHECK_EQ(ev.status, 0);
    DECODE_OK("{" BASE ",\"latency_ms\":\"12.5\"}", ev);
    CHECK(ev.latency_ms == 12.5);
    DECODE_OK("{" BASE ",\"latency_ms\":0}", ev);
    CHECK(ev.latency_ms == 0);
    DECODE_OK("{" BASE ",\"latency_ms\":86400000}", ev); /* a day: the max */
    CHECK(ev.latency_ms == 86400000);
    DECODE_OK("{" BASE ",\"latency_ms\":null}", ev);
    CHECK_NAN(ev.latency_ms);
}

static void levels_body(void)
{
    static const struct {
        const char *v;
        fl_level l;
    } cases[] = {
        {"\"trace\"", FL_LEVEL_TRACE},      {"\"DEBUG\"", FL_LEVEL_DEBUG},
        {"\"Info\"", FL_LEVEL_INFO},        {"\"information\"", FL_LEVEL_INFO},
        {"\"NOTICE\"", FL_LEVEL_INFO},      {"\"warn\"", FL_LEVEL_WARN},
        {"\"Warning\"", FL_LEVEL_WARN},     {"\"error\"", FL_LEVEL_ERROR},
        {"\"ERR\"", FL_LEVEL_ERROR},        {"\"eRrOr\"", FL_LEVEL_ERROR},
        {"\"fatal\"", FL_LEVEL_FATAL},      {"\"CRITICAL\"", FL_LEVEL_FATAL},
        {"\"crit\"", FL_LEVEL_FATAL},       {"\"emerg\"", FL_LEVEL_FATAL},
        {"\"emergency\"", FL_LEVEL_FATAL},  {"\"alert\"", FL_LEVEL_FATAL},
        {"\"panic\"", FL_LEVEL_FATAL},      {"\"verbose\"", FL_LEVEL_NONE},
        {"\"\"", FL_LEVEL_NONE},            {"\"errors\"", FL_LEVEL_NONE},
        {"10", FL_LEVEL_TRACE},             {"20", FL_LEVEL_DEBUG},
        {"30", FL_LEVEL_INFO},              {"40", FL_LEVEL_WARN},
        {"50", FL_LEVEL_ERROR},             {"60", FL_LEVEL_FATAL},
        {"true", FL_LEVEL_NONE},            {"null", FL_LEVEL_NONE},
    };
    for (size_t i = 0; i < FL_ARRAY_LEN(cases); i++) {
        char line[256];
        snprintf(line, sizeof line, "{" BASE ",\"level\":%s}", cases[i].v);
        fl_event ev;
        DECODE_OK(line, ev);
        CHECK_MSG(ev.level == cases[i].l, "%s: level %d, want %d", line,
                  (int)ev.level, (int)cases[i].l);
    }
}

static void error_classification_body(void)
{
    static const struct {
        const char *extra;
        bool err;
    } cases[] = {
        {",\"status\":500", true},
        {",\"status\":503", true},
        {",\"status\":599", true},
        {",\"status\":\"502\"", true},
        {",\"status\":200", false},
        {",\"status\":404", false},
        {",\"status\":499", false},
        {",\"status\":404,\"level\":\"error\"", false}, /* 4xx: client's */
        {",\"status\":200,\"level\":\"fatal\"", false}, /* status decides */
        {",\"status\":503,\"level\":\"info\"", true},
        {",\"level\":\"error\"", true}, /* no status: the level decides */
        {",\"level\":\"ERROR\"", true},
        {",\"level\":\"critical\"", true},
        {",\"level\":50", true},
        {",\"level\":60", true},
        {",\"level\":\"warn\"", false},
        {",\"level\":40", false},
        {"", false},
    };
    for (size_t i = 0; i < FL_ARRAY_LEN(cases); i++) {
        char line[256];
        snprintf(line, sizeof line, "{" BASE "%s}", cases[i].extra);
        fl_event ev;
        DECODE_OK(line, ev);
        CHECK_MSG(fl_event_is_error(&ev) == cases[i].err,
                  "%s: is_error %d, want %d", line, fl_event_is_error(&ev),
                  cases[i].err);
    }
}

static void change_events_body(void)
{
    static const struct {
        const char *kind;
        fl_change_kind k;
    } kinds[] = {
        {"deploy", FL_CHANGE_DEPLOY},
        {"config", FL_CHANGE_CONFIG},
        {"rollback", FL_CHANGE_ROLLBACK},
        {"flag", FL_CHANGE_FLAG},
    };
    for (size_t i = 0; i < FL_ARRAY_LEN(kinds); i++) {
        char line[512];
        snprintf(line, sizeof line,
                 "{" TS ",\"service\":\"cart\",\"kind\":\"%s\","
                 "\"version\":\"v2.3.1\",\"change_id\":\"chg-1a2b\","
                 "\"author\":\"alice\",\"msg\":\"ship it\"}",
                 kinds[i].kind);
        fl_event ev;
        DECODE_OK(line, ev);
        CHECK_EQ(ev.kind, FL_EV_CHANGE);
        CHECK_EQ(ev.change_kind, kinds[i].k);
        CHECK_STR(fl_change_kind_name(ev.change_kind), kinds[i].kind);
        CHECK_EQ(ev.ts, T0_NS);
        CHECK_FLSTR(ev.service, "cart");
        CHECK_FLSTR(ev.version, "v2.3.1");
        CHECK_FLSTR(ev.change_id, "chg-1a2b");
        CHECK_FLSTR(ev.author, "alice");
        CHECK_FLSTR(ev.msg, "ship it");
    }
    fl_event ev;
    /* ECS service.version on a change */
    DECODE_OK("{" TS ",\"service\":{\"name\":\"cart\",\"version\":\"9\"},"
              "\"kind\":\"deploy\"}",
              ev);
    CHECK_EQ(ev.kind, FL_EV_CHANGE);
    CHECK_FLSTR(ev.version, "9");
    CHECK_EQ(ev.change_id.n, 0);
    CHECK_EQ(ev.author.n, 0);
    /* another kind: an ordinary request line */
    DECODE_OK("{" BASE ",\"kind\":\"request\",\"status\":200}", ev);
    CHECK_EQ(ev.kind, FL_EV_REQUEST);
    CHECK_EQ(ev.status, 200);
    DECODE_OK("{" BASE ",\"kind\":7}", ev);
    CHECK_EQ(ev.kind, FL_EV_REQUEST);
    /* a change still needs time and service */
    CHECK_REJECT("{\"service\":\"cart\",\"kind\":\"deploy\"}",
                 FL_BAD_NO_TIMESTAMP);
    CHECK_REJECT("{" TS ",\"kind\":\"deploy\"}", FL_BAD_NO_SERVICE);
}

static void escapes_body(void)
{
    fl_event ev;
    DECODE_OK("{" TS ",\"service\":\"caf\\u00e9\",\"msg\":\"a\\nb\\tc\"}", ev);
    CHECK_FLSTR(ev.service, "caf\xC3\xA9");
    CHECK_FLSTR(ev.msg, "a\nb\tc");
    DECODE_OK("{" TS ",\"service\":\"say \\\"hi\\\"\",\"msg\":\"q\\\"\\\\"
              "\\/\\b\\f\\r\"}",
              ev);
    CHECK_FLSTR(ev.service, "say \"hi\"");
    CHECK_FLSTR(ev.msg, "q\"\\/\b\f\r");
    /* raw UTF-8 is kept as is */
    DECODE_OK("{" TS ",\"service\":\"na\xC3\xAFve\",\"msg\":\"\xE2\x82\xAC"
              "\xF0\x9F\x98\x80\"}",
              ev);
    CHECK_FLSTR(ev.service, "na\xC3\xAFve");
    CHECK_FLSTR(ev.msg, "\xE2\x82\xAC\xF0\x9F\x98\x80");
    /* surrogate pairs: U+1F600 */
    DECODE_OK("{" TS ",\"service\":\"s\\ud83d\\ude00\",\"msg\":\"\\uD83D"
              "\\uDE00!\"}",
              ev);
    CHECK_FLSTR(ev.service, "s\xF0\x9F\x98\x80");
    CHECK_FLSTR(ev.msg, "\xF0\x9F\x98\x80!");
    /* BMP escapes of every length */
    DECODE_OK("{" BASE ",\"msg\":\"\\u0041\\u00e9\\u20ac\\uFFFF\"}", ev);
    CHECK_FLSTR(ev.msg, "A\xC3\xA9\xE2\x82\xAC\xEF\xBF\xBF");
    /* lone surrogates become U+FFFD */
    DECODE_OK("{" BASE ",\"msg\":\"x\\ud800\"}", ev);
    CHECK_FLSTR(ev.msg, "x\xEF\xBF\xBD");
    DECODE_OK("{" BASE ",\"msg\":\"x\\udc00y\"}", ev);
    CHECK_FLSTR(ev.msg, "x\xEF\xBF\xBDy");
    DECODE_OK("{" BASE ",\"msg\":\"x\\ud800y\"}", ev);
    CHECK_FLSTR(ev.msg, "x\xEF\xBF\xBDy");
    DECODE_OK("{" TS ",\"service\":\"s\\ud800\",\"msg\":\"m\"}", ev);
    CHECK_FLSTR(ev.service, "s\xEF\xBF\xBD");
    /* \u0000 would cut C strings: made visible */
    DECODE_OK("{" BASE ",\"msg\":\"a\\u0000b\"}", ev);
    CHECK_FLSTR(ev.msg, "a\xEF\xBF\xBD" "b");
    /* a service with a control character is not a usable name */
    CHECK_REJECT("{" TS ",\"service\":\"a\\nb\"}", FL_BAD_NO_SERVICE);
    CHECK_REJECT("{" TS ",\"service\":\"a\\u007fb\"}", FL_BAD_NO_SERVICE);
    /* several escaped fields in one line do not overwrite each other */
    DECODE_OK("{\"ts\":\"2024-03-10T12:34:56\\u005a\",\"service\":\"\\u0061"
              "pi\",\"msg\":\"\\u006dsg\",\"version\":\"\\u00761\","
              "\"upstream\":\"\\u0064b\"}",
              ev);
    CHECK_EQ(ev.ts, T0_NS);
    CHECK_FLSTR(ev.service, "api");
    CHECK_FLSTR(ev.msg, "msg");
    CHECK_FLSTR(ev.version, "v1");
    CHECK_FLSTR(ev.upstream, "db");
    /* escaped keys match too */
    DECODE_OK("{" TS ",\"s\\u0065rvice\":\"api\",\"\\u006dsg\":\"k\"}", ev);
    CHECK_FLSTR(ev.service, "api");
    CHECK_FLSTR(ev.msg, "k");
}

/* A lone high surrogate followed by an escape that is not a low surrogate:
 * the surrogate becomes U+FFFD and the following character is kept. */
static void lone_surrogate_keeps_next_body(void)
{
    fl_event ev;
    DECODE_OK("{" BASE ",\"msg\":\"x\\ud800\\u0041y\"}", ev);
    CHECK_FLSTR(ev.msg, "x\xEF\xBF\xBD" "Ay");
    DECODE_OK("{" BASE ",\"msg\":\"\\ud800\\ud83d\\ude00\"}", ev);
    CHECK_FLSTR(ev.msg, "\xEF\xBF\xBD\xF0\x9F\x98\x80");
    DECODE_OK("{" BASE ",\"msg\":\"\\ud800\\n\"}", ev);
    CHECK_FLSTR(ev.msg, "\xEF\xBF\xBD\n");
}

/* ---------------------------------------------------------- rejections */

static void syntax_rejects_body(void)
{
    static const char *const bad[] = {
        "",
        " ",
        "{",
        "}",
        "{\"ts\":\"2024-03-10T12:34:56Z\",\"service\":\"api\"",   /* cut */
        "{\"ts\":\"2024-03-10T12:34:56Z\",\"service\":\"ap",      /* cut */
        "{\"ts\":\"2024-03-10T12:34:56Z\",\"service\":",           /* cut */
        "{\"ts\":\"2024-03-10T12:34:56Z\",\"service\"",            /* cut */
        "{" BASE "} x",                                           /* trailing */
        "{" BASE "}}",
        "{" BASE "},",
        "{" BASE "}{}",
        "hello",
        "null",
        "[1,2]",
        "\"str\"",
        "42",
        "{" BASE ",\"status\":0200}",   /* leading zero */
        "{" BASE ",\"status\":-0200}",
        "{" BASE ",\"x\":00}",
        "{'ts':'2024-03-10T12:34:56Z','service':'api'}", /* single quotes */
        "{" TS ",\"service\":'api'}",
        "{" BASE ",}",                  /* trailing comma */
        "{" BASE ",\"x\":[1,]}",
        "{,}",
        "{" BASE ",\"x\" 1}",           /* missing colon */
        "{" BASE ",x:1}",               /* unquoted key */
        "{" BASE ",\"x\":tru}",
        "{" BASE ",\"x\":nul}",
        "{" BASE ",\"x\":True}",
        "{" BASE ",\"x\":1.}",
        "{" BASE ",\"x\":.5}",
        "{" BASE ",\"x\":+1}",
        "{" BASE ",\"x\":1e}",
        "{" BASE ",\"x\":1e+}",
        "{" BASE ",\"x\":-}",
        "{" BASE ",\"x\":NaN}",
        "{" BASE ",\"x\":Infinity}",
        "{" BASE ",\"x\":0x10}",
        "{" BASE ",\"x\":\"\\x\"}",      /* bad escape */
        "{" BASE ",\"x\":\"\\u12g4\"}",
        "{" BASE ",\"x\":\"\\u12\"}",
        "{" BASE ",\"x\":\"a\tb\"}",     /* raw control character */
        "{" BASE ",\"x\":\"a\nb\"}",
        "{" BASE ",\"x\":\"\x01\"}",
        "{" BASE ",\"x\":[1 2]}",
        "{" BASE ",\"x\":{\"a\"}}",
        "{" BASE " \"x\":1}",           /* missing comma */
        "{" BASE ",\"x\":1} // comment",
        "{" BASE ",\"x\":\"unterminated}",
        "{" BASE ",\"x\":\"ends in backslash\\",
    };
    for (size_t i = 0; i < FL_ARRAY_LEN(bad); i++)
        CHECK_REJECT(bad[i], FL_BAD_SYNTAX);
    /* syntax is judged before anything else: a good prefix does not help,
     * and a bad line with no timestamp is still a syntax error */
    CHECK_REJECT("{\"service\":\"api\",", FL_BAD_SYNTAX);
}

static void utf8_rejects_body(void)
{
    static const char *const bad[] = {
        "{" TS ",\"service\":\"a\xFF" "b\"}",          /* invalid byte */
        "{" BASE ",\"msg\":\"\xC0\xAF\"}",             /* overlong '/' */
        "{" BASE ",\"msg\":\"\xE0\x80\xAF\"}",         /* overlong */
        "{" BASE ",\"msg\":\"\xED\xA0\x80\"}",         /* surrogate */
        "{" BASE ",\"msg\":\"\xE2\x82\"}",             /* truncated */
        "{" BASE ",\"msg\":\"\x80\"}",                 /* lone continuation */
        "{" BASE ",\"msg\":\"\xF4\x90\x80\x80\"}",     /* > U+10FFFF */
        "{" BASE ",\"msg\":\"\xF8\x88\x80\x80\x80\"}", /* 5-byte form */
        "{" BASE ",\"unknown\":\"x\xFEy\"}",           /* skipped value */
        "{" BASE ",\"k\xFF\":1}",                      /* in a key */
        "{" BASE ",\"a\":[\"\xC3\"]}",                 /* in an array */
        "{" BASE ",\"msg\":\"\\n\xFF\"}",              /* after an escape */
    };
    for (size_t i = 0; i < FL_ARRAY_LEN(bad); i++)
        CHECK_REJECT(bad[i], FL_BAD_UTF8);
}

static char *nested(int depth, char open, char close, const char *inner)
{
    size_t n = strlen(BASE) + (size_t)depth * 8 + strlen(inner) + 32;
    char *s = malloc(n);
    size_t k = (size_t)snprintf(s, n, "{" BASE ",\"deep\":");
    for (int i = 0; i < depth; i++) {
        if (open == '{')
            k += (size_t)snprintf(s + k, n - k, "{\"a\":");
        else
            s[k++] = open;
    }
    k += (size_t)snprintf(s + k, n - k, "%s", inner);
    for (int i = 0; i < depth; i++)
        s[k++] = close;
    s[k++] = '}';
    s[k] = '\0';
    return s;
}

static void too_deep_body(void)
{
    char *s = nested(100, '{', '}', "1");
    CHECK_REJECT(s, FL_BAD_TOO_DEEP);
    free(s);
    s = nested(100, '[', ']', "1");
    CHECK_REJECT(s, FL_BAD_TOO_DEEP);
    free(s);
    s = nested(5000, '[', ']', "1"); /* no stack overflow either */
    CHECK_REJECT(s, FL_BAD_TOO_DEEP);
    free(s);
    /* moderate nesting is fine */
    fl_event ev;
    s = nested(20, '{', '}', "1");
    bool ok = decode(s, &ev, &(fl_bad_reason){0});
    CHECK_MSG(ok, "20 levels of objects rejected");
    free(s);
    s = nested(20, '[', ']', "{\"service\":\"no\"}");
    ok = decode(s, &ev, &(fl_bad_reason){0});
    CHECK_MSG(ok, "20 levels of arrays rejected");
    if (ok)
        CHECK_FLSTR(ev.service, "api");
    free(s);
}

static void timestamp_rejects_body(void)
{
    CHECK_REJECT("{" SVC "}", FL_BAD_NO_TIMESTAMP);
    CHECK_REJECT("{" SVC ",\"ts\":null}", FL_BAD_NO_TIMESTAMP);
    CHECK_REJECT("{" SVC ",\"ts\":{\"sec\":1710074096}}", FL_BAD_NO_TIMESTAMP);
    CHECK_REJECT("{" SVC ",\"date\":\"2024-03-10T12:34:56Z\"}",
                 FL_BAD_NO_TIMESTAMP);
    static const char *const bad[] = {
        "\"1970-01-01T00:00:00Z\"",
        "\"1999-12-31T23:59:59Z\"",
        "\"2100-01-01T00:00:00Z\"",
        "\"2150-06-01T00:00:00Z\"",
        "0",
        "86400",
        "4102444800",          /* 2100 in seconds */
        "4102444800000",       /* 2100 in ms */
        "-1710074096",
        "1e30",
        "\"yesterday\"",
        "\"\"",
        "\"2024-03-10T12:34:56\"", /* no offset */
        "\"2024-02-30T12:34:56Z\"",
        "true",
        "[1710074096]",
    };
    for (size_t i = 0; i < FL_ARRAY_LEN(bad); i++) {
        char line[256];
        snprintf(line, sizeof line, "{" SVC ",\"ts\":%s}", bad[i]);
        fl_event ev;
        fl_bad_reason why;
        bool ok = decode(line, &ev, &why);
        /* an array is not a time: either no or a bad timestamp */
        bool want_why = why == FL_BAD_TIMESTAMP ||
                        (bad[i][0] == '[' && why == FL_BAD_NO_TIMESTAMP);
        CHECK_MSG(!ok && want_why, "want bad_timestamp, got %s: %s",
                  ok ? "accepted" : fl_bad_reason_name(why), line);
    }
    /* the edges of the accepted range */
    fl_event ev;
    DECODE_OK("{" SVC ",\"ts\":\"2000-01-01T00:00:00Z\"}", ev);
    DECODE_OK("{" SVC ",\"ts\":\"2099-12-31T23:59:59.999Z\"}", ev);
    DECODE_OK("{" SVC ",\"ts\":946684800}", ev);
}

static void service_rejects_body(void)
{
    static const char *const bad[] = {
        "{" TS "}",
        "{" TS ",\"service\":\"\"}",
        "{" TS ",\"service\":null}",
        "{" TS ",\"service\":42}",
        "{" TS ",\"service\":true}",
        "{" TS ",\"service\":[\"api\"]}",
        "{" TS ",\"service\":{}}",
        "{" TS ",\"service\":{\"name\":\"\"}}",
        "{" TS ",\"service\":\"a\\u0001b\"}",
        "{" TS ",\"service\":\"tab\\there\"}",
        "{" TS ",\"Service\":\"api\"}",
    };
    for (size_t i = 0; i < FL_ARRAY_LEN(bad); i++)
        CHECK_REJECT(bad[i], FL_BAD_NO_SERVICE);
    /* 256 bytes is the longest name */
    char line[1024], name[300];
    memset(name, 'x', 256);
    name[256] = '\0';
    snprintf(line, sizeof line, "{" TS ",\"service\":\"%s\"}", name);
    fl_event ev;
    DECODE_OK(line, ev);
    CHECK_EQ(ev.service.n, 256);
    name[256] = 'x';
    name[257] = '\0';
    snprintf(line, sizeof line, "{" TS ",\"service\":\"%s\"}", name);
    CHECK_REJECT(line, FL_BAD_NO_SERVICE);
}

static void value_rejects_body(void)
{
    static const char *const bad[] = {
        ",\"status\":999",
        ",\"status\":99",
        ",\"status\":0",
        ",\"status\":-503",
        ",\"status\":600",
        ",\"status\":503.5",
        ",\"status\":\"abc\"",
        ",\"status\":\"\"",
        ",\"status\":\"503 \"",
        ",\"status\":true",
        ",\"status\":1e300",
        ",\"http\":{\"response\":{\"status_code\":1000}}",
        ",\"latency_ms\":-1",
        ",\"latency_ms\":-0.001",
        ",\"latency_ms\":1e12",
        ",\"latency_ms\":86400001",
        ",\"latency_ms\":\"abc\"",
        ",\"latency_ms\":\"\"",
        ",\"latency_ms\":\"Infinity\"",
        ",\"latency_ms\":false",
        ",\"duration_ms\":-5",
        ",\"event.duration\":-1",
        ",\"event\":{\"duration\":1e20}",
    };
    for (size_t i = 0; i < FL_ARRAY_LEN(bad); i++) {
        char line[256];
        snprintf(line, sizeof line, "{" BASE "%s}", bad[i]);
        CHECK_REJECT(line, FL_BAD_VALUE);
    }
}

/* "NaN" as a latency is a broken producer like -1 or 1e12 is; it must not
 * pass as "no latency". */
static void latency_nan_string_rejected_body(void)
{
    CHECK_REJECT("{" BASE ",\"latency_ms\":\"NaN\"}", FL_BAD_VALUE);
    CHECK_REJECT("{" BASE ",\"latency_ms\":\"nan\"}", FL_BAD_VALUE);
    CHECK_REJECT("{" BASE ",\"event.duration\":\"NaN\"}", FL_BAD_VALUE);
}

static void duplicate_keys_body(void)
{
    fl_event ev;
    DECODE_OK("{" BASE ",\"service\":\"second\"}", ev);
    CHECK_FLSTR(ev.service, "second");
    DECODE_OK("{" BASE ",\"status\":200,\"status\":503}", ev);
    CHECK_EQ(ev.status, 503);
    DECODE_OK("{" BASE ",\"status\":503,\"status_code\":200}", ev);
    CHECK_EQ(ev.status, 200);
    DECODE_OK("{\"ts\":\"2001-01-01T00:00:00Z\"," BASE "}", ev);
    CHECK_EQ(ev.ts, T0_NS);
    DECODE_OK("{" BASE ",\"time\":\"2024-03-10T12:34:57Z\"}", ev);
    CHECK_EQ(ev.ts, T0_NS + FL_NS_PER_SEC);
    DECODE_OK("{" BASE ",\"msg\":\"e\\u0073caped\",\"msg\":\"plain\"}", ev);
    CHECK_FLSTR(ev.msg, "plain");
    DECODE_OK("{" BASE ",\"msg\":\"plain\",\"msg\":\"e\\u0073caped\"}", ev);
    CHECK_FLSTR(ev.msg, "escaped");
    /* the last occurrence decides even when it is bad */
    CHECK_REJECT("{" BASE ",\"status\":200,\"status\":999}", FL_BAD_VALUE);
    CHECK_REJECT("{" BASE ",\"service\":\"\"}", FL_BAD_NO_SERVICE);
    /* ... or null, which is absence */
    DECODE_OK("{" BASE ",\"status\":503,\"status\":null}", ev);
    CHECK_EQ(ev.status, 0);
    /* ECS nested and flat for the same field: the later wins */
    DECODE_OK("{" TS ",\"service\":{\"name\":\"nested\"},"
              "\"service.name\":\"flat\"}",
              ev);
    CHECK_FLSTR(ev.service, "flat");
    DECODE_OK("{" TS ",\"service.name\":\"flat\","
              "\"service\":{\"name\":\"nested\"}}",
              ev);
    CHECK_FLSTR(ev.service, "nested");
}

static void unknown_keys_skipped_body(void)
{
    fl_event ev;
    DECODE_OK("{\"a\":1,\"b\":-2.5e-3,\"c\":0,\"d\":-0,\"e\":1E+10,"
              "\"f\":true,\"g\":false,\"h\":null,\"i\":\"str \\\"q\\\" "
              "\\u00e9 \xC3\xA9\",\"j\":[],\"k\":{},\"l\":[1,\"two\",[3,[4]],"
              "{\"m\":{\"n\":[null,true]}}],\"o\":{\"p\":{\"q\":{\"r\":\"s\"}}},"
              "\"\":\"empty key\",\"level2\":{\"level\":\"error\"}," BASE
              ",\"zzz\":[{}, [], \"\", 0.0]}",
              ev);
    CHECK_EQ(ev.ts, T0_NS);
    CHECK_FLSTR(ev.service, "api");
    CHECK_EQ(ev.level, FL_LEVEL_NONE);
    CHECK_EQ(ev.status, 0);
    /* a key longer than any path: skipped, and the keys after still map */
    char line[2400], key[600];
    memset(key, 'k', 500);
    key[500] = '\0';
    snprintf(line, sizeof line,
             "{\"%s\":{\"service\":\"no\",\"status\":1},\"%s.x\":1," BASE
             ",\"status\":201}",
             key, key);
    DECODE_OK(line, ev);
    CHECK_FLSTR(ev.service, "api");
    CHECK_EQ(ev.status, 201);
    /* a long prefix, then a short key at top level again */
    snprintf(line, sizeof line,
             "{\"http\":{\"%s\":{\"status_code\":1}},\"http\":{\"response\":"
             "{\"status_code\":504}}," BASE "}",
             key);
    DECODE_OK(line, ev);
    CHECK_EQ(ev.status, 504);
}

/* A long line with escapes (scratch space grows) and reuse of the decoder
 * afterwards for short lines. */
static void long_lines_body(void)
{
    size_t n = 200000;
    char *line = malloc(n + 128);
    size_t k = (size_t)snprintf(line, n + 128, "{" BASE ",\"msg\":\"");
    size_t body = 0;
    while (k < n) {
        memcpy(line + k, "\\u00e9\\n", 8);
        k += 8;
        body++;
    }
    k += (size_t)snprintf(line + k, n + 128 - k, "\"}");
    fl_event ev;
    bool ok = decode(line, &ev, &(fl_bad_reason){0});
    CHECK(ok);
    if (ok) {
        CHECK_EQ(ev.msg.n, body * 3);
        bool same = true;
        for (size_t i = 0; i < body && same; i++)
            same = memcmp(ev.msg.p + 3 * i, "\xC3\xA9\n", 3) == 0;
        CHECK(same);
        CHECK_FLSTR(ev.service, "api");
    }
    free(line);
    DECODE_OK("{" BASE ",\"msg\":\"\\u0041\"}", ev);
    CHECK_FLSTR(ev.msg, "A");
}

/* ------------------------------------------------- per-line format choice */

static void auto_and_raw(void)
{
    fl_format f;
    CHECK(fl_format_parse("auto", &f) && f == FL_FORMAT_AUTO);
    CHECK(fl_format_parse("json", &f) && f == FL_FORMAT_JSON);
    CHECK(fl_format_parse("raw", &f) && f == FL_FORMAT_RAW);
    CHECK(!fl_format_parse("xml", &f));
    CHECK(!fl_format_parse("JSON", &f));
    CHECK(!fl_format_parse("", &f));

    fl_decoder *a = fl_decoder_new(FL_FORMAT_AUTO);
    fl_event ev;
    fl_bad_reason why;
    fl_str fb = fl_str_c("fallback");
    CHECK(fl_decode_line(a, fl_str_c("  \t{" BASE ",\"status\":500}"), fb,
                         &ev, &why));
    CHECK_EQ(ev.status, 500);
    CHECK_FLSTR(ev.service, "api");
    why = FL_BAD__COUNT;
    CHECK(!fl_decode_line(a, fl_str_c("plain text line"), fb, &ev, &why));
    CHECK_EQ(why, FL_BAD_UNKNOWN_FORMAT);
    why = FL_BAD__COUNT;
    CHECK(!fl_decode_line(a, fl_str_c(""), fb, &ev, &why));
    CHECK_EQ(why, FL_BAD_UNKNOWN_FORMAT);
    why = FL_BAD__COUNT;
    CHECK(!fl_decode_line(a, fl_str_c("{\"broken\""), fb, &ev, &why));
    CHECK_EQ(why, FL_BAD_SYNTAX);
    fl_decoder_destroy(a);

    fl_decoder *j = fl_decoder_new(FL_FORMAT_JSON);
    why = FL_BAD__COUNT;
    CHECK(!fl_decode_line(j, fl_str_c("plain text line"), fb, &ev, &why));
    CHECK_EQ(why, FL_BAD_SYNTAX);
    fl_decoder_destroy(j);

    fl_decoder *r = fl_decoder_new(FL_FORMAT_RAW);
    CHECK(fl_decode_line(r, fl_str_c("hello \xC3\xA9 world"), fb, &ev, &why));
    CHECK_EQ(ev.kind, FL_EV_REQUEST);
    CHECK_EQ(ev.ts, FL_TIME_NONE);
    CHECK_FLSTR(ev.service, "fallback");
    CHECK_FLSTR(ev.msg, "hello \xC3\xA9 world");
    CHECK_NAN(ev.latency_ms);
    CHECK_EQ(ev.status, 0);
    why = FL_BAD__COUNT;
    CHECK(!fl_decode_line(r, fl_str_c("bad \xFF byte"), fb, &ev, &why));
    CHECK_EQ(why, FL_BAD_UTF8);
    fl_decoder_destroy(r);
    fl_decoder_destroy(NULL);
}

static void reason_names(void)
{
    static const struct {
        fl_bad_reason r;
        const char *name;
    } want[] = {
        {FL_BAD_SYNTAX, "syntax"},
        {FL_BAD_UTF8, "invalid_utf8"},
        {FL_BAD_TOO_DEEP, "too_deep"},
        {FL_BAD_TOO_LONG, "line_too_long"},
        {FL_BAD_NO_TIMESTAMP, "missing_timestamp"},
        {FL_BAD_TIMESTAMP, "bad_timestamp"},
        {FL_BAD_NO_SERVICE, "missing_service"},
        {FL_BAD_VALUE, "bad_value"},
        {FL_BAD_UNKNOWN_FORMAT, "unknown_format"},
        {FL_BAD_LATE, "late"},
        {FL_BAD_SERVICE_LIMIT, "service_limit"},
    };
    for (size_t i = 0; i < FL_ARRAY_LEN(want); i++)
        CHECK_STR(fl_bad_reason_name(want[i].r), want[i].name);
    /* every reason has a name of its own (stats key on them) */
    for (int i = 0; i < FL_BAD__COUNT; i++) {
        const char *a = fl_bad_reason_name((fl_bad_reason)i);
        CHECK_MSG(a != NULL && a[0] && strcmp(a, "unknown") != 0,
                  "reason %d has no name", i);
        for (int j = 0; a && j < i; j++)
            CHECK_MSG(strcmp(a, fl_bad_reason_name((fl_bad_reason)j)) != 0,
                      "reasons %d and %d share the name %s", j, i, a);
    }
    CHECK_STR(fl_bad_reason_name(FL_BAD__COUNT), "unknown");
    CHECK_STR(fl_change_kind_name(FL_CHANGE_ROLLBACK), "rollback");
}

/* Each body runs with a fresh JSON decoder. */
#define WITH_DECODER(name)                                                    \
    static void name(void)                                                    \
    {                                                                         \
        setup();                                                              \
        name##_body();                                                        \
        teardown();                                                           \
    }
WITH_DECODER(simple_keys)
WITH_DECODER(time_keys)
WITH_DECODER(ecs_nested_and_flat)
WITH_DECODER(message_keys)
WITH_DECODER(status_values)
WITH_DECODER(levels)
WITH_DECODER(error_classification)
WITH_DECODER(change_events)
WITH_DECODER(escapes)
WITH_DECODER(lone_surrogate_keeps_next)
WITH_DECODER(syntax_rejects)
WITH_DECODER(utf8_rejects)
WITH_DECODER(too_deep)
WITH_DECODER(timestamp_rejects)
WITH_DECODER(service_rejects)
WITH_DECODER(value_rejects)
WITH_DECODER(latency_nan_string_rejected)
WITH_DECODER(duplicate_keys)
WITH_DECODER(unknown_keys_skipped)
WITH_DECODER(long_lines)

static const unit_test tests[] = {
    UNIT_TEST(simple_keys),
    UNIT_TEST(time_keys),
    UNIT_TEST(ecs_nested_and_flat),
    UNIT_TEST(message_keys),
    UNIT_TEST(status_values),
    UNIT_TEST(levels),
    UNIT_TEST(error_classification),
    UNIT_TEST(change_events),
    UNIT_TEST(escapes),
    UNIT_TEST(lone_surrogate_keeps_next),
    UNIT_TEST(syntax_rejects),
    UNIT_TEST(utf8_rejects),
    UNIT_TEST(too_deep),
    UNIT_TEST(timestamp_rejects),
    UNIT_TEST(service_rejects),
    UNIT_TEST(value_rejects),
    UNIT_TEST(latency_nan_string_rejected),
    UNIT_TEST(duplicate_keys),
    UNIT_TEST(unknown_keys_skipped),
    UNIT_TEST(long_lines),
    UNIT_TEST(auto_and_raw),
    UNIT_TEST(reason_names),
};
UNIT_SUITE(unit_suite_json, "json", tests);
