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

static void refuse(struct request *r, int status, const char *code, const char *msg)
{
    struct issue is;
    issue_set(&is, status, code, NULL, "%s", msg);
    req_outcome(r, &is);
}

/* group: the code of /fhir/Group/{code}/$export, or NULL. */
static void kickoff(struct request *r, const char *group)
{
    if (strcmp(r->method, "GET"))
        return refuse(r, 405, "not-supported", "start an export with GET");
    const char *prefer = req_header(r, "Prefer"), *fmt = req_arg(r, "_outputFormat");
    if (!prefer || !strstr(prefer, "respond-async"))
        return refuse(r, 400, "required", "a Bulk Data export is asynchronous: send Prefer: respond-async");
    if (fmt && strcmp(fmt, "application/fhir+ndjson") && strcmp(fmt, "application/ndjson") && strcmp(fmt, "ndjson"))
        return refuse(r, 400, "not-supported", "_outputFormat must be application/fhir+ndjson");
    char id[ID_LEN + 1], loc[512];
    struct issue is;
    if (bulk_kickoff(r->svc, &r->actor, group, req_arg(r, "_type"), req_arg(r, "_since"), id, &is))
        return req_outcome(r, &is);
    snprintf(loc, sizeof loc, "%s/$export-status/%s", req_base_url(r), id);
    if (req_add_header(r, "Content-Location", loc))
        return refuse(r, 500, "exception", "out of memory");
    buf_puts(&r->resp, "{\"resourceType\":\"OperationOutcome\",\"issue\":[{\"severity\":\"information\","
                       "\"code\":\"informational\",\"diagnostics\":\"the export is ready: poll Content-Location\"}]}");
    req_reply(r, 202, FHIR_TYPE);
}

static void status(struct request *r, const char *id)
{
    struct issue is;
    if (!strcmp(r->method, "DELETE")) {
        if (bulk_cancel(r->svc, &r->actor, id, &is))
            return req_outcome(r, &is);
        return req_reply(r, 202, FHIR_TYPE);
    }
    if (strcmp(r->method, "GET"))
        return refuse(r, 405, "not-supported", "poll with GET, cancel with DELETE");
    int64_t expires;
    if (bulk_status(r->svc, &r->actor, id, req_base_url(r), &r->resp, &expires, &is)) {
        r->resp.len = 0;
        return req_outcome(r, &is);
    }
    char when[64];
    time_t t = (time_t)(expires / 1000);
    struct tm tm;
    strftime(when, sizeof when, "%a, %d %b %Y %H:%M:%S GMT", gmtime_r(&t, &tm));
    if (req_add_header(r, "Expires", when))
        return refuse(r, 500, "exception", "out of memory");
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

static void file(struct request *r, const char *id, const char *name)
{
    if (strcmp(r->method, "GET"))
        return refuse(r, 405, "not-supported", "fetch a file with GET");
    size_t n = strlen(name);
    char type[32];
    if (n <= 7 || n - 7 >= sizeof type || strcmp(name + n - 7, ".ndjson"))
        return refuse(r, 404, "not-found", "no such file");
    memcpy(type, name, n - 7);
    type[n - 7] = '\0';
    struct bulk_file *b;
    struct issue is;
    if (bulk_file_open(r->svc, &r->actor, id, type, &b, &is))
        return req_outcome(r, &is);
    req_stream(r, 200, "application/fhir+ndjson", file_piece, file_end, b);
}

void routes_bulk(struct request *r, const char *rest)
{
    if (!strcmp(rest, "/$export") || !strcmp(rest, "/Patient/$export")) {
        r->route = !strcmp(rest, "/$export") ? "/fhir/$export" : "/fhir/Patient/$export";
        return kickoff(r, NULL);
    }
    /* A recipient group is a Group of the persons it may receive. */
    size_t glen = !strncmp(rest, "/Group/", 7) ? strcspn(rest + 7, "/") : 0;
    if (glen && glen <= 32 && !strcmp(rest + 7 + glen, "/$export")) {
        char group[33];
        memcpy(group, rest + 7, glen);
        group[glen] = '\0';
        r->route = "/fhir/Group/{id}/$export";
        return kickoff(r, group);
    }
    char id[ID_LEN + 1];
    const char *tail = NULL;
    if (!strncmp(rest, "/$export-status/", 16)) {
        r->route = "/fhir/$export-status/{id}";
        tail = rest + 16;
    } else if (!strncmp(rest, "/$export-file/", 14)) {
        r->route = "/fhir/$export-file/{id}/{type}.ndjson";
        tail = rest + 14;
    }
    size_t n = tail ? strcspn(tail, "/") : 0;
    if (!tail || n != ID_LEN)
        return refuse(r, 404, "not-found", "no such export");
    memcpy(id, tail, n);
    id[n] = '\0';
    if (!strncmp(rest, "/$export-status/", 16))
        return tail[n] ? refuse(r, 404, "not-found", "no such export") : status(r, id);
    if (tail[n] != '/')
        return refuse(r, 404, "not-found", "no such file");
    file(r, id, tail + n + 1);
}
