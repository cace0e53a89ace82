/* Public pages: the published checksheet (R5.3, Q5-2) at /checksheet (the
 * newest approved one) and /checksheet/{id}, as HTML or, with ".json", as
 * JSON for machines (a draft is never public: it answers 404); what is
 * published of the anonymised data sets; the keys that sign the SPHR
 * packages. */
#include <stdlib.h>
#include <string.h>

#include "formats/checksheet_html.h"
#include "http/internal.h"
#include "util/err.h"

static void checksheet(struct request *r, int64_t id, int json)
{
    json_object *sheet;
    int err = checksheet_published(r->svc, id, &sheet);
    if (err == PHR_ENOTFOUND && !json) {
        buf_puts(&r->resp, "<!doctype html><html lang=\"ja\"><meta charset=\"utf-8\"><title>チェックシート</title>"
                           "<p>承認・公開されたチェックシートはまだありません。</p>"
                           "<p lang=\"en\">No checksheet has been approved and published yet.</p></html>\n");
        return req_reply(r, 404, "text/html; charset=utf-8");
    }
    if (err == PHR_ENOTFOUND)
        return req_refuse(r, F_NOT_FOUND, "no checksheet has been approved and published with that number");
    if (err)
        return req_refuse(r, F_UNAVAILABLE, "the checksheet could not be read");
    int bad = json ? buf_puts(&r->resp, json_object_to_json_string_ext(sheet, JSON_C_TO_STRING_PLAIN |
                                                                                 JSON_C_TO_STRING_NOSLASHESCAPE))
                   : checksheet_html(sheet, &r->resp);
    json_object_put(sheet);
    if (bad)
        return req_refuse(r, F_INTERNAL, "out of memory");
    req_reply(r, 200, json ? "application/json; charset=utf-8" : "text/html; charset=utf-8");
}

/* "/checksheet", "/checksheet.json", "/checksheet/7", "/checksheet/7.json" */
void route_checksheet(struct request *r)
{
    int64_t id = 0;
    if (r->param[0][0]) {
        char *end;
        id = strtoll(r->param[0], &end, 10);
        if (id <= 0 || *end)
            return req_refuse(r, F_NOT_FOUND, "a checksheet is named by its number");
    }
    checksheet(r, id, r->rt->arg != NULL);
}

/* What is published of every anonymised data set made (APPI Art.43(3)). */
void route_anonymised(struct request *r)
{
    if (buf_puts(&r->resp, "{\"data_sets\":") || anonymised_published(r->svc, &r->resp) || buf_puts(&r->resp, "}"))
        return req_refuse(r, F_UNAVAILABLE, "the data sets could not be read");
    req_reply(r, 200, "application/json; charset=utf-8");
}

/* GET /.well-known/phr-package-keys: the public keys (a JWKS) that verify
 * the detached JWS on the service's SPHR packages' indexes. */
void route_package_keys(struct request *r)
{
    if (package_keys_jwks(r->svc, &r->resp))
        return req_refuse(r, F_INTERNAL, "out of memory");
    req_reply(r, 200, "application/jwk-set+json");
}
