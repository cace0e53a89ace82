#include "anon/grouper.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Keys are made this many at a time and their slots fetched ahead. */
#define BATCH 16
/* Item sets from this size on are grouped by two threads. */
#define THREADS_FROM 131072

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
    struct slot *slot, *slot2;    /* slot2, first2, size2: the second thread's */
    size_t slots;
    uint32_t *first2;
    uint64_t *size2;
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
    free(g->slot2);
    free(g->first2);
    free(g->size2);
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

/* One thread's share of a grouping: the items whose hash falls on its side
 * (all of them when there is one side), into its own table and arrays. */
struct side {
    struct grouper *g;
    const uint32_t *rep, *count;
    size_t n, slots;
    unsigned side, sides;
    struct slot *table;
    uint32_t *group, *first;
    uint64_t *size;
    size_t groups;
};

/* Keys are made a batch at a time and their slots fetched ahead, so that
 * the cache misses of a table larger than the caches overlap. */
static void group_side(struct side *p)
{
    const size_t mask = p->slots - 1;
    size_t groups = 0;
    memset(p->table, 0, p->slots * sizeof *p->table);
    for (size_t from = 0; from < p->n; from += BATCH) {
        size_t m = p->n - from < BATCH ? p->n - from : BATCH, mine = 0;
        uint64_t key[BATCH];
        size_t item[BATCH];
        for (size_t j = 0; j < m; j++) {
            uint64_t k = key_of(p->g, p->rep[from + j]), h = grouper_mix(k, 0);
            if (p->sides > 1 && (h >> 63) != p->side)
                continue;
            __builtin_prefetch(&p->table[h & mask], 1);
            key[mine] = k;
            item[mine++] = from + j;
        }
        for (size_t j = 0; j < mine; j++) {
            size_t i = item[j], s = probe(p->g, p->table, p->slots, key[j], p->rep[i], p->first);
            if (!p->table[s].group) {
                p->first[groups] = p->rep[i];
                p->table[s] = (struct slot){key[j], (uint32_t)++groups, 0};
            }
            p->table[s].size += p->count[i];
            if (p->group)
                p->group[i] = p->table[s].group - 1;
        }
    }
    for (size_t s = 0; s < p->slots; s++)
        if (p->table[s].group)
            p->size[p->table[s].group - 1] = p->table[s].size;
    p->groups = groups;
}

static void *group_side_thread(void *arg)
{
    group_side(arg);
    return NULL;
}

/* Large item sets without the per-item groups asked for are split between
 * two threads by one bit of the hash: no group is on both sides, so the
 * second side's groups simply follow the first's. */
static int two_sides(struct grouper *g, struct side *a, struct side *b)
{
    if (!g->slot2) {
        g->slot2 = malloc(g->slots * sizeof *g->slot2);
        g->first2 = malloc((g->n ? g->n : 1) * sizeof *g->first2);
        g->size2 = malloc((g->n ? g->n : 1) * sizeof *g->size2);
        if (!g->slot2 || !g->first2 || !g->size2)
            return -1;
    }
    *b = *a;
    a->sides = b->sides = 2;
    b->side = 1;
    b->table = g->slot2;
    b->first = g->first2;
    b->size = g->size2;
    pthread_t t;
    int started = !pthread_create(&t, NULL, group_side_thread, b);
    group_side(a);
    if (started)
        pthread_join(t, NULL);
    else
        group_side(b);
    memcpy(a->first + a->groups, b->first, b->groups * sizeof *b->first);
    memcpy(a->size + a->groups, b->size, b->groups * sizeof *b->size);
    a->groups += b->groups;
    return 0;
}

size_t grouper_run(struct grouper *g, const uint32_t *levels, const uint32_t *rep, const uint32_t *count, size_t n,
                   uint32_t *group, uint32_t *first, uint64_t *size)
{
    prepare(g, levels);
    struct side a = {.g = g, .rep = rep, .count = count, .n = n, .slots = grouper_slots(n), .sides = 1, .table = g->slot,
                     .group = group, .first = first, .size = size}, b;
    if (a.slots > g->slots)
        return SIZE_MAX;
    if (n >= THREADS_FROM && !group) {
        if (two_sides(g, &a, &b))
            return SIZE_MAX;
    } else {
        group_side(&a);
    }
    return a.groups;
}
