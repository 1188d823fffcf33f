/*
 * main.c - `faultline COMMAND [OPTIONS]`: parses the command line, builds
 * the pipeline configuration and hands over. No detection or ranking logic
 * lives here (DESIGN.md: a thin main).
 */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"

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
            "  consume          the same as a Kafka consumer service\n"
            "  demo             replay a bundled outage and write its report\n"
            "  templates FILE...  log templates mined from messages, with counts\n"
            "                   (--assign: each line's template)\n"
            "  config           the configuration file: --defaults, --check FILE,\n"
            "                   --reference\n"
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
            "  --format NAME      input format: auto (per line), json, otlp, logfmt,\n"
            "                     nginx, apache, syslog, influx, msgpack, raw, or a\n"
            "                     pattern from the config [auto]\n"
            "  --deploys FILE     change events, JSON lines or msgpack; repeatable\n"
            "                     [none]\n"
            "  --json             print the result document on stdout [off]\n"
            "  --report DIR       write one Markdown postmortem per incident [off]\n"
            "  --bucket DUR       bucket width, e.g. 10s, 1m [10s]\n"
            "  --lateness DUR     how late an event may arrive and still count [30s]\n"
            "  --warmup DUR       history per signal before it may alarm [10m]\n"
            "  --lookback DUR     how long before an onset a change is a candidate [2h]\n"
            "  --max-line BYTES   longer lines are rejected and counted [65536]\n"
            "  --config FILE      YAML configuration file; the options here override\n"
            "                     it ('faultline config --help') [none]\n"
            "  --quiet            no progress line on stderr [off; progress is shown\n"
            "                     only when stderr is a terminal]\n"
            "  --help             this text\n"
            "\n"
            "Without --json or --report a short summary is printed on stdout.\n"
            "Exit status: 0 success (bad lines are counted, not fatal), 1 usage error,\n"
            "2 an input cannot be read.\n");
}

static void usage_consume(FILE *out)
{
    fprintf(out,
            "usage: faultline consume --brokers LIST --topics LIST [OPTIONS]\n"
            "\n"
            "Runs as a Kafka consumer in a consumer group: reads logs and change\n"
            "events from topics, detects and ranks in real time, publishes incidents,\n"
            "and keeps its state across restarts.\n"
            "\n"
            "options (default in brackets):\n"
            "  --brokers LIST        bootstrap brokers, host:port,... [required]\n"
            "  --topics LIST         topics to read, comma-separated [required]\n"
            "  --group ID            consumer group [faultline]\n"
            "  -X key=value          librdkafka property (security, SASL, TLS,\n"
            "                        tuning); repeatable [none]\n"
            "  --output-topic TOPIC  publish each incident (JSON, keyed by id) when it\n"
            "                        opens, is re-ranked and ends [none]\n"
            "  --state-dir DIR       checkpoints; offsets are committed only for\n"
            "                        events a checkpoint covers [none: nothing is\n"
            "                        committed, a restart re-reads the topics]\n"
            "  --checkpoint-every DUR  checkpoint interval, wall clock [30s]\n"
            "  --idle-timeout DUR    a partition without messages this long stops\n"
            "                        holding event time back [10s]\n"
            "  --exit-on-idle SECS   exit once every assigned partition has been at\n"
            "                        its end this long, emitting what is open [off]\n"
            "  --json                print the result document on exit [off]\n"
            "  --report DIR          write postmortems (Markdown, HTML) as incidents\n"
            "                        change [off]\n"
            "  --format NAME         input format: auto (per line), json, otlp, logfmt,\n"
            "                        nginx, apache, syslog, influx, msgpack, raw, or a\n"
            "                        pattern from the config [auto]\n"
            "  --deploys FILE        change events read before consuming; repeatable\n"
            "                        [none]\n"
            "  --bucket DUR          bucket width [10s]\n"
            "  --lateness DUR        how late an event may arrive and still count [30s]\n"
            "  --warmup DUR          history per signal before it may alarm [10m]\n"
            "  --lookback DUR        how long before an onset a change is a candidate\n"
            "                        [2h]\n"
            "  --max-line BYTES      longer messages are rejected and counted [65536]\n"
            "  --config FILE         YAML configuration file; the options here\n"
            "                        override it ('faultline config --help') [none]\n"
            "  --quiet               no status lines on stderr [off]\n"
            "  --help                this text\n"
            "\n"
            "SIGTERM or SIGINT: stop fetching, checkpoint, commit, leave the group,\n"
            "exit 0.\n");
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

int fl_cmd_replay(int argc, char **argv)
{
    fl_cli_opts o;
    int rc = fl_cli_parse("replay", false, argc, argv, &o);
    if (rc || o.help) {
        if (o.help)
            usage_replay(stdout);
        fl_cli_opts_free(&o);
        return rc;
    }
    fl_pipeline_conf conf = o.conf;
    if (o.nfiles == 0 && o.ndeploys == 0) {
        fprintf(stderr, "faultline replay: no input files given (see "
                        "'faultline replay --help')\n");
        fl_cli_opts_free(&o);
        return 1;
    }
    int stdin_uses = 0;
    for (size_t i = 0; i < o.nfiles; i++)
        stdin_uses += strcmp(o.files[i], "-") == 0;
    if (stdin_uses > 1) {
        fprintf(stderr, "faultline replay: stdin ('-') given more than once\n");
        fl_cli_opts_free(&o);
        return 1;
    }
    size_t nsrc = o.nfiles + o.ndeploys, k = 0;
    fl_source **srcs = fl_calloc(nsrc + 1, sizeof *srcs);
    char errstr[512];
    for (size_t i = 0; i < nsrc && rc == 0; i++) {
        const char *path = i < o.nfiles ? o.files[i] : o.deploys[i - o.nfiles];
        srcs[k] = fl_source_open(path, conf.max_line, errstr, sizeof errstr);
        if (!srcs[k]) {
            fprintf(stderr, "faultline: %s\n", errstr);
            rc = 2;
        } else {
            k++;
        }
    }
    if (rc == 0) {
        fl_pipeline *p = fl_pipeline_new(&conf);
        bool progress = !o.quiet && isatty(2);
        rc = fl_replay_inputs(p, srcs, k, o.ndeploys, conf.format, o.config,
                              progress);
        if (rc == 0)
            rc = fl_emit_results(p, o.json, o.report, o.quiet);
        if (rc == 0 && !o.json && !o.report)
            fl_print_summary(stdout, p);
        fl_pipeline_destroy(p);
    }
    for (size_t i = 0; i < k; i++)
        fl_source_destroy(srcs[i]);
    free(srcs);
    fl_cli_opts_free(&o);
    return rc;
}

int fl_emit_results(const fl_pipeline *p, bool json, const char *report,
                    bool quiet)
{
    int rc = 0;
    if (json) {
        fl_buf b = {0};
        fl_pipeline_result_json(p, &b);
        fwrite(b.p, 1, b.n, stdout);
        fflush(stdout);
        fl_buf_free(&b);
    }
    if (report) {
        char errstr[512];
        int nw = fl_pipeline_write_reports(p, report, errstr, sizeof errstr);
        if (nw < 0) {
            fprintf(stderr, "faultline: %s\n", errstr);
            rc = 2;
        } else if (!quiet) {
            fprintf(stderr, "faultline: wrote %d report%s to %s\n", nw,
                    nw == 1 ? "" : "s", report);
        }
    }
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
        fprintf(stderr, "faultline: no command given (see 'faultline --help')\n");
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
    if (strcmp(cmd, "consume") == 0) {
        for (int i = 2; i < argc; i++)
            if (strcmp(argv[i], "--help") == 0) {
                usage_consume(stdout);
                return 0;
            }
        return fl_cmd_consume(argc - 1, argv + 1);
    }
    if (strcmp(cmd, "config") == 0)
        return fl_cmd_config(argc - 1, argv + 1);
    if (strcmp(cmd, "templates") == 0)
        return fl_cmd_templates(argc - 1, argv + 1);
    fprintf(stderr, "faultline: unknown command '%s' (see 'faultline --help')\n", cmd);
    return 1;
}
