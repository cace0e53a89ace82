/* Erasure on request (R3.10, Q3-10): two steps. The request lists exactly
 * what would go and what the law makes us keep, offers the disclosure
 * archive first and warns that nothing can be restored; the confirmation,
 * with the password, carries it out.
 *
 * An account is erased in three commits, rolled forward after a crash
 * (erasure_resume at start-up), never back:
 *   1. the erasure is marked "erasing" and every row of the person goes
 *      (records with all versions, consents, suspensions, sessions), the
 *      person row left as a tombstone without login or password;
 *   2. the person's data key is deleted from the key store (keys.db), so
 *      that a copy of phr.db taken before no longer opens with live keys;
 *   3. the erasure is marked "done".
 * Two files cannot commit atomically together, so order does the work:
 * after 1 nobody can reach the person; 2 and 3 repeat harmlessly. The
 * handling history and the provision records stay (their retention is the
 * law's); they name the person only by a random id, whose link to the
 * login is gone with the tombstone. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sodium.h>

#include "access/gate.h"
#include "crypto/password.h"
#include "service/internal.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/ids.h"
#include "util/log.h"

#define REQUEST_TTL_MS (30LL * 60 * 1000)
#define CODE_LEN_MAX 64

static const char warning_ja[] =
    "消去したデータは元に戻せません。消去の前に、開示（エクスポート）で写しを受け取ることができます。"
    "法令により、取扱いの記録（だれがいつ何をしたか。健康データは含みません）と第三者提供の記録は"
    "保存期間のあいだ残ります。";
static const char warning_en[] =
    "Erased data cannot be restored. Before erasing, you can download a copy (disclosure). "
    "By law, the handling history (who did what and when; no health data) and the records of "
    "provision to third parties are kept for their retention period.";

/* Fault injection for the crash tests: exit right after the named commit. */
static void crash_point(const struct service *svc, const char *name)
{
    if (svc->cfg.crash_after && strcmp(svc->cfg.crash_after, name) == 0) {
        log_event(LOG_WARN, "test.crash", "after", name, NULL);
        _exit(86);
    }
}

struct erasure_job {
    struct job job;
    int (*run)(struct erasure_job *e, struct store *st);
    struct service *svc;
    const struct actor *actor;
    char id[ID_LEN + 1], person[ID_LEN + 1], login[LOGIN_MAX + 16];
    int account;
    const char *codes;
    struct erasure_counts counts;
    char erased[256];
    int64_t now, records_erased;
};

static int job_run(struct job *j, struct store *st)
{
    struct erasure_job *e = (struct erasure_job *)j;
    return e->run(e, st);
}

static int erase_key(struct erasure_job *e, struct store *st);
static int forget_erased_keys(struct erasure_job *e, struct store *st);
static int flush_keys(struct job *j, struct store *st);

static int run_job(struct erasure_job *e, int (*run)(struct erasure_job *, struct store *))
{
    int deletes_keys = run == erase_key || run == forget_erased_keys;
    e->job = (struct job){.run = job_run, .after = deletes_keys ? flush_keys : NULL};
    e->run = run;
    return writer_call(e->svc->writer, &e->job);
}

static void counts_json(struct erasure_job *e)
{
    snprintf(e->erased, sizeof e->erased,
             "{\"records\":%lld,\"versions\":%lld,\"consents\":%lld,\"suspensions\":%lld,\"sessions\":%lld}",
             (long long)e->counts.records, (long long)e->counts.versions, (long long)e->counts.consents,
             (long long)e->counts.suspensions, (long long)e->counts.sessions);
}

/* --- the request --- */

static int request_commit(struct erasure_job *e, struct store *st)
{
    int err = store_erasure_count(st, e->person, e->account, e->codes, &e->counts);
    if (err)
        return err;
    struct erasure_row row = {
        .id = e->id, .person_id = e->person, .scope = e->account ? "account" : "records", .codes = e->codes,
        .requested_by = e->login, .status = "requested", .requested_at = e->now,
        .expires_at = e->now + REQUEST_TTL_MS,
    };
    if ((err = store_erasure_insert(st, &row)) != PHR_OK)
        return err;
    return gate_record(st, e->actor, ACT_ERASURE_REQUEST, e->person, NULL, row.scope, GATE_ALLOW);
}

/* Checks and joins the requested codes: letters, digits and ".-_:", each
 * at most CODE_LEN_MAX, at most ERASURE_CODES_MAX of them. */
int erasure_codes_join(const char *const *codes, size_t n, struct buf *out, struct fault *fault)
{
    if (n > ERASURE_CODES_MAX)
        return fault_set(fault, F_INVALID_VALUE, "codes", "at most %d codes at once", ERASURE_CODES_MAX);
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(codes[i]);
        if (len == 0 || len > CODE_LEN_MAX || strspn(codes[i], "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                                "0123456789.-_:") != len)
            return fault_set(fault, F_INVALID_VALUE, "codes", "a code is letters, digits and .-_: (at most %d)",
                             CODE_LEN_MAX);
        if (buf_printf(out, "%s%s", i ? "," : "", codes[i]))
            return fault_set(fault, F_INTERNAL, NULL, "out of memory");
    }
    return 0;
}

static int render_codes(struct buf *b, const char *codes)
{
    if (buf_puts(b, "["))
        return -1;
    for (const char *p = codes; *p;) {
        size_t n = strcspn(p, ",");
        if ((p != codes && buf_puts(b, ",")) || buf_puts(b, "\"") || buf_json_escape(b, p, n) || buf_puts(b, "\""))
            return -1;
        p += n + (p[n] == ',');
    }
    return buf_puts(b, "]");
}

static int render_preview(const struct erasure_job *e, struct buf *b)
{
    char expires[32], until[32];
    clock_format_ms(e->now + REQUEST_TTL_MS, expires);
    clock_format_ms(e->counts.last_provision_at + e->svc->cfg.provision_keep_ms, until);
    const struct erasure_counts *c = &e->counts;
    return buf_printf(b, "{\"id\":\"%s\",\"status\":\"requested\",\"scope\":\"%s\",\"codes\":", e->id,
                      e->account ? "account" : "records") ||
           render_codes(b, e->codes) ||
           buf_printf(b,
                      ",\"expires_at\":\"%s\",\"will_erase\":{\"records\":%lld,\"versions\":%lld,\"consents\":%lld,"
                      "\"suspensions\":%lld,\"sessions\":%lld,\"account\":%s,\"data_key\":%s},",
                      expires, (long long)c->records, (long long)c->versions, (long long)c->consents,
                      (long long)c->suspensions, (long long)c->sessions, e->account ? "true" : "false",
                      e->account ? "true" : "false") ||
           buf_printf(b, "\"will_keep\":{\"audit_entries\":%lld,\"provision_records\":%lld", (long long)c->audit,
                      (long long)c->provisions) ||
           (c->provisions ? buf_printf(b, ",\"provision_records_until\":\"%.10s\"", until) : 0) ||
           buf_puts(b, "},\"export_first\":\"/api/v1/me/disclosure\",\"warning\":{\"ja\":") ||
           buf_json_str(b, warning_ja) || buf_puts(b, ",\"en\":") || buf_json_str(b, warning_en) ||
           buf_printf(b, "},\"confirm\":{\"href\":\"/api/v1/me/erasures/%s/confirm\",\"with\":\"password\"}}", e->id);
}

static void got_login(void *arg, const struct person_row *p)
{
    struct erasure_job *e = arg;
    snprintf(e->login, sizeof e->login, "%s", p->login);
}

int erasure_request(struct service *svc, const struct actor *a, const char *subject, int account, const char *codes,
                    struct buf *out, struct fault *fault)
{
    if (!subject || gate_decide(a, ACT_ERASURE_REQUEST, subject) == GATE_DENY)
        return fault_set(fault, F_NOT_FOUND, NULL, "no such person");
    struct erasure_job e = {.svc = svc, .actor = a, .account = account, .codes = codes ? codes : "",
                            .now = clock_now_ms()};
    snprintf(e.person, sizeof e.person, "%s", subject);
    id_uuid(e.id);
    struct store *rd;
    if (service_reader(svc, &rd) != PHR_OK)
        return fault_set(fault, F_UNAVAILABLE, NULL, "the store is not available");
    int err = store_person_by_id(rd, subject, got_login, &e);
    service_reader_done(svc, rd);
    if (err == PHR_ENOTFOUND)
        return fault_set(fault, F_NOT_FOUND, NULL, "no such person");
    gate_actor_name(a, e.login);  /* requested_by: who asked, not the login */
    if (err || (err = run_job(&e, request_commit)) != PHR_OK)
        return fault_set(fault, F_UNAVAILABLE, NULL, "the request could not be recorded; nothing was changed");
    if (render_preview(&e, out))
        return fault_set(fault, F_INTERNAL, NULL, "out of memory");
    return 0;
}

/* --- the confirmation and the execution --- */

static int erase_rows(struct erasure_job *e, struct store *st)
{
    int err = store_erasure_count(st, e->person, e->account, e->codes, &e->counts);
    if (err)
        return err;
    counts_json(e);
    if (!e->account) {
        if ((err = store_erase_records(st, e->person, e->codes, &e->records_erased)) != PHR_OK ||
            (err = store_erasure_set(st, e->id, "done", e->now, e->erased)) != PHR_OK)
            return err;
        return gate_record(st, e->actor, ACT_ERASURE_EXECUTE, e->person, NULL, "records", GATE_ALLOW);
    }
    if ((err = store_erasure_set(st, e->id, "erasing", e->now, e->erased)) != PHR_OK ||
        (err = store_erase_account(st, e->person)) != PHR_OK)
        return err;
    return gate_record(st, e->actor, ACT_ERASURE_EXECUTE, e->person, NULL, "account", GATE_ALLOW);
}

static int erase_key(struct erasure_job *e, struct store *st)
{
    return store_erase_data_key(st, e->person);
}

/* The log of the key store still holds the page as it was before the key
 * was deleted, until it is checkpointed and truncated. Busy readers make it
 * wait for the next erasure or start-up; that is logged, not fatal. */
static int flush_keys(struct job *j, struct store *st)
{
    (void)j;
    if (store_keystore_checkpoint(st) != PHR_OK)
        log_event(LOG_WARN, "erasure.keystore_checkpoint", "result", "deferred", NULL);
    return PHR_OK;
}

static int mark_done(struct erasure_job *e, struct store *st)
{
    return store_erasure_set(st, e->id, "done", clock_now_ms(), NULL);
}

/* Steps 2 and 3; also what a restart finishes. */
static int finish_account(struct erasure_job *e)
{
    int err = run_job(e, erase_key);
    if (err)
        return err;
    crash_point(e->svc, "erasure.key");
    err = run_job(e, mark_done);
    if (!err)
        log_event(LOG_INFO, "erasure.done", "erasure", e->id, NULL);
    return err;
}

static int execute(struct erasure_job *e)
{
    int err = run_job(e, erase_rows);
    if (err || !e->account)
        return err;
    crash_point(e->svc, "erasure.rows");
    return finish_account(e);
}

/* Retention and termination: the whole account, with no request step. */
static int system_erasure(struct erasure_job *e, struct store *st)
{
    struct erasure_row row = {
        .id = e->id, .person_id = e->person, .scope = "account", .codes = "", .requested_by = e->login,
        .status = "requested", .requested_at = e->now, .expires_at = e->now,
    };
    int err = store_erasure_insert(st, &row);
    return err ? err : erase_rows(e, st);
}

int erasure_account_now(struct service *svc, const struct actor *a, const char *person, const char *why)
{
    struct erasure_job e = {.svc = svc, .actor = a, .account = 1, .codes = "", .now = clock_now_ms()};
    id_uuid(e.id);
    snprintf(e.person, sizeof e.person, "%s", person);
    char who[64];
    gate_actor_name(a, who);
    snprintf(e.login, sizeof e.login, "%s (%s)", who, why);
    int err = run_job(&e, system_erasure);
    if (err)
        return err;
    crash_point(svc, "erasure.rows");
    return finish_account(&e);
}

static int wrong_password(struct erasure_job *e, struct store *st)
{
    char key[THROTTLE_KEY_MAX];
    throttle_key(e->login, e->actor->client, key);
    int err = throttle_fail(st, &e->svc->cfg, key, e->actor->client, e->now);
    return err ? err : gate_record(st, e->actor, ACT_ERASURE_EXECUTE, e->person, NULL, "wrong-password", GATE_DENY);
}

/* Someone else's erasure request, confirmed: recorded under the person
 * whose request it is. */
static int not_own(struct erasure_job *e, struct store *st)
{
    return gate_record(st, e->actor, ACT_ERASURE_EXECUTE, e->person, e->id, "not-own", GATE_DENY);
}

struct pending {
    char person[ID_LEN + 1], scope[16], status[16], codes[ERASURE_CODES_MAX * (CODE_LEN_MAX + 1)];
    int64_t expires_at;
};

static int got_erasure(void *arg, const struct erasure_row *r)
{
    struct pending *p = arg;
    snprintf(p->person, sizeof p->person, "%s", r->person_id);
    snprintf(p->scope, sizeof p->scope, "%s", r->scope);
    snprintf(p->status, sizeof p->status, "%s", r->status);
    snprintf(p->codes, sizeof p->codes, "%s", r->codes ? r->codes : "");
    p->expires_at = r->expires_at;
    return PHR_OK;
}

struct secret {
    char login[LOGIN_MAX + 16], hash[PASSWORD_HASH_MAX];
};

static void got_secret(void *arg, const struct person_row *p)
{
    struct secret *s = arg;
    snprintf(s->login, sizeof s->login, "%s", p->login);
    snprintf(s->hash, sizeof s->hash, "%s", p->pw_hash);
}

int erasure_confirm(struct service *svc, const struct actor *a, const char *subject, const char *id,
                    const char *password, size_t pwlen, struct buf *out, struct fault *fault)
{
    if (!subject || gate_decide(a, ACT_ERASURE_EXECUTE, subject) == GATE_DENY || !id_is_uuid(id))
        return fault_set(fault, F_NOT_FOUND, NULL, "no such erasure request");
    struct pending p;
    memset(&p, 0, sizeof p);
    struct secret s = {{0}, {0}};
    struct throttle_row t = {0};
    struct store *rd;
    int rc = -1;
    if (service_reader(svc, &rd) != PHR_OK)
        return fault_set(fault, F_UNAVAILABLE, NULL, "the store is not available");
    int err = store_erasure_get(rd, id, got_erasure, &p);
    int err2 = err ? err : store_person_by_id(rd, subject, got_secret, &s);
    char key[THROTTLE_KEY_MAX];
    throttle_key(s.login, a->client, key);
    int err3 = err2 ? err2 : store_throttle_get(rd, key, &t);
    service_reader_done(svc, rd);
    int64_t now = clock_now_ms();
    if (!err && strcmp(p.person, subject)) {
        struct erasure_job other = {.svc = svc, .actor = a};
        snprintf(other.id, sizeof other.id, "%s", id);
        snprintf(other.person, sizeof other.person, "%s", p.person);
        if (run_job(&other, not_own) != PHR_OK)
            log_event(LOG_ERROR, "erasure.refusal_unrecorded", "erasure", id, NULL);
    }
    if (err == PHR_ENOTFOUND || (!err && strcmp(p.person, subject))) {
        fault_set(fault, F_NOT_FOUND, NULL, "no such erasure request");
        goto out;
    }
    if ((err && err != PHR_ENOTFOUND) || err2 || (err3 && err3 != PHR_ENOTFOUND)) {
        fault_set(fault, F_UNAVAILABLE, NULL, "the store is not available; nothing was erased");
        goto out;
    }
    if (strcmp(p.status, "requested")) {
        fault_set(fault, F_ERASURE_DONE, NULL, "this erasure was carried out already");
        goto out;
    }
    if (p.expires_at < now) {
        fault_set(fault, F_ERASURE_EXPIRED, NULL, "this erasure request has expired; nothing was erased: ask again");
        goto out;
    }
    if (throttle_wait_ms(&svc->cfg, &t, now) > 0) {
        fault_set(fault, F_LOCKED_OUT, NULL, "too many failed attempts; try again later");
        goto out;
    }
    struct erasure_job e = {.svc = svc, .actor = a, .account = strcmp(p.scope, "account") == 0, .codes = p.codes,
                            .now = now};
    snprintf(e.id, sizeof e.id, "%s", id);
    snprintf(e.person, sizeof e.person, "%s", subject);
    snprintf(e.login, sizeof e.login, "%s", s.login);
    int ok = pwlen && pwlen <= PASSWORD_MAX_LEN ? password_verify(s.hash, password, pwlen) : PHR_EPERM;
    if (ok == PHR_EBUSY) {
        fault_set(fault, F_BUSY, NULL, "too many sign-ins at once; try again in a few seconds");
        goto out;
    }
    if (ok != PHR_OK) {
        if (run_job(&e, wrong_password) != PHR_OK)
            log_event(LOG_ERROR, "erasure.refusal_unrecorded", "erasure", id, NULL);
        fault_set(fault, F_PASSWORD_WRONG, "password", "the password is wrong; nothing was erased");
        goto out;
    }
    if (execute(&e) != PHR_OK) {
        fault_set(fault, F_UNAVAILABLE, NULL,
                  e.account ? "the erasure could not be completed now; it will be finished when the service restarts"
                            : "the erasure could not be carried out; nothing was erased");
        goto out;
    }
    char done[32];
    clock_format_ms(clock_now_ms(), done);
    if (buf_printf(out, "{\"id\":\"%s\",\"status\":\"done\",\"scope\":\"%s\",\"done_at\":\"%s\",\"erased\":%s}", id,
                   p.scope, done, e.erased)) {
        fault_set(fault, F_INTERNAL, NULL, "out of memory");
        goto out;
    }
    rc = 0;
out:
    sodium_memzero(&s, sizeof s);
    return rc;
}

static int collect_unfinished(void *arg, const struct erasure_row *r)
{
    struct buf *ids = arg;
    return buf_printf(ids, "%s%s", ids->len ? "," : "", r->id) ? PHR_ENOMEM : PHR_OK;
}

static int forget_erased_keys(struct erasure_job *e, struct store *st)
{
    return store_erase_keys_of_erased(st, &e->records_erased);
}

int erasure_resume(struct service *svc)
{
    struct buf ids = {0};
    struct store *rd;
    int err = service_reader(svc, &rd);
    if (err)
        return err;
    err = store_erasure_unfinished(rd, collect_unfinished, &ids);
    for (const char *p = buf_cstr(&ids); !err && *p;) {
        struct pending pend;
        memset(&pend, 0, sizeof pend);
        struct erasure_job e = {.svc = svc, .account = 1};
        size_t n = strcspn(p, ",");
        snprintf(e.id, sizeof e.id, "%.*s", (int)n, p);
        p += n + (p[n] == ',');
        if ((err = store_erasure_get(rd, e.id, got_erasure, &pend)) != PHR_OK)
            break;
        snprintf(e.person, sizeof e.person, "%s", pend.person);
        log_event(LOG_WARN, "erasure.resume", "erasure", e.id, NULL);
        err = finish_account(&e);
    }
    service_reader_done(svc, rd);
    buf_free(&ids);
    if (err)
        return err;
    /* A key store restored from a backup may hold keys of persons erased
     * since: they are deleted again before anything is served. */
    struct erasure_job e = {.svc = svc};
    if ((err = run_job(&e, forget_erased_keys)) != PHR_OK)
        return err;
    if (e.records_erased > 0) {
        char n[24];
        snprintf(n, sizeof n, "%lld", (long long)e.records_erased);
        log_event(LOG_WARN, "erasure.keys_forgotten", "count", n, "hint", "the key store held keys of erased persons (restored from a backup?)", NULL);
    }
    return PHR_OK;
}
