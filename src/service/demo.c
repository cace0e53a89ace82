/* The demo person: a login anyone trying the service can use, with about
 * three months of synthetic vitals. Synthetic only: the values come from a
 * fixed pseudo-random sequence, not from any real person. */
#include <stdio.h>
#include <string.h>

#include "service/internal.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"

#define DEMO_DAYS 90

struct demo_rng {
    uint32_t s;
};

/* A small LCG: reproducible demo data across runs and machines. */
static double rnd(struct demo_rng *r)
{
    r->s = r->s * 1664525u + 1013904223u;
    return (double)(r->s >> 8) / (double)(1u << 24);
}

static void fmt_time(int64_t ms, char out[40])
{
    /* Written in Japan's zone, as a person's device would. */
    char utc[32];
    clock_format_ms(ms + 9 * 3600 * 1000LL, utc);
    snprintf(out, 40, "%.19s+09:00", utc);
}

static int add(struct service *svc, const struct actor *sys, const char *person, struct buf *json)
{
    struct op *op;
    struct fault fault;
    if (records_create(svc, sys, person, json->data, json->len, "demo-loader", NULL, &op, &fault) != 0) {
        log_event(LOG_ERROR, "demo.record", "error", fault.detail, NULL);
        return PHR_EINVAL;
    }
    int err = op_wait(svc, op);
    op_free(op);
    json->len = 0;
    return err;
}

static int quantity(struct buf *b, const char *code, const char *display, const char *when, double v,
                    const char *unit, int decimals)
{
    return buf_printf(b,
                      "{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"coding\":[{\"system\":"
                      "\"http://loinc.org\",\"code\":\"%s\",\"display\":\"%s\"}]},\"effectiveDateTime\":\"%s\","
                      "\"valueQuantity\":{\"value\":%.*f,\"unit\":\"%s\",\"system\":\"http://unitsofmeasure.org\","
                      "\"code\":\"%s\"}}",
                      code, display, when, decimals, v, unit, unit);
}

static int blood_pressure(struct buf *b, const char *when, int sys, int dia)
{
    return buf_printf(b,
                      "{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"coding\":[{\"system\":"
                      "\"http://loinc.org\",\"code\":\"85354-9\",\"display\":\"Blood pressure panel\"}]},"
                      "\"effectiveDateTime\":\"%s\",\"component\":["
                      "{\"code\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"8480-6\"}]},"
                      "\"valueQuantity\":{\"value\":%d,\"unit\":\"mmHg\",\"system\":\"http://unitsofmeasure.org\",\"code\":\"mm[Hg]\"}},"
                      "{\"code\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"8462-4\"}]},"
                      "\"valueQuantity\":{\"value\":%d,\"unit\":\"mmHg\",\"system\":\"http://unitsofmeasure.org\",\"code\":\"mm[Hg]\"}}]}",
                      when, sys, dia);
}

static void exists_cb(void *arg, const struct person_row *p)
{
    (void)p;
    *(int *)arg = 1;
}

/* The demo person consents as a person would: to every purpose in force,
 * required or not, except marketing, with the texts in force shown. */
struct demo_consent {
    struct consent_request req;
};

static int want_purpose(void *arg, const struct purpose_row *p)
{
    struct demo_consent *d = arg;
    if (!strcmp(p->change, "retired") || d->req.ndecisions == CONSENT_MAX_DECISIONS)
        return PHR_OK;
    struct consent_decision *c = &d->req.decisions[d->req.ndecisions++];
    snprintf(c->purpose, sizeof c->purpose, "%s", p->code);
    snprintf(c->decision, sizeof c->decision, "%s", strcmp(p->code, "marketing") ? "grant" : "refuse");
    return PHR_OK;
}

static int demo_consents(struct service *svc, struct demo_consent *d)
{
    memset(d, 0, sizeof *d);
    struct store *rd;
    int err = service_reader(svc, &rd);
    if (err)
        return err;
    err = store_purpose_current(rd, want_purpose, d);
    service_reader_done(svc, rd);
    if (!err)
        err = policy_current_hashes(svc, d->req.shown, CONSENT_MAX_SHOWN, &d->req.nshown);
    if (!err && (d->req.ndecisions == 0 || d->req.nshown == 0)) {
        log_event(LOG_ERROR, "demo.load", "error", "no policies are published: run 'phr policy publish' first", NULL);
        return PHR_ENOTFOUND;
    }
    return err;
}

int demo_load(struct service *svc, int *created)
{
    *created = 0;
    struct store *rd;
    int exists = 0, err = service_reader(svc, &rd);
    if (err)
        return err;
    err = store_person_by_login(rd, DEMO_LOGIN, exists_cb, &exists);
    service_reader_done(svc, rd);
    if (err && err != PHR_ENOTFOUND)
        return err;
    if (exists)
        return PHR_OK;

    struct demo_consent dc;
    if ((err = demo_consents(svc, &dc)) != PHR_OK)
        return err;
    struct actor anon = {.kind = ACTOR_ANONYMOUS, .client = "cli", .request_id = "demo"};
    struct op *op;
    struct fault fault;
    if (accounts_signup(svc, &anon, DEMO_LOGIN, DEMO_PASSWORD, strlen(DEMO_PASSWORD), &op, &fault) != 0)
        return PHR_EINVAL;
    err = op_wait(svc, op);
    char person[ID_LEN + 1];
    snprintf(person, sizeof person, "%s", op_result(op)->id);
    op_free(op);
    if (err)
        return err;

    struct actor me = {.kind = ACTOR_PERSON, .client = "cli", .request_id = "demo"};
    snprintf(me.id, sizeof me.id, "%s", person);
    if (consent_record(svc, &me, person, &dc.req, "demo", NULL, &op, &fault) != 0)
        return PHR_EINVAL;
    err = op_wait(svc, op);
    if (!err && op_result(op)->err)
        err = op_result(op)->err;
    op_free(op);
    if (err)
        return err;

    struct actor sys = {.kind = ACTOR_SYSTEM, .client = "cli", .request_id = "demo"};
    snprintf(sys.id, sizeof sys.id, "demo-loader");
    struct demo_rng r = {20261124u};
    struct buf b;
    buf_init(&b);
    int64_t day0 = (clock_now_ms() / 86400000LL - DEMO_DAYS) * 86400000LL - 9 * 3600 * 1000LL;
    double weight = 68.4;
    int n = 0;
    for (int d = 0; d < DEMO_DAYS && !err; d++) {
        int64_t morning = day0 + (int64_t)d * 86400000LL + 7 * 3600 * 1000LL + (int64_t)(rnd(&r) * 1800000);
        int64_t evening = morning + 14 * 3600 * 1000LL;
        char when[40];
        fmt_time(morning, when);
        err = blood_pressure(&b, when, 118 + (int)(rnd(&r) * 22), 72 + (int)(rnd(&r) * 14)) ? PHR_ENOMEM
                                                                                               : add(svc, &sys, person, &b);
        weight += (rnd(&r) - 0.55) * 0.3;
        if (!err)
            err = quantity(&b, "29463-7", "Body weight", when, weight, "kg", 1) ? PHR_ENOMEM : add(svc, &sys, person, &b);
        if (!err && d % 3 == 0)
            err = quantity(&b, "41653-7", "Glucose Glucometer", when, 88 + rnd(&r) * 30, "mg/dL", 0)
                      ? PHR_ENOMEM
                      : add(svc, &sys, person, &b);
        if (!err && d % 7 == 0)
            err = quantity(&b, "8310-5", "Body temperature", when, 36.2 + rnd(&r) * 0.7, "Cel", 1)
                      ? PHR_ENOMEM
                      : add(svc, &sys, person, &b);
        fmt_time(evening, when);
        if (!err)
            err = blood_pressure(&b, when, 122 + (int)(rnd(&r) * 20), 76 + (int)(rnd(&r) * 12)) ? PHR_ENOMEM
                                                                                                   : add(svc, &sys, person, &b);
        if (!err)
            err = quantity(&b, "55423-8", "Steps", when, 3000 + rnd(&r) * 9000, "{steps}", 0) ? PHR_ENOMEM
                                                                                                 : add(svc, &sys, person, &b);
        if (!err && d % 7 == 3)
            err = quantity(&b, "59408-5", "SpO2", when, 96 + rnd(&r) * 3, "%", 0) ? PHR_ENOMEM
                                                                                   : add(svc, &sys, person, &b);
        n += 4 + (d % 3 == 0) + (d % 7 == 0) + (d % 7 == 3);
    }
    buf_free(&b);
    if (!err) {
        char cnt[16];
        snprintf(cnt, sizeof cnt, "%d", n);
        log_event(LOG_INFO, "demo.loaded", "login", DEMO_LOGIN, "records", cnt, NULL);
        *created = 1;
    }
    return err;
}
