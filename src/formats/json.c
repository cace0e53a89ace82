#include "formats/json.h"

#include <string.h>

json_object *json_parse_strict(const char *text, size_t len, struct issue *is)
{
    json_tokener *tok = json_tokener_new_ex(JSON_MAX_DEPTH);
    if (!tok) {
        issue_set(is, 500, "exception", NULL, "out of memory");
        return NULL;
    }
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    json_object *o = NULL;
    if (len == 0) {
        issue_set(is, 400, "structure", NULL, "the request body is empty; a JSON document is required");
        goto out;
    }
    if (memchr(text, '\0', len)) {
        issue_set(is, 400, "structure", NULL, "the body contains a NUL byte");
        goto out;
    }
    o = json_tokener_parse_ex(tok, text, (int)len);
    enum json_tokener_error e = json_tokener_get_error(tok);
    if (e == json_tokener_continue) {
        issue_set(is, 400, "structure", NULL, "malformed JSON: the document ends early");
        goto out;
    }
    if (e != json_tokener_success) {
        issue_set(is, 400, "structure", NULL, "malformed JSON at byte %zu: %s",
                  json_tokener_get_parse_end(tok), json_tokener_error_desc(e));
        goto out;
    }
    size_t end = json_tokener_get_parse_end(tok);
    while (end < len && strchr(" \t\r\n", text[end]))
        end++;
    if (end != len) {
        json_object_put(o);
        o = NULL;
        issue_set(is, 400, "structure", NULL, "malformed JSON: unexpected data after the document at byte %zu", end);
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
