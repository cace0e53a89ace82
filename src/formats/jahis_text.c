#include "formats/jahis_text.h"

#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/fhirtime.h"
#include "formats/jahis.h"
#include "util/utf8.h"

#define JST_MIN (9 * 60)

/* The text as NUL-terminated UTF-8: as given if it is UTF-8 already (a BOM
 * dropped), else converted from Shift_JIS (CP932, as お薬手帳 QR codes
 * carry it). */
char *jahis_utf8(const char *data, size_t len, struct fault *fault)
{
    if (len >= 3 && !memcmp(data, "\xEF\xBB\xBF", 3)) {
        data += 3;
        len -= 3;
    }
    if (memchr(data, '\0', len)) {
        fault_set(fault, F_INVALID_VALUE, NULL, "the text holds a NUL byte: it is not a JAHIS お薬手帳 text");
        return NULL;
    }
    if (utf8_valid(data, len)) {
        char *s = malloc(len + 1);
        if (!s) {
            fault_set(fault, F_INTERNAL, NULL, "out of memory");
            return NULL;
        }
        memcpy(s, data, len);
        s[len] = '\0';
        return s;
    }
    iconv_t cd = iconv_open("UTF-8", "CP932");
    if (cd == (iconv_t)-1) {
        fault_set(fault, F_INTERNAL, NULL, "Shift_JIS conversion is not available on this system");
        return NULL;
    }
    size_t cap = len * 3 + 1, left = cap - 1, inleft = len;
    char *s = malloc(cap), *in = (char *)data, *o = s;
    if (!s) {
        iconv_close(cd);
        fault_set(fault, F_INTERNAL, NULL, "out of memory");
        return NULL;
    }
    size_t rc = iconv(cd, &in, &inleft, &o, &left);
    iconv_close(cd);
    if (rc == (size_t)-1) {
        free(s);
        fault_set(fault, F_INVALID_VALUE, NULL, "byte %zu is neither UTF-8 nor Shift_JIS: the text cannot be read",
                  len - inleft + 1);
        return NULL;
    }
    *o = '\0';
    return s;
}

int jahis_sniff(const char *data, size_t len)
{
    if (len >= 3 && !memcmp(data, "\xEF\xBB\xBF", 3)) {
        data += 3;
        len -= 3;
    }
    return len >= 7 && !memcmp(data, "JAHISTC", 7);
}

int jahis_digits(const char *s, size_t n)
{
    return strlen(s) == n && strspn(s, "0123456789") == n;
}

/* YYYYMMDD, or a Japanese era date GYYMMDD (M, T, S, H, R). */
int jahis_date(const char *s, char out[11], int64_t *lo, int64_t *hi)
{
    static const char eras[] = "MTSHR";
    static const int base[] = {1867, 1911, 1925, 1988, 2018};
    int y, m, d;
    if (jahis_digits(s, 8)) {
        y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
        s += 4;
    } else if (*s && strchr(eras, *s) && jahis_digits(s + 1, 6)) {
        int yy = (s[1] - '0') * 10 + (s[2] - '0');
        if (yy < 1)
            return -1;
        y = base[strchr(eras, *s) - eras] + yy;
        s += 3;
    } else {
        return -1;
    }
    m = (s[0] - '0') * 10 + (s[1] - '0');
    d = (s[2] - '0') * 10 + (s[3] - '0');
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (y < 1868 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1] || (m == 2 && d == 29 && !leap))
        return -1;
    snprintf(out, 11, "%04d-%02d-%02d", y % 10000, m % 100, d % 100);
    return fhirtime_parse(out, FHIRTIME_DATETIME, JST_MIN, lo, hi);
}

int jahis_field(struct buf *b, const char *s)
{
    for (const char *p = s ? s : ""; *p; p++)
        if (buf_append(b, *p == ',' ? "\xef\xbc\x8c" : *p == '\r' || *p == '\n' ? " " : p, *p == ',' ? 3 : 1))
            return -1;
    return 0;
}

int jahis_decimal(const char *s)
{
    size_t n = strlen(s), ip = strspn(s, "0123456789");
    if (ip == 0 || n > 10)
        return 0;
    return s[ip] == '\0' || (s[ip] == '.' && s[ip + 1] && strspn(s + ip + 1, "0123456789") == n - ip - 1);
}

int jahis_to_shift_jis(const char *text, size_t len, struct buf *out)
{
    iconv_t cd = iconv_open("CP932//TRANSLIT", "UTF-8");
    if (cd == (iconv_t)-1)
        return -1;
    char *in = (char *)text, chunk[4096];
    size_t left = len;
    int rc = 0;
    while (left && !rc) {
        char *o = chunk;
        size_t room = sizeof chunk;
        size_t r = iconv(cd, &in, &left, &o, &room);
        rc = buf_append(out, chunk, sizeof chunk - room);
        if (r == (size_t)-1 && errno == EILSEQ && !rc) {
            /* Not even transliterable: one '?' for the character. */
            rc = buf_append(out, "?", 1);
            size_t skip = 1;
            while (skip < left && ((unsigned char)in[skip] & 0xC0) == 0x80)
                skip++;
            in += skip;
            left -= skip;
        } else if (r == (size_t)-1 && errno != E2BIG) {
            rc = -1;
        }
    }
    iconv_close(cd);
    return rc;
}

/* Calls fn for each line of the text (UTF-8, without its line end) until
 * it returns nonzero; -1 if the text does not read. */
static int each_line(const char *data, size_t len, int (*fn)(void *, const char *, size_t), void *arg)
{
    struct fault fault;
    char *text = len <= JAHIS_MAX_BYTES ? jahis_utf8(data, len, &fault) : NULL;
    if (!text)
        return -1;
    int rc = 0;
    for (char *s = text; !rc && *s;) {
        size_t n = strcspn(s, "\r\n");
        if (n)
            rc = fn(arg, s, n);
        s += n;
        s += strspn(s, "\r\n");
    }
    free(text);
    return rc < 0 ? -1 : 0;
}

static int patient(void *arg, const char *s, size_t n)
{
    if (n <= 2 || strncmp(s, "1,", 2))
        return 0;
    return (*(char **)arg = strndup(s, n)) ? 1 : -1;
}

char *jahis_patient_line(const char *data, size_t len)
{
    char *line = NULL;
    return each_line(data, len, patient, &line) ? NULL : line;
}

struct kept {
    const char *const *prefixes;
    struct buf out;
};

static int kept(void *arg, const char *s, size_t n)
{
    struct kept *k = arg;
    for (const char *const *p = k->prefixes; *p; p++)
        if (n > strlen(*p) && !strncmp(s, *p, strlen(*p)))
            return buf_append(&k->out, s, n) || buf_puts(&k->out, "\r\n") ? -1 : 0;
    return 0;
}

char *jahis_kept_lines(const char *data, size_t len, const char *const *prefixes)
{
    struct kept k = {prefixes, {0}};
    if (each_line(data, len, kept, &k)) {
        buf_free(&k.out);
        return NULL;
    }
    return k.out.data ? k.out.data : strdup(""); /* owned by the caller now */
}

#define F(k) ((k) < nf ? f[k] : "")

/* Record 1 as demographics: 氏名, 性別, 生年月日 (day, read already), 郵便番号,
 * 住所, 電話番号, then 緊急連絡先, 血液型, 体重 (kept in the text only) and
 * 氏名カナ. What is malformed is left out: the text itself is kept. */
int jahis_person(struct demographics *d, char **f, int nf, const char *day)
{
    static const struct {
        int field;
        enum demographics_text f;
    } texts[] = {{1, DEMO_NAME}, {5, DEMO_ADDRESS}, {6, DEMO_PHONE}, {10, DEMO_NAME_KANA}};
    d->from = "jahis";
    demographics_sex(d, F(2));
    demographics_birth(d, day);
    demographics_postal(d, F(4));
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        demographics_set(d, texts[i].f, F(texts[i].field), (size_t)-1);
    return d->failed ? -1 : 0;
}
