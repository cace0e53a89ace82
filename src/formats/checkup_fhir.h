/* A checkup read from a 特定健診 CDA, as the FHIR resources that are stored:
 * one Observation per result (code system urn:oid:1.2.392.200119.6.1005,
 * value typed per the item table) and a DocumentReference for the document
 * itself, whose original is kept byte-identical. Each carries the R1.1
 * category and source tags and the provenance extension, as vitals do. */
#ifndef PHR_CHECKUP_FHIR_H
#define PHR_CHECKUP_FHIR_H

#include <stddef.h>
#include <stdint.h>

#include "formats/cda.h"
#include "util/buf.h"

struct checkup_meta {
    const char *person_id, *document_id;
    const char *source;          /* R1.1: insurer, medical-institution, mynaportal */
    const char *recorded_by, *channel;
    const char *sha256_hex;      /* of the document */
    const char *content_type;    /* of the document: application/xml, application/fhir+json */
    const char *format;          /* urn:phr:format code: mhlw-tokutei-hc08, fhir-bundle */
    int64_t recorded_at;
};

/* 0, or -1 out of memory. The Observation is dated by its result. */
int checkup_observation(struct buf *out, const char *id, const struct checkup_meta *m, const struct cda_checkup *c,
                        const struct cda_result *r);
int checkup_document(struct buf *out, const struct checkup_meta *m, const struct cda_checkup *c, size_t bytes);

#endif
