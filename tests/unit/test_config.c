/* test_config.c - cli/config.c: the key table against the modules'
 * defaults, the defaults file round trip, every error with its exact
 * "FILE:LINE: reason", files/topics lookups, command-line precedence
 * (through the real option parser), and the generated docs being current. */
#define _POSIX_C_SOURCE 200809L
#include "../../cli/cli.h"
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *fl_config_readme_example(void); /* cli/config.c */

#define NOREG FL_CONFIG_NO_REGISTER

static fl_config *parse(const char *text, char *err, size_t n)
{
    return fl_config_parse("t.yaml", text, strlen(text), NOREG, err, n);
}

/* The file must be refused with exactly this message. */
#define EXPECT_ERR(text, want)                                                 \
    do {                                                                       \
        char err_[1024] = "";                                                  \
        fl_config *c_ = parse(text, err_, sizeof err_);                        \
        CHECK_MSG(!c_, "accepted: %s", text);                                  \
        fl_config_free(c_);                                                    \
        CHECK_STR(err_, want);                                                 \
        CHECK_MSG(!strchr(err_, '\n'), "not one line: %s", err_);              \
    } while (0)

#define EXPECT_OK(text)                                                        \
    do {                                                                       \
        char err_[1024] = "";                                                  \
        fl_config *c_ = parse(text, err_, sizeof err_);                        \
        CHECK_MSG(c_ != NULL, "refused: %s", err_);                            \
        fl_config_free(c_);                                                    \
    } while (0)

static char *write_tmp(const char *name, const char *text)
{
    static char path[600];
    snprintf(path, sizeof path, "%s/%s", unit_tmpdir(), name);
    FILE *f = fopen(path, "wb");
    if (!f)
        return NULL;
    fputs(text, f);
    fclose(f);
    return path;
}

static char *read_all(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fl_buf b = {0};
    char tmp[4096];
    size_t got;
    while ((got = fread(tmp, 1, sizeof tmp, f)) > 0)
        fl_buf_put(&b, tmp, got);
    fclose(f);
    fl_buf_putc(&b, '\0');
    *n = b.n - 1;
    return b.p;
}

/* ------------------------------------------------------------- table */

static void table_is_sound(void)
{
    for (size_t i = 0; i < fl_config_nkeys; i++) {
        const fl_config_key *k = &fl_config_keys[i];
        CHECK_MSG(k->help && strlen(k->help) > 20, "%s.%s: no help", k->section,
                  k->name);
        CHECK_MSG(k->min <= k->max, "%s.%s: range", k->section, k->name);
        CHECK_MSG(!strchr(k->help, '|'), "%s.%s: '|' breaks the docs' tables",
                  k->section, k->name);
        for (size_t j = 0; j < i; j++)
            CHECK_MSG(strcmp(k->section, fl_config_keys[j].section) != 0 ||
                          strcmp(k->name, fl_config_keys[j].name) != 0,
                      "%s.%s twice", k->section, k->name);
    }
}

/* The table's defaults are the modules' defaults: --defaults does not lie. */
static void table_defaults_are_the_modules(void)
{
    fl_buf b = {0};
    fl_config_write(NULL, true, &b);
    char err[1024] = "";
    fl_config *c =
        fl_config_parse("defaults", b.p, b.n, NOREG, err, sizeof err);
    REQUIRE(c != NULL);
    fl_pipeline_conf got, want;
    memset(&got, 0x5a, sizeof got); /* every field must be overwritten */
    fl_pipeline_conf_default(&want);
    got.on_incident = NULL;
    got.ud = NULL;
    got.detect.arl_buckets = 0;
    fl_config_apply(c, &got);
    CHECK_EQ(got.format, want.format);
    CHECK_EQ(got.max_line, want.max_line);
    CHECK_EQ(got.detect.bucket, want.detect.bucket);
    CHECK_EQ(got.detect.lateness, want.detect.lateness);
    CHECK_EQ(got.detect.warmup, want.detect.warmup);
    CHECK_EQ(got.detect.end_hold, want.detect.end_hold);
    CHECK_EQ(got.detect.rebaseline, want.detect.rebaseline);
    CHECK_EQ(got.detect.max_gap, want.detect.max_gap);
    CHECK_EQ(got.detect.min_excess_errors, want.detect.min_excess_errors);
    CHECK_EQ(got.detect.max_services, want.detect.max_services);
    CHECK_EQ(got.rca.lookback, want.rca.lookback);
    CHECK_EQ(got.rca.join, want.rca.join);
    CHECK_EQ(got.rca.surge_window, want.rca.surge_window);
    CHECK_EQ(got.rca.max_causes, want.rca.max_causes);
    /* detect derives 60 days of buckets from arl_buckets = 0; the file's
     * false_alarm_every (60d) gives the same figure */
    fl_config_finish(c, &got, false);
    CHECK_EQ(want.detect.arl_buckets, 0);
    CHECK_NEAR(got.detect.arl_buckets,
               60.0 * 86400 * 1e9 / (double)want.detect.bucket, 1e-6);
    /* the default of every key is in the file */
    for (size_t i = 0; i < fl_config_nkeys; i++) {
        const fl_config_key *k = &fl_config_keys[i];
        if (!k->def)
            continue;
        char line[160];
        snprintf(line, sizeof line, "\n  %s: %s\n", k->name, k->def);
        CHECK_MSG(strstr(b.p, line), "--defaults lacks '%s: %s'", k->name,
                  k->def);
    }
    fl_config_free(c);
    fl_buf_free(&b);
}

/* ------------------------------------------------------- round trips */

static void defaults_round_trip(void)
{
    for (int comments = 0; comments < 2; comments++) {
        fl_buf a = {0}, b = {0};
        fl_config_write(NULL, comments, &a);
        char err[1024] = "";
        fl_config *c = fl_config_parse("d", a.p, a.n, NOREG, err, sizeof err);
        CHECK_MSG(c != NULL, "%s", err);
        if (c) {
            fl_config_write(c, comments, &b);
            CHECK_EQ(a.n, b.n);
            CHECK(a.n == b.n && memcmp(a.p, b.p, a.n) == 0);
        }
        /* an empty file is the defaults too */
        fl_config *e = parse("", err, sizeof err);
        CHECK(e != NULL);
        fl_buf d = {0};
        fl_config_write(e, comments, &d);
        CHECK(a.n == d.n && memcmp(a.p, d.p, a.n) == 0);
        fl_config_free(e);
        fl_config_free(c);
        fl_buf_free(&a);
        fl_buf_free(&b);
        fl_buf_free(&d);
    }
}

/* Everything a file can hold, strings that need quoting included, reads
 * back the same after being written. */
static void full_file_round_trip(void)
{
    const char *text =
        "input: {format: auto, max_line: 1024}\n"
        "detect:\n"
        "  bucket: 1.5s\n"
        "  lateness: 0\n"
        "  warmup: 0.5h\n"
        "  end_hold: 90s\n"
        "  rebaseline: 1d\n"
        "  max_gap: 30m\n"
        "  false_alarm_every: 365d\n"
        "  min_excess_errors: 2.5\n"
        "  max_services: 7\n"
        "rca: {lookback: 100m, join: 10s, surge_window: 0s, max_causes: 1,\n"
        "      topology: {frontend: [api], api: [cart, 'sea rch'], x: y}}\n"
        "files:\n"
        "  - glob: '*/we\"ird\\\\path/*'\n"
        "    format: my.pattern\n"
        "    service: \"caf\\u00e9 \\u00a0svc\"\n"
        "  - {glob: '-', service: stdin-svc}\n"
        "topics:\n"
        "  - topic: 'logs-*'\n"
        "    format: raw\n"
        "patterns:\n"
        "  - name: my.pattern\n"
        "    regex: \"^(?<ts>\\\\S+)\\t(?<msg>.*)\\u0085$\"\n"
        "    service: fixed\n";
    char err[1024] = "";
    fl_config *c = parse(text, err, sizeof err);
    REQUIRE(c != NULL);
    fl_buf a = {0}, b = {0};
    fl_config_write(c, false, &a);
    fl_config *c2 = fl_config_parse("a", a.p, a.n, NOREG, err, sizeof err);
    CHECK_MSG(c2 != NULL, "%s\n%s", err, a.p);
    if (c2) {
        fl_config_write(c2, true, &b);
        fl_config *c3 = fl_config_parse("b", b.p, b.n, NOREG, err, sizeof err);
        CHECK_MSG(c3 != NULL, "%s", err);
        fl_buf x = {0};
        if (c3)
            fl_config_write(c3, false, &x);
        CHECK(x.n == a.n && memcmp(x.p, a.p, a.n) == 0);
        fl_buf_free(&x);
        fl_config_free(c3);
    }
    CHECK(strstr(a.p, "  topology: {\"frontend\": [\"api\"], \"api\": "
                      "[\"cart\", \"sea rch\"], \"x\": [\"y\"]}\n"));
    CHECK(strstr(a.p, "  bucket: 1500ms\n"));
    CHECK(strstr(a.p, "  warmup: 30m\n"));
    CHECK(strstr(a.p, "  min_excess_errors: 2.5\n"));
    CHECK(strstr(a.p, "  lateness: 0s\n"));
    const fl_source_defaults *d = fl_config_for_file(c2, "/x/we\"ird\\path/y");
    REQUIRE(d != NULL);
    CHECK_STR(d->service, "caf\xc3\xa9 \xc2\xa0svc");
    fl_config_free(c2);
    fl_config_free(c);
    fl_buf_free(&a);
    fl_buf_free(&b);
}

/* ------------------------------------------------------------ errors */

static void unknown_keys_and_sections(void)
{
    EXPECT_ERR("detect:\n  bucket: 10s\n  latnecy: 5s\n",
               "t.yaml:3: unknown key 'latnecy' in section detect (known: "
               "bucket, lateness, warmup, end_hold, rebaseline, max_gap, "
               "false_alarm_every, min_excess_errors, max_services, max_future)");
    EXPECT_ERR("# comment\ndetec:\n  bucket: 10s\n",
               "t.yaml:2: unknown section 'detec' (known: input, detect, rca, "
               "files, topics, patterns)");
    EXPECT_ERR("rca:\n  max_cause: 3\n",
               "t.yaml:2: unknown key 'max_cause' in section rca (known: "
               "lookback, join, surge_window, max_causes, topology)");
    EXPECT_ERR("files:\n  - glob: x\n    fromat: raw\n",
               "t.yaml:3: unknown key 'fromat' in a files entry (known: glob, "
               "format, service, fields)");
    EXPECT_ERR("patterns:\n  - name: p\n    regexp: x\n",
               "t.yaml:3: unknown key 'regexp' in a patterns entry (known: "
               "name, regex, service)");
    /* control characters in a key are not echoed raw */
    EXPECT_ERR("\"de\\ttect\": {}\n",
               "t.yaml:1: unknown section 'de?tect' (known: input, detect, "
               "rca, files, topics, patterns)");
    EXPECT_ERR("[a]: 1\n",
               "t.yaml:1: expected a key in the top level, got a list");
}

static void duplicates(void)
{
    EXPECT_ERR("detect:\n  bucket: 10s\n\n  bucket: 20s\n",
               "t.yaml:4: duplicate key 'bucket' in section detect (first at "
               "line 2)");
    EXPECT_ERR("rca: {}\ndetect: {}\nrca: {}\n",
               "t.yaml:3: duplicate section 'rca' (first at line 1)");
    EXPECT_ERR("files:\n  - glob: a\n    service: x\n    service: y\n",
               "t.yaml:4: duplicate key 'service' in a files entry (first at "
               "line 3)");
    EXPECT_ERR("patterns:\n  - {name: p, regex: a}\n  - {name: q, regex: b}\n"
               "  - {name: p, regex: c}\n",
               "t.yaml:4: patterns.name: 'p' is defined twice (first at line "
               "2)");
}

static void bad_durations(void)
{
    const char *why = "(use e.g. 10s, 500ms, 2m, 1h, 1d)";
    char want[256];
    static const char *const bad[] = {
        "10x",  "-5m",  "abc", "0x10s",  "inf", "nan",  "1e999s",
        "10 s", "+10s", "s",   "1.2.3s", "10S", "5mins"};
    for (size_t i = 0; i < FL_ARRAY_LEN(bad); i++) {
        char text[128];
        snprintf(text, sizeof text, "detect:\n  warmup: \"%s\"\n", bad[i]);
        snprintf(want, sizeof want,
                 "t.yaml:2: detect.warmup: invalid duration '%s' %s", bad[i],
                 why);
        EXPECT_ERR(text, want);
    }
    EXPECT_ERR("detect:\n  bucket: 2h\n",
               "t.yaml:2: detect.bucket: 2h is out of range (100ms to 1h)");
    EXPECT_ERR("detect:\n  bucket: 50ms\n",
               "t.yaml:2: detect.bucket: 50ms is out of range (100ms to 1h)");
    EXPECT_ERR("rca:\n  join: 0s\n",
               "t.yaml:2: rca.join: 0s is out of range (10s to 1d)");
    EXPECT_ERR("detect:\n  false_alarm_every: 3651d\n",
               "t.yaml:2: detect.false_alarm_every: 3651d is out of range (1h "
               "to 3650d)");
    EXPECT_ERR("detect:\n  warmup: 1.0005s\n",
               "t.yaml:2: detect.warmup: 1.0005s is finer than a millisecond");
    EXPECT_ERR("detect:\n  warmup: 99999999999999999999d\n",
               "t.yaml:2: detect.warmup: invalid duration "
               "'99999999999999999999d' (use e.g. 10s, 500ms, 2m, 1h, 1d)");
    /* units the CLI takes, and a bare number (seconds) */
    EXPECT_OK("detect: {warmup: 90, end_hold: 2min, bucket: 0.5s, lateness: "
              "250ms, max_gap: 1.5h, rebaseline: 2d}\n");
}

static void bad_numbers(void)
{
    EXPECT_ERR("rca:\n  max_causes: five\n",
               "t.yaml:2: rca.max_causes: expected a whole number, got 'five'");
    EXPECT_ERR("rca:\n  max_causes: 2.5\n",
               "t.yaml:2: rca.max_causes: expected a whole number, got '2.5'");
    EXPECT_ERR("rca:\n  max_causes: -1\n",
               "t.yaml:2: rca.max_causes: expected a whole number, got '-1'");
    EXPECT_ERR("rca:\n  max_causes: 0\n",
               "t.yaml:2: rca.max_causes: 0 is out of range (1 to 100)");
    EXPECT_ERR("rca:\n  max_causes: 101\n",
               "t.yaml:2: rca.max_causes: 101 is out of range (1 to 100)");
    EXPECT_ERR("input:\n  max_line: 99999999999999999999\n",
               "t.yaml:2: input.max_line: expected a whole number, got "
               "'99999999999999999999'");
    EXPECT_ERR("input:\n  max_line: 18446744073709551615\n",
               "t.yaml:2: input.max_line: expected a whole number, got "
               "'18446744073709551615'");
    EXPECT_ERR("input:\n  max_line: 63\n",
               "t.yaml:2: input.max_line: 63 is out of range (64 to "
               "1073741824)");
    EXPECT_ERR("detect:\n  max_services: 10000001\n",
               "t.yaml:2: detect.max_services: 10000001 is out of range (1 to "
               "10000000)");
    EXPECT_ERR("detect:\n  min_excess_errors: 0x10\n",
               "t.yaml:2: detect.min_excess_errors: expected a number, got "
               "'0x10'");
    EXPECT_ERR("detect:\n  min_excess_errors: .inf\n",
               "t.yaml:2: detect.min_excess_errors: expected a number, got "
               "'.inf'");
    EXPECT_ERR("detect:\n  min_excess_errors: 0.5\n",
               "t.yaml:2: detect.min_excess_errors: 0.5 is out of range (1 to "
               "1000000)");
    EXPECT_OK("detect:\n  min_excess_errors: 1e3\n");
}

static void wrong_types(void)
{
    EXPECT_ERR("detect:\n  bucket: [10s]\n",
               "t.yaml:2: detect.bucket: expected a duration (e.g. 10s, 500ms, "
               "2m, 1h, 1d), got a list");
    EXPECT_ERR("detect:\n  bucket:\n    s: 10\n",
               "t.yaml:3: detect.bucket: expected a duration (e.g. 10s, 500ms, "
               "2m, 1h, 1d), got a mapping");
    EXPECT_ERR("rca:\n  max_causes:\n",
               "t.yaml:2: rca.max_causes: no value given (expected a whole "
               "number)");
    EXPECT_ERR("rca:\n  max_causes: ~\n",
               "t.yaml:2: rca.max_causes: no value given (expected a whole "
               "number)");
    EXPECT_ERR("detect: 10s\n",
               "t.yaml:1: section detect must be a mapping of keys (bucket, "
               "lateness, warmup, end_hold, rebaseline, max_gap, "
               "false_alarm_every, min_excess_errors, max_services, max_future), got a "
               "single value");
    EXPECT_ERR("files:\n  glob: x\n",
               "t.yaml:2: section files must be a list of entries ('- glob: "
               "...'), got a mapping");
    EXPECT_ERR("topics:\n  - logs\n",
               "t.yaml:2: each entry of topics must be a mapping (topic, "
               "format, service, fields), got a single value");
    EXPECT_ERR("- input\n",
               "t.yaml:1: expected sections (input, detect, rca, files, "
               "topics, patterns) at the top level, got a list");
    EXPECT_ERR("just words\n",
               "t.yaml:1: expected sections (input, detect, rca, files, "
               "topics, patterns) at the top level, got a single value");
    EXPECT_ERR("files:\n  - glob: [a, b]\n    service: x\n",
               "t.yaml:2: files.glob: expected a glob, got a list");
}

static void bad_strings(void)
{
    EXPECT_ERR("files:\n  - glob: x\n    service: \"a\\x01b\"\n",
               "t.yaml:3: files.service: invalid service 'a?b' (a service "
               "name needs a visible character and no control characters)");
    EXPECT_ERR("files:\n  - glob: x\n    service: \"   \"\n",
               "t.yaml:3: files.service: invalid service '   ' (a service "
               "name needs a visible character and no control characters)");
    EXPECT_ERR("files:\n  - glob: x\n    service: \"a\\0b\"\n",
               "t.yaml:3: files.service: the value holds a NUL character");
    char text[600], want[400];
    memset(want, 0, sizeof want);
    snprintf(text, sizeof text, "topics:\n  - topic: t\n    service: %0300d\n",
             7);
    EXPECT_ERR(text, "t.yaml:3: topics.service: "
                     "'000000000000000000000000000000000000000000000000...' "
                     "is 300 bytes long (1 to 256 bytes)");
    EXPECT_ERR("files:\n  - glob: \"a\\nb\"\n    service: x\n",
               "t.yaml:2: files.glob: invalid glob 'a?b' (control characters "
               "are not allowed)");
    EXPECT_ERR("patterns:\n  - name: 9lives\n    regex: x\n",
               "t.yaml:2: patterns.name: invalid name '9lives' (use letters, "
               "digits, '_', '-' and '.', starting with a letter)");
    EXPECT_ERR("patterns:\n  - name: json\n    regex: x\n",
               "t.yaml:2: patterns.name: 'json' is a built-in format's name");
    EXPECT_ERR("patterns:\n  - name: auto\n    regex: x\n",
               "t.yaml:2: patterns.name: 'auto' is a built-in format's name");
}

static void entries(void)
{
    EXPECT_ERR("files:\n  - format: raw\n    service: x\n",
               "t.yaml:2: a files entry: missing key 'glob'");
    EXPECT_ERR("topics:\n  - {format: raw}\n",
               "t.yaml:2: a topics entry: missing key 'topic'");
    EXPECT_ERR("patterns:\n  - name: p\n",
               "t.yaml:2: a patterns entry: missing key 'regex'");
    EXPECT_ERR("files:\n  - glob: '*.log'\n",
               "t.yaml:2: a files entry sets nothing: give it 'format', "
               "'service' and/or 'fields'");
    char want[400];
    snprintf(want, sizeof want,
             "t.yaml:3: files.format: unknown format 'nginxx' (this build "
             "decodes %s; or define it under patterns)",
             fl_format_names());
    EXPECT_ERR("files:\n  - glob: '*.log'\n    format: nginxx\n", want);
    snprintf(want, sizeof want,
             "t.yaml:2: input.format: unknown format 'mine' (this build "
             "decodes %s; or define it under patterns)",
             fl_format_names());
    EXPECT_ERR("input:\n  format: mine\n", want);
    /* a pattern may be named before it is defined */
    EXPECT_OK(
        "input:\n  format: mine\npatterns:\n  - {name: mine, regex: x}\n");
    /* empty sections and files are fine */
    EXPECT_OK("");
    EXPECT_OK("# nothing\n");
    EXPECT_OK("---\n");
    EXPECT_OK("---\n...\n");
    EXPECT_OK("detect:\nrca: {}\nfiles: []\ntopics:\npatterns: ~\n");
}

static void yaml_level_errors(void)
{
    EXPECT_ERR("detect:\n  bucket: &b 10s\n  end_hold: *b\n",
               "t.yaml:3: aliases (*b) are not supported");
    EXPECT_ERR("detect:\n  bucket: !!str 10s\n",
               "t.yaml:2: tags (tag:yaml.org,2002:str) are not supported");
    EXPECT_ERR("detect: !custom\n  bucket: 10s\n",
               "t.yaml:1: tags (!custom) are not supported");
    EXPECT_ERR("rca: {}\n---\ndetect: {}\n",
               "t.yaml:2: only one YAML document is allowed");
    EXPECT_ERR("detect:\n  bucket: 10s\n lateness: 5s\n",
               "t.yaml:3: invalid YAML: did not find expected key while "
               "parsing a block mapping");
    EXPECT_ERR("detect: {bucket: 10s\n",
               "t.yaml:2: invalid YAML: did not find expected ',' or '}' "
               "while parsing a flow mapping");
    EXPECT_ERR("detect:\n\tbucket: 10s\n",
               "t.yaml:2: invalid YAML: found character that cannot start any "
               "token while scanning for the next token");
    EXPECT_ERR("rca:\n  lookback: 2h\n  join: \"5m\n",
               "t.yaml:4: invalid YAML: found unexpected end of stream while "
               "scanning a quoted scalar");
    /* bytes that are not UTF-8, on line 3 */
    EXPECT_ERR("rca:\n  lookback: 2h\n  join: \xff\n",
               "t.yaml:3: invalid YAML: invalid leading UTF-8 octet (#FF)");
    EXPECT_ERR("rca:\n  lookback: 2h\n\x01\n",
               "t.yaml:3: invalid YAML: control characters are not allowed "
               "(#1)");
}

static void files_on_disk(void)
{
    char err[1024];
    fl_config *c =
        fl_config_load("/nonexistent/fl.yaml", NOREG, err, sizeof err);
    CHECK(c == NULL);
    CHECK_STR(err, "/nonexistent/fl.yaml: cannot read the configuration file: "
                   "No such file or directory");
    const char *path = write_tmp("ok.yaml", "detect:\n  bucket: 5s\n");
    REQUIRE(path != NULL);
    c = fl_config_load(path, NOREG, err, sizeof err);
    CHECK_MSG(c != NULL, "%s", err);
    fl_config_free(c);
    path = write_tmp("bad.yaml", "detect:\n  bucket: 5q\n");
    c = fl_config_load(path, NOREG, err, sizeof err);
    CHECK(c == NULL);
    char want[800];
    snprintf(want, sizeof want,
             "%s:2: detect.bucket: invalid duration '5q' "
             "(use e.g. 10s, 500ms, 2m, 1h, 1d)",
             path);
    CHECK_STR(err, want);
    /* a directory is not a file */
    c = fl_config_load(unit_tmpdir(), NOREG, err, sizeof err);
    CHECK(c == NULL);
    CHECK(strstr(err, ": cannot read the configuration file: ") != NULL);
    /* too big to be a configuration file */
    size_t big = (1u << 20) + 1;
    char *blob = malloc(big + 1);
    REQUIRE(blob != NULL);
    memset(blob, '#', big);
    blob[big] = '\0';
    c = fl_config_parse("big.yaml", blob, big, NOREG, err, sizeof err);
    CHECK(c == NULL);
    CHECK_STR(err, "big.yaml: too large for a configuration file (more "
                   "than 1048576 bytes)");
    /* on disk too, however large */
    FILE *f = fopen(write_tmp("big.yaml", ""), "wb");
    REQUIRE(f != NULL);
    for (int i = 0; i < 3; i++)
        fwrite(blob, 1, big, f);
    fclose(f);
    char bigpath[600];
    snprintf(bigpath, sizeof bigpath, "%s/big.yaml", unit_tmpdir());
    c = fl_config_load(bigpath, NOREG, err, sizeof err);
    CHECK(c == NULL);
    char want2[800];
    snprintf(want2, sizeof want2,
             "%s: too large for a configuration file "
             "(more than 1048576 bytes)",
             bigpath);
    CHECK_STR(err, want2);
    free(blob);
}

/* ----------------------------------------------------------- lookups */

static void file_globs(void)
{
    const char *text = "files:\n"
                       "  - glob: '/var/log/nginx/*'\n"
                       "    service: web\n"
                       "  - glob: 'access*.log*'\n"
                       "    format: raw\n"
                       "  - glob: '*.json*'\n"
                       "    format: json\n"
                       "    service: api\n"
                       "  - glob: '-'\n"
                       "    service: piped\n";
    char err[1024];
    fl_config *c = parse(text, err, sizeof err);
    REQUIRE(c != NULL);
    const fl_source_defaults *d;
    /* a glob with '/' is matched against the whole path */
    d = fl_config_for_file(c, "/var/log/nginx/access.log");
    REQUIRE(d != NULL);
    CHECK_STR(d->service, "web");
    CHECK(!d->has_format);
    /* without '/', against the base name: first match wins */
    d = fl_config_for_file(c, "/srv/other/access-2024.log.zst");
    REQUIRE(d != NULL);
    CHECK(d->has_format);
    CHECK_EQ(d->format, FL_FORMAT_RAW);
    CHECK_STR(d->format_name, "raw");
    CHECK(d->service == NULL);
    d = fl_config_for_file(c, "relative/api.json.zst");
    REQUIRE(d != NULL);
    CHECK_EQ(d->format, FL_FORMAT_JSON);
    CHECK_STR(d->service, "api");
    /* '*' crosses '/' in path globs */
    d = fl_config_for_file(c, "/var/log/nginx/2024/07/a.log");
    CHECK(d != NULL && d->service && strcmp(d->service, "web") == 0);
    d = fl_config_for_file(c, "-");
    CHECK(d != NULL && d->service && strcmp(d->service, "piped") == 0);
    CHECK(fl_config_for_file(c, "/var/log/syslog") == NULL);
    CHECK(fl_config_for_file(c, "/json/x.log") == NULL); /* base name only */
    CHECK(fl_config_for_file(NULL, "/var/log/nginx/a") == NULL);
    CHECK(fl_config_for_topic(c, "logs") == NULL);
    /* --format on the command line beats the entries' formats */
    fl_pipeline_conf conf;
    fl_pipeline_conf_default(&conf);
    fl_config_finish(c, &conf, true);
    d = fl_config_for_file(c, "/srv/other/access-2024.log.zst");
    REQUIRE(d != NULL);
    CHECK(!d->has_format);
    d = fl_config_for_file(c, "api.json");
    REQUIRE(d != NULL);
    CHECK(!d->has_format);
    CHECK_STR(d->service, "api");
    fl_config_free(c);
}

static void topic_lookup(void)
{
    const char *text = "topics:\n"
                       "  - topic: edge\n"
                       "    format: raw\n"
                       "    service: edge-proxy\n"
                       "  - topic: 'app-*'\n"
                       "    format: json\n";
    char err[1024];
    fl_config *c = parse(text, err, sizeof err);
    REQUIRE(c != NULL);
    const fl_source_defaults *d = fl_config_for_topic(c, "edge");
    REQUIRE(d != NULL);
    CHECK_EQ(d->format, FL_FORMAT_RAW);
    CHECK_STR(d->service, "edge-proxy");
    d = fl_config_for_topic(c, "app-payments");
    REQUIRE(d != NULL);
    CHECK_EQ(d->format, FL_FORMAT_JSON);
    CHECK(d->service == NULL);
    CHECK(fl_config_for_topic(c, "edge2") == NULL);
    CHECK(fl_config_for_topic(c, "changes") == NULL);
    CHECK(fl_config_for_file(c, "edge") == NULL);
    fl_config_free(c);
}

/* Patterns registered with the decoders; an entry's service beats what a
 * pattern would derive from a `path` group. Names are unique to this test:
 * the registry is the process's. */
static bool decode_with(fl_format f, const char *line, const char *fallback,
                        fl_event *ev)
{
    fl_decoder *dec = fl_decoder_new(f);
    fl_bad_reason why;
    bool ok = fl_decode_line(dec, fl_str_c(line), fl_str_c(fallback), ev, &why);
    fl_decoder_destroy(dec);
    return ok;
}

static void patterns_registered(void)
{
    const char *text =
        "input:\n"
        "  format: cfgtest.hap\n"
        "files:\n"
        "  - glob: '*.hap'\n"
        "    format: cfgtest.hap\n"
        "  - glob: 'web*'\n"
        "    format: nginx\n"
        "    service: frontend\n"
        "topics:\n"
        "  - topic: edge\n"
        "    format: nginx\n"
        "    service: frontend\n"
        "  - topic: raw\n"
        "    format: raw\n"
        "    service: rawsvc\n"
        "patterns:\n"
        "  - name: cfgtest.hap\n"
        "    regex: '^(?<ts>\\S+) (?<service>[\\w-]+) (?<status>\\d{3}) "
        "(?<latency_ms>\\d+) (?<msg>.*)$'\n";
    char err[1024] = "";
    fl_config *c =
        fl_config_parse("t.yaml", text, strlen(text), 0, err, sizeof err);
    REQUIRE(c != NULL);
    fl_pipeline_conf conf;
    fl_pipeline_conf_default(&conf);
    fl_config_apply(c, &conf);
    CHECK_GE((int)conf.format, FL_FORMAT_PATTERN_BASE);
    fl_event ev;
    const fl_source_defaults *d = fl_config_for_file(c, "x/y.hap");
    REQUIRE(d != NULL);
    CHECK(decode_with(d->format, "2026-07-24T10:00:00Z api 503 12 boom", "y",
                      &ev));
    CHECK_FLSTR(ev.service, "api");
    CHECK_EQ(ev.status, 503);
    CHECK_NEAR(ev.latency_ms, 12, 1e-9);
    const char *access = "1.2.3.4 - - [24/Jul/2026:10:00:00 +0000] \"GET "
                         "/cart/x HTTP/1.1\" 200 12 \"-\" \"curl\" 0.012";
    /* nginx alone names the service from the path... */
    fl_format nginx;
    REQUIRE(fl_format_parse("nginx", &nginx));
    CHECK(decode_with(nginx, access, "web", &ev));
    CHECK_FLSTR(ev.service, "cart");
    /* ...an entry's service beats that */
    d = fl_config_for_file(c, "/var/log/web.log");
    REQUIRE(d != NULL);
    CHECK_STR(d->format_name, "nginx");
    CHECK(decode_with(d->format, access, "web", &ev));
    CHECK_FLSTR(ev.service, "frontend");
    const fl_source_defaults *t = fl_config_for_topic(c, "edge");
    REQUIRE(t != NULL);
    CHECK_EQ(t->format, d->format); /* same format and service: one pattern */
    CHECK(decode_with(t->format, access, "edge", &ev));
    CHECK_FLSTR(ev.service, "frontend");
    /* formats that are not patterns keep the fallback route */
    t = fl_config_for_topic(c, "raw");
    REQUIRE(t != NULL);
    CHECK_EQ(t->format, FL_FORMAT_RAW);
    fl_config_free(c);
    /* compile errors come back with the regex's line */
    const char *bad = "patterns:\n"
                      "  - name: cfgtest.ok\n"
                      "    regex: '(?<ts>\\d+)'\n"
                      "  - name: cfgtest.bad\n"
                      "    regex: '^(?<ts>\\S+'\n";
    c = fl_config_parse("t.yaml", bad, strlen(bad), 0, err, sizeof err);
    CHECK(c == NULL);
    CHECK_STR(err, "t.yaml:5: patterns.regex: pattern cfgtest.bad: at offset "
                   "10: missing closing parenthesis");
    const char *nots = "patterns:\n  - name: cfgtest.nots\n    regex: "
                       "'(?<msg>.*)'\n";
    c = fl_config_parse("t.yaml", nots, strlen(nots), 0, err, sizeof err);
    CHECK(c == NULL);
    CHECK_STR(err, "t.yaml:3: patterns.regex: pattern cfgtest.nots: no named "
                   "group for the time (?<ts>...)");
    /* nginx and syslog are patterns and may be redefined (not registered
     * here: that would change nginx for the rest of the process) */
    EXPECT_OK("patterns:\n  - {name: nginx, regex: '(?<ts>\\S+)'}\n");
    EXPECT_OK("patterns:\n  - {name: syslog, regex: '(?<ts>\\S+)'}\n");
    EXPECT_ERR("patterns:\n  - {name: logfmt, regex: '(?<ts>\\S+)'}\n",
               "t.yaml:2: patterns.name: 'logfmt' is a built-in format's name");
}

/* Replay asks the config per input: an nginx file named by a files entry
 * is decoded as nginx under the entry's service, a raw file matched by
 * base name gets its entry's service, others keep the defaults. */
static void replay_uses_file_entries(void)
{
    const char *text = "files:\n"
                       "  - glob: '*/edge/*.log'\n"
                       "    format: nginx\n"
                       "    service: frontend\n"
                       "  - glob: 'worker*'\n"
                       "    service: jobs\n";
    char err[1024] = "";
    fl_config *c =
        fl_config_parse("t.yaml", text, strlen(text), 0, err, sizeof err);
    REQUIRE(c != NULL);
    static const char access[] =
        "1.2.3.4 - - [24/Jul/2026:10:00:00 +0000] \"GET /cart/x HTTP/1.1\" "
        "200 12 \"-\" \"curl\" 0.012\n"
        "1.2.3.4 - - [24/Jul/2026:10:00:01 +0000] \"GET /cart/y HTTP/1.1\" "
        "503 12 \"-\" \"curl\" 0.020\n";
    static const char json[] = "{\"ts\":\"2026-07-24T10:00:00Z\",\"service\":"
                               "\"api\",\"status\":200}\n";
    static const char raw[] = "starting job 7\n";
    fl_pipeline_conf conf;
    fl_pipeline_conf_default(&conf);
    fl_pipeline *p = fl_pipeline_new(&conf);
    fl_source *srcs[3] = {
        fl_source_open_mem("/var/log/edge/access.log", access,
                           sizeof access - 1, conf.max_line),
        fl_source_open_mem("app.jsonl", json, sizeof json - 1, conf.max_line),
        fl_source_open_mem("/tmp/worker-3.log", raw, sizeof raw - 1,
                           conf.max_line),
    };
    CHECK_EQ(fl_replay_sources(p, srcs, 3, FL_FORMAT_AUTO, c, false), 0);
    const fl_stats *st = fl_pipeline_stats(p);
    CHECK_EQ(st->lines, 4);
    const fl_rca *r = fl_pipeline_rca(p);
    bool frontend = false, cart = false, api = false, jobs = false;
    for (int32_t id = 0; id < 8; id++) {
        const char *n = fl_rca_service_name(r, id);
        frontend |= strcmp(n, "frontend") == 0;
        cart |= strcmp(n, "cart") == 0;
        api |= strcmp(n, "api") == 0;
        jobs |= strcmp(n, "jobs") == 0;
    }
    CHECK(frontend);
    CHECK(!cart);
    CHECK(api);
    (void)jobs; /* raw lines carry no time: counted, not an event */
    CHECK_EQ(st->events + st->bad_lines, 4);
    fl_pipeline_destroy(p);
    for (int i = 0; i < 3; i++)
        fl_source_destroy(srcs[i]);
    fl_config_free(c);
}

/* --------------------------------------------------- the command line */

static int cli(fl_cli_opts *o, const char *cmd, char **args)
{
    int n = 0;
    while (args[n])
        n++;
    bool consume = strcmp(cmd, "consume") == 0;
    return fl_cli_parse(cmd, consume, n, args, o);
}

static void command_line_overrides(void)
{
    const char *path = write_tmp("cli.yaml", "input:\n"
                                             "  max_line: 4096\n"
                                             "detect:\n"
                                             "  bucket: 30s\n"
                                             "  lateness: 1m\n"
                                             "  false_alarm_every: 30d\n"
                                             "  max_services: 50\n"
                                             "rca:\n"
                                             "  lookback: 6h\n"
                                             "  max_causes: 3\n"
                                             "files:\n"
                                             "  - glob: '*.txt'\n"
                                             "    format: raw\n");
    REQUIRE(path != NULL);
    fl_cli_opts o;
    /* the file alone */
    char *a1[] = {"replay", "--config", (char *)path, "x.log", NULL};
    REQUIRE_EQ(cli(&o, "replay", a1), 0);
    CHECK_EQ(o.conf.detect.bucket, 30 * FL_NS_PER_SEC);
    CHECK_EQ(o.conf.detect.lateness, 60 * FL_NS_PER_SEC);
    CHECK_EQ(o.conf.detect.max_services, 50);
    CHECK_EQ(o.conf.rca.lookback, 6 * 3600 * FL_NS_PER_SEC);
    CHECK_EQ(o.conf.rca.max_causes, 3);
    CHECK_EQ(o.conf.max_line, 4096);
    CHECK_NEAR(o.conf.detect.arl_buckets, 30.0 * 86400 / 30, 1e-9);
    CHECK_EQ(o.conf.detect.warmup, 600 * FL_NS_PER_SEC); /* not in the file */
    CHECK_EQ(o.nfiles, 1);
    REQUIRE(o.config != NULL);
    const fl_source_defaults *d = fl_config_for_file(o.config, "a.txt");
    CHECK(d != NULL && d->has_format);
    fl_cli_opts_free(&o);
    /* options beat the file wherever they stand; the false-alarm budget
     * follows the bucket the command line chose */
    char *a2[] = {"replay", "--bucket", "5s",         "--max-line",
                  "999",    "--config", (char *)path, "--lookback",
                  "1h",     "--format", "json",       "x.log",
                  NULL};
    REQUIRE_EQ(cli(&o, "replay", a2), 0);
    CHECK_EQ(o.conf.detect.bucket, 5 * FL_NS_PER_SEC);
    CHECK_EQ(o.conf.max_line, 999);
    CHECK_EQ(o.conf.rca.lookback, 3600 * FL_NS_PER_SEC);
    CHECK_EQ(o.conf.format, FL_FORMAT_JSON);
    CHECK_EQ(o.conf.detect.lateness, 60 * FL_NS_PER_SEC);
    CHECK_NEAR(o.conf.detect.arl_buckets, 30.0 * 86400 / 5, 1e-9);
    d = fl_config_for_file(o.config, "a.txt");
    CHECK(d != NULL && !d->has_format); /* --format wins over files */
    fl_cli_opts_free(&o);
    /* consume takes it too; the last --config counts */
    char *a3[] = {"consume",   "--config", "/nonexistent.yaml",
                  "--brokers", "b:1",      "--topics",
                  "t",         "--config", (char *)path,
                  "--bucket",  "20s",      NULL};
    REQUIRE_EQ(cli(&o, "consume", a3), 0);
    CHECK_EQ(o.conf.detect.bucket, 20 * FL_NS_PER_SEC);
    CHECK_EQ(o.conf.rca.max_causes, 3);
    fl_cli_opts_free(&o);
    /* without --config nothing changes */
    char *a4[] = {"replay", "x.log", NULL};
    REQUIRE_EQ(cli(&o, "replay", a4), 0);
    CHECK(o.config == NULL);
    fl_pipeline_conf def;
    fl_pipeline_conf_default(&def);
    CHECK_EQ(o.conf.detect.bucket, def.detect.bucket);
    CHECK_EQ(o.conf.detect.arl_buckets, 0);
    fl_cli_opts_free(&o);
    /* a bad file is a usage error (1); --help does not read it */
    const char *bad = write_tmp("clibad.yaml", "rca:\n  lookbak: 1h\n");
    char *a5[] = {"replay", "--config", (char *)bad, "x.log", NULL};
    CHECK_EQ(cli(&o, "replay", a5), 1);
    fl_cli_opts_free(&o);
    char *a6[] = {"replay", "--config", (char *)bad, "--help", NULL};
    CHECK_EQ(cli(&o, "replay", a6), 0);
    CHECK(o.help);
    fl_cli_opts_free(&o);
    char *a7[] = {"replay", "x.log", "--config", NULL};
    CHECK_EQ(cli(&o, "replay", a7), 1);
    fl_cli_opts_free(&o);
}

/* --------------------------------------------------------- the docs */

static void examples_are_valid(void)
{
    char err[1024] = "";
    const char *ex = fl_config_readme_example();
    fl_config *c =
        fl_config_parse("readme", ex, strlen(ex), NOREG, err, sizeof err);
    CHECK_MSG(c != NULL, "README example: %s", err);
    fl_config_free(c);
    /* the commented examples in --defaults, uncommented, are valid */
    fl_buf b = {0}, u = {0};
    fl_config_write(NULL, true, &b);
    const char *p = b.p;
    bool in_example = false;
    while (*p) {
        size_t n = strcspn(p, "\n");
        if (strncmp(p, "# for example:", 14) == 0) {
            in_example = true;
        } else if (in_example && n > 2 && strncmp(p, "# ", 2) == 0) {
            fl_buf_put(&u, p + 2, n - 2);
            fl_buf_putc(&u, '\n');
        } else {
            in_example = false;
        }
        p += n + (p[n] == '\n');
    }
    fl_buf_putc(&u, '\0');
    CHECK(strstr(u.p, "files:\n  - glob:"));
    CHECK(strstr(u.p, "topics:\n  - topic:"));
    CHECK(strstr(u.p, "patterns:\n  - name:"));
    c = fl_config_parse("examples", u.p, u.n - 1, NOREG, err, sizeof err);
    CHECK_MSG(c != NULL, "examples: %s\n%s", err, u.p);
    fl_config_free(c);
    fl_buf_free(&b);
    fl_buf_free(&u);
}

/* docs/CONFIG.md and README.md's section are what `make docs` writes
 * (checked when the tests run from the source tree). */
static void docs_are_current(void)
{
    size_t n;
    char *md = read_all("docs/CONFIG.md", &n);
    if (!md)
        return; /* not run from the source tree */
    fl_buf b = {0};
    fl_config_reference(&b, false);
    CHECK_MSG(b.n == n && memcmp(b.p, md, n) == 0,
              "docs/CONFIG.md is stale: run 'make docs'");
    free(md);
    fl_buf_free(&b);
    char *readme = read_all("README.md", &n);
    REQUIRE(readme != NULL);
    const char *begin = strstr(readme, "<!-- config-reference:begin -->\n");
    const char *end = strstr(readme, "<!-- config-reference:end -->");
    CHECK_MSG(begin && end && end > begin,
              "README.md lacks the config-reference markers");
    if (begin && end && end > begin) {
        begin += strlen("<!-- config-reference:begin -->\n");
        fl_config_reference(&b, true);
        CHECK_MSG((size_t)(end - begin) == b.n && memcmp(begin, b.p, b.n) == 0,
                  "README.md's configuration section is stale: run 'make "
                  "docs'");
        fl_buf_free(&b);
    }
    free(readme);
}


/* rca.topology: parsed, refused with its line, and its edges in the call
 * graph of a pipeline the config is applied to (before its first event) */
static int32_t service_id(const fl_rca *r, const char *name)
{
    for (int32_t i = 0; i < 64; i++) {
        const char *n = fl_rca_service_name(r, i);
        if (n && strcmp(n, name) == 0)
            return i;
    }
    return -1;
}

static void topology(void)
{
    EXPECT_ERR("rca:\n  topology: [a, b]\n",
               "t.yaml:2: rca.topology: expected a mapping of callers to "
               "lists of callees (e.g. {api: [cart, search]}), got a list");
    EXPECT_ERR("rca:\n  topology:\n    api: [cart, api]\n",
               "t.yaml:3: rca.topology: api calls itself");
    EXPECT_ERR("rca:\n  topology:\n    api: [cart, [x]]\n",
               "t.yaml:3: rca.topology: expected a service name as a callee, "
               "got a list");
    EXPECT_ERR("rca:\n  topology:\n    api: ~\n",
               "t.yaml:3: rca.topology: expected a service name as a callee, "
               "got nothing");
    EXPECT_ERR("rca:\n  topology:\n    \"a\\tb\": [c]\n",
               "t.yaml:3: rca.topology: not a service name: 'a?b'");
    fl_buf big = {0};
    fl_buf_puts(&big, "rca:\n  topology:\n    a: [");
    for (int i = 0; i <= 1024; i++)
        fl_buf_printf(&big, "%ss%d", i ? ", " : "", i);
    fl_buf_puts(&big, "]\n");
    char err[1024] = "";
    fl_config *c = parse(big.p, err, sizeof err);
    CHECK(c == NULL);
    CHECK(strstr(err, "more than 1024 edges") != NULL);
    fl_config_free(c);
    fl_buf_free(&big);

    c = parse("rca:\n  topology:\n    frontend: [api]\n    api: cart\n",
              err, sizeof err);
    REQUIRE(c != NULL);
    fl_pipeline_conf conf;
    fl_pipeline_conf_default(&conf);
    fl_config_apply(c, &conf);
    fl_pipeline *p = fl_pipeline_new(&conf);
    fl_config_free(c); /* the pipeline keeps its own copy */
    const fl_rca *r = fl_pipeline_rca(p);
    CHECK_EQ(service_id(r, "api"), -1); /* nothing before the first event */
    fl_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = FL_EV_REQUEST;
    ev.ts = (fl_time)1784883600LL * FL_NS_PER_SEC;
    ev.service = fl_str_c("search");
    ev.status = 200;
    ev.latency_ms = 5;
    fl_pipeline_add(p, &ev);
    int32_t fe = service_id(r, "frontend"), api = service_id(r, "api"),
            cart = service_id(r, "cart"), search = service_id(r, "search");
    REQUIRE(fe >= 0 && api >= 0 && cart >= 0 && search >= 0);
    CHECK(fl_rca_calls(r, fe, api));
    CHECK(fl_rca_calls(r, api, cart));
    CHECK(!fl_rca_calls(r, cart, api));
    CHECK(!fl_rca_calls(r, api, search));
    fl_pipeline_destroy(p);
}

static const unit_test tests[] = {
    UNIT_TEST(topology),
    UNIT_TEST(table_is_sound),
    UNIT_TEST(table_defaults_are_the_modules),
    UNIT_TEST(defaults_round_trip),
    UNIT_TEST(full_file_round_trip),
    UNIT_TEST(unknown_keys_and_sections),
    UNIT_TEST(duplicates),
    UNIT_TEST(bad_durations),
    UNIT_TEST(bad_numbers),
    UNIT_TEST(wrong_types),
    UNIT_TEST(bad_strings),
    UNIT_TEST(entries),
    UNIT_TEST(yaml_level_errors),
    UNIT_TEST(files_on_disk),
    UNIT_TEST(file_globs),
    UNIT_TEST(topic_lookup),
    UNIT_TEST(patterns_registered),
    UNIT_TEST(replay_uses_file_entries),
    UNIT_TEST(command_line_overrides),
    UNIT_TEST(examples_are_valid),
    UNIT_TEST(docs_are_current),
};

UNIT_SUITE(unit_suite_config, "config", tests);
