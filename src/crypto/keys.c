#include "crypto/keys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>

#include "util/buf.h"
#include "util/err.h"

#define MAGIC "PHRMKEY1"
#define MAGIC_LEN 8
#define KEY_BYTES crypto_aead_xchacha20poly1305_ietf_KEYBYTES

struct master_key {
    unsigned char key[KEY_BYTES];
    char id[KEY_ID_LEN + 1];
};

static int write_all(int fd, const unsigned char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int mkey_create(const char *path)
{
    int rc = PHR_EIO;
    unsigned char file[MAGIC_LEN + KEY_BYTES];
    struct buf tmp;
    buf_init(&tmp);
    int fd = -1;

    if (access(path, F_OK) == 0)
        return PHR_EEXIST;
    if (buf_printf(&tmp, "%s.tmp.%ld", path, (long)getpid()) != 0)
        return PHR_ENOMEM;
    memcpy(file, MAGIC, MAGIC_LEN);
    randombytes_buf(file + MAGIC_LEN, KEY_BYTES);

    fd = open(tmp.data, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        goto out;
    if (write_all(fd, file, sizeof file) != 0 || fsync(fd) != 0)
        goto out;
    if (close(fd) != 0) {
        fd = -1;
        goto out;
    }
    fd = -1;
    /* link(2) fails if the target exists: no window in which a concurrent
     * init could replace a key that has already wrapped data keys. */
    if (link(tmp.data, path) != 0) {
        rc = errno == EEXIST ? PHR_EEXIST : PHR_EIO;
        goto out;
    }
    rc = PHR_OK;
out:
    sodium_memzero(file, sizeof file);
    if (fd >= 0)
        close(fd);
    unlink(tmp.data);
    buf_free(&tmp);
    return rc;
}

int mkey_load(const char *path, struct master_key **out)
{
    int rc = PHR_EIO;
    unsigned char file[MAGIC_LEN + KEY_BYTES + 1];
    struct master_key *mk = NULL;
    ssize_t n = 0;
    struct stat st;

    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return errno == ENOENT ? PHR_ENOTFOUND : PHR_EIO;
    if (fstat(fd, &st) != 0)
        goto out;
    if (!S_ISREG(st.st_mode) || (st.st_mode & 077) != 0) {
        rc = PHR_EPERM;
        goto out;
    }
    n = read(fd, file, sizeof file);
    if (n != MAGIC_LEN + KEY_BYTES || memcmp(file, MAGIC, MAGIC_LEN) != 0) {
        rc = PHR_EINVAL;
        goto out;
    }
    mk = sodium_malloc(sizeof *mk);
    if (!mk) {
        rc = PHR_ENOMEM;
        goto out;
    }
    memcpy(mk->key, file + MAGIC_LEN, KEY_BYTES);
    unsigned char fp[8];
    crypto_generichash(fp, sizeof fp, mk->key, KEY_BYTES, (const unsigned char *)"phr-key-id", 10);
    sodium_bin2hex(mk->id, sizeof mk->id, fp, sizeof fp);
    sodium_mprotect_readonly(mk);
    *out = mk;
    rc = PHR_OK;
out:
    sodium_memzero(file, sizeof file);
    close(fd);
    return rc;
}

void mkey_free(struct master_key *mk)
{
    if (mk)
        sodium_free(mk); /* sodium_free wipes before releasing */
}

const char *mkey_id(const struct master_key *mk)
{
    return mk->id;
}

static void ad_for(const char *person_id, struct buf *ad)
{
    buf_puts(ad, "phr-data-key:");
    buf_puts(ad, person_id);
}

int mkey_new_data_key(const struct master_key *mk, const char *person_id,
                      unsigned char wrapped[WRAPPED_KEY_BYTES])
{
    unsigned char dk[DATA_KEY_BYTES];
    struct buf ad;
    buf_init(&ad);
    ad_for(person_id, &ad);
    if (!ad.data)
        return PHR_ENOMEM;
    crypto_aead_xchacha20poly1305_ietf_keygen(dk);
    unsigned char *nonce = wrapped;
    randombytes_buf(nonce, 24);
    crypto_aead_xchacha20poly1305_ietf_encrypt(wrapped + 24, NULL, dk, sizeof dk,
                                               (unsigned char *)ad.data, ad.len, NULL, nonce,
                                               mk->key);
    sodium_memzero(dk, sizeof dk);
    buf_free(&ad);
    return PHR_OK;
}

int mkey_unwrap(const struct master_key *mk, const char *person_id,
                const unsigned char wrapped[WRAPPED_KEY_BYTES], unsigned char key[DATA_KEY_BYTES])
{
    struct buf ad;
    buf_init(&ad);
    ad_for(person_id, &ad);
    if (!ad.data)
        return PHR_ENOMEM;
    int r = crypto_aead_xchacha20poly1305_ietf_decrypt(key, NULL, NULL, wrapped + 24,
                                                       WRAPPED_KEY_BYTES - 24,
                                                       (unsigned char *)ad.data, ad.len,
                                                       wrapped, mk->key);
    buf_free(&ad);
    if (r != 0) {
        sodium_memzero(key, DATA_KEY_BYTES);
        return PHR_ECRYPTO;
    }
    return PHR_OK;
}
