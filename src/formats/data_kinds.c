#include "formats/data_kinds.h"

#include <stdio.h>
#include <string.h>

#include "formats/tokutei_items.h"
#include "formats/vitals.h"

#define MAX_CODES 3

static const struct kind {
    const char *name, *ja, *en;
    /* What a record of this kind is: its resource type and, where the type
     * holds several kinds, its category and code system, and for a vital
     * sign its LOINC codes. NULL: any. */
    const char *type, *category, *code_system;
    const char *codes[MAX_CODES];
} kinds[DK_COUNT] = {
    [DK_OTHER] = {"other", "その他", "Other", NULL, NULL, NULL, {NULL}},
    [DK_BLOOD_PRESSURE] = {"blood-pressure", "血圧", "Blood pressure", "Observation", "vital-signs", LOINC,
                           {"85354-9"}},
    [DK_BODY_WEIGHT] = {"body-weight", "体重", "Body weight", "Observation", "vital-signs", LOINC, {"29463-7"}},
    [DK_BODY_HEIGHT] = {"body-height", "身長", "Body height", "Observation", "vital-signs", LOINC, {"8302-2"}},
    [DK_BMI] = {"bmi", "BMI", "Body mass index", "Observation", "vital-signs", LOINC, {"39156-5"}},
    [DK_BODY_TEMPERATURE] = {"body-temperature", "体温", "Body temperature", "Observation", "vital-signs", LOINC,
                             {"8310-5"}},
    [DK_OXYGEN_SATURATION] = {"oxygen-saturation", "血中酸素飽和度", "Oxygen saturation", "Observation",
                              "vital-signs", LOINC, {"59408-5", "2708-6"}},
    [DK_HEART_RATE] = {"heart-rate", "心拍数・脈拍", "Heart rate", "Observation", "vital-signs", LOINC, {"8867-4"}},
    [DK_BLOOD_GLUCOSE] = {"blood-glucose", "血糖値（自己測定）", "Blood glucose (self-measured)", "Observation",
                          "vital-signs", LOINC, {"2339-0", "41653-7", "15074-8"}},
    [DK_STEPS] = {"steps", "歩数", "Steps", "Observation", "vital-signs", LOINC, {"55423-8"}},
    [DK_CHECKUP] = {"checkup", "健診結果（特定健診等）", "Checkup results", "Observation", NULL,
                    "urn:oid:" TOKUTEI_ITEM_OID, {NULL}},
    [DK_MEDICATION] = {"medication", "服薬の記録（お薬手帳。処方、アレルギー・副作用歴を含みます）",
                       "Medication records (prescriptions, allergies and side effects included)", "MedicationDispense", NULL, NULL,
                       {NULL}},
    [DK_IMMUNIZATION] = {"immunization", "予防接種の記録", "Immunisation records", "Immunization", NULL, NULL, {NULL}},
    [DK_DOCUMENTS] = {"documents", "取り込んだファイルの原本（健診結果・お薬手帳・測定値をそのまま含みます）",
                      "Imported files as they came (they hold checkup results, medication and measurements as such)",
                      "DocumentReference", NULL, NULL, {NULL}},
};

/* A medication record is also a MedicationStatement (an OTC medicine), a
 * MedicationRequest (a prescription) or an AllergyIntolerance (the
 * allergies and side effects an お薬手帳 carries for the pharmacist). */
static const char *const medication_types[] = {"MedicationDispense", "MedicationStatement", "MedicationRequest",
                                               "AllergyIntolerance"};

/* A document holds whatever its format holds: only a purpose that provides
 * all of that may provide the file as it came. */
#define DOCUMENT_CONTENT \
    (DATA_KINDS_VITALS | DATA_KIND_BIT(DK_CHECKUP) | DATA_KIND_BIT(DK_MEDICATION) | DATA_KIND_BIT(DK_IMMUNIZATION))

#define GROUP_VITALS "vital-signs"

static int same(const char *want, const char *have)
{
    return !want || (have && !strcmp(want, have));
}

const char *data_kind_name(enum data_kind k)
{
    return (unsigned)k < DK_COUNT ? kinds[k].name : kinds[DK_OTHER].name;
}

const char *data_kind_label(enum data_kind k, const char *lang)
{
    const struct kind *d = &kinds[(unsigned)k < DK_COUNT ? k : DK_OTHER];
    return lang && !strcmp(lang, "ja") ? d->ja : d->en;
}

const char *data_kind_code(enum data_kind k, int i, const char **system)
{
    if ((unsigned)k >= DK_COUNT || i < 0 || i >= MAX_CODES)
        return NULL;
    *system = kinds[k].code_system;
    return kinds[k].codes[i];
}

enum data_kind data_kind_by_name(const char *name)
{
    for (int k = 1; name && k < DK_COUNT; k++)
        if (!strcmp(kinds[k].name, name))
            return (enum data_kind)k;
    return DK_OTHER;
}

static int is_type_of(const struct kind *d, enum data_kind k, const char *type)
{
    if (!type)
        return 0;
    if (k == DK_MEDICATION) {
        for (size_t i = 0; i < sizeof medication_types / sizeof medication_types[0]; i++)
            if (!strcmp(type, medication_types[i]))
                return 1;
        return 0;
    }
    return !strcmp(d->type, type);
}

enum data_kind data_kind_of(const char *resource_type, const char *category, const char *code_system,
                            const char *code)
{
    for (int k = 1; k < DK_COUNT; k++) {
        const struct kind *d = &kinds[k];
        if (!is_type_of(d, (enum data_kind)k, resource_type) || !same(d->category, category) ||
            !same(d->code_system, code_system))
            continue;
        if (!d->codes[0])
            return (enum data_kind)k;
        for (int c = 0; c < MAX_CODES && d->codes[c]; c++)
            if (code && !strcmp(d->codes[c], code))
                return (enum data_kind)k;
    }
    return DK_OTHER;
}

data_kinds data_kinds_of_type(const char *resource_type)
{
    data_kinds set = 0;
    for (int k = 1; k < DK_COUNT; k++)
        if (is_type_of(&kinds[k], (enum data_kind)k, resource_type))
            set |= DATA_KIND_BIT(k);
    return set;
}

static data_kinds one_name(const char *p, size_t n)
{
    if (n == strlen(GROUP_VITALS) && !memcmp(p, GROUP_VITALS, n))
        return DATA_KINDS_VITALS;
    for (int k = 1; k < DK_COUNT; k++)
        if (strlen(kinds[k].name) == n && !memcmp(kinds[k].name, p, n))
            return DATA_KIND_BIT(k);
    return 0;
}

int data_kinds_parse(const char *list, data_kinds *out, char *bad, size_t bad_cap)
{
    *out = 0;
    if (bad_cap)
        bad[0] = '\0';
    if (!list || !*list)
        return -1;
    for (const char *p = list;;) {
        size_t n = strcspn(p, ",");
        data_kinds k = one_name(p, n);
        if (!k) {
            if (bad_cap)
                snprintf(bad, bad_cap, "%.*s", (int)(n > 64 ? 64 : n), p);
            *out = 0;
            return -1;
        }
        *out |= k;
        if (!p[n])
            break;
        p += n + 1;
    }
    if ((*out & DATA_KIND_BIT(DK_DOCUMENTS)) && (*out & DOCUMENT_CONTENT) != DOCUMENT_CONTENT) {
        *out = 0;
        return -2;
    }
    return 0;
}

void data_kinds_filter(data_kinds set, char out[DATA_KINDS_FILTER_MAX])
{
    size_t len = 1;
    out[0] = ',';
    out[1] = '\0';
    for (int k = 1; k < DK_COUNT; k++) {
        if (!(set & DATA_KIND_BIT(k)))
            continue;
        int n = snprintf(out + len, DATA_KINDS_FILTER_MAX - len, "%s,", kinds[k].name);
        if (n < 0 || (size_t)n >= DATA_KINDS_FILTER_MAX - len) {
            out[len] = '\0'; /* unreachable with this table (a unit test fills it): a cut filter names fewer kinds */
            return;
        }
        len += (size_t)n;
    }
}

void data_kinds_names(char *out, size_t cap)
{
    size_t len = 0;
    int n = snprintf(out, cap, "%s", GROUP_VITALS);
    for (int k = 1; n >= 0 && (size_t)n < cap - len && k < DK_COUNT; k++) {
        len += (size_t)n;
        n = snprintf(out + len, cap - len, ", %s", kinds[k].name);
    }
}
