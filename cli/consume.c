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
    bool fatal;
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
    return pt;
}

static int64_t start_offset(void *ud, const char *topic, int32_t partition)
{
    fl_consumer *c = ud;
    return fl_state_offsets_find(&c->resume, topic, partition);
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

static bool checkpoint(fl_consumer *c)
{
    if (!c->o->state_dir)
        return true;
    char errstr[512];
    fl_state_offsets offs = {0};
    for (size_t i = 0; i < c->nparts; i++)
        if (c->parts[i].next_offset >= 0)
            fl_state_offsets_add(&offs, c->parts[i].topic, c->parts[i].partition,
                                 c->parts[i].next_offset);
    bool ok = fl_state_save(c->o->state_dir, c->p, &offs, errstr, sizeof errstr);
    fl_state_offsets_free(&offs);
    c->last_checkpoint = fl_wall_now();
    if (!ok) {
        fprintf(stderr, "faultline consume: checkpoint failed: %s\n", errstr);
        return false;
    }
    c->cs->checkpoints++;
    c->cs->last_checkpoint_wall = c->last_checkpoint;
    /* only now are these offsets covered: store and commit them (stored
     * here, per partition, rather than per message) */
    for (size_t i = 0; i < c->nparts; i++)
        if (c->parts[i].assigned && c->parts[i].next_offset > 0)
            fl_kafka_store(c->k, c->parts[i].topic, c->parts[i].partition,
                           c->parts[i].next_offset - 1);
    if (!fl_kafka_commit(c->k)) {
        fprintf(stderr, "faultline consume: %s\n", fl_kafka_last_error(c->k));
        return false;
    }
    return true;
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
            pt->eof_wall = 0; /* more to read: a new EOF event will come */
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
        if (pt->paused || !pt->eof_wall || now - pt->eof_wall < need)
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
                        o->ntopics, o->props, o->nprops, start_offset, &c};
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
    /* stop: everything read is in the pipeline; checkpoint, then commit */
    checkpoint(&c);
    if (finish) {
        /* end of input, as replay: close what is complete, rank what is open */
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
