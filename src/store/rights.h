/* A person's rights (R3.10): erasure requests, and the deletion they carry
 * out — records only, or the account with everything but what the law
 * makes the provider keep — down to the data key. */
#ifndef PHR_STORE_RIGHTS_H
#define PHR_STORE_RIGHTS_H

#include "model/rows.h"

struct store;

/* What a scope covers: records (codes: comma-separated, "" = all), or the
 * account. */
int store_erasure_count(struct store *st, const char *person, int account, const char *codes,
                        struct erasure_counts *out);
int store_erasure_insert(struct store *st, const struct erasure_row *e);
/* PHR_ENOTFOUND. */
int store_erasure_get(struct store *st, const char *id, int (*cb)(void *, const struct erasure_row *), void *arg);
/* Unfinished (status "erasing") erasures, oldest first. */
int store_erasure_unfinished(struct store *st, int (*cb)(void *, const struct erasure_row *), void *arg);
int store_erasure_set(struct store *st, const char *id, const char *status, int64_t at, const char *erased);
/* *n: record versions deleted. */
int store_erase_records(struct store *st, const char *person, const char *codes, int64_t *n);
/* All but the handling history, provision records and the erasure rows;
 * the person row left as a tombstone without login or password. */
int store_erase_account(struct store *st, const char *person);
int store_erase_data_key(struct store *st, const char *person);
/* Outside a transaction, after erase_data_key committed: no earlier image
 * of the erased key left where the engine keeps it (db.h keys_forget).
 * PHR_EBUSY if readers held it. */
int store_keystore_checkpoint(struct store *st);
/* Deletes the key of every person whose account erasure is done: a key
 * store restored from a backup forgets them again. *n: keys deleted. */
int store_erase_keys_of_erased(struct store *st, int64_t *n);

#endif
