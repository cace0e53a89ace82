/* Clients' keys, tokens and used assertions; store/clients.h. */
#include "store/clients.h"

#include <stdio.h>
#include <string.h>

#include "store/internal.h"

/* Keys by value or by URL, one or the other. */
static struct db_stmt keys_set = DB_STMT(
    "client_keys_set", "UPDATE recipients SET jwks = ?2, jwks_uri = ?3 WHERE id = ?1");
static struct db_stmt keys_get = DB_STMT("client_keys_get", "SELECT jwks, jwks_uri FROM recipients WHERE id = ?1");
static struct db_stmt scopes_set = DB_STMT("client_scopes_set", "UPDATE recipients SET scopes = ?2 WHERE id = ?1");
static struct db_stmt scopes_get = DB_STMT("client_scopes_get", "SELECT scopes FROM recipients WHERE id = ?1");
static struct db_stmt token_insert = DB_STMT(
    "client_token_insert", "INSERT INTO client_tokens(token_hash, recipient_id, created_at, expires_at, scope,"
                           " grant_id) VALUES(?1, ?2, ?3, ?4, ?5, ?6)");
/* A token issued under a person's approval lives only as long as it; any
 * client's, only until its organisation's agreement ends. */
static struct db_stmt token_get = DB_STMT(
    "client_token_get", "SELECT t.recipient_id, t.expires_at, t.scope, g.person_id FROM client_tokens t"
                        " LEFT JOIN app_grants g ON g.id = t.grant_id WHERE t.token_hash = ?1"
                        " AND (t.grant_id IS NULL OR (g.id IS NOT NULL AND g.revoked_at IS NULL))"
                        " AND NOT EXISTS (SELECT 1 FROM agreements a WHERE a.seq = (SELECT max(seq) FROM agreements"
                        " WHERE recipient_id = t.recipient_id) AND a.ended = 1)");
/* A replay is answered, and recorded, in the same transaction: the insert
 * must not fail (on PostgreSQL a failed statement ends what the
 * transaction may still do), so a jti seen before changes nothing. */
static struct db_stmt assertion_insert = DB_STMT(
    "client_assertion_insert", "INSERT INTO client_assertions(client_id, jti, expires_at) VALUES(?1, ?2, ?3)"
                               " ON CONFLICT (client_id, jti) DO NOTHING");

int store_client_keys_set(struct store *st, const char *client, const char *jwks, const char *jwks_uri)
{
    return st_one_changed(st, &keys_set, DB_ARGS(DB_STR(client), DB_STR(jwks), DB_STR(jwks_uri)), PHR_ENOTFOUND);
}

static int keys_of(void *arg, const struct db_row *r)
{
    return ST_CALL((struct st_cb *)arg, int (*)(void *, const char *, const char *), db_text(r, 0), db_text(r, 1));
}

static int text_of(void *arg, const struct db_row *r)
{
    return ST_CALL((struct st_cb *)arg, int (*)(void *, const char *), db_text(r, 0));
}

int store_client_keys_get(struct store *st, const char *client,
                          int (*cb)(void *, const char *jwks, const char *jwks_uri), void *arg)
{
    return st_rows(st, &keys_get, DB_ARGS(DB_STR(client)), keys_of, ST_CB(cb, arg), 1);
}

int store_client_scopes_set(struct store *st, const char *client, const char *scopes)
{
    return st_one_changed(st, &scopes_set, DB_ARGS(DB_STR(client), DB_STR(scopes)), PHR_ENOTFOUND);
}

int store_client_scopes_get(struct store *st, const char *client, int (*cb)(void *, const char *scopes), void *arg)
{
    return st_rows(st, &scopes_get, DB_ARGS(DB_STR(client)), text_of, ST_CB(cb, arg), 1);
}

int store_client_token_insert(struct store *st, const unsigned char hash[SHA256_BYTES], const char *client,
                              int64_t created_at, int64_t expires_at, const char *scope, const char *grant)
{
    return st_exec(st, &token_insert,
                   DB_ARGS(DB_BLOB(hash, SHA256_BYTES), DB_STR(client), DB_INT(created_at), DB_INT(expires_at),
                           DB_STR(scope), DB_STR(grant)));
}

struct token {
    char *client, *person;
    int64_t *expires_at;
    char *scope;
    size_t scope_size;
};

static int token_of(void *arg, const struct db_row *r)
{
    struct token *t = arg;
    snprintf(t->client, 37, "%s", db_text(r, 0));
    *t->expires_at = db_int(r, 1);
    snprintf(t->scope, t->scope_size, "%s", db_text(r, 2) ? db_text(r, 2) : "");
    snprintf(t->person, 37, "%s", db_text(r, 3) ? db_text(r, 3) : "");
    return 0;
}

int store_client_token_get(struct store *st, const unsigned char hash[SHA256_BYTES], char *client, char *person,
                           int64_t *expires_at, char *scope, size_t scope_size)
{
    struct token t = {client, person, expires_at, scope, scope_size};
    return st_rows(st, &token_get, DB_ARGS(DB_BLOB(hash, SHA256_BYTES)), token_of, &t, 1);
}

int store_client_assertion_insert(struct store *st, const char *client, const char *jti, int64_t expires_at)
{
    return st_one_changed(st, &assertion_insert, DB_ARGS(DB_STR(client), DB_STR(jti), DB_INT(expires_at)),
                          PHR_ECONFLICT);
}
