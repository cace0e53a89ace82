/* formats/demographics and formats/patient_write: the person's details as
 * files give them and the person corrects them (R3.12), and as the
 * documents written name them (R4.3). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "formats/demographics.h"
#include "formats/patient_write.h"

static void fields_are_trimmed_checked_and_bounded(void **state)
{
    (void)state;
    struct demographics d = {0};
    assert_int_equal(demographics_set(&d, DEMO_NAME, "\xE3\x80\x80 健診 太郎 \n", (size_t)-1), 0);
    assert_string_equal(d.text[DEMO_NAME], "健診 太郎");
    assert_int_equal(demographics_set(&d, DEMO_NAME, "a\x07" "b", (size_t)-1), -1); /* a control character */
    assert_int_equal(demographics_set(&d, DEMO_NAME, "\xff\xfe", (size_t)-1), -1);  /* not UTF-8 */
    assert_int_equal(demographics_set(&d, DEMO_NAME, "   ", (size_t)-1), -1);
    char long_name[194];
    memset(long_name, 'x', 193);
    long_name[193] = '\0';
    assert_int_equal(demographics_set(&d, DEMO_NAME, long_name, (size_t)-1), -1);
    assert_int_equal(demographics_set(&d, DEMO_NAME, long_name, 192), 0);
    assert_int_equal(demographics_set(&d, DEMO_INSURER, "06123456", (size_t)-1), 0);
    assert_int_equal(demographics_set(&d, DEMO_INSURER, "123456", (size_t)-1), 0);
    assert_int_equal(demographics_set(&d, DEMO_INSURER, "1234567", (size_t)-1), -1);
    assert_int_equal(demographics_set(&d, DEMO_INSURER, "1234567a", (size_t)-1), -1);
    assert_int_equal(demographics_set(&d, DEMO_PHONE, "+81 (3) 1111-2222", (size_t)-1), 0);
    assert_int_equal(demographics_set(&d, DEMO_PHONE, "call me", (size_t)-1), -1);
    /* An address sets the prefecture it begins with. */
    assert_int_equal(demographics_set(&d, DEMO_ADDRESS, "神奈川県横浜市", (size_t)-1), 0);
    assert_string_equal(d.prefecture, "14");
    demographics_free(&d);
    for (int f = 0; f < DEMO_NTEXT; f++)
        assert_null(d.text[f]);
}

static void a_newer_file_is_laid_over_what_is_known(void **state)
{
    (void)state;
    struct demographics known = {0}, file = {0};
    demographics_set(&known, DEMO_PHONE, "03-1111-2222", (size_t)-1);
    demographics_set(&known, DEMO_ADDRESS, "東京都千代田区千代田1-1", (size_t)-1);
    demographics_sex(&known, "2");
    demographics_set(&file, DEMO_ADDRESS, "札幌市中央区", (size_t)-1); /* no prefecture */
    demographics_set(&file, DEMO_NAME, "健診 花子", (size_t)-1);
    file.from = "cda";
    assert_int_equal(demographics_merge(&known, &file), 0);
    assert_string_equal(known.text[DEMO_PHONE], "03-1111-2222");   /* not in the file: kept */
    assert_string_equal(known.text[DEMO_ADDRESS], "札幌市中央区");
    assert_string_equal(known.prefecture, "");                     /* the old address's does not stay */
    assert_string_equal(known.sex, "female");
    assert_string_equal(known.from, "cda");
    demographics_free(&known);
    demographics_free(&file);
}

static void stored_form_reads_back_and_refusals_name_the_member(void **state)
{
    (void)state;
    struct demographics d = {0}, back;
    struct fault fault;
    struct buf b = {0};
    demographics_set(&d, DEMO_NAME, "健診 \"太郎\"", (size_t)-1);
    demographics_birth(&d, "19500504");
    d.from = "person";
    assert_int_equal(demographics_json(&d, "2026-12-07", &b), 0);
    json_object *o = json_tokener_parse(buf_cstr(&b));
    assert_int_equal(demographics_parse(&back, o, &fault), 0);
    assert_string_equal(back.text[DEMO_NAME], "健診 \"太郎\"");
    assert_string_equal(back.birth_date, "1950-05-04");
    assert_string_equal(back.from, "person");
    json_object_put(o);
    demographics_free(&back);
    const char *bad[][2] = {{"{\"sex\":\"x\"}", "sex"}, {"{\"nick\":\"x\"}", "nick"}, {"{\"name\":1}", "name"},
                            {"{\"birth_date\":\"1950-02-30\"}", "birth_date"}, {"[]", NULL}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memset(&fault, 0, sizeof fault);
        o = json_tokener_parse(bad[i][0]);
        assert_int_equal(demographics_parse(&back, o, &fault), -1);
        if (bad[i][1])
            assert_string_equal(fault.expression, bad[i][1]);
        json_object_put(o);
        for (int f = 0; f < DEMO_NTEXT; f++)
            assert_null(back.text[f]);
    }
    demographics_free(&d);
    buf_free(&b);
}

static void documents_name_the_person(void **state)
{
    (void)state;
    struct demographics d = {0};
    struct buf b = {0};
    /* Too little for record 1: no line. */
    demographics_set(&d, DEMO_NAME, "佐藤, 花子", (size_t)-1);
    assert_int_equal(patient_jahis(&d, NULL, &b), -1);
    demographics_sex(&d, "female");
    demographics_birth(&d, "1990-02-03");
    assert_int_equal(patient_jahis(&d, NULL, &b), 0);
    assert_string_equal(buf_cstr(&b), "1,佐藤， 花子,2,19900203");
    /* The emergency contact, blood type and weight of a kept record 1 carried over. */
    b.len = 0;
    demographics_set(&d, DEMO_NAME_KANA, "サトウ ハナコ", (size_t)-1);
    assert_int_equal(patient_jahis(&d, "1,x,2,19900203,,,,090-0000-0000,A+,52.3,x", &b), 0);
    assert_string_equal(buf_cstr(&b), "1,佐藤， 花子,2,19900203,,,,090-0000-0000,A+,52.3,サトウ ハナコ");
    /* The CDA: the service's id first, markup escaped. */
    b.len = 0;
    demographics_set(&d, DEMO_INSURER, "06123456", (size_t)-1);
    demographics_set(&d, DEMO_NAME, "<健診>", (size_t)-1);
    assert_int_equal(patient_cda(&d, "0190-id", &b), 0);
    assert_string_equal(buf_cstr(&b),
                        "<recordTarget><patientRole><id root=\"0190-id\"/><id extension=\"06123456\" "
                        "root=\"1.2.392.200119.6.101\"/><patient><name>&lt;健診&gt;</name><administrativeGenderCode "
                        "code=\"2\" codeSystem=\"1.2.392.200119.6.1104\"/><birthTime value=\"19900203\"/></patient>"
                        "</patientRole></recordTarget>");
    /* FHIR: JP_Patient_eCS claimed only with an address too. */
    b.len = 0;
    assert_int_equal(patient_fhir(&d, "p1", 0, &b), 0);
    assert_null(strstr(buf_cstr(&b), PATIENT_ECS_PROFILE));
    b.len = 0;
    demographics_set(&d, DEMO_NAME, "佐藤 花子", (size_t)-1);
    demographics_set(&d, DEMO_ADDRESS, "東京都港区", (size_t)-1);
    assert_int_equal(patient_fhir(&d, "p1", 0, &b), 0);
    assert_non_null(strstr(buf_cstr(&b), PATIENT_ECS_PROFILE));
    assert_non_null(strstr(buf_cstr(&b), "\"family\":\"佐藤\",\"given\":[\"花子\"]"));
    b.len = 0;
    assert_int_equal(patient_fhir(NULL, "p1", 0, &b), 0);
    assert_string_equal(buf_cstr(&b), "{\"resourceType\":\"Patient\",\"id\":\"p1\",\"identifier\":[{\"system\":"
                                      "\"urn:ietf:rfc:3986\",\"value\":\"urn:uuid:p1\"}]}");
    demographics_free(&d);
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fields_are_trimmed_checked_and_bounded),
        cmocka_unit_test(a_newer_file_is_laid_over_what_is_known),
        cmocka_unit_test(stored_form_reads_back_and_refusals_name_the_member),
        cmocka_unit_test(documents_name_the_person),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
