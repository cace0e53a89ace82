/* Consent ledger entries as FHIR R4 Consent resources, provision records
 * as Provenance (emit only). */
#ifndef PHR_CONSENT_FHIR_H
#define PHR_CONSENT_FHIR_H

#include <stdint.h>

#include "model/rows.h"
#include "util/buf.h"

/* Appends the resource. Status: the latest grant is active, the latest
 * refusal or withdrawal rejected, every earlier entry inactive (latest:
 * the entry is the one in force for its purpose). */
int consent_fhir_write(struct buf *out, const struct consent_row *e, int latest);

struct provision_entry {
    int64_t seq, at;
    const char *purpose;
    int purpose_version;
    int64_t consent_seq;
    const char *items;           /* Observation ids, comma-separated */
    const char *recipient_name, *recipient_country;
};

/* Appends a Provenance: the records provided (target), when, to whom, and
 * the purpose and consent relied on (policy). */
int provision_fhir_write(struct buf *out, const struct provision_entry *e);

#endif
