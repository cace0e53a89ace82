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

static int parse(const char *s, struct vital *v, struct fault *fault)
{
    memset(fault, 0, sizeof *fault);
    return vitals_parse(s, strlen(s), NOW, 540, v, fault);
}

static void accepts_blood_pressure(void **state)
{
    (void)state;
    struct vital v;
    struct fault fault;
    assert_int_equal(parse(BP(128, 82), &v, &fault), 0);
    assert_string_equal(v.kind->code, "85354-9");
    assert_string_equal(v.source, "self-measured");
    vital_free(&v);
}

static void refuses_impossible_pressures(void **state)
{
    (void)state;
    struct vital v;
    struct fault fault;
    assert_int_equal(parse(BP(0, 80), &v, &fault), -1);
    assert_int_equal(fault.code, F_INVALID_VALUE);
    assert_non_null(strstr(fault.detail, "systolic"));
    assert_int_equal(parse(BP(900, 80), &v, &fault), -1);
    assert_int_equal(fault.code, F_INVALID_VALUE);
    assert_int_equal(parse(BP(80, 120), &v, &fault), -1);
    assert_non_null(strstr(fault.detail, "higher than diastolic"));
}

static void accepts_other_kinds_and_units(void **state)
{
    (void)state;
    struct vital v;
    struct fault fault;
    const char *ok[] = {
        QTY("29463-7", "68.40", "kg", ""), QTY("29463-7", "150.8", "[lb_av]", ""),
        QTY("8302-2", "1.72", "m", ""), QTY("39156-5", "22.1", "kg/m2", ""),
        QTY("8310-5", "98.6", "[degF]", ""), QTY("59408-5", "97", "%", ""),
        QTY("8867-4", "64", "/min", ""), QTY("41653-7", "104", "mg/dL", ""),
        QTY("15074-8", "5.6", "mmol/L", ""), QTY("55423-8", "8012", "{steps}", ""),
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        if (parse(ok[i], &v, &fault) != 0)
            fail_msg("%s: %s", ok[i], fault.detail);
        vital_free(&v);
    }
}

static void keeps_decimal_precision(void **state)
{
    (void)state;
    struct vital v;
    struct fault fault;
    struct buf out;
    buf_init(&out);
    assert_int_equal(parse(QTY("29463-7", "68.40", "kg", ""), &v, &fault), 0);
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
        const char *code; /* the fault's stable code */
        const char *says;
    } cases[] = {
        {"", "malformed", "empty"},
        {"{", "malformed", "malformed"},
        {"{\"resourceType\":\"Observation\"} x", "malformed", "malformed JSON at byte 31"},
        {"[1,2]", "malformed", "JSON object"},
        {"{\"resourceType\":\"Patient\"}", "malformed", "Observation"},
        {QTY("29463-7", "70", "kg", ",\"bogus\":1"), "malformed", "unknown element 'bogus'"},
        {QTY("29463-7", "70", "kg", ",\"modifierExtension\":[]"), "not-supported", "not supported"},
        {QTY("29463-7", "70", "kg", ",\"valueString\":\"x\""), "not-supported", "valueQuantity"},
        {QTY("29463-7", "70", "kg", ",\"note\":\"x\""), "malformed", "must be an array"},
        {QTY("1234-5", "70", "kg", ""), "unknown-code", "no supported vital-sign code"},
        {QTY("29463-7", "70", "lb", ""), "unknown-code", "unit 'lb'"},
        {QTY("29463-7", "\"70\"", "kg", ""), "malformed", "JSON number"},
        {QTY("29463-7", "7000", "kg", ""), "invalid-value", "plausible range"},
        {QTY("8310-5", "60", "Cel", ""), "invalid-value", "plausible range"},
        {"{\"resourceType\":\"Observation\",\"code\":{\"coding\":[{\"system\":\"http://"
         "loinc.org\",\"code\":\"29463-7\"}]}}",
         "missing", "status"},
        {"{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"coding\":[{\"system\":\"http://"
         "loinc.org\",\"code\":\"29463-7\"}]},"
         "\"valueQuantity\":{\"value\":70,\"system\":\"http://unitsofmeasure.org\",\"code\":\"kg\"}}",
         "missing", "effectiveDateTime"},
        {"{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"coding\":[{\"system\":\"http://"
         "loinc.org\",\"code\":\"29463-7\"}]},"
         "\"effectiveDateTime\":\"2099-01-01T00:00:00Z\",\"valueQuantity\":{\"value\":70,\"system\":\"http://"
         "unitsofmeasure.org\",\"code\":\"kg\"}}",
         "invalid-value", "future"},
        {"{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"coding\":[{\"system\":\"http://"
         "loinc.org\",\"code\":\"29463-7\"}]},"
         "\"effectiveDateTime\":\"2026-11-01T07:00:00\",\"valueQuantity\":{\"value\":70,\"system\":\"http://"
         "unitsofmeasure.org\",\"code\":\"kg\"}}",
         "invalid-value", "dateTime"},
        {"{\"resourceType\":\"Observation\",\"status\":\"cancelled\"}", "unknown-code", "status"},
        {"{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"coding\":[{\"system\":\"http://"
         "loinc.org\",\"code\":\"85354-9\"}]},"
         "\"effectiveDateTime\":\"2026-11-01T07:00:00+09:00\",\"component\":[{\"code\":{\"coding\":[{\"system\":\"http:"
         "//loinc.org\",\"code\":\"8480-6\"}]},"
         "\"valueQuantity\":{\"value\":120,\"system\":\"http://unitsofmeasure.org\",\"code\":\"mm[Hg]\"}}]}",
         "missing", "both systolic"},
        {QTY("29463-7", "70", "kg", ",\"subject\":{\"reference\":\"Group/1\"}"), "invalid-value", "Patient/"},
        {QTY("29463-7", "70", "kg", ",\"meta\":{\"tag\":[{\"system\":\"urn:phr:source\",\"code\":\"mynaportal\"}]}"),
         "unknown-code", "source"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct vital v;
        struct fault fault;
        if (parse(cases[i].body, &v, &fault) != -1)
            fail_msg("accepted: %s", cases[i].body);
        const char *got = fault_def(fault.code)->name;
        if (strcmp(got, cases[i].code) || !strstr(fault.detail, cases[i].says))
            fail_msg("case %zu: got %s '%s', want %s '%s'", i, got, fault.detail, cases[i].code, cases[i].says);
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
    struct fault fault;
    assert_int_equal(parse(deep, &v, &fault), -1);
    assert_int_equal(fault.code, F_MALFORMED);
}

static void device_source_and_subject(void **state)
{
    (void)state;
    struct vital v;
    struct fault fault;
    assert_int_equal(parse(QTY("8867-4", "64", "/min",
                               ",\"subject\":{\"reference\":\"Patient/abc\"},"
                               "\"meta\":{\"tag\":[{\"system\":\"urn:phr:source\",\"code\":\"device\"}]}"),
                           &v, &fault),
                     0);
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
