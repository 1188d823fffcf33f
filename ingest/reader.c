/*
 * reader.c - the reader thread (see reader.h).
 *
 * A ring of `nbatch` batches. The reader thread fills the batch at `tail`
 * with lines from fl_source_next, each copied as an 8-byte header (length,
 * status) followed by the bytes and a NUL, and publishes it whole; the
 * pipeline thread walks the batch at `head` and gives it back when done.
 * One mutex and two condition variables, taken once per batch (thousands
 * of lines), never per line. Copying a line costs about what the newline
 * scan does, and both happen on the reader's core.
 *
 * A batch ends early only at the end of the input: a batch is published
 * when the next line would not fit, so the pipeline thread sees lines in
 * blocks of ~batch_bytes. Replay reads to the end anyway, so latency is not
 * a concern here; the live consumer does not use this.
 */
#define _POSIX_C_SOURCE 200809L
#include "reader.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *buf;
    size_t used;
    uint64_t bytes;          /* source bytes read when published */
    fl_line_status final;    /* EOF or ERROR after the lines; OK: none */
} batch;

typedef struct {
    uint32_t len, status;
} entry_hdr;

struct fl_reader {
    fl_source *src;
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t not_empty, not_full;
    batch *ring;
    unsigned n, head, tail, count;
    size_t cap;
    bool stop;
    /* pipeline thread only */
    bool have;   /* ring[head] is being read */
    size_t pos;  /* read offset in ring[head] */
    bool ended;  /* EOF/ERROR delivered */
    fl_line_status end_status;
    uint64_t lines_out, bytes_seen;
};

/* Appends one line; false when it does not fit. */
static bool put(batch *b, size_t cap, fl_line_status st, fl_str line)
{
    size_t need = sizeof(entry_hdr) + line.n + 1;
    if (cap - b->used < need)
        return false;
    entry_hdr h = {(uint32_t)line.n, (uint32_t)st};
    memcpy(b->buf + b->used, &h, sizeof h);
    if (line.n)
        memcpy(b->buf + b->used + sizeof h, line.p, line.n);
    b->buf[b->used + sizeof h + line.n] = '\0';
    b->used += need;
    return true;
}

static void *reader_main(void *arg)
{
    fl_reader *r = arg;
    bool pending = false; /* a line read but not yet stored */
    fl_line_status pst = FL_LINE_OK;
    fl_str pline = {NULL, 0};
    for (;;) {
        pthread_mutex_lock(&r->mu);
        while (r->count == r->n && !r->stop)
            pthread_cond_wait(&r->not_full, &r->mu);
        bool stop = r->stop;
        batch *b = &r->ring[r->tail];
        pthread_mutex_unlock(&r->mu);
        if (stop)
            return NULL;
        b->used = 0;
        b->final = FL_LINE_OK;
        if (pending) { /* always fits an empty batch: cap > max_line + 64 */
            put(b, r->cap, pst, pline);
            pending = false;
        }
        for (;;) {
            fl_str line;
            fl_line_status st = fl_source_next(r->src, &line);
            if (st == FL_LINE_EOF || st == FL_LINE_ERROR) {
                b->final = st;
                break;
            }
            if (!put(b, r->cap, st, line)) {
                /* the line stays valid until the next fl_source_next */
                pending = true;
                pst = st;
                pline = line;
                break;
            }
        }
        b->bytes = fl_source_bytes_read(r->src);
        pthread_mutex_lock(&r->mu);
        r->tail = (r->tail + 1) % r->n;
        r->count++;
        pthread_cond_signal(&r->not_empty);
        pthread_mutex_unlock(&r->mu);
        if (b->final != FL_LINE_OK)
            return NULL;
    }
}

fl_reader *fl_reader_start(fl_source *src, size_t batch_bytes, unsigned nbatch)
{
    if (!batch_bytes)
        batch_bytes = FL_READER_BATCH_BYTES;
    if (!nbatch)
        nbatch = FL_READER_NBATCH;
    if (nbatch < 2)
        nbatch = 2;
    size_t min = fl_source_max_line(src) + sizeof(entry_hdr) + 64;
    if (batch_bytes < min)
        batch_bytes = min;
    fl_reader *r = fl_calloc(1, sizeof *r);
    r->src = src;
    r->n = nbatch;
    r->cap = batch_bytes;
    r->ring = fl_calloc(nbatch, sizeof *r->ring);
    for (unsigned i = 0; i < nbatch; i++)
        r->ring[i].buf = fl_malloc(batch_bytes);
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->not_empty, NULL);
    pthread_cond_init(&r->not_full, NULL);
    if (pthread_create(&r->th, NULL, reader_main, r) != 0) {
        pthread_mutex_destroy(&r->mu);
        pthread_cond_destroy(&r->not_empty);
        pthread_cond_destroy(&r->not_full);
        for (unsigned i = 0; i < nbatch; i++)
            free(r->ring[i].buf);
        free(r->ring);
        free(r);
        return NULL;
    }
    return r;
}

fl_line_status fl_reader_next(fl_reader *r, fl_str *line)
{
    for (;;) {
        if (r->ended) {
            line->p = "";
            line->n = 0;
            return r->end_status;
        }
        if (!r->have) {
            pthread_mutex_lock(&r->mu);
            while (r->count == 0)
                pthread_cond_wait(&r->not_empty, &r->mu);
            pthread_mutex_unlock(&r->mu);
            r->have = true;
            r->pos = 0;
            r->bytes_seen = r->ring[r->head].bytes;
        }
        batch *b = &r->ring[r->head];
        if (r->pos < b->used) {
            entry_hdr h;
            memcpy(&h, b->buf + r->pos, sizeof h);
            line->p = b->buf + r->pos + sizeof h;
            line->n = h.len;
            r->pos += sizeof h + h.len + 1;
            r->lines_out++;
            return (fl_line_status)h.status;
        }
        /* this batch is done: give it back */
        fl_line_status fin = b->final;
        pthread_mutex_lock(&r->mu);
        r->head = (r->head + 1) % r->n;
        r->count--;
        r->have = false;
        pthread_cond_signal(&r->not_full);
        pthread_mutex_unlock(&r->mu);
        if (fin != FL_LINE_OK) {
            r->ended = true;
            r->end_status = fin;
        }
    }
}

uint64_t fl_reader_line_no(const fl_reader *r) { return r->lines_out; }
uint64_t fl_reader_bytes_read(const fl_reader *r) { return r->bytes_seen; }

void fl_reader_destroy(fl_reader *r)
{
    if (!r)
        return;
    pthread_mutex_lock(&r->mu);
    r->stop = true;
    pthread_cond_broadcast(&r->not_full);
    pthread_mutex_unlock(&r->mu);
    pthread_join(r->th, NULL);
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->not_empty);
    pthread_cond_destroy(&r->not_full);
    for (unsigned i = 0; i < r->n; i++)
        free(r->ring[i].buf);
    free(r->ring);
    free(r);
}
