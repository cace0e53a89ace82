/* A person's provision records (R3.7, APPI Art.33(5)): to whom, when, which
 * records, under which purpose and consent. Reading them is audited. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/consent_fhir.h"
#include "service/internal.h"
#include "util/clock.h"
#include "util/err.h"

int provision_list_add(struct provision_list *l, const struct record_row *r)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        struct provided_item *p = realloc(l->items, cap * sizeof *p);
        if (!p)
            return PHR_ENOMEM;
        l->items = p;
        l->cap = cap;
    }
    struct provided_item *it = &l->items[l->n];
    int n = snprintf(it->ref, sizeof it->ref, "%s/%s/_history/%d", r->resource_type, r->id, r->version);
    if (n < 0 || (size_t)n >= sizeof it->ref)
        return PHR_EINVAL;
    it->kind = data_kind_by_name(r->data_kind);
    l->kinds |= DATA_KIND_BIT(it->kind);
    l->n++;
    return PHR_OK;
}

void provision_list_clear(struct provision_list *l)
{
    l->n = 0;
    l->kinds = 0;
}

void provision_list_free(struct provision_list *l)
{
    free(l->items);
    memset(l, 0, sizeof *l);
}

/* The items of l that go under basis b, comma-separated, into out. */
static int items_of(const struct provision_list *l, const struct provision_scope *s, const struct gate_basis *b,
                    struct buf *out)
{
    out->len = 0;
    for (size_t i = 0; i < l->n; i++)
        if (gate_basis_for(s, l->items[i].kind) == b &&
            (buf_puts(out, out->len ? "," : "") || buf_puts(out, l->items[i].ref)))
            return PHR_ENOMEM;
    return PHR_OK;
}

int provide_records(struct store *st, const struct actor *a, enum action act, const char *subject,
                    const struct provision_list *l, data_kinds asked, struct gate_result *g)
{
    /* What is concerned is what would go out; a search that found nothing
     * is decided on the kinds it asked for. */
    int err = gate_check(st, a, act, subject, l->n ? l->kinds : asked, g);
    if (err)
        return err;
    if (g->d == GATE_DENY)
        return gate_record(st, a, act, subject, NULL, g->reason, GATE_DENY);
    struct buf items = {0}, all = {0};
    for (size_t i = 0; !err && i < g->scope.n; i++) {
        const struct gate_basis *b = &g->scope.b[i];
        if ((err = items_of(l, &g->scope, b, &items)) != PHR_OK || !items.len)
            continue;
        struct provision_row p = {
            .at = clock_now_ms(), .recipient_id = a->id, .person_id = subject, .purpose = b->purpose,
            .purpose_version = b->purpose_version, .consent_seq = b->consent_seq, .items = buf_cstr(&items),
            .request_id = a->request_id,
        };
        err = store_provision_insert(st, &p);
        if (!err && (buf_puts(&all, all.len ? "," : "") || buf_append(&all, items.data, items.len)))
            err = PHR_ENOMEM;
    }
    if (!err)
        err = gate_record(st, a, act, subject, all.len ? buf_cstr(&all) : NULL, g->reason, GATE_ALLOW);
    buf_free(&items);
    buf_free(&all);
    return err;
}

struct list_op {
    struct op op;
    enum decision d;
    char subject[ID_LEN + 1];
    struct buf out;
};

static int list_commit(struct op *o, struct store *st)
{
    struct list_op *l = (struct list_op *)o;
    return gate_record(st, &o->actor, ACT_PROVISION_READ, l->subject[0] ? l->subject : NULL, NULL, NULL, l->d);
}

static int list_render(struct op *o, struct buf *out)
{
    struct list_op *l = (struct list_op *)o;
    return buf_append(out, l->out.data, l->out.len) ? PHR_ENOMEM : PHR_OK;
}

static void list_destroy(struct op *o)
{
    buf_free(&((struct list_op *)o)->out);
}

static const struct op_ops list_ops = {list_commit, list_render, list_destroy};

struct render_ctx {
    struct buf *b;
    const char *base_url;
    int fhir;
    size_t n;
};

static int render_one(void *arg, const struct provision_row *p)
{
    struct render_ctx *c = arg;
    struct buf *b = c->b;
    if (c->n++ && buf_puts(b, ","))
        return PHR_ENOMEM;
    if (c->fhir) {
        struct provision_entry e = {
            .seq = p->seq, .at = p->at, .purpose = p->purpose, .purpose_version = p->purpose_version,
            .consent_seq = p->consent_seq, .items = p->items, .recipient_name = p->recipient_name,
            .recipient_country = p->recipient_country,
        };
        return buf_printf(b, "{\"fullUrl\":\"%s/Provenance/p%lld\",\"resource\":", c->base_url, (long long)p->seq) ||
                       provision_fhir_write(b, &e) || buf_puts(b, ",\"search\":{\"mode\":\"match\"}}")
                   ? PHR_ENOMEM
                   : PHR_OK;
    }
    char at[32];
    clock_format_ms(p->at, at);
    return buf_printf(b, "{\"seq\":%lld,\"at\":\"%s\",\"recipient\":{\"id\":", (long long)p->seq, at) ||
                   buf_json_str(b, p->recipient_id) || buf_puts(b, ",\"name\":") ||
                   buf_json_str(b, p->recipient_name ? p->recipient_name : "") || buf_puts(b, ",\"country\":") ||
                   buf_json_str(b, p->recipient_country ? p->recipient_country : "") ||
                   buf_puts(b, "},\"purpose\":") || buf_json_str(b, p->purpose) ||
                   buf_printf(b, ",\"purpose_version\":%d,\"consent_seq\":%lld,\"items\":", p->purpose_version,
                              (long long)p->consent_seq) ||
                   buf_json_str(b, p->items) || buf_puts(b, "}")
               ? PHR_ENOMEM
               : PHR_OK;
}

static int render_list(struct store *rd, const char *subject, const char *base_url, int fhir, struct buf *b)
{
    struct render_ctx c = {b, base_url, fhir, 0};
    if (buf_puts(b, fhir ? "{\"resourceType\":\"Bundle\",\"type\":\"searchset\",\"entry\":[" : "{\"provisions\":["))
        return PHR_ENOMEM;
    int err = store_provision_list(rd, subject, render_one, &c);
    if (!err && (fhir ? buf_printf(b, "],\"total\":%zu}", c.n) : buf_puts(b, "]}")))
        err = PHR_ENOMEM;
    return err;
}

int provisions_render_json(struct store *rd, const char *subject, struct buf *b)
{
    return render_list(rd, subject, "", 0, b);
}

int provisions_read(struct service *svc, const struct actor *a, const char *subject, int fhir, const char *base_url,
                    struct op **out, struct fault *fault)
{
    *out = NULL;
    struct list_op *l = calloc(1, sizeof *l);
    if (!l)
        return fault_set(fault, F_INTERNAL, NULL, "out of memory");
    op_init(&l->op, svc, &list_ops, a);
    buf_init(&l->out);
    if (subject && strlen(subject) <= ID_LEN)
        snprintf(l->subject, sizeof l->subject, "%s", subject);
    l->d = gate_decide(a, ACT_PROVISION_READ, l->subject[0] ? l->subject : NULL);
    *out = &l->op;
    if (l->d == GATE_DENY) {
        if (fhir && op_nothing_found(&l->op, &l->out) == PHR_OK)
            return 0;
        l->op.res.err = PHR_ENOTFOUND;
        fault_set(&l->op.res.fault, F_NOT_FOUND, NULL, "no such patient");
        return 0;
    }
    struct store *rd;
    int err = service_reader(svc, &rd);
    if (!err) {
        err = fhir ? render_list(rd, l->subject, base_url ? base_url : "", 1, &l->out)
                   : provisions_render_json(rd, l->subject, &l->out);
        service_reader_done(svc, rd);
    }
    if (err) {
        op_free(&l->op);
        *out = NULL;
        return fault_set(fault, F_UNAVAILABLE, NULL, "the provision records could not be read");
    }
    return 0;
}
