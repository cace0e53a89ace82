/* A whole store copied into another, of either engine (issue 18: an
 * operator who outgrows one machine moves from SQLite to PostgreSQL):
 * every table, the key store's included, row for row, in one transaction
 * on the target from one snapshot of the source. */
#ifndef PHR_STORE_COPY_H
#define PHR_STORE_COPY_H

#include <stdint.h>

struct store;

/* Told after each batch of rows: the table, its rows copied, its rows. */
typedef void (*store_copy_progress)(void *arg, const char *table, int64_t done, int64_t total);

/* PHR_EEXIST if the target holds data already (it must be a store with the
 * schema and nothing in it); *rows: the rows copied. */
int store_copy(struct store *from, struct store *to, store_copy_progress progress, void *arg, int64_t *rows);

#endif
