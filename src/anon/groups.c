#include "anon/groups.h"

#include <stdlib.h>
#include <string.h>

#include "anon/grouper.h"

void records_free(struct anon_records *r)
{
    free(r->qi);
    free(r->sens);
    free(r->count);
    free(r->of_row);
    memset(r, 0, sizeof *r);
}

/* The row's cell in column col. */
static uint32_t cell(const struct anon_table *t, size_t row, size_t col)
{
    return t->cells[row * t->cols + col];
}

static int same_record(const struct anon_records *r, size_t rec, const struct anon_table *t,
                       const struct anon_config *cfg, size_t row)
{
    for (size_t a = 0; a < r->q; a++)
        if (r->qi[rec * r->q + a] != cell(t, row, cfg->qi[a]))
            return 0;
    return !r->sens || r->sens[rec] == cell(t, row, (size_t)cfg->sensitive);
}

int records_fold(const struct anon_table *t, const struct anon_config *cfg, struct anon_records *r)
{
    memset(r, 0, sizeof *r);
    r->q = cfg->n_qi;
    r->rows = t->rows;
    size_t slots = grouper_slots(t->rows);
    uint32_t *slot = calloc(slots, sizeof *slot);
    r->qi = malloc(t->rows * r->q * sizeof *r->qi);
    r->count = malloc(t->rows * sizeof *r->count);
    r->of_row = malloc(t->rows * sizeof *r->of_row);
    /* The sensitive value matters only to diversity. */
    int sensitive = cfg->diversity != ANON_NO_DIVERSITY && cfg->sensitive >= 0;
    if (sensitive)
        r->sens = malloc(t->rows * sizeof *r->sens);
    if (!slot || !r->qi || !r->count || !r->of_row || (sensitive && !r->sens))
        goto oom;
    for (size_t row = 0; row < t->rows; row++) {
        uint64_t h = 0;
        for (size_t a = 0; a < r->q; a++)
            h = grouper_mix(h, cell(t, row, cfg->qi[a]));
        if (r->sens)
            h = grouper_mix(h, cell(t, row, (size_t)cfg->sensitive));
        size_t i = (size_t)h & (slots - 1);
        while (slot[i] && !same_record(r, slot[i] - 1, t, cfg, row))
            i = (i + 1) & (slots - 1);
        if (!slot[i]) {
            size_t rec = r->n++;
            for (size_t a = 0; a < r->q; a++)
                r->qi[rec * r->q + a] = cell(t, row, cfg->qi[a]);
            if (r->sens)
                r->sens[rec] = cell(t, row, (size_t)cfg->sensitive);
            r->count[rec] = 0;
            slot[i] = (uint32_t)rec + 1;
        }
        r->count[slot[i] - 1]++;
        r->of_row[row] = slot[i] - 1;
    }
    free(slot);
    return 0;
oom:
    free(slot);
    records_free(r);
    return -1;
}

/* ---- grouping under one combination of levels ---- */

/* What a grouping becomes, kept for roll-up: items that each stand for
 * rows agreeing on the quasi-identifiers at its levels (and on the
 * sensitive value), with a record of theirs to read the values from. A
 * combination at or above those levels groups these items rather than
 * every record: the same groups, from far fewer items (ARX's roll-up). */
struct items {
    size_t n;
    uint32_t *rep, *sens, *count;   /* sens NULL without a sensitive column */
    uint32_t *levels;               /* NULL: the records themselves */
    uint64_t used;                  /* when last used or made; 0: empty */
};

#define KEPT 32

struct pair {
    uint64_t key;          /* group << 32 | sensitive value */
    uint32_t count, rep;
};

struct checker {
    const struct anon_records *r;
    const struct anon_config *cfg;
    struct grouper *grouper;
    uint32_t *first;       /* per group: a record of it, to compare tuples */
    uint64_t *size;        /* per group: rows */
    unsigned char *fails;  /* per group */
    uint32_t *group;       /* per item */
    struct pair *pairs;    /* per item, for diversity */
    uint32_t *freq;        /* one group's sensitive frequencies */
    struct items base, kept[KEPT];
    uint64_t clock;
    size_t max_groups;     /* more groups than this and the model cannot hold */
};

static void items_free(struct items *it)
{
    free(it->rep);
    free(it->sens);
    free(it->count);
    free(it->levels);
    memset(it, 0, sizeof *it);
}

void checker_free(struct checker *c)
{
    if (!c)
        return;
    grouper_free(c->grouper);
    free(c->first);
    free(c->size);
    free(c->fails);
    free(c->group);
    free(c->pairs);
    free(c->freq);
    free(c->base.rep);
    for (int i = 0; i < KEPT; i++)
        items_free(&c->kept[i]);
    free(c);
}

struct checker *checker_new(const struct anon_records *r, const struct anon_config *cfg)
{
    struct checker *c = calloc(1, sizeof *c);
    size_t n = r->n ? r->n : 1;
    if (!c)
        return NULL;
    c->r = r;
    c->cfg = cfg;
    c->grouper = grouper_new(r->qi, r->q, r->n, cfg->h);
    c->first = malloc(n * sizeof *c->first);
    c->size = malloc(n * sizeof *c->size);
    c->fails = malloc(n);
    c->group = malloc(n * sizeof *c->group);
    c->base.rep = malloc(n * sizeof *c->base.rep);
    if (r->sens) {
        c->pairs = malloc(n * sizeof *c->pairs);
        c->freq = malloc(n * sizeof *c->freq);
    }
    if (!c->grouper || !c->first || !c->size || !c->fails || !c->group || !c->base.rep ||
        (r->sens && (!c->pairs || !c->freq))) {
        checker_free(c);
        return NULL;
    }
    /* Groups meeting k hold k rows each, so there are at most rows / k of
     * them; each failing group holds a suppressed row, so at most the
     * limit of them: past the sum, a grouping fails whatever comes next.
     * Near-unique data fails so after a fraction of its records. */
    double limit = cfg->suppression * (double)r->rows;
    c->max_groups = r->rows / (cfg->k ? cfg->k : 1) + (size_t)limit + 1;
    c->base.n = r->n;
    c->base.sens = r->sens;
    c->base.count = r->count;
    for (size_t i = 0; i < r->n; i++)
        c->base.rep[i] = (uint32_t)i;
    return c;
}

static int cmp_pair(const void *x, const void *y)
{
    uint64_t a = ((const struct pair *)x)->key, b = ((const struct pair *)y)->key;
    return a < b ? -1 : a > b;
}

static int cmp_u32(const void *x, const void *y)
{
    uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
    return a < b ? -1 : a > b;
}

/* Whether a group's sensitive values (freq, m of them) are diverse enough. */
static int diverse(const struct anon_config *cfg, uint32_t *freq, size_t m)
{
    if (m < cfg->l)
        return 0;
    if (cfg->diversity == ANON_DISTINCT)
        return 1;
    /* Recursive (c,l): r1 < c (r_l + … + r_m), the frequencies sorted
     * from the most frequent. */
    qsort(freq, m, sizeof *freq, cmp_u32);
    double tail = 0;
    for (size_t i = 0; i + cfg->l <= m; i++)
        tail += freq[i];
    return (double)freq[m - 1] < cfg->c * tail;
}

/* Sorts the items by group and sensitive value (the roll-up's items, one
 * per pair) and marks the groups whose values are not diverse enough. */
static void apply_diversity(struct checker *c, const struct items *src)
{
    for (size_t i = 0; i < src->n; i++)
        c->pairs[i] = (struct pair){(uint64_t)c->group[i] << 32 | src->sens[i], src->count[i], src->rep[i]};
    qsort(c->pairs, src->n, sizeof *c->pairs, cmp_pair);
    for (size_t i = 0; i < src->n;) {
        uint32_t g = (uint32_t)(c->pairs[i].key >> 32);
        size_t m = 0;
        while (i < src->n && (uint32_t)(c->pairs[i].key >> 32) == g) {
            uint64_t k = c->pairs[i].key;
            uint32_t f = 0;
            while (i < src->n && c->pairs[i].key == k)
                f += c->pairs[i++].count;
            c->freq[m++] = f;
        }
        if (!diverse(c->cfg, c->freq, m))
            c->fails[g] = 1;
    }
}

/* The kept grouping at or below levels with the fewest items, else the
 * records. */
static struct items *source(struct checker *c, const uint32_t *levels)
{
    struct items *best = &c->base;
    for (int i = 0; i < KEPT; i++) {
        struct items *it = &c->kept[i];
        size_t a = 0;
        while (it->used && a < c->r->q && it->levels[a] <= levels[a])
            a++;
        if (it->used && a == c->r->q && it->n < best->n)
            best = it;
    }
    if (best != &c->base)
        best->used = ++c->clock;
    return best;
}

/* The kept grouping used longest ago (an empty one first). */
static struct items *oldest(struct checker *c)
{
    struct items *it = &c->kept[0];
    for (int i = 1; i < KEPT; i++)
        if (c->kept[i].used < it->used)
            it = &c->kept[i];
    return it;
}

/* Keeps this grouping's items (m of them were grouped) in place of the
 * ones used longest ago: at most KEPT, holding together at most twice the
 * records' items, so that memory follows the data, never the lattice. Out
 * of memory it keeps nothing: that only costs time. */
static void keep(struct checker *c, const uint32_t *levels, size_t groups, size_t m)
{
    size_t n = groups, held = 0;
    if (c->r->sens) {
        n = 0;
        for (size_t i = 0; i < m; i++)
            n += !i || c->pairs[i].key != c->pairs[i - 1].key;
    }
    for (int i = 0; i < KEPT; i++)
        held += c->kept[i].n;
    struct items *it = oldest(c);
    while (it->used && held + n > 2 * c->base.n) {
        held -= it->n;
        items_free(it);
        it = oldest(c);
    }
    items_free(it);
    it->rep = malloc(n * sizeof *it->rep);
    it->count = malloc(n * sizeof *it->count);
    it->levels = malloc(c->r->q * sizeof *it->levels);
    if (c->r->sens)
        it->sens = malloc(n * sizeof *it->sens);
    if (!it->rep || !it->count || !it->levels || (c->r->sens && !it->sens)) {
        items_free(it);
        return;
    }
    memcpy(it->levels, levels, c->r->q * sizeof *levels);
    it->n = n;
    it->used = ++c->clock;
    if (!c->r->sens) {
        for (size_t x = 0; x < groups; x++) {
            it->rep[x] = c->first[x];
            it->count[x] = (uint32_t)c->size[x];
        }
        return;
    }
    size_t x = 0;
    for (size_t i = 0; i < m; i++) {
        if (i && c->pairs[i].key == c->pairs[i - 1].key) {
            it->count[x - 1] += c->pairs[i].count;
            continue;
        }
        it->rep[x] = c->pairs[i].rep;
        it->sens[x] = (uint32_t)c->pairs[i].key;
        it->count[x++] = c->pairs[i].count;
    }
}

/* A grouping is kept when it is much smaller than the records and than
 * what it was made from (ARX's history keeps a snapshot at most 0.2 of
 * the data and 0.8 of its source): a near-unique grouping would save
 * little and push out the small ones that save much. */
static int worth_keeping(const struct checker *c, size_t groups, size_t from)
{
    return groups * 5 <= c->base.n && groups * 5 <= from * 4;
}

int checker_group(struct checker *c, const uint32_t *levels, struct grouping *g, unsigned char *gone)
{
    const struct anon_records *r = c->r;
    const struct items *src = gone ? &c->base : source(c, levels);
    /* Which group each item went to matters to diversity and to the rows
     * suppressed in the end; not to k alone. */
    uint32_t *each = r->sens || gone ? c->group : NULL;
    size_t groups = grouper_run(c->grouper, levels, src->rep, src->count, src->n, gone ? SIZE_MAX : c->max_groups, each,
                                c->first, c->size);
    if (groups == SIZE_MAX)
        return -1;
    memset(g, 0, sizeof *g);
    if (groups == GROUPER_TOO_MANY) {
        g->suppressed = r->rows; /* more than any limit: it fails */
        return 0;
    }
    for (size_t x = 0; x < groups; x++)
        c->fails[x] = c->size[x] < c->cfg->k;
    if (r->sens)
        apply_diversity(c, src);
    g->groups = groups;
    for (size_t x = 0; x < groups; x++) {
        g->dm += (double)c->size[x] * (double)c->size[x];
        if (c->fails[x])
            g->suppressed += c->size[x];
    }
    if (gone)
        for (size_t i = 0; i < r->n; i++)
            gone[i] = c->fails[c->group[i]];
    else if (worth_keeping(c, groups, src->n))
        keep(c, levels, groups, src->n);
    return 0;
}
