#include "crypto/keys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "crypto/keyfile.h"
#include "util/buf.h"
#include "util/err.h"

#define MAGIC "PHRMKEY1"
#define KEY_BYTES crypto_aead_xchacha20poly1305_ietf_KEYBYTES

struct master_key {
    unsigned char key[KEY_BYTES];
    char id[KEY_ID_LEN + 1];
};

int mkey_create(const char *path)
{
    unsigned char key[KEY_BYTES];
    randombytes_buf(key, sizeof key);
    int rc = keyfile_create(path, MAGIC, key, sizeof key);
    sodium_memzero(key, sizeof key);
    return rc;
}

int mkey_load(const char *path, struct master_key **out)
{
    *out = NULL;
    struct master_key *mk = sodium_malloc(sizeof *mk);
    if (!mk)
        return PHR_ENOMEM;
    int rc = keyfile_read(path, MAGIC, mk->key, KEY_BYTES);
    if (rc) {
        sodium_free(mk);
        return rc;
    }
    unsigned char fp[8];
    crypto_generichash(fp, sizeof fp, mk->key, KEY_BYTES, (const unsigned char *)"phr-key-id", 10);
    sodium_bin2hex(mk->id, sizeof mk->id, fp, sizeof fp);
    sodium_mprotect_readonly(mk);
    *out = mk;
    return PHR_OK;
}

void mkey_free(struct master_key *mk)
{
    if (mk)
        sodium_free(mk); /* sodium_free wipes before releasing */
}

const char *mkey_id(const struct master_key *mk)
{
    return mk->id;
}

static void ad_for(const char *person_id, struct buf *ad)
{
    buf_puts(ad, "phr-data-key:");
    buf_puts(ad, person_id);
}

int mkey_new_data_key(const struct master_key *mk, const char *person_id,
                      unsigned char wrapped[WRAPPED_KEY_BYTES])
{
    unsigned char dk[DATA_KEY_BYTES];
    struct buf ad;
    buf_init(&ad);
    ad_for(person_id, &ad);
    if (!ad.data)
        return PHR_ENOMEM;
    crypto_aead_xchacha20poly1305_ietf_keygen(dk);
    unsigned char *nonce = wrapped;
    randombytes_buf(nonce, 24);
    crypto_aead_xchacha20poly1305_ietf_encrypt(wrapped + 24, NULL, dk, sizeof dk,
                                               (unsigned char *)ad.data, ad.len, NULL, nonce,
                                               mk->key);
    sodium_memzero(dk, sizeof dk);
    buf_free(&ad);
    return PHR_OK;
}

int mkey_unwrap(const struct master_key *mk, const char *person_id,
                const unsigned char wrapped[WRAPPED_KEY_BYTES], unsigned char key[DATA_KEY_BYTES])
{
    struct buf ad;
    buf_init(&ad);
    ad_for(person_id, &ad);
    if (!ad.data)
        return PHR_ENOMEM;
    int r = crypto_aead_xchacha20poly1305_ietf_decrypt(key, NULL, NULL, wrapped + 24,
                                                       WRAPPED_KEY_BYTES - 24,
                                                       (unsigned char *)ad.data, ad.len,
                                                       wrapped, mk->key);
    buf_free(&ad);
    if (r != 0) {
        sodium_memzero(key, DATA_KEY_BYTES);
        return PHR_ECRYPTO;
    }
    return PHR_OK;
}

void mkey_seal(const struct master_key *mk, const char *ad, const unsigned char *plain, size_t len,
               unsigned char *out)
{
    randombytes_buf(out, 24);
    crypto_aead_xchacha20poly1305_ietf_encrypt(out + 24, NULL, plain, len, (const unsigned char *)ad, strlen(ad),
                                               NULL, out, mk->key);
}

int mkey_open(const struct master_key *mk, const char *ad, const unsigned char *sealed, size_t len,
              unsigned char *out)
{
    if (len < MKEY_SEAL_OVERHEAD)
        return PHR_ECRYPTO;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(out, NULL, NULL, sealed + 24, len - 24,
                                                   (const unsigned char *)ad, strlen(ad), sealed, mk->key) != 0) {
        sodium_memzero(out, len - MKEY_SEAL_OVERHEAD);
        return PHR_ECRYPTO;
    }
    return PHR_OK;
}

int mkey_rewrap(const struct master_key *from, const struct master_key *to, const char *person_id,
                const unsigned char wrapped[WRAPPED_KEY_BYTES], unsigned char out[WRAPPED_KEY_BYTES])
{
    unsigned char dk[DATA_KEY_BYTES];
    int err = mkey_unwrap(from, person_id, wrapped, dk);
    if (err)
        return err;
    struct buf ad;
    buf_init(&ad);
    ad_for(person_id, &ad);
    if (!ad.data) {
        sodium_memzero(dk, sizeof dk);
        return PHR_ENOMEM;
    }
    randombytes_buf(out, 24);
    crypto_aead_xchacha20poly1305_ietf_encrypt(out + 24, NULL, dk, sizeof dk, (unsigned char *)ad.data, ad.len, NULL,
                                               out, to->key);
    sodium_memzero(dk, sizeof dk);
    buf_free(&ad);
    return PHR_OK;
}

void mkey_tag(const struct master_key *mk, const char context[8], const unsigned char *data, size_t len,
              unsigned char out[MKEY_TAG_BYTES])
{
    unsigned char sub[crypto_generichash_KEYBYTES];
    crypto_kdf_derive_from_key(sub, sizeof sub, 1, context, mk->key);
    crypto_generichash(out, MKEY_TAG_BYTES, data, len, sub, sizeof sub);
    sodium_memzero(sub, sizeof sub);
}

/* The signing pair, derived anew for each use and wiped after it. */
static void signing_pair(const struct master_key *mk, unsigned char pk[MKEY_SIGN_PUBLIC_BYTES],
                         unsigned char sk[crypto_sign_SECRETKEYBYTES])
{
    unsigned char seed[crypto_sign_SEEDBYTES];
    crypto_kdf_derive_from_key(seed, sizeof seed, 2, "sphrsign", mk->key);
    crypto_sign_seed_keypair(pk, sk, seed);
    sodium_memzero(seed, sizeof seed);
}

void mkey_sign(const struct master_key *mk, const unsigned char *msg, size_t len, unsigned char sig[MKEY_SIGN_BYTES])
{
    unsigned char pk[MKEY_SIGN_PUBLIC_BYTES], sk[crypto_sign_SECRETKEYBYTES];
    signing_pair(mk, pk, sk);
    crypto_sign_detached(sig, NULL, msg, len, sk);
    sodium_memzero(sk, sizeof sk);
}

void mkey_sign_public(const struct master_key *mk, unsigned char pk[MKEY_SIGN_PUBLIC_BYTES])
{
    unsigned char sk[crypto_sign_SECRETKEYBYTES];
    signing_pair(mk, pk, sk);
    sodium_memzero(sk, sizeof sk);
}
