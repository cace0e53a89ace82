/* Request-rate limits per client address and per account (R2.9): one-minute
 * windows, counted in this process and shared through the store.
 *
 * Writing to the store on every request would cost a commit each; instead
 * each instance counts locally and a thread adds its counts to the store
 * about once a second, reading back every instance's total. A request is
 * judged by that total plus what this instance has counted since: between
 * flushes, several instances together may overshoot by about a second's
 * worth of requests. */
#ifndef PHR_RATELIMIT_H
#define PHR_RATELIMIT_H

#include <stdint.h>

struct ratelimit;
struct service;

/* per_minute 0: no limit (*out is NULL, and every hit is allowed). prefix
 * names the kind of key in the store ("address", "account"). */
int ratelimit_create(struct service *svc, const char *prefix, unsigned per_minute, struct ratelimit **out);
/* Flushes what is left and stops the thread. */
void ratelimit_free(struct ratelimit *rl);
/* 0 if the request may go on; otherwise the seconds until it may. */
int ratelimit_hit(struct ratelimit *rl, const char *key, int64_t now_ms);

#endif
