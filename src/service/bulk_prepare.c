/* A Bulk export prepared in the background before its manifest is given
 * (Bulk Data 2.0: 202 with X-Progress until then): for each type, how many
 * resources the persons' consents cover at that moment, so that the
 * manifest gives each file's count and leaves out the empty ones.
 *
 * The count is the reader's view, made as the files are (the same
 * persons, kinds and times); the files are still made while fetched, each
 * page decided again by the gate, so a withdrawal after the preparation
 * makes a file shorter than its count, never longer. Several instances
 * may prepare the same export; the first to finish writes it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "service/bulk_internal.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/log.h"
#include "util/ticker.h"

#define PREPARE_INTERVAL_MS 200
#define EXPORTS_PER_TICK 8

struct preparation {
    struct service *svc;
    struct found f;
    struct actor actor;           /* the recipient, through the export's group if any */
    int64_t counts[BULK_NTYPES];
    int wanted[BULK_NTYPES];
    data_kinds kinds;             /* the current person's, from their consent */
    char persons[PERSONS_PAGE][ID_LEN + 1];
    size_t npersons;
};

static int keep_unprepared(void *arg, const struct bulk_export_row *b)
{
    struct found *f = arg;
    memset(f, 0, sizeof *f);
    snprintf(f->id, sizeof f->id, "%s", b->id);
    snprintf(f->types, sizeof f->types, "%s", b->types);
    snprintf(f->group, sizeof f->group, "%s", b->group_code ? b->group_code : "");
    snprintf(f->patients, sizeof f->patients, "%s", b->patients ? b->patients : "");
    snprintf(f->owner, sizeof f->owner, "%s", b->recipient_id);
    f->row = *b;
    f->row.id = f->id;
    f->row.types = f->types;
    f->row.group_code = f->group[0] ? f->group : NULL;
    f->row.recipient_id = f->owner;
    f->ok = 1;
    return PHR_OK;
}

static int count_kind(void *arg, const char *type, const char *data_kind, int64_t n)
{
    struct preparation *p = arg;
    for (size_t i = 1; i < BULK_NTYPES; i++)
        if (p->wanted[i] && !strcmp(bulk_types[i], type) && data_kind &&
            (p->kinds & DATA_KIND_BIT(data_kind_by_name(data_kind))))
            p->counts[i] += n;
    return PHR_OK;
}

static int keep_person(void *arg, const char *person)
{
    struct preparation *p = arg;
    snprintf(p->persons[p->npersons++], ID_LEN + 1, "%s", person);
    return PHR_OK;
}

/* One person: what their consent provides to the recipient now, counted. */
static int count_person(struct preparation *p, struct store *rd, const char *person)
{
    struct provision_scope scope;
    int err = gate_provision_scope(rd, &p->actor, person, &scope);
    if (err || !scope.kinds)
        return err;
    p->kinds = scope.kinds;
    if (p->wanted[0])
        p->counts[0]++; /* the Patient line */
    return store_record_counts(rd, person, p->f.row.since, p->f.row.transaction_time, count_kind, p);
}

/* Every person (or those the patient parameter named), a page at a time. */
static int count_all(struct preparation *p, struct store *rd)
{
    if (p->f.patients[0]) {
        for (const char *s = p->f.patients; *s;) {
            size_t n = strcspn(s, ",");
            char person[ID_LEN + 1];
            snprintf(person, sizeof person, "%.*s", (int)n, s);
            int err = count_person(p, rd, person);
            if (err)
                return err;
            s += n + (s[n] == ',');
        }
        return PHR_OK;
    }
    char after[ID_LEN + 1] = "";
    do {
        p->npersons = 0;
        int err = store_person_page(rd, after, PERSONS_PAGE, keep_person, p);
        for (size_t i = 0; !err && i < p->npersons; i++)
            err = count_person(p, rd, p->persons[i]);
        if (err)
            return err;
        if (p->npersons)
            memcpy(after, p->persons[p->npersons - 1], sizeof after);
    } while (p->npersons == PERSONS_PAGE);
    return PHR_OK;
}

struct prepared_job {
    struct job job;
    const char *id, *counts;
};

static int prepared_run(struct job *j, struct store *st)
{
    struct prepared_job *x = (struct prepared_job *)j;
    return store_bulk_export_prepared(st, x->id, clock_now_ms(), x->counts);
}

/* The oldest export not prepared yet, prepared; *none when there is none. */
static int prepare_one(struct service *svc, struct preparation *p, int *none)
{
    struct store *rd;
    int err = service_reader(svc, &rd);
    if (err)
        return err;
    err = store_bulk_export_unprepared(rd, clock_now_ms(), keep_unprepared, &p->f);
    *none = err == PHR_ENOTFOUND;
    if (err) {
        service_reader_done(svc, rd);
        return *none ? PHR_OK : err;
    }
    memset(p->counts, 0, sizeof p->counts);
    for (size_t i = 0; i < BULK_NTYPES; i++) {
        const char *at = strstr(p->f.types, bulk_types[i]);
        size_t n = strlen(bulk_types[i]);
        p->wanted[i] = at && (at == p->f.types || at[-1] == ',') && (at[n] == ',' || !at[n]);
    }
    p->actor = (struct actor){.kind = ACTOR_RECIPIENT, .group = p->f.row.group_code};
    snprintf(p->actor.id, sizeof p->actor.id, "%s", p->f.row.recipient_id);
    err = count_all(p, rd);
    service_reader_done(svc, rd);
    if (err)
        return err;
    struct buf counts;
    buf_init(&counts);
    for (size_t i = 0; i < BULK_NTYPES; i++)
        if (p->counts[i])
            buf_printf(&counts, "%s%s:%lld", counts.len ? "," : "", bulk_types[i], (long long)p->counts[i]);
    struct prepared_job x = {.job = {.run = prepared_run}, .id = p->f.id, .counts = buf_cstr(&counts)};
    err = buf_failed(&counts) ? PHR_ENOMEM : writer_call(svc->writer, &x.job);
    buf_free(&counts);
    return err;
}

static void prepare_tick(void *arg)
{
    struct service *svc = arg;
    struct preparation *p = malloc(sizeof *p);
    if (!p) {
        log_event(LOG_ERROR, "bulk.prepare_failed", "error", phr_strerror(PHR_ENOMEM), NULL);
        return;
    }
    p->svc = svc;
    int none = 0;
    for (int i = 0; i < EXPORTS_PER_TICK && !none; i++) {
        int err = prepare_one(svc, p, &none);
        if (err) {
            log_event(LOG_ERROR, "bulk.prepare_failed", "error", phr_strerror(err), NULL);
            break;
        }
    }
    free(p);
}

int bulk_preparing_start(struct service *svc, struct ticker **out)
{
    return ticker_start(PREPARE_INTERVAL_MS, prepare_tick, svc, out);
}
