/* What is wrong with a request, and how it is written back: as a FHIR
 * OperationOutcome under /fhir, as RFC 9457 problem+json under /api. */
#ifndef PHR_OUTCOME_H
#define PHR_OUTCOME_H

#include "util/buf.h"

struct issue {
    int status;                 /* HTTP status the issue calls for */
    const char *code;           /* FHIR issue type: invalid, structure, required, value, ... */
    char diagnostics[256];
    char expression[96];        /* FHIRPath of the offending element, "" if none */
};

/* Fills an issue; returns -1 so that validators can `return issue_set(...)`. */
int issue_set(struct issue *is, int status, const char *code, const char *expression,
              const char *fmt, ...) __attribute__((format(printf, 5, 6)));

int outcome_write(const struct issue *is, struct buf *out);
int problem_write(int status, const char *title, const char *detail, struct buf *out);

#endif
