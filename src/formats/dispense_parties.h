/* Who dispensed and who prescribed a dispensing, both ways between an
 * お薬手帳 text and JP Core's MedicationDispense: the pharmacy (record 11)
 * and the pharmacist (15) as the performers, the prescribing institution
 * (51) and doctor (55) as the requester of the authorizing prescription —
 * each contained in the dispense, with its 医療機関コード, address and
 * phone, so that the text written back has the records as they came. */
#ifndef PHR_DISPENSE_PARTIES_H
#define PHR_DISPENSE_PARTIES_H

#include <json-c/json.h>

#include "formats/jahis.h"
#include "util/buf.h"

/* ,"contained":[…],"performer":[…],"authorizingPrescription":[…] of the
 * dispensing's parties (nothing when it names none). person: the patient's
 * id (the prescription's subject); concept: the medicine, the JSON of a
 * medicationCodeableConcept. -1 out of memory. */
int dispense_parties_fhir(struct buf *b, const struct jahis_dispensing *d, const char *person, const char *concept);
/* Records 11, 15, 51 and 55 (each with its CRLF) of the parties a
 * dispense contains; 0 with nothing written when it contains none (a
 * record stored before they were kept: the caller writes what it knows). */
int dispense_parties_jahis(json_object *dispense, struct buf *out, int *written);

#endif
