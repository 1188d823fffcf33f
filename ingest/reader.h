/*
 * reader.h - a reader thread in front of one fl_source: it reads and
 * decompresses on its own thread (the second core) and hands the lines to
 * the pipeline thread in batches, so read(2), zstd and the newline scan
 * overlap with decoding and detection.
 *
 * fl_reader_next gives exactly what fl_source_next would give on the same
 * source, in the same order (FL_LINE_OK / TOO_LONG lines, then EOF or
 * ERROR). Memory is fixed: `nbatch` buffers of `batch_bytes` each (at
 * least max_line + 64, so any line fits one batch), whatever the file size.
 *
 * Threads: after fl_reader_start the source belongs to the reader thread
 * until fl_reader_destroy; the caller may still call the source's
 * immutable getters (fl_source_name, fl_source_size, fl_source_max_line)
 * and, once fl_reader_next returned FL_LINE_ERROR, fl_source_error. The
 * reader itself is used by one thread.
 */
#ifndef FL_READER_H
#define FL_READER_H

#include "fl_ingest.h"

typedef struct fl_reader fl_reader;

typedef struct {
    fl_event ev;       /* when !bad; its strings live in the reader's batch */
    bool counts_line;  /* the first item of an input line */
    bool bad;          /* the line was rejected, for `why` */
    fl_bad_reason why;
} fl_reader_item;

/* Default batch size and count per ring (replay): 1 MiB, 3 batches; a
 * reader holds one ring of lines and one of events per decoder (two
 * batches each with more than one decoder): 6-8 MiB per input. */
#define FL_READER_BATCH_BYTES (1u << 20)
#define FL_READER_NBATCH 3

/* Starts the thread. batch_bytes 0 and nbatch 0 take the defaults. NULL
 * when no thread could be started (the caller reads the source itself). */
fl_reader *fl_reader_start(fl_source *src, size_t batch_bytes, unsigned nbatch);
/* Events mode: `ndec` decoder threads (1..4; 0 is lines mode) decode with
 * decs[0..ndec) (which belong to them until fl_reader_destroy), taking
 * turns batch by batch, and `fallback` as fl_decode_line's fallback
 * service (it must outlive the reader). Any number of decoders gives
 * the items one decoder would: their line-to-line state is handed on from
 * batch to batch (fl_dec_history). */
fl_reader *fl_reader_start_events(fl_source *src, fl_decoder **decs,
                                  unsigned ndec, fl_str fallback,
                                  size_t batch_bytes, unsigned nbatch);
/* Events mode: FL_LINE_OK and *item (valid until the next call), or
 * FL_LINE_EOF / FL_LINE_ERROR at the end (repeated if called again). */
fl_line_status fl_reader_next_item(fl_reader *r, const fl_reader_item **item);
/* Lines mode: the next line, as fl_source_next; the line stays valid (NUL-terminated
 * at line->p[line->n]) until the next call. */
fl_line_status fl_reader_next(fl_reader *r, fl_str *line);
/* Lines mode: lines handed out so far (as fl_source_line_no counts them).
 * Events mode: the source's line count as of the last batch finished
 * (exact once the end was returned). */
uint64_t fl_reader_line_no(const fl_reader *r);
/* Source bytes read as of the newest batch handed out (for progress). */
uint64_t fl_reader_bytes_read(const fl_reader *r);
/* Stops and joins the thread (early too); does not destroy the source. */
void fl_reader_destroy(fl_reader *r);

#endif
