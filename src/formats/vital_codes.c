#include "formats/vital_codes.h"

#include <string.h>

#include "formats/json.h"

#define BP_SYSTOLIC "8480-6"
#define BP_DIASTOLIC "8462-4"

/* Plausibility ranges: outside them a value is a typing or device error,
 * not a measurement of a living person (e.g. systolic 0 or 900 mmHg). */
static const struct vital_rule rules[] = {
    {{"85354-9", "Blood pressure panel"}, {{"mm[Hg]", 1, 0}}, 0, 0, 1},
    {{"29463-7", "Body weight"}, {{"kg", 1, 0}, {"g", 0.001, 0}, {"[lb_av]", 0.45359237, 0}}, 0.2, 500, 0},
    {{"8302-2", "Body height"}, {{"cm", 1, 0}, {"m", 100, 0}, {"[in_i]", 2.54, 0}}, 20, 300, 0},
    {{"39156-5", "Body mass index (BMI)"}, {{"kg/m2", 1, 0}}, 5, 150, 0},
    {{"8310-5", "Body temperature"}, {{"Cel", 1, 0}, {"[degF]", 5.0 / 9.0, -32}}, 25, 45, 0},
    {{"59408-5", "Oxygen saturation by pulse oximetry"}, {{"%", 1, 0}}, 40, 100, 0},
    {{"2708-6", "Oxygen saturation in arterial blood"}, {{"%", 1, 0}}, 40, 100, 0},
    {{"8867-4", "Heart rate"}, {{"/min", 1, 0}}, 20, 300, 0},
    {{"2339-0", "Glucose [Mass/volume] in Blood"}, {{"mg/dL", 1, 0}}, 10, 1500, 0},
    {{"41653-7", "Glucose [Mass/volume] in Capillary blood by Glucometer"}, {{"mg/dL", 1, 0}}, 10, 1500, 0},
    {{"15074-8", "Glucose [Moles/volume] in Blood"}, {{"mmol/L", 1, 0}}, 0.5, 85, 0},
    {{"55423-8", "Number of steps in unspecified time Pedometer"}, {{"{steps}", 1, 0}, {"/d", 1, 0}}, 0, 300000, 0},
};
#define NRULES (int)(sizeof rules / sizeof rules[0])

/* The MEDIS nursing observation master (看護観察テーブル, OID
 * 1.2.392.200119.4.804) under every name JP Core gives it: 1.1's OID and
 * JP_ObservationVitalSignsCode_CS, 1.2's MEDIS URL. JP Core's
 * JP_ObservationBodyMeasurementCode_CS is a part of the same master (its
 * codes and names are the master's). */
static const char *const medis_systems[] = {
    "urn:oid:1.2.392.200119.4.804",
    "http://jpfhir.jp/fhir/core/CodeSystem/JP_ObservationVitalSignsCode_CS",
    "http://medis.or.jp/CodeSystem/master-nursingObservationKeyCode",
    "http://jpfhir.jp/fhir/core/CodeSystem/JP_ObservationBodyMeasurementCode_CS",
};

/* Only codes whose meaning is certain: the weights, height and BMI as JP
 * Core's body-measurement CodeSystem defines them; the others as JP Core's
 * examples and the implementers who publish their MEDIS-to-LOINC tables
 * agree. The MEDIS master itself is licensed; docs/interop.md says so. */
static const struct {
    const char *medis, *loinc;
} medis_codes[] = {
    {"31000296", "29463-7"}, /* 体重 (kg) */
    {"31000297", "29463-7"}, /* 体重 (g) */
    {"31000298", "8302-2"},  /* 身長 */
    {"31003020", "39156-5"}, /* ＢＭＩ */
    {"31001368", "8310-5"},  /* 体温 */
    {"31001390", "8867-4"},  /* 脈拍数 */
    {"31000001", "59408-5"}, /* 経皮的動脈血酸素飽和度 (SpO2) */
    {"31002365", "85354-9"}, /* 血圧 */
    {"31001848", BP_SYSTOLIC}, /* 収縮期血圧 */
    {"31001849", BP_DIASTOLIC}, /* 拡張期血圧 */
};

/* Unit texts that name one UCUM unit, as devices and Japanese systems
 * write them ("C" is not here: in UCUM it is the coulomb). */
static const struct {
    const char *text, *ucum;
} unit_texts[] = {
    {"mmHg", "mm[Hg]"}, {"mm Hg", "mm[Hg]"}, {"℃", "Cel"},        {"°C", "Cel"},       {"°F", "[degF]"},
    {"kg/m²", "kg/m2"}, {"bpm", "/min"},     {"beats/min", "/min"}, {"回/分", "/min"},  {"拍/分", "/min"},
    {"/分", "/min"},    {"lb", "[lb_av]"},   {"lbs", "[lb_av]"},    {"in", "[in_i]"},   {"歩", "{steps}"},
    {"steps", "{steps}"}, {"mg/dl", "mg/dL"}, {"mmol/l", "mmol/L"},
};

static const struct vital_rule *rule_of(const char *loinc)
{
    for (int r = 0; loinc && r < NRULES; r++)
        if (!strcmp(loinc, rules[r].k.code))
            return &rules[r];
    return NULL;
}

static int is_medis(const char *system)
{
    for (size_t i = 0; i < sizeof medis_systems / sizeof medis_systems[0]; i++)
        if (!strcmp(system, medis_systems[i]))
            return 1;
    return 0;
}

/* The LOINC code one coding names, or NULL. */
static const char *loinc_of(json_object *c)
{
    const char *sys = json_object_is_type(c, json_type_object) ? json_get_str(c, "system") : NULL;
    const char *code = sys ? json_get_str(c, "code") : NULL;
    if (!code)
        return NULL;
    if (!strcmp(sys, LOINC))
        return code;
    if (is_medis(sys))
        for (size_t i = 0; i < sizeof medis_codes / sizeof medis_codes[0]; i++)
            if (!strcmp(code, medis_codes[i].medis))
                return medis_codes[i].loinc;
    return NULL;
}

static json_object *codings(json_object *code)
{
    json_object *c;
    return code && json_object_object_get_ex(code, "coding", &c) && json_object_is_type(c, json_type_array) ? c : NULL;
}

const struct vital_rule *vital_codes_rule(json_object *code)
{
    json_object *cs = codings(code);
    for (size_t i = 0; cs && i < json_object_array_length(cs); i++) {
        const struct vital_rule *r = rule_of(loinc_of(json_object_array_get_idx(cs, i)));
        if (r)
            return r;
    }
    return NULL;
}

int vital_codes_bp_part(json_object *code)
{
    json_object *cs = codings(code);
    for (size_t i = 0; cs && i < json_object_array_length(cs); i++) {
        const char *l = loinc_of(json_object_array_get_idx(cs, i));
        if (l && !strcmp(l, BP_SYSTOLIC))
            return VITAL_SYSTOLIC;
        if (l && !strcmp(l, BP_DIASTOLIC))
            return VITAL_DIASTOLIC;
    }
    return -1;
}

const char *vital_codes_bp_loinc(int part)
{
    return part == VITAL_SYSTOLIC ? BP_SYSTOLIC : BP_DIASTOLIC;
}

const struct vital_rule *vital_codes_rules(int *n)
{
    *n = NRULES;
    return rules;
}

static const char *unit_text(const char *text)
{
    if (!text)
        return NULL;
    for (size_t i = 0; i < sizeof unit_texts / sizeof unit_texts[0]; i++)
        if (!strcmp(text, unit_texts[i].text))
            return unit_texts[i].ucum;
    /* A text that is itself an accepted UCUM code ("kg", "mg/dL", "%"). */
    for (int r = 0; r < NRULES; r++)
        for (int u = 0; u < VITAL_MAX_UNITS && rules[r].units[u].ucum; u++)
            if (!strcmp(text, rules[r].units[u].ucum))
                return rules[r].units[u].ucum;
    return NULL;
}

const char *vital_codes_ucum(json_object *q)
{
    const char *sys = json_get_str(q, "system"), *code = json_get_str(q, "code");
    if (sys)
        return !strcmp(sys, UCUM) ? code : NULL;
    const char *by_code = unit_text(code);
    return by_code ? by_code : unit_text(json_get_str(q, "unit"));
}

int vital_codes_foreign_unit(json_object *q)
{
    const char *sys = json_get_str(q, "system");
    return sys && strcmp(sys, UCUM) != 0;
}

void vital_codes_add_loinc(json_object *code, const char *loinc, const char *display)
{
    json_object *cs = codings(code);
    for (size_t i = 0; cs && i < json_object_array_length(cs); i++) {
        json_object *c = json_object_array_get_idx(cs, i);
        const char *sys = json_get_str(c, "system"), *cd = json_get_str(c, "code");
        if (sys && cd && !strcmp(sys, LOINC) && !strcmp(cd, loinc))
            return;
    }
    json_object *c = cs ? fhir_coding(LOINC, loinc, display) : NULL;
    if (c)
        json_object_array_add(cs, c);
}

void vital_codes_add_ucum(json_object *q)
{
    if (json_get_str(q, "system"))
        return;
    const char *ucum = vital_codes_ucum(q);
    if (!ucum)
        return;
    json_object_object_add(q, "code", json_object_new_string(ucum));
    json_object_object_add(q, "system", json_object_new_string(UCUM));
}
