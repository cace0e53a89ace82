/* Anonymisation at the command line (R3.13; docs/anonymisation.md):
 *   phr anonymise csv --input FILE --hierarchy ATTR=FILE … [--sensitive ATTR]
 *                     --k K [--l L [--c C]] [--suppression SHARE]
 *                     [--metric entropy|discernibility] [--gs-factor F] [--out FILE]
 * over ARX's files, so that a result can be set beside ARX's on the same
 * data; and
 *   phr anonymise run --data DIR --spec FILE --out DIR
 * a data set from the service's checkups; and
 *   phr anonymise provide --data DIR --set NAME --recipient ID --table FILE --method TEXT
 * its provision recorded. Each prints one JSON object and writes its files
 * only when all went well. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anon/anonymise.h"
#include "cli/commands.h"
#include "crypto/digest.h"
#include "util/clock.h"

#define CSV_OPTS                                                                                              \
    (BIT(OPT_INPUT) | BIT(OPT_HIERARCHY) | BIT(OPT_SENSITIVE) | BIT(OPT_K) | BIT(OPT_L) | BIT(OPT_C) |         \
     BIT(OPT_SUPPRESSION) | BIT(OPT_METRIC) | BIT(OPT_GS_FACTOR) | BIT(OPT_OUT) | BIT(OPT_SEPARATOR) |          \
     BIT(OPT_LOG_LEVEL))

/* Files of any size the machine holds; a table of 10 million rows is ~500 MB. */
#define TABLE_MAX ((size_t)2 << 30)

struct qi {
    size_t col;
    struct anon_hierarchy h;
};

static int by_column(const void *x, const void *y)
{
    size_t a = ((const struct qi *)x)->col, b = ((const struct qi *)y)->col;
    return a < b ? -1 : a > b;
}

/* A number in [min, max] from an option, or def; -1 after saying why. */
static int real_option(const struct cli *c, enum opt_id id, const char *flag, double def, double min, double max,
                       double *out)
{
    const char *v = c->val[id];
    char *end;
    *out = def;
    if (!v)
        return 0;
    *out = strtod(v, &end);
    if (*v == '\0' || *end || !(*out >= min && *out <= max)) {
        fprintf(stderr, "phr anonymise: --%s must be a number from %g to %g, not '%s'\n", flag, min, max, v);
        return -1;
    }
    return 0;
}

static int read_hierarchies(const struct cli *c, const struct anon_table *t, char sep, struct qi *qi)
{
    for (int i = 0; i < c->n_many; i++) {
        const char *arg = c->many[i], *eq = strchr(arg, '=');
        if (!eq || eq == arg || !eq[1]) {
            fprintf(stderr, "phr anonymise: --hierarchy takes ATTR=FILE, not '%s'\n", arg);
            return -1;
        }
        char *name = strndup(arg, (size_t)(eq - arg));
        long col = name ? anon_table_column(t, name) : -1;
        if (col < 0) {
            fprintf(stderr, "phr anonymise: --hierarchy %s: the table has no column named '%s'\n", arg, name ? name : "");
            free(name);
            return -1;
        }
        free(name);
        qi[i].col = (size_t)col;
        for (int j = 0; j < i; j++)
            if (qi[j].col == qi[i].col) {
                fprintf(stderr, "phr anonymise: %s has two hierarchies\n", t->names[col]);
                return -1;
            }
        size_t len;
        char *text = read_small_file(eq + 1, TABLE_MAX, &len);
        struct anon_error e;
        if (!text)
            return -1;
        int rc = anon_hierarchy_read(text, len, sep, t, (size_t)col, &qi[i].h, &e);
        free(text);
        if (rc) {
            fprintf(stderr, "phr anonymise: %s: %s\n", eq + 1, e.msg);
            return -1;
        }
    }
    return 0;
}

/* Written beside the target and renamed over it: a failure leaves no half table. */
static int write_table(const char *path, const struct buf *b)
{
    struct buf tmp = {0};
    if (buf_printf(&tmp, "%s.tmp", path))
        return -1;
    FILE *f = fopen(buf_cstr(&tmp), "wb");
    int ok = f && fwrite(b->data, 1, b->len, f) == b->len;
    ok = f && !fclose(f) && ok;
    if (!ok || rename(buf_cstr(&tmp), path)) {
        fprintf(stderr, "phr anonymise: cannot write %s\n", path);
        remove(buf_cstr(&tmp));
        buf_free(&tmp);
        return -1;
    }
    buf_free(&tmp);
    return 0;
}

static void print_result(const struct anon_table *t, const struct anon_config *cfg, const struct anon_result *r,
                         double ms)
{
    struct buf o = {0};
    buf_printf(&o, "{\"found\":%s,\"levels\":{", r->found ? "true" : "false");
    for (size_t a = 0; r->found && a < cfg->n_qi; a++)
        buf_printf(&o, "%s", a ? "," : ""), buf_json_str(&o, t->names[cfg->qi[a]]), buf_printf(&o, ":%u", r->levels[a]);
    buf_printf(&o, "},\"information_loss\":%.17g,\"metric\":\"%s\",\"suppressed\":%zu,\"rows\":%zu,"
                   "\"nodes_checked\":%zu,\"lattice\":%zu,\"ms\":%.1f}",
               r->loss, cfg->metric == ANON_ENTROPY ? "entropy" : "discernibility", r->suppressed, t->rows, r->checked,
               r->nodes, ms);
    printf("%s\n", buf_failed(&o) ? "{}" : buf_cstr(&o));
    buf_free(&o);
}

static int configure(const struct cli *c, const struct anon_table *t, struct anon_config *cfg)
{
    long k = cli_number(c, OPT_K, 2, 1, 1000000000), l = cli_number(c, OPT_L, 0, 2, 1000000);
    double c_value;
    if (k < 0 || l < 0 || real_option(c, OPT_C, "c", 0, 0, 1e9, &c_value) ||
        real_option(c, OPT_SUPPRESSION, "suppression", 0, 0, 1, &cfg->suppression) ||
        real_option(c, OPT_GS_FACTOR, "gs-factor", 0.5, 0, 1, &cfg->gs_factor))
        return -1;
    if (cfg->suppression >= 1) {
        fprintf(stderr, "phr anonymise: --suppression is a share of the rows, from 0 to under 1\n");
        return -1;
    }
    cfg->k = (uint32_t)k;
    cfg->l = (uint32_t)l;
    cfg->c = c_value;
    cfg->diversity = !l ? ANON_NO_DIVERSITY : c->val[OPT_C] ? ANON_RECURSIVE : ANON_DISTINCT;
    cfg->sensitive = -1;
    if (c->val[OPT_C] && !l) {
        fprintf(stderr, "phr anonymise: --c goes with --l (recursive (c,l)-diversity)\n");
        return -1;
    }
    if (!c->val[OPT_SENSITIVE] != !l) {
        fprintf(stderr, "phr anonymise: --sensitive and --l go together (l-diversity of that column)\n");
        return -1;
    }
    if (c->val[OPT_SENSITIVE] && (cfg->sensitive = anon_table_column(t, c->val[OPT_SENSITIVE])) < 0) {
        fprintf(stderr, "phr anonymise: --sensitive: the table has no column named '%s'\n", c->val[OPT_SENSITIVE]);
        return -1;
    }
    const char *metric = c->val[OPT_METRIC] ? c->val[OPT_METRIC] : "entropy";
    if (strcmp(metric, "entropy") && strcmp(metric, "discernibility")) {
        fprintf(stderr, "phr anonymise: --metric is entropy or discernibility, not '%s'\n", metric);
        return -1;
    }
    cfg->metric = strcmp(metric, "entropy") ? ANON_DISCERNIBILITY : ANON_ENTROPY;
    return 0;
}

static int csv(int argc, char **argv)
{
    struct cli c;
    int started;
    if (cli_start(argc, argv, "anonymise csv",
                  "Anonymises a table by generalising its quasi-identifiers (one level of each one's\n"
                  "hierarchy for the whole table) and suppressing the rows of groups that still fail, within\n"
                  "--suppression: the globally optimal levels for k-anonymity and, with --sensitive and --l,\n"
                  "l-diversity (distinct, or recursive (c,l) with --c), by non-uniform entropy or\n"
                  "discernibility as ARX defines them. Reads and writes ARX's files. Prints one JSON object:\n"
                  "the levels, the information loss, the rows suppressed, the combinations checked, the time.",
                  CSV_OPTS, &c, &started))
        return started;
    if (!c.val[OPT_INPUT] || !c.n_many) {
        fprintf(stderr, "phr anonymise csv: --input and at least one --hierarchy are needed (see --help)\n");
        return 2;
    }
    const char *sep_text = c.val[OPT_SEPARATOR] ? c.val[OPT_SEPARATOR] : ";";
    if (strlen(sep_text) != 1 || strchr("\"\r\n", sep_text[0])) {
        fprintf(stderr, "phr anonymise csv: --separator is one character (not a quote or a line break)\n");
        return 2;
    }
    char sep = sep_text[0];
    struct anon_table t;
    struct anon_error e;
    struct anon_config cfg = {0};
    struct anon_result r = {0};
    struct qi *qi = calloc((size_t)c.n_many, sizeof *qi);
    size_t *cols = calloc((size_t)c.n_many, sizeof *cols);
    struct anon_hierarchy *hs = calloc((size_t)c.n_many, sizeof *hs);
    struct buf out = {0};
    size_t len;
    int rc = 1;
    char *text = qi && cols && hs ? read_small_file(c.val[OPT_INPUT], TABLE_MAX, &len) : NULL;
    memset(&t, 0, sizeof t);
    if (!text)
        goto out;
    int bad = anon_table_read(text, len, sep, &t, &e);
    free(text);
    if (bad) {
        fprintf(stderr, "phr anonymise: %s: %s\n", c.val[OPT_INPUT], e.msg);
        goto out;
    }
    if (read_hierarchies(&c, &t, sep, qi) || configure(&c, &t, &cfg))
        goto out;
    /* In the table's column order, as ARX lists a transformation's levels. */
    qsort(qi, (size_t)c.n_many, sizeof *qi, by_column);
    for (int i = 0; i < c.n_many; i++) {
        cols[i] = qi[i].col;
        hs[i] = qi[i].h;
    }
    cfg.n_qi = (size_t)c.n_many;
    cfg.qi = cols;
    cfg.h = hs;
    double t0 = clock_mono_ms();
    if (anon_run(&t, &cfg, &r, &e)) {
        fprintf(stderr, "phr anonymise: %s\n", e.msg);
        goto out;
    }
    double ms = clock_mono_ms() - t0;
    if (!r.found) {
        print_result(&t, &cfg, &r, ms);
        fprintf(stderr, "phr anonymise: no levels meet the privacy model even with the suppression limit: raise "
                        "--suppression, lower k or l, or add levels to the hierarchies\n");
        goto out;
    }
    if (c.val[OPT_OUT] && (anon_write(&t, &cfg, &r, sep, &out) || write_table(c.val[OPT_OUT], &out)))
        goto out;
    print_result(&t, &cfg, &r, ms);
    rc = 0;
out:
    for (int i = 0; qi && i < c.n_many; i++)
        anon_hierarchy_free(&qi[i].h);
    free(qi);
    free(cols);
    free(hs);
    buf_free(&out);
    anon_result_free(&r);
    anon_table_free(&t);
    return rc;
}

/* DIR/NAME.EXT written whole or not at all. */
static int write_named(const char *dir, const char *name, const char *ext, const struct buf *b)
{
    struct buf path = {0};
    int rc = buf_printf(&path, "%s/%s.%s", dir, name, ext) ? -1 : write_table(buf_cstr(&path), b);
    buf_free(&path);
    return rc;
}

static int run(int argc, char **argv)
{
    struct cli c;
    struct paths p;
    struct service *svc = NULL;
    int started, rc = 1;
    if (cli_start(argc, argv, "anonymise run",
                  "Makes an anonymised data set (匿名加工情報, R3.13) from the service's checkups as --spec\n"
                  "describes it: one row per checkup in the period, the spec's items, the quasi-identifiers\n"
                  "from the persons' sealed demographics, generalised and suppressed until k holds. Persons\n"
                  "whose use is suspended, or (with a purpose) without a live grant to it, are left out.\n"
                  "Writes DIR/NAME.csv and DIR/NAME.json (the manifest, with the table's SHA-256) and\n"
                  "prints the manifest; recorded in the handling history. The table is kept sealed in the\n"
                  "store too, for the manager to take out (GET /api/v1/staff/anonymised/NAME/table).",
                  STORE_OPTS | BIT(OPT_SPEC) | BIT(OPT_OUT), &c, &started))
        return started;
    if (!c.val[OPT_SPEC] || !c.val[OPT_OUT]) {
        fprintf(stderr, "phr anonymise run: --spec FILE and --out DIR are needed (see --help)\n");
        return 2;
    }
    size_t len;
    char *spec = read_small_file(c.val[OPT_SPEC], 1 << 20, &len);
    struct buf table = {0}, manifest = {0};
    struct fault fault;
    if (!spec)
        return 1;
    if (cli_service(&c, &p, &svc))
        goto out;
    struct actor a = operator_actor("operator");
    if (anonymised_make(svc, &a, spec, len, &table, &manifest, &fault)) {
        cli_fault(&fault, "phr anonymise run");
        goto out;
    }
    json_object *m = json_tokener_parse(buf_cstr(&manifest));
    const char *name = json_object_get_string(json_object_object_get(m, "name"));
    int bad = !name || write_named(c.val[OPT_OUT], name, "csv", &table) ||
              write_named(c.val[OPT_OUT], name, "json", &manifest);
    json_object_put(m);
    if (bad)
        goto out;
    printf("%s\n", buf_cstr(&manifest));
    rc = 0;
out:
    free(spec);
    buf_free(&table);
    buf_free(&manifest);
    service_close(svc);
    paths_free(&p);
    return rc;
}

static int provide(int argc, char **argv)
{
    struct cli c;
    struct paths p;
    struct service *svc = NULL;
    int started, rc = 1;
    if (cli_start(argc, argv, "anonymise provide",
                  "Records the provision of an anonymised data set to a recipient with an agreement in\n"
                  "force (APPI Art.43(4)): --table must be the table run wrote for --set (its SHA-256 is\n"
                  "checked). The method and the date are published with the data set from then on. Prints\n"
                  "the delivery note to hand over with the table: it states that the data is 匿名加工情報\n"
                  "and that identifying anyone from it is forbidden (Art.43(5)).",
                  STORE_OPTS | BIT(OPT_SET) | BIT(OPT_RECIPIENT) | BIT(OPT_TABLE) | BIT(OPT_METHOD), &c, &started))
        return started;
    if (!c.val[OPT_SET] || !c.val[OPT_RECIPIENT] || !c.val[OPT_TABLE] || !c.val[OPT_METHOD]) {
        fprintf(stderr, "phr anonymise provide: --set, --recipient, --table and --method are needed (see --help)\n");
        return 2;
    }
    size_t len;
    char *table = read_small_file(c.val[OPT_TABLE], TABLE_MAX, &len);
    char hex[DIGEST_SHA256_HEX + 1];
    struct buf note = {0};
    struct fault fault;
    if (!table)
        return 1;
    digest_sha256_hex(table, len, hex);
    free(table);
    if (cli_service(&c, &p, &svc))
        goto out;
    struct actor a = operator_actor("operator");
    if (anonymised_provide(svc, &a, c.val[OPT_SET], c.val[OPT_RECIPIENT], c.val[OPT_METHOD], hex, &note, &fault)) {
        cli_fault(&fault, "phr anonymise provide");
        goto out;
    }
    printf("%s\n", buf_cstr(&note));
    rc = 0;
out:
    buf_free(&note);
    service_close(svc);
    paths_free(&p);
    return rc;
}

int cmd_anonymise(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "provide"))
        return provide(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "csv"))
        return csv(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "run"))
        return run(argc - 1, argv + 1);
    fprintf(stderr, "usage: phr anonymise csv --input FILE --hierarchy ATTR=FILE ... --k K\n"
                    "       phr anonymise run --data DIR --spec FILE --out DIR\n"
                    "       phr anonymise provide --data DIR --set NAME --recipient ID --table FILE --method TEXT\n"
                    "       (see --help of each)\n");
    return 2;
}
