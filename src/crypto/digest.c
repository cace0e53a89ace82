#include "crypto/digest.h"

#include <sodium.h>

void digest_sha256_hex(const void *data, size_t len, char hex[DIGEST_SHA256_HEX + 1])
{
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, (const unsigned char *)(data ? data : ""), len);
    sodium_bin2hex(hex, DIGEST_SHA256_HEX + 1, digest, sizeof digest);
}
