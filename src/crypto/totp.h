/* TOTP second factor (RFC 6238, HMAC-SHA1, 30-second steps, 6 digits: what
 * authenticator apps speak) through liboath. A code is accepted once: the
 * step it matched must come after the last step accepted for that account,
 * so a code seen over a shoulder cannot be replayed. */
#ifndef PHR_TOTP_H
#define PHR_TOTP_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

#define TOTP_SECRET_BYTES 20
#define TOTP_DIGITS 6

/* Once per process, before any other call. */
int totp_init(void);
void totp_new_secret(unsigned char secret[TOTP_SECRET_BYTES]);
/* otpauth://totp/ISSUER:ACCOUNT?secret=BASE32&issuer=ISSUER&... */
int totp_uri(const unsigned char secret[TOTP_SECRET_BYTES], const char *issuer, const char *account, struct buf *out);
/* 0 with *step set if otp is valid at now (±1 step) and its step is after
 * last_step; -1 otherwise. */
int totp_check(const unsigned char secret[TOTP_SECRET_BYTES], int64_t now_s, const char *otp, uint64_t last_step,
               uint64_t *step);
/* The code for a time (digits 6 or 8): tests, and RFC 6238's vectors. */
int totp_code(const unsigned char *secret, size_t len, int64_t now_s, unsigned digits, char out[9]);

#endif
