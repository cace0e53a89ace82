/* Imports and imported documents (R4.1, R4.2):
 *   POST /api/v1/imports[?source=insurer|medical-institution|mynaportal]
 *        a 特定健診 CDA (application/xml) or a FHIR Bundle of checkup results
 *        (application/fhir+json): 201 with what was stored, 200 if the same
 *        file was imported before (nothing stored again)
 *   GET  /api/v1/me/documents/{id}            the DocumentReference
 *   GET  /api/v1/me/documents/{id}/original   the file exactly as imported */
#include <string.h>
#include <strings.h>

#include "http/internal.h"
#include "util/err.h"

/* 1 for a CDA (XML), 2 for a FHIR Bundle (JSON), 0 for anything else. */
static int kind_of(const char *ct)
{
    static const struct {
        const char *type;
        int kind;
    } ok[] = {{"application/xml", 1}, {"text/xml", 1}, {"application/hl7-cda+xml", 1},
              {"application/fhir+json", 2}, {"application/json", 2}};
    for (size_t i = 0; ct && i < sizeof ok / sizeof ok[0]; i++) {
        size_t n = strlen(ok[i].type);
        if (!strncasecmp(ct, ok[i].type, n) && (ct[n] == '\0' || ct[n] == ';'))
            return ok[i].kind;
    }
    return 0;
}

static void import(struct request *r)
{
    int kind = kind_of(req_header(r, MHD_HTTP_HEADER_CONTENT_TYPE));
    if (!kind)
        return req_problem(r, 415, "Unsupported Media Type",
                           "send a 特定健診 CDA document as application/xml, or a FHIR Bundle of checkup results as "
                           "application/fhir+json");
    struct issue is;
    const char *channel = req_header(r, MHD_HTTP_HEADER_AUTHORIZATION) ? "api" : "portal";
    if (import_file(r->svc, &r->actor, r->auth.person_id, req_arg(r, "source"), channel, kind == 2, r->body.data,
                    r->body.len, &r->resp, &is) != 0) {
        r->resp.len = 0;
        return req_problem_issue(r, &is);
    }
    int duplicate = strstr(buf_cstr(&r->resp), "\"duplicate\":true") != NULL;
    req_reply(r, duplicate ? 200 : 201, "application/json; charset=utf-8");
}

static void finish_document(struct request *r)
{
    req_answer_json(r, 200);
    if (r->status == 200)
        r->ctype = "application/fhir+json; charset=utf-8";
}

static void finish_original(struct request *r)
{
    req_answer_json(r, 200);
    if (r->status == 200) {
        r->ctype = "application/xml";
        req_add_header(r, "Content-Disposition", "attachment; filename=\"tokutei-cda.xml\"");
    }
}

void routes_imports(struct request *r)
{
    const char *p = r->path;
    int auth = req_authenticate(r);
    if (auth != PHR_OK) {
        r->route = "/api/v1/imports (unauthenticated)";
        return req_auth_refused(r, auth);
    }
    if (!r->auth.person_id[0]) {
        r->route = "/api/v1/imports (not a person)";
        return req_problem(r, 403, "Forbidden", "a person imports their own documents");
    }
    if (!strcmp(p, "/api/v1/imports")) {
        r->route = "/api/v1/imports";
        return strcmp(r->method, "POST") ? req_problem(r, 405, "Method Not Allowed", "import with POST") : import(r);
    }
    const char *tail = p + strlen("/api/v1/me/documents/");
    size_t idlen = strcspn(tail, "/");
    int original = !strcmp(tail + idlen, "/original");
    if (idlen != 36 || (tail[idlen] && !original)) {
        r->route = "/api/v1/me/documents/(unknown)";
        return req_problem(r, 404, "Not Found", "no such API endpoint");
    }
    r->route = original ? "/api/v1/me/documents/{id}/original" : "/api/v1/me/documents/{id}";
    if (strcmp(r->method, "GET"))
        return req_problem(r, 405, "Method Not Allowed", "read documents with GET");
    char id[37];
    memcpy(id, tail, 36);
    id[36] = '\0';
    struct op *op;
    struct issue is;
    if (records_document(r->svc, &r->actor, id, original, &op, &is) != 0)
        return req_problem_issue(r, &is);
    req_submit(r, op, original ? finish_original : finish_document);
}
