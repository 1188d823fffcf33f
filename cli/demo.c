/*
 * demo.c - `faultline demo`: the whole job on an embedded default. Until the
 * Kafka consumer lands it replays the bundled outage through the same
 * pipeline as `replay`, writes the postmortem and prints where it is.
 */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const char fl_demo_logs_a[], fl_demo_logs_a_end[];
extern const char fl_demo_logs_b[], fl_demo_logs_b_end[];
extern const char fl_demo_deploys[], fl_demo_deploys_end[];

int fl_cmd_demo(int argc, char **argv)
{
    const char *dir = "faultline-demo";
    bool json = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--report") == 0 && i + 1 < argc) {
            dir = argv[++i];
        } else if (strcmp(argv[i], "--json") == 0) {
            json = true;
        } else {
            fprintf(stderr, "faultline demo: unknown option '%s' (see 'faultline "
                            "demo --help')\n", argv[i]);
            return 1;
        }
    }
    fl_pipeline_conf conf;
    fl_pipeline_conf_default(&conf);
    fl_source *srcs[3] = {
        fl_source_open_mem("demo/logs-a.jsonl.zst", fl_demo_logs_a,
                           (size_t)(fl_demo_logs_a_end - fl_demo_logs_a), conf.max_line),
        fl_source_open_mem("demo/logs-b.jsonl.zst", fl_demo_logs_b,
                           (size_t)(fl_demo_logs_b_end - fl_demo_logs_b), conf.max_line),
        fl_source_open_mem("demo/deploys.jsonl", fl_demo_deploys,
                           (size_t)(fl_demo_deploys_end - fl_demo_deploys), conf.max_line),
    };
    fl_pipeline *p = fl_pipeline_new(&conf);
    fl_replay_sources(p, srcs, 3, conf.format, false);
    printf("faultline demo: a server update that breaks under a viral traffic spike\n");
    fl_print_summary(stdout, p);
    char errstr[512];
    int rc = 0;
    int nw = fl_pipeline_write_reports(p, dir, errstr, sizeof errstr);
    if (nw < 0) {
        fprintf(stderr, "faultline: %s\n", errstr);
        rc = 2;
    } else {
        printf("report%s written to %s/\n", nw == 1 ? "" : "s", dir);
        for (uint32_t i = 0; i < fl_rca_count(fl_pipeline_rca(p)); i++)
            printf("  %s/%s.md\n", dir, fl_rca_get(fl_pipeline_rca(p), i)->id);
    }
    if (json) {
        fl_buf b = {0};
        fl_pipeline_result_json(p, &b);
        fwrite(b.p, 1, b.n, stdout);
        fl_buf_free(&b);
    }
    fl_pipeline_destroy(p);
    for (int i = 0; i < 3; i++)
        fl_source_destroy(srcs[i]);
    return rc;
}
