#include "formats/value_search.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#define NUMBER_MAX 32

/* "[system|]code" into t (its strings in text); 0, or -1 if empty. */
static int token_of(char *text, struct token_value *t)
{
    *t = (struct token_value){0};
    char *bar = strchr(text, '|');
    if (bar) {
        *bar = '\0';
        t->system = *text ? text : NULL;
        t->no_system = !*text;
        text = bar + 1;
    }
    t->code = text;
    return *text && !strchr(text, '|') ? 0 : -1;
}

/* How far a number given to this many places stands for: half its last
 * place (R4 3.1.1.4.1: "100" is [99.5, 100.5)). */
static double half_place(const char *number)
{
    const char *dot = strchr(number, '.');
    size_t places = dot ? strspn(dot + 1, "0123456789") : 0;
    const char *e = strpbrk(number, "eE");
    double half = 0.5 * pow(10.0, -(double)places);
    return e ? half * pow(10.0, strtod(e + 1, NULL)) : half;
}

/* "[prefix]number[|system|unit]" into a. */
static int quantity_of(char *text, struct value_alt *a)
{
    static const struct { const char *p; enum date_op op; } prefixes[] = {
        {"eq", DATE_EQ}, {"ne", DATE_NE}, {"ge", DATE_GE}, {"le", DATE_LE}, {"gt", DATE_GT},
        {"lt", DATE_LT}, {"sa", DATE_SA}, {"eb", DATE_EB}, {"ap", DATE_AP},
    };
    a->op = DATE_EQ;
    if (text[0] >= 'a' && text[0] <= 'z') {
        size_t i;
        for (i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
            if (!strncmp(text, prefixes[i].p, 2))
                break;
        if (i == sizeof prefixes / sizeof prefixes[0])
            return -1;
        a->op = prefixes[i].op;
        text += 2;
    }
    char *bar = strchr(text, '|');
    if (bar) {
        *bar = '\0';
        char *system = bar + 1, *unit = strchr(system, '|');
        if (!unit || strchr(unit + 1, '|'))
            return -1;
        *unit++ = '\0';
        a->system = *system ? system : NULL;
        a->unit = *unit ? unit : NULL;
    }
    char *end;
    size_t len = strlen(text);
    if (!len || len > NUMBER_MAX || strspn(text, "+-0123456789.eE") != len)
        return -1;
    double v = strtod(text, &end);
    if (*end || !isfinite(v))
        return -1;
    double half = half_place(text);
    a->has_value = 1;
    a->lo = a->hi = v;
    if (a->op == DATE_EQ || a->op == DATE_NE) {
        a->lo = v - half;
        a->hi = v + half;
    } else if (a->op == DATE_AP) {
        double gap = fabs(v) / 10 > half ? fabs(v) / 10 : half;
        a->lo = v - gap;
        a->hi = v + gap;
    }
    return 0;
}

int value_cond_parse(enum value_on on, char *text, struct value_cond *out)
{
    *out = (struct value_cond){.on = on};
    for (char *part = text, *next; part; part = next) {
        next = strchr(part, ',');
        if (next)
            *next++ = '\0';
        if (out->n == VALUE_MAX_ALTS)
            return -1;
        struct value_alt *a = &out->alt[out->n++];
        *a = (struct value_alt){0};
        char *dollar = strchr(part, '$');
        int coded = on == CODE_OF_COMPONENT || on == VALUE_OF_EITHER || (on == VALUE_OF_COMPONENT && dollar);
        if (on == CODE_OF_COMPONENT) {
            if (dollar || token_of(part, &a->code))
                return -1;
            continue;
        }
        if (coded) {
            if (!dollar)
                return -1;
            *dollar = '\0';
            if (token_of(part, &a->code))
                return -1;
            part = dollar + 1;
        } else if (dollar) {
            return -1;
        }
        if (quantity_of(part, a))
            return -1;
    }
    return 0;
}

static const char *text_of(json_object *o, const char *key)
{
    json_object *v;
    return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
               ? json_object_get_string(v)
               : NULL;
}

/* Whether a CodeableConcept has a coding the token names. */
static int coded(json_object *concept, const struct token_value *t)
{
    if (!t->code)
        return 1;
    json_object *codings;
    if (!concept || !json_object_object_get_ex(concept, "coding", &codings) ||
        !json_object_is_type(codings, json_type_array))
        return 0;
    for (size_t i = 0; i < json_object_array_length(codings); i++) {
        json_object *c = json_object_array_get_idx(codings, i);
        const char *code = text_of(c, "code"), *system = text_of(c, "system");
        if (!code || strcmp(code, t->code))
            continue;
        if (t->no_system ? !system : !t->system || (system && !strcmp(system, t->system)))
            return 1;
    }
    return 0;
}

static int quantity_meets(json_object *q, const struct value_alt *a)
{
    json_object *value;
    if (!q || !json_object_object_get_ex(q, "value", &value) ||
        !(json_object_is_type(value, json_type_double) || json_object_is_type(value, json_type_int)))
        return 0;
    const char *code = text_of(q, "code"), *system = text_of(q, "system");
    if (a->unit && !(code ? !strcmp(code, a->unit) : text_of(q, "unit") && !strcmp(text_of(q, "unit"), a->unit)))
        return 0;
    if (a->system && !(system && !strcmp(system, a->system)))
        return 0;
    double v = json_object_get_double(value);
    switch (a->op) {
    case DATE_EQ: return v >= a->lo && v < a->hi;
    case DATE_NE: return !(v >= a->lo && v < a->hi);
    case DATE_AP: return v >= a->lo && v <= a->hi;
    case DATE_GT:
    case DATE_SA: return v > a->lo;
    case DATE_LT:
    case DATE_EB: return v < a->lo;
    case DATE_GE: return v >= a->lo;
    case DATE_LE: return v <= a->lo;
    }
    return 0;
}

static json_object *member(json_object *o, const char *key)
{
    json_object *v;
    return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

/* An element (the Observation or a component) meets the alternative: its
 * code, if the alternative names one, and its value, if it gives one. */
static int element_meets(json_object *e, const struct value_alt *a)
{
    return coded(member(e, "code"), &a->code) && (!a->has_value || quantity_meets(member(e, "valueQuantity"), a));
}

static int alt_meets(json_object *obs, enum value_on on, const struct value_alt *a)
{
    if (on == VALUE_OF_OBSERVATION || on == VALUE_OF_EITHER) {
        if (element_meets(obs, a))
            return 1;
        if (on == VALUE_OF_OBSERVATION)
            return 0;
    }
    json_object *components = member(obs, "component");
    if (!components || !json_object_is_type(components, json_type_array))
        return 0;
    for (size_t i = 0; i < json_object_array_length(components); i++)
        if (element_meets(json_object_array_get_idx(components, i), a))
            return 1;
    return 0;
}

int value_conds_match(const struct value_conds *c, const char *json, size_t len)
{
    json_tokener *tok = json_tokener_new();
    if (!tok)
        return -1;
    json_object *obs = json_tokener_parse_ex(tok, json, (int)len);
    json_tokener_free(tok);
    int ok = obs && json_object_is_type(obs, json_type_object);
    for (int i = 0; ok && i < c->n; i++) {
        int any = 0;
        for (int j = 0; !any && j < c->c[i].n; j++)
            any = alt_meets(obs, c->c[i].on, &c->c[i].alt[j]);
        ok = any;
    }
    json_object_put(obs);
    return ok;
}
