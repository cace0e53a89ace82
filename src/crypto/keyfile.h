/* Secret key files: 8 magic bytes then the key material, mode 0600, never
 * overwritten. One implementation for the master key and the audit
 * signing key, so that both get the same care: written to a temporary name
 * and linked into place (link fails if the target exists), fsynced, refused
 * when group or others can read them, wiped from stack buffers. */
#ifndef PHR_KEYFILE_H
#define PHR_KEYFILE_H

#include <stddef.h>

#define KEYFILE_MAGIC_LEN 8

/* Writes magic + key; PHR_EEXIST if path exists. */
int keyfile_create(const char *path, const char magic[KEYFILE_MAGIC_LEN], const unsigned char *key, size_t len);
/* Reads exactly len key bytes into key (the caller's guarded memory).
 * PHR_ENOTFOUND, PHR_EPERM (mode too open), PHR_EINVAL (not such a file). */
int keyfile_read(const char *path, const char magic[KEYFILE_MAGIC_LEN], unsigned char *key, size_t len);

#endif
