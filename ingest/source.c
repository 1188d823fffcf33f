/*
 * source.c - line sources. One buffer per source, sized once (1 MiB or
 * twice the line cap, whichever is larger); lines are handed out in place,
 * so memory stays flat whatever the file size. A .zst file is decompressed
 * with zstd's streaming API straight into the line buffer. A line longer
 * than the cap is skipped up to its newline in bounded memory and reported,
 * so a 10 GiB line without newlines costs one buffer, not 10 GiB.
 */
#define _POSIX_C_SOURCE 200809L
#include "fl_ingest.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

struct fl_source {
    char *name;
    int fd;           /* -1 for memory sources */
    bool own_fd;
    const unsigned char *mem; /* memory source */
    size_t mem_n, mem_off;
    ZSTD_DCtx *zd;    /* non-NULL when decompressing */
    unsigned char *zin;
    size_t zin_cap;
    ZSTD_inBuffer zib;
    size_t zlast;     /* last ZSTD_decompressStream hint: 0 = frame complete */
    bool zany;        /* any compressed input seen */
    char *buf;
    size_t cap, start, end, scan;
    size_t max_line;
    bool eof, skipping, failed;
    uint64_t bytes_read, size, line_no;
    char err[256];
};

static fl_source *source_alloc(const char *name, size_t max_line)
{
    fl_source *src = fl_calloc(1, sizeof *src);
    src->name = fl_strndup(name, strlen(name));
    src->fd = -1;
    src->max_line = max_line ? max_line : 65536;
    size_t cap = 1 << 20;
    if (cap < 2 * src->max_line + 2)
        cap = 2 * src->max_line + 2;
    src->buf = fl_malloc(cap);
    src->cap = cap;
    return src;
}

static bool has_suffix(const char *s, const char *suf)
{
    size_t n = strlen(s), k = strlen(suf);
    return n >= k && strcmp(s + n - k, suf) == 0;
}

static void zstd_init(fl_source *src)
{
    src->zd = ZSTD_createDCtx();
    if (!src->zd) {
        fprintf(stderr, "faultline: cannot create zstd context\n");
        abort();
    }
    /* refuse frames that would need a window > 128 MiB: bounded memory for
     * hostile archives (zstd's default limit is the same order) */
    ZSTD_DCtx_setParameter(src->zd, ZSTD_d_windowLogMax, 27);
    src->zin_cap = ZSTD_DStreamInSize();
    src->zin = fl_malloc(src->zin_cap);
    src->zlast = 0;
}

fl_source *fl_source_open(const char *path, size_t max_line, char *errstr,
                          size_t errlen)
{
    int fd;
    bool own = true;
    if (strcmp(path, "-") == 0) {
        fd = 0;
        own = false;
    } else {
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            snprintf(errstr, errlen, "%s: cannot open: %s", path,
                     strerror(errno));
            return NULL;
        }
    }
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        snprintf(errstr, errlen, "%s: is a directory", path);
        if (own)
            close(fd);
        return NULL;
    }
    fl_source *src = source_alloc(strcmp(path, "-") == 0 ? "<stdin>" : path,
                                  max_line);
    src->fd = fd;
    src->own_fd = own;
    if (S_ISREG(st.st_mode))
        src->size = (uint64_t)st.st_size;
    if (has_suffix(path, ".zst"))
        zstd_init(src);
    return src;
}

fl_source *fl_source_open_mem(const char *name, const void *data, size_t n,
                              size_t max_line)
{
    fl_source *src = source_alloc(name, max_line);
    src->mem = data;
    src->mem_n = n;
    src->size = n;
    const unsigned char *b = data;
    if (n >= 4 && b[0] == 0x28 && b[1] == 0xB5 && b[2] == 0x2F && b[3] == 0xFD)
        zstd_init(src);
    return src;
}

void fl_source_destroy(fl_source *src)
{
    if (!src)
        return;
    if (src->own_fd && src->fd >= 0)
        close(src->fd);
    ZSTD_freeDCtx(src->zd);
    free(src->zin);
    free(src->buf);
    free(src->name);
    free(src);
}

const char *fl_source_name(const fl_source *src) { return src->name; }
const char *fl_source_error(const fl_source *src) { return src->err; }
uint64_t fl_source_bytes_read(const fl_source *src) { return src->bytes_read; }
uint64_t fl_source_size(const fl_source *src) { return src->size; }
uint64_t fl_source_line_no(const fl_source *src) { return src->line_no; }
size_t fl_source_max_line(const fl_source *src) { return src->max_line; }

/* Raw bytes from the file or memory block. Returns bytes, 0 at EOF, -1. */
static ssize_t raw_read(fl_source *src, void *dst, size_t n)
{
    if (src->mem) {
        size_t k = FL_MIN(n, src->mem_n - src->mem_off);
        memcpy(dst, src->mem + src->mem_off, k);
        src->mem_off += k;
        src->bytes_read += k;
        return (ssize_t)k;
    }
    for (;;) {
        ssize_t r = read(src->fd, dst, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            snprintf(src->err, sizeof src->err, "%s: read: %s", src->name,
                     strerror(errno));
        else
            src->bytes_read += (uint64_t)r;
        return r;
    }
}

/* Appends decoded bytes at buf[end..cap). Returns bytes added, 0 at EOF,
 * -1 on error. */
static ssize_t fill(fl_source *src)
{
    size_t room = src->cap - src->end;
    if (!src->zd)
        return raw_read(src, src->buf + src->end, room);
    ZSTD_outBuffer out = {src->buf + src->end, room, 0};
    while (out.pos == 0) {
        if (src->zib.pos == src->zib.size) {
            ssize_t r = raw_read(src, src->zin, src->zin_cap);
            if (r < 0)
                return -1;
            if (r == 0) {
                if (src->zany && src->zlast != 0) {
                    snprintf(src->err, sizeof src->err,
                             "%s: truncated zstd stream (input ends inside a "
                             "frame)", src->name);
                    return -1;
                }
                return 0;
            }
            src->zany = true;
            src->zib.src = src->zin;
            src->zib.size = (size_t)r;
            src->zib.pos = 0;
        }
        size_t rc = ZSTD_decompressStream(src->zd, &out, &src->zib);
        if (ZSTD_isError(rc)) {
            snprintf(src->err, sizeof src->err, "%s: zstd: %s", src->name,
                     ZSTD_getErrorName(rc));
            return -1;
        }
        src->zlast = rc;
    }
    return (ssize_t)out.pos;
}

fl_line_status fl_source_next(fl_source *src, fl_str *line)
{
    if (src->failed)
        return FL_LINE_ERROR;
    for (;;) {
        char *nl = src->scan < src->end
                       ? memchr(src->buf + src->scan, '\n', src->end - src->scan)
                       : NULL;
        if (nl) {
            size_t s = src->start, e = (size_t)(nl - src->buf);
            src->start = src->scan = e + 1;
            src->line_no++;
            if (src->skipping) {
                src->skipping = false;
                line->p = src->buf + e;
                line->n = 0;
                return FL_LINE_TOO_LONG;
            }
            size_t len = e - s;
            if (len && src->buf[s + len - 1] == '\r')
                len--; /* CRLF: the '\r' is not part of the line */
            if (len > src->max_line) {
                line->p = src->buf + e;
                line->n = 0;
                return FL_LINE_TOO_LONG;
            }
            src->buf[s + len] = '\0';
            line->p = src->buf + s;
            line->n = len;
            return FL_LINE_OK;
        }
        src->scan = src->end;
        /* no newline in what we hold */
        if (src->end - src->start > src->max_line + 1) { /* + a '\r' */
            /* over the cap: drop what we have and skip to the next newline */
            src->skipping = true;
            src->start = src->scan = src->end = 0;
        }
        if (src->eof) {
            if (src->start < src->end && src->err[0]) {
                /* input damaged mid-line: the fragment is not a line */
                src->start = src->scan = src->end;
            }
            if (src->start < src->end) {
                /* last line without a trailing newline */
                size_t s = src->start, len = src->end - src->start;
                src->start = src->scan = src->end;
                src->line_no++;
                if (src->skipping) {
                    src->skipping = false;
                    line->p = src->buf + s;
                    line->n = 0;
                    return FL_LINE_TOO_LONG;
                }
                if (len && src->buf[s + len - 1] == '\r')
                    len--;
                if (len > src->max_line) {
                    line->p = src->buf + s;
                    line->n = 0;
                    return FL_LINE_TOO_LONG;
                }
                src->buf[s + len] = '\0';
                line->p = src->buf + s;
                line->n = len;
                return FL_LINE_OK;
            }
            if (src->skipping) {
                src->skipping = false;
                src->line_no++;
                line->p = src->buf;
                line->n = 0;
                return FL_LINE_TOO_LONG;
            }
            if (src->err[0]) {
                src->failed = true;
                return FL_LINE_ERROR;
            }
            return FL_LINE_EOF;
        }
        if (src->start > 0) {
            size_t keep = src->end - src->start;
            memmove(src->buf, src->buf + src->start, keep);
            src->scan -= src->start;
            src->end = keep;
            src->start = 0;
        }
        /* keep one byte free for the NUL terminator of a final line */
        size_t saved_cap = src->cap;
        src->cap = saved_cap - 1;
        ssize_t r = fill(src);
        src->cap = saved_cap;
        if (r < 0) {
            src->eof = true; /* deliver what we hold, then the error */
            if (!src->err[0])
                snprintf(src->err, sizeof src->err, "%s: read error",
                         src->name);
            continue;
        }
        if (r == 0)
            src->eof = true;
        src->end += (size_t)r;
    }
}

/* ------------------------------------------------- raw bytes (msgpack) */

/* Makes sure the buffer holds an unread byte. 1, 0 at the end, -1 on an
 * error (after which the source is failed). */
static int buffer_some(fl_source *src)
{
    if (src->start < src->end)
        return 1;
    if (src->failed)
        return -1;
    if (src->eof)
        return 0;
    src->start = src->scan = src->end = 0;
    /* keep fl_source_next's spare byte for a final line's NUL */
    size_t saved_cap = src->cap;
    src->cap = saved_cap - 1;
    ssize_t r = fill(src);
    src->cap = saved_cap;
    if (r < 0) {
        src->eof = src->failed = true;
        if (!src->err[0])
            snprintf(src->err, sizeof src->err, "%s: read error", src->name);
        return -1;
    }
    if (r == 0) {
        src->eof = true;
        return 0;
    }
    src->end = (size_t)r;
    return 1;
}

fl_str fl_source_peek(fl_source *src)
{
    fl_str s = {src->buf + src->start, 0};
    if (buffer_some(src) > 0) {
        s.p = src->buf + src->start;
        s.n = src->end - src->start;
    }
    return s;
}

ptrdiff_t fl_source_read(fl_source *src, void *dst, size_t n)
{
    if (n == 0)
        return 0;
    int st = buffer_some(src);
    if (st <= 0)
        return st;
    size_t k = FL_MIN(n, src->end - src->start);
    memcpy(dst, src->buf + src->start, k);
    src->start += k;
    src->scan = src->start;
    return (ptrdiff_t)k;
}
