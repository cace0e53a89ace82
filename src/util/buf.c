#include "util/buf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

void buf_init(struct buf *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->failed = 0;
}

void buf_reset(struct buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
    b->failed = 0;
}

static int fail(struct buf *b)
{
    b->failed = 1;
    return -1;
}

void buf_free(struct buf *b)
{
    free(b->data);
    buf_init(b);
}

void buf_wipe(struct buf *b)
{
    if (b->data)
        sodium_memzero(b->data, b->cap);
    buf_free(b);
}

int buf_reserve(struct buf *b, size_t extra)
{
    if (b->failed || extra > SIZE_MAX - b->len - 1)
        return fail(b);
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need) {
        if (cap > SIZE_MAX / 2)
            return fail(b);
        cap *= 2;
    }
    char *p = realloc(b->data, cap);
    if (!p)
        return fail(b);
    b->data = p;
    b->cap = cap;
    return 0;
}

int buf_append(struct buf *b, const void *p, size_t n)
{
    if (buf_reserve(b, n) != 0)
        return -1;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int buf_puts(struct buf *b, const char *s)
{
    return buf_append(b, s, strlen(s));
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char probe[256];
    int n = vsnprintf(probe, sizeof probe, fmt, ap);
    va_end(ap);
    if (n < 0)
        return fail(b);
    if ((size_t)n < sizeof probe)
        return buf_append(b, probe, (size_t)n);
    if (buf_reserve(b, (size_t)n) != 0)
        return -1;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

int buf_json_escape(struct buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *esc = NULL;
        char u[6];
        switch (c) {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        default:
            if (c < 0x20) {
                memcpy(u, "\\u00", 4);
                u[4] = hex[c >> 4];
                u[5] = hex[c & 15];
            }
        }
        if (!esc && c >= 0x20)
            continue;
        if (buf_append(b, s + run, i - run) != 0)
            return -1;
        if (esc ? buf_puts(b, esc) : buf_append(b, u, 6))
            return -1;
        run = i + 1;
    }
    return buf_append(b, s + run, n - run);
}

int buf_json_str(struct buf *b, const char *s)
{
    if (buf_append(b, "\"", 1) || buf_json_escape(b, s, strlen(s)) || buf_append(b, "\"", 1))
        return -1;
    return 0;
}

int buf_markup_escape(struct buf *b, const char *s)
{
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        const char *r = c == '<' ? "&lt;" : c == '>' ? "&gt;" : c == '&' ? "&amp;" : c == '"' ? "&quot;" : NULL;
        if (!r && c < 0x20 && c != '\t' && c != '\n' && c != '\r')
            r = "\xEF\xBF\xBD";
        if (r ? buf_puts(b, r) : buf_append(b, s, 1))
            return -1;
    }
    return 0;
}

const char *buf_cstr(struct buf *b)
{
    return b->data ? b->data : "";
}
