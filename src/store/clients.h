/* Outside organisations' clients as OAuth knows them: the keys a client
 * signs its assertions with, the tokens it was given with their scopes,
 * and the assertions it used (each once). */
#ifndef PHR_STORE_CLIENTS_H
#define PHR_STORE_CLIENTS_H

#include <stdint.h>

#include "model/rows.h"

struct store;

/* A client's keys: a JWKS, or the URL it publishes one at (NULL both:
 * none, the client signs in with its secret). PHR_ENOTFOUND if there is
 * no such organisation. */
int store_client_keys_set(struct store *st, const char *client, const char *jwks, const char *jwks_uri);
/* The JWKS and the URL to cb (each NULL if none); PHR_ENOTFOUND if no
 * such organisation. */
int store_client_keys_get(struct store *st, const char *client,
                          int (*cb)(void *, const char *jwks, const char *jwks_uri), void *arg);
/* The scopes a system may be granted (NULL: reading every type).
 * PHR_ENOTFOUND if there is no such organisation. */
int store_client_scopes_set(struct store *st, const char *client, const char *scopes);
int store_client_scopes_get(struct store *st, const char *client, int (*cb)(void *, const char *scopes), void *arg);

/* grant: the person's approval an app's token stands for, NULL for a
 * system's token. */
int store_client_token_insert(struct store *st, const unsigned char hash[SHA256_BYTES], const char *client,
                              int64_t created_at, int64_t expires_at, const char *scope, const char *grant);
/* The token's client and, for an app's, the person it acts for (37 bytes
 * each; "" for a system's), its expiry and granted scopes (scope_size
 * bytes, cut if longer). PHR_ENOTFOUND if unknown, its grant revoked or its
 * organisation's agreement ended. */
int store_client_token_get(struct store *st, const unsigned char hash[SHA256_BYTES], char *client, char *person,
                           int64_t *expires_at, char *scope, size_t scope_size);

/* An assertion's jti, kept until it expires. PHR_ECONFLICT: the client
 * used it already. */
int store_client_assertion_insert(struct store *st, const char *client, const char *jti, int64_t expires_at);

#endif
