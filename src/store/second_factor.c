/* The second factor, written once over the driver. */
#include "store/second_factor.h"

#include "store/internal.h"

static struct db_stmt get = DB_STMT(
    "second_factor_get", "SELECT person_id, sealed, alg, enabled, last_step, created_at FROM second_factors"
                         " WHERE person_id = ?1");
/* A key awaiting confirmation is replaced; an enabled one never is. */
static struct db_stmt put = DB_STMT(
    "second_factor_put", "INSERT INTO second_factors(person_id, sealed, alg, enabled, last_step, created_at)"
                         " VALUES(?1, ?2, ?3, 0, 0, ?4) ON CONFLICT(person_id) DO UPDATE SET sealed = excluded.sealed,"
                         " alg = excluded.alg, last_step = 0, created_at = excluded.created_at"
                         " WHERE second_factors.enabled = 0");
static struct db_stmt use = DB_STMT(
    "second_factor_use", "UPDATE second_factors SET enabled = 1, last_step = ?2 WHERE person_id = ?1"
                         " AND last_step < ?2");
static struct db_stmt delete_key = DB_STMT("second_factor_delete", "DELETE FROM second_factors WHERE person_id = ?1");
static struct db_stmt delete_codes = DB_STMT(
    "second_factor_codes_delete", "DELETE FROM second_factor_codes WHERE person_id = ?1");
static struct db_stmt code_insert = DB_STMT(
    "second_factor_code_insert", "INSERT INTO second_factor_codes(person_id, code_hash) VALUES(?1, ?2)");
static struct db_stmt code_use = DB_STMT(
    "second_factor_code_use", "UPDATE second_factor_codes SET used_at = ?3 WHERE person_id = ?1 AND code_hash = ?2"
                              " AND used_at IS NULL");

static int factor_of(void *arg, const struct db_row *q)
{
    struct second_factor_row r = {
        .person_id = db_text(q, 0), .alg = (int)db_int(q, 2), .enabled = (int)db_int(q, 3),
        .last_step = db_int(q, 4), .created_at = db_int(q, 5),
    };
    r.sealed = db_bytes(q, 1, &r.sealed_len);
    return ST_CALL((struct st_cb *)arg, int (*)(void *, const struct second_factor_row *), &r);
}

int store_second_factor_get(struct store *st, const char *person, int (*cb)(void *, const struct second_factor_row *),
                            void *arg)
{
    return st_rows(st, &get, DB_ARGS(DB_STR(person)), factor_of, ST_CB(cb, arg), 1);
}

int store_second_factor_put(struct store *st, const struct second_factor_row *r)
{
    return st_one_changed(st, &put,
                          DB_ARGS(DB_STR(r->person_id), DB_BLOB(r->sealed, r->sealed_len), DB_INT(r->alg),
                                  DB_INT(r->created_at)),
                          PHR_ECONFLICT);
}

int store_second_factor_use(struct store *st, const char *person, int64_t step)
{
    return st_one_changed(st, &use, DB_ARGS(DB_STR(person), DB_INT(step)), PHR_ECONFLICT);
}

int store_second_factor_delete(struct store *st, const char *person)
{
    int err = st_one_changed(st, &delete_key, DB_ARGS(DB_STR(person)), PHR_ENOTFOUND);
    return err ? err : st_exec(st, &delete_codes, DB_ARGS(DB_STR(person)));
}

int store_second_factor_codes_put(struct store *st, const char *person, const unsigned char (*hashes)[SHA256_BYTES],
                                  size_t n)
{
    int err = st_exec(st, &delete_codes, DB_ARGS(DB_STR(person)));
    for (size_t i = 0; !err && i < n; i++)
        err = st_exec(st, &code_insert, DB_ARGS(DB_STR(person), DB_BLOB(hashes[i], SHA256_BYTES)));
    return err;
}

int store_second_factor_code_use(struct store *st, const char *person, const unsigned char hash[SHA256_BYTES],
                                 int64_t at)
{
    return st_one_changed(st, &code_use, DB_ARGS(DB_STR(person), DB_BLOB(hash, SHA256_BYTES), DB_INT(at)),
                          PHR_ENOTFOUND);
}
