/* The PostgreSQL driver of db.h, through libpq: transactions, locks, rows
 * and the schema; how a statement is sent is pg_pipeline.c's.
 *
 * Nothing but named statements lives in the server session between
 * transactions, and those only where the URL allows (prepared=off turns
 * them off), so that pgbouncer in transaction pooling may hand each
 * transaction to any server connection. Durability is the server's:
 * synchronous_commit stays on, so a COMMIT that returned is on disk (and,
 * with synchronous replicas, on theirs).
 *
 * Several instances may share the database: the writer's lock is a
 * transaction-level advisory lock taken right after BEGIN, so that the
 * writers' batches take turns as SQLite's one writer does, and everything a
 * batch reads (the audit chain's head, a person's consent) is current. A
 * lost connection fails what was running with PHR_EIO (503, nothing
 * acknowledged) and is opened again at the next transaction. */
#include <stdlib.h>
#include <string.h>

#include "db/engines.h"
#include "db/migrate.h"
#include "db/pg_conn.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"

/* Type OIDs (pg_type.dat) of the results this driver reads. */
enum { OID_BOOL = 16, OID_BYTEA = 17, OID_INT8 = 20, OID_INT2 = 21, OID_INT4 = 23 };

/* Advisory lock keys: "phr" and what is held. */
#define LOCK_WRITER 0x706872000001LL
#define LOCK_RETENTION 0x706872000002LL
#define LOCK_MIGRATION 0x706872000003LL

static struct pg_conn *C(struct store *st)
{
    return (struct pg_conn *)st;
}

static void quiet(void *arg, const char *message)
{
    (void)arg;
    (void)message; /* notices are the server's chatter, not the service's log */
}

static int p_run(struct store *st, struct db_stmt *q, const char *sql, const struct db_val *args, int nargs,
                 db_row_fn fn, void *arg, int64_t *count)
{
    return pg_run(C(st), q, sql, args, nargs, fn, arg, count);
}

static const PGresult *R(const struct db_row *r)
{
    return r->h;
}

static const char *p_text(const struct db_row *r, int col)
{
    return PQgetisnull(R(r), r->i, col) ? NULL : PQgetvalue(R(r), r->i, col);
}

static int64_t p_integer(const struct db_row *r, int col)
{
    if (PQgetisnull(R(r), r->i, col))
        return 0;
    const unsigned char *v = (const unsigned char *)PQgetvalue(R(r), r->i, col);
    switch (PQftype(R(r), col)) {
    case OID_INT8: {
        uint64_t x = 0;
        for (int i = 0; i < 8; i++)
            x = x << 8 | v[i];
        return (int64_t)x;
    }
    case OID_INT4: return (int32_t)((uint32_t)v[0] << 24 | (uint32_t)v[1] << 16 | (uint32_t)v[2] << 8 | v[3]);
    case OID_INT2: return (int16_t)((uint16_t)(v[0] << 8 | v[1]));
    case OID_BOOL: return v[0] != 0;
    default: return strtoll((const char *)v, NULL, 10);
    }
}

static const void *p_bytes(const struct db_row *r, int col, size_t *len)
{
    *len = 0;
    if (PQgetisnull(R(r), r->i, col))
        return NULL;
    *len = (size_t)PQgetlength(R(r), r->i, col);
    return PQgetvalue(R(r), r->i, col);
}

static enum db_type p_type(const struct db_row *r, int col)
{
    if (PQgetisnull(R(r), r->i, col))
        return DB_NULL;
    switch (PQftype(R(r), col)) {
    case OID_INT8:
    case OID_INT4:
    case OID_INT2:
    case OID_BOOL: return DB_INTEGER;
    case OID_BYTEA: return DB_BYTES;
    default: return DB_TEXT;
    }
}

/* BEGIN and SAVEPOINT ride with the statement after them; the others are
 * waited for: RELEASE answers for the job's deferred statements. */
static struct db_stmt tx_stmts[] = {
    [DB_BEGIN] = DB_STMT_DEFER("begin", "BEGIN"),
    [DB_BEGIN_READ] = DB_STMT_DEFER("begin_read", "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"),
    [DB_COMMIT] = DB_STMT("commit", "COMMIT"),
    [DB_ROLLBACK] = DB_STMT("rollback", "ROLLBACK"),
    [DB_SAVEPOINT] = DB_STMT_DEFER("savepoint", "SAVEPOINT job"),
    [DB_RELEASE] = DB_STMT("release", "RELEASE SAVEPOINT job"),
    [DB_ROLLBACK_TO] = DB_STMT("rollback_to", "ROLLBACK TO SAVEPOINT job"),
};

static int p_tx(struct store *st, enum db_tx op)
{
    struct pg_conn *c = C(st);
    int err;
    if (op == DB_ROLLBACK || op == DB_ROLLBACK_TO) {
        err = pg_rollback(c, tx_stmts[op].name, tx_stmts[op].sql);
    } else {
        if (op == DB_BEGIN || op == DB_BEGIN_READ) {
            if (!pg_usable(c))
                return PHR_EIO;
            c->in_tx = 1;
        }
        err = p_run(st, &tx_stmts[op], NULL, NULL, 0, NULL, NULL, NULL);
    }
    if ((op == DB_BEGIN || op == DB_BEGIN_READ) && err)
        c->in_tx = 0;
    else if (op == DB_COMMIT || op == DB_ROLLBACK)
        c->in_tx = 0;
    return err;
}

static struct db_stmt lock_writer = DB_STMT_DEFER("lock_writer", "SELECT pg_advisory_xact_lock(?1)");
static struct db_stmt lock_try = DB_STMT("lock_try", "SELECT CASE WHEN pg_try_advisory_xact_lock(?1) THEN 1 ELSE 0 END");

static int got_int(void *arg, const struct db_row *r)
{
    *(int64_t *)arg = p_integer(r, 0);
    return 0;
}

static int p_lock(struct store *st, enum db_lock what)
{
    if (what == DB_LOCK_WRITER)
        return p_run(st, &lock_writer, NULL, DB_ARGS(DB_INT(LOCK_WRITER)), NULL, NULL, NULL);
    int64_t got = 0;
    int err = p_run(st, &lock_try, NULL, DB_ARGS(DB_INT(LOCK_RETENTION)), got_int, &got, NULL);
    return err ? err : got ? PHR_OK : PHR_EBUSY;
}

/* Several statements without parameters, in the simple protocol (outside
 * the pipeline: VACUUM and the migrations' scripts need it). */
static int script(struct store *st, const char *sql)
{
    struct pg_conn *c = C(st);
    if (!pg_usable(c))
        return PHR_EIO;
    int piped = PQpipelineStatus(c->pc) == PQ_PIPELINE_ON;
    if (piped && (c->pending || !PQexitPipelineMode(c->pc)))
        return PHR_EIO;
    PGresult *res = PQexec(c->pc, sql);
    int err = PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK
                  ? PHR_OK
                  : pg_error(c, res, "script");
    PQclear(res);
    if (piped && !PQenterPipelineMode(c->pc))
        err = err ? err : PHR_EIO;
    return err;
}

/* A deleted key's row is dead until vacuumed; this removes it from the
 * table's pages now. What PostgreSQL keeps beyond its table (the WAL, base
 * backups, a dump) is the operator's: docs/postgresql.md. */
static int p_keys_forget(struct store *st)
{
    return script(st, "VACUUM ks.data_keys");
}

struct columns {
    int (*cb)(void *, const char *, const char *);
    void *arg;
};

static int column_of(void *arg, const struct db_row *r)
{
    struct columns *c = arg;
    return c->cb(c->arg, p_text(r, 0), p_text(r, 1));
}

/* As SQLite lists them: the key store's tables by their own names; the
 * order-of-writing columns and the schema's version are the engine's. */
static int p_columns(struct store *st, int (*cb)(void *, const char *, const char *), void *arg)
{
    struct columns c = {cb, arg};
    return p_run(st, NULL,
                 "SELECT table_name::text, column_name::text FROM information_schema.columns"
                 " WHERE table_schema IN ('public', 'ks') AND column_name <> 'rowid' AND table_name <> 'phr_schema'"
                 " ORDER BY table_name, ordinal_position",
                 NULL, 0, column_of, &c, NULL);
}

static void p_close(struct store *st)
{
    struct pg_conn *c = C(st);
    if (!c)
        return;
    pg_texts_free(c);
    PQfinish(c->pc);
    free(c);
}

/* The version is a row of its own table (0 before the table exists). */
static int version_get(struct store *st, int *version)
{
    int64_t exists = 0, v = 0;
    int err = p_run(st, NULL, "SELECT CASE WHEN to_regclass('phr_schema') IS NULL THEN 0 ELSE 1 END", NULL, 0,
                    got_int, &exists, NULL);
    if (!err && exists)
        err = p_run(st, NULL, "SELECT coalesce(max(version), 0) FROM phr_schema", NULL, 0, got_int, &v, NULL);
    *version = (int)v;
    return err;
}

static int version_set(struct store *st, int version)
{
    int err = script(st, "CREATE TABLE IF NOT EXISTS phr_schema(version integer NOT NULL); DELETE FROM phr_schema");
    return err ? err : p_run(st, NULL, "INSERT INTO phr_schema(version) VALUES(?1)", DB_ARGS(DB_INT(version)), NULL,
                             NULL, NULL);
}

/* Instances starting together migrate one at a time. */
static int migration_lock(struct store *st)
{
    return p_run(st, NULL, "SELECT pg_advisory_xact_lock(?1)", DB_ARGS(DB_INT(LOCK_MIGRATION)), NULL, NULL, NULL);
}

static const struct db_schema_ops schema_ops = {script, version_get, version_set, migration_lock};

static const struct db_driver pg_driver = {
    .name = "postgresql",
    .dialect = DB_POSTGRES,
    .close = p_close,
    .tx = p_tx,
    .run = p_run,
    .text = p_text,
    .integer = p_integer,
    .bytes = p_bytes,
    .type = p_type,
    .lock = p_lock,
    .keys_forget = p_keys_forget,
    .columns = p_columns,
};

/* The URL's query parameters that are phr's, not libpq's (which refuses
 * one it does not know): prepared=on|off. The rest of the URL is libpq's. */
static int own_options(const char *url, char **libpq_url, int *prepare)
{
    *prepare = 1;
    struct buf b;
    buf_init(&b);
    const char *q = strchr(url, '?');
    buf_append(&b, url, q ? (size_t)(q - url) : strlen(url));
    char sep = '?';
    for (const char *p = q; p && *p;) {
        p++;
        const char *end = strchr(p, '&');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n == 12 && !strncmp(p, "prepared=off", n)) {
            *prepare = 0;
        } else if (n == 11 && !strncmp(p, "prepared=on", n)) {
            *prepare = 1;
        } else if (n >= 9 && !strncmp(p, "prepared=", 9)) {
            buf_free(&b);
            return PHR_EINVAL;
        } else if (n) {
            buf_append(&b, &sep, 1);
            buf_append(&b, p, n);
            sep = '&';
        }
        p = end;
    }
    if (buf_failed(&b) || !buf_cstr(&b)) {
        buf_free(&b);
        return PHR_ENOMEM;
    }
    *libpq_url = b.data;
    return PHR_OK;
}

int db_pg_open(const char *url, int flags, struct store **out)
{
    *out = NULL;
    struct pg_conn *c = calloc(1, sizeof *c);
    if (!c)
        return PHR_ENOMEM;
    c->base.drv = &pg_driver;
    char *libpq_url = NULL;
    int err = own_options(url, &libpq_url, &c->prepare);
    if (err) {
        free(c);
        return err;
    }
    c->pc = PQconnectdb(libpq_url);
    free(libpq_url);
    err = PHR_EIO;
    if (!c->pc || PQstatus(c->pc) != CONNECTION_OK) {
        log_event(LOG_ERROR, "store.postgresql", "op", "connect", "error",
                  c->pc ? PQerrorMessage(c->pc) : "out of memory", NULL);
        goto fail;
    }
    PQsetNoticeProcessor(c->pc, quiet, NULL);
    /* Every statement goes through the pipeline (p_run). */
    if (!PQenterPipelineMode(c->pc))
        goto fail;
    if (flags & DB_OPEN_READONLY)
        err = db_schema_check(&c->base, &schema_ops, pg_migration_count);
    else
        err = db_migrate(&c->base, &schema_ops, pg_migrations, pg_migration_count, flags);
    if (err)
        goto fail;
    *out = &c->base;
    return PHR_OK;
fail:
    p_close(&c->base);
    return err;
}
