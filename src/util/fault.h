/* Why something was refused or failed, as the service says it: a stable
 * code from faults.def (which fixes its kind) and a detail for this
 * occurrence. The service and the formats speak faults; only http/ turns
 * a kind into a status and a body, and the CLI into a line on stderr. */
#ifndef PHR_FAULT_H
#define PHR_FAULT_H

enum fault_kind {
    FAULT_MALFORMED,       /* the request cannot be read */
    FAULT_INVALID,         /* it reads, but a rule refuses it */
    FAULT_UNAUTHENTICATED, /* who is asking is not known */
    FAULT_FORBIDDEN,       /* they may not */
    FAULT_NOT_FOUND,
    FAULT_METHOD,          /* the address takes other methods */
    FAULT_NOT_ACCEPTABLE,  /* the answer cannot be given in the format asked */
    FAULT_CONFLICT,
    FAULT_GONE,
    FAULT_PRECONDITION,    /* a version named by the caller is not current */
    FAULT_TOO_LARGE,
    FAULT_URI_TOO_LONG,
    FAULT_MEDIA_TYPE,      /* content of a type not taken here */
    FAULT_THROTTLED,
    FAULT_UNAVAILABLE,     /* try again later; nothing was done */
    FAULT_INTERNAL
};

enum fault_code {
    F_NONE,
#define FAULT(id, name, kind, fhir, en, ja) id,
#include "util/faults.def"
#undef FAULT
    FAULT_CODES
};

struct fault_def {
    const char *name;      /* the stable code clients see */
    enum fault_kind kind;
    const char *fhir_type; /* OperationOutcome.issue.code */
    const char *title_en, *title_ja;
};

struct fault {
    enum fault_code code;  /* F_NONE: nothing is wrong */
    char detail[256];      /* this occurrence, in English; no health value, no route */
    char expression[96];   /* the element at fault (FHIRPath or field name), "" if none */
};

/* Fills f; returns -1 so that a validator can `return fault_set(...)`. */
int fault_set(struct fault *f, enum fault_code code, const char *expression, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The table's row for code (F_NONE and out-of-range codes: F_INTERNAL's). */
const struct fault_def *fault_def(enum fault_code code);

#endif
