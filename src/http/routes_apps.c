/* SMART App Launch at the HTTP edge: the authorization endpoint (which
 * hands a good request to the portal's page and never redirects to an
 * address not registered), the page's calls (what to show, the person's
 * answer) and the person's list of apps. The token, introspection and
 * revocation endpoints are routes_oauth.c's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/form.h"
#include "formats/json.h"
#include "http/internal.h"
#include "util/err.h"

#define QUERY_FIELDS(X)                                                                                      \
    X(response_type) X(client_id) X(redirect_uri) X(scope) X(state) X(code_challenge) X(code_challenge_method) X(aud)

static void request_from_args(struct request *r, struct app_request *q)
{
    memset(q, 0, sizeof *q);
#define FROM_ARG(f) q->f = req_arg(r, #f);
    QUERY_FIELDS(FROM_ARG)
#undef FROM_ARG
    q->fhir_base = req_base_url(r);
}

static void request_from_form(struct request *r, const struct form *f, struct app_request *q)
{
    memset(q, 0, sizeof *q);
#define FROM_FORM(n) q->n = form_get(f, #n);
    QUERY_FIELDS(FROM_FORM)
#undef FROM_FORM
    q->fhir_base = req_base_url(r);
}

/* The request again as a query, for the portal's page. */
static int query_of(const struct app_request *q, struct buf *b)
{
    int n = 0;
#define TO_QUERY(f)                                                                                          \
    if (q->f) {                                                                                               \
        buf_puts(b, n++ ? "&" #f "=" : #f "=");                                                              \
        form_encode(b, q->f);                                                                                 \
    }
    QUERY_FIELDS(TO_QUERY)
#undef TO_QUERY
    return buf_failed(b) ? -1 : 0;
}

/* Text for an HTML page: the five characters that matter escaped. */
static void html_text(struct buf *b, const char *s)
{
    for (; *s; s++) {
        const char *e = *s == '<' ? "&lt;" : *s == '>' ? "&gt;" : *s == '&' ? "&amp;" : *s == '"' ? "&quot;"
                      : *s == '\'' ? "&#39;" : NULL;
        if (e)
            buf_puts(b, e);
        else
            buf_append(b, s, 1);
    }
}

/* A request nobody may be sent back for: a page for the person. */
static void error_page(struct request *r, const struct fault *f)
{
    struct buf *b = &r->resp;
    buf_reset(b);
    buf_puts(b, "<!doctype html><html lang=\"ja\"><meta charset=\"utf-8\"><title>アプリの連携 / App</title>"
                "<h1>このアプリと連携できません / This app cannot connect</h1><p>");
    html_text(b, fault_def(f->code)->title_ja);
    buf_puts(b, "</p><p lang=\"en\">");
    html_text(b, fault_def(f->code)->title_en);
    buf_puts(b, " (");
    html_text(b, f->detail);
    buf_puts(b, ")</p><p>アプリの提供者にお問い合わせください。/ Please contact the app's provider.</p></html>");
    req_reply(r, 400, "text/html; charset=utf-8");
}

static void redirect(struct request *r, struct buf *target)
{
    if (buf_failed(target)) {
        buf_free(target);
        return req_refuse(r, F_INTERNAL, "out of memory");
    }
    req_add_header(r, MHD_HTTP_HEADER_LOCATION, buf_cstr(target));
    buf_free(target);
    req_reply(r, 302, "text/plain; charset=utf-8");
}

static void authorize(struct request *r, int record);

static void finish_authorize(struct request *r)
{
    authorize(r, 0);
}

/* A good request goes on to the portal's page, where the person signs in
 * and decides; a bad one is recorded, then answered: back to the app with
 * the OAuth error, or (no such app, an address not registered) a page. */
static void authorize(struct request *r, int record)
{
    struct app_request q;
    request_from_args(r, &q);
    struct fault fault;
    const char *error;
    struct buf target;
    buf_init(&target);
    if (app_request_check(r->svc, &q, &error, &fault) == 0) {
        buf_puts(&target, "/#/authorize?");
        query_of(&q, &target);
        return redirect(r, &target);
    }
    if (fault.code == F_INTERNAL || fault.code == F_UNAVAILABLE)
        return req_fault(r, &fault);
    struct op *op;
    struct fault ignored;
    if (record &&
        service_refusal(r->svc, &r->actor, ACT_CLIENT_TOKEN, NULL, fault_def(fault.code)->name, &op, &ignored) == 0)
        return req_submit(r, op, finish_authorize);
    if (!error)
        return error_page(r, &fault);
    buf_puts(&target, q.redirect_uri);
    buf_puts(&target, strchr(q.redirect_uri, '?') ? "&error=" : "?error=");
    buf_puts(&target, error);
    buf_puts(&target, "&error_description=");
    form_encode(&target, fault.detail);
    if (q.state) {
        buf_puts(&target, "&state=");
        form_encode(&target, q.state);
    }
    redirect(r, &target);
}

/* GET /api/v1/authorize */
void route_authorize(struct request *r)
{
    authorize(r, 1);
}

/* GET /api/v1/me/app-request?<the authorization request> */
void route_app_request(struct request *r)
{
    struct app_request q;
    request_from_args(r, &q);
    struct fault fault;
    if (app_request_describe(r->svc, &r->actor, &q, &r->resp, &fault))
        return req_fault(r, &fault);
    req_reply(r, 200, "application/json; charset=utf-8");
}

/* POST /api/v1/me/apps {"query": the authorization request, "decision":
 * "approve" or "refuse", "shown": [the documents' sha256]} */
void route_app_decide(struct request *r)
{
    json_object *o = req_json_object(r);
    if (!o)
        return;
    const char *query = json_get_str(o, "query"), *decision = json_get_str(o, "decision");
    json_object *shown;
    struct consent_request docs;
    memset(&docs, 0, sizeof docs);
    if (json_object_object_get_ex(o, "shown", &shown) && json_object_is_type(shown, json_type_array))
        for (size_t i = 0; i < json_object_array_length(shown) && docs.nshown < CONSENT_MAX_SHOWN; i++) {
            const char *h = json_object_get_string(json_object_array_get_idx(shown, i));
            if (h && strlen(h) == 64)
                snprintf(docs.shown[docs.nshown++], sizeof docs.shown[0], "%s", h);
        }
    struct form f;
    struct fault fault;
    if (!query || !decision || (strcmp(decision, "approve") && strcmp(decision, "refuse"))) {
        json_object_put(o);
        return req_refuse(r, F_INVALID_VALUE,
                          "send {\"query\": the authorization request, \"decision\": \"approve\" or \"refuse\", "
                          "\"shown\": [sha256, …]}");
    }
    if (form_parse(query, strlen(query), &f, &fault)) {
        json_object_put(o);
        return req_fault(r, &fault);
    }
    struct app_request q;
    request_from_form(r, &f, &q);
    struct op *op;
    int rc = app_decide(r->svc, &r->actor, &q, !strcmp(decision, "approve"), &docs, &op, &fault);
    form_free(&f);
    json_object_put(o);
    if (rc)
        return req_fault(r, &fault);
    req_submit(r, op, req_finish_ok);
}

/* GET /api/v1/me/apps */
void route_apps(struct request *r)
{
    struct fault fault;
    if (apps_list(r->svc, &r->actor, &r->resp, &fault))
        return req_fault(r, &fault);
    req_reply(r, 200, "application/json; charset=utf-8");
}

/* DELETE /api/v1/me/apps/{id} */
void route_app_revoke(struct request *r)
{
    struct op *op;
    struct fault fault;
    if (app_revoke(r->svc, &r->actor, r->param[0], &op, &fault))
        return req_fault(r, &fault);
    req_submit(r, op, req_finish_no_content);
}
