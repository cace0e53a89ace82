/* Allocation failures (issue 17 items 5 and 8, R2.9): every allocation a
 * parser of outside input or a writer of an answer makes is failed in
 * turn, and each failure must come back as an error — never a crash, a
 * leak (ASan checks at exit), a half-filled result reported as whole, or
 * a buffer holding text with a hole in it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "alloc_fail.h"
#include "formats/cda.h"
#include "formats/cda_schema.h"
#include "formats/device_csv.h"
#include "formats/fhir_import.h"
#include "formats/jahis.h"
#include "formats/omh.h"
#include "formats/policy.h"
#include "http/fault_answer.h"
#include "util/buf.h"
#include "util/fault.h"

#define NOW 1800000000000LL

struct input {
    char *data;
    size_t len;
};

static struct input slurp(const char *rel)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", PHR_SOURCE_DIR, rel);
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    struct input in = {0};
    struct buf b = {0};
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        assert_int_equal(buf_append(&b, chunk, n), 0);
    fclose(f);
    in.len = b.len;
    in.data = b.data;
    return in;
}

/* Runs fn with its k-th allocation failing, for k = 1, 2, … until a run
 * needs no failure; every run that met a failure must report one. */
static void each_allocation_fails(const char *what, int (*fn)(const struct input *), const struct input *in)
{
    long k;
    for (k = 1;; k++) {
        alloc_fail_after(k, 0);
        int rc = fn(in);
        long hit = alloc_failed();
        alloc_fail_after(0, 0);
        if (!hit) {
            if (rc != 0)
                fail_msg("%s: fails with no allocation failing", what);
            break;
        }
        if (rc == 0)
            fail_msg("%s: allocation %ld failed, yet it reported success", what, k);
    }
    if (k == 1)
        fail_msg("%s: allocates nothing of its own, so the countdown tried nothing", what);
}

static int jahis(const struct input *in)
{
    struct jahis_doc d;
    struct fault fault;
    if (jahis_read(in->data, in->len, &d, &fault))
        return -1;
    jahis_doc_free(&d);
    return 0;
}

static int cda(const struct input *in)
{
    struct cda_checkup c;
    struct fault fault;
    if (cda_read(in->data, in->len, &c, &fault))
        return -1;
    cda_checkup_free(&c);
    return 0;
}

static int fhir(const struct input *in)
{
    struct fhir_doc d;
    struct fault fault;
    if (fhir_import_read(in->data, in->len, NOW, &d, &fault))
        return -1;
    fhir_doc_free(&d);
    return 0;
}

static int csv(const struct input *in)
{
    struct csv_vitals c;
    struct fault fault;
    if (csv_read(in->data, in->len, NOW, &c, &fault))
        return -1;
    csv_vitals_free(&c);
    return 0;
}

static int omh(const struct input *in)
{
    struct csv_vitals c;
    struct fault fault;
    if (omh_read(in->data, in->len, NOW, &c, &fault))
        return -1;
    csv_vitals_free(&c);
    return 0;
}

static int policy(const struct input *in)
{
    struct policy_set set;
    struct fault fault;
    if (policy_parse(in->data, in->len, POLICY_TEXTS_IN_FILES, &set, &fault))
        return -1;
    policy_free(&set);
    return 0;
}

/* A writer checks its buffer once: a failed append anywhere shows. */
static int outcome(const struct input *in)
{
    struct buf b = {0};
    struct fault fault;
    fault_set(&fault, F_CONSENT_REQUIRED, "Observation.code", "%.*s", (int)(in->len > 200 ? 200 : in->len), in->data);
    int rc = fault_body(&fault, 1, 0, &b) || !strstr(buf_cstr(&b), "OperationOutcome") ? -1 : 0;
    if (!rc && (fault_body(&fault, 0, 1, &b) || !strstr(buf_cstr(&b), "\"code\":\"consent-required\"")))
        rc = -1;
    buf_free(&b);
    return rc;
}

static void parsers_and_writers(void **state)
{
    (void)state;
    assert_int_equal(cda_schema_load(), 0);
    static const struct {
        const char *what, *file;
        int (*fn)(const struct input *);
    } cases[] = {
        {"JAHIS お薬手帳", "tests/fixtures/jahis/tc-with-otc-components-and-remaining-medicine.txt", jahis},
        {"特定健診 CDA", "tests/fixtures/tokutei-synthetic.xml", cda},
        {"FHIR checkup document", "tests/fixtures/eCheckupReport-Sample-01.json", fhir},
        {"device CSV", "fuzz/seeds/vitals/device-ja.csv", csv},
        {"Open mHealth", "fuzz/seeds/vitals/open-mhealth.json", omh},
        {"FHIR vital sign", "fuzz/seeds/vitals/Observation-blood-pressure.json", fhir},
        {"policy manifest", "fuzz/seeds/consent/manifest.json", policy},
        {"OperationOutcome", "fuzz/seeds/vitals/Observation-blood-pressure.json", outcome},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct input in = slurp(cases[i].file);
        each_allocation_fails(cases[i].what, cases[i].fn, &in);
        free(in.data);
    }
}

/* After one failed append, every later append fails and adds nothing:
 * the text never has a hole, and one check at the end finds it. */
static void buffer_errors_are_sticky(void **state)
{
    (void)state;
    struct buf b = {0};
    assert_int_equal(buf_puts(&b, "{\"a\":"), 0);
    size_t before = b.len;
    alloc_fail_after(1, 0);
    char big[1024];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(buf_json_str(&b, big), -1);
    alloc_fail_after(0, 0);
    assert_true(buf_failed(&b));
    assert_int_equal(buf_puts(&b, "1}"), -1); /* room enough, but the text would have a hole */
    assert_int_equal(buf_printf(&b, "%d", 7), -1);
    assert_true(b.len <= before + 1);
    assert_null(strstr(buf_cstr(&b), "1}"));
    buf_reset(&b);
    assert_false(buf_failed(&b));
    assert_int_equal(buf_puts(&b, "ok"), 0);
    assert_string_equal(buf_cstr(&b), "ok");
    buf_free(&b);
    /* Persisting failures: every allocation from the first on. */
    alloc_fail_after(1, 1);
    struct buf c = {0};
    assert_int_equal(buf_puts(&c, "x"), -1);
    assert_int_equal(buf_puts(&c, "y"), -1);
    assert_true(alloc_failed() >= 1);
    alloc_fail_after(0, 0);
    assert_true(buf_failed(&c));
    buf_free(&c);
    assert_false(buf_failed(&c));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(buffer_errors_are_sticky),
        cmocka_unit_test(parsers_and_writers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
