/*
 * json_bench.c - why faultline's JSON decoder is hand-written: the same
 * log lines decoded (a) by fl_json_decode and (b) by json-c, the C JSON
 * library Debian packages, parsing each line into its object tree and
 * looking up the same fields. Prints lines/s and MB/s of each.
 *
 *   bench/json_bench FILE.jsonl [repeats]
 */
#define _POSIX_C_SOURCE 200809L
#include "../ingest/fl_ingest.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double now(void)
{
    return (double)fl_wall_now() / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: json_bench FILE.jsonl [repeats]\n");
        return 1;
    }
    int repeats = argc > 2 ? atoi(argv[2]) : 3;
    FILE *f = fopen(argv[1], "rb");
    if (!f) {
        perror(argv[1]);
        return 2;
    }
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *data = malloc((size_t)size + 1);
    if (fread(data, 1, (size_t)size, f) != (size_t)size)
        return 2;
    fclose(f);
    data[size] = '\0';
    /* split into NUL-terminated lines in place */
    size_t nlines = 0;
    for (long i = 0; i < size; i++)
        if (data[i] == '\n') {
            data[i] = '\0';
            nlines++;
        }
    fl_decoder *dec = fl_decoder_new(FL_FORMAT_JSON);
    fl_event ev;
    fl_bad_reason why;
    double best_fl = 1e30, best_jc = 1e30;
    uint64_t ok_fl = 0, ok_jc = 0, sink = 0;
    for (int r = 0; r < repeats; r++) {
        double t0 = now();
        ok_fl = 0;
        for (char *p = data; p < data + size;) {
            size_t n = strlen(p);
            if (fl_json_decode(dec, (fl_str){p, n}, &ev, &why)) {
                ok_fl++;
                sink += (uint64_t)ev.status + ev.service.n;
            }
            p += n + 1;
        }
        double t1 = now();
        if (t1 - t0 < best_fl)
            best_fl = t1 - t0;
        ok_jc = 0;
        t0 = now();
        json_tokener *tok = json_tokener_new();
        for (char *p = data; p < data + size;) {
            size_t n = strlen(p);
            json_tokener_reset(tok);
            json_object *o = json_tokener_parse_ex(tok, p, (int)n);
            if (o) {
                json_object *v;
                /* the same lookups the decoder does for simple keys */
                if (json_object_object_get_ex(o, "ts", &v))
                    sink += (uint64_t)json_object_get_string_len(v);
                if (json_object_object_get_ex(o, "service", &v))
                    sink += (uint64_t)json_object_get_string_len(v);
                if (json_object_object_get_ex(o, "status", &v))
                    sink += (uint64_t)json_object_get_int(v);
                if (json_object_object_get_ex(o, "latency_ms", &v))
                    sink += (uint64_t)json_object_get_double(v);
                if (json_object_object_get_ex(o, "level", &v))
                    sink += (uint64_t)json_object_get_string_len(v);
                if (json_object_object_get_ex(o, "msg", &v))
                    sink += (uint64_t)json_object_get_string_len(v);
                ok_jc++;
                json_object_put(o);
            }
            p += n + 1;
        }
        json_tokener_free(tok);
        t1 = now();
        if (t1 - t0 < best_jc)
            best_jc = t1 - t0;
    }
    double mb = (double)size / 1e6;
    printf("lines: %zu (%.1f MB, %.0f bytes/line)\n", nlines, mb,
           (double)size / (double)nlines);
    printf("%-28s %12s %10s %10s\n", "decoder", "lines/s", "MB/s", "decoded");
    printf("%-28s %12.0f %10.1f %10llu\n", "faultline fl_json_decode",
           (double)nlines / best_fl, mb / best_fl, (unsigned long long)ok_fl);
    printf("%-28s %12.0f %10.1f %10llu\n", "json-c 0.16 tokener+lookup",
           (double)nlines / best_jc, mb / best_jc, (unsigned long long)ok_jc);
    printf("ratio: %.1fx (sink %llu)\n", best_jc / best_fl,
           (unsigned long long)(sink & 1));
    fl_decoder_destroy(dec);
    free(data);
    return 0;
}
