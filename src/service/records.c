/* Health records: create, correct (new version), read, history, search.
 * Every path decides at the gate and records the decision in the same
 * transaction as the change (or, for reads, before anything is answered). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "crypto/seal.h"
#include "formats/vitals.h"
#include "service/internal.h"
#include "util/clock.h"
#include "util/err.h"

#define CATEGORY_VITALS "vital-signs"

void record_ad(char out[96], const char *id, int version, const char *part)
{
    snprintf(out, 96, "phr-record:%s:%d:%s", id, version, part);
}

static void deny_not_found(struct op *o, const char *what)
{
    o->res.err = PHR_ENOTFOUND;
    issue_set(&o->res.issue, 404, "not-found", NULL, "%s", what);
}

/* A refusal by the consent stage: 403, since the data is the person's own
 * (nothing leaks), with what they can do about it. */
static void refuse_use(struct op *o, enum use_refusal why, const char *reason)
{
    o->res.err = PHR_EPERM;
    o->res.id[0] = '\0';
    switch (why) {
    case USE_NO_POLICY:
        issue_set(&o->res.issue, 403, "forbidden", NULL,
                  "the service has not published its terms and purposes of use yet; nothing can be recorded");
        break;
    case USE_NO_CONSENT:
        issue_set(&o->res.issue, 403, "forbidden", NULL,
                  "consent to the required purpose of use '%s' (its current version) is needed before data "
                  "can be recorded; see GET /api/v1/policies and POST /api/v1/me/consents",
                  reason + strlen("no-consent:"));
        break;
    case USE_SUSPENDED:
        issue_set(&o->res.issue, 403, "suspended", NULL,
                  "use of this person's data is suspended; lift the suspension to record new data");
        break;
    case USE_OK:
    case USE_NO_PROVISION:
    case USE_NO_REASON:
        break;
    }
}

/* --- create and update --- */

struct write_op {
    struct op op;
    enum action act;
    enum decision d;
    char subject[ID_LEN + 1];
    int supersede;                 /* update: the version being replaced */
    char recorded_by[64];
    struct record_row row;
    struct buf plain, sealed_body, sealed_orig;
    unsigned char mac[32];
};

static int write_commit(struct op *o, struct store *st)
{
    struct write_op *w = (struct write_op *)o;
    const char *subject = w->subject[0] ? w->subject : NULL;
    if (w->d == GATE_DENY)
        return gate_record(st, &o->actor, w->act, subject, o->res.id[0] ? o->res.id : NULL, NULL, GATE_DENY);
    /* Decided again here, on the writer's connection: a withdrawal or a
     * suspension that committed before this job is always seen. */
    struct gate_result g;
    int err = gate_check(st, &o->actor, w->act, subject, w->row.resource_type, &g);
    if (err)
        return err;
    w->d = g.d;
    if (w->d == GATE_DENY) {
        refuse_use(o, g.why, g.reason);
        return gate_record(st, &o->actor, w->act, subject, NULL, g.reason, GATE_DENY);
    }
    if (w->supersede) {
        err = st->ops->record_supersede(st, w->row.id, w->supersede);
        if (err == PHR_ECONFLICT) {
            /* Someone else corrected it first: nothing is written. */
            o->res.err = PHR_ECONFLICT;
            issue_set(&o->res.issue, 409, "conflict", NULL,
                      "the record was changed meanwhile; read it again and resubmit");
            return PHR_OK;
        }
        if (err)
            return err;
    }
    if ((err = st->ops->record_insert(st, &w->row)) != PHR_OK)
        return err;
    return gate_record(st, &o->actor, w->act, subject, w->row.id, NULL, GATE_ALLOW);
}

static int write_render(struct op *o, struct buf *out)
{
    struct write_op *w = (struct write_op *)o;
    return buf_append(out, w->plain.data, w->plain.len) ? PHR_ENOMEM : PHR_OK;
}

static void write_destroy(struct op *o)
{
    struct write_op *w = (struct write_op *)o;
    buf_wipe(&w->plain);
    buf_free(&w->sealed_body);
    buf_free(&w->sealed_orig);
}

static const struct op_ops write_ops = {write_commit, write_render, write_destroy};

static struct write_op *write_op_new(struct service *svc, const struct actor *a, enum action act)
{
    struct write_op *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    op_init(&w->op, svc, &write_ops, a);
    w->act = act;
    buf_init(&w->plain);
    buf_init(&w->sealed_body);
    buf_init(&w->sealed_orig);
    return w;
}

/* Seals the finalised resource and the original under the subject's key
 * and fills the row. */
static int seal_record(struct service *svc, struct store *rd, struct write_op *w, struct vital *v,
                       const char *body, size_t len, const char *channel, struct issue *is)
{
    unsigned char key[DATA_KEY_BYTES], digest[32];
    char hex[65], ad[96];
    int rc = -1;
    int err = service_data_key(svc, rd, w->subject, key);
    if (err) {
        if (err == PHR_ENOTFOUND)
            return issue_set(is, 404, "not-found", "subject", "no such person");
        return issue_set(is, 500, "exception", NULL, "the person's data key could not be opened");
    }
    crypto_hash_sha256(digest, (const unsigned char *)body, len);
    sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
    gate_actor_name(&w->op.actor, w->recorded_by);
    struct provenance prov = {
        .recorded_by = w->recorded_by,
        .channel = channel,
        .original_sha256_hex = hex,
        .recorded_at = clock_now_ms(),
    };
    if (vitals_finalise(v, w->op.res.id, w->op.res.version, w->subject, &prov, &w->plain) != 0) {
        issue_set(is, 500, "exception", NULL, "out of memory");
        goto out;
    }
    record_ad(ad, w->op.res.id, w->op.res.version, "body");
    if (seal(key, ad, w->plain.data, w->plain.len, &w->sealed_body) != PHR_OK) {
        issue_set(is, 500, "exception", NULL, "out of memory");
        goto out;
    }
    record_ad(ad, w->op.res.id, w->op.res.version, "original");
    if (seal(key, ad, body, len, &w->sealed_orig) != PHR_OK) {
        issue_set(is, 500, "exception", NULL, "out of memory");
        goto out;
    }
    seal_mac(key, body, len, w->mac);
    w->row = (struct record_row){
        .id = w->op.res.id,
        .version = w->op.res.version,
        .person_id = w->subject,
        .resource_type = "Observation",
        .code_system = LOINC,
        .code = v->kind->code,
        .category = CATEGORY_VITALS,
        .effective_start = v->eff_lo,
        .effective_end = v->eff_hi,
        .data_category = 3,
        .source = v->source,
        .recorded_at = prov.recorded_at,
        .recorded_by = w->recorded_by,
        .channel = channel,
        .original_mac = w->mac,
        .alg = SEAL_XCHACHA20POLY1305,
        .body = (const unsigned char *)w->sealed_body.data,
        .body_len = w->sealed_body.len,
        .original = (const unsigned char *)w->sealed_orig.data,
        .original_len = w->sealed_orig.len,
        .current = 1,
    };
    rc = 0;
out:
    sodium_memzero(key, sizeof key);
    return rc;
}

int records_create(struct service *svc, const struct actor *a, const char *subject, const char *body,
                   size_t len, const char *channel, struct op **out, struct issue *is)
{
    *out = NULL;
    struct vital v;
    if (vitals_parse(body, len, clock_now_ms(), svc->cfg.tz_offset_min, &v, is) != 0)
        return -1;
    struct write_op *w = write_op_new(svc, a, ACT_RECORD_CREATE);
    struct store *rd = NULL;
    if (!w) {
        vital_free(&v);
        return issue_set(is, 500, "exception", NULL, "out of memory");
    }
    if (!subject)
        subject = v.subject ? v.subject : (a->kind == ACTOR_PERSON ? a->id : NULL);
    if (subject)
        snprintf(w->subject, sizeof w->subject, "%s", subject);
    w->d = gate_decide(a, ACT_RECORD_CREATE, subject);
    if (w->d == GATE_DENY) {
        w->op.res.err = PHR_EPERM;
        issue_set(&w->op.res.issue, 403, "forbidden", "Observation.subject",
                  "you can record data only about yourself");
        goto done;
    }
    id_uuid7(w->op.res.id);
    w->op.res.version = 1;
    if (service_reader(svc, &rd) != PHR_OK) {
        issue_set(is, 503, "transient", NULL, "the store is not available");
        goto fail;
    }
    if (seal_record(svc, rd, w, &v, body, len, channel, is) != 0)
        goto fail;
done:
    if (rd)
        service_reader_done(svc, rd);
    vital_free(&v);
    *out = &w->op;
    return 0;
fail:
    if (rd)
        service_reader_done(svc, rd);
    vital_free(&v);
    op_free(&w->op);
    return -1;
}

struct current_row {
    char person_id[ID_LEN + 1];
    int version;
    int found;
};

static int got_current(void *arg, const struct record_row *r)
{
    struct current_row *c = arg;
    snprintf(c->person_id, sizeof c->person_id, "%s", r->person_id);
    c->version = r->version;
    c->found = 1;
    return 0;
}

int records_update(struct service *svc, const struct actor *a, const char *id, int if_match,
                   const char *body, size_t len, const char *channel, struct op **out, struct issue *is)
{
    *out = NULL;
    struct vital v;
    if (vitals_parse(body, len, clock_now_ms(), svc->cfg.tz_offset_min, &v, is) != 0)
        return -1;
    const char *body_id = NULL;
    json_object *idv;
    if (json_object_object_get_ex(v.resource, "id", &idv))
        body_id = json_object_get_string(idv);
    if (!body_id || strcmp(body_id, id) != 0) {
        vital_free(&v);
        return issue_set(is, 400, "invalid", "Observation.id", "the resource's id must match the id in the URL");
    }
    struct write_op *w = write_op_new(svc, a, ACT_RECORD_UPDATE);
    struct store *rd = NULL;
    struct current_row cur = {{0}, 0, 0};
    if (!w) {
        vital_free(&v);
        return issue_set(is, 500, "exception", NULL, "out of memory");
    }
    snprintf(w->op.res.id, sizeof w->op.res.id, "%s", id);
    if (service_reader(svc, &rd) != PHR_OK) {
        issue_set(is, 503, "transient", NULL, "the store is not available");
        goto fail;
    }
    int err = id_is_uuid(id) ? rd->ops->record_get(rd, id, 0, got_current, &cur) : PHR_ENOTFOUND;
    if (err && err != PHR_ENOTFOUND) {
        issue_set(is, 503, "transient", NULL, "the store is not available");
        goto fail;
    }
    if (cur.found)
        snprintf(w->subject, sizeof w->subject, "%s", cur.person_id);
    w->d = gate_decide(a, ACT_RECORD_UPDATE, cur.found ? cur.person_id : NULL);
    if (w->d == GATE_DENY) {
        deny_not_found(&w->op, "no Observation with this id");
        goto done;
    }
    if (v.subject && strcmp(v.subject, cur.person_id) != 0) {
        issue_set(is, 422, "business-rule", "Observation.subject", "a correction cannot move a record to another person");
        goto fail;
    }
    if (if_match > 0 && if_match != cur.version) {
        w->d = GATE_DENY;
        w->op.res.err = PHR_ECONFLICT;
        issue_set(&w->op.res.issue, 412, "conflict", NULL, "If-Match names version %d; the current version is %d",
                  if_match, cur.version);
        goto fail_precondition;
    }
    w->supersede = cur.version;
    w->op.res.version = cur.version + 1;
    if (seal_record(svc, rd, w, &v, body, len, channel, is) != 0)
        goto fail;
done:
    service_reader_done(svc, rd);
    vital_free(&v);
    *out = &w->op;
    return 0;
fail_precondition:
    /* Allowed to see the record, refused for staleness: nothing to audit
     * beyond an ordinary failed request, and nothing changes. */
    *is = w->op.res.issue;
fail:
    if (rd)
        service_reader_done(svc, rd);
    vital_free(&v);
    op_free(&w->op);
    return -1;
}

/* --- reads --- */

struct sealed {
    char id[ID_LEN + 1];
    int version, alg;
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
    int err = provide_records(st, &o->actor, r->act, subject, r->type, r->nrows ? buf_cstr(&r->ids) : "", &g);
    r->d = g.d;
    if (!err && g.d == GATE_DENY) {
        drop_rows(r);
        deny_not_found(o, "no such patient, or no consent to provide their data to you");
    }
    return err;
}

/* A handler's read: only under a live reason of theirs naming the person,
 * and the reason goes into the audit entry of every read made under it. */
static int read_as_staff(struct read_op *r, struct store *st, const char *subject)
{
    struct op *o = &r->op;
    struct gate_result g;
    int err = gate_check(st, &o->actor, r->act, subject, r->type, &g);
    if (err)
        return err;
    r->d = g.d;
    if (g.d == GATE_DENY) {
        drop_rows(r);
        o->res.err = PHR_EPERM;
        issue_set(&o->res.issue, 403, "forbidden", NULL,
                  "a handler opens a person's data only under a reason of theirs that names the person and has "
                  "not expired: POST /api/v1/staff/reasons, then send its id in X-PHR-Reason");
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
    snprintf(s->id, sizeof s->id, "%s", row->id);
    if (!r->subject[0])
        snprintf(r->subject, sizeof r->subject, "%s", row->person_id);
    else if (strcmp(r->subject, row->person_id) != 0)
        return PHR_EIO; /* one query never spans persons */
    r->nrows++;
    if ((r->ids.len && buf_puts(&r->ids, ",")) || buf_puts(&r->ids, row->id))
        return PHR_ENOMEM;
    return PHR_OK;
}

/* Opens row i into out. */
static int open_row(struct read_op *r, const unsigned char key[DATA_KEY_BYTES], size_t i, struct buf *out)
{
    char ad[96];
    record_ad(ad, r->rows[i].id, r->rows[i].version, "body");
    return seal_open(r->rows[i].alg, key, ad, r->rows[i].body, r->rows[i].len, out);
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

/* The original exactly as it was submitted (an imported document). */
static int original_render(struct op *o, struct buf *out)
{
    struct read_op *r = (struct read_op *)o;
    unsigned char key[DATA_KEY_BYTES];
    char ad[96];
    int err = with_key(r, key);
    if (!err) {
        record_ad(ad, r->rows[0].id, r->rows[0].version, "original");
        err = seal_open(r->rows[0].alg, key, ad, r->rows[0].body, r->rows[0].len, out);
    }
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
    for (size_t i = 0; i < r->nrows; i++) {
        if (buf_printf(out, "%s{\"fullUrl\":", i ? "," : "") || buf_puts(out, "\"") ||
            buf_json_escape(out, r->base_url, strlen(r->base_url)) ||
            buf_printf(out, "/%s/%s\",\"resource\":", r->type, r->rows[i].id))
            goto nomem;
        if ((err = open_row(r, key, i, out)) != PHR_OK)
            goto out;
        if (search ? buf_puts(out, ",\"search\":{\"mode\":\"match\"}}")
                   : buf_printf(out, ",\"request\":{\"method\":\"%s\",\"url\":\"%s/%s\"}}",
                                r->rows[i].version == 1 ? "POST" : "PUT", r->type, r->rows[i].id))
            goto nomem;
    }
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
}

static const struct op_ops read_ops = {read_commit, read_render, read_destroy};
static const struct op_ops original_ops = {read_commit, original_render, read_destroy};
static const struct op_ops bundle_ops = {read_commit, bundle_render, read_destroy};

static struct read_op *read_op_new(struct service *svc, const struct actor *a, enum action act,
                                   const struct op_ops *ops)
{
    struct read_op *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    op_init(&r->op, svc, ops, a);
    r->act = act;
    buf_init(&r->ids);
    return r;
}

/* Read and history: the rows are fetched first, because the record names
 * its person; the gate then decides on that person. */
static int read_by_id(struct service *svc, const struct actor *a, enum action act, const struct op_ops *ops,
                      const char *type, const char *id, int version, const char *base_url, struct op **out,
                      struct issue *is)
{
    *out = NULL;
    struct read_op *r = read_op_new(svc, a, act, ops);
    struct store *rd;
    if (!r)
        return issue_set(is, 500, "exception", NULL, "out of memory");
    r->type = type;
    r->original = ops == &original_ops;
    if (base_url)
        snprintf(r->base_url, sizeof r->base_url, "%s", base_url);
    if (service_reader(svc, &rd) != PHR_OK) {
        op_free(&r->op);
        return issue_set(is, 503, "transient", NULL, "the store is not available");
    }
    int err = PHR_ENOTFOUND;
    if (id_is_uuid(id))
        err = act == ACT_RECORD_HISTORY ? rd->ops->record_history(rd, id, keep_row, r)
                                        : rd->ops->record_get(rd, id, version, keep_row, r);
    service_reader_done(svc, rd);
    if (err && err != PHR_ENOTFOUND) {
        op_free(&r->op);
        return issue_set(is, 503, "transient", NULL, "the store is not available");
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
        deny_not_found(&r->op, version ? "no such version of this record" : "no record of this type with this id");
    }
    *out = &r->op;
    return 0;
}

int records_document(struct service *svc, const struct actor *a, const char *id, int original, struct op **out,
                     struct issue *is)
{
    return read_by_id(svc, a, ACT_RECORD_READ, original ? &original_ops : &read_ops, "DocumentReference", id, 0,
                      NULL, out, is);
}

int records_read(struct service *svc, const struct actor *a, const char *type, const char *id, int version,
                 struct op **out, struct issue *is)
{
    return read_by_id(svc, a, ACT_RECORD_READ, &read_ops, type, id, version, NULL, out, is);
}

int records_history(struct service *svc, const struct actor *a, const char *type, const char *id,
                    const char *base_url, struct op **out, struct issue *is)
{
    return read_by_id(svc, a, ACT_RECORD_HISTORY, &bundle_ops, type, id, 0, base_url, out, is);
}

int records_search(struct service *svc, const struct actor *a, const struct search_params *p,
                   const char *base_url, const char *self_url, struct op **out, struct issue *is)
{
    *out = NULL;
    struct read_op *r = read_op_new(svc, a, ACT_RECORD_SEARCH, &bundle_ops);
    if (!r)
        return issue_set(is, 500, "exception", NULL, "out of memory");
    snprintf(r->base_url, sizeof r->base_url, "%s", base_url);
    snprintf(r->self_url, sizeof r->self_url, "%s", self_url);
    r->type = p->q.resource_type;
    if ((a->kind == ACTOR_RECIPIENT || a->kind == ACTOR_STAFF) && !p->patient) {
        op_free(&r->op);
        return issue_set(is, 400, "required", "patient", "searches by anyone but the person name one person: give patient");
    }
    const char *subject = p->patient ? p->patient : (a->kind == ACTOR_PERSON ? a->id : NULL);
    if (subject && strlen(subject) <= ID_LEN)
        snprintf(r->subject, sizeof r->subject, "%s", subject);
    r->d = gate_decide(a, ACT_RECORD_SEARCH, r->subject[0] ? r->subject : NULL);
    if (r->d == GATE_DENY) {
        deny_not_found(&r->op, "no such patient");
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
        return issue_set(is, 503, "transient", NULL, "the store is not available");
    }
    /* Counting every match costs a scan of the person's whole index range,
     * so the total is given when asked for (_total=accurate) or when it is
     * known anyway: on the last page. One row past the page says whether
     * there is a next one. */
    int err = PHR_OK;
    r->total = -1;
    if (p->total_accurate || q.count == 0)
        err = rd->ops->record_count(rd, &q, &r->total);
    if (!err && q.count > 0) {
        r->limit = (size_t)q.count;
        q.count++;
        err = rd->ops->record_search(rd, &q, keep_row, r);
        if (!err && !r->more && r->total < 0)
            r->total = (int64_t)q.offset + (int64_t)r->nrows;
    }
    service_reader_done(svc, rd);
    if (err) {
        op_free(&r->op);
        return issue_set(is, 503, "transient", NULL, "the store is not available");
    }
    *out = &r->op;
    return 0;
}
