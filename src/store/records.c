/* Records, written once over the driver. "rowid" is the order of writing:
 * SQLite's own, a column of that name on PostgreSQL (an identity). */
#include "store/records.h"

#include <stdio.h>
#include <stdlib.h>

#include "store/internal.h"
#include "util/buf.h"

#define RECORD_COLS                                                                            \
    "id, version, person_id, resource_type, code_system, code, category, effective_start,"   \
    " effective_end, data_category, source, recorded_at, recorded_by, channel, original_mac," \
    " alg, body, original, current, data_kind"

static struct db_stmt insert = DB_STMT_DEFER(
    "record_insert", "INSERT INTO records(" RECORD_COLS ", identifier_system, identifier_value) VALUES(?1, ?2, ?3,"
                     " ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22)");
static struct db_stmt get_current = DB_STMT(
    "record_get", "SELECT " RECORD_COLS " FROM records WHERE id = ?1 AND current = 1");
static struct db_stmt get_version = DB_STMT(
    "record_get_version", "SELECT " RECORD_COLS " FROM records WHERE id = ?1 AND version = ?2");
static struct db_stmt supersede = DB_STMT(
    "record_supersede", "UPDATE records SET current = 0 WHERE id = ?1 AND version = ?2 AND current = 1");
/* The version that replaced it, named by its place in the order of
 * writing, so that a search can still find the replaced one where it stood
 * for a walk of pages begun before. */
static struct db_stmt replaced_by = DB_STMT(
    "record_replaced_by", "UPDATE records SET superseded_by = (SELECT rowid FROM records WHERE id = ?1 AND version = ?2)"
                          " WHERE id = ?1 AND version = ?2 - 1");
static struct db_stmt history = DB_STMT(
    "record_history", "SELECT " RECORD_COLS " FROM records WHERE id = ?1 ORDER BY version DESC");
static struct db_stmt by_original = DB_STMT(
    "record_by_original", "SELECT id FROM records WHERE person_id = ?1 AND resource_type = ?2 AND current = 1"
                          " AND original_mac = ?3 LIMIT 1");
static struct db_stmt page = DB_STMT(
    "record_page", "SELECT " RECORD_COLS ", rowid FROM records WHERE (?1 IS NULL OR person_id = ?1)"
                   " AND rowid > ?2 ORDER BY rowid LIMIT ?3");
/* Current versions only: the search index reaches exactly the person's
 * rows, where the scan above reads the table from the cursor on. The
 * page's rowids are sorted from the index alone, then only those rows read:
 * sorting whole rows read every remaining row of the person for each page
 * (2.4 times slower over a Bulk export, docs/benchmarks.md). PostgreSQL
 * plans this itself. */
static struct db_stmt page_current = DB_STMT2(
    "record_page_current",
    "SELECT " RECORD_COLS ", rowid FROM records WHERE rowid IN (SELECT rowid FROM records INDEXED BY"
    " records_search WHERE person_id = ?1 AND current = 1 AND rowid > ?2 ORDER BY rowid LIMIT ?3) ORDER BY rowid",
    "SELECT " RECORD_COLS ", rowid FROM records WHERE person_id = ?1 AND current = 1 AND rowid > ?2"
    " ORDER BY rowid LIMIT ?3");
static struct db_stmt unclassified = DB_STMT2(
    "record_unclassified",
    "SELECT " RECORD_COLS " FROM records INDEXED BY records_unclassified WHERE data_kind IS NULL LIMIT ?1",
    "SELECT " RECORD_COLS " FROM records WHERE data_kind IS NULL LIMIT ?1");
static struct db_stmt classify = DB_STMT(
    "record_classify", "UPDATE records SET data_kind = ?1 WHERE id = ?2 AND version = ?3 AND data_kind IS NULL");

int store_record_insert(struct store *st, const struct record_row *r)
{
    if (!r->data_kind)
        return PHR_EINVAL; /* every record is written with its kind: the gate decides on it */
    return st_exec(st, &insert,
                   DB_ARGS(DB_STR(r->id), DB_INT(r->version), DB_STR(r->person_id), DB_STR(r->resource_type),
                           DB_STR(r->code_system), DB_STR(r->code), DB_STR(r->category), DB_INT(r->effective_start),
                           DB_INT(r->effective_end), DB_INT(r->data_category), DB_STR(r->source),
                           DB_INT(r->recorded_at), DB_STR(r->recorded_by), DB_STR(r->channel),
                           DB_BLOB(r->original_mac, SHA256_BYTES), DB_INT(r->alg), DB_BLOB(r->body, r->body_len),
                           DB_BLOB(r->original, r->original_len), DB_INT(r->current), DB_STR(r->data_kind),
                           DB_STR(r->identifier_system), DB_STR(r->identifier_value)));
}

static void record_of(const struct db_row *q, struct record_row *r)
{
    size_t mac_len;
    r->id = db_text(q, 0);
    r->version = (int)db_int(q, 1);
    r->person_id = db_text(q, 2);
    r->resource_type = db_text(q, 3);
    r->code_system = db_text(q, 4);
    r->code = db_text(q, 5);
    r->category = db_text(q, 6);
    r->effective_start = db_int(q, 7);
    r->effective_end = db_int(q, 8);
    r->data_category = (int)db_int(q, 9);
    r->source = db_text(q, 10);
    r->recorded_at = db_int(q, 11);
    r->recorded_by = db_text(q, 12);
    r->channel = db_text(q, 13);
    r->original_mac = db_bytes(q, 14, &mac_len);
    r->alg = (int)db_int(q, 15);
    r->body = db_bytes(q, 16, &r->body_len);
    r->original = db_bytes(q, 17, &r->original_len);
    r->current = (int)db_int(q, 18);
    r->data_kind = db_text(q, 19);
}

struct each {
    record_cb cb;
    void *arg;
    int paged;      /* the statement selects the rowid after the record's columns */
    int64_t last;   /* then: the cursor after the last row */
    int64_t *taken; /* a search: where the last rowid written goes (column 23) */
};

static int each_record(void *arg, const struct db_row *q)
{
    struct each *e = arg;
    struct record_row r = {0};
    record_of(q, &r);
    if (e->paged)
        e->last = r.rowid = db_int(q, 20);
    if (e->taken)
        *e->taken = db_int(q, 22);
    return e->cb(e->arg, &r);
}

int store_record_get(struct store *st, const char *id, int version, record_cb cb, void *arg)
{
    struct each e = {cb, arg, 0, 0, NULL};
    if (version)
        return st_rows(st, &get_version, DB_ARGS(DB_STR(id), DB_INT(version)), each_record, &e, 1);
    return st_rows(st, &get_current, DB_ARGS(DB_STR(id)), each_record, &e, 1);
}

int store_record_supersede(struct store *st, const char *id, int version)
{
    return st_one_changed(st, &supersede, DB_ARGS(DB_STR(id), DB_INT(version)), PHR_ECONFLICT);
}

int store_record_replaced(struct store *st, const char *id, int version)
{
    return st_one_changed(st, &replaced_by, DB_ARGS(DB_STR(id), DB_INT(version)), PHR_ENOTFOUND);
}

int store_record_history(struct store *st, const char *id, record_cb cb, void *arg)
{
    struct each e = {cb, arg, 0, 0, NULL};
    return st_rows(st, &history, DB_ARGS(DB_STR(id)), each_record, &e, 1);
}

static int id_of(void *arg, const struct db_row *r)
{
    snprintf(arg, 37, "%s", db_text(r, 0));
    return 0;
}

int store_record_by_original(struct store *st, const char *person, const char *type, const unsigned char mac[32],
                             char id[37])
{
    return st_rows(st, &by_original, DB_ARGS(DB_STR(person), DB_STR(type), DB_BLOB(mac, 32)), id_of, id, 1);
}

static struct db_stmt counts = DB_STMT(
    "record_counts", "SELECT resource_type, data_kind, count(*) FROM records WHERE person_id = ?1 AND current = 1"
                     " AND recorded_at > ?2 AND recorded_at <= ?3 GROUP BY resource_type, data_kind");

static int counted_of(void *arg, const struct db_row *r)
{
    return ST_CALL((struct st_cb *)arg, int (*)(void *, const char *, const char *, int64_t), db_text(r, 0),
                   db_text(r, 1), db_int(r, 2));
}

int store_record_counts(struct store *st, const char *person, int64_t after, int64_t until,
                        int (*cb)(void *, const char *type, const char *data_kind, int64_t n), void *arg)
{
    return st_rows(st, &counts, DB_ARGS(DB_STR(person), DB_INT(after), DB_INT(until)), counted_of, ST_CB(cb, arg), 0);
}

int store_record_page(struct store *st, const char *person, int current_only, int64_t after, int limit, record_cb cb,
                      void *arg, int64_t *last)
{
    struct each e = {cb, arg, 1, after, NULL};
    int err = st_rows(st, current_only ? &page_current : &page,
                      DB_ARGS(DB_STR(person), DB_INT(after), DB_INT(limit)), each_record, &e, 0);
    *last = e.last;
    return err;
}

int store_record_unclassified(struct store *st, int limit, record_cb cb, void *arg)
{
    struct each e = {cb, arg, 0, 0, NULL};
    return st_rows(st, &unclassified, DB_ARGS(DB_INT(limit)), each_record, &e, 0);
}

int store_record_classify(struct store *st, const char *id, int version, const char *data_kind)
{
    return st_exec(st, &classify, DB_ARGS(DB_STR(data_kind), DB_STR(id), DB_INT(version)));
}

/* A search is the one statement whose text depends on the request: the
 * WHERE clause names only the conditions given, and its parameters follow
 * in the same order. The date predicates follow FHIR's range semantics
 * (the record's [start, end] against the parameter's [lo, hi]). */
struct search_sql {
    struct buf sql;
    struct db_val *args;
    int n, cap;
};

static void arg(struct search_sql *s, struct db_val v)
{
    if (s->n == s->cap) {
        int cap = s->cap ? s->cap * 2 : 32;
        struct db_val *p = realloc(s->args, (size_t)cap * sizeof *p);
        if (!p) {
            s->sql.failed = 1; /* checked once, with the text */
            return;
        }
        s->args = p;
        s->cap = cap;
    }
    s->args[s->n++] = v;
}

static void sql_free(struct search_sql *s)
{
    buf_free(&s->sql);
    free(s->args);
}

/* One token parameter: any of its values, or (not) none. A value names a
 * code, a system, or both ("|code": no system). Under NOT, a record with
 * no code at all is one of "none" (COALESCE: NULL compares as ''). */
static void token_filter(const struct token_cond *t, struct search_sql *s)
{
    static const char *const column[] = {[TOKEN_CODE] = "code", [TOKEN_CATEGORY] = "category", [TOKEN_ID] = "id",
                                         [TOKEN_IDENTIFIER] = "identifier_value"};
    static const char *const system[] = {[TOKEN_CODE] = "code_system", [TOKEN_IDENTIFIER] = "identifier_system"};
    buf_puts(&s->sql, t->not ? " AND NOT COALESCE((" : " AND (");
    for (int i = 0; i < t->n; i++) {
        const struct token_value *v = &t->v[i];
        const char *and = "";
        buf_puts(&s->sql, i ? " OR (" : "(");
        if (v->code) {
            buf_printf(&s->sql, t->not ? "COALESCE(%s, '') = ?" : "%s = ?", column[t->on]);
            arg(s, DB_STR(v->code));
            and = " AND ";
        }
        if (system[t->on] && v->no_system) {
            buf_printf(&s->sql, "%s%s IS NULL", and, system[t->on]);
        } else if (system[t->on] && v->system) {
            buf_printf(&s->sql, "%s%s = ?", and, system[t->on]);
            arg(s, DB_STR(v->system));
        }
        buf_puts(&s->sql, ")");
    }
    buf_puts(&s->sql, t->not ? "), FALSE)" : ")");
}

/* FHIR's range comparisons; ap is eq widened by the client's bounds. */
static void date_filter(const struct date_cond *c, struct search_sql *s)
{
    const char *start = c->when ? "recorded_at" : "effective_start";
    const char *end = c->when ? "recorded_at" : "effective_end";
    switch (c->op) {
    case DATE_EQ:
    case DATE_NE:
        buf_printf(&s->sql, " AND %s(%s >= ? AND %s <= ?)", c->op == DATE_NE ? "NOT " : "", start, end);
        arg(s, DB_INT(c->lo));
        arg(s, DB_INT(c->hi));
        return;
    case DATE_AP:
        buf_printf(&s->sql, " AND %s <= ? AND %s >= ?", start, end);
        arg(s, DB_INT(c->hi));
        arg(s, DB_INT(c->lo));
        return;
    case DATE_GE: buf_printf(&s->sql, " AND %s >= ?", end); arg(s, DB_INT(c->lo)); return;
    case DATE_GT: buf_printf(&s->sql, " AND %s > ?", end); arg(s, DB_INT(c->hi)); return;
    case DATE_LE: buf_printf(&s->sql, " AND %s <= ?", start); arg(s, DB_INT(c->hi)); return;
    case DATE_LT: buf_printf(&s->sql, " AND %s < ?", start); arg(s, DB_INT(c->lo)); return;
    case DATE_SA: buf_printf(&s->sql, " AND %s > ?", start); arg(s, DB_INT(c->hi)); return;
    case DATE_EB: buf_printf(&s->sql, " AND %s < ?", end); arg(s, DB_INT(c->lo)); return;
    }
}

static void where_filters(const struct record_query *q, struct search_sql *s)
{
    buf_puts(&s->sql, " WHERE person_id = ?");
    arg(s, DB_STR(q->person_id));
    if (q->resource_type) {
        buf_puts(&s->sql, " AND resource_type = ?");
        arg(s, DB_STR(q->resource_type));
    } else if (q->types) {
        buf_puts(&s->sql, " AND instr(?, ',' || resource_type || ',') > 0");
        arg(s, DB_STR(q->types));
    }
    if (q->id) {
        buf_puts(&s->sql, " AND id = ?");
        arg(s, DB_STR(q->id));
    }
    if (q->kinds) {
        buf_puts(&s->sql, " AND instr(?, ',' || data_kind || ',') > 0");
        arg(s, DB_STR(q->kinds));
    }
    for (int i = 0; i < q->ntokens; i++)
        token_filter(&q->tokens[i], s);
    for (int d = 0; d < q->ndates; d++)
        date_filter(&q->dates[d], s);
}

/* Each sort key: its expression in a WHERE clause, and its column in the
 * search's select list (a compound SELECT orders by columns only). Codes
 * may be NULL, which the two engines order differently: '' instead. */
static const struct {
    const char *expr;
    int column, text;
} sort_keys[] = {
    [SORT_DATE] = {"effective_start", 8, 0},
    [SORT_LAST_UPDATED] = {"recorded_at", 12, 0},
    [SORT_CODE] = {"COALESCE(code, '')", 22, 1},
    [SORT_ID] = {"id", 1, 1},
};
#define ROWID_COLUMN 21

static const struct sort_term by_date = {SORT_DATE, 1};

static int term_desc(const struct record_query *q, int i)
{
    const struct sort_term *t = q->nsort ? &q->sort[i] : &by_date;
    return t->desc != q->backwards; /* backwards: every key the other way */
}

static void place_value(const struct record_query *q, struct search_sql *s, int i)
{
    if (i == (q->nsort ? q->nsort : 1))
        arg(s, DB_INT(q->after->rowid));
    else if (sort_keys[q->nsort ? q->sort[i].key : SORT_DATE].text)
        arg(s, DB_STR(q->after->texts[i]));
    else
        arg(s, DB_INT(q->after->ints[i]));
}

static const char *place_expr(const struct record_query *q, int i)
{
    return i == (q->nsort ? q->nsort : 1) ? "rowid" : sort_keys[q->nsort ? q->sort[i].key : SORT_DATE].expr;
}

/* Rows past q->after: (k1 beyond v1) OR (k1 = v1 AND k2 beyond v2) ... with
 * the rowid last (in the last key's direction), led by k1 not short of v1
 * so that an index on k1 bounds the scan. */
static void place_filter(const struct record_query *q, struct search_sql *s)
{
    int m = (q->nsort ? q->nsort : 1) + 1;
    buf_printf(&s->sql, " AND %s %s= ? AND (", place_expr(q, 0), term_desc(q, 0) ? "<" : ">");
    place_value(q, s, 0);
    for (int i = 0; i < m; i++) {
        buf_puts(&s->sql, i ? " OR (" : "(");
        for (int j = 0; j < i; j++) {
            buf_printf(&s->sql, "%s = ? AND ", place_expr(q, j));
            place_value(q, s, j);
        }
        buf_printf(&s->sql, "%s %s ?)", place_expr(q, i), term_desc(q, i < m - 1 ? i : m - 2) ? "<" : ">");
        place_value(q, s, i);
    }
    buf_puts(&s->sql, ")");
}

/* One branch of the search: the current versions written by the
 * snapshot, or (superseded) the versions replaced after it. */
static void branch(const struct record_query *q, struct search_sql *s, const char *what, int superseded)
{
    buf_printf(&s->sql, "SELECT %s FROM records", what);
    where_filters(q, s);
    if (!superseded) {
        buf_puts(&s->sql, " AND current = 1");
    } else {
        buf_puts(&s->sql, " AND current = 0 AND superseded_by > ?");
        arg(s, DB_INT(q->snapshot));
    }
    if (q->snapshot) {
        buf_puts(&s->sql, " AND rowid <= ?");
        arg(s, DB_INT(q->snapshot));
    }
    if (q->after)
        place_filter(q, s);
}

/* The versions a snapshot holds are the current ones written by then and
 * those replaced since: a record corrected during a walk of pages keeps the
 * place it had when the walk began, once. */
static int build(const struct record_query *q, struct search_sql *s, const char *head, const char *what)
{
    *s = (struct search_sql){0};
    buf_init(&s->sql);
    buf_puts(&s->sql, head);
    branch(q, s, what, 0);
    if (q->snapshot && q->replaced) {
        buf_puts(&s->sql, " UNION ALL ");
        branch(q, s, what, 1);
    }
    return buf_failed(&s->sql) ? PHR_ENOMEM : PHR_OK;
}

int store_record_search(struct store *st, const struct record_query *q, record_cb cb, void *arg_)
{
    struct search_sql s;
    int err = build(q, &s, "",
                    q->taken && !q->snapshot ? RECORD_COLS ", rowid, COALESCE(code, ''), (SELECT max(rowid) FROM records)"
                                             : RECORD_COLS ", rowid, COALESCE(code, '')");
    int m = q->nsort ? q->nsort : 1;
    for (int i = 0; i < m; i++)
        buf_printf(&s.sql, "%s%d %s", i ? ", " : " ORDER BY ", sort_keys[q->nsort ? q->sort[i].key : SORT_DATE].column,
                   term_desc(q, i) ? "DESC" : "ASC");
    if (buf_printf(&s.sql, ", %d %s LIMIT %d", ROWID_COLUMN, term_desc(q, m - 1) ? "DESC" : "ASC", q->count) ||
        buf_failed(&s.sql))
        err = PHR_ENOMEM;
    struct each e = {cb, arg_, 1, 0, q->taken && !q->snapshot ? q->taken : NULL};
    if (!err)
        err = st->drv->run(st, NULL, s.sql.data, s.args, s.n, each_record, &e, NULL);
    sql_free(&s);
    return err;
}

static int count_of(void *arg, const struct db_row *r)
{
    *(int64_t *)arg = db_int(r, 0);
    return 0;
}

int store_record_count(struct store *st, const struct record_query *q, int64_t *out)
{
    struct record_query all = *q;
    all.after = NULL;
    struct search_sql s;
    *out = 0;
    int err = build(&all, &s, "SELECT count(*) FROM (", "rowid");
    if (buf_puts(&s.sql, ") AS matched") || buf_failed(&s.sql))
        err = PHR_ENOMEM;
    if (!err)
        err = st->drv->run(st, NULL, s.sql.data, s.args, s.n, count_of, out, NULL);
    sql_free(&s);
    return err;
}

static struct db_stmt replaced_since = DB_STMT(
    "record_replaced_since", "SELECT count(*) FROM (SELECT 1 FROM records WHERE person_id = ?1 AND current = 0"
                             " AND superseded_by > ?2 LIMIT 1) AS any_replaced");

int store_record_replaced_since(struct store *st, const char *person, int64_t snapshot, int *any)
{
    int64_t n = 0;
    int err = st_int(st, &replaced_since, DB_ARGS(DB_STR(person), DB_INT(snapshot)), &n);
    *any = n > 0;
    return err;
}
