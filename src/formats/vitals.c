#include "formats/vitals.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "formats/fhirtime.h"
#include "formats/json.h"
#include "formats/vital_codes.h"
#include "util/clock.h"

/* The Observation elements of FHIR R4, and what this service does with each. */
enum elem_use { E_OK, E_UNSUPPORTED };
static const struct {
    const char *name;
    json_type type;
    enum elem_use use;
} elements[] = {
    {"resourceType", json_type_string, E_OK}, {"id", json_type_string, E_OK},
    {"meta", json_type_object, E_OK}, {"language", json_type_string, E_OK},
    {"text", json_type_object, E_OK}, {"extension", json_type_array, E_OK},
    {"identifier", json_type_array, E_OK}, {"basedOn", json_type_array, E_OK},
    {"partOf", json_type_array, E_OK}, {"status", json_type_string, E_OK},
    {"category", json_type_array, E_OK}, {"code", json_type_object, E_OK},
    {"subject", json_type_object, E_OK}, {"focus", json_type_array, E_OK},
    {"encounter", json_type_object, E_OK}, {"effectiveDateTime", json_type_string, E_OK},
    {"effectivePeriod", json_type_object, E_OK}, {"effectiveInstant", json_type_string, E_OK},
    {"issued", json_type_string, E_OK}, {"performer", json_type_array, E_OK},
    {"valueQuantity", json_type_object, E_OK}, {"dataAbsentReason", json_type_object, E_UNSUPPORTED},
    {"interpretation", json_type_array, E_OK}, {"note", json_type_array, E_OK},
    {"bodySite", json_type_object, E_OK}, {"method", json_type_object, E_OK},
    {"specimen", json_type_object, E_OK}, {"device", json_type_object, E_OK},
    {"referenceRange", json_type_array, E_OK}, {"hasMember", json_type_array, E_UNSUPPORTED},
    {"derivedFrom", json_type_array, E_OK}, {"component", json_type_array, E_OK},
    {"implicitRules", json_type_string, E_UNSUPPORTED},
    {"modifierExtension", json_type_array, E_UNSUPPORTED},
    {"contained", json_type_array, E_UNSUPPORTED},
    {"effectiveTiming", json_type_object, E_UNSUPPORTED},
};

static const char *const value_types[] = {
    "valueCodeableConcept", "valueString", "valueBoolean", "valueInteger", "valueRange",
    "valueRatio", "valueSampledData", "valueTime", "valueDateTime", "valuePeriod",
};

static const char *type_name(json_type t)
{
    switch (t) {
    case json_type_object: return "an object";
    case json_type_array: return "an array";
    case json_type_string: return "a string";
    default: return "a value of another type";
    }
}

static int check_elements(json_object *o, struct fault *fault)
{
    json_object_object_foreach(o, key, val) {
        size_t i;
        for (i = 0; i < sizeof elements / sizeof elements[0]; i++)
            if (strcmp(key, elements[i].name) == 0)
                break;
        if (i == sizeof elements / sizeof elements[0]) {
            for (size_t v = 0; v < sizeof value_types / sizeof value_types[0]; v++)
                if (strcmp(key, value_types[v]) == 0)
                    return fault_set(fault, F_NOT_SUPPORTED, key, "vital-sign observations carry valueQuantity, not %s",
                                     key);
            return fault_set(fault, F_MALFORMED, NULL, "unknown element '%.60s' in Observation", key);
        }
        if (elements[i].use == E_UNSUPPORTED)
            return fault_set(fault, F_NOT_SUPPORTED, key, "element '%s' is not supported by this service", key);
        if (!json_object_is_type(val, elements[i].type))
            return fault_set(fault, F_MALFORMED, key, "'%s' must be %s", key, type_name(elements[i].type));
    }
    return 0;
}

static int find_kind(json_object *code, const struct vital_rule **out, struct fault *fault)
{
    json_object *coding;
    if (!json_object_object_get_ex(code, "coding", &coding) || !json_object_is_type(coding, json_type_array) ||
        json_object_array_length(coding) == 0)
        return fault_set(fault, F_MISSING, "Observation.code.coding",
                         "code.coding is required and must be a non-empty array");
    for (size_t i = 0; i < json_object_array_length(coding); i++)
        if (!json_object_is_type(json_object_array_get_idx(coding, i), json_type_object))
            return fault_set(fault, F_MALFORMED, "Observation.code.coding", "each coding must be an object");
    if ((*out = vital_codes_rule(code)))
        return 0;
    return fault_set(fault, F_UNKNOWN_CODE, "Observation.code",
                     "no supported vital-sign code: use a LOINC code for blood pressure (85354-9), body "
                     "weight (29463-7), height (8302-2), BMI (39156-5), temperature (8310-5), SpO2 (59408-5), "
                     "heart rate (8867-4), glucose (2339-0, 41653-7, 15074-8) or steps (55423-8), or JP Core's "
                     "MEDIS code for one of them");
}

static int check_quantity(json_object *q, const struct vital_unit *units, double min, double max, const char *what,
                          const char *path, struct fault *fault)
{
    json_object *v;
    if (!json_object_object_get_ex(q, "value", &v))
        return fault_set(fault, F_MISSING, path, "%s: valueQuantity.value is required", what);
    if (!json_object_is_type(v, json_type_double) && !json_object_is_type(v, json_type_int))
        return fault_set(fault, F_MALFORMED, path, "%s: value must be a JSON number", what);
    double x = json_object_get_double(v);
    if (!isfinite(x))
        return fault_set(fault, F_INVALID_VALUE, path, "%s: value is not a finite number", what);
    const char *code = vital_codes_ucum(q);
    if (!code) {
        const char *given = json_get_str(q, "code") ? json_get_str(q, "code") : json_get_str(q, "unit");
        if (vital_codes_foreign_unit(q) || !given)
            return fault_set(fault, F_MISSING, path,
                             "%s: the unit must be given as a UCUM code (system %s) or as a unit text such as '%s'",
                             what, UCUM, units[0].ucum);
        return fault_set(fault, F_UNKNOWN_CODE, path,
                         "%s: unit '%.32s' is not accepted: it is not a UCUM code nor a text naming one unit "
                         "(use %s)",
                         what, given, units[0].ucum);
    }
    for (int i = 0; i < VITAL_MAX_UNITS && units[i].ucum; i++) {
        if (strcmp(code, units[i].ucum) != 0)
            continue;
        double c = (x + units[i].offset) * units[i].factor;
        if (c < min || c > max)
            return fault_set(fault, F_INVALID_VALUE, path, "%s: %g %s is outside the plausible range (%g to %g %s)",
                             what, x, code, (min / units[i].factor) - units[i].offset,
                             (max / units[i].factor) - units[i].offset, code);
        return 0;
    }
    return fault_set(fault, F_UNKNOWN_CODE, path, "%s: unit '%.32s' is not accepted (use %s)", what, code,
                     units[0].ucum);
}

static const struct {
    double min, max;
    const char *name;
} bp_parts[] = {
    [VITAL_SYSTOLIC] = {40, 300, "systolic"},
    [VITAL_DIASTOLIC] = {20, 200, "diastolic"},
};

static int check_bp(json_object *o, struct fault *fault)
{
    json_object *comps, *vq;
    if (json_object_object_get_ex(o, "valueQuantity", &vq))
        return fault_set(fault, F_MALFORMED, "Observation.valueQuantity",
                         "a blood pressure panel carries its values in component, not valueQuantity");
    if (!json_object_object_get_ex(o, "component", &comps))
        return fault_set(fault, F_MISSING, "Observation.component",
                         "a blood pressure panel needs systolic (8480-6) and diastolic (8462-4) components");
    double val[2] = {0, 0};
    int seen[2] = {0, 0}; /* 1: a value; 2: a reason why there is none */
    static const struct vital_unit mmhg[VITAL_MAX_UNITS] = {{"mm[Hg]", 1, 0}}; /* the rest: the list's end */
    size_t n = json_object_array_length(comps);
    for (size_t i = 0; i < n; i++) {
        json_object *c = json_object_array_get_idx(comps, i), *code, *q;
        if (!json_object_is_type(c, json_type_object) || !json_object_object_get_ex(c, "code", &code) ||
            !json_object_is_type(code, json_type_object))
            return fault_set(fault, F_MALFORMED, "Observation.component", "each component needs a code object");
        int which = vital_codes_bp_part(code);
        if (which < 0)
            return fault_set(fault, F_UNKNOWN_CODE, "Observation.component.code",
                             "blood pressure components must be systolic (8480-6) or diastolic (8462-4)");
        if (seen[which])
            return fault_set(fault, F_MALFORMED, "Observation.component", "%s pressure is given twice",
                             bp_parts[which].name);
        json_object *absent = NULL;
        json_object_object_get_ex(c, "dataAbsentReason", &absent);
        if (!json_object_object_get_ex(c, "valueQuantity", &q)) {
            /* HL7's blood-pressure profile lets one part be missing with its reason (cuff failed, not measured). */
            if (!absent || !json_object_is_type(absent, json_type_object))
                return fault_set(fault, F_MISSING, "Observation.component.valueQuantity",
                                 "%s pressure needs a valueQuantity, or a dataAbsentReason saying why it is missing",
                                 bp_parts[which].name);
            seen[which] = 2;
            continue;
        }
        if (absent)
            return fault_set(fault, F_MALFORMED, "Observation.component.dataAbsentReason",
                             "%s pressure has a value and a dataAbsentReason: give one of them", bp_parts[which].name);
        if (!json_object_is_type(q, json_type_object))
            return fault_set(fault, F_MALFORMED, "Observation.component.valueQuantity",
                             "%s pressure: valueQuantity must be an object", bp_parts[which].name);
        if (check_quantity(q, mmhg, bp_parts[which].min, bp_parts[which].max, bp_parts[which].name,
                           "Observation.component.valueQuantity", fault))
            return -1;
        json_object *v;
        json_object_object_get_ex(q, "value", &v);
        val[which] = json_object_get_double(v);
        seen[which] = 1;
    }
    if (!seen[0] || !seen[1])
        return fault_set(fault, F_MISSING, "Observation.component",
                         "a blood pressure panel needs both systolic (8480-6) and diastolic (8462-4)");
    if (seen[0] == 2 && seen[1] == 2)
        return fault_set(fault, F_MISSING, "Observation.component",
                         "neither pressure has a value: there is no measurement to keep");
    if (seen[0] == 1 && seen[1] == 1 && val[0] <= val[1])
        return fault_set(fault, F_INVALID_VALUE, "Observation.component",
                         "systolic pressure (%g) must be higher than diastolic (%g)", val[0], val[1]);
    return 0;
}

/* A resource coded otherwise (JP Core's codes, a unit text) gets LOINC's
 * code and UCUM's unit beside what it was sent with: searches by LOINC
 * and the readers of the kind's values find it. */
static void add_standard_codes(json_object *o, const struct vital_rule *rule)
{
    json_object *code, *q, *comps;
    if (json_object_object_get_ex(o, "code", &code))
        vital_codes_add_loinc(code, rule->k.code, rule->k.display);
    if (json_object_object_get_ex(o, "valueQuantity", &q))
        vital_codes_add_ucum(q);
    if (!rule->panel || !json_object_object_get_ex(o, "component", &comps))
        return;
    for (size_t i = 0; i < json_object_array_length(comps); i++) {
        json_object *c = json_object_array_get_idx(comps, i);
        int which = json_object_object_get_ex(c, "code", &code) ? vital_codes_bp_part(code) : -1;
        if (which >= 0)
            vital_codes_add_loinc(code, vital_codes_bp_loinc(which), NULL);
        if (json_object_object_get_ex(c, "valueQuantity", &q))
            vital_codes_add_ucum(q);
    }
}

static int check_effective(json_object *o, int64_t now_ms, int tz, struct vital *out, struct fault *fault)
{
    const char *dt = json_get_str(o, "effectiveDateTime");
    const char *inst = json_get_str(o, "effectiveInstant");
    json_object *per = NULL;
    json_object_object_get_ex(o, "effectivePeriod", &per);
    int given = (dt != NULL) + (inst != NULL) + (per != NULL);
    if (given == 0)
        return fault_set(fault, F_MISSING, "Observation.effective[x]",
                         "effectiveDateTime (or effectivePeriod) is required: when was this measured?");
    if (given > 1)
        return fault_set(fault, F_MALFORMED, "Observation.effective[x]", "give only one effective[x]");
    int64_t lo, hi, lo2, hi2;
    if (dt || inst) {
        if (fhirtime_parse(dt ? dt : inst, FHIRTIME_DATETIME, tz, &lo, &hi) != 0)
            return fault_set(fault, F_INVALID_VALUE,
                             dt ? "Observation.effectiveDateTime" : "Observation.effectiveInstant",
                             "not a valid FHIR dateTime (e.g. 2026-11-24T08:30:00+09:00)");
    } else {
        const char *s = json_get_str(per, "start"), *e = json_get_str(per, "end");
        if (!s || fhirtime_parse(s, FHIRTIME_DATETIME, tz, &lo, &hi) != 0)
            return fault_set(fault, F_INVALID_VALUE, "Observation.effectivePeriod.start",
                             "effectivePeriod.start must be a valid dateTime");
        if (e) {
            if (fhirtime_parse(e, FHIRTIME_DATETIME, tz, &lo2, &hi2) != 0)
                return fault_set(fault, F_INVALID_VALUE, "Observation.effectivePeriod.end",
                                 "effectivePeriod.end must be a valid dateTime");
            if (hi2 < lo)
                return fault_set(fault, F_INVALID_VALUE, "Observation.effectivePeriod",
                                 "the period ends before it starts");
            hi = hi2;
        }
    }
    /* A small allowance for clocks that run ahead. */
    if (lo > now_ms + 10 * 60 * 1000)
        return fault_set(fault, F_INVALID_VALUE, "Observation.effective[x]", "the measurement time lies in the future");
    out->eff_lo = lo;
    out->eff_hi = hi;
    return 0;
}

static int check_subject(json_object *o, struct vital *out, struct fault *fault)
{
    json_object *subj;
    if (!json_object_object_get_ex(o, "subject", &subj))
        return 0;
    const char *ref = json_get_str(subj, "reference");
    if (!ref || strncmp(ref, "Patient/", 8) != 0 || ref[8] == '\0')
        return fault_set(fault, F_INVALID_VALUE, "Observation.subject", "subject must be a reference to Patient/<id>");
    out->subject = ref + 8;
    return 0;
}

/* The first identifier is indexed (a device's id of the reading: what
 * If-None-Exist and conditional updates name). */
static int check_identifier(json_object *o, struct vital *out, struct fault *fault)
{
    json_object *ids;
    if (!json_object_object_get_ex(o, "identifier", &ids) || json_object_array_length(ids) == 0)
        return 0;
    json_object *first = json_object_array_get_idx(ids, 0);
    const char *value = json_object_is_type(first, json_type_object) ? json_get_str(first, "value") : NULL;
    const char *system = value ? json_get_str(first, "system") : NULL;
    if (!value || !*value || strlen(value) > 256 || (system && strlen(system) > 256))
        return fault_set(fault, F_INVALID_VALUE, "Observation.identifier[0]",
                         "an identifier has a value (and a system), each at most 256 characters");
    out->identifier_system = system;
    out->identifier_value = value;
    return 0;
}

static int check_source(json_object *o, struct vital *out, struct fault *fault)
{
    json_object *meta, *tags;
    out->source = "self-measured";
    if (!json_object_object_get_ex(o, "meta", &meta) || !json_object_object_get_ex(meta, "tag", &tags))
        return 0;
    if (!json_object_is_type(tags, json_type_array))
        return fault_set(fault, F_MALFORMED, "Observation.meta.tag", "meta.tag must be an array");
    for (size_t i = 0; i < json_object_array_length(tags); i++) {
        json_object *t = json_object_array_get_idx(tags, i);
        const char *sys = json_object_is_type(t, json_type_object) ? json_get_str(t, "system") : NULL;
        if (!sys || strcmp(sys, PHR_SYS_SOURCE) != 0)
            continue;
        const char *code = json_get_str(t, "code");
        if (code && strcmp(code, "self-measured") == 0)
            out->source = "self-measured";
        else if (code && strcmp(code, "device") == 0)
            out->source = "device";
        else
            return fault_set(fault, F_UNKNOWN_CODE, "Observation.meta.tag",
                             "vital signs recorded through this API have source 'self-measured' or 'device'");
    }
    return 0;
}

static int check_status(json_object *o, struct fault *fault)
{
    static const char *const ok[] = {"registered", "preliminary", "final", "amended", "corrected"};
    const char *st = json_get_str(o, "status");
    if (!st)
        return fault_set(fault, F_MISSING, "Observation.status", "status is required (e.g. \"final\")");
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (strcmp(st, ok[i]) == 0)
            return 0;
    return fault_set(fault, F_UNKNOWN_CODE, "Observation.status",
                     "status '%.32s' is not accepted for a new measurement", st);
}

static int has_category(json_object *o, const char *code)
{
    json_object *cats;
    if (!json_object_object_get_ex(o, "category", &cats) || !json_object_is_type(cats, json_type_array))
        return 0;
    for (size_t i = 0; i < json_object_array_length(cats); i++) {
        json_object *cod;
        if (!json_object_object_get_ex(json_object_array_get_idx(cats, i), "coding", &cod) ||
            !json_object_is_type(cod, json_type_array))
            continue;
        for (size_t k = 0; k < json_object_array_length(cod); k++) {
            const char *cd = json_get_str(json_object_array_get_idx(cod, k), "code");
            if (cd && !strcmp(cd, code))
                return 1;
        }
    }
    return 0;
}

/* The type a reference names: "Type/id", or "#id" of a resource contained. */
static const char *referenced_type(json_object *o, const char *ref, char *type, size_t cap)
{
    json_object *contained;
    if (ref[0] == '#' && json_object_object_get_ex(o, "contained", &contained) &&
        json_object_is_type(contained, json_type_array))
        for (size_t i = 0; i < json_object_array_length(contained); i++) {
            json_object *c = json_object_array_get_idx(contained, i);
            const char *id = json_get_str(c, "id");
            if (id && !strcmp(id, ref + 1))
                return json_get_str(c, "resourceType");
        }
    size_t n = strcspn(ref, "/");
    if (ref[n] != '/' || n >= cap)
        return NULL;
    memcpy(type, ref, n);
    type[n] = '\0';
    return type;
}

/* Measured by a medical institution, as the resource says: a performer
 * who is a clinician or an organisation, or the laboratory category. */
static int clinical(json_object *o)
{
    static const char *const who[] = {"Practitioner", "PractitionerRole", "Organization"};
    json_object *perf;
    if (has_category(o, "laboratory"))
        return 1;
    if (!json_object_object_get_ex(o, "performer", &perf))
        return 0;
    for (size_t i = 0; i < json_object_array_length(perf); i++) {
        char buf[24];
        const char *ref = json_get_str(json_object_array_get_idx(perf, i), "reference");
        const char *type = ref ? referenced_type(o, ref, buf, sizeof buf) : NULL;
        for (size_t w = 0; type && w < sizeof who / sizeof who[0]; w++)
            if (!strcmp(type, who[w]))
                return 1;
    }
    return 0;
}

int vitals_parse(const char *text, size_t len, int64_t now_ms, int tz_offset_min, struct vital *out,
                 struct fault *fault)
{
    memset(out, 0, sizeof *out);
    json_object *o = json_parse_strict(text, len, fault), *code;
    if (!o)
        return -1;
    const struct vital_rule *rule = NULL;
    if (!json_object_is_type(o, json_type_object)) {
        fault_set(fault, F_MALFORMED, NULL, "the body must be a JSON object (a FHIR resource)");
        goto fail;
    }
    const char *rt = json_get_str(o, "resourceType");
    if (!rt || strcmp(rt, "Observation") != 0) {
        fault_set(fault, F_MALFORMED, "resourceType", "resourceType must be \"Observation\"");
        goto fail;
    }
    if (check_elements(o, fault) || check_status(o, fault))
        goto fail;
    if (!json_object_object_get_ex(o, "code", &code)) {
        fault_set(fault, F_MISSING, "Observation.code", "code is required");
        goto fail;
    }
    if (find_kind(code, &rule, fault))
        goto fail;
    if (rule->panel) {
        if (check_bp(o, fault))
            goto fail;
    } else {
        json_object *q, *comps;
        if (json_object_object_get_ex(o, "component", &comps)) {
            fault_set(fault, F_NOT_SUPPORTED, "Observation.component", "%s carries no components", rule->k.display);
            goto fail;
        }
        if (!json_object_object_get_ex(o, "valueQuantity", &q)) {
            fault_set(fault, F_MISSING, "Observation.valueQuantity", "%s needs a valueQuantity", rule->k.display);
            goto fail;
        }
        if (check_quantity(q, rule->units, rule->min, rule->max, rule->k.display, "Observation.valueQuantity", fault))
            goto fail;
    }
    if (check_effective(o, now_ms, tz_offset_min, out, fault) || check_subject(o, out, fault) ||
        check_identifier(o, out, fault) || check_source(o, out, fault))
        goto fail;
    add_standard_codes(o, rule);
    out->clinical = clinical(o);
    out->resource = o;
    out->kind = &rule->k;
    return 0;
fail:
    json_object_put(o);
    memset(out, 0, sizeof *out);
    return -1;
}

json_object *fhir_coding(const char *system, const char *code, const char *display)
{
    json_object *c = json_object_new_object();
    json_object_object_add(c, "system", json_object_new_string(system));
    json_object_object_add(c, "code", json_object_new_string(code));
    if (display)
        json_object_object_add(c, "display", json_object_new_string(display));
    return c;
}

/* A category coded (system, code), added if the resource lacks it: HL7's
 * vital-signs profile wants observation-category's, JP Core's
 * JP_Observation_VitalSigns its own simple category. With any_code, a
 * category of that system the sender chose stands (JP Core's
 * body-measurement is kept as JP Core's category, not joined by a second). */

static void ensure_category(json_object *o, const char *system, const char *code, const char *display, int any_code)
{
    json_object *cats;
    if (!json_object_object_get_ex(o, "category", &cats)) {
        cats = json_object_new_array();
        json_object_object_add(o, "category", cats);
    }
    for (size_t i = 0; i < json_object_array_length(cats); i++) {
        json_object *cc = json_object_array_get_idx(cats, i), *cod;
        if (!json_object_object_get_ex(cc, "coding", &cod) || !json_object_is_type(cod, json_type_array))
            continue;
        for (size_t k = 0; k < json_object_array_length(cod); k++) {
            json_object *c = json_object_array_get_idx(cod, k);
            const char *sys = json_get_str(c, "system"), *cd = json_get_str(c, "code");
            if (sys && cd && strcmp(sys, system) == 0 && (any_code || strcmp(cd, code) == 0))
                return;
        }
    }
    json_object *cc = json_object_new_object(), *arr = json_object_new_array();
    json_object_array_add(arr, fhir_coding(system, code, display));
    json_object_object_add(cc, "coding", arr);
    json_object_array_add(cats, cc);
}

static json_object *ext_str(const char *url, const char *kind, const char *v)
{
    json_object *e = json_object_new_object();
    json_object_object_add(e, "url", json_object_new_string(url));
    json_object_object_add(e, kind, json_object_new_string(v));
    return e;
}

void fhir_stamp(json_object *o, const char *id, int version, const char *person_id, const char *subject_member,
                int data_category, const char *source, const struct provenance *prov)
{
    static const char *const displays[] = {"", "obtainable through the Mynaportal API and the like",
                                           "provided by a medical institution, entered by the person",
                                           "self-measured or self-recorded"};
    json_object *old_meta, *profile = NULL;
    char ver[16], when[32], ref[64], cat[4];
    snprintf(ver, sizeof ver, "%d", version);
    snprintf(cat, sizeof cat, "%d", data_category);
    clock_format_ms(prov->recorded_at, when);
    snprintf(ref, sizeof ref, "Patient/%s", person_id);

    if (json_object_object_get_ex(o, "meta", &old_meta) && json_object_object_get_ex(old_meta, "profile", &profile))
        json_object_get(profile);
    json_object *meta = json_object_new_object();
    json_object_object_add(meta, "versionId", json_object_new_string(ver));
    json_object_object_add(meta, "lastUpdated", json_object_new_string(when));
    json_object_object_add(meta, "source", json_object_new_string(prov->channel));
    if (profile)
        json_object_object_add(meta, "profile", profile);
    json_object *tags = json_object_new_array();
    json_object_array_add(tags, fhir_coding(PHR_SYS_DATA_CATEGORY, cat, displays[data_category >= 1 && data_category <= 3 ? data_category : 0]));
    json_object_array_add(tags, fhir_coding(PHR_SYS_SOURCE, source, NULL));
    json_object_object_add(meta, "tag", tags);
    json_object_object_add(o, "meta", meta);
    json_object_object_add(o, "id", json_object_new_string(id));

    json_object *subj = json_object_new_object();
    json_object_object_add(subj, "reference", json_object_new_string(ref));
    json_object_object_add(o, subject_member, subj);

    json_object *exts, *pe = json_object_new_object(), *sub = json_object_new_array();
    if (!json_object_object_get_ex(o, "extension", &exts) || !json_object_is_type(exts, json_type_array)) {
        exts = json_object_new_array();
        json_object_object_add(o, "extension", exts);
    }
    for (size_t i = json_object_array_length(exts); i-- > 0;) {
        const char *url = json_get_str(json_object_array_get_idx(exts, i), "url");
        if (url && strcmp(url, PHR_EXT_PROVENANCE) == 0)
            json_object_array_del_idx(exts, i, 1); /* the server's word, not the client's */
    }
    json_object_array_add(sub, ext_str("recordedBy", "valueString", prov->recorded_by));
    json_object_array_add(sub, ext_str("recorded", "valueInstant", when));
    json_object_array_add(sub, ext_str("channel", "valueString", prov->channel));
    json_object_array_add(sub, ext_str("originalSha256", "valueString", prov->original_sha256_hex));
    json_object_object_add(pe, "url", json_object_new_string(PHR_EXT_PROVENANCE));
    json_object_object_add(pe, "extension", sub);
    json_object_array_add(exts, pe);
}

const char *vitals_category(const struct vital *v)
{
    /* A glucose a hospital measured is a laboratory result, not the
     * person's own reading; a weight or a pressure stays a vital sign. */
    int glucose = v->kind && (!strcmp(v->kind->code, "2339-0") || !strcmp(v->kind->code, "15074-8") ||
                              !strcmp(v->kind->code, "41653-7"));
    if (v->clinical && (has_category(v->resource, "laboratory") || (glucose && !has_category(v->resource, "vital-signs"))))
        return "laboratory";
    return "vital-signs";
}

int vitals_finalise_as(struct vital *v, const char *id, int version, const char *person_id, int data_category,
                       const char *source, const char *category, const struct provenance *prov, struct buf *out)
{
    fhir_stamp(v->resource, id, version, person_id, "subject", data_category, source, prov);
    if (!strcmp(category, "laboratory")) {
        ensure_category(v->resource, OBS_CATEGORY, "laboratory", "Laboratory", 0);
        ensure_category(v->resource, JP_OBS_CATEGORY, "laboratory", "検体検査", 1);
    } else {
        ensure_category(v->resource, OBS_CATEGORY, "vital-signs", "Vital Signs", 0);
        ensure_category(v->resource, JP_OBS_CATEGORY, "vital-signs", "バイタルサイン", 1);
    }
    size_t n;
    const char *s = json_object_to_json_string_length(v->resource, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
    return s ? buf_append(out, s, n) : -1;
}

int vitals_finalise(struct vital *v, const char *id, int version, const char *person_id,
                    const struct provenance *prov, struct buf *out)
{
    /* R1.1 category 3: measured or recorded by the person. */
    return vitals_finalise_as(v, id, version, person_id, 3, v->source, "vital-signs", prov, out);
}

void vital_free(struct vital *v)
{
    if (v->resource)
        json_object_put(v->resource);
    memset(v, 0, sizeof *v);
}
