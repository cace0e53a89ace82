/* Bundles of records: a history, and a search read page by page. A walk
 * of pages reads one snapshot, taken at its first page: every page keeps
 * the records as they stood then, in that order, each sent in its version
 * current when the page is read (or left out if that version no longer
 * matches or is no longer provided), so that records added or corrected
 * during the walk cause neither duplicates nor gaps. The links carry the
 * snapshot and the place a page begins (page_links.h); the gate decides on
 * every page as on any read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "formats/search.h"
#include "service/reads_internal.h"
#include "service/snapshot.h"
#include "util/clock.h"
#include "util/err.h"

/* base/query&_page=<link>, the link made from l; *n links so far. */
static int put_link(struct buf *out, struct read_op *r, const char *relation, const struct page_link *l, int *n)
{
    const char *q = buf_cstr(&r->query);
    struct buf url;
    buf_init(&url);
    buf_printf(&url, "%s%s%s%s_page=", r->base_url, *q && *q != '?' ? "/" : "", q, strchr(q, '?') ? "&" : "?");
    int err = page_link_encode(r->op.svc->mk, buf_cstr(&r->binding), r->sort, r->nsort, l, &url);
    if (!err && (buf_printf(out, "%s{\"relation\":\"%s\",\"url\":", (*n)++ ? "," : "", relation) || buf_json_str(out, buf_cstr(&url)) ||
                 buf_puts(out, "}")))
        err = PHR_ENOMEM;
    buf_free(&url);
    return err;
}

/* self: this page as it was reached; first: the walk's first page; next
 * and previous: after the last row and before the first, when there is
 * such a page (a page reached backwards has one after it, its anchor; one
 * reached forwards has one before it). */
static int search_links(struct read_op *r, struct buf *out)
{
    int back = r->link.dir == PAGE_PREVIOUS;
    struct page_link first = {.dir = PAGE_FIRST, .issued_at = r->link.issued_at, .snapshot = r->link.snapshot};
    int n = 0;
    int err = put_link(out, r, "self", &r->link, &n);
    if (!err)
        err = put_link(out, r, "first", &first, &n);
    int has_next = back ? 1 : r->more, has_prev = back ? r->more : r->link.dir == PAGE_NEXT;
    if (!r->nrows) {
        has_next = 0; /* nothing to go on from: back to the start */
        if (!err && has_prev)
            err = put_link(out, r, "previous", &first, &n);
        return err;
    }
    struct page_link beside = r->came_last;
    beside.issued_at = r->link.issued_at;
    beside.snapshot = r->link.snapshot;
    if (!err && has_next) {
        beside.dir = PAGE_NEXT;
        err = put_link(out, r, "next", &beside, &n);
    }
    beside = r->came_first;
    beside.issued_at = r->link.issued_at;
    beside.snapshot = r->link.snapshot;
    if (!err && has_prev) {
        beside.dir = PAGE_PREVIOUS;
        err = put_link(out, r, "previous", &beside, &n);
    }
    return err;
}

/* Row i's resource, whole or (_elements, _summary) the part asked for. */
static int open_entry(struct read_op *r, const unsigned char key[DATA_KEY_BYTES], size_t i, struct buf *out)
{
    if (!r->subset && !r->summary_by_type)
        return open_row(r, key, i, out);
    struct elements by_type;
    const struct elements *subset = r->subset;
    if (r->summary_by_type) {
        if (elements_summary(r->rows[i].type, &by_type) != 0)
            by_type.n = 0; /* a type without a list: its mandatory elements */
        subset = &by_type;
    }
    struct buf plain;
    buf_init(&plain);
    int err = open_row(r, key, i, &plain);
    if (!err)
        err = elements_apply(subset, plain.data, plain.len, out);
    buf_wipe(&plain);
    return err;
}

/* "a" "b" "c" as one JSON string. */
static int json_str3(struct buf *out, const char *a, const char *b, const char *c)
{
    return buf_puts(out, "\"") || buf_json_escape(out, a, strlen(a)) || buf_json_escape(out, b, strlen(b)) ||
           buf_json_escape(out, c, strlen(c)) || buf_puts(out, "\"");
}

/* After a search's matches: the Patient they name (_include), and what the
 * client should know: parameters left out, records that did not open. */
static int search_extras(struct read_op *r, struct buf *out, size_t sent, struct buf *unreadable)
{
    size_t n = sent;
    if (r->include_patient && sent &&
        (buf_printf(out, ",{\"fullUrl\":") || json_str3(out, r->base_url, "/Patient/", r->subject) ||
         buf_puts(out, ",\"resource\":") || patient_json(out, r->subject) ||
         buf_puts(out, ",\"search\":{\"mode\":\"include\"}}")))
        return PHR_ENOMEM;
    if (r->include_patient && sent)
        n++;
    if (r->ignored.len) {
        if (buf_printf(out, "%s{\"resource\":{\"resourceType\":\"OperationOutcome\",\"issue\":[{\"severity\":"
                            "\"warning\",\"code\":\"not-supported\",\"diagnostics\":",
                       n++ ? "," : "") ||
            json_str3(out, "search parameters not understood, so not applied: ", buf_cstr(&r->ignored), "") ||
            buf_puts(out, "}]},\"search\":{\"mode\":\"outcome\"}}"))
            return PHR_ENOMEM;
    }
    if (unreadable->len &&
        (buf_printf(out, "%s{\"resource\":{\"resourceType\":\"OperationOutcome\",\"issue\":[{\"severity\":\"error\","
                         "\"code\":\"exception\",\"diagnostics\":",
                    n ? "," : "") ||
         json_str3(out, "matching records could not be opened and are not included: ", buf_cstr(unreadable), "") ||
         buf_puts(out, "}]},\"search\":{\"mode\":\"outcome\"}}")))
        return PHR_ENOMEM;
    return PHR_OK;
}

static int bundle_render(struct op *o, struct buf *out)
{
    struct read_op *r = (struct read_op *)o;
    unsigned char key[DATA_KEY_BYTES];
    int search = r->search;
    int err = PHR_OK;
    struct buf unreadable; /* "Observation/…/_history/1, …": named, so the person can ask about them */
    buf_init(&unreadable);
    if (r->nrows && (err = read_key(r, key)) != PHR_OK)
        return err;
    int64_t total = search ? r->total : (int64_t)r->nrows;
    if (buf_printf(out, "{\"resourceType\":\"Bundle\",\"type\":\"%s\",", search ? "searchset" : "history"))
        goto nomem;
    if (total >= 0 && buf_printf(out, "\"total\":%lld,", (long long)total))
        goto nomem;
    if (buf_puts(out, "\"link\":["))
        goto nomem;
    if (search && (err = search_links(r, out)) != PHR_OK)
        goto out;
    if (buf_puts(out, "],\"entry\":["))
        goto nomem;
    size_t sent = 0;
    if (r->patient_entry) {
        if (buf_puts(out, "{\"fullUrl\":") || json_str3(out, r->base_url, "/Patient/", r->subject) ||
            buf_puts(out, ",\"resource\":") || patient_json(out, r->subject) ||
            buf_puts(out, ",\"search\":{\"mode\":\"match\"}}"))
            goto nomem;
        sent++;
    }
    for (size_t i = 0; i < r->nrows; i++) {
        size_t mark = out->len;
        if (buf_printf(out, "%s{\"fullUrl\":", sent ? "," : "") || buf_puts(out, "\"") ||
            buf_json_escape(out, r->base_url, strlen(r->base_url)) ||
            buf_printf(out, "/%s/%s\",\"resource\":", r->rows[i].type, r->rows[i].id))
            goto nomem;
        if ((err = open_entry(r, key, i, out)) == PHR_ECRYPTO) {
            out->len = mark; /* left out; the rest of the answer stands */
            if (buf_printf(&unreadable, "%s%s/%s/_history/%d", unreadable.len ? ", " : "", r->rows[i].type,
                           r->rows[i].id, r->rows[i].version))
                goto nomem;
            err = PHR_OK;
            continue;
        }
        if (err)
            goto out;
        sent++;
        /* A history entry says how the version came (bdl-3) and how it was
         * answered (bdl-4): a create, or an update of the id. */
        char at[32];
        clock_format_ms(r->rows[i].recorded_at, at);
        int created = r->rows[i].version == 1;
        if (search ? buf_printf(out, ",\"search\":{\"mode\":\"%s\"}}", r->rows[i].included ? "include" : "match")
                   : buf_printf(out,
                                ",\"request\":{\"method\":\"%s\",\"url\":\"%s%s%s\"},\"response\":{\"status\":"
                                "\"%s\",\"etag\":\"W/\\\"%d\\\"\",\"lastModified\":\"%s\"}}",
                                created ? "POST" : "PUT", r->rows[i].type, created ? "" : "/",
                                created ? "" : r->rows[i].id,
                                created ? "201 Created" : "200 OK", r->rows[i].version, at))
            goto nomem;
    }
    if (r->revincluded.len && (buf_puts(out, sent ? "," : "") || buf_append(out, r->revincluded.data, r->revincluded.len)))
        goto nomem;
    sent += r->revincluded.len ? 1 : 0;
    if (search && (err = search_extras(r, out, sent, &unreadable)) != PHR_OK)
        goto out;
    if (buf_puts(out, "]}"))
        goto nomem;
    goto out;
nomem:
    err = PHR_ENOMEM;
out:
    buf_free(&unreadable);
    sodium_memzero(key, sizeof key);
    return err;
}
const struct op_ops bundle_ops = {read_commit, bundle_render, read_destroy};

/* --- a search --- */

struct freshen {
    struct read_op *r;
    size_t i;
    int found;
};

static int fresh_row(void *arg, const struct record_row *row)
{
    struct freshen *f = arg;
    struct sealed *s = &f->r->rows[f->i];
    int met = f->r->values ? row_meets(f->r, row) : 1;
    if (met <= 0)
        return met; /* the version now no longer meets the values: left out */
    unsigned char *body = malloc(row->body_len ? row->body_len : 1);
    if (!body)
        return PHR_ENOMEM;
    memcpy(body, row->body, row->body_len);
    free(s->body);
    s->body = body;
    s->len = row->body_len;
    s->alg = row->alg;
    s->version = row->version;
    s->recorded_at = row->recorded_at;
    s->replaced = 0;
    f->found = 1;
    return f->r->op.actor.kind == ACTOR_RECIPIENT ? provision_list_add(&f->r->provided, row) : PHR_OK;
}

/* A row replaced since the snapshot is sent in its current version if that
 * still matches the search (the kinds provided included), else left out:
 * the same query, for that id, on the current versions now. */
static int freshen_replaced(struct read_op *r, struct store *rd, const struct record_query *q)
{
    for (size_t i = 0; i < r->nrows;) {
        if (!r->rows[i].replaced) {
            i++;
            continue;
        }
        struct record_query now = *q;
        now.id = r->rows[i].id;
        now.snapshot = 0;
        now.taken = NULL;
        now.after = NULL;
        now.count = 1;
        struct freshen f = {r, i, 0};
        int err = store_record_search(rd, &now, fresh_row, &f);
        if (err)
            return err;
        if (f.found) {
            i++;
            continue;
        }
        free(r->rows[i].body);
        memmove(&r->rows[i], &r->rows[i + 1], (r->nrows - i - 1) * sizeof r->rows[0]);
        r->nrows--;
    }
    return PHR_OK;
}

/* The page as the snapshot holds it. Versions are seldom replaced during a
 * walk: the current versions written by the snapshot are read first, and
 * only if some version was replaced since (asked after, so that nothing
 * replaced in between is missed) is the page read again with those. */
static int search_snapshot(struct read_op *r, struct store *rd, struct record_query *q)
{
    q->replaced = 0;
    int err = store_record_search(rd, q, keep_row, r);
    int any = 0;
    if (!err && q->snapshot)
        err = store_record_replaced_since(rd, q->person_id, q->snapshot, &any);
    if (err || !any)
        return err;
    for (size_t i = 0; i < r->nrows; i++)
        free(r->rows[i].body);
    r->nrows = 0;
    r->more = 0;
    buf_reset(&r->ids);
    provision_list_free(&r->provided);
    q->replaced = 1;
    return store_record_search(rd, q, keep_row, r);
}

/* Rows read backwards came nearest first: put them in the search's order. */
static void turn_round(struct read_op *r)
{
    for (size_t i = 0, j = r->nrows ? r->nrows - 1 : 0; i < j; i++, j--) {
        struct sealed t = r->rows[i];
        r->rows[i] = r->rows[j];
        r->rows[j] = t;
    }
    struct page_link t = r->came_first;
    r->came_first = r->came_last;
    r->came_last = t;
}

/* The kinds of data a search reaches: those of its type, or of every type
 * it names. */
static data_kinds kinds_of(const struct record_query *q)
{
    if (q->resource_type)
        return data_kinds_of_type(q->resource_type);
    const char *types = q->types ? q->types : SEARCH_RECORD_TYPES;
    data_kinds k = 0;
    char type[32];
    for (const char *at = types; *at; at++) {
        size_t n = strcspn(at, ",");
        if (n && n < sizeof type) {
            memcpy(type, at, n);
            type[n] = '\0';
            k |= data_kinds_of_type(type);
        }
        at += n;
        if (!*at)
            break;
    }
    return k;
}

/* The caller, the person an app acts for, and the search: a link made for
 * one of them is refused to any other. */
static int bind(struct read_op *r, const struct actor *a, const char *query)
{
    return buf_puts(&r->query, query) || buf_printf(&r->binding, "%d:%s:%s\n%s", (int)a->kind, a->id,
                                                    a->patient ? a->patient : "", query)
               ? PHR_ENOMEM
               : PHR_OK;
}

/* What of each resource is sent (_elements, _summary), and the parameters
 * left out, for the outcome entry. */
static int asked_for(struct read_op *r, const struct search_params *p)
{
    for (int i = 0; i < p->nignored; i++)
        if ((i && buf_puts(&r->ignored, ", ")) || buf_puts(&r->ignored, p->ignored[i]))
            return PHR_ENOMEM;
    if (!p->has_elements && p->summary != SUMMARY_TRUE && p->summary != SUMMARY_TEXT)
        return PHR_OK;
    if (!r->type && p->summary == SUMMARY_TRUE) {
        r->summary_by_type = 1;
        return PHR_OK;
    }
    if (!(r->subset = calloc(1, sizeof *r->subset)))
        return PHR_ENOMEM;
    struct fault ignored;
    if (p->has_elements)
        *r->subset = p->elements;
    else if (p->summary == SUMMARY_TEXT)
        elements_parse("text", r->subset, &ignored);
    else if (elements_summary(r->type, r->subset) != 0)
        r->subset->n = 0; /* a type without a list: its mandatory elements */
    return PHR_OK;
}

static int search_fail(struct read_op *r, struct store *rd, struct fault *fault, enum fault_code code,
                       const char *param, const char *why)
{
    if (rd)
        service_reader_done(r->op.svc, rd);
    op_free(&r->op);
    return fault_set(fault, code, param, "%s", why);
}

int records_search(struct service *svc, const struct actor *a, const struct search_params *p, const char *base_url,
                   const char *query, struct op **out, struct fault *fault)
{
    *out = NULL;
    struct read_op *r = read_op_new(svc, a, ACT_RECORD_SEARCH, &bundle_ops);
    if (!r)
        return fault_set(fault, F_INTERNAL, NULL, "out of memory");
    snprintf(r->base_url, sizeof r->base_url, "%s", base_url);
    r->type = p->q.resource_type;
    r->search = 1;
    memcpy(r->sort, p->q.sort, sizeof r->sort);
    r->nsort = p->q.nsort;
    r->include_patient = p->include_patient && !p->with_patient;
    if (bind(r, a, query) || asked_for(r, p))
        return search_fail(r, NULL, fault, F_INTERNAL, NULL, "out of memory");
    if ((a->kind == ACTOR_RECIPIENT || a->kind == ACTOR_STAFF) && !p->patient)
        return search_fail(r, NULL, fault, F_BAD_REQUEST, "patient",
                           "searches by anyone but the person name one person: give patient");
    if (p->page) {
        if (page_link_decode(svc->mk, buf_cstr(&r->binding), r->sort, r->nsort, p->page, &r->link) != PHR_OK)
            return search_fail(r, NULL, fault, F_BAD_REQUEST, "_page",
                               "this page link was not made for this search by this caller: follow the links of "
                               "the Bundle as they were given, or search again");
        if (clock_now_ms() - r->link.issued_at > PAGE_LINK_TTL_MS)
            return search_fail(r, NULL, fault, F_PAGE_LINK_EXPIRED, "_page",
                               "this page link has expired (a walk of pages lasts a day at most): search again");
        r->reached_by_link = 1;
    }
    const char *subject = p->patient ? p->patient : (a->kind == ACTOR_PERSON ? a->id : NULL);
    if (subject && strlen(subject) <= ID_LEN)
        snprintf(r->subject, sizeof r->subject, "%s", subject);
    if (!r->reached_by_link) {
        r->link.dir = PAGE_FIRST;
        r->link.issued_at = clock_now_ms();
    }
    /* Someone the caller may not search (another person; a person whose
     * consent provides nothing to this recipient now) has no matches: an
     * empty searchset, the same as for an id no one has, so that the
     * answer tells neither whether the person exists nor what they
     * decided. The refusal is recorded all the same (read_commit). Staff
     * are told: a role that reads no records is refused. */
    r->d = gate_decide(a, ACT_RECORD_SEARCH, r->subject[0] ? r->subject : NULL);
    if (r->d == GATE_DENY) {
        if (a->kind == ACTOR_STAFF)
            op_refuse(&r->op, F_NOT_FOUND, "no such patient");
        *out = &r->op;
        return 0;
    }
    struct record_query q = p->q;
    q.person_id = r->subject;
    struct store *rd;
    if (service_reader(svc, &rd) != PHR_OK)
        return search_fail(r, NULL, fault, F_UNAVAILABLE, NULL, "the store is not available");
    /* $everything is an export (R4.3): it closes with the export period of
     * an announced termination, as the others do. */
    int64_t closed_on = 0;
    int shut = p->everything ? export_still_open(rd, &closed_on) : PHR_OK;
    if (shut == PHR_EPERM) {
        service_reader_done(svc, rd);
        op_free(&r->op);
        return export_closed_fault(svc, closed_on, fault);
    }
    if (shut)
        return search_fail(r, rd, fault, F_UNAVAILABLE, NULL, "the store is not available");
    /* A recipient searches only the kinds its consent provides now: what
     * another kind holds is neither sent nor counted, nor does it shorten a
     * page. The writer decides again on what was found. */
    char kinds[DATA_KINDS_FILTER_MAX];
    data_kinds provided = ~(data_kinds)0;
    if (a->kind == ACTOR_RECIPIENT) {
        struct provision_scope scope;
        if (gate_provision_scope(rd, a, r->subject, &scope) != PHR_OK)
            return search_fail(r, rd, fault, F_UNAVAILABLE, NULL, "the store is not available");
        provided = scope.kinds;
        r->asked = scope.kinds & kinds_of(&q);
        if (!r->asked) {
            /* Nothing of this type is provided: the commit records the refusal. */
            r->asked = kinds_of(&q);
            service_reader_done(svc, rd);
            *out = &r->op;
            return 0;
        }
        data_kinds_filter(r->asked, kinds);
        q.kinds = kinds;
    }
    /* A first page takes its snapshot in its own statement (q.taken): it
     * saw every row written by then and none replaced since. An empty first
     * page took none; its links begin the walk afresh. */
    int err = PHR_OK;
    q.snapshot = r->link.snapshot;
    q.taken = q.snapshot ? NULL : &r->link.snapshot;
    q.after = r->link.dir == PAGE_FIRST ? NULL : &r->link.at;
    q.backwards = r->link.dir == PAGE_PREVIOUS;
    /* Counting every match costs a scan of the person's whole index range,
     * so the total is given when asked for (_total=accurate) or when it is
     * known anyway: a first page that is also the last. One row past the
     * page says whether there is a further one. */
    r->total = -1;
    unsigned char key[DATA_KEY_BYTES];
    if (p->value_conds.n) {
        err = service_data_key(svc, rd, r->subject, key);
        if (err == PHR_ENOTFOUND) {
            /* No such person: nothing of theirs to open, nothing found. */
            q.count = 0;
            r->total = 0;
            err = PHR_OK;
        }
        r->values = &p->value_conds;
        r->value_key = key;
    }
    if (!err && (p->total_accurate || q.count == 0) && r->total < 0) {
        q.replaced = 1;
        err = r->values ? values_count(r, rd, &q, &r->total) : store_record_count(rd, &q, &r->total);
    }
    if (!err && q.count > 0) {
        r->limit = (size_t)q.count;
        q.count++;
        err = r->values ? values_page(r, rd, &q) : search_snapshot(r, rd, &q);
        if (!err)
            err = freshen_replaced(r, rd, &q);
        if (!err && q.backwards)
            turn_round(r);
        if (!err && !r->more && !q.after && r->total < 0)
            r->total = (int64_t)r->nrows;
        if (!err && p->include_documents)
            err = include_documents(r, rd, provided);
        if (!err && p->revinclude_provenance)
            err = revinclude_provenance(r, rd);
    }
    sodium_memzero(key, sizeof key);
    r->values = NULL; /* the conditions and the key are the request's: gone with it */
    r->value_key = NULL;
    /* The Patient is one of $everything's matches, on its first page
     * (however that page was reached). */
    if (r->total >= 0 && p->with_patient)
        r->total++;
    r->patient_entry = p->with_patient && q.count > 0 && (!q.after || (q.backwards && !r->more));
    if (err)
        return search_fail(r, rd, fault, F_UNAVAILABLE, NULL, "the store is not available");
    service_reader_done(svc, rd);
    *out = &r->op;
    return 0;
}
