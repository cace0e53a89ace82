/* bench/anonymise: the anonymisation engine (src/anon), for scripts/bench.sh.
 *   anonymise adult DIR     ARX's Adult data (DIR holds adult.csv and its
 *                           hierarchies): 8 quasi-identifiers, k=5, no
 *                           suppression, entropy; the search timed 21 times
 *                           after one warm-up, the median printed beside
 *                           ARX's published 28.4 ms for Flash (anonbench).
 *   anonymise synthetic N   N synthetic rows × 8 quasi-identifiers (the
 *                           kinds a checkup data set has), k=5, no
 *                           suppression: reading, the search, writing, and
 *                           the peak memory.
 * Prints "name value unit" lines. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "anon/anonymise.h"

static const char *ADULT_QI[] = {"sex", "age", "race", "marital-status", "education", "native-country", "workclass",
                                 "salary-class"};
#define QI 8

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    struct buf b = {0};
    char chunk[65536];
    size_t n;
    while (f && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_append(&b, chunk, n);
    if (f)
        fclose(f);
    if (!f || buf_failed(&b)) {
        fprintf(stderr, "anonymise: cannot read %s\n", path);
        exit(1);
    }
    *len = b.len;
    return b.data;
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return a < b ? -1 : a > b;
}

static void must(int failed, const struct anon_error *e)
{
    if (failed) {
        fprintf(stderr, "anonymise: %s\n", e->msg);
        exit(1);
    }
}

static int adult(const char *dir)
{
    struct anon_table t;
    struct anon_hierarchy h[QI];
    struct anon_error e;
    size_t qi[QI], len;
    char path[4096];
    snprintf(path, sizeof path, "%s/adult.csv", dir);
    char *text = slurp(path, &len);
    must(anon_table_read(text, len, ';', &t, &e), &e);
    free(text);
    /* In the table's column order, as the CLI orders them. */
    for (size_t a = 0; a < QI; a++) {
        qi[a] = (size_t)anon_table_column(&t, ADULT_QI[a]);
        snprintf(path, sizeof path, "%s/adult_hierarchy_%s.csv", dir, ADULT_QI[a]);
        text = slurp(path, &len);
        must(anon_hierarchy_read(text, len, ';', &t, qi[a], &h[a], &e), &e);
        free(text);
    }
    struct anon_config cfg = {.n_qi = QI, .qi = qi, .h = h, .sensitive = -1, .k = 5, .metric = ANON_ENTROPY,
                              .gs_factor = 0.5};
    double ms[21];
    struct anon_result r = {0};
    for (int i = -1; i < 21; i++) {
        anon_result_free(&r);
        double t0 = now_ms();
        must(anon_run(&t, &cfg, &r, &e), &e);
        if (i >= 0)
            ms[i] = now_ms() - t0;
    }
    qsort(ms, 21, sizeof ms[0], cmp_double);
    printf("adult_levels ");
    for (size_t a = 0; a < QI; a++)
        printf("%s%u", a ? "," : "", r.levels[a]);
    printf("\nadult_loss %.10g entropy\nadult_nodes_checked %zu of_%zu\nadult_ms %.2f median_of_21\n"
           "adult_ratio_to_arx %.2f of_28.4ms\n",
           r.loss, r.checked, r.nodes, ms[10], ms[10] / 28.4);
    anon_result_free(&r);
    for (size_t a = 0; a < QI; a++)
        anon_hierarchy_free(&h[a]);
    anon_table_free(&t);
    return 0;
}

/* Hierarchy text for values 0..n-1 generalised in bands of the given
 * widths (each a multiple of the one before), then "*". */
static void bands(struct buf *b, int n, const int *width, int levels)
{
    for (int v = 0; v < n; v++) {
        buf_printf(b, "%d", v);
        for (int l = 0; l < levels; l++)
            buf_printf(b, ";%d-%d", v / width[l] * width[l], v / width[l] * width[l] + width[l] - 1);
        buf_puts(b, ";*\n");
    }
}

static long peak_mb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1024;
}

static int synthetic(long rows)
{
    /* age, sex, prefecture, checkup year, BMI, systolic BP, smoking, insurer kind */
    static const int domain[QI] = {100, 2, 47, 10, 40, 60, 3, 5};
    static const int w_age[] = {5, 10, 20}, w_pref[] = {6, 24}, w_year[] = {2, 4}, w_bmi[] = {5, 10}, w_sys[] = {10, 20};
    static const struct {
        const int *w;
        int n;
    } shape[QI] = {{w_age, 3}, {NULL, 0}, {w_pref, 2}, {w_year, 2}, {w_bmi, 2}, {w_sys, 2}, {NULL, 0}, {NULL, 0}};
    struct buf text = {0};
    unsigned long long seed = 0x9e3779b97f4a7c15ull;
    buf_puts(&text, "age;sex;prefecture;year;bmi;systolic;smoking;insurer\n");
    for (long i = 0; i < rows; i++)
        for (int a = 0; a < QI; a++) {
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            /* Skewed towards low values, as real distributions are. */
            unsigned x = (unsigned)(seed >> 33) % (unsigned)domain[a], y = (unsigned)(seed >> 13) % (unsigned)domain[a];
            buf_printf(&text, "%u%c", x < y ? x : y, a + 1 < QI ? ';' : '\n');
        }
    if (buf_failed(&text))
        return 1;
    struct anon_table t;
    struct anon_hierarchy h[QI];
    struct anon_error e;
    size_t qi[QI];
    double t0 = now_ms();
    must(anon_table_read(text.data, text.len, ';', &t, &e), &e);
    double read_ms = now_ms() - t0;
    buf_free(&text);
    for (int a = 0; a < QI; a++) {
        struct buf hb = {0};
        bands(&hb, domain[a], shape[a].w, shape[a].n);
        qi[a] = (size_t)a;
        must(anon_hierarchy_read(hb.data, hb.len, ';', &t, qi[a], &h[a], &e), &e);
        buf_free(&hb);
    }
    struct anon_config cfg = {.n_qi = QI, .qi = qi, .h = h, .sensitive = -1, .k = 5, .suppression = 0,
                              .metric = ANON_ENTROPY, .gs_factor = 0.5};
    struct anon_result r;
    t0 = now_ms();
    must(anon_run(&t, &cfg, &r, &e), &e);
    double run_ms = now_ms() - t0;
    struct buf out = {0};
    t0 = now_ms();
    if (anon_write(&t, &cfg, &r, ';', &out))
        return 1;
    double write_ms = now_ms() - t0;
    printf("synthetic_rows %ld\nsynthetic_levels ", rows);
    for (int a = 0; a < QI; a++)
        printf("%s%u", a ? "," : "", r.levels[a]);
    printf("\nsynthetic_suppressed %zu rows\nsynthetic_nodes_checked %zu of_%zu\nsynthetic_read_ms %.0f\n"
           "synthetic_search_ms %.0f\nsynthetic_write_ms %.0f\nsynthetic_total_s %.2f of_5s\nsynthetic_peak_mb %ld\n",
           r.suppressed, r.checked, r.nodes, read_ms, run_ms, write_ms, (read_ms + run_ms + write_ms) / 1e3, peak_mb());
    buf_free(&out);
    anon_result_free(&r);
    for (int a = 0; a < QI; a++)
        anon_hierarchy_free(&h[a]);
    anon_table_free(&t);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "adult"))
        return adult(argv[2]);
    if (argc == 3 && !strcmp(argv[1], "synthetic"))
        return synthetic(atol(argv[2]));
    fprintf(stderr, "usage: anonymise adult DIR | anonymise synthetic ROWS\n");
    return 2;
}
