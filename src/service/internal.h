/* Shared by the service's own files only: the op machinery. */
#ifndef PHR_SERVICE_INTERNAL_H
#define PHR_SERVICE_INTERNAL_H

#include "crypto/keys.h"
#include "crypto/password.h"
#include "crypto/sign.h"
#include "formats/demographics.h"
#include "service/service.h"
#include "store/store.h"
#include "store/writer.h"

struct ticker;

#define MAX_OLD_KEYS 4

struct service {
    struct service_config cfg;
    struct master_key *mk;                      /* wraps new data keys */
    struct master_key *old_keys[MAX_OLD_KEYS];  /* still open what they wrapped, until rotated away */
    size_t nold;
    struct sign_key *audit_key;
    struct ticker *checkpointing;   /* signed checkpoints, every interval */
    struct ticker *retention;       /* retention rules, every interval */
    struct ticker *bulk_preparing;  /* new Bulk exports counted (service/bulk_prepare.c) */
    struct writer *writer;
    struct store_pool *readers;
};

struct op_ops {
    /* On the writer thread, in the batch transaction. */
    int (*commit)(struct op *op, struct store *st);
    /* On the caller's thread after done; NULL: empty body. */
    int (*render)(struct op *op, struct buf *out);
    /* Frees what the concrete op owns (not the op itself). */
    void (*destroy)(struct op *op);
};

struct op {
    struct job job;               /* first: the writer sees a job */
    struct service *svc;
    const struct op_ops *ops;
    op_done_fn done;
    void *done_arg;
    struct actor actor;           /* a copy: the op outlives the caller's frame */
    char client[64], request_id[17], reason_id[ID_LEN + 1];
    struct op_result res;
};

/* Initialises the common part; the op's own struct begins with struct op. */
void op_init(struct op *op, struct service *svc, const struct op_ops *ops, const struct actor *a);
/* A read connection for the duration of a prepare step. */
int service_reader(struct service *svc, struct store **out);
void service_reader_done(struct service *svc, struct store *st);
/* records_create with the id given (a transaction's entry, whose id other
 * entries name before it is written). */
int records_create_as(struct service *svc, const struct actor *a, const char *id, const char *body, size_t len,
                      const char *channel, struct search_params *if_none_exist, const char *subject, struct op **out,
                      struct fault *fault);
/* The SPHR packages' signature (service/package_signing.c): the signer
 * for the index of a package made now; the signatures of a package handed
 * in, verified (a JSON list of {index, signature, kid} into report; -1
 * with the fault when one of this service's keys signed something else). */
struct jws_signer;
struct sphr_pkg;
void package_signer(struct service *svc, struct jws_signer *out);
int package_verify(struct service *svc, const struct sphr_pkg *pkg, struct buf *report, struct fault *fault);

/* The loaded master key with this id (current or old), or NULL. */
const struct master_key *service_key_by_id(const struct service *svc, const char *id);
/* Opens a secret sealed under any loaded master key (a staff TOTP key). */
int service_open_sealed(const struct service *svc, const char *ad, const unsigned char *sealed, size_t len,
                        unsigned char *out);
/* A secret sealed under a master key (len bytes, at most 256), re-sealed
 * into out under the current one: 1 if it moved, 0 if the current key
 * opens it already (out untouched), PHR_ECRYPTO if no loaded key does. */
int service_reseal(const struct service *svc, const char *ad, const unsigned char *sealed, size_t len,
                   unsigned char *out);
/* The person's unwrapped data key (caller wipes it). */
int service_data_key(struct service *svc, struct store *rd, const char *person_id,
                     unsigned char key[DATA_KEY_BYTES]);

/* service/demographics.c: the person's demographics opened with their
 * key into d (demographics_free it) and the day they are of;
 * PHR_ENOTFOUND when none are kept. */
int person_demographics_load(struct store *rd, const char *person, const unsigned char key[DATA_KEY_BYTES],
                             struct demographics *d, char as_of[11]);
/* Their JSON (formats/demographics.h) sealed with the person's key, bound
 * to the person; and opened again into plain (replaced). PHR_ECRYPTO when
 * it does not open. */
int person_demographics_seal(const unsigned char key[DATA_KEY_BYTES], const char *person, const struct buf *plain,
                             struct buf *sealed);
int person_demographics_open(const unsigned char key[DATA_KEY_BYTES], const char *person, const unsigned char *sealed,
                             size_t len, struct buf *plain);
/* What they said before each replacement, newest first, as a JSON array
 * (each with its replaced_at) appended to b; what does not open is left
 * out. */
int person_demographics_earlier(struct store *st, const char *person, const unsigned char key[DATA_KEY_BYTES],
                                struct buf *b);

/* The associated data a record's part ("body", "original") is sealed with. */
void record_ad(char out[96], const char *id, int version, const char *part);

/* service/checkpoints.c: the periodic checkpoint thread (none when the
 * interval is 0) and one checkpoint made and waited for. */
int checkpointing_start(struct service *svc, struct ticker **out);
/* service/retention.c: the scheduled retention run (none when the interval
 * is 0), and a notice as JSON (first: no leading comma). */
int retention_start(struct service *svc, struct ticker **out);
int notice_render(struct buf *b, const struct notice_row *n, int resolved, int first);
int service_checkpoint_now(struct service *svc);

/* A refusal decided in an op's commit: the op answers it (the fault's
 * code and detail) and nothing is written. Returns PHR_OK, for
 * `return op_refuse(...)` from a commit function. */
int op_refuse(struct op *o, enum fault_code code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A FHIR search the gate refused: to anyone but staff, nothing found (an
 * empty searchset into out, the same answer as for an id no one has, so
 * that it tells neither whether the person exists nor what they decided);
 * staff are told (404). The op's commit records the refusal either way. */
int op_nothing_found(struct op *o, struct buf *out);

/* service/consent.c, shared with apps' approvals: decisions appended to
 * subject's ledger, checked against what is in force on st, all or none
 * (a refusal by op_refuse: PHR_OK with o->res.err set). audit gets
 * "purpose:vN:decision,…"; answer, unless NULL, the decisions as JSON. */
int consent_append(struct op *o, struct store *st, const char *subject, struct consent_request *req,
                   const char *channel, const char *recorded_by, struct buf *audit, struct buf *answer);

/* service/accounts.c, shared with staff sign-in: login names, and the
 * slow-down and lock-out of repeated failures, per login name and per
 * client address, kept in the store so that every instance sees them. */
#define LOGIN_MAX 128
int normalise_login(const char *in, char out[LOGIN_MAX + 1], struct fault *fault);
/* The key failed sign-ins are counted (delayed, locked out) under: a login
 * from one client address. A stranger failing elsewhere slows and locks
 * only their own attempts, never the person's own sign-in; the client
 * address's own count (any login) stops one address trying many. */
#define THROTTLE_KEY_MAX (LOGIN_MAX + 8 + 72)
void throttle_key(const char *login, const char *client, char out[THROTTLE_KEY_MAX]);
int64_t throttle_wait_ms(const struct service_config *cfg, const struct throttle_row *t, int64_t now);
int throttle_fail(struct store *st, const struct service_config *cfg, const char *key, const char *client,
                  int64_t now);
/* How long the client address is locked out after too many failures. */
int64_t throttle_client_wait_ms(struct store *rd, const char *client, int64_t now);
/* A person's id, login and password hash, copied from the store's row
 * (person_by_login / person_by_id); the caller wipes it. */
struct person_login {
    char id[ID_LEN + 1];
    char login[LOGIN_MAX + 1];
    char pw_hash[PASSWORD_HASH_MAX];
};
void person_login_copy(void *arg, const struct person_row *p);

/* service/second_factor.c, for sign-in: whether the person has a second
 * factor on and, if so, whether otp is a fresh code of it (*step: the step
 * to record as used). The return is a store or key failure, not the answer. */
enum factor_result { FACTOR_NONE, FACTOR_OK, FACTOR_MISSING, FACTOR_WRONG };
int second_factor_check(struct service *svc, struct store *rd, const char *person, const char *otp, int64_t now_ms,
                        enum factor_result *res, uint64_t *step);
/* The hash a recovery code is kept as. */
void second_factor_code_hash(const char *code, unsigned char out[SHA256_BYTES]);

/* What a recipient is about to be provided of one person: each record's
 * versioned reference ("Observation/{id}/_history/{v}") and kind. */
struct provided_item {
    char ref[96];
    enum data_kind kind;
};
struct provision_list {
    struct provided_item *items;
    size_t n, cap;
    data_kinds kinds;             /* of every item */
};
/* PHR_ENOMEM; PHR_EINVAL for a reference that does not fit. */
int provision_list_add(struct provision_list *l, const struct record_row *r);
void provision_list_clear(struct provision_list *l);
void provision_list_free(struct provision_list *l);

/* A recipient's read of subject's records, decided on st in the acting
 * transaction (a withdrawal committed before is seen) on the kinds of
 * every record in l (or, if l is empty, the kinds asked for): allowed only
 * if the live consent covers each. On GATE_ALLOW one provision record per
 * purpose relied on, naming the records it covered, and the audit entry;
 * on GATE_DENY the audit entry of the refusal, naming the kinds not
 * covered. g says which. */
int provide_records(struct store *st, const struct actor *a, enum action act, const char *subject,
                    const struct provision_list *l, data_kinds asked, struct gate_result *g);

/* The person's consent state and ledger, and their provision records, as
 * the JSON of /api/v1/me/consents and /api/v1/me/provisions (read on rd;
 * also the disclosure's sections). */
int consent_render_json(struct store *rd, const char *subject, struct buf *b);
int provisions_render_json(struct store *rd, const char *subject, struct buf *b);

/* service/erasure.c: finishes erasures a crash interrupted, and deletes
 * again the keys of erased persons (a key store restored from a backup). */
int erasure_resume(struct service *svc);
/* Erases a whole account at once (retention, termination): why is kept as
 * who asked ("retention:inactive"). */
int erasure_account_now(struct service *svc, const struct actor *a, const char *person, const char *why);

/* service/classify.c: gives every record written before records had a
 * kind of data its kind (formats/data_kinds.h), before anything is served. */
int records_classify(struct service *svc);

/* Appends a purpose as a JSON object left open, so that callers can add
 * members before closing it. */
int policy_render_purpose(struct buf *b, const struct purpose_row *p);

#endif
