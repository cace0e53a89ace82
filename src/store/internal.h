/* Shared by the store's own files: the helpers every domain operation is
 * written with, once, over the driver (db/db.h). */
#ifndef PHR_STORE_INTERNAL_H
#define PHR_STORE_INTERNAL_H

#include "db/db.h"
#include "store/store.h"
#include "util/err.h"

/* What the store keeps on a connection for the length of one write
 * transaction, read once and not again: the audit chain's head, which
 * every entry needs and only this transaction can move (it holds the
 * writer's lock). A rollback, to a savepoint or whole, forgets it. */
struct store_memo {
    int writing;    /* in a transaction begun by store_begin */
    int head_known; /* head_seq and head_hash are the chain's head (seq 0: empty) */
    int64_t head_seq;
    unsigned char head_hash[SHA256_BYTES];
};

/* Runs a statement that returns no rows. */
static inline int st_exec(struct store *st, struct db_stmt *q, const struct db_val *a, int n)
{
    return db_run(st, q, a, n, NULL, NULL, NULL);
}

/* Runs a statement that changes rows; *changed: how many. */
static inline int st_changed(struct store *st, struct db_stmt *q, const struct db_val *a, int n, int64_t *changed)
{
    *changed = 0;
    return db_run(st, q, a, n, NULL, NULL, changed);
}

/* Runs a statement expected to change exactly one row: PHR_OK, or
 * `otherwise` when it changed none. */
int st_one_changed(struct store *st, struct db_stmt *q, const struct db_val *a, int n, int otherwise);

/* Calls fn on every row; PHR_ENOTFOUND when there was none and absent is
 * set (for lookups), PHR_OK otherwise. */
int st_rows(struct store *st, struct db_stmt *q, const struct db_val *a, int n, db_row_fn fn, void *arg,
            int absent);

/* The first column of the only row, an integer; PHR_ENOTFOUND if none. */
int st_int(struct store *st, struct db_stmt *q, const struct db_val *a, int n, int64_t *out);

/* A typed callback and its argument, for the row converters. */
struct st_cb {
    void (*fn)(void);
    void *arg;
};
#define ST_CB(f, a) (&(struct st_cb){(void (*)(void))(f), (a)})
#define ST_CALL(c, type, ...) (((type)(c)->fn)((c)->arg, __VA_ARGS__))

#endif
