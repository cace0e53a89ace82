/* formats/fhirtime: FHIR time values as ranges (search semantics, R1.1's
 * effective time). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "formats/fhirtime.h"
#include "util/clock.h"

#define JST (9 * 60)
/* 2024-05-01T00:00:00Z */
#define T0 1714521600000LL

static void ranges_follow_precision(void **state)
{
    (void)state;
    int64_t lo, hi;
    assert_int_equal(fhirtime_parse("2024-05-01T00:00:00Z", 0, JST, &lo, &hi), 0);
    assert_int_equal(lo, T0);
    assert_int_equal(hi, T0 + 999);
    assert_int_equal(fhirtime_parse("2024-05-01T09:00:00+09:00", 0, JST, &lo, &hi), 0);
    assert_int_equal(lo, T0);
    assert_int_equal(fhirtime_parse("2024-05-01T00:00:00.25Z", 0, JST, &lo, &hi), 0);
    assert_int_equal(lo, T0 + 250);
    assert_int_equal(hi, T0 + 259);
    /* Dates are days in Japan's zone. */
    assert_int_equal(fhirtime_parse("2024-05-01", 0, JST, &lo, &hi), 0);
    assert_int_equal(lo, T0 - 9 * 3600000LL);
    assert_int_equal(hi, T0 + 15 * 3600000LL - 1);
    assert_int_equal(fhirtime_parse("2024-05", 0, 0, &lo, &hi), 0);
    assert_int_equal(lo, T0);
    assert_int_equal(hi, T0 + 31 * 86400000LL - 1);
    assert_int_equal(fhirtime_parse("2024", 0, 0, &lo, &hi), 0);
    assert_int_equal(hi - lo + 1, 366 * 86400000LL);
    assert_int_equal(fhirtime_parse("2024-02-29", 0, 0, &lo, &hi), 0);
}

static void invalid_values_refused(void **state)
{
    (void)state;
    int64_t lo, hi;
    const char *bad[] = {"", "24", "2024-13", "2023-02-29", "2024-04-31", "2024-05-01T10:00:00",
                         "2024-05-01T24:00:00Z", "2024-05-01T10:00Z", "2024-05-01T10:00:00+9:00",
                         "2024-05-01T10:00:00.Z", "2024-05-01 10:00:00Z", "2024-05-01T10:00:00Zjunk",
                         "0000", "abcd"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(fhirtime_parse(bad[i], FHIRTIME_DATETIME, JST, &lo, &hi), -1);
}

static void search_allows_minutes(void **state)
{
    (void)state;
    int64_t lo, hi;
    assert_int_equal(fhirtime_parse("2024-05-01T00:00Z", FHIRTIME_SEARCH, JST, &lo, &hi), 0);
    assert_int_equal(lo, T0);
    assert_int_equal(hi, T0 + 59999);
}

/* R1.1: a UTC evening is the next morning in Japan, and its day is Japan's. */
static void japan_day_is_the_day_in_japan(void **state)
{
    (void)state;
    int64_t lo, hi;
    char text[32];
    assert_int_equal(fhirtime_parse("2026-11-30T15:00:00Z", FHIRTIME_DATETIME, JST, &lo, &hi), 0);
    clock_format_ja_day(lo, JST, text);
    assert_string_equal(text, "2026年12月1日");
    clock_format_ja_day(lo - 1000, JST, text);
    assert_string_equal(text, "2026年11月30日");
    clock_format_local(lo, JST, text);
    assert_string_equal(text, "2026-12-01T00:00:00+09:00");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ranges_follow_precision),
        cmocka_unit_test(invalid_values_refused),
        cmocka_unit_test(search_allows_minutes),
        cmocka_unit_test(japan_day_is_the_day_in_japan),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
