#include "util/fault.h"

#include <stdarg.h>
#include <stdio.h>

#include "util/utf8.h"

static const struct fault_def defs[FAULT_CODES] = {
    [F_NONE] = {"internal", FAULT_INTERNAL, "exception", "", ""},
#define FAULT(id, name, kind, fhir, en, ja) [id] = {name, kind, fhir, en, ja},
#include "util/faults.def"
#undef FAULT
};

int fault_set(struct fault *f, enum fault_code code, const char *expression, const char *fmt, ...)
{
    f->code = code;
    snprintf(f->expression, sizeof f->expression, "%s", expression ? expression : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->detail, sizeof f->detail, fmt, ap);
    va_end(ap);
    /* A name from a file, cut to fit, must not make the answer invalid UTF-8. */
    utf8_scrub(f->detail);
    return -1;
}

const struct fault_def *fault_def(enum fault_code code)
{
    return code > F_NONE && code < FAULT_CODES ? &defs[code] : &defs[F_INTERNAL];
}
