/* formats/vitals: validation of submitted vital-sign Observations (R1.1,
 * R1.2, R2.9): every refusal names what is wrong. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "formats/vitals.h"

#define NOW 1800000000000LL /* 2027-01-15 */

#define BP(sys, dia)                                                                                            \
    "{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"coding\":[{\"system\":\"http://loinc.org\"," \
    "\"code\":\"85354-9\"}]},\"effectiveDateTime\":\"2026-11-01T07:00:00+09:00\",\"component\":["               \
    "{\"code\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"8480-6\"}]},\"valueQuantity\":{\"value\":" \
    #sys ",\"system\":\"http://unitsofmeasure.org\",\"code\":\"mm[Hg]\"}},"                                         \
    "{\"code\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"8462-4\"}]},\"valueQuantity\":{\"value\":" \
    #dia ",\"system\":\"http://unitsofmeasure.org\",\"code\":\"mm[Hg]\"}}]}"

#define QTY(code, value, unit, extra)                                                                           \
    "{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"coding\":[{\"system\":\"http://loinc.org\"," \
    "\"code\":\"" code "\"}]},\"effectiveDateTime\":\"2026-11-01T07:00:00+09:00\",\"valueQuantity\":{\"value\":"  \
    value ",\"system\":\"http://unitsofmeasure.org\",\"code\":\"" unit "\"}" extra "}"

static int parse(const char *s, struct vital *v, struct issue *is)
{
    memset(is, 0, sizeof *is);
    return vitals_parse(s, strlen(s), NOW, 540, v, is);
}

static void accepts_blood_pressure(void **state)
{
    (void)state;
    struct vital v;
    struct issue is;
    assert_int_equal(parse(BP(128, 82), &v, &is), 0);
    assert_string_equal(v.kind->code, "85354-9");
    assert_string_equal(v.source, "self-measured");
    vital_free(&v);
}

static void refuses_impossible_pressures(void **state)
{
    (void)state;
    struct vital v;
    struct issue is;
    assert_int_equal(parse(BP(0, 80), &v, &is), -1);
    assert_int_equal(is.status, 422);
    assert_non_null(strstr(is.diagnostics, "systolic"));
    assert_int_equal(parse(BP(900, 80), &v, &is), -1);
    assert_int_equal(is.status, 422);
    assert_int_equal(parse(BP(80, 120), &v, &is), -1);
    assert_non_null(strstr(is.diagnostics, "higher than diastolic"));
}

static void accepts_other_kinds_and_units(void **state)
{
    (void)state;
    struct vital v;
    struct issue is;
    const char *ok[] = {
        QTY("29463-7", "68.40", "kg", ""), QTY("29463-7", "150.8", "[lb_av]", ""),
        QTY("8302-2", "1.72", "m", ""), QTY("39156-5", "22.1", "kg/m2", ""),
        QTY("8310-5", "98.6", "[degF]", ""), QTY("59408-5", "97", "%", ""),
        QTY("8867-4", "64", "/min", ""), QTY("41653-7", "104", "mg/dL", ""),
        QTY("15074-8", "5.6", "mmol/L", ""), QTY("55423-8", "8012", "{steps}", ""),
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        if (parse(ok[i], &v, &is) != 0)
            fail_msg("%s: %s", ok[i], is.diagnostics);
        vital_free(&v);
    }
}

static void keeps_decimal_precision(void **state)
{
    (void)state;
    struct vital v;
    struct issue is;
    struct buf out;
    buf_init(&out);
    assert_int_equal(parse(QTY("29463-7", "68.40", "kg", ""), &v, &is), 0);
    struct provenance prov = {"person:p", "fhir-api", "00", NOW};
    assert_int_equal(vitals_finalise(&v, "id-1", 1, "p", &prov, &out), 0);
    assert_non_null(strstr(buf_cstr(&out), "\"value\":68.40"));
    assert_non_null(strstr(buf_cstr(&out), "\"reference\":\"Patient/p\""));
    assert_non_null(strstr(buf_cstr(&out), "\"code\":\"vital-signs\""));
    assert_non_null(strstr(buf_cstr(&out), "urn:phr:data-category"));
    assert_non_null(strstr(buf_cstr(&out), "\"versionId\":\"1\""));
    buf_free(&out);
    vital_free(&v);
}

static void refusals_name_the_problem(void **state)
{
    (void)state;
    struct {
        const char *body;
        int status;
        const char *says;
    } cases[] = {
        {"", 400, "empty"},
        {"{", 400, "malformed"},
        {"{\"resourceType\":\"Observation\"} x", 400, "malformed JSON at byte 31"},
        {"[1,2]", 400, "JSON object"},
        {"{\"resourceType\":\"Patient\"}", 400, "Observation"},
        {QTY("29463-7", "70", "kg", ",\"bogus\":1"), 400, "unknown element 'bogus'"},
        {QTY("29463-7", "70", "kg", ",\"modifierExtension\":[]"), 422, "not supported"},
        {QTY("29463-7", "70", "kg", ",\"valueString\":\"x\""), 422, "valueQuantity"},
        {QTY("29463-7", "70", "kg", ",\"note\":\"x\""), 400, "must be an array"},
        {QTY("1234-5", "70", "kg", ""), 422, "no supported vital-sign code"},
        {QTY("29463-7", "70", "lb", ""), 422, "unit 'lb'"},
        {QTY("29463-7", "\"70\"", "kg", ""), 400, "JSON number"},
        {QTY("29463-7", "7000", "kg", ""), 422, "plausible range"},
        {QTY("8310-5", "60", "Cel", ""), 422, "plausible range"},
        {"{\"resourceType\":\"Observation\",\"code\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"29463-7\"}]}}", 400, "status"},
        {"{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"29463-7\"}]},"
         "\"valueQuantity\":{\"value\":70,\"system\":\"http://unitsofmeasure.org\",\"code\":\"kg\"}}", 400, "effectiveDateTime"},
        {"{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"29463-7\"}]},"
         "\"effectiveDateTime\":\"2099-01-01T00:00:00Z\",\"valueQuantity\":{\"value\":70,\"system\":\"http://unitsofmeasure.org\",\"code\":\"kg\"}}", 422, "future"},
        {"{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"29463-7\"}]},"
         "\"effectiveDateTime\":\"2026-11-01T07:00:00\",\"valueQuantity\":{\"value\":70,\"system\":\"http://unitsofmeasure.org\",\"code\":\"kg\"}}", 400, "dateTime"},
        {"{\"resourceType\":\"Observation\",\"status\":\"cancelled\"}", 422, "status"},
        {"{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"85354-9\"}]},"
         "\"effectiveDateTime\":\"2026-11-01T07:00:00+09:00\",\"component\":[{\"code\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"8480-6\"}]},"
         "\"valueQuantity\":{\"value\":120,\"system\":\"http://unitsofmeasure.org\",\"code\":\"mm[Hg]\"}}]}", 400, "both systolic"},
        {QTY("29463-7", "70", "kg", ",\"subject\":{\"reference\":\"Group/1\"}"), 400, "Patient/"},
        {QTY("29463-7", "70", "kg", ",\"meta\":{\"tag\":[{\"system\":\"urn:phr:source\",\"code\":\"mynaportal\"}]}"), 422, "source"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct vital v;
        struct issue is;
        if (parse(cases[i].body, &v, &is) != -1)
            fail_msg("accepted: %s", cases[i].body);
        if (is.status != cases[i].status || !strstr(is.diagnostics, cases[i].says))
            fail_msg("case %zu: got %d '%s', want %d '%s'", i, is.status, is.diagnostics, cases[i].status, cases[i].says);
    }
}

static void refuses_deep_nesting(void **state)
{
    (void)state;
    char deep[400];
    size_t n = 0;
    n += (size_t)snprintf(deep, sizeof deep, "{\"resourceType\":\"Observation\",\"text\":");
    for (int i = 0; i < 40; i++)
        deep[n++] = '[';
    deep[n] = '\0';
    struct vital v;
    struct issue is;
    assert_int_equal(parse(deep, &v, &is), -1);
    assert_int_equal(is.status, 400);
}

static void device_source_and_subject(void **state)
{
    (void)state;
    struct vital v;
    struct issue is;
    assert_int_equal(parse(QTY("8867-4", "64", "/min", ",\"subject\":{\"reference\":\"Patient/abc\"},"
                                                         "\"meta\":{\"tag\":[{\"system\":\"urn:phr:source\",\"code\":\"device\"}]}"),
                           &v, &is), 0);
    assert_string_equal(v.subject, "abc");
    assert_string_equal(v.source, "device");
    vital_free(&v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(accepts_blood_pressure),
        cmocka_unit_test(refuses_impossible_pressures),
        cmocka_unit_test(accepts_other_kinds_and_units),
        cmocka_unit_test(keeps_decimal_precision),
        cmocka_unit_test(refusals_name_the_problem),
        cmocka_unit_test(refuses_deep_nesting),
        cmocka_unit_test(device_source_and_subject),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
