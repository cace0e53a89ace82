/* Consent, written once over the driver. Each append writes the ledger row
 * and the state row inside the caller's transaction, so the state can
 * never be ahead of or behind the history it is derived from. */
#include "store/consent.h"

#include <stdio.h>
#include <string.h>

#include "store/internal.h"

#define DOC_COLS "kind, version, lang, title, body, sha256, effective_at, published_at, export_days"
#define CONSENT_COLS \
    "seq, person_id, purpose, purpose_version, decision, at, channel, recorded_by, documents, countries"
#define SUSP_COLS "seq, person_id, purpose, action, at, channel, recorded_by"

static struct db_stmt doc_insert = DB_STMT(
    "document_insert", "INSERT INTO documents(" DOC_COLS ") VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
/* A version of a kind is the set of its translations: one dropped from a
 * new version is no longer in force. */
static struct db_stmt doc_versions = DB_STMT(
    "document_versions", "SELECT " DOC_COLS " FROM documents WHERE kind = ?1 ORDER BY version DESC, lang");
static struct db_stmt doc_current = DB_STMT(
    "document_current", "SELECT " DOC_COLS " FROM documents d WHERE version ="
                        " (SELECT max(version) FROM documents e WHERE e.kind = d.kind) ORDER BY kind, lang");
static struct db_stmt purpose_insert = DB_STMT(
    "purpose_insert", "INSERT INTO purposes(code, version, required, title_ja, title_en, description_ja,"
                      " description_en, change, published_at, recipient_group, kinds)"
                      " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
/* A minor change keeps the version consents must reach; any other moves it. */
static struct db_stmt purpose_current_put = DB_STMT(
    "purpose_current_put", "INSERT INTO purpose_current(code, version, covered_from, required, retired)"
                           " VALUES(?1, ?2, ?2, ?3, CASE WHEN ?4 = 'retired' THEN 1 ELSE 0 END)"
                           " ON CONFLICT(code) DO UPDATE SET version = excluded.version,"
                           " required = excluded.required, retired = excluded.retired,"
                           " covered_from = CASE WHEN ?4 = 'minor' THEN purpose_current.covered_from"
                           " ELSE excluded.version END");
static struct db_stmt purpose_current = DB_STMT(
    "purpose_current", "SELECT p.code, p.version, p.required, p.title_ja, p.title_en, p.description_ja,"
                       " p.description_en, p.change, p.published_at, c.covered_from, p.recipient_group, p.kinds"
                       " FROM purpose_current c JOIN purposes p ON p.code = c.code AND p.version = c.version"
                       " ORDER BY c.rowid");
static struct db_stmt consent_insert = DB_STMT(
    "consent_insert", "INSERT INTO consents(person_id, purpose, purpose_version, decision, at, channel,"
                      " recorded_by, documents, countries) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
                      " RETURNING seq");
static struct db_stmt consent_state_put = DB_STMT_DEFER(
    "consent_state_put", "INSERT INTO consent_state(person_id, purpose, purpose_version, decision, at, seq)"
                         " VALUES(?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(person_id, purpose) DO UPDATE SET"
                         " purpose_version = excluded.purpose_version, decision = excluded.decision,"
                         " at = excluded.at, seq = excluded.seq");
static struct db_stmt consent_history = DB_STMT(
    "consent_history", "SELECT " CONSENT_COLS " FROM consents WHERE person_id = ?1 ORDER BY seq");
static struct db_stmt consent_state = DB_STMT(
    "consent_state", "SELECT l.seq, l.person_id, l.purpose, l.purpose_version, l.decision, l.at, l.channel,"
                     " l.recorded_by, l.documents, l.countries FROM consent_state c JOIN consents l ON l.seq = c.seq"
                     " WHERE c.person_id = ?1 ORDER BY l.purpose");
/* Everything the gate asks about a person, in one step. */
static struct db_stmt facts = DB_STMT(
    "consent_facts",
    "SELECT (SELECT count(*) FROM purpose_current WHERE required = 1 AND retired = 0),"
    " (SELECT p.code FROM purpose_current p LEFT JOIN consent_state c ON c.person_id = ?1 AND c.purpose = p.code"
    "   WHERE p.required = 1 AND p.retired = 0 AND (c.decision IS NULL OR c.decision <> 'grant'"
    "   OR c.purpose_version < p.covered_from) ORDER BY p.rowid LIMIT 1),"
    " CASE WHEN EXISTS (SELECT 1 FROM suspension_state x WHERE x.person_id = ?1 AND (x.purpose = '*'"
    "   OR x.purpose IN (SELECT code FROM purpose_current WHERE required = 1 AND retired = 0))) THEN 1 ELSE 0 END");
/* A live grant to the purpose (its version covering the current one, the
 * purpose not retired) and no suspension of it or of all use. */
static struct db_stmt in_use = DB_STMT(
    "purpose_in_use",
    "SELECT CASE WHEN EXISTS (SELECT 1 FROM consent_state c JOIN purpose_current p ON p.code = c.purpose"
    "   WHERE c.person_id = ?1 AND c.purpose = ?2 AND c.decision = 'grant' AND c.purpose_version >= p.covered_from"
    "   AND p.retired = 0)"
    " AND NOT EXISTS (SELECT 1 FROM suspension_state x WHERE x.person_id = ?1 AND (x.purpose = '*' OR x.purpose = ?2))"
    " THEN 1 ELSE 0 END");
static struct db_stmt susp_is = DB_STMT(
    "suspension_is", "SELECT 1 FROM suspension_state WHERE person_id = ?1 AND purpose = ?2");
static struct db_stmt susp_insert = DB_STMT(
    "suspension_insert", "INSERT INTO suspensions(person_id, purpose, action, at, channel, recorded_by)"
                         " VALUES(?1, ?2, ?3, ?4, ?5, ?6)");
static struct db_stmt susp_state_add = DB_STMT(
    "suspension_state_add", "INSERT INTO suspension_state(person_id, purpose, since) VALUES(?1, ?2, ?3)");
static struct db_stmt susp_state_del = DB_STMT(
    "suspension_state_del", "DELETE FROM suspension_state WHERE person_id = ?1 AND purpose = ?2");
static struct db_stmt susp_history = DB_STMT(
    "suspension_history", "SELECT " SUSP_COLS " FROM suspensions WHERE person_id = ?1 ORDER BY seq");

int store_document_insert(struct store *st, const struct document_row *d)
{
    return st_exec(st, &doc_insert,
                   DB_ARGS(DB_STR(d->kind), DB_INT(d->version), DB_STR(d->lang), DB_STR(d->title), DB_STR(d->body),
                           DB_STR(d->sha256), DB_INT(d->effective_at), DB_INT(d->published_at),
                           DB_INT_OR_NULL(d->export_days)));
}

static int doc_of(void *arg, const struct db_row *r)
{
    struct document_row d = {
        .kind = db_text(r, 0),
        .version = (int)db_int(r, 1),
        .lang = db_text(r, 2),
        .title = db_text(r, 3),
        .body = db_text(r, 4),
        .sha256 = db_text(r, 5),
        .effective_at = db_int(r, 6),
        .published_at = db_int(r, 7),
        .export_days = (int)db_int(r, 8),
    };
    return ST_CALL((struct st_cb *)arg, int (*)(void *, const struct document_row *), &d);
}

int store_document_current(struct store *st, int (*cb)(void *, const struct document_row *), void *arg)
{
    return st_rows(st, &doc_current, DB_NO_ARGS, doc_of, ST_CB(cb, arg), 0);
}

int store_document_versions(struct store *st, const char *kind, int (*cb)(void *, const struct document_row *),
                            void *arg)
{
    return st_rows(st, &doc_versions, DB_ARGS(DB_STR(kind)), doc_of, ST_CB(cb, arg), 0);
}

int store_purpose_insert(struct store *st, const struct purpose_row *p)
{
    int err = st_exec(st, &purpose_insert,
                      DB_ARGS(DB_STR(p->code), DB_INT(p->version), DB_INT(p->required), DB_STR(p->title_ja),
                              DB_STR(p->title_en), DB_STR(p->description_ja), DB_STR(p->description_en),
                              DB_STR(p->change), DB_INT(p->published_at), DB_STR(p->recipient_group),
                              DB_STR(p->kinds)));
    return err ? err
               : st_exec(st, &purpose_current_put,
                         DB_ARGS(DB_STR(p->code), DB_INT(p->version), DB_INT(p->required), DB_STR(p->change)));
}

static int purpose_of(void *arg, const struct db_row *r)
{
    struct purpose_row p = {
        .code = db_text(r, 0),
        .version = (int)db_int(r, 1),
        .required = (int)db_int(r, 2),
        .title_ja = db_text(r, 3),
        .title_en = db_text(r, 4),
        .description_ja = db_text(r, 5),
        .description_en = db_text(r, 6),
        .change = db_text(r, 7),
        .published_at = db_int(r, 8),
        .covered_from = (int)db_int(r, 9),
        .recipient_group = db_text(r, 10),
        .kinds = db_text(r, 11),
    };
    return ST_CALL((struct st_cb *)arg, int (*)(void *, const struct purpose_row *), &p);
}

int store_purpose_current(struct store *st, int (*cb)(void *, const struct purpose_row *), void *arg)
{
    return st_rows(st, &purpose_current, DB_NO_ARGS, purpose_of, ST_CB(cb, arg), 0);
}

int store_consent_append(struct store *st, const struct consent_row *c)
{
    int64_t seq;
    int err = st_int(st, &consent_insert,
                     DB_ARGS(DB_STR(c->person_id), DB_STR(c->purpose), DB_INT(c->purpose_version),
                             DB_STR(c->decision), DB_INT(c->at), DB_STR(c->channel), DB_STR(c->recorded_by),
                             DB_STR(c->documents), DB_STR(c->countries ? c->countries : "")),
                     &seq);
    return err ? err
               : st_exec(st, &consent_state_put,
                         DB_ARGS(DB_STR(c->person_id), DB_STR(c->purpose), DB_INT(c->purpose_version),
                                 DB_STR(c->decision), DB_INT(c->at), DB_INT(seq)));
}

static int consent_of(void *arg, const struct db_row *r)
{
    struct consent_row c = {
        .seq = db_int(r, 0),
        .person_id = db_text(r, 1),
        .purpose = db_text(r, 2),
        .purpose_version = (int)db_int(r, 3),
        .decision = db_text(r, 4),
        .at = db_int(r, 5),
        .channel = db_text(r, 6),
        .recorded_by = db_text(r, 7),
        .documents = db_text(r, 8),
        .countries = db_text(r, 9),
    };
    return ST_CALL((struct st_cb *)arg, int (*)(void *, const struct consent_row *), &c);
}

int store_consent_history(struct store *st, const char *person_id, int (*cb)(void *, const struct consent_row *),
                          void *arg)
{
    return st_rows(st, &consent_history, DB_ARGS(DB_STR(person_id)), consent_of, ST_CB(cb, arg), 0);
}

int store_consent_state(struct store *st, const char *person_id, int (*cb)(void *, const struct consent_row *),
                        void *arg)
{
    return st_rows(st, &consent_state, DB_ARGS(DB_STR(person_id)), consent_of, ST_CB(cb, arg), 0);
}

static int facts_of(void *arg, const struct db_row *r)
{
    struct consent_facts *f = arg;
    const char *missing = db_text(r, 1);
    f->required_in_force = (int)db_int(r, 0);
    snprintf(f->missing, sizeof f->missing, "%s", missing ? missing : "");
    f->suspended_all = (int)db_int(r, 2);
    return 0;
}

int store_consent_facts(struct store *st, const char *person_id, struct consent_facts *out)
{
    memset(out, 0, sizeof *out);
    return st_rows(st, &facts, DB_ARGS(DB_STR(person_id)), facts_of, out, 1);
}

int store_purpose_in_use(struct store *st, const char *person_id, const char *purpose, int *yes)
{
    int64_t v = 0;
    int err = st_int(st, &in_use, DB_ARGS(DB_STR(person_id), DB_STR(purpose)), &v);
    *yes = !err && v == 1;
    return err;
}

int store_suspension_append(struct store *st, const struct suspension_row *r)
{
    int64_t is = 0;
    int err = st_int(st, &susp_is, DB_ARGS(DB_STR(r->person_id), DB_STR(r->purpose)), &is);
    if (err && err != PHR_ENOTFOUND)
        return err;
    int suspend = strcmp(r->action, "suspend") == 0;
    if ((err == PHR_OK) == suspend)
        return PHR_ECONFLICT;
    err = st_exec(st, &susp_insert,
                  DB_ARGS(DB_STR(r->person_id), DB_STR(r->purpose), DB_STR(r->action), DB_INT(r->at),
                          DB_STR(r->channel), DB_STR(r->recorded_by)));
    if (err)
        return err;
    if (suspend)
        return st_exec(st, &susp_state_add, DB_ARGS(DB_STR(r->person_id), DB_STR(r->purpose), DB_INT(r->at)));
    return st_exec(st, &susp_state_del, DB_ARGS(DB_STR(r->person_id), DB_STR(r->purpose)));
}

static int susp_of(void *arg, const struct db_row *r)
{
    struct suspension_row s = {
        .seq = db_int(r, 0),
        .person_id = db_text(r, 1),
        .purpose = db_text(r, 2),
        .action = db_text(r, 3),
        .at = db_int(r, 4),
        .channel = db_text(r, 5),
        .recorded_by = db_text(r, 6),
    };
    return ST_CALL((struct st_cb *)arg, int (*)(void *, const struct suspension_row *), &s);
}

int store_suspension_history(struct store *st, const char *person_id,
                             int (*cb)(void *, const struct suspension_row *), void *arg)
{
    return st_rows(st, &susp_history, DB_ARGS(DB_STR(person_id)), susp_of, ST_CB(cb, arg), 0);
}
