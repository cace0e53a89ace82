/* anon/: the anonymisation engine on a table small enough to work out by
 * hand (R3.13). Six people, age and sex quasi-identifiers, a disease:
 *
 *   31 M flu · 32 M cold · 37 F flu · 38 F cancer · 45 M flu · 46 M cold
 *   age: 31,32 → 30-34 → 30-39 → *;  37,38 → 35-39 → 30-39 → *;
 *        45,46 → 45-49 → 40-49 → *;  sex: M, F → *
 *
 * k=2: (age 1, sex 0) gives three pairs; age 0 and (0,1) give singletons,
 * so (1,0) is the only lowest solution. DM* 4+4+4 = 12; entropy: every age
 * shares its band with one other, 6 × log2(2) = 6.
 * k=3 with 2 rows to suppress: (2,1) keeps 30-39 (4) and drops 40-49 (2);
 * (3,0) keeps M (4) and drops F (2); (1,1) and (2,0) drop all. Both have
 * DM* 16+4 = 20 and entropy 6·log2 6: a tie, broken towards the smaller
 * first level, (2,1).
 * Distinct 3-diversity of the disease: (2,1)'s 40-49 has two diseases,
 * (3,0)'s M has two; only (3,1) has three in its one group.
 * Recursive (2,2): each pair of (1,0) has two diseases once each,
 * 1 < 2 × 1. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "anon/anonymise.h"

static const char TABLE[] = "\xEF\xBB\xBF" "age;sex;disease\r\n31;M;flu\r\n32;M;cold\r\n37;F;flu\r\n38;F;\"can;\"\"cer\"\"\"\r\n"
                            "45;M;flu\r\n46;M;cold\r\n\r\n";
static const char AGES[] = "31;30-34;30-39;*\n32;30-34;30-39;*\n37;35-39;30-39;*\n38;35-39;30-39;*\n"
                           "45;45-49;40-49;*\n46;45-49;40-49;*\n99;95-99;90-99;*\n";
static const char SEXES[] = "M;*\nF;*\n";

struct fixture {
    struct anon_table t;
    struct anon_hierarchy h[2];
    size_t qi[2];
};

/* The text in a heap block of exactly its length, so that ASan sees any
 * read past the end (the readers never look for a NUL). */
static char *exact(const char *text, size_t *n)
{
    *n = strlen(text);
    char *copy = malloc(*n ? *n : 1);
    assert_non_null(copy);
    memcpy(copy, text, *n);
    return copy;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    struct anon_error e;
    size_t n;
    char *text = exact(TABLE, &n);
    assert_int_equal(anon_table_read(text, n, ';', &f->t, &e), 0);
    free(text);
    f->qi[0] = 0;
    f->qi[1] = 1;
    text = exact(AGES, &n);
    assert_int_equal(anon_hierarchy_read(text, n, ';', &f->t, 0, &f->h[0], &e), 0);
    free(text);
    text = exact(SEXES, &n);
    assert_int_equal(anon_hierarchy_read(text, n, ';', &f->t, 1, &f->h[1], &e), 0);
    free(text);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    anon_hierarchy_free(&f->h[0]);
    anon_hierarchy_free(&f->h[1]);
    anon_table_free(&f->t);
    free(f);
    return 0;
}

static struct anon_config config(struct fixture *f, uint32_t k, enum anon_metric metric)
{
    return (struct anon_config){.n_qi = 2, .qi = f->qi, .h = f->h, .sensitive = 2, .k = k, .metric = metric,
                                .gs_factor = 0.5};
}

static void expect(struct fixture *f, const struct anon_config *cfg, uint32_t age, uint32_t sex, double loss,
                   size_t suppressed)
{
    struct anon_result r;
    struct anon_error e;
    assert_int_equal(anon_run(&f->t, cfg, &r, &e), 0);
    assert_true(r.found);
    assert_int_equal(r.levels[0], age);
    assert_int_equal(r.levels[1], sex);
    assert_true(fabs(r.loss - loss) < 1e-9);
    assert_int_equal(r.suppressed, suppressed);
    assert_int_equal(r.nodes, 8);
    anon_result_free(&r);
}

static void reads_arx_files(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(f->t.rows, 6);
    assert_int_equal(f->t.cols, 3);
    assert_string_equal(f->t.names[0], "age");
    assert_string_equal(f->t.dicts[2].text[f->t.cells[3 * 3 + 2]], "can;\"cer\"");
    assert_int_equal(f->h[0].levels, 4);
    assert_int_equal(f->h[0].n, 6);
    assert_int_equal(anon_table_column(&f->t, "disease"), 2);
    assert_int_equal(anon_table_column(&f->t, "weight"), -1);
}

static void k2_both_metrics(void **state)
{
    struct fixture *f = *state;
    struct anon_config cfg = config(f, 2, ANON_DISCERNIBILITY);
    expect(f, &cfg, 1, 0, 12, 0);
    cfg.metric = ANON_ENTROPY;
    expect(f, &cfg, 1, 0, 6, 0);
    /* A gs-factor above 0.5 weighs generalisation down, not the choice. */
    cfg.gs_factor = 0.75;
    expect(f, &cfg, 1, 0, 3, 0);
}

static void k3_suppression_and_ties(void **state)
{
    struct fixture *f = *state;
    struct anon_config cfg = config(f, 3, ANON_DISCERNIBILITY);
    expect(f, &cfg, 3, 1, 36, 0);
    cfg.suppression = 0.34; /* 2 rows of 6 */
    expect(f, &cfg, 2, 1, 20, 2);
}

static void diversity(void **state)
{
    struct fixture *f = *state;
    struct anon_config cfg = config(f, 2, ANON_DISCERNIBILITY);
    cfg.diversity = ANON_DISTINCT;
    cfg.l = 3;
    expect(f, &cfg, 3, 1, 36, 0);
    cfg.diversity = ANON_RECURSIVE;
    cfg.l = 2;
    cfg.c = 2;
    expect(f, &cfg, 1, 0, 12, 0);
    /* Four diseases never meet in a group: nothing to find. */
    cfg.diversity = ANON_DISTINCT;
    cfg.l = 4;
    struct anon_result r;
    struct anon_error e;
    assert_int_equal(anon_run(&f->t, &cfg, &r, &e), 0);
    assert_false(r.found);
    anon_result_free(&r);
}

static void writes_the_table(void **state)
{
    struct fixture *f = *state;
    struct anon_config cfg = config(f, 3, ANON_DISCERNIBILITY);
    cfg.suppression = 0.34;
    struct anon_result r;
    struct anon_error e;
    struct buf out = {0};
    assert_int_equal(anon_run(&f->t, &cfg, &r, &e), 0);
    assert_int_equal(anon_write(&f->t, &cfg, &r, ';', &out), 0);
    assert_string_equal(buf_cstr(&out), "age;sex;disease\n30-39;*;flu\n30-39;*;cold\n30-39;*;flu\n30-39;*;\"can;\"\"cer\"\"\"\n"
                                        "*;*;flu\n*;*;cold\n");
    buf_free(&out);
    anon_result_free(&r);
}

static void refuses_bad_configurations(void **state)
{
    struct fixture *f = *state;
    struct anon_result r;
    struct anon_error e;
    struct anon_config cfg = config(f, 7, ANON_ENTROPY);
    assert_int_equal(anon_run(&f->t, &cfg, &r, &e), -1);
    assert_non_null(strstr(e.msg, "k (7) is larger than the table's 6 rows"));
    cfg = config(f, 2, ANON_ENTROPY);
    cfg.diversity = ANON_DISTINCT;
    cfg.l = 1;
    assert_int_equal(anon_run(&f->t, &cfg, &r, &e), -1);
    assert_non_null(strstr(e.msg, "l must be 2 or more"));
    cfg = config(f, 2, ANON_ENTROPY);
    cfg.sensitive = 0;
    cfg.diversity = ANON_DISTINCT;
    cfg.l = 2;
    assert_int_equal(anon_run(&f->t, &cfg, &r, &e), -1);
    assert_non_null(strstr(e.msg, "cannot be a quasi-identifier"));
}

static void refuses_bad_files(void **state)
{
    struct fixture *f = *state;
    struct anon_table t;
    struct anon_hierarchy h;
    struct anon_error e;
    const struct {
        const char *table, *want;
    } tables[] = {
        {"", "the table is empty"},
        {"a;b\n", "a header but no rows"},
        {"a;a\n1;2\n", "two columns are named \"a\""},
        {"a;\n1;2\n", "column 2 has no name"},
        {"a;b\n1;2\n3\n", "line 3: 1 field(s), but the header names 2 columns"},
        {"a;b\n1;\"2\"x\n", "line 2: text after a closing quote"},
        {"a;b\n1;\xff\n", "line 2: field 2 is not UTF-8 text"},
    };
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        size_t n;
        char *text = exact(tables[i].table, &n);
        assert_int_equal(anon_table_read(text, n, ';', &t, &e), -1);
        free(text);
        if (!strstr(e.msg, tables[i].want))
            fail_msg("%s: %s", tables[i].want, e.msg);
    }
    size_t n;
    char *text = exact("31;30-34;30-39;*\n31;30-34;30-39;*\n", &n);
    assert_int_equal(anon_hierarchy_read(text, n, ';', &f->t, 0, &h, &e), -1);
    free(text);
    assert_non_null(strstr(e.msg, "line 2: \"31\" has a row already"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(reads_arx_files, setup, teardown),
        cmocka_unit_test_setup_teardown(k2_both_metrics, setup, teardown),
        cmocka_unit_test_setup_teardown(k3_suppression_and_ties, setup, teardown),
        cmocka_unit_test_setup_teardown(diversity, setup, teardown),
        cmocka_unit_test_setup_teardown(writes_the_table, setup, teardown),
        cmocka_unit_test_setup_teardown(refuses_bad_configurations, setup, teardown),
        cmocka_unit_test_setup_teardown(refuses_bad_files, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
