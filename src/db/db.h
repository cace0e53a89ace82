/* The database driver: the small contract an engine implements (SQLite,
 * PostgreSQL, and the fault driver the tests wrap around either), with
 * everything else — the domain's operations and their SQL — written once
 * above it in store/. Redis' rio.h is the model: a few functions, each
 * backend in files of its own.
 *
 * A connection is a `struct store`; a driver's own connection struct begins
 * with one. SQL is written once per statement, with numbered parameters
 * (?1, ?2, … or plain ?) in the subset both engines speak; a statement
 * carries a PostgreSQL text of its own only where the two differ. Times are
 * integers (ms since the epoch, UTC), flags integers 0/1, so that the same
 * text reads the same on both. */
#ifndef PHR_DB_H
#define PHR_DB_H

#include <stddef.h>
#include <stdint.h>

/* A parameter: an integer, a text or bytes, or SQL NULL of that type (or,
 * DB_NULL, of whatever type the statement needs there). */
enum db_type { DB_INTEGER, DB_TEXT, DB_BYTES, DB_NULL };
struct db_val {
    enum db_type type;
    int null;
    int64_t i;
    const void *p;
    size_t n;
};
#define DB_INT(x) ((struct db_val){.type = DB_INTEGER, .i = (int64_t)(x)})
/* An integer where 0 means "none": stored as NULL. */
#define DB_INT_OR_NULL(x) ((struct db_val){.type = DB_INTEGER, .i = (int64_t)(x), .null = (x) == 0})
/* Text (NUL-terminated) or bytes; a NULL pointer is SQL NULL. */
#define DB_STR(x) ((struct db_val){.type = DB_TEXT, .p = (x), .null = (x) == NULL})
#define DB_BLOB(x, len) ((struct db_val){.type = DB_BYTES, .p = (x), .n = (len), .null = (x) == NULL})
#define DB_NULL_VAL ((struct db_val){.type = DB_NULL, .null = 1})
/* The parameter list and its length, for db_run and the store's helpers. */
#define DB_ARGS(...)                                                                                     \
    (const struct db_val[]){__VA_ARGS__}, (int)(sizeof((const struct db_val[]){__VA_ARGS__}) / sizeof(struct db_val))
#define DB_NO_ARGS NULL, 0

/* A statement: its name (for logs), its SQL, and PostgreSQL's text where it
 * differs (NULL: the same). slot is the driver's: the statement's place in
 * a connection's cache of prepared statements, given on first use. */
struct db_stmt {
    const char *name;
    const char *sql;
    const char *pg;
    unsigned slot;
    unsigned flags;
};
/* A statement in a transaction whose answer nobody reads (fn and count
 * NULL) may be sent with the next one that is waited for, saving a round
 * trip; its failure is then that one's, or the job's at its RELEASE. Only
 * for statements whose failure is an error, never an answer a caller acts
 * on (a conflict a caller turns into "exists already" must not wait). */
#define DB_DEFER 1
#define DB_STMT(name, sql) {name, sql, NULL, 0, 0}
#define DB_STMT_DEFER(name, sql) {name, sql, NULL, 0, DB_DEFER}
#define DB_STMT2(name, sql, pg) {name, sql, pg, 0, 0}

/* One row of a result, valid during the callback only. */
struct db_row {
    const struct db_driver *drv;
    const void *h;
    int i;
};
/* A row's callback: non-zero stops the statement and is returned. */
typedef int (*db_row_fn)(void *arg, const struct db_row *r);

enum db_tx { DB_BEGIN, DB_BEGIN_READ, DB_COMMIT, DB_ROLLBACK, DB_SAVEPOINT, DB_RELEASE, DB_ROLLBACK_TO };

/* What a connection may need to hold alone. WRITER: the writer's batch,
 * taken right after it begins, so that writers on other instances of one
 * database wait (the audit chain's head and every decision a batch makes
 * are read and written under it). RETENTION: one retention run at a time;
 * PHR_EBUSY if another holds it. Both end with the transaction. */
enum db_lock { DB_LOCK_WRITER, DB_LOCK_RETENTION };

enum db_dialect { DB_SQLITE, DB_POSTGRES };

/* How a connection is opened (store.h's STORE_* are the same bits). */
enum { DB_OPEN_READONLY = 1, DB_OPEN_CREATE = 2, DB_OPEN_WRITER = 4, DB_OPEN_NEW = 8 };

struct store;

struct db_driver {
    const char *name;
    enum db_dialect dialect;
    void (*close)(struct store *st);
    int (*tx)(struct store *st, enum db_tx op);
    /* Runs q (or, q NULL, the text sql, not kept) with args, calling fn on
     * each row (fn NULL: rows are not wanted). *count, when given: the rows
     * returned, or those changed by an INSERT, UPDATE or DELETE without
     * RETURNING. PHR_ECONFLICT for a constraint violated; PHR_EBUSY for a
     * lock or serialization failure (the job may be run again); PHR_EIO for
     * anything else, the connection included. After a failure PostgreSQL
     * runs nothing more until the job's savepoint is rolled back: a job
     * that answers a conflict and then writes (a refusal on the record)
     * avoids the failure instead (ON CONFLICT DO NOTHING, and the count). */
    int (*run)(struct store *st, struct db_stmt *q, const char *sql, const struct db_val *args, int nargs,
               db_row_fn fn, void *arg, int64_t *count);
    /* A row's column: text (NULL for SQL NULL), integer (0 for NULL),
     * bytes (NULL for NULL, *len their length). */
    const char *(*text)(const struct db_row *r, int col);
    int64_t (*integer)(const struct db_row *r, int col);
    const void *(*bytes)(const struct db_row *r, int col, size_t *len);
    /* What a column holds in this row: DB_INTEGER, DB_TEXT, DB_BYTES, or
     * DB_NULL (for copying rows whose columns are not known in advance). */
    enum db_type (*type)(const struct db_row *r, int col);
    int (*lock)(struct store *st, enum db_lock what);
    /* After a data key was deleted and committed, outside a transaction:
     * leaves no readable image of it in the key store's own files or log
     * that the engine controls (R3.10). PHR_EBUSY: try again later. */
    int (*keys_forget)(struct store *st);
    /* Every column of every table of the live schema. */
    int (*columns)(struct store *st, int (*cb)(void *arg, const char *table, const char *column), void *arg);
};

struct store_memo;
struct store {
    const struct db_driver *drv;
    struct store_memo *memo; /* store/'s (store/internal.h), never a driver's */
};

static inline const char *db_text(const struct db_row *r, int col)
{
    return r->drv->text(r, col);
}
static inline int64_t db_int(const struct db_row *r, int col)
{
    return r->drv->integer(r, col);
}
static inline const void *db_bytes(const struct db_row *r, int col, size_t *len)
{
    return r->drv->bytes(r, col, len);
}
static inline enum db_type db_type_of(const struct db_row *r, int col)
{
    return r->drv->type(r, col);
}

static inline int db_run(struct store *st, struct db_stmt *q, const struct db_val *args, int nargs, db_row_fn fn,
                         void *arg, int64_t *count)
{
    return st->drv->run(st, q, NULL, args, nargs, fn, arg, count);
}

/* The SQL a driver runs for q: PostgreSQL's own text where it has one. */
static inline const char *db_sql_for(const struct db_stmt *q, enum db_dialect d)
{
    return d == DB_POSTGRES && q->pg ? q->pg : q->sql;
}
/* q's slot in a connection's statement cache, given on first use (any
 * thread); slots count from 1. */
unsigned db_stmt_slot(struct db_stmt *q);

#endif
