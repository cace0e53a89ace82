#include "http/internal.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "formats/json.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/ids.h"
#include "util/log.h"

struct request *req_new(struct server *srv, struct MHD_Connection *c, const char *method, const char *path)
{
    struct request *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->conn = c;
    r->srv = srv;
    r->svc = srv->svc;
    r->method = method;
    r->path = path;
    r->t0 = clock_mono_ms();
    r->route = "(unrouted)";
    r->state = RQ_READING;
    id_request(r->id);
    buf_init(&r->body);
    buf_init(&r->resp);
    buf_init(&r->headers);
    r->body_limit = srv->cfg.max_body_api;
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    snprintf(r->client, sizeof r->client, "?");
    if (ci && ci->client_addr) {
        const struct sockaddr *sa = ci->client_addr;
        if (sa->sa_family == AF_INET)
            inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, r->client, sizeof r->client);
        else if (sa->sa_family == AF_INET6)
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, r->client, sizeof r->client);
    }
    r->actor.kind = ACTOR_ANONYMOUS;
    r->actor.client = r->client;
    r->actor.request_id = r->id;
    return r;
}

void req_free(struct request *r)
{
    if (!r)
        return;
    op_free(r->op);
    if (r->stream) {
        r->stream->close(r->stream->ctx);
        free(r->stream);
    }
    buf_wipe(&r->body);   /* may hold a password or health data */
    buf_wipe(&r->resp);
    buf_free(&r->headers);
    free(r);
}

const char *req_header(struct request *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *req_arg(struct request *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

int req_add_header(struct request *r, const char *name, const char *value)
{
    return buf_append(&r->headers, name, strlen(name) + 1) || buf_append(&r->headers, value, strlen(value) + 1);
}

void req_reply(struct request *r, int status, const char *ctype)
{
    r->status = status;
    r->ctype = ctype;
    r->state = RQ_DONE;
}

void req_stream(struct request *r, int status, const char *ctype, int (*next)(void *, struct buf *),
                void (*close)(void *), void *ctx)
{
    struct stream *st = calloc(1, sizeof *st);
    if (!st) {
        close(ctx);
        return req_refuse(r, F_INTERNAL, "out of memory");
    }
    *st = (struct stream){.next = next, .close = close, .ctx = ctx};
    r->stream = st;
    req_reply(r, status, ctype);
}

int req_is_json(struct request *r)
{
    const char *ct = req_header(r, MHD_HTTP_HEADER_CONTENT_TYPE);
    return ct && strncasecmp(ct, "application/json", 16) == 0;
}

json_object *req_json_object(struct request *r)
{
    if (!req_is_json(r)) {
        req_refuse(r, F_MEDIA_TYPE, "send application/json");
        return NULL;
    }
    struct fault fault;
    json_object *o = json_parse_strict(buf_cstr(&r->body), r->body.len, &fault);
    if (!o) {
        req_fault(r, &fault);
        return NULL;
    }
    if (!json_object_is_type(o, json_type_object)) {
        json_object_put(o);
        req_refuse(r, F_MALFORMED, "send a JSON object");
        return NULL;
    }
    return o;
}

#define SESSION_COOKIE "phr_session"

void req_finish_session(struct request *r, int64_t max_age_ms)
{
    const struct op_result *res = op_result(r->op);
    if (res->err)
        return req_answer_json(r, 200);
    if (!max_age_ms) {
        req_add_header(r, MHD_HTTP_HEADER_SET_COOKIE, SESSION_COOKIE "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
        return req_answer_json(r, 204);
    }
    struct buf c;
    buf_init(&c);
    if (buf_printf(&c, SESSION_COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%lld%s", res->token,
                   (long long)(max_age_ms / 1000), req_is_tls(r) ? "; Secure" : "") == 0)
        req_add_header(r, MHD_HTTP_HEADER_SET_COOKIE, c.data);
    buf_wipe(&c);
    req_answer_json(r, 200);
}

void req_finish_ok(struct request *r)
{
    req_answer_json(r, 200);
}

void req_finish_created(struct request *r)
{
    req_answer_json(r, 201);
}

void req_finish_no_content(struct request *r)
{
    req_answer_json(r, 204);
}

void req_answer_json(struct request *r, int ok_status)
{
    const struct op_result *res = op_result(r->op);
    if (res->err) {
        if (res->retry_after_s > 0) {
            char s[24];
            snprintf(s, sizeof s, "%lld", (long long)res->retry_after_s);
            req_add_header(r, "Retry-After", s);
        }
        req_fault(r, &res->fault);
        return;
    }
    if (op_render(r->op, &r->resp) != PHR_OK) {
        req_refuse(r, F_INTERNAL, "the answer could not be written");
        return;
    }
    req_reply(r, ok_status, r->resp.len ? "application/json; charset=utf-8" : NULL);
}

static void op_finished(struct op *op, void *arg)
{
    (void)op;
    struct request *r = arg;
    /* On the writer thread: only wake the connection; the answer is
     * written on the connection's own thread. */
    MHD_resume_connection(r->conn);
}

void req_submit(struct request *r, struct op *op, void (*finish)(struct request *r))
{
    struct server *srv = r->srv;
    r->op = op;
    pthread_mutex_lock(&srv->lock);
    if (srv->stopping) {
        pthread_mutex_unlock(&srv->lock);
        req_refuse(r, F_STOPPING, "the service is stopping; nothing was done");
        return;
    }
    srv->suspended++;
    pthread_mutex_unlock(&srv->lock);
    r->finish = finish;
    r->state = RQ_PENDING;
    /* Suspend before submitting: the op may finish before this returns,
     * and a resume must never precede its suspend. */
    MHD_suspend_connection(r->conn);
    int err = op_submit(r->svc, op, op_finished, r);
    if (err) {
        /* Answered on resume, like any other pending request; finish is
         * NULL, so the handler sends this answer as it stands. */
        r->finish = NULL;
        req_refuse(r, err == PHR_ESHUTDOWN ? F_STOPPING : F_UNAVAILABLE, "nothing was done (%s)", phr_strerror(err));
        r->state = RQ_PENDING;
        MHD_resume_connection(r->conn);
    }
}

/* A deferred handler's thread. At most DEFER_MAX at once: more are 503. */
#define DEFER_MAX 8

struct deferred {
    struct request *r;
    void (*work)(struct request *r);
};

static void *deferred_run(void *arg)
{
    struct deferred *d = arg;
    struct request *r = d->r;
    d->work(r);
    free(d);
    /* The work answered as a handler does (req_reply and the like, which
     * only fill in r); the connection's own thread sends it on resume. */
    r->finish = NULL;
    r->state = RQ_PENDING;
    struct server *srv = r->srv;
    pthread_mutex_lock(&srv->lock);
    srv->deferred--;
    pthread_mutex_unlock(&srv->lock);
    MHD_resume_connection(r->conn);
    return NULL;
}

void req_defer(struct request *r, void (*work)(struct request *r))
{
    struct server *srv = r->srv;
    pthread_mutex_lock(&srv->lock);
    int busy = srv->stopping || srv->deferred >= DEFER_MAX;
    if (!busy) {
        srv->suspended++;
        srv->deferred++;
    }
    pthread_mutex_unlock(&srv->lock);
    if (busy)
        return req_refuse(r, F_BUSY, "busy with other such requests; try again shortly");
    struct deferred *d = malloc(sizeof *d);
    pthread_t t;
    pthread_attr_t attr;
    r->state = RQ_PENDING;
    MHD_suspend_connection(r->conn);
    if (d) {
        *d = (struct deferred){r, work};
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        int err = pthread_create(&t, &attr, deferred_run, d);
        pthread_attr_destroy(&attr);
        if (!err)
            return;
    }
    free(d);
    pthread_mutex_lock(&srv->lock);
    srv->deferred--;
    pthread_mutex_unlock(&srv->lock);
    req_refuse(r, F_BUSY, "no thread could be started for the request; nothing was done");
    r->finish = NULL;
    r->state = RQ_PENDING;
    MHD_resume_connection(r->conn);
}

void req_resumed(struct request *r)
{
    struct server *srv = r->srv;
    pthread_mutex_lock(&srv->lock);
    if (--srv->suspended == 0)
        pthread_cond_broadcast(&srv->idle);
    pthread_mutex_unlock(&srv->lock);
}

static const char *cookie_token(struct request *r)
{
    return MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, SESSION_COOKIE);
}

/* A request signed in by cookie that changes something must come from
 * this site's own pages (CSRF, R2.9): the browser says so in
 * Sec-Fetch-Site, or older ones in Origin. API clients send a bearer token
 * and are not concerned. */
static int same_site(struct request *r)
{
    const char *m = r->method;
    if (!strcmp(m, "GET") || !strcmp(m, "HEAD") || !strcmp(m, "OPTIONS"))
        return 1;
    const char *site = req_header(r, "Sec-Fetch-Site");
    if (site)
        return !strcmp(site, "same-origin");
    const char *origin = req_header(r, "Origin");
    if (!origin)
        return 0;
    const char *base = req_base_url(r); /* "http://host:port/fhir" */
    size_t n = strlen(origin);
    return strncmp(base, origin, n) == 0 && base[n] == '/';
}

int req_authenticate(struct request *r)
{
    const char *token = NULL;
    const char *h = req_header(r, MHD_HTTP_HEADER_AUTHORIZATION);
    int cross_site = 0;
    if (h && strncasecmp(h, "Bearer ", 7) == 0)
        token = h + 7;
    else if ((token = cookie_token(r)) != NULL)
        cross_site = !same_site(r);
    if (!token)
        return PHR_ENOTFOUND;
    int err = service_authenticate(r->svc, token, &r->auth);
    if (err && err != PHR_EPERM)
        return err;
    /* An expired session or a cross-site change still says whose it is,
     * so that the refusal can be recorded; nothing else runs as them. */
    if (r->auth.person_id[0]) {
        r->actor.kind = ACTOR_PERSON;
        snprintf(r->actor.id, sizeof r->actor.id, "%s", r->auth.person_id);
    } else if (r->auth.staff_id[0]) {
        r->actor.kind = ACTOR_STAFF;
        snprintf(r->actor.id, sizeof r->actor.id, "%s", r->auth.staff_id);
        snprintf(r->actor.role, sizeof r->actor.role, "%s", r->auth.staff_role);
        r->actor.reason_id = req_header(r, "X-PHR-Reason");
    } else if (r->auth.recipient_id[0]) {
        r->actor.kind = ACTOR_RECIPIENT;
        snprintf(r->actor.id, sizeof r->actor.id, "%s", r->auth.recipient_id);
        r->actor.scope = r->auth.scope;
        r->actor.patient = r->auth.patient[0] ? r->auth.patient : NULL;
    }
    if (err || cross_site)
        return err ? err : PHR_EINVAL;
    char key[128];
    snprintf(key, sizeof key, "account:%s%s%s", r->auth.person_id, r->auth.staff_id, r->auth.recipient_id);
    if ((r->retry_after_s = ratelimit_hit(r->srv->by_account, key, clock_now_ms())) != 0)
        return PHR_EBUSY;
    return PHR_OK;
}

void req_too_many(struct request *r, int retry_after_s)
{
    char v[16];
    snprintf(v, sizeof v, "%d", retry_after_s);
    req_add_header(r, "Retry-After", v);
    req_refuse(r, F_RATE_LIMITED, "more than the allowed requests a minute; try again in %d s", retry_after_s);
}

void req_auth_refused(struct request *r, int err)
{
    if (err == PHR_EBUSY)
        return req_too_many(r, r->retry_after_s);
    if (err == PHR_EINVAL)
        return req_refuse(r, F_CROSS_SITE,
                          "a request signed in by cookie that changes something must come from this site's pages");
    if (err == PHR_EPERM)
        return req_refuse(r, F_SESSION_EXPIRED, "the session has expired (or the account is disabled)");
    if (err == PHR_ENOTFOUND)
        return req_refuse(r, F_SIGN_IN_REQUIRED, "no session or token was given, or it is not known");
    /* The store could not say: a valid session must not read as unknown. */
    req_refuse(r, F_UNAVAILABLE, "the session could not be checked (%s); nothing was done", phr_strerror(err));
}

int req_is_tls(struct request *r)
{
    return r->srv->cfg.tls_cert_pem != NULL;
}

const char *req_base_url(struct request *r)
{
    if (r->base_url[0])
        return r->base_url;
    if (r->srv->public_url[0]) {
        snprintf(r->base_url, sizeof r->base_url, "%s/fhir", r->srv->public_url);
        return r->base_url;
    }
    /* Reflect only a plausible host[:port]; anything else gets the listen address. */
    static const char host_chars[] =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]";
    const char *host = req_header(r, MHD_HTTP_HEADER_HOST);
    if (!host || strlen(host) > 200 || strspn(host, host_chars) != strlen(host))
        host = r->srv->cfg.listen;
    snprintf(r->base_url, sizeof r->base_url, "%s://%s/fhir", req_is_tls(r) ? "https" : "http", host);
    return r->base_url;
}

void req_own_url(struct request *r, const char *path, char *out, size_t size)
{
    const char *base = req_base_url(r); /* always ends in /fhir */
    snprintf(out, size, "%.*s%s", (int)(strlen(base) - 5), base, path);
}
