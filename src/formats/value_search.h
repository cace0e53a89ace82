/* Observation's value search parameters (FHIR R4 Observation's
 * value-quantity, component-code, component-value-quantity,
 * combo-code-value-quantity and component-code-value-quantity), tested on
 * a resource. Values are sealed at rest (design: no plaintext health values
 * at rest), so no index holds them: the service opens each record the other
 * conditions found and keeps those these accept. */
#ifndef PHR_VALUE_SEARCH_H
#define PHR_VALUE_SEARCH_H

#include <stddef.h>

#include "model/rows.h"

#define VALUE_MAX_CONDS 4   /* value parameters in one search, all must hold */
#define VALUE_MAX_ALTS 8    /* comma-separated values of one, any may */

enum value_on {
    VALUE_OF_OBSERVATION,   /* value-quantity: Observation.valueQuantity */
    VALUE_OF_COMPONENT,     /* component-value-quantity; with a code, component-code-value-quantity */
    VALUE_OF_EITHER,        /* combo-code-value-quantity: the Observation's or a component's */
    CODE_OF_COMPONENT,      /* component-code: a component so coded, whatever its value */
};

struct value_alt {
    struct token_value code;    /* the code the value belongs to ($); code NULL: any */
    int has_value;
    enum date_op op;            /* the prefixes dates have, on numbers */
    double lo, hi;              /* eq: [lo, hi), the value's precision; others: lo = hi = the value */
    const char *system, *unit;  /* NULL: any */
};

struct value_cond {
    enum value_on on;
    struct value_alt alt[VALUE_MAX_ALTS];
    int n;
};

struct value_conds {
    struct value_cond c[VALUE_MAX_CONDS];
    int n;
};

/* One parameter's value (text: owned by the caller, cut in place; the
 * condition points into it): 0, or -1 if it is not what the parameter
 * takes. */
int value_cond_parse(enum value_on on, char *text, struct value_cond *out);
/* Whether the resource (JSON, len bytes) meets every condition: 1, 0 (a
 * body that is no JSON object meets none), -1 out of memory. */
int value_conds_match(const struct value_conds *c, const char *json, size_t len);

#endif
