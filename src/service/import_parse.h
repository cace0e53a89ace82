/* One imported file, read by its format and turned into the resources the
 * service stores (service/ only). The formats are told apart by their first
 * bytes; imports.c puts the rows of one or more files into one transaction. */
#ifndef PHR_IMPORT_PARSE_H
#define PHR_IMPORT_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "formats/cda.h"
#include "formats/device_csv.h"
#include "formats/fhir_import.h"
#include "formats/import_fhir.h"
#include "formats/jahis.h"
#include "util/buf.h"
#include "util/ids.h"

/* FORMAT_PHR: HL7's .phr, a person's whole record as NDJSON (read as a
 * FHIR Bundle of its lines, kinds not kept passed over). */
enum import_format { FORMAT_CDA, FORMAT_FHIR, FORMAT_JAHIS, FORMAT_CSV, FORMAT_OMH, FORMAT_KEPT, FORMAT_PHR };

/* A file's format: its name in answers, its urn:phr:format code, its media
 * type, the category of its document, its default R1.1 source. */
struct format_info {
    const char *kind, *format, *content_type, *category, *source;
};
const struct format_info *import_format_info(enum import_format f);

/* What was read from a file. */
struct parsed {
    enum import_format f;
    struct cda_checkup c;
    struct fhir_doc fd;
    struct jahis_doc j;
    struct csv_vitals csv;        /* a CSV's or Open mHealth file's measurements */
    char day[11];                 /* the document's day */
    int64_t lo, hi;
};

/* A row to store: a resource (sealed later) and how the store indexes it. */
struct import_row {
    char id[ID_LEN + 1];
    const char *type, *code_system, *code, *category, *source;
    int data_category;
    int64_t lo, hi;
};

/* 0, or -1 with the fault filled (not-importable when the format is none of the service's);
 * either way p is to be freed with import_parsed_free. */
int import_parse(const char *data, size_t len, struct parsed *p, struct fault *fault);
void import_parsed_free(struct parsed *p);
/* The records the file holds (its document not counted). */
size_t import_records(const struct parsed *p);
/* The file's default source: a FHIR file of medication or vaccinations
 * comes from a clinic or pharmacy more often than an insurer. */
const char *import_default_source(const struct parsed *p);
/* The file's DocumentReference (m->document_id) into plain. */
int import_render_document(const struct parsed *p, const struct import_meta *m, size_t bytes, struct buf *plain);
/* Record k (from 0): describes it in r (a fresh id) and writes it to plain. */
int import_render_record(struct parsed *p, size_t k, const struct import_meta *m, struct import_row *r,
                         struct buf *plain);
/* The members of the answer that describe what the file held. */
int import_summary(const struct parsed *p, struct buf *out);

#endif
