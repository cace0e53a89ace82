#include "access/gate.h"

#include <stdio.h>
#include <string.h>

#include "audit/audit.h"
#include "formats/scopes.h"
#include "util/clock.h"
#include "util/err.h"

static const char *const action_names[] = {
    [ACT_RECORD_CREATE] = "record.create",
    [ACT_RECORD_READ] = "record.read",
    [ACT_RECORD_SEARCH] = "record.search",
    [ACT_RECORD_UPDATE] = "record.update",
    [ACT_RECORD_HISTORY] = "record.history",
    [ACT_ACCOUNT_SIGNUP] = "account.signup",
    [ACT_ACCOUNT_LOGIN] = "account.login",
    [ACT_ACCOUNT_LOGOUT] = "account.logout",
    [ACT_POLICY_PUBLISH] = "policy.publish",
    [ACT_CONSENT_RECORD] = "consent.record",
    [ACT_CONSENT_READ] = "consent.read",
    [ACT_USE_SUSPEND] = "use.suspend",
    [ACT_USE_LIFT] = "use.lift",
    [ACT_RECIPIENT_MANAGE] = "recipient.manage",
    [ACT_CLIENT_TOKEN] = "client.token",
    [ACT_PROVISION_READ] = "provision.read",
    [ACT_AUDIT_READ] = "audit.read",
    [ACT_ACCESS_LOG_READ] = "access-log.read",
    [ACT_STAFF_MANAGE] = "staff.manage",
    [ACT_STAFF_LOGIN] = "staff.login",
    [ACT_STAFF_LOGOUT] = "staff.logout",
    [ACT_REASON_OPEN] = "staff.reason",
    [ACT_INCIDENT_RECORD] = "incident.record",
    [ACT_KEYS_ROTATE] = "keys.rotate",
    [ACT_ERASURE_REQUEST] = "erasure.request",
    [ACT_ERASURE_EXECUTE] = "erasure.execute",
    [ACT_DISCLOSURE] = "disclosure.read",
    [ACT_RETENTION_RUN] = "retention.run",
    [ACT_TERMINATION] = "termination.announce",
    [ACT_CHECKSHEET] = "checksheet.manage",
    [ACT_BULK_EXPORT] = "bulk.export",
    [ACT_RECIPIENT_READ] = "recipient.read",
    [ACT_SECOND_FACTOR] = "account.second-factor",
    [ACT_ANONYMISE] = "anonymised.make",
    [ACT_ANONYMISE_METHOD] = "anonymised.method",
    [ACT_ANONYMISE_TABLE] = "anonymised.table",
};

_Static_assert(sizeof action_names / sizeof action_names[0] == ACT_COUNT, "every action has a name");

const char *gate_action_name(enum action act)
{
    return (unsigned)act < ACT_COUNT && action_names[act] ? action_names[act] : "unknown";
}

/* How far an actor kind reaches for an action. NEVER is zero: an actor
 * kind a rule does not name is denied. */
enum reach {
    NEVER = 0,
    ALWAYS,   /* no person's data is concerned, or the service decides it (sign-in) */
    NAMED,    /* a person must be named (an id that names someone) */
    OWN,      /* the person named must be the actor */
};

#define ROLE_SO 1u /* security officer */
#define ROLE_AM 2u /* information-asset manager */
#define ROLE_HA 4u /* handler */
#define ROLE_AU 8u /* auditor */
#define ROLES_ALL (ROLE_SO | ROLE_AM | ROLE_HA | ROLE_AU)

#define ACTOR_KINDS 5
_Static_assert(ACTOR_STAFF < ACTOR_KINDS && ACTOR_ANONYMOUS < ACTOR_KINDS, "rule.who covers every actor kind");

struct rule {
    enum reach who[ACTOR_KINDS];
    unsigned roles;   /* staff: the roles `who[ACTOR_STAFF]` applies to */
    int use;          /* the use stage decides too */
};

/* The rules, one per action. A person's rights are exercised by the
 * person; the operator (system, at the command line) acts on a request
 * received by mail or at a counter. The information-asset manager answers
 * for what is promised to persons and to whom data may go (guideline 4.4);
 * the security officer for incidents and the checksheet; auditors read
 * the handling history, never health data; handlers read a person's
 * records, never write them, under a stated reason. */
static const struct rule rules[] = {
    [ACT_RECORD_CREATE] = {{[ACTOR_PERSON] = OWN, [ACTOR_SYSTEM] = NAMED, [ACTOR_RECIPIENT] = NAMED}, 0, 1},
    [ACT_RECORD_READ] = {{[ACTOR_PERSON] = OWN, [ACTOR_RECIPIENT] = NAMED, [ACTOR_STAFF] = NAMED}, ROLE_HA, 1},
    [ACT_RECORD_SEARCH] = {{[ACTOR_PERSON] = OWN, [ACTOR_RECIPIENT] = NAMED, [ACTOR_STAFF] = NAMED}, ROLE_HA, 1},
    [ACT_RECORD_UPDATE] = {{[ACTOR_PERSON] = OWN}, 0, 1},
    [ACT_RECORD_HISTORY] = {{[ACTOR_PERSON] = OWN, [ACTOR_STAFF] = NAMED}, ROLE_HA, 1},
    [ACT_ACCOUNT_SIGNUP] = {{[ACTOR_ANONYMOUS] = ALWAYS, [ACTOR_SYSTEM] = ALWAYS}, 0, 0},
    [ACT_ACCOUNT_LOGIN] = {{[ACTOR_ANONYMOUS] = ALWAYS}, 0, 0},
    [ACT_ACCOUNT_LOGOUT] = {{[ACTOR_PERSON] = OWN}, 0, 0},
    [ACT_POLICY_PUBLISH] = {{[ACTOR_SYSTEM] = ALWAYS, [ACTOR_STAFF] = ALWAYS}, ROLE_AM, 0},
    [ACT_CONSENT_RECORD] = {{[ACTOR_PERSON] = OWN, [ACTOR_SYSTEM] = NAMED}, 0, 0},
    [ACT_CONSENT_READ] = {{[ACTOR_PERSON] = OWN, [ACTOR_SYSTEM] = NAMED}, 0, 0},
    [ACT_USE_SUSPEND] = {{[ACTOR_PERSON] = OWN, [ACTOR_SYSTEM] = NAMED}, 0, 0},
    [ACT_USE_LIFT] = {{[ACTOR_PERSON] = OWN, [ACTOR_SYSTEM] = NAMED}, 0, 0},
    [ACT_RECIPIENT_MANAGE] = {{[ACTOR_SYSTEM] = ALWAYS, [ACTOR_STAFF] = ALWAYS}, ROLE_AM, 0},
    /* A client is anonymous until its secret is checked by the service. */
    [ACT_CLIENT_TOKEN] = {{[ACTOR_ANONYMOUS] = ALWAYS, [ACTOR_RECIPIENT] = ALWAYS}, 0, 0},
    [ACT_PROVISION_READ] = {{[ACTOR_PERSON] = OWN, [ACTOR_SYSTEM] = NAMED}, 0, 0},
    [ACT_AUDIT_READ] = {{[ACTOR_SYSTEM] = ALWAYS, [ACTOR_STAFF] = ALWAYS}, ROLE_SO | ROLE_AU, 0},
    [ACT_ACCESS_LOG_READ] = {{[ACTOR_PERSON] = OWN, [ACTOR_SYSTEM] = NAMED}, 0, 0},
    [ACT_STAFF_MANAGE] = {{[ACTOR_SYSTEM] = ALWAYS, [ACTOR_STAFF] = ALWAYS}, ROLE_AM, 0},
    /* Password, second factor and status are the staff service's to check. */
    [ACT_STAFF_LOGIN] = {{[ACTOR_ANONYMOUS] = ALWAYS, [ACTOR_STAFF] = ALWAYS}, ROLES_ALL, 0},
    [ACT_STAFF_LOGOUT] = {{[ACTOR_STAFF] = ALWAYS}, ROLES_ALL, 0},
    [ACT_REASON_OPEN] = {{[ACTOR_STAFF] = NAMED}, ROLE_HA, 0},
    [ACT_INCIDENT_RECORD] = {{[ACTOR_SYSTEM] = ALWAYS, [ACTOR_STAFF] = ALWAYS}, ROLE_SO, 0},
    [ACT_KEYS_ROTATE] = {{[ACTOR_SYSTEM] = ALWAYS}, 0, 0},
    [ACT_ERASURE_REQUEST] = {{[ACTOR_PERSON] = OWN, [ACTOR_SYSTEM] = NAMED}, 0, 0},
    [ACT_ERASURE_EXECUTE] = {{[ACTOR_PERSON] = OWN, [ACTOR_SYSTEM] = NAMED}, 0, 0},
    [ACT_DISCLOSURE] = {{[ACTOR_PERSON] = OWN, [ACTOR_SYSTEM] = NAMED}, 0, 0},
    [ACT_RETENTION_RUN] = {{[ACTOR_SYSTEM] = ALWAYS}, 0, 0},
    [ACT_TERMINATION] = {{[ACTOR_SYSTEM] = ALWAYS}, 0, 0},
    [ACT_CHECKSHEET] = {{[ACTOR_SYSTEM] = ALWAYS, [ACTOR_STAFF] = ALWAYS}, ROLE_SO, 0},
    /* Each person's data is the use stage's question, per page. */
    [ACT_BULK_EXPORT] = {{[ACTOR_RECIPIENT] = ALWAYS}, 0, 0},
    /* Who the outside organisations are: the staff who answer for the
     * inventory and for oversight. */
    [ACT_RECIPIENT_READ] = {{[ACTOR_SYSTEM] = ALWAYS, [ACTOR_STAFF] = ALWAYS}, ROLE_AM | ROLE_SO | ROLE_AU, 0},
    [ACT_SECOND_FACTOR] = {{[ACTOR_PERSON] = OWN, [ACTOR_SYSTEM] = NAMED}, 0, 0},
    /* Anonymised data sets: the information-asset manager answers for what
     * leaves the service; each person's inclusion is the data set's own
     * question (consent, suspension), as with Bulk export. */
    [ACT_ANONYMISE] = {{[ACTOR_SYSTEM] = ALWAYS, [ACTOR_STAFF] = ALWAYS}, ROLE_AM, 0},
    /* A data set's processing method (加工方法等情報, Art.43(2)): kept from
     * everyone but those who answer for it and for security. */
    [ACT_ANONYMISE_METHOD] = {{[ACTOR_SYSTEM] = ALWAYS, [ACTOR_STAFF] = ALWAYS}, ROLE_AM | ROLE_SO, 0},
    /* The table itself, to hand over: the one who provides it. */
    [ACT_ANONYMISE_TABLE] = {{[ACTOR_SYSTEM] = ALWAYS, [ACTOR_STAFF] = ALWAYS}, ROLE_AM, 0},
};
_Static_assert(sizeof rules / sizeof rules[0] == ACT_COUNT, "every action has a rule");

static unsigned role_bit(const char *role)
{
    static const struct {
        const char *name;
        unsigned bit;
    } roles[] = {{ROLE_SECURITY_OFFICER, ROLE_SO}, {ROLE_ASSET_MANAGER, ROLE_AM}, {ROLE_HANDLER, ROLE_HA},
                 {ROLE_AUDITOR, ROLE_AU}};
    for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++)
        if (!strcmp(roles[i].name, role))
            return roles[i].bit;
    return 0;
}

enum decision gate_decide(const struct actor *a, enum action act, const char *subject)
{
    if ((unsigned)act >= ACT_COUNT || (unsigned)a->kind >= ACTOR_KINDS)
        return GATE_DENY;
    const struct rule *r = &rules[act];
    if (a->kind == ACTOR_STAFF && !(r->roles & role_bit(a->role)))
        return GATE_DENY;
    /* An app the person approved acts for that person only, and only on
     * records: never on anyone else's, never in bulk. Only such an app
     * writes; another provider's system never does. */
    int app = a->kind == ACTOR_RECIPIENT && a->patient && a->patient[0];
    if (app && (!r->use || !subject || strcmp(subject, a->patient)))
        return GATE_DENY;
    if (a->kind == ACTOR_RECIPIENT && !app && act == ACT_RECORD_CREATE)
        return GATE_DENY;
    switch (r->who[a->kind]) {
    case ALWAYS: return GATE_ALLOW;
    case NAMED: return subject ? GATE_ALLOW : GATE_DENY;
    case OWN: return subject && strcmp(a->id, subject) == 0 ? GATE_ALLOW : GATE_DENY;
    case NEVER: break;
    }
    return GATE_DENY;
}

int gate_has_use_stage(enum action act)
{
    return (unsigned)act < ACT_COUNT && rules[act].use;
}

static int is_read(enum action act)
{
    return act == ACT_RECORD_READ || act == ACT_RECORD_SEARCH;
}

enum decision gate_decide_use(const struct actor *a, enum action act, const struct gate_facts *f,
                              enum use_refusal *why)
{
    *why = USE_OK;
    if (!gate_has_use_stage(act))
        return GATE_DENY;
    if (a->kind == ACTOR_STAFF) {
        if (!f->reason_ok)
            *why = USE_NO_REASON;
        return f->reason_ok ? GATE_ALLOW : GATE_DENY;
    }
    if (a->kind == ACTOR_RECIPIENT) {
        /* Every kind concerned must be covered: a purpose that provides
         * vital signs never carries checkup results with them. An app
         * writes only kinds the person approved it for, and only what
         * the person's own acquisition consent allows. */
        int covered = f->wanted && (f->wanted & ~f->scope.kinds) == 0;
        if (!covered)
            *why = USE_NO_PROVISION;
        if (!covered || is_read(act))
            return covered ? GATE_ALLOW : GATE_DENY;
        if (act != ACT_RECORD_CREATE)
            return GATE_DENY;
    } else if (act != ACT_RECORD_CREATE) {
        /* Reading, searching and correcting one's own records are the
         * person's rights (disclosure, correction): no consent gates them,
         * and gate_decide() has already limited them to the person. */
        return a->kind == ACTOR_PERSON ? GATE_ALLOW : GATE_DENY;
    }
    if (f->consent.required_in_force == 0)
        *why = USE_NO_POLICY;
    else if (f->consent.missing[0])
        *why = USE_NO_CONSENT;
    else if (f->consent.suspended_all)
        *why = USE_SUSPENDED;
    return *why == USE_OK ? GATE_ALLOW : GATE_DENY;
}

static int add_basis(void *arg, const struct provision_basis_row *r)
{
    struct provision_scope *s = arg;
    data_kinds k;
    /* A purpose whose kinds are not kinds of data (one published before
     * kinds were, naming resource types) provides nothing until it is
     * published again: it cannot say what the person was told. */
    if (s->n == GATE_MAX_BASES || !r->kinds || data_kinds_parse(r->kinds, &k, NULL, 0))
        return PHR_OK;
    struct gate_basis *b = &s->b[s->n++];
    snprintf(b->purpose, sizeof b->purpose, "%s", r->purpose);
    b->purpose_version = r->purpose_version;
    b->consent_seq = r->consent_seq;
    b->kinds = k;
    s->kinds |= k;
    return PHR_OK;
}

int gate_provision_scope(struct store *st, const struct actor *a, const char *subject, struct provision_scope *out)
{
    memset(out, 0, sizeof *out);
    if (a->kind != ACTOR_RECIPIENT || !subject)
        return PHR_OK;
    int err = store_provision_bases(st, a->id, subject, a->group, clock_now_ms(), add_basis, out);
    /* A token's granular scopes narrow what its consent provides. */
    data_kinds granted = scopes_kinds(a->scope);
    out->kinds &= granted;
    for (size_t i = 0; i < out->n; i++)
        out->b[i].kinds &= granted;
    return err;
}

const struct gate_basis *gate_basis_for(const struct provision_scope *s, enum data_kind k)
{
    for (size_t i = 0; k != DK_OTHER && i < s->n; i++)
        if (s->b[i].kinds & DATA_KIND_BIT(k))
            return &s->b[i];
    return NULL;
}

struct reason_lookup {
    const struct actor *a;
    const char *subject;
    struct gate_facts *f;
};

static int got_reason(void *arg, const struct reason_row *r)
{
    struct reason_lookup *l = arg;
    l->f->reason_ok = strcmp(r->staff_id, l->a->id) == 0 && strcmp(r->person_id, l->subject) == 0 &&
                      clock_now_ms() < r->expires_at;
    if (l->f->reason_ok)
        snprintf(l->f->reason_text, sizeof l->f->reason_text, "%s", r->reason);
    return PHR_OK;
}

/* A handler's reason: theirs, naming this person, not expired. */
static int check_reason(struct store *st, const struct actor *a, const char *subject, struct gate_facts *f)
{
    if (!a->reason_id || !*a->reason_id || strlen(a->reason_id) > ID_LEN)
        return PHR_OK;
    struct reason_lookup l = {a, subject, f};
    int err = store_reason_get(st, a->reason_id, got_reason, &l);
    return err == PHR_ENOTFOUND ? PHR_OK : err;
}

/* "purpose:a,b" for the purposes the kinds concerned go under, or
 * "no-provision-basis:checkup,…" for the kinds not covered. */
static void scope_reason(const struct gate_facts *f, enum use_refusal why, char out[GATE_REASON_LEN])
{
    size_t len = (size_t)snprintf(out, GATE_REASON_LEN, "%s", why == USE_OK ? "purpose:" : "no-provision-basis");
    if (why != USE_OK && !f->scope.n)
        return; /* no purpose provides anything of this person to this recipient */
    const char *sep = why == USE_OK ? "" : ":";
    unsigned named = 0; /* bit i: basis i is in the reason already */
    for (int k = 1; k < DK_COUNT && len < GATE_REASON_LEN; k++) {
        if (!(f->wanted & DATA_KIND_BIT(k)))
            continue;
        const struct gate_basis *b = gate_basis_for(&f->scope, (enum data_kind)k);
        const char *name = NULL;
        if (why == USE_OK && b && !(named & (1u << (b - f->scope.b)))) {
            named |= 1u << (b - f->scope.b);
            name = b->purpose;
        } else if (why != USE_OK && !b) {
            name = data_kind_name((enum data_kind)k);
        }
        if (!name)
            continue;
        int n = snprintf(out + len, GATE_REASON_LEN - len, "%s%s", sep, name);
        len = n < 0 ? GATE_REASON_LEN : len + (size_t)n;
        sep = ",";
    }
}

int gate_check(struct store *st, const struct actor *a, enum action act, const char *subject, data_kinds kinds,
               struct gate_result *out)
{
    memset(out, 0, sizeof *out);
    out->d = gate_decide(a, act, subject);
    if (out->d == GATE_DENY || !gate_has_use_stage(act))
        return PHR_OK;
    struct gate_facts f;
    memset(&f, 0, sizeof f);
    f.wanted = kinds;
    int err = a->kind == ACTOR_RECIPIENT ? gate_provision_scope(st, a, subject, &f.scope)
              : a->kind == ACTOR_STAFF   ? check_reason(st, a, subject, &f)
                                         : store_consent_facts(st, subject, &f.consent);
    if (!err && a->kind == ACTOR_RECIPIENT && act == ACT_RECORD_CREATE)
        err = store_consent_facts(st, subject, &f.consent);
    if (err)
        return err;
    out->d = gate_decide_use(a, act, &f, &out->why);
    out->scope = f.scope;
    switch (out->why) {
    case USE_OK:
        if (a->kind == ACTOR_RECIPIENT)
            scope_reason(&f, USE_OK, out->reason);
        else if (a->kind == ACTOR_STAFF)
            snprintf(out->reason, GATE_REASON_LEN, "reason:%s", f.reason_text);
        break;
    case USE_NO_POLICY: snprintf(out->reason, GATE_REASON_LEN, "no-policy"); break;
    case USE_NO_CONSENT: snprintf(out->reason, GATE_REASON_LEN, "no-consent:%s", f.consent.missing); break;
    case USE_SUSPENDED: snprintf(out->reason, GATE_REASON_LEN, "suspended"); break;
    case USE_NO_PROVISION: scope_reason(&f, USE_NO_PROVISION, out->reason); break;
    case USE_NO_REASON: snprintf(out->reason, GATE_REASON_LEN, "no-reason"); break;
    }
    return PHR_OK;
}

void gate_actor_name(const struct actor *a, char out[64])
{
    switch (a->kind) {
    case ACTOR_PERSON:
        snprintf(out, 64, "person:%s", a->id);
        return;
    case ACTOR_SYSTEM:
        snprintf(out, 64, "system:%s", a->id);
        return;
    case ACTOR_RECIPIENT:
        snprintf(out, 64, "recipient:%s", a->id);
        return;
    case ACTOR_STAFF:
        snprintf(out, 64, "staff:%s", a->id);
        return;
    case ACTOR_ANONYMOUS:
        break;
    }
    snprintf(out, 64, "anonymous");
}

static const char *role_of(const struct actor *a)
{
    switch (a->kind) {
    case ACTOR_PERSON: return "person";
    case ACTOR_SYSTEM: return "system";
    case ACTOR_RECIPIENT: return "recipient";
    case ACTOR_STAFF: return a->role;
    case ACTOR_ANONYMOUS: break;
    }
    return "anonymous";
}

int gate_record(struct store *st, const struct actor *a, enum action act, const char *subject,
                const char *records, const char *reason, enum decision d)
{
    char actor[64];
    gate_actor_name(a, actor);
    struct audit_row e = {
        .at = clock_now_ms(),
        .actor = actor,
        .role = role_of(a),
        .action = gate_action_name(act),
        .subject = subject,
        .records = records,
        .reason = reason,
        .client = a->client,
        .result = d == GATE_ALLOW ? "allow" : "deny",
        .request_id = a->request_id,
    };
    return audit_append(st, &e);
}
