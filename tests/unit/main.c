/*
 * main.c - runs every unit test (or those whose "suite/test" name contains
 * the optional argument), prints one line per test and closes with exactly
 * one "N passed, N failed" line. Exits 1 when any test failed.
 */
#define _POSIX_C_SOURCE 200809L
#include "unit.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_REPORTED 20 /* failed checks printed per test */

extern const unit_suite unit_suite_state; /* test_state.c: checkpoints */
extern const unit_suite unit_suite_logfmt;  /* test_logfmt.c */
extern const unit_suite unit_suite_pattern; /* test_pattern.c: PCRE2 */
extern const unit_suite unit_suite_config; /* test_config.c: --config */
extern const unit_suite unit_suite_msgpack; /* test_msgpack.c */
extern const unit_suite unit_suite_otlp;    /* test_otlp.c */
extern const unit_suite unit_suite_influx;  /* test_influx.c */
extern const unit_suite unit_suite_metric;  /* test_metric.c */
extern const unit_suite unit_suite_template; /* test_template.c */
extern const unit_suite unit_suite_metric_props; /* test_metric_props.c */
extern const unit_suite unit_suite_fields;  /* test_fields.c: field names */
extern const unit_suite unit_suite_samples; /* test_samples.c */
extern const unit_suite unit_suite_ckpt_file; /* test_ckpt_file.c */
extern const unit_suite unit_suite_reader;  /* test_reader.c: reader thread */
extern const unit_suite unit_suite_rca;     /* test_rca.c: grouping, ranking */

static const unit_suite *const suites[] = {
    &unit_suite_time,   &unit_suite_buf,    &unit_suite_json,
    &unit_suite_source, &unit_suite_sketch, &unit_suite_cusum,
    &unit_suite_detect, &unit_suite_state,  &unit_suite_config,
    &unit_suite_logfmt, &unit_suite_pattern,
    &unit_suite_msgpack, &unit_suite_otlp,
    &unit_suite_influx, &unit_suite_metric,
    &unit_suite_template,
    &unit_suite_metric_props,
    &unit_suite_fields, &unit_suite_samples,
    &unit_suite_ckpt_file,
    &unit_suite_reader,
    &unit_suite_rca,
};

static unsigned cur_failures;
static char tmpdir[512];

void unit_fail(const char *file, int line, const char *fmt, ...)
{
    cur_failures++;
    if (cur_failures > MAX_REPORTED) {
        if (cur_failures == MAX_REPORTED + 1)
            printf("    ... (further failed checks of this test not shown)\n");
        return;
    }
    printf("    %s:%d: ", file, line);
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

unsigned unit_failures(void)
{
    return cur_failures;
}

const char *unit_tmpdir(void)
{
    if (!tmpdir[0]) {
        const char *base = getenv("TMPDIR");
        if (!base || !*base)
            base = "/tmp";
        snprintf(tmpdir, sizeof tmpdir, "%s/fl-unit-XXXXXX", base);
        if (!mkdtemp(tmpdir)) {
            perror("unit: mkdtemp");
            exit(2);
        }
    }
    return tmpdir;
}

bool unit_run_isolated(unit_fn fn, unsigned timeout_s, char *why,
                       size_t whylen)
{
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(why, whylen, "fork failed");
        return false;
    }
    if (pid == 0) {
        cur_failures = 0;
        alarm(timeout_s);
        fn();
        fflush(stdout);
        _exit(cur_failures ? 3 : 0); /* 1 is what sanitizers exit with */
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        ;
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
        return true;
    if (WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM)
        snprintf(why, whylen, "did not finish within %u s (hang)", timeout_s);
    else if (WIFSIGNALED(st))
        snprintf(why, whylen, "killed by signal %d", WTERMSIG(st));
    else if (WEXITSTATUS(st) == 3)
        snprintf(why, whylen, "failed checks (above)");
    else
        snprintf(why, whylen, "exited with status %d (crash or sanitizer "
                 "report)", WEXITSTATUS(st));
    return false;
}

static void rm_rf(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        if (d) {
            struct dirent *de;
            while ((de = readdir(d)) != NULL) {
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                    continue;
                char sub[1024];
                snprintf(sub, sizeof sub, "%s/%s", path, de->d_name);
                rm_rf(sub);
            }
            closedir(d);
        }
        rmdir(path);
    } else {
        unlink(path);
    }
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    const char *filter = argc > 1 ? argv[1] : NULL;
    unsigned passed = 0, failed = 0;
    setvbuf(stdout, NULL, _IOLBF, 0);
    double t_all = now_s();
    for (size_t i = 0; i < sizeof suites / sizeof suites[0]; i++) {
        const unit_suite *su = suites[i];
        for (size_t j = 0; j < su->ntests; j++) {
            char name[256];
            snprintf(name, sizeof name, "%s/%s", su->name, su->tests[j].name);
            if (filter && !strstr(name, filter))
                continue;
            cur_failures = 0;
            double t0 = now_s();
            su->tests[j].fn();
            double dt = now_s() - t0;
            if (cur_failures) {
                failed++;
                printf("FAIL %s (%u failed check%s, %.3f s)\n", name,
                       cur_failures, cur_failures == 1 ? "" : "s", dt);
            } else {
                passed++;
                printf("ok   %s (%.3f s)\n", name, dt);
            }
        }
    }
    if (tmpdir[0])
        rm_rf(tmpdir);
    fprintf(stderr, "unit: %.2f s\n", now_s() - t_all);
    printf("%u passed, %u failed\n", passed, failed);
    return failed ? 1 : 0;
}
