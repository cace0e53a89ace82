/* Parsing untrusted JSON: strict RFC 8259, valid UTF-8, bounded depth,
 * nothing after the value, no key twice in one object (json-c would keep
 * the last silently) and no NUL escaped in a string. */
#ifndef PHR_JSON_H
#define PHR_JSON_H

#include <stddef.h>
#include <json-c/json.h>

#include "util/fault.h"

#define JSON_MAX_DEPTH 32

/* Returns a new object, or NULL with the fault filled (malformed). */
json_object *json_parse_strict(const char *text, size_t len, struct fault *fault);
/* The string member `key` of o, or NULL if absent or not a string. */
const char *json_get_str(json_object *o, const char *key);
/* The same with its length (a secret may hold any byte); *len 0 when absent. */
const char *json_get_str_len(json_object *o, const char *key, size_t *len);
/* Overwrites a string member in place: a secret (password, recovery code)
 * read from a request is wiped before the object is released. */
void json_wipe_str(json_object *o, const char *key);

#endif
