/* The error codes (issue 17 item 4, R2.9): every fault the service answers
 * is declared once with a stable code, a kind that decides its status, and
 * titles in Japanese and English that name no route; the bodies carry the
 * code where clients and the portal find it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "http/fault_answer.h"
#include "util/buf.h"
#include "util/fault.h"
#include "util/utf8.h"

/* Codes are what clients match on: lower-case words joined by '-', each
 * once. A code that went missing or doubled would change an API silently. */
static void codes_are_stable_names_each_once(void **state)
{
    (void)state;
    for (int c = F_NONE + 1; c < FAULT_CODES; c++) {
        const char *name = fault_def((enum fault_code)c)->name;
        if (!name[0] || strspn(name, "abcdefghijklmnopqrstuvwxyz-") != strlen(name) || name[0] == '-')
            fail_msg("code %d: '%s' is not a stable name", c, name);
        for (int d = c + 1; d < FAULT_CODES; d++)
            if (!strcmp(name, fault_def((enum fault_code)d)->name))
                fail_msg("'%s' is declared twice", name);
    }
}

/* A title is what the person reads: present in both languages, Japanese
 * really Japanese, and no route, header or status in either. */
static void titles_speak_to_people(void **state)
{
    (void)state;
    static const char *const technical[] = {"/api", "/fhir", "GET ", "POST ", "X-PHR", "Authorization", "HTTP"};
    for (int c = F_NONE + 1; c < FAULT_CODES; c++) {
        const struct fault_def *d = fault_def((enum fault_code)c);
        if (!d->title_en[0] || !d->title_ja[0])
            fail_msg("%s has no title in one language", d->name);
        if (!((unsigned char)d->title_ja[0] >= 0xE3))
            fail_msg("%s: the Japanese title '%s' does not start in Japanese", d->name, d->title_ja);
        for (size_t i = 0; i < sizeof technical / sizeof technical[0]; i++)
            if (strstr(d->title_en, technical[i]) || strstr(d->title_ja, technical[i]))
                fail_msg("%s: a title names '%s'", d->name, technical[i]);
    }
}

/* The kind, not the call site, decides the status. */
static void kinds_decide_statuses(void **state)
{
    (void)state;
    static const struct {
        enum fault_code code;
        int status;
    } want[] = {
        {F_MALFORMED, 400}, {F_BAD_REQUEST, 400}, {F_MISSING, 422}, {F_INVALID_VALUE, 422},
        {F_SIGN_IN_REQUIRED, 401}, {F_SESSION_EXPIRED, 401}, {F_FORBIDDEN, 403}, {F_CONSENT_REQUIRED, 403},
        {F_NOT_FOUND, 404}, {F_METHOD_NOT_ALLOWED, 405}, {F_NOT_ACCEPTABLE, 406}, {F_VERSION_CONFLICT, 409},
        {F_ERASURE_EXPIRED, 410}, {F_VERSION_MISMATCH, 412}, {F_TOO_LARGE, 413}, {F_URI_TOO_LONG, 414},
        {F_NOT_IMPORTABLE, 415}, {F_LOCKED_OUT, 429}, {F_INTERNAL, 500}, {F_BUSY, 503},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (fault_status(want[i].code) != want[i].status)
            fail_msg("%s answers %d, not %d", fault_def(want[i].code)->name, fault_status(want[i].code),
                     want[i].status);
    /* A fault nobody set is an internal error, never a success or a 4xx. */
    assert_int_equal(fault_status(F_NONE), 500);
    assert_int_equal(fault_status(FAULT_CODES), 500);
}

/* Both bodies carry the code, the title in the language asked for, the
 * detail, and the hint; the detail is JSON-escaped. */
static void bodies_carry_the_code(void **state)
{
    (void)state;
    struct fault f;
    fault_set(&f, F_CONSENT_REQUIRED, "purpose", "purpose \"%s\" is not granted", "care");
    struct buf b;
    buf_init(&b);
    assert_int_equal(fault_body(&f, 0, 0, &b), 0);
    const char *p = buf_cstr(&b);
    assert_non_null(strstr(p, "\"type\":\"urn:phr:error:consent-required\""));
    assert_non_null(strstr(p, "\"code\":\"consent-required\""));
    assert_non_null(strstr(p, "\"status\":403"));
    assert_non_null(strstr(p, "\"title\":\"利用目的への同意が必要です\""));
    assert_non_null(strstr(p, "\"detail\":\"purpose \\\"care\\\" is not granted\""));
    assert_non_null(strstr(p, "\"field\":\"purpose\""));
    assert_non_null(strstr(p, "\"hint\":\"the purposes of use are at GET /api/v1/policies"));
    buf_reset(&b);
    assert_int_equal(fault_body(&f, 1, 1, &b), 0);
    p = buf_cstr(&b);
    assert_non_null(strstr(p, "\"resourceType\":\"OperationOutcome\""));
    assert_non_null(strstr(p, "\"code\":\"forbidden\",\"details\":{\"coding\":[{\"system\":\"urn:phr:error\","
                              "\"code\":\"consent-required\"}],\"text\":\"Consent to the purposes of use is needed"));
    assert_non_null(strstr(p, "\"expression\":[\"purpose\"]"));
    buf_free(&b);
}

/* A name from a file cut to fit ("%.7s" of 体重計, the buffer's end) leaves
 * no half a character behind: the answer stays valid UTF-8 (R2.9). */
static void details_stay_utf8_when_cut(void **state)
{
    (void)state;
    struct fault f;
    fault_set(&f, F_UNKNOWN_CODE, NULL, "code %.7s here", "体重計");
    assert_string_equal(f.detail, "code 体重 here");
    char long_name[600];
    size_t n = 0;
    for (int i = 0; i < 150; i++, n += 3)
        memcpy(long_name + n, "体", 3);
    long_name[n] = '\0';
    fault_set(&f, F_UNKNOWN_CODE, NULL, "x%s", long_name);
    assert_true(utf8_valid(f.detail, strlen(f.detail)));
    assert_true(strlen(f.detail) >= sizeof f.detail - 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(codes_are_stable_names_each_once),
        cmocka_unit_test(titles_speak_to_people),
        cmocka_unit_test(kinds_decide_statuses),
        cmocka_unit_test(bodies_carry_the_code),
        cmocka_unit_test(details_stay_utf8_when_cut),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
