/* THE gate (design.md invariant 1): the one function that decides whether
 * an actor may perform an action on a person's records, and the one way a
 * decision reaches the handling history.
 *
 * Service code decides with gate_decide() before it touches a record and
 * hands the decision to gate_record() inside the transaction that carries
 * out (or refuses) the action, so the audit entry commits with the change.
 * Denials are recorded too. */
#ifndef PHR_GATE_H
#define PHR_GATE_H

#include "store/store.h"
#include "util/ids.h"

enum actor_kind { ACTOR_ANONYMOUS, ACTOR_PERSON, ACTOR_SYSTEM };

struct actor {
    enum actor_kind kind;
    char id[ID_LEN + 1];          /* person id, or the system job's name */
    const char *client;           /* client address, "cli" for the command line */
    const char *request_id;
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
};

enum decision { GATE_DENY = 0, GATE_ALLOW = 1 };

/* subject: the person whose records are concerned, NULL if unknown (an id
 * that names nothing). Pure: reads nothing, writes nothing. */
enum decision gate_decide(const struct actor *a, enum action act, const char *subject);

/* Appends the handling-history entry for a decision. records: the record
 * ids concerned, comma-separated, or NULL. */
int gate_record(struct store *st, const struct actor *a, enum action act, const char *subject,
                const char *records, enum decision d);

const char *gate_action_name(enum action act);
/* "person:<id>", "system:<name>" or "anonymous"; out must hold 64. */
void gate_actor_name(const struct actor *a, char out[64]);

#endif
