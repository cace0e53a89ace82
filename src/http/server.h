/* The HTTP server: libmicrohttpd with its epoll thread pool. */
#ifndef PHR_SERVER_H
#define PHR_SERVER_H

#include <stddef.h>

#include "service/service.h"

struct server_config {
    const char *listen;            /* "127.0.0.1:8080", "[::1]:8080" */
    const char *public_url;        /* base for absolute links; NULL: from Host */
    const char *allowed_hosts;     /* without public_url: Host values answered besides the listen address, "a,b" */
    unsigned threads;
    unsigned connection_limit;
    unsigned per_ip_limit;         /* connections from one address */
    unsigned rate_per_address;     /* requests a minute from one address; 0: no limit */
    unsigned rate_per_account;     /* requests a minute by one signed-in account; 0: no limit */
    unsigned connection_timeout_s;
    const char *tls_cert_pem;      /* with tls_key_pem: serve HTTPS; NULL: plain HTTP */
    const char *tls_key_pem;
    size_t max_body_api, max_body_fhir;
    size_t max_body_import;   /* POST /api/v1/imports: a whole document */
    const char *web_dir;      /* the portal's files (web/) */
};

void server_config_defaults(struct server_config *cfg);

struct server;
int server_start(struct service *svc, const struct server_config *cfg, struct server **out);
/* Stops accepting, lets the requests waiting on the store finish (refusing
 * later ones with 503), then stops. */
void server_stop(struct server *srv);

#endif
