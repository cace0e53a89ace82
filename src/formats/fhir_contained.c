#include "formats/fhir_contained.h"

#include <stdio.h>
#include <string.h>

#include "formats/json.h"

static json_object *member(json_object *o, const char *key)
{
    json_object *v;
    return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

int fhir_contain_entry(json_object *entries, json_object *o, json_object *ref_obj, const char *type, struct fault *fault)
{
    const char *ref = json_get_str(ref_obj, "reference");
    size_t n = entries ? json_object_array_length(entries) : 0, tl = strlen(type);
    for (size_t i = 0; ref && i < n; i++) {
        json_object *e = json_object_array_get_idx(entries, i), *res = member(e, "resource");
        const char *t = json_get_str(res, "resourceType"), *id = json_get_str(res, "id"), *url = json_get_str(e, "fullUrl");
        size_t ul = url ? strlen(url) : 0, rl = strlen(ref);
        int named = (url && !strcmp(url, ref)) ||
                    (id && !strncmp(ref, type, tl) && ref[tl] == '/' && !strcmp(ref + tl + 1, id)) ||
                    (url && ul > rl && url[ul - rl - 1] == '/' && !strcmp(url + ul - rl, ref));
        if (!t || strcmp(t, type) || !named)
            continue;
        json_object *copy = NULL, *contained = member(o, "contained");
        if (contained && !json_object_is_type(contained, json_type_array))
            return -1; /* malformed: left as sent, for the checks to name */
        char local[80];
        snprintf(local, sizeof local, "#%s%zu", type, i);
        if (json_object_deep_copy(res, &copy, NULL) || !copy)
            return fault_set(fault, F_INTERNAL, NULL, "out of memory");
        json_object_object_add(copy, "id", json_object_new_string(local + 1));
        /* FHIR's dom-4: what is contained has no version of its own. */
        json_object *meta = member(copy, "meta");
        if (meta && json_object_is_type(meta, json_type_object)) {
            json_object_object_del(meta, "versionId");
            json_object_object_del(meta, "lastUpdated");
            if (!json_object_object_length(meta))
                json_object_object_del(copy, "meta");
        }
        if (!contained) {
            contained = json_object_new_array();
            json_object_object_add(o, "contained", contained);
        }
        json_object_array_add(contained, copy);
        json_object_object_add(ref_obj, "reference", json_object_new_string(local));
        return 0;
    }
    return -1;
}

int fhir_contain_performers(json_object *entries, json_object *o, struct fault *fault)
{
    static const char *const types[] = {"Practitioner", "PractitionerRole", "Organization"};
    json_object *perf = member(o, "performer");
    for (size_t i = 0; perf && json_object_is_type(perf, json_type_array) && i < json_object_array_length(perf); i++)
        for (size_t t = 0; t < sizeof types / sizeof types[0]; t++)
            if (!fhir_contain_entry(entries, o, json_object_array_get_idx(perf, i), types[t], fault))
                break;
    return fault->code ? -1 : 0;
}

void fhir_contained_patient(json_object *o, const char *person_id)
{
    static const char *const members[] = {"subject", "patient", "beneficiary"};
    json_object *list, *ref;
    char patient[64];
    snprintf(patient, sizeof patient, "Patient/%s", person_id);
    if (!json_object_object_get_ex(o, "contained", &list) || !json_object_is_type(list, json_type_array))
        return;
    for (size_t i = 0; i < json_object_array_length(list); i++)
        for (size_t k = 0; k < sizeof members / sizeof members[0]; k++) {
            json_object *c = json_object_array_get_idx(list, i);
            const char *to = json_object_is_type(c, json_type_object) &&
                                     json_object_object_get_ex(c, members[k], &ref) &&
                                     json_object_is_type(ref, json_type_object)
                                 ? json_get_str(ref, "reference")
                                 : NULL;
            /* A reference to the container ("#") or to another contained one stays. */
            if (to && *to != '#')
                json_object_object_add(ref, "reference", json_object_new_string(patient));
        }
}
