#include "formats/fhirtime.h"

#include <string.h>

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar
 * (Howard Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dm[m - 1];
}

static int digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

#define MS_DAY 86400000LL

int fhirtime_parse(const char *s, int flags, int default_offset_min, int64_t *lo, int64_t *hi)
{
    size_t n = strlen(s);
    int y, mo = 1, d = 1, h = 0, mi = 0, sec = 0, ms = 0;
    int64_t width; /* length of the named range in ms */

    if (n < 4 || digits(s, 4, &y) || y < 1)
        return -1;
    const char *p = s + 4;
    width = -1;
    if (*p == '\0') {
        *lo = days_from_civil(y, 1, 1) * MS_DAY;
        *hi = days_from_civil(y + 1, 1, 1) * MS_DAY - 1;
        goto zone_default;
    }
    if (*p != '-' || digits(p + 1, 2, &mo) || mo < 1 || mo > 12)
        return -1;
    p += 3;
    if (*p == '\0') {
        *lo = days_from_civil(y, mo, 1) * MS_DAY;
        *hi = (mo == 12 ? days_from_civil(y + 1, 1, 1) : days_from_civil(y, mo + 1, 1)) * MS_DAY - 1;
        goto zone_default;
    }
    if (*p != '-' || digits(p + 1, 2, &d) || d < 1 || d > days_in_month(y, mo))
        return -1;
    p += 3;
    if (*p == '\0') {
        *lo = days_from_civil(y, mo, d) * MS_DAY;
        *hi = *lo + MS_DAY - 1;
        goto zone_default;
    }
    if (*p != 'T' || digits(p + 1, 2, &h) || h > 23 || p[3] != ':' || digits(p + 4, 2, &mi) || mi > 59)
        return -1;
    p += 6;
    width = 60000;
    if (*p == ':') {
        if (digits(p + 1, 2, &sec) || sec > 60)
            return -1;
        p += 3;
        width = 1000;
        if (*p == '.') {
            int nd = 0;
            p++;
            while (p[nd] >= '0' && p[nd] <= '9')
                nd++;
            if (nd == 0 || nd > 9)
                return -1;
            int frac = 0;
            digits(p, nd < 3 ? nd : 3, &frac);
            for (int i = nd; i < 3; i++)
                frac *= 10;
            ms = frac;
            width = nd == 1 ? 100 : nd == 2 ? 10 : 1;
            p += nd;
        }
    } else if (!(flags & FHIRTIME_SEARCH)) {
        return -1;
    }
    if (sec == 60)
        sec = 59; /* a leap second: keep it inside its minute */
    int offset;
    if (*p == 'Z' && p[1] == '\0') {
        offset = 0;
    } else if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':') {
        int oh, om;
        if (digits(p + 1, 2, &oh) || digits(p + 4, 2, &om) || oh > 14 || om > 59)
            return -1;
        offset = (oh * 60 + om) * (*p == '-' ? -1 : 1);
    } else if (*p == '\0' && (flags & FHIRTIME_SEARCH)) {
        offset = default_offset_min; /* a search value may leave it out: the server's zone (R4 3.1.1.5.7) */
    } else {
        return -1; /* a time without a zone is not a FHIR dateTime */
    }
    *lo = days_from_civil(y, mo, d) * MS_DAY + ((int64_t)h * 3600 + mi * 60 + sec) * 1000 + ms -
          (int64_t)offset * 60000;
    *hi = *lo + width - 1;
    return 0;

zone_default:
    *lo -= (int64_t)default_offset_min * 60000;
    *hi -= (int64_t)default_offset_min * 60000;
    return 0;
}
