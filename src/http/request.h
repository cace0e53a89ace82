/* One HTTP request from arrival to answer, and the helpers routes use to
 * answer. Routes either answer at once (req_reply*) or hand an op to the
 * service with req_submit(): the connection is then suspended and resumed
 * when the op has committed, and `finish` writes the answer. */
#ifndef PHR_REQUEST_H
#define PHR_REQUEST_H

#include <microhttpd.h>
#include <json-c/json.h>

#include "http/fault_answer.h"
#include "http/router.h"
#include "service/service.h"
#include "util/buf.h"

struct server;

enum req_state { RQ_READING, RQ_PENDING, RQ_DONE };

struct request {
    struct MHD_Connection *conn;
    struct server *srv;
    struct service *svc;
    const char *method, *path;
    char id[17];
    char client[64];
    char base_url[320];            /* computed on first use */
    double t0;
    const char *route;             /* the route template, for logs */
    const struct route *rt;        /* matched when the request arrives; NULL: none */
    char param[ROUTE_PARAMS][ROUTE_PARAM_MAX + 1];
    char allow[64];                /* no route for the method: the path's methods */
    int auth_err;                  /* why authentication failed, for the answer */
    enum req_state state;

    struct buf body;
    size_t body_limit;
    int too_large;                 /* the rest of the body is discarded */
    size_t discarded;

    struct actor actor;            /* anonymous until authenticated */
    struct auth auth;

    struct op *op;
    int retry_after_s;             /* set when a rate limit refuses the request */
    void (*finish)(struct request *r);

    int status;
    const char *ctype;
    int cacheable;                 /* a public file a client may keep and revalidate; else no-store */
    struct buf resp;
    struct buf headers;            /* "Name\0Value\0" pairs added to the answer */
    struct stream *stream;         /* a body produced piece by piece, or NULL */
};

/* A body too large to build in memory: next appends the next piece to out
 * and returns 1, or 0 at the end, or <0 on failure (the connection is then
 * cut, so the client sees an incomplete body); close frees ctx. */
struct stream {
    int (*next)(void *ctx, struct buf *out);
    void (*close)(void *ctx);
    void *ctx;
    struct buf pending;
    size_t off;
};

struct request *req_new(struct server *srv, struct MHD_Connection *c, const char *method, const char *path);
void req_free(struct request *r);

const char *req_header(struct request *r, const char *name);
const char *req_arg(struct request *r, const char *name);
int req_add_header(struct request *r, const char *name, const char *value);

void req_reply(struct request *r, int status, const char *ctype);
/* Answers with a streamed body; the stream takes ctx (closed on every path). */
void req_stream(struct request *r, int status, const char *ctype, int (*next)(void *, struct buf *),
                void (*close)(void *), void *ctx);
/* Answers with the fault (http/fault_answer.c): the status of its kind, as
 * an OperationOutcome under /fhir and problem+json elsewhere, titled in
 * the caller's language. */
void req_fault(struct request *r, const struct fault *f);
/* The same for a fault decided by the http layer itself. */
void req_refuse(struct request *r, enum fault_code code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The body is declared application/json. */
int req_is_json(struct request *r);
/* The body as a JSON object; NULL after answering 415 or 400. The caller
 * puts the object. */
json_object *req_json_object(struct request *r);
/* Finish steps of JSON API ops: the answer with 200, 201 or 204. */
/* Answers a sign-in (setting the HttpOnly session cookie for the portal,
 * for max_age_ms) or, with 0, a sign-out (clearing it). */
void req_finish_session(struct request *r, int64_t max_age_ms);
void req_finish_ok(struct request *r);
void req_finish_created(struct request *r);
void req_finish_no_content(struct request *r);
/* The finish step of a JSON API op: its fault, or its rendered answer
 * with ok_status. */
void req_answer_json(struct request *r, int ok_status);
/* Runs work(r) — a handler that itself waits for the writer (an erasure's
 * commits, one after the other) — on a thread of its own while the
 * connection waits suspended, so that no HTTP thread waits for a commit;
 * work answers as any handler does. 503 when too many run at once. */
void req_defer(struct request *r, void (*work)(struct request *r));
/* Called by the handler when a suspended request is resumed. */
void req_resumed(struct request *r);

/* Suspends the connection and submits op; finish(r) runs on resume. */
void req_submit(struct request *r, struct op *op, void (*finish)(struct request *r));

/* Authenticates from "Authorization: Bearer" or the session cookie (the
 * router calls it once per request). PHR_OK; PHR_ENOTFOUND (none or
 * unknown); PHR_EPERM (expired, disabled) or PHR_EINVAL (a cookie-signed
 * change from another site), both with the actor set to whose it was, for
 * the record of the refusal; PHR_EBUSY (the account's request rate is
 * exceeded); another code when the store could not be read. */
int req_authenticate(struct request *r);
/* Answers a failed req_authenticate: sign-in-required or session-expired,
 * cross-site, rate-limited, or unavailable when the store could not say. */
void req_auth_refused(struct request *r, int err);
/* 429 with Retry-After. */
void req_too_many(struct request *r, int retry_after_s);

/* The public base URL ("http://host:port") for absolute links. */
const char *req_base_url(struct request *r);
/* The service's own URL for a path outside /fhir ("/api/v1/token"): the
 * FHIR base's origin and the path, into out. */
void req_own_url(struct request *r, const char *path, char *out, size_t size);
int req_is_tls(struct request *r);

#endif
