/* test_fields.c - the user's field names (ingest/fields.c) through the
 * decoders that honour them (JSON, logfmt, msgpack), and the `fields` keys
 * of the configuration file (cli/config.c): parsing, errors with their
 * line, per-file entries over the input section, and the writer's round
 * trip. */
#define _POSIX_C_SOURCE 200809L
#include "../../cli/cli.h"
#include "unit.h"

#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool dec_line(fl_decoder *d, const char *line, fl_event *ev,
                     fl_bad_reason *why)
{
    memset(ev, 0xA5, sizeof *ev);
    *why = FL_BAD__COUNT;
    return fl_decode_line(d, fl_str_c(line), fl_str_c("fallback"), ev, why);
}

static fl_field_map *map_of(const char *const *pairs)
{
    fl_field_map *m = fl_field_map_new();
    char why[256];
    for (; pairs[0]; pairs += 2)
        if (!fl_field_map_add(m, pairs[0], pairs[1], why, sizeof why))
            unit_fail(__FILE__, __LINE__, "map %s: %s", pairs[0], why);
    return m;
}

static void map_add_rejects(void)
{
    fl_field_map *m = fl_field_map_new();
    char why[256] = "";
    CHECK(!fl_field_map_add(m, "colour", "x", why, sizeof why));
    CHECK(strstr(why, "unknown field 'colour'") != NULL);
    CHECK(!fl_field_map_add(m, "service", "", why, sizeof why));
    CHECK(!fl_field_map_add(m, "service", "a\tb", why, sizeof why));
    char longp[200];
    memset(longp, 'k', sizeof longp - 1);
    longp[sizeof longp - 1] = '\0';
    CHECK(!fl_field_map_add(m, "service", longp, why, sizeof why));
    CHECK(!fl_field_map_add(m, "service", "\xff\xfe", why, sizeof why));
    CHECK_EQ(fl_field_map_size(m), 0);
    /* a second latency unit replaces the first */
    CHECK(fl_field_map_add(m, "latency_ms", "a", why, sizeof why));
    CHECK(fl_field_map_add(m, "latency_s", "b", why, sizeof why));
    CHECK_EQ(fl_field_map_size(m), 1);
    fl_field_map_free(m);
}

static void json_paths_and_units(void)
{
    static const char *const pairs[] = {"service", "app.name", "latency_s",
                                        "resp.time", "status", "http.code",
                                        "ts", "when", NULL};
    fl_field_map *m = map_of(pairs);
    fl_decoder *d = fl_decoder_new(FL_FORMAT_AUTO);
    fl_decoder_set_fields(d, m);
    fl_event ev;
    fl_bad_reason why;
    /* nested, the built-in names present but retired, in either order */
    REQUIRE(dec_line(d, "{\"service\":\"wrong\",\"when\":\"2024-03-10T12:34:56Z\","
                        "\"app\":{\"name\":\"cart\"},\"latency_ms\":9,"
                        "\"resp\":{\"time\":0.25},\"http\":{\"code\":503},"
                        "\"status\":200,\"ts\":\"2001-01-01T00:00:00Z\"}",
                     &ev, &why));
    CHECK_FLSTR(ev.service, "cart");
    CHECK_EQ(ev.latency_ms, 250.0);
    CHECK_EQ(ev.status, 503);
    CHECK_EQ(ev.ts, (fl_time)1710074096 * FL_NS_PER_SEC);
    /* flat dotted keys, a numeric string */
    REQUIRE(dec_line(d, "{\"when\":1710074096,\"app.name\":\"pay\","
                        "\"resp.time\":\"1.5\",\"level\":\"error\"}",
                     &ev, &why));
    CHECK_FLSTR(ev.service, "pay");
    CHECK_EQ(ev.latency_ms, 1500.0);
    CHECK_EQ(ev.level, FL_LEVEL_ERROR); /* unmapped: built-in name */
    /* the retired built-in name alone no longer names the service */
    CHECK(!dec_line(d, "{\"when\":1710074096,\"service\":\"api\"}", &ev, &why));
    CHECK_EQ(why, FL_BAD_NO_SERVICE);
    /* a mapped latency that is not a number is a bad value */
    CHECK(!dec_line(d, "{\"when\":1710074096,\"app.name\":\"a\","
                       "\"resp.time\":\"slow\"}",
                    &ev, &why));
    CHECK_EQ(why, FL_BAD_VALUE);
    /* without the map: the built-in names again */
    fl_decoder_set_fields(d, NULL);
    REQUIRE(dec_line(d, "{\"ts\":1710074096,\"service\":\"api\","
                        "\"app.name\":\"x\",\"latency_ms\":9}",
                     &ev, &why));
    CHECK_FLSTR(ev.service, "api");
    CHECK_EQ(ev.latency_ms, 9.0);
    fl_decoder_destroy(d);
    fl_field_map_free(m);
}

/* trace_id is a target: a tracer's own field name carries the trace */
static void trace_id_target(void)
{
    static const char *const pairs[] = {"trace_id", "dd.trace_id", NULL};
    fl_field_map *m = map_of(pairs);
    fl_decoder *d = fl_decoder_new(FL_FORMAT_AUTO);
    fl_decoder_set_fields(d, m);
    fl_event ev;
    fl_bad_reason why;
    REQUIRE(dec_line(d, "{\"ts\":1710074096,\"service\":\"api\","
                        "\"trace_id\":\"old\",\"dd\":{\"trace_id\":\"77ab\"}}",
                     &ev, &why));
    CHECK_FLSTR(ev.trace_id, "77ab");
    REQUIRE(dec_line(d, "ts=1710074096 service=api dd.trace_id=9c01", &ev, &why));
    CHECK_FLSTR(ev.trace_id, "9c01");
    fl_decoder_destroy(d);
    fl_field_map_free(m);
}

/* path is a target too (the report's impact by endpoint) */
static void path_target(void)
{
    static const char *const pairs[] = {"path", "req.route", NULL};
    fl_field_map *m = map_of(pairs);
    fl_decoder *d = fl_decoder_new(FL_FORMAT_AUTO);
    fl_decoder_set_fields(d, m);
    fl_event ev;
    fl_bad_reason why;
    REQUIRE(dec_line(d, "{\"ts\":1710074096,\"service\":\"api\","
                        "\"path\":\"/old\",\"req\":{\"route\":\"/x/1?a\"}}",
                     &ev, &why));
    CHECK_FLSTR(ev.path, "/x/1");
    REQUIRE(dec_line(d, "ts=1710074096 service=api req.route=/y", &ev, &why));
    CHECK_FLSTR(ev.path, "/y");
    fl_decoder_destroy(d);
    fl_field_map_free(m);
}

static void other_units(void)
{
    static const char *const us[] = {"latency_us", "t", NULL};
    static const char *const ns[] = {"latency_ns", "t", NULL};
    fl_field_map *mu = map_of(us), *mn = map_of(ns);
    fl_decoder *d = fl_decoder_new(FL_FORMAT_JSON);
    fl_event ev;
    fl_bad_reason why;
    const char *line = "{\"ts\":1710074096,\"service\":\"a\",\"t\":2500000}";
    fl_decoder_set_fields(d, mu);
    REQUIRE(dec_line(d, line, &ev, &why));
    CHECK_EQ(ev.latency_ms, 2500.0);
    fl_decoder_set_fields(d, mn);
    REQUIRE(dec_line(d, line, &ev, &why));
    CHECK_EQ(ev.latency_ms, 2.5);
    /* a day or more is refused in every unit */
    fl_decoder_set_fields(d, mu);
    CHECK(!dec_line(d, "{\"ts\":1710074096,\"service\":\"a\",\"t\":9e12}",
                    &ev, &why));
    CHECK_EQ(why, FL_BAD_VALUE);
    fl_decoder_destroy(d);
    fl_field_map_free(mu);
    fl_field_map_free(mn);
}

static void logfmt_and_changes(void)
{
    static const char *const pairs[] = {"service", "app",      "latency_ms",
                                        "rt",      "kind",     "event",
                                        "version", "app.ver",  NULL};
    fl_field_map *m = map_of(pairs);
    fl_decoder *d = fl_decoder_new(FL_FORMAT_LOGFMT);
    fl_decoder_set_fields(d, m);
    fl_event ev;
    fl_bad_reason why;
    REQUIRE(dec_line(d, "ts=2024-03-10T12:34:56Z app=cart rt=12.5 status=502 "
                        "service=nope",
                     &ev, &why));
    CHECK_FLSTR(ev.service, "cart");
    CHECK_EQ(ev.latency_ms, 12.5);
    CHECK_EQ(ev.status, 502);
    /* change events with mapped kind and version */
    REQUIRE(dec_line(d, "ts=2024-03-10T12:34:56Z app=cart event=deploy "
                        "app.ver=v2 kind=nonsense",
                     &ev, &why));
    CHECK_EQ(ev.kind, FL_EV_CHANGE);
    CHECK_EQ(ev.change_kind, FL_CHANGE_DEPLOY);
    CHECK_FLSTR(ev.version, "v2");
    fl_decoder_destroy(d);
    fl_field_map_free(m);
}

static void msgpack_nested(void)
{
    static const char *const pairs[] = {"service", "k8s.app", "latency_s",
                                        "dur", NULL};
    fl_field_map *m = map_of(pairs);
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    /* Fluent Bit's [ts, {..}] with a nested map */
    msgpack_pack_array(&pk, 2);
    msgpack_pack_uint32(&pk, 1710074096);
    msgpack_pack_map(&pk, 3);
    msgpack_pack_str_with_body(&pk, "k8s", 3);
    msgpack_pack_map(&pk, 1);
    msgpack_pack_str_with_body(&pk, "app", 3);
    msgpack_pack_str_with_body(&pk, "cart", 4);
    msgpack_pack_str_with_body(&pk, "dur", 3);
    msgpack_pack_double(&pk, 0.125);
    msgpack_pack_str_with_body(&pk, "service", 7);
    msgpack_pack_str_with_body(&pk, "nope", 4);
    char *buf = malloc(sb.size + 1);
    memcpy(buf, sb.data, sb.size);
    buf[sb.size] = '\0';
    fl_decoder *d = fl_decoder_new(FL_FORMAT_MSGPACK);
    fl_decoder_set_fields(d, m);
    fl_event ev;
    fl_bad_reason why;
    bool ok = fl_decode_line(d, (fl_str){buf, sb.size}, fl_str_c("x"), &ev, &why);
    CHECK_MSG(ok, "rejected: %s", fl_bad_reason_name(why));
    if (ok) {
        CHECK_FLSTR(ev.service, "cart");
        CHECK_EQ(ev.latency_ms, 125.0);
        CHECK_EQ(ev.ts, (fl_time)1710074096 * FL_NS_PER_SEC);
    }
    fl_decoder_destroy(d);
    fl_field_map_free(m);
    free(buf);
    msgpack_sbuffer_destroy(&sb);
}

/* ------------------------------------------------------- the config file */

static fl_config *parse(const char *text, char *err, size_t n)
{
    return fl_config_parse("t.yaml", text, strlen(text),
                           FL_CONFIG_NO_REGISTER, err, n);
}

#define EXPECT_ERR(text, want)                                                 \
    do {                                                                       \
        char err_[1024] = "";                                                  \
        fl_config *c_ = parse(text, err_, sizeof err_);                        \
        CHECK_MSG(!c_, "accepted: %s", text);                                  \
        fl_config_free(c_);                                                    \
        CHECK_MSG(strstr(err_, want) != NULL, "want '%s' in '%s'", want,       \
                  err_);                                                       \
    } while (0)

static void config_errors(void)
{
    EXPECT_ERR("input:\n  fields: {service: a, colour: b}\n",
               "t.yaml:2: input.fields: unknown field 'colour' (known: ts, ");
    EXPECT_ERR("input:\n  fields:\n    service: a\n    service: b\n",
               "t.yaml:4: input.fields: field 'service' given twice");
    EXPECT_ERR("input:\n  fields:\n    latency_ms: a\n    latency_s: b\n",
               "t.yaml:4: input.fields: field 'latency_s' given twice (or "
               "with another latency unit)");
    EXPECT_ERR("input:\n  fields: app.name\n",
               "t.yaml:2: input.fields: expected a mapping of fields to keys");
    EXPECT_ERR("input:\n  fields: {service: }\n",
               "t.yaml:2: input.fields.service: expected a key path, got "
               "nothing");
    EXPECT_ERR("input:\n  fields: {service: [a, b]}\n",
               "t.yaml:2: input.fields.service: expected a key path, got a "
               "list");
    EXPECT_ERR("files:\n  - glob: x\n    fields: {service: \"a\\tb\"}\n",
               "t.yaml:3: files.fields: the key path of 'service' holds a "
               "control character");
    EXPECT_ERR("topics:\n  - topic: t\n    fieldz: {service: a}\n",
               "t.yaml:3: unknown key 'fieldz' in a topics entry (known: "
               "topic, format, service, fields)");
    EXPECT_ERR("input:\n  fields: {\"serv\\nice\": a}\n",
               "t.yaml:2: input.fields: unknown field 'serv?ice'");
    EXPECT_ERR("input:\n  fields: {service: a}\n  fields: {}\n",
               "t.yaml:3: duplicate key 'fields' in section input");
}

static void config_maps(void)
{
    const char *text = "input:\n"
                       "  fields: {service: app.name, latency_s: rt}\n"
                       "files:\n"
                       "  - glob: \"lf-*\"\n"
                       "    fields: {latency_ms: took, status: code}\n"
                       "  - glob: \"nginx-*\"\n"
                       "    format: nginx\n"
                       "topics:\n"
                       "  - topic: billing\n"
                       "    fields: {service: svc}\n";
    char err[1024] = "";
    fl_config *c = parse(text, err, sizeof err);
    REQUIRE(c != NULL);
    const fl_field_map *g = fl_config_fields(c);
    REQUIRE(g != NULL);
    CHECK_EQ(fl_field_map_size(g), 2);
    const fl_source_defaults *f1 = fl_config_for_file(c, "dir/lf-1.log");
    REQUIRE(f1 != NULL);
    /* the entry's latency replaces the input section's; service stays */
    CHECK_EQ(fl_field_map_size(f1->fields), 3);
    const fl_source_defaults *f2 = fl_config_for_file(c, "nginx-a.log");
    REQUIRE(f2 != NULL);
    CHECK(f2->fields == g); /* no fields of its own: the input section's */
    const fl_source_defaults *t = fl_config_for_topic(c, "billing");
    REQUIRE(t != NULL);
    CHECK_EQ(fl_field_map_size(t->fields), 2);
    /* decoding through the merged map */
    fl_decoder *d = fl_decoder_new(FL_FORMAT_AUTO);
    fl_decoder_set_fields(d, f1->fields);
    fl_event ev;
    fl_bad_reason why;
    REQUIRE(dec_line(d, "{\"ts\":1710074096,\"app.name\":\"cart\",\"took\":7,"
                        "\"rt\":3,\"code\":\"504\"}",
                     &ev, &why));
    CHECK_FLSTR(ev.service, "cart");
    CHECK_EQ(ev.latency_ms, 7.0);
    CHECK_EQ(ev.status, 504);
    fl_decoder_destroy(d);

    /* the writer's file reads back to the same maps */
    fl_buf b = {0};
    fl_config_write(c, false, &b);
    fl_config *c2 = fl_config_parse("w.yaml", b.p, b.n, FL_CONFIG_NO_REGISTER,
                                    err, sizeof err);
    CHECK_MSG(c2 != NULL, "written file refused: %s\n%.*s", err, (int)b.n,
              b.p);
    if (c2) {
        fl_buf b2 = {0};
        fl_config_write(c2, false, &b2);
        CHECK(b.n == b2.n && memcmp(b.p, b2.p, b.n) == 0);
        CHECK(strstr(b.p, "fields: {service: \"app.name\", latency_s: "
                          "\"rt\"}") != NULL);
        fl_buf_free(&b2);
        fl_config_free(c2);
    }
    fl_buf_free(&b);
    fl_config_free(c);

    /* an entry that sets only fields is an entry that sets something */
    c = parse("files:\n  - glob: x\n    fields: {}\n", err, sizeof err);
    CHECK_MSG(c != NULL, "refused: %s", err);
    fl_config_free(c);
    /* no fields anywhere: no maps */
    c = parse("input:\n  fields: {}\n", err, sizeof err);
    REQUIRE(c != NULL);
    CHECK(fl_config_fields(c) == NULL);
    fl_config_free(c);
}

static const unit_test tests[] = {
    UNIT_TEST(map_add_rejects),  UNIT_TEST(json_paths_and_units),
    UNIT_TEST(trace_id_target), UNIT_TEST(path_target),
    UNIT_TEST(other_units),      UNIT_TEST(logfmt_and_changes),
    UNIT_TEST(msgpack_nested),   UNIT_TEST(config_errors),
    UNIT_TEST(config_maps),
};
UNIT_SUITE(unit_suite_fields, "fields", tests);
