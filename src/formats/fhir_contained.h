/* What a record in a FHIR Bundle names by reference and the Bundle
 * carries (a prescription's Medication, a result's doctor) becomes
 * contained in the record: stored alone, the record still says by itself
 * what it names, and the Bundle's context need not be kept. */
#ifndef PHR_FHIR_CONTAINED_H
#define PHR_FHIR_CONTAINED_H

#include <json-c/json.h>

#include "util/fault.h"

/* The entry of entries (a Bundle's, or NULL) of resource type `type` that
 * the Reference ref_obj names ("Type/id", or the entry's fullUrl, whole or
 * as its end) is copied into o's contained (without its own version, as
 * FHIR's dom-4 wants) and ref_obj made "#id". 0 if done; -1 if the Bundle
 * does not carry it (fault untouched) or out of memory (fault set). */
int fhir_contain_entry(json_object *entries, json_object *o, json_object *ref_obj, const char *type,
                       struct fault *fault);
/* The same for each performer that is a Practitioner, PractitionerRole or
 * Organization; -1 only out of memory. */
int fhir_contain_performers(json_object *entries, json_object *o, struct fault *fault);

/* What o contains about the patient (a prescription's subject, an
 * immunization's patient) names person_id's Patient instead: a record
 * kept is the importing person's whole. */
void fhir_contained_patient(json_object *o, const char *person_id);

#endif
