/* Anonymised data sets after they are made (R3.13, APPI Art.43): what is
 * published of each, with its provisions (Art.43(3)(4)); the processing
 * method for those who answer for it (Art.43(2)); provision to a recipient
 * with an agreement in force, recorded with the delivery note (Art.43(5)). */
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "access/gate.h"
#include "service/anonymised_table.h"
#include "service/internal.h"
#include "store/anonymised.h"
#include "util/clock.h"
#include "util/err.h"

#define JST_MIN (9 * 60)

/* Every data set's published part, then (no statement open meanwhile)
 * each one's provisions added to it: the method and when (Art.43(4)). */
struct listing {
    json_object *sets;
    json_object *provided;   /* the one being filled */
};

static int list_row(void *arg, const struct anonymised_row *r)
{
    struct listing *l = arg;
    json_object *o = json_tokener_parse(r->published);
    if (!o)
        return PHR_EIO;
    json_object_object_add(o, "id", json_object_new_int64(r->id));
    json_object_array_add(l->sets, o);
    return PHR_OK;
}

static int provision_row(void *arg, const struct anonymised_provision_row *p)
{
    struct listing *l = arg;
    char at[32];
    json_object *o = json_object_new_object();
    clock_format_local(p->provided_at, JST_MIN, at);
    json_object_object_add(o, "method", json_object_new_string(p->method));
    json_object_object_add(o, "at", json_object_new_string(at));
    json_object_object_add(o, "recipient_country", json_object_new_string(p->recipient_country));
    json_object_array_add(l->provided, o);
    return PHR_OK;
}

int anonymised_published(struct service *svc, struct buf *out)
{
    struct store *rd;
    struct listing l = {json_object_new_array(), NULL};
    if (!l.sets || service_reader(svc, &rd) != PHR_OK) {
        json_object_put(l.sets);
        return -1;
    }
    int err = store_anonymised_list(rd, list_row, &l);
    for (size_t i = 0; !err && i < json_object_array_length(l.sets); i++) {
        json_object *set = json_object_array_get_idx(l.sets, i);
        l.provided = json_object_new_array();
        err = store_anonymised_provisions(rd, json_object_get_int64(json_object_object_get(set, "id")), provision_row,
                                          &l);
        json_object_object_add(set, "provided", l.provided);
        json_object_object_del(set, "id");
    }
    service_reader_done(svc, rd);
    if (!err && buf_puts(out, json_object_to_json_string_ext(l.sets, JSON_C_TO_STRING_PLAIN |
                                                                          JSON_C_TO_STRING_NOSLASHESCAPE)))
        err = PHR_ENOMEM;
    json_object_put(l.sets);
    return err ? -1 : 0;
}

struct method_read {
    struct job job;
    const struct actor *a;
    const char *name;
    struct buf *out;
};

static int method_row(void *arg, const struct anonymised_row *r)
{
    return buf_puts(arg, r->method) ? PHR_ENOMEM : PHR_OK;
}

/* Read and recorded in one transaction: whoever saw a method is on record. */
static int method_run(struct job *j, struct store *st)
{
    struct method_read *x = (struct method_read *)j;
    int err = store_anonymised_get(st, x->name, method_row, x->out);
    return err ? err : gate_record(st, x->a, ACT_ANONYMISE_METHOD, NULL, NULL, x->name, GATE_ALLOW);
}

int anonymised_method(struct service *svc, const struct actor *a, const char *name, struct buf *out,
                      struct fault *fault)
{
    if (gate_decide(a, ACT_ANONYMISE_METHOD, NULL) == GATE_DENY)
        return fault_set(fault, F_FORBIDDEN, NULL,
                         "a data set's processing method is for the information-asset manager and the security officer");
    struct method_read x = {.job = {.run = method_run}, .a = a, .name = name, .out = out};
    int err = writer_call(svc->writer, &x.job);
    if (err == PHR_ENOTFOUND)
        return fault_set(fault, F_NOT_FOUND, NULL, "no data set of that name");
    return err ? fault_set(fault, F_UNAVAILABLE, NULL, "the store is not available") : 0;
}

struct provide_job {
    struct job job;
    const struct actor *a;
    const char *name, *sha256;
    struct anonymised_provision_row row;
    char reason[200];
    struct buf *note;
    int wrong_file;
};

static int got_set(void *arg, const struct anonymised_row *r)
{
    struct provide_job *x = arg;
    json_object *published = json_tokener_parse(r->published), *note = json_object_new_object();
    char at[32];
    x->row.set_id = r->id;
    x->wrong_file = strcmp(r->table_sha256, x->sha256) != 0;
    clock_format_local(x->row.provided_at, JST_MIN, at);
    json_object_object_add(note, "name", json_object_new_string(r->name));
    json_object_object_add(note, "sha256", json_object_new_string(r->table_sha256));
    json_object_object_add(note, "recipient", json_object_new_string(x->row.recipient_id));
    json_object_object_add(note, "method", json_object_new_string(x->row.method));
    json_object_object_add(note, "provided_at", json_object_new_string(at));
    json_object_object_add(note, "statement", json_object_get(json_object_object_get(published, "statement")));
    int err = buf_puts(x->note, json_object_to_json_string_ext(note, JSON_C_TO_STRING_PLAIN |
                                                                         JSON_C_TO_STRING_NOSLASHESCAPE))
                  ? PHR_ENOMEM
                  : PHR_OK;
    json_object_put(note);
    json_object_put(published);
    return err;
}

/* The provision and its handling-history entry in one transaction, after
 * the file handed over is checked to be the data set recorded. */
static int provide_run(struct job *j, struct store *st)
{
    struct provide_job *x = (struct provide_job *)j;
    x->note->len = 0;
    int err = store_anonymised_get(st, x->name, got_set, x);
    if (!err && x->wrong_file)
        return PHR_ECONFLICT;
    if (!err)
        err = store_anonymised_provide(st, &x->row);
    return err ? err : gate_record(st, x->a, ACT_ANONYMISE, NULL, NULL, x->reason, GATE_ALLOW);
}

int anonymised_provide(struct service *svc, const struct actor *a, const char *name, const char *recipient,
                       const char *method, const char *sha256, struct buf *note, struct fault *fault)
{
    if (gate_decide(a, ACT_ANONYMISE, NULL) == GATE_DENY)
        return fault_set(fault, F_FORBIDDEN, NULL, "anonymised data sets are provided by the information-asset manager");
    if (!method || !*method || strlen(method) > 200)
        return fault_set(fault, F_MISSING, "method", "say how the data set is provided (up to 200 characters)");
    char by[64], kept[65];
    if (!sha256) {
        if (anonymised_kept_sha256(svc, name, kept, fault))
            return -1;
        sha256 = kept;
    }
    gate_actor_name(a, by);
    struct provide_job x = {.job = {.run = provide_run}, .a = a, .name = name, .sha256 = sha256, .note = note,
                            .row = {.recipient_id = recipient, .method = method, .provided_at = clock_now_ms(),
                                    .provided_by = by}};
    snprintf(x.reason, sizeof x.reason, "provided:%.60s to:%.60s", name, recipient);
    int err = writer_call(svc->writer, &x.job);
    if (err == PHR_ENOTFOUND)
        return fault_set(fault, F_NOT_FOUND, NULL, x.row.set_id ? "no such recipient" : "no data set of that name");
    if (err == PHR_ECONFLICT)
        return fault_set(fault, F_CONFLICT, "file", "the file is not the data set recorded as %s: its SHA-256 differs",
                         name);
    if (err == PHR_EPERM)
        return fault_set(fault, F_FORBIDDEN, "recipient",
                         "the recipient has no agreement in force: record one before providing anything");
    return err ? fault_set(fault, F_UNAVAILABLE, NULL, "the provision could not be recorded") : 0;
}
