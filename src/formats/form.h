/* application/x-www-form-urlencoded bodies (the OAuth token endpoint's, RFC
 * 6749 §3.2 and the HTML form encoding): name=value pairs joined by &, with
 * + for a space and %XX escapes. A name given twice is refused (RFC 6749:
 * parameters MUST NOT be included more than once), as are NULs, malformed
 * escapes and more fields than any client of ours sends. */
#ifndef PHR_FORM_H
#define PHR_FORM_H

#include <stddef.h>

#include "util/buf.h"
#include "util/fault.h"

#define FORM_MAX_FIELDS 16

struct form {
    struct {
        char *name, *value;
    } f[FORM_MAX_FIELDS];
    int n;
};

/* 0, or -1 with the fault. The form's strings are its own; form_free wipes
 * the values (a client secret or an assertion may be among them). */
int form_parse(const char *body, size_t len, struct form *out, struct fault *fault);
/* One form-encoded part (n bytes) decoded, malloc'd; NULL if malformed,
 * holding a NUL, or not UTF-8. */
char *form_decode(const char *s, size_t n);
/* The value of name, or NULL. */
const char *form_get(const struct form *f, const char *name);
void form_free(struct form *f);
/* s appended with every byte but A-Z a-z 0-9 - . _ ~ as %XX (a query
 * parameter's value); 0, or -1 with the buffer's error. */
int form_encode(struct buf *b, const char *s);

#endif
