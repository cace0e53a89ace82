/* A person's optional second factor: one TOTP key, sealed with the
 * person's own data key (so that key rotation carries it and erasure
 * shreds it), awaiting confirmation or enabled; and its recovery codes, as
 * hashes, each used once. */
#ifndef PHR_STORE_SECOND_FACTOR_H
#define PHR_STORE_SECOND_FACTOR_H

#include "model/rows.h"

struct store;

/* PHR_ENOTFOUND if the person has none. */
int store_second_factor_get(struct store *st, const char *person, int (*cb)(void *, const struct second_factor_row *),
                            void *arg);
/* Replaces a key awaiting confirmation; PHR_ECONFLICT if one is enabled. */
int store_second_factor_put(struct store *st, const struct second_factor_row *r);
/* Enables the key and records step as used; PHR_ECONFLICT if step is not
 * after the last one used (a replayed code). */
int store_second_factor_use(struct store *st, const char *person, int64_t step);
/* PHR_ENOTFOUND if there was none; its recovery codes go with it. */
int store_second_factor_delete(struct store *st, const char *person);
/* Replaces the person's recovery codes with n new ones (hashes). */
int store_second_factor_codes_put(struct store *st, const char *person, const unsigned char (*hashes)[SHA256_BYTES],
                                  size_t n);
/* Marks an unused code used; PHR_ENOTFOUND if there is no such unused code. */
int store_second_factor_code_use(struct store *st, const char *person, const unsigned char hash[SHA256_BYTES],
                                 int64_t at);

#endif
