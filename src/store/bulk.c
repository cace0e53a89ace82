/* Bulk Data exports, written once over the driver. */
#include "store/bulk.h"

#include "store/internal.h"

static struct db_stmt insert = DB_STMT(
    "bulk_export_insert", "INSERT INTO bulk_exports(id, recipient_id, types, since, transaction_time, expires_at,"
                          " group_code, elements, patients, ignored) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
#define EXPORT_COLUMNS                                                                                      \
    "id, recipient_id, types, since, transaction_time, expires_at, coalesce(cancelled_at, 0), group_code,"     \
    " elements, patients, coalesce(prepared_at, 0), counts, ignored"
static struct db_stmt get = DB_STMT("bulk_export_get", "SELECT " EXPORT_COLUMNS " FROM bulk_exports WHERE id = ?1");
static struct db_stmt unprepared = DB_STMT(
    "bulk_export_unprepared", "SELECT " EXPORT_COLUMNS " FROM bulk_exports WHERE prepared_at IS NULL"
                              " AND cancelled_at IS NULL AND expires_at > ?1 ORDER BY transaction_time LIMIT 1");
/* Several instances may prepare the same export: the first one's stands. */
static struct db_stmt prepared = DB_STMT(
    "bulk_export_prepared", "UPDATE bulk_exports SET prepared_at = ?2, counts = ?3 WHERE id = ?1"
                            " AND prepared_at IS NULL");
static struct db_stmt cancel = DB_STMT(
    "bulk_export_cancel", "UPDATE bulk_exports SET cancelled_at = ?2 WHERE id = ?1 AND cancelled_at IS NULL");

int store_bulk_export_insert(struct store *st, const struct bulk_export_row *b)
{
    return st_exec(st, &insert,
                   DB_ARGS(DB_STR(b->id), DB_STR(b->recipient_id), DB_STR(b->types), DB_INT(b->since),
                           DB_INT(b->transaction_time), DB_INT(b->expires_at), DB_STR(b->group_code),
                           DB_STR(b->elements), DB_STR(b->patients), DB_STR(b->ignored)));
}

static int export_of(void *arg, const struct db_row *q)
{
    struct bulk_export_row b = {
        .id = db_text(q, 0), .recipient_id = db_text(q, 1), .types = db_text(q, 2), .since = db_int(q, 3),
        .transaction_time = db_int(q, 4), .expires_at = db_int(q, 5), .cancelled_at = db_int(q, 6),
        .group_code = db_text(q, 7), .elements = db_text(q, 8), .patients = db_text(q, 9),
        .prepared_at = db_int(q, 10), .counts = db_text(q, 11), .ignored = db_text(q, 12),
    };
    return ST_CALL((struct st_cb *)arg, int (*)(void *, const struct bulk_export_row *), &b);
}

int store_bulk_export_get(struct store *st, const char *id, int (*cb)(void *, const struct bulk_export_row *),
                          void *arg)
{
    return st_rows(st, &get, DB_ARGS(DB_STR(id)), export_of, ST_CB(cb, arg), 1);
}

int store_bulk_export_cancel(struct store *st, const char *id, int64_t at)
{
    return st_one_changed(st, &cancel, DB_ARGS(DB_STR(id), DB_INT(at)), PHR_ENOTFOUND);
}

int store_bulk_export_unprepared(struct store *st, int64_t now, int (*cb)(void *, const struct bulk_export_row *),
                                 void *arg)
{
    return st_rows(st, &unprepared, DB_ARGS(DB_INT(now)), export_of, ST_CB(cb, arg), 1);
}

int store_bulk_export_prepared(struct store *st, const char *id, int64_t at, const char *counts)
{
    return st_exec(st, &prepared, DB_ARGS(DB_STR(id), DB_INT(at), DB_STR(counts)));
}
