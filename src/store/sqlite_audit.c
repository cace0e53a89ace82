/* The handling history in the SQLite backend: entries, the queries over
 * them, signed checkpoints and incident records. */
#include <stdio.h>
#include <string.h>

#include "store/sqlite_internal.h"
#include "util/err.h"

#define AUDIT_COLS \
    "seq, at, actor, role, action, subject, records, reason, client, result, request_id, prev_hash, hash"

enum {
    S_AUDIT_INSERT, S_AUDIT_LAST, S_AUDIT_SCAN, S_AUDIT_QUERY, S_AUDIT_OTHERS, S_AUDIT_ABOUT, S_INCIDENT_INSERT, S_INCIDENT_LIST, S_CKPT_INSERT, S_CKPT_SCAN, S_CKPT_LAST,
    N_STMTS
};
_Static_assert(N_STMTS <= SQ_AUDIT_STMTS, "raise SQ_AUDIT_STMTS");

static const char *const sql[N_STMTS] = {
    [S_AUDIT_INSERT] = "INSERT INTO audit(" AUDIT_COLS ") VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)",
    [S_AUDIT_LAST] = "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1",
    [S_AUDIT_SCAN] = "SELECT " AUDIT_COLS " FROM audit WHERE seq >= ? ORDER BY seq",
    [S_AUDIT_QUERY] = "SELECT " AUDIT_COLS " FROM audit WHERE at >= ?1 AND at <= ?2"
                      " AND (?3 IS NULL OR actor = ?3) AND (?4 IS NULL OR subject = ?4)"
                      " AND (?5 IS NULL OR action = ?5) AND (?6 IS NULL OR result = ?6)"
                      " AND (?7 IS NULL OR client = ?7) ORDER BY at, seq",
    [S_AUDIT_OTHERS] = "SELECT " AUDIT_COLS " FROM audit WHERE subject = ?1 AND actor <> 'person:' || subject"
                       " ORDER BY seq DESC LIMIT ?2",
    [S_AUDIT_ABOUT] = "SELECT " AUDIT_COLS " FROM audit WHERE subject = ?1 AND actor <> 'person:' || subject"
                      " AND seq > ?2 ORDER BY seq LIMIT ?3",
    [S_INCIDENT_INSERT] = "INSERT INTO incidents(refers_to, recorded_at, recorded_by, found_at, what, told)"
                          " VALUES(?,?,?,?,?,?)",
    [S_INCIDENT_LIST] = "SELECT id, refers_to, recorded_at, recorded_by, found_at, what, told FROM incidents ORDER BY id",
    [S_CKPT_INSERT] = "INSERT INTO audit_checkpoints(at, audit_seq, head_hash, key_id, signature) VALUES(?,?,?,?,?)",
    [S_CKPT_SCAN] = "SELECT id, at, audit_seq, head_hash, key_id, signature FROM audit_checkpoints ORDER BY id",
    [S_CKPT_LAST] = "SELECT id, at, audit_seq, head_hash, key_id, signature FROM audit_checkpoints"
                    " ORDER BY id DESC LIMIT 1",
};

static sqlite3_stmt *prep(struct sqlite_store *s, int id)
{
    return sq_prep(s, &s->audit_stmt[id], sql[id]);
}

int sqa_audit_insert(struct store *st, const struct audit_row *a)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, S_AUDIT_INSERT);
    if (!q)
        return PHR_EIO;
    sqlite3_bind_int64(q, 1, a->seq);
    sqlite3_bind_int64(q, 2, a->at);
    sq_bind_text(q, 3, a->actor);
    sq_bind_text(q, 4, a->role);
    sq_bind_text(q, 5, a->action);
    sq_bind_text(q, 6, a->subject);
    sq_bind_text(q, 7, a->records);
    sq_bind_text(q, 8, a->reason);
    sq_bind_text(q, 9, a->client);
    sq_bind_text(q, 10, a->result);
    sq_bind_text(q, 11, a->request_id);
    sqlite3_bind_blob(q, 12, a->prev_hash, SHA256_BYTES, SQLITE_STATIC);
    sqlite3_bind_blob(q, 13, a->hash, SHA256_BYTES, SQLITE_STATIC);
    return sq_exec(s, q, "audit_insert");
}

int sqa_audit_last(struct store *st, int64_t *seq, unsigned char hash[SHA256_BYTES])
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, S_AUDIT_LAST);
    if (!q)
        return PHR_EIO;
    int rc = sqlite3_step(q);
    int err = PHR_OK;
    if (rc == SQLITE_ROW) {
        *seq = sqlite3_column_int64(q, 0);
        if (sqlite3_column_bytes(q, 1) == SHA256_BYTES)
            memcpy(hash, sqlite3_column_blob(q, 1), SHA256_BYTES);
        else
            err = PHR_EIO;
    } else {
        err = rc == SQLITE_DONE ? PHR_ENOTFOUND : sq_fail(s, rc, "audit_last");
    }
    sqlite3_reset(q);
    return err;
}

/* Hands every row of an audit query to cb. */
static int audit_rows(struct sqlite_store *s, sqlite3_stmt *q, const char *what, audit_cb cb, void *arg)
{
    int rc, err = PHR_OK;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        int plen = sqlite3_column_bytes(q, 11), hlen = sqlite3_column_bytes(q, 12);
        struct audit_row a = {
            .seq = sqlite3_column_int64(q, 0),
            .at = sqlite3_column_int64(q, 1),
            .actor = sq_text(q, 2),
            .role = sq_text(q, 3),
            .action = sq_text(q, 4),
            .subject = sq_text(q, 5),
            .records = sq_text(q, 6),
            .reason = sq_text(q, 7),
            .client = sq_text(q, 8),
            .result = sq_text(q, 9),
            .request_id = sq_text(q, 10),
            .prev_hash = plen == SHA256_BYTES ? sqlite3_column_blob(q, 11) : NULL,
            .hash = hlen == SHA256_BYTES ? sqlite3_column_blob(q, 12) : NULL,
        };
        if ((err = cb(arg, &a)) != 0)
            break;
    }
    if (!err && rc != SQLITE_DONE)
        err = sq_fail(s, rc, what);
    sqlite3_reset(q);
    return err;
}

int sqa_audit_scan(struct store *st, int64_t from_seq, audit_cb cb, void *arg)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, S_AUDIT_SCAN);
    if (!q)
        return PHR_EIO;
    sqlite3_bind_int64(q, 1, from_seq);
    return audit_rows(s, q, "audit_scan", cb, arg);
}

int sqa_audit_query(struct store *st, const struct audit_filter *f, audit_cb cb, void *arg)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, S_AUDIT_QUERY);
    if (!q)
        return PHR_EIO;
    sqlite3_bind_int64(q, 1, f->from);
    sqlite3_bind_int64(q, 2, f->to);
    sq_bind_text(q, 3, f->actor);
    sq_bind_text(q, 4, f->subject);
    sq_bind_text(q, 5, f->action);
    sq_bind_text(q, 6, f->result);
    sq_bind_text(q, 7, f->client);
    return audit_rows(s, q, "audit_query", cb, arg);
}

int sqa_audit_by_others(struct store *st, const char *person, int limit, audit_cb cb, void *arg)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, S_AUDIT_OTHERS);
    if (!q)
        return PHR_EIO;
    sq_bind_text(q, 1, person);
    sqlite3_bind_int(q, 2, limit);
    return audit_rows(s, q, "audit_by_others", cb, arg);
}

int sqa_audit_about(struct store *st, const char *person, int64_t after_seq, int limit, audit_cb cb, void *arg)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, S_AUDIT_ABOUT);
    if (!q)
        return PHR_EIO;
    sq_bind_text(q, 1, person);
    sqlite3_bind_int64(q, 2, after_seq);
    sqlite3_bind_int(q, 3, limit);
    return audit_rows(s, q, "audit_about", cb, arg);
}

int sqa_incident_insert(struct store *st, const struct incident_row *r, int64_t *id)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, S_INCIDENT_INSERT);
    if (!q)
        return PHR_EIO;
    if (r->refers_to)
        sqlite3_bind_int64(q, 1, r->refers_to);
    sqlite3_bind_int64(q, 2, r->recorded_at);
    sq_bind_text(q, 3, r->recorded_by);
    if (r->found_at)
        sqlite3_bind_int64(q, 4, r->found_at);
    sq_bind_text(q, 5, r->what);
    sq_bind_text(q, 6, r->told);
    int err = sq_exec(s, q, "incident_insert");
    if (err == PHR_ECONFLICT)
        return PHR_ENOTFOUND; /* the foreign key: no such incident */
    if (!err)
        *id = sqlite3_last_insert_rowid(s->db);
    return err;
}

int sqa_incident_list(struct store *st, int (*cb)(void *, const struct incident_row *), void *arg)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, S_INCIDENT_LIST);
    if (!q)
        return PHR_EIO;
    int rc, err = PHR_OK;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        struct incident_row r = {
            .id = sqlite3_column_int64(q, 0), .refers_to = sqlite3_column_int64(q, 1),
            .recorded_at = sqlite3_column_int64(q, 2), .recorded_by = sq_text(q, 3),
            .found_at = sqlite3_column_int64(q, 4), .what = sq_text(q, 5), .told = sq_text(q, 6),
        };
        if ((err = cb(arg, &r)) != PHR_OK)
            break;
    }
    if (err == PHR_OK && rc != SQLITE_DONE)
        err = sq_fail(s, rc, "incident_list");
    sqlite3_reset(q);
    return err;
}

int sqa_checkpoint_insert(struct store *st, const struct checkpoint_row *c)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, S_CKPT_INSERT);
    if (!q)
        return PHR_EIO;
    sqlite3_bind_int64(q, 1, c->at);
    sqlite3_bind_int64(q, 2, c->audit_seq);
    sqlite3_bind_blob(q, 3, c->head_hash, SHA256_BYTES, SQLITE_STATIC);
    sq_bind_text(q, 4, c->key_id);
    sqlite3_bind_blob(q, 5, c->signature, 64, SQLITE_STATIC);
    return sq_exec(s, q, "checkpoint_insert");
}

int sqa_checkpoint_scan(struct store *st, int last, checkpoint_cb cb, void *arg)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, last ? S_CKPT_LAST : S_CKPT_SCAN);
    if (!q)
        return PHR_EIO;
    int rc, err = PHR_OK;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        /* A malformed row is handed on with NULL blobs: verification
         * reports it instead of the store hiding it. */
        struct checkpoint_row c = {
            .id = sqlite3_column_int64(q, 0),
            .at = sqlite3_column_int64(q, 1),
            .audit_seq = sqlite3_column_int64(q, 2),
            .head_hash = sqlite3_column_bytes(q, 3) == SHA256_BYTES ? sqlite3_column_blob(q, 3) : NULL,
            .key_id = sq_text(q, 4),
            .signature = sqlite3_column_bytes(q, 5) == 64 ? sqlite3_column_blob(q, 5) : NULL,
        };
        if ((err = cb(arg, &c)) != PHR_OK)
            break;
    }
    if (err == PHR_OK && rc != SQLITE_DONE)
        err = sq_fail(s, rc, "checkpoint_scan");
    sqlite3_reset(q);
    return err;
}
