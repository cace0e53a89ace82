/* The PostgreSQL driver's connection, shared by its two files: pg.c (the
 * contract of db.h: transactions, locks, rows, the schema) and
 * pg_pipeline.c (how a statement is sent and its result read). */
#ifndef PHR_DB_PG_CONN_H
#define PHR_DB_PG_CONN_H

#include <libpq-fe.h>

#include "db/db.h"

#define PG_ARGS_MAX 32
/* Results a connection may owe at once: a deferred statement that would
 * pass this is waited for instead. */
#define PG_PENDING_MAX 32
/* Texts made for the request (a search's WHERE names the conditions
 * given) a connection prepares, the first so many it sees; others are
 * sent unnamed. */
#define PG_SHAPED_MAX 64

/* A statement as this connection sends it: its text with $N parameters
 * and, once prepared, its name and the parameter types it was prepared
 * with (a call with other types is sent unnamed). */
struct pg_text {
    char *sql;
    char name[64];
    char sig[PG_ARGS_MAX + 1];
    int prepared; /* 0 no; 1 its Parse is sent; 2 the server has it */
};

struct pg_conn {
    struct store base;
    PGconn *pc;
    int in_tx;
    /* Named statements, parsed and planned once per server session; off
     * (the URL's prepared=off) behind a pooler that hands transactions to
     * any server session without carrying them (pgbouncer before 1.21). */
    int prepare;
    int pending;                  /* results sent for and not yet read */
    unsigned owed[PG_PENDING_MAX]; /* each one's kind: 0 a statement, slot+1 a Parse (PG_SHAPED: of shaped) */
    struct pg_text *texts;        /* by statement slot */
    unsigned ntexts;
    struct pg_text shaped[PG_SHAPED_MAX];
    unsigned nshaped;
};

/* Runs q (or the text sql), as db.h's run: waits for its result and the
 * results of everything sent before it, unless q may be deferred (DB_DEFER,
 * in a transaction, nothing wanted back). */
int pg_run(struct pg_conn *c, struct db_stmt *q, const char *sql, const struct db_val *args, int nargs,
           db_row_fn fn, void *arg, int64_t *count);
/* A rollback (whole or to the savepoint): sent whatever failed before it,
 * and its own answer is the one returned. */
int pg_rollback(struct pg_conn *c, const char *name, const char *sql);
/* Between transactions, opens a lost connection again (0: it could not). */
int pg_usable(struct pg_conn *c);
/* A failed result (or, res NULL, the connection's failure) as a PHR_*
 * code, logged. */
int pg_error(struct pg_conn *c, const PGresult *res, const char *what);
void pg_texts_free(struct pg_conn *c);

#endif
