/* Health records read: by id, a version, the history, a search, an
 * imported document's original. The rows are read first (a record names
 * its person), the gate decides on the writer before anything is answered,
 * and the decision is recorded; a recipient's read is a provision. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "crypto/seal.h"
#include "service/reads_internal.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"

static void drop_rows(struct read_op *r)
{
    for (size_t i = 0; i < r->nrows; i++)
        free(r->rows[i].body);
    r->nrows = 0;
    r->more = 0;
    r->total = 0;
    buf_reset(&r->revincluded);
}

/* A recipient's read is a provision: decided here, on the writer's
 * connection, so that a withdrawal or suspension committed before it is
 * always seen (also between two pages), and recorded with the consent it
 * relies on (R3.7) in the same transaction as its audit entry. */
static int provide(struct read_op *r, struct store *st, const char *subject)
{
    struct op *o = &r->op;
    struct gate_result g;
    int err = provide_records(st, &o->actor, r->act, subject, &r->provided, r->asked, &g);
    r->d = g.d;
    if (!err && g.d == GATE_DENY) {
        drop_rows(r);
        /* A search finds nothing (record_bundles.c); a read is refused. */
        if (!r->search)
            op_refuse(o, F_NOT_FOUND, "no such patient, or no consent to provide their data to you");
    }
    return err;
}

/* A handler's read: only under a live reason of theirs naming the person,
 * and the reason goes into the audit entry of every read made under it. */
static int read_as_staff(struct read_op *r, struct store *st, const char *subject)
{
    struct op *o = &r->op;
    struct gate_result g;
    int err = gate_check(st, &o->actor, r->act, subject, 0, &g);
    if (err)
        return err;
    r->d = g.d;
    if (g.d == GATE_DENY) {
        drop_rows(r);
        o->res.err = PHR_EPERM;
        fault_set(&o->res.fault, F_REASON_REQUIRED, NULL,
                  "a handler opens a person's data only under a reason of theirs that names the person and has "
                  "not expired");
        return gate_record(st, &o->actor, r->act, subject, NULL, g.reason, GATE_DENY);
    }
    return gate_record(st, &o->actor, r->act, subject, r->ids.len ? r->ids.data : NULL, g.reason, GATE_ALLOW);
}

int read_commit(struct op *o, struct store *st)
{
    struct read_op *r = (struct read_op *)o;
    const char *subject = r->subject[0] ? r->subject : NULL;
    if (r->d == GATE_ALLOW && o->actor.kind == ACTOR_RECIPIENT)
        return provide(r, st, subject);
    if (r->d == GATE_ALLOW && o->actor.kind == ACTOR_STAFF)
        return read_as_staff(r, st, subject);
    return gate_record(st, &o->actor, r->act, subject, r->ids.len ? r->ids.data : NULL, NULL, r->d);
}

int keep_row(void *arg, const struct record_row *row)
{
    struct read_op *r = arg;
    if (r->type && strcmp(row->resource_type, r->type))
        return PHR_OK; /* an id of another type reads as absent */
    if (r->current_only && !row->current && !r->search) {
        /* A recipient is provided what holds now, never a corrected value;
         * the refusal names the person. */
        if (!r->subject[0])
            snprintf(r->subject, sizeof r->subject, "%s", row->person_id);
        return PHR_OK;
    }
    if (r->values) {
        if (r->more)
            return PHR_OK; /* the page and the row past it are found: open no more */
        r->examined++;
        int met = page_link_place(&r->examined_at, r->sort, r->nsort, row) ? PHR_EINVAL : row_meets(r, row);
        if (met <= 0)
            return met; /* PHR_OK: not one of the matches */
    }
    if (r->limit && r->nrows == r->limit) {
        r->more = 1; /* the one row past the page: proof of a next page */
        return PHR_OK;
    }
    if (r->search && ((!r->nrows && page_link_place(&r->came_first, r->sort, r->nsort, row)) ||
                      page_link_place(&r->came_last, r->sort, r->nsort, row)))
        return PHR_EINVAL;
    return append_row(r, row);
}

int append_row(struct read_op *r, const struct record_row *row)
{
    if (r->nrows == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 8;
        struct sealed *p = realloc(r->rows, cap * sizeof *p);
        if (!p)
            return PHR_ENOMEM;
        r->rows = p;
        r->cap = cap;
    }
    /* A read's version and time, for the answer's ETag and Last-Modified
     * (a search's last row leaves them too; nothing reads them there). */
    r->op.res.version = row->version;
    r->op.res.modified_at = row->recorded_at;
    struct sealed *s = &r->rows[r->nrows];
    const unsigned char *blob = r->original ? row->original : row->body;
    size_t blen = r->original ? row->original_len : row->body_len;
    s->body = malloc(blen ? blen : 1);
    if (!s->body)
        return PHR_ENOMEM;
    memcpy(s->body, blob, blen);
    s->len = blen;
    s->alg = row->alg;
    s->version = row->version;
    s->recorded_at = row->recorded_at;
    s->replaced = r->search && !row->current;
    snprintf(s->id, sizeof s->id, "%s", row->id);
    snprintf(s->type, sizeof s->type, "%s", row->resource_type);
    s->included = 0;
    s->has_mac = row->original_mac != NULL;
    if (s->has_mac)
        memcpy(s->mac, row->original_mac, sizeof s->mac);
    if (!r->subject[0])
        snprintf(r->subject, sizeof r->subject, "%s", row->person_id);
    else if (strcmp(r->subject, row->person_id) != 0)
        return PHR_EIO; /* one query never spans persons */
    r->nrows++;
    if ((r->ids.len && buf_puts(&r->ids, ",")) || buf_puts(&r->ids, row->id))
        return PHR_ENOMEM;
    /* A replaced one is provided in the version that replaced it. */
    return r->op.actor.kind == ACTOR_RECIPIENT && !s->replaced ? provision_list_add(&r->provided, row) : PHR_OK;
}

/* Opens row i into out (nothing appended on failure). A row that does not
 * open (its tag fails: altered or corrupted storage) is logged naming it:
 * a search leaves it out and says so; a read of it is a 500. */
int open_row(struct read_op *r, const unsigned char key[DATA_KEY_BYTES], size_t i, struct buf *out)
{
    char ad[96];
    record_ad(ad, r->rows[i].id, r->rows[i].version, r->original ? "original" : "body");
    int err = seal_open(r->rows[i].alg, key, ad, r->rows[i].body, r->rows[i].len, out);
    if (err == PHR_ECRYPTO || err == PHR_EINVAL) {
        char v[16];
        snprintf(v, sizeof v, "%d", r->rows[i].version);
        log_event(LOG_ERROR, "record.unreadable", "person", r->subject, "record", r->rows[i].id, "version", v,
                  "part", r->original ? "original" : "body", NULL);
        err = PHR_ECRYPTO;
    }
    return err;
}

int read_key(struct read_op *r, unsigned char key[DATA_KEY_BYTES])
{
    struct store *rd;
    int err = service_reader(r->op.svc, &rd);
    if (err)
        return err;
    err = service_data_key(r->op.svc, rd, r->subject, key);
    service_reader_done(r->op.svc, rd);
    return err;
}

/* The resource, or (original_ops) the original exactly as it was
 * submitted (an imported document). */
static int read_render(struct op *o, struct buf *out)
{
    struct read_op *r = (struct read_op *)o;
    unsigned char key[DATA_KEY_BYTES];
    int err = read_key(r, key);
    if (!err)
        err = open_row(r, key, 0, out);
    sodium_memzero(key, sizeof key);
    return err;
}


void read_destroy(struct op *o)
{
    struct read_op *r = (struct read_op *)o;
    for (size_t i = 0; i < r->nrows; i++)
        free(r->rows[i].body);
    free(r->rows);
    buf_free(&r->ids);
    buf_free(&r->query);
    buf_free(&r->binding);
    buf_free(&r->ignored);
    buf_free(&r->revincluded);
    free(r->subset);
    provision_list_free(&r->provided);
}

static const struct op_ops read_ops = {read_commit, read_render, read_destroy};
static const struct op_ops original_ops = {read_commit, read_render, read_destroy};

struct read_op *read_op_new(struct service *svc, const struct actor *a, enum action act, const struct op_ops *ops)
{
    struct read_op *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    op_init(&r->op, svc, ops, a);
    r->act = act;
    r->current_only = a->kind == ACTOR_RECIPIENT;
    buf_init(&r->ids);
    buf_init(&r->query);
    buf_init(&r->binding);
    buf_init(&r->ignored);
    buf_init(&r->revincluded);
    return r;
}

/* Read and history: the rows are fetched first, because the record names
 * its person; the gate then decides on that person. */
static int read_by_id(struct service *svc, const struct actor *a, enum action act, const struct op_ops *ops,
                      const char *type, const char *id, int version, const char *base_url, struct op **out,
                      struct fault *fault)
{
    *out = NULL;
    struct read_op *r = read_op_new(svc, a, act, ops);
    struct store *rd;
    if (!r)
        return fault_set(fault, F_INTERNAL, NULL, "out of memory");
    r->type = type;
    r->original = ops == &original_ops;
    if (base_url)
        snprintf(r->base_url, sizeof r->base_url, "%s", base_url);
    if (service_reader(svc, &rd) != PHR_OK) {
        op_free(&r->op);
        return fault_set(fault, F_UNAVAILABLE, NULL, "the store is not available");
    }
    int err = PHR_ENOTFOUND;
    if (id_is_uuid(id))
        err = act == ACT_RECORD_HISTORY ? store_record_history(rd, id, keep_row, r)
                                        : store_record_get(rd, id, version, keep_row, r);
    service_reader_done(svc, rd);
    if (err && err != PHR_ENOTFOUND) {
        op_free(&r->op);
        return fault_set(fault, F_UNAVAILABLE, NULL, "the store is not available");
    }
    r->d = gate_decide(a, act, r->nrows ? r->subject : NULL);
    if (r->d == GATE_DENY) {
        /* The same answer whether the record is someone else's or does
         * not exist: ids do not leak. The attempt is audited with the id. */
        read_destroy(&r->op);
        r->rows = NULL;
        r->nrows = 0;
        buf_init(&r->ids);
        if (strlen(id) <= ID_LEN)
            buf_puts(&r->ids, id);
        op_refuse(&r->op, F_NOT_FOUND, "%s",
                  version ? "no such version of this record" : "no record of this type with this id");
    }
    *out = &r->op;
    return 0;
}

int records_document(struct service *svc, const struct actor *a, const char *id, int original, struct op **out,
                     struct fault *fault)
{
    return read_by_id(svc, a, ACT_RECORD_READ, original ? &original_ops : &read_ops, "DocumentReference", id, 0, NULL,
                      out, fault);
}

int records_read(struct service *svc, const struct actor *a, const char *type, const char *id, int version,
                 struct op **out, struct fault *fault)
{
    return read_by_id(svc, a, ACT_RECORD_READ, &read_ops, type, id, version, NULL, out, fault);
}

int records_history(struct service *svc, const struct actor *a, const char *type, const char *id, const char *base_url,
                    struct op **out, struct fault *fault)
{
    return read_by_id(svc, a, ACT_RECORD_HISTORY, &bundle_ops, type, id, 0, base_url, out, fault);
}


/* --- the Patient resource --- */

struct patient_op {
    struct op op;
    char subject[ID_LEN + 1];
    char base_url[256];
    int search, found;            /* GET /fhir/Patient: a searchset, empty when refused */
};

/* The person reads their own; an app or a partner only the person it may
 * be provided something of now (the gate decides on the kinds the consent
 * provides, as for a Bulk export's Patient line), and each read is on the
 * record. The resource holds the id alone. */
static int patient_commit(struct op *o, struct store *st)
{
    struct patient_op *p = (struct patient_op *)o;
    enum decision d = gate_decide(&o->actor, ACT_RECORD_READ, p->subject);
    int err = PHR_OK;
    if (d == GATE_ALLOW && o->actor.kind == ACTOR_RECIPIENT) {
        struct provision_scope scope;
        struct provision_list none = {0};
        struct gate_result g;
        if ((err = gate_provision_scope(st, &o->actor, p->subject, &scope)) ||
            (err = provide_records(st, &o->actor, ACT_RECORD_READ, p->subject, &none, scope.kinds, &g)))
            return err;
        d = g.d;
    } else {
        if (o->actor.kind != ACTOR_PERSON)
            d = GATE_DENY; /* staff read records under a reason, not this */
        err = gate_record(st, &o->actor, ACT_RECORD_READ, p->subject, "Patient", d == GATE_DENY ? "not-own" : NULL, d);
    }
    p->found = d == GATE_ALLOW;
    if (!err && d == GATE_DENY && !p->search)
        op_refuse(o, F_NOT_FOUND, "no such patient");
    return err;
}

int patient_json(struct buf *out, const char *id)
{
    return buf_printf(out,
                      "{\"resourceType\":\"Patient\",\"id\":\"%s\",\"identifier\":[{\"system\":\"urn:ietf:rfc:3986\","
                      "\"value\":\"urn:uuid:%s\"}]}",
                      id, id)
               ? PHR_ENOMEM
               : PHR_OK;
}

static int patient_render(struct op *o, struct buf *out)
{
    struct patient_op *p = (struct patient_op *)o;
    if (!p->search)
        return patient_json(out, p->subject);
    if (buf_printf(out, "{\"resourceType\":\"Bundle\",\"type\":\"searchset\",\"total\":%d,\"entry\":[",
                   p->found))
        return PHR_ENOMEM;
    if (p->found && (buf_puts(out, "{\"fullUrl\":\"") || buf_json_escape(out, p->base_url, strlen(p->base_url)) ||
                     buf_printf(out, "/Patient/%s\",\"resource\":", p->subject) || patient_json(out, p->subject) ||
                     buf_puts(out, ",\"search\":{\"mode\":\"match\"}}")))
        return PHR_ENOMEM;
    return buf_puts(out, "]}") ? PHR_ENOMEM : PHR_OK;
}

static const struct op_ops patient_ops = {patient_commit, patient_render, NULL};

int patient_read(struct service *svc, const struct actor *a, const char *id, struct op **out, struct fault *fault)
{
    *out = NULL;
    if (!id || !id_is_uuid(id))
        return fault_set(fault, F_NOT_FOUND, NULL, "no such patient");
    struct patient_op *p = calloc(1, sizeof *p);
    if (!p)
        return fault_set(fault, F_INTERNAL, NULL, "out of memory");
    op_init(&p->op, svc, &patient_ops, a);
    snprintf(p->subject, sizeof p->subject, "%s", id);
    *out = &p->op;
    return 0;
}

int patient_search(struct service *svc, const struct actor *a, const char *id, const char *base_url, struct op **out,
                   struct fault *fault)
{
    /* Who the caller is about: the person, an app's person, or (a
     * partner's system) the one it names. */
    const char *own = a->kind == ACTOR_PERSON ? a->id : a->patient;
    if (!id && !own)
        return fault_set(fault, F_BAD_REQUEST, "_id", "a system names the patient: give _id");
    if (patient_read(svc, a, id ? id : own, out, fault) != 0)
        return -1;
    struct patient_op *p = (struct patient_op *)*out;
    p->search = 1;
    snprintf(p->base_url, sizeof p->base_url, "%s", base_url);
    return 0;
}
