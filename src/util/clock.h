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
/* The same instant as the clock of a zone offset_min east of UTC shows it,
 * with the offset: "2026-11-24T12:00:00+09:00"; out must hold 32. What a
 * person is told, so that nobody reads a UTC day as theirs. */
void clock_format_local(int64_t ms, int offset_min, char out[32]);
/* The day of that zone as a key: "2026-12-07". */
void clock_format_day(int64_t ms, int offset_min, char out[11]);
/* The day of that zone in Japanese: "2026年12月7日"; out must hold 32. */
void clock_format_ja_day(int64_t ms, int offset_min, char out[32]);

#endif
