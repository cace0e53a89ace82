/* The SPHR package for another provider (R4.4): one person's package, for
 * a recipient's client, holding only the kinds of data the person's live
 * consent provides to that recipient (a consent to vital signs gives no
 * checkup results, so no CDA either).
 *
 * It is made whole from one read snapshot before anything is answered,
 * then the writer decides every kind in it again and, only if each is
 * still allowed, records one provision per purpose naming every record
 * (and version) that went in, in the same transaction as the audit entry;
 * otherwise nothing is provided and the refusal is recorded. So a withdrawal committed before
 * that transaction is always seen, and no byte leaves unrecorded. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "service/export_internal.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/ids.h"

int export_allows(const struct export *e, const struct record_row *r)
{
    return !e->provided || (e->allowed & DATA_KIND_BIT(data_kind_by_name(r->data_kind)));
}

int export_note_provided(struct export *e, const struct record_row *r)
{
    return e->provided ? provision_list_add(&e->provided_items, r) : PHR_OK;
}

struct provide_job {
    struct job job;
    const struct actor *a;
    struct export *e;
    const char *subject;          /* a refusal's: the person asked for, if an id */
    char reason[GATE_REASON_LEN];
    int refused;
};

static int provide_run(struct job *j, struct store *st)
{
    struct provide_job *x = (struct provide_job *)j;
    struct export *e = x->e;
    struct gate_result g;
    /* One decision on every kind in the package: it goes whole or not at all. */
    int err = provide_records(st, x->a, ACT_RECORD_SEARCH, e->snap.person, &e->provided_items, e->allowed, &g);
    x->refused = !err && g.d == GATE_DENY;
    return err;
}

static int refuse_run(struct job *j, struct store *st)
{
    struct provide_job *x = (struct provide_job *)j;
    return gate_record(st, x->a, ACT_RECORD_SEARCH, x->subject, NULL, x->reason, GATE_DENY);
}

static int not_found(struct service *svc, const struct actor *a, const char *person, struct export *e, const char *why,
                     struct fault *fault)
{
    struct provide_job x = {.job = {.run = refuse_run}, .a = a, .e = e,
                            .subject = person && id_is_uuid(person) ? person : NULL};
    snprintf(x.reason, sizeof x.reason, "%s", why);
    int err = writer_call(svc->writer, &x.job);
    export_close(e);
    if (err)
        return fault_set(fault, F_UNAVAILABLE, NULL, "the store is not available");
    return fault_set(fault, F_NOT_FOUND, NULL, "no such patient, or no consent to provide their data to you");
}

int export_open_provided(struct service *svc, const struct actor *a, const char *person, struct export **out,
                         struct fault *fault)
{
    *out = NULL;
    if (a->kind != ACTOR_RECIPIENT)
        return fault_set(fault, F_FOR_RECIPIENTS, NULL,
                         "a Patient's $sphr is for another provider's client (a recipient), not for the person");
    struct export *e = calloc(1, sizeof *e);
    if (!e)
        return fault_set(fault, F_INTERNAL, NULL, "out of memory");
    e->format = EXPORT_SPHR;
    e->provided = 1;
    if (!person || !id_is_uuid(person))
        return not_found(svc, a, person, e, "no such person", fault);
    int err = snapshot_open(svc, person, NULL, NULL, &e->snap);
    if (err == PHR_ENOTFOUND)
        return not_found(svc, a, person, e, "no such person", fault);
    if (err) {
        export_close(e);
        return fault_set(fault, F_UNAVAILABLE, NULL, "the store is not available");
    }
    /* What the consent provides now, as the reader sees it; the writer
     * decides again before anything is answered. */
    struct provision_scope scope;
    if ((err = gate_provision_scope(e->snap.rd, a, person, &scope)) != PHR_OK) {
        export_close(e);
        return fault_set(fault, F_UNAVAILABLE, NULL, "the store is not available");
    }
    e->allowed = scope.kinds;
    if (!e->allowed)
        return not_found(svc, a, person, e, "no consent provides this person's data to the recipient", fault);
    if (export_package(e, &e->package)) {
        export_close(e);
        return fault_set(fault, F_INTERNAL, NULL, "the package could not be made");
    }
    struct provide_job x = {.job = {.run = provide_run}, .a = a, .e = e};
    err = writer_call(svc->writer, &x.job);
    if (err || x.refused) {
        export_close(e);
        return err ? fault_set(fault, F_UNAVAILABLE, NULL, "the store is not available")
                   : fault_set(fault, F_NOT_FOUND, NULL, "no such patient, or no consent to provide their data to you");
    }
    *out = e;
    return 0;
}
