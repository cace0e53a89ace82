#include "crypto/password.h"

#include <errno.h>
#include <semaphore.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <sodium.h>

#include "util/err.h"

/* OWASP's floor for Argon2id: 19 MiB, 2 passes, 1 lane (libsodium). */
#define OPSLIMIT 2
#define MEMLIMIT (19u * 1024u * 1024u)

static sem_t slots;
static unsigned slot_wait_ms = 5000;
static int ready;
static char dummy_hash[PASSWORD_HASH_MAX];

int password_init(unsigned max_concurrent, unsigned wait_ms)
{
    if (ready)
        return PHR_OK;
    if (max_concurrent == 0)
        max_concurrent = 1;
    if (sem_init(&slots, 0, max_concurrent) != 0)
        return PHR_EIO;
    slot_wait_ms = wait_ms;
    if (crypto_pwhash_str(dummy_hash, "phr-dummy-password", 18, OPSLIMIT, MEMLIMIT) != 0) {
        sem_destroy(&slots);
        return PHR_ENOMEM;
    }
    ready = 1;
    return PHR_OK;
}

void password_shutdown(void)
{
    if (ready) {
        sem_destroy(&slots);
        ready = 0;
    }
}

static int take_slot(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += slot_wait_ms / 1000;
    ts.tv_nsec += (long)(slot_wait_ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    while (sem_timedwait(&slots, &ts) != 0) {
        if (errno != EINTR)
            return PHR_EBUSY;
    }
    return PHR_OK;
}

int password_hash(const char *pw, size_t len, char out[PASSWORD_HASH_MAX])
{
    if (take_slot() != PHR_OK)
        return PHR_EBUSY;
    int r = crypto_pwhash_str(out, pw, len, OPSLIMIT, MEMLIMIT);
    sem_post(&slots);
    return r == 0 ? PHR_OK : PHR_ENOMEM;
}

int password_verify(const char *stored, const char *pw, size_t len)
{
    if (take_slot() != PHR_OK)
        return PHR_EBUSY;
    int r = crypto_pwhash_str_verify(stored, pw, len);
    sem_post(&slots);
    return r == 0 ? PHR_OK : PHR_EPERM;
}

void password_dummy_verify(const char *pw, size_t len)
{
    (void)password_verify(dummy_hash, pw, len);
}

const char *password_rules_check(const char *pw, size_t len, const char *login)
{
    if (len < PASSWORD_MIN_LEN)
        return "password must be at least 10 characters";
    if (len > PASSWORD_MAX_LEN)
        return "password must be at most 256 bytes";
    if (memchr(pw, '\0', len))
        return "password must not contain NUL";
    size_t same = 0;
    for (size_t i = 1; i < len; i++)
        same += pw[i] == pw[0];
    if (same == len - 1)
        return "password must not repeat one character";
    size_t ll = strlen(login);
    if (ll >= 4 && len >= ll) {
        for (size_t i = 0; i + ll <= len; i++)
            if (strncasecmp(pw + i, login, ll) == 0)
                return "password must not contain the login name";
    }
    return NULL;
}
