#include "anon/anonymise.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anon/groups.h"
#include "anon/lattice.h"

/* ARX compares losses after dropping all but ten decimal digits. */
static double arx_round(double v)
{
    return floor(v * 1e10) / 1e10;
}

static int bad(struct anon_error *e, const char *msg)
{
    e->line = 0;
    snprintf(e->msg, sizeof e->msg, "%s", msg);
    return -1;
}

static int valid(const struct anon_table *t, const struct anon_config *cfg, struct anon_error *e)
{
    if (!cfg->n_qi)
        return bad(e, "name at least one quasi-identifier, with its hierarchy");
    if (cfg->k < 1)
        return bad(e, "k must be 1 or more");
    if (cfg->k > t->rows) {
        snprintf(e->msg, sizeof e->msg, "k (%u) is larger than the table's %zu rows: no group could ever be that large",
                 cfg->k, t->rows);
        return -1;
    }
    if (cfg->diversity != ANON_NO_DIVERSITY) {
        if (cfg->sensitive < 0)
            return bad(e, "l-diversity needs the sensitive column");
        if (cfg->l < 2)
            return bad(e, "l must be 2 or more");
        if (cfg->diversity == ANON_RECURSIVE && !(cfg->c > 0))
            return bad(e, "recursive (c,l)-diversity needs c above 0");
    }
    if (!(cfg->suppression >= 0 && cfg->suppression < 1))
        return bad(e, "the suppression limit is a share of the rows: at least 0, under 1");
    if (!(cfg->gs_factor >= 0 && cfg->gs_factor <= 1))
        return bad(e, "the gs-factor lies between 0 and 1");
    for (size_t a = 0; a < cfg->n_qi; a++) {
        if (cfg->qi[a] >= t->cols || (long)cfg->qi[a] == cfg->sensitive)
            return bad(e, "the sensitive column cannot be a quasi-identifier too");
        if (cfg->h[a].n != t->dicts[cfg->qi[a]].n || cfg->h[a].levels < 1)
            return bad(e, "a hierarchy does not belong to its column");
        for (size_t b = 0; b < a; b++)
            if (cfg->qi[a] == cfg->qi[b])
                return bad(e, "a quasi-identifier is named twice");
    }
    return 0;
}

/* Non-uniform entropy per quasi-identifier and level, as ARX computes it:
 * over the column's values v held by a records, -a log2(a / b) with b the
 * records holding v's generalisation; times the generalisation factor. */
static double *entropy_table(const struct anon_config *cfg, const struct anon_records *r)
{
    size_t at = 0, cells = 0;
    for (size_t a = 0; a < cfg->n_qi; a++)
        cells += cfg->h[a].levels;
    double *loss = calloc(cells, sizeof *loss);
    double g = cfg->gs_factor <= 0.5 ? 1.0 : 1.0 - 2.0 * (cfg->gs_factor - 0.5);
    for (size_t a = 0; loss && a < cfg->n_qi; a++) {
        const struct anon_hierarchy *h = &cfg->h[a];
        uint64_t *count = calloc(h->n, sizeof *count);
        uint64_t *up = NULL;
        size_t most = 0;
        for (uint32_t l = 0; l < h->levels; l++)
            most = h->labels[l].n > most ? h->labels[l].n : most;
        if (!count || !(up = calloc(most ? most : 1, sizeof *up))) {
            free(count);
            free(loss);
            return NULL;
        }
        for (size_t i = 0; i < r->n; i++)
            count[r->qi[i * r->q + a]] += r->count[i];
        for (uint32_t l = 0; l < h->levels; l++) {
            const uint32_t *map = h->map + (size_t)l * h->n;
            memset(up, 0, most * sizeof *up);
            for (uint32_t v = 0; v < h->n; v++)
                up[map[v]] += count[v];
            double sum = 0;
            for (uint32_t v = 0; v < h->n; v++)
                if (count[v])
                    sum += (double)count[v] * log2((double)count[v] / (double)up[map[v]]);
            double value = sum * g;
            loss[at + l] = arx_round(value == 0.0 ? value : -value);
        }
        at += h->levels;
        free(count);
        free(up);
    }
    return loss;
}

struct search {
    const struct anon_config *cfg;
    const struct anon_records *r;
    struct lattice lt;
    struct checker *chk;
    uint32_t *levels;
    size_t limit;                 /* rows that may be suppressed */
    double *entropy;              /* per quasi-identifier and level, or NULL */
    size_t checked;
    /* the best so far */
    int found;
    size_t best;
    double best_loss;
};

static double entropy_of(const struct search *s, const uint32_t *levels)
{
    double loss = 0;
    size_t at = 0;
    for (size_t a = 0; a < s->cfg->n_qi; a++) {
        loss += s->entropy[at + levels[a]];
        at += s->cfg->h[a].levels;
    }
    return loss;
}

/* Whether node (of that loss) would be worse than the best so far: more
 * loss, then more levels, then larger levels in column order (node numbers
 * are in that order). */
static int worse(const struct search *s, size_t node, double loss)
{
    if (!s->found || loss < s->best_loss)
        return 0;
    if (loss > s->best_loss)
        return 1;
    uint32_t mine = lattice_sum(&s->lt, node), theirs = lattice_sum(&s->lt, s->best);
    return mine > theirs || (mine == theirs && node > s->best);
}

static void consider(struct search *s, size_t node, double loss)
{
    if (worse(s, node, loss))
        return;
    s->found = 1;
    s->best = node;
    s->best_loss = loss;
}

static int check(void *ctx, size_t node)
{
    struct search *s = ctx;
    struct grouping g;
    lattice_levels(&s->lt, node, s->levels);
    if (checker_group(s->chk, s->levels, &g, NULL))
        return -1;
    s->checked++;
    int meets = g.suppressed <= s->limit;
    if (meets)
        consider(s, node, s->entropy ? entropy_of(s, s->levels) : g.dm);
    return meets;
}

/* Entropy is known before grouping and only grows upward: a combination
 * worse than the best found needs no check, nor anything above it. */
static int prune(void *ctx, size_t node)
{
    struct search *s = ctx;
    lattice_levels(&s->lt, node, s->levels);
    return worse(s, node, entropy_of(s, s->levels));
}

/* The optimum among the combinations that meet the model. Both losses
 * only grow upward, so it is a lowest one that meets the model, and the
 * walk checks every one of those (a node settled without a check has one
 * below it that meets the model); entropy scores the rest too, cheaply. */
static void choose(struct search *s)
{
    for (size_t node = 0; s->entropy && node < s->lt.nodes; node++)
        if ((s->lt.state[node] & 3) == NODE_ANONYMOUS) {
            lattice_levels(&s->lt, node, s->levels);
            consider(s, node, entropy_of(s, s->levels));
        }
}

void anon_result_free(struct anon_result *r)
{
    free(r->levels);
    free(r->row_gone);
    memset(r, 0, sizeof *r);
}

static int finish(struct search *s, const struct anon_table *t, struct anon_result *res)
{
    res->found = s->found;
    res->nodes = s->lt.nodes;
    res->checked = s->checked;
    if (!s->found)
        return 0;
    unsigned char *gone = malloc(s->r->n ? s->r->n : 1);
    struct grouping g;
    res->levels = malloc(s->cfg->n_qi * sizeof *res->levels);
    res->row_gone = calloc(t->rows, 1);
    if (!gone || !res->levels || !res->row_gone) {
        free(gone);
        return -1;
    }
    lattice_levels(&s->lt, s->best, res->levels);
    if (checker_group(s->chk, res->levels, &g, gone)) {
        free(gone);
        return -1;
    }
    for (size_t row = 0; row < t->rows; row++)
        res->row_gone[row] = gone[s->r->of_row[row]];
    free(gone);
    res->suppressed = g.suppressed;
    res->loss = s->best_loss;
    return 0;
}

int anon_run(const struct anon_table *t, const struct anon_config *cfg, struct anon_result *result,
             struct anon_error *e)
{
    struct anon_records recs;
    struct search s = {.cfg = cfg, .r = &recs};
    uint32_t *heights = NULL;
    int rc = -1;
    memset(result, 0, sizeof *result);
    memset(e, 0, sizeof *e);
    memset(&recs, 0, sizeof recs);
    if (valid(t, cfg, e))
        return -1;
    if (!(heights = malloc(cfg->n_qi * sizeof *heights)) || !(s.levels = malloc(cfg->n_qi * sizeof *s.levels)))
        goto oom;
    for (size_t a = 0; a < cfg->n_qi; a++)
        heights[a] = cfg->h[a].levels;
    if (lattice_init(&s.lt, cfg->n_qi, heights, ANON_MAX_LATTICE)) {
        bad(e, "too many combinations of levels to search: use fewer quasi-identifiers or shorter hierarchies");
        goto out;
    }
    if (records_fold(t, cfg, &recs) || !(s.chk = checker_new(&recs, cfg)))
        goto oom;
    if (cfg->metric == ANON_ENTROPY && !(s.entropy = entropy_table(cfg, &recs)))
        goto oom;
    s.limit = (size_t)floor(cfg->suppression * (double)t->rows);
    int monotonic = !(cfg->diversity == ANON_RECURSIVE && s.limit > 0);
    if (lattice_walk(&s.lt, monotonic, check, s.entropy ? prune : NULL, &s))
        goto oom;
    choose(&s);
    if (finish(&s, t, result))
        goto oom;
    rc = 0;
    goto out;
oom:
    bad(e, "out of memory");
out:
    if (rc)
        anon_result_free(result);
    free(heights);
    free(s.levels);
    free(s.entropy);
    checker_free(s.chk);
    lattice_free(&s.lt);
    records_free(&recs);
    return rc;
}

/* A field as ARX's files hold it: quoted when it holds the separator, a
 * quote or a line break. */
static int put_field(struct buf *b, const char *s, char sep)
{
    if (!strchr(s, sep) && !strpbrk(s, "\"\r\n"))
        return buf_puts(b, s);
    if (buf_puts(b, "\""))
        return -1;
    for (; *s; s++)
        if ((*s == '"' && buf_puts(b, "\"\"")) || (*s != '"' && buf_append(b, s, 1)))
            return -1;
    return buf_puts(b, "\"");
}

int anon_write(const struct anon_table *t, const struct anon_config *cfg, const struct anon_result *r, char sep,
               struct buf *out)
{
    long *qi_of = malloc(t->cols * sizeof *qi_of);
    if (!qi_of)
        return -1;
    for (size_t col = 0; col < t->cols; col++)
        qi_of[col] = -1;
    for (size_t a = 0; a < cfg->n_qi; a++)
        qi_of[cfg->qi[a]] = (long)a;
    for (size_t col = 0; col < t->cols; col++)
        if ((col && buf_append(out, &sep, 1)) || put_field(out, t->names[col], sep))
            break;
    buf_puts(out, "\n");
    for (size_t row = 0; row < t->rows && !buf_failed(out); row++) {
        for (size_t col = 0; col < t->cols; col++) {
            uint32_t v = t->cells[row * t->cols + col];
            const char *text = t->dicts[col].text[v];
            long a = qi_of[col];
            if (a >= 0) {
                const struct anon_hierarchy *h = &cfg->h[a];
                uint32_t level = r->levels[a];
                text = r->row_gone[row] ? "*" : h->labels[level].text[h->map[(size_t)level * h->n + v]];
            }
            if ((col && buf_append(out, &sep, 1)) || put_field(out, text, sep))
                break;
        }
        buf_puts(out, "\n");
    }
    free(qi_of);
    return buf_failed(out) ? -1 : 0;
}
