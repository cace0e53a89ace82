/* formats/search: FHIR search parameters (R1.2 search of records; issue 20
 * item 2: the parameters client libraries send). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "formats/code_text.h"
#include "formats/search.h"

#define N(a) (int)(sizeof(a) / sizeof((a)[0]))

static const struct search_context OBS = {"Observation", 540, 1796601600000LL /* 2026-12-07 */, 0, 0};
static const struct search_context STRICT = {"Observation", 540, 1796601600000LL, 1, 0};

static void defaults(void **state)
{
    (void)state;
    struct search_params p;
    struct fault fault;
    assert_int_equal(search_parse(NULL, 0, &OBS, &p, &fault), 0);
    assert_int_equal(p.q.count, SEARCH_DEFAULT_COUNT);
    assert_int_equal(p.q.nsort, 0); /* the store's default: by date, newest first */
    assert_null(p.patient);
    assert_null(p.page);
    assert_int_equal(p.q.ntokens, 0);
    search_params_free(&p);
}

static void all_parameters(void **state)
{
    (void)state;
    struct search_arg a[] = {{"patient", "Patient/abc"}, {"code", "http://loinc.org|85354-9"},
                             {"date", "ge2024-01-01"}, {"date", "lt2024-02-01T00:00:00Z"},
                             {"category", "vital-signs"}, {"_count", "10"}, {"_sort", "date,-_lastUpdated,_id"},
                             {"_page", "AbC"}, {"_id", "r1"}, {"_lastUpdated", "sa2024-01-01T08:00"},
                             {"_include", "Observation:patient"}, {"_summary", "true"}};
    struct search_params p;
    struct fault fault;
    assert_int_equal(search_parse(a, N(a), &OBS, &p, &fault), 0);
    assert_string_equal(p.patient, "abc");
    assert_int_equal(p.q.ntokens, 3);
    assert_int_equal(p.q.tokens[0].on, TOKEN_CODE);
    assert_string_equal(p.q.tokens[0].v[0].code, "85354-9");
    assert_string_equal(p.q.tokens[0].v[0].system, "http://loinc.org");
    assert_int_equal(p.q.tokens[1].on, TOKEN_CATEGORY);
    assert_string_equal(p.q.tokens[1].v[0].code, "vital-signs");
    assert_int_equal(p.q.tokens[2].on, TOKEN_ID);
    assert_int_equal(p.q.ndates, 3);
    assert_int_equal(p.q.dates[0].op, DATE_GE);
    assert_int_equal(p.q.dates[1].op, DATE_LT);
    assert_int_equal(p.q.dates[2].op, DATE_SA);
    assert_true(p.q.dates[2].when);
    assert_int_equal(p.q.count, 10);
    assert_string_equal(p.page, "AbC");
    assert_int_equal(p.q.nsort, 3);
    assert_int_equal(p.q.sort[0].key, SORT_DATE);
    assert_int_equal(p.q.sort[0].desc, 0);
    assert_int_equal(p.q.sort[1].key, SORT_LAST_UPDATED);
    assert_int_equal(p.q.sort[1].desc, 1);
    assert_int_equal(p.q.sort[2].key, SORT_ID);
    assert_true(p.include_patient);
    assert_int_equal(p.summary, SUMMARY_TRUE);
    search_params_free(&p);
    /* Past the limit: clamped. _summary=count: none, whatever _count says. */
    struct search_arg many[] = {{"_count", "9999"}}, summary[] = {{"_count", "7"}, {"_summary", "count"}};
    assert_int_equal(search_parse(many, N(many), &OBS, &p, &fault), 0);
    assert_int_equal(p.q.count, SEARCH_MAX_COUNT);
    search_params_free(&p);
    assert_int_equal(search_parse(summary, N(summary), &OBS, &p, &fault), 0);
    assert_int_equal(p.q.count, 0);
    search_params_free(&p);
}

/* Comma: any of; repeated: all of; :not; "|code" without a system;
 * "system|" any code of it; escaped commas and bars stand for themselves. */
static void tokens(void **state)
{
    (void)state;
    struct search_arg a[] = {{"code", "29463-7,http://loinc.org|85354-9,|x\\,y"}, {"code:not", "http://loinc.org|"},
                             {"code", "a\\|b"}};
    struct search_params p;
    struct fault fault;
    assert_int_equal(search_parse(a, N(a), &OBS, &p, &fault), 0);
    assert_int_equal(p.q.ntokens, 3);
    const struct token_cond *t = &p.q.tokens[0];
    assert_int_equal(t->n, 3);
    assert_false(t->not);
    assert_string_equal(t->v[0].code, "29463-7");
    assert_null(t->v[0].system);
    assert_false(t->v[0].no_system);
    assert_string_equal(t->v[1].system, "http://loinc.org");
    assert_string_equal(t->v[2].code, "x,y");
    assert_true(t->v[2].no_system);
    t = &p.q.tokens[1];
    assert_true(t->not);
    assert_string_equal(t->v[0].system, "http://loinc.org");
    assert_null(t->v[0].code);
    assert_string_equal(p.q.tokens[2].v[0].code, "a|b");
    search_params_free(&p);
}

/* Lenient (the default): an unknown parameter is left out and named;
 * strict: refused. A modifier or a value not understood: always refused. */
static void handling(void **state)
{
    (void)state;
    struct search_arg a[] = {{"foo", "1"}, {"code", "85354-9"}, {"value-string", "x"}};
    struct search_params p;
    struct fault fault;
    assert_int_equal(search_parse(a, N(a), &OBS, &p, &fault), 0);
    assert_int_equal(p.nignored, 2);
    assert_true(search_ignored(&p, "foo"));
    assert_true(search_ignored(&p, "value-string"));
    assert_false(search_ignored(&p, "code"));
    search_params_free(&p);
    memset(&fault, 0, sizeof fault);
    assert_int_equal(search_parse(a, N(a), &STRICT, &p, &fault), -1);
    assert_string_equal(fault.expression, "foo");
    search_params_free(&p);
    /* category is Observation's only. */
    struct search_arg cat[] = {{"category", "vital-signs"}};
    struct search_context med = {"MedicationDispense", 540, 0, 1, 0};
    assert_int_equal(search_parse(cat, 1, &med, &p, &fault), -1);
    search_params_free(&p);
}

/* Across types (GET /fhir) and $everything: _type narrows to served
 * types, Patient only for $everything; _since, start and end are
 * $everything's; a parameter of one type is not one across types. */
static void across_types(void **state)
{
    (void)state;
    struct search_params p;
    struct fault fault;
    const struct search_context all = {NULL, 540, 0, 1, 0}, every = {NULL, 540, 0, 1, 1};
    struct search_arg two[] = {{"_type", "Observation,MedicationDispense,Observation"}};
    assert_int_equal(search_parse(two, 1, &all, &p, &fault), 0);
    assert_null(p.q.resource_type);
    assert_string_equal(p.q.types, ",Observation,MedicationDispense,");
    assert_int_equal(p.with_patient, 0);
    search_params_free(&p);
    struct search_arg patient[] = {{"_type", "Patient"}};
    assert_int_equal(search_parse(patient, 1, &all, &p, &fault), -1);
    assert_string_equal(fault.expression, "_type");
    search_params_free(&p);
    assert_int_equal(search_parse(patient, 1, &every, &p, &fault), 0);
    assert_int_equal(p.with_patient, 1);
    assert_string_equal(p.q.types, ",Patient,"); /* no record is one */
    search_params_free(&p);
    assert_int_equal(search_parse(two, 0, &every, &p, &fault), 0);
    assert_int_equal(p.with_patient, 1);
    assert_null(p.q.types);
    search_params_free(&p);
    const struct search_arg bad[][1] = {{{"_type", "Condition"}}, {{"_type", "Observation,"}}, {{"_since", "2026"}},
                                        {{"code", "85354-9"}}, {{"category", "vital-signs"}}};
    for (int i = 0; i < N(bad); i++) {
        memset(&fault, 0, sizeof fault);
        assert_int_equal(search_parse(bad[i], 1, &all, &p, &fault), -1);
        assert_string_equal(fault.expression, bad[i][0].key);
        search_params_free(&p);
    }
    struct search_arg since[] = {{"_since", "2026-12-01T00:00:00Z"}, {"start", "2026-10-01"}, {"end", "2026-10-31"}};
    assert_int_equal(search_parse(since, N(since), &every, &p, &fault), 0);
    assert_int_equal(p.q.ndates, 3);
    assert_int_equal(p.q.dates[0].op, DATE_GE);
    assert_int_equal(p.q.dates[0].when, 1);
    assert_int_equal(p.q.dates[1].when, 0);
    assert_int_equal(p.q.dates[2].op, DATE_LE);
    search_params_free(&p);
    struct search_arg prefixed[] = {{"_since", "gt2026-12-01"}};
    assert_int_equal(search_parse(prefixed, 1, &every, &p, &fault), -1);
    search_params_free(&p);
}

/* code:text: the vital kind's LOINC codes and the checkup items named so. */
static void code_text(void **state)
{
    (void)state;
    struct token_value v[CODE_TEXT_MAX];
    int n = 0;
    assert_int_equal(code_text_find("身長", v, CODE_TEXT_MAX, &n), 0);
    int loinc = 0, item = 0;
    for (int i = 0; i < n; i++) {
        loinc += !strcmp(v[i].system, "http://loinc.org") && !strcmp(v[i].code, "8302-2");
        item += !strcmp(v[i].code, "9N001000000000001");
    }
    assert_int_equal(loinc, 1);
    assert_int_equal(item, 1);
    int before = n;
    assert_int_equal(code_text_find("身長", v, CODE_TEXT_MAX, &n), 0);
    assert_int_equal(n, before); /* no repeats */
    n = 0;
    assert_int_equal(code_text_find("Body WEIGHT", v, CODE_TEXT_MAX, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(v[0].code, "29463-7");
    n = 0;
    assert_int_equal(code_text_find("血圧", v, 1, &n), -1); /* more than the room given */
}

/* Values: FHIR's precision for eq, the prefixes, units, components. */
static void values(void **state)
{
    (void)state;
    static const char bp[] = "{\"resourceType\":\"Observation\",\"code\":{\"coding\":[{\"system\":\"http://loinc.org\","
                             "\"code\":\"85354-9\"}]},\"component\":[{\"code\":{\"coding\":[{\"system\":"
                             "\"http://loinc.org\",\"code\":\"8480-6\"}]},\"valueQuantity\":{\"value\":141,\"code\":"
                             "\"mm[Hg]\",\"system\":\"http://unitsofmeasure.org\"}}]}";
    static const char kg[] = "{\"resourceType\":\"Observation\",\"valueQuantity\":{\"value\":61.25,\"unit\":\"kg\"}}";
    const struct {
        enum value_on on;
        const char *text, *json;
        int met;
    } cases[] = {
        {VALUE_OF_OBSERVATION, "61.3", kg, 1},  {VALUE_OF_OBSERVATION, "61.2", kg, 0},
        {VALUE_OF_OBSERVATION, "61", kg, 1},    {VALUE_OF_OBSERVATION, "gt61.25", kg, 0},
        {VALUE_OF_OBSERVATION, "ge61.25||kg", kg, 1}, {VALUE_OF_OBSERVATION, "ge61.25||g", kg, 0},
        {VALUE_OF_OBSERVATION, "ap60", kg, 1},  {VALUE_OF_OBSERVATION, "ne61", kg, 0},
        {VALUE_OF_OBSERVATION, "eb62,sa70", kg, 1}, {VALUE_OF_OBSERVATION, "gt100", bp, 0},
        {VALUE_OF_COMPONENT, "gt140", bp, 1},   {VALUE_OF_COMPONENT, "http://loinc.org|8480-6$gt140", bp, 1},
        {VALUE_OF_COMPONENT, "8462-4$gt140", bp, 0}, {VALUE_OF_EITHER, "|8480-6$gt140", bp, 0},
        {VALUE_OF_EITHER, "85354-9$gt140", bp, 0}, {CODE_OF_COMPONENT, "8480-6", bp, 1},
        {CODE_OF_COMPONENT, "http://snomed.info/sct|8480-6", bp, 0}, {VALUE_OF_OBSERVATION, "61", "[]", 0},
    };
    for (int i = 0; i < N(cases); i++) {
        char text[64];
        snprintf(text, sizeof text, "%s", cases[i].text);
        struct value_conds c = {.n = 1};
        assert_int_equal(value_cond_parse(cases[i].on, text, &c.c[0]), 0);
        if (value_conds_match(&c, cases[i].json, strlen(cases[i].json)) != cases[i].met)
            fail_msg("%s on case %d", cases[i].text, i);
    }
    const char *bad[] = {"", "x", "5|kg", "5|a|b|c", "zz5", "1e400", "5$6"};
    for (int i = 0; i < N(bad); i++) {
        char text[32];
        struct value_cond c;
        snprintf(text, sizeof text, "%s", bad[i]);
        assert_int_equal(value_cond_parse(VALUE_OF_OBSERVATION, text, &c), -1);
    }
}

static void refusals(void **state)
{
    (void)state;
    struct search_params p;
    struct fault fault;
    const struct search_arg bad[][1] = {
        {{"_count", "-1"}}, {{"_count", "ten"}}, {{"date", "xx2024"}}, {{"date", "2024-13-01"}},
        {{"_sort", "value"}}, {{"code", ","}}, {{"code", "|"}}, {{"patient", ""}},
        {{"category", "http://other|vital-signs"}}, {{"_sort", "date,date"}}, {{"_sort", "date,"}},
        {{"_sort", "-"}}, {{"_sort", "date,code,_id,_lastUpdated"}}, {{"_page", ""}}, {{"_id", "a|b"}},
        {{"code:text", ""}}, {{"code:exact", "x"}}, {{"code:", "x"}}, {{"code:,not", "x"}}, {{"code:no", "x"}}, {{"_include", "Observation:performer"}},
        {{"_summary", "maybe"}}, {{"_elements", "no such"}},
    };
    for (int i = 0; i < N(bad); i++) {
        memset(&fault, 0, sizeof fault);
        assert_int_equal(search_parse(bad[i], 1, &OBS, &p, &fault), -1);
        assert_int_equal(fault_def(fault.code)->kind, FAULT_MALFORMED);
        assert_true(fault.detail[0] != '\0');
        assert_string_equal(fault.expression, bad[i][0].key);
        search_params_free(&p);
    }
    struct search_arg many[] = {{"date", "ge2020"}, {"date", "ge2020"}, {"date", "ge2020"}, {"date", "ge2020"}, {"date", "ge2020"}};
    assert_int_equal(search_parse(many, N(many), &OBS, &p, &fault), -1);
    search_params_free(&p);
    struct search_arg twice[] = {{"_count", "1"}, {"_count", "2"}};
    assert_int_equal(search_parse(twice, 2, &OBS, &p, &fault), -1);
    search_params_free(&p);
    struct search_arg both[] = {{"_summary", "true"}, {"_elements", "code"}};
    assert_int_equal(search_parse(both, 2, &OBS, &p, &fault), -1);
    search_params_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults),
        cmocka_unit_test(all_parameters),
        cmocka_unit_test(tokens),
        cmocka_unit_test(handling),
        cmocka_unit_test(refusals),
        cmocka_unit_test(across_types),
        cmocka_unit_test(code_text),
        cmocka_unit_test(values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
