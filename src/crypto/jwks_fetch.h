/* A client's public keys fetched from the JWKS URL it registered (SMART
 * Backend Services: keys by URL, so that a partner rotates them without
 * asking the operator). Fetched at each token request — at most one per
 * client every few minutes — so a rotated or withdrawn key counts at once. */
#ifndef PHR_JWKS_FETCH_H
#define PHR_JWKS_FETCH_H

#include <stddef.h>

#define JWKS_FETCH_MAX (64 * 1024)

/* The document at url (util/urls.h: https, or http on this machine), at
 * most JWKS_FETCH_MAX bytes, within five seconds, no redirects, TLS
 * verified: 0 with *out malloc'd; -1 with why. */
int jwks_fetch(const char *url, char **out, char *why, size_t why_size);

#endif
