/* Shared by the SQLite backend's files only (sqlite.c and one file per
 * further group of operations): the connection and the statement helpers. */
#ifndef PHR_STORE_SQLITE_INTERNAL_H
#define PHR_STORE_SQLITE_INTERNAL_H

#include <sqlite3.h>

#include "store/store.h"

#define SQ_CORE_STMTS 28    /* sqlite.c's statements */
#define SQ_CONSENT_STMTS 24 /* sqlite_consent.c's statements */
#define SQ_RECIPIENT_STMTS 16 /* sqlite_recipients.c's statements */
#define SQ_STAFF_STMTS 16 /* sqlite_staff.c's statements */
#define SQ_AUDIT_STMTS 12 /* sqlite_audit.c's statements */
#define SQ_UPKEEP_STMTS 10 /* sqlite_upkeep.c's statements */
#define SQ_RIGHTS_STMTS 24 /* sqlite_rights.c's statements */
#define SQ_RETENTION_STMTS 24 /* sqlite_retention.c's statements */
#define SQ_CHECKSHEET_STMTS 8 /* sqlite_checksheet.c's statements */
#define SQ_BULK_STMTS 4 /* sqlite_bulk.c's statements */
#define SQ_SECOND_FACTOR_STMTS 8 /* sqlite_second_factor.c's statements */

struct checkpointer;

struct sqlite_store {
    struct store base;
    sqlite3 *db;
    sqlite3_stmt *stmt[SQ_CORE_STMTS];
    sqlite3_stmt *consent_stmt[SQ_CONSENT_STMTS];
    sqlite3_stmt *recipient_stmt[SQ_RECIPIENT_STMTS];
    sqlite3_stmt *staff_stmt[SQ_STAFF_STMTS];
    sqlite3_stmt *audit_stmt[SQ_AUDIT_STMTS];
    sqlite3_stmt *upkeep_stmt[SQ_UPKEEP_STMTS];
    sqlite3_stmt *rights_stmt[SQ_RIGHTS_STMTS];
    sqlite3_stmt *retention_stmt[SQ_RETENTION_STMTS];
    sqlite3_stmt *checksheet_stmt[SQ_CHECKSHEET_STMTS];
    sqlite3_stmt *bulk_stmt[SQ_BULK_STMTS];
    sqlite3_stmt *second_factor_stmt[SQ_SECOND_FACTOR_STMTS];
    struct checkpointer *ckpt;
};

/* The backend's connection behind the interface's handle. */
static inline struct sqlite_store *S(struct store *st)
{
    return (struct sqlite_store *)st;
}

/* The statement in *slot, prepared on first use and kept; reset and
 * unbound on every later use. NULL (logged) if it does not prepare. */
sqlite3_stmt *sq_prep(struct sqlite_store *s, sqlite3_stmt **slot, const char *sql);
/* Steps a statement that returns no rows; PHR_OK or the mapped error. */
int sq_exec(struct sqlite_store *s, sqlite3_stmt *st, const char *what);
/* Maps and logs a failed step (a constraint violation is not logged:
 * callers expect PHR_ECONFLICT). */
int sq_fail(struct sqlite_store *s, int rc, const char *what);
/* NULL binds SQL NULL. The text must outlive the step. */
void sq_bind_text(sqlite3_stmt *q, int i, const char *v);
const char *sq_text(sqlite3_stmt *q, int i);

/* sqlite_consent.c: the consent operations of store_ops. */
int sqc_document_insert(struct store *st, const struct document_row *d);
int sqc_document_current(struct store *st, int (*cb)(void *, const struct document_row *), void *arg);
int sqc_document_versions(struct store *st, const char *kind, int (*cb)(void *, const struct document_row *), void *arg);
int sqc_purpose_insert(struct store *st, const struct purpose_row *p);
int sqc_purpose_current(struct store *st, int (*cb)(void *, const struct purpose_row *), void *arg);
int sqc_consent_append(struct store *st, const struct consent_row *c);
int sqc_consent_history(struct store *st, const char *person_id,
                        int (*cb)(void *, const struct consent_row *), void *arg);
int sqc_consent_state(struct store *st, const char *person_id,
                      int (*cb)(void *, const struct consent_row *), void *arg);
int sqc_consent_facts(struct store *st, const char *person_id, struct consent_facts *out);
int sqc_suspension_append(struct store *st, const struct suspension_row *r);
int sqc_suspension_history(struct store *st, const char *person_id,
                           int (*cb)(void *, const struct suspension_row *), void *arg);

/* sqlite_recipients.c: recipients, groups, client tokens and provisions. */
int sqr_recipient_insert(struct store *st, const struct recipient_row *r);
int sqr_recipient_list(struct store *st, int (*cb)(void *, const struct recipient_row *), void *arg);
int sqr_recipient_get(struct store *st, const char *id, int (*cb)(void *, const struct recipient_row *), void *arg);
int sqr_group_insert(struct store *st, const char *code, const char *name, int64_t at);
int sqr_group_change(struct store *st, const char *group, const char *recipient, const char *action, int64_t at);
int sqr_client_token_insert(struct store *st, const unsigned char hash[SHA256_BYTES], const char *recipient,
                            int64_t created_at, int64_t expires_at);
int sqr_client_token_get(struct store *st, const unsigned char hash[SHA256_BYTES], char *recipient,
                         int64_t *expires_at);
int sqr_provision_bases(struct store *st, const char *recipient, const char *person, const char *group, int64_t now,
                        int (*cb)(void *, const struct provision_basis_row *), void *arg);
int sqr_group_member(struct store *st, const char *group, const char *recipient);
int sqr_agreement_insert(struct store *st, const struct agreement_row *a);
int sqr_provision_insert(struct store *st, const struct provision_row *p);
int sqr_provision_list(struct store *st, const char *person, int (*cb)(void *, const struct provision_row *),
                       void *arg);

/* sqlite_staff.c: staff, their recovery codes, sessions and reasons. */
int sqs_staff_insert(struct store *st, const struct staff_row *r);
int sqs_staff_get(struct store *st, const char *key, int by_id, int (*cb)(void *, const struct staff_row *),
                  void *arg);
int sqs_staff_list(struct store *st, int (*cb)(void *, const struct staff_row *), void *arg);
int sqs_staff_logged_in(struct store *st, const char *id, int64_t at, int64_t totp_step);
int sqs_staff_update(struct store *st, const char *id, const char *status, const char *reason, const char *role);
int sqs_staff_recovery_insert(struct store *st, const char *staff_id, const unsigned char hash[SHA256_BYTES]);
int sqs_staff_recovery_use(struct store *st, const char *staff_id, const unsigned char hash[SHA256_BYTES],
                           int64_t at);
int sqs_staff_session_insert(struct store *st, const unsigned char hash[SHA256_BYTES], const char *staff_id,
                             int64_t created_at, int64_t expires_at);
int sqs_staff_session_get(struct store *st, const unsigned char hash[SHA256_BYTES], char *staff_id,
                          int64_t *last_seen_at, int64_t *expires_at);
int sqs_staff_session_touch(struct store *st, const unsigned char hash[SHA256_BYTES], int64_t now);
int sqs_staff_sessions_end(struct store *st, const char *staff_id);
int sqs_reason_insert(struct store *st, const struct reason_row *r);
int sqs_reason_get(struct store *st, const char *id, int (*cb)(void *, const struct reason_row *), void *arg);

/* sqlite_audit.c: the handling history, checkpoints, incidents. */
int sqa_audit_insert(struct store *st, const struct audit_row *a);
int sqa_audit_last(struct store *st, int64_t *seq, unsigned char hash[SHA256_BYTES]);
int sqa_audit_scan(struct store *st, int64_t from_seq, audit_cb cb, void *arg);
int sqa_audit_query(struct store *st, const struct audit_filter *f, audit_cb cb, void *arg);
int sqa_audit_by_others(struct store *st, const char *person, int limit, audit_cb cb, void *arg);
int sqa_audit_about(struct store *st, const char *person, int64_t after_seq, int limit, audit_cb cb, void *arg);
int sqa_incident_insert(struct store *st, const struct incident_row *r, int64_t *id);
int sqa_incident_list(struct store *st, int (*cb)(void *, const struct incident_row *), void *arg);
int sqa_checkpoint_insert(struct store *st, const struct checkpoint_row *c);
int sqa_checkpoint_scan(struct store *st, int last, checkpoint_cb cb, void *arg);

/* sqlite_upkeep.c: the live schema, key rotation's rows, shared request counts. */
int squ_schema_columns(struct store *st, int (*cb)(void *, const char *, const char *), void *arg);
int squ_data_keys_other(struct store *st, const char *key_id, int limit,
                        int (*cb)(void *, const char *, const char *, const unsigned char *, size_t), void *arg);
int squ_data_keys_count_other(struct store *st, const char *key_id, int64_t *n);
int squ_data_key_update(struct store *st, const char *person_id, const char *key_id, const unsigned char *wrapped,
                        size_t len);
int squ_staff_totp_update(struct store *st, const char *staff_id, const unsigned char *sealed, size_t len);
int squ_rate_add(struct store *st, const char *key, int64_t window, int64_t delta, int64_t *total);
int squ_rate_get(struct store *st, const char *key, int64_t window, int64_t *count);
int squ_rate_prune(struct store *st, int64_t before_window);

/* sqlite_rights.c: erasure. */
int sqx_erasure_count(struct store *st, const char *person, int account, const char *codes,
                      struct erasure_counts *out);
int sqx_erasure_insert(struct store *st, const struct erasure_row *e);
int sqx_erasure_get(struct store *st, const char *id, int (*cb)(void *, const struct erasure_row *), void *arg);
int sqx_erasure_unfinished(struct store *st, int (*cb)(void *, const struct erasure_row *), void *arg);
int sqx_erasure_set(struct store *st, const char *id, const char *status, int64_t at, const char *erased);
int sqx_erase_records(struct store *st, const char *person, const char *codes, int64_t *n);
int sqx_erase_account(struct store *st, const char *person);
int sqx_erase_data_key(struct store *st, const char *person);
int sqx_erase_keys_of_erased(struct store *st, int64_t *n);
int sqx_record_by_original(struct store *st, const char *person, const char *type, const unsigned char mac[32],
                           char id[37]);

/* sqlite_retention.c: retention and termination. */
int sqt_persons_inactive(struct store *st, int64_t before, int (*cb)(void *, const char *), void *arg);
int sqt_persons_active(struct store *st, int (*cb)(void *, const char *), void *arg);
int sqt_notice_insert(struct store *st, const struct notice_row *n);
int sqt_notices_open(struct store *st, const char *person, const char *kind,
                     int (*cb)(void *, const struct notice_row *), void *arg);
int sqt_notices_resolve(struct store *st, const char *person, const char *kind, int64_t at);
int sqt_person_logged_in(struct store *st, const char *person, int64_t at);
int sqt_retention_prune(struct store *st, const struct prune_limits *l, int dry, struct prune_counts *out);
int sqt_termination_insert(struct store *st, const struct termination_row *t);
int sqt_termination_get(struct store *st, struct termination_row *out);
int sqt_retention_run_insert(struct store *st, int64_t at, int64_t as_of, const char *summary);
int sqt_retention_run_last(struct store *st, int64_t *at);

/* sqlite_checksheet.c: the checksheet's facts, answers and assessments. */
int sqb_bulk_export_insert(struct store *st, const struct bulk_export_row *b);
int sqb_bulk_export_get(struct store *st, const char *id, int (*cb)(void *, const struct bulk_export_row *), void *arg);
int sqb_bulk_export_cancel(struct store *st, const char *id, int64_t at);
int sqb_person_page(struct store *st, const char *after, int limit, int (*cb)(void *, const char *), void *arg);

int sqf_second_factor_get(struct store *st, const char *person, int (*cb)(void *, const struct second_factor_row *),
                          void *arg);
int sqf_second_factor_put(struct store *st, const struct second_factor_row *r);
int sqf_second_factor_use(struct store *st, const char *person, int64_t step);
int sqf_second_factor_delete(struct store *st, const char *person);
int sqf_second_factor_codes_put(struct store *st, const char *person, const unsigned char (*hashes)[SHA256_BYTES],
                                size_t n);
int sqf_second_factor_code_use(struct store *st, const char *person, const unsigned char hash[SHA256_BYTES],
                               int64_t at);
int sqk_checksheet_facts(struct store *st, int64_t provisions_since, struct checksheet_facts *f);
int sqk_answer_insert(struct store *st, const struct checksheet_answer_row *a);
int sqk_answers_latest(struct store *st, int (*cb)(void *, const struct checksheet_answer_row *), void *arg);
int sqk_assessment_insert(struct store *st, const struct assessment_row *a, int64_t *id);
int sqk_assessment_approve(struct store *st, int64_t id, int64_t at, const char *by);
int sqk_assessment_get(struct store *st, int64_t id, int (*cb)(void *, const struct assessment_row *), void *arg);
int sqk_assessment_list(struct store *st, int approved_only, int (*cb)(void *, const struct assessment_row *),
                        void *arg);

#endif