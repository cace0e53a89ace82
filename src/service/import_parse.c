#include "service/import_parse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "formats/checkup_fhir.h"
#include "formats/json.h"
#include "formats/medication_fhir.h"
#include "formats/omh.h"
#include "formats/vitals.h"
#include "util/clock.h"
#include "util/utf8.h"

static const struct format_info formats[] = {
    [FORMAT_CDA] = {"tokutei-cda", "mhlw-tokutei-hc08", "application/xml", "laboratory", "insurer"},
    [FORMAT_FHIR] = {"fhir", "fhir-r4", "application/fhir+json", "laboratory", "insurer"},
    [FORMAT_JAHIS] = {"jahis-tc", "jahis-tc", "text/plain; charset=utf-8", "medication", "medical-institution"},
    [FORMAT_CSV] = {"csv", "vitals-csv", "text/csv; charset=utf-8", "vital-signs", "device"},
    [FORMAT_OMH] = {"omh", "open-mhealth", "application/json", "vital-signs", "device"},
    [FORMAT_KEPT] = {"kept", "kept", "application/octet-stream", "document", "medical-institution"},
    [FORMAT_PHR] = {"phr", "hl7-phr", "application/x-ndjson", "document", "medical-institution"},
};

const struct format_info *import_format_info(enum import_format f)
{
    return &formats[f];
}

/* The first "entry N" in a fault about the Bundle made of a file's lines,
 * said as the file's line. */
static void entry_to_line(char *detail, size_t size, const size_t *lines, size_t n)
{
    char *at = strstr(detail, "entry ");
    size_t entry;
    int end;
    if (at && sscanf(at, "entry %zu%n", &entry, &end) == 1 && entry < n) {
        char rest[512];
        snprintf(rest, sizeof rest, "%s", at + end);
        snprintf(at, size - (size_t)(at - detail), "line %zu%.300s", lines[entry], rest);
        utf8_scrub(detail);
    }
}

/* A .phr file: each line (a FHIR resource) checked as JSON, then read as
 * the entries of a collection Bundle — its cover page, the Patient and the
 * Provenance as context, what the service keeps read as a FHIR file's
 * records, the rest passed over. */
static int phr_read(const char *data, size_t len, struct parsed *p, struct fault *fault)
{
    struct buf bundle = {0};
    size_t *lines = NULL, n = 0, cap = 0, lineno = 0;
    int rc = -1;
    if (len > FHIR_IMPORT_MAX_BYTES)
        return fault_set(fault, F_TOO_LARGE, NULL, "the file is larger than %d bytes", FHIR_IMPORT_MAX_BYTES);
    if (buf_puts(&bundle, "{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":["))
        goto oom;
    for (const char *line = data, *end = data + len; line < end;) {
        const char *nl = memchr(line, '\n', (size_t)(end - line));
        size_t k = nl ? (size_t)(nl - line) : (size_t)(end - line);
        lineno++;
        while (k && strchr(" \t\r", line[k - 1]))
            k--;
        if (k) {
            json_object *o = json_parse_strict(line, k, fault);
            int json = o != NULL, object = json && json_object_is_type(o, json_type_object);
            json_object_put(o);
            if (!object) {
                char why[sizeof fault->detail];
                snprintf(why, sizeof why, "%s", json ? "not a JSON object" : fault->detail);
                fault_set(fault, F_INVALID_STRUCTURE, NULL, "line %zu: %.300s", lineno, why);
                goto out;
            }
            if (n == cap) {
                size_t *m = realloc(lines, (cap = cap ? cap * 2 : 64) * sizeof *m);
                if (!m)
                    goto oom;
                lines = m;
            }
            lines[n] = lineno;
            if (buf_puts(&bundle, n++ ? ",{\"resource\":" : "{\"resource\":") || buf_append(&bundle, line, k) ||
                buf_puts(&bundle, "}"))
                goto oom;
        }
        line += (nl ? (size_t)(nl - line) : (size_t)(end - line)) + 1;
    }
    if (buf_puts(&bundle, "]}"))
        goto oom;
    rc = fhir_import_read_whole(bundle.data, bundle.len, clock_now_ms(), &p->fd, fault);
    if (rc)
        entry_to_line(fault->detail, sizeof fault->detail, lines, n);
    else if (p->fd.passed_over)
        entry_to_line(p->fd.passed_first, sizeof p->fd.passed_first, lines, n);
    goto out;
oom:
    fault_set(fault, F_INTERNAL, NULL, "out of memory");
out:
    buf_wipe(&bundle);
    free(lines);
    return rc;
}

static int sniff(const char *data, size_t len, enum import_format *f)
{
    size_t i = len >= 3 && !memcmp(data, "\xEF\xBB\xBF", 3) ? 3 : 0;
    while (i < len && strchr(" \t\r\n", data[i]))
        i++;
    if (i < len && data[i] == '<')
        *f = FORMAT_CDA;
    else if (omh_sniff(data, len))
        *f = FORMAT_OMH;
    else if (i < len && data[i] == '{')
        *f = fhir_ndjson_sniff(data, len) ? FORMAT_PHR : FORMAT_FHIR;
    else if (jahis_sniff(data, len))
        *f = FORMAT_JAHIS;
    else if (csv_sniff(data, len))
        *f = FORMAT_CSV;
    else
        return -1;
    return 0;
}

/* A CSV's checkup results, read as a FHIR file holding them is (checked
 * against the item table alike), a refusal naming the CSV's line. */
static int csv_checkups(struct parsed *p, struct fault *fault)
{
    struct buf bundle = {0};
    int rc = buf_puts(&bundle, "{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":[") ||
                     buf_append(&bundle, p->csv.checkups.data, p->csv.checkups.len) || buf_puts(&bundle, "]}")
                 ? fault_set(fault, F_INTERNAL, NULL, "out of memory")
                 : fhir_import_read(bundle.data, bundle.len, clock_now_ms(), &p->fd, fault);
    buf_wipe(&bundle);
    if (rc)
        entry_to_line(fault->detail, sizeof fault->detail, p->csv.checkup_lines, p->csv.ncheckups);
    return rc;
}

int import_parse(const char *data, size_t len, struct parsed *p, struct fault *fault)
{
    /* Whatever happens, import_parsed_free may be called on p. */
    memset(p, 0, sizeof *p);
    if (sniff(data, len, &p->f))
        return fault_set(
            fault, F_NOT_IMPORTABLE, NULL,
            "this is not a file the service imports: a 特定健診 CDA document (XML), FHIR R4 JSON, "
            "Open mHealth JSON, a JAHIS お薬手帳 text, a CSV of measurements whose header names the date column "
            "(effective, 日時), or an SPHR package (zip)");
    if (p->f == FORMAT_JAHIS) {
        if (jahis_read(data, len, &p->j, fault))
            return -1;
        if (!p->j.ndispensings && !p->j.notc)
            return fault_set(fault, F_INVALID_VALUE, NULL,
                             "the お薬手帳 text records no dispensing and no OTC medicine");
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
    if (p->f == FORMAT_CSV || p->f == FORMAT_OMH) {
        if (p->f == FORMAT_CSV ? csv_read(data, len, clock_now_ms(), &p->csv, fault)
                               : omh_read(data, len, clock_now_ms(), &p->csv, fault))
            return -1;
        if (p->csv.ncheckups && csv_checkups(p, fault))
            return -1;
        char when[32];
        clock_format_ms(p->csv.lo + 9 * 3600000LL, when);
        snprintf(p->day, sizeof p->day, "%.10s", when);
        p->lo = p->csv.lo;
        p->hi = p->csv.hi;
        if (p->fd.checkup.nresults && (!p->csv.n || p->fd.hi > p->hi)) {
            memcpy(p->day, p->fd.date, sizeof p->day);
            p->lo = p->fd.lo;
            p->hi = p->fd.hi;
        }
        return 0;
    }
    if (p->f == FORMAT_FHIR || p->f == FORMAT_PHR) {
        if (p->f == FORMAT_FHIR ? fhir_import_read(data, len, clock_now_ms(), &p->fd, fault)
                                : phr_read(data, len, p, fault))
            return -1;
        memcpy(p->day, p->fd.date, sizeof p->day);
        p->lo = p->fd.lo;
        p->hi = p->fd.hi;
        return 0;
    }
    if (cda_read(data, len, &p->c, fault))
        return -1;
    memcpy(p->day, p->c.date, sizeof p->day);
    p->lo = p->c.date_lo;
    p->hi = p->c.date_hi;
    return 0;
}

void import_parsed_free(struct parsed *p)
{
    jahis_doc_free(&p->j);
    csv_vitals_free(&p->csv);
    fhir_doc_free(&p->fd);
    cda_checkup_free(&p->c);
}

size_t import_records(const struct parsed *p)
{
    switch (p->f) {
    case FORMAT_CDA:
        return p->c.nresults;
    case FORMAT_FHIR:
    case FORMAT_PHR:
        return fhir_doc_records(&p->fd);
    case FORMAT_CSV:
    case FORMAT_OMH:
        return p->fd.checkup.nresults + p->csv.n;
    case FORMAT_JAHIS: {
        size_t n = p->j.notc;
        for (size_t i = 0; i < p->j.ndispensings; i++)
            n += p->j.dispensings[i].ndrugs;
        for (size_t i = 0; i < p->j.nremarks; i++)
            n += medication_remark_kept(&p->j.remarks[i]);
        return n;
    }
    case FORMAT_KEPT:
        break;
    }
    return 0;
}

const char *import_default_source(const struct parsed *p)
{
    if (p->f == FORMAT_CSV && p->fd.checkup.nresults)
        return "insurer"; /* checkup results, as a CDA's */
    return (p->f == FORMAT_FHIR || p->f == FORMAT_PHR) && !p->fd.checkup.nresults ? "medical-institution"
                                                                                   : formats[p->f].source;
}

static int csv_document(struct buf *b, const struct import_meta *m, const char *day, size_t bytes, int omh)
{
    char title[48];
    snprintf(title, sizeof title, "%s %s", omh ? "測定値 Open mHealth" : "測定値 CSV", day);
    return import_document(b, m, omh ? "{\"text\":\"Open mHealth data points\"}" : "{\"text\":\"CSV of measurements\"}",
                           title, day, bytes);
}

int import_render_document(const struct parsed *p, const struct import_meta *m, size_t bytes, struct buf *plain)
{
    switch (p->f) {
    case FORMAT_JAHIS:
        return medication_document(plain, m, &p->j, p->day, bytes);
    case FORMAT_FHIR:
    case FORMAT_PHR:
        return fhir_import_document(plain, m, &p->fd, bytes);
    case FORMAT_CSV:
    case FORMAT_OMH:
        return csv_document(plain, m, p->day, bytes, p->f == FORMAT_OMH);
    case FORMAT_CDA:
        return checkup_document(plain, m, &p->c, bytes);
    case FORMAT_KEPT:
        break;
    }
    return -1; /* a kept file's document names its path: imports.c writes it */
}

/* A checkup result's row, whatever file it came in: R1.1 category 1, the file's source. */
static void checkup_index(const struct cda_result *r, const struct import_meta *m, struct import_row *s)
{
    *s = (struct import_row){.type = "Observation", .code_system = "urn:oid:" TOKUTEI_ITEM_OID, .code = r->item->code,
                             .category = "laboratory", .source = m->source, .data_category = 1, .lo = r->date_lo,
                             .hi = r->date_hi};
    id_uuid7(s->id);
}

static int checkup_row(const struct cda_checkup *c, size_t k, const struct import_meta *m, struct import_row *s,
                       struct buf *plain)
{
    checkup_index(&c->results[k], m, s);
    return checkup_observation(plain, s->id, m, c, &c->results[k]);
}

static int vital_row(struct vital *v, const struct import_meta *m, struct import_row *s, struct buf *plain)
{
    /* R1.1: what the person measured is category 3; what a medical
     * institution measured (the resource says so) comes with the file's
     * source, category 1. */
    *s = (struct import_row){.type = "Observation", .code_system = LOINC, .code = v->kind->code,
                             .category = v->clinical ? vitals_category(v) : "vital-signs",
                             .source = v->clinical ? m->source : v->source, .data_category = v->clinical ? 1 : 3,
                             .lo = v->eff_lo, .hi = v->eff_hi};
    id_uuid7(s->id);
    return fhir_vital_render(plain, s->id, m, v, s->data_category, s->source, s->category);
}

/* Measurement k, parsed again from its checked text only for the time it
 * takes to render it (device_csv.h says why). */
static int measurement_row(const struct csv_vitals *c, size_t k, const struct import_meta *m, struct import_row *s,
                           struct buf *plain)
{
    struct vital v;
    struct fault fault;
    if (csv_vital_open(c, k, &v, &fault))
        return -1;
    int rc = vital_row(&v, m, s, plain);
    vital_free(&v);
    return rc;
}

/* A FHIR file's records: its checkup results (kept as sent), then vital
 * signs, then the rest. */
static int fhir_row(struct fhir_doc *d, size_t k, const struct import_meta *m, struct import_row *s,
                    struct buf *plain)
{
    if (k < d->checkup.nresults) {
        checkup_index(&d->checkup.results[k], m, s);
        return fhir_checkup_render(plain, s->id, m, d->sent[k], &d->checkup.results[k]);
    }
    k -= d->checkup.nresults;
    if (k < d->vitals.n)
        return measurement_row(&d->vitals, k, m, s, plain);
    struct fhir_other *o = &d->others[k - d->vitals.n];
    *s = (struct import_row){.type = o->type, .code_system = o->code_system, .code = o->code, .category = o->category,
                             .source = m->source, .data_category = 1, .lo = o->lo, .hi = o->hi};
    id_uuid7(s->id);
    return fhir_other_render(plain, s->id, m, o);
}

/* An お薬手帳 text's records: each medicine of each dispensing, the OTC
 * medicines, then the allergies and side effects (患者特記). */
static int jahis_row(const struct parsed *p, size_t k, const struct import_meta *m, struct import_row *s,
                     struct buf *plain)
{
    for (size_t d = 0; d < p->j.ndispensings; d++) {
        const struct jahis_dispensing *b = &p->j.dispensings[d];
        if (k >= b->ndrugs) {
            k -= b->ndrugs;
            continue;
        }
        const struct jahis_drug *g = &b->drugs[k];
        *s = (struct import_row){.type = "MedicationDispense", .code_system = medication_code_system(g),
                                 .code = *g->code ? g->code : g->name, .category = "medication",
                                 .source = medication_source(g->creator, m->source),
                                 .data_category = medication_data_category(g->creator), .lo = b->date_lo,
                                 .hi = b->date_hi};
        id_uuid7(s->id);
        return medication_dispense(plain, s->id, m, b, g);
    }
    if (k >= p->j.notc) {
        k -= p->j.notc;
        for (size_t i = 0; i < p->j.nremarks; i++)
            if (medication_remark_kept(&p->j.remarks[i]) && !k--) {
                const struct jahis_remark *r = &p->j.remarks[i];
                *s = (struct import_row){.type = "AllergyIntolerance", .code_system = "urn:phr:allergy-text",
                                         .code = r->text, .category = "allergy",
                                         .source = medication_source(r->creator, m->source),
                                         .data_category = medication_data_category(r->creator), .lo = p->lo,
                                         .hi = p->hi};
                id_uuid7(s->id);
                return medication_remark(plain, s->id, m, r, p->day);
            }
        return -1;
    }
    const struct jahis_otc *o = &p->j.otc[k];
    *s = (struct import_row){.type = "MedicationStatement",
                             .code_system = *o->jan ? "https://www.gs1.org/gtin" : "urn:phr:drug-name",
                             .code = *o->jan ? o->jan : o->name, .category = "medication",
                             .source = medication_source(o->creator, m->source),
                             .data_category = medication_data_category(o->creator),
                             .lo = o->date_lo ? o->date_lo : p->lo, .hi = o->date_hi ? o->date_hi : p->hi};
    id_uuid7(s->id);
    return medication_statement(plain, s->id, m, o);
}

int import_render_record(struct parsed *p, size_t k, const struct import_meta *m, struct import_row *r,
                         struct buf *plain)
{
    switch (p->f) {
    case FORMAT_CDA:
        return checkup_row(&p->c, k, m, r, plain);
    case FORMAT_FHIR:
    case FORMAT_PHR:
        return fhir_row(&p->fd, k, m, r, plain);
    case FORMAT_CSV:
    case FORMAT_OMH:
        /* A CSV's checkup results first, as a FHIR file's. */
        return k < p->fd.checkup.nresults ? fhir_row(&p->fd, k, m, r, plain)
                                          : measurement_row(&p->csv, k - p->fd.checkup.nresults, m, r, plain);
    case FORMAT_JAHIS:
        return jahis_row(p, k, m, r, plain);
    case FORMAT_KEPT:
        break;
    }
    return -1;
}

int import_summary(const struct parsed *p, struct buf *out)
{
    switch (p->f) {
    case FORMAT_CDA:
        return buf_printf(out, "\"checkup_date\":\"%s\",\"observations\":%zu,\"skipped\":%zu", p->c.date,
                          p->c.nresults, p->c.skipped);
    case FORMAT_FHIR:
    case FORMAT_PHR: {
        const struct fhir_doc *d = &p->fd;
        size_t meds = 0, allergies = 0;
        for (size_t i = 0; i < d->nothers; i++) {
            meds += !strcmp(d->others[i].category, "medication");
            allergies += !strcmp(d->others[i].category, "allergy");
        }
        return (d->checkup.nresults && buf_printf(out, "\"checkup_date\":\"%s\",", d->checkup.date)) ||
               buf_printf(out, "\"observations\":%zu,\"checkup_results\":%zu,\"vital_signs\":%zu,"
                               "\"medications\":%zu,\"allergies\":%zu,\"immunizations\":%zu,\"skipped\":%zu",
                          d->checkup.nresults + d->vitals.n, d->checkup.nresults, d->vitals.n, meds, allergies,
                          d->nothers - meds - allergies, d->skipped + d->checkup.skipped) ||
               (d->passed_over && (buf_printf(out, ",\"passed_over\":%zu,\"passed_over_first\":", d->passed_over) ||
                                   buf_json_str(out, d->passed_first)));
    }
    case FORMAT_CSV:
    case FORMAT_OMH:
        return buf_printf(out, "\"rows\":%zu,\"vital_signs\":%zu,\"checkup_results\":%zu,\"skipped\":%zu",
                          p->csv.rows, p->csv.n, p->fd.checkup.nresults, p->csv.skipped);
    case FORMAT_JAHIS: {
        size_t allergies = 0;
        for (size_t i = 0; i < p->j.nremarks; i++)
            allergies += medication_remark_kept(&p->j.remarks[i]);
        return buf_printf(out, "\"dispensings\":%zu,\"medications\":%zu,\"otc\":%zu,\"allergies\":%zu,"
                               "\"parts\":%zu,\"unmapped_records\":%zu",
                          p->j.ndispensings, import_records(p) - p->j.notc - allergies, p->j.notc, allergies,
                          p->j.parts, p->j.unmapped);
    }
    case FORMAT_KEPT:
        break;
    }
    return buf_puts(out, "\"kept\":true");
}
