/* /api/v1/staff/accounts, /recipients and /policies: the information-asset
 * manager's work — staff accounts, outside organisations with their groups
 * and agreements (R2.7), and the policy documents and purposes of use with
 * each change marked material or minor (R3.1, R3.5). The router refuses
 * (and records) anyone else before the body is read. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <json-c/json.h>

#include "formats/fhirtime.h"
#include "formats/json.h"
#include "formats/policy.h"
#include "http/internal.h"

void route_staff_accounts(struct request *r)
{
    struct fault fault;
    if (staff_list(r->svc, &r->actor, &r->resp, &fault))
        return req_fault(r, &fault);
    req_reply(r, 200, "application/json; charset=utf-8");
}

/* Add (the answer holds the first password, TOTP URI and recovery codes,
 * once), disable, enable, change a role. */
void route_staff_account_change(struct request *r)
{
    json_object *o = req_json_object(r);
    if (!o)
        return;
    const char *action = json_get_str(o, "action");
    struct op *op;
    struct fault fault;
    int add = action && !strcmp(action, "add");
    int rc =
        add ? staff_add(r->svc, &r->actor, json_get_str(o, "login"), json_get_str(o, "role"), &op, &fault)
            : staff_change(r->svc, &r->actor, json_get_str(o, "login"), action, json_get_str(o, "role"), &op, &fault);
    json_object_put(o);
    if (rc != 0)
        return req_fault(r, &fault);
    req_submit(r, op, add ? req_finish_created : req_finish_no_content);
}

void route_staff_recipients(struct request *r)
{
    struct fault fault;
    if (recipient_list(r->svc, &r->actor, &r->resp, &fault))
        return req_fault(r, &fault);
    req_reply(r, 200, "application/json; charset=utf-8");
}

/* A day or time in Japan time (2026-11-24): its start in ms, 0 when
 * absent, -1 after answering 422. */
static int64_t day_field(struct request *r, json_object *o, const char *key)
{
    const char *s = json_get_str(o, key);
    int64_t lo, hi;
    if (!s)
        return 0;
    if (fhirtime_parse(s, FHIRTIME_SEARCH, 9 * 60, &lo, &hi) || lo <= 0) {
        req_refuse(r, F_INVALID_VALUE, "%s: a date such as 2026-11-24 is expected", key);
        return -1;
    }
    return lo;
}

/* {"action": "add" | "group" | "join" | "leave" | "agreement" | "keys" |
 * "scopes" | "app", ...}: the same changes as the operator's `phr recipient` ("keys":
 * a "jwks" object, or null to remove the keys, or a "jwks_uri"; "scopes": the system scopes,
 * or null for the default; "app": "redirect_uris",
 * "origins" and "scopes", space-separated, and "public"). */
void route_staff_recipient_change(struct request *r)
{
    json_object *o = req_json_object(r);
    if (!o)
        return;
    const char *action = json_get_str(o, "action");
    if (!action)
        action = "";
    struct op *op = NULL;
    struct fault fault;
    int rc = -1, created = 0;
    if (!strcmp(action, "add")) {
        rc = recipient_add(r->svc, &r->actor, json_get_str(o, "kind"), json_get_str(o, "name"),
                           json_get_str(o, "address"), json_get_str(o, "country"), json_get_str(o, "contact"), &op,
                           &fault);
        created = 1;
    } else if (!strcmp(action, "group")) {
        rc = recipient_group_add(r->svc, &r->actor, json_get_str(o, "group"), json_get_str(o, "name"), &op, &fault);
        created = 1;
    } else if (!strcmp(action, "join") || !strcmp(action, "leave")) {
        rc = recipient_group_change(r->svc, &r->actor, json_get_str(o, "group"), json_get_str(o, "recipient"),
                                    !strcmp(action, "leave"), &op, &fault);
    } else if (!strcmp(action, "agreement")) {
        int64_t signed_on = day_field(r, o, "signed"), expires = signed_on < 0 ? 0 : day_field(r, o, "cert_expires");
        json_object *ended;
        if (signed_on < 0 || expires < 0) {
            json_object_put(o);
            return;
        }
        int is_ended = json_object_object_get_ex(o, "ended", &ended) && json_object_get_boolean(ended);
        rc = recipient_agreement(r->svc, &r->actor, json_get_str(o, "recipient"), signed_on, json_get_str(o, "version"),
                                 json_get_str(o, "certification"), expires, is_ended, &op, &fault);
    } else if (!strcmp(action, "keys")) {
        json_object *jwks = NULL;
        int given = json_object_object_get_ex(o, "jwks", &jwks);
        const char *url = json_get_str(o, "jwks_uri");
        rc = recipient_keys(r->svc, &r->actor, json_get_str(o, "recipient"),
                            given ? (jwks ? json_object_to_json_string_ext(jwks, JSON_C_TO_STRING_PLAIN) : NULL)
                                  : url ? NULL : "",
                            url, &op, &fault);
    } else if (!strcmp(action, "scopes")) {
        rc = recipient_scopes(r->svc, &r->actor, json_get_str(o, "recipient"), json_get_str(o, "scopes"), &op, &fault);
    } else if (!strcmp(action, "app")) {
        json_object *pub = NULL;
        int is_public = json_object_object_get_ex(o, "public", &pub) && json_object_get_boolean(pub);
        rc = app_register(r->svc, &r->actor, json_get_str(o, "recipient"), is_public, json_get_str(o, "redirect_uris"),
                          json_get_str(o, "origins"), json_get_str(o, "scopes"), &op, &fault);
    } else {
        fault_set(&fault, F_INVALID_VALUE, "action", "action is add, group, join, leave, agreement, keys, scopes or app");
    }
    json_object_put(o);
    if (rc != 0)
        return req_fault(r, &fault);
    req_submit(r, op, created ? req_finish_created : req_finish_no_content);
}

/* The body is a manifest like policies/policy.json with each document's
 * text inline as "body"; ?dry_run=true answers what would change and
 * writes nothing. */
void route_staff_policies(struct request *r)
{
    const char *dry = req_arg(r, "dry_run");
    if (dry && strcmp(dry, "true") && strcmp(dry, "false"))
        return req_refuse(r, F_BAD_REQUEST, "dry_run is true or false");
    if (!req_is_json(r))
        return req_refuse(r, F_MEDIA_TYPE, "send application/json");
    struct policy_set set;
    struct fault fault;
    if (policy_parse(buf_cstr(&r->body), r->body.len, POLICY_TEXTS_INLINE, &set, &fault) != 0)
        return req_fault(r, &fault);
    struct op *op;
    if (policy_publish(r->svc, &r->actor, &set, dry && !strcmp(dry, "true"), &op, &fault) != 0)
        return req_fault(r, &fault);
    req_submit(r, op, req_finish_ok);
}
