#include "formats/anon_spec.h"

#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "formats/fhirtime.h"
#include "formats/json.h"
#include "formats/tokutei_items.h"

static const char *const QI_NAMES[QI_COUNT] = {
    [QI_AGE] = "age", [QI_SEX] = "sex", [QI_POSTAL_AREA] = "postal_area", [QI_CHECKUP_YEAR] = "checkup_year",
    [QI_PREFECTURE] = "prefecture"};

const char *anon_qi_name(enum anon_qi q)
{
    return (unsigned)q < QI_COUNT ? QI_NAMES[q] : "";
}

static int day(json_object *period, const char *which, char out[11], int64_t *lo, int64_t *hi, struct fault *fault)
{
    const char *v = json_get_str(period, which);
    if (!v || strlen(v) != 10 || fhirtime_parse(v, FHIRTIME_DATETIME, 9 * 60, lo, hi))
        return fault_set(fault, F_INVALID_VALUE, "period", "period.%s is a day, YYYY-MM-DD", which);
    memcpy(out, v, 11);
    return 0;
}

static int number(json_object *o, const char *key, int *has, double *out)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v))
        return 0;
    if (!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_double))
        return -1;
    *has = 1;
    *out = json_object_get_double(v);
    return isfinite(*out) ? 0 : -1;
}

/* The vital signs an item may name: a data kind, or a part of one. */
static const struct {
    const char *name, *data_kind, *component, *label;
} VITALS[] = {
    {"body-weight", "body-weight", NULL, "体重"},
    {"body-height", "body-height", NULL, "身長"},
    {"bmi", "bmi", NULL, "BMI"},
    {"body-temperature", "body-temperature", NULL, "体温"},
    {"oxygen-saturation", "oxygen-saturation", NULL, "血中酸素飽和度"},
    {"heart-rate", "heart-rate", NULL, "心拍数・脈拍"},
    {"blood-glucose", "blood-glucose", NULL, "血糖値"},
    {"steps", "steps", NULL, "歩数"},
    {"systolic", "blood-pressure", "8480-6", "収縮期血圧"},
    {"diastolic", "blood-pressure", "8462-4", "拡張期血圧"},
};

static int checkup_item(const char *code, size_t i, struct anon_item *it, struct fault *fault)
{
    const struct tokutei_item *t = tokutei_item_find(code);
    if (!t)
        return fault_set(fault, F_UNKNOWN_CODE, "items", "items[%zu]: code is not in the 特定健診 item table", i);
    if (strcmp(t->type, "PQ") && strcmp(t->type, "CD") && strcmp(t->type, "CO"))
        return fault_set(fault, F_INVALID_VALUE, "items", "items[%zu]: %s (%s) is free text, not a quantity or a code",
                         i, t->code, t->name);
    it->kind = ITEM_CHECKUP;
    it->coded = strcmp(t->type, "PQ") != 0;
    snprintf(it->code, sizeof it->code, "%s", t->code);
    snprintf(it->name, sizeof it->name, "%s", t->name);
    return 0;
}

static int vital_item(const char *vital, size_t i, struct anon_item *it, struct fault *fault)
{
    for (size_t v = 0; v < sizeof VITALS / sizeof VITALS[0]; v++)
        if (!strcmp(vital, VITALS[v].name)) {
            it->kind = ITEM_VITAL;
            it->data_kind = VITALS[v].data_kind;
            it->component = VITALS[v].component;
            snprintf(it->code, sizeof it->code, "vital:%s", vital);
            snprintf(it->name, sizeof it->name, "%s（測定値の平均）", VITALS[v].label);
            return 0;
        }
    return fault_set(fault, F_INVALID_VALUE, "items",
                     "items[%zu]: vital is body-weight, body-height, bmi, body-temperature, oxygen-saturation, "
                     "heart-rate, blood-glucose, steps, systolic or diastolic",
                     i);
}

static int medication_item(const char *cls, size_t i, struct anon_item *it, struct fault *fault)
{
    size_t n = strlen(cls);
    if ((n != 3 && n != 4) || strspn(cls, "0123456789") != n)
        return fault_set(fault, F_INVALID_VALUE, "items",
                         "items[%zu]: medication is a 薬効分類 of 3 or 4 digits (e.g. 214, 2149)", i);
    it->kind = ITEM_MEDICATION;
    memcpy(it->drug_class, cls, n + 1);
    snprintf(it->code, sizeof it->code, "medication:%s", cls);
    snprintf(it->name, sizeof it->name, "薬効分類 %s の薬の調剤（有無）", cls);
    return 0;
}

static int item(json_object *o, size_t i, struct anon_item *it, struct fault *fault)
{
    const char *code = json_get_str(o, "code"), *vital = json_get_str(o, "vital"), *cls = json_get_str(o, "medication");
    if (!!code + !!vital + !!cls != 1)
        return fault_set(fault, F_INVALID_VALUE, "items", "items[%zu]: one of code, vital or medication", i);
    if (code ? checkup_item(code, i, it, fault) : vital ? vital_item(vital, i, it, fault)
                                                        : medication_item(cls, i, it, fault))
        return -1;
    for (const struct anon_item *seen = it - i; seen < it; seen++)
        if (!strcmp(seen->code, it->code))
            return fault_set(fault, F_INVALID_VALUE, "items", "items[%zu]: %s is listed twice", i, it->code);
    if ((it->kind == ITEM_MEDICATION || it->coded) &&
        (json_object_object_get_ex(o, "bottom", NULL) || json_object_object_get_ex(o, "top", NULL)))
        return fault_set(fault, F_INVALID_VALUE, "items", "items[%zu]: %s is a code, not a number: no bounds", i,
                         it->code);
    if (number(o, "bottom", &it->has_bottom, &it->bottom) || number(o, "top", &it->has_top, &it->top) ||
        (it->has_bottom && it->has_top && it->bottom >= it->top))
        return fault_set(fault, F_INVALID_VALUE, "items", "items[%zu]: bottom and top are numbers, bottom below top", i);
    return 0;
}

static int qis(json_object *list, struct anon_spec *s, struct fault *fault)
{
    if (!list || !json_object_is_type(list, json_type_array) || !json_object_array_length(list))
        return fault_set(fault, F_MISSING, "quasi_identifiers", "quasi_identifiers names at least one of age, sex, "
                                                               "postal_area, prefecture, checkup_year");
    for (size_t i = 0; i < json_object_array_length(list); i++) {
        const char *n = json_object_get_string(json_object_array_get_idx(list, i));
        int q = -1;
        for (int k = 0; k < QI_COUNT && n; k++)
            if (!strcmp(n, QI_NAMES[k]))
                q = k;
        if (q < 0 || s->qi[q])
            return fault_set(fault, F_INVALID_VALUE, "quasi_identifiers",
                             "quasi_identifiers[%zu]: one of age, sex, postal_area, prefecture, checkup_year, "
                             "each once", i);
        s->qi[q] = 1;
        s->order[s->nqi++] = (enum anon_qi)q;
    }
    return 0;
}

static int scalars(json_object *root, struct anon_spec *s, struct fault *fault)
{
    json_object *v;
    s->window_days = 90;
    if (json_object_object_get_ex(root, "window_days", &v)) {
        if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 1 || json_object_get_int64(v) > 3660)
            return fault_set(fault, F_INVALID_VALUE, "window_days", "window_days is a whole number of days from 1 to 3660");
        s->window_days = (uint32_t)json_object_get_int64(v);
    }
    s->k = 5;
    if (json_object_object_get_ex(root, "k", &v)) {
        if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 2 || json_object_get_int64(v) > 1000000)
            return fault_set(fault, F_INVALID_VALUE, "k", "k is a whole number from 2");
        s->k = (uint32_t)json_object_get_int64(v);
    }
    int has = 0;
    if (number(root, "suppression", &has, &s->suppression) || s->suppression < 0 || s->suppression >= 1)
        return fault_set(fault, F_INVALID_VALUE, "suppression", "suppression is a share of the rows, from 0 to under 1");
    const char *metric = json_get_str(root, "metric");
    if (metric && strcmp(metric, "entropy") && strcmp(metric, "discernibility"))
        return fault_set(fault, F_INVALID_VALUE, "metric", "metric is entropy or discernibility");
    s->discernibility = metric && !strcmp(metric, "discernibility");
    return 0;
}

/* The sensitive item and its l (and c): l-diversity, if asked. */
static int diversity(json_object *root, struct anon_spec *s, struct fault *fault)
{
    json_object *v;
    const char *code = json_get_str(root, "sensitive");
    int has_l = json_object_object_get_ex(root, "l", &v), has_c = 0;
    s->sensitive = -1;
    if (!code) {
        if (has_l || json_object_object_get_ex(root, "c", NULL))
            return fault_set(fault, F_MISSING, "sensitive", "l and c need a sensitive item: name one of the items");
        return 0;
    }
    for (size_t i = 0; i < s->nitems; i++)
        if (!strcmp(s->items[i].code, code))
            s->sensitive = (int)i;
    if (s->sensitive < 0)
        return fault_set(fault, F_INVALID_VALUE, "sensitive", "sensitive (%s) is not one of the items", code);
    s->l = 2;
    if (has_l) {
        if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 2 || json_object_get_int64(v) > 1000)
            return fault_set(fault, F_INVALID_VALUE, "l", "l is a whole number from 2");
        s->l = (uint32_t)json_object_get_int64(v);
    }
    if (number(root, "c", &has_c, &s->c) || (has_c && s->c <= 0))
        return fault_set(fault, F_INVALID_VALUE, "c", "c is a number above 0");
    return 0;
}

int anon_spec_parse(const char *text, size_t len, struct anon_spec *s, struct fault *fault)
{
    memset(s, 0, sizeof *s);
    json_object *root = json_parse_strict(text, len, fault), *period, *items;
    int rc = -1;
    if (!root)
        return -1;
    const char *name = json_get_str(root, "name"), *purpose = json_get_str(root, "purpose");
    if (!name || !*name || strlen(name) >= sizeof s->name || strspn(name, "abcdefghijklmnopqrstuvwxyz"
                                                                          "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") !=
                                                                   strlen(name)) {
        fault_set(fault, F_INVALID_VALUE, "name", "name is up to 63 letters, digits, - and _");
        goto out;
    }
    snprintf(s->name, sizeof s->name, "%s", name);
    if (purpose && (!*purpose || strlen(purpose) >= sizeof s->purpose)) {
        fault_set(fault, F_INVALID_VALUE, "purpose", "purpose is a purpose's code");
        goto out;
    }
    snprintf(s->purpose, sizeof s->purpose, "%s", purpose ? purpose : "");
    int64_t lo, hi;
    if (!json_object_object_get_ex(root, "period", &period) ||
        day(period, "from", s->from, &s->lo, &hi, fault) || day(period, "to", s->to, &lo, &s->hi, fault))
        goto out;
    if (s->hi < s->lo) {
        fault_set(fault, F_INVALID_VALUE, "period", "period.to is before period.from");
        goto out;
    }
    if (!json_object_object_get_ex(root, "items", &items) || !json_object_is_type(items, json_type_array) ||
        !json_object_array_length(items) || json_object_array_length(items) > ANON_SPEC_MAX_ITEMS) {
        fault_set(fault, F_MISSING, "items", "items lists from 1 to %d checkup items", ANON_SPEC_MAX_ITEMS);
        goto out;
    }
    for (size_t i = 0; i < json_object_array_length(items); i++)
        if (item(json_object_array_get_idx(items, i), i, &s->items[s->nitems++], fault))
            goto out;
    json_object *q = NULL;
    json_object_object_get_ex(root, "quasi_identifiers", &q);
    if (qis(q, s, fault) || scalars(root, s, fault) || diversity(root, s, fault))
        goto out;
    rc = 0;
out:
    json_object_put(root);
    return rc;
}
