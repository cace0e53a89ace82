/* formats/search: FHIR search parameters (R1.2 search of vitals). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "formats/search.h"

#define ARGS(...) ((struct search_arg[]){__VA_ARGS__})
#define N(a) (int)(sizeof(a) / sizeof((a)[0]))

static void defaults(void **state)
{
    (void)state;
    struct search_params p;
    struct fault fault;
    assert_int_equal(search_parse(NULL, 0, 540, &p, &fault), 0);
    assert_int_equal(p.q.count, SEARCH_DEFAULT_COUNT);
    assert_int_equal(p.q.nsort, 0); /* the store's default: by date, newest first */
    assert_null(p.patient);
    assert_null(p.page);
    assert_null(p.q.code);
}

static void all_parameters(void **state)
{
    (void)state;
    struct search_arg a[] = {{"patient", "Patient/abc"}, {"code", "http://loinc.org|85354-9"},
                             {"date", "ge2024-01-01"}, {"date", "lt2024-02-01T00:00:00Z"},
                             {"category", "vital-signs"}, {"_count", "10"}, {"_sort", "date,-_lastUpdated,_id"}, {"_page", "AbC"},
                             {"_id", "r1"}};
    struct search_params p;
    struct fault fault;
    assert_int_equal(search_parse(a, N(a), 540, &p, &fault), 0);
    assert_string_equal(p.patient, "abc");
    assert_string_equal(p.q.code, "85354-9");
    assert_string_equal(p.q.code_system, "http://loinc.org");
    assert_string_equal(p.q.category, "vital-signs");
    assert_int_equal(p.q.ndates, 2);
    assert_int_equal(p.q.dates[0].op, DATE_GE);
    assert_int_equal(p.q.dates[1].op, DATE_LT);
    assert_int_equal(p.q.count, 10);
    assert_string_equal(p.page, "AbC");
    assert_string_equal(p.q.id, "r1");
    assert_int_equal(p.q.nsort, 3);
    assert_int_equal(p.q.sort[0].key, SORT_DATE);
    assert_int_equal(p.q.sort[0].desc, 0);
    assert_int_equal(p.q.sort[1].key, SORT_LAST_UPDATED);
    assert_int_equal(p.q.sort[1].desc, 1);
    assert_int_equal(p.q.sort[2].key, SORT_ID);
    /* Past the limit: clamped. _summary=count: none, whatever _count says. */
    struct search_arg many[] = {{"_count", "9999"}}, summary[] = {{"_count", "7"}, {"_summary", "count"}};
    assert_int_equal(search_parse(many, N(many), 540, &p, &fault), 0);
    assert_int_equal(p.q.count, SEARCH_MAX_COUNT);
    assert_int_equal(search_parse(summary, N(summary), 540, &p, &fault), 0);
    assert_int_equal(p.q.count, 0);
}

static void code_without_system(void **state)
{
    (void)state;
    struct search_arg a[] = {{"code", "29463-7"}};
    struct search_params p;
    struct fault fault;
    assert_int_equal(search_parse(a, 1, 540, &p, &fault), 0);
    assert_string_equal(p.q.code, "29463-7");
    assert_null(p.q.code_system);
}

static void refusals(void **state)
{
    (void)state;
    struct search_params p;
    struct fault fault;
    const struct search_arg bad[][1] = {
        {{"_count", "-1"}}, {{"_count", "ten"}}, {{"date", "xx2024"}},
        {{"date", "2024-13-01"}}, {{"_sort", "value"}}, {{"name", "x"}}, {{"code", "a,b"}},
        {{"code", "http://loinc.org|"}}, {{"patient", ""}}, {{"category", "http://other|vital-signs"}},
        {{"_offset", "20"}}, {{"_sort", "date,date"}}, {{"_sort", "date,"}}, {{"_sort", "-"}},
        {{"_sort", "date,code,_id,_lastUpdated"}}, {{"_page", ""}}, {{"_id", "a,b"}},
    };
    for (int i = 0; i < N(bad); i++) {
        memset(&fault, 0, sizeof fault);
        assert_int_equal(search_parse(bad[i], 1, 540, &p, &fault), -1);
        assert_int_equal(fault_def(fault.code)->kind, FAULT_MALFORMED);
        assert_true(fault.detail[0] != '\0');
    }
    struct search_arg many[] = {{"date", "ge2020"}, {"date", "ge2020"}, {"date", "ge2020"}, {"date", "ge2020"}, {"date", "ge2020"}};
    assert_int_equal(search_parse(many, N(many), 540, &p, &fault), -1);
    struct search_arg twice[] = {{"code", "1"}, {"code", "2"}};
    assert_int_equal(search_parse(twice, 2, 540, &p, &fault), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults),
        cmocka_unit_test(all_parameters),
        cmocka_unit_test(code_without_system),
        cmocka_unit_test(refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
