/* Persons, sessions and throttles, written once over the driver. */
#include "store/persons.h"

#include <string.h>

#include "store/internal.h"

#define PERSON_COLS "p.id, p.login, p.pw_hash, p.status, p.created_at, k.master_key_id, k.wrapped"

static struct db_stmt person_insert = DB_STMT(
    "person_insert", "INSERT INTO persons(id, login, pw_hash, status, created_at) VALUES(?1, ?2, ?3, ?4, ?5)");
static struct db_stmt key_insert = DB_STMT(
    "key_insert", "INSERT INTO ks.data_keys(person_id, master_key_id, wrapped) VALUES(?1, ?2, ?3)");
static struct db_stmt person_by_login = DB_STMT(
    "person_by_login", "SELECT " PERSON_COLS " FROM persons p JOIN ks.data_keys k ON k.person_id = p.id"
                       " WHERE p.login = ?1");
static struct db_stmt person_by_id = DB_STMT(
    "person_by_id", "SELECT " PERSON_COLS " FROM persons p JOIN ks.data_keys k ON k.person_id = p.id"
                    " WHERE p.id = ?1");
static struct db_stmt person_logged_in = DB_STMT(
    "person_logged_in", "UPDATE persons SET last_login_at = ?2 WHERE id = ?1");
static struct db_stmt session_insert = DB_STMT(
    "session_insert", "INSERT INTO sessions(token_hash, person_id, created_at, last_seen_at, expires_at)"
                      " VALUES(?1, ?2, ?3, ?4, ?5)");
static struct db_stmt session_get = DB_STMT(
    "session_get", "SELECT token_hash, person_id, created_at, last_seen_at, expires_at FROM sessions"
                   " WHERE token_hash = ?1");
static struct db_stmt session_touch = DB_STMT(
    "session_touch", "UPDATE sessions SET last_seen_at = ?2 WHERE token_hash = ?1");
static struct db_stmt session_delete = DB_STMT("session_delete", "DELETE FROM sessions WHERE token_hash = ?1");
static struct db_stmt throttle_get = DB_STMT(
    "throttle_get", "SELECT failures, last_failure_at, locked_until FROM login_throttle WHERE login = ?1");
static struct db_stmt throttle_put = DB_STMT(
    "throttle_put", "INSERT INTO login_throttle(login, failures, last_failure_at, locked_until)"
                    " VALUES(?1, ?2, ?3, ?4) ON CONFLICT(login) DO UPDATE SET failures = excluded.failures,"
                    " last_failure_at = excluded.last_failure_at, locked_until = excluded.locked_until");
static struct db_stmt throttle_clear = DB_STMT("throttle_clear", "DELETE FROM login_throttle WHERE login = ?1");
static struct db_stmt persons_inactive = DB_STMT(
    "persons_inactive", "SELECT id FROM persons p WHERE status = 'active'"
                        " AND coalesce(last_login_at, created_at) < ?1 AND NOT EXISTS (SELECT 1 FROM notices n"
                        " WHERE n.person_id = p.id AND n.kind = 'inactivity' AND n.resolved_at IS NULL) ORDER BY id");
static struct db_stmt persons_active = DB_STMT(
    "persons_active", "SELECT id FROM persons WHERE status = 'active' ORDER BY id");
static struct db_stmt person_page = DB_STMT(
    "person_page", "SELECT id FROM persons WHERE status = 'active' AND id > ?1 ORDER BY id LIMIT ?2");

int store_person_insert(struct store *st, const struct person_row *p)
{
    int err = st_exec(st, &person_insert,
                      DB_ARGS(DB_STR(p->id), DB_STR(p->login), DB_STR(p->pw_hash), DB_STR(p->status),
                              DB_INT(p->created_at)));
    return err ? err
               : st_exec(st, &key_insert,
                         DB_ARGS(DB_STR(p->id), DB_STR(p->master_key_id), DB_BLOB(p->wrapped_key, p->wrapped_key_len)));
}

static int person_of(void *arg, const struct db_row *r)
{
    struct person_row p = {
        .id = db_text(r, 0),
        .login = db_text(r, 1),
        .pw_hash = db_text(r, 2),
        .status = db_text(r, 3),
        .created_at = db_int(r, 4),
        .master_key_id = db_text(r, 5),
    };
    p.wrapped_key = db_bytes(r, 6, &p.wrapped_key_len);
    ST_CALL((struct st_cb *)arg, void (*)(void *, const struct person_row *), &p);
    return 0;
}

int store_person_by_login(struct store *st, const char *login, void (*cb)(void *, const struct person_row *),
                          void *arg)
{
    return st_rows(st, &person_by_login, DB_ARGS(DB_STR(login)), person_of, ST_CB(cb, arg), 1);
}

int store_person_by_id(struct store *st, const char *id, void (*cb)(void *, const struct person_row *), void *arg)
{
    return st_rows(st, &person_by_id, DB_ARGS(DB_STR(id)), person_of, ST_CB(cb, arg), 1);
}

int store_person_logged_in(struct store *st, const char *person, int64_t at)
{
    return st_exec(st, &person_logged_in, DB_ARGS(DB_STR(person), DB_INT(at)));
}

int store_session_insert(struct store *st, const struct session_row *s)
{
    return st_exec(st, &session_insert,
                   DB_ARGS(DB_BLOB(s->token_hash, SHA256_BYTES), DB_STR(s->person_id), DB_INT(s->created_at),
                           DB_INT(s->last_seen_at), DB_INT(s->expires_at)));
}

static int session_of(void *arg, const struct db_row *r)
{
    size_t n;
    struct session_row s = {
        .token_hash = db_bytes(r, 0, &n),
        .person_id = db_text(r, 1),
        .created_at = db_int(r, 2),
        .last_seen_at = db_int(r, 3),
        .expires_at = db_int(r, 4),
    };
    ST_CALL((struct st_cb *)arg, void (*)(void *, const struct session_row *), &s);
    return 0;
}

int store_session_get(struct store *st, const unsigned char hash[SHA256_BYTES],
                      void (*cb)(void *, const struct session_row *), void *arg)
{
    return st_rows(st, &session_get, DB_ARGS(DB_BLOB(hash, SHA256_BYTES)), session_of, ST_CB(cb, arg), 1);
}

int store_session_touch(struct store *st, const unsigned char hash[SHA256_BYTES], int64_t now)
{
    return st_exec(st, &session_touch, DB_ARGS(DB_BLOB(hash, SHA256_BYTES), DB_INT(now)));
}

int store_session_delete(struct store *st, const unsigned char hash[SHA256_BYTES])
{
    return st_exec(st, &session_delete, DB_ARGS(DB_BLOB(hash, SHA256_BYTES)));
}

static int throttle_of(void *arg, const struct db_row *r)
{
    struct throttle_row *t = arg;
    t->failures = (int)db_int(r, 0);
    t->last_failure_at = db_int(r, 1);
    t->locked_until = db_int(r, 2);
    return 0;
}

int store_throttle_get(struct store *st, const char *key, struct throttle_row *out)
{
    memset(out, 0, sizeof *out);
    return st_rows(st, &throttle_get, DB_ARGS(DB_STR(key)), throttle_of, out, 1);
}

int store_throttle_put(struct store *st, const char *key, const struct throttle_row *t)
{
    return st_exec(st, &throttle_put,
                   DB_ARGS(DB_STR(key), DB_INT(t->failures), DB_INT(t->last_failure_at), DB_INT(t->locked_until)));
}

int store_throttle_clear(struct store *st, const char *key)
{
    return st_exec(st, &throttle_clear, DB_ARGS(DB_STR(key)));
}

static int id_of(void *arg, const struct db_row *r)
{
    return ST_CALL((struct st_cb *)arg, int (*)(void *, const char *), db_text(r, 0));
}

int store_persons_inactive(struct store *st, int64_t before, int (*cb)(void *, const char *person), void *arg)
{
    return st_rows(st, &persons_inactive, DB_ARGS(DB_INT(before)), id_of, ST_CB(cb, arg), 0);
}

int store_persons_active(struct store *st, int (*cb)(void *, const char *person), void *arg)
{
    return st_rows(st, &persons_active, DB_NO_ARGS, id_of, ST_CB(cb, arg), 0);
}

int store_person_page(struct store *st, const char *after, int limit, int (*cb)(void *, const char *person),
                      void *arg)
{
    return st_rows(st, &person_page, DB_ARGS(DB_STR(after), DB_INT(limit)), id_of, ST_CB(cb, arg), 0);
}
