#include "store/migrations.h"

/* What is plaintext here is decided by design.md invariant 3: ids, kinds,
 * codes, dates, categories, sources and provenance actors. Values, notes and
 * the submitted originals are only in the sealed blobs. */
static const char m1_initial[] =
    "CREATE TABLE persons("
    " id TEXT PRIMARY KEY,"
    " login TEXT NOT NULL UNIQUE,"
    " pw_hash TEXT NOT NULL,"
    " status TEXT NOT NULL,"
    " created_at INTEGER NOT NULL);"
    /* Wrapped data keys live apart from persons so that erasure can destroy
     * exactly the key (crypto-shredding) and key rotation touches one table. */
    "CREATE TABLE data_keys("
    " person_id TEXT PRIMARY KEY REFERENCES persons(id),"
    " master_key_id TEXT NOT NULL,"
    " wrapped BLOB NOT NULL);"
    "CREATE TABLE sessions("
    " token_hash BLOB PRIMARY KEY,"
    " person_id TEXT NOT NULL REFERENCES persons(id),"
    " created_at INTEGER NOT NULL,"
    " last_seen_at INTEGER NOT NULL,"
    " expires_at INTEGER NOT NULL);"
    "CREATE INDEX sessions_by_person ON sessions(person_id);"
    /* Keyed by the login as typed (normalised), whether or not an account
     * has it, so that lock-out says nothing about existence. */
    "CREATE TABLE login_throttle("
    " login TEXT PRIMARY KEY,"
    " failures INTEGER NOT NULL,"
    " last_failure_at INTEGER NOT NULL,"
    " locked_until INTEGER NOT NULL);"
    "CREATE TABLE records("
    " id TEXT NOT NULL,"
    " version INTEGER NOT NULL,"
    " person_id TEXT NOT NULL REFERENCES persons(id),"
    " resource_type TEXT NOT NULL,"
    " code_system TEXT,"
    " code TEXT,"
    " category TEXT,"
    " effective_start INTEGER,"
    " effective_end INTEGER,"
    " data_category INTEGER NOT NULL CHECK (data_category IN (1, 2, 3)),"
    " source TEXT NOT NULL,"
    " recorded_at INTEGER NOT NULL,"
    " recorded_by TEXT NOT NULL,"
    " channel TEXT NOT NULL,"
    " original_mac BLOB NOT NULL,"
    " alg INTEGER NOT NULL,"
    " body BLOB NOT NULL,"
    " original BLOB NOT NULL,"
    " current INTEGER NOT NULL,"
    " PRIMARY KEY (id, version));"
    /* One search index, in date order per person, covering every search
     * filter, so that filtering and counting never read a sealed row
     * (`current` is listed so that SQLite sees it as covering). A second
     * index keyed by code would make code searches seek instead of scan,
     * but every insert would dirty one more random page: measured, it cost
     * more at ingest than it saved at search (docs/benchmarks.md). */
    "CREATE INDEX records_search ON records(person_id, resource_type, effective_start,"
    " effective_end, code, code_system, category, current) WHERE current = 1;"
    "CREATE TABLE audit("
    " seq INTEGER PRIMARY KEY,"
    " at INTEGER NOT NULL,"
    " actor TEXT NOT NULL,"
    " role TEXT NOT NULL,"
    " action TEXT NOT NULL,"
    " subject TEXT,"
    " records TEXT,"
    " reason TEXT,"
    " client TEXT,"
    " result TEXT NOT NULL,"
    " request_id TEXT,"
    " prev_hash BLOB NOT NULL,"
    " hash BLOB NOT NULL);"
    /* The hash chain detects tampering; these triggers stop our own code
     * (or a careless operator's SQL) from trying. */
    "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit"
    " BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
    "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit"
    " BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;";

const char *const sqlite_migrations[] = {m1_initial};
const int sqlite_migration_count = (int)(sizeof sqlite_migrations / sizeof sqlite_migrations[0]);
