/* The embedded SQLite backend of store.h.
 *
 * Durability: WAL with synchronous=FULL, so a COMMIT that returned is on
 * disk. Speed comes from the writer batching many requests into one
 * transaction, never from weaker settings. Statements are prepared once per
 * connection and kept. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "store/migrations.h"
#include "store/sqlite.h"
#include "store/sqlite_internal.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"

enum stmt_id {
    S_BEGIN, S_BEGIN_READ, S_COMMIT, S_ROLLBACK, S_SAVEPOINT, S_RELEASE, S_ROLLBACK_TO,
    S_PERSON_INSERT, S_KEY_INSERT, S_PERSON_BY_LOGIN, S_PERSON_BY_ID,
    S_SESSION_INSERT, S_SESSION_GET, S_SESSION_TOUCH, S_SESSION_DELETE,
    S_THROTTLE_GET, S_THROTTLE_PUT, S_THROTTLE_CLEAR,
    S_RECORD_INSERT, S_RECORD_GET_CURRENT, S_RECORD_GET_VERSION, S_RECORD_SUPERSEDE,
    S_RECORD_HISTORY, S_RECORD_PAGE, S_RECORD_PAGE_CURRENT, S_RECORD_UNCLASSIFIED, S_RECORD_CLASSIFY,
    S_COUNT
};
_Static_assert(S_COUNT <= SQ_CORE_STMTS, "raise SQ_CORE_STMTS");

#define PERSON_COLS "p.id, p.login, p.pw_hash, p.status, p.created_at, k.master_key_id, k.wrapped"
#define RECORD_COLS                                                                            \
    "id, version, person_id, resource_type, code_system, code, category, effective_start,"   \
    " effective_end, data_category, source, recorded_at, recorded_by, channel, original_mac," \
    " alg, body, original, current, data_kind"

static const char *const stmt_sql[S_COUNT] = {
    [S_BEGIN] = "BEGIN IMMEDIATE",
    [S_BEGIN_READ] = "BEGIN DEFERRED",
    [S_COMMIT] = "COMMIT",
    [S_ROLLBACK] = "ROLLBACK",
    [S_SAVEPOINT] = "SAVEPOINT job",
    [S_RELEASE] = "RELEASE job",
    [S_ROLLBACK_TO] = "ROLLBACK TO job",
    [S_PERSON_INSERT] = "INSERT INTO persons(id, login, pw_hash, status, created_at) VALUES(?,?,?,?,?)",
    [S_KEY_INSERT] = "INSERT INTO ks.data_keys(person_id, master_key_id, wrapped) VALUES(?,?,?)",
    [S_PERSON_BY_LOGIN] = "SELECT " PERSON_COLS " FROM persons p JOIN ks.data_keys k ON k.person_id = p.id"
                          " WHERE p.login = ?",
    [S_PERSON_BY_ID] = "SELECT " PERSON_COLS " FROM persons p JOIN ks.data_keys k ON k.person_id = p.id"
                       " WHERE p.id = ?",
    [S_SESSION_INSERT] = "INSERT INTO sessions(token_hash, person_id, created_at, last_seen_at, expires_at)"
                         " VALUES(?,?,?,?,?)",
    [S_SESSION_GET] = "SELECT token_hash, person_id, created_at, last_seen_at, expires_at FROM sessions"
                      " WHERE token_hash = ?",
    [S_SESSION_TOUCH] = "UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?",
    [S_SESSION_DELETE] = "DELETE FROM sessions WHERE token_hash = ?",
    [S_THROTTLE_GET] = "SELECT failures, last_failure_at, locked_until FROM login_throttle WHERE login = ?",
    [S_THROTTLE_PUT] = "INSERT INTO login_throttle(login, failures, last_failure_at, locked_until)"
                       " VALUES(?,?,?,?) ON CONFLICT(login) DO UPDATE SET failures = excluded.failures,"
                       " last_failure_at = excluded.last_failure_at, locked_until = excluded.locked_until",
    [S_THROTTLE_CLEAR] = "DELETE FROM login_throttle WHERE login = ?",
    [S_RECORD_INSERT] = "INSERT INTO records(" RECORD_COLS ") VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
    [S_RECORD_GET_CURRENT] = "SELECT " RECORD_COLS " FROM records WHERE id = ? AND current = 1",
    [S_RECORD_GET_VERSION] = "SELECT " RECORD_COLS " FROM records WHERE id = ? AND version = ?",
    [S_RECORD_SUPERSEDE] = "UPDATE records SET current = 0 WHERE id = ? AND version = ? AND current = 1",
    [S_RECORD_HISTORY] = "SELECT " RECORD_COLS " FROM records WHERE id = ? ORDER BY version DESC",
    [S_RECORD_PAGE] = "SELECT " RECORD_COLS ", rowid FROM records WHERE (?1 IS NULL OR person_id = ?1)"
                      " AND rowid > ?2 ORDER BY rowid LIMIT ?3",
    /* Current versions only: the search index reaches exactly the person's
     * rows, where the scan above reads the table from the cursor on. The
     * page's rowids are sorted from the index alone, then only those rows
     * read: sorting whole rows read every remaining row of the person for
     * each page (2.4 times slower over a Bulk export, docs/benchmarks.md). */
    [S_RECORD_PAGE_CURRENT] = "SELECT " RECORD_COLS ", rowid FROM records WHERE rowid IN"
                              " (SELECT rowid FROM records INDEXED BY records_search WHERE person_id = ?"
                              " AND current = 1 AND rowid > ? ORDER BY rowid LIMIT ?) ORDER BY rowid",
    [S_RECORD_UNCLASSIFIED] = "SELECT " RECORD_COLS " FROM records INDEXED BY records_unclassified"
                              " WHERE data_kind IS NULL LIMIT ?",
    [S_RECORD_CLASSIFY] = "UPDATE records SET data_kind = ? WHERE id = ? AND version = ? AND data_kind IS NULL",
};

/* WAL checkpoints copy committed pages into the database file and fsync
 * it. SQLite's automatic checkpoint runs inside the COMMIT that crosses the
 * threshold, stalling every request in that batch; on the writer's
 * connection a thread of its own runs them instead, in PASSIVE mode, which
 * never blocks the writer. Durability is unchanged: a commit is durable
 * once the WAL is synced, whether or not it has been checkpointed. */
#define CHECKPOINT_PAGES 1000
/* Past this the writer itself finishes the checkpoint and restarts the log
 * (waiting briefly for readers), so that the WAL cannot grow without bound
 * while the background checkpoints chase a moving end. A reader that keeps
 * one snapshot for long (a Bulk export, a disclosure) holds the restart
 * off; it may itself be waiting for this very commit (a provision record),
 * so the wait is short, and after a refusal the writer tries again only
 * once the log has grown by CHECKPOINT_PAGES: with the connection's own
 * busy timeout every commit stalled for it, 10 s each. */
#define CHECKPOINT_RESTART_PAGES 16384
#define CHECKPOINT_RESTART_WAIT_MS 20
#define BUSY_TIMEOUT_MS 10000

struct checkpointer {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    int pending, stop;
    int restart_refused_at;       /* the log's pages when readers last held a restart off; writer only */
    sqlite3 *db;
};

static int map_rc(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_DONE:
    case SQLITE_ROW:
        return PHR_OK;
    case SQLITE_NOMEM:
        return PHR_ENOMEM;
    case SQLITE_CONSTRAINT:
        return PHR_ECONFLICT;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return PHR_EBUSY;
    default:
        return PHR_EIO;
    }
}

int sq_fail(struct sqlite_store *s, int rc, const char *what)
{
    int err = map_rc(rc);
    if (err != PHR_ECONFLICT)
        log_event(LOG_ERROR, "store.sqlite", "op", what, "error", sqlite3_errmsg(s->db), NULL);
    return err;
}

sqlite3_stmt *sq_prep(struct sqlite_store *s, sqlite3_stmt **slot, const char *sql)
{
    sqlite3_stmt *st = *slot;
    if (st) {
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        return st;
    }
    if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
        log_event(LOG_ERROR, "store.sqlite", "op", "prepare", "error", sqlite3_errmsg(s->db), NULL);
        return NULL;
    }
    *slot = st;
    return st;
}

static sqlite3_stmt *prep(struct sqlite_store *s, enum stmt_id id)
{
    return sq_prep(s, &s->stmt[id], stmt_sql[id]);
}

int sq_exec(struct sqlite_store *s, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    int err = rc == SQLITE_DONE ? PHR_OK : sq_fail(s, rc, what);
    sqlite3_reset(st);
    return err;
}

static int simple(struct store *st, enum stmt_id id, const char *what)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, id);
    return q ? sq_exec(s, q, what) : PHR_EIO;
}

static int s_begin(struct store *st) { return simple(st, S_BEGIN, "begin"); }
static int s_begin_read(struct store *st) { return simple(st, S_BEGIN_READ, "begin_read"); }
static int s_commit(struct store *st) { return simple(st, S_COMMIT, "commit"); }
static int s_rollback(struct store *st) { return simple(st, S_ROLLBACK, "rollback"); }
static int s_savepoint(struct store *st) { return simple(st, S_SAVEPOINT, "savepoint"); }
static int s_release(struct store *st) { return simple(st, S_RELEASE, "release"); }
static int s_rollback_to(struct store *st) { return simple(st, S_ROLLBACK_TO, "rollback_to"); }

void sq_bind_text(sqlite3_stmt *q, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(q, i, v, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(q, i);
}

const char *sq_text(sqlite3_stmt *q, int i)
{
    return (const char *)sqlite3_column_text(q, i);
}

static int s_person_insert(struct store *st, const struct person_row *p)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, S_PERSON_INSERT);
    if (!q)
        return PHR_EIO;
    sq_bind_text(q, 1, p->id);
    sq_bind_text(q, 2, p->login);
    sq_bind_text(q, 3, p->pw_hash);
    sq_bind_text(q, 4, p->status);
    sqlite3_bind_int64(q, 5, p->created_at);
    int err = sq_exec(s, q, "person_insert");
    if (err)
        return err;
    q = prep(s, S_KEY_INSERT);
    if (!q)
        return PHR_EIO;
    sq_bind_text(q, 1, p->id);
    sq_bind_text(q, 2, p->master_key_id);
    sqlite3_bind_blob(q, 3, p->wrapped_key, (int)p->wrapped_key_len, SQLITE_STATIC);
    return sq_exec(s, q, "key_insert");
}

static int person_lookup(struct store *st, enum stmt_id id, const char *key,
                         void (*cb)(void *, const struct person_row *), void *arg)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, id);
    if (!q)
        return PHR_EIO;
    sq_bind_text(q, 1, key);
    int rc = sqlite3_step(q);
    int err = PHR_OK;
    if (rc == SQLITE_ROW) {
        struct person_row p = {
            .id = sq_text(q, 0),
            .login = sq_text(q, 1),
            .pw_hash = sq_text(q, 2),
            .status = sq_text(q, 3),
            .created_at = sqlite3_column_int64(q, 4),
            .master_key_id = sq_text(q, 5),
            .wrapped_key = sqlite3_column_blob(q, 6),
            .wrapped_key_len = (size_t)sqlite3_column_bytes(q, 6),
        };
        cb(arg, &p);
    } else {
        err = rc == SQLITE_DONE ? PHR_ENOTFOUND : sq_fail(s, rc, "person_lookup");
    }
    sqlite3_reset(q);
    return err;
}

static int s_person_by_login(struct store *st, const char *login,
                             void (*cb)(void *, const struct person_row *), void *arg)
{
    return person_lookup(st, S_PERSON_BY_LOGIN, login, cb, arg);
}

static int s_person_by_id(struct store *st, const char *id,
                          void (*cb)(void *, const struct person_row *), void *arg)
{
    return person_lookup(st, S_PERSON_BY_ID, id, cb, arg);
}

static int s_session_insert(struct store *st, const struct session_row *r)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, S_SESSION_INSERT);
    if (!q)
        return PHR_EIO;
    sqlite3_bind_blob(q, 1, r->token_hash, SHA256_BYTES, SQLITE_STATIC);
    sq_bind_text(q, 2, r->person_id);
    sqlite3_bind_int64(q, 3, r->created_at);
    sqlite3_bind_int64(q, 4, r->last_seen_at);
    sqlite3_bind_int64(q, 5, r->expires_at);
    return sq_exec(s, q, "session_insert");
}

static int s_session_get(struct store *st, const unsigned char hash[SHA256_BYTES],
                         void (*cb)(void *, const struct session_row *), void *arg)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, S_SESSION_GET);
    if (!q)
        return PHR_EIO;
    sqlite3_bind_blob(q, 1, hash, SHA256_BYTES, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    int err = PHR_OK;
    if (rc == SQLITE_ROW) {
        struct session_row r = {
            .token_hash = sqlite3_column_blob(q, 0),
            .person_id = sq_text(q, 1),
            .created_at = sqlite3_column_int64(q, 2),
            .last_seen_at = sqlite3_column_int64(q, 3),
            .expires_at = sqlite3_column_int64(q, 4),
        };
        cb(arg, &r);
    } else {
        err = rc == SQLITE_DONE ? PHR_ENOTFOUND : sq_fail(s, rc, "session_get");
    }
    sqlite3_reset(q);
    return err;
}

static int s_session_touch(struct store *st, const unsigned char hash[SHA256_BYTES], int64_t now)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, S_SESSION_TOUCH);
    if (!q)
        return PHR_EIO;
    sqlite3_bind_int64(q, 1, now);
    sqlite3_bind_blob(q, 2, hash, SHA256_BYTES, SQLITE_STATIC);
    return sq_exec(s, q, "session_touch");
}

static int s_session_delete(struct store *st, const unsigned char hash[SHA256_BYTES])
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, S_SESSION_DELETE);
    if (!q)
        return PHR_EIO;
    sqlite3_bind_blob(q, 1, hash, SHA256_BYTES, SQLITE_STATIC);
    return sq_exec(s, q, "session_delete");
}

static int s_throttle_get(struct store *st, const char *login, struct throttle_row *out)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, S_THROTTLE_GET);
    if (!q)
        return PHR_EIO;
    sq_bind_text(q, 1, login);
    int rc = sqlite3_step(q);
    int err = PHR_OK;
    if (rc == SQLITE_ROW) {
        out->failures = sqlite3_column_int(q, 0);
        out->last_failure_at = sqlite3_column_int64(q, 1);
        out->locked_until = sqlite3_column_int64(q, 2);
    } else {
        memset(out, 0, sizeof *out);
        err = rc == SQLITE_DONE ? PHR_ENOTFOUND : sq_fail(s, rc, "throttle_get");
    }
    sqlite3_reset(q);
    return err;
}

static int s_throttle_put(struct store *st, const char *login, const struct throttle_row *t)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, S_THROTTLE_PUT);
    if (!q)
        return PHR_EIO;
    sq_bind_text(q, 1, login);
    sqlite3_bind_int(q, 2, t->failures);
    sqlite3_bind_int64(q, 3, t->last_failure_at);
    sqlite3_bind_int64(q, 4, t->locked_until);
    return sq_exec(s, q, "throttle_put");
}

static int s_throttle_clear(struct store *st, const char *login)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, S_THROTTLE_CLEAR);
    if (!q)
        return PHR_EIO;
    sq_bind_text(q, 1, login);
    return sq_exec(s, q, "throttle_clear");
}

static int s_record_insert(struct store *st, const struct record_row *r)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, S_RECORD_INSERT);
    if (!q)
        return PHR_EIO;
    sq_bind_text(q, 1, r->id);
    sqlite3_bind_int(q, 2, r->version);
    sq_bind_text(q, 3, r->person_id);
    sq_bind_text(q, 4, r->resource_type);
    sq_bind_text(q, 5, r->code_system);
    sq_bind_text(q, 6, r->code);
    sq_bind_text(q, 7, r->category);
    sqlite3_bind_int64(q, 8, r->effective_start);
    sqlite3_bind_int64(q, 9, r->effective_end);
    sqlite3_bind_int(q, 10, r->data_category);
    sq_bind_text(q, 11, r->source);
    sqlite3_bind_int64(q, 12, r->recorded_at);
    sq_bind_text(q, 13, r->recorded_by);
    sq_bind_text(q, 14, r->channel);
    sqlite3_bind_blob(q, 15, r->original_mac, SHA256_BYTES, SQLITE_STATIC);
    sqlite3_bind_int(q, 16, r->alg);
    sqlite3_bind_blob(q, 17, r->body, (int)r->body_len, SQLITE_STATIC);
    sqlite3_bind_blob(q, 18, r->original, (int)r->original_len, SQLITE_STATIC);
    sqlite3_bind_int(q, 19, r->current);
    if (!r->data_kind)
        return PHR_EINVAL; /* every record is written with its kind: the gate decides on it */
    sq_bind_text(q, 20, r->data_kind);
    return sq_exec(s, q, "record_insert");
}

static void row_to_record(sqlite3_stmt *q, struct record_row *r)
{
    r->id = sq_text(q, 0);
    r->version = sqlite3_column_int(q, 1);
    r->person_id = sq_text(q, 2);
    r->resource_type = sq_text(q, 3);
    r->code_system = sq_text(q, 4);
    r->code = sq_text(q, 5);
    r->category = sq_text(q, 6);
    r->effective_start = sqlite3_column_int64(q, 7);
    r->effective_end = sqlite3_column_int64(q, 8);
    r->data_category = sqlite3_column_int(q, 9);
    r->source = sq_text(q, 10);
    r->recorded_at = sqlite3_column_int64(q, 11);
    r->recorded_by = sq_text(q, 12);
    r->channel = sq_text(q, 13);
    r->original_mac = sqlite3_column_blob(q, 14);
    r->alg = sqlite3_column_int(q, 15);
    r->body = sqlite3_column_blob(q, 16);
    r->body_len = (size_t)sqlite3_column_bytes(q, 16);
    r->original = sqlite3_column_blob(q, 17);
    r->original_len = (size_t)sqlite3_column_bytes(q, 17);
    r->current = sqlite3_column_int(q, 18);
    r->data_kind = sq_text(q, 19);
}

/* Steps q to the end, handing each row to cb; a non-zero cb result stops
 * the scan and is returned. `found` counts the rows seen. */
static int each_record(struct sqlite_store *s, sqlite3_stmt *q, record_cb cb, void *arg, int *found)
{
    int rc, err = PHR_OK;
    *found = 0;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        struct record_row r;
        row_to_record(q, &r);
        (*found)++;
        if ((err = cb(arg, &r)) != 0)
            break;
    }
    if (!err && rc != SQLITE_DONE)
        err = sq_fail(s, rc, "record_scan");
    sqlite3_reset(q);
    return err;
}

static int s_record_get(struct store *st, const char *id, int version, record_cb cb, void *arg)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, version ? S_RECORD_GET_VERSION : S_RECORD_GET_CURRENT);
    if (!q)
        return PHR_EIO;
    sq_bind_text(q, 1, id);
    if (version)
        sqlite3_bind_int(q, 2, version);
    int found;
    int err = each_record(s, q, cb, arg, &found);
    return err ? err : found ? PHR_OK : PHR_ENOTFOUND;
}

/* In rowid order, which is the order of writing: a scan of the table from
 * the cursor on, one pass for a whole disclosure however it is paged. */
static int s_keystore_checkpoint(struct store *st)
{
    struct sqlite_store *s = S(st);
    int busy = 0, log = 0, done = 0;
    int rc = sqlite3_wal_checkpoint_v2(s->db, "ks", SQLITE_CHECKPOINT_TRUNCATE, &log, &done);
    if (rc == SQLITE_BUSY)
        busy = 1;
    if (rc != SQLITE_OK && !busy)
        return sq_fail(s, rc, "keystore_checkpoint");
    return busy ? PHR_EBUSY : PHR_OK;
}

static int s_record_page(struct store *st, const char *person, int current_only, int64_t after, int limit,
                         record_cb cb, void *arg, int64_t *last)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, current_only ? S_RECORD_PAGE_CURRENT : S_RECORD_PAGE);
    if (!q)
        return PHR_EIO;
    sq_bind_text(q, 1, person);
    sqlite3_bind_int64(q, 2, after);
    sqlite3_bind_int(q, 3, limit);
    int rc, err = PHR_OK;
    *last = after;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        struct record_row r;
        row_to_record(q, &r);
        *last = sqlite3_column_int64(q, 20);
        if ((err = cb(arg, &r)) != 0)
            break;
    }
    if (!err && rc != SQLITE_DONE)
        err = sq_fail(s, rc, "record_page");
    sqlite3_reset(q);
    return err;
}

static int s_record_supersede(struct store *st, const char *id, int version)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, S_RECORD_SUPERSEDE);
    if (!q)
        return PHR_EIO;
    sq_bind_text(q, 1, id);
    sqlite3_bind_int(q, 2, version);
    int err = sq_exec(s, q, "record_supersede");
    if (!err && sqlite3_changes(s->db) != 1)
        err = PHR_ECONFLICT;
    return err;
}

static int s_record_history(struct store *st, const char *id, record_cb cb, void *arg)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, S_RECORD_HISTORY);
    if (!q)
        return PHR_EIO;
    sq_bind_text(q, 1, id);
    int found;
    int err = each_record(s, q, cb, arg, &found);
    return err ? err : found ? PHR_OK : PHR_ENOTFOUND;
}

static int s_record_unclassified(struct store *st, int limit, record_cb cb, void *arg)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, S_RECORD_UNCLASSIFIED);
    if (!q)
        return PHR_EIO;
    sqlite3_bind_int(q, 1, limit);
    int found;
    return each_record(s, q, cb, arg, &found);
}

static int s_record_classify(struct store *st, const char *id, int version, const char *data_kind)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, S_RECORD_CLASSIFY);
    if (!q)
        return PHR_EIO;
    sq_bind_text(q, 1, data_kind);
    sq_bind_text(q, 2, id);
    sqlite3_bind_int(q, 3, version);
    return sq_exec(s, q, "record_classify");
}

/* Builds the WHERE clause of a search; parameters are bound in the same
 * order by bind_query. The date predicates follow FHIR's range semantics
 * (the record's [start, end] against the parameter's [lo, hi]). */
static int where_clause(const struct record_query *q, struct buf *sql)
{
    int err = buf_puts(sql, " WHERE current = 1 AND person_id = ? AND resource_type = ?");
    if (q->code)
        err |= buf_puts(sql, " AND code = ?");
    if (q->code_system)
        err |= buf_puts(sql, " AND code_system = ?");
    if (q->category)
        err |= buf_puts(sql, " AND category = ?");
    if (q->kinds)
        err |= buf_puts(sql, " AND instr(?, ',' || data_kind || ',') > 0");
    for (int i = 0; i < q->ndates; i++) {
        static const char *const pred[] = {
            [DATE_EQ] = " AND effective_start >= ? AND effective_end <= ?",
            [DATE_NE] = " AND NOT (effective_start >= ? AND effective_end <= ?)",
            [DATE_GE] = " AND effective_end >= ?",
            [DATE_LE] = " AND effective_start <= ?",
            [DATE_GT] = " AND effective_end > ?",
            [DATE_LT] = " AND effective_start < ?",
        };
        err |= buf_puts(sql, pred[q->dates[i].op]);
    }
    return err ? PHR_ENOMEM : PHR_OK;
}

static void bind_query(sqlite3_stmt *st, const struct record_query *q)
{
    int i = 1;
    sq_bind_text(st, i++, q->person_id);
    sq_bind_text(st, i++, q->resource_type);
    if (q->code)
        sq_bind_text(st, i++, q->code);
    if (q->code_system)
        sq_bind_text(st, i++, q->code_system);
    if (q->category)
        sq_bind_text(st, i++, q->category);
    if (q->kinds)
        sq_bind_text(st, i++, q->kinds);
    for (int d = 0; d < q->ndates; d++) {
        const struct date_cond *c = &q->dates[d];
        switch (c->op) {
        case DATE_EQ:
        case DATE_NE:
            sqlite3_bind_int64(st, i++, c->lo);
            sqlite3_bind_int64(st, i++, c->hi);
            break;
        case DATE_GE:
        case DATE_LT:
            sqlite3_bind_int64(st, i++, c->lo);
            break;
        case DATE_LE:
        case DATE_GT:
            sqlite3_bind_int64(st, i++, c->hi);
            break;
        }
    }
}

static int s_record_search(struct store *st, const struct record_query *q, record_cb cb, void *arg)
{
    struct sqlite_store *s = S(st);
    struct buf sql;
    buf_init(&sql);
    sqlite3_stmt *stmt = NULL;
    int err = buf_puts(&sql, "SELECT " RECORD_COLS " FROM records") ? PHR_ENOMEM : PHR_OK;
    if (!err)
        err = where_clause(q, &sql);
    if (!err && buf_printf(&sql, " ORDER BY effective_start %s, rowid %s LIMIT %d OFFSET %d",
                           q->sort_desc ? "DESC" : "ASC", q->sort_desc ? "DESC" : "ASC", q->count, q->offset))
        err = PHR_ENOMEM;
    if (err)
        goto out;
    if (sqlite3_prepare_v2(s->db, sql.data, -1, &stmt, NULL) != SQLITE_OK) {
        err = sq_fail(s, sqlite3_errcode(s->db), "record_search");
        goto out;
    }
    bind_query(stmt, q);
    int found;
    err = each_record(s, stmt, cb, arg, &found);
out:
    sqlite3_finalize(stmt);
    buf_free(&sql);
    return err;
}

static int s_record_count(struct store *st, const struct record_query *q, int64_t *n)
{
    struct sqlite_store *s = S(st);
    struct buf sql;
    buf_init(&sql);
    sqlite3_stmt *stmt = NULL;
    int err = buf_puts(&sql, "SELECT count(*) FROM records") ? PHR_ENOMEM : where_clause(q, &sql);
    if (err)
        goto out;
    if (sqlite3_prepare_v2(s->db, sql.data, -1, &stmt, NULL) != SQLITE_OK) {
        err = sq_fail(s, sqlite3_errcode(s->db), "record_count");
        goto out;
    }
    bind_query(stmt, q);
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW)
        *n = sqlite3_column_int64(stmt, 0);
    else
        err = sq_fail(s, rc, "record_count");
out:
    sqlite3_finalize(stmt);
    buf_free(&sql);
    return err;
}

static int wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
    (void)name;
    struct checkpointer *c = arg;
    int refused = c->restart_refused_at;
    if (pages >= CHECKPOINT_RESTART_PAGES && (!refused || pages < refused || pages >= refused + CHECKPOINT_PAGES)) {
        sqlite3_busy_timeout(db, CHECKPOINT_RESTART_WAIT_MS);
        int rc = sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_RESTART, NULL, NULL);
        sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
        c->restart_refused_at = rc == SQLITE_BUSY ? pages : 0;
        if (rc != SQLITE_OK && rc != SQLITE_BUSY)
            log_event(LOG_WARN, "store.checkpoint", "mode", "restart", "error", sqlite3_errmsg(db), NULL);
        return SQLITE_OK;
    }
    if (pages >= CHECKPOINT_PAGES) {
        pthread_mutex_lock(&c->lock);
        c->pending = 1;
        pthread_cond_signal(&c->wake);
        pthread_mutex_unlock(&c->lock);
    }
    return SQLITE_OK;
}

static void *checkpoint_main(void *arg)
{
    struct checkpointer *c = arg;
    for (;;) {
        pthread_mutex_lock(&c->lock);
        while (!c->pending && !c->stop)
            pthread_cond_wait(&c->wake, &c->lock);
        int stop = c->stop;
        c->pending = 0;
        pthread_mutex_unlock(&c->lock);
        if (stop)
            break;
        int rc = sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        if (rc != SQLITE_OK && rc != SQLITE_BUSY)
            log_event(LOG_WARN, "store.checkpoint", "error", sqlite3_errmsg(c->db), NULL);
    }
    return NULL;
}

static void checkpointer_stop(struct checkpointer *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&c->lock);
    c->stop = 1;
    pthread_cond_signal(&c->wake);
    pthread_mutex_unlock(&c->lock);
    pthread_join(c->thread, NULL);
    sqlite3_close(c->db);
    pthread_mutex_destroy(&c->lock);
    pthread_cond_destroy(&c->wake);
    free(c);
}

static int checkpointer_start(struct sqlite_store *s, const char *path)
{
    struct checkpointer *c = calloc(1, sizeof *c);
    if (!c)
        return PHR_ENOMEM;
    if (sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
        sqlite3_exec(c->db, "PRAGMA synchronous = FULL", NULL, NULL, NULL) != SQLITE_OK) {
        sqlite3_close(c->db);
        free(c);
        return PHR_EIO;
    }
    sqlite3_busy_timeout(c->db, 1000);
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->wake, NULL);
    if (pthread_create(&c->thread, NULL, checkpoint_main, c) != 0) {
        sqlite3_close(c->db);
        pthread_mutex_destroy(&c->lock);
        pthread_cond_destroy(&c->wake);
        free(c);
        return PHR_EIO;
    }
    s->ckpt = c;
    /* Replaces the automatic checkpoint on this connection. */
    sqlite3_wal_hook(s->db, wal_hook, c);
    return PHR_OK;
}

static void s_close(struct store *st)
{
    struct sqlite_store *s = S(st);
    if (s->ckpt) {
        sqlite3_wal_hook(s->db, NULL, NULL);
        checkpointer_stop(s->ckpt);
    }
    for (int i = 0; i < S_COUNT; i++)
        sqlite3_finalize(s->stmt[i]);
    for (int i = 0; i < SQ_CONSENT_STMTS; i++)
        sqlite3_finalize(s->consent_stmt[i]);
    for (int i = 0; i < SQ_RECIPIENT_STMTS; i++)
        sqlite3_finalize(s->recipient_stmt[i]);
    for (int i = 0; i < SQ_STAFF_STMTS; i++)
        sqlite3_finalize(s->staff_stmt[i]);
    for (int i = 0; i < SQ_AUDIT_STMTS; i++)
        sqlite3_finalize(s->audit_stmt[i]);
    for (int i = 0; i < SQ_UPKEEP_STMTS; i++)
        sqlite3_finalize(s->upkeep_stmt[i]);
    for (int i = 0; i < SQ_RIGHTS_STMTS; i++)
        sqlite3_finalize(s->rights_stmt[i]);
    for (int i = 0; i < SQ_RETENTION_STMTS; i++)
        sqlite3_finalize(s->retention_stmt[i]);
    for (int i = 0; i < SQ_CHECKSHEET_STMTS; i++)
        sqlite3_finalize(s->checksheet_stmt[i]);
    for (int i = 0; i < SQ_BULK_STMTS; i++)
        sqlite3_finalize(s->bulk_stmt[i]);
    for (int i = 0; i < SQ_SECOND_FACTOR_STMTS; i++)
        sqlite3_finalize(s->second_factor_stmt[i]);
    sqlite3_close(s->db);
    free(s);
}

static const struct store_ops sqlite_ops = {
    .name = "sqlite",
    .close = s_close,
    .begin = s_begin,
    .begin_read = s_begin_read,
    .commit = s_commit,
    .rollback = s_rollback,
    .savepoint = s_savepoint,
    .release = s_release,
    .rollback_to = s_rollback_to,
    .person_insert = s_person_insert,
    .person_by_login = s_person_by_login,
    .person_by_id = s_person_by_id,
    .session_insert = s_session_insert,
    .session_get = s_session_get,
    .session_touch = s_session_touch,
    .session_delete = s_session_delete,
    .throttle_get = s_throttle_get,
    .throttle_put = s_throttle_put,
    .throttle_clear = s_throttle_clear,
    .record_insert = s_record_insert,
    .record_get = s_record_get,
    .record_supersede = s_record_supersede,
    .record_history = s_record_history,
    .record_search = s_record_search,
    .record_count = s_record_count,
    .document_insert = sqc_document_insert,
    .document_current = sqc_document_current,
    .document_versions = sqc_document_versions,
    .purpose_insert = sqc_purpose_insert,
    .purpose_current = sqc_purpose_current,
    .consent_append = sqc_consent_append,
    .consent_history = sqc_consent_history,
    .consent_state = sqc_consent_state,
    .consent_facts = sqc_consent_facts,
    .suspension_append = sqc_suspension_append,
    .suspension_history = sqc_suspension_history,
    .recipient_insert = sqr_recipient_insert,
    .recipient_get = sqr_recipient_get,
    .recipient_list = sqr_recipient_list,
    .group_insert = sqr_group_insert,
    .group_change = sqr_group_change,
    .client_token_insert = sqr_client_token_insert,
    .client_token_get = sqr_client_token_get,
    .provision_bases = sqr_provision_bases,
    .group_member = sqr_group_member,
    .agreement_insert = sqr_agreement_insert,
    .provision_insert = sqr_provision_insert,
    .provision_list = sqr_provision_list,
    .staff_insert = sqs_staff_insert,
    .staff_get = sqs_staff_get,
    .staff_list = sqs_staff_list,
    .staff_logged_in = sqs_staff_logged_in,
    .staff_update = sqs_staff_update,
    .staff_recovery_insert = sqs_staff_recovery_insert,
    .staff_recovery_use = sqs_staff_recovery_use,
    .staff_session_insert = sqs_staff_session_insert,
    .staff_session_get = sqs_staff_session_get,
    .staff_session_touch = sqs_staff_session_touch,
    .staff_sessions_end = sqs_staff_sessions_end,
    .reason_insert = sqs_reason_insert,
    .reason_get = sqs_reason_get,
    .rate_add = squ_rate_add,
    .rate_prune = squ_rate_prune,
    .rate_get = squ_rate_get,
    .incident_insert = sqa_incident_insert,
    .incident_list = sqa_incident_list,
    .schema_columns = squ_schema_columns,
    .data_keys_other = squ_data_keys_other,
    .data_keys_count_other = squ_data_keys_count_other,
    .data_key_update = squ_data_key_update,
    .staff_totp_update = squ_staff_totp_update,
    .record_page = s_record_page,
    .record_unclassified = s_record_unclassified,
    .record_classify = s_record_classify,
    .keystore_checkpoint = s_keystore_checkpoint,
    .persons_inactive = sqt_persons_inactive,
    .persons_active = sqt_persons_active,
    .notice_insert = sqt_notice_insert,
    .notices_open = sqt_notices_open,
    .notices_resolve = sqt_notices_resolve,
    .person_logged_in = sqt_person_logged_in,
    .retention_prune = sqt_retention_prune,
    .termination_insert = sqt_termination_insert,
    .termination_get = sqt_termination_get,
    .retention_run_insert = sqt_retention_run_insert,
    .retention_run_last = sqt_retention_run_last,
    .bulk_export_insert = sqb_bulk_export_insert,
    .bulk_export_get = sqb_bulk_export_get,
    .bulk_export_cancel = sqb_bulk_export_cancel,
    .person_page = sqb_person_page,
    .second_factor_get = sqf_second_factor_get,
    .second_factor_put = sqf_second_factor_put,
    .second_factor_use = sqf_second_factor_use,
    .second_factor_delete = sqf_second_factor_delete,
    .second_factor_codes_put = sqf_second_factor_codes_put,
    .second_factor_code_use = sqf_second_factor_code_use,
    .checksheet_facts = sqk_checksheet_facts,
    .checksheet_answer_insert = sqk_answer_insert,
    .checksheet_answers_latest = sqk_answers_latest,
    .assessment_insert = sqk_assessment_insert,
    .assessment_approve = sqk_assessment_approve,
    .assessment_get = sqk_assessment_get,
    .assessment_list = sqk_assessment_list,
    .audit_about = sqa_audit_about,
    .erasure_count = sqx_erasure_count,
    .erasure_insert = sqx_erasure_insert,
    .erasure_get = sqx_erasure_get,
    .erasure_unfinished = sqx_erasure_unfinished,
    .erasure_set = sqx_erasure_set,
    .erase_records = sqx_erase_records,
    .erase_account = sqx_erase_account,
    .erase_data_key = sqx_erase_data_key,
    .erase_keys_of_erased = sqx_erase_keys_of_erased,
    .record_by_original = sqx_record_by_original,
    .audit_insert = sqa_audit_insert,
    .audit_last = sqa_audit_last,
    .audit_scan = sqa_audit_scan,
    .audit_query = sqa_audit_query,
    .audit_by_others = sqa_audit_by_others,
    .checkpoint_insert = sqa_checkpoint_insert,
    .checkpoint_scan = sqa_checkpoint_scan,
};

static int pragma_int(sqlite3 *db, const char *sql, int *out)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
        return PHR_EIO;
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int(q, 0);
    sqlite3_finalize(q);
    return rc == SQLITE_ROW ? PHR_OK : PHR_EIO;
}

/* The key store: persons' wrapped data keys in a file of their own
 * (keys.db beside phr.db), attached to every connection as "ks". Erasing a
 * person deletes their key here; a copy of phr.db taken before, opened
 * with the live keys.db, no longer opens their records (crypto-shredding).
 * secure_delete zeroes a deleted key's bytes in the page; the erasure then
 * checkpoints the key store's WAL and truncates it (keystore_checkpoint), so
 * that no copy of the page with the key stays in the log. (A rollback
 * journal would need no checkpoint, but every read of a key would then take
 * file locks against the writer: measured, it halved the request rate.) */
static const char keystore_schema[] =
    "PRAGMA ks.journal_mode = WAL; PRAGMA ks.synchronous = FULL; PRAGMA ks.secure_delete = ON;"
    "CREATE TABLE IF NOT EXISTS ks.data_keys("
    " person_id TEXT PRIMARY KEY,"
    " master_key_id TEXT NOT NULL,"
    " wrapped BLOB NOT NULL);";

static int attach_keystore(sqlite3 *db, const char *path, int flags)
{
    struct buf where = {0};
    const char *slash = strrchr(path, '/');
    int err = PHR_ENOMEM;
    if (slash ? buf_printf(&where, "%.*s/keys.db", (int)(slash - path), path) : buf_printf(&where, "keys.db"))
        goto out;
    err = PHR_EIO;
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(db, "ATTACH ? AS ks", -1, &q, NULL) != SQLITE_OK)
        goto out;
    sqlite3_bind_text(q, 1, where.data, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE) {
        log_event(LOG_ERROR, "store.keystore", "path", where.data, "error", sqlite3_errmsg(db), NULL);
        goto out;
    }
    if (!(flags & STORE_READONLY) && sqlite3_exec(db, keystore_schema, NULL, NULL, NULL) != SQLITE_OK) {
        log_event(LOG_ERROR, "store.keystore", "path", where.data, "error", sqlite3_errmsg(db), NULL);
        goto out;
    }
    err = PHR_OK;
out:
    buf_free(&where);
    return err;
}

/* Run in a transaction of its own before migration 9 drops the old table:
 * a transaction spanning two WAL files is atomic per file only, so the
 * keys must be safe in keys.db before phr.db forgets them. */
static const char m9_before[] =
    "BEGIN IMMEDIATE;"
    "INSERT OR IGNORE INTO ks.data_keys(person_id, master_key_id, wrapped)"
    " SELECT person_id, master_key_id, wrapped FROM main.data_keys;"
    "COMMIT;";

static int migrate(sqlite3 *db)
{
    int have = 0;
    if (pragma_int(db, "PRAGMA user_version", &have) != PHR_OK)
        return PHR_EIO;
    if (have > sqlite_migration_count)
        return PHR_EVERSION;
    for (int v = have; v < sqlite_migration_count; v++) {
        char *msg = NULL;
        char setv[48];
        snprintf(setv, sizeof setv, "PRAGMA user_version = %d", v + 1);
        if ((v + 1 == 9 && sqlite3_exec(db, m9_before, NULL, NULL, &msg) != SQLITE_OK) ||
            sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK ||
            sqlite3_exec(db, sqlite_migrations[v], NULL, NULL, &msg) != SQLITE_OK ||
            sqlite3_exec(db, setv, NULL, NULL, &msg) != SQLITE_OK ||
            sqlite3_exec(db, "COMMIT", NULL, NULL, &msg) != SQLITE_OK) {
            char vs[16];
            snprintf(vs, sizeof vs, "%d", v + 1);
            log_event(LOG_ERROR, "store.migrate", "to_version", vs, "error", msg ? msg : "?", NULL);
            sqlite3_free(msg);
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
            return PHR_EIO;
        }
        char vs[16];
        snprintf(vs, sizeof vs, "%d", v + 1);
        log_event(LOG_INFO, "store.migrate", "to_version", vs, NULL);
    }
    return PHR_OK;
}

/* Process-wide settings, before any connection exists: SQLite's memory
 * statistics take a global mutex on every allocation, which every request
 * thread would contend for. */
static pthread_once_t configured = PTHREAD_ONCE_INIT;

static void configure(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    sqlite3_initialize();
}

int sqlite_store_open(const char *path, int flags, struct store **out)
{
    *out = NULL;
    pthread_once(&configured, configure);
    struct sqlite_store *s = calloc(1, sizeof *s);
    if (!s)
        return PHR_ENOMEM;
    s->base.ops = &sqlite_ops;
    int oflags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
    oflags |= (flags & STORE_READONLY) ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
    if (flags & STORE_CREATE)
        oflags |= SQLITE_OPEN_CREATE;
    int err = PHR_EIO;
    if (sqlite3_open_v2(path, &s->db, oflags, NULL) != SQLITE_OK) {
        err = sqlite3_errcode(s->db) == SQLITE_CANTOPEN ? PHR_ENOTFOUND : PHR_EIO;
        goto fail;
    }
    sqlite3_db_config(s->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
    sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
    /* Sorts and IN-lists of the gate's queries use small temporary
     * b-trees; on disk each would create and remove a file (measured: 20x
     * slower decisions, bench/gate). They are small and bounded. */
    if (sqlite3_exec(s->db, "PRAGMA temp_store = MEMORY", NULL, NULL, NULL) != SQLITE_OK)
        goto fail;
    if ((err = attach_keystore(s->db, path, flags)) != PHR_OK)
        goto fail;
    err = PHR_EIO;
    if (!(flags & STORE_READONLY)) {
        if (sqlite3_exec(s->db,
                         "PRAGMA main.journal_mode = WAL; PRAGMA main.synchronous = FULL;"
                         " PRAGMA foreign_keys = ON; PRAGMA main.secure_delete = FAST;"
                         " PRAGMA main.journal_size_limit = 67108864;",
                         NULL, NULL, NULL) != SQLITE_OK)
            goto fail;
        if ((err = migrate(s->db)) != PHR_OK)
            goto fail;
        if ((flags & STORE_WRITER) && (err = checkpointer_start(s, path)) != PHR_OK)
            goto fail;
    } else {
        int have = 0;
        if (pragma_int(s->db, "PRAGMA user_version", &have) != PHR_OK)
            goto fail;
        if (have > sqlite_migration_count) {
            err = PHR_EVERSION;
            goto fail;
        }
    }
    *out = &s->base;
    return PHR_OK;
fail:
    sqlite3_close(s->db);
    free(s);
    return err;
}
