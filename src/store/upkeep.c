/* Upkeep, written once over the driver. ("window" is quoted: PostgreSQL
 * reserves the word.) */
#include "store/upkeep.h"

#include "store/internal.h"

static struct db_stmt keys_other = DB_STMT(
    "data_keys_other", "SELECT person_id, master_key_id, wrapped FROM ks.data_keys WHERE master_key_id <> ?1 LIMIT ?2");
static struct db_stmt keys_count_other = DB_STMT(
    "data_keys_count_other", "SELECT count(*) FROM ks.data_keys WHERE master_key_id <> ?1");
static struct db_stmt key_update = DB_STMT(
    "data_key_update", "UPDATE ks.data_keys SET master_key_id = ?2, wrapped = ?3 WHERE person_id = ?1");
static struct db_stmt totp_update = DB_STMT("staff_totp_update", "UPDATE staff SET totp_sealed = ?2 WHERE id = ?1");
static struct db_stmt rate_add = DB_STMT(
    "rate_add", "INSERT INTO rate_counts(key, \"window\", count) VALUES(?1, ?2, ?3) ON CONFLICT(key, \"window\")"
                " DO UPDATE SET count = rate_counts.count + excluded.count RETURNING count");
static struct db_stmt rate_prune = DB_STMT("rate_prune", "DELETE FROM rate_counts WHERE \"window\" < ?1");
static struct db_stmt rate_get = DB_STMT(
    "rate_get", "SELECT count FROM rate_counts WHERE key = ?1 AND \"window\" = ?2");

int store_schema_columns(struct store *st, int (*cb)(void *, const char *table, const char *column), void *arg)
{
    return st->drv->columns(st, cb, arg);
}

static int key_of(void *arg, const struct db_row *r)
{
    size_t n;
    const unsigned char *wrapped = db_bytes(r, 2, &n);
    return ST_CALL((struct st_cb *)arg, int (*)(void *, const char *, const char *, const unsigned char *, size_t),
                   db_text(r, 0), db_text(r, 1), wrapped, n);
}

int store_data_keys_other(struct store *st, const char *key_id, int limit,
                          int (*cb)(void *, const char *person_id, const char *key_id, const unsigned char *wrapped,
                                    size_t len),
                          void *arg)
{
    return st_rows(st, &keys_other, DB_ARGS(DB_STR(key_id), DB_INT(limit)), key_of, ST_CB(cb, arg), 0);
}

int store_data_keys_count_other(struct store *st, const char *key_id, int64_t *n)
{
    return st_int(st, &keys_count_other, DB_ARGS(DB_STR(key_id)), n);
}

int store_data_key_update(struct store *st, const char *person_id, const char *key_id, const unsigned char *wrapped,
                          size_t len)
{
    return st_exec(st, &key_update, DB_ARGS(DB_STR(person_id), DB_STR(key_id), DB_BLOB(wrapped, len)));
}

int store_staff_totp_update(struct store *st, const char *staff_id, const unsigned char *sealed, size_t len)
{
    return st_exec(st, &totp_update, DB_ARGS(DB_STR(staff_id), DB_BLOB(sealed, len)));
}

int store_rate_add(struct store *st, const char *key, int64_t window, int64_t delta, int64_t *total)
{
    return st_int(st, &rate_add, DB_ARGS(DB_STR(key), DB_INT(window), DB_INT(delta)), total);
}

int store_rate_get(struct store *st, const char *key, int64_t window, int64_t *count)
{
    int err = st_int(st, &rate_get, DB_ARGS(DB_STR(key), DB_INT(window)), count);
    return err == PHR_ENOTFOUND ? PHR_OK : err;
}

int store_rate_prune(struct store *st, int64_t before_window)
{
    return st_exec(st, &rate_prune, DB_ARGS(DB_INT(before_window)));
}
