/* The audit signing key: Ed25519, in its own file apart from the database
 * (like the master key), used only to sign checkpoints of the handling
 * history's chain head. Verifying needs only the public key, which an
 * auditor can hold without any secret.
 *
 * File format: the 8 magic bytes "PHRAKEY1" then libsodium's 64-byte
 * Ed25519 secret key (which holds the public key in its second half). */
#ifndef PHR_SIGN_H
#define PHR_SIGN_H

#include <stddef.h>

#define SIGN_PUBLIC_BYTES 32
#define SIGN_BYTES 64
#define SIGN_KEY_ID_LEN 16   /* hex chars */

struct sign_key;

/* Creates a new key file; PHR_EEXIST if path exists. */
int sign_key_create(const char *path);
/* PHR_ENOTFOUND, PHR_EPERM (readable by others), PHR_EINVAL. */
int sign_key_load(const char *path, struct sign_key **out);
void sign_key_free(struct sign_key *k);
void sign_key_public(const struct sign_key *k, unsigned char pk[SIGN_PUBLIC_BYTES]);
/* A short fingerprint of a public key, stored with each signature. */
void sign_key_id(const unsigned char pk[SIGN_PUBLIC_BYTES], char id[SIGN_KEY_ID_LEN + 1]);
void sign_detached(const struct sign_key *k, const unsigned char *msg, size_t len, unsigned char sig[SIGN_BYTES]);
/* 0 if sig is pk's signature of msg. */
int sign_verify(const unsigned char pk[SIGN_PUBLIC_BYTES], const unsigned char *msg, size_t len,
                const unsigned char sig[SIGN_BYTES]);

#endif
