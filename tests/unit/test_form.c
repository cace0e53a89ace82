/* formats/form: the token endpoint's form bodies (RFC 6749 §3.2). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "formats/form.h"

static void fields_are_decoded(void **state)
{
    (void)state;
    static const char body[] = "grant_type=client_credentials&scope=system%2F*.rs+system%2FPatient.read"
                               "&client_assertion=a.b.c&&empty=&flag";
    struct form f;
    struct fault fault;
    assert_int_equal(form_parse(body, strlen(body), &f, &fault), 0);
    assert_string_equal(form_get(&f, "grant_type"), "client_credentials");
    assert_string_equal(form_get(&f, "scope"), "system/*.rs system/Patient.read");
    assert_string_equal(form_get(&f, "client_assertion"), "a.b.c");
    assert_string_equal(form_get(&f, "empty"), "");
    assert_string_equal(form_get(&f, "flag"), "");
    assert_null(form_get(&f, "client_id"));
    form_free(&f);
    assert_int_equal(form_parse("a=%E8%A1%80%E5%9C%A7", 20, &f, &fault), 0);
    assert_string_equal(form_get(&f, "a"), "血圧");
    form_free(&f);
}

static void refused(const char *body, size_t n)
{
    struct form f;
    struct fault fault;
    assert_int_equal(form_parse(body, n, &f, &fault), -1);
    assert_int_equal(fault.code, F_MALFORMED);
    assert_int_equal(f.n, 0);
}

static void what_is_not_a_form_is_refused(void **state)
{
    (void)state;
    refused("scope=a&scope=b", 15);             /* twice */
    refused("a=%4", 4);                         /* escape cut short */
    refused("a=%zz", 5);                        /* not hex */
    refused("a=%00", 5);                        /* NUL by escape */
    refused("a=b\0c", 5);                       /* NUL as such */
    refused("a=%FF%FE", 8);                     /* not UTF-8 */
    refused("=value", 6);                       /* no name */
    char many[256] = "";
    for (int i = 0; i < FORM_MAX_FIELDS + 1; i++)
        snprintf(many + strlen(many), sizeof many - strlen(many), "f%d=1&", i);
    refused(many, strlen(many));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fields_are_decoded),
        cmocka_unit_test(what_is_not_a_form_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
