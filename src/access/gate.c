#include "access/gate.h"

#include <stdio.h>
#include <string.h>

#include "audit/audit.h"
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
};

const char *gate_action_name(enum action act)
{
    return action_names[act];
}

static int is_record_action(enum action act)
{
    return act <= ACT_RECORD_HISTORY;
}

static int is_staff(const struct actor *a, const char *role)
{
    return a->kind == ACTOR_STAFF && strcmp(a->role, role) == 0;
}

static int is_consent_action(enum action act)
{
    return act == ACT_CONSENT_RECORD || act == ACT_CONSENT_READ || act == ACT_USE_SUSPEND || act == ACT_USE_LIFT;
}

enum decision gate_decide(const struct actor *a, enum action act, const char *subject)
{
    if (act == ACT_KEYS_ROTATE || act == ACT_RETENTION_RUN || act == ACT_TERMINATION)
        return a->kind == ACTOR_SYSTEM ? GATE_ALLOW : GATE_DENY; /* the operator, at the command line */
    /* The information-asset manager answers for what is promised to persons
     * and to whom data may go (guideline 4.4): policy versions, purposes,
     * outside organisations and their agreements. */
    if (act == ACT_POLICY_PUBLISH || act == ACT_RECIPIENT_MANAGE)
        return a->kind == ACTOR_SYSTEM || is_staff(a, ROLE_ASSET_MANAGER) ? GATE_ALLOW : GATE_DENY;
    if (act == ACT_INCIDENT_RECORD || act == ACT_CHECKSHEET)
        return a->kind == ACTOR_SYSTEM || is_staff(a, ROLE_SECURITY_OFFICER) ? GATE_ALLOW : GATE_DENY;
    if (act == ACT_AUDIT_READ)
        return a->kind == ACTOR_SYSTEM || is_staff(a, ROLE_SECURITY_OFFICER) || is_staff(a, ROLE_AUDITOR)
                   ? GATE_ALLOW
                   : GATE_DENY;
    if (act == ACT_STAFF_MANAGE)
        return a->kind == ACTOR_SYSTEM || is_staff(a, ROLE_ASSET_MANAGER) ? GATE_ALLOW : GATE_DENY;
    /* Who the outside organisations are and under which agreements: the
     * staff who answer for the inventory and for oversight see it. */
    if (act == ACT_RECIPIENT_READ)
        return a->kind == ACTOR_SYSTEM || is_staff(a, ROLE_ASSET_MANAGER) || is_staff(a, ROLE_SECURITY_OFFICER) ||
                       is_staff(a, ROLE_AUDITOR)
                   ? GATE_ALLOW
                   : GATE_DENY;
    if (act == ACT_BULK_EXPORT)
        return a->kind == ACTOR_RECIPIENT ? GATE_ALLOW : GATE_DENY; /* each person's data: the use stage, per file */
    if (act == ACT_STAFF_LOGIN || act == ACT_STAFF_LOGOUT)
        return GATE_ALLOW; /* decided by the staff service: password, second factor, status */
    if (act == ACT_REASON_OPEN)
        return subject && is_staff(a, ROLE_HANDLER) ? GATE_ALLOW : GATE_DENY;
    /* A person's rights are exercised by the person; the operator acts on
     * a request received by mail or at a counter, and retention erases. */
    if (act == ACT_PROVISION_READ || act == ACT_ACCESS_LOG_READ || act == ACT_ERASURE_REQUEST ||
        act == ACT_ERASURE_EXECUTE || act == ACT_DISCLOSURE || act == ACT_SECOND_FACTOR)
        return subject && (a->kind == ACTOR_SYSTEM || (a->kind == ACTOR_PERSON && strcmp(a->id, subject) == 0))
                   ? GATE_ALLOW
                   : GATE_DENY;
    if (is_consent_action(act)) {
        /* A person decides for themselves; the operator's command line
         * records a decision taken by phone or mail (channel and name kept). */
        if (!subject)
            return GATE_DENY;
        if (a->kind == ACTOR_PERSON)
            return strcmp(a->id, subject) == 0 ? GATE_ALLOW : GATE_DENY;
        return a->kind == ACTOR_SYSTEM ? GATE_ALLOW : GATE_DENY;
    }
    if (!is_record_action(act))
        return GATE_ALLOW; /* account actions are checked by the account service */
    if (!subject)
        return GATE_DENY;
    switch (a->kind) {
    case ACTOR_PERSON:
        /* A person reaches their own records and nobody else's. */
        return strcmp(a->id, subject) == 0 ? GATE_ALLOW : GATE_DENY;
    case ACTOR_SYSTEM:
        /* Start-up and import jobs write records on a person's behalf; they
         * never read them back. */
        return act == ACT_RECORD_CREATE ? GATE_ALLOW : GATE_DENY;
    case ACTOR_RECIPIENT:
        /* Reading only; whether this person's data may be provided is the
         * use stage's question. */
        return act == ACT_RECORD_READ || act == ACT_RECORD_SEARCH ? GATE_ALLOW : GATE_DENY;
    case ACTOR_STAFF:
        /* Handlers read (never write) a person's records; whether they may
         * now is the use stage's question (their reason). Other roles
         * never see health data. */
        return is_staff(a, ROLE_HANDLER) && act != ACT_RECORD_CREATE && act != ACT_RECORD_UPDATE ? GATE_ALLOW
                                                                                                  : GATE_DENY;
    case ACTOR_ANONYMOUS:
        break;
    }
    return GATE_DENY;
}

enum decision gate_decide_use(const struct actor *a, enum action act, const struct gate_facts *f,
                              enum use_refusal *why)
{
    *why = USE_OK;
    if (a->kind == ACTOR_STAFF) {
        if (!f->reason_ok)
            *why = USE_NO_REASON;
        return f->reason_ok ? GATE_ALLOW : GATE_DENY;
    }
    if (a->kind == ACTOR_RECIPIENT) {
        if (!f->basis.found)
            *why = USE_NO_PROVISION;
        return f->basis.found && (act == ACT_RECORD_READ || act == ACT_RECORD_SEARCH) ? GATE_ALLOW : GATE_DENY;
    }
    if (act != ACT_RECORD_CREATE) {
        /* Reading, searching and correcting one's own records are the
         * person's rights (disclosure, correction): no consent gates them,
         * and gate_decide() has already limited them to the person. */
        return is_record_action(act) && a->kind == ACTOR_PERSON ? GATE_ALLOW : GATE_DENY;
    }
    if (f->consent.required_in_force == 0)
        *why = USE_NO_POLICY;
    else if (f->consent.missing[0])
        *why = USE_NO_CONSENT;
    else if (f->consent.suspended_all)
        *why = USE_SUSPENDED;
    return *why == USE_OK ? GATE_ALLOW : GATE_DENY;
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
    int err = st->ops->reason_get(st, a->reason_id, got_reason, &l);
    return err == PHR_ENOTFOUND ? PHR_OK : err;
}

int gate_check(struct store *st, const struct actor *a, enum action act, const char *subject, const char *kind,
               struct gate_result *out)
{
    memset(out, 0, sizeof *out);
    out->d = gate_decide(a, act, subject);
    if (out->d == GATE_DENY || !is_record_action(act))
        return PHR_OK;
    struct gate_facts f;
    memset(&f, 0, sizeof f);
    int err = a->kind == ACTOR_RECIPIENT ? st->ops->provision_basis(st, a->id, subject, kind, a->group, clock_now_ms(),
                                                                    &f.basis)
              : a->kind == ACTOR_STAFF   ? check_reason(st, a, subject, &f)
                                         : st->ops->consent_facts(st, subject, &f.consent);
    if (err)
        return err;
    out->d = gate_decide_use(a, act, &f, &out->why);
    out->basis = f.basis;
    switch (out->why) {
    case USE_OK:
        if (f.basis.found)
            snprintf(out->reason, GATE_REASON_LEN, "purpose:%s", f.basis.purpose);
        break;
    case USE_NO_POLICY: snprintf(out->reason, GATE_REASON_LEN, "no-policy"); break;
    case USE_NO_CONSENT: snprintf(out->reason, GATE_REASON_LEN, "no-consent:%s", f.consent.missing); break;
    case USE_SUSPENDED: snprintf(out->reason, GATE_REASON_LEN, "suspended"); break;
    case USE_NO_PROVISION: snprintf(out->reason, GATE_REASON_LEN, "no-provision-basis"); break;
    case USE_NO_REASON: snprintf(out->reason, GATE_REASON_LEN, "no-reason"); break;
    }
    if (out->why == USE_OK && a->kind == ACTOR_STAFF)
        snprintf(out->reason, GATE_REASON_LEN, "reason:%s", f.reason_text);
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
        .action = action_names[act],
        .subject = subject,
        .records = records,
        .reason = reason,
        .client = a->client,
        .result = d == GATE_ALLOW ? "allow" : "deny",
        .request_id = a->request_id,
    };
    return audit_append(st, &e);
}
