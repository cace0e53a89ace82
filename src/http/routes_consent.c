/* /api/v1/policies and /api/v1/token (public), and the signed-in person's
 * consent endpoints: /api/v1/me/consents, /api/v1/me/suspensions and
 * /api/v1/me/provisions (R3.1-R3.3, R3.6, R3.7, R3.9). */
#include <string.h>
#include <json-c/json.h>

#include "formats/json.h"
#include "http/internal.h"
#include "util/err.h"

/* The channel a decision came through, kept in the ledger: the portal
 * signs in with the session cookie, API clients send a bearer token. */
static const char *channel(struct request *r)
{
    return req_header(r, MHD_HTTP_HEADER_AUTHORIZATION) ? "api" : "portal";
}

void route_policies(struct request *r)
{
    if (policy_current(r->svc, &r->resp) != PHR_OK) {
        r->resp.len = 0;
        return req_refuse(r, F_UNAVAILABLE, "the policies could not be read");
    }
    req_reply(r, 200, "application/json; charset=utf-8");
}

void route_consents_record(struct request *r)
{
    if (!req_is_json(r))
        return req_refuse(r, F_MEDIA_TYPE, "send application/json");
    struct consent_request req;
    struct fault fault;
    struct op *op;
    if (consent_request_parse(buf_cstr(&r->body), r->body.len, &req, &fault) != 0 ||
        consent_record(r->svc, &r->actor, r->auth.person_id, &req, channel(r), NULL, &op, &fault) != 0)
        return req_fault(r, &fault);
    req_submit(r, op, req_finish_created);
}

void route_suspensions(struct request *r)
{
    json_object *o = req_json_object(r);
    if (!o)
        return;
    struct fault fault;
    const char *purpose = json_get_str(o, "purpose");
    const char *action = json_get_str(o, "action");
    if (!purpose || !action || (strcmp(action, "suspend") && strcmp(action, "lift"))) {
        json_object_put(o);
        return req_refuse(r, F_INVALID_VALUE,
                          "send {\"purpose\": a purpose code or \"*\", \"action\": \"suspend\" or \"lift\"}");
    }
    struct op *op;
    int rc = use_suspend(r->svc, &r->actor, r->auth.person_id, purpose, strcmp(action, "lift") == 0, channel(r), NULL,
                         &op, &fault);
    json_object_put(o);
    if (rc != 0)
        return req_fault(r, &fault);
    req_submit(r, op, req_finish_no_content);
}

/* /api/v1/policies/{kind}/versions: earlier versions stay readable. */
void route_policy_versions(struct request *r)
{
    struct fault fault;
    if (policy_versions(r->svc, r->param[0], &r->resp, &fault))
        return req_fault(r, &fault);
    req_reply(r, 200, "application/json; charset=utf-8");
}

void route_provisions(struct request *r)
{
    struct op *op;
    struct fault fault;
    if (provisions_read(r->svc, &r->actor, r->auth.person_id, 0, NULL, &op, &fault) != 0)
        return req_fault(r, &fault);
    req_submit(r, op, req_finish_ok);
}

void route_consents_read(struct request *r)
{
    struct op *op;
    struct fault fault;
    if (consent_read(r->svc, &r->actor, r->auth.person_id, 0, NULL, &op, &fault) != 0)
        return req_fault(r, &fault);
    req_submit(r, op, req_finish_ok);
}
