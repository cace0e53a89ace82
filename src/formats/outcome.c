#include "formats/outcome.h"

#include <stdarg.h>
#include <stdio.h>

int issue_set(struct issue *is, int status, const char *code, const char *expression,
              const char *fmt, ...)
{
    is->status = status;
    is->code = code;
    snprintf(is->expression, sizeof is->expression, "%s", expression ? expression : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(is->diagnostics, sizeof is->diagnostics, fmt, ap);
    va_end(ap);
    return -1;
}

int outcome_write(const struct issue *is, struct buf *out)
{
    int err = buf_puts(out, "{\"resourceType\":\"OperationOutcome\",\"issue\":[{\"severity\":\"error\",\"code\":") ||
              buf_json_str(out, is->code) || buf_puts(out, ",\"diagnostics\":") ||
              buf_json_str(out, is->diagnostics);
    if (!err && is->expression[0])
        err = buf_puts(out, ",\"expression\":[") || buf_json_str(out, is->expression) || buf_puts(out, "]");
    return err || buf_puts(out, "}]}");
}

int problem_write(int status, const char *title, const char *detail, struct buf *out)
{
    return buf_puts(out, "{\"type\":\"about:blank\",\"title\":") || buf_json_str(out, title) ||
           buf_printf(out, ",\"status\":%d,\"detail\":", status) || buf_json_str(out, detail) ||
           buf_puts(out, "}");
}
