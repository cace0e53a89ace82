/* A person's demographics (formats/demographics.h) as their newest
 * imported checkup gave them, sealed with their data key. */
#ifndef PHR_STORE_DEMOGRAPHICS_H
#define PHR_STORE_DEMOGRAPHICS_H

#include <stddef.h>
#include <stdint.h>

struct store;

/* Kept unless what is there came from a later day (as_of, YYYY-MM-DD). */
int store_demographics_put(struct store *st, const char *person, const unsigned char *sealed, size_t len,
                           const char *as_of, int64_t at);
/* PHR_ENOTFOUND if none are kept. */
int store_demographics_get(struct store *st, const char *person,
                           int (*cb)(void *, const unsigned char *sealed, size_t len, const char *as_of), void *arg);

#endif
