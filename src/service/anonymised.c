/* Anonymised data sets from the service's own records (R3.13, APPI Art.43,
 * PPC rule 第34条; docs/anonymisation.md): one row per checkup of a person
 * in the period, the spec's items as columns, the quasi-identifiers from
 * the person's sealed demographics and the checkup's day; persons whose use
 * is suspended, and (when the spec names a purpose) those without a live
 * grant to it, are left out. No name, login, id or record id reaches the
 * table: rows come in random order with fresh random ids. Extreme values
 * are coded to the spec's bounds; then the engine (src/anon) generalises
 * and suppresses until k holds. */
#include <json-c/json.h>
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access/gate.h"
#include "anon/anonymise.h"
#include "crypto/seal.h"
#include "formats/anon_spec.h"
#include "formats/demographics.h"
#include "formats/json.h"
#include "formats/prefectures.h"
#include "service/anonymised_table.h"
#include "service/internal.h"
#include "service/snapshot.h"
#include "store/anonymised.h"
#include "store/demographics.h"
#include "util/clock.h"
#include "util/err.h"

#define JST_MIN (9 * 60)
#define PAGE 500

/* One checkup of one person: its day and the spec's items' values. */
struct row {
    char day[11];
    char values[ANON_SPEC_MAX_ITEMS][32];   /* "" when the checkup lacks the item */
};

struct person_rows {
    const struct anon_spec *spec;
    struct person_snapshot *snap;
    struct row *rows;
    size_t n, cap;
    int failed;
};

struct made {
    const struct anon_spec *spec;
    struct buf text;                         /* the table before anonymisation, ARX's form */
    size_t rows, persons, suspended, no_consent, no_demographics, no_checkup;
    struct service *svc;
    int failed;
};

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

static int checkup_record(void *arg, const struct record_row *r)
{
    struct person_rows *p = arg;
    const struct anon_spec *s = p->spec;
    if (!r->data_kind || strcmp(r->data_kind, "checkup") || r->effective_start < s->lo || r->effective_start > s->hi)
        return PHR_OK;
    size_t k = 0;
    while (k < s->nitems && (!r->code || strcmp(r->code, s->items[k].code)))
        k++;
    if (k == s->nitems)
        return PHR_OK;
    int err = snapshot_open_part(p->snap, r, "body");
    if (err == PHR_ECRYPTO)
        return PHR_OK; /* logged by the snapshot; that value is left out */
    if (err)
        return err;
    json_object *o = json_tokener_parse(buf_cstr(&p->snap->plain)), *q = NULL, *v = NULL;
    buf_wipe(&p->snap->plain);
    if (o && json_object_object_get_ex(o, "valueQuantity", &q) && json_object_object_get_ex(q, "value", &v)) {
        char day[11];
        clock_format_day(r->effective_start, JST_MIN, day);
        struct row *row = row_of(p, day);
        if (!row)
            err = PHR_ENOMEM;
        else
            coded(&s->items[k], json_object_get_double(v), row->values[k]);
    }
    json_object_put(o);
    return err;
}

/* The person's demographics, opened with their key. */
static int person_demographics(void *arg, const unsigned char *sealed, size_t len, const char *as_of)
{
    struct person_rows *p = arg;
    char ad[96];
    (void)as_of;
    snprintf(ad, sizeof ad, "demographics:%s", p->snap->person);
    p->snap->plain.len = 0;
    return seal_open(SEAL_XCHACHA20POLY1305, p->snap->key, ad, sealed, len, &p->snap->plain);
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
static void write_row(struct made *m, const struct row *r, const struct demographics *d)
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
            buf_puts(&m->text, prefecture_name(d->prefecture));
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
static int usable(struct made *m, struct store *rd, const char *person)
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
static int collect_person(struct made *m, const char *person)
{
    struct person_snapshot snap;
    struct person_rows p = {.spec = m->spec, .snap = &snap};
    struct demographics d = {0};
    if (snapshot_open(m->svc, person, NULL, NULL, &snap) != PHR_OK)
        return PHR_OK; /* erased meanwhile */
    int err = store_demographics_get(snap.rd, person, person_demographics, &p);
    if (err == PHR_OK) {
        json_object *o = json_tokener_parse(buf_cstr(&snap.plain));
        demographics_sex(&d, json_get_str(o, "sex"));
        demographics_birth(&d, json_get_str(o, "birth_date"));
        demographics_postal(&d, json_get_str(o, "postal_code"));
        demographics_prefecture(&d, json_get_str(o, "prefecture"));
        json_object_put(o);
        buf_wipe(&snap.plain);
    }
    if (err && err != PHR_ENOTFOUND && err != PHR_ECRYPTO)
        goto out;
    err = PHR_OK;
    if (!known(m->spec, &d)) {
        m->no_demographics++;
        goto out;
    }
    int64_t after = 0, last = 0;
    do {
        last = after;
        err = store_record_page(snap.rd, person, 1, after, PAGE, checkup_record, &p, &after);
    } while (!err && after != last);
    if (err)
        goto out;
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

static int collect(struct made *m)
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

/* The built-in hierarchy of a quasi-identifier, for the values the table holds. */
static int hierarchy_text(enum anon_qi q, const struct anon_dict *values, struct buf *b)
{
    for (uint32_t i = 0; i < values->n; i++) {
        const char *v = values->text[i];
        int n = atoi(v);
        switch (q) {
        case QI_AGE:
            buf_printf(b, "%s;%d-%d;%d-%d;%d-%d;*\n", v, n / 5 * 5, n / 5 * 5 + 4, n / 10 * 10, n / 10 * 10 + 9, n / 20 * 20,
                       n / 20 * 20 + 19);
            break;
        case QI_POSTAL_AREA:
            buf_printf(b, "%s;%.2s;%.1s;*\n", v, v, v);
            break;
        case QI_CHECKUP_YEAR:
            buf_printf(b, "%s;%d-%d;*\n", v, n / 2 * 2, n / 2 * 2 + 1);
            break;
        case QI_PREFECTURE:
            buf_printf(b, "%s;%s;*\n", v, prefecture_region(prefecture_of(v)));
            break;
        default:
            buf_printf(b, "%s;*\n", v);
            break;
        }
    }
    return buf_failed(b) ? -1 : 0;
}

/* The data set's row and its handling-history entry, in one transaction. */
struct record_job {
    struct job job;
    const struct actor *a;
    struct anonymised_row row;
    struct anonymised_sealed sealed;
    char reason[160];
};

static int record_run(struct job *j, struct store *st)
{
    struct record_job *x = (struct record_job *)j;
    int64_t id;
    int err = store_anonymised_insert(st, &x->row, &x->sealed, &id);
    return err ? err : gate_record(st, x->a, ACT_ANONYMISE, NULL, NULL, x->reason, GATE_ALLOW);
}

/* What Art.43(3) has published of a data set: its name, when it was made,
 * the items it holds (its columns), how many rows, and k. */
static int published_part(json_object *manifest, struct buf *out)
{
    json_object *items = json_object_object_get(manifest, "items"), *qis = json_object_object_get(manifest,
                                                                                                  "quasi_identifiers");
    json_object *p = json_object_new_object(), *names = json_object_new_array();
    if (!p || !names)
        return -1;
    json_object_object_foreach(qis, key, level)
    {
        (void)level;
        json_object_array_add(names, json_object_new_string(key));
    }
    static const char *const copied[] = {"name", "made_at", "statement", "purpose", "period", "rows", "k"};
    for (size_t i = 0; i < sizeof copied / sizeof copied[0]; i++)
        json_object_object_add(p, copied[i], json_object_get(json_object_object_get(manifest, copied[i])));
    json_object_object_add(p, "items", json_object_get(items));
    json_object_object_add(p, "quasi_identifiers", names);
    int rc = buf_puts(out, json_object_to_json_string_ext(p, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(p);
    return rc;
}

static int manifest(const struct made *m, const struct anon_table *t, const struct anon_config *cfg,
                    const struct anon_result *r, const struct buf *table, struct buf *out)
{
    const struct anon_spec *s = m->spec;
    unsigned char digest[crypto_hash_sha256_BYTES];
    char made_at[32];
    crypto_hash_sha256(digest, (const unsigned char *)table->data, table->len);
    clock_format_local(clock_now_ms(), JST_MIN, made_at);
    buf_puts(out, "{\"name\":"), buf_json_str(out, s->name), buf_puts(out, ",\"made_at\":"), buf_json_str(out, made_at);
    buf_puts(out, ",\"statement\":{\"ja\":\"匿名加工情報です。本人を識別するために加工の方法を取得すること、他の情報と照合することは、個人情報保護法により禁じられています。\","
                  "\"en\":\"Anonymously processed information. Obtaining the processing method, or matching it with "
                  "other information, to identify a person is forbidden by the Act on the Protection of Personal "
                  "Information.\"}");
    buf_puts(out, ",\"purpose\":"), s->purpose[0] ? buf_json_str(out, s->purpose) : buf_puts(out, "null");
    buf_printf(out, ",\"period\":{\"from\":\"%s\",\"to\":\"%s\"},\"items\":[", s->from, s->to);
    for (size_t k = 0; k < s->nitems; k++)
        buf_printf(out, "%s{\"code\":\"%s\",\"name\":", k ? "," : "", s->items[k].code), buf_json_str(out, s->items[k].name),
            buf_puts(out, "}");
    buf_puts(out, "],\"quasi_identifiers\":{");
    for (size_t q = 0; q < cfg->n_qi; q++)
        buf_printf(out, "%s\"%s\":%u", q ? "," : "", t->names[cfg->qi[q]], r->levels[q]);
    buf_puts(out, "}");
    if (s->sensitive >= 0)
        buf_printf(out, ",\"sensitive\":\"%s\",\"l\":%u,\"c\":%.6g", s->items[s->sensitive].code, s->l, s->c);
    buf_printf(out, ",\"k\":%u,\"suppression_limit\":%.6g,\"metric\":\"%s\",\"information_loss\":%.17g,"
                    "\"rows\":%zu,\"suppressed\":%zu,\"persons\":%zu,\"left_out\":{\"suspended\":%zu,"
                    "\"not_for_purpose\":%zu,\"no_demographics\":%zu,\"no_checkup\":%zu},\"sha256\":\"",
               cfg->k, cfg->suppression, cfg->metric == ANON_ENTROPY ? "entropy" : "discernibility", r->loss, t->rows,
               r->suppressed, m->persons, m->suspended, m->no_consent, m->no_demographics, m->no_checkup);
    for (size_t i = 0; i < sizeof digest; i++)
        buf_printf(out, "%02x", digest[i]);
    buf_puts(out, "\"}");
    return buf_failed(out) ? -1 : 0;
}

/* The table (m->text) anonymised into table, described in manifest. */
static int anonymise(struct made *m, struct buf *table, struct buf *manifest_out, struct fault *fault)
{
    const struct anon_spec *s = m->spec;
    struct anon_table t;
    struct anon_hierarchy h[QI_COUNT];
    size_t cols[QI_COUNT];
    struct anon_error e;
    struct anon_result r = {0};
    int rc = -1, nh = 0;
    if (anon_table_read(m->text.data, m->text.len, ';', &t, &e))
        return fault_set(fault, F_INTERNAL, NULL, "the data set could not be read back: %s", e.msg);
    for (size_t q = 0; q < s->nqi; q++, nh++) {
        struct buf text = {0};
        cols[q] = q + 1;
        int bad = hierarchy_text(s->order[q], &t.dicts[q + 1], &text) ||
                  anon_hierarchy_read(text.data ? text.data : "", text.len, ';', &t, q + 1, &h[q], &e);
        buf_free(&text);
        if (bad) {
            fault_set(fault, F_INTERNAL, NULL, "a hierarchy could not be made: %s", e.msg);
            goto out;
        }
    }
    struct anon_config cfg = {.n_qi = s->nqi, .qi = cols, .h = h, .k = s->k, .l = s->l, .c = s->c,
                              .sensitive = s->sensitive < 0 ? -1 : (long)(1 + s->nqi + (size_t)s->sensitive),
                              .diversity = s->sensitive < 0 ? ANON_NO_DIVERSITY : s->c > 0 ? ANON_RECURSIVE : ANON_DISTINCT,
                              .suppression = s->suppression, .metric = s->discernibility ? ANON_DISCERNIBILITY : ANON_ENTROPY,
                              .gs_factor = 0.5};
    if (anon_run(&t, &cfg, &r, &e)) {
        fault_set(fault, F_INVALID_VALUE, "k", "%s", e.msg);
        goto out;
    }
    if (!r.found) {
        if (s->sensitive >= 0)
            fault_set(fault, F_CONFLICT, "l", "no generalisation meets k = %u and l = %u within the suppression limit: "
                                              "raise the limit, lower k or l, or widen the period", s->k, s->l);
        else
            fault_set(fault, F_CONFLICT, "k", "no generalisation meets k = %u within the suppression limit: raise the "
                                              "limit, lower k, or widen the period", s->k);
        goto out;
    }
    if (anon_write(&t, &cfg, &r, ';', table) || manifest(m, &t, &cfg, &r, table, manifest_out)) {
        fault_set(fault, F_INTERNAL, NULL, "out of memory");
        goto out;
    }
    rc = 0;
out:
    for (int i = 0; i < nh; i++)
        anon_hierarchy_free(&h[i]);
    anon_result_free(&r);
    anon_table_free(&t);
    return rc;
}

int anonymised_make(struct service *svc, const struct actor *a, const char *spec_json, size_t len, struct buf *table,
                    struct buf *manifest_out, struct fault *fault)
{
    struct anon_spec spec;
    if (gate_decide(a, ACT_ANONYMISE, NULL) == GATE_DENY)
        return fault_set(fault, F_FORBIDDEN, NULL, "anonymised data sets are made by the information-asset manager");
    if (anon_spec_parse(spec_json, len, &spec, fault))
        return -1;
    struct made m = {.spec = &spec, .svc = svc};
    buf_puts(&m.text, "row");
    for (size_t q = 0; q < spec.nqi; q++)
        buf_printf(&m.text, ";%s", anon_qi_name(spec.order[q]));
    for (size_t k = 0; k < spec.nitems; k++)
        buf_printf(&m.text, ";%s", spec.items[k].code);
    buf_puts(&m.text, "\n");
    int rc = -1;
    int err = collect(&m);
    if (err || buf_failed(&m.text) || shuffle(&m.text)) {
        fault_set(fault, F_UNAVAILABLE, NULL, "the records could not be read");
        goto out;
    }
    if (!m.rows) {
        fault_set(fault, F_NOT_FOUND, "period", "no checkup of a person who may be included falls in the period");
        goto out;
    }
    if (anonymise(&m, table, manifest_out, fault))
        goto out;
    struct record_job x = {.job = {.run = record_run}, .a = a};
    char by[64];
    json_object *parsed = json_tokener_parse(buf_cstr(manifest_out));
    struct buf published = {0}, method = {0};
    struct anonymised_kept kept = {0};
    gate_actor_name(a, by);
    snprintf(x.reason, sizeof x.reason, "anonymised:%s rows:%zu", spec.name, m.rows);
    x.row = (struct anonymised_row){.name = spec.name, .made_at = clock_now_ms(), .made_by = by,
                                    .table_sha256 = json_get_str(parsed, "sha256")};
    /* The method (加工方法等情報): the spec as written and the manifest with the levels reached. */
    if (!parsed || anonymised_seal(svc, spec.name, table, &kept) || published_part(parsed, &published) ||
        buf_puts(&method, "{\"spec\":") ||
        buf_append(&method, spec_json, len) || buf_puts(&method, ",\"manifest\":") ||
        buf_puts(&method, buf_cstr(manifest_out)) || buf_puts(&method, "}")) {
        fault_set(fault, F_INTERNAL, NULL, "out of memory");
    } else {
        x.row.published = buf_cstr(&published);
        x.row.method = buf_cstr(&method);
        x.sealed = (struct anonymised_sealed){.key = kept.key, .key_len = sizeof kept.key,
                                              .table = (const unsigned char *)kept.table.data,
                                              .table_len = kept.table.len};
        err = writer_call(svc->writer, &x.job);
        if (err == PHR_ECONFLICT)
            fault_set(fault, F_CONFLICT, "name", "a data set named %s was made before: choose another name", spec.name);
        else if (err)
            fault_set(fault, F_UNAVAILABLE, NULL, "the data set could not be recorded");
        rc = err ? -1 : 0;
    }
    json_object_put(parsed);
    anonymised_kept_free(&kept);
    buf_free(&published);
    buf_free(&method);
out:
    buf_wipe(&m.text);
    if (rc) {
        buf_wipe(table);
        buf_free(manifest_out);
    }
    return rc;
}
