/*
 * metrics.c - /metrics and /healthz over libmicrohttpd (see metrics.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "metrics.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct fl_metrics {
    struct MHD_Daemon *d;
    pthread_mutex_t mu;
    char *text;
    size_t n;
    bool healthy;
    int port;
};

uint64_t fl_rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f)
        return 0;
    unsigned long size, rss;
    int ok = fscanf(f, "%lu %lu", &size, &rss) == 2;
    fclose(f);
    return ok ? (uint64_t)rss * (uint64_t)sysconf(_SC_PAGESIZE) : 0;
}

static enum MHD_Result respond(struct MHD_Connection *conn, unsigned status,
                               const char *type, const char *body, size_t n)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(n, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", type);
    enum MHD_Result ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *conn,
                               const char *url, const char *method,
                               const char *version, const char *upload_data,
                               size_t *upload_size, void **con_cls)
{
    (void)version;
    (void)upload_data;
    (void)upload_size;
    (void)con_cls;
    fl_metrics *m = cls;
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return respond(conn, 405, "text/plain", "method not allowed\n", 19);
    if (strcmp(url, "/metrics") == 0) {
        pthread_mutex_lock(&m->mu);
        enum MHD_Result r =
            respond(conn, 200, "text/plain; version=0.0.4; charset=utf-8",
                    m->text ? m->text : "", m->text ? m->n : 0);
        pthread_mutex_unlock(&m->mu);
        return r;
    }
    if (strcmp(url, "/healthz") == 0) {
        pthread_mutex_lock(&m->mu);
        bool ok = m->healthy;
        pthread_mutex_unlock(&m->mu);
        return ok ? respond(conn, 200, "text/plain", "ok\n", 3)
                  : respond(conn, 503, "text/plain", "unhealthy\n", 10);
    }
    return respond(conn, 404, "text/plain", "not found\n", 10);
}

fl_metrics *fl_metrics_start(const char *spec, char *errstr, size_t errlen)
{
    char host[128] = "127.0.0.1";
    const char *port_s = spec;
    const char *colon = strrchr(spec, ':');
    if (colon) {
        size_t hl = (size_t)(colon - spec);
        if (hl >= sizeof host) {
            snprintf(errstr, errlen, "--http: address too long");
            return NULL;
        }
        if (hl > 0) {
            const char *h = spec;
            if (h[0] == '[' && hl >= 2 && h[hl - 1] == ']') {
                h++;
                hl -= 2;
            }
            memcpy(host, h, hl);
            host[hl] = '\0';
        }
        port_s = colon + 1;
    }
    char *end;
    long port = strtol(port_s, &end, 10);
    if (*port_s == '\0' || *end || port < 0 || port > 65535) {
        snprintf(errstr, errlen, "--http: expected ADDR:PORT, got '%s'", spec);
        return NULL;
    }
    struct sockaddr_in sa4;
    struct sockaddr_in6 sa6;
    memset(&sa4, 0, sizeof sa4);
    memset(&sa6, 0, sizeof sa6);
    const struct sockaddr *sa;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
    if (inet_pton(AF_INET, host, &sa4.sin_addr) == 1) {
        sa4.sin_family = AF_INET;
        sa4.sin_port = htons((uint16_t)port);
        sa = (const struct sockaddr *)&sa4;
    } else if (inet_pton(AF_INET6, host, &sa6.sin6_addr) == 1) {
        sa6.sin6_family = AF_INET6;
        sa6.sin6_port = htons((uint16_t)port);
        sa = (const struct sockaddr *)&sa6;
        flags |= MHD_USE_IPv6;
    } else {
        snprintf(errstr, errlen, "--http: '%s' is not a numeric IPv4 or IPv6 "
                                 "address", host);
        return NULL;
    }
    fl_metrics *m = fl_calloc(1, sizeof *m);
    pthread_mutex_init(&m->mu, NULL);
    m->healthy = true;
    m->d = MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, handler, m,
                            MHD_OPTION_SOCK_ADDR, sa,
                            MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
                            MHD_OPTION_END);
    if (!m->d) {
        snprintf(errstr, errlen, "--http: cannot listen on %s:%ld (in use, or "
                                 "not an address of this host)", host, port);
        pthread_mutex_destroy(&m->mu);
        free(m);
        return NULL;
    }
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(m->d, MHD_DAEMON_INFO_BIND_PORT);
    m->port = info ? info->port : (int)port;
    return m;
}

int fl_metrics_port(const fl_metrics *m) { return m->port; }

void fl_metrics_publish(fl_metrics *m, const fl_buf *text, bool healthy)
{
    char *copy = fl_malloc(text->n + 1);
    memcpy(copy, text->p ? text->p : "", text->n);
    copy[text->n] = '\0';
    pthread_mutex_lock(&m->mu);
    char *old = m->text;
    m->text = copy;
    m->n = text->n;
    m->healthy = healthy;
    pthread_mutex_unlock(&m->mu);
    free(old);
}

void fl_metrics_stop(fl_metrics *m)
{
    if (!m)
        return;
    MHD_stop_daemon(m->d);
    pthread_mutex_destroy(&m->mu);
    free(m->text);
    free(m);
}
