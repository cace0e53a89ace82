/* Anonymisation by full-domain generalisation and record suppression
 * (匿名加工情報, APPI Art.43; PPC rule 第34条 item 5: measures suited to
 * the data set): each quasi-identifier is generalised to one level of its
 * hierarchy for the whole table, and the records of the groups that still
 * fail the privacy model are suppressed, within a limit. The levels are
 * the globally optimal ones: of all the combinations (the lattice) that
 * meet the model, the one losing least information, as ARX finds it.
 *
 * Privacy models: k-anonymity; distinct l-diversity and recursive
 * (c,l)-diversity of one sensitive column. Information loss, defined as
 * ARX defines it:
 *   entropy         non-uniform entropy (ARX MetricMDNUEntropyPrecomputed):
 *                   per quasi-identifier, the sum over records of
 *                   -log2(share of its value among the records / share of
 *                   its generalised value), times the generalisation factor
 *                   of the gs-factor; summed over the quasi-identifiers.
 *                   It depends on the levels only, not on suppression.
 *   discernibility  DM* (ARX MetricSDDiscernability, the monotonic variant):
 *                   the sum over the groups, suppressed ones too, of their
 *                   size squared.
 * Ties: the lower sum of levels, then the levels first in column order
 * smallest (ARX keeps the first it meets; ours does not depend on order).
 *
 * Search (after Kohlmayer et al., Flash, 2012): every privacy model here
 * is monotonic (a combination coarser than one that meets it meets it too;
 * one finer than one that fails fails too), so each check settles many
 * combinations at once; checks walk paths upward from the bottom and
 * binary-search each. Recursive (c,l)-diversity with suppression is not
 * monotonic: then every combination is checked. The rows are first folded
 * into distinct records with counts, and every check works on those. */
#ifndef PHR_ANON_ANONYMISE_H
#define PHR_ANON_ANONYMISE_H

#include <stddef.h>
#include <stdint.h>

#include "anon/table.h"
#include "util/buf.h"

enum anon_metric { ANON_ENTROPY, ANON_DISCERNIBILITY };
enum anon_diversity { ANON_NO_DIVERSITY, ANON_DISTINCT, ANON_RECURSIVE };

/* The largest lattice searched: a byte per combination is kept. */
#define ANON_MAX_LATTICE (64u * 1024 * 1024)

struct anon_config {
    size_t n_qi;
    const size_t *qi;                       /* the quasi-identifiers' columns */
    const struct anon_hierarchy *h;         /* their hierarchies, in that order */
    long sensitive;                         /* column, or -1 */
    uint32_t k;                             /* >= 1 */
    enum anon_diversity diversity;
    uint32_t l;                             /* >= 2 with a diversity */
    double c;                               /* recursive (c,l): > 0 */
    double suppression;                     /* the share of rows that may go, [0, 1) */
    enum anon_metric metric;
    double gs_factor;                       /* [0, 1]; 0.5 weighs both alike */
};

struct anon_result {
    int found;                  /* 0: no combination meets the model */
    uint32_t *levels;           /* n_qi levels, owned */
    double loss;
    size_t suppressed;          /* rows */
    size_t nodes, checked;      /* the lattice's combinations; those grouped */
    unsigned char *row_gone;    /* rows flags: suppressed, owned */
};

/* 0 (result->found says whether a solution exists), or -1 with *e set:
 * a bad configuration (named), or out of memory. */
int anon_run(const struct anon_table *t, const struct anon_config *cfg, struct anon_result *result,
             struct anon_error *e);
void anon_result_free(struct anon_result *r);

/* The anonymised table as ';'-separated text in the input's layout:
 * quasi-identifiers generalised, every quasi-identifier of a suppressed row
 * "*", the other columns as they were. 0 or -1 (out of memory). */
int anon_write(const struct anon_table *t, const struct anon_config *cfg, const struct anon_result *r, char sep,
               struct buf *out);

#endif
