/*
 * pattern.c - formats described by a PCRE2 regex whose named groups are
 * event fields: the built-in access-log and syslog formats, and the
 * patterns the configuration defines.
 *
 * Named groups: any key of the JSON table (json.c: ts/time/timestamp,
 * service, level, status, latency_ms/duration_ms, msg/message, upstream,
 * version, kind, change_id, author) fills that field as text, validated by
 * fl_json_event exactly as the JSON decoder validates it; and
 *   latency_s  seconds (nginx $request_time): latency_ms = 1000 x it
 *   pri        a syslog priority 0..191: the level from its severity
 *              (0-2 fatal, 3 error, 4 warn, 5-6 info, 7 debug), and the
 *              pattern's msg, when it is itself a JSON object or logfmt,
 *              is decoded and its fields fill the event; the pattern's own
 *              captures then only fill what the message lacks (a message
 *              counts as JSON or logfmt when it parses as such and names
 *              at least one field; anything else is a plain message)
 *   path       a request path: the event's path (without the query);
 *              when nothing else names the service, its first segment
 *              does ("/cart/items?x=1" -> "cart")
 *   method     recognised and ignored, like any other name
 * A capture of exactly "-" is absent (nginx, Apache and RFC 5424 write it
 * for a missing value); so is an empty one, except for msg.
 *
 * The service: a `service` capture (or the inner message's); else the
 * pattern's fixed service (from the configuration); else the first segment
 * of `path` (1..64 bytes of [A-Za-z0-9._~-], anything else is ignored);
 * else the caller's fallback (the file's base name, the Kafka topic).
 *
 * Timestamps: RFC 3339 and epoch numbers as everywhere (fl_time_parse),
 * Common Log Format's "10/Oct/2000:13:55:36 -0700", and RFC 3164's
 * "Oct 11 22:14:15" (optionally with a fraction), which is UTC and has no
 * year: after a previous event of the same decoder, the first year that
 * puts the time no more than 31 days before that event (logs run forward,
 * a month of disorder is tolerated, New Year's Eve rolls over); for a
 * decoder's first event, the reference year (fl_pattern_set_reference_year)
 * or, by default, the wall clock's year unless that puts the time more
 * than 31 days into the future (then the year before). A replay of an old
 * archive needs the reference year to be byte-identical in later years.
 *
 * Cost: every match runs under a match limit, a depth and heap limit
 * (interpreter) and a bounded JIT stack, so a catastrophic pattern such as
 * ^(a+)+$ on a 30 KB hostile line gives up in a few milliseconds and the
 * line is counted as pattern_limit. Lines are checked as UTF-8 once and
 * matched with PCRE2_NO_UTF_CHECK; a decoder owns its match data, match
 * context and JIT stack (created once, no allocation per line); compiled
 * patterns are shared and never freed (a redefinition adds an entry).
 */
#define _POSIX_C_SOURCE 200809L
#define PCRE2_CODE_UNIT_WIDTH 8
#include "ingest_int.h"

#include <pcre2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_PATTERNS 256
#define MAX_GROUPS_PER_ROLE 4 /* duplicate names: (?J) or (?| branches */
/* Limits per line. A linear pattern needs a few match-limit units per
 * byte; 64 KiB lines (the default --max-line) stay far below. */
#ifndef FL_PATTERN_MATCH_LIMIT /* -D for experiments */
#define FL_PATTERN_MATCH_LIMIT 1000000u
#endif
#define MATCH_LIMIT FL_PATTERN_MATCH_LIMIT
#define DEPTH_LIMIT 100000u /* interpreter only (no JIT) */
#define HEAP_LIMIT_KIB 65536u
#define JIT_STACK_START (32u * 1024)
#define JIT_STACK_MAX (4096u * 1024) /* enough for 64 KiB of (a|b)* */

/* Roles besides the JSON fields (which use their field number). */
enum {
    R_LAT_S = F__COUNT,
    R_PRI,
    R_PATH,
    R__COUNT
};

typedef struct {
    char *name, *regex;
    fl_str fixed_service; /* .n == 0: none */
    pcre2_code *code;
    bool jit;
    uint8_t ngroups[R__COUNT];
    uint16_t groups[R__COUNT][MAX_GROUPS_PER_ROLE];
} pattern;

typedef struct {
    const pattern *pat;
    pcre2_match_data *md;
    pcre2_match_context *mctx;
    pcre2_jit_stack *js;
    fl_time prev_ts; /* the last event's time, for years (RFC 3164) */
    bool own;        /* prev_ts is this batch's or was handed on
                      * (fl_decoder_history_*); false: inherited */
    char tsbuf[24];  /* a converted time as decimal nanoseconds */
    /* the last CLF time converted ("22/Nov/2026:10:00:00 +0000"), and its
     * conversion: busy access logs repeat the same second many times */
    char clf_key[40], clf_buf[24];
    size_t clf_key_n;
    fl_str clf_val;
} pstate;

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t builtin_once = PTHREAD_ONCE_INIT;
static pattern *reg[MAX_PATTERNS];
static int nreg;
static int reference_year; /* 0: the wall clock */

/* ------------------------------------------------------------ built-ins */

/* A quoted field with backslash escapes (Apache writes \" and \\, nginx
 * \xHH): an unrolled, possessive loop, linear in the field's length. */
#define QSTR "\"(?:[^\"\\\\]++|\\\\.)*+\""

/* $remote_addr - $remote_user [$time_local] "$request" $status
 * $body_bytes_sent, then "$http_referer" "$http_user_agent" (combined),
 * then $request_time (seconds) when the log_format adds it; anything
 * after that (nginx's "main" adds "$http_x_forwarded_for") is ignored. */
#define ACCESS_HEAD                                                           \
    "^(?<remote_addr>\\S++) (?<ident>\\S++) (?<remote_user>\\S++) "           \
    "\\[(?<ts>[^\\]]++)\\] "                                                  \
    "\"(?<msg>(?:(?<method>[A-Z]{1,20}+) (?<path>[^ \"\\\\]++))?"             \
    "(?:[^\"\\\\]++|\\\\.)*+)\" "                                             \
    "(?<status>\\d{3}+) (?:\\d++|-)(?: " QSTR " " QSTR ")?"

static const char nginx_regex[] =
    ACCESS_HEAD "(?: (?<latency_s>\\d++(?:\\.\\d++)?+)(?= |$))?(?: .*)?$";
static const char apache_regex[] = ACCESS_HEAD "(?: .*)?$";

/* RFC 5424 (VERSION 1: TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD [MSG],
 * MSG possibly after a BOM) and RFC 3164 (TIMESTAMP HOSTNAME [TAG[pid]:]
 * MSG; the files rsyslog writes have no PRI, and may have an RFC 3339
 * time): a branch-reset group numbers ts, host, service and msg alike. */
static const char syslog_regex[] =
    "^(?:<(?<pri>\\d{1,3}+)>)?(?|"
    "1 (?<ts>\\S++) (?<host>\\S++) (?<service>\\S++) \\S++ \\S++ "
    "(?:-|(?:\\[(?:[^\\]\"\\\\]++|" QSTR "|\\\\.)*+\\])++)"
    "(?: \\x{FEFF}?+(?<msg>.*))?"
    "|"
    "(?<ts>[A-Z][a-z]{2} [ 0-9]\\d \\d\\d:\\d\\d:\\d\\d(?:\\.\\d{1,9}+)?+"
    "|\\d{4}-\\d\\d-\\d\\d[T ]\\S++) (?<host>\\S++) "
    "(?:(?<service>[^\\s:\\[\\]]++)(?:\\[[^\\]\\s]*+\\])?+: ?+)?+"
    "(?<msg>.*)"
    ")$";

static bool define_locked(const char *name, const char *regex,
                          const char *fixed, char *errstr, size_t errlen);

static void register_builtins(void)
{
    static const struct {
        const char *name, *regex;
    } b[] = {
        {"nginx", nginx_regex},
        {"apache", apache_regex},
        {"syslog", syslog_regex},
    };
    char err[256];
    pthread_mutex_lock(&reg_lock);
    for (size_t i = 0; i < FL_ARRAY_LEN(b); i++)
        if (!define_locked(b[i].name, b[i].regex, NULL, err, sizeof err)) {
            fprintf(stderr, "faultline: built-in pattern: %s\n", err);
            abort();
        }
    pthread_mutex_unlock(&reg_lock);
}

static void builtins(void)
{
    pthread_once(&builtin_once, register_builtins);
}

/* ------------------------------------------------------------- registry */

static int role_of(const char *name)
{
    if (strcmp(name, "latency_s") == 0)
        return R_LAT_S;
    if (strcmp(name, "pri") == 0)
        return R_PRI;
    if (strcmp(name, "path") == 0)
        return R_PATH;
    field f = fl_json_lookup(name, strlen(name));
    return f == F_NONE ? -1 : (int)f;
}

static bool valid_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.'))
            return false;
    }
    return true;
}

static bool valid_fixed_service(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 256 || !fl_utf8_valid(s, n))
        return false;
    bool visible = false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f)
            return false;
        if (c != ' ')
            visible = true;
    }
    return visible;
}

static bool define_locked(const char *name, const char *regex,
                          const char *fixed, char *errstr, size_t errlen)
{
    if (nreg == MAX_PATTERNS) {
        snprintf(errstr, errlen, "pattern %s: more than %d patterns defined",
                 name, MAX_PATTERNS);
        return false;
    }
    int ec;
    PCRE2_SIZE off;
    pcre2_code *code =
        pcre2_compile((PCRE2_SPTR)regex, PCRE2_ZERO_TERMINATED,
                      PCRE2_UTF | PCRE2_NEVER_BACKSLASH_C, &ec, &off, NULL);
    if (!code) {
        PCRE2_UCHAR msg[256];
        if (pcre2_get_error_message(ec, msg, sizeof msg) < 0)
            snprintf((char *)msg, sizeof msg, "error %d", ec);
        snprintf(errstr, errlen, "pattern %s: at offset %zu: %s", name,
                 (size_t)off, (const char *)msg);
        return false;
    }
    pattern *p = fl_calloc(1, sizeof *p);
    uint32_t count = 0, esize = 0;
    PCRE2_SPTR table = NULL;
    pcre2_pattern_info(code, PCRE2_INFO_NAMECOUNT, &count);
    pcre2_pattern_info(code, PCRE2_INFO_NAMEENTRYSIZE, &esize);
    pcre2_pattern_info(code, PCRE2_INFO_NAMETABLE, &table);
    for (uint32_t i = 0; i < count; i++) {
        const unsigned char *e = table + (size_t)i * esize;
        int role = role_of((const char *)e + 2);
        if (role >= 0 && p->ngroups[role] < MAX_GROUPS_PER_ROLE)
            p->groups[role][p->ngroups[role]++] =
                (uint16_t)((e[0] << 8) | e[1]);
    }
    if (!p->ngroups[F_TS]) {
        snprintf(errstr, errlen, "pattern %s: no named group for the time "
                 "(?<ts>...)", name);
        pcre2_code_free(code);
        free(p);
        return false;
    }
    p->jit = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0;
    p->code = code;
    p->name = fl_strndup(name, strlen(name));
    p->regex = fl_strndup(regex, strlen(regex));
    if (fixed) {
        char *f = fl_strndup(fixed, strlen(fixed));
        p->fixed_service = (fl_str){f, strlen(f)};
    }
    reg[nreg++] = p;
    return true;
}

bool fl_pattern_define(const char *name, const char *regex,
                       const char *fixed_service, char *errstr, size_t errlen)
{
    builtins();
    if (!name || !valid_name(name)) {
        snprintf(errstr, errlen, "pattern name \"%s\": use 1 to 64 letters, "
                 "digits, '_', '-' or '.'", name ? name : "");
        return false;
    }
    /* a format decoded otherwise cannot be replaced; nginx and syslog,
     * which decode through this registry, can */
    fl_format f;
    if (strcmp(name, "auto") == 0 ||
        (fl_format_parse(name, &f) && f < FL_FORMAT_PATTERN_BASE &&
         f != FL_FORMAT_NGINX && f != FL_FORMAT_SYSLOG)) {
        snprintf(errstr, errlen, "pattern %s: the name of a built-in format",
                 name);
        return false;
    }
    if (!regex) {
        snprintf(errstr, errlen, "pattern %s: no regex", name);
        return false;
    }
    if (fixed_service && !valid_fixed_service(fixed_service)) {
        snprintf(errstr, errlen, "pattern %s: service \"%s\" is not a usable "
                 "name", name, fixed_service);
        return false;
    }
    pthread_mutex_lock(&reg_lock);
    bool ok = define_locked(name, regex, fixed_service, errstr, errlen);
    pthread_mutex_unlock(&reg_lock);
    return ok;
}

static int find_locked(const char *name)
{
    for (int i = nreg - 1; i >= 0; i--) /* the newest definition */
        if (strcmp(reg[i]->name, name) == 0)
            return i;
    return -1;
}

int fl_pattern_find(const char *name)
{
    builtins();
    pthread_mutex_lock(&reg_lock);
    int i = find_locked(name);
    pthread_mutex_unlock(&reg_lock);
    return i;
}

const char *fl_pattern_regex(const char *name)
{
    int i = fl_pattern_find(name);
    return i < 0 ? NULL : reg[i]->regex;
}

const char *fl_pattern_name(int i)
{
    builtins();
    pthread_mutex_lock(&reg_lock);
    /* the i-th distinct name, in order of first definition */
    const char *r = NULL;
    for (int k = 0, seen = 0; k < nreg && !r; k++) {
        bool dup = false;
        for (int j = 0; j < k && !dup; j++)
            dup = strcmp(reg[j]->name, reg[k]->name) == 0;
        if (!dup && seen++ == i)
            r = reg[k]->name;
    }
    pthread_mutex_unlock(&reg_lock);
    return r;
}

void fl_pattern_set_reference_year(int year)
{
    reference_year = year >= 1970 && year <= 2200 ? year : 0;
}

/* -------------------------------------------------------- decoder state */

void *fl_pattern_state_new(int index)
{
    builtins();
    pthread_mutex_lock(&reg_lock);
    const pattern *pat = index >= 0 && index < nreg ? reg[index] : NULL;
    pthread_mutex_unlock(&reg_lock);
    if (!pat)
        return NULL;
    pstate *st = fl_calloc(1, sizeof *st);
    st->pat = pat;
    st->prev_ts = FL_TIME_NONE;
    st->md = pcre2_match_data_create_from_pattern(pat->code, NULL);
    st->mctx = pcre2_match_context_create(NULL);
    if (!st->md || !st->mctx) {
        fprintf(stderr, "faultline: out of memory (pcre2)\n");
        abort();
    }
    pcre2_set_match_limit(st->mctx, MATCH_LIMIT);
    pcre2_set_depth_limit(st->mctx, DEPTH_LIMIT);
    pcre2_set_heap_limit(st->mctx, HEAP_LIMIT_KIB);
    if (pat->jit) {
        st->js = pcre2_jit_stack_create(JIT_STACK_START, JIT_STACK_MAX, NULL);
        if (st->js)
            pcre2_jit_stack_assign(st->mctx, NULL, st->js);
        /* without it PCRE2 uses 32 KiB on the machine stack: still bounded */
    }
    return st;
}

void fl_pattern_free_state(void *state)
{
    pstate *st = state;
    if (!st)
        return;
    pcre2_match_data_free(st->md);
    pcre2_match_context_free(st->mctx);
    pcre2_jit_stack_free(st->js);
    free(st);
}

/* ---------------------------------------------------------------- time */

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static int year_of(fl_time t)
{
    int64_t z = t / FL_NS_PER_SEC / 86400 + 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    return (int)((int64_t)yoe + era * 400 + (mp >= 10));
}

static bool leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static bool num(const char *p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        v = v * 10 + (p[i] - '0');
    }
    *out = v;
    return true;
}

static int month_of(const char *p)
{
    static const char names[] = "janfebmaraprmayjunjulaugsepoctnovdec";
    char m[3];
    for (int i = 0; i < 3; i++) {
        char c = p[i];
        m[i] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
    }
    for (int i = 0; i < 12; i++)
        if (memcmp(names + 3 * i, m, 3) == 0)
            return i + 1;
    return 0;
}

static bool valid_date(int y, int mo, int d, int h, int mi, int s)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return mo >= 1 && mo <= 12 && d >= 1 && d <= mdays[mo - 1] &&
           !(mo == 2 && d == 29 && !leap(y)) && h <= 23 && mi <= 59 && s <= 60;
}

static fl_time make_time(int y, int mo, int d, int h, int mi, int s)
{
    if (s == 60)
        s = 59; /* a leap second folds into the one before, as fl_time_parse */
    int64_t secs = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
                   h * 3600 + mi * 60 + s;
    return secs * FL_NS_PER_SEC;
}

/* ".123" at p: nanoseconds; *len is how many bytes it took (0: none). */
static int64_t fraction(const char *p, const char *end, size_t *len)
{
    *len = 0;
    if (p >= end || *p != '.')
        return 0;
    int64_t ns = 0, scale = 100000000;
    size_t i = 1;
    while (p + i < end && p[i] >= '0' && p[i] <= '9' && i <= 9) {
        ns += (p[i] - '0') * scale;
        scale /= 10;
        i++;
    }
    if (i == 1)
        return 0;
    *len = i;
    return ns;
}

/* Common Log Format: "10/Oct/2000:13:55:36 -0700" (a fraction after the
 * seconds is allowed). */
static bool parse_clf(fl_str s, fl_time *out)
{
    const char *p = s.p, *end = s.p + s.n;
    int d, y, h, mi, sec, oh, om;
    if (s.n < 26 || !num(p, 2, &d) || p[2] != '/' || p[6] != '/' ||
        !num(p + 7, 4, &y) || p[11] != ':' || !num(p + 12, 2, &h) ||
        p[14] != ':' || !num(p + 15, 2, &mi) || p[17] != ':' ||
        !num(p + 18, 2, &sec))
        return false;
    int mo = month_of(p + 3);
    if (y < 1970 || y > 2200)
        return false;
    size_t fl;
    int64_t frac = fraction(p + 20, end, &fl);
    p += 20 + fl;
    if (end - p != 6 || p[0] != ' ' || (p[1] != '+' && p[1] != '-') ||
        !num(p + 2, 2, &oh) || !num(p + 4, 2, &om) || oh > 23 || om > 59 ||
        !valid_date(y, mo, d, h, mi, sec))
        return false;
    int64_t offset = (int64_t)(oh * 3600 + om * 60) * (p[1] == '-' ? -1 : 1);
    *out = make_time(y, mo, d, h, mi, sec) - offset * FL_NS_PER_SEC + frac;
    return true;
}

/* RFC 3164: "Oct 11 22:14:15" or "Oct  1 22:14:15" (fraction allowed),
 * UTC. The year: after a previous event of this decoder, the first that
 * puts the time no more than 31 days before it (logs run forward; a month
 * of disorder is tolerated); for the first event, the reference year; by
 * default the wall clock's year, or the year before when that would put
 * the time more than 31 days into the future. */
static bool parse_bsd(const pstate *st, fl_str s, fl_time *out)
{
    const char *p = s.p, *end = s.p + s.n;
    int d, h, mi, sec;
    if (s.n < 15 || p[3] != ' ' ||
        !(p[4] == ' ' ? num(p + 5, 1, &d) : num(p + 4, 2, &d)) ||
        p[6] != ' ' || !num(p + 7, 2, &h) || p[9] != ':' ||
        !num(p + 10, 2, &mi) || p[12] != ':' || !num(p + 13, 2, &sec))
        return false;
    int mo = month_of(p);
    size_t fl;
    int64_t frac = fraction(p + 15, end, &fl);
    if (p + 15 + fl != end || !valid_date(2000, mo, d, h, mi, sec))
        return false; /* 2000: Feb 29 passes here, checked per year below */
    const fl_time month = (fl_time)31 * 86400 * FL_NS_PER_SEC;
    if (st->prev_ts == FL_TIME_NONE && reference_year > 0) {
        if (mo == 2 && d == 29 && !leap(reference_year))
            return false;
        *out = make_time(reference_year, mo, d, h, mi, sec) + frac;
        return true;
    }
    bool by_prev = st->prev_ts != FL_TIME_NONE;
    fl_time ref = by_prev ? st->prev_ts : (fl_time)time(NULL) * FL_NS_PER_SEC;
    int ry = year_of(ref);
    /* candidates in increasing order; by_prev: the first not a month
     * before ref; by the clock: the last not a month after it */
    bool found = false;
    for (int y = ry - 1; y <= ry + 1; y++) {
        if (mo == 2 && d == 29 && !leap(y))
            continue;
        fl_time t = make_time(y, mo, d, h, mi, sec) + frac;
        if (by_prev ? t >= ref - month : t <= ref + month) {
            *out = t;
            found = true;
            if (by_prev)
                break;
        }
    }
    return found;
}

/* ------------------------------------------------------------ decoding */

static bool reject(fl_bad_reason *why, fl_bad_reason r)
{
    *why = r;
    return false;
}

/* The capture of group g, false when unset or "-". */
static bool capture(const pstate *st, const fl_str line, unsigned g,
                    fl_str *out)
{
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(st->md);
    if (g >= pcre2_get_ovector_count(st->md) || ov[2 * g] == PCRE2_UNSET)
        return false;
    out->p = line.p + ov[2 * g];
    out->n = ov[2 * g + 1] - ov[2 * g];
    return !(out->n == 1 && out->p[0] == '-');
}

/* The first set capture of a role. */
static bool role_capture(const pstate *st, fl_str line, int role, fl_str *out)
{
    for (unsigned i = 0; i < st->pat->ngroups[role]; i++)
        if (capture(st, line, st->pat->groups[role][i], out))
            return true;
    return false;
}

/* A decimal number and nothing else ("0.123", "12"). */
static bool decimal(fl_str s, double *out)
{
    if (s.n == 0 || s.n > 40)
        return false;
    char tmp[48];
    bool digit = false;
    for (size_t i = 0; i < s.n; i++) {
        char c = s.p[i];
        if (c >= '0' && c <= '9')
            digit = true;
        else if (c != '.')
            return false;
        tmp[i] = c;
    }
    if (digit && fl_decimal_fast(s.p, s.n, out))
        return true;
    tmp[s.n] = '\0';
    char *e;
    *out = strtod(tmp, &e);
    return digit && *e == '\0';
}

/* The first segment of a request path ("/cart/items?x=1" -> "cart"; an
 * absolute URI's path counts), if it is a plausible service name. */
static fl_str first_segment(fl_str path)
{
    const char *p = path.p, *end = path.p + path.n;
    const char *sch = memchr(p, ':', path.n);
    if (sch && end - sch > 3 && sch[1] == '/' && sch[2] == '/') {
        p = memchr(sch + 3, '/', (size_t)(end - sch - 3));
        if (!p)
            return FL_STR_NULL;
    }
    if (p >= end || *p != '/')
        return FL_STR_NULL;
    const char *s = ++p;
    while (p < end && *p != '/' && *p != '?' && *p != '#' && *p != ';') {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '~' ||
              c == '-'))
            return FL_STR_NULL;
        p++;
    }
    size_t n = (size_t)(p - s);
    if (n == 0 || n > 64 || (n <= 2 && s[0] == '.' && s[n - 1] == '.'))
        return FL_STR_NULL;
    return (fl_str){s, n};
}

static const char *const severity_names[8] = {
    "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
};

static bool decode_with(fl_decoder *dec, pstate *st, fl_str line,
                        fl_str fallback, fl_event *ev, fl_bad_reason *why)
{
    if (!st)
        return reject(why, FL_BAD_UNKNOWN_FORMAT);
    const pattern *pat = st->pat;
    if (!fl_utf8_valid(line.p, line.n))
        return reject(why, FL_BAD_UTF8);
    /* a NUL byte is no text any format here writes, and would cut the
     * event's strings short further on */
    if (memchr(line.p, '\0', line.n))
        return reject(why, FL_BAD_SYNTAX);
    int rc = pcre2_match(pat->code, (PCRE2_SPTR)line.p, line.n, 0,
                         PCRE2_NO_UTF_CHECK, st->md, st->mctx);
    if (rc < 0) {
        switch (rc) {
        case PCRE2_ERROR_MATCHLIMIT:
        case PCRE2_ERROR_DEPTHLIMIT:
        case PCRE2_ERROR_HEAPLIMIT:
        case PCRE2_ERROR_JIT_STACKLIMIT:
        case PCRE2_ERROR_NOMEMORY:
            return reject(why, FL_BAD_PATTERN_LIMIT);
        default: /* PCRE2_ERROR_NOMATCH: not a line of this format */
            return reject(why, FL_BAD_SYNTAX);
        }
    }
    value *v = dec->v;
    memset(v, 0, sizeof dec->v);
    fl_str s;
    bool has_msg = role_capture(st, line, F_MSG, &s);
    fl_str msg = has_msg ? s : FL_STR_NULL;

    /* syslog: a message that is itself JSON or logfmt fills the event; the
     * header's captures fill only what it lacks. The message must run to
     * the line's end (the scanners rely on the NUL after it). */
    bool inner = false;
    if (pat->ngroups[R_PRI] && has_msg && msg.p + msg.n == line.p + line.n) {
        size_t i = 0;
        while (i < msg.n && (msg.p[i] == ' ' || msg.p[i] == '\t'))
            i++;
        fl_str body = {msg.p + i, msg.n - i};
        fl_bad_reason ignored;
        if (body.n && body.p[0] == '{')
            inner = fl_json_scan(dec, body, &ignored);
        else if (fl_logfmt_sniff(body))
            inner = fl_logfmt_scan(dec, body, &ignored);
        /* it counts when it names a field ("Mix=OK, Jelly=OK" does not) */
        bool named = false;
        for (int f = F_NONE + 1; inner && f < F__COUNT && !named; f++)
            named = v[f].t != V_NONE;
        inner = inner && named;
        if (!inner) /* not what it looked like: a plain message */
            memset(v, 0, sizeof dec->v);
    }

    /* the captures that name JSON fields */
    for (int f = F_NONE + 1; f < F__COUNT; f++) {
        if (v[f].t != V_NONE || (f == F_MSG && inner) ||
            !role_capture(st, line, f, &s))
            continue;
        /* an empty capture is no value (an optional `[(?<service>\w*)]`
         * that captured nothing leaves the service to the fallbacks); an
         * empty message is still a message */
        if (s.n == 0 && f != F_MSG)
            continue;
        v[f].t = V_STR;
        v[f].s = s;
        if (f == F_LEVEL && decimal(s, &v[f].num)) /* bunyan's 50 */
            v[f].t = V_NUM;
    }
    /* the request path (the request line's, for the access logs) */
    if (v[F_PATH].t == V_NONE && role_capture(st, line, R_PATH, &s) && s.n)
        v[F_PATH] = (value){V_STR, s, 0};
    /* latency in seconds */
    if (v[F_LAT_MS].t == V_NONE && v[F_LAT_NS].t == V_NONE &&
        v[F_LAT_S].t == V_NONE && v[F_LAT_US].t == V_NONE &&
        role_capture(st, line, R_LAT_S, &s)) {
        double secs;
        if (!decimal(s, &secs))
            return reject(why, FL_BAD_VALUE);
        v[F_LAT_MS] = (value){V_NUM, s, secs * 1000.0};
    }
    /* level from a syslog priority */
    if (v[F_LEVEL].t == V_NONE && role_capture(st, line, R_PRI, &s)) {
        int pri;
        if (s.n > 3 || !num(s.p, (int)s.n, &pri) || pri > 191)
            return reject(why, FL_BAD_VALUE);
        v[F_LEVEL] = (value){V_STR, fl_str_c(severity_names[pri & 7]), 0};
    }
    /* times fl_time_parse does not read: as decimal nanoseconds */
    if (v[F_TS].t == V_STR && v[F_TS].s.n >= 15) {
        fl_str t = v[F_TS].s;
        fl_time ts = 0;
        bool conv = false, clf = false;
        if (t.p[0] >= '0' && t.p[0] <= '9' && t.p[2] == '/') {
            clf = true;
            if (st->clf_key_n == t.n && memcmp(st->clf_key, t.p, t.n) == 0) {
                v[F_TS].s = st->clf_val; /* the same second as before */
                goto ts_done;
            }
            conv = parse_clf(t, &ts);
        } else if (t.p[0] >= 'A' && t.p[0] <= 'z') {
            if (!st->own && dec->hist_fn) /* the year needs the history */
                dec->hist_fn(dec->hist_ud, dec);
            conv = parse_bsd(st, t, &ts);
        }
        if (conv && ts >= 0) {
            char *buf = clf ? st->clf_buf : st->tsbuf;
            int k = snprintf(buf, sizeof st->tsbuf, "%lld", (long long)ts);
            v[F_TS].s = (fl_str){buf, (size_t)k};
            /* fewer than 18 digits would read as seconds or ms: such a
             * time is outside 2000..2099 anyway; make it fail there */
            if (k < 18)
                v[F_TS].s = fl_str_c("0");
            if (clf && t.n <= sizeof st->clf_key) {
                memcpy(st->clf_key, t.p, t.n);
                st->clf_key_n = t.n;
                st->clf_val = v[F_TS].s;
            }
        }
    ts_done:;
    }
    /* the service, when the message did not name one */
    if (v[F_SERVICE].t == V_NONE) {
        fl_str svc = FL_STR_NULL;
        if (pat->fixed_service.n)
            svc = pat->fixed_service;
        else if (role_capture(st, line, R_PATH, &s))
            svc = first_segment(s);
        if (!svc.n)
            svc = fallback;
        if (svc.n)
            v[F_SERVICE] = (value){V_STR, svc, 0};
    }
    if (!fl_json_event(dec, ev, why))
        return false;
    st->prev_ts = ev->ts;
    st->own = true;
    return true;
}

/* ------------------------------------------------------ history hand-on */

static const int hist_fmt[FL_DEC_HISTORY] = {FL_FORMAT_SYSLOG, FL_FORMAT_NGINX,
                                             FL_FORMAT_PATTERN};

void fl_dec_history_init(fl_dec_history *h)
{
    for (int i = 0; i < FL_DEC_HISTORY; i++)
        h->prev[i] = FL_TIME_NONE;
}

void fl_decoder_history_hook(fl_decoder *dec,
                             void (*fn)(void *ud, fl_decoder *dec), void *ud)
{
    dec->hist_fn = fn;
    dec->hist_ud = ud;
}

void fl_decoder_history_begin(fl_decoder *dec)
{
    for (int i = 0; i < FL_DEC_HISTORY; i++) {
        pstate *st = dec->state[hist_fmt[i]];
        if (st)
            st->own = false;
    }
}

void fl_decoder_history_apply(fl_decoder *dec, const fl_dec_history *in)
{
    for (int i = 0; i < FL_DEC_HISTORY; i++) {
        pstate *st = dec->state[hist_fmt[i]];
        if (st && !st->own) {
            st->prev_ts = in->prev[i];
            st->own = true;
        }
    }
}

void fl_decoder_history_out(const fl_decoder *dec, const fl_dec_history *in,
                            fl_dec_history *out)
{
    for (int i = 0; i < FL_DEC_HISTORY; i++) {
        const pstate *st = dec->state[hist_fmt[i]];
        out->prev[i] = st && st->own ? st->prev_ts : in->prev[i];
    }
}

static pstate *named_state(fl_decoder *dec, fl_format fmt, const char *name)
{
    if (!dec->state[fmt])
        dec->state[fmt] = fl_pattern_state_new(fl_pattern_find(name));
    return dec->state[fmt];
}

bool fl_syslog_decode_line(fl_decoder *dec, fl_str line, fl_str fallback,
                           fl_event *ev, fl_bad_reason *why)
{
    return decode_with(dec, named_state(dec, FL_FORMAT_SYSLOG, "syslog"),
                       line, fallback, ev, why);
}

bool fl_nginx_decode_line(fl_decoder *dec, fl_str line, fl_str fallback,
                          fl_event *ev, fl_bad_reason *why)
{
    return decode_with(dec, named_state(dec, FL_FORMAT_NGINX, "nginx"), line,
                       fallback, ev, why);
}

bool fl_pattern_decode_line(fl_decoder *dec, fl_str line, fl_str fallback,
                            fl_event *ev, fl_bad_reason *why)
{
    return decode_with(dec, dec->state[FL_FORMAT_PATTERN], line, fallback, ev,
                       why);
}

/* ------------------------------------------------------------ sniffers */

/* "<digits>" at the start: a syslog PRI. */
bool fl_syslog_sniff(fl_str line)
{
    size_t i = 1;
    if (line.n < 3 || line.p[0] != '<')
        return false;
    while (i < line.n && i <= 3 && line.p[i] >= '0' && line.p[i] <= '9')
        i++;
    return i > 1 && i < line.n && line.p[i] == '>';
}

/* The access-log shape: an address or host name, " - " (the ident, which
 * nginx always writes as "-"), the user, " [", and later "] \"". */
bool fl_nginx_sniff(fl_str line)
{
    const char *p = line.p, *end = line.p + line.n;
    const char *s = p;
    while (p < end && ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
                       (*p >= 'A' && *p <= 'Z') || *p == '.' || *p == ':' ||
                       *p == '-' || *p == '_' || *p == '%'))
        p++;
    if (p == s || end - p < 4 || memcmp(p, " - ", 3) != 0)
        return false;
    p += 3;
    while (p < end && *p != ' ' && *p != '[')
        p++;
    if (end - p < 2 || memcmp(p, " [", 2) != 0)
        return false;
    p += 2;
    const char *close = memchr(p, ']', (size_t)(end - p));
    return close && end - close >= 3 && close[1] == ' ' && close[2] == '"';
}
