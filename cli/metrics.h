/*
 * metrics.h - the consumer's HTTP endpoint: /metrics (Prometheus text
 * exposition format 0.0.4) and /healthz, served by libmicrohttpd on its own
 * thread. The consumer renders the exposition text about once a second and
 * publishes it; the HTTP thread only ever serves the latest published text
 * (under a mutex), so it never touches pipeline state.
 */
#ifndef FL_METRICS_H
#define FL_METRICS_H

#include "../common/fl_common.h"

typedef struct fl_metrics fl_metrics;

/* "PORT", ":PORT" or "ADDR:PORT" ("[ADDR]:PORT" for IPv6). Without an
 * address it binds to 127.0.0.1: exposing metrics beyond the host is a
 * choice the operator makes by naming the address. */
fl_metrics *fl_metrics_start(const char *addr_port, char *errstr, size_t errlen);
void fl_metrics_publish(fl_metrics *m, const fl_buf *text, bool healthy);
void fl_metrics_stop(fl_metrics *m);
/* The port actually bound (for ":0"). */
int fl_metrics_port(const fl_metrics *m);

/* Resident set size of this process in bytes, 0 if unknown. */
uint64_t fl_rss_bytes(void);

#endif
