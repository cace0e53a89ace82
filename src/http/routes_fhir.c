/* /fhir: FHIR R4 REST for the resources served so far. Errors are
 * OperationOutcome resources. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "formats/search.h"
#include "formats/vitals.h"
#include "formats/form.h"
#include "http/internal.h"
#include "util/err.h"

#define FHIR_TYPE "application/fhir+json; charset=utf-8"
#define MAX_SEARCH_ARGS 32

/* What every record type's search takes besides its own parameters. */
#define PAGING                                                                                                   \
    "{\"name\":\"_id\",\"type\":\"token\"},"                                                                     \
    "{\"name\":\"_count\",\"type\":\"number\",\"documentation\":\"at most 500 a page (more is clamped); the "      \
    "Bundle's links page on: they hold while records are added or corrected (the records as they stood at the "   \
    "first page), for a day, to the caller that got them\"},"                                                       \
    "{\"name\":\"_sort\",\"type\":\"string\",\"documentation\":\"up to three of date, _lastUpdated, code, _id, "    \
    "- for descending; -date by default\"},"                                                                        \
    "{\"name\":\"_total\",\"type\":\"token\",\"documentation\":\"accurate counts every match; otherwise total is " \
    "given when the first page is the last\"}"

void route_fhir_metadata(struct request *r)
{
    int n;
    const struct vital_kind *k = vitals_kinds(&n);
    struct buf *b = &r->resp;
    buf_puts(b, "{\"resourceType\":\"CapabilityStatement\",\"status\":\"active\",\"date\":\"2026-11-24\","
                "\"kind\":\"instance\",\"instantiates\":[\"http://hl7.org/fhir/uv/bulkdata/CapabilityStatement/"
                "bulk-data\"],\"software\":{\"name\":\"phr\",\"version\":\"" PHR_VERSION "\"},"
                "\"implementation\":{\"description\":\"PHR service\",\"url\":");
    buf_json_str(b, req_base_url(r));
    buf_puts(b, "},\"fhirVersion\":\"4.0.1\",\"format\":[\"application/fhir+json\",\"json\"],"
                "\"rest\":[{\"mode\":\"server\",\"security\":{\"cors\":true,\"extension\":[{\"url\":"
                "\"http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris\",\"extension\":[");
    static const struct {
        const char *name, *path;
    } uris[] = {{"authorize", "/api/v1/authorize"}, {"token", "/api/v1/token"}, {"revoke", "/api/v1/revoke"},
                {"introspect", "/api/v1/introspect"}};
    for (size_t i = 0; i < sizeof uris / sizeof uris[0]; i++) {
        char url[300];
        req_own_url(r, uris[i].path, url, sizeof url);
        buf_printf(b, "%s{\"url\":\"%s\",\"valueUri\":", i ? "," : "", uris[i].name);
        buf_json_str(b, url);
        buf_puts(b, "}");
    }
    buf_puts(b, "]}],\"service\":[{\"coding\":[{"
                "\"system\":\"http://terminology.hl7.org/CodeSystem/restful-security-service\","
                "\"code\":\"SMART-on-FHIR\"}],\"text\":\"SMART App Launch (standalone patient launch, code with "
                "PKCE S256) for apps a person approves in the portal; SMART Backend Services (client_credentials "
                "with private_key_jwt or a client secret) for other providers' systems; a person's bearer session "
                "from POST /api/v1/login\"}],"
                "\"description\":\"A person reaches only their own records; another provider's client reads "
                "only what its token's scopes name and a live consent provides to it.\"},"
                "\"resource\":[{\"type\":\"Observation\",\"conditionalRead\":\"full-support\","
                "\"supportedProfile\":[\"http://hl7.org/fhir/StructureDefinition/vitalsigns\","
                "\"http://jpfhir.jp/fhir/core/StructureDefinition/JP_Observation_VitalSigns\"],"
                "\"documentation\":\"Self-measured vital signs. Supported LOINC codes:");
    for (int i = 0; i < n; i++)
        buf_printf(b, "%s %s (%s)", i ? "," : "", k[i].code, k[i].display);
    buf_puts(b, ".\",\"interaction\":[{\"code\":\"read\"},{\"code\":\"vread\"},{\"code\":\"update\"},"
                "{\"code\":\"history-instance\"},{\"code\":\"create\"},{\"code\":\"search-type\"}],"
                "\"versioning\":\"versioned-update\",\"readHistory\":true,\"updateCreate\":false,"
                "\"searchParam\":["
                "{\"name\":\"patient\",\"type\":\"reference\"},"
                "{\"name\":\"code\",\"type\":\"token\"},"
                "{\"name\":\"date\",\"type\":\"date\",\"documentation\":\"prefixes eq ne ge le gt lt\"},"
                "{\"name\":\"category\",\"type\":\"token\"},"
                PAGING "]},"
                "{\"type\":\"MedicationDispense\",\"conditionalRead\":\"full-support\",\"supportedProfile\":[\"http://jpfhir.jp/fhir/core/"
                "StructureDefinition/JP_MedicationDispense\"],\"documentation\":\"Medicines dispensed, from "
                "imported お薬手帳 texts and FHIR files (POST /api/v1/imports).\",\"interaction\":[{\"code\":\"read\"},"
                "{\"code\":\"vread\"},{\"code\":\"history-instance\"},{\"code\":\"search-type\"}],"
                "\"searchParam\":[{\"name\":\"patient\",\"type\":\"reference\"},{\"name\":\"code\",\"type\":"
                "\"token\"},{\"name\":\"date\",\"type\":\"date\"}," PAGING "]},"
                "{\"type\":\"MedicationStatement\",\"conditionalRead\":\"full-support\",\"documentation\":\"Medicines the person takes (OTC ones among "
                "them), from imported お薬手帳 texts and FHIR files.\",\"interaction\":[{\"code\":\"read\"},{\"code\":\"vread\"},"
                "{\"code\":\"history-instance\"},{\"code\":\"search-type\"}],\"searchParam\":[{\"name\":"
                "\"patient\",\"type\":\"reference\"},{\"name\":\"code\",\"type\":\"token\"},{\"name\":"
                "\"date\",\"type\":\"date\"}," PAGING "]},"
                "{\"type\":\"Immunization\",\"conditionalRead\":\"full-support\",\"supportedProfile\":[\"http://jpfhir.jp/fhir/core/StructureDefinition/"
                "JP_Immunization\"],\"documentation\":\"Vaccinations, from imported FHIR files.\",\"interaction\":[{"
                "\"code\":\"read\"},{\"code\":\"vread\"},{\"code\":\"history-instance\"},{\"code\":\"search-type\"}],"
                "\"searchParam\":[{\"name\":\"patient\",\"type\":\"reference\"},{\"name\":\"code\",\"type\":\"token\"},"
                "{\"name\":\"date\",\"type\":\"date\"}," PAGING "]},"
                "{\"type\":\"DocumentReference\",\"conditionalRead\":\"full-support\",\"documentation\":\"Each imported file (特定健診 CDA, FHIR file, "
                "お薬手帳 text, CSV, SPHR package) as it came: GET /fhir/Binary/{id} (or /api/v1/me/documents/{id}/original) "
                "gives its bytes unchanged.\",\"interaction\":[{\"code\":\"read\"},{\"code\":\"vread\"},{\"code\":"
                "\"history-instance\"},{\"code\":\"search-type\"}],\"searchParam\":[{\"name\":\"patient\",\"type\":"
                "\"reference\"},{\"name\":\"date\",\"type\":\"date\"}," PAGING "]},"
                "{\"type\":\"Binary\",\"documentation\":\"An imported file's bytes as it came, by its "
                "DocumentReference's id: the url a Bulk export's DocumentReference gives; to the person, and to a "
                "client whose consent covers documents.\",\"interaction\":[{\"code\":\"read\"}]},"
                "{\"type\":\"Consent\",\"documentation\":\"The person's consent ledger, one Consent per decision; "
                "decisions are made with POST /api/v1/me/consents.\",\"interaction\":[{\"code\":\"search-type\"}],"
                "\"searchParam\":[{\"name\":\"patient\",\"type\":\"reference\"}]},"
                "{\"type\":\"Provenance\",\"documentation\":\"Provision records: which records went to which "
                "recipient, when, under which purpose and consent.\",\"interaction\":[{\"code\":\"search-type\"}],"
                "\"searchParam\":[{\"name\":\"patient\",\"type\":\"reference\"}]},"
                "{\"type\":\"AuditEvent\",\"documentation\":\"Who else touched the person's data, newest first "
                "(at most 500); actors are shown by role.\",\"interaction\":[{\"code\":\"search-type\"}],"
                "\"searchParam\":[{\"name\":\"patient\",\"type\":\"reference\"}]},"
                "{\"type\":\"Group\",\"documentation\":\"A recipient group (its code, e.g. demo-partners) is the "
                "Group of the persons whose consent provides their data to its members: a member's $export on it "
                "gives them alone.\",\"operation\":[{\"name\":\"export\",\"definition\":"
                "\"http://hl7.org/fhir/uv/bulkdata/OperationDefinition/group-export\"}]},"
                "{\"type\":\"Patient\",\"documentation\":\"The signed-in person, by id; $everything gives every "
                "current record of theirs as a Bundle (type collection). A recipient's $export gives, as NDJSON, "
                "the records of every person whose consent provides them to it; its $sphr on one of them, that "
                "person's SPHR package (zip) with what their consent provides to it.\",\"interaction\":[{\"code\":"
                "\"read\"}],\"operation\":[{\"name\":\"everything\","
                "\"definition\":\"http://hl7.org/fhir/OperationDefinition/Patient-everything\"},{\"name\":\"export\","
                "\"definition\":\"http://hl7.org/fhir/uv/bulkdata/OperationDefinition/patient-export\"},{\"name\":"
                "\"sphr\",\"definition\":\"urn:phr:OperationDefinition/Patient-sphr\"}]}],"
                "\"operation\":[{\"name\":\"export\","
                "\"definition\":\"http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export\"}]}]}");
    req_reply(r, 200, FHIR_TYPE);
}

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
    finish_written(r, 201);
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

void route_fhir_search(struct request *r)
{
    const char *type = r->rt->arg;
    struct args g = {.n = 0};
    MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, collect, &g);
    if (g.overflow)
        return req_refuse(r, F_BAD_REQUEST, "too many search parameters");
    struct search_params p;
    struct fault fault;
    if (search_parse(g.a, g.n, service_config(r->svc)->tz_offset_min, &p, &fault) != 0)
        return req_fault(r, &fault);
    p.q.resource_type = type;
    /* An app's token acts for one person: that person, unless named. */
    if (!p.patient && r->actor.patient)
        p.patient = r->actor.patient;
    /* The query the links repeat: every parameter as given, but _page. */
    struct buf query;
    buf_init(&query);
    int err = buf_puts(&query, type);
    int first = 1;
    for (int i = 0; i < g.n && !err; i++) {
        if (strcmp(g.a[i].key, "_page") == 0)
            continue;
        err = buf_puts(&query, first ? "?" : "&") || form_encode(&query, g.a[i].key) || buf_puts(&query, "=") ||
              form_encode(&query, g.a[i].value ? g.a[i].value : "");
        first = 0;
    }
    struct op *op = NULL;
    if (err || records_search(r->svc, &r->actor, &p, req_base_url(r), buf_cstr(&query), &op, &fault) != 0) {
        buf_free(&query);
        if (err)
            return req_refuse(r, F_INTERNAL, "out of memory");
        return req_fault(r, &fault);
    }
    buf_free(&query);
    req_submit(r, op, finish_read);
}

void route_fhir_create(struct request *r)
{
    struct op *op = NULL;
    struct fault fault;
    if (!fhir_body_type(r))
        return;
    /* An app's reading is recorded as the app's (recorded_by), by channel. */
    const char *channel = r->actor.kind == ACTOR_RECIPIENT ? "app" : "fhir-api";
    if (records_create(r->svc, &r->actor, NULL, buf_cstr(&r->body), r->body.len, channel, &op, &fault) != 0)
        return req_fault(r, &fault);
    req_submit(r, op, finish_create);
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
    if (records_update(r->svc, &r->actor, r->param[0], v, buf_cstr(&r->body), r->body.len, "fhir-api", &op, &fault) !=
        0)
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

void route_fhir_everything(struct request *r)
{
    if (own_patient(r, ACT_DISCLOSURE))
        routes_export(r, EXPORT_FHIR, NULL);
}

void route_fhir_sphr(struct request *r)
{
    routes_export_provided(r, r->param[0]);
}
