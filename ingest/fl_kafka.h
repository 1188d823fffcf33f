/*
 * fl_kafka.h - Kafka as an ingest source: a librdkafka high-level consumer
 * in a consumer group, and nothing else. It does not know whether the
 * brokers are a real cluster or librdkafka's mock cluster.
 *
 * Offsets are stored by the application (enable.auto.offset.store=false)
 * and committed only when the caller says so (after a checkpoint covers
 * them): fl_kafka_store marks a message done, fl_kafka_commit commits what
 * was stored. The eager `range` assignor is the default (Debian 12's
 * librdkafka 2.0.2 has known cooperative-sticky bugs); any -X property can
 * override it.
 *
 * Threads: one thread owns an fl_kafka.
 */
#ifndef FL_KAFKA_H
#define FL_KAFKA_H

#include "../common/fl_common.h"

typedef struct fl_kafka fl_kafka;

typedef struct fl_kafka_tp {
    char topic[256];
    int32_t partition;
    int64_t offset; /* where relevant: an offset, else -1 */
} fl_kafka_tp;

typedef struct {
    const char *brokers;
    const char *group;
    const char *const *topics;
    size_t ntopics;
    const char *const *props; /* "key=value" pairs passed to librdkafka */
    size_t nprops;
    /* Where to start a newly assigned partition: a checkpoint's offset, or
     * -1 for the group's committed offset. May be NULL. */
    int64_t (*start_offset)(void *ud, const char *topic, int32_t partition);
    void *ud;
    /* Called inside the poll that revokes partitions, while they are still
     * assigned (the eager protocol: before the group rejoins), so the
     * caller can checkpoint and commit their progress; `lost` when the
     * membership was lost (session timeout, fenced): a commit would be
     * refused or, worse, race the new owner, so none must be made. */
    void (*on_revoke)(void *ud, const struct fl_kafka_tp *tps, size_t n,
                      bool lost);
    /* Called after an assignment with the offsets each partition starts
     * at (-1: the group's committed offset, else auto.offset.reset). */
    void (*on_assign)(void *ud, const struct fl_kafka_tp *tps, size_t n);
} fl_kafka_conf;

typedef enum {
    FL_KAFKA_NONE,      /* nothing within the timeout */
    FL_KAFKA_MESSAGE,   /* *msg holds a message */
    FL_KAFKA_EOF,       /* *msg names a partition that reached its end */
    FL_KAFKA_ERROR,     /* a transient error; see fl_kafka_last_error */
    FL_KAFKA_FATAL,     /* the consumer cannot go on */
    FL_KAFKA_REBALANCE, /* the assignment changed: call fl_kafka_assignment */
} fl_kafka_event;

typedef struct {
    const char *topic;
    int32_t partition;
    int64_t offset;
    const char *payload; /* not NUL-terminated; valid until the next poll */
    size_t len;
    int64_t ts_ms;       /* the broker/producer timestamp, -1 if none */
} fl_kafka_msg;


fl_kafka *fl_kafka_new(const fl_kafka_conf *conf, char *errstr, size_t errlen);
/* Closes the consumer (leaving the group cleanly) and frees it. */
void fl_kafka_destroy(fl_kafka *k);
fl_kafka_event fl_kafka_poll(fl_kafka *k, int timeout_ms, fl_kafka_msg *msg);
const char *fl_kafka_last_error(const fl_kafka *k);
/* Wall time of the last client-level error (0 if none) and their count:
 * brokers unreachable, all brokers down, authentication failures. */
fl_time fl_kafka_last_error_wall(const fl_kafka *k);
uint64_t fl_kafka_client_errors(const fl_kafka *k);
/* Marks everything up to and including `offset` of the partition done. */
void fl_kafka_store(fl_kafka *k, const char *topic, int32_t partition,
                    int64_t offset);
/* Commits stored offsets synchronously; false (with the reason in
 * fl_kafka_last_error) when the commit failed. */
bool fl_kafka_commit(fl_kafka *k);
/* Commits, synchronously, the next offset to read of each listed
 * partition that is in the current assignment (librdkafka's own view, asked
 * at the time): a partition this instance does not own is never committed,
 * whatever the caller believes. Returns false (reason in
 * fl_kafka_last_error) when the commit failed. With the environment
 * variable FAULTLINE_KAFKA_TRACE set, each committed and each skipped
 * partition is written to stderr (tests check ownership with it). */
bool fl_kafka_commit_offsets(fl_kafka *k, const fl_kafka_tp *tps, size_t n);
/* True when FAULTLINE_KAFKA_TRACE is set. */
bool fl_kafka_trace(void);
/* The current assignment; returns the count, fills up to max. */
size_t fl_kafka_assignment(fl_kafka *k, fl_kafka_tp *out, size_t max);
/* Asks the partition's leader for its end: 1 when next_offset is at it,
 * 0 when there is more to read, -1 when no broker answered in time. */
int fl_kafka_confirm_end(fl_kafka *k, const char *topic, int32_t partition,
                         int64_t next_offset, int timeout_ms);
/* Pauses or resumes fetching from a partition (flow control: a partition
 * far ahead of the others waits for them). */
void fl_kafka_pause(fl_kafka *k, const char *topic, int32_t partition,
                    bool pause);
/* Consumer lag of a partition (high watermark - next offset), -1 unknown. */
int64_t fl_kafka_lag(fl_kafka *k, const char *topic, int32_t partition,
                     int64_t next_offset);

/* A producer for the incident topic. */
typedef struct fl_kafka_producer fl_kafka_producer;
fl_kafka_producer *fl_kafka_producer_new(const char *brokers,
                                         const char *const *props,
                                         size_t nprops, const char *topic,
                                         char *errstr, size_t errlen);
/* Queues one message; delivery happens in the background. */
bool fl_kafka_produce(fl_kafka_producer *p, const char *key, size_t klen,
                      const char *val, size_t vlen);
/* Waits up to timeout_ms for queued messages, then frees. */
void fl_kafka_producer_destroy(fl_kafka_producer *p, int timeout_ms);
uint64_t fl_kafka_producer_failed(const fl_kafka_producer *p);

/* Applies "key=value" to a librdkafka configuration; for -X. Returns
 * false with the reason. Secrets never appear in the reason. */
bool fl_kafka_conf_set_kv(void *rd_conf, const char *kv, char *errstr,
                          size_t errlen);

#endif
