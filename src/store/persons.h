/* Persons (accounts and their data keys), sessions and sign-in throttles,
 * and the walks over persons that retention and Bulk export make. */
#ifndef PHR_STORE_PERSONS_H
#define PHR_STORE_PERSONS_H

#include "model/rows.h"

struct store;

/* The person and their wrapped data key (in the key store). */
int store_person_insert(struct store *st, const struct person_row *p);
/* PHR_ENOTFOUND if there is no such person. */
int store_person_by_login(struct store *st, const char *login, void (*cb)(void *, const struct person_row *),
                          void *arg);
int store_person_by_id(struct store *st, const char *id, void (*cb)(void *, const struct person_row *), void *arg);
int store_person_logged_in(struct store *st, const char *person, int64_t at);

int store_session_insert(struct store *st, const struct session_row *s);
int store_session_get(struct store *st, const unsigned char hash[SHA256_BYTES],
                      void (*cb)(void *, const struct session_row *), void *arg);
int store_session_touch(struct store *st, const unsigned char hash[SHA256_BYTES], int64_t now);
int store_session_delete(struct store *st, const unsigned char hash[SHA256_BYTES]);

/* Failed sign-ins under a key (a login, a client address); get fills a
 * zero row and answers PHR_ENOTFOUND when there is none. */
int store_throttle_get(struct store *st, const char *key, struct throttle_row *out);
int store_throttle_put(struct store *st, const char *key, const struct throttle_row *t);
int store_throttle_clear(struct store *st, const char *key);

/* Active persons not seen since before and not yet told; every active
 * person; the active persons in id order after `after` ("" from the
 * start), at most limit. */
int store_persons_inactive(struct store *st, int64_t before, int (*cb)(void *, const char *person), void *arg);
int store_persons_active(struct store *st, int (*cb)(void *, const char *person), void *arg);
int store_person_page(struct store *st, const char *after, int limit, int (*cb)(void *, const char *person),
                      void *arg);

#endif
