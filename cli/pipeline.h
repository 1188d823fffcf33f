/*
 * pipeline.h - wires ingest -> detect -> rca for one run. Replay and (later)
 * consume feed it decoded events in event-time order; it owns the service
 * interner, the counters and the outputs. No detection or ranking logic
 * lives here.
 */
#ifndef FL_PIPELINE_H
#define FL_PIPELINE_H

#include "../detect/fl_detect.h"
#include "../ingest/fl_ingest.h"
#include "../rca/fl_rca.h"

typedef struct {
    uint64_t lines;      /* non-empty lines read */
    uint64_t bad_lines;  /* lines rejected by a decoder (by reason below) */
    uint64_t events;     /* lines decoded into events */
    uint64_t requests, changes;
    uint64_t dropped;    /* decoded but not used: late, over a limit */
    uint64_t read_errors; /* inputs that failed part-way (truncated .zst) */
    uint64_t bad[FL_BAD__COUNT];
    uint64_t anomalies[FL_SIG__COUNT]; /* opened, by signal */
} fl_stats;

typedef struct {
    fl_detect_conf detect;
    fl_rca_conf rca;
    fl_format format;
    size_t max_line;
    fl_incident_cb on_incident; /* opened, re-ranked or ended; may be NULL */
    void *ud;
    /* rca.topology: "caller\tcallee\n" per known call edge, or NULL;
     * copied by fl_pipeline_new, added before the first event (after a
     * checkpoint is restored, so service ids stay the checkpoint's) */
    const char *topology;
} fl_pipeline_conf;

void fl_pipeline_conf_default(fl_pipeline_conf *c);

typedef struct fl_pipeline fl_pipeline;

fl_pipeline *fl_pipeline_new(const fl_pipeline_conf *conf);
void fl_pipeline_destroy(fl_pipeline *p);
/* Counts a rejected line. */
void fl_pipeline_bad(fl_pipeline *p, fl_bad_reason why);
/* Feeds one decoded event (the caller has counted the line), first moving
 * event time to it: for inputs merged in time order (replay). */
void fl_pipeline_event(fl_pipeline *p, const fl_event *ev);
/* For several inputs not merged (Kafka partitions): add events as they
 * come, and advance time to the slowest input's separately. */
void fl_pipeline_add(fl_pipeline *p, const fl_event *ev);
/* The future-skew cap (detect.max_future) with the input's own gate
 * (fl_future_admit): false when the event is too far ahead, which is then
 * counted as "future" and must neither be fed nor move that input's time.
 * Change events are exempt: a deploys file often starts hours or days
 * before the logs, and a consumer loads it whole before any event. */
bool fl_pipeline_gate(fl_pipeline *p, fl_future_gate *g, const fl_event *ev);
void fl_pipeline_advance(fl_pipeline *p, fl_time t);
/* End of input: closes buckets and ranks what is open. */
void fl_pipeline_finish(fl_pipeline *p);
const fl_stats *fl_pipeline_stats(const fl_pipeline *p);
const fl_pipeline_conf *fl_pipeline_get_conf(const fl_pipeline *p);
fl_stats *fl_pipeline_stats_mut(fl_pipeline *p);
const fl_rca *fl_pipeline_rca(const fl_pipeline *p);
/* The whole result document (CONTRACT.md), newline-terminated. */
void fl_pipeline_result_json(const fl_pipeline *p, fl_buf *b);
/* One Markdown and one HTML report per incident in dir (created if
 * missing), written atomically. Returns the number written or -1. */
/* One incident's report (a consumer rewrites it as the incident changes). */
int fl_pipeline_write_report(const fl_pipeline *p, const fl_incident *inc,
                             const char *dir, char *errstr, size_t errlen);
int fl_pipeline_write_reports(const fl_pipeline *p, const char *dir,
                              char *errstr, size_t errlen);

/* Checkpoint support: the whole state (interned services, counters,
 * detectors, open buckets, incidents, changes, call edges) as one msgpack
 * value, and back into a freshly created pipeline with the same
 * configuration. Unpack validates everything it reads (types, counts,
 * ranges) and returns false with a reason instead of trusting the file. */
struct msgpack_packer;
union msgpack_object_union;
struct msgpack_object;
void fl_pipeline_pack(const fl_pipeline *p, struct msgpack_packer *pk);
bool fl_pipeline_unpack(fl_pipeline *p, const struct msgpack_object *o,
                        char *errstr, size_t errlen);

#endif
