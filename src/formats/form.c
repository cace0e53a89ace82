#include "formats/form.h"

#include <stdlib.h>
#include <string.h>

#include "util/utf8.h"

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

char *form_decode(const char *s, size_t n)
{
    char *out = malloc(n + 1);
    size_t k = 0;
    for (size_t i = 0; out && i < n; i++) {
        char c = s[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            int hi = i + 2 < n ? hexval(s[i + 1]) : -1;
            int lo = i + 2 < n ? hexval(s[i + 2]) : -1;
            if (hi < 0 || lo < 0 || (c = (char)(hi << 4 | lo)) == '\0') {
                free(out);
                return NULL;
            }
            i += 2;
        }
        out[k++] = c;
    }
    if (out)
        out[k] = '\0';
    if (out && !utf8_valid(out, k)) {
        free(out);
        return NULL;
    }
    return out;
}

int form_parse(const char *body, size_t len, struct form *out, struct fault *fault)
{
    memset(out, 0, sizeof *out);
    if (memchr(body, '\0', len))
        return fault_set(fault, F_MALFORMED, NULL, "the form holds a NUL byte");
    for (size_t at = 0; at < len;) {
        const char *p = body + at;
        const char *amp = memchr(p, '&', len - at);
        size_t n = amp ? (size_t)(amp - p) : len - at;
        at += n + 1;
        if (n == 0)
            continue;
        const char *eq = memchr(p, '=', n);
        size_t name_len = eq ? (size_t)(eq - p) : n;
        if (out->n == FORM_MAX_FIELDS) {
            form_free(out);
            return fault_set(fault, F_MALFORMED, NULL, "more than %d fields in the form", FORM_MAX_FIELDS);
        }
        char *name = form_decode(p, name_len), *value = form_decode(eq ? eq + 1 : p + n, eq ? n - name_len - 1 : 0);
        if (!name || !value || !*name) {
            free(name);
            free(value);
            form_free(out);
            return fault_set(fault, F_MALFORMED, NULL, "a form field is not name=value in UTF-8 with valid %%-escapes");
        }
        if (form_get(out, name)) {
            fault_set(fault, F_MALFORMED, name, "the field %s is given more than once", name);
            free(name);
            free(value);
            form_free(out);
            return -1;
        }
        out->f[out->n].name = name;
        out->f[out->n].value = value;
        out->n++;
    }
    return 0;
}

const char *form_get(const struct form *f, const char *name)
{
    for (int i = 0; i < f->n; i++)
        if (!strcmp(f->f[i].name, name))
            return f->f[i].value;
    return NULL;
}

void form_free(struct form *f)
{
    for (int i = 0; i < f->n; i++) {
        explicit_bzero(f->f[i].value, strlen(f->f[i].value));
        free(f->f[i].name);
        free(f->f[i].value);
    }
    f->n = 0;
}

int form_encode(struct buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        int plain = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
                    *p == '-' || *p == '.' || *p == '_' || *p == '~';
        char esc[3] = {'%', hex[*p >> 4], hex[*p & 15]};
        if (plain ? buf_append(b, (const char *)p, 1) : buf_append(b, esc, 3))
            return -1;
    }
    return 0;
}
