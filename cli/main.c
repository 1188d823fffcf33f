/*
 * main.c - `faultline COMMAND [OPTIONS]`: parses the command line, builds
 * the pipeline configuration and hands over. No detection or ranking logic
 * lives here (DESIGN.md: a thin main).
 */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage_main(FILE *out)
{
    fprintf(out,
            "usage: faultline COMMAND [OPTIONS]\n"
            "\n"
            "Finds the root cause of production incidents from service logs and\n"
            "change events.\n"
            "\n"
            "commands:\n"
            "  replay FILE...   archived logs and changes -> incidents, ranked causes,\n"
            "                   postmortem reports (FILE may be .zst or - for stdin)\n"
            "  demo             replay a bundled outage and write its report\n"
            "\n"
            "  faultline COMMAND --help   options of one command\n"
            "  faultline --version\n");
}

static void usage_replay(FILE *out)
{
    fprintf(out,
            "usage: faultline replay [OPTIONS] FILE...\n"
            "\n"
            "Replays archived logs (plain, .zst, or - for stdin) merged in event-time\n"
            "order, detects anomalies per service and signal, groups them into\n"
            "incidents and ranks their likely causes.\n"
            "\n"
            "options (default in brackets):\n"
            "  --format NAME      input format: auto, json, raw [auto]\n"
            "  --deploys FILE     change events as JSON lines; repeatable [none]\n"
            "  --json             print the result document on stdout [off]\n"
            "  --report DIR       write one Markdown postmortem per incident [off]\n"
            "  --bucket DUR       bucket width, e.g. 10s, 1m [10s]\n"
            "  --lateness DUR     how late an event may arrive and still count [30s]\n"
            "  --warmup DUR       history per signal before it may alarm [10m]\n"
            "  --lookback DUR     how long before an onset a change is a candidate [2h]\n"
            "  --max-line BYTES   longer lines are rejected and counted [65536]\n"
            "  --quiet            no progress line on stderr [off; progress is shown\n"
            "                     only when stderr is a terminal]\n"
            "  --help             this text\n"
            "\n"
            "Without --json or --report a short summary is printed on stdout.\n"
            "Exit status: 0 success (bad lines are counted, not fatal), 1 usage error,\n"
            "2 an input cannot be read.\n");
}

static void usage_demo(FILE *out)
{
    fprintf(out,
            "usage: faultline demo [OPTIONS]\n"
            "\n"
            "Replays a bundled outage (a server update that breaks under a viral\n"
            "traffic spike) and writes its postmortem.\n"
            "\n"
            "options (default in brackets):\n"
            "  --report DIR   where to write the report [faultline-demo]\n"
            "  --json         also print the result document on stdout [off]\n"
            "  --help         this text\n");
}

enum {
    OPT_FORMAT = 1000,
    OPT_DEPLOYS,
    OPT_JSON,
    OPT_REPORT,
    OPT_BUCKET,
    OPT_LATENESS,
    OPT_WARMUP,
    OPT_LOOKBACK,
    OPT_MAX_LINE,
    OPT_QUIET,
    OPT_HELP,
    OPT_CONFIG,
};

/* One line on stderr: "faultline CMD: WHAT 'ARG' (see ...)"; returns 1. */
static int bad_usage(const char *cmd, const char *what, const char *arg)
{
    if (arg)
        fprintf(stderr, "faultline %s: %s '%s' (see 'faultline %s --help')\n",
                cmd, what, arg, cmd);
    else
        fprintf(stderr, "faultline %s: %s (see 'faultline %s --help')\n", cmd,
                what, cmd);
    return 1;
}

static bool parse_dur_opt(const char *cmd, const char *name, const char *arg,
                          fl_time *out, int *rc)
{
    fl_time t;
    if (!fl_duration_parse(arg, &t) || t <= 0) {
        fprintf(stderr,
                "faultline %s: %s: invalid duration '%s' (use e.g. 10s, 500ms, "
                "2m, 1h)\n",
                cmd, name, arg);
        *rc = 1;
        return false;
    }
    *out = t;
    return true;
}

int fl_cmd_replay(int argc, char **argv)
{
    static const struct option opts[] = {
        {"format", required_argument, NULL, OPT_FORMAT},
        {"deploys", required_argument, NULL, OPT_DEPLOYS},
        {"json", no_argument, NULL, OPT_JSON},
        {"report", required_argument, NULL, OPT_REPORT},
        {"bucket", required_argument, NULL, OPT_BUCKET},
        {"lateness", required_argument, NULL, OPT_LATENESS},
        {"warmup", required_argument, NULL, OPT_WARMUP},
        {"lookback", required_argument, NULL, OPT_LOOKBACK},
        {"max-line", required_argument, NULL, OPT_MAX_LINE},
        {"quiet", no_argument, NULL, OPT_QUIET},
        {"config", required_argument, NULL, OPT_CONFIG},
        {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    fl_pipeline_conf conf;
    fl_pipeline_conf_default(&conf);
    const char **deploys = fl_calloc((size_t)argc + 1, sizeof *deploys);
    size_t ndeploys = 0;
    bool json = false, quiet = false;
    const char *report = NULL;
    int rc = 0;
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case OPT_FORMAT:
            if (!fl_format_parse(optarg, &conf.format)) {
                rc = bad_usage("replay",
                               "--format: this build decodes auto, json and "
                               "raw, not",
                               optarg);
                goto out;
            }
            break;
        case OPT_DEPLOYS: deploys[ndeploys++] = optarg; break;
        case OPT_JSON: json = true; break;
        case OPT_REPORT: report = optarg; break;
        case OPT_BUCKET:
            if (!parse_dur_opt("replay", "--bucket", optarg, &conf.detect.bucket, &rc))
                goto out;
            break;
        case OPT_LATENESS:
            if (!parse_dur_opt("replay", "--lateness", optarg, &conf.detect.lateness, &rc))
                goto out;
            break;
        case OPT_WARMUP:
            if (!parse_dur_opt("replay", "--warmup", optarg, &conf.detect.warmup, &rc))
                goto out;
            break;
        case OPT_LOOKBACK:
            if (!parse_dur_opt("replay", "--lookback", optarg, &conf.rca.lookback, &rc))
                goto out;
            break;
        case OPT_MAX_LINE: {
            char *end;
            unsigned long long v = strtoull(optarg, &end, 10);
            if (*end || v < 64 || v > (1ULL << 30)) {
                rc = bad_usage("replay",
                               "--max-line: expected a byte count between 64 "
                               "and 1073741824, not",
                               optarg);
                goto out;
            }
            conf.max_line = (size_t)v;
            break;
        }
        case OPT_QUIET: quiet = true; break;
        case OPT_CONFIG:
            fprintf(stderr, "faultline replay: --config: configuration files are "
                            "not supported by this build yet\n");
            rc = 1;
            goto out;
        case OPT_HELP: usage_replay(stdout); goto out;
        default:
            if (optopt)
                fprintf(stderr, "faultline replay: option '--%s' needs a value (see "
                                "'faultline replay --help')\n",
                        argv[optind - 1] + 2);
            else
                rc = bad_usage("replay", "unknown option", argv[optind - 1]);
            rc = 1;
            goto out;
        }
    }
    if (conf.detect.bucket < FL_NS_PER_SEC / 10 ||
        conf.detect.bucket > 3600 * FL_NS_PER_SEC) {
        rc = bad_usage("replay", "--bucket: must be between 100ms and 1h", NULL);
        goto out;
    }
    if (optind >= argc && ndeploys == 0) {
        rc = bad_usage("replay", "no input files given", NULL);
        goto out;
    }
    size_t nsrc = (size_t)(argc - optind) + ndeploys;
    fl_source **srcs = fl_calloc(nsrc + 1, sizeof *srcs);
    size_t k = 0;
    char errstr[512];
    int stdin_uses = 0;
    for (int i = optind; i < argc; i++)
        stdin_uses += strcmp(argv[i], "-") == 0;
    if (stdin_uses > 1) {
        free(srcs);
        rc = bad_usage("replay", "stdin ('-') given more than once", NULL);
        goto out;
    }
    for (int i = optind; i < argc && rc == 0; i++) {
        srcs[k] = fl_source_open(argv[i], conf.max_line, errstr, sizeof errstr);
        if (!srcs[k]) {
            fprintf(stderr, "faultline: %s\n", errstr);
            rc = 2;
        } else {
            k++;
        }
    }
    for (size_t i = 0; i < ndeploys && rc == 0; i++) {
        srcs[k] = fl_source_open(deploys[i], conf.max_line, errstr, sizeof errstr);
        if (!srcs[k]) {
            fprintf(stderr, "faultline: %s\n", errstr);
            rc = 2;
        } else {
            k++;
        }
    }
    if (rc == 0) {
        fl_pipeline *p = fl_pipeline_new(&conf);
        bool progress = !quiet && isatty(2);
        fl_replay_sources(p, srcs, k, conf.format, progress);
        if (json) {
            fl_buf b = {0};
            fl_pipeline_result_json(p, &b);
            fwrite(b.p, 1, b.n, stdout);
            fl_buf_free(&b);
        }
        if (report) {
            int nw = fl_pipeline_write_reports(p, report, errstr, sizeof errstr);
            if (nw < 0) {
                fprintf(stderr, "faultline: %s\n", errstr);
                rc = 2;
            } else if (!quiet) {
                fprintf(stderr, "faultline: wrote %d report%s to %s\n", nw,
                        nw == 1 ? "" : "s", report);
            }
        }
        if (!json && !report)
            fl_print_summary(stdout, p);
        fl_pipeline_destroy(p);
    }
    for (size_t i = 0; i < k; i++)
        fl_source_destroy(srcs[i]);
    free(srcs);
out:
    free(deploys);
    return rc;
}

void fl_print_summary(FILE *out, const fl_pipeline *p)
{
    const fl_rca *r = fl_pipeline_rca(p);
    const fl_stats *st = fl_pipeline_stats(p);
    uint32_t n = fl_rca_count(r);
    fprintf(out, "%u incident%s; %llu lines, %llu events, %llu bad lines\n", n,
            n == 1 ? "" : "s", (unsigned long long)st->lines,
            (unsigned long long)st->events, (unsigned long long)st->bad_lines);
    for (uint32_t i = 0; i < n; i++) {
        const fl_incident *inc = fl_rca_get(r, i);
        char t[40], ref[256];
        fl_time_format(inc->start, t, sizeof t);
        fl_buf b = {0};
        fl_buf_printf(&b, "  %s  %s  ", inc->id, t);
        for (uint32_t k = 0; k < inc->nservices && k < 4; k++) {
            const char *s = fl_rca_service_name(r, inc->services[k]);
            if (k)
                fl_buf_putc(&b, ',');
            fl_buf_md_text(&b, s, strlen(s));
        }
        if (inc->ncauses) {
            const fl_cause *c = &inc->causes[0];
            fl_cause_ref(c, ref, sizeof ref);
            const char *svc = fl_rca_service_name(r, c->service);
            fl_buf_printf(&b, "  cause: %s ", fl_cause_kind(c));
            if (ref[0]) {
                fl_buf_md_text(&b, ref, strlen(ref));
                fl_buf_putc(&b, ' ');
            }
            fl_buf_puts(&b, "of ");
            fl_buf_md_text(&b, svc, strlen(svc));
            fl_buf_printf(&b, " (%.2f)", c->score);
        }
        fprintf(out, "%s\n", b.p);
        fl_buf_free(&b);
    }
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage_main(stderr);
        return 1;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        printf("faultline %s\n", FL_VERSION);
        return 0;
    }
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 ||
        strcmp(cmd, "help") == 0) {
        usage_main(stdout);
        return 0;
    }
    if (strcmp(cmd, "replay") == 0)
        return fl_cmd_replay(argc - 1, argv + 1);
    if (strcmp(cmd, "demo") == 0) {
        for (int i = 2; i < argc; i++)
            if (strcmp(argv[i], "--help") == 0) {
                usage_demo(stdout);
                return 0;
            }
        return fl_cmd_demo(argc - 1, argv + 1);
    }
    if (strcmp(cmd, "consume") == 0 || strcmp(cmd, "templates") == 0) {
        fprintf(stderr, "faultline: '%s' is not available in this build yet\n", cmd);
        return 1;
    }
    fprintf(stderr, "faultline: unknown command '%s' (see 'faultline --help')\n", cmd);
    return 1;
}
