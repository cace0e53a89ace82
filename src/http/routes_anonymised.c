/* Anonymised data sets over the API (R3.13, APPI Art.43): the
 * information-asset manager makes one from a spec, takes its table out to
 * hand over, and records its provision; the method is for the manager and
 * the security officer. Each waits for the writer (the record, the
 * handling history), so each runs off the HTTP threads. */
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "formats/json.h"
#include "http/internal.h"
#include "service/service.h"

static void make_work(struct request *r)
{
    struct fault fault;
    struct buf table = {0};
    int rc = anonymised_make(r->svc, &r->actor, buf_cstr(&r->body), r->body.len, &table, &r->resp, &fault);
    buf_wipe(&table);
    if (rc)
        return req_fault(r, &fault);
    req_reply(r, 201, "application/json; charset=utf-8");
}

/* The body is a spec (docs/anonymisation.md); the answer its manifest. The
 * table stays in the store, sealed, until taken out. */
void route_staff_anonymised_make(struct request *r)
{
    if (!req_is_json(r))
        return req_refuse(r, F_MEDIA_TYPE, "send the spec as application/json");
    req_defer(r, make_work);
}

static void method_work(struct request *r)
{
    struct fault fault;
    if (anonymised_method(r->svc, &r->actor, r->param[0], &r->resp, &fault))
        return req_fault(r, &fault);
    req_reply(r, 200, "application/json; charset=utf-8");
}

void route_staff_anonymised_method(struct request *r)
{
    req_defer(r, method_work);
}

static void table_work(struct request *r)
{
    struct fault fault;
    char disposition[128];
    if (anonymised_table(r->svc, &r->actor, r->param[0], &r->resp, &fault))
        return req_fault(r, &fault);
    /* The name was checked when the data set was made: letters, digits, - and _. */
    snprintf(disposition, sizeof disposition, "attachment; filename=\"%s.csv\"", r->param[0]);
    if (req_add_header(r, "Content-Disposition", disposition)) {
        buf_wipe(&r->resp);
        return req_refuse(r, F_INTERNAL, "out of memory");
    }
    req_reply(r, 200, "text/csv; charset=utf-8");
}

/* ARX's form: ';'-separated with a header row, what the recipient gets. */
void route_staff_anonymised_table(struct request *r)
{
    req_defer(r, table_work);
}

static void provide_work(struct request *r)
{
    struct fault fault;
    struct buf note = {0};
    json_object *o = json_tokener_parse(buf_cstr(&r->body));
    const char *recipient = json_get_str(o, "recipient"), *method = json_get_str(o, "method");
    int rc = -1;
    if (!recipient || !*recipient)
        fault_set(&fault, F_MISSING, "recipient", "name the recipient (its id, as registered)");
    else
        rc = anonymised_provide(r->svc, &r->actor, r->param[0], recipient, method, NULL, &note, &fault);
    json_object_put(o);
    if (rc) {
        buf_free(&note);
        return req_fault(r, &fault);
    }
    int bad = buf_append(&r->resp, note.data ? note.data : "", note.len);
    buf_free(&note);
    if (bad)
        return req_refuse(r, F_INTERNAL, "out of memory");
    req_reply(r, 201, "application/json; charset=utf-8");
}

/* {"recipient": id, "method": how}: the table kept is what is handed over;
 * the answer is the delivery note (Art.43(5)). */
void route_staff_anonymised_provide(struct request *r)
{
    json_object *o = req_json_object(r);
    if (!o)
        return;
    json_object_put(o);
    req_defer(r, provide_work);
}
