/* The use cases of the PHR service, shared by the HTTP API and the CLI.
 *
 * A use case runs in three steps:
 *  1. prepare, on the caller's thread: validate, read what is needed from a
 *     read connection, decide at the gate, seal — then return an op;
 *  2. commit, on the writer thread: the op's store writes and its audit
 *     entry, in one transaction batched with other ops (op_submit);
 *  3. render, on the caller's thread again once `done` has been called:
 *     open sealed bodies and write the answer (op_render).
 * Nothing a client sees is rendered before its audit entry is durable. */
#ifndef PHR_SERVICE_H
#define PHR_SERVICE_H

#include <stdint.h>

#include "access/gate.h"
#include "formats/policy.h"
#include "formats/scopes.h"
#include "formats/search.h"
#include "util/buf.h"
#include "util/fault.h"

struct service_config {
    const char *db_path;
    const char *key_path;
    const char *old_key_paths;    /* comma-separated: keys being rotated away from */
    const char *audit_key_path;   /* Ed25519 key that signs checkpoints */
    int64_t checkpoint_interval_ms; /* 0: only when the service opens and closes */
    const char *witness_path;     /* each checkpoint also appended here; NULL: the log only */
    int64_t staff_session_idle_ms;  /* staff sessions end sooner than persons' */
    int64_t staff_session_max_ms;
    int64_t staff_inactive_ms;      /* a staff account unused this long is disabled */
    int64_t session_idle_ms;      /* a session unused this long expires */
    int64_t session_max_ms;       /* and every session expires this long after login */
    int login_lock_after;         /* consecutive failures that lock a login */
    int client_lock_after;        /* failures from one client address, any login, that lock it out */
    int64_t login_lock_ms;        /* for this long */
    int64_t login_delay_ms;       /* after n failures, wait delay * 2^(n-1) before the next try */
    int tz_offset_min;            /* zone of date-only values: +540 (Japan) */
    unsigned read_connections;
    unsigned max_batch;
    unsigned hash_concurrency;    /* Argon2id hashes at once */
    const char *crash_after;      /* tests only: exit right after this step ("erasure.rows", …) */
    /* Retention (R3.11): see service/retention.c. */
    int64_t inactive_after_ms;    /* not signed in this long: told, then erased; 0: never */
    int64_t inactive_notice_ms;   /* between that notice and the erasure */
    int64_t provision_keep_ms;    /* provision records are kept this long */
    int64_t retention_interval_ms; /* serve applies the rules this often; 0: only `phr retention run` */
    const char *notice_sink;      /* "log" (default) or "file:PATH" */
    const char *provider_id;      /* who makes the SPHR packages: a short id (names their folder) */
    const char *provider_name;    /* and the provider's name (their cover page's author) */
};

void service_config_defaults(struct service_config *cfg);

struct service;
int service_open(const struct service_config *cfg, struct service **out);
void service_close(struct service *svc);
const struct service_config *service_config(const struct service *svc);
/* The public keys that sign the service's SPHR packages, as a JWKS. */
int package_keys_jwks(struct service *svc, struct buf *out);

/* What an op produced, readable after `done`. */
struct op_result {
    int err;                      /* PHR_OK or the PHR_* reason */
    struct fault fault;           /* why, when err is not PHR_OK */
    char id[ID_LEN + 1];          /* created person or record id */
    int version;                  /* a record's, created or read */
    int64_t modified_at;          /* a record read: when its version was recorded (ms) */
    int existing;                 /* a conditional create: id and version name the record that matched */
    char token[64];               /* login: the session token (secret) */
    int64_t expires_at;
    int64_t retry_after_s;        /* PHR_EBUSY: when to try again */
};

struct op;
typedef void (*op_done_fn)(struct op *op, void *arg);

/* Queues op; done(op, arg) is called on the writer thread after commit and
 * must not block. PHR_ESHUTDOWN if the service is stopping. */
int op_submit(struct service *svc, struct op *op, op_done_fn done, void *arg);
/* Queues op and waits for it (CLI). */
int op_wait(struct service *svc, struct op *op);
const struct op_result *op_result(const struct op *op);
/* The answer's body; called once, after done, on the caller's thread. */
int op_render(struct op *op, struct buf *out);
void op_free(struct op *op);

/* Who is behind a bearer token or session: a signed-in person, a staff
 * member, or a recipient's API client (one of the ids is set). */
struct auth {
    char person_id[ID_LEN + 1];
    char recipient_id[ID_LEN + 1];
    char staff_id[ID_LEN + 1];
    char staff_role[20];
    char scope[SCOPE_MAX];        /* a client's token: the scopes granted */
    char patient[ID_LEN + 1];     /* an app's token: the person who approved it */
    unsigned char token_hash[32];
};
/* PHR_OK, PHR_ENOTFOUND (no such session) or PHR_EPERM (expired, or the
 * staff account disabled; out still names whose it was, for the record
 * of the refusal). */
int service_authenticate(struct service *svc, const char *token, struct auth *out);

/* Accounts (R2.4). Synchronous failures return -1 with the fault filled. */
int accounts_signup(struct service *svc, const struct actor *a, const char *login, const char *password, size_t pwlen,
                    struct op **out, struct fault *fault);
/* otp: the current code when the person has a second factor on, or
 * recovery: one of its recovery codes (else ignored; NULL when not given). */
int accounts_login(struct service *svc, const struct actor *a, const char *login, const char *password, size_t pwlen,
                   const char *otp, const char *recovery, struct op **out, struct fault *fault);
int accounts_logout(struct service *svc, const struct actor *a, const struct auth *auth, struct op **out,
                    struct fault *fault);

/* A person's optional second factor (TOTP): action "begin" (the answer's
 * totp_uri is shown once), "confirm" with the first code (the answer's ten
 * recovery codes are shown once), "off" with the password and a current
 * code or an unused recovery code; the operator's "off" (system actor)
 * resets it for a person who lost the phone and the codes. */
int second_factor_change(struct service *svc, const struct actor *a, const char *person, const char *action,
                         const char *otp, const char *recovery, const char *password, size_t pwlen, struct op **out,
                         struct fault *fault);
/* {"enabled": bool, "pending": bool}; PHR_EPERM for anyone but the person. */
int second_factor_state(struct service *svc, const struct actor *a, const char *person, struct buf *out);

/* The person's demographics (R3.8, R3.12), to the person only, each look
 * and change audited: {"demographics":{…}|null,"earlier":[{…,
 * "replaced_at":…}]}. A correction replaces them with body (a JSON object
 * of formats/demographics.h's members; one left out is removed); what they
 * said before is kept in earlier. */
int person_demographics_read(struct service *svc, const struct actor *a, const char *person, struct op **out,
                             struct fault *fault);
int person_demographics_correct(struct service *svc, const struct actor *a, const char *person, const char *body,
                                size_t len, struct op **out, struct fault *fault);

/* The person id behind a login (operators' commands); PHR_ENOTFOUND. */
int accounts_person_id(struct service *svc, const char *login, char out[ID_LEN + 1]);
/* Records (R1.1, R1.2, R3.12, R4.1). Every one passes the gate. */
/* if_none_exist (taken; NULL: none): created only if no current record of
 * the person matches, decided on the writer with the write; one match
 * answers it (res.existing), several refuse (condition-ambiguous). */
int records_create(struct service *svc, const struct actor *a, const char *subject, const char *body, size_t len,
                   const char *channel, struct search_params *if_none_exist, struct op **out, struct fault *fault);
/* found_by_query: a conditional update, whose body may leave out the id. */
int records_update(struct service *svc, const struct actor *a, const char *id, int found_by_query, int if_match,
                   const char *body, size_t len, const char *channel, struct op **out, struct fault *fault);
/* POST /fhir: a transaction or batch Bundle of Observation writes
 * (transactions.c). A transaction that fails is the op's fault (its
 * entry named in the expression); otherwise each part answers for itself:
 * its fault (F_NONE: done), the write's op (id, version; its resource
 * rendered by op_render) and whether it created. */
int records_bundle(struct service *svc, const struct actor *a, const char *body, size_t len, struct op **out,
                   struct fault *fault);
int records_bundle_size(const struct op *op, int *transaction);
const struct fault *records_bundle_part(const struct op *op, int i, struct op **sub, int *created);
/* How many of the person's current Observations cond matches (0, 1, or 2
 * for several) and the first's id. */
int records_match(struct service *svc, const char *person, const struct search_params *cond, char id[ID_LEN + 1],
                  int *n);
/* An imported document: its DocumentReference, or (original) the file
 * exactly as it was imported. */
int records_document(struct service *svc, const struct actor *a, const char *id, int original, struct op **out,
                     struct fault *fault);
/* A record of this resource type ("Observation", "MedicationDispense", …);
 * version 0: the current version. An id of another type reads as absent. */
int records_read(struct service *svc, const struct actor *a, const char *type, const char *id, int version,
                 struct op **out, struct fault *fault);
int records_history(struct service *svc, const struct actor *a, const char *type, const char *id, const char *base_url,
                    struct op **out, struct fault *fault);
/* The Patient resource (its id alone): to the person, and to an app or a
 * partner while something of the person is provided to it (recorded). */
int patient_read(struct service *svc, const struct actor *a, const char *id, struct op **out, struct fault *fault);
/* GET /fhir/Patient[?_id=]: a searchset of that Patient, empty (and the
 * refusal recorded) when the caller may not read it. */
int patient_search(struct service *svc, const struct actor *a, const char *id, const char *base_url, struct op **out,
                   struct fault *fault);
/* query: the type and the request's parameters but _page
 * ("Observation?code=…"), for the Bundle's links (record_bundles.c). */
int records_search(struct service *svc, const struct actor *a, const struct search_params *p, const char *base_url,
                   const char *query, struct op **out, struct fault *fault);

/* A write the gate refuses this actor: *out is an op that records the
 * denial in the handling history and answers it (forbidden), so that a wrong
 * person's attempt is on the record, not only refused. Routes use it to
 * answer before reading a body; the service's writes use it themselves.
 * 0, or -1 with the fault set. */
int service_deny(struct service *svc, const struct actor *a, enum action act, struct op **out, struct fault *fault);
/* A refusal decided before any use case runs (the router: a caller of the
 * wrong kind, a cross-site change, an expired session; a route: an id that
 * names someone else): *out records it in the handling history — the
 * actor, the action, the person asked about (subject, recorded only if it
 * is an id) and why — and leaves the answer to the caller. */
int service_refusal(struct service *svc, const struct actor *a, enum action act, const char *subject,
                    const char *reason, struct op **out, struct fault *fault);

/* Policies and consent (R3.1-R3.6, R3.9). */
/* Publishes what in set differs from the store (all of it or nothing);
 * dry_run only reports. Takes the set: the op frees it, or it is freed
 * here on a refusal (*set is left empty either way). */
int policy_publish(struct service *svc, const struct actor *a, struct policy_set *set, int dry_run, struct op **out,
                   struct fault *fault);
/* The documents and purposes in force, as JSON: public, not audited. */
int policy_current(struct service *svc, struct buf *out);
/* Every published version of the terms, summary, privacy policy or
 * anonymised-data notice, newest first, as JSON; PHR_ENOTFOUND for another
 * kind. Public. */
int policy_versions(struct service *svc, const char *kind, struct buf *out, struct fault *fault);
/* The SHA-256 of every document text in force (for a decision taken
 * outside the service, where the operator attests they were presented). */
int policy_current_hashes(struct service *svc, char (*out)[65], size_t max, size_t *n);
/* Appends the decisions to subject's ledger. channel: portal, api, phone,
 * mail, counter; recorded_by: who took a request made outside the service
 * (NULL: the actor). */
int consent_record(struct service *svc, const struct actor *a, const char *subject, const struct consent_request *req,
                   const char *channel, const char *recorded_by, struct op **out, struct fault *fault);
/* The subject's purposes, decisions and suspensions as JSON, or (fhir) the
 * ledger as a searchset Bundle of Consent resources. */
int consent_read(struct service *svc, const struct actor *a, const char *subject, int fhir, const char *base_url,
                 struct op **out, struct fault *fault);
/* Suspends (or lifts) use of subject's data for purpose, "*" for all. */
int use_suspend(struct service *svc, const struct actor *a, const char *subject, const char *purpose, int lift,
                const char *channel, const char *recorded_by, struct op **out, struct fault *fault);
/* Outside organisations (R2.7) and provision (R3.4, R3.7); operator
 * commands except the token, which a recipient's client asks for. kind:
 * recipient (gets client credentials), processor or partner (NULL:
 * recipient). */
int recipient_add(struct service *svc, const struct actor *a, const char *kind, const char *name, const char *address,
                  const char *country, const char *contact, struct op **out, struct fault *fault);
/* The registry as JSON, each with its newest agreement. */
int recipient_list(struct service *svc, const struct actor *a, struct buf *out, struct fault *fault);
int recipient_group_add(struct service *svc, const struct actor *a, const char *code, const char *name, struct op **out,
                        struct fault *fault);
int recipient_group_change(struct service *svc, const struct actor *a, const char *group, const char *recipient,
                           int leave, struct op **out, struct fault *fault);
/* The public keys (a JWKS) a recipient's client signs its assertions with
 * (SMART Backend Services, private_key_jwt), or the URL it publishes them
 * at (jwks_uri; one or the other); both NULL remove them, and the client
 * signs in with its secret only. */
int recipient_keys(struct service *svc, const struct actor *a, const char *recipient, const char *jwks,
                   const char *jwks_uri, struct op **out, struct fault *fault);
/* The scopes a recipient's system may be granted by client_credentials
 * (space-separated system scopes); NULL: reading every type. */
int recipient_scopes(struct service *svc, const struct actor *a, const char *recipient, const char *scopes,
                     struct op **out, struct fault *fault);
/* Records an agreement with a recipient (R2.7); the newest decides whether
 * anything may be provided to it. cert_expires 0: none stated. */
int recipient_agreement(struct service *svc, const struct actor *a, const char *recipient, int64_t signed_on,
                        const char *version, const char *certification, int64_t cert_expires, int ended,
                        struct op **out, struct fault *fault);
/* A token request at the OAuth token endpoint (RFC 6749 §4.4, SMART
 * Backend Services): the form's fields (NULL when absent), the client's
 * secret from HTTP Basic or the form, and this endpoint's URL, which a
 * client assertion's aud must name. */
struct token_request {
    const char *grant_type, *scope;
    const char *client_id, *client_secret;
    const char *assertion_type, *assertion;
    const char *code, *redirect_uri, *code_verifier; /* authorization_code */
    const char *refresh_token;                       /* refresh_token */
    const char *token;                               /* introspection and revocation */
    const char *token_url;
};
/* Always an op: a refusal is recorded too, and answered from the op's
 * result (client-invalid, assertion-invalid, assertion-replayed,
 * scope-invalid, grant-unsupported, grant-invalid, missing, bad-request).
 * Grants: client_credentials (a system), authorization_code with PKCE and
 * refresh_token (an app the person approved; the refresh token rotates). */
int oauth_token(struct service *svc, const struct actor *a, const struct token_request *tr, struct op **out,
                struct fault *fault);
/* RFC 7662 (tr->token, the client authenticated as for a token): the op
 * renders {"active":…} with scope, client_id, exp and patient; a token of
 * another client is inactive. RFC 7009: the token ends (a refresh token
 * ends its grant, every token under it); the op renders nothing. */
int oauth_introspect(struct service *svc, const struct actor *a, const struct token_request *tr, struct op **out,
                     struct fault *fault);
int oauth_revoke(struct service *svc, const struct actor *a, const struct token_request *tr, struct op **out,
                 struct fault *fault);
/* The token's lifetime, in seconds; an app's refresh token's. */
#define OAUTH_TOKEN_SECONDS 300
#define OAUTH_REFRESH_SECONDS (90 * 24 * 3600)

/* Apps of the person's choosing (SMART App Launch 2, standalone patient
 * launch; service/apps.c). An authorization request as the app sent it. */
struct app_request {
    const char *response_type, *client_id, *redirect_uri, *scope, *state, *code_challenge, *code_challenge_method;
    const char *aud;
    const char *fhir_base;        /* this service's FHIR base URL, which aud must name */
};
/* 0 if the person may be asked; else -1 with the fault and *error, the
 * OAuth error to send back to the app, or NULL when the client or its
 * redirect_uri is wrong (redirect-invalid) and nobody may be sent there. */
int app_request_check(struct service *svc, const struct app_request *q, const char **error, struct fault *fault);
/* What the person is asked, as JSON: the app, who runs it, its country,
 * the data in words (from the scopes), and the purposes it receives under. */
int app_request_describe(struct service *svc, const struct actor *a, const struct app_request *q, struct buf *out,
                         struct fault *fault);
/* The person's answer, in the consent ledger (shown: the documents
 * shown); the op renders {"redirect": the app's address with the code or
 * error=access_denied, and the state}. */
int app_decide(struct service *svc, const struct actor *a, const struct app_request *q, int approve,
               const struct consent_request *shown, struct op **out, struct fault *fault);
/* The person's approvals as JSON {"apps":[…]}, newest first. */
int apps_list(struct service *svc, const struct actor *a, struct buf *out, struct fault *fault);
/* Ends an approval at once: its purposes withdrawn, its tokens gone. */
int app_revoke(struct service *svc, const struct actor *a, const char *grant, struct op **out, struct fault *fault);
/* The operator registers a recipient's app (service/app_clients.c):
 * redirect URIs, origins and the scopes it may be granted space-separated
 * (scopes NULL: reading only). */
int app_register(struct service *svc, const struct actor *a, const char *client, int public_client,
                 const char *redirect_uris, const char *origins, const char *scopes, struct op **out,
                 struct fault *fault);
/* Whether a registered app may call from this web origin (CORS). */
int app_origin_allowed(struct service *svc, const char *origin);
/* subject's provision records, as JSON or (fhir) a Bundle of Provenance. */
int provisions_read(struct service *svc, const struct actor *a, const char *subject, int fhir, const char *base_url,
                    struct op **out, struct fault *fault);
/* The handling history for auditors (R2.3, R2.8): the read is recorded
 * first (kind: "query", "export", "trace" and the filter), then every
 * matching entry goes to cb in time order. PHR_EPERM if a may not. */
int audit_read(struct service *svc, const struct actor *a, const char *kind, const struct audit_filter *f,
               audit_cb cb, void *arg);
/* The same in two steps, for a request that must not wait: the op that
 * records the reading (its result says whether a may), then the rows. */
int audit_read_begin(struct service *svc, const struct actor *a, const char *kind, const struct audit_filter *f,
                     struct op **out);
int audit_read_rows(struct service *svc, const struct audit_filter *f, audit_cb cb, void *arg);
/* The verification of the whole history now, as JSON (intact, entries,
 * checkpoints, the first broken entry); recorded as a reading. Blocking. */
int audit_verify_report(struct service *svc, const struct actor *a, struct buf *out, struct fault *fault);
/* A person's view of who else touched their data (R2.3): the newest 500
 * entries by anyone but them, as a Bundle of AuditEvent. */
int access_log_read(struct service *svc, const struct actor *a, const char *subject, const char *base_url,
                    struct op **out, struct fault *fault);
/* Staff (R2.1, R2.2, R2.4). staff_add's answer holds the first password,
 * the TOTP provisioning URI and the recovery codes: shown once. */
int staff_add(struct service *svc, const struct actor *a, const char *login, const char *role, struct op **out,
              struct fault *fault);
/* action: disable, enable, or role (with role). */
int staff_change(struct service *svc, const struct actor *a, const char *login, const char *action, const char *role,
                 struct op **out, struct fault *fault);
/* otp: the current TOTP code; or recovery: an unused recovery code. */
int staff_login(struct service *svc, const struct actor *a, const char *login, const char *password, size_t pwlen,
                const char *otp, const char *recovery, struct op **out, struct fault *fault);
/* A handler states why they open person's data; the answer's reason_id is
 * sent with each request made under it (X-PHR-Reason), for 30 minutes. */
int staff_reason(struct service *svc, const struct actor *a, const char *person, const char *login, const char *reason,
                 struct op **out, struct fault *fault);
/* Ends every session of the signed-in staff member. */
int staff_logout(struct service *svc, const struct actor *a, struct op **out, struct fault *fault);
/* Lists staff as JSON; PHR_EPERM unless a manages staff. */
int staff_list(struct service *svc, const struct actor *a, struct buf *out, struct fault *fault);
/* The data inventory (R2.6) from the live schema, as JSON or Markdown.
 * *unclassified: tables nobody has described (the inventory is then wrong). */
int inventory(struct service *svc, int markdown, struct buf *out, int *unclassified);
/* Incident records (R2.8). refers_to: 0 for a new incident, or the id of
 * the incident a note adds to. found_at: ms, 0 if not given. */
int incident_add(struct service *svc, const struct actor *a, int64_t refers_to, int64_t found_at, const char *what,
                 const char *told, struct op **out, struct fault *fault);
int incident_list(struct service *svc, struct buf *out);
/* Master-key rotation (R2.5): re-wraps every data key and staff TOTP key
 * not under the current key, in batches, while the service may run.
 * progress(done, total) is called after each batch. */
int keys_rotate(struct service *svc, const struct actor *a, void (*progress)(int64_t done, int64_t total),
                int64_t *rewrapped, struct fault *fault);
/* Request counts shared between instances (R2.9): adds each delta to its
 * key's count for its minute and sets total to the count in the store;
 * forgets minutes before prune_before. Waits for the commit. */
struct rate_delta {
    char key[40];
    int64_t window, delta, total;
};
int service_rate_flush(struct service *svc, struct rate_delta *d, size_t n, int64_t prune_before);
/* Every instance's count for key in window so far (a new key's start). */
int service_rate_get(struct service *svc, const char *key, int64_t window, int64_t *count);
/* Loads the demo person and a few months of synthetic vitals, once. */
/* Disclosure (R3.8): everything held about the person as one JSON
 * document, produced a piece at a time from one consistent snapshot.
 * disclosure_next appends the next piece: 1 while more follows, 0 at the
 * end, <0 on failure. */
struct disclosure;
int disclosure_open(struct service *svc, const struct actor *a, const char *subject, struct disclosure **out,
                    struct fault *fault);
int disclosure_next(struct disclosure *d, struct buf *out);
void disclosure_close(struct disclosure *d);

/* Exports to the person (R4.3), streamed like the disclosure: every
 * current record as a FHIR R4 Bundle (type collection, the Patient first),
 * or the Observations as CSV. */
enum export_format { EXPORT_FHIR, EXPORT_CSV, EXPORT_SPHR, EXPORT_CHECKUP, EXPORT_JAHIS, EXPORT_CDA, EXPORT_PHR };
struct export;
/* arg: EXPORT_CHECKUP (a 健診結果報告書 Bundle) and EXPORT_CDA (a 特定健診
 * CDA): the checkup's day (YYYY-MM-DD), not-found when there are
 * no checkup results that day; EXPORT_JAHIS: the patient record to write
 * ("1,氏名,性別,生年月日"), or NULL for the one of the newest お薬手帳 text
 * imported (missing if there is none), not-found when there is no medication; NULL
 * otherwise. */
int export_open(struct service *svc, const struct actor *a, const char *subject, enum export_format format,
                const char *arg, struct export **out, struct fault *fault);
/* A recipient's copy of one person's SPHR package (R4.4), with only the
 * kinds of data the person's consent provides to it, each recorded as a
 * provision before the answer; not-found (recorded) when nothing is
 * provided, for-recipients for anyone but a recipient. Read with
 * export_next. */
int export_open_provided(struct service *svc, const struct actor *a, const char *person, struct export **out,
                         struct fault *fault);
/* An お薬手帳 text in Shift_JIS rather than UTF-8. */
void export_shift_jis(struct export *e);
int export_next(struct export *e, struct buf *out);
void export_close(struct export *e);

/* Erasure on request (R3.10): the request answers (in out, JSON) what would
 * be erased and kept; the confirmation, with the person's password,
 * carries it out. codes: comma-separated record codes, "" for all records;
 * ignored for the account. Blocking: each step commits before the next. */
int erasure_request(struct service *svc, const struct actor *a, const char *subject, int account, const char *codes,
                    struct buf *out, struct fault *fault);
int erasure_confirm(struct service *svc, const struct actor *a, const char *subject, const char *id,
                    const char *password, size_t pwlen, struct buf *out, struct fault *fault);
/* Joins and checks the codes a request names (at most ERASURE_CODES_MAX). */
#define ERASURE_CODES_MAX 32
int erasure_codes_join(const char *const *codes, size_t n, struct buf *out, struct fault *fault);

/* Retention (R3.11): applies the rules as of a moment (ms), or (dry) only
 * answers what they would do; out: the plan as JSON, the same either way. */
int retention_run(struct service *svc, const struct actor *a, int64_t as_of, int dry, struct buf *out,
                  struct fault *fault);
/* Service termination (R4.5): recorded once; every person is told; sign-up
 * stops; disclosure stays open until export_until; retention erases every
 * account after erase_after. */
int termination_announce(struct service *svc, const struct actor *a, int64_t export_until, int64_t erase_after,
                         struct buf *out, struct fault *fault);

/* The checksheet (R5.1-R5.3). assess: from the items file's text, every
 * item answered (computed checks run now), stored as a draft; out: its id
 * and the sheet. answer: the security officer's answer to an
 * organisational item. approve: publishes a draft. published: the newest
 * approved sheet (id 0) or that one, with the others listed, as JSON
 * (caller puts it); PHR_ENOTFOUND if it is not approved. list: all, JSON. */
/* An anonymised data set (R3.13; formats/anon_spec.h for the spec) made
 * from the service's checkups: the table (';'-separated, ARX's form) and
 * its manifest (items, quasi-identifiers and levels reached, k, rows,
 * persons left out and why, the table's SHA-256, the statement that it is
 * 匿名加工情報). Recorded in the handling history. 0, or -1 with the fault. */
int anonymised_make(struct service *svc, const struct actor *a, const char *spec_json, size_t len, struct buf *table,
                    struct buf *manifest, struct fault *fault);
/* What is published of every data set made (Art.43(3)): a JSON array, for
 * everyone. 0, or -1 (the store unavailable). */
int anonymised_published(struct service *svc, struct buf *out);
/* One data set's processing method (the spec and the levels reached), for
 * the asset manager and the security officer; the reading is recorded. */
int anonymised_method(struct service *svc, const struct actor *a, const char *name, struct buf *out,
                      struct fault *fault);
/* One data set's table as kept (';'-separated, ARX's form), for the asset
 * manager to hand over; the taking out is recorded before it is given. */
int anonymised_table(struct service *svc, const struct actor *a, const char *name, struct buf *out,
                     struct fault *fault);
/* Records a data set's provision to a recipient with an agreement in force
 * (Art.43(4)): sha256 (hex) must be the recorded table's, so that what is
 * handed over is what was recorded; NULL: the table kept in the store is
 * what is handed over (it is opened and checked). The method and date are published with
 * the data set from then on; note gets the delivery note (Art.43(5): the
 * statement that it is 匿名加工情報). 0, or -1 with the fault. */
int anonymised_provide(struct service *svc, const struct actor *a, const char *name, const char *recipient,
                       const char *method, const char *sha256, struct buf *note, struct fault *fault);

int checksheet_assess(struct service *svc, const struct actor *a, const char *items_json, size_t len, struct buf *out,
                      struct fault *fault);
int checksheet_answer(struct service *svc, const struct actor *a, const char *item, const char *status,
                      int64_t answered_on, const char *document, const char *reason, const char *by,
                      struct fault *fault);
int checksheet_approve(struct service *svc, const struct actor *a, int64_t id, const char *by, struct fault *fault);
int checksheet_published(struct service *svc, int64_t id, struct json_object **out);
int checksheet_list(struct service *svc, struct buf *out);

/* FHIR Bulk Data export to another provider (R4.4), for recipients only:
 * kick-off (types: comma-separated, NULL for all; since: a FHIR instant
 * or NULL), status (the manifest; not-found for anyone else's, a cancelled or an
 * expired export), cancel, and the NDJSON file of one type, made while it
 * is fetched under the consent of each moment (bulk_file_next: 1 more,
 * 0 end, -1 failure). */
/* group: a Group export's recipient group (the recipient must belong to
 * it; only persons whose consent provides through it), or NULL. */
struct bulk_request {
    const char *group;            /* Group/{code}/$export, or NULL */
    int patient_level;            /* Patient/$export (or a Group's): the patient parameter applies */
    const char *types;            /* _type, comma-separated (several given joined), or NULL */
    const char *since;            /* _since, or NULL */
    const char *elements;         /* _elements, comma-separated, or NULL */
    const char *patients;         /* the patient parameter's ids, comma-separated, or NULL */
    int type_filter;              /* _typeFilter given (not supported) */
    int lenient;                  /* Prefer: handling=lenient: what is not supported is ignored */
    const char *ignored;          /* lenient: the parameters ignored, comma-separated, told in the errors */
};
int bulk_kickoff(struct service *svc, const struct actor *a, const struct bulk_request *q, char id[ID_LEN + 1],
                 struct fault *fault);
/* *pending while the export is being prepared (nothing in out). */
int bulk_status(struct service *svc, const struct actor *a, const char *id, const char *base_url, struct buf *out,
                int64_t *expires_at, int *pending, struct fault *fault);
int bulk_cancel(struct service *svc, const struct actor *a, const char *id, struct fault *fault);
struct bulk_file;
/* base_url: the FHIR base a DocumentReference's attachment url is made under. */
int bulk_file_open(struct service *svc, const struct actor *a, const char *id, const char *type,
                   const char *base_url, struct bulk_file **out, struct fault *fault);
int bulk_file_next(struct bulk_file *b, struct buf *out);
void bulk_file_close(struct bulk_file *b);

/* Imports a file for subject (R4.1, R4.2), its format told by its first
 * bytes: a 特定健診 CDA (XML), a FHIR Bundle of checkup results (JSON) or a
 * JAHIS お薬手帳 text. All of it or nothing; a file imported before is
 * reported (duplicate), not stored again. source: insurer, medical-
 * institution or mynaportal (NULL: insurer for checkups, medical-institution
 * for お薬手帳). out: what was stored, JSON; *duplicate: 1 if all of it was
 * imported before. Blocking. */
#define IMPORT_MAX_BYTES (4 * 1024 * 1024)
int import_file(struct service *svc, const struct actor *a, const char *subject, const char *source,
                const char *channel, const char *data, size_t len, struct buf *out, int *duplicate,
                struct fault *fault);
/* The same as an op (the server's way: nothing waits for the commit on
 * its thread); data must outlive it. Rendered, it is the same answer;
 * import_duplicate says whether the whole of it was imported before. */
int import_submit(struct service *svc, const struct actor *a, const char *subject, const char *source,
                  const char *channel, const char *data, size_t len, struct op **out, struct fault *fault);
int import_duplicate(const struct op *op);

int demo_load(struct service *svc, int *created);
#define DEMO_LOGIN "demo@example.jp"
#define DEMO_PASSWORD "phr-demo-2026"

#endif
