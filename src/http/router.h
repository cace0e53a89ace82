/* The router: every route declared once, in one table, with who may call
 * it, the body it may carry and the action a refused caller is recorded
 * under; the checks are applied at dispatch, the same way for every route:
 * the body limit while the body arrives, then authentication (once), the
 * caller's kind, and the gate for routes that act on no one person. A path
 * with no route is 404, a route without the method 405 with Allow. */
#ifndef PHR_ROUTER_H
#define PHR_ROUTER_H

#include <stddef.h>

#include "access/gate.h"

struct request;

/* Who may call a route. */
enum {
    CALLER_ANYONE = 1,        /* nobody needs to be signed in */
    CALLER_PERSON = 2,
    CALLER_STAFF = 4,
    CALLER_RECIPIENT = 8,
};
#define CALLER_SIGNED_IN (CALLER_PERSON | CALLER_STAFF | CALLER_RECIPIENT)

enum body_limit { BODY_API, BODY_FHIR, BODY_DOCUMENT };

/* At dispatch, after the caller's kind: the gate decides act with no
 * subject (roles), and a refusal is recorded before the body is read. */
#define ROUTE_GATED 1

#define ROUTE_PARAMS 3
#define ROUTE_PARAM_MAX 64

struct route {
    const char *method;
    /* "/fhir/Observation/{id}/_history/{vid}": a {name} takes one whole
     * segment, or the start of one before a fixed ending ("{day}.json"). */
    const char *path;
    unsigned callers;
    enum action act;          /* what a refused caller is recorded under; ACT_COUNT: a public route */
    enum body_limit body;
    void (*handler)(struct request *r);
    const void *arg;          /* the handler's: a resource type, a format */
    unsigned flags;
};

/* The route for method and path, its parameters copied into params; NULL
 * if there is none, with allow set to the methods the path has ("" if the
 * path has no route: 404; else 405). */
const struct route *router_match(const char *method, const char *path, char params[ROUTE_PARAMS][ROUTE_PARAM_MAX + 1],
                                 char *allow, size_t allow_cap);
/* Applies the route's checks and runs its handler (r->rt NULL: 404/405). */
void router_dispatch(struct request *r);

#endif
