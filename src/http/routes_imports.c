/* Imports and imported documents (R4.1, R4.2):
 *   POST /api/v1/imports[?source=insurer|medical-institution|mynaportal]
 *        a 特定健診 CDA (application/xml), a FHIR Bundle of checkup results
 *        (application/fhir+json), a JAHIS お薬手帳 text (text/plain, UTF-8
 *        or Shift_JIS), a CSV of measurements (text/csv), Open mHealth data
 *        points (application/json), a whole record as a .phr file
 *        (application/x-ndjson) or an SPHR package
 *        (application/zip): 201 with what was stored, 200 if the same file
 *        was imported before
 *   GET  /api/v1/me/documents/{id}            the DocumentReference
 *   GET  /api/v1/me/documents/{id}/original   the file exactly as imported */
#include <string.h>
#include <strings.h>

#include "formats/fhir_import.h"
#include "formats/omh.h"
#include "http/internal.h"
#include "util/err.h"

/* The service tells the formats apart by their first bytes; the media
 * type only has to be one of theirs. */
static int accepted(const char *ct)
{
    static const char *ok[] = {"application/xml", "text/xml", "application/hl7-cda+xml", "application/fhir+json",
                               "application/json", "text/plain", "text/csv", "application/zip",
                               "application/x-ndjson", "application/fhir+ndjson", "application/ndjson"};
    for (size_t i = 0; ct && i < sizeof ok / sizeof ok[0]; i++) {
        size_t n = strlen(ok[i]);
        if (!strncasecmp(ct, ok[i], n) && (ct[n] == '\0' || ct[n] == ';'))
            return 1;
    }
    return 0;
}

static void finish_import(struct request *r)
{
    req_answer_json(r, import_duplicate(r->op) ? 200 : 201);
}

void route_import(struct request *r)
{
    if (!accepted(req_header(r, MHD_HTTP_HEADER_CONTENT_TYPE)))
        return req_refuse(r, F_MEDIA_TYPE,
                          "send a 特定健診 CDA document as application/xml, FHIR R4 JSON as application/fhir+json, "
                          "a JAHIS お薬手帳 text as text/plain, a CSV of measurements as text/csv, Open mHealth data "
                          "points as application/json, a whole record as a .phr file (application/x-ndjson), or "
                          "an SPHR package as application/zip");
    struct fault fault;
    struct op *op;
    const char *channel = req_header(r, MHD_HTTP_HEADER_AUTHORIZATION) ? "api" : "portal";
    if (import_submit(r->svc, &r->actor, r->auth.person_id, req_arg(r, "source"), channel, r->body.data, r->body.len,
                      &op, &fault) != 0)
        return req_fault(r, &fault);
    req_submit(r, op, finish_import);
}

static void finish_document(struct request *r)
{
    req_answer_json(r, 200);
    if (r->status == 200)
        r->ctype = "application/fhir+json; charset=utf-8";
}

/* The file as imported, typed by what it is: the formats are told apart
 * by their first bytes, as at import. An お薬手帳 text goes back in its own
 * encoding (UTF-8 or Shift_JIS), so no charset is claimed for it. */
static void finish_original(struct request *r)
{
    req_answer_json(r, 200);
    if (r->status != 200)
        return;
    size_t i = 0;
    while (i < r->resp.len && strchr(" \t\r\n\xEF\xBB\xBF", r->resp.data[i]))
        i++;
    int xml = i < r->resp.len && r->resp.data[i] == '<', omh = omh_sniff(r->resp.data, r->resp.len),
        phr = fhir_ndjson_sniff(r->resp.data, r->resp.len), json = omh || (i < r->resp.len && r->resp.data[i] == '{');
    int jahis = r->resp.len - i >= 7 && !memcmp(r->resp.data + i, "JAHISTC", 7);
    int zip = r->resp.len >= 4 && !memcmp(r->resp.data, "PK\x03\x04", 4);
    r->ctype = xml ? "application/xml" : phr ? "application/x-ndjson" : omh ? "application/json" : json ? "application/fhir+json" : jahis ? "text/plain" : zip ? "application/zip" : "text/csv";
    req_add_header(r, "Content-Disposition", xml     ? "attachment; filename=\"tokutei-cda.xml\""
                                             : phr   ? "attachment; filename=\"record.phr\""
                                             : omh   ? "attachment; filename=\"open-mhealth.json\""
                                             : json  ? "attachment; filename=\"fhir.json\""
                                             : jahis ? "attachment; filename=\"okusuri-techo.txt\""
                                             : zip   ? "attachment; filename=\"package.sphr.zip\""
                                                     : "attachment; filename=\"measurements.csv\"");
}

void route_document(struct request *r)
{
    int original = r->rt->arg != NULL;
    struct op *op;
    struct fault fault;
    if (records_document(r->svc, &r->actor, r->param[0], original, &op, &fault) != 0)
        return req_fault(r, &fault);
    req_submit(r, op, original ? finish_original : finish_document);
}
