/* Staff (R2.1, R2.2, R2.4): accounts, their recovery codes and sessions,
 * and the reasons under which handlers open a person's data. */
#ifndef PHR_STORE_STAFF_H
#define PHR_STORE_STAFF_H

#include "model/rows.h"

struct store;

int store_staff_insert(struct store *st, const struct staff_row *s);
/* by login, or (by_id) by id. PHR_ENOTFOUND. */
int store_staff_get(struct store *st, const char *key, int by_id, int (*cb)(void *, const struct staff_row *),
                    void *arg);
int store_staff_list(struct store *st, int (*cb)(void *, const struct staff_row *), void *arg);
/* The sign-in's time and the TOTP step it used (never moved back). */
int store_staff_logged_in(struct store *st, const char *id, int64_t at, int64_t totp_step);
/* status and reason (NULL to keep the role), or a new role (status NULL);
 * PHR_ENOTFOUND. */
int store_staff_update(struct store *st, const char *id, const char *status, const char *reason, const char *role);
int store_staff_recovery_insert(struct store *st, const char *staff_id, const unsigned char hash[SHA256_BYTES]);
/* Marks an unused code used; PHR_ENOTFOUND if there is none such. */
int store_staff_recovery_use(struct store *st, const char *staff_id, const unsigned char hash[SHA256_BYTES],
                             int64_t at);
int store_staff_session_insert(struct store *st, const unsigned char hash[SHA256_BYTES], const char *staff_id,
                               int64_t created_at, int64_t expires_at);
/* staff_id holds 37 bytes. PHR_ENOTFOUND. */
int store_staff_session_get(struct store *st, const unsigned char hash[SHA256_BYTES], char *staff_id,
                            int64_t *last_seen_at, int64_t *expires_at);
int store_staff_session_touch(struct store *st, const unsigned char hash[SHA256_BYTES], int64_t now);
int store_staff_sessions_end(struct store *st, const char *staff_id);
int store_reason_insert(struct store *st, const struct reason_row *r);
/* PHR_ENOTFOUND. */
int store_reason_get(struct store *st, const char *id, int (*cb)(void *, const struct reason_row *), void *arg);

#endif
