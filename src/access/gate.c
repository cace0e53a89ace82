#include "access/gate.h"

#include <stdio.h>
#include <string.h>

#include "audit/audit.h"
#include "util/clock.h"

static const char *const action_names[] = {
    [ACT_RECORD_CREATE] = "record.create",
    [ACT_RECORD_READ] = "record.read",
    [ACT_RECORD_SEARCH] = "record.search",
    [ACT_RECORD_UPDATE] = "record.update",
    [ACT_RECORD_HISTORY] = "record.history",
    [ACT_ACCOUNT_SIGNUP] = "account.signup",
    [ACT_ACCOUNT_LOGIN] = "account.login",
    [ACT_ACCOUNT_LOGOUT] = "account.logout",
};

const char *gate_action_name(enum action act)
{
    return action_names[act];
}

static int is_record_action(enum action act)
{
    return act <= ACT_RECORD_HISTORY;
}

enum decision gate_decide(const struct actor *a, enum action act, const char *subject)
{
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
    case ACTOR_ANONYMOUS:
        break;
    }
    return GATE_DENY;
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
    case ACTOR_ANONYMOUS: break;
    }
    return "anonymous";
}

int gate_record(struct store *st, const struct actor *a, enum action act, const char *subject,
                const char *records, enum decision d)
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
        .reason = NULL,
        .client = a->client,
        .result = d == GATE_ALLOW ? "allow" : "deny",
        .request_id = a->request_id,
    };
    return audit_append(st, &e);
}
