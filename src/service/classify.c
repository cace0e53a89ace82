/* Records written before the store kept each record's kind of data get it
 * at start-up, before anything is served, from the one mapping
 * (formats/data_kinds.h). Until then they match no purpose: a recipient is
 * provided nothing of them, so an interrupted run loses no promise. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "service/internal.h"
#include "util/err.h"
#include "util/log.h"

#define CLASSIFY_BATCH 1000

struct unclassified {
    char id[ID_LEN + 1];
    int version;
    enum data_kind kind;
};

struct classify_job {
    struct job job;
    struct unclassified rows[CLASSIFY_BATCH];
    size_t n;
};

static int keep(void *arg, const struct record_row *r)
{
    struct classify_job *x = arg;
    struct unclassified *u = &x->rows[x->n++];
    snprintf(u->id, sizeof u->id, "%s", r->id);
    u->version = r->version;
    u->kind = data_kind_of(r->resource_type, r->category, r->code_system, r->code);
    return PHR_OK;
}

static int classify_run(struct job *j, struct store *st)
{
    struct classify_job *x = (struct classify_job *)j;
    x->n = 0;
    int err = store_record_unclassified(st, CLASSIFY_BATCH, keep, x);
    for (size_t i = 0; !err && i < x->n; i++)
        err = store_record_classify(st, x->rows[i].id, x->rows[i].version, data_kind_name(x->rows[i].kind));
    return err;
}

int records_classify(struct service *svc)
{
    struct classify_job *x = calloc(1, sizeof *x);
    if (!x)
        return PHR_ENOMEM;
    x->job.run = classify_run;
    long long total = 0;
    int err;
    do {
        err = writer_call(svc->writer, &x->job);
        total += (long long)x->n;
    } while (!err && x->n == CLASSIFY_BATCH);
    free(x);
    if (!err && total) {
        char n[24];
        snprintf(n, sizeof n, "%lld", total);
        log_event(LOG_INFO, "records.classified", "count", n, NULL);
    }
    return err;
}
