/* formats/elements: _elements keeps what is asked and what is mandatory,
 * tags SUBSETTED, and refuses what is no root element (issue 19 item 7). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "formats/elements.h"

static const char *subset(const char *list, const char *json)
{
    static struct buf b;
    struct elements e;
    struct fault f;
    buf_free(&b);
    buf_init(&b);
    if (elements_parse(list, &e, &f))
        return "REFUSED";
    return elements_apply(&e, json, strlen(json), &b) ? "ENOMEM" : buf_cstr(&b);
}

#define OBS "{\"resourceType\":\"Observation\",\"id\":\"o1\",\"status\":\"final\",\"code\":{\"text\":\"bp\"}," \
            "\"subject\":{\"reference\":\"Patient/p\"},\"effectiveDateTime\":\"2026-11-01\",\"note\":[{\"text\":\"x\"}]}"
#define TAG "{\"system\":\"http://terminology.hl7.org/CodeSystem/v3-ObservationValue\",\"code\":\"SUBSETTED\"}"

static void keeps_what_is_asked_and_mandatory(void **state)
{
    (void)state;
    assert_string_equal(subset("effectiveDateTime", OBS),
                        "{\"resourceType\":\"Observation\",\"id\":\"o1\",\"status\":\"final\",\"code\":{\"text\":\"bp\"},"
                        "\"effectiveDateTime\":\"2026-11-01\",\"meta\":{\"tag\":[" TAG "]}}");
    /* Another type's element does not apply; an existing meta keeps its members. */
    assert_string_equal(subset("Patient.subject,id",
                               "{\"resourceType\":\"Observation\",\"id\":\"o\",\"meta\":{\"versionId\":\"2\"},"
                               "\"subject\":{}}"),
                        "{\"resourceType\":\"Observation\",\"id\":\"o\",\"meta\":{\"versionId\":\"2\",\"tag\":[" TAG
                        "]}}");
    assert_string_equal(subset("id", "not json"), "not json");
}

static void refuses_what_is_no_root_element(void **state)
{
    (void)state;
    const char *bad[] = {"component.value", "Observation.component.value", "Nothing.id", "a-b", "1abc",
                         "Observation.", ".id"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_string_equal(subset(bad[i], OBS), "REFUSED");
    char many[600] = "";
    for (int i = 0; i < 40; i++)
        strcat(many, "id,");
    assert_string_equal(subset(many, OBS), "REFUSED");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(keeps_what_is_asked_and_mandatory),
        cmocka_unit_test(refuses_what_is_no_root_element),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
