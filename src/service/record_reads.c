/* Health records read: by id, a version, the history, a search, an
 * imported document's original. The rows are read first (a record names
 * its person), the gate decides on the writer before anything is answered,
 * and the decision is recorded; a recipient's read is a provision. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "crypto/seal.h"
#include "service/internal.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"

struct sealed {
    char id[ID_LEN + 1];
    int version, alg;
    int64_t recorded_at;
    unsigned char *body;         /* the resource, or (original reads) the original */
    size_t len;
};

struct read_op {
    struct op op;
    enum action act;
    enum decision d;
    char subject[ID_LEN + 1];
    struct sealed *rows;
    size_t nrows, cap;
    int64_t total;                 /* -1: not counted */
    int more;                      /* search: a further page exists */
    size_t limit;                  /* search: rows to keep (the page) */
    const char *type;              /* only records of this resource type (static) */
    int original;                  /* keep the original as submitted, not the resource */
    struct buf ids;                /* for the audit entry */
    /* A recipient's: current versions only, what it would be provided, and
     * the kinds it asked for (a search: those its consent covered when the
     * search was made). */
    int current_only;
    struct provision_list provided;
    data_kinds asked;
    char base_url[256], self_url[1024];
    int offset, count;
};

static void drop_rows(struct read_op *r)
{
    for (size_t i = 0; i < r->nrows; i++)
        free(r->rows[i].body);
    r->nrows = 0;
    r->more = 0;
    r->total = 0;
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

static int read_commit(struct op *o, struct store *st)
{
    struct read_op *r = (struct read_op *)o;
    const char *subject = r->subject[0] ? r->subject : NULL;
    if (r->d == GATE_ALLOW && o->actor.kind == ACTOR_RECIPIENT)
        return provide(r, st, subject);
    if (r->d == GATE_ALLOW && o->actor.kind == ACTOR_STAFF)
        return read_as_staff(r, st, subject);
    return gate_record(st, &o->actor, r->act, subject, r->ids.len ? r->ids.data : NULL, NULL, r->d);
}

static int keep_row(void *arg, const struct record_row *row)
{
    struct read_op *r = arg;
    if (r->type && strcmp(row->resource_type, r->type))
        return PHR_OK; /* an id of another type reads as absent */
    if (r->current_only && !row->current) {
        /* A recipient is provided what holds now, never a corrected value;
         * the refusal names the person. */
        if (!r->subject[0])
            snprintf(r->subject, sizeof r->subject, "%s", row->person_id);
        return PHR_OK;
    }
    if (r->limit && r->nrows == r->limit) {
        r->more = 1; /* the one row past the page: proof of a next page */
        return PHR_OK;
    }
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
    snprintf(s->id, sizeof s->id, "%s", row->id);
    if (!r->subject[0])
        snprintf(r->subject, sizeof r->subject, "%s", row->person_id);
    else if (strcmp(r->subject, row->person_id) != 0)
        return PHR_EIO; /* one query never spans persons */
    r->nrows++;
    if ((r->ids.len && buf_puts(&r->ids, ",")) || buf_puts(&r->ids, row->id))
        return PHR_ENOMEM;
    return r->op.actor.kind == ACTOR_RECIPIENT ? provision_list_add(&r->provided, row) : PHR_OK;
}

/* Opens row i into out. */
/* Opens row i into out (nothing appended on failure). A row that does not
 * open (its tag fails: altered or corrupted storage) is logged naming it:
 * a search leaves it out and says so; a read of it is a 500. */
static int open_row(struct read_op *r, const unsigned char key[DATA_KEY_BYTES], size_t i, struct buf *out)
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

static int with_key(struct read_op *r, unsigned char key[DATA_KEY_BYTES])
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
    int err = with_key(r, key);
    if (!err)
        err = open_row(r, key, 0, out);
    sodium_memzero(key, sizeof key);
    return err;
}

static int bundle_render(struct op *o, struct buf *out)
{
    struct read_op *r = (struct read_op *)o;
    unsigned char key[DATA_KEY_BYTES];
    int search = r->act == ACT_RECORD_SEARCH;
    int err = PHR_OK;
    if (r->nrows && (err = with_key(r, key)) != PHR_OK)
        return err;
    int64_t total = search ? r->total : (int64_t)r->nrows;
    if (buf_printf(out, "{\"resourceType\":\"Bundle\",\"type\":\"%s\",", search ? "searchset" : "history"))
        goto nomem;
    if (total >= 0 && buf_printf(out, "\"total\":%lld,", (long long)total))
        goto nomem;
    if (buf_puts(out, "\"link\":["))
        goto nomem;
    if (search) {
        const char *sep = strchr(r->self_url, '?') ? "&" : "?";
        if (buf_puts(out, "{\"relation\":\"self\",\"url\":") || buf_json_str(out, r->self_url) ||
            buf_printf(out, "}"))
            goto nomem;
        if (r->more) {
            struct buf next;
            buf_init(&next);
            int e = buf_printf(&next, "%s%s_offset=%d", r->self_url, sep, r->offset + r->count) ||
                    buf_puts(out, ",{\"relation\":\"next\",\"url\":") || buf_json_str(out, buf_cstr(&next)) ||
                    buf_puts(out, "}");
            buf_free(&next);
            if (e)
                goto nomem;
        }
    }
    if (buf_puts(out, "],\"entry\":["))
        goto nomem;
    size_t sent = 0, unreadable = 0;
    for (size_t i = 0; i < r->nrows; i++) {
        size_t mark = out->len;
        if (buf_printf(out, "%s{\"fullUrl\":", sent ? "," : "") || buf_puts(out, "\"") ||
            buf_json_escape(out, r->base_url, strlen(r->base_url)) ||
            buf_printf(out, "/%s/%s\",\"resource\":", r->type, r->rows[i].id))
            goto nomem;
        if ((err = open_row(r, key, i, out)) == PHR_ECRYPTO) {
            out->len = mark; /* left out; the rest of the answer stands */
            unreadable++;
            err = PHR_OK;
            continue;
        }
        if (err)
            goto out;
        sent++;
        /* A history entry says how the version came (bdl-3) and how it was
         * answered (bdl-4): a create, or an update of the id. */
        char at[32];
        clock_format_ms(r->rows[i].recorded_at, at);
        int created = r->rows[i].version == 1;
        if (search ? buf_puts(out, ",\"search\":{\"mode\":\"match\"}}")
                   : buf_printf(out,
                                ",\"request\":{\"method\":\"%s\",\"url\":\"%s%s%s\"},\"response\":{\"status\":"
                                "\"%s\",\"etag\":\"W/\\\"%d\\\"\",\"lastModified\":\"%s\"}}",
                                created ? "POST" : "PUT", r->type, created ? "" : "/", created ? "" : r->rows[i].id,
                                created ? "201 Created" : "200 OK", r->rows[i].version, at))
            goto nomem;
    }
    if (unreadable && search &&
        buf_printf(out, "%s{\"resource\":{\"resourceType\":\"OperationOutcome\",\"issue\":[{\"severity\":\"error\","
                        "\"code\":\"exception\",\"diagnostics\":\"%zu matching record(s) could not be opened and are "
                        "not included\"}]},\"search\":{\"mode\":\"outcome\"}}", sent ? "," : "", unreadable))
        goto nomem;
    if (buf_puts(out, "]}"))
        goto nomem;
    goto out;
nomem:
    err = PHR_ENOMEM;
out:
    sodium_memzero(key, sizeof key);
    return err;
}

static void read_destroy(struct op *o)
{
    struct read_op *r = (struct read_op *)o;
    for (size_t i = 0; i < r->nrows; i++)
        free(r->rows[i].body);
    free(r->rows);
    buf_free(&r->ids);
    provision_list_free(&r->provided);
}

static const struct op_ops read_ops = {read_commit, read_render, read_destroy};
static const struct op_ops original_ops = {read_commit, read_render, read_destroy};
static const struct op_ops bundle_ops = {read_commit, bundle_render, read_destroy};

static struct read_op *read_op_new(struct service *svc, const struct actor *a, enum action act,
                                   const struct op_ops *ops)
{
    struct read_op *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    op_init(&r->op, svc, ops, a);
    r->act = act;
    r->current_only = a->kind == ACTOR_RECIPIENT;
    buf_init(&r->ids);
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

int records_search(struct service *svc, const struct actor *a, const struct search_params *p, const char *base_url,
                   const char *self_url, struct op **out, struct fault *fault)
{
    *out = NULL;
    struct read_op *r = read_op_new(svc, a, ACT_RECORD_SEARCH, &bundle_ops);
    if (!r)
        return fault_set(fault, F_INTERNAL, NULL, "out of memory");
    snprintf(r->base_url, sizeof r->base_url, "%s", base_url);
    snprintf(r->self_url, sizeof r->self_url, "%s", self_url);
    r->type = p->q.resource_type;
    if ((a->kind == ACTOR_RECIPIENT || a->kind == ACTOR_STAFF) && !p->patient) {
        op_free(&r->op);
        return fault_set(fault, F_BAD_REQUEST, "patient",
                         "searches by anyone but the person name one person: give patient");
    }
    const char *subject = p->patient ? p->patient : (a->kind == ACTOR_PERSON ? a->id : NULL);
    if (subject && strlen(subject) <= ID_LEN)
        snprintf(r->subject, sizeof r->subject, "%s", subject);
    r->d = gate_decide(a, ACT_RECORD_SEARCH, r->subject[0] ? r->subject : NULL);
    if (r->d == GATE_DENY) {
        op_refuse(&r->op, F_NOT_FOUND, "no such patient");
        *out = &r->op;
        return 0;
    }
    struct record_query q = p->q;
    q.person_id = r->subject;
    r->offset = q.offset;
    r->count = q.count;
    struct store *rd;
    if (service_reader(svc, &rd) != PHR_OK) {
        op_free(&r->op);
        return fault_set(fault, F_UNAVAILABLE, NULL, "the store is not available");
    }
    /* A recipient searches only the kinds its consent provides: what
     * another kind holds is neither sent nor counted. The writer decides
     * again on what was found. */
    char kinds[DATA_KINDS_FILTER_MAX];
    if (a->kind == ACTOR_RECIPIENT) {
        struct provision_scope scope;
        if (gate_provision_scope(rd, a, r->subject, &scope) != PHR_OK) {
            service_reader_done(svc, rd);
            op_free(&r->op);
            return fault_set(fault, F_UNAVAILABLE, NULL, "the store is not available");
        }
        r->asked = scope.kinds & data_kinds_of_type(q.resource_type);
        if (!r->asked) {
            /* Nothing of this type is provided: the commit records the refusal. */
            r->asked = data_kinds_of_type(q.resource_type);
            service_reader_done(svc, rd);
            *out = &r->op;
            return 0;
        }
        data_kinds_filter(r->asked, kinds);
        q.kinds = kinds;
    }
    /* Counting every match costs a scan of the person's whole index range,
     * so the total is given when asked for (_total=accurate) or when it is
     * known anyway: on the last page. One row past the page says whether
     * there is a next one. */
    int err = PHR_OK;
    r->total = -1;
    if (p->total_accurate || q.count == 0)
        err = store_record_count(rd, &q, &r->total);
    if (!err && q.count > 0) {
        r->limit = (size_t)q.count;
        q.count++;
        err = store_record_search(rd, &q, keep_row, r);
        if (!err && !r->more && r->total < 0)
            r->total = (int64_t)q.offset + (int64_t)r->nrows;
    }
    service_reader_done(svc, rd);
    if (err) {
        op_free(&r->op);
        return fault_set(fault, F_UNAVAILABLE, NULL, "the store is not available");
    }
    *out = &r->op;
    return 0;
}

/* --- the Patient resource --- */

struct patient_op {
    struct op op;
    char subject[ID_LEN + 1];
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
    if (!err && d == GATE_DENY)
        op_refuse(o, F_NOT_FOUND, "no such patient");
    return err;
}

static int patient_render(struct op *o, struct buf *out)
{
    struct patient_op *p = (struct patient_op *)o;
    return buf_printf(out,
                      "{\"resourceType\":\"Patient\",\"id\":\"%s\",\"identifier\":[{\"system\":\"urn:ietf:rfc:3986\","
                      "\"value\":\"urn:uuid:%s\"}]}",
                      p->subject, p->subject)
               ? PHR_ENOMEM
               : PHR_OK;
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
