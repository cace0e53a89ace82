#include "anon/table.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/utf8.h"

static void fail(struct anon_error *e, size_t line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void fail(struct anon_error *e, size_t line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    e->line = line;
    int n = line ? snprintf(e->msg, sizeof e->msg, "line %zu: ", line) : 0;
    vsnprintf(e->msg + n, sizeof e->msg - (size_t)n, fmt, ap);
    va_end(ap);
}

/* ---- dictionaries: FNV-1a over the bytes, open addressing ---- */

static uint32_t hash(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

uint32_t anon_dict_find(const struct anon_dict *d, const char *s, size_t n)
{
    if (!d->slots)
        return UINT32_MAX;
    for (uint32_t i = hash(s, n) & (d->slots - 1);; i = (i + 1) & (d->slots - 1)) {
        uint32_t id = d->slot[i];
        if (!id)
            return UINT32_MAX;
        const char *t = d->text[id - 1];
        if (strlen(t) == n && !memcmp(t, s, n))
            return id - 1;
    }
}

static int dict_grow(struct anon_dict *d)
{
    uint32_t slots = d->slots ? d->slots * 2 : 64;
    uint32_t *slot = calloc(slots, sizeof *slot);
    char **text = realloc(d->text, (size_t)slots / 2 * sizeof *text);
    if (!slot || !text) {
        free(slot);
        if (text)
            d->text = text;
        return -1;
    }
    d->text = text;
    d->cap = slots / 2;
    for (uint32_t id = 0; id < d->n; id++) {
        uint32_t i = hash(text[id], strlen(text[id])) & (slots - 1);
        while (slot[i])
            i = (i + 1) & (slots - 1);
        slot[i] = id + 1;
    }
    free(d->slot);
    d->slot = slot;
    d->slots = slots;
    return 0;
}

/* The id of s, added if new; UINT32_MAX out of memory. */
static uint32_t dict_add(struct anon_dict *d, const char *s, size_t n)
{
    uint32_t id = anon_dict_find(d, s, n);
    if (id != UINT32_MAX)
        return id;
    if (d->n + 1 > d->cap && dict_grow(d))
        return UINT32_MAX;
    char *copy = malloc(n + 1);
    if (!copy)
        return UINT32_MAX;
    memcpy(copy, s, n);
    copy[n] = '\0';
    uint32_t i = hash(s, n) & (d->slots - 1);
    while (d->slot[i])
        i = (i + 1) & (d->slots - 1);
    d->text[d->n] = copy;
    d->slot[i] = ++d->n;
    return d->n - 1;
}

void anon_dict_free(struct anon_dict *d)
{
    for (uint32_t i = 0; d->text && i < d->n; i++)
        free(d->text[i]);
    free(d->text);
    free(d->slot);
    memset(d, 0, sizeof *d);
}

/* ---- rows of ARX's text files ---- */

struct reader {
    const char *p, *end;
    char sep;
    size_t line;
    struct buf text;          /* the row's fields, each NUL-terminated */
    size_t *at, n, cap;       /* where each field starts in text */
};

int anon_push(size_t **v, size_t *n, size_t *cap, size_t x)
{
    if (*n == *cap) {
        size_t more = *cap ? *cap * 2 : 64;
        size_t *grown = realloc(*v, more * sizeof *grown);
        if (!grown)
            return -1;
        *v = grown;
        *cap = more;
    }
    (*v)[(*n)++] = x;
    return 0;
}

static int add_field(struct reader *r, const char *s, size_t n)
{
    return anon_push(&r->at, &r->n, &r->cap, r->text.len) || buf_append(&r->text, s, n) || buf_append(&r->text, "", 1);
}

static const char *field(const struct reader *r, size_t i)
{
    return r->text.data + r->at[i];
}

/* A quoted field from just after its opening quote: "" is a quote. */
static int quoted(struct reader *r, struct anon_error *e)
{
    struct buf *b = &r->text;
    size_t opened = r->line;
    r->at[r->n - 1] = b->len;
    for (;;) {
        if (r->p == r->end)
            return fail(e, opened, "a quoted field is not closed"), -1;
        char c = *r->p++;
        if (c == '"') {
            if (r->p < r->end && *r->p == '"') {
                r->p++;
            } else {
                break;
            }
        } else if (c == '\n') {
            r->line++;
        }
        if (buf_append(b, &c, 1))
            return fail(e, r->line, "out of memory"), -1;
    }
    if (buf_append(b, "", 1))
        return fail(e, r->line, "out of memory"), -1;
    if (r->p < r->end && *r->p != r->sep && *r->p != '\r' && *r->p != '\n')
        return fail(e, r->line, "text after a closing quote"), -1;
    return 0;
}

/* 1 and the row's fields, 0 at the end (blank lines at the end are no
 * rows), -1 with *e set. */
static int next_row(struct reader *r, struct anon_error *e)
{
    const char *rest = r->p;
    while (rest < r->end && (*rest == '\r' || *rest == '\n'))
        rest++;
    if (rest == r->end)
        return 0;
    r->line++;
    buf_reset(&r->text);
    r->n = 0;
    for (;;) {
        if (r->p < r->end && *r->p == '"') {
            r->p++;
            if (add_field(r, "", 0))
                return fail(e, r->line, "out of memory"), -1;
            if (quoted(r, e))
                return -1;
        } else {
            const char *s = r->p;
            while (r->p < r->end && *r->p != r->sep && *r->p != '\n')
                r->p++;
            size_t n = (size_t)(r->p - s);
            if (n && s[n - 1] == '\r' && (r->p == r->end || *r->p == '\n'))
                n--;
            if (add_field(r, s, n))
                return fail(e, r->line, "out of memory"), -1;
        }
        if (r->p < r->end && *r->p == r->sep) {
            r->p++;
            continue;
        }
        if (r->p < r->end && *r->p == '\r')
            r->p++;
        if (r->p < r->end && *r->p == '\n')
            r->p++;
        break;
    }
    for (size_t i = 0; i < r->n; i++)
        if (!utf8_valid(field(r, i), strlen(field(r, i))))
            return fail(e, r->line, "field %zu is not UTF-8 text", i + 1), -1;
    return 1;
}

static void reader_start(struct reader *r, const char *text, size_t len, char sep)
{
    memset(r, 0, sizeof *r);
    r->p = text;
    r->end = text + len;
    r->sep = sep;
    if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3))
        r->p += 3;
}

static void reader_free(struct reader *r)
{
    buf_free(&r->text);
    free(r->at);
}

/* ---- the table ---- */

void anon_table_free(struct anon_table *t)
{
    for (size_t i = 0; t->names && i < t->cols; i++)
        free(t->names[i]);
    for (size_t i = 0; t->dicts && i < t->cols; i++)
        anon_dict_free(&t->dicts[i]);
    free(t->names);
    free(t->dicts);
    free(t->cells);
    memset(t, 0, sizeof *t);
}

long anon_table_column(const struct anon_table *t, const char *name)
{
    for (size_t i = 0; i < t->cols; i++)
        if (!strcmp(t->names[i], name))
            return (long)i;
    return -1;
}

static int header(struct anon_table *t, const struct reader *r, struct anon_error *e)
{
    t->cols = r->n;
    t->names = calloc(r->n, sizeof *t->names);
    t->dicts = calloc(r->n, sizeof *t->dicts);
    if (!t->names || !t->dicts)
        return fail(e, 1, "out of memory"), -1;
    for (size_t i = 0; i < r->n; i++) {
        if (!field(r, i)[0])
            return fail(e, 1, "column %zu has no name", i + 1), -1;
        for (size_t j = 0; j < i; j++)
            if (!strcmp(t->names[j], field(r, i)))
                return fail(e, 1, "two columns are named \"%.60s\"", field(r, i)), -1;
        if (!(t->names[i] = strdup(field(r, i))))
            return fail(e, 1, "out of memory"), -1;
    }
    return 0;
}

int anon_table_read(const char *text, size_t len, char sep, struct anon_table *t, struct anon_error *e)
{
    struct reader r;
    size_t cap = 0;
    int rc = -1;
    memset(t, 0, sizeof *t);
    memset(e, 0, sizeof *e);
    reader_start(&r, text, len, sep);
    int got = next_row(&r, e);
    if (got <= 0) {
        if (!got)
            fail(e, 0, "the table is empty: a header row naming the columns comes first");
        goto out;
    }
    if (header(t, &r, e))
        goto out;
    while ((got = next_row(&r, e)) > 0) {
        if (r.n != t->cols) {
            fail(e, r.line, "%zu field(s), but the header names %zu columns", r.n, t->cols);
            goto out;
        }
        if ((t->rows + 1) * t->cols > cap) {
            size_t more = cap ? cap * 2 : t->cols * 1024;
            uint32_t *cells = realloc(t->cells, more * sizeof *cells);
            if (!cells) {
                fail(e, r.line, "out of memory");
                goto out;
            }
            t->cells = cells;
            cap = more;
        }
        for (size_t i = 0; i < t->cols; i++) {
            uint32_t id = dict_add(&t->dicts[i], field(&r, i), strlen(field(&r, i)));
            if (id == UINT32_MAX) {
                fail(e, r.line, "out of memory");
                goto out;
            }
            t->cells[t->rows * t->cols + i] = id;
        }
        t->rows++;
    }
    if (got < 0)
        goto out;
    if (!t->rows) {
        fail(e, 0, "the table has a header but no rows");
        goto out;
    }
    rc = 0;
out:
    reader_free(&r);
    if (rc)
        anon_table_free(t);
    return rc;
}

/* ---- hierarchies ---- */

void anon_hierarchy_free(struct anon_hierarchy *h)
{
    for (uint32_t l = 0; h->labels && l < h->levels; l++)
        anon_dict_free(&h->labels[l]);
    free(h->labels);
    free(h->map);
    memset(h, 0, sizeof *h);
}

/* A value at one level always becomes the same value at the next. */
static int consistent(const struct anon_hierarchy *h, const char *name, struct anon_error *e)
{
    int rc = 0;
    for (uint32_t l = 1; l + 1 < h->levels && !rc; l++) {
        uint32_t *parent = malloc(h->labels[l].n * sizeof *parent);
        if (!parent)
            return fail(e, 0, "out of memory"), -1;
        memset(parent, 0xff, h->labels[l].n * sizeof *parent);
        for (uint32_t v = 0; v < h->n && !rc; v++) {
            uint32_t here = h->map[l * h->n + v], up = h->map[(l + 1) * h->n + v];
            if (parent[here] == UINT32_MAX) {
                parent[here] = up;
            } else if (parent[here] != up) {
                fail(e, 0, "the hierarchy of %.40s generalises \"%.40s\" (level %u) to both \"%.40s\" and \"%.40s\"", name,
                     h->labels[l].text[here], l, h->labels[l + 1].text[parent[here]], h->labels[l + 1].text[up]);
                rc = -1;
            }
        }
        free(parent);
    }
    return rc;
}

int anon_hierarchy_read(const char *text, size_t len, char sep, const struct anon_table *t, size_t col,
                        struct anon_hierarchy *h, struct anon_error *e)
{
    struct reader r;
    const struct anon_dict *values = &t->dicts[col];
    unsigned char *seen = calloc(values->n ? values->n : 1, 1);
    int got, rc = -1;
    memset(h, 0, sizeof *h);
    memset(e, 0, sizeof *e);
    reader_start(&r, text, len, sep);
    if (!seen) {
        fail(e, 0, "out of memory");
        goto out;
    }
    h->n = values->n;
    while ((got = next_row(&r, e)) > 0) {
        if (!h->levels) {
            h->levels = (uint32_t)r.n;
            h->map = calloc((size_t)h->levels * h->n, sizeof *h->map);
            h->labels = calloc(h->levels, sizeof *h->labels);
            if (!h->map || !h->labels) {
                fail(e, r.line, "out of memory");
                goto out;
            }
        } else if (r.n != h->levels) {
            fail(e, r.line, "%zu level(s), but the first row has %u", r.n, h->levels);
            goto out;
        }
        uint32_t v = anon_dict_find(values, field(&r, 0), strlen(field(&r, 0)));
        if (v == UINT32_MAX)
            continue;
        if (seen[v]) {
            fail(e, r.line, "\"%.60s\" has a row already", field(&r, 0));
            goto out;
        }
        seen[v] = 1;
        for (uint32_t l = 0; l < h->levels; l++) {
            uint32_t id = dict_add(&h->labels[l], field(&r, l), strlen(field(&r, l)));
            if (id == UINT32_MAX) {
                fail(e, r.line, "out of memory");
                goto out;
            }
            h->map[(size_t)l * h->n + v] = id;
        }
    }
    if (got < 0)
        goto out;
    for (uint32_t v = 0; v < h->n; v++)
        if (!seen[v]) {
            fail(e, 0, "the hierarchy of %.60s has no row for the value \"%.60s\"", t->names[col], values->text[v]);
            goto out;
        }
    rc = consistent(h, t->names[col], e);
out:
    free(seen);
    reader_free(&r);
    if (rc)
        anon_hierarchy_free(h);
    return rc;
}
