/* The master key: one file, outside the database, mode 0600, loaded in one
 * place into guarded memory and wiped on every path. It never leaves this
 * module: callers ask it to wrap and unwrap persons' data keys.
 *
 * File format: the 8 magic bytes "PHRMKEY1" followed by 32 key bytes. */
#ifndef PHR_KEYS_H
#define PHR_KEYS_H

#include <stddef.h>

#define DATA_KEY_BYTES 32
/* Wrapped data key: 24-byte nonce + 32-byte key + 16-byte tag. */
#define WRAPPED_KEY_BYTES (24 + DATA_KEY_BYTES + 16)
#define KEY_ID_LEN 16   /* hex chars */

struct master_key;

/* Creates a new random key file; PHR_EEXIST if path exists (never overwrites). */
int mkey_create(const char *path);
/* Loads a key file; PHR_EPERM if group or others can read or write it. */
int mkey_load(const char *path, struct master_key **out);
void mkey_free(struct master_key *mk);
/* A short public fingerprint naming which master key wrapped a data key. */
const char *mkey_id(const struct master_key *mk);

/* A fresh random data key for a person, wrapped; the plaintext is not kept. */
int mkey_new_data_key(const struct master_key *mk, const char *person_id,
                      unsigned char wrapped[WRAPPED_KEY_BYTES]);
/* Unwraps into key (caller wipes it with sodium_memzero after use). The
 * person id is bound as associated data, so a key row moved to another
 * person fails to unwrap. */
int mkey_unwrap(const struct master_key *mk, const char *person_id,
                const unsigned char wrapped[WRAPPED_KEY_BYTES], unsigned char key[DATA_KEY_BYTES]);

/* Master-key rotation: wrapped (by from) becomes out (by to), for the same
 * person; the data key itself does not change, so no record is touched. */
int mkey_rewrap(const struct master_key *from, const struct master_key *to, const char *person_id,
                const unsigned char wrapped[WRAPPED_KEY_BYTES], unsigned char out[WRAPPED_KEY_BYTES]);

/* Small secrets kept in the store under the master key directly (a staff
 * member's TOTP key), bound to ad so that a sealed value moved to another
 * row does not open. out holds len + MKEY_SEAL_OVERHEAD bytes. */
#define MKEY_SEAL_OVERHEAD (24 + 16)
void mkey_seal(const struct master_key *mk, const char *ad, const unsigned char *plain, size_t len,
               unsigned char *out);
/* PHR_ECRYPTO if it does not open; out holds len - MKEY_SEAL_OVERHEAD. */
int mkey_open(const struct master_key *mk, const char *ad, const unsigned char *sealed, size_t len,
              unsigned char *out);

/* A tag over data under a key derived from the master key for one purpose
 * (context: 8 characters, e.g. "pagelink"), so that what the service hands
 * out and takes back (a page link) cannot be forged, by any instance that
 * shares the key file. */
#define MKEY_TAG_BYTES 16
void mkey_tag(const struct master_key *mk, const char context[8], const unsigned char *data, size_t len,
              unsigned char out[MKEY_TAG_BYTES]);

/* The service's signature on what it hands out to be kept elsewhere (an
 * SPHR package's index): Ed25519 under a key derived from the master key
 * for that purpose alone, so that it needs no file of its own, is the
 * same for every instance sharing the key file, and is never stored. Its
 * public half is published (and a rotated-away key's too, while it is
 * loaded) for anyone to verify with. */
#define MKEY_SIGN_BYTES 64
#define MKEY_SIGN_PUBLIC_BYTES 32
void mkey_sign(const struct master_key *mk, const unsigned char *msg, size_t len, unsigned char sig[MKEY_SIGN_BYTES]);
void mkey_sign_public(const struct master_key *mk, unsigned char pk[MKEY_SIGN_PUBLIC_BYTES]);

#endif
