/* The checksheet, written once over the driver. */
#include "store/checksheet.h"

#include <string.h>

#include "store/internal.h"

#define ASSESSMENT_COLS "id, guideline_version, items_sha256, body, approved_by, assessed_at, coalesce(approved_at, 0)"

/* A sealed TOTP key is at least the seal's overhead and one byte. */
#define NO_SECOND_FACTOR "length(totp_sealed) <= 40"

static struct db_stmt facts = DB_STMT(
    "checksheet_facts",
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
    " (SELECT count(*) FROM consents WHERE decision = 'withdraw'),"
    " (SELECT count(*) FROM anonymised_sets),"
    " (SELECT count(*) FROM anonymised_provisions)");
static struct db_stmt answer_insert = DB_STMT(
    "checksheet_answer_insert", "INSERT INTO checksheet_answers(item, status, reason, answered_on, document,"
                                " answered_by, at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)");
static struct db_stmt answers_latest = DB_STMT(
    "checksheet_answers_latest", "SELECT item, status, reason, answered_on, document, answered_by, at"
                                 " FROM checksheet_answers a WHERE id = (SELECT max(id) FROM checksheet_answers b"
                                 " WHERE b.item = a.item) ORDER BY item");
static struct db_stmt assessment_insert = DB_STMT(
    "assessment_insert", "INSERT INTO checksheet_assessments(guideline_version, items_sha256, assessed_at, body)"
                         " VALUES(?1, ?2, ?3, ?4) RETURNING id");
static struct db_stmt assessment_approve = DB_STMT(
    "assessment_approve", "UPDATE checksheet_assessments SET approved_at = ?2, approved_by = ?3"
                          " WHERE id = ?1 AND approved_at IS NULL");
static struct db_stmt assessment_get = DB_STMT(
    "assessment_get", "SELECT " ASSESSMENT_COLS " FROM checksheet_assessments WHERE id = ?1");
static struct db_stmt assessment_list = DB_STMT(
    "assessment_list", "SELECT " ASSESSMENT_COLS " FROM checksheet_assessments ORDER BY id DESC");
static struct db_stmt assessment_list_approved = DB_STMT(
    "assessment_list_approved", "SELECT " ASSESSMENT_COLS " FROM checksheet_assessments"
                                " WHERE approved_at IS NOT NULL ORDER BY id DESC");

static int facts_of(void *arg, const struct db_row *r)
{
    struct checksheet_facts *f = arg;
    int64_t *out[] = {&f->records, &f->records_unsealed, &f->persons, &f->persons_without_key,
                      &f->persons_without_consent, &f->staff_active, &f->staff_without_mfa,
                      &f->security_officers, &f->asset_managers, &f->auditors, &f->handlers,
                      &f->recipient_reads, &f->reads_without_provision_record, &f->last_retention_at,
                      &f->erasures_done, &f->erasures_unfinished, &f->terms_export_days, &f->document_kinds,
                      &f->purposes, &f->provisions_after_withdrawal, &f->withdrawals, &f->anonymised_sets,
                      &f->anonymised_provisions};
    for (int i = 0; i < (int)(sizeof out / sizeof out[0]); i++)
        *out[i] = db_int(r, i);
    return 0;
}

int store_checksheet_facts(struct store *st, int64_t provisions_since, struct checksheet_facts *out)
{
    memset(out, 0, sizeof *out);
    return st_rows(st, &facts, DB_ARGS(DB_INT(provisions_since)), facts_of, out, 1);
}

int store_checksheet_answer_insert(struct store *st, const struct checksheet_answer_row *a)
{
    return st_exec(st, &answer_insert,
                   DB_ARGS(DB_STR(a->item), DB_STR(a->status), DB_STR(a->reason), DB_INT(a->answered_on),
                           DB_STR(a->document), DB_STR(a->answered_by), DB_INT(a->at)));
}

static int answer_of(void *arg, const struct db_row *q)
{
    struct checksheet_answer_row a = {
        .item = db_text(q, 0), .status = db_text(q, 1), .reason = db_text(q, 2), .answered_on = db_int(q, 3),
        .document = db_text(q, 4), .answered_by = db_text(q, 5), .at = db_int(q, 6),
    };
    return ST_CALL((struct st_cb *)arg, int (*)(void *, const struct checksheet_answer_row *), &a);
}

int store_checksheet_answers_latest(struct store *st, int (*cb)(void *, const struct checksheet_answer_row *),
                                    void *arg)
{
    return st_rows(st, &answers_latest, DB_NO_ARGS, answer_of, ST_CB(cb, arg), 0);
}

int store_assessment_insert(struct store *st, const struct assessment_row *a, int64_t *id)
{
    return st_int(st, &assessment_insert,
                  DB_ARGS(DB_STR(a->guideline_version), DB_STR(a->items_sha256), DB_INT(a->assessed_at),
                          DB_STR(a->body)),
                  id);
}

int store_assessment_approve(struct store *st, int64_t id, int64_t at, const char *by)
{
    return st_one_changed(st, &assessment_approve, DB_ARGS(DB_INT(id), DB_INT(at), DB_STR(by)), PHR_ECONFLICT);
}

static int assessment_of(void *arg, const struct db_row *q)
{
    struct assessment_row a = {
        .id = db_int(q, 0), .guideline_version = db_text(q, 1), .items_sha256 = db_text(q, 2),
        .body = db_text(q, 3), .approved_by = db_text(q, 4), .assessed_at = db_int(q, 5),
        .approved_at = db_int(q, 6),
    };
    return ST_CALL((struct st_cb *)arg, int (*)(void *, const struct assessment_row *), &a);
}

int store_assessment_get(struct store *st, int64_t id, int (*cb)(void *, const struct assessment_row *), void *arg)
{
    return st_rows(st, &assessment_get, DB_ARGS(DB_INT(id)), assessment_of, ST_CB(cb, arg), 1);
}

int store_assessment_list(struct store *st, int approved_only, int (*cb)(void *, const struct assessment_row *),
                          void *arg)
{
    return st_rows(st, approved_only ? &assessment_list_approved : &assessment_list, DB_NO_ARGS, assessment_of,
                   ST_CB(cb, arg), 0);
}
