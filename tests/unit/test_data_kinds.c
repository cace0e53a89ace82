/* Kinds of data (R3.4, R3.6): the one mapping from what a record is to
 * what a person consented to, and the purpose lists that name kinds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "formats/data_kinds.h"
#include "formats/tokutei_items.h"
#include "formats/vital_codes.h"

#define ITEMS "urn:oid:" TOKUTEI_ITEM_OID

/* Every vital sign the service accepts has a kind, and it is a vital sign:
 * a new one added without its kind would be provided under no purpose. */
static void every_vital_has_a_kind(void **state)
{
    (void)state;
    int n = 0;
    const struct vital_rule *v = vital_codes_rules(&n);
    assert_true(n > 0);
    for (int i = 0; i < n; i++) {
        enum data_kind k = data_kind_of("Observation", "vital-signs", LOINC, v[i].k.code);
        if (k == DK_OTHER || !(DATA_KINDS_VITALS & DATA_KIND_BIT(k)))
            fail_msg("vital sign %s (%s) has no vital-sign kind", v[i].k.code, v[i].k.display);
    }
}

/* What a record is decides its kind, not its resource type alone. */
static void records_are_told_apart(void **state)
{
    (void)state;
    assert_int_equal(data_kind_of("Observation", "vital-signs", LOINC, "85354-9"), DK_BLOOD_PRESSURE);
    assert_int_equal(data_kind_of("Observation", "laboratory", ITEMS, "9N001000000000001"), DK_CHECKUP);
    /* A checkup result is not a vital sign because its code looks like one. */
    assert_int_equal(data_kind_of("Observation", "laboratory", LOINC, "85354-9"), DK_OTHER);
    assert_int_equal(data_kind_of("Observation", "vital-signs", ITEMS, "9N001000000000001"), DK_CHECKUP);
    assert_int_equal(data_kind_of("Observation", "vital-signs", LOINC, "00000-0"), DK_OTHER);
    assert_int_equal(data_kind_of("Observation", NULL, NULL, NULL), DK_OTHER);
    assert_int_equal(data_kind_of("MedicationDispense", "medication", "urn:phr:drug-name", "x"), DK_MEDICATION);
    assert_int_equal(data_kind_of("MedicationStatement", "medication", NULL, NULL), DK_MEDICATION);
    assert_int_equal(data_kind_of("MedicationRequest", "medication", NULL, NULL), DK_MEDICATION); /* a prescription */
    assert_int_equal(data_kind_of("Immunization", "immunization", NULL, NULL), DK_IMMUNIZATION);
    assert_int_equal(data_kind_of("DocumentReference", "laboratory", "urn:phr:format", "tokutei-cda"), DK_DOCUMENTS);
    assert_int_equal(data_kind_of("Patient", NULL, NULL, NULL), DK_OTHER);
    assert_int_equal(data_kind_of(NULL, NULL, NULL, NULL), DK_OTHER);
    for (int k = 0; k < DK_COUNT; k++)
        assert_int_equal(data_kind_by_name(data_kind_name((enum data_kind)k)), k);
    assert_int_equal(data_kind_by_name("Observation"), DK_OTHER);
    assert_int_equal(data_kind_by_name(NULL), DK_OTHER);
    assert_true(data_kinds_of_type("Observation") == (DATA_KINDS_VITALS | DATA_KIND_BIT(DK_CHECKUP)));
    assert_true(data_kinds_of_type("MedicationStatement") == DATA_KIND_BIT(DK_MEDICATION));
    assert_true(data_kinds_of_type("MedicationRequest") == DATA_KIND_BIT(DK_MEDICATION));
    assert_true(data_kinds_of_type("Patient") == 0);
}

static void purpose_lists(void **state)
{
    (void)state;
    data_kinds k;
    char bad[16];
    assert_int_equal(data_kinds_parse("vital-signs", &k, bad, sizeof bad), 0);
    assert_true(k == DATA_KINDS_VITALS);
    assert_int_equal(data_kinds_parse("blood-pressure,checkup", &k, bad, sizeof bad), 0);
    assert_true(k == (DATA_KIND_BIT(DK_BLOOD_PRESSURE) | DATA_KIND_BIT(DK_CHECKUP)));
    assert_int_equal(data_kinds_parse("Observation", &k, bad, sizeof bad), -1);
    assert_string_equal(bad, "Observation");
    assert_true(k == 0);
    assert_int_equal(data_kinds_parse("steps,other", &k, bad, sizeof bad), -1);
    assert_string_equal(bad, "other"); /* "other" is what a purpose can never name */
    assert_int_equal(data_kinds_parse("steps,", &k, bad, sizeof bad), -1);
    assert_int_equal(data_kinds_parse("", &k, bad, sizeof bad), -1);
    assert_int_equal(data_kinds_parse(NULL, &k, NULL, 0), -1);
    assert_int_equal(data_kinds_parse("a-very-long-name-that-is-no-kind-at-all", &k, bad, sizeof bad), -1);
    assert_int_equal(strlen(bad), sizeof bad - 1);
    /* Files as they came hold every kind: only with all of them. */
    assert_int_equal(data_kinds_parse("documents", &k, NULL, 0), -2);
    assert_int_equal(data_kinds_parse("documents,vital-signs,checkup,medication", &k, NULL, 0), -2);
    assert_int_equal(data_kinds_parse("documents,vital-signs,checkup,medication,immunization", &k, NULL, 0), 0);
    assert_true(k & DATA_KIND_BIT(DK_DOCUMENTS));
}

static void filters_and_names(void **state)
{
    (void)state;
    char f[DATA_KINDS_FILTER_MAX];
    data_kinds_filter(0, f);
    assert_string_equal(f, ",");
    data_kinds_filter(DATA_KIND_BIT(DK_STEPS) | DATA_KIND_BIT(DK_CHECKUP) | DATA_KIND_BIT(DK_OTHER), f);
    assert_string_equal(f, ",steps,checkup,");
    data_kinds all = 0;
    for (int k = 1; k < DK_COUNT; k++)
        all |= DATA_KIND_BIT(k);
    data_kinds_filter(all, f);
    for (int k = 1; k < DK_COUNT; k++) {
        char want[72];
        snprintf(want, sizeof want, ",%s,", data_kind_name((enum data_kind)k));
        assert_non_null(strstr(f, want)); /* the whole set fits the filter */
    }
    char names[DATA_KINDS_NAMES_MAX];
    data_kinds_names(names, sizeof names);
    assert_non_null(strstr(names, "vital-signs, blood-pressure"));
    assert_non_null(strstr(names, "documents"));
    assert_null(strstr(names, "other"));
    for (int k = 0; k < DK_COUNT; k++) {
        assert_true(strlen(data_kind_label((enum data_kind)k, "ja")) > 0);
        assert_true(strlen(data_kind_label((enum data_kind)k, "en")) > 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_vital_has_a_kind),
        cmocka_unit_test(records_are_told_apart),
        cmocka_unit_test(purpose_lists),
        cmocka_unit_test(filters_and_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
