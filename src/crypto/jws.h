/* Signed JSON Web Tokens from outside: a partner's client assertion
 * (SMART Backend Services, RFC 7523), verified against the public keys
 * (a JWKS, RFC 7517) registered for that client. libcjose does the JOSE;
 * this file decides what is accepted: RSA and EC public keys only (never a
 * shared secret, never a private key at registration), and the algorithms
 * RS256/384/512 and ES256/384/512 with the curve that belongs to each. */
#ifndef PHR_JWS_H
#define PHR_JWS_H

#include <stddef.h>

/* A JWKS as a client registers it: {"keys":[...]} with 1 to 8 RSA or EC
 * public keys, each with a distinct kid when there are several. 0, or
 * PHR_EINVAL with *why saying what is wrong (a static text). */
int jwks_check(const char *jwks, const char **why);

/* The header fields the caller decides on before trusting anything. */
struct jws_header {
    char alg[8];
    char kid[128]; /* "" when absent */
    int has_jku;   /* a jku header (a key URL): refused unless it is the one registered */
    char jku[513]; /* its value, "" if longer */
};

/* Reads the protected header of a compact JWS without verifying it.
 * PHR_EINVAL if it is not one. */
int jws_header_of(const char *compact, struct jws_header *out);

/* The claims of a compact JWS before any verification (malloc'd, the
 * caller's): only to find whose keys to verify it with, never to trust.
 * PHR_EINVAL if it is not a JWS. */
int jws_claims_unverified(const char *compact, char **payload);

/* Verifies compact against the JWKS: the key named by the header's kid
 * (without a kid, any key of the algorithm's type). On success *payload is
 * the claims (malloc'd, NUL-terminated, the caller's). PHR_EINVAL: not a
 * JWS or an algorithm not accepted; PHR_ECRYPTO: no key verifies it. */
int jws_verify(const char *compact, const char *jwks, char **payload);

#endif
