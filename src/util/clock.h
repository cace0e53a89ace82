/* Time as the program uses it: milliseconds since the Unix epoch, UTC. */
#ifndef PHR_CLOCK_H
#define PHR_CLOCK_H

#include <stddef.h>
#include <stdint.h>

int64_t clock_now_ms(void);
/* Monotonic, for durations only. */
double clock_mono_ms(void);
/* Writes "2026-11-24T03:00:00.123Z" (24 chars + NUL); out must hold 32. */
void clock_format_ms(int64_t ms, char out[32]);

#endif
