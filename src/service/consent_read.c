/* What a person consented to and when (R3.3, Q3-7): for the person, and for
 * the operator answering their inquiry. Every reading is audited.
 *
 * The JSON answer puts each purpose in force beside the person's latest
 * decision on it, says whether that decision still covers the purpose's
 * current version, and flags changes since (a minor change is a notice; a
 * material one needs a new decision). The FHIR answer is the whole ledger
 * as Consent resources. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/consent_fhir.h"
#include "service/internal.h"
#include "util/clock.h"
#include "util/err.h"

struct read_op {
    struct op op;
    enum decision d;
    char subject[ID_LEN + 1];
    int fhir;
    struct buf out;
};

static int read_commit(struct op *o, struct store *st)
{
    struct read_op *r = (struct read_op *)o;
    return gate_record(st, &o->actor, ACT_CONSENT_READ, r->subject[0] ? r->subject : NULL, NULL, NULL, r->d);
}

static int read_render(struct op *o, struct buf *out)
{
    struct read_op *r = (struct read_op *)o;
    return buf_append(out, r->out.data, r->out.len) ? PHR_ENOMEM : PHR_OK;
}

static void read_destroy(struct op *o)
{
    buf_free(&((struct read_op *)o)->out);
}

static const struct op_ops read_ops = {read_commit, read_render, read_destroy};

/* The person's ledger, kept to render each purpose beside its latest entry. */
#define STRINGS 7 /* the string members of a consent_row */
struct ledger {
    struct consent_row *rows;
    char **strings;              /* the copies the rows point into */
    size_t n, cap;
};

static char *keep(const char *s, int *fail)
{
    char *c = strdup(s ? s : "");
    if (!c)
        *fail = 1;
    return c;
}

static int got_entry(void *arg, const struct consent_row *c)
{
    struct ledger *l = arg;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        struct consent_row *p = realloc(l->rows, cap * sizeof *p);
        if (!p)
            return PHR_ENOMEM;
        l->rows = p;
        char **q = realloc(l->strings, cap * STRINGS * sizeof *q);
        if (!q)
            return PHR_ENOMEM;
        l->strings = q;
        l->cap = cap;
    }
    int fail = 0;
    struct consent_row *x = &l->rows[l->n];
    char **s = &l->strings[l->n * STRINGS];
    *x = *c;
    x->person_id = s[0] = keep(c->person_id, &fail);
    x->purpose = s[1] = keep(c->purpose, &fail);
    x->decision = s[2] = keep(c->decision, &fail);
    x->channel = s[3] = keep(c->channel, &fail);
    x->recorded_by = s[4] = keep(c->recorded_by, &fail);
    x->documents = s[5] = keep(c->documents, &fail);
    x->countries = s[6] = keep(c->countries, &fail);
    l->n++;
    return fail ? PHR_ENOMEM : PHR_OK;
}

static void ledger_free(struct ledger *l)
{
    for (size_t i = 0; i < l->n * STRINGS; i++)
        free(l->strings[i]);
    free(l->strings);
    free(l->rows);
}

/* Index of the latest entry for a purpose, or -1. */
static long latest(const struct ledger *l, const char *purpose)
{
    for (size_t i = l->n; i-- > 0;)
        if (!strcmp(l->rows[i].purpose, purpose))
            return (long)i;
    return -1;
}

struct purposes_ctx {
    struct buf *b;
    const struct ledger *l;
    int n, ready, required_in_force;
};

static int render_purpose(void *arg, const struct purpose_row *p)
{
    struct purposes_ctx *c = arg;
    if (!strcmp(p->change, "retired"))
        return PHR_OK;
    long k = latest(c->l, p->code);
    const struct consent_row *e = k >= 0 ? &c->l->rows[k] : NULL;
    int granted = e && !strcmp(e->decision, "grant");
    int covers = granted && e->purpose_version >= p->covered_from;
    /* A decision on an older version: a minor change since is a notice, a
     * material one asks for a new decision. */
    const char *notice = !e || e->purpose_version >= p->version ? NULL
                         : e->purpose_version < p->covered_from ? "changed-material"
                                                                 : "changed-minor";
    if (p->required) {
        c->required_in_force++;
        if (!covers)
            c->ready = 0;
    }
    char at[32] = "";
    if (e)
        clock_format_ms(e->at, at);
    struct buf *b = c->b;
    if ((c->n++ && buf_puts(b, ",")) || policy_render_purpose(b, p) || buf_puts(b, ",\"decision\":") ||
        (e ? buf_json_str(b, e->decision) : buf_puts(b, "null")) ||
        (e ? buf_printf(b, ",\"decided_version\":%d,\"decided_at\":\"%s\"", e->purpose_version, at)
           : buf_puts(b, ",\"decided_version\":null,\"decided_at\":null")) ||
        buf_printf(b, ",\"covers_current\":%s,\"notice\":", covers ? "true" : "false") ||
        (notice ? buf_json_str(b, notice) : buf_puts(b, "null")) || buf_puts(b, "}"))
        return PHR_ENOMEM;
    return PHR_OK;
}

static int render_entry_json(struct buf *b, const struct consent_row *e, int first)
{
    char at[32];
    clock_format_ms(e->at, at);
    return (!first && buf_puts(b, ",")) || buf_printf(b, "{\"seq\":%lld,\"purpose\":", (long long)e->seq) ||
           buf_json_str(b, e->purpose) ||
           buf_printf(b, ",\"version\":%d,\"decision\":\"%s\",\"at\":\"%s\",\"channel\":", e->purpose_version,
                      e->decision, at) ||
           buf_json_str(b, e->channel) || buf_puts(b, ",\"recorded_by\":") || buf_json_str(b, e->recorded_by) ||
           buf_puts(b, ",\"documents\":") || buf_json_str(b, e->documents) || buf_puts(b, ",\"countries\":") ||
           buf_json_str(b, e->countries) || buf_puts(b, "}");
}

struct susp_ctx {
    struct buf *b;
    int n;
};

static int render_suspension(void *arg, const struct suspension_row *s)
{
    struct susp_ctx *c = arg;
    char at[32];
    clock_format_ms(s->at, at);
    if ((c->n++ && buf_puts(c->b, ",")) || buf_printf(c->b, "{\"seq\":%lld,\"purpose\":", (long long)s->seq) ||
        buf_json_str(c->b, s->purpose) ||
        buf_printf(c->b, ",\"action\":\"%s\",\"at\":\"%s\",\"channel\":", s->action, at) ||
        buf_json_str(c->b, s->channel) || buf_puts(c->b, ",\"recorded_by\":") || buf_json_str(c->b, s->recorded_by) ||
        buf_puts(c->b, "}"))
        return PHR_ENOMEM;
    return PHR_OK;
}

static int render_json(struct store *rd, const char *subject, const struct ledger *l, struct buf *b)
{
    struct purposes_ctx pc = {b, l, 0, 1, 0};
    struct consent_facts f;
    int err = store_consent_facts(rd, subject, &f);
    if (err)
        return err;
    if (buf_puts(b, "{\"purposes\":["))
        return PHR_ENOMEM;
    if ((err = store_purpose_current(rd, render_purpose, &pc)) != PHR_OK)
        return err;
    int ready = pc.ready && pc.required_in_force > 0 && !f.suspended_all;
    if (buf_printf(b, "],\"ready\":%s,\"history\":[", ready ? "true" : "false"))
        return PHR_ENOMEM;
    for (size_t i = 0; i < l->n; i++)
        if (render_entry_json(b, &l->rows[i], i == 0))
            return PHR_ENOMEM;
    struct susp_ctx sc = {b, 0};
    if (buf_puts(b, "],\"suspensions\":["))
        return PHR_ENOMEM;
    if ((err = store_suspension_history(rd, subject, render_suspension, &sc)) != PHR_OK)
        return err;
    return buf_printf(b, "],\"suspended_all\":%s}", f.suspended_all ? "true" : "false") ? PHR_ENOMEM : PHR_OK;
}

int consent_render_json(struct store *rd, const char *subject, struct buf *b)
{
    struct ledger l = {0};
    int err = store_consent_history(rd, subject, got_entry, &l);
    if (!err)
        err = render_json(rd, subject, &l, b);
    ledger_free(&l);
    return err;
}

static int render_fhir(const struct ledger *l, const char *base_url, struct buf *b)
{
    if (buf_printf(b, "{\"resourceType\":\"Bundle\",\"type\":\"searchset\",\"total\":%zu,\"entry\":[", l->n))
        return PHR_ENOMEM;
    for (size_t i = 0; i < l->n; i++) {
        const struct consent_row *e = &l->rows[i];
        if ((i && buf_puts(b, ",")) || buf_printf(b, "{\"fullUrl\":\"%s/Consent/c%lld\",\"resource\":", base_url,
                                                  (long long)e->seq) ||
            consent_fhir_write(b, e, latest(l, e->purpose) == (long)i) ||
            buf_puts(b, ",\"search\":{\"mode\":\"match\"}}"))
            return PHR_ENOMEM;
    }
    return buf_puts(b, "]}") ? PHR_ENOMEM : PHR_OK;
}

int consent_read(struct service *svc, const struct actor *a, const char *subject, int fhir, const char *base_url,
                 struct op **out, struct fault *fault)
{
    *out = NULL;
    struct read_op *r = calloc(1, sizeof *r);
    if (!r)
        return fault_set(fault, F_INTERNAL, NULL, "out of memory");
    op_init(&r->op, svc, &read_ops, a);
    buf_init(&r->out);
    r->fhir = fhir;
    if (subject && strlen(subject) <= ID_LEN)
        snprintf(r->subject, sizeof r->subject, "%s", subject);
    r->d = gate_decide(a, ACT_CONSENT_READ, r->subject[0] ? r->subject : NULL);
    *out = &r->op;
    if (r->d == GATE_DENY) {
        if (fhir && op_nothing_found(&r->op, &r->out) == PHR_OK)
            return 0;
        r->op.res.err = PHR_ENOTFOUND;
        fault_set(&r->op.res.fault, F_NOT_FOUND, NULL, "no such patient");
        return 0;
    }
    struct store *rd;
    struct ledger l = {0};
    int err = service_reader(svc, &rd);
    if (err) {
        op_free(&r->op);
        *out = NULL;
        return fault_set(fault, F_UNAVAILABLE, NULL, "the store is not available");
    }
    if (fhir) {
        err = store_consent_history(rd, r->subject, got_entry, &l);
        if (!err)
            err = render_fhir(&l, base_url ? base_url : "", &r->out);
        ledger_free(&l);
    } else {
        err = consent_render_json(rd, r->subject, &r->out);
    }
    service_reader_done(svc, rd);
    if (err) {
        op_free(&r->op);
        *out = NULL;
        return fault_set(fault, F_UNAVAILABLE, NULL, "the consent ledger could not be read");
    }
    return 0;
}
