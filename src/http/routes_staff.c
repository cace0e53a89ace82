/* /api/v1/staff/... and /api/v1/audit: staff sign-in with a second factor,
 * a handler's access reasons, and the handling history for the security
 * officer and auditors (R2.1-R2.3, R2.8). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "formats/fhirtime.h"
#include "formats/json.h"
#include "http/internal.h"
#include "util/clock.h"
#include "util/err.h"

#define AUDIT_PAGE_MAX 1000

static void finish_login(struct request *r)
{
    req_finish_session(r, service_config(r->svc)->staff_session_max_ms);
}

static void finish_logout(struct request *r)
{
    req_finish_session(r, 0);
}

void route_staff_login(struct request *r)
{
    json_object *o = req_json_object(r);
    if (!o)
        return;
    size_t pwlen;
    const char *pw = json_get_str_len(o, "password", &pwlen);
    struct op *op;
    struct fault fault;
    int rc = staff_login(r->svc, &r->actor, json_get_str(o, "login"), pw, pwlen, json_get_str(o, "otp"),
                         json_get_str(o, "recovery_code"), &op, &fault);
    /* json-c's strings are the secrets in plaintext: wipe before release. */
    json_wipe_str(o, "password");
    json_wipe_str(o, "recovery_code");
    json_object_put(o);
    if (rc != 0)
        return req_fault(r, &fault);
    req_submit(r, op, finish_login);
}

void route_staff_reason(struct request *r)
{
    json_object *o = req_json_object(r);
    if (!o)
        return;
    struct op *op;
    struct fault fault;
    int rc = staff_reason(r->svc, &r->actor, json_get_str(o, "person"), json_get_str(o, "login"), json_get_str(o, "reason"),
                          &op, &fault);
    json_object_put(o);
    if (rc != 0)
        return req_fault(r, &fault);
    req_submit(r, op, req_finish_created);
}

/* The filter from the query string; -1 after answering 400. */
static int audit_filter_from(struct request *r, struct audit_filter *f, long *limit)
{
    memset(f, 0, sizeof *f);
    f->to = INT64_MAX;
    const char *from = req_arg(r, "from"), *to = req_arg(r, "to"), *lim = req_arg(r, "limit");
    int64_t lo, hi;
    if (from && fhirtime_parse(from, FHIRTIME_SEARCH, 9 * 60, &f->from, &hi)) {
        req_refuse(r, F_BAD_REQUEST, "from must be a date or time, such as 2026-11-24");
        return -1;
    }
    if (to && fhirtime_parse(to, FHIRTIME_SEARCH, 9 * 60, &lo, &f->to)) {
        req_refuse(r, F_BAD_REQUEST, "to must be a date or time, such as 2026-11-24");
        return -1;
    }
    char *end = NULL;
    *limit = lim ? strtol(lim, &end, 10) : 100;
    if ((lim && (*end || end == lim)) || *limit < 1 || *limit > AUDIT_PAGE_MAX) {
        req_refuse(r, F_BAD_REQUEST, "limit is 1 to 1000");
        return -1;
    }
    /* after: the place the last page ended, as its "next" gave it. */
    const char *after = req_arg(r, "after");
    if (after) {
        long long at, seq;
        char tail;
        if (sscanf(after, "%lld:%lld%c", &at, &seq, &tail) != 2 || at < 0 || seq < 0) {
            req_refuse(r, F_BAD_REQUEST, "after is the next of the page before, as it was given");
            return -1;
        }
        f->has_after = 1;
        f->after_at = at;
        f->after_seq = seq;
    }
    f->actor = req_arg(r, "actor");
    f->subject = req_arg(r, "person");
    f->action = req_arg(r, "action");
    f->result = req_arg(r, "result");
    f->client = req_arg(r, "client");
    return 0;
}

struct page {
    struct buf *b;
    long limit, n;
    int more;
    int64_t last_at, last_seq; /* where the page ended: the next begins after it */
};

static int audit_json(void *arg, const struct audit_row *a)
{
    struct page *p = arg;
    if (p->n == p->limit) {
        p->more = 1;
        return 1; /* stop: the page is full */
    }
    char at[32];
    clock_format_ms(a->at, at);
    p->last_at = a->at;
    p->last_seq = a->seq;
    struct buf *b = p->b;
    const char *keys[] = {"actor", "role", "action", "subject", "records", "reason", "client", "result",
                          "request_id"};
    const char *vals[] = {a->actor, a->role, a->action, a->subject, a->records, a->reason, a->client, a->result,
                          a->request_id};
    if ((p->n++ && buf_puts(b, ",")) || buf_printf(b, "{\"seq\":%lld,\"at\":\"%s\"", (long long)a->seq, at))
        return PHR_ENOMEM;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (buf_printf(b, ",\"%s\":", keys[i]) || (vals[i] ? buf_json_str(b, vals[i]) : buf_puts(b, "null")))
            return PHR_ENOMEM;
    return buf_puts(b, "}") ? PHR_ENOMEM : PHR_OK;
}

static void finish_audit(struct request *r)
{
    const struct op_result *res = op_result(r->op);
    if (res->err)
        return req_fault(r, &res->fault);
    struct audit_filter f;
    long limit;
    if (audit_filter_from(r, &f, &limit))
        return;
    struct page p = {&r->resp, limit, 0, 0, 0, 0};
    buf_puts(&r->resp, "{\"entries\":[");
    int err = audit_read_rows(r->svc, &f, audit_json, &p);
    if (err && err != 1) {
        r->resp.len = 0;
        return req_refuse(r, F_UNAVAILABLE, "the handling history could not be read");
    }
    buf_printf(&r->resp, "],\"more\":%s", p.more ? "true" : "false");
    if (p.more)
        buf_printf(&r->resp, ",\"next\":\"%lld:%lld\"", (long long)p.last_at, (long long)p.last_seq);
    buf_puts(&r->resp, "}");
    req_reply(r, 200, "application/json; charset=utf-8");
}

void route_audit(struct request *r)
{
    struct audit_filter f;
    long limit;
    if (audit_filter_from(r, &f, &limit))
        return;
    struct op *op;
    if (audit_read_begin(r->svc, &r->actor, "query", &f, &op) != PHR_OK)
        return req_refuse(r, F_INTERNAL, "out of memory");
    req_submit(r, op, finish_audit);
}

static void audit_verify_work(struct request *r)
{
    struct fault fault;
    if (audit_verify_report(r->svc, &r->actor, &r->resp, &fault) != 0) {
        r->resp.len = 0;
        return req_fault(r, &fault);
    }
    req_reply(r, 200, "application/json; charset=utf-8");
}

/* Verifying reads the whole history, and records the reading: off the
 * HTTP threads. */
void route_audit_verify(struct request *r)
{
    req_defer(r, audit_verify_work);
}

/* The signed-in staff member as the session says: every tab's header
 * shows who is signed in and in which role. */
void route_staff_me(struct request *r)
{
    if (buf_puts(&r->resp, "{\"id\":") || buf_json_str(&r->resp, r->actor.id) || buf_puts(&r->resp, ",\"role\":") ||
        buf_json_str(&r->resp, r->actor.role) || buf_puts(&r->resp, "}"))
        return req_refuse(r, F_INTERNAL, "out of memory");
    req_reply(r, 200, "application/json; charset=utf-8");
}

void route_staff_logout(struct request *r)
{
    struct op *op;
    struct fault fault;
    if (staff_logout(r->svc, &r->actor, &op, &fault) != 0)
        return req_fault(r, &fault);
    req_submit(r, op, finish_logout);
}
