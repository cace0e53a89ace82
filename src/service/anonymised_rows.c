/* The rows of an anonymised data set from the service's own records
 * (R3.13, APPI Art.43, PPC rule 第34条; docs/anonymisation.md): one row per
 * checkup of a person in the period, the spec's items as columns, the
 * quasi-identifiers from the person's sealed demographics and the checkup's
 * day; persons whose use is suspended, and (when the spec names a purpose)
 * those without a live grant to it, are left out. No name, login, id or
 * record id reaches the table: rows come in random order with fresh random
 * ids. Extreme values are coded to the spec's bounds. */
#include <json-c/json.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anon/table.h"
#include "crypto/seal.h"
#include "formats/demographics.h"
#include "formats/fhirtime.h"
#include "formats/json.h"
#include "formats/medicine.h"
#include "formats/prefectures.h"
#include "service/anonymised_rows.h"
#include "service/internal.h"
#include "service/snapshot.h"
#include "util/clock.h"
#include "util/err.h"

#define JST_MIN (9 * 60)
#define PAGE 500

/* One checkup of one person: its day and the spec's items' values. */
struct row {
    char day[11];
    char values[ANON_SPEC_MAX_ITEMS][32];   /* "" when the checkup lacks the item */
};

/* A vital sign's measurement, or a dispensing with the 薬効分類 its codes
 * carry (n == 0: none known), kept until the rows' windows are known. */
struct sample {
    size_t item;
    int64_t at;
    double value;
};

struct dispensing {
    int64_t at;
    char classes[4][5];
    size_t n;
};

struct person_rows {
    const struct anon_spec *spec;
    struct person_snapshot *snap;
    struct row *rows;
    size_t n, cap;
    struct sample *samples;
    size_t nsamples, samples_cap;
    struct dispensing *dispensed;
    size_t ndispensed, dispensed_cap;
};

#define DAY_MS (24 * 60 * 60 * 1000LL)

/* The array at base (n elements of size), with room for one more: base
 * itself, or moved and *cap grown; NULL out of memory (base untouched). */
static void *room(void *base, size_t n, size_t *cap, size_t size)
{
    if (n < *cap)
        return base;
    size_t c = *cap ? *cap * 2 : 16;
    void *p = realloc(base, c * size);
    if (p)
        *cap = c;
    return p;
}

static int has_kind(const struct anon_spec *s, enum anon_item_kind kind)
{
    for (size_t k = 0; k < s->nitems; k++)
        if (s->items[k].kind == kind)
            return 1;
    return 0;
}

static struct row *row_of(struct person_rows *p, const char *day)
{
    for (size_t i = 0; i < p->n; i++)
        if (!strcmp(p->rows[i].day, day))
            return &p->rows[i];
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 4;
        struct row *rows = realloc(p->rows, cap * sizeof *rows);
        if (!rows)
            return NULL;
        p->rows = rows;
        p->cap = cap;
    }
    struct row *r = &p->rows[p->n++];
    memset(r, 0, sizeof *r);
    snprintf(r->day, sizeof r->day, "%s", day);
    return r;
}

/* A value coded to the spec's bounds (特異な記述): beyond one, the bound. */
static void coded(const struct anon_item *it, double v, char out[32])
{
    if (it->has_top && v > it->top)
        snprintf(out, 32, "≥%.10g", it->top);
    else if (it->has_bottom && v < it->bottom)
        snprintf(out, 32, "≤%.10g", it->bottom);
    else
        snprintf(out, 32, "%.10g", v);
}

/* The record's body, opened: NULL (and 0) for one that does not open,
 * which the snapshot logs and the data set leaves out. */
static int open_body(struct person_rows *p, const struct record_row *r, json_object **out)
{
    *out = NULL;
    int err = snapshot_open_part(p->snap, r, "body");
    if (err == PHR_ECRYPTO)
        return PHR_OK;
    if (err)
        return err;
    *out = json_tokener_parse(buf_cstr(&p->snap->plain));
    buf_wipe(&p->snap->plain);
    return PHR_OK;
}

/* Whether a CodeableConcept has a coding of that code. */
static int coded_as(json_object *concept, const char *code)
{
    json_object *codings = NULL;
    json_object_object_get_ex(concept, "coding", &codings);
    for (size_t j = 0; json_object_is_type(codings, json_type_array) && j < json_object_array_length(codings); j++) {
        const char *c = json_get_str(json_object_array_get_idx(codings, j), "code");
        if (c && !strcmp(c, code))
            return 1;
    }
    return 0;
}

/* valueQuantity.value of o, or of its component coded so. */
static int quantity(json_object *o, const char *component, double *value)
{
    json_object *q = NULL, *v = NULL, *parts = NULL, *found = component ? NULL : o;
    if (component && json_object_object_get_ex(o, "component", &parts) && json_object_is_type(parts, json_type_array))
        for (size_t i = 0; !found && i < json_object_array_length(parts); i++) {
            json_object *part = json_object_array_get_idx(parts, i), *code = NULL;
            if (json_object_object_get_ex(part, "code", &code) && coded_as(code, component))
                found = part;
        }
    if (!found || !json_object_object_get_ex(found, "valueQuantity", &q) || !json_object_object_get_ex(q, "value", &v) ||
        (!json_object_is_type(v, json_type_double) && !json_object_is_type(v, json_type_int)))
        return 0;
    *value = json_object_get_double(v);
    return 1;
}

/* A checkup result in the period: a row for its day. With no checkup item
 * in the spec, any result makes the day's row (its vitals and medication
 * are then what the row holds). */
static int checkup_record(struct person_rows *p, const struct record_row *r)
{
    const struct anon_spec *s = p->spec;
    char day[11];
    if (r->effective_start < s->lo || r->effective_start > s->hi)
        return PHR_OK;
    clock_format_day(r->effective_start, JST_MIN, day);
    if (!has_kind(s, ITEM_CHECKUP))
        return row_of(p, day) ? PHR_OK : PHR_ENOMEM;
    size_t k = 0;
    while (k < s->nitems && (s->items[k].kind != ITEM_CHECKUP || !r->code || strcmp(r->code, s->items[k].code)))
        k++;
    if (k == s->nitems)
        return PHR_OK;
    json_object *o, *concept = NULL, *codings = NULL;
    double v;
    int err = open_body(p, r, &o);
    const char *code = NULL;
    if (!err && o && s->items[k].coded && json_object_object_get_ex(o, "valueCodeableConcept", &concept) &&
        json_object_object_get_ex(concept, "coding", &codings) && json_object_is_type(codings, json_type_array))
        code = json_get_str(json_object_array_get_idx(codings, 0), "code");
    if (!err && o && (code ? strlen(code) < 32 : !s->items[k].coded && quantity(o, NULL, &v))) {
        struct row *row = row_of(p, day);
        if (!row)
            err = PHR_ENOMEM;
        else if (code)
            snprintf(row->values[k], sizeof row->values[k], "%s", code);
        else
            coded(&s->items[k], v, row->values[k]);
    }
    json_object_put(o);
    return err;
}

/* A measurement of a vital sign the spec names, kept with its time. */
static int vital_record(struct person_rows *p, const struct record_row *r)
{
    const struct anon_spec *s = p->spec;
    json_object *o = NULL;
    int err = PHR_OK;
    for (size_t k = 0; !err && k < s->nitems; k++) {
        const struct anon_item *it = &s->items[k];
        double v;
        if (it->kind != ITEM_VITAL || strcmp(it->data_kind, r->data_kind))
            continue;
        if (!o && ((err = open_body(p, r, &o)) || !o))
            break;
        if (!quantity(o, it->component, &v))
            continue;
        struct sample *more = room(p->samples, p->nsamples, &p->samples_cap, sizeof *more);
        if (!more) {
            err = PHR_ENOMEM;
            break;
        }
        p->samples = more;
        p->samples[p->nsamples++] = (struct sample){k, r->effective_start, v};
    }
    json_object_put(o);
    return err;
}

/* The codes that carry a 薬効分類 in their first digits: YJ, 一般名 and
 * 薬価基準収載医薬品 codes (レセプト電算 and HOT codes do not). */
static int carries_class(const char *system, const char *code)
{
    return system && code && strlen(code) >= 4 && strspn(code, "0123456789") >= 4 &&
           (!strcmp(system, "urn:oid:1.2.392.100495.20.1.73") || !strcmp(system, "urn:oid:1.2.392.100495.20.1.81") ||
            !strcmp(system, "urn:phr:drug-code:mhlw"));
}

static void add_class(struct dispensing *d, const char *system, const char *code)
{
    if (d->n < 4 && carries_class(system, code))
        snprintf(d->classes[d->n++], sizeof d->classes[0], "%.4s", code);
}

static void add_classes(struct dispensing *d, json_object *concept)
{
    json_object *codings;
    if (!json_object_object_get_ex(concept, "coding", &codings) || !json_object_is_type(codings, json_type_array))
        return;
    for (size_t j = 0; j < json_object_array_length(codings); j++) {
        json_object *c = json_object_array_get_idx(codings, j);
        add_class(d, json_get_str(c, "system"), json_get_str(c, "code"));
    }
}

/* A dispensing, with the classes its record's code and its medicine's
 * codings carry. */
static int medication_record(struct person_rows *p, const struct record_row *r)
{
    json_object *o;
    int err = open_body(p, r, &o);
    if (err)
        return err;
    struct dispensing *more = room(p->dispensed, p->ndispensed, &p->dispensed_cap, sizeof *more);
    if (!more) {
        json_object_put(o);
        return PHR_ENOMEM;
    }
    p->dispensed = more;
    struct dispensing *d = &p->dispensed[p->ndispensed++];
    *d = (struct dispensing){.at = r->effective_start};
    add_class(d, r->code_system, r->code);
    /* The medicine's codings; a compound's are its ingredients'. */
    add_classes(d, medicine_concept(o));
    json_object *ingredients = medicine_ingredients(o), *item;
    for (size_t k = 0; ingredients && k < json_object_array_length(ingredients); k++)
        if (json_object_object_get_ex(json_object_array_get_idx(ingredients, k), "itemCodeableConcept", &item))
            add_classes(d, item);
    json_object_put(o);
    return PHR_OK;
}

static int person_record(void *arg, const struct record_row *r)
{
    struct person_rows *p = arg;
    const struct anon_spec *s = p->spec;
    if (!r->data_kind)
        return PHR_OK;
    if (!strcmp(r->data_kind, "checkup"))
        return checkup_record(p, r);
    if (r->effective_start < s->lo - (int64_t)s->window_days * DAY_MS || r->effective_start > s->hi)
        return PHR_OK;
    if (!strcmp(r->data_kind, "medication"))
        return has_kind(s, ITEM_MEDICATION) ? medication_record(p, r) : PHR_OK;
    return has_kind(s, ITEM_VITAL) ? vital_record(p, r) : PHR_OK;
}

/* Each row's vitals (the mean in the window of days up to its checkup)
 * and medication (dispensed in that window: 1; none: 0; a dispensing of
 * unknown class and no match: blank). */
static void fill_windows(struct person_rows *p)
{
    const struct anon_spec *s = p->spec;
    for (size_t i = 0; i < p->n; i++) {
        struct row *row = &p->rows[i];
        int64_t lo, hi;
        if (fhirtime_parse(row->day, FHIRTIME_SEARCH, JST_MIN, &lo, &hi))
            continue;
        lo -= (int64_t)(s->window_days - 1) * DAY_MS;
        for (size_t k = 0; k < s->nitems; k++) {
            const struct anon_item *it = &s->items[k];
            if (it->kind == ITEM_VITAL) {
                double sum = 0;
                size_t n = 0;
                for (size_t x = 0; x < p->nsamples; x++)
                    if (p->samples[x].item == k && p->samples[x].at >= lo && p->samples[x].at <= hi)
                        sum += p->samples[x].value, n++;
                if (n)
                    coded(it, sum / (double)n, row->values[k]);
            } else if (it->kind == ITEM_MEDICATION) {
                int match = 0, unknown = 0;
                for (size_t x = 0; x < p->ndispensed; x++) {
                    const struct dispensing *d = &p->dispensed[x];
                    if (d->at < lo || d->at > hi)
                        continue;
                    unknown |= !d->n;
                    for (size_t c = 0; c < d->n; c++)
                        match |= !strncmp(d->classes[c], it->drug_class, strlen(it->drug_class));
                }
                snprintf(row->values[k], sizeof row->values[k], "%s", match ? "1" : unknown ? "" : "0");
            }
        }
    }
}

/* Whole years from birth to the day (both YYYY-MM-DD). */
static int age_on(const char *birth, const char *day)
{
    int by, bm, bd, y, m, d;
    if (sscanf(birth, "%4d-%2d-%2d", &by, &bm, &bd) != 3 || sscanf(day, "%4d-%2d-%2d", &y, &m, &d) != 3)
        return -1;
    return y - by - (m < bm || (m == bm && d < bd));
}

/* A row of the table: a fresh random id, the quasi-identifiers, the items. */
static void write_row(struct anonymised_rows *m, const struct row *r, const struct demographics *d)
{
    const struct anon_spec *s = m->spec;
    unsigned char id[8];
    randombytes_buf(id, sizeof id);
    for (size_t i = 0; i < sizeof id; i++)
        buf_printf(&m->text, "%02x", id[i]);
    for (size_t q = 0; q < s->nqi; q++) {
        buf_puts(&m->text, ";");
        switch (s->order[q]) {
        case QI_AGE:
            buf_printf(&m->text, "%d", age_on(d->birth_date, r->day));
            break;
        case QI_SEX:
            buf_puts(&m->text, d->sex);
            break;
        case QI_POSTAL_AREA:
            buf_printf(&m->text, "%.3s", d->postal_code);
            break;
        case QI_PREFECTURE:
            buf_puts(&m->text, prefecture_name(d->prefecture)); /* known(): a code prefectures.c gave */
            break;
        default:
            buf_printf(&m->text, "%.4s", r->day);
            break;
        }
    }
    for (size_t k = 0; k < s->nitems; k++)
        buf_printf(&m->text, ";%s", r->values[k]);
    buf_puts(&m->text, "\n");
}

/* Whether the person's data may be used for this data set. */
static int usable(struct anonymised_rows *m, struct store *rd, const char *person)
{
    struct consent_facts f;
    int in_use = 1;
    if (store_consent_facts(rd, person, &f) != PHR_OK)
        return 0;
    if (f.suspended_all) {
        m->suspended++;
        return 0;
    }
    if (f.missing[0] || (m->spec->purpose[0] && (store_purpose_in_use(rd, person, m->spec->purpose, &in_use) ||
                                                 !in_use))) {
        m->no_consent++;
        return 0;
    }
    return 1;
}

/* Whether the person's demographics hold what the quasi-identifiers need. */
static int known(const struct anon_spec *s, const struct demographics *d)
{
    return (!s->qi[QI_AGE] || d->birth_date[0]) && (!s->qi[QI_SEX] || d->sex[0]) &&
           (!s->qi[QI_POSTAL_AREA] || d->postal_code[0]) && (!s->qi[QI_PREFECTURE] || d->prefecture[0]);
}

/* Reads one person's demographics and checkups in one snapshot and
 * writes their rows. */
static int collect_person(struct anonymised_rows *m, const char *person)
{
    struct person_snapshot snap;
    struct person_rows p = {.spec = m->spec, .snap = &snap};
    struct demographics d = {0};
    if (snapshot_open(m->svc, person, NULL, NULL, &snap) != PHR_OK)
        return PHR_OK; /* erased meanwhile */
    /* Only the quasi-identifiers are read of them (write_row). */
    int err = person_demographics_load(snap.rd, person, snap.key, &d, NULL);
    if (err && err != PHR_ENOTFOUND && err != PHR_ECRYPTO && err != PHR_EIO)
        goto out;
    err = PHR_OK;
    if (!known(m->spec, &d)) {
        m->no_demographics++;
        goto out;
    }
    int64_t after = 0, last = 0;
    do {
        last = after;
        err = store_record_page(snap.rd, person, 1, after, PAGE, person_record, &p, &after);
    } while (!err && after != last);
    if (err)
        goto out;
    fill_windows(&p);
    /* With a sensitive item, a checkup without it is no row: its blank
     * would count as one more distinct value. */
    size_t rows = 0;
    for (size_t i = 0; i < p.n; i++)
        if (m->spec->sensitive < 0 || p.rows[i].values[m->spec->sensitive][0]) {
            write_row(m, &p.rows[i], &d);
            rows++;
        }
    if (!rows)
        m->no_checkup++;
    else
        m->persons++;
    m->rows += rows;
out:
    for (size_t i = 0; i < p.n; i++)
        sodium_memzero(p.rows[i].values, sizeof p.rows[i].values);
    free(p.rows);
    if (p.samples)
        sodium_memzero(p.samples, p.samples_cap * sizeof *p.samples);
    free(p.samples);
    free(p.dispensed);
    demographics_free(&d);
    snapshot_close(&snap);
    return err;
}

/* The active persons' ids, NUL-separated, taken first so that no reader
 * is held while each person's snapshot is open. */
static int person_id(void *arg, const char *person)
{
    struct buf *ids = arg;
    return buf_append(ids, person, strlen(person) + 1) ? PHR_ENOMEM : PHR_OK;
}

static int collect(struct anonymised_rows *m)
{
    struct buf ids = {0};
    struct store *rd;
    if (service_reader(m->svc, &rd) != PHR_OK)
        return PHR_EIO;
    int err = store_persons_active(rd, person_id, &ids);
    service_reader_done(m->svc, rd);
    for (size_t at = 0; !err && at < ids.len; at += strlen(ids.data + at) + 1) {
        const char *person = ids.data + at;
        if ((err = service_reader(m->svc, &rd)) != PHR_OK)
            break;
        int ok = usable(m, rd, person);
        service_reader_done(m->svc, rd);
        if (ok)
            err = collect_person(m, person);
    }
    buf_free(&ids);
    return err;
}

/* The rows in random order: their order says nothing of the persons'. */
static int shuffle(struct buf *text)
{
    size_t n = 0, cap = 0, *at = NULL;
    const char *first = memchr(text->data, '\n', text->len);
    for (const char *p = first ? first + 1 : NULL; p && p < text->data + text->len; p = strchr(p, '\n') + 1)
        if (anon_push(&at, &n, &cap, (size_t)(p - text->data)))
            return -1;
    for (size_t i = n; i > 1; i--) {
        size_t j = randombytes_uniform((uint32_t)i), t = at[i - 1];
        at[i - 1] = at[j];
        at[j] = t;
    }
    struct buf out = {0};
    buf_append(&out, text->data, first ? (size_t)(first - text->data) + 1 : text->len);
    for (size_t i = 0; i < n; i++) {
        const char *line = text->data + at[i];
        buf_append(&out, line, (size_t)(strchr(line, '\n') - line) + 1);
    }
    free(at);
    if (buf_failed(&out)) {
        buf_free(&out);
        return -1;
    }
    buf_wipe(text);
    *text = out;
    return 0;
}

int anonymised_rows_collect(struct anonymised_rows *m)
{
    const struct anon_spec *s = m->spec;
    buf_puts(&m->text, "row");
    for (size_t q = 0; q < s->nqi; q++)
        buf_printf(&m->text, ";%s", anon_qi_name(s->order[q]));
    for (size_t k = 0; k < s->nitems; k++)
        buf_printf(&m->text, ";%s", s->items[k].code);
    buf_puts(&m->text, "\n");
    int err = collect(m);
    if (!err && (buf_failed(&m->text) || shuffle(&m->text)))
        err = PHR_ENOMEM;
    return err;
}
