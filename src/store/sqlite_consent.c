/* The consent operations of the SQLite backend: published documents and
 * purposes, the consent and suspension ledgers and their current state.
 *
 * Each append writes the ledger row and the state row in one statement
 * pair inside the caller's transaction, so the state can never be ahead of
 * or behind the history it is derived from. */
#include <stdio.h>
#include <string.h>

#include "store/sqlite_internal.h"
#include "util/err.h"

enum {
    C_DOC_INSERT, C_DOC_CURRENT, C_DOC_VERSIONS,
    C_PURPOSE_INSERT, C_PURPOSE_CURRENT_PUT, C_PURPOSE_CURRENT,
    C_CONSENT_INSERT, C_CONSENT_STATE_PUT, C_CONSENT_HISTORY, C_CONSENT_STATE, C_FACTS,
    C_SUSP_IS, C_SUSP_INSERT, C_SUSP_STATE_ADD, C_SUSP_STATE_DEL, C_SUSP_HISTORY,
    C_COUNT
};
_Static_assert(C_COUNT <= SQ_CONSENT_STMTS, "raise SQ_CONSENT_STMTS");

#define DOC_COLS "kind, version, lang, title, body, sha256, effective_at, published_at, export_days"
#define CONSENT_COLS \
    "seq, person_id, purpose, purpose_version, decision, at, channel, recorded_by, documents, countries"
#define SUSP_COLS "seq, person_id, purpose, action, at, channel, recorded_by"

static const char *const sql[C_COUNT] = {
    [C_DOC_INSERT] = "INSERT INTO documents(" DOC_COLS ") VALUES(?,?,?,?,?,?,?,?,?)",
    /* A version of a kind is the set of its translations: one dropped from
     * a new version is no longer in force. */
    [C_DOC_VERSIONS] = "SELECT " DOC_COLS " FROM documents WHERE kind = ? ORDER BY version DESC, lang",
    [C_DOC_CURRENT] = "SELECT " DOC_COLS " FROM documents d WHERE version ="
                      " (SELECT max(version) FROM documents e WHERE e.kind = d.kind)"
                      " ORDER BY kind, lang",
    [C_PURPOSE_INSERT] = "INSERT INTO purposes(code, version, required, title_ja, title_en, description_ja,"
                         " description_en, change, published_at, recipient_group, kinds)"
                         " VALUES(?,?,?,?,?,?,?,?,?,?,?)",
    /* A minor change keeps the version consents must reach; any other moves it. */
    [C_PURPOSE_CURRENT_PUT] = "INSERT INTO purpose_current(code, version, covered_from, required, retired)"
                              " VALUES(?1, ?2, ?2, ?3, ?4 = 'retired') ON CONFLICT(code) DO UPDATE SET"
                              " version = excluded.version, required = excluded.required,"
                              " retired = excluded.retired, covered_from = CASE WHEN ?4 = 'minor'"
                              " THEN covered_from ELSE excluded.version END",
    [C_PURPOSE_CURRENT] = "SELECT p.code, p.version, p.required, p.title_ja, p.title_en, p.description_ja,"
                          " p.description_en, p.change, p.published_at, c.covered_from, p.recipient_group, p.kinds"
                          " FROM purpose_current c JOIN purposes p ON p.code = c.code AND p.version = c.version"
                          " ORDER BY c.rowid",
    [C_CONSENT_INSERT] = "INSERT INTO consents(person_id, purpose, purpose_version, decision, at, channel,"
                         " recorded_by, documents, countries) VALUES(?,?,?,?,?,?,?,?,?)",
    [C_CONSENT_STATE_PUT] = "INSERT INTO consent_state(person_id, purpose, purpose_version, decision, at, seq)"
                            " VALUES(?,?,?,?,?,?) ON CONFLICT(person_id, purpose) DO UPDATE SET"
                            " purpose_version = excluded.purpose_version, decision = excluded.decision,"
                            " at = excluded.at, seq = excluded.seq",
    [C_CONSENT_HISTORY] = "SELECT " CONSENT_COLS " FROM consents WHERE person_id = ? ORDER BY seq",
    [C_CONSENT_STATE] = "SELECT l.seq, l.person_id, l.purpose, l.purpose_version, l.decision, l.at, l.channel,"
                        " l.recorded_by, l.documents, l.countries FROM consent_state c JOIN consents l ON l.seq = c.seq"
                        " WHERE c.person_id = ? ORDER BY l.purpose",
    /* Everything the gate asks about a person, in one step. */
    [C_FACTS] = "SELECT (SELECT count(*) FROM purpose_current WHERE required = 1 AND retired = 0),"
                " (SELECT p.code FROM purpose_current p LEFT JOIN consent_state c"
                "   ON c.person_id = ?1 AND c.purpose = p.code"
                "   WHERE p.required = 1 AND p.retired = 0 AND (c.decision IS NULL OR c.decision <> 'grant'"
                "   OR c.purpose_version < p.covered_from) ORDER BY p.rowid LIMIT 1),"
                " EXISTS (SELECT 1 FROM suspension_state x WHERE x.person_id = ?1 AND (x.purpose = '*'"
                "   OR x.purpose IN (SELECT code FROM purpose_current WHERE required = 1 AND retired = 0)))",
    [C_SUSP_IS] = "SELECT 1 FROM suspension_state WHERE person_id = ? AND purpose = ?",
    [C_SUSP_INSERT] = "INSERT INTO suspensions(person_id, purpose, action, at, channel, recorded_by)"
                      " VALUES(?,?,?,?,?,?)",
    [C_SUSP_STATE_ADD] = "INSERT INTO suspension_state(person_id, purpose, since) VALUES(?,?,?)",
    [C_SUSP_STATE_DEL] = "DELETE FROM suspension_state WHERE person_id = ? AND purpose = ?",
    [C_SUSP_HISTORY] = "SELECT " SUSP_COLS " FROM suspensions WHERE person_id = ? ORDER BY seq",
};

static sqlite3_stmt *prep(struct sqlite_store *s, int id)
{
    return sq_prep(s, &s->consent_stmt[id], sql[id]);
}

int sqc_document_insert(struct store *st, const struct document_row *d)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, C_DOC_INSERT);
    if (!q)
        return PHR_EIO;
    sq_bind_text(q, 1, d->kind);
    sqlite3_bind_int(q, 2, d->version);
    sq_bind_text(q, 3, d->lang);
    sq_bind_text(q, 4, d->title);
    sq_bind_text(q, 5, d->body);
    sq_bind_text(q, 6, d->sha256);
    sqlite3_bind_int64(q, 7, d->effective_at);
    sqlite3_bind_int64(q, 8, d->published_at);
    if (d->export_days)
        sqlite3_bind_int(q, 9, d->export_days);
    return sq_exec(s, q, "document_insert");
}

/* Steps q to the end, handing each row to each(); stops early (and returns
 * that code) when the callback returns non-zero. */
static int each_row(struct sqlite_store *s, sqlite3_stmt *q, const char *what,
                    int (*each)(sqlite3_stmt *q, const void *sink), const void *sink)
{
    int rc, err = PHR_OK;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if ((err = each(q, sink)) != 0)
            break;
    }
    if (err == PHR_OK && rc != SQLITE_DONE)
        err = sq_fail(s, rc, what);
    sqlite3_reset(q);
    return err;
}

struct doc_sink {
    int (*cb)(void *, const struct document_row *);
    void *arg;
};

static int doc_row(sqlite3_stmt *q, const void *sink)
{
    const struct doc_sink *k = sink;
    struct document_row d = {
        .kind = sq_text(q, 0),
        .version = sqlite3_column_int(q, 1),
        .lang = sq_text(q, 2),
        .title = sq_text(q, 3),
        .body = sq_text(q, 4),
        .sha256 = sq_text(q, 5),
        .export_days = sqlite3_column_int(q, 8),
        .effective_at = sqlite3_column_int64(q, 6),
        .published_at = sqlite3_column_int64(q, 7),
    };
    return k->cb(k->arg, &d);
}

int sqc_document_current(struct store *st, int (*cb)(void *, const struct document_row *), void *arg)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, C_DOC_CURRENT);
    return q ? each_row(s, q, "document_current", doc_row, &(struct doc_sink){cb, arg}) : PHR_EIO;
}

int sqc_document_versions(struct store *st, const char *kind, int (*cb)(void *, const struct document_row *), void *arg)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, C_DOC_VERSIONS);
    if (!q)
        return PHR_EIO;
    sq_bind_text(q, 1, kind);
    return each_row(s, q, "document_versions", doc_row, &(struct doc_sink){cb, arg});
}

int sqc_purpose_insert(struct store *st, const struct purpose_row *p)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, C_PURPOSE_INSERT);
    if (!q)
        return PHR_EIO;
    sq_bind_text(q, 1, p->code);
    sqlite3_bind_int(q, 2, p->version);
    sqlite3_bind_int(q, 3, p->required);
    sq_bind_text(q, 4, p->title_ja);
    sq_bind_text(q, 5, p->title_en);
    sq_bind_text(q, 6, p->description_ja);
    sq_bind_text(q, 7, p->description_en);
    sq_bind_text(q, 8, p->change);
    sqlite3_bind_int64(q, 9, p->published_at);
    sq_bind_text(q, 10, p->recipient_group);
    sq_bind_text(q, 11, p->kinds);
    int err = sq_exec(s, q, "purpose_insert");
    if (err)
        return err;
    if (!(q = prep(s, C_PURPOSE_CURRENT_PUT)))
        return PHR_EIO;
    sq_bind_text(q, 1, p->code);
    sqlite3_bind_int(q, 2, p->version);
    sqlite3_bind_int(q, 3, p->required);
    sq_bind_text(q, 4, p->change);
    return sq_exec(s, q, "purpose_current_put");
}

struct purpose_sink {
    int (*cb)(void *, const struct purpose_row *);
    void *arg;
};

static int purpose_row(sqlite3_stmt *q, const void *sink)
{
    const struct purpose_sink *k = sink;
    struct purpose_row p = {
        .code = sq_text(q, 0),
        .version = sqlite3_column_int(q, 1),
        .required = sqlite3_column_int(q, 2),
        .title_ja = sq_text(q, 3),
        .title_en = sq_text(q, 4),
        .description_ja = sq_text(q, 5),
        .description_en = sq_text(q, 6),
        .change = sq_text(q, 7),
        .published_at = sqlite3_column_int64(q, 8),
        .covered_from = sqlite3_column_int(q, 9),
        .recipient_group = sq_text(q, 10),
        .kinds = sq_text(q, 11),
    };
    return k->cb(k->arg, &p);
}

int sqc_purpose_current(struct store *st, int (*cb)(void *, const struct purpose_row *), void *arg)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, C_PURPOSE_CURRENT);
    return q ? each_row(s, q, "purpose_current", purpose_row, &(struct purpose_sink){cb, arg}) : PHR_EIO;
}

int sqc_consent_append(struct store *st, const struct consent_row *c)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, C_CONSENT_INSERT);
    if (!q)
        return PHR_EIO;
    sq_bind_text(q, 1, c->person_id);
    sq_bind_text(q, 2, c->purpose);
    sqlite3_bind_int(q, 3, c->purpose_version);
    sq_bind_text(q, 4, c->decision);
    sqlite3_bind_int64(q, 5, c->at);
    sq_bind_text(q, 6, c->channel);
    sq_bind_text(q, 7, c->recorded_by);
    sq_bind_text(q, 8, c->documents);
    sq_bind_text(q, 9, c->countries ? c->countries : "");
    int err = sq_exec(s, q, "consent_insert");
    if (err)
        return err;
    sqlite3_int64 seq = sqlite3_last_insert_rowid(s->db);
    if (!(q = prep(s, C_CONSENT_STATE_PUT)))
        return PHR_EIO;
    sq_bind_text(q, 1, c->person_id);
    sq_bind_text(q, 2, c->purpose);
    sqlite3_bind_int(q, 3, c->purpose_version);
    sq_bind_text(q, 4, c->decision);
    sqlite3_bind_int64(q, 5, c->at);
    sqlite3_bind_int64(q, 6, seq);
    return sq_exec(s, q, "consent_state_put");
}

struct consent_sink {
    int (*cb)(void *, const struct consent_row *);
    void *arg;
};

static int consent_row(sqlite3_stmt *q, const void *sink)
{
    const struct consent_sink *k = sink;
    struct consent_row c = {
        .seq = sqlite3_column_int64(q, 0),
        .person_id = sq_text(q, 1),
        .purpose = sq_text(q, 2),
        .purpose_version = sqlite3_column_int(q, 3),
        .decision = sq_text(q, 4),
        .at = sqlite3_column_int64(q, 5),
        .channel = sq_text(q, 6),
        .recorded_by = sq_text(q, 7),
        .documents = sq_text(q, 8),
        .countries = sq_text(q, 9),
    };
    return k->cb(k->arg, &c);
}

static int consent_list(struct store *st, int id, const char *what, const char *person_id,
                        int (*cb)(void *, const struct consent_row *), void *arg)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, id);
    if (!q)
        return PHR_EIO;
    sq_bind_text(q, 1, person_id);
    return each_row(s, q, what, consent_row, &(struct consent_sink){cb, arg});
}

int sqc_consent_history(struct store *st, const char *person_id,
                        int (*cb)(void *, const struct consent_row *), void *arg)
{
    return consent_list(st, C_CONSENT_HISTORY, "consent_history", person_id, cb, arg);
}

int sqc_consent_state(struct store *st, const char *person_id,
                      int (*cb)(void *, const struct consent_row *), void *arg)
{
    return consent_list(st, C_CONSENT_STATE, "consent_state", person_id, cb, arg);
}

int sqc_consent_facts(struct store *st, const char *person_id, struct consent_facts *out)
{
    struct sqlite_store *s = S(st);
    memset(out, 0, sizeof *out);
    sqlite3_stmt *q = prep(s, C_FACTS);
    if (!q)
        return PHR_EIO;
    sq_bind_text(q, 1, person_id);
    int rc = sqlite3_step(q);
    int err = PHR_OK;
    if (rc == SQLITE_ROW) {
        out->required_in_force = sqlite3_column_int(q, 0);
        const char *m = sq_text(q, 1);
        snprintf(out->missing, sizeof out->missing, "%s", m ? m : "");
        out->suspended_all = sqlite3_column_int(q, 2);
    } else {
        err = sq_fail(s, rc, "consent_facts");
    }
    sqlite3_reset(q);
    return err;
}

int sqc_suspension_append(struct store *st, const struct suspension_row *r)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, C_SUSP_IS);
    if (!q)
        return PHR_EIO;
    sq_bind_text(q, 1, r->person_id);
    sq_bind_text(q, 2, r->purpose);
    int rc = sqlite3_step(q);
    sqlite3_reset(q);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return sq_fail(s, rc, "suspension_is");
    int suspend = strcmp(r->action, "suspend") == 0;
    if ((rc == SQLITE_ROW) == suspend)
        return PHR_ECONFLICT;
    if (!(q = prep(s, C_SUSP_INSERT)))
        return PHR_EIO;
    sq_bind_text(q, 1, r->person_id);
    sq_bind_text(q, 2, r->purpose);
    sq_bind_text(q, 3, r->action);
    sqlite3_bind_int64(q, 4, r->at);
    sq_bind_text(q, 5, r->channel);
    sq_bind_text(q, 6, r->recorded_by);
    int err = sq_exec(s, q, "suspension_insert");
    if (err)
        return err;
    if (!(q = prep(s, suspend ? C_SUSP_STATE_ADD : C_SUSP_STATE_DEL)))
        return PHR_EIO;
    sq_bind_text(q, 1, r->person_id);
    sq_bind_text(q, 2, r->purpose);
    if (suspend)
        sqlite3_bind_int64(q, 3, r->at);
    return sq_exec(s, q, "suspension_state");
}

struct susp_sink {
    int (*cb)(void *, const struct suspension_row *);
    void *arg;
};

static int susp_row(sqlite3_stmt *q, const void *sink)
{
    const struct susp_sink *k = sink;
    struct suspension_row r = {
        .seq = sqlite3_column_int64(q, 0),
        .person_id = sq_text(q, 1),
        .purpose = sq_text(q, 2),
        .action = sq_text(q, 3),
        .at = sqlite3_column_int64(q, 4),
        .channel = sq_text(q, 5),
        .recorded_by = sq_text(q, 6),
    };
    return k->cb(k->arg, &r);
}

int sqc_suspension_history(struct store *st, const char *person_id,
                           int (*cb)(void *, const struct suspension_row *), void *arg)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, C_SUSP_HISTORY);
    if (!q)
        return PHR_EIO;
    sq_bind_text(q, 1, person_id);
    return each_row(s, q, "suspension_history", susp_row, &(struct susp_sink){cb, arg});
}
