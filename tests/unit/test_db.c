/* db/db.h, the driver contract, run against every driver: SQLite, PostgreSQL
 * (the cluster PHR_TEST_PG names; scripts/test.sh starts one, and a run
 * without it reports the group skipped, which the script counts as a
 * failure), and the fault driver over each (with no fault armed it must be
 * the driver it wraps; armed, it fails the call its plan names). Issue 18. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db/db.h"
#include "helpers.h"
#include "store/store.h"
#include "util/err.h"

/* One engine under test: where its store is, and a second connection's
 * location (the fault driver's inner store, for watching from outside). */
struct engine {
    const char *kind; /* "sqlite", "postgresql" */
    int fault;        /* wrapped in the fault driver */
    int unnamed;      /* PostgreSQL with prepared=off */
    char *dir;        /* temporary directory: SQLite's files, the fault plan */
    char *inner;      /* the real driver's location */
    char *location;   /* what the tests open */
    char *plan;       /* the fault plan's path */
    struct store *st; /* the writer's connection */
};

static char *joined(const char *a, const char *b, const char *c)
{
    size_t n = strlen(a) + strlen(b) + strlen(c) + 1;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s%s%s", a, b, c);
    return s;
}

/* A fresh database of the test cluster's, named for this process. */
static char *pg_database(void)
{
    static int made;
    const char *base = getenv("PHR_TEST_PG");
    char name[64];
    snprintf(name, sizeof name, "unit_%ld_%d_%d", (long)getpid(), rand(), ++made);
    char *admin = joined(base, "/", "postgres");
    PGconn *c = PQconnectdb(admin);
    free(admin);
    char sql[128];
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", name);
    PGresult *res = PQstatus(c) == CONNECTION_OK ? PQexec(c, sql) : NULL;
    int ok = res && PQresultStatus(res) == PGRES_COMMAND_OK;
    PQclear(res);
    PQfinish(c);
    return ok ? joined(base, "/", name) : NULL;
}

/* The group's engine; a group without one (PostgreSQL without a cluster)
 * skips each test, which scripts/test.sh counts as a failure. */
static struct engine *E(void **state)
{
    if (!*state)
        skip();
    return *state;
}

static int engine_setup(void **state, const char *kind, int fault, int unnamed)
{
    *state = NULL;
    const char *pg = getenv("PHR_TEST_PG");
    if (!strcmp(kind, "postgresql") && (!pg || !*pg)) {
        print_message("PHR_TEST_PG is not set: the PostgreSQL driver is not tested\n");
        return 0;
    }
    struct engine *e = calloc(1, sizeof *e);
    if (!e || !(e->dir = tmpdir_new()))
        return -1;
    e->kind = kind;
    e->fault = fault;
    e->unnamed = unnamed;
    e->inner = !strcmp(kind, "sqlite") ? path_in(e->dir, "phr.db") : pg_database();
    if (unnamed && e->inner) {
        char *off = joined(e->inner, "?prepared=off", "");
        free(e->inner);
        e->inner = off;
    }
    e->plan = path_in(e->dir, "plan");
    if (!e->inner || !e->plan)
        return -1;
    e->location = fault ? joined("fault:", e->plan, "") : strdup(e->inner);
    if (fault && e->location) {
        char *full = joined(e->location, ":", e->inner);
        free(e->location);
        e->location = full;
    }
    if (!e->location || store_open(e->location, STORE_CREATE | STORE_WRITER, &e->st) != PHR_OK)
        return -1;
    const char *ddl = !strcmp(kind, "sqlite")
                          ? "CREATE TABLE contract_t(k TEXT PRIMARY KEY, i INTEGER, b BLOB, t TEXT)"
                          : "CREATE TABLE contract_t(k TEXT PRIMARY KEY, i BIGINT, b BYTEA, t TEXT)";
    if (e->st->drv->run(e->st, NULL, ddl, NULL, 0, NULL, NULL, NULL) != PHR_OK)
        return -1;
    *state = e;
    return 0;
}

static int engine_teardown(void **state)
{
    struct engine *e = *state;
    if (!e)
        return 0;
    store_close(e->st);
    tmpdir_remove(e->dir);
    free(e->inner);
    free(e->location);
    free(e->plan);
    free(e);
    return 0;
}

static int sqlite_setup(void **s) { return engine_setup(s, "sqlite", 0, 0); }
static int pg_setup(void **s) { return engine_setup(s, "postgresql", 0, 0); }
static int pg_unnamed_setup(void **s) { return engine_setup(s, "postgresql", 0, 1); }
static int fault_sqlite_setup(void **s) { return engine_setup(s, "sqlite", 1, 0); }
static int fault_pg_setup(void **s) { return engine_setup(s, "postgresql", 1, 0); }

/* Each test starts from an empty table. */
static int empty_table(void **state)
{
    struct engine *e = *state;
    if (!e)
        return 0;
    return e->st->drv->run(e->st, NULL, "DELETE FROM contract_t", NULL, 0, NULL, NULL, NULL) == PHR_OK ? 0 : -1;
}

static struct db_stmt put = DB_STMT("contract_put", "INSERT INTO contract_t(k, i, b, t) VALUES(?1, ?2, ?3, ?4)");
static struct db_stmt put_later =
    DB_STMT_DEFER("contract_put_later", "INSERT INTO contract_t(k, i, b, t) VALUES(?1, ?2, ?3, ?4)");
static struct db_stmt get = DB_STMT("contract_get", "SELECT k, i, b, t FROM contract_t WHERE k = ?1");
static struct db_stmt all = DB_STMT("contract_all", "SELECT k FROM contract_t ORDER BY k");
static struct db_stmt bump = DB_STMT("contract_bump", "UPDATE contract_t SET i = i + 1 WHERE i >= ?1");

static int put_row(struct store *st, const char *k, int64_t i)
{
    return db_run(st, &put, DB_ARGS(DB_STR(k), DB_INT(i), DB_BLOB(NULL, 0), DB_STR(NULL)), NULL, NULL, NULL);
}

static int put_row_later(struct store *st, const char *k, int64_t i)
{
    return db_run(st, &put_later, DB_ARGS(DB_STR(k), DB_INT(i), DB_BLOB(NULL, 0), DB_STR(NULL)), NULL, NULL, NULL);
}

/* The keys in the table, joined by commas. */
static int key_cb(void *arg, const struct db_row *r)
{
    char *s = arg;
    size_t n = strlen(s);
    snprintf(s + n, 256 - n, "%s%s", n ? "," : "", db_text(r, 0));
    return 0;
}

static const char *keys(struct store *st)
{
    static char s[256];
    s[0] = '\0';
    assert_int_equal(db_run(st, &all, DB_NO_ARGS, key_cb, s, NULL), PHR_OK);
    return s;
}

struct got {
    int rows;
    enum db_type ti, tb, tt;
    int64_t i;
    unsigned char b[16];
    size_t blen;
    char t[64];
};

static int got_cb(void *arg, const struct db_row *r)
{
    struct got *g = arg;
    g->rows++;
    g->ti = db_type_of(r, 1);
    g->tb = db_type_of(r, 2);
    g->tt = db_type_of(r, 3);
    g->i = db_int(r, 1);
    const void *b = db_bytes(r, 2, &g->blen);
    if (b && g->blen <= sizeof g->b)
        memcpy(g->b, b, g->blen);
    const char *t = db_text(r, 3);
    snprintf(g->t, sizeof g->t, "%s", t ? t : "(null)");
    return 0;
}

/* Every type goes in and comes back as itself: a 64-bit integer, bytes
 * with NULs in them, Japanese text; NULL of each type reads as NULL. */
static void values_keep_their_type(void **state)
{
    struct store *st = E(state)->st;
    static const unsigned char bytes[] = {0, 1, 0, 255, 0};
    int64_t big = (int64_t)1 << 53 | 7;
    int64_t n = -1;
    assert_int_equal(db_run(st, &put, DB_ARGS(DB_STR("a"), DB_INT(big), DB_BLOB(bytes, sizeof bytes), DB_STR("血圧 120")),
                            NULL, NULL, &n),
                     PHR_OK);
    assert_int_equal(n, 1);
    struct got g = {0};
    assert_int_equal(db_run(st, &get, DB_ARGS(DB_STR("a")), got_cb, &g, &n), PHR_OK);
    assert_int_equal(g.rows, 1);
    assert_int_equal(n, 1);
    assert_int_equal(g.ti, DB_INTEGER);
    assert_int_equal(g.tb, DB_BYTES);
    assert_int_equal(g.tt, DB_TEXT);
    assert_true(g.i == big);
    assert_int_equal(g.blen, sizeof bytes);
    assert_memory_equal(g.b, bytes, sizeof bytes);
    assert_string_equal(g.t, "血圧 120");

    assert_int_equal(db_run(st, &put, DB_ARGS(DB_STR("b"), DB_INT_OR_NULL(0), DB_BLOB(NULL, 0), DB_NULL_VAL), NULL,
                            NULL, NULL),
                     PHR_OK);
    memset(&g, 0, sizeof g);
    assert_int_equal(db_run(st, &get, DB_ARGS(DB_STR("b")), got_cb, &g, NULL), PHR_OK);
    assert_int_equal(g.ti, DB_NULL);
    assert_int_equal(g.tb, DB_NULL);
    assert_int_equal(g.tt, DB_NULL);
    assert_int_equal(g.i, 0);
    assert_int_equal(g.blen, 0);
    assert_string_equal(g.t, "(null)");

    memset(&g, 0, sizeof g);
    assert_int_equal(db_run(st, &get, DB_ARGS(DB_STR("none")), got_cb, &g, &n), PHR_OK);
    assert_int_equal(g.rows, 0);
    assert_int_equal(n, 0);
}

/* count: rows changed by an UPDATE; a row callback's non-zero stops the
 * statement and is its answer. */
static int stop_cb(void *arg, const struct db_row *r)
{
    (void)r;
    return ++*(int *)arg == 2 ? PHR_ENOTFOUND : 0;
}

static void counts_and_stopping(void **state)
{
    struct store *st = E(state)->st;
    for (int i = 0; i < 4; i++) {
        char k[8];
        snprintf(k, sizeof k, "k%d", i);
        assert_int_equal(put_row(st, k, i), PHR_OK);
    }
    int64_t n = -1;
    assert_int_equal(db_run(st, &bump, DB_ARGS(DB_INT(2)), NULL, NULL, &n), PHR_OK);
    assert_int_equal(n, 2);
    int seen = 0;
    assert_int_equal(db_run(st, &all, DB_NO_ARGS, stop_cb, &seen, NULL), PHR_ENOTFOUND);
    assert_int_equal(seen, 2);
}

/* A constraint violated is PHR_ECONFLICT and changes nothing; the
 * connection goes on. */
static void a_conflict_is_a_conflict(void **state)
{
    struct store *st = E(state)->st;
    assert_int_equal(put_row(st, "a", 1), PHR_OK);
    assert_int_equal(put_row(st, "a", 2), PHR_ECONFLICT);
    assert_string_equal(keys(st), "a");
    assert_int_equal(put_row(st, "b", 1), PHR_OK);
    assert_string_equal(keys(st), "a,b");
}

/* A rolled-back transaction leaves nothing; a committed one stays. */
static void transactions_are_whole(void **state)
{
    struct store *st = E(state)->st;
    assert_int_equal(store_begin(st), PHR_OK);
    assert_int_equal(put_row(st, "gone", 1), PHR_OK);
    assert_int_equal(store_rollback(st), PHR_OK);
    assert_string_equal(keys(st), "");
    assert_int_equal(store_begin(st), PHR_OK);
    assert_int_equal(put_row(st, "kept", 1), PHR_OK);
    assert_int_equal(store_commit(st), PHR_OK);
    assert_string_equal(keys(st), "kept");
}

/* The writer's batch: a job that fails is rolled back to its savepoint,
 * the jobs before and after it commit. */
static void a_failed_job_leaves_the_batch(void **state)
{
    struct store *st = E(state)->st;
    assert_int_equal(put_row(st, "dup", 0), PHR_OK);
    assert_int_equal(store_begin(st), PHR_OK);
    assert_int_equal(store_savepoint(st), PHR_OK);
    assert_int_equal(put_row(st, "one", 1), PHR_OK);
    assert_int_equal(store_release(st), PHR_OK);
    assert_int_equal(store_savepoint(st), PHR_OK);
    assert_int_equal(put_row(st, "two", 2), PHR_OK);
    assert_int_equal(put_row(st, "dup", 2), PHR_ECONFLICT);
    assert_int_equal(store_rollback_to(st), PHR_OK);
    assert_int_equal(store_release(st), PHR_OK);
    assert_int_equal(store_savepoint(st), PHR_OK);
    assert_int_equal(put_row(st, "three", 3), PHR_OK);
    assert_int_equal(store_release(st), PHR_OK);
    assert_int_equal(store_commit(st), PHR_OK);
    assert_string_equal(keys(st), "dup,one,three");
}

/* A deferred statement's failure is not lost: it is its own answer or,
 * at the latest, the job's RELEASE; the job rolls back whole. */
static void a_deferred_failure_fails_the_job(void **state)
{
    struct store *st = E(state)->st;
    assert_int_equal(put_row(st, "dup", 0), PHR_OK);
    assert_int_equal(store_begin(st), PHR_OK);
    assert_int_equal(store_savepoint(st), PHR_OK);
    assert_int_equal(put_row_later(st, "x", 1), PHR_OK);
    int put_rc = put_row_later(st, "dup", 1);
    int release_rc = put_rc == PHR_OK ? store_release(st) : put_rc;
    assert_int_equal(release_rc, PHR_ECONFLICT);
    assert_int_equal(store_rollback_to(st), PHR_OK);
    assert_int_equal(store_release(st), PHR_OK);
    assert_int_equal(store_savepoint(st), PHR_OK);
    assert_int_equal(put_row_later(st, "y", 1), PHR_OK);
    assert_int_equal(store_release(st), PHR_OK);
    assert_int_equal(store_commit(st), PHR_OK);
    assert_string_equal(keys(st), "dup,y");
}

static int column_cb(void *arg, const char *table, const char *column)
{
    if (!strcmp(table, "contract_t")) {
        char *s = arg;
        size_t n = strlen(s);
        snprintf(s + n, 64 - n, "%s%s", n ? "," : "", column);
    }
    return 0;
}

/* The live schema's columns, in their order. */
static void columns_of_the_live_schema(void **state)
{
    struct store *st = E(state)->st;
    char cols[64] = "";
    assert_int_equal(st->drv->columns(st, column_cb, cols), PHR_OK);
    assert_string_equal(cols, "k,i,b,t");
}

/* RETENTION is held by one connection at a time: another's try is
 * PHR_EBUSY until the holder's transaction ends. SQLite has one writer
 * connection per file, whose BEGIN IMMEDIATE already excludes the other. */
static void retention_is_held_once(void **state)
{
    struct engine *e = E(state);
    struct store *other = NULL;
    assert_int_equal(store_begin(e->st), PHR_OK);
    assert_int_equal(e->st->drv->lock(e->st, DB_LOCK_RETENTION), PHR_OK);
    if (e->st->drv->dialect == DB_POSTGRES) {
        assert_int_equal(store_open(e->inner, 0, &other), PHR_OK);
        assert_int_equal(store_begin_read(other), PHR_OK);
        assert_int_equal(other->drv->lock(other, DB_LOCK_RETENTION), PHR_EBUSY);
        assert_int_equal(store_rollback(other), PHR_OK);
    }
    assert_int_equal(store_commit(e->st), PHR_OK);
    if (other) {
        assert_int_equal(store_begin_read(other), PHR_OK);
        assert_int_equal(other->drv->lock(other, DB_LOCK_RETENTION), PHR_OK);
        assert_int_equal(store_rollback(other), PHR_OK);
        store_close(other);
    }
}

static int int_cb(void *arg, const struct db_row *r)
{
    *(int64_t *)arg = db_int(r, 0);
    return 0;
}

/* A connection lost between transactions is opened again, nothing lost;
 * lost inside one, the transaction fails (PHR_EIO) and is not committed. */
static void a_lost_connection_is_opened_again(void **state)
{
    struct engine *e = E(state);
    struct store *killer = NULL;
    assert_int_equal(store_open(e->inner, 0, &killer), PHR_OK);
    static struct db_stmt pid = DB_STMT("contract_pid", "SELECT pg_backend_pid()");
    static struct db_stmt kill =
        DB_STMT("contract_kill", "SELECT CASE WHEN pg_terminate_backend(CAST(?1 AS INTEGER)) THEN 1 ELSE 0 END");
    int64_t victim = 0, killed = 0;

    assert_int_equal(db_run(e->st, &pid, DB_NO_ARGS, int_cb, &victim, NULL), PHR_OK);
    assert_int_equal(db_run(killer, &kill, DB_ARGS(DB_INT(victim)), int_cb, &killed, NULL), PHR_OK);
    assert_int_equal(killed, 1);
    usleep(100 * 1000);
    assert_int_equal(put_row(e->st, "after", 1), PHR_OK);

    assert_int_equal(store_begin(e->st), PHR_OK);
    assert_int_equal(put_row(e->st, "lost", 1), PHR_OK);
    assert_int_equal(db_run(e->st, &pid, DB_NO_ARGS, int_cb, &victim, NULL), PHR_OK);
    assert_int_equal(db_run(killer, &kill, DB_ARGS(DB_INT(victim)), int_cb, &killed, NULL), PHR_OK);
    usleep(100 * 1000);
    assert_int_equal(store_commit(e->st), PHR_EIO);
    assert_int_equal(store_rollback(e->st), PHR_OK);
    assert_string_equal(keys(e->st), "after");
    store_close(killer);
}

/* Statements are prepared once per session, in the same round trip as
 * their first run; with prepared=off nothing is left in the session (what
 * a pooler moving transactions between sessions needs). A prepared=
 * other than on or off is refused. */
static void statements_are_prepared_unless_off(void **state)
{
    struct engine *e = E(state);
    assert_int_equal(put_row(e->st, "a", 1), PHR_OK);
    assert_int_equal(put_row(e->st, "b", 2), PHR_OK);
    int64_t n = -1;
    assert_int_equal(e->st->drv->run(e->st, NULL,
                                     "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE"
                                     " 'INSERT INTO contract_t%'",
                                     NULL, 0, int_cb, &n, NULL),
                     PHR_OK);
    assert_int_equal(n, e->unnamed ? 0 : 1);
    struct store *bad = NULL;
    char *maybe = joined(e->inner, e->unnamed ? "&" : "?", "prepared=maybe");
    assert_int_equal(store_open(maybe, 0, &bad), PHR_EINVAL);
    assert_null(bad);
    free(maybe);
}

/* A session that loses the statements named in it (a pooler moved the
 * transaction to another server session): the transaction that finds out
 * fails as busy (nothing done; it may be sent again) and the connection
 * sends every statement unnamed from then on. */
static void a_lost_named_statement_turns_the_connection_unnamed(void **state)
{
    struct engine *e = E(state);
    assert_int_equal(put_row(e->st, "a", 1), PHR_OK);
    assert_int_equal(e->st->drv->run(e->st, NULL, "DEALLOCATE ALL", NULL, 0, NULL, NULL, NULL), PHR_OK);
    assert_int_equal(store_begin(e->st), PHR_OK);
    int rc = put_row(e->st, "b", 2);
    assert_int_equal(rc, e->unnamed ? PHR_OK : PHR_EBUSY);
    assert_int_equal(store_rollback(e->st), PHR_OK);
    assert_int_equal(put_row(e->st, "c", 3), PHR_OK);
    assert_int_equal(put_row(e->st, "d", 4), PHR_OK);
    int64_t n = -1;
    assert_int_equal(e->st->drv->run(e->st, NULL,
                                     "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE"
                                     " 'INSERT INTO contract_t%'",
                                     NULL, 0, int_cb, &n, NULL),
                     PHR_OK);
    assert_int_equal(n, 0);
    assert_string_equal(keys(e->st), "a,c,d");
}

/* The fault driver fails the Nth call after its plan was written, as the
 * plan says, and marks the plan fired; "lost" fails every call until the
 * next transaction. The real store behind it is untouched by the failed
 * call. */
static void write_plan(struct engine *e, const char *text)
{
    FILE *f = fopen(e->plan, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* Calls counted: store_begin is two (BEGIN, the writer's lock), a
 * statement one. */
static void the_fault_driver_fails_the_nth_call(void **state)
{
    struct engine *e = E(state);
    write_plan(e, "4 io");
    assert_int_equal(store_begin(e->st), PHR_OK);
    assert_int_equal(put_row(e->st, "a", 1), PHR_OK);
    assert_int_equal(put_row(e->st, "b", 1), PHR_EIO);
    assert_int_equal(store_rollback(e->st), PHR_OK);
    char *fired = joined(e->plan, ".fired", "");
    assert_int_equal(access(fired, F_OK), 0);
    assert_int_equal(access(e->plan, F_OK), -1);
    free(fired);
    assert_string_equal(keys(e->st), "");

    write_plan(e, "1 busy");
    assert_int_equal(store_begin(e->st), PHR_EBUSY);

    write_plan(e, "3 lost");
    assert_int_equal(store_begin(e->st), PHR_OK);
    for (int i = 0; i < 3; i++)
        assert_int_equal(put_row(e->st, "x", i), PHR_EIO);
    assert_int_equal(store_rollback(e->st), PHR_OK);
    assert_int_equal(store_begin(e->st), PHR_OK);
    assert_int_equal(put_row(e->st, "y", 1), PHR_OK);
    assert_int_equal(store_commit(e->st), PHR_OK);
    assert_string_equal(keys(e->st), "y");
}

#define CONTRACT                                                                                                      \
    cmocka_unit_test_setup(values_keep_their_type, empty_table),                                                      \
        cmocka_unit_test_setup(counts_and_stopping, empty_table),                                                     \
        cmocka_unit_test_setup(a_conflict_is_a_conflict, empty_table),                                                \
        cmocka_unit_test_setup(transactions_are_whole, empty_table),                                                  \
        cmocka_unit_test_setup(a_failed_job_leaves_the_batch, empty_table),                                           \
        cmocka_unit_test_setup(a_deferred_failure_fails_the_job, empty_table),                                        \
        cmocka_unit_test_setup(columns_of_the_live_schema, empty_table),                                              \
        cmocka_unit_test_setup(retention_is_held_once, empty_table)
/* An embedded file has no connection to lose. */
#define CONNECTED                                                                                                     \
    cmocka_unit_test_setup(a_lost_connection_is_opened_again, empty_table),                                           \
        cmocka_unit_test_setup(statements_are_prepared_unless_off, empty_table),                                      \
        cmocka_unit_test_setup(a_lost_named_statement_turns_the_connection_unnamed, empty_table)
#define FAULTY cmocka_unit_test_setup(the_fault_driver_fails_the_nth_call, empty_table)

int main(void)
{
    const struct CMUnitTest sqlite[] = {CONTRACT};
    const struct CMUnitTest pg[] = {CONTRACT, CONNECTED};
    const struct CMUnitTest fault_sqlite[] = {CONTRACT, FAULTY};
    const struct CMUnitTest fault_pg[] = {CONTRACT, CONNECTED, FAULTY};
    int failed = 0;
    failed += cmocka_run_group_tests_name("sqlite", sqlite, sqlite_setup, engine_teardown);
    failed += cmocka_run_group_tests_name("postgresql", pg, pg_setup, engine_teardown);
    failed += cmocka_run_group_tests_name("postgresql, prepared=off", pg, pg_unnamed_setup, engine_teardown);
    failed += cmocka_run_group_tests_name("fault over sqlite", fault_sqlite, fault_sqlite_setup, engine_teardown);
    failed += cmocka_run_group_tests_name("fault over postgresql", fault_pg, fault_pg_setup, engine_teardown);
    return failed;
}
