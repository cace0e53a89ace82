/* A detached JWS (RFC 7515 appendix F) over content kept beside it — an
 * SPHR package's index: "header..signature", the signing input being the
 * header and the content, each base64url. Signed with Ed25519 ("EdDSA",
 * RFC 8037), its key named by its JWK thumbprint (RFC 7638), which is also
 * how the public key is published (a JWKS of OKP keys). libsodium does the
 * signing; no other algorithm is made or accepted. */
#ifndef PHR_DETACHED_JWS_H
#define PHR_DETACHED_JWS_H

#include <stddef.h>

#include "util/buf.h"
#include "util/fault.h"

#define JWS_ED25519_PUBLIC 32
#define JWS_ED25519_SIG 64
#define JWS_KID_LEN 43 /* a SHA-256 thumbprint, base64url */

/* Who signs: the key's thumbprint and a function that signs with it (the
 * private key stays where it lives). */
struct jws_signer {
    char kid[JWS_KID_LEN + 1];
    void (*sign)(const void *key, const unsigned char *msg, size_t len, unsigned char sig[JWS_ED25519_SIG]);
    const void *key;
};

/* The thumbprint of an Ed25519 public key, and the key as a JWK. */
void jws_ed25519_kid(const unsigned char pk[JWS_ED25519_PUBLIC], char kid[JWS_KID_LEN + 1]);
int jws_ed25519_jwk(const unsigned char pk[JWS_ED25519_PUBLIC], struct buf *out);

/* The JWS over content, into out. 0, or -1 out of memory. */
int jws_detached_sign(const struct jws_signer *s, const char *content, size_t len, struct buf *out);

/* A JWS read beside its content: what its header says and, for EdDSA, the
 * signature and the input it signs (owned: jws_detached_free). */
struct jws_detached {
    char alg[16], kid[JWS_KID_LEN + 1];
    unsigned char sig[JWS_ED25519_SIG];
    struct buf input;
};
/* 0; or -1 with the fault naming what is malformed (not a detached JWS,
 * a header that is not JSON, a signature of the wrong size for EdDSA). An
 * algorithm other than EdDSA reads, for the caller to call unverifiable. */
int jws_detached_read(const char *jws, size_t n, const char *content, size_t len, struct jws_detached *out,
                      struct fault *fault);
/* 0 if pk signed it (EdDSA only). */
int jws_detached_verify(const struct jws_detached *d, const unsigned char pk[JWS_ED25519_PUBLIC]);
void jws_detached_free(struct jws_detached *d);

#endif
