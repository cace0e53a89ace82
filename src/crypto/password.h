/* Password hashing with Argon2id (libsodium crypto_pwhash_str).
 *
 * Each hash takes PASSWORD_MEMLIMIT of memory; a counting semaphore caps how
 * many run at once so that a burst of logins cannot exhaust memory. A caller
 * that cannot get a slot within the wait gets PHR_EBUSY (answer 503). */
#ifndef PHR_PASSWORD_H
#define PHR_PASSWORD_H

#include <stddef.h>

#define PASSWORD_HASH_MAX 128   /* crypto_pwhash_STRBYTES */
#define PASSWORD_MIN_LEN 10
#define PASSWORD_MAX_LEN 256

int password_init(unsigned max_concurrent, unsigned wait_ms);
void password_shutdown(void);
int password_hash(const char *pw, size_t len, char out[PASSWORD_HASH_MAX]);
/* PHR_OK if it matches, PHR_EPERM if not. */
int password_verify(const char *stored, const char *pw, size_t len);
/* Spends the same effort as a verify, for logins naming no account, so that
 * timing does not tell whether an account exists. */
void password_dummy_verify(const char *pw, size_t len);
/* NULL if acceptable, otherwise the reason in English (for the API). */
const char *password_rules_check(const char *pw, size_t len, const char *login);

#endif
