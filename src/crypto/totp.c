#include "crypto/totp.h"

#include <stdlib.h>
#include <string.h>
#include <liboath/oath.h>
#include <sodium.h>

#include "util/err.h"

#define STEP 30

int totp_init(void)
{
    return oath_init() == OATH_OK ? PHR_OK : PHR_EIO;
}

void totp_new_secret(unsigned char secret[TOTP_SECRET_BYTES])
{
    randombytes_buf(secret, TOTP_SECRET_BYTES);
}

/* Escapes what a URI path or query may not hold as is. */
static int uri_part(struct buf *out, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || strchr("-._~@", c)) {
            if (buf_append(out, s, 1))
                return -1;
        } else if (buf_printf(out, "%%%02X", c)) {
            return -1;
        }
    }
    return 0;
}

int totp_uri(const unsigned char secret[TOTP_SECRET_BYTES], const char *issuer, const char *account, struct buf *out)
{
    char *b32 = NULL;
    size_t n = 0;
    if (oath_base32_encode((const char *)secret, TOTP_SECRET_BYTES, &b32, &n) != OATH_OK)
        return PHR_ENOMEM;
    while (n > 0 && b32[n - 1] == '=')
        n--; /* authenticator apps expect no padding */
    int err = buf_puts(out, "otpauth://totp/") || uri_part(out, issuer) || buf_puts(out, ":") ||
              uri_part(out, account) || buf_puts(out, "?secret=") || buf_append(out, b32, n) ||
              buf_puts(out, "&issuer=") || uri_part(out, issuer) ||
              buf_printf(out, "&algorithm=SHA1&digits=%d&period=%d", TOTP_DIGITS, STEP);
    sodium_memzero(b32, n);
    free(b32);
    return err ? PHR_ENOMEM : PHR_OK;
}

int totp_check(const unsigned char secret[TOTP_SECRET_BYTES], int64_t now_s, const char *otp, uint64_t last_step,
               uint64_t *step)
{
    if (!otp || strlen(otp) != TOTP_DIGITS || strspn(otp, "0123456789") != TOTP_DIGITS)
        return -1;
    int pos = 0;
    uint64_t counter = 0;
    int rc = oath_totp_validate3((const char *)secret, TOTP_SECRET_BYTES, (time_t)now_s, STEP, 0, 1, &pos, &counter,
                                 otp);
    if (rc < 0 || counter <= last_step)
        return -1;
    *step = counter;
    return 0;
}

int totp_code(const unsigned char *secret, size_t len, int64_t now_s, unsigned digits, char out[9])
{
    return oath_totp_generate((const char *)secret, len, (time_t)now_s, STEP, 0, digits, out) == OATH_OK ? PHR_OK
                                                                                                       : PHR_EINVAL;
}
