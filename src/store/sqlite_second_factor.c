/* A person's optional second factor in the SQLite backend: one TOTP key
 * per person, sealed with the person's own data key (so that key rotation
 * carries it and erasure shreds it), awaiting confirmation or enabled; and
 * its recovery codes, as hashes, each used once. */
#include <string.h>

#include "store/sqlite_internal.h"
#include "util/err.h"

enum { F_GET, F_PUT, F_USE, F_DELETE, F_CODES_DELETE, F_CODE_INSERT, F_CODE_USE, N_STMTS };
_Static_assert(N_STMTS <= SQ_SECOND_FACTOR_STMTS, "raise SQ_SECOND_FACTOR_STMTS");

static const char *const sql[N_STMTS] = {
    [F_GET] = "SELECT person_id, sealed, alg, enabled, last_step, created_at FROM second_factors WHERE person_id = ?",
    /* A key awaiting confirmation is replaced; an enabled one never is. */
    [F_PUT] = "INSERT INTO second_factors(person_id, sealed, alg, enabled, last_step, created_at) VALUES(?1,?2,?3,0,0,?4)"
              " ON CONFLICT(person_id) DO UPDATE SET sealed = excluded.sealed, alg = excluded.alg, last_step = 0,"
              " created_at = excluded.created_at WHERE second_factors.enabled = 0",
    [F_USE] = "UPDATE second_factors SET enabled = 1, last_step = ?2 WHERE person_id = ?1 AND last_step < ?2",
    [F_DELETE] = "DELETE FROM second_factors WHERE person_id = ?",
    [F_CODES_DELETE] = "DELETE FROM second_factor_codes WHERE person_id = ?",
    [F_CODE_INSERT] = "INSERT INTO second_factor_codes(person_id, code_hash) VALUES(?,?)",
    [F_CODE_USE] = "UPDATE second_factor_codes SET used_at = ?3 WHERE person_id = ?1 AND code_hash = ?2 AND used_at IS NULL",
};

static sqlite3_stmt *prep(struct sqlite_store *s, int id)
{
    return sq_prep(s, &s->second_factor_stmt[id], sql[id]);
}

int sqf_second_factor_get(struct store *st, const char *person, int (*cb)(void *, const struct second_factor_row *),
                          void *arg)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, F_GET);
    if (!q)
        return PHR_EIO;
    sq_bind_text(q, 1, person);
    int rc = sqlite3_step(q), err;
    if (rc == SQLITE_ROW) {
        struct second_factor_row r = {
            .person_id = sq_text(q, 0), .sealed = sqlite3_column_blob(q, 1),
            .sealed_len = (size_t)sqlite3_column_bytes(q, 1), .alg = sqlite3_column_int(q, 2),
            .enabled = sqlite3_column_int(q, 3), .last_step = sqlite3_column_int64(q, 4),
            .created_at = sqlite3_column_int64(q, 5),
        };
        err = cb(arg, &r);
    } else {
        err = rc == SQLITE_DONE ? PHR_ENOTFOUND : sq_fail(s, rc, "second_factor_get");
    }
    sqlite3_reset(q);
    return err;
}

int sqf_second_factor_put(struct store *st, const struct second_factor_row *r)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, F_PUT);
    if (!q)
        return PHR_EIO;
    sq_bind_text(q, 1, r->person_id);
    sqlite3_bind_blob(q, 2, r->sealed, (int)r->sealed_len, SQLITE_STATIC);
    sqlite3_bind_int(q, 3, r->alg);
    sqlite3_bind_int64(q, 4, r->created_at);
    int err = sq_exec(s, q, "second_factor_put");
    return err ? err : sqlite3_changes(s->db) == 1 ? PHR_OK : PHR_ECONFLICT;
}

int sqf_second_factor_use(struct store *st, const char *person, int64_t step)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, F_USE);
    if (!q)
        return PHR_EIO;
    sq_bind_text(q, 1, person);
    sqlite3_bind_int64(q, 2, step);
    int err = sq_exec(s, q, "second_factor_use");
    return err ? err : sqlite3_changes(s->db) == 1 ? PHR_OK : PHR_ECONFLICT;
}

static int delete_codes(struct sqlite_store *s, const char *person)
{
    sqlite3_stmt *q = prep(s, F_CODES_DELETE);
    if (!q)
        return PHR_EIO;
    sq_bind_text(q, 1, person);
    return sq_exec(s, q, "second_factor_codes_delete");
}

int sqf_second_factor_delete(struct store *st, const char *person)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, F_DELETE);
    if (!q)
        return PHR_EIO;
    sq_bind_text(q, 1, person);
    int err = sq_exec(s, q, "second_factor_delete");
    if (!err)
        err = sqlite3_changes(s->db) == 1 ? delete_codes(s, person) : PHR_ENOTFOUND;
    return err;
}

int sqf_second_factor_codes_put(struct store *st, const char *person, const unsigned char (*hashes)[SHA256_BYTES],
                                size_t n)
{
    struct sqlite_store *s = S(st);
    int err = delete_codes(s, person);
    for (size_t i = 0; !err && i < n; i++) {
        sqlite3_stmt *q = prep(s, F_CODE_INSERT);
        if (!q)
            return PHR_EIO;
        sq_bind_text(q, 1, person);
        sqlite3_bind_blob(q, 2, hashes[i], SHA256_BYTES, SQLITE_STATIC);
        err = sq_exec(s, q, "second_factor_code_insert");
    }
    return err;
}

int sqf_second_factor_code_use(struct store *st, const char *person, const unsigned char hash[SHA256_BYTES],
                               int64_t at)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, F_CODE_USE);
    if (!q)
        return PHR_EIO;
    sq_bind_text(q, 1, person);
    sqlite3_bind_blob(q, 2, hash, SHA256_BYTES, SQLITE_STATIC);
    sqlite3_bind_int64(q, 3, at);
    int err = sq_exec(s, q, "second_factor_code_use");
    return err ? err : sqlite3_changes(s->db) == 1 ? PHR_OK : PHR_ENOTFOUND;
}
