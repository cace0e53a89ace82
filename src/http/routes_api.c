/* /api/v1: what FHIR does not cover. Accounts here; more use cases join as
 * they are built. Errors are RFC 9457 problem+json. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <json-c/json.h>

#include "formats/json.h"
#include "formats/tokutei_items.h"
#include "http/internal.h"
#include "http/web.h"
#include "util/err.h"

#define JSON_TYPE "application/json; charset=utf-8"

/* Reads {"login": "...", "password": "..."}. */
static json_object *credentials(struct request *r, const char **login, const char **pw, size_t *pwlen)
{
    struct issue is;
    if (!req_is_json(r)) {
        req_problem(r, 415, "Unsupported Media Type", "send application/json");
        return NULL;
    }
    json_object *o = json_parse_strict(r->body.data ? r->body.data : "", r->body.len, &is);
    if (!o) {
        req_problem_issue(r, &is);
        return NULL;
    }
    *login = json_object_is_type(o, json_type_object) ? json_get_str(o, "login") : NULL;
    *pw = json_get_str_len(o, "password", pwlen);
    if (!*login || !*pw) {
        json_object_put(o);
        req_problem(r, 400, "Bad Request", "login and password (strings) are required");
        return NULL;
    }
    return o;
}

static void finish_signup(struct request *r)
{
    req_answer_json(r, 201);
}

static void finish_login(struct request *r)
{
    req_finish_session(r, service_config(r->svc)->session_max_ms);
}

static void finish_logout(struct request *r)
{
    req_finish_session(r, 0);
}

static void signup_or_login(struct request *r, int signup)
{
    const char *login, *pw;
    size_t pwlen = 0;
    json_object *o = credentials(r, &login, &pw, &pwlen);
    if (!o)
        return;
    struct op *op;
    struct issue is;
    int rc = signup ? accounts_signup(r->svc, &r->actor, login, pw, pwlen, &op, &is)
                    : accounts_login(r->svc, &r->actor, login, pw, pwlen, json_get_str(o, "otp"),
                                     json_get_str(o, "recovery_code"), &op, &is);
    /* json-c's strings are the secrets in plaintext: wipe before release. */
    json_wipe_str(o, "password");
    json_wipe_str(o, "recovery_code");
    json_object_put(o);
    if (rc != 0) {
        req_problem_issue(r, &is);
        return;
    }
    req_submit(r, op, signup ? finish_signup : finish_login);
}

/* /api/v1/me/second-factor, the person already authenticated: GET the
 * state; POST {"action": "begin"} (the answer's totp_uri is shown once),
 * {"action": "confirm", "otp"} (the recovery codes, once), {"action":
 * "off", "password", "otp" or "recovery_code"}. */
void routes_second_factor(struct request *r)
{
    r->route = "/api/v1/me/second-factor";
    if (!strcmp(r->method, "GET")) {
        int err = second_factor_state(r->svc, &r->actor, r->auth.person_id, &r->resp);
        if (err) {
            r->resp.len = 0;
            return req_problem(r, 503, "Service Unavailable", "the second factor could not be read");
        }
        return req_reply(r, 200, JSON_TYPE);
    }
    if (strcmp(r->method, "POST"))
        return req_problem(r, 405, "Method Not Allowed", "GET the state, POST a change");
    json_object *o = req_json_object(r);
    if (!o)
        return;
    size_t pwlen;
    const char *pw = json_get_str_len(o, "password", &pwlen);
    struct op *op;
    struct issue is;
    int rc = second_factor_change(r->svc, &r->actor, r->auth.person_id, json_get_str(o, "action"),
                                  json_get_str(o, "otp"), json_get_str(o, "recovery_code"), pw, pwlen, &op, &is);
    json_wipe_str(o, "password");
    json_wipe_str(o, "recovery_code");
    json_object_put(o);
    if (rc != 0)
        return req_problem_issue(r, &is);
    req_submit(r, op, req_finish_ok);
}

/* MHLW's 特定健診 item table, public: what the portal offers for entering
 * results from a paper report. */
static void checkup_items(struct request *r)
{
    const struct tokutei_item *it;
    int err = buf_puts(&r->resp, "[");
    for (size_t i = 0; !err && (it = tokutei_item_at(i)) != NULL; i++)
        err = buf_puts(&r->resp, i ? ",{\"code\":" : "{\"code\":") || buf_json_str(&r->resp, it->code) ||
              buf_puts(&r->resp, ",\"name\":") || buf_json_str(&r->resp, it->name) ||
              buf_puts(&r->resp, ",\"type\":") || buf_json_str(&r->resp, it->type) ||
              buf_puts(&r->resp, ",\"unit\":") || buf_json_str(&r->resp, it->unit) || buf_puts(&r->resp, "}");
    if (err || buf_puts(&r->resp, "]"))
        return req_problem(r, 500, "Internal Server Error", "out of memory");
    req_reply(r, 200, JSON_TYPE);
}

static void health(struct request *r)
{
    buf_puts(&r->resp, "{\"status\":\"ok\",\"version\":\"" PHR_VERSION "\"}");
    req_reply(r, 200, JSON_TYPE);
}

void routes_api(struct request *r)
{
    const char *p = r->path, *m = r->method;
    int get = strcmp(m, "GET") == 0, post = strcmp(m, "POST") == 0;

    if (strcmp(p, "/api/v1/health") == 0) {
        r->route = "/api/v1/health";
        if (get)
            return health(r);
    } else if (strcmp(p, "/api/v1/checkup-items") == 0) {
        r->route = "/api/v1/checkup-items";
        if (get)
            return checkup_items(r);
    } else if (strcmp(p, "/api/v1/signup") == 0) {
        r->route = "/api/v1/signup";
        if (post)
            return signup_or_login(r, 1);
    } else if (strcmp(p, "/api/v1/login") == 0) {
        r->route = "/api/v1/login";
        if (post)
            return signup_or_login(r, 0);
    } else if (strcmp(p, "/api/v1/logout") == 0) {
        r->route = "/api/v1/logout";
        if (post) {
            int auth = req_authenticate(r);
            if (auth != PHR_OK)
                return req_auth_refused(r, auth);
            if (!r->auth.person_id[0])
                return req_problem(r, 403, "Forbidden", "a client token is not a session; it expires by itself");
            struct op *op;
            struct issue is;
            if (accounts_logout(r->svc, &r->actor, &r->auth, &op, &is) != 0)
                return req_problem_issue(r, &is);
            return req_submit(r, op, finish_logout);
        }
    } else if (strcmp(p, "/api/v1/imports") == 0 || strncmp(p, "/api/v1/me/documents/", 21) == 0) {
        return routes_imports(r);
    } else if (strncmp(p, "/api/v1/staff/", 14) == 0 || strcmp(p, "/api/v1/audit") == 0 || strcmp(p, "/api/v1/audit/verify") == 0) {
        return routes_staff(r);
    } else if (strcmp(p, "/api/v1/policies") == 0 || strncmp(p, "/api/v1/policies/", 17) == 0 || strcmp(p, "/api/v1/token") == 0 ||
               strncmp(p, "/api/v1/me/", 11) == 0) {
        return routes_consent(r);
    } else {
        r->route = "/api/(unknown)";
        return req_problem(r, 404, "Not Found", "no such API endpoint");
    }
    req_problem(r, 405, "Method Not Allowed", "this endpoint does not accept that method");
}

void routes_root(struct request *r)
{
    if (routes_public(r))
        return;
    size_t len;
    const char *ctype;
    const char *body = web_file(r->srv->web, r->path, &len, &ctype);
    if (body && strcmp(r->method, "GET") && strcmp(r->method, "HEAD")) {
        r->route = "(portal)";
        return req_problem(r, 405, "Method Not Allowed", "the portal's files are read with GET");
    }
    if (body) {
        r->route = "(portal)";
        if (buf_append(&r->resp, body, len))
            return req_problem(r, 500, "Internal Server Error", "out of memory");
        return req_reply(r, 200, ctype);
    }
    r->route = "(not found)";
    buf_puts(&r->resp, "<!doctype html><html lang=\"ja\"><meta charset=\"utf-8\"><title>404</title>"
                       "<p>ページが見つかりません / Not found</p><p><a href=\"/\">PHR</a></p></html>\n");
    req_reply(r, 404, "text/html; charset=utf-8");
}
