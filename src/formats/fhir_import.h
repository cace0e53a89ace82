/* FHIR R4 JSON handed in as a file (R4.2): one resource, or a Bundle of
 * type document, collection or transaction (the 健診結果報告書 among them),
 * read into what the service stores:
 *   - Observations coded with the 特定健診 item table: checkup results,
 *     typed per the table as from a CDA (formats/cda.h);
 *   - Observations of the supported vital signs: checked as
 *     POST /fhir/Observation checks them (formats/vitals.h);
 *   - MedicationDispense, MedicationStatement, Immunization: checked for
 *     status, what was given and when.
 * Patient, Composition, Organization and other context resources are
 * counted as skipped (the file's own patient is replaced by the person
 * importing it); any other clinical resource is refused with its entry. */
#ifndef PHR_FHIR_IMPORT_H
#define PHR_FHIR_IMPORT_H

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "formats/cda.h"
#include "formats/device_csv.h"
#include "formats/import_fhir.h"
#include "formats/vitals.h"

#define FHIR_IMPORT_MAX_BYTES (4 * 1024 * 1024)

/* A medication or immunisation record, as given (rewritten when stored). */
struct fhir_other {
    json_object *res;                  /* owned */
    const char *type;                  /* static: MedicationDispense, … */
    const char *category;              /* the record's category: medication, immunization */
    const char *subject_member;        /* "subject", or "patient" for an Immunization */
    const char *from_member;           /* the reference to the file's document, NULL if the type has none */
    const char *code_system, *code;    /* point into res (or a static system and the text) */
    int64_t lo, hi;
};

struct fhir_doc {
    struct cda_checkup checkup;        /* item-table Observations; checkup.date the newest */
    json_object **sent;                /* each of them as sent (owned), in the same order */
    struct csv_vitals vitals;          /* checked vital signs, kept as text (formats/device_csv.h) */
    struct fhir_other *others;
    size_t nothers;
    size_t skipped;                    /* context resources and value-less checkup items */
    size_t passed_over;                /* a whole record: resources of kinds not kept */
    char passed_first[400];            /* the first of them, and why */
    char date[11];                     /* the newest day of anything read */
    int64_t lo, hi;
};

/* 0, or -1 with the fault saying what is wrong (the entry's index and the rule). */
int fhir_import_read(const char *json, size_t len, int64_t now_ms, struct fhir_doc *out, struct fault *fault);
/* A person's whole record from another PHR service (a .phr file's lines
 * as a Bundle): what the service keeps is read and checked as above, and a
 * resource of a kind it does not keep (a CarePlan, an Observation of a
 * code it does not know) is passed over and counted, not refused: the
 * file is kept whole as it came. */
int fhir_import_read_whole(const char *json, size_t len, int64_t now_ms, struct fhir_doc *out, struct fault *fault);
/* 1 if the text is NDJSON (a .phr file) rather than one JSON text: its
 * first line a whole object, and more lines after it. */
int fhir_ndjson_sniff(const char *data, size_t len);
size_t fhir_doc_records(const struct fhir_doc *d);
void fhir_doc_free(struct fhir_doc *d);

/* The stored forms (0, or -1 out of memory): the file's DocumentReference,
 * a vital sign (with the R1.1 category, source and observation category
 * the caller decided), a medication or immunisation record (category 1,
 * the file's source). Checkup results are
 * written by formats/checkup_fhir.h. The resource is changed in place. */
int fhir_import_document(struct buf *b, const struct import_meta *m, const struct fhir_doc *d, size_t bytes);
int fhir_vital_render(struct buf *b, const char *id, const struct import_meta *m, struct vital *v, int data_category,
                      const char *source, const char *category);
/* A checkup result kept whole as the file sent it (components, method,
 * specimen, performer, its codes and categories), checked as the item
 * table says by fhir_import_read: the item table's coding and UCUM's unit
 * added where the file gave them otherwise; R1.1 category 1, the file's
 * source. */
int fhir_checkup_render(struct buf *b, const char *id, const struct import_meta *m, json_object *sent,
                        const struct cda_result *r);
int fhir_other_render(struct buf *b, const char *id, const struct import_meta *m, struct fhir_other *o);

#endif
