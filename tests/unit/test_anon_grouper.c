/* anon/grouper: the hash table under every check (R3.13). Two ways group
 * records — by the tuple's number in an array when coarse levels leave
 * few tuples (in two halves on two threads when the records are many), by
 * a hash table otherwise — and all must give the groups a sort gives:
 * three attributes of 1,500 values each have too many tuples to number
 * (3.4·10⁹), their bands of 100 (15 each) few enough. A run cut short at a
 * number of groups says so, and leaves the table as empty as a whole run
 * does. Once with few records, once with enough to be split. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "anon/grouper.h"
#include "anon/groups.h"
#include "util/buf.h"

#define Q 3

struct fixture {
    size_t rows;
    struct anon_table t;
    struct anon_hierarchy h[Q];
    struct anon_records r;
    size_t qi[Q];
};

static int setup_rows(void **state, size_t rows)
{
    struct fixture *f = calloc(1, sizeof *f);
    f->rows = rows;
    struct buf text = {0}, hier = {0};
    struct anon_error e;
    uint32_t seed = 12345;
    buf_puts(&text, "a;b;c\n");
    for (size_t i = 0; i < rows; i++) {
        for (int a = 0; a < Q; a++) {
            seed = seed * 1103515245u + 12345u;
            /* Skewed, so that groups are of many sizes. */
            buf_printf(&text, "%u%c", (seed >> 8) % 1500 * ((seed >> 20) % 3 ? 1 : 0), a + 1 < Q ? ';' : '\n');
        }
    }
    for (int v = 0; v < 1500; v++)
        buf_printf(&hier, "%d;%d-%d;*\n", v, v / 100 * 100, v / 100 * 100 + 99);
    assert_false(buf_failed(&text) || buf_failed(&hier));
    assert_int_equal(anon_table_read(text.data, text.len, ';', &f->t, &e), 0);
    for (size_t a = 0; a < Q; a++) {
        f->qi[a] = a;
        assert_int_equal(anon_hierarchy_read(hier.data, hier.len, ';', &f->t, a, &f->h[a], &e), 0);
    }
    struct anon_config cfg = {.n_qi = Q, .qi = f->qi, .h = f->h, .sensitive = -1, .k = 1};
    assert_int_equal(records_fold(&f->t, &cfg, &f->r), 0);
    buf_free(&text);
    buf_free(&hier);
    *state = f;
    return 0;
}

static int setup_few(void **state)
{
    return setup_rows(state, 3000);
}

/* Enough distinct records (more than grouper.c's SPLIT) for two threads. */
static int setup_many(void **state)
{
    return setup_rows(state, 150000);
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    records_free(&f->r);
    for (size_t a = 0; a < Q; a++)
        anon_hierarchy_free(&f->h[a]);
    anon_table_free(&f->t);
    free(f);
    return 0;
}

/* The records sorted by their tuple at the levels (qsort has no context:
 * the tuples are made first). */
struct keyed {
    uint32_t v[Q];
    uint32_t rec;
};

static int cmp_keyed(const void *x, const void *y)
{
    const struct keyed *a = x, *b = y;
    return memcmp(a->v, b->v, sizeof a->v);
}

/* The groups by sorting: records alike at the levels share a group, others
 * do not, and the sizes add up to the rows. */
static void check_levels(struct fixture *f, struct grouper *g, const uint32_t *levels)
{
    size_t n = f->r.n;
    uint32_t *rep = malloc(n * sizeof *rep), *group = malloc(n * sizeof *group), *first = malloc(n * sizeof *first);
    uint64_t *size = malloc(n * sizeof *size);
    struct keyed *k = calloc(n, sizeof *k);
    unsigned char *seen = calloc(n, 1);
    assert_non_null(rep && group && first && size && k && seen);
    for (size_t i = 0; i < n; i++) {
        rep[i] = (uint32_t)i;
        k[i].rec = (uint32_t)i;
        for (size_t a = 0; a < Q; a++)
            k[i].v[a] = f->h[a].map[(size_t)levels[a] * f->h[a].n + f->r.qi[i * Q + a]];
    }
    size_t groups = grouper_run(g, levels, rep, f->r.count, n, SIZE_MAX, group, first, size);
    assert_true(groups > 0 && groups <= n);
    qsort(k, n, sizeof *k, cmp_keyed);
    size_t distinct = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t id = group[k[i].rec];
        assert_true(id < groups);
        if (i && !cmp_keyed(&k[i], &k[i - 1])) {
            assert_int_equal(id, group[k[i - 1].rec]);
            continue;
        }
        distinct++;
        assert_false(seen[id]); /* a new tuple, a group not met before */
        seen[id] = 1;
    }
    assert_int_equal(groups, distinct);
    uint64_t rows = 0;
    for (size_t x = 0; x < groups; x++)
        rows += size[x];
    assert_int_equal(rows, f->rows);
    /* Cut short below the groups it has, and not at them; then whole again. */
    assert_int_equal(grouper_run(g, levels, rep, f->r.count, n, groups - 1, NULL, first, size), GROUPER_TOO_MANY);
    assert_int_equal(grouper_run(g, levels, rep, f->r.count, n, groups, NULL, first, size), groups);
    assert_int_equal(grouper_run(g, levels, rep, f->r.count, n, SIZE_MAX, NULL, first, size), groups);
    free(rep);
    free(group);
    free(first);
    free(size);
    free(k);
    free(seen);
}

static void every_way_gives_the_groups_a_sort_gives(void **state)
{
    struct fixture *f = *state;
    struct grouper *g = grouper_new(f->r.qi, Q, f->r.n, f->h);
    assert_non_null(g);
    /* Hashed: the first two; numbered: the rest. */
    static const uint32_t levels[][Q] = {{0, 0, 0}, {0, 0, 1}, {1, 1, 1}, {0, 1, 2}, {1, 0, 1}, {2, 2, 2}};
    for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++)
        check_levels(f, g, levels[i]);
    grouper_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(every_way_gives_the_groups_a_sort_gives, setup_few, teardown),
        cmocka_unit_test_setup_teardown(every_way_gives_the_groups_a_sort_gives, setup_many, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
