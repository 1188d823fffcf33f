/*
 * demo.c - `faultline demo`: the whole job on an embedded default, no
 * setup. It starts librdkafka's mock Kafka cluster in this process (real
 * Kafka protocol over loopback TCP), produces the bundled outage into its
 * topics with the ordinary producer API, keyed by service, and consumes
 * them through exactly the code path of `faultline consume` (which does
 * not know it is talking to a mock), then writes the postmortem.
 *
 * The bundled outage: a server update that breaks under a viral traffic
 * spike (fixtures/surge_breaks_update, made by tests/gen/scenario.py).
 */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const char fl_demo_logs_a[], fl_demo_logs_a_end[];
extern const char fl_demo_logs_b[], fl_demo_logs_b_end[];
extern const char fl_demo_deploys[], fl_demo_deploys_end[];

#define LOG_PARTITIONS 6

/* Produces every line of the embedded fixture: change events to
 * "changes", the rest to "logs", keyed by service so one service's lines
 * stay in one partition (as a shipper should key them). */
static long produce_fixture(rd_kafka_t *rk, uint64_t *bad)
{
    struct {
        const char *name, *p, *end;
    } files[] = {
        {"logs-a.jsonl.zst", fl_demo_logs_a, fl_demo_logs_a_end},
        {"logs-b.jsonl.zst", fl_demo_logs_b, fl_demo_logs_b_end},
        {"deploys.jsonl", fl_demo_deploys, fl_demo_deploys_end},
    };
    rd_kafka_topic_t *logs = rd_kafka_topic_new(rk, "logs", NULL);
    rd_kafka_topic_t *changes = rd_kafka_topic_new(rk, "changes", NULL);
    fl_decoder *dec = fl_decoder_new(FL_FORMAT_AUTO);
    long n = 0;
    for (size_t f = 0; f < FL_ARRAY_LEN(files); f++) {
        fl_source *src = fl_source_open_mem(files[f].name, files[f].p,
                                            (size_t)(files[f].end - files[f].p),
                                            1 << 20);
        fl_str line;
        while (fl_source_next(src, &line) == FL_LINE_OK) {
            if (!line.n)
                continue;
            fl_event ev;
            fl_bad_reason why;
            rd_kafka_topic_t *t = logs;
            const char *key = NULL;
            size_t klen = 0;
            if (fl_decode_line(dec, line, FL_STR_NULL, &ev, &why)) {
                key = ev.service.p;
                klen = ev.service.n;
                if (ev.kind == FL_EV_CHANGE)
                    t = changes;
            } else {
                (*bad)++; /* malformed lines travel too: they are counted */
            }
            while (rd_kafka_produce(t, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY,
                                    (void *)line.p, line.n, key, klen, NULL) != 0)
                rd_kafka_poll(rk, 10); /* queue full: let it drain */
            if ((++n & 1023) == 0)
                rd_kafka_poll(rk, 0);
        }
        fl_source_destroy(src);
    }
    fl_decoder_destroy(dec);
    rd_kafka_flush(rk, 30000);
    rd_kafka_topic_destroy(logs);
    rd_kafka_topic_destroy(changes);
    return n;
}

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
    fl_time t0 = fl_wall_now();
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "test.mock.num.brokers", "3", errstr,
                          sizeof errstr) != RD_KAFKA_CONF_OK ||
        rd_kafka_conf_set(conf, "compression.codec", "zstd", errstr,
                          sizeof errstr) != RD_KAFKA_CONF_OK ||
        rd_kafka_conf_set(conf, "linger.ms", "20", errstr, sizeof errstr) !=
            RD_KAFKA_CONF_OK) {
        fprintf(stderr, "faultline demo: %s\n", errstr);
        rd_kafka_conf_destroy(conf);
        return 1;
    }
    rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof errstr);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (!rk) {
        fprintf(stderr, "faultline demo: cannot start the mock cluster: %s\n",
                errstr);
        rd_kafka_conf_destroy(conf);
        return 1;
    }
    rd_kafka_mock_cluster_t *mc = rd_kafka_handle_mock_cluster(rk);
    const char *brokers = rd_kafka_mock_cluster_bootstraps(mc);
    rd_kafka_mock_topic_create(mc, "logs", LOG_PARTITIONS, 3);
    rd_kafka_mock_topic_create(mc, "changes", 1, 3);
    rd_kafka_mock_topic_create(mc, "incidents", 1, 3);
    printf("faultline demo: a server update that breaks under a viral traffic "
           "spike\n");
    printf("  mock Kafka cluster (3 brokers) at %s\n", brokers);
    uint64_t bad = 0;
    long n = produce_fixture(rk, &bad);
    printf("  produced %ld log lines and change events into topics logs (%d "
           "partitions) and changes\n", n, LOG_PARTITIONS);

    /* consume them exactly as `faultline consume` would */
    char *args[] = {"consume", "--brokers", (char *)brokers, "--topics",
                    "logs,changes", "--group", "faultline-demo",
                    "--output-topic", "incidents", "--exit-on-idle", "1",
                    "--idle-timeout", "1s", "--quiet", NULL};
    fl_cli_opts o;
    int rc = fl_cli_parse("consume", true, (int)FL_ARRAY_LEN(args) - 1, args, &o);
    if (rc) {
        rd_kafka_destroy(rk);
        return rc;
    }
    fl_consume_stats cs = {0};
    cs.keep_pipeline = true;
    rc = fl_consume_run(&o, &cs);
    fl_cli_opts_free(&o);
    if (rc || !cs.pipeline) {
        fl_pipeline_destroy(cs.pipeline);
        rd_kafka_destroy(rk);
        return rc ? rc : 2;
    }
    fl_pipeline *p = cs.pipeline;
    printf("  consumed through `faultline consume` in %.1f s\n\n",
           (double)(fl_wall_now() - t0) / 1e9);
    fl_print_summary(stdout, p);
    int nw = fl_pipeline_write_reports(p, dir, errstr, sizeof errstr);
    if (nw < 0) {
        fprintf(stderr, "faultline: %s\n", errstr);
        rc = 2;
    } else {
        printf("\npostmortem%s written to %s/:\n", nw == 1 ? "" : "s", dir);
        for (uint32_t i = 0; i < fl_rca_count(fl_pipeline_rca(p)); i++) {
            const char *id = fl_rca_get(fl_pipeline_rca(p), i)->id;
            printf("  %s/%s.md\n  %s/%s.html\n", dir, id, dir, id);
        }
    }
    if (json) {
        fl_buf b = {0};
        fl_pipeline_result_json(p, &b);
        fwrite(b.p, 1, b.n, stdout);
        fl_buf_free(&b);
    }
    fl_pipeline_destroy(p);
    rd_kafka_destroy(rk);
    return rc;
}
