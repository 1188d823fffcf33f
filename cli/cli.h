/* cli.h - the commands behind `faultline COMMAND`. */
#ifndef FL_CLI_H
#define FL_CLI_H

#include "config.h"
#include "pipeline.h"

/* Merges the sources in event-time order through the pipeline, then
 * finishes it. Takes ownership of nothing; the caller destroys sources.
 * cfg (may be NULL) gives per-file formats and services. */
int fl_replay_sources(fl_pipeline *p, fl_source **srcs, size_t n,
                      fl_format format, const fl_config *cfg,
                      bool show_progress);

/* The same, the last nchanges sources being change-event files
 * (--deploys): those are read as `auto` (JSON lines or a msgpack stream,
 * or what a files entry says), not as `format`. */
int fl_replay_inputs(fl_pipeline *p, fl_source **srcs, size_t n,
                     size_t nchanges, fl_format format, const fl_config *cfg,
                     bool show_progress);
/* The service name for formats without one: the file's base name up to
 * its first dot ("/var/log/cart.log.zst" -> "cart"); "stdin" for stdin. */
char *fl_service_from_name(const char *path);
/* An input's decoder for `format`. msgpack is not line-based: with msgpack
 * or auto, a source that starts with a msgpack record header is read
 * object by object (*ms gets the stream, else it is left alone). With
 * msgpack, a source that does not (a --deploys JSON file) is read as
 * lines decoded by auto. *fmt gets the decoder's format. */
fl_decoder *fl_input_decoder(fl_source *src, fl_format format,
                             fl_msgpack_stream **ms, fl_format *fmt);
/* Reads a change-event file (consume --deploys): JSON lines, a msgpack
 * stream or any format `auto` decodes; change events go to the pipeline
 * (fl_pipeline_add), bad lines are counted. 0, or 2 when it cannot be
 * read at all (the reason in errstr). */
int fl_read_changes(fl_pipeline *p, const char *path, size_t max_line,
                    const fl_config *cfg, char *errstr, size_t errlen);

/* Options of replay and consume, parsed by cli/options.c. */
typedef struct {
    fl_pipeline_conf conf;
    const char **deploys, **files, **props;
    size_t ndeploys, nfiles, nprops;
    bool json, quiet, help;
    const char *report;
    fl_config *config; /* --config FILE, applied to conf; NULL without */
    /* consume */
    const char *brokers, *group, *output_topic, *state_dir, *http;
    char **topics;
    size_t ntopics;
    double exit_on_idle; /* seconds; < 0 when off */
    fl_time idle_timeout, checkpoint_every;
} fl_cli_opts;

/* Returns 0, or 1 after printing one line on stderr. */
int fl_cli_parse(const char *cmd, bool consume, int argc, char **argv,
                 fl_cli_opts *o);
void fl_cli_opts_free(fl_cli_opts *o);
/* --json on stdout and --report DIR; returns 0 or 2. */
int fl_emit_results(const fl_pipeline *p, bool json, const char *report,
                    bool quiet);

/* What a running consumer shares with its host (the demo, /metrics). */
typedef struct fl_consumer fl_consumer;
typedef struct {
    fl_consumer *consumer; /* while running */
    fl_time watermark;
    uint64_t kafka_errors, checkpoints;
    fl_time last_checkpoint_wall;
    bool keep_pipeline;    /* hand the pipeline over instead of freeing it */
    fl_pipeline *pipeline;
    void (*on_idle)(void *ud); /* called when a poll returned nothing */
    void *ud;
} fl_consume_stats;

int fl_consume_run(fl_cli_opts *o, fl_consume_stats *cs);

int fl_cmd_replay(int argc, char **argv);
int fl_cmd_consume(int argc, char **argv);
int fl_cmd_demo(int argc, char **argv);
int fl_cmd_templates(int argc, char **argv); /* cli/templates.c */
/* fl_cmd_config: cli/config.h */

/* Prints a short human summary of the incidents to `out`. */
void fl_print_summary(FILE *out, const fl_pipeline *p);

#endif
