/* How a fault is answered over HTTP, in one place: its kind's status, its
 * code, its title in the caller's language, its detail, and a hint that
 * names the routes or headers that help — under /fhir as an
 * OperationOutcome, elsewhere as RFC 9457 problem+json. The service never
 * chooses a status or names a route; this file does both. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/internal.h"
#include "util/buf.h"

#define ERROR_SYSTEM "urn:phr:error"

static const int status_of_kind[] = {
    [FAULT_MALFORMED] = 400,       [FAULT_INVALID] = 422,         [FAULT_UNAUTHENTICATED] = 401,
    [FAULT_FORBIDDEN] = 403,       [FAULT_NOT_FOUND] = 404,       [FAULT_METHOD] = 405,
    [FAULT_NOT_ACCEPTABLE] = 406,  [FAULT_CONFLICT] = 409,        [FAULT_GONE] = 410,
    [FAULT_PRECONDITION] = 412,    [FAULT_TOO_LARGE] = 413,       [FAULT_URI_TOO_LONG] = 414,
    [FAULT_MEDIA_TYPE] = 415,      [FAULT_THROTTLED] = 429,       [FAULT_UNAVAILABLE] = 503,
    [FAULT_INTERNAL] = 500,
};
_Static_assert(sizeof status_of_kind / sizeof status_of_kind[0] == FAULT_INTERNAL + 1,
               "every fault kind has its status");

/* What helps a developer past a fault: the routes and headers to use. The
 * person using the portal sees the title; the portal does not show these. */
static const struct {
    enum fault_code code;
    const char *hint;
} hints[] = {
    {F_SIGN_IN_REQUIRED, "a person signs in with POST /api/v1/login, staff with POST /api/v1/staff/login, another "
                         "provider's client gets a token from POST /api/v1/token; send it as Authorization: Bearer"},
    {F_SESSION_EXPIRED, "sign in again: POST /api/v1/login (staff: POST /api/v1/staff/login)"},
    {F_CROSS_SITE, "API clients send Authorization: Bearer instead of the portal's cookie"},
    {F_CONSENT_REQUIRED, "the purposes of use are at GET /api/v1/policies; consent with POST /api/v1/me/consents"},
    {F_USE_SUSPENDED, "a suspension is lifted with POST /api/v1/me/suspensions"},
    {F_REASON_REQUIRED, "open a reason with POST /api/v1/staff/reasons, then send its id in X-PHR-Reason"},
    {F_FOR_RECIPIENTS, "a person exports their own data with GET /api/v1/me/export/sphr.zip or "
                       "GET /fhir/Patient/{id}/$everything"},
    {F_CLIENT_INVALID, "POST /api/v1/token with the client_id and client_secret the operator issued"},
    {F_MEDIA_TYPE, "send Content-Type: application/json (under /fhir: application/fhir+json)"},
    {F_NO_ROUTE, "the FHIR server's capabilities are at GET /fhir/metadata; the error codes at GET /api/v1/errors"},
};

static const char *hint_for(enum fault_code code)
{
    for (size_t i = 0; i < sizeof hints / sizeof hints[0]; i++)
        if (hints[i].code == code)
            return hints[i].hint;
    return NULL;
}

int fault_status(enum fault_code code)
{
    return status_of_kind[fault_def(code)->kind];
}

/* Whether the caller prefers English to Japanese (Accept-Language, with
 * its q-values); Japanese when it says neither. */
static int prefers_english(struct request *r)
{
    const char *h = req_header(r, "Accept-Language");
    double ja = 0, en = 0;
    while (h && *h) {
        h += strspn(h, " ,");
        size_t n = strcspn(h, ",");
        size_t tag = strcspn(h, ";, ");
        double q = 1;
        const char *qp = memchr(h, ';', n);
        if (qp && (qp = strstr(qp, "q=")) != NULL && qp < h + n)
            q = strtod(qp + 2, NULL);
        if (tag >= 2 && !strncasecmp(h, "en", 2) && (tag == 2 || h[2] == '-') && q > en)
            en = q;
        if (tag >= 2 && !strncasecmp(h, "ja", 2) && (tag == 2 || h[2] == '-') && q > ja)
            ja = q;
        h += n;
    }
    return en > ja;
}

static int write_outcome(struct buf *b, const struct fault_def *d, const struct fault *f, const char *title,
                         const char *hint)
{
    buf_puts(b, "{\"resourceType\":\"OperationOutcome\",\"issue\":[{\"severity\":\"error\",\"code\":");
    buf_json_str(b, d->fhir_type);
    buf_puts(b, ",\"details\":{\"coding\":[{\"system\":\"" ERROR_SYSTEM "\",\"code\":");
    buf_json_str(b, d->name);
    buf_puts(b, "}],\"text\":");
    buf_json_str(b, title);
    buf_puts(b, "},\"diagnostics\":\"");
    buf_json_escape(b, f->detail, strlen(f->detail));
    if (hint) {
        buf_puts(b, " (");
        buf_json_escape(b, hint, strlen(hint));
        buf_puts(b, ")");
    }
    buf_puts(b, "\"");
    if (f->expression[0]) {
        buf_puts(b, ",\"expression\":[");
        buf_json_str(b, f->expression);
        buf_puts(b, "]");
    }
    buf_puts(b, "}]}");
    return buf_failed(b) ? -1 : 0;
}

static int write_problem(struct buf *b, const struct fault_def *d, const struct fault *f, int status,
                         const char *title, const char *hint)
{
    buf_printf(b, "{\"type\":\"" ERROR_SYSTEM ":%s\",\"title\":", d->name);
    buf_json_str(b, title);
    buf_printf(b, ",\"status\":%d,\"detail\":", status);
    buf_json_str(b, f->detail);
    buf_puts(b, ",\"code\":");
    buf_json_str(b, d->name);
    if (f->expression[0]) {
        buf_puts(b, ",\"field\":");
        buf_json_str(b, f->expression);
    }
    if (hint) {
        buf_puts(b, ",\"hint\":");
        buf_json_str(b, hint);
    }
    buf_puts(b, "}");
    return buf_failed(b) ? -1 : 0;
}

int fault_body(const struct fault *f, int fhir, int english, struct buf *out)
{
    const struct fault_def *d = fault_def(f->code);
    const char *title = english ? d->title_en : d->title_ja;
    const char *hint = hint_for(f->code);
    return fhir ? write_outcome(out, d, f, title, hint) : write_problem(out, d, f, fault_status(f->code), title, hint);
}

/* FHIR's JSON as the client named it: application/json for a client that
 * accepts that and not application/fhir+json (FHIR R4 §3.1.0.1.3 lets a
 * server answer either; some clients read a body only as the type they asked
 * for), application/fhir+json otherwise. */
static const char *fhir_json_type(struct request *r)
{
    const char *accept = req_header(r, MHD_HTTP_HEADER_ACCEPT);
    return accept && strstr(accept, "application/json") && !strstr(accept, "application/fhir+json")
               ? "application/json; charset=utf-8"
               : "application/fhir+json; charset=utf-8";
}

void req_fault(struct request *r, const struct fault *f)
{
    int fhir = !strncmp(r->path, "/fhir", 5);
    buf_reset(&r->resp);
    enum fault_kind kind = fault_def(f->code)->kind;
    if (kind == FAULT_UNAUTHENTICATED)
        req_add_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
    /* Nothing was done and the cause passes (a lost database connection,
     * a busy store, a restart): a client may send the same request again. */
    if (kind == FAULT_UNAVAILABLE)
        req_add_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "1");
    fault_body(f, fhir, prefers_english(r), &r->resp);
    req_reply(r, fault_status(f->code), fhir ? fhir_json_type(r) : "application/problem+json; charset=utf-8");
}

void req_refuse(struct request *r, enum fault_code code, const char *fmt, ...)
{
    struct fault f = {.code = code};
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f.detail, sizeof f.detail, fmt, ap);
    va_end(ap);
    req_fault(r, &f);
}

/* GET /api/v1/errors: every code the service answers with, its status and
 * its titles, for clients and the portal to act on and translate. */
void route_errors(struct request *r)
{
    struct buf *b = &r->resp;
    buf_puts(b, "{\"system\":\"" ERROR_SYSTEM "\",\"errors\":[");
    for (int c = F_NONE + 1; c < FAULT_CODES; c++) {
        const struct fault_def *d = fault_def((enum fault_code)c);
        const char *hint = hint_for((enum fault_code)c);
        buf_puts(b, c > F_NONE + 1 ? ",{\"code\":" : "{\"code\":");
        buf_json_str(b, d->name);
        buf_printf(b, ",\"status\":%d,\"fhir_issue_type\":", fault_status((enum fault_code)c));
        buf_json_str(b, d->fhir_type);
        buf_puts(b, ",\"title\":{\"ja\":");
        buf_json_str(b, d->title_ja);
        buf_puts(b, ",\"en\":");
        buf_json_str(b, d->title_en);
        buf_puts(b, "}");
        if (hint) {
            buf_puts(b, ",\"hint\":");
            buf_json_str(b, hint);
        }
        buf_puts(b, "}");
    }
    buf_puts(b, "]}");
    req_reply(r, 200, "application/json; charset=utf-8");
}
