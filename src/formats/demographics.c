#include "formats/demographics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/fhirtime.h"
#include "formats/json.h"
#include "formats/prefectures.h"
#include "util/utf8.h"

enum check { PLAIN, PHONE, INSURER };

/* Each text field: its JSON member, limit in bytes (a kanji is 3) and rule. */
static const struct {
    const char *key;
    size_t max;
    enum check check;
} fields[DEMO_NTEXT] = {
    [DEMO_NAME] = {"name", 192, PLAIN},
    [DEMO_NAME_KANA] = {"name_kana", 192, PLAIN},
    [DEMO_ADDRESS] = {"address", 600, PLAIN},
    [DEMO_PHONE] = {"phone", 24, PHONE},
    [DEMO_INSURER] = {"insurer_number", 8, INSURER},
    [DEMO_SYMBOL] = {"insured_symbol", 96, PLAIN},
    [DEMO_NUMBER] = {"insured_number", 96, PLAIN},
    [DEMO_BRANCH] = {"insured_branch", 16, PLAIN},
};

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

/* Blanks a field may be given with: ASCII's (an XML text's line breaks)
 * and the ideographic space. */
static size_t blank_at(const char *s, size_t n)
{
    if (n && *s && strchr(" \t\r\n", *s))
        return 1;
    return n >= 3 && !memcmp(s, "\xe3\x80\x80", 3) ? 3 : 0;
}

static size_t blank_before(const char *s, size_t n)
{
    if (n && s[n - 1] && strchr(" \t\r\n", s[n - 1]))
        return 1;
    return n >= 3 && !memcmp(s + n - 3, "\xe3\x80\x80", 3) ? 3 : 0;
}

/* The n bytes at s (not NUL-terminated: a trimmed field) obey rule c. */
static int well_formed(enum check c, const char *s, size_t n)
{
    const char *allowed = c == PHONE ? "0123456789-+() " : "0123456789";
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f || (c != PLAIN && !strchr(allowed, s[i])))
            return 0;
    if (c == PHONE)
        return n >= 4;
    if (c == INSURER)
        return n == 6 || n == 8;
    return utf8_valid(s, n);
}

int demographics_set(struct demographics *d, enum demographics_text f, const char *s, size_t n)
{
    if (!s || (unsigned)f >= DEMO_NTEXT)
        return -1;
    if (n == (size_t)-1)
        n = strlen(s);
    for (size_t k; (k = blank_at(s, n));)
        s += k, n -= k;
    for (size_t k; (k = blank_before(s, n));)
        n -= k;
    if (!n || n > fields[f].max || !well_formed(fields[f].check, s, n))
        return -1;
    char *copy = strndup(s, n);
    if (!copy) {
        d->failed = 1;
        return -1;
    }
    free(d->text[f]);
    d->text[f] = copy;
    if (f == DEMO_ADDRESS)
        demographics_prefecture(d, copy);
    return 0;
}

int demographics_any(const struct demographics *d)
{
    for (int f = 0; f < DEMO_NTEXT; f++)
        if (d->text[f])
            return 1;
    return d->sex[0] || d->birth_date[0] || d->postal_code[0] || d->prefecture[0];
}

int demographics_name_parts(const struct demographics *d, enum demographics_text f, char **family, char **given)
{
    const char *name = d->text[f];
    *family = *given = NULL;
    if (!name)
        return -1;
    size_t n = strcspn(name, " "), k = 1;
    const char *wide = strstr(name, "\xe3\x80\x80");
    if (wide && (size_t)(wide - name) < n)
        n = (size_t)(wide - name), k = 3;
    *family = strndup(name, n);
    if (*family && name[n]) {
        const char *rest = name + n + k;
        for (size_t b; (b = blank_at(rest, strlen(rest)));)
            rest += b;
        if (*rest && !(*given = strdup(rest))) {
            free(*family);
            *family = NULL;
        }
    }
    return *family ? 0 : -1;
}

int demographics_merge(struct demographics *d, const struct demographics *src)
{
    if (src->sex[0])
        memcpy(d->sex, src->sex, sizeof d->sex);
    if (src->birth_date[0])
        memcpy(d->birth_date, src->birth_date, sizeof d->birth_date);
    if (src->postal_code[0])
        memcpy(d->postal_code, src->postal_code, sizeof d->postal_code);
    if (src->prefecture[0])
        memcpy(d->prefecture, src->prefecture, sizeof d->prefecture);
    for (int f = 0; f < DEMO_NTEXT; f++)
        if (src->text[f] && demographics_set(d, f, src->text[f], (size_t)-1))
            return -1;
    /* A new address brings its own prefecture, or none: not the old one's. */
    if (src->text[DEMO_ADDRESS])
        memcpy(d->prefecture, src->prefecture, sizeof d->prefecture);
    if (src->from)
        d->from = src->from;
    return 0;
}

void demographics_free(struct demographics *d)
{
    for (int f = 0; f < DEMO_NTEXT; f++) {
        free(d->text[f]);
        d->text[f] = NULL;
    }
}

int demographics_json(const struct demographics *d, const char *as_of, struct buf *out)
{
    const char *names[] = {"sex", "birth_date", "postal_code", "prefecture"},
               *values[] = {d->sex, d->birth_date, d->postal_code, d->prefecture};
    buf_puts(out, "{");
    for (int f = 0; f < DEMO_NTEXT; f++)
        if (d->text[f])
            buf_printf(out, "\"%s\":", fields[f].key), buf_json_str(out, d->text[f]), buf_puts(out, ",");
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (values[i][0])
            buf_printf(out, "\"%s\":", names[i]), buf_json_str(out, values[i]), buf_puts(out, ",");
    if (d->from)
        buf_puts(out, "\"from\":"), buf_json_str(out, d->from), buf_puts(out, ",");
    buf_puts(out, "\"as_of\":");
    buf_json_str(out, as_of ? as_of : "");
    buf_puts(out, "}");
    return buf_failed(out) ? -1 : 0;
}

/* The sources a stored "from" names, as the static strings the struct holds. */
static const char *const froms[] = {"cda", "fhir", "jahis", "person"};

int demographics_parse(struct demographics *d, json_object *o, struct fault *fault)
{
    static const struct {
        const char *key;
        int (*set)(struct demographics *, const char *);
        const char *rule;
    } coded[] = {
        {"sex", demographics_sex, "\"male\" or \"female\""},
        {"birth_date", demographics_birth, "a date, YYYY-MM-DD"},
        {"postal_code", demographics_postal, "seven digits, NNN-NNNN"},
        {"prefecture", demographics_prefecture, "a prefecture's JIS X 0401 code or name"},
    };
    memset(d, 0, sizeof *d);
    if (!o || !json_object_is_type(o, json_type_object))
        return fault_set(fault, F_INVALID_STRUCTURE, NULL, "the demographics are a JSON object");
    json_object_object_foreach(o, key, v)
    {
        const char *s = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
        size_t n = s ? (size_t)json_object_get_string_len(v) : 0;
        int known = 0, bad = !s;
        if (!strcmp(key, "as_of"))
            continue;
        if (!strcmp(key, "from")) {
            for (size_t i = 0; s && i < sizeof froms / sizeof froms[0]; i++)
                if (!strcmp(s, froms[i]))
                    d->from = froms[i];
            continue;
        }
        for (int f = 0; !known && f < DEMO_NTEXT; f++)
            if (!strcmp(key, fields[f].key)) {
                known = 1;
                bad = bad || (n && strlen(s) != n) || (n && demographics_set(d, f, s, n));
                if (bad)
                    fault_set(fault, F_INVALID_VALUE, key,
                              fields[f].check == INSURER ? "%s: 6 or 8 digits"
                              : fields[f].check == PHONE ? "%s: digits, '-', '+', '(' and ')', at least 4"
                                                         : "%s: text of at most %zu bytes, without control characters",
                              key, fields[f].max);
            }
        for (size_t i = 0; !known && i < sizeof coded / sizeof coded[0]; i++)
            if (!strcmp(key, coded[i].key)) {
                known = 1;
                bad = bad || (*s && coded[i].set(d, s));
                if (bad)
                    fault_set(fault, F_INVALID_VALUE, key, "%s: %s", key, coded[i].rule);
            }
        if (!known)
            fault_set(fault, F_INVALID_VALUE, key,
                      "%.60s is not a demographic the service keeps (name, name_kana, sex, birth_date, postal_code, "
                      "prefecture, address, phone, insurer_number, insured_symbol, insured_number, insured_branch)",
                      key);
        if (d->failed)
            fault_set(fault, F_INTERNAL, NULL, "out of memory");
        if (bad || !known) {
            demographics_free(d);
            return -1;
        }
    }
    return 0;
}
