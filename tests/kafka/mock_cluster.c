/*
 * mock_cluster.c - librdkafka's mock Kafka cluster as a separate process
 * on loopback, for tests over real TCP (kcat produces into it, faultline
 * consumes from it, neither knows it is a mock).
 *
 *   mock_cluster BROKERS TOPIC:PARTITIONS...
 *
 * Prints the bootstrap servers on the first line of stdout, then reads
 * commands on stdin, one per line, answering "ok" or "error ...":
 *   down ID | up ID     take broker ID (1..BROKERS) down or back up
 *   alldown | allup     every broker
 *   topic NAME PARTS    create a topic
 *   leader TOPIC PART ID  move a partition's leader to broker ID
 *   coordinator GROUP ID  move a group's coordinator to broker ID
 *   error API CNT CODE  the next CNT requests of API (fetch, commit,
 *                       heartbeat, join, sync, offsetfetch, metadata) fail
 *                       with error CODE (a Kafka error number)
 *   quit                (or end of stdin) stop
 */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Kafka API keys (the protocol's numbers; rdkafka_mock.h takes them raw) */
static int api_key(const char *name)
{
    static const struct { const char *name; int key; } apis[] = {
        {"fetch", 1}, {"metadata", 3}, {"commit", 8}, {"offsetfetch", 9},
        {"join", 11}, {"heartbeat", 12}, {"leave", 13}, {"sync", 14},
    };
    for (size_t i = 0; i < sizeof apis / sizeof apis[0]; i++)
        if (strcmp(name, apis[i].name) == 0)
            return apis[i].key;
    return -1;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: mock_cluster BROKERS TOPIC:PARTITIONS...\n");
        return 1;
    }
    int nb = atoi(argv[1]);
    if (nb < 1 || nb > 9) {
        fprintf(stderr, "mock_cluster: 1..9 brokers\n");
        return 1;
    }
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "2", err, sizeof err);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!rk) {
        fprintf(stderr, "mock_cluster: %s\n", err);
        return 1;
    }
    rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, nb);
    if (!mc) {
        fprintf(stderr, "mock_cluster: cannot create the cluster\n");
        return 1;
    }
    for (int i = 2; i < argc; i++) {
        char *colon = strchr(argv[i], ':');
        int parts = colon ? atoi(colon + 1) : 1;
        if (colon)
            *colon = '\0';
        int rf = nb < 3 ? nb : 3;
        if (rd_kafka_mock_topic_create(mc, argv[i], parts, rf)) {
            fprintf(stderr, "mock_cluster: cannot create topic %s\n", argv[i]);
            return 1;
        }
    }
    printf("%s\n", rd_kafka_mock_cluster_bootstraps(mc));
    fflush(stdout);
    char line[512];
    while (fgets(line, sizeof line, stdin)) {
        int id, n, code;
        char name[200], api[32];
        rd_kafka_resp_err_t e = RD_KAFKA_RESP_ERR_NO_ERROR;
        if (sscanf(line, "topic %199s %d", name, &n) == 2) {
            int rf = nb < 3 ? nb : 3;
            e = rd_kafka_mock_topic_create(mc, name, n, rf);
        } else if (sscanf(line, "leader %199s %d %d", name, &n, &id) == 3)
            e = rd_kafka_mock_partition_set_leader(mc, name, n, id);
        else if (sscanf(line, "coordinator %199s %d", name, &id) == 2)
            e = rd_kafka_mock_coordinator_set(mc, "group", name, id);
        else if (sscanf(line, "error %31s %d %d", api, &n, &code) == 3) {
            int key = api_key(api);
            if (key < 0 || n < 1 || n > 1000) {
                printf("error bad api or count\n");
                fflush(stdout);
                continue;
            }
            rd_kafka_resp_err_t errs[1000];
            for (int i = 0; i < n; i++)
                errs[i] = (rd_kafka_resp_err_t)code;
            rd_kafka_mock_push_request_errors_array(mc, (int16_t)key, (size_t)n, errs);
        } else if (sscanf(line, "down %d", &id) == 1)
            e = rd_kafka_mock_broker_set_down(mc, id);
        else if (sscanf(line, "up %d", &id) == 1)
            e = rd_kafka_mock_broker_set_up(mc, id);
        else if (strncmp(line, "alldown", 7) == 0)
            for (int b = 1; b <= nb; b++)
                e = rd_kafka_mock_broker_set_down(mc, b);
        else if (strncmp(line, "allup", 5) == 0)
            for (int b = 1; b <= nb; b++)
                e = rd_kafka_mock_broker_set_up(mc, b);
        else if (strncmp(line, "quit", 4) == 0)
            break;
        else {
            printf("error unknown command\n");
            fflush(stdout);
            continue;
        }
        if (e)
            printf("error %s\n", rd_kafka_err2str(e));
        else
            printf("ok\n");
        fflush(stdout);
    }
    rd_kafka_mock_cluster_destroy(mc);
    rd_kafka_destroy(rk);
    return 0;
}
