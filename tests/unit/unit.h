/*
 * unit.h - a tiny unit-test framework for faultline's C tests.
 *
 * A test is a `static void name(void)` listed in its file's suite table; the
 * suites are listed in main.c. CHECK_* macros record file:line and the
 * values involved and let the test go on; REQUIRE_* do the same and return
 * from the test function (use them where going on would crash). A test
 * fails when any of its checks failed.
 *
 * Randomness: tests draw from unit_rng (splitmix64), always seeded with a
 * constant, so every run sees the same numbers.
 */
#ifndef FL_UNIT_H
#define FL_UNIT_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef void (*unit_fn)(void);

typedef struct {
    const char *name;
    unit_fn fn;
} unit_test;

typedef struct {
    const char *name;
    const unit_test *tests;
    size_t ntests;
} unit_suite;

#define UNIT_TEST(fn) {#fn, fn}
#define UNIT_SUITE(var, name, table)                                          \
    const unit_suite var = {name, table, sizeof(table) / sizeof((table)[0])}

/* suites (one per file) */
extern const unit_suite unit_suite_time;
extern const unit_suite unit_suite_sketch;
extern const unit_suite unit_suite_cusum;
extern const unit_suite unit_suite_detect;
extern const unit_suite unit_suite_json;
extern const unit_suite unit_suite_source;
extern const unit_suite unit_suite_buf;

/* Records one failed check of the running test. */
void unit_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Checks failed so far in the running test. */
unsigned unit_failures(void);
/* Runs fn in a child process, so a crash or a hang fails the calling test
 * instead of the whole run. The child's failed checks are printed by the
 * child. Returns true when the child finished within timeout_s seconds
 * with no failed check; otherwise why says what happened. */
bool unit_run_isolated(unit_fn fn, unsigned timeout_s, char *why,
                       size_t whylen);
/* A scratch directory for the running process (created on first use,
 * removed at exit with everything in it). */
const char *unit_tmpdir(void);

/* ------------------------------------------------------------- checks */

#define CHECK(c)                                                              \
    do {                                                                      \
        if (!(c))                                                             \
            unit_fail(__FILE__, __LINE__, "CHECK(%s)", #c);                   \
    } while (0)

#define CHECK_MSG(c, ...)                                                     \
    do {                                                                      \
        if (!(c))                                                             \
            unit_fail(__FILE__, __LINE__, __VA_ARGS__);                       \
    } while (0)

#define REQUIRE(c)                                                            \
    do {                                                                      \
        if (!(c)) {                                                           \
            unit_fail(__FILE__, __LINE__, "REQUIRE(%s)", #c);                 \
            return;                                                           \
        }                                                                     \
    } while (0)

/* Comparisons: integers compare as long long, and as doubles when either
 * side is a floating type (so 0.65 > 0 is not truncated to 0 > 0). */
#define UNIT_IS_FLOAT(x)                                                      \
    _Generic((x), float: 1, double: 1, long double: 1, default: 0)

#define UNIT_CMP_INT(a, op, b, ret)                                           \
    do {                                                                      \
        if (UNIT_IS_FLOAT(a) || UNIT_IS_FLOAT(b)) {                           \
            double a_ = (double)(a), b_ = (double)(b);                        \
            if (!(a_ op b_)) {                                                \
                unit_fail(__FILE__, __LINE__, "%s %s %s: %.17g vs %.17g", #a, \
                          #op, #b, a_, b_);                                   \
                ret;                                                          \
            }                                                                 \
        } else {                                                              \
            long long a_ = (long long)(a), b_ = (long long)(b);               \
            if (!(a_ op b_)) {                                                \
                unit_fail(__FILE__, __LINE__, "%s %s %s: %lld vs %lld", #a,   \
                          #op, #b, a_, b_);                                   \
                ret;                                                          \
            }                                                                 \
        }                                                                     \
    } while (0)

#define CHECK_EQ(a, b) UNIT_CMP_INT(a, ==, b, (void)0)
#define CHECK_NE(a, b) UNIT_CMP_INT(a, !=, b, (void)0)
#define CHECK_LT(a, b) UNIT_CMP_INT(a, <, b, (void)0)
#define CHECK_LE(a, b) UNIT_CMP_INT(a, <=, b, (void)0)
#define CHECK_GT(a, b) UNIT_CMP_INT(a, >, b, (void)0)
#define CHECK_GE(a, b) UNIT_CMP_INT(a, >=, b, (void)0)
#define REQUIRE_EQ(a, b) UNIT_CMP_INT(a, ==, b, return)

#define CHECK_EQ_U64(a, b)                                                    \
    do {                                                                      \
        unsigned long long a_ = (unsigned long long)(a),                      \
                           b_ = (unsigned long long)(b);                      \
        if (a_ != b_)                                                         \
            unit_fail(__FILE__, __LINE__, "%s == %s: %llu vs %llu", #a, #b,   \
                      a_, b_);                                                \
    } while (0)

/* |a - b| <= tol */
#define CHECK_NEAR(a, b, tol)                                                 \
    do {                                                                      \
        double a_ = (double)(a), b_ = (double)(b), t_ = (double)(tol);        \
        if (!(fabs(a_ - b_) <= t_))                                           \
            unit_fail(__FILE__, __LINE__, "%s ~ %s (tol %g): %.17g vs %.17g", \
                      #a, #b, t_, a_, b_);                                    \
    } while (0)

/* lo <= a <= hi, for doubles */
#define CHECK_RANGE(a, lo, hi)                                                \
    do {                                                                      \
        double a_ = (double)(a), l_ = (double)(lo), h_ = (double)(hi);        \
        if (!(a_ >= l_ && a_ <= h_))                                          \
            unit_fail(__FILE__, __LINE__, "%s in [%s, %s]: %.17g not in "     \
                      "[%.17g, %.17g]", #a, #lo, #hi, a_, l_, h_);            \
    } while (0)

#define CHECK_NAN(a)                                                          \
    do {                                                                      \
        double a_ = (double)(a);                                              \
        if (!isnan(a_))                                                       \
            unit_fail(__FILE__, __LINE__, "%s is NaN: %.17g", #a, a_);        \
    } while (0)

#define CHECK_STR(a, b)                                                       \
    do {                                                                      \
        const char *a_ = (a), *b_ = (b);                                      \
        if (!a_ || !b_ || strcmp(a_, b_) != 0)                                \
            unit_fail(__FILE__, __LINE__, "%s == %s: \"%s\" vs \"%s\"", #a,   \
                      #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)");            \
    } while (0)

/* An fl_str (pointer + length) against a C string. */
#define CHECK_FLSTR(s, lit)                                                   \
    do {                                                                      \
        const char *p_ = (s).p;                                               \
        size_t n_ = (s).n;                                                    \
        const char *l_ = (lit);                                               \
        if (!(n_ == strlen(l_) && (n_ == 0 || memcmp(p_, l_, n_) == 0)))      \
            unit_fail(__FILE__, __LINE__, "%s == \"%s\": got \"%.*s\" (%zu "  \
                      "bytes)", #s, l_, (int)(p_ ? n_ : 0), p_ ? p_ : "",     \
                      n_);                                                    \
    } while (0)

/* ------------------------------------------------------ deterministic RNG */

typedef struct {
    uint64_t s;
    bool have_spare;
    double spare;
} unit_rng;

static inline void unit_rng_seed(unit_rng *r, uint64_t seed)
{
    r->s = seed;
    r->have_spare = false;
    r->spare = 0;
}

/* splitmix64 (Steele, Lea, Flood 2014) */
static inline uint64_t unit_rng_u64(unit_rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* uniform in (0, 1): never 0, so log() is safe */
static inline double unit_rng_unif(unit_rng *r)
{
    return ((double)(unit_rng_u64(r) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

/* standard normal (Box-Muller, both values used) */
static inline double unit_rng_norm(unit_rng *r)
{
    if (r->have_spare) {
        r->have_spare = false;
        return r->spare;
    }
    double u1 = unit_rng_unif(r), u2 = unit_rng_unif(r);
    double m = sqrt(-2.0 * log(u1));
    double a = 6.283185307179586 * u2;
    r->spare = m * sin(a);
    r->have_spare = true;
    return m * cos(a);
}

static inline double unit_rng_exp(unit_rng *r, double rate)
{
    return -log(unit_rng_unif(r)) / rate;
}

static inline bool unit_rng_bern(unit_rng *r, double p)
{
    return unit_rng_unif(r) < p;
}

#endif
