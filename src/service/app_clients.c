/* A recipient's app registered as an OAuth client (issue 19): public
 * (a browser or phone app: no secret, PKCE only) or confidential (its
 * secret or its keys), the addresses it may be sent back to, and the web
 * origins that may call /fhir and the token endpoint from a browser. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "service/internal.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/urls.h"

#define LIST_MAX 2048
#define LIST_ITEMS 10

/* A space-separated list of at most LIST_ITEMS; empty allowed if may_be_empty. */
static int list_ok(const char *list, int origin, int may_be_empty)
{
    size_t items = 0;
    if (strlen(list) > LIST_MAX)
        return 0;
    for (const char *p = list; *p;) {
        size_t n = strcspn(p, " ");
        if (!url_acceptable(p, n, origin) || ++items > LIST_ITEMS)
            return 0;
        p += n + (p[n] == ' ');
    }
    return items > 0 || may_be_empty;
}

struct register_op {
    struct op op;
    char client[ID_LEN + 1], uris[LIST_MAX + 1], origins[LIST_MAX + 1], scopes[SCOPE_MAX];
    int public_client;
};

static int register_commit(struct op *o, struct store *st)
{
    struct register_op *r = (struct register_op *)o;
    int err = store_app_client_set(st, r->client, r->public_client, r->uris, r->origins,
                                   r->scopes[0] ? r->scopes : NULL, clock_now_ms());
    if (err == PHR_ENOTFOUND)
        return op_refuse(o, F_NOT_FOUND, "no recipient %s", r->client);
    if (err)
        return err;
    char what[96];
    snprintf(what, sizeof what, "app:%s:%s", r->client, r->public_client ? "public" : "confidential");
    return gate_record(st, &o->actor, ACT_RECIPIENT_MANAGE, NULL, what, NULL, GATE_ALLOW);
}

static const struct op_ops register_ops = {register_commit, NULL, NULL};

int app_register(struct service *svc, const struct actor *a, const char *client, int public_client,
                 const char *redirect_uris, const char *origins, const char *scopes, struct op **out,
                 struct fault *fault)
{
    *out = NULL;
    if (gate_decide(a, ACT_RECIPIENT_MANAGE, NULL) == GATE_DENY)
        return service_deny(svc, a, ACT_RECIPIENT_MANAGE, out, fault);
    if (!client || !id_is_uuid(client))
        return fault_set(fault, F_INVALID_VALUE, "recipient", "the recipient's id is required");
    if (!redirect_uris || !list_ok(redirect_uris, 0, 0))
        return fault_set(fault, F_INVALID_VALUE, "redirect_uris",
                         "1 to %d redirect URIs, space-separated: https (http only for 127.0.0.1 or localhost), "
                         "no fragment", LIST_ITEMS);
    if (origins && !list_ok(origins, 1, 1))
        return fault_set(fault, F_INVALID_VALUE, "origins",
                         "at most %d origins, space-separated, each scheme://host[:port] with no path", LIST_ITEMS);
    /* Kept as granted: what a request is measured against is what it could get. */
    struct buf granted;
    buf_init(&granted);
    if (scopes && scopes_grant(scopes, "patient", &granted, fault)) {
        buf_free(&granted);
        if (fault->code == F_SCOPE_INVALID)
            fault->code = F_INVALID_VALUE;
        return -1;
    }
    struct register_op *r = calloc(1, sizeof *r);
    if (!r) {
        buf_free(&granted);
        return fault_set(fault, F_INTERNAL, NULL, "out of memory");
    }
    op_init(&r->op, svc, &register_ops, a);
    snprintf(r->scopes, sizeof r->scopes, "%s", scopes ? buf_cstr(&granted) : "");
    buf_free(&granted);
    snprintf(r->client, sizeof r->client, "%s", client);
    snprintf(r->uris, sizeof r->uris, "%s", redirect_uris);
    snprintf(r->origins, sizeof r->origins, "%s", origins ? origins : "");
    r->public_client = public_client;
    *out = &r->op;
    return 0;
}

int app_origin_allowed(struct service *svc, const char *origin)
{
    struct store *rd;
    int known = 0;
    if (strlen(origin) > 256 || service_reader(svc, &rd))
        return 0;
    if (store_app_origin_known(rd, origin, &known))
        known = 0;
    service_reader_done(svc, rd);
    return known;
}
