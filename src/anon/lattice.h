/* Inside the engine: the generalisation lattice (every combination of one
 * level per quasi-identifier, numbered in mixed radix) and the walk that
 * settles which combinations meet the privacy model with as few checks as
 * it can. Not for use outside src/anon. */
#ifndef PHR_ANON_LATTICE_H
#define PHR_ANON_LATTICE_H

#include <stddef.h>
#include <stdint.h>

/* NODE_PRUNED: no better than the best found, nor is anything above it,
 * so whether it meets the model does not matter. */
enum { NODE_UNKNOWN = 0, NODE_ANONYMOUS = 1, NODE_FAILS = 2, NODE_PRUNED = 3, NODE_CHECKED = 4 };

struct lattice {
    size_t q, nodes;
    uint32_t *height;        /* q: levels per quasi-identifier */
    size_t *stride;          /* q */
    uint32_t top;            /* the highest sum of levels */
    unsigned char *state;    /* nodes: NODE_* */
    size_t *stack, stack_cap;
};

/* -1 when the lattice would exceed max nodes, or out of memory. */
int lattice_init(struct lattice *lt, size_t q, const uint32_t *height, size_t max);
void lattice_free(struct lattice *lt);
void lattice_levels(const struct lattice *lt, size_t node, uint32_t *levels);
uint32_t lattice_sum(const struct lattice *lt, size_t node);

/* Called for each combination the walk checks: 1 if it meets the model,
 * 0 if not, -1 to stop (out of memory). */
typedef int (*lattice_check)(void *ctx, size_t node);
/* Before a check: 1 if neither the node nor anything above it can beat the
 * best found so far (an information loss known without grouping, and
 * growing upward). */
typedef int (*lattice_prune)(void *ctx, size_t node);

/* Every node settled as NODE_ANONYMOUS, NODE_FAILS or NODE_PRUNED (with
 * NODE_CHECKED on those checked). monotonic: a node coarser than one that
 * meets the model meets it, one finer than one that fails fails; without
 * it every node is checked. prune may be NULL. 0, or -1 when check
 * stopped or out of memory. */
int lattice_walk(struct lattice *lt, int monotonic, lattice_check check, lattice_prune prune, void *ctx);

#endif
