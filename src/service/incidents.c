/* Incident records (R2.8): what happened, when it was found, who was told
 * (the person concerned, the Personal Information Protection Commission,
 * the provider's management). A record is never changed; what is learned
 * later is added as a note that refers to it. Recording is audited. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "service/internal.h"
#include "util/clock.h"
#include "util/err.h"

#define TEXT_MAX 2000

struct incident_op {
    struct op op;
    int64_t refers_to, found_at, id;
    char *what, *told;
};

static int incident_commit(struct op *o, struct store *st)
{
    struct incident_op *x = (struct incident_op *)o;
    char by[64];
    gate_actor_name(&o->actor, by);
    struct incident_row r = {.refers_to = x->refers_to, .recorded_at = clock_now_ms(), .found_at = x->found_at,
                             .recorded_by = by, .what = x->what, .told = x->told};
    int err = store_incident_insert(st, &r, &x->id);
    if (err == PHR_ENOTFOUND)
        return op_refuse(o, F_NOT_FOUND, "no incident %lld to add a note to", (long long)x->refers_to);
    if (err)
        return err;
    char what[48];
    snprintf(what, sizeof what, "incident:%lld", (long long)x->id);
    return gate_record(st, &o->actor, ACT_INCIDENT_RECORD, NULL, what, NULL, GATE_ALLOW);
}

static int incident_render(struct op *o, struct buf *out)
{
    struct incident_op *x = (struct incident_op *)o;
    return buf_printf(out, "{\"id\":%lld}", (long long)x->id) ? PHR_ENOMEM : PHR_OK;
}

static void incident_destroy(struct op *o)
{
    struct incident_op *x = (struct incident_op *)o;
    free(x->what);
    free(x->told);
}

static const struct op_ops incident_ops = {incident_commit, incident_render, incident_destroy};

int incident_add(struct service *svc, const struct actor *a, int64_t refers_to, int64_t found_at, const char *what,
                 const char *told, struct op **out, struct fault *fault)
{
    *out = NULL;
    if (gate_decide(a, ACT_INCIDENT_RECORD, NULL) == GATE_DENY)
        return fault_set(fault, F_FORBIDDEN, NULL, "incidents are recorded by the operator and the security officer");
    if (!what || !*what || strlen(what) > TEXT_MAX || (told && strlen(told) > TEXT_MAX))
        return fault_set(fault, F_INVALID_VALUE, NULL,
                         "what happened is required (at most %d bytes, as is who was told)", TEXT_MAX);
    struct incident_op *x = calloc(1, sizeof *x);
    if (!x)
        return fault_set(fault, F_INTERNAL, NULL, "out of memory");
    op_init(&x->op, svc, &incident_ops, a);
    x->refers_to = refers_to;
    x->found_at = found_at;
    x->what = strdup(what);
    x->told = told ? strdup(told) : NULL;
    if (!x->what || (told && !x->told)) {
        op_free(&x->op);
        return fault_set(fault, F_INTERNAL, NULL, "out of memory");
    }
    *out = &x->op;
    return 0;
}

struct list_ctx {
    struct buf *b;
    int n;
};

static int list_one(void *arg, const struct incident_row *r)
{
    struct list_ctx *c = arg;
    char rec[32], found[32];
    clock_format_ms(r->recorded_at, rec);
    if (r->found_at)
        clock_format_ms(r->found_at, found);
    struct buf *b = c->b;
    return (c->n++ && buf_puts(b, ",")) || buf_printf(b, "{\"id\":%lld,\"refers_to\":", (long long)r->id) ||
                   (r->refers_to ? buf_printf(b, "%lld", (long long)r->refers_to) : buf_puts(b, "null")) ||
                   buf_printf(b, ",\"recorded_at\":\"%s\",\"recorded_by\":", rec) || buf_json_str(b, r->recorded_by) ||
                   buf_puts(b, ",\"found_at\":") || (r->found_at ? buf_printf(b, "\"%s\"", found) : buf_puts(b, "null")) ||
                   buf_puts(b, ",\"what\":") || buf_json_str(b, r->what) || buf_puts(b, ",\"told\":") ||
                   (r->told ? buf_json_str(b, r->told) : buf_puts(b, "null")) || buf_puts(b, "}")
               ? PHR_ENOMEM
               : PHR_OK;
}

int incident_list(struct service *svc, struct buf *out)
{
    struct store *rd;
    int err = service_reader(svc, &rd);
    if (err)
        return err;
    struct list_ctx c = {out, 0};
    err = buf_puts(out, "[") ? PHR_ENOMEM : store_incident_list(rd, list_one, &c);
    service_reader_done(svc, rd);
    return err ? err : buf_puts(out, "]") ? PHR_ENOMEM : PHR_OK;
}
