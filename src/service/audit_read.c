/* Reading the handling history (R2.3, R2.8): auditors' queries, exports
 * and incident tracing. Reading it is itself recorded, before anything is
 * read: who looked, and for what (the filter; never a health value). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int audit_read(struct service *svc, const struct actor *a, const char *kind, const struct audit_filter *f,
               audit_cb cb, void *arg)
{
    struct note_op *n = calloc(1, sizeof *n);
    if (!n)
        return PHR_ENOMEM;
    op_init(&n->op, svc, &note_ops, a);
    buf_init(&n->what);
    n->d = gate_decide(a, ACT_AUDIT_READ, NULL);
    int err = describe(&n->what, kind, f) ? PHR_ENOMEM : op_wait(svc, &n->op);
    enum decision d = n->d;
    op_free(&n->op);
    if (err)
        return err;
    if (d == GATE_DENY)
        return PHR_EPERM;
    struct store *rd;
    if ((err = service_reader(svc, &rd)) != PHR_OK)
        return err;
    err = rd->ops->audit_query(rd, f, cb, arg);
    service_reader_done(svc, rd);
    return err;
}
