/* Disclosure (R3.8, Q3-9): everything held about a person, electronically,
 * as one JSON document with a manifest first and a summary last:
 * the account, every version of every record with its provenance and the
 * original as submitted, the consent state and ledger with suspensions,
 * the provision records, and every access by someone else.
 *
 * It is produced a page at a time (disclosure_next), so that a long
 * history streams instead of being built in memory. All pages are read in
 * one read transaction: an erasure or a write committed meanwhile is not
 * seen, so the archive is one consistent moment (the erasure, if any, wins
 * from the next request on). The data key is fetched before the
 * transaction begins, so that it holds no lock on the key store. */
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "access/gate.h"
#include "crypto/seal.h"
#include "formats/auditevent.h"
#include "service/internal.h"
#include "service/snapshot.h"
#include "store/demographics.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"

#define PAGE 100
#define FORMAT "phr-disclosure/1"

enum part { P_MANIFEST, P_RECORDS, P_CONSENTS, P_PROVISIONS, P_ACCESSES, P_SUMMARY, P_END };

struct disclosure {
    struct person_snapshot snap;
    enum part part;
    int64_t cursor, records, accesses;
    int64_t seen;                 /* record versions read, included or not */
    char login[LOGIN_MAX + 16], status[16];
    int64_t created_at, closed_on;
};

static const char note_ja[] =
    "あなたについて当サービスが保有するすべての情報です。記録は全版を含みます。"
    "accesses はあなた以外（職員・提供先）によるアクセスの記録です。";
static const char note_en[] =
    "Everything this service holds about you. Records include every version. "
    "accesses lists the accesses by anyone other than you (staff, recipients).";

struct audit_job {
    struct job job;
    const struct actor *a;
    const char *subject;
    enum decision d;
};

static int audit_run(struct job *j, struct store *st)
{
    struct audit_job *x = (struct audit_job *)j;
    return gate_record(st, x->a, ACT_DISCLOSURE, x->subject, NULL, NULL, x->d);
}

static void got_person(void *arg, const struct person_row *p)
{
    struct disclosure *d = arg;
    snprintf(d->login, sizeof d->login, "%s", p->login);
    snprintf(d->status, sizeof d->status, "%s", p->status);
    d->created_at = p->created_at;
}

/* Before the snapshot: whether export is still open, and the account (its
 * row is read with the key store, which the snapshot must not touch). */
static int prepare(void *arg, struct store *rd)
{
    struct disclosure *d = arg;
    int err = export_still_open(rd, &d->closed_on);
    return err ? err : store_person_by_id(rd, d->snap.person, got_person, d);
}

int disclosure_open(struct service *svc, const struct actor *a, const char *subject, struct disclosure **out,
                    struct fault *fault)
{
    *out = NULL;
    enum decision dec = subject && strlen(subject) <= ID_LEN ? gate_decide(a, ACT_DISCLOSURE, subject) : GATE_DENY;
    struct audit_job job = {.job = {.run = audit_run}, .a = a, .subject = subject, .d = dec};
    if (dec == GATE_DENY) {
        if (writer_call(svc->writer, &job.job) != PHR_OK)
            return fault_set(fault, F_UNAVAILABLE, NULL, "the store is not available");
        return fault_set(fault, F_NOT_FOUND, NULL, "no such person");
    }
    struct disclosure *d = calloc(1, sizeof *d);
    if (!d)
        return fault_set(fault, F_INTERNAL, NULL, "out of memory");
    snprintf(d->snap.person, sizeof d->snap.person, "%s", subject);
    int err = snapshot_open(svc, subject, prepare, d, &d->snap);
    if (!err)
        err = writer_call(svc->writer, &job.job);
    if (err) {
        int64_t closed_on = d->closed_on;
        disclosure_close(d);
        if (err == PHR_EPERM)
            return export_closed_fault(svc, closed_on, fault);
        if (err == PHR_ENOTFOUND)
            return fault_set(fault, F_NOT_FOUND, NULL, "no such person");
        return fault_set(fault, F_UNAVAILABLE, NULL, "the disclosure could not be started");
    }
    *out = d;
    return 0;
}

static int put_time(struct buf *b, const char *name, int64_t ms)
{
    char t[32];
    clock_format_ms(ms, t);
    return buf_printf(b, ",\"%s\":\"%s\"", name, t);
}

static int manifest(struct disclosure *d, struct buf *b)
{
    return buf_puts(b, "{\"manifest\":{\"format\":\"" FORMAT "\",\"person\":") || buf_json_str(b, d->snap.person) ||
           put_time(b, "generated_at", clock_now_ms()) ||
           buf_puts(b, ",\"parts\":[\"account\",\"records\",\"demographics\",\"demographics_earlier\",\"consents\",\"provisions\",\"accesses\",\"summary\"],"
                       "\"note\":{\"ja\":") ||
           buf_json_str(b, note_ja) || buf_puts(b, ",\"en\":") || buf_json_str(b, note_en) ||
           buf_puts(b, "}},\"account\":{\"id\":") || buf_json_str(b, d->snap.person) || buf_puts(b, ",\"login\":") ||
           buf_json_str(b, d->login) || buf_puts(b, ",\"status\":") || buf_json_str(b, d->status) ||
           put_time(b, "created_at", d->created_at) || buf_puts(b, "},\"records\":[");
}

struct page {
    struct disclosure *d;
    struct buf *b;
    int err;
};

/* The person's details as kept, opened with their key; a part that does
 * not open is named among the unreadable. */
static int put_demographics(void *arg, const unsigned char *sealed, size_t len, const char *as_of)
{
    struct page *p = arg;
    struct person_snapshot *s = &p->d->snap;
    (void)as_of;
    int err = person_demographics_open(s->key, s->person, sealed, len, &s->plain);
    if (err == PHR_ECRYPTO) {
        log_event(LOG_ERROR, "disclosure.unreadable", "part", "demographics", NULL);
        s->nunreadable++;
        return buf_printf(&s->unreadable, "%sdemographics", s->unreadable.len ? "," : "") || buf_puts(p->b, "null")
                   ? PHR_ENOMEM
                   : PHR_OK;
    }
    err = err ? err : buf_append(p->b, s->plain.data, s->plain.len) ? PHR_ENOMEM : PHR_OK;
    buf_wipe(&s->plain);
    return err;
}

/* One record version: what the store knows of it in the clear, the
 * resource, and the original as it was submitted (base64: byte-exact). */
static int put_record(void *arg, const struct record_row *r)
{
    struct page *p = arg;
    struct disclosure *d = p->d;
    struct buf *b = p->b;
    size_t mark = b->len;
    d->seen++;
    if (d->records++ && buf_puts(b, ","))
        return PHR_ENOMEM;
    if (buf_puts(b, "{\"id\":") || buf_json_str(b, r->id) ||
        buf_printf(b, ",\"version\":%d,\"current\":%s,\"resource_type\":", r->version, r->current ? "true" : "false") ||
        buf_json_str(b, r->resource_type) || buf_puts(b, ",\"provenance\":{\"source\":") ||
        buf_json_str(b, r->source) || buf_puts(b, ",\"recorded_by\":") || buf_json_str(b, r->recorded_by) ||
        buf_puts(b, ",\"channel\":") || buf_json_str(b, r->channel) || put_time(b, "recorded_at", r->recorded_at) ||
        buf_printf(b, ",\"data_category\":%d},\"resource\":", r->data_category))
        return PHR_ENOMEM;
    struct buf *plain = &d->snap.plain;
    int err = snapshot_open_part(&d->snap, r, "body");
    if (!err && buf_append(b, plain->data, plain->len))
        err = PHR_ENOMEM;
    if (!err)
        err = snapshot_open_part(&d->snap, r, "original");
    if (err == PHR_ECRYPTO) {
        /* Logged; taken out again, and named in the summary. */
        buf_wipe(plain);
        b->len = mark;
        d->records--;
        return PHR_OK;
    }
    if (err)
        return err;
    size_t n = sodium_base64_encoded_len(plain->len, sodium_base64_VARIANT_ORIGINAL);
    if (buf_puts(b, ",\"original_base64\":\"") || buf_reserve(b, n))
        return PHR_ENOMEM;
    sodium_bin2base64(b->data + b->len, n, (const unsigned char *)plain->data, plain->len,
                      sodium_base64_VARIANT_ORIGINAL);
    b->len += n - 1;
    buf_wipe(plain);
    return buf_puts(b, "\"}") ? PHR_ENOMEM : PHR_OK;
}

/* The records that could not be opened, as a JSON array's members. */
static int put_unreadable(struct buf *b, const char *list)
{
    for (const char *p = list; *p;) {
        size_t n = strcspn(p, ",");
        if (buf_puts(b, p == list ? "\"" : ",\"") || buf_json_escape(b, p, n) || buf_puts(b, "\""))
            return -1;
        p += n + (p[n] == ',');
    }
    return 0;
}

static int put_access(void *arg, const struct audit_row *a)
{
    struct page *p = arg;
    p->d->cursor = a->seq;
    if (p->d->accesses++ && buf_puts(p->b, ","))
        return PHR_ENOMEM;
    return auditevent_write(p->b, a) ? PHR_ENOMEM : PHR_OK;
}

int disclosure_next(struct disclosure *d, struct buf *b)
{
    struct store *rd = d->snap.rd;
    struct page p = {d, b, 0};
    int64_t before;
    int err = PHR_OK;
    switch (d->part) {
    case P_MANIFEST:
        err = manifest(d, b) ? PHR_ENOMEM : PHR_OK;
        d->part = P_RECORDS;
        break;
    case P_RECORDS:
        before = d->seen;
        err = store_record_page(rd, d->snap.person, 0, d->cursor, PAGE, put_record, &p, &d->cursor);
        if (!err && d->seen - before < PAGE) {
            d->part = P_CONSENTS;
            d->cursor = 0;
        }
        break;
    case P_CONSENTS:
        err = buf_puts(b, "],\"demographics\":") ? PHR_ENOMEM : store_demographics_get(rd, d->snap.person, put_demographics, &p);
        if (err == PHR_ENOTFOUND)
            err = buf_puts(b, "null") ? PHR_ENOMEM : PHR_OK;
        if (!err)
            err = buf_puts(b, ",\"demographics_earlier\":")
                      ? PHR_ENOMEM
                      : person_demographics_earlier(rd, d->snap.person, d->snap.key, b);
        if (!err)
            err = buf_puts(b, ",\"consents\":") ? PHR_ENOMEM : consent_render_json(rd, d->snap.person, b);
        d->part = P_PROVISIONS;
        break;
    case P_PROVISIONS:
        err = buf_puts(b, ",\"provisions\":") ? PHR_ENOMEM : provisions_render_json(rd, d->snap.person, b);
        if (!err && buf_puts(b, ",\"accesses\":["))
            err = PHR_ENOMEM;
        d->part = P_ACCESSES;
        break;
    case P_ACCESSES:
        before = d->accesses;
        err = store_audit_about(rd, d->snap.person, d->cursor, PAGE, put_access, &p);
        if (!err && d->accesses - before < PAGE)
            d->part = P_SUMMARY;
        break;
    case P_SUMMARY:
        /* A disclosure that could not include a record says so. */
        err = buf_printf(b, "],\"summary\":{\"records\":%lld,\"accesses\":%lld,\"complete\":%s,\"unreadable\":[",
                         (long long)d->records, (long long)d->accesses, d->snap.nunreadable ? "false" : "true") ||
                      put_unreadable(b, buf_cstr(&d->snap.unreadable)) || buf_puts(b, "]}}\n")
                  ? PHR_ENOMEM
                  : PHR_OK;
        d->part = P_END;
        break;
    case P_END:
        return 0;
    }
    if (err) {
        log_event(LOG_ERROR, "disclosure.failed", "error", phr_strerror(err), NULL);
        return -1;
    }
    return 1;
}

void disclosure_close(struct disclosure *d)
{
    if (!d)
        return;
    snapshot_close(&d->snap);
    free(d);
}
