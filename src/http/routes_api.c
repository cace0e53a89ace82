/* /api/v1: what FHIR does not cover. Accounts here; more use cases join as
 * they are built. Errors are RFC 9457 problem+json. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <json-c/json.h>

#include "formats/json.h"
#include "http/internal.h"
#include "util/err.h"

#define JSON_TYPE "application/json; charset=utf-8"
#define SESSION_COOKIE "phr_session"

static int is_json(struct request *r)
{
    const char *ct = req_header(r, MHD_HTTP_HEADER_CONTENT_TYPE);
    return ct && strncasecmp(ct, "application/json", 16) == 0;
}

static void problem_from_issue(struct request *r, const struct issue *is)
{
    static const struct { int status; const char *title; } titles[] = {
        {400, "Bad Request"}, {401, "Unauthorized"}, {403, "Forbidden"}, {404, "Not Found"},
        {409, "Conflict"}, {413, "Content Too Large"}, {415, "Unsupported Media Type"},
        {429, "Too Many Requests"}, {500, "Internal Server Error"}, {503, "Service Unavailable"},
    };
    const char *title = "Error";
    for (size_t i = 0; i < sizeof titles / sizeof titles[0]; i++)
        if (titles[i].status == is->status)
            title = titles[i].title;
    req_problem(r, is->status, title, is->diagnostics);
}

/* Reads {"login": "...", "password": "..."}. */
static json_object *credentials(struct request *r, const char **login, const char **pw, size_t *pwlen)
{
    struct issue is;
    if (!is_json(r)) {
        req_problem(r, 415, "Unsupported Media Type", "send application/json");
        return NULL;
    }
    json_object *o = json_parse_strict(r->body.data ? r->body.data : "", r->body.len, &is);
    if (!o) {
        problem_from_issue(r, &is);
        return NULL;
    }
    json_object *pv;
    *login = json_object_is_type(o, json_type_object) ? json_get_str(o, "login") : NULL;
    *pw = NULL;
    if (json_object_is_type(o, json_type_object) && json_object_object_get_ex(o, "password", &pv) &&
        json_object_is_type(pv, json_type_string)) {
        *pw = json_object_get_string(pv);
        *pwlen = (size_t)json_object_get_string_len(pv);
    }
    if (!*login || !*pw) {
        json_object_put(o);
        req_problem(r, 400, "Bad Request", "login and password (strings) are required");
        return NULL;
    }
    return o;
}

static void finish_plain(struct request *r, int ok_status)
{
    const struct op_result *res = op_result(r->op);
    if (res->err) {
        if (res->retry_after_s > 0) {
            char s[24];
            snprintf(s, sizeof s, "%lld", (long long)res->retry_after_s);
            req_add_header(r, "Retry-After", s);
        }
        problem_from_issue(r, &res->issue);
        return;
    }
    if (op_render(r->op, &r->resp) != PHR_OK) {
        req_problem(r, 500, "Internal Server Error", "the answer could not be written");
        return;
    }
    req_reply(r, ok_status, r->resp.len ? JSON_TYPE : NULL);
}

static void finish_signup(struct request *r)
{
    finish_plain(r, 201);
}

static void finish_login(struct request *r)
{
    const struct op_result *res = op_result(r->op);
    if (!res->err) {
        struct buf c;
        buf_init(&c);
        long max_age = (long)(service_config(r->svc)->session_max_ms / 1000);
        if (buf_printf(&c, SESSION_COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%ld%s", res->token,
                       max_age, req_is_tls(r) ? "; Secure" : "") == 0)
            req_add_header(r, MHD_HTTP_HEADER_SET_COOKIE, c.data);
        buf_wipe(&c);
    }
    finish_plain(r, 200);
}

static void finish_logout(struct request *r)
{
    req_add_header(r, MHD_HTTP_HEADER_SET_COOKIE, SESSION_COOKIE "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    finish_plain(r, 204);
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
                    : accounts_login(r->svc, &r->actor, login, pw, pwlen, &op, &is);
    /* json-c's string is the password in plaintext: wipe before release. */
    explicit_bzero((char *)pw, pwlen);
    json_object_put(o);
    if (rc != 0) {
        problem_from_issue(r, &is);
        return;
    }
    req_submit(r, op, signup ? finish_signup : finish_login);
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
            if (req_authenticate(r) != PHR_OK)
                return req_problem(r, 401, "Unauthorized", "not signed in");
            struct op *op;
            struct issue is;
            if (accounts_logout(r->svc, &r->actor, &r->auth, &op, &is) != 0)
                return problem_from_issue(r, &is);
            return req_submit(r, op, finish_logout);
        }
    } else {
        r->route = "/api/(unknown)";
        return req_problem(r, 404, "Not Found", "no such API endpoint");
    }
    req_problem(r, 405, "Method Not Allowed", "this endpoint does not accept that method");
}

void routes_root(struct request *r)
{
    if (strcmp(r->path, "/") != 0) {
        r->route = "(not found)";
        buf_puts(&r->resp, "<!doctype html><html lang=\"ja\"><meta charset=\"utf-8\"><title>404</title>"
                           "<p>ページが見つかりません / Not found</p></html>\n");
        return req_reply(r, 404, "text/html; charset=utf-8");
    }
    r->route = "/";
    buf_puts(&r->resp,
             "<!doctype html>\n<html lang=\"ja\">\n<head><meta charset=\"utf-8\">"
             "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
             "<title>PHR サービス</title></head>\n<body>\n"
             "<h1>PHR サービスは稼働中です</h1>\n"
             "<p lang=\"en\">The PHR service is running.</p>\n"
             "<ul><li>FHIR API: <a href=\"/fhir/metadata\">/fhir/metadata</a></li>"
             "<li>Health: <a href=\"/api/v1/health\">/api/v1/health</a></li></ul>\n"
             "<p>version " PHR_VERSION "</p>\n</body>\n</html>\n");
    req_reply(r, 200, "text/html; charset=utf-8");
}
