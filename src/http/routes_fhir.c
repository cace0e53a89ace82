/* /fhir: FHIR R4 REST for the resources served so far. Errors are
 * OperationOutcome resources. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "formats/search.h"
#include "formats/form.h"
#include "http/internal.h"
#include "util/clock.h"
#include "util/err.h"

#define MAX_SEARCH_ARGS 32

static void set_version_headers(struct request *r, const char *id, int version, int location)
{
    char etag[32], loc[400];
    snprintf(etag, sizeof etag, "W/\"%d\"", version);
    req_add_header(r, MHD_HTTP_HEADER_ETAG, etag);
    if (location) {
        snprintf(loc, sizeof loc, "%s/Observation/%s/_history/%d", req_base_url(r), id, version);
        req_add_header(r, MHD_HTTP_HEADER_LOCATION, loc);
    }
}

static void finish_body(struct request *r, int status)
{
    const struct op_result *res = op_result(r->op);
    if (res->err)
        return req_fault(r, &res->fault);
    int err = op_render(r->op, &r->resp);
    if (err == PHR_ENOTFOUND) {
        /* The person was erased between the read and the opening: their
         * key is gone, and so, a moment later, are the rows. */
        r->resp.len = 0;
        return req_refuse(r, F_NOT_FOUND, "no such resource");
    }
    if (err != PHR_OK) {
        r->resp.len = 0;
        return req_refuse(r, F_INTERNAL, "the record could not be opened");
    }
    req_reply(r, status, FHIR_TYPE);
}

/* What a write answers with, as Prefer: return= asks (FHIR R4 §3.1.0.8):
 * the resource (representation, the default), nothing (minimal), or an
 * OperationOutcome saying what was done. */
static void finish_written(struct request *r, int status)
{
    const struct op_result *res = op_result(r->op);
    if (res->err)
        return finish_body(r, status);
    set_version_headers(r, res->id, res->version, 1);
    const char *prefer = req_header(r, "Prefer");
    if (prefer && strstr(prefer, "return=minimal")) {
        buf_reset(&r->resp);
        return req_reply(r, status, NULL);
    }
    if (prefer && strstr(prefer, "return=OperationOutcome")) {
        buf_reset(&r->resp);
        buf_printf(&r->resp,
                   "{\"resourceType\":\"OperationOutcome\",\"issue\":[{\"severity\":\"information\","
                   "\"code\":\"informational\",\"diagnostics\":\"Observation/%s version %d %s\"}]}",
                   res->id, res->version, status == 201 ? "created" : "recorded");
        return buf_failed(&r->resp) ? req_refuse(r, F_INTERNAL, "out of memory") : req_reply(r, status, FHIR_TYPE);
    }
    finish_body(r, status);
}

static void finish_create(struct request *r)
{
    finish_written(r, op_result(r->op)->existing ? 200 : 201);
}

static void finish_update(struct request *r)
{
    finish_written(r, 200);
}

static void finish_read(struct request *r)
{
    finish_body(r, 200);
}

static int fhir_body_type(struct request *r)
{
    const char *ct = req_header(r, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (ct && (strncasecmp(ct, "application/fhir+json", 21) == 0 || strncasecmp(ct, "application/json", 16) == 0))
        return 1;
    req_refuse(r, F_MEDIA_TYPE, "send application/fhir+json");
    return 0;
}

/* If-Match: W/"3" -> 3; 0 if absent, -1 if malformed. */
static int if_match(struct request *r)
{
    const char *h = req_header(r, MHD_HTTP_HEADER_IF_MATCH);
    if (!h)
        return 0;
    if (strncmp(h, "W/", 2) == 0)
        h += 2;
    char *end;
    if (*h != '"')
        return -1;
    long v = strtol(h + 1, &end, 10);
    if (v < 1 || v > 1000000 || strcmp(end, "\"") != 0)
        return -1;
    return (int)v;
}

struct args {
    struct search_arg a[MAX_SEARCH_ARGS];
    int n, overflow;
};

static enum MHD_Result collect(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    struct args *g = cls;
    if (g->n == MAX_SEARCH_ARGS) {
        g->overflow = 1;
        return MHD_NO;
    }
    g->a[g->n].key = key;
    g->a[g->n].value = value;
    g->n++;
    return MHD_YES;
}

/* A search of type (NULL: across types) whose links begin with path;
 * compartment: the patient the path names (R4 3.1.1.2.1); taken: a
 * parameter the operation answered itself, not the search's (NULL: none). */
static void search(struct request *r, const char *type, const char *path, const char *compartment, int everything,
                   const char *taken)
{
    struct args g = {.n = 0};
    MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, collect, &g);
    if (g.overflow)
        return req_refuse(r, F_BAD_REQUEST, "too many search parameters");
    for (int i = 0; taken && i < g.n; i++)
        if (!strcmp(g.a[i].key, taken))
            g.a[i--] = g.a[--g.n];
    const char *prefer = req_header(r, "Prefer");
    struct search_context cx = {.type = type, .tz_offset_min = service_config(r->svc)->tz_offset_min,
                                .now_ms = clock_now_ms(), .strict = prefer && strstr(prefer, "handling=strict"),
                                .everything = everything};
    struct search_params p;
    struct fault fault;
    if (search_parse(g.a, g.n, &cx, &p, &fault) != 0) {
        search_params_free(&p);
        return req_fault(r, &fault);
    }
    if (compartment && p.patient && strcmp(p.patient, compartment)) {
        search_params_free(&p);
        return req_refuse(r, F_BAD_REQUEST, "the compartment names the patient already");
    }
    if (compartment)
        p.patient = compartment;
    /* An app's token acts for one person: that person, unless named. */
    if (!p.patient && r->actor.patient)
        p.patient = r->actor.patient;
    /* The query the links repeat: the parameters applied, but _page. */
    struct buf query;
    buf_init(&query);
    int err = buf_puts(&query, path);
    int first = 1;
    for (int i = 0; i < g.n && !err; i++) {
        if (strcmp(g.a[i].key, "_page") == 0 || search_ignored(&p, g.a[i].key))
            continue;
        err = buf_puts(&query, first ? "?" : "&") || form_encode(&query, g.a[i].key) || buf_puts(&query, "=") ||
              form_encode(&query, g.a[i].value ? g.a[i].value : "");
        first = 0;
    }
    struct op *op = NULL;
    if (err || records_search(r->svc, &r->actor, &p, req_base_url(r), buf_cstr(&query), &op, &fault) != 0) {
        buf_free(&query);
        search_params_free(&p);
        if (err)
            return req_refuse(r, F_INTERNAL, "out of memory");
        return req_fault(r, &fault);
    }
    buf_free(&query);
    search_params_free(&p);
    req_submit(r, op, finish_read);
}

/* GET /fhir/{type}, or GET /fhir/Patient/{id}/{type}: the same search in
 * the patient's compartment. */
void route_fhir_search(struct request *r)
{
    const char *type = r->rt->arg;
    if (strncmp(r->rt->path, "/fhir/Patient/", 14))
        return search(r, type, type, NULL, 0, NULL);
    struct buf path;
    buf_init(&path);
    if (buf_printf(&path, "Patient/%s/%s", r->param[0], type))
        req_refuse(r, F_INTERNAL, "out of memory");
    else
        search(r, type, buf_cstr(&path), r->param[0], 0, NULL);
    buf_free(&path);
}

/* GET /fhir?_type=…: every record type (or those named) at once. */
void route_fhir_search_all(struct request *r)
{
    search(r, NULL, "", NULL, 0, NULL);
}

/* The context a condition is read in: an Observation of the caller's. */
static struct search_context condition_context(struct request *r)
{
    return (struct search_context){.type = "Observation", .tz_offset_min = service_config(r->svc)->tz_offset_min,
                                   .now_ms = clock_now_ms(), .strict = 1};
}

void route_fhir_create(struct request *r)
{
    struct op *op = NULL;
    struct fault fault = {0};
    if (!fhir_body_type(r))
        return;
    const char *ine = req_header(r, "If-None-Exist");
    struct search_params *cond = NULL;
    struct search_context cx = condition_context(r);
    if (ine && !(cond = search_condition(ine, &cx, "If-None-Exist", &fault)))
        return req_fault(r, &fault);
    /* An app's reading is recorded as the app's (recorded_by), by channel. */
    const char *channel = r->actor.kind == ACTOR_RECIPIENT ? "app" : "fhir-api";
    if (records_create(r->svc, &r->actor, NULL, buf_cstr(&r->body), r->body.len, channel, cond, &op, &fault) != 0)
        return req_fault(r, &fault);
    req_submit(r, op, finish_create);
}

/* A transaction-response or batch-response: each entry's resource and
 * response, or (a batch's entry that failed) its status and outcome. */
static void finish_bundle(struct request *r)
{
    const struct op_result *res = op_result(r->op);
    if (res->err)
        return req_fault(r, &res->fault);
    int transaction, n = records_bundle_size(r->op, &transaction);
    struct buf *b = &r->resp;
    int err = buf_printf(b, "{\"resourceType\":\"Bundle\",\"type\":\"%s-response\",\"entry\":[",
                         transaction ? "transaction" : "batch");
    for (int i = 0; i < n && !err; i++) {
        struct op *sub;
        int created;
        const struct fault *f = records_bundle_part(r->op, i, &sub, &created);
        if (f->code) {
            err = buf_printf(b, "%s{\"response\":{\"status\":\"%d\",\"outcome\":", i ? "," : "",
                             fault_status(f->code)) ||
                  fault_body(f, 1, 0, b) || buf_puts(b, "}}");
            continue;
        }
        const struct op_result *s = op_result(sub);
        err = buf_printf(b, "%s{\"fullUrl\":", i ? "," : "") || buf_puts(b, "\"") ||
              buf_json_escape(b, req_base_url(r), strlen(req_base_url(r))) ||
              buf_printf(b, "/Observation/%s\",\"resource\":", s->id) || op_render(sub, b) ||
              buf_printf(b,
                         ",\"response\":{\"status\":\"%s\",\"location\":\"Observation/%s/_history/%d\","
                         "\"etag\":\"W/\\\"%d\\\"\"}}",
                         created ? "201 Created" : "200 OK", s->id, s->version, s->version);
    }
    if (err || buf_puts(b, "]}")) {
        r->resp.len = 0;
        return req_refuse(r, F_INTERNAL, "the answer could not be written");
    }
    req_reply(r, 200, FHIR_TYPE);
}

/* POST /fhir: a transaction (all or nothing) or a batch of Observation
 * writes (service/transactions.c). */
void route_fhir_bundle(struct request *r)
{
    struct op *op = NULL;
    struct fault fault = {0};
    if (!fhir_body_type(r))
        return;
    if (records_bundle(r->svc, &r->actor, buf_cstr(&r->body), r->body.len, &op, &fault) != 0)
        return req_fault(r, &fault);
    req_submit(r, op, finish_bundle);
}

/* Whether a conditional read is answered 304 (RFC 9110 §13.1):
 * If-None-Match naming this version's ETag (or *), or else If-Modified-Since
 * no earlier than the version's time. */
static int not_modified(struct request *r, const char *etag, int64_t modified_ms)
{
    const char *none_match = req_header(r, MHD_HTTP_HEADER_IF_NONE_MATCH);
    if (none_match) {
        /* Weak comparison: W/"3" and "3" name the same version. */
        const char *bare = etag + 2;
        for (const char *p = none_match; *p;) {
            while (*p == ' ' || *p == ',')
                p++;
            size_t n = strcspn(p, ",");
            while (n && p[n - 1] == ' ')
                n--;
            const char *tag = n > 2 && !strncmp(p, "W/", 2) ? p + 2 : p;
            size_t tn = n - (size_t)(tag - p);
            if ((n == 1 && *p == '*') || (tn == strlen(bare) && !strncmp(tag, bare, tn)))
                return 1;
            p += strcspn(p, ",");
        }
        return 0;
    }
    const char *since = req_header(r, MHD_HTTP_HEADER_IF_MODIFIED_SINCE);
    struct tm tm = {0};
    const char *end = since ? strptime(since, "%a, %d %b %Y %H:%M:%S GMT", &tm) : NULL;
    return end && !*end && (int64_t)timegm(&tm) >= modified_ms / 1000;
}

/* A record: its version's ETag and Last-Modified, and 304 to a client that
 * has it already. */
static void finish_record(struct request *r)
{
    const struct op_result *res = op_result(r->op);
    if (res->err || !res->version)
        return finish_read(r);
    char etag[32], when[64];
    snprintf(etag, sizeof etag, "W/\"%d\"", res->version);
    time_t t = (time_t)(res->modified_at / 1000);
    struct tm tm;
    strftime(when, sizeof when, "%a, %d %b %Y %H:%M:%S GMT", gmtime_r(&t, &tm));
    if (req_add_header(r, MHD_HTTP_HEADER_ETAG, etag) || req_add_header(r, MHD_HTTP_HEADER_LAST_MODIFIED, when))
        return req_refuse(r, F_INTERNAL, "out of memory");
    if (not_modified(r, etag, res->modified_at)) {
        buf_reset(&r->resp);
        return req_reply(r, 304, NULL);
    }
    finish_read(r);
}

static void read_version(struct request *r, int version)
{
    struct op *op = NULL;
    struct fault fault;
    if (records_read(r->svc, &r->actor, r->rt->arg, r->param[0], version, &op, &fault) != 0)
        return req_fault(r, &fault);
    req_submit(r, op, finish_record);
}

void route_fhir_read(struct request *r)
{
    read_version(r, 0);
}

void route_fhir_vread(struct request *r)
{
    char *end;
    long v = strtol(r->param[1], &end, 10);
    if (*end || v < 1 || v > 1000000)
        return req_refuse(r, F_NOT_FOUND, "no such version of this record");
    read_version(r, (int)v);
}

void route_fhir_update(struct request *r)
{
    struct op *op = NULL;
    struct fault fault;
    int v = if_match(r);
    if (v < 0)
        return req_refuse(r, F_BAD_REQUEST, "If-Match must be a version ETag such as W/\"2\"");
    if (!fhir_body_type(r))
        return;
    if (records_update(r->svc, &r->actor, r->param[0], 0, v, buf_cstr(&r->body), r->body.len, "fhir-api", &op,
                       &fault) != 0)
        return req_fault(r, &fault);
    req_submit(r, op, finish_update);
}

/* PUT /fhir/Observation?identifier=…: the one record of the person's the
 * query names is corrected; none: created (with the query as its
 * If-None-Exist, so that two at once create one); several: 412. */
void route_fhir_conditional_update(struct request *r)
{
    struct op *op = NULL;
    struct fault fault = {0};
    int v = if_match(r);
    if (v < 0)
        return req_refuse(r, F_BAD_REQUEST, "If-Match must be a version ETag such as W/\"2\"");
    if (!fhir_body_type(r))
        return;
    struct args g = {.n = 0};
    MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, collect, &g);
    if (g.overflow)
        return req_refuse(r, F_BAD_REQUEST, "too many search parameters");
    struct search_context cx = condition_context(r);
    struct search_params *cond = search_condition_args(g.a, g.n, &cx, "Observation?", &fault);
    if (!cond)
        return req_fault(r, &fault);
    char id[ID_LEN + 1];
    int n = 0;
    if (records_match(r->svc, r->actor.id, cond, id, &n) != 0) {
        search_params_drop(cond);
        return req_refuse(r, F_UNAVAILABLE, "the store is not available");
    }
    if (n > 1) {
        search_params_drop(cond);
        return req_refuse(r, F_CONDITION_AMBIGUOUS, "more than one record matches the query: nothing was changed");
    }
    if (n == 0) {
        if (records_create(r->svc, &r->actor, NULL, buf_cstr(&r->body), r->body.len, "fhir-api", cond, &op, &fault))
            return req_fault(r, &fault);
        return req_submit(r, op, finish_create);
    }
    search_params_drop(cond);
    if (records_update(r->svc, &r->actor, id, 1, v, buf_cstr(&r->body), r->body.len, "fhir-api", &op, &fault) != 0)
        return req_fault(r, &fault);
    req_submit(r, op, finish_update);
}

void route_fhir_history(struct request *r)
{
    struct op *op = NULL;
    struct fault fault;
    if (records_history(r->svc, &r->actor, r->rt->arg, r->param[0], req_base_url(r), &op, &fault) != 0)
        return req_fault(r, &fault);
    req_submit(r, op, finish_read);
}

/* ?patient=[Patient/]id, defaulting to oneself. */
static const char *patient_arg(struct request *r)
{
    const char *patient = req_arg(r, "patient");
    if (patient && strncmp(patient, "Patient/", 8) == 0)
        patient += 8;
    return patient ? patient : r->auth.person_id;
}

/* The consent ledger as Consent resources; a patient names nobody else
 * (404, as for records). */
void route_fhir_consents(struct request *r)
{
    struct op *op;
    struct fault fault;
    if (consent_read(r->svc, &r->actor, patient_arg(r), 1, req_base_url(r), &op, &fault) != 0)
        return req_fault(r, &fault);
    req_submit(r, op, finish_read);
}

/* Provision records as Provenance: to whom the person's records went. */
void route_fhir_provenance(struct request *r)
{
    struct op *op;
    struct fault fault;
    if (provisions_read(r->svc, &r->actor, patient_arg(r), 1, req_base_url(r), &op, &fault) != 0)
        return req_fault(r, &fault);
    req_submit(r, op, finish_read);
}

/* Who else touched the person's data: staff, the operator, recipients,
 * other persons' refused attempts. */
void route_fhir_audit_events(struct request *r)
{
    struct op *op;
    struct fault fault;
    if (access_log_read(r->svc, &r->actor, patient_arg(r), req_base_url(r), &op, &fault) != 0)
        return req_fault(r, &fault);
    req_submit(r, op, finish_read);
}

static void finish_not_found(struct request *r)
{
    req_refuse(r, F_NOT_FOUND, "no such patient");
}

/* The person as the service knows them (an id), and everything of theirs
 * ($everything, R4.3): only one's own. Anyone else's id is 404, the same
 * as an id that names no one, and the attempt is recorded. */
static int own_patient(struct request *r, enum action act)
{
    if (!strcmp(r->param[0], r->auth.person_id))
        return 1;
    struct op *op;
    struct fault fault;
    if (service_refusal(r->svc, &r->actor, act, r->param[0], "not-own", &op, &fault) != 0)
        req_fault(r, &fault);
    else
        req_submit(r, op, finish_not_found);
    return 0;
}

void route_fhir_patient(struct request *r)
{
    struct op *op;
    struct fault fault;
    if (patient_read(r->svc, &r->actor, r->param[0], &op, &fault) != 0)
        return req_fault(r, &fault);
    req_submit(r, op, finish_read);
}

/* GET /fhir/Patient?_id=…: the caller's Patient (or the one named). */
void route_fhir_patient_search(struct request *r)
{
    struct args g = {.n = 0};
    MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, collect, &g);
    const char *id = NULL;
    for (int i = 0; i < g.n; i++) {
        if (!strcmp(g.a[i].key, "_id") && !id && g.a[i].value && *g.a[i].value)
            id = g.a[i].value;
        else if (strcmp(g.a[i].key, "_count") && strcmp(g.a[i].key, "_format") && strcmp(g.a[i].key, "_pretty"))
            return req_refuse(r, F_UNSUPPORTED_PARAMETER, "a Patient search takes _id (once) only");
    }
    if (id && !id_is_uuid(id)) {
        /* No one has such an id: nothing found, and no one to record it of. */
        buf_puts(&r->resp, "{\"resourceType\":\"Bundle\",\"type\":\"searchset\",\"total\":0,\"entry\":[]}");
        return req_reply(r, 200, FHIR_TYPE);
    }
    struct op *op;
    struct fault fault;
    if (patient_search(r->svc, &r->actor, id, req_base_url(r), &op, &fault) != 0)
        return req_fault(r, &fault);
    req_submit(r, op, finish_read);
}

/* Everything of the person's (R4.3): the Patient and every record, a
 * searchset paged as any search (_count, _since, _type, start, end). */
static void everything(struct request *r, const char *taken)
{
    if (!own_patient(r, ACT_RECORD_SEARCH))
        return;
    struct buf path;
    buf_init(&path);
    if (buf_printf(&path, "Patient/%s/$everything", r->param[0]))
        req_refuse(r, F_INTERNAL, "out of memory");
    else
        search(r, NULL, buf_cstr(&path), r->param[0], 1, taken);
    buf_free(&path);
}

void route_fhir_everything(struct request *r)
{
    everything(r, NULL);
}

void route_fhir_sphr(struct request *r)
{
    routes_export_provided(r, r->param[0]);
}

/* Patient/$phr-export (HL7's PHR IG): the person's whole record as
 * outputFormat asks — bundle (the default: $everything, its parameters
 * with it), ndjson or phr (a .phr file: NDJSON with its cover page), sphr
 * (the package). A recipient is given the package only: what the person's
 * consent provides to it, as $sphr. */
void route_fhir_phr_export(struct request *r)
{
    static const struct {
        const char *name;
        int format; /* an export_format, or -1: the Bundle */
    } outputs[] = {{"bundle", -1}, {"ndjson", EXPORT_PHR}, {"phr", EXPORT_PHR}, {"sphr", EXPORT_SPHR}};
    const char *asked = req_arg(r, "outputFormat");
    int format = -2;
    for (size_t i = 0; i < sizeof outputs / sizeof outputs[0]; i++)
        if (!asked || !strcmp(asked, outputs[i].name)) {
            format = outputs[i].format;
            break;
        }
    if (format == -2)
        return req_refuse(r, F_UNSUPPORTED_PARAMETER, "outputFormat is bundle (the default), ndjson, phr or sphr");
    if (r->auth.recipient_id[0])
        return format == EXPORT_SPHR ? routes_export_provided(r, r->param[0])
                                     : req_refuse(r, F_UNSUPPORTED_PARAMETER,
                                                  "another provider's client is given outputFormat=sphr only: the "
                                                  "package of what the person's consent provides to it");
    if (format == -1)
        return everything(r, "outputFormat");
    struct args g = {.n = 0};
    MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, collect, &g);
    for (int i = 0; i < g.n; i++)
        if (strcmp(g.a[i].key, "outputFormat") && strcmp(g.a[i].key, "_format"))
            return req_refuse(r, F_UNSUPPORTED_PARAMETER,
                              "a .phr file or a package holds the whole record: only outputFormat=bundle takes "
                              "$everything's parameters (_since, _type, start, end)");
    if (own_patient(r, ACT_RECORD_SEARCH))
        routes_export(r, (enum export_format)format, NULL);
}
