/* How the PostgreSQL driver sends a statement and reads its result.
 *
 * Every statement goes through libpq's pipeline: one whose answer nobody
 * waits for (DB_DEFER) is sent and its result read with the next one that
 * is waited for, one round trip for several. A statement is named and
 * prepared on its first use by a connection, in the same round trip as its
 * first execution, so that the server parses and plans it once per session
 * (the planning of the consent and session reads cost more than their
 * execution), and so is a text made for the request (a search: its WHERE
 * names the conditions given), the first PG_SHAPED_MAX a connection sees;
 * with prepared=off every statement is sent unnamed, as a pooler that
 * moves transactions between server sessions needs. The statements' ?N
 * become $N once per connection. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/pg_conn.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"

/* Type OIDs (pg_type.dat) of the parameters this driver sends. */
enum { OID_BYTEA = 17, OID_INT8 = 20, OID_TEXT = 25 };

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

static struct pg_text *text_for(struct pg_conn *c, unsigned slot, struct db_stmt *q)
{
    if (slot >= c->ntexts) {
        unsigned n = slot + 64;
        struct pg_text *grown = realloc(c->texts, n * sizeof *grown);
        if (!grown)
            return NULL;
        memset(grown + c->ntexts, 0, (n - c->ntexts) * sizeof *grown);
        c->texts = grown;
        c->ntexts = n;
    }
    struct pg_text *t = &c->texts[slot];
    if (!t->sql)
        t->sql = dollars(db_sql_for(q, DB_POSTGRES));
    return t->sql ? t : NULL;
}

void pg_texts_free(struct pg_conn *c)
{
    for (unsigned i = 0; i < c->ntexts; i++)
        free(c->texts[i].sql);
    free(c->texts);
    c->texts = NULL;
    c->ntexts = 0;
    for (unsigned i = 0; i < c->nshaped; i++)
        free(c->shaped[i].sql);
    c->nshaped = 0;
}

/* A Parse owed for shaped text i, told apart from a statement slot's. */
#define PG_SHAPED 0x80000000u

/* Text made for the request ($N already): the connection's own copy once
 * seen (*sql then taken), while there is room; NULL: send it unnamed. */
static struct pg_text *shaped_for(struct pg_conn *c, char **sql, unsigned *slot)
{
    for (unsigned i = 0; i < c->nshaped; i++)
        if (!strcmp(c->shaped[i].sql, *sql)) {
            *slot = i;
            return &c->shaped[i];
        }
    if (c->nshaped == PG_SHAPED_MAX)
        return NULL;
    *slot = c->nshaped;
    struct pg_text *t = &c->shaped[c->nshaped++];
    *t = (struct pg_text){.sql = *sql};
    *sql = NULL;
    return t;
}

/* A name of its own per slot that also says what it is: the same name is
 * the same text with the same parameter types, whatever process or
 * version prepared it. */
static void name_for(struct pg_text *t, char kind, unsigned slot, const char *sig)
{
    uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */
    for (const char *p = t->sql; *p; p++)
        h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
    snprintf(t->name, sizeof t->name, "%c%u_%016llx_%s", kind, slot, (unsigned long long)h, sig);
    snprintf(t->sig, sizeof t->sig, "%s", sig);
}

/* Constraint and trigger refusals are conflicts (as SQLite's are),
 * serialisation failures and deadlocks may be run again, a lost
 * connection is I/O. */
int pg_error(struct pg_conn *c, const PGresult *res, const char *what)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    int err = PHR_EIO;
    if (state && (!strncmp(state, "23", 2) || !strcmp(state, "P0001")))
        return PHR_ECONFLICT;
    if (state && (!strcmp(state, "40001") || !strcmp(state, "40P01") || !strcmp(state, "55P03")))
        err = PHR_EBUSY;
    /* A named statement the session lost, or one it has under the same
     * name already: a pooler handing transactions to other server sessions
     * without carrying statements (pgbouncer before 1.21; prepared=off is
     * the setting for it). From now on this connection sends them unnamed;
     * what failed may be sent again. */
    if (state && c->prepare && (!strcmp(state, "26000") || !strcmp(state, "42P05"))) {
        c->prepare = 0;
        err = PHR_EBUSY;
        log_event(LOG_WARN, "store.postgresql", "op", "unnamed_from_now", "why",
                  "named statements are not kept between transactions (a pooler? set prepared=off)", NULL);
    }
    else if (state && !strcmp(state, "53200"))
        err = PHR_ENOMEM;
    const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    log_event(LOG_ERROR, "store.postgresql", "op", what, "sqlstate", state ? state : "-", "error",
              msg ? msg : PQerrorMessage(c->pc), NULL);
    return err;
}

/* Outside a transaction a broken connection is opened again: nothing can
 * be lost between transactions. One the server or a pooler closed while it
 * was idle (a restart, a failover, an idle timeout) shows here as its
 * socket at its end, read without waiting, and is opened again before
 * anything is sent on it. */
int pg_usable(struct pg_conn *c)
{
    /* Twice: the first read may take the server's farewell message, the
     * second finds the end. */
    if (!c->in_tx && !c->pending && PQconsumeInput(c->pc))
        PQconsumeInput(c->pc);
    if (PQstatus(c->pc) == CONNECTION_OK)
        return 1;
    if (c->in_tx)
        return 0;
    PQreset(c->pc);
    c->pending = 0;
    for (unsigned i = 0; i < c->ntexts; i++)
        c->texts[i].prepared = 0; /* a new session has none */
    for (unsigned i = 0; i < c->nshaped; i++)
        c->shaped[i].prepared = 0;
    if (PQstatus(c->pc) != CONNECTION_OK || !PQenterPipelineMode(c->pc)) {
        log_event(LOG_ERROR, "store.postgresql", "op", "reconnect", "error", PQerrorMessage(c->pc), NULL);
        return 0;
    }
    log_event(LOG_WARN, "store.postgresql", "op", "reconnected", NULL);
    return 1;
}

/* One statement's result: its rows to fn, its count. */
static int result_of(struct pg_conn *c, PGresult *res, const char *what, db_row_fn fn, void *arg, int64_t *count)
{
    ExecStatusType s = PQresultStatus(res);
    int err = PHR_OK;
    if (s == PGRES_TUPLES_OK) {
        int n = PQntuples(res);
        struct db_row row = {.drv = c->base.drv, .h = res};
        for (row.i = 0; fn && row.i < n && !err; row.i++)
            err = fn(arg, &row);
        if (count)
            *count = n;
    } else if (s == PGRES_COMMAND_OK) {
        if (count)
            *count = strtoll(PQcmdTuples(res), NULL, 10);
    } else {
        err = pg_error(c, res, what);
    }
    return err;
}

/* Sends a sync and reads every result owed, in order: those deferred
 * before, then the last, whose rows go to fn. The first failure is the
 * answer (what came after it in the pipeline did not run); with `own`, a
 * failure before the last is passed over (a rollback answers for itself). */
static int collect(struct pg_conn *c, const char *what, db_row_fn fn, void *arg, int64_t *count, int own)
{
    int err = PQpipelineSync(c->pc) ? PHR_OK : PHR_EIO;
    int failed_before = 0;
    for (int i = 0; i < c->pending; i++) {
        PGresult *res = PQgetResult(c->pc);
        if (!res) {
            err = err ? err : pg_error(c, NULL, what);
            break;
        }
        unsigned parse = c->owed[i];
        ExecStatusType s = PQresultStatus(res);
        if (parse)
            (parse & PG_SHAPED ? &c->shaped[(parse & ~PG_SHAPED) - 1] : &c->texts[parse - 1])->prepared =
                s == PGRES_COMMAND_OK ? 2 : 0;
        if (s == PGRES_PIPELINE_ABORTED) {
            if (!err && !(own && failed_before))
                err = PHR_EIO;
        } else if (i < c->pending - 1) {
            int e = result_of(c, res, parse ? "prepare" : "deferred", NULL, NULL, NULL);
            failed_before = failed_before || e;
            if (e && !err && !own)
                err = e;
        } else if (!err || (own && failed_before)) {
            err = result_of(c, res, what, fn, arg, count);
        }
        PQclear(res);
        PQclear(PQgetResult(c->pc)); /* the NULL that ends each statement's results */
    }
    for (PGresult *res; (res = PQgetResult(c->pc)) != NULL;) {
        int sync = PQresultStatus(res) == PGRES_PIPELINE_SYNC;
        PQclear(res);
        if (sync)
            break;
    }
    c->pending = 0;
    return err;
}

/* The parameters as libpq takes them: integers as text of type int8, text
 * as text, bytes in binary; sig spells their types (i, t, b, n). */
struct params {
    const char *values[PG_ARGS_MAX];
    int lengths[PG_ARGS_MAX], formats[PG_ARGS_MAX];
    Oid types[PG_ARGS_MAX];
    char ints[PG_ARGS_MAX][24];
    char sig[PG_ARGS_MAX + 1];
};

static void params_of(struct params *p, const struct db_val *args, int nargs)
{
    for (int i = 0; i < nargs; i++) {
        const struct db_val *a = &args[i];
        p->lengths[i] = 0;
        p->formats[i] = 0;
        p->values[i] = NULL;
        if (a->type == DB_INTEGER) {
            p->types[i] = OID_INT8;
            snprintf(p->ints[i], sizeof p->ints[i], "%lld", (long long)a->i);
            p->values[i] = a->null ? NULL : p->ints[i];
            p->sig[i] = 'i';
        } else if (a->type == DB_TEXT) {
            p->types[i] = OID_TEXT;
            p->values[i] = a->null ? NULL : a->p;
            p->sig[i] = 't';
        } else if (a->type == DB_NULL) {
            p->types[i] = 0; /* the server infers it from where it goes */
            p->sig[i] = 'n';
        } else {
            p->types[i] = OID_BYTEA;
            p->values[i] = a->null ? NULL : a->p;
            p->lengths[i] = (int)a->n;
            p->formats[i] = 1;
            p->sig[i] = 'b';
        }
    }
    p->sig[nargs] = '\0';
}

int pg_run(struct pg_conn *c, struct db_stmt *q, const char *sql, const struct db_val *args, int nargs,
           db_row_fn fn, void *arg, int64_t *count)
{
    const char *what = q ? q->name : "query";
    if (nargs > PG_ARGS_MAX)
        return PHR_EINVAL;
    if (!pg_usable(c))
        return PHR_EIO;
    /* Room for a Parse, the statement and a rollback; else what is owed is
     * read first (a deferred failure then answers here). */
    int err = c->pending + 3 > PG_PENDING_MAX ? collect(c, "deferred", NULL, NULL, NULL, 0) : PHR_OK;
    if (err)
        return err;
    unsigned slot = q ? db_stmt_slot(q) : 0;
    struct pg_text *t = q ? text_for(c, slot, q) : NULL;
    char *own = q ? NULL : dollars(sql);
    if (!t && !own)
        return PHR_ENOMEM;
    unsigned tag = slot + 1;
    if (own && c->prepare && (t = shaped_for(c, &own, &slot)) != NULL)
        tag = PG_SHAPED | (slot + 1);
    struct params p;
    params_of(&p, args, nargs);
    int named = t && c->prepare && (!t->prepared || !strcmp(t->sig, p.sig));
    if (named && !t->prepared) {
        name_for(t, tag & PG_SHAPED ? 's' : 'p', slot, p.sig);
        if (!PQsendPrepare(c->pc, t->name, t->sql, nargs, p.types)) {
            free(own);
            return pg_error(c, NULL, what);
        }
        c->owed[c->pending++] = tag;
        t->prepared = 1;
    }
    int sent = named ? PQsendQueryPrepared(c->pc, t->name, nargs, p.values, p.lengths, p.formats, 1)
                     : PQsendQueryParams(c->pc, t ? t->sql : own, nargs, p.types, p.values, p.lengths, p.formats, 1);
    free(own);
    if (!sent)
        return pg_error(c, NULL, what);
    c->owed[c->pending++] = 0;
    /* A statement whose answer nobody waits for rides with the next one
     * that is waited for (at the latest the job's RELEASE). */
    if (q && (q->flags & DB_DEFER) && !fn && !count && c->in_tx)
        return PHR_OK;
    return collect(c, what, fn, arg, count, 0);
}

int pg_rollback(struct pg_conn *c, const char *name, const char *sql)
{
    if (!pg_usable(c))
        return PHR_EIO;
    if (!PQsendQueryParams(c->pc, sql, 0, NULL, NULL, NULL, NULL, 1))
        return pg_error(c, NULL, name);
    c->owed[c->pending++] = 0;
    return collect(c, name, NULL, NULL, NULL, 1);
}
