/*
 * templates.c - `faultline templates [OPTIONS] FILE...`: the log templates
 * mined (rca/template.c) from the messages of the inputs, with counts.
 *
 * Inputs are read one after the other in the order given, lines in file
 * order ("input order"), through the same sources and decoders as replay
 * (formats, --format, --config files entries, .zst, msgpack streams, '-').
 * Unlike replay nothing is merged by event time: templates do not depend on
 * time, and --assign promises input order.
 *
 * --assign and generalisation: Drain generalises a template as lines
 * arrive ("took <*> ms to reach db-1" may later become "took <*> ms to
 * reach <*>"), so the template a streaming miner knows at line k is not the
 * one it ends with, and two lines of one group could print different ids.
 * So --assign makes two passes: the first mines every message and spools
 * (service, message) to an unlinked temporary file (the first max_msg
 * bytes of each, the only part the miner looks at; stdin cannot be read
 * twice, and re-decoding files would redo all the parsing); the second
 * reads the spool back and prints each event's final template. Memory stays
 * bounded (the spool is on disk). A line whose template was evicted to stay
 * under the caps prints its own masked text as its template.
 *
 * Events without a message (metrics, change events, requests that carry
 * none) are counted and not mined; with --assign they print "-" and an
 * empty template, so there is still one line per input event.
 */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"

#include "../rca/fl_template.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    uint64_t lines, bad_lines, events, no_message, read_errors, unmatched;
} tstats;

static void usage_templates(FILE *out)
{
    fprintf(out,
            "usage: faultline templates [OPTIONS] FILE...\n"
            "\n"
            "Mines log templates (Drain, per service; numbers, ids, hex, IPs,\n"
            "durations and quoted strings masked as <*>) from the messages of the\n"
            "inputs (plain, .zst, or - for stdin), read in the order given.\n"
            "\n"
            "Prints one line per template: count, id, service, template, sorted by\n"
            "count (most frequent first), then id.\n"
            "\n"
            "options (default in brackets):\n"
            "  --assign           instead, one line per input event, in input order:\n"
            "                     <template id>\\t<template> (the final template of\n"
            "                     its group; '-' and nothing for an event without a\n"
            "                     message) [off]\n"
            "  --json             the templates and counts as one JSON document [off]\n"
            "  --format NAME      input format, as for replay [auto]\n"
            "  --max-line BYTES   longer lines are rejected and counted [65536]\n"
            "  --config FILE      YAML configuration file (formats, files) [none]\n"
            "  --quiet            no summary line on stderr [off]\n"
            "  --help             this text\n"
            "\n"
            "Exit status: 0 success (bad lines are counted, not fatal), 1 usage error,\n"
            "2 an input cannot be read.\n");
}

/* Prints s with control bytes as \xNN (a template never holds whitespace
 * other than single spaces, so a line stays one line). */
static void put_text(FILE *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch < 0x20 || ch == 0x7f)
            fprintf(out, "\\x%02x", ch);
        else
            putc(ch, out);
    }
}

/* ---------------------------------------------------------------- spool */

static bool spool_put(FILE *f, fl_str svc, fl_str msg, bool has_msg)
{
    uint32_t h[2] = {(uint32_t)svc.n, has_msg ? (uint32_t)msg.n : UINT32_MAX};
    if (fwrite(h, sizeof h, 1, f) != 1)
        return false;
    if (svc.n && fwrite(svc.p, 1, svc.n, f) != svc.n)
        return false;
    return !has_msg || !msg.n || fwrite(msg.p, 1, msg.n, f) == msg.n;
}

/* ---------------------------------------------------------------- read */

typedef struct {
    fl_tpl_miner *m;
    FILE *spool;      /* --assign */
    size_t max_msg;
    tstats st;
    bool spool_failed;
} run_ctx;

static void take(run_ctx *c, const fl_event *ev)
{
    c->st.events++;
    bool has = ev->kind == FL_EV_REQUEST && ev->msg.n > 0;
    if (has)
        fl_tpl_add(c->m, ev->service, ev->msg);
    else
        c->st.no_message++;
    if (c->spool && !c->spool_failed) {
        fl_str msg = ev->msg;
        if (msg.n > c->max_msg)
            msg.n = c->max_msg; /* the miner reads no further */
        if (!spool_put(c->spool, ev->service, msg, has))
            c->spool_failed = true;
    }
}

/* Reads one input to its end. Returns 2 when it could not be read at all. */
static int read_input(run_ctx *c, fl_source *src, fl_format format,
                      const fl_config *cfg)
{
    const char *path = fl_source_name(src);
    const fl_source_defaults *sd =
        fl_config_for_file(cfg, strcmp(path, "<stdin>") ? path : "-");
    if (sd && sd->has_format)
        format = sd->format;
    char *fallback = sd && sd->service ? fl_strndup(sd->service, strlen(sd->service))
                                       : fl_service_from_name(path);
    fl_msgpack_stream *ms = NULL;
    fl_format dec_fmt;
    fl_decoder *dec = fl_input_decoder(src, format, &ms, &dec_fmt);
    /* the config's field names, as replay reads this file */
    fl_decoder_set_fields(dec, sd ? sd->fields : fl_config_fields(cfg));
    int rc = 0;
    uint64_t read = 0;
    for (;;) {
        fl_str line;
        fl_line_status ls;
        fl_bad_reason why;
        if (ms) {
            ls = fl_msgpack_stream_next(ms, &line, &why);
            if (ls == FL_LINE_BAD) {
                c->st.lines++;
                c->st.bad_lines++;
                read++;
                continue;
            }
        } else {
            ls = fl_source_next(src, &line);
        }
        if (ls == FL_LINE_EOF)
            break;
        if (ls == FL_LINE_ERROR) {
            c->st.read_errors++;
            if (read == 0) {
                fprintf(stderr, "faultline: %s\n", fl_source_error(src));
                rc = 2;
            } else {
                fprintf(stderr, "faultline: warning: %s\n", fl_source_error(src));
            }
            break;
        }
        read++;
        if (ls == FL_LINE_TOO_LONG) {
            c->st.lines++;
            c->st.bad_lines++;
            continue;
        }
        size_t i = 0;
        while (i < line.n && (line.p[i] == ' ' || line.p[i] == '\t'))
            i++;
        if (i == line.n)
            continue; /* blank: not an event, not an error */
        c->st.lines++;
        fl_event ev;
        if (!fl_decode_line(dec, line, fl_str_c(fallback), &ev, &why)) {
            c->st.bad_lines++;
            continue;
        }
        do
            take(c, &ev);
        while (fl_decoder_more(dec, &ev));
    }
    fl_decoder_destroy(dec);
    fl_msgpack_stream_destroy(ms);
    free(fallback);
    return rc;
}

/* ---------------------------------------------------------------- output */

typedef struct {
    int32_t h;
    uint64_t id, count;
    const char *svc;
} row;

static int row_by_svc_id(const void *a, const void *b)
{
    const row *x = a, *y = b;
    int s = strcmp(x->svc, y->svc);
    if (s)
        return s;
    return x->id < y->id ? -1 : x->id > y->id;
}

static int row_by_count(const void *a, const void *b)
{
    const row *x = a, *y = b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    if (x->id != y->id)
        return x->id < y->id ? -1 : 1;
    return strcmp(x->svc, y->svc);
}

/* Live templates, those with equal service and text merged (two leaves
 * can generalise to the same text), most frequent first. */
static row *collect(const fl_tpl_miner *m, size_t *nout)
{
    uint32_t cap = fl_tpl_capacity(m);
    row *r = fl_calloc(cap + 1, sizeof *r);
    size_t n = 0;
    for (uint32_t i = 0; i < cap; i++)
        if (fl_tpl_live(m, (int32_t)i))
            r[n++] = (row){(int32_t)i, fl_tpl_id(m, (int32_t)i),
                           fl_tpl_count(m, (int32_t)i),
                           fl_tpl_service(m, (int32_t)i)};
    qsort(r, n, sizeof *r, row_by_svc_id);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (k && r[k - 1].id == r[i].id && strcmp(r[k - 1].svc, r[i].svc) == 0)
            r[k - 1].count += r[i].count;
        else
            r[k++] = r[i];
    }
    qsort(r, k, sizeof *r, row_by_count);
    *nout = k;
    return r;
}

static void print_list(const fl_tpl_miner *m, bool json, const tstats *st)
{
    size_t n;
    row *r = collect(m, &n);
    fl_buf b = {0}, t = {0};
    const fl_tpl_stats *ts = fl_tpl_get_stats(m);
    if (json)
        fl_buf_puts(&b, "{\"templates\":[");
    for (size_t i = 0; i < n; i++) {
        t.n = 0;
        fl_tpl_text(m, r[i].h, &t);
        if (json) {
            fl_buf_printf(&b, "%s\n{\"id\":\"%016llx\",\"service\":", i ? "," : "",
                          (unsigned long long)r[i].id);
            fl_buf_json_str(&b, r[i].svc, strlen(r[i].svc));
            fl_buf_printf(&b, ",\"count\":%llu,\"template\":",
                          (unsigned long long)r[i].count);
            fl_buf_json_str(&b, t.p ? t.p : "", t.n);
            fl_buf_putc(&b, '}');
        } else {
            fwrite(b.p ? b.p : "", 1, b.n, stdout);
            b.n = 0;
            printf("%llu\t%016llx\t", (unsigned long long)r[i].count,
                   (unsigned long long)r[i].id);
            put_text(stdout, r[i].svc, strlen(r[i].svc));
            putchar('\t');
            put_text(stdout, t.p ? t.p : "", t.n);
            putchar('\n');
        }
    }
    if (json) {
        fl_buf_printf(&b,
                      "],\n\"stats\":{\"lines\":%llu,\"bad_lines\":%llu,"
                      "\"events\":%llu,\"no_message\":%llu,\"templates\":%zu,"
                      "\"truncated\":%llu,\"evicted\":%llu,"
                      "\"services_rejected\":%llu}}\n",
                      (unsigned long long)st->lines,
                      (unsigned long long)st->bad_lines,
                      (unsigned long long)st->events,
                      (unsigned long long)st->no_message, n,
                      (unsigned long long)ts->truncated,
                      (unsigned long long)ts->evicted,
                      (unsigned long long)ts->rejected);
        fwrite(b.p, 1, b.n, stdout);
    }
    fl_buf_free(&b);
    fl_buf_free(&t);
    free(r);
}

/* The second pass of --assign: the spool read back, one line per event. */
static int print_assign(fl_tpl_miner *m, FILE *f, tstats *st)
{
    rewind(f);
    fl_buf svc = {0}, msg = {0}, t = {0};
    int rc = 0;
    uint32_t h[2];
    while (fread(h, sizeof h, 1, f) == 1) {
        svc.n = msg.n = 0;
        fl_buf_put(&svc, "", 0);
        fl_buf_put(&msg, "", 0);
        if (h[0] > (1u << 20) || (h[1] != UINT32_MAX && h[1] > (1u << 30))) {
            rc = 2;
            break;
        }
        if (h[0]) {
            fl_buf_put(&svc, "", 0);
            if (svc.cap < h[0] + 1) {
                svc.p = fl_realloc(svc.p, h[0] + 1);
                svc.cap = h[0] + 1;
            }
            if (fread(svc.p, 1, h[0], f) != h[0]) {
                rc = 2;
                break;
            }
            svc.n = h[0];
            svc.p[svc.n] = '\0';
        }
        if (h[1] == UINT32_MAX) {
            fputs("-\t\n", stdout);
            continue;
        }
        if (msg.cap < (size_t)h[1] + 1) {
            msg.p = fl_realloc(msg.p, (size_t)h[1] + 1);
            msg.cap = (size_t)h[1] + 1;
        }
        if (h[1] && fread(msg.p, 1, h[1], f) != h[1]) {
            rc = 2;
            break;
        }
        msg.n = h[1];
        msg.p[msg.n] = '\0';
        fl_str s = {svc.p, svc.n}, ms = {msg.p, msg.n};
        int32_t c = fl_tpl_match(m, s, ms);
        t.n = 0;
        uint64_t id;
        if (c >= 0) {
            fl_tpl_text(m, c, &t);
            id = fl_tpl_id(m, c);
        } else { /* evicted, or a service past the cap: the line itself */
            fl_tpl_masked(m, ms, &t);
            id = fl_tpl_text_id(s, (fl_str){t.p ? t.p : "", t.n});
            st->unmatched++;
        }
        printf("%016llx\t", (unsigned long long)id);
        put_text(stdout, t.p ? t.p : "", t.n);
        putchar('\n');
    }
    if (rc == 0 && ferror(f))
        rc = 2;
    if (rc)
        fprintf(stderr, "faultline templates: the temporary spool file could "
                        "not be read back\n");
    fl_buf_free(&svc);
    fl_buf_free(&msg);
    fl_buf_free(&t);
    return rc;
}

int fl_cmd_templates(int argc, char **argv)
{
    /* --assign is ours; everything else goes to the shared parser */
    char **args = fl_calloc((size_t)argc + 1, sizeof *args);
    int nargs = 0;
    bool assign = false;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) { /* the rest are files */
            for (; i < argc; i++)
                args[nargs++] = argv[i];
            break;
        }
        if (i > 0 && strcmp(argv[i], "--assign") == 0)
            assign = true;
        else
            args[nargs++] = argv[i];
    }
    fl_cli_opts o;
    int rc = fl_cli_parse("templates", false, nargs, args, &o);
    if (rc || o.help) {
        if (o.help)
            usage_templates(stdout);
        fl_cli_opts_free(&o);
        free(args);
        return rc;
    }
    const char *bad = o.report ? "--report" : o.ndeploys ? "--deploys" : NULL;
    if (bad) {
        fprintf(stderr, "faultline templates: %s is not a templates option (see "
                        "'faultline templates --help')\n", bad);
        rc = 1;
    } else if (assign && o.json) {
        fprintf(stderr, "faultline templates: --assign prints lines, --json a "
                        "document: choose one\n");
        rc = 1;
    } else if (o.nfiles == 0) {
        fprintf(stderr, "faultline templates: no input files given (see "
                        "'faultline templates --help')\n");
        rc = 1;
    }
    int stdin_uses = 0;
    for (size_t i = 0; i < o.nfiles; i++)
        stdin_uses += strcmp(o.files[i], "-") == 0;
    if (!rc && stdin_uses > 1) {
        fprintf(stderr, "faultline templates: stdin ('-') given more than once\n");
        rc = 1;
    }
    if (rc) {
        fl_cli_opts_free(&o);
        free(args);
        return rc;
    }
    fl_tpl_conf tc;
    fl_tpl_conf_default(&tc);
    run_ctx c = {0};
    c.m = fl_tpl_new(&tc);
    c.max_msg = tc.max_msg;
    if (assign) {
        c.spool = tmpfile(); /* unlinked: gone when closed or on a crash */
        if (!c.spool) {
            fprintf(stderr, "faultline templates: cannot create a temporary "
                            "file for --assign (TMPDIR)\n");
            rc = 2;
        }
    }
    char errstr[512];
    for (size_t i = 0; i < o.nfiles && rc == 0; i++) {
        fl_source *src = fl_source_open(o.files[i], o.conf.max_line, errstr,
                                        sizeof errstr);
        if (!src) {
            fprintf(stderr, "faultline: %s\n", errstr);
            rc = 2;
            break;
        }
        rc = read_input(&c, src, o.conf.format, o.config);
        fl_source_destroy(src);
    }
    if (rc == 0 && c.spool_failed) {
        fprintf(stderr, "faultline templates: writing the temporary spool file "
                        "failed (disk full?)\n");
        rc = 2;
    }
    if (rc == 0) {
        if (assign)
            rc = print_assign(c.m, c.spool, &c.st);
        else
            print_list(c.m, o.json, &c.st);
        fflush(stdout);
    }
    if (rc == 0 && !o.quiet) {
        const fl_tpl_stats *ts = fl_tpl_get_stats(c.m);
        fprintf(stderr,
                "faultline templates: %llu lines, %llu bad, %llu events, %llu "
                "without a message; %u templates, %llu evicted, %llu truncated",
                (unsigned long long)c.st.lines, (unsigned long long)c.st.bad_lines,
                (unsigned long long)c.st.events,
                (unsigned long long)c.st.no_message, fl_tpl_live_count(c.m),
                (unsigned long long)ts->evicted,
                (unsigned long long)ts->truncated);
        if (c.st.unmatched)
            fprintf(stderr, ", %llu lines whose template was not kept (caps)",
                    (unsigned long long)c.st.unmatched);
        fputc('\n', stderr);
    }
    if (c.spool)
        fclose(c.spool);
    fl_tpl_destroy(c.m);
    fl_cli_opts_free(&o);
    free(args);
    return rc;
}
