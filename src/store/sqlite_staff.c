/* Staff accounts, their recovery codes, sessions and access reasons in the
 * SQLite backend. */
#include <stdio.h>
#include <string.h>

#include "store/sqlite_internal.h"
#include "util/err.h"

enum {
    T_INSERT, T_BY_LOGIN, T_BY_ID, T_LIST, T_LOGGED_IN, T_STATUS, T_ROLE,
    T_REC_INSERT, T_REC_USE,
    T_SESS_INSERT, T_SESS_GET, T_SESS_TOUCH, T_SESS_END,
    T_REASON_INSERT, T_REASON_GET,
    T_COUNT
};
_Static_assert(T_COUNT <= SQ_STAFF_STMTS, "raise SQ_STAFF_STMTS");

#define STAFF_COLS \
    "id, login, pw_hash, role, totp_sealed, totp_last_step, status, created_at, last_login_at, disabled_reason"

static const char *const sql[T_COUNT] = {
    [T_INSERT] = "INSERT INTO staff(" STAFF_COLS ") VALUES(?,?,?,?,?,?,?,?,?,?)",
    [T_BY_LOGIN] = "SELECT " STAFF_COLS " FROM staff WHERE login = ?",
    [T_BY_ID] = "SELECT " STAFF_COLS " FROM staff WHERE id = ?",
    [T_LIST] = "SELECT " STAFF_COLS " FROM staff ORDER BY login",
    [T_LOGGED_IN] = "UPDATE staff SET last_login_at = ?2, totp_last_step = max(totp_last_step, ?3) WHERE id = ?1",
    [T_STATUS] = "UPDATE staff SET status = ?2, disabled_reason = ?3 WHERE id = ?1",
    [T_ROLE] = "UPDATE staff SET role = ?2 WHERE id = ?1",
    [T_REC_INSERT] = "INSERT INTO staff_recovery(staff_id, code_hash) VALUES(?,?)",
    [T_REC_USE] = "UPDATE staff_recovery SET used_at = ?3 WHERE staff_id = ?1 AND code_hash = ?2 AND used_at IS NULL",
    [T_SESS_INSERT] = "INSERT INTO staff_sessions(token_hash, staff_id, created_at, last_seen_at, expires_at)"
                      " VALUES(?1, ?2, ?3, ?3, ?4)",
    [T_SESS_GET] = "SELECT staff_id, last_seen_at, expires_at FROM staff_sessions WHERE token_hash = ?",
    [T_SESS_TOUCH] = "UPDATE staff_sessions SET last_seen_at = ?2 WHERE token_hash = ?1",
    [T_SESS_END] = "DELETE FROM staff_sessions WHERE staff_id = ?",
    [T_REASON_INSERT] = "INSERT INTO access_reasons(id, staff_id, person_id, reason, created_at, expires_at)"
                        " VALUES(?,?,?,?,?,?)",
    [T_REASON_GET] = "SELECT id, staff_id, person_id, reason, created_at, expires_at FROM access_reasons WHERE id = ?",
};

static sqlite3_stmt *prep(struct sqlite_store *s, int id)
{
    return sq_prep(s, &s->staff_stmt[id], sql[id]);
}

int sqs_staff_insert(struct store *st, const struct staff_row *r)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, T_INSERT);
    if (!q)
        return PHR_EIO;
    sq_bind_text(q, 1, r->id);
    sq_bind_text(q, 2, r->login);
    sq_bind_text(q, 3, r->pw_hash);
    sq_bind_text(q, 4, r->role);
    sqlite3_bind_blob(q, 5, r->totp_sealed, (int)r->totp_sealed_len, SQLITE_STATIC);
    sqlite3_bind_int64(q, 6, r->totp_last_step);
    sq_bind_text(q, 7, r->status);
    sqlite3_bind_int64(q, 8, r->created_at);
    if (r->last_login_at)
        sqlite3_bind_int64(q, 9, r->last_login_at);
    else
        sqlite3_bind_null(q, 9);
    sq_bind_text(q, 10, r->disabled_reason);
    return sq_exec(s, q, "staff_insert");
}

static int staff_rows(struct sqlite_store *s, sqlite3_stmt *q, const char *what, int one,
                      int (*cb)(void *, const struct staff_row *), void *arg)
{
    int rc, err = PHR_OK, n = 0;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        struct staff_row r = {
            .id = sq_text(q, 0), .login = sq_text(q, 1), .pw_hash = sq_text(q, 2), .role = sq_text(q, 3),
            .totp_sealed = sqlite3_column_blob(q, 4), .totp_sealed_len = (size_t)sqlite3_column_bytes(q, 4),
            .totp_last_step = sqlite3_column_int64(q, 5), .status = sq_text(q, 6),
            .created_at = sqlite3_column_int64(q, 7), .last_login_at = sqlite3_column_int64(q, 8),
            .disabled_reason = sq_text(q, 9),
        };
        n++;
        if ((err = cb(arg, &r)) != PHR_OK)
            break;
    }
    if (err == PHR_OK && rc != SQLITE_DONE)
        err = sq_fail(s, rc, what);
    sqlite3_reset(q);
    return err == PHR_OK && one && n == 0 ? PHR_ENOTFOUND : err;
}

int sqs_staff_get(struct store *st, const char *key, int by_id, int (*cb)(void *, const struct staff_row *),
                  void *arg)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, by_id ? T_BY_ID : T_BY_LOGIN);
    if (!q)
        return PHR_EIO;
    sq_bind_text(q, 1, key);
    return staff_rows(s, q, "staff_get", 1, cb, arg);
}

int sqs_staff_list(struct store *st, int (*cb)(void *, const struct staff_row *), void *arg)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, T_LIST);
    return q ? staff_rows(s, q, "staff_list", 0, cb, arg) : PHR_EIO;
}

/* Runs an UPDATE or DELETE; PHR_ENOTFOUND if it touched no row. */
static int change(struct sqlite_store *s, sqlite3_stmt *q, const char *what)
{
    int err = sq_exec(s, q, what);
    return err ? err : sqlite3_changes(s->db) ? PHR_OK : PHR_ENOTFOUND;
}

int sqs_staff_logged_in(struct store *st, const char *id, int64_t at, int64_t totp_step)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, T_LOGGED_IN);
    if (!q)
        return PHR_EIO;
    sq_bind_text(q, 1, id);
    sqlite3_bind_int64(q, 2, at);
    sqlite3_bind_int64(q, 3, totp_step);
    return change(s, q, "staff_logged_in");
}

int sqs_staff_update(struct store *st, const char *id, const char *status, const char *reason, const char *role)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, status ? T_STATUS : T_ROLE);
    if (!q)
        return PHR_EIO;
    sq_bind_text(q, 1, id);
    sq_bind_text(q, 2, status ? status : role);
    if (status)
        sq_bind_text(q, 3, reason);
    return change(s, q, "staff_update");
}

int sqs_staff_recovery_insert(struct store *st, const char *staff_id, const unsigned char hash[SHA256_BYTES])
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, T_REC_INSERT);
    if (!q)
        return PHR_EIO;
    sq_bind_text(q, 1, staff_id);
    sqlite3_bind_blob(q, 2, hash, SHA256_BYTES, SQLITE_STATIC);
    return sq_exec(s, q, "staff_recovery_insert");
}

int sqs_staff_recovery_use(struct store *st, const char *staff_id, const unsigned char hash[SHA256_BYTES],
                           int64_t at)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, T_REC_USE);
    if (!q)
        return PHR_EIO;
    sq_bind_text(q, 1, staff_id);
    sqlite3_bind_blob(q, 2, hash, SHA256_BYTES, SQLITE_STATIC);
    sqlite3_bind_int64(q, 3, at);
    return change(s, q, "staff_recovery_use");
}

int sqs_staff_session_insert(struct store *st, const unsigned char hash[SHA256_BYTES], const char *staff_id,
                             int64_t created_at, int64_t expires_at)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, T_SESS_INSERT);
    if (!q)
        return PHR_EIO;
    sqlite3_bind_blob(q, 1, hash, SHA256_BYTES, SQLITE_STATIC);
    sq_bind_text(q, 2, staff_id);
    sqlite3_bind_int64(q, 3, created_at);
    sqlite3_bind_int64(q, 4, expires_at);
    return sq_exec(s, q, "staff_session_insert");
}

int sqs_staff_session_get(struct store *st, const unsigned char hash[SHA256_BYTES], char *staff_id,
                          int64_t *last_seen_at, int64_t *expires_at)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, T_SESS_GET);
    if (!q)
        return PHR_EIO;
    sqlite3_bind_blob(q, 1, hash, SHA256_BYTES, SQLITE_STATIC);
    int rc = sqlite3_step(q), err = PHR_OK;
    if (rc == SQLITE_ROW) {
        snprintf(staff_id, 37, "%s", sq_text(q, 0));
        *last_seen_at = sqlite3_column_int64(q, 1);
        *expires_at = sqlite3_column_int64(q, 2);
    } else {
        err = rc == SQLITE_DONE ? PHR_ENOTFOUND : sq_fail(s, rc, "staff_session_get");
    }
    sqlite3_reset(q);
    return err;
}

int sqs_staff_session_touch(struct store *st, const unsigned char hash[SHA256_BYTES], int64_t now)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, T_SESS_TOUCH);
    if (!q)
        return PHR_EIO;
    sqlite3_bind_blob(q, 1, hash, SHA256_BYTES, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, now);
    return sq_exec(s, q, "staff_session_touch");
}

int sqs_staff_sessions_end(struct store *st, const char *staff_id)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, T_SESS_END);
    if (!q)
        return PHR_EIO;
    sq_bind_text(q, 1, staff_id);
    return sq_exec(s, q, "staff_sessions_end");
}

int sqs_reason_insert(struct store *st, const struct reason_row *r)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, T_REASON_INSERT);
    if (!q)
        return PHR_EIO;
    sq_bind_text(q, 1, r->id);
    sq_bind_text(q, 2, r->staff_id);
    sq_bind_text(q, 3, r->person_id);
    sq_bind_text(q, 4, r->reason);
    sqlite3_bind_int64(q, 5, r->created_at);
    sqlite3_bind_int64(q, 6, r->expires_at);
    return sq_exec(s, q, "reason_insert");
}

int sqs_reason_get(struct store *st, const char *id, int (*cb)(void *, const struct reason_row *), void *arg)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, T_REASON_GET);
    if (!q)
        return PHR_EIO;
    sq_bind_text(q, 1, id);
    int rc = sqlite3_step(q), err;
    if (rc == SQLITE_ROW) {
        struct reason_row r = {.id = sq_text(q, 0), .staff_id = sq_text(q, 1), .person_id = sq_text(q, 2),
                               .reason = sq_text(q, 3), .created_at = sqlite3_column_int64(q, 4),
                               .expires_at = sqlite3_column_int64(q, 5)};
        err = cb(arg, &r);
    } else {
        err = rc == SQLITE_DONE ? PHR_ENOTFOUND : sq_fail(s, rc, "reason_get");
    }
    sqlite3_reset(q);
    return err;
}
