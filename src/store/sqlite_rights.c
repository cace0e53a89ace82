/* A person's rights in the SQLite backend: erasure requests and the
 * deletion they carry out (R3.10). */
#include <stdio.h>
#include <string.h>

#include "store/sqlite_internal.h"
#include "util/err.h"

enum {
    S_COUNT_RECORDS, S_COUNT_ACCOUNT, S_INSERT, S_GET, S_UNFINISHED, S_SET, S_ERASE_RECORDS,
    S_TOMBSTONE_LOGIN, S_TOMBSTONE, S_DEL_RECORDS, S_DEL_SESSIONS, S_DEL_CONSENTS, S_DEL_CONSENT_STATE,
    S_DEL_SUSPENSIONS, S_DEL_SUSPENSION_STATE, S_DEL_NOTICES, S_DEL_SECOND_FACTOR, S_DEL_SECOND_FACTOR_CODES, S_DEL_KEY, S_DEL_KEYS_OF_ERASED,
    S_BY_ORIGINAL,
    N_STMTS
};
_Static_assert(N_STMTS <= SQ_RIGHTS_STMTS, "raise SQ_RIGHTS_STMTS");

/* ?2 is a comma-separated list of codes, '' for every record. */
#define CODE_MATCH "(?2 = '' OR instr(',' || ?2 || ',', ',' || code || ',') > 0)"
#define ERASURE_COLS                                                                               \
    "id, person_id, scope, codes, requested_by, status, erased, requested_at, expires_at,"        \
    " coalesce(confirmed_at, 0), coalesce(done_at, 0)"

static const char *const sql[N_STMTS] = {
    [S_COUNT_RECORDS] = "SELECT count(DISTINCT id), count(*) FROM records WHERE person_id = ?1 AND " CODE_MATCH,
    [S_COUNT_ACCOUNT] = "SELECT (SELECT count(*) FROM consents WHERE person_id = ?1),"
                        " (SELECT count(*) FROM suspensions WHERE person_id = ?1),"
                        " (SELECT count(*) FROM sessions WHERE person_id = ?1),"
                        " (SELECT count(*) FROM provisions WHERE person_id = ?1),"
                        " (SELECT coalesce(max(at), 0) FROM provisions WHERE person_id = ?1),"
                        " (SELECT count(*) FROM audit WHERE subject = ?1)",
    [S_INSERT] = "INSERT INTO erasures(id, person_id, scope, codes, requested_by, status, requested_at, expires_at)"
                 " VALUES(?,?,?,?,?,?,?,?)",
    [S_GET] = "SELECT " ERASURE_COLS " FROM erasures WHERE id = ?",
    [S_UNFINISHED] = "SELECT " ERASURE_COLS " FROM erasures WHERE status = 'erasing' ORDER BY confirmed_at",
    [S_SET] = "UPDATE erasures SET status = ?2,"
              " confirmed_at = CASE WHEN ?2 = 'erasing' THEN ?3 ELSE confirmed_at END,"
              " done_at = CASE WHEN ?2 = 'done' THEN ?3 ELSE done_at END,"
              " erased = coalesce(?4, erased) WHERE id = ?1",
    [S_ERASE_RECORDS] = "DELETE FROM records WHERE person_id = ?1 AND " CODE_MATCH,
    [S_TOMBSTONE_LOGIN] = "DELETE FROM login_throttle WHERE login = (SELECT login FROM persons WHERE id = ?1)",
    [S_TOMBSTONE] = "UPDATE persons SET login = 'erased:' || id, pw_hash = '', status = 'erased',"
                    " last_login_at = NULL WHERE id = ?1",
    [S_DEL_RECORDS] = "DELETE FROM records WHERE person_id = ?1",
    [S_DEL_SESSIONS] = "DELETE FROM sessions WHERE person_id = ?1",
    [S_DEL_CONSENTS] = "DELETE FROM consents WHERE person_id = ?1",
    [S_DEL_CONSENT_STATE] = "DELETE FROM consent_state WHERE person_id = ?1",
    [S_DEL_SUSPENSIONS] = "DELETE FROM suspensions WHERE person_id = ?1",
    [S_DEL_SUSPENSION_STATE] = "DELETE FROM suspension_state WHERE person_id = ?1",
    [S_DEL_NOTICES] = "DELETE FROM notices WHERE person_id = ?1",
    [S_DEL_SECOND_FACTOR] = "DELETE FROM second_factors WHERE person_id = ?1",
    [S_DEL_SECOND_FACTOR_CODES] = "DELETE FROM second_factor_codes WHERE person_id = ?1",
    [S_DEL_KEY] = "DELETE FROM ks.data_keys WHERE person_id = ?1",
    [S_BY_ORIGINAL] = "SELECT id FROM records WHERE person_id = ? AND resource_type = ? AND current = 1"
                      " AND original_mac = ? LIMIT 1",
    [S_DEL_KEYS_OF_ERASED] = "DELETE FROM ks.data_keys WHERE person_id IN"
                             " (SELECT person_id FROM main.erasures WHERE scope = 'account' AND status = 'done')",
};

static sqlite3_stmt *prep(struct sqlite_store *s, int id)
{
    return sq_prep(s, &s->rights_stmt[id], sql[id]);
}

int sqx_erasure_count(struct store *st, const char *person, int account, const char *codes,
                      struct erasure_counts *out)
{
    struct sqlite_store *s = S(st);
    memset(out, 0, sizeof *out);
    sqlite3_stmt *q = prep(s, S_COUNT_RECORDS);
    if (!q)
        return PHR_EIO;
    sq_bind_text(q, 1, person);
    sq_bind_text(q, 2, account ? "" : codes);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        out->records = sqlite3_column_int64(q, 0);
        out->versions = sqlite3_column_int64(q, 1);
    }
    sqlite3_reset(q);
    if (rc != SQLITE_ROW)
        return sq_fail(s, rc, "erasure_count");
    if (!(q = prep(s, S_COUNT_ACCOUNT)))
        return PHR_EIO;
    sq_bind_text(q, 1, person);
    rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        if (account) {
            out->consents = sqlite3_column_int64(q, 0);
            out->suspensions = sqlite3_column_int64(q, 1);
            out->sessions = sqlite3_column_int64(q, 2);
        }
        out->provisions = sqlite3_column_int64(q, 3);
        out->last_provision_at = sqlite3_column_int64(q, 4);
        out->audit = sqlite3_column_int64(q, 5);
    }
    sqlite3_reset(q);
    return rc == SQLITE_ROW ? PHR_OK : sq_fail(s, rc, "erasure_count");
}

int sqx_erasure_insert(struct store *st, const struct erasure_row *e)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, S_INSERT);
    if (!q)
        return PHR_EIO;
    sq_bind_text(q, 1, e->id);
    sq_bind_text(q, 2, e->person_id);
    sq_bind_text(q, 3, e->scope);
    sq_bind_text(q, 4, e->codes ? e->codes : "");
    sq_bind_text(q, 5, e->requested_by);
    sq_bind_text(q, 6, e->status);
    sqlite3_bind_int64(q, 7, e->requested_at);
    sqlite3_bind_int64(q, 8, e->expires_at);
    return sq_exec(s, q, "erasure_insert");
}

static int rows(struct sqlite_store *s, sqlite3_stmt *q, int (*cb)(void *, const struct erasure_row *), void *arg,
                int *found)
{
    int rc, err = PHR_OK;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        struct erasure_row e = {
            .id = sq_text(q, 0), .person_id = sq_text(q, 1), .scope = sq_text(q, 2), .codes = sq_text(q, 3),
            .requested_by = sq_text(q, 4), .status = sq_text(q, 5), .erased = sq_text(q, 6),
            .requested_at = sqlite3_column_int64(q, 7), .expires_at = sqlite3_column_int64(q, 8),
            .confirmed_at = sqlite3_column_int64(q, 9), .done_at = sqlite3_column_int64(q, 10),
        };
        *found = 1;
        if ((err = cb(arg, &e)) != PHR_OK)
            break;
    }
    if (err == PHR_OK && rc != SQLITE_DONE)
        err = sq_fail(s, rc, "erasure_rows");
    sqlite3_reset(q);
    return err;
}

int sqx_erasure_get(struct store *st, const char *id, int (*cb)(void *, const struct erasure_row *), void *arg)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, S_GET);
    if (!q)
        return PHR_EIO;
    sq_bind_text(q, 1, id);
    int found = 0;
    int err = rows(s, q, cb, arg, &found);
    return err ? err : found ? PHR_OK : PHR_ENOTFOUND;
}

int sqx_erasure_unfinished(struct store *st, int (*cb)(void *, const struct erasure_row *), void *arg)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, S_UNFINISHED);
    int found = 0;
    return q ? rows(s, q, cb, arg, &found) : PHR_EIO;
}

int sqx_erasure_set(struct store *st, const char *id, const char *status, int64_t at, const char *erased)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, S_SET);
    if (!q)
        return PHR_EIO;
    sq_bind_text(q, 1, id);
    sq_bind_text(q, 2, status);
    sqlite3_bind_int64(q, 3, at);
    sq_bind_text(q, 4, erased);
    return sq_exec(s, q, "erasure_set");
}

int sqx_erase_records(struct store *st, const char *person, const char *codes, int64_t *n)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, S_ERASE_RECORDS);
    if (!q)
        return PHR_EIO;
    sq_bind_text(q, 1, person);
    sq_bind_text(q, 2, codes ? codes : "");
    int err = sq_exec(s, q, "erase_records");
    *n = err ? 0 : sqlite3_changes64(s->db);
    return err;
}

int sqx_erase_account(struct store *st, const char *person)
{
    /* The tombstone first: the ledgers' delete triggers allow deleting
     * only an erased person's rows. The throttle row is keyed by the login,
     * so it goes before the login does. */
    static const int steps[] = {S_TOMBSTONE_LOGIN, S_TOMBSTONE, S_DEL_RECORDS, S_DEL_SESSIONS, S_DEL_CONSENTS,
                                S_DEL_CONSENT_STATE, S_DEL_SUSPENSIONS, S_DEL_SUSPENSION_STATE, S_DEL_NOTICES,
                                S_DEL_SECOND_FACTOR, S_DEL_SECOND_FACTOR_CODES};
    struct sqlite_store *s = S(st);
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        sqlite3_stmt *q = prep(s, steps[i]);
        if (!q)
            return PHR_EIO;
        sq_bind_text(q, 1, person);
        int err = sq_exec(s, q, "erase_account");
        if (err)
            return err;
    }
    return PHR_OK;
}

int sqx_erase_data_key(struct store *st, const char *person)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, S_DEL_KEY);
    if (!q)
        return PHR_EIO;
    sq_bind_text(q, 1, person);
    return sq_exec(s, q, "erase_data_key");
}

int sqx_record_by_original(struct store *st, const char *person, const char *type, const unsigned char mac[32],
                           char id[37])
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, S_BY_ORIGINAL);
    if (!q)
        return PHR_EIO;
    sq_bind_text(q, 1, person);
    sq_bind_text(q, 2, type);
    sqlite3_bind_blob(q, 3, mac, 32, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW)
        snprintf(id, 37, "%s", sq_text(q, 0));
    sqlite3_reset(q);
    return rc == SQLITE_ROW ? PHR_OK : rc == SQLITE_DONE ? PHR_ENOTFOUND : sq_fail(s, rc, "record_by_original");
}

int sqx_erase_keys_of_erased(struct store *st, int64_t *n)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, S_DEL_KEYS_OF_ERASED);
    if (!q)
        return PHR_EIO;
    int err = sq_exec(s, q, "erase_keys_of_erased");
    *n = err ? 0 : sqlite3_changes64(s->db);
    return err;
}
