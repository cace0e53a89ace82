/* The reasons under which a handler opens a person's data (R2.2): stated
 * first, naming the person (by the login they give, or the id), kept for
 * REASON_MS, and written into the audit entry of every read made under
 * them; the gate refuses a read without a live one. */
#include <stdlib.h>
#include <string.h>

#include "access/gate.h"
#include "service/internal.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/ids.h"

#define REASON_MS (30LL * 60 * 1000)
#define REASON_MAX 120

struct reason_op {
    struct op op;
    char subject[ID_LEN + 1], reason[REASON_MAX + 1];
    int64_t expires_at;
};

static int reason_commit(struct op *o, struct store *st)
{
    struct reason_op *r = (struct reason_op *)o;
    struct reason_row row = {.id = o->res.id, .staff_id = o->actor.id, .person_id = r->subject, .reason = r->reason,
                             .created_at = clock_now_ms(), .expires_at = r->expires_at};
    int err = store_reason_insert(st, &row);
    return err ? err : gate_record(st, &o->actor, ACT_REASON_OPEN, r->subject, o->res.id, r->reason, GATE_ALLOW);
}

static int reason_render(struct op *o, struct buf *out)
{
    struct reason_op *r = (struct reason_op *)o;
    char exp[32];
    clock_format_ms(r->expires_at, exp);
    return buf_puts(out, "{\"reason_id\":") || buf_json_str(out, o->res.id) || buf_puts(out, ",\"person\":") ||
                   buf_json_str(out, r->subject) || buf_printf(out, ",\"expires_at\":\"%s\"}", exp)
               ? PHR_ENOMEM
               : PHR_OK;
}

static const struct op_ops reason_ops = {reason_commit, reason_render, NULL};

int staff_reason(struct service *svc, const struct actor *a, const char *person, const char *login, const char *reason,
                 struct op **out, struct fault *fault)
{
    *out = NULL;
    /* A person calling about themselves gives their login, which they
     * know; the id is the service's. Only a role that may open a named
     * person's data looks a login up (the gate asked as for one named). */
    char by_login[ID_LEN + 1] = "";
    if (!person && login && gate_decide(a, ACT_REASON_OPEN, login) != GATE_DENY) {
        int err = accounts_person_id(svc, login, by_login);
        if (err == PHR_ENOTFOUND || err == PHR_EINVAL || (!err && !by_login[0])) {
            if (service_refusal(svc, a, ACT_REASON_OPEN, NULL, "no-such-login", out, fault) != 0)
                return -1;
            op_refuse(*out, F_NOT_FOUND, "no person has this login");
            return 0;
        }
        if (err)
            return fault_set(fault, F_UNAVAILABLE, NULL, "the store is not available");
        person = by_login;
    }
    if (!person || !id_is_uuid(person))
        return fault_set(fault, F_INVALID_VALUE, "person", "give the person's login (login) or id (person)");
    if (gate_decide(a, ACT_REASON_OPEN, person) == GATE_DENY) {
        /* Another role asking for a person's data is on the record. */
        if (service_refusal(svc, a, ACT_REASON_OPEN, person, "role", out, fault) != 0)
            return -1;
        op_refuse(*out, F_FORBIDDEN, "only a handler opens a person's data under a reason");
        return 0;
    }
    size_t n = reason ? strlen(reason) : 0;
    if (n < 3 || n > REASON_MAX)
        return fault_set(fault, F_INVALID_VALUE, "reason",
                         "reason is the inquiry or ticket (3 to %d bytes), recorded with every access under it",
                         REASON_MAX);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)reason[i] < 0x20)
            return fault_set(fault, F_INVALID_VALUE, "reason", "reason must not contain control characters");
    struct reason_op *r = calloc(1, sizeof *r);
    if (!r)
        return fault_set(fault, F_INTERNAL, NULL, "out of memory");
    op_init(&r->op, svc, &reason_ops, a);
    id_uuid(r->op.res.id);
    memcpy(r->subject, person, strlen(person) + 1);
    memcpy(r->reason, reason, n + 1);
    r->expires_at = clock_now_ms() + REASON_MS;
    *out = &r->op;
    return 0;
}
