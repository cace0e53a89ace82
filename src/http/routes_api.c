/* /api/v1: what FHIR does not cover. Accounts, the second factor, the
 * public tables; and the portal's files. Errors are RFC 9457
 * problem+json. */
#include <stdio.h>
#include <stdlib.h>
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
    struct fault fault;
    if (!req_is_json(r)) {
        req_refuse(r, F_MEDIA_TYPE, "send application/json");
        return NULL;
    }
    json_object *o = json_parse_strict(r->body.data ? r->body.data : "", r->body.len, &fault);
    if (!o) {
        req_fault(r, &fault);
        return NULL;
    }
    *login = json_object_is_type(o, json_type_object) ? json_get_str(o, "login") : NULL;
    *pw = json_get_str_len(o, "password", pwlen);
    if (!*login || !*pw) {
        json_object_put(o);
        req_refuse(r, F_BAD_REQUEST, "login and password (strings) are required");
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
    struct fault fault;
    int rc = signup ? accounts_signup(r->svc, &r->actor, login, pw, pwlen, &op, &fault)
                    : accounts_login(r->svc, &r->actor, login, pw, pwlen, json_get_str(o, "otp"),
                                     json_get_str(o, "recovery_code"), &op, &fault);
    /* json-c's strings are the secrets in plaintext: wipe before release. */
    json_wipe_str(o, "password");
    json_wipe_str(o, "recovery_code");
    json_object_put(o);
    if (rc != 0) {
        req_fault(r, &fault);
        return;
    }
    req_submit(r, op, signup ? finish_signup : finish_login);
}

/* /api/v1/me/second-factor: GET the state; POST {"action": "begin"} (the
 * answer's totp_uri is shown once), {"action": "confirm", "otp"} (the
 * recovery codes, once), {"action": "off", "password", "otp" or
 * "recovery_code"}. */
void route_second_factor_state(struct request *r)
{
    int err = second_factor_state(r->svc, &r->actor, r->auth.person_id, &r->resp);
    if (err) {
        r->resp.len = 0;
        return req_refuse(r, F_UNAVAILABLE, "the second factor could not be read");
    }
    req_reply(r, 200, JSON_TYPE);
}

void route_second_factor_change(struct request *r)
{
    json_object *o = req_json_object(r);
    if (!o)
        return;
    size_t pwlen;
    const char *pw = json_get_str_len(o, "password", &pwlen);
    struct op *op;
    struct fault fault;
    int rc = second_factor_change(r->svc, &r->actor, r->auth.person_id, json_get_str(o, "action"),
                                  json_get_str(o, "otp"), json_get_str(o, "recovery_code"), pw, pwlen, &op, &fault);
    json_wipe_str(o, "password");
    json_wipe_str(o, "recovery_code");
    json_object_put(o);
    if (rc != 0)
        return req_fault(r, &fault);
    req_submit(r, op, req_finish_ok);
}

/* MHLW's 特定健診 item table, public: what the portal offers for entering
 * results from a paper report. */
void route_checkup_items(struct request *r)
{
    const struct tokutei_item *it;
    int err = buf_puts(&r->resp, "[");
    for (size_t i = 0; !err && (it = tokutei_item_at(i)) != NULL; i++)
        err = buf_puts(&r->resp, i ? ",{\"code\":" : "{\"code\":") || buf_json_str(&r->resp, it->code) ||
              buf_puts(&r->resp, ",\"name\":") || buf_json_str(&r->resp, it->name) ||
              buf_puts(&r->resp, ",\"type\":") || buf_json_str(&r->resp, it->type) ||
              buf_puts(&r->resp, ",\"unit\":") || buf_json_str(&r->resp, it->unit) ||
              buf_puts(&r->resp, ",\"category\":") || buf_json_str(&r->resp, it->category) || buf_puts(&r->resp, "}");
    if (err || buf_puts(&r->resp, "]"))
        return req_refuse(r, F_INTERNAL, "out of memory");
    req_reply(r, 200, JSON_TYPE);
}

void route_health(struct request *r)
{
    buf_puts(&r->resp, "{\"status\":\"ok\",\"version\":\"" PHR_VERSION "\"}");
    req_reply(r, 200, JSON_TYPE);
}

void route_signup(struct request *r)
{
    signup_or_login(r, 1);
}

void route_login(struct request *r)
{
    signup_or_login(r, 0);
}

void route_logout(struct request *r)
{
    struct op *op;
    struct fault fault;
    if (accounts_logout(r->svc, &r->actor, &r->auth, &op, &fault) != 0)
        return req_fault(r, &fault);
    req_submit(r, op, finish_logout);
}

/* Whether the client takes gzip (and did not refuse it with q=0). */
static int takes_gzip(const char *accept)
{
    const char *g = accept ? strstr(accept, "gzip") : NULL;
    if (!g)
        return 0;
    const char *q = strstr(g, "q=");
    return !(q && q < g + strcspn(g, ",") && strtod(q + 2, NULL) == 0);
}

/* Any other path: the portal's files, read with GET: revalidated by their
 * ETag (a 304 costs no body), gzipped for a client that takes it. */
void route_portal(struct request *r)
{
    struct web_file f;
    int found = web_find(r->srv->web, r->path, &f) == 0;
    if (found && strcmp(r->method, "GET") && strcmp(r->method, "HEAD")) {
        r->route = "(portal)";
        return req_refuse(r, F_METHOD_NOT_ALLOWED, "the portal's files are read with GET");
    }
    if (found) {
        r->route = "(portal)";
        r->cacheable = 1;
        req_add_header(r, "ETag", f.etag);
        req_add_header(r, "Vary", "Accept-Encoding");
        const char *known = req_header(r, "If-None-Match");
        if (known && strstr(known, f.etag))
            return req_reply(r, 304, NULL);
        int gz = f.gz && takes_gzip(req_header(r, "Accept-Encoding"));
        if (gz)
            req_add_header(r, "Content-Encoding", "gzip");
        if (buf_append(&r->resp, gz ? f.gz : f.body, gz ? f.gz_len : f.len))
            return req_refuse(r, F_INTERNAL, "out of memory");
        return req_reply(r, 200, f.ctype);
    }
    r->route = "(not found)";
    buf_puts(&r->resp, "<!doctype html><html lang=\"ja\"><meta charset=\"utf-8\"><title>404</title>"
                       "<p>ページが見つかりません / Not found</p><p><a href=\"/\">PHR</a></p></html>\n");
    req_reply(r, 404, "text/html; charset=utf-8");
}
