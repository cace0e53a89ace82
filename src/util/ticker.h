/* A thread that calls a function every interval until stopped: the
 * periodic work of `phr serve` (signed checkpoints, retention). Stopping
 * wakes it at once and waits for a call in progress to return. */
#ifndef PHR_TICKER_H
#define PHR_TICKER_H

#include <stdint.h>

struct ticker;

/* PHR_OK, or PHR_ENOMEM / PHR_EIO; fn runs on the ticker's thread. */
int ticker_start(int64_t interval_ms, void (*fn)(void *), void *arg, struct ticker **out);
/* NULL is allowed. */
void ticker_stop(struct ticker *t);

#endif
