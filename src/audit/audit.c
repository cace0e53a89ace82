#include "audit/audit.h"

#include <stdio.h>
#include <stdlib.h>
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
    int err = store_audit_last(st, &seq, prev);
    if (err == PHR_ENOTFOUND)
        err = PHR_OK;
    if (err)
        return err;
    struct audit_row row = *e;
    row.seq = seq + 1;
    audit_hash(prev, &row, hash);
    row.prev_hash = prev;
    row.hash = hash;
    return store_audit_insert(st, &row);
}

/* What a checkpoint signs: a domain tag, the entry's seq, its hash and the
 * time, in fixed positions. */
#define CKPT_MSG_LEN (12 + 8 + SHA256_BYTES + 8)

static void checkpoint_message(int64_t seq, const unsigned char hash[SHA256_BYTES], int64_t at,
                               unsigned char out[CKPT_MSG_LEN])
{
    memcpy(out, "phr-ckpt-v1\0", 12);
    for (int i = 0; i < 8; i++) {
        out[12 + i] = (unsigned char)((uint64_t)seq >> (56 - 8 * i));
        out[20 + SHA256_BYTES + i] = (unsigned char)((uint64_t)at >> (56 - 8 * i));
    }
    memcpy(out + 20, hash, SHA256_BYTES);
}

struct last_ckpt {
    int64_t seq;
};

static int got_last(void *arg, const struct checkpoint_row *c)
{
    ((struct last_ckpt *)arg)->seq = c->audit_seq;
    return PHR_OK;
}

int audit_checkpoint(struct store *st, const struct sign_key *key, int64_t now, int *made, int64_t *seq,
                     unsigned char hash[SHA256_BYTES])
{
    *made = 0;
    int err = store_audit_last(st, seq, hash);
    if (err == PHR_ENOTFOUND)
        return PHR_OK; /* nothing to sign yet */
    if (err)
        return err;
    struct last_ckpt last = {0};
    if ((err = store_checkpoint_scan(st, 1, got_last, &last)) != PHR_OK)
        return err;
    if (last.seq >= *seq)
        return PHR_OK;
    unsigned char msg[CKPT_MSG_LEN], sig[SIGN_BYTES], pk[SIGN_PUBLIC_BYTES];
    char id[SIGN_KEY_ID_LEN + 1];
    checkpoint_message(*seq, hash, now, msg);
    sign_detached(key, msg, sizeof msg, sig);
    sign_key_public(key, pk);
    sign_key_id(pk, id);
    struct checkpoint_row c = {.at = now, .audit_seq = *seq, .head_hash = hash, .key_id = id, .signature = sig};
    if ((err = store_checkpoint_insert(st, &c)) != PHR_OK)
        return err;
    *made = 1;
    return PHR_OK;
}

struct checkpoint {
    int64_t id, at, seq;
    unsigned char hash[SHA256_BYTES];
};

struct verify_state {
    struct audit_report *rep;
    int64_t expect_seq;
    unsigned char prev[SHA256_BYTES];
    struct checkpoint *ckpts;        /* verified signatures, in order */
    size_t nckpts, cap, next;        /* next: the first not yet met by the chain */
    const unsigned char (*trusted)[SIGN_PUBLIC_BYTES];
    size_t ntrusted;
    int64_t signed_seq;              /* the newest checkpoint's entry */
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
    if (a->seq == v->signed_seq + 1)
        v->rep->oldest_unsigned_at = a->at;
    /* Every checkpoint that signed this entry must have signed this hash. */
    for (; v->next < v->nckpts && v->ckpts[v->next].seq == a->seq; v->next++)
        if (sodium_memcmp(v->ckpts[v->next].hash, a->hash, SHA256_BYTES) != 0) {
            v->rep->bad_checkpoint = v->ckpts[v->next].id;
            return bad(v, a->seq, "differs from what a signed checkpoint recorded (rewritten)");
        }
    v->expect_seq++;
    v->rep->entries++;
    return PHR_OK;
}

static int bad_checkpoint(struct verify_state *v, int64_t id, const char *what)
{
    v->rep->bad_checkpoint = id;
    snprintf(v->rep->problem, sizeof v->rep->problem, "checkpoint %lld: %s", (long long)id, what);
    return PHR_ECRYPTO;
}

/* Checks each checkpoint's signature as it is read, keeping what it signed. */
static int load_checkpoint(void *arg, const struct checkpoint_row *c)
{
    struct verify_state *v = arg;
    if (!c->head_hash || !c->signature || !c->key_id)
        return bad_checkpoint(v, c->id, "malformed");
    if (v->nckpts && c->audit_seq < v->ckpts[v->nckpts - 1].seq)
        return bad_checkpoint(v, c->id, "signs an earlier entry than the checkpoint before it");
    unsigned char msg[CKPT_MSG_LEN];
    checkpoint_message(c->audit_seq, c->head_hash, c->at, msg);
    int ok = 0;
    for (size_t i = 0; i < v->ntrusted && !ok; i++) {
        char id[SIGN_KEY_ID_LEN + 1];
        sign_key_id(v->trusted[i], id);
        ok = strcmp(id, c->key_id) == 0 && sign_verify(v->trusted[i], msg, sizeof msg, c->signature) == 0;
    }
    if (!ok)
        return bad_checkpoint(v, c->id, "the signature does not verify with a trusted audit key");
    if (v->nckpts == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 64;
        struct checkpoint *p = realloc(v->ckpts, cap * sizeof *p);
        if (!p)
            return PHR_ENOMEM;
        v->ckpts = p;
        v->cap = cap;
    }
    struct checkpoint *k = &v->ckpts[v->nckpts++];
    k->id = c->id;
    k->at = c->at;
    k->seq = c->audit_seq;
    memcpy(k->hash, c->head_hash, SHA256_BYTES);
    return PHR_OK;
}

int audit_verify(struct store *st, const unsigned char (*trusted)[SIGN_PUBLIC_BYTES], size_t ntrusted,
                 struct audit_report *report)
{
    memset(report, 0, sizeof *report);
    struct verify_state v = {.rep = report, .expect_seq = 1, .trusted = trusted, .ntrusted = ntrusted};
    int err = store_checkpoint_scan(st, 0, load_checkpoint, &v);
    v.signed_seq = v.nckpts ? v.ckpts[v.nckpts - 1].seq : 0;
    if (!err)
        err = store_audit_scan(st, 1, verify_one, &v);
    if (!err && v.next < v.nckpts) {
        /* A checkpoint signed an entry the chain no longer reaches. */
        report->first_bad_seq = report->entries + 1;
        report->bad_checkpoint = v.ckpts[v.next].id;
        snprintf(report->problem, sizeof report->problem,
                 "truncated: checkpoint %lld signed the chain up to entry %lld, but it ends at entry %lld",
                 (long long)v.ckpts[v.next].id, (long long)v.ckpts[v.next].seq, (long long)report->entries);
        err = PHR_ECRYPTO;
    }
    report->checkpoints = (int64_t)v.nckpts;
    report->signed_seq = v.nckpts ? v.ckpts[v.nckpts - 1].seq : 0;
    free(v.ckpts);
    return err;
}
