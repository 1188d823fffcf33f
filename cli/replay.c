/*
 * replay.c - `faultline replay`: read archived files (plain, .zst, stdin),
 * merge them in event-time order, and run the pipeline. Each input keeps
 * one decoded event at its head; the input whose head is earliest goes
 * next, so files that overlap in time interleave correctly while memory
 * stays at one line buffer per input.
 *
 * Each regular file (plain or .zst) is read and decoded by its own reader
 * threads (ingest/reader.c, events mode): a lines thread (read(2), zstd,
 * the newline scan) and two decoder threads taking turns batch by batch
 * hand decoded events over in ~1 MiB batches; this thread merges, detects
 * and ranks. Lines are counted
 * and bad lines reported here as each item is taken, in the same order as
 * reading in place, so the result document is the same byte for byte. Stdin and pipes are read in place (a thread
 * blocked in read(2) on a pipe could not be stopped cleanly), and so are
 * msgpack streams (objects, not lines). Up to MAX_READERS inputs get a
 * thread; the rest are read in place, so memory stays bounded
 * (FL_READER_NBATCH x 1 MiB per threaded input).
 */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"
#include "../ingest/reader.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_READERS 16

typedef struct {
    fl_source *src;
    fl_reader *rd; /* the reader thread, when it has one */
    fl_msgpack_stream *ms; /* a msgpack stream: objects, not lines */
    fl_decoder *dec;
    fl_decoder *dec2; /* a second decoder thread's, when it has one */
    fl_format fmt;    /* dec's format */
    fl_event head;
    bool has_head, done;
    fl_str fallback_service;
    char *fallback_buf;
    fl_future_gate gate; /* future-skew cap of this input */
} input;

/* Reads lines until one decodes (counting the rest) or the input ends. */
static bool pull(fl_pipeline *p, input *in, fl_err *io_err, char *errstr,
                 size_t errlen)
{
    fl_stats *st = fl_pipeline_stats_mut(p);
    /* an event too far ahead of this input's time is counted here, before
     * it becomes the input's head: as a head it would hold the whole input
     * back in the merge until the other inputs caught up with it */
    if (in->rd) { /* decoded by the reader thread */
        for (;;) {
            const fl_reader_item *it;
            fl_line_status ls = fl_reader_next_item(in->rd, &it);
            if (ls == FL_LINE_EOF || ls == FL_LINE_ERROR) {
                if (ls == FL_LINE_ERROR) {
                    snprintf(errstr, errlen, "%s", fl_source_error(in->src));
                    *io_err = FL_ERR_IO;
                }
                in->done = true;
                in->has_head = false;
                return false;
            }
            if (it->counts_line)
                st->lines++;
            if (it->bad) {
                fl_pipeline_bad(p, it->why);
                continue;
            }
            in->head = it->ev;
            if (!fl_pipeline_gate(p, &in->gate, &in->head))
                continue;
            in->has_head = true;
            return true;
        }
    }
    while (fl_decoder_more(in->dec, &in->head)) { /* more of the same line */
        if (!fl_pipeline_gate(p, &in->gate, &in->head))
            continue;
        in->has_head = true;
        return true;
    }
    for (;;) {
        fl_str line;
        fl_line_status ls;
        if (in->ms) {
            fl_bad_reason why;
            ls = fl_msgpack_stream_next(in->ms, &line, &why);
            if (ls == FL_LINE_BAD) { /* an object rejected whole */
                st->lines++;
                fl_pipeline_bad(p, why);
                continue;
            }
        } else {
            ls = fl_source_next(in->src, &line);
        }
        if (ls == FL_LINE_EOF) {
            in->done = true;
            in->has_head = false;
            return false;
        }
        if (ls == FL_LINE_ERROR) {
            /* lines before the damage were used; report and stop this input */
            snprintf(errstr, errlen, "%s", fl_source_error(in->src));
            *io_err = FL_ERR_IO;
            in->done = true;
            in->has_head = false;
            return false;
        }
        if (ls == FL_LINE_TOO_LONG) {
            st->lines++;
            fl_pipeline_bad(p, FL_BAD_TOO_LONG);
            continue;
        }
        /* blank lines are not events and not errors */
        size_t i = 0;
        while (i < line.n && (line.p[i] == ' ' || line.p[i] == '\t'))
            i++;
        if (i == line.n)
            continue;
        st->lines++;
        fl_bad_reason why, part;
        bool ok = fl_decode_line(in->dec, line, in->fallback_service,
                                 &in->head, &why);
        while (fl_decoder_rejected(in->dec, &part)) /* bad parts of a batch */
            fl_pipeline_bad(p, part);
        if (ok) {
            if (fl_pipeline_gate(p, &in->gate, &in->head)) {
                in->has_head = true;
                return true;
            }
            while (fl_decoder_more(in->dec, &in->head))
                if (fl_pipeline_gate(p, &in->gate, &in->head)) {
                    in->has_head = true;
                    return true;
                }
            continue;
        }
        fl_pipeline_bad(p, why);
    }
}

typedef struct {
    bool enabled;
    fl_time started, last;
    uint64_t total_size;
} progress;

static void progress_show(progress *pg, const fl_pipeline *p, input *ins,
                          size_t nin, bool final)
{
    if (!pg->enabled)
        return;
    fl_time now = fl_wall_now();
    if (!final && now - pg->last < 250 * FL_NS_PER_MS)
        return;
    pg->last = now;
    uint64_t done = 0;
    for (size_t i = 0; i < nin; i++)
        done += ins[i].rd ? fl_reader_bytes_read(ins[i].rd)
                          : fl_source_bytes_read(ins[i].src);
    double secs = (double)(now - pg->started) / 1e9;
    const fl_stats *st = fl_pipeline_stats(p);
    double lps = secs > 0 ? (double)st->lines / secs : 0;
    char eta[48] = "";
    if (pg->total_size && done > 0 && done < pg->total_size && secs > 0.5) {
        double rem = secs * (double)(pg->total_size - done) / (double)done;
        snprintf(eta, sizeof eta, ", ETA %.0f s", rem);
    }
    if (final) {
        fprintf(stderr, "\r\033[K");
        return;
    }
    if (pg->total_size)
        fprintf(stderr, "\r\033[Kreplay: %.1f/%.1f MB (%.0f%%), %llu lines, %.0f lines/s%s",
                (double)done / 1e6, (double)pg->total_size / 1e6,
                100.0 * (double)done / (double)pg->total_size,
                (unsigned long long)st->lines, lps, eta);
    else
        fprintf(stderr, "\r\033[Kreplay: %.1f MB, %llu lines, %.0f lines/s",
                (double)done / 1e6, (unsigned long long)st->lines, lps);
}

char *fl_service_from_name(const char *path)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    size_t n = strcspn(b, ".");
    if (n == 0 || strcmp(b, "<stdin>") == 0)
        return fl_strndup("stdin", 5);
    return fl_strndup(b, n);
}

/* An input that fails part-way (a truncated .zst) keeps what it gave and
 * is a warning; one that fails before its first line could not be read at
 * all (a ".zst" that is not zstd): exit status 2. */
static int read_failed(fl_stats *st, const input *in, const char *errstr)
{
    st->read_errors++;
    uint64_t lines = in->rd ? fl_reader_line_no(in->rd)
                            : fl_source_line_no(in->src);
    if (lines == 0 &&
        (!in->ms || fl_msgpack_stream_objects(in->ms) == 0)) {
        fprintf(stderr, "faultline: %s\n", errstr);
        return 2;
    }
    fprintf(stderr, "faultline: warning: %s\n", errstr);
    return 0;
}

fl_decoder *fl_input_decoder(fl_source *src, fl_format format,
                             fl_msgpack_stream **ms, fl_format *fmt)
{
    if (format == FL_FORMAT_MSGPACK || format == FL_FORMAT_AUTO) {
        fl_str head = fl_source_peek(src);
        if (fl_msgpack_stream_sniff(head.p, head.n)) {
            *ms = fl_msgpack_stream_new(src, fl_source_max_line(src));
            return fl_decoder_new(*fmt = FL_FORMAT_MSGPACK);
        }
        if (format == FL_FORMAT_MSGPACK)
            return fl_decoder_new(*fmt = FL_FORMAT_AUTO);
    }
    return fl_decoder_new(*fmt = format);
}

static fl_decoder *input_decoder(input *in, fl_format format)
{
    return fl_input_decoder(in->src, format, &in->ms, &in->fmt);
}

int fl_replay_sources(fl_pipeline *p, fl_source **srcs, size_t n,
                      fl_format format, const fl_config *cfg,
                      bool show_progress)
{
    return fl_replay_inputs(p, srcs, n, 0, format, cfg, show_progress);
}

int fl_replay_inputs(fl_pipeline *p, fl_source **srcs, size_t n,
                     size_t nchanges, fl_format format, const fl_config *cfg,
                     bool show_progress)
{
    input *ins = fl_calloc(n + 1, sizeof *ins);
    progress pg = {show_progress, fl_wall_now(), 0, 0};
    for (size_t i = 0; i < n; i++) {
        ins[i].src = srcs[i];
        ins[i].gate = (fl_future_gate)FL_FUTURE_GATE_INIT;
        /* the config's files entry for this path: format and service */
        const char *path = fl_source_name(srcs[i]);
        const fl_source_defaults *sd =
            fl_config_for_file(cfg, strcmp(path, "<stdin>") ? path : "-");
        /* change-event files (--deploys) are JSON lines or a msgpack
         * stream whatever --format says (that describes the logs), unless
         * a files entry names their format */
        fl_format f = i >= n - nchanges ? FL_FORMAT_AUTO : format;
        ins[i].dec = input_decoder(&ins[i], sd && sd->has_format ? sd->format : f);
        fl_decoder_set_fields(ins[i].dec,
                              sd ? sd->fields : fl_config_fields(cfg));
        ins[i].fallback_buf = sd && sd->service
                                  ? fl_strndup(sd->service, strlen(sd->service))
                                  : fl_service_from_name(path);
        ins[i].fallback_service = fl_str_c(ins[i].fallback_buf);
        pg.total_size += fl_source_size(srcs[i]);
        /* a regular file (it has a size) read as lines: its own threads */
        if (!ins[i].ms && fl_source_size(srcs[i]) > 0 && i < MAX_READERS) {
            fl_decoder *decs[2] = {ins[i].dec, NULL};
            unsigned nd = 1;
            /* a few inputs: a second decoder thread each, for the second
             * core (many inputs keep the cores busy by themselves) */
            if (n <= 4) {
                ins[i].dec2 = decs[1] = fl_decoder_new(ins[i].fmt);
                fl_decoder_set_fields(ins[i].dec2,
                                      sd ? sd->fields : fl_config_fields(cfg));
                nd = 2;
            }
            ins[i].rd = fl_reader_start_events(srcs[i], decs, nd,
                                               ins[i].fallback_service, 0, 0);
        }
    }
    fl_stats *st = fl_pipeline_stats_mut(p);
    char errstr[300];
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        fl_err e = FL_OK;
        if (!pull(p, &ins[i], &e, errstr, sizeof errstr) && e != FL_OK)
            rc |= read_failed(st, &ins[i], errstr);
    }
    if (rc) /* an input could not be read at all: no partial answer */
        goto out;
    uint64_t tick = 0;
    for (;;) {
        /* the input whose head event is earliest goes next; ties go to the
         * input named first, so the order is deterministic */
        input *best = NULL;
        for (size_t i = 0; i < n; i++)
            if (ins[i].has_head && (!best || ins[i].head.ts < best->head.ts))
                best = &ins[i];
        if (!best)
            break;
        fl_pipeline_event(p, &best->head);
        fl_err e = FL_OK;
        if (!pull(p, best, &e, errstr, sizeof errstr) && e != FL_OK)
            rc |= read_failed(st, best, errstr);
        if ((++tick & 0x3fff) == 0)
            progress_show(&pg, p, ins, n, false);
    }
    progress_show(&pg, p, ins, n, true);
    fl_pipeline_finish(p);
out:
    for (size_t i = 0; i < n; i++) {
        fl_reader_destroy(ins[i].rd);
        fl_decoder_destroy(ins[i].dec);
        fl_decoder_destroy(ins[i].dec2);
        fl_msgpack_stream_destroy(ins[i].ms);
        free(ins[i].fallback_buf);
    }
    free(ins);
    return rc;
}

int fl_read_changes(fl_pipeline *p, const char *path, size_t max_line,
                    const fl_config *cfg, char *errstr, size_t errlen)
{
    fl_source *src = fl_source_open(path, max_line, errstr, errlen);
    if (!src)
        return 2;
    input in = {0};
    in.src = src;
    const fl_source_defaults *sd =
        fl_config_for_file(cfg, strcmp(path, "-") ? path : "-");
    in.dec = input_decoder(&in, sd && sd->has_format ? sd->format
                                                     : FL_FORMAT_AUTO);
    fl_decoder_set_fields(in.dec, sd ? sd->fields : fl_config_fields(cfg));
    in.fallback_buf = fl_service_from_name(path);
    in.fallback_service = fl_str_c(in.fallback_buf);
    /* only change events are kept (and counted as events); the file's
     * lines and bad lines are not counted (a consumer re-reads it on every
     * start, and its line counts are about its messages, restored from
     * checkpoints) */
    fl_stats saved = *fl_pipeline_stats(p);
    fl_err e = FL_OK;
    char why[300];
    while (pull(p, &in, &e, why, sizeof why))
        if (in.head.kind == FL_EV_CHANGE)
            fl_pipeline_add(p, &in.head);
    fl_stats *st = fl_pipeline_stats_mut(p);
    st->lines = saved.lines;
    st->bad_lines = saved.bad_lines;
    memcpy(st->bad, saved.bad, sizeof st->bad);
    int rc = 0;
    if (e != FL_OK) {
        snprintf(errstr, errlen, "%s", why);
        rc = fl_source_line_no(src) == 0 &&
                     (!in.ms || fl_msgpack_stream_objects(in.ms) == 0)
                 ? 2
                 : 0;
        if (rc == 0)
            fprintf(stderr, "faultline: warning: %s\n", why);
    }
    fl_decoder_destroy(in.dec);
    fl_msgpack_stream_destroy(in.ms);
    free(in.fallback_buf);
    fl_source_destroy(src);
    return rc;
}
