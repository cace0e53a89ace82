#include "formats/search.h"

#include <stdlib.h>
#include <string.h>

#include "formats/code_text.h"
#include "formats/fhirtime.h"
#include "formats/form.h"
#include "formats/vitals.h"

#define TOKEN_PART_MAX 256

static int parse_int(const char *s, long min, long max, long *out)
{
    char *end;
    if (!*s || strlen(s) > 12)
        return -1;
    long v = strtol(s, &end, 10);
    if (*end || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

/* Cuts text (owned, changed in place) at its unescaped commas and bars
 * into values (R4 3.1.1.5.12: "\," "\|" "\\" stand for themselves). */
static int cut_values(char *text, enum token_on on, struct token_value *v, int *n)
{
    *n = 0;
    char *w = text, *part = text, *bar = NULL;
    for (char *r = text;; r++) {
        if (*r == '\\' && r[1]) {
            *w++ = *++r;
            continue;
        }
        if (*r == '|' && !bar) {
            *w++ = '\0';
            bar = w;
            continue;
        }
        char end = *r;
        if (end && end != ',') {
            *w++ = end;
            continue;
        }
        *w++ = '\0';
        if (*n == SEARCH_MAX_VALUES)
            return -1;
        struct token_value *t = &v[(*n)++];
        *t = (struct token_value){0};
        const char *code = bar ? bar : part;
        if (bar) {
            t->system = *part ? part : NULL;
            t->no_system = !*part;
        }
        t->code = *code ? code : NULL;
        if ((!t->code && !t->system) || strlen(part) > TOKEN_PART_MAX || strlen(code) > TOKEN_PART_MAX ||
            (on == TOKEN_ID && (bar || !t->code)) ||
            (on == TOKEN_CATEGORY && (!t->code || (t->system && strcmp(t->system, OBS_CATEGORY)))))
            return -1;
        if (on == TOKEN_CATEGORY)
            t->system = NULL; /* the column holds the observation-category code alone */
        if (!end)
            return 0;
        part = w;
        bar = NULL;
    }
}

static int token_param(struct search_params *out, enum token_on on, int not, const char *key, const char *v,
                       struct fault *fault)
{
    struct record_query *q = &out->q;
    if (q->ntokens == QUERY_MAX_TOKENS)
        return fault_set(fault, F_BAD_REQUEST, key, "at most %d token parameters", QUERY_MAX_TOKENS);
    int i = q->ntokens;
    out->texts[i] = strdup(v);
    out->values[i] = calloc(SEARCH_MAX_VALUES, sizeof *out->values[i]);
    if (!out->texts[i] || !out->values[i])
        return fault_set(fault, F_INTERNAL, NULL, "out of memory");
    int n;
    if (cut_values(out->texts[i], on, out->values[i], &n) != 0)
        return fault_set(fault, F_BAD_REQUEST, key,
                         on == TOKEN_ID ? "%s must list ids, comma-separated"
                         : on == TOKEN_CATEGORY
                             ? "%s must list observation-category codes, comma-separated (e.g. vital-signs)"
                             : "%s must list tokens, [system|]code, comma-separated (e.g. http://loinc.org|85354-9; "
                               "|code for one without a system)",
                         key);
    q->tokens[q->ntokens++] = (struct token_cond){on, not, out->values[i], n};
    return 0;
}

/* code:text=血圧: the codes whose names contain the text (any of them,
 * comma-separated); none is a condition nothing meets. */
static int text_param(struct search_params *out, const char *key, const char *v, const struct search_context *cx,
                      struct fault *fault)
{
    struct record_query *q = &out->q;
    if (strcmp(cx->type, "Observation"))
        return fault_set(fault, F_UNSUPPORTED_PARAMETER, key,
                         "code:text is served for Observation (the names of the vital-sign and checkup codes)");
    if (q->ntokens == QUERY_MAX_TOKENS)
        return fault_set(fault, F_BAD_REQUEST, key, "at most %d token parameters", QUERY_MAX_TOKENS);
    int i = q->ntokens;
    out->texts[i] = strdup(v);
    out->values[i] = calloc(CODE_TEXT_MAX, sizeof *out->values[i]);
    if (!out->texts[i] || !out->values[i])
        return fault_set(fault, F_INTERNAL, NULL, "out of memory");
    int n = 0;
    for (char *part = out->texts[i], *next; part; part = next) {
        next = strchr(part, ',');
        if (next)
            *next++ = '\0';
        if (strlen(part) < 1 || strlen(part) > TOKEN_PART_MAX)
            return fault_set(fault, F_BAD_REQUEST, key, "%s takes words of a code's name, comma-separated", key);
        if (code_text_find(part, out->values[i], CODE_TEXT_MAX, &n) != 0)
            return fault_set(fault, F_BAD_REQUEST, key, "'%.40s' names more than %d codes: give more of the name",
                             part, CODE_TEXT_MAX);
    }
    if (!n) /* a code no record has: nothing found */
        out->values[i][n++] = (struct token_value){.system = "urn:phr:none", .code = ""};
    q->tokens[q->ntokens++] = (struct token_cond){TOKEN_CODE, 0, out->values[i], n};
    return 0;
}

/* value-quantity=gt140|http://unitsofmeasure.org|mm[Hg], and the others
 * of formats/value_search.h. */
static int value_param(struct search_params *out, enum value_on on, const char *key, const char *v,
                       struct fault *fault)
{
    struct value_conds *c = &out->value_conds;
    if (c->n == VALUE_MAX_CONDS)
        return fault_set(fault, F_BAD_REQUEST, key, "at most %d value parameters", VALUE_MAX_CONDS);
    if (!(out->value_texts[c->n] = strdup(v)))
        return fault_set(fault, F_INTERNAL, NULL, "out of memory");
    if (value_cond_parse(on, out->value_texts[c->n], &c->c[c->n]) != 0)
        return fault_set(fault, F_BAD_REQUEST, key,
                         on == CODE_OF_COMPONENT ? "%s must list tokens, [system|]code, comma-separated"
                         : on == VALUE_OF_OBSERVATION
                             ? "%s must be [prefix]number[|system|unit], comma-separated (e.g. gt140 or "
                               "5.4|http://unitsofmeasure.org|mg)"
                             : "%s must be [system|]code$[prefix]number[|system|unit], comma-separated (e.g. "
                               "http://loinc.org|8480-6$gt140)",
                         key);
    c->n++;
    return 0;
}

static int date_param(const char *key, const char *v, const struct search_context *cx, struct record_query *q,
                      struct fault *fault)
{
    static const struct { const char *p; enum date_op op; } prefixes[] = {
        {"eq", DATE_EQ}, {"ne", DATE_NE}, {"ge", DATE_GE}, {"le", DATE_LE}, {"gt", DATE_GT},
        {"lt", DATE_LT}, {"sa", DATE_SA}, {"eb", DATE_EB}, {"ap", DATE_AP},
    };
    enum date_op op = DATE_EQ;
    if (v[0] >= 'a' && v[0] <= 'z') {
        size_t i;
        for (i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
            if (strncmp(v, prefixes[i].p, 2) == 0)
                break;
        if (i == sizeof prefixes / sizeof prefixes[0])
            return fault_set(fault, F_BAD_REQUEST, key, "a date prefix is one of eq, ne, gt, lt, ge, le, sa, eb, ap");
        op = prefixes[i].op;
        v += 2;
    }
    if (q->ndates == QUERY_MAX_DATES)
        return fault_set(fault, F_BAD_REQUEST, key, "at most %d date parameters", QUERY_MAX_DATES);
    int64_t lo, hi;
    if (fhirtime_parse(v, FHIRTIME_SEARCH, cx->tz_offset_min, &lo, &hi) != 0)
        return fault_set(fault, F_BAD_REQUEST, key, "'%.40s' is not a FHIR date or dateTime", v);
    if (op == DATE_AP) {
        /* A tenth of the way from now (R4 3.1.1.5.7), at least the value's own precision. */
        int64_t gap = (cx->now_ms > hi ? cx->now_ms - hi : lo - cx->now_ms) / 10;
        if (gap < 0)
            gap = 0;
        lo -= gap;
        hi += gap;
    }
    q->dates[q->ndates++] = (struct date_cond){op, lo, hi, !strcmp(key, "_lastUpdated") || !strcmp(key, "_since")};
    return 0;
}

/* $everything's _since (written at or after), start and end (of care):
 * a date the prefix is implied for. */
static int date_prefixed(const char *key, const char *prefix, const char *v, const struct search_context *cx,
                         struct record_query *q, struct fault *fault)
{
    if (v[0] >= 'a' && v[0] <= 'z')
        return fault_set(fault, F_BAD_REQUEST, key, "%s takes a date or dateTime, without a prefix", key);
    char with[48];
    if (strlen(v) + 3 > sizeof with)
        return fault_set(fault, F_BAD_REQUEST, key, "'%.40s' is not a FHIR date or dateTime", v);
    memcpy(with, prefix, 2);
    memcpy(with + 2, v, strlen(v) + 1);
    return date_param(key, with, cx, q, fault);
}

/* _sort=-date,code: the keys in order, '-' for descending. */
static int parse_sort(const char *v, struct record_query *q)
{
    static const struct {
        const char *name;
        enum sort_key key;
    } keys[] = {{"date", SORT_DATE}, {"_lastUpdated", SORT_LAST_UPDATED}, {"code", SORT_CODE}, {"_id", SORT_ID}};
    while (*v) {
        int desc = *v == '-';
        v += desc;
        size_t n = strcspn(v, ",");
        size_t i;
        for (i = 0; i < sizeof keys / sizeof keys[0]; i++)
            if (strlen(keys[i].name) == n && !strncmp(v, keys[i].name, n))
                break;
        if (i == sizeof keys / sizeof keys[0] || q->nsort == QUERY_MAX_SORT)
            return -1;
        for (int j = 0; j < q->nsort; j++)
            if (q->sort[j].key == keys[i].key)
                return -1;
        q->sort[q->nsort++] = (struct sort_term){keys[i].key, desc};
        v += n;
        if (*v == ',' && !*++v)
            return -1;
    }
    return q->nsort ? 0 : -1;
}

/* Whether word (n bytes, non-empty) is one of list's ",a,b," entries. */
static int in_list(const char *list, const char *word, size_t n)
{
    if (!list || !n)
        return 0;
    for (const char *at = list; (at = strchr(at, ',')) && at[1]; at++)
        if (!strncmp(at + 1, word, n) && at[1 + n] == ',')
            return 1;
    return 0;
}

/* _include=Observation:patient (or :subject): the person's Patient
 * (across types, any record type's); Observation:derived-from: the
 * documents the matches were imported from; *: both. */
static int include_param(const char *v, const struct search_context *cx, struct search_params *out)
{
    if (!strcmp(v, "*")) {
        out->include_patient = 1;
        out->include_documents = 1;
        return 0;
    }
    const char *colon = strchr(v, ':');
    if (!colon || (cx->type ? strlen(cx->type) != (size_t)(colon - v) || strncmp(v, cx->type, strlen(cx->type))
                            : !in_list(SEARCH_RECORD_TYPES, v, (size_t)(colon - v))))
        return -1;
    if (!strcmp(colon + 1, "derived-from") && !strncmp(v, "Observation:", 12)) {
        out->include_documents = 1;
        return 0;
    }
    if (strcmp(colon + 1, "patient") && strcmp(colon + 1, "subject"))
        return -1;
    out->include_patient = 1;
    return 0;
}

/* _type=Observation,MedicationDispense: the record types (and, for
 * $everything, Patient) asked for; every one must be served. */
static int type_param(const char *v, const struct search_context *cx, struct search_params *out)
{
    size_t len = 1;
    out->types[0] = ',';
    out->with_patient = 0;
    for (const char *at = v;; at++) {
        size_t n = strcspn(at, ",");
        if (cx->everything && n == 7 && !strncmp(at, "Patient", 7)) {
            out->with_patient = 1;
        } else if (!in_list(SEARCH_RECORD_TYPES, at, n)) {
            return -1;
        } else if (!in_list(out->types, at, n)) {
            if (len + n + 2 > sizeof out->types)
                return -1;
            memcpy(out->types + len, at, n);
            len += n;
            out->types[len++] = ',';
            out->types[len] = '\0';
        }
        at += n;
        if (!*at)
            break;
    }
    /* Patient alone: no records (a type no record has). */
    out->q.types = len > 1 ? out->types : ",Patient,";
    return 0;
}

enum param {
    P_PATIENT, P_CODE, P_CATEGORY, P_ID, P_IDENTIFIER, P_DATE, P_COUNT, P_PAGE, P_SORT, P_TOTAL, P_SUMMARY, P_ELEMENTS,
    P_INCLUDE, P_REVINCLUDE, P_FORMAT, P_PRETTY, P_TYPE, P_SINCE, P_START, P_END, P_VALUE, P_COMPONENT_VALUE, P_COMBO_VALUE,
    P_COMPONENT_CODE, P_NPARAMS
};
_Static_assert(P_NPARAMS <= 32, "search_parse keeps the parameters seen as bits of an unsigned");

/* Where a parameter applies: any search, a search across types (/fhir,
 * $everything) or $everything alone. */
enum reach { ANY, ACROSS, EVERYTHING };

/* Every parameter served: its name, the types it applies to (NULL: all
 * record types), the modifiers it takes, and whether it may be repeated. */
static const struct {
    const char *name;
    enum param p;
    const char *types;           /* ",Observation,"; a search of one type only */
    const char *modifiers;       /* ",not," */
    int repeat;
    enum reach reach;
} params[] = {
    {"patient", P_PATIENT, NULL, NULL, 0, ANY},
    {"subject", P_PATIENT, NULL, NULL, 0, ANY},
    {"code", P_CODE, ",Observation,AllergyIntolerance,MedicationRequest,MedicationDispense,MedicationStatement,Immunization,",
     ",not,text,", 1, ANY},
    {"category", P_CATEGORY, ",Observation,", ",not,", 1, ANY},
    {"_id", P_ID, NULL, ",not,", 1, ANY},
    {"identifier", P_IDENTIFIER, ",Observation,", ",not,", 1, ANY},
    {"value-quantity", P_VALUE, ",Observation,", NULL, 1, ANY},
    {"component-value-quantity", P_COMPONENT_VALUE, ",Observation,", NULL, 1, ANY},
    {"component-code-value-quantity", P_COMPONENT_VALUE, ",Observation,", NULL, 1, ANY},
    {"combo-code-value-quantity", P_COMBO_VALUE, ",Observation,", NULL, 1, ANY},
    {"component-code", P_COMPONENT_CODE, ",Observation,", NULL, 1, ANY},
    {"date", P_DATE, NULL, NULL, 1, ANY},
    {"_lastUpdated", P_DATE, NULL, NULL, 1, ANY},
    {"_count", P_COUNT, NULL, NULL, 0, ANY},
    {"_page", P_PAGE, NULL, NULL, 0, ANY},
    {"_sort", P_SORT, NULL, NULL, 0, ANY},
    {"_total", P_TOTAL, NULL, NULL, 0, ANY},
    {"_summary", P_SUMMARY, NULL, NULL, 0, ANY},
    {"_elements", P_ELEMENTS, NULL, NULL, 0, ANY},
    {"_include", P_INCLUDE, NULL, NULL, 1, ANY},
    {"_revinclude", P_REVINCLUDE, NULL, NULL, 1, ANY},
    {"_format", P_FORMAT, NULL, NULL, 0, ANY},
    {"_pretty", P_PRETTY, NULL, NULL, 0, ANY},
    {"_type", P_TYPE, NULL, NULL, 0, ACROSS},
    {"_since", P_SINCE, NULL, NULL, 0, EVERYTHING},
    {"start", P_START, NULL, NULL, 0, EVERYTHING},
    {"end", P_END, NULL, NULL, 0, EVERYTHING},
};
#define NPARAMS (sizeof params / sizeof params[0])

static int param_of(const char *key, const struct search_context *cx, size_t *which, const char **modifier)
{
    const char *colon = strchr(key, ':');
    size_t len = colon ? (size_t)(colon - key) : strlen(key);
    *modifier = colon ? colon + 1 : NULL;
    for (size_t i = 0; i < NPARAMS; i++) {
        if (strlen(params[i].name) != len || strncmp(params[i].name, key, len))
            continue;
        if ((params[i].types && (!cx->type || !in_list(params[i].types, cx->type, strlen(cx->type)))) ||
            (params[i].reach == ACROSS && cx->type) || (params[i].reach == EVERYTHING && !cx->everything))
            return -1;
        *which = i;
        return 0;
    }
    return -1;
}

static int modifier_ok(size_t which, const char *modifier)
{
    return !modifier || (!strchr(modifier, ',') && in_list(params[which].modifiers, modifier, strlen(modifier)));
}

static int one_param(struct search_params *out, size_t which, const char *k, const char *modifier, const char *v,
                     const struct search_context *cx, struct fault *fault)
{
    struct record_query *q = &out->q;
    long num;
    switch (params[which].p) {
    case P_PATIENT:
        out->patient = strncmp(v, "Patient/", 8) == 0 ? v + 8 : v;
        if (!*out->patient)
            return fault_set(fault, F_BAD_REQUEST, k, "%s must name a Patient id", k);
        return 0;
    case P_CODE:
        if (modifier && !strcmp(modifier, "text"))
            return text_param(out, k, v, cx, fault);
        return token_param(out, TOKEN_CODE, modifier != NULL, k, v, fault);
    case P_CATEGORY: return token_param(out, TOKEN_CATEGORY, modifier != NULL, k, v, fault);
    case P_ID: return token_param(out, TOKEN_ID, modifier != NULL, k, v, fault);
    case P_IDENTIFIER: return token_param(out, TOKEN_IDENTIFIER, modifier != NULL, k, v, fault);
    case P_DATE: return date_param(k, v, cx, q, fault);
    case P_VALUE: return value_param(out, VALUE_OF_OBSERVATION, k, v, fault);
    case P_COMPONENT_VALUE: return value_param(out, VALUE_OF_COMPONENT, k, v, fault);
    case P_COMBO_VALUE: return value_param(out, VALUE_OF_EITHER, k, v, fault);
    case P_COMPONENT_CODE: return value_param(out, CODE_OF_COMPONENT, k, v, fault);
    case P_SINCE: return date_prefixed(k, "ge", v, cx, q, fault);
    case P_START: return date_prefixed(k, "ge", v, cx, q, fault);
    case P_END: return date_prefixed(k, "le", v, cx, q, fault);
    case P_TYPE:
        if (type_param(v, cx, out))
            return fault_set(fault, F_BAD_REQUEST, k, "_type must list types served here, comma-separated: %s%s",
                             cx->everything ? "Patient, " : "",
                             "Observation, AllergyIntolerance, MedicationRequest, MedicationDispense, "
                             "MedicationStatement, Immunization, DocumentReference");
        return 0;
    case P_COUNT:
        /* More than a page holds is a wish, not an error (R4 3.1.1.5.7): clamped. */
        if (parse_int(v, 0, 1000000000L, &num))
            return fault_set(fault, F_BAD_REQUEST, k, "_count must be a whole number from 0");
        q->count = num > SEARCH_MAX_COUNT ? SEARCH_MAX_COUNT : (int)num;
        return 0;
    case P_PAGE:
        if (!*v)
            return fault_set(fault, F_BAD_REQUEST, k, "give _page as a Bundle's link gave it");
        out->page = v;
        return 0;
    case P_SORT:
        if (parse_sort(v, q))
            return fault_set(fault, F_BAD_REQUEST, k,
                             "_sort must list up to %d of date, _lastUpdated, code, _id, each with - for descending "
                             "(e.g. -date,code)",
                             QUERY_MAX_SORT);
        return 0;
    case P_TOTAL:
        if (strcmp(v, "accurate") && strcmp(v, "none") && strcmp(v, "estimate"))
            return fault_set(fault, F_BAD_REQUEST, k, "_total must be none, estimate or accurate");
        out->total_accurate = !strcmp(v, "accurate");
        return 0;
    case P_SUMMARY: {
        static const char *const names[] = {[SUMMARY_FALSE] = "false", [SUMMARY_COUNT] = "count",
                                            [SUMMARY_TRUE] = "true", [SUMMARY_DATA] = "data",
                                            [SUMMARY_TEXT] = "text"};
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
            if (!strcmp(v, names[i])) {
                out->summary = (enum search_summary)i;
                return 0;
            }
        return fault_set(fault, F_BAD_REQUEST, k, "_summary must be true, false, count, data or text");
    }
    case P_ELEMENTS:
        out->has_elements = 1;
        return elements_parse(v, &out->elements, fault);
    case P_INCLUDE:
        if (include_param(v, cx, out))
            return fault_set(fault, F_BAD_REQUEST, k,
                             "_include serves %s:patient (or :subject), Observation:derived-from and * (medicines "
                             "are coded in the dispense itself: there is no Medication to include)",
                             cx->type ? cx->type : "<type>");
        return 0;
    case P_REVINCLUDE:
        if (strcmp(v, "Provenance:target") && strcmp(v, "*"))
            return fault_set(fault, F_BAD_REQUEST, k, "_revinclude serves Provenance:target (the provisions that "
                                                      "sent the matches to a partner)");
        out->revinclude_provenance = 1;
        return 0;
    case P_FORMAT:
        if (!strstr(v, "json"))
            return fault_set(fault, F_NOT_ACCEPTABLE, k, "only JSON is served");
        return 0;
    case P_PRETTY:
        /* A hint about whitespace: the answer is the same JSON either way. */
        if (strcmp(v, "true") && strcmp(v, "false"))
            return fault_set(fault, F_BAD_REQUEST, k, "_pretty must be true or false");
        return 0;
    case P_NPARAMS:
        break;
    }
    return fault_set(fault, F_INTERNAL, k, "unhandled parameter");
}

int search_parse(const struct search_arg *args, int n, const struct search_context *cx, struct search_params *out,
                 struct fault *fault)
{
    memset(out, 0, sizeof *out);
    out->q.resource_type = cx->type;
    out->everything = cx->everything;
    out->with_patient = cx->everything;
    out->q.count = SEARCH_DEFAULT_COUNT;
    unsigned seen = 0;
    for (int i = 0; i < n; i++) {
        const char *k = args[i].key, *v = args[i].value ? args[i].value : "", *modifier;
        size_t which;
        if (param_of(k, cx, &which, &modifier) != 0) {
            if (cx->strict)
                return fault_set(fault, F_UNSUPPORTED_PARAMETER, k,
                                 "unknown search parameter '%.40s' for %s (the CapabilityStatement lists them)", k,
                                 cx->everything ? "$everything" : cx->type ? cx->type : "a search across types");
            if (out->nignored == SEARCH_MAX_IGNORED)
                return fault_set(fault, F_BAD_REQUEST, k, "more than %d parameters not understood",
                                 SEARCH_MAX_IGNORED);
            out->ignored[out->nignored++] = k;
            continue;
        }
        if (!modifier_ok(which, modifier))
            return fault_set(fault, F_UNSUPPORTED_PARAMETER, k, "the modifier '%.20s' is not served for %s", modifier,
                             params[which].name);
        if (!params[which].repeat && (seen & 1u << params[which].p))
            return fault_set(fault, F_BAD_REQUEST, k, "give %s once", params[which].name);
        seen |= 1u << params[which].p;
        if (one_param(out, which, k, modifier, v, cx, fault))
            return -1;
    }
    if (out->has_elements && out->summary != SUMMARY_FALSE)
        return fault_set(fault, F_BAD_REQUEST, "_elements", "give _elements or _summary, not both");
    if (out->summary == SUMMARY_COUNT)
        out->q.count = 0; /* the total alone, whatever _count said */
    return 0;
}

int search_ignored(const struct search_params *p, const char *key)
{
    for (int i = 0; i < p->nignored; i++)
        if (p->ignored[i] == key || !strcmp(p->ignored[i], key))
            return 1;
    return 0;
}

struct search_params *search_condition_args(const struct search_arg *args, int n, const struct search_context *cx,
                                            const char *expression, struct fault *fault)
{
    struct search_params *p = malloc(sizeof *p);
    if (!p) {
        fault_set(fault, F_INTERNAL, NULL, "out of memory");
        return NULL;
    }
    if (search_parse(args, n, cx, p, fault) != 0) {
        search_params_drop(p);
        return NULL;
    }
    if (!n || p->patient || p->page || p->q.nsort || p->summary || p->has_elements || p->include_patient ||
        p->include_documents || p->revinclude_provenance || p->value_conds.n ||
        p->q.count != SEARCH_DEFAULT_COUNT || p->total_accurate || p->nignored) {
        fault_set(fault, F_BAD_REQUEST, expression,
                  "%s names records of yours by search parameters that filter (e.g. identifier=system|value)",
                  expression);
        search_params_drop(p);
        return NULL;
    }
    return p;
}

struct search_params *search_condition(const char *query, const struct search_context *cx, const char *expression,
                                       struct fault *fault)
{
    struct form f;
    if (form_parse(query, strlen(query), &f, fault) != 0) {
        fault_set(fault, F_BAD_REQUEST, expression, "%s must be search parameters, form-encoded", expression);
        return NULL;
    }
    struct search_arg args[FORM_MAX_FIELDS];
    for (int i = 0; i < f.n; i++)
        args[i] = (struct search_arg){f.f[i].name, f.f[i].value};
    struct search_params *p = search_condition_args(args, f.n, cx, expression, fault);
    form_free(&f);
    return p;
}

void search_params_drop(struct search_params *p)
{
    if (p)
        search_params_free(p);
    free(p);
}

void search_params_free(struct search_params *p)
{
    for (int i = 0; i < VALUE_MAX_CONDS; i++) {
        free(p->value_texts[i]);
        p->value_texts[i] = NULL;
    }
    for (int i = 0; i < QUERY_MAX_TOKENS; i++) {
        free(p->values[i]);
        free(p->texts[i]);
        p->values[i] = NULL;
        p->texts[i] = NULL;
    }
}
