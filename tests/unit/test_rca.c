/*
 * test_rca.c - the RCA stage through its public interface (rca/fl_rca.h):
 * anomalies and changes in, incidents and ranked causes out. Each test
 * builds the situation a detector would report and checks what a person
 * would conclude: which failures form one incident, and which cause ranks
 * first (docs/RANKING.md).
 */
#include "unit.h"

#include "../../rca/fl_rca.h"
#include "../../rca/rca_int.h" /* chart bounds (FL_CHART_*) */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEC FL_NS_PER_SEC
#define T0 ((fl_time)1784883600LL * SEC) /* 2026-07-24T09:00:00Z */

typedef struct {
    fl_intern *names;
    fl_rca *rca;
    uint32_t seq;
} world;

static void world_init(world *w)
{
    w->names = fl_intern_new(64);
    fl_rca_conf conf;
    fl_rca_conf_default(&conf);
    w->rca = fl_rca_new(&conf, w->names, NULL, NULL);
    w->seq = 1;
}

static void world_done(world *w)
{
    fl_rca_destroy(w->rca);
    fl_intern_destroy(w->names);
}

static int32_t svc(world *w, const char *name)
{
    return fl_intern_add(w->names, (fl_str){name, strlen(name)});
}

static void edge(world *w, const char *caller, const char *callee)
{
    fl_rca_edge(w->rca, svc(w, caller), svc(w, callee));
}

static void change(world *w, fl_change_kind kind, const char *service,
                   const char *version, const char *id, fl_time at)
{
    fl_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = FL_EV_CHANGE;
    ev.ts = at;
    ev.service = (fl_str){service, strlen(service)};
    ev.change_kind = kind;
    if (version)
        ev.version = (fl_str){version, strlen(version)};
    ev.change_id = (fl_str){id, strlen(id)};
    fl_rca_change(w->rca, &ev, svc(w, service));
}

/* An error-rate anomaly of `service` from `onset`, detected a minute
 * later; `blamed` (or NULL) is the callee most of its errors name. */
static void errors(world *w, const char *service, fl_time onset, double base,
                   double peak, const char *blamed)
{
    fl_anomaly a;
    memset(&a, 0, sizeof a);
    a.seq = w->seq++;
    a.service = svc(w, service);
    a.signal = FL_SIG_ERROR_RATE;
    a.dir = FL_DIR_UP;
    a.onset = onset;
    a.detected = onset + 60 * SEC;
    a.end = FL_TIME_NONE;
    a.peak_at = a.detected;
    a.baseline = base;
    a.peak = peak;
    a.severity = 50;
    a.requests = 1000;
    a.errors = (uint64_t)(peak * 1000);
    a.expected_errors = base * 1000;
    for (int i = 0; i < FL_BLAME_MAX; i++)
        a.blame[i].service = -1;
    if (blamed) {
        a.blame[0].service = svc(w, blamed);
        a.blame[0].errors = (uint32_t)(0.9 * (double)a.errors);
    }
    fl_rca_anomaly(w->rca, FL_ANOMALY_OPEN, &a);
}

static const fl_cause *top(world *w, uint32_t inc)
{
    fl_rca_finish(w->rca);
    const fl_incident *i = fl_rca_get(w->rca, inc);
    return i && i->ncauses ? &i->causes[0] : NULL;
}

static void shop_graph(world *w)
{
    edge(w, "frontend", "api");
    edge(w, "api", "cart");
    edge(w, "api", "search");
    edge(w, "cart", "postgres");
    edge(w, "admin", "postgres");
}

/* Failures at the same time in parts that do not call each other are two
 * incidents; a caller's failure joins its callee's. */
static void split_along_call_graph(void)
{
    world w;
    world_init(&w);
    shop_graph(&w);
    errors(&w, "search", T0, 0.005, 0.2, NULL);
    errors(&w, "admin", T0 + 60 * SEC, 0.005, 0.5, NULL);
    errors(&w, "api", T0 + 20 * SEC, 0.005, 0.1, "search");
    errors(&w, "frontend", T0 + 30 * SEC, 0.005, 0.1, "api");
    fl_rca_finish(w.rca);
    REQUIRE_EQ(fl_rca_count(w.rca), 2u);
    const fl_incident *a = fl_rca_get(w.rca, 0), *b = fl_rca_get(w.rca, 1);
    CHECK_EQ(a->nservices, 3u);
    CHECK_STR(fl_rca_service_name(w.rca, a->services[0]), "search");
    CHECK_EQ(b->nservices, 1u);
    CHECK_STR(fl_rca_service_name(w.rca, b->services[0]), "admin");
    world_done(&w);
}

/* Siblings sharing a callee are related only once that callee is in
 * trouble too. */
static void shared_callee_joins(void)
{
    world w;
    world_init(&w);
    shop_graph(&w);
    errors(&w, "postgres", T0, 0.001, 0.3, NULL);
    errors(&w, "cart", T0 + 10 * SEC, 0.005, 0.2, "postgres");
    errors(&w, "admin", T0 + 20 * SEC, 0.005, 0.2, "postgres");
    fl_rca_finish(w.rca);
    CHECK_EQ(fl_rca_count(w.rca), 1u);
    const fl_cause *c = top(&w, 0);
    REQUIRE(c != NULL);
    CHECK_STR(fl_cause_kind(c), "service");
    CHECK_STR(fl_rca_service_name(w.rca, c->service), "postgres");
    world_done(&w);
}

/* Without any call edges, time alone groups (the behaviour before the
 * graph existed). */
static void no_graph_groups_by_time(void)
{
    world w;
    world_init(&w);
    errors(&w, "search", T0, 0.005, 0.2, NULL);
    errors(&w, "admin", T0 + 60 * SEC, 0.005, 0.5, NULL);
    fl_rca_finish(w.rca);
    CHECK_EQ(fl_rca_count(w.rca), 1u);
    world_done(&w);
}

/* A flag flipped on api seconds before cart (which api calls) breaks:
 * the flag, not "cart failed on its own". */
static void flag_at_caller_breaks_callee(void)
{
    world w;
    world_init(&w);
    shop_graph(&w);
    change(&w, FL_CHANGE_FLAG, "api", NULL, "flag-new-checkout", T0 - 20 * SEC);
    errors(&w, "cart", T0, 0.005, 0.3, NULL);
    errors(&w, "api", T0, 0.005, 0.1, "cart");
    const fl_cause *c = top(&w, 0);
    REQUIRE(c != NULL);
    CHECK_STR(fl_cause_kind(c), "flag");
    CHECK_STR(fl_rca_service_name(w.rca, c->service), "api");
    CHECK(c->score > 0.5);
    world_done(&w);
}

/* A deploy of the caller minutes before is no such explanation: the
 * callee failing by itself ranks first. */
static void old_caller_deploy_not_blamed(void)
{
    world w;
    world_init(&w);
    shop_graph(&w);
    change(&w, FL_CHANGE_DEPLOY, "api", "v2.0.1", "chg-1", T0 - 180 * SEC);
    errors(&w, "cart", T0, 0.005, 0.3, NULL);
    errors(&w, "api", T0, 0.005, 0.1, "cart");
    const fl_cause *c = top(&w, 0);
    REQUIRE(c != NULL);
    CHECK_STR(fl_cause_kind(c), "service");
    CHECK_STR(fl_rca_service_name(w.rca, c->service), "cart");
    world_done(&w);
}

/* The last deploy of the failing service 40 minutes before outranks a
 * deploy of a healthy service 5 minutes before, with a middling score. */
static void latest_change_of_root_keeps_weight(void)
{
    world w;
    world_init(&w);
    shop_graph(&w);
    change(&w, FL_CHANGE_DEPLOY, "cart", "v3.1.0", "chg-leak", T0 - 40 * 60 * SEC);
    change(&w, FL_CHANGE_DEPLOY, "search", "v1.0.9", "chg-ok", T0 - 5 * 60 * SEC);
    errors(&w, "cart", T0, 0.005, 0.2, NULL);
    const fl_cause *c = top(&w, 0);
    REQUIRE(c != NULL);
    CHECK_STR(fl_cause_kind(c), "deploy");
    CHECK_STR(fl_rca_service_name(w.rca, c->service), "cart");
    CHECK(c->score > 0.2 && c->score < 0.6);
    world_done(&w);
}

/* A caller whose lines do not name the callee is still downstream when the
 * graph says it calls it: the callee is where the incident began. */
static void graph_marks_downstream(void)
{
    world w;
    world_init(&w);
    shop_graph(&w);
    change(&w, FL_CHANGE_DEPLOY, "cart", "v3.1.1", "chg-bad", T0 - 60 * SEC);
    errors(&w, "api", T0, 0.005, 0.2, NULL);
    errors(&w, "cart", T0 + 10 * SEC, 0.005, 0.2, NULL);
    const fl_cause *c = top(&w, 0);
    REQUIRE(c != NULL);
    CHECK_STR(fl_cause_kind(c), "deploy");
    CHECK_STR(fl_rca_service_name(w.rca, c->service), "cart");
    world_done(&w);
}

/* Nothing recorded: kind service, and every score in [0, 1]. */
static void unexplained_is_service(void)
{
    world w;
    world_init(&w);
    shop_graph(&w);
    change(&w, FL_CHANGE_CONFIG, "search", NULL, "cfg-1", T0 - 60 * SEC);
    errors(&w, "postgres", T0, 0.001, 0.4, NULL);
    const fl_cause *c = top(&w, 0);
    REQUIRE(c != NULL);
    CHECK_STR(fl_cause_kind(c), "service");
    CHECK_STR(fl_rca_service_name(w.rca, c->service), "postgres");
    const fl_incident *inc = fl_rca_get(w.rca, 0);
    for (uint32_t i = 0; i < inc->ncauses; i++)
        CHECK(inc->causes[i].score >= 0 && inc->causes[i].score <= 1);
    /* the config of search, which stayed healthy, is at most a weak
     * candidate that says so */
    for (uint32_t i = 0; i < inc->ncauses; i++) {
        const fl_cause *o = &inc->causes[i];
        if (o->type != FL_CAUSE_CHANGE)
            continue;
        CHECK(o->score < 0.2);
        REQUIRE(o->nevidence >= 1);
        CHECK(strstr(o->evidence[0], "stayed healthy") != NULL);
    }
    world_done(&w);
}

static bool has_evidence(const fl_cause *c, const char *needle)
{
    for (uint32_t i = 0; i < c->nevidence; i++)
        if (strstr(c->evidence[i], needle))
            return true;
    return false;
}

/* requests of cart after its deploy: n on v2 (e failing), m on v1 (f) */
static void traffic(world *w, uint32_t n, uint32_t e, uint32_t m, uint32_t f)
{
    int32_t cart = svc(w, "cart");
    for (uint32_t i = 0; i < n; i++)
        fl_rca_request(w->rca, cart, (fl_str){"v2", 2}, T0 + i * SEC, i < e);
    for (uint32_t i = 0; i < m; i++)
        fl_rca_request(w->rca, cart, (fl_str){"v1", 2}, T0 + i * SEC, i < f);
}

/* A canary: errors concentrated on the new version make an old deploy
 * the cause even 50 minutes on; errors alike on both versions halve it. */
static void version_split(void)
{
    world w;
    world_init(&w);
    shop_graph(&w);
    change(&w, FL_CHANGE_DEPLOY, "cart", "v2", "chg-canary", T0 - 50 * 60 * SEC);
    traffic(&w, 100, 50, 900, 3);
    errors(&w, "cart", T0, 0.005, 0.06, NULL);
    const fl_cause *c = top(&w, 0);
    REQUIRE(c != NULL);
    CHECK_STR(fl_cause_kind(c), "deploy");
    CHECK(c->score >= 0.9);
    CHECK(has_evidence(c, "errors concentrated on v2"));
    world_done(&w);

    world_init(&w);
    shop_graph(&w);
    change(&w, FL_CHANGE_DEPLOY, "cart", "v2", "chg-innocent", T0 - 2 * 60 * SEC);
    traffic(&w, 500, 25, 500, 26);
    errors(&w, "cart", T0, 0.005, 0.05, NULL);
    fl_rca_finish(w.rca);
    const fl_incident *inc = fl_rca_get(w.rca, 0);
    REQUIRE(inc != NULL);
    bool seen = false;
    for (uint32_t i = 0; i < inc->ncauses; i++) {
        const fl_cause *o = &inc->causes[i];
        if (o->type == FL_CAUSE_CHANGE) {
            seen = true;
            CHECK(o->score < 0.6);
            CHECK(has_evidence(o, "other versions fail as often"));
        }
    }
    CHECK(seen);
    world_done(&w);
}

/* Lines of one trace from two services: the longer one is the caller.
 * Different traces, the same service, a minute apart or no latency: no
 * edge. */
static void trace_edges(void)
{
    world w;
    world_init(&w);
    int32_t api = svc(&w, "api"), cart = svc(&w, "cart"), pg = svc(&w, "postgres");
    fl_str t1 = {"4bf92f3577b34da6a3ce929d0e0e4736", 32}, t2 = {"00f067aa0ba902b7", 16};
    fl_rca_trace(w.rca, t1, cart, 12.0, T0);
    fl_rca_trace(w.rca, t1, api, 15.5, T0 + SEC / 10);
    CHECK(fl_rca_calls(w.rca, api, cart));
    CHECK(!fl_rca_calls(w.rca, cart, api));
    fl_rca_trace(w.rca, t2, pg, 3.0, T0);
    fl_rca_trace(w.rca, t2, pg, 4.0, T0);               /* same service */
    fl_rca_trace(w.rca, (fl_str){"other", 5}, cart, 9.0, T0); /* other trace */
    CHECK(!fl_rca_calls(w.rca, cart, pg));
    fl_rca_trace(w.rca, t2, cart, 20.0, T0 + 61 * SEC); /* too late */
    CHECK(!fl_rca_calls(w.rca, cart, pg));
    fl_rca_trace(w.rca, t2, pg, NAN, T0 + 61 * SEC);      /* no latency */
    CHECK(!fl_rca_calls(w.rca, cart, pg));
    world_done(&w);
}


/* The report's charts (series.c): a 6.5-hour incident keeps a lead-in
 * from before its onset, halves its resolution instead of growing past
 * FL_CHART_POINTS, loses no request in merging, and reads p95/p99 from the
 * bins' latencies; a service outside the incident gets no chart. */
static void chart_series_bounded(void)
{
    world w;
    world_init(&w);
    int32_t cart = svc(&w, "cart"), search = svc(&w, "search");
    uint64_t req = 0, err = 0;
    for (int m = 0; m <= 420; m++) {
        for (int i = 0; i < 100; i++) {
            fl_time t = T0 + m * 60 * SEC + i * SEC / 2;
            bool e = m >= 30 ? i % 2 == 0 : i == 0;
            double lat = i % 20 == 7 ? 1000.0 : 10.0; /* 5% slow */
            fl_rca_sample(w.rca, cart, t, lat, e);
            fl_rca_sample(w.rca, search, t, 5.0, false);
            if (m >= 15) {
                req++;
                err += e;
            }
        }
        if (m == 31)
            errors(&w, "cart", T0 + 30 * 60 * SEC, 0.01, 0.5, NULL);
        fl_rca_advance(w.rca, T0 + (m + 1) * 60 * SEC);
    }
    fl_rca_finish(w.rca);
    REQUIRE_EQ(fl_rca_count(w.rca), 1u);
    const fl_incident *inc = fl_rca_get(w.rca, 0);
    REQUIRE_EQ(fl_incident_nchart(inc), 1u);
    const fl_chart *c = &inc->charts[0];
    CHECK_EQ(c->service, cart);
    CHECK(c->bin0 * FL_CHART_BIN == T0 + 15 * 60 * SEC); /* 15 min lead-in */
    CHECK(c->n <= FL_CHART_POINTS);
    CHECK_EQ(c->step, 4u); /* 406 bins in at most 120 points */
    uint64_t sr = 0, se = 0;
    for (uint32_t i = 0; i < c->n; i++) {
        sr += c->pts[i].req;
        se += c->pts[i].err;
    }
    CHECK_EQ(sr, req);
    CHECK_EQ(se, err);
    CHECK(fabs(c->pts[0].p95 - 10.0) < 2.5);
    CHECK(fabs(c->pts[0].p99 - 1000.0) < 220);
    CHECK(fabs((double)c->pts[10].err / c->pts[10].req - 0.5) < 1e-9);
    fl_buf b = {0};
    CHECK(fl_incident_svg(&b, w.rca, inc, 0));
    CHECK(strstr(b.p, ">onset</text>") != NULL);
    CHECK(strstr(b.p, "one point per 4 min") != NULL);
    CHECK(!fl_incident_svg(&b, w.rca, inc, 1));
    fl_buf_free(&b);
    world_done(&w);
}

static void path_templates(void)
{
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"/users/123/orders/9f8e0c1a", "/users/<*>/orders/<*>"},
        {"/users/123/orders/9f8e0c1a?x=1#f", "/users/<*>/orders/<*>"},
        {"/api/v2/items/550e8400-e29b-41d4-a716-446655440000/tags",
         "/api/v2/items/<*>/tags"},
        {"/s/aB3dE5fG7hJ9kL1mN3", "/s/<*>"},       /* long mixed token */
        {"/u/jane@example.com/x;jsessionid=1", "/u/<*>/x"},
        {"https://shop.example:8443/cart/42?q", "/cart/<*>"},
        {"/cart", "/cart"},
        {"/deadbeef/cafe", "/deadbeef/cafe"},   /* hex words, no digit */
        {"/v1/home", "/v1/home"},               /* short names stay */
        {"/abc12", "/abc12"},
        {"", "/"},
        {"?only=query", "/"},
        {"/a\x01" "b/<script>", "/a?b/<script>"}, /* control bytes masked;
                                                  * escaping is the report's */
        {"/caf\xc3\xa9/\xff", "/caf\xc3\xa9/?"},
        {"/users/{id}", "/users/{id}"},
    };
    char out[FL_EP_LEN];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = fl_path_template(fl_str_c(cases[i].in), out, sizeof out);
        CHECK_MSG(strcmp(out, cases[i].want) == 0 && n == strlen(out),
                  "%s -> %s, want %s", cases[i].in, out, cases[i].want);
    }
    /* bounded: a long path is cut at a character boundary, with "..." */
    char lng[4000];
    size_t k = 0;
    while (k + 4 < sizeof lng) {
        memcpy(lng + k, "/\xc3\xa9x", 4); /* "/éx" */
        k += 4;
    }
    lng[k] = '\0';
    size_t n = fl_path_template(fl_str_c(lng), out, sizeof out);
    CHECK(n < sizeof out && n == strlen(out));
    CHECK(n >= 3 && memcmp(out + n - 3, "...", 3) == 0);
    CHECK(fl_utf8_valid(out, n));
    char tiny[4];
    CHECK_EQ(fl_path_template(fl_str_c("/a"), tiny, sizeof tiny), 0u);
}

/* Requests by endpoint: the failing endpoint's extra errors, before and
 * during the onset, more templates than slots go to <other>. */
static void endpoint_counts(void)
{
    world w;
    world_init(&w);
    int32_t api = svc(&w, "api");
    for (int m = 0; m <= 40; m++) {
        for (int i = 0; i < 100; i++) {
            fl_time t = T0 + m * 60 * SEC + i * SEC / 2;
            char path[64];
            bool e = false;
            if (i % 4 == 0) {
                snprintf(path, sizeof path, "/orders/%d", 1000 + i);
                e = m >= 30 ? i % 8 == 0 : i == 0; /* /orders breaks */
            } else if (i % 4 == 1) {
                snprintf(path, sizeof path, "/home");
                e = i == 1;
            } else {
                snprintf(path, sizeof path, "/p%d/x", i); /* 50 templates */
            }
            fl_rca_sample(w.rca, api, t, 5.0, e);
            fl_rca_sample_path(w.rca, api, t, fl_str_c(path), e);
        }
        if (m == 31)
            errors(&w, "api", T0 + 30 * 60 * SEC, 0.01, 0.2, NULL);
        fl_rca_advance(w.rca, T0 + (m + 1) * 60 * SEC);
    }
    fl_rca_finish(w.rca);
    REQUIRE_EQ(fl_rca_count(w.rca), 1u);
    const fl_incident *inc = fl_rca_get(w.rca, 0);
    REQUIRE(inc->neps > 0);
    CHECK(inc->neps <= FL_EP_INC_MAX);
    const fl_ep_stat *orders = NULL, *home = NULL, *other = NULL;
    uint64_t req = 0;
    for (uint32_t i = 0; i < inc->neps; i++) {
        const fl_ep_stat *s = &inc->eps[i];
        CHECK_EQ(s->service, api);
        req += s->during.req;
        if (!strcmp(s->tpl, "/orders/<*>"))
            orders = s;
        else if (!strcmp(s->tpl, "/home"))
            home = s;
        else if (!strcmp(s->tpl, "<other>"))
            other = s;
    }
    REQUIRE(orders && home && other);
    CHECK_EQ(req, 11u * 100u);         /* minutes 30..40, every request */
    CHECK_EQ(orders->during.req, 11u * 25u);
    CHECK_EQ(orders->during.err, 11u * 13u);
    CHECK_EQ(orders->before.req, 15u * 25u); /* the 15-bin lead-in */
    CHECK_EQ(orders->before.err, 15u);
    CHECK_EQ(home->during.err, 11u);
    CHECK(other->during.req > 0); /* 52 templates, 32 slots */
    fl_buf b = {0};
    fl_incident_markdown(&b, w.rca, inc);
    const char *tab = strstr(b.p, "| api | /orders/&lt;\\*&gt; |");
    CHECK_MSG(tab != NULL, "no /orders row in:\n%s", b.p);
    /* /orders first: the only endpoint with extra errors */
    CHECK(tab && strstr(b.p, "| service | endpoint |") < tab &&
          !strstr(b.p, "| api | /home |"));
    fl_buf_free(&b);
    world_done(&w);
}

static const unit_test tests[] = {
    UNIT_TEST(path_templates),
    UNIT_TEST(endpoint_counts),
    UNIT_TEST(chart_series_bounded),
    UNIT_TEST(trace_edges),
    UNIT_TEST(version_split),
    UNIT_TEST(split_along_call_graph),
    UNIT_TEST(shared_callee_joins),
    UNIT_TEST(no_graph_groups_by_time),
    UNIT_TEST(flag_at_caller_breaks_callee),
    UNIT_TEST(old_caller_deploy_not_blamed),
    UNIT_TEST(latest_change_of_root_keeps_weight),
    UNIT_TEST(graph_marks_downstream),
    UNIT_TEST(unexplained_is_service),
};
UNIT_SUITE(unit_suite_rca, "rca", tests);
