#include "formats/search.h"

#include <stdlib.h>
#include <string.h>

#include "formats/fhirtime.h"
#include "formats/vitals.h"

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

static int copy_bounded(char *dst, size_t cap, const char *src, size_t n)
{
    if (n >= cap)
        return -1;
    memcpy(dst, src, n);
    dst[n] = '\0';
    return 0;
}

/* token: [system|]code */
static int parse_token(const char *v, char *sys, size_t syscap, char *code, size_t codecap,
                       const char **sys_out)
{
    if (strchr(v, ','))
        return -1;
    const char *bar = strchr(v, '|');
    *sys_out = NULL;
    if (bar) {
        if (bar != v) {
            if (copy_bounded(sys, syscap, v, (size_t)(bar - v)))
                return -1;
            *sys_out = sys;
        }
        v = bar + 1;
    }
    if (!*v)
        return -1;
    return copy_bounded(code, codecap, v, strlen(v));
}

static int parse_date(const char *v, int tz, struct record_query *q, struct fault *fault)
{
    static const struct { const char *p; enum date_op op; } prefixes[] = {
        {"eq", DATE_EQ}, {"ne", DATE_NE}, {"ge", DATE_GE}, {"le", DATE_LE}, {"gt", DATE_GT}, {"lt", DATE_LT},
    };
    enum date_op op = DATE_EQ;
    if (v[0] >= 'a' && v[0] <= 'z') {
        size_t i;
        for (i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
            if (strncmp(v, prefixes[i].p, 2) == 0)
                break;
        if (i == sizeof prefixes / sizeof prefixes[0])
            return fault_set(fault, F_BAD_REQUEST, "date",
                             "date prefix must be one of eq, ne, ge, le, gt, lt (sa, eb, ap are not supported)");
        op = prefixes[i].op;
        v += 2;
    }
    if (q->ndates == QUERY_MAX_DATES)
        return fault_set(fault, F_BAD_REQUEST, "date", "at most %d date parameters", QUERY_MAX_DATES);
    int64_t lo, hi;
    if (fhirtime_parse(v, FHIRTIME_SEARCH, tz, &lo, &hi) != 0)
        return fault_set(fault, F_BAD_REQUEST, "date", "date '%.40s' is not a FHIR date or dateTime", v);
    q->dates[q->ndates].op = op;
    q->dates[q->ndates].lo = lo;
    q->dates[q->ndates].hi = hi;
    q->ndates++;
    return 0;
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

int search_parse(const struct search_arg *args, int n, int tz, struct search_params *out, struct fault *fault)
{
    memset(out, 0, sizeof *out);
    struct record_query *q = &out->q;
    q->resource_type = "Observation";
    q->count = SEARCH_DEFAULT_COUNT;
    int seen_code = 0, seen_cat = 0, seen_patient = 0, summary_count = 0;

    for (int i = 0; i < n; i++) {
        const char *k = args[i].key, *v = args[i].value ? args[i].value : "";
        long num;
        if (strcmp(k, "patient") == 0 || strcmp(k, "subject") == 0) {
            if (seen_patient++)
                return fault_set(fault, F_BAD_REQUEST, k, "give the patient once");
            out->patient = strncmp(v, "Patient/", 8) == 0 ? v + 8 : v;
            if (!*out->patient)
                return fault_set(fault, F_BAD_REQUEST, k, "patient must name a Patient id");
        } else if (strcmp(k, "code") == 0) {
            const char *sys;
            if (seen_code++ || parse_token(v, out->system, sizeof out->system, out->code, sizeof out->code, &sys))
                return fault_set(fault, F_BAD_REQUEST, "code",
                                 "code must be one token, [system|]code (e.g. http://loinc.org|85354-9)");
            q->code = out->code;
            q->code_system = sys;
        } else if (strcmp(k, "category") == 0) {
            const char *sys;
            char ignored[256];
            if (seen_cat++ || parse_token(v, ignored, sizeof ignored, out->category, sizeof out->category, &sys) ||
                (sys && strcmp(sys, OBS_CATEGORY) != 0))
                return fault_set(fault, F_BAD_REQUEST, "category",
                                 "category must be one observation-category code (e.g. vital-signs)");
            q->category = out->category;
        } else if (strcmp(k, "date") == 0) {
            if (parse_date(v, tz, q, fault))
                return -1;
        } else if (strcmp(k, "_count") == 0) {
            /* More than a page holds is a wish, not an error (R4 §3.1.1.5.7): clamped. */
            if (parse_int(v, 0, 1000000000L, &num))
                return fault_set(fault, F_BAD_REQUEST, "_count", "_count must be a whole number from 0");
            q->count = num > SEARCH_MAX_COUNT ? SEARCH_MAX_COUNT : (int)num;
        } else if (strcmp(k, "_page") == 0) {
            if (out->page || !*v)
                return fault_set(fault, F_BAD_REQUEST, "_page", "give one _page, as a Bundle's link gave it");
            out->page = v;
        } else if (strcmp(k, "_id") == 0) {
            if (q->id || copy_bounded(out->id, sizeof out->id, v, strlen(v)) || !*v || strchr(v, ','))
                return fault_set(fault, F_BAD_REQUEST, "_id", "_id must name one id");
            q->id = out->id;
        } else if (strcmp(k, "_sort") == 0) {
            if (q->nsort || parse_sort(v, q))
                return fault_set(fault, F_BAD_REQUEST, "_sort",
                                 "_sort must list up to %d of date, _lastUpdated, code, _id, each with - for "
                                 "descending (e.g. -date,code)",
                                 QUERY_MAX_SORT);
        } else if (strcmp(k, "_total") == 0) {
            if (strcmp(v, "accurate") == 0)
                out->total_accurate = 1;
            else if (strcmp(v, "none") != 0 && strcmp(v, "estimate") != 0)
                return fault_set(fault, F_BAD_REQUEST, "_total", "_total must be none, estimate or accurate");
        } else if (strcmp(k, "_format") == 0) {
            if (!strstr(v, "json"))
                return fault_set(fault, F_NOT_ACCEPTABLE, "_format", "only JSON is served");
        } else if (strcmp(k, "_summary") == 0) {
            /* count: the total alone; the other summaries are not served. */
            if (strcmp(v, "count") != 0 && strcmp(v, "false") != 0)
                return fault_set(fault, F_UNSUPPORTED_PARAMETER, "_summary", "_summary must be count or false");
            if (!strcmp(v, "count")) {
                q->count = 0;
                summary_count = 1;
            }
        } else if (strcmp(k, "_pretty") == 0) {
            /* A hint about whitespace: the answer is the same JSON either way. */
            if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0)
                return fault_set(fault, F_BAD_REQUEST, "_pretty", "_pretty must be true or false");
        } else {
            return fault_set(fault, F_UNSUPPORTED_PARAMETER, k,
                             "unknown search parameter '%.40s' (supported: patient, code, date, category, _id, "
                             "_count, _sort, _total, _summary=count, _format, _pretty, and _page in the Bundle's "
                             "links)",
                             k);
        }
    }
    if (summary_count)
        q->count = 0; /* whatever _count said */
    return 0;
}
