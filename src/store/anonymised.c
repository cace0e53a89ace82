/* Anonymised data sets, written once over the driver. */
#include "store/anonymised.h"

#include "store/internal.h"

#define COLS "id, name, made_at, made_by, published, method, table_sha256"

static struct db_stmt exists = DB_STMT("anonymised_exists", "SELECT id FROM anonymised_sets WHERE name = ?1");
static struct db_stmt insert = DB_STMT(
    "anonymised_insert", "INSERT INTO anonymised_sets(name, made_at, made_by, published, method, table_sha256,"
                         " table_key, table_sealed) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) RETURNING id");
static struct db_stmt list = DB_STMT("anonymised_list", "SELECT " COLS " FROM anonymised_sets ORDER BY id");
static struct db_stmt get = DB_STMT("anonymised_get", "SELECT " COLS " FROM anonymised_sets WHERE name = ?1");
static struct db_stmt sealed = DB_STMT("anonymised_sealed", "SELECT name, table_sha256, table_key, table_sealed"
                                                            " FROM anonymised_sets WHERE name = ?1");
static struct db_stmt keys = DB_STMT("anonymised_keys", "SELECT name, table_sha256, table_key, NULL"
                                                        " FROM anonymised_sets WHERE table_key IS NOT NULL ORDER BY id");
static struct db_stmt key_update = DB_STMT("anonymised_key_update",
                                           "UPDATE anonymised_sets SET table_key = ?2 WHERE name = ?1");

/* Its newest agreement not ended and its certification, if stated, not
 * expired: as for the provision of persons' data (store/recipients.c). */
static struct db_stmt agreement = DB_STMT(
    "anonymised_agreement",
    "SELECT CASE WHEN EXISTS (SELECT 1 FROM agreements g WHERE g.seq = (SELECT max(seq) FROM agreements"
    " WHERE recipient_id = ?1) AND g.ended = 0 AND (g.cert_expires IS NULL OR g.cert_expires > ?2)) THEN 1 ELSE 0 END"
    " FROM recipients WHERE id = ?1");
static struct db_stmt provide = DB_STMT(
    "anonymised_provide", "INSERT INTO anonymised_provisions(set_id, recipient_id, method, provided_at, provided_by)"
                          " VALUES(?1, ?2, ?3, ?4, ?5)");
static struct db_stmt provisions = DB_STMT(
    "anonymised_provisions", "SELECT p.set_id, p.provided_at, p.recipient_id, r.country, p.method, p.provided_by"
                             " FROM anonymised_provisions p JOIN recipients r ON r.id = p.recipient_id"
                             " WHERE p.set_id = ?1 ORDER BY p.id");

static int row_of(void *arg, const struct db_row *q)
{
    struct anonymised_row r = {.id = db_int(q, 0), .name = db_text(q, 1), .made_at = db_int(q, 2),
                               .made_by = db_text(q, 3), .published = db_text(q, 4), .method = db_text(q, 5),
                               .table_sha256 = db_text(q, 6)};
    return ST_CALL((struct st_cb *)arg, int (*)(void *, const struct anonymised_row *), &r);
}

/* Looked for first rather than left to the unique index: a failed
 * statement would end the writer's whole batch on PostgreSQL. */
int store_anonymised_insert(struct store *st, const struct anonymised_row *r, const struct anonymised_sealed *sl,
                            int64_t *id)
{
    int64_t there;
    int err = st_int(st, &exists, DB_ARGS(DB_STR(r->name)), &there);
    if (err != PHR_ENOTFOUND)
        return err ? err : PHR_ECONFLICT;
    return st_int(st, &insert,
                  DB_ARGS(DB_STR(r->name), DB_INT(r->made_at), DB_STR(r->made_by), DB_STR(r->published),
                          DB_STR(r->method), DB_STR(r->table_sha256), DB_BLOB(sl ? sl->key : NULL, sl ? sl->key_len : 0),
                          DB_BLOB(sl ? sl->table : NULL, sl ? sl->table_len : 0)),
                  id);
}

static int sealed_of(void *arg, const struct db_row *q)
{
    struct anonymised_sealed r = {.name = db_text(q, 0), .table_sha256 = db_text(q, 1)};
    r.key = db_bytes(q, 2, &r.key_len);
    r.table = db_bytes(q, 3, &r.table_len);
    return ST_CALL((struct st_cb *)arg, int (*)(void *, const struct anonymised_sealed *), &r);
}

int store_anonymised_sealed(struct store *st, const char *name,
                            int (*cb)(void *, const struct anonymised_sealed *), void *arg)
{
    return st_rows(st, &sealed, DB_ARGS(DB_STR(name)), sealed_of, ST_CB(cb, arg), 1);
}

int store_anonymised_keys(struct store *st, int (*cb)(void *, const struct anonymised_sealed *), void *arg)
{
    return st_rows(st, &keys, DB_NO_ARGS, sealed_of, ST_CB(cb, arg), 0);
}

int store_anonymised_key_update(struct store *st, const char *name, const unsigned char *key, size_t len)
{
    return st_exec(st, &key_update, DB_ARGS(DB_STR(name), DB_BLOB(key, len)));
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

int store_anonymised_provide(struct store *st, const struct anonymised_provision_row *p)
{
    int64_t in_force;
    int err = st_int(st, &agreement, DB_ARGS(DB_STR(p->recipient_id), DB_INT(p->provided_at)), &in_force);
    if (err)
        return err;
    if (!in_force)
        return PHR_EPERM;
    return st_exec(st, &provide,
                   DB_ARGS(DB_INT(p->set_id), DB_STR(p->recipient_id), DB_STR(p->method), DB_INT(p->provided_at),
                           DB_STR(p->provided_by)));
}

static int provision_of(void *arg, const struct db_row *q)
{
    struct anonymised_provision_row r = {.set_id = db_int(q, 0), .provided_at = db_int(q, 1),
                                         .recipient_id = db_text(q, 2), .recipient_country = db_text(q, 3),
                                         .method = db_text(q, 4), .provided_by = db_text(q, 5)};
    return ST_CALL((struct st_cb *)arg, int (*)(void *, const struct anonymised_provision_row *), &r);
}

int store_anonymised_provisions(struct store *st, int64_t set_id,
                                int (*cb)(void *, const struct anonymised_provision_row *), void *arg)
{
    return st_rows(st, &provisions, DB_ARGS(DB_INT(set_id)), provision_of, ST_CB(cb, arg), 0);
}
