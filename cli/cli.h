/* cli.h - the commands behind `faultline COMMAND`. */
#ifndef FL_CLI_H
#define FL_CLI_H

#include "pipeline.h"

/* Merges the sources in event-time order through the pipeline, then
 * finishes it. Takes ownership of nothing; the caller destroys sources. */
int fl_replay_sources(fl_pipeline *p, fl_source **srcs, size_t n,
                      fl_format format, bool show_progress);

int fl_cmd_replay(int argc, char **argv);
int fl_cmd_demo(int argc, char **argv);

/* Prints a short human summary of the incidents to `out`. */
void fl_print_summary(FILE *out, const fl_pipeline *p);

#endif
