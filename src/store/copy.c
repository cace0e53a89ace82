/* Copying a store, written once over the driver: the columns come from the
 * source's live schema and each value keeps the type it has there, so the
 * same code copies SQLite to PostgreSQL and back. */
#include "store/copy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/internal.h"
#include "util/buf.h"
#include "util/log.h"

/* Parents before the rows that refer to them. A table of the live schema
 * missing here stops the copy: nothing is left behind unnoticed. */
static const char *const tables[] = {
    "persons", "data_keys", "sessions", "login_throttle", "records", "audit", "audit_checkpoints", "documents",
    "purposes", "purpose_current", "consents", "consent_state", "suspensions", "suspension_state", "recipients",
    "client_tokens", "client_assertions", "recipient_groups", "group_changes", "group_members", "agreements", "provisions", "staff",
    "staff_recovery", "staff_sessions", "access_reasons", "incidents", "rate_counts", "erasures", "notices",
    "terminations", "retention_runs", "checksheet_answers", "checksheet_assessments", "bulk_exports",
    "second_factors", "second_factor_codes", "demographics", "demographics_history", "anonymised_sets", "anonymised_provisions", "app_clients", "app_grants", "oauth_codes", "refresh_tokens",
};
#define NTABLES (sizeof tables / sizeof tables[0])

static struct db_stmt holds_data = DB_STMT(
    "copy_target_rows", "SELECT (SELECT count(*) FROM persons) + (SELECT count(*) FROM audit)"
                        " + (SELECT count(*) FROM documents) + (SELECT count(*) FROM staff)"
                        " + (SELECT count(*) FROM recipients)");
/* The identities PostgreSQL numbers itself continue after the copied rows. */
static struct db_stmt identities = DB_STMT2(
    "copy_identities", "SELECT 1",
    "DO $$ DECLARE c record; BEGIN FOR c IN SELECT table_name, column_name FROM information_schema.columns"
    " WHERE table_schema = 'public' AND is_identity = 'YES' AND identity_generation = 'BY DEFAULT' LOOP"
    " EXECUTE format('SELECT setval(pg_get_serial_sequence(%L, %L), coalesce((SELECT max(%I) FROM %I), 0) + 1,"
    " false)', c.table_name, c.column_name, c.column_name, c.table_name); END LOOP; END $$");

/* The rowids change in a copy (their order does not): a version replaced
 * before it predates every walk of pages on the copy, as before migration
 * 26. */
static struct db_stmt replaced_before = DB_STMT(
    "copy_replaced_before", "UPDATE records SET superseded_by = NULL WHERE superseded_by IS NOT NULL");

/* PostgreSQL plans by the statistics its autovacuum gathers, a minute or
 * more after a table grows: a store just filled would meanwhile be read
 * with plans made for empty tables (seconds per read instead of
 * microseconds). SQLite plans without them. */
static struct db_stmt statistics = DB_STMT2("copy_statistics", "SELECT 1", "ANALYZE");

struct schema {
    struct buf cols[NTABLES];   /* comma-separated */
    int ncols[NTABLES];
    int unknown;                /* a table of the schema this file does not know */
    char unknown_name[64];
};

static int column_of(void *arg, const char *table, const char *column)
{
    struct schema *s = arg;
    for (size_t i = 0; i < NTABLES; i++) {
        if (strcmp(tables[i], table))
            continue;
        /* Quoted: a column may be a word one engine reserves ("window"). */
        buf_printf(&s->cols[i], "%s\"%s\"", s->ncols[i]++ ? ", " : "", column);
        return buf_failed(&s->cols[i]) ? PHR_ENOMEM : PHR_OK;
    }
    s->unknown = 1;
    snprintf(s->unknown_name, sizeof s->unknown_name, "%s", table);
    return PHR_OK;
}

struct copying {
    struct store *to;
    struct db_stmt *insert;
    int ncols;
    const char *table;
    int64_t done, total;
    store_copy_progress progress;
    void *arg;
    struct db_val *vals;
};

static int row_copied(void *arg, const struct db_row *r)
{
    struct copying *c = arg;
    for (int i = 0; i < c->ncols; i++) {
        size_t n;
        switch (db_type_of(r, i)) {
        case DB_INTEGER: c->vals[i] = DB_INT(db_int(r, i)); break;
        case DB_TEXT: c->vals[i] = DB_STR(db_text(r, i)); break;
        case DB_BYTES: {
            const void *p = db_bytes(r, i, &n);
            c->vals[i] = DB_BLOB(p ? p : "", n);
            break;
        }
        case DB_NULL: c->vals[i] = DB_NULL_VAL; break;
        }
    }
    int err = st_exec(c->to, c->insert, c->vals, c->ncols);
    if (!err && ++c->done % 1000 == 0 && c->progress)
        c->progress(c->arg, c->table, c->done, c->total);
    return err;
}

/* One table: its rows counted, then read in the order they were written
 * where that order is kept, and each inserted. */
static int copy_table(struct store *from, struct store *to, size_t t, struct schema *s,
                      store_copy_progress progress, void *arg, int64_t *rows)
{
    const char *name = tables[t];
    const char *qualified = strcmp(name, "data_keys") ? name : "ks.data_keys";
    int ordered = !strcmp(name, "records") || !strcmp(name, "purpose_current");
    struct buf select, count, insert;
    buf_init(&select);
    buf_init(&count);
    buf_init(&insert);
    buf_printf(&select, "SELECT %s FROM %s%s", buf_cstr(&s->cols[t]), qualified,
               ordered ? " ORDER BY rowid" : "");
    buf_printf(&count, "SELECT count(*) FROM %s", qualified);
    buf_printf(&insert, "INSERT INTO %s(%s) VALUES(", qualified, buf_cstr(&s->cols[t]));
    for (int i = 0; i < s->ncols[t]; i++)
        buf_printf(&insert, "%s?%d", i ? ", " : "", i + 1);
    buf_puts(&insert, ")");
    struct db_stmt stmt = {.name = "copy_insert", .sql = buf_cstr(&insert)};
    struct copying c = {.to = to, .insert = &stmt, .ncols = s->ncols[t], .table = name, .progress = progress,
                        .arg = arg, .vals = calloc((size_t)s->ncols[t] + 1, sizeof *c.vals)};
    int err = buf_failed(&select) || buf_failed(&count) || buf_failed(&insert) || !c.vals ? PHR_ENOMEM : PHR_OK;
    if (!err) {
        struct db_stmt counting = {.name = "copy_count", .sql = count.data};
        err = st_int(from, &counting, DB_NO_ARGS, &c.total);
    }
    if (!err)
        err = from->drv->run(from, NULL, select.data, NULL, 0, row_copied, &c, NULL);
    if (!err && progress)
        progress(arg, name, c.done, c.total);
    *rows += c.done;
    free(c.vals);
    buf_free(&select);
    buf_free(&count);
    buf_free(&insert);
    return err;
}

int store_copy(struct store *from, struct store *to, store_copy_progress progress, void *arg, int64_t *rows)
{
    struct schema s = {0};
    int64_t held = 0;
    *rows = 0;
    for (size_t i = 0; i < NTABLES; i++)
        buf_init(&s.cols[i]);
    int err = from->drv->columns(from, column_of, &s);
    if (!err && s.unknown) {
        log_event(LOG_ERROR, "store.copy", "unknown_table", s.unknown_name, NULL);
        err = PHR_EINVAL;
    }
    int reading = 0, writing = 0;
    if (!err && (err = store_begin_read(from)) == PHR_OK)
        reading = 1;
    if (!err && (err = store_begin(to)) == PHR_OK)
        writing = 1;
    if (!err)
        err = st_int(to, &holds_data, DB_NO_ARGS, &held);
    if (!err && held)
        err = PHR_EEXIST;
    for (size_t t = 0; !err && t < NTABLES; t++)
        err = s.ncols[t] ? copy_table(from, to, t, &s, progress, arg, rows) : PHR_EINVAL;
    if (!err)
        err = st_exec(to, &identities, DB_NO_ARGS);
    if (!err)
        err = st_exec(to, &replaced_before, DB_NO_ARGS);
    if (writing && !err)
        err = store_commit(to);
    else if (writing)
        store_rollback(to);
    if (reading)
        store_commit(from);
    if (!err)
        err = st_exec(to, &statistics, DB_NO_ARGS);
    for (size_t i = 0; i < NTABLES; i++)
        buf_free(&s.cols[i]);
    return err;
}
