/*
 * reader.c - the reader thread (see reader.h).
 *
 * A ring of `nbatch` batches. The reader thread fills the batch at `tail`
 * and publishes it whole; the pipeline thread walks the batch at `head`
 * and gives it back when done. One mutex and two condition variables,
 * taken once per batch (thousands of lines), never per line.
 *
 * Lines mode: each line is copied as an 8-byte header (length, status),
 * the bytes and a NUL. Events mode: the reader thread also decodes, and
 * each entry is an fl_reader_item (the event, or the bad line's reason)
 * followed by copies of the event's strings, which the item's fl_strs are
 * pointed at: an item owes nothing to the source's or the decoder's
 * buffers, so it stays valid however far the thread reads ahead. Entries
 * are 8-byte aligned; an entry larger than a whole batch (a huge
 * --max-line) grows that batch's buffer while the reader thread owns it.
 *
 * A batch is published when the next entry does not fit, or at the end of
 * the input: the pipeline thread sees lines in blocks of ~batch_bytes.
 * Replay reads to the end anyway, so latency is not a concern; the live
 * consumer does not use this.
 */
#define _POSIX_C_SOURCE 200809L
#include "reader.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

typedef struct {
    char *buf;
    size_t used, cap;
    uint64_t bytes, lines;   /* the source's counters when published */
    fl_line_status final;    /* EOF or ERROR after the entries; OK: none */
} batch;

typedef struct {
    uint32_t len, status;
} line_hdr;

typedef struct {
    size_t size; /* of the whole entry, strings included, aligned */
    fl_reader_item it;
} item_hdr;

#define ALIGN8(x) (((x) + 7) & ~(size_t)7)

struct fl_reader {
    fl_source *src;
    fl_reader *up;   /* events mode: the lines reader this one decodes */
    fl_decoder *dec; /* events mode */
    fl_str fallback;
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t not_empty, not_full;
    batch *ring;
    unsigned n, head, tail, count;
    bool stop;
    /* pipeline thread only */
    bool have;   /* ring[head] is being read */
    size_t pos;  /* read offset in ring[head] */
    bool ended;  /* EOF/ERROR delivered */
    fl_line_status end_status;
    uint64_t lines_out, bytes_seen, lines_seen;
};

/* ------------------------------------------------------- reader thread */

/* The batch at tail once the pipeline thread has given one back; NULL when
 * asked to stop. */
static batch *acquire(fl_reader *r)
{
    pthread_mutex_lock(&r->mu);
    while (r->count == r->n && !r->stop)
        pthread_cond_wait(&r->not_full, &r->mu);
    batch *b = r->stop ? NULL : &r->ring[r->tail];
    pthread_mutex_unlock(&r->mu);
    if (b) {
        b->used = 0;
        b->final = FL_LINE_OK;
    }
    return b;
}

static void publish(fl_reader *r, batch *b)
{
    /* a decoding stage is its lines reader's consumer: its counters */
    b->bytes = r->up ? fl_reader_bytes_read(r->up) : fl_source_bytes_read(r->src);
    b->lines = r->up ? fl_reader_line_no(r->up) : fl_source_line_no(r->src);
    pthread_mutex_lock(&r->mu);
    r->tail = (r->tail + 1) % r->n;
    r->count++;
    pthread_cond_signal(&r->not_empty);
    pthread_mutex_unlock(&r->mu);
}

/* Room for `need` bytes in the current batch, publishing it and taking the
 * next when full. NULL when asked to stop. */
static char *room(fl_reader *r, batch **bp, size_t need)
{
    batch *b = *bp;
    if (b->cap - b->used < need) {
        if (b->used > 0) {
            publish(r, b);
            b = *bp = acquire(r);
            if (!b)
                return NULL;
        }
        if (b->cap < need) { /* one entry larger than a batch: grow it */
            free(b->buf);
            b->buf = fl_malloc(need);
            b->cap = need;
        }
    }
    char *w = b->buf + b->used;
    b->used += need;
    return w;
}

static bool put_line(fl_reader *r, batch **bp, fl_line_status st, fl_str line)
{
    char *w = room(r, bp, ALIGN8(sizeof(line_hdr) + line.n + 1));
    if (!w)
        return false;
    line_hdr h = {(uint32_t)line.n, (uint32_t)st};
    memcpy(w, &h, sizeof h);
    if (line.n)
        memcpy(w + sizeof h, line.p, line.n);
    w[sizeof h + line.n] = '\0';
    return true;
}

/* Every string an fl_event carries. When fl_event gains one, list it here
 * (the assertion below is the reminder). */
#define EVENT_STRS(e)                                                         \
    {&(e)->service, &(e)->msg, &(e)->upstream, &(e)->version,                 \
     &(e)->change_id, &(e)->author, &(e)->metric}
#define NSTRS 7
_Static_assert(sizeof(fl_event) == 8 * 3 + sizeof(fl_str) * NSTRS +
                                       4 * sizeof(int) + 8,
               "fl_event changed: update EVENT_STRS in ingest/reader.c");

static bool put_item(fl_reader *r, batch **bp, const fl_reader_item *it)
{
    size_t need = sizeof(item_hdr);
    if (!it->bad) {
        const fl_event *e = &it->ev;
        const fl_str *ss[NSTRS] = EVENT_STRS(e);
        for (int i = 0; i < NSTRS; i++)
            if (ss[i]->n)
                need += ss[i]->n + 1;
    }
    need = ALIGN8(need);
    char *w = room(r, bp, need);
    if (!w)
        return false;
    item_hdr *h = (item_hdr *)(void *)w;
    h->size = need;
    h->it = *it;
    if (!it->bad) {
        char *s = w + sizeof *h;
        fl_event *e = &h->it.ev;
        fl_str *ss[NSTRS] = EVENT_STRS(e);
        for (int i = 0; i < NSTRS; i++) {
            if (ss[i]->n) {
                memcpy(s, ss[i]->p, ss[i]->n);
                s[ss[i]->n] = '\0';
                ss[i]->p = s;
                s += ss[i]->n + 1;
            } else if (ss[i]->p) {
                ss[i]->p = ""; /* empty but present: keep it present */
            }
        }
    }
    return true;
}

/* One source line in events mode, as replay's in-place reading treats it:
 * blank lines are skipped, a too-long line is a bad line, every other line
 * is decoded into its events or rejected. */
static bool decode_line(fl_reader *r, batch **bp, fl_line_status st,
                        fl_str line)
{
    fl_reader_item it;
    memset(&it, 0, sizeof it);
    it.counts_line = true;
    if (st == FL_LINE_TOO_LONG) {
        it.bad = true;
        it.why = FL_BAD_TOO_LONG;
        return put_item(r, bp, &it);
    }
    size_t i = 0;
    while (i < line.n && (line.p[i] == ' ' || line.p[i] == '\t'))
        i++;
    if (i == line.n)
        return true;
    if (!fl_decode_line(r->dec, line, r->fallback, &it.ev, &it.why)) {
        it.bad = true;
        return put_item(r, bp, &it);
    }
    if (!put_item(r, bp, &it))
        return false;
    it.counts_line = false;
    while (fl_decoder_more(r->dec, &it.ev))
        if (!put_item(r, bp, &it))
            return false;
    return true;
}

static void *reader_main(void *arg)
{
    fl_reader *r = arg;
#ifdef __linux__
    /* names for top -H and perf */
    prctl(PR_SET_NAME, r->dec ? "fl-decode" : "fl-reader", 0, 0, 0);
#endif
    batch *b = acquire(r);
    while (b) {
        fl_str line;
        fl_line_status st = r->up ? fl_reader_next(r->up, &line)
                                  : fl_source_next(r->src, &line);
        if (st == FL_LINE_EOF || st == FL_LINE_ERROR) {
            b->final = st;
            publish(r, b);
            break;
        }
        bool ok = r->dec ? decode_line(r, &b, st, line)
                         : put_line(r, &b, st, line);
        if (!ok)
            break; /* asked to stop */
    }
    return NULL;
}

/* ------------------------------------------------------ pipeline thread */

static fl_reader *start_stage(fl_source *src, fl_reader *up, fl_decoder *dec,
                              fl_str fallback, size_t batch_bytes,
                              unsigned nbatch)
{
    if (!batch_bytes)
        batch_bytes = FL_READER_BATCH_BYTES;
    if (!nbatch)
        nbatch = FL_READER_NBATCH;
    if (nbatch < 2)
        nbatch = 2;
    size_t min = fl_source_max_line(src) + sizeof(line_hdr) + 64;
    if (batch_bytes < min)
        batch_bytes = min;
    fl_reader *r = fl_calloc(1, sizeof *r);
    r->src = src;
    r->up = up;
    r->dec = dec;
    r->fallback = fallback;
    r->n = nbatch;
    r->ring = fl_calloc(nbatch, sizeof *r->ring);
    for (unsigned i = 0; i < nbatch; i++) {
        r->ring[i].buf = fl_malloc(batch_bytes);
        r->ring[i].cap = batch_bytes;
    }
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->not_empty, NULL);
    pthread_cond_init(&r->not_full, NULL);
    if (pthread_create(&r->th, NULL, reader_main, r) != 0) {
        r->up = NULL; /* the caller destroys it */
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

static fl_reader *start(fl_source *src, fl_decoder *dec, fl_str fallback,
                        size_t batch_bytes, unsigned nbatch)
{
    return start_stage(src, NULL, dec, fallback, batch_bytes, nbatch);
}

fl_reader *fl_reader_start(fl_source *src, size_t batch_bytes, unsigned nbatch)
{
    return start(src, NULL, FL_STR_NULL, batch_bytes, nbatch);
}

/* Two stages, each on its own thread: a lines reader (read, decompress,
 * split) and a decoder fed by it, so a .zst file's decompression and the
 * decoding overlap instead of adding up, and the pipeline thread keeps
 * only merging, detection and ranking. */
fl_reader *fl_reader_start_events(fl_source *src, fl_decoder *dec,
                                  fl_str fallback, size_t batch_bytes,
                                  unsigned nbatch)
{
    fl_reader *up = start(src, NULL, FL_STR_NULL, batch_bytes, nbatch);
    if (!up)
        return NULL;
    fl_reader *r = start_stage(src, up, dec, fallback, batch_bytes, nbatch);
    if (!r)
        fl_reader_destroy(up);
    return r;
}

/* The batch being read, or NULL at the end (r->end_status). */
static batch *current(fl_reader *r)
{
    for (;;) {
        if (r->ended)
            return NULL;
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
        if (r->pos < b->used)
            return b;
        /* this batch is done: give it back */
        fl_line_status fin = b->final;
        r->lines_seen = b->lines;
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

fl_line_status fl_reader_next(fl_reader *r, fl_str *line)
{
    batch *b = current(r);
    if (!b) {
        line->p = "";
        line->n = 0;
        return r->end_status;
    }
    line_hdr h;
    memcpy(&h, b->buf + r->pos, sizeof h);
    line->p = b->buf + r->pos + sizeof h;
    line->n = h.len;
    r->pos += ALIGN8(sizeof h + h.len + 1);
    r->lines_out++;
    return (fl_line_status)h.status;
}

fl_line_status fl_reader_next_item(fl_reader *r, const fl_reader_item **item)
{
    batch *b = current(r);
    if (!b) {
        *item = NULL;
        return r->end_status;
    }
    const item_hdr *h = (const item_hdr *)(const void *)(b->buf + r->pos);
    r->pos += h->size;
    *item = &h->it;
    return FL_LINE_OK;
}

uint64_t fl_reader_line_no(const fl_reader *r)
{
    return r->dec ? r->lines_seen : r->lines_out;
}

uint64_t fl_reader_bytes_read(const fl_reader *r) { return r->bytes_seen; }

void fl_reader_destroy(fl_reader *r)
{
    if (!r)
        return;
    pthread_mutex_lock(&r->mu);
    r->stop = true;
    pthread_cond_broadcast(&r->not_full);
    pthread_mutex_unlock(&r->mu);
    /* a decoding stage waiting for lines gets them: its lines reader still
     * runs until this one has stopped */
    pthread_join(r->th, NULL);
    fl_reader_destroy(r->up);
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->not_empty);
    pthread_cond_destroy(&r->not_full);
    for (unsigned i = 0; i < r->n; i++)
        free(r->ring[i].buf);
    free(r->ring);
    free(r);
}
