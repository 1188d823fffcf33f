/*
 * fl_tplev.h - log templates as incident evidence: per service, the error
 * lines' templates with the time each was first seen and its counts per
 * minute, so RCA can say which templates are new since a change or surged
 * at an anomaly's onset.
 *
 * What is tracked (and why it is not the Drain miner's clusters): the key
 * is the masked message (fl_template.h's masks: numbers, ids, hex, IPs,
 * durations, quoted strings as <*>, whitespace normalised), which depends
 * on the message alone. Drain's grouping depends on the order messages
 * arrive in, and replay (merged by event time) and consume (partitions
 * interleaved as they come) see different orders: a key that depends on
 * order would make consume and replay disagree. The masked message is what
 * Drain starts from, so for error messages (whose variable parts are
 * mostly numbers, addresses and ids) the two are usually the same text.
 *
 * Only error lines (5xx, or level error and worse) are masked and counted:
 * they are what an incident's templates are made of, they are few in
 * normal operation, and the hot path of the other lines pays one array
 * lookup (the service's first event time, so "new" means "not seen in the
 * service's history", never "the input just started").
 *
 * Bounds: at most FL_TPLEV_PER_SERVICE templates per service and
 * FL_TPLEV_TOTAL in all; a new template past a cap replaces its service's
 * stalest (oldest last minute, then fewest lines, then hash); when the
 * service has none to give, it is counted in `rejected`. Counts per minute
 * are kept for FL_TPLEV_RING minutes. Caps make the state depend on what
 * was seen first, so under overflow consume and replay may differ.
 */
#ifndef FL_TPLEV_H
#define FL_TPLEV_H

#include "fl_rca.h"

#define FL_TPLEV_PER_SERVICE 64
#define FL_TPLEV_TOTAL 4096
#define FL_TPLEV_RING 180 /* minutes */

typedef struct fl_tplev fl_tplev;

fl_tplev *fl_tplev_new(void);
void fl_tplev_destroy(fl_tplev *t);
/* One request event of service `svc` accepted by detect; error lines with
 * a message are masked and counted. */
void fl_tplev_add(fl_tplev *t, int32_t svc, fl_time ts, fl_str msg,
                  bool is_error);
/* The templates of `svc` that are new around `onset` (first seen within
 * FL_TPLEV_NEW_WINDOW of it, after at least 30 min of the service's
 * history, at least 10 lines) or surged at it (>= 10x the rate of the
 * 30 min before, at least 20 lines in the 5 min after), using only the
 * minutes before `cutoff` (INT64_MAX: everything). Most lines first; at
 * most max. Returns how many. */
uint32_t fl_tplev_findings(const fl_tplev *t, int32_t svc, fl_time onset,
                           fl_time cutoff, fl_tpl_finding *out, uint32_t max);
uint64_t fl_tplev_rejected(const fl_tplev *t);

struct msgpack_packer;
struct msgpack_object;
struct fl_rd;
void fl_tplev_pack(const fl_tplev *t, struct msgpack_packer *pk);
/* Into a fresh tracker; service ids must be below nsvc. */
bool fl_tplev_unpack(fl_tplev *t, struct fl_rd *rd,
                     const struct msgpack_object *o, uint32_t nsvc);

#endif
