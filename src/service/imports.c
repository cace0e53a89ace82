/* Imports (R4.1, R4.2): a file a person (or the operator for them) hands
 * in becomes records in one transaction — all of a file or nothing — with
 * the file itself kept byte-identical as a DocumentReference's original.
 * A file imported before (the same bytes, found by the keyed digest of the
 * original, never by a plaintext hash) is reported, not stored twice.
 *
 * Formats: 特定健診 HL7 CDA R2 (MHLW hc08), validated against the built-in
 * schema, mapped to Observations typed per the MHLW item table; FHIR R4
 * JSON, a resource or a Bundle (the 健診結果報告書 among them): checkup
 * results typed the same way, vital signs, medication and immunisation;
 * JAHIS お薬手帳 text, mapped to MedicationDispense and MedicationStatement;
 * CSV of measurements from home devices, mapped to vital-sign Observations. */
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "access/gate.h"
#include "crypto/seal.h"
#include "formats/cda.h"
#include "formats/checkup_fhir.h"
#include "formats/device_csv.h"
#include "formats/fhir_import.h"
#include "formats/jahis.h"
#include "formats/medication_fhir.h"
#include "service/internal.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/ids.h"

enum format { CDA, FHIR, JAHIS, CSV };

static const struct {
    const char *kind, *format, *content_type, *category, *source;
} formats[] = {
    [CDA] = {"tokutei-cda", "mhlw-tokutei-hc08", "application/xml", "laboratory", "insurer"},
    [FHIR] = {"fhir", "fhir-r4", "application/fhir+json", "laboratory", "insurer"},
    [JAHIS] = {"jahis-tc", "jahis-tc", "text/plain; charset=utf-8", "medication", "medical-institution"},
    [CSV] = {"csv", "vitals-csv", "text/csv; charset=utf-8", "vital-signs", "device"},
};

struct sealed_row {
    char id[ID_LEN + 1];
    const char *type, *code_system, *code, *category, *source;
    int data_category;
    int64_t lo, hi;               /* the day of the result or dispensing, or of the document */
    struct buf body, original;
};

/* What was read from the file, by format. */
struct parsed {
    enum format f;
    struct cda_checkup c;
    struct fhir_doc fd;
    struct jahis_doc j;
    struct csv_vitals csv;
    char day[11];                 /* the document's day */
    int64_t lo, hi;
};

struct import_job {
    struct job job;
    const struct actor *actor;
    const char *kind;             /* the format's name in answers and the audit entry */
    char subject[ID_LEN + 1], recorded_by[64], source[24], sha256[65];
    unsigned char mac[32];
    struct import_meta meta;
    struct sealed_row *rows;      /* rows[0]: the DocumentReference */
    size_t nrows;
    struct record_row *proto;     /* what the rows share */
    struct buf ids;
    char duplicate_of[ID_LEN + 1];
    struct gate_result g;
    int refused;
};

static int import_run(struct job *j, struct store *st)
{
    struct import_job *x = (struct import_job *)j;
    int err = gate_check(st, x->actor, ACT_RECORD_CREATE, x->subject, x->rows[1].type, &x->g);
    if (err)
        return err;
    if (x->g.d == GATE_DENY) {
        x->refused = 1;
        return gate_record(st, x->actor, ACT_RECORD_CREATE, x->subject, NULL, x->g.reason, GATE_DENY);
    }
    err = st->ops->record_by_original(st, x->subject, "DocumentReference", x->mac, x->duplicate_of);
    if (err == PHR_OK)
        return PHR_OK; /* imported before: nothing is written */
    if (err != PHR_ENOTFOUND)
        return err;
    x->duplicate_of[0] = '\0';
    for (size_t i = 0; i < x->nrows; i++) {
        struct sealed_row *s = &x->rows[i];
        struct record_row r = *x->proto;
        r.id = s->id;
        r.body = (const unsigned char *)s->body.data;
        r.body_len = s->body.len;
        r.original = (const unsigned char *)s->original.data;
        r.original_len = s->original.len;
        r.resource_type = s->type;
        r.code_system = s->code_system;
        r.code = s->code;
        r.category = s->category;
        r.source = s->source;
        r.data_category = s->data_category;
        r.effective_start = s->lo;
        r.effective_end = s->hi;
        if ((err = st->ops->record_insert(st, &r)) != PHR_OK)
            return err;
    }
    char reason[96];
    snprintf(reason, sizeof reason, "import:%s sha256:%.16s", x->kind, x->sha256);
    return gate_record(st, x->actor, ACT_RECORD_CREATE, x->subject, x->ids.data, reason, GATE_ALLOW);
}

static int seal_into(const unsigned char key[DATA_KEY_BYTES], const char *id, const char *body, size_t blen,
                     const char *orig, size_t olen, struct sealed_row *r)
{
    char ad[96];
    record_ad(ad, id, 1, "body");
    if (seal(key, ad, body, blen, &r->body) != PHR_OK)
        return -1;
    record_ad(ad, id, 1, "original");
    return seal(key, ad, orig, olen, &r->original) != PHR_OK ? -1 : 0;
}

static void job_free(struct import_job *x)
{
    for (size_t i = 0; i < x->nrows; i++) {
        buf_free(&x->rows[i].body);
        buf_free(&x->rows[i].original);
    }
    free(x->rows);
    free(x->proto);
    buf_free(&x->ids);
}

static int sniff(const char *data, size_t len, enum format *f)
{
    size_t i = len >= 3 && !memcmp(data, "\xEF\xBB\xBF", 3) ? 3 : 0;
    while (i < len && strchr(" \t\r\n", data[i]))
        i++;
    if (i < len && data[i] == '<')
        *f = CDA;
    else if (i < len && data[i] == '{')
        *f = FHIR;
    else if (jahis_sniff(data, len))
        *f = JAHIS;
    else if (csv_sniff(data, len))
        *f = CSV;
    else
        return -1;
    return 0;
}

static int parse(const char *data, size_t len, struct parsed *p, struct issue *is)
{
    if (sniff(data, len, &p->f))
        return issue_set(is, 415, "not-supported", NULL,
                         "this is not a file the service imports: a 特定健診 CDA document (XML), FHIR R4 JSON, a "
                         "JAHIS お薬手帳 text, or a CSV of measurements whose header names the date column "
                         "(effective, 日時)");
    if (p->f == JAHIS) {
        if (jahis_read(data, len, &p->j, is))
            return -1;
        if (!p->j.ndispensings && !p->j.notc)
            return issue_set(is, 422, "value", NULL, "the お薬手帳 text records no dispensing and no OTC medicine");
        /* The document is dated by its newest dispensing (or OTC start). */
        for (size_t i = 0; i < p->j.ndispensings; i++)
            if (!p->day[0] || strcmp(p->j.dispensings[i].date, p->day) > 0) {
                memcpy(p->day, p->j.dispensings[i].date, sizeof p->day);
                p->lo = p->j.dispensings[i].date_lo;
                p->hi = p->j.dispensings[i].date_hi;
            }
        for (size_t i = 0; !p->day[0] && i < p->j.notc; i++)
            if (p->j.otc[i].start[0]) {
                memcpy(p->day, p->j.otc[i].start, sizeof p->day);
                p->lo = p->j.otc[i].date_lo;
                p->hi = p->j.otc[i].date_hi;
            }
        return 0;
    }
    if (p->f == CSV) {
        if (csv_read(data, len, clock_now_ms(), &p->csv, is))
            return -1;
        char when[32];
        clock_format_ms(p->csv.lo + 9 * 3600000LL, when);
        snprintf(p->day, sizeof p->day, "%.10s", when);
        p->lo = p->csv.lo;
        p->hi = p->csv.hi;
        return 0;
    }
    if (p->f == FHIR) {
        if (fhir_import_read(data, len, clock_now_ms(), &p->fd, is))
            return -1;
        memcpy(p->day, p->fd.date, sizeof p->day);
        p->lo = p->fd.lo;
        p->hi = p->fd.hi;
        return 0;
    }
    if (cda_read(data, len, &p->c, is))
        return -1;
    memcpy(p->day, p->c.date, sizeof p->day);
    p->lo = p->c.date_lo;
    p->hi = p->c.date_hi;
    return 0;
}

static void parsed_free(struct parsed *p)
{
    jahis_doc_free(&p->j);
    csv_vitals_free(&p->csv);
    fhir_doc_free(&p->fd);
    cda_checkup_free(&p->c);
}

/* Row 0 is the document; then one row per result, or per medicine. */
static size_t rows_of(const struct parsed *p)
{
    size_t n = 1;
    if (p->f == CDA)
        return n + p->c.nresults;
    if (p->f == FHIR)
        return n + fhir_doc_records(&p->fd);
    if (p->f == CSV)
        return n + p->csv.n;
    for (size_t i = 0; i < p->j.ndispensings; i++)
        n += p->j.dispensings[i].ndrugs;
    return n + p->j.notc;
}

/* Describes row i (from 1) and writes its resource to plain. */
static int checkup_row(struct import_job *x, const struct cda_checkup *c, size_t k, struct sealed_row *s,
                       struct buf *plain)
{
    const struct cda_result *r = &c->results[k];
    *s = (struct sealed_row){.type = "Observation", .code_system = "urn:oid:" TOKUTEI_ITEM_OID, .code = r->item->code,
                             .category = "laboratory", .source = x->source, .data_category = 1, .lo = r->date_lo,
                             .hi = r->date_hi};
    id_uuid7(s->id);
    return checkup_observation(plain, s->id, &x->meta, c, r);
}

static int vital_row(struct import_job *x, struct vital *v, struct sealed_row *s, struct buf *plain)
{
    *s = (struct sealed_row){.type = "Observation", .code_system = LOINC, .code = v->kind->code,
                             .category = "vital-signs", .source = v->source, .data_category = 3, .lo = v->eff_lo,
                             .hi = v->eff_hi};
    id_uuid7(s->id);
    return fhir_vital_render(plain, s->id, &x->meta, v);
}

/* A FHIR file's rows: its checkup results, then vital signs, then the rest. */
static int fhir_row(struct import_job *x, struct parsed *p, size_t k, struct sealed_row *s, struct buf *plain)
{
    struct fhir_doc *d = &p->fd;
    if (k < d->checkup.nresults)
        return checkup_row(x, &d->checkup, k, s, plain);
    k -= d->checkup.nresults;
    if (k < d->nvitals)
        return vital_row(x, &d->vitals[k], s, plain);
    struct fhir_other *o = &d->others[k - d->nvitals];
    *s = (struct sealed_row){.type = o->type, .code_system = o->code_system, .code = o->code, .category = o->category,
                             .source = x->source, .data_category = 1, .lo = o->lo, .hi = o->hi};
    id_uuid7(s->id);
    return fhir_other_render(plain, s->id, &x->meta, o);
}

static int render_row(struct import_job *x, struct parsed *p, size_t i, struct buf *plain)
{
    struct sealed_row *s = &x->rows[i];
    const struct import_meta *m = &x->meta;
    if (p->f == CDA)
        return checkup_row(x, &p->c, i - 1, s, plain);
    if (p->f == FHIR)
        return fhir_row(x, p, i - 1, s, plain);
    if (p->f == CSV)
        return vital_row(x, &p->csv.v[i - 1], s, plain);
    size_t k = i - 1;
    for (size_t d = 0; d < p->j.ndispensings; d++) {
        const struct jahis_dispensing *b = &p->j.dispensings[d];
        if (k >= b->ndrugs) {
            k -= b->ndrugs;
            continue;
        }
        const struct jahis_drug *g = &b->drugs[k];
        *s = (struct sealed_row){.type = "MedicationDispense", .code_system = medication_code_system(g),
                                 .code = *g->code ? g->code : g->name, .category = "medication",
                                 .source = medication_source(g->creator, x->source),
                                 .data_category = medication_data_category(g->creator), .lo = b->date_lo,
                                 .hi = b->date_hi};
        id_uuid7(s->id);
        return medication_dispense(plain, s->id, m, b, g);
    }
    const struct jahis_otc *o = &p->j.otc[k];
    *s = (struct sealed_row){.type = "MedicationStatement", .code_system = *o->jan ? "https://www.gs1.org/gtin"
                                                                                   : "urn:phr:drug-name",
                             .code = *o->jan ? o->jan : o->name, .category = "medication",
                             .source = medication_source(o->creator, x->source),
                             .data_category = medication_data_category(o->creator),
                             .lo = o->date_lo ? o->date_lo : p->lo, .hi = o->date_hi ? o->date_hi : p->hi};
    id_uuid7(s->id);
    return medication_statement(plain, s->id, m, o);
}

static int csv_document(struct buf *b, const struct import_meta *m, const char *day, size_t bytes)
{
    char title[48];
    snprintf(title, sizeof title, "測定値 CSV %s", day);
    return import_document(b, m, "{\"text\":\"CSV of measurements\"}", title, day, bytes);
}

static int summary(struct buf *out, const struct import_job *x, const struct parsed *p)
{
    if (x->duplicate_of[0])
        return buf_printf(out, "{\"kind\":\"%s\",\"duplicate\":true,\"document\":\"%s\",\"sha256\":\"%s\"}",
                          formats[p->f].kind, x->duplicate_of, x->sha256);
    if (buf_printf(out, "{\"kind\":\"%s\",\"duplicate\":false,\"document\":\"%s\",\"sha256\":\"%s\","
                        "\"records\":%zu,\"date\":\"%s\",",
                   formats[p->f].kind, x->rows[0].id, x->sha256, x->nrows - 1, p->day))
        return -1;
    if (p->f == CDA)
        return buf_printf(out, "\"checkup_date\":\"%s\",\"observations\":%zu,\"skipped\":%zu}", p->c.date,
                          p->c.nresults, p->c.skipped);
    if (p->f == FHIR) {
        const struct fhir_doc *d = &p->fd;
        size_t meds = 0;
        for (size_t i = 0; i < d->nothers; i++)
            meds += strcmp(d->others[i].type, "Immunization") != 0;
        return (d->checkup.nresults && buf_printf(out, "\"checkup_date\":\"%s\",", d->checkup.date)) ||
               buf_printf(out, "\"observations\":%zu,\"checkup_results\":%zu,\"vital_signs\":%zu,"
                               "\"medications\":%zu,\"immunizations\":%zu,\"skipped\":%zu}",
                          d->checkup.nresults + d->nvitals, d->checkup.nresults, d->nvitals, meds,
                          d->nothers - meds, d->skipped + d->checkup.skipped);
    }
    if (p->f == CSV)
        return buf_printf(out, "\"rows\":%zu,\"vital_signs\":%zu,\"skipped\":%zu}", p->csv.rows, p->csv.n,
                          p->csv.skipped);
    return buf_printf(out, "\"dispensings\":%zu,\"medications\":%zu,\"otc\":%zu,\"parts\":%zu,"
                           "\"unmapped_records\":%zu}",
                      p->j.ndispensings, x->nrows - 1 - p->j.notc, p->j.notc, p->j.parts, p->j.unmapped);
}

int import_file(struct service *svc, const struct actor *a, const char *subject, const char *source,
                const char *channel, const char *data, size_t len, struct buf *out, struct issue *is)
{
    if (!subject || strlen(subject) > ID_LEN || gate_decide(a, ACT_RECORD_CREATE, subject) == GATE_DENY)
        return issue_set(is, 403, "forbidden", NULL, "you can import data only about yourself");
    if (source && strcmp(source, "insurer") && strcmp(source, "medical-institution") && strcmp(source, "mynaportal"))
        return issue_set(is, 422, "value", "source", "source is insurer, medical-institution or mynaportal");
    if (len > IMPORT_MAX_BYTES)
        return issue_set(is, 413, "too-costly", NULL, "a file is at most %d bytes", IMPORT_MAX_BYTES);
    struct parsed p = {0};
    if (parse(data, len, &p, is)) {
        parsed_free(&p);
        return -1;
    }
    struct import_job x = {.job = {.run = import_run}, .actor = a, .kind = formats[p.f].kind};
    unsigned char key[DATA_KEY_BYTES], digest[32];
    struct store *rd = NULL;
    int rc = -1;
    snprintf(x.subject, sizeof x.subject, "%s", subject);
    /* A FHIR file of medication or vaccinations comes from a clinic or pharmacy more often than an insurer. */
    snprintf(x.source, sizeof x.source, "%s",
             source ? source : p.f == FHIR && !p.fd.checkup.nresults ? "medical-institution" : formats[p.f].source);
    gate_actor_name(a, x.recorded_by);
    crypto_hash_sha256(digest, (const unsigned char *)data, len);
    sodium_bin2hex(x.sha256, sizeof x.sha256, digest, sizeof digest);
    if (service_reader(svc, &rd) != PHR_OK) {
        issue_set(is, 503, "transient", NULL, "the store is not available");
        goto out;
    }
    int err = service_data_key(svc, rd, subject, key);
    service_reader_done(svc, rd);
    if (err) {
        issue_set(is, err == PHR_ENOTFOUND ? 404 : 500, err == PHR_ENOTFOUND ? "not-found" : "exception", NULL,
                  err == PHR_ENOTFOUND ? "no such person" : "the person's data key could not be opened");
        goto out;
    }
    seal_mac(key, data, len, x.mac);
    x.nrows = rows_of(&p);
    x.rows = calloc(x.nrows, sizeof *x.rows);
    x.proto = calloc(1, sizeof *x.proto);
    if (!x.rows || !x.proto) {
        issue_set(is, 500, "exception", NULL, "out of memory");
        goto out;
    }
    x.rows[0] = (struct sealed_row){.type = "DocumentReference", .code_system = "urn:phr:format",
                                    .code = formats[p.f].format, .category = formats[p.f].category,
                                    .source = x.source, .data_category = 1,
                                    .lo = p.lo, .hi = p.hi};
    id_uuid7(x.rows[0].id);
    x.meta = (struct import_meta){.person_id = x.subject, .document_id = x.rows[0].id, .source = x.source,
                                  .recorded_by = x.recorded_by, .channel = channel, .sha256_hex = x.sha256,
                                  .content_type = formats[p.f].content_type, .format = formats[p.f].format,
                                  .recorded_at = clock_now_ms()};
    struct buf plain = {0};
    int bad = (p.f == JAHIS  ? medication_document(&plain, &x.meta, &p.j, p.day, len)
               : p.f == FHIR ? fhir_import_document(&plain, &x.meta, &p.fd, len)
               : p.f == CSV  ? csv_document(&plain, &x.meta, p.day, len)
                             : checkup_document(&plain, &x.meta, &p.c, len)) ||
              seal_into(key, x.rows[0].id, plain.data, plain.len, data, len, &x.rows[0]);
    for (size_t i = 1; !bad && i < x.nrows; i++) {
        buf_wipe(&plain);
        bad = render_row(&x, &p, i, &plain) || seal_into(key, x.rows[i].id, plain.data, plain.len, "", 0, &x.rows[i]);
    }
    buf_wipe(&plain);
    for (size_t i = 0; !bad && i < x.nrows; i++)
        bad = buf_printf(&x.ids, "%s%s", i ? "," : "", x.rows[i].id);
    if (bad) {
        issue_set(is, 500, "exception", NULL, "out of memory");
        goto out;
    }
    *x.proto = (struct record_row){
        .version = 1, .person_id = x.subject, .category = formats[p.f].category, .recorded_at = x.meta.recorded_at,
        .recorded_by = x.recorded_by, .channel = channel, .original_mac = x.mac, .alg = SEAL_XCHACHA20POLY1305,
        .current = 1,
    };
    if (writer_call(svc->writer, &x.job) != PHR_OK) {
        issue_set(is, 503, "transient", NULL, "the import could not be stored; nothing was stored");
        goto out;
    }
    if (x.refused) {
        issue_set(is, 403, "forbidden", NULL, "nothing may be recorded before the required purposes of use are "
                                              "consented to (%s)", x.g.reason);
        goto out;
    }
    if (summary(out, &x, &p)) {
        issue_set(is, 500, "exception", NULL, "out of memory");
        goto out;
    }
    rc = 0;
out:
    sodium_memzero(key, sizeof key);
    job_free(&x);
    parsed_free(&p);
    return rc;
}
