/*
 * options.c - one parser for the options `replay` and `consume` share and
 * the ones only `consume` takes. Every error is one line on stderr naming
 * the option and what was wrong with its value; the caller exits 1.
 */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    /* consume only */
    OPT_BROKERS,
    OPT_TOPICS,
    OPT_GROUP,
    OPT_OUTPUT_TOPIC,
    OPT_STATE_DIR,
    OPT_HTTP,
    OPT_EXIT_ON_IDLE,
    OPT_IDLE_TIMEOUT,
    OPT_CHECKPOINT_EVERY,
};

/* Every command's options first, then those only `consume` takes; replay
 * sees the first COMMON_OPTS of them (opts_for). */
static const struct option all_opts[] = {
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
    {"brokers", required_argument, NULL, OPT_BROKERS},
    {"topics", required_argument, NULL, OPT_TOPICS},
    {"group", required_argument, NULL, OPT_GROUP},
    {"output-topic", required_argument, NULL, OPT_OUTPUT_TOPIC},
    {"state-dir", required_argument, NULL, OPT_STATE_DIR},
    {"http", required_argument, NULL, OPT_HTTP},
    {"exit-on-idle", required_argument, NULL, OPT_EXIT_ON_IDLE},
    {"idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT},
    {"checkpoint-every", required_argument, NULL, OPT_CHECKPOINT_EVERY},
    {NULL, 0, NULL, 0},
};
#define COMMON_OPTS 12

static const struct option *opts_for(bool consume)
{
    static struct option common[COMMON_OPTS + 1]; /* zeroed terminator */
    if (consume)
        return all_opts;
    if (!common[0].name)
        memcpy(common, all_opts, COMMON_OPTS * sizeof *common);
    return common;
}


static int usage_err(const char *cmd, const char *what, const char *arg)
{
    if (arg)
        fprintf(stderr, "faultline %s: %s '%s' (see 'faultline %s --help')\n",
                cmd, what, arg, cmd);
    else
        fprintf(stderr, "faultline %s: %s (see 'faultline %s --help')\n", cmd,
                what, cmd);
    return 1;
}

static int dur(const char *cmd, const char *name, const char *arg, fl_time *out)
{
    fl_time t;
    if (!fl_duration_parse(arg, &t) || t <= 0) {
        fprintf(stderr,
                "faultline %s: %s: invalid duration '%s' (use e.g. 10s, 500ms, "
                "2m, 1h)\n",
                cmd, name, arg);
        return 1;
    }
    *out = t;
    return 0;
}

void fl_cli_opts_free(fl_cli_opts *o)
{
    fl_config_free(o->config);
    o->config = NULL;
    free(o->deploys);
    free(o->files);
    free(o->props);
    for (size_t i = 0; i < o->ntopics; i++)
        free(o->topics[i]);
    free(o->topics);
}

/* The last --config FILE, found by a first pass over the options: the
 * file is applied before every other option, wherever it stands, so the
 * command line always overrides it. Not read when --help is asked for. */
static const char *find_config(bool consume, int argc, char **argv)
{
    const char *path = NULL;
    bool help = false;
    /* on a copy: getopt_long permutes the array it scans, and the real
     * pass must see the arguments as given */
    char **copy = fl_calloc((size_t)argc + 1, sizeof *copy);
    memcpy(copy, argv, (size_t)argc * sizeof *copy);
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, copy, consume ? ":X:" : ":",
                            opts_for(consume), NULL)) != -1) {
        if (c == OPT_CONFIG)
            path = optarg;
        help |= c == OPT_HELP;
    }
    free(copy);
    return help ? NULL : path;
}

int fl_cli_parse(const char *cmd, bool consume, int argc, char **argv,
                 fl_cli_opts *o)
{
    memset(o, 0, sizeof *o);
    fl_pipeline_conf_default(&o->conf);
    o->deploys = fl_calloc((size_t)argc + 1, sizeof *o->deploys);
    o->files = fl_calloc((size_t)argc + 1, sizeof *o->files);
    o->props = fl_calloc((size_t)argc + 1, sizeof *o->props);
    o->group = "faultline";
    o->exit_on_idle = -1;
    o->idle_timeout = 10 * FL_NS_PER_SEC;
    o->checkpoint_every = 30 * FL_NS_PER_SEC;
    const char *config_path = find_config(consume, argc, argv);
    if (config_path) {
        char errstr[1024];
        o->config = fl_config_load(config_path, 0, errstr, sizeof errstr);
        if (!o->config) {
            fprintf(stderr, "%s\n", errstr); /* FILE:LINE: reason */
            return 1;
        }
        fl_config_apply(o->config, &o->conf);
    }
    bool format_given = false;
    opterr = 0;
    optind = 1;
    int c;
    const char *shortopts = consume ? ":X:" : ":";
    while ((c = getopt_long(argc, argv, shortopts,
                            opts_for(consume), NULL)) != -1) {
        int rc = 0;
        switch (c) {
        case OPT_FORMAT:
            format_given = true;
            if (!fl_format_parse(optarg, &o->conf.format)) {
                char what[320];
                snprintf(what, sizeof what, "--format: this build decodes %s, not",
                         fl_format_names());
                rc = usage_err(cmd, what, optarg);
            }
            break;
        case OPT_DEPLOYS: o->deploys[o->ndeploys++] = optarg; break;
        case OPT_JSON: o->json = true; break;
        case OPT_REPORT: o->report = optarg; break;
        case OPT_BUCKET:
            rc = dur(cmd, "--bucket", optarg, &o->conf.detect.bucket);
            if (!rc && (o->conf.detect.bucket < FL_NS_PER_SEC / 10 ||
                        o->conf.detect.bucket > 3600 * FL_NS_PER_SEC))
                rc = usage_err(cmd, "--bucket: must be between 100ms and 1h, not",
                               optarg);
            break;
        case OPT_LATENESS:
            rc = dur(cmd, "--lateness", optarg, &o->conf.detect.lateness);
            break;
        case OPT_WARMUP:
            rc = dur(cmd, "--warmup", optarg, &o->conf.detect.warmup);
            break;
        case OPT_LOOKBACK:
            rc = dur(cmd, "--lookback", optarg, &o->conf.rca.lookback);
            break;
        case OPT_MAX_LINE: {
            char *end;
            unsigned long long v = strtoull(optarg, &end, 10);
            if (*end || v < 64 || v > (1ULL << 30))
                rc = usage_err(cmd, "--max-line: expected a byte count between "
                                    "64 and 1073741824, not", optarg);
            else
                o->conf.max_line = (size_t)v;
            break;
        }
        case OPT_QUIET: o->quiet = true; break;
        case OPT_HELP: o->help = true; break;
        case OPT_CONFIG: break; /* read first, by find_config */
        case OPT_BROKERS: o->brokers = optarg; break;
        case OPT_TOPICS: {
            const char *s = optarg;
            while (*s) {
                size_t n = strcspn(s, ",");
                if (n) {
                    o->topics = fl_realloc(o->topics,
                                           (o->ntopics + 1) * sizeof *o->topics);
                    o->topics[o->ntopics++] = fl_strndup(s, n);
                }
                s += n + (s[n] == ',');
            }
            break;
        }
        case OPT_GROUP: o->group = optarg; break;
        case OPT_OUTPUT_TOPIC: o->output_topic = optarg; break;
        case OPT_STATE_DIR: o->state_dir = optarg; break;
        case OPT_HTTP: o->http = optarg; break;
        case OPT_EXIT_ON_IDLE: {
            char *end;
            double v = strtod(optarg, &end);
            if (*end || !(v >= 0 && v < 1e7))
                rc = usage_err(cmd, "--exit-on-idle: expected seconds, not", optarg);
            else
                o->exit_on_idle = v;
            break;
        }
        case OPT_IDLE_TIMEOUT:
            rc = dur(cmd, "--idle-timeout", optarg, &o->idle_timeout);
            break;
        case OPT_CHECKPOINT_EVERY:
            rc = dur(cmd, "--checkpoint-every", optarg, &o->checkpoint_every);
            break;
        case 'X': o->props[o->nprops++] = optarg; break;
        case ':':
            rc = usage_err(cmd, "option needs a value:", argv[optind - 1]);
            break;
        default:
            if (optopt && optopt < 256) {
                /* an unknown short option, possibly inside a bundle */
                char o2[3] = {'-', (char)optopt, '\0'};
                rc = usage_err(cmd, "unknown option", o2);
            } else {
                rc = usage_err(cmd, "unknown option", argv[optind - 1]);
            }
        }
        if (rc)
            return rc;
    }
    for (int i = optind; i < argc; i++)
        o->files[o->nfiles++] = argv[i];
    fl_config_finish(o->config, &o->conf, format_given);
    return 0;
}
