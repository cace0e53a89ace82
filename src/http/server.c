/* libmicrohttpd glue: the access handler's state machine, answers with the
 * security headers, the request log line, and graceful shutdown.
 *
 * libmicrohttpd calls the access handler several times per request: once
 * when the headers are in (we only set up state: answering on the first
 * call would make it close the connection), once per body chunk, once when
 * the body is complete (we route), and once more after a suspended
 * connection is resumed (we answer). */
#include "http/arrival.h"
#include "http/cors.h"
#include "http/internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <stdarg.h>

#include "http/web.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"

void server_config_defaults(struct server_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->listen = "127.0.0.1:8080";
    cfg->threads = 2;
    cfg->connection_limit = 4096;
    cfg->per_ip_limit = 256;
    cfg->rate_per_address = 6000;
    cfg->rate_per_account = 1200;
    cfg->connection_timeout_s = 60;
    cfg->max_body_api = 16 * 1024;
    cfg->max_body_fhir = 256 * 1024;
    cfg->max_body_import = IMPORT_MAX_BYTES;
    cfg->web_dir = PHR_WEB_DIR;
}

static const char CSP[] = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                          "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/* Refills the stream's pending piece when it is used up. */
static ssize_t stream_read(void *cls, uint64_t pos, char *out, size_t max)
{
    (void)pos;
    struct stream *st = cls;
    while (st->off == st->pending.len) {
        buf_wipe(&st->pending);
        st->off = 0;
        int more = st->next(st->ctx, &st->pending);
        if (more < 0 || buf_failed(&st->pending)) {
            log_event(LOG_ERROR, "http.stream_cut", "why", more < 0 ? "the next piece failed" : "out of memory", NULL);
            return MHD_CONTENT_READER_END_WITH_ERROR;
        }
        if (more == 0 && st->pending.len == 0)
            return MHD_CONTENT_READER_END_OF_STREAM;
    }
    size_t n = st->pending.len - st->off;
    if (n > max)
        n = max;
    memcpy(out, st->pending.data + st->off, n);
    st->off += n;
    return (ssize_t)n;
}

static void stream_free(void *cls)
{
    struct stream *st = cls;
    st->close(st->ctx);
    buf_wipe(&st->pending);
    free(st);
}

/* An answer whose building failed somewhere (an append ran out of memory:
 * the buffers' error is sticky) is never sent in part: 500, nothing of it. */
static void whole_or_nothing(struct request *r)
{
    if (!buf_failed(&r->resp) && !buf_failed(&r->headers))
        return;
    log_event(LOG_ERROR, "http.answer_incomplete", "req", r->id, "route", r->route, NULL);
    buf_wipe(&r->resp);
    buf_free(&r->headers);
    if (r->stream) {
        stream_free(r->stream);
        r->stream = NULL;
    }
    req_refuse(r, F_INTERNAL, "the answer could not be made whole; nothing of it was sent");
    if (buf_failed(&r->resp))
        buf_free(&r->resp); /* not even that: the status alone */
}

static enum MHD_Result queue(struct request *r)
{
    struct MHD_Response *resp;
    whole_or_nothing(r);
    if (r->stream) {
        resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024, stream_read, r->stream, stream_free);
        if (!resp)
            stream_free(r->stream);
        r->stream = NULL;
    } else {
        resp = MHD_create_response_from_buffer(r->resp.len, r->resp.data ? r->resp.data : "", MHD_RESPMEM_MUST_COPY);
    }
    if (!resp)
        return MHD_NO;
    if (r->ctype)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->ctype);
    MHD_add_response_header(resp, "Content-Security-Policy", CSP);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    MHD_add_response_header(resp, "Cache-Control", r->cacheable ? "no-cache" : "no-store");
    MHD_add_response_header(resp, "X-Request-Id", r->id);
    if (r->srv->cfg.tls_cert_pem)
        MHD_add_response_header(resp, "Strict-Transport-Security", "max-age=31536000");
    for (size_t off = 0; off < r->headers.len;) {
        const char *name = r->headers.data + off;
        const char *value = name + strlen(name) + 1;
        MHD_add_response_header(resp, name, value);
        off = (size_t)(value - r->headers.data) + strlen(value) + 1;
    }
    enum MHD_Result ok = MHD_queue_response(r->conn, (unsigned)r->status, resp);
    MHD_destroy_response(resp);
    /* The copy is queued; the plaintext need not wait for the free. */
    buf_wipe(&r->resp);
    return ok;
}

/* How long a stop lets requests being read or streamed finish. */
#define STOP_ACTIVE_MS 5000

/* Bodies larger than this are cut off by closing the connection. */
#define DISCARD_MAX (64u * 1024 * 1024)

static void too_large(struct request *r)
{
    r->route = "(body too large)";
    req_refuse(r, F_TOO_LARGE, "the body is larger than %zu bytes", r->body_limit);
}

static void route(struct request *r)
{
    char key[80];
    snprintf(key, sizeof key, "address:%s", r->client);
    int retry = ratelimit_hit(r->srv->by_address, key, clock_now_ms());
    if (retry) {
        r->route = "(rate limited)";
        return req_too_many(r, retry);
    }
    if (!cors_handle(r))
        router_dispatch(r);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    (void)version;
    struct server *srv = cls;
    struct request *r = *con_cls;

    if (!r || arrival_marked(r)) {
        const void *mark = r;
        r = req_new(srv, c, method, url);
        if (!r)
            return MHD_NO;
        *con_cls = r;
        pthread_mutex_lock(&srv->lock);
        srv->active++;
        pthread_mutex_unlock(&srv->lock);
        struct fault why;
        if (arrival_refusal(srv, c, mark, &why)) {
            /* Answered before the body: the library then closes the
             * connection, and nothing of what follows is read as a request. */
            r->route = "(refused on arrival)";
            req_fault(r, &why);
            return queue(r);
        }
        /* The route is known before the body: its limit applies as it arrives. */
        r->rt = router_match(method, url, r->param, r->allow, sizeof r->allow);
        if (r->rt && r->rt->body == BODY_FHIR)
            r->body_limit = srv->cfg.max_body_fhir;
        else if (r->rt && r->rt->body == BODY_DOCUMENT)
            r->body_limit = srv->cfg.max_body_import; /* whole documents: a file, or every policy text */
        return MHD_YES;
    }
    if (r->state == RQ_READING && *upload_size) {
        size_t n = *upload_size;
        *upload_size = 0;
        if (r->too_large) {
            /* Read and drop the rest so that the client can read the 413;
             * past a hard bound, just close. */
            r->discarded += n;
            return r->discarded > DISCARD_MAX ? MHD_NO : MHD_YES;
        }
        if (r->body.len + n > r->body_limit) {
            r->too_large = 1;
            buf_wipe(&r->body);
            return MHD_YES;
        }
        if (buf_append(&r->body, upload, n) != 0)
            return MHD_NO;
        return MHD_YES;
    }
    if (r->state == RQ_READING) {
        if (r->too_large)
            too_large(r);
        else
            route(r);
        if (r->state == RQ_PENDING)
            return MHD_YES;
    } else if (r->state == RQ_PENDING) {
        req_resumed(r);
        if (r->finish)
            r->finish(r);
        r->state = RQ_DONE;
    } else {
        return MHD_YES; /* the answer is queued already */
    }
    return queue(r);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    (void)c;
    struct request *r = *con_cls;
    if (!r || arrival_marked(r))
        return;
    /* A client that left while its request waited on the writer is only
     * noticed on resume, and then the handler is not called again: the
     * request is no longer suspended, and stop must not wait for it. */
    if (r->state == RQ_PENDING)
        req_resumed(r);
    int status = r->status;
    if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK && status == 0)
        status = 499; /* the client went away before an answer */
    log_request(r->id, r->method, r->route, status, clock_mono_ms() - r->t0, r->client);
    req_free(r);
    *con_cls = NULL;
    struct server *srv = cls;
    pthread_mutex_lock(&srv->lock);
    if (--srv->active == 0)
        pthread_cond_broadcast(&srv->idle);
    pthread_mutex_unlock(&srv->lock);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[256];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    log_event(LOG_WARN, "http.mhd", "message", msg, NULL);
}

static int parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
    char host[128];
    const char *colon = strrchr(s, ':');
    if (!colon || colon == s || strlen(colon + 1) == 0 || strlen(colon + 1) > 5)
        return -1;
    size_t hl = (size_t)(colon - s);
    if (s[0] == '[') {
        if (hl < 3 || s[hl - 1] != ']')
            return -1;
        s++;
        hl -= 2;
    }
    if (hl >= sizeof host)
        return -1;
    memcpy(host, s, hl);
    host[hl] = '\0';
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || port < 1 || port > 65535)
        return -1;
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons((uint16_t)port);
        *len = sizeof *in4;
        return 0;
    }
    if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)port);
        *len = sizeof *in6;
        return 0;
    }
    return -1;
}

int server_start(struct service *svc, const struct server_config *cfg, struct server **out)
{
    *out = NULL;
    struct sockaddr_storage ss;
    socklen_t sslen;
    if (parse_listen(cfg->listen, &ss, &sslen) != 0) {
        log_event(LOG_ERROR, "http.start", "error", "listen address must be IP:PORT (e.g. 127.0.0.1:8080)",
                  "listen", cfg->listen, NULL);
        return PHR_EINVAL;
    }
    struct server *srv = calloc(1, sizeof *srv);
    if (!srv)
        return PHR_ENOMEM;
    srv->svc = svc;
    srv->cfg = *cfg;
    if (cfg->public_url) {
        snprintf(srv->public_url, sizeof srv->public_url, "%s", cfg->public_url);
        size_t n = strlen(srv->public_url);
        while (n && srv->public_url[n - 1] == '/')
            srv->public_url[--n] = '\0';
    }
    int err = web_load(cfg->web_dir, &srv->web);
    if (err) {
        free(srv);
        return err;
    }
    if (ratelimit_create(svc, "address", cfg->rate_per_address, &srv->by_address) != PHR_OK ||
        ratelimit_create(svc, "account", cfg->rate_per_account, &srv->by_account) != PHR_OK) {
        ratelimit_free(srv->by_address);
        web_free(srv->web);
        free(srv);
        return PHR_ENOMEM;
    }
    pthread_mutex_init(&srv->lock, NULL);
    pthread_cond_init(&srv->idle, NULL);
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    /* TLS through libmicrohttpd's GnuTLS, when a certificate is given. */
    struct MHD_OptionItem tls[] = {
        {MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)cfg->tls_cert_pem},
        {MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)cfg->tls_key_pem},
        {MHD_OPTION_END, 0, NULL},
    };
    if (cfg->tls_cert_pem)
        flags |= MHD_USE_TLS;
    else
        tls[0].option = MHD_OPTION_END;
    srv->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, srv,
        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)(cfg->threads ? cfg->threads : 2),
        MHD_OPTION_CONNECTION_LIMIT, cfg->connection_limit,
        /* One address cannot take every connection (R2.9). */
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, cfg->per_ip_limit,
        MHD_OPTION_CONNECTION_TIMEOUT, cfg->connection_timeout_s,
        /* Room for a request's headers (cookies, long search URLs: half of
         * it is the read buffer) per connection; a request whose headers do
         * not fit is refused by libmicrohttpd. Not more: libmicrohttpd
         * clears the whole of it for each request on a connection. */
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(32 * 1024),
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
        MHD_OPTION_URI_LOG_CALLBACK, arrival_uri, NULL,
        MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1,
        MHD_OPTION_ARRAY, tls,
        MHD_OPTION_END);
    if (!srv->daemon) {
        log_event(LOG_ERROR, "http.start", "error", "could not listen", "listen", cfg->listen, NULL);
        ratelimit_free(srv->by_address);
        ratelimit_free(srv->by_account);
        web_free(srv->web);
        pthread_mutex_destroy(&srv->lock);
        pthread_cond_destroy(&srv->idle);
        free(srv);
        return PHR_EIO;
    }
    *out = srv;
    return PHR_OK;
}

void server_stop(struct server *srv)
{
    if (!srv)
        return;
    /* Not quiesced: in libmicrohttpd 0.9.75's epoll thread pool,
     * MHD_quiesce_daemon takes the listening socket out of each worker's
     * epoll set from this thread while the worker may be doing the same,
     * and whichever comes second panics (SIGABRT at SIGTERM, seen under
     * load in CI). Connections that arrive meanwhile are answered 503 by
     * the stopping flag; MHD_stop_daemon closes the socket. */
    /* Requests waiting on the writer finish; later ones are refused. The
     * writer answers every job it holds within its busy timeout, so the
     * wait ends; a slow disk is reported, not cut short, because stopping
     * the daemon under a suspended connection would abort the process. */
    pthread_mutex_lock(&srv->lock);
    srv->stopping = 1;
    /* A request still being read or answered is let finish for a while
     * (a client that keeps a connection busy cannot hold the stop). */
    int64_t active_until = clock_mono_ms() + STOP_ACTIVE_MS;
    while (srv->suspended > 0 || (srv->active > 0 && clock_mono_ms() < active_until)) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += srv->suspended > 0 ? 10 : 1;
        if (pthread_cond_timedwait(&srv->idle, &srv->lock, &until) == ETIMEDOUT && srv->suspended > 0) {
            char n[16];
            snprintf(n, sizeof n, "%u", srv->suspended);
            log_event(LOG_WARN, "http.stop", "waiting_for_requests", n, NULL);
        }
    }
    pthread_mutex_unlock(&srv->lock);
    MHD_stop_daemon(srv->daemon);
    ratelimit_free(srv->by_address);
    ratelimit_free(srv->by_account);
    web_free(srv->web);
    pthread_mutex_destroy(&srv->lock);
    pthread_cond_destroy(&srv->idle);
    free(srv);
}
