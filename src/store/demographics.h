/* A person's demographics (formats/demographics.h), sealed with their data
 * key: the newest, and what each replaced (R3.12). */
#ifndef PHR_STORE_DEMOGRAPHICS_H
#define PHR_STORE_DEMOGRAPHICS_H

#include <stddef.h>
#include <stdint.h>

struct store;

/* Replaces what is kept unless that came from a later day (as_of,
 * YYYY-MM-DD); what is replaced moves to the history, at. */
int store_demographics_put(struct store *st, const char *person, const unsigned char *sealed, size_t len,
                           const char *as_of, int64_t at);
/* PHR_ENOTFOUND if none are kept. */
int store_demographics_get(struct store *st, const char *person,
                           int (*cb)(void *, const unsigned char *sealed, size_t len, const char *as_of), void *arg);
/* What was replaced, newest first, with when it was. */
int store_demographics_history(struct store *st, const char *person,
                               int (*cb)(void *, const unsigned char *sealed, size_t len, const char *as_of,
                                         int64_t replaced_at),
                               void *arg);

#endif
