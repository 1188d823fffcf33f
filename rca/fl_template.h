/*
 * fl_template.h - a streaming log-template miner (Drain: He et al., ICWS
 * 2017), one prefix tree per service, in bounded memory.
 *
 * A message is first masked (one PCRE2 pattern, JIT-compiled: UUIDs,
 * timestamps, IPv4/IPv6, 0x-hex and long hex ids, numbers with an optional
 * duration/size unit, quoted strings), then split on whitespace. The tree
 * is keyed by (service, token count, the first prefix_tokens tokens; a
 * token holding a digit or a mask is the wildcard) and each leaf holds
 * templates; a message joins the leaf's template most similar to it (share
 * of positions whose template token is literal and equal, positions masked
 * on both sides left out) when that share is at least `sim`, and the
 * positions that differ become `<*>`; otherwise it starts a template of
 * its own.
 *
 * One prefix token, not Drain's usual two: the second token is often a
 * variable word ("user alice ...", "upstream cart returned ..."), which
 * two would split into a template per value; the similarity threshold
 * still keeps unlike messages apart. On tests/samples/templates grouping
 * accuracy is 0.937 with one, 0.910 with two.
 *
 * Ids: a 64-bit hash of the service name and the template text, printed as
 * 16 hex digits. The same template of the same service has the same id in
 * every run and every file; an id changes when its template generalises
 * (a token becomes <*>), which is why `faultline templates --assign`
 * assigns lines after the whole input has been mined (cli/templates.c).
 *
 * Bounds: at most max_msg bytes of a message and max_tokens tokens are
 * considered (the rest is one trailing <*>, counted as truncated); at most
 * max_per_service templates per service and max_total in all: a new
 * template past a cap evicts the least recently matched one of its service
 * (or of all services, for the total cap), counted in `evicted`; at most
 * max_services services (a message of a further service is counted in
 * `rejected` and not mined). Memory is therefore bounded by about
 * max_total * (max_msg + 8 * max_tokens) bytes.
 *
 * Not thread-safe: one miner per thread.
 */
#ifndef FL_TEMPLATE_H
#define FL_TEMPLATE_H

#include "../common/fl_common.h"

typedef struct {
    uint32_t max_per_service; /* templates per service [1000] */
    uint32_t max_total;       /* templates in all [10000] */
    uint32_t max_services;    /* services [4096] */
    uint32_t max_tokens;      /* tokens considered [64] */
    uint32_t max_msg;         /* message bytes considered [2048] */
    double sim;               /* similarity threshold in (0, 1] [0.4] */
    uint32_t prefix_tokens;   /* leading tokens in the tree's key, 0..2 [1] */
} fl_tpl_conf;

typedef struct {
    uint64_t messages;  /* offered to fl_tpl_add */
    uint64_t truncated; /* longer than max_msg or max_tokens */
    uint64_t evicted;   /* templates dropped to stay under a cap */
    uint64_t rejected;  /* messages of services past max_services */
    uint64_t empty;     /* messages with no token */
} fl_tpl_stats;

typedef struct fl_tpl_miner fl_tpl_miner;

void fl_tpl_conf_default(fl_tpl_conf *c);
/* NULL conf: the defaults. */
fl_tpl_miner *fl_tpl_new(const fl_tpl_conf *conf);
void fl_tpl_destroy(fl_tpl_miner *m);

/* Mines one message: returns the handle of the template it joined or
 * started (valid until that template is evicted), or -1 when the message
 * was not mined (no token, or a service past the cap). */
int32_t fl_tpl_add(fl_tpl_miner *m, fl_str service, fl_str msg);
/* Finds the template a message belongs to without learning: a template of
 * its leaf that covers it exactly (every literal token equal), the most
 * specific one first; else the one fl_tpl_add would have joined; -1 when
 * none (an unseen or evicted shape). */
int32_t fl_tpl_match(fl_tpl_miner *m, fl_str service, fl_str msg);

/* The masked, whitespace-normalised message as fl_tpl_add sees it, with
 * masked parts as <*>: the template a message would start on its own. */
void fl_tpl_masked(fl_tpl_miner *m, fl_str msg, fl_buf *out);
/* id of a template text of a service (the hash described above) */
uint64_t fl_tpl_text_id(fl_str service, fl_str text);

/* Templates: handles run from 0 to fl_tpl_capacity - 1; fl_tpl_live says
 * which are in use. */
uint32_t fl_tpl_capacity(const fl_tpl_miner *m);
bool fl_tpl_live(const fl_tpl_miner *m, int32_t h);
uint64_t fl_tpl_id(const fl_tpl_miner *m, int32_t h);
uint64_t fl_tpl_count(const fl_tpl_miner *m, int32_t h);
const char *fl_tpl_service(const fl_tpl_miner *m, int32_t h);
/* Appends the template text (tokens joined by one space, <*> for
 * variable parts) to out. */
void fl_tpl_text(const fl_tpl_miner *m, int32_t h, fl_buf *out);
uint32_t fl_tpl_live_count(const fl_tpl_miner *m);
const fl_tpl_stats *fl_tpl_get_stats(const fl_tpl_miner *m);

#endif
