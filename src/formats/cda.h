/* 特定健診 HL7 CDA R2 documents (MHLW hc08): checked, validated against the
 * built-in schema, and read into the checkup's results, each typed per the
 * item table. No I/O; the document is parsed with network access, DTD
 * loading and entity substitution off, and a document type declaration is
 * refused outright. */
#ifndef PHR_CDA_H
#define PHR_CDA_H

#include <stddef.h>
#include <stdint.h>

#include "formats/demographics.h"
#include "formats/tokutei_items.h"
#include "util/buf.h"
#include "util/fault.h"

#define CDA_MAX_BYTES (4 * 1024 * 1024)
#define CDA_MAX_RESULTS 1000

struct cda_result {
    const struct tokutei_item *item;
    struct buf value;            /* the FHIR value[x] member, "valueQuantity":{…}, then the source's
                                    "referenceRange" and "interpretation" if it gave them */
    char date[11];               /* when measured, YYYY-MM-DD (a CDA: the checkup's date) */
    int64_t date_lo, date_hi;    /* that day in Japan, ms */
};

struct cda_checkup {
    char date[11];               /* the checkup's date, YYYY-MM-DD (serviceEvent/effectiveTime) */
    int64_t date_lo, date_hi;    /* that day in Japan, ms */
    struct cda_result *results;
    size_t nresults;
    size_t skipped;              /* observations without a value (nullFlavor) */
    struct demographics person;  /* what the file says of the person examined */
    struct buf institution;      /* the examining institution as a FHIR Organization (no id), or empty */
};

/* 0, or -1 with the fault saying what is wrong (naming the item or the rule;
 * malformed for XML that does not parse). */
int cda_read(const char *xml, size_t len, struct cda_checkup *out, struct fault *fault);
void cda_checkup_free(struct cda_checkup *c);
/* 0 if xml passes the same checks as cda_read up to the results (well
 * formed, no DTD, the CDA R2 header, valid against the hc08 schema); -1
 * with the fault saying where it fails. */
int cda_check(const char *xml, size_t len, struct fault *fault);
/* Room for one more result in c (cap: the results' capacity), within
 * CDA_MAX_RESULTS; 0, or -1 with the fault filled. For readers of other forms of
 * checkup results (formats/fhir_import.c). */
int cda_result_room(struct cda_checkup *c, size_t *cap, struct fault *fault);
/* Appends to r's value the examining institution's reference range and
 * flag as the source document gave them: low and high (decimal text; one
 * may be NULL, both NULL for none) in the item's unit, and a v3
 * ObservationInterpretation code (H, L, N, A …; NULL for none). 0, or -1
 * with the fault naming the item. */
int cda_result_range(struct cda_result *r, const char *low, const char *high, const char *flag, struct fault *fault);

#endif
