/* Tamper evidence that reaches the records: each write's entry in the hash
 * chain names every record version it wrote with a digest of its row
 * (audit_record_binding), so the chain vouches for the rows as it does for
 * itself. audit_verify_records holds every row against those digests: an
 * edited index column or body, a deleted version (unless an erasure of its
 * person followed), a row no write made, and a record rolled back to an
 * older version (one that is not its newest made current) are each named. */
#include "audit/audit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "util/err.h"

#define DIGEST_BYTES 16
#define ID_MAX 40

static void put_str(crypto_hash_sha256_state *h, const char *s)
{
    uint32_t n = s ? (uint32_t)strlen(s) : 0xffffffffu;
    unsigned char len[4] = {(unsigned char)(n >> 24), (unsigned char)(n >> 16), (unsigned char)(n >> 8),
                            (unsigned char)n};
    crypto_hash_sha256_update(h, len, 4);
    if (s)
        crypto_hash_sha256_update(h, (const unsigned char *)s, n);
}

static void put_bytes(crypto_hash_sha256_state *h, const unsigned char *p, size_t n)
{
    char len[24];
    snprintf(len, sizeof len, "%zu", n);
    put_str(h, len);
    crypto_hash_sha256_update(h, p ? p : (const unsigned char *)"", n);
}

static void put_int(crypto_hash_sha256_state *h, int64_t v)
{
    char s[24];
    snprintf(s, sizeof s, "%lld", (long long)v);
    put_str(h, s);
}

static void digest(const struct record_row *r, unsigned char out[DIGEST_BYTES])
{
    crypto_hash_sha256_state h;
    unsigned char full[SHA256_BYTES];
    crypto_hash_sha256_init(&h);
    put_str(&h, "phr-record-v1");
    const char *texts[] = {r->id, r->person_id, r->resource_type, r->code_system, r->code, r->category,
                           r->data_kind, r->source, r->recorded_by, r->channel};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        put_str(&h, texts[i]);
    const int64_t ints[] = {r->version, r->effective_start, r->effective_end, r->data_category, r->recorded_at, r->alg};
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
        put_int(&h, ints[i]);
    put_bytes(&h, r->original_mac, r->original_mac ? SHA256_BYTES : 0);
    put_bytes(&h, r->body, r->body_len);
    put_bytes(&h, r->original, r->original_len);
    crypto_hash_sha256_final(&h, full);
    memcpy(out, full, DIGEST_BYTES);
}

void audit_record_binding(const struct record_row *r, char out[AUDIT_BINDING_MAX])
{
    unsigned char d[DIGEST_BYTES];
    char hex[2 * DIGEST_BYTES + 1];
    digest(r, d);
    sodium_bin2hex(hex, sizeof hex, d, sizeof d);
    snprintf(out, AUDIT_BINDING_MAX, "%s/%s/_history/%d@%s", r->resource_type, r->id, r->version, hex);
}

/* One version as its write named it. */
struct bound {
    char id[ID_MAX], person[ID_MAX];
    int version;
    unsigned char digest[DIGEST_BYTES];
    int64_t seq;                  /* the write's entry */
    int seen, current;
};

struct erased {
    char person[ID_MAX];
    int64_t seq;
};

struct check {
    struct records_report *rep;
    struct bound *b;
    size_t nb, capb;
    struct erased *e;
    size_t ne, cape;
};

static int grow(void **p, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return PHR_OK;
    size_t c = *cap ? *cap * 2 : 256;
    void *q = realloc(*p, c * size);
    if (!q)
        return PHR_ENOMEM;
    *p = q;
    *cap = c;
    return PHR_OK;
}

/* "Type/id/_history/v@hex": 1 with b filled, 0 if the item names no
 * digest (written before writes did). */
static int parse_item(const char *item, size_t n, struct bound *b)
{
    const char *at = memchr(item, '@', n), *hist = NULL;
    for (const char *p = item; at && p + 10 <= at; p++)
        if (!memcmp(p, "/_history/", 10))
            hist = p;
    const char *slash = hist ? memchr(item, '/', (size_t)(hist - item)) : NULL;
    if (!at || !hist || !slash || (size_t)(hist - slash - 1) >= ID_MAX || (size_t)(item + n - at - 1) != 2 * DIGEST_BYTES)
        return 0;
    memcpy(b->id, slash + 1, (size_t)(hist - slash - 1));
    b->id[hist - slash - 1] = '\0';
    b->version = atoi(hist + 10);
    size_t got = 0;
    return sodium_hex2bin(b->digest, DIGEST_BYTES, at + 1, 2 * DIGEST_BYTES, NULL, &got, NULL) == 0 &&
           got == DIGEST_BYTES && b->version > 0;
}

static int read_entry(void *arg, const struct audit_row *a)
{
    struct check *c = arg;
    int allowed = a->result && !strcmp(a->result, "allow");
    if (allowed && a->action && !strcmp(a->action, "erasure.execute") && a->subject) {
        if (grow((void **)&c->e, &c->cape, c->ne, sizeof *c->e))
            return PHR_ENOMEM;
        snprintf(c->e[c->ne].person, ID_MAX, "%s", a->subject);
        c->e[c->ne++].seq = a->seq;
        return PHR_OK;
    }
    if (!allowed || !a->records || !a->action ||
        (strcmp(a->action, "record.create") && strcmp(a->action, "record.update")))
        return PHR_OK;
    for (const char *p = a->records; *p;) {
        size_t n = strcspn(p, ",");
        if (grow((void **)&c->b, &c->capb, c->nb, sizeof *c->b))
            return PHR_ENOMEM;
        struct bound *b = &c->b[c->nb];
        memset(b, 0, sizeof *b);
        if (parse_item(p, n, b)) {
            snprintf(b->person, ID_MAX, "%s", a->subject ? a->subject : "");
            b->seq = a->seq;
            c->nb++;
        } else {
            c->rep->legacy++;
        }
        p += n + (p[n] == ',');
    }
    return PHR_OK;
}

static int by_id_version(const void *x, const void *y)
{
    const struct bound *a = x, *b = y;
    int d = strcmp(a->id, b->id);
    return d ? d : (a->version > b->version) - (a->version < b->version);
}

static struct bound *find(struct check *c, const char *id, int version)
{
    struct bound key;
    snprintf(key.id, ID_MAX, "%s", id);
    key.version = version;
    return bsearch(&key, c->b, c->nb, sizeof *c->b, by_id_version);
}

static int fail(struct check *c, const char *record, const char *problem)
{
    snprintf(c->rep->record, sizeof c->rep->record, "%s", record);
    snprintf(c->rep->problem, sizeof c->rep->problem, "%s", problem);
    return PHR_ECRYPTO;
}

static int check_row(void *arg, const struct record_row *r)
{
    struct check *c = arg;
    char name[AUDIT_BINDING_MAX];
    c->rep->versions++;
    snprintf(name, sizeof name, "%s/%s/_history/%d", r->resource_type, r->id, r->version);
    struct bound *b = find(c, r->id, r->version);
    if (!b) {
        /* Rows written before writes named digests have no entry to hold
         * them against; with none such, a row nobody wrote was inserted. */
        if (c->rep->legacy)
            return PHR_OK;
        return fail(c, name, "no write recorded this version (inserted past the service)");
    }
    unsigned char d[DIGEST_BYTES];
    digest(r, d);
    if (sodium_memcmp(d, b->digest, DIGEST_BYTES))
        return fail(c, name, "the row differs from what its write recorded (an index column or the body edited)");
    b->seen = 1;
    b->current = r->current;
    c->rep->bound++;
    return PHR_OK;
}

static int erased_after(const struct check *c, const struct bound *b)
{
    for (size_t i = 0; i < c->ne; i++)
        if (c->e[i].seq > b->seq && !strcmp(c->e[i].person, b->person))
            return 1;
    return 0;
}

/* After the rows: every version written is there (or erased), and each
 * record's current version is its newest. */
static int check_versions(struct check *c)
{
    char name[AUDIT_BINDING_MAX];
    for (size_t i = 0; i < c->nb; i++) {
        const struct bound *b = &c->b[i];
        snprintf(name, sizeof name, "%s/_history/%d", b->id, b->version);
        if (!b->seen && !erased_after(c, b))
            return fail(c, name, "a version its write recorded is gone, and no erasure of its person followed");
        int newest = i + 1 == c->nb || strcmp(c->b[i + 1].id, b->id);
        if (b->seen && b->current && !newest)
            return fail(c, name, "an older version is current (rolled back)");
        if (b->seen && !b->current && newest)
            return fail(c, name, "the newest version is not current (the record hidden, or rolled back)");
    }
    return PHR_OK;
}

int audit_verify_records(struct store *st, struct records_report *report)
{
    memset(report, 0, sizeof *report);
    struct check c = {.rep = report};
    int err = store_audit_scan(st, 1, read_entry, &c);
    if (!err) {
        qsort(c.b, c.nb, sizeof *c.b, by_id_version);
        int64_t cursor = 0, before;
        do {
            before = cursor;
            err = store_record_page(st, NULL, 0, cursor, 1000, check_row, &c, &cursor);
        } while (!err && cursor != before);
    }
    if (!err)
        err = check_versions(&c);
    free(c.b);
    free(c.e);
    return err;
}
