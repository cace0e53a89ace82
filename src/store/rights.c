/* Erasure, written once over the driver. */
#include "store/rights.h"

#include <string.h>

#include "store/internal.h"

/* ?2 is a comma-separated list of codes, '' for every record. */
#define CODE_MATCH "(?2 = '' OR instr(',' || ?2 || ',', ',' || code || ',') > 0)"
#define ERASURE_COLS                                                                               \
    "id, person_id, scope, codes, requested_by, status, erased, requested_at, expires_at,"        \
    " coalesce(confirmed_at, 0), coalesce(done_at, 0)"

static struct db_stmt count_records = DB_STMT(
    "erasure_count_records",
    "SELECT count(DISTINCT id), count(*) FROM records WHERE person_id = ?1 AND " CODE_MATCH);
static struct db_stmt count_account = DB_STMT(
    "erasure_count_account", "SELECT (SELECT count(*) FROM consents WHERE person_id = ?1),"
                             " (SELECT count(*) FROM suspensions WHERE person_id = ?1),"
                             " (SELECT count(*) FROM sessions WHERE person_id = ?1),"
                             " (SELECT count(*) FROM provisions WHERE person_id = ?1),"
                             " (SELECT coalesce(max(at), 0) FROM provisions WHERE person_id = ?1),"
                             " (SELECT count(*) FROM audit WHERE subject = ?1)");
static struct db_stmt insert = DB_STMT(
    "erasure_insert", "INSERT INTO erasures(id, person_id, scope, codes, requested_by, status, requested_at,"
                      " expires_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
static struct db_stmt get = DB_STMT("erasure_get", "SELECT " ERASURE_COLS " FROM erasures WHERE id = ?1");
static struct db_stmt unfinished = DB_STMT(
    "erasure_unfinished", "SELECT " ERASURE_COLS " FROM erasures WHERE status = 'erasing' ORDER BY confirmed_at");
static struct db_stmt set = DB_STMT(
    "erasure_set", "UPDATE erasures SET status = ?2,"
                   " confirmed_at = CASE WHEN ?2 = 'erasing' THEN ?3 ELSE confirmed_at END,"
                   " done_at = CASE WHEN ?2 = 'done' THEN ?3 ELSE done_at END,"
                   " erased = coalesce(?4, erased) WHERE id = ?1");
static struct db_stmt erase_records = DB_STMT(
    "erase_records", "DELETE FROM records WHERE person_id = ?1 AND " CODE_MATCH);
static struct db_stmt erase_key = DB_STMT("erase_data_key", "DELETE FROM ks.data_keys WHERE person_id = ?1");
static struct db_stmt keys_of_erased = DB_STMT(
    "erase_keys_of_erased", "DELETE FROM ks.data_keys WHERE person_id IN"
                            " (SELECT person_id FROM erasures WHERE scope = 'account' AND status = 'done')");

/* The account's rows, in this order: the tombstone first, since the
 * ledgers' delete triggers allow deleting only an erased person's rows;
 * the throttle row is keyed by the login, so it goes before the login
 * does. */
static struct db_stmt account_steps[] = {
    DB_STMT("erase_throttle", "DELETE FROM login_throttle WHERE login = (SELECT login FROM persons WHERE id = ?1)"),
    DB_STMT("erase_tombstone", "UPDATE persons SET login = 'erased:' || id, pw_hash = '', status = 'erased',"
                               " last_login_at = NULL WHERE id = ?1"),
    DB_STMT("erase_records_all", "DELETE FROM records WHERE person_id = ?1"),
    DB_STMT("erase_sessions", "DELETE FROM sessions WHERE person_id = ?1"),
    DB_STMT("erase_consents", "DELETE FROM consents WHERE person_id = ?1"),
    DB_STMT("erase_consent_state", "DELETE FROM consent_state WHERE person_id = ?1"),
    DB_STMT("erase_suspensions", "DELETE FROM suspensions WHERE person_id = ?1"),
    DB_STMT("erase_suspension_state", "DELETE FROM suspension_state WHERE person_id = ?1"),
    DB_STMT("erase_notices", "DELETE FROM notices WHERE person_id = ?1"),
    DB_STMT("erase_second_factor", "DELETE FROM second_factors WHERE person_id = ?1"),
    DB_STMT("erase_demographics", "DELETE FROM demographics WHERE person_id = ?1"),
    DB_STMT("erase_demographics_history", "DELETE FROM demographics_history WHERE person_id = ?1"),
    DB_STMT("erase_second_factor_codes", "DELETE FROM second_factor_codes WHERE person_id = ?1"),
    DB_STMT("erase_app_codes", "DELETE FROM oauth_codes WHERE grant_id IN (SELECT id FROM app_grants WHERE person_id = ?1)"),
    DB_STMT("erase_app_refresh",
            "DELETE FROM refresh_tokens WHERE grant_id IN (SELECT id FROM app_grants WHERE person_id = ?1)"),
    DB_STMT("erase_app_tokens",
            "DELETE FROM client_tokens WHERE grant_id IN (SELECT id FROM app_grants WHERE person_id = ?1)"),
    DB_STMT("erase_app_grants", "DELETE FROM app_grants WHERE person_id = ?1"),
};

static int records_counted(void *arg, const struct db_row *r)
{
    struct erasure_counts *c = arg;
    c->records = db_int(r, 0);
    c->versions = db_int(r, 1);
    return 0;
}

struct account_counts {
    struct erasure_counts *c;
    int account;
};

static int account_counted(void *arg, const struct db_row *r)
{
    struct account_counts *a = arg;
    if (a->account) {
        a->c->consents = db_int(r, 0);
        a->c->suspensions = db_int(r, 1);
        a->c->sessions = db_int(r, 2);
    }
    a->c->provisions = db_int(r, 3);
    a->c->last_provision_at = db_int(r, 4);
    a->c->audit = db_int(r, 5);
    return 0;
}

int store_erasure_count(struct store *st, const char *person, int account, const char *codes,
                        struct erasure_counts *out)
{
    memset(out, 0, sizeof *out);
    int err = st_rows(st, &count_records, DB_ARGS(DB_STR(person), DB_STR(codes ? codes : "")), records_counted, out,
                      1);
    struct account_counts a = {out, account};
    return err ? err : st_rows(st, &count_account, DB_ARGS(DB_STR(person)), account_counted, &a, 1);
}

int store_erasure_insert(struct store *st, const struct erasure_row *e)
{
    return st_exec(st, &insert,
                   DB_ARGS(DB_STR(e->id), DB_STR(e->person_id), DB_STR(e->scope), DB_STR(e->codes ? e->codes : ""),
                           DB_STR(e->requested_by), DB_STR(e->status), DB_INT(e->requested_at),
                           DB_INT(e->expires_at)));
}

static int erasure_of(void *arg, const struct db_row *q)
{
    struct erasure_row e = {
        .id = db_text(q, 0), .person_id = db_text(q, 1), .scope = db_text(q, 2), .codes = db_text(q, 3),
        .requested_by = db_text(q, 4), .status = db_text(q, 5), .erased = db_text(q, 6),
        .requested_at = db_int(q, 7), .expires_at = db_int(q, 8), .confirmed_at = db_int(q, 9),
        .done_at = db_int(q, 10),
    };
    return ST_CALL((struct st_cb *)arg, int (*)(void *, const struct erasure_row *), &e);
}

int store_erasure_get(struct store *st, const char *id, int (*cb)(void *, const struct erasure_row *), void *arg)
{
    return st_rows(st, &get, DB_ARGS(DB_STR(id)), erasure_of, ST_CB(cb, arg), 1);
}

int store_erasure_unfinished(struct store *st, int (*cb)(void *, const struct erasure_row *), void *arg)
{
    return st_rows(st, &unfinished, DB_NO_ARGS, erasure_of, ST_CB(cb, arg), 0);
}

int store_erasure_set(struct store *st, const char *id, const char *status, int64_t at, const char *erased)
{
    return st_exec(st, &set, DB_ARGS(DB_STR(id), DB_STR(status), DB_INT(at), DB_STR(erased)));
}

int store_erase_records(struct store *st, const char *person, const char *codes, int64_t *n)
{
    return st_changed(st, &erase_records, DB_ARGS(DB_STR(person), DB_STR(codes ? codes : "")), n);
}

int store_erase_account(struct store *st, const char *person)
{
    for (size_t i = 0; i < sizeof account_steps / sizeof account_steps[0]; i++) {
        int err = st_exec(st, &account_steps[i], DB_ARGS(DB_STR(person)));
        if (err)
            return err;
    }
    return PHR_OK;
}

int store_erase_data_key(struct store *st, const char *person)
{
    return st_exec(st, &erase_key, DB_ARGS(DB_STR(person)));
}

int store_keystore_checkpoint(struct store *st)
{
    return st->drv->keys_forget(st);
}

int store_erase_keys_of_erased(struct store *st, int64_t *n)
{
    return st_changed(st, &keys_of_erased, DB_NO_ARGS, n);
}
