/* Anonymised data sets, written once over the driver. */
#include "store/anonymised.h"

#include "store/internal.h"

#define COLS "id, name, made_at, made_by, published, method, table_sha256"

static struct db_stmt exists = DB_STMT("anonymised_exists", "SELECT id FROM anonymised_sets WHERE name = ?1");
static struct db_stmt insert = DB_STMT(
    "anonymised_insert", "INSERT INTO anonymised_sets(name, made_at, made_by, published, method, table_sha256)"
                         " VALUES(?1, ?2, ?3, ?4, ?5, ?6) RETURNING id");
static struct db_stmt list = DB_STMT("anonymised_list", "SELECT " COLS " FROM anonymised_sets ORDER BY id");
static struct db_stmt get = DB_STMT("anonymised_get", "SELECT " COLS " FROM anonymised_sets WHERE name = ?1");

static int row_of(void *arg, const struct db_row *q)
{
    struct anonymised_row r = {.id = db_int(q, 0), .name = db_text(q, 1), .made_at = db_int(q, 2),
                               .made_by = db_text(q, 3), .published = db_text(q, 4), .method = db_text(q, 5),
                               .table_sha256 = db_text(q, 6)};
    return ST_CALL((struct st_cb *)arg, int (*)(void *, const struct anonymised_row *), &r);
}

/* Looked for first rather than left to the unique index: a failed
 * statement would end the writer's whole batch on PostgreSQL. */
int store_anonymised_insert(struct store *st, const struct anonymised_row *r, int64_t *id)
{
    int64_t there;
    int err = st_int(st, &exists, DB_ARGS(DB_STR(r->name)), &there);
    if (err != PHR_ENOTFOUND)
        return err ? err : PHR_ECONFLICT;
    return st_int(st, &insert,
                  DB_ARGS(DB_STR(r->name), DB_INT(r->made_at), DB_STR(r->made_by), DB_STR(r->published),
                          DB_STR(r->method), DB_STR(r->table_sha256)),
                  id);
}

int store_anonymised_list(struct store *st, int (*cb)(void *, const struct anonymised_row *), void *arg)
{
    return st_rows(st, &list, DB_NO_ARGS, row_of, ST_CB(cb, arg), 0);
}

int store_anonymised_get(struct store *st, const char *name, int (*cb)(void *, const struct anonymised_row *),
                         void *arg)
{
    return st_rows(st, &get, DB_ARGS(DB_STR(name)), row_of, ST_CB(cb, arg), 1);
}
