/* ingest_int.h - declarations private to ingest/. */
#ifndef FL_INGEST_INT_H
#define FL_INGEST_INT_H
#include "fl_ingest.h"

#define FL_JSON_FIELDS 13   /* json.c's field enum */
#define FL_JSON_PATH_MAX 128

typedef enum { V_NONE, V_STR, V_NUM, V_OTHER } vtype;

typedef struct {
    vtype t;
    fl_str s;   /* V_STR: unescaped text; V_NUM: the number's text */
    double num; /* V_NUM */
} value;

/* One decoder: the format chosen, scratch space for the current line, the
 * events a line yields beyond its first, and each format's own state
 * (compiled patterns and the like), created on first use. */
struct fl_decoder {
    fl_format fmt;
    char *scratch; /* unescaped strings of the current line */
    size_t scratch_cap, scratch_n;
    value v[FL_JSON_FIELDS];
    char path[FL_JSON_PATH_MAX + 1];
    fl_event *extra;   /* further events of the current line */
    uint32_t nextra, extra_cap, extra_pos;
    void *state[FL_FORMAT__COUNT];
};

fl_format fl_decoder_format(const fl_decoder *dec);
/* A decoder for a format yielding several events per line (an Influx line
 * with several fields, an OTLP batch) returns the first and queues the
 * rest here; callers drain them with fl_decoder_more. */
void fl_decoder_push(fl_decoder *dec, const fl_event *ev);
/* Makes sure the scratch buffer holds at least n bytes (per line). */
void fl_decoder_scratch(fl_decoder *dec, size_t n);

/* The JSON decoder (json.c) and the raw one (decode.c). */
bool fl_json_decode_line(fl_decoder *dec, fl_str line, fl_str fallback,
                         fl_event *ev, fl_bad_reason *why);
bool fl_json_sniff(fl_str line);

#endif
