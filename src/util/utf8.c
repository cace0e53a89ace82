#include "util/utf8.h"

#include <string.h>

/* The length of the well-formed sequence at s[i], or 0. */
static size_t sequence(const unsigned char *s, size_t i, size_t n)
{
    unsigned c = s[i];
    if (c == 0)
        return 0;
    if (c < 0x80)
        return 1;
    size_t k = (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2 : (c & 0xF8) == 0xF0 ? 3 : 0;
    static const unsigned min[] = {0, 0x80, 0x800, 0x10000};
    if (!k || n - i <= k)
        return 0; /* not a lead byte, or the sequence runs past the end */
    unsigned cp = c & (0x3Fu >> k);
    for (size_t j = 1; j <= k; j++) {
        if ((s[i + j] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i + j] & 0x3Fu);
    }
    if (cp < min[k] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return k + 1;
}

int utf8_valid(const char *text, size_t n)
{
    const unsigned char *s = (const unsigned char *)text;
    for (size_t i = 0, k; i < n; i += k)
        if (!(k = sequence(s, i, n)))
            return 0;
    return 1;
}

void utf8_scrub(char *text)
{
    unsigned char *s = (unsigned char *)text;
    size_t n = strlen(text), out = 0;
    for (size_t i = 0, k; i < n; i += k ? k : 1)
        if ((k = sequence(s, i, n))) {
            memmove(s + out, s + i, k);
            out += k;
        }
    s[out] = '\0';
}
