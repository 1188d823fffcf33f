/*
 * bench/gen.c - deterministic benchmark inputs (same arguments, same bytes).
 *
 *   gen nginx LINES SERVICES [SEED]   nginx combined + $request_time
 *   gen json  LINES SERVICES [SEED]   JSON lines of ~180 bytes
 *   gen deploys SERVICES [SEED]       the change events of the same run
 *
 * Traffic spans max(1 h, LINES / 500 s) starting 2026-11-22T00:00:00Z, in
 * time order, spread over SERVICES services named svc00000... with a
 * skewed (Zipf-like) mix so some services are busy and many are quiet.
 * In the middle of the span service svc00001 gets a bad deploy: 5xx rise
 * to 30% and latency triples, so detection, grouping and ranking all do
 * real work. A small xorshift generator keeps the output identical on
 * every machine.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rs = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
    rs ^= rs << 13;
    rs ^= rs >> 7;
    rs ^= rs << 17;
    return rs;
}
static double unif(void) { return (double)(rnd() >> 11) / 9007199254740992.0; }

static const char *paths[] = {"items", "cart", "search", "login", "orders",
                              "users", "health", "static/app.js"};
static const char *methods[] = {"GET", "GET", "GET", "POST", "GET", "PUT"};
static const char *agents[] = {
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0",
    "curl/8.5.0", "Go-http-client/1.1",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Safari/604.1"};
static const char *mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

#define T0 1795305600LL /* 2026-11-22T00:00:00Z */

/* days since 1970-01-01 -> y/m/d (Howard Hinnant's algorithm) */
static void civil(long long z, int *y, int *m, int *d)
{
    z += 719468;
    long long era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long long yy = (long long)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yy + (*m <= 2));
}

/* a skewed pick: service 0 busiest, the tail quiet but never empty when
 * there are enough lines (every 4th pick is uniform) */
static unsigned pick_service(unsigned n)
{
    if ((rnd() & 3) == 0)
        return (unsigned)(rnd() % n);
    double u = unif();
    unsigned s = (unsigned)((double)n * u * u * u);
    return s < n ? s : n - 1;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: gen nginx|json LINES SERVICES [SEED] | "
                        "gen deploys SERVICES [SEED]\n");
        return 1;
    }
    const char *kind = argv[1];
    if (strcmp(kind, "deploys") == 0) {
        unsigned nsvc = (unsigned)strtoul(argv[2], NULL, 10);
        long long span = argc > 3 ? strtoll(argv[3], NULL, 10) : 3600;
        /* routine deploys early on, then the bad one at the middle */
        for (unsigned i = 0; i < 5 && i < nsvc; i++)
            printf("{\"ts\":%lld,\"kind\":\"deploy\",\"service\":\"svc%05u\","
                   "\"version\":\"v1.%u.0\",\"change_id\":\"chg-%04u\","
                   "\"author\":\"ci\"}\n",
                   T0 + 300 + 120 * (long long)i, i, i, 100 + i);
        printf("{\"ts\":%lld,\"kind\":\"deploy\",\"service\":\"svc%05u\","
               "\"version\":\"v2.0.0\",\"change_id\":\"chg-bad1\","
               "\"author\":\"dev\"}\n",
               T0 + span / 2 - 30, nsvc > 1 ? 1u : 0u);
        return 0;
    }
    if (argc < 4)
        return 1;
    long long lines = strtoll(argv[2], NULL, 10);
    unsigned nsvc = (unsigned)strtoul(argv[3], NULL, 10);
    if (argc > 4)
        rs ^= strtoull(argv[4], NULL, 10) * 0x2545F4914F6CDD1Dull;
    if (lines <= 0 || nsvc == 0)
        return 1;
    int nginx = strcmp(kind, "nginx") == 0;
    long long span = lines / 500 > 3600 ? lines / 500 : 3600;
    unsigned bad = nsvc > 1 ? 1 : 0;
    long long bad_at = T0 + span / 2;
    static char out[1 << 16];
    setvbuf(stdout, out, _IOFBF, sizeof out);
    for (long long i = 0; i < lines; i++) {
        long long ms = (long long)((double)i * (double)span * 1000.0 /
                                   (double)lines);
        long long t = T0 + ms / 1000;
        unsigned svc = pick_service(nsvc);
        int broken = svc == bad && t >= bad_at && t < bad_at + span / 6;
        int status = 200;
        double r = unif();
        if (broken ? r < 0.30 : r < 0.004)
            status = (rnd() & 1) ? 503 : 500;
        else if (r > 0.97)
            status = (rnd() & 1) ? 404 : 304;
        double lat = 0.005 + 0.04 * unif() * unif() + (unif() < 0.01 ? 0.3 : 0);
        if (broken)
            lat *= 3;
        const char *path = paths[rnd() % 8];
        unsigned id = (unsigned)(rnd() % 100000);
        if (nginx) {
            int y, m, d;
            long long day = t / 86400, sod = t % 86400;
            civil(day, &y, &m, &d);
            printf("10.%u.%u.%u - - [%02d/%s/%04d:%02lld:%02lld:%02lld +0000] "
                   "\"%s /svc%05u/%s/%u HTTP/1.1\" %d %u \"-\" \"%s\" %.3f\n",
                   (unsigned)(rnd() % 256), (unsigned)(rnd() % 256),
                   (unsigned)(rnd() % 256), d, mon[m - 1], y, sod / 3600,
                   sod / 60 % 60, sod % 60, methods[rnd() % 6], svc, path, id,
                   status, (unsigned)(200 + rnd() % 20000), agents[rnd() % 4],
                   lat);
        } else {
            int y, m, d;
            long long day = t / 86400, sod = t % 86400;
            civil(day, &y, &m, &d);
            printf("{\"ts\":\"%04d-%02d-%02dT%02lld:%02lld:%02lld.%03lldZ\","
                   "\"service\":\"svc%05u\",\"level\":\"%s\",\"status\":%d,"
                   "\"latency_ms\":%.1f,\"msg\":\"%s /%s/%u %s\","
                   "\"host\":\"node-%02u\",\"trace_id\":\"%016" PRIx64 "\"}\n",
                   y, m, d, sod / 3600, sod / 60 % 60, sod % 60, ms % 1000, svc,
                   status >= 500 ? "error" : "info", status, lat * 1000.0,
                   methods[rnd() % 6], path, id,
                   status >= 500 ? "upstream failed" : "ok",
                   (unsigned)(rnd() % 64), rnd());
        }
    }
    return 0;
}
