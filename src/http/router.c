#include "http/router.h"

#include <stdio.h>
#include <string.h>

#include "formats/scopes.h"
#include "http/internal.h"
#include "util/err.h"

#define P CALLER_PERSON
#define S CALLER_STAFF
#define R CALLER_RECIPIENT
#define ANY CALLER_ANYONE
#define IN CALLER_SIGNED_IN

/* FHIR record types: search, read, version, history; Observation is also
 * written through the API (the others come in imported files). */
#define RECORD_READS(T)                                                                                  \
    {"GET", "/fhir/" T, IN, ACT_RECORD_SEARCH, BODY_FHIR, route_fhir_search, T, 0},                     \
    {"GET", "/fhir/Patient/{id}/" T, IN, ACT_RECORD_SEARCH, BODY_FHIR, route_fhir_search, T, 0},        \
    {"GET", "/fhir/" T "/{id}", IN, ACT_RECORD_READ, BODY_FHIR, route_fhir_read, T, 0},                 \
    {"GET", "/fhir/" T "/{id}/_history", IN, ACT_RECORD_HISTORY, BODY_FHIR, route_fhir_history, T, 0},  \
    {"GET", "/fhir/" T "/{id}/_history/{vid}", IN, ACT_RECORD_READ, BODY_FHIR, route_fhir_vread, T, 0}

static const struct route routes[] = {
    /* Public. */
    {"GET", "/api/v1/health", ANY, ACT_COUNT, BODY_API, route_health, NULL, 0},
    {"GET", "/api/v1/checkup-items", ANY, ACT_COUNT, BODY_API, route_checkup_items, NULL, 0},
    {"GET", "/api/v1/errors", ANY, ACT_COUNT, BODY_API, route_errors, NULL, 0},
    {"GET", "/api/v1/policies", ANY, ACT_COUNT, BODY_API, route_policies, NULL, 0},
    {"GET", "/api/v1/policies/{kind}/versions", ANY, ACT_COUNT, BODY_API, route_policy_versions, NULL, 0},
    {"GET", "/api/v1/anonymised", ANY, ACT_COUNT, BODY_API, route_anonymised, NULL, 0},
    {"GET", "/checksheet", ANY, ACT_COUNT, BODY_API, route_checksheet, NULL, 0},
    {"GET", "/checksheet.json", ANY, ACT_COUNT, BODY_API, route_checksheet, "json", 0},
    {"GET", "/checksheet/{id}", ANY, ACT_COUNT, BODY_API, route_checksheet, NULL, 0},
    {"GET", "/checksheet/{id}.json", ANY, ACT_COUNT, BODY_API, route_checksheet, "json", 0},
    {"GET", "/fhir/metadata", ANY, ACT_COUNT, BODY_FHIR, route_fhir_metadata, NULL, 0},
    {"GET", "/.well-known/phr-package-keys", ANY, ACT_COUNT, BODY_API, route_package_keys, NULL, 0},

    /* Signing in and out. */
    {"POST", "/api/v1/signup", ANY, ACT_ACCOUNT_SIGNUP, BODY_API, route_signup, NULL, 0},
    {"POST", "/api/v1/login", ANY, ACT_ACCOUNT_LOGIN, BODY_API, route_login, NULL, 0},
    {"POST", "/api/v1/logout", P, ACT_ACCOUNT_LOGOUT, BODY_API, route_logout, NULL, 0},
    {"POST", "/api/v1/token", ANY, ACT_CLIENT_TOKEN, BODY_API, route_token, NULL, 0},
    {"POST", "/api/v1/introspect", ANY, ACT_CLIENT_TOKEN, BODY_API, route_introspect, NULL, 0},
    {"POST", "/api/v1/revoke", ANY, ACT_CLIENT_TOKEN, BODY_API, route_revoke, NULL, 0},
    {"GET", "/api/v1/authorize", ANY, ACT_CLIENT_TOKEN, BODY_API, route_authorize, NULL, 0},
    {"GET", "/.well-known/smart-configuration", ANY, ACT_COUNT, BODY_API, route_smart_configuration, NULL, 0},
    {"GET", "/fhir/.well-known/smart-configuration", ANY, ACT_COUNT, BODY_API, route_smart_configuration, NULL, 0},
    {"POST", "/api/v1/staff/login", ANY, ACT_STAFF_LOGIN, BODY_API, route_staff_login, NULL, 0},
    {"POST", "/api/v1/staff/logout", S, ACT_STAFF_LOGOUT, BODY_API, route_staff_logout, NULL, 0},
    {"GET", "/api/v1/staff/me", S, ACT_COUNT, BODY_API, route_staff_me, NULL, 0},

    /* The person's own: consents, rights, imports, second factor. */
    {"GET", "/api/v1/me/consents", P, ACT_CONSENT_READ, BODY_API, route_consents_read, NULL, 0},
    {"POST", "/api/v1/me/consents", P, ACT_CONSENT_RECORD, BODY_API, route_consents_record, NULL, 0},
    {"POST", "/api/v1/me/suspensions", P, ACT_USE_SUSPEND, BODY_API, route_suspensions, NULL, 0},
    {"GET", "/api/v1/me/provisions", P, ACT_PROVISION_READ, BODY_API, route_provisions, NULL, 0},
    {"GET", "/api/v1/me/app-request", P, ACT_CONSENT_RECORD, BODY_API, route_app_request, NULL, 0},
    {"GET", "/api/v1/me/apps", P, ACT_CONSENT_READ, BODY_API, route_apps, NULL, 0},
    {"POST", "/api/v1/me/apps", P, ACT_CONSENT_RECORD, BODY_API, route_app_decide, NULL, 0},
    {"DELETE", "/api/v1/me/apps/{id}", P, ACT_CONSENT_RECORD, BODY_API, route_app_revoke, NULL, 0},
    {"GET", "/api/v1/me/second-factor", P, ACT_SECOND_FACTOR, BODY_API, route_second_factor_state, NULL, 0},
    {"POST", "/api/v1/me/second-factor", P, ACT_SECOND_FACTOR, BODY_API, route_second_factor_change, NULL, 0},
    {"GET", "/api/v1/me/disclosure", P, ACT_DISCLOSURE, BODY_API, route_disclosure, NULL, 0},
    {"GET", "/api/v1/me/demographics", P, ACT_RECORD_READ, BODY_API, route_demographics, NULL, 0},
    {"PUT", "/api/v1/me/demographics", P, ACT_RECORD_UPDATE, BODY_API, route_demographics_correct, NULL, 0},
    {"GET", "/api/v1/me/export/observations.csv", P, ACT_DISCLOSURE, BODY_API, route_export, "csv", 0},
    {"GET", "/api/v1/me/export/fhir", P, ACT_DISCLOSURE, BODY_API, route_export, "fhir", 0},
    {"GET", "/api/v1/me/export/sphr.zip", P, ACT_DISCLOSURE, BODY_API, route_export, "sphr", 0},
    {"GET", "/api/v1/me/export/record.phr", P, ACT_DISCLOSURE, BODY_API, route_export, "phr", 0},
    {"GET", "/api/v1/me/export/okusuri.txt", P, ACT_DISCLOSURE, BODY_API, route_export_okusuri, NULL, 0},
    {"GET", "/api/v1/me/export/checkup/{day}.json", P, ACT_DISCLOSURE, BODY_API, route_export, "checkup", 0},
    {"GET", "/api/v1/me/export/checkup/{day}.xml", P, ACT_DISCLOSURE, BODY_API, route_export, "cda", 0},
    {"POST", "/api/v1/me/erasures", P, ACT_ERASURE_REQUEST, BODY_API, route_erasure_request, NULL, 0},
    {"POST", "/api/v1/me/erasures/{id}/confirm", P, ACT_ERASURE_EXECUTE, BODY_API, route_erasure_confirm, NULL, 0},
    {"POST", "/api/v1/imports", P, ACT_RECORD_CREATE, BODY_DOCUMENT, route_import, NULL, 0},
    {"GET", "/api/v1/me/documents/{id}", P, ACT_RECORD_READ, BODY_API, route_document, NULL, 0},
    {"GET", "/api/v1/me/documents/{id}/original", P, ACT_RECORD_READ, BODY_API, route_document, "original", 0},

    /* Staff: the gate decides their roles; a handler's reads go through
     * the records routes under a reason. */
    {"POST", "/api/v1/staff/reasons", S, ACT_REASON_OPEN, BODY_API, route_staff_reason, NULL, 0},
    {"GET", "/api/v1/staff/accounts", S, ACT_STAFF_MANAGE, BODY_API, route_staff_accounts, NULL, ROUTE_GATED},
    {"POST", "/api/v1/staff/accounts", S, ACT_STAFF_MANAGE, BODY_API, route_staff_account_change, NULL, ROUTE_GATED},
    {"GET", "/api/v1/staff/recipients", S, ACT_RECIPIENT_READ, BODY_API, route_staff_recipients, NULL, ROUTE_GATED},
    {"POST", "/api/v1/staff/anonymised", S, ACT_ANONYMISE, BODY_DOCUMENT, route_staff_anonymised_make, NULL, ROUTE_GATED},
    {"GET", "/api/v1/staff/anonymised/{name}", S, ACT_ANONYMISE_METHOD, BODY_API, route_staff_anonymised_method, NULL,
     ROUTE_GATED},
    {"GET", "/api/v1/staff/anonymised/{name}/table", S, ACT_ANONYMISE_TABLE, BODY_API, route_staff_anonymised_table,
     NULL, ROUTE_GATED},
    {"POST", "/api/v1/staff/anonymised/{name}/provisions", S, ACT_ANONYMISE, BODY_API, route_staff_anonymised_provide,
     NULL, ROUTE_GATED},
    {"POST", "/api/v1/staff/recipients", S, ACT_RECIPIENT_MANAGE, BODY_API, route_staff_recipient_change, NULL,
     ROUTE_GATED},
    {"POST", "/api/v1/staff/policies", S, ACT_POLICY_PUBLISH, BODY_DOCUMENT, route_staff_policies, NULL, ROUTE_GATED},
    {"GET", "/api/v1/audit", S, ACT_AUDIT_READ, BODY_API, route_audit, NULL, ROUTE_GATED},
    {"GET", "/api/v1/audit/verify", S, ACT_AUDIT_READ, BODY_API, route_audit_verify, NULL, ROUTE_GATED},

    /* FHIR. */
    RECORD_READS("Observation"),
    {"POST", "/fhir/Observation", P | R, ACT_RECORD_CREATE, BODY_FHIR, route_fhir_create, "Observation", 0},
    {"GET", "/fhir", IN, ACT_RECORD_SEARCH, BODY_FHIR, route_fhir_search_all, NULL, 0},
    {"GET", "/fhir/", IN, ACT_RECORD_SEARCH, BODY_FHIR, route_fhir_search_all, NULL, 0},
    {"POST", "/fhir", P | R, ACT_RECORD_CREATE, BODY_FHIR, route_fhir_bundle, "Observation", 0},
    {"POST", "/fhir/", P | R, ACT_RECORD_CREATE, BODY_FHIR, route_fhir_bundle, "Observation", 0},
    {"PUT", "/fhir/Observation/{id}", P, ACT_RECORD_UPDATE, BODY_FHIR, route_fhir_update, "Observation", 0},
    {"PUT", "/fhir/Observation", P, ACT_RECORD_UPDATE, BODY_FHIR, route_fhir_conditional_update, "Observation", 0},
    RECORD_READS("AllergyIntolerance"),
    RECORD_READS("MedicationRequest"),
    RECORD_READS("MedicationDispense"),
    RECORD_READS("MedicationStatement"),
    RECORD_READS("Immunization"),
    RECORD_READS("DocumentReference"),
    /* A document's file, as a Bulk export's DocumentReference names it. */
    {"GET", "/fhir/Binary/{id}", IN, ACT_RECORD_READ, BODY_FHIR, route_document, "original", 0},
    {"GET", "/fhir/Consent", IN, ACT_CONSENT_READ, BODY_FHIR, route_fhir_consents, NULL, 0},
    {"GET", "/fhir/Provenance", IN, ACT_PROVISION_READ, BODY_FHIR, route_fhir_provenance, NULL, 0},
    {"GET", "/fhir/AuditEvent", IN, ACT_ACCESS_LOG_READ, BODY_FHIR, route_fhir_audit_events, NULL, 0},
    {"GET", "/fhir/Patient/{id}", P | R, ACT_RECORD_READ, BODY_FHIR, route_fhir_patient, NULL, 0},
    {"GET", "/fhir/Patient", P | R, ACT_RECORD_READ, BODY_FHIR, route_fhir_patient_search, NULL, 0},
    {"GET", "/fhir/Patient/{id}/$everything", P, ACT_RECORD_SEARCH, BODY_FHIR, route_fhir_everything, NULL, 0},
    {"GET", "/fhir/Patient/{id}/$sphr", R, ACT_RECORD_SEARCH, BODY_FHIR, route_fhir_sphr, NULL, 0},
    {"GET", "/fhir/Patient/{id}/$phr-export", P | R, ACT_RECORD_SEARCH, BODY_FHIR, route_fhir_phr_export, NULL, 0},
    {"GET", "/fhir/$export", R, ACT_BULK_EXPORT, BODY_FHIR, route_bulk_kickoff, NULL, 0},
    {"POST", "/fhir/$export", R, ACT_BULK_EXPORT, BODY_FHIR, route_bulk_kickoff, NULL, 0},
    {"GET", "/fhir/Patient/$export", R, ACT_BULK_EXPORT, BODY_FHIR, route_bulk_kickoff, "patient", 0},
    {"POST", "/fhir/Patient/$export", R, ACT_BULK_EXPORT, BODY_FHIR, route_bulk_kickoff, "patient", 0},
    {"GET", "/fhir/Group/{id}/$export", R, ACT_BULK_EXPORT, BODY_FHIR, route_bulk_kickoff, "group", 0},
    {"POST", "/fhir/Group/{id}/$export", R, ACT_BULK_EXPORT, BODY_FHIR, route_bulk_kickoff, "group", 0},
    {"GET", "/fhir/$export-status/{id}", R, ACT_BULK_EXPORT, BODY_FHIR, route_bulk_status, NULL, 0},
    {"DELETE", "/fhir/$export-status/{id}", R, ACT_BULK_EXPORT, BODY_FHIR, route_bulk_cancel, NULL, 0},
    {"GET", "/fhir/$export-file/{id}/{type}.ndjson", R, ACT_BULK_EXPORT, BODY_FHIR, route_bulk_file, NULL, 0},
};

/* Whether segment [s, s+n) matches template segment [t, t+m), copying a
 * parameter into param. */
static int segment(const char *t, size_t m, const char *s, size_t n, char *param, int *took)
{
    *took = 0;
    if (m == 0 || t[0] != '{')
        return m == n && !memcmp(t, s, n);
    const char *close = memchr(t, '}', m);
    size_t tail = (size_t)(t + m - close - 1);
    if (n <= tail || n - tail > ROUTE_PARAM_MAX || memcmp(close + 1, s + n - tail, tail))
        return 0;
    memcpy(param, s, n - tail);
    param[n - tail] = '\0';
    *took = 1;
    return 1;
}

/* The number of parameters taken if path matches tpl, else -1. */
static int path_matches(const char *tpl, const char *path, char params[ROUTE_PARAMS][ROUTE_PARAM_MAX + 1])
{
    int np = 0;
    while (*tpl && *path) {
        if (*tpl != '/' || *path != '/')
            return -1;
        tpl++;
        path++;
        size_t m = strcspn(tpl, "/"), n = strcspn(path, "/");
        int took;
        if (np == ROUTE_PARAMS || !segment(tpl, m, path, n, params[np], &took))
            return -1;
        np += took;
        tpl += m;
        path += n;
    }
    return !*tpl && !*path ? np : -1;
}

const struct route *router_match(const char *method, const char *path, char params[ROUTE_PARAMS][ROUTE_PARAM_MAX + 1],
                                 char *allow, size_t allow_cap)
{
    /* HEAD is GET without the body (libmicrohttpd drops it). */
    const char *m = !strcmp(method, "HEAD") ? "GET" : method;
    const struct route *best = NULL;
    int best_np = ROUTE_PARAMS + 1;
    size_t best_len = 0;
    size_t len = 0;
    allow[0] = '\0';
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        char got[ROUTE_PARAMS][ROUTE_PARAM_MAX + 1] = {{0}};
        int np = path_matches(routes[i].path, path, got);
        if (np < 0)
            continue;
        /* The most literal route wins: /fhir/Patient/$export over
         * /fhir/Patient/{id}, /checksheet/{id}.json over /checksheet/{id}. */
        size_t tlen = strlen(routes[i].path);
        if (!strcmp(routes[i].method, m) && (np < best_np || (np == best_np && tlen > best_len))) {
            best = &routes[i];
            best_np = np;
            best_len = tlen;
            memcpy(params, got, sizeof got);
        }
        if (!strstr(allow, routes[i].method) && len < allow_cap)
            len += (size_t)snprintf(allow + len, allow_cap - len, "%s%s", len ? ", " : "", routes[i].method);
    }
    return best;
}

static unsigned caller_of(const struct request *r)
{
    switch (r->actor.kind) {
    case ACTOR_PERSON: return CALLER_PERSON;
    case ACTOR_STAFF: return CALLER_STAFF;
    case ACTOR_RECIPIENT: return CALLER_RECIPIENT;
    case ACTOR_ANONYMOUS:
    case ACTOR_SYSTEM: break;
    }
    return 0;
}

static void finish_refused(struct request *r)
{
    const struct op_result *res = op_result(r->op);
    if (res->err)
        return req_fault(r, &res->fault);
    if (r->auth_err)
        return req_auth_refused(r, r->auth_err);
    char why[160];
    unsigned c = r->rt->callers;
    snprintf(why, sizeof why, "this is for %s%s%s%s%s", c & P ? "the person whose data it is" : "",
             (c & P) && (c & ~P & IN) ? " or " : "", c & S ? "staff" : "", (c & S) && (c & R) ? " or " : "",
             c & R ? "another provider's client (a recipient, POST /api/v1/token)" : "");
    req_refuse(r, F_FORBIDDEN, "%s", why);
}

/* Records a refusal of an identified caller (reason: why), then answers it. */
static void refuse(struct request *r, const char *reason)
{
    struct op *op;
    struct fault fault;
    if (service_refusal(r->svc, &r->actor, r->rt->act, NULL, reason, &op, &fault) != 0)
        return req_fault(r, &fault);
    req_submit(r, op, finish_refused);
}

/* What a client's token must allow for a route, by the route's action: the
 * resource type is the path's (/fhir/Observation/...), or every type for
 * an operation ($sphr) that gives several. Bulk exports check each type
 * they export (service/bulk.c). Other actions need no scope. */
static const struct {
    enum action act;
    char perm;
} scope_needs[] = {{ACT_RECORD_READ, 'r'}, {ACT_RECORD_HISTORY, 'r'}, {ACT_RECORD_SEARCH, 's'}, {ACT_RECORD_CREATE, 'c'}};

static int scope_need(const struct route *rt, char type[64], char *perm)
{
    *perm = 0;
    for (size_t i = 0; i < sizeof scope_needs / sizeof scope_needs[0]; i++)
        if (scope_needs[i].act == rt->act)
            *perm = scope_needs[i].perm;
    const char *p = rt->path + (strncmp(rt->path, "/fhir/", 6) ? strlen(rt->path) : 6);
    size_t n = strcspn(p, "/");
    snprintf(type, 64, "%.*s", (int)(n < 63 ? n : 63), p);
    if (strchr(rt->path, '$') || !fhir_resource_type(type))
        snprintf(type, 64, "*");
    return *perm != 0;
}

static void finish_scope_refused(struct request *r)
{
    const struct op_result *res = op_result(r->op);
    if (res->err)
        return req_fault(r, &res->fault);
    char type[64], perm, challenge[160];
    scope_need(r->rt, type, &perm);
    snprintf(challenge, sizeof challenge, "Bearer error=\"insufficient_scope\", scope=\"system/%s.%c\"", type, perm);
    req_add_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, challenge);
    req_refuse(r, F_SCOPE_INSUFFICIENT, "the token's scopes (%s) do not allow %s on %s", r->auth.scope,
               perm == 's' ? "search" : "read", type);
}

/* A client's token reaches only what its scopes name; the refusal is on
 * the record like any other. */
static int scope_refused(struct request *r)
{
    char type[64], perm;
    if (r->actor.kind != ACTOR_RECIPIENT || !scope_need(r->rt, type, &perm) || scopes_allow(r->actor.scope, type, perm))
        return 0;
    struct op *op;
    struct fault fault;
    if (service_refusal(r->svc, &r->actor, r->rt->act, NULL, "scope", &op, &fault) != 0)
        req_fault(r, &fault);
    else
        req_submit(r, op, finish_scope_refused);
    return 1;
}

static void not_routed(struct request *r)
{
    int fhir = !strncmp(r->path, "/fhir/", 6) || !strcmp(r->path, "/fhir");
    if (!r->allow[0]) {
        if (!fhir && strncmp(r->path, "/api/", 5))
            return route_portal(r);
        r->route = fhir ? "/fhir/(unknown)" : "/api/(unknown)";
        return req_refuse(r, F_NO_ROUTE, "%s",
                          fhir ? "this resource type or path is not served" : "no such API endpoint");
    }
    r->route = "(method not allowed)";
    req_add_header(r, MHD_HTTP_HEADER_ALLOW, r->allow);
    /* Deleting a record is refused by design (docs/fhir.md): said so. */
    if (fhir && !strcmp(r->method, "DELETE"))
        return req_refuse(r, F_METHOD_NOT_ALLOWED,
                          "this path accepts %s: a record is corrected (PUT), never deleted, and every version is "
                          "kept (R3.12); to remove your data, ask for its erasure (POST /api/v1/me/erasures)",
                          r->allow);
    req_refuse(r, F_METHOD_NOT_ALLOWED, "this path accepts %s", r->allow);
}

/* FHIR is served as JSON only (R4 §3.1.0.1.3): a _format or an Accept
 * that asks for XML or Turtle and not JSON is answered 406, before anything
 * else, so that a client learns it at its first request. */
static int fhir_format_refused(struct request *r)
{
    const char *format = req_arg(r, "_format"), *accept = req_header(r, MHD_HTTP_HEADER_ACCEPT);
    int bad_format = format && !strstr(format, "json");
    int bad_accept = !format && accept && (strstr(accept, "xml") || strstr(accept, "turtle")) &&
                     !strstr(accept, "json") && !strstr(accept, "*/*");
    if (!bad_format && !bad_accept)
        return 0;
    req_refuse(r, F_NOT_ACCEPTABLE, "only JSON is served: _format=json, or Accept: application/fhir+json");
    return 1;
}

void router_dispatch(struct request *r)
{
    const struct route *rt = r->rt;
    if (!rt)
        return not_routed(r);
    r->route = rt->path;
    if (rt->body == BODY_FHIR && fhir_format_refused(r))
        return;
    if (rt->callers & CALLER_ANYONE)
        return rt->handler(r);
    int auth = req_authenticate(r);
    if (auth != PHR_OK) {
        r->auth_err = auth;
        /* An expired session or a cross-site change still names whose it
         * was: the attempt is on the record. */
        if ((auth == PHR_EPERM || auth == PHR_EINVAL) && r->actor.kind != ACTOR_ANONYMOUS)
            return refuse(r, auth == PHR_EPERM ? "session-expired" : "cross-site");
        return req_auth_refused(r, auth);
    }
    if (!(rt->callers & caller_of(r)))
        return refuse(r, "route");
    if (scope_refused(r))
        return;
    if ((rt->flags & ROUTE_GATED) && gate_decide(&r->actor, rt->act, NULL) == GATE_DENY) {
        struct op *op;
        struct fault fault;
        if (service_deny(r->svc, &r->actor, rt->act, &op, &fault) != 0)
            return req_fault(r, &fault);
        return req_submit(r, op, finish_refused);
    }
    rt->handler(r);
}
