#include "audit/audit.h"

#include <stdio.h>
#include <string.h>
#include <sodium.h>

#include "util/err.h"

static void put_field(crypto_hash_sha256_state *h, const char *s)
{
    unsigned char len[4];
    uint32_t n = s ? (uint32_t)strlen(s) : 0xffffffffu; /* NULL differs from "" */
    len[0] = (unsigned char)(n >> 24);
    len[1] = (unsigned char)(n >> 16);
    len[2] = (unsigned char)(n >> 8);
    len[3] = (unsigned char)n;
    crypto_hash_sha256_update(h, len, 4);
    if (s)
        crypto_hash_sha256_update(h, (const unsigned char *)s, n);
}

void audit_hash(const unsigned char prev[SHA256_BYTES], const struct audit_row *e,
                unsigned char out[SHA256_BYTES])
{
    crypto_hash_sha256_state h;
    char seq[24], at[24];
    snprintf(seq, sizeof seq, "%lld", (long long)e->seq);
    snprintf(at, sizeof at, "%lld", (long long)e->at);
    crypto_hash_sha256_init(&h);
    crypto_hash_sha256_update(&h, (const unsigned char *)"phr-audit-v1", 12);
    crypto_hash_sha256_update(&h, prev, SHA256_BYTES);
    const char *fields[] = {seq, at, e->actor, e->role, e->action, e->subject, e->records,
                            e->reason, e->client, e->result, e->request_id};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        put_field(&h, fields[i]);
    crypto_hash_sha256_final(&h, out);
}

int audit_append(struct store *st, const struct audit_row *e)
{
    unsigned char prev[SHA256_BYTES] = {0}, hash[SHA256_BYTES];
    int64_t seq = 0;
    int err = st->ops->audit_last(st, &seq, prev);
    if (err == PHR_ENOTFOUND)
        err = PHR_OK;
    if (err)
        return err;
    struct audit_row row = *e;
    row.seq = seq + 1;
    audit_hash(prev, &row, hash);
    row.prev_hash = prev;
    row.hash = hash;
    return st->ops->audit_insert(st, &row);
}

struct verify_state {
    struct audit_report *rep;
    int64_t expect_seq;
    unsigned char prev[SHA256_BYTES];
};

static int bad(struct verify_state *v, int64_t seq, const char *what)
{
    v->rep->first_bad_seq = seq;
    snprintf(v->rep->problem, sizeof v->rep->problem, "%s", what);
    return PHR_ECRYPTO;
}

static int verify_one(void *arg, const struct audit_row *a)
{
    struct verify_state *v = arg;
    unsigned char h[SHA256_BYTES];
    if (a->seq != v->expect_seq)
        return bad(v, v->expect_seq, a->seq > v->expect_seq ? "entry missing (sequence gap)"
                                                           : "entries out of order");
    if (!a->prev_hash || !a->hash)
        return bad(v, a->seq, "hash column malformed");
    if (sodium_memcmp(a->prev_hash, v->prev, SHA256_BYTES) != 0)
        return bad(v, a->seq, "previous-hash link broken (an earlier entry was removed or replaced)");
    audit_hash(v->prev, a, h);
    if (sodium_memcmp(h, a->hash, SHA256_BYTES) != 0)
        return bad(v, a->seq, "entry content does not match its hash (altered)");
    memcpy(v->prev, a->hash, SHA256_BYTES);
    v->expect_seq++;
    v->rep->entries++;
    return PHR_OK;
}

int audit_verify(struct store *st, struct audit_report *report)
{
    memset(report, 0, sizeof *report);
    struct verify_state v = {.rep = report, .expect_seq = 1};
    return st->ops->audit_scan(st, 1, verify_one, &v);
}
