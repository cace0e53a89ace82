/* A growable byte buffer: the one way this program builds text of unknown
 * length (responses, log lines, SQL-free JSON), so that no fixed buffer ever
 * meets outside input. Every append returns 0 or -1 on allocation failure.
 *
 * The error is sticky (SQLite's StrAccum is the model): after one failed
 * append every later append fails too and appends nothing, so the buffer
 * never holds text with a hole in it, and a writer that builds an answer
 * with many appends checks buf_failed() once before the answer is sent
 * (the server does, for every answer) instead of checking each call. The
 * buffer stays valid and keeps what it had; buf_init, buf_free and
 * buf_reset clear the error. */
#ifndef PHR_BUF_H
#define PHR_BUF_H

#include <stddef.h>

struct buf {
    char *data;     /* always NUL-terminated when len > 0 or after buf_cstr */
    size_t len;
    size_t cap;
    int failed;     /* an append failed: every later one does, until reset */
};

void buf_init(struct buf *b);
void buf_free(struct buf *b);
/* Frees the contents after overwriting them: for buffers that held secrets
 * or health data in plaintext. */
void buf_wipe(struct buf *b);
/* Empties the buffer (keeping its storage) and clears its error. */
void buf_reset(struct buf *b);
/* 1 if an append has failed since the buffer was last initialised or reset. */
static inline int buf_failed(const struct buf *b) { return b->failed; }
int buf_reserve(struct buf *b, size_t extra);
int buf_append(struct buf *b, const void *p, size_t n);
int buf_puts(struct buf *b, const char *s);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s as the body of a JSON string (no quotes added). */
int buf_json_escape(struct buf *b, const char *s, size_t n);
/* Appends "s" with quotes, JSON-escaped. */
int buf_json_str(struct buf *b, const char *s);
/* Appends s as HTML or XML text or attribute value: & < > " escaped, and
 * the control characters XML 1.0 cannot hold (all but tab, LF, CR) written
 * as U+FFFD. NULL appends nothing. */
int buf_markup_escape(struct buf *b, const char *s);
/* Returns a NUL-terminated view (an empty buffer gives ""). */
const char *buf_cstr(struct buf *b);

#endif
