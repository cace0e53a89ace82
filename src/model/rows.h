/* The rows the service keeps, as plain structs: what the store hands out
 * and takes, what the service decides on and the formats write. No
 * behaviour, no engine: store/, service/ and formats/ all include this,
 * and it includes nothing of theirs.
 *
 * Rows handed out by the store point into the engine's memory and are
 * valid only during the callback that receives them. */
#ifndef PHR_MODEL_ROWS_H
#define PHR_MODEL_ROWS_H

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
    const char *identifier_system, *identifier_value;   /* the first identifier (written, not read back) */
    int64_t rowid;                            /* on reading a search: its place in the order of writing */
};

/* FHIR date prefixes (R4 3.1.1.5.7). */
enum date_op { DATE_EQ, DATE_NE, DATE_GE, DATE_LE, DATE_GT, DATE_LT, DATE_SA, DATE_EB, DATE_AP };
#define QUERY_MAX_DATES 4

/* A date parameter's range against the record's effective range, or (when)
 * against the instant its version was written (_lastUpdated). */
struct date_cond {
    enum date_op op;
    int64_t lo, hi;
    int when;
};

/* A token parameter: one of its values ([system|]code; "|code": no system;
 * "system|": any code of it) must match, or (not) none may. */
enum token_on { TOKEN_CODE, TOKEN_CATEGORY, TOKEN_ID, TOKEN_IDENTIFIER };
#define QUERY_MAX_TOKENS 8

struct token_value {
    const char *system, *code;   /* NULL: any */
    int no_system;
};

struct token_cond {
    enum token_on on;
    int not;
    const struct token_value *v;
    int n;
};

/* What a search may be sorted by (FHIR _sort), each ascending or not; the
 * order of writing breaks ties. */
enum sort_key { SORT_DATE, SORT_LAST_UPDATED, SORT_CODE, SORT_ID };
#define QUERY_MAX_SORT 3

struct sort_term {
    enum sort_key key;
    int desc;
};

/* A row's place in a search's order: its values of the sort keys (int for
 * date and _lastUpdated, text for code and _id) and its rowid. */
struct record_position {
    int64_t ints[QUERY_MAX_SORT];
    const char *texts[QUERY_MAX_SORT];
    int64_t rowid;
};

struct record_query {
    const char *person_id;
    const char *resource_type;        /* NULL: those of types */
    const char *types;                /* then only these, ",A,B,"; NULL: every record type */
    const char *id;                   /* NULL: any */
    struct token_cond tokens[QUERY_MAX_TOKENS];
    int ntokens;
    const char *kinds;                /* only these data kinds, ",a,b," (data_kinds_filter); NULL: any */
    struct date_cond dates[QUERY_MAX_DATES];
    int ndates;
    struct sort_term sort[QUERY_MAX_SORT];
    int nsort;                        /* 0: by date, newest first */
    /* The records as they stood when rowid `snapshot` was the last written
     * (each in the version then current); 0: the current versions now.
     * replaced: also look among the versions replaced since (none were, the
     * search is simpler: store_record_replaced_since). */
    int64_t snapshot;
    int replaced;
    /* Without a snapshot: set to the last rowid written as the statement
     * saw it, the snapshot of a walk that begins with this page (no row
     * it did not see was written by then, nor any version it saw replaced). */
    int64_t *taken;
    /* Only rows past this place in the order (before it, backwards: then
     * the rows come nearest first); NULL: from the start. */
    const struct record_position *after;
    int backwards;
    int count;
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
/* A recipient's app as an OAuth client (SMART App Launch). */
struct app_client_row {
    const char *client_id, *name, *address, *country, *kind;
    int public_client;          /* no secret: PKCE only */
    const char *redirect_uris;  /* space-separated, each matched exactly */
    const char *origins;        /* space-separated web origins allowed to call from a browser */
    const char *scopes;         /* what it may be granted, space-separated; NULL: reading only */
};

/* A person's approval of an app: what it may read, under which purposes. */
struct app_grant_row {
    const char *id, *person_id, *client_id, *scope;
    const char *purposes;       /* "code:version,…" granted on approval */
    int64_t granted_at, revoked_at; /* revoked_at 0: in force */
    const char *client_name;    /* on listing */
    int64_t last_used_at;       /* on listing: the newest provision to the app, 0 if none */
};

/* An authorization code or a refresh token, with the grant it stands for. */
struct app_secret_row {
    const char *grant_id, *client_id, *person_id, *scope, *purposes;
    const char *redirect_uri, *challenge; /* codes only */
    int64_t expires_at, grant_revoked_at;
    int used;
};

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
    /* A page after the entry at after_at with seq after_seq (has_after). */
    int has_after;
    int64_t after_at, after_seq;
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
    int64_t provisions, sessions, staff_sessions, client_tokens, client_assertions, throttles, rates, oauth_codes,
        refresh_tokens;
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
    const char *elements;         /* _elements as asked ("id,Observation.meta"), or NULL for whole resources */
    const char *patients;         /* the persons the patient parameter named, comma-separated, or NULL */
    int64_t prepared_at;          /* 0 while being prepared */
    const char *counts;           /* once prepared: "Type:n,…", types with none left out */
    const char *ignored;          /* parameters ignored under handling=lenient, comma-separated, or NULL */
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
    int64_t anonymised_sets;     /* data sets made (each published as it was made) */
    int64_t anonymised_provisions;
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

#endif
