/* JAHIS 電子版お薬手帳 text (JAHISTC08, output category 2: from the person
 * to a pharmacy or clinic) written from the medication the service holds
 * (R4.3): MedicationDispense records grouped into dispensings by day and
 * pharmacy, newest first, each medicine with its usage and notes; OTC
 * MedicationStatements as records 3 and 31; AllergyIntolerances as the
 * patient's remarks (record 2: allergy, or side effect for an intolerance). The patient record comes from
 * the caller (formats/patient_write.h). CRLF line ends, UTF-8; the
 * caller converts to Shift_JIS if asked. */
#ifndef PHR_JAHIS_WRITE_H
#define PHR_JAHIS_WRITE_H

#include <stddef.h>
#include <json-c/json.h>

#include "util/buf.h"

/* What the text carries that no record of the service holds, from the
 * newest text imported, written where JAHIS puts it: the patient record
 * (1, "1,氏名,性別,生年月日,…", required); remarks of the kinds not kept
 * as records (2: 既往歴, その他), notebook memos (4) and the pharmacist in
 * charge (701), each line with its CRLF (NULL: none). */
struct jahis_kept {
    const char *patient, *remarks, *memos, *pharmacist;
};

/* resources: MedicationDispense, MedicationStatement and AllergyIntolerance
 * resources (others are ignored). 0, or -1 out of memory. */
int jahis_write(json_object *const *resources, size_t n, const struct jahis_kept *kept, struct buf *out);

#endif
