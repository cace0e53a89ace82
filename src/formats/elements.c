#include "formats/elements.h"

#include <stdio.h>
#include <string.h>
#include <json-c/json.h>

#include "formats/scopes.h"
#include "util/err.h"

#define SUBSETTED_SYSTEM "http://terminology.hl7.org/CodeSystem/v3-ObservationValue"

/* What R4 requires of the types exported (1..1), kept whatever is asked. */
static const struct {
    const char *type, *names;
} mandatory[] = {
    {"Observation", ",status,code,"},
    {"AllergyIntolerance", ",patient,"},
    {"MedicationRequest", ",status,intent,medicationCodeableConcept,medicationReference,subject,"},
    {"MedicationDispense", ",status,medicationCodeableConcept,medicationReference,"},
    {"MedicationStatement", ",status,medicationCodeableConcept,medicationReference,subject,"},
    {"DocumentReference", ",status,content,"},
    {"Immunization", ",status,vaccineCode,patient,occurrenceDateTime,occurrenceString,"},
};

/* What R4 marks isSummary, by type (profiles-resources.json, root
 * elements; a choice by its name without [x]): _summary=true. */
static const struct {
    const char *type, *names;
} summaries[] = {
    {"Observation", "implicitRules,identifier,basedOn,partOf,status,code,subject,focus,encounter,effective,issued,"
                    "performer,value,hasMember,derivedFrom,component"},
    {"AllergyIntolerance", "implicitRules,identifier,clinicalStatus,verificationStatus,type,category,criticality,code,"
                           "patient,asserter"},
    {"MedicationRequest", "implicitRules,status,intent,priority,doNotPerform,reported,medication,subject,authoredOn,"
                          "requester,performerType,instantiatesCanonical,instantiatesUri,basedOn,groupIdentifier"},
    {"MedicationDispense", "implicitRules,status,medication,subject,whenPrepared"},
    {"MedicationStatement", "implicitRules,identifier,basedOn,partOf,status,category,medication,subject,context,"
                            "effective,dateAsserted"},
    {"Immunization", "implicitRules,status,vaccineCode,patient,occurrence,primarySource,performer,note,isSubpotent"},
    {"DocumentReference", "implicitRules,masterIdentifier,identifier,status,docStatus,type,category,subject,date,"
                          "author,relatesTo,description,securityLabel,content,context"},
};

static int name_ok(const char *s, size_t n)
{
    if (n == 0 || n >= 64 || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
            return 0;
    return 1;
}

int elements_parse(const char *list, struct elements *out, struct fault *fault)
{
    out->n = 0;
    if (strlen(list) > ELEMENTS_LIST_MAX)
        return fault_set(fault, F_BAD_REQUEST, "_elements", "_elements may be at most %d characters",
                         ELEMENTS_LIST_MAX);
    for (const char *p = list; *p;) {
        size_t n = strcspn(p, ","), dot = strcspn(p, ".");
        if (n == 0) {
            p++;
            continue;
        }
        if (out->n == ELEMENTS_MAX)
            return fault_set(fault, F_BAD_REQUEST, "_elements", "at most %d elements", ELEMENTS_MAX);
        char type[48] = "";
        const char *name = p;
        size_t nn = n;
        if (dot < n) {
            if (dot >= sizeof type)
                return fault_set(fault, F_BAD_REQUEST, "_elements", "'%.*s' names no resource type", (int)dot, p);
            memcpy(type, p, dot);
            type[dot] = '\0';
            name = p + dot + 1;
            nn = n - dot - 1;
            if (!fhir_resource_type(type))
                return fault_set(fault, F_BAD_REQUEST, "_elements", "'%s' is no FHIR R4 resource type", type);
        }
        if (!name_ok(name, nn))
            return fault_set(fault, F_BAD_REQUEST, "_elements",
                             "'%.*s' is no root element: give name or Type.name, comma-separated", (int)(n > 60 ? 60 : n),
                             p);
        snprintf(out->e[out->n].type, sizeof out->e[out->n].type, "%s", type);
        snprintf(out->e[out->n].name, sizeof out->e[out->n].name, "%.*s", (int)nn, name);
        out->n++;
        p += n + (p[n] == ',');
    }
    return 0;
}

static int kept(const struct elements *e, const char *type, const char *key)
{
    if (!strcmp(key, "resourceType") || !strcmp(key, "id") || !strcmp(key, "meta"))
        return 1;
    char wrapped[80];
    snprintf(wrapped, sizeof wrapped, ",%s,", key);
    for (size_t i = 0; i < sizeof mandatory / sizeof mandatory[0]; i++)
        if (!strcmp(mandatory[i].type, type) && strstr(mandatory[i].names, wrapped))
            return 1;
    for (size_t i = 0; i < e->n; i++) {
        /* "value" names value[x]: valueQuantity, valueString, ... */
        size_t n = strlen(e->e[i].name);
        if (!strncmp(e->e[i].name, key, n) && (!key[n] || (key[n] >= 'A' && key[n] <= 'Z')) &&
            (!e->e[i].type[0] || !strcmp(e->e[i].type, type)))
            return 1;
    }
    return 0;
}

/* meta.tag gets SUBSETTED (meta made if there was none). */
static int tag_subsetted(json_object *resource)
{
    json_object *meta, *tags, *tag = json_object_new_object();
    if (!tag)
        return PHR_ENOMEM;
    if (!json_object_object_get_ex(resource, "meta", &meta) || !json_object_is_type(meta, json_type_object)) {
        if (!(meta = json_object_new_object()) || json_object_object_add(resource, "meta", meta)) {
            json_object_put(tag);
            return PHR_ENOMEM;
        }
    }
    if (!json_object_object_get_ex(meta, "tag", &tags) || !json_object_is_type(tags, json_type_array)) {
        if (!(tags = json_object_new_array()) || json_object_object_add(meta, "tag", tags)) {
            json_object_put(tag);
            return PHR_ENOMEM;
        }
    }
    if (json_object_object_add(tag, "system", json_object_new_string(SUBSETTED_SYSTEM)) ||
        json_object_object_add(tag, "code", json_object_new_string("SUBSETTED")) ||
        json_object_array_add(tags, tag)) {
        json_object_put(tag);
        return PHR_ENOMEM;
    }
    return PHR_OK;
}

int elements_summary(const char *type, struct elements *out)
{
    for (size_t i = 0; i < sizeof summaries / sizeof summaries[0]; i++)
        if (!strcmp(summaries[i].type, type)) {
            struct fault ignored;
            return elements_parse(summaries[i].names, out, &ignored);
        }
    return -1;
}

int elements_apply(const struct elements *e, const char *json, size_t len, struct buf *out)
{
    json_tokener *tok = json_tokener_new();
    json_object *in = tok ? json_tokener_parse_ex(tok, json, (int)len) : NULL;
    if (tok)
        json_tokener_free(tok);
    if (!in || !json_object_is_type(in, json_type_object)) {
        json_object_put(in);
        return buf_append(out, json, len) ? PHR_ENOMEM : PHR_OK;
    }
    json_object *type_of;
    const char *type = json_object_object_get_ex(in, "resourceType", &type_of) ? json_object_get_string(type_of) : "";
    json_object *subset = json_object_new_object();
    int err = subset ? PHR_OK : PHR_ENOMEM;
    json_object_object_foreach(in, key, value)
    {
        if (!err && kept(e, type ? type : "", key) && json_object_object_add(subset, key, json_object_get(value)))
            err = PHR_ENOMEM;
    }
    if (!err)
        err = tag_subsetted(subset);
    if (!err) {
        const char *s = json_object_to_json_string_ext(subset, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        err = !s || buf_puts(out, s) ? PHR_ENOMEM : PHR_OK;
    }
    json_object_put(subset);
    json_object_put(in);
    return err;
}
