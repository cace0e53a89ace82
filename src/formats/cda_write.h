/* A 特定健診 HL7 CDA R2 document (MHLW hc08) written from checkup results
 * as the service keeps them (R4.3: results that did not come as a CDA —
 * a FHIR report, results entered from paper — leave in the format of the
 * マイナポータル too). Each result is written with the item table's data
 * type, unit and display name, and with the institution's reference range
 * and flag where the record has them, so that cda_read gives the same
 * results back. No I/O. */
#ifndef PHR_CDA_WRITE_H
#define PHR_CDA_WRITE_H

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "formats/demographics.h"
#include "util/buf.h"
#include "util/fault.h"

struct cda_header {
    const char *day;             /* the checkup's day, YYYY-MM-DD */
    const char *document_id;     /* a UUID */
    const char *person_id;       /* the person's id in the service, a UUID */
    const struct demographics *person; /* what else is known of them, or NULL */
    json_object *institution;    /* the examining institution, a FHIR Organization, or NULL */
    const char *author;          /* who made the document: the service */
    int64_t now_ms;
};

/* Appends the document to out. results: Observations (FHIR R4 JSON) coded
 * with the item table (urn:oid:1.2.392.200119.6.1005). 0, or -1 with the fault
 * naming the result that cannot be written (500: the records were checked
 * when they were stored). */
int cda_write(const struct cda_header *h, json_object *const *results, size_t n, struct buf *out, struct fault *fault);

#endif
