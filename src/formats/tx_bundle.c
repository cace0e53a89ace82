#include "formats/tx_bundle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "formats/json.h"
#include "util/err.h"

#define URN_UUID "urn:uuid:"

static int id_ok(const char *s)
{
    size_t n = strlen(s);
    if (!n || n > TX_ID_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
              s[i] == '-' || s[i] == '.'))
            return 0;
    return 1;
}

/* Entry i's request: POST Observation, PUT Observation/{id} or PUT
 * Observation?{query}, with its resource an Observation. */
static void read_entry(json_object *entry, int i, struct tx_entry *e)
{
    char where[64];
    json_object *req, *res;
    snprintf(where, sizeof where, "Bundle.entry[%d]", i);
    if (!json_object_is_type(entry, json_type_object) || !json_object_object_get_ex(entry, "request", &req) ||
        !json_object_is_type(req, json_type_object)) {
        fault_set(&e->fault, F_BAD_REQUEST, where, "each entry has a request with a method and a url");
        return;
    }
    const char *method = json_get_str(req, "method"), *url = json_get_str(req, "url");
    const char *full = json_get_str(entry, "fullUrl");
    e->full_url = full && !strncmp(full, URN_UUID, strlen(URN_UUID)) ? full : NULL;
    e->if_none_exist = json_get_str(req, "ifNoneExist");
    e->if_match = json_get_str(req, "ifMatch");
    snprintf(where, sizeof where, "Bundle.entry[%d].request.url", i);
    if (method && !strcmp(method, "POST") && url && !strcmp(url, "Observation")) {
        e->method = TX_POST;
    } else if (method && !strcmp(method, "PUT") && url && !strncmp(url, "Observation?", 12) && url[12]) {
        e->method = TX_PUT;
        e->query = url + 12;
    } else if (method && !strcmp(method, "PUT") && url && !strncmp(url, "Observation/", 12) && id_ok(url + 12)) {
        e->method = TX_PUT;
        memcpy(e->id, url + 12, strlen(url + 12) + 1);
    } else {
        fault_set(&e->fault, F_BAD_REQUEST, where,
                  "an entry is POST Observation, PUT Observation/{id} or PUT Observation?{search}: reads, deletes "
                  "and other types are not served in a transaction or batch");
        return;
    }
    snprintf(where, sizeof where, "Bundle.entry[%d].resource", i);
    const char *type;
    if (!json_object_object_get_ex(entry, "resource", &res) || !json_object_is_type(res, json_type_object) ||
        !(type = json_get_str(res, "resourceType")) || strcmp(type, "Observation")) {
        fault_set(&e->fault, F_BAD_REQUEST, where, "the entry's resource must be an Observation");
        return;
    }
    e->json = res;
}

int tx_bundle_parse(const char *text, size_t len, struct tx_bundle *out, struct fault *fault)
{
    memset(out, 0, sizeof *out);
    json_object *root = json_parse_strict(text, len, fault);
    if (!root)
        return -1;
    out->root = root;
    const char *rt = json_get_str(root, "resourceType"), *type = json_get_str(root, "type");
    json_object *entries;
    if (!rt || strcmp(rt, "Bundle"))
        return fault_set(fault, F_BAD_REQUEST, "Bundle.resourceType", "a transaction or batch is a Bundle");
    if (!type || (strcmp(type, "transaction") && strcmp(type, "batch")))
        return fault_set(fault, F_BAD_REQUEST, "Bundle.type", "the Bundle's type must be transaction or batch");
    out->transaction = !strcmp(type, "transaction");
    if (!json_object_object_get_ex(root, "entry", &entries) || !json_object_is_type(entries, json_type_array) ||
        json_object_array_length(entries) == 0)
        return fault_set(fault, F_BAD_REQUEST, "Bundle.entry", "the Bundle has no entries");
    size_t n = json_object_array_length(entries);
    if (n > TX_BUNDLE_MAX_ENTRIES)
        return fault_set(fault, F_BAD_REQUEST, "Bundle.entry", "at most %d entries in one Bundle",
                         TX_BUNDLE_MAX_ENTRIES);
    if (!(out->e = calloc(n, sizeof *out->e)))
        return fault_set(fault, F_INTERNAL, NULL, "out of memory");
    out->n = (int)n;
    for (int i = 0; i < out->n; i++) {
        buf_init(&out->e[i].resource);
        read_entry(json_object_array_get_idx(entries, (size_t)i), i, &out->e[i]);
    }
    /* Two entries naming themselves alike would make references ambiguous. */
    for (int i = 0; i < out->n; i++)
        for (int j = 0; j < i; j++)
            if (out->e[i].full_url && out->e[j].full_url && !strcmp(out->e[i].full_url, out->e[j].full_url))
                return fault_set(fault, F_BAD_REQUEST, "Bundle.entry.fullUrl", "two entries have the fullUrl %.60s",
                                 out->e[i].full_url);
    return 0;
}

/* Every "reference" in o naming one of the entries' fullUrls, rewritten. */
static int resolve_in(json_object *o, const struct tx_bundle *b, const char *const *ids)
{
    if (json_object_is_type(o, json_type_array)) {
        for (size_t i = 0; i < json_object_array_length(o); i++)
            if (resolve_in(json_object_array_get_idx(o, i), b, ids))
                return PHR_ENOMEM;
        return PHR_OK;
    }
    if (!json_object_is_type(o, json_type_object))
        return PHR_OK;
    json_object_object_foreach(o, key, value)
    {
        if (strcmp(key, "reference") || !json_object_is_type(value, json_type_string)) {
            if (resolve_in(value, b, ids))
                return PHR_ENOMEM;
            continue;
        }
        for (int i = 0; i < b->n; i++) {
            if (!b->e[i].full_url || !ids[i] || strcmp(json_object_get_string(value), b->e[i].full_url))
                continue;
            char ref[16 + TX_ID_MAX];
            snprintf(ref, sizeof ref, "Observation/%s", ids[i]);
            if (json_object_set_string(value, ref) != 1)
                return PHR_ENOMEM;
            break;
        }
    }
    return PHR_OK;
}

int tx_bundle_resolve(struct tx_bundle *b, const char *const *ids)
{
    for (int i = 0; i < b->n; i++)
        if (ids[i])
            snprintf(b->e[i].id, sizeof b->e[i].id, "%s", ids[i]);
    for (int i = 0; i < b->n; i++) {
        struct tx_entry *e = &b->e[i];
        if (!e->json)
            continue;
        if (resolve_in(e->json, b, ids))
            return PHR_ENOMEM;
        const char *s = json_object_to_json_string_ext(e->json, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        if (!s || buf_puts(&e->resource, s))
            return PHR_ENOMEM;
    }
    return PHR_OK;
}

void tx_bundle_free(struct tx_bundle *b)
{
    for (int i = 0; i < b->n; i++)
        buf_wipe(&b->e[i].resource);
    free(b->e);
    json_object_put(b->root);
    memset(b, 0, sizeof *b);
}
