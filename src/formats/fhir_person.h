/* The person a FHIR file is about, as its context resources describe them
 * (a 健診結果報告書's JP_Patient_eCS, its JP_CoverageInsurance and the
 * insurer's Organization): read into demographics, what is malformed left
 * out, as these are kept beside the records, not needed for them. */
#ifndef PHR_FHIR_PERSON_H
#define PHR_FHIR_PERSON_H

#include <json-c/json.h>

#include "formats/demographics.h"

/* Reads what res (any resource of the file) says of the person into d. */
void fhir_person_read(struct demographics *d, json_object *res);

#endif
