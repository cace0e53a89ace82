/* /fhir: FHIR R4 REST for the resources served so far. Errors are
 * OperationOutcome resources. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "formats/search.h"
#include "formats/vitals.h"
#include "http/internal.h"
#include "util/err.h"

#define FHIR_TYPE "application/fhir+json; charset=utf-8"
#define MAX_SEARCH_ARGS 32

static void outcome(struct request *r, int status, const char *code, const char *msg)
{
    struct issue is;
    issue_set(&is, status, code, NULL, "%s", msg);
    req_outcome(r, &is);
}

#define MED_PAGING                                                                                       \
    "{\"name\":\"_count\",\"type\":\"number\"},{\"name\":\"_sort\",\"type\":\"string\"},"                     \
    "{\"name\":\"_offset\",\"type\":\"number\"},{\"name\":\"_total\",\"type\":\"token\"}"

static void capability(struct request *r)
{
    int n;
    const struct vital_kind *k = vitals_kinds(&n);
    struct buf *b = &r->resp;
    buf_puts(b, "{\"resourceType\":\"CapabilityStatement\",\"status\":\"active\",\"date\":\"2026-11-24\","
                "\"kind\":\"instance\",\"software\":{\"name\":\"phr\",\"version\":\"" PHR_VERSION "\"},"
                "\"implementation\":{\"description\":\"PHR service\",\"url\":");
    buf_json_str(b, req_base_url(r));
    buf_puts(b, "},\"fhirVersion\":\"4.0.1\",\"format\":[\"application/fhir+json\",\"json\"],"
                "\"rest\":[{\"mode\":\"server\",\"security\":{\"cors\":false,\"service\":[{\"coding\":[{"
                "\"system\":\"http://terminology.hl7.org/CodeSystem/restful-security-service\",\"code\":\"Basic\"}],"
                "\"text\":\"Bearer session token from POST /api/v1/login\"}],"
                "\"description\":\"A person reaches only their own records; a recipient (client credentials, "
                "POST /api/v1/token) reads only what a live consent provides to it.\"},"
                "\"resource\":[{\"type\":\"Observation\","
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
                "{\"name\":\"_count\",\"type\":\"number\"},"
                "{\"name\":\"_sort\",\"type\":\"string\",\"documentation\":\"date or -date\"},"
                "{\"name\":\"_offset\",\"type\":\"number\",\"documentation\":\"paging, as in next links\"},"
                "{\"name\":\"_total\",\"type\":\"token\",\"documentation\":\"accurate counts every match; "
                "otherwise total is given on the last page\"}]},"
                "{\"type\":\"MedicationDispense\",\"supportedProfile\":[\"http://jpfhir.jp/fhir/core/"
                "StructureDefinition/JP_MedicationDispense\"],\"documentation\":\"Medicines dispensed, from "
                "imported お薬手帳 texts and FHIR files (POST /api/v1/imports).\",\"interaction\":[{\"code\":\"read\"},"
                "{\"code\":\"vread\"},{\"code\":\"history-instance\"},{\"code\":\"search-type\"}],"
                "\"searchParam\":[{\"name\":\"patient\",\"type\":\"reference\"},{\"name\":\"code\",\"type\":"
                "\"token\"},{\"name\":\"date\",\"type\":\"date\"}," MED_PAGING "]},"
                "{\"type\":\"MedicationStatement\",\"documentation\":\"Medicines the person takes (OTC ones among "
                "them), from imported お薬手帳 texts and FHIR files.\",\"interaction\":[{\"code\":\"read\"},{\"code\":\"vread\"},"
                "{\"code\":\"history-instance\"},{\"code\":\"search-type\"}],\"searchParam\":[{\"name\":"
                "\"patient\",\"type\":\"reference\"},{\"name\":\"code\",\"type\":\"token\"},{\"name\":"
                "\"date\",\"type\":\"date\"}," MED_PAGING "]},"
                "{\"type\":\"Immunization\",\"supportedProfile\":[\"http://jpfhir.jp/fhir/core/StructureDefinition/"
                "JP_Immunization\"],\"documentation\":\"Vaccinations, from imported FHIR files.\",\"interaction\":[{"
                "\"code\":\"read\"},{\"code\":\"vread\"},{\"code\":\"history-instance\"},{\"code\":\"search-type\"}],"
                "\"searchParam\":[{\"name\":\"patient\",\"type\":\"reference\"},{\"name\":\"code\",\"type\":\"token\"},"
                "{\"name\":\"date\",\"type\":\"date\"}," MED_PAGING "]},"
                "{\"type\":\"DocumentReference\",\"documentation\":\"Each imported file (特定健診 CDA, FHIR file, "
                "お薬手帳 text, CSV, SPHR package) as it came: GET /api/v1/me/documents/{id}/original gives its bytes "
                "unchanged.\",\"interaction\":[{\"code\":\"read\"},{\"code\":\"vread\"},{\"code\":"
                "\"history-instance\"},{\"code\":\"search-type\"}],\"searchParam\":[{\"name\":\"patient\",\"type\":"
                "\"reference\"},{\"name\":\"date\",\"type\":\"date\"}," MED_PAGING "]},"
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

/* The record types served by read, vread, history and search; only
 * Observations (self-measured vitals) are written one by one, the rest
 * come in imported files. */
struct record_type {
    const char *name, *route, *route_id, *route_history, *route_version;
    int writable;
};
#define RECORD_TYPE(n, w) {n, "/fhir/" n, "/fhir/" n "/{id}", "/fhir/" n "/{id}/_history", "/fhir/" n "/{id}/_history/{vid}", w}
static const struct record_type record_types[] = {
    RECORD_TYPE("Observation", 1),
    RECORD_TYPE("MedicationDispense", 0),
    RECORD_TYPE("MedicationStatement", 0),
    RECORD_TYPE("Immunization", 0),
    RECORD_TYPE("DocumentReference", 0),
};

static void finish_error(struct request *r, const struct op_result *res)
{
    if (res->err == PHR_EPERM && res->issue.status == 0) {
        outcome(r, 403, "forbidden", "not allowed");
        return;
    }
    req_outcome(r, &res->issue);
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
        return finish_error(r, res);
    int err = op_render(r->op, &r->resp);
    if (err == PHR_ENOTFOUND) {
        /* The person was erased between the read and the opening: their
         * key is gone, and so, a moment later, are the rows. */
        r->resp.len = 0;
        return outcome(r, 404, "not-found", "no such resource");
    }
    if (err != PHR_OK) {
        r->resp.len = 0;
        return outcome(r, 500, "exception", "the record could not be opened");
    }
    req_reply(r, status, FHIR_TYPE);
}

static void finish_create(struct request *r)
{
    const struct op_result *res = op_result(r->op);
    if (!res->err)
        set_version_headers(r, res->id, res->version, 1);
    finish_body(r, 201);
}

static void finish_update(struct request *r)
{
    const struct op_result *res = op_result(r->op);
    if (!res->err)
        set_version_headers(r, res->id, res->version, 1);
    finish_body(r, 200);
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
    outcome(r, 415, "not-supported", "send application/fhir+json");
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

static int url_encode(struct buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("-._~", c)) {
            if (buf_append(b, s, 1))
                return -1;
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            if (buf_append(b, e, 3))
                return -1;
        }
    }
    return 0;
}

static void search(struct request *r, const struct record_type *t)
{
    struct args g = {.n = 0};
    MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, collect, &g);
    if (g.overflow)
        return outcome(r, 400, "too-costly", "too many search parameters");
    struct search_params p;
    struct issue is;
    if (search_parse(g.a, g.n, service_config(r->svc)->tz_offset_min, &p, &is) != 0)
        return req_outcome(r, &is);
    p.q.resource_type = t->name;
    struct buf self;
    buf_init(&self);
    int err = buf_puts(&self, req_base_url(r)) || buf_puts(&self, "/") || buf_puts(&self, t->name);
    int first = 1;
    for (int i = 0; i < g.n && !err; i++) {
        if (strcmp(g.a[i].key, "_offset") == 0)
            continue;
        err = buf_puts(&self, first ? "?" : "&") || url_encode(&self, g.a[i].key) || buf_puts(&self, "=") ||
              url_encode(&self, g.a[i].value ? g.a[i].value : "");
        first = 0;
    }
    struct op *op = NULL;
    if (err || records_search(r->svc, &r->actor, &p, req_base_url(r), buf_cstr(&self), &op, &is) != 0) {
        buf_free(&self);
        if (err)
            return outcome(r, 500, "exception", "out of memory");
        return req_outcome(r, &is);
    }
    buf_free(&self);
    req_submit(r, op, finish_read);
}

static void record_route(struct request *r, const struct record_type *t, const char *rest)
{
    const char *m = r->method;
    struct op *op = NULL;
    struct issue is;
    char id[64];

    if (*rest == '\0') {
        r->route = t->route;
        if (strcmp(m, "GET") == 0)
            return search(r, t);
        if (!t->writable)
            return outcome(r, 405, "not-supported", "these records come in imported files (POST /api/v1/imports); "
                                                    "search them with GET");
        if (strcmp(m, "POST") != 0)
            return outcome(r, 405, "not-supported", "use GET to search or POST to create");
        if (!fhir_body_type(r))
            return;
        if (records_create(r->svc, &r->actor, NULL, buf_cstr(&r->body), r->body.len, "fhir-api", &op, &is) != 0)
            return req_outcome(r, &is);
        return req_submit(r, op, finish_create);
    }
    if (*rest != '/')
        return outcome(r, 404, "not-found", "no such resource path");
    rest++;
    size_t idlen = strcspn(rest, "/");
    if (idlen == 0 || idlen >= sizeof id)
        return outcome(r, 404, "not-found", "no record of this type with this id");
    memcpy(id, rest, idlen);
    id[idlen] = '\0';
    rest += idlen;

    if (*rest == '\0') {
        r->route = t->route_id;
        if (strcmp(m, "GET") == 0) {
            if (records_read(r->svc, &r->actor, t->name, id, 0, &op, &is) != 0)
                return req_outcome(r, &is);
            return req_submit(r, op, finish_read);
        }
        if (strcmp(m, "PUT") == 0 && t->writable) {
            int v = if_match(r);
            if (v < 0)
                return outcome(r, 400, "invalid", "If-Match must be a version ETag such as W/\"2\"");
            if (!fhir_body_type(r))
                return;
            if (records_update(r->svc, &r->actor, id, v, buf_cstr(&r->body), r->body.len, "fhir-api", &op, &is) != 0)
                return req_outcome(r, &is);
            return req_submit(r, op, finish_update);
        }
        return outcome(r, 405, "not-supported", t->writable ? "use GET to read or PUT to correct" : "use GET to read");
    }
    if (strcmp(rest, "/_history") == 0) {
        r->route = t->route_history;
        if (strcmp(m, "GET") != 0)
            return outcome(r, 405, "not-supported", "history is read with GET");
        if (records_history(r->svc, &r->actor, t->name, id, req_base_url(r), &op, &is) != 0)
            return req_outcome(r, &is);
        return req_submit(r, op, finish_read);
    }
    if (strncmp(rest, "/_history/", 10) == 0) {
        r->route = t->route_version;
        char *end;
        long v = strtol(rest + 10, &end, 10);
        if (strcmp(m, "GET") != 0)
            return outcome(r, 405, "not-supported", "a version is read with GET");
        if (*end || v < 1 || v > 1000000)
            return outcome(r, 404, "not-found", "no such version of this record");
        if (records_read(r->svc, &r->actor, t->name, id, (int)v, &op, &is) != 0)
            return req_outcome(r, &is);
        return req_submit(r, op, finish_read);
    }
    outcome(r, 404, "not-found", "no such resource path");
}

/* The consent ledger as Consent resources; patient defaults to oneself and
 * names nobody else (404, as for records). */
static void consents(struct request *r)
{
    r->route = "/fhir/Consent";
    if (strcmp(r->method, "GET") != 0)
        return outcome(r, 405, "not-supported", "consents are read with GET; decide with POST /api/v1/me/consents");
    const char *patient = req_arg(r, "patient");
    if (patient && strncmp(patient, "Patient/", 8) == 0)
        patient += 8;
    struct op *op;
    struct issue is;
    if (consent_read(r->svc, &r->actor, patient ? patient : r->auth.person_id, 1, req_base_url(r), &op, &is) != 0)
        return req_outcome(r, &is);
    req_submit(r, op, finish_read);
}

/* Provision records as Provenance: to whom the person's records went. */
static void provenance(struct request *r)
{
    r->route = "/fhir/Provenance";
    if (strcmp(r->method, "GET") != 0)
        return outcome(r, 405, "not-supported", "provision records are read with GET");
    const char *patient = req_arg(r, "patient");
    if (patient && strncmp(patient, "Patient/", 8) == 0)
        patient += 8;
    struct op *op;
    struct issue is;
    if (provisions_read(r->svc, &r->actor, patient ? patient : r->auth.person_id, 1, req_base_url(r), &op, &is) != 0)
        return req_outcome(r, &is);
    req_submit(r, op, finish_read);
}

/* Who else touched the person's data: staff, the operator, recipients,
 * other persons' refused attempts. */
static void audit_events(struct request *r)
{
    r->route = "/fhir/AuditEvent";
    if (strcmp(r->method, "GET") != 0)
        return outcome(r, 405, "not-supported", "the handling history is read with GET");
    const char *patient = req_arg(r, "patient");
    if (patient && strncmp(patient, "Patient/", 8) == 0)
        patient += 8;
    struct op *op;
    struct issue is;
    if (access_log_read(r->svc, &r->actor, patient ? patient : r->auth.person_id, req_base_url(r), &op, &is) != 0)
        return req_outcome(r, &is);
    req_submit(r, op, finish_read);
}

/* The person as the service knows them (an id), and everything of theirs
 * ($everything, R4.3). Only one's own: anyone else's id is 404. */
static void patient(struct request *r, const char *rest)
{
    size_t n = strcspn(rest, "/");
    if (!strcmp(rest + n, "/$sphr")) {
        r->route = "/fhir/Patient/{id}/$sphr";
        char id[ID_LEN + 1];
        if (n > ID_LEN)
            return outcome(r, 404, "not-found", "no such patient");
        memcpy(id, rest, n);
        id[n] = '\0';
        return routes_export_provided(r, id);
    }
    int everything = strcmp(rest + n, "/$everything") == 0;
    r->route = everything ? "/fhir/Patient/{id}/$everything" : "/fhir/Patient/{id}";
    if (!r->auth.person_id[0] || n != strlen(r->auth.person_id) || strncmp(rest, r->auth.person_id, n) ||
        (rest[n] && !everything))
        return outcome(r, 404, "not-found", "no such patient");
    if (everything)
        return routes_export(r, EXPORT_FHIR, NULL);
    if (strcmp(r->method, "GET"))
        return outcome(r, 405, "not-supported", "a Patient is read with GET");
    buf_printf(&r->resp, "{\"resourceType\":\"Patient\",\"id\":\"%s\",\"identifier\":[{\"system\":"
                         "\"urn:ietf:rfc:3986\",\"value\":\"urn:uuid:%s\"}]}", r->auth.person_id, r->auth.person_id);
    req_reply(r, 200, FHIR_TYPE);
}

void routes_fhir(struct request *r)
{
    const char *p = r->path + 5; /* after "/fhir" */
    if (strcmp(p, "/metadata") == 0) {
        r->route = "/fhir/metadata";
        if (strcmp(r->method, "GET") != 0)
            return outcome(r, 405, "not-supported", "metadata is read with GET");
        return capability(r);
    }
    int auth = req_authenticate(r);
    if (auth != PHR_OK) {
        r->route = "/fhir/(unauthenticated)";
        return req_auth_refused(r, auth);
    }
    for (size_t i = 0; i < sizeof record_types / sizeof record_types[0]; i++) {
        size_t n = strlen(record_types[i].name);
        if (p[0] == '/' && !strncmp(p + 1, record_types[i].name, n) && (p[n + 1] == '\0' || p[n + 1] == '/'))
            return record_route(r, &record_types[i], p + 1 + n);
    }
    if (!strncmp(p, "/$export", 8) || !strcmp(p, "/Patient/$export") || !strncmp(p, "/Group/", 7))
        return routes_bulk(r, p);
    if (strcmp(p, "/Consent") == 0)
        return consents(r);
    if (strcmp(p, "/Provenance") == 0)
        return provenance(r);
    if (strcmp(p, "/AuditEvent") == 0)
        return audit_events(r);
    if (strncmp(p, "/Patient/", 9) == 0)
        return patient(r, p + 9);
    r->route = "/fhir/(unknown)";
    outcome(r, 404, "not-supported", "this resource type is not served (see /fhir/metadata)");
}
