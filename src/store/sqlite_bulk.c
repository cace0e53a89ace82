/* Bulk Data exports (R4.4) in the SQLite backend: the jobs recipients
 * start, and the persons a file walks through. */
#include <string.h>

#include "store/sqlite_internal.h"
#include "util/err.h"

enum { B_INSERT, B_GET, B_CANCEL, B_PERSONS, N_STMTS };
_Static_assert(N_STMTS <= SQ_BULK_STMTS, "raise SQ_BULK_STMTS");

static const char *const sql[N_STMTS] = {
    [B_INSERT] = "INSERT INTO bulk_exports(id, recipient_id, types, since, transaction_time, expires_at, group_code)"
                 " VALUES(?,?,?,?,?,?,?)",
    [B_GET] = "SELECT id, recipient_id, types, since, transaction_time, expires_at, coalesce(cancelled_at, 0),"
              " group_code FROM bulk_exports WHERE id = ?",
    [B_CANCEL] = "UPDATE bulk_exports SET cancelled_at = ?2 WHERE id = ?1 AND cancelled_at IS NULL",
    [B_PERSONS] = "SELECT id FROM persons WHERE status = 'active' AND id > ?1 ORDER BY id LIMIT ?2",
};

static sqlite3_stmt *prep(struct sqlite_store *s, int id)
{
    return sq_prep(s, &s->bulk_stmt[id], sql[id]);
}

int sqb_bulk_export_insert(struct store *st, const struct bulk_export_row *b)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, B_INSERT);
    if (!q)
        return PHR_EIO;
    sq_bind_text(q, 1, b->id);
    sq_bind_text(q, 2, b->recipient_id);
    sq_bind_text(q, 3, b->types);
    sqlite3_bind_int64(q, 4, b->since);
    sqlite3_bind_int64(q, 5, b->transaction_time);
    sqlite3_bind_int64(q, 6, b->expires_at);
    sq_bind_text(q, 7, b->group_code);
    return sq_exec(s, q, "bulk_export_insert");
}

int sqb_bulk_export_get(struct store *st, const char *id, int (*cb)(void *, const struct bulk_export_row *), void *arg)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, B_GET);
    if (!q)
        return PHR_EIO;
    sq_bind_text(q, 1, id);
    int rc = sqlite3_step(q), err;
    if (rc == SQLITE_ROW) {
        struct bulk_export_row b = {
            .id = sq_text(q, 0), .recipient_id = sq_text(q, 1), .types = sq_text(q, 2),
            .since = sqlite3_column_int64(q, 3), .transaction_time = sqlite3_column_int64(q, 4),
            .expires_at = sqlite3_column_int64(q, 5), .cancelled_at = sqlite3_column_int64(q, 6),
            .group_code = sq_text(q, 7),
        };
        err = cb(arg, &b);
    } else {
        err = rc == SQLITE_DONE ? PHR_ENOTFOUND : sq_fail(s, rc, "bulk_export_get");
    }
    sqlite3_reset(q);
    return err;
}

int sqb_bulk_export_cancel(struct store *st, const char *id, int64_t at)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, B_CANCEL);
    if (!q)
        return PHR_EIO;
    sq_bind_text(q, 1, id);
    sqlite3_bind_int64(q, 2, at);
    int err = sq_exec(s, q, "bulk_export_cancel");
    return err == PHR_OK && sqlite3_changes(s->db) == 0 ? PHR_ENOTFOUND : err;
}

int sqb_person_page(struct store *st, const char *after, int limit, int (*cb)(void *, const char *), void *arg)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, B_PERSONS);
    if (!q)
        return PHR_EIO;
    sq_bind_text(q, 1, after);
    sqlite3_bind_int(q, 2, limit);
    int rc, err = PHR_OK;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW)
        if ((err = cb(arg, sq_text(q, 0))) != PHR_OK)
            break;
    if (err == PHR_OK && rc != SQLITE_DONE)
        err = sq_fail(s, rc, "person_page");
    sqlite3_reset(q);
    return err;
}
