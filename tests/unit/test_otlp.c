/* test_otlp.c - ingest/otlp.c: OTLP/JSON log documents as the Collector
 * writes them (opentelemetry-proto's examples/logs.json verbatim, batches
 * of several resources and records), the field mapping (time, severity,
 * body, status, durations, upstream), proto3 JSON variants (snake_case
 * names, null, numbers as strings), the sniffer, and every rejection. */
#define _POSIX_C_SOURCE 200809L
#include "../../ingest/ingest_int.h" /* fl_otlp_sniff */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>

static fl_decoder *dec;
static char *doc_copy;

#define MAX_EV 64
static fl_event evs[MAX_EV];
static size_t nev;

/* Decodes a document; all its events land in evs[0..nev). */
static bool decode(const char *doc, fl_bad_reason *why)
{
    free(doc_copy);
    size_t n = strlen(doc);
    doc_copy = malloc(n + 1);
    memcpy(doc_copy, doc, n + 1);
    nev = 0;
    memset(evs, 0xA5, sizeof evs);
    *why = FL_BAD__COUNT;
    if (!fl_otlp_decode(dec, (fl_str){doc_copy, n}, &evs[0], why))
        return false;
    nev = 1;
    while (nev < MAX_EV && fl_decoder_more(dec, &evs[nev]))
        nev++;
    return true;
}

#define DECODE_OK(doc)                                                        \
    do {                                                                      \
        fl_bad_reason why_;                                                   \
        if (!decode(doc, &why_)) {                                            \
            unit_fail(__FILE__, __LINE__, "rejected (%s): %s",                \
                      fl_bad_reason_name(why_), doc);                         \
            return;                                                           \
        }                                                                     \
    } while (0)

#define CHECK_REJECT(doc, reason)                                             \
    do {                                                                      \
        fl_bad_reason why_;                                                   \
        bool ok_ = decode(doc, &why_);                                        \
        CHECK_MSG(!ok_ && why_ == (reason), "want %s, got %s: %s",            \
                  fl_bad_reason_name(reason),                                 \
                  ok_ ? "accepted" : fl_bad_reason_name(why_), doc);          \
    } while (0)

static void setup(void) { dec = fl_decoder_new(FL_FORMAT_OTLP); }

static void teardown(void)
{
    fl_decoder_destroy(dec);
    dec = NULL;
    free(doc_copy);
    doc_copy = NULL;
}

/* Documents are built from records with these wrappers. */
#define RES(svc) "{\"resource\":{\"attributes\":[{\"key\":\"service.name\"," \
                 "\"value\":{\"stringValue\":\"" svc "\"}}]},"
#define DOC1(svc, rec) "{\"resourceLogs\":[" RES(svc) \
    "\"scopeLogs\":[{\"scope\":{},\"logRecords\":[" rec "]}]}]}"
#define TNS "\"timeUnixNano\":\"1710074096123456789\""
#define T0_NS ((fl_time)1710074096 * FL_NS_PER_SEC)

/* ------------------------------------------------------------- samples */

/* opentelemetry-proto, examples/logs.json (as published, pretty-printed) */
static const char proto_example_doc[] =
    "{\n"
    "  \"resourceLogs\": [\n"
    "    {\n"
    "      \"resource\": {\n"
    "        \"attributes\": [\n"
    "          {\n"
    "            \"key\": \"service.name\",\n"
    "            \"value\": {\n"
    "              \"stringValue\": \"my.service\"\n"
    "            }\n"
    "          }\n"
    "        ]\n"
    "      },\n"
    "      \"scopeLogs\": [\n"
    "        {\n"
    "          \"scope\": {\n"
    "            \"name\": \"my.library\",\n"
    "            \"version\": \"1.0.0\",\n"
    "            \"attributes\": [\n"
    "              {\n"
    "                \"key\": \"my.scope.attribute\",\n"
    "                \"value\": {\n"
    "                  \"stringValue\": \"some scope attribute\"\n"
    "                }\n"
    "              }\n"
    "            ]\n"
    "          },\n"
    "          \"logRecords\": [\n"
    "            {\n"
    "              \"timeUnixNano\": 1544712660300000000,\n"
    "              \"observedTimeUnixNano\": 1544712660300000000,\n"
    "              \"severityText\": \"Information\",\n"
    "              \"traceId\": \"5B8EFFF798038103D269B633813FC60C\",\n"
    "              \"spanId\": \"EEE19B7EC3C1B174\",\n"
    "              \"body\": {\n"
    "                \"stringValue\": \"Example log record\"\n"
    "              },\n"
    "              \"attributes\": [\n"
    "                {\n"
    "                  \"key\": \"string.attribute\",\n"
    "                  \"value\": {\n"
    "                    \"stringValue\": \"some string\"\n"
    "                  }\n"
    "                },\n"
    "                {\n"
    "                  \"key\": \"boolean.attribute\",\n"
    "                  \"value\": {\n"
    "                    \"boolValue\": true\n"
    "                  }\n"
    "                },\n"
    "                {\n"
    "                  \"key\": \"int.attribute\",\n"
    "                  \"value\": {\n"
    "                    \"intValue\": 10\n"
    "                  }\n"
    "                },\n"
    "                {\n"
    "                  \"key\": \"double.attribute\",\n"
    "                  \"value\": {\n"
    "                    \"doubleValue\": 637.704\n"
    "                  }\n"
    "                },\n"
    "                {\n"
    "                  \"key\": \"array.attribute\",\n"
    "                  \"value\": {\n"
    "                    \"arrayValue\": {\n"
    "                      \"values\": [\n"
    "                        {\n"
    "                          \"stringValue\": \"many\"\n"
    "                        },\n"
    "                        {\n"
    "                          \"stringValue\": \"values\"\n"
    "                        }\n"
    "                      ]\n"
    "                    }\n"
    "                  }\n"
    "                },\n"
    "                {\n"
    "                  \"key\": \"map.attribute\",\n"
    "                  \"value\": {\n"
    "                    \"kvlistValue\": {\n"
    "                      \"values\": [\n"
    "                        {\n"
    "                          \"key\": \"some.map.key\",\n"
    "                          \"value\": {\n"
    "                            \"stringValue\": \"some value\"\n"
    "                          }\n"
    "                        }\n"
    "                      ]\n"
    "                    }\n"
    "                  }\n"
    "                }\n"
    "              ]\n"
    "            }\n"
    "          ]\n"
    "        }\n"
    "      ]\n"
    "    }\n"
    "  ]\n"
    "}";

static void proto_example_body(void)
{
    DECODE_OK(proto_example_doc);
    REQUIRE_EQ(nev, 1);
    fl_event *ev = &evs[0];
    CHECK_EQ(ev->kind, FL_EV_REQUEST);
    CHECK_EQ(ev->ts, (fl_time)1544712660300000000LL);
    CHECK_FLSTR(ev->service, "my.service");
    CHECK_EQ(ev->level, FL_LEVEL_INFO);
    CHECK_FLSTR(ev->msg, "Example log record");
    CHECK_EQ(ev->status, 0);
    CHECK_NAN(ev->latency_ms);
    CHECK_EQ(ev->upstream.n, 0);
    CHECK_EQ(ev->version.n, 0);
    CHECK_NAN(ev->value);
    CHECK(!fl_event_is_error(ev));
}

/* A Collector Kafka exporter message (otlp_json): an HTTP server's error
 * log with semantic-convention attributes */
static void collector_record_body(void)
{
    DECODE_OK(
        "{\"resourceLogs\":[{\"resource\":{\"attributes\":["
        "{\"key\":\"service.name\",\"value\":{\"stringValue\":\"cart\"}},"
        "{\"key\":\"service.version\",\"value\":{\"stringValue\":\"v2.3.1\"}},"
        "{\"key\":\"k8s.pod.name\",\"value\":{\"stringValue\":\"cart-7d9f\"}}"
        "]},\"scopeLogs\":[{\"scope\":{\"name\":\"io.opentelemetry.jetty\","
        "\"version\":\"2.1.0\"},\"logRecords\":[{"
        "\"timeUnixNano\":\"1710074096123456789\","
        "\"observedTimeUnixNano\":\"1710074096200000000\","
        "\"severityNumber\":17,\"severityText\":\"ERROR\","
        "\"body\":{\"stringValue\":\"upstream \\\"payments\\\" timed out\"},"
        "\"attributes\":["
        "{\"key\":\"http.request.method\",\"value\":{\"stringValue\":\"POST\"}},"
        "{\"key\":\"http.response.status_code\",\"value\":{\"intValue\":\"503\"}},"
        "{\"key\":\"http.server.request.duration\",\"value\":{\"doubleValue\":1.25}},"
        "{\"key\":\"peer.service\",\"value\":{\"stringValue\":\"payments\"}},"
        "{\"key\":\"server.address\",\"value\":{\"stringValue\":\"cart.internal\"}}"
        "],\"droppedAttributesCount\":0,\"flags\":1,"
        "\"traceId\":\"5b8efff798038103d269b633813fc60c\","
        "\"spanId\":\"eee19b7ec3c1b174\"}]}],"
        "\"schemaUrl\":\"https://opentelemetry.io/schemas/1.24.0\"}]}");
    REQUIRE_EQ(nev, 1);
    fl_event *ev = &evs[0];
    CHECK_EQ(ev->ts, T0_NS + 123456789);
    CHECK_FLSTR(ev->service, "cart");
    CHECK_FLSTR(ev->version, "v2.3.1");
    CHECK_EQ(ev->level, FL_LEVEL_ERROR);
    CHECK_EQ(ev->status, 503);
    CHECK(ev->latency_ms == 1250.0);
    CHECK_FLSTR(ev->msg, "upstream \"payments\" timed out");
    CHECK_FLSTR(ev->upstream, "payments");
    CHECK(fl_event_is_error(ev));
}

/* several resources, scopes and records: one event each, in order */
static void batch_body(void)
{
    DECODE_OK(
        "{\"resourceLogs\":["
        RES("api") "\"scopeLogs\":["
        "{\"logRecords\":[{" TNS ",\"body\":{\"stringValue\":\"a1\"}},"
        "{\"timeUnixNano\":\"1710074097000000000\",\"body\":{\"stringValue\":\"a2\"}}]},"
        "{\"scope\":{\"name\":\"other\"},\"logRecords\":[{" TNS
        ",\"body\":{\"stringValue\":\"a3\"}}]}]},"
        RES("c\\u00e4rt") "\"scopeLogs\":[{\"logRecords\":[{" TNS
        ",\"severityNumber\":13,\"body\":{\"stringValue\":\"c1\"}}]}]},"
        "{\"resource\":{},\"scopeLogs\":[]}"
        "]}");
    REQUIRE_EQ(nev, 4);
    static const char *const svc[] = {"api", "api", "api", "c\xc3\xa4rt"};
    static const char *const msg[] = {"a1", "a2", "a3", "c1"};
    for (size_t i = 0; i < 4; i++) {
        CHECK_FLSTR(evs[i].service, svc[i]);
        CHECK_FLSTR(evs[i].msg, msg[i]);
    }
    CHECK_EQ(evs[1].ts, (fl_time)1710074097 * FL_NS_PER_SEC);
    CHECK_EQ(evs[3].level, FL_LEVEL_WARN);
    /* the next document starts afresh */
    DECODE_OK(DOC1("solo", "{" TNS "}"));
    CHECK_EQ(nev, 1);
    fl_event extra;
    CHECK(!fl_decoder_more(dec, &extra));
}

/* a large batch: every record, strings still intact at the end */
static void large_batch_body(void)
{
    fl_buf b = {0};
    fl_buf_puts(&b, "{\"resourceLogs\":[" RES("bulk")
                    "\"scopeLogs\":[{\"logRecords\":[");
    const int N = 5000;
    for (int i = 0; i < N; i++)
        fl_buf_printf(&b, "%s{\"timeUnixNano\":\"%lld\",\"body\":{\"stringValue\":"
                          "\"m\\u00e9ssage %d\"}}",
                      i ? "," : "", (long long)(T0_NS + i), i);
    fl_buf_puts(&b, "]}]}]}");
    fl_buf_putc(&b, '\0');
    fl_bad_reason why;
    fl_event ev;
    REQUIRE(fl_otlp_decode(dec, (fl_str){b.p, b.n - 1}, &ev, &why));
    int count = 1;
    bool in_order = ev.ts == T0_NS;
    char want[64];
    while (fl_decoder_more(dec, &ev)) {
        in_order = in_order && ev.ts == T0_NS + count;
        snprintf(want, sizeof want, "m\xc3\xa9ssage %d", count);
        if (!fl_str_eq(ev.msg, want))
            in_order = false;
        count++;
    }
    CHECK_EQ(count, N);
    CHECK(in_order);
    fl_buf_free(&b);
}

/* the resource may follow the records it describes */
static void resource_after_records_body(void)
{
    DECODE_OK("{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{" TNS
              "},{" TNS "}]}],\"resource\":{\"attributes\":[{\"value\":"
              "{\"stringValue\":\"late\"},\"key\":\"service.name\"}]}}]}");
    REQUIRE_EQ(nev, 2);
    CHECK_FLSTR(evs[0].service, "late");
    CHECK_FLSTR(evs[1].service, "late");
}

/* proto field names (snake_case) and null are valid proto3 JSON */
static void proto3_variants_body(void)
{
    DECODE_OK("{\"resource_logs\":[{\"resource\":{\"attributes\":[{\"key\":"
              "\"service.name\",\"value\":{\"string_value\":\"api\"}}]},"
              "\"scope_logs\":[{\"scope\":null,\"log_records\":[{"
              "\"time_unix_nano\":\"1710074096000000000\","
              "\"severity_number\":\"SEVERITY_NUMBER_FATAL2\","
              "\"severity_text\":null,\"body\":null,\"attributes\":null}]}]}]}");
    REQUIRE_EQ(nev, 1);
    CHECK_FLSTR(evs[0].service, "api");
    CHECK_EQ(evs[0].ts, T0_NS);
    CHECK_EQ(evs[0].level, FL_LEVEL_FATAL);
    CHECK_EQ(evs[0].msg.n, 0);
}

static void severity_body(void)
{
    static const struct {
        const char *fields;
        fl_level want;
    } cases[] = {
        {"\"severityNumber\":1", FL_LEVEL_TRACE},
        {"\"severityNumber\":4", FL_LEVEL_TRACE},
        {"\"severityNumber\":5", FL_LEVEL_DEBUG},
        {"\"severityNumber\":9", FL_LEVEL_INFO},
        {"\"severityNumber\":12", FL_LEVEL_INFO},
        {"\"severityNumber\":13", FL_LEVEL_WARN},
        {"\"severityNumber\":16", FL_LEVEL_WARN},
        {"\"severityNumber\":17", FL_LEVEL_ERROR},
        {"\"severityNumber\":20", FL_LEVEL_ERROR},
        {"\"severityNumber\":21", FL_LEVEL_FATAL},
        {"\"severityNumber\":24", FL_LEVEL_FATAL},
        {"\"severityNumber\":\"18\"", FL_LEVEL_ERROR},
        {"\"severityNumber\":\"SEVERITY_NUMBER_WARN\"", FL_LEVEL_WARN},
        /* the number wins over the text */
        {"\"severityNumber\":9,\"severityText\":\"ERROR\"", FL_LEVEL_INFO},
        /* without a usable number, the text */
        {"\"severityNumber\":0,\"severityText\":\"ERROR\"", FL_LEVEL_ERROR},
        {"\"severityNumber\":25,\"severityText\":\"warning\"", FL_LEVEL_WARN},
        {"\"severityText\":\"Fatal\"", FL_LEVEL_FATAL},
        {"\"severityText\":\"E\"", FL_LEVEL_NONE},
        {"\"severityNumber\":17.5", FL_LEVEL_NONE},
        {"\"severityNumber\":\"SEVERITY_NUMBER_UNSPECIFIED\"", FL_LEVEL_NONE},
    };
    for (size_t i = 0; i < FL_ARRAY_LEN(cases); i++) {
        char doc[512];
        snprintf(doc, sizeof doc, DOC1("api", "{" TNS ",%s}"), cases[i].fields);
        fl_bad_reason why;
        bool ok = decode(doc, &why);
        CHECK_MSG(ok, "rejected (%s): %s", fl_bad_reason_name(why), doc);
        if (ok)
            CHECK_MSG(evs[0].level == cases[i].want, "%s: level %d, want %d",
                      cases[i].fields, evs[0].level, cases[i].want);
    }
}

static void times_body(void)
{
    /* a number, a string, unset ("0") or absent: observed time */
    DECODE_OK(DOC1("api", "{\"timeUnixNano\":1710074096000000001}"));
    CHECK_EQ(evs[0].ts, T0_NS + 1);
    DECODE_OK(DOC1("api", "{\"timeUnixNano\":\"0\",\"observedTimeUnixNano\":"
                          "\"1710074096000000002\"}"));
    CHECK_EQ(evs[0].ts, T0_NS + 2);
    DECODE_OK(DOC1("api", "{\"observedTimeUnixNano\":\"1710074096000000003\"}"));
    CHECK_EQ(evs[0].ts, T0_NS + 3);
    CHECK_REJECT(DOC1("api", "{\"timeUnixNano\":\"0\"}"), FL_BAD_NO_TIMESTAMP);
    CHECK_REJECT(DOC1("api", "{\"body\":{\"stringValue\":\"x\"}}"),
                 FL_BAD_NO_TIMESTAMP);
    CHECK_REJECT(DOC1("api", "{\"timeUnixNano\":\"17100740960000000000000\"}"),
                 FL_BAD_TIMESTAMP);
    CHECK_REJECT(DOC1("api", "{\"timeUnixNano\":\"86400000000000\"}"),
                 FL_BAD_TIMESTAMP); /* 1970 */
    CHECK_REJECT(DOC1("api", "{\"timeUnixNano\":true}"), FL_BAD_TIMESTAMP);
}

static void attributes_body(void)
{
#define REC(attrs) DOC1("api", "{" TNS ",\"attributes\":[" attrs "]}")
#define KV(k, v) "{\"key\":\"" k "\",\"value\":{" v "}}"
    DECODE_OK(REC(KV("http.response.status_code", "\"intValue\":502")));
    CHECK_EQ(evs[0].status, 502);
    DECODE_OK(REC(KV("http.status_code", "\"intValue\":\"404\"")));
    CHECK_EQ(evs[0].status, 404);
    DECODE_OK(REC(KV("http.server.request.duration", "\"doubleValue\":0.0125")));
    CHECK_NEAR(evs[0].latency_ms, 12.5, 1e-9);
    DECODE_OK(REC(KV("duration", "\"intValue\":\"250\"")));
    CHECK(evs[0].latency_ms == 250);
    DECODE_OK(REC(KV("http.server.duration", "\"doubleValue\":3.5")));
    CHECK(evs[0].latency_ms == 3.5);
    DECODE_OK(REC(KV("latency_ms", "\"doubleValue\":7")));
    CHECK(evs[0].latency_ms == 7);
    DECODE_OK(REC(KV("server.address", "\"stringValue\":\"db.internal\"")));
    CHECK_FLSTR(evs[0].upstream, "db.internal");
    DECODE_OK(REC(KV("server.address", "\"stringValue\":\"db.internal\"") ","
                  KV("peer.service", "\"stringValue\":\"postgres\"")));
    CHECK_FLSTR(evs[0].upstream, "postgres");
    /* the record's traceId (call edges from shared traces); all zeros or
     * empty is the spec's "unset" */
    DECODE_OK(DOC1("api", "{" TNS ",\"traceId\":\"5b8efff798038103d269b633813fc60c\"}"));
    CHECK_FLSTR(evs[0].trace_id, "5b8efff798038103d269b633813fc60c");
    DECODE_OK(DOC1("api", "{" TNS ",\"trace_id\":\"00f067aa0ba902b7\"}"));
    CHECK_FLSTR(evs[0].trace_id, "00f067aa0ba902b7");
    DECODE_OK(DOC1("api", "{" TNS ",\"traceId\":\"00000000000000000000000000000000\"}"));
    CHECK_EQ(evs[0].trace_id.n, 0);
    DECODE_OK(DOC1("api", "{" TNS ",\"traceId\":\"\"}"));
    CHECK_EQ(evs[0].trace_id.n, 0);
    /* the request path: http.route before url.path / http.target */
    DECODE_OK(REC(KV("url.path", "\"stringValue\":\"/users/7\"")));
    CHECK_FLSTR(evs[0].path, "/users/7");
    DECODE_OK(REC(KV("http.target", "\"stringValue\":\"/q?x=1\"")));
    CHECK_FLSTR(evs[0].path, "/q");
    DECODE_OK(REC(KV("url.path", "\"stringValue\":\"/users/7\"") ","
                  KV("http.route", "\"stringValue\":\"/users/{id}\"")));
    CHECK_FLSTR(evs[0].path, "/users/{id}");
    DECODE_OK(REC(KV("url.path", "\"intValue\":7")));
    CHECK_EQ(evs[0].path.n, 0); /* not a string: no path, not an error */
    /* values of no use to a field are skipped, whatever their shape */
    DECODE_OK(REC(KV("tags", "\"arrayValue\":{\"values\":[{\"intValue\":1}]}") ","
                  KV("blob", "\"bytesValue\":\"AAEC\"") ","
                  KV("ok", "\"boolValue\":false") ","
                  KV("nested", "\"kvlistValue\":{\"values\":[" KV("http.response.status_code", "\"intValue\":500") "]}")));
    CHECK_EQ(evs[0].status, 0);
    /* a number as a stringValue is no message */
    DECODE_OK(DOC1("api", "{" TNS ",\"body\":{\"stringValue\":1}}"));
    CHECK_EQ(evs[0].msg.n, 0);
    /* a record's own service.name when the resource has none */
    DECODE_OK("{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{" TNS
              ",\"attributes\":[" KV("service.name", "\"stringValue\":\"own\"")
              "]}]}]}]}");
    CHECK_FLSTR(evs[0].service, "own");
    /* the resource's wins */
    DECODE_OK(DOC1("res", "{" TNS ",\"attributes\":["
                          KV("service.name", "\"stringValue\":\"own\"") "]}"));
    CHECK_FLSTR(evs[0].service, "res");
    /* impossible values: the record makes no event */
    CHECK_REJECT(REC(KV("http.response.status_code", "\"intValue\":\"99\"")),
                 FL_BAD_VALUE);
    CHECK_REJECT(REC(KV("http.response.status_code", "\"stringValue\":\"abc\"")),
                 FL_BAD_VALUE);
    CHECK_REJECT(REC(KV("http.response.status_code", "\"intValue\":\"x\"")),
                 FL_BAD_VALUE);
    CHECK_REJECT(REC(KV("http.server.request.duration", "\"doubleValue\":\"NaN\"")),
                 FL_BAD_VALUE);
    CHECK_REJECT(REC(KV("duration", "\"intValue\":\"-5\"")), FL_BAD_VALUE);
    CHECK_REJECT(REC(KV("duration", "\"boolValue\":true")), FL_BAD_VALUE);
#undef REC
#undef KV
}

/* a bad record inside a batch is dropped; the document still counts */
static void partial_batch_body(void)
{
    DECODE_OK(DOC1("api", "{\"body\":{\"stringValue\":\"no time\"}},{" TNS
                          ",\"body\":{\"stringValue\":\"good\"}}"));
    REQUIRE_EQ(nev, 1);
    CHECK_FLSTR(evs[0].msg, "good");
    /* the bad record is counted by its reason, not dropped */
    fl_bad_reason r;
    REQUIRE(fl_decoder_rejected(dec, &r));
    CHECK_EQ(r, FL_BAD_NO_TIMESTAMP);
    CHECK(!fl_decoder_rejected(dec, &r));
    /* two bad records of different reasons among good ones, in a second
     * resource: each once */
    DECODE_OK("{\"resourceLogs\":[" RES("a") "\"scopeLogs\":[{\"logRecords\":[{"
              TNS "}]}]}," RES("b") "\"scopeLogs\":[{\"logRecords\":[{" TNS
              ",\"attributes\":[{\"key\":\"http.response.status_code\","
              "\"value\":{\"intValue\":\"999\"}}]},{" TNS "},{\"body\":{}}]}]}]}");
    CHECK_EQ(nev, 2);
    int counts[FL_BAD__COUNT] = {0}, total = 0;
    while (fl_decoder_rejected(dec, &r)) {
        counts[r]++;
        total++;
    }
    CHECK_EQ(total, 2);
    CHECK_EQ(counts[FL_BAD_VALUE], 1);
    CHECK_EQ(counts[FL_BAD_NO_TIMESTAMP], 1);
    /* none good: the first record's reason is returned, the others are
     * rejected parts */
    CHECK_REJECT(DOC1("api", "{\"body\":{}},{\"timeUnixNano\":\"1\"}"),
                 FL_BAD_NO_TIMESTAMP);
    REQUIRE(fl_decoder_rejected(dec, &r));
    CHECK_EQ(r, FL_BAD_TIMESTAMP);
    CHECK(!fl_decoder_rejected(dec, &r));
    /* a broken document is one bad line: no parts */
    CHECK_REJECT(DOC1("api", "{\"body\":{}},{" TNS "}") "x", FL_BAD_SYNTAX);
    CHECK(!fl_decoder_rejected(dec, &r));
}

static void rejects_body(void)
{
    /* no service anywhere */
    CHECK_REJECT("{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{" TNS
                 "}]}]}]}", FL_BAD_NO_SERVICE);
    CHECK_REJECT("{\"resourceLogs\":[{\"resource\":{\"attributes\":[{\"key\":"
                 "\"service.name\",\"value\":{\"intValue\":\"7\"}}]},"
                 "\"scopeLogs\":[{\"logRecords\":[{" TNS "}]}]}]}",
                 FL_BAD_NO_SERVICE);
    /* no records at all */
    CHECK_REJECT("{\"resourceLogs\":[]}", FL_BAD_VALUE);
    CHECK_REJECT("{\"resourceLogs\":[{\"resource\":{}}]}", FL_BAD_VALUE);
    CHECK_REJECT("{}", FL_BAD_VALUE);
    /* not the shape */
    CHECK_REJECT("{\"resourceLogs\":{}}", FL_BAD_SYNTAX);
    CHECK_REJECT("{\"resourceLogs\":[1]}", FL_BAD_SYNTAX);
    CHECK_REJECT("{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[\"x\"]}]}]}",
                 FL_BAD_SYNTAX);
    CHECK_REJECT(DOC1("api", "{" TNS ",\"attributes\":[{\"key\":1}]}"),
                 FL_BAD_SYNTAX);
    CHECK_REJECT(DOC1("api", "{" TNS ",\"body\":\"text\"}"), FL_BAD_SYNTAX);
    CHECK_REJECT("[]", FL_BAD_SYNTAX);
    CHECK_REJECT("", FL_BAD_SYNTAX);
    /* broken JSON anywhere, even in skipped parts */
    CHECK_REJECT(DOC1("api", "{" TNS ",\"traceId\":\"ab}"), FL_BAD_SYNTAX);
    CHECK_REJECT(DOC1("api", "{" TNS ",\"flags\":01}"), FL_BAD_SYNTAX);
    CHECK_REJECT(DOC1("api", "{" TNS "}") " x", FL_BAD_SYNTAX);
    CHECK_REJECT("{\"resourceLogs\":[{\"resource\":{\"attributes\":[{\"key\":"
                 "\"service.name\",\"value\":{\"stringValue\":\"a\"}}]},"
                 "\"scopeLogs\":[{\"logRecords\":[{" TNS "}]}]}",
                 FL_BAD_SYNTAX); /* cut short */
    CHECK_REJECT(DOC1("a\xff", "{" TNS "}"), FL_BAD_UTF8);
    /* deep nesting in a skipped value */
    char deep[1024];
    int k = snprintf(deep, sizeof deep, "{\"resourceLogs\":[{\"x\":");
    for (int i = 0; i < 80; i++)
        deep[k++] = '[';
    for (int i = 0; i < 80; i++)
        deep[k++] = ']';
    snprintf(deep + k, sizeof deep - (size_t)k, "}]}");
    CHECK_REJECT(deep, FL_BAD_TOO_DEEP);
}

static void sniff_and_auto_body(void)
{
    CHECK(fl_otlp_sniff(fl_str_c("{\"resourceLogs\":[]}")));
    CHECK(fl_otlp_sniff(fl_str_c("  { \"resource_logs\" : []}")));
    CHECK(fl_otlp_sniff(fl_str_c(proto_example_doc)));
    CHECK(!fl_otlp_sniff(fl_str_c("{\"ts\":1,\"resourceLogs\":[]}")));
    CHECK(!fl_otlp_sniff(fl_str_c("{\"resourceLogsX\":[]}")));
    CHECK(!fl_otlp_sniff(fl_str_c("{\"resourceSpans\":[]}")));
    CHECK(!fl_otlp_sniff(fl_str_c("resourceLogs")));
    CHECK(!fl_otlp_sniff(fl_str_c("")));

    fl_decoder *au = fl_decoder_new(FL_FORMAT_AUTO);
    const char *doc = DOC1("api", "{" TNS "},{" TNS "}");
    fl_event ev;
    fl_bad_reason why;
    CHECK(fl_decode_line(au, fl_str_c(doc), fl_str_c("t"), &ev, &why));
    CHECK_FLSTR(ev.service, "api");
    CHECK(fl_decoder_more(au, &ev));
    CHECK(!fl_decoder_more(au, &ev));
    /* plain JSON lines are still JSON */
    const char *j = "{\"ts\":\"2024-03-10T12:34:56Z\",\"service\":\"web\"}";
    CHECK(fl_decode_line(au, fl_str_c(j), fl_str_c("t"), &ev, &why));
    CHECK_FLSTR(ev.service, "web");
    CHECK(!fl_decoder_more(au, &ev));
    fl_decoder_destroy(au);
    fl_format f;
    CHECK(fl_format_parse("otlp", &f) && f == FL_FORMAT_OTLP);
}

#define WITH_DECODER(name)                                                    \
    static void name(void)                                                    \
    {                                                                         \
        setup();                                                              \
        name##_body();                                                        \
        teardown();                                                           \
    }

WITH_DECODER(proto_example)
WITH_DECODER(collector_record)
WITH_DECODER(batch)
WITH_DECODER(large_batch)
WITH_DECODER(resource_after_records)
WITH_DECODER(proto3_variants)
WITH_DECODER(severity)
WITH_DECODER(times)
WITH_DECODER(attributes)
WITH_DECODER(partial_batch)
WITH_DECODER(rejects)
WITH_DECODER(sniff_and_auto)

static const unit_test tests[] = {
    UNIT_TEST(proto_example),
    UNIT_TEST(collector_record),
    UNIT_TEST(batch),
    UNIT_TEST(large_batch),
    UNIT_TEST(resource_after_records),
    UNIT_TEST(proto3_variants),
    UNIT_TEST(severity),
    UNIT_TEST(times),
    UNIT_TEST(attributes),
    UNIT_TEST(partial_batch),
    UNIT_TEST(rejects),
    UNIT_TEST(sniff_and_auto),
};
UNIT_SUITE(unit_suite_otlp, "otlp", tests);
