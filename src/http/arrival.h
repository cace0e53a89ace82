/* What is refused as a request arrives, before its route runs or its body
 * is read: more query parameters than any route takes, a body length said
 * twice or both ways (request smuggling), and a Host the service does not
 * answer for (absolute links are made from it). */
#ifndef PHR_ARRIVAL_H
#define PHR_ARRIVAL_H

#include <microhttpd.h>

struct fault;
struct server;

#define QUERY_PARAMS_MAX 64

/* libmicrohttpd's URI callback: counts the query parameters before the
 * library stores them. A URI with too many is marked, and its arguments are
 * not stored at all: libmicrohttpd 0.9.75, run out of pool memory by them,
 * answers nothing until the connection times out (60 s). Returns the
 * request's first context: NULL, or the mark. */
void *arrival_uri(void *cls, const char *uri, struct MHD_Connection *c);
/* 1 if the context is arrival_uri's mark. */
int arrival_marked(const void *ctx);

/* 0 if the request may go on; else -1, with why filled in. */
int arrival_refusal(const struct server *srv, struct MHD_Connection *c, const void *ctx, struct fault *why);

#endif
