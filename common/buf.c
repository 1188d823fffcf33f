/*
 * buf.c - a growable byte buffer, the escaping every output needs (JSON and
 * report text: everything that came from a log is escaped here and nowhere
 * else), and atomic file writes (temp file, fsync, rename) so a reader or a
 * crash never sees half a report.
 */
#define _POSIX_C_SOURCE 200809L
#include "fl_common.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void fl_buf_free(fl_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->n = b->cap = 0;
}

static void reserve(fl_buf *b, size_t extra)
{
    if (b->n + extra + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->n + extra + 1)
        cap *= 2;
    b->p = fl_realloc(b->p, cap);
    b->cap = cap;
}

void fl_buf_put(fl_buf *b, const void *p, size_t n)
{
    reserve(b, n);
    memcpy(b->p + b->n, p, n);
    b->n += n;
    b->p[b->n] = '\0';
}

void fl_buf_puts(fl_buf *b, const char *s)
{
    fl_buf_put(b, s, strlen(s));
}

void fl_buf_putc(fl_buf *b, char c)
{
    reserve(b, 1);
    b->p[b->n++] = c;
    b->p[b->n] = '\0';
}

void fl_buf_printf(fl_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char tmp[256];
    int k = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (k < 0)
        return;
    if ((size_t)k < sizeof tmp) {
        fl_buf_put(b, tmp, (size_t)k);
        return;
    }
    reserve(b, (size_t)k);
    va_start(ap, fmt);
    vsnprintf(b->p + b->n, (size_t)k + 1, fmt, ap);
    va_end(ap);
    b->n += (size_t)k;
}

/* The walk every escaper shares: valid UTF-8 sequences pass through,
 * invalid bytes become `bad`, and each ASCII byte goes to `ascii`, which
 * writes its escaped form. */
static void escape(fl_buf *b, const char *s, size_t n, const char *bad,
                   void (*ascii)(fl_buf *b, unsigned c))
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        if (p[i] < 0x80) {
            ascii(b, p[i++]);
            continue;
        }
        size_t k = fl_utf8_seq_len(p + i, n - i);
        if (k == 0) {
            fl_buf_puts(b, bad);
            i++;
        } else {
            fl_buf_put(b, p + i, k);
            i += k;
        }
    }
}

static void json_ascii(fl_buf *b, unsigned c)
{
    switch (c) {
    case '"': fl_buf_puts(b, "\\\""); break;
    case '\\': fl_buf_puts(b, "\\\\"); break;
    case '\n': fl_buf_puts(b, "\\n"); break;
    case '\r': fl_buf_puts(b, "\\r"); break;
    case '\t': fl_buf_puts(b, "\\t"); break;
    case '<': fl_buf_puts(b, "\\u003c"); break;
    case '>': fl_buf_puts(b, "\\u003e"); break;
    case '&': fl_buf_puts(b, "\\u0026"); break;
    default:
        if (c < 0x20 || c == 0x7f)
            fl_buf_printf(b, "\\u%04x", c);
        else
            fl_buf_putc(b, (char)c);
    }
}

void fl_buf_json_str(fl_buf *b, const char *s, size_t n)
{
    fl_buf_putc(b, '"');
    escape(b, s, n, "\\ufffd", json_ascii);
    fl_buf_putc(b, '"');
}

void fl_buf_json_num(fl_buf *b, double v)
{
    if (!isfinite(v)) {
        fl_buf_puts(b, "null");
        return;
    }
    if (v == 0)
        v = 0; /* no "-0" */
    fl_buf_printf(b, "%.6g", v);
}

static void md_ascii(fl_buf *b, unsigned c)
{
    switch (c) {
    /* raw HTML is live in Markdown: none of it may pass */
    case '<': fl_buf_puts(b, "&lt;"); break;
    case '>': fl_buf_puts(b, "&gt;"); break;
    case '&': fl_buf_puts(b, "&amp;"); break;
    /* Markdown-active characters: escaped so a log line cannot open a link
     * or image (no '[' survives), emphasis, a code span, or a table cell */
    case '[': case ']': case '*': case '_': case '`': case '|':
    case '\\': case '~':
        fl_buf_putc(b, '\\');
        fl_buf_putc(b, (char)c);
        break;
    default:
        if (c < 0x20 || c == 0x7f)
            fl_buf_printf(b, "\\x%02x", c);
        else
            fl_buf_putc(b, (char)c);
    }
}

void fl_buf_md_text(fl_buf *b, const char *s, size_t n)
{
    escape(b, s, n, "\xEF\xBF\xBD", md_ascii);
}

static void html_ascii(fl_buf *b, unsigned c)
{
    switch (c) {
    case '<': fl_buf_puts(b, "&lt;"); break;
    case '>': fl_buf_puts(b, "&gt;"); break;
    case '&': fl_buf_puts(b, "&amp;"); break;
    case '"': fl_buf_puts(b, "&quot;"); break;
    case '\'': fl_buf_puts(b, "&#39;"); break;
    default:
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            fl_buf_puts(b, "&#xfffd;");
        else
            fl_buf_putc(b, (char)c);
    }
}

void fl_buf_html_text(fl_buf *b, const char *s, size_t n)
{
    escape(b, s, n, "&#xfffd;", html_ascii);
}

fl_err fl_buf_write_file(const fl_buf *b, const char *path, char *errstr,
                         size_t errlen)
{
    size_t plen = strlen(path);
    char *tmp = fl_malloc(plen + 16);
    snprintf(tmp, plen + 16, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        snprintf(errstr, errlen, "%s: cannot create: %s", path, strerror(errno));
        free(tmp);
        return FL_ERR_IO;
    }
    size_t off = 0;
    while (off < b->n) {
        ssize_t w = write(fd, b->p + off, b->n - off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            snprintf(errstr, errlen, "%s: write: %s", tmp, strerror(errno));
            close(fd);
            unlink(tmp);
            free(tmp);
            return FL_ERR_IO;
        }
        off += (size_t)w;
    }
    if (fchmod(fd, 0644) != 0 || fsync(fd) != 0 || close(fd) != 0) {
        snprintf(errstr, errlen, "%s: %s", tmp, strerror(errno));
        unlink(tmp);
        free(tmp);
        return FL_ERR_IO;
    }
    if (rename(tmp, path) != 0) {
        snprintf(errstr, errlen, "%s: rename: %s", path, strerror(errno));
        unlink(tmp);
        free(tmp);
        return FL_ERR_IO;
    }
    free(tmp);
    return FL_OK;
}
