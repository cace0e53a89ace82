#include "crypto/keyfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>

#include "util/buf.h"
#include "util/err.h"

#define MAX_KEY 128

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

int keyfile_create(const char *path, const char magic[KEYFILE_MAGIC_LEN], const unsigned char *key, size_t len)
{
    int rc = PHR_EIO;
    unsigned char file[KEYFILE_MAGIC_LEN + MAX_KEY];
    struct buf tmp;
    buf_init(&tmp);
    int fd = -1;

    if (len > MAX_KEY)
        return PHR_EINVAL;
    if (access(path, F_OK) == 0)
        return PHR_EEXIST;
    if (buf_printf(&tmp, "%s.tmp.%ld", path, (long)getpid()) != 0)
        return PHR_ENOMEM;
    memcpy(file, magic, KEYFILE_MAGIC_LEN);
    memcpy(file + KEYFILE_MAGIC_LEN, key, len);

    fd = open(tmp.data, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        goto out;
    if (write_all(fd, file, KEYFILE_MAGIC_LEN + len) != 0 || fsync(fd) != 0)
        goto out;
    if (close(fd) != 0) {
        fd = -1;
        goto out;
    }
    fd = -1;
    /* link(2) fails if the target exists: no window in which a concurrent
     * init could replace a key that is already in use. */
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

int keyfile_read(const char *path, const char magic[KEYFILE_MAGIC_LEN], unsigned char *key, size_t len)
{
    int rc = PHR_EIO;
    unsigned char file[KEYFILE_MAGIC_LEN + MAX_KEY + 1];
    struct stat st;
    if (len > MAX_KEY)
        return PHR_EINVAL;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return errno == ENOENT ? PHR_ENOTFOUND : PHR_EIO;
    if (fstat(fd, &st) != 0)
        goto out;
    if (!S_ISREG(st.st_mode) || (st.st_mode & 077) != 0) {
        rc = PHR_EPERM;
        goto out;
    }
    ssize_t n = read(fd, file, KEYFILE_MAGIC_LEN + len + 1);
    if (n != (ssize_t)(KEYFILE_MAGIC_LEN + len) || memcmp(file, magic, KEYFILE_MAGIC_LEN) != 0) {
        rc = PHR_EINVAL;
        goto out;
    }
    memcpy(key, file + KEYFILE_MAGIC_LEN, len);
    rc = PHR_OK;
out:
    sodium_memzero(file, sizeof file);
    close(fd);
    return rc;
}
