/*
 * fuzz_config.c - the configuration file parser (cli/config.c) on
 * arbitrary bytes, from memory, patterns not registered (the registry is
 * the process's and only grows).
 *
 * Invariants, each an abort when broken:
 * - a refused file gets one line, "fuzz.yaml:LINE: reason" (LINE within
 *   the input) or "fuzz.yaml: reason", with no control characters;
 * - an accepted file, written back (with and without comments), parses
 *   again, and the second writing is byte-identical to the first;
 * - applying it, the lookups and the docs do not crash.
 */
#include "../../cli/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile size_t sink;

static void fail(const char *what, const char *detail, const uint8_t *data,
                 size_t size)
{
    fprintf(stderr, "fuzz_config: %s\n  %s\n  input (%zu bytes): '%.*s'\n",
            what, detail ? detail : "", size, (int)(size > 300 ? 300 : size),
            (const char *)data);
    abort();
}

static void check_error(const char *err, const uint8_t *data, size_t size)
{
    static const char pre[] = "fuzz.yaml";
    size_t n = strlen(err);
    if (strncmp(err, pre, sizeof pre - 1) != 0 || n < sizeof pre + 2)
        fail("error does not name the file", err, data, size);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)err[i] < 0x20 || err[i] == 0x7f)
            fail("error is not one clean line", err, data, size);
    const char *p = err + sizeof pre - 1;
    if (*p == ':' && p[1] >= '0' && p[1] <= '9') {
        unsigned long line = strtoul(p + 1, NULL, 10);
        unsigned long lines = 1;
        for (size_t i = 0; i < size; i++)
            lines += data[i] == '\n' || data[i] == '\r';
        if (line < 1 || line > lines + 1)
            fail("error line outside the input", err, data, size);
    } else if (strncmp(p, ": ", 2) != 0) {
        fail("error is not 'FILE:LINE: reason'", err, data, size);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[1024];
    err[0] = '\0';
    fl_config *c = fl_config_parse("fuzz.yaml", data, size,
                                   FL_CONFIG_NO_REGISTER, err, sizeof err);
    if (!c) {
        check_error(err, data, size);
        return 0;
    }
    fl_pipeline_conf conf;
    fl_pipeline_conf_default(&conf);
    fl_config_apply(c, &conf);
    fl_config_finish(c, &conf, false);
    static const char *const paths[] = {"/var/log/nginx/access.log", "-",
                                        "app.json.zst", "a", ""};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        const fl_source_defaults *d = fl_config_for_file(c, paths[i]);
        if (d && d->service)
            sink += strlen(d->service);
        d = fl_config_for_topic(c, paths[i]);
        if (d && d->format_name)
            sink += strlen(d->format_name);
    }
    for (int comments = 0; comments < 2; comments++) {
        fl_buf a = {0}, b = {0};
        fl_config_write(c, comments, &a);
        fl_config *c2 = fl_config_parse("fuzz.yaml", a.p, a.n,
                                        FL_CONFIG_NO_REGISTER, err, sizeof err);
        if (!c2) {
            fl_buf_putc(&a, '\0');
            fprintf(stderr, "written:\n%s\n", a.p);
            fail("the written file does not parse back", err, data, size);
        }
        fl_config_write(c2, comments, &b);
        if (a.n != b.n || memcmp(a.p, b.p, a.n) != 0) {
            fl_buf_putc(&a, '\0');
            fl_buf_putc(&b, '\0');
            fprintf(stderr, "first:\n%s\nsecond:\n%s\n", a.p, b.p);
            fail("writing is not stable", NULL, data, size);
        }
        fl_config_free(c2);
        fl_buf_free(&a);
        fl_buf_free(&b);
    }
    fl_config_free(c);
    return 0;
}
