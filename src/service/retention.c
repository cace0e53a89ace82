/* Retention (R3.11, Q3-11) and service termination (R4.5, Q4-2).
 *
 * A run is planned first (read only), then applied in an order that keeps
 * the plan true while it is applied: prune what has run out, record the
 * notices, then erase the accounts whose time has come. A dry run prints
 * the same plan and changes nothing; a second run at the same moment finds
 * nothing left to do. The moment is a parameter (`--as-of`), so that the
 * rules are tested without waiting years.
 *
 * Rules: a person not signed in for inactive_after is told, and erased
 * notice_period later unless they sign in (which resolves the notice);
 * provision records go after provision_keep; expired sessions and client
 * tokens, stale sign-in throttles and old request counts go at once; after
 * an announced termination's erase-after date, every account goes. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "access/gate.h"
#include "service/internal.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"
#include "util/ticker.h"

#define THROTTLE_KEEP_MS (24LL * 3600 * 1000)
#define RATE_KEEP_MS (10LL * 60 * 1000)

/* --- notices --- */

static void notice_text(const char *kind, int resolved, const char **ja, const char **en)
{
    if (strcmp(kind, "termination") == 0) {
        *ja = "本サービスは終了します。エクスポート期限までにデータを受け取ってください。期限の後、データは消去されます。";
        *en = "This service is closing. Download your data before the export deadline; after it, the data is erased.";
    } else if (resolved) {
        *ja = "長期間ご利用がなかったため消去をお知らせしていましたが、サインインされたので消去は取り消されました。";
        *en = "We had told you that your long-unused account would be erased; you signed in, so it will not be.";
    } else {
        *ja = "長期間ご利用がないため、期限までにサインインがない場合、アカウントとデータを消去します。";
        *en = "Your account has not been used for a long time; unless you sign in before the date, it will be erased.";
    }
}

int notice_render(struct buf *b, const struct notice_row *n, int resolved, int first)
{
    const char *ja, *en;
    char at[32], after[32];
    notice_text(n->kind, resolved, &ja, &en);
    clock_format_ms(n->at, at);
    clock_format_ms(n->erase_after, after);
    return (!first && buf_puts(b, ",")) || buf_puts(b, "{\"kind\":") || buf_json_str(b, n->kind) ||
           buf_printf(b, ",\"at\":\"%s\"", at) ||
           (n->erase_after ? buf_printf(b, ",\"erase_after\":\"%s\"", after) : 0) ||
           buf_printf(b, ",\"resolved\":%s,\"message\":{\"ja\":", resolved ? "true" : "false") ||
           buf_json_str(b, ja) || buf_puts(b, ",\"en\":") || buf_json_str(b, en) || buf_puts(b, "}}");
}

/* The notice hook: "log" writes a log line (person id and kind only);
 * "file:PATH" appends a JSON line with the login, for a mailer to deliver.
 * A failed delivery is logged; the notice itself is recorded either way
 * and shown at the next sign-in. */
static void notice_send(struct service *svc, const char *person, const char *login, const struct notice_row *n)
{
    const char *sink = svc->cfg.notice_sink ? svc->cfg.notice_sink : "log";
    if (strncmp(sink, "file:", 5) != 0) {
        log_event(LOG_INFO, "notice.sent", "person", person, "kind", n->kind, NULL);
        return;
    }
    struct buf line = {0};
    int fd = -1;
    if (buf_puts(&line, "{\"person\":") || buf_json_str(&line, person) || buf_puts(&line, ",\"login\":") ||
        buf_json_str(&line, login) || buf_puts(&line, ",\"notice\":") || notice_render(&line, n, 0, 1) ||
        buf_puts(&line, "}\n"))
        goto fail;
    fd = open(sink + 5, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0 || write(fd, line.data, line.len) != (ssize_t)line.len)
        goto fail;
    close(fd);
    buf_free(&line);
    log_event(LOG_INFO, "notice.sent", "person", person, "kind", n->kind, NULL);
    return;
fail:
    if (fd >= 0)
        close(fd);
    buf_free(&line);
    log_event(LOG_ERROR, "notice.failed", "person", person, "kind", n->kind, "sink", sink, NULL);
}

/* --- the plan --- */

struct plan {
    struct service *svc;
    const struct actor *actor;
    int64_t as_of;
    struct buf notify;      /* comma-separated person ids */
    struct buf inactive;    /* notice ran out: erase */
    struct buf terminated;  /* after termination: erase */
    struct prune_counts prune;
    struct prune_limits limits;
    int64_t notice_erase_after;
    /* The newest run when the plan was made: if another instance applied
     * one since (the writers take turns), this plan is stale and skipped,
     * so that several instances on one store run retention once. */
    int64_t last_run_seen;
    int superseded;
    char summary[256];
};

static int add_id(void *arg, const char *id)
{
    struct buf *b = arg;
    return buf_printf(b, "%s%s", b->len ? "," : "", id) ? PHR_ENOMEM : PHR_OK;
}

static int due_notice(void *arg, const struct notice_row *n)
{
    struct plan *p = arg;
    return n->erase_after && n->erase_after <= p->as_of ? add_id(&p->inactive, n->person_id) : PHR_OK;
}

static int make_plan(struct plan *p, struct store *rd)
{
    const struct service_config *c = &p->svc->cfg;
    p->limits = (struct prune_limits){
        .now = p->as_of,
        .provisions_before = p->as_of - c->provision_keep_ms,
        .throttle_before = p->as_of - THROTTLE_KEEP_MS,
        .rates_before = (p->as_of - RATE_KEEP_MS) / 60000,
    };
    p->notice_erase_after = p->as_of + c->inactive_notice_ms;
    struct termination_row t;
    int err = store_retention_run_last(rd, &p->last_run_seen);
    if (err == PHR_ENOTFOUND)
        err = PHR_OK;
    if (!err)
        err = store_retention_prune(rd, &p->limits, 1, &p->prune);
    if (!err && c->inactive_after_ms > 0)
        err = store_persons_inactive(rd, p->as_of - c->inactive_after_ms, add_id, &p->notify);
    if (!err)
        err = store_notices_open(rd, NULL, "inactivity", due_notice, p);
    if (!err) {
        err = store_termination_get(rd, &t);
        if (err == PHR_ENOTFOUND)
            err = PHR_OK;
        else if (!err && t.erase_after <= p->as_of)
            err = store_persons_active(rd, add_id, &p->terminated);
    }
    return err;
}

static int render_ids(struct buf *b, const char *name, struct buf *ids)
{
    if (buf_printf(b, ",\"%s\":[", name))
        return -1;
    for (const char *s = buf_cstr(ids); *s;) {
        size_t n = strcspn(s, ",");
        if (buf_printf(b, "%s\"%.*s\"", s == buf_cstr(ids) ? "" : ",", (int)n, s))
            return -1;
        s += n + (s[n] == ',');
    }
    return buf_puts(b, "]");
}

static int render_plan(struct plan *p, int dry, struct buf *b)
{
    char as_of[32];
    clock_format_ms(p->as_of, as_of);
    const struct prune_counts *c = &p->prune;
    return buf_printf(b, "{\"as_of\":\"%s\",\"dry_run\":%s", as_of, dry ? "true" : "false") ||
           render_ids(b, "notify_inactive", &p->notify) || render_ids(b, "erase_inactive", &p->inactive) ||
           render_ids(b, "erase_terminated", &p->terminated) ||
           buf_printf(b,
                      ",\"prune\":{\"provisions\":%lld,\"sessions\":%lld,\"staff_sessions\":%lld,"
                      "\"client_tokens\":%lld,\"client_assertions\":%lld,\"throttles\":%lld,\"rates\":%lld,"
                      "\"oauth_codes\":%lld,\"refresh_tokens\":%lld}}",
                      (long long)c->provisions, (long long)c->sessions, (long long)c->staff_sessions,
                      (long long)c->client_tokens, (long long)c->client_assertions, (long long)c->throttles,
                      (long long)c->rates, (long long)c->oauth_codes, (long long)c->refresh_tokens);
}

static size_t count_ids(struct buf *b)
{
    size_t n = 0;
    for (const char *s = buf_cstr(b); *s; s++)
        n += *s == ',';
    return b->len ? n + 1 : 0;
}

/* --- applying it --- */

struct apply_job {
    struct job job;
    struct plan *p;
};

static int prune_and_notify(struct job *j, struct store *st)
{
    struct plan *p = ((struct apply_job *)j)->p;
    struct prune_counts done;
    int64_t last = 0;
    int err = store_retention_run_last(st, &last);
    if (err && err != PHR_ENOTFOUND)
        return err;
    if (last != p->last_run_seen) {
        p->superseded = 1;
        return PHR_OK;
    }
    err = store_retention_prune(st, &p->limits, 0, &done);
    for (const char *s = buf_cstr(&p->notify); !err && *s;) {
        char id[ID_LEN + 1];
        size_t n = strcspn(s, ",");
        snprintf(id, sizeof id, "%.*s", (int)n, s);
        s += n + (s[n] == ',');
        struct notice_row row = {.person_id = id, .kind = "inactivity", .at = p->as_of,
                                 .erase_after = p->notice_erase_after};
        err = store_notice_insert(st, &row);
    }
    snprintf(p->summary, sizeof p->summary,
             "notified:%zu,erase:%zu,provisions:%lld,sessions:%lld,tokens:%lld", count_ids(&p->notify),
             count_ids(&p->inactive) + count_ids(&p->terminated), (long long)done.provisions,
             (long long)(done.sessions + done.staff_sessions), (long long)done.client_tokens);
    if (!err)
        err = store_retention_run_insert(st, clock_now_ms(), p->as_of, p->summary);
    return err ? err : gate_record(st, p->actor, ACT_RETENTION_RUN, NULL, NULL, p->summary, GATE_ALLOW);
}

struct login_of {
    char login[LOGIN_MAX + 16];
};

static void got_login(void *arg, const struct person_row *pr)
{
    snprintf(((struct login_of *)arg)->login, sizeof(struct login_of), "%s", pr->login);
}

static void send_all(struct service *svc, struct buf *ids, const struct notice_row *proto)
{
    struct store *rd;
    if (service_reader(svc, &rd) != PHR_OK)
        return;
    for (const char *s = buf_cstr(ids); *s;) {
        char id[ID_LEN + 1];
        size_t n = strcspn(s, ",");
        snprintf(id, sizeof id, "%.*s", (int)n, s);
        s += n + (s[n] == ',');
        struct login_of l = {{0}};
        if (store_person_by_id(rd, id, got_login, &l) == PHR_OK)
            notice_send(svc, id, l.login, proto);
    }
    service_reader_done(svc, rd);
}

static int erase_each(struct plan *p, struct buf *ids, const char *why)
{
    for (const char *s = buf_cstr(ids); *s;) {
        char id[ID_LEN + 1];
        size_t n = strcspn(s, ",");
        snprintf(id, sizeof id, "%.*s", (int)n, s);
        s += n + (s[n] == ',');
        int err = erasure_account_now(p->svc, p->actor, id, why);
        if (err)
            return err;
    }
    return PHR_OK;
}

int retention_run(struct service *svc, const struct actor *a, int64_t as_of, int dry, struct buf *out,
                  struct fault *fault)
{
    if (gate_decide(a, ACT_RETENTION_RUN, NULL) == GATE_DENY)
        return fault_set(fault, F_FORBIDDEN, NULL, "retention is run by the operator");
    struct plan p = {.svc = svc, .actor = a, .as_of = as_of};
    struct store *rd;
    int rc = -1;
    if (service_reader(svc, &rd) != PHR_OK)
        return fault_set(fault, F_UNAVAILABLE, NULL, "the store is not available");
    int err = make_plan(&p, rd);
    service_reader_done(svc, rd);
    if (err) {
        fault_set(fault, F_UNAVAILABLE, NULL, "the retention plan could not be made; nothing was changed");
        goto out;
    }
    if (render_plan(&p, dry, out)) {
        fault_set(fault, F_INTERNAL, NULL, "out of memory");
        goto out;
    }
    if (!dry) {
        struct apply_job j = {.job = {.run = prune_and_notify}, .p = &p};
        if (writer_call(svc->writer, &j.job) != PHR_OK) {
            fault_set(fault, F_UNAVAILABLE, NULL, "retention could not be applied; nothing was changed");
            goto out;
        }
        if (p.superseded) {
            log_event(LOG_INFO, "retention.skipped", "why", "another instance ran retention since this plan", NULL);
            rc = 0;
            goto out;
        }
        struct notice_row proto = {.kind = "inactivity", .at = as_of, .erase_after = p.notice_erase_after};
        send_all(svc, &p.notify, &proto);
        if (erase_each(&p, &p.inactive, "retention:inactive") || erase_each(&p, &p.terminated, "termination")) {
            fault_set(fault, F_UNAVAILABLE, NULL, "an erasure could not be completed; run retention again");
            goto out;
        }
        log_event(LOG_INFO, "retention.run", "summary", p.summary, NULL);
    }
    rc = 0;
out:
    buf_free(&p.notify);
    buf_free(&p.inactive);
    buf_free(&p.terminated);
    return rc;
}

/* --- termination --- */

struct announce_job {
    struct job job;
    const struct actor *a;
    struct termination_row t;
    struct buf persons;
    int exists, promised_days;
};

static int got_terms(void *arg, const struct document_row *d)
{
    struct announce_job *x = arg;
    if (!strcmp(d->kind, "terms") && d->export_days > x->promised_days)
        x->promised_days = d->export_days;
    return PHR_OK;
}

static int announce_run(struct job *j, struct store *st)
{
    struct announce_job *x = (struct announce_job *)j;
    struct termination_row old;
    int err = store_termination_get(st, &old);
    if (err != PHR_ENOTFOUND) {
        x->exists = !err;
        return err ? err : PHR_ECONFLICT;
    }
    /* The terms promised an export period (Q4-2): the announcement keeps it. */
    if ((err = store_document_current(st, got_terms, x)) != PHR_OK)
        return err;
    if (x->t.export_until < x->t.announced_at + x->promised_days * 86400000LL)
        return PHR_EINVAL;
    if ((err = store_termination_insert(st, &x->t)) != PHR_OK ||
        (err = store_persons_active(st, add_id, &x->persons)) != PHR_OK)
        return err;
    for (const char *s = buf_cstr(&x->persons); *s;) {
        char id[ID_LEN + 1];
        size_t n = strcspn(s, ",");
        snprintf(id, sizeof id, "%.*s", (int)n, s);
        s += n + (s[n] == ',');
        struct notice_row row = {.person_id = id, .kind = "termination", .at = x->t.announced_at,
                                 .erase_after = x->t.erase_after};
        if ((err = store_notice_insert(st, &row)) != PHR_OK)
            return err;
    }
    char why[96], until[32], after[32];
    clock_format_ms(x->t.export_until, until);
    clock_format_ms(x->t.erase_after, after);
    snprintf(why, sizeof why, "export-until:%.10s,erase-after:%.10s", until, after);
    return gate_record(st, x->a, ACT_TERMINATION, NULL, NULL, why, GATE_ALLOW);
}

int termination_announce(struct service *svc, const struct actor *a, int64_t export_until, int64_t erase_after,
                         struct buf *out, struct fault *fault)
{
    if (gate_decide(a, ACT_TERMINATION, NULL) == GATE_DENY)
        return fault_set(fault, F_FORBIDDEN, NULL, "termination is announced by the operator");
    int64_t now = clock_now_ms();
    if (export_until <= now || erase_after < export_until)
        return fault_set(fault, F_INVALID_VALUE, NULL,
                         "the export deadline must be in the future, and erasure after it");
    struct announce_job x = {.job = {.run = announce_run}, .a = a,
                             .t = {.announced_at = now, .export_until = export_until, .erase_after = erase_after,
                                   .announced_by = "operator"}};
    int err = writer_call(svc->writer, &x.job);
    int rc = -1;
    if (x.exists)
        fault_set(fault, F_CONFLICT, NULL, "a termination has been announced already");
    else if (err == PHR_EINVAL)
        fault_set(fault, F_INVALID_VALUE, "export-until",
                  "the terms promise an export period of %d days: the export deadline must be at least that far ahead",
                  x.promised_days);
    else if (err)
        fault_set(fault, F_UNAVAILABLE, NULL, "the announcement could not be recorded; nothing was changed");
    else {
        struct notice_row proto = {.kind = "termination", .at = now, .erase_after = erase_after};
        send_all(svc, &x.persons, &proto);
        rc = buf_printf(out, "{\"announced\":true,\"persons_notified\":%zu}", count_ids(&x.persons))
                 ? fault_set(fault, F_INTERNAL, NULL, "out of memory")
                 : 0;
    }
    buf_free(&x.persons);
    return rc;
}

/* --- while serving --- */

static void retention_tick(void *arg)
{
    struct service *svc = arg;
    struct actor a = {.kind = ACTOR_SYSTEM, .id = "retention", .client = "scheduler"};
    struct buf out = {0};
    struct fault fault;
    if (retention_run(svc, &a, clock_now_ms(), 0, &out, &fault) != 0)
        log_event(LOG_ERROR, "retention.failed", "error", fault.detail, NULL);
    buf_free(&out);
}

int retention_start(struct service *svc, struct ticker **out)
{
    *out = NULL;
    if (svc->cfg.retention_interval_ms <= 0)
        return PHR_OK;
    return ticker_start(svc->cfg.retention_interval_ms, retention_tick, svc, out);
}
