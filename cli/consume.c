/*
 * consume.c - `faultline consume`: the long-running Kafka consumer. The
 * same decoders and the same pipeline as replay; only the source differs.
 *
 * Event time across partitions: each partition's time is the largest event
 * time read from it; the global time handed to the pipeline is the minimum
 * over assigned partitions, except those that have had no message for
 * --idle-timeout (wall clock), so an idle partition stops holding time
 * back. When every partition is idle, the largest is used (as replay does
 * at the end of its input). Buckets close at that time minus the lateness.
 *
 * Flow control: a partition whose time runs more than AHEAD_PAUSE past the
 * slowest one is paused (Kafka keeps the data) and resumed when it is back
 * within half that, so catching up on a backlog never makes the open
 * buckets span more than the detector's cap.
 */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"
#include "../ingest/fl_kafka.h"
#include "metrics.h"
#include "state.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    char *topic;
    int32_t partition;
    fl_time max_ts;    /* largest event time read; FL_TIME_NONE before any */
    fl_time last_wall; /* wall time of the last message (or assignment) */
    fl_time eof_wall;  /* wall time it reached its end; 0 when not at end */
    int64_t next_offset;
    bool assigned;
    bool paused;       /* too far ahead of the slowest partition */
    fl_future_gate gate; /* future-skew cap of this partition */
    uint64_t messages;
    /* this ownership period (since the last assignment): the first offset
     * read, how many messages, and how many did not follow the previous
     * one (a gap or a rewind); traced when the partition is revoked */
    int64_t own_first;
    uint64_t own_count, own_jumps;
    fl_decoder *dec;     /* the topic's format from the config, else NULL */
    const char *service; /* for lines naming none: the config's, or the topic */
} part;

struct fl_consumer {
    fl_cli_opts *o;
    fl_kafka *k;
    fl_kafka_producer *out;
    fl_pipeline *p;
    fl_decoder *dec;
    part *parts;
    size_t nparts;
    char *buf;
    size_t buf_cap;
    fl_time wm;
    fl_time last_checkpoint;
    uint64_t kafka_errors, published;
    fl_consume_stats *cs;
    fl_state_offsets resume; /* offsets the loaded checkpoint covers */
    fl_metrics *http;
    fl_time last_metrics;
    fl_time last_error_wall; /* idle time counts only after client errors stop */
    fl_time first_msg_wall, last_msg_wall; /* for the throughput figure */
    fl_time last_tick;
    uint64_t messages;
    uint64_t revokes, lost;
    bool fatal;
    bool closing; /* the final checkpoint is written: revokes only log */
};

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
    stop_signal = sig;
}

static part *part_get(fl_consumer *c, const char *topic, int32_t partition)
{
    for (size_t i = 0; i < c->nparts; i++)
        if (c->parts[i].partition == partition &&
            strcmp(c->parts[i].topic, topic) == 0)
            return &c->parts[i];
    c->parts = fl_realloc(c->parts, (c->nparts + 1) * sizeof *c->parts);
    part *pt = &c->parts[c->nparts++];
    memset(pt, 0, sizeof *pt);
    pt->topic = fl_strndup(topic, strlen(topic));
    const fl_source_defaults *sd = fl_config_for_topic(c->o->config, topic);
    if (sd && (sd->has_format || sd->fields != fl_config_fields(c->o->config))) {
        pt->dec = fl_decoder_new(sd->has_format ? sd->format : c->o->conf.format);
        fl_decoder_set_fields(pt->dec, sd->fields);
    }
    pt->service = sd && sd->service ? sd->service : pt->topic;
    pt->partition = partition;
    pt->max_ts = FL_TIME_NONE;
    pt->gate = (fl_future_gate)FL_FUTURE_GATE_INIT;
    pt->last_wall = fl_wall_now();
    pt->next_offset = -1;
    pt->own_first = -1;
    return pt;
}

static int64_t start_offset(void *ud, const char *topic, int32_t partition)
{
    fl_consumer *c = ud;
    /* a partition this process read before (revoked, now back): where it
     * stopped; else where the checkpoint loaded at start says */
    for (size_t i = 0; i < c->nparts; i++)
        if (c->parts[i].partition == partition && c->parts[i].next_offset >= 0 &&
            strcmp(c->parts[i].topic, topic) == 0)
            return c->parts[i].next_offset;
    return fl_state_offsets_find(&c->resume, topic, partition);
}

static bool save_state(fl_consumer *c);
static bool commit_owned(fl_consumer *c, bool all);

static void on_assign(void *ud, const fl_kafka_tp *tps, size_t n)
{
    fl_consumer *c = ud;
    bool trace = fl_kafka_trace();
    for (size_t i = 0; i < n; i++) {
        part *pt = part_get(c, tps[i].topic, tps[i].partition);
        pt->own_first = -1;
        pt->own_count = pt->own_jumps = 0;
        if (tps[i].offset >= 0)
            pt->next_offset = tps[i].offset;
        if (trace)
            fprintf(stderr, "faultline trace: assign %s[%d]@%lld\n", tps[i].topic,
                    (int)tps[i].partition, (long long)tps[i].offset);
    }
}

/*
 * A revoke (see the rebalance notes in ingest/kafka.c). The state is one
 * pipeline for everything this instance has read, not one per partition:
 * detection and ranking correlate services across partitions, and a
 * service's lines stay in one partition (keyed by service), so its
 * baseline lives with whoever reads that partition. What must not happen
 * on a rebalance is loss or double reading at the offset level, so the
 * revoked partitions' progress is checkpointed and committed here, while
 * they are still ours; the next owner starts exactly there (it takes the
 * larger of its own checkpoint's offset and the committed one). The
 * events already read stay in this instance's state; the new owner
 * builds its own baseline for those services from where it starts. When
 * the assignment was lost (session timeout: the group may already have
 * given the partitions to someone else), the state is saved but nothing
 * is committed.
 */
static void on_revoke(void *ud, const fl_kafka_tp *tps, size_t n, bool lost)
{
    fl_consumer *c = ud;
    c->revokes++;
    if (!c->closing) {
        if (lost) {
            c->lost++;
            save_state(c);
        } else if (c->o->state_dir && save_state(c)) {
            /* without a state dir nothing is ever committed (a restart
             * reads from the start: it has no state for what it skipped) */
            commit_owned(c, true);
        }
    }
    bool trace = fl_kafka_trace();
    for (size_t i = 0; i < n; i++) {
        part *pt = part_get(c, tps[i].topic, tps[i].partition);
        if (trace)
            fprintf(stderr, "faultline trace: revoke%s %s[%d] first=%lld next=%lld "
                            "count=%llu jumps=%llu\n",
                    lost ? "-lost" : "", pt->topic, (int)pt->partition,
                    (long long)pt->own_first, (long long)pt->next_offset,
                    (unsigned long long)pt->own_count,
                    (unsigned long long)pt->own_jumps);
        pt->assigned = false;
        if (pt->paused)
            fl_kafka_pause(c->k, pt->topic, pt->partition, false);
        pt->paused = false;
        pt->own_first = -1;
        pt->own_count = pt->own_jumps = 0;
    }
}

static void refresh_assignment(fl_consumer *c)
{
    fl_kafka_tp tps[1024];
    size_t n = fl_kafka_assignment(c->k, tps, FL_ARRAY_LEN(tps));
    for (size_t i = 0; i < c->nparts; i++)
        c->parts[i].assigned = false;
    fl_time now = fl_wall_now();
    for (size_t i = 0; i < n && i < FL_ARRAY_LEN(tps); i++) {
        part *pt = part_get(c, tps[i].topic, tps[i].partition);
        if (!pt->assigned)
            pt->last_wall = now;
        pt->assigned = true;
        pt->paused = false; /* a new assignment starts unpaused */
        pt->eof_wall = 0;
    }
    if (!c->o->quiet)
        fprintf(stderr, "faultline consume: assigned %zu partition%s\n", n,
                n == 1 ? "" : "s");
}

/* The pipeline's event time: see the top of this file. */
static fl_time global_time(const fl_consumer *c)
{
    fl_time now = fl_wall_now();
    fl_time lo = FL_TIME_NONE, hi = FL_TIME_NONE;
    bool any_active = false;
    for (size_t i = 0; i < c->nparts; i++) {
        const part *pt = &c->parts[i];
        if (!pt->assigned)
            continue;
        /* a paused partition is ahead, not idle: it never holds time back
         * (it is not the minimum) and never counts as idle at its end */
        bool idle = !pt->paused && now - pt->last_wall >= c->o->idle_timeout;
        if (pt->max_ts != FL_TIME_NONE && (hi == FL_TIME_NONE || pt->max_ts > hi))
            hi = pt->max_ts;
        if (idle)
            continue;
        if (pt->max_ts == FL_TIME_NONE)
            return FL_TIME_NONE; /* an active partition we know nothing of */
        any_active = true;
        if (lo == FL_TIME_NONE || pt->max_ts < lo)
            lo = pt->max_ts;
    }
    return any_active ? lo : hi;
}

/* Pauses partitions running too far ahead, resumes those back in range. */
static void flow_control(fl_consumer *c)
{
    fl_time ahead = (fl_time)(FL_DETECT_MAX_AHEAD / 2) * c->o->conf.detect.bucket;
    fl_time ref = c->wm;
    if (ref == FL_TIME_NONE) /* no global time yet: the slowest with data */
        for (size_t i = 0; i < c->nparts; i++) {
            const part *pt = &c->parts[i];
            if (pt->assigned && pt->max_ts != FL_TIME_NONE &&
                (ref == FL_TIME_NONE || pt->max_ts < ref))
                ref = pt->max_ts;
        }
    if (ref == FL_TIME_NONE)
        return;
    for (size_t i = 0; i < c->nparts; i++) {
        part *pt = &c->parts[i];
        if (!pt->assigned || pt->max_ts == FL_TIME_NONE)
            continue;
        fl_time lead = pt->max_ts - ref;
        if (!pt->paused && lead > ahead) {
            fl_kafka_pause(c->k, pt->topic, pt->partition, true);
            pt->paused = true;
        } else if (pt->paused && lead < ahead / 2) {
            fl_kafka_pause(c->k, pt->topic, pt->partition, false);
            pt->paused = false;
            pt->last_wall = fl_wall_now();
            /* paused after it had read to its end, it gets no second EOF
             * event: at its end by the client's last known high watermark
             * (confirm_end asks the broker before any exit) */
            if (fl_kafka_lag(c->k, pt->topic, pt->partition, pt->next_offset) == 0)
                pt->eof_wall = pt->last_wall;
        }
    }
}

static void handle_message(fl_consumer *c, const fl_kafka_msg *m)
{
    part *pt = part_get(c, m->topic, m->partition);
    pt->last_wall = fl_wall_now();
    if (!c->messages++)
        c->first_msg_wall = pt->last_wall;
    c->last_msg_wall = pt->last_wall;
    pt->eof_wall = 0;
    pt->messages++;
    if (pt->own_first < 0)
        pt->own_first = m->offset;
    else if (m->offset != pt->next_offset)
        pt->own_jumps++;
    pt->own_count++;
    pt->next_offset = m->offset + 1;
    fl_stats *st = fl_pipeline_stats_mut(c->p);
    size_t n = m->len;
    /* a msgpack message is binary: a trailing 0x0a is data */
    if (!fl_decoder_binary(pt->dec ? pt->dec : c->dec, m->payload, m->len))
        while (n && (m->payload[n - 1] == '\n' || m->payload[n - 1] == '\r'))
            n--;
    if (n == 0)
        return;
    st->lines++;
    if (n > c->o->conf.max_line) {
        fl_pipeline_bad(c->p, FL_BAD_TOO_LONG);
    } else {
        if (c->buf_cap < n + 1) {
            c->buf_cap = n + 1 > 4096 ? n + 1 : 4096;
            free(c->buf);
            c->buf = fl_malloc(c->buf_cap);
        }
        memcpy(c->buf, m->payload, n);
        c->buf[n] = '\0'; /* decoders need the NUL after the line */
        fl_event ev;
        fl_bad_reason why;
        fl_decoder *dec = pt->dec ? pt->dec : c->dec;
        if (fl_decode_line(dec, (fl_str){c->buf, n}, fl_str_c(pt->service), &ev,
                           &why)) {
            do {
                /* too far ahead of this partition's time: counted, and
                 * it does not move the partition (detect.max_future) */
                if (!fl_pipeline_gate(c->p, &pt->gate, &ev))
                    continue;
                if (ev.ts != FL_TIME_NONE &&
                    (pt->max_ts == FL_TIME_NONE || ev.ts > pt->max_ts))
                    pt->max_ts = ev.ts;
                fl_pipeline_add(c->p, &ev);
            } while (fl_decoder_more(dec, &ev));
        } else {
            fl_pipeline_bad(c->p, why);
        }
        while (fl_decoder_rejected(dec, &why)) /* bad parts of a batch */
            fl_pipeline_bad(c->p, why);
    }
    /* malformed or not, the message is done: next_offset moves past it,
     * and the next checkpoint stores and commits it */
}

static void on_incident(void *ud, const fl_incident *inc)
{
    fl_consumer *c = ud;
    if (c->o->report) {
        /* the postmortem follows the incident: rewritten (atomically) each
         * time it opens, is re-ranked or ends */
        char errstr[512];
        if (fl_pipeline_write_report(c->p, inc, c->o->report, errstr,
                                     sizeof errstr) != 0)
            fprintf(stderr, "faultline consume: %s\n", errstr);
    }
    if (c->out) {
        fl_buf b = {0};
        fl_incident_json(&b, fl_pipeline_rca(c->p), inc);
        if (fl_kafka_produce(c->out, inc->id, strlen(inc->id), b.p, b.n))
            c->published++;
        fl_buf_free(&b);
    }
    if (!c->o->quiet) {
        char t[40];
        const fl_rca *r = fl_pipeline_rca(c->p);
        fl_time_format(inc->start, t, sizeof t);
        fprintf(stderr, "faultline consume: incident %s %s since %s%s%s%s\n",
                inc->id,
                inc->state == FL_INCIDENT_CLOSED ? "ended" : "open", t,
                inc->ncauses ? ", top cause " : "",
                inc->ncauses ? fl_cause_kind(&inc->causes[0]) : "",
                inc->ncauses ? " of " : "");
        if (inc->ncauses) {
            fl_buf b = {0};
            const char *s = fl_rca_service_name(r, inc->causes[0].service);
            fl_buf_md_text(&b, s, strlen(s));
            fprintf(stderr, "    %s\n", b.p);
            fl_buf_free(&b);
        }
    }
}

/* Commits the next offset of every assigned partition; with `all`, the
 * offsets of every partition ever read are offered (a revoke: they are
 * still assigned, and fl_kafka_commit_offsets keeps only the owned). */
static bool commit_owned(fl_consumer *c, bool all)
{
    fl_kafka_tp *tps = fl_calloc(c->nparts + 1, sizeof *tps);
    size_t n = 0;
    for (size_t i = 0; i < c->nparts; i++) {
        const part *pt = &c->parts[i];
        if ((!pt->assigned && !all) || pt->next_offset < 0)
            continue;
        snprintf(tps[n].topic, sizeof tps[n].topic, "%s", pt->topic);
        tps[n].partition = pt->partition;
        tps[n].offset = pt->next_offset;
        n++;
    }
    bool ok = fl_kafka_commit_offsets(c->k, tps, n);
    free(tps);
    if (!ok)
        fprintf(stderr, "faultline consume: %s\n", fl_kafka_last_error(c->k));
    return ok;
}

/* Writes the state with the offsets it covers; no commit. */

/*
 * Each partition's event time (the largest event time read from it) lives
 * beside the checkpoint in `partition-times`, lines "topic<TAB>partition<TAB>
 * nanoseconds", written atomically right after each checkpoint. Without it
 * a restarted consumer would know no partition's time until that partition
 * delivers again: a quiet one (a change-event topic) would hold time back
 * for --idle-timeout, and a restart with nothing left to read would finish
 * at the checkpoint's time instead of where the data ends. It is a
 * separate file, not a checkpoint field, so the checkpoint format (and its
 * corruption checks) stay as they are; when it is missing, stale (a crash
 * between the two writes leaves an older one: times only lower) or
 * unreadable, partitions start without a time, as before. Read bounded:
 * at most 65536 lines, each checked.
 */
static void save_times(fl_consumer *c)
{
    fl_buf b = {0};
    for (size_t i = 0; i < c->nparts; i++)
        if (c->parts[i].max_ts != FL_TIME_NONE)
            fl_buf_printf(&b, "%s\t%d\t%lld\n", c->parts[i].topic,
                          (int)c->parts[i].partition,
                          (long long)c->parts[i].max_ts);
    char path[4096], errstr[256];
    snprintf(path, sizeof path, "%s/partition-times", c->o->state_dir);
    if (fl_buf_write_file(&b, path, errstr, sizeof errstr) != FL_OK && !c->o->quiet)
        fprintf(stderr, "faultline consume: %s\n", errstr);
    fl_buf_free(&b);
}

static void load_times(fl_consumer *c)
{
    char path[4096], line[512];
    snprintf(path, sizeof path, "%s/partition-times", c->o->state_dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    for (int n = 0; n < 65536 && fgets(line, sizeof line, f); n++) {
        char *t1 = strchr(line, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
        if (!t1 || !t2 || t1 == line)
            continue;
        *t1 = '\0';
        char *e1, *e2;
        long part_no = strtol(t1 + 1, &e1, 10);
        long long ts = strtoll(t2 + 1, &e2, 10);
        if (e1 != t2 || (*e2 != '\n' && *e2 != '\0') || part_no < 0 ||
            part_no > INT32_MAX || ts <= 0)
            continue;
        /* only partitions the checkpoint covers */
        if (fl_state_offsets_find(&c->resume, line, (int32_t)part_no) < 0)
            continue;
        part *pt = part_get(c, line, (int32_t)part_no);
        pt->max_ts = (fl_time)ts;
    }
    fclose(f);
}

static bool save_state(fl_consumer *c)
{
    if (!c->o->state_dir)
        return true;
    char errstr[512];
    fl_state_offsets offs = {0};
    for (size_t i = 0; i < c->nparts; i++)
        if (c->parts[i].next_offset >= 0)
            fl_state_offsets_add(&offs, c->parts[i].topic, c->parts[i].partition,
                                 c->parts[i].next_offset);
    /* the offsets restored at start for partitions not read since (not
     * assigned yet, or owned by another instance) are carried forward: the
     * state still covers those events, and a process killed before its
     * first assignment must not checkpoint them away */
    for (size_t i = 0; i < c->resume.n; i++) {
        bool seen = false;
        for (size_t j = 0; j < c->nparts && !seen; j++)
            seen = c->parts[j].next_offset >= 0 &&
                   c->parts[j].partition == c->resume.partitions[i] &&
                   strcmp(c->parts[j].topic, c->resume.topics[i]) == 0;
        if (!seen)
            fl_state_offsets_add(&offs, c->resume.topics[i], c->resume.partitions[i],
                                 c->resume.offsets[i]);
    }
    bool ok = fl_state_save(c->o->state_dir, c->p, &offs, errstr, sizeof errstr);
    fl_state_offsets_free(&offs);
    c->last_checkpoint = fl_wall_now();
    if (!ok) {
        fprintf(stderr, "faultline consume: checkpoint failed: %s\n", errstr);
        return false;
    }
    c->cs->checkpoints++;
    c->cs->last_checkpoint_wall = c->last_checkpoint;
    save_times(c);
    return true;
}

static bool checkpoint(fl_consumer *c)
{
    if (!c->o->state_dir)
        return true;
    if (!save_state(c))
        return false;
    /* only now are these offsets covered: commit them, for the partitions
     * this instance owns (fl_kafka_commit_offsets checks that against the
     * client's own assignment as well) */
    return commit_owned(c, false);
}

static void prom_label(fl_buf *b, const char *s)
{
    /* label values escape backslash, double quote and newline */
    for (; *s; s++) {
        if (*s == '\\' || *s == '"')
            fl_buf_putc(b, '\\');
        if (*s == '\n') {
            fl_buf_puts(b, "\\n");
            continue;
        }
        fl_buf_putc(b, *s);
    }
}

static void prom_head(fl_buf *b, const char *name, const char *type,
                      const char *help)
{
    fl_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* The Prometheus exposition of the consumer's state. */
static void render_metrics(fl_consumer *c, fl_buf *b)
{
    const fl_stats *st = fl_pipeline_stats(c->p);
    const fl_rca *r = fl_pipeline_rca(c->p);
    prom_head(b, "faultline_lines_total", "counter", "Lines (messages) read.");
    fl_buf_printf(b, "faultline_lines_total %llu\n", (unsigned long long)st->lines);
    prom_head(b, "faultline_events_total", "counter", "Lines decoded into events.");
    fl_buf_printf(b, "faultline_events_total %llu\n", (unsigned long long)st->events);
    prom_head(b, "faultline_bad_lines_total", "counter",
              "Lines rejected, by reason (late and over-limit events included).");
    for (int i = 0; i < FL_BAD__COUNT; i++)
        fl_buf_printf(b, "faultline_bad_lines_total{reason=\"%s\"} %llu\n",
                      fl_bad_reason_name((fl_bad_reason)i),
                      (unsigned long long)st->bad[i]);
    prom_head(b, "faultline_anomalies_total", "counter", "Anomalies opened, by signal.");
    for (int i = 0; i < FL_SIG__COUNT; i++)
        fl_buf_printf(b, "faultline_anomalies_total{signal=\"%s\"} %llu\n",
                      fl_signal_name((fl_signal)i),
                      (unsigned long long)st->anomalies[i]);
    uint32_t open = 0, n = fl_rca_count(r);
    for (uint32_t i = 0; i < n; i++)
        open += fl_rca_get(r, i)->state == FL_INCIDENT_OPEN;
    prom_head(b, "faultline_incidents_open", "gauge", "Incidents currently open.");
    fl_buf_printf(b, "faultline_incidents_open %u\n", open);
    prom_head(b, "faultline_incidents_total", "counter", "Incidents opened.");
    fl_buf_printf(b, "faultline_incidents_total %u\n", n);
    prom_head(b, "faultline_partition_lag_messages", "gauge",
              "Messages between the partition's end and the next to read.");
    for (size_t i = 0; i < c->nparts; i++) {
        const part *pt = &c->parts[i];
        if (!pt->assigned)
            continue;
        int64_t lag = fl_kafka_lag(c->k, pt->topic, pt->partition, pt->next_offset);
        if (lag < 0)
            continue;
        fl_buf_puts(b, "faultline_partition_lag_messages{topic=\"");
        prom_label(b, pt->topic);
        fl_buf_printf(b, "\",partition=\"%d\"} %lld\n", (int)pt->partition,
                      (long long)lag);
    }
    prom_head(b, "faultline_partition_event_time_seconds", "gauge",
              "Largest event time read from the partition (Unix seconds).");
    for (size_t i = 0; i < c->nparts; i++) {
        const part *pt = &c->parts[i];
        if (!pt->assigned || pt->max_ts == FL_TIME_NONE)
            continue;
        fl_buf_puts(b, "faultline_partition_event_time_seconds{topic=\"");
        prom_label(b, pt->topic);
        fl_buf_printf(b, "\",partition=\"%d\"} %.3f\n", (int)pt->partition,
                      (double)pt->max_ts / 1e9);
    }
    prom_head(b, "faultline_watermark_seconds", "gauge",
              "Event time all assigned partitions have reached (Unix seconds).");
    fl_buf_printf(b, "faultline_watermark_seconds %.3f\n",
                  c->wm == FL_TIME_NONE ? 0.0 : (double)c->wm / 1e9);
    prom_head(b, "faultline_checkpoint_age_seconds", "gauge",
              "Seconds since the last checkpoint (or since start).");
    fl_buf_printf(b, "faultline_checkpoint_age_seconds %.1f\n",
                  (double)(fl_wall_now() - c->last_checkpoint) / 1e9);
    prom_head(b, "faultline_checkpoints_total", "counter", "Checkpoints written.");
    fl_buf_printf(b, "faultline_checkpoints_total %llu\n",
                  (unsigned long long)c->cs->checkpoints);
    prom_head(b, "faultline_kafka_errors_total", "counter",
              "Transient errors reported by the Kafka client.");
    fl_buf_printf(b, "faultline_kafka_errors_total %llu\n",
                  (unsigned long long)(c->kafka_errors +
                                       fl_kafka_client_errors(c->k)));
    prom_head(b, "faultline_incidents_published_total", "counter",
              "Incident messages queued to the output topic.");
    fl_buf_printf(b, "faultline_incidents_published_total %llu\n",
                  (unsigned long long)c->published);
    prom_head(b, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
    fl_buf_printf(b, "process_resident_memory_bytes %llu\n",
                  (unsigned long long)fl_rss_bytes());
}

static void publish_metrics(fl_consumer *c)
{
    if (!c->http)
        return;
    fl_buf b = {0};
    render_metrics(c, &b);
    fl_metrics_publish(c->http, &b, !c->fatal);
    fl_buf_free(&b);
    c->last_metrics = fl_wall_now();
}

/* Every assigned partition at its end for `secs`, and the client error
 * free for as long: while brokers are unreachable nobody knows where the
 * end is, so an outage never counts as idleness. */
/* The brokers confirm every assigned partition is at its end. A partition
 * that is not, or a broker that does not answer (an outage), restarts its
 * idle clock. */
static bool confirm_end(fl_consumer *c)
{
    bool all = true;
    for (size_t i = 0; i < c->nparts; i++) {
        part *pt = &c->parts[i];
        if (!pt->assigned)
            continue;
        int r = fl_kafka_confirm_end(c->k, pt->topic, pt->partition,
                                     pt->next_offset < 0 ? 0 : pt->next_offset, 2000);
        if (r == 0) {
            /* more to read: a new EOF event will come, and its silence
             * clock restarts */
            pt->eof_wall = 0;
            pt->last_wall = fl_wall_now();
            all = false;
        } else if (r < 0) {
            pt->eof_wall = fl_wall_now(); /* no answer: wait another round */
            all = false;
        }
    }
    return all;
}

static bool all_idle_at_end(const fl_consumer *c, double secs)
{
    fl_time now = fl_wall_now(), need = (fl_time)(secs * 1e9);
    fl_time err = FL_MAX(c->last_error_wall, fl_kafka_last_error_wall(c->k));
    if (err && now - err < need)
        return false;
    size_t assigned = 0;
    for (size_t i = 0; i < c->nparts; i++) {
        const part *pt = &c->parts[i];
        if (!pt->assigned)
            continue;
        assigned++;
        /* at its end since the EOF event; a partition that never got one
         * (librdkafka sends none when a partition is assigned right at its
         * end, e.g. resumed from a checkpoint with nothing left) is a
         * candidate once silent that long since its last message or
         * assignment: confirm_end asks the brokers before anything exits */
        fl_time since = pt->eof_wall ? pt->eof_wall : pt->last_wall;
        if (pt->paused || !since || now - since < need)
            return false;
    }
    return assigned > 0;
}

int fl_consume_run(fl_cli_opts *o, fl_consume_stats *cs)
{
    char errstr[512];
    fl_consumer c = {0};
    c.o = o;
    c.cs = cs;
    c.wm = FL_TIME_NONE;
    o->conf.on_incident = on_incident;
    o->conf.ud = &c;
    c.p = fl_pipeline_new(&o->conf);
    cs->consumer = &c;
    int rc = 0;
    if (o->state_dir) {
        fl_err e = fl_state_load(o->state_dir, c.p, &c.resume, errstr,
                                 sizeof errstr);
        if (e == FL_ERR_CONFIG) {
            fprintf(stderr, "faultline consume: %s\n", errstr);
            fl_pipeline_destroy(c.p);
            return 1;
        }
        if (e == FL_OK && !o->quiet)
            fprintf(stderr, "faultline consume: resumed from %s\n", errstr);
        if (e == FL_OK)
            load_times(&c);
        if (e == FL_OK && fl_kafka_trace())
            for (size_t i = 0; i < c.resume.n; i++)
                fprintf(stderr, "faultline trace: resume %s[%d]@%lld\n",
                        c.resume.topics[i], (int)c.resume.partitions[i],
                        (long long)c.resume.offsets[i]);
    }
    /* change events given as files are read first (JSON lines or msgpack) */
    for (size_t i = 0; i < o->ndeploys; i++) {
        if (fl_read_changes(c.p, o->deploys[i], o->conf.max_line, o->config,
                            errstr, sizeof errstr) != 0) {
            fprintf(stderr, "faultline: %s\n", errstr);
            fl_pipeline_destroy(c.p);
            return 2;
        }
    }
    fl_kafka_conf kc = {o->brokers, o->group, (const char *const *)o->topics,
                        o->ntopics, o->props, o->nprops, start_offset, &c,
                        on_revoke, on_assign};
    c.k = fl_kafka_new(&kc, errstr, sizeof errstr);
    if (!c.k) {
        fprintf(stderr, "faultline consume: %s\n", errstr);
        fl_pipeline_destroy(c.p);
        return 1;
    }
    if (o->output_topic) {
        c.out = fl_kafka_producer_new(o->brokers, o->props, o->nprops,
                                      o->output_topic, errstr, sizeof errstr);
        if (!c.out) {
            fprintf(stderr, "faultline consume: %s\n", errstr);
            fl_kafka_destroy(c.k);
            fl_pipeline_destroy(c.p);
            return 1;
        }
    }
    if (o->http) {
        c.http = fl_metrics_start(o->http, errstr, sizeof errstr);
        if (!c.http) {
            fprintf(stderr, "faultline consume: %s\n", errstr);
            fl_kafka_producer_destroy(c.out, 0);
            fl_kafka_destroy(c.k);
            fl_pipeline_destroy(c.p);
            fl_state_offsets_free(&c.resume);
            return 1;
        }
        if (!o->quiet)
            fprintf(stderr, "faultline consume: serving /metrics and /healthz on "
                            "port %d\n", fl_metrics_port(c.http));
        publish_metrics(&c);
    }
    c.dec = fl_decoder_new(o->conf.format);
    fl_decoder_set_fields(c.dec, fl_config_fields(o->config));
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    stop_signal = 0;
    if (!o->quiet)
        fprintf(stderr, "faultline consume: group %s, %zu topic%s, brokers %s\n",
                o->group, o->ntopics, o->ntopics == 1 ? "" : "s", o->brokers);
    c.last_checkpoint = fl_wall_now();
    fl_time started = fl_wall_now();
    bool finish = false;
    while (!stop_signal) {
        fl_kafka_msg m;
        fl_kafka_event ev = fl_kafka_poll(c.k, 100, &m);
        switch (ev) {
        case FL_KAFKA_MESSAGE: handle_message(&c, &m); break;
        case FL_KAFKA_EOF: {
            part *pt = part_get(&c, m.topic, m.partition);
            if (!pt->eof_wall)
                pt->eof_wall = fl_wall_now();
            if (m.offset >= 0)
                pt->next_offset = m.offset;
            break;
        }
        case FL_KAFKA_REBALANCE: refresh_assignment(&c); break;
        case FL_KAFKA_ERROR:
            c.kafka_errors++;
            c.last_error_wall = fl_wall_now();
            cs->kafka_errors++;
            if (!o->quiet && (c.kafka_errors < 10 || c.kafka_errors % 100 == 0))
                fprintf(stderr, "faultline consume: %s\n", fl_kafka_last_error(c.k));
            break;
        case FL_KAFKA_FATAL:
            fprintf(stderr, "faultline consume: %s\n", fl_kafka_last_error(c.k));
            c.fatal = true;
            rc = 2;
            stop_signal = SIGTERM;
            break;
        case FL_KAFKA_NONE: break;
        }
        /* time, flow control and housekeeping every few ms, not per
         * message: a busy consumer polls hundreds of thousands of times a
         * second */
        fl_time now = fl_wall_now();
        if (ev == FL_KAFKA_MESSAGE && now - c.last_tick < 5 * FL_NS_PER_MS)
            continue;
        c.last_tick = now;
        fl_time g = global_time(&c);
        if (g != FL_TIME_NONE && (c.wm == FL_TIME_NONE || g > c.wm)) {
            c.wm = g;
            fl_pipeline_advance(c.p, g);
        }
        cs->watermark = c.wm;
        flow_control(&c);
        if (now - c.last_checkpoint >= o->checkpoint_every)
            checkpoint(&c);
        if (c.http && now - c.last_metrics >= FL_NS_PER_SEC)
            publish_metrics(&c);
        if (o->exit_on_idle >= 0) {
            bool idle = all_idle_at_end(&c, o->exit_on_idle);
            /* nothing ever assigned (a topic that does not exist, brokers
             * unreachable): give up after a generous grace */
            bool nothing = c.nparts == 0 &&
                           now - started > (fl_time)((o->exit_on_idle + 60) * 1e9);
            if (idle && !confirm_end(&c))
                idle = false;
            if (idle || nothing) {
                finish = true;
                break;
            }
        }
        if (ev == FL_KAFKA_NONE && cs->on_idle)
            cs->on_idle(cs->ud);
    }
    /* stop: everything read is in the pipeline; checkpoint, then commit;
     * the revoke that closing the consumer brings only logs (the state
     * may be finished below, and must not be saved so) */
    checkpoint(&c);
    c.closing = true;
    if (finish) {
        /* end of input, as replay: every partition is at its end, so all
         * count as idle and time moves to the largest event time read
         * (global_time would still wait --idle-timeout for them; and a
         * partition with nothing to read since a restart has no event time
         * at all, which would leave time where the checkpoint had it); then
         * close what is complete, rank what is open */
        fl_time hi = FL_TIME_NONE;
        for (size_t i = 0; i < c.nparts; i++)
            if (c.parts[i].max_ts != FL_TIME_NONE &&
                (hi == FL_TIME_NONE || c.parts[i].max_ts > hi))
                hi = c.parts[i].max_ts;
        if (hi != FL_TIME_NONE && (c.wm == FL_TIME_NONE || hi > c.wm)) {
            c.wm = hi;
            fl_pipeline_advance(c.p, hi);
        }
        fl_pipeline_finish(c.p);
    }
    if (o->json || (o->report && finish)) {
        int r2 = fl_emit_results(c.p, o->json, o->report, o->quiet);
        if (r2)
            rc = r2;
    } else if (o->report) {
        fl_emit_results(c.p, false, o->report, o->quiet);
    }
    if (!o->quiet && c.messages > 1 && c.last_msg_wall > c.first_msg_wall)
        fprintf(stderr, "faultline consume: %llu messages, %.0f messages/s "
                        "from the first to the last\n",
                (unsigned long long)c.messages,
                (double)(c.messages - 1) * 1e9 /
                    (double)(c.last_msg_wall - c.first_msg_wall));
    if (!o->quiet)
        fprintf(stderr, "faultline consume: %s; %llu lines, %llu bad, %u "
                        "incident%s\n",
                finish ? "all partitions idle at their end" : "stopped",
                (unsigned long long)fl_pipeline_stats(c.p)->lines,
                (unsigned long long)fl_pipeline_stats(c.p)->bad_lines,
                fl_rca_count(fl_pipeline_rca(c.p)),
                fl_rca_count(fl_pipeline_rca(c.p)) == 1 ? "" : "s");
    publish_metrics(&c);
    fl_metrics_stop(c.http);
    fl_decoder_destroy(c.dec);
    fl_kafka_destroy(c.k);
    fl_kafka_producer_destroy(c.out, 5000);
    cs->consumer = NULL;
    if (cs->keep_pipeline)
        cs->pipeline = c.p;
    else
        fl_pipeline_destroy(c.p);
    for (size_t i = 0; i < c.nparts; i++) {
        fl_decoder_destroy(c.parts[i].dec);
        free(c.parts[i].topic);
    }
    free(c.parts);
    free(c.buf);
    fl_state_offsets_free(&c.resume);
    return rc;
}

int fl_cmd_consume(int argc, char **argv)
{
    fl_cli_opts o;
    int rc = fl_cli_parse("consume", true, argc, argv, &o);
    if (rc) {
        fl_cli_opts_free(&o);
        return rc;
    }
    if (!o.brokers || !o.ntopics) {
        fprintf(stderr, "faultline consume: --brokers and --topics are required "
                        "(see 'faultline consume --help')\n");
        fl_cli_opts_free(&o);
        return 1;
    }
    if (o.nfiles) {
        fprintf(stderr, "faultline consume: unexpected argument '%s' (see "
                        "'faultline consume --help')\n", o.files[0]);
        fl_cli_opts_free(&o);
        return 1;
    }
    fl_consume_stats cs = {0};
    rc = fl_consume_run(&o, &cs);
    fl_cli_opts_free(&o);
    return rc;
}
