/* Demographics, written once over the driver. */
#include "store/demographics.h"

#include "store/internal.h"

static struct db_stmt keep = DB_STMT(
    "demographics_keep", "INSERT INTO demographics_history(person_id, sealed, as_of, replaced_at)"
                         " SELECT person_id, sealed, as_of, ?3 FROM demographics WHERE person_id = ?1 AND as_of <= ?2");
static struct db_stmt put = DB_STMT(
    "demographics_put", "INSERT INTO demographics(person_id, sealed, as_of, updated_at) VALUES(?1, ?2, ?3, ?4)"
                        " ON CONFLICT(person_id) DO UPDATE SET sealed = excluded.sealed, as_of = excluded.as_of,"
                        " updated_at = excluded.updated_at WHERE excluded.as_of >= demographics.as_of");
static struct db_stmt get = DB_STMT("demographics_get",
                                    "SELECT sealed, as_of FROM demographics WHERE person_id = ?1");
static struct db_stmt history = DB_STMT(
    "demographics_history", "SELECT sealed, as_of, replaced_at FROM demographics_history WHERE person_id = ?1"
                            " ORDER BY id DESC");

int store_demographics_put(struct store *st, const char *person, const unsigned char *sealed, size_t len,
                           const char *as_of, int64_t at)
{
    int err = st_exec(st, &keep, DB_ARGS(DB_STR(person), DB_STR(as_of), DB_INT(at)));
    return err ? err : st_exec(st, &put, DB_ARGS(DB_STR(person), DB_BLOB(sealed, len), DB_STR(as_of), DB_INT(at)));
}

static int row(void *arg, const struct db_row *q)
{
    size_t len;
    const unsigned char *sealed = db_bytes(q, 0, &len);
    return ST_CALL((struct st_cb *)arg, int (*)(void *, const unsigned char *, size_t, const char *), sealed, len,
                   db_text(q, 1));
}

int store_demographics_get(struct store *st, const char *person,
                           int (*cb)(void *, const unsigned char *sealed, size_t len, const char *as_of), void *arg)
{
    return st_rows(st, &get, DB_ARGS(DB_STR(person)), row, ST_CB(cb, arg), 1);
}

static int earlier(void *arg, const struct db_row *q)
{
    size_t len;
    const unsigned char *sealed = db_bytes(q, 0, &len);
    return ST_CALL((struct st_cb *)arg, int (*)(void *, const unsigned char *, size_t, const char *, int64_t), sealed,
                   len, db_text(q, 1), db_int(q, 2));
}

int store_demographics_history(struct store *st, const char *person,
                               int (*cb)(void *, const unsigned char *sealed, size_t len, const char *as_of,
                                         int64_t replaced_at),
                               void *arg)
{
    return st_rows(st, &history, DB_ARGS(DB_STR(person)), earlier, ST_CB(cb, arg), 0);
}
