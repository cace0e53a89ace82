/* formats/cda_write: a 特定健診 CDA written from the records is valid
 * against the hc08 schema and reads back (formats/cda) as the same results
 * — value, type, unit, reference range and flag; text that looks like
 * markup stays text; a result it cannot write is refused. (R4.3) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "formats/cda.h"
#include "formats/cda_schema.h"
#include "formats/cda_write.h"

#define ITEM "\"system\":\"urn:oid:1.2.392.200119.6.1005\""

static const char *const records[] = {
    "{\"resourceType\":\"Observation\",\"code\":{\"coding\":[{" ITEM ",\"code\":\"9A751000000000001\"}]},"
    "\"valueQuantity\":{\"value\":138,\"unit\":\"mm[Hg]\",\"system\":\"http://unitsofmeasure.org\",\"code\":\"mm[Hg]\"},"
    "\"referenceRange\":[{\"high\":{\"value\":129,\"unit\":\"mm[Hg]\"}}],"
    "\"interpretation\":[{\"coding\":[{\"system\":\"http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation\","
    "\"code\":\"H\"}]}]}",
    "{\"resourceType\":\"Observation\",\"code\":{\"coding\":[{" ITEM ",\"code\":\"1A020000000190111\"}]},"
    "\"valueCodeableConcept\":{\"coding\":[{\"system\":\"urn:oid:1.2.392.200119.6.2101\",\"code\":\"1\","
    "\"display\":\"－\"}]}}",
    "{\"resourceType\":\"Observation\",\"code\":{\"coding\":[{" ITEM ",\"code\":\"1A105160800166249\"}]},"
    "\"valueString\":\"<b>赤血球 & \\\"円柱\\\"</b>\"}",
};

static void setup_schema(void)
{
    assert_int_equal(cda_schema_load(), 0);
}

static int write_doc(const char *const *texts, size_t n, struct buf *out, struct fault *fault)
{
    json_object *o[8];
    for (size_t i = 0; i < n; i++)
        assert_non_null(o[i] = json_tokener_parse(texts[i]));
    struct cda_header h = {.day = "2026-10-15", .document_id = "0193a0c4-1111-7000-8000-000000000001",
                           .person_id = "0193a0c4-2222-7000-8000-000000000002", .author = "PHR <service> & co",
                           .now_ms = 1792000000000LL};
    int rc = cda_write(&h, o, n, out, fault);
    for (size_t i = 0; i < n; i++)
        json_object_put(o[i]);
    return rc;
}

static void written_reads_back(void **state)
{
    (void)state;
    setup_schema();
    struct buf xml = {0};
    struct fault fault = {0};
    assert_int_equal(write_doc(records, 3, &xml, &fault), 0);
    assert_int_equal(cda_check(xml.data, xml.len, &fault), 0);
    struct cda_checkup c;
    assert_int_equal(cda_read(xml.data, xml.len, &c, &fault), 0);
    assert_string_equal(c.date, "2026-10-15");
    assert_int_equal(c.nresults, 3);
    assert_string_equal(c.results[0].item->code, "9A751000000000001");
    assert_string_equal(buf_cstr(&c.results[0].value),
                        "\"valueQuantity\":{\"value\":138,\"unit\":\"mm[Hg]\",\"system\":\"http://unitsofmeasure.org\","
                        "\"code\":\"mm[Hg]\"},\"referenceRange\":[{\"high\":{\"value\":129,\"unit\":\"mm[Hg]\","
                        "\"system\":\"http://unitsofmeasure.org\",\"code\":\"mm[Hg]\"}}],\"interpretation\":[{\"coding\""
                        ":[{\"system\":\"http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation\",\"code\":"
                        "\"H\"}]}]");
    assert_string_equal(buf_cstr(&c.results[1].value),
                        "\"valueCodeableConcept\":{\"coding\":[{\"system\":\"urn:oid:1.2.392.200119.6.2101\","
                        "\"code\":\"1\",\"display\":\"－\"}]}");
    assert_string_equal(buf_cstr(&c.results[2].value), "\"valueString\":\"<b>赤血球 & \\\"円柱\\\"</b>\"");
    cda_checkup_free(&c);
    /* The header names the document, the person and the author as given,
     * markup escaped; the narrative shows each result. */
    assert_non_null(strstr(buf_cstr(&xml), "<id root=\"0193a0c4-1111-7000-8000-000000000001\"/>"));
    assert_non_null(strstr(buf_cstr(&xml), "<name>PHR &lt;service&gt; &amp; co</name>"));
    assert_non_null(strstr(buf_cstr(&xml), "<effectiveTime value=\"20261015\"/>"));
    assert_non_null(strstr(buf_cstr(&xml), "<item>収縮期血圧(1回目): 138 mm[Hg]</item>"));
    buf_free(&xml);
}

static void refusals(void **state)
{
    (void)state;
    setup_schema();
    struct buf xml = {0};
    struct fault fault = {0};
    const char *not_an_item[] = {"{\"code\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"8302-2\"}]},"
                                 "\"valueQuantity\":{\"value\":170}}"};
    assert_int_equal(write_doc(not_an_item, 1, &xml, &fault), -1);
    assert_int_equal(fault.code, F_INTERNAL);
    assert_non_null(strstr(fault.detail, "8302-2"));
    assert_int_equal(xml.len, 0);
    const char *no_system[] = {"{\"code\":{\"coding\":[{" ITEM ",\"code\":\"1A020000000190111\"}]},"
                               "\"valueCodeableConcept\":{\"coding\":[{\"code\":\"1\"}]}}"};
    memset(&fault, 0, sizeof fault);
    assert_int_equal(write_doc(no_system, 1, &xml, &fault), -1);
    assert_non_null(strstr(fault.detail, "1A020000000190111"));
    const char *wrong_type[] = {"{\"code\":{\"coding\":[{" ITEM ",\"code\":\"9A751000000000001\"}]},"
                                "\"valueString\":\"high\"}"};
    memset(&fault, 0, sizeof fault);
    assert_int_equal(write_doc(wrong_type, 1, &xml, &fault), -1);
    assert_non_null(strstr(fault.detail, "PQ"));
    assert_int_equal(xml.len, 0);
    /* A control character XML cannot hold is replaced, not written. */
    const char *control[] = {"{\"code\":{\"coding\":[{" ITEM ",\"code\":\"1A105160800166249\"}]},"
                             "\"valueString\":\"a\\u0001b\"}"};
    assert_int_equal(write_doc(control, 1, &xml, &fault), 0);
    assert_int_equal(cda_check(xml.data, xml.len, &fault), 0);
    assert_non_null(strstr(buf_cstr(&xml), "a\xEF\xBF\xBD" "b"));
    buf_free(&xml);
    /* cda_check refuses what is not a valid document. */
    const char *bad = "<ClinicalDocument xmlns=\"urn:hl7-org:v3\"><typeId root=\"2.16.840.1.113883.1.3\" "
                      "extension=\"POCD_HD000040\"/><documentationOf><serviceEvent><effectiveTime value=\"20261015\"/>"
                      "</serviceEvent></documentationOf></ClinicalDocument>";
    memset(&fault, 0, sizeof fault);
    assert_int_equal(cda_check(bad, strlen(bad), &fault), -1);
    assert_int_equal(fault.code, F_INVALID_STRUCTURE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(written_reads_back),
        cmocka_unit_test(refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
