/* SMART scopes (App Launch 2.0 §Scopes, v1 forms mapped): what a client
 * asks for, what it is granted, and whether a grant covers an access.
 *
 * Read access is granted: v2 "rs" (and "r", "s"), v1 "read" (and "*" as
 * "read"). Of writes, only a person's app may create Observations (its
 * readings: v2 "c" on Observation or *, v1 "write" as "c", "*" as "crs");
 * every other c, u, d and v1 "write" is dropped, and a request left with
 * nothing is refused. A granular scope narrows Observation to a category
 * (vital-signs, laboratory or exam: kinds of data the gate then provides
 * alone). A scope naming an unknown resource type or action, a context
 * other than the one asked for, or any other query refuses the whole
 * request: a client never mistakes a scope it did not get for one it has. */
#ifndef PHR_SCOPES_H
#define PHR_SCOPES_H

#include <stddef.h>

#include "formats/data_kinds.h"
#include "util/buf.h"
#include "util/fault.h"

/* The longest grant kept with a token; a longer request is refused. */
#define SCOPE_MAX 512

/* The grant for a space-separated request in context ("system" for SMART
 * Backend Services, "patient" for a person's app, which may also ask for
 * launch/patient and offline_access, and openid, fhirUser, online_access,
 * which grant nothing): the granted scopes, space-separated, into granted.
 * 0, or -1 with F_SCOPE_INVALID. */
int scopes_grant(const char *requested, const char *context, struct buf *granted, struct fault *fault);

/* Whether granted allows perm ('r' read, 's' search, 'c' create) on type. */
int scopes_allow(const char *granted, const char *type, char perm);

/* Whether granted asks for more than allowed (a client's registration):
 * 1 with the first scope beyond it in first, else 0. A resource scope is
 * within if allowed gives each of its permissions on its type (on every
 * type for *); launch/patient and offline_access only if named. */
int scopes_beyond(const char *granted, const char *allowed, char *first, size_t size);

/* The kinds of data (formats/data_kinds.h) granted: every kind unless a
 * granular scope (Observation.rs?category=…|vital-signs, laboratory or
 * exam) narrows them, then the union of what each scope reaches. */
data_kinds scopes_kinds(const char *granted);

/* Whether type is an R4 resource type. */
int fhir_resource_type(const char *type);

#endif
