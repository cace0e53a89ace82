/* SQLite's schema: every migration since the first store. */
#include "db/migrate.h"
#include "db/sqlite_schema.h"

#include <stddef.h>

/* Signed checkpoints of the handling history (R2.3, design invariant 4):
 * the chain head at a moment, signed with a key kept outside the database,
 * so that cutting entries off the end is detected; and the time index for
 * auditors' queries (R2.8). */
static const char m3_checkpoints[] =
    "CREATE TABLE audit_checkpoints("
    " id INTEGER PRIMARY KEY,"
    " at INTEGER NOT NULL,"
    " audit_seq INTEGER NOT NULL,"
    " head_hash BLOB NOT NULL,"
    " key_id TEXT NOT NULL,"
    " signature BLOB NOT NULL);"
    /* Auditors' and incident queries are bounded by time. Entries are
     * appended in time order, so this index only ever grows at its end:
     * cheap beside the random pages an index by actor would dirty. */
    "CREATE INDEX audit_by_time ON audit(at);"
    /* A person's view of who else touched their data (AuditEvent). Only
     * entries by someone other than the person are indexed: few, so the
     * index costs the ingest path nothing. */
    "CREATE INDEX audit_by_others ON audit(subject, seq) WHERE actor <> 'person:' || subject;"
    "CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints"
    " BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;"
    "CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints"
    " BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;";

/* Staff (R2.1, R2.2, R2.4): accounts apart from persons', a fixed role
 * each, a TOTP key sealed under the master key, recovery codes and
 * sessions stored hashed, and the reasons under which a handler may open a
 * person's data. */
static const char m4_staff[] =
    "CREATE TABLE staff("
    " id TEXT PRIMARY KEY,"
    " login TEXT NOT NULL UNIQUE,"
    " pw_hash TEXT NOT NULL,"
    " role TEXT NOT NULL CHECK (role IN ('security-officer', 'asset-manager', 'handler', 'auditor')),"
    " totp_sealed BLOB NOT NULL,"
    " totp_last_step INTEGER NOT NULL DEFAULT 0,"
    " status TEXT NOT NULL CHECK (status IN ('active', 'disabled')),"
    " created_at INTEGER NOT NULL,"
    " last_login_at INTEGER,"
    " disabled_reason TEXT);"
    "CREATE TABLE staff_recovery("
    " staff_id TEXT NOT NULL REFERENCES staff(id),"
    " code_hash BLOB NOT NULL,"
    " used_at INTEGER,"
    " PRIMARY KEY (staff_id, code_hash)) WITHOUT ROWID;"
    "CREATE TABLE staff_sessions("
    " token_hash BLOB PRIMARY KEY,"
    " staff_id TEXT NOT NULL REFERENCES staff(id),"
    " created_at INTEGER NOT NULL,"
    " last_seen_at INTEGER NOT NULL,"
    " expires_at INTEGER NOT NULL);"
    "CREATE TABLE access_reasons("
    " id TEXT PRIMARY KEY,"
    " staff_id TEXT NOT NULL REFERENCES staff(id),"
    " person_id TEXT NOT NULL,"
    " reason TEXT NOT NULL,"
    " created_at INTEGER NOT NULL,"
    " expires_at INTEGER NOT NULL);";

/* Incident records (R2.8): what happened, when it was found, who was told;
 * later notes refer to the first record. Never changed. */
static const char m5_incidents[] =
    "CREATE TABLE incidents("
    " id INTEGER PRIMARY KEY,"
    " refers_to INTEGER REFERENCES incidents(id),"
    " recorded_at INTEGER NOT NULL,"
    " recorded_by TEXT NOT NULL,"
    " found_at INTEGER,"
    " what TEXT NOT NULL,"
    " told TEXT);"
    "CREATE TRIGGER incidents_no_update BEFORE UPDATE ON incidents"
    " BEGIN SELECT RAISE(ABORT, 'incident records are append-only'); END;"
    "CREATE TRIGGER incidents_no_delete BEFORE DELETE ON incidents"
    " BEGIN SELECT RAISE(ABORT, 'incident records are append-only'); END;";

/* Agreements with outside organisations (R2.7): provision only to a
 * recipient with an agreement on record, whose certification (ISMS, Pマーク)
 * if stated has not expired. The newest entry is the one in force. */
static const char m6_agreements[] =
    "CREATE TABLE agreements("
    " seq INTEGER PRIMARY KEY,"
    " recipient_id TEXT NOT NULL REFERENCES recipients(id),"
    " signed_on INTEGER NOT NULL,"
    " version TEXT NOT NULL,"
    " certification TEXT,"
    " cert_expires INTEGER,"
    " ended INTEGER NOT NULL DEFAULT 0,"
    " recorded_at INTEGER NOT NULL);"
    "CREATE INDEX agreements_by_recipient ON agreements(recipient_id, seq);"
    "CREATE TRIGGER agreements_no_update BEFORE UPDATE ON agreements"
    " BEGIN SELECT RAISE(ABORT, 'agreements are append-only'); END;"
    "CREATE TRIGGER agreements_no_delete BEFORE DELETE ON agreements"
    " BEGIN SELECT RAISE(ABORT, 'agreements are append-only'); END;";

/* The registry of outside organisations (R2.7): besides recipients of
 * provision, processors (委託先) and partners, with the same agreements;
 * only recipients get client credentials and receive data. */
static const char m7_organisations[] =
    "ALTER TABLE recipients ADD COLUMN kind TEXT NOT NULL DEFAULT 'recipient'"
    " CHECK (kind IN ('recipient', 'processor', 'partner'));";

/* Request counts per client address and account and per minute, shared
 * by every instance (R2.9); each instance adds what it counted about once
 * a second. Old minutes are pruned as they go. */
static const char m8_rates[] =
    "CREATE TABLE rate_counts("
    " key TEXT NOT NULL,"
    " window INTEGER NOT NULL,"
    " count INTEGER NOT NULL,"
    " PRIMARY KEY (key, window)) WITHOUT ROWID;";

/* Data keys move to the key store (keys.db, see sqlite.c), copied there by
 * a step of their own just before this one runs. */
static const char m9_keystore[] = "DROP TABLE main.data_keys;";

/* A person's rights (R3.10, R3.11): erasure requests and their execution,
 * which outlive the erased data as the record that it was erased (when,
 * what, on whose request), and the time of last sign-in that retention's
 * inactivity rule reads. */
static const char m10_erasure[] =
    "CREATE TABLE erasures("
    " id TEXT PRIMARY KEY,"
    " person_id TEXT NOT NULL,"
    " scope TEXT NOT NULL CHECK (scope IN ('account', 'records')),"
    /* records only: the codes erased, comma-separated; '' for all records */
    " codes TEXT NOT NULL DEFAULT '',"
    " requested_at INTEGER NOT NULL,"
    " requested_by TEXT NOT NULL,"
    " expires_at INTEGER NOT NULL,"
    " status TEXT NOT NULL CHECK (status IN ('requested', 'erasing', 'done')),"
    " confirmed_at INTEGER,"
    " done_at INTEGER,"
    /* what went, as counts (JSON): never values */
    " erased TEXT);"
    "CREATE INDEX erasures_by_person ON erasures(person_id, requested_at);"
    "CREATE INDEX erasures_unfinished ON erasures(status) WHERE status = 'erasing';"
    "ALTER TABLE persons ADD COLUMN last_login_at INTEGER;"
    /* The ledgers stay append-only, except that an erased person's go
     * with them (the person row is made a tombstone first). */
    "DROP TRIGGER consents_no_delete;"
    "CREATE TRIGGER consents_no_delete BEFORE DELETE ON consents"
    " WHEN NOT EXISTS (SELECT 1 FROM persons WHERE id = OLD.person_id AND status = 'erased')"
    " BEGIN SELECT RAISE(ABORT, 'the consent ledger is append-only'); END;"
    "DROP TRIGGER suspensions_no_delete;"
    "CREATE TRIGGER suspensions_no_delete BEFORE DELETE ON suspensions"
    " WHEN NOT EXISTS (SELECT 1 FROM persons WHERE id = OLD.person_id AND status = 'erased')"
    " BEGIN SELECT RAISE(ABORT, 'the suspension ledger is append-only'); END;";

/* Retention (R3.11) and service termination (R4.5): notices to persons
 * (shown at sign-in and handed to the notice hook), the announced
 * termination, and a row per retention run (the checksheet's evidence that
 * retention ran). */
static const char m11_retention[] =
    "CREATE TABLE notices("
    " id INTEGER PRIMARY KEY,"
    " person_id TEXT NOT NULL,"
    " kind TEXT NOT NULL CHECK (kind IN ('inactivity', 'termination')),"
    " at INTEGER NOT NULL,"
    /* the data is erased after this unless the person signs in (inactivity) */
    " erase_after INTEGER,"
    " resolved_at INTEGER);"
    "CREATE INDEX notices_open ON notices(person_id, kind) WHERE resolved_at IS NULL;"
    "CREATE TABLE terminations("
    " id INTEGER PRIMARY KEY,"
    " announced_at INTEGER NOT NULL,"
    " announced_by TEXT NOT NULL,"
    " export_until INTEGER NOT NULL,"
    " erase_after INTEGER NOT NULL);"
    "CREATE TABLE retention_runs("
    " id INTEGER PRIMARY KEY,"
    " at INTEGER NOT NULL,"
    " as_of INTEGER NOT NULL,"
    " summary TEXT NOT NULL);"
    "CREATE TRIGGER retention_runs_no_update BEFORE UPDATE ON retention_runs"
    " BEGIN SELECT RAISE(ABORT, 'a retention run is never changed'); END;"
    "CREATE TRIGGER terminations_no_update BEFORE UPDATE ON terminations"
    " BEGIN SELECT RAISE(ABORT, 'an announced termination is never changed'); END;"
    /* terms only: the export period promised on termination (Q4-2) */
    "ALTER TABLE documents ADD COLUMN export_days INTEGER;";

/* The checksheet (R5.1-R5.3): the security officer's answers to the
 * organisational items, and every assessment as it was made. An
 * assessment is never changed, except once: its approval, which publishes
 * it. */
static const char m12_checksheet[] =
    "CREATE TABLE checksheet_answers("
    " id INTEGER PRIMARY KEY,"
    " item TEXT NOT NULL,"
    " status TEXT NOT NULL CHECK (status IN ('implemented', 'equivalent', 'not-implemented', 'not-applicable')),"
    " reason TEXT,"
    " answered_on INTEGER NOT NULL,"
    " document TEXT,"
    " answered_by TEXT NOT NULL,"
    " at INTEGER NOT NULL);"
    "CREATE INDEX checksheet_answers_by_item ON checksheet_answers(item, id);"
    "CREATE TABLE checksheet_assessments("
    " id INTEGER PRIMARY KEY,"
    " guideline_version TEXT NOT NULL,"
    " items_sha256 TEXT NOT NULL,"
    " assessed_at INTEGER NOT NULL,"
    " body TEXT NOT NULL,"
    " approved_at INTEGER,"
    " approved_by TEXT);"
    "CREATE TRIGGER checksheet_answers_no_change BEFORE UPDATE ON checksheet_answers"
    " BEGIN SELECT RAISE(ABORT, 'an answer is never changed: answer again'); END;"
    "CREATE TRIGGER checksheet_assessments_no_delete BEFORE DELETE ON checksheet_assessments"
    " BEGIN SELECT RAISE(ABORT, 'an assessment is kept'); END;"
    "CREATE TRIGGER checksheet_assessments_approve_once BEFORE UPDATE ON checksheet_assessments"
    " WHEN OLD.approved_at IS NOT NULL OR NEW.body IS NOT OLD.body OR NEW.assessed_at IS NOT OLD.assessed_at"
    " OR NEW.guideline_version IS NOT OLD.guideline_version OR NEW.items_sha256 IS NOT OLD.items_sha256"
    " BEGIN SELECT RAISE(ABORT, 'an assessment is never changed, only approved once'); END;";

/* Bulk Data exports (R4.4): what a recipient asked for and as of when; no
 * health data (the files are made when fetched). */
static const char m13_bulk[] =
    "CREATE TABLE bulk_exports("
    " id TEXT PRIMARY KEY,"
    " recipient_id TEXT NOT NULL REFERENCES recipients(id),"
    " types TEXT NOT NULL,"
    " since INTEGER NOT NULL,"
    " transaction_time INTEGER NOT NULL,"
    " expires_at INTEGER NOT NULL,"
    " cancelled_at INTEGER);";

/* The public notice on anonymised data (APPI Art.43(3)) is a policy
 * document too. SQLite cannot change a CHECK in place: the table is made
 * again with every published version in it, and its guard. */
static const char m14_anonymised_notice[] =
    "CREATE TABLE documents_v14("
    " kind TEXT NOT NULL CHECK (kind IN ('terms', 'summary', 'privacy', 'anonymised')),"
    " version INTEGER NOT NULL,"
    " lang TEXT NOT NULL,"
    " title TEXT NOT NULL,"
    " body TEXT NOT NULL,"
    " sha256 TEXT NOT NULL,"
    " effective_at INTEGER NOT NULL,"
    " published_at INTEGER NOT NULL,"
    " export_days INTEGER,"
    " PRIMARY KEY (kind, version, lang));"
    "INSERT INTO documents_v14(kind, version, lang, title, body, sha256, effective_at, published_at, export_days)"
    " SELECT kind, version, lang, title, body, sha256, effective_at, published_at, export_days FROM documents;"
    "DROP TABLE documents;"
    "ALTER TABLE documents_v14 RENAME TO documents;"
    "CREATE TRIGGER documents_no_update BEFORE UPDATE ON documents"
    " BEGIN SELECT RAISE(ABORT, 'a published document is never changed'); END;";

/* A person's optional second factor: a TOTP key sealed with the person's
 * data key (rotation re-wraps that key, erasure shreds it), awaiting its
 * first code (enabled = 0) or in use; last_step refuses a replayed code. */
static const char m15_second_factor[] =
    "CREATE TABLE second_factors("
    " person_id TEXT PRIMARY KEY REFERENCES persons(id),"
    " sealed BLOB NOT NULL,"
    " alg INTEGER NOT NULL,"
    " enabled INTEGER NOT NULL,"
    " last_step INTEGER NOT NULL,"
    " created_at INTEGER NOT NULL);";

/* A Bulk Data export may be a Group's (the recipient group it acts under). */
static const char m16_group_export[] = "ALTER TABLE bulk_exports ADD COLUMN group_code TEXT;";

/* A person's recovery codes for the second factor: kept as hashes, each
 * used once (the codes have full entropy: a fast hash is enough). */
static const char m17_second_factor_codes[] =
    "CREATE TABLE second_factor_codes("
    " person_id TEXT NOT NULL REFERENCES persons(id),"
    " code_hash BLOB NOT NULL,"
    " used_at INTEGER,"
    " PRIMARY KEY (person_id, code_hash));";

/* The kind of data a record is in the person's terms (formats/data_kinds.h),
 * which the gate decides a provision on: a consent to vital signs must not
 * reach checkup results, though both are Observations. Rows written before
 * are NULL until the service classifies them at start-up, and NULL matches
 * no purpose. The search index covers it, so that a recipient's search is
 * filtered (and counted) by kind without reading a sealed row. */
static const char m18_data_kind[] =
    "ALTER TABLE records ADD COLUMN data_kind TEXT;"
    "DROP INDEX records_search;"
    "CREATE INDEX records_search ON records(person_id, resource_type, effective_start,"
    " effective_end, code, code_system, category, data_kind, current) WHERE current = 1;"
    "CREATE INDEX records_unclassified ON records(id, version) WHERE data_kind IS NULL;";

/* Clients of the standard kind (SMART Backend Services, issue 19): the
 * public keys a client signs its assertions with (a JWKS, NULL for a
 * client that uses its secret), the scopes each token was granted, and
 * the assertions seen until they expire, so that none is used twice. */
static const char m19_oauth_clients[] =
    "ALTER TABLE recipients ADD COLUMN jwks TEXT;"
    "ALTER TABLE client_tokens ADD COLUMN scope TEXT NOT NULL DEFAULT '';"
    "CREATE TABLE client_assertions("
    " client_id TEXT NOT NULL REFERENCES recipients(id),"
    " jti TEXT NOT NULL,"
    " expires_at INTEGER NOT NULL,"
    " PRIMARY KEY (client_id, jti));";

/* Apps of the person's choosing (SMART App Launch, issue 19): how a
 * recipient's app signs in (public with PKCE, or confidential), where it
 * may be sent back to and which web origins may call from a browser; the
 * person's approvals, each naming the app, what it may read and under
 * which purposes (revoked_at: withdrawn, kept for the person's list);
 * authorization codes (used once) and refresh tokens (rotated: each used
 * once), stored hashed; and the grant an access token was issued under. */
static const char m20_apps[] =
    "CREATE TABLE app_clients("
    " client_id TEXT PRIMARY KEY REFERENCES recipients(id),"
    " public INTEGER NOT NULL CHECK (public IN (0, 1)),"
    " redirect_uris TEXT NOT NULL,"
    " origins TEXT NOT NULL,"
    " updated_at INTEGER NOT NULL);"
    "CREATE TABLE app_grants("
    " id TEXT PRIMARY KEY,"
    " person_id TEXT NOT NULL,"
    " client_id TEXT NOT NULL REFERENCES recipients(id),"
    " scope TEXT NOT NULL,"
    " purposes TEXT NOT NULL,"
    " granted_at INTEGER NOT NULL,"
    " revoked_at INTEGER);"
    "CREATE INDEX app_grants_by_person ON app_grants(person_id, granted_at);"
    "CREATE TABLE oauth_codes("
    " code_hash BLOB PRIMARY KEY,"
    " grant_id TEXT NOT NULL REFERENCES app_grants(id),"
    " redirect_uri TEXT NOT NULL,"
    " challenge TEXT NOT NULL,"
    " expires_at INTEGER NOT NULL,"
    " used INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE refresh_tokens("
    " token_hash BLOB PRIMARY KEY,"
    " grant_id TEXT NOT NULL REFERENCES app_grants(id),"
    " expires_at INTEGER NOT NULL,"
    " used INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX refresh_tokens_by_grant ON refresh_tokens(grant_id);"
    "ALTER TABLE client_tokens ADD COLUMN grant_id TEXT;"
    "CREATE INDEX client_tokens_by_grant ON client_tokens(grant_id) WHERE grant_id IS NOT NULL;";

/* Bulk Data 2.0 (issue 19): the elements a client asked for (_elements)
 * and the persons it named (patient), kept with the export they shape. */
static const char m21_bulk_parameters[] =
    "ALTER TABLE bulk_exports ADD COLUMN elements TEXT;"
    "ALTER TABLE bulk_exports ADD COLUMN patients TEXT;";

/* A Bulk export is prepared before its manifest is given (issue 19): when,
 * and how many resources of each type the consents then covered
 * ("Patient:2,Observation:9"; a type with none has no file); and the
 * parameters ignored under Prefer: handling=lenient, told in its errors. */
static const char m22_bulk_prepared[] =
    "ALTER TABLE bulk_exports ADD COLUMN prepared_at INTEGER;"
    "ALTER TABLE bulk_exports ADD COLUMN counts TEXT;"
    "ALTER TABLE bulk_exports ADD COLUMN ignored TEXT;"
    "CREATE INDEX bulk_exports_unprepared ON bulk_exports(transaction_time) WHERE prepared_at IS NULL;";

/* The scopes each app may be granted (issue 19 item 1); NULL: reading
 * only (launch/patient, offline_access and reading every type). */
static const char m23_app_scopes[] = "ALTER TABLE app_clients ADD COLUMN scopes TEXT;";

/* The scopes another provider's system may be granted (issue 19 item 1);
 * NULL: reading every type, as before. */
static const char m24_client_scopes[] = "ALTER TABLE recipients ADD COLUMN scopes TEXT;";

/* Where a partner publishes its public keys (SMART Backend Services: a
 * JWKS by URL, fetched at each token request), instead of a JWKS kept here. */
static const char m25_jwks_uri[] = "ALTER TABLE recipients ADD COLUMN jwks_uri TEXT;";

/* Which version replaced a superseded one (its rowid), so that a search
 * walked page by page keeps the records as they stood when it began (issue
 * 20): versions replaced before this migration predate every walk. */
static const char m26_superseded_by[] =
    "ALTER TABLE records ADD COLUMN superseded_by INTEGER;"
    "CREATE INDEX records_superseded ON records(person_id, superseded_by) WHERE current = 0;";

/* A record's first identifier (issue 20: If-None-Exist and conditional
 * updates name a device's id of a reading): not a health value. */
static const char m27_identifier[] =
    "ALTER TABLE records ADD COLUMN identifier_system TEXT;"
    "ALTER TABLE records ADD COLUMN identifier_value TEXT;"
    "CREATE INDEX records_by_identifier ON records(person_id, identifier_value) WHERE current = 1"
    " AND identifier_value IS NOT NULL;";

/* A person's sex, date of birth and postal code as their newest imported
 * checkup gave them (issue 22: anonymised data sets; issue 23: the
 * documents written), sealed with their data key; as_of is that checkup's
 * day, so that an older file imported later does not replace them. */
static const char m28_demographics[] =
    "CREATE TABLE demographics("
    " person_id TEXT PRIMARY KEY REFERENCES persons(id),"
    " sealed BLOB NOT NULL,"
    " as_of TEXT NOT NULL,"
    " updated_at INTEGER NOT NULL);";

/* Anonymised data sets made (issue 22, APPI Art.43): what is published
 * of each (its items, when it was made: public), and its processing method
 * (the spec and the levels reached, 加工方法等情報: the asset manager's and
 * the security officer's only), with the table's hash. */
static const char m29_anonymised_sets[] =
    "CREATE TABLE anonymised_sets("
    " id INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL UNIQUE,"
    " made_at INTEGER NOT NULL,"
    " made_by TEXT NOT NULL,"
    " published TEXT NOT NULL,"
    " method TEXT NOT NULL,"
    " table_sha256 TEXT NOT NULL);"
    /* Each provision of a data set to a recipient (Art.43(4)): how, when,
     * by whom; published with the data set from the moment it is recorded. */
    "CREATE TABLE anonymised_provisions("
    " id INTEGER PRIMARY KEY,"
    " set_id INTEGER NOT NULL REFERENCES anonymised_sets(id),"
    " recipient_id TEXT NOT NULL REFERENCES recipients(id),"
    " method TEXT NOT NULL,"
    " provided_at INTEGER NOT NULL,"
    " provided_by TEXT NOT NULL);"
    "CREATE INDEX anonymised_provisions_by_set ON anonymised_provisions(set_id, id);";

/* A data set's table kept with its record, sealed (R3.13, Art.43(2)):
 * under a key of its own, that key sealed under the master key, so that
 * a key rotation re-seals a few bytes per data set, not the tables. */
static const char m30_anonymised_tables[] =
    "ALTER TABLE anonymised_sets ADD COLUMN table_key BLOB;"
    "ALTER TABLE anonymised_sets ADD COLUMN table_sealed BLOB;";

/* What a person's demographics said before a newer file or the person's
 * correction replaced them (R3.12: what was corrected is kept), sealed as
 * they were, until the account is erased. */
static const char m31_demographics_history[] =
    "CREATE TABLE demographics_history("
    " id INTEGER PRIMARY KEY,"
    " person_id TEXT NOT NULL REFERENCES persons(id),"
    " sealed BLOB NOT NULL,"
    " as_of TEXT NOT NULL,"
    " replaced_at INTEGER NOT NULL);"
    "CREATE INDEX demographics_history_by_person ON demographics_history(person_id, id);";

/* Run in a transaction of its own before migration 9 drops the old table:
 * a transaction spanning two WAL files is atomic per file only, so the
 * keys must be safe in keys.db before phr.db forgets them. */
static const char m9_before[] = "INSERT OR IGNORE INTO ks.data_keys(person_id, master_key_id, wrapped)"
                                " SELECT person_id, master_key_id, wrapped FROM main.data_keys;";

const struct db_migration sqlite_migrations[] = {
    {NULL, sqlite_m1_initial}, {NULL, sqlite_m2_consent},       {NULL, m3_checkpoints},   {NULL, m4_staff},
    {NULL, m5_incidents},    {NULL, m6_agreements},    {NULL, m7_organisations}, {NULL, m8_rates},
    {m9_before, m9_keystore}, {NULL, m10_erasure},     {NULL, m11_retention},    {NULL, m12_checksheet},
    {NULL, m13_bulk},        {NULL, m14_anonymised_notice}, {NULL, m15_second_factor}, {NULL, m16_group_export},
    {NULL, m17_second_factor_codes}, {NULL, m18_data_kind}, {NULL, m19_oauth_clients},
    {NULL, m20_apps}, {NULL, m21_bulk_parameters},
    {NULL, m22_bulk_prepared}, {NULL, m23_app_scopes},
    {NULL, m24_client_scopes}, {NULL, m25_jwks_uri}, {NULL, m26_superseded_by},
    {NULL, m27_identifier}, {NULL, m28_demographics}, {NULL, m29_anonymised_sets},
    {NULL, m30_anonymised_tables}, {NULL, m31_demographics_history},
};
const int sqlite_migration_count = (int)(sizeof sqlite_migrations / sizeof sqlite_migrations[0]);
