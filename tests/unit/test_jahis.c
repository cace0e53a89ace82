/* formats/jahis: the お薬手帳 reader's edges that the API tests do not
 * reach cheaply — era dates and leap days, the byte forms a text arrives
 * in, split-part bookkeeping, and limits. (R4.2) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "formats/jahis.h"

#define HEAD "JAHISTC08,1\n1,山田 太郎,1,19800101\n"
#define DRUG "201,1,薬,1,錠,1,,1\n301,1,朝食後,7,日分,1,1,,1\n"

static int read_text(const char *text, struct jahis_doc *d, struct fault *fault)
{
    return jahis_read(text, strlen(text), d, fault);
}

static void dispensed_on(const char *date, const char *want)
{
    char text[256];
    snprintf(text, sizeof text, HEAD "5,%s,1\n" DRUG, date);
    struct jahis_doc d;
    struct fault fault;
    if (!want) {
        assert_int_equal(read_text(text, &d, &fault), -1);
        assert_non_null(strstr(fault.detail, "dispensing date"));
        return;
    }
    assert_int_equal(read_text(text, &d, &fault), 0);
    assert_string_equal(d.dispensings[0].date, want);
    jahis_doc_free(&d);
}

static void dates_western_and_era(void **state)
{
    (void)state;
    dispensed_on("20240229", "2024-02-29");
    dispensed_on("20230229", NULL);
    dispensed_on("R010501", "2019-05-01");
    dispensed_on("H310430", "2019-04-30");
    dispensed_on("S640107", "1989-01-07");
    dispensed_on("R060229", "2024-02-29");
    dispensed_on("R050229", NULL);
    dispensed_on("R000101", NULL);
    dispensed_on("X020101", NULL);
    dispensed_on("2024131", NULL);
    dispensed_on("20241301", NULL);
    dispensed_on("", NULL);
}

static void byte_forms(void **state)
{
    (void)state;
    struct jahis_doc d;
    struct fault fault;
    /* BOM, CRLF, an MS-DOS end-of-file mark, blank lines: the same text. */
    const char *t = "\xEF\xBB\xBF" "JAHISTC08,1\r\n\r\n1,山田 太郎,1,19800101\r\n5,20260310,1\r\n"
                    "201,1,薬,1,錠,1,,1\r\n301,1,朝食後,7,日分,1,1,,1\r\n\x1A";
    assert_int_equal(read_text(t, &d, &fault), 0);
    assert_int_equal(d.ndispensings, 1);
    assert_string_equal(d.dispensings[0].drugs[0].name, "薬");
    assert_string_equal(d.dispensings[0].rps[0].unit, "日分");
    jahis_doc_free(&d);
    /* Shift_JIS: 薬 is 0x96 0xF2. */
    const char sj[] = "JAHISTC08,1\n1,\x8E\x52\x93\x63,1,19800101\n5,20260310,1\n201,1,\x96\xF2,1,\x8F\xF9,1,,1\n"
                      "301,1,x,7,d,1,1,,1\n";
    assert_int_equal(jahis_read(sj, sizeof sj - 1, &d, &fault), 0);
    assert_string_equal(d.dispensings[0].drugs[0].name, "薬");
    assert_string_equal(d.dispensings[0].drugs[0].unit, "錠");
    jahis_doc_free(&d);
    assert_int_equal(jahis_read("JAHISTC08,1\n1,a\0b", 17, &d, &fault), -1);
    assert_non_null(strstr(fault.detail, "NUL"));
    assert_int_equal(read_text("", &d, &fault), -1);
    assert_non_null(strstr(fault.detail, "empty"));
    assert_int_equal(read_text("1,山田 太郎,1,19800101\n", &d, &fault), -1);
    assert_non_null(strstr(fault.detail, "first line must be the version record"));
    assert_true(jahis_sniff("\xEF\xBB\xBFJAHISTC08,1", 15));
    assert_false(jahis_sniff("JAHIS", 5));
}

static void split_parts(void **state)
{
    (void)state;
    struct jahis_doc d;
    struct fault fault;
    const char *three = HEAD "5,20260310,1\n" DRUG "911,12345678901234,3,3\n"
                        HEAD "5,20260301,1\n" DRUG "911,12345678901234,3,1\n"
                        HEAD "5,20260201,1\n" DRUG "911,12345678901234,3,2\n";
    assert_int_equal(read_text(three, &d, &fault), 0);
    assert_int_equal(d.parts, 3);
    assert_int_equal(d.ndispensings, 3);
    assert_string_equal(d.dispensings[0].date, "2026-03-01"); /* part 1 first */
    assert_string_equal(d.dispensings[2].date, "2026-03-10");
    jahis_doc_free(&d);
    const char *other = HEAD "5,20260310,1\n" DRUG "911,12345678901234,2,1\n"
                        "JAHISTC08,1\n1,鈴木 花子,2,19900101\n5,20260301,1\n" DRUG "911,12345678901234,2,2\n";
    assert_int_equal(read_text(other, &d, &fault), -1);
    assert_non_null(strstr(fault.detail, "another patient"));
    const char *beyond = HEAD "5,20260310,1\n" DRUG "911,12345678901234,2,3\n";
    assert_int_equal(read_text(beyond, &d, &fault), -1);
    assert_non_null(strstr(fault.detail, "part number"));
    const char *unmarked = HEAD "5,20260310,1\n" DRUG HEAD "5,20260301,1\n" DRUG;
    assert_int_equal(read_text(unmarked, &d, &fault), -1);
    assert_non_null(strstr(fault.detail, "no split control record"));
    const char *mixed = HEAD "5,20260310,1\n" DRUG "911,12345678901234,2,1\n"
                        HEAD "5,20260301,1\n" DRUG "911,99999999999999,2,2\n";
    assert_int_equal(read_text(mixed, &d, &fault), -1);
    assert_non_null(strstr(fault.detail, "different split data"));
}

static void limits(void **state)
{
    (void)state;
    struct jahis_doc d;
    struct fault fault;
    char wide[512];
    snprintf(wide, sizeof wide, HEAD "5,20260310,1\n501%s\n", ",x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x");
    assert_int_equal(read_text(wide, &d, &fault), -1);
    assert_non_null(strstr(fault.detail, "more than"));
    assert_int_equal(jahis_read("JAHISTC08,1", JAHIS_MAX_BYTES + 1, &d, &fault), -1);
    assert_int_equal(fault.code, F_TOO_LARGE);
    /* Unknown records are refused; the mapped-out ones only counted (a
     * remark only when it is neither an allergy nor a side effect). */
    assert_int_equal(read_text(HEAD "5,20260310,1\n" DRUG "999,x\n", &d, &fault), -1);
    assert_non_null(strstr(fault.detail, "record 999"));
    assert_int_equal(read_text(HEAD "2,1,卵,1\n2,3,虫垂炎,1\n4,メモ,20260310,2\n5,20260310,1\n" DRUG "701,a,b,c,,,1\n", &d,
                               &fault),
                     0);
    assert_int_equal(d.unmapped, 3);
    assert_int_equal(d.nremarks, 2);
    assert_int_equal(d.remarks[0].kind, JAHIS_ALLERGY);
    assert_string_equal(d.remarks[0].text, "卵");
    jahis_doc_free(&d);
    /* A remark of a kind JAHIS does not define, or without its text, is refused. */
    assert_int_equal(read_text(HEAD "2,5,卵,1\n", &d, &fault), -1);
    assert_non_null(strstr(fault.detail, "remark kind '5'"));
    assert_int_equal(read_text(HEAD "2,1,,1\n", &d, &fault), -1);
    assert_non_null(strstr(fault.detail, "text is missing"));
    assert_int_equal(read_text(HEAD "5,20260310,1\n" DRUG "2,1,卵,1\n", &d, &fault), -1);
    assert_non_null(strstr(fault.detail, "before the dispensings"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(dates_western_and_era),
        cmocka_unit_test(byte_forms),
        cmocka_unit_test(split_parts),
        cmocka_unit_test(limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
