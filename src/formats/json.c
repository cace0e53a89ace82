#include "formats/json.h"

#include <string.h>

/* Keys in the text, counted once json-c has accepted its syntax; and
 * whether a string escapes a NUL (\u0000), which would cut it short in
 * every C string it becomes (a login "nul\u0000@example.jp" read as
 * "nul"). */
static int scan(const char *text, size_t len, size_t *keys)
{
    *keys = 0;
    for (size_t i = 0; i < len; i++) {
        if (text[i] != '"')
            continue;
        for (i++; i < len && text[i] != '"'; i++) {
            if (text[i] != '\\')
                continue;
            i++;
            if (i + 4 < len && text[i] == 'u' && !memcmp(text + i + 1, "0000", 4))
                return -1;
        }
        size_t j = i + 1;
        while (j < len && strchr(" \t\r\n", text[j]))
            j++;
        *keys += j < len && text[j] == ':';
    }
    return 0;
}

/* Keys json-c kept: a duplicate key replaces the first, so fewer. */
static size_t kept_keys(json_object *o)
{
    size_t n = 0;
    if (json_object_is_type(o, json_type_object)) {
        json_object_object_foreach(o, k, v) {
            (void)k;
            n += 1 + kept_keys(v);
        }
    } else if (json_object_is_type(o, json_type_array)) {
        for (size_t i = 0; i < json_object_array_length(o); i++)
            n += kept_keys(json_object_array_get_idx(o, i));
    }
    return n;
}

json_object *json_parse_strict(const char *text, size_t len, struct fault *fault)
{
    json_tokener *tok = json_tokener_new_ex(JSON_MAX_DEPTH);
    if (!tok) {
        fault_set(fault, F_INTERNAL, NULL, "out of memory");
        return NULL;
    }
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    json_object *o = NULL;
    if (len == 0) {
        fault_set(fault, F_MALFORMED, NULL, "the request body is empty; a JSON document is required");
        goto out;
    }
    if (memchr(text, '\0', len)) {
        fault_set(fault, F_MALFORMED, NULL, "the body contains a NUL byte");
        goto out;
    }
    o = json_tokener_parse_ex(tok, text, (int)len);
    enum json_tokener_error e = json_tokener_get_error(tok);
    if (e == json_tokener_continue) {
        fault_set(fault, F_MALFORMED, NULL, "malformed JSON: the document ends early");
        goto out;
    }
    if (e != json_tokener_success) {
        fault_set(fault, F_MALFORMED, NULL, "malformed JSON at byte %zu: %s", json_tokener_get_parse_end(tok),
                  json_tokener_error_desc(e));
        goto out;
    }
    size_t end = json_tokener_get_parse_end(tok);
    while (end < len && strchr(" \t\r\n", text[end]))
        end++;
    if (end != len) {
        json_object_put(o);
        o = NULL;
        fault_set(fault, F_MALFORMED, NULL, "malformed JSON: unexpected data after the document at byte %zu", end);
        goto out;
    }
    size_t keys;
    if (scan(text, len, &keys)) {
        json_object_put(o);
        o = NULL;
        fault_set(fault, F_MALFORMED, NULL, "a JSON string holds \\u0000 (NUL), which no text here may contain");
    } else if (keys != kept_keys(o)) {
        json_object_put(o);
        o = NULL;
        fault_set(fault, F_MALFORMED, NULL, "an object names the same key twice; each key must be given once");
    }
out:
    json_tokener_free(tok);
    return o;
}

const char *json_get_str(json_object *o, const char *key)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

const char *json_get_str_len(json_object *o, const char *key, size_t *len)
{
    json_object *v;
    *len = 0;
    if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, key, &v) ||
        !json_object_is_type(v, json_type_string))
        return NULL;
    *len = (size_t)json_object_get_string_len(v);
    return json_object_get_string(v);
}

void json_wipe_str(json_object *o, const char *key)
{
    size_t len;
    const char *s = json_get_str_len(o, key, &len);
    if (s)
        explicit_bzero((char *)s, len);
}
