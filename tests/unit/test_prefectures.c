/* formats/prefectures: the prefecture an address begins with (R3.13: the
 * prefecture quasi-identifier of anonymised data sets), and its region. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "formats/prefectures.h"

static void addresses_give_their_prefecture(void **state)
{
    (void)state;
    const struct {
        const char *text, *code;
    } cases[] = {
        {"東京都千代田区千代田1-1", "13"},
        {"京都府京都市中京区", "26"},            /* not 東京都 for sharing 京都 */
        {"\xE3\x80\x80北海道札幌市", "01"},     /* after a full-width space */
        {"\n\t\t\t\t神奈川県横浜市", "14"},     /* as a CDA's addr text comes */
        {"鹿児島県", "46"},
        {"沖縄県那覇市", "47"},
        {"13", "13"},                          /* a code alone (FHIR's state) */
        {"01", "01"},
        {"東京都", "13"},
        {"48", NULL},
        {"00", NULL},
        {"130", NULL},
        {"千代田区", NULL},
        {"", NULL},
        {"東京", NULL},                         /* a name cut short is none */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *got = prefecture_of(cases[i].text);
        if (!cases[i].code)
            assert_null(got);
        else
            assert_string_equal(got, cases[i].code);
    }
    assert_null(prefecture_of(NULL));
}

static void names_and_regions(void **state)
{
    (void)state;
    assert_string_equal(prefecture_name("13"), "東京都");
    assert_string_equal(prefecture_region("13"), "関東地方");
    assert_string_equal(prefecture_region("01"), "北海道地方");
    assert_string_equal(prefecture_region("24"), "近畿地方");   /* 三重県, in the eight-region division (八地方区分) */
    assert_string_equal(prefecture_region("47"), "九州・沖縄地方");
    assert_null(prefecture_name("48"));
    assert_null(prefecture_region(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(addresses_give_their_prefecture),
        cmocka_unit_test(names_and_regions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
