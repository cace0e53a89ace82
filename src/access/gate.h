/* THE gate (design.md invariant 1): the one place that decides whether an
 * actor may perform an action on a person's data, and the one way a
 * decision reaches the handling history.
 *
 * A decision has two stages. gate_decide() is identity: whose data is it,
 * and may this actor reach it at all. gate_decide_use() is consent: may
 * the data be acquired or used now, given the subject's consent ledger and
 * suspensions, or provided to this recipient (group, kind, country).
 * gate_check() runs both inside the transaction that carries
 * out (or refuses) the action, reading the consent facts on that same
 * connection, so a withdrawal committed before it is always seen; service
 * code then hands the decision to gate_record(), and the audit entry
 * commits with the change. Denials are recorded too. */
#ifndef PHR_GATE_H
#define PHR_GATE_H

#include "formats/data_kinds.h"
#include "store/store.h"
#include "util/ids.h"

enum actor_kind { ACTOR_ANONYMOUS, ACTOR_PERSON, ACTOR_SYSTEM, ACTOR_RECIPIENT, ACTOR_STAFF };

/* Staff roles (R2.1): each grants a fixed set of actions, nothing else. */
#define ROLE_SECURITY_OFFICER "security-officer" /* 責任者: the handling history, incidents */
#define ROLE_ASSET_MANAGER "asset-manager"       /* 情報資産の管理者: staff, policies, purposes, outside organisations */
#define ROLE_HANDLER "handler"                   /* 取扱者: a person's data, under a stated reason */
#define ROLE_AUDITOR "auditor"                   /* 監査者: the handling history, never health data */

struct actor {
    enum actor_kind kind;
    char id[ID_LEN + 1];          /* person, recipient or staff id, or the system job's name */
    char role[20];                /* staff only */
    const char *reason_id;        /* staff only: the access reason the request is made under */
    const char *client;           /* client address, "cli" for the command line */
    const char *request_id;
    const char *group;            /* recipient only: the group a Group export acts under, or NULL for any */
    const char *scope;            /* recipient only: the token's granted scopes (formats/scopes.h) */
    const char *patient;          /* recipient only: the person an app's token acts for, NULL for a system */
};

enum action {
    ACT_RECORD_CREATE,
    ACT_RECORD_READ,
    ACT_RECORD_SEARCH,
    ACT_RECORD_UPDATE,
    ACT_RECORD_HISTORY,
    ACT_ACCOUNT_SIGNUP,
    ACT_ACCOUNT_LOGIN,
    ACT_ACCOUNT_LOGOUT,
    ACT_POLICY_PUBLISH,
    ACT_CONSENT_RECORD,
    ACT_CONSENT_READ,
    ACT_USE_SUSPEND,
    ACT_USE_LIFT,
    ACT_RECIPIENT_MANAGE,
    ACT_CLIENT_TOKEN,
    ACT_PROVISION_READ,
    ACT_AUDIT_READ,
    ACT_ACCESS_LOG_READ,
    ACT_STAFF_MANAGE,
    ACT_STAFF_LOGIN,
    ACT_STAFF_LOGOUT,
    ACT_REASON_OPEN,
    ACT_INCIDENT_RECORD,
    ACT_KEYS_ROTATE,
    ACT_ERASURE_REQUEST,
    ACT_ERASURE_EXECUTE,
    ACT_DISCLOSURE,
    ACT_RETENTION_RUN,
    ACT_TERMINATION,
    ACT_CHECKSHEET,
    ACT_BULK_EXPORT,
    ACT_RECIPIENT_READ,
    ACT_SECOND_FACTOR,
    ACT_ANONYMISE,
    ACT_ANONYMISE_METHOD,
    ACT_ANONYMISE_TABLE,
    ACT_COUNT
};

enum decision { GATE_DENY = 0, GATE_ALLOW = 1 };

/* The identity stage, from one table of rules (one per action): which
 * actor kinds and staff roles may, and whether the subject must be named
 * or be the actor. An action without a rule, an actor kind or role its
 * rule does not name, is denied. subject: the person whose data is
 * concerned, NULL if unknown (an id that names nothing). Pure. */
enum decision gate_decide(const struct actor *a, enum action act, const char *subject);
/* 1 if the action's decision has a use stage (consent, provision basis,
 * a handler's reason): the record actions. */
int gate_has_use_stage(enum action act);

#define GATE_REASON_LEN 160

/* Why a use was refused; also the audit entry's reason. */
enum use_refusal {
    USE_OK,
    USE_NO_POLICY,       /* no required purpose is published: nothing may be acquired */
    USE_NO_CONSENT,      /* a required purpose lacks a grant covering its current version */
    USE_SUSPENDED,       /* the person suspended use of their data */
    USE_NO_PROVISION,    /* no purpose in force covers giving this to this recipient now */
    USE_NO_REASON,       /* staff: no live reason of theirs names this person */
};

/* A purpose that provides a person's data to a recipient now, and the
 * kinds of data it provides. */
#define GATE_MAX_BASES 8
struct gate_basis {
    char purpose[64];
    int purpose_version;
    int64_t consent_seq;
    data_kinds kinds;
};

/* What may be provided of one person to one recipient now: every basis
 * (a purpose in force naming a group the recipient belongs to, granted by
 * the person, naming the recipient's country if abroad, not suspended,
 * the recipient's agreement in force) and the kinds they cover together. */
struct provision_scope {
    struct gate_basis b[GATE_MAX_BASES];
    size_t n;
    data_kinds kinds;
};

/* Reads the scope on st (a reader to look ahead, the writer to decide). */
int gate_provision_scope(struct store *st, const struct actor *a, const char *subject, struct provision_scope *out);
/* The basis a record of kind k is provided under, or NULL: the first in
 * purpose order that covers it. */
const struct gate_basis *gate_basis_for(const struct provision_scope *s, enum data_kind k);

/* What the use stage decides on, read from the store for the subject. */
struct gate_facts {
    struct consent_facts consent;
    /* Recipients only: what may be provided, and the kinds concerned. */
    struct provision_scope scope;
    data_kinds wanted;
    /* Staff only: the reason the request names is theirs, names this
     * person, and has not expired. */
    int reason_ok;
    char reason_text[128];
};

/* The use stage, pure. Acquiring a record needs every required purpose
 * granted at a version its last material change allows, and no suspension;
 * a person's own reading and correcting needs neither (their rights); a
 * recipient reads only what its provision scope covers, every kind
 * concerned (none concerned is a refusal too); a handler only under a live
 * reason of their own that names the person. */
enum decision gate_decide_use(const struct actor *a, enum action act, const struct gate_facts *f,
                              enum use_refusal *why);

struct gate_result {
    enum decision d;
    enum use_refusal why;
    /* for the audit entry: "no-consent:service", "purpose:…", "reason:…",
     * "no-provision-basis:checkup" (the kinds not covered) */
    char reason[GATE_REASON_LEN];
    struct provision_scope scope;  /* recipients: the consents relied on */
};

/* Both stages on st, inside the acting transaction: may actor a do act on
 * subject's data of these kinds now? kinds: for a recipient, every kind of
 * what would be provided; ignored for anyone else. */
int gate_check(struct store *st, const struct actor *a, enum action act, const char *subject, data_kinds kinds,
               struct gate_result *out);

/* Appends the handling-history entry for a decision. records: the record
 * ids concerned, comma-separated, or NULL; reason: why, or NULL. */
int gate_record(struct store *st, const struct actor *a, enum action act, const char *subject,
                const char *records, const char *reason, enum decision d);

const char *gate_action_name(enum action act);
/* "person:<id>", "staff:<id>", "recipient:<id>", "system:<name>" or
 * "anonymous"; out must hold 64. */
void gate_actor_name(const struct actor *a, char out[64]);

#endif
