/* A Bulk export's file, made while it is fetched (R4.4): person by person
 * and page by page from a read snapshot, each page provided only if the
 * gate allows it at that moment, its provision record and audit entry
 * committed before a byte of it is sent (see service/bulk.c). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "formats/import_fhir.h"
#include "service/bulk_internal.h"
#include "service/snapshot.h"
#include "util/err.h"
#include "util/log.h"

/* Records per page, and so per gate decision and provision record: most
 * persons' records of a type fit in one, so a person costs one commit.
 * A page is one person's and decided on its own, so a withdrawal stops
 * that person's data at the first page decided after it, whatever the
 * page's size. */
#define PAGE 1000

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
    char base_url[320];           /* where a document's file is fetched */
    int outcomes;                 /* the errors file: the parameters ignored; no person's data */
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
    /* A document's file is fetched apart: its attachment names where. */
    int document = !strcmp(b->type, "DocumentReference");
    if (b->elements.n || document) {
        struct buf whole = {0}, linked = {0};
        const char *line = NULL;
        size_t len = 0;
        if (!(err = snapshot_append_part(&b->snap, r, "body", &whole))) {
            line = whole.data;
            len = whole.len;
        }
        if (!err && document) {
            char url[400];
            snprintf(url, sizeof url, "%s/Binary/%s", b->base_url, r->id);
            if (!(err = document_with_url(line, len, url, &linked))) {
                line = linked.data;
                len = linked.len;
            }
        }
        if (!err)
            err = b->elements.n ? elements_apply(&b->elements, line, len, &pg->lines)
                                : buf_append(&pg->lines, line, len) ? PHR_ENOMEM : PHR_OK;
        buf_wipe(&whole);
        buf_wipe(&linked);
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

int bulk_file_open(struct service *svc, const struct actor *a, const char *id, const char *type,
                   const char *base_url, struct bulk_file **out, struct fault *fault)
{
    *out = NULL;
    struct bulk_file *b = calloc(1, sizeof *b);
    if (!b)
        return fault_set(fault, F_INTERNAL, NULL, "out of memory");
    if (bulk_find(svc, a, id, &b->f, fault)) {
        free(b);
        return -1;
    }
    /* What handling=lenient ignored, told as the errors file. */
    if (!strcmp(type, "OperationOutcome") && b->f.row.ignored) {
        b->outcomes = 1;
        *out = b;
        return 0;
    }
    for (const char *p = b->f.types; *p && !b->type;) {
        size_t n = strcspn(p, ",");
        for (size_t i = 0; i < BULK_NTYPES; i++)
            if (strlen(bulk_types[i]) == n && !strncmp(bulk_types[i], p, n) && !strcmp(bulk_types[i], type))
                b->type = bulk_types[i];
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
    snprintf(b->base_url, sizeof b->base_url, "%s", base_url);
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
/* One OperationOutcome per parameter ignored. */
static int outcome_lines(struct bulk_file *b, struct buf *out)
{
    for (const char *p = b->f.row.ignored; *p;) {
        size_t n = strcspn(p, ",");
        if (buf_printf(out,
                       "{\"resourceType\":\"OperationOutcome\",\"issue\":[{\"severity\":\"warning\","
                       "\"code\":\"not-supported\",\"diagnostics\":\"%.*s was ignored (Prefer: handling=lenient): "
                       "the export does not apply it\"}]}\n",
                       (int)n, p))
            return PHR_ENOMEM;
        p += n + (p[n] == ',');
    }
    b->outcomes = 2;
    return PHR_OK;
}

int bulk_file_next(struct bulk_file *b, struct buf *out)
{
    if (b->outcomes)
        return b->outcomes == 1 ? (outcome_lines(b, out) ? -1 : 1) : 0;
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
    if (b->outcomes) {
        free(b);
        return;
    }
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
