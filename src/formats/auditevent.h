/* A handling-history entry as a FHIR R4 AuditEvent (emit only), for a
 * person's view of who else touched their data. Actors are shown by role,
 * never by name or address (staff are named to auditors, not to persons). */
#ifndef PHR_AUDITEVENT_H
#define PHR_AUDITEVENT_H

#include "store/store.h"
#include "util/buf.h"

int auditevent_write(struct buf *out, const struct audit_row *a);

#endif
