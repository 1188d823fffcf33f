/*
 * kafka.c - the librdkafka consumer and producer behind `consume`. Thin on
 * purpose: configuration, polling, offset store/commit, the assignment and
 * its lag. Decoding and event time live elsewhere, shared with replay.
 */
#define _POSIX_C_SOURCE 200809L
#include "fl_kafka.h"

#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fl_kafka {
    rd_kafka_t *rk;
    int64_t (*start_offset)(void *ud, const char *topic, int32_t partition);
    void (*on_revoke)(void *ud, const fl_kafka_tp *tps, size_t n, bool lost);
    void (*on_assign)(void *ud, const fl_kafka_tp *tps, size_t n);
    void *ud;
    rd_kafka_message_t *last;
    bool rebalanced;
    char err[512];
    fl_time last_error_wall; /* client-level errors (brokers unreachable) */
    uint64_t client_errors;
};

/*
 * Secrets: the value of every -X property whose name says it is one
 * (password, secret, key, token, credential, sasl.oauthbearer.config,
 * sasl.jaas) is kept here and scrubbed ("***") from every string this file
 * hands out or prints: librdkafka's log lines (our log callback), error
 * callbacks, message errors, configuration errors. librdkafka already
 * redacts the properties it knows as sensitive; this also covers values it
 * may quote elsewhere and names it does not know. Process-wide and written
 * only before the clients start (log callbacks run on librdkafka threads).
 */
static char **secrets;
static size_t nsecrets;

static bool secret_name(const char *key, size_t n)
{
    static const char *const words[] = {"password", "secret", "key", "token",
                                        "credential", "oauthbearer.config",
                                        "jaas"};
    char low[256];
    if (n >= sizeof low)
        n = sizeof low - 1;
    for (size_t i = 0; i < n; i++)
        low[i] = (char)(key[i] >= 'A' && key[i] <= 'Z' ? key[i] + 32 : key[i]);
    low[n] = '\0';
    for (size_t i = 0; i < FL_ARRAY_LEN(words); i++)
        if (strstr(low, words[i]))
            return true;
    return false;
}

static void remember_secrets(const char *const *props, size_t nprops)
{
    for (size_t i = 0; i < nprops; i++) {
        const char *eq = strchr(props[i], '=');
        if (!eq || !eq[1] || !secret_name(props[i], (size_t)(eq - props[i])))
            continue;
        bool known = false;
        for (size_t j = 0; j < nsecrets && !known; j++)
            known = strcmp(secrets[j], eq + 1) == 0;
        if (known)
            continue;
        secrets = fl_realloc(secrets, (nsecrets + 1) * sizeof *secrets);
        secrets[nsecrets++] = fl_strndup(eq + 1, strlen(eq + 1));
    }
}

/* Copies s into dst (size n) with every remembered secret, and `extra`
 * when given, replaced by "***". */
static void redact(char *dst, size_t n, const char *s, const char *extra)
{
    size_t k = 0;
    while (*s && k + 4 < n) {
        size_t hit = 0;
        if (extra && *extra && strncmp(s, extra, strlen(extra)) == 0)
            hit = strlen(extra);
        for (size_t j = 0; j < nsecrets && !hit; j++)
            if (strncmp(s, secrets[j], strlen(secrets[j])) == 0)
                hit = strlen(secrets[j]);
        if (hit) {
            memcpy(dst + k, "***", 3);
            k += 3;
            s += hit;
        } else {
            dst[k++] = *s++;
        }
    }
    dst[k] = '\0';
}

/* Scrubs a message buffer in place. */
static void scrub(char *buf, size_t n)
{
    if (!nsecrets)
        return;
    char tmp[1024];
    size_t m = sizeof tmp < n ? sizeof tmp : n;
    redact(tmp, m, buf, NULL);
    memcpy(buf, tmp, strlen(tmp) + 1); /* strlen(tmp) < m <= n */
}

/* librdkafka's log lines, in its default format, scrubbed. */
static void log_cb(const rd_kafka_t *rk, int level, const char *fac,
                   const char *buf)
{
    char clean[1024];
    redact(clean, sizeof clean, buf, NULL);
    fprintf(stderr, "%%%d|%s|%s| %s\n", level, fac, rk ? rd_kafka_name(rk) : "",
            clean);
}

bool fl_kafka_conf_set_kv(void *rd_conf, const char *kv, char *errstr,
                          size_t errlen)
{
    const char *eq = strchr(kv, '=');
    if (!eq || eq == kv) {
        snprintf(errstr, errlen, "-X expects key=value, got a value without "
                                 "'=' (%zu bytes)", strlen(kv));
        return false;
    }
    char key[256];
    size_t kl = (size_t)(eq - kv);
    if (kl >= sizeof key) {
        snprintf(errstr, errlen, "-X: property name too long");
        return false;
    }
    memcpy(key, kv, kl);
    key[kl] = '\0';
    char rerr[512];
    if (rd_kafka_conf_set(rd_conf, key, eq + 1, rerr, sizeof rerr) !=
        RD_KAFKA_CONF_OK) {
        char clean[512];
        redact(clean, sizeof clean, rerr, eq + 1);
        snprintf(errstr, errlen, "-X %s: %s", key, clean);
        return false;
    }
    return true;
}

/* Client-level errors (a broker unreachable, all brokers down) arrive here
 * rather than as messages; remember when, so the caller can tell an outage
 * from an idle topic. */
static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    (void)rk;
    fl_kafka *k = opaque;
    k->last_error_wall = fl_wall_now();
    k->client_errors++;
    snprintf(k->err, sizeof k->err, "kafka: %s: %s",
             rd_kafka_err2name((rd_kafka_resp_err_t)err), reason);
    scrub(k->err, sizeof k->err);
}

bool fl_kafka_trace(void)
{
    const char *e = getenv("FAULTLINE_KAFKA_TRACE");
    return e && *e;
}

static fl_kafka_tp *tp_list(const rd_kafka_topic_partition_list_t *parts)
{
    fl_kafka_tp *tps = fl_calloc((size_t)parts->cnt + 1, sizeof *tps);
    for (int i = 0; i < parts->cnt; i++) {
        snprintf(tps[i].topic, sizeof tps[i].topic, "%s", parts->elems[i].topic);
        tps[i].partition = parts->elems[i].partition;
        tps[i].offset = parts->elems[i].offset >= 0 ? parts->elems[i].offset : -1;
    }
    return tps;
}

/*
 * Rebalances (eager protocol, the `range` assignor by default): every
 * partition is revoked, the group rejoins, a new assignment arrives.
 *
 * Revoke: the caller checkpoints and commits the revoked partitions'
 * progress before they are given up (on_revoke), while this instance's
 * generation is still valid; a lost assignment gets no commit. Then
 * rd_kafka_assign(NULL).
 *
 * Assign: each partition starts at the larger of the checkpoint's offset
 * and the group's committed offset. The checkpoint is ahead when this
 * process died between checkpoint and commit (the committed offset would
 * count those events twice); the committed offset is ahead when another
 * instance owned the partition since our checkpoint and moved on (our
 * checkpoint would read its share again). When the committed offsets
 * cannot be fetched (coordinator unreachable), the checkpoint's offset
 * is used: at worst a range is read twice, never skipped.
 */
static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    fl_kafka *k = opaque;
    k->rebalanced = true;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        rd_kafka_topic_partition_list_t *cm = rd_kafka_topic_partition_list_copy(parts);
        bool have = rd_kafka_committed(rk, cm, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR;
        for (int i = 0; i < parts->cnt; i++) {
            int64_t ck = k->start_offset ? k->start_offset(k->ud, parts->elems[i].topic,
                                                           parts->elems[i].partition)
                                         : -1;
            int64_t co = have && !cm->elems[i].err && cm->elems[i].offset >= 0
                             ? cm->elems[i].offset
                             : -1;
            int64_t off = ck > co ? ck : co;
            if (ck >= 0 || co >= 0)
                parts->elems[i].offset = off;
        }
        rd_kafka_topic_partition_list_destroy(cm);
        rd_kafka_assign(rk, parts);
        /* a new assignment starts unpaused (the caller's flow control
         * starts over), whatever the client kept from before */
        rd_kafka_resume_partitions(rk, parts);
        if (k->on_assign) {
            fl_kafka_tp *tps = tp_list(parts);
            k->on_assign(k->ud, tps, (size_t)parts->cnt);
            free(tps);
        }
    } else {
        if (k->on_revoke) {
            fl_kafka_tp *tps = tp_list(parts);
            k->on_revoke(k->ud, tps, (size_t)parts->cnt,
                         rd_kafka_assignment_lost(rk) != 0);
            free(tps);
        }
        rd_kafka_assign(rk, NULL);
    }
}

fl_kafka *fl_kafka_new(const fl_kafka_conf *c, char *errstr, size_t errlen)
{
    char rerr[512];
    remember_secrets(c->props, c->nprops);
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set_log_cb(conf, log_cb);
    /* defaults first, so -X can override any of them */
    static const char *const defaults[][2] = {
        {"enable.auto.offset.store", "false"},
        {"enable.auto.commit", "false"},
        {"enable.partition.eof", "true"},
        {"auto.offset.reset", "earliest"},
        {"partition.assignment.strategy", "range"},
        {"client.id", "faultline"},
    };
    for (size_t i = 0; i < FL_ARRAY_LEN(defaults); i++)
        rd_kafka_conf_set(conf, defaults[i][0], defaults[i][1], rerr, sizeof rerr);
    if (rd_kafka_conf_set(conf, "bootstrap.servers", c->brokers, rerr,
                          sizeof rerr) != RD_KAFKA_CONF_OK ||
        rd_kafka_conf_set(conf, "group.id", c->group, rerr, sizeof rerr) !=
            RD_KAFKA_CONF_OK) {
        snprintf(errstr, errlen, "kafka: %s", rerr);
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    for (size_t i = 0; i < c->nprops; i++)
        if (!fl_kafka_conf_set_kv(conf, c->props[i], errstr, errlen)) {
            rd_kafka_conf_destroy(conf);
            return NULL;
        }
    fl_kafka *k = fl_calloc(1, sizeof *k);
    k->start_offset = c->start_offset;
    k->on_revoke = c->on_revoke;
    k->on_assign = c->on_assign;
    k->ud = c->ud;
    rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
    rd_kafka_conf_set_error_cb(conf, error_cb);
    rd_kafka_conf_set_opaque(conf, k);
    k->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, rerr, sizeof rerr);
    if (!k->rk) {
        snprintf(errstr, errlen, "kafka: cannot create consumer: %s", rerr);
        scrub(errstr, errlen);
        rd_kafka_conf_destroy(conf);
        free(k);
        return NULL;
    }
    rd_kafka_poll_set_consumer(k->rk);
    rd_kafka_topic_partition_list_t *subs =
        rd_kafka_topic_partition_list_new((int)c->ntopics);
    for (size_t i = 0; i < c->ntopics; i++)
        rd_kafka_topic_partition_list_add(subs, c->topics[i],
                                          RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t err = rd_kafka_subscribe(k->rk, subs);
    rd_kafka_topic_partition_list_destroy(subs);
    if (err) {
        snprintf(errstr, errlen, "kafka: subscribe: %s", rd_kafka_err2str(err));
        rd_kafka_destroy(k->rk);
        free(k);
        return NULL;
    }
    return k;
}

void fl_kafka_destroy(fl_kafka *k)
{
    if (!k)
        return;
    if (k->last)
        rd_kafka_message_destroy(k->last);
    rd_kafka_consumer_close(k->rk);
    rd_kafka_destroy(k->rk);
    free(k);
}

const char *fl_kafka_last_error(const fl_kafka *k) { return k->err; }
fl_time fl_kafka_last_error_wall(const fl_kafka *k) { return k->last_error_wall; }
uint64_t fl_kafka_client_errors(const fl_kafka *k) { return k->client_errors; }

fl_kafka_event fl_kafka_poll(fl_kafka *k, int timeout_ms, fl_kafka_msg *msg)
{
    if (k->last) {
        rd_kafka_message_destroy(k->last);
        k->last = NULL;
    }
    /* a rebalance that happened during the previous poll is reported
     * before anything else */
    if (k->rebalanced) {
        k->rebalanced = false;
        return FL_KAFKA_REBALANCE;
    }
    rd_kafka_message_t *m = rd_kafka_consumer_poll(k->rk, timeout_ms);
    if (!m) {
        if (k->rebalanced) {
            k->rebalanced = false;
            return FL_KAFKA_REBALANCE;
        }
        return FL_KAFKA_NONE;
    }
    k->last = m;
    memset(msg, 0, sizeof *msg);
    if (m->rkt)
        msg->topic = rd_kafka_topic_name(m->rkt);
    msg->partition = m->partition;
    msg->offset = m->offset;
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
        return FL_KAFKA_EOF;
    if (m->err) {
        char fatal[256];
        if (rd_kafka_fatal_error(k->rk, fatal, sizeof fatal)) {
            snprintf(k->err, sizeof k->err, "kafka: fatal: %s", fatal);
            scrub(k->err, sizeof k->err);
            return FL_KAFKA_FATAL;
        }
        snprintf(k->err, sizeof k->err, "kafka: %s%s%s [%d]: %s",
                 msg->topic ? "topic " : "", msg->topic ? msg->topic : "",
                 msg->topic ? "" : "consumer", (int)m->partition,
                 rd_kafka_message_errstr(m));
        scrub(k->err, sizeof k->err);
        return FL_KAFKA_ERROR;
    }
    msg->payload = m->payload;
    msg->len = m->len;
    rd_kafka_timestamp_type_t tt;
    msg->ts_ms = rd_kafka_message_timestamp(m, &tt);
    return FL_KAFKA_MESSAGE;
}

void fl_kafka_store(fl_kafka *k, const char *topic, int32_t partition,
                    int64_t offset)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, topic, partition)->offset = offset + 1;
    rd_kafka_resp_err_t err = rd_kafka_offsets_store(k->rk, l);
    if (err)
        snprintf(k->err, sizeof k->err, "kafka: store offset %s [%d] %lld: %s",
                 topic, (int)partition, (long long)offset, rd_kafka_err2str(err));
    rd_kafka_topic_partition_list_destroy(l);
}

bool fl_kafka_commit(fl_kafka *k)
{
    rd_kafka_resp_err_t err = rd_kafka_commit(k->rk, NULL, 0);
    if (err == RD_KAFKA_RESP_ERR__NO_OFFSET)
        return true; /* nothing new to commit */
    if (err) {
        snprintf(k->err, sizeof k->err, "kafka: commit: %s", rd_kafka_err2str(err));
        return false;
    }
    return true;
}

bool fl_kafka_commit_offsets(fl_kafka *k, const fl_kafka_tp *tps, size_t n)
{
    rd_kafka_topic_partition_list_t *own = NULL;
    if (rd_kafka_assignment(k->rk, &own) || !own) {
        snprintf(k->err, sizeof k->err, "kafka: commit: assignment unknown");
        return false;
    }
    bool trace = fl_kafka_trace();
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)n + 1);
    for (size_t i = 0; i < n; i++) {
        if (tps[i].offset < 0)
            continue;
        bool owned = rd_kafka_topic_partition_list_find(own, tps[i].topic,
                                                        tps[i].partition) != NULL;
        if (trace)
            fprintf(stderr, "faultline trace: %s %s[%d]=%lld\n",
                    owned ? "commit" : "skip-unowned", tps[i].topic,
                    (int)tps[i].partition, (long long)tps[i].offset);
        if (owned)
            rd_kafka_topic_partition_list_add(l, tps[i].topic, tps[i].partition)
                ->offset = tps[i].offset;
    }
    rd_kafka_topic_partition_list_destroy(own);
    bool ok = true;
    if (l->cnt > 0) {
        rd_kafka_resp_err_t err = rd_kafka_commit(k->rk, l, 0);
        if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET) {
            snprintf(k->err, sizeof k->err, "kafka: commit: %s", rd_kafka_err2str(err));
            ok = false;
        }
    }
    rd_kafka_topic_partition_list_destroy(l);
    return ok;
}

size_t fl_kafka_assignment(fl_kafka *k, fl_kafka_tp *out, size_t max)
{
    rd_kafka_topic_partition_list_t *l = NULL;
    if (rd_kafka_assignment(k->rk, &l) || !l)
        return 0;
    size_t n = (size_t)l->cnt;
    for (size_t i = 0; i < n && i < max; i++) {
        snprintf(out[i].topic, sizeof out[i].topic, "%s", l->elems[i].topic);
        out[i].partition = l->elems[i].partition;
        out[i].offset = -1;
    }
    rd_kafka_topic_partition_list_destroy(l);
    return n;
}

int fl_kafka_confirm_end(fl_kafka *k, const char *topic, int32_t partition,
                        int64_t next_offset, int timeout_ms)
{
    int64_t lo, hi;
    if (rd_kafka_query_watermark_offsets(k->rk, topic, partition, &lo, &hi,
                                         timeout_ms) != RD_KAFKA_RESP_ERR_NO_ERROR)
        return -1;
    return next_offset >= hi ? 1 : 0;
}

void fl_kafka_pause(fl_kafka *k, const char *topic, int32_t partition,
                    bool pause)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, topic, partition);
    if (pause)
        rd_kafka_pause_partitions(k->rk, l);
    else
        rd_kafka_resume_partitions(k->rk, l);
    rd_kafka_topic_partition_list_destroy(l);
}

int64_t fl_kafka_lag(fl_kafka *k, const char *topic, int32_t partition,
                     int64_t next_offset)
{
    int64_t lo, hi;
    if (rd_kafka_get_watermark_offsets(k->rk, topic, partition, &lo, &hi) ||
        hi < 0 || next_offset < 0)
        return -1;
    return hi > next_offset ? hi - next_offset : 0;
}

/* -------------------------------------------------------------- producer */

struct fl_kafka_producer {
    rd_kafka_t *rk;
    rd_kafka_topic_t *rkt;
    uint64_t failed;
};

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    (void)opaque;
    if (m->err) {
        fl_kafka_producer *p = m->_private;
        if (p)
            p->failed++;
    }
}

fl_kafka_producer *fl_kafka_producer_new(const char *brokers,
                                         const char *const *props,
                                         size_t nprops, const char *topic,
                                         char *errstr, size_t errlen)
{
    char rerr[512];
    remember_secrets(props, nprops);
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set_log_cb(conf, log_cb);
    rd_kafka_conf_set(conf, "client.id", "faultline", rerr, sizeof rerr);
    rd_kafka_conf_set(conf, "linger.ms", "5", rerr, sizeof rerr);
    if (rd_kafka_conf_set(conf, "bootstrap.servers", brokers, rerr,
                          sizeof rerr) != RD_KAFKA_CONF_OK) {
        snprintf(errstr, errlen, "kafka: %s", rerr);
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    /* -X carries security and tuning for both clients; a property only a
     * consumer understands was already validated there and is skipped */
    for (size_t i = 0; i < nprops; i++) {
        char tmp[512];
        (void)fl_kafka_conf_set_kv(conf, props[i], tmp, sizeof tmp);
    }
    rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
    fl_kafka_producer *p = fl_calloc(1, sizeof *p);
    p->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, rerr, sizeof rerr);
    if (!p->rk) {
        snprintf(errstr, errlen, "kafka: cannot create producer: %s", rerr);
        scrub(errstr, errlen);
        rd_kafka_conf_destroy(conf);
        free(p);
        return NULL;
    }
    p->rkt = rd_kafka_topic_new(p->rk, topic, NULL);
    return p;
}

bool fl_kafka_produce(fl_kafka_producer *p, const char *key, size_t klen,
                      const char *val, size_t vlen)
{
    int rc = rd_kafka_produce(p->rkt, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY,
                              (void *)val, vlen, key, klen, p);
    rd_kafka_poll(p->rk, 0);
    if (rc != 0)
        p->failed++;
    return rc == 0;
}

uint64_t fl_kafka_producer_failed(const fl_kafka_producer *p) { return p->failed; }

void fl_kafka_producer_destroy(fl_kafka_producer *p, int timeout_ms)
{
    if (!p)
        return;
    rd_kafka_flush(p->rk, timeout_ms);
    rd_kafka_topic_destroy(p->rkt);
    rd_kafka_destroy(p->rk);
    free(p);
}
