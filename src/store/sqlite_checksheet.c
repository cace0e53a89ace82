/* The checksheet in the SQLite backend: the facts it computes from the
 * store, the security officer's answers, and the assessments. */
#include <string.h>

#include "store/sqlite_internal.h"
#include "util/err.h"

enum {
    S_FACTS, S_ANSWER_INSERT, S_ANSWERS_LATEST, S_ASSESSMENT_INSERT, S_ASSESSMENT_APPROVE, S_ASSESSMENT_GET,
    S_ASSESSMENT_LIST, S_ASSESSMENT_LIST_APPROVED,
    N_STMTS
};
_Static_assert(N_STMTS <= SQ_CHECKSHEET_STMTS, "raise SQ_CHECKSHEET_STMTS");

#define ASSESSMENT_COLS "id, guideline_version, items_sha256, body, approved_by, assessed_at, coalesce(approved_at, 0)"

/* A sealed TOTP key is at least the seal's overhead and one byte. */
#define NO_SECOND_FACTOR "length(totp_sealed) <= 40"

static const char *const sql[N_STMTS] = {
    [S_FACTS] =
        "SELECT (SELECT count(*) FROM records),"
        " (SELECT count(*) FROM records WHERE alg <> 1 OR length(body) < 40),"
        " (SELECT count(*) FROM persons WHERE status = 'active'),"
        " (SELECT count(*) FROM persons p WHERE status = 'active'"
        "   AND NOT EXISTS (SELECT 1 FROM ks.data_keys k WHERE k.person_id = p.id)),"
        /* holding records without a grant covering every required purpose in force */
        " (SELECT count(*) FROM persons p WHERE p.status = 'active'"
        "   AND EXISTS (SELECT 1 FROM records r WHERE r.person_id = p.id)"
        "   AND EXISTS (SELECT 1 FROM purpose_current pc WHERE pc.required = 1 AND pc.retired = 0"
        "     AND NOT EXISTS (SELECT 1 FROM consent_state cs WHERE cs.person_id = p.id AND cs.purpose = pc.code"
        "       AND cs.decision = 'grant' AND cs.purpose_version >= pc.covered_from))),"
        " (SELECT count(*) FROM staff WHERE status = 'active'),"
        " (SELECT count(*) FROM staff WHERE status = 'active' AND " NO_SECOND_FACTOR "),"
        " (SELECT count(*) FROM staff WHERE status = 'active' AND role = 'security-officer'),"
        " (SELECT count(*) FROM staff WHERE status = 'active' AND role = 'asset-manager'),"
        " (SELECT count(*) FROM staff WHERE status = 'active' AND role = 'auditor'),"
        " (SELECT count(*) FROM staff WHERE status = 'active' AND role = 'handler'),"
        /* recipients' reads within the provision records' retention, and those without a record */
        " (SELECT count(*) FROM audit a WHERE a.actor LIKE 'recipient:%' AND a.result = 'allow'"
        "   AND a.action IN ('record.read', 'record.search') AND a.at >= ?1),"
        " (SELECT count(*) FROM audit a WHERE a.actor LIKE 'recipient:%' AND a.result = 'allow'"
        "   AND a.action IN ('record.read', 'record.search') AND a.at >= ?1"
        "   AND NOT EXISTS (SELECT 1 FROM provisions v WHERE v.request_id = a.request_id"
        "     AND v.recipient_id = substr(a.actor, 11))),"
        " (SELECT coalesce(max(at), 0) FROM retention_runs),"
        " (SELECT count(*) FROM erasures WHERE status = 'done'),"
        " (SELECT count(*) FROM erasures WHERE status = 'erasing'),"
        " (SELECT coalesce(max(export_days), 0) FROM documents d WHERE kind = 'terms'"
        "   AND version = (SELECT max(version) FROM documents e WHERE e.kind = 'terms')),"
        " (SELECT count(DISTINCT kind) FROM documents WHERE kind IN ('terms', 'summary', 'privacy')),"
        " (SELECT count(*) FROM purpose_current WHERE retired = 0),"
        /* provisions made after the person withdrew that purpose, with no grant since */
        " (SELECT count(*) FROM provisions v WHERE EXISTS (SELECT 1 FROM consents w WHERE w.person_id = v.person_id"
        "   AND w.purpose = v.purpose AND w.decision = 'withdraw' AND w.at < v.at"
        "   AND NOT EXISTS (SELECT 1 FROM consents g WHERE g.person_id = w.person_id AND g.purpose = w.purpose"
        "     AND g.decision = 'grant' AND g.seq > w.seq AND g.at <= v.at))),"
        " (SELECT count(*) FROM consents WHERE decision = 'withdraw')",
    [S_ANSWER_INSERT] = "INSERT INTO checksheet_answers(item, status, reason, answered_on, document, answered_by, at)"
                        " VALUES(?,?,?,?,?,?,?)",
    [S_ANSWERS_LATEST] = "SELECT item, status, reason, answered_on, document, answered_by, at FROM checksheet_answers a"
                         " WHERE id = (SELECT max(id) FROM checksheet_answers b WHERE b.item = a.item) ORDER BY item",
    [S_ASSESSMENT_INSERT] = "INSERT INTO checksheet_assessments(guideline_version, items_sha256, assessed_at, body)"
                            " VALUES(?,?,?,?)",
    [S_ASSESSMENT_APPROVE] = "UPDATE checksheet_assessments SET approved_at = ?2, approved_by = ?3"
                             " WHERE id = ?1 AND approved_at IS NULL",
    [S_ASSESSMENT_GET] = "SELECT " ASSESSMENT_COLS " FROM checksheet_assessments WHERE id = ?",
    [S_ASSESSMENT_LIST] = "SELECT " ASSESSMENT_COLS " FROM checksheet_assessments ORDER BY id DESC",
    [S_ASSESSMENT_LIST_APPROVED] = "SELECT " ASSESSMENT_COLS " FROM checksheet_assessments"
                                   " WHERE approved_at IS NOT NULL ORDER BY id DESC",
};

static sqlite3_stmt *prep(struct sqlite_store *s, int id)
{
    return sq_prep(s, &s->checksheet_stmt[id], sql[id]);
}

int sqk_checksheet_facts(struct store *st, int64_t provisions_since, struct checksheet_facts *f)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, S_FACTS);
    if (!q)
        return PHR_EIO;
    sqlite3_bind_int64(q, 1, provisions_since);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        int64_t *out[] = {&f->records, &f->records_unsealed, &f->persons, &f->persons_without_key,
                          &f->persons_without_consent, &f->staff_active, &f->staff_without_mfa,
                          &f->security_officers, &f->asset_managers, &f->auditors, &f->handlers,
                          &f->recipient_reads, &f->reads_without_provision_record, &f->last_retention_at,
                          &f->erasures_done, &f->erasures_unfinished, &f->terms_export_days, &f->document_kinds,
                          &f->purposes, &f->provisions_after_withdrawal, &f->withdrawals};
        for (int i = 0; i < (int)(sizeof out / sizeof out[0]); i++)
            *out[i] = sqlite3_column_int64(q, i);
    }
    sqlite3_reset(q);
    return rc == SQLITE_ROW ? PHR_OK : sq_fail(s, rc, "checksheet_facts");
}

int sqk_answer_insert(struct store *st, const struct checksheet_answer_row *a)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, S_ANSWER_INSERT);
    if (!q)
        return PHR_EIO;
    sq_bind_text(q, 1, a->item);
    sq_bind_text(q, 2, a->status);
    sq_bind_text(q, 3, a->reason);
    sqlite3_bind_int64(q, 4, a->answered_on);
    sq_bind_text(q, 5, a->document);
    sq_bind_text(q, 6, a->answered_by);
    sqlite3_bind_int64(q, 7, a->at);
    return sq_exec(s, q, "checksheet_answer_insert");
}

int sqk_answers_latest(struct store *st, int (*cb)(void *, const struct checksheet_answer_row *), void *arg)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, S_ANSWERS_LATEST);
    if (!q)
        return PHR_EIO;
    int rc, err = PHR_OK;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        struct checksheet_answer_row a = {
            .item = sq_text(q, 0), .status = sq_text(q, 1), .reason = sq_text(q, 2),
            .answered_on = sqlite3_column_int64(q, 3), .document = sq_text(q, 4), .answered_by = sq_text(q, 5),
            .at = sqlite3_column_int64(q, 6),
        };
        if ((err = cb(arg, &a)) != PHR_OK)
            break;
    }
    if (err == PHR_OK && rc != SQLITE_DONE)
        err = sq_fail(s, rc, "checksheet_answers");
    sqlite3_reset(q);
    return err;
}

int sqk_assessment_insert(struct store *st, const struct assessment_row *a, int64_t *id)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, S_ASSESSMENT_INSERT);
    if (!q)
        return PHR_EIO;
    sq_bind_text(q, 1, a->guideline_version);
    sq_bind_text(q, 2, a->items_sha256);
    sqlite3_bind_int64(q, 3, a->assessed_at);
    sq_bind_text(q, 4, a->body);
    int err = sq_exec(s, q, "assessment_insert");
    *id = err ? 0 : sqlite3_last_insert_rowid(s->db);
    return err;
}

int sqk_assessment_approve(struct store *st, int64_t id, int64_t at, const char *by)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, S_ASSESSMENT_APPROVE);
    if (!q)
        return PHR_EIO;
    sqlite3_bind_int64(q, 1, id);
    sqlite3_bind_int64(q, 2, at);
    sq_bind_text(q, 3, by);
    int err = sq_exec(s, q, "assessment_approve");
    return err ? err : sqlite3_changes(s->db) == 1 ? PHR_OK : PHR_ECONFLICT;
}

static int assessments(struct sqlite_store *s, sqlite3_stmt *q, int (*cb)(void *, const struct assessment_row *),
                       void *arg, int *found)
{
    int rc, err = PHR_OK;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        struct assessment_row a = {
            .id = sqlite3_column_int64(q, 0), .guideline_version = sq_text(q, 1), .items_sha256 = sq_text(q, 2),
            .body = sq_text(q, 3), .approved_by = sq_text(q, 4), .assessed_at = sqlite3_column_int64(q, 5),
            .approved_at = sqlite3_column_int64(q, 6),
        };
        *found = 1;
        if ((err = cb(arg, &a)) != PHR_OK)
            break;
    }
    if (err == PHR_OK && rc != SQLITE_DONE)
        err = sq_fail(s, rc, "assessments");
    sqlite3_reset(q);
    return err;
}

int sqk_assessment_get(struct store *st, int64_t id, int (*cb)(void *, const struct assessment_row *), void *arg)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, S_ASSESSMENT_GET);
    if (!q)
        return PHR_EIO;
    sqlite3_bind_int64(q, 1, id);
    int found = 0;
    int err = assessments(s, q, cb, arg, &found);
    return err ? err : found ? PHR_OK : PHR_ENOTFOUND;
}

int sqk_assessment_list(struct store *st, int approved_only, int (*cb)(void *, const struct assessment_row *),
                        void *arg)
{
    struct sqlite_store *s = S(st);
    sqlite3_stmt *q = prep(s, approved_only ? S_ASSESSMENT_LIST_APPROVED : S_ASSESSMENT_LIST);
    int found = 0;
    return q ? assessments(s, q, cb, arg, &found) : PHR_EIO;
}
