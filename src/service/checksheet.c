/* The checksheet (R5.1-R5.3, R1.3; guideline 5 and 6, Q2-1, Q5-1, Q5-2,
 * Q6-1): the self-assessment as data.
 *
 * The items (id, clause, question, and for some the name of a check) come
 * from a versioned data file (checksheet/items.json), so that the official
 * wording replaces ours without code changes. An assessment answers every
 * item: a check is computed from the store and the running configuration
 * at that moment, never typed; the other items take the security
 * officer's latest answer (status, date, document), and an item nobody
 * answered is "not implemented". The reasons for every item not
 * implemented are gathered at the end (Q2-1). An assessment is stored as
 * made and is public only once approved; a new guideline version in the
 * items file simply makes a new assessment (Q6-1). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "access/gate.h"
#include "audit/audit.h"
#include "crypto/digest.h"
#include "formats/json.h"
#include "service/checksheet_checks.h"
#include "service/internal.h"
#include "util/clock.h"
#include "util/err.h"

#define ITEMS_FORMAT "phr-checksheet-items/1"
#define SHEET_FORMAT "phr-checksheet/1"
#define ITEMS_MAX 400

static const char *const statuses[] = {"implemented", "equivalent", "not-implemented", "not-applicable"};

static int status_valid(const char *s)
{
    for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++)
        if (!strcmp(statuses[i], s))
            return 1;
    return 0;
}

/* --- the items file --- */

static const char *lang_str(json_object *o, const char *key, const char *lang)
{
    json_object *m;
    return json_object_object_get_ex(o, key, &m) && json_object_is_type(m, json_type_object) ? json_get_str(m, lang)
                                                                                              : NULL;
}

/* Checks the file; returns the items array (borrowed from root). */
static json_object *items_check(json_object *root, struct fault *fault)
{
    json_object *g, *items;
    const char *fmt = json_get_str(root, "format");
    if (!fmt || strcmp(fmt, ITEMS_FORMAT)) {
        fault_set(fault, F_INVALID_VALUE, "format", "the items file's format must be \"" ITEMS_FORMAT "\"");
        return NULL;
    }
    if (!json_object_object_get_ex(root, "guideline", &g) || !json_get_str(g, "title") || !json_get_str(g, "version")) {
        fault_set(fault, F_MISSING, "guideline", "the items file must name the guideline: title and version");
        return NULL;
    }
    if (!lang_str(root, "wording", "ja")) {
        fault_set(fault, F_MISSING, "wording", "the items file must say whose wording it is (wording.ja)");
        return NULL;
    }
    if (!json_object_object_get_ex(root, "items", &items) || !json_object_is_type(items, json_type_array) ||
        json_object_array_length(items) == 0 || json_object_array_length(items) > ITEMS_MAX) {
        fault_set(fault, F_MISSING, "items", "items must be a list of 1 to %d items", ITEMS_MAX);
        return NULL;
    }
    size_t n = json_object_array_length(items);
    for (size_t i = 0; i < n; i++) {
        json_object *it = json_object_array_get_idx(items, i);
        const char *id = json_get_str(it, "id"), *check = json_get_str(it, "check");
        if (!id || !*id || strlen(id) > 32 || !json_get_str(it, "clause") || !lang_str(it, "question", "ja")) {
            fault_set(fault, F_MISSING, "items", "items[%zu] needs an id (at most 32), a clause and question.ja", i);
            return NULL;
        }
        for (size_t j = 0; j < i; j++)
            if (!strcmp(id, json_get_str(json_object_array_get_idx(items, j), "id"))) {
                fault_set(fault, F_INVALID_VALUE, "items", "item %s is listed twice", id);
                return NULL;
            }
        if (check && checksheet_check_find(check) < 0) {
            fault_set(fault, F_INVALID_VALUE, "items", "item %s names an unknown check '%s'", id, check);
            return NULL;
        }
    }
    return items;
}

/* --- assessing --- */

struct answers {
    json_object *by_item;   /* item id -> {status, reason, date, document, answered_by} */
};

static int got_answer(void *arg, const struct checksheet_answer_row *a)
{
    struct answers *s = arg;
    char on[32];
    /* A date given at the command line is the start of that day in Japan. */
    clock_format_ms(a->answered_on + 9 * 3600 * 1000LL, on);
    json_object *o = json_object_new_object();
    if (!o)
        return PHR_ENOMEM;
    json_object_object_add(o, "status", json_object_new_string(a->status));
    if (a->reason)
        json_object_object_add(o, "reason", json_object_new_string(a->reason));
    json_object_object_add(o, "date", json_object_new_string_len(on, 10));
    if (a->document)
        json_object_object_add(o, "document", json_object_new_string(a->document));
    json_object_object_add(o, "answered_by", json_object_new_string(a->answered_by));
    json_object_object_add(s->by_item, a->item, o);
    return PHR_OK;
}

static void add_str(json_object *o, const char *key, const char *v)
{
    json_object_object_add(o, key, json_object_new_string(v));
}

/* One item's entry in the sheet, and its reason if not implemented. */
static void assess_item(struct check_context *c, json_object *it, struct answers *ans, json_object *out_items,
                        json_object *reasons)
{
    const char *id = json_get_str(it, "id"), *check = json_get_str(it, "check");
    json_object *e = json_object_new_object(), *q, *ev = json_object_new_object();
    add_str(e, "id", id);
    add_str(e, "clause", json_get_str(it, "clause"));
    if (json_object_object_get_ex(it, "question", &q))
        json_object_object_add(e, "question", json_object_get(q));
    const char *reason = NULL;
    struct check_result r = {.status = "not-implemented"};
    json_object *a = NULL;
    if (check) {
        checksheet_check_run(checksheet_check_find(check), c, &r);
        json_object_object_add(ev, "computed", json_object_new_boolean(1));
        add_str(ev, "check", check);
        add_str(ev, "text", r.evidence);
        reason = r.reason[0] ? r.reason : NULL;
    } else if (json_object_object_get_ex(ans->by_item, id, &a)) {
        r.status = json_get_str(a, "status");
        json_object_object_add(ev, "computed", json_object_new_boolean(0));
        add_str(ev, "date", json_get_str(a, "date"));
        if (json_get_str(a, "document"))
            add_str(ev, "document", json_get_str(a, "document"));
        add_str(ev, "answered_by", json_get_str(a, "answered_by"));
        reason = json_get_str(a, "reason");
    } else {
        json_object_object_add(ev, "computed", json_object_new_boolean(0));
        reason = "Not yet answered by the security officer.";
    }
    add_str(e, "status", r.status);
    json_object_object_add(e, "evidence", ev);
    if (!strcmp(r.status, "not-implemented")) {
        add_str(e, "reason", reason ? reason : "No reason given.");
        json_object *x = json_object_new_object();
        add_str(x, "id", id);
        add_str(x, "reason", reason ? reason : "No reason given.");
        json_object_array_add(reasons, x);
    }
    json_object_array_add(out_items, e);
}

struct insert_job {
    struct job job;
    const struct actor *a;
    struct assessment_row row;
    int64_t id;
};

static int insert_run(struct job *j, struct store *st)
{
    struct insert_job *x = (struct insert_job *)j;
    int err = store_assessment_insert(st, &x->row, &x->id);
    return err ? err : gate_record(st, x->a, ACT_CHECKSHEET, NULL, NULL, "assess", GATE_ALLOW);
}

int checksheet_assess(struct service *svc, const struct actor *a, const char *items_json, size_t len, struct buf *out,
                      struct fault *fault)
{
    if (gate_decide(a, ACT_CHECKSHEET, NULL) == GATE_DENY)
        return fault_set(fault, F_FORBIDDEN, NULL, "the checksheet is assessed by the security officer");
    json_object *root = json_parse_strict(items_json, len, fault);
    if (!root)
        return -1;
    int rc = -1;
    json_object *items = items_check(root, fault), *sheet = NULL;
    struct answers ans = {json_object_new_object()};
    struct check_context c = {.svc = svc, .now = clock_now_ms()};
    if (!items)
        goto out;
    if (service_reader(svc, &c.rd) != PHR_OK) {
        fault_set(fault, F_UNAVAILABLE, NULL, "the store is not available");
        goto out;
    }
    int err = store_checksheet_facts(c.rd, c.now - svc->cfg.provision_keep_ms, &c.f);
    if (!err)
        err = store_checksheet_answers_latest(c.rd, got_answer, &ans);
    sheet = json_object_new_object();
    json_object *list = json_object_new_array(), *reasons = json_object_new_array(), *g;
    char when[32], sha[65];
    clock_format_ms(c.now, when);
    digest_sha256_hex(items_json, len, sha);
    add_str(sheet, "format", SHEET_FORMAT);
    json_object_object_get_ex(root, "guideline", &g);
    json_object_object_add(sheet, "guideline", json_object_get(g));
    json_object_object_get_ex(root, "wording", &g);
    json_object_object_add(sheet, "wording", json_object_get(g));
    add_str(sheet, "assessed_at", when);
    add_str(sheet, "items_sha256", sha);
    size_t n = json_object_array_length(items);
    for (size_t i = 0; !err && i < n; i++)
        assess_item(&c, json_object_array_get_idx(items, i), &ans, list, reasons);
    service_reader_done(svc, c.rd);
    json_object_object_add(sheet, "items", list);
    json_object_object_add(sheet, "not_implemented", reasons);
    if (err) {
        fault_set(fault, F_UNAVAILABLE, NULL, "the store could not be read; nothing was assessed");
        goto out;
    }
    const char *body = json_object_to_json_string_ext(sheet, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    struct insert_job x = {.job = {.run = insert_run}, .a = a,
                           .row = {.guideline_version = json_get_str(json_object_object_get(root, "guideline"),
                                                                     "version"),
                                   .items_sha256 = sha, .assessed_at = c.now, .body = body}};
    if (writer_call(svc->writer, &x.job) != PHR_OK) {
        fault_set(fault, F_UNAVAILABLE, NULL, "the assessment could not be stored");
        goto out;
    }
    if (buf_printf(out, "{\"id\":%lld,\"approved\":false,\"not_implemented\":%zu,\"sheet\":%s}", (long long)x.id,
                   json_object_array_length(reasons), body)) {
        fault_set(fault, F_INTERNAL, NULL, "out of memory");
        goto out;
    }
    rc = 0;
out:
    json_object_put(sheet);
    json_object_put(ans.by_item);
    json_object_put(root);
    return rc;
}

/* --- answers and approval --- */

struct answer_job {
    struct job job;
    const struct actor *a;
    struct checksheet_answer_row row;
};

static int answer_run(struct job *j, struct store *st)
{
    struct answer_job *x = (struct answer_job *)j;
    int err = store_checksheet_answer_insert(st, &x->row);
    return err ? err : gate_record(st, x->a, ACT_CHECKSHEET, NULL, NULL, "answer", GATE_ALLOW);
}

int checksheet_answer(struct service *svc, const struct actor *a, const char *item, const char *status,
                      int64_t answered_on, const char *document, const char *reason, const char *by,
                      struct fault *fault)
{
    if (gate_decide(a, ACT_CHECKSHEET, NULL) == GATE_DENY)
        return fault_set(fault, F_FORBIDDEN, NULL, "the checksheet is answered by the security officer");
    if (!item || !*item || strlen(item) > 32)
        return fault_set(fault, F_MISSING, "item", "name the item (at most 32 characters)");
    if (!status || !status_valid(status))
        return fault_set(fault, F_INVALID_VALUE, "status",
                         "the status is implemented, equivalent, not-implemented or not-applicable");
    if (answered_on <= 0)
        return fault_set(fault, F_MISSING, "date", "give the date the answer was established");
    if (!strcmp(status, "not-implemented") && (!reason || !*reason))
        return fault_set(fault, F_MISSING, "reason", "an item not implemented needs its reason");
    if (strcmp(status, "not-implemented") && strcmp(status, "not-applicable") && (!document || !*document))
        return fault_set(fault, F_MISSING, "document", "name the document that shows it");
    if (!by || !*by)
        return fault_set(fault, F_MISSING, "approver", "say who answers");
    struct answer_job x = {.job = {.run = answer_run}, .a = a,
                           .row = {.item = item, .status = status, .reason = reason, .document = document,
                                   .answered_by = by, .answered_on = answered_on, .at = clock_now_ms()}};
    if (writer_call(svc->writer, &x.job) != PHR_OK)
        return fault_set(fault, F_UNAVAILABLE, NULL, "the answer could not be stored");
    return 0;
}

struct approve_job {
    struct job job;
    const struct actor *a;
    int64_t id;
    const char *by;
};

static int approve_run(struct job *j, struct store *st)
{
    struct approve_job *x = (struct approve_job *)j;
    int err = store_assessment_approve(st, x->id, clock_now_ms(), x->by);
    return err ? err : gate_record(st, x->a, ACT_CHECKSHEET, NULL, NULL, "approve", GATE_ALLOW);
}

int checksheet_approve(struct service *svc, const struct actor *a, int64_t id, const char *by, struct fault *fault)
{
    if (gate_decide(a, ACT_CHECKSHEET, NULL) == GATE_DENY)
        return fault_set(fault, F_FORBIDDEN, NULL, "the checksheet is approved by the security officer");
    if (!by || !*by)
        return fault_set(fault, F_MISSING, "approver", "say who approves");
    struct approve_job x = {.job = {.run = approve_run}, .a = a, .id = id, .by = by};
    int err = writer_call(svc->writer, &x.job);
    if (err == PHR_ECONFLICT)
        return fault_set(fault, F_CONFLICT, NULL, "assessment %lld does not exist or is approved already",
                         (long long)id);
    if (err)
        return fault_set(fault, F_UNAVAILABLE, NULL, "the approval could not be stored");
    return 0;
}

/* --- publication --- */

struct pick {
    int64_t want;          /* 0: the newest approved */
    json_object *sheet;    /* the chosen one, with its publication fields */
    json_object *earlier;  /* every other approved one */
    int err;
};

static int got_assessment(void *arg, const struct assessment_row *r)
{
    struct pick *p = arg;
    char at[32], assessed[32];
    clock_format_ms(r->approved_at, at);
    clock_format_ms(r->assessed_at, assessed);
    if (!p->sheet && (p->want == 0 || p->want == r->id)) {
        struct fault fault;
        if (!(p->sheet = json_parse_strict(r->body, strlen(r->body), &fault)))
            return p->err = PHR_EIO;
        json_object_object_add(p->sheet, "id", json_object_new_int64(r->id));
        add_str(p->sheet, "approved_at", at);
        add_str(p->sheet, "approved_by", r->approved_by ? r->approved_by : "");
        return PHR_OK;
    }
    json_object *e = json_object_new_object();
    char href[48];
    snprintf(href, sizeof href, "/checksheet/%lld.json", (long long)r->id);
    json_object_object_add(e, "id", json_object_new_int64(r->id));
    add_str(e, "assessed_at", assessed);
    add_str(e, "guideline_version", r->guideline_version);
    add_str(e, "href", href);
    json_object_array_add(p->earlier, e);
    return PHR_OK;
}

int checksheet_published(struct service *svc, int64_t id, json_object **out)
{
    *out = NULL;
    struct pick p = {.want = id, .earlier = json_object_new_array()};
    struct store *rd;
    int err = service_reader(svc, &rd);
    if (!err) {
        err = store_assessment_list(rd, 1, got_assessment, &p);
        service_reader_done(svc, rd);
    }
    if (!err && !p.sheet)
        err = PHR_ENOTFOUND;
    if (err) {
        json_object_put(p.sheet);
        json_object_put(p.earlier);
        return err;
    }
    json_object_object_add(p.sheet, "others", p.earlier);
    *out = p.sheet;
    return PHR_OK;
}

static int list_row(void *arg, const struct assessment_row *r)
{
    struct buf *b = arg;
    char at[32], ap[32];
    clock_format_ms(r->assessed_at, at);
    clock_format_ms(r->approved_at, ap);
    return (b->len > 1 && buf_puts(b, ",")) ||
                   buf_printf(b, "{\"id\":%lld,\"assessed_at\":\"%s\",\"guideline_version\":", (long long)r->id, at) ||
                   buf_json_str(b, r->guideline_version) ||
                   (r->approved_at ? buf_printf(b, ",\"approved_at\":\"%s\",\"approved_by\":", ap) ||
                                         buf_json_str(b, r->approved_by ? r->approved_by : "")
                                   : buf_puts(b, ",\"approved_at\":null")) ||
                   buf_puts(b, "}")
               ? PHR_ENOMEM
               : PHR_OK;
}

int checksheet_list(struct service *svc, struct buf *out)
{
    struct store *rd;
    int err = service_reader(svc, &rd);
    if (err)
        return err;
    err = buf_puts(out, "[") ? PHR_ENOMEM : store_assessment_list(rd, 0, list_row, out);
    service_reader_done(svc, rd);
    return err ? err : buf_puts(out, "]") ? PHR_ENOMEM : PHR_OK;
}
