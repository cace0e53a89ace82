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

/* JP Core's codings (R4.2): the body-measurement and MEDIS codes under
 * 1.1's and 1.2's system names, units as a text without a system. What was
 * sent stays; LOINC and UCUM are added beside it. */
#define JP(system, code, quantity, extra)                                                                        \
    "{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"coding\":[{\"system\":\"http://" \
    "abc-hospital.local/fhir/Observation/localcode\",\"code\":\"abc-local-456\"},{\"system\":\"" system       \
    "\",\"code\":\"" code "\"}]},\"effectiveDateTime\":\"2021-10-19T10:00:00+09:00\",\"valueQuantity\":"     \
    quantity extra "}"
#define MEDIS_11 "urn:oid:1.2.392.200119.4.804"
#define MEDIS_12 "http://medis.or.jp/CodeSystem/master-nursingObservationKeyCode"
#define BODY_CS "http://jpfhir.jp/fhir/core/CodeSystem/JP_ObservationBodyMeasurementCode_CS"

static void understands_jp_core_codes(void **state)
{
    (void)state;
    struct {
        const char *body, *loinc, *ucum;
    } ok[] = {
        {JP(BODY_CS, "31000296", "{\"unit\":\"kg\",\"value\":63.5}", ""), "29463-7", "kg"},
        {JP(BODY_CS, "31000297", "{\"unit\":\"g\",\"value\":3200}", ""), "29463-7", "g"},
        {JP(MEDIS_11, "31001368", "{\"unit\":\"℃\",\"value\":36.4}", ""), "8310-5", "Cel"},
        {JP(MEDIS_12, "31001390", "{\"unit\":\"回/分\",\"value\":72}", ""), "8867-4", "/min"},
        {JP(MEDIS_12, "31000298", "{\"value\":170.2,\"code\":\"cm\"}", ""), "8302-2", "cm"},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        struct vital v;
        struct fault fault;
        struct buf out;
        buf_init(&out);
        if (parse(ok[i].body, &v, &fault) != 0)
            fail_msg("%s: %s", ok[i].body, fault.detail);
        assert_string_equal(v.kind->code, ok[i].loinc);
        struct provenance prov = {"person:p", "fhir-api", "00", NOW};
        assert_int_equal(vitals_finalise(&v, "id-1", 1, "p", &prov, &out), 0);
        char want[160];
        snprintf(want, sizeof want, "{\"system\":\"http://loinc.org\",\"code\":\"%s\"", ok[i].loinc);
        if (!strstr(buf_cstr(&out), want) || !strstr(buf_cstr(&out), "abc-local-456"))
            fail_msg("LOINC not added beside the codes sent: %s", buf_cstr(&out));
        snprintf(want, sizeof want, "\"code\":\"%s\",\"system\":\"http://unitsofmeasure.org\"", ok[i].ucum);
        if (!strstr(buf_cstr(&out), want))
            fail_msg("UCUM not added: %s", buf_cstr(&out));
        buf_free(&out);
        vital_free(&v);
    }
    struct vital v;
    struct fault fault;
    /* 呼吸数 is a MEDIS code of a kind not kept; "回" alone names no unit; a unit of another system cannot be read. */
    assert_int_equal(parse(JP(MEDIS_11, "31001369", "{\"unit\":\"回\",\"value\":16}", ""), &v, &fault), -1);
    assert_string_equal(fault_def(fault.code)->name, "unknown-code");
    assert_int_equal(parse(JP(MEDIS_11, "31001390", "{\"unit\":\"回\",\"value\":72}", ""), &v, &fault), -1);
    assert_non_null(strstr(fault.detail, "unit '回' is not accepted"));
    assert_int_equal(
        parse(JP(BODY_CS, "31000296", "{\"value\":63.5,\"system\":\"urn:local\",\"code\":\"kg\"}", ""), &v, &fault), -1);
    assert_non_null(strstr(fault.detail, "UCUM code"));
    /* A code system not known is passed over, not trusted: the local code alone names no kind. */
    assert_int_equal(parse(JP("urn:local", "31000296", "{\"unit\":\"kg\",\"value\":63.5}", ""), &v, &fault), -1);
}

/* R1.1: a measurement a clinician or a laboratory made is told apart from
 * the person's own; a hospital's glucose is a laboratory result. */
static void tells_clinical_measurements_apart(void **state)
{
    (void)state;
    struct vital v;
    struct fault fault;
    assert_int_equal(parse(QTY("8867-4", "64", "/min", ""), &v, &fault), 0);
    assert_int_equal(v.clinical, 0);
    vital_free(&v);
    assert_int_equal(parse(QTY("15074-8", "6.3", "mmol/L", ",\"performer\":[{\"reference\":\"Practitioner/f005\"}]"),
                           &v, &fault),
                     0);
    assert_int_equal(v.clinical, 1);
    assert_string_equal(vitals_category(&v), "laboratory");
    vital_free(&v);
    assert_int_equal(parse(QTY("29463-7", "60", "kg", ",\"performer\":[{\"reference\":\"Organization/x\"}]"), &v,
                           &fault),
                     0);
    assert_int_equal(v.clinical, 1);
    assert_string_equal(vitals_category(&v), "vital-signs");
    vital_free(&v);
    assert_int_equal(parse(QTY("29463-7", "60", "kg", ",\"performer\":[{\"reference\":\"Patient/me\"}]"), &v, &fault), 0);
    assert_int_equal(v.clinical, 0);
    vital_free(&v);
}

/* HL7's blood-pressure profile: one part may be missing with its reason;
 * not both, and not a value and a reason at once. */
#define DAR "\"dataAbsentReason\":{\"coding\":[{\"system\":\"http://terminology.hl7.org/CodeSystem/data-absent-reason\",\"code\":\"not-performed\"}]}"
#define BP_PARTS(sys, dia)                                                                                       \
    "{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"coding\":[{\"system\":\"http://loinc.org\"," \
    "\"code\":\"85354-9\"}]},\"effectiveDateTime\":\"2026-11-01T07:00:00+09:00\",\"component\":["               \
    "{\"code\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"8480-6\"}]}," sys "},"                    \
    "{\"code\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"8462-4\"}]}," dia "}]}"
#define MMHG(v) "\"valueQuantity\":{\"value\":" #v ",\"system\":\"http://unitsofmeasure.org\",\"code\":\"mm[Hg]\"}"

static void a_part_not_measured_says_why(void **state)
{
    (void)state;
    struct vital v;
    struct fault fault;
    assert_int_equal(parse(BP_PARTS(MMHG(107), DAR), &v, &fault), 0);
    vital_free(&v);
    assert_int_equal(parse(BP_PARTS(DAR, MMHG(60)), &v, &fault), 0);
    vital_free(&v);
    assert_int_equal(parse(BP_PARTS(DAR, DAR), &v, &fault), -1);
    assert_non_null(strstr(fault.detail, "neither pressure has a value"));
    assert_int_equal(parse(BP_PARTS(MMHG(107), MMHG(60) "," DAR), &v, &fault), -1);
    assert_non_null(strstr(fault.detail, "give one of them"));
    assert_int_equal(parse(BP_PARTS(MMHG(107), "\"text\":\"x\""), &v, &fault), -1);
    assert_non_null(strstr(fault.detail, "dataAbsentReason saying why"));
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
        cmocka_unit_test(understands_jp_core_codes),
        cmocka_unit_test(tells_clinical_measurements_apart),
        cmocka_unit_test(a_part_not_measured_says_why),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
