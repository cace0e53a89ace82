/* Upkeep in the SQLite backend: the live schema (for the inventory), the
 * rows a master-key rotation rewrites, and shared request counts. */
#include <stdio.h>
#include <string.h>

#include "store/sqlite_internal.h"
#include "util/err.h"

enum {
    S_SCHEMA, S_KEYS_OTHER, S_KEYS_COUNT_OTHER, S_KEY_UPDATE, S_TOTP_UPDATE, S_RATE_ADD, S_RATE_PRUNE, S_RATE_GET,
    N_STMTS
};
_Static_assert(N_STMTS <= SQ_UPKEEP_STMTS, "raise SQ_UPKEEP_STMTS");

static const char *const sql[N_STMTS] = {
    [S_SCHEMA] = "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name, 'main') p"
                 " WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'"
                 " UNION ALL SELECT m.name, p.name FROM ks.sqlite_master m JOIN pragma_table_info(m.name, 'ks') p"
                 " WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY 1",
    [S_KEYS_OTHER] = "SELECT person_id, master_key_id, wrapped FROM ks.data_keys WHERE master_key_id <> ? LIMIT ?",
    [S_KEYS_COUNT_OTHER] = "SELECT count(*) FROM ks.data_keys WHERE master_key_id <> ?",
    [S_KEY_UPDATE] = "UPDATE ks.data_keys SET master_key_id = ?2, wrapped = ?3 WHERE person_id = ?1",
    [S_TOTP_UPDATE] = "UPDATE staff SET totp_sealed = ?2 WHERE id = ?1",
    [S_RATE_ADD] = "INSERT INTO rate_counts(key, window, count) VALUES(?,?,?) ON CONFLICT(key, window)"
                   " DO UPDATE SET count = count + excluded.count RETURNING count",
    [S_RATE_PRUNE] = "DELETE FROM rate_counts WHERE window < ?",
    [S_RATE_GET] = "SELECT count FROM rate_counts WHERE key = ? AND window = ?",
};

static sqlite3_stmt *prep(struct sqlite_store *s, int id)
{
    return sq_prep(s, &s->upkeep_stmt[id], sql[id]);
}

int squ_schema_columns(struct store *st, int (*cb)(void *, const char *, const char *), void *arg)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, S_SCHEMA);
    if (!q)
        return PHR_EIO;
    int rc, err = PHR_OK;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW)
        if ((err = cb(arg, sq_text(q, 0), sq_text(q, 1))) != PHR_OK)
            break;
    if (err == PHR_OK && rc != SQLITE_DONE)
        err = sq_fail(s, rc, "schema_columns");
    sqlite3_reset(q);
    return err;
}

int squ_data_keys_other(struct store *st, const char *key_id, int limit,
                             int (*cb)(void *, const char *, const char *, const unsigned char *, size_t), void *arg)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, S_KEYS_OTHER);
    if (!q)
        return PHR_EIO;
    sq_bind_text(q, 1, key_id);
    sqlite3_bind_int(q, 2, limit);
    int rc, err = PHR_OK;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW)
        if ((err = cb(arg, sq_text(q, 0), sq_text(q, 1), sqlite3_column_blob(q, 2),
                      (size_t)sqlite3_column_bytes(q, 2))) != PHR_OK)
            break;
    if (err == PHR_OK && rc != SQLITE_DONE)
        err = sq_fail(s, rc, "data_keys_other");
    sqlite3_reset(q);
    return err;
}

int squ_data_keys_count_other(struct store *st, const char *key_id, int64_t *n)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, S_KEYS_COUNT_OTHER);
    if (!q)
        return PHR_EIO;
    sq_bind_text(q, 1, key_id);
    int rc = sqlite3_step(q), err = PHR_OK;
    if (rc == SQLITE_ROW)
        *n = sqlite3_column_int64(q, 0);
    else
        err = sq_fail(s, rc, "data_keys_count_other");
    sqlite3_reset(q);
    return err;
}

int squ_data_key_update(struct store *st, const char *person_id, const char *key_id,
                             const unsigned char *wrapped, size_t len)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, S_KEY_UPDATE);
    if (!q)
        return PHR_EIO;
    sq_bind_text(q, 1, person_id);
    sq_bind_text(q, 2, key_id);
    sqlite3_bind_blob(q, 3, wrapped, (int)len, SQLITE_STATIC);
    return sq_exec(s, q, "data_key_update");
}

int squ_staff_totp_update(struct store *st, const char *staff_id, const unsigned char *sealed, size_t len)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, S_TOTP_UPDATE);
    if (!q)
        return PHR_EIO;
    sq_bind_text(q, 1, staff_id);
    sqlite3_bind_blob(q, 2, sealed, (int)len, SQLITE_STATIC);
    return sq_exec(s, q, "staff_totp_update");
}

int squ_rate_add(struct store *st, const char *key, int64_t window, int64_t delta, int64_t *total)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, S_RATE_ADD);
    if (!q)
        return PHR_EIO;
    sq_bind_text(q, 1, key);
    sqlite3_bind_int64(q, 2, window);
    sqlite3_bind_int64(q, 3, delta);
    int rc = sqlite3_step(q), err = PHR_OK;
    if (rc == SQLITE_ROW)
        *total = sqlite3_column_int64(q, 0);
    else
        err = sq_fail(s, rc, "rate_add");
    sqlite3_reset(q);
    return err;
}

int squ_rate_get(struct store *st, const char *key, int64_t window, int64_t *count)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, S_RATE_GET);
    if (!q)
        return PHR_EIO;
    sq_bind_text(q, 1, key);
    sqlite3_bind_int64(q, 2, window);
    int rc = sqlite3_step(q), err = PHR_OK;
    *count = rc == SQLITE_ROW ? sqlite3_column_int64(q, 0) : 0;
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        err = sq_fail(s, rc, "rate_get");
    sqlite3_reset(q);
    return err;
}

int squ_rate_prune(struct store *st, int64_t before_window)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, S_RATE_PRUNE);
    if (!q)
        return PHR_EIO;
    sqlite3_bind_int64(q, 1, before_window);
    return sq_exec(s, q, "rate_prune");
}
