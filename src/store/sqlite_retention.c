/* Retention (R3.11) and service termination (R4.5) in the SQLite backend:
 * who is inactive, notices, pruning what has run out, the termination. */
#include <string.h>

#include "store/sqlite_internal.h"
#include "util/err.h"

enum {
    S_INACTIVE, S_ACTIVE, S_NOTICE_INSERT, S_NOTICES_OPEN, S_NOTICES_OPEN_ALL, S_NOTICES_RESOLVE, S_LOGGED_IN,
    S_TERMINATION_INSERT, S_TERMINATION_GET, S_RUN_INSERT, S_RUN_LAST,
    S_COUNT_PROVISIONS, S_COUNT_SESSIONS, S_COUNT_STAFF_SESSIONS, S_COUNT_TOKENS, S_COUNT_THROTTLE, S_COUNT_RATES,
    S_DEL_PROVISIONS, S_DEL_SESSIONS, S_DEL_STAFF_SESSIONS, S_DEL_TOKENS, S_DEL_THROTTLE, S_DEL_RATES,
    N_STMTS
};
_Static_assert(N_STMTS <= SQ_RETENTION_STMTS, "raise SQ_RETENTION_STMTS");

#define NOTICE_COLS "id, person_id, kind, at, coalesce(erase_after, 0), coalesce(resolved_at, 0)"
/* ?1 now, ?2 provisions before, ?3 throttle rows before, ?4 rate windows before */
#define W_PROVISIONS " FROM provisions WHERE at < ?2"
#define W_SESSIONS " FROM sessions WHERE expires_at < ?1"
#define W_STAFF_SESSIONS " FROM staff_sessions WHERE expires_at < ?1"
#define W_TOKENS " FROM client_tokens WHERE expires_at < ?1"
#define W_THROTTLE " FROM login_throttle WHERE last_failure_at < ?3 AND locked_until < ?1"
#define W_RATES " FROM rate_counts WHERE window < ?4"

static const char *const sql[N_STMTS] = {
    [S_INACTIVE] = "SELECT id FROM persons p WHERE status = 'active' AND coalesce(last_login_at, created_at) < ?1"
                   " AND NOT EXISTS (SELECT 1 FROM notices n WHERE n.person_id = p.id AND n.kind = 'inactivity'"
                   " AND n.resolved_at IS NULL) ORDER BY id",
    [S_ACTIVE] = "SELECT id FROM persons WHERE status = 'active' ORDER BY id",
    [S_NOTICE_INSERT] = "INSERT INTO notices(person_id, kind, at, erase_after) VALUES(?,?,?,?)",
    [S_NOTICES_OPEN] = "SELECT " NOTICE_COLS " FROM notices WHERE person_id = ?1 AND resolved_at IS NULL ORDER BY id",
    [S_NOTICES_OPEN_ALL] = "SELECT " NOTICE_COLS " FROM notices WHERE kind = ?1 AND resolved_at IS NULL ORDER BY id",
    [S_NOTICES_RESOLVE] = "UPDATE notices SET resolved_at = ?3 WHERE person_id = ?1 AND kind = ?2 AND resolved_at IS NULL",
    [S_LOGGED_IN] = "UPDATE persons SET last_login_at = ?2 WHERE id = ?1",
    [S_TERMINATION_INSERT] = "INSERT INTO terminations(announced_at, announced_by, export_until, erase_after)"
                             " VALUES(?,?,?,?)",
    [S_TERMINATION_GET] = "SELECT announced_at, announced_by, export_until, erase_after FROM terminations"
                          " ORDER BY id DESC LIMIT 1",
    [S_RUN_INSERT] = "INSERT INTO retention_runs(at, as_of, summary) VALUES(?,?,?)",
    [S_RUN_LAST] = "SELECT at FROM retention_runs ORDER BY id DESC LIMIT 1",
    [S_COUNT_PROVISIONS] = "SELECT count(*)" W_PROVISIONS,
    [S_COUNT_SESSIONS] = "SELECT count(*)" W_SESSIONS,
    [S_COUNT_STAFF_SESSIONS] = "SELECT count(*)" W_STAFF_SESSIONS,
    [S_COUNT_TOKENS] = "SELECT count(*)" W_TOKENS,
    [S_COUNT_THROTTLE] = "SELECT count(*)" W_THROTTLE,
    [S_COUNT_RATES] = "SELECT count(*)" W_RATES,
    [S_DEL_PROVISIONS] = "DELETE" W_PROVISIONS,
    [S_DEL_SESSIONS] = "DELETE" W_SESSIONS,
    [S_DEL_STAFF_SESSIONS] = "DELETE" W_STAFF_SESSIONS,
    [S_DEL_TOKENS] = "DELETE" W_TOKENS,
    [S_DEL_THROTTLE] = "DELETE" W_THROTTLE,
    [S_DEL_RATES] = "DELETE" W_RATES,
};

static sqlite3_stmt *prep(struct sqlite_store *s, int id)
{
    return sq_prep(s, &s->retention_stmt[id], sql[id]);
}

static int ids(struct sqlite_store *s, sqlite3_stmt *q, int (*cb)(void *, const char *), void *arg)
{
    int rc, err = PHR_OK;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW)
        if ((err = cb(arg, sq_text(q, 0))) != PHR_OK)
            break;
    if (err == PHR_OK && rc != SQLITE_DONE)
        err = sq_fail(s, rc, "person_ids");
    sqlite3_reset(q);
    return err;
}

int sqt_persons_inactive(struct store *st, int64_t before, int (*cb)(void *, const char *), void *arg)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, S_INACTIVE);
    if (!q)
        return PHR_EIO;
    sqlite3_bind_int64(q, 1, before);
    return ids(s, q, cb, arg);
}

int sqt_persons_active(struct store *st, int (*cb)(void *, const char *), void *arg)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, S_ACTIVE);
    return q ? ids(s, q, cb, arg) : PHR_EIO;
}

int sqt_notice_insert(struct store *st, const struct notice_row *n)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, S_NOTICE_INSERT);
    if (!q)
        return PHR_EIO;
    sq_bind_text(q, 1, n->person_id);
    sq_bind_text(q, 2, n->kind);
    sqlite3_bind_int64(q, 3, n->at);
    if (n->erase_after)
        sqlite3_bind_int64(q, 4, n->erase_after);
    return sq_exec(s, q, "notice_insert");
}

int sqt_notices_open(struct store *st, const char *person, const char *kind,
                     int (*cb)(void *, const struct notice_row *), void *arg)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, person ? S_NOTICES_OPEN : S_NOTICES_OPEN_ALL);
    if (!q)
        return PHR_EIO;
    sq_bind_text(q, 1, person ? person : kind);
    int rc, err = PHR_OK;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        struct notice_row n = {
            .id = sqlite3_column_int64(q, 0), .person_id = sq_text(q, 1), .kind = sq_text(q, 2),
            .at = sqlite3_column_int64(q, 3), .erase_after = sqlite3_column_int64(q, 4),
            .resolved_at = sqlite3_column_int64(q, 5),
        };
        if ((err = cb(arg, &n)) != PHR_OK)
            break;
    }
    if (err == PHR_OK && rc != SQLITE_DONE)
        err = sq_fail(s, rc, "notices_open");
    sqlite3_reset(q);
    return err;
}

int sqt_notices_resolve(struct store *st, const char *person, const char *kind, int64_t at)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, S_NOTICES_RESOLVE);
    if (!q)
        return PHR_EIO;
    sq_bind_text(q, 1, person);
    sq_bind_text(q, 2, kind);
    sqlite3_bind_int64(q, 3, at);
    return sq_exec(s, q, "notices_resolve");
}

int sqt_person_logged_in(struct store *st, const char *person, int64_t at)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, S_LOGGED_IN);
    if (!q)
        return PHR_EIO;
    sq_bind_text(q, 1, person);
    sqlite3_bind_int64(q, 2, at);
    return sq_exec(s, q, "person_logged_in");
}

int sqt_retention_prune(struct store *st, const struct prune_limits *l, int dry, struct prune_counts *out)
{
    struct sqlite_store *s = S(st);
    int64_t *slot[] = {&out->provisions, &out->sessions, &out->staff_sessions, &out->client_tokens,
                       &out->throttles, &out->rates};
    memset(out, 0, sizeof *out);
    for (int i = 0; i < 6; i++) {
        sqlite3_stmt *q = prep(s, (dry ? S_COUNT_PROVISIONS : S_DEL_PROVISIONS) + i);
        if (!q)
            return PHR_EIO;
        sqlite3_bind_int64(q, 1, l->now);
        sqlite3_bind_int64(q, 2, l->provisions_before);
        sqlite3_bind_int64(q, 3, l->throttle_before);
        sqlite3_bind_int64(q, 4, l->rates_before);
        int rc = sqlite3_step(q);
        if (dry && rc == SQLITE_ROW)
            *slot[i] = sqlite3_column_int64(q, 0);
        else if (!dry && rc == SQLITE_DONE)
            *slot[i] = sqlite3_changes64(s->db);
        sqlite3_reset(q);
        if (rc != (dry ? SQLITE_ROW : SQLITE_DONE))
            return sq_fail(s, rc, "retention_prune");
    }
    return PHR_OK;
}

int sqt_termination_insert(struct store *st, const struct termination_row *t)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, S_TERMINATION_INSERT);
    if (!q)
        return PHR_EIO;
    sqlite3_bind_int64(q, 1, t->announced_at);
    sq_bind_text(q, 2, t->announced_by);
    sqlite3_bind_int64(q, 3, t->export_until);
    sqlite3_bind_int64(q, 4, t->erase_after);
    return sq_exec(s, q, "termination_insert");
}

int sqt_termination_get(struct store *st, struct termination_row *out)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, S_TERMINATION_GET);
    if (!q)
        return PHR_EIO;
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        out->announced_at = sqlite3_column_int64(q, 0);
        out->export_until = sqlite3_column_int64(q, 2);
        out->erase_after = sqlite3_column_int64(q, 3);
    }
    sqlite3_reset(q);
    return rc == SQLITE_ROW ? PHR_OK : rc == SQLITE_DONE ? PHR_ENOTFOUND : sq_fail(s, rc, "termination_get");
}

int sqt_retention_run_insert(struct store *st, int64_t at, int64_t as_of, const char *summary)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, S_RUN_INSERT);
    if (!q)
        return PHR_EIO;
    sqlite3_bind_int64(q, 1, at);
    sqlite3_bind_int64(q, 2, as_of);
    sq_bind_text(q, 3, summary);
    return sq_exec(s, q, "retention_run_insert");
}

int sqt_retention_run_last(struct store *st, int64_t *at)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, S_RUN_LAST);
    if (!q)
        return PHR_EIO;
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW)
        *at = sqlite3_column_int64(q, 0);
    sqlite3_reset(q);
    return rc == SQLITE_ROW ? PHR_OK : rc == SQLITE_DONE ? PHR_ENOTFOUND : sq_fail(s, rc, "retention_run_last");
}
