/* The embedded SQLite driver of db.h.
 *
 * Durability: WAL with synchronous=FULL, so a COMMIT that returned is on
 * disk. Speed comes from the writer batching many requests into one
 * transaction, never from weaker settings. Statements are prepared once per
 * connection and kept, in a cache indexed by the statement's slot (or, for
 * the few whose text a request shapes, by their text). There is
 * one writer connection per database file, so the locks of db.h hold by
 * construction: BEGIN IMMEDIATE already serialises every write. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "db/db.h"
#include "db/engines.h"
#include "db/migrate.h"
#include "db/sqlite_files.h"
#include "util/err.h"
#include "util/log.h"

#define BUSY_TIMEOUT_MS 10000
/* Statements whose text a request shapes (a search names only the
 * conditions given): kept by their text, the oldest dropped first. A
 * search has a few dozen shapes at most; preparing one again each time
 * cost about a tenth of a search. */
#define SHAPED_KEPT 16

struct sqlite_conn {
    struct store base;
    sqlite3 *db;
    sqlite3_stmt **cache;        /* by statement slot */
    unsigned ncache;
    struct {
        char *sql;
        sqlite3_stmt *q;
    } shaped[SHAPED_KEPT];
    unsigned shaped_next;        /* the slot to reuse next */
    struct checkpointer *ckpt;   /* the writer's connection only */
};

static struct sqlite_conn *C(struct store *st)
{
    return (struct sqlite_conn *)st;
}

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

/* Maps and logs a failure; a constraint violation is not logged (callers
 * expect PHR_ECONFLICT and say what it means). */
static int fail(struct sqlite_conn *c, int rc, const char *what)
{
    int err = map_rc(rc);
    if (err != PHR_ECONFLICT)
        log_event(LOG_ERROR, "store.sqlite", "op", what, "error", sqlite3_errmsg(c->db), NULL);
    return err;
}

static sqlite3_stmt *prepare(struct sqlite_conn *c, const char *sql, const char *what, int keep)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v3(c->db, sql, -1, keep ? SQLITE_PREPARE_PERSISTENT : 0, &q, NULL) != SQLITE_OK) {
        log_event(LOG_ERROR, "store.sqlite", "op", what, "prepare", sqlite3_errmsg(c->db), NULL);
        return NULL;
    }
    return q;
}

/* q's prepared statement on this connection, from the cache. */
static sqlite3_stmt *cached(struct sqlite_conn *c, struct db_stmt *q)
{
    unsigned slot = db_stmt_slot(q);
    if (slot >= c->ncache) {
        unsigned n = slot + 64;
        sqlite3_stmt **grown = realloc(c->cache, n * sizeof *grown);
        if (!grown)
            return NULL;
        memset(grown + c->ncache, 0, (n - c->ncache) * sizeof *grown);
        c->cache = grown;
        c->ncache = n;
    }
    if (!c->cache[slot])
        c->cache[slot] = prepare(c, db_sql_for(q, DB_SQLITE), q->name, 1);
    return c->cache[slot];
}

/* sql's prepared statement on this connection, kept by its text. */
static sqlite3_stmt *shaped(struct sqlite_conn *c, const char *sql, const char *what)
{
    for (unsigned i = 0; i < SHAPED_KEPT; i++)
        if (c->shaped[i].sql && !strcmp(c->shaped[i].sql, sql))
            return c->shaped[i].q;
    char *text = strdup(sql);
    sqlite3_stmt *q = text ? prepare(c, sql, what, 1) : NULL;
    if (!q) {
        free(text);
        return NULL;
    }
    unsigned slot = c->shaped_next;
    c->shaped_next = (slot + 1) % SHAPED_KEPT;
    sqlite3_finalize(c->shaped[slot].q);
    free(c->shaped[slot].sql);
    c->shaped[slot].sql = text;
    c->shaped[slot].q = q;
    return q;
}

/* Parameters the statement does not name are passed over (a statement of
 * a family may use only some of the family's parameters). */
static int bind(sqlite3_stmt *q, const struct db_val *args, int n)
{
    int named = sqlite3_bind_parameter_count(q);
    for (int i = 0; i < n && i < named; i++) {
        const struct db_val *a = &args[i];
        int rc;
        if (a->null)
            rc = sqlite3_bind_null(q, i + 1);
        else if (a->type == DB_INTEGER)
            rc = sqlite3_bind_int64(q, i + 1, a->i);
        else if (a->type == DB_TEXT)
            rc = sqlite3_bind_text(q, i + 1, a->p, -1, SQLITE_STATIC);
        else
            rc = sqlite3_bind_blob64(q, i + 1, a->p, a->n, SQLITE_STATIC);
        if (rc != SQLITE_OK)
            return rc;
    }
    return SQLITE_OK;
}

static int s_run(struct store *st, struct db_stmt *stmt, const char *sql, const struct db_val *args, int nargs,
                 db_row_fn fn, void *arg, int64_t *count)
{
    struct sqlite_conn *c = C(st);
    const char *what = stmt ? stmt->name : "query";
    sqlite3_stmt *q = stmt ? cached(c, stmt) : shaped(c, sql, what);
    if (!q)
        return PHR_EIO;
    int rc = bind(q, args, nargs), err = PHR_OK;
    int64_t rows = 0;
    struct db_row row = {.drv = st->drv, .h = q};
    if (rc == SQLITE_OK) {
        while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
            rows++;
            if (fn && (err = fn(arg, &row)) != 0)
                break;
        }
    }
    if (!err && rc != SQLITE_DONE)
        err = fail(c, rc, what);
    if (!err && count)
        *count = sqlite3_column_count(q) ? rows : sqlite3_changes64(c->db);
    sqlite3_reset(q);
    sqlite3_clear_bindings(q);
    return err;
}

static const char *s_text(const struct db_row *r, int col)
{
    return (const char *)sqlite3_column_text((sqlite3_stmt *)r->h, col);
}

static int64_t s_integer(const struct db_row *r, int col)
{
    return sqlite3_column_int64((sqlite3_stmt *)r->h, col);
}

static const void *s_bytes(const struct db_row *r, int col, size_t *len)
{
    const void *p = sqlite3_column_blob((sqlite3_stmt *)r->h, col);
    *len = (size_t)sqlite3_column_bytes((sqlite3_stmt *)r->h, col);
    return p;
}

static enum db_type s_type(const struct db_row *r, int col)
{
    switch (sqlite3_column_type((sqlite3_stmt *)r->h, col)) {
    case SQLITE_INTEGER: return DB_INTEGER;
    case SQLITE_TEXT: return DB_TEXT;
    case SQLITE_BLOB: return DB_BYTES;
    default: return DB_NULL;
    }
}

static struct db_stmt tx_stmts[] = {
    [DB_BEGIN] = DB_STMT("begin", "BEGIN IMMEDIATE"),
    [DB_BEGIN_READ] = DB_STMT("begin_read", "BEGIN DEFERRED"),
    [DB_COMMIT] = DB_STMT("commit", "COMMIT"),
    [DB_ROLLBACK] = DB_STMT("rollback", "ROLLBACK"),
    [DB_SAVEPOINT] = DB_STMT("savepoint", "SAVEPOINT job"),
    [DB_RELEASE] = DB_STMT("release", "RELEASE job"),
    [DB_ROLLBACK_TO] = DB_STMT("rollback_to", "ROLLBACK TO job"),
};

static int s_tx(struct store *st, enum db_tx op)
{
    return s_run(st, &tx_stmts[op], NULL, NULL, 0, NULL, NULL, NULL);
}

static int s_lock(struct store *st, enum db_lock what)
{
    (void)st;
    (void)what;
    return PHR_OK; /* one writer connection per file: BEGIN IMMEDIATE holds both */
}

static int column_row(void *arg, const struct db_row *r)
{
    void **cb = arg;
    return ((int (*)(void *, const char *, const char *))cb[0])(cb[1], s_text(r, 0), s_text(r, 1));
}

/* The key store's tables are listed under their own names, as the
 * inventory describes them. */
static struct db_stmt columns_stmt = DB_STMT(
    "schema_columns", "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name, 'main') p"
                      " WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'"
                      " UNION ALL SELECT m.name, p.name FROM ks.sqlite_master m"
                      " JOIN pragma_table_info(m.name, 'ks') p WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'"
                      " ORDER BY 1");

static int s_columns(struct store *st, int (*cb)(void *, const char *, const char *), void *arg)
{
    void *pair[2] = {(void *)cb, arg};
    return s_run(st, &columns_stmt, NULL, NULL, 0, column_row, pair, NULL);
}

static void s_close(struct store *st)
{
    struct sqlite_conn *c = C(st);
    if (!c)
        return;
    sqlite_checkpointer_stop(c->db, c->ckpt);
    for (unsigned i = 0; i < c->ncache; i++)
        sqlite3_finalize(c->cache[i]);
    free(c->cache);
    for (unsigned i = 0; i < SHAPED_KEPT; i++) {
        sqlite3_finalize(c->shaped[i].q);
        free(c->shaped[i].sql);
    }
    sqlite3_close(c->db);
    free(c);
}

static int script(struct store *st, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(C(st)->db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK)
        log_event(LOG_ERROR, "store.sqlite", "op", "script", "error", msg ? msg : "?", NULL);
    sqlite3_free(msg);
    return map_rc(rc);
}

static int version_row(void *arg, const struct db_row *r)
{
    *(int *)arg = (int)s_integer(r, 0);
    return 0;
}

static int version_get(struct store *st, int *version)
{
    *version = 0;
    return s_run(st, NULL, "PRAGMA user_version", NULL, 0, version_row, version, NULL);
}

static int version_set(struct store *st, int version)
{
    char sql[48];
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d", version);
    return script(st, sql);
}

static const struct db_schema_ops schema_ops = {script, version_get, version_set, NULL};

static const struct db_driver sqlite_driver = {
    .name = "sqlite",
    .dialect = DB_SQLITE,
    .close = s_close,
    .tx = s_tx,
    .run = s_run,
    .text = s_text,
    .integer = s_integer,
    .bytes = s_bytes,
    .type = s_type,
    .lock = s_lock,
    .keys_forget = sqlite_keys_forget,
    .columns = s_columns,
};

/* Process-wide settings, before any connection exists: SQLite's memory
 * statistics take a global mutex on every allocation, which every request
 * thread would contend for. */
static pthread_once_t configured = PTHREAD_ONCE_INIT;

static void configure(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    sqlite3_initialize();
}

sqlite3 *sqlite_handle(struct store *st)
{
    return C(st)->db;
}

int db_sqlite_open(const char *path, int flags, struct store **out)
{
    *out = NULL;
    pthread_once(&configured, configure);
    struct sqlite_conn *c = calloc(1, sizeof *c);
    if (!c)
        return PHR_ENOMEM;
    c->base.drv = &sqlite_driver;
    int oflags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
    oflags |= (flags & DB_OPEN_READONLY) ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
    if (flags & DB_OPEN_CREATE)
        oflags |= SQLITE_OPEN_CREATE;
    int err = PHR_EIO;
    if (sqlite3_open_v2(path, &c->db, oflags, NULL) != SQLITE_OK) {
        err = sqlite3_errcode(c->db) == SQLITE_CANTOPEN ? PHR_ENOTFOUND : PHR_EIO;
        goto fail;
    }
    sqlite3_db_config(c->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
    sqlite3_busy_timeout(c->db, BUSY_TIMEOUT_MS);
    /* Sorts and IN-lists of the gate's queries use small temporary
     * b-trees; on disk each would create and remove a file (measured: 20x
     * slower decisions, bench/gate). They are small and bounded. */
    if (sqlite3_exec(c->db, "PRAGMA temp_store = MEMORY", NULL, NULL, NULL) != SQLITE_OK)
        goto fail;
    if ((err = sqlite_keystore_attach(c->db, path, !(flags & DB_OPEN_READONLY))) != PHR_OK)
        goto fail;
    err = PHR_EIO;
    if (flags & DB_OPEN_READONLY) {
        err = db_schema_check(&c->base, &schema_ops, sqlite_migration_count);
    } else if (sqlite3_exec(c->db,
                            "PRAGMA main.journal_mode = WAL; PRAGMA main.synchronous = FULL;"
                            " PRAGMA foreign_keys = ON; PRAGMA main.secure_delete = FAST;"
                            " PRAGMA main.journal_size_limit = 67108864;",
                            NULL, NULL, NULL) == SQLITE_OK &&
               (err = db_migrate(&c->base, &schema_ops, sqlite_migrations, sqlite_migration_count, flags)) == PHR_OK &&
               (flags & DB_OPEN_WRITER)) {
        err = sqlite_checkpointer_start(c->db, path, &c->ckpt);
    }
    if (err)
        goto fail;
    *out = &c->base;
    return PHR_OK;
fail:
    s_close(&c->base);
    return err;
}
