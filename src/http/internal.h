/* Shared by the http/ files only. */
#ifndef PHR_HTTP_INTERNAL_H
#define PHR_HTTP_INTERNAL_H

#include <pthread.h>
#include <microhttpd.h>

#include "http/ratelimit.h"
#include "http/request.h"
#include "http/server.h"

#define FHIR_TYPE "application/fhir+json; charset=utf-8"

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
    /* Requests begun and not yet completed: a request still being read
     * when stop began is answered too (for a while), not cut off. */
    unsigned active;
    unsigned deferred;               /* req_defer threads running */
    int stopping;
    struct ratelimit *by_address, *by_account;
    struct web *web;                 /* the portal's files */
};

/* The handlers of the routes in router.c, each in the file of its part of
 * the API. A handler runs once the router's checks have passed; r->param
 * holds the path's parameters and r->rt->arg the route's own data. */

/* routes_api.c: accounts, the portal's files, public tables. */
void route_health(struct request *r);
void route_checkup_items(struct request *r);
void route_signup(struct request *r);
void route_login(struct request *r);
void route_logout(struct request *r);
void route_second_factor_state(struct request *r);
void route_second_factor_change(struct request *r);
void route_portal(struct request *r);
/* fault_answer.c: every error code, its status and titles (public). */
void route_errors(struct request *r);
/* routes_public.c: the published checksheet (arg "json": as JSON). */
void route_checksheet(struct request *r);
void route_anonymised(struct request *r);
/* routes_oauth.c: the OAuth token endpoint, SMART's discovery document. */
void route_token(struct request *r);
void route_smart_configuration(struct request *r);
void route_introspect(struct request *r);
void route_revoke(struct request *r);
void route_authorize(struct request *r);
void route_app_request(struct request *r);
void route_app_decide(struct request *r);
void route_apps(struct request *r);
void route_app_revoke(struct request *r);
/* routes_consent.c: policies, the person's consents. */
void route_policies(struct request *r);
void route_policy_versions(struct request *r);
void route_consents_read(struct request *r);
void route_consents_record(struct request *r);
void route_suspensions(struct request *r);
void route_provisions(struct request *r);
/* routes_rights.c: disclosure, demographics, exports (arg: the format),
 * erasure. */
void route_disclosure(struct request *r);
void route_demographics(struct request *r);
void route_demographics_correct(struct request *r);
void route_export(struct request *r);
void route_export_okusuri(struct request *r);
void route_erasure_request(struct request *r);
void route_erasure_confirm(struct request *r);
/* A person's export (R4.3) of format f, streamed; and a recipient's SPHR
 * package of one person (R4.4). */
void routes_export(struct request *r, enum export_format f, const char *arg);
void routes_export_provided(struct request *r, const char *person);
/* routes_imports.c: imports and the imported documents (arg "original"). */
void route_import(struct request *r);
void route_document(struct request *r);
/* routes_staff.c and routes_manage.c: staff sign-in, reasons, the handling
 * history, and the information-asset manager's work. */
void route_staff_login(struct request *r);
void route_staff_logout(struct request *r);
void route_staff_reason(struct request *r);
void route_staff_me(struct request *r);
void route_audit(struct request *r);
void route_audit_verify(struct request *r);
void route_staff_accounts(struct request *r);
void route_staff_account_change(struct request *r);
void route_staff_recipients(struct request *r);
/* routes_anonymised.c */
void route_staff_anonymised_make(struct request *r);
void route_staff_anonymised_method(struct request *r);
void route_staff_anonymised_table(struct request *r);
void route_staff_anonymised_provide(struct request *r);
void route_staff_recipient_change(struct request *r);
void route_staff_policies(struct request *r);
/* routes_fhir.c: FHIR REST (arg: the resource type). */
void route_fhir_metadata(struct request *r);
void route_fhir_search(struct request *r);
void route_fhir_conditional_update(struct request *r);
void route_fhir_bundle(struct request *r);
void route_fhir_patient_search(struct request *r);
void route_fhir_read(struct request *r);
void route_fhir_vread(struct request *r);
void route_fhir_history(struct request *r);
void route_fhir_create(struct request *r);
void route_fhir_update(struct request *r);
void route_fhir_consents(struct request *r);
void route_fhir_provenance(struct request *r);
void route_fhir_audit_events(struct request *r);
void route_fhir_patient(struct request *r);
void route_fhir_everything(struct request *r);
void route_fhir_search_all(struct request *r);
void route_fhir_sphr(struct request *r);
void route_fhir_phr_export(struct request *r);
void route_package_keys(struct request *r);
/* routes_bulk.c: Bulk Data for recipients (arg "group": a Group's). */
void route_bulk_kickoff(struct request *r);
void route_bulk_status(struct request *r);
void route_bulk_cancel(struct request *r);
void route_bulk_file(struct request *r);

#endif
