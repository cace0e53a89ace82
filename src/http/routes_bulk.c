/* FHIR Bulk Data export for another provider's client (R4.4), per the
 * Bulk Data Access IG:
 *   GET or POST (a Parameters body)
 *          /fhir/$export, /fhir/Patient/$export, /fhir/Group/{group}/$export
 *                                                (Prefer: respond-async;
 *          _type, _since, _outputFormat, _elements, patient; _typeFilter
 *          only with Prefer: handling=lenient)   202, Content-Location
 *   GET    /fhir/$export-status/{id}             200 with the manifest
 *   DELETE /fhir/$export-status/{id}             202, the export cancelled
 *   GET    /fhir/$export-file/{id}/{Type}.ndjson  the NDJSON, streamed
 * The files are made while they are fetched, so the status is complete at
 * once; see service/bulk.c for why. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "formats/json.h"
#include "http/internal.h"
#include "util/err.h"


/* A kick-off's parameters, from the query (GET) or a Parameters body
 * (POST); several _type, _elements or patient values are joined. */
struct kickoff {
    struct buf types, elements, patients, since, format; /* copies: a POST body's strings go with it */
    int has_since, has_format, type_filter, unknown;
    char unknown_name[40];
};

static void kickoff_free(struct kickoff *k)
{
    buf_free(&k->types);
    buf_free(&k->elements);
    buf_free(&k->patients);
    buf_free(&k->since);
    buf_free(&k->format);
}

static int set(struct buf *b, int *has, const char *v)
{
    buf_reset(b);
    *has = 1;
    return buf_puts(b, v) ? -1 : 0;
}

static int join(struct buf *b, const char *v)
{
    return (b->len && buf_puts(b, ",")) || buf_puts(b, v) ? -1 : 0;
}

/* One parameter; 0, or -1 out of memory. */
static int take(struct kickoff *k, const char *name, const char *value)
{
    if (!value)
        value = "";
    if (!strcmp(name, "_type"))
        return join(&k->types, value);
    if (!strcmp(name, "_elements"))
        return join(&k->elements, value);
    if (!strcmp(name, "patient"))
        return join(&k->patients, strncmp(value, "Patient/", 8) ? value : value + 8);
    if (!strcmp(name, "_since"))
        return set(&k->since, &k->has_since, value);
    if (!strcmp(name, "_outputFormat"))
        return set(&k->format, &k->has_format, value);
    if (!strcmp(name, "_typeFilter"))
        k->type_filter = 1;
    else if (strcmp(name, "includeAssociatedData") && !k->unknown++)
        snprintf(k->unknown_name, sizeof k->unknown_name, "%s", name);
    return 0;
}

static enum MHD_Result query_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    return take(cls, key, value) ? MHD_NO : MHD_YES;
}

/* {"resourceType":"Parameters","parameter":[{"name", "value[x]"}]}. */
static int parameters(struct request *r, struct kickoff *k, struct fault *fault)
{
    json_object *o = json_parse_strict(buf_cstr(&r->body) ? buf_cstr(&r->body) : "", r->body.len, fault);
    if (!o)
        return -1;
    json_object *list;
    const char *rt = json_get_str(o, "resourceType");
    int rc = 0;
    if (!rt || strcmp(rt, "Parameters")) {
        rc = fault_set(fault, F_INVALID_STRUCTURE, "resourceType", "send a Parameters resource");
    } else if (json_object_object_get_ex(o, "parameter", &list)) {
        for (size_t i = 0; !rc && json_object_is_type(list, json_type_array) && i < json_object_array_length(list);
             i++) {
            json_object *p = json_object_array_get_idx(list, i), *ref;
            const char *name = json_get_str(p, "name"), *value = NULL;
            static const char *const kinds[] = {"valueString", "valueInstant", "valueDateTime", "valueCode", "valueUri"};
            for (size_t j = 0; !value && j < sizeof kinds / sizeof kinds[0]; j++)
                value = json_get_str(p, kinds[j]);
            if (!value && json_object_object_get_ex(p, "valueReference", &ref))
                value = json_get_str(ref, "reference");
            if (!name)
                rc = fault_set(fault, F_INVALID_STRUCTURE, "parameter.name", "each parameter needs a name");
            else if (take(k, name, value))
                rc = fault_set(fault, F_INTERNAL, NULL, "out of memory");
        }
    }
    json_object_put(o);
    return rc;
}

/* /fhir/$export, /fhir/Patient/$export, or a recipient group's
 * /fhir/Group/{code}/$export, by GET or POST: a recipient group is a Group
 * of the persons it may receive. */
void route_bulk_kickoff(struct request *r)
{
    const char *group = r->rt->arg && !strcmp(r->rt->arg, "group") ? r->param[0] : NULL;
    const char *prefer = req_header(r, "Prefer"), *accept = req_header(r, MHD_HTTP_HEADER_ACCEPT);
    if (!prefer || !strstr(prefer, "respond-async"))
        return req_refuse(r, F_BAD_REQUEST, "a Bulk Data export is asynchronous: send Prefer: respond-async");
    /* The answers to a kick-off are FHIR JSON: a client says it takes them. */
    if (!accept || (!strstr(accept, "application/fhir+json") && !strstr(accept, "*/*")))
        return req_refuse(r, F_NOT_ACCEPTABLE, "a Bulk Data kick-off needs Accept: application/fhir+json");
    struct kickoff k = {0};
    buf_init(&k.types);
    buf_init(&k.elements);
    buf_init(&k.patients);
    buf_init(&k.since);
    buf_init(&k.format);
    struct fault fault;
    int post = !strcmp(r->method, "POST");
    if (post ? parameters(r, &k, &fault) != 0
             : MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, query_arg, &k) < 0) {
        kickoff_free(&k);
        return req_fault(r, &fault);
    }
    int lenient = strstr(prefer, "handling=lenient") != NULL;
    if (buf_failed(&k.types) || buf_failed(&k.elements) || buf_failed(&k.patients) || buf_failed(&k.since) ||
        buf_failed(&k.format)) {
        kickoff_free(&k);
        return req_refuse(r, F_INTERNAL, "out of memory");
    }
    if (k.unknown && !lenient) {
        req_refuse(r, F_UNSUPPORTED_PARAMETER, "'%s' is not a Bulk Data kick-off parameter this server takes",
                   k.unknown_name);
        return kickoff_free(&k);
    }
    const char *format = k.has_format ? buf_cstr(&k.format) : NULL;
    if (format && strcmp(format, "application/fhir+ndjson") && strcmp(format, "application/ndjson") &&
        strcmp(format, "ndjson")) {
        kickoff_free(&k);
        return req_refuse(r, F_UNSUPPORTED_PARAMETER, "_outputFormat must be application/fhir+ndjson");
    }
    char ignored[80];
    snprintf(ignored, sizeof ignored, "%s%s%s", k.type_filter ? "_typeFilter" : "",
             k.type_filter && k.unknown ? "," : "", k.unknown ? k.unknown_name : "");
    struct bulk_request q = {
        .group = group, .patient_level = group || (r->rt->arg && !strcmp(r->rt->arg, "patient")),
        .types = k.types.len ? buf_cstr(&k.types) : NULL, .since = k.has_since ? buf_cstr(&k.since) : NULL,
        .elements = k.elements.len ? buf_cstr(&k.elements) : NULL,
        .patients = k.patients.len ? buf_cstr(&k.patients) : NULL, .type_filter = k.type_filter, .lenient = lenient,
        .ignored = ignored,
    };
    char id[ID_LEN + 1], loc[512];
    int rc = bulk_kickoff(r->svc, &r->actor, &q, id, &fault);
    kickoff_free(&k);
    if (rc)
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

/* 202 with X-Progress while the export is prepared, then the manifest. */
void route_bulk_status(struct request *r)
{
    const char *id = r->param[0];
    struct fault fault;
    int64_t expires;
    int pending;
    if (bulk_status(r->svc, &r->actor, id, req_base_url(r), &r->resp, &expires, &pending, &fault)) {
        r->resp.len = 0;
        return req_fault(r, &fault);
    }
    if (pending) {
        if (req_add_header(r, "X-Progress", "counting what each person's consent covers") ||
            req_add_header(r, "Retry-After", "1"))
            return req_refuse(r, F_INTERNAL, "out of memory");
        return req_reply(r, 202, NULL);
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
    if (bulk_file_open(r->svc, &r->actor, r->param[0], r->param[1], req_base_url(r), &b, &fault))
        return req_fault(r, &fault);
    req_stream(r, 200, "application/fhir+ndjson", file_piece, file_end, b);
}
