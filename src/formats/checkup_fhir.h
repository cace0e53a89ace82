/* A checkup read from a 特定健診 CDA, as the FHIR resources that are stored:
 * one Observation per result (code system urn:oid:1.2.392.200119.6.1005,
 * value typed per the item table) and a DocumentReference for the document
 * itself, whose original is kept byte-identical (formats/import_fhir.h). */
#ifndef PHR_CHECKUP_FHIR_H
#define PHR_CHECKUP_FHIR_H

#include <stddef.h>
#include <stdint.h>

#include "formats/cda.h"
#include "formats/import_fhir.h"
#include "util/buf.h"

/* The 健診結果報告書 IG's profile for a result, which the Observations
 * written here declare (and the tests check them against). */
#define CHECKUP_OBSERVATION_PROFILE "http://jpfhir.jp/fhir/eCheckup/StructureDefinition/JP_Observation_eCheckupGeneral"

/* 0, or -1 out of memory. The Observation is dated by its result. */
int checkup_observation(struct buf *out, const char *id, const struct import_meta *m, const struct cda_checkup *c,
                        const struct cda_result *r);
int checkup_document(struct buf *out, const struct import_meta *m, const struct cda_checkup *c, size_t bytes);

#endif
