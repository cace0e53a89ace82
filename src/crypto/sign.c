#include "crypto/sign.h"

#include <string.h>
#include <sodium.h>

#include "crypto/keyfile.h"
#include "util/err.h"

#define MAGIC "PHRAKEY1"

struct sign_key {
    unsigned char sk[crypto_sign_SECRETKEYBYTES];
};

int sign_key_create(const char *path)
{
    unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
    crypto_sign_keypair(pk, sk);
    int rc = keyfile_create(path, MAGIC, sk, sizeof sk);
    sodium_memzero(sk, sizeof sk);
    return rc;
}

int sign_key_load(const char *path, struct sign_key **out)
{
    *out = NULL;
    struct sign_key *k = sodium_malloc(sizeof *k);
    if (!k)
        return PHR_ENOMEM;
    int rc = keyfile_read(path, MAGIC, k->sk, sizeof k->sk);
    if (rc) {
        sodium_free(k);
        return rc;
    }
    sodium_mprotect_readonly(k);
    *out = k;
    return PHR_OK;
}

void sign_key_free(struct sign_key *k)
{
    if (k)
        sodium_free(k);
}

void sign_key_public(const struct sign_key *k, unsigned char pk[SIGN_PUBLIC_BYTES])
{
    crypto_sign_ed25519_sk_to_pk(pk, k->sk);
}

void sign_key_id(const unsigned char pk[SIGN_PUBLIC_BYTES], char id[SIGN_KEY_ID_LEN + 1])
{
    unsigned char fp[SIGN_KEY_ID_LEN / 2];
    crypto_generichash(fp, sizeof fp, pk, SIGN_PUBLIC_BYTES, (const unsigned char *)"phr-sign-id", 11);
    sodium_bin2hex(id, SIGN_KEY_ID_LEN + 1, fp, sizeof fp);
}

void sign_detached(const struct sign_key *k, const unsigned char *msg, size_t len, unsigned char sig[SIGN_BYTES])
{
    crypto_sign_detached(sig, NULL, msg, len, k->sk);
}

int sign_verify(const unsigned char pk[SIGN_PUBLIC_BYTES], const unsigned char *msg, size_t len,
                const unsigned char sig[SIGN_BYTES])
{
    return crypto_sign_verify_detached(sig, msg, len, pk) == 0 ? 0 : -1;
}
