/* The PostgreSQL driver of db.h, through libpq.
 *
 * Every statement is sent with PQexecParams — unnamed, parameters typed,
 * results in binary — so that nothing lives in the server session between
 * transactions: pgbouncer in transaction pooling hands each transaction to
 * any server connection. The statements' ?N become $N once per connection.
 * Durability is the server's: synchronous_commit stays on, so a COMMIT that
 * returned is on disk (and, with synchronous replicas, on theirs).
 *
 * Several instances may share the database: the writer's lock is a
 * transaction-level advisory lock taken right after BEGIN, so that the
 * writers' batches take turns as SQLite's one writer does, and everything a
 * batch reads (the audit chain's head, a person's consent) is current. A
 * lost connection fails what was running with PHR_EIO (503, nothing
 * acknowledged) and is opened again at the next transaction. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>

#include "db/db.h"
#include "db/engines.h"
#include "db/migrate.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"

/* Type OIDs (pg_type.dat): the few this driver sends and reads. */
enum { OID_BOOL = 16, OID_BYTEA = 17, OID_INT8 = 20, OID_INT2 = 21, OID_INT4 = 23, OID_TEXT = 25 };

/* Advisory lock keys: "phr" and what is held. */
#define LOCK_WRITER 0x706872000001LL
#define LOCK_RETENTION 0x706872000002LL
#define LOCK_MIGRATION 0x706872000003LL

#define ARGS_MAX 32

struct pg_conn {
    struct store base;
    PGconn *pc;
    int in_tx;
    char **texts;      /* by statement slot: the SQL with $N parameters */
    unsigned ntexts;
};

static struct pg_conn *C(struct store *st)
{
    return (struct pg_conn *)st;
}

static void quiet(void *arg, const char *message)
{
    (void)arg;
    (void)message; /* notices are the server's chatter, not the service's log */
}

/* ?N to $N, and a bare ? to the next number, outside quotes. */
static char *dollars(const char *sql)
{
    struct buf b;
    buf_init(&b);
    int next = 1;
    char quote = 0;
    for (const char *p = sql; *p; p++) {
        if (quote) {
            if (*p == quote)
                quote = 0;
            buf_append(&b, p, 1);
        } else if (*p == '\'' || *p == '"') {
            quote = *p;
            buf_append(&b, p, 1);
        } else if (*p == '?') {
            char *end;
            long n = strtol(p + 1, &end, 10);
            if (end > p + 1) {
                buf_printf(&b, "$%ld", n);
                p = end - 1;
            } else {
                buf_printf(&b, "$%d", next++);
            }
        } else {
            buf_append(&b, p, 1);
        }
    }
    if (buf_failed(&b) || !buf_cstr(&b)) {
        buf_free(&b);
        return NULL;
    }
    return b.data; /* owned by the caller */
}

static const char *text_for(struct pg_conn *c, struct db_stmt *q)
{
    unsigned slot = db_stmt_slot(q);
    if (slot >= c->ntexts) {
        unsigned n = slot + 64;
        char **grown = realloc(c->texts, n * sizeof *grown);
        if (!grown)
            return NULL;
        memset(grown + c->ntexts, 0, (n - c->ntexts) * sizeof *grown);
        c->texts = grown;
        c->ntexts = n;
    }
    if (!c->texts[slot])
        c->texts[slot] = dollars(db_sql_for(q, DB_POSTGRES));
    return c->texts[slot];
}

/* A failed result's error, as the service's: constraint and trigger
 * refusals are conflicts (as SQLite's are), serialisation failures and
 * deadlocks may be run again, a lost connection is I/O. */
static int error_of(struct pg_conn *c, const PGresult *res, const char *what)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    int err = PHR_EIO;
    if (state && (!strncmp(state, "23", 2) || !strcmp(state, "P0001")))
        return PHR_ECONFLICT;
    if (state && (!strcmp(state, "40001") || !strcmp(state, "40P01") || !strcmp(state, "55P03")))
        err = PHR_EBUSY;
    else if (state && !strcmp(state, "53200"))
        err = PHR_ENOMEM;
    const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    log_event(LOG_ERROR, "store.postgresql", "op", what, "sqlstate", state ? state : "-", "error",
              msg ? msg : PQerrorMessage(c->pc), NULL);
    return err;
}

/* Outside a transaction a broken connection is opened again: nothing can
 * be lost between transactions. */
static int usable(struct pg_conn *c)
{
    if (PQstatus(c->pc) == CONNECTION_OK)
        return 1;
    if (c->in_tx)
        return 0;
    PQreset(c->pc);
    if (PQstatus(c->pc) != CONNECTION_OK) {
        log_event(LOG_ERROR, "store.postgresql", "op", "reconnect", "error", PQerrorMessage(c->pc), NULL);
        return 0;
    }
    log_event(LOG_WARN, "store.postgresql", "op", "reconnected", NULL);
    return 1;
}

static int p_run(struct store *st, struct db_stmt *stmt, const char *sql, const struct db_val *args, int nargs,
                 db_row_fn fn, void *arg, int64_t *count)
{
    struct pg_conn *c = C(st);
    const char *what = stmt ? stmt->name : "query";
    if (nargs > ARGS_MAX)
        return PHR_EINVAL;
    if (!usable(c))
        return PHR_EIO;
    char *own = NULL;
    const char *text = stmt ? text_for(c, stmt) : (own = dollars(sql));
    if (!text)
        return PHR_ENOMEM;
    const char *values[ARGS_MAX];
    int lengths[ARGS_MAX], formats[ARGS_MAX];
    Oid types[ARGS_MAX];
    char ints[ARGS_MAX][24];
    for (int i = 0; i < nargs; i++) {
        const struct db_val *a = &args[i];
        lengths[i] = 0;
        formats[i] = 0;
        if (a->type == DB_INTEGER) {
            types[i] = OID_INT8;
            snprintf(ints[i], sizeof ints[i], "%lld", (long long)a->i);
            values[i] = a->null ? NULL : ints[i];
        } else if (a->type == DB_TEXT) {
            types[i] = OID_TEXT;
            values[i] = a->null ? NULL : a->p;
        } else if (a->type == DB_NULL) {
            types[i] = 0; /* the server infers it from where it goes */
            values[i] = NULL;
        } else {
            types[i] = OID_BYTEA;
            values[i] = a->null ? NULL : a->p;
            lengths[i] = (int)a->n;
            formats[i] = 1;
        }
    }
    PGresult *res = PQexecParams(c->pc, text, nargs, types, values, lengths, formats, 1);
    free(own);
    ExecStatusType s = PQresultStatus(res);
    int err = PHR_OK;
    if (s == PGRES_TUPLES_OK) {
        int n = PQntuples(res);
        struct db_row row = {.drv = st->drv, .h = res};
        for (row.i = 0; fn && row.i < n && !err; row.i++)
            err = fn(arg, &row);
        if (count)
            *count = n;
    } else if (s == PGRES_COMMAND_OK) {
        if (count)
            *count = strtoll(PQcmdTuples(res), NULL, 10);
    } else {
        err = error_of(c, res, what);
    }
    PQclear(res);
    return err;
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

static struct db_stmt tx_stmts[] = {
    [DB_BEGIN] = DB_STMT("begin", "BEGIN"),
    [DB_BEGIN_READ] = DB_STMT("begin_read", "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"),
    [DB_COMMIT] = DB_STMT("commit", "COMMIT"),
    [DB_ROLLBACK] = DB_STMT("rollback", "ROLLBACK"),
    [DB_SAVEPOINT] = DB_STMT("savepoint", "SAVEPOINT job"),
    [DB_RELEASE] = DB_STMT("release", "RELEASE SAVEPOINT job"),
    [DB_ROLLBACK_TO] = DB_STMT("rollback_to", "ROLLBACK TO SAVEPOINT job"),
};

static int p_tx(struct store *st, enum db_tx op)
{
    struct pg_conn *c = C(st);
    int err = p_run(st, &tx_stmts[op], NULL, NULL, 0, NULL, NULL, NULL);
    if (op == DB_BEGIN || op == DB_BEGIN_READ)
        c->in_tx = err == PHR_OK;
    else if (op == DB_COMMIT || op == DB_ROLLBACK)
        c->in_tx = 0;
    return err;
}

static struct db_stmt lock_writer = DB_STMT("lock_writer", "SELECT pg_advisory_xact_lock(?1)");
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

/* A deleted key's row is dead until vacuumed; this removes it from the
 * table's pages now. What PostgreSQL keeps beyond its table (the WAL, base
 * backups, a dump) is the operator's: docs/postgresql.md. */
static int p_keys_forget(struct store *st)
{
    return p_run(st, NULL, "VACUUM ks.data_keys", NULL, 0, NULL, NULL, NULL);
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
    for (unsigned i = 0; i < c->ntexts; i++)
        free(c->texts[i]);
    free(c->texts);
    PQfinish(c->pc);
    free(c);
}

static int script(struct store *st, const char *sql)
{
    struct pg_conn *c = C(st);
    PGresult *res = PQexec(c->pc, sql);
    int err = PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK
                  ? PHR_OK
                  : error_of(c, res, "script");
    PQclear(res);
    return err;
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

int db_pg_open(const char *url, int flags, struct store **out)
{
    *out = NULL;
    struct pg_conn *c = calloc(1, sizeof *c);
    if (!c)
        return PHR_ENOMEM;
    c->base.drv = &pg_driver;
    c->pc = PQconnectdb(url);
    int err = PHR_EIO;
    if (!c->pc || PQstatus(c->pc) != CONNECTION_OK) {
        log_event(LOG_ERROR, "store.postgresql", "op", "connect", "error",
                  c->pc ? PQerrorMessage(c->pc) : "out of memory", NULL);
        goto fail;
    }
    PQsetNoticeProcessor(c->pc, quiet, NULL);
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
