/* Reading the handling history (R2.3, R2.8): auditors' queries, exports
 * and incident tracing. Reading it is itself recorded, before anything is
 * read: who looked, and for what (the filter; never a health value). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "crypto/sign.h"
#include "formats/auditevent.h"
#include "service/internal.h"
#include "util/clock.h"
#include "util/err.h"

struct note_op {
    struct op op;
    enum decision d;
    struct buf what;
};

static int note_commit(struct op *o, struct store *st)
{
    struct note_op *n = (struct note_op *)o;
    return gate_record(st, &o->actor, ACT_AUDIT_READ, NULL, n->what.len ? n->what.data : NULL, NULL, n->d);
}

static void note_destroy(struct op *o)
{
    buf_free(&((struct note_op *)o)->what);
}

static const struct op_ops note_ops = {note_commit, NULL, note_destroy};

static int describe(struct buf *b, const char *kind, const struct audit_filter *f)
{
    char from[32], to[32] = "open";
    clock_format_ms(f->from, from);
    if (f->to != INT64_MAX)
        clock_format_ms(f->to, to);
    if (buf_printf(b, "%s from=%s to=%s", kind, from, to))
        return -1;
    const char *keys[] = {"actor", "person", "action", "result", "client"};
    const char *vals[] = {f->actor, f->subject, f->action, f->result, f->client};
    for (size_t i = 0; i < 5; i++)
        if (vals[i] && buf_printf(b, " %s=%.64s", keys[i], vals[i]))
            return -1;
    return 0;
}

int audit_read_begin(struct service *svc, const struct actor *a, const char *kind, const struct audit_filter *f,
                     struct op **out)
{
    *out = NULL;
    struct note_op *n = calloc(1, sizeof *n);
    if (!n)
        return PHR_ENOMEM;
    op_init(&n->op, svc, &note_ops, a);
    buf_init(&n->what);
    n->d = gate_decide(a, ACT_AUDIT_READ, NULL);
    if (describe(&n->what, kind, f)) {
        op_free(&n->op);
        return PHR_ENOMEM;
    }
    if (n->d == GATE_DENY) {
        n->op.res.err = PHR_EPERM;
        fault_set(&n->op.res.fault, F_FORBIDDEN, NULL,
                  "the handling history is read by the security officer and auditors only");
    }
    *out = &n->op;
    return PHR_OK;
}

int audit_read_rows(struct service *svc, const struct audit_filter *f, audit_cb cb, void *arg)
{
    struct store *rd;
    int err = service_reader(svc, &rd);
    if (err)
        return err;
    err = store_audit_query(rd, f, cb, arg);
    service_reader_done(svc, rd);
    return err;
}

int audit_read(struct service *svc, const struct actor *a, const char *kind, const struct audit_filter *f,
               audit_cb cb, void *arg)
{
    struct op *op;
    int err = audit_read_begin(svc, a, kind, f, &op);
    if (err)
        return err;
    err = op_wait(svc, op);
    if (!err && op_result(op)->err)
        err = op_result(op)->err;
    op_free(op);
    return err ? err : audit_read_rows(svc, f, cb, arg);
}

/* Whether the history is intact now (R2.8): the chain end to end and every
 * signed checkpoint, under the service's audit key. */
int audit_verify_report(struct service *svc, const struct actor *a, struct buf *out, struct fault *fault)
{
    struct op *op;
    struct audit_filter f = {.from = 0, .to = INT64_MAX};
    if (audit_read_begin(svc, a, "verify", &f, &op) != PHR_OK)
        return fault_set(fault, F_INTERNAL, NULL, "out of memory");
    int err = op_wait(svc, op);
    if (op_result(op)->err == PHR_EPERM) {
        *fault = op_result(op)->fault;
        op_free(op);
        return -1;
    }
    op_free(op);
    struct store *rd;
    if (err || service_reader(svc, &rd) != PHR_OK)
        return fault_set(fault, F_UNAVAILABLE, NULL, "the store is not available");
    unsigned char pk[1][SIGN_PUBLIC_BYTES];
    struct audit_report rep;
    sign_key_public(svc->audit_key, pk[0]);
    double t0 = clock_mono_ms();
    err = audit_verify(rd, (const unsigned char(*)[SIGN_PUBLIC_BYTES])pk, 1, &rep);
    double ms = clock_mono_ms() - t0;
    service_reader_done(svc, rd);
    if (err && err != PHR_ECRYPTO)
        return fault_set(fault, F_UNAVAILABLE, NULL, "the handling history could not be read");
    if (buf_printf(out, "{\"intact\":%s,\"entries\":%lld,\"checkpoints\":%lld,\"signed_through\":%lld,"
                        "\"first_bad_entry\":%lld,\"milliseconds\":%.0f,\"problem\":",
                   err ? "false" : "true", (long long)rep.entries, (long long)rep.checkpoints,
                   (long long)rep.signed_seq, (long long)rep.first_bad_seq, ms) ||
        (err ? buf_json_str(out, rep.problem) : buf_puts(out, "null")) || buf_puts(out, "}"))
        return fault_set(fault, F_INTERNAL, NULL, "out of memory");
    return 0;
}

/* --- a person's view: who else touched my data --- */

#define ACCESS_LOG_MAX 500

struct access_op {
    struct op op;
    enum decision d;
    char subject[ID_LEN + 1];
    struct buf out;
};

static int access_commit(struct op *o, struct store *st)
{
    struct access_op *x = (struct access_op *)o;
    return gate_record(st, &o->actor, ACT_ACCESS_LOG_READ, x->subject[0] ? x->subject : NULL, NULL, NULL, x->d);
}

static int access_render(struct op *o, struct buf *out)
{
    struct access_op *x = (struct access_op *)o;
    return buf_append(out, x->out.data, x->out.len) ? PHR_ENOMEM : PHR_OK;
}

static void access_destroy(struct op *o)
{
    buf_free(&((struct access_op *)o)->out);
}

static const struct op_ops access_ops = {access_commit, access_render, access_destroy};

struct access_ctx {
    struct buf *b;
    const char *base_url;
    size_t n;
};

static int access_row(void *arg, const struct audit_row *a)
{
    struct access_ctx *c = arg;
    return (c->n++ && buf_puts(c->b, ",")) ||
                   buf_printf(c->b, "{\"fullUrl\":\"%s/AuditEvent/a%lld\",\"resource\":", c->base_url,
                              (long long)a->seq) ||
                   auditevent_write(c->b, a) || buf_puts(c->b, ",\"search\":{\"mode\":\"match\"}}")
               ? PHR_ENOMEM
               : PHR_OK;
}

int access_log_read(struct service *svc, const struct actor *a, const char *subject, const char *base_url,
                    struct op **out, struct fault *fault)
{
    *out = NULL;
    struct access_op *x = calloc(1, sizeof *x);
    if (!x)
        return fault_set(fault, F_INTERNAL, NULL, "out of memory");
    op_init(&x->op, svc, &access_ops, a);
    buf_init(&x->out);
    if (subject && strlen(subject) <= ID_LEN)
        snprintf(x->subject, sizeof x->subject, "%s", subject);
    x->d = gate_decide(a, ACT_ACCESS_LOG_READ, x->subject[0] ? x->subject : NULL);
    *out = &x->op;
    if (x->d == GATE_DENY) {
        if (op_nothing_found(&x->op, &x->out) == PHR_OK)
            return 0;
        x->op.res.err = PHR_ENOTFOUND;
        fault_set(&x->op.res.fault, F_NOT_FOUND, NULL, "no such patient");
        return 0;
    }
    struct access_ctx c = {&x->out, base_url, 0};
    struct store *rd;
    int err = service_reader(svc, &rd);
    if (!err) {
        err = buf_puts(&x->out, "{\"resourceType\":\"Bundle\",\"type\":\"searchset\",\"entry\":[")
                  ? PHR_ENOMEM
                  : store_audit_by_others(rd, x->subject, ACCESS_LOG_MAX, access_row, &c);
        service_reader_done(svc, rd);
    }
    if (!err && buf_printf(&x->out, "],\"total\":%zu}", c.n))
        err = PHR_ENOMEM;
    if (err) {
        op_free(&x->op);
        *out = NULL;
        return fault_set(fault, F_UNAVAILABLE, NULL, "the handling history could not be read");
    }
    return 0;
}
