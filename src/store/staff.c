/* Staff, written once over the driver. */
#include "store/staff.h"

#include <stdio.h>

#include "store/internal.h"

#define STAFF_COLS \
    "id, login, pw_hash, role, totp_sealed, totp_last_step, status, created_at, last_login_at, disabled_reason"

static struct db_stmt insert = DB_STMT(
    "staff_insert", "INSERT INTO staff(" STAFF_COLS ") VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
static struct db_stmt get_by_login = DB_STMT("staff_by_login", "SELECT " STAFF_COLS " FROM staff WHERE login = ?1");
static struct db_stmt get_by_id = DB_STMT("staff_by_id", "SELECT " STAFF_COLS " FROM staff WHERE id = ?1");
static struct db_stmt list = DB_STMT("staff_list", "SELECT " STAFF_COLS " FROM staff ORDER BY login");
static struct db_stmt logged_in = DB_STMT2(
    "staff_logged_in",
    "UPDATE staff SET last_login_at = ?2, totp_last_step = max(totp_last_step, ?3) WHERE id = ?1",
    "UPDATE staff SET last_login_at = ?2, totp_last_step = greatest(totp_last_step, ?3) WHERE id = ?1");
static struct db_stmt set_status = DB_STMT(
    "staff_status", "UPDATE staff SET status = ?2, disabled_reason = ?3 WHERE id = ?1");
static struct db_stmt set_role = DB_STMT("staff_role", "UPDATE staff SET role = ?2 WHERE id = ?1");
static struct db_stmt recovery_insert = DB_STMT(
    "staff_recovery_insert", "INSERT INTO staff_recovery(staff_id, code_hash) VALUES(?1, ?2)");
static struct db_stmt recovery_use = DB_STMT(
    "staff_recovery_use", "UPDATE staff_recovery SET used_at = ?3 WHERE staff_id = ?1 AND code_hash = ?2"
                          " AND used_at IS NULL");
static struct db_stmt session_insert = DB_STMT(
    "staff_session_insert", "INSERT INTO staff_sessions(token_hash, staff_id, created_at, last_seen_at, expires_at)"
                            " VALUES(?1, ?2, ?3, ?3, ?4)");
static struct db_stmt session_get = DB_STMT(
    "staff_session_get", "SELECT staff_id, last_seen_at, expires_at FROM staff_sessions WHERE token_hash = ?1");
static struct db_stmt session_touch = DB_STMT(
    "staff_session_touch", "UPDATE staff_sessions SET last_seen_at = ?2 WHERE token_hash = ?1");
static struct db_stmt sessions_end = DB_STMT("staff_sessions_end", "DELETE FROM staff_sessions WHERE staff_id = ?1");
static struct db_stmt reason_insert = DB_STMT(
    "reason_insert", "INSERT INTO access_reasons(id, staff_id, person_id, reason, created_at, expires_at)"
                     " VALUES(?1, ?2, ?3, ?4, ?5, ?6)");
static struct db_stmt reason_get = DB_STMT(
    "reason_get", "SELECT id, staff_id, person_id, reason, created_at, expires_at FROM access_reasons WHERE id = ?1");

int store_staff_insert(struct store *st, const struct staff_row *r)
{
    return st_exec(st, &insert,
                   DB_ARGS(DB_STR(r->id), DB_STR(r->login), DB_STR(r->pw_hash), DB_STR(r->role),
                           DB_BLOB(r->totp_sealed, r->totp_sealed_len), DB_INT(r->totp_last_step), DB_STR(r->status),
                           DB_INT(r->created_at), DB_INT_OR_NULL(r->last_login_at), DB_STR(r->disabled_reason)));
}

static int staff_of(void *arg, const struct db_row *q)
{
    struct staff_row r = {
        .id = db_text(q, 0), .login = db_text(q, 1), .pw_hash = db_text(q, 2), .role = db_text(q, 3),
        .totp_last_step = db_int(q, 5), .status = db_text(q, 6), .created_at = db_int(q, 7),
        .last_login_at = db_int(q, 8), .disabled_reason = db_text(q, 9),
    };
    r.totp_sealed = db_bytes(q, 4, &r.totp_sealed_len);
    return ST_CALL((struct st_cb *)arg, int (*)(void *, const struct staff_row *), &r);
}

int store_staff_get(struct store *st, const char *key, int by_id, int (*cb)(void *, const struct staff_row *),
                    void *arg)
{
    return st_rows(st, by_id ? &get_by_id : &get_by_login, DB_ARGS(DB_STR(key)), staff_of, ST_CB(cb, arg), 1);
}

int store_staff_list(struct store *st, int (*cb)(void *, const struct staff_row *), void *arg)
{
    return st_rows(st, &list, DB_NO_ARGS, staff_of, ST_CB(cb, arg), 0);
}

int store_staff_logged_in(struct store *st, const char *id, int64_t at, int64_t totp_step)
{
    return st_one_changed(st, &logged_in, DB_ARGS(DB_STR(id), DB_INT(at), DB_INT(totp_step)), PHR_ENOTFOUND);
}

int store_staff_update(struct store *st, const char *id, const char *status, const char *reason, const char *role)
{
    if (status)
        return st_one_changed(st, &set_status, DB_ARGS(DB_STR(id), DB_STR(status), DB_STR(reason)), PHR_ENOTFOUND);
    return st_one_changed(st, &set_role, DB_ARGS(DB_STR(id), DB_STR(role)), PHR_ENOTFOUND);
}

int store_staff_recovery_insert(struct store *st, const char *staff_id, const unsigned char hash[SHA256_BYTES])
{
    return st_exec(st, &recovery_insert, DB_ARGS(DB_STR(staff_id), DB_BLOB(hash, SHA256_BYTES)));
}

int store_staff_recovery_use(struct store *st, const char *staff_id, const unsigned char hash[SHA256_BYTES],
                             int64_t at)
{
    return st_one_changed(st, &recovery_use, DB_ARGS(DB_STR(staff_id), DB_BLOB(hash, SHA256_BYTES), DB_INT(at)),
                          PHR_ENOTFOUND);
}

int store_staff_session_insert(struct store *st, const unsigned char hash[SHA256_BYTES], const char *staff_id,
                               int64_t created_at, int64_t expires_at)
{
    return st_exec(st, &session_insert,
                   DB_ARGS(DB_BLOB(hash, SHA256_BYTES), DB_STR(staff_id), DB_INT(created_at), DB_INT(expires_at)));
}

struct session {
    char *staff_id;
    int64_t *last_seen_at, *expires_at;
};

static int session_of(void *arg, const struct db_row *r)
{
    struct session *s = arg;
    snprintf(s->staff_id, 37, "%s", db_text(r, 0));
    *s->last_seen_at = db_int(r, 1);
    *s->expires_at = db_int(r, 2);
    return 0;
}

int store_staff_session_get(struct store *st, const unsigned char hash[SHA256_BYTES], char *staff_id,
                            int64_t *last_seen_at, int64_t *expires_at)
{
    struct session s = {staff_id, last_seen_at, expires_at};
    return st_rows(st, &session_get, DB_ARGS(DB_BLOB(hash, SHA256_BYTES)), session_of, &s, 1);
}

int store_staff_session_touch(struct store *st, const unsigned char hash[SHA256_BYTES], int64_t now)
{
    return st_exec(st, &session_touch, DB_ARGS(DB_BLOB(hash, SHA256_BYTES), DB_INT(now)));
}

int store_staff_sessions_end(struct store *st, const char *staff_id)
{
    return st_exec(st, &sessions_end, DB_ARGS(DB_STR(staff_id)));
}

int store_reason_insert(struct store *st, const struct reason_row *r)
{
    return st_exec(st, &reason_insert,
                   DB_ARGS(DB_STR(r->id), DB_STR(r->staff_id), DB_STR(r->person_id), DB_STR(r->reason),
                           DB_INT(r->created_at), DB_INT(r->expires_at)));
}

static int reason_of(void *arg, const struct db_row *q)
{
    struct reason_row r = {.id = db_text(q, 0), .staff_id = db_text(q, 1), .person_id = db_text(q, 2),
                           .reason = db_text(q, 3), .created_at = db_int(q, 4), .expires_at = db_int(q, 5)};
    return ST_CALL((struct st_cb *)arg, int (*)(void *, const struct reason_row *), &r);
}

int store_reason_get(struct store *st, const char *id, int (*cb)(void *, const struct reason_row *), void *arg)
{
    return st_rows(st, &reason_get, DB_ARGS(DB_STR(id)), reason_of, ST_CB(cb, arg), 1);
}
