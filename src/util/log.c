#include "util/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/clock.h"

static enum log_level min_level = LOG_INFO;
static const char *const level_names[] = {"debug", "info", "warn", "error"};

void log_set_level(enum log_level min)
{
    min_level = min;
}

static void emit(struct buf *b)
{
    if (buf_puts(b, "}\n") == 0) {
        /* One write(2) per line keeps lines from different threads whole. */
        ssize_t w = write(STDERR_FILENO, b->data, b->len);
        (void)w;
    }
    buf_free(b);
}

static int head(struct buf *b, enum log_level lvl, const char *event)
{
    char ts[32];
    clock_format_ms(clock_now_ms(), ts);
    return buf_printf(b, "{\"ts\":\"%s\",\"level\":\"%s\",\"event\":", ts, level_names[lvl]) ||
           buf_json_str(b, event);
}

void log_event(enum log_level lvl, const char *event, ...)
{
    if (lvl < min_level)
        return;
    struct buf b;
    buf_init(&b);
    if (head(&b, lvl, event) != 0) {
        buf_free(&b);
        return;
    }
    va_list ap;
    va_start(ap, event);
    for (;;) {
        const char *k = va_arg(ap, const char *);
        if (!k)
            break;
        const char *v = va_arg(ap, const char *);
        if (buf_puts(&b, ",") || buf_json_str(&b, k) || buf_puts(&b, ":") ||
            buf_json_str(&b, v ? v : "")) {
            va_end(ap);
            buf_free(&b);
            return;
        }
    }
    va_end(ap);
    emit(&b);
}

void log_request(const char *req_id, const char *method, const char *route, int status,
                 double ms, const char *client)
{
    if (LOG_INFO < min_level)
        return;
    struct buf b;
    buf_init(&b);
    if (head(&b, LOG_INFO, "http.request") || buf_puts(&b, ",\"req\":") ||
        buf_json_str(&b, req_id) || buf_puts(&b, ",\"method\":") || buf_json_str(&b, method) ||
        buf_puts(&b, ",\"route\":") || buf_json_str(&b, route) ||
        buf_printf(&b, ",\"status\":%d,\"ms\":%.3f,\"client\":", status, ms) ||
        buf_json_str(&b, client)) {
        buf_free(&b);
        return;
    }
    emit(&b);
}
