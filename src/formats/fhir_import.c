#include "formats/fhir_import.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/checkup_fhir.h"
#include "formats/fhir_contained.h"
#include "formats/fhir_person.h"
#include "formats/fhirtime.h"
#include "formats/json.h"
#include "formats/medicine.h"
#include "formats/vital_codes.h"
#include "util/clock.h"

#define JST_MIN (9 * 60)
#define MAX_RECORDS 10000

struct reader {
    struct fhir_doc *d;
    int whole;                /* a whole record (a .phr file): kinds not kept are passed over */
    json_object *entries;     /* a Bundle's, or NULL */
    size_t cap_results, cap_sent, cap_vitals, cap_others;
    int64_t now;
    struct fault *fault;
};

static json_object *member(json_object *o, const char *key)
{
    json_object *v;
    return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static json_object *first_coding(json_object *cc, const char *system)
{
    json_object *codings = member(cc, "coding");
    for (size_t i = 0; codings && json_object_is_type(codings, json_type_array) && i < json_object_array_length(codings); i++) {
        json_object *c = json_object_array_get_idx(codings, i);
        const char *sys = json_get_str(c, "system");
        if (!system || (sys && !strcmp(sys, system)))
            return c;
    }
    return NULL;
}

static int checkup_value(json_object *o, const struct tokutei_item *it, size_t i, struct buf *b, struct fault *fault)
{
    json_object *q = member(o, "valueQuantity"), *cc = member(o, "valueCodeableConcept"), *s = member(o, "valueString");
    const char *want = it->type;
    if (!strcmp(want, "PQ")) {
        json_object *v = member(q, "value");
        /* A unit text without a system counts when it is the item's UCUM code ("mg/dL"). */
        const char *unit = vital_codes_ucum(q);
        if (!unit && !json_get_str(q, "system"))
            unit = json_get_str(q, "code") ? json_get_str(q, "code") : json_get_str(q, "unit");
        if (!v || !(json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int)))
            return fault_set(fault, F_INVALID_VALUE, NULL,
                             "entry %zu, item %s (%s): valueQuantity.value must be a number", i, it->code, it->name);
        if (*it->unit && (!unit || strcmp(unit, it->unit)))
            return fault_set(fault, F_INVALID_VALUE, NULL, "entry %zu, item %s (%s): the unit must be '%s', not '%s'",
                             i, it->code, it->name, it->unit, unit ? unit : "");
        const char *u = *it->unit ? it->unit : unit;
        return buf_puts(b, "\"valueQuantity\":{\"value\":") ||
                       buf_puts(b, json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN)) ||
                       (u && *u &&
                        (buf_puts(b, ",\"unit\":") || buf_json_str(b, u) ||
                         buf_puts(b, ",\"system\":\"http://unitsofmeasure.org\",\"code\":") || buf_json_str(b, u))) ||
                       buf_puts(b, "}")
                   ? fault_set(fault, F_INTERNAL, NULL, "out of memory")
                   : 0;
    }
    if (!strcmp(want, "CD") || !strcmp(want, "CO")) {
        json_object *c = first_coding(cc, NULL);
        const char *sys = json_get_str(c, "system"), *code = json_get_str(c, "code"), *display = json_get_str(c, "display");
        if (!sys || !code)
            return fault_set(fault, F_INVALID_VALUE, NULL,
                             "entry %zu, item %s (%s): a coded value needs system and code", i, it->code, it->name);
        return buf_puts(b, "\"valueCodeableConcept\":{\"coding\":[{\"system\":") || buf_json_str(b, sys) ||
                       buf_puts(b, ",\"code\":") || buf_json_str(b, code) ||
                       (display && (buf_puts(b, ",\"display\":") || buf_json_str(b, display))) || buf_puts(b, "}]}")
                   ? fault_set(fault, F_INTERNAL, NULL, "out of memory")
                   : 0;
    }
    const char *text = s && json_object_is_type(s, json_type_string) ? json_object_get_string(s) : NULL;
    if (!text || !*text)
        return fault_set(fault, F_INVALID_VALUE, NULL, "entry %zu, item %s (%s): valueString is required", i, it->code,
                         it->name);
    return buf_puts(b, "\"valueString\":") || buf_json_str(b, text)
               ? fault_set(fault, F_INTERNAL, NULL, "out of memory")
               : 0;
}

/* A number's text as the document wrote it (kept by the number's own
 * object), or NULL. */
static const char *number_text(json_object *v)
{
    return v && (json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int))
               ? json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN)
               : NULL;
}

/* The institution's reference range (the first one given) and flag, kept
 * in the item's unit as the report states them. */
static int checkup_range(json_object *o, struct cda_result *r, struct fault *fault)
{
    json_object *ranges = member(o, "referenceRange"), *range = NULL;
    if (ranges && json_object_is_type(ranges, json_type_array) && json_object_array_length(ranges) > 0)
        range = json_object_array_get_idx(ranges, 0);
    json_object *interp = member(o, "interpretation"), *flag = NULL;
    if (interp && json_object_is_type(interp, json_type_array) && json_object_array_length(interp) > 0)
        flag = first_coding(json_object_array_get_idx(interp, 0),
                            "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation");
    return cda_result_range(r, number_text(member(member(range, "low"), "value")),
                            number_text(member(member(range, "high"), "value")), json_get_str(flag, "code"), fault);
}

static void note_time(struct fhir_doc *d, int64_t lo, int64_t hi)
{
    if (!d->date[0] || lo > d->lo) {
        char when[32];
        clock_format_ms(lo + JST_MIN * 60000LL, when);
        snprintf(d->date, sizeof d->date, "%.10s", when);
        d->lo = lo;
        d->hi = hi;
    }
}

/* An Observation coded with the item table: a checkup result. */
static int checkup_entry(struct reader *rd, json_object *o, size_t i, const char *code)
{
    struct fault *fault = rd->fault;
    struct cda_checkup *c = &rd->d->checkup;
    const struct tokutei_item *it = tokutei_item_find(code);
    if (!it)
        return fault_set(fault, F_UNKNOWN_CODE, NULL, "entry %zu: item code %s is not in the 特定健診 item table", i,
                         code);
    if (!member(o, "valueQuantity") && !member(o, "valueCodeableConcept") && !member(o, "valueString")) {
        rd->d->skipped++;
        return 0;
    }
    const char *eff = json_get_str(o, "effectiveDateTime");
    int64_t lo, hi;
    if (!eff || strlen(eff) < 10 || fhirtime_parse(eff, FHIRTIME_DATETIME, JST_MIN, &lo, &hi))
        return fault_set(fault, F_MISSING, NULL, "entry %zu (%s): effectiveDateTime is missing or not a date", i,
                         it->name);
    if (cda_result_room(c, &rd->cap_results, fault))
        return -1;
    struct cda_result *r = &c->results[c->nresults];
    *r = (struct cda_result){.item = it, .date_lo = lo, .date_hi = hi};
    snprintf(r->date, sizeof r->date, "%.10s", eff);
    if (rd->cap_sent < rd->cap_results) {
        json_object **sent = realloc(rd->d->sent, rd->cap_results * sizeof *sent);
        if (!sent)
            return fault_set(fault, F_INTERNAL, NULL, "out of memory");
        rd->d->sent = sent;
        rd->cap_sent = rd->cap_results;
    }
    if (checkup_value(o, it, i, &r->value, fault) || checkup_range(o, r, fault) ||
        fhir_contain_performers(rd->entries, o, fault)) {
        buf_free(&r->value);
        return -1;
    }
    rd->d->sent[c->nresults] = json_object_get(o);
    if (!c->date[0] || strcmp(r->date, c->date) > 0) {
        memcpy(c->date, r->date, sizeof c->date);
        c->date_lo = lo;
        c->date_hi = hi;
    }
    c->nresults++;
    note_time(rd->d, lo, hi);
    return 0;
}

/* An Observation of a supported vital sign: checked as a submitted one. */
static int vital_entry(struct reader *rd, json_object *o, size_t i)
{
    struct fhir_doc *d = rd->d;
    /* The file's own patient and id are replaced when stored. */
    json_object_object_del(o, "subject");
    json_object_object_del(o, "id");
    if (fhir_contain_performers(rd->entries, o, rd->fault))
        return -1;
    const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
    if (!text)
        return fault_set(rd->fault, F_INTERNAL, NULL, "out of memory");
    char where[32];
    snprintf(where, sizeof where, "entry %zu", i);
    if (csv_vitals_add(&d->vitals, &rd->cap_vitals, text, rd->now, where, rd->fault))
        return -1;
    note_time(d, d->vitals.lo, d->vitals.hi);
    return 0;
}

static const struct other_kind {
    const char *type, *category, *subject_member, *from_member, *code_member, *name_system;
    const char *when[3];              /* dateTime members, the first present counts */
    const char *period;               /* or a Period member's start */
    int stateless;                    /* no status element (an allergy's status is clinical, and optional) */
} other_kinds[] = {
    {"AllergyIntolerance", "allergy", "patient", NULL, "code", "urn:phr:allergy-text",
     {"recordedDate", "onsetDateTime", NULL}, "onsetPeriod", 1},
    {"MedicationDispense", "medication", "subject", "supportingInformation", "medicationCodeableConcept", "urn:phr:drug-name",
     {"whenHandedOver", "whenPrepared", NULL}, NULL, 0},
    {"MedicationRequest", "medication", "subject", "supportingInformation", "medicationCodeableConcept",
     "urn:phr:drug-name", {"authoredOn", NULL, NULL}, NULL, 0},
    {"MedicationStatement", "medication", "subject", "derivedFrom", "medicationCodeableConcept", "urn:phr:drug-name",
     {"effectiveDateTime", "dateAsserted", NULL}, "effectivePeriod", 0},
    {"Immunization", "immunization", "patient", NULL, "vaccineCode", "urn:phr:vaccine-name",
     {"occurrenceDateTime", "recorded", NULL}, NULL, 0},
};

/* Resources that only give context to the records: counted, not stored. A
 * DiagnosticReport is a lab's cover for its results: the results (the
 * Bundle's Observations) are imported as their codes allow, and the report
 * stays in the file kept as the document. */
static const char *const context_types[] = {
    "Patient", "Composition", "Organization", "Practitioner", "PractitionerRole", "Coverage", "Encounter",
    "Location", "Medication", "Device", "RelatedPerson", "Provenance", "DocumentReference", "DocumentManifest",
    "OperationOutcome", "DiagnosticReport", "ServiceRequest", "Specimen",
};

static int other_entry(struct reader *rd, json_object *o, size_t i, const struct other_kind *k)
{
    struct fault *fault = rd->fault;
    const char *status = json_get_str(o, "status");
    if (!k->stateless && (!status || !*status))
        return fault_set(fault, F_MISSING, NULL, "entry %zu (%s): status is required", i, k->type);
    /* A medicine named by a Medication the resource contains stays so (a
     * compound names its ingredients, not one code); it is indexed by what
     * names it. */
    int medicine = !strcmp(k->category, "medication");
    if (medicine && member(o, "medicationReference") && !medicine_contained(o) &&
        fhir_contain_entry(rd->entries, o, member(o, "medicationReference"), "Medication", fault))
        return fault->code ? -1
                           : fault_set(fault, F_NOT_SUPPORTED, NULL,
                                       "entry %zu (%s): medicationReference must name a Medication contained in the "
                                       "resource (#id) or carried in the same Bundle; or give medicationCodeableConcept",
                                       i, k->type);
    json_object *cc = medicine ? medicine_concept(o) : member(o, k->code_member), *c = first_coding(cc, NULL);
    const char *system = json_get_str(c, "system"), *code = json_get_str(c, "code");
    const char *text = medicine ? medicine_name(o) : json_get_str(cc, "text");
    if (!(system && code && *code) && !(text && *text))
        return fault_set(fault, F_MISSING, NULL,
                         "entry %zu (%s): %s needs a coding (system and code) or a text%s", i, k->type,
                         k->code_member, medicine ? ", or a contained Medication with a code or ingredients" : "");
    const char *when = NULL;
    for (size_t w = 0; !when && w < 3 && k->when[w]; w++)
        when = json_get_str(o, k->when[w]);
    if (!when && k->period)
        when = json_get_str(member(o, k->period), "start");
    int64_t lo, hi;
    if (!when || fhirtime_parse(when, FHIRTIME_DATETIME, JST_MIN, &lo, &hi))
        return fault_set(fault, F_MISSING, NULL,
                         "entry %zu (%s): when it happened is missing or not a FHIR "
                         "dateTime (%s%s%s)",
                         i, k->type, k->when[0], k->period ? ", " : "", k->period ? k->period : "");
    if (lo > rd->now + 24 * 3600 * 1000LL)
        return fault_set(fault, F_INVALID_VALUE, NULL, "entry %zu (%s): %.32s lies in the future", i, k->type, when);
    struct fhir_doc *d = rd->d;
    if (d->nothers == rd->cap_others) {
        size_t cap = rd->cap_others ? rd->cap_others * 2 : 16;
        struct fhir_other *x = realloc(d->others, cap * sizeof *x);
        if (!x)
            return fault_set(fault, F_INTERNAL, NULL, "out of memory");
        d->others = x;
        rd->cap_others = cap;
    }
    int coded = system && code && *code;
    d->others[d->nothers++] = (struct fhir_other){
        .res = json_object_get(o), .type = k->type, .category = k->category, .subject_member = k->subject_member,
        .from_member = k->from_member,
        .code_system = coded ? system : k->name_system, .code = coded ? code : text, .lo = lo, .hi = hi,
    };
    note_time(d, lo, hi);
    return 0;
}

/* The item table's codes are JLAC10's 17 characters: a result coded with
 * JLAC10 under JP Core's names for it (1.1's OID and CodeSystem, 1.2's
 * MEDIS URL) is a checkup item when the table has its code. */
static const char *const jlac10_systems[] = {
    "urn:oid:1.2.392.200119.4.504",
    "http://jpfhir.jp/fhir/core/CodeSystem/JP_ObservationLabResultCode_CS",
    "http://medis.or.jp/CodeSystem/master-JLAC10-17digits",
};

static const char *item_code(json_object *cc)
{
    const char *code = json_get_str(first_coding(cc, "urn:oid:" TOKUTEI_ITEM_OID), "code");
    for (size_t s = 0; !code && s < sizeof jlac10_systems / sizeof jlac10_systems[0]; s++) {
        const char *c = json_get_str(first_coding(cc, jlac10_systems[s]), "code");
        if (c && tokutei_item_find(c))
            code = c;
    }
    return code;
}

static int is_vital(json_object *o)
{
    return vital_codes_rule(member(o, "code")) != NULL;
}

/* The examining institution: the Organization an Encounter's
 * serviceProvider names, as the Bundle carries it (without its id), for
 * the document's Encounter when the checkup is exported. -1 only out of
 * memory. */
static int institution(struct reader *rd, json_object *encounter)
{
    json_object *ref = member(encounter, "serviceProvider"), *tmp, *copy = NULL, *org;
    struct buf *out = &rd->d->checkup.institution;
    if (out->len || !ref || !rd->entries || json_object_deep_copy(ref, &copy, NULL) || !(tmp = json_object_new_object())) {
        json_object_put(copy);
        return 0;
    }
    int rc = 0;
    json_object_object_add(tmp, "serviceProvider", copy);
    if (!fhir_contain_entry(rd->entries, tmp, copy, "Organization", rd->fault) &&
        (org = json_object_array_get_idx(member(tmp, "contained"), 0)) != NULL) {
        json_object_object_del(org, "id");
        size_t n;
        const char *s =
            json_object_to_json_string_length(org, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
        rc = !s || buf_append(out, s, n) ? -1 : 0;
    }
    json_object_put(tmp);
    return rc;
}

/* A resource of a kind the service does not keep (the fault says which):
 * refused, or in a whole record passed over, counted, the first named. */
static int not_kept(struct reader *rd)
{
    if (!rd->whole)
        return -1;
    if (!rd->d->passed_over++)
        snprintf(rd->d->passed_first, sizeof rd->d->passed_first, "%s", rd->fault->detail);
    memset(rd->fault, 0, sizeof *rd->fault);
    return 0;
}

static int entry(struct reader *rd, json_object *res, size_t i)
{
    const char *t = json_get_str(res, "resourceType");
    if (!t)
        return fault_set(rd->fault, F_MISSING, NULL, "entry %zu: resourceType is missing", i);
    if (fhir_doc_records(rd->d) >= MAX_RECORDS)
        return fault_set(rd->fault, F_TOO_MANY, NULL, "more than %d records in one file", MAX_RECORDS);
    if (!strcmp(t, "Observation")) {
        const char *code = item_code(member(res, "code"));
        if (code)
            return checkup_entry(rd, res, i, code);
        if (is_vital(res))
            return vital_entry(rd, res, i);
        json_object *c = first_coding(member(res, "code"), NULL);
        const char *sys = json_get_str(c, "system"), *cd = json_get_str(c, "code"), *name = json_get_str(c, "display");
        char what[240] = "without a coding";
        if (cd)
            snprintf(what, sizeof what, "%.80s|%.40s%s%.60s%s", sys ? sys : "", cd, name ? " (" : "", name ? name : "",
                     name ? ")" : "");
        fault_set(rd->fault, F_UNKNOWN_CODE, NULL,
                  "entry %zu: the Observation %s is neither a 特定健診 item (urn:oid:" TOKUTEI_ITEM_OID
                  ", or JLAC10 with one of its codes) nor a vital sign this service keeps (LOINC, JP Core's "
                  "MEDIS codes)",
                  i, what);
        return not_kept(rd);
    }
    for (size_t k = 0; k < sizeof other_kinds / sizeof other_kinds[0]; k++)
        if (!strcmp(t, other_kinds[k].type))
            return other_entry(rd, res, i, &other_kinds[k]);
    for (size_t k = 0; k < sizeof context_types / sizeof context_types[0]; k++)
        if (!strcmp(t, context_types[k])) {
            fhir_person_read(&rd->d->checkup.person, res);
            if (!strcmp(t, "Encounter") && institution(rd, res))
                return fault_set(rd->fault, F_INTERNAL, NULL, "out of memory");
            rd->d->skipped++;
            return 0;
        }
    fault_set(rd->fault, F_NOT_SUPPORTED, NULL,
              "entry %zu: %.40s is not imported (Observation, AllergyIntolerance, MedicationRequest, "
              "MedicationDispense, MedicationStatement and Immunization are)",
              i, t);
    return not_kept(rd);
}

static int read_doc(const char *text, size_t len, int64_t now_ms, int whole, struct fhir_doc *out,
                    struct fault *fault)
{
    memset(out, 0, sizeof *out);
    memset(fault, 0, sizeof *fault);
    /* A whole record's Bundle is made from a file its reader measured. */
    if (!whole && len > FHIR_IMPORT_MAX_BYTES)
        return fault_set(fault, F_TOO_LARGE, NULL, "the file is larger than %d bytes", FHIR_IMPORT_MAX_BYTES);
    json_object *root = json_parse_strict(text, len, fault);
    if (!root)
        return -1;
    int rc = -1;
    struct reader rd = {.d = out, .whole = whole, .now = now_ms, .fault = fault};
    const char *rt = json_get_str(root, "resourceType"), *type = json_get_str(root, "type");
    if (rt && !strcmp(rt, "Bundle")) {
        json_object *entries = member(root, "entry");
        /* A searchset is what an app exports (a search's matches, what
         * they include and an OperationOutcome); a batch or a response
         * holds requests and answers, not records. */
        if (!type || (strcmp(type, "document") && strcmp(type, "collection") && strcmp(type, "transaction") &&
                      strcmp(type, "searchset"))) {
            fault_set(fault, F_INVALID_VALUE, "Bundle.type",
                      "the Bundle's type must be document, collection, searchset or transaction, not %.32s",
                      type ? type : "missing");
            goto out;
        }
        if (!entries || !json_object_is_type(entries, json_type_array)) {
            fault_set(fault, F_MISSING, "Bundle.entry", "the Bundle has no entries");
            goto out;
        }
        rd.entries = entries;
        for (size_t i = 0; i < json_object_array_length(entries); i++) {
            json_object *res = member(json_object_array_get_idx(entries, i), "resource");
            if (!res || !json_object_is_type(res, json_type_object)) {
                fault_set(fault, F_MISSING, NULL, "entry %zu has no resource", i);
                goto out;
            }
            if (entry(&rd, res, i))
                goto out;
        }
    } else if (entry(&rd, root, 0)) {
        goto out;
    }
    if (out->checkup.person.failed) {
        fault_set(fault, F_INTERNAL, NULL, "out of memory");
        goto out;
    }
    if (!fhir_doc_records(out)) {
        if (out->passed_over)
            fault_set(fault, F_NOT_SUPPORTED, NULL,
                      "nothing to import: none of the file's records is of a kind the service keeps (%zu passed "
                      "over; the first, %.300s)",
                      out->passed_over, out->passed_first);
        else
            fault_set(fault, F_MISSING, NULL,
                      "nothing to import: the file (%.40s) holds no record with a value — a "
                      "Bundle or a resource the service imports",
                      rt ? rt : "without a resourceType");
        goto out;
    }
    rc = 0;
out:
    json_object_put(root);
    if (rc)
        fhir_doc_free(out);
    return rc;
}

int fhir_import_read(const char *text, size_t len, int64_t now_ms, struct fhir_doc *out, struct fault *fault)
{
    return read_doc(text, len, now_ms, 0, out, fault);
}

int fhir_import_read_whole(const char *text, size_t len, int64_t now_ms, struct fhir_doc *out, struct fault *fault)
{
    return read_doc(text, len, now_ms, 1, out, fault);
}

int fhir_ndjson_sniff(const char *data, size_t len)
{
    size_t i = len >= 3 && !memcmp(data, "\xEF\xBB\xBF", 3) ? 3 : 0;
    while (i < len && strchr(" \t\r\n", data[i]))
        i++;
    const char *nl = i < len && data[i] == '{' ? memchr(data + i, '\n', len - i) : NULL;
    if (!nl)
        return 0;
    size_t first = (size_t)(nl - data) - i, j = (size_t)(nl - data) + 1;
    while (j < len && strchr(" \t\r\n", data[j]))
        j++;
    if (j == len || first > INT32_MAX)
        return 0;
    json_tokener *tok = json_tokener_new();
    json_object *o = tok ? json_tokener_parse_ex(tok, data + i, (int)first) : NULL;
    int whole = o && json_object_is_type(o, json_type_object) && json_tokener_get_error(tok) == json_tokener_success;
    json_object_put(o);
    if (tok)
        json_tokener_free(tok);
    return whole;
}

size_t fhir_doc_records(const struct fhir_doc *d)
{
    return d->checkup.nresults + d->vitals.n + d->nothers;
}

void fhir_doc_free(struct fhir_doc *d)
{
    for (size_t i = 0; d->sent && i < d->checkup.nresults; i++)
        json_object_put(d->sent[i]);
    free(d->sent);
    cda_checkup_free(&d->checkup);
    csv_vitals_free(&d->vitals);
    for (size_t i = 0; i < d->nothers; i++)
        json_object_put(d->others[i].res);
    free(d->others);
    memset(d, 0, sizeof *d);
}

int fhir_import_document(struct buf *b, const struct import_meta *m, const struct fhir_doc *d, size_t bytes)
{
    if (d->checkup.nresults)
        return checkup_document(b, m, &d->checkup, bytes);
    char title[48];
    snprintf(title, sizeof title, "FHIR R4 %s", d->date);
    return import_document(b, m, "{\"text\":\"FHIR R4 JSON\"}", title, d->date, bytes);
}

static struct provenance provenance_of(const struct import_meta *m)
{
    return (struct provenance){.recorded_by = m->recorded_by, .channel = m->channel,
                               .original_sha256_hex = m->sha256_hex, .recorded_at = m->recorded_at};
}

static int serialise(struct buf *b, json_object *o)
{
    size_t n;
    const char *s = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
    return s ? buf_append(b, s, n) : -1;
}

int fhir_vital_render(struct buf *b, const char *id, const struct import_meta *m, struct vital *v, int data_category,
                      const char *source, const char *category)
{
    struct provenance p = provenance_of(m);
    return vitals_finalise_as(v, id, 1, m->person_id, data_category, source, category, &p, b);
}

/* Where a record came from: the file's DocumentReference, appended to
 * member beside what the file itself says there. */
static void add_document(json_object *o, const char *member_name, const char *document_id)
{
    json_object *from = member(o, member_name), *ref = json_object_new_object();
    char doc[64];
    snprintf(doc, sizeof doc, "DocumentReference/%s", document_id);
    json_object_object_add(ref, "reference", json_object_new_string(doc));
    if (!from || !json_object_is_type(from, json_type_array)) {
        from = json_object_new_array();
        json_object_object_add(o, member_name, from);
    }
    json_object_array_add(from, ref);
}

int fhir_other_render(struct buf *b, const char *id, const struct import_meta *m, struct fhir_other *o)
{
    struct provenance p = provenance_of(m);
    if (o->from_member)
        add_document(o->res, o->from_member, m->document_id);
    fhir_stamp(o->res, id, 1, m->person_id, o->subject_member, 1, m->source, &p);
    fhir_contained_patient(o->res, m->person_id);
    return serialise(b, o->res);
}

int fhir_checkup_render(struct buf *b, const char *id, const struct import_meta *m, json_object *o,
                        const struct cda_result *r)
{
    struct provenance p = provenance_of(m);
    json_object *codings = member(member(o, "code"), "coding"), *q = member(o, "valueQuantity");
    json_object_object_del(o, "subject");
    json_object_object_del(o, "id");
    /* Found and written (CDA, the 健診結果報告書) by the item table's code, whatever else it is coded with. */
    if (!first_coding(member(o, "code"), "urn:oid:" TOKUTEI_ITEM_OID) && json_object_is_type(codings, json_type_array))
        json_object_array_add(codings, fhir_coding("urn:oid:" TOKUTEI_ITEM_OID, r->item->code, r->item->name));
    if (json_object_is_type(q, json_type_object) && !json_get_str(q, "system") && *r->item->unit) {
        json_object_object_add(q, "system", json_object_new_string(UCUM));
        json_object_object_add(q, "code", json_object_new_string(r->item->unit));
    }
    if (!member(o, "category")) {
        json_object *cats = json_object_new_array(), *cc = json_object_new_object(), *list = json_object_new_array();
        json_object_array_add(list, fhir_coding(OBS_CATEGORY, "laboratory", "Laboratory"));
        json_object_object_add(cc, "coding", list);
        json_object_array_add(cats, cc);
        json_object_object_add(o, "category", cats);
    }
    add_document(o, "derivedFrom", m->document_id);
    fhir_stamp(o, id, 1, m->person_id, "subject", 1, m->source, &p);
    return serialise(b, o);
}
