#include "service/bulk_internal.h"
#include "service/internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "crypto/password.h"
#include "crypto/totp.h"
#include "formats/cda_schema.h"
#include "util/clock.h"
#include "util/err.h"
#include "formats/sphr.h"
#include "util/log.h"
#include "util/ticker.h"

void service_config_defaults(struct service_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->session_idle_ms = 30LL * 60 * 1000;
    cfg->session_max_ms = 12LL * 3600 * 1000;
    cfg->login_lock_after = 5;
    cfg->client_lock_after = 30;
    cfg->login_lock_ms = 15LL * 60 * 1000;
    cfg->login_delay_ms = 1000;
    cfg->tz_offset_min = 9 * 60;
    cfg->read_connections = 16;
    cfg->max_batch = 256;
    cfg->hash_concurrency = 2;
    cfg->checkpoint_interval_ms = 60 * 1000;
    cfg->staff_session_idle_ms = 15LL * 60 * 1000;
    cfg->staff_session_max_ms = 8LL * 3600 * 1000;
    cfg->staff_inactive_ms = 90LL * 86400 * 1000;
    cfg->inactive_after_ms = 5LL * 365 * 86400 * 1000;
    cfg->inactive_notice_ms = 90LL * 86400 * 1000;
    cfg->provision_keep_ms = 3LL * 365 * 86400 * 1000;
    cfg->provider_id = "phr";
    cfg->provider_name = "PHR service";
}

/* Loads the comma-separated old keys. */
static int load_old_keys(struct service *svc, const char *paths)
{
    while (paths && *paths) {
        size_t n = strcspn(paths, ",");
        char path[4096];
        if (n == 0 || n >= sizeof path || svc->nold == MAX_OLD_KEYS)
            return PHR_EINVAL;
        memcpy(path, paths, n);
        path[n] = '\0';
        int err = mkey_load(path, &svc->old_keys[svc->nold]);
        if (err) {
            log_event(LOG_ERROR, "service.open", "step", "old master key", "path", path, "error", phr_strerror(err),
                      NULL);
            return err;
        }
        svc->nold++;
        paths += n + (paths[n] == ',');
    }
    return PHR_OK;
}

/* What runs once the store is open and before anything is served, in this
 * order: an erasure a crash interrupted is finished before anyone can
 * reach the person; records kept by an older phr get their kind of data
 * before any purpose is decided on it; and what a crash left unsigned in
 * the handling history is signed before anything is added. */
static const struct {
    const char *step;
    int (*run)(struct service *svc);
} startup[] = {
    {"unfinished erasures", erasure_resume},
    {"kinds of data of older records", records_classify},
    {"checkpoint", service_checkpoint_now},
};

int service_open(const struct service_config *cfg, struct service **out)
{
    *out = NULL;
    if (sodium_init() < 0)
        return PHR_EIO;
    struct service *svc = calloc(1, sizeof *svc);
    if (!svc)
        return PHR_ENOMEM;
    svc->cfg = *cfg;
    int err = PHR_EINVAL;
    if (!sphr_provider_ok(cfg->provider_id, cfg->provider_name)) {
        log_event(LOG_ERROR, "service.open", "step", "provider", "error",
                  "the provider id is 1 to 32 letters, digits, '-' or '.'; the name 1 to 200 characters", NULL);
        goto fail;
    }
    err = mkey_load(cfg->key_path, &svc->mk);
    if (err) {
        log_event(LOG_ERROR, "service.open", "step", "master key", "path", cfg->key_path, "error",
                  phr_strerror(err), NULL);
        goto fail;
    }
    if ((err = load_old_keys(svc, cfg->old_key_paths)) != PHR_OK)
        goto fail;
    if ((err = sign_key_load(cfg->audit_key_path, &svc->audit_key)) != PHR_OK) {
        log_event(LOG_ERROR, "service.open", "step", "audit key", "path", cfg->audit_key_path, "error",
                  phr_strerror(err), NULL);
        goto fail;
    }
    if ((err = password_init(cfg->hash_concurrency, 5000)) != PHR_OK || (err = totp_init()) != PHR_OK)
        goto fail;
    if (cda_schema_load() != 0) {
        log_event(LOG_ERROR, "service.open", "step", "CDA schema", NULL);
        err = PHR_EIO;
        goto fail;
    }
    /* The writer opens first: it creates and migrates the schema. */
    if ((err = writer_start(cfg->db_path, cfg->max_batch, &svc->writer)) != PHR_OK) {
        log_event(LOG_ERROR, "service.open", "step", "store", "error", phr_strerror(err), NULL);
        goto fail;
    }
    if ((err = store_pool_create(cfg->db_path, cfg->read_connections, &svc->readers)) != PHR_OK)
        goto fail;
    for (size_t i = 0; i < sizeof startup / sizeof startup[0]; i++)
        if ((err = startup[i].run(svc)) != PHR_OK) {
            log_event(LOG_ERROR, "service.open", "step", startup[i].step, "error", phr_strerror(err), NULL);
            goto fail;
        }
    if ((err = checkpointing_start(svc, &svc->checkpointing)) != PHR_OK ||
        (err = retention_start(svc, &svc->retention)) != PHR_OK ||
        (err = bulk_preparing_start(svc, &svc->bulk_preparing)) != PHR_OK)
        goto fail;
    *out = svc;
    return PHR_OK;
fail:
    service_close(svc);
    return err;
}

void service_close(struct service *svc)
{
    if (!svc)
        return;
    ticker_stop(svc->bulk_preparing);
    ticker_stop(svc->retention);
    ticker_stop(svc->checkpointing);
    /* The last head is signed before the writer closes: a stopped service
     * leaves no unsigned tail. */
    if (svc->writer && svc->audit_key)
        service_checkpoint_now(svc);
    if (svc->writer) {
        struct writer_stats ws;
        char b[24], j[24];
        writer_get_stats(svc->writer, &ws);
        snprintf(b, sizeof b, "%llu", (unsigned long long)ws.batches);
        snprintf(j, sizeof j, "%llu", (unsigned long long)ws.jobs);
        log_event(LOG_INFO, "store.writer", "batches", b, "jobs", j, NULL);
    }
    /* Readers first: the writer's connection, closing last, checkpoints the
     * WAL into the database file and removes it. */
    store_pool_destroy(svc->readers);
    writer_stop(svc->writer);
    password_shutdown();
    mkey_free(svc->mk);
    for (size_t i = 0; i < svc->nold; i++)
        mkey_free(svc->old_keys[i]);
    sign_key_free(svc->audit_key);
    free(svc);
}

const struct service_config *service_config(const struct service *svc)
{
    return &svc->cfg;
}

int service_reader(struct service *svc, struct store **out)
{
    return store_pool_get(svc->readers, out);
}

void service_reader_done(struct service *svc, struct store *st)
{
    store_pool_put(svc->readers, st);
}

struct key_lookup {
    unsigned char wrapped[WRAPPED_KEY_BYTES];
    char key_id[KEY_ID_LEN + 1];
    int ok;
};

static void got_person(void *arg, const struct person_row *p)
{
    struct key_lookup *k = arg;
    if (p->wrapped_key_len == WRAPPED_KEY_BYTES) {
        memcpy(k->wrapped, p->wrapped_key, WRAPPED_KEY_BYTES);
        snprintf(k->key_id, sizeof k->key_id, "%s", p->master_key_id ? p->master_key_id : "");
        k->ok = 1;
    }
}

int service_data_key(struct service *svc, struct store *rd, const char *person_id,
                     unsigned char key[DATA_KEY_BYTES])
{
    struct key_lookup k = {.ok = 0};
    int err = store_person_by_id(rd, person_id, got_person, &k);
    if (err)
        return err;
    if (!k.ok)
        return PHR_EIO;
    const struct master_key *mk = service_key_by_id(svc, k.key_id);
    if (!mk) {
        log_event(LOG_ERROR, "keys.missing", "key_id", k.key_id, "hint", "give the old key with --old-keys", NULL);
        return PHR_ECRYPTO;
    }
    return mkey_unwrap(mk, person_id, k.wrapped, key);
}

const struct master_key *service_key_by_id(const struct service *svc, const char *id)
{
    if (!strcmp(mkey_id(svc->mk), id))
        return svc->mk;
    for (size_t i = 0; i < svc->nold; i++)
        if (!strcmp(mkey_id(svc->old_keys[i]), id))
            return svc->old_keys[i];
    return NULL;
}

int service_open_sealed(const struct service *svc, const char *ad, const unsigned char *sealed, size_t len,
                        unsigned char *out)
{
    if (mkey_open(svc->mk, ad, sealed, len, out) == PHR_OK)
        return PHR_OK;
    for (size_t i = 0; i < svc->nold; i++)
        if (mkey_open(svc->old_keys[i], ad, sealed, len, out) == PHR_OK)
            return PHR_OK;
    return PHR_ECRYPTO;
}

int service_reseal(const struct service *svc, const char *ad, const unsigned char *sealed, size_t len,
                   unsigned char *out)
{
    unsigned char plain[256];
    if (len < MKEY_SEAL_OVERHEAD || len - MKEY_SEAL_OVERHEAD > sizeof plain)
        return PHR_ECRYPTO;
    if (mkey_open(svc->mk, ad, sealed, len, plain) == PHR_OK) {
        sodium_memzero(plain, sizeof plain);
        return 0;
    }
    int err = service_open_sealed(svc, ad, sealed, len, plain);
    if (!err)
        mkey_seal(svc->mk, ad, plain, len - MKEY_SEAL_OVERHEAD, out);
    sodium_memzero(plain, sizeof plain);
    return err ? err : 1;
}

/* --- ops --- */

static int op_run(struct job *j, struct store *st)
{
    struct op *op = (struct op *)j;
    return op->ops->commit(op, st);
}

/* An op that failed without saying why still answers with a fault: the
 * one its error code stands for. */
static void op_fault_fill(struct op *op)
{
    static const struct {
        int err;
        enum fault_code code;
        const char *detail;
    } by_err[] = {
        {PHR_EPERM, F_FORBIDDEN, "not permitted"},
        {PHR_ENOTFOUND, F_NOT_FOUND, "no such thing"},
        {PHR_ECONFLICT, F_CONFLICT, "this conflicts with the current state"},
        {PHR_EBUSY, F_BUSY, "busy; try again shortly"},
        {PHR_ESHUTDOWN, F_STOPPING, "the service is stopping; nothing was done"},
        {PHR_EIO, F_UNAVAILABLE, "the store could not commit; nothing was changed"},
    };
    if (op->res.err == PHR_OK || op->res.fault.code != F_NONE)
        return;
    for (size_t i = 0; i < sizeof by_err / sizeof by_err[0]; i++)
        if (by_err[i].err == op->res.err) {
            fault_set(&op->res.fault, by_err[i].code, NULL, "%s", by_err[i].detail);
            return;
        }
    fault_set(&op->res.fault, F_INTERNAL, NULL, "%s", phr_strerror(op->res.err));
}

static void op_job_done(struct job *j)
{
    struct op *op = (struct op *)j;
    /* A failed commit overrides whatever the op had decided. */
    if (j->rc != PHR_OK && op->res.err == PHR_OK) {
        op->res.err = j->rc;
        fault_set(&op->res.fault, F_UNAVAILABLE, NULL, "the store could not commit; nothing was changed");
    }
    op_fault_fill(op);
    op->done(op, op->done_arg);
}

void op_init(struct op *op, struct service *svc, const struct op_ops *ops, const struct actor *a)
{
    op->job.run = op_run;
    op->job.done = op_job_done;
    op->svc = svc;
    op->ops = ops;
    op->actor = *a;
    snprintf(op->client, sizeof op->client, "%s", a->client ? a->client : "");
    snprintf(op->request_id, sizeof op->request_id, "%s", a->request_id ? a->request_id : "");
    op->actor.client = op->client;
    op->actor.request_id = op->request_id;
    /* An over-long reason id names no reason; it is kept empty, not cut. */
    if (a->reason_id && strlen(a->reason_id) < sizeof op->reason_id)
        snprintf(op->reason_id, sizeof op->reason_id, "%s", a->reason_id);
    op->actor.reason_id = op->reason_id[0] ? op->reason_id : NULL;
}

int op_submit(struct service *svc, struct op *op, op_done_fn done, void *arg)
{
    op->done = done;
    op->done_arg = arg;
    return writer_submit(svc->writer, &op->job);
}

int op_wait(struct service *svc, struct op *op)
{
    op->job.run = op_run;
    int rc = writer_call(svc->writer, &op->job);
    if (rc != PHR_OK && op->res.err == PHR_OK)
        op->res.err = rc;
    op_fault_fill(op);
    return op->res.err;
}

int op_nothing_found(struct op *o, struct buf *out)
{
    if (o->actor.kind == ACTOR_STAFF)
        return op_refuse(o, F_NOT_FOUND, "no such patient");
    return buf_puts(out, "{\"resourceType\":\"Bundle\",\"type\":\"searchset\",\"total\":0,\"entry\":[]}")
               ? PHR_ENOMEM
               : PHR_OK;
}

int op_refuse(struct op *o, enum fault_code code, const char *fmt, ...)
{
    char msg[sizeof o->res.fault.detail];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    o->res.err = PHR_EINVAL;
    fault_set(&o->res.fault, code, NULL, "%s", msg);
    return PHR_OK;
}

/* A refusal that is itself handling to account for: the op writes only
 * the audit entry of the denial, and (service_deny) answers it: forbidden. */
struct denied_op {
    struct op op;
    enum action act;
    char subject[ID_LEN + 1];
    char reason[64];
    int answer;
};

static const char *denied_message(enum action act)
{
    switch (act) {
    case ACT_POLICY_PUBLISH:
        return "only the information-asset manager publishes policies and purposes of use";
    case ACT_RECIPIENT_MANAGE:
        return "only the information-asset manager manages outside organisations and their agreements";
    case ACT_STAFF_MANAGE:
        return "only an information-asset manager manages staff accounts";
    default:
        return "not permitted";
    }
}

static int denied_commit(struct op *o, struct store *st)
{
    struct denied_op *d = (struct denied_op *)o;
    int err = gate_record(st, &o->actor, d->act, d->subject[0] ? d->subject : NULL, NULL,
                          d->reason[0] ? d->reason : NULL, GATE_DENY);
    if (err || !d->answer)
        return err;
    return op_refuse(o, F_FORBIDDEN, "%s", denied_message(d->act));
}

static const struct op_ops denied_ops = {denied_commit, NULL, NULL};

static int denied_new(struct service *svc, const struct actor *a, enum action act, const char *subject,
                      const char *reason, int answer, struct op **out, struct fault *fault)
{
    struct denied_op *d = calloc(1, sizeof *d);
    if (!d)
        return fault_set(fault, F_INTERNAL, NULL, "out of memory");
    op_init(&d->op, svc, &denied_ops, a);
    d->act = act;
    d->answer = answer;
    /* Only an id is recorded as the person asked about: anything else a
     * caller typed is not a person. */
    if (subject && id_is_uuid(subject))
        snprintf(d->subject, sizeof d->subject, "%s", subject);
    if (reason)
        snprintf(d->reason, sizeof d->reason, "%s", reason);
    *out = &d->op;
    return 0;
}

int service_deny(struct service *svc, const struct actor *a, enum action act, struct op **out, struct fault *fault)
{
    return denied_new(svc, a, act, NULL, NULL, 1, out, fault);
}

int service_refusal(struct service *svc, const struct actor *a, enum action act, const char *subject,
                    const char *reason, struct op **out, struct fault *fault)
{
    return denied_new(svc, a, act, subject, reason, 0, out, fault);
}

const struct op_result *op_result(const struct op *op)
{
    return &op->res;
}

int op_render(struct op *op, struct buf *out)
{
    return op->ops->render ? op->ops->render(op, out) : PHR_OK;
}

void op_free(struct op *op)
{
    if (!op)
        return;
    if (op->ops->destroy)
        op->ops->destroy(op);
    sodium_memzero(op->res.token, sizeof op->res.token);
    free(op);
}

/* --- sessions --- */

struct session_lookup {
    struct auth *out;
    int64_t created_at, last_seen_at, expires_at;
};

static void got_session(void *arg, const struct session_row *s)
{
    struct session_lookup *l = arg;
    snprintf(l->out->person_id, sizeof l->out->person_id, "%s", s->person_id);
    l->created_at = s->created_at;
    l->last_seen_at = s->last_seen_at;
    l->expires_at = s->expires_at;
}

struct touch_job {
    struct job job;
    unsigned char hash[32];
    int64_t now;
    int staff;
};

static int touch_run(struct job *j, struct store *st)
{
    struct touch_job *t = (struct touch_job *)j;
    return t->staff ? store_staff_session_touch(st, t->hash, t->now) : store_session_touch(st, t->hash, t->now);
}

static void touch_done(struct job *j)
{
    free(j);
}

/* Idle expiry needs last use, but a write per request would cost a commit:
 * a session is touched at most once a minute, off the request's path. */
static void touch_later(struct service *svc, const unsigned char hash[32], int64_t now, int staff)
{
    struct touch_job *t = calloc(1, sizeof *t);
    if (!t)
        return;
    t->job.run = touch_run;
    t->job.done = touch_done;
    memcpy(t->hash, hash, 32);
    t->now = now;
    t->staff = staff;
    if (writer_submit(svc->writer, &t->job) != PHR_OK)
        free(t);
}

struct staff_status {
    char role[20];
    int active;
};

static int got_staff_status(void *arg, const struct staff_row *r)
{
    struct staff_status *s = arg;
    snprintf(s->role, sizeof s->role, "%s", r->role);
    s->active = strcmp(r->status, "active") == 0;
    return PHR_OK;
}

/* Not a person's session: a staff member's (whose role is read fresh, so
 * a changed role applies at once) or a recipient's client token. */
static int other_token(struct service *svc, struct store *rd, struct auth *out)
{
    int64_t now = clock_now_ms(), last_seen = 0, expires_at = 0;
    int err = store_staff_session_get(rd, out->token_hash, out->staff_id, &last_seen, &expires_at);
    if (err == PHR_OK) {
        struct staff_status s = {"", 0};
        err = store_staff_get(rd, out->staff_id, 1, got_staff_status, &s);
        if (err && err != PHR_ENOTFOUND) {
            out->staff_id[0] = '\0';
            return err;
        }
        snprintf(out->staff_role, sizeof out->staff_role, "%s", s.role);
        if (err || !s.active || now >= expires_at || now - last_seen >= svc->cfg.staff_session_idle_ms)
            return PHR_EPERM;
        if (now - last_seen > 60000)
            touch_later(svc, out->token_hash, now, 1);
        return PHR_OK;
    }
    if (err != PHR_ENOTFOUND)
        return err;
    err = store_client_token_get(rd, out->token_hash, out->recipient_id, out->patient, &expires_at, out->scope,
                                 sizeof out->scope);
    return !err && now >= expires_at ? PHR_EPERM : err;
}

int service_authenticate(struct service *svc, const char *token, struct auth *out)
{
    memset(out, 0, sizeof *out);
    size_t n = strlen(token);
    if (n < 20 || n > 128)
        return PHR_ENOTFOUND;
    crypto_hash_sha256(out->token_hash, (const unsigned char *)token, n);
    struct store *rd;
    int err = service_reader(svc, &rd);
    if (err)
        return err;
    struct session_lookup l = {.out = out};
    err = store_session_get(rd, out->token_hash, got_session, &l);
    if (err == PHR_ENOTFOUND) {
        err = other_token(svc, rd, out);
        service_reader_done(svc, rd);
        return err;
    }
    service_reader_done(svc, rd);
    if (err)
        return err;
    int64_t now = clock_now_ms();
    if (now >= l.expires_at || now - l.last_seen_at >= svc->cfg.session_idle_ms)
        return PHR_EPERM;
    if (now - l.last_seen_at > 60000)
        touch_later(svc, out->token_hash, now, 0);
    return PHR_OK;
}
