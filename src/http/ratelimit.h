/* Request-rate limits per client address and per account (R2.9): a
 * fixed one-minute window per key, counted in this process.
 *
 * Counting every request in the store would cost a write per request; the
 * limits are a guard against one client starving the others, so each
 * instance counts its own share (behind a load balancer, N instances allow
 * N times the limit; sign-in failures, which must not get N chances, are
 * counted in the store: service/accounts.c). */
#ifndef PHR_RATELIMIT_H
#define PHR_RATELIMIT_H

#include <stdint.h>

struct ratelimit;

/* per_minute 0: no limit (*out is NULL, and every hit is allowed). */
int ratelimit_create(unsigned per_minute, struct ratelimit **out);
void ratelimit_free(struct ratelimit *rl);
/* 0 if the request may go on; otherwise the seconds until it may. */
int ratelimit_hit(struct ratelimit *rl, const char *key, int64_t now_ms);

#endif
