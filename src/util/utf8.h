/* Well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing
 * past U+10FFFF) and no NUL: what every text the service keeps or serves
 * must be. Checked where bytes from outside become text. */
#ifndef PHR_UTF8_H
#define PHR_UTF8_H

#include <stddef.h>

int utf8_valid(const char *s, size_t n);
/* Drops in place what is not well-formed: a text cut to fit a buffer (a
 * sequence split at its end or in the middle by "%.60s") stays valid. */
void utf8_scrub(char *s);

#endif
