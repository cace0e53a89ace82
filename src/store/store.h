/* The store: every durable fact lives behind this one interface.
 *
 * A `struct store` is one connection to one backend. The backend is chosen
 * by store_open() from the location: a path (or "sqlite:PATH") is the
 * embedded SQLite store; PostgreSQL will sit behind the same operations.
 * Nothing above this layer writes SQL, and nothing here knows HTTP.
 *
 * Rows handed out by the read operations point into the backend's memory
 * and are valid only during the callback (or until the next call on the
 * same connection for the *_get operations with a callback). Operations
 * return 0 or a PHR_* code from util/err.h; "absent" is PHR_ENOTFOUND.
 *
 * Writes happen only on the writer's connection (store/writer.h), inside
 * the batch transaction it manages; readers use connections from a pool. */
#ifndef PHR_STORE_H
#define PHR_STORE_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_BYTES 32

struct person_row {
    const char *id;
    const char *login;
    const char *pw_hash;
    const char *status;          /* "active" */
    int64_t created_at;
    const char *master_key_id;   /* which master key wrapped the data key */
    const unsigned char *wrapped_key;
    size_t wrapped_key_len;
};

struct session_row {
    const unsigned char *token_hash; /* SHA-256 of the token: the token itself is never stored */
    const char *person_id;
    int64_t created_at, last_seen_at, expires_at;
};

struct throttle_row {
    int failures;
    int64_t last_failure_at, locked_until;
};

/* One version of one record. Index columns are the only plaintext. */
struct record_row {
    const char *id;
    int version;
    const char *person_id;
    const char *resource_type;
    const char *code_system, *code, *category;
    const char *data_kind;                    /* formats/data_kinds.h; NULL on reading: not yet classified */
    int64_t effective_start, effective_end;   /* ms, inclusive range */
    int data_category;                        /* R1.1: 1, 2 or 3 */
    const char *source;                       /* R1.1: self-measured, device, ... */
    int64_t recorded_at;
    const char *recorded_by, *channel;
    const unsigned char *original_mac;        /* keyed, see crypto/seal.h */
    int alg;
    const unsigned char *body, *original;     /* sealed */
    size_t body_len, original_len;
    int current;
};

enum date_op { DATE_EQ, DATE_NE, DATE_GE, DATE_LE, DATE_GT, DATE_LT };
#define QUERY_MAX_DATES 4

struct date_cond {
    enum date_op op;
    int64_t lo, hi;
};

struct record_query {
    const char *person_id;
    const char *resource_type;
    const char *code_system, *code;   /* NULL: any */
    const char *category;             /* NULL: any */
    const char *kinds;                /* only these data kinds, ",a,b," (data_kinds_filter); NULL: any */
    struct date_cond dates[QUERY_MAX_DATES];
    int ndates;
    int sort_desc;
    int count, offset;
};

struct audit_row {
    int64_t seq;
    int64_t at;
    const char *actor, *role, *action, *subject, *records, *reason, *client, *result, *request_id;
    const unsigned char *prev_hash, *hash;
};

/* Consent (R3.1-R3.6, R3.9). Documents and purposes are published, never
 * changed; consents and suspensions are ledgers, and their current state is
 * kept beside them by the same operation that appends. */
struct document_row {
    const char *kind;            /* terms, summary, privacy */
    int version;
    const char *lang;            /* ja, en */
    const char *title, *body;
    const char *sha256;          /* hex, of body exactly as shown */
    int64_t effective_at, published_at;
    int export_days;             /* terms: the export period on termination; 0 otherwise */
};

struct purpose_row {
    const char *code;
    int version;
    int required;
    const char *title_ja, *title_en, *description_ja, *description_en;
    const char *change;          /* initial, material, minor, retired */
    int64_t published_at;
    int covered_from;            /* current rows: oldest version a consent may name */
    const char *recipient_group; /* provision purposes: the group provided to, else NULL */
    const char *kinds;           /* provision purposes: "Observation,…", else NULL */
};

struct consent_row {
    int64_t seq;
    const char *person_id, *purpose;
    int purpose_version;
    const char *decision;        /* grant, refuse, withdraw */
    int64_t at;
    const char *channel, *recorded_by;
    const char *documents;       /* "kind:version:lang:sha256,…" shown when deciding */
    const char *countries;       /* foreign countries named, "US,SG", or "" */
};

struct suspension_row {
    int64_t seq;
    const char *person_id, *purpose; /* "*": every purpose */
    const char *action;              /* suspend, lift */
    int64_t at;
    const char *channel, *recorded_by;
};

/* What the gate needs to know about one person's consent, in one read. */
struct consent_facts {
    int required_in_force;       /* required purposes published and not retired */
    char missing[64];            /* a required purpose without a covering grant, "" if none */
    int suspended_all;           /* use suspended for every purpose, or for a required one */
};

/* Third-party provision (R3.4, R3.7). */
/* An outside organisation (R2.7): a recipient of provision, a processor
 * (委託先) or a partner. */
struct recipient_row {
    const char *id, *name, *address;
    const char *country;         /* ISO 3166 alpha-2 */
    const char *contact;
    const unsigned char *secret_hash; /* SHA-256 of the client secret */
    int64_t created_at;
    const char *kind;            /* recipient, processor, partner */
    /* On listing: the newest agreement, if any. */
    const char *agreement_version, *certification;
    int64_t signed_on, cert_expires;
    int agreement_ended;
    const char *groups;          /* on listing: the group codes it belongs to, comma-separated, or NULL */
};

struct agreement_row {
    const char *recipient_id, *version;
    int64_t signed_on;            /* ms */
    const char *certification;    /* "ISMS", "Pマーク", or NULL */
    int64_t cert_expires;         /* ms, 0: none stated */
    int ended;                    /* the agreement was terminated */
    int64_t recorded_at;
};

/* A basis for providing one person's data to one recipient now: a purpose
 * in force for a group the recipient belongs to, the kinds of data it
 * provides, and the person's grant relied on. The recipient's newest
 * agreement must be in force (not ended, certification not expired). */
struct provision_basis_row {
    const char *purpose;
    int purpose_version;
    int64_t consent_seq;
    const char *kinds;           /* as published: "vital-signs,checkup" */
};

struct provision_row {
    int64_t seq, at;
    const char *recipient_id, *person_id, *purpose;
    int purpose_version;
    int64_t consent_seq;
    const char *items;           /* record ids, comma-separated */
    const char *request_id;
    const char *recipient_name, *recipient_country; /* on reading */
};

struct checkpoint_row {
    int64_t id, at;
    int64_t audit_seq;                 /* the last entry covered */
    const unsigned char *head_hash;    /* that entry's hash */
    const char *key_id;
    const unsigned char *signature;    /* Ed25519, 64 bytes */
};

/* Staff (R2.1, R2.2, R2.4). */
struct staff_row {
    const char *id, *login, *pw_hash;
    const char *role;                  /* security-officer, asset-manager, handler, auditor */
    const unsigned char *totp_sealed;  /* under the master key, see crypto/keys.h */
    size_t totp_sealed_len;
    int64_t totp_last_step;
    const char *status;                /* active, disabled */
    int64_t created_at, last_login_at; /* last_login_at 0: never */
    const char *disabled_reason;
};

struct reason_row {
    const char *id, *staff_id, *person_id, *reason;
    int64_t created_at, expires_at;
};

struct incident_row {
    int64_t id, refers_to;        /* refers_to 0: a new incident */
    int64_t recorded_at, found_at; /* found_at 0: not given */
    const char *recorded_by, *what, *told;
};

/* Entries matching every field given (NULL: any), from..to inclusive. */
struct audit_filter {
    const char *actor, *subject, *action, *result, *client;
    int64_t from, to;
};

typedef int (*record_cb)(void *arg, const struct record_row *r);
typedef int (*audit_cb)(void *arg, const struct audit_row *a);
typedef int (*checkpoint_cb)(void *arg, const struct checkpoint_row *c);

/* An erasure on request (R3.10): requested, then (confirmed) erasing, then
 * done. scope "account" or "records" (codes: comma-separated, "" = all). */
struct erasure_row {
    const char *id, *person_id, *scope, *codes, *requested_by, *status, *erased;
    int64_t requested_at, expires_at, confirmed_at, done_at;
};

/* What an erasure would remove, and what the law makes it keep. */
struct erasure_counts {
    int64_t records, versions;                 /* distinct records, all their versions */
    int64_t consents, suspensions, sessions;   /* account scope only */
    int64_t provisions, audit;                 /* kept: provision records, handling history */
    int64_t last_provision_at;                 /* 0 if none */
};

/* A notice to a person (R3.11, R4.5): kind "inactivity" (erase_after: the
 * data goes then unless they sign in) or "termination". */
struct notice_row {
    int64_t id;
    const char *person_id, *kind;
    int64_t at, erase_after, resolved_at;
};

struct termination_row {
    int64_t announced_at, export_until, erase_after;
    const char *announced_by;
};

/* What retention prunes: rows older than these (ms since the epoch). */
struct prune_limits {
    int64_t now, provisions_before, throttle_before, rates_before;
};
struct prune_counts {
    int64_t provisions, sessions, staff_sessions, client_tokens, throttles, rates;
};

/* A person's optional TOTP key (service/second_factor.c), sealed with the
 * person's data key. */
struct second_factor_row {
    const char *person_id;
    const unsigned char *sealed;
    size_t sealed_len;
    int alg;                     /* enum seal_alg */
    int enabled;                 /* 0: awaiting the first code */
    int64_t last_step, created_at;
};

/* A Bulk Data export a recipient started (R4.4): the types it asked for
 * (comma-separated), from when (since, 0: everything) and as of when; its
 * files are made when they are fetched, under the consent of that moment. */
struct bulk_export_row {
    const char *id, *recipient_id, *types;
    const char *group_code;       /* a Group export's recipient group, or NULL for every person */
    int64_t since, transaction_time, expires_at, cancelled_at;
};

/* The checksheet (R5.1-R5.3): what it computes from the store itself. */
struct checksheet_facts {
    int64_t records, records_unsealed;
    int64_t persons, persons_without_key, persons_without_consent;
    int64_t staff_active, staff_without_mfa, security_officers, asset_managers, auditors, handlers;
    int64_t recipient_reads, reads_without_provision_record;
    int64_t last_retention_at;   /* 0: never */
    int64_t erasures_done, erasures_unfinished;
    int64_t terms_export_days;   /* of the terms in force; 0: none */
    int64_t document_kinds, purposes;
    int64_t provisions_after_withdrawal, withdrawals;
};

/* The security officer's answer to an organisational item. */
struct checksheet_answer_row {
    const char *item, *status, *reason, *document, *answered_by;
    int64_t answered_on, at;
};

struct assessment_row {
    int64_t id;
    const char *guideline_version, *items_sha256, *body, *approved_by;
    int64_t assessed_at, approved_at;   /* approved_at 0: a draft, never public */
};

struct store;

struct store_ops {
    const char *name;
    void (*close)(struct store *st);
    int (*begin)(struct store *st);
    /* A read transaction: every read until commit sees one snapshot (of
     * each file as first read; the key store is read before it). */
    int (*begin_read)(struct store *st);
    int (*commit)(struct store *st);
    int (*rollback)(struct store *st);
    int (*savepoint)(struct store *st);
    int (*release)(struct store *st);
    int (*rollback_to)(struct store *st);

    int (*person_insert)(struct store *st, const struct person_row *p);
    int (*person_by_login)(struct store *st, const char *login, void (*cb)(void *, const struct person_row *), void *arg);
    int (*person_by_id)(struct store *st, const char *id, void (*cb)(void *, const struct person_row *), void *arg);

    int (*session_insert)(struct store *st, const struct session_row *s);
    int (*session_get)(struct store *st, const unsigned char hash[SHA256_BYTES], void (*cb)(void *, const struct session_row *), void *arg);
    int (*session_touch)(struct store *st, const unsigned char hash[SHA256_BYTES], int64_t now);
    int (*session_delete)(struct store *st, const unsigned char hash[SHA256_BYTES]);

    int (*throttle_get)(struct store *st, const char *login, struct throttle_row *out);
    int (*throttle_put)(struct store *st, const char *login, const struct throttle_row *t);
    int (*throttle_clear)(struct store *st, const char *login);

    int (*record_insert)(struct store *st, const struct record_row *r);
    /* version 0: the current version. */
    int (*record_get)(struct store *st, const char *id, int version, record_cb cb, void *arg);
    /* Marks the current version `version` of id as superseded; PHR_ECONFLICT
     * if it is not the current one. */
    int (*record_supersede)(struct store *st, const char *id, int version);
    int (*record_history)(struct store *st, const char *id, record_cb cb, void *arg);
    int (*record_search)(struct store *st, const struct record_query *q, record_cb cb, void *arg);
    int (*record_count)(struct store *st, const struct record_query *q, int64_t *n);

    /* The current record of this type whose original has this keyed
     * digest (a document imported before); id holds 37. PHR_ENOTFOUND. */
    int (*record_by_original)(struct store *st, const char *person, const char *type, const unsigned char mac[32],
                              char id[37]);
    /* Every version (or only the current ones) of a person's records
     * (person NULL, not current_only: everyone's) written after cursor
     * `after` (0: from the start), at most limit; *last: the cursor to go
     * on from. */
    int (*record_page)(struct store *st, const char *person, int current_only, int64_t after, int limit, record_cb cb,
                       void *arg, int64_t *last);
    /* Versions written before records had a data kind (at most limit), and
     * one such version's kind set. */
    int (*record_unclassified)(struct store *st, int limit, record_cb cb, void *arg);
    int (*record_classify)(struct store *st, const char *id, int version, const char *data_kind);

    int (*document_insert)(struct store *st, const struct document_row *d);
    /* The newest version of each kind and language. */
    int (*document_current)(struct store *st, int (*cb)(void *, const struct document_row *), void *arg);
    /* Every version of a kind, newest first (each language). */
    int (*document_versions)(struct store *st, const char *kind, int (*cb)(void *, const struct document_row *),
                             void *arg);
    /* Inserts a version and moves the purpose's current row to it. */
    int (*purpose_insert)(struct store *st, const struct purpose_row *p);
    /* Current versions, retired ones included, by code. */
    int (*purpose_current)(struct store *st, int (*cb)(void *, const struct purpose_row *), void *arg);
    int (*consent_append)(struct store *st, const struct consent_row *c);
    /* One person's ledger, oldest first. */
    int (*consent_history)(struct store *st, const char *person_id,
                           int (*cb)(void *, const struct consent_row *), void *arg);
    /* One person's latest decision per purpose. */
    int (*consent_state)(struct store *st, const char *person_id,
                         int (*cb)(void *, const struct consent_row *), void *arg);
    int (*consent_facts)(struct store *st, const char *person_id, struct consent_facts *out);
    /* PHR_ECONFLICT: suspending what is suspended, lifting what is not. */
    int (*suspension_append)(struct store *st, const struct suspension_row *r);
    int (*suspension_history)(struct store *st, const char *person_id,
                              int (*cb)(void *, const struct suspension_row *), void *arg);

    int (*recipient_insert)(struct store *st, const struct recipient_row *r);
    int (*recipient_get)(struct store *st, const char *id, int (*cb)(void *, const struct recipient_row *), void *arg);
    /* Every organisation with its newest agreement. */
    int (*recipient_list)(struct store *st, int (*cb)(void *, const struct recipient_row *), void *arg);
    /* PHR_ECONFLICT if the group exists. */
    int (*group_insert)(struct store *st, const char *code, const char *name, int64_t at);
    /* join or leave; PHR_ECONFLICT if already (not) a member, PHR_ENOTFOUND
     * if the group or the recipient does not exist. */
    int (*group_change)(struct store *st, const char *group, const char *recipient, const char *action, int64_t at);
    int (*client_token_insert)(struct store *st, const unsigned char hash[SHA256_BYTES], const char *recipient,
                               int64_t created_at, int64_t expires_at);
    /* out holds 37 bytes. PHR_ENOTFOUND if unknown. */
    int (*client_token_get)(struct store *st, const unsigned char hash[SHA256_BYTES], char *recipient,
                            int64_t *expires_at);
    /* Every basis there is now (none: no callback); group: only through
     * that recipient group (a Group export), or NULL for any. */
    int (*provision_bases)(struct store *st, const char *recipient, const char *person, const char *group, int64_t now,
                           int (*cb)(void *, const struct provision_basis_row *), void *arg);
    /* PHR_ENOTFOUND if the recipient does not exist. */
    int (*agreement_insert)(struct store *st, const struct agreement_row *a);
    int (*provision_insert)(struct store *st, const struct provision_row *p);
    /* One person's provision records, oldest first, with the recipient. */
    int (*provision_list)(struct store *st, const char *person, int (*cb)(void *, const struct provision_row *),
                          void *arg);

    int (*staff_insert)(struct store *st, const struct staff_row *s);
    /* by login, or (by_id) by id. PHR_ENOTFOUND. */
    int (*staff_get)(struct store *st, const char *key, int by_id, int (*cb)(void *, const struct staff_row *),
                     void *arg);
    int (*staff_list)(struct store *st, int (*cb)(void *, const struct staff_row *), void *arg);
    int (*staff_logged_in)(struct store *st, const char *id, int64_t at, int64_t totp_step);
    /* status and reason (NULL to keep the role), or a new role (status NULL). */
    int (*staff_update)(struct store *st, const char *id, const char *status, const char *reason, const char *role);
    int (*staff_recovery_insert)(struct store *st, const char *staff_id, const unsigned char hash[SHA256_BYTES]);
    /* Marks an unused code used; PHR_ENOTFOUND if there is none such. */
    int (*staff_recovery_use)(struct store *st, const char *staff_id, const unsigned char hash[SHA256_BYTES],
                              int64_t at);
    int (*staff_session_insert)(struct store *st, const unsigned char hash[SHA256_BYTES], const char *staff_id,
                                int64_t created_at, int64_t expires_at);
    /* out holds 37 bytes. */
    int (*staff_session_get)(struct store *st, const unsigned char hash[SHA256_BYTES], char *staff_id,
                             int64_t *last_seen_at, int64_t *expires_at);
    int (*staff_session_touch)(struct store *st, const unsigned char hash[SHA256_BYTES], int64_t now);
    int (*staff_sessions_end)(struct store *st, const char *staff_id);
    int (*reason_insert)(struct store *st, const struct reason_row *r);
    int (*reason_get)(struct store *st, const char *id, int (*cb)(void *, const struct reason_row *), void *arg);

    /* Adds delta to key's count for window; *total is the count after. */
    int (*rate_add)(struct store *st, const char *key, int64_t window, int64_t delta, int64_t *total);
    int (*rate_prune)(struct store *st, int64_t before_window);
    /* The count for key in window, 0 if none. */
    int (*rate_get)(struct store *st, const char *key, int64_t window, int64_t *count);
    /* PHR_ENOTFOUND if refers_to names no incident. */
    int (*incident_insert)(struct store *st, const struct incident_row *r, int64_t *id);
    int (*incident_list)(struct store *st, int (*cb)(void *, const struct incident_row *), void *arg);
    /* Every column of every table, from the live schema (the inventory). */
    int (*schema_columns)(struct store *st, int (*cb)(void *, const char *table, const char *column), void *arg);

    /* Master-key rotation: data keys not wrapped by key_id (at most limit),
     * their count, and a re-wrapped key written back. */
    int (*data_keys_other)(struct store *st, const char *key_id, int limit,
                           int (*cb)(void *, const char *person_id, const char *key_id, const unsigned char *wrapped,
                                     size_t len),
                           void *arg);
    int (*data_keys_count_other)(struct store *st, const char *key_id, int64_t *n);
    int (*data_key_update)(struct store *st, const char *person_id, const char *key_id, const unsigned char *wrapped,
                           size_t len);
    int (*staff_totp_update)(struct store *st, const char *staff_id, const unsigned char *sealed, size_t len);

    /* Erasure: what a scope covers; the request's row and its status; the
     * person's rows (records only, or the account: all but the handling
     * history, provision records and the erasure rows, the person row
     * left as a tombstone without login or password); their data key. */
    int (*erasure_count)(struct store *st, const char *person, int account, const char *codes,
                         struct erasure_counts *out);
    int (*erasure_insert)(struct store *st, const struct erasure_row *e);
    /* PHR_ENOTFOUND. */
    int (*erasure_get)(struct store *st, const char *id, int (*cb)(void *, const struct erasure_row *), void *arg);
    /* Unfinished (status "erasing") erasures, oldest first. */
    int (*erasure_unfinished)(struct store *st, int (*cb)(void *, const struct erasure_row *), void *arg);
    int (*erasure_set)(struct store *st, const char *id, const char *status, int64_t at, const char *erased);
    int (*erase_records)(struct store *st, const char *person, const char *codes, int64_t *n);
    int (*erase_account)(struct store *st, const char *person);
    int (*erase_data_key)(struct store *st, const char *person);
    /* Outside a transaction, after erase_data_key committed: copies the key
     * store's log into its file and truncates it, so that no earlier image
     * of the erased key stays in the log. PHR_EBUSY if readers held it. */
    int (*keystore_checkpoint)(struct store *st);
    /* Deletes the key of every person whose account erasure is done: a key
     * store restored from a backup forgets them again. *n: keys deleted. */
    int (*erase_keys_of_erased)(struct store *st, int64_t *n);

    /* Retention and termination. Active persons not seen since before (and
     * not yet told); every active person; notices; the time of sign-in. */
    int (*persons_inactive)(struct store *st, int64_t before, int (*cb)(void *, const char *person), void *arg);
    int (*persons_active)(struct store *st, int (*cb)(void *, const char *person), void *arg);
    int (*notice_insert)(struct store *st, const struct notice_row *n);
    /* Open notices of a person (kind ignored), or (person NULL) of a kind. */
    int (*notices_open)(struct store *st, const char *person, const char *kind,
                        int (*cb)(void *, const struct notice_row *), void *arg);
    int (*notices_resolve)(struct store *st, const char *person, const char *kind, int64_t at);
    int (*person_logged_in)(struct store *st, const char *person, int64_t at);
    /* Deletes (dry: counts) provision records, expired sessions, tokens,
     * stale throttle and rate rows. */
    int (*retention_prune)(struct store *st, const struct prune_limits *l, int dry, struct prune_counts *out);
    int (*termination_insert)(struct store *st, const struct termination_row *t);
    /* The latest announcement; PHR_ENOTFOUND if none. */
    int (*termination_get)(struct store *st, struct termination_row *out);
    int (*retention_run_insert)(struct store *st, int64_t at, int64_t as_of, const char *summary);
    int (*retention_run_last)(struct store *st, int64_t *at);

    /* The checksheet: facts (reads by recipients since provisions_since
     * must each have a provision record), answers (the latest per item),
     * assessments (approve: PHR_ECONFLICT if approved already or absent;
     * list: newest first). */
    int (*checksheet_facts)(struct store *st, int64_t provisions_since, struct checksheet_facts *out);
    int (*checksheet_answer_insert)(struct store *st, const struct checksheet_answer_row *a);
    int (*checksheet_answers_latest)(struct store *st, int (*cb)(void *, const struct checksheet_answer_row *),
                                     void *arg);
    int (*assessment_insert)(struct store *st, const struct assessment_row *a, int64_t *id);
    int (*assessment_approve)(struct store *st, int64_t id, int64_t at, const char *by);
    int (*assessment_get)(struct store *st, int64_t id, int (*cb)(void *, const struct assessment_row *), void *arg);
    int (*assessment_list)(struct store *st, int approved_only, int (*cb)(void *, const struct assessment_row *),
                           void *arg);

    /* Bulk Data exports (get: PHR_ENOTFOUND if none; cancel: PHR_ENOTFOUND
     * if none or cancelled already); the active persons in id order after
     * `after` ("" from the start), at most limit. */
    int (*bulk_export_insert)(struct store *st, const struct bulk_export_row *b);
    int (*bulk_export_get)(struct store *st, const char *id, int (*cb)(void *, const struct bulk_export_row *),
                           void *arg);
    int (*bulk_export_cancel)(struct store *st, const char *id, int64_t at);
    int (*person_page)(struct store *st, const char *after, int limit, int (*cb)(void *, const char *person),
                       void *arg);

    /* PHR_ENOTFOUND if the person has none. */
    int (*second_factor_get)(struct store *st, const char *person,
                             int (*cb)(void *, const struct second_factor_row *), void *arg);
    /* Replaces a key awaiting confirmation; PHR_ECONFLICT if one is enabled. */
    int (*second_factor_put)(struct store *st, const struct second_factor_row *r);
    /* Enables the key and records step as used; PHR_ECONFLICT if step is
     * not after the last one used (a replayed code). */
    int (*second_factor_use)(struct store *st, const char *person, int64_t step);
    /* PHR_ENOTFOUND if there was none; its recovery codes go with it. */
    int (*second_factor_delete)(struct store *st, const char *person);
    /* Replaces the person's recovery codes with n new ones (hashes). */
    int (*second_factor_codes_put)(struct store *st, const char *person, const unsigned char (*hashes)[SHA256_BYTES],
                                   size_t n);
    /* Marks an unused code used; PHR_ENOTFOUND if there is no such unused code. */
    int (*second_factor_code_use)(struct store *st, const char *person, const unsigned char hash[SHA256_BYTES],
                                  int64_t at);
    /* PHR_OK if recipient belongs to group, PHR_ENOTFOUND if not. */
    int (*group_member)(struct store *st, const char *group, const char *recipient);

    int (*audit_insert)(struct store *st, const struct audit_row *a);
    int (*audit_last)(struct store *st, int64_t *seq, unsigned char hash[SHA256_BYTES]);
    int (*audit_scan)(struct store *st, int64_t from_seq, audit_cb cb, void *arg);
    /* In time order. */
    int (*audit_query)(struct store *st, const struct audit_filter *f, audit_cb cb, void *arg);
    /* Entries about a person by anyone else, newest first, at most limit. */
    int (*audit_by_others)(struct store *st, const char *person, int limit, audit_cb cb, void *arg);
    /* The same entries oldest first, after seq after_seq, at most limit. */
    int (*audit_about)(struct store *st, const char *person, int64_t after_seq, int limit, audit_cb cb, void *arg);
    int (*checkpoint_insert)(struct store *st, const struct checkpoint_row *c);
    /* All checkpoints in order; or (last) only the newest. */
    int (*checkpoint_scan)(struct store *st, int last, checkpoint_cb cb, void *arg);
};

struct store {
    const struct store_ops *ops;
};

enum {
    STORE_READONLY = 1,
    STORE_CREATE = 2,
    /* The writer's connection: the backend may move housekeeping (SQLite's
     * WAL checkpoints) off the commit path. */
    STORE_WRITER = 4,
};

/* Opens (with STORE_CREATE: creates) and migrates the schema up to the
 * version this binary knows. PHR_EVERSION if the store is newer. */
int store_open(const char *location, int flags, struct store **out);

static inline void store_close(struct store *st) { if (st) st->ops->close(st); }
static inline int store_begin(struct store *st) { return st->ops->begin(st); }
static inline int store_commit(struct store *st) { return st->ops->commit(st); }
static inline int store_rollback(struct store *st) { return st->ops->rollback(st); }

/* A bounded set of read connections shared by request threads. */
struct store_pool;
int store_pool_create(const char *location, unsigned max, struct store_pool **out);
int store_pool_get(struct store_pool *p, struct store **out);
void store_pool_put(struct store_pool *p, struct store *st);
void store_pool_destroy(struct store_pool *p);

#endif
