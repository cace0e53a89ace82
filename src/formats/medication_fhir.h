/* Medication read from a JAHIS お薬手帳 text, as the FHIR resources that
 * are stored: a MedicationDispense (JP Core JP_MedicationDispense) for
 * each medicine of a dispensing, a MedicationStatement for each OTC
 * medicine the text records, and the DocumentReference of the text. */
#ifndef PHR_MEDICATION_FHIR_H
#define PHR_MEDICATION_FHIR_H

#include "formats/import_fhir.h"
#include "formats/jahis.h"
#include "util/buf.h"

/* The code system of a JAHIS drug code, or of a name without a code. */
const char *medication_code_system(const struct jahis_drug *g);
/* R1.1 of a record by its creator: what the person wrote is category 3,
 * self-reported; the rest is what the file's source handed over. */
int medication_data_category(int creator);
const char *medication_source(int creator, const char *file_source);

/* 0, or -1 out of memory. */
int medication_dispense(struct buf *b, const char *id, const struct import_meta *m,
                        const struct jahis_dispensing *d, const struct jahis_drug *g);
int medication_statement(struct buf *b, const char *id, const struct import_meta *m, const struct jahis_otc *o);
/* A 患者特記 of kind allergy or side effect (record 2), as a JP Core
 * AllergyIntolerance (type allergy or intolerance; the text as its code's
 * text, as the notebook gives no code). */
/* 1 for the remarks kept as records; a past illness or another remark
 * stays in the original text only. */
int medication_remark_kept(const struct jahis_remark *r);
int medication_remark(struct buf *b, const char *id, const struct import_meta *m, const struct jahis_remark *r,
                      const char *day);
int medication_document(struct buf *b, const struct import_meta *m, const struct jahis_doc *doc, const char *day,
                        size_t bytes);

#endif
