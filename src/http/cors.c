#include "http/cors.h"

#include <string.h>

#include "http/internal.h"

#define PREFLIGHT_SECONDS "600"

/* Paths and who may call them from another origin. */
static const struct {
    const char *path;
    int prefix;
    int anyone;                   /* public metadata: "*" */
} reach[] = {
    {"/.well-known/smart-configuration", 0, 1},
    {"/fhir/.well-known/smart-configuration", 0, 1},
    {"/fhir/metadata", 0, 1},
    {"/fhir/", 1, 0},
    {"/api/v1/token", 0, 0},
    {"/api/v1/introspect", 0, 0},
    {"/api/v1/revoke", 0, 0},
};

int cors_handle(struct request *r)
{
    const char *origin = req_header(r, "Origin");
    if (!origin)
        return 0;
    size_t i = 0;
    for (; i < sizeof reach / sizeof reach[0]; i++)
        if (reach[i].prefix ? !strncmp(r->path, reach[i].path, strlen(reach[i].path)) : !strcmp(r->path, reach[i].path))
            break;
    int preflight = !strcmp(r->method, "OPTIONS") && req_header(r, "Access-Control-Request-Method");
    int allowed = i < sizeof reach / sizeof reach[0] && (reach[i].anyone || app_origin_allowed(r->svc, origin));
    if (allowed) {
        req_add_header(r, "Access-Control-Allow-Origin", reach[i].anyone ? "*" : origin);
        req_add_header(r, "Vary", "Origin");
        req_add_header(r, "Access-Control-Expose-Headers",
                       "Location, Content-Location, ETag, Last-Modified, X-Progress, Retry-After, X-Request-Id");
    }
    if (!preflight)
        return 0;
    r->route = "(preflight)";
    if (!allowed) {
        req_refuse(r, F_CROSS_SITE, "this origin is not registered for any app that may call %s", r->path);
        return 1;
    }
    req_add_header(r, "Access-Control-Allow-Methods", "GET, POST, PUT, DELETE");
    req_add_header(r, "Access-Control-Allow-Headers",
                   "Authorization, Content-Type, Accept, Accept-Language, Prefer, If-Match, If-None-Match");
    req_add_header(r, "Access-Control-Max-Age", PREFLIGHT_SECONDS);
    req_reply(r, 204, NULL);
    return 1;
}
