/* SHA-256 of bytes as lowercase hex: how the service names a file, a table
 * or a record's original to whoever checks them (an SPHR index, an import's
 * answer, a published data set, the checksheet). */
#ifndef PHR_DIGEST_H
#define PHR_DIGEST_H

#include <stddef.h>

#define DIGEST_SHA256_HEX 64

void digest_sha256_hex(const void *data, size_t len, char hex[DIGEST_SHA256_HEX + 1]);

#endif
