/* Transactions and batches of Observation writes (POST /fhir, R4
 * http.html#transaction). Each entry is prepared as the write it names
 * (create, correction, conditional either), with the gate deciding as for
 * the write alone; the writer then runs them in one job. A transaction
 * runs inside a savepoint of its own: the first entry that fails undoes
 * them all and is the answer. A batch gives each entry its own savepoint
 * and answer. A refused entry's refusal is recorded after the undoing, so
 * that it stays on the record as any refusal does. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/search.h"
#include "formats/tx_bundle.h"
#include "service/internal.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/ids.h"

struct tx_part {
    struct op *sub;               /* the prepared write; NULL if the entry failed before */
    struct fault fault;           /* why the entry failed, F_NONE if it was done */
    int created;                  /* a create (or a conditional update that created) */
};

struct tx_op {
    struct op op;
    int transaction;
    int n;
    struct tx_part *parts;
};

/* W/"3" or "3" -> 3; 0 if absent, -1 if malformed. */
static int version_of(const char *etag)
{
    if (!etag)
        return 0;
    if (!strncmp(etag, "W/", 2))
        etag += 2;
    char *end;
    if (*etag != '"')
        return -1;
    long v = strtol(etag + 1, &end, 10);
    return v >= 1 && v <= 1000000 && !strcmp(end, "\"") ? (int)v : -1;
}

/* A fault about an entry's resource, said of the entry (Bundle.entry[i]). */
static void of_entry(struct fault *f, int i)
{
    char at[sizeof f->expression];
    const char *rest = f->expression;
    if (!strncmp(rest, "Observation", 11))
        rest += 11;
    snprintf(at, sizeof at, "%s", rest);
    snprintf(f->expression, sizeof f->expression, "Bundle.entry[%d]%s%.60s", i,
             *at == '.' ? ".resource" : *at ? "." : "", at);
}

/* A refusal by the gate (someone else's record, a consent that does not
 * allow it): undone with the rest, it is decided again and recorded, and
 * nothing else is written. */
static int refused(const struct op_result *res)
{
    enum fault_kind k = fault_def(res->fault.code)->kind;
    return k == FAULT_FORBIDDEN || k == FAULT_NOT_FOUND;
}

/* Runs part i's write; 1 if it failed (its changes undone, a refusal
 * recorded again), 0 if done, or a store error. */
static int run_part(struct tx_part *p, struct store *st, int i)
{
    int err = store_savepoint(st);
    if (err)
        return err;
    int failed = p->sub->ops->commit(p->sub, st);
    const struct op_result *res = op_result(p->sub);
    if (!failed && !res->err)
        return store_release(st) ? PHR_EIO : 0;
    if ((err = store_rollback_to(st)) != PHR_OK || (err = store_release(st)) != PHR_OK)
        return err;
    if (failed)
        return failed;
    p->fault = res->fault;
    of_entry(&p->fault, i);
    if (refused(res) && (err = p->sub->ops->commit(p->sub, st)) != PHR_OK)
        return err;
    return 1;
}

static int tx_commit(struct op *o, struct store *st)
{
    struct tx_op *t = (struct tx_op *)o;
    if (!t->transaction) {
        for (int i = 0; i < t->n; i++) {
            int r = t->parts[i].sub ? run_part(&t->parts[i], st, i) : 1;
            if (r < 0) {
                fault_set(&t->parts[i].fault, F_UNAVAILABLE, NULL, "the store could not write this entry");
                return r;
            }
        }
        return PHR_OK;
    }
    int err = store_savepoint(st);
    if (err)
        return err;
    for (int i = 0; i < t->n; i++) {
        struct tx_part *p = &t->parts[i];
        int failed = p->sub->ops->commit(p->sub, st);
        const struct op_result *res = op_result(p->sub);
        if (!failed && !res->err)
            continue;
        if ((err = store_rollback_to(st)) != PHR_OK || (err = store_release(st)) != PHR_OK || failed)
            return err ? err : failed;
        o->res.err = res->err;
        o->res.fault = res->fault;
        of_entry(&o->res.fault, i);
        if (refused(res) && (err = p->sub->ops->commit(p->sub, st)) != PHR_OK)
            return err;
        return PHR_OK;
    }
    return store_release(st);
}

static void tx_destroy(struct op *o)
{
    struct tx_op *t = (struct tx_op *)o;
    for (int i = 0; i < t->n; i++)
        if (t->parts[i].sub)
            op_free(t->parts[i].sub);
    free(t->parts);
}

/* The route renders the answer from the parts (records_bundle_part). */
static const struct op_ops tx_ops = {tx_commit, NULL, tx_destroy};

/* Entry i as the write it names; 0, or -1 with the fault. */
static int prepare_part(struct service *svc, const struct actor *a, struct tx_entry *e, struct tx_part *p,
                        struct fault *fault)
{
    struct search_context cx = {.type = "Observation", .tz_offset_min = svc->cfg.tz_offset_min,
                                .now_ms = clock_now_ms(), .strict = 1};
    const char *body = buf_cstr(&e->resource);
    size_t len = e->resource.len;
    int if_match = version_of(e->if_match);
    if (if_match < 0)
        return fault_set(fault, F_BAD_REQUEST, "request.ifMatch", "ifMatch must be a version ETag such as W/\"2\"");
    struct search_params *cond = NULL;
    const char *query = e->method == TX_POST ? e->if_none_exist : e->query;
    const char *field = e->method == TX_POST ? "request.ifNoneExist" : "request.url";
    if (query && !(cond = search_condition(query, &cx, field, fault))) {
        snprintf(fault->expression, sizeof fault->expression, "%s", field);
        return -1;
    }
    if (e->method == TX_POST) {
        p->created = 1;
        return records_create_as(svc, a, e->id, body, len, "fhir-api", cond, NULL, &p->sub, fault);
    }
    char id[ID_LEN + 1] = "";
    int n = 1;
    if (cond) {
        const char *person = a->kind == ACTOR_PERSON ? a->id : a->patient ? a->patient : "";
        if (records_match(svc, person, cond, id, &n) != 0) {
            search_params_drop(cond);
            return fault_set(fault, F_UNAVAILABLE, NULL, "the store is not available");
        }
        if (n > 1) {
            search_params_drop(cond);
            return fault_set(fault, F_CONDITION_AMBIGUOUS, "request.url",
                             "more than one record matches the entry's url");
        }
        if (n == 0) {
            p->created = 1;
            return records_create_as(svc, a, NULL, body, len, "fhir-api", cond, NULL, &p->sub, fault);
        }
        search_params_drop(cond);
    }
    return records_update(svc, a, cond ? id : e->id, cond != NULL, if_match, body, len, "fhir-api", &p->sub, fault);
}

/* The ids the creating entries get, known before any is written so that
 * entries can name each other by their urn:uuid fullUrl. */
static int give_ids(struct tx_bundle *b)
{
    char (*ids)[ID_LEN + 1] = calloc((size_t)b->n, sizeof *ids);
    const char **named = calloc((size_t)b->n, sizeof *named);
    int err = ids && named ? PHR_OK : PHR_ENOMEM;
    for (int i = 0; !err && i < b->n; i++)
        if (!b->e[i].fault.code && b->e[i].method == TX_POST) {
            id_uuid7(ids[i]);
            named[i] = ids[i];
        }
    if (!err)
        err = tx_bundle_resolve(b, named);
    free(named);
    free(ids);
    return err;
}

int records_bundle(struct service *svc, const struct actor *a, const char *body, size_t len, struct op **out,
                   struct fault *fault)
{
    *out = NULL;
    struct tx_bundle b;
    struct tx_op *t = NULL;
    int rc = -1;
    if (tx_bundle_parse(body, len, &b, fault) != 0)
        goto out;
    for (int i = 0; b.transaction && i < b.n; i++)
        if (b.e[i].fault.code) {
            *fault = b.e[i].fault;
            goto out;
        }
    if (give_ids(&b) != PHR_OK || !(t = calloc(1, sizeof *t))) {
        fault_set(fault, F_INTERNAL, NULL, "out of memory");
        goto out;
    }
    op_init(&t->op, svc, &tx_ops, a);
    if (!(t->parts = calloc((size_t)b.n, sizeof *t->parts))) {
        fault_set(fault, F_INTERNAL, NULL, "out of memory");
        goto out;
    }
    t->transaction = b.transaction;
    t->n = b.n;
    for (int i = 0; i < b.n; i++) {
        struct tx_part *p = &t->parts[i];
        if (b.e[i].fault.code) {
            p->fault = b.e[i].fault;
            continue;
        }
        if (prepare_part(svc, a, &b.e[i], p, &p->fault) == 0)
            continue;
        of_entry(&p->fault, i);
        if (b.transaction) {
            *fault = p->fault;
            goto out;
        }
    }
    *out = &t->op;
    t = NULL;
    rc = 0;
out:
    if (t)
        op_free(&t->op);
    tx_bundle_free(&b);
    return rc;
}

int records_bundle_size(const struct op *op, int *transaction)
{
    const struct tx_op *t = (const struct tx_op *)op;
    *transaction = t->transaction;
    return t->n;
}

const struct fault *records_bundle_part(const struct op *op, int i, struct op **sub, int *created)
{
    const struct tx_part *p = &((const struct tx_op *)op)->parts[i];
    *sub = p->sub;
    *created = p->created && !(p->sub && op_result(p->sub)->existing);
    return &p->fault;
}
