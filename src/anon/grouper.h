/* Inside the engine: items put into groups by their quasi-identifiers at
 * given levels. Each item is a record of the table (rep) standing for
 * count rows; two items are in one group when their records' values
 * generalise alike; a hash table does it. Not for use outside src/anon. */
#ifndef PHR_ANON_GROUPER_H
#define PHR_ANON_GROUPER_H

#include <stddef.h>
#include <stdint.h>

#include "anon/table.h"

struct grouper;

/* For records whose values are qi (n_records × q ids), hierarchies h. */
struct grouper *grouper_new(const uint32_t *qi, size_t q, size_t n_records, const struct anon_hierarchy *h);
void grouper_free(struct grouper *g);

/* Groups n items: first[x] a record of group x and size[x] its rows, and
 * (unless NULL) group[i] the group of item i (all n long at least). The
 * number of groups; GROUPER_TOO_MANY as soon as there are more than
 * max_groups (the rest left undone); SIZE_MAX out of memory. */
#define GROUPER_TOO_MANY (SIZE_MAX - 1)
size_t grouper_run(struct grouper *g, const uint32_t *levels, const uint32_t *rep, const uint32_t *count, size_t n,
                   size_t max_groups, uint32_t *group, uint32_t *first, uint64_t *size);

/* Mixes a value into a hash, and the size of an open-addressing table
 * for n entries (a power of two, at most half full): the records' fold
 * uses both too. */
static inline uint64_t grouper_mix(uint64_t h, uint32_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    return h * 0xff51afd7ed558ccdull;
}
size_t grouper_slots(size_t n);

#endif
