#include "util/ids.h"

#include <stdint.h>
#include <string.h>
#include <sodium.h>

#include "util/clock.h"

static void format_uuid(unsigned char r[16], char out[ID_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[r[i] >> 4];
        out[o++] = hex[r[i] & 15];
    }
    out[o] = '\0';
}

void id_uuid(char out[ID_LEN + 1])
{
    unsigned char r[16];
    randombytes_buf(r, sizeof r);
    r[6] = (unsigned char)((r[6] & 0x0f) | 0x40);
    r[8] = (unsigned char)((r[8] & 0x3f) | 0x80);
    format_uuid(r, out);
}

void id_uuid7(char out[ID_LEN + 1])
{
    unsigned char r[16];
    randombytes_buf(r, sizeof r);
    uint64_t ms = (uint64_t)clock_now_ms();
    for (int i = 0; i < 6; i++)
        r[i] = (unsigned char)(ms >> (40 - 8 * i));
    r[6] = (unsigned char)((r[6] & 0x0f) | 0x70);
    r[8] = (unsigned char)((r[8] & 0x3f) | 0x80);
    format_uuid(r, out);
}

int id_is_uuid(const char *s)
{
    if (strlen(s) != ID_LEN)
        return 0;
    for (int i = 0; i < ID_LEN; i++) {
        char c = s[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-')
                return 0;
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return 0;
        }
    }
    return 1;
}

void id_request(char out[17])
{
    unsigned char r[8];
    randombytes_buf(r, sizeof r);
    sodium_bin2hex(out, 17, r, sizeof r);
}
