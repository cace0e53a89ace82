/* Health records written through the FHIR API: create and correct (a new
 * version). Every write decides at the gate and records the decision in
 * the same transaction as the change; reads are in record_reads.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "audit/audit.h"
#include "crypto/digest.h"
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

/* A refusal by the consent stage: forbidden, not "not found", since the
 * data is the person's own (nothing leaks), with what they can do about it. */
static void refuse_use(struct op *o, enum use_refusal why, const char *reason)
{
    o->res.err = PHR_EPERM;
    o->res.id[0] = '\0';
    switch (why) {
    case USE_NO_POLICY:
        fault_set(&o->res.fault, F_TERMS_UNPUBLISHED, NULL,
                  "the service has not published its terms and purposes of use yet; nothing can be recorded");
        break;
    case USE_NO_CONSENT:
        fault_set(&o->res.fault, F_CONSENT_REQUIRED, NULL,
                  "consent to the required purpose of use '%s' (its current version) is needed before data "
                  "can be recorded",
                  reason + strlen("no-consent:"));
        break;
    case USE_SUSPENDED:
        fault_set(&o->res.fault, F_USE_SUSPENDED, NULL,
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
    char *identifier_system, *identifier_value;
    struct search_params *if_none_exist;   /* create: its condition, or NULL */
    struct buf existing;                   /* create: the sealed record that met it */
    int existing_alg;
};

struct matches {
    struct write_op *w;
    int n;
};

static int matched(void *arg, const struct record_row *row)
{
    struct matches *m = arg;
    if (m->n++)
        return PHR_OK;
    struct op_result *res = &m->w->op.res;
    snprintf(res->id, sizeof res->id, "%s", row->id);
    res->version = row->version;
    m->w->existing_alg = row->alg;
    buf_reset(&m->w->existing);
    return buf_append(&m->w->existing, row->body, row->body_len) ? PHR_ENOMEM : PHR_OK;
}

/* If-None-Exist, on the writer's connection: two requests with the same
 * condition cannot both create. One match is the answer (nothing written;
 * the attempt recorded); several refuse it. */
static int condition_met(struct write_op *w, struct store *st, int *met)
{
    struct record_query q = w->if_none_exist->q;
    q.person_id = w->subject;
    q.resource_type = "Observation";
    q.count = 2;
    struct matches m = {w, 0};
    char created[ID_LEN + 1];
    snprintf(created, sizeof created, "%s", w->op.res.id);
    int err = store_record_search(st, &q, matched, &m);
    if (err || !m.n) {
        snprintf(w->op.res.id, sizeof w->op.res.id, "%s", created);
        w->op.res.version = 1;
        return err;
    }
    *met = 1;
    if (m.n > 1) {
        w->op.res.err = PHR_ECONFLICT;
        fault_set(&w->op.res.fault, F_CONDITION_AMBIGUOUS, "If-None-Exist",
                  "more than one record matches If-None-Exist: nothing was created");
    } else {
        w->op.res.existing = 1;
    }
    return gate_record(st, &w->op.actor, w->act, w->subject, NULL, NULL, GATE_ALLOW);
}

static int write_commit(struct op *o, struct store *st)
{
    struct write_op *w = (struct write_op *)o;
    const char *subject = w->subject[0] ? w->subject : NULL;
    if (w->d == GATE_DENY)
        return gate_record(st, &o->actor, w->act, subject, o->res.id[0] ? o->res.id : NULL, NULL, GATE_DENY);
    /* Decided again here, on the writer's connection: a withdrawal or a
     * suspension that committed before this job is always seen. */
    struct gate_result g;
    int err = gate_check(st, &o->actor, w->act, subject, DATA_KIND_BIT(data_kind_by_name(w->row.data_kind)), &g);
    if (err)
        return err;
    w->d = g.d;
    if (w->d == GATE_DENY) {
        refuse_use(o, g.why, g.reason);
        return gate_record(st, &o->actor, w->act, subject, NULL, g.reason, GATE_DENY);
    }
    if (w->if_none_exist) {
        int met = 0;
        if ((err = condition_met(w, st, &met)) != PHR_OK || met)
            return err;
    }
    if (w->supersede) {
        err = store_record_supersede(st, w->row.id, w->supersede);
        if (err == PHR_ECONFLICT) {
            /* Someone else corrected it first: nothing is written. */
            o->res.err = PHR_ECONFLICT;
            fault_set(&o->res.fault, F_VERSION_CONFLICT, NULL,
                      "the record was changed meanwhile; read it again and resubmit");
            return PHR_OK;
        }
        if (err)
            return err;
    }
    if ((err = store_record_insert(st, &w->row)) != PHR_OK)
        return err;
    if (w->supersede && (err = store_record_replaced(st, w->row.id, w->row.version)) != PHR_OK)
        return err;
    char binding[AUDIT_BINDING_MAX];
    audit_record_binding(&w->row, binding);
    return gate_record(st, &o->actor, w->act, subject, binding, NULL, GATE_ALLOW);
}

/* The record written, or the one that met If-None-Exist: the person sees
 * it; anyone else (an app that may write, not read) is told which it is. */
static int write_render(struct op *o, struct buf *out)
{
    struct write_op *w = (struct write_op *)o;
    if (!o->res.existing)
        return buf_append(out, w->plain.data, w->plain.len) ? PHR_ENOMEM : PHR_OK;
    if (o->actor.kind != ACTOR_PERSON)
        return buf_printf(out,
                          "{\"resourceType\":\"OperationOutcome\",\"issue\":[{\"severity\":\"information\","
                          "\"code\":\"informational\",\"diagnostics\":\"Observation/%s matches If-None-Exist: "
                          "nothing was created\"}]}",
                          o->res.id)
                   ? PHR_ENOMEM
                   : PHR_OK;
    unsigned char key[DATA_KEY_BYTES];
    char ad[96];
    struct store *rd;
    int err = service_reader(o->svc, &rd);
    if (err)
        return err;
    err = service_data_key(o->svc, rd, w->subject, key);
    service_reader_done(o->svc, rd);
    record_ad(ad, o->res.id, o->res.version, "body");
    if (!err)
        err = seal_open(w->existing_alg, key, ad, (const unsigned char *)w->existing.data, w->existing.len, out);
    sodium_memzero(key, sizeof key);
    return err;
}

static void write_destroy(struct op *o)
{
    struct write_op *w = (struct write_op *)o;
    buf_wipe(&w->plain);
    buf_free(&w->sealed_body);
    buf_free(&w->sealed_orig);
    free(w->identifier_system);
    free(w->identifier_value);
    buf_free(&w->existing);
    search_params_drop(w->if_none_exist);
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
    buf_init(&w->existing);
    return w;
}

/* Seals the finalised resource and the original under the subject's key
 * and fills the row. */
static int seal_record(struct service *svc, struct store *rd, struct write_op *w, struct vital *v, const char *body,
                       size_t len, const char *channel, struct fault *fault)
{
    unsigned char key[DATA_KEY_BYTES];
    char hex[DIGEST_SHA256_HEX + 1], ad[96];
    int rc = -1;
    int err = service_data_key(svc, rd, w->subject, key);
    if (err) {
        if (err == PHR_ENOTFOUND)
            return fault_set(fault, F_NOT_FOUND, "subject", "no such person");
        return fault_set(fault, F_INTERNAL, NULL, "the person's data key could not be opened");
    }
    digest_sha256_hex(body, len, hex);
    gate_actor_name(&w->op.actor, w->recorded_by);
    struct provenance prov = {
        .recorded_by = w->recorded_by,
        .channel = channel,
        .original_sha256_hex = hex,
        .recorded_at = clock_now_ms(),
    };
    if (vitals_finalise(v, w->op.res.id, w->op.res.version, w->subject, &prov, &w->plain) != 0) {
        fault_set(fault, F_INTERNAL, NULL, "out of memory");
        goto out;
    }
    record_ad(ad, w->op.res.id, w->op.res.version, "body");
    if (seal(key, ad, w->plain.data, w->plain.len, &w->sealed_body) != PHR_OK) {
        fault_set(fault, F_INTERNAL, NULL, "out of memory");
        goto out;
    }
    record_ad(ad, w->op.res.id, w->op.res.version, "original");
    if (seal(key, ad, body, len, &w->sealed_orig) != PHR_OK) {
        fault_set(fault, F_INTERNAL, NULL, "out of memory");
        goto out;
    }
    seal_mac(key, body, len, w->mac);
    if ((v->identifier_system && !(w->identifier_system = strdup(v->identifier_system))) ||
        (v->identifier_value && !(w->identifier_value = strdup(v->identifier_value)))) {
        fault_set(fault, F_INTERNAL, NULL, "out of memory");
        goto out;
    }
    w->row = (struct record_row){
        .id = w->op.res.id,
        .version = w->op.res.version,
        .person_id = w->subject,
        .resource_type = "Observation",
        .code_system = LOINC,
        .code = v->kind->code,
        .category = CATEGORY_VITALS,
        .data_kind = data_kind_name(data_kind_of("Observation", CATEGORY_VITALS, LOINC, v->kind->code)),
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
        .identifier_system = w->identifier_system,
        .identifier_value = w->identifier_value,
    };
    rc = 0;
out:
    sodium_memzero(key, sizeof key);
    return rc;
}

int records_create(struct service *svc, const struct actor *a, const char *subject, const char *body, size_t len,
                   const char *channel, struct search_params *if_none_exist, struct op **out, struct fault *fault)
{
    return records_create_as(svc, a, NULL, body, len, channel, if_none_exist, subject, out, fault);
}

int records_create_as(struct service *svc, const struct actor *a, const char *id, const char *body, size_t len,
                      const char *channel, struct search_params *if_none_exist, const char *subject, struct op **out,
                      struct fault *fault)
{
    *out = NULL;
    struct vital v;
    if (vitals_parse(body, len, clock_now_ms(), svc->cfg.tz_offset_min, &v, fault) != 0) {
        search_params_drop(if_none_exist);
        return -1;
    }
    struct write_op *w = write_op_new(svc, a, ACT_RECORD_CREATE);
    struct store *rd = NULL;
    if (!w) {
        vital_free(&v);
        search_params_drop(if_none_exist);
        return fault_set(fault, F_INTERNAL, NULL, "out of memory");
    }
    w->if_none_exist = if_none_exist;
    if (!subject)
        subject = v.subject ? v.subject : a->kind == ACTOR_PERSON ? a->id : a->patient;
    if (subject)
        snprintf(w->subject, sizeof w->subject, "%s", subject);
    w->d = gate_decide(a, ACT_RECORD_CREATE, subject);
    if (w->d == GATE_DENY) {
        w->op.res.err = PHR_EPERM;
        fault_set(&w->op.res.fault, F_FORBIDDEN, "Observation.subject", "you can record data only about yourself");
        goto done;
    }
    if (id)
        snprintf(w->op.res.id, sizeof w->op.res.id, "%s", id);
    else
        id_uuid7(w->op.res.id);
    w->op.res.version = 1;
    if (service_reader(svc, &rd) != PHR_OK) {
        fault_set(fault, F_UNAVAILABLE, NULL, "the store is not available");
        goto fail;
    }
    if (seal_record(svc, rd, w, &v, body, len, channel, fault) != 0)
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

struct first_match {
    char *id;
    int n;
};

static int first_match(void *arg, const struct record_row *row)
{
    struct first_match *m = arg;
    if (!m->n++)
        snprintf(m->id, ID_LEN + 1, "%s", row->id);
    return PHR_OK;
}

int records_match(struct service *svc, const char *person, const struct search_params *cond, char id[ID_LEN + 1],
                  int *n)
{
    struct record_query q = cond->q;
    q.person_id = person;
    q.resource_type = "Observation";
    q.count = 2;
    struct first_match m = {id, 0};
    struct store *rd;
    int err = service_reader(svc, &rd);
    if (err)
        return err;
    err = store_record_search(rd, &q, first_match, &m);
    service_reader_done(svc, rd);
    *n = m.n;
    return err;
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

int records_update(struct service *svc, const struct actor *a, const char *id, int found_by_query, int if_match,
                   const char *body, size_t len, const char *channel, struct op **out, struct fault *fault)
{
    *out = NULL;
    struct vital v;
    if (vitals_parse(body, len, clock_now_ms(), svc->cfg.tz_offset_min, &v, fault) != 0)
        return -1;
    const char *body_id = NULL;
    json_object *idv;
    if (json_object_object_get_ex(v.resource, "id", &idv))
        body_id = json_object_get_string(idv);
    if (body_id ? strcmp(body_id, id) != 0 : !found_by_query) {
        vital_free(&v);
        return fault_set(fault, F_BAD_REQUEST, "Observation.id", "the resource's id must match the id in the URL");
    }
    struct write_op *w = write_op_new(svc, a, ACT_RECORD_UPDATE);
    struct store *rd = NULL;
    struct current_row cur = {{0}, 0, 0};
    if (!w) {
        vital_free(&v);
        return fault_set(fault, F_INTERNAL, NULL, "out of memory");
    }
    snprintf(w->op.res.id, sizeof w->op.res.id, "%s", id);
    if (service_reader(svc, &rd) != PHR_OK) {
        fault_set(fault, F_UNAVAILABLE, NULL, "the store is not available");
        goto fail;
    }
    int err = id_is_uuid(id) ? store_record_get(rd, id, 0, got_current, &cur) : PHR_ENOTFOUND;
    if (err && err != PHR_ENOTFOUND) {
        fault_set(fault, F_UNAVAILABLE, NULL, "the store is not available");
        goto fail;
    }
    if (cur.found)
        snprintf(w->subject, sizeof w->subject, "%s", cur.person_id);
    w->d = gate_decide(a, ACT_RECORD_UPDATE, cur.found ? cur.person_id : NULL);
    if (w->d == GATE_DENY) {
        op_refuse(&w->op, F_NOT_FOUND, "no Observation with this id");
        goto done;
    }
    if (v.subject && strcmp(v.subject, cur.person_id) != 0) {
        fault_set(fault, F_BUSINESS_RULE, "Observation.subject", "a correction cannot move a record to another person");
        goto fail;
    }
    if (if_match > 0 && if_match != cur.version) {
        w->d = GATE_DENY;
        w->op.res.err = PHR_ECONFLICT;
        fault_set(&w->op.res.fault, F_VERSION_MISMATCH, NULL, "If-Match names version %d; the current version is %d",
                  if_match, cur.version);
        goto fail_precondition;
    }
    w->supersede = cur.version;
    w->op.res.version = cur.version + 1;
    if (seal_record(svc, rd, w, &v, body, len, channel, fault) != 0)
        goto fail;
done:
    service_reader_done(svc, rd);
    vital_free(&v);
    *out = &w->op;
    return 0;
fail_precondition:
    /* Allowed to see the record, refused for staleness: nothing to audit
     * beyond an ordinary failed request, and nothing changes. */
    *fault = w->op.res.fault;
fail:
    if (rd)
        service_reader_done(svc, rd);
    vital_free(&v);
    op_free(&w->op);
    return -1;
}
