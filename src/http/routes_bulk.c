/* FHIR Bulk Data export for another provider's client (R4.4), per the
 * Bulk Data Access IG:
 *   GET    /fhir/$export, /fhir/Patient/$export, /fhir/Group/{group}/$export
 *                                                (Prefer: respond-async;
 *          _type, _since, _outputFormat)          202, Content-Location
 *   GET    /fhir/$export-status/{id}             200 with the manifest
 *   DELETE /fhir/$export-status/{id}             202, the export cancelled
 *   GET    /fhir/$export-file/{id}/{Type}.ndjson  the NDJSON, streamed
 * The files are made while they are fetched, so the status is complete at
 * once; see service/bulk.c for why. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "http/internal.h"
#include "util/err.h"

#define FHIR_TYPE "application/fhir+json; charset=utf-8"

/* /fhir/$export, /fhir/Patient/$export, or a recipient group's
 * /fhir/Group/{code}/$export: a recipient group is a Group of the persons
 * it may receive. */
void route_bulk_kickoff(struct request *r)
{
    const char *group = r->rt->arg ? r->param[0] : NULL;
    const char *prefer = req_header(r, "Prefer"), *fmt = req_arg(r, "_outputFormat");
    const char *accept = req_header(r, MHD_HTTP_HEADER_ACCEPT);
    if (!prefer || !strstr(prefer, "respond-async"))
        return req_refuse(r, F_BAD_REQUEST, "a Bulk Data export is asynchronous: send Prefer: respond-async");
    /* The answers to a kick-off are FHIR JSON: a client says it takes them. */
    if (!accept || (!strstr(accept, "application/fhir+json") && !strstr(accept, "*/*")))
        return req_refuse(r, F_NOT_ACCEPTABLE, "a Bulk Data kick-off needs Accept: application/fhir+json");
    if (fmt && strcmp(fmt, "application/fhir+ndjson") && strcmp(fmt, "application/ndjson") && strcmp(fmt, "ndjson"))
        return req_refuse(r, F_UNSUPPORTED_PARAMETER, "_outputFormat must be application/fhir+ndjson");
    char id[ID_LEN + 1], loc[512];
    struct fault fault;
    if (bulk_kickoff(r->svc, &r->actor, group, req_arg(r, "_type"), req_arg(r, "_since"), id, &fault))
        return req_fault(r, &fault);
    snprintf(loc, sizeof loc, "%s/$export-status/%s", req_base_url(r), id);
    if (req_add_header(r, "Content-Location", loc))
        return req_refuse(r, F_INTERNAL, "out of memory");
    buf_puts(&r->resp, "{\"resourceType\":\"OperationOutcome\",\"issue\":[{\"severity\":\"information\","
                       "\"code\":\"informational\",\"diagnostics\":\"the export is ready: poll Content-Location\"}]}");
    req_reply(r, 202, FHIR_TYPE);
}

void route_bulk_cancel(struct request *r)
{
    struct fault fault;
    if (bulk_cancel(r->svc, &r->actor, r->param[0], &fault))
        return req_fault(r, &fault);
    req_reply(r, 202, FHIR_TYPE);
}

void route_bulk_status(struct request *r)
{
    const char *id = r->param[0];
    struct fault fault;
    int64_t expires;
    if (bulk_status(r->svc, &r->actor, id, req_base_url(r), &r->resp, &expires, &fault)) {
        r->resp.len = 0;
        return req_fault(r, &fault);
    }
    char when[64];
    time_t t = (time_t)(expires / 1000);
    struct tm tm;
    strftime(when, sizeof when, "%a, %d %b %Y %H:%M:%S GMT", gmtime_r(&t, &tm));
    if (req_add_header(r, "Expires", when))
        return req_refuse(r, F_INTERNAL, "out of memory");
    req_reply(r, 200, "application/json; charset=utf-8");
}

static int file_piece(void *ctx, struct buf *out)
{
    return bulk_file_next(ctx, out);
}

static void file_end(void *ctx)
{
    bulk_file_close(ctx);
}

/* /fhir/$export-file/{id}/{Type}.ndjson */
void route_bulk_file(struct request *r)
{
    struct bulk_file *b;
    struct fault fault;
    if (bulk_file_open(r->svc, &r->actor, r->param[0], r->param[1], &b, &fault))
        return req_fault(r, &fault);
    req_stream(r, 200, "application/fhir+ndjson", file_piece, file_end, b);
}
