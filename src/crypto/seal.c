#include "crypto/seal.h"

#include <string.h>
#include <sodium.h>

#include "util/err.h"

#define NONCE crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAG crypto_aead_xchacha20poly1305_ietf_ABYTES

int seal(const unsigned char key[DATA_KEY_BYTES], const char *ad, const void *plain, size_t len,
         struct buf *out)
{
    if (buf_reserve(out, len + NONCE + TAG) != 0)
        return PHR_ENOMEM;
    unsigned char *dst = (unsigned char *)out->data + out->len;
    randombytes_buf(dst, NONCE);
    unsigned long long clen = 0;
    crypto_aead_xchacha20poly1305_ietf_encrypt(dst + NONCE, &clen, plain, len,
                                               (const unsigned char *)ad, strlen(ad), NULL, dst,
                                               key);
    out->len += NONCE + (size_t)clen;
    out->data[out->len] = '\0';
    return PHR_OK;
}

int seal_open(int alg, const unsigned char key[DATA_KEY_BYTES], const char *ad,
              const unsigned char *sealed, size_t len, struct buf *out)
{
    if (alg != SEAL_XCHACHA20POLY1305)
        return PHR_EINVAL;
    if (len < NONCE + TAG)
        return PHR_ECRYPTO;
    size_t plen = len - NONCE - TAG;
    if (buf_reserve(out, plen) != 0)
        return PHR_ENOMEM;
    unsigned long long got = 0;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt((unsigned char *)out->data + out->len, &got,
                                                   NULL, sealed + NONCE, len - NONCE,
                                                   (const unsigned char *)ad, strlen(ad), sealed,
                                                   key) != 0)
        return PHR_ECRYPTO;
    out->len += (size_t)got;
    out->data[out->len] = '\0';
    return PHR_OK;
}

void seal_mac(const unsigned char key[DATA_KEY_BYTES], const void *data, size_t len,
              unsigned char out[32])
{
    crypto_generichash(out, 32, data, len, key, DATA_KEY_BYTES);
}
