/* The fault driver: a real driver wrapped so that one chosen call fails,
 * for the tests that prove every write either commits whole or leaves
 * nothing, and that nothing acknowledged is lost (SQLite's faultsim habit).
 *
 * Its location is "fault:PLAN:LOCATION". PLAN is a file the test writes
 * while the service runs: "N KIND" fails the Nth call (a transaction step
 * or a statement) on the writer's connection after the plan was written,
 * counted across batches; KIND is "io" (that call fails), "busy" (it fails
 * as a lock would) or "lost" (it and every call until the next transaction
 * fail, as a dropped connection would). When the fault fires the plan file
 * is renamed PLAN.fired, so the test knows. Readers' connections pass every
 * call through. Nothing here runs unless a location names it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "db/db.h"
#include "db/engines.h"
#include "util/err.h"
#include "util/log.h"

enum fault_kind_db { FK_IO, FK_BUSY, FK_LOST };

struct fault_conn {
    struct store base;
    struct store *inner;
    struct db_driver drv;      /* the inner driver's, with tx and run wrapped */
    char *plan;
    int writer;
    char seen[64];             /* the plan's text as last read */
    long left;                 /* calls until the fault; 0: none armed */
    enum fault_kind_db kind;
    int lost;                  /* a "lost" fault fired: fail until the next transaction */
};

static struct fault_conn *F(struct store *st)
{
    return (struct fault_conn *)st;
}

/* A new plan text arms the fault afresh. */
static void read_plan(struct fault_conn *f)
{
    char text[64] = "";
    FILE *fp = fopen(f->plan, "r");
    if (fp) {
        size_t n = fread(text, 1, sizeof text - 1, fp);
        text[n] = '\0';
        fclose(fp);
    }
    if (!strcmp(text, f->seen))
        return;
    snprintf(f->seen, sizeof f->seen, "%s", text);
    char kind[16] = "";
    long n = 0;
    f->left = sscanf(text, "%ld %15s", &n, kind) == 2 && n > 0 ? n : 0;
    f->kind = !strcmp(kind, "busy") ? FK_BUSY : !strcmp(kind, "lost") ? FK_LOST : FK_IO;
}

/* Whether this call fails, and how. */
static int strike(struct fault_conn *f, const char *what)
{
    if (!f->writer)
        return PHR_OK;
    if (f->lost)
        return PHR_EIO;
    if (!f->left || --f->left)
        return PHR_OK;
    char fired[4096];
    snprintf(fired, sizeof fired, "%s.fired", f->plan);
    rename(f->plan, fired);
    f->seen[0] = '\0';
    log_event(LOG_WARN, "store.fault_injected", "at", what, "kind",
              f->kind == FK_BUSY ? "busy" : f->kind == FK_LOST ? "lost" : "io", NULL);
    if (f->kind == FK_LOST)
        f->lost = 1;
    return f->kind == FK_BUSY ? PHR_EBUSY : PHR_EIO;
}

static int fault_tx(struct store *st, enum db_tx op)
{
    struct fault_conn *f = F(st);
    if (op == DB_BEGIN && f->writer) {
        f->lost = 0;
        read_plan(f);
    }
    /* Ending a transaction is never refused: after a failure the writer
     * rolls back, and a rollback that failed would leave the connection in
     * a transaction no test could reason about. */
    int err = op == DB_ROLLBACK || op == DB_ROLLBACK_TO ? PHR_OK : strike(f, "tx");
    return err ? err : f->inner->drv->tx(f->inner, op);
}

static int fault_run(struct store *st, struct db_stmt *q, const char *sql, const struct db_val *args, int nargs,
                     db_row_fn fn, void *arg, int64_t *count)
{
    struct fault_conn *f = F(st);
    int err = strike(f, q ? q->name : "query");
    return err ? err : f->inner->drv->run(f->inner, q, sql, args, nargs, fn, arg, count);
}

static int fault_lock(struct store *st, enum db_lock what)
{
    struct fault_conn *f = F(st);
    int err = strike(f, "lock");
    return err ? err : f->inner->drv->lock(f->inner, what);
}

static int fault_keys_forget(struct store *st)
{
    return F(st)->inner->drv->keys_forget(F(st)->inner);
}

static int fault_columns(struct store *st, int (*cb)(void *, const char *, const char *), void *arg)
{
    return F(st)->inner->drv->columns(F(st)->inner, cb, arg);
}

static void fault_close(struct store *st)
{
    struct fault_conn *f = F(st);
    if (!f)
        return;
    f->inner->drv->close(f->inner);
    free(f->plan);
    free(f);
}

int db_fault_open(const char *location, int flags, struct store **out)
{
    *out = NULL;
    const char *colon = strchr(location, ':');
    if (!colon || colon == location)
        return PHR_EINVAL;
    struct fault_conn *f = calloc(1, sizeof *f);
    if (!f || !(f->plan = strndup(location, (size_t)(colon - location)))) {
        free(f);
        return PHR_ENOMEM;
    }
    int err = db_open(colon + 1, flags, &f->inner);
    if (err) {
        free(f->plan);
        free(f);
        return err;
    }
    /* The inner driver's rows and functions, with the calls that can fail
     * passing through here first. */
    f->drv = *f->inner->drv;
    f->drv.close = fault_close;
    f->drv.tx = fault_tx;
    f->drv.run = fault_run;
    f->drv.lock = fault_lock;
    f->drv.keys_forget = fault_keys_forget;
    f->drv.columns = fault_columns;
    f->base.drv = &f->drv;
    f->writer = (flags & DB_OPEN_WRITER) != 0;
    *out = &f->base;
    return PHR_OK;
}
