/* Inside the engine: the rows folded into distinct records (quasi-
 * identifiers and sensitive value, with how many rows each stands for),
 * and the grouping of those records under one combination of levels, with
 * the privacy model applied to each group. Not for use outside src/anon. */
#ifndef PHR_ANON_GROUPS_H
#define PHR_ANON_GROUPS_H

#include "anon/anonymise.h"

struct anon_records {
    size_t n, q, rows;
    uint32_t *qi;          /* n × q: level-0 value ids */
    uint32_t *sens;        /* n sensitive value ids, or NULL */
    uint32_t *count;       /* n: rows folded into each */
    uint32_t *of_row;      /* rows: the record each row became */
};

int records_fold(const struct anon_table *t, const struct anon_config *cfg, struct anon_records *r);
void records_free(struct anon_records *r);

/* One check's outcome. */
struct grouping {
    size_t groups, suppressed;   /* suppressed: rows in groups failing the model */
    double dm;                   /* discernibility (DM*): the sum of the groups' sizes squared */
};

struct checker;
struct checker *checker_new(const struct anon_records *r, const struct anon_config *cfg);
/* Groups the records under levels (one per quasi-identifier) and applies
 * the model to every group; gone (n flags, or NULL) marks the records of
 * the groups that fail. 0, or -1 out of memory. */
int checker_group(struct checker *c, const uint32_t *levels, struct grouping *g, unsigned char *gone);
void checker_free(struct checker *c);

#endif
