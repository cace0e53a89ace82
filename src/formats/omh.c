#include "formats/omh.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <json-c/json.h>

#include "formats/json.h"
#include "formats/sphr.h"
#include "formats/vital_codes.h"

#define OMH_MAX_POINTS CSV_MAX_MEASUREMENTS

/* The single-value schemas: the body member holding the value, the LOINC
 * code of the vital sign, and the schema version written. Reading takes a
 * schema's first code (glucose in mmol/L: 15074-8); writing maps every
 * code listed (a serum glucose too: Open mHealth has one glucose schema). */
static const struct {
    const char *schema, *member, *loinc, *version;
} single[] = {
    {"body-weight", "body_weight", "29463-7", "2.0"},         {"body-height", "body_height", "8302-2", "1.0"},
    {"heart-rate", "heart_rate", "8867-4", "2.0"},            {"body-temperature", "body_temperature", "8310-5", "3.0"},
    {"blood-glucose", "blood_glucose", "41653-7", "3.0"},     {"oxygen-saturation", "oxygen_saturation", "59408-5", "2.0"},
    {"step-count", "step_count", "55423-8", "2.0"},           {"blood-glucose", "blood_glucose", "15074-8", "3.0"},
    {"blood-glucose", "blood_glucose", "2339-0", "3.0"},
};

/* Open mHealth's unit names in UCUM; any other is passed on, and the vital
 * sign's own check refuses it if it is not one of its units. */
static const struct {
    const char *omh, *ucum;
} units[] = {
    {"mmHg", "mm[Hg]"}, {"kg", "kg"},         {"g", "g"},         {"lb", "[lb_av]"},    {"cm", "cm"},
    {"m", "m"},         {"in", "[in_i]"},     {"beats/min", "/min"}, {"C", "Cel"},      {"F", "[degF]"},
    {"mg/dL", "mg/dL"}, {"mmol/L", "mmol/L"}, {"%", "%"},         {"steps", "{steps}"},
};

static json_object *member(json_object *o, const char *key)
{
    json_object *v;
    return o && json_object_is_type(o, json_type_object) && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static int is_number(json_object *v)
{
    return v && (json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int)) &&
           isfinite(json_object_get_double(v));
}

static const char *ucum_of(const char *unit)
{
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (!strcmp(units[i].omh, unit))
            return units[i].ucum;
    return unit;
}

int omh_sniff(const char *data, size_t len)
{
    size_t i = len >= 3 && !memcmp(data, "\xEF\xBB\xBF", 3) ? 3 : 0;
    while (i < len && strchr(" \t\r\n", data[i]))
        i++;
    if (i < len && data[i] == '[')
        return 1; /* FHIR JSON is never an array */
    size_t window = len - i < 4096 ? len - i : 4096;
    char head[4097];
    memcpy(head, data + i, window);
    head[window] = '\0';
    return i < len && data[i] == '{' && strstr(head, "\"schema_id\"") && !strstr(head, "\"resourceType\"");
}

/* A value as {"value": n, "unit": u}, or a bare number (older step-count):
 * ,"valueQuantity":{...} into b. */
static int quantity(struct buf *b, json_object *v, const char *default_unit, const char *where, struct fault *fault)
{
    json_object *n = is_number(v) ? v : member(v, "value");
    const char *unit = is_number(v) ? default_unit : json_get_str(v, "unit");
    if (!is_number(n))
        return fault_set(fault, F_INVALID_VALUE, NULL, "%s: the value must be a number", where);
    if (!unit)
        unit = default_unit;
    if (!unit)
        return fault_set(fault, F_MISSING, NULL, "%s: the unit is missing", where);
    const char *ucum = ucum_of(unit);
    return buf_printf(b, "\"valueQuantity\":{\"value\":%.15g,\"unit\":", json_object_get_double(n)) ||
                   buf_json_str(b, unit) || buf_puts(b, ",\"system\":\"" UCUM "\",\"code\":") ||
                   buf_json_str(b, ucum) || buf_puts(b, "}")
               ? fault_set(fault, F_INTERNAL, NULL, "out of memory")
               : 0;
}

/* effective_time_frame: a date_time, or a time_interval with its start and
 * end (a day's steps). */
static int when(struct buf *b, json_object *frame, const char *where, struct fault *fault)
{
    const char *at = json_get_str(frame, "date_time");
    json_object *iv = member(frame, "time_interval");
    const char *start = json_get_str(iv, "start_date_time"), *end = json_get_str(iv, "end_date_time");
    int e;
    if (at)
        e = buf_puts(b, ",\"effectiveDateTime\":") || buf_json_str(b, at);
    else if (start && end)
        e = buf_puts(b, ",\"effectivePeriod\":{\"start\":") || buf_json_str(b, start) || buf_puts(b, ",\"end\":") ||
            buf_json_str(b, end) || buf_puts(b, "}");
    else if (start)
        e = buf_puts(b, ",\"effectiveDateTime\":") || buf_json_str(b, start);
    else
        return fault_set(fault, F_MISSING, NULL,
                         "%s: effective_time_frame needs a date_time or a time_interval's start_date_time", where);
    return e ? fault_set(fault, F_INTERNAL, NULL, "out of memory") : 0;
}

/* IEEE 1752's physical activity, as the PHRC module writes a day's steps:
 * the count is its base_movement_quantity. */
static int steps_of(struct buf *b, json_object *body, const char *where, struct fault *fault)
{
    json_object *v = member(body, "base_movement_quantity");
    if (!v)
        return fault_set(fault, F_NOT_SUPPORTED, NULL,
                         "%s: a physical activity without base_movement_quantity (its steps) is not one the "
                         "service records",
                         where);
    return buf_puts(b, "\"55423-8\"}]},") ? fault_set(fault, F_INTERNAL, NULL, "out of memory")
                                           : quantity(b, v, "steps", where, fault);
}

/* One data point's body, of the schema id names, as a submitted
 * Observation's JSON, into b. */
static int point(json_object *id, json_object *body, const char *where, struct buf *b, struct fault *fault)
{
    const char *ns = json_get_str(id, "namespace"), *name = json_get_str(id, "name");
    if (!ns || !name || !body || !json_object_is_type(body, json_type_object))
        return fault_set(fault, F_INVALID_STRUCTURE, NULL,
                         "%s: an Open mHealth data point has header.schema_id and body", where);
    if (buf_puts(b, "{\"resourceType\":\"Observation\",\"status\":\"final\",\"meta\":{\"tag\":[{\"system\":\"" PHR_SYS_SOURCE
                    "\",\"code\":\"device\"}]},\"code\":{\"coding\":[{\"system\":\"" LOINC "\",\"code\":"))
        return fault_set(fault, F_INTERNAL, NULL, "out of memory");
    int rc = -1;
    if (!strcmp(ns, "omh") && !strcmp(name, "blood-pressure")) {
        if (buf_puts(b, "\"85354-9\"}]},\"component\":["))
            return fault_set(fault, F_INTERNAL, NULL, "out of memory");
        const char *parts[2][2] = {{"systolic_blood_pressure", "8480-6"}, {"diastolic_blood_pressure", "8462-4"}};
        for (int i = 0; i < 2; i++) {
            if (buf_printf(b, "%s{\"code\":{\"coding\":[{\"system\":\"" LOINC "\",\"code\":\"%s\"}]},", i ? "," : "",
                           parts[i][1]))
                return fault_set(fault, F_INTERNAL, NULL, "out of memory");
            if (!member(body, parts[i][0]))
                return fault_set(fault, F_MISSING, NULL, "%s: %s is missing", where, parts[i][0]);
            if (quantity(b, member(body, parts[i][0]), NULL, where, fault) || buf_puts(b, "}"))
                return -1;
        }
        rc = buf_puts(b, "]") ? fault_set(fault, F_INTERNAL, NULL, "out of memory") : 0;
    } else if (!strcmp(ns, "ieee") && !strcmp(name, "physical-activity")) {
        rc = steps_of(b, body, where, fault);
    } else {
        size_t k = 0;
        while (k < sizeof single / sizeof single[0] && (strcmp(ns, "omh") || strcmp(name, single[k].schema)))
            k++;
        if (k == sizeof single / sizeof single[0])
            return fault_set(fault, F_NOT_SUPPORTED, NULL,
                             "%s: schema %s:%s is not one the service records (blood-pressure, body-weight, "
                             "body-height, heart-rate, body-temperature, blood-glucose, oxygen-saturation, step-count; "
                             "IEEE physical-activity's steps)",
                             where, ns, name);
        json_object *v = member(body, single[k].member);
        if (!v)
            return fault_set(fault, F_MISSING, NULL, "%s: %s is missing", where, single[k].member);
        /* Glucose in mmol/L is another LOINC code than in mg/dL. */
        const char *unit = json_get_str(v, "unit"), *code = single[k].loinc;
        if (!strcmp(code, "41653-7") && unit && !strcmp(unit, "mmol/L"))
            code = "15074-8";
        rc = buf_printf(b, "\"%s\"}]},", code)
                 ? fault_set(fault, F_INTERNAL, NULL, "out of memory")
                 : quantity(b, v, !strcmp(code, "55423-8") ? "steps" : NULL, where, fault);
    }
    if (rc || when(b, member(body, "effective_time_frame"), where, fault))
        return -1;
    return buf_puts(b, "}") ? fault_set(fault, F_INTERNAL, NULL, "out of memory") : 0;
}

int omh_read(const char *data, size_t len, int64_t now_ms, struct csv_vitals *out, struct fault *fault)
{
    memset(out, 0, sizeof *out);
    if (len > CSV_MAX_BYTES)
        return fault_set(fault, F_TOO_LARGE, NULL, "the file is larger than %d bytes", CSV_MAX_BYTES);
    if (len >= 3 && !memcmp(data, "\xEF\xBB\xBF", 3)) {
        data += 3;
        len -= 3;
    }
    json_object *root = json_parse_strict(data, len, fault);
    if (!root)
        return -1;
    int array = json_object_is_type(root, json_type_array);
    size_t n = array ? json_object_array_length(root) : 1, cap = 0;
    int rc = -1;
    struct buf b;
    buf_init(&b);
    /* A data point's body may be a list of bodies under one header: the
     * PHRC module's files (one per schema and modality). */
    for (size_t i = 0; i < n; i++) {
        json_object *p = array ? json_object_array_get_idx(root, i) : root, *body = member(p, "body");
        json_object *id = member(member(p, "header"), "schema_id");
        int list = body && json_object_is_type(body, json_type_array);
        size_t m = list ? json_object_array_length(body) : 1;
        for (size_t k = 0; k < m; k++) {
            char where[64];
            if (list)
                snprintf(where, sizeof where, "data point %zu, body %zu", i, k);
            else
                snprintf(where, sizeof where, "data point %zu", i);
            if (out->rows == OMH_MAX_POINTS) {
                fault_set(fault, F_TOO_MANY, NULL, "more than %d data points in one file", OMH_MAX_POINTS);
                goto out;
            }
            b.len = 0;
            if (point(id, list ? json_object_array_get_idx(body, k) : body, where, &b, fault) ||
                csv_vitals_add(out, &cap, buf_cstr(&b), now_ms, where, fault))
                goto out;
            out->rows++;
        }
    }
    if (!out->rows) {
        fault_set(fault, F_MISSING, NULL, "the file holds no data point");
        goto out;
    }
    rc = 0;
out:
    buf_free(&b);
    json_object_put(root);
    if (rc)
        csv_vitals_free(out);
    return rc;
}

/* --- writing --- */

static const char *omh_unit(const char *ucum)
{
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (!strcmp(units[i].ucum, ucum))
            return units[i].omh;
    return ucum;
}

static int put_value(struct buf *b, const char *key, json_object *q)
{
    json_object *v = member(q, "value");
    const char *code = json_get_str(q, "code");
    return !is_number(v) || buf_printf(b, "\"%s\":{\"value\":%.15g,\"unit\":", key, json_object_get_double(v)) ||
                   buf_json_str(b, omh_unit(code ? code : "")) || buf_puts(b, "}")
               ? -1
               : 0;
}

/* effective_time_frame of obs, after a body's members. */
static int time_frame(json_object *obs, struct buf *out)
{
    const char *at = json_get_str(obs, "effectiveDateTime");
    json_object *period = member(obs, "effectivePeriod");
    if (at)
        return buf_puts(out, ",\"effective_time_frame\":{\"date_time\":") || buf_json_str(out, at) ||
               buf_puts(out, "}");
    const char *start = json_get_str(period, "start"), *end = json_get_str(period, "end");
    return buf_puts(out, ",\"effective_time_frame\":{\"time_interval\":{\"start_date_time\":") ||
           buf_json_str(out, start ? start : "") || buf_puts(out, ",\"end_date_time\":") ||
           buf_json_str(out, end ? end : "") || buf_puts(out, "}}");
}

/* The data point's body of a stored vital sign into out, "{…}", and its
 * schema: 1 written, 0 not one of the schemas (nothing written), -1 out
 * of memory. ieee: a step count as IEEE 1752's physical activity (what
 * the PHRC module writes) rather than Open mHealth's step-count. */
static int body_of(json_object *obs, int ieee, const char **schema, const char **version, struct buf *out)
{
    json_object *coding = json_object_array_get_idx(member(member(obs, "code"), "coding"), 0);
    const char *code = json_get_str(coding, "code");
    if (!code || (!json_get_str(obs, "effectiveDateTime") && !member(obs, "effectivePeriod")))
        return 0;
    size_t mark = out->len, k = 0;
    int e;
    if (!strcmp(code, "85354-9")) {
        *schema = "blood-pressure";
        *version = "3.1";
        json_object *parts = member(obs, "component"), *sys = NULL, *dia = NULL;
        for (size_t i = 0; parts && json_object_is_type(parts, json_type_array) && i < json_object_array_length(parts); i++) {
            json_object *c = json_object_array_get_idx(parts, i);
            int part = vital_codes_bp_part(member(c, "code"));
            if (part == VITAL_SYSTOLIC)
                sys = member(c, "valueQuantity");
            if (part == VITAL_DIASTOLIC)
                dia = member(c, "valueQuantity");
        }
        if (!sys || !dia)
            return 0;
        e = buf_puts(out, "{") || put_value(out, "systolic_blood_pressure", sys) || buf_puts(out, ",") ||
            put_value(out, "diastolic_blood_pressure", dia);
    } else {
        while (k < sizeof single / sizeof single[0] && strcmp(single[k].loinc, code))
            k++;
        if (k == sizeof single / sizeof single[0] || !member(obs, "valueQuantity"))
            return 0;
        *schema = single[k].schema;
        *version = single[k].version;
        if (ieee && !strcmp(code, "55423-8"))
            e = buf_puts(out, "{\"activity_name\":\"walking\",") ||
                put_value(out, "base_movement_quantity", member(obs, "valueQuantity"));
        else
            e = buf_puts(out, "{") || put_value(out, single[k].member, member(obs, "valueQuantity"));
    }
    if (e || time_frame(obs, out) || buf_puts(out, "}")) {
        /* A value that is not a number is not written; a failed append is. */
        int failed = buf_failed(out);
        out->len = mark;
        if (out->data)
            out->data[mark] = '\0';
        return failed ? -1 : 0;
    }
    return 1;
}

int omh_write(json_object *obs, struct buf *out)
{
    const char *id = json_get_str(obs, "id"), *schema = NULL, *version = NULL;
    if (!id)
        return 0;
    struct buf body = {0};
    int rc = body_of(obs, 0, &schema, &version, &body);
    if (rc == 1 && (buf_puts(out, "{\"header\":{\"id\":") || buf_json_str(out, id) ||
                    buf_printf(out, ",\"schema_id\":{\"namespace\":\"omh\",\"name\":\"%s\",\"version\":\"%s\"}},"
                                    "\"body\":",
                               schema, version) ||
                    buf_append(out, body.data, body.len) || buf_puts(out, "}")))
        rc = -1;
    buf_wipe(&body);
    return rc;
}

/* --- the PHRC module's files --- */


/* The schemas the PHRC module reads, with its document-type codes
 * (its SphrConst) and the versions it writes. */
static const struct {
    const char *ns, *name, *version, *stem;
    struct sphr_doctype type;
} phrc[OMH_PHRC_KINDS] = {
    [OMH_PHRC_BP] = {"omh", "blood-pressure", "4.0", "blood-pressure", {SPHR_DOCTYPE_SYSTEM, "omh-blood-pressure-4.0", "OMH血圧記録"}},
    [OMH_PHRC_WEIGHT] = {"omh", "body-weight", "2.0", "body-weight", {SPHR_DOCTYPE_SYSTEM, "omh-body-weight-2.0", "OMH体重記録"}},
    [OMH_PHRC_TEMPERATURE] = {"omh", "body-temperature", "3.0", "body-temperature",
                              {SPHR_DOCTYPE_SYSTEM, "omh-body-temperature-3.0", "OMH体温記録"}},
    [OMH_PHRC_SPO2] = {"omh", "oxygen-saturation", "2.0", "oxygen-saturation",
                       {SPHR_DOCTYPE_SYSTEM, "omh-oxygen-saturation-2.0", "OMH酸素飽和度記録"}},
    [OMH_PHRC_STEPS] = {"ieee", "physical-activity", "1.0", "physical-activity",
                        {SPHR_DOCTYPE_SYSTEM, "ieee-physical-activity-1.0", "IEEE歩数記録"}},
};

int omh_phrc_add(json_object *obs, struct buf bodies[OMH_PHRC_KINDS])
{
    const char *schema = NULL, *version = NULL;
    struct buf body = {0};
    int rc = body_of(obs, 1, &schema, &version, &body), kind = -2;
    for (int k = 0; rc == 1 && k < OMH_PHRC_KINDS; k++)
        if (!strcmp(schema, k == OMH_PHRC_STEPS ? "step-count" : phrc[k].name))
            kind = k;
    if (rc == 1 && kind >= 0 &&
        ((bodies[kind].len && buf_puts(&bodies[kind], ",")) || buf_append(&bodies[kind], body.data, body.len)))
        kind = -1;
    buf_wipe(&body);
    return rc < 0 ? -1 : rc == 0 ? -2 : kind;
}

int omh_phrc_file(enum omh_phrc kind, const char *uuid, const char *created, const char *modality,
                  const struct buf *bodies, struct buf *out)
{
    return buf_puts(out, "{\"header\":{\"uuid\":") || buf_json_str(out, uuid) ||
           buf_puts(out, ",\"source_creation_date_time\":") || buf_json_str(out, created) ||
           buf_printf(out, ",\"schema_id\":{\"namespace\":\"%s\",\"name\":\"%s\",\"version\":\"%s\"},\"modality\":",
                      phrc[kind].ns, phrc[kind].name, phrc[kind].version) ||
           buf_json_str(out, modality) || buf_puts(out, "},\"body\":[") ||
           buf_append(out, bodies->data, bodies->len) || buf_puts(out, "]}")
               ? -1
               : 0;
}

const struct sphr_doctype *omh_phrc_type(enum omh_phrc kind)
{
    return &phrc[kind].type;
}

const char *omh_phrc_stem(enum omh_phrc kind)
{
    return phrc[kind].stem;
}
