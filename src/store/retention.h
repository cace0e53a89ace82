/* Retention (R3.11) and service termination (R4.5): notices to persons,
 * pruning what has run out, the announcement, the runs. */
#ifndef PHR_STORE_RETENTION_H
#define PHR_STORE_RETENTION_H

#include "model/rows.h"

struct store;

int store_notice_insert(struct store *st, const struct notice_row *n);
/* Open notices of a person (kind ignored), or (person NULL) of a kind. */
int store_notices_open(struct store *st, const char *person, const char *kind,
                       int (*cb)(void *, const struct notice_row *), void *arg);
int store_notices_resolve(struct store *st, const char *person, const char *kind, int64_t at);
/* Deletes (dry: counts) provision records, expired sessions, tokens,
 * stale throttle and rate rows. */
int store_retention_prune(struct store *st, const struct prune_limits *l, int dry, struct prune_counts *out);
int store_termination_insert(struct store *st, const struct termination_row *t);
/* The latest announcement; PHR_ENOTFOUND if none. */
int store_termination_get(struct store *st, struct termination_row *out);
int store_retention_run_insert(struct store *st, int64_t at, int64_t as_of, const char *summary);
/* PHR_ENOTFOUND if never run. */
int store_retention_run_last(struct store *st, int64_t *at);

#endif
