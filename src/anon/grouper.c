#include "anon/grouper.h"

#include <stdlib.h>
#include <string.h>

/* Keys are made this many at a time and their slots fetched ahead. */
#define BATCH 16

struct slot {
    uint64_t key;
    uint32_t group;        /* + 1; 0: empty */
    uint32_t size;         /* its rows: kept here, so that an item touches one place */
};

struct grouper {
    const uint32_t *qi;
    size_t q, n;
    const struct anon_hierarchy *h;
    const uint32_t *levels;
    const uint32_t **map;  /* per quasi-identifier: its values at the levels */
    uint64_t *mult;        /* per quasi-identifier: its place in an exact key */
    int exact;
    struct slot *slot;
    size_t slots;
};

uint64_t grouper_mix(uint64_t h, uint32_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    return h * 0xff51afd7ed558ccdull;
}

size_t grouper_slots(size_t n)
{
    size_t s = 16;
    while (s < 2 * n)
        s *= 2;
    return s;
}

void grouper_free(struct grouper *g)
{
    if (!g)
        return;
    free(g->map);
    free(g->mult);
    free(g->slot);
    free(g);
}

struct grouper *grouper_new(const uint32_t *qi, size_t q, size_t n_records, const struct anon_hierarchy *h)
{
    struct grouper *g = calloc(1, sizeof *g);
    size_t n = n_records ? n_records : 1;
    if (!g)
        return NULL;
    g->qi = qi;
    g->q = q;
    g->n = n_records;
    g->h = h;
    g->slots = grouper_slots(n);
    g->slot = malloc(g->slots * sizeof *g->slot);
    g->map = malloc((q ? q : 1) * sizeof *g->map);
    g->mult = malloc((q ? q : 1) * sizeof *g->mult);
    if (!g->slot || !g->map || !g->mult) {
        grouper_free(g);
        return NULL;
    }
    return g;
}

/* When the product of the levels' domain sizes fits in 64 bits, a record's
 * generalised tuple is one number (mixed radix) and groups compare by it;
 * otherwise by a hash and then the tuples. */
static void prepare(struct grouper *g, const uint32_t *levels)
{
    uint64_t span = 1;
    g->exact = 1;
    g->levels = levels;
    for (size_t a = 0; a < g->q; a++) {
        const struct anon_hierarchy *h = &g->h[a];
        g->map[a] = h->map + (size_t)levels[a] * h->n;
        g->mult[a] = span;
        if (__builtin_mul_overflow(span, (uint64_t)h->labels[levels[a]].n, &span))
            g->exact = 0;
    }
}

static uint64_t key_of(const struct grouper *g, uint32_t rep)
{
    const uint32_t *qi = g->qi + (size_t)rep * g->q;
    uint64_t k = 0;
    if (g->exact)
        for (size_t a = 0; a < g->q; a++)
            k += g->map[a][qi[a]] * g->mult[a];
    else
        for (size_t a = 0; a < g->q; a++)
            k = grouper_mix(k, g->map[a][qi[a]]);
    return k;
}

static int same_tuple(const struct grouper *g, uint32_t x, uint32_t y)
{
    for (size_t a = 0; a < g->q; a++)
        if (g->map[a][g->qi[(size_t)x * g->q + a]] != g->map[a][g->qi[(size_t)y * g->q + a]])
            return 0;
    return 1;
}

/* The slot of key in table (slots, a power of two), its group's record
 * being compared when keys are hashes; a free slot if new. */
static size_t probe(const struct grouper *g, const struct slot *table, size_t slots, uint64_t key, uint32_t rep,
                    const uint32_t *first)
{
    size_t s = (size_t)grouper_mix(key, 0) & (slots - 1);
    while (table[s].group && (table[s].key != key || (!g->exact && !same_tuple(g, first[table[s].group - 1], rep))))
        s = (s + 1) & (slots - 1);
    return s;
}

/* Keys are made a batch at a time and their slots fetched ahead, so that
 * the cache misses of a table larger than the caches overlap. */
static size_t flat(struct grouper *g, const uint32_t *rep, const uint32_t *count, size_t n, uint32_t *group,
                   uint32_t *first, uint64_t *size)
{
    size_t groups = 0, slots = grouper_slots(n), mask = slots - 1;
    if (slots > g->slots)
        return SIZE_MAX;
    memset(g->slot, 0, slots * sizeof *g->slot);
    for (size_t from = 0; from < n; from += BATCH) {
        size_t m = n - from < BATCH ? n - from : BATCH;
        uint64_t key[BATCH];
        for (size_t j = 0; j < m; j++) {
            key[j] = key_of(g, rep[from + j]);
            __builtin_prefetch(&g->slot[grouper_mix(key[j], 0) & mask], 1);
        }
        for (size_t j = 0; j < m; j++) {
            size_t i = from + j, s = probe(g, g->slot, slots, key[j], rep[i], first);
            if (!g->slot[s].group) {
                first[groups] = rep[i];
                g->slot[s] = (struct slot){key[j], (uint32_t)++groups, 0};
            }
            g->slot[s].size += count[i];
            if (group)
                group[i] = g->slot[s].group - 1;
        }
    }
    for (size_t s = 0; s < slots; s++)
        if (g->slot[s].group)
            size[g->slot[s].group - 1] = g->slot[s].size;
    return groups;
}

size_t grouper_run(struct grouper *g, const uint32_t *levels, const uint32_t *rep, const uint32_t *count, size_t n,
                   uint32_t *group, uint32_t *first, uint64_t *size)
{
    prepare(g, levels);
    return flat(g, rep, count, n, group, first, size);
}
