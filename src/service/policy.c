/* Policy documents and purposes of use (R3.1, R3.2, R3.5): publishing new
 * versions and showing what is in force.
 *
 * Publishing compares a manifest with what is in the store and writes only
 * what differs, on the writer's connection so that two publishers cannot
 * interleave. A purpose whose text or requiredness changed must be marked
 * material (consent is needed again, Q3-4) or minor (consent carries over,
 * persons are told); a purpose that disappears from the manifest must be
 * retired explicitly. Either the whole manifest is published or nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "service/internal.h"
#include "util/clock.h"
#include "util/err.h"

#define MAX_CURRENT 128

struct cur_doc {
    char kind[16], lang[4], sha256[65];
    int version, export_days;
};

struct cur_purpose {
    char code[PURPOSE_CODE_MAX + 1];
    int version, required, retired, seen;
    char *title_ja, *title_en, *description_ja, *description_en, *recipient_group, *kinds;
};

struct current {
    struct cur_doc docs[MAX_CURRENT];
    size_t ndocs;
    struct cur_purpose purposes[MAX_CURRENT];
    size_t npurposes;
};

static int got_doc(void *arg, const struct document_row *d)
{
    struct current *c = arg;
    if (c->ndocs == MAX_CURRENT)
        return PHR_EIO;
    struct cur_doc *x = &c->docs[c->ndocs++];
    snprintf(x->kind, sizeof x->kind, "%s", d->kind);
    snprintf(x->lang, sizeof x->lang, "%s", d->lang);
    snprintf(x->sha256, sizeof x->sha256, "%s", d->sha256);
    x->version = d->version;
    x->export_days = d->export_days;
    return PHR_OK;
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static int got_purpose(void *arg, const struct purpose_row *p)
{
    struct current *c = arg;
    if (c->npurposes == MAX_CURRENT)
        return PHR_EIO;
    struct cur_purpose *x = &c->purposes[c->npurposes++];
    snprintf(x->code, sizeof x->code, "%s", p->code);
    x->version = p->version;
    x->required = p->required;
    x->retired = strcmp(p->change, "retired") == 0;
    x->title_ja = dup_or_null(p->title_ja);
    x->title_en = dup_or_null(p->title_en);
    x->description_ja = dup_or_null(p->description_ja);
    x->description_en = dup_or_null(p->description_en);
    x->recipient_group = dup_or_null(p->recipient_group);
    x->kinds = dup_or_null(p->kinds);
    if (!x->title_ja || !x->description_ja || (p->recipient_group && !x->recipient_group) || (p->kinds && !x->kinds))
        return PHR_ENOMEM;
    return PHR_OK;
}

static void current_free(struct current *c)
{
    for (size_t i = 0; i < c->npurposes; i++) {
        free(c->purposes[i].title_ja);
        free(c->purposes[i].title_en);
        free(c->purposes[i].description_ja);
        free(c->purposes[i].description_en);
        free(c->purposes[i].recipient_group);
        free(c->purposes[i].kinds);
    }
    c->npurposes = 0;
}

static int current_load(struct store *st, struct current *c)
{
    memset(c, 0, sizeof *c);
    int err = store_document_current(st, got_doc, c);
    if (!err)
        err = store_purpose_current(st, got_purpose, c);
    if (err)
        current_free(c);
    return err;
}

static int same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* --- publish --- */

struct publish_op {
    struct op op;
    struct policy_set set;
    int dry_run;
    struct buf summary;          /* JSON array of changes, rendered */
    struct buf audit;            /* "terms:v2,service:v3" */
};

struct plan_doc_kind {
    const char *kind;
    int changed, version;
};

static void sha_hex(const char *text, size_t len, char out[65])
{
    unsigned char d[32];
    crypto_hash_sha256(d, (const unsigned char *)text, len);
    sodium_bin2hex(out, 65, d, sizeof d);
}

static int note_change(struct publish_op *p, const char *what, const char *id, int version, const char *change)
{
    if ((p->summary.len > 1 && buf_puts(&p->summary, ",")) || buf_puts(&p->summary, "{\"") ||
        buf_puts(&p->summary, what) || buf_puts(&p->summary, "\":") || buf_json_str(&p->summary, id) ||
        buf_printf(&p->summary, ",\"version\":%d,\"change\":", version) || buf_json_str(&p->summary, change) ||
        buf_puts(&p->summary, "}"))
        return PHR_ENOMEM;
    if ((p->audit.len && buf_puts(&p->audit, ",")) || buf_printf(&p->audit, "%s:v%d", id, version))
        return PHR_ENOMEM;
    return PHR_OK;
}

static int publish_docs(struct publish_op *p, struct store *st, const struct current *c, int64_t now)
{
    /* anonymised: the public notice on anonymously processed information
     * (APPI Art.43(3)); optional, and no part of what a consent names. */
    static const char *const kinds[] = {"terms", "summary", "privacy", "anonymised"};
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        int changed = 0, version = 0, in_store = 0, in_set = 0;
        for (size_t i = 0; i < c->ndocs; i++)
            if (!strcmp(c->docs[i].kind, kinds[k])) {
                version = c->docs[i].version;
                in_store++;
            }
        for (size_t i = 0; i < p->set.ndocs; i++)
            in_set += !strcmp(p->set.docs[i].kind, kinds[k]);
        if (in_set != in_store)
            changed = 1; /* a translation added or dropped */
        for (size_t i = 0; i < p->set.ndocs; i++) {
            const struct policy_doc *d = &p->set.docs[i];
            if (strcmp(d->kind, kinds[k]))
                continue;
            char sha[65];
            sha_hex(d->body, d->body_len, sha);
            size_t j = 0;
            while (j < c->ndocs && (strcmp(c->docs[j].kind, d->kind) || strcmp(c->docs[j].lang, d->lang)))
                j++;
            if (j == c->ndocs || strcmp(c->docs[j].sha256, sha) || c->docs[j].export_days != d->export_days)
                changed = 1;
        }
        if (!changed)
            continue;
        version++;
        for (size_t i = 0; i < p->set.ndocs && !p->dry_run; i++) {
            const struct policy_doc *d = &p->set.docs[i];
            if (strcmp(d->kind, kinds[k]))
                continue;
            char sha[65];
            sha_hex(d->body, d->body_len, sha);
            struct document_row row = {
                .kind = d->kind, .version = version, .lang = d->lang, .title = d->title,
                .body = d->body, .sha256 = sha, .effective_at = d->effective_at, .published_at = now,
                .export_days = d->export_days,
            };
            int err = store_document_insert(st, &row);
            if (err)
                return err;
        }
        int err = note_change(p, "document", kinds[k], version, version == 1 ? "initial" : "new-version");
        if (err)
            return err;
    }
    return PHR_OK;
}

static int purpose_changed(const struct policy_purpose *s, const struct cur_purpose *c)
{
    return s->required != c->required || !same_str(s->title_ja, c->title_ja) ||
           !same_str(s->title_en, c->title_en) || !same_str(s->description_ja, c->description_ja) ||
           !same_str(s->description_en, c->description_en) || !same_str(s->recipient_group, c->recipient_group) ||
           !same_str(s->kinds, c->kinds);
}

/* Decides every purpose's change first, writing nothing, so that one
 * refused purpose leaves the store untouched. */
static int plan_purposes(struct op *o, const struct policy_set *set, struct current *c, const char **changes)
{
    for (size_t i = 0; i < set->npurposes; i++) {
        const struct policy_purpose *s = &set->purposes[i];
        struct cur_purpose *cur = NULL;
        for (size_t j = 0; j < c->npurposes; j++)
            if (!strcmp(c->purposes[j].code, s->code))
                cur = &c->purposes[j];
        changes[i] = NULL;
        if (!cur) {
            if (s->retired)
                return op_refuse(o, F_BUSINESS_RULE, "purpose %s cannot be retired: it was never published", s->code);
            changes[i] = "initial";
            continue;
        }
        cur->seen = 1;
        if (s->retired) {
            changes[i] = cur->retired ? NULL : "retired";
            continue;
        }
        if (cur->retired) {
            changes[i] = "material"; /* back in use: everyone decides again */
            continue;
        }
        if (!purpose_changed(s, cur))
            continue;
        if (!s->change)
            return op_refuse(o, F_BUSINESS_RULE,
                             "purpose %s changed: mark the change \"material\" (everyone must consent again) "
                             "or \"minor\" (consent carries over; persons are told)",
                             s->code);
        if (!strcmp(s->change, "minor") && s->required && !cur->required)
            return op_refuse(o, F_BUSINESS_RULE, "purpose %s becomes required: that is a material change", s->code);
        changes[i] = s->change;
    }
    for (size_t j = 0; j < c->npurposes; j++)
        if (!c->purposes[j].seen && !c->purposes[j].retired)
            return op_refuse(o, F_BUSINESS_RULE,
                             "purpose %s is published but missing from the manifest: keep it, or list it with "
                             "\"retired\": true",
                             c->purposes[j].code);
    return PHR_OK;
}

static int publish_commit(struct op *o, struct store *st)
{
    struct publish_op *p = (struct publish_op *)o;
    struct current c;
    const char **changes = calloc(p->set.npurposes ? p->set.npurposes : 1, sizeof *changes);
    if (!changes)
        return PHR_ENOMEM;
    int err = current_load(st, &c);
    if (err)
        goto out;
    if ((err = plan_purposes(o, &p->set, &c, changes)) != PHR_OK || o->res.err)
        goto out;
    int64_t now = clock_now_ms();
    if (buf_puts(&p->summary, "[")) {
        err = PHR_ENOMEM;
        goto out;
    }
    if ((err = publish_docs(p, st, &c, now)) != PHR_OK)
        goto out;
    for (size_t i = 0; i < p->set.npurposes; i++) {
        if (!changes[i])
            continue;
        const struct policy_purpose *s = &p->set.purposes[i];
        int version = 1;
        for (size_t j = 0; j < c.npurposes; j++)
            if (!strcmp(c.purposes[j].code, s->code))
                version = c.purposes[j].version + 1;
        struct purpose_row row = {
            .code = s->code, .version = version, .required = s->required,
            .title_ja = s->title_ja, .title_en = s->title_en,
            .description_ja = s->description_ja, .description_en = s->description_en,
            .change = changes[i], .published_at = now,
            .recipient_group = s->recipient_group, .kinds = s->kinds,
        };
        if (!p->dry_run && (err = store_purpose_insert(st, &row)) != PHR_OK)
            goto out;
        if ((err = note_change(p, "purpose", s->code, version, changes[i])) != PHR_OK)
            goto out;
    }
    if (buf_puts(&p->summary, "]")) {
        err = PHR_ENOMEM;
        goto out;
    }
    if (!p->dry_run && p->audit.len)
        err = gate_record(st, &o->actor, ACT_POLICY_PUBLISH, NULL, p->audit.data, NULL, GATE_ALLOW);
out:
    current_free(&c);
    free(changes);
    return err;
}

static int publish_render(struct op *o, struct buf *out)
{
    struct publish_op *p = (struct publish_op *)o;
    return buf_printf(out, "{\"dry_run\":%s,\"changes\":", p->dry_run ? "true" : "false") ||
                   buf_append(out, p->summary.data, p->summary.len) || buf_puts(out, "}")
               ? PHR_ENOMEM
               : PHR_OK;
}

static void publish_destroy(struct op *o)
{
    struct publish_op *p = (struct publish_op *)o;
    buf_free(&p->summary);
    buf_free(&p->audit);
    policy_free(&p->set);
}

static const struct op_ops publish_ops = {publish_commit, publish_render, publish_destroy};

int policy_publish(struct service *svc, const struct actor *a, struct policy_set *set, int dry_run, struct op **out,
                   struct fault *fault)
{
    *out = NULL;
    int rc = -1;
    if (gate_decide(a, ACT_POLICY_PUBLISH, NULL) == GATE_DENY) {
        rc = service_deny(svc, a, ACT_POLICY_PUBLISH, out, fault);
        goto out;
    }
    for (size_t i = 0; i < set->ndocs; i++)
        if (policy_check_text(&set->docs[i], fault))
            goto out;
    struct publish_op *p = calloc(1, sizeof *p);
    if (!p) {
        fault_set(fault, F_INTERNAL, NULL, "out of memory");
        goto out;
    }
    op_init(&p->op, svc, &publish_ops, a);
    p->set = *set;
    memset(set, 0, sizeof *set);
    p->dry_run = dry_run;
    buf_init(&p->summary);
    buf_init(&p->audit);
    *out = &p->op;
    return 0;
out:
    policy_free(set);
    return rc;
}

/* --- what is in force, for everyone to read --- */

static int lang_pair(struct buf *b, const char *key, const char *ja, const char *en)
{
    if (buf_printf(b, ",\"%s\":{\"ja\":", key) || buf_json_str(b, ja))
        return -1;
    if (en && (buf_puts(b, ",\"en\":") || buf_json_str(b, en)))
        return -1;
    return buf_puts(b, "}");
}

struct render_ctx {
    struct buf *b;
    int n;
};

static int render_doc(void *arg, const struct document_row *d)
{
    struct render_ctx *r = arg;
    char eff[32];
    clock_format_ms(d->effective_at, eff);
    if ((r->n++ && buf_puts(r->b, ",")) || buf_puts(r->b, "{\"kind\":") || buf_json_str(r->b, d->kind) ||
        buf_printf(r->b, ",\"version\":%d,\"lang\":", d->version) || buf_json_str(r->b, d->lang) ||
        buf_puts(r->b, ",\"title\":") || buf_json_str(r->b, d->title) || buf_puts(r->b, ",\"sha256\":") ||
        buf_json_str(r->b, d->sha256) || buf_puts(r->b, ",\"effective\":") || buf_json_str(r->b, eff) ||
        (d->export_days && buf_printf(r->b, ",\"export_period_days\":%d", d->export_days)) ||
        buf_puts(r->b, ",\"text\":") || buf_json_str(r->b, d->body) || buf_puts(r->b, "}"))
        return PHR_ENOMEM;
    return PHR_OK;
}

/* The kinds a provision purpose provides, in the person's words, from the
 * table the gate decides on: what the person is shown is what is enforced.
 * A purpose whose kinds are not kinds of data shows none (and provides
 * nothing). */
static int render_data_kinds(struct buf *b, const char *list)
{
    data_kinds set = 0;
    if (data_kinds_parse(list, &set, NULL, 0))
        set = 0;
    if (buf_puts(b, ",\"data_kinds\":["))
        return PHR_ENOMEM;
    int n = 0;
    for (int k = 1; k < DK_COUNT; k++) {
        if (!(set & DATA_KIND_BIT(k)))
            continue;
        if ((n++ && buf_puts(b, ",")) || buf_puts(b, "{\"code\":") ||
            buf_json_str(b, data_kind_name((enum data_kind)k)) ||
            lang_pair(b, "title", data_kind_label((enum data_kind)k, "ja"), data_kind_label((enum data_kind)k, "en")) ||
            buf_puts(b, "}"))
            return PHR_ENOMEM;
    }
    return buf_puts(b, "]") ? PHR_ENOMEM : PHR_OK;
}

int policy_render_purpose(struct buf *b, const struct purpose_row *p)
{
    if (buf_puts(b, "{\"code\":") || buf_json_str(b, p->code) ||
        buf_printf(b, ",\"version\":%d,\"covered_from\":%d,\"required\":%s,\"change\":", p->version,
                   p->covered_from, p->required ? "true" : "false") ||
        buf_json_str(b, p->change) || lang_pair(b, "title", p->title_ja, p->title_en) ||
        lang_pair(b, "description", p->description_ja, p->description_en))
        return PHR_ENOMEM;
    if (p->recipient_group && (buf_puts(b, ",\"recipient_group\":") || buf_json_str(b, p->recipient_group) ||
                               buf_puts(b, ",\"kinds\":") || buf_json_str(b, p->kinds ? p->kinds : "") ||
                               render_data_kinds(b, p->kinds)))
        return PHR_ENOMEM;
    return PHR_OK;
}

static int render_purpose(void *arg, const struct purpose_row *p)
{
    struct render_ctx *r = arg;
    if (!strcmp(p->change, "retired"))
        return PHR_OK;
    if ((r->n++ && buf_puts(r->b, ",")) || policy_render_purpose(r->b, p) || buf_puts(r->b, "}"))
        return PHR_ENOMEM;
    return PHR_OK;
}

int policy_current(struct service *svc, struct buf *out)
{
    struct store *rd;
    int err = service_reader(svc, &rd);
    if (err)
        return err;
    struct render_ctx r = {out, 0};
    if (buf_puts(out, "{\"documents\":["))
        err = PHR_ENOMEM;
    if (!err)
        err = store_document_current(rd, render_doc, &r);
    r.n = 0;
    if (!err && buf_puts(out, "],\"purposes\":["))
        err = PHR_ENOMEM;
    if (!err)
        err = store_purpose_current(rd, render_purpose, &r);
    /* The checksheet is published beside the terms and the privacy policy (Q5-2). */
    if (!err && buf_puts(out, "],\"checksheet\":{\"html\":\"/checksheet\",\"json\":\"/checksheet.json\"}}"))
        err = PHR_ENOMEM;
    service_reader_done(svc, rd);
    return err;
}

int policy_versions(struct service *svc, const char *kind, struct buf *out, struct fault *fault)
{
    if (strcmp(kind, "terms") && strcmp(kind, "summary") && strcmp(kind, "privacy") && strcmp(kind, "anonymised"))
        return fault_set(fault, F_NOT_FOUND, NULL, "the documents are terms, summary, privacy and anonymised");
    struct store *rd;
    if (service_reader(svc, &rd))
        return fault_set(fault, F_UNAVAILABLE, NULL, "the store is not available");
    struct render_ctx r = {out, 0};
    int err = 0;
    if (buf_puts(out, "{\"kind\":") || buf_json_str(out, kind) || buf_puts(out, ",\"versions\":["))
        err = PHR_ENOMEM;
    if (!err)
        err = store_document_versions(rd, kind, render_doc, &r);
    if (!err && buf_puts(out, "]}"))
        err = PHR_ENOMEM;
    service_reader_done(svc, rd);
    if (err)
        return fault_set(fault, err == PHR_ENOMEM ? F_INTERNAL : F_UNAVAILABLE, NULL,
                         "the versions could not be read (%s)", phr_strerror(err));
    return 0;
}

struct hashes_ctx {
    char (*out)[65];
    size_t max, n;
};

static int got_hash(void *arg, const struct document_row *d)
{
    struct hashes_ctx *h = arg;
    if (h->n == h->max)
        return PHR_EIO;
    snprintf(h->out[h->n++], 65, "%s", d->sha256);
    return PHR_OK;
}

int policy_current_hashes(struct service *svc, char (*out)[65], size_t max, size_t *n)
{
    struct store *rd;
    struct hashes_ctx h = {out, max, 0};
    int err = service_reader(svc, &rd);
    if (err)
        return err;
    err = store_document_current(rd, got_hash, &h);
    service_reader_done(svc, rd);
    *n = h.n;
    return err;
}
