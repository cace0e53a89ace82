/* A handling-history entry as a FHIR R4 AuditEvent (emit only), for a
 * person's view of who else touched their data. Actors are shown by role,
 * never by name or address (staff are named to auditors, not to persons). */
#ifndef PHR_AUDITEVENT_H
#define PHR_AUDITEVENT_H

#include "model/rows.h"
#include "util/buf.h"

int auditevent_write(struct buf *out, const struct audit_row *a);

/* One item of an entry's records (or a provision's items) as a FHIR
 * reference, JSON-escaped into out: "Observation/{id}/_history/2" as it
 * is (a write's "@digest" left off), a bare id (recorded before items
 * were versioned) as an Observation's. 0 or -1. */
int audit_item_reference(struct buf *out, const char *item, size_t n);

#endif
