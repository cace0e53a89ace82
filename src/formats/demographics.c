#include "formats/demographics.h"

#include <stdio.h>
#include <string.h>

#include "formats/fhirtime.h"
#include "formats/prefectures.h"

int demographics_sex(struct demographics *d, const char *code)
{
    static const struct {
        const char *code, *sex;
    } codes[] = {{"1", "male"}, {"2", "female"}, {"male", "male"}, {"female", "female"}};
    for (size_t i = 0; code && i < sizeof codes / sizeof codes[0]; i++)
        if (!strcmp(code, codes[i].code)) {
            snprintf(d->sex, sizeof d->sex, "%s", codes[i].sex);
            return 0;
        }
    return -1;
}

int demographics_birth(struct demographics *d, const char *date)
{
    char iso[11];
    int64_t lo, hi;
    size_t n = date ? strlen(date) : 0;
    if (n == 8 && strspn(date, "0123456789") == 8)
        snprintf(iso, sizeof iso, "%.4s-%.2s-%.2s", date, date + 4, date + 6);
    else if (n == 10)
        snprintf(iso, sizeof iso, "%s", date);
    else
        return -1;
    if (fhirtime_parse(iso, FHIRTIME_DATETIME, 9 * 60, &lo, &hi) || strlen(iso) != 10)
        return -1;
    memcpy(d->birth_date, iso, sizeof iso);
    return 0;
}

int demographics_postal(struct demographics *d, const char *text)
{
    char digits[8];
    size_t n = 0;
    for (const char *p = text; p && *p; p++) {
        if (*p >= '0' && *p <= '9') {
            if (n == 7)
                return -1;
            digits[n++] = *p;
        } else if (*p != '-' && *p != ' ' && *p != '\n' && *p != '\t' && *p != '\r') {
            return -1;
        }
    }
    if (n != 7)
        return -1;
    snprintf(d->postal_code, sizeof d->postal_code, "%.3s-%.4s", digits, digits + 3);
    return 0;
}

int demographics_prefecture(struct demographics *d, const char *text)
{
    const char *code = prefecture_of(text);
    if (!code)
        return -1;
    memcpy(d->prefecture, code, sizeof d->prefecture);
    return 0;
}

int demographics_any(const struct demographics *d)
{
    return d->sex[0] || d->birth_date[0] || d->postal_code[0] || d->prefecture[0];
}

int demographics_json(const struct demographics *d, const char *as_of, struct buf *out)
{
    const char *names[] = {"sex", "birth_date", "postal_code", "prefecture"},
               *values[] = {d->sex, d->birth_date, d->postal_code, d->prefecture};
    buf_puts(out, "{");
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (values[i][0])
            buf_printf(out, "\"%s\":", names[i]), buf_json_str(out, values[i]), buf_puts(out, ",");
    buf_puts(out, "\"as_of\":");
    buf_json_str(out, as_of ? as_of : "");
    buf_puts(out, "}");
    return buf_failed(out) ? -1 : 0;
}
