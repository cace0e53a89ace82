/* The person as the documents the service writes name them, from their
 * demographics (formats/demographics.h): a FHIR Patient (JP_Patient_eCS
 * when its name, sex, birth date and address are known), the 特定健診 CDA's
 * recordTarget, and the お薬手帳's patient record (JAHIS record 1). */
#ifndef PHR_PATIENT_WRITE_H
#define PHR_PATIENT_WRITE_H

#include <stdint.h>

#include "formats/demographics.h"
#include "util/buf.h"

#define PATIENT_ECS_PROFILE "http://jpfhir.jp/fhir/eCS/StructureDefinition/JP_Patient_eCS"

/* The Patient resource with this id (the person's id in the service, also
 * its identifier as a URN); d NULL: the id alone. */
int patient_fhir(const struct demographics *d, const char *id, int64_t now_ms, struct buf *out);
/* <recordTarget>…</recordTarget>: the service's id, the insurance card's
 * numbers, the address, phone, name, sex and birth date that are known. */
int patient_cda(const struct demographics *d, const char *id, struct buf *out);
/* Record 1 without its line end, or -1 when the name, sex or birth date
 * is not known. kept: the record 1 of an imported text (NULL: none), whose
 * emergency contact, blood type and weight are carried over. */
int patient_jahis(const struct demographics *d, const char *kept, struct buf *out);

#endif
