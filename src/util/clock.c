#include "util/clock.h"

#include <stdio.h>
#include <time.h>

int64_t clock_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

double clock_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

void clock_format_ms(int64_t ms, char out[32])
{
    time_t s = (time_t)(ms / 1000);
    int frac = (int)(ms % 1000);
    if (frac < 0) {
        frac += 1000;
        s -= 1;
    }
    struct tm tm;
    gmtime_r(&s, &tm);
    /* Years are clamped to four digits, which also bounds the length. */
    int year = tm.tm_year + 1900;
    year = year < 0 ? 0 : year > 9999 ? 9999 : year;
    snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", year, (tm.tm_mon + 1) % 100, tm.tm_mday % 100,
             tm.tm_hour % 100, tm.tm_min % 100, tm.tm_sec % 100, frac % 1000);
}

/* The calendar of a zone offset_min east of UTC at ms, the year clamped to
 * four digits so that every caller's output has a bounded length. */
static int zone_tm(int64_t ms, int offset_min, struct tm *tm)
{
    int64_t shifted = ms + (int64_t)offset_min * 60000;
    time_t t = (time_t)(shifted / 1000 - (shifted % 1000 < 0));
    gmtime_r(&t, tm);
    int year = tm->tm_year + 1900;
    return year < 0 ? 0 : year > 9999 ? 9999 : year;
}

void clock_format_day(int64_t ms, int offset_min, char out[11])
{
    struct tm tm;
    int year = zone_tm(ms, offset_min, &tm);
    snprintf(out, 11, "%04u-%02u-%02u", (unsigned)year % 10000, (unsigned)(tm.tm_mon + 1) % 100,
             (unsigned)tm.tm_mday % 100);
}

void clock_format_ja_day(int64_t ms, int offset_min, char out[32])
{
    struct tm tm;
    int year = zone_tm(ms, offset_min, &tm);
    snprintf(out, 32, "%d年%d月%d日", year, (tm.tm_mon + 1) % 100, tm.tm_mday % 100);
}

void clock_format_local(int64_t ms, int offset_min, char out[32])
{
    struct tm tm;
    int year = zone_tm(ms, offset_min, &tm);
    int off = offset_min < 0 ? -offset_min : offset_min;
    off %= 24 * 60;
    /* Each field bounded (as gmtime_r gives them), so that the length is. */
    snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", year, (tm.tm_mon + 1) % 100, tm.tm_mday % 100,
             tm.tm_hour % 100, tm.tm_min % 100, tm.tm_sec % 100, offset_min < 0 ? '-' : '+', (off / 60) % 100, off % 60);
}
