/* Anonymised data sets from the service's own records (R3.13, APPI Art.43,
 * PPC rule 第34条; docs/anonymisation.md): the rows (anonymised_rows.c)
 * generalised and suppressed by the engine (src/anon) until k (and l)
 * hold; the table and its manifest recorded, the table kept sealed
 * (anonymised_table.c), what it holds published. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access/gate.h"
#include "anon/anonymise.h"
#include "crypto/digest.h"
#include "formats/anon_spec.h"
#include "formats/json.h"
#include "formats/prefectures.h"
#include "service/anonymised_rows.h"
#include "service/anonymised_table.h"
#include "service/internal.h"
#include "store/anonymised.h"
#include "util/clock.h"
#include "util/err.h"

#define JST_MIN (9 * 60)

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
        case QI_PREFECTURE: {
            /* Every value is a name from prefectures.c (write_row's); none other could have a region. */
            const char *region = prefecture_region(prefecture_of(v));
            buf_printf(b, "%s;%s;*\n", v, region ? region : "*");
            break;
        }
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

static int manifest(const struct anonymised_rows *m, const struct anon_table *t, const struct anon_config *cfg,
                    const struct anon_result *r, const struct buf *table, struct buf *out)
{
    const struct anon_spec *s = m->spec;
    char made_at[32], hex[DIGEST_SHA256_HEX + 1];
    digest_sha256_hex(table->data, table->len, hex);
    clock_format_local(clock_now_ms(), JST_MIN, made_at);
    buf_puts(out, "{\"name\":"), buf_json_str(out, s->name), buf_puts(out, ",\"made_at\":"), buf_json_str(out, made_at);
    buf_puts(out, ",\"statement\":{\"ja\":\"匿名加工情報です。本人を識別するために加工の方法を取得すること、他の情報と照合することは、個人情報保護法により禁じられています。\","
                  "\"en\":\"Anonymously processed information. Obtaining the processing method, or matching it with "
                  "other information, to identify a person is forbidden by the Act on the Protection of Personal "
                  "Information.\"}");
    buf_puts(out, ",\"purpose\":"), s->purpose[0] ? buf_json_str(out, s->purpose) : buf_puts(out, "null");
    buf_printf(out, ",\"period\":{\"from\":\"%s\",\"to\":\"%s\"},", s->from, s->to);
    for (size_t k = 0; k < s->nitems; k++)
        if (s->items[k].kind != ITEM_CHECKUP) {
            buf_printf(out, "\"window_days\":%u,", s->window_days);
            break;
        }
    buf_puts(out, "\"items\":[");
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
                    "\"not_for_purpose\":%zu,\"no_demographics\":%zu,\"no_checkup\":%zu},\"sha256\":\"%s\"}",
               cfg->k, cfg->suppression, cfg->metric == ANON_ENTROPY ? "entropy" : "discernibility", r->loss, t->rows,
               r->suppressed, m->persons, m->suspended, m->no_consent, m->no_demographics, m->no_checkup, hex);
    return buf_failed(out) ? -1 : 0;
}

/* The table (m->text) anonymised into table, described in manifest. */
static int anonymise(struct anonymised_rows *m, struct buf *table, struct buf *manifest_out, struct fault *fault)
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
    struct anonymised_rows m = {.spec = &spec, .svc = svc};
    int rc = -1;
    int err = anonymised_rows_collect(&m);
    if (err) {
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
