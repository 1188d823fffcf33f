/*
 * reader.c - reader threads (see reader.h).
 *
 * Threads talk through rings of batches. A ring has one producer thread
 * and one consumer thread: the producer fills the batch at `tail` and
 * publishes it whole, the consumer walks the batch at `head` and gives it
 * back when done. One mutex and two condition variables per ring, taken
 * once per batch (thousands of lines), never per line.
 *
 * Lines mode: one thread (read, decompress, split) writes each line as an
 * 8-byte header (length, status), the bytes and a NUL.
 *
 * Events mode: the lines thread deals its batches out in turn to
 * `ndec` decoder threads (batch s to decoder s % ndec, one ring each); each
 * decoder writes fl_reader_items, each followed by copies of the event's
 * strings (the item's fl_strs point at them, so an item owes nothing to
 * the source's or the decoder's buffers), and ends the output of every
 * input batch with a batch marked `eob`. The pipeline thread takes the
 * decoders' outputs in the same turn, so items come out in input order
 * whatever the number of decoders. Each decoder has its own fl_decoder.
 * The one thing a decoder carries from line to line, the pattern formats'
 * last event time (an RFC 3164 time's year follows it), is handed on from
 * batch to batch in order (fl_dec_history): a decoder that meets such a
 * time before its own batch has set that state waits for the previous
 * batch's, and each decoder publishes its batch's end state once it has
 * the previous one. Decoding itself never waits unless a batch starts with
 * such a line; so the items are those of one decoder reading in order.
 *
 * Entries are 8-byte aligned; an entry larger than a whole batch (a huge
 * --max-line) grows that batch's buffer while its producer owns it. A
 * batch is published when the next entry does not fit, at the end of an
 * input batch (decoders) or at the end of the input. Replay reads to the
 * end anyway, so latency is not a concern; the live consumer does not use
 * this.
 */
#define _POSIX_C_SOURCE 200809L
#include "reader.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#define MAX_DEC 4

typedef struct {
    char *buf;
    size_t used, cap;
    uint64_t bytes, lines;   /* the source's counters when published */
    fl_line_status final;    /* EOF or ERROR after the entries; OK: none */
    bool eob;                /* decoders: the last of an input batch's output */
} batch;

typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t not_empty, not_full;
    batch *b;
    unsigned n, head, tail, count;
    bool stop;
    /* consumer side */
    bool have;  /* b[head] is being read */
    size_t pos; /* read offset in b[head] */
} ring;

typedef struct {
    uint32_t len, status;
} line_hdr;

typedef struct {
    size_t size; /* of the whole entry, strings included, aligned */
    fl_reader_item it;
} item_hdr;

#define ALIGN8(x) (((x) + 7) & ~(size_t)7)

struct fl_reader;

/* One thread: the lines thread (src -> out[0..nout)) or a decoder
 * (in -> out[0]). */
typedef struct {
    struct fl_reader *r;
    int64_t seq;      /* decoder: the input batch it decodes */
    unsigned step;    /* decoder: batches between its turns (ndec) */
    fl_source *src;   /* lines thread */
    ring *in;         /* decoder: its share of the lines thread's batches */
    fl_decoder *dec;  /* decoder */
    fl_str fallback;
    ring out[MAX_DEC];
    unsigned nout, cur; /* the ring the next batch goes to */
    pthread_t th;
    bool started;
} stage;

struct fl_reader {
    stage lines;
    stage decs[MAX_DEC];
    unsigned ndec;       /* 0: lines mode */
    /* with several decoders: the decoders' line-to-line state after input
     * batch `hseq`, handed on in batch order (see decode_main) */
    pthread_mutex_t hmu;
    pthread_cond_t hcv;
    int64_t hseq;
    fl_dec_history hist;
    bool hstop;
    /* pipeline thread only */
    unsigned cur;        /* events mode: the decoder whose turn it is */
    bool ended;
    fl_line_status end_status;
    uint64_t lines_out, bytes_seen, lines_seen;
};

/* ---------------------------------------------------------------- rings */

static void ring_init(ring *g, unsigned n, size_t cap)
{
    memset(g, 0, sizeof *g);
    pthread_mutex_init(&g->mu, NULL);
    pthread_cond_init(&g->not_empty, NULL);
    pthread_cond_init(&g->not_full, NULL);
    g->n = n;
    g->b = fl_calloc(n, sizeof *g->b);
    for (unsigned i = 0; i < n; i++) {
        g->b[i].buf = fl_malloc(cap);
        g->b[i].cap = cap;
    }
}

static void ring_free(ring *g)
{
    if (!g->b)
        return;
    pthread_mutex_destroy(&g->mu);
    pthread_cond_destroy(&g->not_empty);
    pthread_cond_destroy(&g->not_full);
    for (unsigned i = 0; i < g->n; i++)
        free(g->b[i].buf);
    free(g->b);
    g->b = NULL;
}

static void ring_stop(ring *g)
{
    pthread_mutex_lock(&g->mu);
    g->stop = true;
    pthread_cond_broadcast(&g->not_full);
    pthread_cond_broadcast(&g->not_empty);
    pthread_mutex_unlock(&g->mu);
}

/* Producer: the batch at tail once the consumer has given one back; NULL
 * when asked to stop. */
static batch *ring_acquire(ring *g)
{
    pthread_mutex_lock(&g->mu);
    while (g->count == g->n && !g->stop)
        pthread_cond_wait(&g->not_full, &g->mu);
    batch *b = g->stop ? NULL : &g->b[g->tail];
    pthread_mutex_unlock(&g->mu);
    if (b) {
        b->used = 0;
        b->final = FL_LINE_OK;
        b->eob = false;
    }
    return b;
}

static void ring_publish(ring *g)
{
    pthread_mutex_lock(&g->mu);
    g->tail = (g->tail + 1) % g->n;
    g->count++;
    pthread_cond_signal(&g->not_empty);
    pthread_mutex_unlock(&g->mu);
}

/* Consumer: the batch being read (waiting for one), or NULL when asked to
 * stop. */
static batch *ring_current(ring *g)
{
    if (!g->have) {
        pthread_mutex_lock(&g->mu);
        while (g->count == 0 && !g->stop)
            pthread_cond_wait(&g->not_empty, &g->mu);
        bool stop = g->count == 0;
        pthread_mutex_unlock(&g->mu);
        if (stop)
            return NULL;
        g->have = true;
        g->pos = 0;
    }
    return &g->b[g->head];
}

/* Consumer: gives the current batch back. */
static void ring_release(ring *g)
{
    pthread_mutex_lock(&g->mu);
    g->head = (g->head + 1) % g->n;
    g->count--;
    g->have = false;
    pthread_cond_signal(&g->not_full);
    pthread_mutex_unlock(&g->mu);
}

/* --------------------------------------------------------- producers */

typedef struct {
    stage *st;
    batch *b; /* being filled, in st->out[st->cur] */
    uint64_t bytes, lines; /* counters to stamp on published batches */
} writer;

static bool writer_open(writer *w)
{
    w->b = ring_acquire(&w->st->out[w->st->cur]);
    return w->b != NULL;
}

/* Publishes the batch being filled and moves to the next ring in turn. */
static void writer_publish(writer *w)
{
    w->b->bytes = w->bytes;
    w->b->lines = w->lines;
    ring_publish(&w->st->out[w->st->cur]);
    w->st->cur = (w->st->cur + 1) % w->st->nout;
    w->b = NULL;
}

/* Room for `need` bytes, publishing the batch when full. NULL when asked
 * to stop. */
static char *room(writer *w, size_t need)
{
    if (!w->b && !writer_open(w))
        return NULL;
    batch *b = w->b;
    if (b->cap - b->used < need) {
        if (b->used > 0) {
            writer_publish(w);
            if (!writer_open(w))
                return NULL;
            b = w->b;
        }
        if (b->cap < need) { /* one entry larger than a batch: grow it */
            free(b->buf);
            b->buf = fl_malloc(need);
            b->cap = need;
        }
    }
    char *p = b->buf + b->used;
    b->used += need;
    return p;
}

static bool put_line(writer *w, fl_line_status st, fl_str line)
{
    char *p = room(w, ALIGN8(sizeof(line_hdr) + line.n + 1));
    if (!p)
        return false;
    line_hdr h = {(uint32_t)line.n, (uint32_t)st};
    memcpy(p, &h, sizeof h);
    if (line.n)
        memcpy(p + sizeof h, line.p, line.n);
    p[sizeof h + line.n] = '\0';
    return true;
}

/* Every string an fl_event carries. When fl_event gains one, list it here
 * (the assertion below is the reminder). */
#define EVENT_STRS(e)                                                         \
    {&(e)->service, &(e)->msg, &(e)->upstream, &(e)->version,                 \
     &(e)->trace_id, &(e)->change_id, &(e)->author, &(e)->metric,         \
     &(e)->path}
#define NSTRS 9
_Static_assert(sizeof(fl_event) == 8 * 3 + sizeof(fl_str) * NSTRS +
                                       4 * sizeof(int) + 8,
               "fl_event changed: update EVENT_STRS in ingest/reader.c");

static bool put_item(writer *w, const fl_reader_item *it)
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
    char *p = room(w, need);
    if (!p)
        return false;
    item_hdr *h = (item_hdr *)(void *)p;
    h->size = need;
    h->it = *it;
    if (!it->bad) {
        char *s = p + sizeof *h;
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
static bool decode_line(stage *st, writer *w, fl_line_status ls, fl_str line)
{
    fl_reader_item it;
    memset(&it, 0, sizeof it);
    it.counts_line = true;
    if (ls == FL_LINE_TOO_LONG) {
        it.bad = true;
        it.why = FL_BAD_TOO_LONG;
        return put_item(w, &it);
    }
    size_t i = 0;
    while (i < line.n && (line.p[i] == ' ' || line.p[i] == '\t'))
        i++;
    if (i == line.n)
        return true;
    bool ok = fl_decode_line(st->dec, line, st->fallback, &it.ev, &it.why);
    /* bad parts of a batch (an OTLP record) are bad lines of their own,
     * counted once each, whether or not the rest of the line decoded */
    fl_reader_item part;
    memset(&part, 0, sizeof part);
    part.bad = true;
    while (fl_decoder_rejected(st->dec, &part.why))
        if (!put_item(w, &part))
            return false;
    if (!ok) {
        it.bad = true;
        return put_item(w, &it);
    }
    if (!put_item(w, &it))
        return false;
    it.counts_line = false;
    while (fl_decoder_more(st->dec, &it.ev))
        if (!put_item(w, &it))
            return false;
    return true;
}

static void *lines_main(void *arg)
{
    stage *st = arg;
#ifdef __linux__
    prctl(PR_SET_NAME, "fl-reader", 0, 0, 0); /* for top -H and perf */
#endif
    writer w = {st, NULL, 0, 0};
    for (;;) {
        fl_str line;
        fl_line_status ls = fl_source_next(st->src, &line);
        w.bytes = fl_source_bytes_read(st->src);
        w.lines = fl_source_line_no(st->src);
        if (ls == FL_LINE_EOF || ls == FL_LINE_ERROR) {
            if (!w.b && !writer_open(&w))
                return NULL;
            w.b->final = ls;
            writer_publish(&w);
            /* the other decoders' turns: an empty end, so they finish */
            for (unsigned k = 1; k < st->nout; k++) {
                if (!writer_open(&w))
                    return NULL;
                w.b->final = FL_LINE_EOF;
                writer_publish(&w);
            }
            return NULL;
        }
        if (!put_line(&w, ls, line))
            return NULL; /* asked to stop */
    }
}

/* The history after input batch seq - 1, once its decoder has handed it
 * on; false when the reader is stopping. */
static bool history_before(fl_reader *r, int64_t seq, fl_dec_history *out)
{
    pthread_mutex_lock(&r->hmu);
    while (r->hseq < seq - 1 && !r->hstop)
        pthread_cond_wait(&r->hcv, &r->hmu);
    bool ok = r->hseq == seq - 1;
    if (ok)
        *out = r->hist;
    pthread_mutex_unlock(&r->hmu);
    return ok;
}

/* The decoder hook: a state this batch has not set is about to be used */
static void history_need(void *ud, fl_decoder *dec)
{
    stage *st = ud;
    fl_dec_history h;
    if (history_before(st->r, st->seq, &h))
        fl_decoder_history_apply(dec, &h);
}

/* Hands on the history after this decoder's batch: what the batch set,
 * the rest as it came in (which waits for the previous batch's decoder). */
static void history_hand_on(stage *st)
{
    fl_dec_history in, out;
    if (!history_before(st->r, st->seq, &in))
        return;
    fl_decoder_history_out(st->dec, &in, &out);
    fl_reader *r = st->r;
    pthread_mutex_lock(&r->hmu);
    r->hist = out;
    r->hseq = st->seq;
    pthread_cond_broadcast(&r->hcv);
    pthread_mutex_unlock(&r->hmu);
}

static void *decode_main(void *arg)
{
    stage *st = arg;
#ifdef __linux__
    prctl(PR_SET_NAME, "fl-decode", 0, 0, 0);
#endif
    writer w = {st, NULL, 0, 0};
    bool turns = st->step > 1;
    if (turns)
        fl_decoder_history_hook(st->dec, history_need, st);
    for (;;) {
        batch *in = ring_current(st->in);
        if (!in)
            return NULL;
        if (turns)
            fl_decoder_history_begin(st->dec);
        w.bytes = in->bytes;
        w.lines = in->lines;
        while (st->in->pos < in->used) {
            line_hdr h;
            memcpy(&h, in->buf + st->in->pos, sizeof h);
            fl_str line = {in->buf + st->in->pos + sizeof h, h.len};
            st->in->pos += ALIGN8(sizeof h + h.len + 1);
            if (!decode_line(st, &w, (fl_line_status)h.status, line))
                return NULL;
        }
        fl_line_status fin = in->final;
        ring_release(st->in);
        if (turns)
            history_hand_on(st);
        st->seq += st->step;
        /* the end of this input batch's output (maybe empty) */
        if (!w.b && !writer_open(&w))
            return NULL;
        w.b->eob = true;
        w.b->final = fin;
        writer_publish(&w);
        if (fin != FL_LINE_OK)
            return NULL;
    }
}

/* ------------------------------------------------------ pipeline thread */

static size_t batch_size(fl_source *src, size_t batch_bytes)
{
    if (!batch_bytes)
        batch_bytes = FL_READER_BATCH_BYTES;
    size_t min = fl_source_max_line(src) + sizeof(line_hdr) + 64;
    return batch_bytes < min ? min : batch_bytes;
}

fl_reader *fl_reader_start_events(fl_source *src, fl_decoder **decs,
                                  unsigned ndec, fl_str fallback,
                                  size_t batch_bytes, unsigned nbatch)
{
    if (ndec > MAX_DEC)
        ndec = MAX_DEC;
    if (!nbatch)
        nbatch = FL_READER_NBATCH;
    if (nbatch < 2)
        nbatch = 2;
    size_t cap = batch_size(src, batch_bytes);
    fl_reader *r = fl_calloc(1, sizeof *r);
    r->ndec = ndec;
    r->lines.src = src;
    r->lines.nout = ndec ? ndec : 1;
    /* with several decoders each gets a share of the lines batches */
    unsigned nlb = ndec > 1 ? 2 : nbatch;
    for (unsigned k = 0; k < r->lines.nout; k++)
        ring_init(&r->lines.out[k], nlb, cap);
    pthread_mutex_init(&r->hmu, NULL);
    pthread_cond_init(&r->hcv, NULL);
    r->hseq = -1; /* before batch 0: a new decoder's history */
    fl_dec_history_init(&r->hist);
    for (unsigned k = 0; k < ndec; k++) {
        stage *d = &r->decs[k];
        d->r = r;
        d->seq = k;
        d->step = ndec;
        d->in = &r->lines.out[k];
        d->dec = decs[k];
        d->fallback = fallback;
        d->nout = 1;
        ring_init(&d->out[0], nlb, cap);
    }
    /* the decoders first: if a thread cannot be started, nothing has been
     * read yet and the caller can still read the source in place */
    bool ok = true;
    for (unsigned k = 0; ok && k < ndec; k++)
        ok = r->decs[k].started =
            pthread_create(&r->decs[k].th, NULL, decode_main, &r->decs[k]) == 0;
    if (ok)
        ok = r->lines.started =
            pthread_create(&r->lines.th, NULL, lines_main, &r->lines) == 0;
    if (!ok) {
        fl_reader_destroy(r);
        return NULL;
    }
    return r;
}

fl_reader *fl_reader_start(fl_source *src, size_t batch_bytes, unsigned nbatch)
{
    return fl_reader_start_events(src, NULL, 0, FL_STR_NULL, batch_bytes,
                                  nbatch);
}

/* The ring the pipeline thread reads now. */
static ring *head_ring(fl_reader *r)
{
    return r->ndec ? &r->decs[r->cur].out[0] : &r->lines.out[0];
}

/* The batch being read with an unread entry, or NULL at the end. */
static batch *current(fl_reader *r)
{
    for (;;) {
        if (r->ended)
            return NULL;
        ring *g = head_ring(r);
        bool fresh = !g->have;
        batch *b = ring_current(g);
        if (!b) { /* only after destroy began; not reached in use */
            r->ended = true;
            r->end_status = FL_LINE_ERROR;
            return NULL;
        }
        if (fresh)
            r->bytes_seen = b->bytes;
        if (g->pos < b->used)
            return b;
        /* this batch is done: give it back */
        fl_line_status fin = b->final;
        bool eob = b->eob;
        r->lines_seen = b->lines;
        ring_release(g);
        if (fin != FL_LINE_OK) {
            r->ended = true;
            r->end_status = fin;
        } else if (eob) {
            r->cur = (r->cur + 1) % r->ndec; /* the next decoder's turn */
        }
    }
}

fl_line_status fl_reader_next(fl_reader *r, fl_str *line)
{
    batch *b = r->ndec ? NULL : current(r);
    if (!b) {
        line->p = "";
        line->n = 0;
        return r->ndec ? FL_LINE_ERROR : r->end_status;
    }
    ring *g = &r->lines.out[0];
    line_hdr h;
    memcpy(&h, b->buf + g->pos, sizeof h);
    line->p = b->buf + g->pos + sizeof h;
    line->n = h.len;
    g->pos += ALIGN8(sizeof h + h.len + 1);
    r->lines_out++;
    return (fl_line_status)h.status;
}

fl_line_status fl_reader_next_item(fl_reader *r, const fl_reader_item **item)
{
    batch *b = r->ndec ? current(r) : NULL;
    if (!b) {
        *item = NULL;
        return r->ndec ? r->end_status : FL_LINE_ERROR;
    }
    ring *g = head_ring(r);
    const item_hdr *h = (const item_hdr *)(const void *)(b->buf + g->pos);
    g->pos += h->size;
    *item = &h->it;
    return FL_LINE_OK;
}

uint64_t fl_reader_line_no(const fl_reader *r)
{
    return r->ndec ? r->lines_seen : r->lines_out;
}

uint64_t fl_reader_bytes_read(const fl_reader *r) { return r->bytes_seen; }

void fl_reader_destroy(fl_reader *r)
{
    if (!r)
        return;
    /* every ring stops, so no thread waits for a batch that never comes */
    for (unsigned k = 0; k < r->lines.nout; k++)
        ring_stop(&r->lines.out[k]);
    for (unsigned k = 0; k < r->ndec; k++)
        ring_stop(&r->decs[k].out[0]);
    pthread_mutex_lock(&r->hmu);
    r->hstop = true;
    pthread_cond_broadcast(&r->hcv);
    pthread_mutex_unlock(&r->hmu);
    if (r->lines.started)
        pthread_join(r->lines.th, NULL);
    for (unsigned k = 0; k < r->ndec; k++)
        if (r->decs[k].started)
            pthread_join(r->decs[k].th, NULL);
    for (unsigned k = 0; k < r->lines.nout; k++)
        ring_free(&r->lines.out[k]);
    for (unsigned k = 0; k < r->ndec; k++) {
        ring_free(&r->decs[k].out[0]);
        fl_decoder_history_hook(r->decs[k].dec, NULL, NULL);
    }
    pthread_mutex_destroy(&r->hmu);
    pthread_cond_destroy(&r->hcv);
    free(r);
}
