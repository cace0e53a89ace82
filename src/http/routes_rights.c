/* A signed-in person's rights: disclosure (R3.8) at /api/v1/me/disclosure,
 * their demographics seen and corrected (R3.12) at /api/v1/me/demographics,
 * exports (R4.3) at /api/v1/me/export/..., and erasure on request (R3.10)
 * at /api/v1/me/erasures. */
#include <string.h>
#include <strings.h>
#include <json-c/json.h>

#include "formats/json.h"
#include "http/internal.h"
#include "util/err.h"

static void reply_json(struct request *r, int status, const struct fault *fault, int rc)
{
    if (rc != 0) {
        r->resp.len = 0;
        return req_fault(r, fault);
    }
    req_reply(r, status, "application/json; charset=utf-8");
}

/* GET: what is kept, and what it replaced; PUT: a correction, the whole
 * of them as a JSON object (a member left out is removed). */
void route_demographics(struct request *r)
{
    struct op *op;
    struct fault fault;
    if (person_demographics_read(r->svc, &r->actor, r->auth.person_id, &op, &fault) != 0)
        return req_fault(r, &fault);
    req_submit(r, op, req_finish_ok);
}

void route_demographics_correct(struct request *r)
{
    struct op *op;
    struct fault fault;
    json_object *o = req_json_object(r); /* answers 415 or 400 itself */
    if (!o)
        return;
    json_object_put(o);
    if (person_demographics_correct(r->svc, &r->actor, r->auth.person_id, buf_cstr(&r->body), r->body.len, &op,
                                    &fault) != 0)
        return req_fault(r, &fault);
    req_submit(r, op, req_finish_ok);
}

/* {"scope": "account"} or {"scope": "records", "codes": ["85354-9", …]}
 * (no codes: every record). */
static void erasure_request_work(struct request *r)
{
    json_object *o = req_json_object(r);
    if (!o)
        return;
    struct fault fault;
    struct buf codes = {0};
    const char *scope = json_get_str(o, "scope");
    json_object *list = NULL;
    int account = scope && strcmp(scope, "account") == 0;
    int rc = -1;
    if (!scope || (!account && strcmp(scope, "records"))) {
        fault_set(&fault, F_INVALID_VALUE, "scope",
                  "send {\"scope\": \"account\"} or {\"scope\": \"records\", \"codes\": [...]}");
        goto out;
    }
    if (json_object_object_get_ex(o, "codes", &list)) {
        if (account || !json_object_is_type(list, json_type_array) || json_object_array_length(list) == 0) {
            fault_set(&fault, F_INVALID_VALUE, "codes",
                      "codes is a non-empty list of record codes, for scope \"records\"");
            goto out;
        }
        size_t n = json_object_array_length(list);
        const char *c[ERASURE_CODES_MAX];
        if (n > ERASURE_CODES_MAX) {
            fault_set(&fault, F_INVALID_VALUE, "codes", "at most %d codes at once", ERASURE_CODES_MAX);
            goto out;
        }
        for (size_t i = 0; i < n; i++) {
            json_object *e = json_object_array_get_idx(list, i);
            if (!json_object_is_type(e, json_type_string)) {
                fault_set(&fault, F_INVALID_VALUE, "codes", "each code is a string");
                goto out;
            }
            c[i] = json_object_get_string(e);
        }
        if (erasure_codes_join(c, n, &codes, &fault) != 0)
            goto out;
    }
    rc = erasure_request(r->svc, &r->actor, r->auth.person_id, account, buf_cstr(&codes), &r->resp, &fault);
out:
    json_object_put(o);
    buf_free(&codes);
    reply_json(r, 201, &fault, rc);
}

static void erasure_confirm_work(struct request *r)
{
    const char *id = r->param[0];
    json_object *o = req_json_object(r);
    if (!o)
        return;
    struct fault fault;
    const char *pw = json_get_str(o, "password");
    int rc;
    if (!pw)
        rc = fault_set(&fault, F_MISSING, "password", "confirm with {\"password\": your password}");
    else
        rc = erasure_confirm(r->svc, &r->actor, r->auth.person_id, id, pw, strlen(pw), &r->resp, &fault);
    if (pw)
        explicit_bzero((char *)pw, strlen(pw));
    json_object_put(o);
    reply_json(r, 200, &fault, rc);
}

/* An erasure waits for its commits one after the other: off the HTTP
 * threads. */
void route_erasure_request(struct request *r)
{
    req_defer(r, erasure_request_work);
}

void route_erasure_confirm(struct request *r)
{
    req_defer(r, erasure_confirm_work);
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
                                        [EXPORT_CDA] = "application/xml; charset=utf-8",
                                        [EXPORT_PHR] = "application/x-ndjson; charset=utf-8"};
    static const char *const files[] = {[EXPORT_FHIR] = NULL, [EXPORT_CSV] = "attachment; filename=\"phr-observations.csv\"",
                                        [EXPORT_SPHR] = "attachment; filename=\"phr-package.sphr.zip\"",
                                        [EXPORT_CHECKUP] = NULL,
                                        [EXPORT_JAHIS] = "attachment; filename=\"okusuri-techo.txt\"",
                                        [EXPORT_CDA] = NULL,
                                        [EXPORT_PHR] = "attachment; filename=\"phr-record.phr\""};
    const char *charset = req_arg(r, "charset");
    int sjis = f == EXPORT_JAHIS && charset && !strcasecmp(charset, "shift_jis");
    if (f == EXPORT_JAHIS && charset && !sjis && strcasecmp(charset, "utf-8"))
        return req_refuse(r, F_BAD_REQUEST, "charset is utf-8 (the default) or shift_jis");
    struct export *e;
    struct fault fault;
    if (export_open(r->svc, &r->actor, r->auth.person_id, f, arg, &e, &fault) != 0)
        return req_fault(r, &fault);
    if (sjis)
        export_shift_jis(e);
    if (files[f] && req_add_header(r, "Content-Disposition", files[f]) != 0) {
        export_close(e);
        return req_refuse(r, F_INTERNAL, "out of memory");
    }
    req_stream(r, 200, sjis ? "text/plain; charset=Shift_JIS" : types[f], export_piece, export_end, e);
}

/* GET /fhir/Patient/{id}/$sphr: a recipient's copy of one person's SPHR
 * package (R4.4), only what the person's consent provides to it. */
void routes_export_provided(struct request *r, const char *person)
{
    struct export *e;
    struct fault fault;
    if (export_open_provided(r->svc, &r->actor, person, &e, &fault) != 0)
        return req_fault(r, &fault);
    if (req_add_header(r, "Content-Disposition", "attachment; filename=\"phr-package.sphr.zip\"") != 0) {
        export_close(e);
        return req_refuse(r, F_INTERNAL, "out of memory");
    }
    req_stream(r, 200, "application/zip", export_piece, export_end, e);
}

void route_disclosure(struct request *r)
{
    struct disclosure *d;
    struct fault fault;
    if (disclosure_open(r->svc, &r->actor, r->auth.person_id, &d, &fault) != 0)
        return req_fault(r, &fault);
    if (req_add_header(r, "Content-Disposition", "attachment; filename=\"phr-disclosure.json\"") != 0) {
        disclosure_close(d);
        return req_refuse(r, F_INTERNAL, "out of memory");
    }
    req_stream(r, 200, "application/json; charset=utf-8", disclosure_piece, disclosure_end, d);
}

/* The patient record, when the person gives it (the service keeps no
 * names): name, sex 1 or 2, birth YYYYMMDD. */
void route_export_okusuri(struct request *r)
{
    const char *name = req_arg(r, "name"), *sex = req_arg(r, "sex"), *birth = req_arg(r, "birth");
    if (!name && !sex && !birth)
        return routes_export(r, EXPORT_JAHIS, NULL);
    if (!name || !*name || strlen(name) > 100 || strpbrk(name, ",\r\n") || !sex || (strcmp(sex, "1") && strcmp(sex, "2")) ||
        !birth || strlen(birth) != 8 || strspn(birth, "0123456789") != 8)
        return req_refuse(r, F_BAD_REQUEST,
                          "give name (without commas), sex (1 male, 2 female) and birth "
                          "(YYYYMMDD) together");
    struct buf line = {0};
    if (buf_printf(&line, "1,%s,%s,%s", name, sex, birth)) {
        buf_free(&line);
        return req_refuse(r, F_INTERNAL, "out of memory");
    }
    routes_export(r, EXPORT_JAHIS, buf_cstr(&line));
    buf_free(&line);
}

/* arg names the format: csv, fhir (the portal's link for
 * Patient/$everything: a page cannot know the path with the person's id
 * before asking), sphr, phr (HL7's .phr: NDJSON), and a checkup day's 健診結果報告書 (checkup) or
 * 特定健診 CDA (cda), named by its day YYYY-MM-DD. */
void route_export(struct request *r)
{
    static const struct {
        const char *name;
        enum export_format f;
    } formats[] = {{"csv", EXPORT_CSV}, {"fhir", EXPORT_FHIR}, {"sphr", EXPORT_SPHR}, {"checkup", EXPORT_CHECKUP},
                   {"cda", EXPORT_CDA}, {"phr", EXPORT_PHR}};
    const char *name = r->rt->arg;
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
        if (strcmp(formats[i].name, name))
            continue;
        int by_day = formats[i].f == EXPORT_CHECKUP || formats[i].f == EXPORT_CDA;
        if (by_day && strlen(r->param[0]) != 10)
            return req_refuse(r, F_NOT_FOUND,
                              "the checkup is named by its day: checkup/YYYY-MM-DD.json or checkup/YYYY-MM-DD.xml");
        return routes_export(r, formats[i].f, by_day ? r->param[0] : NULL);
    }
    req_refuse(r, F_INTERNAL, "no such export format");
}
