/* How a fault is answered over HTTP (fault_answer.c): the status of its
 * kind and the body. Requests answer with req_fault (request.h). */
#ifndef PHR_FAULT_ANSWER_H
#define PHR_FAULT_ANSWER_H

#include "util/buf.h"
#include "util/fault.h"

/* The status a fault of this code is answered with. */
int fault_status(enum fault_code code);
/* The body: an OperationOutcome (fhir) or RFC 9457 problem+json, titled in
 * English or Japanese; 0, or -1 when the buffer failed. */
int fault_body(const struct fault *f, int fhir, int english, struct buf *out);

#endif
