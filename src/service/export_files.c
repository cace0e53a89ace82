/* The exports made whole before they are sent (R4.3, R4.4): the SPHR
 * package (a zip: the FHIR Bundle, the CSV, the vital signs as Open
 * mHealth data points and as the PHRC module's files, every imported file
 * as it came, with its index),
 * the お薬手帳 text written from the medication and a day's checkup as a
 * 特定健診 CDA. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/cda.h"
#include "formats/cda_write.h"
#include "formats/jahis.h"
#include "formats/jahis_write.h"
#include "formats/omh.h"
#include "formats/sphr.h"
#include "formats/tokutei_items.h"
#include "service/export_internal.h"
#include "service/internal.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/ids.h"
#include "util/log.h"

/* The medication, and the patient record of the newest お薬手帳 text
 * imported (written out as it was, unless the person corrected their
 * details since: exports.c). */
static int collect_medication(void *arg, const struct record_row *r)
{
    struct export *e = arg;
    int med = !strcmp(r->resource_type, "MedicationDispense") || !strcmp(r->resource_type, "MedicationStatement") ||
              !strcmp(r->resource_type, "MedicationRequest") || !strcmp(r->resource_type, "AllergyIntolerance");
    int text = !strcmp(r->resource_type, "DocumentReference") && !strcmp(r->code, "jahis-tc") &&
               r->recorded_at >= e->patient_at;
    if (!r->current || (!med && !text))
        return PHR_OK;
    int err = snapshot_open_part(&e->snap, r, med ? "body" : "original");
    if (err)
        return err == PHR_ECRYPTO ? PHR_OK : err; /* logged, and left out */
    struct buf *p = &e->snap.plain;
    if (text) {
        static const char *const prefixes[3][3] = {{"2,3,", "2,9,", NULL}, {"4,", NULL}, {"701,", NULL}};
        char *line = jahis_patient_line(p->data, p->len);
        if (line) {
            free(e->patient);
            e->patient = line;
            e->patient_at = r->recorded_at;
            for (int k = 0; k < 3; k++) {
                free(e->kept[k]);
                e->kept[k] = jahis_kept_lines(p->data, p->len, prefixes[k]);
            }
        }
        buf_wipe(p);
        return PHR_OK;
    }
    json_object *o = json_tokener_parse(buf_cstr(p));
    buf_wipe(p);
    if (!o)
        return PHR_EIO;
    return export_keep(e, o);
}

int export_keep(struct export *e, json_object *o)
{
    json_object **m = realloc(e->found, (e->nfound + 1) * sizeof *m);
    if (!m) {
        json_object_put(o);
        return PHR_ENOMEM;
    }
    e->found = m;
    e->found[e->nfound++] = o;
    return PHR_OK;
}

int export_find_medication(struct export *e)
{
    int64_t cursor = 0, before;
    do {
        before = cursor;
        int err = store_record_page(e->snap.rd, e->snap.person, 1, cursor, PAGE, collect_medication, e,
                                               &cursor);
        if (err)
            return err;
    } while (cursor != before);
    return e->nfound ? PHR_OK : PHR_ENOTFOUND;
}

struct original {
    struct buf data;
    char path[64];
    const char *type;
    const struct sphr_doctype *doctype; /* a CDA's or an お薬手帳's, or NULL */
};

struct checkup_result {
    char day[11];                 /* in Japan */
    size_t seq;                   /* the record's place: days keep their results' order */
    json_object *o;
};

struct originals {
    struct export *e;
    struct original *o;
    size_t n, cap;
    struct buf omh;               /* the vital signs as Open mHealth data points: "[…" */
    size_t npoints;
    struct buf phrc[2][OMH_PHRC_KINDS]; /* and as the PHRC module's bodies: sensed, self-reported */
    struct checkup_result *results; /* for a 特定健診 CDA per checkup day */
    size_t nresults, rcap;
};

/* A checkup result, kept for its day's CDA. */
static int add_result(struct originals *x, const struct record_row *r)
{
    if (x->nresults == x->rcap) {
        size_t cap = x->rcap ? x->rcap * 2 : 32;
        struct checkup_result *m = realloc(x->results, cap * sizeof *m);
        if (!m)
            return PHR_ENOMEM;
        x->results = m;
        x->rcap = cap;
    }
    int err = snapshot_open_part(&x->e->snap, r, "body");
    if (err)
        return err == PHR_ECRYPTO ? PHR_OK : err; /* logged, and left out */
    json_object *o = json_tokener_parse(buf_cstr(&x->e->snap.plain));
    buf_wipe(&x->e->snap.plain);
    if (!o)
        return PHR_EIO;
    struct checkup_result *c = &x->results[x->nresults];
    char when[32];
    clock_format_ms(r->effective_start + 9 * 3600 * 1000LL, when);
    snprintf(c->day, sizeof c->day, "%.10s", when);
    c->seq = x->nresults++;
    c->o = o;
    return PHR_OK;
}

static int by_day(const void *a, const void *b)
{
    const struct checkup_result *x = a, *y = b;
    int d = strcmp(x->day, y->day);
    return d ? d : (x->seq > y->seq) - (x->seq < y->seq);
}

/* A day's results as a 特定健診 CDA (R4.3: results that did not come as a
 * CDA too), checked against the hc08 schema: a document that would not
 * validate is a fault, not an export. 0, or -1 (logged). */
static int cda_of_day(struct export *e, const char *day, json_object *const *results, size_t n, struct buf *out)
{
    char doc[ID_LEN + 1];
    id_uuid7(doc);
    struct cda_header h = {.day = day, .document_id = doc, .person_id = e->snap.person,
                           .person = e->has_person ? &e->person : NULL, .institution = e->institution,
                           .author = "PHR service (the person's export)", .now_ms = clock_now_ms()};
    struct fault fault = {0};
    int rc = cda_write(&h, results, n, out, &fault) || cda_check(out->data, out->len, &fault);
    /* The schema's message may quote a value: the log gets the day only. */
    if (rc)
        log_event(LOG_ERROR, "export.failed", "what", "cda", "day", day, "why", "the written CDA does not validate",
                  NULL);
    return rc ? -1 : 0;
}

/* One CDA per checkup day into cdas (as many as there are days; the
 * caller frees them), paths "cda/checkup-YYYY-MM-DD.xml" into paths. */
static int write_cdas(struct export *e, struct originals *x, struct buf *cdas, char (*paths)[40], size_t *ndays)
{
    *ndays = 0;
    if (!x->nresults)
        return 0;
    qsort(x->results, x->nresults, sizeof *x->results, by_day);
    json_object **day = calloc(x->nresults, sizeof *day);
    if (!day)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < x->nresults && !rc;) {
        size_t n = 0;
        const char *d = x->results[i].day;
        while (i + n < x->nresults && !strcmp(x->results[i + n].day, d)) {
            day[n] = x->results[i + n].o;
            n++;
        }
        rc = cda_of_day(e, d, day, n, &cdas[*ndays]);
        snprintf(paths[*ndays], sizeof paths[*ndays], "cda/checkup-%s.xml", d);
        (*ndays)++;
        i += n;
    }
    free(day);
    return rc;
}

/* A vital sign, as an Open mHealth data point too. */
static int add_point(struct originals *x, const struct record_row *r)
{
    int err = snapshot_open_part(&x->e->snap, r, "body");
    if (err)
        return err == PHR_ECRYPTO ? PHR_OK : err; /* logged, and left out */
    json_object *o = json_tokener_parse(buf_cstr(&x->e->snap.plain));
    buf_wipe(&x->e->snap.plain);
    if (!o)
        return PHR_EIO;
    size_t mark = x->omh.len;
    int rc = buf_puts(&x->omh, x->npoints ? ",\n" : "[") ? -1 : omh_write(o, &x->omh);
    int self = !r->source || strcmp(r->source, "device");
    int phrc = rc < 0 ? -1 : omh_phrc_add(o, x->phrc[self]);
    json_object_put(o);
    if (rc < 0 || phrc == -1)
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
    if (!r->current || !export_allows(x->e, r))
        return PHR_OK;
    int obs = !strcmp(r->resource_type, "Observation");
    if (obs && r->category && !strcmp(r->category, "vital-signs"))
        return add_point(x, r);
    if (obs && r->code_system && !strcmp(r->code_system, "urn:oid:" TOKUTEI_ITEM_OID))
        return add_result(x, r);
    if (strcmp(r->resource_type, "DocumentReference"))
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
        return err == PHR_ECRYPTO ? PHR_OK : err; /* logged, and left out */
    struct original *o = &x->o[x->n++];
    memset(o, 0, sizeof *o);
    struct buf *p = &x->e->snap.plain;
    const char *d = p->len ? p->data : "";
    int xml = d[0] == '<', omh = omh_sniff(d, p->len), json = omh || d[0] == '{',
        jahis = p->len >= 7 && !memcmp(d, "JAHISTC", 7), phr = r->code && !strcmp(r->code, "hl7-phr");
    o->type = xml ? "application/xml" : phr ? "application/x-ndjson" : omh ? "application/json" : json ? "application/fhir+json" : jahis ? "text/plain" : "text/csv";
    o->doctype = xml ? &sphr_type_checkup_cda : jahis ? &sphr_type_jahis : NULL;
    snprintf(o->path, sizeof o->path, "originals/%s.%s", r->id,
             xml ? "xml" : phr ? "phr" : json ? "json" : jahis ? "txt" : "csv");
    err = buf_append(&o->data, p->data, p->len) ? PHR_ENOMEM : PHR_OK;
    buf_wipe(p);
    return err;
}

/* The vital signs as the PHRC module's files: one per schema it reads and
 * modality, "phrc/<schema>_<uuid>.json" (as many as *n; the caller frees
 * them). 0, or -1. */
struct phrc_file {
    struct buf data;
    char path[80];
    enum omh_phrc kind;
};

static int phrc_files(struct originals *x, int64_t now, int tz, struct phrc_file *files, size_t *n)
{
    static const char *const modality[2] = {"sensed", "self_reported"};
    char when[32];
    clock_format_local(now, tz, when);
    *n = 0;
    for (int m = 0; m < 2; m++)
        for (int k = 0; k < OMH_PHRC_KINDS; k++) {
            if (!x->phrc[m][k].len)
                continue;
            struct phrc_file *f = &files[(*n)++];
            char uuid[ID_LEN + 1];
            id_uuid7(uuid);
            f->kind = (enum omh_phrc)k;
            snprintf(f->path, sizeof f->path, "phrc/%s_%s.json", omh_phrc_stem(f->kind), uuid);
            if (omh_phrc_file(f->kind, uuid, when, modality[m], &x->phrc[m][k], &f->data))
                return -1;
        }
    return 0;
}

void export_cover(struct export *e, struct sphr_cover *c, struct buf *name)
{
    const struct service_config *cfg = service_config(e->snap.svc);
    *c = (struct sphr_cover){.person_id = e->snap.person, .provider_id = cfg->provider_id,
                             .provider_name = cfg->provider_name, .created_at = clock_now_ms(),
                             .tz_offset_min = cfg->tz_offset_min};
    char *family = NULL, *given = NULL;
    if (!e->has_person)
        return;
    if (!demographics_name_parts(&e->person, DEMO_NAME, &family, &given) && given &&
        !buf_printf(name, "%s %s", family, given))
        c->name = name->data;
    c->gender = e->person.sex[0] ? e->person.sex : NULL;
    free(family);
    free(given);
}

/* The package: the Bundle, the CSV, the vital signs as Open mHealth and as
 * the PHRC module's files, each checkup day as a 特定健診 CDA and every
 * imported file, with the index (formats/sphr.h). */
int export_package(struct export *e, struct buf *out)
{
    struct buf fhir = {0}, csv = {0}, *cdas = NULL;
    char (*cda_paths)[40] = NULL;
    size_t ndays = 0;
    struct originals x = {.e = e};
    struct sphr_part *parts = NULL;
    struct phrc_file phrc[2 * OMH_PHRC_KINDS] = {0};
    size_t nphrc = 0;
    struct sphr_cover cover;
    struct buf name = {0};
    struct jws_signer signer;
    export_cover(e, &cover, &name);
    package_signer(e->snap.svc, &signer);
    cover.signer = &signer;
    int rc = -1;
    if (export_whole(e, EXPORT_FHIR, &fhir) < 0 || export_whole(e, EXPORT_CSV, &csv) < 0)
        goto out;
    int64_t cursor = 0, before;
    do {
        before = cursor;
        struct store *rd = e->snap.rd;
        if (store_record_page(rd, e->snap.person, 1, cursor, 200, keep_original, &x, &cursor) != PHR_OK)
            goto out;
    } while (cursor != before);
    if ((x.npoints && buf_puts(&x.omh, "]\n")) || !(cdas = calloc(x.nresults + 1, sizeof *cdas)) ||
        !(cda_paths = calloc(x.nresults + 1, sizeof *cda_paths)) || write_cdas(e, &x, cdas, cda_paths, &ndays) ||
        phrc_files(&x, cover.created_at, cover.tz_offset_min, phrc, &nphrc) ||
        !(parts = calloc(x.n + ndays + nphrc + 3, sizeof *parts)))
        goto out;
    /* The Bundle holds every record; the CSV, the Open mHealth file and the
     * originals are copies of some of them, marked as such so that an
     * import reads records once. */
    size_t n = 0;
    parts[n++] = (struct sphr_part){"fhir/everything.json", "application/fhir+json",
                                    "FHIR R4 Bundle (Patient/$everything)", fhir.data, fhir.len, 0, NULL};
    parts[n++] = (struct sphr_part){"csv/observations.csv", "text/csv", "Observations (CSV)", csv.data, csv.len, 1, NULL};
    if (x.npoints)
        parts[n++] = (struct sphr_part){"omh/vital-signs.json", "application/json", "Vital signs (Open mHealth)",
                                        x.omh.data, x.omh.len, 1, NULL};
    for (size_t i = 0; i < nphrc; i++)
        parts[n++] = (struct sphr_part){phrc[i].path, "application/json", omh_phrc_type(phrc[i].kind)->display,
                                        phrc[i].data.data, phrc[i].data.len, 1, omh_phrc_type(phrc[i].kind)};
    for (size_t i = 0; i < ndays; i++)
        parts[n++] = (struct sphr_part){cda_paths[i], "application/xml", "Checkup results (特定健診 CDA)",
                                        cdas[i].data, cdas[i].len, 1, &sphr_type_checkup_cda};
    for (size_t i = 0; i < x.n; i++)
        parts[n++] = (struct sphr_part){x.o[i].path, x.o[i].type, "Imported file, as it came", x.o[i].data.data,
                                        x.o[i].data.len, 1, x.o[i].doctype};
    rc = sphr_package(&cover, parts, n, out);
out:
    /* export_whole switched the format to each part's and ended it. */
    e->format = EXPORT_SPHR;
    e->done = 0;
    if (rc)
        log_event(LOG_ERROR, "export.failed", "what", "sphr", NULL);
    free(parts);
    for (size_t i = 0; cdas && i < ndays; i++)
        buf_wipe(&cdas[i]);
    free(cdas);
    free(cda_paths);
    for (size_t i = 0; i < x.nresults; i++)
        json_object_put(x.results[i].o);
    free(x.results);
    for (size_t i = 0; i < x.n; i++)
        buf_wipe(&x.o[i].data);
    free(x.o);
    buf_wipe(&x.omh);
    for (int m = 0; m < 2; m++)
        for (int k = 0; k < OMH_PHRC_KINDS; k++)
            buf_wipe(&x.phrc[m][k]);
    for (size_t i = 0; i < nphrc; i++)
        buf_wipe(&phrc[i].data);
    buf_wipe(&name);
    buf_wipe(&fhir);
    buf_wipe(&csv);
    return rc;
}

/* The お薬手帳 text, UTF-8 or (shift_jis) converted for a QR code reader. */
int export_okusuri(struct export *e, struct buf *b)
{
    struct buf text = {0};
    struct jahis_kept kept = {e->patient, e->kept[0], e->kept[1], e->kept[2]};
    int rc = jahis_write(e->found, e->nfound, &kept, &text);
    if (!rc && e->shift_jis)
        rc = jahis_to_shift_jis(text.data, text.len, b);
    else if (!rc)
        rc = buf_append(b, text.data, text.len);
    buf_wipe(&text);
    return rc;
}

/* The day's results as a 特定健診 CDA, checked before a byte is sent. */
int export_cda(struct export *e, struct buf *b)
{
    struct buf xml = {0};
    int rc = cda_of_day(e, e->day, e->found, e->nfound, &xml) || buf_append(b, xml.data, xml.len);
    buf_wipe(&xml);
    return rc ? -1 : 0;
}
