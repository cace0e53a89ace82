/* Shared by the http/ files only. */
#ifndef PHR_HTTP_INTERNAL_H
#define PHR_HTTP_INTERNAL_H

#include <pthread.h>
#include <microhttpd.h>

#include "http/ratelimit.h"
#include "http/request.h"
#include "http/server.h"

struct server {
    struct MHD_Daemon *daemon;
    struct service *svc;
    struct server_config cfg;
    char public_url[200];
    /* Shutdown may stop the daemon only when no connection is suspended
     * (libmicrohttpd aborts otherwise): once `stopping` is set no request
     * suspends, and stop waits for `suspended` to reach zero. */
    pthread_mutex_t lock;
    pthread_cond_t idle;
    unsigned suspended;
    int stopping;
    struct ratelimit *by_address, *by_account;
    struct web *web;                 /* the portal's files */
};

void routes_api(struct request *r);
void routes_fhir(struct request *r);
/* /api/v1/policies and /api/v1/me/...: policies, consents, suspensions. */
void routes_consent(struct request *r);
/* /api/v1/me/erasures: called by routes_consent once the person is known. */
void routes_rights(struct request *r);
/* A person's export (R4.3): FHIR Bundle or CSV streamed, or the SPHR package. */
void routes_export(struct request *r, enum export_format f, const char *day);
void routes_export_provided(struct request *r, const char *person);
/* /fhir/$export, /fhir/Patient/$export, /fhir/$export-status/…,
 * /fhir/$export-file/…: Bulk Data for recipients; rest is after "/fhir". */
void routes_bulk(struct request *r, const char *rest);
/* /api/v1/imports and /api/v1/me/documents/{id}[/original]. */
void routes_imports(struct request *r);
/* /api/v1/me/second-factor, for the authenticated person. */
void routes_second_factor(struct request *r);
/* /api/v1/staff/... and /api/v1/audit. */
void routes_staff(struct request *r);
/* The information-asset manager's accounts, recipients and policies
 * (staff already authenticated); 0 if the path is none of them. */
int routes_manage(struct request *r);
/* GET / : a page saying the service is up (the portal is another module). */
void routes_root(struct request *r);
/* The public pages (the checksheet); 0 if the path is none of them. */
int routes_public(struct request *r);

#endif
