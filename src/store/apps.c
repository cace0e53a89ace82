/* Apps, approvals, codes and refresh tokens; store/apps.h. */
#include "store/apps.h"

#include <stdio.h>
#include <string.h>

#include "store/internal.h"
#include "util/ids.h"

static struct db_stmt client_exists = DB_STMT("app_client_exists", "SELECT count(*) FROM recipients WHERE id = ?1");
static struct db_stmt client_set = DB_STMT(
    "app_client_set", "INSERT INTO app_clients(client_id, public, redirect_uris, origins, updated_at, scopes)"
                      " VALUES(?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (client_id) DO UPDATE SET public = excluded.public,"
                      " redirect_uris = excluded.redirect_uris, origins = excluded.origins,"
                      " updated_at = excluded.updated_at, scopes = excluded.scopes");
static struct db_stmt client_get = DB_STMT(
    "app_client_get", "SELECT a.client_id, r.name, r.address, r.country, r.kind, a.public, a.redirect_uris, a.origins,"
                      " a.scopes"
                      " FROM app_clients a JOIN recipients r ON r.id = a.client_id WHERE a.client_id = ?1");
static struct db_stmt origin_known = DB_STMT(
    "app_origin_known", "SELECT count(*) FROM app_clients WHERE instr(' ' || origins || ' ', ' ' || ?1 || ' ') > 0");
static struct db_stmt purposes = DB_STMT(
    "app_purposes", "SELECT p.code, p.version, p.required, p.title_ja, p.title_en, p.description_ja, p.description_en,"
                    " p.change, p.published_at, c.covered_from, p.recipient_group, p.kinds"
                    " FROM purpose_current c JOIN purposes p ON p.code = c.code AND p.version = c.version"
                    " JOIN group_members m ON m.group_code = p.recipient_group"
                    " WHERE m.recipient_id = ?1 AND c.retired = 0 ORDER BY p.code");
static struct db_stmt grant_insert = DB_STMT(
    "app_grant_insert", "INSERT INTO app_grants(id, person_id, client_id, scope, purposes, granted_at)"
                        " VALUES(?1, ?2, ?3, ?4, ?5, ?6)");
#define GRANT_COLUMNS                                                                                        \
    "g.id, g.person_id, g.client_id, g.scope, g.purposes, g.granted_at, coalesce(g.revoked_at, 0), r.name,"   \
    " coalesce((SELECT max(v.at) FROM provisions v WHERE v.recipient_id = g.client_id"                       \
    " AND v.person_id = g.person_id AND v.at >= g.granted_at), 0)"
static struct db_stmt grants_of = DB_STMT(
    "app_grants_of", "SELECT " GRANT_COLUMNS " FROM app_grants g JOIN recipients r ON r.id = g.client_id"
                     " WHERE g.person_id = ?1 ORDER BY g.granted_at DESC, g.id");
static struct db_stmt grant_get = DB_STMT(
    "app_grant_get", "SELECT " GRANT_COLUMNS " FROM app_grants g JOIN recipients r ON r.id = g.client_id"
                     " WHERE g.id = ?1 AND g.person_id = ?2 AND g.revoked_at IS NULL");
static struct db_stmt grant_end = DB_STMT(
    "app_grant_end", "UPDATE app_grants SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL");
static struct db_stmt grant_tokens_end = DB_STMT("app_grant_tokens_end", "DELETE FROM client_tokens WHERE grant_id = ?1");
static struct db_stmt grant_refresh_end = DB_STMT("app_grant_refresh_end",
                                                  "DELETE FROM refresh_tokens WHERE grant_id = ?1");
static struct db_stmt grant_codes_end = DB_STMT("app_grant_codes_end", "DELETE FROM oauth_codes WHERE grant_id = ?1");
static struct db_stmt code_insert = DB_STMT(
    "oauth_code_insert", "INSERT INTO oauth_codes(code_hash, grant_id, redirect_uri, challenge, expires_at)"
                         " VALUES(?1, ?2, ?3, ?4, ?5)");
static struct db_stmt refresh_insert = DB_STMT(
    "refresh_insert", "INSERT INTO refresh_tokens(token_hash, grant_id, expires_at) VALUES(?1, ?2, ?3)");
#define SECRET_GRANT                                                                                         \
    " g.client_id, g.person_id, g.scope, g.purposes, coalesce(g.revoked_at, 0) FROM app_grants g"
/* A code or refresh token is counted used first, then read: two uses at
 * once (two instances on one PostgreSQL) take the row's lock in turn, and
 * the second reads itself as the second. */
static struct db_stmt code_use = DB_STMT("oauth_code_use",
                                         "UPDATE oauth_codes SET used = used + 1 WHERE code_hash = ?1");
static struct db_stmt code_get = DB_STMT(
    "oauth_code_get", "SELECT c.grant_id, c.redirect_uri, c.challenge, c.expires_at, c.used - 1," SECRET_GRANT
                      " JOIN oauth_codes c ON c.grant_id = g.id WHERE c.code_hash = ?1");
static struct db_stmt refresh_use = DB_STMT("refresh_use",
                                            "UPDATE refresh_tokens SET used = used + 1 WHERE token_hash = ?1");
static struct db_stmt refresh_get = DB_STMT(
    "refresh_get", "SELECT t.grant_id, NULL, NULL, t.expires_at, t.used - 1," SECRET_GRANT
                   " JOIN refresh_tokens t ON t.grant_id = g.id WHERE t.token_hash = ?1");
static struct db_stmt token_grant = DB_STMT(
    "app_token_grant", "SELECT coalesce(grant_id, ''), 0 FROM client_tokens WHERE token_hash = ?1 AND recipient_id = ?2"
                       " UNION ALL SELECT t.grant_id, 1 FROM refresh_tokens t JOIN app_grants g ON g.id = t.grant_id"
                       " WHERE t.token_hash = ?1 AND g.client_id = ?2");
static struct db_stmt token_delete = DB_STMT("app_token_delete", "DELETE FROM client_tokens WHERE token_hash = ?1");

int store_app_client_set(struct store *st, const char *client, int public_client, const char *redirect_uris,
                         const char *origins, const char *scopes, int64_t at)
{
    int64_t n = 0;
    int err = st_int(st, &client_exists, DB_ARGS(DB_STR(client)), &n);
    if (err || n == 0)
        return err ? err : PHR_ENOTFOUND;
    return st_exec(st, &client_set, DB_ARGS(DB_STR(client), DB_INT(public_client), DB_STR(redirect_uris),
                                             DB_STR(origins), DB_INT(at), DB_STR(scopes)));
}

static int client_of(void *arg, const struct db_row *q)
{
    struct app_client_row a = {
        .client_id = db_text(q, 0), .name = db_text(q, 1), .address = db_text(q, 2), .country = db_text(q, 3),
        .kind = db_text(q, 4), .public_client = (int)db_int(q, 5), .redirect_uris = db_text(q, 6),
        .origins = db_text(q, 7), .scopes = db_text(q, 8),
    };
    return ST_CALL((struct st_cb *)arg, int (*)(void *, const struct app_client_row *), &a);
}

int store_app_client_get(struct store *st, const char *client, int (*cb)(void *, const struct app_client_row *),
                         void *arg)
{
    return st_rows(st, &client_get, DB_ARGS(DB_STR(client)), client_of, ST_CB(cb, arg), 1);
}

int store_app_origin_known(struct store *st, const char *origin, int *known)
{
    int64_t n = 0;
    int err = st_int(st, &origin_known, DB_ARGS(DB_STR(origin)), &n);
    *known = !err && n > 0;
    return err;
}

static int purpose_of(void *arg, const struct db_row *q)
{
    struct purpose_row p = {
        .code = db_text(q, 0), .version = (int)db_int(q, 1), .required = (int)db_int(q, 2),
        .title_ja = db_text(q, 3), .title_en = db_text(q, 4), .description_ja = db_text(q, 5),
        .description_en = db_text(q, 6), .change = db_text(q, 7), .published_at = db_int(q, 8),
        .covered_from = (int)db_int(q, 9), .recipient_group = db_text(q, 10), .kinds = db_text(q, 11),
    };
    return ST_CALL((struct st_cb *)arg, int (*)(void *, const struct purpose_row *), &p);
}

int store_app_purposes(struct store *st, const char *client, int (*cb)(void *, const struct purpose_row *),
                       void *arg)
{
    return st_rows(st, &purposes, DB_ARGS(DB_STR(client)), purpose_of, ST_CB(cb, arg), 0);
}

int store_app_grant_insert(struct store *st, const struct app_grant_row *g)
{
    return st_exec(st, &grant_insert, DB_ARGS(DB_STR(g->id), DB_STR(g->person_id), DB_STR(g->client_id),
                                              DB_STR(g->scope), DB_STR(g->purposes), DB_INT(g->granted_at)));
}

static int grant_of(void *arg, const struct db_row *q)
{
    struct app_grant_row g = {
        .id = db_text(q, 0), .person_id = db_text(q, 1), .client_id = db_text(q, 2), .scope = db_text(q, 3),
        .purposes = db_text(q, 4), .granted_at = db_int(q, 5), .revoked_at = db_int(q, 6),
        .client_name = db_text(q, 7), .last_used_at = db_int(q, 8),
    };
    return ST_CALL((struct st_cb *)arg, int (*)(void *, const struct app_grant_row *), &g);
}

int store_app_grants_of(struct store *st, const char *person, int (*cb)(void *, const struct app_grant_row *),
                        void *arg)
{
    return st_rows(st, &grants_of, DB_ARGS(DB_STR(person)), grant_of, ST_CB(cb, arg), 0);
}

int store_app_grant_get(struct store *st, const char *id, const char *person,
                        int (*cb)(void *, const struct app_grant_row *), void *arg)
{
    return st_rows(st, &grant_get, DB_ARGS(DB_STR(id), DB_STR(person)), grant_of, ST_CB(cb, arg), 1);
}

int store_app_grant_revoke(struct store *st, const char *id, int64_t at)
{
    int err = st_exec(st, &grant_end, DB_ARGS(DB_STR(id), DB_INT(at)));
    if (!err)
        err = st_exec(st, &grant_tokens_end, DB_ARGS(DB_STR(id)));
    if (!err)
        err = st_exec(st, &grant_refresh_end, DB_ARGS(DB_STR(id)));
    return err ? err : st_exec(st, &grant_codes_end, DB_ARGS(DB_STR(id)));
}

int store_oauth_code_insert(struct store *st, const unsigned char hash[SHA256_BYTES], const char *grant,
                            const char *redirect_uri, const char *challenge, int64_t expires_at)
{
    return st_exec(st, &code_insert, DB_ARGS(DB_BLOB(hash, SHA256_BYTES), DB_STR(grant), DB_STR(redirect_uri),
                                             DB_STR(challenge), DB_INT(expires_at)));
}

int store_refresh_insert(struct store *st, const unsigned char hash[SHA256_BYTES], const char *grant,
                         int64_t expires_at)
{
    return st_exec(st, &refresh_insert, DB_ARGS(DB_BLOB(hash, SHA256_BYTES), DB_STR(grant), DB_INT(expires_at)));
}

static int secret_of(void *arg, const struct db_row *q)
{
    struct app_secret_row s = {
        .grant_id = db_text(q, 0), .redirect_uri = db_text(q, 1), .challenge = db_text(q, 2),
        .expires_at = db_int(q, 3), .used = (int)db_int(q, 4), .client_id = db_text(q, 5),
        .person_id = db_text(q, 6), .scope = db_text(q, 7), .purposes = db_text(q, 8),
        .grant_revoked_at = db_int(q, 9),
    };
    return ST_CALL((struct st_cb *)arg, int (*)(void *, const struct app_secret_row *), &s);
}

static int take(struct store *st, struct db_stmt *get, struct db_stmt *use, const unsigned char hash[SHA256_BYTES],
                int (*cb)(void *, const struct app_secret_row *), void *arg)
{
    int err = st_one_changed(st, use, DB_ARGS(DB_BLOB(hash, SHA256_BYTES)), PHR_ENOTFOUND);
    return err ? err : st_rows(st, get, DB_ARGS(DB_BLOB(hash, SHA256_BYTES)), secret_of, ST_CB(cb, arg), 1);
}

int store_oauth_code_take(struct store *st, const unsigned char hash[SHA256_BYTES],
                          int (*cb)(void *, const struct app_secret_row *), void *arg)
{
    return take(st, &code_get, &code_use, hash, cb, arg);
}

int store_refresh_take(struct store *st, const unsigned char hash[SHA256_BYTES],
                       int (*cb)(void *, const struct app_secret_row *), void *arg)
{
    return take(st, &refresh_get, &refresh_use, hash, cb, arg);
}

struct token_kind {
    char *grant;
    int refresh;
};

static int token_kind_of(void *arg, const struct db_row *q)
{
    struct token_kind *k = arg;
    snprintf(k->grant, ID_LEN + 1, "%s", db_text(q, 0));
    k->refresh = (int)db_int(q, 1);
    return 0;
}

int store_app_token_revoke(struct store *st, const unsigned char hash[SHA256_BYTES], const char *client,
                           int64_t at, char *grant)
{
    struct token_kind k = {grant, 0};
    grant[0] = '\0';
    int err = st_rows(st, &token_grant, DB_ARGS(DB_BLOB(hash, SHA256_BYTES), DB_STR(client)), token_kind_of, &k, 1);
    if (err)
        return err;
    if (k.refresh)
        return store_app_grant_revoke(st, grant, at);
    grant[0] = '\0';
    return st_exec(st, &token_delete, DB_ARGS(DB_BLOB(hash, SHA256_BYTES)));
}
