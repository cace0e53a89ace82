/* FHIR Bulk Data export to another provider (R4.4): a recipient starts an
 * export, polls its status, and fetches one NDJSON file per resource type.
 *
 * The files are not written anywhere: each is made while it is fetched,
 * person by person and page by page from a read snapshot, and every page
 * is provided only if the gate allows it at that moment (the person's live
 * consent to a purpose that covers this recipient and this kind of data,
 * no suspension), with its provision record and audit entry committed
 * before a byte of it is sent. So a withdrawal stops the export from the
 * first page decided after it (the page being sent and the one read ahead
 * may have been decided just before), and no plaintext health data ever
 * rests on disk (service/bulk_file.c). Before the manifest is given, each
 * export is prepared in the background (service/bulk_prepare.c): counted,
 * so that the manifest gives each file's count and no empty file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/fhirtime.h"
#include "service/bulk_internal.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/ids.h"
#include "util/log.h"

#define KEEP_MS (24 * 3600 * 1000LL)

const char *const bulk_types[BULK_NTYPES] = {"Patient",           "Observation",         "AllergyIntolerance",
                                             "MedicationRequest",  "MedicationDispense",  "MedicationStatement",
                                             "Immunization",       "DocumentReference"};
struct bulk_job {
    struct job job;
    const struct actor *a;
    struct bulk_export_row row;
    char reason[200];
    int absent;                   /* a Group the recipient is not in */
};

static int kickoff_run(struct job *j, struct store *st)
{
    struct bulk_job *x = (struct bulk_job *)j;
    /* A Group the recipient is not in reads as absent, and is recorded. */
    int err = x->row.group_code ? store_group_member(st, x->row.group_code, x->a->id) : PHR_OK;
    if (err == PHR_ENOTFOUND) {
        x->absent = 1;
        return gate_record(st, x->a, ACT_BULK_EXPORT, NULL, NULL, x->reason, GATE_DENY);
    }
    if (!err)
        err = store_bulk_export_insert(st, &x->row);
    return err ? err : gate_record(st, x->a, ACT_BULK_EXPORT, NULL, NULL, x->reason, GATE_ALLOW);
}

/* types: comma-separated, NULL or "" for every type the client's scopes
 * allow it to read; out gets them in the canonical order, each once. A
 * type asked for that the scopes do not allow is refused. */
static int parse_types(const char *list, const char *scope, char *out, size_t cap, struct fault *fault)
{
    int want[BULK_NTYPES] = {0};
    for (const char *p = list && *list ? list : NULL; p;) {
        size_t n = strcspn(p, ",");
        size_t i = 0;
        while (i < BULK_NTYPES && (strlen(bulk_types[i]) != n || strncmp(bulk_types[i], p, n)))
            i++;
        if (i == BULK_NTYPES)
            return fault_set(fault, F_UNSUPPORTED_PARAMETER, "_type",
                             "_type '%.*s' is not exported; types: Patient, Observation, AllergyIntolerance, "
                             "MedicationRequest, MedicationDispense, MedicationStatement, Immunization, "
                             "DocumentReference",
                             (int)(n > 40 ? 40 : n), p);
        if (!scopes_allow(scope, bulk_types[i], 'r'))
            return fault_set(fault, F_SCOPE_INSUFFICIENT, "_type", "the token's scopes (%s) do not allow reading %s",
                             scope ? scope : "", bulk_types[i]);
        want[i] = 1;
        p = p[n] ? p + n + 1 : NULL;
    }
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < BULK_NTYPES; i++)
        if (want[i] || ((!list || !*list) && scopes_allow(scope, bulk_types[i], 'r')))
            len += (size_t)snprintf(out + len, cap - len, "%s%s", len ? "," : "", bulk_types[i]);
    if (!len)
        return fault_set(fault, F_SCOPE_INSUFFICIENT, NULL, "the token's scopes (%s) allow reading none of the types exported",
                         scope ? scope : "");
    return 0;
}

/* The patient parameter's ids: each a person id (Patient/ already
 * stripped), at most PERSONS_PAGE, into out. */
static int patients_ok(const char *list, struct fault *fault)
{
    size_t n = 0;
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ",");
        if (len == 0 || len > ID_LEN)
            return fault_set(fault, F_BAD_REQUEST, "patient", "patient must reference Patient/<id>");
        if (++n > PERSONS_PAGE)
            return fault_set(fault, F_BAD_REQUEST, "patient", "at most %d patients in one export", PERSONS_PAGE);
        p += len + (p[len] == ',');
    }
    return 0;
}

int bulk_kickoff(struct service *svc, const struct actor *a, const struct bulk_request *q, char id[ID_LEN + 1],
                 struct fault *fault)
{
    if (gate_decide(a, ACT_BULK_EXPORT, NULL) == GATE_DENY)
        return fault_set(fault, F_FOR_RECIPIENTS, NULL,
                         "Bulk Data export is for another provider's client (a recipient), not for persons or staff");
    struct bulk_job x = {.job = {.run = kickoff_run}, .a = a};
    char list[128];
    if (parse_types(q->types, a->scope, list, sizeof list, fault))
        return -1;
    /* A filter not applied would give more than was asked for. */
    if (q->type_filter && !q->lenient)
        return fault_set(fault, F_UNSUPPORTED_PARAMETER, "_typeFilter",
                         "_typeFilter is not supported: leave it out, or send Prefer: handling=lenient to have it "
                         "ignored");
    if (q->patients && !q->patient_level)
        return fault_set(fault, F_BAD_REQUEST, "patient",
                         "the patient parameter is for Patient/$export and Group/{id}/$export, not a system export");
    if (q->patients && patients_ok(q->patients, fault))
        return -1;
    struct elements elements;
    if (q->elements && elements_parse(q->elements, &elements, fault))
        return -1;
    int64_t lo = 0, hi;
    if (q->since && fhirtime_parse(q->since, FHIRTIME_DATETIME, 0, &lo, &hi))
        return fault_set(fault, F_BAD_REQUEST, "_since", "_since must be a FHIR instant, such as 2026-01-01T00:00:00Z");
    int64_t now = clock_now_ms();
    if (lo > now)
        return fault_set(fault, F_BAD_REQUEST, "_since", "_since lies in the future");
    id_uuid7(id);
    if (q->group && !purpose_code_valid(q->group))
        return fault_set(fault, F_NOT_FOUND, NULL, "no such Group");
    x.row = (struct bulk_export_row){.id = id, .recipient_id = a->id, .types = list, .since = lo,
                                     .transaction_time = now, .expires_at = now + KEEP_MS, .group_code = q->group,
                                     .elements = q->elements && *q->elements ? q->elements : NULL,
                                     .patients = q->patients && *q->patients ? q->patients : NULL,
                                     .ignored = q->lenient && q->ignored && *q->ignored ? q->ignored : NULL};
    snprintf(x.reason, sizeof x.reason, "bulk:%s types:%s%s%s%s", id, list, q->group ? " group:" : "",
             q->group ? q->group : "", q->patients ? " patients" : "");
    int err = writer_call(svc->writer, &x.job);
    if (!err && x.absent)
        return fault_set(fault, F_NOT_FOUND, NULL, "no such Group: the client belongs to no recipient group %s",
                         q->group);
    if (err != PHR_OK)
        return fault_set(fault, F_UNAVAILABLE, NULL, "the export could not be started");
    return 0;
}

static int keep_export(void *arg, const struct bulk_export_row *b)
{
    struct found *f = arg;
    f->ok = !strcmp(b->recipient_id, f->recipient) && !b->cancelled_at && b->expires_at > clock_now_ms();
    f->row = *b;
    snprintf(f->id, sizeof f->id, "%s", b->id);
    snprintf(f->types, sizeof f->types, "%s", b->types);
    snprintf(f->group, sizeof f->group, "%s", b->group_code ? b->group_code : "");
    snprintf(f->elements, sizeof f->elements, "%s", b->elements ? b->elements : "");
    snprintf(f->patients, sizeof f->patients, "%s", b->patients ? b->patients : "");
    snprintf(f->counts, sizeof f->counts, "%s", b->counts ? b->counts : "");
    snprintf(f->ignored, sizeof f->ignored, "%s", b->ignored ? b->ignored : "");
    f->row.elements = f->elements[0] ? f->elements : NULL;
    f->row.patients = f->patients[0] ? f->patients : NULL;
    f->row.counts = f->counts;
    f->row.ignored = f->ignored[0] ? f->ignored : NULL;
    f->row.id = f->id;
    f->row.types = f->types;
    f->row.group_code = f->group[0] ? f->group : NULL;
    f->row.recipient_id = f->recipient;
    return PHR_OK;
}

int bulk_find(struct service *svc, const struct actor *a, const char *id, struct found *f, struct fault *fault)
{
    memset(f, 0, sizeof *f);
    f->recipient = a->id;
    if (gate_decide(a, ACT_BULK_EXPORT, NULL) == GATE_DENY)
        return fault_set(fault, F_FOR_RECIPIENTS, NULL, "Bulk Data export is for another provider's client");
    struct store *rd;
    if (service_reader(svc, &rd) != PHR_OK)
        return fault_set(fault, F_UNAVAILABLE, NULL, "the store is not available");
    int err = id_is_uuid(id) ? store_bulk_export_get(rd, id, keep_export, f) : PHR_ENOTFOUND;
    service_reader_done(svc, rd);
    if (err && err != PHR_ENOTFOUND)
        return fault_set(fault, F_UNAVAILABLE, NULL, "the store is not available");
    if (err || !f->ok)
        return fault_set(fault, F_NOT_FOUND, NULL, "no such export (or it was cancelled, or has expired)");
    return 0;
}

int bulk_status(struct service *svc, const struct actor *a, const char *id, const char *base_url, struct buf *out,
                int64_t *expires_at, int *pending, struct fault *fault)
{
    struct found f;
    if (bulk_find(svc, a, id, &f, fault))
        return -1;
    *expires_at = f.row.expires_at;
    if ((*pending = !f.row.prepared_at))
        return 0;
    char when[32];
    clock_format_ms(f.row.transaction_time, when);
    int e = buf_printf(out, "{\"transactionTime\":\"%s\",\"request\":", when) || buf_puts(out, "\"") ||
            buf_puts(out, base_url) || (f.group[0] && buf_printf(out, "/Group/%s", f.group)) ||
            buf_printf(out, "/$export?_type=%s", f.types);
    if (!e && f.row.since) {
        char since[32];
        clock_format_ms(f.row.since, since);
        e = buf_printf(out, "&_since=%s", since);
    }
    if (!e && f.row.elements)
        e = buf_printf(out, "&_elements=%s", f.row.elements);
    e = e || buf_puts(out, "\",\"requiresAccessToken\":true,\"output\":[");
    /* Only the files with something in them, as the preparation counted. */
    int n = 0;
    for (const char *p = f.counts; !e && *p;) {
        size_t len = strcspn(p, ","), colon = strcspn(p, ":");
        if (colon < len)
            e = buf_printf(out, "%s{\"type\":\"%.*s\",\"url\":\"%s/$export-file/%s/%.*s.ndjson\",\"count\":%.*s}",
                           n++ ? "," : "", (int)colon, p, base_url, f.id, (int)colon, p, (int)(len - colon - 1),
                           p + colon + 1);
        p += len + (p[len] == ',');
    }
    e = e || buf_puts(out, "],\"error\":[");
    if (!e && f.row.ignored)
        e = buf_printf(out, "{\"type\":\"OperationOutcome\",\"url\":\"%s/$export-file/%s/OperationOutcome.ndjson\"}",
                       base_url, f.id);
    if (e || buf_puts(out, "]}"))
        return fault_set(fault, F_INTERNAL, NULL, "out of memory");
    return 0;
}

struct cancel_job {
    struct job job;
    const struct actor *a;
    const char *id;
};

static int cancel_run(struct job *j, struct store *st)
{
    struct cancel_job *x = (struct cancel_job *)j;
    int err = store_bulk_export_cancel(st, x->id, clock_now_ms());
    char reason[64];
    snprintf(reason, sizeof reason, "bulk:%s cancelled", x->id);
    return err ? err : gate_record(st, x->a, ACT_BULK_EXPORT, NULL, NULL, reason, GATE_ALLOW);
}

int bulk_cancel(struct service *svc, const struct actor *a, const char *id, struct fault *fault)
{
    struct found f;
    if (bulk_find(svc, a, id, &f, fault))
        return -1;
    struct cancel_job x = {.job = {.run = cancel_run}, .a = a, .id = f.id};
    int err = writer_call(svc->writer, &x.job);
    if (err == PHR_ENOTFOUND)
        return fault_set(fault, F_NOT_FOUND, NULL, "no such export (or it was cancelled, or has expired)");
    return err ? fault_set(fault, F_UNAVAILABLE, NULL, "the store is not available") : 0;
}

