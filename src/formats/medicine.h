/* Which medicine a MedicationDispense or MedicationStatement names, however
 * it names it: medicationCodeableConcept, or a reference to a Medication it
 * contains ("#id"), coded, or only by its ingredients (a compound, an
 * injection mixed from several: JP Core's and HL7's examples). The stored
 * resource keeps the form it came in; its readers ask here. */
#ifndef PHR_MEDICINE_H
#define PHR_MEDICINE_H

#include <json-c/json.h>

/* The contained Medication the resource references, or NULL. */
json_object *medicine_contained(json_object *r);
/* The CodeableConcept that names the medicine: medicationCodeableConcept,
 * the contained Medication's code, else its first ingredient's item. NULL
 * when there is none of them. */
json_object *medicine_concept(json_object *r);
/* The ingredients' items of the contained Medication (an array), or NULL. */
json_object *medicine_ingredients(json_object *r);
/* A name to show: the concept's text or first display, the reference's
 * display; NULL when the resource names the medicine nowhere. */
const char *medicine_name(json_object *r);

#endif
