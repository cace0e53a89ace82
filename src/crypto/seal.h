/* Sealing of record bodies with a person's data key.
 *
 * A sealed body is nonce || ciphertext || tag. The algorithm id is stored
 * next to every sealed body (not inside it), so that another AEAD (for
 * instance a CRYPTREC-listed AES-256-GCM) can be introduced for new bodies
 * while old ones still open. The associated data binds a body to its row
 * (record id and version), so a body copied onto another row fails to open. */
#ifndef PHR_SEAL_H
#define PHR_SEAL_H

#include <stddef.h>

#include "crypto/keys.h"
#include "util/buf.h"

enum seal_alg {
    SEAL_XCHACHA20POLY1305 = 1
};

#define SEAL_OVERHEAD (24 + 16)

int seal(const unsigned char key[DATA_KEY_BYTES], const char *ad, const void *plain, size_t len,
         struct buf *out);
/* Appends the plaintext to out. PHR_ECRYPTO if the body or ad was altered,
 * PHR_EINVAL for an unknown algorithm id. */
int seal_open(int alg, const unsigned char key[DATA_KEY_BYTES], const char *ad,
              const unsigned char *sealed, size_t len, struct buf *out);
/* A keyed digest of a person's original file: lets the person's own
 * duplicates be found without a plaintext hash of health data in an index. */
void seal_mac(const unsigned char key[DATA_KEY_BYTES], const void *data, size_t len,
              unsigned char out[32]);

#endif
