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
 *   quit                (or end of stdin) stop
 */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    char line[256];
    while (fgets(line, sizeof line, stdin)) {
        int id;
        rd_kafka_resp_err_t e = RD_KAFKA_RESP_ERR_NO_ERROR;
        if (sscanf(line, "down %d", &id) == 1)
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
