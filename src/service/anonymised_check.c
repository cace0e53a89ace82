/* The checksheet's evidence for anonymised data sets (R3.13, R5.1): each
 * data set's kept table opened, checked against the hash recorded, and its
 * equivalence classes recounted here, apart from the engine that made it:
 * every group of rows alike in the quasi-identifiers (rows suppressed, all
 * "*", aside) holds at least k rows and, with a sensitive item, l distinct
 * values of it; and what is published of it names its items. */
#include <json-c/json.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anon/table.h"
#include "crypto/seal.h"
#include "formats/anon_spec.h"
#include "formats/json.h"
#include "service/anonymised_check.h"
#include "service/anonymised_table.h"
#include "service/internal.h"
#include "store/anonymised.h"
#include "util/err.h"

/* A row's quasi-identifiers and sensitive value, by their ids in the table. */
struct tuple {
    uint32_t qi[QI_COUNT];
    uint32_t sens;
};

static int cmp_tuple(const void *x, const void *y)
{
    return memcmp(x, y, sizeof(struct tuple));
}

/* The names and methods of every data set, gathered before any is opened. */
struct sets {
    json_object *list;
};

static int got_set(void *arg, const struct anonymised_row *r)
{
    struct sets *s = arg;
    json_object *o = json_object_new_object();
    json_object_object_add(o, "name", json_object_new_string(r->name));
    json_object_object_add(o, "method", json_tokener_parse(r->method));
    json_object_object_add(o, "published", json_tokener_parse(r->published));
    json_object_array_add(s->list, o);
    return PHR_OK;
}

/* Whether the table (text) meets the manifest's k (and l). */
static int meets(const char *text, size_t len, json_object *manifest)
{
    struct anon_table t;
    struct anon_error e;
    json_object *qis = json_object_object_get(manifest, "quasi_identifiers");
    int64_t k = json_object_get_int64(json_object_object_get(manifest, "k"));
    int64_t l = json_object_get_int64(json_object_object_get(manifest, "l"));
    const char *sensitive = json_get_str(manifest, "sensitive");
    size_t col[QI_COUNT], q = 0, scol = SIZE_MAX;
    int ok = 0;
    if (k < 1 || !qis || anon_table_read(text, len, ';', &t, &e))
        return 0;
    json_object_object_foreach(qis, name, level)
    {
        (void)level;
        for (size_t c = 0; q < QI_COUNT && c < t.cols; c++)
            if (!strcmp(t.names[c], name))
                col[q++] = c;
    }
    for (size_t c = 0; sensitive && c < t.cols; c++)
        if (!strcmp(t.names[c], sensitive))
            scol = c;
    struct tuple *rows = calloc(t.rows ? t.rows : 1, sizeof *rows);
    size_t n = 0;
    if (!rows || q != (size_t)json_object_object_length(qis) || (sensitive && scol == SIZE_MAX))
        goto out;
    for (size_t r = 0; r < t.rows; r++) {
        size_t stars = 0;
        for (size_t a = 0; a < q; a++) {
            uint32_t id = t.cells[r * t.cols + col[a]];
            rows[n].qi[a] = id;
            stars += !strcmp(t.dicts[col[a]].text[id], "*");
        }
        if (stars == q && q)
            continue; /* suppressed */
        rows[n++].sens = scol == SIZE_MAX ? 0 : t.cells[r * t.cols + scol];
    }
    qsort(rows, n, sizeof *rows, cmp_tuple);
    ok = 1;
    for (size_t i = 0; ok && i < n;) {
        size_t j = i, distinct = 0;
        while (j < n && !memcmp(rows[j].qi, rows[i].qi, sizeof rows[i].qi)) {
            distinct += j == i || rows[j].sens != rows[j - 1].sens;
            j++;
        }
        ok = (int64_t)(j - i) >= k && (!sensitive || (int64_t)distinct >= l);
        i = j;
    }
out:
    free(rows);
    anon_table_free(&t);
    return ok;
}

int anonymised_recount(struct service *svc, struct store *rd, struct anonymised_recount *out)
{
    struct sets s = {json_object_new_array()};
    memset(out, 0, sizeof *out);
    int err = s.list ? store_anonymised_list(rd, got_set, &s) : PHR_ENOMEM;
    for (size_t i = 0; !err && i < json_object_array_length(s.list); i++) {
        json_object *set = json_object_array_get_idx(s.list, i);
        const char *name = json_get_str(set, "name");
        json_object *manifest = json_object_object_get(json_object_object_get(set, "method"), "manifest");
        json_object *items = json_object_object_get(json_object_object_get(set, "published"), "items");
        struct buf table = {0};
        struct fault fault;
        out->sets++;
        int opened = !anonymised_kept_open(svc, rd, name, &table, &fault);
        if (!opened)
            out->not_kept++;
        else if (json_object_array_length(items) > 0 && meets(table.data ? table.data : "", table.len, manifest))
            out->verified++;
        else if (!out->first_bad[0])
            snprintf(out->first_bad, sizeof out->first_bad, "%s", name);
        buf_wipe(&table);
    }
    json_object_put(s.list);
    return err;
}
