#include "http/arrival.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "http/internal.h"

static char too_many_params;

void *arrival_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
    (void)cls;
    (void)c;
    char *q = uri ? strchr(uri, '?') : NULL;
    size_t n = 0;
    for (const char *p = q; p && *p; p++)
        n += *p == '&';
    if (!q || n < QUERY_PARAMS_MAX)
        return NULL;
    /* The library parses the arguments from just after the '?' once this
     * returns, in its own writable read buffer (it splits them in place):
     * an empty string leaves it nothing to store. */
    q[1] = '\0';
    return &too_many_params;
}

int arrival_marked(const void *ctx)
{
    return ctx == &too_many_params;
}

struct framing {
    int lengths, chunked;
};

static enum MHD_Result count_framing(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    struct framing *f = cls;
    if (!strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH))
        f->lengths++;
    else if (!strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING))
        f->chunked += value != NULL;
    return MHD_YES;
}

/* Without a public URL, links are made from Host: only the address served
 * on, localhost on its port, or a host the operator named. */
static int host_known(const struct server *srv, const char *host)
{
    if (srv->public_url[0])
        return 1;
    if (!host)
        return 0;
    const char *port = strrchr(srv->cfg.listen, ':');
    char local[80];
    snprintf(local, sizeof local, "localhost%s", port ? port : "");
    if (!strcasecmp(host, srv->cfg.listen) || !strcasecmp(host, local))
        return 1;
    size_t n = strlen(host);
    for (const char *p = srv->cfg.allowed_hosts; p && *p;) {
        size_t m = strcspn(p, ",");
        if (m == n && !strncasecmp(p, host, n))
            return 1;
        p += m + (p[m] == ',');
    }
    return 0;
}

int arrival_refusal(const struct server *srv, struct MHD_Connection *c, const void *ctx, struct fault *why)
{
    if (arrival_marked(ctx))
        return fault_set(why, F_URI_TOO_LONG, NULL, "more query parameters than any request takes (at most %d)",
                         QUERY_PARAMS_MAX);
    struct framing f = {0, 0};
    MHD_get_connection_values(c, MHD_HEADER_KIND, count_framing, &f);
    if (f.lengths > 1)
        return fault_set(why, F_BAD_REQUEST, NULL, "Content-Length is given more than once");
    if (f.lengths && f.chunked)
        return fault_set(why, F_BAD_REQUEST, NULL,
                         "the body's length is given both by Content-Length and by Transfer-Encoding");
    if (!host_known(srv, MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST)))
        return fault_set(why, F_UNKNOWN_HOST, NULL,
                         "this Host is not one the service answers for (the operator "
                         "sets --public-url or --allowed-hosts)");
    return 0;
}
