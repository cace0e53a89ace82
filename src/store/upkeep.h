/* Upkeep: the live schema (for the inventory), the rows a master-key
 * rotation rewrites, and request counts shared by every instance. */
#ifndef PHR_STORE_UPKEEP_H
#define PHR_STORE_UPKEEP_H

#include "model/rows.h"

struct store;

/* Every column of every table, from the live schema. */
int store_schema_columns(struct store *st, int (*cb)(void *, const char *table, const char *column), void *arg);

/* Master-key rotation: data keys not wrapped by key_id (at most limit),
 * their count, a re-wrapped key written back, a staff TOTP key re-sealed. */
int store_data_keys_other(struct store *st, const char *key_id, int limit,
                          int (*cb)(void *, const char *person_id, const char *key_id, const unsigned char *wrapped,
                                    size_t len),
                          void *arg);
int store_data_keys_count_other(struct store *st, const char *key_id, int64_t *n);
int store_data_key_update(struct store *st, const char *person_id, const char *key_id, const unsigned char *wrapped,
                          size_t len);
int store_staff_totp_update(struct store *st, const char *staff_id, const unsigned char *sealed, size_t len);

/* Adds delta to key's count for window; *total is the count after. */
int store_rate_add(struct store *st, const char *key, int64_t window, int64_t delta, int64_t *total);
/* The count for key in window, 0 if none. */
int store_rate_get(struct store *st, const char *key, int64_t window, int64_t *count);
int store_rate_prune(struct store *st, int64_t before_window);

#endif
