/* formats/device_csv: measurements as CSV (R4.2) — header names in either
 * language, RFC 4180 quoting, the export's own columns, and the refusals;
 * the buffers are not NUL-terminated, as request bodies are not (the first
 * fuzzing run found a read past the end). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "formats/device_csv.h"

#define NOW 1800000000000LL

/* The text in a heap block of exactly its length, so that ASan sees any
 * read past the end. */
static int read_exact(const char *text, struct csv_vitals *c, struct fault *fault)
{
    size_t n = strlen(text);
    char *copy = malloc(n ? n : 1);
    assert_non_null(copy);
    memcpy(copy, text, n);
    int rc = csv_read(copy, n, NOW, c, fault);
    free(copy);
    return rc;
}

/* Measurement k as it will be stored: its kind's code and its source. */
static void expect(const struct csv_vitals *c, size_t k, const char *code, const char *source)
{
    struct vital v;
    struct fault fault;
    assert_int_equal(csv_vital_open(c, k, &v, &fault), 0);
    if (code)
        assert_string_equal(v.kind->code, code);
    if (source)
        assert_string_equal(v.source, source);
    vital_free(&v);
}

static void devices_in_japanese(void **state)
{
    (void)state;
    struct csv_vitals c;
    struct fault fault;
    const char *t = "\xEF\xBB\xBF測定日時,最高血圧(mmHg),最低血圧(mmHg),脈拍(bpm),体重(kg),歩数,メモ\r\n"
                    "2026/11/01 07:00,128,84,66,61.2,8000,\"朝, 起床後 \"\"良好\"\"\"\r\n"
                    "\r\n"
                    "2026/11/02 07:00:30,,,,,9500,";
    assert_int_equal(read_exact(t, &c, &fault), 0);
    assert_int_equal(c.rows, 2);
    assert_int_equal(c.n, 5); /* BP, pulse, weight, steps; steps */
    expect(&c, 0, "85354-9", "device");
    expect(&c, 4, "55423-8", NULL);
    csv_vitals_free(&c);
    assert_true(csv_sniff(t, strlen(t)));
    assert_false(csv_sniff("name,value\n", 11));
}

static void the_export_comes_back(void **state)
{
    (void)state;
    struct csv_vitals c;
    struct fault fault;
    const char *t = "effective,code_system,code,name,value,unit,systolic,diastolic,category,source,recorded_at\r\n"
                    "2026-11-01T07:00:00+09:00,http://loinc.org,85354-9,,,mm[Hg],128,84,vital-signs,self-measured,x\r\n"
                    "2026-11-01T07:00:00+09:00,http://loinc.org,29463-7,体重,61.5,kg,,,vital-signs,device,x\r\n"
                    "2026-10-15,urn:oid:1.2.392.200119.6.1005,9N001000000000001,身長,158.2,cm,,,laboratory,insurer,x\r\n";
    assert_int_equal(read_exact(t, &c, &fault), 0);
    assert_int_equal(c.n, 2);
    assert_int_equal(c.skipped, 0);
    /* The checkup result, for the FHIR reader to check against the item table. */
    assert_int_equal(c.ncheckups, 1);
    assert_int_equal(c.checkup_lines[0], 4);
    assert_non_null(strstr(buf_cstr(&c.checkups), "\"code\":\"9N001000000000001\",\"display\":\"身長\"}]},"
                                                 "\"effectiveDateTime\":\"2026-10-15\",\"valueQuantity\":{\"value\":158.2,"
                                                 "\"unit\":\"cm\""));
    expect(&c, 0, NULL, "self-measured");
    expect(&c, 1, NULL, "device");
    csv_vitals_free(&c);
}

static void refused(const char *text, const char *why)
{
    struct csv_vitals c;
    struct fault fault;
    assert_int_equal(read_exact(text, &c, &fault), -1);
    if (!strstr(fault.detail, why))
        fail_msg("'%s' does not say '%s'", fault.detail, why);
}

static void refusals(void **state)
{
    (void)state;
    refused("effective,weight\n2026-11-01T07:00:00+09:00,\"61", "not closed");
    refused("name,weight\nx,61\n", "no date-and-time column");
    refused("effective,systolic,diastolic\n2026/11/01 07:00,128,\n", "both systolic and diastolic");
    refused("effective,weight\n2026/11/01 07:00,sixty\n", "'sixty' is not a number");
    refused("effective,weight\n2026/11/01 07:00,900\n", "line 2:");
    refused("effective,weight\n2999/11/01 07:00,60\n", "line 2:");
    refused("effective,weight\n2026/11/01 07:00,60,1\n", "more fields than the header");
    refused("effective,weight\n,60\n", "line 2: the date and time");
    refused("effective,weight\n", "no measurement");
    refused("effective,code,value\n2026/11/01 07:00,8867-4,60\n", "needs a numeric value and a unit");
    refused("effective,a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q,r,s,t,u,v,w,x,y,z,A,B,C,D,E,F\n", "more than 32 columns");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(devices_in_japanese),
        cmocka_unit_test(the_export_comes_back),
        cmocka_unit_test(refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
