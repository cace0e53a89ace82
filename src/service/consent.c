/* The consent ledger and suspension of use (R3.3, R3.5, R3.6, R3.9).
 *
 * Decisions are appended on the writer's connection, checked there against
 * the purposes and documents in force at that moment, so a decision never
 * names a purpose version that a publish has just replaced. Reading the
 * ledger is itself recorded in the handling history. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/consent_fhir.h"
#include "service/internal.h"
#include "util/clock.h"
#include "util/err.h"

#define MAX_PURPOSES 128
#define MAX_DOCS 16

struct in_force {
    struct {
        char code[PURPOSE_CODE_MAX + 1];
        int version, covered_from, required, retired;
    } purposes[MAX_PURPOSES];
    size_t npurposes;
    struct {
        char kind[16], lang[4], sha256[65];
        int version;
    } docs[MAX_DOCS];
    size_t ndocs;
};

static int got_purpose(void *arg, const struct purpose_row *p)
{
    struct in_force *f = arg;
    if (f->npurposes == MAX_PURPOSES)
        return PHR_EIO;
    size_t i = f->npurposes++;
    snprintf(f->purposes[i].code, sizeof f->purposes[i].code, "%s", p->code);
    f->purposes[i].version = p->version;
    f->purposes[i].covered_from = p->covered_from;
    f->purposes[i].required = p->required;
    f->purposes[i].retired = strcmp(p->change, "retired") == 0;
    return PHR_OK;
}

static int got_doc(void *arg, const struct document_row *d)
{
    struct in_force *f = arg;
    if (f->ndocs == MAX_DOCS)
        return PHR_EIO;
    size_t i = f->ndocs++;
    snprintf(f->docs[i].kind, sizeof f->docs[i].kind, "%s", d->kind);
    snprintf(f->docs[i].lang, sizeof f->docs[i].lang, "%s", d->lang);
    snprintf(f->docs[i].sha256, sizeof f->docs[i].sha256, "%s", d->sha256);
    f->docs[i].version = d->version;
    return PHR_OK;
}

static int in_force_load(struct store *st, struct in_force *f)
{
    memset(f, 0, sizeof *f);
    int err = store_purpose_current(st, got_purpose, f);
    return err ? err : store_document_current(st, got_doc, f);
}

static int find_purpose(const struct in_force *f, const char *code)
{
    for (size_t i = 0; i < f->npurposes; i++)
        if (!strcmp(f->purposes[i].code, code))
            return (int)i;
    return -1;
}

/* The latest decision per purpose for one person. */
struct states {
    struct {
        char purpose[PURPOSE_CODE_MAX + 1], decision[9];
        int version;
        int64_t at, seq;
    } s[MAX_PURPOSES];
    size_t n;
};

static int got_state(void *arg, const struct consent_row *c)
{
    struct states *s = arg;
    if (s->n == MAX_PURPOSES)
        return PHR_EIO;
    size_t i = s->n++;
    snprintf(s->s[i].purpose, sizeof s->s[i].purpose, "%s", c->purpose);
    snprintf(s->s[i].decision, sizeof s->s[i].decision, "%s", c->decision);
    s->s[i].version = c->purpose_version;
    s->s[i].at = c->at;
    s->s[i].seq = c->seq;
    return PHR_OK;
}

static int find_state(const struct states *s, const char *purpose)
{
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(s->s[i].purpose, purpose))
            return (int)i;
    return -1;
}

/* --- recording decisions --- */

struct record_op {
    struct op op;
    enum decision d;
    char subject[ID_LEN + 1];
    struct consent_request req;
    char channel[16], recorded_by[64];
    struct buf audit, answer;
};

/* The documents shown, as "kind:version:lang:sha256,…"; every kind in force
 * must be among them for a grant to stand. */
static int shown_documents(const struct consent_request *req, const struct in_force *f, struct buf *documents,
                           int *all_kinds)
{
    int seen[3] = {0, 0, 0};
    static const char *const kinds[] = {"terms", "summary", "privacy"};
    for (size_t i = 0; i < req->nshown; i++)
        for (size_t j = 0; j < f->ndocs; j++) {
            if (strcmp(req->shown[i], f->docs[j].sha256))
                continue;
            for (int k = 0; k < 3; k++)
                if (!strcmp(f->docs[j].kind, kinds[k]))
                    seen[k] = 1;
            if ((documents->len && buf_puts(documents, ",")) ||
                buf_printf(documents, "%s:%d:%s:%s", f->docs[j].kind, f->docs[j].version, f->docs[j].lang,
                           f->docs[j].sha256))
                return PHR_ENOMEM;
        }
    *all_kinds = seen[0] && seen[1] && seen[2];
    return PHR_OK;
}

int consent_append(struct op *o, struct store *st, const char *subject, struct consent_request *req,
                   const char *channel, const char *recorded_by, struct buf *audit, struct buf *answer)
{
    struct in_force *f = malloc(sizeof *f);
    struct states *s = malloc(sizeof *s);
    struct buf documents;
    buf_init(&documents);
    int err = PHR_ENOMEM, all_kinds = 0;
    if (!f || !s)
        goto out;
    s->n = 0;
    if ((err = in_force_load(st, f)) != PHR_OK || (err = store_consent_state(st, subject, got_state, s)) != PHR_OK ||
        (err = shown_documents(req, f, &documents, &all_kinds)) != PHR_OK)
        goto out;
    /* Check every decision before writing any: all or nothing. */
    for (size_t i = 0; i < req->ndecisions; i++) {
        struct consent_decision *d = &req->decisions[i];
        int p = find_purpose(f, d->purpose);
        if (p < 0 || f->purposes[p].retired) {
            err = op_refuse(o, F_INVALID_VALUE, "there is no purpose of use '%s' in force", d->purpose);
            goto out;
        }
        if (d->version && d->version != f->purposes[p].version) {
            err = op_refuse(o, F_CONFLICT, "purpose '%s' is at version %d now: show the current text and decide again",
                            d->purpose, f->purposes[p].version);
            goto out;
        }
        d->version = f->purposes[p].version;
        if (!strcmp(d->decision, "grant") && !all_kinds) {
            err = op_refuse(o, F_BUSINESS_RULE,
                            "a grant needs the current terms, summary and privacy policy shown: "
                            "send their sha256 in 'shown'");
            goto out;
        }
        int k = find_state(s, d->purpose);
        if (!strcmp(d->decision, "withdraw") && (k < 0 || strcmp(s->s[k].decision, "grant"))) {
            err = op_refuse(o, F_CONFLICT, "nothing to withdraw: purpose '%s' is not granted", d->purpose);
            goto out;
        }
    }
    int64_t now = clock_now_ms();
    for (size_t i = 0; i < req->ndecisions; i++) {
        const struct consent_decision *d = &req->decisions[i];
        struct consent_row row = {
            .person_id = subject, .purpose = d->purpose, .purpose_version = d->version,
            .decision = d->decision, .at = now, .channel = channel, .recorded_by = recorded_by,
            .documents = documents.len ? documents.data : "", .countries = d->countries,
        };
        if ((err = store_consent_append(st, &row)) != PHR_OK)
            goto out;
        if ((audit->len && buf_puts(audit, ",")) ||
            buf_printf(audit, "%s:v%d:%s", d->purpose, d->version, d->decision) ||
            (answer && (buf_puts(answer, i ? "," : "[") || buf_puts(answer, "{\"purpose\":") ||
                        buf_json_str(answer, d->purpose) ||
                        buf_printf(answer, ",\"version\":%d,\"decision\":\"%s\"}", d->version, d->decision)))) {
            err = PHR_ENOMEM;
            goto out;
        }
    }
    err = answer && buf_puts(answer, "]") ? PHR_ENOMEM : PHR_OK;
out:
    buf_free(&documents);
    free(f);
    free(s);
    return err;
}

static int record_commit(struct op *o, struct store *st)
{
    struct record_op *r = (struct record_op *)o;
    if (r->d == GATE_DENY)
        return gate_record(st, &o->actor, ACT_CONSENT_RECORD, r->subject[0] ? r->subject : NULL, NULL, NULL,
                           GATE_DENY);
    int err = consent_append(o, st, r->subject, &r->req, r->channel, r->recorded_by, &r->audit, &r->answer);
    if (err || o->res.err)
        return err;
    return gate_record(st, &o->actor, ACT_CONSENT_RECORD, r->subject, r->audit.data, NULL, GATE_ALLOW);
}

static int record_render(struct op *o, struct buf *out)
{
    struct record_op *r = (struct record_op *)o;
    return buf_puts(out, "{\"recorded\":") || buf_append(out, r->answer.data, r->answer.len) || buf_puts(out, "}")
               ? PHR_ENOMEM
               : PHR_OK;
}

static void record_destroy(struct op *o)
{
    struct record_op *r = (struct record_op *)o;
    buf_free(&r->audit);
    buf_free(&r->answer);
}

static const struct op_ops record_ops = {record_commit, record_render, record_destroy};

static void not_found(struct op *o)
{
    o->res.err = PHR_ENOTFOUND;
    fault_set(&o->res.fault, F_NOT_FOUND, NULL, "no such person");
}

int consent_record(struct service *svc, const struct actor *a, const char *subject, const struct consent_request *req,
                   const char *channel, const char *recorded_by, struct op **out, struct fault *fault)
{
    *out = NULL;
    struct record_op *r = calloc(1, sizeof *r);
    if (!r)
        return fault_set(fault, F_INTERNAL, NULL, "out of memory");
    op_init(&r->op, svc, &record_ops, a);
    buf_init(&r->audit);
    buf_init(&r->answer);
    r->req = *req;
    snprintf(r->channel, sizeof r->channel, "%s", channel);
    if (recorded_by)
        snprintf(r->recorded_by, sizeof r->recorded_by, "%s", recorded_by);
    else
        gate_actor_name(a, r->recorded_by);
    if (subject && strlen(subject) <= ID_LEN)
        snprintf(r->subject, sizeof r->subject, "%s", subject);
    r->d = gate_decide(a, ACT_CONSENT_RECORD, r->subject[0] ? r->subject : NULL);
    if (r->d == GATE_DENY)
        not_found(&r->op);
    *out = &r->op;
    return 0;
}

/* --- suspension of use --- */

struct suspend_op {
    struct op op;
    enum decision d;
    enum action act;
    char subject[ID_LEN + 1], purpose[PURPOSE_CODE_MAX + 1], channel[16], recorded_by[64];
};

static int suspend_commit(struct op *o, struct store *st)
{
    struct suspend_op *s = (struct suspend_op *)o;
    const char *subject = s->subject[0] ? s->subject : NULL;
    if (s->d == GATE_DENY)
        return gate_record(st, &o->actor, s->act, subject, NULL, NULL, GATE_DENY);
    if (strcmp(s->purpose, "*")) {
        struct in_force *f = malloc(sizeof *f);
        if (!f)
            return PHR_ENOMEM;
        int err = in_force_load(st, f);
        int p = err ? -1 : find_purpose(f, s->purpose);
        free(f);
        if (err)
            return err;
        if (p < 0)
            return op_refuse(o, F_INVALID_VALUE, "there is no purpose of use '%s'", s->purpose);
    }
    struct suspension_row row = {
        .person_id = s->subject, .purpose = s->purpose,
        .action = s->act == ACT_USE_SUSPEND ? "suspend" : "lift", .at = clock_now_ms(),
        .channel = s->channel, .recorded_by = s->recorded_by,
    };
    int err = store_suspension_append(st, &row);
    if (err == PHR_ECONFLICT)
        return op_refuse(o, F_CONFLICT,
                         s->act == ACT_USE_SUSPEND ? "use for '%s' is suspended already"
                                                   : "use for '%s' is not suspended",
                         s->purpose);
    if (err)
        return err;
    return gate_record(st, &o->actor, s->act, subject, s->purpose, NULL, GATE_ALLOW);
}

static const struct op_ops suspend_ops = {suspend_commit, NULL, NULL};

int use_suspend(struct service *svc, const struct actor *a, const char *subject, const char *purpose, int lift,
                const char *channel, const char *recorded_by, struct op **out, struct fault *fault)
{
    *out = NULL;
    if (strcmp(purpose, "*") && !purpose_code_valid(purpose))
        return fault_set(fault, F_INVALID_VALUE, "purpose",
                         "purpose must be a purpose code, or \"*\" for every purpose");
    struct suspend_op *s = calloc(1, sizeof *s);
    if (!s)
        return fault_set(fault, F_INTERNAL, NULL, "out of memory");
    op_init(&s->op, svc, &suspend_ops, a);
    s->act = lift ? ACT_USE_LIFT : ACT_USE_SUSPEND;
    snprintf(s->purpose, sizeof s->purpose, "%s", purpose);
    snprintf(s->channel, sizeof s->channel, "%s", channel);
    if (recorded_by)
        snprintf(s->recorded_by, sizeof s->recorded_by, "%s", recorded_by);
    else
        gate_actor_name(a, s->recorded_by);
    if (subject && strlen(subject) <= ID_LEN)
        snprintf(s->subject, sizeof s->subject, "%s", subject);
    s->d = gate_decide(a, s->act, s->subject[0] ? s->subject : NULL);
    if (s->d == GATE_DENY)
        not_found(&s->op);
    *out = &s->op;
    return 0;
}
