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
 * rests on disk. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "formats/elements.h"
#include "formats/fhirtime.h"
#include "service/snapshot.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/ids.h"
#include "util/log.h"

/* Records per page, and so per gate decision and provision record: most
 * persons' records of a type fit in one, so a person costs one commit.
 * A page is one person's and decided on its own, so a withdrawal stops
 * that person's data at the first page decided after it, whatever the
 * page's size. */
#define PAGE 1000
#define PERSONS_PAGE 100
#define KEEP_MS (24 * 3600 * 1000LL)

/* Patient first: a client resolves the other files' references with it. */
static const char *const types[] = {"Patient", "Observation", "MedicationDispense", "MedicationStatement",
                                    "DocumentReference"};
#define NTYPES (sizeof types / sizeof types[0])

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
    int want[NTYPES] = {0};
    for (const char *p = list && *list ? list : NULL; p;) {
        size_t n = strcspn(p, ",");
        size_t i = 0;
        while (i < NTYPES && (strlen(types[i]) != n || strncmp(types[i], p, n)))
            i++;
        if (i == NTYPES)
            return fault_set(fault, F_UNSUPPORTED_PARAMETER, "_type",
                             "_type '%.*s' is not exported; types: Patient, Observation, "
                             "MedicationDispense, MedicationStatement, DocumentReference",
                             (int)(n > 40 ? 40 : n), p);
        if (!scopes_allow(scope, types[i], 'r'))
            return fault_set(fault, F_SCOPE_INSUFFICIENT, "_type", "the token's scopes (%s) do not allow reading %s",
                             scope ? scope : "", types[i]);
        want[i] = 1;
        p = p[n] ? p + n + 1 : NULL;
    }
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < NTYPES; i++)
        if (want[i] || ((!list || !*list) && scopes_allow(scope, types[i], 'r')))
            len += (size_t)snprintf(out + len, cap - len, "%s%s", len ? "," : "", types[i]);
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
                                     .patients = q->patients && *q->patients ? q->patients : NULL};
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

struct found {
    const char *recipient;
    struct bulk_export_row row;
    char id[ID_LEN + 1], types[128], group[PURPOSE_CODE_MAX + 1];
    char elements[ELEMENTS_LIST_MAX + 1], patients[PERSONS_PAGE * (ID_LEN + 1) + 1];
    int ok;
};

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
    f->row.elements = f->elements[0] ? f->elements : NULL;
    f->row.patients = f->patients[0] ? f->patients : NULL;
    f->row.id = f->id;
    f->row.types = f->types;
    f->row.group_code = f->group[0] ? f->group : NULL;
    f->row.recipient_id = f->recipient;
    return PHR_OK;
}

/* The recipient's own live export, or not-found (someone else's reads as absent). */
static int find(struct service *svc, const struct actor *a, const char *id, struct found *f, struct fault *fault)
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
                int64_t *expires_at, struct fault *fault)
{
    struct found f;
    if (find(svc, a, id, &f, fault))
        return -1;
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
    int n = 0;
    for (const char *p = f.types; !e && *p;) {
        size_t len = strcspn(p, ",");
        e = buf_printf(out, "%s{\"type\":\"%.*s\",\"url\":\"%s/$export-file/%s/%.*s.ndjson\"}", n++ ? "," : "",
                       (int)len, p, base_url, f.id, (int)len, p);
        p += len + (p[len] == ',');
    }
    if (e || buf_puts(out, "],\"error\":[]}"))
        return fault_set(fault, F_INTERNAL, NULL, "out of memory");
    *expires_at = f.row.expires_at;
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
    if (find(svc, a, id, &f, fault))
        return -1;
    struct cancel_job x = {.job = {.run = cancel_run}, .a = a, .id = f.id};
    int err = writer_call(svc->writer, &x.job);
    if (err == PHR_ENOTFOUND)
        return fault_set(fault, F_NOT_FOUND, NULL, "no such export (or it was cancelled, or has expired)");
    return err ? fault_set(fault, F_UNAVAILABLE, NULL, "the store is not available") : 0;
}

/* --- the files --- */

/* A page of one person's records, and the writer job that decides and
 * records its provision. Two take turns: while one page's provision
 * commits (an fsync), the next is read, so the disk's wait is hidden
 * behind the reading. Each page is still sent only after its own
 * commit, and only if its own decision allowed it. */
struct page {
    struct job job;
    struct bulk_file *b;
    char person[ID_LEN + 1];
    struct buf lines;
    struct provision_list items;  /* what the page would provide */
    data_kinds asked;             /* a Patient page: the kinds the person's consent provides */
    struct gate_result g;
    int busy;                     /* submitted, not yet waited for */
    int finished;                 /* the writer is done with it; under b->lock */
};

struct bulk_file {
    struct service *svc;
    struct actor actor;           /* a copy: the file outlives the request handler */
    char client[64], request_id[64];
    struct found f;
    const char *type;
    int patient_file;             /* the Patient file: one line per person provided to */
    struct elements elements;     /* _elements, if asked */
    char persons[PERSONS_PAGE][ID_LEN + 1];
    size_t npersons, next;        /* the page of persons, the next one to take */
    int more_persons;
    struct person_snapshot snap;
    int open;                     /* snap holds the current person */
    data_kinds kinds;             /* of this type, what the current person's consent provides */
    int64_t cursor;               /* within the current person's records */
    int exhausted;                /* every person has been taken */
    struct page pages[2];
    int head;                     /* the page to send next */
    pthread_mutex_t lock;
    pthread_cond_t finished;
};

static int provide_run(struct job *j, struct store *st)
{
    struct page *pg = (struct page *)j;
    /* A page is submitted only with records in it, their kinds decided;
     * or a Patient line, decided on the kinds the consent provides (the
     * line holds the id alone, which each record of theirs names too). */
    return provide_records(st, &pg->b->actor, ACT_RECORD_SEARCH, pg->person, &pg->items, pg->asked, &pg->g);
}

static void provide_done(struct job *j)
{
    struct page *pg = (struct page *)j;
    pthread_mutex_lock(&pg->b->lock);
    pg->finished = 1;
    pthread_cond_broadcast(&pg->b->finished);
    pthread_mutex_unlock(&pg->b->lock);
}

/* The page's decision, once its commit is done; its rc is the job's. */
static int page_wait(struct bulk_file *b, struct page *pg)
{
    pthread_mutex_lock(&b->lock);
    while (!pg->finished)
        pthread_cond_wait(&b->finished, &b->lock);
    pthread_mutex_unlock(&b->lock);
    pg->busy = 0;
    return pg->job.rc;
}

static int keep_person(void *arg, const char *person)
{
    struct bulk_file *b = arg;
    snprintf(b->persons[b->npersons++], ID_LEN + 1, "%s", person);
    return PHR_OK;
}

/* The persons the patient parameter named, all at once (at most a page). */
static void named_persons(struct bulk_file *b)
{
    b->npersons = b->next = 0;
    for (const char *p = b->f.patients; *p && b->npersons < PERSONS_PAGE;) {
        size_t n = strcspn(p, ",");
        snprintf(b->persons[b->npersons++], ID_LEN + 1, "%.*s", (int)n, p);
        p += n + (p[n] == ',');
    }
    b->more_persons = 0;
}

static int next_persons(struct bulk_file *b)
{
    if (b->f.patients[0]) {
        named_persons(b);
        return PHR_OK;
    }
    char after[ID_LEN + 1] = "";
    if (b->npersons)
        memcpy(after, b->persons[b->npersons - 1], sizeof after);
    b->npersons = b->next = 0;
    struct store *rd;
    int err = service_reader(b->svc, &rd);
    if (err)
        return err;
    err = store_person_page(rd, after, PERSONS_PAGE, keep_person, b);
    service_reader_done(b->svc, rd);
    b->more_persons = b->npersons == PERSONS_PAGE;
    return err;
}

/* Opens the next person who may have something for this recipient; 0 with
 * b->open unset when there is nobody left. The reader-side check only
 * saves opening data that could not be provided; the writer decides. */
static int open_person(struct bulk_file *b)
{
    for (;;) {
        if (b->next == b->npersons) {
            if (!b->more_persons && b->npersons)
                return PHR_OK; /* nobody left: b->open stays unset */
            int err = next_persons(b);
            if (err || !b->npersons)
                return err;
        }
        const char *person = b->persons[b->next++];
        struct store *rd;
        struct provision_scope scope;
        int err = service_reader(b->svc, &rd);
        if (err)
            return err;
        err = gate_provision_scope(rd, &b->actor, person, &scope);
        service_reader_done(b->svc, rd);
        if (err)
            return err;
        b->kinds = b->patient_file ? scope.kinds : scope.kinds & data_kinds_of_type(b->type);
        if (!b->kinds)
            continue;
        if (b->patient_file) {
            snprintf(b->snap.person, sizeof b->snap.person, "%s", person);
            b->open = 1;
            return PHR_OK;
        }
        err = snapshot_open(b->svc, person, NULL, NULL, &b->snap);
        if (err == PHR_ENOTFOUND)
            continue; /* erased meanwhile */
        if (err)
            return err;
        b->open = 1;
        b->cursor = 0;
        return PHR_OK;
    }
}

struct fill {
    struct bulk_file *b;
    struct page *pg;
};

static int put_line(void *arg, const struct record_row *r)
{
    struct fill *x = arg;
    struct bulk_file *b = x->b;
    struct page *pg = x->pg;
    if (!r->current || strcmp(r->resource_type, b->type) || r->recorded_at <= b->f.row.since ||
        r->recorded_at > b->f.row.transaction_time || !(b->kinds & DATA_KIND_BIT(data_kind_by_name(r->data_kind))))
        return PHR_OK;
    int err;
    if (b->elements.n) {
        struct buf whole = {0};
        if (!(err = snapshot_append_part(&b->snap, r, "body", &whole)))
            err = elements_apply(&b->elements, whole.data, whole.len, &pg->lines);
        buf_wipe(&whole);
    } else {
        err = snapshot_append_part(&b->snap, r, "body", &pg->lines);
    }
    if (err)
        return err == PHR_ECRYPTO ? PHR_OK : err; /* logged, and neither sent nor recorded as provided */
    return buf_puts(&pg->lines, "\n") ? PHR_ENOMEM : provision_list_add(&pg->items, r);
}

/* The Patient line of the person open: the id, as /fhir/Patient/{id} gives it. */
static int patient_line(struct bulk_file *b, struct page *pg)
{
    char line[200];
    snprintf(line, sizeof line,
             "{\"resourceType\":\"Patient\",\"id\":\"%s\",\"identifier\":[{\"system\":\"urn:ietf:rfc:3986\","
             "\"value\":\"urn:uuid:%s\"}]}",
             b->snap.person, b->snap.person);
    int err = b->elements.n ? elements_apply(&b->elements, line, strlen(line), &pg->lines) : buf_puts(&pg->lines, line);
    if (err || buf_puts(&pg->lines, "\n"))
        return PHR_ENOMEM;
    memcpy(pg->person, b->snap.person, sizeof pg->person);
    pg->asked = b->kinds;
    b->open = 0;
    return PHR_OK;
}

/* Reads the next page that has records of this type into pg, person after
 * person; pg->items stays empty when there is nobody left. */
static int fill(struct bulk_file *b, struct page *pg)
{
    /* The last page's plaintext is wiped, its memory kept for this one. */
    if (pg->lines.len)
        sodium_memzero(pg->lines.data, pg->lines.len);
    pg->lines.len = 0;
    pg->asked = 0;
    provision_list_clear(&pg->items);
    while (!b->exhausted) {
        if (!b->open) {
            int err = open_person(b);
            if (err)
                return err;
            if (!b->open) {
                b->exhausted = 1;
                break;
            }
        }
        if (b->patient_file)
            return patient_line(b, pg);
        int64_t before = b->cursor;
        struct store *rd = b->snap.rd;
        struct fill x = {b, pg};
        int err = store_record_page(rd, b->snap.person, 1, b->cursor, PAGE, put_line, &x, &b->cursor);
        if (err)
            return err;
        if (b->cursor == before) {
            snapshot_close(&b->snap);
            b->open = 0;
            continue;
        }
        if (pg->items.n) {
            memcpy(pg->person, b->snap.person, sizeof pg->person);
            break;
        }
    }
    return PHR_OK;
}

/* Reads a page into pg and hands its provision to the writer; pg stays
 * idle when there is nothing left. */
static int fill_and_submit(struct bulk_file *b, struct page *pg)
{
    int err = fill(b, pg);
    if (err || (!pg->items.n && !pg->asked))
        return err;
    pg->job = (struct job){.run = provide_run, .done = provide_done};
    pg->finished = 0;
    if ((err = writer_submit(b->svc->writer, &pg->job)) != PHR_OK)
        return err;
    pg->busy = 1;
    return PHR_OK;
}

int bulk_file_open(struct service *svc, const struct actor *a, const char *id, const char *type, struct bulk_file **out,
                   struct fault *fault)
{
    *out = NULL;
    struct bulk_file *b = calloc(1, sizeof *b);
    if (!b)
        return fault_set(fault, F_INTERNAL, NULL, "out of memory");
    if (find(svc, a, id, &b->f, fault)) {
        free(b);
        return -1;
    }
    for (const char *p = b->f.types; *p && !b->type;) {
        size_t n = strcspn(p, ",");
        for (size_t i = 0; i < NTYPES; i++)
            if (strlen(types[i]) == n && !strncmp(types[i], p, n) && !strcmp(types[i], type))
                b->type = types[i];
        p += n + (p[n] == ',');
    }
    if (!b->type) {
        free(b);
        return fault_set(fault, F_NOT_FOUND, NULL, "this export has no file of that type");
    }
    /* The token fetching it may not be the one that started it. */
    if (!scopes_allow(a->scope, b->type, 'r')) {
        free(b);
        return fault_set(fault, F_SCOPE_INSUFFICIENT, NULL, "the token's scopes (%s) do not allow reading %s",
                         a->scope ? a->scope : "", type);
    }
    b->patient_file = !strcmp(b->type, "Patient");
    struct fault unused;
    if (b->f.row.elements && elements_parse(b->f.row.elements, &b->elements, &unused))
        b->elements.n = 0; /* checked at kick-off; a whole resource rather than none */
    b->svc = svc;
    b->actor = *a;
    snprintf(b->client, sizeof b->client, "%s", a->client ? a->client : "");
    snprintf(b->request_id, sizeof b->request_id, "%s", a->request_id ? a->request_id : "");
    b->actor.client = b->client;
    b->actor.request_id = b->request_id;
    /* A Group export provides only through that group, page by page. */
    b->actor.group = b->f.row.group_code;
    b->f.recipient = b->actor.id;
    b->f.row.recipient_id = b->actor.id;
    b->pages[0].b = b->pages[1].b = b;
    pthread_mutex_init(&b->lock, NULL);
    pthread_cond_init(&b->finished, NULL);
    *out = b;
    return 0;
}

/* Appends the next page the gate allowed when it committed; *done when
 * there is nothing left. */
static int step(struct bulk_file *b, struct buf *out, int *done)
{
    for (;;) {
        struct page *head = &b->pages[b->head], *ahead = &b->pages[!b->head];
        int err;
        if (!head->busy && (err = fill_and_submit(b, head)) != PHR_OK)
            return err;
        if (!head->busy) {
            *done = 1;
            return PHR_OK;
        }
        /* The next page is read while this one's provision commits. */
        if (!ahead->busy && (err = fill_and_submit(b, ahead)) != PHR_OK) {
            page_wait(b, head);
            return err;
        }
        if ((err = page_wait(b, head)) != PHR_OK)
            return err;
        b->head = !b->head;
        if (head->g.d == GATE_ALLOW)
            return buf_append(out, head->lines.data, head->lines.len) ? PHR_ENOMEM : PHR_OK;
        /* Withdrawn or suspended since the reader looked: nothing more of
         * this person (a page of theirs already read ahead is decided on
         * its own, and refused the same way). */
        if (b->open && !b->patient_file && !strcmp(b->snap.person, head->person)) {
            snapshot_close(&b->snap);
            b->open = 0;
        }
    }
}

/* 1 while there is more, 0 at the end, -1 on failure (logged; the file is
 * cut short, which the recipient sees as a broken transfer). */
int bulk_file_next(struct bulk_file *b, struct buf *out)
{
    int done = 0, err = step(b, out, &done);
    if (err) {
        log_event(LOG_ERROR, "bulk.file_failed", "error", phr_strerror(err), NULL);
        return -1;
    }
    return !done;
}

void bulk_file_close(struct bulk_file *b)
{
    if (!b)
        return;
    /* A page still with the writer holds b: wait for it (a client that
     * left mid-file). */
    for (int i = 0; i < 2; i++) {
        if (b->pages[i].busy)
            page_wait(b, &b->pages[i]);
        buf_wipe(&b->pages[i].lines);
        provision_list_free(&b->pages[i].items);
    }
    if (b->open && !b->patient_file)
        snapshot_close(&b->snap);
    pthread_mutex_destroy(&b->lock);
    pthread_cond_destroy(&b->finished);
    free(b);
}
