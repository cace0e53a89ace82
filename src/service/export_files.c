/* The exports made whole before they are sent (R4.3, R4.4): the SPHR
 * package (a zip: the FHIR Bundle, the CSV, the vital signs as Open
 * mHealth data points and every imported file as it came, with its index)
 * and the お薬手帳 text written from the medication. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/jahis.h"
#include "formats/jahis_write.h"
#include "formats/omh.h"
#include "formats/sphr.h"
#include "service/export_internal.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"

/* The medication, and the patient record of the newest お薬手帳 text
 * imported (the service keeps no names: that text has them). */
static int collect_medication(void *arg, const struct record_row *r)
{
    struct export *e = arg;
    int med = !strcmp(r->resource_type, "MedicationDispense") || !strcmp(r->resource_type, "MedicationStatement");
    int text = !strcmp(r->resource_type, "DocumentReference") && !strcmp(r->code, "jahis-tc") &&
               r->recorded_at >= e->patient_at;
    if (!r->current || (!med && !text))
        return PHR_OK;
    int err = snapshot_open_part(&e->snap, r, med ? "body" : "original");
    if (err)
        return err;
    struct buf *p = &e->snap.plain;
    if (text) {
        char *line = jahis_patient_line(p->data, p->len);
        buf_wipe(p);
        if (line) {
            free(e->patient);
            e->patient = line;
            e->patient_at = r->recorded_at;
        }
        return PHR_OK;
    }
    json_object *o = json_tokener_parse(buf_cstr(p));
    buf_wipe(p);
    if (!o)
        return PHR_EIO;
    json_object **m = realloc(e->meds, (e->nmeds + 1) * sizeof *m);
    if (!m) {
        json_object_put(o);
        return PHR_ENOMEM;
    }
    e->meds = m;
    e->meds[e->nmeds++] = o;
    return PHR_OK;
}

int export_find_medication(struct export *e)
{
    int64_t cursor = 0, before;
    do {
        before = cursor;
        int err = e->snap.rd->ops->record_page(e->snap.rd, e->snap.person, 1, cursor, PAGE, collect_medication, e,
                                               &cursor);
        if (err)
            return err;
    } while (cursor != before);
    return e->nmeds ? PHR_OK : PHR_ENOTFOUND;
}

struct original {
    struct buf data;
    char path[64];
    const char *type;
};

struct originals {
    struct export *e;
    struct original *o;
    size_t n, cap;
    struct buf omh;               /* the vital signs as Open mHealth data points: "[…" */
    size_t npoints;
};

/* A vital sign, as an Open mHealth data point too. */
static int add_point(struct originals *x, const struct record_row *r)
{
    int err = snapshot_open_part(&x->e->snap, r, "body");
    if (err)
        return err;
    json_object *o = json_tokener_parse(buf_cstr(&x->e->snap.plain));
    buf_wipe(&x->e->snap.plain);
    if (!o)
        return PHR_EIO;
    size_t mark = x->omh.len;
    int rc = buf_puts(&x->omh, x->npoints ? ",\n" : "[") ? -1 : omh_write(o, &x->omh);
    json_object_put(o);
    if (rc < 0)
        return PHR_ENOMEM;
    if (rc == 0)
        x->omh.len = mark; /* not one of Open mHealth's schemas */
    x->npoints += rc == 1;
    return PHR_OK;
}

/* Imported files, as they came (a DocumentReference's original), and the
 * vital signs for the Open mHealth file. */
static int keep_original(void *arg, const struct record_row *r)
{
    struct originals *x = arg;
    if (r->current && !strcmp(r->resource_type, "Observation") && r->category && !strcmp(r->category, "vital-signs"))
        return add_point(x, r);
    if (!r->current || strcmp(r->resource_type, "DocumentReference"))
        return PHR_OK;
    if (x->n == x->cap) {
        size_t cap = x->cap ? x->cap * 2 : 8;
        struct original *o = realloc(x->o, cap * sizeof *o);
        if (!o)
            return PHR_ENOMEM;
        x->o = o;
        x->cap = cap;
    }
    int err = snapshot_open_part(&x->e->snap, r, "original");
    if (err)
        return err;
    struct original *o = &x->o[x->n++];
    memset(o, 0, sizeof *o);
    struct buf *p = &x->e->snap.plain;
    const char *d = p->len ? p->data : "";
    int xml = d[0] == '<', omh = omh_sniff(d, p->len), json = omh || d[0] == '{',
        jahis = p->len >= 7 && !memcmp(d, "JAHISTC", 7);
    o->type = xml ? "application/xml" : omh ? "application/json" : json ? "application/fhir+json" : jahis ? "text/plain" : "text/csv";
    snprintf(o->path, sizeof o->path, "originals/%s.%s", r->id, xml ? "xml" : json ? "json" : jahis ? "txt" : "csv");
    err = buf_append(&o->data, p->data, p->len) ? PHR_ENOMEM : PHR_OK;
    buf_wipe(p);
    return err;
}

/* The package: the Bundle, the CSV and every imported file, with the
 * index (formats/sphr.h). */
int export_package(struct export *e, struct buf *out)
{
    struct buf fhir = {0}, csv = {0};
    struct originals x = {.e = e};
    struct sphr_part *parts = NULL;
    int rc = -1;
    if (export_whole(e, EXPORT_FHIR, &fhir) < 0 || export_whole(e, EXPORT_CSV, &csv) < 0)
        goto out;
    int64_t cursor = 0, before;
    do {
        before = cursor;
        struct store *rd = e->snap.rd;
        if (rd->ops->record_page(rd, e->snap.person, 1, cursor, 200, keep_original, &x, &cursor) != PHR_OK)
            goto out;
    } while (cursor != before);
    if ((x.npoints && buf_puts(&x.omh, "]\n")) || !(parts = calloc(x.n + 3, sizeof *parts)))
        goto out;
    /* The Bundle holds every record; the CSV, the Open mHealth file and the
     * originals are copies of some of them, marked as such so that an
     * import reads records once. */
    size_t n = 0;
    parts[n++] = (struct sphr_part){"fhir/everything.json", "application/fhir+json",
                                    "FHIR R4 Bundle (Patient/$everything)", fhir.data, fhir.len, 0};
    parts[n++] = (struct sphr_part){"csv/observations.csv", "text/csv", "Observations (CSV)", csv.data, csv.len, 1};
    if (x.npoints)
        parts[n++] = (struct sphr_part){"omh/vital-signs.json", "application/json", "Vital signs (Open mHealth)",
                                        x.omh.data, x.omh.len, 1};
    for (size_t i = 0; i < x.n; i++)
        parts[n++] = (struct sphr_part){x.o[i].path, x.o[i].type, "Imported file, as it came", x.o[i].data.data,
                                        x.o[i].data.len, 1};
    rc = sphr_package(e->snap.person, clock_now_ms(), parts, n, out);
out:
    if (rc)
        log_event(LOG_ERROR, "export.failed", "what", "sphr", NULL);
    free(parts);
    for (size_t i = 0; i < x.n; i++)
        buf_wipe(&x.o[i].data);
    free(x.o);
    buf_wipe(&x.omh);
    buf_wipe(&fhir);
    buf_wipe(&csv);
    return rc;
}

/* The お薬手帳 text, UTF-8 or (shift_jis) converted for a QR code reader. */
int export_okusuri(struct export *e, struct buf *b)
{
    struct buf text = {0};
    int rc = jahis_write(e->meds, e->nmeds, e->patient, &text);
    if (!rc && e->shift_jis)
        rc = jahis_to_shift_jis(text.data, text.len, b);
    else if (!rc)
        rc = buf_append(b, text.data, text.len);
    buf_wipe(&text);
    return rc;
}
