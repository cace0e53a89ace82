/* A signed-in person's rights: disclosure (R3.8) at /api/v1/me/disclosure
 * and erasure on request (R3.10) at /api/v1/me/erasures. Reached through routes_consent, which has
 * authenticated the person. */
#include <string.h>
#include <strings.h>
#include <json-c/json.h>

#include "formats/json.h"
#include "http/internal.h"
#include "util/err.h"

#define ERASURES "/api/v1/me/erasures"

static void reply_json(struct request *r, int status, const struct issue *is, int rc)
{
    if (rc != 0) {
        r->resp.len = 0;
        return req_problem_issue(r, is);
    }
    req_reply(r, status, "application/json; charset=utf-8");
}

/* {"scope": "account"} or {"scope": "records", "codes": ["85354-9", …]}
 * (no codes: every record). */
static void request_erasure(struct request *r)
{
    json_object *o = req_json_object(r);
    if (!o)
        return;
    struct issue is;
    struct buf codes = {0};
    const char *scope = json_get_str(o, "scope");
    json_object *list = NULL;
    int account = scope && strcmp(scope, "account") == 0;
    int rc = -1;
    if (!scope || (!account && strcmp(scope, "records"))) {
        issue_set(&is, 422, "value", "scope", "send {\"scope\": \"account\"} or {\"scope\": \"records\", \"codes\": [...]}");
        goto out;
    }
    if (json_object_object_get_ex(o, "codes", &list)) {
        if (account || !json_object_is_type(list, json_type_array) || json_object_array_length(list) == 0) {
            issue_set(&is, 422, "value", "codes", "codes is a non-empty list of record codes, for scope \"records\"");
            goto out;
        }
        size_t n = json_object_array_length(list);
        const char *c[ERASURE_CODES_MAX];
        if (n > ERASURE_CODES_MAX) {
            issue_set(&is, 422, "value", "codes", "at most %d codes at once", ERASURE_CODES_MAX);
            goto out;
        }
        for (size_t i = 0; i < n; i++) {
            json_object *e = json_object_array_get_idx(list, i);
            if (!json_object_is_type(e, json_type_string)) {
                issue_set(&is, 422, "value", "codes", "each code is a string");
                goto out;
            }
            c[i] = json_object_get_string(e);
        }
        if (erasure_codes_join(c, n, &codes, &is) != 0)
            goto out;
    }
    rc = erasure_request(r->svc, &r->actor, r->auth.person_id, account, buf_cstr(&codes), &r->resp, &is);
out:
    json_object_put(o);
    buf_free(&codes);
    reply_json(r, 201, &is, rc);
}

static void confirm_erasure(struct request *r, const char *id)
{
    json_object *o = req_json_object(r);
    if (!o)
        return;
    struct issue is;
    const char *pw = json_get_str(o, "password");
    int rc;
    if (!pw)
        rc = issue_set(&is, 422, "required", "password", "confirm with {\"password\": your password}");
    else
        rc = erasure_confirm(r->svc, &r->actor, r->auth.person_id, id, pw, strlen(pw), &r->resp, &is);
    if (pw)
        explicit_bzero((char *)pw, strlen(pw));
    json_object_put(o);
    reply_json(r, 200, &is, rc);
}

static int disclosure_piece(void *ctx, struct buf *out)
{
    return disclosure_next(ctx, out);
}

static void disclosure_end(void *ctx)
{
    disclosure_close(ctx);
}

static int export_piece(void *ctx, struct buf *out)
{
    return export_next(ctx, out);
}

static void export_end(void *ctx)
{
    export_close(ctx);
}

void routes_export(struct request *r, enum export_format f, const char *arg)
{
    static const char *const types[] = {[EXPORT_FHIR] = "application/fhir+json; charset=utf-8",
                                        [EXPORT_CSV] = "text/csv; charset=utf-8", [EXPORT_SPHR] = "application/zip",
                                        [EXPORT_CHECKUP] = "application/fhir+json; charset=utf-8",
                                        [EXPORT_JAHIS] = "text/plain; charset=utf-8",
                                        [EXPORT_CDA] = "application/xml; charset=utf-8"};
    static const char *const files[] = {[EXPORT_FHIR] = NULL, [EXPORT_CSV] = "attachment; filename=\"phr-observations.csv\"",
                                        [EXPORT_SPHR] = "attachment; filename=\"phr-package.sphr.zip\"",
                                        [EXPORT_CHECKUP] = NULL,
                                        [EXPORT_JAHIS] = "attachment; filename=\"okusuri-techo.txt\"",
                                        [EXPORT_CDA] = NULL};
    const char *charset = req_arg(r, "charset");
    int sjis = f == EXPORT_JAHIS && charset && !strcasecmp(charset, "shift_jis");
    if (f == EXPORT_JAHIS && charset && !sjis && strcasecmp(charset, "utf-8"))
        return req_problem(r, 400, "Bad Request", "charset is utf-8 (the default) or shift_jis");
    struct export *e;
    struct issue is;
    if (strcmp(r->method, "GET"))
        return req_problem(r, 405, "Method Not Allowed", "exports are read with GET");
    if (export_open(r->svc, &r->actor, r->auth.person_id, f, arg, &e, &is) != 0)
        return f == EXPORT_FHIR ? req_outcome(r, &is) : req_problem_issue(r, &is);
    if (sjis)
        export_shift_jis(e);
    if (files[f] && req_add_header(r, "Content-Disposition", files[f]) != 0) {
        export_close(e);
        return req_problem(r, 500, "Internal Server Error", "out of memory");
    }
    req_stream(r, 200, sjis ? "text/plain; charset=Shift_JIS" : types[f], export_piece, export_end, e);
}

/* GET /fhir/Patient/{id}/$sphr: a recipient's copy of one person's SPHR
 * package (R4.4), only what the person's consent provides to it. */
void routes_export_provided(struct request *r, const char *person)
{
    if (strcmp(r->method, "GET"))
        return req_problem(r, 405, "Method Not Allowed", "the package is read with GET");
    struct export *e;
    struct issue is;
    if (export_open_provided(r->svc, &r->actor, person, &e, &is) != 0)
        return req_outcome(r, &is);
    if (req_add_header(r, "Content-Disposition", "attachment; filename=\"phr-package.sphr.zip\"") != 0) {
        export_close(e);
        return req_problem(r, 500, "Internal Server Error", "out of memory");
    }
    req_stream(r, 200, "application/zip", export_piece, export_end, e);
}

static void disclosure(struct request *r)
{
    struct disclosure *d;
    struct issue is;
    if (disclosure_open(r->svc, &r->actor, r->auth.person_id, &d, &is) != 0)
        return req_problem_issue(r, &is);
    if (req_add_header(r, "Content-Disposition", "attachment; filename=\"phr-disclosure.json\"") != 0) {
        disclosure_close(d);
        return req_problem(r, 500, "Internal Server Error", "out of memory");
    }
    req_stream(r, 200, "application/json; charset=utf-8", disclosure_piece, disclosure_end, d);
}

/* The patient record, when the person gives it (the service keeps no
 * names): name, sex 1 or 2, birth YYYYMMDD. */
static void okusuri(struct request *r)
{
    const char *name = req_arg(r, "name"), *sex = req_arg(r, "sex"), *birth = req_arg(r, "birth");
    if (!name && !sex && !birth)
        return routes_export(r, EXPORT_JAHIS, NULL);
    if (!name || !*name || strlen(name) > 100 || strpbrk(name, ",\r\n") || !sex || (strcmp(sex, "1") && strcmp(sex, "2")) ||
        !birth || strlen(birth) != 8 || strspn(birth, "0123456789") != 8)
        return req_problem(r, 400, "Bad Request", "give name (without commas), sex (1 male, 2 female) and birth "
                                                  "(YYYYMMDD) together");
    struct buf line = {0};
    if (buf_printf(&line, "1,%s,%s,%s", name, sex, birth)) {
        buf_free(&line);
        return req_problem(r, 500, "Internal Server Error", "out of memory");
    }
    routes_export(r, EXPORT_JAHIS, buf_cstr(&line));
    buf_free(&line);
}

void routes_rights(struct request *r)
{
    const char *p = r->path;
    int post = strcmp(r->method, "POST") == 0;
    if (strcmp(p, "/api/v1/me/export/observations.csv") == 0) {
        r->route = "/api/v1/me/export/observations.csv";
        return routes_export(r, EXPORT_CSV, NULL);
    }
    /* The portal's download link for Patient/$everything (a page cannot
     * know the path with the person's id before asking). */
    if (strcmp(p, "/api/v1/me/export/fhir") == 0) {
        r->route = "/api/v1/me/export/fhir";
        return routes_export(r, EXPORT_FHIR, NULL);
    }
    if (strcmp(p, "/api/v1/me/export/sphr.zip") == 0) {
        r->route = "/api/v1/me/export/sphr.zip";
        return routes_export(r, EXPORT_SPHR, NULL);
    }
    /* GET /api/v1/me/export/okusuri.txt[?name=&sex=&birth=][&charset=shift_jis] */
    if (strcmp(p, "/api/v1/me/export/okusuri.txt") == 0) {
        r->route = "/api/v1/me/export/okusuri.txt";
        return okusuri(r);
    }
    /* GET /api/v1/me/export/checkup/{YYYY-MM-DD}.json: that day's
     * 健診結果報告書; .xml: the same results as a 特定健診 CDA. */
    if (!strncmp(p, "/api/v1/me/export/checkup/", 26)) {
        const char *d = p + 26;
        int xml = strlen(d) == 14 && !strcmp(d + 10, ".xml");
        r->route = xml ? "/api/v1/me/export/checkup/{day}.xml" : "/api/v1/me/export/checkup/{day}.json";
        if (!xml && (strlen(d) != 15 || strcmp(d + 10, ".json")))
            return req_problem(r, 404, "Not Found",
                               "the checkup is named by its day: checkup/YYYY-MM-DD.json or checkup/YYYY-MM-DD.xml");
        char day[11];
        memcpy(day, d, 10);
        day[10] = '\0';
        return routes_export(r, xml ? EXPORT_CDA : EXPORT_CHECKUP, day);
    }
    if (strcmp(p, "/api/v1/me/disclosure") == 0) {
        r->route = "/api/v1/me/disclosure";
        return strcmp(r->method, "GET") == 0 ? disclosure(r)
                                             : req_problem(r, 405, "Method Not Allowed", "read the disclosure with GET");
    }
    if (strcmp(p, ERASURES) == 0) {
        r->route = ERASURES;
        return post ? request_erasure(r) : req_problem(r, 405, "Method Not Allowed", "ask for an erasure with POST");
    }
    size_t n = strlen(ERASURES "/");
    const char *tail = p + n;
    size_t idlen = strcspn(tail, "/");
    if (strncmp(p, ERASURES "/", n) == 0 && idlen == 36 && strcmp(tail + idlen, "/confirm") == 0) {
        r->route = ERASURES "/{id}/confirm";
        char id[37];
        memcpy(id, tail, 36);
        id[36] = '\0';
        return post ? confirm_erasure(r, id) : req_problem(r, 405, "Method Not Allowed", "confirm with POST");
    }
    r->route = "/api/v1/me/(unknown)";
    req_problem(r, 404, "Not Found", "no such API endpoint");
}
