/* The addresses a registration names (an app's redirect URIs and origins,
 * a partner's JWKS URL): absolute, https, or http on this machine only
 * (RFC 8252 §7.3: a loopback address for a native app or a test). */
#ifndef PHR_URLS_H
#define PHR_URLS_H

#include <stddef.h>

#define URL_MAX 512

/* Whether s (n bytes) is such an address: no fragment, no space or
 * control character; origin: scheme://host[:port] with no path. */
int url_acceptable(const char *s, size_t n, int origin);

#endif
