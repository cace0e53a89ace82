/* CORS (Fetch standard): which web pages on other origins may call us.
 * The discovery documents are public to any origin; /fhir and the token,
 * introspection and revocation endpoints only to the origins registered
 * for an app (phr recipient app --origins). Credentials (the portal's
 * cookie) are never allowed across origins: an app sends its bearer. */
#ifndef PHR_HTTP_CORS_H
#define PHR_HTTP_CORS_H

struct request;

/* Adds the answer's CORS headers; 1 if it answered a preflight itself. */
int cors_handle(struct request *r);

#endif
