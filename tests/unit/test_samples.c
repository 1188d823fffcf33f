/* test_samples.c - real-world samples written from each format's public
 * documentation, decoded and compared field by field with their .expected
 * files (tests/samples/; the golden format is test_logfmt.c's: one line
 * per event, a line's further events and rejected parts as "+ " lines):
 *   telegraf        Telegraf's cpu, mem, system, disk and net plugin output
 *                   and the InfluxDB line protocol reference's examples
 *                   (escapes, string fields, booleans, timestamps)
 *   ecs             ecs-logging's examples (flat dotted keys) and nested ECS
 *                   documents (http.response.status_code, event.duration in
 *                   ns, service.target.name)
 *   otlp_collector  opentelemetry-proto's examples/logs.json as one line,
 *                   and batches as the Collector's otlp_json encoding
 *                   writes them, with a bad record among good ones
 * (nginx, Apache, syslog RFC 3164/5424 and logfmt samples are checked in
 * test_pattern.c and test_logfmt.c; Fluent Bit's msgpack records, binary,
 * in test_msgpack.c.)
 *
 * And where a user pattern's service comes from: a capture, the config's
 * fixed service, the file's base name (replay), the topic (consume). */
#define _POSIX_C_SOURCE 200809L
#include "../../cli/cli.h"
#include "../../rca/fl_rca.h"
#include "unit.h"

#include <stdio.h>
#include <string.h>

void unit_sample_check(fl_decoder *d, const char *name, const char *fallback,
                       unsigned *nlines); /* test_logfmt.c */

static void sample(fl_format f, const char *name, const char *fallback,
                   unsigned want_lines)
{
    fl_decoder *d = fl_decoder_new(f);
    unsigned n = 0;
    unit_sample_check(d, name, fallback, &n);
    CHECK_EQ(n, want_lines);
    fl_decoder_destroy(d);
}

static void telegraf(void) { sample(FL_FORMAT_INFLUX, "telegraf", "telegraf", 15); }
static void ecs(void) { sample(FL_FORMAT_JSON, "ecs", "ecs", 7); }
static void otlp_collector(void)
{
    sample(FL_FORMAT_OTLP, "otlp_collector", "otlp", 5);
    /* the same through auto */
    sample(FL_FORMAT_AUTO, "otlp_collector", "otlp", 5);
}

static bool has_service(const fl_pipeline *p, const char *name)
{
    const fl_rca *r = fl_pipeline_rca(p);
    for (int32_t id = 0; id < 16; id++) {
        const char *n = fl_rca_service_name(r, id);
        if (n && strcmp(n, name) == 0)
            return true;
    }
    return false;
}

static void pattern_service_sources(void)
{
    const char *text =
        "patterns:\n"
        "  - name: t_svc_plain\n"
        "    regex: '^(?<ts>\\S+) (?<status>\\d{3}) (?<msg>.*)$'\n"
        "  - name: t_svc_capture\n"
        "    regex: '^(?<ts>\\S+) \\[(?<service>[\\w-]*)\\] (?<msg>.*)$'\n"
        "files:\n"
        "  - glob: '*.applog'\n"
        "    format: t_svc_plain\n"
        "  - glob: '*.caplog'\n"
        "    format: t_svc_capture\n"
        "topics:\n"
        "  - topic: 'orders-*'\n"
        "    format: t_svc_plain\n"
        "  - topic: 'pay-*'\n"
        "    format: t_svc_plain\n"
        "    service: payments\n";
    char err[1024] = "";
    fl_config *c =
        fl_config_parse("t.yaml", text, strlen(text), 0, err, sizeof err);
    REQUIRE(c != NULL);

    /* replay: the file's base name, or the capture (else the base name) */
    static const char plain[] = "2026-07-24T10:00:00Z 200 GET /x\n";
    static const char cap[] = "2026-07-24T10:00:00Z [inventory] ok\n"
                              "2026-07-24T10:00:01Z [] nothing captured\n";
    fl_pipeline_conf conf;
    fl_pipeline_conf_default(&conf);
    fl_pipeline *p = fl_pipeline_new(&conf);
    fl_source *srcs[2] = {
        fl_source_open_mem("/var/log/billing.2026.applog", plain,
                           sizeof plain - 1, conf.max_line),
        fl_source_open_mem("/var/log/stock.caplog", cap, sizeof cap - 1,
                           conf.max_line),
    };
    CHECK_EQ(fl_replay_sources(p, srcs, 2, FL_FORMAT_AUTO, c, false), 0);
    CHECK_EQ(fl_pipeline_stats(p)->events, 3);
    CHECK(has_service(p, "billing"));
    CHECK(has_service(p, "inventory"));
    CHECK(has_service(p, "stock"));
    fl_pipeline_destroy(p);
    for (int i = 0; i < 2; i++)
        fl_source_destroy(srcs[i]);

    /* consume: a topic's decoder and fallback as part_get makes them (the
     * entry's format; its service, else the topic's name) */
    const char *topics[] = {"orders-eu", "pay-eu"};
    const char *want[] = {"orders-eu", "payments"};
    for (int i = 0; i < 2; i++) {
        const fl_source_defaults *sd = fl_config_for_topic(c, topics[i]);
        REQUIRE(sd != NULL && sd->has_format);
        fl_decoder *d = fl_decoder_new(sd->format);
        fl_event ev;
        fl_bad_reason why;
        char line[] = "2026-07-24T10:00:00Z 503 POST /orders";
        bool ok = fl_decode_line(d, fl_str_c(line),
                                 fl_str_c(sd->service ? sd->service
                                                      : topics[i]),
                                 &ev, &why);
        CHECK_MSG(ok, "%s: rejected (%s)", topics[i], fl_bad_reason_name(why));
        if (ok) {
            CHECK_FLSTR(ev.service, want[i]);
            CHECK_EQ(ev.status, 503);
        }
        fl_decoder_destroy(d);
    }
    fl_config_free(c);
}

static const unit_test tests[] = {
    UNIT_TEST(telegraf),
    UNIT_TEST(ecs),
    UNIT_TEST(otlp_collector),
    UNIT_TEST(pattern_service_sources),
};
UNIT_SUITE(unit_suite_samples, "samples", tests);
