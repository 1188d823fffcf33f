/* test_msgpack.c - ingest/msgpack.c: records as msgpack-c packs them (maps
 * with the JSON keys, flat and nested; Fluent Bit's [time, map] and
 * [[time, metadata], map]; Fluentd's message mode), the time encodings
 * (integers, floats, EventTime, the msgpack timestamp extension), every
 * rejection reason, hostile headers, the sniffer, and concatenated streams
 * from memory and .zst through fl_msgpack_stream. The scanner is checked
 * against msgpack-c's own unpacker on random objects. */
#define _POSIX_C_SOURCE 200809L
#include "../../ingest/fl_ingest.h"
#include "unit.h"

#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <zstd.h>

#define T0 1710074096LL /* 2024-03-10T12:34:56Z */
#define T0_NS (T0 * FL_NS_PER_SEC)

/* ------------------------------------------------------------- packing */

static msgpack_sbuffer sb;
static msgpack_packer pk;
static fl_decoder *dec;

static void S(const char *s)
{
    size_t n = strlen(s);
    msgpack_pack_str(&pk, n);
    msgpack_pack_str_body(&pk, s, n);
}
static void SN(const char *s, size_t n) /* with NULs or invalid bytes */
{
    msgpack_pack_str(&pk, n);
    msgpack_pack_str_body(&pk, s, n);
}
static void I(int64_t v) { msgpack_pack_int64(&pk, v); }
static void U(uint64_t v) { msgpack_pack_uint64(&pk, v); }
static void D(double v) { msgpack_pack_double(&pk, v); }
static void M(size_t n) { msgpack_pack_map(&pk, n); }
static void A(size_t n) { msgpack_pack_array(&pk, n); }
static void NIL(void) { msgpack_pack_nil(&pk); }
/* Fluentd's EventTime: ext type 0, big-endian uint32 seconds + nanos */
static void ET(uint32_t sec, uint32_t nsec)
{
    unsigned char b[8] = {
        (unsigned char)(sec >> 24), (unsigned char)(sec >> 16),
        (unsigned char)(sec >> 8),  (unsigned char)sec,
        (unsigned char)(nsec >> 24), (unsigned char)(nsec >> 16),
        (unsigned char)(nsec >> 8),  (unsigned char)nsec,
    };
    msgpack_pack_ext_with_body(&pk, b, 8, 0);
}
/* the msgpack timestamp extension (type -1), as msgpack-c packs it */
static void TSX(int64_t sec, uint32_t nsec)
{
    msgpack_timestamp t = {sec, nsec};
    msgpack_pack_timestamp(&pk, &t);
}
/* raw bytes */
static void RAW(const void *p, size_t n) { msgpack_sbuffer_write(&sb, p, n); }

static void pk_reset(void) { msgpack_sbuffer_clear(&sb); }

static fl_str packed(void) { return (fl_str){sb.data, sb.size}; }

/* Decodes what was packed (a copy with a NUL after it, exactly sized so
 * ASan sees reads past it). */
static char *line_copy;
static bool decode_packed(fl_event *ev, fl_bad_reason *why)
{
    free(line_copy);
    line_copy = malloc(sb.size + 1);
    memcpy(line_copy, sb.data, sb.size);
    line_copy[sb.size] = '\0';
    memset(ev, 0xA5, sizeof *ev);
    *why = FL_BAD__COUNT;
    return fl_msgpack_decode(dec, (fl_str){line_copy, sb.size}, ev, why);
}

#define DECODE_OK(ev)                                                         \
    do {                                                                      \
        fl_bad_reason why_;                                                   \
        if (!decode_packed(&(ev), &why_)) {                                   \
            unit_fail(__FILE__, __LINE__, "rejected (%s)",                    \
                      fl_bad_reason_name(why_));                              \
            return;                                                           \
        }                                                                     \
    } while (0)

#define CHECK_REJECT(reason)                                                  \
    do {                                                                      \
        fl_event ev_;                                                         \
        fl_bad_reason why_;                                                   \
        bool ok_ = decode_packed(&ev_, &why_);                                \
        CHECK_MSG(!ok_ && why_ == (reason), "want %s, got %s",                \
                  fl_bad_reason_name(reason),                                 \
                  ok_ ? "accepted" : fl_bad_reason_name(why_));               \
    } while (0)

static void setup(void)
{
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    dec = fl_decoder_new(FL_FORMAT_MSGPACK);
}

static void teardown(void)
{
    fl_decoder_destroy(dec);
    dec = NULL;
    msgpack_sbuffer_destroy(&sb);
    free(line_copy);
    line_copy = NULL;
}

/* ------------------------------------------------------------- mapping */

static void map_simple_keys_body(void)
{
    fl_event ev;
    M(8);
    S("ts"); S("2024-03-10T12:34:56.250Z");
    S("service"); S("api");
    S("level"); S("info");
    S("status"); I(200);
    S("latency_ms"); D(12.5);
    S("msg"); S("GET /x");
    S("upstream"); S("db");
    S("version"); S("v1.2");
    DECODE_OK(ev);
    CHECK_EQ(ev.kind, FL_EV_REQUEST);
    CHECK_EQ(ev.ts, T0_NS + 250000000);
    CHECK_FLSTR(ev.service, "api");
    CHECK_EQ(ev.level, FL_LEVEL_INFO);
    CHECK_EQ(ev.status, 200);
    CHECK(ev.latency_ms == 12.5);
    CHECK_FLSTR(ev.msg, "GET /x");
    CHECK_FLSTR(ev.upstream, "db");
    CHECK_FLSTR(ev.version, "v1.2");
    CHECK_NAN(ev.value);
    CHECK_EQ(ev.metric.n, 0);
    CHECK(!fl_event_is_error(&ev));
    /* strings are the object's own bytes, not copies */
    CHECK(ev.service.p >= line_copy && ev.service.p < line_copy + sb.size);
}

/* ECS nested maps and flat dotted keys decode to the same event */
static void map_ecs_nested_and_flat_body(void)
{
    fl_event a, b;
    M(6);
    S("@timestamp"); S("2024-03-10T12:34:56Z");
    S("service"); M(2); S("name"); S("cart"); S("version"); S("v3.1.4");
    S("log"); M(1); S("level"); S("error");
    S("http"); M(2);
        S("request"); M(1); S("method"); S("GET");
        S("response"); M(1); S("status_code"); I(503);
    S("event"); M(1); S("duration"); U(14234000);
    S("message"); S("GET /cart 503");
    DECODE_OK(a);
    CHECK_EQ(a.ts, T0_NS);
    CHECK_FLSTR(a.service, "cart");
    CHECK_FLSTR(a.version, "v3.1.4");
    CHECK_EQ(a.level, FL_LEVEL_ERROR);
    CHECK_EQ(a.status, 503);
    CHECK_NEAR(a.latency_ms, 14.234, 1e-9);
    CHECK_FLSTR(a.msg, "GET /cart 503");
    CHECK(fl_event_is_error(&a));
    pk_reset(); /* (a's strings are gone with its buffer from here) */
    M(6);
    S("@timestamp"); S("2024-03-10T12:34:56Z");
    S("service.name"); S("cart");
    S("service.version"); S("v3.1.4");
    S("log.level"); S("error");
    S("http.response.status_code"); I(503);
    S("event.duration"); U(14234000);
    DECODE_OK(b);
    CHECK_EQ(b.ts, a.ts);
    CHECK_FLSTR(b.service, "cart");
    CHECK_FLSTR(b.version, "v3.1.4");
    CHECK_EQ(b.level, FL_LEVEL_ERROR);
    CHECK_EQ(b.status, 503);
    CHECK_NEAR(b.latency_ms, 14.234, 1e-9);
}

static void map_change_event_body(void)
{
    fl_event ev;
    M(6);
    S("ts"); S("2024-03-10T12:34:56Z");
    S("kind"); S("deploy");
    S("service"); S("search");
    S("version"); S("v1.4.0");
    S("change_id"); S("chg-c9064f");
    S("author"); S("deploy-bot");
    DECODE_OK(ev);
    CHECK_EQ(ev.kind, FL_EV_CHANGE);
    CHECK_EQ(ev.change_kind, FL_CHANGE_DEPLOY);
    CHECK_FLSTR(ev.version, "v1.4.0");
    CHECK_FLSTR(ev.change_id, "chg-c9064f");
    CHECK_FLSTR(ev.author, "deploy-bot");
}

/* integer times: seconds, milliseconds, nanoseconds, exact; floats */
static void map_numeric_times_body(void)
{
    static const struct {
        int kind; /* 0 uint, 1 double */
        uint64_t u;
        double d;
        fl_time want;
    } cases[] = {
        {0, (uint64_t)T0, 0, T0_NS},
        {0, (uint64_t)T0 * 1000 + 250, 0, T0_NS + 250000000},
        {0, (uint64_t)T0_NS + 123456789, 0, T0_NS + 123456789},
        {1, 0, 1710074096.5, T0_NS + 500000000},
        {1, 0, 1710074096250.0, T0_NS + 250000000},
    };
    for (size_t i = 0; i < FL_ARRAY_LEN(cases); i++) {
        pk_reset();
        M(2);
        S("ts");
        if (cases[i].kind == 0)
            U(cases[i].u);
        else
            D(cases[i].d);
        S("service"); S("api");
        fl_event ev;
        fl_bad_reason why;
        bool ok = decode_packed(&ev, &why);
        CHECK_MSG(ok, "case %zu rejected (%s)", i, fl_bad_reason_name(why));
        if (ok)
            CHECK_EQ(ev.ts, cases[i].want);
    }
}

/* Fluent Bit < 2.1: [TIMESTAMP, MESSAGE], the timestamp as EventTime,
 * float64 or integer seconds (docs.fluentbit.io, "MessagePack format") */
static void fluentbit_v1_body(void)
{
    fl_event ev;
    A(2);
    ET((uint32_t)T0, 123456789);
    M(3);
    S("service"); S("api");
    S("log"); S("connection refused");
    S("level"); S("error");
    DECODE_OK(ev);
    CHECK_EQ(ev.ts, T0_NS + 123456789);
    CHECK_FLSTR(ev.service, "api");
    CHECK_EQ(ev.level, FL_LEVEL_ERROR);
    CHECK(fl_event_is_error(&ev));

    pk_reset();
    A(2);
    D(1710074096.25);
    M(2); S("service"); S("api"); S("message"); S("hello");
    DECODE_OK(ev);
    CHECK_EQ(ev.ts, T0_NS + 250000000);
    CHECK_FLSTR(ev.msg, "hello");

    pk_reset();
    A(2);
    U((uint64_t)T0);
    M(1); S("service"); S("api");
    DECODE_OK(ev);
    CHECK_EQ(ev.ts, T0_NS);
}

/* Fluent Bit >= 2.1: [[TIMESTAMP, METADATA], MESSAGE] */
static void fluentbit_v2_body(void)
{
    fl_event ev;
    A(2);
    A(2); ET((uint32_t)T0, 5); M(0);
    M(2); S("service"); S("cart"); S("status"); I(502);
    DECODE_OK(ev);
    CHECK_EQ(ev.ts, T0_NS + 5);
    CHECK_FLSTR(ev.service, "cart");
    CHECK_EQ(ev.status, 502);

    /* metadata with content (and nested values) is skipped */
    pk_reset();
    A(2);
    A(2); ET((uint32_t)T0, 0);
    M(2); S("otlp"); M(1); S("service"); S("not-this"); S("tags"); A(2); S("a"); S("b");
    M(2); S("service"); S("cart"); S("msg"); S("ok");
    DECODE_OK(ev);
    CHECK_FLSTR(ev.service, "cart");
    CHECK_FLSTR(ev.msg, "ok");
}

/* Fluentd's forward protocol, message mode: [tag, time, record, option] */
static void forward_message_mode_body(void)
{
    fl_event ev;
    A(3);
    S("app.api");
    ET((uint32_t)T0, 7);
    M(1); S("service"); S("api");
    DECODE_OK(ev);
    CHECK_EQ(ev.ts, T0_NS + 7);
    pk_reset();
    A(4);
    S("app.api");
    U((uint64_t)T0);
    M(1); S("service"); S("api");
    M(1); S("chunk"); S("p8n9gmxTQVC8/nh2wlKKeQ==");
    DECODE_OK(ev);
    CHECK_EQ(ev.ts, T0_NS);
    /* the tag must be a string */
    pk_reset();
    A(3); I(1); U((uint64_t)T0); M(1); S("service"); S("api");
    CHECK_REJECT(FL_BAD_SYNTAX);
}

/* the msgpack timestamp extension, all three sizes (spec.md) */
static void timestamp_extension_body(void)
{
    static const struct {
        int64_t sec;
        uint32_t nsec;
    } cases[] = {
        {T0, 0},          /* timestamp 32 */
        {T0, 999999999},  /* timestamp 64 */
        {4294967296LL + 1000, 1}, /* beyond 32 bits: 64 */
    };
    for (size_t i = 0; i < FL_ARRAY_LEN(cases); i++) {
        pk_reset();
        A(2);
        TSX(cases[i].sec, cases[i].nsec);
        M(1); S("service"); S("api");
        fl_event ev;
        fl_bad_reason why;
        bool ok = decode_packed(&ev, &why);
        if (cases[i].sec < 4102444800LL) {
            CHECK_MSG(ok, "case %zu rejected (%s)", i, fl_bad_reason_name(why));
            if (ok)
                CHECK_EQ(ev.ts, cases[i].sec * FL_NS_PER_SEC + cases[i].nsec);
        } else {
            CHECK(!ok && why == FL_BAD_TIMESTAMP); /* year 2106 */
        }
    }
    /* timestamp 96 by hand: nanoseconds, then int64 seconds */
    pk_reset();
    static const unsigned char t96[] = {
        0x92, 0xc7, 12, 0xff, 0, 0, 0, 42,
        0, 0, 0, 0, 0x65, 0xed, 0xa8, 0xf0,
        0x81, 0xa7, 's', 'e', 'r', 'v', 'i', 'c', 'e', 0xa3, 'a', 'p', 'i'};
    RAW(t96, sizeof t96);
    fl_event ev;
    DECODE_OK(ev);
    CHECK_EQ(ev.ts, T0_NS + 42);
    /* an EventTime with nanoseconds >= 1e9, other extension types */
    pk_reset();
    A(2); ET((uint32_t)T0, 1000000000u); M(1); S("service"); S("api");
    CHECK_REJECT(FL_BAD_TIMESTAMP);
    pk_reset();
    unsigned char b[8] = {0};
    A(2); msgpack_pack_ext_with_body(&pk, b, 8, 5); M(1); S("service"); S("api");
    CHECK_REJECT(FL_BAD_TIMESTAMP);
}

/* a time in the map is the application's; it wins over the record's */
static void map_time_wins_body(void)
{
    fl_event ev;
    A(2);
    ET((uint32_t)T0 + 60, 0); /* when the shipper read it */
    M(2); S("ts"); S("2024-03-10T12:34:56Z"); S("service"); S("api");
    DECODE_OK(ev);
    CHECK_EQ(ev.ts, T0_NS);
    /* a record without a time of its own, and no map time */
    pk_reset();
    A(2); NIL(); M(1); S("service"); S("api");
    CHECK_REJECT(FL_BAD_NO_TIMESTAMP);
}

/* strings: every str width, bin as text, NULs, invalid UTF-8 */
static void strings_body(void)
{
    fl_event ev;
    char big[300];
    memset(big, 'x', sizeof big);
    M(3);
    S("ts"); S("2024-03-10T12:34:56Z");
    S("service"); S("api");
    S("msg"); SN(big, sizeof big); /* str16 */
    DECODE_OK(ev);
    CHECK_EQ(ev.msg.n, sizeof big);

    /* bin, as old encoders wrote every string */
    pk_reset();
    M(2);
    S("ts"); S("2024-03-10T12:34:56Z");
    S("service"); msgpack_pack_bin(&pk, 4); msgpack_pack_bin_body(&pk, "cart", 4);
    DECODE_OK(ev);
    CHECK_FLSTR(ev.service, "cart");

    /* a NUL becomes U+FFFD, as JSON's \u0000 */
    pk_reset();
    M(3);
    S("ts"); S("2024-03-10T12:34:56Z");
    S("service"); S("api");
    S("msg"); SN("a\0b", 3);
    DECODE_OK(ev);
    CHECK_FLSTR(ev.msg, "a\xEF\xBF\xBD" "b");

    /* invalid UTF-8 in a kept field is refused; in another, ignored */
    pk_reset();
    M(3);
    S("ts"); S("2024-03-10T12:34:56Z");
    S("service"); S("api");
    S("msg"); SN("\xff\xfe", 2);
    CHECK_REJECT(FL_BAD_UTF8);
    pk_reset();
    M(3);
    S("ts"); S("2024-03-10T12:34:56Z");
    S("service"); S("api");
    S("other"); SN("\xff\xfe", 2);
    DECODE_OK(ev);
}

/* keys that are not strings, arrays at known keys, unknown maps */
static void odd_keys_body(void)
{
    fl_event ev;
    M(6);
    I(1); S("one");                   /* an integer key */
    A(1); I(2); S("two");             /* an array as a key */
    S("ts"); S("2024-03-10T12:34:56Z");
    S("service"); S("api");
    S("status"); A(2); I(500); I(501); /* an array: not a status */
    S("kubernetes"); M(2); S("pod_name"); S("api-7d9f"); S("labels"); M(1); S("app"); S("api");
    DECODE_OK(ev);
    CHECK_EQ(ev.status, 0);
    CHECK_FLSTR(ev.service, "api");
}

static void value_rejects_body(void)
{
    /* NaN latency: no duration */
    M(3); S("ts"); S("2024-03-10T12:34:56Z"); S("service"); S("api");
    S("latency_ms"); D(NAN);
    CHECK_REJECT(FL_BAD_VALUE);
    pk_reset();
    M(3); S("ts"); S("2024-03-10T12:34:56Z"); S("service"); S("api");
    S("status"); I(99);
    CHECK_REJECT(FL_BAD_VALUE);
    pk_reset();
    M(3); S("ts"); S("2024-03-10T12:34:56Z"); S("service"); S("api");
    S("status"); msgpack_pack_true(&pk);
    CHECK_REJECT(FL_BAD_VALUE);
    /* a status as a string is a number still */
    pk_reset();
    M(3); S("ts"); S("2024-03-10T12:34:56Z"); S("service"); S("api");
    S("status"); S("503");
    fl_event ev;
    DECODE_OK(ev);
    CHECK_EQ(ev.status, 503);
    pk_reset();
    M(2); S("ts"); I(-5); S("service"); S("api");
    CHECK_REJECT(FL_BAD_TIMESTAMP);
    pk_reset();
    M(1); S("service"); S("api");
    CHECK_REJECT(FL_BAD_NO_TIMESTAMP);
    pk_reset();
    M(1); S("ts"); S("2024-03-10T12:34:56Z");
    CHECK_REJECT(FL_BAD_NO_SERVICE);
    pk_reset();
    M(2); S("ts"); S("2024-03-10T12:34:56Z"); S("service"); I(7);
    CHECK_REJECT(FL_BAD_NO_SERVICE);
}

static void shape_rejects_body(void)
{
    /* scalars and arrays of other shapes are no records */
    I(5);
    CHECK_REJECT(FL_BAD_SYNTAX);
    pk_reset();
    S("{\"ts\":1}");
    CHECK_REJECT(FL_BAD_SYNTAX);
    pk_reset();
    A(1); M(1); S("service"); S("api");
    CHECK_REJECT(FL_BAD_SYNTAX);
    pk_reset();
    A(2); U((uint64_t)T0); S("not a map");
    CHECK_REJECT(FL_BAD_SYNTAX);
    pk_reset();
    A(2); A(0); M(1); S("service"); S("api"); /* [[], map] */
    CHECK_REJECT(FL_BAD_SYNTAX);
    pk_reset();
    A(5); I(1); I(2); I(3); I(4); I(5);
    CHECK_REJECT(FL_BAD_SYNTAX);
    /* bytes after the object */
    pk_reset();
    M(2); S("ts"); U((uint64_t)T0); S("service"); S("api"); I(1);
    CHECK_REJECT(FL_BAD_SYNTAX);
    /* 0xc1 is never used */
    pk_reset();
    static const unsigned char c1[] = {0x81, 0xa1, 'a', 0xc1};
    RAW(c1, sizeof c1);
    CHECK_REJECT(FL_BAD_SYNTAX);
    /* empty */
    pk_reset();
    CHECK_REJECT(FL_BAD_SYNTAX);
}

static void truncated_body(void)
{
    M(2); S("ts"); U((uint64_t)T0); S("service"); S("api");
    size_t full = sb.size;
    for (size_t cut = 1; cut < full; cut++) {
        fl_event ev;
        fl_bad_reason why;
        char *b = malloc(cut + 1);
        memcpy(b, sb.data, cut);
        b[cut] = '\0';
        bool ok = fl_msgpack_decode(dec, (fl_str){b, cut}, &ev, &why);
        CHECK_MSG(!ok && why == FL_BAD_TRUNCATED, "cut at %zu: %s", cut,
                  ok ? "accepted" : fl_bad_reason_name(why));
        free(b);
    }
}

static void too_deep_body(void)
{
    /* {"a": {"a": ... 30 deep */
    M(3); S("ts"); U((uint64_t)T0); S("service"); S("api"); S("a");
    for (int i = 0; i < 30; i++) {
        M(1);
        S("a");
    }
    I(1);
    CHECK_REJECT(FL_BAD_TOO_DEEP);
    /* 20 deep is fine */
    pk_reset();
    M(3); S("ts"); U((uint64_t)T0); S("service"); S("api"); S("a");
    for (int i = 0; i < 20; i++) {
        A(1);
    }
    I(1);
    fl_event ev;
    DECODE_OK(ev);
    /* deep arrays too, at any position */
    pk_reset();
    A(2); U((uint64_t)T0);
    for (int i = 0; i < 40; i++)
        A(1);
    CHECK_REJECT(FL_BAD_TOO_DEEP);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* 5 bytes that declare 4 GiB: refused at once, nothing allocated by it */
static void hostile_headers_body(void)
{
    static const unsigned char hostile[][9] = {
        {0xdd, 0xff, 0xff, 0xff, 0xff},       /* array32 of 4G elements */
        {0xdf, 0xff, 0xff, 0xff, 0xff},       /* map32 of 4G pairs */
        {0x81, 0xa1, 'a', 0xdb, 0xff, 0xff, 0xff, 0xff}, /* str32 of 4 GiB */
        {0x81, 0xa1, 'a', 0xc6, 0xff, 0xff, 0xff, 0xff}, /* bin32 */
        {0x81, 0xa1, 'a', 0xc9, 0xff, 0xff, 0xff, 0xff, 0x00}, /* ext32 */
        {0x92, 0xdd, 0x7f, 0xff, 0xff, 0xff}, /* nested array32 */
    };
    static const size_t len[] = {5, 5, 8, 8, 9, 6};
    double t0 = now_s();
    for (size_t i = 0; i < FL_ARRAY_LEN(hostile); i++) {
        fl_event ev;
        fl_bad_reason why;
        char b[16];
        memcpy(b, hostile[i], len[i]);
        b[len[i]] = '\0';
        bool ok = fl_msgpack_decode(dec, (fl_str){b, len[i]}, &ev, &why);
        CHECK_MSG(!ok && why == FL_BAD_TRUNCATED, "case %zu: %s", i,
                  ok ? "accepted" : fl_bad_reason_name(why));
        /* and as a stream: one rejection, then the end; a record header
         * whose count cannot fit the cap is refused on sight as too long
         * (the stream resynchronises after it) */
        fl_source *src = fl_source_open_mem("h", b, len[i], 65536);
        fl_msgpack_stream *ms = fl_msgpack_stream_new(src, 65536);
        fl_str obj;
        CHECK_EQ(fl_msgpack_stream_next(ms, &obj, &why), FL_LINE_BAD);
        CHECK_EQ(why, i < 2 ? FL_BAD_TOO_LONG : FL_BAD_TRUNCATED);
        CHECK_EQ(fl_msgpack_stream_next(ms, &obj, &why), FL_LINE_EOF);
        fl_msgpack_stream_destroy(ms);
        fl_source_destroy(src);
    }
    CHECK_LT(now_s() - t0, 0.5);
}

/* A 5-byte record header declaring 4 Gi entries in the middle of a stream
 * costs one count (too long), and every record after it still decodes. */
static void hostile_header_mid_stream(void)
{
    static const unsigned char rec[] = {0x82, 0xa2, 't', 's', 0xce, 0x65, 0xed,
                                        0xa9, 0x00, 0xa7, 's', 'e', 'r', 'v',
                                        'i', 'c', 'e', 0xa3, 'a', 'p', 'i'};
    static const unsigned char heads[][5] = {
        {0xdf, 0xff, 0xff, 0xff, 0xff}, {0xdd, 0xff, 0xff, 0xff, 0xff},
        {0xde, 0xff, 0xff, 0, 0},      {0xdc, 0xff, 0xff, 0, 0}};
    for (size_t h = 0; h < FL_ARRAY_LEN(heads); h++) {
        size_t hl = heads[h][0] & 1 ? 5 : 3;
        /* 3000 records (63 KB) before and after: the header lands at
         * varying buffer offsets */
        size_t n = 6000 * sizeof rec + hl;
        unsigned char *b = malloc(n);
        size_t o = 0;
        for (int i = 0; i < 3000; i++, o += sizeof rec)
            memcpy(b + o, rec, sizeof rec);
        memcpy(b + o, heads[h], hl);
        o += hl;
        for (int i = 0; i < 3000; i++, o += sizeof rec)
            memcpy(b + o, rec, sizeof rec);
        fl_source *src = fl_source_open_mem("h", b, n, 65536);
        fl_msgpack_stream *ms = fl_msgpack_stream_new(src, 65536);
        fl_str obj;
        fl_bad_reason why = FL_BAD__COUNT;
        unsigned good = 0, bad = 0;
        fl_line_status st;
        while ((st = fl_msgpack_stream_next(ms, &obj, &why)) != FL_LINE_EOF) {
            if (st == FL_LINE_OK)
                good++;
            else if (st == FL_LINE_BAD && why == FL_BAD_TOO_LONG)
                bad++;
            else
                break;
        }
        CHECK_EQ(st, FL_LINE_EOF);
        CHECK_MSG(good == 6000 && bad == 1, "header %zu: %u good, %u bad", h,
                  good, bad);
        fl_msgpack_stream_destroy(ms);
        fl_source_destroy(src);
        free(b);
    }
}

/* ----------------------------------------------------------- the sniffer */

static void sniff_body(void)
{
    static const char *const text[] = {
        "{\"ts\":1}", " {\"ts\":1}", "[1,2]", "ts=1 service=api",
        "127.0.0.1 - - [10/Mar/2024:12:34:56 +0000] \"GET / HTTP/1.1\" 200",
        "<34>1 2024-03-10T12:34:56Z host app - - - msg",
        "\xdc\x80\xdc\x81 Syriac text", /* UTF-8 U+0700 */
        "\xde\xb0 Thaana",              /* UTF-8 U+07B0 */
        "\xdc" "ber das Wetter",        /* Latin-1 "Über": no msgpack */
        "", "cpu,host=a usage=1 1710074096000000000",
    };
    for (size_t i = 0; i < FL_ARRAY_LEN(text); i++)
        CHECK_MSG(!fl_msgpack_sniff(fl_str_c(text[i])), "matched: %s",
                  text[i]);
    M(1); S("service"); S("api");
    CHECK(fl_msgpack_sniff(packed()));
    pk_reset();
    A(2); U((uint64_t)T0); M(0);
    CHECK(fl_msgpack_sniff(packed()));
    /* map16: a record with 16+ keys */
    pk_reset();
    M(16);
    for (int i = 0; i < 16; i++) {
        char k[16];
        snprintf(k, sizeof k, "k%d", i);
        S(k);
        I(i);
    }
    CHECK_EQ((unsigned char)sb.data[0], 0xde);
    CHECK(fl_msgpack_sniff(packed()));
    CHECK(fl_msgpack_stream_sniff(sb.data, sb.size));
    /* truncated map16: not a record to the line sniffer */
    CHECK(!fl_msgpack_sniff((fl_str){sb.data, sb.size - 1}));
    /* a scalar is no record */
    pk_reset();
    I(1);
    CHECK(!fl_msgpack_sniff(packed()));
}

/* auto: msgpack records beside JSON lines; binary messages */
static void auto_decodes_msgpack_body(void)
{
    fl_decoder *au = fl_decoder_new(FL_FORMAT_AUTO);
    A(2); ET((uint32_t)T0, 1); M(2); S("service"); S("api"); S("msg"); S("x\n");
    free(line_copy);
    line_copy = malloc(sb.size + 1);
    memcpy(line_copy, sb.data, sb.size);
    line_copy[sb.size] = '\0';
    fl_event ev;
    fl_bad_reason why;
    CHECK(fl_decode_line(au, (fl_str){line_copy, sb.size}, fl_str_c("t"), &ev,
                         &why));
    CHECK_EQ(ev.ts, T0_NS + 1);
    CHECK_FLSTR(ev.msg, "x\n");
    /* the last byte is 0x0a: a consumer must not strip it */
    CHECK_EQ(line_copy[sb.size - 1], '\n');
    CHECK(fl_decoder_binary(au, line_copy, sb.size));
    CHECK(!fl_decoder_binary(au, "{\"a\":1}\n", 8));
    CHECK(fl_decoder_binary(dec, "{\"a\":1}\n", 8));
    fl_decoder *js = fl_decoder_new(FL_FORMAT_JSON);
    CHECK(!fl_decoder_binary(js, line_copy, sb.size));
    fl_decoder_destroy(js);
    const char *j = "{\"ts\":\"2024-03-10T12:34:56Z\",\"service\":\"api\"}";
    CHECK(fl_decode_line(au, fl_str_c(j), fl_str_c("t"), &ev, &why));
    CHECK_EQ(ev.ts, T0_NS);
    fl_format f;
    CHECK(fl_format_parse("msgpack", &f) && f == FL_FORMAT_MSGPACK);
    CHECK(strstr(fl_format_names(), "msgpack") != NULL);
    CHECK_STR(fl_bad_reason_name(FL_BAD_TRUNCATED), "truncated");
    fl_decoder_destroy(au);
}

/* ------------------------------------------------------------- streams */

typedef struct {
    uint64_t ok, bad[FL_BAD__COUNT];
    fl_time first_ts, last_ts;
    fl_line_status end;
} stream_result;

static stream_result run_stream(const void *data, size_t n, size_t max_obj)
{
    stream_result r;
    memset(&r, 0, sizeof r);
    r.first_ts = r.last_ts = FL_TIME_NONE;
    fl_source *src = fl_source_open_mem("s", data, n, max_obj);
    fl_msgpack_stream *ms = fl_msgpack_stream_new(src, max_obj);
    fl_decoder *d = fl_decoder_new(FL_FORMAT_MSGPACK);
    for (;;) {
        fl_str obj;
        fl_bad_reason why;
        fl_line_status st = fl_msgpack_stream_next(ms, &obj, &why);
        if (st == FL_LINE_EOF || st == FL_LINE_ERROR) {
            r.end = st;
            break;
        }
        if (st == FL_LINE_BAD) {
            r.bad[why]++;
            continue;
        }
        CHECK_EQ(obj.p[obj.n], '\0');
        fl_event ev;
        if (fl_msgpack_decode(d, obj, &ev, &why)) {
            r.ok++;
            if (r.first_ts == FL_TIME_NONE)
                r.first_ts = ev.ts;
            r.last_ts = ev.ts;
        } else {
            r.bad[why]++;
        }
    }
    fl_decoder_destroy(d);
    fl_msgpack_stream_destroy(ms);
    fl_source_destroy(src);
    return r;
}

/* record i of a test stream, in one of the shapes by i */
static void pack_record(uint64_t i)
{
    uint32_t sec = (uint32_t)(T0 + (int64_t)(i / 10));
    uint32_t ns = (uint32_t)(i % 10) * 100000000u;
    switch (i % 4) {
    case 0: A(2); ET(sec, ns); break;
    case 1: A(2); A(2); ET(sec, ns); M(0); break;
    case 2: A(3); S("tag"); ET(sec, ns); break;
    default: break;
    }
    M(i % 4 == 3 ? 4 : 3);
    if (i % 4 == 3) {
        S("ts");
        U((uint64_t)sec * 1000 + ns / 1000000);
    }
    S("service"); S(i % 2 ? "api" : "cart");
    S("status"); I(i % 7 ? 200 : 503);
    /* messages of varying length, some with newlines and 0x0a bytes */
    char m[200];
    size_t mn = 10 + (size_t)(i * 37 % 150);
    for (size_t k = 0; k < mn; k++)
        m[k] = (char)('a' + (i + k) % 26);
    if (i % 5 == 0)
        m[mn / 2] = '\n';
    S("msg"); SN(m, mn);
}

static void stream_concatenated_body(void)
{
    /* ~6 MiB: objects straddle every read boundary */
    const uint64_t N = 60000;
    for (uint64_t i = 0; i < N; i++)
        pack_record(i);
    CHECK_GT(sb.size, (size_t)5 << 20);
    stream_result r = run_stream(sb.data, sb.size, 4096);
    CHECK_EQ(r.ok, N);
    for (int k = 0; k < FL_BAD__COUNT; k++)
        CHECK_MSG(r.bad[k] == 0, "%llu %s", (unsigned long long)r.bad[k],
                  fl_bad_reason_name((fl_bad_reason)k));
    CHECK_EQ(r.end, FL_LINE_EOF);
    CHECK_EQ(r.first_ts, T0_NS);
    CHECK_EQ(r.last_ts, (T0 + (int64_t)((N - 1) / 10)) * FL_NS_PER_SEC +
                            (int64_t)((N - 1) % 10) * 100000000);

    /* the same compressed, through the .zst path */
    size_t cap = ZSTD_compressBound(sb.size), zn;
    void *z = malloc(cap);
    zn = ZSTD_compress(z, cap, sb.data, sb.size, 3);
    REQUIRE(!ZSTD_isError(zn));
    stream_result rz = run_stream(z, zn, 4096);
    CHECK_EQ(rz.ok, N);
    CHECK_EQ(rz.end, FL_LINE_EOF);
    /* truncated archive: the complete objects, then the error */
    stream_result rt = run_stream(z, zn / 2, 4096);
    CHECK_GT(rt.ok, N / 4);
    CHECK_LT(rt.ok, N);
    CHECK_EQ(rt.end, FL_LINE_ERROR);
    free(z);
}

static void stream_damage_body(void)
{
    pack_record(0);
    static const unsigned char junk[] = {0x01, 0x02, 'j', 'u', 'n', 'k', 0xc1};
    RAW(junk, sizeof junk);  /* stray bytes: one rejection for the stretch */
    pack_record(1);
    static const unsigned char bad[] = {0x82, 0xa1, 'a', 0xc1};
    RAW(bad, sizeof bad);    /* an invalid byte inside a record */
    pack_record(2);
    /* too deep: 30 nested arrays */
    for (int i = 0; i < 30; i++)
        A(1);
    I(0);
    pack_record(3);
    A(2); U((uint64_t)T0); M(0); /* structurally fine, no service */
    pack_record(4);
    M(1); S("ts");           /* cut off at the end */
    stream_result r = run_stream(sb.data, sb.size, 4096);
    CHECK_EQ(r.ok, 5);
    /* the junk, the 0xc1, and the 5 arrays left after the 25th level
     * refused: they form an object of their own ([[[[[0]]]]]), no record */
    CHECK_EQ(r.bad[FL_BAD_SYNTAX], 3);
    CHECK_EQ(r.bad[FL_BAD_TOO_DEEP], 1);
    CHECK_EQ(r.bad[FL_BAD_NO_SERVICE], 1);
    CHECK_EQ(r.bad[FL_BAD_TRUNCATED], 1);
    CHECK_EQ(r.end, FL_LINE_EOF);
}

/* an object over the cap is skipped whole, in bounded memory */
static void stream_too_long_body(void)
{
    pack_record(0);
    M(3); S("ts"); U((uint64_t)T0); S("service"); S("api");
    S("msg");
    size_t big = (size_t)3 << 20; /* 3 MiB: over the 1 MiB buffer */
    char *m = malloc(big);
    memset(m, 'y', big);
    SN(m, big);
    free(m);
    pack_record(1);
    stream_result r = run_stream(sb.data, sb.size, 65536);
    CHECK_EQ(r.ok, 2);
    CHECK_EQ(r.bad[FL_BAD_TOO_LONG], 1);
    CHECK_EQ(r.end, FL_LINE_EOF);
    /* one exactly at the cap is kept */
    pk_reset();
    M(2); S("service"); S("api"); S("ts");
    size_t at_cap = 65536 - sb.size;
    m = malloc(at_cap);
    memset(m, '1', at_cap);
    SN(m, at_cap - 3); /* header of a str16 is 3 bytes */
    free(m);
    REQUIRE_EQ(sb.size, 65536);
    pack_record(1);
    r = run_stream(sb.data, sb.size, 65536);
    CHECK_EQ(r.ok, 1); /* the first has no usable time: decoded bad */
    CHECK_EQ(r.bad[FL_BAD_TIMESTAMP], 1);
    CHECK_EQ(r.bad[FL_BAD_TOO_LONG], 0);
}

/* ---------------------------------- the scanner against msgpack-c's */

static void pack_random(unit_rng *rng, int depth)
{
    uint64_t k = unit_rng_u64(rng) % (depth > 4 ? 9 : 12);
    switch (k) {
    case 0: NIL(); break;
    case 1: msgpack_pack_true(&pk); break;
    case 2: I(-(int64_t)(unit_rng_u64(rng) >> (unit_rng_u64(rng) % 64))); break;
    case 3: U(unit_rng_u64(rng) >> (unit_rng_u64(rng) % 64)); break;
    case 4: D(unit_rng_unif(rng)); break;
    case 5: msgpack_pack_float(&pk, (float)unit_rng_unif(rng)); break;
    case 6: {
        /* now and then past 65535 bytes: str32 */
        size_t n = unit_rng_u64(rng) % 60 == 0 ? 65536 + unit_rng_u64(rng) % 9000
                   : unit_rng_u64(rng) % 4 == 0 ? unit_rng_u64(rng) % 400
                                                : unit_rng_u64(rng) % 40;
        char *s = malloc(n + 1);
        memset(s, 'z', n);
        SN(s, n);
        free(s);
        break;
    }
    case 7: {
        size_t n = unit_rng_u64(rng) % 20;
        unsigned char b[20] = {0};
        msgpack_pack_ext_with_body(&pk, b, n, (int8_t)(unit_rng_u64(rng) % 128));
        break;
    }
    case 8: TSX((int64_t)(unit_rng_u64(rng) % 10000000000ULL),
                (uint32_t)(unit_rng_u64(rng) % 1000000000u)); break;
    case 9: case 10: {
        size_t n = unit_rng_u64(rng) % 20;
        A(n);
        for (size_t i = 0; i < n; i++)
            pack_random(rng, depth + 1);
        break;
    }
    default: {
        size_t n = unit_rng_u64(rng) % 20;
        M(n);
        for (size_t i = 0; i < 2 * n; i++)
            pack_random(rng, depth + 1);
    }
    }
}

static void scanner_matches_msgpack_c_body(void)
{
    unit_rng rng;
    unit_rng_seed(&rng, 42);
    msgpack_unpacked up;
    msgpack_unpacked_init(&up);
    size_t nobj = 0;
    for (int i = 0; i < 300; i++) {
        A(2);
        pack_random(&rng, 1);
        pack_random(&rng, 1);
        nobj++;
    }
    /* every object ends where msgpack-c says it ends: the stream sees each
     * one (as a record or a rejection of its shape), nothing more */
    size_t off = 0, count = 0;
    while (msgpack_unpack_next(&up, sb.data, sb.size, &off) ==
           MSGPACK_UNPACK_SUCCESS)
        count++;
    CHECK_EQ(count, nobj);
    CHECK_EQ(off, sb.size);
    size_t cap = sb.size; /* no object is too long */
    fl_source *src = fl_source_open_mem("r", sb.data, sb.size, cap);
    fl_msgpack_stream *ms = fl_msgpack_stream_new(src, cap);
    off = 0;
    size_t seen = 0;
    for (;;) {
        fl_str obj;
        fl_bad_reason why;
        fl_line_status st = fl_msgpack_stream_next(ms, &obj, &why);
        if (st != FL_LINE_OK) {
            CHECK_MSG(st == FL_LINE_EOF, "status %d, %s", st,
                      st == FL_LINE_BAD ? fl_bad_reason_name(why) : "");
            break;
        }
        size_t o2 = off;
        REQUIRE(msgpack_unpack_next(&up, sb.data, sb.size, &o2) ==
                MSGPACK_UNPACK_SUCCESS);
        CHECK_EQ(obj.n, o2 - off);
        CHECK(memcmp(obj.p, sb.data + off, obj.n) == 0);
        off = o2;
        seen++;
    }
    CHECK_EQ(seen, nobj);
    fl_msgpack_stream_destroy(ms);
    fl_source_destroy(src);
    msgpack_unpacked_destroy(&up);
}

/* ------------------------------------------------------------ the suite */

#define WITH_DECODER(name)                                                    \
    static void name(void)                                                    \
    {                                                                         \
        setup();                                                              \
        name##_body();                                                        \
        teardown();                                                           \
    }

WITH_DECODER(map_simple_keys)
WITH_DECODER(map_ecs_nested_and_flat)
WITH_DECODER(map_change_event)
WITH_DECODER(map_numeric_times)
WITH_DECODER(fluentbit_v1)
WITH_DECODER(fluentbit_v2)
WITH_DECODER(forward_message_mode)
WITH_DECODER(timestamp_extension)
WITH_DECODER(map_time_wins)
WITH_DECODER(strings)
WITH_DECODER(odd_keys)
WITH_DECODER(value_rejects)
WITH_DECODER(shape_rejects)
WITH_DECODER(truncated)
WITH_DECODER(too_deep)
WITH_DECODER(hostile_headers)
WITH_DECODER(sniff)
WITH_DECODER(auto_decodes_msgpack)
WITH_DECODER(stream_concatenated)
WITH_DECODER(stream_damage)
WITH_DECODER(stream_too_long)
WITH_DECODER(scanner_matches_msgpack_c)

static const unit_test tests[] = {
    UNIT_TEST(map_simple_keys),
    UNIT_TEST(map_ecs_nested_and_flat),
    UNIT_TEST(map_change_event),
    UNIT_TEST(map_numeric_times),
    UNIT_TEST(fluentbit_v1),
    UNIT_TEST(fluentbit_v2),
    UNIT_TEST(forward_message_mode),
    UNIT_TEST(timestamp_extension),
    UNIT_TEST(map_time_wins),
    UNIT_TEST(strings),
    UNIT_TEST(odd_keys),
    UNIT_TEST(value_rejects),
    UNIT_TEST(shape_rejects),
    UNIT_TEST(truncated),
    UNIT_TEST(too_deep),
    UNIT_TEST(hostile_headers), UNIT_TEST(hostile_header_mid_stream),
    UNIT_TEST(sniff),
    UNIT_TEST(auto_decodes_msgpack),
    UNIT_TEST(stream_concatenated),
    UNIT_TEST(stream_damage),
    UNIT_TEST(stream_too_long),
    UNIT_TEST(scanner_matches_msgpack_c),
};
UNIT_SUITE(unit_suite_msgpack, "msgpack", tests);
