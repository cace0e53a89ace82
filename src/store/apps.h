/* Apps of the person's choosing (SMART App Launch): their registration as
 * OAuth clients, the person's approvals, and the codes and refresh tokens
 * that stand for an approval, each used once. */
#ifndef PHR_STORE_APPS_H
#define PHR_STORE_APPS_H

#include <stdint.h>

#include "model/rows.h"

struct store;

/* Registers (or changes) a recipient's app. PHR_ENOTFOUND: no such recipient. */
int store_app_client_set(struct store *st, const char *client, int public_client, const char *redirect_uris,
                         const char *origins, const char *scopes, int64_t at);
/* PHR_ENOTFOUND if the recipient has no app registered. */
int store_app_client_get(struct store *st, const char *client, int (*cb)(void *, const struct app_client_row *),
                         void *arg);
/* Whether any app registered origin (exactly, "https://host[:port]"). */
int store_app_origin_known(struct store *st, const char *origin, int *known);
/* The purposes in force naming a group the client belongs to. */
int store_app_purposes(struct store *st, const char *client, int (*cb)(void *, const struct purpose_row *),
                       void *arg);

int store_app_grant_insert(struct store *st, const struct app_grant_row *g);
/* A person's approvals, newest first, revoked ones too. */
int store_app_grants_of(struct store *st, const char *person, int (*cb)(void *, const struct app_grant_row *),
                        void *arg);
/* PHR_ENOTFOUND unless the grant is the person's and in force. */
int store_app_grant_get(struct store *st, const char *id, const char *person,
                        int (*cb)(void *, const struct app_grant_row *), void *arg);
/* Ends a grant and everything issued under it, at once. */
int store_app_grant_revoke(struct store *st, const char *id, int64_t at);

int store_oauth_code_insert(struct store *st, const unsigned char hash[SHA256_BYTES], const char *grant,
                            const char *redirect_uri, const char *challenge, int64_t expires_at);
int store_refresh_insert(struct store *st, const unsigned char hash[SHA256_BYTES], const char *grant,
                         int64_t expires_at);
/* Counts a use of the code (refresh: the refresh token), then gives it and
 * its grant, used saying how many uses came before (0 the first time);
 * PHR_ENOTFOUND if unknown. */
int store_oauth_code_take(struct store *st, const unsigned char hash[SHA256_BYTES],
                          int (*cb)(void *, const struct app_secret_row *), void *arg);
int store_refresh_take(struct store *st, const unsigned char hash[SHA256_BYTES],
                       int (*cb)(void *, const struct app_secret_row *), void *arg);

/* RFC 7009: an access token is deleted alone; a refresh token ends its
 * grant (into grant, 37 bytes; "" otherwise) and every token issued under
 * it. PHR_ENOTFOUND: not a token of this client. */
int store_app_token_revoke(struct store *st, const unsigned char hash[SHA256_BYTES], const char *client,
                           int64_t at, char *grant);

#endif
