#include "anon/grouper.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Keys are made this many at a time and their slots fetched ahead. */
#define BATCH 16
/* Levels whose tuples number at most this many are grouped by the tuple's
 * number itself, in an array (4 MiB of group ids): no hash, no probe. */
#define DIRECT (1u << 20)
/* The most quasi-identifiers grouped so: a lattice of 2^26 combinations
 * (the largest searched) has at most 26 with more than one level. */
#define PARTS 32
/* Items from which a direct run is split between two threads. */
#define SPLIT (1u << 16)

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
    uint64_t **part;       /* per quasi-identifier: by value, its part of the exact key */
    uint64_t *parts;       /* their storage: a number per value of every quasi-identifier */
    int exact;
    uint64_t span;         /* when exact: how many tuples there can be */
    struct cell *direct;   /* DIRECT cells, by tuple; empty between runs */
    struct slot *slot;     /* empty between runs */
    size_t slots;
    uint32_t *slot_of;     /* per group of a run: its slot, to empty it after */
    struct half *other;    /* the second thread's half of a large direct run */
};

/* A tuple's group id + 1 (0: none yet) and its rows, side by side so that
 * an item touches one place (rows fit: a record's count is 32 bits too). */
struct cell {
    uint32_t id, size;
};

/* One half of the items, grouped by the tuple's number in an array of its
 * own (the second thread's), with its own group ids, merged after. */
struct half {
    const struct grouper *g;
    const uint32_t *rep, *count;
    size_t n, max, groups;
    struct cell *direct;
    uint32_t *first, *slot_of, *group;
    int cut;
};

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
    free(g->slot_of);
    free(g->direct);
    if (g->other) {
        free(g->other->direct);
        free(g->other->first);
        free(g->other->slot_of);
        free(g->other);
    }
    free(g->part);
    free(g->parts);
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
    g->slot = calloc(g->slots, sizeof *g->slot);
    g->slot_of = malloc(n * sizeof *g->slot_of);
    g->direct = calloc(DIRECT, sizeof *g->direct);
    if (n >= SPLIT && (g->other = calloc(1, sizeof *g->other))) {
        struct half *o = g->other;
        size_t m = n / 2 + 1;
        o->direct = calloc(DIRECT, sizeof *o->direct);
        o->first = malloc(m * sizeof *o->first);
        o->slot_of = malloc(m * sizeof *o->slot_of);
        if (!o->direct || !o->first || !o->slot_of) {
            grouper_free(g);
            return NULL;
        }
    }
    size_t values = 0;
    for (size_t a = 0; a < q; a++)
        values += h[a].n;
    g->part = malloc((q ? q : 1) * sizeof *g->part);
    g->parts = malloc((values ? values : 1) * sizeof *g->parts);
    g->map = malloc((q ? q : 1) * sizeof *g->map);
    g->mult = malloc((q ? q : 1) * sizeof *g->mult);
    if (!g->slot || !g->slot_of || !g->direct || !g->part || !g->parts || !g->map || !g->mult) {
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
    g->span = span;
    if (!g->exact || span > DIRECT)
        return;
    uint64_t *p = g->parts;
    for (size_t a = 0; a < g->q; a++) {
        g->part[a] = p;
        for (uint32_t v = 0; v < g->h[a].n; v++)
            p[v] = g->map[a][v] * g->mult[a];
        p += g->h[a].n;
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

/* The slots a run used, emptied (their sizes read first, unless the run
 * was cut short): a run costs its items and groups, not the table, which
 * matters when a million records fall into a thousand groups. */
static size_t done(struct grouper *g, size_t groups, uint64_t *size, size_t result)
{
    for (size_t x = 0; x < groups; x++) {
        struct slot *s = &g->slot[g->slot_of[x]];
        if (size)
            size[x] = s->size;
        s->group = 0;
    }
    return result;
}

/* Keys are made a batch at a time and their slots fetched ahead, so that
 * the cache misses of a table larger than the caches overlap. */
static size_t flat(struct grouper *g, const uint32_t *rep, const uint32_t *count, size_t n, size_t max,
                   uint32_t *group, uint32_t *first, uint64_t *size)
{
    size_t groups = 0, slots = g->slots, mask = slots - 1;
    if (n > g->n)
        return SIZE_MAX;
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
                if (groups == max)
                    return done(g, groups, NULL, GROUPER_TOO_MANY);
                first[groups] = rep[i];
                g->slot_of[groups] = (uint32_t)s;
                g->slot[s] = (struct slot){key[j], (uint32_t)++groups, 0};
            }
            g->slot[s].size += count[i];
            if (group)
                group[i] = g->slot[s].group - 1;
        }
    }
    return done(g, groups, size, groups);
}

/* Few possible tuples (coarse levels): the tuple's number indexes the
 * cells directly. The key's parts are summed from tables made for these
 * levels, four at a time (independent loads), read through locals that
 * the stores below cannot be taken to change. */
static void direct_half(struct half *h)
{
    const struct grouper *g = h->g;
    size_t q = g->q, n = h->n, groups = 0;
    const uint64_t *part[PARTS];
    const uint32_t *qi = g->qi, *rep = h->rep, *count = h->count;
    uint32_t *group = h->group;
    struct cell *direct = h->direct;
    memcpy(part, g->part, q * sizeof *part);
    h->cut = 0;
    for (size_t i = 0; i < n; i++) {
        const uint32_t *v = qi + (size_t)rep[i] * q;
        uint64_t key = 0;
        size_t a = 0;
        for (; a + 4 <= q; a += 4)
            key += (part[a][v[a]] + part[a + 1][v[a + 1]]) + (part[a + 2][v[a + 2]] + part[a + 3][v[a + 3]]);
        for (; a < q; a++)
            key += part[a][v[a]];
        struct cell *c = &direct[key];
        if (!c->id) {
            if ((h->cut = groups == h->max))
                break;
            h->first[groups] = rep[i];
            h->slot_of[groups] = (uint32_t)key;
            c->id = (uint32_t)++groups;
        }
        c->size += count[i];
        if (group)
            group[i] = c->id - 1;
    }
    h->groups = groups;
}

static void *direct_thread(void *arg)
{
    direct_half(arg);
    return NULL;
}

/* The second half's groups joined to the first's by tuple number; its
 * items' group ids renumbered. */
static void merge(struct half *a, struct half *b)
{
    for (size_t x = 0; x < b->groups && !a->cut; x++) {
        uint32_t key = b->slot_of[x];
        struct cell *c = &a->direct[key];
        if (!c->id) {
            if ((a->cut = a->groups == a->max))
                break;
            a->first[a->groups] = b->first[x];
            a->slot_of[a->groups] = key;
            c->id = (uint32_t)++a->groups;
        }
        c->size += b->direct[key].size;
        b->first[x] = c->id - 1; /* its new id, read below */
    }
    for (size_t i = 0; b->group && !a->cut && i < b->n; i++)
        b->group[i] = b->first[b->group[i]];
}

/* The cells a half used, emptied (their sizes read first into size, unless
 * NULL). */
static void empty(struct half *h, uint64_t *size)
{
    for (size_t x = 0; x < h->groups; x++) {
        struct cell *c = &h->direct[h->slot_of[x]];
        if (size)
            size[x] = c->size;
        *c = (struct cell){0, 0};
    }
}

/* A large run goes in two halves on two threads (grouping is bound by
 * reading the records, which two cores do side by side). */
static size_t direct(struct grouper *g, const uint32_t *rep, const uint32_t *count, size_t n, size_t max,
                     uint32_t *group, uint32_t *first, uint64_t *size)
{
    if (n > g->n || g->q > PARTS)
        return SIZE_MAX;
    struct half a = {.g = g, .rep = rep, .count = count, .n = n, .max = max, .direct = g->direct, .first = first,
                     .slot_of = g->slot_of, .group = group};
    struct half *b = g->other;
    pthread_t t;
    int split = b && n >= SPLIT;
    if (split) {
        size_t half = n / 2;
        *b = (struct half){.g = g, .rep = rep + half, .count = count + half, .n = n - half, .max = max,
                           .direct = b->direct, .first = b->first, .slot_of = b->slot_of,
                           .group = group ? group + half : NULL};
        a.n = half;
        split = !pthread_create(&t, NULL, direct_thread, b);
        if (!split)
            a.n = n;
    }
    direct_half(&a);
    if (split) {
        pthread_join(t, NULL);
        a.cut = a.cut || b->cut;
        merge(&a, b);
        empty(b, NULL);
    }
    empty(&a, a.cut ? NULL : size);
    return a.cut ? GROUPER_TOO_MANY : a.groups;
}

size_t grouper_run(struct grouper *g, const uint32_t *levels, const uint32_t *rep, const uint32_t *count, size_t n,
                   size_t max_groups, uint32_t *group, uint32_t *first, uint64_t *size)
{
    prepare(g, levels);
    if (g->exact && g->span <= DIRECT && g->q <= PARTS)
        return direct(g, rep, count, n, max_groups, group, first, size);
    return flat(g, rep, count, n, max_groups, group, first, size);
}
