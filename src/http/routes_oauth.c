/* OAuth as clients expect it: the token endpoint (RFC 6749 form bodies,
 * client_secret_basic or _post, private_key_jwt; errors as RFC 6749 §5.2
 * JSON) and SMART's discovery document. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sodium.h>

#include "formats/form.h"
#include "http/internal.h"
#include "util/err.h"

/* The error names of RFC 6749 §5.2 for the faults the token endpoint
 * answers with; anything else a client got wrong is invalid_request. */
static const struct {
    enum fault_code code;
    const char *error;
} oauth_errors[] = {
    {F_CLIENT_INVALID, "invalid_client"},         {F_ASSERTION_INVALID, "invalid_client"},
    {F_ASSERTION_REPLAYED, "invalid_client"},     {F_GRANT_UNSUPPORTED, "unsupported_grant_type"},
    {F_SCOPE_INVALID, "invalid_scope"},           {F_GRANT_INVALID, "invalid_grant"},
};

/* An OAuth error: 401 for a client not authenticated, 400 otherwise; a
 * fault of the service's own (5xx, throttling) is answered as anywhere. */
static void oauth_fault(struct request *r, const struct fault *f)
{
    int status = fault_status(f->code);
    if (status >= 500 || status == 429)
        return req_fault(r, f);
    const char *error = "invalid_request";
    for (size_t i = 0; i < sizeof oauth_errors / sizeof oauth_errors[0]; i++)
        if (oauth_errors[i].code == f->code)
            error = oauth_errors[i].error;
    int unauthenticated = !strcmp(error, "invalid_client");
    if (unauthenticated)
        req_add_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Basic realm=\"phr\"");
    buf_reset(&r->resp);
    buf_puts(&r->resp, "{\"error\":\"");
    buf_puts(&r->resp, error);
    buf_puts(&r->resp, "\",\"error_description\":");
    buf_json_str(&r->resp, f->detail[0] ? f->detail : fault_def(f->code)->title_en);
    buf_puts(&r->resp, ",\"phr_code\":");
    buf_json_str(&r->resp, fault_def(f->code)->name);
    buf_puts(&r->resp, "}");
    req_reply(r, unauthenticated ? 401 : 400, "application/json; charset=utf-8");
}

static void oauth_refuse(struct request *r, enum fault_code code, const char *detail)
{
    struct fault f = {.code = code};
    snprintf(f.detail, sizeof f.detail, "%s", detail);
    oauth_fault(r, &f);
}

static void finish_token(struct request *r)
{
    const struct op_result *res = op_result(r->op);
    if (res->err)
        return oauth_fault(r, &res->fault);
    req_add_header(r, MHD_HTTP_HEADER_PRAGMA, "no-cache"); /* Cache-Control: no-store is every answer's */
    req_finish_ok(r);
}

/* HTTP Basic client authentication (RFC 6749 §2.3.1): base64 of the
 * form-encoded id and secret joined by a colon. 0 if absent, 1 if read
 * (*id and *secret the caller's), -1 if malformed. */
static int basic_credentials(struct request *r, char **id, char **secret)
{
    *id = *secret = NULL;
    const char *h = req_header(r, MHD_HTTP_HEADER_AUTHORIZATION);
    if (!h || strncasecmp(h, "Basic ", 6))
        return 0;
    char raw[512];
    size_t n = 0;
    if (sodium_base642bin((unsigned char *)raw, sizeof raw, h + 6, strlen(h + 6), NULL, &n, NULL,
                          sodium_base64_VARIANT_ORIGINAL))
        return -1;
    char *colon = memchr(raw, ':', n);
    if (colon) {
        *id = form_decode(raw, (size_t)(colon - raw));
        *secret = form_decode(colon + 1, n - (size_t)(colon + 1 - raw));
    }
    sodium_memzero(raw, sizeof raw);
    if (*id && *secret)
        return 1;
    free(*id);
    free(*secret);
    *id = *secret = NULL;
    return -1;
}

static void secret_free(char *s)
{
    if (s)
        sodium_memzero(s, strlen(s));
    free(s);
}

typedef int (*oauth_call)(struct service *, const struct actor *, const struct token_request *, struct op **,
                          struct fault *);

/* The token endpoint and its two siblings alike: a form, the client's
 * proof by Basic, in the form or by an assertion, then the service. */
static void oauth_endpoint(struct request *r, oauth_call call, void (*finish)(struct request *))
{
    const char *ct = req_header(r, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (!ct || strncasecmp(ct, "application/x-www-form-urlencoded", 33))
        return oauth_refuse(r, F_MEDIA_TYPE, "send the request as application/x-www-form-urlencoded (RFC 6749)");
    struct form body;
    struct fault fault;
    if (form_parse(buf_cstr(&r->body) ? buf_cstr(&r->body) : "", r->body.len, &body, &fault))
        return oauth_fault(r, &fault);
    char *basic_id, *basic_secret;
    int has_basic = basic_credentials(r, &basic_id, &basic_secret);
    if (has_basic < 0 || (has_basic && form_get(&body, "client_secret"))) {
        form_free(&body);
        secret_free(basic_id);
        secret_free(basic_secret);
        return oauth_refuse(r, F_BAD_REQUEST,
                            has_basic < 0 ? "the Authorization header is not Basic base64(client_id:client_secret)"
                                          : "authenticate the client one way only: Basic or client_secret");
    }
    char token_url[300];
    req_own_url(r, "/api/v1/token", token_url, sizeof token_url);
    struct token_request tr = {
        .grant_type = form_get(&body, "grant_type"),
        .scope = form_get(&body, "scope"),
        .client_id = has_basic ? basic_id : form_get(&body, "client_id"),
        .client_secret = has_basic ? basic_secret : form_get(&body, "client_secret"),
        .assertion_type = form_get(&body, "client_assertion_type"),
        .assertion = form_get(&body, "client_assertion"),
        .code = form_get(&body, "code"),
        .redirect_uri = form_get(&body, "redirect_uri"),
        .code_verifier = form_get(&body, "code_verifier"),
        .refresh_token = form_get(&body, "refresh_token"),
        .token = form_get(&body, "token"),
        .token_url = token_url,
    };
    struct op *op;
    int rc = call(r->svc, &r->actor, &tr, &op, &fault);
    form_free(&body);
    secret_free(basic_id);
    secret_free(basic_secret);
    if (rc)
        return oauth_fault(r, &fault);
    req_submit(r, op, finish);
}

/* POST /api/v1/token */
void route_token(struct request *r)
{
    oauth_endpoint(r, oauth_token, finish_token);
}

/* POST /api/v1/introspect (RFC 7662) */
void route_introspect(struct request *r)
{
    oauth_endpoint(r, oauth_introspect, finish_token);
}

static void finish_revoke(struct request *r)
{
    const struct op_result *res = op_result(r->op);
    if (res->err)
        return oauth_fault(r, &res->fault);
    buf_reset(&r->resp);
    req_reply(r, 200, "text/plain; charset=utf-8");
}

/* POST /api/v1/revoke (RFC 7009) */
void route_revoke(struct request *r)
{
    oauth_endpoint(r, oauth_revoke, finish_revoke);
}

/* GET /.well-known/smart-configuration (and under /fhir): what a SMART
 * client needs to find the token endpoint and what it accepts. Only what
 * is built is claimed. */
void route_smart_configuration(struct request *r)
{
    static const struct {
        const char *member, *path;
    } endpoints[] = {
        {"authorization_endpoint", "/api/v1/authorize"},
        {"token_endpoint", "/api/v1/token"},
        {"revocation_endpoint", "/api/v1/revoke"},
        {"introspection_endpoint", "/api/v1/introspect"},
    };
    struct buf *b = &r->resp;
    buf_puts(b, "{\"issuer\":");
    buf_json_str(b, req_base_url(r));
    for (size_t i = 0; i < sizeof endpoints / sizeof endpoints[0]; i++) {
        char url[300];
        req_own_url(r, endpoints[i].path, url, sizeof url);
        buf_printf(b, ",\"%s\":", endpoints[i].member);
        buf_json_str(b, url);
    }
    buf_puts(b, ",\"grant_types_supported\":[\"authorization_code\",\"refresh_token\",\"client_credentials\"],"
                "\"response_types_supported\":[\"code\"],"
                "\"code_challenge_methods_supported\":[\"S256\"],"
                "\"token_endpoint_auth_methods_supported\":[\"private_key_jwt\",\"client_secret_basic\","
                "\"client_secret_post\",\"none\"],"
                "\"token_endpoint_auth_signing_alg_values_supported\":[\"RS384\",\"ES384\",\"RS256\",\"ES256\","
                "\"RS512\",\"ES512\"],"
                "\"scopes_supported\":[\"launch/patient\",\"offline_access\",\"patient/*.rs\",\"patient/*.read\","
                "\"patient/Observation.rs\",\"patient/MedicationDispense.rs\",\"system/*.rs\",\"system/*.read\","
                "\"system/Observation.rs\",\"system/Patient.rs\"],"
                "\"capabilities\":[\"launch-standalone\",\"client-public\",\"client-confidential-symmetric\","
                "\"client-confidential-asymmetric\",\"context-standalone-patient\",\"permission-patient\","
                "\"permission-offline\",\"permission-v1\",\"permission-v2\"]}");
    if (buf_failed(b))
        return req_refuse(r, F_INTERNAL, "out of memory");
    req_reply(r, 200, "application/json; charset=utf-8");
}
